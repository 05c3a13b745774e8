/*
 * invite: version 3 invite codes, their typed form, and the reader of
 * every code (see invite.h for the byte layout, docs/formats.md for the
 * text forms). A code carries the community secret, so the bytes live in
 * fixed arrays wiped on every path. Codes come from chat messages, paper
 * and QR scans: every decoder here takes arbitrary text, bounds it before
 * it loops over it, and answers one error that says what to do (a typed
 * form's typo is named by its group), never a crash or an out-of-bounds
 * read. The per-group check is a weighted sum over GF(32): it catches
 * every single wrong character and every swap of two neighbours within
 * a group, and the group's number enters it, so a group typed in the
 * wrong place is caught too; the 4 check bytes catch what is left.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "community.h"
#include "invite.h"
#include "key.h"

_Static_assert(sizeof(INVITE_SIGN_DOMAIN) - 1 == INVITE_SIGN_DOMAIN_LEN,
	       "invite domain length");

#define PREFIX_LEN (sizeof(INVITE_PREFIX) - 1)
#define CHECK_LEN 4
/* the fields after the name, unsigned: founder, epoch, secret, id, role,
 * expires, uses */
#define TAIL_LEN                                                          \
	(COMMUNITY_FOUNDER_LEN + 4 + COMMUNITY_SECRET_LEN + INVITE_ID_LEN +  \
	 1 + 8 + 2)
#define SIGNED_LEN (KEY_PUBLIC_LEN + KEY_SIG_LEN)
#define BIN_MAX (3 + COMMUNITY_NAME_MAX + TAIL_LEN + SIGNED_LEN + CHECK_LEN)
#define UNSIGNED_MAX (3 + COMMUNITY_NAME_MAX + TAIL_LEN + CHECK_LEN)
/* base32 characters of n bytes */
#define B32_CHARS(n) (((n) * 8 + 4) / 5)
#define TYPED_GROUPS(n) ((B32_CHARS(n) + INVITE_GROUP_DATA - 1) / INVITE_GROUP_DATA)
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

_Static_assert(PREFIX_LEN + (BIN_MAX * 4 + 2) / 3 + 1 <= INVITE_CODE_MAX,
	       "INVITE_CODE_MAX too small for the longest v3 code");
_Static_assert(B32_CHARS(UNSIGNED_MAX) + 2 * TYPED_GROUPS(UNSIGNED_MAX) <=
	       INVITE_TYPED_MAX, "INVITE_TYPED_MAX too small");
_Static_assert(INVITE_TYPED_MAX <= INVITE_INPUT_MAX &&
	       INVITE_CODE_MAX <= INVITE_INPUT_MAX, "input bound");

/* Crockford's base32: no I, L, O, U */
static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void invite_wipe(struct invite *iv)
{
	if (iv)
		bytes_wipe(iv, sizeof(*iv));
}

const char *invite_role_name(int role)
{
	return role == INVITE_ROLE_LEARNER ? "learner"
	       : role == INVITE_ROLE_MENTOR ? "mentor" : NULL;
}

/* The invite's own terms, as both the signed message and the code carry
 * them: id, role (1), expires (u64), uses (u16), big-endian. */
static uint8_t *put_terms(uint8_t *p, const struct invite *iv)
{
	memcpy(p, iv->id, INVITE_ID_LEN);
	p += INVITE_ID_LEN;
	*p++ = (uint8_t)iv->role;
	be_put64(p, iv->expires);
	p += 8;
	be_put16(p, iv->uses);
	return p + 2;
}

size_t invite_signed_msg(const struct invite *iv,
			 uint8_t out[INVITE_SIGNED_MSG_LEN])
{
	uint8_t *p = out;

	memcpy(p, INVITE_SIGN_DOMAIN, INVITE_SIGN_DOMAIN_LEN);
	p += INVITE_SIGN_DOMAIN_LEN;
	memcpy(p, iv->c.founder, COMMUNITY_FOUNDER_LEN);
	p += COMMUNITY_FOUNDER_LEN;
	be_put32(p, iv->c.epoch);
	p += 4;
	p = put_terms(p, iv);
	memcpy(p, iv->issuer, KEY_PUBLIC_LEN);
	p += KEY_PUBLIC_LEN;
	return (size_t)(p - out);
}

