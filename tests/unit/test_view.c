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
	pair1[ENTRY_ID_LEN], pair2[ENTRY_ID_LEN], own[ENTRY_ID_LEN];

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
		    ",\"rating\":2,\"helpful\":false", NULL);
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
	return view_search(s, q, limit, keep, x, &e);
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
	 * minutes of the pairing she mentors (Cy's 99 do not count) */
	CHECK_STR(str(&x, 0, "type"), "member");
	CHECK_STR(str(&x, 0, "name"), "Ada");
	CHECK_STR(str(&x, 0, "role"), "mentor");
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
	/* Bo: a post and a reply; three kudos, two distinct badges in order;
	 * mentee of both pairings: 75 + 0 */
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
	/* Di: the facilitator, forked */
	CHECK_STR(str(&x, 3, "role"), "facilitator");
	CHECK_EQ_INT(boolean(&x, 3, "forked"), 1);
	/* Eve: no profile */
	CHECK(!has(&x, 4, "name") && !has(&x, 4, "role"));
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
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return test_report("view");
}
