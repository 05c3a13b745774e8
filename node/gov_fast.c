/*
 * gov_fast: the fast path of gov_store.c for governance records that
 * cannot matter, and who may lead, which it rests on. A member flooding
 * records of no effect (every record is valid without authority) would
 * otherwise make every later commit that wrote one run the rules over
 * all of them (docs/benchmarks.md, "Governance floods").
 *
 * It owns the connection's knowledge from its last full run (struct
 * store's gov_fast, gov_keys, gov_rows, gov_nmembers, gov_last_n), which
 * gov_store.c drops whenever it may be stale (another connection's
 * commit, a rollback). It must never decide a record that could change
 * another record's effect, the state or the rotation in force: those
 * take the full run.
 */
#include <stdlib.h>
#include <string.h>

#include "gov.h"
#include "store_int.h"

/*
 * Who may lead: may[i] = 1 if recs[i]'s author may be a facilitator at
 * some point of gov_resolve's passes over recs: the founder (if any), or
 * a member some role record names facilitator whose own author may be
 * one. A walk from the founder along the role records that name a
 * facilitator, whatever their effect. It is exact: at every moment of
 * every pass a facilitator is the founder or a member whose role heads
 * are facilitator role records, each applied while its author was a
 * facilitator (gov.c), so, by induction on the records taken, a member
 * the walk reaches. A record of anyone else never applies unless it
 * needs no role (a report, an erasure of one's own entry): not a role,
 * hide, unhide, removal or rotation.
 */
struct lead_edge {
	uint8_t author[KEY_PUBLIC_LEN], target[KEY_PUBLIC_LEN];
};

struct lead_key {
	uint8_t key[KEY_PUBLIC_LEN];
	int in;
};

static int lead_cmp(const void *a, const void *b)
{
	return memcmp(a, b, KEY_PUBLIC_LEN); /* both start with the key */
}

static struct lead_key *lead_find(struct lead_key *v, size_t n,
				  const uint8_t *key)
{
	return n ? bsearch(key, v, n, sizeof(*v), lead_cmp) : NULL;
}

int gov_fast_may_lead(const struct gov_rec *recs, size_t n,
		      const uint8_t *founder, unsigned char *may,
		      struct err *e)
{
	struct lead_edge *g = NULL; /* by author */
	struct lead_key *k = NULL, *t;
	size_t *queue = NULL, ng = 0, nk = 0, head = 0, tail = 0, i, j;
	int rc = 0;

