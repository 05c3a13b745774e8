/*
 * store: the SQLite database of one node (see store.h for the contract).
 *
 * Layout (schema version STORE_SCHEMA_VERSION, docs/formats.md has it
 * column by column):
 *   entries   every stored entry: signed bytes + payload; the truth
 *   feeds     per author: head seq and id (derived from entries, kept in
 *             the same transaction; the replication frontier)
 *   forks     proofs: a second valid entry for an (author, seq) held
 *   profiles, posts (+ posts_fts), feedback, asks, pairings, sessions,
 *   closes, kudos: the view, one row per entry of its kind, except
 *             profiles, which keeps the latest by (timestamp, id)
 *
 * Every write goes through ingest(), which checks everything before it
 * writes anything; so a rejected entry leaves the store untouched, and an
 * I/O failure (disk full) rolls back the whole open transaction. The view
 * tables can always be dropped and rebuilt from entries (store_reindex).
 * This module never prints or logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "clock.h"
#include "payload.h"
#include "store.h"
#include "walbuf.h"

/* WAL pages (4 KiB) before a commit checkpoints: 40 MB of WAL at most
 * between checkpoints (SQLite's default is 1000). */
#define STORE_WAL_CHECKPOINT_PAGES 10000
#define STORE_STR_(x) #x
#define STORE_STR(x) STORE_STR_(x)

enum stmt_id {
	ST_HEAD,
	ST_AT_SEQ,
	ST_INSERT_ENTRY,
	ST_UPSERT_FEED,
	ST_INSERT_FORK,
	ST_FORKS_OF,
	ST_REPAIR,
	ST_PROFILE,
	ST_POST,
	ST_POST_FTS,
	ST_FEEDBACK,
	ST_ASK,
	ST_PAIRING,
	ST_SESSION,
	ST_CLOSE,
	ST_KUDOS,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_HEAD] = "SELECT seq, head, ts FROM feeds WHERE author = ?1",
	[ST_AT_SEQ] = "SELECT id, payload IS NULL, n FROM entries"
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
	[ST_PROFILE] =
		"INSERT INTO profiles(author, name, role, bio, ts, id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT(author) DO UPDATE SET name = excluded.name,"
		" role = excluded.role, bio = excluded.bio, ts = excluded.ts,"
		" id = excluded.id"
		" WHERE (excluded.ts, excluded.id) > (profiles.ts, profiles.id)",
	[ST_POST] =
		"INSERT INTO posts(entry, id, author, ts, topic, title, body,"
		" reply_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_POST_FTS] =
		"INSERT INTO posts_fts(rowid, title, body, topic)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_FEEDBACK] =
		"INSERT INTO feedback(entry, author, ts, target, rating, helpful,"
		" comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ASK] =
		"INSERT INTO asks(entry, id, author, ts, kind, topic, note)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_PAIRING] =
		"INSERT INTO pairings(entry, id, author, ts, target)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SESSION] =
		"INSERT INTO sessions(entry, author, ts, pairing, minutes, notes,"
		" goals, progress) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_CLOSE] =
		"INSERT INTO closes(entry, author, ts, pairing, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_KUDOS] =
		"INSERT INTO kudos(entry, author, ts, recipient, badge, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

static int col_blob(sqlite3_stmt *st, int col, uint8_t *out, int len);
static int count(struct store *s, const char *sql, uint64_t *out,
		 struct err *e);

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int in_batch;     /* store_begin was called */
	int batch_failed; /* a write failed (its STOA_E* code): the batch
			   * was rolled back */
	int busy_ms;      /* how long a statement waits for a lock */
	uint64_t busy_start; /* when the current wait began (monotonic) */
};

/*
 * The truth: never dropped. An entry is found by id through idk, the
 * first four bytes of the id as a big-endian integer (id_key): an index
 * of small integers instead of 32-byte blobs, a third of the size, so it
 * stays in the page cache of a store of a million entries, where each
 * insert into the blob index cost a page read and a page write (half
 * the writer's time at 1M entries, docs/benchmarks.md). Every lookup
 * then compares the id itself; ids are unique by construction (the hash
 * covers author and seq, and (author, seq) is unique).
 */
#define ENTRIES_COLUMNS                                                    \
	"("                                                                \
	"  n INTEGER PRIMARY KEY,"          /* local arrival order only */ \
	"  id BLOB NOT NULL,"                                              \
	"  author BLOB NOT NULL,"                                          \
	"  seq INTEGER NOT NULL,"                                          \
	"  kind INTEGER NOT NULL,"                                         \
	"  ts INTEGER NOT NULL,"                                           \
	"  signed BLOB NOT NULL,"           /* ENTRY_SIGNED_LEN bytes */   \
	"  payload BLOB,"                   /* NULL: erased */             \
	"  opaque INTEGER NOT NULL,"        /* 1: stored, not materialized */ \
	"  idk INTEGER NOT NULL,"           /* id_key(id) */               \
	"  UNIQUE(author, seq))"
/* entries_hole: the entries held without their payload (a store damaged
 * by a relay that stripped them, before schema 3 refused that), so the
 * few there are can be found and asked for again without a scan. */
#define ENTRIES_HOLE_INDEX                                                 \
	"CREATE INDEX IF NOT EXISTS entries_hole ON entries(author, seq)"   \
	" WHERE payload IS NULL;"
#define ENTRIES_INDEX                                                      \
	"CREATE INDEX IF NOT EXISTS entries_idk ON entries(idk);"           \
	ENTRIES_HOLE_INDEX

static const char schema_entries[] =
	"CREATE TABLE IF NOT EXISTS meta("
	"  key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS entries" ENTRIES_COLUMNS ";"
	ENTRIES_INDEX
	"CREATE TABLE IF NOT EXISTS feeds("
	"  author BLOB PRIMARY KEY, seq INTEGER NOT NULL,"
	"  head BLOB NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS forks("
	"  id BLOB PRIMARY KEY, author BLOB NOT NULL, seq INTEGER NOT NULL,"
	"  kept BLOB NOT NULL, signed BLOB NOT NULL, payload BLOB,"
	"  seen INTEGER NOT NULL) WITHOUT ROWID;";

/* The view: dropped and rebuilt by store_reindex. */
static const char *const view_tables[] = {
	"profiles", "posts_fts", "posts", "feedback", "asks", "pairings",
	"sessions", "closes", "kudos",
};

static const char schema_view[] =
	"CREATE TABLE IF NOT EXISTS profiles("
	"  author BLOB PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
	"  bio TEXT, ts INTEGER NOT NULL, id BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS posts("
	"  entry INTEGER PRIMARY KEY, id BLOB NOT NULL,"
	"  author BLOB NOT NULL, ts INTEGER NOT NULL, topic TEXT NOT NULL,"
	"  title TEXT, body TEXT NOT NULL, reply_to BLOB);"
	"CREATE INDEX IF NOT EXISTS posts_ts ON posts(ts, id);"
	"CREATE INDEX IF NOT EXISTS posts_topic ON posts(topic, ts);"
	"CREATE INDEX IF NOT EXISTS posts_author ON posts(author, ts);"
	"CREATE INDEX IF NOT EXISTS posts_reply ON posts(reply_to)"
	"  WHERE reply_to IS NOT NULL;"
	"CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5("
	"  title, body, topic, content='posts', content_rowid='entry',"
	"  columnsize=0, detail=none);"
	"CREATE TABLE IF NOT EXISTS feedback("
	"  entry INTEGER PRIMARY KEY, author BLOB NOT NULL,"
	"  ts INTEGER NOT NULL, target BLOB NOT NULL, rating INTEGER,"
	"  helpful INTEGER NOT NULL, comment TEXT);"
	"CREATE INDEX IF NOT EXISTS feedback_target ON feedback(target);"
	"CREATE INDEX IF NOT EXISTS feedback_author ON feedback(author);"
	"CREATE TABLE IF NOT EXISTS asks("
	"  entry INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
	"  author BLOB NOT NULL, ts INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  topic TEXT NOT NULL, note TEXT);"
	"CREATE TABLE IF NOT EXISTS pairings("
	"  entry INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
	"  author BLOB NOT NULL, ts INTEGER NOT NULL, target BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS pairings_target ON pairings(target);"
	"CREATE TABLE IF NOT EXISTS sessions("
	"  entry INTEGER PRIMARY KEY, author BLOB NOT NULL,"
	"  ts INTEGER NOT NULL, pairing BLOB NOT NULL, minutes INTEGER NOT NULL,"
	"  notes TEXT NOT NULL, goals TEXT, progress TEXT);"
	"CREATE INDEX IF NOT EXISTS sessions_pairing ON sessions(pairing);"
	"CREATE TABLE IF NOT EXISTS closes("
	"  entry INTEGER PRIMARY KEY, author BLOB NOT NULL,"
	"  ts INTEGER NOT NULL, pairing BLOB NOT NULL, reason TEXT);"
	"CREATE INDEX IF NOT EXISTS closes_pairing ON closes(pairing);"
	"CREATE TABLE IF NOT EXISTS kudos("
	"  entry INTEGER PRIMARY KEY, author BLOB NOT NULL,"
	"  ts INTEGER NOT NULL, recipient BLOB NOT NULL, badge TEXT NOT NULL,"
	"  reason TEXT);"
	/* with badge: a member's badges are read from the index alone
	 * (stoa members at 1M entries: 0.25 s to 0.12 s). Stores made before
	 * keep kudos(recipient) until a reindex: the same answers. */
	"CREATE INDEX IF NOT EXISTS kudos_recipient ON kudos(recipient, badge);";

