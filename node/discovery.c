/*
 * discovery: mDNS/DNS-SD with avahi, both backends in the caller's loop
 * (see discovery.h).
 *
 * Three parts:
 * 1. An AvahiPoll adapter: avahi asks for watches (fd + events) and
 *    timeouts; they live in two lists here, the owner's loop polls them
 *    (discovery_poll_fds, discovery_timeout_ms) and hands back what is
 *    ready (discovery_dispatch). Freed objects are only marked dead and
 *    swept after a dispatch, because avahi frees and creates them from
 *    inside its own callbacks.
 * 2. The two stacks: an AvahiClient (system daemon over D-Bus) and an
 *    embedded AvahiServer (avahi-core), each with an entry group that
 *    publishes the service and a service browser whose finds are resolved.
 *    The embedded stack publishes only the service and its own address
 *    records, under its own host name, with AVAHI_PUBLISH_NO_REVERSE: the
 *    reverse-address PTRs belong to any avahi-daemon on the host, and
 *    publishing them too would make the two stacks fight over the name.
 * 3. The records: every service instance seen (per interface, protocol
 *    and name, from whichever stack) and, above them, the nodes they
 *    resolve to. The owner hears of nodes, not records: found once per
 *    node or new endpoint, lost when its last record is gone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/timeval.h>
#include <avahi-common/watch.h>
#include <avahi-core/core.h>
#include <avahi-core/log.h>
#include <avahi-core/lookup.h>
#include <avahi-core/publish.h>

#include "clock.h"
#include "discovery.h"

#define NAME_MAX_ 64        /* a DNS label and its NUL (AVAHI_LABEL_MAX) */
#define DOMAIN_MAX 256      /* we browse .local; longer is not ours */
#define ADDR_RECHECK_MS 5000 /* embedded: local addresses looked at again */
#define STALE_MS 10000      /* after a switch, nodes not seen again: lost */

enum backend { NONE, CLIENT, EMBEDDED };

/* ---- 1. the AvahiPoll adapter ------------------------------------------ */

/* avahi declares these two names; the poll implementation defines them */
struct AvahiWatch {
	struct discovery *d;
	int fd;
	AvahiWatchEvent events;
	AvahiWatchEvent revents;     /* during its callback */
	AvahiWatchCallback cb;
	void *ud;
	int dead;
	struct AvahiWatch *next;
};

struct AvahiTimeout {
	struct discovery *d;
	int enabled;
	uint64_t due_ms;
	AvahiTimeoutCallback cb;
	void *ud;
	int dead;
	struct AvahiTimeout *next;
};

struct service {
	int used;
	enum backend from;
	AvahiIfIndex iface;
	AvahiProtocol proto;
	char name[NAME_MAX_];
	char domain[DOMAIN_MAX];
	void *resolver;               /* AvahiServiceResolver or
				       * AvahiSServiceResolver, by from */
	int resolved;                 /* node and endpoint are set */
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	uint64_t resolved_ms;         /* when it last resolved */
	uint64_t bad_until_ms;        /* the owner could not reach it there */
	uint64_t retry_ms;            /* unresolved: resolve again then */
};

struct node_rec {
	int used;
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX]; /* told to the owner */
	uint64_t stale_ms;            /* nonzero: lost at this time unless
				       * a record of it shows up again */
};

struct discovery {
	struct discovery_conf c;
	struct discovery_events ev;
	AvahiPoll api;
	struct AvahiWatch *watches;
	struct AvahiTimeout *timeouts;
	int dispatching;

	enum backend using;
	char service_name[NAME_MAX_];
	AvahiStringList *txt;

	AvahiClient *client;
	AvahiEntryGroup *cgroup;
	AvahiServiceBrowser *cbrowser;
	int client_failed;            /* free it and try again later */
	int client_waiting_logged;

	AvahiServer *server;
	AvahiSEntryGroup *sgroup;
	AvahiSServiceBrowser *sbrowser;
	char host_name[NAME_MAX_];
	uint64_t addr_sig;            /* the local addresses published */
	uint64_t goodbye_ms;          /* nonzero: free the server then */

	AvahiWatch *polled[DISCOVERY_WATCHES_MAX]; /* by poll slot */
	int npolled;
	uint64_t reannounce_ms;
	uint64_t embedded_retry_ms;   /* auto: start the stack again then */
	int server_failed;            /* the stack failed: free, retry */
	AvahiTimeout *tick;           /* retries, rechecks, stale nodes */
	uint64_t client_retry_ms;
	uint64_t addr_check_ms;
	int stopping;

	struct service svc[DISCOVERY_SERVICES_MAX];
	struct node_rec nodes[DISCOVERY_SERVICES_MAX];
	int full_logged;
};

static void say(struct discovery *d, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct discovery *d, int always, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->ev.log)
		d->ev.log(d->ev.arg, always, line);
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd,
			     AvahiWatchEvent event, AvahiWatchCallback cb,
			     void *ud)
{
	struct discovery *d = api->userdata;
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->d = d;
	w->fd = fd;
	w->events = event;
	w->cb = cb;
	w->ud = ud;
	w->next = d->watches;
	d->watches = w;
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	w->events = event;
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->revents;
}

