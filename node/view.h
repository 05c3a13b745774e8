/*
 * view: the read side of the store. Each query resolves the relations
 * between entries (threads, feedback on a post, pairings of an offer,
 * sessions of a pairing) at read time, which is what keeps the stored view
 * order-independent (store.h). Rows are handed to a callback as jansson
 * objects, the same objects the CLI prints as text or as --json lines, so
 * the two outputs never disagree. Field names are documented in
 * docs/cli.md. Keys and ids are lowercase hex; times are ms since epoch.
 * Text fields are returned as stored: printers strip control characters.
 *
 * Governance (gov.h) is read here as the store resolved it: roles from
 * gov_members (and the founder), hidden entries from gov_hidden, erased
 * ones from gov_erased, the history from gov. A hidden post, reply or
 * feedback is left out of every list and every count unless a scope asks
 * for hidden items; an erased entry has no view rows left, and shows only
 * as a notice where it is asked for by id.
 *
 * The callback borrows the row (it is freed after the call returns) and
 * returns 0 to go on or nonzero to stop early.
 */
#ifndef STOA_VIEW_H
#define STOA_VIEW_H

#include <stdint.h>

#include <jansson.h>

#include "gov.h"
#include "store.h"

#define VIEW_LIMIT_DEFAULT 20
#define VIEW_LIMIT_MAX 100000
#define VIEW_QUERY_MAX 1024 /* longest search query, bytes */

typedef int (*view_row_fn)(json_t *row, void *arg);

/*
 * Who reads, and whether hidden items are wanted. Posts, replies and
 * feedback a facilitator hid (gov_hidden) are left out of the lists and
 * of every count (replies, feedback, rating) unless hidden is 1: then
 * they are listed, marked "hidden":true (with "hidden_reason", the hide
 * record's reason, if it gave one), and counted. A post or feedback the
 * viewer reported (a report record of the viewer's names it) is left out
 * of the viewer's own lists, unless hidden is 1: the reporter no longer
 * sees the target (the counts are everyone's and keep it). A NULL scope
 * is { NULL, 0 }: no viewer, hidden items left out.
 */
struct view_scope {
	const uint8_t *viewer;   /* NULL: nobody's reports apply */
	int hidden;              /* 1: hidden items too, marked */
};

struct view_feed_filter {
	const char *topic;       /* NULL: all topics */
	const uint8_t *author;   /* NULL: all members */
	unsigned limit;          /* 0: VIEW_LIMIT_DEFAULT */
};

/*
 * Posts, newest first (by timestamp, then id), as scope sees them. Row:
 * {"type":"post","id","author","name","ts","topic","title"?,"body",
 *  "reply_to"?,"reply_to_erased"?:true,"replies","feedback","rating"?,
 *  "hidden"?:true,"hidden_reason"?}
 * "reply_to_erased" says the parent was erased.
 */
int view_feed_for(struct store *s, const struct view_feed_filter *f,
		  const struct view_scope *scope, view_row_fn cb, void *arg,
		  struct err *e);
/* view_feed_for with a NULL scope. */
int view_feed(struct store *s, const struct view_feed_filter *f,
	      view_row_fn cb, void *arg, struct err *e);

/*
 * One post, as scope sees it, then its replies depth-first oldest first
 * ("type":"post" rows with "depth" >= 1), then the feedback on the post
 * ("type":"feedback" rows: {"id","author","name","ts","target",
 * "rating"?,"helpful","comment"?,"hidden"?:true}). A hidden reply that
 * scope leaves out takes its own replies out of the thread with it, and
 * so does an erased reply (its payload, which named its parent, is
 * gone); those replies still show in the feed, and under their parent's
 * notice when it is shown by id.
 *
 * The first row ("depth":0) is the post's row, or a notice without the
 * post's text ("topic", "title", "body" and the counts left out):
 *   - hidden, and scope does not want hidden items: "hidden":true,
 *     "hidden_reason"?;
 *   - erased (the id is in gov_erased): "erased":true, "erased_by":
 *     "author"|"facilitator" (who wrote the erase record), and
 *     "erased_reason"? (its reason). Its replies and feedback still
 *     follow.
 * STOA_ENOTFOUND if id is neither a post held nor an erased one.
 */
int view_show_for(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		  const struct view_scope *scope, view_row_fn cb, void *arg,
		  struct err *e);
/* view_show_for with a NULL scope. */
int view_show(struct store *s, const uint8_t id[ENTRY_ID_LEN], view_row_fn cb,
	      void *arg, struct err *e);

