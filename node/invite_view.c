/*
 * invite_view: the invites of a community and their joins, read from the
 * entries when asked (no view table: see invite_view.h), and the role
 * records an invite's issuer writes for them. What counts is decided
 * here, once, for both: only the invite records of members who are
 * facilitators now; for an id named by several, the earliest creation
 * by (timestamp, entry id); a revocation by any current facilitator; the
 * joins of an invite taken in (timestamp, entry id) order, the first
 * "uses" of them dated no later than the expiry and before the first
 * revocation being valid. Every payload read here passed
 * payload_validate when it was stored and is validated again before a
 * field is used; every count is bounded by INVITE_VIEW_MAX.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "entry.h"
#include "gov.h"
#include "gov_view.h"
#include "invite_view.h"
#include "payload.h"
#include "view_int.h"

struct inv {
	uint8_t id[8];
	uint8_t issuer[KEY_PUBLIC_LEN];
	uint8_t entry[ENTRY_ID_LEN];
	uint64_t ts;
	int role;               /* GOV_ROLE_LEARNER or _MENTOR */
	uint64_t expires;       /* 0: never */
	unsigned uses;
	int has_epoch;          /* the record names the epoch of its code */
	uint32_t epoch;
	int revoked;
	uint64_t revoked_ts;
	size_t first, njoins;   /* its joins, after the sort */
};

struct revoke {
	uint8_t id[8];
	uint64_t ts;
};

struct join {
	size_t inv;
	uint8_t member[KEY_PUBLIC_LEN];
	uint8_t entry[ENTRY_ID_LEN];
	uint64_t ts;
};

struct invites {
	struct inv *v;
	size_t n, cap;
	struct revoke *r;
	size_t nr, rcap;
	struct join *j;
	size_t nj, jcap;
};

static void invites_free(struct invites *iv)
{
	free(iv->v);
	free(iv->r);
	free(iv->j);
	memset(iv, 0, sizeof(*iv));
}

/* Room for one more of n items of size sz in *p (capacity *cap). */
static int grow(void **p, size_t *cap, size_t n, size_t sz, struct err *e)
{
	void *q;
	size_t c;

	if (n < *cap)
		return 0;
	if (n >= INVITE_VIEW_MAX)
		return err_set(e, STOA_EINVAL, "more than %d invite records or "
			       "joins: too many to list", INVITE_VIEW_MAX);
	c = *cap ? *cap * 2 : 16;
	if (c > INVITE_VIEW_MAX)
		c = INVITE_VIEW_MAX;
	if (!(q = realloc(*p, c * sz)))
		return err_set(e, STOA_ENOMEM, "out of memory");
	*p = q;
	*cap = c;
	return 0;
}

/* The invite of id, by binary search (iv->v sorted by id, no id twice:
 * load's dedup), or -1. */
static ssize_t find(const struct invites *iv, const uint8_t id[8])
{
	size_t lo = 0, hi = iv->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(iv->v[mid].id, id, 8);
		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* By id, then the earliest creation first: (timestamp, entry id). */
static int inv_cmp(const void *a, const void *b)
{
	const struct inv *x = a, *y = b;
	int c = memcmp(x->id, y->id, 8);

	if (c)
		return c;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->entry, y->entry, ENTRY_ID_LEN);
}

/* The 8-byte id of a "16 hex" field, or -1. */
static int id_of(json_t *o, const char *k, uint8_t id[8])
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) ||
	    json_string_length(v) != PAYLOAD_INVITE_ID_HEX_LEN)
		return -1;
	return hex_decode(id, 8, json_string_value(v)) == 0 ? 0 : -1;
}