	memset(may, 0, n);
	if (!founder)
		return 0;
	g = calloc(n + 1, sizeof(*g));
	k = calloc(n + 1, sizeof(*k));
	queue = calloc(n + 1, sizeof(*queue));
	if (!g || !k || !queue) {
		rc = err_set(e, STOA_ENOMEM, "governance: out of memory");
		goto out;
	}
	memcpy(k[nk++].key, founder, KEY_PUBLIC_LEN);
	for (i = 0; i < n; i++) {
		if (recs[i].kind != ENTRY_KIND_ROLE ||
		    recs[i].role != GOV_ROLE_FACILITATOR)
			continue;
		memcpy(g[ng].author, recs[i].author, KEY_PUBLIC_LEN);
		memcpy(g[ng++].target, recs[i].target, KEY_PUBLIC_LEN);
		memcpy(k[nk++].key, recs[i].target, KEY_PUBLIC_LEN);
	}
	qsort(g, ng, sizeof(*g), lead_cmp);
	qsort(k, nk, sizeof(*k), lead_cmp);
	for (i = j = 0; i < nk; i++)
		if (!j || memcmp(k[j - 1].key, k[i].key, KEY_PUBLIC_LEN))
			k[j++] = k[i];
	nk = j;
	t = lead_find(k, nk, founder);
	t->in = 1;
	queue[tail++] = (size_t)(t - k);
	while (head < tail) {
		const uint8_t *a = k[queue[head++]].key;
		size_t lo = 0, hi = ng;

		while (lo < hi) { /* the first edge from a */
			size_t mid = lo + (hi - lo) / 2;

			if (memcmp(g[mid].author, a, KEY_PUBLIC_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < ng && !memcmp(g[lo].author, a, KEY_PUBLIC_LEN);
		     lo++) {
			t = lead_find(k, nk, g[lo].target);
			if (!t->in) {
				t->in = 1;
				queue[tail++] = (size_t)(t - k);
			}
		}
	}
	for (i = 0; i < n; i++) {
		t = lead_find(k, nk, recs[i].author);
		may[i] = t && t->in;
	}
out:
	free(g);
	free(k);
	free(queue);
	return rc;
}

/*
 * The fast path. A record whose author can neither lead nor be removed
 * (no role record of a member who may lead names it facilitator, and no
 * removal by one names it: gov_fast_may_lead) never applies in any pass
 * of the rules, except a report, which changes no state, or an erasure of
 * the author's own entry held here; it is never voided either (that
 * takes a demotion or a removal of its author). So adding it to the set
 * judges every other record as before, changes no state, adds its keys
 * to gov_members as learners (unless they are there), and its own effect
 * follows from its kind and its target alone: a report applies, an
 * erasure has no authority (or no known target, or is of a governance
 * record), anything else (a role, hide, unhide, removal or rotation)
 * has no authority. Nor can it make anyone else lead or be removed, so
 * this holds for each new record in turn; and the rotation in force
 * stays (epoch_settle weighs only rotations that applied, against the
 * members removed: neither changes).
 *
 * A commit whose only change to the records is such new records (found
 * as the gov rows of entries newer than the last full run) writes their
 * effects and member rows, in time linear in them, instead of running the
 * rules over every record: a member flooding records of no effect costs
 * every later commit nothing. Anything else (a record of a key that may
 * lead or be removed, an erasure of one's own entry, a target an erasure
 * waited for, the founder set, a rebuilt view: gov_full; another
 * connection's commit, a rollback: gov_fast dropped; a record filled in
 * a hole, with an old entry number: the row counts) takes the full run,
 * which sets the keys again. test_gov_store breaks each of these once.
 */
struct fresh {
	uint8_t id[ENTRY_ID_LEN];
	uint8_t author[KEY_PUBLIC_LEN];
	uint8_t target[HASH_LEN];
	uint8_t kind;
	enum gov_effect effect;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, KEY_PUBLIC_LEN);
}

#define FRESH_SQL                                                         \
	"SELECT g.id, g.author, g.kind, g.target, t.author, t.kind"        \
	" FROM gov AS g" GOV_TARGET_JOIN " WHERE g.entry > ?1"

/* The new records, each judged alone; *fast 0 if one cannot be. */
static int fresh_load(struct store *s, struct fresh **out, size_t *n,
		      uint64_t *unheld, int *fast, struct err *e)
{
	struct fresh *v = NULL, *f;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc, held;

	*n = 0;
	if (sqlite3_prepare_v2(s->db, FRESH_SQL, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)s->gov_last_n);
	while (*fast && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t c = cap ? 2 * cap : 64;
			void *p = realloc(v, c * sizeof(*v));

			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = p;
			cap = c;
		}
		f = &v[(*n)++];
		memset(f, 0, sizeof(*f));
		store_col_blob(st, 0, f->id, ENTRY_ID_LEN);
		store_col_blob(st, 1, f->author, KEY_PUBLIC_LEN);
		f->kind = (uint8_t)sqlite3_column_int(st, 2);
		store_col_blob(st, 3, f->target, HASH_LEN);
		held = sqlite3_column_type(st, 4) != SQLITE_NULL;
		f->effect = GOV_NO_AUTHORITY;
		if (s->gov_nkeys &&
		    bsearch(f->author, s->gov_keys, s->gov_nkeys,
			    KEY_PUBLIC_LEN, key_cmp)) {
			*fast = 0; /* may lead or be removed */
		} else if (f->kind == ENTRY_KIND_REPORT) {
			f->effect = GOV_APPLIED;
		} else if (f->kind != ENTRY_KIND_ERASE) {
			continue;
		} else if (!held) {
			f->effect = GOV_UNKNOWN_TARGET;
			(*unheld)++;
		} else if (ENTRY_KIND_IS_GOV(sqlite3_column_int(st, 5))) {
			f->effect = GOV_NOT_ERASABLE;
		} else if (sqlite3_column_bytes(st, 4) == KEY_PUBLIC_LEN &&
			   !memcmp(sqlite3_column_blob(st, 4), f->author,
				   KEY_PUBLIC_LEN)) {
			*fast = 0; /* an erasure of one's own entry applies */
		}
	}
	sqlite3_finalize(st);
	*out = v;
	if (rc == SQLITE_NOMEM)
		return err_set(e, STOA_ENOMEM, "governance: out of memory");
	if (*fast && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read governance");
	return 0;
}

int gov_fast_apply(struct store *s, struct err *e)
{
	struct fresh *v = NULL;
	sqlite3_stmt *up = NULL, *in = NULL;
	uint64_t rows, members, unheld = 0;
	size_t n = 0, i, k;
	int rc, fast = 1;

	/* no PRAGMA data_version here: the transaction's begin read it
	 * (gov_store_refresh), and another connection's commit since the
	 * last full run dropped gov_fast */
	if (!s->gov_fast || s->gov_full)
		return 0;
	if ((rc = fresh_load(s, &v, &n, &unheld, &fast, e)) < 0 || !fast)
		goto out;
	/* nothing else changed: a repaired record or a rebuilt view would
	 * show in the counts */
	if ((rc = store_count(s, "SELECT count(*) FROM gov", &rows, e)) < 0 ||
	    (rc = store_count(s, "SELECT count(*) FROM gov_members", &members,
			      e)) < 0)
		goto out;
	if (rows != s->gov_rows + n || members != s->gov_nmembers) {
		fast = 0;
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, "UPDATE gov SET effect = ?1 WHERE id = "
			       "?2", -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO gov_members "
			       "VALUES (?1, 'learner', NULL, 0, NULL, NULL)",
			       -1, &in, NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot write governance");
		goto out;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		const struct fresh *f = &v[i];
		int named = f->kind == ENTRY_KIND_ROLE ||
			    f->kind == ENTRY_KIND_REMOVE;

		sqlite3_bind_text(up, 1, gov_effect_name(f->effect), -1,
				  SQLITE_STATIC);
		sqlite3_bind_blob(up, 2, f->id, ENTRY_ID_LEN, SQLITE_STATIC);
		rc = store_step(s, up, e);
		for (k = 0; rc == 0 && k <= (size_t)named; k++) {
			sqlite3_bind_blob(in, 1, k ? f->target : f->author,
					  KEY_PUBLIC_LEN, SQLITE_STATIC);
			if ((rc = store_step(s, in, e)) == 0)
				members += (uint64_t)sqlite3_changes(s->db);
		}
	}
	if (rc == 0) {
		s->gov_rows = rows;
		s->gov_nmembers = members;
		if (s->gov_unheld != GOV_UNHELD_UNKNOWN)
			s->gov_unheld += unheld;
		rc = store_count(s, "SELECT coalesce(max(n), 0) FROM entries",
				 &s->gov_last_n, e);
	}
out:
	sqlite3_finalize(up);
	sqlite3_finalize(in);
	free(v);
	return rc < 0 ? rc : fast;
}

/* After a full run: the keys that may lead (the founder, those that a
 * facilitator role record by one of them names) or be removed (named by
 * a removal of one of them), and the counts the fast path checks. */
int gov_fast_keep(struct store *s, const struct gov_rec *recs, size_t nrecs,
		  const unsigned char *may, const uint8_t *founder,
		  struct err *e)
{
	size_t i, j, n = 0;
	int rc;

