/*
 * mem_store: an in-memory store behind struct repl_ops (sync/repl.h), for
 * tests and fuzzing of the replication state machine without SQLite.
 *
 * Each feed is an array of whole entries from seq 1 to its head (signed
 * bytes and payload; no holes, so next_hole always says none). A run is
 * checked in the essentials of store_ingest_run (node/ingest.c), all of
 * it before anything is stored: every entry decodes and is of the named
 * feed, seqs are consecutive; a bad signature on the last new entry cuts
 * the run after the newest new entry whose signature verifies (it
 * authenticates the chain below it; none: the run is refused), and what
 * is cut off is not looked at; an entry at or below the head must be the
 * one held (another one, signed, is a fork: REPL_FORK the first time for
 * that feed, REPL_FORK_KNOWN after), new entries start at head + 1 and
 * each prev links to the entry before (a first new entry that does not
 * link to the head but is signed shows the feed went two ways after it:
 * REPL_FORK each time, nothing recorded), and every payload matches its
 * header (entry_check_payload; an erased one is refused). Unlike the
 * real store it validates no payload schema, checks the payload of a
 * held entry too, and records no fork proof (it counts them).
 *
 * The frontier digest follows docs/protocol.md ("frontier digest"), as
 * store_frontier_digest does, so a mem store and a real store holding
 * the same feeds send the same HELLO.
 */
#ifndef STOA_TEST_MEM_STORE_H
#define STOA_TEST_MEM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "msg.h"
#include "repl.h"

struct mem_entry {
	uint8_t signed_bytes[ENTRY_SIGNED_LEN];
	uint8_t id[ENTRY_ID_LEN];
	uint8_t *payload; /* owned; never NULL (an empty one is 1 byte) */
	uint32_t plen;
};

struct mem_feed {
	uint8_t author[KEY_PUBLIC_LEN];
	struct mem_entry *v; /* v[i] is seq i + 1 */
	size_t n, cap;
	int forks;           /* fork proofs seen (the first is "recorded") */
};

struct mem_store {
	struct mem_feed *feeds; /* sorted by author */
	size_t nfeeds, cap;
	/* may be NULL: called after a run stored entries (replica's grew) */
	void (*grew)(void *arg, const struct msg_head *h);
	void *arg;
	uint64_t runs_in, runs_refused;
};

void mem_store_init(struct mem_store *s);
void mem_store_free(struct mem_store *s);

/* Fills every member of ops but send (ctx is a struct mem_store). */
void mem_store_ops_init(struct repl_ops *ops,
			int (*send)(void *peer, const uint8_t *p, size_t len,
				    struct err *e));

/* Appends one entry at its feed's head + 1, checked as a run of one:
 * 0 or STOA_E*. */
int mem_store_append(struct mem_store *s, const struct entry *en,
		     const void *payload, uint32_t plen, struct err *e);

/* The head of author's feed: 0 if none (id zeroed). */
uint64_t mem_store_head(const struct mem_store *s,
			const uint8_t author[KEY_PUBLIC_LEN],
			uint8_t id[ENTRY_ID_LEN]);

int mem_store_digest(const struct mem_store *s, uint8_t out[HASH_LEN],
		     uint32_t *feeds);

/* The documented digest of n triples sorted by author. */
void mem_frontier_digest(const struct msg_head *t, size_t n,
			 uint8_t out[HASH_LEN]);

#endif
