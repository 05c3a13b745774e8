/*
 * store_int: what the store's own files share, and nothing else includes.
 * The contract is store.h; this header is the inside of struct store and
 * the helpers every part of it uses:
 *
 *   store.c        the connection: open/close, the busy handler,
 *                  transactions, SQLite errors, feed heads, read queries
 *   schema.c       the tables and indexes, and upgrades from schemas 1, 2
 *   ingest.c       checking and writing entries: ingest, runs, forks,
 *                  repair, the member's own appends
 *   materialize.c  the view rows each entry kind writes, reindex, the
 *                  canonical dump of the view
 *   verify.c       re-checking everything stored (store_verify)
 *
 * Helpers defined in store.c carry the store_ prefix like the public API;
 * those of the other files carry their file's name.
 */
#ifndef STOA_STORE_INT_H
#define STOA_STORE_INT_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "buf.h"
#include "store.h"

/* The statements every write uses, prepared once per read-write open
 * (store.c's stmt_sql); the view's inserts are materialize.c's. */
enum stmt_id {
	ST_HEAD,
	ST_AT_SEQ,
	ST_INSERT_ENTRY,
	ST_UPSERT_FEED,
	ST_INSERT_FORK,
	ST_FORKS_OF,
	ST_REPAIR,
	ST_RECEIVED,
	ST_COUNT
};

/* How many view inserts materialize.c's table holds (it checks). */
#define MATERIALIZE_STMTS 17

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	sqlite3_stmt *view_st[MATERIALIZE_STMTS];
	int in_batch;     /* store_begin was called */
	int batch_failed; /* a write failed (its STOA_E* code): the batch
			   * was rolled back */
	int busy_ms;      /* how long a statement waits for a lock */
	uint64_t busy_start; /* when the current wait began (monotonic) */
	/* governance (gov_store.c): */
	int gov_dirty;       /* a governance record or a target of one was
			      * written: the rules run again before commit */
	int gov_cached;      /* the counts below are those of the file */
	uint64_t gov_erased, gov_removed, gov_unheld; /* see gov_store.c */
	unsigned gov_probes; /* entries looked up while gov_unheld unknown */
	int gov_has_epoch;   /* a rotation is in force: */
	uint32_t gov_epoch;  /* its epoch, */
	uint8_t gov_check[HASH_LEN]; /* its check, */
	uint64_t gov_epoch_ts; /* and its timestamp */
	int gov_scrubbed;    /* payloads were erased: checkpoint after commit */
	int gov_dv;          /* PRAGMA data_version the counts are of */
	/* what the last full run of the rules on this connection left, for
	 * gov_store.c's fast path; valid while gov_fast */
	int gov_fast;
	int gov_full;        /* something other than new records needs the
			      * full run (the founder set, a target came, a
			      * rebuilt view) */
	uint64_t gov_rows, gov_nmembers; /* rows in gov and gov_members */
	uint64_t gov_last_n; /* the newest entries.n then */
	size_t gov_nkeys;
	/* sorted: every key that may lead or be removed */
	uint8_t gov_keys[STORE_GOV_KEYS_MAX][KEY_PUBLIC_LEN];
};

/* A feed's head as the feeds table holds it. */
struct head {
	uint64_t seq;
	uint8_t id[ENTRY_ID_LEN];
	uint64_t ts;
};

/* ---- store.c ---- */

/* Maps the connection's last SQLite failure to a STOA_E* code and sets e
 * to "what: SQLite's message" (a full disk gets one message of its own). */
int store_fail(struct store *s, struct err *e, const char *what);
/* Runs sql (any number of statements); on failure store_fail "cannot use
 * the store". */
int store_exec(struct store *s, const char *sql, struct err *e);
/* The prepared statement id, reset and with its bindings cleared. */
sqlite3_stmt *store_stmt(struct store *s, enum stmt_id id);
/* Steps a prepared write once and resets it; on failure store_fail
 * "cannot store entry". */
int store_step(struct store *s, sqlite3_stmt *st, struct err *e);
/* Prepares stmt_sql and materialize.c's statements (read-write opens). */
int store_prepare(struct store *s, struct err *e);
/* Copies a blob column of exactly len bytes into out: 1, or 0 if it has
 * another size. */
int store_col_blob(sqlite3_stmt *st, int col, uint8_t *out, int len);
/* The first column of the first row of sql, as an integer. */
int store_count(struct store *s, const char *sql, uint64_t *out,
		struct err *e);
