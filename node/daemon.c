/*
 * daemon: one thread, one poll (see daemon.h, and daemon_int.h for the
 * map of its files). Each turn of the loop waits in transport_poll for
 * the listening ROUTER and its ZAP handler, the control socket, every
 * dialed DEALER and its connection monitor, a signalfd and discovery's
 * descriptors; does the housekeeping that needs no store (probes,
 * outboxes, restarts, retries); then, if a socket is ready, runs one
 * store pass: reads a bounded number of frames from each ready socket
 * inside one store batch (one commit, one fsync per pass) and announces
 * every feed that grew to every peer. Handlers never block: sends are
 * non-blocking, and the store is the only I/O. A pass that fails to
 * write is rolled back and announces nothing.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon_int.h"

/* The kinds of socket one loop turn polls, each read by its handler. */
enum sock_kind {
	SOCK_ZAP,       /* handshakes on the ROUTER: answered at once */
	SOCK_ROUTER,    /* the listening socket: incoming peers */
	SOCK_CONTROL,   /* the control socket: the home's commands */
	SOCK_DEALER,    /* a dialed peer's connection */
	SOCK_MONITOR,   /* that connection's events */
};

#define POLL_MAX (3 + 2 * DAEMON_PEERS_MAX)

/* What one turn of the loop waits on, and what was ready. */
struct pollset {
	void *socks[POLL_MAX];
	enum sock_kind kind[POLL_MAX];
	struct peer *owner[POLL_MAX];   /* dealer, monitor: whose */
	int ready[POLL_MAX];
	int ns;                         /* sockets */
	int npoll;                      /* of them polled (0: yielding) */
	struct transport_pollfd pf[1 + DISCOVERY_WATCHES_MAX]; /* signalfd,
					 * then discovery's descriptors */
	int dfds[DISCOVERY_WATCHES_MAX];
	int nd;                         /* discovery's descriptors */
	int timeout;                    /* ms */
	int any;                        /* a socket is ready: a pass runs */
};

/* ---- feeds that grew, and announcing them ------------------------------ */

void daemon_grew(void *arg, const struct msg_head *h)
{
	struct daemon *d = arg;
	size_t i;

	if (d->current)
		d->pass_stored++;
	for (i = 0; i < d->ngrown; i++) {
		if (memcmp(d->grown[i].author, h->author, KEY_PUBLIC_LEN) == 0) {
			if (h->seq > d->grown[i].seq)
				d->grown[i] = *h;
			if (d->grown_from[i] != d->current) {
				d->grown_from[i] = NULL; /* tell everyone */
				if (d->o->verbose)
					snprintf(d->grown_name[i],
						 sizeof(d->grown_name[i]),
						 "several peers");
			}
			return;
		}
	}
	if (d->ngrown < DAEMON_GROWN_MAX) {
		d->grown_from[d->ngrown] = d->current;
		if (d->o->verbose && d->current) /* for log_stored only */
			peer_name(d->current, d->grown_name[d->ngrown]);
		else if (d->o->verbose)
			snprintf(d->grown_name[d->ngrown],
				 sizeof(d->grown_name[0]), "this node");
		d->grown[d->ngrown++] = *h;
	} else {
		d->grown_lost = 1;
		d->hello_all = 1;
	}
}

/* Every peer in session about feed i, but the one that brought it. */
static void announce_feed(struct daemon *d, size_t i)
{
	struct err e;
	size_t k;
	int rc;

	for (k = 0; k < DAEMON_PEERS_MAX; k++) {
		struct peer *p = &d->peers[k];

		/* not back to the peer that brought it; a session about to
		 * restart hears it in its HELLO */
		if (p->state != PEER_SESSION || p == d->grown_from[i])
			continue;
		/* a past epoch's session shows only what predates the
		 * rotation: a later head is not even named to it */
		if (p->past)
			continue;
		err_clear(&e);
		/* a HAVE the peer's queue does not take waits in its
		 * outbox; one past the outbox's bound means the peer reads
		 * nothing */
		if ((rc = repl_notify(&p->r, &d->grown[i], &e)) < 0)
			peer_drop(p, rc, e.msg);
	}
}

