/*
 * store: the SQLite connection of one node (see store.h for the contract,
 * store_int.h for how the store's files divide the work).
 *
 * This file owns the connection: opening it on SQLite's default VFS with
 * the pragmas that make every commit durable (§4 of docs/architecture.md),
 * the busy handler, batches and transactions, the mapping of SQLite's
 * failures to STOA_E* codes, and the read queries that are not the view's:
 * feed heads, the frontier and its digest, a feed's entries in order, the
 * payload holes, id prefixes and member names, counts.
 *
 * Layout (schema version STORE_SCHEMA_VERSION; schema.c has the tables,
 * docs/formats.md has them column by column):
 *   entries   every stored entry: signed bytes + payload; the truth
 *   feeds     per author: head seq and id (derived from entries, kept in
 *             the same transaction; the replication frontier)
 *   forks     proofs: a second valid entry for an (author, seq) held
 *   profiles, posts (+ posts_fts), feedback, asks, pairings, sessions,
 *   closes, kudos: the view, one row per entry of its kind, except
 *             profiles, which keeps the latest by (timestamp, id)
 *
 * Every write goes through ingest.c, which checks everything before it
 * writes anything; so a rejected entry leaves the store untouched, and an
 * I/O failure (disk full) rolls back the whole open transaction. The view
 * tables can always be dropped and rebuilt from entries (store_reindex).
 * This module never prints or logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "store_int.h"

/* WAL pages (4 KiB) before a commit checkpoints: 40 MB of WAL at most
 * between checkpoints (SQLite's default is 1000). */
#define STORE_WAL_CHECKPOINT_PAGES 10000
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)
/* The frontier digest's block (docs/protocol.md): a block is hashed into
 * the chain as soon as it holds this many bytes or more. */
#define STORE_FRONTIER_BLOCK 65536
#define STORE_HEAD_LEN (KEY_PUBLIC_LEN + 8 + ENTRY_ID_LEN)

static const char *const stmt_sql[ST_COUNT] = {
	[ST_HEAD] = "SELECT seq, head, ts FROM feeds WHERE author = ?1",
	/* a hole: held without its payload, and not erased by the rules */
	[ST_AT_SEQ] = "SELECT id, payload IS NULL AND NOT EXISTS (SELECT 1"
		      " FROM gov_erased WHERE target = entries.id), n FROM entries"
		      " WHERE author = ?1 AND seq = ?2",
	[ST_INSERT_ENTRY] =
		"INSERT INTO entries(id, author, seq, kind, ts, signed, payload,"
		" opaque, idk) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_UPSERT_FEED] =
		"INSERT INTO feeds(author, seq, head, ts) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT(author) DO UPDATE SET seq = excluded.seq,"
		" head = excluded.head, ts = excluded.ts",
	[ST_INSERT_FORK] =
		"INSERT OR IGNORE INTO forks(id, author, seq, kept, signed,"
		" payload, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_FORKS_OF] =
		"SELECT count(*), coalesce(sum(seq = ?2), 0) FROM forks"
		" WHERE author = ?1",
	[ST_REPAIR] = "UPDATE entries SET payload = ?1, opaque = ?2 WHERE n = ?3",
	[ST_RECEIVED] =
		"INSERT INTO feeds_received(author, at) VALUES (?1, ?2)"
		" ON CONFLICT(author) DO UPDATE SET at = excluded.at",
};

/* An id's index key (see schema.c, ENTRIES_COLUMNS): 0 to 2^32 - 1. */
sqlite3_int64 store_id_key(const uint8_t *id)
{
	return (sqlite3_int64)((uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 |
			       (uint32_t)id[2] << 8 | (uint32_t)id[3]);
}

/* SQL stoa_idk(id): id_key of a blob of at least 4 bytes, else NULL
 * (which matches no row). Lookups use STORE_ENTRY_BY_ID (store.h). */
static void idk_sql(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB &&
	    sqlite3_value_bytes(argv[0]) >= 4)
		sqlite3_result_int64(cx, store_id_key(sqlite3_value_blob(argv[0])));
	else
		sqlite3_result_null(cx);
}

void store_short_hex(const uint8_t *p, char out[17])
{
	hex_encode(out, p, 8);
	out[8] = '\0';
}

