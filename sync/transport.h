/*
 * transport: the thin ZeroMQ layer under the replication protocol, and the
 * only file of stoa that includes <zmq.h>. It owns the CURVE setup of every
 * socket (docs/protocol.md, "Sockets and security"): a node's ROUTER is a
 * CURVE server holding the community server key pair, each DEALER dials as
 * a CURVE client with the member's own key converted to Curve25519, so only
 * holders of the community secret complete a handshake. It moves opaque
 * single frames of at most MSG_MAX bytes and never blocks: sends and
 * receives are ZMQ_DONTWAIT, and the caller's one loop waits in
 * transport_poll. It never logs, never interprets the bytes it carries,
 * and never aborts on anything a peer sends. Sockets and the context are
 * opaque void pointers, so no caller needs <zmq.h>.
 */
#ifndef STOA_TRANSPORT_H
#define STOA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "err.h"
#include "key.h"

#define TRANSPORT_KEY_LEN 32
#define TRANSPORT_RID_MAX 255        /* a ZeroMQ routing id is 1..255 bytes */
#define TRANSPORT_ENDPOINT_MAX 256   /* room for any ZMQ_LAST_ENDPOINT */
/* ZMQ_SNDHWM and ZMQ_RCVHWM, in messages. An honest peer keeps at most
 * REPL_WINDOW runs in flight; a burst of HAVEs that reaches the mark makes
 * the daemon restart that session (nothing is lost), and a peer that asks
 * and never reads is dropped when its queue is full. With frames of at
 * most MSG_MAX, one connection can make libzmq hold at most about
 * 64 x 1.06 MiB each way. */
#define TRANSPORT_HWM 64
#define TRANSPORT_HEARTBEAT_IVL 1000 /* ms */
#define TRANSPORT_HEARTBEAT_TIMEOUT 2000 /* a dead peer noticed in about 2 s */
#define TRANSPORT_HEARTBEAT_TTL 6000
#define TRANSPORT_RECONNECT_IVL 100  /* ms, DEALER */
#define TRANSPORT_RECONNECT_IVL_MAX 5000
/*
 * libzmq checks ZMQ_MAXMSGSIZE against the frame on the wire, which under
 * CURVE is the encrypted MESSAGE command: "\x07MESSAGE" (8), nonce (8),
 * MAC (16), flags (1), then the frame. The limit set on every socket is
 * MSG_MAX plus this, so a MSG_MAX frame passes and a bigger one makes
 * libzmq drop the connection.
 */
#define TRANSPORT_CURVE_OVERHEAD 33
/* Storage for one zmq_msg_t (64 bytes, pointer-aligned; asserted in .c). */
#define TRANSPORT_MSG_IMPL 64

/* The CURVE keys of one node. Secrets: wipe with transport_keys_wipe. */
struct transport_keys {
	uint8_t server_pk[TRANSPORT_KEY_LEN]; /* community server pair */
	uint8_t server_sk[TRANSPORT_KEY_LEN];
	uint8_t client_pk[TRANSPORT_KEY_LEN]; /* the member's, as Curve25519 */
	uint8_t client_sk[TRANSPORT_KEY_LEN];
};

/*
 * Fills t from the member's Ed25519 key and the community secret. 0, or
 * STOA_ECRYPTO if member's public key does not convert (t is then wiped);
 * a key made by key_generate or read by key_file_read always converts.
 */
int transport_keys_init(struct transport_keys *t, const struct key *member,
			const struct community *c, struct err *e);
void transport_keys_wipe(struct transport_keys *t); /* NULL-safe */

/* A ZeroMQ context (zmq_ctx_new); NULL on failure. Free with
 * transport_ctx_free after every socket is closed. */
void *transport_ctx_new(void);
void transport_ctx_free(void *ctx); /* zmq_ctx_term; NULL-safe */

/*
 * A ROUTER bound to endpoint as a CURVE server with the community server
 * key, ZMQ_ROUTER_MANDATORY on. The endpoint really bound (after an
 * OS-chosen port such as "tcp://127.0.0.1:0") is copied to bound (may be
 * NULL; truncated to bound_cap, always NUL-terminated). On success *sock
 * is the caller's to transport_close. Errors: "cannot bind 'tcp://...':
 * Address already in use" (STOA_EBUSY), a malformed endpoint (STOA_EINVAL),
 * libzmq without CURVE (STOA_ECRYPTO), anything else STOA_EIO.
 */
int transport_listen(void *ctx, const struct transport_keys *t,
		     const char *endpoint, void **sock, char *bound,
		     size_t bound_cap, struct err *e);