void invite_sign(struct invite *iv, const struct key *k)
{
	uint8_t msg[INVITE_SIGNED_MSG_LEN];
	size_t n;

	memcpy(iv->issuer, k->pk, KEY_PUBLIC_LEN);
	n = invite_signed_msg(iv, msg);
	key_sign(k, msg, n, iv->sig);
	iv->is_signed = 1;
}

/* The binary form into raw (BIN_MAX bytes): signed or not. */
static size_t bin_encode(const struct invite *iv, int sign,
			 uint8_t raw[BIN_MAX])
{
	size_t n = strnlen(iv->c.name, COMMUNITY_NAME_MAX);
	uint8_t sum[HASH_LEN];
	uint8_t *p = raw;

	*p++ = INVITE_V3;
	*p++ = sign ? INVITE_FLAG_SIGNED : 0;
	*p++ = (uint8_t)n;
	memcpy(p, iv->c.name, n);
	p += n;
	memcpy(p, iv->c.founder, COMMUNITY_FOUNDER_LEN);
	p += COMMUNITY_FOUNDER_LEN;
	be_put32(p, iv->c.epoch);
	p += 4;
	memcpy(p, iv->c.secret, COMMUNITY_SECRET_LEN);
	p += COMMUNITY_SECRET_LEN;
	p = put_terms(p, iv);
	if (sign) {
		memcpy(p, iv->issuer, KEY_PUBLIC_LEN);
		p += KEY_PUBLIC_LEN;
		memcpy(p, iv->sig, KEY_SIG_LEN);
		p += KEY_SIG_LEN;
	}
	hash_blake2b(sum, raw, (size_t)(p - raw));
	memcpy(p, sum, CHECK_LEN);
	p += CHECK_LEN;
	return (size_t)(p - raw);
}

void invite_v3_encode(const struct invite *iv, char out[INVITE_CODE_MAX])
{
	uint8_t raw[BIN_MAX];
	size_t len = bin_encode(iv, 1, raw);

	memcpy(out, INVITE_PREFIX, PREFIX_LEN);
	sodium_bin2base64(out + PREFIX_LEN, INVITE_CODE_MAX - PREFIX_LEN, raw,
			  len, B64_VARIANT);
	bytes_wipe(raw, sizeof(raw));
}

/* GF(32) with x^5 + x^2 + 1: the check characters' arithmetic. */
static uint8_t gf32_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		b >>= 1;
		a <<= 1;
		if (a & 0x20)
			a ^= 0x25;
	}
	return r;
}

/* The check character's value of group g (1-based) of k data values:
 * (g mod 32) + sum of alpha^(i+1) * v[i], alpha = x. */
static uint8_t group_check(size_t g, const uint8_t *v, size_t k)
{
	uint8_t c = (uint8_t)(g & 31), w = 2;
	size_t i;

	for (i = 0; i < k; i++) {
		c ^= gf32_mul(w, v[i]);
		w = gf32_mul(w, 2);
	}
	return c;
}

void invite_typed_encode(const struct invite *iv, char out[INVITE_TYPED_MAX])
{
	uint8_t raw[BIN_MAX], v[B32_CHARS(UNSIGNED_MAX)];
	size_t len = bin_encode(iv, 0, raw);
	size_t nv = 0, i, g, o = 0;
	unsigned acc = 0, bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 8 | raw[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			v[nv++] = (uint8_t)((acc >> (bits - 5)) & 31);
			bits -= 5;
		}
	}
	if (bits)
		v[nv++] = (uint8_t)((acc << (5 - bits)) & 31);
	for (g = 0; g * INVITE_GROUP_DATA < nv; g++) {
		size_t k = nv - g * INVITE_GROUP_DATA;

		if (k > INVITE_GROUP_DATA)
			k = INVITE_GROUP_DATA;
		if (g)
			out[o++] = '-';
		for (i = 0; i < k; i++)
			out[o++] = b32[v[g * INVITE_GROUP_DATA + i]];
		out[o++] = b32[group_check(g + 1, v + g * INVITE_GROUP_DATA, k)];
	}
	out[o] = '\0';
	bytes_wipe(raw, sizeof(raw));
	bytes_wipe(v, sizeof(v));
	acc = 0;
}

