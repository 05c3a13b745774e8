/*
 * msg: the replication protocol's wire messages (docs/protocol.md has
 * them byte by byte). Sans-I/O: frames in, structs out; structs in,
 * frames out. msg_decode checks every length and count against its bound
 * before anything is read, and validates the whole frame (including the
 * layout of every entry in an ENTRIES run) so consumers can iterate
 * without further checks. Decoded messages borrow the frame's bytes.
 */
#ifndef STOA_MSG_H
#define STOA_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "entry.h"
#include "err.h"

#define MSG_MAGIC0 0x53 /* 'S' */
#define MSG_MAGIC1 0x59 /* 'Y' */
#define MSG_VERSION 1
#define MSG_HEADER_LEN 4
#define MSG_RUN_MAX 1000              /* entries in one ENTRIES / WANT */
/* A sender stops filling a run here. Small enough that what a peer that
 * asks and never reads can make a node hold stays small (a few runs, see
 * REPL_OUTBOX_MAX), large enough that a run of small entries is limited
 * by MSG_RUN_MAX instead. Receivers take runs up to MSG_MAX. */
#define MSG_RUN_BYTES (256 * 1024)
/* The whole frame (ZMQ_MAXMSGSIZE): a run of 1 MiB (what senders filled
 * runs to before MSG_RUN_BYTES was lowered: they are still taken) plus one
 * more entry of the largest size; a FRONTIER is at most 73 KiB. */
#define MSG_MAX (1024 * 1024 + 64 * 1024)
#define MSG_FRONTIER_MAX 1024         /* triples in one FRONTIER */
#define MSG_TEXT_MAX 256              /* ERROR text */
#define MSG_TRIPLE_LEN 72             /* author 32, seq 8, head 32 */
#define MSG_PAYLOAD_ERASED 0xFFFFFFFFu
/* HELLO flags */
#define MSG_HELLO_REPLY 0x1u /* answers a HELLO that restarted the session */
#define MSG_HELLO_FOUND 0x2u /* the sender dialed because discovery found
			      * the receiver (not a --peer of its own) */
#define MSG_HELLO_HOLES 0x4u /* the sender holds entries without their
			     * payload and will ask for them: a receiver
			     * whose digest is equal waits for its DONE */

enum msg_type {
	MSG_HELLO = 1,
	MSG_FRONTIER = 2,
	MSG_WANT = 3,
	MSG_ENTRIES = 4,
	MSG_HAVE = 5,
	MSG_ERROR = 6,
	MSG_DONE = 7,
	MSG_PING = 8,
};

/* One feed's head: a frontier triple, a HAVE. */
struct msg_head {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t seq;
	uint8_t id[ENTRY_ID_LEN];
};

/* One entry of an ENTRIES run; pointers borrow the frame. To the
 * encoder, payload NULL means erased; an empty payload is a non-NULL
 * pointer with plen 0. */
struct msg_run_entry {
	const uint8_t *signed_bytes; /* ENTRY_SIGNED_LEN bytes */
	const uint8_t *payload;      /* NULL if erased */
	uint32_t plen;               /* 0 if erased */
};

struct msg {
	uint8_t type;
	union {
		struct {
			uint8_t node[KEY_PUBLIC_LEN];
			uint8_t auth[HASH_LEN];
			uint8_t digest[HASH_LEN];
			uint32_t feeds;
			uint32_t flags;
		} hello;
		struct {
			int more;
			uint16_t count;
			const uint8_t *triples; /* count * MSG_TRIPLE_LEN */
		} frontier;
		struct {
			uint8_t author[KEY_PUBLIC_LEN];
			uint64_t from;
			uint32_t max;
		} want;
		struct {
			uint8_t author[KEY_PUBLIC_LEN];
			uint64_t first;
			uint16_t count;
			const uint8_t *body; /* the count entries, validated */
			size_t body_len;
		} entries;
		struct msg_head have;
		struct {
			int code;                  /* a negative STOA_E* */
			char text[MSG_TEXT_MAX + 1]; /* NUL-terminated */
		} error;
	} u;
};

/*
 * Decodes and fully validates one frame. STOA_EPROTO with a one-line
 * reason for anything malformed (short, bad magic/version, unknown type,
 * wrong length, a count over its bound, WANT from 0 or max 0, an ENTRIES
 * entry running past the frame or with a payload over ENTRY_MAX_PAYLOAD).
 */
int msg_decode(struct msg *m, const uint8_t *p, size_t len, struct err *e);

/* Triple i (< count) of a decoded FRONTIER. */
void msg_frontier_get(const struct msg *m, uint16_t i, struct msg_head *h);

/* Iterates the entries of a decoded ENTRIES message. */
struct msg_run_iter {
	const uint8_t *p;
	size_t left;
};
void msg_run_iter_init(struct msg_run_iter *it, const struct msg *m);
/* 1 and *out filled, or 0 at the end. */
int msg_run_next(struct msg_run_iter *it, struct msg_run_entry *out);

/* Encoders: each appends one whole frame to b (b->max bounds it). */
int msg_put_hello(struct buf *b, const uint8_t node[KEY_PUBLIC_LEN],
		  const uint8_t auth[HASH_LEN], const uint8_t digest[HASH_LEN],
		  uint32_t feeds, uint32_t flags);
int msg_put_frontier(struct buf *b, int more, const struct msg_head *heads,
		     uint16_t count);
int msg_put_want(struct buf *b, const uint8_t author[KEY_PUBLIC_LEN],
		 uint64_t from, uint32_t max);
int msg_put_have(struct buf *b, const struct msg_head *h);
int msg_put_error(struct buf *b, int code, const char *text);
int msg_put_done(struct buf *b);
int msg_put_ping(struct buf *b);

/*
 * An ENTRIES frame is built in three steps: begin, add each entry (payload
 * NULL = erased), end (patches the count). add fails with STOA_ENOMEM if
 * the frame would pass MSG_MAX or the count MSG_RUN_MAX; the frame stays
 * valid with the entries added so far. b must hold only this frame (start
 * from an empty buf).
 */
int msg_entries_begin(struct buf *b, const uint8_t author[KEY_PUBLIC_LEN],
		      uint64_t first);
int msg_entries_add(struct buf *b, const uint8_t signed_bytes[ENTRY_SIGNED_LEN],
		    const void *payload, uint32_t plen);
void msg_entries_end(struct buf *b);
/* How many entries the ENTRIES frame in b holds so far. */
uint16_t msg_entries_count(const struct buf *b);

/* "hello", "frontier", ... for logs; "unknown" otherwise. */
const char *msg_type_name(uint8_t type);

#endif
