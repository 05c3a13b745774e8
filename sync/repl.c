/*
 * repl: one peer's replication state machine (see repl.h and the state
 * diagram in docs/protocol.md). All state is in struct repl; all I/O goes
 * through ops. The want queue is an array sorted by author (a FRONTIER
 * arrives sorted, so building it appends), searched by bisection, so a
 * peer announcing many feeds costs O(n log n), never O(n^2).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "key.h"
#include "repl.h"

void repl_hello_auth(const uint8_t hello_key[32],
		     const uint8_t node[KEY_PUBLIC_LEN], uint8_t out[HASH_LEN])
{
	uint8_t msg[sizeof(REPL_HELLO_DOMAIN) - 1 + KEY_PUBLIC_LEN];

	memcpy(msg, REPL_HELLO_DOMAIN, sizeof(REPL_HELLO_DOMAIN) - 1);
	memcpy(msg + sizeof(REPL_HELLO_DOMAIN) - 1, node, KEY_PUBLIC_LEN);
	hash_blake2b_keyed(out, hello_key, msg, sizeof(msg));
}

void repl_init(struct repl *r, const struct repl_ops *ops, void *ctx,
	       void *peer, const uint8_t self[KEY_PUBLIC_LEN],
	       const uint8_t hello_key[32], struct buf *scratch)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->ctx = ctx;
	r->peer = peer;
	memcpy(r->self, self, KEY_PUBLIC_LEN);
	memcpy(r->hello_key, hello_key, sizeof(r->hello_key));
	r->scratch = scratch;
}

static void known_forget(struct repl *r);

void repl_release(struct repl *r)
{
	struct repl_frame *f, *next;

	free(r->wants);
	r->wants = NULL;
	r->nwants = r->cap = 0;
	known_forget(r);
	for (f = r->out_head; f; f = next) {
		next = f->next;
		free(f);
	}
	r->out_head = r->out_tail = NULL;
	r->out_bytes = 0;
	r->nasks = 0;
	bytes_wipe(r->hello_key, sizeof(r->hello_key));
}

/* Keeps a frame the peer's queue did not take, within REPL_OUTBOX_MAX. */
static int enqueue(struct repl *r, const uint8_t *p, size_t len,
		   struct err *e)
{
	struct repl_frame *f;

	if (r->out_bytes + len > REPL_OUTBOX_MAX)
		return err_set(e, STOA_ENOMEM, "the peer does not read what it "
			       "asked for (%zu bytes wait for it)", r->out_bytes);
	f = malloc(sizeof(*f) + len);
	if (!f)
		return err_set(e, STOA_ENOMEM, "out of memory");
	f->next = NULL;
	f->len = len;
	memcpy(f->data, p, len);
	if (r->out_tail)
		r->out_tail->next = f;
	else
		r->out_head = f;
	r->out_tail = f;
	r->out_bytes += len;
	return 0;
}

/*
 * Sends the frame built in the scratch buffer, and empties it. Behind
 * frames still waiting, or when the peer's queue is full, it waits in the
 * outbox (repl_drain sends it), in order.
 */
static int flush(struct repl *r, struct err *e)
{
	struct err se = { 0 };
	int rc = STOA_EBUSY;

	if (!r->out_head)
		rc = r->ops->send(r->peer, r->scratch->data, r->scratch->len,
				  &se);
	if (rc == STOA_EBUSY)
		rc = enqueue(r, r->scratch->data, r->scratch->len, e);
	else if (rc < 0)
		err_set(e, rc, "%s", se.msg);
	if (rc == 0) {
		r->stats.msgs_out++;
		r->stats.bytes_out += r->scratch->len;
	}
	buf_reset(r->scratch);
	return rc;
}

/*
 * Counts a strike against the peer and tells it why: 1 (refused, peer
 * kept) or, at REPL_STRIKES_MAX, STOA_EPROTO (drop it).
 */
