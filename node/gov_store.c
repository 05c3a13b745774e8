/*
 * gov_store: the governance rules (gov.c) run over the records the store
 * holds, and what they decide made true in the file.
 *
 * Each governance record is a row of the view table gov (materialize.c),
 * so the rules see the same set whatever order the entries came in.
 * Whenever a batch wrote a record, or an entry an erasure waited for, the
 * rules run again over all of them before the batch commits
 * (gov_store_apply, called by store_commit and store_tx_end), unless the
 * batch's new records are of members who can neither lead nor be
 * removed: those change nothing but their own rows, written alone (the
 * fast path, gov_fast.c), so that one member's flood of records with no
 * effect does not make every later commit read all of it. Then:
 *   - gov.effect says what each record did (gov_effect_name);
 *   - gov_members, gov_hidden and gov_erased hold the resolved state,
 *     which gov_view.c reads (roles, hidden posts, erased entries);
 *   - an erased entry held with its payload loses it: the payload is set
 *     to NULL and its view rows go (its post's words leave the FTS index,
 *     which is then merged so no segment keeps them); the store runs with
 *     secure_delete, so the freed bytes are zeroed, and the commit is
 *     followed by a WAL checkpoint (store_commit): after it the text is in
 *     none of the node's files;
 *   - a removed member's entries after its cut-off are deleted, its feed
 *     head set back to the cut-off.
 * An entry held without its payload and not erased is a hole, which peers
 * are asked for again (store_next_hole): so an erasure that a later record
 * makes void heals from any peer still holding the payload.
 *
 * The founder, from whom all authority comes, is the community's (its
 * invite code names it): stored in meta 'founder' by store_founder_set.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "gov.h"
#include "payload.h"
#include "store_int.h"

int store_founder(struct store *s, uint8_t pk[KEY_PUBLIC_LEN])
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = "
			       "'founder'", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		found = store_col_blob(st, 0, pk, KEY_PUBLIC_LEN);
	sqlite3_finalize(st);
	return found;
}

int store_founder_set(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		      struct err *e)
{
	uint8_t held[KEY_PUBLIC_LEN];
	sqlite3_stmt *st;
	int rc, own;

	if (store_founder(s, held) && !memcmp(held, pk, KEY_PUBLIC_LEN))
		return 0; /* the usual case: no write */
	if ((rc = store_tx_begin(s, &own, e)) < 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta VALUES "
			       "('founder', ?1)", -1, &st, NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot record the founder");
	} else {
		sqlite3_bind_blob(st, 1, pk, KEY_PUBLIC_LEN, SQLITE_STATIC);
		rc = store_step(s, st, e);
		sqlite3_finalize(st);
	}
	s->gov_dirty = 1;
	s->gov_full = 1;
	return store_tx_end(s, own, rc, e);
}

/* The records, with what they name, parsed for gov_resolve. */
struct loaded {
	struct gov_rec *v;    /* reordered by gov_resolve: user is i */
	signed char *effect;  /* [i]: record i's stored effect, or -1 */
	unsigned char *may;   /* [i]: record i's author may lead */
	uint8_t (*ids)[HASH_LEN]; /* every id "replaces" lists, and every
				   * member a rotation seals to, of the
				   * records whose author may lead */
	size_t n, cap, unheld; /* unheld: erasures of entries not held */
	size_t nids, capids;
};

static void loaded_free(struct loaded *l)
{
	free(l->effect);
	free(l->may);
	free(l->v);
	free(l->ids);
	memset(l, 0, sizeof(*l));
}

/* The 32-byte values of a JSON list (NULL: none), at most max: each item
 * itself (a role's "replaces") or, with field, its item's field (a
 * rotation's "seals": "to"). */
static void list_parse(const char *text, const char *field, size_t max,
		       uint8_t (*out)[HASH_LEN], size_t *n)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL, *v;
	size_t i;

	*n = 0;
	json_array_foreach(a, i, v) {
		if (*n == max)
			break;
		if (field)
			v = json_object_get(v, field);
		if (json_is_string(v) &&
		    hex_decode(out[*n], HASH_LEN, json_string_value(v)) == 0)
			(*n)++;
	}
	json_decref(a);
}

