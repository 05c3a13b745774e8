/*
 * daemon_int: what the daemon's own files share, and nothing else may
 * include (the public API is daemon.h). The daemon is one struct daemon,
 * owned by daemon_run, spread over:
 *
 *   daemon.c        the poll loop, its store passes, announcing
 *   daemon_setup.c  start and stop: the home's lock and files, signals,
 *                   sockets, process limits
 *   daemon_log.c    log lines, and the rate limits on peers' doings
 *   peer.c          the peer table and each peer's session (the state
 *                   machine below), dialed peers' sockets
 *   incoming.c      the listening side: ZAP handler and bans, who may
 *                   open a session (admit), probes, duplicates
 *   control.c       the control socket: server, request codec, client,
 *                   status JSON
 *   dial.c          the nodes discovery found, and which of them to dial
 *   dial_lan.c      ... in a sync --lan: which, when each and all are
 *                   done, each one's result
 *   epoch.c         the keys of each epoch; a rotation adopted, and the
 *                   move to its keys
 *   daemon_invite.c the role records this node's mentor invites owe
 */
#ifndef STOA_DAEMON_INT_H
#define STOA_DAEMON_INT_H

#include <signal.h>
#include <stdint.h>

#include "clock.h"
#include "daemon.h"
#include "discovery.h"
#include "replica.h"
#include "transport.h"

/* How a peer came to be; it never changes while the slot is used. */
enum peer_kind {
	PEER_STATIC,       /* dialed: a --peer (or sync's ENDPOINT) */
	PEER_MDNS,         /* dialed: discovery found the node (dial.c) */
	PEER_ACCEPTED,     /* it dialed us: a routing id on the ROUTER */
};

/*
 * Where one peer slot stands: its connection and its session (r). One
 * state per peer; the kind says which states it can reach.
 *
 *   state     kinds     connection        r                 its frames
 *   FREE      -         -                 -                 -
 *   DIALING   dialed    libzmq connects   none              -
 *   REJECTED  dialed    libzmq connects;  none              -
 *                       the last handshake failed
 *   WAITING   dialed    up                none: one starts  -
 *                                         at retry_ms
 *   SESSION   all       up                runs              handled
 *   RESTART   all       up                runs; says HELLO  handled
 *                                         again next turn
 *   FAREWELL  accepted  up                closing: its      ignored
 *                                         ERROR is queued
 *   DROPPED   accepted  up or gone        none              ignored
 *
 * Transitions, and who makes them:
 *   FREE -> DIALING          peer_dial: a --peer at setup, dial_tick
 *   FREE -> SESSION          incoming_read: a first HELLO admitted
 *                            (RESTART if our HELLO cannot go out)
 *   DIALING, REJECTED -> SESSION   monitor: handshake done
 *                            ("connected to"), even if our HELLO
 *                            cannot go out (a stall restarts it)
 *   DIALING -> REJECTED      monitor: handshake failed
 *   DIALING -> DIALING       peer_restarts: no handshake in
 *                            DAEMON_DIAL_STALL_MS: a fresh socket
 *   WAITING, SESSION, RESTART -> DIALING   monitor: connection lost
 *   SESSION, RESTART -> WAITING   a dialed peer dropped (serve: retry
 *                            in DAEMON_RETRY_MS; sync: the loop ends),
 *                            or stalled before its HELLO (retry now)
 *   WAITING -> SESSION       peer_restarts: retry_ms due (RESTART if
 *                            our HELLO cannot go out)
 *   SESSION -> RESTART       a HELLO to all failed (announce), or
 *                            stalled after its HELLO
 *   RESTART -> SESSION       peer_restarts: the new HELLO went out; or
 *                            an accepted session stalled before HELLO
 *   SESSION, RESTART -> FAREWELL   an accepted peer dropped (peer_drop)
 *                            with frames still in its outbox
 *   SESSION, RESTART -> DROPPED    the same with an empty outbox, or
 *                            a duplicate of a --peer session
 *                            (incoming_refuse_duplicates)
 *   FAREWELL -> DROPPED      peer_drain_all: the ERROR is out, or
 *                            cannot go
 *   any -> FREE              peer_free: a probe or a send found it
 *                            gone, a dropped peer back after 2 *
 *                            DAEMON_RETRY_MS, its slot taken when the
 *                            table is full, an mDNS dial let go,
 *                            teardown
 *
 * Kept beside the state, because no state can say them: wrong_node (an
 * mDNS dial answered by another node: dial_tick lets it go at the end of
 * the pass, whatever its session did meanwhile), and the counters and
 * times of the struct.
 */