/* A typed character's value, or -1: either case, O as 0, I and L as 1. */
static int b32_value(char ch)
{
	const char *p;

	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'O')
		ch = '0';
	else if (ch == 'I' || ch == 'L')
		ch = '1';
	if (ch == '\0' || !(p = strchr(b32, ch)))
		return -1;
	return (int)(p - b32);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

/* The v3 binary form of raw (len bytes) into iv. */
static int v3_decode(const uint8_t *raw, size_t len, struct invite *iv,
		     struct err *e)
{
	uint8_t sum[HASH_LEN], msg[INVITE_SIGNED_MSG_LEN];
	struct reader r;
	const uint8_t *name;
	uint8_t flags, n;
	size_t want;
	int rc = 0;

	invite_wipe(iv);
	if (len < 3)
		return err_set(e, STOA_EINVAL, "invite code is damaged (too short)");
	flags = raw[1];
	n = raw[2];
	if (flags & ~INVITE_FLAG_SIGNED)
		return err_set(e, STOA_EINVAL,
			       "invite code is damaged (unknown flags 0x%02x)",
			       (unsigned)flags);
	if (n < 1 || n > COMMUNITY_NAME_MAX)
		return err_set(e, STOA_EINVAL,
			       "invite code is damaged (bad name length %u)",
			       (unsigned)n);
	want = 3 + (size_t)n + TAIL_LEN +
	       (flags & INVITE_FLAG_SIGNED ? SIGNED_LEN : 0) + CHECK_LEN;
	if (len != want)
		return err_set(e, STOA_EINVAL, "invite code is damaged (wrong "
			       "length: truncated or extra characters)");
	hash_blake2b(sum, raw, len - CHECK_LEN);
	if (!bytes_equal(sum, raw + len - CHECK_LEN, CHECK_LEN))
		return err_set(e, STOA_EINVAL,
			       "invite code is damaged (checksum mismatch)");
	reader_init(&r, raw + 3, len - 3 - CHECK_LEN);
	name = reader_bytes(&r, n);
	reader_copy(&r, iv->c.founder, COMMUNITY_FOUNDER_LEN);
	iv->c.epoch = reader_u32(&r);
	reader_copy(&r, iv->c.secret, COMMUNITY_SECRET_LEN);
	reader_copy(&r, iv->id, INVITE_ID_LEN);
	iv->role = reader_u8(&r);
	iv->expires = reader_u64(&r);
	iv->uses = reader_u16(&r);
	if (flags & INVITE_FLAG_SIGNED) {
		reader_copy(&r, iv->issuer, KEY_PUBLIC_LEN);
		reader_copy(&r, iv->sig, KEY_SIG_LEN);
	}
	if (!name || reader_finish(&r) != 0) { /* the length was checked */
		rc = err_set(e, STOA_EINVAL, "invite code is damaged");
		goto out;
	}
	if (memchr(name, '\0', n)) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code holds an invalid community name");
		goto out;
	}
	memcpy(iv->c.name, name, n);
	iv->c.name[n] = '\0';
	if (community_name_check(iv->c.name, NULL) != 0) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code holds an invalid community name");
		goto out;
	}
	if (!invite_role_name(iv->role)) {
		rc = err_set(e, STOA_EINVAL, "invite code is damaged (unknown "
			     "role %d)", iv->role);
		goto out;
	}
	if (iv->uses < 1) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (0 uses)");
		goto out;
	}
	iv->c.founded = 1;
	iv->version = INVITE_V3;
	if (flags & INVITE_FLAG_SIGNED) {
		size_t m = invite_signed_msg(iv, msg);

		if (key_verify(iv->issuer, msg, m, iv->sig) != 0) {
			rc = err_set(e, STOA_ECRYPTO, "invite code's signature "
				     "does not verify: it was changed after its "
				     "facilitator made it");
			goto out;
		}
		iv->is_signed = 1;
	}