static void watch_free(AvahiWatch *w)
{
	w->dead = 1;
}

static uint64_t tv_to_ms(const struct timeval *tv)
{
	/* avahi's times are gettimeofday-based; ours are monotonic */
	struct timeval now;
	int64_t delta;

	gettimeofday(&now, NULL);
	delta = ((int64_t)tv->tv_sec - now.tv_sec) * 1000000 +
		((int64_t)tv->tv_usec - now.tv_usec);
	/* rounded up: a timer must not fire before its time (avahi would
	 * only arm it again, and the loop spin until then) */
	delta = delta <= 0 ? 0 : (delta + 999) / 1000;
	return clock_mono_ms() + (uint64_t)delta;
}

static AvahiTimeout *timeout_new(const AvahiPoll *api,
				 const struct timeval *tv,
				 AvahiTimeoutCallback cb, void *ud)
{
	struct discovery *d = api->userdata;
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->d = d;
	t->enabled = tv != NULL;
	t->due_ms = tv ? tv_to_ms(tv) : 0;
	t->cb = cb;
	t->ud = ud;
	t->next = d->timeouts;
	d->timeouts = t;
	return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	t->enabled = tv != NULL;
	t->due_ms = tv ? tv_to_ms(tv) : 0;
}

static void timeout_free(AvahiTimeout *t)
{
	t->dead = 1;
}

/* Frees what avahi let go of, unless a dispatch is walking the lists. */
static void sweep(struct discovery *d)
{
	AvahiWatch **wp = &d->watches;
	AvahiTimeout **tp = &d->timeouts;

	if (d->dispatching)
		return;
	while (*wp) {
		AvahiWatch *w = *wp;

		if (w->dead) {
			*wp = w->next;
			free(w);
		} else {
			wp = &w->next;
		}
	}
	while (*tp) {
		AvahiTimeout *t = *tp;

		if (t->dead) {
			*tp = t->next;
			free(t);
		} else {
			tp = &t->next;
		}
	}
}

static short to_poll(AvahiWatchEvent ev)
{
	short p = 0;

	if (ev & AVAHI_WATCH_IN)
		p |= POLLIN;
	if (ev & AVAHI_WATCH_OUT)
		p |= POLLOUT;
	return p;
}

static AvahiWatchEvent from_poll(short p)
{
	AvahiWatchEvent ev = 0;

	if (p & POLLIN)
		ev |= AVAHI_WATCH_IN;
	if (p & POLLOUT)
		ev |= AVAHI_WATCH_OUT;
	if (p & POLLERR)
		ev |= AVAHI_WATCH_ERR;
	if (p & POLLHUP)
		ev |= AVAHI_WATCH_HUP;
	return ev;
}

int discovery_poll_fds(struct discovery *d, int *fds, short *events, int cap)
{
	AvahiWatch *w;
	int n = 0;

	sweep(d);
	if (cap > DISCOVERY_WATCHES_MAX)
		cap = DISCOVERY_WATCHES_MAX;
	for (w = d->watches; w && n < cap; w = w->next) {
		if (w->dead || !w->events)
			continue;
		d->polled[n] = w;
		fds[n] = w->fd;
		events[n] = to_poll(w->events);
		n++;
	}
	d->npolled = n;
	return n;
}

int discovery_timeout_ms(struct discovery *d)
{
	AvahiTimeout *t;
	uint64_t now = clock_mono_ms(), soonest = UINT64_MAX;

	for (t = d->timeouts; t; t = t->next)
		if (!t->dead && t->enabled && t->due_ms < soonest)
			soonest = t->due_ms;
	if (soonest == UINT64_MAX)
		return -1;
	if (soonest <= now)
		return 0;
	return soonest - now > 60000 ? 60000 : (int)(soonest - now);
}

void discovery_dispatch(struct discovery *d, const int *fds,
			const short *revents, int n)
{
	AvahiTimeout *t, *thead = d->timeouts;
	uint64_t now = clock_mono_ms();
	int i;

	d->dispatching = 1;
	/*
	 * By poll slot, not by fd: libdbus may watch one fd twice (reading
	 * and writing). A watch freed meanwhile is only marked dead (swept
	 * after), so every slot's pointer is still valid here.
	 */
	if (n > d->npolled)
		n = d->npolled;
	for (i = 0; i < n; i++) {
		AvahiWatch *w = d->polled[i];

		if (!w || w->dead || w->fd != fds[i] || !revents[i])
			continue;
		w->revents = from_poll(revents[i]) &
			     (w->events | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP);
		if (w->revents)
			w->cb(w, w->fd, w->revents, w->ud);
		w->revents = 0;
	}
	d->npolled = 0;
	/* only the timeouts that existed before: one made by a callback is
	 * put at the head, before these */
	for (t = thead; t; t = t->next) {
		if (t->dead || !t->enabled || t->due_ms > now)
			continue;
		t->enabled = 0; /* avahi re-enables it if it wants */
		t->cb(t, t->ud);
	}
	d->dispatching = 0;
	sweep(d);
}

