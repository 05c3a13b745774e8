/*
 * schema: the store's tables and indexes, and the upgrades from older
 * schema versions (docs/formats.md §7 has them column by column).
 *
 * A new file gets the whole schema in one transaction; an existing file of
 * the current version is opened without any write, so opening never takes
 * the write lock; an older one is upgraded in one transaction on its
 * first read-write open (or refused with STOA_EOLD where the caller asked
 * to say so first); a newer one is refused, never altered. The view's
 * tables are made here too, and dropped here for store_reindex. This
 * module never prints or logs.
 */
#include <inttypes.h>
#include <stdio.h>

#include "store_int.h"

/*
 * The truth: never dropped. An entry is found by id through idk, the
 * first four bytes of the id as a big-endian integer (store_id_key): an
 * index of small integers instead of 32-byte blobs, a third of the size,
 * so it stays in the page cache of a store of a million entries, where
 * each insert into the blob index cost a page read and a page write (half
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

/* What this node saw of its peers (schema 4): when it last met each
 * node, and how far that node held the feeds of the governance records'
 * authors, for `stoa governance`'s spread. Local knowledge: never sent,
 * not part of the view, kept by reindex. */
#define SCHEMA_PEERS                                                      \
	"CREATE TABLE IF NOT EXISTS peers_met("                            \
	"  node BLOB PRIMARY KEY, last_seen INTEGER NOT NULL)"             \
	"  WITHOUT ROWID;"                                                 \
	"CREATE TABLE IF NOT EXISTS peer_heads("                           \
	"  node BLOB NOT NULL, author BLOB NOT NULL, seq INTEGER NOT NULL," \
	"  PRIMARY KEY(node, author)) WITHOUT ROWID;"                      \
	SCHEMA_RECEIVED

/* When this node last stored an entry of each feed, by its own clock
 * (schema 5): how fresh its picture of each member is, for stats. Local
 * knowledge like peers_met: never sent, kept by reindex. */
#define SCHEMA_RECEIVED                                                   \
	"CREATE TABLE IF NOT EXISTS feeds_received("                       \
	"  author BLOB PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;"

/* The replies by question, with who wrote them, when, and their ids
 * (schema 5): the thread walk finds a post's replies here, and stats each
 * question's first answers (and the helpful marks on them) from the index
 * alone. */
#define POSTS_REPLY_INDEX                                                  \
	"CREATE INDEX IF NOT EXISTS posts_reply"                           \
	"  ON posts(reply_to, author, ts, id) WHERE reply_to IS NOT NULL;"

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
	"  seen INTEGER NOT NULL) WITHOUT ROWID;"
	SCHEMA_PEERS;

/* The view: dropped and rebuilt by store_reindex; materialize.c writes
 * it, view.c reads it. */
