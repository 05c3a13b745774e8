/*
 * discovery: finds the other nodes of the community on the local network
 * with mDNS/DNS-SD, and makes this node findable (docs/architecture.md,
 * "Discovery"). It publishes a service of type DISCOVERY_SERVICE_TYPE on
 * the daemon's listen port with three TXT records (DISCOVERY_TXT_*), browses
 * for the same type, resolves what it finds, and tells its owner about each
 * node of the same community (not itself) with the endpoint to dial, and
 * again when the last record of a node goes away.
 *
 * Two backends behind this one interface, both driven by the daemon's own
 * single poll loop (no avahi thread): avahi-client, talking to the system
 * avahi-daemon over D-Bus, and an embedded avahi-core stack for machines
 * with no daemon. With DISCOVERY_AUTO the client is tried first; while no
 * daemon answers, the embedded stack runs and the client is tried again
 * every DISCOVERY_RETRY_MS; when a daemon appears the embedded stack says
 * goodbye and the client takes over (and the other way round if the daemon
 * goes away). The nodes found are kept across such a switch.
 *
 * The poll loop asks for the file descriptors to wait on and the time of
 * the next timer (discovery_poll_fds, discovery_timeout_ms), and hands the
 * ready ones back (discovery_dispatch). Names from the network are checked
 * against the bounds below before use; a malformed or foreign service is
 * skipped, never trusted.
 */
#ifndef STOA_DISCOVERY_H
#define STOA_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"

#define DISCOVERY_SERVICE_TYPE "_stoa._tcp"
#define DISCOVERY_TXT_VERSION "v"    /* "v=2": the protocol version */
#define DISCOVERY_TXT_ID "id"        /* 96 hex: the node, sealed (below) */
#define DISCOVERY_TXT_TAG "tag"      /* 32 hex: the community tag */
#define DISCOVERY_VERSION "2"
/*
 * The node's member key never appears in the clear on the LAN: "id" is
 * nonce (16 random bytes, new at each start of discovery) || the key
 * XOR BLAKE2b-256(key = lan_key, message = DISCOVERY_ID_DOMAIN || nonce).
 * lan_key is a subkey of the community's epoch secret
 * (COMMUNITY_KEY_LAN), so only its members can read who a record is, and
 * the record of one laptop looks new each time discovery starts (the
 * daemon starts it again when the UTC day changes). The service and host
 * names carry the nonce's first 4 bytes, not the key.
 */
#define DISCOVERY_NONCE_LEN 16
#define DISCOVERY_ID_LEN (DISCOVERY_NONCE_LEN + KEY_PUBLIC_LEN)
#define DISCOVERY_ID_DOMAIN "stoa-lan-id-v2"
#define DISCOVERY_TAG_LEN 16         /* bytes of the community tag */
#define DISCOVERY_SERVICES_MAX 256   /* service records kept at once */
#define DISCOVERY_ENDPOINT_MAX 96    /* "tcp://[v6%ifname]:port" */
#define DISCOVERY_RETRY_MS 5000      /* the system daemon tried again */
#define DISCOVERY_GOODBYE_MS 300     /* an embedded stack's last words */
#define DISCOVERY_WATCHES_MAX 64     /* file descriptors avahi may watch */
#define DISCOVERY_BAD_MS 60000       /* an endpoint the owner could not
				      * reach is tried last for this long */
#define DISCOVERY_REANNOUNCE_MS 30000 /* every node told again */

enum discovery_mode {
	DISCOVERY_OFF,
	DISCOVERY_AUTO,      /* the system daemon if any, else embedded */
	DISCOVERY_AVAHI,     /* the system daemon only (waits for it) */
	DISCOVERY_EMBEDDED,  /* the embedded stack only */
};

/* What the owner is told. node is the peer's member key. */
struct discovery_events {
	/* a node of the community is reachable at endpoint (again, or at
	 * another address: the newest endpoint wins); past 0: under this
	 * epoch's tag, i: under conf.past[i-1]'s (a node a rotation has
	 * not reached yet) */
	void (*found)(void *arg, const uint8_t node[KEY_PUBLIC_LEN],
		      const char *endpoint, unsigned past);
	/* the last service record of node went away */
	void (*lost)(void *arg, const uint8_t node[KEY_PUBLIC_LEN]);
	/* one line for the log (the backend in use changed, a problem);
	 * always: said even by a quiet owner (a problem, or the backend of
	 * a discovery that publishes; a browse-only one's is not) */
	void (*log)(void *arg, int always, const char *line);
	void *arg;
};