/* ---- 3. records and nodes ---------------------------------------------- */

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
	if (strcmp(n->endpoint, best->endpoint) != 0) {
		snprintf(n->endpoint, sizeof(n->endpoint), "%s", best->endpoint);
		if (d->ev.found)
			d->ev.found(d->ev.arg, node, n->endpoint);
	}
}

static void resolver_free(struct discovery *d, struct service *s)
{
	(void)d;
	if (!s->resolver)
		return;
	if (s->from == CLIENT)
		avahi_service_resolver_free(s->resolver);
	else
		avahi_s_service_resolver_free(s->resolver);
	s->resolver = NULL;
}

static struct service *service_find(struct discovery *d, enum backend from,
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
	resolver_free(d, s);
	memset(s, 0, sizeof(*s));
	if (had)
		node_update(d, node);
}

/* Forgets every record of one stack (it is going away); the nodes they
 * gave stay, and are lost after STALE_MS unless the other stack finds
 * them again. */
static void services_drop(struct discovery *d, enum backend from)
{
	uint64_t stale = clock_mono_ms() + STALE_MS;
	size_t i;

	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++) {
		if (d->svc[i].used && d->svc[i].from == from) {
			resolver_free(d, &d->svc[i]);
			memset(&d->svc[i], 0, sizeof(d->svc[i]));
		}
	}
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->nodes[i].used && !d->nodes[i].stale_ms)
			d->nodes[i].stale_ms = stale;
}

static int resolve_start(struct discovery *d, struct service *s);

