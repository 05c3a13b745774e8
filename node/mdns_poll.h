/*
 * mdns_poll: the AvahiPoll adapter that joins avahi to the daemon's one
 * loop (docs/architecture.md, "Discovery"; never avahi's threaded poll).
 * Both avahi stacks are given api; the watches (fd + events) and timeouts
 * they ask for are kept in two lists here. The owner's loop asks which
 * descriptors to wait on and how long (mdns_poll_fds, mdns_poll_timeout_ms),
 * polls them with its own sockets, and hands back what is ready
 * (mdns_poll_dispatch), which runs avahi's callbacks. Freed watches and
 * timeouts are only marked dead and swept after a dispatch, because
 * avahi frees and creates them from inside its own callbacks.
 */
#ifndef STOA_MDNS_POLL_H
#define STOA_MDNS_POLL_H

#include <avahi-common/watch.h>

#include "discovery.h"

struct mdns_poll {
	AvahiPoll api;                /* what the stacks are given */
	AvahiWatch *watches;
	AvahiTimeout *timeouts;
	int dispatching;              /* inside mdns_poll_dispatch */
	AvahiWatch *polled[DISCOVERY_WATCHES_MAX]; /* by poll slot */
	int npolled;
};

/* Fills p->api; p must not move while avahi holds the api. */
void mdns_poll_init(struct mdns_poll *p);
/* Frees every watch and timeout left (the stacks are freed first). */
void mdns_poll_release(struct mdns_poll *p);
/* The descriptors to wait on (POLLIN/POLLOUT): at most cap of them. */
int mdns_poll_fds(struct mdns_poll *p, int *fds, short *events, int cap);
/* Milliseconds until the next timeout (0: now; -1: none; at most 60 s). */
int mdns_poll_timeout_ms(struct mdns_poll *p);
/* Runs the callbacks of the ready descriptors (revents[i] for the fds[i]
 * of the last mdns_poll_fds) and of the timeouts due. */
void mdns_poll_dispatch(struct mdns_poll *p, const int *fds,
			const short *revents, int n);

#endif
