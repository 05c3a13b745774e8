/*
 * stats: the figures of docs/stats.md, from the model stats_load.c reads
 * (stats_int.h), as one JSON object. Everything here is arithmetic over
 * the model: no SQL, no I/O. Percentiles are by nearest rank, shares one
 * division each, so a second implementation (tests/stats/truth.py) gets
 * the same numbers to the bit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "stats_int.h"
#include "view_int.h"

/* ---- JSON helpers ----------------------------------------------------- */

/* Adds v under k; a NULL v (out of memory) fails the whole object. */
static int put(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *time_or_null(int64_t t)
{
	return t == STATS_NONE ? json_null() : json_integer(t);
}

static json_t *share(uint64_t a, uint64_t b)
{
	return b ? json_real((double)a / (double)b) : json_null();
}

/* The value at rank ceil(p/100 * n) of the sorted v (STATS_NONE if n is
 * 0). */
static int64_t rank(const struct stats_i64s *a, unsigned p)
{
	size_t r;

	if (a->n == 0)
		return STATS_NONE;
	r = (a->n * p + 99) / 100;
	return a->v[r ? r - 1 : 0];
}

static json_t *spread(struct stats_i64s *a)
{
	json_t *o = json_object();

	stats_sort(a->v, a->n, sizeof(int64_t), stats_cmp_i64);
	if (!o || put(o, "n", json_integer((json_int_t)a->n)) < 0 ||
	    put(o, "median", time_or_null(rank(a, 50))) < 0 ||
	    put(o, "p90", time_or_null(rank(a, 90))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* "YYYY-MM-DD" of the UTC day of ms (since the epoch, 0 or more). */
static void day_label(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "?");
}

/* ---- pseudonyms ------------------------------------------------------- */

static const char *const adjectives[64] = {
	"Amber", "Azure", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral",
	"Cosy", "Crimson", "Curious", "Daring", "Deft", "Eager", "Early",
	"Fair", "Fern", "Fleet", "Gentle", "Glad", "Golden", "Grand", "Green",
	"Happy", "Hardy", "Honest", "Ivory", "Jade", "Jolly", "Keen", "Kind",
	"Lively", "Lucky", "Lunar", "Merry", "Mild", "Misty", "Modest",
	"Noble", "Olive", "Patient", "Plucky", "Proud", "Quick", "Quiet",
	"Rapid", "Ready", "Rosy", "Ruby", "Sandy", "Silver", "Sly", "Smart",
	"Solar", "Steady", "Sunny", "Swift", "Tidy", "True", "Umber", "Vivid",
	"Warm", "Wise", "Witty",
};

static const char *const animals[64] = {
	"Badger", "Bear", "Beaver", "Bison", "Crane", "Crow", "Deer",
	"Dolphin", "Dove", "Eagle", "Egret", "Elk", "Falcon", "Finch", "Fox",
	"Gecko", "Goat", "Goose", "Hare", "Hawk", "Hedgehog", "Heron", "Ibis",
	"Jay", "Koala", "Lark", "Lemur", "Lion", "Llama", "Lynx", "Magpie",
	"Marten", "Mole", "Moose", "Newt", "Otter", "Owl", "Panda", "Parrot",
	"Pelican", "Puffin", "Quail", "Rabbit", "Raven", "Robin", "Salmon",
	"Seal", "Sparrow", "Stork", "Swallow", "Swan", "Tapir", "Tern",
	"Tiger", "Toucan", "Trout", "Turtle", "Viper", "Walrus", "Weasel",
	"Whale", "Wolf", "Wren", "Yak",
};

/*
 * Replaces every member's name by a pseudonym: an adjective, an animal
 * and a number below 1000, all three from BLAKE2b of the key keyed with
 * o->pseudonym_key (4,096,000 of them, so the same member gets the same
 * one in every report, whoever else is held). Members whose three
 * collide all the same get "-2", "-3", ... in key order.
 */
struct pseudonym {
	uint32_t code;         /* adjective << 16 | animal << 10 | number */
	size_t i;
};

static int cmp_pseudonym(const void *a, const void *b)
{
	const struct pseudonym *x = a, *y = b;

	if (x->code != y->code)
		return (x->code > y->code) - (x->code < y->code);
	return (x->i > y->i) - (x->i < y->i);
}

static int pseudonyms(struct stats_model *mo)
{
	struct pseudonym *p = calloc(mo->nm ? mo->nm : 1, sizeof(*p));
	size_t i, same = 1;

	if (!p)
		return STOA_ENOMEM;
	for (i = 0; i < mo->nm; i++) {
		uint8_t h[HASH_LEN];

		hash_blake2b_keyed(h, mo->o->pseudonym_key, mo->m[i].key,
				   KEY_PUBLIC_LEN);
		p[i].code = (uint32_t)(h[0] & 63) << 16 |
			    (uint32_t)(h[1] & 63) << 10 |
			    (uint32_t)((h[2] << 8 | h[3]) % 1000);
		p[i].i = i; /* the members are in key order */
	}
	stats_sort(p, mo->nm, sizeof(*p), cmp_pseudonym);
	for (i = 0; i < mo->nm; i++) {
		struct stats_member *m = &mo->m[p[i].i];
		uint32_t c = p[i].code;
		int n;

		same = i > 0 && p[i - 1].code == c ? same + 1 : 1;
		n = snprintf(m->name, sizeof(m->name), "%s %s %u",
			     adjectives[c >> 16], animals[c >> 10 & 63],
			     (unsigned)(c & 1023));
		if (same > 1 && n > 0 && (size_t)n < sizeof(m->name))
			snprintf(m->name + n, sizeof(m->name) - (size_t)n,
				 "-%zu", same);
		m->has_name = 1;
	}
	free(p);
	return 0;
}

/* A member row: {"key", "name"} (no key under pseudonyms). */
static json_t *member_row(const struct stats_model *mo, size_t i)
{
	const struct stats_member *m = &mo->m[i];
	json_t *o = json_object();
	char hex[2 * KEY_PUBLIC_LEN + 1];

	if (!o)
		return NULL;
	if (!mo->o->pseudonym_key) {
		hex_encode(hex, m->key, KEY_PUBLIC_LEN);
		if (put(o, "key", json_string(hex)) < 0)
			goto fail;
	}
	if (put(o, "name", m->has_name ? json_string(m->name) : json_null()) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int append(json_t *a, json_t *row)
{
	return row ? json_array_append_new(a, row) : -1;
}

/* ---- weeks and cohorts ------------------------------------------------ */

static int day_bit(const struct stats_member *m, size_t day)
{
	return m->days[day / 8] >> (day % 8) & 1;
}

/* Whether m wrote something in [from, to) (ms, at day boundaries). */
static int active_in(const struct stats_model *mo,
		     const struct stats_member *m, int64_t from, int64_t to)
{
	size_t d = (size_t)((from - mo->day0) / STATS_DAY_MS);
	size_t end = (size_t)((to - mo->day0) / STATS_DAY_MS);

	for (; d < end && d < mo->ndays; d++)
		if (day_bit(m, d))
			return 1;
	return 0;
}

/*
 * The valid pairings of each member as mentee, and as mentor: member i's
 * are idx[off[i]] .. idx[off[i + 1] - 1] (a counting sort), so a figure
 * over a member's pairings never walks everyone's (a flood of pairings
 * between two members costs the others nothing).
 */
static int pair_list(struct stats_model *mo, int mentor,
		     struct stats_list *l)
{
	size_t i, j;

	if (!(l->off = calloc(mo->nm + 1, sizeof(*l->off))) ||
	    !(l->idx = calloc(mo->npairs ? mo->npairs : 1, sizeof(*l->idx))))
		return STOA_ENOMEM;
	for (j = 0; j < mo->npairs; j++)
		if (mo->pairs[j].valid)
			l->off[(mentor ? mo->pairs[j].mentor :
				mo->pairs[j].mentee) + 1]++;
	for (i = 0; i < mo->nm; i++)
		l->off[i + 1] += l->off[i];
	for (j = 0; j < mo->npairs; j++)
		if (mo->pairs[j].valid) {
			size_t who = mentor ? mo->pairs[j].mentor :
					      mo->pairs[j].mentee;

			l->idx[l->off[who]++] = j;
		}
	for (i = mo->nm; i > 0; i--) /* each off moved to the next start */
		l->off[i] = l->off[i - 1];
	l->off[0] = 0;
	return 0;
}

/* Whether member i is the mentee of a pairing open at t. */
static int paired_at(const struct stats_model *mo, size_t i, int64_t t)
{
	size_t j;

	for (j = mo->as_mentee.off[i]; j < mo->as_mentee.off[i + 1]; j++) {
		const struct stats_pair *p = &mo->pairs[mo->as_mentee.idx[j]];

		if (p->ts < t && (p->closed == STATS_NONE || p->closed >= t))
			return 1;
	}
	return 0;
}

/* Whether member i, a mentee first at first, became the mentor of a
 * pairing accepted later, in the window. */
static int became_mentor(const struct stats_model *mo, size_t i, int64_t first)
{
	size_t j;

	for (j = mo->as_mentor.off[i]; j < mo->as_mentor.off[i + 1]; j++) {
		const struct stats_pair *p = &mo->pairs[mo->as_mentor.idx[j]];

		if (p->ts > first && p->ts >= mo->start)
			return 1;
	}
	return 0;
}

/* The earliest accept of a pairing member i was the mentee of. */
static int64_t first_mentee(const struct stats_model *mo, size_t i)
{
	int64_t first = STATS_NONE;
	size_t j;

	for (j = mo->as_mentee.off[i]; j < mo->as_mentee.off[i + 1]; j++) {
		const struct stats_pair *p = &mo->pairs[mo->as_mentee.idx[j]];

		if (first == STATS_NONE || p->ts < first)
			first = p->ts;
	}
	return first;
}

static void weeks_count(struct stats_model *mo)
{
	size_t w, i;

	for (w = 0; w < mo->nweeks; w++) {
		struct stats_week *wk = &mo->weeks[w];

		for (i = 0; i < mo->nm; i++) {
			const struct stats_member *m = &mo->m[i];

			if (!m->counted || m->join >= wk->end)
				continue;
			wk->members++;
			wk->active += (uint64_t)active_in(mo, m, wk->start, wk->end);
			wk->monthly += (uint64_t)active_in(mo, m, wk->end -
							  STATS_MONTH_MS, wk->end);
			if (m->join >= wk->start) {
				wk->fresh++;
				wk->fresh_wrote += (uint64_t)m->wrote7;
				/* silent so far, their 7 days not over: too soon
				 * to tell */
				wk->fresh_recent += (uint64_t)(!m->wrote7 &&
					mo->as_of - m->join < STATS_NEW_WROTE_MS);
			}
			if (m->learner) {
				wk->learners++;
				wk->learners_paired += (uint64_t)
					paired_at(mo, i, wk->end);
			}
		}
	}
}

static json_t *weeks_json(struct stats_model *mo)
{
	json_t *a = json_array();
	size_t w;

	for (w = 0; a && w < mo->nweeks; w++) {
		struct stats_week *wk = &mo->weeks[w];
		json_t *o = json_object();
		char label[16];

		stats_sort(wk->first_reply.v, wk->first_reply.n, sizeof(int64_t),
		      stats_cmp_i64);
		day_label(wk->start, label);
		if (append(a, o) < 0 ||
		    put(o, "start", json_integer(wk->start)) < 0 ||
		    put(o, "label", json_string(label)) < 0 ||
		    put(o, "members", json_integer((json_int_t)wk->members)) < 0 ||
		    put(o, "active", json_integer((json_int_t)wk->active)) < 0 ||
		    put(o, "rate", share(wk->active, wk->members)) < 0 ||
		    put(o, "monthly_active", json_integer((json_int_t)wk->monthly)) < 0 ||
		    put(o, "stickiness", share(wk->active, wk->monthly)) < 0 ||
		    put(o, "new", json_integer((json_int_t)wk->fresh)) < 0 ||
		    put(o, "new_wrote_7d", json_integer((json_int_t)wk->fresh_wrote)) < 0 ||
		    put(o, "new_recent", json_integer((json_int_t)wk->fresh_recent)) < 0 ||
		    put(o, "questions", json_integer((json_int_t)wk->questions)) < 0 ||
		    put(o, "answered", json_integer((json_int_t)wk->answered)) < 0 ||
		    put(o, "first_reply_median",
			time_or_null(rank(&wk->first_reply, 50))) < 0 ||
		    put(o, "first_reply_p90",
			time_or_null(rank(&wk->first_reply, 90))) < 0 ||
		    put(o, "learners", json_integer((json_int_t)wk->learners)) < 0 ||
		    put(o, "learners_paired",
			json_integer((json_int_t)wk->learners_paired)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *cohorts_json(struct stats_model *mo)
{
	json_t *a = json_array();
	size_t w, k, i;

	for (w = 0; a && w < mo->nweeks; w++) {
		const struct stats_week *wk = &mo->weeks[w];
		json_t *o, *act, *sh;
		char label[16];

		if (wk->fresh == 0)
			continue;
		day_label(wk->start, label);
		if (append(a, o = json_object()) < 0 ||
		    put(o, "week", json_string(label)) < 0 ||
		    put(o, "size", json_integer((json_int_t)wk->fresh)) < 0 ||
		    put(o, "active", act = json_array()) < 0 ||
		    put(o, "share", sh = json_array()) < 0)
			goto fail;
		for (k = 1; k <= STATS_COHORT_WEEKS; k++) {
			const struct stats_week *later;
			uint64_t n = 0;

			if (w + k >= mo->nweeks) {
				if (append(act, json_null()) < 0 ||
				    append(sh, json_null()) < 0)
					goto fail;
				continue;
			}
			later = &mo->weeks[w + k];
			for (i = 0; i < mo->nm; i++) {
				const struct stats_member *m = &mo->m[i];

				if (m->counted && m->join >= wk->start &&
				    m->join < wk->end)
					n += (uint64_t)active_in(mo, m,
						later->start, later->end);
			}
			if (append(act, json_integer((json_int_t)n)) < 0 ||
			    append(sh, share(n, wk->fresh)) < 0)
				goto fail;
		}
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

/* ---- the sections ----------------------------------------------------- */

static int cmp_unanswered(const void *a, const void *b)
{
	const struct stats_unanswered *x = a, *y = b;

	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return memcmp(x->id, y->id, ENTRY_ID_LEN);
}

/* An entry's row of a list: {"id","key","name","ts",...}. */
static json_t *entry_row(const struct stats_model *mo, const uint8_t *id,
			 size_t author, int64_t ts, const char *age_key,
			 int64_t age)
{
	json_t *o = member_row(mo, author);
	char hex[2 * ENTRY_ID_LEN + 1];

	hex_encode(hex, id, ENTRY_ID_LEN);
	if (!o || put(o, "id", json_string(hex)) < 0 ||
	    put(o, "ts", json_integer(ts)) < 0 ||
	    put(o, age_key, json_integer(age < 0 ? 0 : age)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The start of a post's body, to tell an untitled question by: its white
 * space skipped, up to the next newline (a '\r' before it dropped), at
 * most STATS_EXCERPT_MAX bytes, cut before a UTF-8 continuation byte
 * (stored text is valid UTF-8). */
static json_t *excerpt(sqlite3_stmt *st, int col)
{
	const char *b = (const char *)sqlite3_column_text(st, col);
	const char *nl;
	size_t n;

	if (!b)
		return json_string("");
	n = (size_t)sqlite3_column_bytes(st, col);
	while (n > 0 && strchr(" \t\n\r\v\f", *b) && *b) {
		b++;
		n--;
	}
	if ((nl = memchr(b, '\n', n)))
		n = (size_t)(nl - b);
	if (n > 0 && b[n - 1] == '\r')
		n--;
	if (n > STATS_EXCERPT_MAX) {
		n = STATS_EXCERPT_MAX;
		while (n > 0 && ((unsigned char)b[n] & 0xc0) == 0x80)
			n--;
	}
	return json_stringn(b, n);
}

static json_t *questions_json(struct stats_model *mo, struct err *e)
{
	json_t *q = json_object(), *list, *row;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	stats_sort(mo->unanswered, mo->nunanswered, sizeof(*mo->unanswered),
		   cmp_unanswered);
	if (!q || put(q, "asked", json_integer((json_int_t)mo->asked)) < 0 ||
	    put(q, "answered", json_integer((json_int_t)mo->answered)) < 0 ||
	    put(q, "first_reply", spread(&mo->first_reply)) < 0 ||
	    put(q, "first_helpful", spread(&mo->first_helpful)) < 0 ||
	    put(q, "unanswered", list = json_array()) < 0 ||
	    put(q, "unanswered_total", json_integer((json_int_t)mo->nunanswered)) < 0)
		goto fail;
	if (mo->nunanswered && view_prepare(mo->s, "SELECT topic, title, body"
					    " FROM posts WHERE entry = ?1", &st,
					    e) < 0)
		goto fail;
	for (i = 0; i < mo->nunanswered && i < mo->limit; i++) {
		const struct stats_unanswered *u = &mo->unanswered[i];

		row = entry_row(mo, u->id, u->author, u->ts, "age_ms",
				mo->as_of - u->ts);
		if (append(list, row) < 0)
			goto fail;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, u->entry);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			view_set_text(row, "topic", st, 0);
			view_set_text(row, "title", st, 1);
			if (put(row, "excerpt", excerpt(st, 2)) < 0)
				goto fail;
		} else if (rc != SQLITE_DONE) {
			view_db_fail(mo->s, e, "cannot read a question");
			goto fail;
		}
	}
	sqlite3_finalize(st);
	return q;
fail:
	sqlite3_finalize(st);
	json_decref(q);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Tally rows, most first (a), then by string; at most limit. */
static int cmp_tally(const void *a, const void *b)
{
	const struct stats_tally_row *x = a, *y = b;

	if (x->a != y->a)
		return (x->a < y->a) - (x->a > y->a);
	return strcmp(x->s, y->s);
}

static json_t *tally_json(struct stats_tally *t, const char *name,
			  const char *count, const char *second, unsigned limit)
{
	json_t *a = json_array();
	size_t i, n = 0;

	for (i = 0; i < t->cap; i++) /* pack the used rows to the front */
		if (t->rows[i].s)
			t->rows[n++] = t->rows[i];
	for (i = n; i < t->cap; i++)
		memset(&t->rows[i], 0, sizeof(t->rows[i]));
	stats_sort(t->rows, n, sizeof(*t->rows), cmp_tally);
	for (i = 0; a && i < n && i < limit; i++) {
		json_t *o = json_object();

		if (append(a, o) < 0 || put(o, name, json_string(t->rows[i].s)) < 0 ||
		    put(o, count, json_integer((json_int_t)t->rows[i].a)) < 0 ||
		    (second && (put(o, second, json_integer((json_int_t)
						    t->rows[i].b)) < 0 ||
				put(o, "share", share(t->rows[i].b,
						      t->rows[i].a)) < 0))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Appends member i's {"key","name","given","received"} to list: the row,
 * or NULL (out of memory). */
static json_t *given_row(const struct stats_model *mo, json_t *list, size_t i,
			 uint64_t given, uint64_t received)
{
	json_t *row = member_row(mo, i);

	if (append(list, row) < 0 ||
	    put(row, "given", json_integer((json_int_t)given)) < 0 ||
	    put(row, "received", json_integer((json_int_t)received)) < 0)
		return NULL;
	return row;
}

static json_t *feedback_json(struct stats_model *mo)
{
	json_t *f = json_object(), *members;
	size_t i, j, topics = mo->topics.n;

	/* received_from: the distinct (receiver, giver) pairs */
	stats_sort(mo->fb_pairs, mo->nfb_pairs, sizeof(uint64_t), cmp_u64);
	for (j = 0; j < mo->nfb_pairs; j++)
		if (j == 0 || mo->fb_pairs[j] != mo->fb_pairs[j - 1])
			mo->m[mo->fb_pairs[j] >> 32].fb_from++;
	if (!f || put(f, "given", json_integer((json_int_t)mo->fb_count)) < 0 ||
	    put(f, "helpful", json_integer((json_int_t)mo->fb_helpful)) < 0 ||
	    put(f, "members", members = json_array()) < 0 ||
	    put(f, "topics", tally_json(&mo->topics, "topic", "feedback",
					"helpful", mo->limit)) < 0 ||
	    put(f, "topics_total", json_integer((json_int_t)topics)) < 0)
		goto fail;
	for (i = 0; i < mo->nm; i++) {
		const struct stats_member *m = &mo->m[i];
		json_t *row;

		if (m->counted && (!(row = given_row(mo, members, i, m->fb_given,
						     m->fb_received)) ||
				   put(row, "received_from", json_integer(
					   (json_int_t)m->fb_from)) < 0))
			goto fail;
	}
	return f;
fail:
	json_decref(f);
	return NULL;
}

struct waiting {
	int64_t ts;
	const struct stats_ask *ask;
};

static int cmp_waiting(const void *a, const void *b)
{
	const struct waiting *x = a, *y = b;

	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return memcmp(x->ask->id, y->ask->id, ENTRY_ID_LEN);
}

/* The requests nobody accepted, oldest first. */
static json_t *waiting_json(struct stats_model *mo, size_t *total,
			    struct err *e)
{
	struct waiting *w = calloc(mo->nasks ? mo->nasks : 1, sizeof(*w));
	json_t *a = json_array();
	sqlite3_stmt *st = NULL;
	size_t i, n = 0;
	int rc;

	if (!w || !a)
		goto fail;
	for (i = 0; i < mo->nasks; i++) {
		const struct stats_ask *k = &mo->asks[i];

		if (k->request && k->usable && k->topic_ok && !k->accepted &&
		    k->author != SIZE_MAX && mo->m[k->author].counted)
			w[n++] = (struct waiting){ k->ts, k };
	}
	stats_sort(w, n, sizeof(*w), cmp_waiting);
	*total = n;
	if (n && view_prepare(mo->s, "SELECT topic FROM asks WHERE id = ?1", &st,
			      e) < 0)
		goto fail;
	for (i = 0; i < n && i < mo->limit; i++) {
		json_t *row = entry_row(mo, w[i].ask->id, w[i].ask->author,
					w[i].ts, "waiting_ms",
					mo->as_of - w[i].ts);

		if (append(a, row) < 0)
			goto fail;
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, w[i].ask->id, ENTRY_ID_LEN, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			view_set_text(row, "topic", st, 0);
		} else if (rc != SQLITE_DONE) {
			view_db_fail(mo->s, e, "cannot read a request");
			goto fail;
		}
	}
	sqlite3_finalize(st);
	free(w);
	return a;
fail:
	sqlite3_finalize(st);
	free(w);
	json_decref(a);
	return NULL;
}

static json_t *mentoring_json(struct stats_model *mo, struct err *e)
{
	json_t *o = json_object(), *became;
	uint64_t learners = 0, paired = 0, listed = 0, closed = 0;
	uint64_t sessions = 0, minutes = 0;
	size_t i, j, total = 0;

	for (j = 0; j < mo->npairs; j++) {
		const struct stats_pair *p = &mo->pairs[j];

		if (!p->valid || !p->focus ||
		    (p->closed != STATS_NONE && p->closed <= mo->start))
			continue; /* not open at any time in the window */
		listed++;
		sessions += p->sessions;
		minutes += p->minutes;
		closed += p->closed != STATS_NONE;
	}
	if (!o || put(o, "became_mentors", became = json_array()) < 0)
		goto fail;
	for (i = 0; i < mo->nm; i++) {
		const struct stats_member *m = &mo->m[i];
		int64_t first;

		if (!m->counted)
			continue;
		if (m->learner) {
			learners++;
			paired += (uint64_t)paired_at(mo, i, mo->as_of);
		}
		if ((first = first_mentee(mo, i)) != STATS_NONE &&
		    became_mentor(mo, i, first) &&
		    append(became, member_row(mo, i)) < 0)
			goto fail;
	}
	if (put(o, "learners", json_integer((json_int_t)learners)) < 0 ||
	    put(o, "learners_paired", json_integer((json_int_t)paired)) < 0 ||
	    put(o, "coverage", share(paired, learners)) < 0 ||
	    put(o, "waiting", waiting_json(mo, &total, e)) < 0 ||
	    put(o, "waiting_total", json_integer((json_int_t)total)) < 0 ||
	    put(o, "pairings", json_integer((json_int_t)listed)) < 0 ||
	    put(o, "closed", json_integer((json_int_t)closed)) < 0 ||
	    put(o, "sessions", json_integer((json_int_t)sessions)) < 0 ||
	    put(o, "minutes", json_integer((json_int_t)minutes)) < 0 ||
	    put(o, "sessions_per_pairing", share(sessions, listed)) < 0 ||
	    put(o, "minutes_per_pairing", share(minutes, listed)) < 0)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int cmp_desc(const void *a, const void *b)
{
	return cmp_u64(b, a);
}

/* The share of received kudos held by the tenth of the counted members
 * who received most (ceil(n / 10) of them). */
static json_t *top10(const struct stats_model *mo)
{
	uint64_t *v, total = 0, top = 0;
	size_t i, n = 0, k;

	if (mo->o->member)
		return json_null();
	if (!(v = calloc(mo->nm ? mo->nm : 1, sizeof(*v))))
		return NULL;
	for (i = 0; i < mo->nm; i++)
		if (mo->m[i].counted) {
			v[n++] = mo->m[i].kudos_received;
			total += mo->m[i].kudos_received;
		}
	stats_sort(v, n, sizeof(*v), cmp_desc);
	k = (n + 9) / 10;
	for (i = 0; i < k && i < n; i++)
		top += v[i];
	free(v);
	return share(top, total);
}

static json_t *kudos_json(struct stats_model *mo)
{
	json_t *o = json_object(), *members;
	size_t i, badges = mo->badges.n;

	if (!o || put(o, "given", json_integer((json_int_t)mo->kudos_given)) < 0 ||
	    put(o, "badges", tally_json(&mo->badges, "badge", "count", NULL,
					mo->limit)) < 0 ||
	    put(o, "badges_total", json_integer((json_int_t)badges)) < 0 ||
	    put(o, "members", members = json_array()) < 0 ||
	    put(o, "top10_share", top10(mo)) < 0)
		goto fail;
	for (i = 0; i < mo->nm; i++)
		if (mo->m[i].counted &&
		    !given_row(mo, members, i, mo->m[i].kudos_given,
			       mo->m[i].kudos_received))
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* Members in an order: at risk (longest silent first, t = last),
 * freshness (stalest first, t = received; STATS_NONE, the least, first);
 * then by key. */
struct order {
	int64_t t;
	const uint8_t *key;
	size_t i;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->t != y->t)
		return (x->t > y->t) - (x->t < y->t);
	return memcmp(x->key, y->key, KEY_PUBLIC_LEN);
}

static int at_risk_json(struct stats_model *mo, json_t *out, struct order *o)
{
	json_t *risk, *row;
	size_t i, n = 0;

	for (i = 0; i < mo->nm; i++)
		if (mo->m[i].counted && mo->m[i].last != STATS_NONE &&
		    mo->as_of - mo->m[i].last >= STATS_AT_RISK_MS)
			o[n++] = (struct order){ mo->m[i].last, mo->m[i].key, i };
	stats_sort(o, n, sizeof(*o), cmp_order);
	if (put(out, "at_risk", risk = json_array()) < 0 ||
	    put(out, "at_risk_total", json_integer((json_int_t)n)) < 0)
		return STOA_ENOMEM;
	for (i = 0; i < n && i < mo->limit; i++)
		if (append(risk, row = member_row(mo, o[i].i)) < 0 ||
		    put(row, "last_active", json_integer(o[i].t)) < 0 ||
		    put(row, "days_silent", json_integer((mo->as_of - o[i].t) /
							 STATS_DAY_MS)) < 0 ||
		    put(row, "received", time_or_null(mo->m[o[i].i].received)) < 0)
			return STOA_ENOMEM;
	return 0;
}

static int freshness_json(struct stats_model *mo, json_t *out, struct order *o)
{
	json_t *fresh, *list, *row;
	size_t i, n = 0;

	for (i = 0; i < mo->nm; i++)
		if (mo->m[i].counted)
			o[n++] = (struct order){ mo->m[i].received, mo->m[i].key, i };
	stats_sort(o, n, sizeof(*o), cmp_order);
	if (put(out, "freshness", fresh = json_object()) < 0 ||
	    put(fresh, "last_sync", time_or_null(mo->last_sync)) < 0 ||
	    put(fresh, "members", list = json_array()) < 0)
		return STOA_ENOMEM;
	for (i = 0; i < n; i++) {
		const struct stats_member *m = &mo->m[o[i].i];

		if (append(list, row = member_row(mo, o[i].i)) < 0 ||
		    put(row, "seq", json_integer((json_int_t)m->seq)) < 0 ||
		    put(row, "newest_ts", json_integer(m->newest_ts)) < 0 ||
		    put(row, "received", time_or_null(m->received)) < 0)
			return STOA_ENOMEM;
	}
	return 0;
}

static int clock_json(struct stats_model *mo, json_t *out)
{
	json_t *clock, *ahead, *behind, *row;
	size_t i;

	if (put(out, "clock", clock = json_object()) < 0 ||
	    put(clock, "ahead", ahead = json_array()) < 0 ||
	    put(clock, "behind", behind = json_array()) < 0 ||
	    put(clock, "answered_before_asked",
		json_integer((json_int_t)mo->before_asked)) < 0)
		return STOA_ENOMEM;
	for (i = 0; i < mo->nm; i++) {
		const struct stats_member *m = &mo->m[i];

		if (!m->focus)
			continue;
		if (m->ahead && (append(ahead, row = member_row(mo, i)) < 0 ||
				 put(row, "entries", json_integer(m->ahead)) < 0))
			return STOA_ENOMEM;
		if (m->behind && (append(behind, row = member_row(mo, i)) < 0 ||
				  put(row, "entries", json_integer(m->behind)) < 0))
			return STOA_ENOMEM;
	}
	return 0;
}

/* at_risk, at_risk_total, freshness and clock, into out. */
static int people_json(struct stats_model *mo, json_t *out)
{
	struct order *o = calloc(mo->nm ? mo->nm : 1, sizeof(*o));
	int rc = STOA_ENOMEM;

	if (o && (rc = at_risk_json(mo, out, o)) == 0 &&
	    (rc = freshness_json(mo, out, o)) == 0)
		rc = clock_json(mo, out);
	free(o);
	return rc;
}

/* ---- the whole ---------------------------------------------------------- */

/* --member as the window says it: the key, its pseudonym, or null. */
static json_t *window_member(const struct stats_model *mo)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	size_t i;

	if (!mo->o->member)
		return json_null();
	if (!mo->o->pseudonym_key) {
		hex_encode(hex, mo->o->member, KEY_PUBLIC_LEN);
		return json_string(hex);
	}
	i = stats_member_find(mo, mo->o->member);
	return i != SIZE_MAX ? json_string(mo->m[i].name) : json_null();
}

/* --member's name (or pseudonym), or null. */
static json_t *window_member_name(const struct stats_model *mo)
{
	size_t i;

	if (!mo->o->member ||
	    (i = stats_member_find(mo, mo->o->member)) == SIZE_MAX ||
	    !mo->m[i].has_name)
		return json_null();
	return json_string(mo->m[i].name);
}

static json_t *window_json(const struct stats_model *mo)
{
	json_t *w = json_object();
	char since[16], until[16];

	day_label(mo->start, since);
	day_label(mo->end - STATS_DAY_MS, until);
	if (!w || put(w, "since", json_string(since)) < 0 ||
	    put(w, "until", json_string(until)) < 0 ||
	    put(w, "start", json_integer(mo->start)) < 0 ||
	    put(w, "end", json_integer(mo->end)) < 0 ||
	    put(w, "as_of", json_integer(mo->as_of)) < 0 ||
	    put(w, "topic", mo->o->topic ? json_string(mo->o->topic) :
		json_null()) < 0 ||
	    put(w, "member", window_member(mo)) < 0 ||
	    put(w, "member_name", window_member_name(mo)) < 0 ||
	    put(w, "limit", json_integer(mo->limit)) < 0) {
		json_decref(w);
		return NULL;
	}
	return w;
}

static json_t *figures(struct stats_model *mo, struct err *e)
{
	json_t *o = json_object();
	uint64_t members = 0, removed = 0;
	size_t i;

	for (i = 0; i < mo->nm; i++) {
		members += (uint64_t)mo->m[i].counted;
		removed += (uint64_t)mo->m[i].removed;
	}
	if (pair_list(mo, 0, &mo->as_mentee) < 0 ||
	    pair_list(mo, 1, &mo->as_mentor) < 0) {
		json_decref(o);
		return NULL;
	}
	weeks_count(mo);
	if (!o || put(o, "window", window_json(mo)) < 0 ||
	    put(o, "generated", json_integer(mo->o->now)) < 0 ||
	    put(o, "members", json_integer((json_int_t)members)) < 0 ||
	    put(o, "removed", json_integer((json_int_t)removed)) < 0 ||
	    put(o, "weeks", weeks_json(mo)) < 0 ||
	    put(o, "cohorts", cohorts_json(mo)) < 0 ||
	    put(o, "questions", questions_json(mo, e)) < 0 ||
	    put(o, "feedback", feedback_json(mo)) < 0 ||
	    put(o, "mentoring", mentoring_json(mo, e)) < 0 ||
	    put(o, "kudos", kudos_json(mo)) < 0 || people_json(mo, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int stats_compute(struct store *s, const struct stats_opts *o, json_t **out,
		  struct err *e)
{
	struct stats_model mo;
	size_t w;
	int rc;

	*out = NULL;
	if (o->end <= o->start || o->start < 0 ||
	    (o->end - o->start) % STATS_DAY_MS || o->start % STATS_DAY_MS)
		return err_set(e, STOA_EINVAL, "the window must be whole days, "
			       "its end after its start");
	memset(&mo, 0, sizeof(mo));
	mo.s = s;
	mo.o = o;
	mo.start = o->start;
	mo.end = o->end;
	mo.as_of = o->now < o->end ? o->now : o->end;
	mo.day0 = o->start - STATS_MONTH_MS;
	mo.ndays = (size_t)((o->end - mo.day0) / STATS_DAY_MS);
	mo.nweeks = (size_t)((o->end - o->start + STATS_WEEK_MS - 1) /
			     STATS_WEEK_MS);
	if (mo.nweeks > STATS_WEEKS_MAX)
		return err_set(e, STOA_EINVAL, "the window is %zu weeks long: "
			       "at most %d", mo.nweeks, STATS_WEEKS_MAX);
	mo.limit = o->limit ? o->limit : STATS_LIMIT_DEFAULT;
	if (mo.limit > STATS_LIMIT_MAX)
		mo.limit = STATS_LIMIT_MAX;
	if (!(mo.weeks = calloc(mo.nweeks, sizeof(*mo.weeks))))
		return err_set(e, STOA_ENOMEM, "out of memory");
	for (w = 0; w < mo.nweeks; w++) {
		mo.weeks[w].start = o->start + (int64_t)w * STATS_WEEK_MS;
		mo.weeks[w].end = mo.weeks[w].start + STATS_WEEK_MS;
		if (mo.weeks[w].end > o->end)
			mo.weeks[w].end = o->end;
	}
	rc = stats_load(&mo, e);
	if (rc == 0 && o->pseudonym_key && (rc = pseudonyms(&mo)) < 0)
		err_set(e, rc, "out of memory");
	if (rc == 0 && !(*out = figures(&mo, e))) {
		/* a failed query said so first (the first error wins) */
		err_set(e, STOA_ENOMEM, "out of memory");
		rc = e && e->code ? e->code : STOA_ENOMEM;
	}
	stats_model_release(&mo);
	return rc;
}