/* One invite record of issuer. */
static int take_record(struct invites *iv, const uint8_t issuer[KEY_PUBLIC_LEN],
		       uint64_t ts, const uint8_t entry[ENTRY_ID_LEN],
		       json_t *o, struct err *e)
{
	struct inv *x;
	uint8_t id[8];
	int rc;

	if (id_of(o, "id", id) < 0)
		return 0;
	if (json_is_true(json_object_get(o, "revoked"))) {
		if ((rc = grow((void **)&iv->r, &iv->rcap, iv->nr,
			       sizeof(*iv->r), e)) < 0)
			return rc;
		memcpy(iv->r[iv->nr].id, id, 8);
		iv->r[iv->nr++].ts = ts;
		return 0;
	}
	/* every creation; load keeps the earliest of each id */
	if ((rc = grow((void **)&iv->v, &iv->cap, iv->n, sizeof(*iv->v),
		       e)) < 0)
		return rc;
	x = &iv->v[iv->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, id, 8);
	memcpy(x->issuer, issuer, KEY_PUBLIC_LEN);
	memcpy(x->entry, entry, ENTRY_ID_LEN);
	x->ts = ts;
	x->role = payload_role_rank(json_string_value(json_object_get(o,
								      "role")));
	x->expires = (uint64_t)json_integer_value(json_object_get(o, "expires"));
	x->uses = (unsigned)json_integer_value(json_object_get(o, "uses"));
	if (json_is_integer(json_object_get(o, "epoch"))) {
		x->has_epoch = 1;
		x->epoch = (uint32_t)json_integer_value(json_object_get(o,
								      "epoch"));
	}
	return 0;
}

