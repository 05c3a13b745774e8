/*
 * Unit tests of node/gov: the governance rules, without a store, each
 * asserting what a facilitator would check (who is a facilitator, what a
 * record did, what is hidden or erased). The founder alone is a
 * facilitator at first; authority passes by grants and traces back to the
 * founder; concurrent role records give the least permissive role until a
 * later one replaces them; a demotion voids the demoted member's records
 * after what it had seen, back-dated or not, and a removal those after its
 * cut; hide and unhide, the last wins; erasure by the author or a
 * facilitator; rotations of the secret (a facilitator's; the highest
 * epoch, then the lowest id, in force; none sealed to a removed member).
 * Then thousands of seeded random sets, each resolved in two
 * orders (equal results) and checked against the rules' invariants, and
 * the bounds: no records, and large sets against a time limit. A failing
 * seed is printed with the command that replays it:
 *
 *   test_gov --seed N
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gov.h"
#include "test.h"

/* Members of the hand-written cases: the founder, three who may become
 * facilitators, a member M whose role is argued about, a learner, and X,
 * whom nobody ever granted anything. */
enum { FD, F1, F2, F3, M, L, X, NKEYS };
#define NONE (-1) /* no founder on record */

#define LEARNER GOV_ROLE_LEARNER
#define MENTOR GOV_ROLE_MENTOR
#define FAC GOV_ROLE_FACILITATOR

static uint8_t keys[NKEYS][KEY_PUBLIC_LEN];

/* The set being resolved; records are named by a tag (their id is made
 * from it, so a later tag has a larger id: the tie-break at one ts). */
#define MAXREC 64
#define MAXREPL 4
static struct gov_rec recs[MAXREC];
static uint8_t repl[MAXREC][MAXREPL][ENTRY_ID_LEN];
#define MAXSEAL 6
static uint8_t sealto[MAXREC][MAXSEAL][KEY_PUBLIC_LEN];
static size_t nrecs;
static struct gov_state st;

static void make_id(uint8_t id[ENTRY_ID_LEN], uint8_t space, uint32_t tag)
{
	memset(id, 0, ENTRY_ID_LEN);
	id[0] = space;
	id[1] = (uint8_t)(tag >> 24);
	id[2] = (uint8_t)(tag >> 16);
	id[3] = (uint8_t)(tag >> 8);
	id[4] = (uint8_t)tag;
}

/* The id of an ordinary entry (a post) that records are about. */
static const uint8_t *entry(int n)
{
	static uint8_t ids[8][ENTRY_ID_LEN];
	static int i;
	uint8_t *id = ids[i++ % 8];

	make_id(id, 0xe0, (uint32_t)n);
	return id;
}

static void fresh(void)
{
	gov_state_release(&st);
	memset(recs, 0, sizeof(recs));
	nrecs = 0;
}

static struct gov_rec *by_tag(uint32_t tag)
{
	uint8_t id[ENTRY_ID_LEN];
	size_t i;

	make_id(id, 0xa0, tag);
	for (i = 0; i < nrecs; i++)
		if (!memcmp(recs[i].id, id, ENTRY_ID_LEN))
			return &recs[i];
	/* a tag add() gave: a test that asks for another is wrong */
	fprintf(stderr, "test_gov: no record %u\n", (unsigned)tag);
	abort();
}

static uint32_t add(int author, uint64_t seq, uint64_t ts, uint8_t kind)
{
	struct gov_rec *r = &recs[nrecs++];
	uint32_t tag = (uint32_t)nrecs;

	make_id(r->id, 0xa0, tag);
	memcpy(r->author, keys[author], KEY_PUBLIC_LEN);
	r->seq = seq;
	r->ts = ts;
	r->kind = kind;
	r->effect = GOV_EFFECT_COUNT; /* "not judged" */
	return tag;
}

/* author sets target's role, having seen its feed up to seen. */
static uint32_t role(int author, uint64_t seq, uint64_t ts, int target,
		     int role, uint64_t seen)
{
	uint32_t t = add(author, seq, ts, ENTRY_KIND_ROLE);
	struct gov_rec *r = by_tag(t);

	memcpy(r->target, keys[target], KEY_PUBLIC_LEN);
	r->role = role;
	r->anchor = seen;
	return t;
}

/* Record t names the records a and b (0: none) in its "replaces". */
static void replaces(uint32_t t, uint32_t a, uint32_t b)
{
	struct gov_rec *r = by_tag(t);
	size_t slot = (size_t)(r - recs);

	r->nreplaces = 0;
	if (a)
		make_id(repl[slot][r->nreplaces++], 0xa0, a);
	if (b)
		make_id(repl[slot][r->nreplaces++], 0xa0, b);
	r->replaces = (const uint8_t(*)[ENTRY_ID_LEN])repl[slot];
}

/* author removes target, keeping its entries up to seq cut. */
static uint32_t rem(int author, uint64_t seq, uint64_t ts, int target,
		    uint64_t cut)
{
	uint32_t t = add(author, seq, ts, ENTRY_KIND_REMOVE);
	struct gov_rec *r = by_tag(t);

	memcpy(r->target, keys[target], KEY_PUBLIC_LEN);
	r->anchor = cut;
	return t;
}

/* A hide, unhide or report of entry n, which the node holds (a post by M). */
static uint32_t about(int author, uint64_t seq, uint64_t ts, uint8_t kind,
		      int n)
{
	uint32_t t = add(author, seq, ts, kind);
	struct gov_rec *r = by_tag(t);

	memcpy(r->target, entry(n), ENTRY_ID_LEN);
	r->target_held = 1;
	memcpy(r->target_author, keys[M], KEY_PUBLIC_LEN);
	r->target_kind = ENTRY_KIND_POST;
	return t;
}

/* author rotates the secret to epoch, sealed to the members listed
 * (ending with NONE); its check is made from the epoch and the tag. */
static uint32_t rot(int author, uint64_t seq, uint64_t ts, uint64_t epoch,
		    ...)
{
	uint32_t t = add(author, seq, ts, ENTRY_KIND_EPOCH);
	struct gov_rec *r = by_tag(t);
	size_t slot = (size_t)(r - recs);
	va_list ap;
	int k;

	r->target[0] = 0xcc;
	r->target[1] = (uint8_t)epoch;
	r->target[2] = (uint8_t)t;
	r->anchor = epoch;
	va_start(ap, epoch);
	while ((k = va_arg(ap, int)) != NONE && r->nseals < MAXSEAL)
		memcpy(sealto[slot][r->nseals++], keys[k], KEY_PUBLIC_LEN);
	va_end(ap);
	r->seals = (const uint8_t(*)[KEY_PUBLIC_LEN])sealto[slot];
	return t;
}

#define hide(a, seq, ts, n) about(a, seq, ts, ENTRY_KIND_HIDE, n)
#define unhide(a, seq, ts, n) about(a, seq, ts, ENTRY_KIND_UNHIDE, n)
#define report(a, seq, ts, n) about(a, seq, ts, ENTRY_KIND_REPORT, n)

/* An erasure of entry n, held or not, written by target_author, of kind. */
static uint32_t erase(int author, uint64_t seq, uint64_t ts, int n, int held,
		      int target_author, uint8_t kind)
{
	uint32_t t = about(author, seq, ts, ENTRY_KIND_ERASE, n);
	struct gov_rec *r = by_tag(t);

	r->target_held = held;
	memset(r->target_author, 0, KEY_PUBLIC_LEN);
	if (held)
		memcpy(r->target_author, keys[target_author], KEY_PUBLIC_LEN);
	r->target_kind = held ? kind : 0;
	return t;
}