/*
 * Maps a SQLite failure to a code and a message naming what was done. A
 * full disk shows up as SQLITE_FULL from a write, but as a plain I/O error
 * when the -shm file cannot grow: the errno tells them apart, and both get
 * one message that says what to do, with the store's path.
 */
int store_fail(struct store *s, struct err *e, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);
	int sys = sqlite3_system_errno(s->db);
	int code;

	if ((rc & 0xff) == SQLITE_FULL ||
	    ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT))) {
		const char *path = sqlite3_db_filename(s->db, "main");

		return err_set(e, STOA_EFULL, "disk full: %s in '%s': free some "
			       "space and try again", what, path ? path : "?");
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = STOA_EBUSY;
		break;
	case SQLITE_NOMEM:
		code = STOA_ENOMEM;
		break;
	default:
		code = STOA_EIO;
	}
	return err_set(e, code, "%s: %s", what, sqlite3_errmsg(s->db));
}

int store_exec(struct store *s, const char *sql, struct err *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot use the store");
	return 0;
}

struct sqlite3 *store_db(struct store *s)
{
	return s->db;
}

/*
 * The busy handler: try the lock again every STORE_BUSY_POLL_MS until
 * busy_ms have passed. SQLite's own handler backs off to 100 ms between
 * tries, and the daemon frees the write lock only for a short gap
 * between two passes (DAEMON_YIELD_MS): a `stoa post` waiting behind a
 * large sync missed nearly every gap and failed after 10 s with
 * "database is locked". Polling a lock costs one fcntl.
 */
static int busy_wait(void *arg, int tries)
{
	struct store *s = arg;
	struct timespec ts = { 0, STORE_BUSY_POLL_MS * 1000000L };
	uint64_t now = clock_mono_ms();

	if (tries == 0)
		s->busy_start = now;
	if (now - s->busy_start >= (uint64_t)s->busy_ms)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

void store_busy_timeout(struct store *s, int ms)
{
	s->busy_ms = ms;
	sqlite3_busy_handler(s->db, busy_wait, s);
}

sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a prepared write; 0 or an error set from the database. */
int store_step(struct store *s, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot store entry");
	return 0;
}

int store_prepare(struct store *s, struct err *e)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK)
			return store_fail(s, e, "cannot prepare store");
	}
	return materialize_prepare(s, e);
}

/*
 * The connection: SQLite's default VFS, the stoa_idk function, and the
 * pragmas every command's connection runs with.
 */
static int open_db(struct store *s, const char *path, int flags,
		   struct err *e)
{
	int oflags, persist = 1;

	oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
					  : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot open store '%s': %s", path,
			       s->db ? sqlite3_errmsg(s->db) : "out of memory");
	store_busy_timeout(s, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_create_function(s->db, "stoa_idk", 1, SQLITE_UTF8 |
				    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				    NULL, idk_sql, NULL, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot open store");
	/* Keep the -wal and -shm files when the last connection closes (the
	 * WAL truncated to nothing): a node whose disk is full can still
	 * open its store to read, verify and serve; creating a -shm file
	 * there fails. journal_size_limit is what truncates the WAL, here
	 * and after each checkpoint that resets it. */
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	/* WAL: readers never block the writer. FULL: the WAL is fsynced at
	 * every commit, before the commit returns, so a commit that returned
	 * survives a power cut; commits are batched so the fsync is shared.
	 * The checkpoint that copies the WAL into the file runs when a
	 * commit finds the WAL past STORE_WAL_CHECKPOINT_PAGES: a page
	 * rewritten by several commits in between (random index leaves,
	 * FTS5 segments) is copied once, not once per commit. */
	return store_exec(s, "PRAGMA journal_mode = WAL;"
			  "PRAGMA synchronous = FULL;"
			  "PRAGMA cache_size = -8192;"
			  "PRAGMA journal_size_limit = 67108864;"
			  "PRAGMA wal_autocheckpoint = "
			  STORE_STR(STORE_WAL_CHECKPOINT_PAGES) ";"
			  "PRAGMA foreign_keys = OFF;"
			  /* an erased payload is zeroed where it lay */
			  "PRAGMA secure_delete = ON;", e);
}

int store_open(struct store **out, const char *path, int flags,
	       struct err *e)
{
	struct store *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if ((rc = open_db(s, path, flags, e)) < 0 ||
	    (rc = schema_open(s, path, flags, e)) < 0) {
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	materialize_finalize(s);
	sqlite3_close(s->db);
	free(s);
}

int store_begin(struct store *s, struct err *e)
{
	int rc;

	if (s->in_batch)
		return err_set(e, STOA_EINVAL, "store batch already open");
	if ((rc = store_exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	gov_store_refresh(s);
	s->in_batch = 1;
	s->batch_failed = 0;
	return 0;
}

/* A rollback leaves the governance counts unknown. */
static void rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	gov_store_uncache(s);
}

/*
 * Commits the open transaction after the governance rules ran over what
 * it wrote (gov_store_apply). When it erased payloads, the WAL is then
 * checkpointed and truncated, so the erased bytes are left in no file
 * (a reader that holds an old snapshot delays that to the next commit).
 */
static int commit(struct store *s, struct err *e)
{
	int rc;

	if ((rc = gov_store_apply(s, e)) < 0) {
		rollback(s);
		return rc;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot commit");
		rollback(s);
		return rc;
	}
	if (s->gov_scrubbed &&
	    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL) == SQLITE_OK)
		s->gov_scrubbed = 0;
	return 0;
}

int store_commit(struct store *s, struct err *e)
{
	if (!s->in_batch)
		return 0;
	s->in_batch = 0;
	if (s->batch_failed) {
		int code = s->batch_failed;

		s->batch_failed = 0;
		return err_set(e, code, "batch was rolled back after a failed "
			       "write (%s): nothing of it was stored",
			       err_str(code));
	}
	return commit(s, e);
}

void store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0)
		rollback(s);
	s->in_batch = 0;
	s->batch_failed = 0;
}

/* Opens a transaction of our own unless a batch is open. */
int store_tx_begin(struct store *s, int *own, struct err *e)
{
	int rc;

	*own = !s->in_batch;
	if (s->batch_failed)
		return err_set(e, s->batch_failed, "batch was rolled back "
			       "after a failed write (%s): end it first",
			       err_str(s->batch_failed));
	if (!*own)
		return 0;
	if ((rc = store_exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	gov_store_refresh(s);
	return 0;
}

int store_tx_end(struct store *s, int own, int rc, struct err *e)
{
	int rc2;

	if (rc < 0 && rc != STOA_EPROTO && rc != STOA_ECRYPTO &&
	    rc != STOA_ESEQ && rc != STOA_EINVAL && rc != STOA_EPERM) {
		/* A write failed (disk full, I/O): nothing of the open
		 * transaction may be half-visible. A batch stays open but
		 * failed, so its caller learns at store_commit that none of
		 * it was stored, and later writes do not slip out of it. */
		rollback(s);
		if (!own)
			s->batch_failed = rc;
		return rc;
	}
	if (own) {
		if (rc < 0) {
			rollback(s);
			return rc;
		}
		if ((rc2 = commit(s, e)) < 0)
			return rc2;
	}
	return rc;
}

int store_head_get(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		   struct head *h, struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_HEAD);
	int rc;

	memset(h, 0, sizeof(*h));
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h->seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == ENTRY_ID_LEN)
			memcpy(h->id, sqlite3_column_blob(st, 1), ENTRY_ID_LEN);
		h->ts = (uint64_t)sqlite3_column_int64(st, 2);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read feed head");
	return 0;
}

int store_head_time(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *ts, struct err *e)
{
	struct head h;
	int rc = store_head_get(s, author, &h, e);

	*ts = rc < 0 ? 0 : h.ts;
	return rc;
}

int store_head(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
	       uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	struct head h;
	int rc = store_head_get(s, author, &h, e);

	if (rc < 0)
		return rc;
	*seq = h.seq;
	if (id)
		memcpy(id, h.id, ENTRY_ID_LEN);
	return 0;
}

int store_in_batch(const struct store *s)
{
	return s->in_batch;
}

