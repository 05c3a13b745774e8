/*
 * discovery: mDNS/DNS-SD with avahi, both stacks in the caller's loop
 * (see discovery.h; discovery_int.h maps the files). This file is the
 * interface and the tick: a timeout of discovery's own, every 500 ms (50
 * during a goodbye), that frees a failed stack and tries it again, frees
 * the embedded stack once its goodbye is out (and brings it back if the
 * system daemon it gave way to went away meanwhile), and drives the
 * records' timers. Which stack runs is decided here and in the client's
 * state callback (discovery_client.c); what they see is kept by
 * discovery_records.c. Nothing here blocks or touches a record's bytes.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <avahi-common/timeval.h>

#include "clock.h"
#include "discovery_int.h"

/* discovery_shim_ready's answer, for the process (-1: not asked yet) */
static int shim_ready = -1;

void discovery_say(struct discovery *d, int always, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->ev.log)
		d->ev.log(d->ev.arg, always, line);
}

/* The tick: retries, goodbyes, rechecks, the records' timers. */
static void tick(AvahiTimeout *t, void *ud)
{
	struct discovery *d = ud;
	uint64_t now = clock_mono_ms();
	struct timeval tv;

	if (d->client_failed) {
		d->client_failed = 0;
		discovery_client_close(d);
		d->client_retry_ms = now + DISCOVERY_RETRY_MS;
	}
	if (!d->client && d->client_retry_ms && now >= d->client_retry_ms &&
	    !d->stopping && d->c.mode != DISCOVERY_EMBEDDED)
		discovery_client_start(d);
	if (d->server_failed) {
		d->server_failed = 0;
		discovery_embedded_free(d);
		if (d->using == DISC_EMBEDDED)
			d->using = DISC_NONE;
		d->embedded_retry_ms = now + DISCOVERY_RETRY_MS;
	}
	if (!d->server && d->embedded_retry_ms && now >= d->embedded_retry_ms &&
	    !d->stopping && d->using != DISC_CLIENT &&
	    d->c.mode != DISCOVERY_AVAHI) {
		d->embedded_retry_ms = 0;
		discovery_embedded_start(d);
	}
	if (d->server && d->goodbye_ms && now >= d->goodbye_ms) {
		discovery_embedded_free(d);
		/* the daemon it gave way to went away meanwhile */
		if (d->c.mode == DISCOVERY_AUTO && d->using == DISC_NONE &&
		    !d->stopping)
			discovery_embedded_start(d);
	}
	discovery_embedded_recheck(d, now);
	discovery_records_tick(d, now);
	gettimeofday(&tv, NULL);
	avahi_timeval_add(&tv, d->goodbye_ms ? 50000 : 500000);
	d->poll.api.timeout_update(t, &tv);
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

/* The keystream that hides a node behind a nonce. */
static void id_pad(const uint8_t lan_key[32], const uint8_t *nonce,
		   uint8_t pad[KEY_PUBLIC_LEN])
{
	uint8_t msg[sizeof(DISCOVERY_ID_DOMAIN) - 1 + DISCOVERY_NONCE_LEN];

	memcpy(msg, DISCOVERY_ID_DOMAIN, sizeof(DISCOVERY_ID_DOMAIN) - 1);
	memcpy(msg + sizeof(DISCOVERY_ID_DOMAIN) - 1, nonce, DISCOVERY_NONCE_LEN);
	hash_blake2b_keyed(pad, lan_key, msg, sizeof(msg));
}

void discovery_id_seal(const uint8_t lan_key[32],
		       const uint8_t node[KEY_PUBLIC_LEN],
		       uint8_t id[DISCOVERY_ID_LEN])
{
	uint8_t pad[KEY_PUBLIC_LEN];
	size_t i;

	id_pad(lan_key, id, pad);
	for (i = 0; i < KEY_PUBLIC_LEN; i++)
		id[DISCOVERY_NONCE_LEN + i] = node[i] ^ pad[i];
}

void discovery_id_open(const uint8_t lan_key[32],
		       const uint8_t id[DISCOVERY_ID_LEN],
		       uint8_t node[KEY_PUBLIC_LEN])
{
	uint8_t pad[KEY_PUBLIC_LEN];
	size_t i;

	id_pad(lan_key, id, pad);
	for (i = 0; i < KEY_PUBLIC_LEN; i++)
		node[i] = id[DISCOVERY_NONCE_LEN + i] ^ pad[i];
}

int discovery_new(struct discovery **out, const struct discovery_conf *c,
		  const struct discovery_events *ev, struct err *e)
{
	char id_hex[2 * DISCOVERY_ID_LEN + 1], tag_hex[2 * DISCOVERY_TAG_LEN + 1];
	uint8_t id[DISCOVERY_ID_LEN];
	struct discovery *d;
	struct timeval tv;

	*out = NULL;
	if (c->mode == DISCOVERY_OFF)
		return err_set(e, STOA_EINVAL, "discovery needs a mode");
	d = calloc(1, sizeof(*d));
	if (!d)
		return err_set(e, STOA_ENOMEM, "out of memory");
	d->c = *c;
	d->ev = *ev;
	mdns_poll_init(&d->poll);
	random_bytes(id, DISCOVERY_NONCE_LEN);
	discovery_id_seal(c->lan_key, c->node, id);
	hex_encode(id_hex, id, DISCOVERY_ID_LEN);
	hex_encode(tag_hex, c->tag, DISCOVERY_TAG_LEN);
	snprintf(d->service_name, sizeof(d->service_name), "stoa %.8s", id_hex);
	snprintf(d->host_name, sizeof(d->host_name), "stoa-%.8s", id_hex);
	d->txt = avahi_string_list_new(DISCOVERY_TXT_VERSION "=" DISCOVERY_VERSION,
				       NULL);
	d->txt = avahi_string_list_add_pair(d->txt, DISCOVERY_TXT_ID, id_hex);
	d->txt = avahi_string_list_add_pair(d->txt, DISCOVERY_TXT_TAG, tag_hex);
	gettimeofday(&tv, NULL);
	d->tick = d->poll.api.timeout_new(&d->poll.api, &tv, tick, d);
	if (!d->txt || !d->tick) {
		discovery_free(d);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	/* before any avahi object exists: both libraries' frees go through
	 * the shim from the first one on */
	if (shim_ready < 0)
		shim_ready = discovery_shim_ready((void *)avahi_client_new,
						  (void *)avahi_server_new);
	d->shim = shim_ready;
	if (c->mode == DISCOVERY_EMBEDDED) {
		discovery_embedded_start(d);
		if (!d->server) {
			discovery_free(d);
			return err_set(e, STOA_EIO, "the embedded mDNS stack "
				       "cannot start");
		}
	} else {
		discovery_client_start(d);
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
	discovery_client_close(d);
	if (d->c.port)
		discovery_embedded_goodbye(d);
	else
		discovery_embedded_free(d); /* browsed only: nothing to withdraw */
}

int discovery_stopped(const struct discovery *d)
{
	return !d || (d->stopping && !d->server);
}

void discovery_free(struct discovery *d)
{
	if (!d)
		return;
	discovery_records_free(d);
	discovery_client_close(d);
	discovery_embedded_free(d);
	avahi_string_list_free(d->txt);
	if (d->tick)
		d->poll.api.timeout_free(d->tick);
	mdns_poll_release(&d->poll); /* what avahi did not free itself */
	free(d);
}

const char *discovery_backend(const struct discovery *d)
{
	if (!d || d->stopping)
		return "stopped";
	if (d->using == DISC_CLIENT)
		return "avahi-daemon";
	if (d->using == DISC_EMBEDDED)
		return "embedded";
	return "starting";
}


int discovery_poll_fds(struct discovery *d, int *fds, short *events, int cap)
{
	return mdns_poll_fds(&d->poll, fds, events, cap);
}

int discovery_timeout_ms(struct discovery *d)
{
	return mdns_poll_timeout_ms(&d->poll);
}

void discovery_dispatch(struct discovery *d, const int *fds,
			const short *revents, int n)
{
	mdns_poll_dispatch(&d->poll, fds, revents, n);
}

int discovery_lan_up(void)
{
	struct ifaddrs *ifa, *i;
	const unsigned need = IFF_UP | IFF_RUNNING | IFF_MULTICAST;
	int up = 0;

	if (getifaddrs(&ifa) < 0)
		return 1; /* cannot tell: say nothing */
	for (i = ifa; i && !up; i = i->ifa_next)
		up = i->ifa_addr && (i->ifa_flags & need) == need &&
		     !(i->ifa_flags & IFF_LOOPBACK) &&
		     (i->ifa_addr->sa_family == AF_INET ||
		      i->ifa_addr->sa_family == AF_INET6);
	freeifaddrs(ifa);
	return up;
}