static int effect_code(const unsigned char *t)
{
	int k;

	for (k = 0; t && k < GOV_EFFECT_COUNT; k++)
		if (!strcmp((const char *)t, gov_effect_name(k)))
			return k;
	return -1;
}

/* Only an erasure's judgement looks at its target entry (gov.c), so only
 * erasures look it up (a join on the target's id would look it up for
 * every record, then drop the row: a third of the load); the lists are
 * read in a second step (load_lists), for the records whose author may
 * lead (gov_fast_may_lead): a member no facilitator ever named cannot
 * make the rules read a byte of its role records or rotations. */
#define LOAD_SQL                                                          \
	"SELECT g.id, g.author, g.seq, g.ts, g.kind, g.target, g.role,"    \
	" g.anchor, g.effect, t.author, t.kind FROM gov AS g" GOV_TARGET_JOIN

/* The most items list_parse takes from one record's list. */
#define LIST_MAX (PAYLOAD_EPOCH_SEALS_MAX > PAYLOAD_REPLACES_MAX ?          \
		  PAYLOAD_EPOCH_SEALS_MAX : PAYLOAD_REPLACES_MAX)

/* Appends k values to l->ids; its offset in *at. */
static int ids_add(struct loaded *l, uint8_t (*v)[HASH_LEN], size_t k,
		   size_t *at, struct err *e)
{
	if (l->nids + k > l->capids) {
		size_t cap = l->capids ? 2 * l->capids : 256;
		void *p;

		while (cap < l->nids + k)
			cap *= 2;
		if (!(p = realloc(l->ids, cap * sizeof(*l->ids))))
			return err_set(e, STOA_ENOMEM, "governance: out of "
				       "memory");
		l->ids = p;
		l->capids = cap;
	}
	memcpy(l->ids[l->nids], v, k * sizeof(*v));
	*at = l->nids;
	l->nids += k;
	return 0;
}

/*
 * Who may lead (gov_fast_may_lead), then the lists the rules read of the
 * records whose author may lead: a role record's "replaces", and whom a
 * rotation is sealed to (epoch_settle: a rotation in force sealed to a
 * member removed in the end has no effect). A role record or rotation of
 * anyone else never applies (it needs a facilitator, a rotation the
 * founder), so its list changes nothing.
 */
