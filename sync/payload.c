/*
 * payload: parses entry payloads with jansson and checks them against the
 * schema of their kind. It owns the payload rules (which fields, which
 * types, which bounds) and the canonical form stoa writes (compact, sorted
 * keys). Bytes may come from any peer, so the size is bounded before
 * jansson sees them, duplicate keys are refused (two readers must never
 * disagree on a field), nesting is bounded by a walk whose own recursion is
 * bounded, and every refusal is an error code with a message naming the
 * field, never an abort. Control characters inside strings are accepted
 * here on purpose: entries from other nodes may carry them and printers
 * strip them; payload_text_ok is the stricter check for local input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "b64.h"
#include "entry.h"
#include "err.h"
#include "payload.h"

#define HEX64_LEN 64
/* Longest jansson error text copied into a message (it quotes input). */
#define JSON_ERR_TEXT_MAX 80

/* least permissive first: the index is the rank */
static const char *const roles[] = { "learner", "mentor", "facilitator" };
static const char *const categories[] = { "bullying", "personal-info", "spam",
					  "off-topic", "other" };

int payload_role_rank(const char *role)
{
	size_t i;

	for (i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return (int)i;
	return -1;
}

int payload_role_ok(const char *role)
{
	return payload_role_rank(role) >= 0;
}

const char *payload_role_name(int rank)
{
	if (rank < 0 || rank >= (int)(sizeof(roles) / sizeof(roles[0])))
		return NULL;
	return roles[rank];
}

int payload_report_category_ok(const char *c)
{
	size_t i;

	for (i = 0; c && i < sizeof(categories) / sizeof(categories[0]); i++)
		if (strcmp(c, categories[i]) == 0)
			return 1;
	return 0;
}

/*
 * 0 if every array/object in j is at most PAYLOAD_DEPTH_MAX containers
 * deep (the top-level object is depth 1). Recursion stops one level past
 * the bound, so the C stack use is bounded whatever the input.
 */
static int depth_ok(json_t *j, int depth)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(j) && !json_is_array(j))
		return 0;
	if (depth > PAYLOAD_DEPTH_MAX)
		return -1;
	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			if (depth_ok(v, depth + 1) != 0)
				return -1;
	} else {
		json_array_foreach(j, i, v)
			if (depth_ok(v, depth + 1) != 0)
				return -1;
	}
	return 0;
}

/*
 * jansson's error text may quote the offending input; keep it printable
 * ASCII so a peer's bytes never reach a log line raw.
 */