/* Tells every peer in session about every feed that grew this pass. */
void daemon_announce(struct daemon *d)
{
	struct err e;
	size_t i, k;

	if (d->hello_all) {
		/* a fresh HELLO makes each peer compare frontiers instead */
		for (k = 0; k < DAEMON_PEERS_MAX; k++) {
			struct peer *p = &d->peers[k];

			if (!peer_in_session(p))
				continue;
			err_clear(&e);
			if (repl_restart(&p->r, &e) < 0)
				p->state = PEER_RESTART;
		}
	} else {
		for (i = 0; i < d->ngrown; i++)
			announce_feed(d, i);
	}
	d->ngrown = 0;
	d->grown_lost = 0;
	d->hello_all = 0;
}

/*
 * serve --verbose: a line per feed that grew in the pass just committed,
 * so the line is true when it is read (a pass that rolls back logs
 * nothing of it) and "ms ago" runs to the commit.
 */
static void log_stored(struct daemon *d)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	uint64_t ts, now = clock_wall_ms();
	size_t i;

	if (!d->o->verbose)
		return;
	for (i = 0; i < d->ngrown; i++) {
		ts = 0;
		hex_encode(hex, d->grown[i].author, KEY_PUBLIC_LEN);
		store_head_time(d->h->store, d->grown[i].author, &ts, NULL);
		daemon_log(d, 0, "stored feed %.8s up to %" PRIu64 " from %s "
			   "(newest written %" PRId64 " ms ago)", hex,
			   d->grown[i].seq, d->grown_name[i],
			   (int64_t)(now - ts));
	}
	if (d->grown_lost)
		daemon_log(d, 0, "stored more feeds than listed (%zu)", i);
}

/* ---- store passes -------------------------------------------------------- */

/* The pass begins: what each session has received so far, to restore if
 * the pass is rolled back (pass_rolled_back). */
static void pass_begin(struct daemon *d)
{
	size_t k;

	d->in_pass = 1;
	d->pass_gone_in = 0;
	for (k = 0; k < DAEMON_PEERS_MAX; k++)
		if (peer_has_repl(&d->peers[k]))
			d->peers[k].pass_in = d->peers[k].r.stats.entries_in;
}

/* The pass was rolled back: its entries were never stored, so the
 * sessions' counts (status, peers) forget them. */
static void pass_rolled_back(struct daemon *d)
{
	size_t k;

	for (k = 0; k < DAEMON_PEERS_MAX; k++)
		if (peer_has_repl(&d->peers[k]))
			d->peers[k].r.stats.entries_in = d->peers[k].pass_in;
}

/*
 * A write of this pass failed and the pass was rolled back (disk full, an
 * I/O error). The first time, one log line, and the daemon stops asking
 * peers for entries; every DAEMON_STORE_RETRY_MS it asks again
 * (writes_retry), silently, until a pass stores something (pass_ok says
 * so, once). Nothing of the pass is announced: it was not stored.
 */
static void pass_failed(struct daemon *d, const struct err *pe)
{
	pass_rolled_back(d);
	d->ngrown = 0;
	d->grown_lost = 0;
	d->hello_all = 0;
	d->store_retry_ms = clock_mono_ms() + DAEMON_STORE_RETRY_MS;
	if (d->o->once) {
		/* stoa sync: a full disk will not clear by itself */
		d->fail = pe->code;
		snprintf(d->fail_msg, sizeof(d->fail_msg), "%s", pe->msg);
		d->stop = 1;
		return;
	}
	if (d->store_down)
		return;
	d->store_down = pe->code;
	daemon_log(d, 1, "store: %s; not taking entries from peers, trying "
		   "again every %d s", pe->msg, DAEMON_STORE_RETRY_MS / 1000);
}

/*
 * A pass committed: if the store was down and this pass stored entries,
 * it takes writes again. Every session then starts over with a HELLO (the
 * announce after this pass): the passes that failed before this one were
 * rolled back, but their sessions had moved on as if the runs were stored
 * (wants answered, the next ones asked for), so a session whose last runs
 * came in a failed pass would never ask for them again. The retries while
 * the store was down restart the sessions too, but a sync that was under
 * way when space came back straddles the two.
 */
static void pass_ok(struct daemon *d)
{
	if (d->store_down && d->pass_stored > 0) {
		d->store_down = 0;
		d->store_retry_ms = 0;
		d->hello_all = 1;
		daemon_log(d, 1, "store: writes work again; taking entries "
			   "from peers");
	}
}