static int load_lists(struct store *s, struct loaded *l,
		      const uint8_t *founder, struct err *e)
{
	uint8_t (*tmp)[HASH_LEN] = malloc(LIST_MAX * sizeof(*tmp));
	unsigned char *may = l->may = calloc(l->n + 1, 1);
	size_t *at = calloc(l->n + 1, sizeof(*at));
	sqlite3_stmt *st = NULL;
	size_t i, k;
	int rc = 0, epoch;

	if (!tmp || !may || !at) {
		rc = err_set(e, STOA_ENOMEM, "governance: out of memory");
		goto out;
	}
	if ((rc = gov_fast_may_lead(l->v, l->n, founder, may, e)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "SELECT CASE kind WHEN 16 THEN sealed "
			       "ELSE replaces END FROM gov WHERE id = ?1", -1,
			       &st, NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot read governance");
		goto out;
	}
	for (i = 0; rc == 0 && i < l->n; i++) {
		struct gov_rec *r = &l->v[i];

		epoch = r->kind == ENTRY_KIND_EPOCH;
		if (!may[i] || (r->kind != ENTRY_KIND_ROLE && !epoch))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, r->id, ENTRY_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		list_parse((const char *)sqlite3_column_text(st, 0),
			   epoch ? "to" : NULL, epoch ? PAYLOAD_EPOCH_SEALS_MAX
						  : PAYLOAD_REPLACES_MAX,
			   tmp, &k);
		if (k && (rc = ids_add(l, tmp, k, &at[i], e)) == 0) {
			if (epoch)
				r->nseals = k;
			else
				r->nreplaces = k;
		}
	}
	/* l->ids moved as it grew: the pointers once it is whole */
	for (i = 0; rc == 0 && i < l->n; i++) {
		struct gov_rec *r = &l->v[i];

		if (r->nseals)
			r->seals = (const uint8_t (*)[KEY_PUBLIC_LEN])
				   &l->ids[at[i]];
		if (r->nreplaces)
			r->replaces = (const uint8_t (*)[ENTRY_ID_LEN])
				      &l->ids[at[i]];
	}
out:
	sqlite3_finalize(st);
	free(tmp);
	free(at);
	return rc;
}

static int load(struct store *s, struct loaded *l, const uint8_t *founder,
		struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(l, 0, sizeof(*l));
	if (sqlite3_prepare_v2(s->db, LOAD_SQL, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct gov_rec *r;

		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 256;
			void *v = realloc(l->v, cap * sizeof(*l->v));
			void *f = v ? realloc(l->effect, cap) : NULL;

			if (v)
				l->v = v;
			if (!f) {
				sqlite3_finalize(st);
				return err_set(e, STOA_ENOMEM, "governance: "
					       "out of memory");
			}
			l->effect = f;
			l->cap = cap;
		}
		r = &l->v[l->n];
		memset(r, 0, sizeof(*r));
		r->user = l->n;
		store_col_blob(st, 0, r->id, ENTRY_ID_LEN);
		store_col_blob(st, 1, r->author, KEY_PUBLIC_LEN);
		r->seq = (uint64_t)sqlite3_column_int64(st, 2);
		r->ts = (uint64_t)sqlite3_column_int64(st, 3);
		r->kind = (uint8_t)sqlite3_column_int(st, 4);
		store_col_blob(st, 5, r->target, HASH_LEN);
		r->role = payload_role_rank((const char *)
					    sqlite3_column_text(st, 6));
		r->anchor = (uint64_t)sqlite3_column_int64(st, 7);
		l->effect[l->n] = (signed char)effect_code(
			sqlite3_column_text(st, 8));
		if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
			r->target_held = 1;
			store_col_blob(st, 9, r->target_author, KEY_PUBLIC_LEN);
			r->target_kind = (uint8_t)sqlite3_column_int(st, 10);
		} else if (r->kind == ENTRY_KIND_ERASE) {
			l->unheld++;
		}
		l->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read governance");
	return load_lists(s, l, founder, e);
}

/* Runs one statement with up to two blobs and an int64 bound. */
static int exec_bound(struct store *s, const char *sql, const void *b1,
		      int l1, const void *b2, int l2, sqlite3_int64 i3,
		      struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot write governance");
	if (b1)
		sqlite3_bind_blob(st, 1, b1, l1, SQLITE_STATIC);
	if (b2)
		sqlite3_bind_blob(st, 2, b2, l2, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, i3);
	rc = store_step(s, st, e);
	sqlite3_finalize(st);
	return rc;
}

/* gov.effect of each record, written only where it changed. */
static int write_effects(struct store *s, struct loaded *l, struct err *e)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	if (sqlite3_prepare_v2(s->db, "UPDATE gov SET effect = ?1 WHERE "
			       "id = ?2", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot write governance");
	for (i = 0; rc == 0 && i < l->n; i++) {
		if (l->effect[l->v[i].user] == (signed char)l->v[i].effect)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, gov_effect_name(l->v[i].effect), -1,
				  SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, l->v[i].id, ENTRY_ID_LEN,
				  SQLITE_STATIC);
		rc = store_step(s, st, e);
	}
	sqlite3_finalize(st);
	return rc;
}

/* 1 if the gov_members row at st (member, role, role_by, removed, cut,
 * removed_by) says what m does. */
static int member_same(sqlite3_stmt *st, const struct loaded *l,
		       const struct gov_member *m)
{
	const unsigned char *role = sqlite3_column_text(st, 1);
	uint8_t by[ENTRY_ID_LEN];

	if (!role || strcmp((const char *)role, payload_role_name(m->role)) ||
	    sqlite3_column_int(st, 3) != m->removed)
		return 0;
	if (m->role_by == SIZE_MAX
		    ? sqlite3_column_type(st, 2) != SQLITE_NULL
		    : !store_col_blob(st, 2, by, ENTRY_ID_LEN) ||
			      memcmp(by, l->v[m->role_by].id, ENTRY_ID_LEN))
		return 0;
	if (!m->removed)
		return sqlite3_column_type(st, 4) == SQLITE_NULL &&
		       sqlite3_column_type(st, 5) == SQLITE_NULL;
	return sqlite3_column_type(st, 4) == SQLITE_INTEGER &&
	       (uint64_t)sqlite3_column_int64(st, 4) == m->cut &&
	       store_col_blob(st, 5, by, ENTRY_ID_LEN) &&
	       !memcmp(by, l->v[m->removed_by].id, ENTRY_ID_LEN);
}

/*
 * Which gov_members rows to write: mark[i] = 1 for each member of gs
 * whose row is missing or says something else; *stale = 1 if a row names
 * a member gs has not. Both in key order (BLOBs compare as memcmp), so
 * one pass: records naming tens of thousands of members rewrite none of
 * their rows when nothing about them changed.
 */
static int members_diff(struct store *s, const struct loaded *l,
			const struct gov_state *gs, unsigned char *mark,
			int *stale, struct err *e)
{
	sqlite3_stmt *st;
	uint8_t key[KEY_PUBLIC_LEN];
	size_t i = 0;
	int rc, c;

	*stale = 0;
	memset(mark, 1, gs->nmembers);
	if (sqlite3_prepare_v2(s->db, "SELECT member, role, role_by, removed,"
			       " cut, removed_by FROM gov_members ORDER BY "
			       "member", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!store_col_blob(st, 0, key, KEY_PUBLIC_LEN)) {
			*stale = 1;
			continue;
		}
		c = -1;
		while (i < gs->nmembers &&
		       (c = memcmp(gs->members[i].key, key,
				   KEY_PUBLIC_LEN)) < 0)
			i++;
		if (c == 0)
			mark[i] = !member_same(st, l, &gs->members[i]);
		else
			*stale = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "cannot read "
						  "governance");
}

/* gov_members (the rows that changed), gov_hidden, gov_erased from the
 * state. */
static int write_state(struct store *s, const struct loaded *l,
		       const struct gov_state *gs, struct err *e)
{
	unsigned char *mark = malloc(gs->nmembers + 1);
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, stale = 0;

	if (!mark)
		return err_set(e, STOA_ENOMEM, "governance: out of memory");
	if ((rc = members_diff(s, l, gs, mark, &stale, e)) < 0 ||
	    (stale && (rc = store_exec(s, "DELETE FROM gov_members", e)) < 0) ||
	    (rc = store_exec(s, "DELETE FROM gov_hidden; DELETE FROM "
			     "gov_erased;", e)) < 0)
		goto out;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO gov_members "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot write governance");
		goto out;
	}
	for (i = 0; rc == 0 && i < gs->nmembers; i++) {
		const struct gov_member *m = &gs->members[i];

		if (!stale && !mark[i])
			continue;
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_blob(st, 1, m->key, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, payload_role_name(m->role), -1,
				  SQLITE_STATIC);
		if (m->role_by != SIZE_MAX)
			sqlite3_bind_blob(st, 3, l->v[m->role_by].id,
					  ENTRY_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, m->removed);
		if (m->removed) {
			sqlite3_bind_int64(st, 5, (sqlite3_int64)m->cut);
			sqlite3_bind_blob(st, 6, l->v[m->removed_by].id,
					  ENTRY_ID_LEN, SQLITE_STATIC);
		}
		rc = store_step(s, st, e);
	}
	for (i = 0; rc == 0 && i < gs->nhidden; i++)
		rc = exec_bound(s, "INSERT INTO gov_hidden VALUES (?1, ?2)",
				gs->hidden[i].target, ENTRY_ID_LEN,
				l->v[gs->hidden[i].by].id, ENTRY_ID_LEN, 0, e);
	for (i = 0; rc == 0 && i < gs->nerased; i++)
		rc = exec_bound(s, "INSERT INTO gov_erased VALUES (?1, ?2)",
				gs->erased[i].target, ENTRY_ID_LEN,
				l->v[gs->erased[i].by].id, ENTRY_ID_LEN, 0, e);
