/*
 * dial_lan: the dialer's side of `stoa sync --lan` (daemon_opts.lan_wait_ms;
 * docs/architecture.md §9, "One-shot discovery"). dial.c keeps the table
 * of found nodes and dials them as serve does, and asks here what differs
 * for a sync: which nodes are wanted (found within the browse time), when
 * a node's exchange is over (settled, or failed on its own: the others go
 * on), when the whole sync is, and each node's result for the caller.
 * A node found is never forgotten, so each gets its line in the report.
 * It never stops the loop itself and never dials.
 */
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"
#include "store.h"

/* A node of a past epoch the rotation does not name is a removed
 * member's (or an identity made from an old invite): not a peer. */
/* f failed at an address before it answered as its node; told of it at
 * another: its exchange starts again there (its failed dial let go). */
static int revive(struct daemon *d, struct found *f, const char *endpoint)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	struct peer *p;

	if (f->synced || f->lan_answered ||
	    f->lan_tries >= DAEMON_LAN_TRIES_MAX ||
	    strcmp(endpoint, f->lan_endpoint) == 0)
		return 0;
	if ((p = dial_found_peer(d, f)) != NULL)
		peer_free(p);
	f->peer = -1;
	f->retry_ms = 0;
	f->lan_end = 0;
	f->lan_retry = 0;
	f->lan_rc = 0;
	f->lan_why[0] = '\0';
	f->lan_ms = 0;
	f->lan_endpoint[0] = '\0';
	hex_encode(hex, f->node, KEY_PUBLIC_LEN);
	daemon_log(d, 0, "node %.8s: another record of it, at %s", hex,
		   endpoint);
	return 1;
}

int dial_lan_wanted(struct daemon *d, struct found *f,
		    const uint8_t node[KEY_PUBLIC_LEN], const char *endpoint,
		    unsigned past, uint64_t now)
{
	if (f)
		return !f->lan_end || revive(d, f, endpoint);
	if (now - d->start_ms >= (uint64_t)d->o->lan_wait_ms)
		return 0;
	return !past || epoch_named(d, node);
}

void dial_lan_fail(struct daemon *d, struct found *f, int rc,
		   const char *why)
{
	struct peer *p = dial_found_peer(d, f);
	char hex[2 * KEY_PUBLIC_LEN + 1];

	if (f->lan_end)
		return;
	f->lan_end = 1;
	f->lan_ms = clock_mono_ms();
	if (!f->synced)
		snprintf(f->lan_endpoint, sizeof(f->lan_endpoint), "%.*s",
			 DISCOVERY_ENDPOINT_MAX - 1, /* a dial's: from f */
			 p ? p->endpoint : f->endpoint);
	/* an address that failed (not the timeout, not a full table) */
	f->lan_retry = p && rc != STOA_EBUSY && !f->synced;
	hex_encode(hex, f->node, KEY_PUBLIC_LEN);
	if (f->synced) {
		daemon_log(d, 0, "node %.8s: %s (after it synced)", hex, why);
		return;
	}
	f->lan_rc = rc < 0 ? rc : STOA_EIO;
	snprintf(f->lan_why, sizeof(f->lan_why), "%s", why);
	daemon_log(d, 0, "node %.8s: %s", hex, why);
}

void dial_lan_failed(struct peer *p, int rc, const char *why)
{
	struct found *f = dial_found(p->d, p->node);

	if (f)
		dial_lan_fail(p->d, f, rc, why);
}

/* 1 if the session of p (f's dial) has settled; f is then synced (the
 * first time noted, with the address it was reached at: disc_found may
 * since have been told of another record of the node, maybe false). */
static int lan_settled(struct found *f, const struct peer *p)
{
	if (p && peer_has_repl(p) && p->r.got_hello &&
	    memcmp(p->r.peer_node, f->node, KEY_PUBLIC_LEN) == 0)
		f->lan_answered = 1; /* as the node its record named */
	if (!p || !peer_has_repl(p) || !p->r.got_hello ||
	    !repl_settled(&p->r))
		return 0;
	if (!f->synced) {
		f->synced = 1;
		f->synced_ms = clock_mono_ms();
		snprintf(f->lan_endpoint, sizeof(f->lan_endpoint), "%.*s",
			 DISCOVERY_ENDPOINT_MAX - 1, p->endpoint);
	}
	return 1;
}

/*
 * An exchange over lets its dial go; a node that withdrew its service before
 * it settled failed, unless a connection to it is up; a dial that an
 * address does not answer, or another node answers, fails it (the serve
 * loop would try its other addresses later; a sync has no later).
 */
