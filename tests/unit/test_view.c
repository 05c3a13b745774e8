/*
 * Unit tests of node/view: what a member sees, read from a real store
 * holding a small class's entries (signed here with fixed keys and
 * timestamps, ingested as a peer's would be). The feed's order (newest
 * first, a tie on the millisecond broken by the larger id), its topic,
 * author and limit filters; a thread shown depth-first, oldest first, with
 * its feedback; search (every word required, whole words unless a
 * trailing '*', punctuation harmless, topics searched too, an empty query
 * refused); the members list (names first, then members without a
 * profile; posts, feedback, kudos with their distinct badges, mentoring
 * minutes that count only the participants' sessions, forked); mentoring
 * (requests then offers, pairings with their mentor and mentee, closed
 * only by a participant); and the small lookups the commands use.
 *
 * Governance, as the store resolved it: Bo founded the community and made
 * Ada a mentor (the profiles' own roles decide nothing); then, with
 * records written by store_append as a member's node writes them, a
 * hidden reply and a hidden feedback leave the lists, the thread and
 * every count (and come back, marked, for a scope that wants hidden
 * items); an erased post shows as a notice and keeps its replies; a
 * learner's hide does nothing; the posts a member reported leave that
 * member's own lists; a removed member's later entries go; and the
 * history lists every record with its effect.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payload.h"
#include "store.h"
#include "test.h"
#include "view.h"

enum { ADA, BO, CY, DI, EVE, NMEMBERS };

static const char *const names[NMEMBERS] = { "Ada", "Bo", "Cy", "Di", NULL };
static struct key keys[NMEMBERS];
static uint64_t head_seq[NMEMBERS];
static uint8_t head_id[NMEMBERS][ENTRY_ID_LEN];
static struct store *s;
static char dir[] = "/tmp/stoa-test-view-XXXXXX";

/* The entries of the class, by what they are. */
static uint8_t prof[NMEMBERS][ENTRY_ID_LEN];
static uint8_t p1[ENTRY_ID_LEN], p2[ENTRY_ID_LEN], p3[ENTRY_ID_LEN],
	p4[ENTRY_ID_LEN], p5[ENTRY_ID_LEN], r1[ENTRY_ID_LEN], r2[ENTRY_ID_LEN],
	r3[ENTRY_ID_LEN], r4[ENTRY_ID_LEN], f1[ENTRY_ID_LEN],
	offer[ENTRY_ID_LEN], req1[ENTRY_ID_LEN], req2[ENTRY_ID_LEN],
	pair1[ENTRY_ID_LEN], pair2[ENTRY_ID_LEN], own[ENTRY_ID_LEN],
	f2[ENTRY_ID_LEN];

/* Signs member m's next entry and ingests it; its id into id (or not). */
static void put(int m, uint8_t kind, uint64_t ts, const char *json,
		uint8_t *id)
{
	uint64_t seq = head_seq[m] + 1;
	struct entry en;
	struct err e = { 0 };
	int rc;

	CHECK(entry_create(&en, &keys[m], kind, seq, seq > 1 ? head_id[m] : NULL,
			   ts, json, strlen(json), &e) == 0);
	rc = store_ingest(s, en.signed_bytes, ENTRY_SIGNED_LEN, json,
			  strlen(json), NULL, &e);
	if (rc != 0)
		fprintf(stderr, "ingest of %s: %s\n", json, e.msg);
	CHECK_EQ_INT(rc, 0);
	head_seq[m] = seq;
	memcpy(head_id[m], en.id, ENTRY_ID_LEN);
	if (id)
		memcpy(id, en.id, ENTRY_ID_LEN);
}

/* Appends member m's next entry as its own node does (store_append: the
 * timestamp is now), keeping put()'s idea of the head. */
static void gov(int m, uint8_t kind, const char *json, uint8_t *id)
{
	struct err e = { 0 };
	int rc = store_append(s, &keys[m], kind, json, strlen(json), id, &e);

	if (rc != 0)
		fprintf(stderr, "append of %s: %s\n", json, e.msg);
	CHECK_EQ_INT(rc, 0);
	CHECK(store_head(s, keys[m].pk, &head_seq[m], head_id[m], &e) == 0);
}

static const char *hex(const uint8_t *p, size_t n)
{
	static char bufs[8][2 * 64 + 1];
	static int i;
	char *b = bufs[i++ % 8];

	hex_encode(b, p, n);
	return b;
}

#define ID(x) hex(x, ENTRY_ID_LEN)
#define KEY(m) hex(keys[m].pk, KEY_PUBLIC_LEN)

/* Post, reply, feedback and the others' payloads. */
static void post(int m, uint64_t ts, const char *topic, const char *title,
		 const char *body, const uint8_t *reply_to, uint8_t *id)
{
	char j[512];

	snprintf(j, sizeof(j), "{\"topic\":\"%s\",%s%s%s\"body\":\"%s\"%s%s%s}",
		 topic, title ? "\"title\":\"" : "", title ? title : "",
		 title ? "\"," : "", body, reply_to ? ",\"reply_to\":\"" : "",
		 reply_to ? ID(reply_to) : "", reply_to ? "\"" : "");
	put(m, ENTRY_KIND_POST, ts, j, id);
}

static void with_target(int m, uint8_t kind, uint64_t ts, const char *field,
			const uint8_t *target, const char *more, uint8_t *id)
{
	char j[512];

	snprintf(j, sizeof(j), "{\"%s\":\"%s\"%s}", field, ID(target), more);
	put(m, kind, ts, j, id);
}

static void kudos(int m, uint64_t ts, int to, const char *badge)
{
	char j[256];

	snprintf(j, sizeof(j), "{\"to\":\"%s\",\"badge\":\"%s\"}", KEY(to), badge);
	put(m, ENTRY_KIND_KUDOS, ts, j, NULL);
}

