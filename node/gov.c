/*
 * gov: the governance rules as a pure function of a set of records (see
 * gov.h for the rules and docs/governance.md for their reasons).
 *
 * One pass takes the records in (ts, id) order and judges each against the
 * state so far. When a member stops being a facilitator, its records
 * written after what the demoting record had seen of its feed are voided
 * for good, and the pass starts again from an empty state: the voided set
 * only grows, so the passes end (at most one more than the records that
 * can void), and each pass is a function of the set alone.
 */
#include <stdlib.h>
#include <string.h>

#include "gov.h"

static const char *const effect_names[GOV_EFFECT_COUNT] = {
	[GOV_APPLIED] = "applied",
	[GOV_NO_AUTHORITY] = "no authority",
	[GOV_VOIDED] = "voided",
	[GOV_FOUNDER] = "founder",
	[GOV_SELF] = "self",
	[GOV_NOT_ERASABLE] = "not erasable",
	[GOV_UNKNOWN_TARGET] = "unknown target",
	[GOV_REMOVED] = "removed",
	[GOV_SEALED_REMOVED] = "sealed to a removed member",
	[GOV_SUPERSEDED] = "superseded",
};

const char *gov_effect_name(enum gov_effect ef)
{
	if ((unsigned)ef >= GOV_EFFECT_COUNT)
		return "?";
	return effect_names[ef];
}

static int rec_order(const void *a, const void *b)
{
	const struct gov_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->id, y->id, ENTRY_ID_LEN);
}

static int key_cmp(const void *key, const void *member)
{
	return memcmp(key, ((const struct gov_member *)member)->key,
		      KEY_PUBLIC_LEN);
}

static int mark_cmp(const void *a, const void *b)
{
	return memcmp(((const struct gov_mark *)a)->target,
		      ((const struct gov_mark *)b)->target, ENTRY_ID_LEN);
}

const struct gov_member *gov_member_find(const struct gov_state *st,
					 const uint8_t key[KEY_PUBLIC_LEN])
{
	if (!st->nmembers)
		return NULL;
	return bsearch(key, st->members, st->nmembers, sizeof(*st->members),
		       key_cmp);
}

const struct gov_mark *gov_mark_find(const struct gov_mark *v, size_t n,
				     const uint8_t target[ENTRY_ID_LEN])
{
	struct gov_mark k;

	if (!n)
		return NULL;
	memcpy(k.target, target, ENTRY_ID_LEN);
	return bsearch(&k, v, n, sizeof(*v), mark_cmp);
}

void gov_state_release(struct gov_state *st)
{
	size_t i;

	for (i = 0; i < st->nmembers; i++)
		free(st->members[i].heads);
	free(st->members);
	free(st->hidden);
	free(st->erased);
	memset(st, 0, sizeof(*st));
}

/* Every key a record names as author or member, once, sorted: the
 * members array is made once and only its fields change between passes. */
static int members_make(struct gov_state *st, const struct gov_rec *recs,
			size_t n, const uint8_t *founder, struct err *e)
{
	size_t i, j, cap = 2 * n + 1;

	st->members = calloc(cap, sizeof(*st->members));
	if (!st->members)
		return err_set(e, STOA_ENOMEM, "governance: out of memory");
	if (founder)
		memcpy(st->members[st->nmembers++].key, founder, KEY_PUBLIC_LEN);
	for (i = 0; i < n; i++) {
		memcpy(st->members[st->nmembers++].key, recs[i].author,
		       KEY_PUBLIC_LEN);
		if (recs[i].kind == ENTRY_KIND_ROLE ||
		    recs[i].kind == ENTRY_KIND_REMOVE)
			memcpy(st->members[st->nmembers++].key, recs[i].target,
			       KEY_PUBLIC_LEN);
	}
	qsort(st->members, st->nmembers, sizeof(*st->members), key_cmp);
	for (i = j = 0; i < st->nmembers; i++)
		if (!j || memcmp(st->members[j - 1].key, st->members[i].key,
				 KEY_PUBLIC_LEN))
			st->members[j++] = st->members[i];
	st->nmembers = j;
	return 0;
}

static struct gov_member *member_of(struct gov_state *st, const uint8_t *key)
{
	/* every key was added by members_make */
	return (struct gov_member *)gov_member_find(st, key);
}