/* The invite records of author (all of them, or only issuer's). */
static int load_records(struct store *s, struct invites *iv,
			const uint8_t author[KEY_PUBLIC_LEN], struct err *e)
{
	sqlite3_stmt *st;
	json_t *o;
	int rc;

	if ((rc = view_prepare(s, "SELECT ts, id, payload FROM entries WHERE "
			       "author = ?1 AND kind = ?2 AND payload IS NOT "
			       "NULL AND NOT opaque", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ENTRY_KIND_INVITE);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 2);
		int len = sqlite3_column_bytes(st, 2);

		if (sqlite3_column_bytes(st, 1) != ENTRY_ID_LEN ||
		    payload_validate(ENTRY_KIND_INVITE, p, (size_t)len, &o,
				     NULL) != PAYLOAD_VALID)
			continue;
		rc = take_record(iv, author,
				 (uint64_t)sqlite3_column_int64(st, 0),
				 sqlite3_column_blob(st, 1), o, e);
		json_decref(o);
		if (rc < 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot read invites");
	return 0;
}

/* The joins: each feed's first entry, a profile naming a known invite. */
static int load_joins(struct store *s, struct invites *iv, struct err *e)
{
	sqlite3_stmt *st;
	uint8_t id[8];
	json_t *o;
	ssize_t at;
	int rc;

	if (iv->n == 0)
		return 0;
	if ((rc = view_prepare(s, "SELECT e.author, e.ts, e.id, e.payload FROM "
			       "feeds AS f JOIN entries AS e ON e.author = "
			       "f.author AND e.seq = 1 WHERE e.kind = ?1 AND "
			       "e.payload IS NOT NULL AND NOT e.opaque AND "
			       "instr(CAST(e.payload AS TEXT), '\"invite\"') > 0",
			       &st, e)) < 0)
		return rc;
	sqlite3_bind_int(st, 1, ENTRY_KIND_PROFILE);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 3);
		int len = sqlite3_column_bytes(st, 3);
		struct join *j;

		if (sqlite3_column_bytes(st, 0) != KEY_PUBLIC_LEN ||
		    sqlite3_column_bytes(st, 2) != ENTRY_ID_LEN ||
		    payload_validate(ENTRY_KIND_PROFILE, p, (size_t)len, &o,
				     NULL) != PAYLOAD_VALID)
			continue;
		at = id_of(o, "invite", id) == 0 ? find(iv, id) : -1;
		json_decref(o);
		if (at < 0)
			continue;
		if ((rc = grow((void **)&iv->j, &iv->jcap, iv->nj,
			       sizeof(*iv->j), e)) < 0) {
			sqlite3_finalize(st);
			return rc;
		}
		j = &iv->j[iv->nj++];
		j->inv = (size_t)at;
		memcpy(j->member, sqlite3_column_blob(st, 0), KEY_PUBLIC_LEN);
		j->ts = (uint64_t)sqlite3_column_int64(st, 1);
		memcpy(j->entry, sqlite3_column_blob(st, 2), ENTRY_ID_LEN);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot read joins");
	return 0;
}

static int join_cmp(const void *a, const void *b)
{
	const struct join *x = a, *y = b;

	if (x->inv != y->inv)
		return x->inv < y->inv ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return memcmp(x->entry, y->entry, ENTRY_ID_LEN);
}

/*
 * The invites of every current facilitator (only = NULL), or of only
 * (if it is one), their revocations by any current facilitator, and
 * their joins sorted. With mentors, only the mentor invites (the joins
 * of none else are read: a node with no mentor invite reads no feed's
 * first entry). Every facilitator's records are read either way: an id
 * that another facilitator named first is that one's invite, for the
 * grant as for the list (else two nodes would each give its joiners a
 * role, each by a record of its own).
 */
static int load(struct store *s, const uint8_t *only, int mentors,
		struct invites *iv, struct err *e)
{
	uint8_t (*facs)[KEY_PUBLIC_LEN];
	size_t nf = 0, i, k;
	int rc, mine = 0;

	memset(iv, 0, sizeof(*iv));
	if (!(facs = malloc(INVITE_VIEW_FACILITATORS_MAX * sizeof(*facs))))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = view_facilitators(s, facs, INVITE_VIEW_FACILITATORS_MAX, &nf, e);
	for (i = 0; rc == 0 && i < nf; i++)
		if (!only || !memcmp(facs[i], only, KEY_PUBLIC_LEN))
			mine = 1;
	for (i = 0; rc == 0 && mine && i < nf; i++)
		rc = load_records(s, iv, facs[i], e);
	free(facs);
	if (rc < 0)
		goto fail;
	/* an id named by several creations: the earliest holds */
	if (iv->n)
		qsort(iv->v, iv->n, sizeof(*iv->v), inv_cmp);
	for (i = k = 0; i < iv->n; i++)
		if (k == 0 || memcmp(iv->v[k - 1].id, iv->v[i].id, 8))
			iv->v[k++] = iv->v[i];
	iv->n = k;
	/* only's, of those that hold (still sorted by id) */
	if (only) {
		for (i = k = 0; i < iv->n; i++)
			if (!memcmp(iv->v[i].issuer, only, KEY_PUBLIC_LEN))
				iv->v[k++] = iv->v[i];
		iv->n = k;
	}
	for (k = 0; k < iv->nr; k++) {
		ssize_t at = find(iv, iv->r[k].id);

		if (at < 0)
			continue;
		if (!iv->v[at].revoked || iv->r[k].ts < iv->v[at].revoked_ts)
			iv->v[at].revoked_ts = iv->r[k].ts;
		iv->v[at].revoked = 1;
	}
	if (mentors) {
		size_t m = 0;

		for (k = 0; k < iv->n; k++)
			if (iv->v[k].role >= GOV_ROLE_MENTOR)
				iv->v[m++] = iv->v[k];
		iv->n = m;
	}
	if ((rc = load_joins(s, iv, e)) < 0)
		goto fail;
	if (iv->nj)
		qsort(iv->j, iv->nj, sizeof(*iv->j), join_cmp);
	for (k = 0; k < iv->nj; k++) {
		struct inv *x = &iv->v[iv->j[k].inv];

		if (!x->njoins)
			x->first = k;
		x->njoins++;
	}
	return 0;
fail:
	invites_free(iv);
	return rc;
}

/* Why the k-th join (0-based) of x is not valid, or NULL if it is. */
static const char *join_why(const struct inv *x, size_t k,
			    const struct join *j)
{
	if (x->revoked && j->ts >= x->revoked_ts)
		return "revoked";
	if (x->expires && j->ts > x->expires)
		return "expired";
	if (k >= x->uses)
		return "over-use";
	return NULL;
}

static void set_hex(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];

	hex_encode(hex, p, n);
	json_object_set_new(o, k, json_string(hex));
}

static void set_name(struct store *s, json_t *o, const char *k,
		     const uint8_t pk[KEY_PUBLIC_LEN])
{
	char name[4 * PAYLOAD_NAME_MAX + 1];

	if (view_member_name(s, pk, name, sizeof(name), NULL) == 0 && name[0])
		json_object_set_new(o, k, json_string(name));
}