/* An id's index key (see ENTRIES_COLUMNS): 0 to 2^32 - 1. */
static sqlite3_int64 id_key(const uint8_t *id)
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
		sqlite3_result_int64(cx, id_key(sqlite3_value_blob(argv[0])));
	else
		sqlite3_result_null(cx);
}

/*
 * Maps a SQLite failure to a code and a message naming what was done. A
 * full disk shows up as SQLITE_FULL from a write, but as a plain I/O error
 * when the -shm file cannot grow: the errno tells them apart, and both get
 * one message that says what to do, with the store's path.
 */
static int db_fail(struct store *s, struct err *e, const char *what)
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

static int exec(struct store *s, const char *sql, struct err *e)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot use the store");
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

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a prepared write; 0 or an error set from the database. */
static int step_done(struct store *s, sqlite3_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, "cannot store entry");
	return 0;
}

/* The schema version recorded in the file: -1 if none (a new file). */
static int schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int version = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = "
			       "'schema'", -1, &st, NULL) != SQLITE_OK)
		return -1; /* no meta table yet */
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

/*
 * Creates the schema of a new file. An existing file of the current
 * version is opened without a write (so readers never take the write
 * lock); version 1 is migrated by schema_migrate; any other version
 * (a newer stoa's) is refused, never altered. Returns the file's version
 * (STORE_SCHEMA_VERSION once created), or a negative STOA_E*.
 */
static int schema_ensure(struct store *s, int flags, struct err *e)
{
	char sql[96];
	int rc, version = schema_version(s);

	if (version >= 1 && version <= STORE_SCHEMA_VERSION)
		return version; /* older: store_open calls schema_migrate */
	if (version != -1)
		return err_set(e, STOA_EPROTO, "store schema %d is not %d: this "
			       "stoa is too old for it", version,
			       STORE_SCHEMA_VERSION);
	if (!(flags & STORE_CREATE))
		return err_set(e, STOA_EPROTO, "store has no schema");
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO meta VALUES "
		 "('schema', %d)", STORE_SCHEMA_VERSION);
	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	if ((rc = exec(s, schema_entries, e)) < 0 ||
	    (rc = exec(s, schema_view, e)) < 0 || (rc = exec(s, sql, e)) < 0 ||
	    (rc = exec(s, "COMMIT", e)) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return STORE_SCHEMA_VERSION;
}

static int prepare_all(struct store *s, struct err *e)
{
	int i;

	for (i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK)
			return db_fail(s, e, "cannot prepare store");
	}
	return 0;
}

/*
 * From version 2 (no entries_hole index): the index is made, which reads
 * the entries table once; the view stays as it is.
 * From version 1 (id in a UNIQUE blob index, posts_fts with positions):
 * the entries table is copied into the current layout (same rows, same
 * arrival numbers, idk computed) and the view is rebuilt from it
 * (store_reindex), all in one transaction that also records the new
 * version: a crash or a full disk leaves the version 1 file as it was.
 * A concurrent opener that migrated first leaves nothing to do. Then
 * prepares the statements (they name the new columns).
 */
static int schema_migrate(struct store *s, struct err *e)
{
	char sql[96];
	uint64_t n;
	int rc;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = %d WHERE "
		 "key = 'schema'", STORE_SCHEMA_VERSION);
	if (schema_version(s) == 2) {
		if ((rc = exec(s, ENTRIES_HOLE_INDEX, e)) == 0 &&
		    (rc = prepare_all(s, e)) == 0)
			rc = exec(s, sql, e);
	} else if (schema_version(s) == 1) {
		if ((rc = exec(s, "CREATE TABLE entries_v2" ENTRIES_COLUMNS ";"
			       "INSERT INTO entries_v2(n, id, author, seq, kind,"
			       " ts, signed, payload, opaque, idk)"
			       " SELECT n, id, author, seq, kind, ts, signed,"
			       " payload, opaque, coalesce(stoa_idk(id), 0)"
			       " FROM entries ORDER BY n;"
			       "DROP TABLE entries;"
			       "ALTER TABLE entries_v2 RENAME TO entries;"
			       ENTRIES_INDEX, e)) == 0 &&
		    (rc = prepare_all(s, e)) == 0 &&
		    (rc = store_reindex(s, &n, e)) == 0)
			rc = exec(s, sql, e);
	} else {
		rc = prepare_all(s, e);
	}
	if (rc < 0) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s, e);
}

int store_open(struct store **out, const char *path, int flags,
	       struct err *e)
{
	struct store *s;
	int oflags, rc, version, persist = 1;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, STOA_ENOMEM, "out of memory");
	oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
					  : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
			    walbuf_vfs()) != SQLITE_OK) {
		rc = err_set(e, STOA_EIO, "cannot open store '%s': %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	store_busy_timeout(s, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_create_function(s->db, "stoa_idk", 1, SQLITE_UTF8 |
				    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				    NULL, idk_sql, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(s, e, "cannot open store");
		goto fail;
	}
	/* Keep the -wal and -shm files when the last connection closes (the
	 * WAL truncated to nothing): a node whose disk is full can still
	 * open its store to read, verify and serve; creating a -shm file
	 * there fails. journal_size_limit is what truncates the WAL, here
	 * and after each checkpoint that resets it. */
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	/* WAL: readers never block the writer; FULL: a commit survives
	 * power loss, and commits are batched so the fsync is shared. The
	 * checkpoint that copies the WAL into the file runs when a commit
	 * finds the WAL past STORE_WAL_CHECKPOINT_PAGES: a page rewritten
	 * by several commits in between (random index leaves, FTS5
	 * segments) is copied once, not once per commit. */
	if ((rc = exec(s, "PRAGMA journal_mode = WAL;"
		       "PRAGMA synchronous = FULL;"
		       "PRAGMA cache_size = -8192;"
		       "PRAGMA journal_size_limit = 67108864;"
		       "PRAGMA wal_autocheckpoint = "
		       STORE_STR(STORE_WAL_CHECKPOINT_PAGES) ";"
		       "PRAGMA foreign_keys = OFF;", e)) < 0 ||
	    (version = rc = schema_ensure(s, flags, e)) < 0)
		goto fail;
	/* the WAL in large writes (walbuf.h), now that FULL is set; a
	 * read-only open never writes it */
	if (!(flags & STORE_READONLY))
		(void)walbuf_enable(s->db);
	rc = 0;
	if (version == 1) {
		uint64_t held = 0;
		struct err ce;

		if (flags & (STORE_READONLY | STORE_NO_UPGRADE)) {
			count(s, "SELECT coalesce(sum(seq), 0) FROM feeds", &held,
			      &ce);
			rc = err_set(e, STOA_EOLD, "the store '%s' (%" PRIu64
				     " entries) is of schema 1 and must be "
				     "upgraded to %d%s", path, held,
				     STORE_SCHEMA_VERSION,
				     (flags & STORE_READONLY) ? ": open it once "
				     "for writing" : "");
			goto fail;
		}
		rc = schema_migrate(s, e);
	} else if (version < STORE_SCHEMA_VERSION &&
		   !(flags & STORE_READONLY)) {
		rc = schema_migrate(s, e); /* an index only: quick, silent */
	} else if (!(flags & STORE_READONLY)) {
		rc = prepare_all(s, e);
	}
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_close(s);
	return rc;
}

