/*
 * stats_load: reads the view into the model of stats_int.h, in one read
 * transaction, so the figures are of one state of the store.
 *
 * Each table is read once, in its own order (rowid or an index), and
 * every relation between entries is resolved here, at read time, by
 * lookups in sorted arrays of the whole set: which ask a pairing
 * accepts, which post a feedback is on, which question a reply answers.
 * So the model, like the view, depends on the set of entries only. No
 * table's rows are held whole: a feedback is kept as its target, giver,
 * time and marks (64 bytes), a reply as its question and first answers
 * (80), folded to one per question; the posts are walked twice (the
 * replies by their covering index first, then every post once), and of a
 * question only its week's figures and, if unanswered, its arrival
 * number are kept. Memory thus grows with the replies and feedback held
 * (docs/benchmarks.md). Nothing here prints or writes.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "stats_int.h"
#include "view_int.h"

/* ---- small helpers ---------------------------------------------------- */

static int oom(struct err *e)
{
	return err_set(e, STOA_ENOMEM, "out of memory");
}

/* Grows *p (of *cap elements of size sz) to hold one more, to at most
 * STATS_ARRAY_MAX_BYTES. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > STATS_ARRAY_MAX_BYTES / sz || !(q = realloc(*p, ncap * sz)))
		return STOA_ENOMEM;
	*p = q;
	*cap = ncap;
	return 0;
}

int stats_i64s_push(struct stats_i64s *a, int64_t v)
{
	if (grow((void **)&a->v, &a->cap, a->n, sizeof(*a->v)) < 0)
		return STOA_ENOMEM;
	a->v[a->n++] = v;
	return 0;
}

static uint64_t fnv(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h;
}

static int tally_grow(struct stats_tally *t)
{
	struct stats_tally_row *old = t->rows;
	size_t oldcap = t->cap, i, j, ncap = t->cap ? t->cap * 2 : 64;

	if (ncap > STATS_ARRAY_MAX_BYTES / sizeof(*old) ||
	    !(t->rows = calloc(ncap, sizeof(*t->rows)))) {
		t->rows = old;
		return STOA_ENOMEM;
	}
	t->cap = ncap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].s)
			continue;
		j = fnv(old[i].s, strlen(old[i].s)) & (ncap - 1);
		while (t->rows[j].s)
			j = (j + 1) & (ncap - 1);
		t->rows[j] = old[i];
	}
	free(old);
	return 0;
}

int stats_tally_add(struct stats_tally *t, const char *s, size_t len,
		    uint64_t a, uint64_t b)
{
	size_t j;

	if (2 * (t->n + 1) > t->cap && tally_grow(t) < 0)
		return STOA_ENOMEM;
	j = fnv(s, len) & (t->cap - 1);
	while (t->rows[j].s && (strlen(t->rows[j].s) != len ||
				memcmp(t->rows[j].s, s, len) != 0))
		j = (j + 1) & (t->cap - 1);
	if (!t->rows[j].s) {
		if (!(t->rows[j].s = malloc(len + 1)))
			return STOA_ENOMEM;
		memcpy(t->rows[j].s, s, len);
		t->rows[j].s[len] = '\0';
		t->n++;
	}
	t->rows[j].a += a;
	t->rows[j].b += b;
	return 0;
}

static void tally_release(struct stats_tally *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		free(t->rows[i].s);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static int blob32(sqlite3_stmt *st, int col, uint8_t out[32])
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != 32)
		return 0;
	memcpy(out, sqlite3_column_blob(st, col), 32);
	return 1;
}

/* Compares the 32-byte key at the start of two records. */
static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static int index_build(struct stats_index *ix, const void *base, size_t n,
		       size_t size)
{
	size_t b, i = 0;

	ix->base = base;
	ix->n = n;
	ix->size = size;
	if (!ix->off && !(ix->off = malloc((STATS_BUCKETS + 1) *
					   sizeof(*ix->off))))
		return STOA_ENOMEM;
	for (b = 0; b <= STATS_BUCKETS; b++) {
		while (i < n && (size_t)(ix->base[i * size] << 8 |
					 ix->base[i * size + 1]) < b)
			i++;
		ix->off[b] = (uint32_t)i;
	}
	return 0;
}

