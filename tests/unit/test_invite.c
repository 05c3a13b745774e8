/*
 * test_invite: invite codes of version 3 and their typed form
 * (crypto/invite.c): round trips, known-answer vectors that pin the
 * bytes (docs/formats.md), a forged signature, every single wrong
 * character and every swap of neighbours in the typed form caught and
 * named by its group, the lenient reading (case, O, I, L, separators),
 * and the refusals of the reader: lengths, versions, flags, roles, uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "community.h"
#include "err.h"
#include "invite.h"
#include "key.h"
#include "test.h"

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* A fixed invite: every byte known, signed by a key from a fixed seed. */
static void fixed(struct invite *iv, struct key *k)
{
	uint8_t seed[KEY_SEED_LEN];
	size_t i;

	for (i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i + 1);
	key_from_seed(k, seed);
	memset(iv, 0, sizeof(*iv));
	snprintf(iv->c.name, sizeof(iv->c.name), "Class 7b");
	for (i = 0; i < COMMUNITY_SECRET_LEN; i++)
		iv->c.secret[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < COMMUNITY_FOUNDER_LEN; i++)
		iv->c.founder[i] = (uint8_t)(0x40 + i);
	iv->c.founded = 1;
	iv->c.epoch = 2;
	iv->version = INVITE_V3;
	for (i = 0; i < INVITE_ID_LEN; i++)
		iv->id[i] = (uint8_t)(0x10 * i + 1);
	iv->role = INVITE_ROLE_MENTOR;
	iv->expires = 1797065274309ull;
	iv->uses = 30;
	invite_sign(iv, k);
}

static void check_same(const struct invite *a, const struct invite *b,
		       int is_signed)
{
	CHECK_STR(a->c.name, b->c.name);
	CHECK(!memcmp(a->c.secret, b->c.secret, COMMUNITY_SECRET_LEN));
	CHECK(!memcmp(a->c.founder, b->c.founder, COMMUNITY_FOUNDER_LEN));
	CHECK_EQ_INT(b->c.founded, 1);
	CHECK_EQ_INT(a->c.epoch, b->c.epoch);
	CHECK_EQ_INT(b->version, INVITE_V3);
	CHECK(!memcmp(a->id, b->id, INVITE_ID_LEN));
	CHECK_EQ_INT(a->role, b->role);
	CHECK_EQ_INT(a->expires, b->expires);
	CHECK_EQ_INT(a->uses, b->uses);
	CHECK_EQ_INT(b->is_signed, is_signed);
	if (is_signed) {
		CHECK(!memcmp(a->issuer, b->issuer, KEY_PUBLIC_LEN));
		CHECK(!memcmp(a->sig, b->sig, KEY_SIG_LEN));
	}
}

/* Pinned: what the fixed invite's typed form is, computed apart from
 * stoa's code by a Python transcription of docs/formats.md (hashlib's
 * BLAKE2b, bits cut by hand, the GF(32) check): changing the format
 * changes it, and docs/formats.md with it. */
static const char golden_typed[] =
	"0C00M-GGVCN-C5SQB-681QQ-C904P-2GJ3S-8H2ME-CHT84-95548-PK2DV-9S7NR-"
	"0MAJ4-ADA58-ANJQJ-B1CN5-MPTWJ-BNF5M-Y000B-001AA-18D2H-MEJAG-B9N77-"
	"N2MTX-NAXCQ-NPQAW-ZC5H4-PASV5-9DDPT-PYWBS-KENVN-QJYVH-XFR18-24GKS-"
	"2GAHB-C5RGW-20000-06H6E-JVZKZ-RM01R-WN6Y8-7R3GX";

static void test_round_trip(void)
{
	struct invite iv, r;
	struct key k;
	char code[INVITE_CODE_MAX], typed[INVITE_TYPED_MAX];
	char loose[INVITE_INPUT_MAX];
	struct err e;
	size_t i, n;

	fixed(&iv, &k);
	invite_v3_encode(&iv, code);
	CHECK(strncmp(code, "stoa:Aw", 7) == 0);
	err_clear(&e);
	CHECK_EQ_INT(invite_read(code, &r, &e), 0);
	check_same(&iv, &r, 1);

	invite_typed_encode(&iv, typed);
	CHECK_STR(typed, golden_typed);
	CHECK_EQ_INT(invite_read(typed, &r, &e), 0);
	check_same(&iv, &r, 0);
	/* 8-byte name: 102 bytes, 164 characters, 41 groups of 5 */
	CHECK_EQ_INT(strlen(typed), 41 * 6 - 1);

	/* lower case, spaces and newlines for dashes, O for 0, l for 1 */
	for (i = n = 0; typed[i]; i++) {
		char ch = typed[i];

		if (ch == '-')
			ch = (i % 2) ? ' ' : '\n';
		else if (ch == '0')
			ch = 'o';
		else if (ch == '1')
			ch = (i % 2) ? 'l' : 'I';
		else if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		loose[n++] = ch;
	}
	loose[n] = '\0';
	CHECK_EQ_INT(invite_read(loose, &r, &e), 0);
	check_same(&iv, &r, 0);
	/* and no separators at all */
	for (i = n = 0; typed[i]; i++)
		if (typed[i] != '-')
			loose[n++] = typed[i];
	loose[n] = '\0';
	CHECK_EQ_INT(invite_read(loose, &r, &e), 0);

	/* a learner invite that never expires, one use */
	iv.role = INVITE_ROLE_LEARNER;
	iv.expires = 0;
	iv.uses = 1;
	invite_sign(&iv, &k);
	invite_v3_encode(&iv, code);
	CHECK_EQ_INT(invite_read(code, &r, &e), 0);
	check_same(&iv, &r, 1);
	invite_wipe(&r);
	key_wipe(&k);
}