int store_head_upto(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t ts, uint64_t *seq, uint8_t id[ENTRY_ID_LEN],
		    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*seq = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, id FROM entries WHERE "
			       "author = ?1 AND seq < coalesce((SELECT min(seq) "
			       "FROM entries WHERE author = ?1 AND ts > ?2), "
			       "9223372036854775807) ORDER BY seq DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read a feed");
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts > INT64_MAX ? INT64_MAX : (sqlite3_int64)ts);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (id)
			store_col_blob(st, 1, id, ENTRY_ID_LEN);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read a feed");
	return 0;
}

/*
 * Turns a hex prefix into the [lo, hi] range of 32-byte values that
 * start with it. n_hex chars, validated by the caller.
 */
static void prefix_range(const char *hex, size_t n_hex, uint8_t lo[32],
			 uint8_t hi[32])
{
	size_t i;

	memset(lo, 0x00, 32);
	memset(hi, 0xff, 32);
	for (i = 0; i < n_hex; i++) {
		char c = hex[i];
		int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

		if (i % 2 == 0) {
			lo[i / 2] = (uint8_t)(v << 4);
			hi[i / 2] = (uint8_t)((v << 4) | 0x0f);
		} else {
			lo[i / 2] |= (uint8_t)v;
			hi[i / 2] = (uint8_t)((hi[i / 2] & 0xf0) | v);
		}
	}
}

static int prefix_ok(const char *p, size_t max)
{
	size_t n = strlen(p);

	return n >= ENTRY_ID_PREFIX_MIN && n <= max && hex_valid(p);
}

/* Up to two matches of a prefix range in sql's one blob column. */
static int range_lookup(struct store *s, const char *sql, const char *prefix,
			uint8_t out[32], int *kind, struct err *e)
{
	uint8_t lo[32], hi[32];
	sqlite3_stmt *st;
	int rc, found = 0;

	prefix_range(prefix, strlen(prefix), lo, hi);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot look up");
	sqlite3_bind_blob(st, 1, lo, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hi, 32, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t tmp[32];

		if (!store_col_blob(st, 0, tmp, 32)) {
			rc = SQLITE_CORRUPT; /* a damaged row matches nothing */
			break;
		}
		if (found++ == 0) {
			memcpy(out, tmp, 32);
			if (kind)
				*kind = sqlite3_column_int(st, 1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot look up");
	return found;
}

int store_resolve_id(struct store *s, const char *prefix,
		     uint8_t id[ENTRY_ID_LEN], uint8_t *kind_out,
		     struct err *e)
{
	int n, kind = 0;

	if (!prefix_ok(prefix, ENTRY_ID_HEX_LEN))
		return err_set(e, STOA_EINVAL,
			       "'%.80s' is not a valid id (%d to %d hex characters)",
			       prefix, ENTRY_ID_PREFIX_MIN, ENTRY_ID_HEX_LEN);
	/* A prefix has 4 bytes at least: lo and hi share their idk. */
	n = range_lookup(s, "SELECT id, kind FROM entries WHERE idk BETWEEN"
			 " stoa_idk(?1) AND stoa_idk(?2) AND id BETWEEN ?1 AND"
			 " ?2 LIMIT 2", prefix, id, &kind, e);
	if (n < 0)
		return n;
	if (n == 0)
		return err_set(e, STOA_ENOTFOUND, "no entry matches '%s'", prefix);
	if (n > 1)
		return err_set(e, STOA_EAMBIG, "'%s' is ambiguous", prefix);
	if (kind_out)
		*kind_out = (uint8_t)kind;
	return 0;
}

int store_entry_info(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		     uint8_t *kind, uint8_t author[KEY_PUBLIC_LEN],
		     struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT kind, author FROM entries WHERE "
			       STORE_ENTRY_BY_ID, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot look up entry");
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (kind)
			*kind = (uint8_t)sqlite3_column_int(st, 0);
		if (author && !store_col_blob(st, 1, author, KEY_PUBLIC_LEN))
			rc = SQLITE_CORRUPT;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(e, STOA_ENOTFOUND, "no such entry");
	if (rc != SQLITE_ROW)
		return err_set(e, STOA_EIO, "cannot look up entry");
	return 0;
}

/*
 * A name and a key prefix are both looked up, so that nobody can take
 * another member's key prefix as their display name and be picked in
 * their place: two different members matching is ambiguous. A full
 * 64-hex key is exact and wins.
 */
int store_resolve_member(struct store *s, const char *who,
			 uint8_t pk[KEY_PUBLIC_LEN], struct err *e)
{
	uint8_t by_name[KEY_PUBLIC_LEN], by_key[KEY_PUBLIC_LEN];
	sqlite3_stmt *st;
	int rc, names = 0, keys = 0;

	if (prefix_ok(who, 2 * KEY_PUBLIC_LEN)) {
		keys = range_lookup(s, "SELECT author, 0 FROM feeds WHERE author "
				    "BETWEEN ?1 AND ?2 LIMIT 2", who, by_key, NULL, e);
		if (keys < 0)
			return keys;
		if (keys == 1 && strlen(who) == 2 * KEY_PUBLIC_LEN) {
			memcpy(pk, by_key, KEY_PUBLIC_LEN);
			return 0;
		}
	}
	if (sqlite3_prepare_v2(s->db, "SELECT author FROM profiles WHERE "
			       "name = ?1 COLLATE NOCASE LIMIT 2", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot look up member");
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!store_col_blob(st, 0, by_name, KEY_PUBLIC_LEN)) {
			rc = SQLITE_CORRUPT;
			break;
		}
		names++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, STOA_EIO, "cannot look up member: damaged "
			       "profile row");
	if (names > 1 || keys > 1 || (names == 1 && keys == 1 &&
	    memcmp(by_name, by_key, KEY_PUBLIC_LEN) != 0))
		return err_set(e, STOA_EAMBIG, "'%.64s' matches more than one "
			       "member: use a (longer) key prefix", who);
	if (names == 1 || keys == 1) {
		memcpy(pk, names ? by_name : by_key, KEY_PUBLIC_LEN);
		return 0;
	}
	return err_set(e, STOA_ENOTFOUND, "no member named '%.64s'", who);
}

/* Copies a 32-byte (or len-byte) blob column, 0 if it has another size. */
int store_col_blob(sqlite3_stmt *st, int col, uint8_t *out, int len)
{
	if (sqlite3_column_bytes(st, col) != len)
		return 0;
	memcpy(out, sqlite3_column_blob(st, col), (size_t)len);
	return 1;
}

int store_count(struct store *s, const char *sql, uint64_t *out,
		struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot count");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, e, "cannot count");
	return 0;
}

int store_stats(struct store *s, struct store_stats *st, struct err *e)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = store_count(s, "SELECT count(*) FROM feeds", &st->authors,
			      e)) < 0 ||
	    (rc = store_count(s, "SELECT count(*) FROM forks", &st->forks,
			      e)) < 0)
		return rc;
	/* Feeds are contiguous from seq 1, so this counts every entry
	 * without a scan of the entries table. */
	return store_count(s, "SELECT coalesce(sum(seq), 0) FROM feeds",
			   &st->entries, e);
}

