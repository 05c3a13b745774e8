/*
 * libFuzzer harness: gov_resolve (node/gov.h), the governance rules as a
 * pure function of a set of records. The input is a compact binary form
 * of a set of at most GOV_FUZZ_MAX records among six fixed member keys;
 * the set is resolved twice, in the input's order and reversed, and the
 * two results must be equal (the rules depend on the set, never on the
 * order of arrival) and keep the rules' invariants. A difference or a
 * broken invariant is a trap.
 *
 * Input: one byte, the founder (byte % 7: key 0..5, or 6: no founder on
 * record), then records, each 7 bytes and then its replaces:
 *
 *   0  kind: bits 0-2 % 7 + 10 (role .. remove, 6: epoch, a rotation);
 *      bit 3 set: the target entry is not held; bits 4-7: the first byte
 *      of the record's id (the tie-break at one timestamp; the second
 *      byte is the record's index, so ids are unique)
 *   1  author: key byte % 6
 *   2  target: role and remove, key byte % 6; epoch, the second byte of
 *      its check; the others, t = byte % (8 + i) for record i: t < 8 one
 *      of eight ordinary entries (a post by key t % 6), else record
 *      t - 8's id (a governance entry)
 *   3  role: byte % 3 (GOV_ROLE_*); bits 2-3: how many replaces (0..3),
 *      or for an epoch, how many seals less one (1..4)
 *   4  seq: byte + 1
 *   5  ts: byte (a small range, so ties are common)
 *   6  anchor ("seen" of a role record, "seq" of a removal): byte; the
 *      epoch of a rotation: byte % 8 + 1 (ties common too)
 *   7.. one byte per replaces: x % (i + 1), an earlier record's id, or
 *      (== i) an id no record has; per seal: x % 7, key 0..5 or (6) a
 *      member no record names
 *
 * Beyond the other kinds' invariants, the rotations': at most one is
 * applied, and it is the state's epoch_by; none applied or superseded
 * seals to a member removed in the end, each "sealed to a removed member"
 * does; the one in force beats each superseded one (higher epoch, then
 * lower id).
 *
 * A short last record is dropped. FUZZ_GOV_TRACE=1 in the environment
 * prints each record's effect, to check what the seeds reach.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "entry.h"
#include "gov.h"

#include "fuzz.h"

#define GOV_FUZZ_MAX 64
#define GOV_FUZZ_KEYS 6
#define GOV_FUZZ_POSTS 8
#define GOV_FUZZ_REPL 3
#define GOV_FUZZ_SEALS 4
#define GOV_FUZZ_EPOCHS 8
#define GOV_FUZZ_HDR 7

static uint8_t keys[GOV_FUZZ_KEYS][KEY_PUBLIC_LEN];
static uint8_t repl[GOV_FUZZ_MAX][GOV_FUZZ_REPL][ENTRY_ID_LEN];
static uint8_t sealto[GOV_FUZZ_MAX][GOV_FUZZ_SEALS][KEY_PUBLIC_LEN];

static int trace = -1;

static void fail(const char *why, const struct gov_rec *r, size_t n)
{
	size_t i;

	fprintf(stderr, "fuzz_gov: %s\n", why);
	for (i = 0; r && i < n; i++)
		fprintf(stderr, "  [%zu] in#%zu ts %" PRIu64 " author %u seq %"
			PRIu64 " %s target %02x%02x role %d anchor %" PRIu64
			" nrepl %zu held %d nseals %zu: %s\n", i, r[i].user,
			r[i].ts, (r[i].author[0] >> 4) - 1, r[i].seq,
			entry_kind_name(r[i].kind), r[i].target[0],
			r[i].target[1], r[i].role, r[i].anchor, r[i].nreplaces,
			r[i].target_held, r[i].nseals,
			gov_effect_name(r[i].effect));
	__builtin_trap();
}

static int is_key(const uint8_t *a, const uint8_t *b)
{
	return b && !memcmp(a, b, KEY_PUBLIC_LEN);
}

/* The input's records into r (user = the input index); how many. */
static size_t decode(const uint8_t *d, size_t size, struct gov_rec *r)
{
	size_t n = 0, off = 0, k;

	memset(r, 0, GOV_FUZZ_MAX * sizeof(*r));
	while (n < GOV_FUZZ_MAX && size - off >= GOV_FUZZ_HDR) {
		const uint8_t *b = d + off;
		struct gov_rec *x = &r[n];
		size_t nrepl = (b[3] >> 2) & 3, t;

		x->kind = (uint8_t)(ENTRY_KIND_ROLE + (b[0] & 7) % 7);
		if (x->kind == ENTRY_KIND_EPOCH)
			nrepl++; /* the seals, 1..GOV_FUZZ_SEALS */
		if (size - off < GOV_FUZZ_HDR + nrepl)
			break;
		x->id[0] = b[0] >> 4;
		x->id[1] = (uint8_t)n;
		x->id[2] = 0xa0;
		memcpy(x->author, keys[b[1] % GOV_FUZZ_KEYS], KEY_PUBLIC_LEN);
		x->role = b[3] % 3;
		x->seq = (uint64_t)b[4] + 1;
		x->ts = b[5];
		x->anchor = b[6];
		x->user = n;
		if (x->kind == ENTRY_KIND_ROLE || x->kind == ENTRY_KIND_REMOVE) {
			memcpy(x->target, keys[b[2] % GOV_FUZZ_KEYS],
			       KEY_PUBLIC_LEN);
		} else if (x->kind == ENTRY_KIND_EPOCH) {
			x->target[0] = 0xc5; /* its check */
			x->target[1] = b[2];
			x->anchor = 1 + b[6] % GOV_FUZZ_EPOCHS;
			for (k = 0; k < nrepl; k++) {
				size_t m = b[GOV_FUZZ_HDR + k] %
					   (GOV_FUZZ_KEYS + 1);

				if (m < GOV_FUZZ_KEYS)
					memcpy(sealto[n][k], keys[m],
					       KEY_PUBLIC_LEN);
				else
					memset(sealto[n][k], 0xee,
					       KEY_PUBLIC_LEN);
			}
			x->seals = (const uint8_t(*)[KEY_PUBLIC_LEN])sealto[n];
			x->nseals = nrepl;
		} else if ((t = b[2] % (GOV_FUZZ_POSTS + n)) < GOV_FUZZ_POSTS) {
			x->target[0] = 0xe0;
			x->target[1] = (uint8_t)t;
			x->target_held = !(b[0] & 8);
			if (x->target_held) {
				memcpy(x->target_author,
				       keys[t % GOV_FUZZ_KEYS], KEY_PUBLIC_LEN);
				x->target_kind = ENTRY_KIND_POST;
			}
		} else {
			const struct gov_rec *g = &r[t - GOV_FUZZ_POSTS];

			memcpy(x->target, g->id, ENTRY_ID_LEN);
			x->target_held = !(b[0] & 8);
			if (x->target_held) {
				memcpy(x->target_author, g->author,
				       KEY_PUBLIC_LEN);
				x->target_kind = g->kind;
			}
		}
		if (x->kind == ENTRY_KIND_ROLE) {
			for (k = 0; k < nrepl; k++) {
				size_t j = b[GOV_FUZZ_HDR + k] % (n + 1);

				if (j < n)
					memcpy(repl[n][k], r[j].id, ENTRY_ID_LEN);
				else
					memset(repl[n][k], 0xdd, ENTRY_ID_LEN);
			}
			x->replaces = (const uint8_t(*)[ENTRY_ID_LEN])repl[n];
			x->nreplaces = nrepl;
		}
		off += GOV_FUZZ_HDR + nrepl;
		n++;
	}
	return n;
}