out:
	sqlite3_finalize(st);
	free(mark);
	return rc;
}

/* Every erased entry still held with its payload loses it and its view
 * rows; *posts counts the posts among them. */
static int scrub_erased(struct store *s, int *posts, struct err *e)
{
	sqlite3_stmt *st;
	sqlite3_int64 *rows = NULL;
	uint8_t *kinds = NULL, (*authors)[KEY_PUBLIC_LEN] = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	*posts = 0;
	/* CROSS JOIN: gov_erased first (the planner, without statistics,
	 * would scan every entry and look each up in it) */
	if (sqlite3_prepare_v2(s->db, "SELECT e.n, e.kind, e.author FROM "
			       "gov_erased AS x CROSS JOIN entries AS e ON "
			       "e.idk = stoa_idk(x.target) AND e.id = x.target "
			       "WHERE e.payload IS NOT NULL", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? 2 * cap : 16;
			void *a = realloc(rows, c * sizeof(*rows));
			void *b = a ? realloc(kinds, c) : NULL;
			void *d = b ? realloc(authors, c * KEY_PUBLIC_LEN) : NULL;

			if (a)
				rows = a;
			if (b)
				kinds = b;
			if (!d) {
				rc = err_set(e, STOA_ENOMEM, "out of memory");
				break;
			}
			authors = d;
			cap = c;
		}
		rows[n] = sqlite3_column_int64(st, 0);
		kinds[n] = (uint8_t)sqlite3_column_int(st, 1);
		store_col_blob(st, 2, authors[n], KEY_PUBLIC_LEN);
		n++;
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < n; i++) {
		/* the view rows first: a profile falls back to the author's
		 * other profiles, which must not count this one */
		rc = exec_bound(s, "UPDATE entries SET payload = NULL WHERE "
				"n = ?3", NULL, 0, NULL, 0, rows[i], e);
		if (rc == 0)
			rc = materialize_forget(s, rows[i], kinds[i], authors[i],
						e);
		if (kinds[i] == ENTRY_KIND_POST)
			(*posts)++;
	}
	if (rc == 0 && n)
		s->gov_scrubbed = 1; /* checkpoint after the commit */
	free(rows);
	free(kinds);
	free(authors);
	return rc;
}