int store_next_hole(struct store *s, const uint8_t after[KEY_PUBLIC_LEN],
		    uint64_t after_seq, uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *from, uint32_t *count, struct err *e)
{
	sqlite3_stmt *st;
	uint64_t seq;
	int rc, found = 0;

	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT author, seq FROM entries"
			       " WHERE payload IS NULL AND (author > ?1 OR"
			       " (author = ?1 AND seq > ?2)) AND NOT EXISTS"
			       " (SELECT 1 FROM gov_erased WHERE target = id)"
			       " ORDER BY author, seq LIMIT ?3", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read entries");
	sqlite3_bind_blob(st, 1, after, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after_seq);
	sqlite3_bind_int(st, 3, STORE_RUN_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 1);
		if (!found) {
			if (!store_col_blob(st, 0, author, KEY_PUBLIC_LEN)) {
				rc = SQLITE_CORRUPT;
				break;
			}
			*from = seq;
			found = 1;
		} else if (sqlite3_column_bytes(st, 0) != KEY_PUBLIC_LEN ||
			   memcmp(sqlite3_column_blob(st, 0), author,
				  KEY_PUBLIC_LEN) != 0 ||
			   seq != *from + *count) {
			rc = SQLITE_DONE;
			break; /* the next hole is apart from this one */
		}
		(*count)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, STOA_EIO, "cannot read entries: %s",
			       rc == SQLITE_CORRUPT ? "damaged row"
						    : sqlite3_errmsg(s->db));
	return found;
}