/* The input index of record i of a resolved set, or SIZE_MAX. */
static size_t user_of(const struct gov_rec *r, size_t i)
{
	return i == SIZE_MAX ? SIZE_MAX : r[i].user;
}

/* NULL if both resolved sets are equal: effects per record, members,
 * marks (record indices compared as the records they name). */
static const char *same(const struct gov_rec *a, const struct gov_state *sa,
			const struct gov_rec *b, const struct gov_state *sb,
			size_t n)
{
	enum gov_effect eff[GOV_FUZZ_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		eff[a[i].user] = a[i].effect;
	for (i = 0; i < n; i++)
		if (eff[b[i].user] != b[i].effect)
			return "a record's effect differs between the orders";
	if (sa->nmembers != sb->nmembers)
		return "member count differs";
	for (i = 0; i < sa->nmembers; i++) {
		const struct gov_member *x = &sa->members[i];
		const struct gov_member *y = &sb->members[i];

		if (memcmp(x->key, y->key, KEY_PUBLIC_LEN) ||
		    x->role != y->role || x->removed != y->removed ||
		    x->cut != y->cut)
			return "a member's role, removal or cut differs";
		if (user_of(a, x->role_by) != user_of(b, y->role_by) ||
		    user_of(a, x->removed_by) != user_of(b, y->removed_by))
			return "the record that set a role or removal differs";
	}
	if (sa->nhidden != sb->nhidden || sa->nerased != sb->nerased)
		return "hidden or erased count differs";
	for (i = 0; i < sa->nhidden; i++)
		if (memcmp(sa->hidden[i].target, sb->hidden[i].target,
			   ENTRY_ID_LEN) ||
		    a[sa->hidden[i].by].user != b[sb->hidden[i].by].user)
			return "hidden set differs";
	for (i = 0; i < sa->nerased; i++)
		if (memcmp(sa->erased[i].target, sb->erased[i].target,
			   ENTRY_ID_LEN) ||
		    a[sa->erased[i].by].user != b[sb->erased[i].by].user)
			return "erased set differs";
	if (sa->passes != sb->passes)
		return "pass count differs";
	if (user_of(a, sa->epoch_by) != user_of(b, sb->epoch_by))
		return "the rotation in force (epoch_by) differs";
	return NULL;
}

/* Loosely, record i's author had a facilitator's authority: it is the
 * founder or an applied role record before i made it one, and no applied
 * removal before i removed it. */
static int traced(const struct gov_rec *r, size_t i, const uint8_t *founder)
{
	size_t j;
	int granted = is_key(r[i].author, founder);

	for (j = 0; j < i; j++) {
		if (r[j].effect != GOV_APPLIED || !is_key(r[j].target, r[i].author))
			continue;
		if (r[j].kind == ENTRY_KIND_REMOVE)
			return 0;
		if (r[j].kind == ENTRY_KIND_ROLE &&
		    r[j].role == GOV_ROLE_FACILITATOR)
			granted = 1;
	}
	return granted;
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

/* NULL if the rotations' invariants hold (see the top of the file). */
static const char *epoch_invariants(const struct gov_rec *r, size_t n,
				    const struct gov_state *s)
{
	size_t i, napplied = 0;

	if (s->epoch_by != SIZE_MAX &&
	    (s->epoch_by >= n || r[s->epoch_by].kind != ENTRY_KIND_EPOCH ||
	     r[s->epoch_by].effect != GOV_APPLIED))
		return "epoch_by names no applied rotation";
	for (i = 0; i < n; i++) {
		const struct gov_rec *x = &r[i], *f;

		if (x->kind != ENTRY_KIND_EPOCH) {
			if (x->effect == GOV_SEALED_REMOVED ||
			    x->effect == GOV_SUPERSEDED)
				return "a rotation's effect on a record that "
				       "is no rotation";
			continue;
		}
		switch (x->effect) {
		case GOV_SEALED_REMOVED:
			if (!seals_removed(x, s))
				return "'sealed to a removed member' on a "
				       "rotation sealed to none";
			break;
		case GOV_APPLIED:
			napplied++;
			if (s->epoch_by != i)
				return "an applied rotation is not epoch_by";
			/* fall through */
		case GOV_SUPERSEDED:
			if (seals_removed(x, s))
				return "a rotation applied or superseded, "
				       "sealed to a removed member";
			if (x->effect == GOV_APPLIED)
				break;
			if (s->epoch_by == SIZE_MAX)
				return "a rotation superseded by none";
			f = &r[s->epoch_by];
			if (x->anchor > f->anchor ||
			    (x->anchor == f->anchor &&
			     memcmp(x->id, f->id, ENTRY_ID_LEN) < 0))
				return "a superseded rotation beats the one "
				       "in force";
			break;
		default:
			break;
		}
	}
	if (napplied > 1)
		return "more than one rotation applied";
	if (!napplied && s->epoch_by != SIZE_MAX)
		return "epoch_by set, but no rotation applied";
	return NULL;
}

/* NULL if the rules' invariants hold over one resolved set. */
static const char *invariants(const struct gov_rec *r, size_t n,
			      const struct gov_state *s,
			      const uint8_t *founder)
{
	size_t i, j;

	if (founder) {
		const struct gov_member *f = gov_member_find(s, founder);

		if (!f || f->role != GOV_ROLE_FACILITATOR || f->removed)
			return "the founder is not a facilitator";
	}
	for (i = 0; i < n; i++) {
		const struct gov_rec *x = &r[i];
		const struct gov_member *a = gov_member_find(s, x->author);
		int about = x->kind == ENTRY_KIND_ROLE ||
			    x->kind == ENTRY_KIND_REMOVE;

		if (i && (r[i - 1].ts > x->ts ||
			  (r[i - 1].ts == x->ts &&
			   memcmp(r[i - 1].id, x->id, ENTRY_ID_LEN) >= 0)))
			return "records not in (ts, id) order";
		if (!a)
			return "an author missing from the members";
		switch (x->effect) {
		case GOV_APPLIED:
			break;
		case GOV_FOUNDER:
			if (!about || !is_key(x->target, founder))
				return "'founder' on a record not about it";
			continue;
		case GOV_SELF:
			if (x->kind != ENTRY_KIND_REMOVE ||
			    !is_key(x->target, x->author))
				return "'self' on a record not a self-removal";
			continue;
		case GOV_NOT_ERASABLE:
			if (x->kind != ENTRY_KIND_ERASE || !x->target_held ||
			    !ENTRY_KIND_IS_GOV(x->target_kind))
				return "'not erasable' on an erasable target";
			continue;
		case GOV_UNKNOWN_TARGET:
			if (x->kind != ENTRY_KIND_ERASE || x->target_held)
				return "'unknown target' on a held target";
			continue;
		case GOV_REMOVED:
			if (!a->removed || x->seq <= a->cut)
				return "'removed' on a record its author kept";
			continue;
		case GOV_NO_AUTHORITY:
			if (x->kind == ENTRY_KIND_REPORT)
				return "a report refused for authority";
			continue;
		case GOV_VOIDED:
			continue;
		case GOV_SEALED_REMOVED:
		case GOV_SUPERSEDED:
			/* judged on its seals and epoch once it had applied:
			 * only the founder's ever apply */
			if (x->kind == ENTRY_KIND_EPOCH &&
			    !is_key(x->author, founder))
				return "a rotation judged on its seals, but its "
				       "author is not the founder";
			continue;
		default:
			return "a record without an effect";
		}
		/* applied */
		if (a->removed && x->seq > a->cut)
			return "a removed member's record after its cut applied";
		if (about && is_key(x->target, founder))
			return "a record about the founder applied";
		if (x->kind == ENTRY_KIND_REMOVE && is_key(x->target, x->author))
			return "a self-removal applied";
		if (x->kind == ENTRY_KIND_ERASE && x->target_held &&
		    ENTRY_KIND_IS_GOV(x->target_kind))
			return "an erasure of a governance record applied";
		if (x->kind == ENTRY_KIND_REPORT ||
		    (x->kind == ENTRY_KIND_ERASE && x->target_held &&
		     is_key(x->target_author, x->author)))
			continue; /* needs no role */
		if (!traced(r, i, founder))
			return "applied, but its author was not made a "
			       "facilitator before it, or was removed";
		if (x->kind == ENTRY_KIND_EPOCH && !is_key(x->author, founder))
			return "a rotation applied, but not the founder's";
	}
	for (i = 0; i < s->nmembers; i++) {
		const struct gov_member *m = &s->members[i];

		if (m->role_by == SIZE_MAX) {
			if (m->role != (is_key(m->key, founder)
						? GOV_ROLE_FACILITATOR
						: GOV_ROLE_LEARNER))
				return "a role set by no record";
		} else if (m->role_by >= n ||
			   r[m->role_by].effect != GOV_APPLIED ||
			   r[m->role_by].kind != ENTRY_KIND_ROLE ||
			   !is_key(r[m->role_by].target, m->key) ||
			   r[m->role_by].role != m->role) {
			return "a role set by a record that did not set it";
		}
		if (!m->removed)
			continue;
		if (m->removed_by >= n ||
		    r[m->removed_by].effect != GOV_APPLIED ||
		    r[m->removed_by].kind != ENTRY_KIND_REMOVE ||
		    !is_key(r[m->removed_by].target, m->key) ||
		    r[m->removed_by].anchor != m->cut)
			return "a removal by a record that did not remove";
		for (j = 0; j < n; j++)
			if (r[j].effect == GOV_APPLIED &&
			    r[j].kind == ENTRY_KIND_REMOVE &&
			    is_key(r[j].target, m->key) && r[j].anchor < m->cut)
				return "a removal's cut is not the smallest";
	}
	/* hidden: the targets whose last applied hide or unhide is a hide,
	 * marked by it; erased: by the first applied erasure */
	for (i = 0; i < s->nhidden; i++)
		if (s->hidden[i].by >= n ||
		    r[s->hidden[i].by].kind != ENTRY_KIND_HIDE ||
		    r[s->hidden[i].by].effect != GOV_APPLIED ||
		    memcmp(r[s->hidden[i].by].target, s->hidden[i].target,
			   ENTRY_ID_LEN))
			return "a hidden mark by a record that is no hide";
	for (i = 0; i < s->nerased; i++)
		if (s->erased[i].by >= n ||
		    r[s->erased[i].by].kind != ENTRY_KIND_ERASE ||
		    r[s->erased[i].by].effect != GOV_APPLIED ||
		    memcmp(r[s->erased[i].by].target, s->erased[i].target,
			   ENTRY_ID_LEN))
			return "an erased mark by a record that is no erasure";
	for (i = 0; i < n; i++) {
		const struct gov_mark *h, *e;
		size_t last = SIZE_MAX, first = SIZE_MAX;

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
		if ((last != SIZE_MAX && r[last].kind == ENTRY_KIND_HIDE)
			    ? (!h || h->by != last) : h != NULL)
			return "hidden set is not the last hide or unhide";
		if (first != SIZE_MAX ? (!e || e->by != first) : e != NULL)
			return "erased set is not the first erasure";
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gov_rec a[GOV_FUZZ_MAX], b[GOV_FUZZ_MAX];
	struct gov_state sa, sb;
	const uint8_t *founder;
	const char *why;
	struct err e;
	size_t n, i;

	if (trace < 0)
		trace = getenv("FUZZ_GOV_TRACE") != NULL;
	if (!keys[0][0])
		for (i = 0; i < GOV_FUZZ_KEYS; i++)
			memset(keys[i], (int)(0x10 * (i + 1)), KEY_PUBLIC_LEN);
	if (size < 1)
		return 0;
	founder = data[0] % 7 < GOV_FUZZ_KEYS ? keys[data[0] % 7] : NULL;
	n = decode(data + 1, size - 1, a);
	for (i = 0; i < n; i++)
		b[i] = a[n - 1 - i];
	err_clear(&e);
	if (gov_resolve(a, n, founder, &sa, &e) != 0)
		fail("gov_resolve failed on the input order", NULL, 0);
	if (gov_resolve(b, n, founder, &sb, &e) != 0)
		fail("gov_resolve failed on the reversed order", NULL, 0);
	if (trace) {
		fprintf(stderr, "fuzz_gov: %zu records, %zu passes, %zu members,"
			" %zu hidden, %zu erased, in force: in#%zd\n", n,
			sa.passes, sa.nmembers, sa.nhidden, sa.nerased,
			sa.epoch_by == SIZE_MAX ? (ssize_t)-1
						: (ssize_t)a[sa.epoch_by].user);
		for (i = 0; i < n; i++)
			fprintf(stderr, "  in#%zu %s by %u: %s\n", a[i].user,
				entry_kind_name(a[i].kind), (a[i].author[0] >> 4) - 1,
				gov_effect_name(a[i].effect));
	}
	why = same(a, &sa, b, &sb, n);
	if (!why)
		why = invariants(a, n, &sa, founder);
	if (!why)
		why = epoch_invariants(a, n, &sa);
	if (why)
		fail(why, a, n);
	gov_state_release(&sa);
	gov_state_release(&sb);
	return 0;
}