void store_close(struct store *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int store_begin(struct store *s, struct err *e)
{
	int rc;

	if (s->in_batch)
		return err_set(e, STOA_EINVAL, "store batch already open");
	if ((rc = exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	s->in_batch = 1;
	s->batch_failed = 0;
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
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = db_fail(s, e, "cannot commit");

		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = 0;
	s->batch_failed = 0;
}

/* Binds a string field of obj, or NULL when absent. */
static void bind_str(sqlite3_stmt *st, int i, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		sqlite3_bind_text(st, i, json_string_value(v),
				  (int)json_string_length(v), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Binds a hex64 field of obj as a 32-byte blob (validated by payload). */
static void bind_ref(sqlite3_stmt *st, int i, json_t *obj, const char *key,
		     uint8_t tmp[ENTRY_ID_LEN])
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v) &&
	    hex_decode(tmp, ENTRY_ID_LEN, json_string_value(v)) == 0)
		sqlite3_bind_blob(st, i, tmp, ENTRY_ID_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/*
 * Writes the view rows of one entry. Each row depends only on this entry
 * (profiles: on the max (ts, id) among profile entries), which is what
 * makes the view independent of arrival order.
 */
static int materialize(struct store *s, sqlite3_int64 n,
		       const struct entry *en, json_t *obj, struct err *e)
{
	uint8_t ref[ENTRY_ID_LEN];
	sqlite3_stmt *st;
	json_t *v;
	int rc;

	switch (en->kind) {
	case ENTRY_KIND_PROFILE:
		st = stmt(s, ST_PROFILE);
		sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		bind_str(st, 2, obj, "name");
		bind_str(st, 3, obj, "role");
		bind_str(st, 4, obj, "bio");
		sqlite3_bind_int64(st, 5, (sqlite3_int64)en->timestamp);
		sqlite3_bind_blob(st, 6, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
		return step_done(s, st, e);
	case ENTRY_KIND_POST:
		st = stmt(s, ST_POST);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)en->timestamp);
		bind_str(st, 5, obj, "topic");
		bind_str(st, 6, obj, "title");
		bind_str(st, 7, obj, "body");
		bind_ref(st, 8, obj, "reply_to", ref);
		if ((rc = step_done(s, st, e)) < 0)
			return rc;
		st = stmt(s, ST_POST_FTS);
		sqlite3_bind_int64(st, 1, n);
		bind_str(st, 2, obj, "title");
		bind_str(st, 3, obj, "body");
		bind_str(st, 4, obj, "topic");
		return step_done(s, st, e);
	case ENTRY_KIND_FEEDBACK:
		st = stmt(s, ST_FEEDBACK);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->timestamp);
		bind_ref(st, 4, obj, "target", ref);
		v = json_object_get(obj, "rating");
		if (json_is_integer(v))
			sqlite3_bind_int64(st, 5, json_integer_value(v));
		sqlite3_bind_int(st, 6, json_is_true(json_object_get(obj, "helpful")));
		bind_str(st, 7, obj, "comment");
		return step_done(s, st, e);
	case ENTRY_KIND_MENTOR_OFFER:
	case ENTRY_KIND_MENTOR_REQUEST:
		st = stmt(s, ST_ASK);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)en->timestamp);
		sqlite3_bind_text(st, 5, en->kind == ENTRY_KIND_MENTOR_OFFER
				  ? "offer" : "request", -1, SQLITE_STATIC);
		bind_str(st, 6, obj, "topic");
		bind_str(st, 7, obj, "note");
		return step_done(s, st, e);
	case ENTRY_KIND_MENTOR_ACCEPT:
		st = stmt(s, ST_PAIRING);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)en->timestamp);
		bind_ref(st, 5, obj, "target", ref);
		return step_done(s, st, e);
	case ENTRY_KIND_MENTOR_SESSION:
		st = stmt(s, ST_SESSION);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->timestamp);
		bind_ref(st, 4, obj, "pairing", ref);
		sqlite3_bind_int64(st, 5,
			json_integer_value(json_object_get(obj, "minutes")));
		bind_str(st, 6, obj, "notes");
		bind_str(st, 7, obj, "goals");
		bind_str(st, 8, obj, "progress");
		return step_done(s, st, e);
	case ENTRY_KIND_MENTOR_CLOSE:
		st = stmt(s, ST_CLOSE);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->timestamp);
		bind_ref(st, 4, obj, "pairing", ref);
		bind_str(st, 5, obj, "reason");
		return step_done(s, st, e);
	case ENTRY_KIND_KUDOS:
		st = stmt(s, ST_KUDOS);
		sqlite3_bind_int64(st, 1, n);
		sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)en->timestamp);
		bind_ref(st, 4, obj, "to", ref);
		bind_str(st, 5, obj, "badge");
		bind_str(st, 6, obj, "reason");
		return step_done(s, st, e);
	}
	return 0; /* unknown kinds are never materialized */
}

struct head {
	uint64_t seq;
	uint8_t id[ENTRY_ID_LEN];
	uint64_t ts;
};

static int head_get(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    struct head *h, struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_HEAD);
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
		return db_fail(s, e, "cannot read feed head");
	return 0;
}

/* The entry held at an (author, seq). */
struct held {
	uint8_t id[ENTRY_ID_LEN];
	int hole;           /* held without its payload */
	sqlite3_int64 n;    /* its row */
};

/*
 * The entry held at (author, seq), if any: 1 and h filled, 0 if none.
 */
static int id_at_seq(struct store *s, const struct entry *en,
		     struct held *h, struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_AT_SEQ);
	int rc, found = 0;

	memset(h, 0, sizeof(*h));
	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)en->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == ENTRY_ID_LEN)
			memcpy(h->id, sqlite3_column_blob(st, 0), ENTRY_ID_LEN);
		h->hole = sqlite3_column_int(st, 1);
		h->n = sqlite3_column_int64(st, 2);
		found = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, "cannot read feed");
	return found;
}

static void short_hex(const uint8_t *p, char out[17])
{
	hex_encode(out, p, 8);
	out[8] = '\0';
}

/* Moves author's feed head to en. */
static int set_head(struct store *s, const struct entry *en, struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_UPSERT_FEED);

	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)en->seq);
	sqlite3_bind_blob(st, 3, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)en->timestamp);
	return step_done(s, st, e);
}

/*
 * Stores a checked entry: its row, its view rows, and (if head) the feed
 * head; a run moves the head once, at its end.
 */
static int write_entry(struct store *s, const struct entry *en,
		       const void *payload, size_t plen, json_t *obj, int head,
		       struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_INSERT_ENTRY);
	sqlite3_int64 n;
	int rc;

	sqlite3_bind_blob(st, 1, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)en->seq);
	sqlite3_bind_int(st, 4, en->kind);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)en->timestamp);
	sqlite3_bind_blob(st, 6, en->signed_bytes, ENTRY_SIGNED_LEN,
			  SQLITE_STATIC);
	if (payload)
		sqlite3_bind_blob(st, 7, plen ? payload : "", (int)plen,
				  SQLITE_STATIC);
	sqlite3_bind_int(st, 8, obj == NULL);
	sqlite3_bind_int64(st, 9, id_key(en->id));
	if ((rc = step_done(s, st, e)) < 0)
		return rc;
	n = sqlite3_last_insert_rowid(s->db);
	if (head && (rc = set_head(s, en, e)) < 0)
		return rc;
	return obj ? materialize(s, n, en, obj, e) : 0;
}

/*
 * Records the proof that en's author signed en and kept at en's seq: 1,
 * or 0 when it is not recorded because a proof of that (author, seq) is
 * held already or the author has STORE_FORKS_PER_AUTHOR of them (more
 * would prove nothing new, and a member signing forks by the thousand
 * must not fill the disk). The signed header is the proof: the payload
 * is not kept, so a proof row is about 300 bytes.
 */
static int record_fork(struct store *s, const struct entry *en,
		       const uint8_t kept[ENTRY_ID_LEN], struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_FORKS_OF);
	sqlite3_int64 all = 0, here = 0;
	int rc;

	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)en->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		all = sqlite3_column_int64(st, 0);
		here = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, "cannot read forks");
	if (here > 0 || all >= STORE_FORKS_PER_AUTHOR)
		return 0;
	st = stmt(s, ST_INSERT_FORK);
	sqlite3_bind_blob(st, 1, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)en->seq);
	sqlite3_bind_blob(st, 4, kept, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, en->signed_bytes, ENTRY_SIGNED_LEN,
			  SQLITE_STATIC);
	sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)clock_wall_ms());
	return (rc = step_done(s, st, e)) < 0 ? rc : 1;
}