/* A removed member's entries after its cut-off leave the store; *cut
 * counts them. */
static int cut_removed(struct store *s, const struct gov_member *m,
		       int *cut, struct err *e)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT n, kind FROM entries WHERE "
			       "author = ?1 AND seq > ?2", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, e, "cannot read entries");
	sqlite3_bind_blob(st, 1, m->key, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)m->cut);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = materialize_forget(s, sqlite3_column_int64(st, 0),
					(uint8_t)sqlite3_column_int(st, 1),
					m->key, e);
	sqlite3_finalize(st);
	if (rc == 0)
		rc = exec_bound(s, "DELETE FROM entries WHERE author = ?1 AND "
				"seq > ?3", m->key, KEY_PUBLIC_LEN, NULL, 0,
				(sqlite3_int64)m->cut, e);
	if (rc == 0)
		*cut += sqlite3_changes(s->db);
	if (rc == 0)
		rc = exec_bound(s, "DELETE FROM forks WHERE author = ?1 AND "
				"seq > ?3", m->key, KEY_PUBLIC_LEN, NULL, 0,
				(sqlite3_int64)m->cut, e);
	if (rc == 0)
		rc = exec_bound(s, "DELETE FROM feeds WHERE author = ?1 AND "
				"seq > ?3", m->key, KEY_PUBLIC_LEN, NULL, 0,
				(sqlite3_int64)m->cut, e);
	if (rc == 0 && m->cut > 0)
		rc = exec_bound(s, "INSERT OR IGNORE INTO feeds(author, seq, "
				"head, ts) SELECT author, seq, id, ts FROM "
				"entries WHERE author = ?1 AND seq = ?3",
				m->key, KEY_PUBLIC_LEN, NULL, 0,
				(sqlite3_int64)m->cut, e);
	return rc;
}

/* How many entries a connection looks up before it counts instead. */
#define GOV_UNHELD_PROBES 64

/*
 * The erasures whose target is not held (only an erasure is judged by its
 * target, gov.c: a hide or a report waits for nothing). Counting them
 * reads every record, so a connection first looks up each entry it
 * writes (a command writes one or two) and counts only after
 * GOV_UNHELD_PROBES of them (a sync); a full run of the rules counts them
 * on the way.
 */
