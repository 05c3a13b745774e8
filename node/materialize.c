/*
 * materialize: the view rows each entry kind writes (the write side of
 * what view.c reads), store_reindex, and the canonical dump of the view.
 *
 * What a kind writes is data, not code: one line of the table below per
 * row, naming its entry kind, its INSERT and where each bound column
 * comes from (the entry's row number, id, author or timestamp, a field of
 * the payload, or a constant). A kind with two rows (a post: posts and
 * posts_fts) has two lines; a kind with none (an unknown one) has no line
 * and is stored, never materialized. The tables themselves are schema.c's.
 *
 * Each row is a function of one entry alone (profiles keep the max (ts,
 * id) of their author's profile entries), which is what makes the view
 * the same whatever order the entries arrived in. This module never
 * prints or logs.
 */
#include <stdio.h>
#include <string.h>

#include "payload.h"
#include "store_int.h"

/* Where a bound column comes from. */
enum col_src {
	COL_END,    /* no more columns */
	COL_N,      /* the entry's row number in entries */
	COL_ID,     /* the entry's id (32-byte blob) */
	COL_AUTHOR, /* its author's key (32-byte blob) */
	COL_TS,     /* its timestamp */
	COL_TEXT,   /* payload string field key, or NULL if absent */
	COL_REF,    /* payload hex64 field key as a 32-byte blob, or NULL */
	COL_INT,    /* payload integer field key, or NULL if absent */
	COL_BOOL,   /* 1 if payload field key is true, else 0 */
	COL_CONST,  /* the text key itself */
	COL_SEQ,    /* its seq */
	COL_KIND,   /* its kind */
	COL_JSON,   /* payload field key as compact JSON text, or NULL */
	COL_NULL,   /* nothing: the column stays NULL */
};

#define VIEW_COLS_MAX 13

struct view_col {
	enum col_src src;
	const char *key;
};

struct view_row {
	uint8_t kind;
	const char *sql;
	struct view_col cols[VIEW_COLS_MAX + 1]; /* ?1, ?2, ... then COL_END */
};

#define N { COL_N, NULL }
#define ID { COL_ID, NULL }
#define AUTHOR { COL_AUTHOR, NULL }
#define TS { COL_TS, NULL }
#define TEXT(k) { COL_TEXT, k }
#define REF(k) { COL_REF, k }
#define SEQ { COL_SEQ, NULL }
#define KIND { COL_KIND, NULL }
#define SKIP { COL_NULL, NULL }

/* Every governance record is a row of gov (its effect is gov_store's
 * to fill in once the rules ran over all of them). */
#define GOV_INSERT                                                        \
	"INSERT INTO gov(entry, id, author, seq, ts, kind, target, role,"  \
	" anchor, replaces, reason, category, sealed)"                     \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
#define GOV_HEAD N, ID, AUTHOR, SEQ, TS, KIND

