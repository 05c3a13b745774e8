/*
 * ingest: every entry that enters the store is checked and written here
 * (docs/architecture.md §2, "The one ingest path").
 *
 * write_entry() is the one function that writes an entry: its row, its
 * view rows (materialize.c) and, unless a run moves it at its end, its
 * feed's head. Three callers lead to it: store_ingest (one entry from
 * anywhere, every check first), store_ingest_run (a run of one feed from a
 * peer, checked whole before its first write, one signature for the
 * chain) and store_append (the member's own next entry, signed here on
 * top of the head read under the write lock). Around it: fork proofs
 * (record_fork) and the repair of an entry held without its payload
 * (repair). A rejected entry or run writes nothing. This module never
 * prints or logs.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "payload.h"
#include "store_int.h"

/* The entry held at an (author, seq). */
struct held {
	uint8_t id[ENTRY_ID_LEN];
	int hole;           /* held without its payload */
	sqlite3_int64 n;    /* its row */
};

/*
 * The entry held at (author, seq), if any: 1 and h filled, 0 if none.
 */
static int id_at_seq(struct store *s, const struct entry *en,
		     struct held *h, struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_AT_SEQ);
	int rc, found = 0;

	memset(h, 0, sizeof(*h));
	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)en->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == ENTRY_ID_LEN)
			memcpy(h->id, sqlite3_column_blob(st, 0), ENTRY_ID_LEN);
		h->hole = sqlite3_column_int(st, 1);
		h->n = sqlite3_column_int64(st, 2);
		found = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read feed");
	return found;
}

/* Moves author's feed head to en, and notes when this node received
 * it (by its own clock: local knowledge, for stats' data freshness). */
static int set_head(struct store *s, const struct entry *en, struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_UPSERT_FEED);
	int rc;

	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)en->seq);
	sqlite3_bind_blob(st, 3, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)en->timestamp);
	if ((rc = store_step(s, st, e)) < 0)
		return rc;
	st = store_stmt(s, ST_RECEIVED);
	sqlite3_bind_blob(st, 1, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)clock_wall_ms());
	return store_step(s, st, e);
}

/*
 * Stores a checked entry: its row, its view rows, and (if head) the feed
 * head; a run moves the head once, at its end.
 */
static int write_entry(struct store *s, const struct entry *en,
		       const void *payload, size_t plen, json_t *obj, int head,
		       struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_INSERT_ENTRY);
	sqlite3_int64 n;
	int rc, erased;

	/* a removed member's entries after its cut-off are not taken; an
	 * erased one is held without its payload, never materialized */
	if ((rc = gov_store_admit(s, en, &erased, e)) < 0)
		return rc;
	if (erased) {
		payload = NULL;
		obj = NULL;
	}
	sqlite3_bind_blob(st, 1, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)en->seq);
	sqlite3_bind_int(st, 4, en->kind);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)en->timestamp);
	sqlite3_bind_blob(st, 6, en->signed_bytes, ENTRY_SIGNED_LEN,
			  SQLITE_STATIC);
	if (payload)
		sqlite3_bind_blob(st, 7, plen ? payload : "", (int)plen,
				  SQLITE_STATIC);
	sqlite3_bind_int(st, 8, obj == NULL);
	sqlite3_bind_int64(st, 9, store_id_key(en->id));
	if ((rc = store_step(s, st, e)) < 0)
		return rc;
	n = sqlite3_last_insert_rowid(s->db);
	if (head && (rc = set_head(s, en, e)) < 0)
		return rc;
	return obj ? materialize(s, n, en, obj, e) : 0;
}

int store_fork_proven(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		      uint64_t seq, struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_FORKS_OF);
	sqlite3_int64 all = 0, here = 0;
	int rc;

	sqlite3_bind_blob(st, 1, author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		all = sqlite3_column_int64(st, 0);
		here = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read forks");
	return here > 0 || all >= STORE_FORKS_PER_AUTHOR;
}