static void resolve(int founder)
{
	struct err e = { 0 };
	int rc;

	gov_state_release(&st);
	rc = gov_resolve(recs, nrecs, founder == NONE ? NULL : keys[founder],
			 &st, &e);
	if (rc != 0)
		fprintf(stderr, "gov_resolve: %s\n", e.msg);
	CHECK_EQ_INT(rc, 0);
}

static const char *effect(uint32_t t)
{
	struct gov_rec *r = by_tag(t);

	return r ? gov_effect_name(r->effect) : "(no such record)";
}

#define EFFECT(t, ef) CHECK_STR(effect(t), gov_effect_name(ef))

static int role_of(int k)
{
	const struct gov_member *m = gov_member_find(&st, keys[k]);

	return m ? m->role : LEARNER;
}

/* A facilitator now: the role, and not removed. */
static int fac(int k)
{
	const struct gov_member *m = gov_member_find(&st, keys[k]);

	return m && m->role == FAC && !m->removed;
}

/* The tag of the record at index i of the resolved set. */
static uint32_t tag_at(size_t i)
{
	const uint8_t *id = recs[i].id;

	return ((uint32_t)id[1] << 24) | ((uint32_t)id[2] << 16) |
	       ((uint32_t)id[3] << 8) | id[4];
}

/* The tag of the record that set k's role, or 0. */
static uint32_t role_by(int k)
{
	const struct gov_member *m = gov_member_find(&st, keys[k]);

	if (!m || m->role_by == SIZE_MAX)
		return 0;
	return tag_at(m->role_by);
}

/* The tag of the record that marked entry n in v, or 0. */
static uint32_t mark_by(const struct gov_mark *v, size_t nv, int n)
{
	const struct gov_mark *mk = gov_mark_find(v, nv, entry(n));

	return mk ? tag_at(mk->by) : 0;
}

static int hidden(int n)
{
	return gov_mark_find(st.hidden, st.nhidden, entry(n)) != NULL;
}

static int erased(int n)
{
	return gov_mark_find(st.erased, st.nerased, entry(n)) != NULL;
}

/* ---- the hand-written cases --------------------------------------------- */

static void test_founder(void)
{
	uint32_t g, h;

	/* no records: the founder is the only facilitator */
	fresh();
	resolve(FD);
	CHECK(fac(FD));
	CHECK_EQ_INT(role_by(FD), 0);
	CHECK(!fac(F1));
	CHECK_EQ_INT(role_of(F1), LEARNER);
	CHECK(gov_member_find(&st, keys[F1]) == NULL);

	/* no founder on record: nobody is a facilitator, nobody grants */
	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	h = hide(FD, 2, 20, 1);
	resolve(NONE);
	EFFECT(g, GOV_NO_AUTHORITY);
	EFFECT(h, GOV_NO_AUTHORITY);
	CHECK(!fac(FD));
	CHECK(!fac(F1));
	CHECK(!hidden(1));
}

static void test_authority(void)
{
	uint32_t g, lg, ls, fr, fs, sr, fre, mr, mh, lr, rp;

	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	lg = role(L, 1, 20, M, FAC, 0);    /* a learner grants: nothing */
	ls = role(L, 2, 21, L, FAC, 0);    /* nor to itself */
	fr = role(F1, 1, 30, FD, LEARNER, 0); /* about the founder */
	fs = role(FD, 2, 31, FD, LEARNER, 0); /* the founder about itself */
	sr = rem(F1, 2, 40, F1, 0);        /* removing oneself */
	fre = rem(F1, 3, 41, FD, 0);       /* removing the founder */
	mr = role(F1, 4, 50, M, MENTOR, 0);
	mh = hide(M, 1, 60, 1);            /* a mentor cannot hide */
	lr = rem(L, 3, 70, M, 0);          /* a learner cannot remove */
	rp = report(L, 4, 80, 2);          /* anyone may report */
	resolve(FD);
	EFFECT(g, GOV_APPLIED);
	CHECK(fac(F1));
	CHECK_EQ_INT(role_by(F1), g);
	EFFECT(lg, GOV_NO_AUTHORITY);
	EFFECT(ls, GOV_NO_AUTHORITY);
	CHECK(!fac(M) && !fac(L));
	EFFECT(fr, GOV_FOUNDER);
	EFFECT(fs, GOV_FOUNDER);
	CHECK(fac(FD));
	CHECK_EQ_INT(role_by(FD), 0);
	EFFECT(sr, GOV_SELF);
	EFFECT(fre, GOV_FOUNDER);
	CHECK(fac(F1));
	CHECK(!gov_member_find(&st, keys[FD])->removed);
	CHECK(!gov_member_find(&st, keys[F1])->removed);
	EFFECT(mr, GOV_APPLIED);
	CHECK_EQ_INT(role_of(M), MENTOR);
	EFFECT(mh, GOV_NO_AUTHORITY);
	CHECK(!hidden(1));
	EFFECT(lr, GOV_NO_AUTHORITY);
	CHECK(!gov_member_find(&st, keys[M])->removed);
	EFFECT(rp, GOV_APPLIED);
}

static void test_chain(void)
{
	uint32_t g1, g2, g3, h, early, xl, lx, xm, xf, xd;

	fresh();
	early = role(F1, 1, 5, M, FAC, 0); /* before F1 was granted */
	g1 = role(FD, 1, 10, F1, FAC, 0);
	g2 = role(F1, 2, 20, F2, FAC, 0);
	g3 = role(F2, 1, 30, F3, FAC, 0);
	h = hide(F2, 2, 40, 1);
	/* X was never granted: its grants, a cycle with L, and records that
	 * name facilitators or their grants change nothing */
	xl = role(X, 1, 11, L, FAC, 0);
	lx = role(L, 1, 12, X, FAC, 0);
	xm = role(L, 2, 13, M, FAC, 0);
	xf = role(X, 2, 14, F1, FAC, 0);
	xd = role(X, 3, 50, F1, LEARNER, 99);
	replaces(xd, g1, 0);
	resolve(FD);
	EFFECT(g1, GOV_APPLIED);
	EFFECT(g2, GOV_APPLIED);
	EFFECT(g3, GOV_APPLIED);
	EFFECT(h, GOV_APPLIED);
	CHECK(fac(F1) && fac(F2) && fac(F3));
	CHECK_EQ_INT(role_by(F3), g3);
	CHECK(hidden(1));
	EFFECT(early, GOV_NO_AUTHORITY);
	EFFECT(xl, GOV_NO_AUTHORITY);
	EFFECT(lx, GOV_NO_AUTHORITY);
	EFFECT(xm, GOV_NO_AUTHORITY);
	EFFECT(xf, GOV_NO_AUTHORITY);
	EFFECT(xd, GOV_NO_AUTHORITY);
	CHECK(!fac(X) && !fac(L) && !fac(M));
	CHECK_EQ_INT(role_by(F1), g1);
}

