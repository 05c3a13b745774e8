/*
 * replica: struct repl_ops over a struct replica (see replica.h). Thin:
 * each member is one store call, translated between the protocol's types
 * (sync/msg.h) and the store's: read_run builds an ENTRIES frame from the
 * store's entries of a feed, ingest_run turns a decoded ENTRIES message
 * into the run store_ingest_run checks and reports growth.
 */
#include <stdlib.h>
#include <string.h>

#include "replica.h"

_Static_assert(STORE_RUN_MAX == MSG_RUN_MAX,
	       "a run the store takes is a run the protocol carries");

static int r_digest(void *ctx, uint8_t out[HASH_LEN], uint32_t *feeds,
		    struct err *e)
{
	struct replica *rp = ctx;
	int rc = store_frontier_digest(rp->store, out, feeds, e);

	if (rc == 0 && rp->upto_ts)
		memset(out, 0, HASH_LEN); /* no store digests to zeros */
	return rc;
}

/* store_frontier's heads handed on as the protocol's. */
struct heads_out {
	struct replica *rp;
	int (*cb)(const struct msg_head *h, void *arg);
	void *arg;
	int rc;
	struct err *e;
};

static int head_out(const struct store_head *sh, void *arg)
{
	struct heads_out *o = arg;
	struct msg_head h;

	memcpy(h.author, sh->author, KEY_PUBLIC_LEN);
	h.seq = sh->seq;
	memcpy(h.id, sh->id, ENTRY_ID_LEN);
	if (o->rp->upto_ts) {
		o->rc = store_head_upto(o->rp->store, sh->author,
					o->rp->upto_ts, &h.seq, h.id, o->e);
		if (o->rc < 0)
			return 1;
		if (!h.seq)
			return 0; /* nothing of it shown */
	}
	return o->cb(&h, o->arg);
}

static int r_frontier(void *ctx, int (*cb)(const struct msg_head *h, void *arg),
		      void *arg, struct err *e)
{
	struct heads_out o = { ctx, cb, arg, 0, e };
	int rc = store_frontier(((struct replica *)ctx)->store, head_out, &o, e);

	return rc < 0 ? rc : o.rc;
}

/* What this store holds, capped or not: the session decides from it
 * what to ask for, and asking again for what a cut hides would be a
 * useless run (a strike against an honest peer). */
static int r_head(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		  uint64_t *seq, struct err *e)
{
	return store_head(((struct replica *)ctx)->store, author, seq, NULL,
			  e);
}

/* Fills an ENTRIES frame from store_read_feed, up to MSG_RUN_BYTES. */
struct run_out {
	struct buf *b;
	size_t bytes;
};

static int entry_out(const struct store_run_entry *re, void *arg)
{
	struct run_out *o = arg;

	if (msg_entries_add(o->b, re->signed_bytes, re->payload, re->plen) < 0)
		return 1; /* the frame is full: the rest next time */
	o->bytes += ENTRY_SIGNED_LEN + re->plen;
	return o->bytes >= MSG_RUN_BYTES;
}

int replica_read_run(struct store *s, struct buf *b,
		     const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		     uint32_t max, struct err *e)
{
	struct run_out o = { b, 0 };
	int rc;

	if (max > MSG_RUN_MAX)
		max = MSG_RUN_MAX;
	if (from > ENTRY_MAX_SEQ)
		from = ENTRY_MAX_SEQ;
	if ((rc = msg_entries_begin(b, author, from)) < 0)
		return err_set(e, rc, "cannot build a run");
	rc = store_read_feed(s, author, from, max, entry_out, &o, e);
	msg_entries_end(b);
	return rc;
}

static int r_read_run(void *ctx, struct buf *b,
		      const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		      uint32_t max, struct err *e)
{
	struct replica *rp = ctx;
	uint64_t upto;
	int rc;

	if (rp->upto_ts) {
		if ((rc = store_head_upto(rp->store, author, rp->upto_ts, &upto,
					  NULL, e)) < 0)
			return rc;
		/* nothing past the cut: from beyond it reads no entry */
		if (from > upto)
			from = upto + 1, max = 0;
		else if (upto - from + 1 < max)
			max = (uint32_t)(upto - from + 1);
	}
	return replica_read_run(rp->store, b, author, from, max, e);
}

static int r_ingest_run(void *ctx, const struct msg *m, uint32_t *stored,
			uint32_t *repaired, struct err *e)
{
	struct replica *rp = ctx;
	struct store_run_entry *v;
	struct msg_run_entry re;
	struct msg_run_iter it;
	size_t n = 0;
	int rc;

	*stored = 0;
	*repaired = 0;
	if (m->u.entries.count == 0)
		return 0;
	/* count is bounded by msg_decode (MSG_RUN_MAX) */
	v = calloc(m->u.entries.count, sizeof(*v));
	if (!v)
		return err_set(e, STOA_ENOMEM, "out of memory");
	msg_run_iter_init(&it, m);
	while (n < m->u.entries.count && msg_run_next(&it, &re)) {
		v[n].signed_bytes = re.signed_bytes;
		v[n].payload = re.payload;
		v[n].plen = re.plen;
		n++;
	}
	rc = store_ingest_run(rp->store, v, n, stored, repaired, e);
	free(v);
	if (rc == INGEST_FORK)
		rc = REPL_FORK;
	else if (rc == INGEST_FORK_KNOWN)
		rc = REPL_FORK_KNOWN;
	else if (rc == INGEST_CUT)
		rc = REPL_CUT;
	if (rc >= 0 && *stored > 0 && rp->grew) {
		struct msg_head h;

		memcpy(h.author, m->u.entries.author, KEY_PUBLIC_LEN);
		if (store_head(rp->store, h.author, &h.seq, h.id, NULL) == 0)
			rp->grew(rp->arg, &h);
	}
	return rc;
}

static int r_next_hole(void *ctx, const uint8_t after[KEY_PUBLIC_LEN],
		       uint64_t seq, uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t *from, uint32_t *count, struct err *e)
{
	return store_next_hole(((struct replica *)ctx)->store, after, seq,
			       author, from, count, e);
}

static int r_head_id(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		     uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	struct replica *rp = ctx;

	return store_head(rp->store, author, seq, id, e);
}

static int r_fork_proven(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
			 uint64_t seq, struct err *e)
{
	struct replica *rp = ctx;

	return store_fork_proven(rp->store, author, seq, e);
}

void replica_ops_init(struct repl_ops *ops,
		      int (*send)(void *peer, const uint8_t *p, size_t len,
				  struct err *e))
{
	ops->digest = r_digest;
	ops->frontier = r_frontier;
	ops->head = r_head;
	ops->read_run = r_read_run;
	ops->ingest_run = r_ingest_run;
	ops->next_hole = r_next_hole;
	ops->send = send;
	ops->head_id = r_head_id;
	ops->fork_proven = r_fork_proven;
}
