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
/* ZMQ_SNDHWM, in messages: what libzmq holds for a peer that does not
 * read before a send says STOA_EBUSY. Kept small, because libzmq counts
 * frames, not bytes: the rest waits in the session's outbox, which is
 * bounded in bytes (REPL_OUTBOX_MAX). A peer that reads drains this into
 * its TCP connection at once, so it is rarely reached. */
#define TRANSPORT_SNDHWM 4
/* ZMQ_RCVHWM, in messages: frames libzmq reads ahead from one peer before
 * TCP pushes back on it. */
#define TRANSPORT_RCVHWM 64
/* ZMQ_HANDSHAKE_IVL, ms: a connection whose ZMTP/CURVE handshake (the
 * server's ZAP answer included) has not completed in this long is closed,
 * and a dialing DEALER connects again. An honest handshake takes
 * milliseconds; this bounds a peer that never finishes one, and a
 * handshake that hangs (seen rarely under load: libzmq issue #2733). */
#define TRANSPORT_HANDSHAKE_IVL 3000
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
 * completes are queued (up to TRANSPORT_SNDHWM). Errors as transport_listen.
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

#define TRANSPORT_ADDR_MAX 64        /* a peer's IP address, as text */

/* A received frame; f->data borrows f's own storage until release. */
struct transport_frame {
	_Alignas(8) unsigned char impl[TRANSPORT_MSG_IMPL]; /* opaque */
	int held;                    /* impl holds a message to release */
	const uint8_t *data;
	size_t len;
	uint8_t rid[TRANSPORT_RID_MAX + 1]; /* ROUTER only */
	size_t rid_len;
	/* ROUTER with a ZAP handler (transport_zap_listen): the CURVE
	 * public key the sender's connection was made with */
	int has_peer_key;
	uint8_t peer_key[TRANSPORT_KEY_LEN];
	char peer_addr[TRANSPORT_ADDR_MAX]; /* "" if libzmq gave none */
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
 * ZAP (ZeroMQ RFC 27): a socket in ctx that libzmq asks, during each
 * CURVE handshake on a listening socket of ctx, whether to admit the
 * client, so the node learns (and can refuse) the key each connection is
 * made with. Bind it before transport_listen; poll it with the rest and
 * answer every request with transport_zap_reply at once: the handshake
 * waits for the answer. Closed with transport_close.
 */
int transport_zap_listen(void *ctx, void **sock, struct err *e);

struct transport_zap_req {
	char request_id[64];          /* echoed in the reply */
	size_t request_id_len;
	int curve;                    /* mechanism CURVE with a client key */
	uint8_t client_key[TRANSPORT_KEY_LEN];
	char addr[TRANSPORT_ADDR_MAX];
};

/* Reads one ZAP request without blocking: 1 (req filled), 0 (none), or
 * STOA_EIO. A malformed request is answered (refused) here, and 0. */
int transport_zap_recv(void *sock, struct transport_zap_req *req,
		       struct err *e);
/* Answers req: allow, or refuse (libzmq closes that connection). The
 * client key, as 64 hex digits, becomes the connection's User-Id, which
 * transport_recv reports as peer_key. */
int transport_zap_reply(void *sock, const struct transport_zap_req *req,
			int allow, struct err *e);

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
