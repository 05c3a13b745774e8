/*
 * repl: the replication state machine of one peer connection (see
 * docs/protocol.md). Sans-I/O: repl_recv takes one frame from the peer,
 * and every frame to send goes out through ops->send; the store is
 * reached only through ops, so two replicas can be wired together in
 * memory in a unit test, and the daemon wires them to ZeroMQ. It never
 * logs: problems come back in struct err for node/ to log and decide on.
 *
 * A node replicates every feed of its community: whatever the peer holds
 * ahead of this store is pulled, whoever wrote it.
 */
#ifndef STOA_REPL_H
#define STOA_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "msg.h"

#define REPL_WINDOW 4          /* WANTs in flight per peer */
#define REPL_STRIKES_MAX 3     /* malformed messages before a drop */
#define REPL_WANTS_MAX 20000   /* feeds waiting to be pulled per peer */
#define REPL_HELLO_DOMAIN "stoa-hello-v1"
#define REPL_FORK 2            /* ingest_run: a fork, its proof recorded */
#define REPL_FORK_KNOWN 3      /* ingest_run: fork evidence adding nothing */
#define REPL_CUT 4             /* ingest_run: this store takes no more of
				* that feed (its author was removed): the
				* entries after its cut-off were dropped */
/* The peer's WANTs waiting for an answer while the frames before them
 * have not left (an honest peer has at most REPL_WINDOW in flight, and a
 * few more across a restart); one more is refused with a strike. */
#define REPL_ASKS_MAX (2 * REPL_WINDOW)
/* Bytes of frames waiting in the outbox because the peer's queue in the
 * transport is full (it does not read). A WANT is answered only while
 * the outbox holds less than MSG_RUN_BYTES, so the outbox holds at most
 * one run beyond what else was sent; a frame that would pass this bound
 * ends the session: the peer does not read what it asked for. */
#define REPL_OUTBOX_MAX (4 * 1024 * 1024)
/* HELLOs that restart the session with nothing exchanged since the last
 * one: beyond this each costs a strike (a HELLO makes this node read and
 * send its whole frontier). */
#define REPL_RESTARTS_FREE 8
/* Runs of held entries lacking their payload asked for per session. */
#define REPL_REPAIRS_MAX 64
/* Fork probes per session: a feed whose head the peer names at a seq
 * this store holds under another id, or whose next entry links to
 * another history, is asked for that one entry, whose proof the store
 * then records (docs/protocol.md, "Fork probes"). At most this many are
 * asked a session, and REPL_PROBES_QUEUE wait at once (more are dropped:
 * a later session asks for them). */
#define REPL_PROBES_MAX 16
#define REPL_PROBES_QUEUE 4

/* What the state machine needs from the store and the socket. ctx is
 * the store side, peer the socket side; each returns 0 or STOA_E*. */
struct repl_ops {
	int (*digest)(void *ctx, uint8_t out[HASH_LEN], uint32_t *feeds,
		      struct err *e);
	int (*frontier)(void *ctx, int (*cb)(const struct msg_head *h, void *arg),
			void *arg, struct err *e);
	int (*head)(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		    uint64_t *seq, struct err *e);
	/* appends one ENTRIES frame answering a WANT to the empty buf b */
	int (*read_run)(void *ctx, struct buf *b,
			const uint8_t author[KEY_PUBLIC_LEN], uint64_t from,
			uint32_t max, struct err *e);
	/* checks and stores a decoded ENTRIES run (all or nothing): 0, or
	 * REPL_FORK when the run showed a fork (recorded; e says where), or
	 * REPL_FORK_KNOWN (fork evidence not recorded: nothing new), or
	 * REPL_CUT (the feed goes no further here: not the peer's fault).
	 * *repaired: held entries lacking their payload that got it */
	int (*ingest_run)(void *ctx, const struct msg *m, uint32_t *stored,
			  uint32_t *repaired, struct err *e);
	/* the first entries held without payload after (after, seq):
	 * 1 with author, from, count; 0 if none */
	int (*next_hole)(void *ctx, const uint8_t after[KEY_PUBLIC_LEN],
			 uint64_t seq, uint8_t author[KEY_PUBLIC_LEN],
			 uint64_t *from, uint32_t *count, struct err *e);
	/* sends one frame to the peer: 0, STOA_EBUSY if the peer's queue is
	 * full (the frame waits in the outbox), or another STOA_E* */
	int (*send)(void *peer, const uint8_t *p, size_t len, struct err *e);
	/* optional (NULL: no probe of equal heads): the id of this store's
	 * head of author's feed into id, its seq into *seq (0: none held) */
	int (*head_id)(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t *seq, uint8_t id[ENTRY_ID_LEN], struct err *e);
	/* optional (NULL: every fork seen is probed): 1 if a fork of
	 * author's feed at seq would add nothing to this store (its proof
	 * is held), 0 if it would be recorded, or a STOA_E* (no probe) */
	int (*fork_proven)(void *ctx, const uint8_t author[KEY_PUBLIC_LEN],
			   uint64_t seq, struct err *e);
};

