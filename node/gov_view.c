/*
 * gov_view: read queries over the governance tables for the commands that
 * write governance records and for the reports queue (gov_view.h). The
 * tables are what gov_store resolved at the last commit, so every answer
 * here is the rules' answer, never a second reading of them. This module
 * never writes and never prints.
 */
#include <string.h>

#include <sqlite3.h>

#include "gov_view.h"

static int db_fail(struct store *s, struct err *e, const char *what)
{
	return err_set(e, STOA_EIO, "%s: %s", what,
		       sqlite3_errmsg(store_db(s)));
}

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
		return db_fail(s, e, "cannot read roles");
	sqlite3_bind_int(st, 1, ENTRY_KIND_ROLE);
	sqlite3_bind_blob(st, 2, member, KEY_PUBLIC_LEN, SQLITE_STATIC);
	while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != ENTRY_ID_LEN)
			continue;
		memcpy(ids[(*n)++], sqlite3_column_blob(st, 0), ENTRY_ID_LEN);
	}
	if (*n < cap && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return db_fail(s, e, "cannot read roles");
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
		return db_fail(s, e, "cannot read governance");
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*hidden = sqlite3_column_int(st, 0) != 0;
		*erased = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(s, e, "cannot read governance");
	return 0;
}

/* Adds a blob column as lowercase hex (nothing if NULL). */
static void set_hex(json_t *o, const char *k, sqlite3_stmt *st, int col)
{
	char hex[2 * 64 + 1];
	int n = sqlite3_column_bytes(st, col);

	if (sqlite3_column_type(st, col) != SQLITE_BLOB || n <= 0 || n > 64)
		return;
	hex_encode(hex, sqlite3_column_blob(st, col), (size_t)n);
	json_object_set_new(o, k, json_string(hex));
}

/* Adds a text column (nothing if NULL): stored text passed jansson on
 * its way in, so it is valid UTF-8. */
static void set_text(json_t *o, const char *k, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (t && sqlite3_column_type(st, col) != SQLITE_NULL)
		json_object_set_new(o, k, json_stringn((const char *)t,
				(size_t)sqlite3_column_bytes(st, col)));
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
	set_hex(o, "id", st, 0);
	set_hex(o, "author", st, 1);
	set_text(o, "name", st, 7);
	json_object_set_new(o, "ts", json_integer(sqlite3_column_int64(st, 2)));
	set_hex(o, "target", st, 3);
	set_text(o, "category", st, 4);
	json_object_set_new(o, "sealed", sealed);
	set_text(o, "effect", st, 6);
	if (held) {
		json_object_set_new(o, "target_kind", json_string(
			entry_kind_name((uint8_t)sqlite3_column_int(st, 8))));
		set_hex(o, "target_author", st, 9);
		set_text(o, "target_name", st, 10);
		set_text(o, "excerpt", st, 12);
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
		return db_fail(s, e, "cannot read reports");
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
		return db_fail(s, e, "cannot read reports");
	return 0;
}
