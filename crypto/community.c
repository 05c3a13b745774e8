/*
 * community: a community's display name and 32-byte secret, the community
 * file that stores them, the invite code that shares them, and the subkeys
 * derived from the secret (see community.h for the byte layouts). Holding
 * the secret is membership, so it lives only in fixed arrays that are wiped
 * on every path, is compared in constant time, and never reaches a message.
 * Every decoder here takes arbitrary bytes or text and must answer with an
 * error, never a crash, an abort or a read out of bounds: invite codes come
 * from chat messages and copy/paste, files from disk.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "community.h"
#include "err.h"
#include "key.h"

_Static_assert(COMMUNITY_SECRET_LEN == crypto_kdf_KEYBYTES, "kdf key size");
_Static_assert(sizeof(COMMUNITY_FILE_MAGIC) - 1 == 8, "community magic size");
_Static_assert(sizeof("stoacomm") - 1 == crypto_kdf_CONTEXTBYTES,
	       "kdf context size");
_Static_assert(COMMUNITY_NAME_MAX <= 255, "name length is one byte");
_Static_assert(crypto_box_SEEDBYTES == 32 && crypto_box_PUBLICKEYBYTES == 32 &&
	       crypto_box_SECRETKEYBYTES == 32, "server key pair sizes");

_Static_assert(sizeof(COMMUNITY_ROOT_DOMAIN) - 1 == COMMUNITY_ROOT_DOMAIN_LEN,
	       "root domain length");

#define PREFIX_LEN (sizeof(INVITE_PREFIX) - 1)

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
#define INVITE_CHECK_LEN 4
/* v1: version || N || name || secret || check
 * v2: version || N || name || founder || epoch || secret || check */
#define INVITE_FOUNDED_LEN (COMMUNITY_FOUNDER_LEN + 4)
#define INVITE_BIN_MIN (2 + 1 + COMMUNITY_SECRET_LEN + INVITE_CHECK_LEN)
#define INVITE_BIN_MAX                                                     \
	(2 + COMMUNITY_NAME_MAX + INVITE_FOUNDED_LEN + COMMUNITY_SECRET_LEN + \
	 INVITE_CHECK_LEN)
#define INVITE_B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* The longest code (with its NUL) must fit the caller's INVITE_MAX array. */
_Static_assert(PREFIX_LEN + (INVITE_BIN_MAX / 3) * 4 + 3 + 1 <= INVITE_MAX,
	       "INVITE_MAX too small for the longest invite code");

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Also refuses C0 and C1 control characters and DEL, which could
 * drive a terminal when a name is printed. Returns 0 if ok, 1 if not UTF-8,
 * 2 if a control character.
 */
static int utf8_check(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp, min;
		size_t need, j;
		uint8_t b = s[i];

		if (b < 0x80) {
			if (b < 0x20 || b == 0x7f)
				return 2;
			i++;
			continue;
		} else if ((b & 0xe0) == 0xc0) {
			need = 1;
			cp = b & 0x1f;
			min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			need = 2;
			cp = b & 0x0f;
			min = 0x800;
		} else if ((b & 0xf8) == 0xf0) {
			need = 3;
			cp = b & 0x07;
			min = 0x10000;
		} else {
			return 1; /* continuation byte or 0xf8..0xff */
		}
		if (need > len - i - 1)
			return 1;
		for (j = 1; j <= need; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 1;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 1;
		if (cp >= 0x80 && cp <= 0x9f)
			return 2;
		i += need + 1;
	}
	return 0;
}

/* Checks n name bytes that need not be NUL-terminated. */
static int name_check_bytes(const uint8_t *p, size_t n, struct err *e)
{
	int bad;

	if (n == 0)
		return err_set(e, STOA_EINVAL, "community name is empty");
	if (n > COMMUNITY_NAME_MAX)
		return err_set(e, STOA_EINVAL,
			       "community name is too long (more than %d bytes)",
			       COMMUNITY_NAME_MAX);
	if (memchr(p, '\0', n))
		return err_set(e, STOA_EINVAL,
			       "community name contains a NUL byte");
	bad = utf8_check(p, n);
	if (bad == 1)
		return err_set(e, STOA_EINVAL, "community name is not valid UTF-8");
	if (bad == 2)
		return err_set(e, STOA_EINVAL,
			       "community name contains a control character");
	return 0;
}