/* While the store is down: every session says HELLO again when it is
 * time, so each peer compares frontiers and what is missing is asked for
 * again (and what local writes added meanwhile is announced). */
static void writes_retry(struct daemon *d)
{
	if (!d->store_down || !d->store_retry_ms ||
	    clock_mono_ms() < d->store_retry_ms)
		return;
	d->store_retry_ms = 0;
	d->ngrown = 0;
	d->hello_all = 1;
	daemon_announce(d);
}

/* Reads the ready sockets, starting each pass at another one, so one
 * busy peer cannot use every pass's time budget. */
static void pass_read(struct daemon *d, struct pollset *ps)
{
	int i, k;

	for (k = 0; k < ps->ns; k++) {
		i = (int)((d->first_sock + (unsigned)k) % (unsigned)ps->ns);
		if (!ps->ready[i])
			continue;
		switch (ps->kind[i]) {
		case SOCK_ROUTER: incoming_read(d); break;
		case SOCK_CONTROL: control_read(d); break;
		case SOCK_DEALER: peer_read_dealer(ps->owner[i]); break;
		case SOCK_MONITOR: peer_read_monitor(ps->owner[i]); break;
		case SOCK_ZAP: break; /* answered as soon as woken */
		}
	}
	d->first_sock++;
}

/* Sessions with a member the rules removed (a record this pass brought,
 * or a removed member's node that answered a dial) end now, told why. */
static void drop_removed(struct daemon *d)
{
	size_t i;

	/* one look at the file a turn, most turns */
	if (!store_has_removed(d->h->store) && !d->rekey_ms)
		return;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (peer_in_session(p) && p->r.got_hello &&
		    store_member_removed(d->h->store, p->r.peer_node))
			peer_drop(p, STOA_EPERM, "this member was removed from "
				  "the community");
		/* moving to a new epoch: meanwhile only the members it
		 * names are told of it */
		else if (peer_in_session(p) && p->r.got_hello && d->rekey_ms &&
			 !epoch_named(d, p->r.peer_node))
			peer_drop(p, STOA_EPERM, "its member is not named in the "
				  "rotation of the community secret");
	}
}

/* One store pass over the ready sockets: one batch, one commit, then
 * the announce. -1 if no batch could be had (the frames wait). */
static int pass_run(struct daemon *d, struct pollset *ps)
{
	struct err pe = { 0 };

	d->pass_ms = clock_mono_ms();
	err_clear(&d->pass_err);
	d->pass_stored = 0;
	if (store_begin(d->h->store, &pe) < 0) {
		/* another process writes (a sync, a reindex): the frames
		 * wait in libzmq for the next pass */
		if (pe.code != STOA_EBUSY)
			daemon_log(d, 1, "store: %s", pe.msg);
		return -1;
	}
	pass_begin(d); /* only a pass that holds a batch: in_pass is
			* cleared after its commit below */
	pass_read(d, ps);
	d->backlog = peer_drain_all(d);
	err_clear(&pe);
	if (store_commit(d->h->store, &pe) < 0 || d->pass_err.code) {
		pass_failed(d, d->pass_err.code ? &d->pass_err : &pe);
	} else {
		d->sum->entries_in += d->pass_gone_in;
		log_stored(d);
		pass_ok(d);
		drop_removed(d);
		daemon_announce(d);
	}
	d->in_pass = 0;
	d->pass_gone_in = 0;
	return 0;
}

/* ---- sessions settled ---------------------------------------------------- */

/* How far peer p holds each governance author's feed: what its session
 * learnt (FRONTIER, HAVE, runs), or, settled without learning it (equal
 * digests), this store's head. */
static void spread_of(const struct peer *p, struct store_head *h, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < p->r.nknown; k++)
			if (!memcmp(p->r.known[k].author, h[i].author,
				    KEY_PUBLIC_LEN))
				break;
		if (k < p->r.nknown && p->r.known[k].theirs_known)
			h[i].seq = p->r.known[k].theirs;
	}
}

/* Records, for `stoa governance`, what each settled session's peer holds
 * of the governance records' feeds (at most every DAEMON_SPREAD_MS per
 * peer; a busy store just skips a turn). */
