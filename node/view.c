/*
 * view: read queries over the materialized view (see view.h). Relations
 * between entries are resolved here, at read time, and only by rules that
 * look at the whole set (a pairing is valid if its ask is held and is by
 * someone else; a session or close counts if a participant wrote it), so
 * the answer never depends on the order entries arrived in. Governance
 * is read the same way: the tables gov_store keeps (gov, gov_members,
 * gov_hidden, gov_erased) are a function of the set of records; what is
 * hidden, erased or reported is found by id (an arrival number only links
 * a view row to its entry, and never orders anything). Every query uses
 * an index for its ordering so feed/search stay fast at 1M entries; the
 * governance filters are tests on the rows walked, never an index choice.
 * The governance history and roles are read in gov_view.c, with the
 * helpers of view_int.h. This module never prints.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "payload.h"
#include "view_int.h"

int view_db_fail(struct store *s, struct err *e, const char *what)
{
	return err_set(e, STOA_EIO, "%s: %s", what,
		       sqlite3_errmsg(store_db(s)));
}

int view_prepare(struct store *s, const char *sql, sqlite3_stmt **st,
		 struct err *e)
{
	if (sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL) != SQLITE_OK)
		return view_db_fail(s, e, "cannot query view");
	return 0;
}

/* Adds a blob column as lowercase hex (nothing if NULL). */
void view_set_hex(json_t *o, const char *k, sqlite3_stmt *st, int col)
{
	char hex[2 * 64 + 1];
	int n = sqlite3_column_bytes(st, col);

	if (sqlite3_column_type(st, col) != SQLITE_BLOB || n <= 0 || n > 64)
		return;
	hex_encode(hex, sqlite3_column_blob(st, col), (size_t)n);
	json_object_set_new(o, k, json_string(hex));
}

/* Adds a text column (nothing if NULL). Stored text is valid UTF-8:
 * it passed jansson on the way in. */
void view_set_text(json_t *o, const char *k, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	if (t && sqlite3_column_type(st, col) != SQLITE_NULL)
		json_object_set_new(o, k, json_stringn((const char *)t,
				(size_t)sqlite3_column_bytes(st, col)));
}

void view_set_int(json_t *o, const char *k, sqlite3_stmt *st, int col)
{
	json_object_set_new(o, k, json_integer(sqlite3_column_int64(st, col)));
}

/* Steps st, turning each row into an object with build() and handing it
 * to cb. Returns 0, or an error. */
int view_run(struct store *s, sqlite3_stmt *st,
	     json_t *(*build)(sqlite3_stmt *), view_row_fn cb, void *arg,
	     struct err *e)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = build(st);
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
		return view_db_fail(s, e, "cannot query view");
	return 0;
}

unsigned view_limit(unsigned limit)
{
	if (limit == 0)
		return VIEW_LIMIT_DEFAULT;
	return limit > VIEW_LIMIT_MAX ? VIEW_LIMIT_MAX : limit;
}

/*
 * Governance in SQL. Every query binds ?7 (1: hidden items wanted) and
 * ?8 (the viewer's key, or NULL) through bind_scope. The subqueries
 * below name no column of the outer row, so SQLite runs each once per
 * statement, not once per row.
 */
/* The ids a facilitator hid. */
#define HIDDEN_IDS "(SELECT target FROM gov_hidden)"
/* The entry numbers of the hidden entries (feedback rows have no id).
 * CROSS JOIN keeps gov_hidden the outer loop: left to itself, SQLite
 * walked all of entries instead (90 ms a search at 200k entries). */
#define HIDDEN_ENTRIES                                                     \
	"(SELECT x.n FROM gov_hidden AS h CROSS JOIN entries AS x"         \
	" ON x.idk = stoa_idk(h.target) AND x.id = h.target)"
/* The ids the viewer reported. */
#define REPORTED_IDS                                                       \
	"(SELECT target FROM gov WHERE kind = 14 AND author = ?8)"
/* Whether the row of table alias t (with an id column) is listed. */
#define LISTED(t)                                                          \
	"(?7 OR (" t ".id NOT IN " HIDDEN_IDS " AND " t ".id NOT IN "      \
	REPORTED_IDS "))"
