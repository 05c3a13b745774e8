/*
 * buf: the one growable byte buffer (with a hard maximum) and the one
 * bounds-checked reader (with a sticky error) that every format uses.
 *
 * All integers are big-endian on the wire and on disk. A writer that would
 * pass b->max fails with STOA_ENOMEM and leaves b unchanged; a reader that
 * would read past its end sets r->err, returns zeros/NULL from then on, and
 * the parser checks reader_finish() once at the end (instead of a check per
 * field). Neither ever aborts.
 */
#ifndef STOA_BUF_H
#define STOA_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;    /* hard bound on len */
};

/* Embed-style lifecycle: buf_init sets the bound; buf_release frees data. */
void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */

int buf_append(struct buf *b, const void *p, size_t n);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u16(struct buf *b, uint16_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);

/* Plain big-endian stores/loads into fixed arrays (no bounds: caller's). */
void be_put16(uint8_t *p, uint16_t v);
void be_put32(uint8_t *p, uint32_t v);
void be_put64(uint8_t *p, uint64_t v);
uint16_t be_get16(const uint8_t *p);
uint32_t be_get32(const uint8_t *p);
uint64_t be_get64(const uint8_t *p);

struct reader {
	const uint8_t *p; /* borrowed */
	size_t len;
	size_t off;
	int err;          /* sticky: set once any read overran */
};

void reader_init(struct reader *r, const void *p, size_t len);
uint8_t reader_u8(struct reader *r);
uint16_t reader_u16(struct reader *r);
uint32_t reader_u32(struct reader *r);
uint64_t reader_u64(struct reader *r);
/* Returns a pointer to the next n bytes inside the input, or NULL. */
const uint8_t *reader_bytes(struct reader *r, size_t n);
/* Copies n bytes to out (zeros on overrun). */
void reader_copy(struct reader *r, void *out, size_t n);
size_t reader_left(const struct reader *r);
/* 0 if no read overran and every byte was consumed, else STOA_EPROTO. */
int reader_finish(const struct reader *r);

#endif