/* A browser saw a service instance come or go. */
static void on_browse(struct discovery *d, enum backend from,
		      AvahiIfIndex iface, AvahiProtocol proto,
		      AvahiBrowserEvent event, const char *name,
		      const char *domain)
{
	struct service *s;
	size_t i;

	if (event == AVAHI_BROWSER_FAILURE) {
		say(d, 1, "mDNS: browsing (%s) failed: %s",
		    from == CLIENT ? "avahi-daemon" : "embedded",
		    avahi_strerror(from == CLIENT ? avahi_client_errno(d->client)
					       : avahi_server_errno(d->server)));
		return;
	}
	if (event != AVAHI_BROWSER_NEW && event != AVAHI_BROWSER_REMOVE)
		return;
	if (!name || !domain || strlen(name) >= NAME_MAX_ ||
	    strlen(domain) >= DOMAIN_MAX)
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
			say(d, 1, "mDNS: more than %d services of type %s seen; "
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

/* A resolver answered for s (found: a, port and txt are set). */
static void on_resolve(struct discovery *d, struct service *s,
		       AvahiResolverEvent event, const AvahiAddress *a,
		       uint16_t port, AvahiStringList *txt)
{
	char v[8], node_hex[2 * KEY_PUBLIC_LEN + 1], tag_hex[2 * DISCOVERY_TAG_LEN + 1];
	uint8_t node[KEY_PUBLIC_LEN], tag[DISCOVERY_TAG_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	int was = s->resolved;
	uint8_t old[KEY_PUBLIC_LEN];

	memcpy(old, s->node, KEY_PUBLIC_LEN);
	if (event != AVAHI_RESOLVER_FOUND) {
		/* gone quiet: try again later, forget it meanwhile */
		resolver_free(d, s);
		s->resolved = 0;
		s->retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
		if (was)
			node_update(d, old);
		return;
	}
	s->resolved = 0;
	if (txt_get(txt, DISCOVERY_TXT_VERSION, v, sizeof(v)) < 0 ||
	    strcmp(v, DISCOVERY_VERSION) != 0 ||
	    txt_get(txt, DISCOVERY_TXT_NODE, node_hex, sizeof(node_hex)) < 0 ||
	    hex_exact(node_hex, node, KEY_PUBLIC_LEN) < 0 ||
	    txt_get(txt, DISCOVERY_TXT_TAG, tag_hex, sizeof(tag_hex)) < 0 ||
	    hex_exact(tag_hex, tag, DISCOVERY_TAG_LEN) < 0 ||
	    memcmp(tag, d->c.tag, DISCOVERY_TAG_LEN) != 0 ||
	    memcmp(node, d->c.node, KEY_PUBLIC_LEN) == 0 ||
	    endpoint_of(a, s->iface, port, endpoint, sizeof(endpoint)) < 0) {
		/* another community, another version, ourselves, not stoa
		 * at all, or an address off the link: not a peer. The record
		 * stays (so it is not resolved again) without its resolver */
		resolver_free(d, s);
		s->retry_ms = 0;
		if (was)
			node_update(d, old);
		return;
	}
	if (strcmp(s->endpoint, endpoint) != 0)
		s->bad_until_ms = 0; /* somewhere new: worth a try */
	memcpy(s->node, node, KEY_PUBLIC_LEN);
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", endpoint);
	s->resolved = 1;
	s->resolved_ms = clock_mono_ms();
	if (was && memcmp(old, node, KEY_PUBLIC_LEN) != 0)
		node_update(d, old);
	node_update(d, node);
}

/* A resolver of either stack answered: the record it belongs to. */
static void resolved(struct discovery *d, const void *r,
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

/* ---- 2a. avahi-client: the system daemon ------------------------------- */

/* node/discovery_shim.c: avahi_entry_group_free for both libraries */
#define SHIM_CLIENT 1          /* avahi-client's groups can be freed */
#define SHIM_CORE 2            /* avahi-core's own calls reach core's */
int discovery_shim_ready(void *client_fn, void *core_fn);
void discovery_shim_server(void *server, int running);
static int shim_ok = -1;       /* -1: not checked yet */

/* Frees the client's entry group with avahi-client's own function. */
static void client_group_free(struct discovery *d)
{
	if (d->cgroup)
		avahi_entry_group_free(d->cgroup); /* reaches the shim */
	d->cgroup = NULL;
}

static void services_drop(struct discovery *d, enum backend from);

/* Frees the client, its resolvers, browser and group first (the client
 * would free them too, leaving our pointers dangling). */
static void client_close(struct discovery *d)
{
	services_drop(d, CLIENT);
	if (d->cbrowser)
		avahi_service_browser_free(d->cbrowser);
	d->cbrowser = NULL;
	client_group_free(d);
	if (d->client)
		avahi_client_free(d->client);
	d->client = NULL;
	d->cbrowser = NULL;
}

static void client_start(struct discovery *d);
static void embedded_start(struct discovery *d);
static void embedded_goodbye(struct discovery *d);

static void c_resolved(AvahiServiceResolver *r, AvahiIfIndex iface,
		       AvahiProtocol proto, AvahiResolverEvent event,
		       const char *name, const char *type, const char *domain,
		       const char *host, const AvahiAddress *a, uint16_t port,
		       AvahiStringList *txt, AvahiLookupResultFlags flags,
		       void *ud)
{
	(void)iface, (void)proto, (void)name, (void)type, (void)domain;
	(void)host, (void)flags;
	resolved(ud, r, event, a, port, txt);
}

static void c_browsed(AvahiServiceBrowser *b, AvahiIfIndex iface,
		      AvahiProtocol proto, AvahiBrowserEvent event,
		      const char *name, const char *type, const char *domain,
		      AvahiLookupResultFlags flags, void *ud)
{
	(void)b, (void)type, (void)flags;
	on_browse(ud, CLIENT, iface, proto, event, name, domain);
}

static void c_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud);

static void client_publish(struct discovery *d, AvahiClient *c)
{
	int rc;

	if (!d->cgroup && !(d->cgroup = avahi_entry_group_new(c, c_group, d))) {
		say(d, 1, "mDNS: cannot make an entry group: %s",
		    avahi_strerror(avahi_client_errno(c)));
		return;
	}
	if (!avahi_entry_group_is_empty(d->cgroup))
		return;
	rc = avahi_entry_group_add_service_strlst(d->cgroup, AVAHI_IF_UNSPEC,
						  AVAHI_PROTO_UNSPEC, 0,
						  d->service_name,
						  DISCOVERY_SERVICE_TYPE, NULL,
						  NULL, d->c.port, d->txt);
	if (rc == AVAHI_ERR_COLLISION) {
		char *alt = avahi_alternative_service_name(d->service_name);

		snprintf(d->service_name, sizeof(d->service_name), "%s",
			 alt ? alt : "stoa");
		avahi_free(alt);
		avahi_entry_group_reset(d->cgroup);
		client_publish(d, c);
		return;
	}
	if (rc < 0 || (rc = avahi_entry_group_commit(d->cgroup)) < 0)
		say(d, 1, "mDNS: cannot publish through avahi-daemon: %s",
		    avahi_strerror(rc));
}

static void c_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud)
{
	struct discovery *d = ud;

	if (state == AVAHI_ENTRY_GROUP_ESTABLISHED) {
		say(d, 0, "mDNS: published '%s' through avahi-daemon",
		    d->service_name);
	} else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
		char *alt = avahi_alternative_service_name(d->service_name);

		say(d, 0, "mDNS: the name '%s' is taken; trying '%s'",
		    d->service_name, alt ? alt : "stoa");
		snprintf(d->service_name, sizeof(d->service_name), "%s",
			 alt ? alt : "stoa");
		avahi_free(alt);
		avahi_entry_group_reset(g);
		client_publish(d, avahi_entry_group_get_client(g));
	} else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
		say(d, 1, "mDNS: publishing through avahi-daemon failed: %s",
		    avahi_strerror(avahi_client_errno(
			    avahi_entry_group_get_client(g))));
	}
}

