/*
 * daemon_invite: the daemon's side of invites (docs/governance.md,
 * "Invites"). A member who joined with a mentor invite of this node's
 * member becomes a mentor by an ordinary role record, which this node
 * writes once it holds the join (invite_view_grant decides which joins
 * are owed one). Looked at once per DAEMON_INVITE_MS at most, and only
 * when the store holds an entry it had not seen (a cursor on the local
 * arrival order), so a quiet node reads nothing; `stoa sync` writes none
 * (its daemon is gone before the next look: `stoa invite --list` and
 * the serving daemon do it).
 */
#include <string.h>

#include "daemon_int.h"
#include "invite_view.h"

void daemon_invite_tick(struct daemon *d)
{
	struct err e = { 0 };
	struct msg_head h;
	unsigned n = 0;

	if (d->o->once || clock_mono_ms() < d->invite_ms)
		return;
	d->invite_ms = clock_mono_ms() + DAEMON_INVITE_MS;
	if (!key_has_secret(&d->h->key))
		return;
	if (invite_view_grant(d->h->store, &d->h->key, &d->invite_n, &n,
			      &e) < 0) {
		/* another writer holds the store: the next look tries again
		 * (the cursor did not move), said nowhere */
		if (e.code != STOA_EBUSY) {
			/* said, then looked at again later, not every turn */
			daemon_log(d, 1, "cannot give the roles invites name: "
				   "%s", e.msg);
			d->invite_ms = clock_mono_ms() + DAEMON_INVITE_RETRY_MS;
		}
		return;
	}
	if (!n)
		return;
	daemon_log(d, 1, "gave %u member%s the role of the invite they "
		   "joined with", n, n == 1 ? "" : "s");
	memcpy(h.author, d->h->key.pk, KEY_PUBLIC_LEN);
	if (store_head(d->h->store, h.author, &h.seq, h.id, NULL) == 0) {
		daemon_grew(d, &h);
		daemon_announce(d);
	}
}