static void record_spread(struct daemon *d, uint64_t now)
{
	struct store_head h[DAEMON_SPREAD_FEEDS];
	uint64_t wall = clock_wall_ms();
	struct err e = { 0 };
	size_t i, n = 0;
	int listed = 0;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (!peer_has_repl(p) || !p->r.got_hello ||
		    !repl_settled(&p->r) || now - p->spread_ms < DAEMON_SPREAD_MS)
			continue;
		if (!listed++ && store_gov_authors(d->h->store, h,
						   DAEMON_SPREAD_FEEDS, &n,
						   &e) < 0)
			return;
		p->spread_ms = now;
		spread_of(p, h, n);
		if (store_peer_seen(d->h->store, p->r.peer_node, h, n, wall,
				    &e) < 0)
			return;
		/* the next peer's from this store's heads again */
		if (store_gov_authors(d->h->store, h, DAEMON_SPREAD_FEEDS, &n,
				      &e) < 0)
			return;
	}
}

/* Notes when each session was last in sync, for `stoa peers`. */
static void mark_settled(struct daemon *d)
{
	uint64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (peer_has_repl(p) && p->r.got_hello && repl_settled(&p->r))
			p->settled_ms = now;
	}
	record_spread(d, now);
}

/* " (connected, hello ..., ...)": where a stuck `sync` stood, for its
 * timeout message. */
static const char *session_state(struct daemon *d, char *buf, size_t cap)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];
		struct repl *r = &p->r;

		if (p->state == PEER_FREE || !peer_dialed(p))
			continue;
		if (!peer_in_session(p)) {
			snprintf(buf, cap, " (never connected%s)",
				 p->early_closes ? ": closed before the handshake"
						 : "");
			break;
		}
		snprintf(buf, cap, " (connected; hello %s, frontier %s, %zu feeds "
			 "to pull, %u asked, peer done %s, %" PRIu64 " entries in)",
			 r->got_hello ? "yes" : "no",
			 r->frontier_done ? "yes" : "no", r->nwants,
			 r->in_flight, r->got_done ? "yes" : "no",
			 r->stats.entries_in);
		break;
	}
	return buf;
}

static int all_settled(struct daemon *d)
{
	size_t i;
	int any = 0;

	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->state == PEER_FREE || !peer_dialed(p))
			continue;
		any = 1;
		if (!peer_has_repl(p) || !repl_settled(&p->r))
			return 0;
	}
	return any;
}

/* stoa sync: the counts so far (or done), to the caller's progress line. */
static void report_progress(struct daemon *d, int done)
{
	struct daemon_progress pr;
	size_t i;

	memset(&pr, 0, sizeof(pr));
	pr.entries_in = d->sum->entries_in;
	pr.entries_out = d->sum->entries_out;
	pr.done = done;
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		const struct peer *p = &d->peers[i];

		if (peer_has_repl(p)) {
			pr.entries_in += p->r.stats.entries_in;
			pr.entries_out += p->r.stats.entries_out;
			pr.entries_expected += p->r.stats.expected_in;
		}
	}
	if (d->o->lan_wait_ms)
		dial_lan_progress(d, &pr);
	d->o->progress(d->o->progress_arg, &pr);
	d->progress_ms = clock_mono_ms();
}

/* ---- one turn of the loop ------------------------------------------------ */

/* sync: gives up at its timeout, saying where it stood; until then the
 * poll waits no longer than what is left of it (nor, for sync --lan,
 * past the end of its browse time). sync --lan gives up only on the
 * nodes not synced yet, each told why, and returns 1: the loop ends. */
static int sync_deadline(struct daemon *d, int *timeout, struct err *e)
{
	const struct daemon_opts *o = d->o;
	char why[160];
	uint64_t spent;

	if (!o->once || o->timeout_ms <= 0)
		return 0;
	spent = clock_mono_ms() - d->start_ms;
	if (spent >= (uint64_t)o->timeout_ms && o->lan_wait_ms) {
		snprintf(why, sizeof(why), "timed out after %d s",
			 o->timeout_ms / 1000);
		dial_lan_give_up(d, why);
		return 1;
	}
	if (spent >= (uint64_t)o->timeout_ms)
		return err_set(e, STOA_EBUSY, "timed out after %d ms%s",
			       o->timeout_ms,
			       session_state(d, why, sizeof(why)));
	if (o->timeout_ms - (int)spent < *timeout)
		*timeout = o->timeout_ms - (int)spent;
	if (o->lan_wait_ms && spent < (uint64_t)o->lan_wait_ms &&
	    o->lan_wait_ms - (int)spent < *timeout)
		*timeout = o->lan_wait_ms - (int)spent;
	return 0;
}

