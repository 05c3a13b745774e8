/*
 * discovery_records: what the two stacks saw, and what the owner is told
 * (see discovery_int.h). Every service instance a browser reports (per
 * interface, protocol and name, from whichever stack) is kept as a record
 * within DISCOVERY_SERVICES_MAX and resolved; a record is a peer only if
 * its TXT says v=2, this community's tag and another node (sealed in
 * its id: discovery.h), and its
 * address is one a peer on that link can have. Above the records are the
 * nodes: the owner hears of nodes, not records, found once per node or
 * new best endpoint, lost when its last record is gone. Every string from
 * the network is checked against a named bound first; nothing here
 * trusts a record beyond the one dial it may cost.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "clock.h"
#include "discovery_int.h"

/* Decodes s, exactly 2*len hex digits, into out. */
static int hex_exact(const char *s, uint8_t *out, size_t len)
{
	return strlen(s) == 2 * len ? hex_decode(out, len, s) : -1;
}

/* The value of key in txt, if present and at most cap-1 bytes. */
static int txt_get(AvahiStringList *txt, const char *key, char *out,
		   size_t cap)
{
	AvahiStringList *l = avahi_string_list_find(txt, key);
	char *k = NULL, *v = NULL;
	size_t n = 0;
	int rc = -1;

	if (l && avahi_string_list_get_pair(l, &k, &v, &n) == 0 && v &&
	    n < cap && memchr(v, '\0', n) == NULL) {
		memcpy(out, v, n);
		out[n] = '\0';
		rc = 0;
	}
	avahi_free(k);
	avahi_free(v);
	return rc;
}

static struct node_rec *node_find(struct discovery *d,
				  const uint8_t node[KEY_PUBLIC_LEN])
{
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->nodes[i].used &&
		    memcmp(d->nodes[i].node, node, KEY_PUBLIC_LEN) == 0)
			return &d->nodes[i];
	return NULL;
}

/* Whether a is a better record to dial than b (b may be NULL). */
static int better(const struct service *a, const struct service *b,
		  uint64_t now)
{
	int abad = a->bad_until_ms > now, bbad;

	if (!b)
		return 1;
	bbad = b->bad_until_ms > now;
	if (abad != bbad)
		return !abad;
	if (a->past != b->past) /* a node's record of this epoch first */
		return a->past < b->past;
	if ((a->proto == AVAHI_PROTO_INET) != (b->proto == AVAHI_PROTO_INET))
		return a->proto == AVAHI_PROTO_INET;
	return a->resolved_ms > b->resolved_ms;
}

/*
 * Tells the owner what changed for node: the endpoint of its best record
 * (one the owner could reach before one it could not, IPv4 before IPv6,
 * then the newest), or that it has none left.
 */
static void node_update(struct discovery *d, const uint8_t node[KEY_PUBLIC_LEN])
{
	const struct service *best = NULL;
	struct node_rec *n = node_find(d, node);
	uint64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		const struct service *s = &d->svc[i];

		if (!s->used || !s->resolved ||
		    memcmp(s->node, node, KEY_PUBLIC_LEN) != 0)
			continue;
		if (better(s, best, now))
			best = s;
	}
	if (!best) {
		if (n && !n->stale_ms) {
			n->used = 0;
			if (d->ev.lost)
				d->ev.lost(d->ev.arg, node);
		}
		return;
	}
	if (!n) {
		for (i = 0; i < DISCOVERY_SERVICES_MAX && d->nodes[i].used; i++)
			;
		if (i == DISCOVERY_SERVICES_MAX)
			return; /* full of stale nodes: told when one goes */
		n = &d->nodes[i];
		n->used = 1;
		memcpy(n->node, node, KEY_PUBLIC_LEN);
		n->endpoint[0] = '\0';
	}
	n->stale_ms = 0;
	if (strcmp(n->endpoint, best->endpoint) != 0 || n->past != best->past) {
		snprintf(n->endpoint, sizeof(n->endpoint), "%s", best->endpoint);
		n->past = best->past;
		if (d->ev.found)
			d->ev.found(d->ev.arg, node, n->endpoint, n->past);
	}
}

