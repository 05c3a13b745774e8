/*
 * replica: the store side of the replication state machine: the members
 * of struct repl_ops (sync/repl.h) other than send, over a struct
 * replica (the ops' ctx): a store, and a callback told each time a run
 * from a peer made a feed grow, so the owner can announce it to its other
 * peers. Whoever owns the socket (the daemon, a test) supplies ops->send.
 */
#ifndef STOA_REPLICA_H
#define STOA_REPLICA_H

#include "repl.h"
#include "store.h"

struct replica {
	struct store *store;                /* borrowed */
	/* may be NULL; called after a run stored entries of h->author */
	void (*grew)(void *arg, const struct msg_head *h);
	void *arg;
};

/* Fills every member of ops but send, which the caller provides; the
 * repl's ctx must then be a struct replica *. */
void replica_ops_init(struct repl_ops *ops,
		      int (*send)(void *peer, const uint8_t *p, size_t len,
				  struct err *e));

#endif
