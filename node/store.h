/*
 * store: one node's SQLite database, the feeds' single source of truth and
 * the materialized view built from them.
 *
 * The entries table holds every stored entry (signed bytes + payload); it
 * is the truth. The view tables (members, posts + FTS5, feedback, mentoring
 * asks/pairings/sessions/closes, kudos) are materialized from each entry in
 * the same transaction that stores it, and each view row is a function of
 * one entry (latest-wins profiles are decided by (timestamp, id)), so the
 * view is a pure function of the set of entries, whatever their arrival
 * order; relations between entries are resolved when read (view.h).
 *
 * Every entry from any source (the CLI, a peer, a bundle) enters through
 * store_ingest or store_ingest_run, which check it fully before writing
 * anything. One writer at a time (SQLite WAL, busy timeout); readers never
 * block. The store knows entries, not wire messages: replica.c turns runs
 * into ENTRIES frames and back.
 *
 * The implementation is cut by job, one private header between them
 * (store_int.h): store.c (open, transactions, heads and read queries),
 * schema.c (the tables and upgrades), ingest.c (checking and writing
 * entries, runs, forks, repair), materialize.c (the view rows of each
 * entry kind, reindex, the view's dump), verify.c (store_verify).
 */
#ifndef STOA_STORE_H
#define STOA_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "entry.h"
#include "err.h"
#include "key.h"

#define STORE_FILE "store.db"
#define STORE_SCHEMA_VERSION 5
#define STORE_BUSY_TIMEOUT_MS 10000
#define STORE_BUSY_POLL_MS 1       /* a waiting writer tries this often */
/* Fork proofs kept per author: the first for each seq, at most this many
 * in all. A proof row is the second entry's signed header and a few ids
 * (about 300 bytes), so what fork traffic can add to a store is bounded by
 * STORE_FORKS_PER_AUTHOR x 300 bytes per feed held, however many forks a
 * member signs. */
#define STORE_FORKS_PER_AUTHOR 4
/* The most entries store_ingest_run takes and store_next_hole names at
 * once: a run of the protocol (MSG_RUN_MAX, which replica.c checks). */
#define STORE_RUN_MAX 1000
/* The most keys that may lead or be removed for which the store keeps
 * the governance rules' fast path (gov_fast.c); past it, every commit
 * that writes a record runs them over all records. */
#define STORE_GOV_KEYS_MAX 256

struct store;

enum store_open_flags {
	STORE_CREATE = 1 << 0,   /* create the file and schema if missing */
	STORE_READONLY = 1 << 1,
	STORE_NO_UPGRADE = 1 << 2, /* a store of an older schema: STOA_EOLD
				    * (what it holds in the message) instead
				    * of upgrading it, so the caller can say
				    * so first */
};

/*
 * The community's founder (the root of all authority: docs/governance.md)
 * as recorded in the store: 1 and pk filled, or 0 if none is.
 * store_founder_set records it (no write if it is already), which makes
 * the governance rules run again.
 */
int store_founder(struct store *s, uint8_t pk[KEY_PUBLIC_LEN]);
int store_founder_set(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		      struct err *e);

/* 1 if a removal that took effect is dated after ts. */
int store_removed_since(struct store *s, uint64_t ts);
/* How many members the governance rules removed; 1 if any is. */
uint64_t store_removed_count(struct store *s);
int store_has_removed(struct store *s);
/* 1 if the governance rules removed member pk from the community. */
int store_member_removed(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN]);
/* 1 if curve is the CURVE client key (key_pk_to_curve) of a removed
 * member: the handshake refuses it. */
int store_removed_curve(struct store *s, const uint8_t curve[KEY_PUBLIC_LEN]);

/*
 * The rotation of the community secret in force (docs/governance.md): 1
 * with its epoch, check (the new secret's COMMUNITY_KEY_CHECK subkey) and
 * timestamp (ts may be NULL), 0 if no rotation is in force (the invite's
 * epoch is).
 */
int store_epoch(struct store *s, uint32_t *epoch, uint8_t check[HASH_LEN],
		uint64_t *ts);
/* The seal of the rotation in force addressed to member: 1 with its box
 * (PAYLOAD_EPOCH_BOX_LEN bytes) if box is not NULL, 0 if the rotation
 * does not name member (or none is in force). */
int store_epoch_seal(struct store *s, const uint8_t member[KEY_PUBLIC_LEN],
		     uint8_t *box);
/* The highest epoch a rotation written with authority names, in force
 * or not (0: none). */
uint32_t store_epoch_max(struct store *s);

/* Opens (or creates) the store at path. Caller closes with store_close. */
int store_open(struct store **out, const char *path, int flags,
	       struct err *e);
void store_close(struct store *s); /* NULL-safe */

