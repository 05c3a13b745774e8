/*
 * daemon: the node's network side, one thread around one poll (see
 * docs/architecture.md and docs/protocol.md). It listens on a ROUTER,
 * dials static peers with DEALERs, runs one replication session (sync/repl)
 * per connection over the home's store, answers the control socket of the
 * home (nudges from local writes, status requests), and logs to stderr.
 * The same loop runs `stoa serve` (until a signal) and `stoa sync` (until
 * every dialed peer has settled).
 *
 * Its files and their jobs are listed in daemon_int.h, the header they
 * share; nothing outside them sees struct daemon.
 *
 * Files in the home while a daemon runs: serve.lock (held with an OFD
 * lock: a second daemon on the home is refused), serve.endpoint (the
 * endpoint really bound, for tests and `stoa status`), control (the ipc
 * socket).
 */
#ifndef STOA_DAEMON_H
#define STOA_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "discovery.h"
#include "home.h"
#include "msg.h"

#define DAEMON_LISTEN_DEFAULT "tcp://*:7647"
#define DAEMON_PEERS_MAX 64          /* connections, dialed + accepted */
#define DAEMON_ENDPOINT_FILE "serve.endpoint"
#define DAEMON_CONTROL_FILE "control"
#define DAEMON_FRAMES_PER_PASS 256   /* frames read per socket per pass */
/* A pass stops reading after this long, so its transaction (the store's
 * write lock) is never held long: a `stoa post` meanwhile waits at most
 * about this, never the store's busy timeout. */
#define DAEMON_PASS_MS 250
#define DAEMON_CONTROL_TIMEOUT_MS 2000
#define DAEMON_PING_MS 5000          /* how often incoming peers are probed */
#define DAEMON_RETRY_MS 5000         /* a dropped dialed peer, tried again */
#define DAEMON_STALL_MS 5000         /* an unsettled, silent session restarts */
/* A dialed connection with no handshake done this long is dropped and
 * dialed anew on a fresh socket: under load, libzmq (4.3.4) now and then
 * leaves one connection ESTABLISHED with its CURVE handshake stuck and no
 * event, past ZMQ_HANDSHAKE_IVL, while a new connection goes through. */
#define DAEMON_DIAL_STALL_MS 5000
/* How often a settled session's hold of the governance feeds is recorded
 * (store_peer_seen, for `stoa governance`), at most. */
#define DAEMON_SPREAD_MS 10000
/* A rotation adopted: the sessions of the old epoch have this long to
 * pass it on before the node moves to the new keys (DAEMON_REKEY_MS),
 * and the listening socket is bound again within DAEMON_REBIND_MS (the
 * old one lets go of the port asynchronously). */
#define DAEMON_REKEY_MS 2000
#define DAEMON_REBIND_MS 5000
#define DAEMON_REBIND_POLL_MS 20
#define DAEMON_SPREAD_FEEDS 256 /* governance authors recorded per peer */
#define DAEMON_DAY_MS 86400000ull /* discovery's record is new each day */
#define DAEMON_DIAL_GRACE_MS 1500   /* a node found by mDNS whose key is
					* lower than ours dials us; after
					* this we dial it anyway */
#define DAEMON_MDNS_GIVEUP_MS 15000 /* a found node not reached in this
					* long: its address is tried last */
#define DAEMON_MDNS_BACKOFF_MS 10000 /* ... and it is dialed again after */
#define DAEMON_MDNS_DIALS_MAX 32     /* connections dialed for mDNS finds:
					* the other half stays for incoming
					* and static peers */
#define DAEMON_INVITE_MS 1000       /* the most often invites are looked at */
#define DAEMON_INVITE_RETRY_MS 30000 /* after a failure other than a lock */
#define DAEMON_STORE_RETRY_MS 2000   /* a store that failed a write (disk
				      * full) is tried again this often */
#define DAEMON_BUSY_MS 20            /* the longest a pass waits for the
					* store's lock (another process) */
/* A member may hold this many sessions it dialed in at once (a daemon's
 * mDNS dial, a `stoa sync`, one reconnecting): more are refused, so one
 * member cannot take every peer slot with many connections. */
#define DAEMON_SESSIONS_PER_MEMBER 4
/* A member key dropped for misbehaving (strikes, not reading what it asked
 * for) is refused at the CURVE handshake for this long (ZAP): its new
 * connections cost a handshake, not a session. At most DAEMON_BANS_MAX
 * keys are remembered (the oldest ban makes room). */
#define DAEMON_BAN_MS 60000
#define DAEMON_BANS_MAX 64
/* A flood of refused HELLOs probes the incoming peers at most this
 * often. */
#define DAEMON_PROBE_MIN_MS 100
/* The open files the daemon asks for (RLIMIT_NOFILE, soft), within the
 * hard limit: each connection libzmq holds is one. */
#define DAEMON_FILES_MAX 4096
/* Peers' problems (refused connections, refused runs, strikes, drops) are
 * logged at most DAEMON_LOG_BURST lines of each kind per
 * DAEMON_LOG_WINDOW_MS; the rest are counted in one line at the end of
 * the window, so a hostile member cannot fill the disk through the log. */
#define DAEMON_LOG_WINDOW_MS 10000
#define DAEMON_LOG_BURST 5
/* While a session's outbox holds frames (its peer's queue was full), the
 * loop wakes this often to pass them on. */
#define DAEMON_DRAIN_MS 10
#define DAEMON_YIELD_MS 20           /* after a pass that held the store's
					* write lock DAEMON_PASS_MS / 2 or more,
					* the next one waits this long, so a
					* `stoa post` waiting gets its turn */