static int count_unheld(struct store *s, struct err *e)
{
	return store_count(s, "SELECT count(*) FROM gov WHERE kind = 13 AND "
			   "NOT EXISTS (SELECT 1 FROM entries WHERE idk = "
			   "stoa_idk(gov.target) AND id = gov.target)",
			   &s->gov_unheld, e);
}

static int load_counts(struct store *s, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_count(s, "SELECT count(*) FROM gov_erased",
			      &s->gov_erased, e)) < 0 ||
	    (rc = store_count(s, "SELECT count(*) FROM gov_members WHERE "
			      "removed", &s->gov_removed, e)) < 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT anchor, target, ts FROM gov WHERE "
			       "kind = 16 AND effect = 'applied'", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	s->gov_has_epoch = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->gov_epoch = (uint32_t)sqlite3_column_int64(st, 0);
		s->gov_epoch_ts = (uint64_t)sqlite3_column_int64(st, 2);
		s->gov_has_epoch = store_col_blob(st, 1, s->gov_check,
						  HASH_LEN);
	}
	sqlite3_finalize(st);
	s->gov_unheld = GOV_UNHELD_UNKNOWN;
	s->gov_probes = 0;
	s->gov_cached = 1;
	return 0;
}

/* Another connection's commit (a `stoa remove` beside the daemon) may
 * have changed the governance state: the counts are read again then, and
 * the next commit that writes a record runs the rules in full. */
void gov_store_refresh(struct store *s)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v != s->gov_dv) {
		s->gov_dv = v;
		s->gov_cached = 0;
		s->gov_fast = 0;
	}
}

/* Inside a transaction no other connection commits (the store's are
 * BEGIN IMMEDIATE): its begin looked once (store_begin, store_tx_begin),
 * so the entries of a batch cost no pragma each. */
static void refresh(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		gov_store_refresh(s);
}

void gov_store_uncache(struct store *s)
{
	s->gov_cached = 0;
	s->gov_dirty = 0;
	s->gov_fast = 0;
	s->gov_full = 0;
}

/* The rotation in force after a full run, as load_counts reads it. */
static void epoch_keep(struct store *s, const struct loaded *l,
		       const struct gov_state *gs)
{
	const struct gov_rec *r;

	s->gov_has_epoch = gs->epoch_by != SIZE_MAX;
	if (!s->gov_has_epoch)
		return;
	r = &l->v[gs->epoch_by];
	s->gov_epoch = (uint32_t)r->anchor;
	s->gov_epoch_ts = r->ts;
	memcpy(s->gov_check, r->target, HASH_LEN);
}

/* One run of the rules over every record and what they decide; *cut
 * counts the entries a removal deleted (their records, if any, are gone:
 * the rules run again). */
static int full_run(struct store *s, int *cut, struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	struct loaded l;
	struct gov_state gs;
	size_t i;
	int rc, posts = 0, has_founder;

	*cut = 0;
	has_founder = store_founder(s, founder);
	if ((rc = load(s, &l, has_founder ? founder : NULL, e)) < 0)
		goto out;
	if ((rc = gov_resolve(l.v, l.n, has_founder ? founder : NULL, &gs,
			      e)) < 0)
		goto out;
	if ((rc = write_effects(s, &l, e)) == 0 &&
	    (rc = write_state(s, &l, &gs, e)) == 0)
		rc = scrub_erased(s, &posts, e);
	for (i = 0; rc == 0 && i < gs.nmembers; i++)
		if (gs.members[i].removed)
			rc = cut_removed(s, &gs.members[i], cut, e);
	/* merged into one segment, the FTS index keeps no word of an
	 * erased post (a 'delete' alone only adds a tombstone) */
	if (rc == 0 && posts)
		rc = store_exec(s, "INSERT INTO posts_fts(posts_fts) VALUES "
				"('optimize')", e);
	if (rc == 0) {
		s->gov_erased = gs.nerased;
		s->gov_unheld = l.unheld;
		for (s->gov_removed = 0, i = 0; i < gs.nmembers; i++)
			s->gov_removed += gs.members[i].removed != 0;
		epoch_keep(s, &l, &gs);
		s->gov_cached = 1;
		rc = gov_fast_keep(s, l.v, l.n, l.may,
				   has_founder ? founder : NULL, e);
	}
	gov_state_release(&gs);
out:
	loaded_free(&l);
	return rc;
}