static void test_conflict(void)
{
	uint32_t a, b, c, s, p;

	/* F1 and F2, neither seeing the other's: the least permissive wins,
	 * whichever came first */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	a = role(F1, 1, 10, M, FAC, 0);
	b = role(F2, 1, 11, M, LEARNER, 0);
	resolve(FD);
	EFFECT(a, GOV_APPLIED);
	EFFECT(b, GOV_APPLIED);
	CHECK_EQ_INT(role_of(M), LEARNER);
	CHECK_EQ_INT(role_by(M), b);

	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	b = role(F2, 1, 10, M, LEARNER, 0);
	a = role(F1, 1, 11, M, FAC, 0);
	c = role(F3, 1, 12, M, FAC, 0); /* F3 is no facilitator: no weight */
	resolve(FD);
	CHECK_EQ_INT(role_of(M), LEARNER);
	CHECK_EQ_INT(role_by(M), b);
	EFFECT(c, GOV_NO_AUTHORITY);

	/* mentor against facilitator: mentor */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	a = role(F1, 1, 10, M, FAC, 0);
	b = role(F2, 1, 11, M, MENTOR, 0);
	resolve(FD);
	CHECK_EQ_INT(role_of(M), MENTOR);

	/* a later record that names both settles it, even as facilitator */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	a = role(F1, 1, 10, M, FAC, 0);
	b = role(F2, 1, 11, M, LEARNER, 0);
	s = role(F1, 2, 20, M, FAC, 0);
	replaces(s, a, b);
	resolve(FD);
	EFFECT(s, GOV_APPLIED);
	CHECK_EQ_INT(role_of(M), FAC);
	CHECK_EQ_INT(role_by(M), s);
	CHECK(fac(M));

	/* naming only one leaves the other in force */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	a = role(F1, 1, 10, M, FAC, 0);
	b = role(F2, 1, 11, M, LEARNER, 0);
	p = role(FD, 3, 20, M, MENTOR, 0);
	replaces(p, a, 0);
	resolve(FD);
	CHECK_EQ_INT(role_of(M), LEARNER);

	/* an author's later record replaces its own earlier one */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	a = role(F1, 1, 10, M, FAC, 0);
	b = role(F2, 1, 11, M, LEARNER, 0);
	s = role(F2, 2, 30, M, FAC, 0);
	resolve(FD);
	EFFECT(b, GOV_APPLIED);
	EFFECT(s, GOV_APPLIED);
	CHECK_EQ_INT(role_of(M), FAC);
	CHECK(fac(M));
}

/*
 * FD grants F1, who writes seq 1..8; FD demotes F1 having seen seq 5.
 * F1's seq 6 and 7 (a hide, a grant of X) came before the demotion, seq 8
 * is back-dated to just after F1's grant: all three are voided, and X's
 * hide (applied while X's grant stood) loses its authority.
 */
static void test_demotion(void)
{
	uint32_t f[12], g, d, xh, rg, late, after, rd, rp;
	int i;

	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	for (i = 1; i <= 5; i++)
		f[i] = hide(F1, (uint64_t)i, 20 + (uint64_t)i, i);
	f[6] = hide(F1, 6, 30, 6);
	f[7] = role(F1, 7, 31, X, FAC, 0);
	f[8] = hide(F1, 8, 15, 8); /* back-dated */
	xh = hide(X, 1, 40, 7);
	d = role(FD, 2, 100, F1, LEARNER, 5);
	late = hide(F1, 9, 150, 9);
	resolve(FD);
	EFFECT(g, GOV_APPLIED);
	EFFECT(d, GOV_APPLIED);
	for (i = 1; i <= 5; i++) {
		EFFECT(f[i], GOV_APPLIED);
		CHECK(hidden(i));
	}
	for (i = 6; i <= 8; i++) {
		EFFECT(f[i], GOV_VOIDED);
		CHECK(!hidden(i));
	}
	EFFECT(xh, GOV_NO_AUTHORITY);
	EFFECT(late, GOV_NO_AUTHORITY);
	CHECK(!hidden(7) && !hidden(9));
	CHECK(!fac(F1) && !fac(X));
	CHECK_EQ_INT(role_of(F1), LEARNER);
	CHECK_EQ_INT(role_by(F1), d);
	CHECK(st.passes >= 2);

	/* re-promoted (FD's later record replaces its demotion): F1's
	 * records after it apply; the voided ones stay voided */
	rg = role(FD, 3, 200, F1, FAC, 9);
	after = hide(F1, 10, 250, 10);
	resolve(FD);
	EFFECT(rg, GOV_APPLIED);
	CHECK(fac(F1));
	EFFECT(after, GOV_APPLIED);
	CHECK(hidden(10));
	EFFECT(late, GOV_NO_AUTHORITY);
	for (i = 6; i <= 8; i++)
		EFFECT(f[i], GOV_VOIDED);
	for (i = 1; i <= 5; i++)
		EFFECT(f[i], GOV_APPLIED);

	/* demoted by F2, re-promoted by FD naming the demotion */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	f[1] = hide(F1, 1, 10, 1);
	f[2] = hide(F1, 2, 5, 2); /* back-dated before F2's demotion */
	rd = role(F2, 1, 20, F1, MENTOR, 1);
	f[3] = hide(F1, 3, 30, 3);
	rp = role(FD, 3, 40, F1, FAC, 3);
	replaces(rp, rd, 0);
	f[4] = hide(F1, 4, 50, 4);
	resolve(FD);
	EFFECT(rd, GOV_APPLIED);
	EFFECT(f[1], GOV_APPLIED);
	EFFECT(f[2], GOV_VOIDED);
	EFFECT(f[3], GOV_NO_AUTHORITY);
	EFFECT(rp, GOV_APPLIED);
	EFFECT(f[4], GOV_APPLIED);
	CHECK(fac(F1));
	CHECK(hidden(1) && !hidden(2) && !hidden(3) && hidden(4));
}

static void test_removal(void)
{
	uint32_t f[8], r1, r2, g, mg, rp;
	const struct gov_member *m;
	int i;

	/* F1 removed keeping seq 1..3: its grant of M (seq 4) and its hide
	 * (seq 5, back-dated) are voided, its report after the removal is
	 * the removed member's */
	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	role(FD, 2, 11, F2, FAC, 0);
	for (i = 1; i <= 3; i++)
		f[i] = hide(F1, (uint64_t)i, 20 + (uint64_t)i, i);
	mg = role(F1, 4, 30, M, FAC, 0);
	f[5] = hide(F1, 5, 12, 5);
	rp = report(F1, 6, 150, 6);
	r1 = rem(FD, 3, 100, F1, 3);
	resolve(FD);
	EFFECT(g, GOV_APPLIED);
	EFFECT(r1, GOV_APPLIED);
	m = gov_member_find(&st, keys[F1]);
	CHECK(m && m->removed);
	CHECK_EQ_INT(m->cut, 3);
	CHECK(!fac(F1));
	for (i = 1; i <= 3; i++) {
		EFFECT(f[i], GOV_APPLIED);
		CHECK(hidden(i));
	}
	EFFECT(mg, GOV_VOIDED);
	CHECK(!fac(M));
	EFFECT(f[5], GOV_VOIDED);
	CHECK(!hidden(5));
	EFFECT(rp, GOV_REMOVED);

	/* a second removal with a smaller cut, later: the smaller holds */
	r2 = rem(F2, 1, 120, F1, 2);
	resolve(FD);
	m = gov_member_find(&st, keys[F1]);
	CHECK(m && m->removed);
	CHECK_EQ_INT(m->cut, 2);
	CHECK(m->removed_by != SIZE_MAX && tag_at(m->removed_by) == r2);
	EFFECT(f[3], GOV_VOIDED);
	CHECK(hidden(1) && hidden(2) && !hidden(3));

	/* the smaller cut first: the larger one later does not widen it */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	role(FD, 2, 11, F2, FAC, 0);
	for (i = 1; i <= 3; i++)
		f[i] = hide(F1, (uint64_t)i, 20 + (uint64_t)i, i);
	r1 = rem(FD, 3, 100, F1, 2);
	r2 = rem(F2, 1, 120, F1, 3);
	resolve(FD);
	EFFECT(r1, GOV_APPLIED);
	m = gov_member_find(&st, keys[F1]);
	CHECK(m && m->removed);
	CHECK_EQ_INT(m->cut, 2);
	CHECK(m->removed_by != SIZE_MAX && tag_at(m->removed_by) == r1);
	EFFECT(f[3], GOV_VOIDED);
	CHECK(!hidden(3));

	/* a removed member's records within its cut but dated after the
	 * removal are judged as a removed member's: no authority */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	f[1] = hide(F1, 1, 20, 1);
	r1 = rem(FD, 2, 100, F1, 3);
	f[2] = hide(F1, 2, 110, 2);
	mg = role(F1, 3, 120, M, FAC, 0);
	f[4] = report(F1, 4, 130, 4);
	resolve(FD);
	EFFECT(f[1], GOV_APPLIED);
	EFFECT(f[2], GOV_NO_AUTHORITY);
	EFFECT(mg, GOV_NO_AUTHORITY);
	EFFECT(f[4], GOV_REMOVED);
	CHECK(hidden(1) && !hidden(2) && !fac(M));

	/* a removed member's role records, written before the cut, stand */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	mg = role(F1, 1, 20, M, MENTOR, 0);
	rem(FD, 2, 30, F1, 1);
	resolve(FD);
	EFFECT(mg, GOV_APPLIED);
	CHECK_EQ_INT(role_of(M), MENTOR);
	CHECK(!fac(F1));
}