enum peer_state {
	PEER_FREE,
	PEER_DIALING,
	PEER_REJECTED,
	PEER_WAITING,
	PEER_SESSION,
	PEER_RESTART,
	PEER_FAREWELL,
	PEER_DROPPED,
};

struct daemon;

struct peer {
	enum peer_state state;
	enum peer_kind kind;
	void *sock;                   /* dialed: its DEALER (owned) */
	void *mon;                    /* dialed: its monitor (owned) */
	uint8_t rid[TRANSPORT_RID_MAX]; /* accepted: routing id */
	size_t rid_len;
	char endpoint[TRANSPORT_ENDPOINT_MAX];
	uint64_t retry_ms;            /* WAITING: a new session then */
	uint64_t dial_ms;             /* DIALING: since then (a new socket,
				       * or the connection lost) */
	uint64_t rx_ms;               /* when it last sent us anything, or
				       * its session (re)started */
	uint8_t node[KEY_PUBLIC_LEN]; /* mdns: the node it was dialed for */
	uint64_t down_ms;             /* mdns: dialed, or lost, at this time */
	int wrong_node;               /* mdns: another node answered there */
	uint64_t settled_ms;          /* when its session last settled */
	uint64_t spread_ms;           /* when what it holds of the
				       * governance feeds was last recorded */
	int early_closes;             /* dialed: closed before any handshake */
	int connect_fails;            /* dialed: connection attempts failed */
	uint64_t pass_in;             /* r.stats.entries_in when the pass
				       * began: restored if it rolls back */
	uint8_t curve[KEY_PUBLIC_LEN]; /* accepted: its connection's CURVE
				       * key, which its HELLO's node id is */
	unsigned past;                /* dialed: 0 on this epoch's keys, i on
				       * past epoch i-1's (its session shows
				       * only what predates the rotation) */
	uint64_t dropped_ms;          /* FAREWELL, DROPPED: since then */
	struct repl r;
	struct daemon *d;
};

static inline int peer_dialed(const struct peer *p)
{
	return p->kind != PEER_ACCEPTED;
}

/* r holds a session (closing or not): its counts are live. */
static inline int peer_has_repl(const struct peer *p)
{
	return p->state == PEER_SESSION || p->state == PEER_RESTART ||
	       p->state == PEER_FAREWELL;
}

/* A session that is not being closed: frames handled, HAVEs sent. */
static inline int peer_in_session(const struct peer *p)
{
	return p->state == PEER_SESSION || p->state == PEER_RESTART;
}

/* A dialed peer whose connection is up (its handshake done). */
static inline int peer_up(const struct peer *p)
{
	return peer_dialed(p) && (p->state == PEER_WAITING ||
				  peer_in_session(p));
}

/* An accepted peer refused: its frames are ignored for a while. */
static inline int peer_dropped(const struct peer *p)
{
	return p->state == PEER_FAREWELL || p->state == PEER_DROPPED;
}

/* A node of the community that discovery found on the network. */
struct found {
	int used;
	uint8_t node[KEY_PUBLIC_LEN];
	char endpoint[DISCOVERY_ENDPOINT_MAX];
	uint64_t found_ms;
	int gone;                     /* its service went away */
	int peer;                     /* index of the peer dialing it, or -1 */
	uint64_t retry_ms;            /* not reached: not dialed before this */
	int dial_logged;              /* a failure to dial it was logged */
	unsigned past;                /* found under past epoch i-1's tag, or 0 */
	/* lan (stoa sync --lan) only: found nodes are never forgotten */
	int synced;                   /* a session with it settled */
	uint64_t synced_ms;           /* ... first then */
	int lan_end;                  /* its exchange is over: failed, or
				       * lost after it settled (let go) */
	int lan_rc;                   /* failed before it settled (STOA_E*) */
	char lan_why[DAEMON_LAN_WHY_MAX];
	uint64_t lan_ms;              /* ... then */
	uint64_t lan_in, lan_out;     /* its ended sessions' entries */
	char lan_endpoint[DISCOVERY_ENDPOINT_MAX]; /* where it settled or
				       * failed (a record may name another
				       * address since: not the one used) */
	int lan_known;                /* this store holds its feed */
	int lan_answered;             /* a session with it said HELLO as
				       * this node (not another one) */
	int lan_tries;                /* dials (DAEMON_LAN_TRIES_MAX) */
	int lan_retry;                /* failed at an address: another
				       * record of it may do (dial_lan_tick) */
};