/*
 * A DEALER connecting to endpoint as a CURVE client (client pair = the
 * member's, server key = the community server public key). Connecting is
 * asynchronous: success means the attempt started; libzmq reconnects on
 * its own (100 ms, backing off to 5 s). Frames sent before the handshake
 * completes are queued (up to TRANSPORT_HWM). Errors as transport_listen.
 */
int transport_dial(void *ctx, const struct transport_keys *t,
		   const char *endpoint, void **sock, struct err *e);
void transport_close(void *sock); /* linger 0, drops queued frames; NULL-safe */

/*
 * Sends one frame of len <= MSG_MAX bytes without blocking: on a DEALER
 * rid must be NULL; on a ROUTER rid/rid_len name the peer (from
 * transport_recv). STOA_EBUSY if the peer's queue is full (try later),
 * STOA_ENOTFOUND if a ROUTER has no such peer (it went away),
 * STOA_EINVAL for a frame over MSG_MAX or a bad rid, else STOA_EIO.
 */
int transport_send(void *sock, const uint8_t *rid, size_t rid_len,
		   const void *p, size_t len, struct err *e);

/* A received frame; f->data borrows f's own storage until release. */
struct transport_frame {
	_Alignas(8) unsigned char impl[TRANSPORT_MSG_IMPL]; /* opaque */
	int held;                    /* impl holds a message to release */
	const uint8_t *data;
	size_t len;
	uint8_t rid[TRANSPORT_RID_MAX + 1]; /* ROUTER only */
	size_t rid_len;
};

/*
 * Receives one message without blocking. 1: f holds a frame (and, when
 * is_router, the sender's routing id); release it with
 * transport_frame_release. 0: nothing waiting (f holds nothing).
 * STOA_EPROTO: a message that was not one frame (a multipart message from
 * a peer that is not stoa); it was discarded, and for a ROUTER f->rid
 * names the sender so the caller may drop it. Else STOA_EIO. libzmq itself
 * has already dropped any peer that sent more than MSG_MAX.
 */
int transport_recv(void *sock, int is_router, struct transport_frame *f,
		   struct err *e);
void transport_frame_release(struct transport_frame *f); /* idempotent */

/*
 * A monitor of sock's connections: *mon is a socket to poll (and close
 * with transport_close before sock) whose events transport_monitor_event
 * reads. Used on DEALERs to start a session each time the CURVE handshake
 * with the peer completes, and to notice it going away.
 */
int transport_monitor(void *ctx, void *sock, void **mon, struct err *e);
/*
 * Stops monitoring sock and closes mon (NULL-safe); call it before closing
 * sock. Closing mon alone could block libzmq's I/O thread for good.
 */
void transport_monitor_close(void *sock, void *mon);
/*
 * Reads one event without blocking: 1 with *up = 1 (a handshake
 * succeeded: the peer is there), 0 (disconnected), -1 (a handshake
 * failed: the peer is of another community, or not stoa) or -2 (a
 * connection attempt failed: nothing listens there, or no route; libzmq
 * tries again); 0 if no event waits; other events are skipped.
 */
int transport_monitor_event(void *mon, int *up, struct err *e);

/*
 * The home's control socket: a plain ROUTER (listen) or DEALER (dial)
 * over ipc, with no CURVE: only the home's owner can reach it, because
 * the socket file lives in the home directory (mode 0700).
 */
int transport_control_listen(void *ctx, const char *endpoint, void **sock,
			     struct err *e);
int transport_control_dial(void *ctx, const char *endpoint, void **sock,
			   struct err *e);
/* Closes sock after giving queued frames up to linger_ms to go out. */
void transport_close_linger(void *sock, int linger_ms);

/* A raw file descriptor in transport_poll: events and revents are
 * poll(2)'s POLLIN, POLLOUT (and, in revents, POLLERR). */
struct transport_pollfd {
	int fd;
	short events;
	short revents;
};

/*
 * One zmq_poll over sockets (readable: a message waiting) and raw fds
 * (fds[i].events), for at most timeout_ms (-1: no limit). Fills
 * sock_ready[i] with 1 or 0 (may be NULL when nsocks is 0) and
 * fds[i].revents. Returns the number ready, 0 on timeout or when a signal
 * interrupted the wait (every flag 0), or STOA_ENOMEM / STOA_EIO.
 */
int transport_poll(void **socks, int nsocks, struct transport_pollfd *fds,
		   int nfds, int timeout_ms, int *sock_ready, struct err *e);

#endif