/* The first element whose key is key, or NULL. */
static const void *index_find(const struct stats_index *ix, const uint8_t *key)
{
	size_t b = (size_t)key[0] << 8 | key[1], i;

	if (!ix->off)
		return NULL;
	for (i = ix->off[b]; i < ix->off[b + 1]; i++) {
		const uint8_t *el = ix->base + i * ix->size;

		if (el[2] == key[2] && el[3] == key[3] && !memcmp(el, key, 32))
			return el;
	}
	return NULL;
}

static void index_release(struct stats_index *ix)
{
	free(ix->off);
	memset(ix, 0, sizeof(*ix));
}

size_t stats_member_find(const struct stats_model *mo,
			 const uint8_t key[KEY_PUBLIC_LEN])
{
	const struct stats_member *m = index_find(&mo->im, key);

	return m ? (size_t)(m - mo->m) : SIZE_MAX;
}

/* The member index of a blob column (SIZE_MAX: not a member held). */
static size_t member_col(const struct stats_model *mo, sqlite3_stmt *st,
			 int col)
{
	uint8_t key[KEY_PUBLIC_LEN];

	return blob32(st, col, key) ? stats_member_find(mo, key) : SIZE_MAX;
}

static int valid(const struct stats_model *mo, size_t i)
{
	return i != SIZE_MAX && mo->m[i].valid;
}

static int counted(const struct stats_model *mo, size_t i)
{
	return i != SIZE_MAX && mo->m[i].counted;
}

int stats_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void stats_sort(void *base, size_t n, size_t size,
		int (*cmp)(const void *, const void *))
{
	if (n > 1) /* qsort wants a non-NULL base even for no element */
		qsort(base, n, size, cmp);
}

static int hidden(const struct stats_model *mo, int64_t entry)
{
	return mo->nhidden && bsearch(&entry, mo->hidden, mo->nhidden,
				      sizeof(int64_t), stats_cmp_i64) != NULL;
}

static int topic_ok(const struct stats_model *mo, sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);

	return !mo->o->topic || (t && strcmp(t, mo->o->topic) == 0);
}

static int plausible(const struct stats_model *mo, int64_t ts)
{
	if (ts > mo->o->now && ts - mo->o->now > STATS_CLOCK_SKEW_MS)
		return 0;
	return mo->founding == STATS_NONE ||
	       ts >= mo->founding - STATS_CLOCK_SKEW_MS;
}

/* Whether an entry of who dated ts can count: plausible, and not dated
 * before who joined (a clock set back after their first entry). */
static int counts_at(const struct stats_model *mo, size_t who, int64_t ts)
{
	return plausible(mo, ts) &&
	       (who == SIZE_MAX || mo->m[who].join == STATS_NONE ||
		ts >= mo->m[who].join);
}

/* Checks an entry's date once, counting it against its author if it is
 * implausible (docs/stats.md §3); one dated before its author joined
 * counts nowhere, unflagged. */
static int dated(struct stats_model *mo, size_t who, int64_t ts)
{
	if (plausible(mo, ts))
		return counts_at(mo, who, ts);
	if (who != SIZE_MAX) {
		if (ts > mo->o->now && ts - mo->o->now > STATS_CLOCK_SKEW_MS)
			mo->m[who].ahead++;
		else
			mo->m[who].behind++;
	}
	return 0;
}

/* Member who wrote something at ts (a plausible, shown entry < end). */
static void activity(struct stats_model *mo, size_t who, int64_t ts)
{
	struct stats_member *m;
	int64_t day;

	if (!counted(mo, who) || ts >= mo->end)
		return;
	m = &mo->m[who];
	if (ts < m->join)
		return; /* dated before they joined: a clock set back */
	if (m->last == STATS_NONE || ts > m->last)
		m->last = ts;
	if (ts - m->join < STATS_NEW_WROTE_MS)
		m->wrote7 = 1;
	if (ts >= mo->day0) {
		day = (ts - mo->day0) / STATS_DAY_MS;
		m->days[day / 8] |= (uint8_t)(1u << (day % 8));
	}
}

static int step_fail(struct stats_model *mo, sqlite3_stmt *st, int rc,
		     struct err *e)
{
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	return view_db_fail(mo->s, e, "cannot read the view");
}

/* ---- members ---------------------------------------------------------- */