/*
 * Records the proof that en's author signed en and kept at en's seq: 1,
 * or 0 when it is not recorded because a proof of that (author, seq) is
 * held already or the author has STORE_FORKS_PER_AUTHOR of them (more
 * would prove nothing new, and a member signing forks by the thousand
 * must not fill the disk). The signed header is the proof: the payload
 * is not kept, so a proof row is about 300 bytes.
 */
static int record_fork(struct store *s, const struct entry *en,
		       const uint8_t kept[ENTRY_ID_LEN], struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = store_fork_proven(s, en->author, en->seq, e)) != 0)
		return rc < 0 ? rc : 0;
	st = store_stmt(s, ST_INSERT_FORK);
	sqlite3_bind_blob(st, 1, en->id, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, en->author, KEY_PUBLIC_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)en->seq);
	sqlite3_bind_blob(st, 4, kept, ENTRY_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, en->signed_bytes, ENTRY_SIGNED_LEN,
			  SQLITE_STATIC);
	sqlite3_bind_null(st, 6);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)clock_wall_ms());
	return (rc = store_step(s, st, e)) < 0 ? rc : 1;
}

/*
 * Gives a held entry that lacks its payload the one a peer brought (its
 * length and hash checked against the header already): the row gets it
 * and the view the rows it would have had, as if it came whole.
 */
static int repair(struct store *s, const struct held *h,
		  const struct entry *en, const void *payload, size_t plen,
		  json_t *obj, struct err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_REPAIR);
	int rc;

	sqlite3_bind_blob(st, 1, plen ? payload : "", (int)plen, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, obj == NULL);
	sqlite3_bind_int64(st, 3, h->n);
	if ((rc = store_step(s, st, e)) < 0)
		return rc;
	return obj ? materialize(s, h->n, en, obj, e) : 0;
}

/*
 * An entry already held at en's (author, seq): the same one (a duplicate,
 * or a hole this payload fills), or another one signed by the author (a
 * fork: the first kept, the proof recorded).
 */
static int ingest_held(struct store *s, const struct entry *en,
		       const struct held *held, const void *payload,
		       size_t plen, struct err *e)
{
	json_t *obj = NULL;
	int rc;

	if (bytes_equal(held->id, en->id, ENTRY_ID_LEN)) {
		if (!held->hole)
			return INGEST_DUPLICATE;
		/* held without its payload: this one, if it is the one
		 * signed, fills the hole */
		if ((rc = entry_check_payload(en, payload, plen, e)) < 0)
			return rc;
		if (payload_validate(en->kind, payload, plen, &obj, e) < 0)
			return STOA_EPROTO;
		rc = repair(s, held, en, payload, plen, obj, e);
		json_decref(obj);
		return rc < 0 ? rc : INGEST_REPAIRED;
	}
	/* Same author and seq, another entry: a fork if the author really
	 * signed it. Keep the first, record the proof. */
	if ((rc = entry_verify(en, e)) < 0)
		return rc;
	if ((rc = record_fork(s, en, held->id, e)) < 0)
		return rc;
	return rc ? INGEST_FORK : INGEST_FORK_KNOWN;
}

/*
 * The checks of store_ingest, in order of cost: chain position first
 * (cheap), then the signature, then the payload. Nothing is written
 * before every check passed.
 */