/*
 * The class: four members with a profile and Eve, who posts without one.
 * Posts at distinct milliseconds but two (Cy's and Di's, 4000), replies
 * two deep and one to a post nobody holds, feedback, an offer and two
 * requests, two pairings (and an accept of one's own offer, which is
 * none), sessions and a close by participants and by an outsider, kudos
 * with a badge given twice, and a fork by Di.
 */
static void the_class(void)
{
	uint8_t nowhere[ENTRY_ID_LEN];
	char j[256];
	struct entry en;
	struct err e = { 0 };
	int m;

	for (m = 0; m < NMEMBERS; m++) {
		if (!names[m])
			continue;
		snprintf(j, sizeof(j), "{\"name\":\"%s\",\"role\":\"%s\"%s}",
			 names[m], m == ADA ? "mentor" : m == DI ? "facilitator"
							       : "learner",
			 m == ADA ? ",\"bio\":\"maths teacher\"" : "");
		put(m, ENTRY_KIND_PROFILE, 1000 + (uint64_t)m, j, prof[m]);
	}
	post(ADA, 2000, "algebra", "Fractions", "How do fractions add?", NULL, p1);
	post(EVE, 2500, "algebra", NULL, "stranger words", NULL, p4);
	post(BO, 3000, "physics", NULL, "Why is the sky blue?", NULL, p2);
	post(CY, 4000, "algebra", NULL, "Factoring quadratics", NULL, p3);
	post(DI, 4000, "algebra", NULL, "Same millisecond", NULL, p5);
	post(BO, 5000, "algebra", NULL, "common denominators", p1, r1);
	post(DI, 5500, "algebra", NULL, "also the LCM", p1, r3);
	post(CY, 6000, "algebra", NULL, "thanks, that helped", r1, r2);
	memset(nowhere, 0x5a, sizeof(nowhere));
	post(EVE, 7000, "misc", NULL, "a reply to a post nobody holds", nowhere, r4);

	with_target(BO, ENTRY_KIND_FEEDBACK, 8000, "target", p1,
		    ",\"rating\":4,\"helpful\":true,\"comment\":\"clear\"", f1);
	with_target(CY, ENTRY_KIND_FEEDBACK, 8100, "target", p1,
		    ",\"rating\":2,\"helpful\":false", f2);
	with_target(ADA, ENTRY_KIND_FEEDBACK, 8200, "target", r1,
		    ",\"helpful\":true", NULL);

	put(ADA, ENTRY_KIND_MENTOR_OFFER, 9000, "{\"topic\":\"algebra\"}", offer);
	put(BO, ENTRY_KIND_MENTOR_REQUEST, 9100, "{\"topic\":\"physics\","
	    "\"note\":\"optics\"}", req1);
	put(CY, ENTRY_KIND_MENTOR_REQUEST, 9200, "{\"topic\":\"geometry\"}", req2);
	with_target(BO, ENTRY_KIND_MENTOR_ACCEPT, 9300, "target", offer, "", pair1);
	with_target(DI, ENTRY_KIND_MENTOR_ACCEPT, 9400, "target", req1, "", pair2);
	with_target(ADA, ENTRY_KIND_MENTOR_ACCEPT, 9500, "target", offer, "", own);
	with_target(ADA, ENTRY_KIND_MENTOR_SESSION, 10000, "pairing", pair1,
		    ",\"minutes\":30,\"notes\":\"first\",\"goals\":\"add fractions\"",
		    NULL);
	with_target(BO, ENTRY_KIND_MENTOR_SESSION, 10100, "pairing", pair1,
		    ",\"minutes\":45,\"notes\":\"second\",\"progress\":\"can add\"",
		    NULL);
	with_target(CY, ENTRY_KIND_MENTOR_SESSION, 10200, "pairing", pair1,
		    ",\"minutes\":99,\"notes\":\"not a participant\","
		    "\"goals\":\"hijacked\"", NULL);
	with_target(BO, ENTRY_KIND_MENTOR_CLOSE, 11000, "pairing", pair1,
		    ",\"reason\":\"done\"", NULL);
	with_target(CY, ENTRY_KIND_MENTOR_CLOSE, 11100, "pairing", pair2,
		    ",\"reason\":\"not mine to close\"", NULL);

	kudos(ADA, 12000, BO, "helper");
	kudos(DI, 12100, BO, "curious");
	kudos(CY, 12200, BO, "helper");
	kudos(BO, 12300, ADA, "patient mentor");

	/* Bo founded the community; he makes Ada a mentor. Di's profile
	 * says facilitator: it decides nothing. */
	CHECK(store_founder_set(s, keys[BO].pk, &e) == 0);
	snprintf(j, sizeof(j), "{\"member\":\"%s\",\"role\":\"mentor\","
		 "\"seen\":%" PRIu64 ",\"reason\":\"runs the algebra club\"}",
		 KEY(ADA), head_seq[ADA]);
	gov(BO, ENTRY_KIND_ROLE, j, NULL);

	/* Di signs a second entry at seq 2 (the one held is its post): a
	 * fork, its proof recorded; the view keeps the first */
	snprintf(j, sizeof(j), "{\"topic\":\"algebra\",\"body\":\"the other branch\"}");
	CHECK(entry_create(&en, &keys[DI], ENTRY_KIND_POST, 2, prof[DI], 4001,
			   j, strlen(j), &e) == 0);
	err_clear(&e);
	CHECK_EQ_INT(store_ingest(s, en.signed_bytes, ENTRY_SIGNED_LEN, j,
				  strlen(j), NULL, &e), INGEST_FORK);
}

/* The rows a query hands its callback, kept. */
#define ROWS_MAX 64
struct rows {
	json_t *r[ROWS_MAX];
	int n;
	int stop_after; /* 0: never stop */
};

static int keep(json_t *row, void *arg)
{
	struct rows *x = arg;

	if (x->n < ROWS_MAX)
		x->r[x->n++] = json_incref(row);
	return x->stop_after && x->n >= x->stop_after;
}

