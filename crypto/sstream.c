/*
 * sstream: libsodium's secretstream behind stoa's types (see sstream.h).
 * One of the three files that include <sodium.h>.
 */
#include <string.h>

#include <sodium.h>

#include "sstream.h"

_Static_assert(sizeof(crypto_secretstream_xchacha20poly1305_state) <=
		       sizeof(((struct sstream *)0)->state),
	       "struct sstream holds libsodium's state");
_Static_assert(SSTREAM_HEADER_LEN ==
		       crypto_secretstream_xchacha20poly1305_HEADERBYTES,
	       "header length");
_Static_assert(SSTREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES,
	       "message overhead");
_Static_assert(SSTREAM_KEY_LEN == crypto_secretstream_xchacha20poly1305_KEYBYTES,
	       "key length");

static crypto_secretstream_xchacha20poly1305_state *st(struct sstream *s)
{
	return (crypto_secretstream_xchacha20poly1305_state *)(void *)s->state;
}

void sstream_push_init(struct sstream *s, uint8_t header[SSTREAM_HEADER_LEN],
		       const uint8_t key[SSTREAM_KEY_LEN])
{
	crypto_secretstream_xchacha20poly1305_init_push(st(s), header, key);
}

void sstream_push(struct sstream *s, uint8_t *out, const uint8_t *m,
		  size_t mlen, const uint8_t *ad, size_t adlen, int final)
{
	crypto_secretstream_xchacha20poly1305_push(
		st(s), out, NULL, m, mlen, ad, adlen,
		final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
		      : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

int sstream_pull_init(struct sstream *s,
		      const uint8_t header[SSTREAM_HEADER_LEN],
		      const uint8_t key[SSTREAM_KEY_LEN], struct err *e)
{
	if (crypto_secretstream_xchacha20poly1305_init_pull(st(s), header,
							    key) != 0)
		return err_set(e, STOA_ECRYPTO, "bad stream header");
	return 0;
}

int sstream_pull(struct sstream *s, uint8_t *m, const uint8_t *c, size_t clen,
		 const uint8_t *ad, size_t adlen, int *final, struct err *e)
{
	unsigned char tag = 0;

	*final = 0;
	if (clen < SSTREAM_ABYTES ||
	    crypto_secretstream_xchacha20poly1305_pull(st(s), m, NULL, &tag, c,
						       clen, ad, adlen) != 0)
		return err_set(e, STOA_ECRYPTO, "a message does not open");
	*final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	return 0;
}

void sstream_wipe(struct sstream *s)
{
	sodium_memzero(s->state, sizeof(s->state));
}