/* The timestamp of the first entry of author's feed that is plausible
 * (STATS_NONE if none). */
static int first_plausible(struct stats_model *mo, sqlite3_stmt *walk,
			   const uint8_t *author, int64_t *out)
{
	int rc;

	*out = STATS_NONE;
	sqlite3_reset(walk);
	sqlite3_bind_blob(walk, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(walk)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(walk, 0);

		if (plausible(mo, ts)) {
			*out = ts;
			break;
		}
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The founding: the founder's first entry not dated ahead (the behind
 * rule is off until it is known, so a founder's clock that was set ahead
 * cannot make every entry "behind"). */
static int load_founding(struct stats_model *mo, sqlite3_stmt *walk,
			 struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	int rc;

	mo->founding = STATS_NONE;
	if (!store_founder(mo->s, founder))
		return 0;
	rc = first_plausible(mo, walk, founder, &mo->founding);
	return rc < 0 ? view_db_fail(mo->s, e, "cannot read the founder's feed")
		      : 0;
}

static int load_members(struct stats_model *mo, sqlite3_stmt *walk,
			struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	size_t cap = 0, bytes = (mo->ndays + 7) / 8;
	sqlite3_stmt *st;
	int rc, has_founder = store_founder(mo->s, founder);

	if ((rc = view_prepare(mo->s,
		"SELECT f.author, f.seq, f.ts, pr.name,"
		" coalesce(gm.role, 'learner'), coalesce(gm.removed, 0), fr.at"
		" FROM feeds AS f LEFT JOIN profiles AS pr ON pr.author = f.author"
		" LEFT JOIN gov_members AS gm ON gm.member = f.author"
		" LEFT JOIN feeds_received AS fr ON fr.author = f.author"
		" ORDER BY f.author", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stats_member *m;
		const char *name = (const char *)sqlite3_column_text(st, 3);
		const char *role = (const char *)sqlite3_column_text(st, 4);
		size_t len = (size_t)sqlite3_column_bytes(st, 3);

		if (grow((void **)&mo->m, &cap, mo->nm, sizeof(*mo->m)) < 0) {
			rc = -2;
			break;
		}
		m = &mo->m[mo->nm];
		memset(m, 0, sizeof(*m));
		if (!blob32(st, 0, m->key))
			continue; /* not a key: cannot be a feed's author */
		mo->nm++;
		m->seq = (uint64_t)sqlite3_column_int64(st, 1);
		m->newest_ts = sqlite3_column_int64(st, 2);
		if (name && len <= PAYLOAD_NAME_MAX) {
			memcpy(m->name, name, len);
			m->has_name = 1;
		}
		m->learner = role && strcmp(role, "learner") == 0 &&
			     !(has_founder && !memcmp(founder, m->key, 32));
		m->received = sqlite3_column_type(st, 6) == SQLITE_NULL ?
			      STATS_NONE : sqlite3_column_int64(st, 6);
		m->last = STATS_NONE;
		if (first_plausible(mo, walk, m->key, &m->join) < 0) {
			rc = -1;
			break;
		}
		if ((m->removed = sqlite3_column_int(st, 5) != 0))
			continue; /* counted nowhere */
		m->focus = !mo->o->member || !memcmp(mo->o->member, m->key, 32);
		m->valid = m->join != STATS_NONE && m->join < mo->end;
		m->counted = m->valid && m->focus;
		if (m->counted && !(m->days = calloc(bytes ? bytes : 1, 1))) {
			rc = -2;
			break;
		}
	}
	if (rc == -2 || (rc == SQLITE_DONE && index_build(&mo->im, mo->m, mo->nm,
							 sizeof(*mo->m)) < 0)) {
		sqlite3_finalize(st);
		return oom(e);
	}
	return step_fail(mo, st, rc == -1 ? SQLITE_ERROR : rc, e);
}

static int load_hidden(struct stats_model *mo, struct err *e)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT x.n FROM gov_hidden AS h"
			       " JOIN entries AS x ON x.idk = stoa_idk(h.target)"
			       " AND x.id = h.target", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&mo->hidden, &cap, mo->nhidden,
			 sizeof(int64_t)) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		mo->hidden[mo->nhidden++] = sqlite3_column_int64(st, 0);
	}
	stats_sort(mo->hidden, mo->nhidden, sizeof(int64_t), stats_cmp_i64);
	return step_fail(mo, st, rc, e);
}