static const struct view_row view_rows[MATERIALIZE_STMTS] = {
	{ ENTRY_KIND_PROFILE,
	  "INSERT INTO profiles(author, name, role, bio, ts, id)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	  " ON CONFLICT(author) DO UPDATE SET name = excluded.name,"
	  " role = excluded.role, bio = excluded.bio, ts = excluded.ts,"
	  " id = excluded.id"
	  " WHERE (excluded.ts, excluded.id) > (profiles.ts, profiles.id)",
	  { AUTHOR, TEXT("name"), TEXT("role"), TEXT("bio"), TS, ID } },
	{ ENTRY_KIND_POST,
	  "INSERT INTO posts(entry, id, author, ts, topic, title, body,"
	  " reply_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	  { N, ID, AUTHOR, TS, TEXT("topic"), TEXT("title"), TEXT("body"),
	    REF("reply_to") } },
	{ ENTRY_KIND_POST,
	  "INSERT INTO posts_fts(rowid, title, body, topic)"
	  " VALUES (?1, ?2, ?3, ?4)",
	  { N, TEXT("title"), TEXT("body"), TEXT("topic") } },
	{ ENTRY_KIND_FEEDBACK,
	  "INSERT INTO feedback(entry, author, ts, target, rating, helpful,"
	  " comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	  { N, AUTHOR, TS, REF("target"), { COL_INT, "rating" },
	    { COL_BOOL, "helpful" }, TEXT("comment") } },
	{ ENTRY_KIND_MENTOR_OFFER,
	  "INSERT INTO asks(entry, id, author, ts, kind, topic, note)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	  { N, ID, AUTHOR, TS, { COL_CONST, "offer" }, TEXT("topic"),
	    TEXT("note") } },
	{ ENTRY_KIND_MENTOR_REQUEST,
	  "INSERT INTO asks(entry, id, author, ts, kind, topic, note)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	  { N, ID, AUTHOR, TS, { COL_CONST, "request" }, TEXT("topic"),
	    TEXT("note") } },
	{ ENTRY_KIND_MENTOR_ACCEPT,
	  "INSERT INTO pairings(entry, id, author, ts, target)"
	  " VALUES (?1, ?2, ?3, ?4, ?5)",
	  { N, ID, AUTHOR, TS, REF("target") } },
	{ ENTRY_KIND_MENTOR_SESSION,
	  "INSERT INTO sessions(entry, author, ts, pairing, minutes, notes,"
	  " goals, progress) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	  { N, AUTHOR, TS, REF("pairing"), { COL_INT, "minutes" },
	    TEXT("notes"), TEXT("goals"), TEXT("progress") } },
	{ ENTRY_KIND_MENTOR_CLOSE,
	  "INSERT INTO closes(entry, author, ts, pairing, reason)"
	  " VALUES (?1, ?2, ?3, ?4, ?5)",
	  { N, AUTHOR, TS, REF("pairing"), TEXT("reason") } },
	{ ENTRY_KIND_KUDOS,
	  "INSERT INTO kudos(entry, author, ts, recipient, badge, reason)"
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	  { N, AUTHOR, TS, REF("to"), TEXT("badge"), TEXT("reason") } },
	{ ENTRY_KIND_ROLE, GOV_INSERT,
	  { GOV_HEAD, REF("member"), TEXT("role"), { COL_INT, "seen" },
	    { COL_JSON, "replaces" }, TEXT("reason") } },
	{ ENTRY_KIND_HIDE, GOV_INSERT,
	  { GOV_HEAD, REF("target"), SKIP, SKIP, SKIP, TEXT("reason") } },
	{ ENTRY_KIND_UNHIDE, GOV_INSERT,
	  { GOV_HEAD, REF("target"), SKIP, SKIP, SKIP, TEXT("reason") } },
	{ ENTRY_KIND_ERASE, GOV_INSERT,
	  { GOV_HEAD, REF("target"), SKIP, SKIP, SKIP, TEXT("reason") } },
	{ ENTRY_KIND_REPORT, GOV_INSERT,
	  { GOV_HEAD, REF("target"), SKIP, SKIP, SKIP, SKIP,
	    TEXT("category"), { COL_JSON, "sealed" } } },
	{ ENTRY_KIND_REMOVE, GOV_INSERT,
	  { GOV_HEAD, REF("member"), SKIP, { COL_INT, "seq" }, SKIP,
	    TEXT("reason") } },
	{ ENTRY_KIND_EPOCH, GOV_INSERT,
	  { GOV_HEAD, REF("check"), SKIP, { COL_INT, "epoch" }, SKIP,
	    TEXT("reason"), SKIP, { COL_JSON, "seals" } } },
};

#undef N
#undef ID
#undef AUTHOR
#undef TS
#undef TEXT
#undef REF

int materialize_prepare(struct store *s, struct err *e)
{
	size_t i;

	for (i = 0; i < MATERIALIZE_STMTS; i++) {
		if (sqlite3_prepare_v3(s->db, view_rows[i].sql, -1,
				       SQLITE_PREPARE_PERSISTENT,
				       &s->view_st[i], NULL) != SQLITE_OK)
			return store_fail(s, e, "cannot prepare store");
	}
	return 0;
}

void materialize_finalize(struct store *s)
{
	size_t i;

	for (i = 0; i < MATERIALIZE_STMTS; i++) {
		sqlite3_finalize(s->view_st[i]);
		s->view_st[i] = NULL;
	}
}

/*
 * Binds column i (1-based) of a view row from its source. ref holds a
 * decoded reference until the statement has run (bound SQLITE_STATIC);
 * the payload validated, so a field is absent or of its kind.
 */
