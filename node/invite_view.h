/*
 * invite_view: the invites a community holds, read from the entries at
 * the time of asking (docs/governance.md, "Invites"): the invite records
 * (kind invite) of the current facilitators, and the joins, the members
 * whose first profile entry names an invite ("invite": id). No table
 * keeps them: a read scans the facilitators' invite records and each
 * feed's first entry, so its cost grows with the members and the
 * facilitators' feeds, not with the posts. And the one write that
 * follows from them: a mentor invite's issuer gives each member who
 * joined with it, validly, the role it names (invite_view_grant).
 */
#ifndef STOA_INVITE_VIEW_H
#define STOA_INVITE_VIEW_H

#include <stdint.h>

#include "key.h"
#include "view.h"

/* The most invite records, and joins naming one, a read takes (more: an
 * error, never a partial answer). */
#define INVITE_VIEW_MAX 100000
/* The most facilitators whose invite records count. */
#define INVITE_VIEW_FACILITATORS_MAX 1024

/*
 * Every invite of a current facilitator, newest first. Row:
 * {"type":"invite","id","issuer","issuer_name"?,"ts","role","expires",
 *  "uses","epoch"?,"revoked","revoked_ts"?,"joins","valid_joins","over_used",
 *  "expired_joins","late_joins",
 *  "members":[{"member","name"?,"ts","valid","why"?}]}
 * members are the joins in (timestamp, id) order; a join is valid if it
 * is among the first "uses", dated no later than "expires" (0: never) and
 * before the first revocation; "why" says why not: "over-use",
 * "expired", "revoked".
 */
int invite_view_list(struct store *s, view_row_fn cb, void *arg,
		     struct err *e);

/*
 * The issuer's side of role granting: for each mentor invite of k's
 * member (if it is a facilitator), each valid join by a member who is
 * not removed, is less than a mentor, and about whom k's member never
 * wrote a role record gets one: role mentor, seen = the member's head,
 * replacing the role records in force about it, reason "invite <id>".
 * All in one transaction (the write lock makes "never wrote one" hold
 * against another process of the same home). *seen_n (may be NULL) is a
 * cursor: nothing is read while the store holds no entry newer than it.
 * *written (may be NULL) gets how many records were written.
 */
int invite_view_grant(struct store *s, const struct key *k,
		      uint64_t *seen_n, unsigned *written, struct err *e);

#endif