/* The daemon is there: use it, and let the embedded stack go. */
static void client_running(struct discovery *d, AvahiClient *c)
{
	if (d->using != CLIENT) {
		if (d->server)
			embedded_goodbye(d);
		d->using = CLIENT;
		say(d, 1, "discovery: using the system avahi-daemon");
	}
	client_publish(d, c);
	if (!d->cbrowser) {
		d->cbrowser = avahi_service_browser_new(c, AVAHI_IF_UNSPEC,
							AVAHI_PROTO_UNSPEC,
							DISCOVERY_SERVICE_TYPE,
							NULL, 0, c_browsed, d);
		if (!d->cbrowser)
			say(d, 1, "mDNS: cannot browse through avahi-daemon: %s",
			    avahi_strerror(avahi_client_errno(c)));
	}
}

/* The daemon went away (or never came): the embedded stack stands in. */
static void client_lost(struct discovery *d)
{
	/* the group and browser died with the connection (freeing them
	 * sends nothing while it is down) */
	services_drop(d, CLIENT);
	if (d->cbrowser)
		avahi_service_browser_free(d->cbrowser);
	client_group_free(d);
	d->cbrowser = NULL;
	if (d->using == CLIENT) {
		d->using = NONE;
		say(d, 1, "discovery: the system avahi-daemon went away");
	}
	if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
		embedded_start(d);
}

static void c_state(AvahiClient *c, AvahiClientState state, void *ud)
{
	struct discovery *d = ud;

	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		client_running(d, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* the daemon's host name changed: publish again when it
		 * runs */
		if (d->cgroup)
			avahi_entry_group_reset(d->cgroup);
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (d->cgroup || d->cbrowser || d->using == CLIENT)
			client_lost(d);
		if (!d->client_waiting_logged && d->c.mode == DISCOVERY_AVAHI)
			say(d, 1, "discovery: waiting for the system "
			    "avahi-daemon");
		d->client_waiting_logged = 1;
		if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
			embedded_start(d);
		break;
	case AVAHI_CLIENT_FAILURE:
		/* freed from the tick, not from inside its own callback */
		d->client_failed = 1;
		client_lost(d);
		break;
	}
}

static void client_start(struct discovery *d)
{
	int err = 0;

	d->client_retry_ms = 0;
	if (!(shim_ok & SHIM_CLIENT)) {
		say(d, 1, "discovery: avahi-client is unusable in this build "
		    "(see node/discovery_shim.c)");
		if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
			embedded_start(d);
		return;
	}
	d->client = avahi_client_new(&d->api, AVAHI_CLIENT_NO_FAIL, c_state,
				     d, &err);
	if (d->client)
		return;
	/* no D-Bus at all: NO_FAIL cannot wait for the daemon; try again */
	if (!d->client_waiting_logged)
		say(d, d->c.mode == DISCOVERY_AVAHI,
		    "discovery: no system avahi-daemon (%s)",
		    avahi_strerror(err));
	d->client_waiting_logged = 1;
	d->client_retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
	if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
		embedded_start(d);
}

/* ---- 2b. the embedded avahi-core stack --------------------------------- */

static void s_resolved(AvahiSServiceResolver *r, AvahiIfIndex iface,
		       AvahiProtocol proto, AvahiResolverEvent event,
		       const char *name, const char *type, const char *domain,
		       const char *host, const AvahiAddress *a, uint16_t port,
		       AvahiStringList *txt, AvahiLookupResultFlags flags,
		       void *ud)
{
	(void)iface, (void)proto, (void)name, (void)type, (void)domain;
	(void)host, (void)flags;
	resolved(ud, r, event, a, port, txt);
}

static void s_browsed(AvahiSServiceBrowser *b, AvahiIfIndex iface,
		      AvahiProtocol proto, AvahiBrowserEvent event,
		      const char *name, const char *type, const char *domain,
		      AvahiLookupResultFlags flags, void *ud)
{
	(void)b, (void)type, (void)flags;
	on_browse(ud, EMBEDDED, iface, proto, event, name, domain);
}

/*
 * A fingerprint of the host's usable addresses (up, multicast, not
 * loopback), to notice when they change. With add, also publishes an
 * address record for each in group g under the embedded host name.
 */
static uint64_t local_addrs(struct discovery *d, AvahiSEntryGroup *g,
			    int *added)
{
	struct ifaddrs *ifa, *i;
	uint64_t sig = 1469598103934665603u; /* FNV-1a */
	const char *fqdn = g ? avahi_server_get_host_name_fqdn(d->server) : NULL;

	*added = 0;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i; i = i->ifa_next) {
		AvahiAddress a;
		unsigned idx;
		const uint8_t *p;
		size_t k, n;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_MULTICAST))
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.proto = AVAHI_PROTO_INET;
			memcpy(&a.data.ipv4.address,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			p = (const uint8_t *)&a.data.ipv4.address, n = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.proto = AVAHI_PROTO_INET6;
			memcpy(a.data.ipv6.address,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
			p = a.data.ipv6.address, n = 16;
		} else {
			continue;
		}
		idx = if_nametoindex(i->ifa_name);
		if (!idx)
			continue;
		for (k = 0; k < n; k++)
			sig = (sig ^ p[k]) * 1099511628211u;
		sig = (sig ^ idx) * 1099511628211u;
		if (g && fqdn &&
		    avahi_server_add_address(d->server, g, (AvahiIfIndex)idx,
					     a.proto, AVAHI_PUBLISH_NO_REVERSE,
					     fqdn, &a) == 0)
			(*added)++;
	}
	freeifaddrs(ifa);
	return sig;
}

