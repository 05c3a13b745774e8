/*
 * sstream: an authenticated encrypted stream of messages (libsodium's
 * crypto_secretstream_xchacha20poly1305), for files that are written and
 * read front to back (bundles, frontier files: node/bundle.c). Each
 * message is encrypted and authenticated in order: a message removed,
 * repeated, reordered or altered fails to open, and the last one carries
 * the FINAL tag, so a stream cut after any message is told from a whole
 * one. The module holds no key: the caller derives it (community_derive)
 * and wipes it. No I/O, no allocation.
 */
#ifndef STOA_SSTREAM_H
#define STOA_SSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SSTREAM_KEY_LEN 32
#define SSTREAM_HEADER_LEN 24 /* written once, before the first message */
#define SSTREAM_ABYTES 17     /* each message's ciphertext is this longer */

/* The stream's state (a key and a nonce): a secret, wiped by
 * sstream_wipe. Aligned storage for libsodium's state, which the .c
 * checks fits. */
struct sstream {
	_Alignas(16) uint8_t state[64];
};

/* Starts a stream under key: header (random) goes first in the file. */
void sstream_push_init(struct sstream *s, uint8_t header[SSTREAM_HEADER_LEN],
		       const uint8_t key[SSTREAM_KEY_LEN]);
/* Encrypts m (mlen bytes) into out (mlen + SSTREAM_ABYTES bytes), bound
 * to ad (may be NULL, adlen 0); final marks the last message. */
void sstream_push(struct sstream *s, uint8_t *out, const uint8_t *m,
		  size_t mlen, const uint8_t *ad, size_t adlen, int final);

/* Starts reading a stream whose header is header. */
int sstream_pull_init(struct sstream *s,
		      const uint8_t header[SSTREAM_HEADER_LEN],
		      const uint8_t key[SSTREAM_KEY_LEN], struct err *e);
/* Opens the next message c (clen >= SSTREAM_ABYTES bytes) into m
 * (clen - SSTREAM_ABYTES bytes): 0, and *final set if it was the last,
 * or STOA_ECRYPTO if it does not open (altered, out of order, another
 * key): the stream is then unusable. */
int sstream_pull(struct sstream *s, uint8_t *m, const uint8_t *c, size_t clen,
		 const uint8_t *ad, size_t adlen, int *final, struct err *e);

void sstream_wipe(struct sstream *s);

#endif