/* ---- mentoring -------------------------------------------------------- */

static struct stats_ask *ask_find(const struct stats_model *mo,
				  const uint8_t id[ENTRY_ID_LEN])
{
	return (struct stats_ask *)index_find(&mo->iasks, id);
}

static struct stats_pair *pair_find(const struct stats_model *mo,
				    const uint8_t id[ENTRY_ID_LEN])
{
	return (struct stats_pair *)index_find(&mo->ipairs, id);
}

static int load_asks(struct stats_model *mo, struct err *e)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT entry, id, author, ts,"
			       " kind = 'request', topic FROM asks", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stats_ask *a;
		int64_t ts = sqlite3_column_int64(st, 3);

		if (grow((void **)&mo->asks, &cap, mo->nasks,
			 sizeof(*mo->asks)) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		a = &mo->asks[mo->nasks];
		if (!blob32(st, 1, a->id))
			continue;
		mo->nasks++;
		a->author = member_col(mo, st, 2);
		a->ts = ts;
		a->request = sqlite3_column_int(st, 4);
		a->topic_ok = topic_ok(mo, st, 5);
		a->accepted = 0;
		a->usable = dated(mo, a->author, ts) && ts < mo->end &&
			    !hidden(mo, sqlite3_column_int64(st, 0));
		if (a->usable && a->topic_ok)
			activity(mo, a->author, ts);
	}
	stats_sort(mo->asks, mo->nasks, sizeof(*mo->asks), cmp_key);
	if (index_build(&mo->iasks, mo->asks, mo->nasks, sizeof(*mo->asks)) < 0) {
		sqlite3_finalize(st);
		return oom(e);
	}
	return step_fail(mo, st, rc, e);
}

/*
 * The accepts. A pairing counts when its ask is held and by someone
 * else, both are valid members, and the accept is usable; its mentor is
 * the offer's author or the request's acceptor.
 */
static int load_pairings(struct stats_model *mo, struct err *e)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT entry, id, author, ts, target"
			       " FROM pairings", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t target[ENTRY_ID_LEN];
		struct stats_pair *p;
		struct stats_ask *a = NULL;
		size_t by = member_col(mo, st, 2);
		int64_t ts = sqlite3_column_int64(st, 3);
		int usable, tok;

		if (grow((void **)&mo->pairs, &cap, mo->npairs,
			 sizeof(*mo->pairs)) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		p = &mo->pairs[mo->npairs];
		memset(p, 0, sizeof(*p));
		if (!blob32(st, 1, p->id))
			continue;
		mo->npairs++;
		p->mentor = p->mentee = SIZE_MAX;
		p->ts = ts;
		p->closed = STATS_NONE;
		usable = dated(mo, by, ts) && ts < mo->end &&
			 !hidden(mo, sqlite3_column_int64(st, 0));
		if (blob32(st, 4, target))
			a = ask_find(mo, target);
		tok = !mo->o->topic || (a && a->topic_ok);
		p->topic_ok = tok;
		if (usable && tok)
			activity(mo, by, ts);
		if (!usable || !a || !a->usable || a->author == by ||
		    !valid(mo, by) || !valid(mo, a->author))
			continue;
		a->accepted = 1;
		if (!tok)
			continue;
		p->valid = 1;
		p->mentor = a->request ? by : a->author;
		p->mentee = a->request ? a->author : by;
		p->focus = counted(mo, p->mentor) || counted(mo, p->mentee);
	}
	stats_sort(mo->pairs, mo->npairs, sizeof(*mo->pairs), cmp_key);
	if (index_build(&mo->ipairs, mo->pairs, mo->npairs,
			sizeof(*mo->pairs)) < 0) {
		sqlite3_finalize(st);
		return oom(e);
	}
	return step_fail(mo, st, rc, e);
}

/* Sessions (is_close 0) or closes (1): activity, and per pairing the
 * sessions in the window and the first close, by its participants. */