/* The index key of an id (formats.md §7): its first 4 bytes, big-endian. */
sqlite3_int64 store_id_key(const uint8_t *id);
/* The first 8 bytes of p in hex, for messages. */
void store_short_hex(const uint8_t *p, char out[17]);
/* Author's head; all zero if the store holds none of it. */
int store_head_get(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		   struct head *h, struct err *e);
/*
 * A write's transaction: tx_begin opens one of its own unless a batch is
 * open (*own says which); tx_end commits or rolls back an own one and
 * returns rc, or the commit's error. A failed write (not a rejection:
 * EPROTO, ECRYPTO, ESEQ, EINVAL) rolls back the whole open transaction
 * and marks an open batch failed.
 */
int store_tx_begin(struct store *s, int *own, struct err *e);
int store_tx_end(struct store *s, int own, int rc, struct err *e);
/* d = BLAKE2b-256(d || b), then b emptied: the chained digests of the
 * frontier and of the view dump. */
void store_chain_hash(uint8_t d[HASH_LEN], struct buf *b);

/* ---- schema.c ---- */

/*
 * Makes the schema of a new file (STORE_CREATE), upgrades an older one or
 * refuses it (STORE_READONLY, STORE_NO_UPGRADE: STOA_EOLD), refuses a
 * newer one, and prepares the statements of a read-write open. path is
 * for messages.
 */
int schema_open(struct store *s, const char *path, int flags,
		struct err *e);
/* Creates the view's tables and indexes where missing. */
int schema_view_create(struct store *s, struct err *e);
/* Drops every view table (store_reindex makes them again). */
int schema_view_drop(struct store *s, struct err *e);

/* ---- materialize.c ---- */

int materialize_prepare(struct store *s, struct err *e);
/* Deletes the view rows entry n (of kind, by author) wrote; a profile
 * row falls back to the author's latest other profile entry. */
int materialize_forget(struct store *s, sqlite3_int64 n, uint8_t kind,
		       const uint8_t author[KEY_PUBLIC_LEN], struct err *e);
void materialize_finalize(struct store *s);
/*
 * Writes the view rows of entry en, stored as entries row n, whose payload
 * validated (PAYLOAD_VALID) as obj. Each row depends only on this entry
 * (profiles: on the max (ts, id) among profile entries), which is what
 * makes the view independent of arrival order. Kinds without a view are
 * not materialized.
 */
int materialize(struct store *s, sqlite3_int64 n, const struct entry *en,
		json_t *obj, struct err *e);

/* gov_store.c: the governance rules run over the store's records */
int gov_store_apply(struct store *s, struct err *e);
/* Before an entry is written: STOA_EPERM if its author was removed
 * before its seq; *erased = 1 if an erasure of it is in force (it is
 * then stored without its payload, and not materialized). */
int gov_store_admit(struct store *s, const struct entry *en, int *erased,
		    struct err *e);
/* The highest seq of author's feed a removal lets the store hold, or
 * UINT64_MAX. */
uint64_t gov_store_cut(struct store *s, const uint8_t author[KEY_PUBLIC_LEN]);
/* Forgets the cached counts (after a rollback). */
void gov_store_uncache(struct store *s);
/* Reads PRAGMA data_version: another connection's commit makes the
 * cached governance counts stale. Called as each transaction begins. */
void gov_store_refresh(struct store *s);
/* gov_unheld not counted yet: each entry written is looked up in gov */
#define GOV_UNHELD_UNKNOWN UINT64_MAX
/* A join of gov AS g to its target entry t, for erasures only (the one
 * kind whose judgement looks at its target, gov.c). */
#define GOV_TARGET_JOIN                                                   \
	" LEFT JOIN entries AS t ON t.n = CASE WHEN g.kind = 13 THEN"      \
	" (SELECT n FROM entries WHERE idk = stoa_idk(g.target)"           \
	" AND id = g.target) END"

/* ---- gov_fast.c: gov_store's fast path ---- */

struct gov_rec;
/* may[i] = 1 if the author of recs[i] may lead: the founder, or a member
 * a facilitator role record by one who may lead names (whatever its
 * effect). All 0 when founder is NULL. STOA_ENOMEM only. */
int gov_fast_may_lead(const struct gov_rec *recs, size_t n,
		      const uint8_t *founder, unsigned char *may,
		      struct err *e);
/* In a transaction that wrote records: 1 if its new records were all of
 * keys that can neither lead nor be removed, and it wrote their effects
 * and learner rows; 0 if the rules must run in full; or an error. */
int gov_fast_apply(struct store *s, struct err *e);
/* After a full run over recs (may: gov_fast_may_lead's, by recs' user
 * index): keeps the keys that may lead or be removed, and the row counts,
 * for gov_fast_apply; more than STORE_GOV_KEYS_MAX keys: none (gov_fast
 * stays 0). */
int gov_fast_keep(struct store *s, const struct gov_rec *recs, size_t nrecs,
		  const unsigned char *may, const uint8_t *founder,
		  struct err *e);

#endif