/* Whether a feedback row (alias f) counts. */
#define FEEDBACK_COUNTS "(?7 OR f.entry NOT IN " HIDDEN_ENTRIES ")"

/* The columns every post row is built from, in this order. */
#define POST_COLS                                                          \
	"p.id, p.author, p.ts, p.topic, p.title, p.body, p.reply_to,"      \
	" (SELECT name FROM profiles WHERE author = p.author),"            \
	" (SELECT count(*) FROM posts AS r WHERE r.reply_to = p.id"        \
	"  AND (?7 OR r.entry NOT IN " HIDDEN_ENTRIES ")),"                \
	" (SELECT count(*) FROM feedback AS f WHERE f.target = p.id"       \
	"  AND " FEEDBACK_COUNTS "),"                                      \
	" (SELECT avg(rating) FROM feedback AS f WHERE f.target = p.id"    \
	"  AND " FEEDBACK_COUNTS "),"                                      \
	" p.id IN " HIDDEN_IDS ","                                         \
	" (SELECT g.reason FROM gov_hidden AS h JOIN gov AS g"             \
	"  ON g.id = h.by WHERE h.target = p.id),"                         \
	" p.reply_to IN (SELECT target FROM gov_erased)"
#define POST_NCOLS 14

static void bind_scope(sqlite3_stmt *st, const struct view_scope *sc)
{
	sqlite3_bind_int(st, 7, sc && sc->hidden);
	if (sc && sc->viewer)
		sqlite3_bind_blob(st, 8, sc->viewer, KEY_PUBLIC_LEN,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
}

static json_t *post_row(sqlite3_stmt *st)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("post"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 7);
	view_set_int(o, "ts", st, 2);
	view_set_text(o, "topic", st, 3);
	view_set_text(o, "title", st, 4);
	view_set_text(o, "body", st, 5);
	view_set_hex(o, "reply_to", st, 6);
	if (sqlite3_column_int(st, 13))
		json_object_set_new(o, "reply_to_erased", json_true());
	view_set_int(o, "replies", st, 8);
	view_set_int(o, "feedback", st, 9);
	if (sqlite3_column_type(st, 10) != SQLITE_NULL)
		json_object_set_new(o, "rating",
				    json_real(sqlite3_column_double(st, 10)));
	if (sqlite3_column_int(st, 11)) {
		json_object_set_new(o, "hidden", json_true());
		view_set_text(o, "hidden_reason", st, 12);
	}
	return o;
}

int view_feed_for(struct store *s, const struct view_feed_filter *f,
		  const struct view_scope *scope, view_row_fn cb, void *arg,
		  struct err *e)
{
	char sql[2048];
	sqlite3_stmt *st;
	int rc;

	/* A fixed WHERE per filter combination, so SQLite picks the index
	 * whose order is (ts, id) within the filter; what is listed is a
	 * test on each row walked, never an index choice. */
	snprintf(sql, sizeof(sql), "SELECT " POST_COLS " FROM posts AS p"
		 " WHERE %s%s" LISTED("p") " ORDER BY p.ts DESC, p.id DESC"
		 " LIMIT ?3",
		 f->topic ? "p.topic = ?1 AND " : "",
		 f->author ? "p.author = ?2 AND " : "");
	if ((rc = view_prepare(s, sql, &st, e)) < 0)
		return rc;
	if (f->topic)
		sqlite3_bind_text(st, 1, f->topic, -1, SQLITE_STATIC);
	if (f->author)
		sqlite3_bind_blob(st, 2, f->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)view_limit(f->limit));
	bind_scope(st, scope);
	return view_run(s, st, post_row, cb, arg, e);
}

int view_feed(struct store *s, const struct view_feed_filter *f,
	      view_row_fn cb, void *arg, struct err *e)
{
	return view_feed_for(s, f, NULL, cb, arg, e);
}

static json_t *reply_row(sqlite3_stmt *st)
{
	json_t *o = post_row(st);

	if (o)
		view_set_int(o, "depth", st, POST_NCOLS);
	return o;
}

static json_t *feedback_row(sqlite3_stmt *st)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("feedback"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 2);
	view_set_int(o, "ts", st, 3);
	view_set_hex(o, "target", st, 4);
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		view_set_int(o, "rating", st, 5);
	json_object_set_new(o, "helpful", json_boolean(sqlite3_column_int(st, 6)));
	view_set_text(o, "comment", st, 7);
	if (sqlite3_column_int(st, 8))
		json_object_set_new(o, "hidden", json_true());
	return o;
}

