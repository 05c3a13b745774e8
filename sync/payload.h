/*
 * payload: the JSON payload of each known entry kind, validated with
 * jansson (never a hand-written parser).
 *
 * A payload is a UTF-8 JSON object of at most ENTRY_MAX_PAYLOAD bytes.
 * Every object may carry "v" (integer >= 1, default 1): the schema version
 * of its kind. A payload whose "v" is newer than PAYLOAD_VERSION, or whose
 * kind is unknown, is stored and relayed unchanged but never materialized:
 * payload_validate says so with PAYLOAD_OPAQUE. Field schemas are in
 * docs/formats.md and enforced here; unknown extra fields are allowed.
 */
#ifndef STOA_PAYLOAD_H
#define STOA_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define PAYLOAD_VERSION 1
#define PAYLOAD_NAME_MAX 64     /* profile name, bytes */
#define PAYLOAD_TOPIC_MAX 64    /* post/mentoring topic */
#define PAYLOAD_TITLE_MAX 200
#define PAYLOAD_BIO_MAX 1024
#define PAYLOAD_BADGE_MAX 32
#define PAYLOAD_MINUTES_MAX 1440
#define PAYLOAD_RATING_MIN 1
#define PAYLOAD_RATING_MAX 5
#define PAYLOAD_DEPTH_MAX 8     /* nesting bound on any payload */
#define PAYLOAD_REASON_MAX 1024 /* governance reasons, report text */
#define PAYLOAD_REPLACES_MAX 16 /* role records a role record replaces */
#define PAYLOAD_SEALED_MAX 16   /* facilitators a report is sealed to */
/* a sealed box (crypto_box_seal) holds its text plus 48 bytes */
#define PAYLOAD_SEAL_OVERHEAD 48
/* A rotation (kind epoch) seals its 32-byte secret to at most this many
 * members: 128 seals of about 190 bytes fit ENTRY_MAX_PAYLOAD. */
#define PAYLOAD_EPOCH_SEALS_MAX 128
#define PAYLOAD_EPOCH_SECRET_LEN 32
#define PAYLOAD_EPOCH_BOX_LEN (PAYLOAD_EPOCH_SECRET_LEN + PAYLOAD_SEAL_OVERHEAD)
#define PAYLOAD_BOX_MAX (PAYLOAD_REASON_MAX + PAYLOAD_SEAL_OVERHEAD)
/* An invite (kind invite, and the "invite" a joiner's profile names): an
 * id of 8 bytes as 16 lowercase hex, used by 1..PAYLOAD_INVITE_USES_MAX
 * joins, expiring at a timestamp in ms (0: never). */
#define PAYLOAD_INVITE_ID_HEX_LEN 16
#define PAYLOAD_INVITE_USES_MAX 65535

enum payload_class {
	PAYLOAD_VALID = 0,  /* known kind and schema: materialize it */
	PAYLOAD_OPAQUE = 1, /* unknown kind or newer "v": store, relay, skip */
};

/*
 * Validates payload bytes for kind. Returns PAYLOAD_VALID or PAYLOAD_OPAQUE
 * (>= 0), or a negative STOA_E* with the reason in e. If out is not NULL
 * and the result is PAYLOAD_VALID, *out receives the parsed object (caller
 * owns it: json_decref). The payload of an unknown kind may be any bytes
 * (a newer node defined it): only its size is checked.
 */
int payload_validate(uint8_t kind, const void *p, size_t len, json_t **out,
		     struct err *e);

/*
 * Serializes obj compactly with sorted keys (the form stoa writes). Caller
 * frees *out with free(). Fails if the result exceeds ENTRY_MAX_PAYLOAD.
 */
int payload_encode(const json_t *obj, char **out, size_t *len, struct err *e);

/* 1 if role is one of the profile roles: learner, mentor, facilitator. */
int payload_role_ok(const char *role);
/* The rank of a role, least permissive first: learner 0, mentor 1,
 * facilitator 2; -1 if not a role. */
int payload_role_rank(const char *role);
/* The role of a rank (0..2), or NULL. */
const char *payload_role_name(int rank);

/* 1 if c is a report category: bullying, personal-info, spam, off-topic,
 * other. */
int payload_report_category_ok(const char *c);

/*
 * 1 if s is strict UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF) with no control characters other than \n and \t: no other C0,
 * no DEL, no C1 (U+0080..U+009F).
 */
int payload_text_ok(const char *s);

/*
 * Makes s, in place, fit for a terminal or a log line (dropbear's
 * stripcontrol, extended to UTF-8): C0 controls, DEL, C1 controls and the
 * bidi controls (U+200E, U+200F, U+061C, U+202A..U+202E, U+2066..U+2069)
 * are removed, tab becomes a space, each byte of invalid UTF-8 becomes
 * '?'; newlines are kept with multiline, else become spaces. s never grows.
 */
void payload_text_clean(char *s, int multiline);

#endif