static void s_group(AvahiServer *s, AvahiSEntryGroup *g,
		    AvahiEntryGroupState state, void *ud);

static void embedded_publish(struct discovery *d)
{
	int added = 0, rc;

	if (!d->sgroup &&
	    !(d->sgroup = avahi_s_entry_group_new(d->server, s_group, d))) {
		say(d, 1, "mDNS: cannot make an embedded entry group: %s",
		    avahi_strerror(avahi_server_errno(d->server)));
		return;
	}
	avahi_s_entry_group_reset(d->sgroup);
	d->addr_sig = local_addrs(d, d->sgroup, &added);
	d->addr_check_ms = clock_mono_ms() + ADDR_RECHECK_MS;
	if (!added)
		return; /* no usable interface yet: looked at again soon */
	rc = avahi_server_add_service_strlst(d->server, d->sgroup,
					     AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
					     0, d->service_name,
					     DISCOVERY_SERVICE_TYPE, NULL, NULL,
					     d->c.port, d->txt);
	if (rc < 0 || (rc = avahi_s_entry_group_commit(d->sgroup)) < 0)
		say(d, 1, "mDNS: cannot publish (embedded): %s",
		    avahi_strerror(rc));
}

/* Another host holds the name or the service name: take the next ones. */
static void embedded_rename(struct discovery *d)
{
	char *h = avahi_alternative_host_name(d->host_name);
	char *s = avahi_alternative_service_name(d->service_name);

	say(d, 0, "mDNS: '%s' or '%s' is taken; trying '%s' and '%s'",
	    d->host_name, d->service_name, h ? h : "?", s ? s : "?");
	if (h)
		snprintf(d->host_name, sizeof(d->host_name), "%s", h);
	if (s)
		snprintf(d->service_name, sizeof(d->service_name), "%s", s);
	avahi_free(h);
	avahi_free(s);
	avahi_server_set_host_name(d->server, d->host_name);
}

static void s_group(AvahiServer *s, AvahiSEntryGroup *g,
		    AvahiEntryGroupState state, void *ud)
{
	struct discovery *d = ud;

	(void)s, (void)g;
	if (state == AVAHI_ENTRY_GROUP_ESTABLISHED) {
		say(d, 0, "mDNS: published '%s' on %s.local (embedded)",
		    d->service_name, d->host_name);
	} else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
		embedded_rename(d);
		embedded_publish(d);
	} else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
		say(d, 1, "mDNS: embedded publishing failed: %s",
		    avahi_strerror(avahi_server_errno(d->server)));
	}
}

static void s_state(AvahiServer *s, AvahiServerState state, void *ud)
{
	struct discovery *d = ud;

	if (!d->server) {
		d->server = s; /* called from inside avahi_server_new */
		discovery_shim_server(s, 1);
	}
	if (d->goodbye_ms || d->stopping)
		return; /* on its way out: publish and browse nothing more */
	switch (state) {
	case AVAHI_SERVER_RUNNING:
		embedded_publish(d);
		if (!d->sbrowser) {
			d->sbrowser = avahi_s_service_browser_new(
				s, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
				DISCOVERY_SERVICE_TYPE, NULL, 0, s_browsed, d);
			if (!d->sbrowser)
				say(d, 1, "mDNS: cannot browse (embedded): %s",
				    avahi_strerror(avahi_server_errno(s)));
		}
		break;
	case AVAHI_SERVER_COLLISION:
		embedded_rename(d);
		break;
	case AVAHI_SERVER_REGISTERING:
		if (d->sgroup)
			avahi_s_entry_group_reset(d->sgroup);
		break;
	case AVAHI_SERVER_FAILURE:
		say(d, 1, "mDNS: the embedded stack failed: %s (starting it "
		    "again)", avahi_strerror(avahi_server_errno(s)));
		d->server_failed = 1; /* freed from the tick, not from here */
		break;
	case AVAHI_SERVER_INVALID:
		break;
	}
}

/* avahi-core logs on its own to stderr; keep only what matters. */
static void core_log(AvahiLogLevel level, const char *txt)
{
	if (level <= AVAHI_LOG_ERROR)
		fprintf(stderr, "stoa: avahi-core: %s\n", txt);
}