int gov_store_apply(struct store *s, struct err *e)
{
	int rc, cut = 1, runs;

	if (!s->gov_dirty)
		return 0;
	s->gov_dirty = 0;
	rc = gov_fast_apply(s, e);
	s->gov_full = 0;
	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* A cut deletes entries the run just judged with (a removed
	 * member's later records, erasures' targets): the rules run again
	 * over what stays, so the state is that of the entries held. The
	 * second run almost always cuts nothing (it would take a deleted
	 * record that had voided another removal); at the bound, the next
	 * commit that runs the rules settles it, in full, and the counts
	 * are read again. */
	for (runs = 0; rc == 0 && cut && runs < 4; runs++)
		rc = full_run(s, &cut, e);
	if (rc == 0 && cut)
		s->gov_fast = s->gov_cached = 0;
	return rc;
}

/* gov_store_cut once the counts are known. */
static uint64_t cut_of(struct store *s, const uint8_t author[KEY_PUBLIC_LEN])
{
	sqlite3_stmt *st;
	uint64_t cut = UINT64_MAX;

	if (!s->gov_removed)
		return UINT64_MAX;
	if (sqlite3_prepare_v2(s->db, "SELECT cut FROM gov_members WHERE "
			       "member = ?1 AND removed", -1, &st, NULL) !=
	    SQLITE_OK)
		return UINT64_MAX;
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		cut = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return cut;
}

uint64_t gov_store_cut(struct store *s, const uint8_t author[KEY_PUBLIC_LEN])
{
	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return UINT64_MAX;
	return cut_of(s, author);
}

