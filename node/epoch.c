/*
 * epoch: the daemon's side of a rotation of the community secret
 * (docs/governance.md, "Rotation"). It holds the keys of the current
 * epoch and of the past ones the community file keeps; adopts the
 * rotation in force once it is held (home_adopt); lets the sessions of
 * the old epoch pass it on for DAEMON_REKEY_MS; then ends every session,
 * binds the listening socket again under the new server key, dials the
 * static peers again and starts discovery with the new tag. A node of a
 * past epoch is reached by dialing it with that epoch's keys (a static
 * peer that refuses the handshake, or a node discovery found under a
 * past tag), only if the rotation in force names its member; such a
 * session shows only what predates the rotation (replica.upto_ts): a
 * removed member, who holds the past secret, could pose as that node.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "payload.h"
#include "rotation.h"
#include "view.h"

int epoch_keys_init(struct daemon *d, struct err *e)
{
	const struct community *c = &d->h->community;
	uint8_t check[HASH_LEN];
	uint32_t epoch;
	size_t i;
	int rc;

	if ((rc = transport_keys_init(&d->keys, &d->h->key, c, e)) < 0)
		return rc;
	community_derive(c, COMMUNITY_KEY_HELLO, d->hello_key);
	for (i = 0; i < c->npast; i++) {
		struct community past;

		community_past_get(c, i, &past);
		rc = transport_keys_init(&d->past_keys[i], &d->h->key, &past, e);
		community_derive(&past, COMMUNITY_KEY_HELLO, d->past_hello[i]);
		community_wipe(&past);
		if (rc < 0)
			return rc;
	}
	d->npast = c->npast;
	d->epoch_seen = UINT32_MAX; /* looked at on the next turn */
	/* what a past epoch's session shows: up to the rotation in force
	 * (nothing if none is: such a session ends at its HELLO) */
	d->rp_upto = d->rp;
	if (!store_epoch(d->h->store, &epoch, check, &d->rp_upto.upto_ts) ||
	    !d->rp_upto.upto_ts)
		d->rp_upto.upto_ts = 1;
	return 0;
}

void epoch_keys_wipe(struct daemon *d)
{
	size_t i;

	transport_keys_wipe(&d->keys);
	bytes_wipe(d->hello_key, sizeof(d->hello_key));
	for (i = 0; i < COMMUNITY_PAST_MAX; i++)
		transport_keys_wipe(&d->past_keys[i]);
	bytes_wipe(d->past_hello, sizeof(d->past_hello));
	d->npast = 0;
}

const struct transport_keys *epoch_peer_keys(const struct peer *p)
{
	return p->past ? &p->d->past_keys[p->past - 1] : &p->d->keys;
}

const uint8_t *epoch_peer_hello(const struct peer *p)
{
	return p->past ? p->d->past_hello[p->past - 1] : p->d->hello_key;
}

int epoch_named(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	return store_epoch_seal(d->h->store, node, NULL) &&
	       !store_member_removed(d->h->store, node);
}

/* The listening socket again, under the new keys: the closed one may
 * hold the port a little longer (libzmq closes it in its I/O thread). */
static void rebind(struct daemon *d)
{
	char bound[TRANSPORT_ENDPOINT_MAX];
	struct err e = { 0 };
	size_t i;
	int rc;

	rc = transport_listen(d->ctx, &d->keys, d->bound, &d->router, bound,
			      sizeof(bound), &e);
	if (rc == STOA_EBUSY && clock_mono_ms() < d->rebind_until_ms)
		return; /* the next turn tries again */
	d->rebind_until_ms = 0;
	if (rc < 0) {
		daemon_log(d, 1, "cannot listen again after the rotation: %s",
			   e.msg);
		d->fail = rc;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", e.msg);
		d->stop = 1;
		return;
	}
	daemon_log(d, 0, "listening on %s (epoch %" PRIu32 ")", d->bound,
		   d->h->community.epoch);
	for (i = 0; i < d->o->npeers; i++)
		if (!peer_dial(d, d->o->peers[i], PEER_STATIC, 0, &e))
			daemon_log(d, 1, "cannot dial %s: %s", d->o->peers[i],
				   e.msg);
	if (d->o->discovery != DISCOVERY_OFF && dial_start(d, &e) < 0)
		daemon_log(d, 1, "discovery: cannot start again: %s", e.msg);
}

/* Every session ends; the keys, the listening socket and discovery are
 * those of the epoch now in the community file. */
static void rekey(struct daemon *d)
{
	struct err e = { 0 };
	size_t i;

	d->rekey_ms = 0;
	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].state != PEER_FREE)
			peer_free(&d->peers[i]);
	dial_stop(d);
	memset(d->found, 0, sizeof(d->found));
	transport_close(d->router);
	d->router = NULL;
	epoch_keys_wipe(d);
	if (epoch_keys_init(d, &e) < 0) {
		daemon_log(d, 1, "cannot move to the new epoch: %s", e.msg);
		d->fail = e.code;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", e.msg);
		d->stop = 1;
		return;
	}
	if (!d->bound[0]) { /* not listening: the dials only */
		for (i = 0; i < d->o->npeers; i++)
			if (!peer_dial(d, d->o->peers[i], PEER_STATIC, 0, &e))
				daemon_log(d, 1, "cannot dial %s: %s",
					   d->o->peers[i], e.msg);
		return;
	}
	d->rebind_until_ms = clock_mono_ms() + DAEMON_REBIND_MS;
	rebind(d);
}

