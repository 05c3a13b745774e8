/*
 * mem_store: struct repl_ops over feeds held in memory (see mem_store.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "mem_store.h"

#define MEM_BLOCK 65536 /* docs/protocol.md: the digest's block */

void mem_store_init(struct mem_store *s)
{
	memset(s, 0, sizeof(*s));
}

void mem_store_free(struct mem_store *s)
{
	for (size_t i = 0; i < s->nfeeds; i++) {
		for (size_t j = 0; j < s->feeds[i].n; j++)
			free(s->feeds[i].v[j].payload);
		free(s->feeds[i].v);
	}
	free(s->feeds);
	memset(s, 0, sizeof(*s));
}

/* Index of author's feed, or where it would go. */
static size_t feed_find(const struct mem_store *s,
			const uint8_t author[KEY_PUBLIC_LEN], int *found)
{
	size_t lo = 0, hi = s->nfeeds;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s->feeds[mid].author, author, KEY_PUBLIC_LEN);

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

static const struct mem_feed *feed_get(const struct mem_store *s,
				       const uint8_t author[KEY_PUBLIC_LEN])
{
	int found;
	size_t i = feed_find(s, author, &found);

	return found ? &s->feeds[i] : NULL;
}

/* author's feed, added empty if new; NULL when out of memory. */
static struct mem_feed *feed_add(struct mem_store *s,
				 const uint8_t author[KEY_PUBLIC_LEN])
{
	int found;
	size_t i = feed_find(s, author, &found);

	if (found)
		return &s->feeds[i];
	if (s->nfeeds == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct mem_feed *f = realloc(s->feeds, cap * sizeof(*f));

		if (!f)
			return NULL;
		s->feeds = f;
		s->cap = cap;
	}
	memmove(&s->feeds[i + 1], &s->feeds[i],
		(s->nfeeds - i) * sizeof(s->feeds[0]));
	s->nfeeds++;
	memset(&s->feeds[i], 0, sizeof(s->feeds[i]));
	memcpy(s->feeds[i].author, author, KEY_PUBLIC_LEN);
	return &s->feeds[i];
}

uint64_t mem_store_head(const struct mem_store *s,
			const uint8_t author[KEY_PUBLIC_LEN],
			uint8_t id[ENTRY_ID_LEN])
{
	const struct mem_feed *f = feed_get(s, author);

	if (!f || f->n == 0) {
		if (id)
			memset(id, 0, ENTRY_ID_LEN);
		return 0;
	}
	if (id)
		memcpy(id, f->v[f->n - 1].id, ENTRY_ID_LEN);
	return f->n;
}

void mem_frontier_digest(const struct msg_head *t, size_t n,
			 uint8_t out[HASH_LEN])
{
	/* a triple is never split: the block ends at 65536 bytes or more */
	static uint8_t block[MEM_BLOCK + MSG_TRIPLE_LEN];
	uint8_t d[HASH_LEN] = { 0 }, nd[HASH_LEN];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t *p = block + len;

		memcpy(p, t[i].author, KEY_PUBLIC_LEN);
		for (int k = 0; k < 8; k++)
			p[KEY_PUBLIC_LEN + k] = (uint8_t)(t[i].seq >> (56 - 8 * k));
		memcpy(p + KEY_PUBLIC_LEN + 8, t[i].id, ENTRY_ID_LEN);
		len += MSG_TRIPLE_LEN;
		if (len >= MEM_BLOCK) {
			hash_blake2b2(nd, d, HASH_LEN, block, len);
			memcpy(d, nd, HASH_LEN);
			len = 0;
		}
	}
	hash_blake2b2(nd, d, HASH_LEN, block, len);
	memcpy(out, nd, HASH_LEN);
}

/* The frontier as triples, sorted (the feeds are); NULL if none. */
static struct msg_head *triples(const struct mem_store *s, size_t *n)
{
	struct msg_head *t = malloc((s->nfeeds ? s->nfeeds : 1) * sizeof(*t));

	*n = 0;
	if (!t)
		return NULL;
	for (size_t i = 0; i < s->nfeeds; i++) {
		const struct mem_feed *f = &s->feeds[i];

		if (f->n == 0)
			continue;
		memcpy(t[*n].author, f->author, KEY_PUBLIC_LEN);
		t[*n].seq = f->n;
		memcpy(t[*n].id, f->v[f->n - 1].id, ENTRY_ID_LEN);
		(*n)++;
	}
	return t;
}

int mem_store_digest(const struct mem_store *s, uint8_t out[HASH_LEN],
		     uint32_t *feeds)
{
	size_t n;
	struct msg_head *t = triples(s, &n);

	if (!t)
		return STOA_ENOMEM;
	mem_frontier_digest(t, n, out);
	*feeds = (uint32_t)n;
	free(t);
	return 0;
}