/* A member key refused at the handshake until a time (DAEMON_BAN_MS). */
struct ban {
	uint8_t curve[KEY_PUBLIC_LEN];
	uint64_t until_ms;
};

/* Kinds of log lines about other nodes' doings, each rate-limited. */
enum ratelog_kind { LOG_REFUSED, LOG_PEER, LOG_FORK, LOG_DROP, LOG_KINDS };

struct ratelog {
	uint64_t start_ms;            /* the window began then */
	unsigned shown;               /* lines logged in it */
	unsigned hidden;              /* lines counted instead */
};

#define DAEMON_GROWN_MAX (DAEMON_PEERS_MAX * 4) /* feeds per pass */

struct daemon {
	struct home *h;
	const struct daemon_opts *o;
	struct transport_keys keys;
	uint8_t hello_key[32];
	/* the community file's past epochs (epoch.c): to reach the members
	 * a rotation has not reached yet */
	struct transport_keys past_keys[COMMUNITY_PAST_MAX];
	uint8_t past_hello[COMMUNITY_PAST_MAX][32];
	size_t npast;
	struct replica rp_upto;       /* past epochs' sessions' view */
	uint64_t rekey_ms;            /* a rotation adopted: new keys then */
	uint64_t rebind_until_ms;     /* listening again: give up then */
	uint32_t epoch_seen;          /* the rotation in force looked at */
	uint64_t removed_seen;        /* ... and how many were removed then */
	uint8_t epoch_check[HASH_LEN]; /* last (adopted, or said why not) */
	uint64_t adopt_retry_ms;      /* the file could not be written: then */
	uint64_t heal_retry_ms;       /* a rotation could not be written: then */
	uint64_t invite_ms;           /* daemon_invite.c: the next look, */
	uint64_t invite_n;            /* and the newest entry looked at */
	void *ctx;
	void *router;                 /* listening socket, or NULL */
	void *control;                /* control socket, or NULL */
	void *zap;                    /* ZAP handler (serve), or NULL */
	struct ban bans[DAEMON_BANS_MAX];
	struct ratelog ratelog[LOG_KINDS];
	char bound[TRANSPORT_ENDPOINT_MAX];
	char endpoint_path[HOME_PATH_MAX];
	uint64_t endpoint_retry_ms;   /* serve.endpoint not written yet
				       * (a full disk): try again then */
	char control_path[HOME_PATH_MAX];
	struct peer peers[DAEMON_PEERS_MAX];
	struct discovery *disc;       /* NULL: no discovery */
	uint64_t disc_day;            /* the UTC day it started (its id's) */
	struct found found[DAEMON_PEERS_MAX];
	int found_full_logged;
	size_t lan_evicted;           /* lan: unanswered records let go */
	struct repl_ops ops;
	struct replica rp;
	struct buf scratch;           /* one outgoing frame, all peers */
	int sigfd;
	int lockfd;
	sigset_t old_mask;            /* restored by teardown */
	void (*old_pipe)(int);
	int signals;                  /* the two above are set */
	struct msg_head grown[DAEMON_GROWN_MAX]; /* feeds that grew */
	struct peer *grown_from[DAEMON_GROWN_MAX]; /* who brought it */
	char grown_name[DAEMON_GROWN_MAX][96]; /* its name, for the log
						* after the commit */
	size_t ngrown;
	int in_pass;                  /* between pass_begin and its end */
	uint64_t pass_gone_in;        /* entries received in this pass by
				       * sessions stopped during it */
	int grown_lost;               /* more feeds grew than grown holds */
	int hello_all;                /* announce: every session starts over
				       * with a HELLO instead (too many feeds
				       * grew, a rescan, passes rolled back) */
	struct daemon_summary *sum;
	struct peer *current;         /* whose frame is being handled */
	uint64_t start_ms;
	uint64_t ping_ms;             /* when incoming peers were last probed */
	uint64_t pass_ms;             /* when this pass started */
	uint64_t yield_ms;            /* no batch before this: other writers'
				       * turn (DAEMON_YIELD_MS) */
	int store_down;               /* a write failed (disk full): its
				       * code; not ingesting until a retry
				       * stores something */
	uint64_t store_retry_ms;      /* ... when peers are asked again */
	struct err pass_err;          /* the first failed write of a pass */
	uint32_t pass_stored;         /* runs stored from peers this pass */
	int backlog;                  /* some session's outbox holds frames */
	unsigned first_sock;          /* the ready socket a pass reads first */
	uint64_t progress_ms;         /* sync: progress last reported then */
	int stop;
	int fail;                     /* once: why it stopped early */
	char fail_msg[ERR_MSG_MAX];
};