out:
	bytes_wipe(sum, sizeof(sum));
	if (rc)
		invite_wipe(iv);
	return rc;
}

/* "stoa:" + base64url: v3 here, v1 and v2 by community.c. */
static int read_b64(const char *code, size_t len, struct invite *iv,
		    struct err *e)
{
	uint8_t raw[BIN_MAX + 3];
	const char *b64 = code + PREFIX_LEN, *end = NULL;
	size_t n = len - PREFIX_LEN, bin_len = 0, i;
	int rc;

	if (len > INVITE_CODE_MAX - 1)
		return err_set(e, STOA_EINVAL,
			       "invite code is too long (%zu characters, at most %d)",
			       len, INVITE_CODE_MAX - 1);
	for (i = 0; i < n; i++)
		if (!((b64[i] >= 'A' && b64[i] <= 'Z') ||
		      (b64[i] >= 'a' && b64[i] <= 'z') ||
		      (b64[i] >= '0' && b64[i] <= '9') || b64[i] == '-' ||
		      b64[i] == '_'))
			return err_set(e, STOA_EINVAL, "invite code is damaged "
				       "(unexpected character at position %zu)",
				       PREFIX_LEN + i + 1);
	if (sodium_base642bin(raw, sizeof(raw), b64, n, NULL, &bin_len, &end,
			      B64_VARIANT) != 0 || end != b64 + n) {
		rc = err_set(e, STOA_EINVAL,
			     "invite code is damaged (truncated or mistyped)");
		goto out;
	}
	if (bin_len >= 1 && raw[0] == INVITE_V3) {
		rc = v3_decode(raw, bin_len, iv, e);
		goto out;
	}
	if (bin_len >= 1 && raw[0] > INVITE_V3) {
		rc = err_set(e, STOA_EINVAL, "invite code version %u is not "
			     "supported (this is version %d)",
			     (unsigned)raw[0], INVITE_V3);
		goto out;
	}
	/* v1, v2: community.c reads the whole code again */
	{
		char copy[INVITE_CODE_MAX];

		memcpy(copy, code, len);
		copy[len] = '\0';
		rc = invite_decode(copy, &iv->c, e);
		bytes_wipe(copy, sizeof(copy));
		if (rc == 0)
			iv->version = iv->c.founded ? 2 : 1;
	}
out:
	bytes_wipe(raw, sizeof(raw));
	return rc;
}

/* 1 if group g (0-based) of the nt characters t is whole and its check
 * holds as group number num: how a group out of place is told. */
static int fits(const char *t, size_t nt, size_t g, size_t num)
{
	uint8_t gv[INVITE_GROUP_LEN];
	size_t i;
	int val;

	if ((g + 1) * INVITE_GROUP_LEN > nt)
		return 0;
	for (i = 0; i < INVITE_GROUP_LEN; i++) {
		if ((val = b32_value(t[g * INVITE_GROUP_LEN + i])) < 0)
			return 0;
		gv[i] = (uint8_t)val;
	}
	return group_check(num, gv, INVITE_GROUP_DATA) == gv[INVITE_GROUP_DATA];
}

/* How many groups a typed form of nt characters t should have, by its
 * first 3 bytes (version, flags, name length), or 0 if they say
 * nothing: a group left out or added at the end passes every group's
 * check, and is named by this. */