static void rows_free(struct rows *x)
{
	int i;

	for (i = 0; i < x->n; i++)
		json_decref(x->r[i]);
	memset(x, 0, sizeof(*x));
}

/* A field of row i as a string ("" if absent or not a string), an
 * integer, a boolean (-1 if absent). */
static const char *str(const struct rows *x, int i, const char *k)
{
	const char *v = i < x->n ? json_string_value(json_object_get(x->r[i], k))
				 : NULL;

	return v ? v : "";
}

static long long num(const struct rows *x, int i, const char *k)
{
	return i < x->n ? json_integer_value(json_object_get(x->r[i], k)) : -1;
}

static int has(const struct rows *x, int i, const char *k)
{
	return i < x->n && json_object_get(x->r[i], k) != NULL;
}

static int boolean(const struct rows *x, int i, const char *k)
{
	json_t *v = i < x->n ? json_object_get(x->r[i], k) : NULL;

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

/* Checks that the rows' ids are want[0..n), in order. */
static void ids_are(const struct rows *x, const uint8_t *const *want, int n,
		    const char *what)
{
	int i;

	CHECK_EQ_INT(x->n, n);
	for (i = 0; i < n && i < x->n; i++) {
		if (strcmp(str(x, i, "id"), ID(want[i])) != 0)
			fprintf(stderr, "%s: row %d is %.8s, expected %.8s\n",
				what, i, str(x, i, "id"), ID(want[i]));
		CHECK_STR(str(x, i, "id"), ID(want[i]));
	}
}

static void feed(const char *topic, const uint8_t *author, unsigned limit,
		 struct rows *x)
{
	struct view_feed_filter f = { topic, author, limit };
	struct err e = { 0 };

	rows_free(x);
	CHECK(view_feed(s, &f, keep, x, &e) == 0);
}

/* Newest first; at one millisecond, the larger id first. */
static void test_feed(void)
{
	const uint8_t *tie_hi = memcmp(p3, p5, ENTRY_ID_LEN) > 0 ? p3 : p5;
	const uint8_t *tie_lo = tie_hi == p3 ? p5 : p3;
	const uint8_t *all[] = { r4, r2, r3, r1, tie_hi, tie_lo, p2, p4, p1 };
	const uint8_t *algebra[] = { r2, r3, r1, tie_hi, tie_lo, p4, p1 };
	const uint8_t *bo[] = { r1, p2 };
	const uint8_t *bo_algebra[] = { r1 };
	struct rows x = { 0 };
	int i;

	feed(NULL, NULL, 100, &x);
	ids_are(&x, all, 9, "feed");
	/* the default limit is VIEW_LIMIT_DEFAULT: more than 9 */
	feed(NULL, NULL, 0, &x);
	ids_are(&x, all, 9, "feed, default limit");
	feed(NULL, NULL, 3, &x);
	ids_are(&x, all, 3, "feed --limit 3");
	feed("algebra", NULL, 100, &x);
	ids_are(&x, algebra, 7, "feed --topic algebra");
	feed("Algebra", NULL, 100, &x);
	CHECK_EQ_INT(x.n, 0); /* topics are exact */
	feed(NULL, keys[BO].pk, 100, &x);
	ids_are(&x, bo, 2, "feed --author Bo");
	feed("algebra", keys[BO].pk, 100, &x);
	ids_are(&x, bo_algebra, 1, "feed --topic algebra --author Bo");
	feed("chemistry", NULL, 100, &x);
	CHECK_EQ_INT(x.n, 0);

	/* what a row says: Ada's question, two direct replies (r2 answers
	 * r1, not it), two ratings */
	feed(NULL, NULL, 100, &x);
	i = 8;
	CHECK_STR(str(&x, i, "type"), "post");
	CHECK_STR(str(&x, i, "author"), KEY(ADA));
	CHECK_STR(str(&x, i, "name"), "Ada");
	CHECK_EQ_INT(num(&x, i, "ts"), 2000);
	CHECK_STR(str(&x, i, "topic"), "algebra");
	CHECK_STR(str(&x, i, "title"), "Fractions");
	CHECK_STR(str(&x, i, "body"), "How do fractions add?");
	CHECK(!has(&x, i, "reply_to"));
	CHECK_EQ_INT(num(&x, i, "replies"), 2);
	CHECK_EQ_INT(num(&x, i, "feedback"), 2);
	CHECK(i < x.n && json_real_value(json_object_get(x.r[i], "rating")) == 3.0);
	/* Eve's post: no profile, no name; no feedback, no rating */
	i = 7;
	CHECK_STR(str(&x, i, "author"), KEY(EVE));
	CHECK(!has(&x, i, "name"));
	CHECK(!has(&x, i, "title"));
	CHECK_EQ_INT(num(&x, i, "feedback"), 0);
	CHECK(!has(&x, i, "rating"));
	/* a reply names its parent; one to a post nobody holds still shows */
	CHECK_STR(str(&x, 3, "reply_to"), ID(p1));
	CHECK_STR(str(&x, 0, "reply_to"), hex((const uint8_t *)
		"\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a"
		"\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a\x5a",
		ENTRY_ID_LEN));
	/* Di's fork at seq 2 is not shown: the post held is */
	for (i = 0; i < x.n; i++)
		CHECK(strcmp(str(&x, i, "body"), "the other branch") != 0);
	rows_free(&x);

	/* a callback that says stop gets no more rows */
	x.stop_after = 2;
	{
		struct view_feed_filter f = { NULL, NULL, 100 };
		struct err e = { 0 };

		CHECK(view_feed(s, &f, keep, &x, &e) == 0);
	}
	CHECK_EQ_INT(x.n, 2);
	rows_free(&x);
}

/* A thread: the post, its replies depth-first and oldest first at each
 * level, then the feedback on the post (not on its replies), oldest first. */
static void test_show(void)
{
	struct rows x = { 0 };
	struct err e = { 0 };

	CHECK(view_show(s, p1, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 6);
	CHECK_STR(str(&x, 0, "id"), ID(p1));
	CHECK_EQ_INT(num(&x, 0, "depth"), 0);
	CHECK_STR(str(&x, 1, "id"), ID(r1));
	CHECK_EQ_INT(num(&x, 1, "depth"), 1);
	CHECK_STR(str(&x, 2, "id"), ID(r2));
	CHECK_EQ_INT(num(&x, 2, "depth"), 2);
	CHECK_STR(str(&x, 3, "id"), ID(r3));
	CHECK_EQ_INT(num(&x, 3, "depth"), 1);
	CHECK_STR(str(&x, 4, "type"), "feedback");
	CHECK_STR(str(&x, 4, "id"), ID(f1));
	CHECK_STR(str(&x, 4, "author"), KEY(BO));
	CHECK_STR(str(&x, 4, "name"), "Bo");
	CHECK_STR(str(&x, 4, "target"), ID(p1));
	CHECK_EQ_INT(num(&x, 4, "rating"), 4);
	CHECK_EQ_INT(boolean(&x, 4, "helpful"), 1);
	CHECK_STR(str(&x, 4, "comment"), "clear");
	CHECK_STR(str(&x, 5, "type"), "feedback");
	CHECK_STR(str(&x, 5, "author"), KEY(CY));
	CHECK_EQ_INT(num(&x, 5, "rating"), 2);
	CHECK_EQ_INT(boolean(&x, 5, "helpful"), 0);
	CHECK(!has(&x, 5, "comment"));
	rows_free(&x);

	/* a reply is shown as a thread of its own, with its feedback */
	CHECK(view_show(s, r1, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 3);
	CHECK_STR(str(&x, 1, "id"), ID(r2));
	CHECK_EQ_INT(num(&x, 1, "depth"), 1);
	CHECK_STR(str(&x, 2, "type"), "feedback");
	CHECK_STR(str(&x, 2, "author"), KEY(ADA));
	CHECK(!has(&x, 2, "rating"));
	rows_free(&x);

	/* an id that is not a post */
	err_clear(&e);
	CHECK_EQ_INT(view_show(s, offer, keep, &x, &e), STOA_ENOTFOUND);
	CHECK_EQ_INT(x.n, 0);
}

static int search(const char *q, unsigned limit, struct rows *x)
{
	struct err e = { 0 };

	rows_free(x);
	return view_search(s, q, limit, NULL, keep, x, &e);
}

/* Every word required, whole words, a trailing '*' a prefix; titles,
 * bodies and topics; the most recently received first. */
static void test_search(void)
{
	struct rows x = { 0 };

	CHECK_EQ_INT(search("fractions", 100, &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "id"), ID(p1));
	CHECK_STR(str(&x, 0, "name"), "Ada");
	CHECK(strstr(str(&x, 0, "snippet"), "[fractions]") != NULL);
	CHECK_EQ_INT(search("FRACTIONS", 100, &x), 0); /* any case */
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(search("fract", 100, &x), 0); /* a whole word */
	CHECK_EQ_INT(x.n, 0);
	CHECK_EQ_INT(search("fract*", 100, &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "id"), ID(p1));
	CHECK_EQ_INT(search("sky blue", 100, &x), 0); /* every word */
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "id"), ID(p2));
	CHECK_EQ_INT(search("sky green", 100, &x), 0);
	CHECK_EQ_INT(x.n, 0);
	CHECK_EQ_INT(search("blue?!", 100, &x), 0); /* punctuation: harmless */
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(search("\"sky\" AND (blue OR NOT", 100, &x), 0);
	CHECK_EQ_INT(x.n, 0); /* words, never FTS5 syntax: "and", "or"... */
	CHECK_EQ_INT(search("Fractions?", 100, &x), 0); /* a title word */
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(search("physics", 100, &x), 0); /* a topic */
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "id"), ID(p2));
	/* most recently received first, and the limit */
	CHECK_EQ_INT(search("algebra", 100, &x), 0);
	CHECK_EQ_INT(x.n, 7);
	CHECK_STR(str(&x, 0, "id"), ID(r2));
	CHECK_STR(str(&x, 6, "id"), ID(p1));
	CHECK_EQ_INT(search("algebra", 2, &x), 0);
	CHECK_EQ_INT(x.n, 2);
	CHECK_STR(str(&x, 0, "id"), ID(r2));
	CHECK_STR(str(&x, 1, "id"), ID(r3));
	/* only punctuation: nothing to look for, nothing found */
	CHECK_EQ_INT(search("?!", 100, &x), 0);
	CHECK_EQ_INT(x.n, 0);
	/* nothing at all is refused */
	CHECK_EQ_INT(search("", 100, &x), STOA_EINVAL);
	CHECK_EQ_INT(search("  \t ", 100, &x), STOA_EINVAL);
	rows_free(&x);
}