/*
 * Full-text search over posts: every word of query must match a word of
 * the title, body or topic; a word ending in '*' matches as a prefix
 * (punctuation is never a syntax error). Most recently received first (FTS5 walks its rowids backwards and
 * stops at the limit, which keeps a common word fast at 1M posts). Rows as
 * view_feed plus "snippet"; scope as view_feed_for (NULL: no viewer,
 * hidden left out). An empty query is STOA_EINVAL.
 */
int view_search(struct store *s, const char *query, unsigned limit,
		const struct view_scope *scope, view_row_fn cb, void *arg,
		struct err *e);

/*
 * Every author held, by name then key. Row:
 * {"type":"member","key","name"?,"role","bio"?,"seq","posts","feedback",
 *  "kudos","badges":[...],"mentoring_minutes","forked":bool,
 *  "removed"?:true,"cut"?}
 * "role" is the governed one (view_gov_role: "learner", "mentor" or
 * "facilitator"), never the profile's; a removed member has "removed"
 * and "cut", the last seq of theirs the community keeps. "posts" and
 * "feedback" leave hidden ones out.
 */
int view_members(struct store *s, view_row_fn cb, void *arg, struct err *e);

/* The member row of one author (no row if the store holds none of it). */
int view_member(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		view_row_fn cb, void *arg, struct err *e);

/*
 * Mentoring: every request, then every offer, newest first ({"type":"offer"|"request","id",
 * "author","name","ts","topic","pairings"}), then pairings
 * ({"type":"pairing","id","mentor","mentor_name","mentee","mentee_name",
 *   "topic","ts","status":"open"|"closed","sessions","minutes",
 *   "goals"?,"progress"?,"ask"}), "ask" being the offer or request id.
 */
int view_mentoring(struct store *s, view_row_fn cb, void *arg,
		   struct err *e);

/*
 * Checks a pairing id for mentor session/close by member pk: the pairing
 * exists, its ask exists, and pk is its mentor or mentee (STOA_EPERM
 * otherwise); closed pairings are STOA_EINVAL.
 */
int view_pairing_check(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		       const uint8_t pk[KEY_PUBLIC_LEN], struct err *e);

/*
 * 1 if member pk is the mentor or mentee of an open pairing on the ask
 * (offer or request) with id ask, else 0; or a negative STOA_E*.
 */
int view_open_pairing(struct store *s, const uint8_t ask[ENTRY_ID_LEN],
		      const uint8_t pk[KEY_PUBLIC_LEN], struct err *e);

/* The topic of a stored post (for replies), into out (PAYLOAD_TOPIC_MAX+1). */
int view_post_topic(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		    char *out, size_t cap, struct err *e);

/*
 * A member's role as the governance rules resolved it (docs/governance.md):
 * GOV_ROLE_LEARNER, _MENTOR or _FACILITATOR (the founder always is one; a
 * member no record names is a learner); *removed = 1 if it was removed.
 * Or a negative STOA_E*.
 */
int view_gov_role(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		  int *removed, struct err *e);

/*
 * The current facilitators (founder first, then by key; removed ones
 * left out): at most cap keys into out, how many into *n.
 */
int view_facilitators(struct store *s, uint8_t (*out)[KEY_PUBLIC_LEN],
		      size_t cap, size_t *n, struct err *e);

struct view_gov_filter {
	unsigned limit;          /* 0: VIEW_LIMIT_DEFAULT */
	int unapplied;           /* 1: only records whose effect is not
				  * "applied" */
};

/*
 * The governance records held, newest first (by timestamp, then id). Row:
 * {"type":"gov","id","author","name"?,"ts","seq","kind":"role"|"hide"|
 *  "unhide"|"erase"|"report"|"remove"|"epoch","target","target_name"?,
 *  "role"?,"seen"?,"replaces"?:[ids],"cut"?,"epoch"?,"sealed_to"?,
 *  "reason"?,"effect"}
 * "target" is a member key (role, remove; "target_name" their name), a
 * rotation's check, or an entry id; "role", "seen", "replaces" are a role
 * record's, "cut" a removal's seq, "epoch" and "sealed_to" (how many
 * members) a rotation's. "effect" is what the rules made of it
 * (gov_effect_name). Defined in gov_view.c, like the two below it.
 * A report row carries neither its category nor its text: only who
 * reported what.
 */
int view_governance(struct store *s, const struct view_gov_filter *f,
		    view_row_fn cb, void *arg, struct err *e);

/* A member's current profile name into out, or "" if none. */
int view_member_name(struct store *s, const uint8_t pk[KEY_PUBLIC_LEN],
		     char *out, size_t cap, struct err *e);

#endif