static void bind_col(sqlite3_stmt *st, int i, const struct view_col *c,
		     sqlite3_int64 n, const struct entry *en, json_t *obj,
		     uint8_t ref[ENTRY_ID_LEN])
{
	json_t *v = c->key && c->src != COL_CONST ?
		json_object_get(obj, c->key) : NULL;

	switch (c->src) {
	case COL_N:
		sqlite3_bind_int64(st, i, n);
		break;
	case COL_ID:
		sqlite3_bind_blob(st, i, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
		break;
	case COL_AUTHOR:
		sqlite3_bind_blob(st, i, en->author, KEY_PUBLIC_LEN,
				  SQLITE_STATIC);
		break;
	case COL_TS:
		sqlite3_bind_int64(st, i, (sqlite3_int64)en->timestamp);
		break;
	case COL_TEXT:
		if (json_is_string(v))
			sqlite3_bind_text(st, i, json_string_value(v),
					  (int)json_string_length(v),
					  SQLITE_STATIC);
		break;
	case COL_REF:
		if (json_is_string(v) &&
		    hex_decode(ref, ENTRY_ID_LEN, json_string_value(v)) == 0)
			sqlite3_bind_blob(st, i, ref, ENTRY_ID_LEN,
					  SQLITE_STATIC);
		break;
	case COL_INT:
		if (json_is_integer(v))
			sqlite3_bind_int64(st, i, json_integer_value(v));
		break;
	case COL_BOOL:
		sqlite3_bind_int(st, i, json_is_true(v));
		break;
	case COL_CONST:
		sqlite3_bind_text(st, i, c->key, -1, SQLITE_STATIC);
		break;
	case COL_SEQ:
		sqlite3_bind_int64(st, i, (sqlite3_int64)en->seq);
		break;
	case COL_KIND:
		sqlite3_bind_int(st, i, en->kind);
		break;
	case COL_JSON:
		if (v) {
			char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			if (t)
				sqlite3_bind_text(st, i, t, -1, free);
		}
		break;
	case COL_NULL:
	case COL_END:
		break;
	}
}

int materialize(struct store *s, sqlite3_int64 n, const struct entry *en,
		json_t *obj, struct err *e)
{
	uint8_t refs[VIEW_COLS_MAX][ENTRY_ID_LEN];
	size_t r;
	int i, rc;

	if (ENTRY_KIND_IS_GOV(en->kind))
		s->gov_dirty = 1;
	for (r = 0; r < MATERIALIZE_STMTS; r++) {
		const struct view_row *row = &view_rows[r];
		sqlite3_stmt *st = s->view_st[r];

		if (row->kind != en->kind)
			continue;
		/* unbound columns are NULL: an absent optional field */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		for (i = 0; row->cols[i].src != COL_END; i++)
			bind_col(st, i + 1, &row->cols[i], n, en, obj, refs[i]);
		if ((rc = store_step(s, st, e)) < 0)
			return rc;
	}
	return 0;
}

/* The tables whose rows carry the entry that wrote them. */
static const char *const entry_tables[] = {
	"feedback", "asks", "pairings", "sessions", "closes", "kudos", "gov",
};

/* Deletes a post's rows; its text leaves the FTS index through the
 * external-content 'delete' command, which needs the indexed values. */
static int forget_post(struct store *s, sqlite3_int64 n, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO posts_fts(posts_fts, rowid,"
			       " title, body, topic) SELECT 'delete', entry,"
			       " title, body, topic FROM posts WHERE entry = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot forget a post");
	sqlite3_bind_int64(st, 1, n);
	rc = store_step(s, st, e);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM posts WHERE entry = ?1", -1,
			       &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot forget a post");
	sqlite3_bind_int64(st, 1, n);
	rc = store_step(s, st, e);
	sqlite3_finalize(st);
	return rc;
}

/* The author's profile row again from its latest profile entry held
 * whole (none: no row). */
static int refresh_profile(struct store *s, const uint8_t *author,
			   struct err *e)
{
	sqlite3_stmt *st;
	struct entry en;
	json_t *obj = NULL;
	int rc;

	if (sqlite3_prepare_v2(s->db, "DELETE FROM profiles WHERE author = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot forget a profile");
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	rc = store_step(s, st, e);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT n, signed, payload FROM entries"
			       " WHERE author = ?1 AND kind = ?2 AND payload"
			       " IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read profiles");
	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ENTRY_KIND_PROFILE);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 2);
		size_t plen = (size_t)sqlite3_column_bytes(st, 2);

		/* the upsert keeps the max (ts, id): any order will do */
		if (entry_decode(&en, sqlite3_column_blob(st, 1),
				 (size_t)sqlite3_column_bytes(st, 1), NULL) < 0 ||
		    entry_check_payload(&en, p, plen, NULL) < 0 ||
		    payload_validate(en.kind, p, plen, &obj, NULL) !=
		    PAYLOAD_VALID)
			continue;
		rc = materialize(s, sqlite3_column_int64(st, 0), &en, obj, e);
		json_decref(obj);
		obj = NULL;
	}
	sqlite3_finalize(st);
	return rc;
}