/* The "id" of a record: seal fills id[NONCE_LEN..] from the nonce in
 * id[0..NONCE_LEN) and node; open recovers the node (a record sealed
 * under another key opens to noise: a node the HELLO will not confirm). */
void discovery_id_seal(const uint8_t lan_key[32],
		       const uint8_t node[KEY_PUBLIC_LEN],
		       uint8_t id[DISCOVERY_ID_LEN]);
void discovery_id_open(const uint8_t lan_key[32],
		       const uint8_t id[DISCOVERY_ID_LEN],
		       uint8_t node[KEY_PUBLIC_LEN]);

#define DISCOVERY_PAST_MAX 8        /* past epochs' tags browsed */

/* A past epoch's tag and LAN key: its nodes are found, never published. */
struct discovery_past {
	uint8_t tag[DISCOVERY_TAG_LEN];
	uint8_t lan_key[32];
};

struct discovery_conf {
	enum discovery_mode mode;
	uint8_t node[KEY_PUBLIC_LEN];       /* this node's member key */
	uint8_t tag[DISCOVERY_TAG_LEN];     /* this community's tag */
	uint8_t lan_key[32];                /* seals the node in "id" */
	uint16_t port;                      /* the daemon's listen port; 0:
					     * browse only, publish nothing
					     * (stoa sync --lan) */
	struct discovery_past past[DISCOVERY_PAST_MAX]; /* newest first */
	size_t npast;
};

struct discovery;

/* Parses "avahi", "embedded", "off" or "auto". */
int discovery_mode_parse(const char *s, enum discovery_mode *mode,
			 struct err *e);

/*
 * Starts discovery (mode must not be DISCOVERY_OFF). With port 0 it only
 * browses: no service, no address records, and stopping it is at once
 * (no goodbye to send). Caller frees with
 * discovery_free. Fails only for lack of memory or when the mode forced
 * cannot start at all (embedded with no usable interface socket).
 */
int discovery_new(struct discovery **out, const struct discovery_conf *c,
		  const struct discovery_events *ev, struct err *e);

/*
 * Says goodbye on the network (withdraws the service) and frees d once
 * the goodbye packets are out: call discovery_stop, keep dispatching until
 * discovery_stopped is true (at most DISCOVERY_GOODBYE_MS), then free.
 */
void discovery_stop(struct discovery *d);
int discovery_stopped(const struct discovery *d);
void discovery_free(struct discovery *d); /* NULL-safe */

/*
 * The descriptors to wait on: fills fds[i] and events[i] (POLLIN/POLLOUT
 * from <poll.h>) for at most cap of them and returns how many.
 */
int discovery_poll_fds(struct discovery *d, int *fds, short *events,
		       int cap);
/* Milliseconds until the next timer is due (0: now; -1: none). */
int discovery_timeout_ms(struct discovery *d);
/*
 * Runs the callbacks of the descriptors that are ready (revents[i] for
 * the fds[i] given by the last discovery_poll_fds) and of the timers that
 * are due. The owner's events are called from here.
 */
void discovery_dispatch(struct discovery *d, const int *fds,
			const short *revents, int n);

/* Whether this host has a network interface mDNS could use: up, with a
 * link (carrier), multicast, not loopback, with an address. A browse that
 * found nothing can then say why (no network at all, e.g. Wi-Fi off). */
int discovery_lan_up(void);

/*
 * The owner could not reach node at endpoint (nothing answered, the
 * handshake failed, or another node answered there): its records with
 * that endpoint are tried last for DISCOVERY_BAD_MS, and the owner is told
 * the node's best endpoint again (found), the same one if there is no
 * other.
 */
void discovery_endpoint_failed(struct discovery *d,
			       const uint8_t node[KEY_PUBLIC_LEN],
			       const char *endpoint);

/* "avahi-daemon", "embedded", "starting" or "stopped": for logs, status. */
const char *discovery_backend(const struct discovery *d);

#endif
