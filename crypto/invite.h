/*
 * invite: the invite codes a facilitator makes (version 3), their typed
 * form for copying by hand, and the one reader of every code stoa takes
 * (v1 and v2 are community.c's). A v3 invite carries, besides what a v2
 * code does (the community's name, founder, epoch and secret), the
 * invite itself: an 8-byte random id, the role its joiner gets (learner
 * or mentor), an expiry and a number of uses, signed by its issuer.
 * Byte layouts in docs/formats.md ("Invite code v3", "Typed form").
 *
 * Binary form, v3 (all integers big-endian):
 *   off     len  field
 *     0       1  version = 3
 *     1       1  flags: bit 0 = signed (issuer and sig follow uses);
 *                every other bit 0
 *     2       1  N: name length (1..COMMUNITY_NAME_MAX)
 *     3       N  name
 *   3+N      32  founder
 *  35+N       4  epoch
 *  39+N      32  secret
 *  71+N       8  id
 *  79+N       1  role: 0 learner, 1 mentor
 *  80+N       8  expires: ms since 1970 (UTC), 0 = never
 *  88+N       2  uses: 1..INVITE_USES_MAX
 *  signed only:
 *  90+N      32  issuer: the Ed25519 key of the facilitator who made it
 * 122+N      64  sig: issuer's signature of INVITE_SIGN_DOMAIN || founder ||
 *                epoch || id || role || expires || uses || issuer
 *  then       4  check: first 4 bytes of BLAKE2b-256 of everything before
 *
 * "stoa:" + unpadded base64url of the signed form is the code of
 * `stoa invite` (copy/paste, QR). The typed form is the unsigned form in
 * Crockford base32, cut in groups of INVITE_GROUP_DATA characters, each
 * followed by a check character and joined by '-'. The decoders take
 * arbitrary text and answer with an error, never a crash.
 */
#ifndef STOA_INVITE_H
#define STOA_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "err.h"
#include "key.h"

#define INVITE_V3 3
#define INVITE_ID_LEN 8
#define INVITE_ROLE_LEARNER 0
#define INVITE_ROLE_MENTOR 1
#define INVITE_USES_MAX 65535
#define INVITE_SIGN_DOMAIN "stoa-invite-v3:"
#define INVITE_SIGN_DOMAIN_LEN 15
#define INVITE_FLAG_SIGNED 1u
/* Longest "stoa:" code of any version, with its NUL. */
#define INVITE_CODE_MAX 400
/* Longest typed form, with its NUL. */
#define INVITE_TYPED_MAX 400
/* The most characters of a code read (white space and dashes included). */
#define INVITE_INPUT_MAX 1024
#define INVITE_GROUP_DATA 4 /* data characters of a typed group */
#define INVITE_GROUP_LEN (INVITE_GROUP_DATA + 1)

struct invite {
	struct community c;      /* name, founder, epoch, secret: wipe */
	int version;             /* 1, 2 or 3 */
	/* version 3 only: */
	uint8_t id[INVITE_ID_LEN];
	int role;                /* INVITE_ROLE_* */
	uint64_t expires;        /* ms; 0 = never */
	uint16_t uses;
	int is_signed;           /* issuer and sig hold (the "stoa:" form) */
	uint8_t issuer[KEY_PUBLIC_LEN];
	uint8_t sig[KEY_SIG_LEN];
};

void invite_wipe(struct invite *iv);

/* Signs iv (a founded community's v3 invite) as k: sets issuer, sig,
 * is_signed. */
void invite_sign(struct invite *iv, const struct key *k);

/* "stoa:" + base64url of iv's signed v3 form (iv must be signed). */
void invite_v3_encode(const struct invite *iv, char out[INVITE_CODE_MAX]);

/* The typed form of iv (its unsigned v3 form): "XXXXC-XXXXC-...". */
void invite_typed_encode(const struct invite *iv, char out[INVITE_TYPED_MAX]);

/*
 * Reads any code: "stoa:" + base64url of v1, v2 or v3, or a typed form
 * (either case, O read as 0, I and L as 1, dashes and white space
 * ignored). Checks lengths, the check bytes, each typed group's check
 * character (a typo is named by its group: "invite group 7 ('K3F9Q') has
 * a typo: check it against the paper") and a signed invite's signature.
 * It does not look at the clock: the caller checks expires.
 */
int invite_read(const char *code, struct invite *iv, struct err *e);

/* The signed message of iv (for tests): returns its length. */
#define INVITE_SIGNED_MSG_LEN                                             \
	(INVITE_SIGN_DOMAIN_LEN + COMMUNITY_FOUNDER_LEN + 4 + INVITE_ID_LEN + \
	 1 + 8 + 2 + KEY_PUBLIC_LEN)
size_t invite_signed_msg(const struct invite *iv,
			 uint8_t out[INVITE_SIGNED_MSG_LEN]);

/* The role's name ("learner", "mentor"), or NULL. */
const char *invite_role_name(int role);

#endif
