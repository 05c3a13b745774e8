/*
 * dial: the daemon's side of discovery. It starts discovery (discovery.h)
 * with this node's port and community tag, keeps a table of the nodes it
 * reports (found, withdrawn), and decides which of them to dial and when
 * to let a dial go: of two nodes that find each other the lower key
 * dials, a dial gives way to a session that already runs with that node,
 * an address that does not answer (or answers as another node) is
 * reported back and tried last, and at most DAEMON_MDNS_DIALS_MAX
 * connections are dialed for finds. The dials themselves are peers of
 * kind PEER_MDNS (peer.c). It trusts no record: a record only ever costs
 * one dial slot for a while. What differs in a sync --lan (one browse,
 * one exchange with each node, a result each) is in dial_lan.c.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

static void disc_log(void *arg, int always, const char *line)
{
	daemon_log(arg, always, "%s", line);
}

struct found *dial_found(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->found[i].used &&
		    memcmp(d->found[i].node, node, KEY_PUBLIC_LEN) == 0)
			return &d->found[i];
	return NULL;
}

/* A slot for a node newly found: a free one, or one of a node we could
 * not reach (forgotten to make room); NULL when full. In a sync --lan
 * (each node found gets its line) only a member this store knows
 * (known) takes the slot of a record that never answered as a node
 * (dial_lan_evict). */
static struct found *found_slot(struct daemon *d, uint64_t now, int known)
{
	size_t i, k;

	for (i = 0; i < DAEMON_PEERS_MAX && d->found[i].used; i++)
		;
	/* full: make room by forgetting a node we could not reach */
	for (k = 0; i == DAEMON_PEERS_MAX && !d->o->lan_wait_ms &&
		    k < DAEMON_PEERS_MAX; k++)
		if (d->found[k].peer < 0 && d->found[k].retry_ms > now &&
		    !peer_with_node(d, d->found[k].node, NULL))
			i = k;
	if (i == DAEMON_PEERS_MAX && d->o->lan_wait_ms && known)
		i = dial_lan_evict(d);
	if (i == DAEMON_PEERS_MAX) {
		if (!d->found_full_logged)
			daemon_log(d, 1, "mDNS: more than %d nodes found; "
				   "ignoring the rest", DAEMON_PEERS_MAX);
		d->found_full_logged = 1;
		return NULL;
	}
	return &d->found[i];
}

static void disc_found(void *arg, const uint8_t node[KEY_PUBLIC_LEN],
		       const char *endpoint, unsigned past)
{
	struct daemon *d = arg;
	struct found *f = dial_found(d, node);
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t now = clock_mono_ms();

	if (f && !f->gone && strcmp(f->endpoint, endpoint) == 0 &&
	    f->past == past)
		return; /* told again: nothing new */
	if (d->o->lan_wait_ms &&
	    !dial_lan_wanted(d, f, node, endpoint, past, now))
		return;
	if (f && f->past != past && f->peer >= 0) {
		/* it moved to another epoch: dial it with that one's keys */
		peer_free(&d->peers[f->peer]);
		f->peer = -1;
		f->retry_ms = 0;
	}
	if (!f) {
		int known = d->o->lan_wait_ms && dial_lan_known(d, node);

		if (!(f = found_slot(d, now, known)))
			return;
		memset(f, 0, sizeof(*f));
		f->lan_known = known;
		f->used = 1;
		f->peer = -1;
		memcpy(f->node, node, KEY_PUBLIC_LEN);
		f->found_ms = clock_mono_ms();
	} else if (f->gone) {
		f->found_ms = clock_mono_ms();
	}
	f->gone = 0;
	f->dial_logged = 0;
	f->past = past;
	snprintf(f->endpoint, sizeof(f->endpoint), "%s", endpoint);
	hex_encode(hex, node, KEY_PUBLIC_LEN);
	if (past)
		daemon_log(d, 0, "mDNS: found node %.8s at %s, on epoch %u",
			   hex, endpoint,
			   (unsigned)d->h->community.past[past - 1].epoch);
	else
		daemon_log(d, 0, "mDNS: found node %.8s at %s", hex, endpoint);
}

