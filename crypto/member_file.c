/*
 * member_file: the member export file (layout in member_file.h and
 * docs/formats.md). Every length is checked against its bound before it is
 * used; the name is checked as clean text; the signature is checked before
 * the caller may run a KDF. Secrets live in fixed arrays and are wiped on
 * every path. No I/O: the CLI reads and writes the file (secret_file_*).
 */
#include <string.h>

#include "buf.h"
#include "community.h"
#include "member_file.h"

_Static_assert(sizeof(MEMBER_FILE_MAGIC) - 1 == 8, "member file magic size");
_Static_assert(MEMBER_FILE_NAME_MAX <= COMMUNITY_NAME_MAX,
	       "a member name passes the community name check");
_Static_assert(MEMBER_FILE_MIN == 301, "member file size");

/* Offsets (member_file.h); after the name they move by N. */
#define MF_VERSION 8
#define MF_CONTENTS 9
#define MF_FOUNDER 10
#define MF_NAME_LEN 42
#define MF_NAME 43
#define MF_SEQ(n) (43 + (n))
#define MF_HEAD(n) (51 + (n))
#define MF_KEY(n) (83 + (n))
#define MF_SIG(n) (83 + (n) + KEY_FILE_V2_LEN)

void member_file_wipe(struct member_file *mf)
{
	if (mf)
		bytes_wipe(mf, sizeof(*mf));
}

/* A display name: 0..MEMBER_FILE_NAME_MAX bytes of clean one-line text. */
static int name_ok(const char *name, size_t n)
{
	if (n > MEMBER_FILE_NAME_MAX || memchr(name, '\0', n))
		return 0;
	return n == 0 || community_name_check(name, NULL) == 0;
}

int member_file_encode(uint8_t out[MEMBER_FILE_MAX], size_t *len,
		       const struct member_file *mf, const struct key *k,
		       const char *pass, size_t plen, uint64_t ops,
		       uint64_t mem, struct err *e)
{
	size_t n = strnlen(mf->name, sizeof(mf->name));
	int rc;

	*len = 0;
	if (!name_ok(mf->name, n))
		return err_set(e, STOA_EINVAL, "the member's name cannot go in "
			       "an export file");
	if (!key_has_secret(k))
		return err_set(e, STOA_EINVAL, "the key is locked: cannot "
			       "export it");
	memcpy(out, MEMBER_FILE_MAGIC, 8);
	out[MF_VERSION] = MEMBER_FILE_VERSION;
	out[MF_CONTENTS] = MEMBER_FILE_KEY_ONLY;
	memcpy(out + MF_FOUNDER, mf->founder, KEY_PUBLIC_LEN);
	out[MF_NAME_LEN] = (uint8_t)n;
	memcpy(out + MF_NAME, mf->name, n);
	be_put64(out + MF_SEQ(n), mf->seq);
	memcpy(out + MF_HEAD(n), mf->head, HASH_LEN);
	rc = key_file_seal(out + MF_KEY(n), k, pass, plen, ops, mem, e);
	if (rc < 0) {
		bytes_wipe(out, MEMBER_FILE_MAX);
		return rc;
	}
	key_sign(k, out, MF_SIG(n), out + MF_SIG(n));
	*len = MEMBER_FILE_MIN + n;
	return 0;
}

int member_file_decode(const uint8_t *p, size_t len, struct member_file *mf,
		       struct err *e)
{
	struct err inner;
	size_t n;
	int rc;

	member_file_wipe(mf);
	if (!p || len == 0)
		return err_set(e, STOA_EPROTO, "not a member export file "
			       "(it is empty)");
	if (len < 8 || memcmp(p, MEMBER_FILE_MAGIC, 8) != 0)
		return err_set(e, STOA_EPROTO, "not a member export file "
			       "(no stoa-mbr magic)");
	if (len < MF_NAME)
		return err_set(e, STOA_EPROTO, "member export file is "
			       "truncated (%zu bytes)", len);
	if (p[MF_VERSION] != MEMBER_FILE_VERSION)
		return err_set(e, STOA_EPROTO, "member export file version %u "
			       "is not supported (this stoa reads %d)",
			       (unsigned)p[MF_VERSION], MEMBER_FILE_VERSION);
	if (p[MF_CONTENTS] != MEMBER_FILE_KEY_ONLY)
		return err_set(e, STOA_EPROTO, "member export file holds "
			       "contents %u, which this stoa does not read",
			       (unsigned)p[MF_CONTENTS]);
	n = p[MF_NAME_LEN];
	if (n > MEMBER_FILE_NAME_MAX)
		return err_set(e, STOA_EPROTO, "member export file: name of "
			       "%zu bytes (at most %d)", n, MEMBER_FILE_NAME_MAX);
	if (len < MEMBER_FILE_MIN + n)
		return err_set(e, STOA_EPROTO, "member export file is "
			       "truncated (%zu bytes, %zu expected)", len,
			       (size_t)MEMBER_FILE_MIN + n);
	if (len > MEMBER_FILE_MIN + n)
		return err_set(e, STOA_EPROTO, "member export file has %zu "
			       "bytes too many", len - (MEMBER_FILE_MIN + n));
	memcpy(mf->name, p + MF_NAME, n);
	mf->name[n] = '\0';
	if (!name_ok(mf->name, n)) {
		member_file_wipe(mf);
		return err_set(e, STOA_EPROTO, "member export file: the name "
			       "is not clean one-line text");
	}
	memcpy(mf->founder, p + MF_FOUNDER, KEY_PUBLIC_LEN);
	mf->seq = be_get64(p + MF_SEQ(n));
	memcpy(mf->head, p + MF_HEAD(n), HASH_LEN);
	err_clear(&inner);
	rc = key_file_parse(p + MF_KEY(n), KEY_FILE_V2_LEN, &mf->kf, &inner);
	if (rc == 0 && !mf->kf.sealed)
		rc = err_set(&inner, STOA_EPROTO, "the key is not sealed");
	if (rc < 0) {
		member_file_wipe(mf);
		return err_set(e, rc, "member export file: %s", inner.msg);
	}
	if (key_verify(mf->kf.key.pk, p, MF_SIG(n), p + MF_SIG(n)) < 0) {
		member_file_wipe(mf);
		return err_set(e, STOA_ECRYPTO, "member export file is damaged "
			       "or was altered (bad signature)");
	}
	return 0;
}