/* One entry asked for to prove a fork (REPL_PROBES_MAX). */
struct repl_probe {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t seq;
};

struct repl_want {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t target;  /* the peer holds up to this seq */
	uint64_t from;    /* the seq the WANT in flight asked from */
	int in_flight;
};

/* A WANT of the peer's waiting for the outbox to empty. */
struct repl_ask {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t from;
	uint32_t max;
};

/*
 * What the session knows of one feed on each side, for repl_lacks: this
 * store's head, and the highest seq the peer is known to hold (from its
 * FRONTIER and HAVEs, the runs it sent and the runs sent to it).
 */
struct repl_known {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t ours;
	uint64_t theirs;
	int theirs_known; /* 0: not learnt yet (digests equal at HELLO) */
};

/* A frame that could not be sent yet (owned). */
struct repl_frame {
	struct repl_frame *next;
	size_t len;
	uint8_t data[];
};

struct repl_stats {
	uint64_t expected_in;  /* entries the peer announced that we lacked */
	uint64_t entries_in;   /* new entries stored from this peer */
	uint64_t repaired;     /* payloads of held entries it brought */
	uint64_t entries_out;  /* entries sent to it */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t msgs_in;
	uint64_t msgs_out;
};

struct repl {
	const struct repl_ops *ops;
	void *ctx;
	void *peer;
	uint8_t self[KEY_PUBLIC_LEN];
	uint8_t hello_key[32];    /* secret: wiped by repl_release */
	uint8_t peer_node[KEY_PUBLIC_LEN];
	int got_hello;            /* the peer authenticated (stays set) */
	int awaiting_hello;       /* our HELLO went out; the next is handled */
	uint8_t sent_digest[HASH_LEN];
	uint32_t sent_feeds;
	int frontier_done;        /* the peer's frontier is all in */
	int frontier_any;         /* a FRONTIER sequence is under way */
	uint8_t frontier_last[KEY_PUBLIC_LEN]; /* its last author so far */
	int equal_at_hello;       /* digests were equal: nothing to do */
	int got_done;             /* the peer has pulled all it wanted */
	int sent_done;
	unsigned in_flight;
	unsigned strikes;
	struct repl_want *wants;  /* owned */
	size_t nwants, cap;
	struct buf *scratch;      /* borrowed: one outgoing frame at a time,
				   * shared by all peers of one loop */
	struct repl_stats stats;
	uint32_t hello_flags;     /* set by the owner: added to every HELLO */
	uint32_t peer_flags;      /* the flags of the peer's last HELLO */
	/* each side's head of every feed either announced, sorted by
	 * author; strangers: those inserted that this store did not hold,
	 * at most REPL_WANTS_MAX a session */
	struct repl_known *known; /* owned */
	size_t nknown, known_cap, strangers;
	/* frames waiting for the peer's queue to take them, oldest first */
	struct repl_frame *out_head, *out_tail;
	size_t out_bytes;
	struct repl_ask asks[REPL_ASKS_MAX]; /* the peer's WANTs waiting */
	unsigned nasks;
	unsigned restarts;        /* peer HELLOs since entries last moved */
	int holes;                /* our last HELLO said MSG_HELLO_HOLES */
	/* repair: asking the peer for payloads this store lacks */
	int repair_done;          /* no hole left to ask it for */
	int repair_in_flight;
	unsigned repairs;         /* holes asked for this session */
	uint8_t repair_author[KEY_PUBLIC_LEN]; /* the hole asked for, and */
	uint64_t repair_from;     /* the cursor of the next one */
	uint32_t repair_count;
	/* fork probes: one held entry asked for again, the peer's own */
	struct repl_probe probes[REPL_PROBES_QUEUE]; /* waiting, oldest first */
	unsigned nprobes;
	unsigned probes_asked;    /* this session */
	int probe_in_flight;      /* probes[0] was asked */
};