static void embedded_start(struct discovery *d)
{
	AvahiServerConfig sc;
	int err = 0;

	if (d->server)
		return;
	if (!(shim_ok & SHIM_CORE)) {
		say(d, 1, "discovery: the embedded mDNS stack is unusable in "
		    "this build (avahi_entry_group_free is not stoa's own; "
		    "see node/discovery_shim.c)");
		return;
	}
	avahi_set_log_function(core_log);
	avahi_server_config_init(&sc);
	sc.host_name = avahi_strdup(d->host_name);
	sc.use_ipv4 = 1;
	sc.use_ipv6 = 1;
	sc.publish_hinfo = 0;
	sc.publish_addresses = 0;   /* ours, NO_REVERSE, in the group */
	sc.publish_workstation = 0;
	sc.publish_domain = 0;
	sc.disallow_other_stacks = 0;
	sc.enable_reflector = 0;
	sc.enable_wide_area = 0;
	/* a pulled cable (no carrier) takes the interface out, and plugging
	 * it in again announces and queries anew, at once */
	sc.use_iff_running = 1;
	d->goodbye_ms = 0;
	d->server = avahi_server_new(&d->api, &sc, s_state, d, &err);
	avahi_server_config_free(&sc);
	if (d->server)
		discovery_shim_server(d->server, 1);
	if (!d->server) {
		say(d, 1, "discovery: the embedded mDNS stack cannot start: %s "
		    "(trying again in %d s)", avahi_strerror(err),
		    DISCOVERY_RETRY_MS / 1000);
		d->embedded_retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
		return;
	}
	d->embedded_retry_ms = 0;
	if (d->using != EMBEDDED) {
		d->using = EMBEDDED;
		say(d, 1, "discovery: no system avahi-daemon; using the "
		    "embedded mDNS stack as %s.local", d->host_name);
	}
}

/* Withdraws the embedded service (goodbye packets go out over the next
 * DISCOVERY_GOODBYE_MS of dispatching), then the tick frees the stack. */
static void embedded_goodbye(struct discovery *d)
{
	if (!d->server)
		return;
	services_drop(d, EMBEDDED);
	if (d->sbrowser) {
		avahi_s_service_browser_free(d->sbrowser);
		d->sbrowser = NULL;
	}
	if (d->sgroup) {
		avahi_s_entry_group_free(d->sgroup);
		d->sgroup = NULL;
	}
	if (d->using == EMBEDDED)
		d->using = NONE;
	d->goodbye_ms = clock_mono_ms() + DISCOVERY_GOODBYE_MS;
}

static void embedded_free(struct discovery *d)
{
	services_drop(d, EMBEDDED);
	if (d->sbrowser)
		avahi_s_service_browser_free(d->sbrowser);
	if (d->sgroup)
		avahi_s_entry_group_free(d->sgroup);
	if (d->server) {
		avahi_server_free(d->server);
		discovery_shim_server(d->server, 0);
	}
	d->sbrowser = NULL;
	d->sgroup = NULL;
	d->server = NULL;
	d->goodbye_ms = 0;
}

/* ---- the tick: retries, rechecks, goodbyes, stale nodes ---------------- */

static int resolve_start(struct discovery *d, struct service *s)
{
	s->retry_ms = 0;
	if (s->from == CLIENT && d->client)
		s->resolver = avahi_service_resolver_new(
			d->client, s->iface, s->proto, s->name,
			DISCOVERY_SERVICE_TYPE, s->domain, s->proto, 0,
			c_resolved, d);
	else if (s->from == EMBEDDED && d->server)
		s->resolver = avahi_s_service_resolver_new(
			d->server, s->iface, s->proto, s->name,
			DISCOVERY_SERVICE_TYPE, s->domain, s->proto, 0,
			s_resolved, d);
	return s->resolver ? 0 : -1;
}

static void tick(AvahiTimeout *t, void *ud)
{
	struct discovery *d = ud;
	uint64_t now = clock_mono_ms();
	struct timeval tv;
	size_t i;
	int added;

	if (d->client_failed) {
		d->client_failed = 0;
		client_close(d);
		d->client_retry_ms = now + DISCOVERY_RETRY_MS;
	}
	if (!d->client && d->client_retry_ms && now >= d->client_retry_ms &&
	    !d->stopping && d->c.mode != DISCOVERY_EMBEDDED)
		client_start(d);
	if (d->server_failed) {
		d->server_failed = 0;
		embedded_free(d);
		if (d->using == EMBEDDED)
			d->using = NONE;
		d->embedded_retry_ms = now + DISCOVERY_RETRY_MS;
	}
	if (!d->server && d->embedded_retry_ms && now >= d->embedded_retry_ms &&
	    !d->stopping && d->using != CLIENT &&
	    d->c.mode != DISCOVERY_AVAHI) {
		d->embedded_retry_ms = 0;
		embedded_start(d);
	}
	if (d->server && d->goodbye_ms && now >= d->goodbye_ms) {
		embedded_free(d);
		/* the daemon it gave way to went away meanwhile */
		if (d->c.mode == DISCOVERY_AUTO && d->using == NONE &&
		    !d->stopping)
			embedded_start(d);
	}
	if (d->server && !d->goodbye_ms && d->addr_check_ms &&
	    now >= d->addr_check_ms) {
		d->addr_check_ms = now + ADDR_RECHECK_MS;
		if (local_addrs(d, NULL, &added) != d->addr_sig)
			embedded_publish(d); /* an address came or went */
	}
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
					    d->nodes[i].endpoint);
	}
	gettimeofday(&tv, NULL);
	avahi_timeval_add(&tv, d->goodbye_ms ? 50000 : 500000);
	d->api.timeout_update(t, &tv);
}