int dial_lan_tick(struct daemon *d, struct found *f, struct peer *p,
		  uint64_t now)
{
	lan_settled(f, p);
	if (!f->lan_end && f->gone && !(p && peer_up(p)))
		dial_lan_fail(d, f, STOA_ENOTFOUND, "withdrew its service "
			      "before the exchange ended");
	if (!f->lan_end && p && p->wrong_node)
		dial_lan_fail(d, f, STOA_EPROTO, "another node answered at "
			      "its address");
	if (!f->lan_end && p && !peer_up(p) &&
	    now - p->down_ms >= DAEMON_MDNS_GIVEUP_MS)
		dial_lan_fail(d, f, STOA_ENOTFOUND, "not reached at its "
			      "address");
	if (!f->lan_end)
		return 0;
	if (p)
		peer_free(p); /* its counts go to f (peer_session_end) */
	f->peer = -1;
	if (f->lan_retry && d->disc) {
		/* its address failed: discovery tells of its best other
		 * record now (disc_found revives f there), or of a new one
		 * later */
		f->lan_retry = 0;
		discovery_endpoint_failed(d->disc, f->node, f->lan_endpoint);
	}
	return 1;
}

int dial_lan_done(struct daemon *d)
{
	size_t i;

	if (clock_mono_ms() - d->start_ms < (uint64_t)d->o->lan_wait_ms)
		return 0;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];

		if (f->used && !f->lan_end &&
		    !lan_settled(f, dial_found_peer(d, f)))
			return 0;
	}
	return 1;
}

void dial_lan_give_up(struct daemon *d, const char *why)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];

		if (f->used && !f->lan_end &&
		    !lan_settled(f, dial_found_peer(d, f)))
			dial_lan_fail(d, f, STOA_EBUSY, why);
	}
}

int dial_lan_known(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	uint8_t id[ENTRY_ID_LEN];
	uint64_t seq = 0;

	return store_head(d->h->store, node, &seq, id, NULL) == 0 && seq > 0;
}

/* A record that is no node this store knows and never answered as one:
 * anyone on the LAN can forge it (the tag is public, the id opens to
 * noise), so it is no peer to name or to fail the sync for. */
static int unanswered(const struct found *f)
{
	return !f->lan_known && !f->lan_answered && !f->synced;
}

size_t dial_lan_evict(struct daemon *d)
{
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];
		struct peer *p;

		if (!f->used || !unanswered(f))
			continue;
		if ((p = dial_found_peer(d, f)) != NULL) {
			lan_settled(f, p);
			if (f->lan_answered)
				continue; /* it did answer, just now */
			peer_free(p);
		}
		memset(f, 0, sizeof(*f));
		f->peer = -1;
		d->lan_evicted++;
		return i;
	}
	return DAEMON_PEERS_MAX;
}

void dial_lan_progress(struct daemon *d, struct daemon_progress *pr)
{
	uint64_t spent = clock_mono_ms() - d->start_ms;
	size_t i;

	pr->lan = 1;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];

		if (!f->used || (unanswered(f) && f->lan_end))
			continue; /* (no line in the report either) */
		pr->lan_found++;
		pr->lan_synced += f->synced;
	}
	if (spent < (uint64_t)d->o->lan_wait_ms)
		pr->lan_left_s = (int)((d->o->lan_wait_ms - spent + 999) / 1000);
}

void dial_lan_results(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	size_t i, n = 0;

	d->sum->lan_unanswered = d->lan_evicted;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct found *f = &d->found[i];
		struct daemon_lan_peer *r = &d->o->lan[n];
		struct peer *p;
		uint64_t end;

		if (!f->used)
			continue;
		p = dial_found_peer(d, f);
		lan_settled(f, p);
		if (unanswered(f) && f->lan_end) {
			d->sum->lan_unanswered++;
			continue;
		}
		memset(r, 0, sizeof(*r));
		memcpy(r->node, f->node, KEY_PUBLIC_LEN);
		/* where it was reached (or failed), else where it is dialed */
		snprintf(r->endpoint, sizeof(r->endpoint), "%.*s",
			 DISCOVERY_ENDPOINT_MAX - 1, f->lan_endpoint[0] ? f->lan_endpoint
			 : p ? p->endpoint : f->endpoint);
		r->entries_in = f->lan_in;
		r->entries_out = f->lan_out;
		if (p && peer_has_repl(p)) {
			r->entries_in += p->r.stats.entries_in;
			r->entries_out += p->r.stats.entries_out;
		}
		if (f->synced) {
			end = f->synced_ms;
		} else {
			end = f->lan_ms ? f->lan_ms : now;
			r->rc = f->lan_rc ? f->lan_rc : STOA_EBUSY;
			snprintf(r->why, sizeof(r->why), "%s", f->lan_rc ?
				 f->lan_why : "interrupted before the exchange "
				 "ended");
		}
		r->found_after = (double)(f->found_ms - d->start_ms) / 1000.0;
		r->seconds = (double)(end - f->found_ms) / 1000.0;
		n++;
	}
	d->sum->nlan = n;
}