static int load_pair_records(struct stats_model *mo, int is_close,
			     struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, is_close ?
			       "SELECT entry, author, ts, pairing, 0 FROM closes" :
			       "SELECT entry, author, ts, pairing, minutes"
			       " FROM sessions", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint8_t id[ENTRY_ID_LEN];
		struct stats_pair *p = NULL;
		size_t by = member_col(mo, st, 1);
		int64_t ts = sqlite3_column_int64(st, 2);

		if (!dated(mo, by, ts) || ts >= mo->end ||
		    hidden(mo, sqlite3_column_int64(st, 0)))
			continue;
		if (blob32(st, 3, id))
			p = pair_find(mo, id);
		if (!mo->o->topic || (p && p->topic_ok))
			activity(mo, by, ts);
		if (!p || !p->valid || (by != p->mentor && by != p->mentee))
			continue;
		if (is_close) {
			if (p->closed == STATS_NONE || ts < p->closed)
				p->closed = ts;
		} else if (ts >= mo->start) {
			p->sessions++;
			p->minutes += (uint64_t)sqlite3_column_int64(st, 4);
		}
	}
	return step_fail(mo, st, rc, e);
}

/* ---- kudos ------------------------------------------------------------ */

static int load_kudos(struct stats_model *mo, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT entry, author, ts, recipient,"
			       " badge FROM kudos", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t by = member_col(mo, st, 1), to = member_col(mo, st, 3);
		int64_t ts = sqlite3_column_int64(st, 2);
		const char *badge = (const char *)sqlite3_column_text(st, 4);

		if (!dated(mo, by, ts) || ts >= mo->end ||
		    hidden(mo, sqlite3_column_int64(st, 0)) || mo->o->topic ||
		    by == to)
			continue; /* kudos have no topic; to oneself, no count */
		activity(mo, by, ts);
		if (ts < mo->start || !valid(mo, by) || !valid(mo, to) ||
		    by == to || !(counted(mo, by) || counted(mo, to)) || !badge)
			continue;
		mo->kudos_given++;
		if (stats_tally_add(&mo->badges, badge, (size_t)
				    sqlite3_column_bytes(st, 4), 1, 0) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		if (counted(mo, by))
			mo->m[by].kudos_given++;
		if (counted(mo, to))
			mo->m[to].kudos_received++;
	}
	return step_fail(mo, st, rc, e);
}

/* ---- feedback and answers --------------------------------------------- */

static int cmp_fb(const void *a, const void *b)
{
	return memcmp(a, b, ENTRY_ID_LEN);
}

/* Every usable feedback, sorted by target. Its activity is counted
 * after the posts are read (feedback_activity): only then is it known
 * whether it is on its giver's own post, or on a post of --topic's. */
static int load_feedback(struct stats_model *mo, struct err *e)
{
	size_t cap = 0;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT entry, author, ts, target,"
			       " helpful FROM feedback", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stats_fb *f;
		size_t by = member_col(mo, st, 1);
		int64_t ts = sqlite3_column_int64(st, 2);

		if (!dated(mo, by, ts) || ts >= mo->end ||
		    hidden(mo, sqlite3_column_int64(st, 0)) || by == SIZE_MAX)
			continue;
		if (grow((void **)&mo->fb, &cap, mo->nfb, sizeof(*mo->fb)) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		f = &mo->fb[mo->nfb];
		if (!blob32(st, 3, f->target))
			continue;
		mo->nfb++;
		f->giver = by;
		f->ts = ts;
		f->helpful = sqlite3_column_int(st, 4) != 0;
		f->self = f->topic_hit = 0;
	}
	stats_sort(mo->fb, mo->nfb, sizeof(*mo->fb), cmp_fb);
	if (index_build(&mo->ifb, mo->fb, mo->nfb, sizeof(*mo->fb)) < 0) {
		sqlite3_finalize(st);
		return oom(e);
	}
	return step_fail(mo, st, rc, e);
}

static int cmp_first(const void *a, const void *b)
{
	const struct stats_first *x = a, *y = b;
	int c = memcmp(x->parent, y->parent, ENTRY_ID_LEN);

	if (c)
		return c;
	return (x->ts1 > y->ts1) - (x->ts1 < y->ts1);
}

/* The earliest helpful mark on post id by a valid member other than
 * author (STATS_NONE: none). */