/* Replies deeper than this are not followed (ids make cycles
 * impossible; this bounds the work a hostile thread can cause). */
#define VIEW_THREAD_DEPTH_MAX 64

/* A hidden post's row, once scope does not want hidden items: only who
 * wrote it and when, and why it is hidden. */
static void to_hidden_notice(json_t *row)
{
	static const char *const text[] = {
		"topic", "title", "body", "replies", "feedback", "rating",
	};
	size_t i;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		json_object_del(row, text[i]);
}

static json_t *erased_row(sqlite3_stmt *st)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("post"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 3);
	view_set_int(o, "ts", st, 2);
	json_object_set_new(o, "erased", json_true());
	json_object_set_new(o, "erased_by", json_string(
		sqlite3_column_int(st, 4) ? "author" : "facilitator"));
	view_set_text(o, "erased_reason", st, 5);
	return o;
}

/* The first row of a thread: the post (or its hidden notice), else the
 * notice of an erased post; *row NULL if id is neither. */
static int thread_head(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		       const struct view_scope *scope, json_t **row,
		       struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	*row = NULL;
	if ((rc = view_prepare(s, "SELECT " POST_COLS " FROM posts AS p WHERE p.entry ="
			  " (SELECT n FROM entries WHERE " STORE_ENTRY_BY_ID ")",
			  &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	bind_scope(st, scope);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((*row = post_row(st)) && sqlite3_column_int(st, 11) &&
		    !(scope && scope->hidden))
			to_hidden_notice(*row);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE) {
		/* an erased post: its header is held, its payload is not;
		 * the erase record says who and why */
		if ((rc = view_prepare(s,
			"SELECT x.id, x.author, x.ts, (SELECT name FROM profiles"
			"  WHERE author = x.author), g.author = x.author, g.reason"
			" FROM gov_erased AS d JOIN gov AS g ON g.id = d.by"
			" JOIN entries AS x ON x.idk = stoa_idk(d.target)"
			"  AND x.id = d.target"
			" WHERE d.target = ?1 AND x.kind = 2", &st, e)) < 0)
			return rc;
		sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*row = erased_row(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return err_set(e, STOA_ENOTFOUND, "no post with that id");
	}
	if (rc != SQLITE_ROW)
		return view_db_fail(s, e, "cannot query view");
	if (!*row)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

int view_show_for(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		  const struct view_scope *scope, view_row_fn cb, void *arg,
		  struct err *e)
{
	sqlite3_stmt *st;
	json_t *row;
	int rc, stop;

	if ((rc = thread_head(s, id, scope, &row, e)) < 0)
		return rc;
	json_object_set_new(row, "depth", json_integer(0));
	stop = cb(row, arg);
	json_decref(row);
	if (stop)
		return 0;

	/* Depth-first, oldest first at each level: order by a path of
	 * (ts, id) keys, fixed-width so text order is tree order. A reply
	 * not listed is not walked into. */
	if ((rc = view_prepare(s,
		"WITH RECURSIVE thread(n, id, depth, path) AS ("
		" SELECT c.entry, c.id, 1, printf('%016x', c.ts) || hex(c.id)"
		"  FROM posts AS c WHERE c.reply_to = ?1 AND " LISTED("c")
		" UNION ALL"
		" SELECT c.entry, c.id, t.depth + 1,"
		"  t.path || '/' || printf('%016x', c.ts) || hex(c.id)"
		"  FROM posts AS c JOIN thread AS t ON c.reply_to = t.id"
		"  WHERE t.depth < ?2 AND " LISTED("c") ")"
		" SELECT " POST_COLS ", t.depth FROM thread AS t"
		" JOIN posts AS p ON p.entry = t.n ORDER BY t.path", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, VIEW_THREAD_DEPTH_MAX);
	bind_scope(st, scope);
	if ((rc = view_run(s, st, reply_row, cb, arg, e)) < 0)
		return rc;

	if ((rc = view_prepare(s,
		"SELECT x.id, f.author, (SELECT name FROM profiles WHERE"
		" author = f.author), f.ts, f.target, f.rating, f.helpful,"
		" f.comment, x.id IN " HIDDEN_IDS
		" FROM feedback AS f JOIN entries AS x ON x.n = f.entry"
		" WHERE f.target = ?1 AND " LISTED("x")
		" ORDER BY f.ts, x.id", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	bind_scope(st, scope);
	return view_run(s, st, feedback_row, cb, arg, e);
}

int view_show(struct store *s, const uint8_t id[ENTRY_ID_LEN], view_row_fn cb,
	      void *arg, struct err *e)
{
	return view_show_for(s, id, NULL, cb, arg, e);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The FTS5 expression being built by fts_token. */
struct fts_build {
	char *out;
	size_t cap, o;
	int terms;
	int full;       /* out was too small */
};

/* An xTokenize callback: appends the token as one quoted term. Tokens
 * never hold '"' (a separator for unicode61), so no escaping. */
static int fts_token(void *arg, int flags, const char *tok, int n, int start,
		     int end)
{
	struct fts_build *b = arg;

	(void)start;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	if (n <= 0 || b->o + (size_t)n + 5 >= b->cap) {
		b->full = n > 0;
		return n > 0 ? SQLITE_DONE : SQLITE_OK;
	}
	if (b->terms++)
		b->out[b->o++] = ' ';
	b->out[b->o++] = '"';
	memcpy(b->out + b->o, tok, (size_t)n);
	b->o += (size_t)n;
	b->out[b->o++] = '"';
	return SQLITE_OK;
}

/* FTS5's own API, from which its tokenizers are found. */
static fts5_api *fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

/*
 * Turns what a person typed into a safe FTS5 expression of single terms,
 * all required: each whitespace-separated word is split into tokens by
 * the index's own tokenizer (unicode61), and each token becomes a quoted
 * term, so punctuation never causes a syntax error and no term is a
 * phrase (the index keeps no positions: detail=none). A word typed with a
 * trailing '*' makes its last token a prefix ("fract*" finds
 * "fractions"). Whole words by default, because a prefix query makes
 * FTS5 merge the lists of every matching term, which costs time in
 * proportion to all matches, not to the limit. Returns the number of
 * terms: 0 when the words hold no token at all (only punctuation).
 */
static int fts_query(sqlite3 *db, const char *q, char *out, size_t cap,
		     struct err *e)
{
	struct fts_build b = { out, cap, 0, 0, 0 };
	fts5_tokenizer tk;
	Fts5Tokenizer *t = NULL;
	fts5_api *api;
	void *ud;
	int words = 0, rc = SQLITE_OK;

	if (strlen(q) > VIEW_QUERY_MAX)
		return err_set(e, STOA_EINVAL, "search query is longer than %d bytes",
			       VIEW_QUERY_MAX);
	api = fts5_of(db);
	if (!api || api->xFindTokenizer(api, "unicode61", &ud, &tk) != SQLITE_OK ||
	    tk.xCreate(ud, NULL, 0, &t) != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot search: no FTS5 tokenizer");
	while (*q && rc == SQLITE_OK && !b.full) {
		const char *w;
		size_t n, before = b.terms;

		while (is_space(*q))
			q++;
		for (w = q; *q && !is_space(*q); q++)
			;
		if (q == w)
			break;
		words++;
		n = (size_t)(q - w);
		rc = tk.xTokenize(t, &b, FTS5_TOKENIZE_QUERY, w,
				  (int)(w[n - 1] == '*' ? n - 1 : n), fts_token);
		if (w[n - 1] == '*' && (size_t)b.terms > before && !b.full)
			b.out[b.o++] = '*';
	}
	tk.xDelete(t);
	out[b.o] = '\0';
	if (b.full || rc == SQLITE_DONE)
		return err_set(e, STOA_EINVAL, "search query is too long");
	if (rc != SQLITE_OK)
		return err_set(e, STOA_EIO, "cannot search: the tokenizer failed");
	if (!words)
		return err_set(e, STOA_EINVAL, "empty search query");
	return b.terms;
}

static json_t *search_row(sqlite3_stmt *st)
{
	json_t *o = post_row(st);

	if (o)
		view_set_text(o, "snippet", st, POST_NCOLS);
	return o;
}

int view_search(struct store *s, const char *query, unsigned limit,
		const struct view_scope *scope, view_row_fn cb, void *arg,
		struct err *e)
{
	char q[3 * VIEW_QUERY_MAX + 8];
	sqlite3_stmt *st;
	int rc;

	if ((rc = fts_query(store_db(s), query, q, sizeof(q), e)) <= 0)
		return rc; /* 0: nothing to look for, nothing found */
	/* Newest received first: FTS5 walks its rowids backwards and stops
	 * at the limit, instead of ranking every match. */
	if ((rc = view_prepare(s, "SELECT " POST_COLS ","
			  " snippet(posts_fts, 1, '[', ']', '...', 12)"
			  " FROM posts_fts JOIN posts AS p ON p.entry = posts_fts.rowid"
			  " WHERE posts_fts MATCH ?1 AND " LISTED("p")
			  " ORDER BY posts_fts.rowid DESC LIMIT ?2", &st, e)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)view_limit(limit));
	bind_scope(st, scope);
	return view_run(s, st, search_row, cb, arg, e);
}

/*
 * A pairing is an accept of an ask by another member. The mentor is the
 * offer's author or the request's acceptor; these SQL fragments say so
 * once for every query that needs them.
 */
#define PAIR_JOIN "pairings AS p JOIN asks AS a ON a.id = p.target AND a.author != p.author"
#define PAIR_MENTOR "(CASE a.kind WHEN 'offer' THEN a.author ELSE p.author END)"
#define PAIR_MENTEE "(CASE a.kind WHEN 'offer' THEN p.author ELSE a.author END)"
#define BY_PARTICIPANT(t) "(" t ".author = p.author OR " t ".author = a.author)"

static json_t *member_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *badges;
	const unsigned char *b;

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("member"));
	view_set_hex(o, "key", st, 0);
	view_set_text(o, "name", st, 1);
	view_set_text(o, "role", st, 2);
	view_set_text(o, "bio", st, 3);
	view_set_int(o, "seq", st, 4);
	view_set_int(o, "posts", st, 5);
	view_set_int(o, "feedback", st, 6);
	view_set_int(o, "kudos", st, 7);
	badges = json_array();
	b = sqlite3_column_text(st, 8);
	/* group_concat with a separator no badge can hold (a newline:
	 * badges are single-line) */
	while (b && *b) {
		const unsigned char *nl = (const unsigned char *)strchr((const char *)b, '\n');
		size_t n = nl ? (size_t)(nl - b) : strlen((const char *)b);

		json_array_append_new(badges, json_stringn((const char *)b, n));
		b += n + (nl ? 1 : 0);
	}
	json_object_set_new(o, "badges", badges);
	view_set_int(o, "mentoring_minutes", st, 9);
	json_object_set_new(o, "forked", json_boolean(sqlite3_column_int(st, 10)));
	if (sqlite3_column_int(st, 11)) {
		json_object_set_new(o, "removed", json_true());
		view_set_int(o, "cut", st, 12);
	}
	return o;
}

/* How many rows of table (posts, feedback) by member f.author are hidden:
 * a walk of gov_hidden, so the counts below stay index-only (testing
 * each post counted against the hidden ones took stoa members from 24 to
 * 43 ms at 200k entries; reading each post's id, to 410 ms). */
#define HIDDEN_OF(table)                                                   \
	"(SELECT count(*) FROM gov_hidden AS h CROSS JOIN entries AS x"    \
	" ON x.idk = stoa_idk(h.target) AND x.id = h.target"               \
	" JOIN " table " AS q ON q.entry = x.n WHERE x.author = f.author)"

/* Counts come from per-author index ranges (posts_author,
 * feedback_author, kudos_recipient, which also holds the badges), never
 * from a scan of entries; hidden posts and feedback are not counted. The
 * role is the governed one: the founder's (bound to ?9) is always
 * facilitator, a member no record names is a learner (view_gov_role). */
#define MEMBER_QUERY                                                       \
	"SELECT f.author, pr.name,"                                        \
	" CASE WHEN f.author = ?9 THEN 'facilitator'"                      \
	"  ELSE coalesce(gm.role, 'learner') END, pr.bio, f.seq,"          \
	" (SELECT count(*) FROM posts WHERE author = f.author)"            \
	"  - " HIDDEN_OF("posts") ","                                      \
	" (SELECT count(*) FROM feedback WHERE author = f.author)"         \
	"  - " HIDDEN_OF("feedback") ","                                   \
	" (SELECT count(*) FROM kudos WHERE recipient = f.author),"        \
	" (SELECT group_concat(badge, char(10)) FROM (SELECT DISTINCT badge" \
	"   FROM kudos WHERE recipient = f.author ORDER BY badge)),"       \
	" (SELECT coalesce(sum(s.minutes), 0) FROM " PAIR_JOIN             \
	"   JOIN sessions AS s ON s.pairing = p.id"                        \
	"   WHERE (p.author = f.author OR a.author = f.author)"            \
	"   AND " BY_PARTICIPANT("s") "),"                                 \
	" EXISTS (SELECT 1 FROM forks WHERE author = f.author),"           \
	" coalesce(gm.removed, 0), gm.cut"                                 \
	" FROM feeds AS f LEFT JOIN profiles AS pr ON pr.author = f.author" \
	" LEFT JOIN gov_members AS gm ON gm.member = f.author"

static void bind_founder(struct store *s, sqlite3_stmt *st)
{
	uint8_t founder[KEY_PUBLIC_LEN];

	if (store_founder(s, founder))
		sqlite3_bind_blob(st, 9, founder, KEY_PUBLIC_LEN,
				  SQLITE_TRANSIENT);
}

int view_members(struct store *s, view_row_fn cb, void *arg, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(s, MEMBER_QUERY " ORDER BY pr.name IS NULL,"
			  " pr.name COLLATE NOCASE, f.author", &st, e)) < 0)
		return rc;
	bind_founder(s, st);
	return view_run(s, st, member_row, cb, arg, e);
}

int view_member(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		view_row_fn cb, void *arg, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(s, MEMBER_QUERY " WHERE f.author = ?1", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, pk, KEY_PUBLIC_LEN, SQLITE_STATIC);
	bind_founder(s, st);
	return view_run(s, st, member_row, cb, arg, e);
}

static json_t *ask_row(sqlite3_stmt *st)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	view_set_text(o, "type", st, 3);
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "author", st, 1);
	view_set_text(o, "name", st, 6);
	view_set_int(o, "ts", st, 2);
	view_set_text(o, "topic", st, 4);
	view_set_text(o, "note", st, 5);
	view_set_int(o, "pairings", st, 7);
	return o;
}

static json_t *pairing_row(sqlite3_stmt *st)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("pairing"));
	view_set_hex(o, "id", st, 0);
	view_set_hex(o, "mentor", st, 1);
	view_set_text(o, "mentor_name", st, 2);
	view_set_hex(o, "mentee", st, 3);
	view_set_text(o, "mentee_name", st, 4);
	view_set_text(o, "topic", st, 5);
	view_set_int(o, "ts", st, 6);
	json_object_set_new(o, "status", json_string(
		sqlite3_column_int(st, 7) ? "closed" : "open"));
	view_set_int(o, "sessions", st, 8);
	view_set_int(o, "minutes", st, 9);
	view_set_text(o, "goals", st, 10);
	view_set_text(o, "progress", st, 11);
	view_set_hex(o, "ask", st, 12);
	return o;
}

/* The latest non-NULL value of a session column of pairing p. */
#define LATEST_SESSION(col)                                                \
	"(SELECT s." col " FROM sessions AS s JOIN entries AS x ON x.n = s.entry" \
	" WHERE s.pairing = p.id AND s." col " IS NOT NULL AND "           \
	BY_PARTICIPANT("s") " ORDER BY s.ts DESC, x.id DESC LIMIT 1)"

int view_mentoring(struct store *s, view_row_fn cb, void *arg,
		   struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = view_prepare(s,
		"SELECT a.id, a.author, a.ts, a.kind, a.topic, a.note,"
		" (SELECT name FROM profiles WHERE author = a.author),"
		" (SELECT count(*) FROM pairings AS p WHERE p.target = a.id"
		"   AND p.author != a.author)"
		" FROM asks AS a ORDER BY a.kind DESC, a.ts DESC, a.id DESC", &st, e)) < 0)
		return rc;
	if ((rc = view_run(s, st, ask_row, cb, arg, e)) < 0)
		return rc;
	if ((rc = view_prepare(s,
		"SELECT p.id, " PAIR_MENTOR ","
		" (SELECT name FROM profiles WHERE author = " PAIR_MENTOR "),"
		" " PAIR_MENTEE ","
		" (SELECT name FROM profiles WHERE author = " PAIR_MENTEE "),"
		" a.topic, p.ts,"
		" EXISTS (SELECT 1 FROM closes AS c WHERE c.pairing = p.id AND "
		BY_PARTICIPANT("c") "),"
		" (SELECT count(*) FROM sessions AS s WHERE s.pairing = p.id AND "
		BY_PARTICIPANT("s") "),"
		" (SELECT coalesce(sum(minutes), 0) FROM sessions AS s WHERE"
		"  s.pairing = p.id AND " BY_PARTICIPANT("s") "),"
		" " LATEST_SESSION("goals") ", " LATEST_SESSION("progress") ", a.id"
		" FROM " PAIR_JOIN " ORDER BY p.ts DESC, p.id DESC", &st, e)) < 0)
		return rc;
	return view_run(s, st, pairing_row, cb, arg, e);
}

int view_pairing_check(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		       const uint8_t pk[KEY_PUBLIC_LEN], struct err *e)
{
	sqlite3_stmt *st;
	char hex[ENTRY_ID_HEX_LEN + 1];
	int rc, participant = 0, closed = 0, found = 0;

	if ((rc = view_prepare(s,
		"SELECT p.author = ?2 OR a.author = ?2,"
		" EXISTS (SELECT 1 FROM closes AS c WHERE c.pairing = p.id AND "
		BY_PARTICIPANT("c") ")"
		" FROM " PAIR_JOIN " WHERE p.id = ?1", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, KEY_PUBLIC_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		participant = sqlite3_column_int(st, 0);
		closed = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot query view");
	entry_id_hex(id, hex);
	hex[8] = '\0';
	if (!found)
		return err_set(e, STOA_ENOTFOUND, "%s is not a pairing (a pairing "
			       "is the id of a 'mentor accept')", hex);
	if (!participant)
		return err_set(e, STOA_EPERM, "you are not the mentor or mentee "
			       "of pairing %s", hex);
	if (closed)
		return err_set(e, STOA_EINVAL, "pairing %s is closed", hex);
	return 0;
}

int view_open_pairing(struct store *s, const uint8_t ask[ENTRY_ID_LEN],
		      const uint8_t pk[KEY_PUBLIC_LEN], struct err *e)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if ((rc = view_prepare(s,
		"SELECT 1 FROM " PAIR_JOIN " WHERE p.target = ?1"
		" AND (p.author = ?2 OR a.author = ?2)"
		" AND NOT EXISTS (SELECT 1 FROM closes AS c WHERE c.pairing = p.id"
		"  AND " BY_PARTICIPANT("c") ") LIMIT 1", &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, ask, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, KEY_PUBLIC_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	found = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot query view");
	return found;
}

/* Copies the one text value of sql (bound to a 32-byte blob) to out. */
static int one_text(struct store *s, const char *sql, const uint8_t *blob,
		    char *out, size_t cap, struct err *e)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	if (cap == 0)
		return err_set(e, STOA_EINVAL, "no room for text");
	out[0] = '\0';
	if ((rc = view_prepare(s, sql, &st, e)) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, blob, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		found = 1;
		if (t)
			snprintf(out, cap, "%s", (const char *)t);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return view_db_fail(s, e, "cannot query view");
	return found;
}

int view_post_topic(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		    char *out, size_t cap, struct err *e)
{
	int rc = one_text(s, "SELECT topic FROM posts WHERE entry = (SELECT"
			  " n FROM entries WHERE " STORE_ENTRY_BY_ID ")", id,
			  out, cap, e);

	if (rc == 0)
		return err_set(e, STOA_ENOTFOUND, "no post with that id");
	return rc < 0 ? rc : 0;
}

int view_member_name(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		     char *out, size_t cap, struct err *e)
{
	int rc = one_text(s, "SELECT name FROM profiles WHERE author = ?1", pk,
			  out, cap, e);

	return rc < 0 ? rc : 0;
}
