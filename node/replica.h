/*
 * replica: the store side of the replication state machine: the members
 * of struct repl_ops (sync/repl.h) other than send, over a struct
 * replica (the ops' ctx): a store, and a callback told each time a run
 * from a peer made a feed grow, so the owner can announce it to its other
 * peers. Whoever owns the socket (the daemon, a test) supplies ops->send.
 * It is where wire runs meet the store: it builds ENTRIES frames from a
 * feed's stored entries and turns a received one into the run
 * store_ingest_run checks; the store itself knows no message.
 */
#ifndef STOA_REPLICA_H
#define STOA_REPLICA_H

#include "repl.h"
#include "store.h"

struct replica {
	struct store *store;                /* borrowed */
	/* not 0: only entries dated up to this are shown (the frontier)
	 * and served (runs), each feed cut at its first later one (a
	 * session of a past epoch that brings a rotation:
	 * docs/governance.md); the digest is then never one a peer can
	 * match, so frontiers are always compared. What is asked of the
	 * peer still follows what the store holds. */
	uint64_t upto_ts;
	/* may be NULL; called after a run stored entries of h->author */
	void (*grew)(void *arg, const struct msg_head *h);
	void *arg;
};

/*
 * Appends to b (which must be empty) an ENTRIES frame with author's
 * entries from seq from on: at most max (and MSG_RUN_MAX) entries, and no
 * more once MSG_RUN_BYTES are in; a frame with no entry if none is held
 * from there. The run stops before an entry held without its payload.
 */
int replica_read_run(struct store *s, struct buf *b,
		     const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		     uint32_t max, struct err *e);

/* Fills every member of ops but send, which the caller provides; the
 * repl's ctx must then be a struct replica *. */
void replica_ops_init(struct repl_ops *ops,
		      int (*send)(void *peer, const uint8_t *p, size_t len,
				  struct err *e));

#endif
