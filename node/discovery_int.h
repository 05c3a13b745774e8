/*
 * discovery_int: what discovery's own files share, and nothing else may
 * include (the public API is discovery.h). One struct discovery, spread
 * over:
 *
 *   discovery.c           the interface, and the tick that moves between
 *                         the two stacks (retries, goodbyes, rechecks)
 *   discovery_records.c   what the stacks saw: service records, checked
 *                         and resolved, and the nodes they make, told to
 *                         the owner
 *   discovery_client.c    stack 1: avahi-client, the system avahi-daemon
 *                         over D-Bus
 *   discovery_embedded.c  stack 2: avahi-core in the process
 *   mdns_poll.c           the AvahiPoll both stacks run on (the loop)
 *   discovery_shim.c      avahi_entry_group_free for both libraries
 */
#ifndef STOA_DISCOVERY_INT_H
#define STOA_DISCOVERY_INT_H

#include <stdint.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/strlst.h>
#include <avahi-core/core.h>
#include <avahi-core/lookup.h>
#include <avahi-core/publish.h>

#include "discovery.h"
#include "discovery_shim.h"
#include "mdns_poll.h"

#define DISCOVERY_NAME_MAX 64     /* a DNS label and its NUL
				   * (AVAHI_LABEL_MAX) */
#define DISCOVERY_DOMAIN_MAX 256  /* we browse .local; longer is not ours */
#define DISCOVERY_ADDR_RECHECK_MS 5000 /* embedded: local addresses
					* looked at again */
#define DISCOVERY_STALE_MS 10000  /* after a switch, nodes not seen
				   * again: lost */

/* The stack a record came from, or the one in use. */
enum disc_stack { DISC_NONE, DISC_CLIENT, DISC_EMBEDDED };

/* One service instance seen (per interface, protocol and name). */
struct service {
	int used;
	enum disc_stack from;
	AvahiIfIndex iface;
	AvahiProtocol proto;
	char name[DISCOVERY_NAME_MAX];
	char domain[DISCOVERY_DOMAIN_MAX];
	void *resolver;               /* AvahiServiceResolver or
				       * AvahiSServiceResolver, by from */
	int resolved;                 /* node and endpoint are set */
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	unsigned past;                /* its tag: 0 this epoch's, i past i-1's */
	uint64_t resolved_ms;         /* when it last resolved */
	uint64_t bad_until_ms;        /* the owner could not reach it there */
	uint64_t retry_ms;            /* unresolved: resolve again then */
};

/* A node the owner was told of. */
struct node_rec {
	int used;
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX]; /* told to the owner */
	unsigned past;                /* ... with this (struct service) */
	uint64_t stale_ms;            /* nonzero: lost at this time unless
				       * a record of it shows up again */
};

struct discovery {
	struct discovery_conf c;
	struct discovery_events ev;
	struct mdns_poll poll;        /* the stacks' AvahiPoll */
	int shim;                     /* discovery_shim_ready's answer */

	enum disc_stack using;
	char service_name[DISCOVERY_NAME_MAX];
	AvahiStringList *txt;

	AvahiClient *client;
	AvahiEntryGroup *cgroup;
	AvahiServiceBrowser *cbrowser;
	int client_failed;            /* free it and try again later */
	int client_waiting_logged;

	AvahiServer *server;
	AvahiSEntryGroup *sgroup;
	AvahiSServiceBrowser *sbrowser;
	char host_name[DISCOVERY_NAME_MAX];
	uint64_t addr_sig;            /* the local addresses published */
	uint64_t goodbye_ms;          /* nonzero: free the server then */

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

/* discovery.c */
/* One line to the owner's log. */
void discovery_say(struct discovery *d, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* discovery_records.c */
/* A browser of stack from saw a service instance come or go. */
void discovery_browsed(struct discovery *d, enum disc_stack from,
		       AvahiIfIndex iface, AvahiProtocol proto,
		       AvahiBrowserEvent event, const char *name,
		       const char *domain);
/* A resolver r of either stack answered (found: a, port, txt set). */
void discovery_resolved(struct discovery *d, const void *r,
			AvahiResolverEvent event, const AvahiAddress *a,
			uint16_t port, AvahiStringList *txt);
/* Forgets every record of one stack (it is going away); the nodes they
 * gave stay, and are lost after DISCOVERY_STALE_MS unless found again. */
void discovery_records_drop(struct discovery *d, enum disc_stack from);
/* Frees every resolver and forgets every record (discovery_free). */
void discovery_records_free(struct discovery *d);
/* The timed part: resolves again, stale nodes, records back in the
 * running, every node told again now and then. */
void discovery_records_tick(struct discovery *d, uint64_t now);

/* discovery_client.c */
/* Connects to the system avahi-daemon (AVAHI_CLIENT_NO_FAIL). */
void discovery_client_start(struct discovery *d);
/* Frees the client and what it holds (its records first). */
void discovery_client_close(struct discovery *d);
/* A resolver for s through the client (NULL: none could be made). */
void *discovery_client_resolve(struct discovery *d, const struct service *s);
void discovery_client_resolver_free(void *r);

/* discovery_embedded.c */
/* Starts the embedded avahi-core stack, if it does not run. */
void discovery_embedded_start(struct discovery *d);
/* Withdraws its records; the tick frees it after DISCOVERY_GOODBYE_MS. */
void discovery_embedded_goodbye(struct discovery *d);
void discovery_embedded_free(struct discovery *d);
/* When due, looks at the host's usable addresses, and publishes again
 * if they changed. */
void discovery_embedded_recheck(struct discovery *d, uint64_t now);
/* A resolver for s through the embedded stack (NULL: none). */
void *discovery_embedded_resolve(struct discovery *d,
				 const struct service *s);
void discovery_embedded_resolver_free(void *r);

#endif