static void test_hide(void)
{
	uint32_t a, b, c, lh, lu;

	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	/* hide then unhide (by another): shown */
	hide(F1, 1, 10, 1);
	unhide(F2, 1, 20, 1);
	/* hide, unhide, hide: hidden, by the last */
	hide(F1, 2, 10, 2);
	unhide(F2, 2, 20, 2);
	c = hide(F1, 3, 30, 2);
	/* one millisecond: the larger id is the later */
	hide(F1, 4, 40, 3);
	unhide(F2, 3, 40, 3);
	unhide(F1, 5, 40, 4);
	hide(F2, 4, 40, 4);
	/* hidden twice, unhidden once: shown */
	hide(F1, 6, 50, 5);
	hide(F2, 5, 51, 5);
	unhide(F1, 7, 52, 5);
	/* a learner can neither hide nor unhide */
	lh = hide(L, 1, 60, 6);
	lu = unhide(L, 2, 61, 2);
	/* unhide of something never hidden: nothing */
	a = unhide(F1, 8, 70, 7);
	b = hide(F2, 6, 10, 8); /* only hidden */
	resolve(FD);
	CHECK(!hidden(1));
	CHECK(hidden(2));
	CHECK_EQ_INT(mark_by(st.hidden, st.nhidden, 2), c);
	CHECK(!hidden(3));
	CHECK(hidden(4));
	CHECK(!hidden(5));
	EFFECT(lh, GOV_NO_AUTHORITY);
	EFFECT(lu, GOV_NO_AUTHORITY);
	CHECK(!hidden(6));
	EFFECT(a, GOV_APPLIED);
	CHECK(!hidden(7));
	EFFECT(b, GOV_APPLIED);
	CHECK(hidden(8));
	CHECK_EQ_INT(st.nhidden, 3);
}

static void test_erase(void)
{
	uint32_t own, byf, byl, gov, owng, ul, uf, twice, lrem;

	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	own = erase(L, 1, 10, 1, 1, L, ENTRY_KIND_POST);
	byf = erase(F1, 1, 11, 2, 1, M, ENTRY_KIND_POST);
	byl = erase(L, 2, 12, 3, 1, M, ENTRY_KIND_POST);
	gov = erase(F1, 2, 13, 4, 1, FD, ENTRY_KIND_ROLE);
	owng = erase(FD, 2, 14, 5, 1, FD, ENTRY_KIND_REMOVE);
	ul = erase(L, 3, 15, 6, 0, 0, 0);
	uf = erase(F1, 3, 16, 7, 0, 0, 0);
	twice = erase(FD, 3, 17, 2, 1, M, ENTRY_KIND_POST);
	lrem = erase(M, 1, 18, 8, 1, M, ENTRY_KIND_FEEDBACK);
	resolve(FD);
	EFFECT(own, GOV_APPLIED);
	CHECK(erased(1));
	EFFECT(byf, GOV_APPLIED);
	CHECK(erased(2));
	EFFECT(byl, GOV_NO_AUTHORITY);
	CHECK(!erased(3));
	EFFECT(gov, GOV_NOT_ERASABLE);
	EFFECT(owng, GOV_NOT_ERASABLE);
	CHECK(!erased(4) && !erased(5));
	EFFECT(ul, GOV_UNKNOWN_TARGET);
	CHECK(!erased(6));
	EFFECT(uf, GOV_APPLIED);
	CHECK(erased(7));
	EFFECT(twice, GOV_APPLIED);
	CHECK_EQ_INT(mark_by(st.erased, st.nerased, 2), byf);
	EFFECT(lrem, GOV_APPLIED);
	CHECK(erased(8));
	CHECK_EQ_INT(st.nerased, 4);
}

/* The tag of the rotation in force, or 0 (the invite's epoch). */
static uint32_t in_force(void)
{
	if (st.epoch_by == SIZE_MAX)
		return 0;
	CHECK(st.epoch_by < nrecs);
	if (st.epoch_by >= nrecs)
		return 0;
	CHECK_EQ_INT(recs[st.epoch_by].kind, ENTRY_KIND_EPOCH);
	CHECK_STR(gov_effect_name(recs[st.epoch_by].effect),
		  gov_effect_name(GOV_APPLIED));
	return tag_at(st.epoch_by);
}