/* 1 if a row of sql (binding ?1 to a 32-byte blob) exists. */
static int exists(struct store *s, const char *sql, const uint8_t *blob)
{
	sqlite3_stmt *st;
	int found = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_blob(st, 1, blob, HASH_LEN, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int gov_store_admit(struct store *s, const struct entry *en, int *erased,
		    struct err *e)
{
	uint64_t cut;
	int rc;

	*erased = 0;
	refresh(s);
	if (!s->gov_cached && (rc = load_counts(s, e)) < 0)
		return rc;
	if (s->gov_removed && en->seq > (cut = cut_of(s, en->author)))
		return err_set(e, STOA_EPERM, "entry %" PRIu64 " of a member "
			       "removed from the community after its entry %"
			       PRIu64, en->seq, cut);
	if (s->gov_erased &&
	    exists(s, "SELECT 1 FROM gov_erased WHERE target = ?1", en->id))
		*erased = 1;
	if (s->gov_unheld == GOV_UNHELD_UNKNOWN &&
	    ++s->gov_probes > GOV_UNHELD_PROBES &&
	    (rc = count_unheld(s, e)) < 0)
		return rc;
	if (s->gov_unheld &&
	    exists(s, "SELECT 1 FROM gov WHERE target = ?1 AND kind = 13",
		   en->id))
		s->gov_dirty = s->gov_full = 1; /* an erasure waited for it */
	return 0;
}

int store_epoch(struct store *s, uint32_t *epoch, uint8_t check[HASH_LEN],
		uint64_t *ts)
{
	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return 0;
	if (!s->gov_has_epoch)
		return 0;
	*epoch = s->gov_epoch;
	memcpy(check, s->gov_check, HASH_LEN);
	if (ts)
		*ts = s->gov_epoch_ts;
	return 1;
}

int store_epoch_seal(struct store *s, const uint8_t member[KEY_PUBLIC_LEN],
		     uint8_t *box)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	sqlite3_stmt *st;
	const char *text;
	size_t n = 0;
	int found = 0;

	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return 0;
	if (!s->gov_has_epoch)
		return 0;
	hex_encode(hex, member, KEY_PUBLIC_LEN);
	if (sqlite3_prepare_v2(s->db, "SELECT json_extract(j.value, '$.box') "
			       "FROM gov AS g, json_each(g.sealed) AS j WHERE "
			       "g.kind = 16 AND g.effect = 'applied' AND "
			       "json_extract(j.value, '$.to') = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (text = (const char *)sqlite3_column_text(st, 0)))
		found = !box || (b64_decode(box, PAYLOAD_EPOCH_BOX_LEN, &n, text,
					    strlen(text)) == 0 &&
				 n == PAYLOAD_EPOCH_BOX_LEN);
	sqlite3_finalize(st);
	return found;
}

uint32_t store_epoch_max(struct store *s)
{
	uint64_t max = 0;

	/* of the rotations written with authority (the founder's): any
	 * other member's epoch numbers are noise */
	if (store_count(s, "SELECT coalesce(max(anchor), 0) FROM gov WHERE "
			"kind = 16 AND effect IN ('applied', 'superseded', "
			"'sealed to a removed member')", &max, NULL) < 0)
		return 0;
	return max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}

int store_member_removed(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN])
{
	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return 0;
	return cut_of(s, pk) != UINT64_MAX;
}

int store_removed_since(struct store *s, uint64_t ts)
{
	uint64_t n = 0;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM gov WHERE kind = "
			       "15 AND effect = 'applied' AND ts > ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, ts > INT64_MAX ? INT64_MAX
						 : (sqlite3_int64)ts);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n > 0;
}

uint64_t store_removed_count(struct store *s)
{
	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return 0;
	return s->gov_removed;
}

int store_has_removed(struct store *s)
{
	return store_removed_count(s) != 0;
}

int store_removed_curve(struct store *s, const uint8_t curve[KEY_PUBLIC_LEN])
{
	uint8_t pk[KEY_PUBLIC_LEN], c[KEY_PUBLIC_LEN];
	sqlite3_stmt *st;
	int found = 0;

	refresh(s);
	if (!s->gov_cached && load_counts(s, NULL) < 0)
		return 0;
	if (!s->gov_removed)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT member FROM gov_members WHERE "
			       "removed", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (!found && sqlite3_step(st) == SQLITE_ROW)
		found = store_col_blob(st, 0, pk, KEY_PUBLIC_LEN) &&
			key_pk_to_curve(pk, c) == 0 &&
			!memcmp(c, curve, KEY_PUBLIC_LEN);
	sqlite3_finalize(st);
	return found;
}

int store_peer_seen(struct store *s, const uint8_t node[KEY_PUBLIC_LEN],
		    const struct store_head *heads, size_t n, uint64_t now_ms,
		    struct err *e)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, own;

	if ((rc = store_tx_begin(s, &own, e)) < 0)
		return rc;
	rc = exec_bound(s, "INSERT INTO peers_met VALUES (?1, ?3) ON CONFLICT"
			"(node) DO UPDATE SET last_seen = max(last_seen, "
			"excluded.last_seen)", node, KEY_PUBLIC_LEN, NULL, 0,
			(sqlite3_int64)now_ms, e);
	if (rc == 0 &&
	    sqlite3_prepare_v2(s->db, "INSERT INTO peer_heads VALUES (?1, ?2,"
			       " ?3) ON CONFLICT(node, author) DO UPDATE SET "
			       "seq = max(seq, excluded.seq)", -1, &st,
			       NULL) != SQLITE_OK)
		rc = store_fail(s, e, "cannot record a peer");
	for (i = 0; rc == 0 && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, node, KEY_PUBLIC_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, heads[i].author, KEY_PUBLIC_LEN,
				  SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)heads[i].seq);
		rc = store_step(s, st, e);
	}
	sqlite3_finalize(st);
	return store_tx_end(s, own, rc, e);
}

int store_gov_authors(struct store *s, struct store_head *out, size_t cap,
		      size_t *n, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT f.author, f.seq, f.head FROM "
			       "feeds AS f WHERE f.author IN (SELECT author "
			       "FROM gov) ORDER BY f.author", -1, &st,
			       NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read governance");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
		struct store_head *h = &out[*n];

		if (!store_col_blob(st, 0, h->author, KEY_PUBLIC_LEN) ||
		    !store_col_blob(st, 2, h->id, ENTRY_ID_LEN))
			continue;
		h->seq = (uint64_t)sqlite3_column_int64(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, e, "cannot read governance");
	return 0;
}