/*
 * Embedded lifecycle. hello_key is the community's (COMMUNITY_KEY_HELLO).
 * scratch (a buf with max MSG_MAX) is borrowed for building frames; one
 * can serve every peer of a single-threaded loop, so memory does not grow
 * with the number of peers.
 */
void repl_init(struct repl *r, const struct repl_ops *ops, void *ctx,
	       void *peer, const uint8_t self[KEY_PUBLIC_LEN],
	       const uint8_t hello_key[32], struct buf *scratch);
void repl_release(struct repl *r);

/* Sends HELLO. */
int repl_start(struct repl *r, struct err *e);

/*
 * Starts the session again on a connection that stays: forgets what was
 * being pulled and says HELLO, so both sides compare frontiers anew. The
 * peer stays authenticated, so its frames in flight are not refused.
 */
int repl_restart(struct repl *r, struct err *e);

/*
 * Handles one frame from the peer. Returns 0 when all is well, 1 when the
 * frame was refused but the peer is kept (e says why: log it), or a
 * negative STOA_E* when the peer must be dropped (bad auth, too many
 * strikes, a send that failed).
 */
int repl_recv(struct repl *r, const uint8_t *p, size_t len, struct err *e);

/* A feed grew here (written locally or relayed): tell the peer (HAVE). */
int repl_notify(struct repl *r, const struct msg_head *h, struct err *e);

/*
 * Sends what waits: frames in the outbox, then WANTs that were waiting
 * for it to empty. 0 (all out, or the peer's queue is full again: call
 * it later), or a negative STOA_E* when the peer must be dropped. Call it
 * whenever repl_backlog is not 0.
 */
int repl_drain(struct repl *r, struct err *e);

/* Bytes in the outbox plus WANTs waiting: 0 when nothing waits. */
size_t repl_backlog(const struct repl *r);

/*
 * Ends the session from this side: forgets what it was pulling and the
 * peer's waiting WANTs, and queues one ERROR (code, why) behind what the
 * outbox holds, so the peer reads why after the rest. Call repl_drain
 * until repl_backlog is 0 (or give up), then repl_release.
 */
void repl_close(struct repl *r, int code, const char *why);

/* 1 once both sides have pulled everything the other had at the start. */
int repl_settled(const struct repl *r);

/*
 * Entries each side still lacks, as far as this session knows, summed
 * over the feeds: in, how far the peer's head is known to be beyond this
 * store's; out, how far this store's is beyond the peer's. The peer's
 * heads come from its FRONTIER, its HAVEs (it sends one when a feed grew
 * there, whoever brought the entries) and the runs either side sent;
 * this store's from its FRONTIER, the runs stored from this peer and
 * repl_notify (every other growth). A feed that grew here after a HELLO
 * with equal digests counts once the peer's head in it is learnt.
 */
void repl_lacks(const struct repl *r, uint64_t *in, uint64_t *out);

/* The expected HELLO auth for node (exposed for tests and tools). */
void repl_hello_auth(const uint8_t hello_key[32],
		     const uint8_t node[KEY_PUBLIC_LEN], uint8_t out[HASH_LEN]);

#endif