static void test_epoch(void)
{
	uint32_t a, b, c, d, g, h, r, x;

	/* no rotation: the invite's epoch */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	resolve(FD);
	CHECK_EQ_INT(in_force(), 0);

	/* a learner (or a mentor) cannot rotate; a facilitator can */
	fresh();
	role(FD, 1, 10, M, MENTOR, 0);
	a = rot(L, 1, 20, 1, FD, L, M, NONE);
	b = rot(M, 1, 21, 2, FD, L, M, NONE);
	resolve(FD);
	EFFECT(a, GOV_NO_AUTHORITY);
	EFFECT(b, GOV_NO_AUTHORITY);
	CHECK_EQ_INT(in_force(), 0);
	c = rot(FD, 2, 30, 1, FD, L, M, NONE);
	resolve(FD);
	EFFECT(c, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), c);
	EFFECT(a, GOV_NO_AUTHORITY);
	EFFECT(b, GOV_NO_AUTHORITY);
	/* ... nor can a facilitator the founder made: rotations have one
	 * writer, the founder, so no two are ever concurrent */
	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	a = rot(F1, 1, 20, 1, FD, F1, NONE);
	x = rot(F1, 2, 5, 2, FD, F1, NONE); /* before its grant */
	resolve(FD);
	EFFECT(g, GOV_APPLIED);
	EFFECT(a, GOV_NO_AUTHORITY);
	EFFECT(x, GOV_NO_AUTHORITY);
	CHECK_EQ_INT(in_force(), 0);
	/* no founder on record: nobody rotates */
	fresh();
	a = rot(FD, 1, 20, 1, FD, F1, NONE);
	resolve(NONE);
	EFFECT(a, GOV_NO_AUTHORITY);
	CHECK_EQ_INT(in_force(), 0);

	/* two rotations: the higher epoch is in force, whichever is older
	 * or has the smaller id */
	fresh();
	a = rot(FD, 1, 20, 3, FD, F1, M, NONE);
	b = rot(FD, 2, 30, 2, FD, F1, M, NONE);
	resolve(FD);
	EFFECT(a, GOV_APPLIED);
	EFFECT(b, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), a);
	fresh();
	a = rot(FD, 1, 20, 2, FD, F1, M, NONE);
	b = rot(FD, 2, 30, 3, FD, F1, M, NONE);
	c = rot(FD, 3, 40, 1, FD, F1, M, NONE);
	resolve(FD);
	EFFECT(a, GOV_SUPERSEDED);
	EFFECT(b, GOV_APPLIED);
	EFFECT(c, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), b);

	/* equal epochs (a founder's two homes, or a record forged with its
	 * key): the lower id wins, dated before or after the other */
	fresh();
	a = rot(FD, 3, 50, 4, FD, F1, NONE); /* the lower id, the later ts */
	b = rot(FD, 1, 20, 4, FD, F1, NONE);
	c = rot(FD, 2, 30, 4, FD, F1, NONE);
	resolve(FD);
	EFFECT(a, GOV_APPLIED);
	EFFECT(b, GOV_SUPERSEDED);
	EFFECT(c, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), a);
	fresh();
	a = rot(FD, 1, 20, 4, FD, F1, NONE); /* the lower id, the earlier ts */
	b = rot(FD, 2, 50, 4, FD, F1, NONE);
	resolve(FD);
	EFFECT(a, GOV_APPLIED);
	EFFECT(b, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), a);
	fresh(); /* at one ts */
	a = rot(FD, 1, 20, 4, FD, F1, NONE);
	b = rot(FD, 2, 20, 4, FD, F1, NONE);
	resolve(FD);
	EFFECT(a, GOV_APPLIED);
	EFFECT(b, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), a);

	/* sealed to a member removed by a removal anywhere in the set, dated
	 * after the rotation or before it, by the founder or another
	 * facilitator: no effect, and the next best rotation is in force */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	a = rot(FD, 2, 20, 5, FD, F1, M, NONE);
	b = rot(FD, 3, 30, 4, FD, F1, NONE);
	c = rot(FD, 4, 40, 3, FD, F1, L, NONE);
	r = rem(FD, 5, 1000, M, 0);
	resolve(FD);
	EFFECT(r, GOV_APPLIED);
	EFFECT(a, GOV_SEALED_REMOVED);
	EFFECT(b, GOV_APPLIED);
	EFFECT(c, GOV_SUPERSEDED);
	CHECK_EQ_INT(in_force(), b);
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	r = rem(F1, 1, 15, M, 0); /* before the rotations, by F1 */
	a = rot(FD, 2, 20, 5, FD, F1, M, NONE);
	b = rot(FD, 3, 30, 4, FD, F1, NONE);
	resolve(FD);
	EFFECT(r, GOV_APPLIED);
	EFFECT(a, GOV_SEALED_REMOVED);
	EFFECT(b, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), b);
	/* every rotation sealed to a removed member: none in force (the
	 * founder's node writes a new one: node/epoch.c) */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	a = rot(FD, 2, 20, 5, FD, F1, M, NONE);
	b = rot(FD, 3, 30, 6, FD, M, NONE);
	r = rem(F1, 2, 40, M, 0);
	resolve(FD);
	EFFECT(a, GOV_SEALED_REMOVED);
	EFFECT(b, GOV_SEALED_REMOVED);
	CHECK_EQ_INT(in_force(), 0);
	/* a removal without effect (a learner's) removes nobody; one whose
	 * author loses its role before it is voided: sealed to M stands */
	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	a = rot(FD, 2, 20, 5, FD, F1, M, NONE);
	x = rem(L, 1, 30, M, 0);
	r = rem(F1, 2, 40, M, 0);
	d = role(FD, 3, 50, F1, LEARNER, 1); /* saw seq 1 of F1: voids r */
	resolve(FD);
	EFFECT(x, GOV_NO_AUTHORITY);
	EFFECT(r, GOV_VOIDED);
	EFFECT(d, GOV_APPLIED);
	CHECK(!gov_member_find(&st, keys[M])->removed);
	EFFECT(a, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), a);
	/* sealed to a facilitator removed later keeping it: that member
	 * would read the secret in force, so no effect */
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	a = rot(FD, 2, 20, 2, FD, F1, M, NONE);
	r = rem(FD, 3, 30, F1, 1);
	resolve(FD);
	EFFECT(a, GOV_SEALED_REMOVED);
	CHECK_EQ_INT(in_force(), 0);

	/* a facilitator demoted, or removed, changes nothing of the
	 * founder's rotations; its own never had effect */
	fresh();
	g = role(FD, 1, 10, F1, FAC, 0);
	h = hide(F1, 1, 20, 1);
	a = rot(F1, 2, 30, 7, FD, F1, M, NONE);
	b = rot(FD, 2, 40, 2, FD, F1, M, NONE);
	d = role(FD, 3, 100, F1, LEARNER, 1);
	resolve(FD);
	EFFECT(g, GOV_APPLIED);
	EFFECT(h, GOV_APPLIED);
	EFFECT(d, GOV_APPLIED);
	EFFECT(a, GOV_NO_AUTHORITY);
	EFFECT(b, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), b);
	CHECK(hidden(1));
	fresh();
	role(FD, 1, 10, F1, FAC, 0);
	c = rot(FD, 2, 20, 3, FD, M, NONE);
	r = rem(FD, 3, 50, F1, 1);
	a = rot(F1, 2, 100, 6, FD, M, NONE); /* after its cut */
	resolve(FD);
	EFFECT(r, GOV_APPLIED);
	EFFECT(a, GOV_REMOVED);
	EFFECT(c, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), c);

	/* two facilitators remove each other (only the founder's rotation
	 * can follow): the earlier removal stands, the founder's rotation
	 * sealed to the survivor is in force */
	fresh();
	role(FD, 1, 1, F1, FAC, 0);
	role(FD, 2, 2, F2, FAC, 0);
	r = rem(F1, 1, 10, F2, 0);
	x = rem(F2, 1, 11, F1, 0);
	a = rot(FD, 3, 20, 1, FD, F1, M, NONE);
	resolve(FD);
	EFFECT(r, GOV_APPLIED);
	EFFECT(x, GOV_REMOVED);
	EFFECT(a, GOV_APPLIED);
	CHECK_EQ_INT(in_force(), a);
	CHECK(fac(F1) && !fac(F2));
}

/* ---- seeded random sets ------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A random set: n records among nmem members (member 0 the founder),
 * timestamps in [0, tsrange) so ties are common, role records naming up
 * to two earlier records in replaces (pool: 2 ids per record), rotations
 * to epochs 1..4 (ties common too) sealed to 1..RSEALS distinct members,
 * now and then one no record names (seals: RSEALS keys per record). */
#define RSEALS 3
struct rset {
	struct gov_rec *r;
	size_t n;
	uint8_t (*keys)[KEY_PUBLIC_LEN];
	uint8_t (*pool)[ENTRY_ID_LEN];
	uint8_t (*seals)[KEY_PUBLIC_LEN];
	int founder; /* 0 or NONE */
};

static void rset_free(struct rset *s)
{
	free(s->r);
	free(s->keys);
	free(s->pool);
	free(s->seals);
	memset(s, 0, sizeof(*s));
}