int store_frontier(struct store *s,
		   int (*cb)(const struct store_head *h, void *arg), void *arg,
		   struct err *e)
{
	sqlite3_stmt *st;
	struct store_head h;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT author, seq, head FROM feeds "
			       "ORDER BY author", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read feeds");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!store_col_blob(st, 0, h.author, KEY_PUBLIC_LEN) ||
		    !store_col_blob(st, 2, h.id, ENTRY_ID_LEN)) {
			rc = SQLITE_CORRUPT;
			break;
		}
		h.seq = (uint64_t)sqlite3_column_int64(st, 1);
		if (cb(&h, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, STOA_EIO, "cannot read feeds: %s",
			       rc == SQLITE_CORRUPT ? "damaged row"
						    : sqlite3_errmsg(s->db));
	return 0;
}

/* Chained digest: d = BLAKE2b(d || chunk), chunk boundaries by size. */
void store_chain_hash(uint8_t d[HASH_LEN], struct buf *b)
{
	hash_blake2b2(d, d, HASH_LEN, b->data ? b->data : (uint8_t *)"",
		      b->len);
	buf_reset(b);
}

struct digest_acc {
	uint8_t d[HASH_LEN];
	struct buf b;
	uint32_t feeds;
};

static int digest_add(const struct store_head *h, void *arg)
{
	struct digest_acc *a = arg;

	a->feeds++;
	if (buf_append(&a->b, h->author, KEY_PUBLIC_LEN) < 0 ||
	    buf_put_u64(&a->b, h->seq) < 0 ||
	    buf_append(&a->b, h->id, ENTRY_ID_LEN) < 0)
		return 1;
	if (a->b.len >= STORE_FRONTIER_BLOCK)
		store_chain_hash(a->d, &a->b);
	return 0;
}

int store_frontier_digest(struct store *s, uint8_t digest[HASH_LEN],
			  uint32_t *feeds, struct err *e)
{
	struct digest_acc a;
	int rc;

	memset(a.d, 0, sizeof(a.d));
	a.feeds = 0;
	buf_init(&a.b, STORE_FRONTIER_BLOCK + STORE_HEAD_LEN);
	rc = store_frontier(s, digest_add, &a, e);
	if (rc == 0)
		store_chain_hash(a.d, &a.b);
	buf_release(&a.b);
	if (rc < 0)
		return rc;
	memcpy(digest, a.d, HASH_LEN);
	*feeds = a.feeds;
	return 0;
}

int store_read_feed(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t from, uint32_t max,
		    int (*cb)(const struct store_run_entry *re, void *arg),
		    void *arg, struct err *e)
{
	struct store_run_entry re;
	sqlite3_stmt *st;
	int rc;

	if (from > ENTRY_MAX_SEQ)
		from = ENTRY_MAX_SEQ; /* no entry has a larger seq */
	if (sqlite3_prepare_v2(s->db, "SELECT signed, payload, payload IS NULL"
			       " AND EXISTS (SELECT 1 FROM gov_erased WHERE "
			       "target = entries.id) FROM entries "
			       "WHERE author = ?1 AND seq >= ?2 ORDER BY seq "
			       "LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read feed");
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t plen = (size_t)sqlite3_column_bytes(st, 1);
		const void *p;

		/* an entry held without its payload is passed on marked
		 * "erased" only if an erasure in force explains it; a hole
		 * is not: the feed stops before it */
		int erased = sqlite3_column_int(st, 2);

		if (sqlite3_column_type(st, 1) == SQLITE_NULL && !erased)
			break;
		if (sqlite3_column_bytes(st, 0) != ENTRY_SIGNED_LEN ||
		    plen > ENTRY_MAX_PAYLOAD) {
			rc = SQLITE_CORRUPT;
			break;
		}
		/* SQLite gives NULL for an empty blob */
		p = sqlite3_column_blob(st, 1);
		re.signed_bytes = sqlite3_column_blob(st, 0);
		re.payload = erased ? NULL : p ? p : (const uint8_t *)"";
		re.plen = (uint32_t)plen;
		if (cb(&re, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return err_set(e, STOA_EIO, "cannot read feed: %s",
			       rc == SQLITE_CORRUPT ? "damaged row"
						    : sqlite3_errmsg(s->db));
	return 0;
}