/* The pass has used its time: leave the rest for the next one. */
static inline int daemon_pass_over(const struct daemon *d)
{
	return clock_mono_ms() - d->pass_ms >= DAEMON_PASS_MS;
}

/* daemon.c */
/* Remembers that a feed grew (a run stored, a nudge), to announce it
 * after the pass commits; the replica's grew callback (arg: d). */
void daemon_grew(void *arg, const struct msg_head *h);
/* Tells every peer in session about the feeds that grew (at the end of
 * each pass, and after the daemon wrote an entry itself). */
void daemon_announce(struct daemon *d);

/* daemon_setup.c */
int daemon_setup(struct daemon *d, struct err *e);
void daemon_teardown(struct daemon *d);
/* serve.endpoint could not be written at start: try again when due. */
void daemon_endpoint_retry(struct daemon *d);
/* glibc's mmap threshold fixed, and room for connections (RLIMIT_NOFILE) */
void daemon_process_limits(void);

/* daemon_log.c */
/* One line on stderr: "stoa: HH:MM:SS message"; with --quiet only those
 * that are always said. */
void daemon_log(struct daemon *d, int always, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whether a line of kind may be logged now (DAEMON_LOG_BURST per
 * window); the others are counted, and said by ratelog_tick. */
int ratelog_allow(struct daemon *d, enum ratelog_kind k);
/* Says the counts of a window that ended (final: of any). */
void ratelog_tick(struct daemon *d, int final);

/* peer.c */
/* A new dialed peer for endpoint (its connection attempts start now),
 * with the keys of the current epoch (past 0) or of past epoch past-1. */
struct peer *peer_dial(struct daemon *d, const char *endpoint,
		       enum peer_kind kind, unsigned past, struct err *e);
/* A free slot (or a dropped incoming peer's, freed), or NULL. */
struct peer *peer_slot(struct daemon *d);
void peer_free(struct peer *p);
/* "8a88e3dd (endpoint)" for a peer's member key, or its endpoint. */
const char *peer_name(struct peer *p, char buf[96]);
/* repl_ops.send: on the peer's DEALER, or the ROUTER with its rid. */
int peer_send(void *arg, const uint8_t *p, size_t len, struct err *e);
/* A fresh session (HELLO sent): the state becomes SESSION. */
int peer_session_start(struct peer *p, struct err *e);
/* Ends p's session, if one runs, and puts p in state next. */
void peer_session_end(struct peer *p, enum peer_state next);
/* Hands one frame to p's session and acts on the verdict. */
void peer_frame(struct peer *p, const uint8_t *data, size_t len);
/* Ends p's session because of rc (why: one line); see peer.c. */
void peer_drop(struct peer *p, int rc, const char *why);
/* The session with node (authenticated), other than except, if any. */
struct peer *peer_with_node(struct daemon *d,
			    const uint8_t node[KEY_PUBLIC_LEN],
			    const struct peer *except);
/* Dialed peers' sockets: frames, and connection events. */
void peer_read_dealer(struct peer *p);
void peer_read_monitor(struct peer *p);
/* Sessions that must start again (stalled, restarts, dropped dialed). */
void peer_restarts(struct daemon *d);
/* Passes on what waits in the outboxes: 1 if some still waits. */
int peer_drain_all(struct daemon *d);

/* epoch.c */
/* The keys of the community file's current and past epochs. */
int epoch_keys_init(struct daemon *d, struct err *e);
void epoch_keys_wipe(struct daemon *d);
/* A peer's keys: its epoch's server key with this member's pair. */
const struct transport_keys *epoch_peer_keys(const struct peer *p);
const uint8_t *epoch_peer_hello(const struct peer *p);
/* 1 if node may hold a session on a past epoch: the rotation in force
 * is sealed to it. */
int epoch_named(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN]);
/* Every turn (serve): a rotation in force adopted, the move to its keys
 * when due, the listening socket bound again. */
void epoch_tick(struct daemon *d);
/* daemon_invite.c: the roles this node's mentor invites owe their
 * joiners, written at most every DAEMON_INVITE_MS when entries came. */