/* ---- the interface ----------------------------------------------------- */

int discovery_mode_parse(const char *s, enum discovery_mode *mode,
			 struct err *e)
{
	if (strcmp(s, "auto") == 0)
		*mode = DISCOVERY_AUTO;
	else if (strcmp(s, "avahi") == 0)
		*mode = DISCOVERY_AVAHI;
	else if (strcmp(s, "embedded") == 0)
		*mode = DISCOVERY_EMBEDDED;
	else if (strcmp(s, "off") == 0)
		*mode = DISCOVERY_OFF;
	else
		return err_set(e, STOA_EINVAL, "unknown discovery '%.40s' "
			       "(auto, avahi, embedded or off)", s);
	return 0;
}

int discovery_new(struct discovery **out, const struct discovery_conf *c,
		  const struct discovery_events *ev, struct err *e)
{
	char node_hex[2 * KEY_PUBLIC_LEN + 1], tag_hex[2 * DISCOVERY_TAG_LEN + 1];
	struct discovery *d;
	struct timeval tv;

	*out = NULL;
	if (c->mode == DISCOVERY_OFF || c->port == 0)
		return err_set(e, STOA_EINVAL, "discovery needs a mode and a port");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(e, STOA_ENOMEM, "out of memory");
	d->c = *c;
	d->ev = *ev;
	d->api.userdata = d;
	d->api.watch_new = watch_new;
	d->api.watch_update = watch_update;
	d->api.watch_get_events = watch_get_events;
	d->api.watch_free = watch_free;
	d->api.timeout_new = timeout_new;
	d->api.timeout_update = timeout_update;
	d->api.timeout_free = timeout_free;
	hex_encode(node_hex, c->node, KEY_PUBLIC_LEN);
	hex_encode(tag_hex, c->tag, DISCOVERY_TAG_LEN);
	snprintf(d->service_name, sizeof(d->service_name), "stoa %.8s", node_hex);
	snprintf(d->host_name, sizeof(d->host_name), "stoa-%.8s", node_hex);
	d->txt = avahi_string_list_new(DISCOVERY_TXT_VERSION "=" DISCOVERY_VERSION,
				       NULL);
	d->txt = avahi_string_list_add_pair(d->txt, DISCOVERY_TXT_NODE, node_hex);
	d->txt = avahi_string_list_add_pair(d->txt, DISCOVERY_TXT_TAG, tag_hex);
	gettimeofday(&tv, NULL);
	d->tick = timeout_new(&d->api, &tv, tick, d);
	if (!d->txt || !d->tick) {
		discovery_free(d);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	/* before any avahi object exists: both libraries' frees go through
	 * the shim from the first one on */
	if (shim_ok < 0)
		shim_ok = discovery_shim_ready((void *)avahi_client_new,
					       (void *)avahi_server_new);
	if (c->mode == DISCOVERY_EMBEDDED) {
		embedded_start(d);
		if (!d->server) {
			discovery_free(d);
			return err_set(e, STOA_EIO, "the embedded mDNS stack "
				       "cannot start");
		}
	} else {
		client_start(d);
	}
	*out = d;
	return 0;
}

void discovery_stop(struct discovery *d)
{
	if (!d || d->stopping)
		return;
	d->stopping = 1;
	/* the daemon sends the goodbyes for what it published */
	client_close(d);
	embedded_goodbye(d);
}

int discovery_stopped(const struct discovery *d)
{
	return !d || (d->stopping && !d->server);
}

void discovery_free(struct discovery *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < DISCOVERY_SERVICES_MAX; i++)
		if (d->svc[i].used)
			resolver_free(d, &d->svc[i]);
	memset(d->svc, 0, sizeof(d->svc));
	client_close(d);
	embedded_free(d);
	avahi_string_list_free(d->txt);
	if (d->tick)
		timeout_free(d->tick);
	d->dispatching = 0;
	sweep(d);
	/* whatever avahi did not free itself */
	while (d->watches) {
		AvahiWatch *w = d->watches;

		d->watches = w->next;
		free(w);
	}
	while (d->timeouts) {
		AvahiTimeout *t = d->timeouts;

		d->timeouts = t->next;
		free(t);
	}
	free(d);
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

const char *discovery_backend(const struct discovery *d)
{
	if (!d || d->stopping)
		return "stopped";
	if (d->using == CLIENT)
		return "avahi-daemon";
	if (d->using == EMBEDDED)
		return "embedded";
	return "starting";
}