static json_t *row_of(struct store *s, const struct invites *iv,
		      const struct inv *x)
{
	json_t *o = json_object(), *list = json_array();
	size_t k, valid = 0, expired = 0, late = 0;

	if (!o || !list) {
		json_decref(o);
		json_decref(list);
		return NULL;
	}
	json_object_set_new(o, "type", json_string("invite"));
	set_hex(o, "id", x->id, 8);
	set_hex(o, "issuer", x->issuer, KEY_PUBLIC_LEN);
	set_name(s, o, "issuer_name", x->issuer);
	json_object_set_new(o, "ts", json_integer((json_int_t)x->ts));
	json_object_set_new(o, "role", json_string(payload_role_name(x->role)));
	json_object_set_new(o, "expires", json_integer((json_int_t)x->expires));
	json_object_set_new(o, "uses", json_integer(x->uses));
	if (x->has_epoch)
		json_object_set_new(o, "epoch", json_integer(x->epoch));
	json_object_set_new(o, "revoked", json_boolean(x->revoked));
	if (x->revoked)
		json_object_set_new(o, "revoked_ts",
				    json_integer((json_int_t)x->revoked_ts));
	for (k = 0; k < x->njoins; k++) {
		const struct join *j = &iv->j[x->first + k];
		const char *why = join_why(x, k, j);
		json_t *m = json_object();

		if (!m)
			continue;
		set_hex(m, "member", j->member, KEY_PUBLIC_LEN);
		set_name(s, m, "name", j->member);
		json_object_set_new(m, "ts", json_integer((json_int_t)j->ts));
		json_object_set_new(m, "valid", json_boolean(!why));
		if (why)
			json_object_set_new(m, "why", json_string(why));
		json_array_append_new(list, m);
		valid += !why;
		if (x->expires && j->ts > x->expires)
			expired++;
		if (x->revoked && j->ts >= x->revoked_ts)
			late++;
	}
	json_object_set_new(o, "joins", json_integer((json_int_t)x->njoins));
	json_object_set_new(o, "valid_joins", json_integer((json_int_t)valid));
	json_object_set_new(o, "over_used", json_boolean(x->njoins > x->uses));
	json_object_set_new(o, "expired_joins",
			    json_integer((json_int_t)expired));
	json_object_set_new(o, "late_joins", json_integer((json_int_t)late));
	json_object_set_new(o, "members", list);
	return o;
}

static int newest_first(const void *a, const void *b)
{
	const struct inv *x = *(const struct inv *const *)a;
	const struct inv *y = *(const struct inv *const *)b;

	if (x->ts != y->ts)
		return x->ts > y->ts ? -1 : 1;
	return -memcmp(x->entry, y->entry, ENTRY_ID_LEN);
}

int invite_view_list(struct store *s, view_row_fn cb, void *arg,
		     struct err *e)
{
	struct invites iv;
	const struct inv **order;
	size_t i;
	int rc;