static int64_t first_helpful(const struct stats_model *mo,
			     const uint8_t id[ENTRY_ID_LEN], size_t author)
{
	const struct stats_fb *fb = index_find(&mo->ifb, id);
	int64_t best = STATS_NONE;
	size_t i;

	for (i = fb ? (size_t)(fb - mo->fb) : mo->nfb;
	     i < mo->nfb && !memcmp(mo->fb[i].target, id, ENTRY_ID_LEN); i++)
		if (mo->fb[i].helpful && mo->fb[i].giver != author &&
		    valid(mo, mo->fb[i].giver) &&
		    (best == STATS_NONE || mo->fb[i].ts < best))
			best = mo->fb[i].ts;
	return best;
}

/* Folds (t, by) into the earliest (*t1, *by1) and the earliest by
 * someone other than *by1 (*t2); STATS_NONE is no time. */
static void earliest_two(int64_t t, size_t by, int64_t *t1, size_t *by1,
			 int64_t *t2)
{
	if (t == STATS_NONE)
		return;
	if (*t1 == STATS_NONE || t < *t1) {
		if (by != *by1)
			*t2 = *t1; /* the old first, by someone else */
		*t1 = t;
		*by1 = by;
	} else if (by != *by1 && (*t2 == STATS_NONE || t < *t2)) {
		*t2 = t;
	}
}

/*
 * The replies that can answer: usable, by a valid member. Gathered one
 * per row (with the earliest helpful mark on each), sorted by question,
 * then folded to one row per question: the earliest reply, its author,
 * and the earliest by anyone else (a question's author's own replies
 * never answer it); the same of the helpful marks on them.
 */
static int load_replies(struct stats_model *mo, struct err *e)
{
	size_t cap = 0, i, j;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT reply_to, author, ts, entry, id"
			       " FROM posts WHERE reply_to IS NOT NULL", &st,
			       e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stats_first *f;
		size_t by = member_col(mo, st, 1);
		int64_t ts = sqlite3_column_int64(st, 2);

		if (!valid(mo, by) || !counts_at(mo, by, ts) || ts >= mo->end ||
		    hidden(mo, sqlite3_column_int64(st, 3)))
			continue;
		if (grow((void **)&mo->first, &cap, mo->nfirst,
			 sizeof(*mo->first)) < 0) {
			sqlite3_finalize(st);
			return oom(e);
		}
		f = &mo->first[mo->nfirst];
		if (!blob32(st, 0, f->parent) ||
		    sqlite3_column_bytes(st, 4) != ENTRY_ID_LEN)
			continue;
		mo->nfirst++;
		f->ts1 = ts;
		f->by1 = f->hby1 = by;
		f->ts2 = f->help2 = STATS_NONE;
		f->help1 = first_helpful(mo, sqlite3_column_blob(st, 4), by);
	}
	if ((rc = step_fail(mo, st, rc, e)) < 0)
		return rc;
	stats_sort(mo->first, mo->nfirst, sizeof(*mo->first), cmp_first);
	for (i = 0, j = 0; i < mo->nfirst; i++) {
		struct stats_first *f = &mo->first[i], *k;

		if (j == 0 || memcmp(mo->first[j - 1].parent, f->parent,
				     ENTRY_ID_LEN)) {
			k = &mo->first[j++];
			*k = *f;
			if (k->help1 == STATS_NONE)
				k->hby1 = SIZE_MAX;
			continue;
		}
		k = &mo->first[j - 1];
		earliest_two(f->ts1, f->by1, &k->ts1, &k->by1, &k->ts2);
		earliest_two(f->help1, f->by1, &k->help1, &k->hby1, &k->help2);
	}
	mo->nfirst = j;
	return index_build(&mo->ifirst, mo->first, mo->nfirst,
			   sizeof(*mo->first)) < 0 ? oom(e) : 0;
}

/* The first time someone other than asker answered question id: a
 * reply; or with helpful, a helpful mark on the question by someone other
 * than asker, or on an answer to it by someone other than the answer's
 * author. STATS_NONE if nobody did. */
static int64_t first_answer(const struct stats_model *mo,
			    const uint8_t id[ENTRY_ID_LEN], size_t asker,
			    int helpful)
{
	const struct stats_first *f;
	int64_t best, on_reply;

	f = index_find(&mo->ifirst, id);
	if (!helpful)
		return !f ? STATS_NONE : f->by1 != asker ? f->ts1 : f->ts2;
	/* marked helpful: the question itself, or an answer to it */
	best = first_helpful(mo, id, asker);
	on_reply = !f ? STATS_NONE : f->hby1 != asker ? f->help1 : f->help2;
	if (on_reply != STATS_NONE && (best == STATS_NONE || on_reply < best))
		best = on_reply;
	return best;
}