void daemon_invite_tick(struct daemon *d);
/* How long the loop may wait while a move is due. */
int epoch_timeout(const struct daemon *d, int timeout);

/* incoming.c */
/* Answers the ZAP requests (handshakes on the ROUTER): bans. */
void incoming_zap(struct daemon *d);
/* Reads the listening ROUTER: admits new sessions, hands frames on. */
void incoming_read(struct daemon *d);
/* Refuses key at the CURVE handshake for DAEMON_BAN_MS. */
void incoming_ban(struct daemon *d, const uint8_t curve[KEY_PUBLIC_LEN]);
/* One ERROR (STOA_EPERM) to the peer at rid: we will not talk to it. */
void incoming_refuse(struct daemon *d, const uint8_t *rid, size_t rid_len,
		     const char *why);
/* Frees incoming peers whose connection is gone (node: only its). */
void incoming_probe(struct daemon *d, const uint8_t *node);
/* Refuses an mDNS-found session from a node we dial with --peer. */
void incoming_refuse_duplicates(struct daemon *d);

/* control.c */
/* Binds ipc://HOME/control (serve), or logs why there is none. */
int control_open(struct daemon *d, struct err *e);
/* Reads up to DAEMON_FRAMES_PER_PASS requests and acts on each. */
void control_read(struct daemon *d);
/* Sends one request to the daemon of dir, if one runs (best effort). */
void control_send(const char *dir, const struct daemon_req *r);

/* dial.c */
/* Starts discovery, if the options and the listen endpoint allow. */
int dial_start(struct daemon *d, struct err *e);
/* Lets discovery say goodbye (a short loop of its own), then frees it. */
void dial_stop(struct daemon *d);
/* Dials the nodes found, once each; lets go of needless dials. */
void dial_tick(struct daemon *d);
/* The found node with key node, or NULL. */
struct found *dial_found(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN]);
/* The peer dialing f, if it still is; else f dials nothing (NULL). */
struct peer *dial_found_peer(struct daemon *d, struct found *f);

/* dial_lan.c: what differs in a sync --lan (o->lan_wait_ms) */
/* Whether a node told of by discovery (f: known already, or NULL) at
 * endpoint is one to sync with: found within the browse time, its
 * exchange not over, and not of a past epoch the rotation does not name.
 * A node that failed at an address before it answered is revived (its
 * dial let go) when told of at another one, DAEMON_LAN_TRIES_MAX dials
 * at most: a record replayed at a false address costs only its dial. */
int dial_lan_wanted(struct daemon *d, struct found *f,
		    const uint8_t node[KEY_PUBLIC_LEN], const char *endpoint,
		    unsigned past, uint64_t now);
/* The exchange with f's node is over: failed (rc, why) unless a session
 * with it settled before. dial_tick lets its dial go; never dialed again. */
void dial_lan_fail(struct daemon *d, struct found *f, int rc,
		   const char *why);
/* The same for the node mDNS peer p was dialed for (peer.c). */
void dial_lan_failed(struct peer *p, int rc, const char *why);
/* dial_tick's turn for f (its dial p, or NULL): 1 if its exchange is
 * over (its dial let go), so dial_tick is done with it. */
int dial_lan_tick(struct daemon *d, struct found *f, struct peer *p,
		  uint64_t now);
/* lan: 1 when the browse time is over and every node found has settled
 * (its session, now) or failed; notes which ones settled. */
int dial_lan_done(struct daemon *d);
/* lan: every node not yet settled has failed with why (the timeout). */
void dial_lan_give_up(struct daemon *d, const char *why);
/* lan: one result per node found into o->lan and sum->nlan (before the
 * teardown, while the sessions' counts are live); a record of a key this
 * store holds no feed of, that never answered as a node and failed, is
 * not a node found: it is only counted (sum->lan_unanswered). */
void dial_lan_results(struct daemon *d);
/* lan: the nodes found and synced so far, the browse time left. */
void dial_lan_progress(struct daemon *d, struct daemon_progress *pr);
/* lan: whether this store holds a feed of node (a member it knows). */
int dial_lan_known(struct daemon *d, const uint8_t node[KEY_PUBLIC_LEN]);
/* lan, the table of found nodes full: the index of the slot of a record
 * of a key this store does not know that has not answered as a node
 * (its dial let go, the slot cleared, counted as unanswered), so that a
 * known member found after a flood of forged records still gets one;
 * DAEMON_PEERS_MAX if none. */
size_t dial_lan_evict(struct daemon *d);

#endif