static void members_reset(struct gov_state *st, const uint8_t *founder)
{
	size_t i;

	for (i = 0; i < st->nmembers; i++) {
		struct gov_member *m = &st->members[i];

		m->role = founder && !memcmp(m->key, founder, KEY_PUBLIC_LEN)
				  ? GOV_ROLE_FACILITATOR
				  : GOV_ROLE_LEARNER;
		m->role_by = SIZE_MAX;
		m->removed = 0;
		m->cut = 0;
		m->removed_by = SIZE_MAX;
		m->nheads = 0;
	}
}

static int is_facilitator(const struct gov_member *m)
{
	return !m->removed && m->role == GOV_ROLE_FACILITATOR;
}

/* Adds record r (index ri) to m's role heads, after dropping the heads
 * it replaces and its author's earlier ones; then sets m's role to the
 * least permissive head (ties: the smallest anchor, then index). */
static int role_apply(struct gov_member *m, const struct gov_rec *recs,
		      size_t ri, struct err *e)
{
	const struct gov_rec *r = &recs[ri];
	size_t i, j, k;

	for (i = j = 0; i < m->nheads; i++) {
		const struct gov_rec *h = &recs[m->heads[i]];
		int drop = !memcmp(h->author, r->author, KEY_PUBLIC_LEN);

		for (k = 0; !drop && k < r->nreplaces; k++)
			drop = !memcmp(h->id, r->replaces[k], ENTRY_ID_LEN);
		if (!drop)
			m->heads[j++] = m->heads[i];
	}
	m->nheads = j;
	if (m->nheads == m->capheads) {
		size_t cap = m->capheads ? 2 * m->capheads : 4;
		size_t *v = realloc(m->heads, cap * sizeof(*v));

		if (!v)
			return err_set(e, STOA_ENOMEM, "governance: out of memory");
		m->heads = v;
		m->capheads = cap;
	}
	m->heads[m->nheads++] = ri;
	m->role_by = m->heads[0];
	for (i = 1; i < m->nheads; i++) {
		const struct gov_rec *h = &recs[m->heads[i]];
		const struct gov_rec *b = &recs[m->role_by];

		if (h->role < b->role ||
		    (h->role == b->role && h->anchor < b->anchor))
			m->role_by = m->heads[i];
	}
	m->role = recs[m->role_by].role;
	return 0;
}

/* The records' indices by (author, index): a member's records at once. */
struct by_author {
	uint8_t author[KEY_PUBLIC_LEN];
	size_t i;
};