static int ingest(struct store *s, const struct entry *en,
		  const void *payload, size_t plen, struct err *e)
{
	char a8[17];
	struct held held;
	struct head h;
	json_t *obj = NULL;
	int rc, cls;

	store_short_hex(en->author, a8);
	if (en->seq > gov_store_cut(s, en->author))
		return err_set(e, STOA_EPERM, "entry %" PRIu64 " of %s: its "
			       "author was removed from the community after "
			       "its entry %" PRIu64, en->seq, a8,
			       gov_store_cut(s, en->author));
	if ((rc = store_head_get(s, en->author, &h, e)) < 0)
		return rc;
	if (en->seq <= h.seq && (rc = id_at_seq(s, en, &held, e)) != 0)
		return rc < 0 ? rc : ingest_held(s, en, &held, payload, plen, e);
	if (en->seq != h.seq + 1)
		return err_set(e, STOA_ESEQ,
			       "seq gap in feed %s: have %" PRIu64 ", got %" PRIu64,
			       a8, h.seq, en->seq);
	if (!bytes_equal(en->prev, h.id, ENTRY_ID_LEN))
		return err_set(e, STOA_ESEQ,
			       "entry %" PRIu64 " of %s does not link to entry %"
			       PRIu64, en->seq, a8, h.seq);
	if ((rc = entry_verify(en, e)) < 0)
		return rc;
	if ((rc = entry_check_payload(en, payload, plen, e)) < 0)
		return rc;
	cls = payload_validate(en->kind, payload, plen, &obj, e);
	if (cls < 0)
		return STOA_EPROTO; /* a rejection: e says why */
	rc = write_entry(s, en, payload, plen, obj, 1, e);
	json_decref(obj);
	return rc < 0 ? rc : INGEST_STORED;
}

int store_ingest(struct store *s, const uint8_t *signed_bytes, size_t len,
		 const void *payload, size_t plen, uint8_t *id_out,
		 struct err *e)
{
	struct entry en;
	int rc, own;

	if ((rc = entry_decode(&en, signed_bytes, len, e)) < 0)
		return rc;
	if (payload == NULL)
		return err_set(e, STOA_EPROTO, "entry %" PRIu64 " came without "
			       "its payload, and no erasure of it is known",
			       en.seq);
	if (plen > ENTRY_MAX_PAYLOAD)
		return err_set(e, STOA_EPROTO, "payload of %zu bytes exceeds %u",
			       plen, ENTRY_MAX_PAYLOAD);
	if ((rc = store_tx_begin(s, &own, e)) < 0)
		return rc;
	rc = ingest(s, &en, payload, plen, e);
	rc = store_tx_end(s, own, rc, e);
	if (rc >= 0 && id_out)
		memcpy(id_out, en.id, ENTRY_ID_LEN);
	return rc;
}

int store_append(struct store *s, const struct key *k, uint8_t kind,
		 const void *payload, size_t len, uint8_t *id_out,
		 struct err *e)
{
	struct entry en;
	struct head h;
	json_t *obj = NULL;
	uint64_t ts;
	int rc, own;

	/* a sealed key not unlocked would sign garbage that the checks
	 * below are skipped for */
	if (!key_has_secret(k))
		return err_set(e, STOA_EPERM, "the key is locked: cannot sign");
	rc = payload_validate(kind, payload, len, &obj, e);
	if (rc < 0)
		return rc;
	if (rc != PAYLOAD_VALID)
		return err_set(e, STOA_EINVAL, "refusing to write a %s entry "
			       "this version cannot read", entry_kind_name(kind));
	if ((rc = store_tx_begin(s, &own, e)) < 0) {
		json_decref(obj);
		return rc;
	}
	rc = store_head_get(s, k->pk, &h, e);
	if (rc == 0) {
		ts = clock_wall_ms();
		if (ts < h.ts)
			ts = h.ts; /* a feed's clock never runs backwards */
		rc = entry_create(&en, k, kind, h.seq + 1,
				  h.seq ? h.id : NULL, ts, payload, len, e);
	}
	/* Signed just now on top of the head read under the write lock:
	 * the ingest checks hold by construction. */
	if (rc == 0)
		rc = write_entry(s, &en, payload, len, obj, 1, e);
	json_decref(obj);
	rc = store_tx_end(s, own, rc, e);
	if (rc == 0 && id_out)
		memcpy(id_out, en.id, ENTRY_ID_LEN);
	return rc;
}

/*
 * A run (store_ingest_run) is checked whole before anything of it is
 * written: every check of every entry first, so a rejected run leaves the
 * store as it was without a savepoint (an FTS5 savepoint flushes its
 * pending terms into a new segment, which cost a tenth of a cold sync).
 * The check fills this struct; the write then repairs the held entries
 * [0, w0) that lacked their payload and writes the new ones [w0, w1).
 */
