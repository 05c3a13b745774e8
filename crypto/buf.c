/*
 * buf: see buf.h. Growth doubles up to b->max; nothing here trusts a length
 * it was not given by the caller, and nothing aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return STOA_ENOMEM;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		uint8_t *d;

		while (cap < b->len + n)
			cap = cap > b->max / 2 ? b->max : cap * 2;
		d = realloc(b->data, cap);
		if (!d)
			return STOA_ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

void be_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void be_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void be_put64(uint8_t *p, uint64_t v)
{
	be_put32(p, (uint32_t)(v >> 32));
	be_put32(p + 4, (uint32_t)v);
}

uint16_t be_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t be_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

uint64_t be_get64(const uint8_t *p)
{
	return ((uint64_t)be_get32(p) << 32) | be_get32(p + 4);
}

int buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t t[2];

	be_put16(t, v);
	return buf_append(b, t, sizeof(t));
}

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t t[4];

	be_put32(t, v);
	return buf_append(b, t, sizeof(t));
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t t[8];

	be_put64(t, v);
	return buf_append(b, t, sizeof(t));
}

void reader_init(struct reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

const uint8_t *reader_bytes(struct reader *r, size_t n)
{
	const uint8_t *q;

	if (r->err || n > r->len - r->off) {
		r->err = STOA_EPROTO;
		return NULL;
	}
	q = r->p + r->off;
	r->off += n;
	return q;
}

void reader_copy(struct reader *r, void *out, size_t n)
{
	const uint8_t *q = reader_bytes(r, n);

	if (q)
		memcpy(out, q, n);
	else
		memset(out, 0, n);
}

uint8_t reader_u8(struct reader *r)
{
	const uint8_t *q = reader_bytes(r, 1);

	return q ? q[0] : 0;
}

uint16_t reader_u16(struct reader *r)
{
	const uint8_t *q = reader_bytes(r, 2);

	return q ? be_get16(q) : 0;
}

uint32_t reader_u32(struct reader *r)
{
	const uint8_t *q = reader_bytes(r, 4);

	return q ? be_get32(q) : 0;
}

uint64_t reader_u64(struct reader *r)
{
	const uint8_t *q = reader_bytes(r, 8);

	return q ? be_get64(q) : 0;
}

size_t reader_left(const struct reader *r)
{
	return r->err ? 0 : r->len - r->off;
}

int reader_finish(const struct reader *r)
{
	return (r->err || r->off != r->len) ? STOA_EPROTO : 0;
}