static void resolver_free(struct service *s)
{
	if (!s->resolver)
		return;
	if (s->from == DISC_CLIENT)
		discovery_client_resolver_free(s->resolver);
	else
		discovery_embedded_resolver_free(s->resolver);
	s->resolver = NULL;
}

static int resolve_start(struct discovery *d, struct service *s)
{
	s->retry_ms = 0;
	if (s->from == DISC_CLIENT && d->client)
		s->resolver = discovery_client_resolve(d, s);
	else if (s->from == DISC_EMBEDDED && d->server)
		s->resolver = discovery_embedded_resolve(d, s);
	return s->resolver ? 0 : -1;
}

static struct service *service_find(struct discovery *d,
				    enum disc_stack from,
				    AvahiIfIndex iface, AvahiProtocol proto,
				    const char *name, const char *domain)
{
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		struct service *s = &d->svc[i];

		if (s->used && s->from == from && s->iface == iface &&
		    s->proto == proto && strcmp(s->name, name) == 0 &&
		    strcmp(s->domain, domain) == 0)
			return s;
	}
	return NULL;
}

static void service_remove(struct discovery *d, struct service *s)
{
	uint8_t node[KEY_PUBLIC_LEN];
	int had = s->resolved;

	memcpy(node, s->node, KEY_PUBLIC_LEN);
	resolver_free(s);
	memset(s, 0, sizeof(*s));
	if (had)
		node_update(d, node);
}

/* Forgets every record of one stack (it is going away); the nodes they
 * gave stay, and are lost after DISCOVERY_STALE_MS unless the other stack finds
 * them again. */
void discovery_records_drop(struct discovery *d, enum disc_stack from)
{
	uint64_t stale = clock_mono_ms() + DISCOVERY_STALE_MS;
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		if (d->svc[i].used && d->svc[i].from == from) {
			resolver_free(&d->svc[i]);
			memset(&d->svc[i], 0, sizeof(d->svc[i]));
		}
	}
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->nodes[i].used && !d->nodes[i].stale_ms)
			d->nodes[i].stale_ms = stale;
}

/* A browser saw a service instance come or go. */
void discovery_browsed(struct discovery *d, enum disc_stack from,
		       AvahiIfIndex iface, AvahiProtocol proto,
		       AvahiBrowserEvent event, const char *name,
		       const char *domain)
{
	struct service *s;
	size_t i;

	if (event == AVAHI_BROWSER_FAILURE) {
		discovery_say(d, 1, "mDNS: browsing (%s) failed: %s",
		    from == DISC_CLIENT ? "avahi-daemon" : "embedded",
		    avahi_strerror(from == DISC_CLIENT ? avahi_client_errno(d->client)
					       : avahi_server_errno(d->server)));
		return;
	}
	if (event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE)
		return;
	if (!name || !domain || strlen(name) >= DISCOVERY_NAME_MAX ||
	    strlen(domain) >= DISCOVERY_DOMAIN_MAX)
		return; /* not a name any stoa node publishes */
	s = service_find(d, from, iface, proto, name, domain);
	if (event == AVAHI_BROWSER_REMOVE) {
		if (s)
			service_remove(d, s);
		return;
	}
	if (s)
		return;
	for (i = 0; i < DISCOVERY_SERVICES_MAX && d->svc[i].used; i++)
		;
	if (i == DISCOVERY_SERVICES_MAX) {
		if (!d->full_logged)
			discovery_say(d, 1, "mDNS: more than %d services of type %s seen; "
			    "ignoring the rest", DISCOVERY_SERVICES_MAX,
			    DISCOVERY_SERVICE_TYPE);
		d->full_logged = 1;
		return;
	}
	s = &d->svc[i];
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->from = from;
	s->iface = iface;
	s->proto = proto;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->domain, sizeof(s->domain), "%s", domain);
	if (resolve_start(d, s) < 0)
		s->retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
}

/*
 * Whether a, found on interface iface, is an address a peer on that link
 * can have: not loopback, unspecified, multicast or broadcast, and for
 * IPv4 inside a subnet of one of iface's own addresses. A record saying
 * otherwise is someone's mistake or trick; dialing it would send traffic
 * off the link.
 */