/* The group (1-based) of the character at position p of a typed form. */
static size_t group_of(size_t p)
{
	return p / 6 + 1;
}

static void test_typos(void)
{
	struct invite iv, r;
	struct key k;
	char typed[INVITE_TYPED_MAX], bad[INVITE_TYPED_MAX], want[64];
	struct err e;
	size_t p, v, n, caught = 0, tried = 0, extra;

	fixed(&iv, &k);
	invite_typed_encode(&iv, typed);
	/* every single wrong character, anywhere: named by its group */
	for (p = 0; typed[p]; p++) {
		if (typed[p] == '-')
			continue;
		for (v = 0; v < 32; v++) {
			if (b32[v] == typed[p])
				continue;
			memcpy(bad, typed, sizeof(bad));
			bad[p] = b32[v];
			err_clear(&e);
			tried++;
			if (invite_read(bad, &r, &e) != STOA_EINVAL)
				continue;
			snprintf(want, sizeof(want), "invite group %zu (",
				 group_of(p));
			if (strstr(e.msg, want) && strstr(e.msg, "has a typo: "
							  "check it against the paper"))
				caught++;
			else if (p >= strlen(typed) - 5 &&
				 strstr(e.msg, "last group has a typo"))
				caught++; /* padding bits of the last group */
		}
	}
	CHECK_EQ_INT(caught, tried);
	/* every swap of two different neighbours within a group */
	tried = caught = 0;
	for (p = 0; typed[p + 1]; p++) {
		if (typed[p] == '-' || typed[p + 1] == '-' ||
		    typed[p] == typed[p + 1])
			continue;
		memcpy(bad, typed, sizeof(bad));
		bad[p] = typed[p + 1];
		bad[p + 1] = typed[p];
		tried++;
		err_clear(&e);
		if (invite_read(bad, &r, &e) == STOA_EINVAL &&
		    strstr(e.msg, "typo"))
			caught++;
	}
	CHECK(tried > 100);
	CHECK_EQ_INT(caught, tried);
	/* a character left out, or one too many: refused */
	for (p = 0; typed[p]; p++) {
		if (typed[p] == '-')
			continue;
		memcpy(bad, typed, p);
		strcpy(bad + p, typed + p + 1);
		CHECK(invite_read(bad, &r, NULL) < 0);
		memcpy(bad, typed, p);
		bad[p] = 'K';
		strcpy(bad + p + 1, typed + p);
		CHECK(invite_read(bad, &r, NULL) < 0);
	}
	/* two groups swapped: the group number is in each check */
	memcpy(bad, typed, sizeof(bad));
	memcpy(bad, typed + 6, 5);
	memcpy(bad + 6, typed, 5);
	err_clear(&e);
	CHECK(invite_read(bad, &r, &e) < 0);
	CHECK(strstr(e.msg, "invite group 1 (") != NULL);
	/* a group left out, typed twice or added: said so, not "a typo"
	 * (groups 2..39 of 41; group g starts at 6 * (g - 1)) */
	CHECK(strlen(typed) == 41 * 6 - 1);
	for (p = 1, extra = 0; p < 39; p++) {
		char grp[8];

		/* group p + 1 left out: group p + 2 is read in its place */
		memcpy(bad, typed, 6 * p);
		strcpy(bad + 6 * p, typed + 6 * (p + 1));
		err_clear(&e);
		CHECK(invite_read(bad, &r, &e) < 0);
		snprintf(want, sizeof(want), "a group is missing before invite "
			 "group %zu ('%.5s')", p + 1, typed + 6 * (p + 1));
		CHECK(strstr(e.msg, want) != NULL);
		/* group p typed twice */
		memcpy(bad, typed, 6 * p);
		strcpy(bad + 6 * p, typed + 6 * (p - 1));
		err_clear(&e);
		CHECK(invite_read(bad, &r, &e) < 0);
		snprintf(want, sizeof(want), "invite group %zu ('%.5s') is typed "
			 "twice", p + 1, typed + 6 * (p - 1));
		CHECK(strstr(e.msg, want) != NULL);
		/* a group of its own added after group p */
		snprintf(grp, sizeof(grp), "%c%c%c%c%c-", b32[p % 32],
			 b32[(p * 7) % 32], b32[(p * 3) % 32], b32[(p * 5) % 32],
			 b32[(p * 11) % 32]);
		memcpy(bad, typed, 6 * p);
		memcpy(bad + 6 * p, grp, 6);
		strcpy(bad + 6 * p + 6, typed + 6 * p);
		err_clear(&e);
		CHECK(invite_read(bad, &r, &e) < 0);
		snprintf(want, sizeof(want), "invite group %zu ('%.5s') is one "
			 "too many", p + 1, grp);
		/* 1 in 32 added groups pass their own check: the next is
		 * found one place late */
		CHECK(strstr(e.msg, want) != NULL ||
		      strstr(e.msg, "a group before invite group"));
		extra += strstr(e.msg, want) != NULL;
	}
	CHECK(extra >= 30);
	/* groups left out or added at the end: every group's check passes,
	 * the count is said */
	memcpy(bad, typed, 40 * 6 - 1);
	bad[40 * 6 - 1] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK_STR(e.msg, "invite has 40 groups, not 41: 1 missing at its end; "
		  "check it against the paper");
	bad[38 * 6 - 1] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "invite has 38 groups, not 41: 3 missing") != NULL);
	strcpy(bad, typed); /* group 41 (its last) again, then group 1 */
	strcat(bad, typed + 6 * 40 - 1);
	strcat(bad, "-");
	n = strlen(bad);
	memcpy(bad + n, typed, 5); /* group 1 */
	bad[n + 5] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "invite has 43 groups, not 41: 2 too many at its "
		     "end") != NULL);
	/* a letter no invite uses */
	memcpy(bad, typed, sizeof(bad));
	bad[13] = 'U';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "invite group 3 (") && strstr(e.msg, "holds 'U'"));
	/* something that is no code at all */
	err_clear(&e);
	CHECK_EQ_INT(invite_read("hello, world", &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "not a stoa invite code") != NULL);
	invite_wipe(&r);
	key_wipe(&k);
}