int community_name_check(const char *name, struct err *e)
{
	if (!name)
		return err_set(e, STOA_EINVAL, "community name is empty");
	/* strnlen: never scan further than one byte past the bound. */
	return name_check_bytes((const uint8_t *)name,
				strnlen(name, COMMUNITY_NAME_MAX + 1), e);
}

int community_create(struct community *c, const char *name, struct err *e)
{
	struct community tmp;
	int rc;

	rc = community_name_check(name, e);
	if (rc) {
		community_wipe(c);
		return rc;
	}
	/* Via tmp, so name may point into c itself. */
	community_wipe(&tmp);
	memcpy(tmp.name, name, strlen(name) + 1);
	random_bytes(tmp.secret, sizeof(tmp.secret));
	*c = tmp;
	community_wipe(&tmp);
	return 0;
}

void community_wipe(struct community *c)
{
	if (c)
		bytes_wipe(c, sizeof(*c));
}

/*
 * Community file bytes into a fixed array (it holds the secret, and
 * struct buf frees without wiping). Returns the length, or 0 if c's name
 * is not a valid name (then nothing must be written).
 */
static size_t community_file_encode(uint8_t out[COMMUNITY_FILE_MAX],
				    const struct community *c)
{
	size_t n = strnlen(c->name, sizeof(c->name));

	if (name_check_bytes((const uint8_t *)c->name, n, NULL) != 0)
		return 0;
	memcpy(out, COMMUNITY_FILE_MAGIC, 8);
	out[8] = c->founded ? 2 : 1; /* 3 if there are past epochs */
	out[9] = (uint8_t)n;
	memcpy(out + 10, c->name, n);
	n += 10;
	if (c->founded) {
		memcpy(out + n, c->founder, COMMUNITY_FOUNDER_LEN);
		put_be32(out + n + COMMUNITY_FOUNDER_LEN, c->epoch);
		n += INVITE_FOUNDED_LEN;
	}
	memcpy(out + n, c->secret, COMMUNITY_SECRET_LEN);
	n += COMMUNITY_SECRET_LEN;
	if (c->founded && c->npast) {
		size_t i;

		out[8] = 3;
		out[n++] = (uint8_t)c->npast;
		for (i = 0; i < c->npast; i++) {
			put_be32(out + n, c->past[i].epoch);
			memcpy(out + n + 4, c->past[i].secret,
			       COMMUNITY_SECRET_LEN);
			n += 4 + COMMUNITY_SECRET_LEN;
		}
	}
	return n;
}

/* The file's bytes to path: a new file, or (replace) over the old one. */
static int file_put(const char *path, const struct community *c,
		    int replace, struct err *e)
{
	uint8_t raw[COMMUNITY_FILE_MAX];
	size_t len;
	int rc;

	len = community_file_encode(raw, c);
	if (len == 0)
		return err_set(e, STOA_EINVAL,
			       "cannot write '%s': invalid community name", path);
	rc = replace ? secret_file_replace(path, raw, len, e)
		     : secret_file_write(path, raw, len, e);
	bytes_wipe(raw, sizeof(raw));
	return rc;
}

int community_file_write(const char *path, const struct community *c,
			 struct err *e)
{
	return file_put(path, c, 0, e);
}

int community_file_replace(const char *path, const struct community *c,
			   struct err *e)
{
	return file_put(path, c, 1, e);
}

int community_file_decode(const uint8_t *p, size_t len, struct community *c,
			  struct err *e)
{
	struct reader r;
	struct community tmp;
	const uint8_t *magic, *name;
	uint8_t version, n;
	int rc = 0;