static int by_author_cmp(const void *a, const void *b)
{
	const struct by_author *x = a, *y = b;
	int c = memcmp(x->author, y->author, KEY_PUBLIC_LEN);

	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Voids the records of key written after seq after that this pass has
 * already applied (those before upto); 1 if any. Those after upto are
 * judged as they come, against the member's role by then. */
static int void_after(struct gov_rec *recs, const struct by_author *ba,
		      size_t n, size_t upto, unsigned char *voided,
		      const uint8_t *key, uint64_t after, int removal)
{
	size_t lo = 0, hi = n, k, i;
	int any = 0;

	while (lo < hi) { /* the first of key's records */
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(ba[mid].author, key, KEY_PUBLIC_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < n && ba[k].i < upto &&
		     !memcmp(ba[k].author, key, KEY_PUBLIC_LEN); k++) {
		i = ba[k].i;
		/* a report and an erasure of one's own entry need no role:
		 * a demotion takes nothing from them (a removal does: what
		 * comes after its cut is not held at all) */
		if (!removal && (recs[i].kind == ENTRY_KIND_REPORT ||
				 (recs[i].kind == ENTRY_KIND_ERASE &&
				  recs[i].target_held &&
				  !memcmp(recs[i].target_author, key,
					  KEY_PUBLIC_LEN))))
			continue;
		if (!voided[i] && recs[i].effect == GOV_APPLIED &&
		    recs[i].seq > after) {
			voided[i] = 1;
			/* only a role or removal changed the state the later
			 * records were judged by: the others just lose effect */
			if (recs[i].kind == ENTRY_KIND_ROLE ||
			    recs[i].kind == ENTRY_KIND_REMOVE)
				any = 1;
			else
				recs[i].effect = GOV_VOIDED;
		}
	}
	return any;
}

/* The effect of record i given the state so far, applying it if it
 * applies. 1 if it voided earlier records (the pass must start again). */
static int judge(struct gov_state *st, struct gov_rec *recs, size_t i,
		 const struct by_author *ba, size_t n, unsigned char *voided,
		 const uint8_t *founder, struct err *e)
{
	struct gov_rec *r = &recs[i];
	struct gov_member *a = member_of(st, r->author), *m;
	int was, rc;

	if (a->removed && r->seq > a->cut) {
		r->effect = GOV_REMOVED;
		return 0;
	}
	if (voided[i]) {
		r->effect = GOV_VOIDED;
		return 0;
	}
	switch (r->kind) {
	case ENTRY_KIND_REPORT:
		r->effect = GOV_APPLIED;
		return 0;
	case ENTRY_KIND_ERASE:
		if (r->target_held && ENTRY_KIND_IS_GOV(r->target_kind)) {
			r->effect = GOV_NOT_ERASABLE;
			return 0;
		}
		if (r->target_held &&
		    !memcmp(r->target_author, r->author, KEY_PUBLIC_LEN))
			r->effect = GOV_APPLIED;
		else if (is_facilitator(a))
			r->effect = GOV_APPLIED;
		else
			r->effect = r->target_held ? GOV_NO_AUTHORITY
						   : GOV_UNKNOWN_TARGET;
		return 0;
	default:
		break;
	}
	if (!is_facilitator(a) ||
	    /* one writer of rotations, so two can never be concurrent: a
	     * node on one's epoch could not reach a node on the other's */
	    (r->kind == ENTRY_KIND_EPOCH &&
	     (!founder || memcmp(r->author, founder, KEY_PUBLIC_LEN)))) {
		r->effect = GOV_NO_AUTHORITY;
		return 0;
	}
	if (r->kind == ENTRY_KIND_HIDE || r->kind == ENTRY_KIND_UNHIDE ||
	    r->kind == ENTRY_KIND_EPOCH) {
		r->effect = GOV_APPLIED;
		return 0;
	}
	/* role or remove: about a member */
	if (founder && !memcmp(r->target, founder, KEY_PUBLIC_LEN)) {
		r->effect = GOV_FOUNDER;
		return 0;
	}
	m = member_of(st, r->target);
	was = is_facilitator(m);
	if (r->kind == ENTRY_KIND_REMOVE) {
		if (m == a) {
			r->effect = GOV_SELF;
			return 0;
		}
		r->effect = GOV_APPLIED;
		if (!m->removed || r->anchor < m->cut) {
			m->cut = r->anchor;
			m->removed_by = i;
		}
		m->removed = 1;
		/* entries after the cut are not held (gov_store deletes
		 * them); records among them lose their effect */
		return void_after(recs, ba, n, i, voided, m->key, m->cut, 1);
	}
	r->effect = GOV_APPLIED;
	if ((rc = role_apply(m, recs, i, e)) < 0)
		return rc;
	if (was && !is_facilitator(m))
		return void_after(recs, ba, n, i, voided, m->key,
				  recs[m->role_by].anchor, 0);
	return 0;
}

/* The hidden and erased targets of the final pass, sorted. */
static int marks_make(struct gov_state *st, const struct gov_rec *recs,
		      size_t n, struct err *e)
{
	size_t i, j;

	st->hidden = calloc(n + 1, sizeof(*st->hidden));
	st->erased = calloc(n + 1, sizeof(*st->erased));
	if (!st->hidden || !st->erased)
		return err_set(e, STOA_ENOMEM, "governance: out of memory");
	for (i = 0; i < n; i++) {
		const struct gov_rec *r = &recs[i];
		struct gov_mark *mk;

		if (r->effect != GOV_APPLIED)
			continue;
		if (r->kind == ENTRY_KIND_ERASE) {
			mk = &st->erased[st->nerased++];
		} else if (r->kind == ENTRY_KIND_HIDE) {
			mk = &st->hidden[st->nhidden++];
		} else if (r->kind == ENTRY_KIND_UNHIDE) {
			/* the later record wins: drop the earlier hide */
			for (j = 0; j < st->nhidden;)
				if (!memcmp(st->hidden[j].target, r->target,
					    ENTRY_ID_LEN))
					st->hidden[j] = st->hidden[--st->nhidden];
				else
					j++;
			continue;
		} else {
			continue;
		}
		memcpy(mk->target, r->target, ENTRY_ID_LEN);
		mk->by = i;
	}
	/* a hide of a target already hidden replaces the earlier one; an
	 * erasure stays with its first record */
	qsort(st->hidden, st->nhidden, sizeof(*st->hidden), mark_cmp);
	qsort(st->erased, st->nerased, sizeof(*st->erased), mark_cmp);
	for (i = j = 0; i < st->nhidden; i++) {
		if (j && !memcmp(st->hidden[j - 1].target, st->hidden[i].target,
				 ENTRY_ID_LEN)) {
			if (st->hidden[i].by > st->hidden[j - 1].by)
				st->hidden[j - 1] = st->hidden[i];
			continue;
		}
		st->hidden[j++] = st->hidden[i];
	}
	st->nhidden = j;
	for (i = j = 0; i < st->nerased; i++) {
		if (j && !memcmp(st->erased[j - 1].target, st->erased[i].target,
				 ENTRY_ID_LEN)) {
			if (st->erased[i].by < st->erased[j - 1].by)
				st->erased[j - 1] = st->erased[i];
			continue;
		}
		st->erased[j++] = st->erased[i];
	}
	st->nerased = j;
	return 0;
}

/*
 * The rotation in force, judged on the final state: a rotation sealed to
 * a member removed in the end would hand that member the secret, so it
 * has no effect; of the others the highest epoch wins, then the lowest
 * id (records are in (ts, id) order, ids unique).
 */
static void epoch_settle(struct gov_state *st, struct gov_rec *recs,
			 size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct gov_rec *r = &recs[i];

		if (r->kind != ENTRY_KIND_EPOCH || r->effect != GOV_APPLIED)
			continue;
		for (k = 0; k < r->nseals; k++) {
			const struct gov_member *m =
				gov_member_find(st, r->seals[k]);

			if (m && m->removed) {
				r->effect = GOV_SEALED_REMOVED;
				break;
			}
		}
		if (r->effect != GOV_APPLIED)
			continue;
		if (st->epoch_by == SIZE_MAX ||
		    r->anchor > recs[st->epoch_by].anchor ||
		    (r->anchor == recs[st->epoch_by].anchor &&
		     memcmp(r->id, recs[st->epoch_by].id, ENTRY_ID_LEN) < 0)) {
			if (st->epoch_by != SIZE_MAX)
				recs[st->epoch_by].effect = GOV_SUPERSEDED;
			st->epoch_by = i;
		} else {
			r->effect = GOV_SUPERSEDED;
		}
	}
}

int gov_resolve(struct gov_rec *recs, size_t n, const uint8_t *founder,
		struct gov_state *st, struct err *e)
{
	unsigned char *voided;
	struct by_author *ba;
	size_t i;
	int rc = 0, again;

	memset(st, 0, sizeof(*st));
	st->epoch_by = SIZE_MAX;
	if (n) /* recs may be NULL then: qsort's base may not */
		qsort(recs, n, sizeof(*recs), rec_order);
	voided = calloc(n + 1, 1);
	ba = calloc(n + 1, sizeof(*ba));
	if (!voided || !ba) {
		free(voided);
		free(ba);
		return err_set(e, STOA_ENOMEM, "governance: out of memory");
	}
	for (i = 0; i < n; i++) {
		memcpy(ba[i].author, recs[i].author, KEY_PUBLIC_LEN);
		ba[i].i = i;
	}
	qsort(ba, n, sizeof(*ba), by_author_cmp);
	if ((rc = members_make(st, recs, n, founder, e)) < 0)
		goto out;
	do {
		st->passes++;
		members_reset(st, founder);
		for (i = 0; i < n; i++)
			recs[i].effect = GOV_APPLIED;
		again = 0;
		for (i = 0; i < n && !again; i++) {
			rc = judge(st, recs, i, ba, n, voided, founder, e);
			if (rc < 0)
				goto out;
			again = rc;
		}
	} while (again);
	st->epoch_by = SIZE_MAX;
	epoch_settle(st, recs, n);
	rc = marks_make(st, recs, n, e);
out:
	free(voided);
	free(ba);
	if (rc < 0)
		gov_state_release(st);
	return rc < 0 ? rc : 0;
}