static int strike(struct repl *r, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int strike(struct repl *r, struct err *e, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->strikes++;
	buf_reset(r->scratch);
	if (msg_put_error(r->scratch, STOA_EPROTO, msg) == 0)
		flush(r, NULL);
	if (r->strikes >= REPL_STRIKES_MAX) {
		err_set(e, STOA_EPROTO, "%s (strike %u: dropping the peer)", msg,
			r->strikes);
		return STOA_EPROTO;
	}
	err_set(e, STOA_EPROTO, "%s (strike %u)", msg, r->strikes);
	return 1;
}

/*
 * Bisection over n records of size stride, sorted by the author they
 * start with (struct repl_want, struct repl_known): its index, or where
 * it would go.
 */
_Static_assert(offsetof(struct repl_want, author) == 0,
	       "author_find: a want starts with its author");
_Static_assert(offsetof(struct repl_known, author) == 0,
	       "author_find: a known head starts with its author");

static size_t author_find(const void *base, size_t n, size_t stride,
			  const uint8_t author[KEY_PUBLIC_LEN], int *found)
{
	size_t lo = 0, hi = n;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp((const uint8_t *)base + mid * stride, author,
			       KEY_PUBLIC_LEN);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of author in the sorted want queue, or where it would go. */
static size_t want_find(const struct repl *r,
			const uint8_t author[KEY_PUBLIC_LEN], int *found)
{
	return author_find(r->wants, r->nwants, sizeof(r->wants[0]), author,
			   found);
}

/*
 * Adds a want (this store holds the feed up to have, the peer up to
 * target), or raises its target. 0, or STOA_ENOMEM at the bound. Counts
 * what is newly expected, for progress.
 */
static int want_add(struct repl *r, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t have, uint64_t target)
{
	int found;
	size_t i = want_find(r, author, &found);

	if (found) {
		if (target > r->wants[i].target) {
			r->stats.expected_in += target - (r->wants[i].target > have
				? r->wants[i].target : have);
			r->wants[i].target = target;
		}
		return 0;
	}
	if (r->nwants >= REPL_WANTS_MAX)
		return STOA_ENOMEM;
	if (r->nwants == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct repl_want *w = realloc(r->wants, cap * sizeof(*w));

		if (!w)
			return STOA_ENOMEM;
		r->wants = w;
		r->cap = cap;
	}
	memmove(&r->wants[i + 1], &r->wants[i],
		(r->nwants - i) * sizeof(r->wants[0]));
	memcpy(r->wants[i].author, author, KEY_PUBLIC_LEN);
	r->wants[i].target = target;
	r->stats.expected_in += target - have;
	r->wants[i].in_flight = 0;
	r->nwants++;
	r->sent_done = 0;
	return 0;
}

static void want_remove(struct repl *r, size_t i)
{
	if (r->wants[i].in_flight)
		r->in_flight--;
	memmove(&r->wants[i], &r->wants[i + 1],
		(r->nwants - i - 1) * sizeof(r->wants[0]));
	r->nwants--;
}

/*
 * The heads each side holds (struct repl_known), for repl_lacks. The
 * array is sorted by author: a FRONTIER arrives sorted, so ours is
 * appended and the peer's merged in once per chunk; single updates
 * bisect. An update that cannot be kept (out of memory, or beyond
 * REPL_WANTS_MAX feeds this store does not hold) is dropped: the lacks
 * are estimates, never a reason to fail the session.
 */
static size_t known_find(const struct repl *r,
			 const uint8_t author[KEY_PUBLIC_LEN], int *found)
{
	return author_find(r->known, r->nknown, sizeof(r->known[0]), author,
			   found);
}

static int known_reserve(struct repl *r, size_t more)
{
	size_t cap = r->known_cap ? r->known_cap : 16;
	struct repl_known *k;

	if (r->nknown + more <= r->known_cap)
		return 0;
	while (cap < r->nknown + more)
		cap *= 2;
	k = realloc(r->known, cap * sizeof(*k));
	if (!k)
		return -1;
	r->known = k;
	r->known_cap = cap;
	return 0;
}

/* Raises what is known of a feed: our head to ours, the peer's to theirs
 * (when theirs_known); a feed not listed yet is added. */
static void known_note(struct repl *r, const uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t ours, uint64_t theirs, int theirs_known)
{
	int found;
	size_t i = known_find(r, author, &found);
	struct repl_known *k;

	if (!found) {
		if ((ours == 0 && r->strangers >= REPL_WANTS_MAX) ||
		    known_reserve(r, 1) < 0)
			return;
		if (ours == 0)
			r->strangers++;
		memmove(&r->known[i + 1], &r->known[i],
			(r->nknown - i) * sizeof(r->known[0]));
		r->nknown++;
		k = &r->known[i];
		memcpy(k->author, author, KEY_PUBLIC_LEN);
		k->ours = ours;
		k->theirs = theirs;
		k->theirs_known = theirs_known;
		return;
	}
	k = &r->known[i];
	if (ours > k->ours)
		k->ours = ours;
	if (theirs_known && (!k->theirs_known || theirs > k->theirs)) {
		k->theirs = theirs;
		k->theirs_known = 1;
	}
}

/* Merges n feeds this list lacked, sorted by author, into it. */
static void known_merge(struct repl *r, const struct repl_known *add, size_t n)
{
	size_t i, j, o, strangers = 0;

	for (i = 0; i < n; i++)
		strangers += add[i].ours == 0;
	if (n == 0 || r->strangers + strangers > REPL_WANTS_MAX ||
	    known_reserve(r, n) < 0)
		return;
	r->strangers += strangers;
	/* from the back, in place: the list grows into its spare room */
	i = r->nknown;
	j = n;
	o = r->nknown + n;
	while (j > 0) {
		if (i > 0 && memcmp(r->known[i - 1].author, add[j - 1].author,
				    KEY_PUBLIC_LEN) > 0)
			r->known[--o] = r->known[--i];
		else
			r->known[--o] = add[--j];
	}
	r->nknown += n;
}

static void known_forget(struct repl *r)
{
	free(r->known);
	r->known = NULL;
	r->nknown = r->known_cap = r->strangers = 0;
}

/*
 * Repair: asks the peer, one range at a time within the window, for the
 * entries this store holds without their payload (a relay stripped
 * them): its answer fills them (ingest_run checks each payload against
 * the held header). A peer that lacks them too answers with fewer or
 * none: the cursor moves on either way, so each hole is asked once per
 * session, at most REPL_REPAIRS_MAX ranges.
 */
static int pump_repair(struct repl *r, struct err *e)
{
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t from;
	uint32_t count;
	int rc;

	if (!r->got_hello || r->repair_done || r->repair_in_flight ||
	    r->in_flight >= REPL_WINDOW || !r->ops->next_hole)
		return 0;
	if (r->repairs >= REPL_REPAIRS_MAX) {
		r->repair_done = 1;
		return 0;
	}
	rc = r->ops->next_hole(r->ctx, r->repair_author, r->repair_from +
			       r->repair_count, author, &from, &count, e);
	if (rc <= 0) {
		r->repair_done = rc == 0;
		return rc;
	}
	buf_reset(r->scratch);
	if ((rc = msg_put_want(r->scratch, author, from, count)) < 0 ||
	    (rc = flush(r, e)) < 0)
		return rc;
	memcpy(r->repair_author, author, KEY_PUBLIC_LEN);
	r->repair_from = from;
	r->repair_count = count;
	r->repair_in_flight = 1;
	r->repairs++;
	r->in_flight++;
	return 0;
}

/* Keeps up to REPL_WINDOW WANTs in flight; drops wants already met (by
 * another peer, say). */
static int pump_wants(struct repl *r, struct err *e)
{
	size_t i = 0;
	int rc;

	while (i < r->nwants && r->in_flight < REPL_WINDOW) {
		struct repl_want *w = &r->wants[i];
		uint64_t have;

		if (w->in_flight) {
			i++;
			continue;
		}
		if ((rc = r->ops->head(r->ctx, w->author, &have, e)) < 0)
			return rc;
		if (have >= w->target) {
			want_remove(r, i);
			continue;
		}
		buf_reset(r->scratch);
		w->from = have + 1;
		if ((rc = msg_put_want(r->scratch, w->author, have + 1,
				       MSG_RUN_MAX)) < 0 ||
		    (rc = flush(r, e)) < 0)
			return rc;
		w->in_flight = 1;
		r->in_flight++;
		i++;
	}
	return 0;
}

/*
 * Queues a fork probe: the peer's own entry at (author, seq), which this
 * store holds under another id (or the peer's next entry links to
 * another one), asked for alone so that the store records the proof
 * (docs/protocol.md, "Fork probes"). Not when the store would record
 * nothing (ops->fork_proven): a proven fork is not asked for again each
 * session, so it neither costs a round trip nor takes the place of one
 * not proven yet. Bounded: REPL_PROBES_QUEUE waiting, REPL_PROBES_MAX a
 * session; one beyond is dropped (a later session asks for it).
 */
static void probe_add(struct repl *r, const uint8_t author[KEY_PUBLIC_LEN],
		      uint64_t seq)
{
	unsigned i;

	if (seq == 0 || r->nprobes >= REPL_PROBES_QUEUE ||
	    r->probes_asked + r->nprobes >= REPL_PROBES_MAX)
		return;
	for (i = 0; i < r->nprobes; i++)
		if (r->probes[i].seq == seq &&
		    memcmp(r->probes[i].author, author, KEY_PUBLIC_LEN) == 0)
			return;
	/* a store that cannot tell is asked nothing of: probes are extra */
	if (r->ops->fork_proven &&
	    r->ops->fork_proven(r->ctx, author, seq, NULL) != 0)
		return;
	memcpy(r->probes[r->nprobes].author, author, KEY_PUBLIC_LEN);
	r->probes[r->nprobes].seq = seq;
	r->nprobes++;
}

/* Asks for the oldest probe waiting, one at a time, within the window. */
static int pump_probe(struct repl *r, struct err *e)
{
	int rc;

	if (!r->got_hello || r->probe_in_flight || r->nprobes == 0 ||
	    r->in_flight >= REPL_WINDOW)
		return 0;
	buf_reset(r->scratch);
	if ((rc = msg_put_want(r->scratch, r->probes[0].author,
			       r->probes[0].seq, 1)) < 0 ||
	    (rc = flush(r, e)) < 0)
		return rc;
	r->probe_in_flight = 1;
	r->probes_asked++;
	r->in_flight++;
	return 0;
}

/* This store's head of author's feed: its seq, and with head_id (one
 * query for both) its id into id, *with_id set. */
static int head_of(struct repl *r, const uint8_t author[KEY_PUBLIC_LEN],
		   uint64_t *have, uint8_t id[ENTRY_ID_LEN], int *with_id,
		   struct err *e)
{
	*with_id = r->ops->head_id != NULL;
	if (*with_id)
		return r->ops->head_id(r->ctx, author, have, id, e);
	return r->ops->head(r->ctx, author, have, e);
}

/* 1 if this store holds author's feed up to exactly seq under another
 * head id than id: the peer's head is the other side of a fork. */
static int head_differs(struct repl *r, const uint8_t author[KEY_PUBLIC_LEN],
			uint64_t seq, const uint8_t id[ENTRY_ID_LEN])
{
	uint8_t mine[ENTRY_ID_LEN];
	uint64_t have = 0;

	if (!r->ops->head_id || seq == 0 ||
	    r->ops->head_id(r->ctx, author, &have, mine, NULL) < 0)
		return 0;
	return have == seq && memcmp(mine, id, ENTRY_ID_LEN) != 0;
}

/* Keeps the window full with wants, then probes and repairs; says DONE
 * when all are through. */
static int pump(struct repl *r, struct err *e)
{
	int rc;

	if ((rc = pump_wants(r, e)) < 0 || (rc = pump_probe(r, e)) < 0 ||
	    (rc = pump_repair(r, e)) < 0)
		return rc;
	if (r->nwants == 0 && r->frontier_done && !r->sent_done &&
	    r->nprobes == 0 && r->repair_done && !r->repair_in_flight) {
		buf_reset(r->scratch);
		if ((rc = msg_put_done(r->scratch)) < 0 || (rc = flush(r, e)) < 0)
			return rc;
		r->sent_done = 1;
	}
	return 0;
}

/* Sends HELLO (flags: 0, or MSG_HELLO_REPLY), remembering the digest
 * and feed count it carried: the peer decides from those, so do we. */
static int send_hello(struct repl *r, uint32_t flags, struct err *e)
{
	uint8_t auth[HASH_LEN], zero[KEY_PUBLIC_LEN] = { 0 }, a[KEY_PUBLIC_LEN];
	uint64_t from;
	uint32_t count;
	int rc;

	if ((rc = r->ops->digest(r->ctx, r->sent_digest, &r->sent_feeds, e)) < 0)
		return rc;
	/* holes to repair: the peer must not end the session at an equal
	 * digest before they are asked for (it waits for our DONE) */
	r->holes = 0;
	if (r->ops->next_hole) {
		if ((rc = r->ops->next_hole(r->ctx, zero, 0, a, &from, &count,
					    e)) < 0)
			return rc;
		r->holes = rc;
		if (rc)
			flags |= MSG_HELLO_HOLES;
	}
	repl_hello_auth(r->hello_key, r->self, auth);
	buf_reset(r->scratch);
	if ((rc = msg_put_hello(r->scratch, r->self, auth, r->sent_digest,
				r->sent_feeds, flags | r->hello_flags)) < 0)
		return err_set(e, rc, "cannot build hello");
	return flush(r, e);
}

/* Forgets the session's progress (not who the peer is). */
static void reset(struct repl *r)
{
	free(r->wants);
	r->wants = NULL;
	r->nwants = r->cap = 0;
	r->in_flight = 0;
	r->frontier_done = r->equal_at_hello = 0;
	r->got_done = r->sent_done = 0;
	r->frontier_any = 0;
	r->awaiting_hello = 1;
	known_forget(r);
	/* holes are asked for anew; the outbox and the peer's waiting
	 * WANTs stay: they were sent or asked in order */
	r->repair_done = r->repair_in_flight = 0;
	r->repairs = 0;
	memset(r->repair_author, 0, sizeof(r->repair_author));
	r->repair_from = 0;
	r->repair_count = 0;
	r->nprobes = r->probes_asked = 0;
	r->probe_in_flight = 0;
	/* what was still expected is asked for again by the new exchange,
	 * which counts it again: lacks_in and progress start from here */
	r->stats.expected_in = r->stats.entries_in;
}

int repl_start(struct repl *r, struct err *e)
{
	reset(r);
	return send_hello(r, 0, e);
}

int repl_restart(struct repl *r, struct err *e)
{
	return repl_start(r, e);
}

/* Sends our frontier in FRONTIER chunks of at most MSG_FRONTIER_MAX. */
struct frontier_out {
	struct repl *r;
	struct msg_head *chunk; /* MSG_FRONTIER_MAX */
	uint16_t n;
	int rc;
	struct err *e;
};

static int frontier_chunk(struct frontier_out *fo, int more)
{
	struct repl *r = fo->r;
	int rc;

	buf_reset(r->scratch);
	if ((rc = msg_put_frontier(r->scratch, more, fo->chunk, fo->n)) < 0)
		return err_set(fo->e, rc, "cannot build frontier");
	fo->n = 0;
	return flush(r, fo->e);
}

static int frontier_add(const struct msg_head *h, void *arg)
{
	struct frontier_out *fo = arg;

	if (fo->n == MSG_FRONTIER_MAX &&
	    (fo->rc = frontier_chunk(fo, 1)) < 0)
		return 1;
	fo->chunk[fo->n++] = *h;
	/* what the peer holds of it: its FRONTIER, next */
	known_note(fo->r, h->author, h->seq, 0, 1);
	return 0;
}

static int send_frontier(struct repl *r, struct err *e)
{
	struct frontier_out fo = { r, NULL, 0, 0, e };
	int rc;

	fo.chunk = malloc(MSG_FRONTIER_MAX * sizeof(*fo.chunk));
	if (!fo.chunk)
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = r->ops->frontier(r->ctx, frontier_add, &fo, e);
	if (rc == 0)
		rc = fo.rc;
	if (rc == 0 && fo.n > 0)
		rc = frontier_chunk(&fo, 0);
	free(fo.chunk);
	return rc;
}

/*
 * A HELLO is handled once per session start. One that is not a reply,
 * arriving once the session ran, means the peer restarted: so do we, and
 * we answer with a reply-HELLO. HELLOs that cross (both restarted at
 * once) are ignored, without a strike.
 */
static int on_hello(struct repl *r, const struct msg *m, struct err *e)
{
	uint8_t expect[HASH_LEN];
	int rc;

	repl_hello_auth(r->hello_key, m->u.hello.node, expect);
	if (!bytes_equal(expect, m->u.hello.auth, HASH_LEN))
		return err_set(e, STOA_EPERM, "peer failed the community check "
			       "(bad hello auth)");
	if (bytes_equal(m->u.hello.node, r->self, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EEXIST, "connected to itself");
	if (r->got_hello && memcmp(m->u.hello.node, r->peer_node,
				   KEY_PUBLIC_LEN) != 0)
		return err_set(e, STOA_EPERM, "peer changed its node id");
	if (r->got_hello && !(m->u.hello.flags & MSG_HELLO_REPLY)) {
		/* each restart reads and sends the whole frontier again: a
		 * peer that restarts without ever bringing entries is
		 * storming, not syncing (what we send it does not count:
		 * it would only have to ask for one entry each time) */
		if (++r->restarts > REPL_RESTARTS_FREE)
			return strike(r, e, "%u HELLOs with nothing exchanged "
				      "between them", r->restarts);
		reset(r);
		if ((rc = send_hello(r, MSG_HELLO_REPLY, e)) < 0)
			return rc;
	}
	if (!r->awaiting_hello)
		return 0;
	r->awaiting_hello = 0;
	r->got_hello = 1;
	r->peer_flags = m->u.hello.flags;
	memcpy(r->peer_node, m->u.hello.node, KEY_PUBLIC_LEN);
	if (bytes_equal(r->sent_digest, m->u.hello.digest, HASH_LEN)) {
		r->equal_at_hello = 1;
		/* both hold the same: nothing lacks; a feed that grows from
		 * here is counted once the peer's head in it is learnt */
		known_forget(r);
		r->frontier_done = 1;
		/* nothing to pull either way, unless a side has holes: it
		 * says DONE once it asked for them, and the other waits */
		r->got_done = !(m->u.hello.flags & MSG_HELLO_HOLES);
		r->sent_done = !r->holes;
		return pump(r, e); /* holes only */
	}
	/* the peer pulls from our frontier; with no feeds there is none */
	if (r->sent_feeds > 0 && (rc = send_frontier(r, e)) < 0)
		return rc;
	if (m->u.hello.feeds == 0) {
		r->frontier_done = 1;
		return pump(r, e);
	}
	return 0;
}

static int on_frontier(struct repl *r, const struct msg *m, struct err *e)
{
	struct repl_known *add;
	struct msg_head h;
	size_t nadd = 0;
	uint16_t i;
	int rc = 0, found;

	/* the feeds our list lacks, merged in once (a frontier is sorted) */
	add = malloc((m->u.frontier.count ? m->u.frontier.count : 1) *
		     sizeof(*add));
	/* a frontier may also arrive late, from before a restart: its wants
	 * are as good as any */
	for (i = 0; i < m->u.frontier.count; i++) {
		uint8_t mine[ENTRY_ID_LEN];
		uint64_t have;
		int with_id;

		msg_frontier_get(m, i, &h);
		if (r->frontier_any && memcmp(h.author, r->frontier_last,
					      KEY_PUBLIC_LEN) <= 0) {
			rc = strike(r, e, "frontier not sorted by author");
			goto out;
		}
		memcpy(r->frontier_last, h.author, KEY_PUBLIC_LEN);
		r->frontier_any = 1;
		if ((rc = head_of(r, h.author, &have, mine, &with_id, e)) < 0)
			goto out;
		if (h.seq > have && want_add(r, h.author, have, h.seq) < 0) {
			rc = strike(r, e, "frontier announces more than %d "
				    "feeds", REPL_WANTS_MAX);
			goto out;
		}
		/* as long as ours: the same head, or a fork to prove */
		if (with_id && h.seq == have && have > 0 &&
		    memcmp(mine, h.id, ENTRY_ID_LEN) != 0)
			probe_add(r, h.author, h.seq);
		known_find(r, h.author, &found);
		if (found) {
			known_note(r, h.author, have, h.seq, 1);
		} else if (add && (h.seq > 0 || have > 0)) {
			memcpy(add[nadd].author, h.author, KEY_PUBLIC_LEN);
			add[nadd].ours = have;
			add[nadd].theirs = h.seq;
			add[nadd].theirs_known = 1;
			nadd++;
		}
	}
	if (!m->u.frontier.more) {
		r->frontier_done = 1;
		r->frontier_any = 0; /* a later frontier starts afresh */
	}
out:
	known_merge(r, add, nadd);
	free(add);
	return rc ? rc : pump(r, e);
}

/*
 * The run's entries must be the header's feed, from first on, one by one
 * (the store checks the rest); 0 or a reason in e.
 */
static int run_matches(const struct msg *m, struct err *e)
{
	struct msg_run_iter it;
	struct msg_run_entry re;
	struct entry en;
	uint64_t i = 0;

	msg_run_iter_init(&it, m);
	while (msg_run_next(&it, &re)) {
		if (entry_decode(&en, re.signed_bytes, ENTRY_SIGNED_LEN, e) < 0)
			return STOA_EPROTO;
		if (memcmp(en.author, m->u.entries.author, KEY_PUBLIC_LEN) != 0 ||
		    en.seq != m->u.entries.first + i)
			return err_set(e, STOA_EPROTO, "run entry %" PRIu64 " is "
				       "not seq %" PRIu64 " of the feed named",
				       i, m->u.entries.first + i);
		i++;
	}
	return 0;
}

/* A failure of this node's store (disk full, I/O), not of the peer. */
static int local_failure(int rc)
{
	return rc < 0 && rc != STOA_EPROTO && rc != STOA_ECRYPTO &&
	       rc != STOA_ESEQ && rc != STOA_EINVAL;
}

static int on_entries(struct repl *r, const struct msg *m, struct err *e)
{
	struct err ie = { 0 };
	uint32_t stored = 0, repaired = 0;
	uint64_t have = 0, last;
	int found, rc, asked, repair, probe;
	size_t i = want_find(r, m->u.entries.author, &found);

	if ((rc = run_matches(m, &ie)) < 0)
		return strike(r, e, "refused a run: %s", ie.msg);
	/* A run we did not ask for (yet) is still checked and stored like
	 * any other: it is how answers to a session we restarted arrive. */
	asked = found && r->wants[i].in_flight &&
		m->u.entries.first == r->wants[i].from;
	if (asked) {
		r->wants[i].in_flight = 0;
		r->in_flight--;
	}
	repair = r->repair_in_flight && m->u.entries.first == r->repair_from &&
		 memcmp(m->u.entries.author, r->repair_author,
			KEY_PUBLIC_LEN) == 0;
	if (repair) {
		/* the hole is not asked for again this session, whatever
		 * the answer brought */
		r->repair_in_flight = 0;
		r->in_flight--;
		r->repair_from += r->repair_count - 1;
		r->repair_count = 0;
		asked = 1;
	}
	/* one answer answers one WANT: a probe and a repair may ask for
	 * the same seq (a fork at a head held without its payload), and
	 * the second answer must not come unasked */
	probe = !repair && r->probe_in_flight && r->nprobes > 0 &&
		m->u.entries.first == r->probes[0].seq &&
		memcmp(m->u.entries.author, r->probes[0].author,
		       KEY_PUBLIC_LEN) == 0;
	if (probe) {
		/* answered, whatever it brought: never asked again here */
		r->probe_in_flight = 0;
		r->in_flight--;
		r->nprobes--;
		memmove(&r->probes[0], &r->probes[1],
			r->nprobes * sizeof(r->probes[0]));
		asked = 1;
	}
	rc = r->ops->ingest_run(r->ctx, m, &stored, &repaired, &ie);
	if (local_failure(rc)) {
		/* keep the peer and the want: a failed commit restarts
		 * the session and it is asked for again */
		err_set(e, rc, "local store: %s", ie.msg);
		return 1;
	}
	if (rc < 0) {
		if (found)
			want_remove(r, i);
		rc = strike(r, e, "refused a run: %s", ie.msg);
		if (rc < 0)
			return rc;
		return pump(r, e) < 0 ? STOA_EIO : 1;
	}
	r->stats.entries_in += stored;
	r->stats.repaired += repaired;
	if (stored || repaired) {
		r->strikes = 0; /* strikes count a peer that makes no progress */
		r->restarts = 0;
	}
	if (rc == REPL_CUT) {
		/* this store takes no more of the feed (a removal the
		 * peer may not hold yet): asked no further, no strike */
		if (found)
			want_remove(r, i);
		if (pump(r, e) < 0)
			return STOA_EIO;
		err_set(e, STOA_EPERM, "a run cut at a removed member's last "
			"entry kept (the peer may not hold the removal)");
		return 1;
	}
	if (rc == REPL_FORK || rc == REPL_FORK_KNOWN) {
		/* not the relaying peer's fault: the author forked; this
		 * feed cannot go on from here. But evidence that adds
		 * nothing, sent unasked, is a peer replaying forks at us. */
		if (found)
			want_remove(r, i);
		/* an asked run that brought nothing and forked: its first
		 * entry links to another history than the one held. The
		 * peer's entry before it is the other side: ask for it */
		if (rc == REPL_FORK && asked && !probe && !repair &&
		    stored == 0 && m->u.entries.first > 1)
			probe_add(r, m->u.entries.author,
				  m->u.entries.first - 1);
		if (rc == REPL_FORK_KNOWN && !asked) {
			rc = strike(r, e, "unasked run: %s", ie.msg);
			if (rc < 0)
				return rc;
		} else {
			err_set(e, STOA_EFORK, "%s", ie.msg);
		}
		return pump(r, e) < 0 ? STOA_EIO : 1;
	}
	if (found &&
	    (rc = r->ops->head(r->ctx, m->u.entries.author, &have, e)) < 0)
		return rc;
	last = m->u.entries.first + m->u.entries.count - 1;
	/* the peer holds the run; this store what it took of it (a run
	 * not asked for: if its head can be read, for the lacks only) */
	if (m->u.entries.count > 0 &&
	    (found || r->ops->head(r->ctx, m->u.entries.author, &have,
				   &ie) == 0))
		known_note(r, m->u.entries.author, have, last, 1);
	if (!found)
		return repair || probe ? pump(r, e) : 0;
	if (m->u.entries.count == 0 || have >= r->wants[i].target) {
		if (asked || have >= r->wants[i].target)
			want_remove(r, i);
	} else if (stored == 0 && asked && have < last) {
		/* it answered what we asked and moved us nowhere */
		want_remove(r, i);
		rc = strike(r, e, "a run that brought nothing new");
		if (rc < 0)
			return rc;
		return pump(r, e) < 0 ? STOA_EIO : 1;
	}
	/* else: progress, or another peer already brought these */
	return pump(r, e);
}

/* Answers one WANT with a run from the store. */
static int answer(struct repl *r, const struct repl_ask *a, struct err *e)
{
	uint16_t n;
	int rc;

	buf_reset(r->scratch);
	if ((rc = r->ops->read_run(r->ctx, r->scratch, a->author, a->from,
				   a->max, e)) < 0)
		return rc;
	n = msg_entries_count(r->scratch);
	r->stats.entries_out += n;
	if (n > 0) {
		int found;

		known_find(r, a->author, &found);
		/* a feed we hold but did not list counts from the next
		 * exchange; this one, the peer holds now */
		if (found)
			known_note(r, a->author, 0, a->from + n - 1, 1);
	}
	return flush(r, e);
}

/*
 * A WANT is answered at once unless frames wait in the outbox (the peer
 * is not reading): then it waits, at most REPL_ASKS_MAX of them, so what
 * one peer can make this node hold for it is bounded in bytes.
 */
static int on_want(struct repl *r, const struct msg *m, struct err *e)
{
	struct repl_ask a;

	memcpy(a.author, m->u.want.author, KEY_PUBLIC_LEN);
	a.from = m->u.want.from;
	a.max = m->u.want.max;
	if (!r->out_head && r->nasks == 0)
		return answer(r, &a, e);
	if (r->nasks == REPL_ASKS_MAX)
		return strike(r, e, "more than %d WANTs wait for their "
			      "answers to be read", REPL_ASKS_MAX);
	r->asks[r->nasks++] = a;
	return 0;
}

int repl_drain(struct repl *r, struct err *e)
{
	struct err se = { 0 };
	int rc;

	while (r->out_head) {
		struct repl_frame *f = r->out_head;

		rc = r->ops->send(r->peer, f->data, f->len, &se);
		if (rc == STOA_EBUSY)
			return 0;
		if (rc < 0)
			return err_set(e, rc, "%s", se.msg);
		r->out_head = f->next;
		if (!r->out_head)
			r->out_tail = NULL;
		r->out_bytes -= f->len;
		free(f);
	}
	while (r->nasks > 0 && !r->out_head) {
		struct repl_ask a = r->asks[0];

		memmove(&r->asks[0], &r->asks[1],
			(r->nasks - 1) * sizeof(r->asks[0]));
		r->nasks--;
		if ((rc = answer(r, &a, e)) < 0)
			return rc;
	}
	return 0;
}

size_t repl_backlog(const struct repl *r)
{
	return r->out_bytes + r->nasks;
}

void repl_close(struct repl *r, int code, const char *why)
{
	free(r->wants);
	r->wants = NULL;
	r->nwants = r->cap = 0;
	r->nasks = 0;
	r->in_flight = 0;
	r->repair_done = 1;
	r->repair_in_flight = 0;
	r->nprobes = 0;
	r->probe_in_flight = 0;
	buf_reset(r->scratch);
	if (msg_put_error(r->scratch, code, why) == 0)
		flush(r, NULL);
	buf_reset(r->scratch);
}

static int on_have(struct repl *r, const struct msg *m, struct err *e)
{
	uint64_t have;
	int rc;

	if ((rc = r->ops->head(r->ctx, m->u.have.author, &have, e)) < 0)
		return rc;
	/* the peer's feed grew, whoever brought the entries */
	if (m->u.have.seq > 0)
		known_note(r, m->u.have.author, have, m->u.have.seq, 1);
	if (m->u.have.seq == have &&
	    head_differs(r, m->u.have.author, have, m->u.have.id)) {
		probe_add(r, m->u.have.author, have);
		return r->frontier_done ? pump(r, e) : 0;
	}
	if (m->u.have.seq <= have)
		return 0;
	if (want_add(r, m->u.have.author, have, m->u.have.seq) < 0)
		return strike(r, e, "too many feeds announced");
	return r->frontier_done ? pump(r, e) : 0;
}

int repl_recv(struct repl *r, const uint8_t *p, size_t len, struct err *e)
{
	struct err de = { 0 };
	struct msg m;

	r->stats.msgs_in++;
	r->stats.bytes_in += len;
	if (msg_decode(&m, p, len, &de) < 0)
		return strike(r, e, "malformed message: %s", de.msg);
	if (!r->got_hello && m.type != MSG_HELLO && m.type != MSG_ERROR)
		return strike(r, e, "%s before hello", msg_type_name(m.type));
	switch (m.type) {
	case MSG_HELLO:
		return on_hello(r, &m, e);
	case MSG_FRONTIER:
		return on_frontier(r, &m, e);
	case MSG_WANT:
		return on_want(r, &m, e);
	case MSG_ENTRIES:
		return on_entries(r, &m, e);
	case MSG_HAVE:
		return on_have(r, &m, e);
	case MSG_ERROR:
		err_set(e, STOA_EPROTO, "peer says: %s", m.u.error.text);
		/* before its hello, or with STOA_EPERM, an error is the peer
		 * refusing us: the session ends */
		return r->got_hello && m.u.error.code != STOA_EPERM ? 1
								   : STOA_EPERM;
	case MSG_DONE:
		r->got_done = 1;
		return 0;
	case MSG_PING:
		return 0;
	}
	return strike(r, e, "unknown message type %u", m.type);
}

int repl_notify(struct repl *r, const struct msg_head *h, struct err *e)
{
	int rc;

	if (!r->got_hello)
		return 0;
	/* what the peer holds of a feed new to the list: none of it if
	 * the frontiers were exchanged (it would have listed it), not
	 * known yet if the digests were equal */
	known_note(r, h->author, h->seq, 0, !r->equal_at_hello);
	buf_reset(r->scratch);
	if ((rc = msg_put_have(r->scratch, h)) < 0)
		return err_set(e, rc, "cannot build have");
	return flush(r, e);
}

int repl_settled(const struct repl *r)
{
	/* a probe waiting or asked: its proof is not recorded yet */
	return r->got_hello && r->frontier_done && r->nwants == 0 &&
	       r->got_done && r->repair_done && !r->repair_in_flight &&
	       r->nprobes == 0;
}

/* a + b, at most INT64_MAX (a peer may announce any seq; a count that
 * wrapped, or turned negative in JSON, would say less) */
static uint64_t add_capped(uint64_t a, uint64_t b)
{
	return b > (uint64_t)INT64_MAX - a ? (uint64_t)INT64_MAX : a + b;
}

void repl_lacks(const struct repl *r, uint64_t *in, uint64_t *out)
{
	size_t i;

	*in = *out = 0;
	for (i = 0; i < r->nknown; i++) {
		const struct repl_known *k = &r->known[i];

		if (!k->theirs_known)
			continue;
		if (k->theirs > k->ours)
			*in = add_capped(*in, k->theirs - k->ours);
		else
			*out = add_capped(*out, k->ours - k->theirs);
	}
}