static void disc_lost(void *arg, const uint8_t node[KEY_PUBLIC_LEN])
{
	struct daemon *d = arg;
	struct found *f = dial_found(d, node);
	char hex[2 * KEY_PUBLIC_LEN + 1];

	if (!f)
		return;
	f->gone = 1;
	hex_encode(hex, node, KEY_PUBLIC_LEN);
	daemon_log(d, 0, "mDNS: node %.8s withdrew its service", hex);
}

struct peer *dial_found_peer(struct daemon *d, struct found *f)
{
	struct peer *p;

	if (f->peer < 0)
		return NULL;
	p = &d->peers[f->peer];
	if (p->state == PEER_FREE || p->kind != PEER_MDNS ||
	    memcmp(p->node, f->node, KEY_PUBLIC_LEN) != 0) {
		f->peer = -1;
		return NULL;
	}
	return p;
}

/*
 * Lets go of f's dial *pp when it is one too many (q, a session with the
 * node, runs) or failed: 1 if this tick is done with f. A dial of a node
 * that moved is let go too, and *pp cleared, so that it is dialed where
 * it is now.
 */
static int review_dial(struct daemon *d, struct found *f, struct peer **pp,
		       const struct peer *q, uint64_t now, const char *hex)
{
	const uint8_t *self = d->h->key.pk;
	struct peer *p = *pp;

	if (q && (peer_dialed(q) || !peer_has_repl(p) ||
		  memcmp(self, f->node, KEY_PUBLIC_LEN) > 0)) {
		/* its own connection to us, or a static one, is up: ours is
		 * one too many (and one the node refused as a duplicate of
		 * its --peer session goes too) */
		daemon_log(d, 0, "node %.8s: already in session; closing the "
			   "second connection", hex);
		peer_free(p);
		f->peer = -1;
		return 1;
	}
	if (peer_up(p))
		p->down_ms = now;
	if (p->wrong_node || p->state == PEER_REJECTED ||
	    (!peer_up(p) && now - p->down_ms >= DAEMON_MDNS_GIVEUP_MS)) {
		/* not that node, not of this community, or nobody there for
		 * a while: try another of its addresses, or this one again
		 * later */
		daemon_log(d, 0, "node %.8s: not reached at %s; trying again "
			   "later", hex, p->endpoint);
		discovery_endpoint_failed(d->disc, f->node, p->endpoint);
		peer_free(p);
		f->peer = -1;
		f->retry_ms = now + DAEMON_MDNS_BACKOFF_MS;
		return 1;
	}
	if (!peer_up(p) && strcmp(p->endpoint, f->endpoint) != 0) {
		/* it moved: dial where it is now */
		peer_free(p);
		f->peer = -1;
		*pp = NULL;
		f->retry_ms = 0;
	}
	return 0;
}

/* Dials f's node, if it is our turn and there is room: 1 if dialed. */
static int dial_node(struct daemon *d, struct found *f, int dials,
		     uint64_t now, const char *hex)
{
	struct peer *p;
	struct err e;

	if (f->past && !epoch_named(d, f->node)) {
		/* a node of a past epoch the rotation does not name (a
		 * removed member, an identity made from an old invite):
		 * nothing for it; looked at again later */
		f->retry_ms = now + DAEMON_MDNS_BACKOFF_MS;
		return 0;
	}
	/* a node of a past epoch cannot dial this one: always dialed; nor
	 * can any node dial a sync --lan, which does not listen */
	if (!f->past && !d->o->lan_wait_ms &&
	    memcmp(d->h->key.pk, f->node, KEY_PUBLIC_LEN) > 0 &&
	    now - f->found_ms < DAEMON_DIAL_GRACE_MS)
		return 0; /* its turn to dial */
	if (dials >= DAEMON_MDNS_DIALS_MAX && !d->o->lan_wait_ms)
		return 0; /* room kept for incoming and static peers */
	err_clear(&e);
	p = peer_dial(d, f->endpoint, PEER_MDNS, f->past, &e);
	if (!p && d->o->lan_wait_ms) {
		dial_lan_fail(d, f, e.code, e.msg);
		return 0;
	}
	if (!p) {
		if (!f->dial_logged)
			daemon_log(d, 1, "node %.8s: cannot dial %s: %s", hex,
				   f->endpoint, e.msg);
		f->dial_logged = 1;
		f->retry_ms = now + DAEMON_MDNS_BACKOFF_MS;
		return 0;
	}
	p->down_ms = now;
	memcpy(p->node, f->node, KEY_PUBLIC_LEN);
	f->peer = (int)(p - d->peers);
	f->lan_tries++; /* (sync --lan's bound) */
	daemon_log(d, 0, "node %.8s: dialing %s", hex, f->endpoint);
	return 1;
}

