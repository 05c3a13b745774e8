/*
 * verify: store_verify, the slow check of everything a store holds, for
 * `stoa verify`. Every entry's signature, seq and prev link, its row
 * against its signed bytes, its payload against its hash, the full-text
 * index against the posts, and every fork proof. It reads only, and
 * reports each problem through the caller's callback; it repairs nothing
 * (a hole is asked for again by the next sync; a view is rebuilt by
 * store_reindex). This module never prints or logs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static void problem(void (*cb)(const struct verify_problem *, void *),
		    void *arg, uint64_t *count, const uint8_t *author,
		    uint64_t seq, const char *what)
{
	struct verify_problem p = { author, seq, what, NULL, NULL };

	(*count)++;
	if (cb)
		cb(&p, arg);
}

/* Checks every recorded fork proof: two valid signatures, same slot. */
static int verify_forks(struct store *s,
			void (*cb)(const struct verify_problem *, void *),
			void *arg, uint64_t *problems, struct err *e)
{
	sqlite3_stmt *st;
	struct entry en;
	struct err pe;
	char msg[ERR_MSG_MAX + 64], a8[17], k8[17], o8[17];
	uint8_t kept[ENTRY_ID_LEN];
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT signed, kept FROM forks "
			       "ORDER BY author, seq, id", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read forks");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err_clear(&pe);
		if (entry_decode(&en, sqlite3_column_blob(st, 0),
				 (size_t)sqlite3_column_bytes(st, 0), &pe) < 0 ||
		    entry_verify(&en, &pe) < 0 ||
		    !store_col_blob(st, 1, kept, 32)) {
			snprintf(msg, sizeof(msg), "damaged fork record: %s",
				 pe.msg[0] ? pe.msg : "bad kept id");
			problem(cb, arg, problems, NULL, 0, msg);
			continue;
		}
		store_short_hex(en.author, a8);
		store_short_hex(kept, k8);
		store_short_hex(en.id, o8);
		snprintf(msg, sizeof(msg), "fork: member %s signed two entries "
			 "at seq %" PRIu64 " (kept %s, other %s): the same key "
			 "wrote on two nodes at once", a8, en.seq, k8, o8);
		{
			/* the ids too: the CLI names the member */
			struct verify_problem p = { en.author, en.seq, msg,
						    kept, en.id };

			(*problems)++;
			if (cb)
				cb(&p, arg);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read forks");
	return 0;
}

/* Where the walk over entries (in author, seq order) is. */
struct walk {
	uint8_t author[KEY_PUBLIC_LEN]; /* the feed being walked */
	uint8_t prev_id[ENTRY_ID_LEN];  /* the entry before in it */
	uint64_t prev_seq;
	int started;
};

/*
 * One entries row (author, seq, id, signed, payload, kind, ts, idk,
 * erased by the rules): the
 * first of its problems, if any, into msg; 0 if none.
 */
static const char *check_row(sqlite3_stmt *st, const uint8_t *id,
			     uint64_t seq, const struct walk *w, char *msg,
			     size_t cap, struct err *pe)
{
	const void *payload = sqlite3_column_blob(st, 4);
	size_t plen = (size_t)sqlite3_column_bytes(st, 4);
	int erased = sqlite3_column_type(st, 4) == SQLITE_NULL;
	int allowed = sqlite3_column_int(st, 8); /* an erasure in force */
	struct entry en;

	if (entry_decode(&en, sqlite3_column_blob(st, 3),
			 (size_t)sqlite3_column_bytes(st, 3), pe) < 0 ||
	    entry_verify(&en, pe) < 0 ||
	    (!erased && entry_check_payload(&en, payload ? payload : "",
					    plen, pe) < 0))
		return pe->msg;
	if (erased && !allowed) {
		/* not erased by the rules: a payload a relay stripped,
		 * asked for again at every sync */
		snprintf(msg, cap, "entry %" PRIu64 " is held without its "
			 "payload (asked for again from peers at each sync)",
			 seq);
		return msg;
	}
	if (!bytes_equal(en.id, id, ENTRY_ID_LEN) ||
	    memcmp(en.author, w->author, KEY_PUBLIC_LEN) || en.seq != seq ||
	    en.kind != sqlite3_column_int(st, 5) ||
	    en.timestamp != (uint64_t)sqlite3_column_int64(st, 6))
		return "entry row does not match its signed bytes";
	/* the entry is sound but cannot be found by its id */
	if (sqlite3_column_int64(st, 7) != store_id_key(id))
		return "entry row's id key (idk) does not match its id";
	if (seq != w->prev_seq + 1) {
		snprintf(msg, cap, "seq gap: entry %" PRIu64 " follows entry %"
			 PRIu64, seq, w->prev_seq);
		return msg;
	}
	if (!bytes_equal(en.prev, w->prev_id, ENTRY_ID_LEN)) {
		snprintf(msg, cap, "entry %" PRIu64 " does not link to entry %"
			 PRIu64, seq, w->prev_seq);
		return msg;
	}
	return NULL;
}

int store_verify(struct store *s,
		 void (*cb)(const struct verify_problem *p, void *arg),
		 void *arg, uint64_t *entries, uint64_t *problems,
		 struct err *e)
{
	sqlite3_stmt *st;
	struct walk w = { { 0 }, { 0 }, 0, 0 };
	struct err pe;
	uint8_t author[KEY_PUBLIC_LEN], id[ENTRY_ID_LEN];
	uint64_t seq;
	char msg[ERR_MSG_MAX + 64];
	const char *what;
	int rc;

	*entries = 0;
	*problems = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT author, seq, id, signed, payload,"
			       " kind, ts, idk, payload IS NULL AND EXISTS"
			       " (SELECT 1 FROM gov_erased WHERE target ="
			       " entries.id) FROM entries ORDER BY author, seq",
			       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read entries");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*entries)++;
		seq = (uint64_t)sqlite3_column_int64(st, 1);
		err_clear(&pe);
		if (!store_col_blob(st, 0, author, KEY_PUBLIC_LEN) ||
		    !store_col_blob(st, 2, id, ENTRY_ID_LEN)) {
			problem(cb, arg, problems, NULL, seq,
				"entry row with a damaged author or id");
			continue;
		}
		if (!w.started || memcmp(author, w.author, KEY_PUBLIC_LEN)) {
			memcpy(w.author, author, KEY_PUBLIC_LEN);
			memset(w.prev_id, 0, sizeof(w.prev_id));
			w.prev_seq = 0;
			w.started = 1;
		}
		what = check_row(st, id, seq, &w, msg, sizeof(msg), &pe);
		if (what)
			problem(cb, arg, problems, author, seq, what);
		memcpy(w.prev_id, id, ENTRY_ID_LEN);
		w.prev_seq = seq;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read entries");
	rc = sqlite3_exec(s->db, "INSERT INTO posts_fts(posts_fts) "
			  "VALUES ('integrity-check')", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_CORRUPT)
		problem(cb, arg, problems, NULL, 0,
			"full-text index does not match the posts: run 'stoa reindex'");
	else if (rc != SQLITE_OK)
		return store_fail(s, e, "cannot check the full-text index");
	return verify_forks(s, cb, arg, problems, e);
}
