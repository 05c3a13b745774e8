/*
 * member_file: the file `stoa member export` writes and `stoa member
 * import` reads, which carries one member's key from one node to another,
 * always sealed under a passphrase (a key file v2 inside), signed by the
 * member's own key so that nothing in it can be changed unseen. It carries
 * the key only, never the community's secret: the node that imports it
 * must already be a node of the community (docs/cli.md, "stoa member").
 *
 * Member export file, version 1 (MEMBER_FILE_MIN + N bytes, mode 0600):
 *   off     len  field
 *     0       8  magic "stoa-mbr"
 *     8       1  version = 1
 *     9       1  contents: 1 = the member's key only (any other value is
 *                refused)
 *    10      32  the community's founder (its Ed25519 public key; zeros
 *                for a community without one)
 *    42       1  N: the member's display name length (0..MEMBER_FILE_NAME_MAX;
 *                0 if the exporting node held no profile of theirs)
 *    43       N  the display name, UTF-8, no control characters
 *  43+N       8  seq of the member's feed head on the exporting node,
 *                big-endian (0: none held)
 *  51+N      32  id of that head entry (zeros if seq is 0)
 *  83+N     154  a key file v2 (key.h) of the member's key, sealed under
 *                the export's passphrase
 * 237+N      64  Ed25519 signature by the member's key (the public key of
 *                the key file at 83+N) of bytes 0..237+N
 * The signature tells a damaged or altered file from a wrong passphrase
 * before any KDF runs; the secretbox MAC and the public key derived from
 * the unsealed seed then authenticate the key itself.
 */
#ifndef STOA_MEMBER_FILE_H
#define STOA_MEMBER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"

#define MEMBER_FILE_MAGIC "stoa-mbr"
#define MEMBER_FILE_VERSION 1
#define MEMBER_FILE_KEY_ONLY 1
#define MEMBER_FILE_NAME_MAX 64 /* PAYLOAD_NAME_MAX */
#define MEMBER_FILE_MIN (43 + 8 + HASH_LEN + KEY_FILE_V2_LEN + KEY_SIG_LEN)
#define MEMBER_FILE_MAX (MEMBER_FILE_MIN + MEMBER_FILE_NAME_MAX)

/* What an export file says besides the key. */
struct member_file {
	uint8_t founder[KEY_PUBLIC_LEN];   /* zeros: no founder */
	char name[MEMBER_FILE_NAME_MAX + 1]; /* "" if unknown */
	uint64_t seq;                      /* feed head at export, 0: none */
	uint8_t head[HASH_LEN];
	struct key_file kf;                /* sealed (v2); wipe with
					    * member_file_wipe */
};

/*
 * The bytes of an export file of k (which must hold its secret) and the
 * fields of mf (founder, name, seq, head; mf->kf is ignored) into out,
 * *len set: k sealed under pass (1..KEY_PASSPHRASE_MAX bytes) with the
 * given Argon2id limits (key_file_seal), then signed. STOA_EINVAL for a
 * name that is too long or not clean text, a locked key, a bad
 * passphrase length.
 */
int member_file_encode(uint8_t out[MEMBER_FILE_MAX], size_t *len,
		       const struct member_file *mf, const struct key *k,
		       const char *pass, size_t plen, uint64_t ops,
		       uint64_t mem, struct err *e);

/*
 * Parses export file bytes (no KDF is run): checks the magic, version,
 * contents, name, the length (exactly MEMBER_FILE_MIN + N), the key file
 * inside (it must be sealed) and the signature. 0, or STOA_EPROTO /
 * STOA_ECRYPTO with a one-line reason; mf is wiped on failure. The key is
 * then opened with key_file_unlock(&mf->kf, ...).
 */
int member_file_decode(const uint8_t *p, size_t len, struct member_file *mf,
		       struct err *e);

void member_file_wipe(struct member_file *mf);

#endif