	if ((rc = load(s, NULL, 0, &iv, e)) < 0)
		return rc;
	if (!(order = malloc((iv.n ? iv.n : 1) * sizeof(*order)))) {
		invites_free(&iv);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	for (i = 0; i < iv.n; i++)
		order[i] = &iv.v[i];
	qsort(order, iv.n, sizeof(*order), newest_first);
	for (i = 0; i < iv.n; i++) {
		json_t *row = row_of(s, &iv, order[i]);

		if (!row) {
			rc = err_set(e, STOA_ENOMEM, "out of memory");
			break;
		}
		rc = cb(row, arg);
		json_decref(row);
		if (rc) {
			rc = 0;
			break;
		}
	}
	free(order);
	invites_free(&iv);
	return rc;
}

/* 1 if author ever wrote a role record about member that this store's
 * governance table holds. */
static int wrote_role(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		      const uint8_t member[KEY_PUBLIC_LEN], struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(s, "SELECT 1 FROM gov WHERE target = ?1 AND "
			       "kind = ?2 AND author = ?3 LIMIT 1", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, member, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ENTRY_KIND_ROLE);
	sqlite3_bind_blob(st, 3, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot read roles");
	return 0;
}

/* The role record {member, role, seen, replaces, reason} for one join. */
static int write_role(struct store *s, const struct key *k,
		      const uint8_t member[KEY_PUBLIC_LEN], int role,
		      const uint8_t id[8], struct err *e)
{
	uint8_t ids[PAYLOAD_REPLACES_MAX][ENTRY_ID_LEN], head[ENTRY_ID_LEN];
	char hex[2 * KEY_PUBLIC_LEN + 1], reason[32];
	json_t *o, *list;
	uint64_t seen;
	size_t n, i;
	char *p = NULL;
	size_t len;
	int rc;

	if ((rc = store_head(s, member, &seen, head, e)) < 0 ||
	    (rc = gov_view_role_records(s, member, ids, PAYLOAD_REPLACES_MAX,
					&n, e)) < 0)
		return rc;
	if (!(o = json_object()) || !(list = json_array())) {
		json_decref(o);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	json_object_set_new(o, "replaces", list);
	for (i = 0; i < n; i++) {
		hex_encode(hex, ids[i], ENTRY_ID_LEN);
		json_array_append_new(list, json_string(hex));
	}
	hex_encode(hex, member, KEY_PUBLIC_LEN);
	json_object_set_new(o, "member", json_string(hex));
	json_object_set_new(o, "role", json_string(payload_role_name(role)));
	json_object_set_new(o, "seen", json_integer((json_int_t)seen));
	memcpy(reason, "invite ", 7);
	hex_encode(reason + 7, id, 8);
	json_object_set_new(o, "reason", json_string(reason));
	rc = payload_encode(o, &p, &len, e);
	json_decref(o);
	if (rc == 0)
		rc = store_append(s, k, ENTRY_KIND_ROLE, p, len, NULL, e);
	free(p);
	return rc;
}

/* The store's newest entry (its local arrival number). */
static int newest_n(struct store *s, uint64_t *n, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if ((rc = view_prepare(s, "SELECT max(n) FROM entries", &st, e)) < 0)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return view_db_fail(s, e, "cannot read entries");
	return 0;
}

static int grant(struct store *s, const struct key *k, unsigned *written,
		 struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	int has_founder = store_founder(s, founder);
	struct invites iv;
	size_t i, m;
	int rc, removed, now;

	if ((rc = load(s, k->pk, 1, &iv, e)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < iv.n; i++) {
		const struct inv *x = &iv.v[i];

		if (x->role < GOV_ROLE_MENTOR)
			continue;
		for (m = 0; rc == 0 && m < x->njoins; m++) {
			const struct join *j = &iv.j[x->first + m];

			if (join_why(x, m, j) ||
			    (has_founder && !memcmp(j->member, founder,
						    KEY_PUBLIC_LEN)) ||
			    !memcmp(j->member, k->pk, KEY_PUBLIC_LEN))
				continue;
			now = view_gov_role(s, j->member, &removed, e);
			if (now < 0) {
				rc = now;
				break;
			}
			if (removed || now >= x->role)
				continue;
			if ((rc = wrote_role(s, k->pk, j->member, e)) != 0) {
				rc = rc > 0 ? 0 : rc;
				continue;
			}
			rc = write_role(s, k, j->member, x->role, x->id, e);
			if (rc == 0 && written)
				(*written)++;
		}
	}
	invites_free(&iv);
	return rc;
}

int invite_view_grant(struct store *s, const struct key *k,
		      uint64_t *seen_n, unsigned *written, struct err *e)
{
	uint64_t n = 0;
	int rc, own = !store_in_batch(s);

	if (written)
		*written = 0;
	if (seen_n) {
		if ((rc = newest_n(s, &n, e)) < 0)
			return rc;
		if (n == *seen_n)
			return 0;
	}
	if (own && (rc = store_begin(s, e)) < 0)
		return rc;
	rc = grant(s, k, written, e);
	/* under the write lock: what the grant wrote itself needs no second
	 * look, and nobody else can have written since it read */
	if (rc == 0 && seen_n)
		rc = newest_n(s, &n, e);
	if (own) {
		if (rc == 0)
			rc = store_commit(s, e);
		else
			store_rollback(s);
	}
	if (rc == 0 && seen_n)
		*seen_n = n;
	return rc;
}