static int address_on_link(const AvahiAddress *a, AvahiIfIndex iface)
{
	struct ifaddrs *ifa, *i;
	uint32_t ip, mine, mask;
	const uint8_t *v6;
	int ok = 0;

	if (a->proto == AVAHI_PROTO_INET6) {
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
						      0, 0, 0xff, 0xff };
		static const uint8_t zero[16];

		v6 = a->data.ipv6.address;
		return v6[0] != 0xff && memcmp(v6, zero, 15) != 0 &&
		       memcmp(v6, v4mapped, 12) != 0;
	}
	if (a->proto != AVAHI_PROTO_INET)
		return 0;
	ip = ntohl(a->data.ipv4.address);
	if ((ip >> 24) == 127 || (ip >> 24) == 0 || (ip >> 28) == 14 ||
	    ip == 0xffffffffu)
		return 0;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !ok; i = i->ifa_next) {
		if (!i->ifa_addr || !i->ifa_netmask ||
		    i->ifa_addr->sa_family != AF_INET ||
		    if_nametoindex(i->ifa_name) != (unsigned)iface)
			continue;
		mine = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		mask = ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
		ok = (ip & mask) == (mine & mask) && ip != (mine | ~mask);
	}
	freeifaddrs(ifa);
	return ok;
}

/* "tcp://10.77.0.2:7647" or "tcp://[fe80::1%eth0]:7647". */
static int endpoint_of(const AvahiAddress *a, AvahiIfIndex iface,
		       uint16_t port, char *out, size_t cap)
{
	char ip[AVAHI_ADDRESS_STR_MAX], ifname[IF_NAMESIZE];
	int n;

	if (!a || port == 0 || !address_on_link(a, iface) ||
	    !avahi_address_snprint(ip, sizeof(ip), a))
		return -1;
	if (a->proto == AVAHI_PROTO_INET) {
		n = snprintf(out, cap, "tcp://%s:%u", ip, port);
	} else if (a->proto == AVAHI_PROTO_INET6) {
		/* a link-local address means nothing without its link */
		if (a->data.ipv6.address[0] == 0xfe &&
		    (a->data.ipv6.address[1] & 0xc0) == 0x80) {
			if (iface < 0 || !if_indextoname((unsigned)iface, ifname))
				return -1;
			n = snprintf(out, cap, "tcp://[%s%%%s]:%u", ip, ifname,
				     port);
		} else {
			n = snprintf(out, cap, "tcp://[%s]:%u", ip, port);
		}
	} else {
		return -1;
	}
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* The LAN key of the epoch whose tag is tag (*past: 0 this one's, i past
 * epoch i-1's), or NULL: another community's. */
static const uint8_t *tag_key(const struct discovery *d,
			      const uint8_t tag[DISCOVERY_TAG_LEN],
			      unsigned *past)
{
	size_t i;

	if (memcmp(tag, d->c.tag, DISCOVERY_TAG_LEN) == 0) {
		*past = 0;
		return d->c.lan_key;
	}
	for (i = 0; i < d->c.npast && i < DISCOVERY_PAST_MAX; i++)
		if (memcmp(tag, d->c.past[i].tag, DISCOVERY_TAG_LEN) == 0) {
			*past = (unsigned)i + 1;
			return d->c.past[i].lan_key;
		}
	return NULL;
}

/* A resolver answered for s (found: a, port and txt are set). */
static void on_resolve(struct discovery *d, struct service *s,
		       AvahiResolverEvent event, const AvahiAddress *a,
		       uint16_t port, AvahiStringList *txt)
{
	char v[8], id_hex[2 * DISCOVERY_ID_LEN + 1],
		tag_hex[2 * DISCOVERY_TAG_LEN + 1];
	uint8_t id[DISCOVERY_ID_LEN];
	uint8_t node[KEY_PUBLIC_LEN], tag[DISCOVERY_TAG_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	int was = s->resolved;
	uint8_t old[KEY_PUBLIC_LEN];
	const uint8_t *lan_key = NULL;
	unsigned past = 0;

	memcpy(old, s->node, KEY_PUBLIC_LEN);
	if (event != AVAHI_RESOLVER_FOUND) {
		/* gone quiet: try again later, forget it meanwhile */
		resolver_free(s);
		s->resolved = 0;
		s->retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
		if (was)
			node_update(d, old);
		return;
	}
	s->resolved = 0;
	if (txt_get(txt, DISCOVERY_TXT_VERSION, v, sizeof(v)) < 0 ||
	    strcmp(v, DISCOVERY_VERSION) != 0 ||
	    txt_get(txt, DISCOVERY_TXT_ID, id_hex, sizeof(id_hex)) < 0 ||
	    hex_exact(id_hex, id, DISCOVERY_ID_LEN) < 0 ||
	    txt_get(txt, DISCOVERY_TXT_TAG, tag_hex, sizeof(tag_hex)) < 0 ||
	    hex_exact(tag_hex, tag, DISCOVERY_TAG_LEN) < 0 ||
	    !(lan_key = tag_key(d, tag, &past)) ||
	    (discovery_id_open(lan_key, id, node), 0) ||
	    memcmp(node, d->c.node, KEY_PUBLIC_LEN) == 0 ||
	    endpoint_of(a, s->iface, port, endpoint, sizeof(endpoint)) < 0) {
		/* another community, another version, ourselves, not stoa
		 * at all, or an address off the link: not a peer. The record
		 * stays (so it is not resolved again) without its resolver */
		resolver_free(s);
		s->retry_ms = 0;
		if (was)
			node_update(d, old);
		return;
	}
	if (strcmp(s->endpoint, endpoint) != 0)
		s->bad_until_ms = 0; /* somewhere new: worth a try */
	memcpy(s->node, node, KEY_PUBLIC_LEN);
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", endpoint);
	s->past = past;
	s->resolved = 1;
	s->resolved_ms = clock_mono_ms();
	if (was && memcmp(old, node, KEY_PUBLIC_LEN) != 0)
		node_update(d, old);
	node_update(d, node);
}

/* A resolver of either stack answered: the record it belongs to. */
void discovery_resolved(struct discovery *d, const void *r,
			AvahiResolverEvent event, const AvahiAddress *a,
			uint16_t port, AvahiStringList *txt)
{
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->svc[i].used && d->svc[i].resolver == r) {
			on_resolve(d, &d->svc[i], event, a, port, txt);
			return;
		}
}


void discovery_records_free(struct discovery *d)
{
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->svc[i].used)
			resolver_free(&d->svc[i]);
	memset(d->svc, 0, sizeof(d->svc));
}

void discovery_records_tick(struct discovery *d, uint64_t now)
{
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		struct service *s = &d->svc[i];

		if (s->used && !s->resolver && s->retry_ms && now >= s->retry_ms &&
		    resolve_start(d, s) < 0)
			s->retry_ms = now + DISCOVERY_RETRY_MS;
	}
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		struct node_rec *n = &d->nodes[i];

		if (n->used && n->stale_ms && now >= n->stale_ms) {
			n->stale_ms = 0;
			node_update(d, n->node); /* lost, unless seen again */
		}
	}
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		struct service *s = &d->svc[i];

		/* a record the owner gave up on, back in the running */
		if (s->used && s->resolved && s->bad_until_ms &&
		    now >= s->bad_until_ms) {
			s->bad_until_ms = 0;
			node_update(d, s->node);
		}
	}
	if (now >= d->reannounce_ms) {
		/* every node again, now and then: an owner that had no room
		 * for one when it was found gets another chance */
		d->reannounce_ms = now + DISCOVERY_REANNOUNCE_MS;
		for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
			if (d->nodes[i].used && !d->nodes[i].stale_ms &&
			    d->ev.found)
				d->ev.found(d->ev.arg, d->nodes[i].node,
					    d->nodes[i].endpoint,
					    d->nodes[i].past);
	}
}

void discovery_endpoint_failed(struct discovery *d,
			       const uint8_t node[KEY_PUBLIC_LEN],
			       const char *endpoint)
{
	uint64_t until = clock_mono_ms() + DISCOVERY_BAD_MS;
	struct node_rec *n;
	size_t i;

	if (!d)
		return;
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		struct service *s = &d->svc[i];

		if (s->used && s->resolved &&
		    memcmp(s->node, node, KEY_PUBLIC_LEN) == 0 &&
		    strcmp(s->endpoint, endpoint) == 0)
			s->bad_until_ms = until;
	}
	/* told again even if no better record exists: the owner retries */
	n = node_find(d, node);
	if (n)
		n->endpoint[0] = '\0';
	node_update(d, node);
}