static size_t want_groups(const char *t, size_t nt)
{
	uint8_t head[3];
	unsigned acc = 0, bits = 0;
	size_t i, nb = 0;
	int val;

	for (i = 0; i < nt && nb < sizeof(head); i++) {
		if (i % INVITE_GROUP_LEN == INVITE_GROUP_DATA)
			continue; /* a check character */
		if ((val = b32_value(t[i])) < 0)
			return 0;
		acc = (acc << 5 | (unsigned)val) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			head[nb++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (nb < sizeof(head) || head[0] != INVITE_V3 ||
	    (head[1] & ~INVITE_FLAG_SIGNED) || head[2] < 1 ||
	    head[2] > COMMUNITY_NAME_MAX)
		return 0;
	return TYPED_GROUPS(3 + (size_t)head[2] + TAIL_LEN +
			    (head[1] ? SIGNED_LEN : 0) + CHECK_LEN);
}

static int length_error(size_t groups, size_t want, struct err *e)
{
	size_t d = groups < want ? want - groups : groups - want;

	if (groups < want)
		return err_set(e, STOA_EINVAL, "invite has %zu groups, not %zu: "
			       "%zu missing at its end; check it against the "
			       "paper", groups, want, d);
	return err_set(e, STOA_EINVAL, "invite has %zu groups, not %zu: %zu "
		       "too many at its end; check it against the paper",
		       groups, want, d);
}

/*
 * Why group g (0-based, its check failed) fails: a group left out before
 * it (it and the next fit one place later), the group before typed twice,
 * one too many before it (it and the next fit one place earlier: an
 * extra group passed its own check, 1 in 32), it one too many (the next
 * two fit one place earlier), or a typo. The next group must
 * agree: its check differs by a constant between two places, so a single
 * typo in group g is never taken for a missing or extra group.
 */
static int group_error(const char *t, size_t nt, size_t g, size_t k,
		       struct err *e)
{
	const char *grp = t + g * INVITE_GROUP_LEN;

	if (fits(t, nt, g, g + 2) && fits(t, nt, g + 1, g + 3))
		return err_set(e, STOA_EINVAL, "a group is missing before "
			       "invite group %zu ('%.*s'): check it against "
			       "the paper", g + 1, (int)k, grp);
	if (g > 0 && !memcmp(grp, grp - INVITE_GROUP_LEN, INVITE_GROUP_LEN) &&
	    fits(t, nt, g, g))
		return err_set(e, STOA_EINVAL, "invite group %zu ('%.*s') is "
			       "typed twice: check it against the paper", g + 1,
			       (int)k, grp);
	if (g > 0 && fits(t, nt, g, g) && fits(t, nt, g + 1, g + 1))
		return err_set(e, STOA_EINVAL, "a group before invite group %zu "
			       "('%.*s') is one too many: check it against the "
			       "paper", g + 1, (int)k, grp);
	if (fits(t, nt, g + 1, g + 1) && fits(t, nt, g + 2, g + 2))
		return err_set(e, STOA_EINVAL, "invite group %zu ('%.*s') is "
			       "one too many: check it against the paper",
			       g + 1, (int)k, grp);
	return err_set(e, STOA_EINVAL, "invite group %zu ('%.*s') has a typo: "
		       "check it against the paper", g + 1, (int)k, grp);
}

/* The typed form: groups of INVITE_GROUP_LEN characters by position
 * (dashes and white space are skipped wherever they are). */
static int read_typed(const char *code, size_t len, struct invite *iv,
		      struct err *e)
{
	char t[INVITE_INPUT_MAX];
	uint8_t v[INVITE_INPUT_MAX], raw[BIN_MAX];
	struct err inner;
	size_t nt = 0, nv = 0, g, i, groups, nbytes, want;
	unsigned acc = 0, bits = 0;
	int rc = 0;

	for (i = 0; i < len; i++) {
		if (code[i] == '-' || is_space(code[i]))
			continue;
		if (!((code[i] >= '0' && code[i] <= '9') ||
		      (code[i] >= 'A' && code[i] <= 'Z') ||
		      (code[i] >= 'a' && code[i] <= 'z'))) {
			/* t holds the code so far: wiped at out */
			rc = err_set(e, STOA_EINVAL, "not a stoa invite code "
				     "(a code starts with '%s'; a typed one is "
				     "groups of letters and digits)",
				     INVITE_PREFIX);
			goto out;
		}
		t[nt++] = code[i] >= 'a' && code[i] <= 'z'
			  ? (char)(code[i] - 'a' + 'A') : code[i];
	}
	if (nt == 0)
		return err_set(e, STOA_EINVAL, "no invite code given");
	groups = (nt + INVITE_GROUP_LEN - 1) / INVITE_GROUP_LEN;
	want = want_groups(t, nt);
	for (g = 0; g < groups; g++) {
		const char *grp = t + g * INVITE_GROUP_LEN;
		size_t k = nt - g * INVITE_GROUP_LEN;
		uint8_t gv[INVITE_GROUP_LEN];
		int val;

		if (k > INVITE_GROUP_LEN)
			k = INVITE_GROUP_LEN;
		for (i = 0; i < k; i++) {
			if ((val = b32_value(grp[i])) < 0) {
				rc = err_set(e, STOA_EINVAL, "invite group %zu "
					     "('%.*s') holds '%c', which no "
					     "invite uses: check it against "
					     "the paper", g + 1, (int)k, grp,
					     grp[i]);
				goto out;
			}
			gv[i] = (uint8_t)val;
		}
		if (k < 2) {
			rc = err_set(e, STOA_EINVAL, "invite ends in a group "
				     "of one character ('%.*s'): a character "
				     "is missing or extra", (int)k, grp);
			goto out;
		}
		if (group_check(g + 1, gv, k - 1) != gv[k - 1]) {
			rc = want && g >= want ? length_error(groups, want, e)
			     : group_error(t, nt, g, k, e);
			goto out;
		}
		memcpy(v + nv, gv, k - 1);
		nv += k - 1;
	}
	if (want && groups != want) {
		rc = length_error(groups, want, e);
		goto out;
	}
	nbytes = nv * 5 / 8;
	if (nbytes > sizeof(raw)) {
		rc = err_set(e, STOA_EINVAL, "invite is too long (%zu groups): "
			     "check that no group is extra", groups);
		goto out;
	}
	for (i = 0, nbytes = 0; i < nv; i++) {
		acc = (acc << 5 | v[i]) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			raw[nbytes++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* canonical base32: as many characters as the bytes need, zero
	 * padding bits */
	if (B32_CHARS(nbytes) != nv) {
		rc = err_set(e, STOA_EINVAL, "invite is too short or too long "
			     "(%zu groups): check that no group is missing "
			     "or extra", groups);
		goto out;
	}
	if (acc & ((1u << bits) - 1)) {
		rc = err_set(e, STOA_EINVAL, "invite's last group has a typo: "
			     "check it against the paper");
		goto out;
	}
	if (nbytes < 1 || raw[0] != INVITE_V3) {
		rc = err_set(e, STOA_EINVAL, "invite is not a typed stoa invite "
			     "(version %u)", nbytes ? (unsigned)raw[0] : 0u);
		goto out;
	}
	err_clear(&inner);
	rc = v3_decode(raw, nbytes, iv, &inner);
	if (rc && strstr(inner.msg, "checksum"))
		/* every group's check passed: a typo that fooled one */
		rc = err_set(e, STOA_EINVAL, "invite has a typo that its "
			     "group checks missed: check every group "
			     "against the paper");
	else if (rc)
		rc = err_set(e, rc, "%s", inner.msg);
out:
	bytes_wipe(t, sizeof(t));
	bytes_wipe(v, sizeof(v));
	bytes_wipe(raw, sizeof(raw));
	acc = 0;
	return rc;
}

int invite_read(const char *code, struct invite *iv, struct err *e)
{
	size_t len;

	invite_wipe(iv);
	if (!code)
		return err_set(e, STOA_EINVAL, "no invite code given");
	while (is_space(*code))
		code++;
	len = strnlen(code, INVITE_INPUT_MAX + 1);
	if (len > INVITE_INPUT_MAX)
		return err_set(e, STOA_EINVAL, "invite code is too long (more "
			       "than %d characters)", INVITE_INPUT_MAX);
	while (len > 0 && is_space(code[len - 1]))
		len--;
	if (len == 0)
		return err_set(e, STOA_EINVAL, "no invite code given");
	if (len >= PREFIX_LEN && memcmp(code, INVITE_PREFIX, PREFIX_LEN) == 0)
		return read_b64(code, len, iv, e);
	return read_typed(code, len, iv, e);
}