static int rset_make(struct rset *s, uint64_t seed, size_t n, unsigned nmem,
		     unsigned tsrange, unsigned ntargets)
{
	uint64_t *seq = calloc(nmem, sizeof(*seq));
	size_t i, k;

	memset(s, 0, sizeof(*s));
	s->r = calloc(n + 1, sizeof(*s->r));
	s->keys = calloc(nmem, sizeof(*s->keys));
	s->pool = calloc(2 * n + 1, sizeof(*s->pool));
	s->seals = calloc(RSEALS * n + 1, sizeof(*s->seals));
	if (!seq || !s->r || !s->keys || !s->pool || !s->seals) {
		free(seq);
		rset_free(s);
		return -1;
	}
	s->n = n;
	rng_state = seed;
	for (i = 0; i < nmem; i++) {
		s->keys[i][0] = 0xc0;
		s->keys[i][1] = (uint8_t)(i >> 8);
		s->keys[i][2] = (uint8_t)i;
	}
	s->founder = below(12) ? 0 : NONE;
	for (i = 0; i < n; i++) {
		struct gov_rec *r = &s->r[i];
		/* the founder writes a quarter, and the first few grants */
		unsigned a = i < 3 || !below(4) ? 0 : below(nmem), w = below(100);

		for (k = 0; k < ENTRY_ID_LEN; k++)
			r->id[k] = (uint8_t)rnd();
		r->id[ENTRY_ID_LEN - 4] = (uint8_t)(i >> 24);
		r->id[ENTRY_ID_LEN - 3] = (uint8_t)(i >> 16);
		r->id[ENTRY_ID_LEN - 2] = (uint8_t)(i >> 8);
		r->id[ENTRY_ID_LEN - 1] = (uint8_t)i; /* unique */
		memcpy(r->author, s->keys[a], KEY_PUBLIC_LEN);
		r->seq = ++seq[a];
		r->ts = below(tsrange);
		if (i < 3 || w < 35) {
			unsigned t = below(nmem);

			r->kind = ENTRY_KIND_ROLE;
			memcpy(r->target, s->keys[t], KEY_PUBLIC_LEN);
			r->role = i < 3 || below(2) ? FAC : (int)below(2);
			r->anchor = below((unsigned)seq[t] + 3);
			r->replaces = (const uint8_t(*)[ENTRY_ID_LEN])s->pool[2 * i];
			r->nreplaces = i ? below(3) : 0;
			for (k = 0; k < r->nreplaces; k++)
				memcpy(s->pool[2 * i + k], s->r[below((unsigned)i)].id,
				       ENTRY_ID_LEN);
		} else if (w < 52) {
			unsigned t = below(nmem);

			r->kind = ENTRY_KIND_REMOVE;
			memcpy(r->target, s->keys[t], KEY_PUBLIC_LEN);
			r->anchor = below((unsigned)seq[t] + 3);
		} else if (w < 60) {
			uint8_t (*to)[KEY_PUBLIC_LEN] = s->seals + RSEALS * i;
			size_t j;

			r->kind = ENTRY_KIND_EPOCH;
			for (k = 0; k < HASH_LEN; k++)
				r->target[k] = (uint8_t)rnd(); /* its check */
			r->anchor = 1 + below(4);
			r->nseals = 1 + below(RSEALS < nmem ? RSEALS : nmem);
			for (k = 0; k < r->nseals; k++) {
				do { /* distinct, as the payload's rule */
					unsigned t = below(nmem);

					memcpy(to[k], s->keys[t],
					       KEY_PUBLIC_LEN);
					if (!below(10)) /* named by none */
						to[k][0] = 0xc1;
					for (j = 0; j < k; j++)
						if (!memcmp(to[j], to[k],
							    KEY_PUBLIC_LEN))
							break;
				} while (j < k);
			}
			r->seals = (const uint8_t(*)[KEY_PUBLIC_LEN])to;
		} else {
			r->kind = w < 70   ? ENTRY_KIND_HIDE
				  : w < 80 ? ENTRY_KIND_UNHIDE
				  : w < 95 ? ENTRY_KIND_ERASE
					   : ENTRY_KIND_REPORT;
			make_id(r->target, 0xe0, below(ntargets));
			if (below(5) == 0) /* a governance record's id */
				memcpy(r->target, s->r[below((unsigned)i)].id,
				       ENTRY_ID_LEN);
			r->target_held = (int)below(4) != 0;
			if (r->target_held) {
				memcpy(r->target_author, s->keys[below(nmem)],
				       KEY_PUBLIC_LEN);
				r->target_kind = below(5) ? ENTRY_KIND_POST
							  : ENTRY_KIND_ROLE;
			}
		}
	}
	free(seq);
	return 0;
}

static const uint8_t *rset_founder(const struct rset *s)
{
	return s->founder == NONE ? NULL : s->keys[0];
}

/* Both resolved sets equal: same order, effects, members, marks. */
static const char *same_result(const struct gov_rec *a,
			       const struct gov_state *sa,
			       const struct gov_rec *b,
			       const struct gov_state *sb, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (memcmp(a[i].id, b[i].id, ENTRY_ID_LEN))
			return "record order";
		if (a[i].effect != b[i].effect)
			return "effect of a record";
	}
	if (sa->nmembers != sb->nmembers)
		return "member count";
	for (i = 0; i < sa->nmembers; i++) {
		const struct gov_member *x = &sa->members[i];
		const struct gov_member *y = &sb->members[i];

		if (memcmp(x->key, y->key, KEY_PUBLIC_LEN) ||
		    x->role != y->role || x->removed != y->removed ||
		    (x->removed && x->cut != y->cut))
			return "a member's role or removal";
		if ((x->role_by == SIZE_MAX) != (y->role_by == SIZE_MAX) ||
		    (x->role_by != SIZE_MAX &&
		     memcmp(a[x->role_by].id, b[y->role_by].id, ENTRY_ID_LEN)))
			return "the record that set a role";
	}
	if (sa->nhidden != sb->nhidden || sa->nerased != sb->nerased)
		return "hidden or erased count";
	for (i = 0; i < sa->nhidden; i++)
		if (memcmp(sa->hidden[i].target, sb->hidden[i].target, ENTRY_ID_LEN) ||
		    memcmp(a[sa->hidden[i].by].id, b[sb->hidden[i].by].id,
			   ENTRY_ID_LEN))
			return "hidden set";
	for (i = 0; i < sa->nerased; i++)
		if (memcmp(sa->erased[i].target, sb->erased[i].target, ENTRY_ID_LEN) ||
		    memcmp(a[sa->erased[i].by].id, b[sb->erased[i].by].id,
			   ENTRY_ID_LEN))
			return "erased set";
	if ((sa->epoch_by == SIZE_MAX) != (sb->epoch_by == SIZE_MAX) ||
	    (sa->epoch_by != SIZE_MAX &&
	     memcmp(a[sa->epoch_by].id, b[sb->epoch_by].id, ENTRY_ID_LEN)))
		return "the rotation in force (epoch_by)";
	return NULL;
}

static int needs_facilitator(uint8_t kind)
{
	return kind == ENTRY_KIND_ROLE || kind == ENTRY_KIND_HIDE ||
	       kind == ENTRY_KIND_UNHIDE || kind == ENTRY_KIND_REMOVE ||
	       kind == ENTRY_KIND_EPOCH;
}

/* 1 if rotation x seals to a member removed in the final state. */
static int seals_removed(const struct gov_rec *x, const struct gov_state *s)
{
	size_t k;

	for (k = 0; k < x->nseals; k++) {
		const struct gov_member *m = gov_member_find(s, x->seals[k]);

		if (m && m->removed)
			return 1;
	}
	return 0;
}

/* The rotations' invariants: at most one applied, the one epoch_by
 * names; none applied or superseded seals to a removed member, each
 * "sealed to a removed member" does; the one in force beats every
 * superseded one (higher epoch, then lower id); those two effects only
 * on rotations whose authors had the authority. */