#define DAEMON_LAN_TRIES_MAX 4      /* sync --lan: dials of one node (its
				     * records' addresses, one after the
				     * other as each fails) */
/* lan: the result of one node found. */
#define DAEMON_LAN_WHY_MAX 200
struct daemon_lan_peer {
	uint8_t node[KEY_PUBLIC_LEN];        /* its member key */
	char endpoint[DISCOVERY_ENDPOINT_MAX]; /* where it was dialed */
	uint64_t entries_in;                 /* received from it */
	uint64_t entries_out;                /* sent to it */
	double found_after;                  /* seconds from the start */
	double seconds;                      /* found to settled (or failed) */
	int rc;                              /* 0 synced, else STOA_E* */
	char why[DAEMON_LAN_WHY_MAX];        /* rc != 0: what went wrong */
};

/* What a `stoa sync` has exchanged so far, for its progress line. */
struct daemon_progress {
	uint64_t entries_in;         /* received */
	uint64_t entries_out;        /* sent */
	uint64_t entries_expected;   /* the peers' announced total for us
				      * (may be below entries_in) */
	int done;                    /* the last call: the exchange ended */
	int lan;                     /* sync --lan: the three below are set
				      * (and the counts are the nodes') */
	size_t lan_found;            /* nodes found so far */
	size_t lan_synced;           /* ... of them, synced */
	int lan_left_s;              /* seconds of the browse left, 0 over */
};

struct daemon_opts {
	const char *listen;          /* NULL: do not listen (stoa sync) */
	const char *const *peers;    /* endpoints to dial */
	size_t npeers;
	int once;                    /* stop when every dialed peer settled */
	int timeout_ms;              /* once: give up after this (0: never) */
	/* once: called with the counts after a pass, at most every 200 ms,
	 * and a last time with done set when the loop ends (NULL: never).
	 * It draws; the daemon prints nothing of it. */
	void (*progress)(void *arg, const struct daemon_progress *p);
	void *progress_arg;
	int quiet;                   /* no log lines but errors */
	int verbose;                 /* a line per run stored from a peer */
	enum discovery_mode discovery; /* serve: how to find peers (mDNS);
					* lan: how to browse */
	/* once (stoa sync --lan): no static peers; find the nodes of the
	 * community by mDNS for lan_wait_ms (browsing only: this node
	 * publishes nothing and does not listen), dial each one found in
	 * that time as soon as it is found, and stop when the time is over
	 * and every one found has settled or failed (or at timeout_ms).
	 * A peer that fails ends only its own exchange. Each one found gets
	 * a result in lan[] (room for DAEMON_PEERS_MAX, the caller's). */
	int lan_wait_ms;             /* 0: not lan */
	struct daemon_lan_peer *lan;
};

struct daemon_summary {
	uint64_t entries_in;
	uint64_t entries_out;
	uint64_t bytes_in;
	uint64_t bytes_out;
	double seconds;
	int settled;                 /* once: every dialed peer settled
				      * (lan: the loop ended by itself, not
				      * by a signal; see lan[].rc) */
	size_t nlan;                 /* lan: results in o->lan */
	size_t lan_unanswered;       /* lan: records of keys this store
				      * holds no feed of that never answered
				      * as a node (no line in o->lan) */
};

/*
 * Runs the loop until SIGINT/SIGTERM (or, with once, until settled or
 * timed out). 0 on a clean stop; STOA_EBUSY if another daemon holds the
 * home; other STOA_E* for a failure to start (bind, keys, store).
 */
int daemon_run(struct home *h, const struct daemon_opts *o,
	       struct daemon_summary *sum, struct err *e);

/*
 * Control requests: one frame each, sent to `ipc://HOME/control` by the
 * `stoa` commands of the same home (docs/architecture.md §8):
 *   off len  field
 *     0   1  type: 'N' nudge, 'R' rescan, 'S' status
 *     1  32  nudge only: author
 *    33   8  nudge only: seq, big-endian, 1..ENTRY_MAX_SEQ
 *    41  32  nudge only: id of the feed's new head
 * 'R' and 'S' are exactly 1 byte. Anything else is refused (and ignored
 * by the daemon).
 */
#define DAEMON_REQ_MAX (1 + MSG_TRIPLE_LEN) /* the longest: a nudge */

enum daemon_req_type {
	DAEMON_REQ_NUDGE = 'N',  /* a local write grew a feed */
	DAEMON_REQ_RESCAN = 'R', /* a sync on this home brought entries */
	DAEMON_REQ_STATUS = 'S', /* answered with one JSON frame */
};

struct daemon_req {
	enum daemon_req_type type;
	struct msg_head head;    /* nudge only */
};

/* Parses one control frame: 0, or STOA_EPROTO with the reason in e. */
int daemon_req_decode(const uint8_t *p, size_t len, struct daemon_req *r,
		      struct err *e);
/* Encodes r into out; returns its length (1 or DAEMON_REQ_MAX). */
size_t daemon_req_encode(const struct daemon_req *r,
			 uint8_t out[DAEMON_REQ_MAX]);

/*
 * Tells a daemon running on home dir that a feed grew (best effort, never
 * blocks more than a few ms, silent when no daemon runs).
 */
void daemon_nudge(const char *dir, const struct msg_head *head);

/*
 * Asks the daemon running on home dir for its status: 0 and a JSON object
 * (caller frees) in *json; STOA_ENOTFOUND if none answers in time.
 */
int daemon_status(const char *dir, char **json, struct err *e);

#endif
