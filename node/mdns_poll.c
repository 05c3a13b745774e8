/*
 * mdns_poll: avahi's watches and timeouts, run by the daemon's loop (see
 * mdns_poll.h). avahi's times are gettimeofday-based; the loop's are
 * monotonic, so each timeout is turned into a monotonic due time when it
 * is set. Nothing here blocks, knows about discovery's records, or logs.
 */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>

#include "clock.h"
#include "mdns_poll.h"

/* avahi declares these two names; the poll implementation defines them */
struct AvahiWatch {
	int fd;
	AvahiWatchEvent events;
	AvahiWatchEvent revents;     /* during its callback */
	AvahiWatchCallback cb;
	void *ud;
	int dead;
	struct AvahiWatch *next;
};

struct AvahiTimeout {
	int enabled;
	uint64_t due_ms;
	AvahiTimeoutCallback cb;
	void *ud;
	int dead;
	struct AvahiTimeout *next;
};

static AvahiWatch *watch_new(const AvahiPoll *api, int fd,
			     AvahiWatchEvent event, AvahiWatchCallback cb,
			     void *ud)
{
	struct mdns_poll *p = api->userdata;
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = fd;
	w->events = event;
	w->cb = cb;
	w->ud = ud;
	w->next = p->watches;
	p->watches = w;
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
	struct mdns_poll *p = api->userdata;
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->enabled = tv != NULL;
	t->due_ms = tv ? tv_to_ms(tv) : 0;
	t->cb = cb;
	t->ud = ud;
	t->next = p->timeouts;
	p->timeouts = t;
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

void mdns_poll_init(struct mdns_poll *p)
{
	p->api.userdata = p;
	p->api.watch_new = watch_new;
	p->api.watch_update = watch_update;
	p->api.watch_get_events = watch_get_events;
	p->api.watch_free = watch_free;
	p->api.timeout_new = timeout_new;
	p->api.timeout_update = timeout_update;
	p->api.timeout_free = timeout_free;
}

/* Frees what avahi let go of, unless a dispatch is walking the lists. */
static void sweep(struct mdns_poll *p)
{
	AvahiWatch **wp = &p->watches;
	AvahiTimeout **tp = &p->timeouts;

	if (p->dispatching)
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

void mdns_poll_release(struct mdns_poll *p)
{
	/* whatever avahi did not free itself */
	while (p->watches) {
		AvahiWatch *w = p->watches;

		p->watches = w->next;
		free(w);
	}
	while (p->timeouts) {
		AvahiTimeout *t = p->timeouts;

		p->timeouts = t->next;
		free(t);
	}
	p->dispatching = 0;
	p->npolled = 0;
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

int mdns_poll_fds(struct mdns_poll *p, int *fds, short *events, int cap)
{
	AvahiWatch *w;
	int n = 0;

	sweep(p);
	if (cap > DISCOVERY_WATCHES_MAX)
		cap = DISCOVERY_WATCHES_MAX;
	for (w = p->watches; w && n < cap; w = w->next) {
		if (w->dead || !w->events)
			continue;
		p->polled[n] = w;
		fds[n] = w->fd;
		events[n] = to_poll(w->events);
		n++;
	}
	p->npolled = n;
	return n;
}

int mdns_poll_timeout_ms(struct mdns_poll *p)
{
	AvahiTimeout *t;
	uint64_t now = clock_mono_ms(), soonest = UINT64_MAX;

	for (t = p->timeouts; t; t = t->next)
		if (!t->dead && t->enabled && t->due_ms < soonest)
			soonest = t->due_ms;
	if (soonest == UINT64_MAX)
		return -1;
	if (soonest <= now)
		return 0;
	return soonest - now > 60000 ? 60000 : (int)(soonest - now);
}

void mdns_poll_dispatch(struct mdns_poll *p, const int *fds,
			const short *revents, int n)
{
	AvahiTimeout *t, *thead = p->timeouts;
	uint64_t now = clock_mono_ms();
	int i;

	p->dispatching = 1;
	/*
	 * By poll slot, not by fd: libdbus may watch one fd twice (reading
	 * and writing). A watch freed meanwhile is only marked dead (swept
	 * after), so every slot's pointer is still valid here.
	 */
	if (n > p->npolled)
		n = p->npolled;
	for (i = 0; i < n; i++) {
		AvahiWatch *w = p->polled[i];

		if (!w || w->dead || w->fd != fds[i] || !revents[i])
			continue;
		w->revents = from_poll(revents[i]) &
			     (w->events | AVAHI_WATCH_ERR | AVAHI_WATCH_HUP);
		if (w->revents)
			w->cb(w, w->fd, w->revents, w->ud);
		w->revents = 0;
	}
	p->npolled = 0;
	/* only the timeouts that existed before: one made by a callback is
	 * put at the head, before these */
	for (t = thead; t; t = t->next) {
		if (t->dead || !t->enabled || t->due_ms > now)
			continue;
		t->enabled = 0; /* avahi re-enables it if it wants */
		t->cb(t, t->ud);
	}
	p->dispatching = 0;
	sweep(p);
}