	community_wipe(c);
	community_wipe(&tmp);
	if (!p || len < 10)
		return err_set(e, STOA_EPROTO,
			       "community file is truncated (%zu bytes)",
			       p ? len : 0);
	if (len > COMMUNITY_FILE_MAX)
		return err_set(e, STOA_EPROTO,
			       "community file is too large (%zu bytes, at most %d)",
			       len, COMMUNITY_FILE_MAX);

	reader_init(&r, p, len);
	magic = reader_bytes(&r, 8);
	version = reader_u8(&r);
	n = reader_u8(&r);
	if (!magic || memcmp(magic, COMMUNITY_FILE_MAGIC, 8) != 0)
		return err_set(e, STOA_EPROTO,
			       "not a stoa community file (bad magic)");
	if (version < 1 || version > COMMUNITY_FILE_VERSION)
		return err_set(e, STOA_EPROTO,
			       "community file version %u is not supported (this is version %d)",
			       (unsigned)version, COMMUNITY_FILE_VERSION);
	if (n < 1 || n > COMMUNITY_NAME_MAX)
		return err_set(e, STOA_EPROTO,
			       "community file is damaged (name length %u)",
			       (unsigned)n);
	name = reader_bytes(&r, n);
	if (version >= 2) {
		tmp.founded = 1;
		reader_copy(&r, tmp.founder, sizeof(tmp.founder));
		tmp.epoch = reader_u32(&r);
	}
	reader_copy(&r, tmp.secret, sizeof(tmp.secret));
	if (version == 3) {
		size_t i;

		tmp.npast = reader_u8(&r);
		if (tmp.npast < 1 || tmp.npast > COMMUNITY_PAST_MAX) {
			rc = err_set(e, STOA_EPROTO, "community file is damaged "
				     "(%zu past epochs)", tmp.npast);
			goto out;
		}
		for (i = 0; i < tmp.npast; i++) {
			tmp.past[i].epoch = reader_u32(&r);
			reader_copy(&r, tmp.past[i].secret,
				    COMMUNITY_SECRET_LEN);
		}
	}
	if (reader_finish(&r) != 0) {
		rc = err_set(e, STOA_EPROTO,
			     "community file is damaged (wrong length %zu for a %u-byte name)",
			     len, (unsigned)n);
		goto out;
	}
	if (name_check_bytes(name, n, NULL) != 0) {
		rc = err_set(e, STOA_EPROTO,
			     "community file is damaged (invalid name)");
		goto out;
	}
	memcpy(tmp.name, name, n);
	tmp.name[n] = '\0';
	*c = tmp;
out:
	community_wipe(&tmp);
	return rc;
}

int community_file_read(const char *path, struct community *c, struct err *e)
{
	uint8_t raw[COMMUNITY_FILE_MAX];
	struct err inner;
	size_t len = 0;
	int rc;

	community_wipe(c);
	rc = secret_file_read(path, raw, sizeof(raw), &len, e);
	if (rc)
		return rc;
	/* Decode into a local err so the message can name the file. */
	err_clear(&inner);
	rc = community_file_decode(raw, len, c, &inner);
	bytes_wipe(raw, sizeof(raw));
	if (rc)
		return err_set(e, rc, "'%s': %s", path, inner.msg);
	return 0;
}

/*
 * Invite codes. The binary form is check-summed (4 bytes of BLAKE2b) so a
 * mistyped or truncated code is reported as damaged instead of silently
 * joining a different, empty community.
 */