/*
 * Gives a held entry that lacks its payload the one a peer brought (its
 * length and hash checked against the header already): the row gets it
 * and the view the rows it would have had, as if it came whole.
 */
static int repair(struct store *s, const struct held *h,
		  const struct entry *en, const void *payload, size_t plen,
		  json_t *obj, struct err *e)
{
	sqlite3_stmt *st = stmt(s, ST_REPAIR);
	int rc;

	sqlite3_bind_blob(st, 1, plen ? payload : "", (int)plen, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, obj == NULL);
	sqlite3_bind_int64(st, 3, h->n);
	if ((rc = step_done(s, st, e)) < 0)
		return rc;
	return obj ? materialize(s, h->n, en, obj, e) : 0;
}

/* Opens a transaction of our own unless a batch is open. */
static int tx_begin(struct store *s, int *own, struct err *e)
{
	*own = !s->in_batch;
	if (s->batch_failed)
		return err_set(e, s->batch_failed, "batch was rolled back "
			       "after a failed write (%s): end it first",
			       err_str(s->batch_failed));
	return *own ? exec(s, "BEGIN IMMEDIATE", e) : 0;
}

static int tx_end(struct store *s, int own, int rc, struct err *e)
{
	if (rc < 0 && rc != STOA_EPROTO && rc != STOA_ECRYPTO &&
	    rc != STOA_ESEQ && rc != STOA_EINVAL) {
		/* A write failed (disk full, I/O): nothing of the open
		 * transaction may be half-visible. A batch stays open but
		 * failed, so its caller learns at store_commit that none of
		 * it was stored, and later writes do not slip out of it. */
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		if (!own)
			s->batch_failed = rc;
		return rc;
	}
	if (own) {
		if (rc < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			rc = db_fail(s, e, "cannot commit");
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		}
	}
	return rc;
}

/*
 * The checks of store_ingest, in order of cost: chain position first
 * (cheap), then the signature, then the payload. Nothing is written
 * before every check passed.
 */
static int ingest(struct store *s, const struct entry *en,
		  const void *payload, size_t plen, struct err *e)
{
	char a8[17];
	struct held held;
	struct head h;
	json_t *obj = NULL;
	int rc, cls;

	short_hex(en->author, a8);
	if ((rc = head_get(s, en->author, &h, e)) < 0)
		return rc;
	if (en->seq <= h.seq && (rc = id_at_seq(s, en, &held, e)) != 0) {
		if (rc < 0)
			return rc;
		if (bytes_equal(held.id, en->id, ENTRY_ID_LEN)) {
			if (!held.hole)
				return INGEST_DUPLICATE;
			/* held without its payload: this one, if it is the
			 * one signed, fills the hole */
			if ((rc = entry_check_payload(en, payload, plen, e)) < 0)
				return rc;
			cls = payload_validate(en->kind, payload, plen, &obj, e);
			if (cls < 0)
				return STOA_EPROTO;
			rc = repair(s, &held, en, payload, plen, obj, e);
			json_decref(obj);
			return rc < 0 ? rc : INGEST_REPAIRED;
		}
		/* Same author and seq, another entry: a fork if the author
		 * really signed it. Keep the first, record the proof. */
		if ((rc = entry_verify(en, e)) < 0)
			return rc;
		if ((rc = record_fork(s, en, held.id, e)) < 0)
			return rc;
		return rc ? INGEST_FORK : INGEST_FORK_KNOWN;
	}
	if (en->seq != h.seq + 1)
		return err_set(e, STOA_ESEQ,
			       "seq gap in feed %s: have %" PRIu64 ", got %" PRIu64,
			       a8, h.seq, en->seq);
	if (!bytes_equal(en->prev, h.id, ENTRY_ID_LEN))
		return err_set(e, STOA_ESEQ,
			       "entry %" PRIu64 " of %s does not link to entry %"
			       PRIu64, en->seq, a8, h.seq);
	if ((rc = entry_verify(en, e)) < 0)
		return rc;
	if ((rc = entry_check_payload(en, payload, plen, e)) < 0)
		return rc;
	cls = payload_validate(en->kind, payload, plen, &obj, e);
	if (cls < 0)
		return STOA_EPROTO; /* a rejection: e says why */
	rc = write_entry(s, en, payload, plen, obj, 1, e);
	json_decref(obj);
	return rc < 0 ? rc : INGEST_STORED;
}

int store_ingest(struct store *s, const uint8_t *signed_bytes, size_t len,
		 const void *payload, size_t plen, uint8_t *id_out,
		 struct err *e)
{
	struct entry en;
	int rc, own;

	if ((rc = entry_decode(&en, signed_bytes, len, e)) < 0)
		return rc;
	if (payload == NULL)
		return err_set(e, STOA_EPROTO, "entry %" PRIu64 " came without "
			       "its payload, and no erasure of it is known",
			       en.seq);
	if (plen > ENTRY_MAX_PAYLOAD)
		return err_set(e, STOA_EPROTO, "payload of %zu bytes exceeds %u",
			       plen, ENTRY_MAX_PAYLOAD);
	if ((rc = tx_begin(s, &own, e)) < 0)
		return rc;
	rc = ingest(s, &en, payload, plen, e);
	rc = tx_end(s, own, rc, e);
	if (rc >= 0 && id_out)
		memcpy(id_out, en.id, ENTRY_ID_LEN);
	return rc;
}

int store_append(struct store *s, const struct key *k, uint8_t kind,
		 const void *payload, size_t len, uint8_t *id_out,
		 struct err *e)
{
	struct entry en;
	struct head h;
	json_t *obj = NULL;
	uint64_t ts;
	int rc, own;

	/* a sealed key not unlocked would sign garbage that the checks
	 * below are skipped for */
	if (!key_has_secret(k))
		return err_set(e, STOA_EPERM, "the key is locked: cannot sign");
	rc = payload_validate(kind, payload, len, &obj, e);
	if (rc < 0)
		return rc;
	if (rc != PAYLOAD_VALID)
		return err_set(e, STOA_EINVAL, "refusing to write a %s entry "
			       "this version cannot read", entry_kind_name(kind));
	if ((rc = tx_begin(s, &own, e)) < 0) {
		json_decref(obj);
		return rc;
	}
	rc = head_get(s, k->pk, &h, e);
	if (rc == 0) {
		ts = clock_wall_ms();
		if (ts < h.ts)
			ts = h.ts; /* a feed's clock never runs backwards */
		rc = entry_create(&en, k, kind, h.seq + 1,
				  h.seq ? h.id : NULL, ts, payload, len, e);
	}
	/* Signed just now on top of the head read under the write lock:
	 * the ingest checks hold by construction. */
	if (rc == 0)
		rc = write_entry(s, &en, payload, len, obj, 1, e);
	json_decref(obj);
	rc = tx_end(s, own, rc, e);
	if (rc == 0 && id_out)
		memcpy(id_out, en.id, ENTRY_ID_LEN);
	return rc;
}

/*
 * store_append_batch: a signer thread validates each payload and signs
 * its entry on top of its author's head (a chain is signed in order: an
 * entry's prev is the id, hence the signature, of the one before), while
 * the calling thread writes the entries already signed. They share only
 * this struct, under mu: a ring of APPEND_RING signed entries (bounded
 * memory whatever n), and the counters made (signed so far) and taken
 * (written so far). The signer never touches SQLite.
 *
 * A payload's parsed object is freed by the signer that made it, when it
 * reuses the object's ring slot (or after the join): freed by the writer,
 * each of its blocks went back to the other thread's malloc arena under
 * that arena's lock, 7% of the writer's time (docs/benchmarks.md).
 */
#define APPEND_RING 256
#define APPEND_WAKE 32 /* entries signed before a waiting writer wakes */

struct signer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_new *v;
	size_t n;
	struct head *heads;   /* one per author of v, as read before */
	uint32_t *slot;       /* v[i]'s author: heads[slot[i]] */
	struct entry ring[APPEND_RING];
	json_t *objs[APPEND_RING];
	size_t made, taken;
	int failed;           /* the signer stopped at entry made: err says why */
	int stop;             /* the writer gave up */
	int waiting;          /* 1: the writer waits for made, 2: the signer
			       * waits for taken */
	size_t want;          /* the waiter is woken when the count it waits
			       * for reaches this: a batch per wake-up, not
			       * one entry per context switch */
	struct err err;       /* the signer's, read after the join */
};