/* Named members by name, then those without a profile; what each has
 * done; mentoring minutes from the participants' sessions only. */
static void test_members(void)
{
	static const int order[] = { ADA, BO, CY, DI, EVE };
	struct rows x = { 0 };
	struct err e = { 0 };
	json_t *b;
	int i;

	CHECK(view_members(s, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 5);
	for (i = 0; i < 5; i++)
		CHECK_STR(str(&x, i, "key"), KEY(order[i]));
	/* Ada: her profile, one post, one feedback, one kudos, the 75
	 * minutes of the pairing she mentors (Cy's 99 do not count); a
	 * mentor because Bo, the founder, said so */
	CHECK_STR(str(&x, 0, "type"), "member");
	CHECK_STR(str(&x, 0, "name"), "Ada");
	CHECK_STR(str(&x, 0, "role"), "mentor");
	CHECK(!has(&x, 0, "removed"));
	CHECK_STR(str(&x, 0, "bio"), "maths teacher");
	CHECK_EQ_INT(num(&x, 0, "seq"), head_seq[ADA]);
	CHECK_EQ_INT(num(&x, 0, "posts"), 1);
	CHECK_EQ_INT(num(&x, 0, "feedback"), 1);
	CHECK_EQ_INT(num(&x, 0, "kudos"), 1);
	b = json_object_get(x.r[0], "badges");
	CHECK(json_array_size(b) == 1 &&
	      strcmp(json_string_value(json_array_get(b, 0)), "patient mentor") == 0);
	CHECK_EQ_INT(num(&x, 0, "mentoring_minutes"), 75);
	CHECK_EQ_INT(boolean(&x, 0, "forked"), 0);
	/* Bo: the founder, so a facilitator (his profile says learner); a
	 * post and a reply; three kudos, two distinct badges in order;
	 * mentee of both pairings: 75 + 0 */
	CHECK_STR(str(&x, 1, "role"), "facilitator");
	CHECK_EQ_INT(num(&x, 1, "posts"), 2);
	CHECK_EQ_INT(num(&x, 1, "feedback"), 1);
	CHECK_EQ_INT(num(&x, 1, "kudos"), 3);
	b = json_object_get(x.r[1], "badges");
	CHECK(json_array_size(b) == 2 &&
	      strcmp(json_string_value(json_array_get(b, 0)), "curious") == 0 &&
	      strcmp(json_string_value(json_array_get(b, 1)), "helper") == 0);
	CHECK_EQ_INT(num(&x, 1, "mentoring_minutes"), 75);
	/* Cy: wrote a session into a pairing not theirs: no minutes */
	CHECK_EQ_INT(num(&x, 2, "posts"), 2);
	CHECK_EQ_INT(num(&x, 2, "kudos"), 0);
	CHECK_EQ_INT(json_array_size(json_object_get(x.r[2], "badges")), 0);
	CHECK_EQ_INT(num(&x, 2, "mentoring_minutes"), 0);
	/* Di: her profile says facilitator, no record does; forked */
	CHECK_STR(str(&x, 3, "role"), "learner");
	CHECK_EQ_INT(boolean(&x, 3, "forked"), 1);
	/* Eve: no profile, a learner all the same */
	CHECK(!has(&x, 4, "name"));
	CHECK_STR(str(&x, 4, "role"), "learner");
	CHECK_EQ_INT(num(&x, 4, "posts"), 2);
	rows_free(&x);

	/* one member's row is the same row */
	CHECK(view_member(s, keys[BO].pk, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "name"), "Bo");
	CHECK_EQ_INT(num(&x, 0, "kudos"), 3);
	rows_free(&x);
	{
		uint8_t nobody[KEY_PUBLIC_LEN];

		memset(nobody, 0x11, sizeof(nobody));
		CHECK(view_member(s, nobody, keep, &x, &e) == 0);
		CHECK_EQ_INT(x.n, 0);
	}
}

/* Requests, then offers, newest first; then pairings, newest first. An
 * accept of one's own offer is no pairing; a session or close counts
 * only from the mentor or the mentee. */
static void test_mentoring(void)
{
	struct rows x = { 0 };
	struct err e = { 0 };

	CHECK(view_mentoring(s, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 5);
	CHECK_STR(str(&x, 0, "type"), "request");
	CHECK_STR(str(&x, 0, "id"), ID(req2));
	CHECK_STR(str(&x, 0, "name"), "Cy");
	CHECK_STR(str(&x, 0, "topic"), "geometry");
	CHECK_EQ_INT(num(&x, 0, "pairings"), 0);
	CHECK_STR(str(&x, 1, "type"), "request");
	CHECK_STR(str(&x, 1, "id"), ID(req1));
	CHECK_STR(str(&x, 1, "note"), "optics");
	CHECK_EQ_INT(num(&x, 1, "pairings"), 1);
	CHECK_STR(str(&x, 2, "type"), "offer");
	CHECK_STR(str(&x, 2, "id"), ID(offer));
	CHECK_STR(str(&x, 2, "author"), KEY(ADA));
	CHECK_EQ_INT(num(&x, 2, "pairings"), 1); /* not her own accept */

	/* Di accepted Bo's request: Di mentors; Cy's close does not count */
	CHECK_STR(str(&x, 3, "type"), "pairing");
	CHECK_STR(str(&x, 3, "id"), ID(pair2));
	CHECK_STR(str(&x, 3, "mentor"), KEY(DI));
	CHECK_STR(str(&x, 3, "mentor_name"), "Di");
	CHECK_STR(str(&x, 3, "mentee"), KEY(BO));
	CHECK_STR(str(&x, 3, "mentee_name"), "Bo");
	CHECK_STR(str(&x, 3, "topic"), "physics");
	CHECK_STR(str(&x, 3, "status"), "open");
	CHECK_EQ_INT(num(&x, 3, "sessions"), 0);
	CHECK_EQ_INT(num(&x, 3, "minutes"), 0);
	CHECK_STR(str(&x, 3, "ask"), ID(req1));
	/* Bo accepted Ada's offer: Ada mentors; two sessions of theirs (Cy's
	 * does not count, nor its goals), closed by Bo */
	CHECK_STR(str(&x, 4, "id"), ID(pair1));
	CHECK_STR(str(&x, 4, "mentor"), KEY(ADA));
	CHECK_STR(str(&x, 4, "mentee"), KEY(BO));
	CHECK_STR(str(&x, 4, "topic"), "algebra");
	CHECK_EQ_INT(num(&x, 4, "ts"), 9300);
	CHECK_STR(str(&x, 4, "status"), "closed");
	CHECK_EQ_INT(num(&x, 4, "sessions"), 2);
	CHECK_EQ_INT(num(&x, 4, "minutes"), 75);
	CHECK_STR(str(&x, 4, "goals"), "add fractions");
	CHECK_STR(str(&x, 4, "progress"), "can add");
	CHECK_STR(str(&x, 4, "ask"), ID(offer));
	rows_free(&x);

	/* who may write into a pairing */
	err_clear(&e);
	CHECK_EQ_INT(view_pairing_check(s, pair1, keys[CY].pk, &e), STOA_EPERM);
	err_clear(&e);
	CHECK_EQ_INT(view_pairing_check(s, pair1, keys[BO].pk, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "closed") != NULL);
	err_clear(&e);
	CHECK_EQ_INT(view_pairing_check(s, pair2, keys[BO].pk, &e), 0);
	CHECK_EQ_INT(view_pairing_check(s, pair2, keys[DI].pk, &e), 0);
	CHECK_EQ_INT(view_pairing_check(s, pair2, keys[CY].pk, &e), STOA_EPERM);
	err_clear(&e);
	CHECK_EQ_INT(view_pairing_check(s, own, keys[ADA].pk, &e), STOA_ENOTFOUND);
	err_clear(&e);
	CHECK_EQ_INT(view_pairing_check(s, p1, keys[ADA].pk, &e), STOA_ENOTFOUND);
	/* an open pairing on an ask */
	CHECK_EQ_INT(view_open_pairing(s, req1, keys[BO].pk, &e), 1);
	CHECK_EQ_INT(view_open_pairing(s, req1, keys[DI].pk, &e), 1);
	CHECK_EQ_INT(view_open_pairing(s, req1, keys[CY].pk, &e), 0);
	CHECK_EQ_INT(view_open_pairing(s, offer, keys[BO].pk, &e), 0); /* closed */
	CHECK_EQ_INT(view_open_pairing(s, offer, keys[ADA].pk, &e), 0);
	CHECK_EQ_INT(view_open_pairing(s, req2, keys[CY].pk, &e), 0);
}

static void test_lookups(void)
{
	char out[PAYLOAD_TOPIC_MAX + 1];
	struct err e = { 0 };

	CHECK(view_post_topic(s, r2, out, sizeof(out), &e) == 0);
	CHECK_STR(out, "algebra");
	CHECK(view_post_topic(s, p2, out, sizeof(out), &e) == 0);
	CHECK_STR(out, "physics");
	err_clear(&e);
	CHECK_EQ_INT(view_post_topic(s, offer, out, sizeof(out), &e),
		     STOA_ENOTFOUND);
	CHECK(view_member_name(s, keys[DI].pk, out, sizeof(out), &e) == 0);
	CHECK_STR(out, "Di");
	CHECK(view_member_name(s, keys[EVE].pk, out, sizeof(out), &e) == 0);
	CHECK_STR(out, "");
}

/* The rows of view_feed_for with scope (viewer m or none, hidden h). */
static void feed_as(int m, int h, struct rows *x)
{
	struct view_feed_filter f = { NULL, NULL, 100 };
	struct view_scope sc = { m >= 0 ? keys[m].pk : NULL, h };
	struct err e = { 0 };

	rows_free(x);
	CHECK(view_feed_for(s, &f, &sc, keep, x, &e) == 0);
}

static int show_as(int m, int h, const uint8_t *id, struct rows *x)
{
	struct view_scope sc = { m >= 0 ? keys[m].pk : NULL, h };
	struct err e = { 0 };

	rows_free(x);
	return view_show_for(s, id, &sc, keep, x, &e);
}

static int search_as(int m, int h, const char *q, struct rows *x)
{
	struct view_scope sc = { m >= 0 ? keys[m].pk : NULL, h };
	struct err e = { 0 };

	rows_free(x);
	return view_search(s, q, 100, &sc, keep, x, &e);
}

/* The row of x whose field k is v, or -1. */
static int row_where(const struct rows *x, const char *k, const char *v)
{
	int i;

	for (i = 0; i < x->n; i++)
		if (!strcmp(str(x, i, k), v))
			return i;
	return -1;
}

static double rating(const struct rows *x, int i)
{
	return i >= 0 && i < x->n ?
	       json_real_value(json_object_get(x->r[i], "rating")) : -1;
}

/*
 * Bo (the founder) hides Bo's reply r1 and Cy's feedback f2 on Ada's
 * question; Ada erases a post of hers that Cy answered, Bo erases Eve's
 * post; Cy, a learner, tries to hide p3; Ada reports p2 and r3; Bo
 * removes Eve after her first entry (her reply r4 goes).
 */
static void test_governance(void)
{
	const uint8_t *tie_hi = memcmp(p3, p5, ENTRY_ID_LEN) > 0 ? p3 : p5;
	const uint8_t *tie_lo = tie_hi == p3 ? p5 : p3;
	uint8_t q1[ENTRY_ID_LEN], qr1[ENTRY_ID_LEN], cy_hide[ENTRY_ID_LEN];
	struct view_gov_filter gf = { 100, 0 };
	struct rows x = { 0 };
	struct err e = { 0 };
	char j[512];
	int i;

	post(ADA, 13000, "algebra", NULL, "a question posted by mistake",
	     NULL, q1);
	post(CY, 13100, "algebra", NULL, "what did you mean", q1, qr1);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"reason\":\"off topic\"}",
		 ID(r1));
	gov(BO, ENTRY_KIND_HIDE, j, NULL);
	snprintf(j, sizeof(j), "{\"target\":\"%s\"}", ID(f2));
	gov(BO, ENTRY_KIND_HIDE, j, NULL);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"reason\":\"posted by "
		 "mistake\"}", ID(q1));
	gov(ADA, ENTRY_KIND_ERASE, j, NULL);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"reason\":\"personal "
		 "info\"}", ID(p4));
	gov(BO, ENTRY_KIND_ERASE, j, NULL);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"reason\":\"mine\"}",
		 ID(p3));
	gov(CY, ENTRY_KIND_HIDE, j, cy_hide);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"category\":\"spam\"}",
		 ID(p2));
	gov(ADA, ENTRY_KIND_REPORT, j, NULL);
	snprintf(j, sizeof(j), "{\"target\":\"%s\",\"category\":\"off-topic\"}",
		 ID(r3));
	gov(ADA, ENTRY_KIND_REPORT, j, NULL);
	snprintf(j, sizeof(j), "{\"member\":\"%s\",\"seq\":1,\"reason\":"
		 "\"left the class\"}", KEY(EVE));
	gov(BO, ENTRY_KIND_REMOVE, j, NULL);

	/* everyone's feed: r1 hidden, q1 and p4 erased, r4 cut; Cy's hide
	 * of p3 had no authority; qr1's parent is erased */
	{
		const uint8_t *all[] = { qr1, r2, r3, tie_hi, tie_lo, p2, p1 };
		const uint8_t *hidden[] = { qr1, r2, r3, r1, tie_hi, tie_lo,
					    p2, p1 };
		const uint8_t *ada[] = { qr1, r2, tie_hi, tie_lo, p1 };
		const uint8_t *ada_hidden[] = { qr1, r2, r3, r1, tie_hi,
						tie_lo, p2, p1 };

		feed_as(-1, 0, &x);
		ids_are(&x, all, 7, "feed, governed");
		CHECK_EQ_INT(boolean(&x, 0, "reply_to_erased"), 1);
		CHECK_STR(str(&x, 0, "reply_to"), ID(q1));
		CHECK(!has(&x, 1, "reply_to_erased")); /* r1 is hidden only */
		for (i = 0; i < x.n; i++)
			CHECK(!has(&x, i, "hidden"));
		/* p1: r1 and f2 not counted: one reply, one feedback (4) */
		CHECK_EQ_INT(num(&x, 6, "replies"), 1);
		CHECK_EQ_INT(num(&x, 6, "feedback"), 1);
		CHECK(rating(&x, 6) == 4.0);
		/* the old entry points are everyone's view */
		feed(NULL, NULL, 100, &x);
		ids_are(&x, all, 7, "view_feed, governed");

		feed_as(-1, 1, &x);
		ids_are(&x, hidden, 8, "feed, hidden wanted");
		CHECK_EQ_INT(boolean(&x, 3, "hidden"), 1);
		CHECK_STR(str(&x, 3, "hidden_reason"), "off topic");
		CHECK_STR(str(&x, 3, "body"), "common denominators");
		CHECK_EQ_INT(num(&x, 7, "replies"), 2);
		CHECK_EQ_INT(num(&x, 7, "feedback"), 2);
		CHECK(rating(&x, 7) == 3.0);

		/* Ada no longer sees what she reported, unless she asks for
		 * hidden items */
		feed_as(ADA, 0, &x);
		ids_are(&x, ada, 5, "Ada's feed");
		feed_as(ADA, 1, &x);
		ids_are(&x, ada_hidden, 8, "Ada's feed, hidden wanted");
		feed_as(CY, 0, &x);
		ids_are(&x, all, 7, "Cy's feed");
	}

	/* the thread: r1 leaves it with its reply r2, f2 goes */
	CHECK_EQ_INT(show_as(-1, 0, p1, &x), 0);
	CHECK_EQ_INT(x.n, 3);
	CHECK_STR(str(&x, 0, "id"), ID(p1));
	CHECK_STR(str(&x, 1, "id"), ID(r3));
	CHECK_STR(str(&x, 2, "id"), ID(f1));
	CHECK(view_show(s, p1, keep, &x, &e) == 0); /* rows appended */
	CHECK_EQ_INT(x.n, 6);
	CHECK_EQ_INT(show_as(-1, 1, p1, &x), 0);
	CHECK_EQ_INT(x.n, 6);
	CHECK_STR(str(&x, 1, "id"), ID(r1));
	CHECK_EQ_INT(boolean(&x, 1, "hidden"), 1);
	CHECK_STR(str(&x, 2, "id"), ID(r2));
	CHECK_EQ_INT(num(&x, 2, "depth"), 2);
	CHECK_STR(str(&x, 5, "id"), ID(f2));
	CHECK_EQ_INT(boolean(&x, 5, "hidden"), 1);
	CHECK(!has(&x, 4, "hidden"));
	/* Ada reported r3: her thread lacks it */
	CHECK_EQ_INT(show_as(ADA, 0, p1, &x), 0);
	CHECK_EQ_INT(x.n, 2);
	CHECK_STR(str(&x, 1, "id"), ID(f1));

	/* a hidden post asked for by id: a notice with the reason, then
	 * what is not hidden under it */
	CHECK_EQ_INT(show_as(-1, 0, r1, &x), 0);
	CHECK_EQ_INT(x.n, 3);
	CHECK_STR(str(&x, 0, "id"), ID(r1));
	CHECK_EQ_INT(boolean(&x, 0, "hidden"), 1);
	CHECK_STR(str(&x, 0, "hidden_reason"), "off topic");
	CHECK(!has(&x, 0, "body") && !has(&x, 0, "topic"));
	CHECK_STR(str(&x, 0, "name"), "Bo");
	CHECK_STR(str(&x, 1, "id"), ID(r2));
	CHECK_STR(str(&x, 2, "type"), "feedback");
	CHECK_EQ_INT(show_as(-1, 1, r1, &x), 0);
	CHECK_STR(str(&x, 0, "body"), "common denominators");
	CHECK_EQ_INT(boolean(&x, 0, "hidden"), 1);

	/* erased: a notice saying by whom and why; the replies stay */
	CHECK_EQ_INT(show_as(-1, 0, q1, &x), 0);
	CHECK_EQ_INT(x.n, 2);
	CHECK_STR(str(&x, 0, "id"), ID(q1));
	CHECK_STR(str(&x, 0, "author"), KEY(ADA));
	CHECK_EQ_INT(num(&x, 0, "ts"), 13000);
	CHECK_EQ_INT(boolean(&x, 0, "erased"), 1);
	CHECK_STR(str(&x, 0, "erased_by"), "author");
	CHECK_STR(str(&x, 0, "erased_reason"), "posted by mistake");
	CHECK(!has(&x, 0, "body") && !has(&x, 0, "hidden"));
	CHECK_STR(str(&x, 1, "id"), ID(qr1));
	CHECK_EQ_INT(num(&x, 1, "depth"), 1);
	CHECK_EQ_INT(show_as(-1, 1, p4, &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "erased_by"), "facilitator");
	CHECK_STR(str(&x, 0, "erased_reason"), "personal info");
	/* r4, cut with Eve's removal, is no longer held */
	err_clear(&e);
	CHECK_EQ_INT(view_show(s, r4, keep, &x, &e), STOA_ENOTFOUND);

	/* search: the same rules; an erased post's words are gone */
	CHECK_EQ_INT(search_as(-1, 0, "denominators", &x), 0);
	CHECK_EQ_INT(x.n, 0);
	CHECK_EQ_INT(search_as(-1, 1, "denominators", &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(boolean(&x, 0, "hidden"), 1);
	CHECK_EQ_INT(search_as(CY, 0, "sky", &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(search_as(ADA, 0, "sky", &x), 0);
	CHECK_EQ_INT(x.n, 0);
	CHECK_EQ_INT(search_as(ADA, 1, "sky", &x), 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_EQ_INT(search_as(-1, 1, "mistake", &x), 0);
	CHECK_EQ_INT(x.n, 0);
	CHECK_EQ_INT(search_as(-1, 0, "quadratics", &x), 0); /* Cy's hide */
	CHECK_EQ_INT(x.n, 1);

	/* members: counts without hidden items; Eve removed after seq 1 */
	rows_free(&x);
	CHECK(view_members(s, keep, &x, &e) == 0);
	CHECK_EQ_INT(num(&x, 1, "posts"), 1);    /* Bo: p2; r1 hidden */
	CHECK_EQ_INT(num(&x, 2, "posts"), 3);    /* Cy: p3, r2, qr1 */
	CHECK_EQ_INT(num(&x, 2, "feedback"), 0); /* f2 hidden */
	CHECK_EQ_INT(num(&x, 0, "posts"), 1);    /* Ada: q1 erased */
	CHECK_STR(str(&x, 4, "key"), KEY(EVE));
	CHECK_EQ_INT(boolean(&x, 4, "removed"), 1);
	CHECK_EQ_INT(num(&x, 4, "cut"), 1);
	CHECK_EQ_INT(num(&x, 4, "seq"), 1);
	CHECK_EQ_INT(num(&x, 4, "posts"), 0);    /* p4 erased, r4 cut */
	CHECK(!has(&x, 1, "removed"));
	{
		int removed = -1;

		CHECK_EQ_INT(view_gov_role(s, keys[EVE].pk, &removed, &e),
			     GOV_ROLE_LEARNER);
		CHECK_EQ_INT(removed, 1);
		CHECK_EQ_INT(view_gov_role(s, keys[BO].pk, &removed, &e),
			     GOV_ROLE_FACILITATOR);
		CHECK_EQ_INT(removed, 0);
	}

	/* the history: every record, newest first, with its effect; a
	 * report says only what it is about */
	rows_free(&x);
	CHECK(view_governance(s, &gf, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 9);
	for (i = 1; i < x.n; i++)
		CHECK(num(&x, i - 1, "ts") >= num(&x, i, "ts"));
	i = row_where(&x, "kind", "role");
	CHECK_STR(str(&x, i, "author"), KEY(BO));
	CHECK_STR(str(&x, i, "name"), "Bo");
	CHECK_STR(str(&x, i, "target"), KEY(ADA));
	CHECK_STR(str(&x, i, "target_name"), "Ada");
	CHECK_STR(str(&x, i, "role"), "mentor");
	CHECK_STR(str(&x, i, "reason"), "runs the algebra club");
	CHECK_STR(str(&x, i, "effect"), "applied");
	i = row_where(&x, "id", ID(cy_hide));
	CHECK_STR(str(&x, i, "kind"), "hide");
	CHECK_STR(str(&x, i, "target"), ID(p3));
	CHECK_STR(str(&x, i, "effect"), "no authority");
	CHECK_EQ_INT(num(&x, i, "seq"), head_seq[CY]);
	i = row_where(&x, "kind", "report");
	CHECK(i >= 0 && !has(&x, i, "category") && !has(&x, i, "reason") &&
	      !has(&x, i, "sealed"));
	CHECK_STR(str(&x, i, "effect"), "applied");
	i = row_where(&x, "kind", "remove");
	CHECK_STR(str(&x, i, "target_name"), "");
	CHECK_EQ_INT(num(&x, i, "cut"), 1);
	CHECK_STR(str(&x, i, "reason"), "left the class");
	i = row_where(&x, "target", ID(q1));
	CHECK_STR(str(&x, i, "kind"), "erase");
	CHECK_STR(str(&x, i, "effect"), "applied");
	/* only the records without effect; and the limit */
	gf.unapplied = 1;
	rows_free(&x);
	CHECK(view_governance(s, &gf, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 1);
	CHECK_STR(str(&x, 0, "id"), ID(cy_hide));
	gf.unapplied = 0;
	gf.limit = 2;
	rows_free(&x);
	CHECK(view_governance(s, &gf, keep, &x, &e) == 0);
	CHECK_EQ_INT(x.n, 2);
	rows_free(&x);
}

int main(void)
{
	char path[sizeof(dir) + 16], cmd[sizeof(dir) + 16];
	struct err e = { 0 };
	int m;

	if (key_lib_init() < 0 || !mkdtemp(dir))
		return 1;
	for (m = 0; m < NMEMBERS; m++) {
		uint8_t seed[KEY_SEED_LEN];

		memset(seed, 0x60 + m, sizeof(seed));
		key_from_seed(&keys[m], seed);
	}
	snprintf(path, sizeof(path), "%s/view.db", dir);
	if (store_open(&s, path, STORE_CREATE, &e) < 0) {
		fprintf(stderr, "store_open: %s\n", e.msg);
		return 1;
	}
	the_class();
	test_feed();
	test_show();
	test_search();
	test_members();
	test_mentoring();
	test_lookups();
	test_governance();
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return test_report("view");
}