/*
 * 1 if a removal calls for a rotation: a member is removed and no
 * rotation is in force, or the newest is not (it is sealed to a member
 * removed since), or a removal is dated after the one in force (its
 * member may have joined with that epoch's invite, named in no seal).
 * A removal by a facilitator who is not the founder ends so: the
 * founder's node writes the next rotation (heal).
 */
static int rotation_due(struct daemon *d)
{
	uint8_t check[HASH_LEN];
	uint64_t ts = 0;
	uint32_t epoch;

	if (!store_has_removed(d->h->store))
		return 0;
	return !store_epoch(d->h->store, &epoch, check, &ts) ||
	       epoch < store_epoch_max(d->h->store) ||
	       store_removed_since(d->h->store, ts);
}

/*
 * The founder's node, the one writer of rotations, writes the one a
 * removal calls for (rotation_due), sealed to every member who remains;
 * its next turn adopts it like any other.
 */
static void heal(struct daemon *d)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	struct err e = { 0 };
	struct msg_head h;
	json_t *o = NULL;
	uint32_t epoch;
	char *p = NULL;
	size_t len;
	int rc;

	if (!store_founder(d->h->store, founder) ||
	    !bytes_equal(founder, d->h->key.pk, KEY_PUBLIC_LEN) ||
	    !rotation_due(d))
		return;
	rc = rotation_make(d->h->store, &d->h->community, NULL,
			   "a removal called for a new secret", &o, &epoch, &e);
	if (rc == 0)
		rc = payload_encode(o, &p, &len, &e);
	if (rc == 0)
		rc = store_append(d->h->store, &d->h->key, ENTRY_KIND_EPOCH, p,
				  len, h.id, &e);
	json_decref(o);
	free(p);
	if (rc < 0) {
		/* tried again later, unless it never can (more members
		 * than a rotation seals to: said once) */
		daemon_log(d, 1, "cannot write a rotation of the community "
			   "secret: %s", e.msg);
		if (e.code != STOA_EINVAL)
			d->heal_retry_ms = clock_mono_ms() +
					   DAEMON_STORE_RETRY_MS;
		return;
	}
	daemon_log(d, 1, "wrote a rotation of the community secret to epoch "
		   "%" PRIu32 ": a removal called for it", epoch);
	memcpy(h.author, d->h->key.pk, KEY_PUBLIC_LEN);
	if (store_head(d->h->store, h.author, &h.seq, h.id, NULL) == 0) {
		daemon_grew(d, &h);
		daemon_announce(d);
	}
}

/* The rotation in force, adopted if this node is not on its epoch. */
static void adopt(struct daemon *d)
{
	struct err e = { 0 };
	uint8_t check[HASH_LEN];
	uint64_t removed;
	uint32_t epoch;
	int rc;

	/* most turns: the rotation in force (none: epoch 0) and the
	 * removals are those looked at last */
	if (!store_epoch(d->h->store, &epoch, check, NULL)) {
		epoch = 0;
		memset(check, 0, sizeof(check));
	}
	removed = store_removed_count(d->h->store);
	if ((epoch == d->epoch_seen && removed == d->removed_seen &&
	     bytes_equal(check, d->epoch_check, HASH_LEN)) ||
	    clock_mono_ms() < d->adopt_retry_ms)
		return;
	rc = home_adopt(d->h, &e);
	if (rc < 0) {
		daemon_log(d, 1, "%s", e.msg);
		if (e.code != STOA_ENOTFOUND && e.code != STOA_ECRYPTO) {
			/* the community file could not be written (a full
			 * disk): tried again */
			d->adopt_retry_ms = clock_mono_ms() +
					    DAEMON_STORE_RETRY_MS;
			return;
		}
	}
	/* adopted, or said once why not: the node stays where it is */
	d->adopt_retry_ms = 0;
	d->removed_seen = removed;
	d->epoch_seen = epoch;
	memcpy(d->epoch_check, check, HASH_LEN);
	/* what a past epoch's session shows follows the rotation in force */
	d->rp_upto.upto_ts = 1;
	(void)store_epoch(d->h->store, &epoch, check, &d->rp_upto.upto_ts);
	if (!d->rp_upto.upto_ts)
		d->rp_upto.upto_ts = 1;
	if (rc == 0)
		heal(d);
	if (rc <= 0)
		return;
	daemon_log(d, 1, "moved to epoch %" PRIu32 " of the community secret "
		   "(a rotation); new keys in %d s", d->h->community.epoch,
		   DAEMON_REKEY_MS / 1000);
	d->rekey_ms = clock_mono_ms() + DAEMON_REKEY_MS;
}

void epoch_tick(struct daemon *d)
{
	if (d->o->once)
		return; /* a sync: `stoa sync` adopts once it is done */
	if (d->rebind_until_ms) {
		rebind(d);
		return;
	}
	if (d->rekey_ms) {
		if (clock_mono_ms() >= d->rekey_ms)
			rekey(d);
		return;
	}
	if (d->heal_retry_ms && clock_mono_ms() >= d->heal_retry_ms) {
		d->heal_retry_ms = 0;
		heal(d);
	}
	adopt(d);
}

int epoch_timeout(const struct daemon *d, int timeout)
{
	uint64_t now = clock_mono_ms();

	if (d->rebind_until_ms && timeout > DAEMON_REBIND_POLL_MS)
		return DAEMON_REBIND_POLL_MS;
	if (d->rekey_ms) {
		uint64_t left = d->rekey_ms > now ? d->rekey_ms - now : 0;

		if ((uint64_t)timeout > left)
			return (int)left;
	}
	return timeout;
}