/* ---- posts ------------------------------------------------------------ */

/* The feedback on one post: whose post it is on and its topic (for the
 * givers' activity), and, if the post counts (ok: plausibly dated, before
 * the end, shown), the feedback figures. */
static int post_feedback(struct stats_model *mo, const uint8_t id[32],
			 size_t author, int ok, int tok, const char *topic,
			 size_t topic_len)
{
	const struct stats_fb *fb = index_find(&mo->ifb, id);
	size_t i;

	if (!fb)
		return 0;
	for (i = (size_t)(fb - mo->fb);
	     i < mo->nfb && !memcmp(mo->fb[i].target, id, ENTRY_ID_LEN); i++) {
		struct stats_fb *f = &mo->fb[i];

		f->self = f->giver == author;
		f->topic_hit = tok;
		if (!ok || !tok || !valid(mo, author) || f->self ||
		    !valid(mo, f->giver) ||
		    f->ts < mo->start ||
		    !(counted(mo, f->giver) || counted(mo, author)))
			continue;
		mo->fb_count++;
		mo->fb_helpful += (uint64_t)f->helpful;
		if (stats_tally_add(&mo->topics, topic, topic_len, 1,
				    (uint64_t)f->helpful) < 0)
			return -1;
		if (counted(mo, f->giver))
			mo->m[f->giver].fb_given++;
		if (counted(mo, author)) {
			mo->m[author].fb_received++;
			if (grow((void **)&mo->fb_pairs, &mo->capfb_pairs,
				 mo->nfb_pairs, sizeof(uint64_t)) < 0)
				return -1;
			mo->fb_pairs[mo->nfb_pairs++] =
				(uint64_t)author << 32 | (uint64_t)f->giver;
		}
	}
	return 0;
}

static int answer_time(struct stats_model *mo, int64_t asked, int64_t at,
		       struct stats_i64s *all, struct stats_i64s *week)
{
	int64_t d = at - asked;

	if (d < 0) {
		mo->before_asked++;
		d = 0;
	}
	if (stats_i64s_push(all, d) < 0 || (week && stats_i64s_push(week, d) < 0))
		return -1;
	return 0;
}

/* A question in the window, asked by a counted member. */
static int question(struct stats_model *mo, sqlite3_stmt *st, size_t asker,
		    int64_t ts)
{
	struct stats_week *w = &mo->weeks[(ts - mo->start) / STATS_WEEK_MS];
	const uint8_t *id = sqlite3_column_blob(st, 1);
	int64_t reply = first_answer(mo, id, asker, 0);
	int64_t help = first_answer(mo, id, asker, 1);

	mo->asked++;
	w->questions++;
	if (help != STATS_NONE &&
	    answer_time(mo, ts, help, &mo->first_helpful, NULL) < 0)
		return -1;
	if (reply != STATS_NONE) {
		mo->answered++;
		w->answered++;
		return answer_time(mo, ts, reply, &mo->first_reply,
				   &w->first_reply);
	}
	if (mo->as_of - ts < STATS_UNANSWERED_MS)
		return 0;
	if (grow((void **)&mo->unanswered, &mo->capunanswered,
		 mo->nunanswered, sizeof(*mo->unanswered)) < 0)
		return -1;
	mo->unanswered[mo->nunanswered].ts = ts;
	mo->unanswered[mo->nunanswered].entry = sqlite3_column_int64(st, 0);
	mo->unanswered[mo->nunanswered].author = asker;
	memcpy(mo->unanswered[mo->nunanswered].id, id, ENTRY_ID_LEN);
	mo->nunanswered++;
	return 0;
}