/*
 * Batching: between store_begin and store_commit, ingests and appends
 * share one transaction (one fsync). Outside one, each runs in its own.
 */
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
void store_rollback(struct store *s);
/* 1 between store_begin and its commit or rollback. */
int store_in_batch(const struct store *s);

enum ingest_result {
	INGEST_STORED = 0,    /* new entry stored and materialized */
	INGEST_DUPLICATE = 1, /* already held: nothing changed */
	INGEST_FORK = 2,      /* valid second entry for (author, seq): proof
			       * recorded, the first one kept */
	INGEST_FORK_KNOWN = 3, /* fork evidence that adds nothing: a proof of
				* that (author, seq) is held, or the author
				* has STORE_FORKS_PER_AUTHOR; nothing stored
				* (a run whose first new entry links to another
				* history is INGEST_FORK: nothing can be
				* recorded of it, and it is not a replay) */
	INGEST_REPAIRED = 4,  /* held without its payload: now whole */
	INGEST_CUT = 5,       /* a run cut at its author's removal: the
			       * entries after the cut-off dropped */
};

/*
 * Checks one entry from anywhere and stores it: decode, signature,
 * seq == head + 1, prev == head id, payload length and hash, payload JSON
 * for known kinds (opaque payloads are stored, not materialized). The
 * payload is required (NULL is refused: no erasure is allowed yet); an
 * entry held without its payload gets this one (INGEST_REPAIRED). Returns
 * an ingest_result (>= 0) or a negative STOA_E* with the precise reason
 * in e; a rejected entry changes nothing. id_out (may be NULL) gets the id.
 */
int store_ingest(struct store *s, const uint8_t *signed_bytes, size_t len,
		 const void *payload, size_t plen, uint8_t *id_out,
		 struct err *e);

/*
 * Creates, signs and stores the next entry of k's feed. The timestamp is
 * now (ms), never earlier than the feed's previous entry. The payload must
 * validate as kind (PAYLOAD_VALID). id_out may be NULL.
 */
int store_append(struct store *s, const struct key *k, uint8_t kind,
		 const void *payload, size_t len, uint8_t *id_out,
		 struct err *e);

/*
 * One entry of a run, as store_ingest_run takes it and store_read_feed
 * hands it out: its signed bytes and its payload, both borrowed.
 */
struct store_run_entry {
	const uint8_t *signed_bytes; /* ENTRY_SIGNED_LEN bytes */
	const uint8_t *payload;      /* NULL: came without it (refused) */
	uint32_t plen;
};

/*
 * 1 if a fork of author's feed at seq would add nothing to this store (a
 * proof at that seq is held, or the author has STORE_FORKS_PER_AUTHOR of
 * them), 0 if its proof would be recorded, or a negative STOA_E*. The
 * session asks a peer for the other side of a fork (a fork probe) only
 * while it is 0.
 */
int store_fork_proven(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		      uint64_t seq, struct err *e);

/*
 * Checks and stores a run of consecutive entries of one author with one
 * signature verification (docs/protocol.md, "Checking a run"): entries
 * already held must be the held ones (another validly signed one is a
 * fork: its proof is recorded and the run stops there); the new ones must
 * chain by prev from the stored head; only the last new entry's signature
 * is verified, which authenticates the chain below it; every payload is
 * checked against its header and validated. An entry without its payload
 * (marked erased) is held without it: erased if an erasure in force
 * explains it, else a hole (docs/governance.md). A held entry that lacks
 * its payload gets the one in the run (checked against the held header),
 * counted in *repaired (may be NULL). All or nothing: a refused run
 * leaves the store as it was (even inside a batch), with the reason in e.
 * n is at most STORE_RUN_MAX. *stored gets how many entries were new.
 * Returns 0, INGEST_FORK or INGEST_FORK_KNOWN (with e saying which feed
 * and seq: the entries before the fork are stored), INGEST_CUT (the
 * author was removed: the entries after its cut-off were dropped, those
 * before stored), or a negative STOA_E*.
 */
int store_ingest_run(struct store *s, const struct store_run_entry *v,
		     size_t n, uint32_t *stored, uint32_t *repaired,
		     struct err *e);

/*
 * The first entries held without their payload after (after, after_seq)
 * in (author, seq) order: 1 with author, *from and *count (consecutive
 * seqs, at most STORE_RUN_MAX), 0 if there are none, or a negative STOA_E*.
 * A sync asks its peers for them again (docs/protocol.md, "Repair").
 */
int store_next_hole(struct store *s, const uint8_t after[KEY_PUBLIC_LEN],
		    uint64_t after_seq, uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *from, uint32_t *count, struct err *e);

/* A feed's head: its author, its last seq and that entry's id. */
struct store_head {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t seq;
	uint8_t id[ENTRY_ID_LEN];
};

/*
 * Records that this node met node (a peer's member key) at now_ms, and
 * that it held at least heads[i].seq of each heads[i].author's feed (a
 * seq never goes down). For `stoa governance`'s spread; local only.
 */