static const char *epoch_invariants(const struct gov_rec *r, size_t n,
				    const struct gov_state *s,
				    const uint8_t *founder)
{
	size_t i, napplied = 0;

	for (i = 0; i < n; i++) {
		const struct gov_rec *x = &r[i], *f;

		if (x->effect != GOV_SEALED_REMOVED &&
		    x->effect != GOV_SUPERSEDED &&
		    (x->kind != ENTRY_KIND_EPOCH || x->effect != GOV_APPLIED))
			continue;
		if (x->kind != ENTRY_KIND_EPOCH)
			return "'sealed to a removed member' or 'superseded' "
			       "on a record that is no rotation";
		if (!founder || memcmp(x->author, founder, KEY_PUBLIC_LEN))
			return "a rotation judged on its seals, but its author "
			       "is not the founder";
		if (x->effect == GOV_SEALED_REMOVED) {
			if (!seals_removed(x, s))
				return "'sealed to a removed member' on a "
				       "rotation sealed to none";
			continue;
		}
		if (seals_removed(x, s))
			return "a rotation sealed to a removed member applied "
			       "or superseded";
		if (x->effect == GOV_APPLIED) {
			napplied++;
			if (s->epoch_by != i)
				return "an applied rotation is not epoch_by";
			continue;
		}
		if (s->epoch_by >= n)
			return "a rotation superseded by none";
		f = &r[s->epoch_by];
		if (x->anchor > f->anchor ||
		    (x->anchor == f->anchor &&
		     memcmp(x->id, f->id, ENTRY_ID_LEN) < 0))
			return "a superseded rotation beats the one in force";
	}
	if (napplied > 1)
		return "more than one rotation applied";
	if (!napplied && s->epoch_by != SIZE_MAX)
		return "epoch_by names no applied rotation";
	return NULL;
}

/* The rules' invariants over one resolved set (sorted by (ts, id)). */
static const char *invariants(const struct gov_rec *r, size_t n,
			      const struct gov_state *s, const uint8_t *founder)
{
	const char *why;
	size_t i, j;

	if (founder) {
		const struct gov_member *f = gov_member_find(s, founder);

		if (!f || f->role != FAC || f->removed)
			return "the founder is not a facilitator";
	}
	if ((why = epoch_invariants(r, n, s, founder)))
		return why;
	for (i = 0; i < n; i++) {
		const struct gov_member *a = gov_member_find(s, r[i].author);
		int traced = 0;

		if (i && (r[i - 1].ts > r[i].ts ||
			  (r[i - 1].ts == r[i].ts &&
			   memcmp(r[i - 1].id, r[i].id, ENTRY_ID_LEN) >= 0)))
			return "records not in (ts, id) order";
		if (r[i].effect >= GOV_EFFECT_COUNT)
			return "a record without an effect";
		if (r[i].effect != GOV_APPLIED)
			continue;
		if (a && a->removed && r[i].seq > a->cut)
			return "a removed member's record after its cut applied";
		if ((r[i].kind == ENTRY_KIND_ROLE || r[i].kind == ENTRY_KIND_REMOVE) &&
		    founder && !memcmp(r[i].target, founder, KEY_PUBLIC_LEN))
			return "a record about the founder applied";
		if (r[i].kind == ENTRY_KIND_REMOVE &&
		    !memcmp(r[i].target, r[i].author, KEY_PUBLIC_LEN))
			return "a self-removal applied";
		if (r[i].kind == ENTRY_KIND_ERASE && r[i].target_held &&
		    ENTRY_KIND_IS_GOV(r[i].target_kind))
			return "an erasure of a governance record applied";
		if (!needs_facilitator(r[i].kind))
			continue;
		/* authority traces to the founder: an earlier applied grant */
		if (founder && !memcmp(r[i].author, founder, KEY_PUBLIC_LEN))
			traced = 1;
		for (j = 0; j < i && !traced; j++)
			traced = r[j].effect == GOV_APPLIED &&
				 r[j].kind == ENTRY_KIND_ROLE && r[j].role == FAC &&
				 !memcmp(r[j].target, r[i].author, KEY_PUBLIC_LEN);
		if (!traced)
			return "a record applied without a facilitator's grant";
	}
	for (i = 0; i < s->nmembers; i++) {
		const struct gov_member *m = &s->members[i];

		if (m->role_by == SIZE_MAX) {
			if (m->role != (founder && !memcmp(m->key, founder,
							   KEY_PUBLIC_LEN)
						? FAC : LEARNER))
				return "a role set by no record";
		} else if (r[m->role_by].effect != GOV_APPLIED ||
			   r[m->role_by].kind != ENTRY_KIND_ROLE ||
			   memcmp(r[m->role_by].target, m->key, KEY_PUBLIC_LEN) ||
			   r[m->role_by].role != m->role) {
			return "a role set by a record that did not set it";
		}
		if (m->removed &&
		    (m->removed_by == SIZE_MAX ||
		     r[m->removed_by].effect != GOV_APPLIED ||
		     r[m->removed_by].kind != ENTRY_KIND_REMOVE ||
		     memcmp(r[m->removed_by].target, m->key, KEY_PUBLIC_LEN) ||
		     r[m->removed_by].anchor != m->cut))
			return "a removal by a record that did not remove";
		for (j = 0; m->removed && j < n; j++)
			if (r[j].effect == GOV_APPLIED &&
			    r[j].kind == ENTRY_KIND_REMOVE &&
			    !memcmp(r[j].target, m->key, KEY_PUBLIC_LEN) &&
			    r[j].anchor < m->cut)
				return "a removal's cut is not the smallest";
	}
	/* hidden: exactly the targets whose last applied hide or unhide is
	 * a hide, marked by that hide; erased: by the first applied erasure */
	for (i = 0; i < n; i++) {
		const struct gov_mark *h, *e;
		size_t last = SIZE_MAX, first = SIZE_MAX;

		if (r[i].effect != GOV_APPLIED ||
		    (r[i].kind != ENTRY_KIND_HIDE && r[i].kind != ENTRY_KIND_UNHIDE &&
		     r[i].kind != ENTRY_KIND_ERASE))
			continue;
		for (j = 0; j < n; j++) {
			if (r[j].effect != GOV_APPLIED ||
			    memcmp(r[j].target, r[i].target, ENTRY_ID_LEN))
				continue;
			if (r[j].kind == ENTRY_KIND_HIDE ||
			    r[j].kind == ENTRY_KIND_UNHIDE)
				last = j;
			if (r[j].kind == ENTRY_KIND_ERASE && first == SIZE_MAX)
				first = j;
		}
		h = gov_mark_find(s->hidden, s->nhidden, r[i].target);
		e = gov_mark_find(s->erased, s->nerased, r[i].target);
		if (last != SIZE_MAX && r[last].kind == ENTRY_KIND_HIDE) {
			if (!h || h->by != last)
				return "a hidden target not hidden by its last hide";
		} else if (h) {
			return "an unhidden target still hidden";
		}
		if (first != SIZE_MAX && (!e || e->by != first))
			return "an erased target not marked by its first erasure";
		if (first == SIZE_MAX && e)
			return "a target erased by no erasure";
	}
	return NULL;
}

static void dump(const struct gov_rec *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr,
			"  [%zu] ts %" PRIu64 " id %02x.. author %u seq %" PRIu64
			" %s target %02x%02x%02x role %d anchor %" PRIu64
			" nrepl %zu held %d nseals %zu: %s\n",
			i, r[i].ts, r[i].id[0], r[i].author[2], r[i].seq,
			entry_kind_name(r[i].kind), r[i].target[0], r[i].target[2],
			r[i].target[4], r[i].role, r[i].anchor, r[i].nreplaces,
			r[i].target_held, r[i].nseals,
			gov_effect_name(r[i].effect));
}

/* How often each effect fell on a rotation over the seeds run: the
 * generator must reach every one of them. */
static unsigned epoch_effects[GOV_EFFECT_COUNT];