static int load_posts(struct stats_model *mo, struct err *e)
{
	uint8_t last_key[KEY_PUBLIC_LEN] = { 0 };
	size_t last = SIZE_MAX;
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(mo->s, "SELECT entry, id, author, ts, topic,"
			       " reply_to IS NULL FROM posts", &st, e)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *author = sqlite3_column_blob(st, 2);
		int64_t ts = sqlite3_column_int64(st, 3);
		const char *topic = (const char *)sqlite3_column_text(st, 4);
		size_t by;
		int shown, tok, ok;

		if (sqlite3_column_bytes(st, 1) != ENTRY_ID_LEN ||
		    sqlite3_column_bytes(st, 2) != KEY_PUBLIC_LEN || !topic)
			continue;
		if (last == SIZE_MAX || memcmp(last_key, author, 32)) {
			memcpy(last_key, author, 32);
			last = stats_member_find(mo, last_key);
		}
		by = last;
		shown = !hidden(mo, sqlite3_column_int64(st, 0));
		tok = topic_ok(mo, st, 4);
		ok = dated(mo, by, ts) && ts < mo->end && shown;
		if (ok && tok)
			activity(mo, by, ts);
		if (post_feedback(mo, sqlite3_column_blob(st, 1), by, ok, tok,
				  topic, (size_t)sqlite3_column_bytes(st, 4)) < 0)
			break;
		if (ok && tok && sqlite3_column_int(st, 5) && counted(mo, by) &&
		    ts >= mo->start && question(mo, st, by, ts) < 0)
			break;
	}
	if (rc == SQLITE_ROW) {
		sqlite3_finalize(st);
		return oom(e);
	}
	return step_fail(mo, st, rc, e);
}

/* The feedback's activity, now that the posts say which is whose. */
static void feedback_activity(struct stats_model *mo)
{
	size_t i;

	for (i = 0; i < mo->nfb; i++)
		if (!mo->fb[i].self && (!mo->o->topic || mo->fb[i].topic_hit))
			activity(mo, mo->fb[i].giver, mo->fb[i].ts);
}

static int load_last_sync(struct stats_model *mo, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	mo->last_sync = STATS_NONE;
	if ((rc = view_prepare(mo->s, "SELECT max(last_seen) FROM peers_met",
			       &st, e)) < 0)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		mo->last_sync = sqlite3_column_int64(st, 0);
	return step_fail(mo, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, e);
}

int stats_load(struct stats_model *mo, struct err *e)
{
	sqlite3 *db = store_db(mo->s);
	sqlite3_stmt *walk = NULL;
	int rc;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return view_db_fail(mo->s, e, "cannot read the store");
	if ((rc = view_prepare(mo->s, "SELECT ts FROM entries WHERE author = ?1"
			       " ORDER BY seq", &walk, e)) == 0 &&
	    (rc = load_founding(mo, walk, e)) == 0 &&
	    (rc = load_members(mo, walk, e)) == 0 &&
	    (rc = load_hidden(mo, e)) == 0 &&
	    (rc = load_asks(mo, e)) == 0 &&
	    (rc = load_pairings(mo, e)) == 0 &&
	    (rc = load_pair_records(mo, 0, e)) == 0 &&
	    (rc = load_pair_records(mo, 1, e)) == 0 &&
	    (rc = load_kudos(mo, e)) == 0 &&
	    (rc = load_feedback(mo, e)) == 0 &&
	    (rc = load_replies(mo, e)) == 0 &&
	    (rc = load_posts(mo, e)) == 0) {
		feedback_activity(mo);
		rc = load_last_sync(mo, e);
	}
	sqlite3_finalize(walk);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

void stats_model_release(struct stats_model *mo)
{
	size_t i;

	for (i = 0; i < mo->nm; i++)
		free(mo->m[i].days);
	for (i = 0; mo->weeks && i < mo->nweeks; i++)
		free(mo->weeks[i].first_reply.v);
	free(mo->m);
	free(mo->weeks);
	free(mo->hidden);
	free(mo->asks);
	free(mo->pairs);
	free(mo->as_mentee.off);
	free(mo->as_mentee.idx);
	free(mo->as_mentor.off);
	free(mo->as_mentor.idx);
	free(mo->fb);
	free(mo->first);
	free(mo->first_reply.v);
	free(mo->first_helpful.v);
	free(mo->unanswered);
	free(mo->fb_pairs);
	index_release(&mo->im);
	index_release(&mo->iasks);
	index_release(&mo->ipairs);
	index_release(&mo->ifb);
	index_release(&mo->ifirst);
	tally_release(&mo->topics);
	tally_release(&mo->badges);
	memset(mo, 0, sizeof(*mo));
}