static const char *const view_tables[] = {
	"profiles", "posts_fts", "posts", "feedback", "asks", "pairings",
	"sessions", "closes", "kudos", "gov", "gov_members", "gov_hidden",
	"gov_erased",
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
	POSTS_REPLY_INDEX
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
	"CREATE INDEX IF NOT EXISTS kudos_recipient ON kudos(recipient, badge);"
	/* governance: one row per record (effect: what the rules made of
	 * it, gov_effect_name), and the state the rules resolved */
	"CREATE TABLE IF NOT EXISTS gov("
	"  entry INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
	"  author BLOB NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL, target BLOB NOT NULL, role TEXT,"
	"  anchor INTEGER, replaces TEXT, reason TEXT, category TEXT,"
	"  sealed TEXT, effect TEXT);"
	"CREATE INDEX IF NOT EXISTS gov_target ON gov(target);"
	"CREATE TABLE IF NOT EXISTS gov_members("
	"  member BLOB PRIMARY KEY, role TEXT NOT NULL, role_by BLOB,"
	"  removed INTEGER NOT NULL, cut INTEGER, removed_by BLOB)"
	"  WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS gov_hidden("
	"  target BLOB PRIMARY KEY, by BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS gov_erased("
	"  target BLOB PRIMARY KEY, by BLOB NOT NULL) WITHOUT ROWID;";

int schema_view_create(struct store *s, struct err *e)
{
	return store_exec(s, schema_view, e);
}

int schema_view_drop(struct store *s, struct err *e)
{
	char sql[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(view_tables) / sizeof(view_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s",
			 view_tables[i]);
		if ((rc = store_exec(s, sql, e)) < 0)
			return rc;
	}
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
 * lock); an older one is migrated by schema_migrate; any other version
 * (a newer stoa's) is refused, never altered. Returns the file's version
 * (STORE_SCHEMA_VERSION once created), or a negative STOA_E*.
 */
static int schema_ensure(struct store *s, int flags, struct err *e)
{
	char sql[96];
	int rc, version = schema_version(s);

	if (version >= 1 && version <= STORE_SCHEMA_VERSION)
		return version; /* older: schema_open calls schema_migrate */
	if (version != -1)
		return err_set(e, STOA_EPROTO, "store schema %d is not %d: this "
			       "stoa is too old for it", version,
			       STORE_SCHEMA_VERSION);
	if (!(flags & STORE_CREATE))
		return err_set(e, STOA_EPROTO, "store has no schema");
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO meta VALUES "
		 "('schema', %d)", STORE_SCHEMA_VERSION);
	if ((rc = store_exec(s, "BEGIN IMMEDIATE", e)) < 0)
		return rc;
	if ((rc = store_exec(s, schema_entries, e)) < 0 ||
	    (rc = store_exec(s, schema_view, e)) < 0 ||
	    (rc = store_exec(s, sql, e)) < 0 ||
	    (rc = store_exec(s, "COMMIT", e)) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return STORE_SCHEMA_VERSION;
}

/*
 * From version 4 (no feeds_received, posts_reply on reply_to alone): the
 * table is made and the index made again; the view is kept.
 * From version 3 (no governance): the view is rebuilt (store_reindex),
 * which makes the governance tables and materializes the records of
 * kinds 10..15 an older stoa stored opaque.
 * From version 2 (no entries_hole index): the index is made, then as 3.
 * From version 1 (id in a UNIQUE blob index, posts_fts with positions):
 * the entries table is copied into the current layout (same rows, same
 * arrival numbers, idk computed), then as 3.
 * All in one transaction that also records the new version: a crash or a
 * full disk leaves the old file as it was. A concurrent opener that
 * migrated first leaves nothing to do. The statements are prepared
 * before the reindex (they name the new columns).
 */
static int schema_migrate(struct store *s, struct err *e)
{
	char sql[96];
	uint64_t n;
	int rc = 0, version;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = %d WHERE "
		 "key = 'schema'", STORE_SCHEMA_VERSION);
	version = schema_version(s);
	if (version == 1)
		rc = store_exec(s, "CREATE TABLE entries_v2" ENTRIES_COLUMNS ";"
				"INSERT INTO entries_v2(n, id, author, seq,"
				" kind, ts, signed, payload, opaque, idk)"
				" SELECT n, id, author, seq, kind, ts,"
				" signed, payload, opaque,"
				" coalesce(stoa_idk(id), 0)"
				" FROM entries ORDER BY n;"
				"DROP TABLE entries;"
				"ALTER TABLE entries_v2 RENAME TO entries;"
				ENTRIES_INDEX, e);
	else if (version == 2)
		rc = store_exec(s, ENTRIES_HOLE_INDEX, e);
	if (rc == 0 && version < 4 &&
	    (rc = store_exec(s, SCHEMA_PEERS, e)) == 0 &&
	    (rc = schema_view_create(s, e)) == 0 &&
	    (rc = store_prepare(s, e)) == 0 &&
	    (rc = store_reindex(s, &n, e)) == 0)
		rc = store_exec(s, sql, e);
	else if (rc == 0 && version == 4 &&
		 (rc = store_exec(s, "DROP INDEX IF EXISTS posts_reply;"
				  POSTS_REPLY_INDEX SCHEMA_RECEIVED, e)) == 0 &&
		 (rc = store_prepare(s, e)) == 0)
		rc = store_exec(s, sql, e);
	else if (rc == 0 && version == STORE_SCHEMA_VERSION)
		rc = store_prepare(s, e);
	if (rc < 0) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s, e);
}

/* An older store that must not be upgraded by this open: STOA_EOLD,
 * saying how much it holds, so the caller can say so first. */
static int refuse_old(struct store *s, const char *path, int version,
		      int flags, struct err *e)
{
	uint64_t held = 0;
	struct err ce;

	store_count(s, "SELECT coalesce(sum(seq), 0) FROM feeds", &held, &ce);
	return err_set(e, STOA_EOLD, "the store '%s' (%" PRIu64 " entries) is "
		       "of schema %d and must be upgraded to %d%s", path, held,
		       version, STORE_SCHEMA_VERSION, (flags & STORE_READONLY) ?
		       ": open it once for writing" : "");
}

int schema_open(struct store *s, const char *path, int flags,
		struct err *e)
{
	int version = schema_ensure(s, flags, e);

	if (version < 0)
		return version;
	if (version < STORE_SCHEMA_VERSION) {
		/* every upgrade rebuilds the view: said first, by the caller */
		if (flags & (STORE_READONLY | STORE_NO_UPGRADE))
			return refuse_old(s, path, version, flags, e);
		return schema_migrate(s, e);
	}
	if (flags & STORE_READONLY)
		return 0; /* a read-only open prepares no write */
	return store_prepare(s, e);
}