/* One seed: 0 if both orders agree and the invariants hold. */
static int one_seed(uint64_t seed, int verbose)
{
	struct rset s;
	struct gov_rec *b;
	struct gov_state sa = { 0 }, sb = { 0 };
	struct err e = { 0 };
	const char *why = NULL;
	size_t i, n;

	rng_state = seed;
	n = 20 + below(41);
	if (rset_make(&s, seed * 7919 + 1, n, 6, 30, 5) < 0)
		return -1;
	b = malloc(n * sizeof(*b));
	if (!b) {
		rset_free(&s);
		return -1;
	}
	memcpy(b, s.r, n * sizeof(*b));
	for (i = n - 1; i > 0; i--) { /* Fisher-Yates */
		size_t j = below((unsigned)i + 1);
		struct gov_rec t = b[i];

		b[i] = b[j];
		b[j] = t;
	}
	if (gov_resolve(s.r, n, rset_founder(&s), &sa, &e) < 0 ||
	    gov_resolve(b, n, rset_founder(&s), &sb, &e) < 0)
		why = "gov_resolve failed";
	if (!why)
		why = same_result(s.r, &sa, b, &sb, n);
	if (!why)
		why = invariants(s.r, n, &sa, rset_founder(&s));
	for (i = 0; i < n; i++)
		if (s.r[i].kind == ENTRY_KIND_EPOCH &&
		    s.r[i].effect < GOV_EFFECT_COUNT)
			epoch_effects[s.r[i].effect]++;
	if (why) {
		fprintf(stderr, "order: seed %" PRIu64 ": %s (%zu records, %zu "
			"passes); replay: test_gov --seed %" PRIu64 "\n",
			seed, why, n, sa.passes, seed);
		if (verbose)
			dump(s.r, n);
	}
	gov_state_release(&sa);
	gov_state_release(&sb);
	free(b);
	rset_free(&s);
	return why ? 1 : 0;
}

static void test_order(unsigned seeds)
{
	unsigned seed, failed = 0;

	for (seed = 1; seed <= seeds; seed++)
		if (one_seed(seed, 0) != 0 && ++failed >= 5)
			break;
	CHECK_EQ_INT(failed, 0);
	printf("gov: rotations in %u seeds: %u applied, %u superseded, %u "
	       "sealed to a removed member, %u no authority, %u voided, %u "
	       "removed\n", seeds, epoch_effects[GOV_APPLIED],
	       epoch_effects[GOV_SUPERSEDED], epoch_effects[GOV_SEALED_REMOVED],
	       epoch_effects[GOV_NO_AUTHORITY], epoch_effects[GOV_VOIDED],
	       epoch_effects[GOV_REMOVED]);
	if (seeds >= 1000) {
		CHECK(epoch_effects[GOV_APPLIED] > 0);
		CHECK(epoch_effects[GOV_SUPERSEDED] > 0);
		CHECK(epoch_effects[GOV_SEALED_REMOVED] > 0);
		CHECK(epoch_effects[GOV_NO_AUTHORITY] > 0);
		/* the founder's rotations are never voided */
		CHECK_EQ_INT(epoch_effects[GOV_VOIDED], 0);
		CHECK(epoch_effects[GOV_REMOVED] > 0);
	}
}

/* ---- bounds ------------------------------------------------------------- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Seconds a large set may take (a tenth of that in a Debug build, a
 * few tenths under the sanitizers): a pass, or a voiding, that costs the
 * whole set each time shows as seconds here. */
#define LARGE_SECONDS 2.0
#define NHIDES 31

static void test_bounds(void)
{
	struct gov_state s = { 0 };
	struct err e = { 0 };
	struct rset r;
	struct gov_rec *v;
	size_t n, i, k, nf;
	double t0, dt;

	/* no records, with and without a founder */
	CHECK_EQ_INT(gov_resolve(NULL, 0, keys[FD], &s, &e), 0);
	CHECK_EQ_INT(s.nmembers, 1);
	CHECK(gov_member_find(&s, keys[FD]) &&
	      gov_member_find(&s, keys[FD])->role == FAC);
	CHECK(!gov_member_find(&s, keys[F1]));
	CHECK_EQ_INT(s.nhidden + s.nerased, 0);
	gov_state_release(&s);
	CHECK_EQ_INT(gov_resolve(NULL, 0, NULL, &s, &e), 0);
	CHECK_EQ_INT(s.nmembers, 0);
	CHECK(!gov_member_find(&s, keys[FD]));
	CHECK(!gov_mark_find(s.hidden, s.nhidden, entry(1)));
	gov_state_release(&s);
	gov_state_release(&s); /* twice: harmless */

	/* 20000 random records among 300 members */
	n = 20000;
	CHECK_EQ_INT(rset_make(&r, 42, n, 300, 100000, 2000), 0);
	t0 = now();
	CHECK_EQ_INT(gov_resolve(r.r, n, rset_founder(&r), &s, &e), 0);
	dt = now() - t0;
	printf("gov: %zu random records: %.3f s, %zu passes\n", n, dt, s.passes);
	CHECK(dt < LARGE_SECONDS);
	gov_state_release(&s);
	rset_free(&r);

	/* a class that went wrong: the founder grants 600 facilitators,
	 * each hides 31 posts, then the founder demotes every one having
	 * seen none (each demotion voids what it hid) */
	nf = 600;
	n = nf * (2 + NHIDES);
	v = calloc(n, sizeof(*v));
	CHECK(v != NULL);
	if (!v)
		return;
	for (i = k = 0; i < nf; i++) {
		uint8_t who[KEY_PUBLIC_LEN] = { 0xd0, (uint8_t)(i >> 8), (uint8_t)i };
		size_t h;

		make_id(v[k].id, 0xb0, (uint32_t)k);
		memcpy(v[k].author, keys[FD], KEY_PUBLIC_LEN);
		memcpy(v[k].target, who, KEY_PUBLIC_LEN);
		v[k].seq = 1 + i;
		v[k].ts = 1 + i;
		v[k].kind = ENTRY_KIND_ROLE;
		v[k++].role = FAC;
		for (h = 0; h < NHIDES; h++) {
			make_id(v[k].id, 0xb0, (uint32_t)k);
			memcpy(v[k].author, who, KEY_PUBLIC_LEN);
			make_id(v[k].target, 0xe0, (uint32_t)(NHIDES * i + h));
			v[k].seq = 1 + h;
			v[k].ts = 10 * nf + NHIDES * i + h;
			v[k++].kind = ENTRY_KIND_HIDE;
		}
		make_id(v[k].id, 0xb0, (uint32_t)k);
		memcpy(v[k].author, keys[FD], KEY_PUBLIC_LEN);
		memcpy(v[k].target, who, KEY_PUBLIC_LEN);
		v[k].seq = 1 + nf + i;
		v[k].ts = 100 * nf + i;
		v[k].kind = ENTRY_KIND_ROLE;
		v[k++].role = LEARNER;
	}
	t0 = now();
	CHECK_EQ_INT(gov_resolve(v, n, keys[FD], &s, &e), 0);
	dt = now() - t0;
	printf("gov: %zu demotions that void: %.3f s, %zu passes\n", nf, dt,
	       s.passes);
	CHECK(dt < LARGE_SECONDS);
	CHECK_EQ_INT(s.nhidden, 0);
	for (i = 0; i < n; i++)
		if (v[i].kind == ENTRY_KIND_HIDE && v[i].effect != GOV_VOIDED)
			break;
	CHECK_EQ_INT(i, n);
	gov_state_release(&s);
	free(v);
}

int main(int argc, char **argv)
{
	unsigned seeds = 2000;
	int i;

	for (i = 0; i < NKEYS; i++) {
		memset(keys[i], 0x10 + i, KEY_PUBLIC_LEN);
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			uint64_t seed = strtoull(argv[++i], NULL, 10);

			return one_seed(seed, 1) == 0 ? 0 : 1;
		} else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
			seeds = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: test_gov [--seed N | --seeds N]\n");
			return 2;
		}
	}
	test_founder();
	test_authority();
	test_chain();
	test_conflict();
	test_demotion();
	test_removal();
	test_hide();
	test_erase();
	test_epoch();
	test_order(seeds);
	test_bounds();
	gov_state_release(&st);
	return test_report("gov");
}