struct run {
	const struct store_run_entry *v;
	size_t n;
	uint8_t author[KEY_PUBLIC_LEN];
	char a8[17];          /* the author, short, for messages */
	struct head h;        /* the feed's head, moved along the new entries */
	uint64_t first;       /* v[0]'s seq */
	struct entry en;      /* the entry checked last */
	struct entry *ens;    /* [i]: v[i] decoded, if written or repaired */
	json_t **objs;        /* [i]: its parsed payload (NULL: opaque) */
	struct held *fix;     /* [i]: the held row v[i] repairs (n 0: none) */
	size_t w0, w1;
	int nfix;             /* how many repairs */
	int forked;           /* 1: a fork proof recorded, 2: proven already */
	int diverged;         /* the first new entry is on another history */
};

/*
 * How many entries of the run to take: all of them when the last new
 * entry's own signature is good (the usual case: one verification). When
 * it is not, the run is cut after the newest new entry whose own signature
 * is good, which still authenticates the chain below it: an author who
 * signed a chain with a bad signature in its middle cannot make a relay
 * whose run happens to end there look like a forger. Returns 0 (nothing
 * new), the count to take, or STOA_ECRYPTO when no new entry is signed.
 */
static long run_cut(struct store *s, const struct store_run_entry *v,
		    size_t n, struct err *e)
{
	struct entry en;
	uint64_t have = 0;
	size_t i, first_new = n;
	long j;

	for (i = 0; i < n; i++) {
		if (entry_decode(&en, v[i].signed_bytes, ENTRY_SIGNED_LEN, NULL) < 0)
			return (long)n; /* the write loop names it */
		if (i == 0 && store_head(s, en.author, &have, NULL, NULL) < 0)
			return (long)n;
		if (en.seq > have) {
			first_new = i;
			break;
		}
	}
	if (first_new == n)
		return (long)n;
	for (j = (long)n - 1; j >= (long)first_new; j--) {
		if (entry_decode(&en, v[j].signed_bytes, ENTRY_SIGNED_LEN, NULL) < 0)
			return (long)n;
		if (entry_verify(&en, j == (long)n - 1 ? e : NULL) == 0)
			return j + 1;
	}
	return STOA_ECRYPTO;
}

/*
 * How many entries of the run a removal lets the store take: those up to
 * the removed author's cut-off (gov_store.c); the rest are dropped, which
 * is not the sender's fault (it may not hold the removal yet).
 */
static size_t removal_cut(struct store *s, const struct store_run_entry *v,
			  size_t n)
{
	struct entry en;
	uint64_t cut;
	size_t i;

	if (entry_decode(&en, v[0].signed_bytes, ENTRY_SIGNED_LEN, NULL) < 0)
		return n; /* the write loop names it */
	cut = gov_store_cut(s, en.author);
	if (cut == UINT64_MAX)
		return n;
	for (i = 0; i < n; i++)
		if (entry_decode(&en, v[i].signed_bytes, ENTRY_SIGNED_LEN,
				 NULL) < 0 || en.seq > cut)
			break;
	return i;
}

/*
 * v[i], at or below the stored head: the same entry (nothing to do, or a
 * hole its payload fills), or a fork; entries are in seq order, so nothing
 * new comes before. 0 to go on, 1 to stop there (a fork), or an error.
 */
static int check_held(struct store *s, struct run *r, size_t i,
		      struct err *e)
{
	const struct store_run_entry *x = &r->v[i];
	struct held hd;
	int rc;