/* The signed binary form of iv, changed by fn, check bytes made again. */
static void reencode(const char *code, void (*fn)(uint8_t *, size_t *),
		     char out[INVITE_CODE_MAX])
{
	uint8_t raw[400], sum[HASH_LEN];
	size_t n = 0;

	CHECK_EQ_INT(b64_decode(raw, sizeof(raw), &n, code + 5,
				strlen(code) - 5), 0);
	n -= 4;
	fn(raw, &n);
	hash_blake2b(sum, raw, n);
	memcpy(raw + n, sum, 4);
	n += 4;
	memcpy(out, "stoa:", 5);
	CHECK_EQ_INT(b64_encode(out + 5, INVITE_CODE_MAX - 5, raw, n), 0);
}

static void to_facilitator(uint8_t *raw, size_t *n)
{
	raw[3 + 8 + 32 + 4 + 32 + 8] = 2; /* role: after name, founder,
					   * epoch, secret, id */
}

static void to_mentor(uint8_t *raw, size_t *n)
{
	raw[3 + 8 + 32 + 4 + 32 + 8] = INVITE_ROLE_MENTOR;
}

static void more_uses(uint8_t *raw, size_t *n)
{
	raw[3 + 8 + 32 + 4 + 32 + 8 + 1 + 8 + 1] ^= 0x40;
}

static void zero_uses(uint8_t *raw, size_t *n)
{
	raw[3 + 8 + 32 + 4 + 32 + 8 + 1 + 8] = 0;
	raw[3 + 8 + 32 + 4 + 32 + 8 + 1 + 8 + 1] = 0;
}

static void bad_flags(uint8_t *raw, size_t *n)
{
	raw[1] |= 2;
}

static void version4(uint8_t *raw, size_t *n)
{
	raw[0] = 4;
}

static void unsigned_form(uint8_t *raw, size_t *n)
{
	raw[1] = 0;
	*n -= KEY_PUBLIC_LEN + KEY_SIG_LEN;
}