int materialize_forget(struct store *s, sqlite3_int64 n, uint8_t kind,
		       const uint8_t author[KEY_PUBLIC_LEN], struct err *e)
{
	char sql[80];
	sqlite3_stmt *st;
	size_t i;
	int rc;

	if (kind == ENTRY_KIND_POST)
		return forget_post(s, n, e);
	if (kind == ENTRY_KIND_PROFILE)
		return refresh_profile(s, author, e);
	for (i = 0; i < sizeof(entry_tables) / sizeof(entry_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE entry = ?1",
			 entry_tables[i]);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			return store_fail(s, e, "cannot forget an entry");
		sqlite3_bind_int64(st, 1, n);
		rc = store_step(s, st, e);
		sqlite3_finalize(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int store_reindex(struct store *s, uint64_t *entries, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct entry en;
	struct err pe;
	int rc, own;

	*entries = 0;
	if ((rc = store_tx_begin(s, &own, e)) < 0)
		return rc;
	if ((rc = schema_view_drop(s, e)) < 0 ||
	    (rc = schema_view_create(s, e)) < 0 ||
	    (rc = store_exec(s, "DELETE FROM feeds;"
			     "INSERT INTO feeds(author, seq, head, ts)"
			     " SELECT author, seq, id, ts FROM entries AS x"
			     " WHERE seq = (SELECT max(seq) FROM entries"
			     " WHERE author = x.author);", e)) < 0)
		goto out;
	/* The prepared view statements point at the dropped tables;
	 * SQLite re-prepares them on their next step. */
	if (sqlite3_prepare_v2(s->db, "SELECT n, signed, payload FROM entries "
			       "WHERE payload IS NOT NULL ORDER BY n",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = store_fail(s, e, "cannot read entries");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 2);
		size_t plen = (size_t)sqlite3_column_bytes(st, 2);
		json_t *obj = NULL;

		err_clear(&pe);
		(*entries)++;
		/* Only a payload that is the signed one is materialized (a
		 * changed one is named by store_verify); signatures are not
		 * re-checked here: that is verify's slower job. */
		if (entry_decode(&en, sqlite3_column_blob(st, 1),
				 (size_t)sqlite3_column_bytes(st, 1), &pe) < 0 ||
		    entry_check_payload(&en, p, plen, &pe) < 0 ||
		    payload_validate(en.kind, p, plen, &obj, &pe) !=
		    PAYLOAD_VALID) {
			json_decref(obj);
			continue; /* store_verify names these */
		}
		rc = materialize(s, sqlite3_column_int64(st, 0), &en, obj, e);
		json_decref(obj);
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(s, e, "cannot read entries");
	/* the governance state is rebuilt too, with or without records
	 * (the founder's row), before the commit: in full, never by the
	 * fast path for new records (gov_store.c) */
	s->gov_dirty = 1;
	s->gov_full = 1;
out:
	sqlite3_finalize(st);
	return store_tx_end(s, own, rc, e);
}

/*
 * The canonical dump: one query per view table, every column through
 * quote(), rows ordered by a key that does not depend on arrival. The
 * local arrival number (entry) never appears; the FTS index is dumped
 * through its vocabulary (term, documents, occurrences).
 */
static const char *const dump_sql[] = {
	"SELECT 'profile', quote(author), quote(name), quote(role), quote(bio),"
	" ts, quote(id) FROM profiles ORDER BY author",
	"SELECT 'post', quote(id), quote(author), ts, quote(topic), quote(title),"
	" quote(body), quote(reply_to) FROM posts ORDER BY id",
	"SELECT 'term', quote(term), doc, cnt FROM posts_vocab ORDER BY term",
	"SELECT 'feedback', quote(e.id), quote(v.author), v.ts, quote(target),"
	" quote(rating), helpful, quote(comment) FROM feedback AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
	"SELECT 'ask', quote(id), quote(author), ts, kind, quote(topic),"
	" quote(note) FROM asks ORDER BY id",
	"SELECT 'pairing', quote(id), quote(author), ts, quote(target)"
	" FROM pairings ORDER BY id",
	"SELECT 'session', quote(e.id), quote(v.author), v.ts, quote(pairing),"
	" minutes, quote(notes), quote(goals), quote(progress) FROM sessions AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
	"SELECT 'close', quote(e.id), quote(v.author), v.ts, quote(pairing),"
	" quote(reason) FROM closes AS v JOIN entries AS e ON e.n = v.entry"
	" ORDER BY e.id",
	"SELECT 'kudos', quote(e.id), quote(v.author), v.ts, quote(recipient),"
	" quote(badge), quote(reason) FROM kudos AS v"
	" JOIN entries AS e ON e.n = v.entry ORDER BY e.id",
	"SELECT 'gov', quote(id), quote(author), seq, ts, kind, quote(target),"
	" quote(role), quote(anchor), quote(replaces), quote(reason),"
	" quote(category), quote(sealed), quote(effect) FROM gov ORDER BY id",
	"SELECT 'member', quote(member), role, quote(role_by), removed,"
	" quote(cut), quote(removed_by) FROM gov_members ORDER BY member",
	"SELECT 'hidden', quote(target), quote(by) FROM gov_hidden"
	" ORDER BY target",
	"SELECT 'erased', quote(target), quote(by) FROM gov_erased"
	" ORDER BY target",
};

#define DUMP_CHUNK (64 * 1024)

/* Writes b to f (if any) and chains it into the digest d. */
static int dump_flush(struct buf *b, FILE *f, uint8_t d[HASH_LEN])
{
	if (f && b->len && fwrite(b->data, 1, b->len, f) != b->len)
		return STOA_EIO;
	store_chain_hash(d, b);
	return 0;
}

/* Appends every row of one dump query to b, "|" between columns. */
static int dump_query(struct store *s, const char *sql, struct buf *b,
		      FILE *f, uint8_t d[HASH_LEN], struct err *e)
{
	sqlite3_stmt *st;
	int c = SQLITE_DONE, rc = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot dump view");
	while (rc == 0 && (c = sqlite3_step(st)) == SQLITE_ROW) {
		int col, n = sqlite3_column_count(st);

		for (col = 0; rc == 0 && col < n; col++) {
			const unsigned char *t = sqlite3_column_text(st, col);

			rc = buf_append(b, t ? (const char *)t : "NULL",
					t ? (size_t)sqlite3_column_bytes(st, col) : 4);
			if (rc == 0)
				rc = buf_append(b, col + 1 < n ? "|" : "\n", 1);
		}
		if (rc == 0 && b->len >= DUMP_CHUNK)
			rc = dump_flush(b, f, d);
	}
	if (rc == 0 && c != SQLITE_DONE)
		rc = store_fail(s, e, "cannot dump view");
	sqlite3_finalize(st);
	return rc;
}

int store_dump_view(struct store *s, FILE *f, uint8_t digest[HASH_LEN],
		    struct err *e)
{
	uint8_t d[HASH_LEN] = { 0 };
	struct buf b;
	size_t i;
	int rc;

	if ((rc = store_exec(s, "CREATE VIRTUAL TABLE IF NOT EXISTS "
			     "temp.posts_vocab USING fts5vocab(main, "
			     "posts_fts, 'row')", e)) < 0)
		return rc;
	buf_init(&b, 2 * DUMP_CHUNK + 4 * ENTRY_MAX_PAYLOAD);
	for (i = 0; rc == 0 && i < sizeof(dump_sql) / sizeof(dump_sql[0]); i++)
		rc = dump_query(s, dump_sql[i], &b, f, d, e);
	if (rc == 0)
		rc = dump_flush(&b, f, d);
	buf_release(&b);
	if (rc < 0)
		return err_set(e, rc, "cannot dump view");
	if (digest)
		memcpy(digest, d, HASH_LEN);
	return 0;
}
