/*
 * bundle: the bundle and frontier file format, and the create and apply
 * walks over a store (see bundle.h). The file, byte by byte (all
 * integers big-endian; docs/formats.md, "Bundles and frontier files"):
 *
 *   off len  field
 *     0   8  magic "stoa-bnd" (a bundle) or "stoa-frn" (a frontier file)
 *     8   1  version = 1
 *     9   4  epoch of the community secret whose key K encrypts it
 *    13  16  tag: the first 16 bytes of BLAKE2b-256 keyed by K of
 *            "stoa-bundle-tag-v1" (names K; reveals nothing of it)
 *    29  24  secretstream header (XChaCha20-Poly1305)
 *    53      messages, each: length L (u32, 18..BUNDLE_MSG_MAX + 17) ||
 *            L bytes of secretstream ciphertext
 * K = community_derive(community of that epoch, COMMUNITY_KEY_BUNDLE).
 * The first message is bound to bytes 0..53 as additional data. The
 * plaintexts, each starting with its type:
 *   HEAD  (1): type || creator (32) || addressee (32, zeros: none) ||
 *              created ms (8) || name length N (1, 0..64) || name (N) ||
 *              feeds F (4, 0..BUNDLE_FEEDS_MAX) || entries (8)
 *   FEEDS (2): type || count C (2, 1..512) || C x (author (32) ||
 *              from (8) || to (8) || id of entry `to` (32)); authors
 *              strictly ascending across all FEEDS; ceil(F / 512) of them
 *   RUN   (3): type || author (32) || count C (2, 1..STORE_RUN_MAX) ||
 *              C x (signed bytes (186) || payload length P (4) ||
 *              payload (P)); P = 0xFFFFFFFF: erased, no payload bytes;
 *              every entry's author is the run's (bundles only)
 *   END   (4): type || entries (8) || bytes (8): the RUNs' entries and
 *              their signed bytes + payloads; the only FINAL message,
 *              and nothing follows it
 * Order: HEAD, the FEEDS, the RUNs, END. A frontier's feeds say
 * (author, 1, head seq, head id), with no RUN, and END (sum of seqs, 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "bundle.h"
#include "sstream.h"
#include "store.h"
#include "view.h"

enum { MSG_HEAD = 1, MSG_FEEDS = 2, MSG_RUN = 3, MSG_END = 4 };

#define CT_MAX (BUNDLE_MSG_MAX + SSTREAM_ABYTES)
#define HEAD_MIN (1 + 2 * KEY_PUBLIC_LEN + 8 + 1 + 4 + 8)

_Static_assert(BUNDLE_FEEDS_PER_MSG * BUNDLE_FEED_LEN + 3 <= BUNDLE_MSG_MAX,
	       "a FEEDS message fits a message");

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* K and its tag for community c (one epoch). */
static void key_of(const struct community *c, uint8_t key[SSTREAM_KEY_LEN],
		   uint8_t tag[BUNDLE_TAG_LEN])
{
	uint8_t h[HASH_LEN];

	community_derive(c, COMMUNITY_KEY_BUNDLE, key);
	hash_blake2b_keyed(h, key, BUNDLE_TAG_DOMAIN,
			   sizeof(BUNDLE_TAG_DOMAIN) - 1);
	memcpy(tag, h, BUNDLE_TAG_LEN);
}

void bundle_head_release(struct bundle_head *h)
{
	if (!h)
		return;
	free(h->feeds);
	h->feeds = NULL;
	h->nfeeds = 0;
}