/* once: whether the exchange is over (every dialed peer settled; sync
 * --lan: the browse time over, every node found settled or failed). */
static int sync_done(struct daemon *d)
{
	if (!d->o->once)
		return 0;
	return d->o->lan_wait_ms ? dial_lan_done(d) : all_settled(d);
}

static void add_sock(struct pollset *ps, void *sock, enum sock_kind kind,
		     struct peer *owner)
{
	ps->socks[ps->ns] = sock;
	ps->kind[ps->ns] = kind;
	ps->owner[ps->ns] = owner;
	ps->ns++;
}

/* The sockets and descriptors of this turn, and how long it may wait. */
static void pollset_build(struct daemon *d, struct pollset *ps)
{
	short devents[DISCOVERY_WATCHES_MAX];
	int i;

	ps->ns = ps->nd = ps->any = 0;
	if (d->zap)
		add_sock(ps, d->zap, SOCK_ZAP, NULL);
	if (d->router)
		add_sock(ps, d->router, SOCK_ROUTER, NULL);
	if (d->control)
		add_sock(ps, d->control, SOCK_CONTROL, NULL);
	for (i = 0; i < DAEMON_PEERS_MAX; i++) {
		struct peer *p = &d->peers[i];

		if (p->state == PEER_FREE || !peer_dialed(p) || !p->sock ||
		    !p->mon)
			continue; /* (no socket: a redial failed, tried again) */
		add_sock(ps, p->sock, SOCK_DEALER, p);
		add_sock(ps, p->mon, SOCK_MONITOR, p);
	}
	ps->pf[0].fd = d->sigfd;
	ps->pf[0].events = POLLIN;
	if (d->disc) {
		int dt = discovery_timeout_ms(d->disc);

		ps->nd = discovery_poll_fds(d->disc, ps->dfds, devents,
					    DISCOVERY_WATCHES_MAX);
		for (i = 0; i < ps->nd; i++) {
			ps->pf[1 + i].fd = ps->dfds[i];
			ps->pf[1 + i].events = devents[i];
		}
		if (dt >= 0 && dt < ps->timeout)
			ps->timeout = dt;
	}
	if (d->backlog && ps->timeout > DAEMON_DRAIN_MS)
		ps->timeout = DAEMON_DRAIN_MS;
	ps->timeout = epoch_timeout(d, ps->timeout);
	/* the gap after a long pass: only signals wake the loop, the
	 * frames wait in libzmq */
	ps->npoll = ps->ns;
	if (d->yield_ms && clock_mono_ms() < d->yield_ms) {
		uint64_t left = d->yield_ms - clock_mono_ms();

		ps->npoll = 0;
		memset(ps->ready, 0, sizeof(ps->ready));
		if ((uint64_t)ps->timeout > left)
			ps->timeout = (int)left;
	}
}

/* What woke the loop and cannot wait for a pass: discovery's callbacks,
 * a signal, handshakes. Sets ps->any if a socket waits for a pass. */
static void woken(struct daemon *d, struct pollset *ps)
{
	short drevents[DISCOVERY_WATCHES_MAX];
	int i;

	if (d->disc) {
		for (i = 0; i < ps->nd; i++)
			drevents[i] = ps->pf[1 + i].revents;
		discovery_dispatch(d->disc, ps->dfds, drevents, ps->nd);
	}
	if (ps->pf[0].revents) {
		struct signalfd_siginfo si;

		if (read(d->sigfd, &si, sizeof(si)) > 0) {
			daemon_log(d, 0, "stopping (signal %u)", si.ssi_signo);
			d->stop = 1;
		}
	}
	for (i = 0; i < ps->ns; i++) {
		if (ps->kind[i] == SOCK_ZAP && ps->ready[i]) {
			incoming_zap(d); /* at once: a handshake waits */
			ps->ready[i] = 0;
		}
		ps->any |= ps->ready[i];
	}
}

/* What every turn does, pass or not: probes, the log's windows,
 * outboxes, duplicates and restarts, retries. */
static void housekeeping(struct daemon *d)
{
	drop_removed(d); /* a removal a local command wrote, too */
	epoch_tick(d);
	daemon_invite_tick(d);
	if (d->router && clock_mono_ms() - d->ping_ms >= DAEMON_PING_MS)
		incoming_probe(d, NULL);
	ratelog_tick(d, 0);
	d->backlog = peer_drain_all(d);
	incoming_refuse_duplicates(d);
	peer_restarts(d);
	writes_retry(d);
	daemon_endpoint_retry(d);
}

