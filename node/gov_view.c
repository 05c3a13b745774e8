/*
 * gov_view: read queries over the governance tables: for the commands that
 * write governance records, the reports queue (gov_view.h), the history
 * of `stoa governance` and the roles (view.h). The
 * tables are what gov_store resolved at the last commit, so every answer
 * here is the rules' answer, never a second reading of them. This module
 * never writes and never prints.
 */
#include <string.h>

#include <sqlite3.h>

#include "gov_view.h"
#include "payload.h"
#include "view_int.h"

int gov_view_role_records(struct store *s,
			  const uint8_t member[KEY_PUBLIC_LEN],
			  uint8_t (*ids)[ENTRY_ID_LEN], size_t cap, size_t *n,
			  struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT id FROM gov WHERE kind = "
			       "?1 AND target = ?2 AND effect = 'applied' "
			       "ORDER BY ts DESC, id DESC", -1, &st,
			       NULL) != SQLITE_OK)
		return view_db_fail(s, e, "cannot read roles");
	sqlite3_bind_int(st, 1, ENTRY_KIND_ROLE);
	sqlite3_bind_blob(st, 2, member, KEY_PUBLIC_LEN, SQLITE_STATIC);
	while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != ENTRY_ID_LEN)
			continue;
		memcpy(ids[(*n)++], sqlite3_column_blob(st, 0), ENTRY_ID_LEN);
	}
	if (*n < cap && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return view_db_fail(s, e, "cannot read roles");
	}
	sqlite3_finalize(st);
	return 0;
}

int gov_view_target(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		    int *hidden, int *erased, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*hidden = *erased = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT EXISTS (SELECT 1 FROM "
			       "gov_hidden WHERE target = ?1), EXISTS (SELECT "
			       "1 FROM gov_erased WHERE target = ?1)", -1, &st,
			       NULL) != SQLITE_OK)
		return view_db_fail(s, e, "cannot read governance");
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hidden = sqlite3_column_int(st, 0) != 0;
		*erased = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return view_db_fail(s, e, "cannot read governance");
	return 0;
}

/* The sealed boxes as stored (a JSON list the payload check let in);
 * anything else is an empty list. */
static json_t *sealed_of(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	json_t *a = t ? json_loads(t, 0, NULL) : NULL;

	if (json_is_array(a))
		return a;
	json_decref(a);
	return json_array();
}

#define REPORT_QUERY                                                       \
	"SELECT g.id, g.author, g.ts, g.target, g.category, g.sealed,"     \
	" g.effect, (SELECT name FROM profiles WHERE author = g.author),"  \
	" t.kind, t.author,"                                               \
	" (SELECT name FROM profiles WHERE author = t.author),"            \
	" t.payload IS NULL,"                                              \
	" coalesce((SELECT coalesce(title, body) FROM posts"               \
	"   WHERE entry = t.n),"                                           \
	"  (SELECT comment FROM feedback WHERE entry = t.n)),"             \
	" EXISTS (SELECT 1 FROM gov_hidden WHERE target = g.target),"      \
	" EXISTS (SELECT 1 FROM gov_erased WHERE target = g.target),"      \
	" t.n IS NOT NULL"                                                 \
	" FROM gov AS g LEFT JOIN entries AS t"                            \
	" ON t.idk = stoa_idk(g.target) AND t.id = g.target"               \
	" WHERE g.kind = ?1 ORDER BY g.ts DESC, g.id DESC"

/* One row of REPORT_QUERY: its columns, in order, are 0 id, 1 author,
 * 2 ts, 3 target, 4 category, 5 sealed, 6 effect, 7 the reporter's name,
 * 8-10 the target's kind, author and author's name, 11 its payload gone,
 * 12 the excerpt, 13 hidden, 14 erased, 15 the target held. */