/*
 * Dials the nodes discovery found, once each. Of two nodes that find each
 * other, the one with the lower member key dials; the other dials too if
 * no session with it has started DAEMON_DIAL_GRACE_MS after finding it
 * (mDNS is not always symmetric), and lets go of its own connection when
 * the other's is up. A node whose service went away is forgotten once its
 * connection is down too: mDNS says who is there, the connection's
 * heartbeats say who is alive.
 */
/* A new UTC day: discovery starts again, so this node's record gets a
 * new id (discovery.h); its old one ages out of the others' caches. */
static void new_day(struct daemon *d)
{
	struct err e = { 0 };

	if (!d->disc || d->o->lan_wait_ms ||
	    clock_wall_ms() / DAEMON_DAY_MS == d->disc_day)
		return;
	discovery_free(d->disc);
	d->disc = NULL;
	if (dial_start(d, &e) < 0)
		daemon_log(d, 1, "discovery: cannot start again: %s", e.msg);
	else
		daemon_log(d, 0, "discovery: a new day, a new record");
}

void dial_tick(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	char hex[2 * KEY_PUBLIC_LEN + 1];
	size_t i;
	int dials = 0;

	new_day(d);

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		dials += d->peers[i].state != PEER_FREE &&
			 d->peers[i].kind == PEER_MDNS;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];
		struct peer *p, *q;

		if (!f->used)
			continue;
		p = dial_found_peer(d, f);
		hex_encode(hex, f->node, KEY_PUBLIC_LEN);
		if (d->o->lan_wait_ms && dial_lan_tick(d, f, p, now))
			continue;
		if (f->gone && d->o->lan_wait_ms)
			continue; /* its connection is up: it may settle */
		if (f->gone) {
			if (p && peer_up(p))
				continue;
			if (p)
				peer_free(p);
			daemon_log(d, 0, "mDNS: forgot node %.8s (gone)", hex);
			memset(f, 0, sizeof(*f));
			continue;
		}
		q = peer_with_node(d, f->node, p);
		if (p && review_dial(d, f, &p, q, now, hex))
			continue;
		if (p || q || now < f->retry_ms)
			continue;
		dials += dial_node(d, f, dials, now, hex);
	}
}

/*
 * Whether a listen endpoint reaches the local network: a wildcard
 * host (the star, 0.0.0.0 or [::]) or an address
 * that is not loopback. Only then does automatic discovery publish it.
 */
static int endpoint_is_lan(const char *ep)
{
	static const char *const loopback[] = {
		"tcp://127.", "tcp://[::1]", "tcp://[::ffff:127.",
		"tcp://localhost:", "tcp://lo:", "tcp://[0:0:0:0:0:0:0:1]",
	};
	size_t i;

	if (strncmp(ep, "tcp://", 6) != 0)
		return 0; /* ipc, inproc: not on any network */
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strncmp(ep, loopback[i], strlen(loopback[i])) == 0)
			return 0;
	return 1;
}

/* The port a serve publishes (the one it listens on): 0 and *port set,
 * 1 when discovery stays off (listening on loopback only), or an error. */