static void test_forgery(void)
{
	struct invite iv, r;
	struct key k;
	char code[INVITE_CODE_MAX], bad[INVITE_CODE_MAX];
	struct err e;

	fixed(&iv, &k);
	iv.role = INVITE_ROLE_LEARNER;
	iv.uses = 1;
	invite_sign(&iv, &k);
	invite_v3_encode(&iv, code);

	/* a learner invite made a mentor one, check bytes and all: the
	 * signature says so */
	reencode(code, to_mentor, bad);
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_ECRYPTO);
	CHECK(strstr(e.msg, "signature does not verify") != NULL);
	reencode(code, more_uses, bad);
	CHECK_EQ_INT(invite_read(bad, &r, NULL), STOA_ECRYPTO);
	/* fields no invite holds */
	reencode(code, to_facilitator, bad);
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "unknown role") != NULL);
	reencode(code, zero_uses, bad);
	CHECK_EQ_INT(invite_read(bad, &r, NULL), STOA_EINVAL);
	reencode(code, bad_flags, bad);
	CHECK_EQ_INT(invite_read(bad, &r, NULL), STOA_EINVAL);
	reencode(code, version4, bad);
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "version 4 is not supported") != NULL);
	/* the unsigned form in base64 reads (no signature to check) */
	reencode(code, unsigned_form, bad);
	CHECK_EQ_INT(invite_read(bad, &r, NULL), 0);
	CHECK_EQ_INT(r.is_signed, 0);
	/* a character changed: the check bytes catch it */
	memcpy(bad, code, sizeof(bad));
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(bad, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "damaged") != NULL);
	invite_wipe(&r);
	key_wipe(&k);
}

static void test_old_codes(void)
{
	struct community c;
	struct invite r;
	char code[INVITE_MAX], huge[INVITE_INPUT_MAX + 10];
	struct err e;

	CHECK_EQ_INT(community_create(&c, "Old class", NULL), 0);
	invite_encode(&c, code);
	CHECK_EQ_INT(invite_read(code, &r, NULL), 0);
	CHECK_EQ_INT(r.version, 1);
	CHECK_STR(r.c.name, "Old class");
	c.founded = 1;
	memset(c.founder, 7, sizeof(c.founder));
	invite_encode(&c, code);
	CHECK_EQ_INT(invite_read(code, &r, NULL), 0);
	CHECK_EQ_INT(r.version, 2);
	CHECK(!memcmp(r.c.secret, c.secret, COMMUNITY_SECRET_LEN));
	/* bounds of the reader */
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	err_clear(&e);
	CHECK_EQ_INT(invite_read(huge, &r, &e), STOA_EINVAL);
	CHECK(strstr(e.msg, "too long") != NULL);
	CHECK_EQ_INT(invite_read("   \n", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_read(NULL, &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_read("stoa:", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_read("A", &r, NULL), STOA_EINVAL);
	CHECK_EQ_INT(invite_read("AB", &r, NULL), STOA_EINVAL);
	community_wipe(&c);
	invite_wipe(&r);
}

/* Random names and fields: both forms read back as they were. */
static void test_random(void)
{
	struct invite iv, r;
	struct key k;
	char code[INVITE_CODE_MAX], typed[INVITE_TYPED_MAX];
	unsigned i, j, n;

	for (i = 0; i < 300; i++) {
		key_generate(&k);
		memset(&iv, 0, sizeof(iv));
		n = 1 + i % COMMUNITY_NAME_MAX;
		for (j = 0; j < n; j++)
			iv.c.name[j] = (char)('a' + (i * 7 + j) % 26);
		iv.c.name[n] = '\0';
		random_bytes(iv.c.secret, COMMUNITY_SECRET_LEN);
		random_bytes(iv.c.founder, COMMUNITY_FOUNDER_LEN);
		iv.c.founded = 1;
		random_bytes(&iv.c.epoch, sizeof(iv.c.epoch));
		random_bytes(iv.id, INVITE_ID_LEN);
		iv.role = (int)(i & 1);
		random_bytes(&iv.expires, sizeof(iv.expires));
		iv.uses = (uint16_t)(1 + i * 211 % INVITE_USES_MAX);
		invite_sign(&iv, &k);
		invite_v3_encode(&iv, code);
		CHECK(strlen(code) < INVITE_CODE_MAX);
		CHECK_EQ_INT(invite_read(code, &r, NULL), 0);
		check_same(&iv, &r, 1);
		invite_typed_encode(&iv, typed);
		CHECK(strlen(typed) < INVITE_TYPED_MAX);
		CHECK_EQ_INT(invite_read(typed, &r, NULL), 0);
		check_same(&iv, &r, 0);
		key_wipe(&k);
	}
	invite_wipe(&iv);
	invite_wipe(&r);
}

int main(void)
{
	if (key_lib_init() != 0) {
		fprintf(stderr, "test_invite: cannot initialise libsodium\n");
		return 1;
	}
	test_round_trip();
	test_typos();
	test_forgery();
	test_old_codes();
	test_random();
	return test_report("invite");
}