static void *sign_loop(void *arg)
{
	struct signer *g = arg;
	size_t i;

	for (i = 0; i < g->n; i++) {
		struct store_new *x = &g->v[i];
		struct head *h = &g->heads[g->slot[i]];
		struct entry *en = &g->ring[i % APPEND_RING];
		json_t *obj = NULL, *used;
		uint64_t ts;
		int rc, stop;

		pthread_mutex_lock(&g->mu);
		while (!g->stop && i - g->taken >= APPEND_RING) {
			g->waiting = 2;
			g->want = i - APPEND_RING / 2 + 1;
			pthread_cond_wait(&g->cv, &g->mu);
		}
		stop = g->stop;
		/* the slot's last object, written (taken > i - APPEND_RING) */
		used = g->objs[i % APPEND_RING];
		g->objs[i % APPEND_RING] = NULL;
		pthread_mutex_unlock(&g->mu);
		json_decref(used);
		if (stop)
			break;
		rc = payload_validate(x->kind, x->payload, x->len, &obj, &g->err);
		if (rc >= 0 && rc != PAYLOAD_VALID)
			rc = err_set(&g->err, STOA_EINVAL, "refusing to write a "
				     "%s entry this version cannot read",
				     entry_kind_name(x->kind));
		if (rc >= 0) {
			ts = clock_wall_ms();
			if (ts < h->ts)
				ts = h->ts; /* a feed's clock never runs backwards */
			rc = entry_create(en, x->key, x->kind, h->seq + 1,
					  h->seq ? h->id : NULL, ts, x->payload,
					  x->len, &g->err);
		}
		pthread_mutex_lock(&g->mu);
		if (rc < 0) {
			json_decref(obj);
			g->failed = 1;
		} else {
			h->seq = en->seq;
			memcpy(h->id, en->id, ENTRY_ID_LEN);
			h->ts = en->timestamp;
			g->objs[i % APPEND_RING] = obj;
			g->made = i + 1;
		}
		if (g->waiting == 1 && (rc < 0 || g->made >= g->want)) {
			g->waiting = 0;
			pthread_cond_signal(&g->cv);
		}
		pthread_mutex_unlock(&g->mu);
		if (rc < 0)
			break;
	}
	return NULL;
}

/* Finds (or adds) the author of k in the open-addressed table of size
 * cap (a power of two > the number of authors); returns its index. */
static uint32_t author_slot(const struct key **tab, uint32_t *idx,
			    size_t cap, const struct key *k, uint32_t *count)
{
	uint64_t hv;
	size_t j;

	memcpy(&hv, k->pk, sizeof(hv));
	for (j = (size_t)hv & (cap - 1);; j = (j + 1) & (cap - 1)) {
		if (!tab[j]) {
			tab[j] = k;
			idx[j] = (*count)++;
			return idx[j];
		}
		if (tab[j] == k || memcmp(tab[j]->pk, k->pk, KEY_PUBLIC_LEN) == 0)
			return idx[j];
	}
}

int store_append_batch(struct store *s, struct store_new *v, size_t n,
		       struct err *e)
{
	struct signer *g;
	const struct key **tab = NULL, **first = NULL;
	uint32_t *idx = NULL, authors = 0, a;
	size_t i, cap = 16;
	pthread_t th;
	int rc = 0, own, started = 0;

	if (n == 0)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	g = calloc(1, sizeof(*g));
	if (g) {
		g->slot = malloc(n * sizeof(*g->slot));
		first = malloc(n * sizeof(*first));
		tab = calloc(cap, sizeof(*tab));
		idx = malloc(cap * sizeof(*idx));
	}
	if (!g || !g->slot || !first || !tab || !idx) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint32_t before = authors;

		g->slot[i] = author_slot(tab, idx, cap, v[i].key, &authors);
		if (authors != before)
			first[g->slot[i]] = v[i].key;
	}
	g->heads = calloc(authors, sizeof(*g->heads));
	if (!g->heads) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = tx_begin(s, &own, e)) < 0)
		goto out;
	if ((rc = exec(s, "SAVEPOINT append", e)) < 0)
		goto end;
	/* The heads are read under the write lock: the chains signed on
	 * top of them hold the ingest checks by construction. */
	for (a = 0; a < authors && rc == 0; a++)
		rc = head_get(s, first[a]->pk, &g->heads[a], e);
	if (rc < 0)
		goto undo;
	g->v = v;
	g->n = n;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if (pthread_create(&th, NULL, sign_loop, g) != 0) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		rc = err_set(e, STOA_ENOMEM, "cannot start the signer thread");
		goto undo;
	}
	started = 1;
	for (i = 0; i < n && rc == 0; i++) {
		struct entry *en = &g->ring[i % APPEND_RING];
		json_t *obj;
		int failed;

		pthread_mutex_lock(&g->mu);
		while (g->made <= i && !g->failed) {
			g->waiting = 1;
			g->want = i + APPEND_WAKE < n ? i + APPEND_WAKE : n;
			pthread_cond_wait(&g->cv, &g->mu);
		}
		failed = g->made <= i;
		obj = failed ? NULL : g->objs[i % APPEND_RING];
		pthread_mutex_unlock(&g->mu);
		if (failed) {
			rc = STOA_EINVAL; /* the signer's error, set below */
			break;
		}
		rc = write_entry(s, en, v[i].payload, v[i].len, obj, 0, e);
		memcpy(v[i].id, en->id, ENTRY_ID_LEN);
		pthread_mutex_lock(&g->mu);
		g->taken = i + 1;
		if (g->waiting == 2 && g->taken >= g->want) {
			g->waiting = 0;
			pthread_cond_signal(&g->cv);
		}
		pthread_mutex_unlock(&g->mu);
	}
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(th, NULL);
	if (rc == STOA_EINVAL && g->failed && g->made == i) /* stopped at i */
		rc = err_set(e, g->err.code, "entry %zu of the batch: %s", i,
			     g->err.msg);
	for (i = 0; i < APPEND_RING; i++) /* written or not */
		json_decref(g->objs[i]);
	/* Each feed's head moves once, to the last entry signed on it. */
	for (a = 0; a < authors && rc == 0; a++) {
		struct entry last;

		memcpy(last.author, first[a]->pk, KEY_PUBLIC_LEN);
		last.seq = g->heads[a].seq;
		memcpy(last.id, g->heads[a].id, ENTRY_ID_LEN);
		last.timestamp = g->heads[a].ts;
		rc = set_head(s, &last, e);
	}
undo:
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK TO append", NULL, NULL, NULL);
	sqlite3_exec(s->db, "RELEASE append", NULL, NULL, NULL);
end:
	rc = tx_end(s, own, rc, e);
out:
	if (started) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
	}
	if (g) {
		free(g->slot);
		free(g->heads);
	}
	free(g);
	free(first);
	free(tab);
	free(idx);
	return rc;
}

int store_head_time(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *ts, struct err *e)
{
	struct head h;
	int rc = head_get(s, author, &h, e);

	*ts = rc < 0 ? 0 : h.ts;
	return rc;
}