	if ((rc = id_at_seq(s, &r->en, &hd, e)) < 0)
		return rc;
	if (rc == 1 && bytes_equal(hd.id, r->en.id, ENTRY_ID_LEN)) {
		r->w0 = i + 1;
		if (!hd.hole || !x->payload)
			return 0; /* nothing to take (marked erased: none) */
		/* held without its payload: this one fills the hole if it
		 * is the one signed */
		if ((rc = entry_check_payload(&r->en, x->payload, x->plen, e)) < 0)
			return rc;
		if (payload_validate(r->en.kind, x->payload, x->plen,
				     &r->objs[i], e) < 0)
			return STOA_EPROTO;
		r->ens[i] = r->en;
		r->fix[i] = hd;
		r->nfix++;
		return 0;
	}
	if (rc == 1 && entry_verify(&r->en, NULL) == 0) {
		rc = record_fork(s, &r->en, hd.id, e);
		if (rc < 0)
			return rc;
		r->forked = rc ? 1 : 2;
		return 1; /* what follows builds on the other side */
	}
	return err_set(e, STOA_ECRYPTO, "entry %" PRIu64 " of %s differs from "
		       "the one held and is not signed by its author",
		       r->en.seq, r->a8);
}

/*
 * v[i], the next new entry: it must follow the head (moved along the run)
 * and link to it, and its payload must be the signed one and valid.
 * 0 to go on, 1 to stop there (a fork), or an error.
 */
static int check_new(struct run *r, size_t i, struct err *e)
{
	const struct store_run_entry *x = &r->v[i];
	struct entry *en = &r->en;
	int rc, cls;

	if (en->seq != r->h.seq + 1)
		return err_set(e, STOA_ESEQ, "seq gap in feed %s: have %" PRIu64
			       ", got %" PRIu64, r->a8, r->h.seq, en->seq);
	if (!bytes_equal(en->prev, r->h.id, ENTRY_ID_LEN)) {
		/* Signed by its author, it shows the feed went two ways
		 * after the entry we hold: a fork, not the relay's doing.
		 * Otherwise it is a forgery. */
		if (i == r->w0 && entry_verify(en, NULL) == 0) {
			r->diverged = 1;
			return 1;
		}
		return err_set(e, STOA_ESEQ, "entry %" PRIu64 " of %s does not "
			       "link to entry %" PRIu64, en->seq, r->a8, r->h.seq);
	}
	if (!x->payload) {
		/* marked erased: held without it (write_entry), a hole
		 * asked for again unless an erasure in force explains it */
		cls = PAYLOAD_OPAQUE;
	} else {
		if ((rc = entry_check_payload(en, x->payload, x->plen, e)) < 0)
			return rc;
		cls = payload_validate(en->kind, x->payload, x->plen,
				       &r->objs[i], e);
		if (cls < 0)
			return STOA_EPROTO;
	}
	if (cls != PAYLOAD_VALID) {
		json_decref(r->objs[i]);
		r->objs[i] = NULL;
	}
	r->ens[i] = *en;
	r->w1 = i + 1;
	r->h.seq = en->seq;
	memcpy(r->h.id, en->id, ENTRY_ID_LEN);
	return 0;
}

/* Decodes v[i] and checks it belongs where it is in the run; then
 * check_held or check_new. */
static int check_entry(struct store *s, struct run *r, size_t i,
		       struct err *e)
{
	struct entry *en = &r->en;
	int rc;

	if ((rc = entry_decode(en, r->v[i].signed_bytes, ENTRY_SIGNED_LEN,
			       e)) < 0)
		return rc;
	if (i == 0) {
		memcpy(r->author, en->author, KEY_PUBLIC_LEN);
		store_short_hex(r->author, r->a8);
		if ((rc = store_head_get(s, r->author, &r->h, e)) < 0)
			return rc;
		r->first = en->seq;
	} else if (memcmp(en->author, r->author, KEY_PUBLIC_LEN) != 0 ||
		   en->seq != r->first + i) {
		return err_set(e, STOA_EPROTO, "run entry %zu is not the next "
			       "entry of the same feed", i);
	}
	if (en->seq <= r->h.seq)
		return check_held(s, r, i, e);
	return check_new(r, i, e);
}

/* Every check of the run; then which entries to write: none if the run
 * is refused or stops at a fork. */
static int check_run(struct store *s, struct run *r, struct err *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->n && rc == 0; i++)
		rc = check_entry(s, r, i, e);
	/* One verification for the chain, done by run_cut: the last entry
	 * taken signs its prev, the hash of the one before, down to the
	 * stored head. */
	if (rc != 0 || r->forked || r->diverged)
		r->w1 = r->w0;
	return rc < 0 ? rc : 0;
}