int store_peer_seen(struct store *s, const uint8_t node[KEY_PUBLIC_LEN],
		    const struct store_head *heads, size_t n, uint64_t now_ms,
		    struct err *e);
/* The authors of the governance records held (at most cap, by key), with
 * this store's head of each: what store_peer_seen keeps for a peer. */
int store_gov_authors(struct store *s, struct store_head *out, size_t cap,
		      size_t *n, struct err *e);

/* Calls cb for every feed's head, in author order, until cb returns
 * nonzero. */
int store_frontier(struct store *s,
		   int (*cb)(const struct store_head *h, void *arg), void *arg,
		   struct err *e);

/* The frontier digest (docs/protocol.md) and the number of feeds. */
int store_frontier_digest(struct store *s, uint8_t digest[HASH_LEN],
			  uint32_t *feeds, struct err *e);

/*
 * Calls cb for author's entries from seq from on, in seq order, at most
 * max of them, until cb returns nonzero; the entry is borrowed for the
 * call. It stops before an entry held without its payload (a run never
 * carries a hole: a peer that has the payload serves the rest).
 */
int store_read_feed(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t from, uint32_t max,
		    int (*cb)(const struct store_run_entry *re, void *arg),
		    void *arg, struct err *e);

/* The timestamp (ms) of the newest entry of author's feed; 0 if none. */
int store_head_time(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *ts, struct err *e);

/* The head of author's feed: *seq = 0 (and id zeros) if none held. */
int store_head(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
	       uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e);
/* The same, of the feed's longest prefix whose entries are all dated
 * ts or earlier (*seq 0 if its first entry is later). */
int store_head_upto(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t ts, uint64_t *seq, uint8_t id[ENTRY_ID_LEN],
		    struct err *e);

/*
 * Resolves a hex id prefix (>= ENTRY_ID_PREFIX_MIN chars) to the full id
 * of a stored entry; STOA_ENOTFOUND / STOA_EAMBIG / STOA_EINVAL otherwise.
 * kind_out (may be NULL) gets the entry's kind.
 */
int store_resolve_id(struct store *s, const char *prefix,
		     uint8_t id[ENTRY_ID_LEN], uint8_t *kind_out,
		     struct err *e);

/* The kind and author of a stored entry; STOA_ENOTFOUND if none. */
int store_entry_info(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		     uint8_t *kind, uint8_t author[KEY_PUBLIC_LEN],
		     struct err *e);

/*
 * Resolves a member by display name (exact, case-insensitive, among
 * current profiles) or by public key hex prefix (>= 8 chars) among authors
 * held. STOA_ENOTFOUND / STOA_EAMBIG otherwise.
 */
int store_resolve_member(struct store *s, const char *who,
			 uint8_t pk[KEY_PUBLIC_LEN], struct err *e);

/* One problem found by store_verify. */
struct verify_problem {
	const uint8_t *author; /* may be NULL for store-wide problems */
	uint64_t seq;
	const char *what;      /* one line */
	const uint8_t *kept;   /* a fork proof's: the entry id kept and */
	const uint8_t *other;  /* the other one's; NULL for other problems */
};

/*
 * Re-verifies every stored entry: signature, seq continuity, prev links,
 * payload length/hash, a payload missing, plus every recorded fork.
 * Calls cb once per problem. Returns 0 and sets *problems.
 */
int store_verify(struct store *s,
		 void (*cb)(const struct verify_problem *p, void *arg),
		 void *arg, uint64_t *entries, uint64_t *problems,
		 struct err *e);

/* How long a write waits for another process's lock (default
 * STORE_BUSY_TIMEOUT_MS), trying again every STORE_BUSY_POLL_MS; the
 * daemon keeps it short so its loop never sits in a wait. */
void store_busy_timeout(struct store *s, int ms);

/* Drops every view table and rebuilds them from the entries. */
int store_reindex(struct store *s, uint64_t *entries, struct err *e);

/*
 * Writes a canonical text dump of the whole view (every view table, rows
 * sorted by entry id, no arrival-dependent columns) to f, or if f is NULL
 * only computes it. digest (may be NULL) gets BLAKE2b-256 of the dump.
 * Two stores holding the same entries give byte-identical dumps.
 */
int store_dump_view(struct store *s, FILE *f, uint8_t digest[HASH_LEN],
		    struct err *e);

/* Counts for status lines. */
struct store_stats {
	uint64_t entries;
	uint64_t authors;
	uint64_t forks;
};
int store_stats(struct store *s, struct store_stats *st, struct err *e);

/* The underlying handle, for view.c only. */
struct sqlite3 *store_db(struct store *s);

/* The condition that finds the entries row of the id bound as ?1 (its
 * 4-byte index key, then the id itself: docs/formats.md §7). */
#define STORE_ENTRY_BY_ID "idk = stoa_idk(?1) AND id = ?1"

#endif