static json_t *report_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *sealed;
	int hidden = sqlite3_column_int(st, 13);
	int erased = sqlite3_column_int(st, 14);
	int held = sqlite3_column_int(st, 15);

	if (!o || !(sealed = sealed_of(st, 5))) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "type", json_string("report"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 7);
	json_object_set_new(o, "ts", json_integer(sqlite3_column_int64(st, 2)));
	view_set_hex(o, "target", st, 3);
	view_set_text(o, "category", st, 4);
	json_object_set_new(o, "sealed", sealed);
	view_set_text(o, "effect", st, 6);
	if (held) {
		json_object_set_new(o, "target_kind", json_string(
			entry_kind_name((uint8_t)sqlite3_column_int(st, 8))));
		view_set_hex(o, "target_author", st, 9);
		view_set_text(o, "target_name", st, 10);
		view_set_text(o, "excerpt", st, 12);
	}
	json_object_set_new(o, "target_state", json_string(
		erased || (held && sqlite3_column_int(st, 11)) ? "erased"
		: held ? "held" : "not held"));
	json_object_set_new(o, "action", json_string(
		erased ? "erased" : hidden ? "hidden" : "none"));
	return o;
}

int gov_view_reports(struct store *s, view_row_fn cb, void *arg,
		     struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(store_db(s), REPORT_QUERY, -1, &st, NULL) !=
	    SQLITE_OK)
		return view_db_fail(s, e, "cannot read reports");
	sqlite3_bind_int(st, 1, ENTRY_KIND_REPORT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = report_row(st);
		int stop;

		if (!row) {
			sqlite3_finalize(st);
			return err_set(e, STOA_ENOMEM, "out of memory");
		}
		stop = cb(row, arg);
		json_decref(row);
		if (stop)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot read reports");
	return 0;
}

/* The history of `stoa governance`, and the roles the commands check
 * (declared in view.h). */
static json_t *gov_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *list;
	int kind = sqlite3_column_int(st, 4);
	const unsigned char *t;

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("gov"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 2);
	view_set_int(o, "ts", st, 3);
	view_set_int(o, "seq", st, 11);
	json_object_set_new(o, "kind", json_string(entry_kind_name(
		(uint8_t)kind)));
	view_set_hex(o, "target", st, 5);
	if (kind == ENTRY_KIND_ROLE || kind == ENTRY_KIND_REMOVE)
		view_set_text(o, "target_name", st, 6);
	if (kind == ENTRY_KIND_ROLE) {
		view_set_text(o, "role", st, 7);
		view_set_int(o, "seen", st, 8);
		t = sqlite3_column_text(st, 9);
		list = t ? json_loads((const char *)t, 0, NULL) : NULL;
		if (json_is_array(list) && json_array_size(list))
			json_object_set_new(o, "replaces", list);
		else
			json_decref(list);
	}
	if (kind == ENTRY_KIND_REMOVE)
		view_set_int(o, "cut", st, 8);
	if (kind == ENTRY_KIND_EPOCH) {
		view_set_int(o, "epoch", st, 8);
		view_set_int(o, "sealed_to", st, 13);
	}
	/* a report's reason column is empty (its text is sealed) and its
	 * category is left out on purpose */
	if (kind != ENTRY_KIND_REPORT)
		view_set_text(o, "reason", st, 10);
	view_set_text(o, "effect", st, 12);
	return o;
}

/* Adds to a governance row how far it has spread among the peers this
 * node met: "peers" (met at all), "reached" (held its author's feed up
 * to it when last met), "pending" [{"key","name","last_seen"}] (the
 * others, most recently seen first). The record's author holds it. */
struct spread_ctx {
	struct store *s;
	sqlite3_stmt *st;
	view_row_fn cb;
	void *arg;
	int err;
};