/* The repairs, the new entries, and the head moved once. */
static int write_run(struct store *s, struct run *r, uint32_t *stored,
		     uint32_t *repaired, struct err *e)
{
	const struct store_run_entry *v = r->v;
	size_t i;
	int rc;

	for (i = 0; r->nfix > 0 && i < r->w0; i++) {
		if (!r->fix[i].n)
			continue;
		if ((rc = repair(s, &r->fix[i], &r->ens[i], v[i].payload,
				 v[i].plen, r->objs[i], e)) < 0)
			return rc;
		if (repaired)
			(*repaired)++;
	}
	for (i = r->w0; i < r->w1; i++) {
		if ((rc = write_entry(s, &r->ens[i], v[i].payload, v[i].plen,
				      r->objs[i], 0, e)) < 0)
			return rc;
		(*stored)++;
	}
	return r->w1 > r->w0 ? set_head(s, &r->ens[r->w1 - 1], e) : 0;
}

/* What a committed run that stopped at a fork returns, with e saying
 * which feed and seq; 0 for a run that did not. */
static int run_result(const struct run *r, struct err *e)
{
	if (r->diverged) {
		err_set(e, STOA_EFORK, "fork in feed %s: the entry after %"
			PRIu64 " held here is signed on another history",
			r->a8, r->h.seq);
		/* nothing to record, but not evidence seen before either: an
		 * honest relay of the other branch sends it each time it is
		 * asked, and late answers after a restart come unasked */
		return INGEST_FORK;
	}
	if (r->forked == 1) {
		err_set(e, STOA_EFORK, "fork in feed %s: its author signed two "
			"entries at seq %" PRIu64 " (proof recorded, the first "
			"kept)", r->a8, r->en.seq);
		return INGEST_FORK;
	}
	if (r->forked == 2) {
		err_set(e, STOA_EFORK, "fork in feed %s at seq %" PRIu64 ": "
			"proven already, not recorded again", r->a8, r->en.seq);
		return INGEST_FORK_KNOWN;
	}
	return 0;
}

int store_ingest_run(struct store *s, const struct store_run_entry *v,
		     size_t n, uint32_t *stored, uint32_t *repaired,
		     struct err *e)
{
	struct run r;
	size_t i;
	long cut;
	int rc, own, removed;

	*stored = 0;
	if (repaired)
		*repaired = 0;
	if (n == 0)
		return 0;
	if (n > STORE_RUN_MAX)
		return err_set(e, STOA_EPROTO, "run of %zu entries exceeds %d", n,
			       STORE_RUN_MAX);
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.n = n;
	r.ens = malloc(n * sizeof(*r.ens));
	r.objs = calloc(n, sizeof(*r.objs));
	r.fix = calloc(n, sizeof(*r.fix));
	if (!r.ens || !r.objs || !r.fix) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_tx_begin(s, &own, e)) < 0)
		goto out;
	r.n = removal_cut(s, v, n);
	removed = r.n < n;
	cut = r.n ? run_cut(s, v, r.n, e) : 0;
	if (cut >= 0 && (size_t)cut < r.n) {
		err_clear(e); /* the cut is not an error: a shorter run */
		r.n = (size_t)cut;
	}
	rc = cut < 0 ? (int)cut : check_run(s, &r, e);
	if (rc == 0)
		rc = write_run(s, &r, stored, repaired, e);
	rc = store_tx_end(s, own, rc < 0 ? rc : 0, e);
	if (rc < 0) {
		*stored = 0;
		if (repaired)
			*repaired = 0;
	} else {
		rc = run_result(&r, e);
		if (rc == 0 && removed)
			rc = INGEST_CUT;
	}
out:
	for (i = 0; r.objs && i < n; i++)
		json_decref(r.objs[i]);
	free(r.objs);
	free(r.ens);
	free(r.fix);
	return rc;
}