static int publish_port(struct daemon *d, uint16_t *port, struct err *e)
{
	const char *colon = strrchr(d->bound, ':');
	unsigned long n;
	char *end;

	if (!colon)
		return err_set(e, STOA_EINVAL, "no port in '%s' to publish",
			       d->bound);
	n = strtoul(colon + 1, &end, 10);
	if (*end || n == 0 || n > 65535)
		return err_set(e, STOA_EINVAL, "no port in '%s' to publish",
			       d->bound);
	if (d->o->discovery == DISCOVERY_AUTO && !endpoint_is_lan(d->o->listen)) {
		daemon_log(d, 0, "discovery: off (not listening on the local "
			   "network)");
		return 1;
	}
	*port = (uint16_t)n;
	return 0;
}

int dial_start(struct daemon *d, struct err *e)
{
	struct discovery_conf c;
	struct discovery_events ev = { disc_found, disc_lost, disc_log, d };
	uint8_t tag[32];
	uint16_t port = 0; /* sync --lan: browse only, publish nothing */
	size_t i;
	int rc;

	if (!d->o->lan_wait_ms && (rc = publish_port(d, &port, e)) != 0)
		return rc < 0 ? rc : 0;
	memset(&c, 0, sizeof(c));
	c.mode = d->o->discovery;
	c.port = port;
	memcpy(c.node, d->h->key.pk, KEY_PUBLIC_LEN);
	community_derive(&d->h->community, COMMUNITY_KEY_TAG, tag);
	memcpy(c.tag, tag, DISCOVERY_TAG_LEN);
	community_derive(&d->h->community, COMMUNITY_KEY_LAN, c.lan_key);
	for (i = 0; i < d->h->community.npast && i < DISCOVERY_PAST_MAX; i++) {
		struct community past;

		community_past_get(&d->h->community, i, &past);
		community_derive(&past, COMMUNITY_KEY_TAG, tag);
		memcpy(c.past[i].tag, tag, DISCOVERY_TAG_LEN);
		community_derive(&past, COMMUNITY_KEY_LAN, c.past[i].lan_key);
		community_wipe(&past);
	}
	c.npast = i;
	d->disc_day = clock_wall_ms() / DAEMON_DAY_MS;
	rc = discovery_new(&d->disc, &c, &ev, e);
	bytes_wipe(&c, sizeof(c));
	return rc;
}

/* One poll of discovery's own descriptors, for at most t ms. */
static int goodbye_poll(struct discovery *disc, int t)
{
	struct transport_pollfd pf[DISCOVERY_WATCHES_MAX];
	int fds[DISCOVERY_WATCHES_MAX];
	short ev[DISCOVERY_WATCHES_MAX], rev[DISCOVERY_WATCHES_MAX];
	int n, i;

	n = discovery_poll_fds(disc, fds, ev, DISCOVERY_WATCHES_MAX);
	for (i = 0; i < n; i++) {
		pf[i].fd = fds[i];
		pf[i].events = ev[i];
	}
	if (transport_poll(NULL, 0, pf, n, t, NULL, NULL) < 0)
		return -1;
	for (i = 0; i < n; i++)
		rev[i] = pf[i].revents;
	discovery_dispatch(disc, fds, rev, n);
	return 0;
}

/* At most twice DISCOVERY_GOODBYE_MS, before everything is closed. */
void dial_stop(struct daemon *d)
{
	uint64_t end = clock_mono_ms() + 2 * DISCOVERY_GOODBYE_MS;

	if (!d->disc)
		return;
	discovery_stop(d->disc);
	while (!discovery_stopped(d->disc) && clock_mono_ms() < end) {
		int t = discovery_timeout_ms(d->disc);

		if (t < 0 || t > (int)(end - clock_mono_ms()))
			t = (int)(end - clock_mono_ms());
		if (goodbye_poll(d->disc, t) < 0)
			break;
	}
	discovery_free(d->disc);
	d->disc = NULL;
}