	s->gov_fast = 0;
	if (founder)
		memcpy(s->gov_keys[n++], founder, KEY_PUBLIC_LEN);
	for (i = 0; i < nrecs; i++) {
		const struct gov_rec *r = &recs[i];

		if (!may[r->user] ||
		    !((r->kind == ENTRY_KIND_ROLE &&
		       r->role == GOV_ROLE_FACILITATOR) ||
		      r->kind == ENTRY_KIND_REMOVE))
			continue;
		if (n == STORE_GOV_KEYS_MAX)
			return 0; /* too many: the full run every time */
		memcpy(s->gov_keys[n++], r->target, KEY_PUBLIC_LEN);
	}
	qsort(s->gov_keys, n, KEY_PUBLIC_LEN, key_cmp);
	for (i = j = 0; i < n; i++)
		if (!j || memcmp(s->gov_keys[j - 1], s->gov_keys[i],
				 KEY_PUBLIC_LEN))
			memmove(s->gov_keys[j++], s->gov_keys[i],
				KEY_PUBLIC_LEN);
	s->gov_nkeys = j;
	if ((rc = store_count(s, "SELECT count(*) FROM gov", &s->gov_rows,
			      e)) < 0 ||
	    (rc = store_count(s, "SELECT count(*) FROM gov_members",
			      &s->gov_nmembers, e)) < 0 ||
	    (rc = store_count(s, "SELECT coalesce(max(n), 0) FROM entries",
			      &s->gov_last_n, e)) < 0)
		return rc;
	s->gov_fast = 1;
	return 0;
}