int store_head(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
	       uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	struct head h;
	int rc = head_get(s, author, &h, e);

	if (rc < 0)
		return rc;
	*seq = h.seq;
	if (id)
		memcpy(id, h.id, ENTRY_ID_LEN);
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
		return db_fail(s, e, "cannot look up");
	sqlite3_bind_blob(st, 1, lo, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hi, 32, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t tmp[32];

		if (!col_blob(st, 0, tmp, 32)) {
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
		return db_fail(s, e, "cannot look up");
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
		return db_fail(s, e, "cannot look up entry");
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (kind)
			*kind = (uint8_t)sqlite3_column_int(st, 0);
		if (author && !col_blob(st, 1, author, KEY_PUBLIC_LEN))
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
		return db_fail(s, e, "cannot look up member");
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!col_blob(st, 0, by_name, KEY_PUBLIC_LEN)) {
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
static int col_blob(sqlite3_stmt *st, int col, uint8_t *out, int len)
{
	if (sqlite3_column_bytes(st, col) != len)
		return 0;
	memcpy(out, sqlite3_column_blob(st, col), (size_t)len);
	return 1;
}

static void problem(void (*cb)(const struct verify_problem *, void *),
		    void *arg, uint64_t *count, const uint8_t *author,
		    uint64_t seq, const char *what)
{
	struct verify_problem p = { author, seq, what };

	(*count)++;
	if (cb)
		cb(&p, arg);
}

/* Checks every recorded fork proof: two valid signatures, same slot. */
static int verify_forks(struct store *s,
			void (*cb)(const struct verify_problem *, void *),
			void *arg, uint64_t *problems, struct err *e)
{
	sqlite3_stmt *st;
	struct entry en;
	struct err pe;
	char msg[ERR_MSG_MAX + 64], a8[17], k8[17], o8[17];
	uint8_t kept[ENTRY_ID_LEN];
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT signed, kept FROM forks "
			       "ORDER BY author, seq, id", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot read forks");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err_clear(&pe);
		if (entry_decode(&en, sqlite3_column_blob(st, 0),
				 (size_t)sqlite3_column_bytes(st, 0), &pe) < 0 ||
		    entry_verify(&en, &pe) < 0 || !col_blob(st, 1, kept, 32)) {
			snprintf(msg, sizeof(msg), "damaged fork record: %s",
				 pe.msg[0] ? pe.msg : "bad kept id");
			problem(cb, arg, problems, NULL, 0, msg);
			continue;
		}
		short_hex(en.author, a8);
		short_hex(kept, k8);
		short_hex(en.id, o8);
		snprintf(msg, sizeof(msg), "fork: member %s signed two entries "
			 "at seq %" PRIu64 " (kept %s, other %s)", a8, en.seq,
			 k8, o8);
		problem(cb, arg, problems, en.author, en.seq, msg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, "cannot read forks");
	return 0;
}

int store_verify(struct store *s,
		 void (*cb)(const struct verify_problem *p, void *arg),
		 void *arg, uint64_t *entries, uint64_t *problems,
		 struct err *e)
{
	sqlite3_stmt *st;
	struct entry en;
	struct err pe;
	uint8_t author[KEY_PUBLIC_LEN], prev_author[KEY_PUBLIC_LEN] = { 0 };
	uint8_t prev_id[ENTRY_ID_LEN] = { 0 }, id[ENTRY_ID_LEN];
	uint64_t seq, prev_seq = 0;
	char msg[ERR_MSG_MAX + 64];
	int rc, have_prev = 0;

	*entries = 0;
	*problems = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT author, seq, id, signed, payload,"
			       " kind, ts, idk FROM entries ORDER BY author, seq",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot read entries");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *payload = sqlite3_column_blob(st, 4);
		size_t plen = (size_t)sqlite3_column_bytes(st, 4);
		int erased = sqlite3_column_type(st, 4) == SQLITE_NULL;

		(*entries)++;
		seq = (uint64_t)sqlite3_column_int64(st, 1);
		err_clear(&pe);
		if (!col_blob(st, 0, author, KEY_PUBLIC_LEN) ||
		    !col_blob(st, 2, id, ENTRY_ID_LEN)) {
			problem(cb, arg, problems, NULL, seq,
				"entry row with a damaged author or id");
			continue;
		}
		if (!have_prev || memcmp(author, prev_author, KEY_PUBLIC_LEN)) {
			memcpy(prev_author, author, KEY_PUBLIC_LEN);
			memset(prev_id, 0, sizeof(prev_id));
			prev_seq = 0;
			have_prev = 1;
		}
		if (entry_decode(&en, sqlite3_column_blob(st, 3),
				 (size_t)sqlite3_column_bytes(st, 3), &pe) < 0 ||
		    entry_verify(&en, &pe) < 0 ||
		    (!erased && entry_check_payload(&en, payload ? payload : "",
						    plen, &pe) < 0)) {
			problem(cb, arg, problems, author, seq, pe.msg);
		} else if (erased) {
			/* no erasure is allowed yet: a payload a relay
			 * stripped, asked for again at every sync */
			snprintf(msg, sizeof(msg), "entry %" PRIu64 " is held "
				 "without its payload (asked for again from "
				 "peers at each sync)", seq);
			problem(cb, arg, problems, author, seq, msg);
		} else if (!bytes_equal(en.id, id, ENTRY_ID_LEN) ||
			   memcmp(en.author, author, KEY_PUBLIC_LEN) ||
			   en.seq != seq ||
			   en.kind != sqlite3_column_int(st, 5) ||
			   en.timestamp != (uint64_t)sqlite3_column_int64(st, 6)) {
			problem(cb, arg, problems, author, seq,
				"entry row does not match its signed bytes");
		} else if (sqlite3_column_int64(st, 7) != id_key(id)) {
			/* the entry is sound but cannot be found by its id */
			problem(cb, arg, problems, author, seq,
				"entry row's id key (idk) does not match its id");
		} else if (seq != prev_seq + 1) {
			snprintf(msg, sizeof(msg), "seq gap: entry %" PRIu64
				 " follows entry %" PRIu64, seq, prev_seq);
			problem(cb, arg, problems, author, seq, msg);
		} else if (!bytes_equal(en.prev, prev_id, ENTRY_ID_LEN)) {
			snprintf(msg, sizeof(msg), "entry %" PRIu64 " does not "
				 "link to entry %" PRIu64, seq, prev_seq);
			problem(cb, arg, problems, author, seq, msg);
		}
		memcpy(prev_id, id, ENTRY_ID_LEN);
		prev_seq = seq;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, e, "cannot read entries");
	rc = sqlite3_exec(s->db, "INSERT INTO posts_fts(posts_fts) "
			  "VALUES ('integrity-check')", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_CORRUPT)
		problem(cb, arg, problems, NULL, 0,
			"full-text index does not match the posts: run 'stoa reindex'");
	else if (rc != SQLITE_OK)
		return db_fail(s, e, "cannot check the full-text index");
	return verify_forks(s, cb, arg, problems, e);
}

int store_reindex(struct store *s, uint64_t *entries, struct err *e)
{
	char sql[64];
	sqlite3_stmt *st = NULL;
	struct entry en;
	struct err pe;
	size_t i;
	int rc, own;

	*entries = 0;
	if ((rc = tx_begin(s, &own, e)) < 0)
		return rc;
	for (i = 0; i < sizeof(view_tables) / sizeof(view_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
			 view_tables[i]);
		if ((rc = exec(s, sql, e)) < 0)
			goto out;
	}
	if ((rc = exec(s, schema_view, e)) < 0 ||
	    (rc = exec(s, "DELETE FROM feeds;"
		       "INSERT INTO feeds(author, seq, head, ts)"
		       " SELECT author, seq, id, ts FROM entries AS x WHERE seq ="
		       " (SELECT max(seq) FROM entries WHERE author = x.author);",
		       e)) < 0)
		goto out;
	/* The prepared view statements point at the dropped tables;
	 * SQLite re-prepares them on their next step. */
	if (sqlite3_prepare_v2(s->db, "SELECT n, signed, payload FROM entries "
			       "WHERE payload IS NOT NULL ORDER BY n",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = db_fail(s, e, "cannot read entries");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *obj = NULL;

		err_clear(&pe);
		(*entries)++;
		/* Only a payload that is the signed one is materialized (a
		 * changed one is named by store_verify); signatures are not
		 * re-checked here: that is verify's slower job. */
		if (entry_decode(&en, sqlite3_column_blob(st, 1),
				 (size_t)sqlite3_column_bytes(st, 1), &pe) < 0 ||
		    entry_check_payload(&en, sqlite3_column_blob(st, 2),
					(size_t)sqlite3_column_bytes(st, 2), &pe) < 0 ||
		    payload_validate(en.kind, sqlite3_column_blob(st, 2),
				     (size_t)sqlite3_column_bytes(st, 2), &obj,
				     &pe) != PAYLOAD_VALID) {
			json_decref(obj);
			continue; /* store_verify names these */
		}
		rc = materialize(s, sqlite3_column_int64(st, 0), &en, obj, e);
		json_decref(obj);
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(s, e, "cannot read entries");
out:
	sqlite3_finalize(st);
	return tx_end(s, own, rc, e);
}

/*
 * The canonical dump: one query per view table, every column through
 * quote(), rows ordered by a key that does not depend on arrival. The
 * local arrival number (entry) never appears; the FTS index is dumped
 * through its vocabulary (term, documents, occurrences).
 */
static const char *const dump_sql[] = {
	"SELECT 'profile', quote(author), quote(name), quote(role), quote(bio),"
	" ts, quote(id) FROM profiles ORDER BY author",
	"SELECT 'post', quote(id), quote(author), ts, quote(topic), quote(title),"
	" quote(body), quote(reply_to) FROM posts ORDER BY id",
	"SELECT 'term', quote(term), doc, cnt FROM posts_vocab ORDER BY term",
	"SELECT 'feedback', quote(e.id), quote(v.author), v.ts, quote(target),"
	" quote(rating), helpful, quote(comment) FROM feedback AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
	"SELECT 'ask', quote(id), quote(author), ts, kind, quote(topic),"
	" quote(note) FROM asks ORDER BY id",
	"SELECT 'pairing', quote(id), quote(author), ts, quote(target)"
	" FROM pairings ORDER BY id",
	"SELECT 'session', quote(e.id), quote(v.author), v.ts, quote(pairing),"
	" minutes, quote(notes), quote(goals), quote(progress) FROM sessions AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
	"SELECT 'close', quote(e.id), quote(v.author), v.ts, quote(pairing),"
	" quote(reason) FROM closes AS v JOIN entries AS e ON e.n = v.entry"
	" ORDER BY e.id",
	"SELECT 'kudos', quote(e.id), quote(v.author), v.ts, quote(recipient),"
	" quote(badge), quote(reason) FROM kudos AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
};

#define DUMP_CHUNK (64 * 1024)

/* Chained digest: d = BLAKE2b(d || chunk), chunk boundaries by size. */
static int dump_flush(struct buf *b, FILE *f, uint8_t d[HASH_LEN])
{
	if (f && b->len && fwrite(b->data, 1, b->len, f) != b->len)
		return STOA_EIO;
	hash_blake2b2(d, d, HASH_LEN, b->data ? b->data : (uint8_t *)"",
		      b->len);
	buf_reset(b);
	return 0;
}

int store_dump_view(struct store *s, FILE *f, uint8_t digest[HASH_LEN],
		    struct err *e)
{
	uint8_t d[HASH_LEN] = { 0 };
	struct buf b;
	sqlite3_stmt *st;
	size_t i;
	int c, rc = 0;

	if ((rc = exec(s, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.posts_vocab "
		       "USING fts5vocab(main, posts_fts, 'row')", e)) < 0)
		return rc;
	buf_init(&b, 2 * DUMP_CHUNK + 4 * ENTRY_MAX_PAYLOAD);
	for (i = 0; rc == 0 && i < sizeof(dump_sql) / sizeof(dump_sql[0]); i++) {
		if (sqlite3_prepare_v2(s->db, dump_sql[i], -1, &st, NULL) != SQLITE_OK) {
			buf_release(&b);
			return db_fail(s, e, "cannot dump view");
		}
		while (rc == 0 && (c = sqlite3_step(st)) == SQLITE_ROW) {
			int col, n = sqlite3_column_count(st);

			for (col = 0; rc == 0 && col < n; col++) {
				const unsigned char *t = sqlite3_column_text(st, col);

				rc = buf_append(&b, t ? (const char *)t : "NULL",
						t ? (size_t)sqlite3_column_bytes(st, col) : 4);
				if (rc == 0)
					rc = buf_append(&b, col + 1 < n ? "|" : "\n", 1);
			}
			if (rc == 0 && b.len >= DUMP_CHUNK)
				rc = dump_flush(&b, f, d);
		}
		if (rc == 0 && c != SQLITE_DONE)
			rc = db_fail(s, e, "cannot dump view");
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = dump_flush(&b, f, d);
	buf_release(&b);
	if (rc < 0)
		return err_set(e, rc, "cannot dump view");
	if (digest)
		memcpy(digest, d, HASH_LEN);
	return 0;
}

static int count(struct store *s, const char *sql, uint64_t *out,
		 struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot count");
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(s, e, "cannot count");
	return 0;
}

int store_stats(struct store *s, struct store_stats *st, struct err *e)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = count(s, "SELECT count(*) FROM feeds", &st->authors, e)) < 0 ||
	    (rc = count(s, "SELECT count(*) FROM forks", &st->forks, e)) < 0)
		return rc;
	/* Feeds are contiguous from seq 1, so this counts every entry
	 * without a scan of the entries table. */
	return count(s, "SELECT coalesce(sum(seq), 0) FROM feeds", &st->entries, e);
}

/*
 * A run is checked while it is written, inside a savepoint: the chain is
 * followed entry by entry, and the one signature that authenticates it
 * (the last new entry's) is verified at the end; if anything fails, the
 * savepoint is rolled back and the store (and any open batch) is as it
 * was before the run.
 */
/*
 * How many entries of the run to take: all of them when the last new
 * entry's own signature is good (the usual case: one verification). When
 * it is not, the run is cut after the newest new entry whose own signature
 * is good, which still authenticates the chain below it: an author who
 * signed a chain with a bad signature in its middle cannot make a relay
 * whose run happens to end there look like a forger. Returns 0 (nothing
 * new), the count to take, or STOA_ECRYPTO when no new entry is signed.
 */
static long run_cut(struct store *s, const struct msg_run_entry *v, size_t n,
		    struct err *e)
{
	struct entry en;
	uint64_t have = 0;
	size_t i, first_new = n;
	long j;

	for (i = 0; i < n; i++) {
		if (entry_decode(&en, v[i].signed_bytes, ENTRY_SIGNED_LEN, NULL) < 0)
			return (long)n; /* the write loop names it */
		if (i == 0 && store_head(s, en.author, &have, NULL, NULL) < 0)
			return (long)n;
		if (en.seq > have) {
			first_new = i;
			break;
		}
	}
	if (first_new == n)
		return (long)n;
	for (j = (long)n - 1; j >= (long)first_new; j--) {
		if (entry_decode(&en, v[j].signed_bytes, ENTRY_SIGNED_LEN, NULL) < 0)
			return (long)n;
		if (entry_verify(&en, j == (long)n - 1 ? e : NULL) == 0)
			return j + 1;
	}
	return STOA_ECRYPTO;
}

int store_ingest_run(struct store *s, const struct msg_run_entry *v,
		     size_t n, uint32_t *stored, uint32_t *repaired,
		     struct err *e)
{
	uint8_t author[KEY_PUBLIC_LEN];
	struct entry en, *ens = NULL;
	struct held *fix = NULL;
	json_t **objs = NULL;
	struct head h;
	uint64_t first = 0;
	char a8[17];
	size_t i, w0 = 0, w1 = 0;
	long cut;
	int rc = 0, own, forked = 0, diverged = 0, nfix = 0;

	*stored = 0;
	if (repaired)
		*repaired = 0;
	if (n == 0)
		return 0;
	if (n > MSG_RUN_MAX)
		return err_set(e, STOA_EPROTO, "run of %zu entries exceeds %d", n,
			       MSG_RUN_MAX);
	ens = malloc(n * sizeof(*ens));
	objs = calloc(n, sizeof(*objs));
	fix = calloc(n, sizeof(*fix));
	if (!ens || !objs || !fix) {
		free(ens);
		free(objs);
		free(fix);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	if ((rc = tx_begin(s, &own, e)) < 0)
		goto out;
	cut = run_cut(s, v, n, e);
	if (cut < 0) {
		rc = (int)cut;
		goto end;
	}
	if ((size_t)cut < n) {
		err_clear(e); /* the cut is not an error: a shorter run */
		n = (size_t)cut;
	}
	/*
	 * Every check of the whole run comes before its first write, so a
	 * rejected run leaves the store as it was without a savepoint (an
	 * FTS5 savepoint flushes its pending terms into a new segment, which
	 * cost a tenth of a cold sync). The entries to write are [w0, w1).
	 */
	for (i = 0; i < n; i++) {
		int cls = PAYLOAD_OPAQUE;

		if ((rc = entry_decode(&en, v[i].signed_bytes, ENTRY_SIGNED_LEN, e)) < 0)
			break;
		if (i == 0) {
			memcpy(author, en.author, KEY_PUBLIC_LEN);
			short_hex(author, a8);
			if ((rc = head_get(s, author, &h, e)) < 0)
				break;
			first = en.seq;
		} else if (memcmp(en.author, author, KEY_PUBLIC_LEN) != 0 ||
			   en.seq != first + i) {
			rc = err_set(e, STOA_EPROTO, "run entry %zu is not the "
				     "next entry of the same feed", i);
			break;
		}
		if (!v[i].payload) {
			/* "erased": only an erasure the rules allow may
			 * leave an entry without its payload, and there is
			 * none yet; a relay that strips payloads would
			 * otherwise take them from every node it reaches */
			rc = err_set(e, STOA_EPROTO, "entry %" PRIu64 " of %s "
				     "came without its payload (marked erased), "
				     "and no erasure of it is known", en.seq, a8);
			break;
		}
		if (en.seq <= h.seq) {
			/* already held: the same entry, or a fork; entries
			 * are in seq order, so nothing new comes before */
			struct held hd;

			if ((rc = id_at_seq(s, &en, &hd, e)) < 0)
				break;
			if (rc == 1 && bytes_equal(hd.id, en.id, ENTRY_ID_LEN)) {
				rc = 0;
				w0 = i + 1;
				if (!hd.hole)
					continue;
				/* held without its payload: this one fills
				 * the hole if it is the one signed */
				if ((rc = entry_check_payload(&en, v[i].payload,
							      v[i].plen, e)) < 0)
					break;
				if (payload_validate(en.kind, v[i].payload,
						     v[i].plen, &objs[i], e) < 0) {
					rc = STOA_EPROTO;
					break;
				}
				ens[i] = en;
				fix[i] = hd;
				nfix++;
				continue;
			}
			if (rc == 1 && entry_verify(&en, NULL) == 0) {
				rc = record_fork(s, &en, hd.id, e);
				if (rc >= 0) {
					forked = rc ? 1 : 2;
					rc = 0;
				}
				break; /* what follows builds on the other side */
			}
			rc = err_set(e, STOA_ECRYPTO, "entry %" PRIu64 " of %s "
				     "differs from the one held and is not "
				     "signed by its author", en.seq, a8);
			break;
		}
		if (en.seq != h.seq + 1) {
			rc = err_set(e, STOA_ESEQ, "seq gap in feed %s: have %"
				     PRIu64 ", got %" PRIu64, a8, h.seq, en.seq);
			break;
		}
		if (!bytes_equal(en.prev, h.id, ENTRY_ID_LEN)) {
			/* Signed by its author, it shows the feed went two
			 * ways after the entry we hold: a fork, not the
			 * relay's doing. Otherwise it is a forgery. */
			if (i == w0 && entry_verify(&en, NULL) == 0) {
				diverged = 1;
				break;
			}
			rc = err_set(e, STOA_ESEQ, "entry %" PRIu64 " of %s does "
				     "not link to entry %" PRIu64, en.seq, a8, h.seq);
			break;
		}
		if ((rc = entry_check_payload(&en, v[i].payload, v[i].plen,
					      e)) < 0)
			break;
		cls = payload_validate(en.kind, v[i].payload, v[i].plen,
				       &objs[i], e);
		if (cls < 0) {
			rc = STOA_EPROTO;
			break;
		}
		if (cls != PAYLOAD_VALID) {
			json_decref(objs[i]);
			objs[i] = NULL;
		}
		ens[i] = en;
		w1 = i + 1;
		h.seq = en.seq;
		memcpy(h.id, en.id, ENTRY_ID_LEN);
	}
	/* One verification for the chain, done by run_cut: the last entry
	 * taken signs its prev, the hash of the one before, down to the
	 * stored head. A loop that stopped early with rc 0 (a fork) wrote
	 * nothing new; one that stopped with an error writes nothing. */
	if (rc < 0 || forked || diverged)
		w1 = w0;
	for (i = 0; rc >= 0 && nfix > 0 && i < w0; i++) {
		if (!fix[i].n)
			continue;
		rc = repair(s, &fix[i], &ens[i], v[i].payload, v[i].plen,
			    objs[i], e);
		if (rc == 0 && repaired)
			(*repaired)++;
	}
	for (i = w0; rc >= 0 && i < w1; i++) {
		rc = write_entry(s, &ens[i], v[i].payload, v[i].plen, objs[i],
				 0, e);
		if (rc == 0)
			(*stored)++;
	}
	if (rc >= 0 && w1 > w0)
		rc = set_head(s, &ens[w1 - 1], e);
end:
	rc = tx_end(s, own, rc < 0 ? rc : 0, e);
	if (rc < 0) {
		*stored = 0;
		if (repaired)
			*repaired = 0;
	}
	if (rc == 0 && diverged) {
		err_set(e, STOA_EFORK, "fork in feed %s: the entry after %" PRIu64
			" held here is signed on another history", a8, h.seq);
		/* nothing to record, but not evidence seen before either:
		 * an honest relay of the other branch sends it each time it
		 * is asked, and late answers after a restart come unasked */
		rc = INGEST_FORK;
	} else if (rc == 0 && forked == 1) {
		err_set(e, STOA_EFORK, "fork in feed %s: its author signed two "
			"entries at seq %" PRIu64 " (proof recorded, the first "
			"kept)", a8, en.seq);
		rc = INGEST_FORK;
	} else if (rc == 0 && forked == 2) {
		err_set(e, STOA_EFORK, "fork in feed %s at seq %" PRIu64 ": "
			"proven already, not recorded again", a8, en.seq);
		rc = INGEST_FORK_KNOWN;
	}
out:
	for (i = 0; i < n; i++)
		json_decref(objs[i]);
	free(objs);
	free(ens);
	free(fix);
	return rc;
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
			       " (author = ?1 AND seq > ?2))"
			       " ORDER BY author, seq LIMIT ?3", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot read entries");
	sqlite3_bind_blob(st, 1, after, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after_seq);
	sqlite3_bind_int(st, 3, MSG_RUN_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq = (uint64_t)sqlite3_column_int64(st, 1);
		if (!found) {
			if (!col_blob(st, 0, author, KEY_PUBLIC_LEN)) {
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
		   int (*cb)(const struct msg_head *h, void *arg), void *arg,
		   struct err *e)
{
	sqlite3_stmt *st;
	struct msg_head h;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT author, seq, head FROM feeds "
			       "ORDER BY author", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot read feeds");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!col_blob(st, 0, h.author, KEY_PUBLIC_LEN) ||
		    !col_blob(st, 2, h.id, ENTRY_ID_LEN)) {
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

struct digest_acc {
	uint8_t d[HASH_LEN];
	struct buf b;
	uint32_t feeds;
};

static int digest_add(const struct msg_head *h, void *arg)
{
	struct digest_acc *a = arg;

	a->feeds++;
	if (buf_append(&a->b, h->author, KEY_PUBLIC_LEN) < 0 ||
	    buf_put_u64(&a->b, h->seq) < 0 ||
	    buf_append(&a->b, h->id, ENTRY_ID_LEN) < 0)
		return 1;
	if (a->b.len >= DUMP_CHUNK)
		dump_flush(&a->b, NULL, a->d);
	return 0;
}

int store_frontier_digest(struct store *s, uint8_t digest[HASH_LEN],
			  uint32_t *feeds, struct err *e)
{
	struct digest_acc a;
	int rc;

	memset(a.d, 0, sizeof(a.d));
	a.feeds = 0;
	buf_init(&a.b, DUMP_CHUNK + MSG_TRIPLE_LEN);
	rc = store_frontier(s, digest_add, &a, e);
	if (rc == 0)
		dump_flush(&a.b, NULL, a.d);
	buf_release(&a.b);
	if (rc < 0)
		return rc;
	memcpy(digest, a.d, HASH_LEN);
	*feeds = a.feeds;
	return 0;
}

int store_read_run(struct store *s, struct buf *b,
		   const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		   uint32_t max, struct err *e)
{
	sqlite3_stmt *st;
	size_t bytes = 0;
	int rc;

	if (max > MSG_RUN_MAX)
		max = MSG_RUN_MAX;
	if (from > ENTRY_MAX_SEQ)
		from = ENTRY_MAX_SEQ;
	if ((rc = msg_entries_begin(b, author, from)) < 0)
		return err_set(e, rc, "cannot build a run");
	if (sqlite3_prepare_v2(s->db, "SELECT signed, payload FROM entries "
			       "WHERE author = ?1 AND seq >= ?2 ORDER BY seq "
			       "LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, e, "cannot read feed");
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int(st, 3, (int)max);
	while (bytes < MSG_RUN_BYTES && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t plen = (size_t)sqlite3_column_bytes(st, 1);
		const void *p;

		/* an entry held without its payload is not passed on as
		 * "erased": the run stops before it (a peer that has the
		 * payload serves the rest) */
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			break;
		if (sqlite3_column_bytes(st, 0) != ENTRY_SIGNED_LEN ||
		    plen > ENTRY_MAX_PAYLOAD) {
			rc = SQLITE_CORRUPT;
			break;
		}
		/* SQLite gives NULL for an empty blob */
		p = sqlite3_column_blob(st, 1);
		if (msg_entries_add(b, sqlite3_column_blob(st, 0), p ? p : "",
				    (uint32_t)plen) < 0)
			break; /* the frame is full: the rest next time */
		bytes += ENTRY_SIGNED_LEN + plen;
	}
	sqlite3_finalize(st);
	msg_entries_end(b);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot read feed: %s",
			       rc == SQLITE_CORRUPT ? "damaged row"
						    : sqlite3_errmsg(s->db));
	return 0;
}