static int add_spread(json_t *row, void *arg)
{
	struct spread_ctx *c = arg;
	uint8_t author[KEY_PUBLIC_LEN];
	json_t *pending = json_array();
	json_int_t peers = 0, reached = 0;
	const char *a = json_string_value(json_object_get(row, "author"));
	json_int_t seq = json_integer_value(json_object_get(row, "seq"));

	if (!pending || !a || hex_decode(author, KEY_PUBLIC_LEN, a) < 0) {
		json_decref(pending);
		c->err = STOA_ENOMEM;
		return 1;
	}
	sqlite3_reset(c->st);
	sqlite3_bind_blob(c->st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	while (sqlite3_step(c->st) == SQLITE_ROW) {
		json_t *p;

		if (sqlite3_column_bytes(c->st, 0) == KEY_PUBLIC_LEN &&
		    !memcmp(sqlite3_column_blob(c->st, 0), author,
			    KEY_PUBLIC_LEN))
			continue; /* the author's own node */
		peers++;
		if (sqlite3_column_int64(c->st, 2) >= seq) {
			reached++;
			continue;
		}
		if (!(p = json_object())) {
			c->err = STOA_ENOMEM;
			break;
		}
		view_set_hex(p, "key", c->st, 0);
		view_set_text(p, "name", c->st, 3);
		view_set_int(p, "last_seen", c->st, 1);
		json_array_append_new(pending, p);
	}
	json_object_set_new(row, "peers", json_integer(peers));
	json_object_set_new(row, "reached", json_integer(reached));
	json_object_set_new(row, "pending", pending);
	return c->err ? 1 : c->cb(row, c->arg);
}

int view_governance(struct store *s, const struct view_gov_filter *f,
		    view_row_fn cb, void *arg, struct err *e)
{
	struct spread_ctx c = { s, NULL, cb, arg, 0 };
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(s,
		"SELECT m.node, m.last_seen, coalesce(h.seq, 0), (SELECT name"
		" FROM profiles WHERE author = m.node) FROM peers_met AS m"
		" LEFT JOIN peer_heads AS h ON h.node = m.node AND"
		" h.author = ?1 WHERE NOT EXISTS (SELECT 1 FROM gov_members"
		" WHERE member = m.node AND removed)"
		" ORDER BY m.last_seen DESC, m.node", &c.st,
		e)) < 0)
		return rc;
	if ((rc = view_prepare(s,
		"SELECT g.id, g.author, (SELECT name FROM profiles WHERE"
		" author = g.author), g.ts, g.kind, g.target, (SELECT name FROM"
		" profiles WHERE author = g.target), g.role, g.anchor,"
		" g.replaces, g.reason, g.seq, g.effect,"
		" CASE WHEN g.kind = 16 THEN json_array_length(g.sealed) END"
		" FROM gov AS g"
		" WHERE NOT ?1 OR g.effect IS NOT 'applied'"
		" ORDER BY g.ts DESC, g.id DESC LIMIT ?2", &st, e)) < 0) {
		sqlite3_finalize(c.st);
		return rc;
	}
	sqlite3_bind_int(st, 1, f->unapplied);
	sqlite3_bind_int(st, 2, (int)view_limit(f->limit));
	rc = view_run(s, st, gov_row, add_spread, &c, e);
	sqlite3_finalize(c.st);
	if (rc == 0 && c.err)
		rc = err_set(e, c.err, "out of memory");
	return rc;
}

int view_gov_role(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		  int *removed, struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	sqlite3_stmt *st;
	int rank = 0, rc;

	*removed = 0;
	if (sqlite3_prepare_v2(store_db(s), "SELECT role, removed FROM "
			       "gov_members WHERE member = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot read roles: %s",
			       sqlite3_errmsg(store_db(s)));
	sqlite3_bind_blob(st, 1, pk, KEY_PUBLIC_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rank = payload_role_rank((const char *)sqlite3_column_text(st,
									   0));
		*removed = sqlite3_column_int(st, 1) != 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err_set(e, STOA_EIO, "cannot read roles: %s",
			       sqlite3_errmsg(store_db(s)));
	if (store_founder(s, founder) &&
	    !memcmp(founder, pk, KEY_PUBLIC_LEN))
		rank = GOV_ROLE_FACILITATOR; /* always, whatever a record says */
	return rank < 0 ? GOV_ROLE_LEARNER : rank;
}

int view_facilitators(struct store *s, uint8_t (*out)[KEY_PUBLIC_LEN],
		      size_t cap, size_t *n, struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (store_founder(s, founder) && cap > 0)
		memcpy(out[(*n)++], founder, KEY_PUBLIC_LEN);
	if (sqlite3_prepare_v2(store_db(s), "SELECT member FROM gov_members "
			       "WHERE role = 'facilitator' AND NOT removed "
			       "ORDER BY member", -1, &st, NULL) != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot read roles: %s",
			       sqlite3_errmsg(store_db(s)));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < cap) {
		if (sqlite3_column_bytes(st, 0) != KEY_PUBLIC_LEN ||
		    (*n > 0 && !memcmp(out[0], sqlite3_column_blob(st, 0),
				       KEY_PUBLIC_LEN)))
			continue;
		memcpy(out[(*n)++], sqlite3_column_blob(st, 0), KEY_PUBLIC_LEN);
	}
	sqlite3_finalize(st);
	return 0;
}