/* After a pass: who settled, what mDNS found, the writers' turn after a
 * long hold of the write lock (its commit included), sync's progress. */
static void after_pass(struct daemon *d)
{
	mark_settled(d);
	/* after the sockets: it may free peers they pointed at */
	if (d->disc)
		dial_tick(d);
	d->yield_ms = 0;
	if (clock_mono_ms() - d->pass_ms >= DAEMON_PASS_MS / 2)
		d->yield_ms = clock_mono_ms() + DAEMON_YIELD_MS;
	if (d->o->once && d->o->progress &&
	    clock_mono_ms() - d->progress_ms > 200)
		report_progress(d, 0);
}

/* The loop ended: why (a sync that failed), teardown, the rescan. */
static int finish(struct daemon *d, int rc, struct err *e)
{
	const struct daemon_opts *o = d->o;
	const char *peer = o->npeers ? o->peers[0] : "the peer";

	if (o->lan_wait_ms)
		dial_lan_results(d); /* before the teardown frees the peers */
	if (rc == 0 && d->fail && d->fail_msg[0] && !o->npeers)
		rc = err_set(e, d->fail, "%s", d->fail_msg); /* this node's */
	else if (rc == 0 && d->fail && d->fail_msg[0])
		rc = err_set(e, d->fail, "%s: %s", peer, d->fail_msg);
	else if (rc == 0 && d->fail)
		rc = err_set(e, d->fail, "%s refused the handshake: is it a node "
			     "of another community, or was this member "
			     "removed from it?", peer);
	if (o->once && o->progress)
		report_progress(d, 1);
	daemon_teardown(d);
	/* a daemon serving this home passes on what this sync brought */
	if (o->once && d->sum->entries_in > 0)
		control_send(d->h->dir,
			     &(struct daemon_req){ .type = DAEMON_REQ_RESCAN });
	d->sum->seconds = (double)(clock_mono_ms() - d->start_ms) / 1000.0;
	return rc;
}

int daemon_run(struct home *h, const struct daemon_opts *o,
	       struct daemon_summary *sum, struct err *e)
{
	struct pollset *ps;
	struct daemon *d;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (h->locked)
		return err_set(e, STOA_EPERM, "the key is locked: unlock it "
			       "before starting the daemon");
	d = calloc(1, sizeof(*d));
	ps = calloc(1, sizeof(*ps));
	if (!d || !ps) {
		free(d);
		free(ps);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	d->h = h;
	d->o = o;
	d->sum = sum;
	d->sigfd = -1;
	d->lockfd = -1;
	d->start_ms = clock_mono_ms();
	daemon_process_limits();
	rc = daemon_setup(d, e);
	while (rc == 0 && !d->stop) {
		ps->timeout = 1000;
		if ((rc = sync_deadline(d, &ps->timeout, e)) != 0) {
			/* sync --lan at its timeout: over, each node told */
			sum->settled = rc > 0;
			rc = rc > 0 ? 0 : rc;
			break;
		}
		pollset_build(d, ps);
		rc = transport_poll(ps->socks, ps->npoll, ps->pf, 1 + ps->nd,
				    ps->timeout, ps->ready, e);
		if (rc < 0)
			break;
		rc = 0;
		woken(d, ps);
		housekeeping(d);
		if (!ps->any) {
			if (d->disc)
				dial_tick(d);
			mark_settled(d);
			/* sync --lan: its browse time may end with no
			 * socket ready (no node found, or all settled);
			 * its line says how long it still looks */
			if (o->lan_wait_ms && o->progress &&
			    clock_mono_ms() - d->progress_ms > 200)
				report_progress(d, 0);
			if (!o->lan_wait_ms || !sync_done(d))
				continue;
		} else if (pass_run(d, ps) < 0) {
			continue;
		} else {
			after_pass(d);
		}
		if (sync_done(d)) {
			/* a sync ends here: what the peer holds now */
			record_spread(d, clock_mono_ms() + DAEMON_SPREAD_MS);
			sum->settled = 1;
			break;
		}
	}
	rc = finish(d, rc, e);
	free(ps);
	free(d);
	return rc;
}