void invite_encode(const struct community *c, char out[INVITE_MAX])
{
	uint8_t raw[INVITE_BIN_MAX];
	uint8_t sum[HASH_LEN];
	size_t n = strnlen(c->name, COMMUNITY_NAME_MAX);
	size_t len;

	raw[0] = c->founded ? INVITE_VERSION : 1;
	raw[1] = (uint8_t)n;
	memcpy(raw + 2, c->name, n);
	len = 2 + n;
	if (c->founded) {
		memcpy(raw + len, c->founder, COMMUNITY_FOUNDER_LEN);
		put_be32(raw + len + COMMUNITY_FOUNDER_LEN, c->epoch);
		len += INVITE_FOUNDED_LEN;
	}
	memcpy(raw + len, c->secret, COMMUNITY_SECRET_LEN);
	len += COMMUNITY_SECRET_LEN;
	hash_blake2b(sum, raw, len);
	memcpy(raw + len, sum, INVITE_CHECK_LEN);
	len += INVITE_CHECK_LEN;

	memcpy(out, INVITE_PREFIX, PREFIX_LEN);
	/* Fits by the static assertion on INVITE_BIN_MAX above. */
	sodium_bin2base64(out + PREFIX_LEN, INVITE_MAX - PREFIX_LEN, raw, len,
			  INVITE_B64_VARIANT);
	bytes_wipe(raw, sizeof(raw));
}

/* The URL-safe base64 alphabet (RFC 4648 section 5), no padding. */
static int is_b64(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

int invite_decode(const char *code, struct community *c, struct err *e)
{
	uint8_t raw[INVITE_MAX];
	uint8_t sum[HASH_LEN];
	const char *b64, *end = NULL;
	size_t len, bin_len = 0, n, founded;
	int rc = 0;

	community_wipe(c);
	if (!code)
		return err_set(e, STOA_EINVAL, "no invite code given");

	/* Tolerate the blanks and newline that copy/paste adds. */
	while (is_space(*code))
		code++;
	len = strlen(code);
	while (len > 0 && is_space(code[len - 1]))
		len--;
	if (len == 0)
		return err_set(e, STOA_EINVAL, "no invite code given");
	if (len < PREFIX_LEN || memcmp(code, INVITE_PREFIX, PREFIX_LEN) != 0)
		return err_set(e, STOA_EINVAL,
			       "not a stoa invite code (it should start with '%s')",
			       INVITE_PREFIX);
	if (len > INVITE_MAX - 1)
		return err_set(e, STOA_EINVAL,
			       "invite code is too long (%zu characters, at most %d)",
			       len, INVITE_MAX - 1);

	b64 = code + PREFIX_LEN;
	len -= PREFIX_LEN;
	for (n = 0; n < len; n++) {
		if (!is_b64(b64[n]))
			return err_set(e, STOA_EINVAL,
				       "invite code is damaged (unexpected character at position %zu)",
				       PREFIX_LEN + n + 1);
	}
	/* Only the length or the last character can still be wrong. */
	if (sodium_base642bin(raw, sizeof(raw), b64, len, NULL, &bin_len, &end,
			      INVITE_B64_VARIANT) != 0 ||
	    end != b64 + len) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (truncated or mistyped)");
		goto out;
	}
	if (bin_len < 1) {
		rc = err_set(e, STOA_EINVAL, "invite code is damaged (too short)");
		goto out;
	}
	if (raw[0] != 1 && raw[0] != INVITE_VERSION) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code version %u is not supported (this is version %d)",
			     (unsigned)raw[0], INVITE_VERSION);
		goto out;
	}
	if (bin_len < INVITE_BIN_MIN) {
		rc = err_set(e, STOA_EINVAL, "invite code is damaged (too short)");
		goto out;
	}
	n = raw[1];
	if (n < 1 || n > COMMUNITY_NAME_MAX) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (bad name length %zu)", n);
		goto out;
	}
	founded = raw[0] >= 2 ? INVITE_FOUNDED_LEN : 0;
	if (bin_len != 2 + n + founded + COMMUNITY_SECRET_LEN +
			       INVITE_CHECK_LEN) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (wrong length: truncated or extra characters)");
		goto out;
	}
	hash_blake2b(sum, raw, bin_len - INVITE_CHECK_LEN);
	if (!bytes_equal(sum, raw + bin_len - INVITE_CHECK_LEN,
			 INVITE_CHECK_LEN)) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (checksum mismatch)");
		goto out;
	}
	if (name_check_bytes(raw + 2, n, NULL) != 0) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code holds an invalid community name");
		goto out;
	}
	memcpy(c->name, raw + 2, n);
	c->name[n] = '\0';
	if (founded) {
		c->founded = 1;
		memcpy(c->founder, raw + 2 + n, COMMUNITY_FOUNDER_LEN);
		c->epoch = get_be32(raw + 2 + n + COMMUNITY_FOUNDER_LEN);
	}
	memcpy(c->secret, raw + 2 + n + founded, COMMUNITY_SECRET_LEN);