static int m_digest(void *ctx, uint8_t out[HASH_LEN], uint32_t *feeds,
		    struct err *e)
{
	if (mem_store_digest(ctx, out, feeds) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

static int m_frontier(void *ctx, int (*cb)(const struct msg_head *h, void *arg),
		      void *arg, struct err *e)
{
	size_t n;
	struct msg_head *t = triples(ctx, &n);

	if (!t)
		return err_set(e, STOA_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (cb(&t[i], arg) != 0)
			break;
	free(t);
	return 0;
}

static int m_head(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		  uint64_t *seq, struct err *e)
{
	(void)e;
	*seq = mem_store_head(ctx, author, NULL);
	return 0;
}

/* As replica_read_run: up to max entries from from, up to MSG_RUN_BYTES. */
static int m_read_run(void *ctx, struct buf *b,
		      const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
		      uint32_t max, struct err *e)
{
	const struct mem_feed *f = feed_get(ctx, author);
	size_t bytes = 0;
	int rc;

	if (max > MSG_RUN_MAX)
		max = MSG_RUN_MAX;
	if (from > ENTRY_MAX_SEQ)
		from = ENTRY_MAX_SEQ;
	if ((rc = msg_entries_begin(b, author, from)) < 0)
		return err_set(e, rc, "cannot build a run");
	for (uint64_t seq = from; f && max > 0 && seq <= f->n; seq++, max--) {
		const struct mem_entry *x = &f->v[seq - 1];

		if (msg_entries_add(b, x->signed_bytes, x->payload, x->plen) < 0)
			break;
		bytes += ENTRY_SIGNED_LEN + x->plen;
		if (bytes >= MSG_RUN_BYTES)
			break;
	}
	msg_entries_end(b);
	return 0;
}

/* One entry of a run, decoded: of the feed named, at its seq. */
static int decode_one(const struct msg_run_entry *re, const uint8_t *author,
		      uint64_t seq, struct entry *en, struct err *e)
{
	int rc;

	if ((rc = entry_decode(en, re->signed_bytes, ENTRY_SIGNED_LEN, e)) < 0)
		return rc;
	if (memcmp(en->author, author, KEY_PUBLIC_LEN) != 0 || en->seq != seq)
		return err_set(e, STOA_EPROTO, "entry %" PRIu64 " is not of the "
			       "feed named", seq);
	return 0;
}

/* An entry's payload: there, and the one its header names. */
static int check_payload(const struct msg_run_entry *re,
			 const struct entry *en, struct err *e)
{
	if (!re->payload)
		return err_set(e, STOA_EPROTO, "seq %" PRIu64 ": payload erased",
			       en->seq);
	return entry_check_payload(en, re->payload, re->plen, e);
}

/*
 * As store_ingest_run's run_cut: how many of the n decoded entries to
 * take, all of them when the last new one (seq above head) is signed;
 * else up to the newest new one that is (it vouches for the chain below
 * it). STOA_ECRYPTO when no new entry is signed.
 */
static long run_cut(const struct entry *ens, size_t n, uint64_t head,
		    struct err *e)
{
	size_t first_new = 0;
	long j;

	while (first_new < n && ens[first_new].seq <= head)
		first_new++;
	if (first_new == n)
		return (long)n;
	for (j = (long)n - 1; j >= (long)first_new; j--)
		if (entry_verify(&ens[j], j == (long)n - 1 ? e : NULL) == 0) {
			if (j < (long)n - 1)
				err_clear(e); /* a shorter run, not an error */
			return j + 1;
		}
	return STOA_ECRYPTO;
}

static int store_new(struct mem_feed *f, const struct entry *en,
		     const void *payload, uint32_t plen)
{
	struct mem_entry *x;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct mem_entry *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return STOA_ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	x = &f->v[f->n];
	x->payload = malloc(plen ? plen : 1);
	if (!x->payload)
		return STOA_ENOMEM;
	memcpy(x->payload, plen ? payload : "", plen);
	x->plen = plen;
	memcpy(x->signed_bytes, en->signed_bytes, ENTRY_SIGNED_LEN);
	memcpy(x->id, en->id, ENTRY_ID_LEN);
	f->n++;
	return 0;
}

static int m_ingest_run(void *ctx, const struct msg *m, uint32_t *stored,
			uint32_t *repaired, struct err *e)
{
	struct mem_store *s = ctx;
	const uint8_t *author = m->u.entries.author;
	uint8_t prev[ENTRY_ID_LEN];
	struct msg_run_entry *v;
	struct msg_run_iter it;
	struct entry *ens;
	uint64_t head = mem_store_head(s, author, prev);
	size_t n = 0, first_new = 0, i;
	struct mem_feed *f;
	long cut;
	int rc = 0, fork = 0, diverged = 0;

	*stored = *repaired = 0;
	if (m->u.entries.count == 0)
		return 0;
	s->runs_in++;
	v = calloc(m->u.entries.count, sizeof(*v));
	ens = calloc(m->u.entries.count, sizeof(*ens));
	if (!v || !ens) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	msg_run_iter_init(&it, m);
	while (n < m->u.entries.count && msg_run_next(&it, &v[n]))
		n++;
	for (i = 0; i < n; i++)
		if ((rc = decode_one(&v[i], author, m->u.entries.first + i,
				     &ens[i], e)) < 0)
			goto out;
	/* a bad last signature cuts the run (the cut part is not looked at);
	 * the last entry kept is signed and authenticates the chain */
	if ((cut = run_cut(ens, n, head, e)) < 0) {
		rc = (int)cut;
		goto out;
	}
	n = (size_t)cut;
	/* every check before anything is stored */
	for (i = 0; i < n; i++) {
		uint64_t seq = ens[i].seq;

		if ((rc = check_payload(&v[i], &ens[i], e)) < 0)
			goto out;
		if (seq <= head) {
			const struct mem_feed *hf = feed_get(s, author);

			first_new = i + 1;
			if (bytes_equal(hf->v[seq - 1].id, ens[i].id,
					ENTRY_ID_LEN))
				continue;
			/* another entry at a held seq: a fork, if signed */
			if ((rc = entry_verify(&ens[i], e)) < 0)
				goto out;
			fork = 1;
			n = i; /* what follows builds on the other side */
			break;
		}
		if (seq > head + 1 && i == first_new) {
			rc = err_set(e, STOA_ESEQ, "seq %" PRIu64 " after head "
				     "%" PRIu64 ": a gap", seq, head);
			goto out;
		}
		/* a new entry links to the one before it */
		if (!bytes_equal(ens[i].prev, i == first_new ? prev : ens[i - 1].id,
				 ENTRY_ID_LEN)) {
			/* the first new one, signed: the feed went two ways
			 * after our head (nothing to record; a fork each time) */
			if (i == first_new && entry_verify(&ens[i], NULL) == 0) {
				diverged = 1;
				n = i;
				break;
			}
			rc = err_set(e, STOA_ESEQ, "seq %" PRIu64 ": its prev is "
				     "not the entry before", seq);
			goto out;
		}
	}
	if (diverged) {
		rc = REPL_FORK;
		err_set(e, STOA_EFORK, "a fork of the feed: the entry after "
			"%" PRIu64 " is on another history", head);
		goto out;
	}
	if (fork) {
		f = feed_add(s, author);
		rc = f && f->forks++ == 0 ? REPL_FORK : REPL_FORK_KNOWN;
		err_set(e, STOA_EFORK, "a fork of the feed");
		goto out;
	}
	if (first_new >= n)
		goto out; /* nothing new */
	if (!(f = feed_add(s, author))) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = first_new; i < n; i++) {
		if (store_new(f, &ens[i], v[i].payload, v[i].plen) < 0) {
			rc = err_set(e, STOA_ENOMEM, "out of memory");
			goto out;
		}
		(*stored)++;
	}
	if (s->grew) {
		struct msg_head h;

		memcpy(h.author, author, KEY_PUBLIC_LEN);
		h.seq = mem_store_head(s, author, h.id);
		s->grew(s->arg, &h);
	}
out:
	if (rc < 0)
		s->runs_refused++;
	free(v);
	free(ens);
	return rc;
}

static int m_next_hole(void *ctx, const uint8_t after[KEY_PUBLIC_LEN],
		       uint64_t seq, uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t *from, uint32_t *count, struct err *e)
{
	(void)ctx;
	(void)after;
	(void)seq;
	(void)author;
	(void)from;
	(void)count;
	(void)e;
	return 0; /* a mem store holds every payload */
}

int mem_store_append(struct mem_store *s, const struct entry *en,
		     const void *payload, uint32_t plen, struct err *e)
{
	struct buf b;
	struct msg m;
	uint32_t stored = 0, repaired;
	int rc;

	buf_init(&b, MSG_MAX);
	if ((rc = msg_entries_begin(&b, en->author, en->seq)) < 0 ||
	    (rc = msg_entries_add(&b, en->signed_bytes, payload, plen)) < 0) {
		buf_release(&b);
		return err_set(e, rc, "cannot build a run");
	}
	msg_entries_end(&b);
	rc = msg_decode(&m, b.data, b.len, e);
	if (rc == 0)
		rc = m_ingest_run(s, &m, &stored, &repaired, e);
	buf_release(&b);
	if (rc == 0 && stored != 1)
		rc = err_set(e, STOA_ESEQ, "not the next entry of its feed");
	return rc < 0 ? rc : rc > 0 ? STOA_EFORK : 0;
}

static int m_head_id(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		     uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	(void)e;
	*seq = mem_store_head(ctx, author, id);
	return 0;
}

/* As store_fork_proven: this store keeps one fork a feed (f->forks). */
static int m_fork_proven(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
			 uint64_t seq, struct err *e)
{
	const struct mem_feed *f = feed_get(ctx, author);

	(void)seq;
	(void)e;
	return f && f->forks > 0;
}

void mem_store_ops_init(struct repl_ops *ops,
			int (*send)(void *peer, const uint8_t *p, size_t len,
				    struct err *e))
{
	ops->digest = m_digest;
	ops->frontier = m_frontier;
	ops->head = m_head;
	ops->read_run = m_read_run;
	ops->ingest_run = m_ingest_run;
	ops->next_hole = m_next_hole;
	ops->send = send;
	ops->head_id = m_head_id;
	ops->fork_proven = m_fork_proven;
}