static void clean_text(char *out, size_t n, const char *in)
{
	size_t i;

	for (i = 0; i + 1 < n && in[i]; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
}

static int is_hex_n(const char *s, size_t n, size_t want)
{
	size_t i;

	if (n != want)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* An optional (or required) field of len lowercase hex characters. */
static int check_hex(json_t *o, const char *kind, const char *field,
		     size_t len, int required, struct err *e)
{
	json_t *v = json_object_get(o, field);

	if (!v)
		return required ? err_set(e, STOA_EPROTO,
					  "%s: missing field '%s'", kind, field)
				: 0;
	if (!json_is_string(v) ||
	    !is_hex_n(json_string_value(v), json_string_length(v), len))
		return err_set(e, STOA_EPROTO, "%s: '%s' must be %zu lowercase "
			       "hex characters", kind, field, len);
	return 0;
}

/* An invite id: PAYLOAD_INVITE_ID_HEX_LEN lowercase hex. */
static int check_invite_id(json_t *o, const char *kind, const char *field,
			   int required, struct err *e)
{
	return check_hex(o, kind, field, PAYLOAD_INVITE_ID_HEX_LEN, required,
			 e);
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\n\r\v\f", s[i]))
			return 0;
	return 1;
}

/* The value of a required field, or NULL with the error set. */
static json_t *need(json_t *o, const char *kind, const char *field,
		    struct err *e)
{
	json_t *v = json_object_get(o, field);

	if (!v)
		err_set(e, STOA_EPROTO, "%s: missing field '%s'", kind, field);
	return v;
}

/*
 * Checks a string field. Absent is fine unless required. min/max bound
 * the length in bytes (max 0: only the payload bound applies); line
 * forbids '\n' and '\r'.
 */
static int check_string(json_t *o, const char *kind, const char *field,
			int required, size_t min, size_t max, int line,
			struct err *e)
{
	json_t *v = json_object_get(o, field);
	const char *s;
	size_t n;

	if (!v)
		return required ? err_set(e, STOA_EPROTO,
					  "%s: missing field '%s'", kind, field)
				: 0;
	if (!json_is_string(v))
		return err_set(e, STOA_EPROTO, "%s: '%s' must be a string", kind,
			       field);
	s = json_string_value(v);
	n = json_string_length(v);
	if (n < min && min == 1)
		return err_set(e, STOA_EPROTO, "%s: '%s' must not be empty", kind,
			       field);
	if (max && n > max && min == 0)
		return err_set(e, STOA_EPROTO, "%s: '%s' must be at most %zu bytes",
			       kind, field, max);
	if (max && (n < min || n > max))
		return err_set(e, STOA_EPROTO, "%s: '%s' must be %zu to %zu bytes",
			       kind, field, min, max);
	if (line && (memchr(s, '\n', n) || memchr(s, '\r', n)))
		return err_set(e, STOA_EPROTO, "%s: '%s' must be a single line",
			       kind, field);
	return 0;
}

static int check_hex64(json_t *o, const char *kind, const char *field,
		       int required, struct err *e)
{
	return check_hex(o, kind, field, HEX64_LEN, required, e);
}

static int check_int(json_t *o, const char *kind, const char *field,
		     int required, json_int_t min, json_int_t max,
		     struct err *e)
{
	json_t *v = json_object_get(o, field);
	json_int_t n;

	if (!v)
		return required ? err_set(e, STOA_EPROTO,
					  "%s: missing field '%s'", kind, field)
				: 0;
	n = json_is_integer(v) ? json_integer_value(v) : min - 1;
	if (!json_is_integer(v) || n < min || n > max)
		return err_set(e, STOA_EPROTO,
			       "%s: '%s' must be an integer from %lld to %lld",
			       kind, field, (long long)min, (long long)max);
	return 0;
}

static int check_profile(json_t *o, const char *kind, struct err *e)
{
	json_t *role;
	int rc;

	if ((rc = check_string(o, kind, "name", 1, 1, PAYLOAD_NAME_MAX, 1, e)))
		return rc;
	if (!(role = need(o, kind, "role", e)))
		return STOA_EPROTO;
	if (!json_is_string(role) || !payload_role_ok(json_string_value(role)))
		return err_set(e, STOA_EPROTO,
			       "%s: 'role' must be one of learner, mentor, facilitator",
			       kind);
	if ((rc = check_invite_id(o, kind, "invite", 0, e)))
		return rc;
	return check_string(o, kind, "bio", 0, 0, PAYLOAD_BIO_MAX, 0, e);
}

static int check_post(json_t *o, const char *kind, struct err *e)
{
	json_t *body;
	int rc;

	if ((rc = check_string(o, kind, "topic", 1, 1, PAYLOAD_TOPIC_MAX, 1, e)) ||
	    (rc = check_string(o, kind, "title", 0, 1, PAYLOAD_TITLE_MAX, 1, e)) ||
	    (rc = check_string(o, kind, "body", 1, 1, 0, 0, e)))
		return rc;
	body = json_object_get(o, "body");
	if (blank(json_string_value(body), json_string_length(body)))
		return err_set(e, STOA_EPROTO, "%s: 'body' must not be empty",
			       kind);
	return check_hex64(o, kind, "reply_to", 0, e);
}

static int check_feedback(json_t *o, const char *kind, struct err *e)
{
	json_t *helpful;
	int rc;

	if ((rc = check_hex64(o, kind, "target", 1, e)) ||
	    (rc = check_int(o, kind, "rating", 0, PAYLOAD_RATING_MIN,
			    PAYLOAD_RATING_MAX, e)))
		return rc;
	if (!(helpful = need(o, kind, "helpful", e)))
		return STOA_EPROTO;
	if (!json_is_boolean(helpful))
		return err_set(e, STOA_EPROTO, "%s: 'helpful' must be true or false",
			       kind);
	if ((rc = check_string(o, kind, "comment", 0, 1, 0, 0, e)))
		return rc;
	if (!json_object_get(o, "rating") && !json_is_true(helpful) &&
	    !json_object_get(o, "comment"))
		return err_set(e, STOA_EPROTO,
			       "feedback needs a rating, --helpful or a comment");
	return 0;
}

static int check_mentor_topic(json_t *o, const char *kind, struct err *e)
{
	int rc;

	if ((rc = check_string(o, kind, "topic", 1, 1, PAYLOAD_TOPIC_MAX, 1, e)))
		return rc;
	return check_string(o, kind, "note", 0, 0, PAYLOAD_BIO_MAX, 0, e);
}

static int check_session(json_t *o, const char *kind, struct err *e)
{
	int rc;

	if ((rc = check_hex64(o, kind, "pairing", 1, e)) ||
	    (rc = check_int(o, kind, "minutes", 1, 0, PAYLOAD_MINUTES_MAX, e)) ||
	    (rc = check_string(o, kind, "notes", 1, 1, 0, 0, e)) ||
	    (rc = check_string(o, kind, "goals", 0, 0, 0, 0, e)))
		return rc;
	return check_string(o, kind, "progress", 0, 0, 0, 0, e);
}

static int check_kudos(json_t *o, const char *kind, struct err *e)
{
	int rc;

	if ((rc = check_hex64(o, kind, "to", 1, e)) ||
	    (rc = check_string(o, kind, "badge", 1, 1, PAYLOAD_BADGE_MAX, 1, e)))
		return rc;
	return check_string(o, kind, "reason", 0, 0, 0, 0, e);
}

/* An optional array of at most max elements (a required one if min > 0). */
static json_t *check_array(json_t *o, const char *kind, const char *field,
			   size_t min, size_t max, struct err *e)
{
	json_t *v = json_object_get(o, field);

	if (!v && !min)
		return json_null(); /* absent: an empty list */
	if (!v || !json_is_array(v) || json_array_size(v) < min ||
	    json_array_size(v) > max) {
		err_set(e, STOA_EPROTO, "%s: '%s' must be a list of %zu to %zu "
			"items", kind, field, min, max);
		return NULL;
	}
	return v;
}

/* {"target": id, "reason"?}: hide, unhide, erase */
static int check_target_reason(json_t *o, const char *kind, struct err *e)
{
	int rc;

	if ((rc = check_hex64(o, kind, "target", 1, e)))
		return rc;
	return check_string(o, kind, "reason", 0, 0, PAYLOAD_REASON_MAX, 0, e);
}

static int check_role(json_t *o, const char *kind, struct err *e)
{
	json_t *role, *list, *v;
	size_t i;
	int rc;

	if ((rc = check_hex64(o, kind, "member", 1, e)))
		return rc;
	if (!(role = need(o, kind, "role", e)))
		return STOA_EPROTO;
	if (!json_is_string(role) || !payload_role_ok(json_string_value(role)))
		return err_set(e, STOA_EPROTO,
			       "%s: 'role' must be one of learner, mentor, facilitator",
			       kind);
	if ((rc = check_int(o, kind, "seen", 1, 0, ENTRY_MAX_SEQ, e)) ||
	    (rc = check_string(o, kind, "reason", 0, 0, PAYLOAD_REASON_MAX, 0,
			       e)))
		return rc;
	if (!(list = check_array(o, kind, "replaces", 0, PAYLOAD_REPLACES_MAX,
				 e)))
		return STOA_EPROTO;
	json_array_foreach(list, i, v)
		if (!json_is_string(v) ||
		    !is_hex_n(json_string_value(v), json_string_length(v),
			      HEX64_LEN))
			return err_set(e, STOA_EPROTO, "%s: 'replaces' must list "
				       "entry ids (64 lowercase hex)", kind);
	return 0;
}

/* 1 if s (n bytes) is made of the URL-safe base64 alphabet only
 * (RFC 4648 section 5, no padding). */
static int is_b64url(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* One {"to": key, "box": base64} item of a list named field, whose box
 * holds min..max bytes. */
static int check_seal(json_t *v, const char *kind, const char *field,
		      size_t min, size_t max, struct err *e)
{
	uint8_t raw[PAYLOAD_BOX_MAX];
	size_t n, len;

	if (!json_is_object(v) || check_hex64(v, kind, "to", 1, e) ||
	    check_string(v, kind, "box", 1, 1, 0, 1, e))
		return err_set(e, STOA_EPROTO, "%s: '%s' items must be "
			       "{\"to\": key, \"box\": base64}", kind, field);
	n = json_string_length(json_object_get(v, "box"));
	/* unpadded base64 of min..max bytes, in its one canonical form (no
	 * stray bits in the last character): what b64_decode takes */
	if (!is_b64url(json_string_value(json_object_get(v, "box")), n) ||
	    (n <= (PAYLOAD_BOX_MAX * 4 + 2) / 3 &&
	     b64_decode(raw, sizeof(raw), &len,
			json_string_value(json_object_get(v, "box")), n) < 0))
		return err_set(e, STOA_EPROTO, "%s: a sealed 'box' must "
			       "be unpadded URL-safe base64", kind);
	if (n < (min * 4 + 2) / 3 || n > (max * 4 + 2) / 3)
		return min == max
		       ? err_set(e, STOA_EPROTO, "%s: a sealed 'box' must hold "
				 "%zu bytes", kind, min)
		       : err_set(e, STOA_EPROTO, "%s: a sealed 'box' must hold "
				 "%zu to %zu bytes", kind, min, max);
	return 0;
}

static int check_report(json_t *o, const char *kind, struct err *e)
{
	json_t *cat, *list, *v;
	size_t i;
	int rc;

	if ((rc = check_hex64(o, kind, "target", 1, e)))
		return rc;
	if (!(cat = need(o, kind, "category", e)))
		return STOA_EPROTO;
	if (!json_is_string(cat) ||
	    !payload_report_category_ok(json_string_value(cat)))
		return err_set(e, STOA_EPROTO, "%s: 'category' must be one of "
			       "bullying, personal-info, spam, off-topic, other",
			       kind);
	if (!(list = check_array(o, kind, "sealed", 0, PAYLOAD_SEALED_MAX, e)))
		return STOA_EPROTO;
	json_array_foreach(list, i, v)
		if ((rc = check_seal(v, kind, "sealed", PAYLOAD_SEAL_OVERHEAD,
				     PAYLOAD_BOX_MAX, e)))
			return rc;
	return 0;
}

/* {"epoch", "check", "seals": 1..PAYLOAD_EPOCH_SEALS_MAX, "reason"?}: a
 * rotation sealed to nobody, or twice to one member, is refused. */
static int check_epoch(json_t *o, const char *kind, struct err *e)
{
	json_t *list, *v, *w;
	size_t i, j;
	int rc;

	if ((rc = check_int(o, kind, "epoch", 1, 1, UINT32_MAX, e)) ||
	    (rc = check_hex64(o, kind, "check", 1, e)) ||
	    (rc = check_string(o, kind, "reason", 0, 0, PAYLOAD_REASON_MAX, 0,
			       e)))
		return rc;
	list = json_object_get(o, "seals");
	if (json_is_array(list) && json_array_size(list) == 0)
		return err_set(e, STOA_EPROTO, "%s: a rotation sealed to "
			       "nobody ('seals' is empty)", kind);
	if (!(list = check_array(o, kind, "seals", 1, PAYLOAD_EPOCH_SEALS_MAX,
				 e)))
		return STOA_EPROTO;
	json_array_foreach(list, i, v) {
		if ((rc = check_seal(v, kind, "seals", PAYLOAD_EPOCH_BOX_LEN,
				     PAYLOAD_EPOCH_BOX_LEN, e)))
			return rc;
		for (j = 0; j < i; j++) {
			w = json_array_get(list, j);
			if (json_equal(json_object_get(v, "to"),
				       json_object_get(w, "to")))
				return err_set(e, STOA_EPROTO, "%s: 'seals' "
					       "names a member twice", kind);
		}
	}
	return 0;
}

static int check_remove(json_t *o, const char *kind, struct err *e)
{
	int rc;

	if ((rc = check_hex64(o, kind, "member", 1, e)) ||
	    (rc = check_int(o, kind, "seq", 1, 0, ENTRY_MAX_SEQ, e)))
		return rc;
	return check_string(o, kind, "reason", 1, 1, PAYLOAD_REASON_MAX, 0, e);
}

/* {"id", "role": learner|mentor, "expires", "uses", "epoch"?} makes an
 * invite; {"id", "revoked": true} revokes it (docs/governance.md,
 * "Invites"). */
static int check_invite(json_t *o, const char *kind, struct err *e)
{
	json_t *role, *revoked = json_object_get(o, "revoked");
	int rc;

	if ((rc = check_invite_id(o, kind, "id", 1, e)) ||
	    (rc = check_string(o, kind, "reason", 0, 0, PAYLOAD_REASON_MAX, 0,
			       e)))
		return rc;
	if (revoked) {
		if (!json_is_true(revoked))
			return err_set(e, STOA_EPROTO, "%s: 'revoked' must be "
				       "true (or absent)", kind);
		if (json_object_get(o, "role") || json_object_get(o, "uses") ||
		    json_object_get(o, "expires") || json_object_get(o, "epoch"))
			return err_set(e, STOA_EPROTO, "%s: a revocation names "
				       "only the invite's id", kind);
		return 0;
	}
	if (!(role = need(o, kind, "role", e)))
		return STOA_EPROTO;
	if (!json_is_string(role) ||
	    payload_role_rank(json_string_value(role)) < 0 ||
	    payload_role_rank(json_string_value(role)) > 1)
		return err_set(e, STOA_EPROTO,
			       "%s: 'role' must be learner or mentor", kind);
	if ((rc = check_int(o, kind, "expires", 1, 0, ENTRY_MAX_TIMESTAMP, e)) ||
	    (rc = check_int(o, kind, "epoch", 0, 0, UINT32_MAX, e)))
		return rc;
	return check_int(o, kind, "uses", 1, 1, PAYLOAD_INVITE_USES_MAX, e);
}

static int check_schema(uint8_t kind, json_t *o, struct err *e)
{
	const char *name = entry_kind_name(kind);
	int rc;

	switch (kind) {
	case ENTRY_KIND_PROFILE:
		return check_profile(o, name, e);
	case ENTRY_KIND_POST:
		return check_post(o, name, e);
	case ENTRY_KIND_FEEDBACK:
		return check_feedback(o, name, e);
	case ENTRY_KIND_MENTOR_OFFER:
	case ENTRY_KIND_MENTOR_REQUEST:
		return check_mentor_topic(o, name, e);
	case ENTRY_KIND_MENTOR_ACCEPT:
		return check_hex64(o, name, "target", 1, e);
	case ENTRY_KIND_MENTOR_SESSION:
		return check_session(o, name, e);
	case ENTRY_KIND_MENTOR_CLOSE:
		if ((rc = check_hex64(o, name, "pairing", 1, e)))
			return rc;
		return check_string(o, name, "reason", 0, 0, 0, 0, e);
	case ENTRY_KIND_KUDOS:
		return check_kudos(o, name, e);
	case ENTRY_KIND_ROLE:
		return check_role(o, name, e);
	case ENTRY_KIND_HIDE:
	case ENTRY_KIND_UNHIDE:
	case ENTRY_KIND_ERASE:
		return check_target_reason(o, name, e);
	case ENTRY_KIND_REPORT:
		return check_report(o, name, e);
	case ENTRY_KIND_REMOVE:
		return check_remove(o, name, e);
	case ENTRY_KIND_EPOCH:
		return check_epoch(o, name, e);
	case ENTRY_KIND_INVITE:
		return check_invite(o, name, e);
	}
	/* Unreachable: the caller sends unknown kinds down the opaque path. */
	return err_set(e, STOA_EINVAL, "no schema for kind %u", (unsigned)kind);
}

int payload_validate(uint8_t kind, const void *p, size_t len, json_t **out,
		     struct err *e)
{
	json_error_t je;
	json_t *o, *v;
	char text[JSON_ERR_TEXT_MAX + 1];
	int rc;

	if (out)
		*out = NULL;
	if (!p && len)
		return err_set(e, STOA_EINVAL, "payload_validate: no payload");
	if (len > ENTRY_MAX_PAYLOAD)
		return err_set(e, STOA_EPROTO, "payload of %zu bytes exceeds %u",
			       len, (unsigned)ENTRY_MAX_PAYLOAD);

	/* A kind this version does not know may define its payload any
	 * way it likes (a newer node wrote it): store and relay the bytes,
	 * judge nothing but the size. */
	if (kind == 0 || kind > ENTRY_KIND_MAX_KNOWN)
		return PAYLOAD_OPAQUE;

	/*
	 * JSON_DECODE_ANY only so that a bare string or number gets the
	 * clearer "not a JSON object" below; JSON_ALLOW_NUL stays off, so
	 * every string is NUL-free UTF-8 (jansson checks the encoding).
	 */
	o = json_loadb(p ? p : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		       &je);
	if (!o) {
		clean_text(text, sizeof(text), je.text);
		return err_set(e, STOA_EPROTO,
			       "payload is not valid JSON: %s at line %d column %d",
			       text, je.line, je.column);
	}
	if (!json_is_object(o)) {
		rc = err_set(e, STOA_EPROTO, "payload is not a JSON object");
		goto fail;
	}
	if (depth_ok(o, 1) != 0) {
		rc = err_set(e, STOA_EPROTO,
			     "payload is nested deeper than %d levels",
			     PAYLOAD_DEPTH_MAX);
		goto fail;
	}
	v = json_object_get(o, "v");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		rc = err_set(e, STOA_EPROTO, "%s: 'v' must be an integer >= 1",
			     entry_kind_name(kind));
		goto fail;
	}
	if (v && json_integer_value(v) > PAYLOAD_VERSION) {
		json_decref(o);
		return PAYLOAD_OPAQUE;
	}

	if ((rc = check_schema(kind, o, e)) != 0)
		goto fail;
	if (out)
		*out = o;
	else
		json_decref(o);
	return PAYLOAD_VALID;
fail:
	json_decref(o);
	return rc;
}

int payload_encode(const json_t *obj, char **out, size_t *len, struct err *e)
{
	char *s;
	size_t n;

	if (!obj || !out)
		return err_set(e, STOA_EINVAL, "payload_encode: nothing to encode");
	*out = NULL;
	if (len)
		*len = 0;
	s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return err_set(e, STOA_ENOMEM, "cannot serialize payload");
	n = strlen(s);
	if (n > ENTRY_MAX_PAYLOAD) {
		free(s);
		return err_set(e, STOA_EINVAL, "payload of %zu bytes exceeds %u",
			       n, (unsigned)ENTRY_MAX_PAYLOAD);
	}
	*out = s;
	if (len)
		*len = n;
	return 0;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4) with its code point in
 * *cp, or 0 if s[0] does not start one: strict UTF-8, so overlong forms,
 * surrogates and code points past U+10FFFF are invalid. Never reads past a
 * NUL: a NUL is not a continuation byte.
 */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		if ((s[1] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if (c < 0xf0) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x0f) << 12) |
		      ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		if (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x07) << 18) |
		      ((uint32_t)(s[1] & 0x3f) << 12) |
		      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
		if (*cp < 0x10000 || *cp > 0x10ffff)
			return 0;
		return 4;
	}
	return 0;
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F). */
static int is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* The bidirectional controls that reorder how a line reads. */
static int is_bidi(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

int payload_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t n;

	if (!s)
		return 0;
	for (; *p; p += n) {
		n = utf8_next(p, &cp);
		if (n == 0 || (is_control(cp) && cp != '\n' && cp != '\t'))
			return 0;
	}
	return 1;
}

void payload_text_clean(char *s, int multiline)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o = s;
	uint32_t cp;
	size_t n;

	/* o never passes p: each sequence writes at most its own length */
	while (*p) {
		n = utf8_next(p, &cp);
		if (n == 0) {
			*o++ = '?';
			p++;
			continue;
		}
		if (cp == '\n')
			*o++ = multiline ? '\n' : ' ';
		else if (cp == '\t')
			*o++ = ' ';
		else if (!is_control(cp) && !is_bidi(cp)) {
			memmove(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
}
