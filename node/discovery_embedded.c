/*
 * discovery_embedded: stack 2, avahi-core in the process, for hosts with
 * no avahi-daemon (see discovery_int.h). It runs its own mDNS sockets
 * under its own host name (stoa-XXXXXXXX.local) and publishes only the
 * service and one address record per usable local address, with
 * AVAHI_PUBLISH_NO_REVERSE: the reverse-address PTRs belong to any
 * avahi-daemon on the host, and publishing them too would make the two
 * stacks fight over the name. It looks at the addresses again every
 * DISCOVERY_ADDR_RECHECK_MS and publishes anew when they change. Going
 * away, it withdraws its records first (the goodbye packets go out while
 * the loop keeps dispatching), and the tick frees it after. It may run
 * only if the shim routes avahi-core's own calls (discovery_shim.c).
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-core/log.h>

#include "clock.h"
#include "discovery_int.h"

static void s_resolved(AvahiSServiceResolver *r, AvahiIfIndex iface,
		       AvahiProtocol proto, AvahiResolverEvent event,
		       const char *name, const char *type, const char *domain,
		       const char *host, const AvahiAddress *a, uint16_t port,
		       AvahiStringList *txt, AvahiLookupResultFlags flags,
		       void *ud)
{
	(void)iface, (void)proto, (void)name, (void)type, (void)domain;
	(void)host, (void)flags;
	discovery_resolved(ud, r, event, a, port, txt);
}

static void s_browsed(AvahiSServiceBrowser *b, AvahiIfIndex iface,
		      AvahiProtocol proto, AvahiBrowserEvent event,
		      const char *name, const char *type, const char *domain,
		      AvahiLookupResultFlags flags, void *ud)
{
	(void)b, (void)type, (void)flags;
	discovery_browsed(ud, DISC_EMBEDDED, iface, proto, event, name, domain);
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

	if (!d->c.port)
		return; /* browse only */
	if (!d->sgroup &&
	    !(d->sgroup = avahi_s_entry_group_new(d->server, s_group, d))) {
		discovery_say(d, 1, "mDNS: cannot make an embedded entry group: %s",
		    avahi_strerror(avahi_server_errno(d->server)));
		return;
	}
	avahi_s_entry_group_reset(d->sgroup);
	d->addr_sig = local_addrs(d, d->sgroup, &added);
	d->addr_check_ms = clock_mono_ms() + DISCOVERY_ADDR_RECHECK_MS;
	if (!added)
		return; /* no usable interface yet: looked at again soon */
	rc = avahi_server_add_service_strlst(d->server, d->sgroup,
					     AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
					     0, d->service_name,
					     DISCOVERY_SERVICE_TYPE, NULL, NULL,
					     d->c.port, d->txt);
	if (rc < 0 || (rc = avahi_s_entry_group_commit(d->sgroup)) < 0)
		discovery_say(d, 1, "mDNS: cannot publish (embedded): %s",
		    avahi_strerror(rc));
}

/* Another host holds the name or the service name: take the next ones. */
static void embedded_rename(struct discovery *d)
{
	char *h = avahi_alternative_host_name(d->host_name);
	char *s = avahi_alternative_service_name(d->service_name);

	discovery_say(d, 0, "mDNS: '%s' or '%s' is taken; trying '%s' and '%s'",
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
		discovery_say(d, 0, "mDNS: published '%s' on %s.local (embedded)",
		    d->service_name, d->host_name);
	} else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
		embedded_rename(d);
		embedded_publish(d);
	} else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
		discovery_say(d, 1, "mDNS: embedded publishing failed: %s",
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
				discovery_say(d, 1, "mDNS: cannot browse (embedded): %s",
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
		discovery_say(d, 1, "mDNS: the embedded stack failed: %s (starting it "
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

void discovery_embedded_start(struct discovery *d)
{
	AvahiServerConfig sc;
	int err = 0;

	if (d->server)
		return;
	if (!(d->shim & SHIM_CORE)) {
		discovery_say(d, 1, "discovery: the embedded mDNS stack is unusable in "
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
	d->server = avahi_server_new(&d->poll.api, &sc, s_state, d, &err);
	avahi_server_config_free(&sc);
	if (d->server)
		discovery_shim_server(d->server, 1);
	if (!d->server) {
		discovery_say(d, 1, "discovery: the embedded mDNS stack cannot start: %s "
		    "(trying again in %d s)", avahi_strerror(err),
		    DISCOVERY_RETRY_MS / 1000);
		d->embedded_retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
		return;
	}
	d->embedded_retry_ms = 0;
	if (d->using != DISC_EMBEDDED) {
		d->using = DISC_EMBEDDED;
		discovery_say(d, d->c.port != 0, "discovery: no system "
		    "avahi-daemon; using the "
		    "embedded mDNS stack as %s.local", d->host_name);
	}
}

/* Withdraws the embedded service (goodbye packets go out over the next
 * DISCOVERY_GOODBYE_MS of dispatching), then the tick frees the stack. */
void discovery_embedded_goodbye(struct discovery *d)
{
	if (!d->server)
		return;
	discovery_records_drop(d, DISC_EMBEDDED);
	if (d->sbrowser) {
		avahi_s_service_browser_free(d->sbrowser);
		d->sbrowser = NULL;
	}
	if (d->sgroup) {
		avahi_s_entry_group_free(d->sgroup);
		d->sgroup = NULL;
	}
	if (d->using == DISC_EMBEDDED)
		d->using = DISC_NONE;
	d->goodbye_ms = clock_mono_ms() + DISCOVERY_GOODBYE_MS;
}

void discovery_embedded_free(struct discovery *d)
{
	discovery_records_drop(d, DISC_EMBEDDED);
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

void discovery_embedded_recheck(struct discovery *d, uint64_t now)
{
	int added;

	if (!d->server || d->goodbye_ms || !d->addr_check_ms ||
	    now < d->addr_check_ms)
		return;
	d->addr_check_ms = now + DISCOVERY_ADDR_RECHECK_MS;
	if (local_addrs(d, NULL, &added) != d->addr_sig)
		embedded_publish(d); /* an address came or went */
}

void *discovery_embedded_resolve(struct discovery *d,
				 const struct service *s)
{
	return avahi_s_service_resolver_new(d->server, s->iface, s->proto,
					    s->name, DISCOVERY_SERVICE_TYPE,
					    s->domain, s->proto, 0,
					    s_resolved, d);
}

void discovery_embedded_resolver_free(void *r)
{
	avahi_s_service_resolver_free(r);
}