const struct bundle_feed *bundle_head_find(const struct bundle_head *h,
					   const uint8_t author[KEY_PUBLIC_LEN])
{
	size_t lo = 0, hi = h->nfeeds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(h->feeds[mid].author, author, KEY_PUBLIC_LEN);

		if (c == 0)
			return &h->feeds[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- writing ------------------------------------------------------------ */

struct writer {
	struct afile af;
	struct sstream ss;
	uint8_t prefix[BUNDLE_PREFIX_LEN];
	int first;
	uint8_t *ct;
	struct buf m;   /* the message being built */
	uint64_t size;  /* bytes written */
	int err;        /* a write failed (errno kept in err_no) */
	int err_no;
};

static void w_put(struct writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (fwrite(p, 1, n, w->af.f) != n) {
		w->err = 1;
		w->err_no = errno;
		return;
	}
	w->size += n;
}

static int w_open(struct writer *w, const char *path, const char *magic,
		  const struct community *c, struct err *e)
{
	uint8_t key[SSTREAM_KEY_LEN], tag[BUNDLE_TAG_LEN];
	int rc;

	memset(w, 0, sizeof(*w));
	/* a directory, a device or a symlink is never replaced */
	if ((rc = afile_open(&w->af, path, 0600, "it would not be replaced",
			     e)) < 0)
		return rc;
	if (!(w->ct = malloc(4 + CT_MAX))) {
		afile_abort(&w->af);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	buf_init(&w->m, BUNDLE_MSG_MAX);
	key_of(c, key, tag);
	memcpy(w->prefix, magic, BUNDLE_MAGIC_LEN);
	w->prefix[8] = BUNDLE_VERSION;
	be_put32(w->prefix + 9, c->epoch);
	memcpy(w->prefix + 13, tag, BUNDLE_TAG_LEN);
	sstream_push_init(&w->ss, w->prefix + 29, key);
	bytes_wipe(key, sizeof(key));
	w->first = 1;
	w_put(w, w->prefix, sizeof(w->prefix));
	return 0;
}

/* Encrypts and writes w->m as one message, then empties it. */
static void w_msg(struct writer *w, int final)
{
	size_t n = w->m.len;

	be_put32(w->ct, (uint32_t)(n + SSTREAM_ABYTES));
	sstream_push(&w->ss, w->ct + 4, w->m.data, n,
		     w->first ? w->prefix : NULL,
		     w->first ? sizeof(w->prefix) : 0, final);
	w->first = 0;
	w_put(w, w->ct, 4 + n + SSTREAM_ABYTES);
	buf_reset(&w->m);
}

static void w_abort(struct writer *w)
{
	afile_abort(&w->af);
	sstream_wipe(&w->ss);
	buf_release(&w->m);
	free(w->ct);
	w->ct = NULL;
}

/* Flushes, fsyncs and renames the temp file over the path. */
static int w_close(struct writer *w, struct err *e)
{
	int rc;

	if (w->err) { /* a write failed: its errno says why */
		rc = err_set(e, w->err_no == ENOSPC ? STOA_EFULL : STOA_EIO,
			     "cannot write '%s': %s", w->af.path,
			     strerror(w->err_no));
		w_abort(w);
		return rc;
	}
	rc = afile_commit(&w->af, e);
	w_abort(w);
	return rc;
}

static int w_head(struct writer *w, int kind, struct home *h,
		  const uint8_t addressee[KEY_PUBLIC_LEN], uint32_t nfeeds,
		  uint64_t entries, struct err *e)
{
	char name[BUNDLE_NAME_MAX + 1] = "";
	uint8_t zero[KEY_PUBLIC_LEN] = { 0 };
	size_t n;

	(void)kind;
	if (view_member_name(h->store, h->key.pk, name, sizeof(name), NULL) < 0)
		name[0] = '\0';
	n = strlen(name);
	if (buf_put_u8(&w->m, MSG_HEAD) < 0 ||
	    buf_append(&w->m, h->key.pk, KEY_PUBLIC_LEN) < 0 ||
	    buf_append(&w->m, addressee ? addressee : zero, KEY_PUBLIC_LEN) < 0 ||
	    buf_put_u64(&w->m, now_ms()) < 0 || buf_put_u8(&w->m, (uint8_t)n) < 0 ||
	    buf_append(&w->m, name, n) < 0 || buf_put_u32(&w->m, nfeeds) < 0 ||
	    buf_put_u64(&w->m, entries) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	w_msg(w, 0);
	return 0;
}

static int w_feeds(struct writer *w, const struct bundle_feed *f, size_t n,
		   struct err *e)
{
	size_t i = 0, k;

	while (i < n) {
		k = n - i < BUNDLE_FEEDS_PER_MSG ? n - i : BUNDLE_FEEDS_PER_MSG;
		if (buf_put_u8(&w->m, MSG_FEEDS) < 0 ||
		    buf_put_u16(&w->m, (uint16_t)k) < 0)
			return err_set(e, STOA_ENOMEM, "out of memory");
		for (; k > 0; k--, i++)
			if (buf_append(&w->m, f[i].author, KEY_PUBLIC_LEN) < 0 ||
			    buf_put_u64(&w->m, f[i].from) < 0 ||
			    buf_put_u64(&w->m, f[i].to) < 0 ||
			    buf_append(&w->m, f[i].id, ENTRY_ID_LEN) < 0)
				return err_set(e, STOA_ENOMEM, "out of memory");
		w_msg(w, 0);
	}
	return 0;
}

static int w_end(struct writer *w, uint64_t entries, uint64_t bytes,
		 struct err *e)
{
	if (buf_put_u8(&w->m, MSG_END) < 0 || buf_put_u64(&w->m, entries) < 0 ||
	    buf_put_u64(&w->m, bytes) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	w_msg(w, 1);
	return 0;
}

/* ---- the store's feeds ---------------------------------------------------- */

struct heads {
	struct store_head *v;
	size_t n, cap;
	int over;
};

static int head_in(const struct store_head *sh, void *arg)
{
	struct heads *hs = arg;

	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		struct store_head *v;

		if (hs->n >= BUNDLE_FEEDS_MAX) {
			hs->over = 1;
			return 1;
		}
		if (cap > BUNDLE_FEEDS_MAX)
			cap = BUNDLE_FEEDS_MAX;
		if (!(v = realloc(hs->v, cap * sizeof(*v)))) {
			hs->over = 2;
			return 1;
		}
		hs->v = v;
		hs->cap = cap;
	}
	hs->v[hs->n++] = *sh;
	return 0;
}

static int heads_load(struct store *s, struct heads *hs, struct err *e)
{
	int rc;

	memset(hs, 0, sizeof(*hs));
	if ((rc = store_frontier(s, head_in, hs, e)) < 0)
		return rc;
	if (hs->over == 1)
		return err_set(e, STOA_ENOMEM, "this store holds more than %d "
			       "feeds, more than a bundle lists",
			       BUNDLE_FEEDS_MAX);
	if (hs->over)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

static int id_cb(const struct store_run_entry *re, void *arg)
{
	hash_blake2b(arg, re->signed_bytes, ENTRY_SIGNED_LEN);
	return 1;
}

/* The id of author's entry seq (zeros if not readable). */
static int id_at(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		 uint64_t seq, uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	memset(id, 0, ENTRY_ID_LEN);
	return store_read_feed(s, author, seq, 1, id_cb, id, e);
}

/* The last seq of author's feed up to which every entry from `from` on
 * can be read (store_read_feed stops before a hole). */
static int before_hole(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t from, uint64_t *to, struct err *e)
{
	uint8_t ha[KEY_PUBLIC_LEN];
	uint64_t hfrom = 0;
	uint32_t hn = 0;
	int rc;

	rc = store_next_hole(s, author, from ? from - 1 : 0, ha, &hfrom, &hn, e);
	if (rc < 0)
		return rc;
	if (rc == 1 && !memcmp(ha, author, KEY_PUBLIC_LEN) && hfrom <= *to)
		*to = hfrom ? hfrom - 1 : 0;
	return 0;
}

int bundle_frontier_write(struct home *h, const char *path,
			  struct bundle_made *made, struct err *e)
{
	struct bundle_feed *f = NULL;
	struct heads hs;
	struct writer w;
	uint64_t sum = 0;
	size_t i, n = 0;
	int rc;

	memset(made, 0, sizeof(*made));
	if ((rc = heads_load(h->store, &hs, e)) < 0)
		goto out;
	if (hs.n && !(f = calloc(hs.n, sizeof(*f)))) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < hs.n; i++) {
		uint64_t to = hs.v[i].seq;

		/* a hole: the node holds the feed whole only up to it, and
		 * a bundle made for this frontier brings the rest (the
		 * held entries without payload get theirs back) */
		if ((rc = before_hole(h->store, hs.v[i].author, 1, &to, e)) < 0)
			goto out;
		if (to == 0)
			continue;
		memcpy(f[n].author, hs.v[i].author, KEY_PUBLIC_LEN);
		f[n].from = 1;
		f[n].to = to;
		if (to == hs.v[i].seq)
			memcpy(f[n].id, hs.v[i].id, ENTRY_ID_LEN);
		else if ((rc = id_at(h->store, f[n].author, to, f[n].id, e)) < 0)
			goto out;
		sum += to;
		n++;
	}
	if ((rc = w_open(&w, path, FRONTIER_MAGIC, &h->community, e)) < 0)
		goto out;
	if ((rc = w_head(&w, BUNDLE_KIND_FRONTIER, h, NULL, (uint32_t)n, sum,
			 e)) < 0 ||
	    (rc = w_feeds(&w, f, n, e)) < 0 || (rc = w_end(&w, sum, 0, e)) < 0) {
		w_abort(&w);
		goto out;
	}
	if ((rc = w_close(&w, e)) < 0)
		goto out;
	made->feeds = (uint32_t)n;
	made->entries = sum;
	made->bytes = w.size;
	made->epoch = h->community.epoch;
out:
	free(hs.v);
	free(f);
	return rc;
}

/* A create's RUN being filled by store_read_feed. */
struct run_fill {
	struct buf *m;
	uint32_t count;
	uint64_t bytes;
	int err;
};

static int run_cb(const struct store_run_entry *re, void *arg)
{
	struct run_fill *rf = arg;
	uint32_t plen = re->payload ? re->plen : BUNDLE_PAYLOAD_ERASED;

	if (buf_append(rf->m, re->signed_bytes, ENTRY_SIGNED_LEN) < 0 ||
	    buf_put_u32(rf->m, plen) < 0 ||
	    (re->payload && buf_append(rf->m, re->payload, re->plen) < 0)) {
		rf->err = 1;
		return 1;
	}
	rf->count++;
	rf->bytes += ENTRY_SIGNED_LEN + (re->payload ? re->plen : 0);
	/* the message is full after the entry that passes the chunk */
	return rf->m->len >= BUNDLE_CHUNK_BYTES;
}

/* The key, epoch cut and checks for a bundle made for frontier fr. */
static int create_key(struct home *h, const struct bundle_head *fr,
		      struct community *kc, uint64_t *upto, struct err *e)
{
	uint32_t ep;
	uint8_t check[HASH_LEN];
	uint64_t ts = 0;
	int rc;

	*upto = 0;
	*kc = h->community;
	/* as a session with a removed member's node: it gets nothing */
	if (fr && store_member_removed(h->store, fr->creator))
		return err_set(e, STOA_EPERM, "the site of this frontier is a "
			       "member removed from the community: nothing is "
			       "sent to it");
	if (!fr || !fr->past)
		return 0;
	/* a site the rotation has not reached: as a session of a past
	 * epoch (docs/governance.md) */
	community_past_get(&h->community, (size_t)(fr->past - 1), kc);
	rc = store_epoch(h->store, &ep, check, &ts);
	if (rc < 0)
		return err_set(e, rc, "cannot read the rotation in force");
	if (rc == 0 || store_epoch_seal(h->store, fr->creator, NULL) != 1)
		return err_set(e, STOA_EPERM, "the site of this frontier is on "
			       "epoch %" PRIu32 " and its member is not named in "
			       "the rotation of the community secret: nothing "
			       "is sent to it", fr->epoch);
	*upto = ts;
	return 0;
}

int bundle_create(struct home *h, const struct bundle_head *fr,
		  const char *path, bundle_progress_fn progress, void *arg,
		  struct bundle_made *made, struct err *e)
{
	struct bundle_feed *plan = NULL;
	struct bundle_progress pg;
	struct community kc;
	struct heads hs;
	struct writer w;
	uint64_t upto, total = 0, bytes = 0;
	size_t i, n = 0;
	int rc, opened = 0;

	memset(made, 0, sizeof(*made));
	memset(&pg, 0, sizeof(pg));
	memset(&hs, 0, sizeof(hs));
	if ((rc = create_key(h, fr, &kc, &upto, e)) < 0)
		goto out;
	if ((rc = heads_load(h->store, &hs, e)) < 0)
		goto out;
	if (hs.n && !(plan = calloc(hs.n, sizeof(*plan)))) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < hs.n; i++) {
		const struct store_head *sh = &hs.v[i];
		const struct bundle_feed *f = fr ? bundle_head_find(fr, sh->author)
						 : NULL;
		uint64_t ours = sh->seq, theirs = f ? f->to : 0, to;
		uint8_t id[ENTRY_ID_LEN];

		memcpy(id, sh->id, ENTRY_ID_LEN);
		if (upto && (rc = store_head_upto(h->store, sh->author, upto,
						  &ours, id, e)) < 0)
			goto out;
		if (f && theirs <= ours) {
			uint8_t mine[ENTRY_ID_LEN];

			if (theirs == ours)
				memcpy(mine, id, ENTRY_ID_LEN);
			else if ((rc = id_at(h->store, sh->author, theirs, mine,
					     e)) < 0)
				goto out;
			if (!bytes_equal(mine, f->id, ENTRY_ID_LEN))
				made->forks++;
		}
		if (ours <= theirs)
			continue;
		to = ours;
		if ((rc = before_hole(h->store, sh->author, theirs + 1, &to,
				      e)) < 0)
			goto out;
		if (to <= theirs)
			continue;
		memcpy(plan[n].author, sh->author, KEY_PUBLIC_LEN);
		plan[n].from = theirs + 1;
		plan[n].to = to;
		if (to == ours)
			memcpy(plan[n].id, id, ENTRY_ID_LEN);
		else if ((rc = id_at(h->store, sh->author, to, plan[n].id, e)) < 0)
			goto out;
		total += to - theirs;
		n++;
	}
	if ((rc = w_open(&w, path, BUNDLE_MAGIC, &kc, e)) < 0)
		goto out;
	opened = 1;
	if ((rc = w_head(&w, BUNDLE_KIND_BUNDLE, h, fr ? fr->creator : NULL,
			 (uint32_t)n, total, e)) < 0 ||
	    (rc = w_feeds(&w, plan, n, e)) < 0)
		goto out;
	pg.entries_total = total;
	for (i = 0; i < n; i++) {
		uint64_t next = plan[i].from;

		while (next <= plan[i].to && !w.err) {
			uint64_t left = plan[i].to - next + 1;
			uint32_t max = left < STORE_RUN_MAX ? (uint32_t)left
							    : STORE_RUN_MAX;
			struct run_fill rf = { &w.m, 0, 0, 0 };
			size_t count_at;

			if (buf_put_u8(&w.m, MSG_RUN) < 0 ||
			    buf_append(&w.m, plan[i].author, KEY_PUBLIC_LEN) < 0 ||
			    buf_put_u16(&w.m, 0) < 0) {
				rc = err_set(e, STOA_ENOMEM, "out of memory");
				goto out;
			}
			count_at = w.m.len - 2;
			if ((rc = store_read_feed(h->store, plan[i].author, next,
						  max, run_cb, &rf, e)) < 0)
				goto out;
			if (rf.err) {
				rc = err_set(e, STOA_ENOMEM, "out of memory");
				goto out;
			}
			if (rf.count == 0) {
				/* the feed changed under us (an erasure
				 * lost a payload): the END says what went */
				buf_reset(&w.m);
				break;
			}
			be_put16(w.m.data + count_at, (uint16_t)rf.count);
			w_msg(&w, 0);
			next += rf.count;
			made->entries += rf.count;
			bytes += rf.bytes;
			if (progress) {
				pg.entries = made->entries;
				pg.bytes = w.size;
				progress(arg, &pg);
			}
		}
	}
	if ((rc = w_end(&w, made->entries, bytes, e)) < 0)
		goto out;
	opened = 0;
	if ((rc = w_close(&w, e)) < 0)
		goto out;
	made->feeds = (uint32_t)n;
	made->bytes = w.size;
	made->epoch = kc.epoch;
	if (progress) {
		pg.bytes = pg.bytes_total = w.size;
		pg.done = 1;
		progress(arg, &pg);
	}
out:
	if (opened)
		w_abort(&w);
	community_wipe(&kc);
	free(hs.v);
	free(plan);
	return rc;
}

/* ---- reading -------------------------------------------------------------- */

enum { RD_OK = 0, RD_TRUNC = 1, RD_DAMAGED = 2 };

struct reader_f {
	FILE *f;
	const char *path;
	uint64_t off;       /* bytes consumed */
	uint64_t msg_off;   /* where the last message read starts */
	uint64_t size;
	struct sstream ss;
	uint8_t prefix[BUNDLE_PREFIX_LEN];
	int first;
	uint8_t *ct;
	uint8_t *pt;
	size_t ptlen;
	int final;
	char why[ERR_MSG_MAX]; /* a RD_DAMAGED's reason */
};

static void r_close(struct reader_f *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
	sstream_wipe(&r->ss);
	free(r->ct);
	free(r->pt);
	r->ct = r->pt = NULL;
}

/* Opens path and finds which key of c opens it. */
static int r_open(struct reader_f *r, const char *path,
		  const struct community *c, int *kind, uint32_t *epoch,
		  int *past, struct err *e)
{
	uint8_t key[SSTREAM_KEY_LEN], tag[BUNDLE_TAG_LEN];
	struct community pc;
	struct stat st;
	size_t i, got;
	int fd, found = 0;

	memset(r, 0, sizeof(*r));
	r->path = path;
	/* O_NONBLOCK: a fifo does not hang the open; it is refused below */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return err_set(e, errno == ENOENT ? STOA_ENOTFOUND : STOA_EIO,
			       "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, STOA_EINVAL, "'%s' is not a regular file",
			       path);
	}
	r->size = (uint64_t)st.st_size;
	if (!(r->f = fdopen(fd, "rb"))) {
		close(fd);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	got = fread(r->prefix, 1, sizeof(r->prefix), r->f);
	r->off = got;
	if (got < 9 || (memcmp(r->prefix, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN) &&
			memcmp(r->prefix, FRONTIER_MAGIC, BUNDLE_MAGIC_LEN)))
		return err_set(e, STOA_EPROTO, "'%s' is not a stoa bundle or "
			       "frontier file", path);
	*kind = memcmp(r->prefix, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN)
			? BUNDLE_KIND_FRONTIER : BUNDLE_KIND_BUNDLE;
	if (r->prefix[8] != BUNDLE_VERSION)
		return err_set(e, STOA_EPROTO, "'%s' is a %s of version %u; this "
			       "stoa reads version %d", path,
			       *kind == BUNDLE_KIND_BUNDLE ? "bundle"
							   : "frontier file",
			       r->prefix[8], BUNDLE_VERSION);
	if (got < sizeof(r->prefix))
		return err_set(e, STOA_EPROTO, "'%s' is cut short at byte %zu "
			       "(its header is %d bytes)", path, got,
			       BUNDLE_PREFIX_LEN);
	*epoch = be_get32(r->prefix + 9);
	for (i = 0; i <= c->npast && !found; i++) {
		if (i == 0)
			pc = *c;
		else
			community_past_get(c, i - 1, &pc);
		key_of(&pc, key, tag);
		if (pc.epoch == *epoch &&
		    bytes_equal(tag, r->prefix + 13, BUNDLE_TAG_LEN)) {
			found = 1;
			*past = (int)i;
		} else {
			bytes_wipe(key, sizeof(key));
		}
		community_wipe(&pc);
	}
	if (!found) {
		if (*epoch > c->epoch)
			return err_set(e, STOA_ECRYPTO, "this bundle belongs to "
				       "another community, or to epoch %" PRIu32
				       " of this one, which this node has not "
				       "reached yet (a sync brings the rotation)",
				       *epoch);
		return err_set(e, STOA_ECRYPTO,
			       "this bundle belongs to another community");
	}
	if (sstream_pull_init(&r->ss, r->prefix + 29, key, e) < 0) {
		bytes_wipe(key, sizeof(key));
		return STOA_ECRYPTO;
	}
	bytes_wipe(key, sizeof(key));
	r->first = 1;
	if (!(r->ct = malloc(CT_MAX)) || !(r->pt = malloc(BUNDLE_MSG_MAX)))
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

static int r_damaged(struct reader_f *r, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	return RD_DAMAGED;
}

/* The next message into r->pt: RD_OK, RD_TRUNC (the file ends before a
 * whole message), RD_DAMAGED (a bad length or a message that does not
 * open), or STOA_EIO. */
static int r_next(struct reader_f *r, struct err *e)
{
	uint8_t lb[4];
	size_t got;
	uint32_t len;
	int final;

	r->msg_off = r->off;
	got = fread(lb, 1, 4, r->f);
	r->off += got;
	if (got < 4) {
		if (ferror(r->f))
			return err_set(e, STOA_EIO, "cannot read '%s': %s",
				       r->path, strerror(errno));
		return RD_TRUNC;
	}
	len = be_get32(lb);
	if (len <= SSTREAM_ABYTES || len > CT_MAX)
		return r_damaged(r, "a message length out of bounds");
	got = fread(r->ct, 1, len, r->f);
	r->off += got;
	if (got < len) {
		if (ferror(r->f))
			return err_set(e, STOA_EIO, "cannot read '%s': %s",
				       r->path, strerror(errno));
		return RD_TRUNC;
	}
	if (sstream_pull(&r->ss, r->pt, r->ct, len,
			 r->first ? r->prefix : NULL,
			 r->first ? sizeof(r->prefix) : 0, &final, NULL) < 0)
		return r_damaged(r, "a message does not open (altered)");
	r->first = 0;
	r->ptlen = len - SSTREAM_ABYTES;
	r->final = final;
	return RD_OK;
}

/* Decodes a HEAD message. */
static int dec_head(const uint8_t *p, size_t len, struct bundle_head *h)
{
	struct reader rd;
	const uint8_t *name;
	uint8_t n;

	reader_init(&rd, p, len);
	if (reader_u8(&rd) != MSG_HEAD)
		return -1;
	reader_copy(&rd, h->creator, KEY_PUBLIC_LEN);
	reader_copy(&rd, h->addressee, KEY_PUBLIC_LEN);
	h->created_ms = reader_u64(&rd);
	n = reader_u8(&rd);
	if (n > BUNDLE_NAME_MAX)
		return -1;
	name = reader_bytes(&rd, n);
	if (name) {
		memcpy(h->name, name, n);
		h->name[n] = '\0';
		if (memchr(h->name, '\0', n))
			return -1;
	}
	h->nfeeds = reader_u32(&rd);
	h->entries = reader_u64(&rd);
	if (reader_finish(&rd) < 0 || h->nfeeds > BUNDLE_FEEDS_MAX)
		return -1;
	return 0;
}

/* Decodes a FEEDS message into h->feeds from *have on. */
static int dec_feeds(const uint8_t *p, size_t len, struct bundle_head *h,
		     uint32_t *have, const char **why)
{
	struct reader rd;
	uint16_t count, k;

	reader_init(&rd, p, len);
	*why = "a malformed feed list";
	if (reader_u8(&rd) != MSG_FEEDS)
		return -1;
	count = reader_u16(&rd);
	if (count == 0 || count > BUNDLE_FEEDS_PER_MSG ||
	    count > h->nfeeds - *have)
		return -1;
	for (k = 0; k < count; k++) {
		struct bundle_feed *f = &h->feeds[*have + k];

		reader_copy(&rd, f->author, KEY_PUBLIC_LEN);
		f->from = reader_u64(&rd);
		f->to = reader_u64(&rd);
		reader_copy(&rd, f->id, ENTRY_ID_LEN);
		if (f->from < 1 || f->to < f->from || f->to > ENTRY_MAX_SEQ)
			return -1;
		if (*have + k > 0 &&
		    memcmp(f[-1].author, f->author, KEY_PUBLIC_LEN) >= 0) {
			*why = "its feeds out of order";
			return -1;
		}
	}
	if (reader_finish(&rd) < 0)
		return -1;
	*have += count;
	return 0;
}

/* Opens path and reads its HEAD and FEEDS into h. On RD_DAMAGED or
 * RD_TRUNC, an error naming the byte. */
static int read_head(struct reader_f *r, const char *path,
		     const struct community *c, struct bundle_head *h,
		     struct err *e)
{
	uint32_t have = 0;
	const char *why;
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = r_open(r, path, c, &h->kind, &h->epoch, &h->past, e)) < 0)
		return rc;
	h->file_size = r->size;
	rc = r_next(r, e);
	if (rc < 0)
		return rc;
	if (rc == RD_OK && (r->final || dec_head(r->pt, r->ptlen, h) < 0))
		rc = r_damaged(r, "a malformed head");
	if (rc == RD_OK && h->nfeeds &&
	    !(h->feeds = calloc(h->nfeeds, sizeof(*h->feeds))))
		return err_set(e, STOA_ENOMEM, "out of memory");
	while (rc == RD_OK && have < h->nfeeds) {
		if ((rc = r_next(r, e)) < 0)
			return rc;
		if (rc == RD_OK &&
		    (r->final || dec_feeds(r->pt, r->ptlen, h, &have, &why) < 0))
			rc = r_damaged(r, r->final ? "a malformed feed list" : why);
	}
	if (rc == RD_TRUNC)
		return err_set(e, STOA_EPROTO, "'%s' is cut short at byte %"
			       PRIu64 ", inside its head", path, r->off);
	if (rc == RD_DAMAGED)
		return err_set(e, STOA_EPROTO, "'%s' is damaged at byte %" PRIu64
			       ": %s", path, r->msg_off, r->why);
	return 0;
}

/* Decodes an END message and checks nothing follows it. */
static int read_end(struct reader_f *r, uint64_t entries, uint64_t bytes)
{
	struct reader rd;

	reader_init(&rd, r->pt, r->ptlen);
	if (reader_u8(&rd) != MSG_END || !r->final)
		return r_damaged(r, "a malformed end");
	if (reader_u64(&rd) != entries || reader_u64(&rd) != bytes ||
	    reader_finish(&rd) < 0)
		return r_damaged(r, "its totals do not match its entries");
	if (fgetc(r->f) != EOF) {
		r->msg_off = r->off;
		return r_damaged(r, "bytes after its end");
	}
	return RD_OK;
}

int bundle_read_head(const char *path, const struct community *c,
		     struct bundle_head *h, struct err *e)
{
	struct reader_f r;
	int rc;

	rc = read_head(&r, path, c, h, e);
	if (rc == 0 && h->kind == BUNDLE_KIND_FRONTIER) {
		uint64_t sum = 0;
		uint32_t i;

		for (i = 0; i < h->nfeeds; i++)
			sum += h->feeds[i].to;
		rc = r_next(&r, e);
		if (rc == RD_OK)
			rc = read_end(&r, sum, 0);
		if (rc == RD_TRUNC)
			rc = err_set(e, STOA_EPROTO, "'%s' is cut short at byte "
				     "%" PRIu64, path, r.off);
		else if (rc == RD_DAMAGED)
			rc = err_set(e, STOA_EPROTO, "'%s' is damaged at byte %"
				     PRIu64 ": %s", path, r.msg_off, r.why);
	}
	r_close(&r);
	if (rc < 0)
		bundle_head_release(h);
	return rc;
}

/* ---- apply ---------------------------------------------------------------- */

void bundle_applied_release(struct bundle_applied *a)
{
	if (a)
		bundle_head_release(&a->head);
}

/* How one feed of the bundle fared. */
struct feed_tally {
	uint64_t added, refused;
	int note;       /* index in a->notes + 1, or 0 */
};

/* One decoded RUN: the entries point into r->pt. */
static int dec_run(const uint8_t *p, size_t len, uint8_t author[KEY_PUBLIC_LEN],
		   struct store_run_entry *v, size_t *n, uint64_t *bytes)
{
	struct reader rd;
	uint16_t count, k;

	reader_init(&rd, p, len);
	if (reader_u8(&rd) != MSG_RUN)
		return -1;
	reader_copy(&rd, author, KEY_PUBLIC_LEN);
	count = reader_u16(&rd);
	if (count == 0 || count > STORE_RUN_MAX)
		return -1;
	for (k = 0; k < count; k++) {
		const uint8_t *sb = reader_bytes(&rd, ENTRY_SIGNED_LEN);
		uint32_t plen = reader_u32(&rd);

		if (!sb || memcmp(sb + 6, author, KEY_PUBLIC_LEN))
			return -1;
		v[k].signed_bytes = sb;
		if (plen == BUNDLE_PAYLOAD_ERASED) {
			v[k].payload = NULL;
			v[k].plen = 0;
		} else {
			if (plen > ENTRY_MAX_PAYLOAD)
				return -1;
			v[k].payload = reader_bytes(&rd, plen);
			v[k].plen = plen;
			if (!v[k].payload)
				return -1;
		}
		*bytes += ENTRY_SIGNED_LEN + v[k].plen;
	}
	if (reader_finish(&rd) < 0)
		return -1;
	*n = count;
	return 0;
}

/* A store failure ends the apply; any other refusal costs its run. */
static int fatal(int rc)
{
	return rc == STOA_EIO || rc == STOA_EFULL || rc == STOA_EBUSY ||
	       rc == STOA_ENOMEM;
}

static void note(struct bundle_applied *a, struct feed_tally *t,
		 const uint8_t author[KEY_PUBLIC_LEN], uint64_t refused,
		 int cut, const char *why)
{
	if (!t->refused)
		a->feeds_refused++;
	t->refused += refused;
	a->refused += refused;
	if (!t->note && a->nnotes < BUNDLE_NOTES_MAX) {
		struct bundle_note *nt = &a->notes[a->nnotes++];

		memcpy(nt->author, author, KEY_PUBLIC_LEN);
		nt->cut = cut;
		snprintf(nt->why, sizeof(nt->why), "%s", why);
		t->note = (int)a->nnotes;
	}
	if (t->note)
		a->notes[t->note - 1].refused = t->refused;
}

/* Stores one RUN; a refusal is noted, a store failure returned. */
static int apply_run(struct home *h, struct bundle_applied *a,
		     struct feed_tally *t, const uint8_t author[KEY_PUBLIC_LEN],
		     const struct store_run_entry *v, size_t n, struct err *e)
{
	uint64_t head = 0, held = 0, seq;
	uint32_t stored = 0, repaired = 0;
	struct err le;
	size_t k;
	int rc;

	if ((rc = store_head(h->store, author, &head, NULL, e)) < 0)
		return rc;
	for (k = 0; k < n; k++) {
		seq = be_get64(v[k].signed_bytes + 38);
		if (seq <= head)
			held++;
	}
	err_clear(&le);
	rc = store_ingest_run(h->store, v, n, &stored, &repaired, &le);
	if (rc < 0 && fatal(rc))
		return err_set(e, rc, "%s", le.msg);
	if (rc < 0) {
		stored = 0;
		repaired = 0;
		held = 0;
	}
	a->added += stored;
	a->held += held;
	a->repaired += repaired;
	if (stored && !t->added)
		a->feeds_new++;
	t->added += stored;
	if (held + stored < n)
		note(a, t, author, n - held - stored, rc == INGEST_CUT,
		     rc == INGEST_CUT ? "its author was removed: the entries "
					"after the removal are cut"
				      : le.msg[0] ? le.msg : "refused");
	return 0;
}

int bundle_apply(struct home *h, const char *path, bundle_progress_fn progress,
		 void *arg, struct bundle_applied *a, struct err *e)
{
	struct store_run_entry *v = NULL;
	struct feed_tally *tally = NULL;
	struct bundle_progress pg;
	struct reader_f r;
	uint64_t bytes = 0, since = 0;
	int rc, in_batch = 0, ended = 0;

	memset(a, 0, sizeof(*a));
	memset(&pg, 0, sizeof(pg));
	rc = read_head(&r, path, &h->community, &a->head, e);
	if (rc < 0)
		goto out;
	if (a->head.kind != BUNDLE_KIND_BUNDLE) {
		rc = err_set(e, STOA_EINVAL, "'%s' is a frontier file, not a "
			     "bundle: give it to `stoa bundle create --for`",
			     path);
		goto out;
	}
	if (store_member_removed(h->store, a->head.creator)) {
		rc = err_set(e, STOA_EPERM, "'%s' was made by a member removed "
			     "from the community: nothing is applied", path);
		goto out;
	}
	v = calloc(STORE_RUN_MAX, sizeof(*v));
	tally = calloc(a->head.nfeeds ? a->head.nfeeds : 1, sizeof(*tally));
	if (!v || !tally) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	pg.entries_total = a->head.entries;
	pg.bytes_total = r.size;
	if ((rc = store_begin(h->store, e)) < 0)
		goto out;
	in_batch = 1;
	while (!ended) {
		uint8_t author[KEY_PUBLIC_LEN];
		const struct bundle_feed *f;
		size_t n = 0;

		if ((rc = r_next(&r, e)) < 0)
			goto out;
		if (rc == RD_TRUNC) {
			a->damaged = 2;
			a->damaged_at = r.off;
			snprintf(a->damage, sizeof(a->damage),
				 "the file ends before its last message (cut "
				 "short)");
			break;
		}
		if (rc == RD_OK && r.ptlen && r.pt[0] == MSG_END) {
			rc = read_end(&r, a->read, bytes);
			if (rc == RD_OK)
				ended = 1;
		} else if (rc == RD_OK && (r.final ||
					  dec_run(r.pt, r.ptlen, author, v, &n,
						  &bytes) < 0)) {
			rc = r_damaged(&r, "a malformed run of entries");
		} else if (rc == RD_OK &&
			   !(f = bundle_head_find(&a->head, author))) {
			rc = r_damaged(&r, "a run of a feed it does not list");
		} else if (rc == RD_OK) {
			rc = apply_run(h, a, &tally[f - a->head.feeds], author,
				       v, n, e);
			if (rc < 0)
				goto out;
			a->read += n;
			since += n;
		}
		if (rc == RD_DAMAGED) {
			a->damaged = 1;
			a->damaged_at = r.msg_off;
			snprintf(a->damage, sizeof(a->damage), "%s", r.why);
			break;
		}
		if (since >= BUNDLE_BATCH_ENTRIES) {
			in_batch = 0;
			if ((rc = store_commit(h->store, e)) < 0 ||
			    (rc = store_begin(h->store, e)) < 0)
				goto out;
			in_batch = 1;
			since = 0;
		}
		if (progress) {
			pg.entries = a->read;
			pg.bytes = r.off;
			progress(arg, &pg);
		}
	}
	in_batch = 0;
	rc = store_commit(h->store, e);
	if (rc == 0 && progress) {
		pg.done = 1;
		progress(arg, &pg);
	}
out:
	if (in_batch) {
		/* a store failure: what this batch stored is committed if
		 * the store still takes it, else rolled back; the batches
		 * before stay */
		struct err ce = { 0 };

		if (store_commit(h->store, &ce) < 0)
			store_rollback(h->store);
	}
	r_close(&r);
	free(v);
	free(tally);
	if (rc < 0)
		bundle_head_release(&a->head);
	return rc < 0 ? rc : 0;
}

int bundle_covered(struct home *h, const struct bundle_head *bh,
		   struct err *e)
{
	uint32_t i;
	uint64_t seq;
	int rc;

	for (i = 0; i < bh->nfeeds; i++) {
		if ((rc = store_head(h->store, bh->feeds[i].author, &seq, NULL,
				     e)) < 0)
			return rc;
		if (seq < bh->feeds[i].to)
			return 0;
		/* held without a payload below its to: the bundle repairs */
		seq = bh->feeds[i].to;
		if ((rc = before_hole(h->store, bh->feeds[i].author,
				      bh->feeds[i].from, &seq, e)) < 0)
			return rc;
		if (seq < bh->feeds[i].to)
			return 0;
	}
	return 1;
}
