/*
 * discovery_client: stack 1, the system avahi-daemon through avahi-client
 * over D-Bus (see discovery_int.h). The daemon publishes our service and
 * browses for us; this file keeps its entry group and browser, follows the
 * client's states (running: use it, and let the embedded stack go;
 * connecting or failed: the embedded stack stands in, in auto mode), and
 * makes resolvers for the records it browses. Every avahi-client call is
 * a D-Bus round trip to a local daemon; a client that fails is freed from
 * the tick, never from inside its own callback.
 */
#include <stdio.h>

#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "clock.h"
#include "discovery_int.h"

/* Frees the client's entry group with avahi-client's own function. */
static void client_group_free(struct discovery *d)
{
	if (d->cgroup)
		avahi_entry_group_free(d->cgroup); /* reaches the shim */
	d->cgroup = NULL;
}

/* Frees the client, its resolvers, browser and group first (the client
 * would free them too, leaving our pointers dangling). */
void discovery_client_close(struct discovery *d)
{
	discovery_records_drop(d, DISC_CLIENT);
	if (d->cbrowser)
		avahi_service_browser_free(d->cbrowser);
	d->cbrowser = NULL;
	client_group_free(d);
	if (d->client)
		avahi_client_free(d->client);
	d->client = NULL;
	d->cbrowser = NULL;
}

static void c_resolved(AvahiServiceResolver *r, AvahiIfIndex iface,
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

static void c_browsed(AvahiServiceBrowser *b, AvahiIfIndex iface,
		      AvahiProtocol proto, AvahiBrowserEvent event,
		      const char *name, const char *type, const char *domain,
		      AvahiLookupResultFlags flags, void *ud)
{
	(void)b, (void)type, (void)flags;
	discovery_browsed(ud, DISC_CLIENT, iface, proto, event, name, domain);
}

static void c_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud);

static void client_publish(struct discovery *d, AvahiClient *c)
{
	int rc;

	if (!d->c.port)
		return; /* browse only */
	if (!d->cgroup && !(d->cgroup = avahi_entry_group_new(c, c_group, d))) {
		discovery_say(d, 1, "mDNS: cannot make an entry group: %s",
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
		discovery_say(d, 1, "mDNS: cannot publish through avahi-daemon: %s",
		    avahi_strerror(rc));
}

static void c_group(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud)
{
	struct discovery *d = ud;

	if (state == AVAHI_ENTRY_GROUP_ESTABLISHED) {
		discovery_say(d, 0, "mDNS: published '%s' through avahi-daemon",
		    d->service_name);
	} else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
		char *alt = avahi_alternative_service_name(d->service_name);

		discovery_say(d, 0, "mDNS: the name '%s' is taken; trying '%s'",
		    d->service_name, alt ? alt : "stoa");
		snprintf(d->service_name, sizeof(d->service_name), "%s",
			 alt ? alt : "stoa");
		avahi_free(alt);
		avahi_entry_group_reset(g);
		client_publish(d, avahi_entry_group_get_client(g));
	} else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
		discovery_say(d, 1, "mDNS: publishing through avahi-daemon failed: %s",
		    avahi_strerror(avahi_client_errno(
			    avahi_entry_group_get_client(g))));
	}
}

/* The daemon is there: use it, and let the embedded stack go. */
static void client_running(struct discovery *d, AvahiClient *c)
{
	if (d->using != DISC_CLIENT) {
		if (d->server)
			discovery_embedded_goodbye(d);
		d->using = DISC_CLIENT;
		discovery_say(d, d->c.port != 0, "discovery: using the system "
		    "avahi-daemon");
	}
	client_publish(d, c);
	if (!d->cbrowser) {
		d->cbrowser = avahi_service_browser_new(c, AVAHI_IF_UNSPEC,
							AVAHI_PROTO_UNSPEC,
							DISCOVERY_SERVICE_TYPE,
							NULL, 0, c_browsed, d);
		if (!d->cbrowser)
			discovery_say(d, 1, "mDNS: cannot browse through avahi-daemon: %s",
			    avahi_strerror(avahi_client_errno(c)));
	}
}

/* The daemon went away (or never came): the embedded stack stands in. */
static void client_lost(struct discovery *d)
{
	/* the group and browser died with the connection (freeing them
	 * sends nothing while it is down) */
	discovery_records_drop(d, DISC_CLIENT);
	if (d->cbrowser)
		avahi_service_browser_free(d->cbrowser);
	client_group_free(d);
	d->cbrowser = NULL;
	if (d->using == DISC_CLIENT) {
		d->using = DISC_NONE;
		discovery_say(d, d->c.port != 0, "discovery: the system "
		    "avahi-daemon went away");
	}
	if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
		discovery_embedded_start(d);
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
		if (d->cgroup || d->cbrowser || d->using == DISC_CLIENT)
			client_lost(d);
		if (!d->client_waiting_logged && d->c.mode == DISCOVERY_AVAHI)
			discovery_say(d, 1, "discovery: waiting for the system "
			    "avahi-daemon");
		d->client_waiting_logged = 1;
		if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
			discovery_embedded_start(d);
		break;
	case AVAHI_CLIENT_FAILURE:
		/* freed from the tick, not from inside its own callback */
		d->client_failed = 1;
		client_lost(d);
		break;
	}
}

void discovery_client_start(struct discovery *d)
{
	int err = 0;

	d->client_retry_ms = 0;
	if (!(d->shim & SHIM_CLIENT)) {
		discovery_say(d, 1, "discovery: avahi-client is unusable in this build "
		    "(see node/discovery_shim.c)");
		if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
			discovery_embedded_start(d);
		return;
	}
	d->client = avahi_client_new(&d->poll.api, AVAHI_CLIENT_NO_FAIL, c_state,
				     d, &err);
	if (d->client)
		return;
	/* no D-Bus at all: NO_FAIL cannot wait for the daemon; try again */
	if (!d->client_waiting_logged)
		discovery_say(d, d->c.mode == DISCOVERY_AVAHI,
		    "discovery: no system avahi-daemon (%s)",
		    avahi_strerror(err));
	d->client_waiting_logged = 1;
	d->client_retry_ms = clock_mono_ms() + DISCOVERY_RETRY_MS;
	if (d->c.mode == DISCOVERY_AUTO && !d->server && !d->stopping)
		discovery_embedded_start(d);
}

void *discovery_client_resolve(struct discovery *d, const struct service *s)
{
	return avahi_service_resolver_new(d->client, s->iface, s->proto,
					  s->name, DISCOVERY_SERVICE_TYPE,
					  s->domain, s->proto, 0, c_resolved,
					  d);
}

void discovery_client_resolver_free(void *r)
{
	avahi_service_resolver_free(r);
}