out:
	bytes_wipe(raw, sizeof(raw));
	bytes_wipe(sum, sizeof(sum));
	return rc;
}

void community_found(struct community *c,
		     const uint8_t founder[COMMUNITY_FOUNDER_LEN])
{
	c->founded = 1;
	memcpy(c->founder, founder, COMMUNITY_FOUNDER_LEN);
	c->epoch = 0;
}

/* The key the subkeys of a founded community come from: BLAKE2b-256
 * keyed by the secret, of "stoa-community-v2" || founder || epoch (u32
 * big-endian). An invite naming another founder is another community. */
static void founded_root(const struct community *c, uint8_t root[32])
{
	uint8_t msg[COMMUNITY_ROOT_DOMAIN_LEN + COMMUNITY_FOUNDER_LEN + 4];

	memcpy(msg, COMMUNITY_ROOT_DOMAIN, COMMUNITY_ROOT_DOMAIN_LEN);
	memcpy(msg + COMMUNITY_ROOT_DOMAIN_LEN, c->founder,
	       COMMUNITY_FOUNDER_LEN);
	put_be32(msg + COMMUNITY_ROOT_DOMAIN_LEN + COMMUNITY_FOUNDER_LEN,
		 c->epoch);
	crypto_generichash(root, 32, msg, sizeof(msg), c->secret,
			   COMMUNITY_SECRET_LEN);
}

void community_derive(const struct community *c, uint64_t purpose,
		      uint8_t out[32])
{
	uint8_t root[32];

	if (!c->founded) {
		crypto_kdf_derive_from_key(out, 32, purpose, "stoacomm",
					   c->secret);
		return;
	}
	founded_root(c, root);
	crypto_kdf_derive_from_key(out, 32, purpose, "stoacomm", root);
	sodium_memzero(root, sizeof(root));
}

void community_past_get(const struct community *c, size_t i,
			struct community *out)
{
	*out = *c;
	out->epoch = c->past[i].epoch;
	memcpy(out->secret, c->past[i].secret, COMMUNITY_SECRET_LEN);
	sodium_memzero(out->past, sizeof(out->past));
	out->npast = 0;
}

void community_move(struct community *c, uint32_t epoch,
		    const uint8_t secret[COMMUNITY_SECRET_LEN])
{
	struct community_past cur;
	size_t i, j;

	cur.epoch = c->epoch;
	memcpy(cur.secret, c->secret, COMMUNITY_SECRET_LEN);
	/* the new epoch leaves the past list, if it was there */
	for (i = j = 0; i < c->npast; i++)
		if (c->past[i].epoch != epoch ||
		    sodium_memcmp(c->past[i].secret, secret,
				  COMMUNITY_SECRET_LEN) != 0)
			c->past[j++] = c->past[i];
	c->npast = j;
	if (c->npast == COMMUNITY_PAST_MAX)
		c->npast--;
	memmove(&c->past[1], &c->past[0], c->npast * sizeof(c->past[0]));
	c->past[0] = cur;
	c->npast++;
	sodium_memzero(&c->past[c->npast],
		       (COMMUNITY_PAST_MAX - c->npast) * sizeof(c->past[0]));
	c->epoch = epoch;
	memcpy(c->secret, secret, COMMUNITY_SECRET_LEN);
	sodium_memzero(&cur, sizeof(cur));
}

void community_server_keypair(const struct community *c, uint8_t pk[32],
			      uint8_t sk[32])
{
	uint8_t seed[crypto_box_SEEDBYTES];

	community_derive(c, COMMUNITY_KEY_SERVER, seed);
	crypto_box_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
}
