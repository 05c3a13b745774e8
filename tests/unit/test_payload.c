/*
 * test_payload: the payload schemas of every known kind, accepted and
 * refused (each refusal checked for its code and for a message naming the
 * field), the limits every payload obeys whatever its kind (size, nesting,
 * duplicate keys, UTF-8, top-level object), the opaque path for unknown
 * kinds and newer versions, the canonical encoder, payload_text_ok, and
 * random bytes that must never crash the validator. JSON in this file is
 * written with single quotes, turned into double quotes by q() before use,
 * so the cases stay readable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "entry.h"
#include "err.h"
#include "payload.h"
#include "test.h"

#define Q_MAX (2 * ENTRY_MAX_PAYLOAD)
#define GARBAGE_ROUNDS 10000

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* s with every ' turned into ", in a static buffer. */
static const char *q(const char *s)
{
	static char out[Q_MAX];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(out); i++)
		out[i] = s[i] == '\'' ? '"' : s[i];
	out[i] = '\0';
	return out;
}

static void expect_at(int line, uint8_t kind, const char *json, size_t len,
		      int want, const char *msg)
{
	struct err e;
	json_t *o = (json_t *)1;
	int rc;

	err_clear(&e);
	rc = payload_validate(kind, json, len, &o, &e);
	test_checked++;
	if (rc != want || (want < 0 && (!msg || !strstr(e.msg, msg))) ||
	    (want >= 0 && e.code != 0) ||
	    (rc == PAYLOAD_VALID ? !json_is_object(o) : o != NULL)) {
		test_failed++;
		fprintf(stderr,
			"%s:%d: kind %u %.80s: rc %d \"%s\", expected %d \"%s\"\n",
			__FILE__, line, (unsigned)kind, json, rc, e.msg, want,
			msg ? msg : "");
	}
	if (rc == PAYLOAD_VALID && o && o != (json_t *)1)
		json_decref(o);
}

/* Single-quoted JSON: valid, opaque, or refused with msg in the message. */
#define OK(kind, js) \
	do { const char *s_ = q(js); expect_at(__LINE__, kind, s_, strlen(s_), PAYLOAD_VALID, NULL); } while (0)
#define OPAQUE(kind, js) \
	do { const char *s_ = q(js); expect_at(__LINE__, kind, s_, strlen(s_), PAYLOAD_OPAQUE, NULL); } while (0)
#define BAD(kind, js, msg) \
	do { const char *s_ = q(js); expect_at(__LINE__, kind, s_, strlen(s_), STOA_EPROTO, msg); } while (0)
/* Raw bytes (no quote translation), e.g. invalid UTF-8. */
#define BAD_RAW(kind, js, msg) \
	expect_at(__LINE__, kind, js, sizeof(js) - 1, STOA_EPROTO, msg)

static void test_profile(void)
{
	const uint8_t k = ENTRY_KIND_PROFILE;
	char buf[512];

	OK(k, "{'name':'Ada','role':'mentor'}");
	OK(k, "{'name':'Ada','role':'learner','bio':'hi','v':1,'extra':[1,{}]}");
	OK(k, "{'name':'Ada','role':'facilitator','bio':''}");
	OK(k, "{'name':'A\\u0007da','role':'mentor'}"); /* control chars pass */
	BAD(k, "{'role':'mentor'}", "profile: missing field 'name'");
	BAD(k, "{'name':'','role':'mentor'}", "profile: 'name' must not be empty");
	BAD(k, "{'name':7,'role':'mentor'}", "profile: 'name' must be a string");
	BAD(k, "{'name':null,'role':'mentor'}", "'name' must be a string");
	BAD(k, "{'name':'A\\nda','role':'mentor'}", "'name' must be a single line");
	BAD(k, "{'name':'A\\rda','role':'mentor'}", "'name' must be a single line");
	BAD(k, "{'name':'Ada'}", "profile: missing field 'role'");
	BAD(k, "{'name':'Ada','role':'admin'}", "profile: 'role' must be one of");
	BAD(k, "{'name':'Ada','role':1}", "profile: 'role' must be one of");
	BAD(k, "{'name':'Ada','role':'mentor','bio':3}", "'bio' must be a string");

	/* name: 64 bytes ok, 65 refused; bytes, not characters. */
	snprintf(buf, sizeof(buf), "{'name':'%.64s','role':'mentor'}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	OK(k, buf);
	snprintf(buf, sizeof(buf), "{'name':'%.65s','role':'mentor'}",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	BAD(k, buf, "profile: 'name' must be 1 to 64 bytes");
	/* 33 two-byte characters = 66 bytes. */
	{
		char nm[200] = "";
		int i;

		for (i = 0; i < 33; i++)
			strcat(nm, "\xc3\xab");
		snprintf(buf, sizeof(buf), "{'name':'%s','role':'mentor'}", nm);
		BAD(k, buf, "'name' must be 1 to 64 bytes");
	}
	{
		static char big[PAYLOAD_BIO_MAX + 200];
		char bio[PAYLOAD_BIO_MAX + 2];

		memset(bio, 'b', PAYLOAD_BIO_MAX);
		bio[PAYLOAD_BIO_MAX] = '\0';
		snprintf(big, sizeof(big), "{'name':'A','role':'mentor','bio':'%s'}",
			 bio);
		OK(k, big);
		bio[PAYLOAD_BIO_MAX] = 'b';
		bio[PAYLOAD_BIO_MAX + 1] = '\0';
		snprintf(big, sizeof(big), "{'name':'A','role':'mentor','bio':'%s'}",
			 bio);
		BAD(k, big, "profile: 'bio' must be at most 1024 bytes");
	}
}

static void test_post(void)
{
	const uint8_t k = ENTRY_KIND_POST;
	char buf[1024];
	char t[PAYLOAD_TITLE_MAX + 2];

	OK(k, "{'topic':'maths','body':'hello'}");
	OK(k, "{'topic':'maths','title':'T','body':'  x  ','reply_to':'" H64 "'}");
	OK(k, "{'topic':'maths','body':'line1\\nline2'}");
	BAD(k, "{'body':'hello'}", "post: missing field 'topic'");
	BAD(k, "{'topic':'','body':'hello'}", "post: 'topic' must not be empty");
	BAD(k, "{'topic':'a\\nb','body':'hello'}", "post: 'topic' must be a single line");
	BAD(k, "{'topic':'t','body':'x','title':''}", "post: 'title' must not be empty");
	BAD(k, "{'topic':'t','body':'x','title':'a\\rb'}", "'title' must be a single line");
	BAD(k, "{'topic':'t','body':'x','title':5}", "'title' must be a string");
	BAD(k, "{'topic':'t'}", "post: missing field 'body'");
	BAD(k, "{'topic':'t','body':''}", "post: 'body' must not be empty");
	BAD(k, "{'topic':'t','body':' \\n\\t\\r '}", "post: 'body' must not be empty");
	BAD(k, "{'topic':'t','body':['x']}", "post: 'body' must be a string");
	BAD(k, "{'topic':'t','body':'x','reply_to':'abc'}",
	    "post: 'reply_to' must be 64 lowercase hex characters");
	BAD(k, "{'topic':'t','body':'x','reply_to':'"
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef'}",
	    "'reply_to' must be 64 lowercase hex");
	BAD(k, "{'topic':'t','body':'x','reply_to':'" H64 "0'}",
	    "'reply_to' must be 64 lowercase hex");
	BAD(k, "{'topic':'t','body':'x','reply_to':'"
	    "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}",
	    "'reply_to' must be 64 lowercase hex");
	BAD(k, "{'topic':'t','body':'x','reply_to':null}",
	    "'reply_to' must be 64 lowercase hex");

	snprintf(buf, sizeof(buf), "{'topic':'%.64s','body':'x'}",
		 "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt");
	OK(k, buf);
	snprintf(buf, sizeof(buf), "{'topic':'%.65s','body':'x'}",
		 "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt");
	BAD(k, buf, "post: 'topic' must be 1 to 64 bytes");
	memset(t, 'T', PAYLOAD_TITLE_MAX);
	t[PAYLOAD_TITLE_MAX] = '\0';
	snprintf(buf, sizeof(buf), "{'topic':'t','title':'%s','body':'x'}", t);
	OK(k, buf);
	t[PAYLOAD_TITLE_MAX] = 'T';
	t[PAYLOAD_TITLE_MAX + 1] = '\0';
	snprintf(buf, sizeof(buf), "{'topic':'t','title':'%s','body':'x'}", t);
	BAD(k, buf, "post: 'title' must be 1 to 200 bytes");
}

static void test_feedback(void)
{
	const uint8_t k = ENTRY_KIND_FEEDBACK;

	OK(k, "{'target':'" H64 "','helpful':true}");
	OK(k, "{'target':'" H64 "','helpful':false,'rating':1}");
	OK(k, "{'target':'" H64 "','helpful':false,'rating':5}");
	OK(k, "{'target':'" H64 "','helpful':false,'comment':'thanks'}");
	OK(k, "{'target':'" H64 "','helpful':true,'rating':3,'comment':'ok'}");
	BAD(k, "{'helpful':true}", "feedback: missing field 'target'");
	BAD(k, "{'target':'nope','helpful':true}",
	    "feedback: 'target' must be 64 lowercase hex characters");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':0}",
	    "feedback: 'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':6}",
	    "feedback: 'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':-1}",
	    "'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':4.5}",
	    "'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':'5'}",
	    "'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':true}",
	    "'rating' must be an integer from 1 to 5");
	BAD(k, "{'target':'" H64 "','helpful':true,'rating':99999999999999999999}",
	    "payload is not valid JSON");
	BAD(k, "{'target':'" H64 "','rating':3}", "feedback: missing field 'helpful'");
	BAD(k, "{'target':'" H64 "','helpful':'yes'}",
	    "feedback: 'helpful' must be true or false");
	BAD(k, "{'target':'" H64 "','helpful':1}", "'helpful' must be true or false");
	BAD(k, "{'target':'" H64 "','helpful':true,'comment':''}",
	    "feedback: 'comment' must not be empty");
	BAD(k, "{'target':'" H64 "','helpful':true,'comment':1}",
	    "feedback: 'comment' must be a string");
	BAD(k, "{'target':'" H64 "','helpful':false}",
	    "feedback needs a rating, --helpful or a comment");
}

static void test_mentoring(void)
{
	uint8_t kinds[] = { ENTRY_KIND_MENTOR_OFFER, ENTRY_KIND_MENTOR_REQUEST };
	static char big[PAYLOAD_BIO_MAX + 100];
	char note[PAYLOAD_BIO_MAX + 2];
	size_t i;

	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	for (i = 0; i < 2; i++) {
		uint8_t k = kinds[i];
		const char *name = entry_kind_name(k);
		char want[80];

		OK(k, "{'topic':'maths'}");
		OK(k, "{'topic':'maths','note':'evenings'}");
		snprintf(want, sizeof(want), "%s: missing field 'topic'", name);
		BAD(k, "{'note':'x'}", want);
		snprintf(want, sizeof(want), "%s: 'topic' must be a single line", name);
		BAD(k, "{'topic':'a\\nb'}", want);
		snprintf(want, sizeof(want), "%s: 'note' must be a string", name);
		BAD(k, "{'topic':'t','note':false}", want);
		snprintf(big, sizeof(big), "{'topic':'t','note':'%s'}", note);
		snprintf(want, sizeof(want), "%s: 'note' must be at most 1024 bytes",
			 name);
		BAD(k, big, want);
	}

	OK(ENTRY_KIND_MENTOR_ACCEPT, "{'target':'" H64 "'}");
	BAD(ENTRY_KIND_MENTOR_ACCEPT, "{}", "mentor_accept: missing field 'target'");
	BAD(ENTRY_KIND_MENTOR_ACCEPT, "{'target':1}",
	    "mentor_accept: 'target' must be 64 lowercase hex characters");

	OK(ENTRY_KIND_MENTOR_SESSION,
	   "{'pairing':'" H64 "','minutes':45,'notes':'fractions'}");
	OK(ENTRY_KIND_MENTOR_SESSION,
	   "{'pairing':'" H64 "','minutes':0,'notes':'n','goals':'g','progress':''}");
	OK(ENTRY_KIND_MENTOR_SESSION,
	   "{'pairing':'" H64 "','minutes':1440,'notes':'n'}");
	BAD(ENTRY_KIND_MENTOR_SESSION, "{'minutes':45,'notes':'n'}",
	    "mentor_session: missing field 'pairing'");
	BAD(ENTRY_KIND_MENTOR_SESSION, "{'pairing':'" H64 "','notes':'n'}",
	    "mentor_session: missing field 'minutes'");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':1441,'notes':'n'}",
	    "mentor_session: 'minutes' must be an integer from 0 to 1440");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':-1,'notes':'n'}",
	    "'minutes' must be an integer from 0 to 1440");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':1.5,'notes':'n'}",
	    "'minutes' must be an integer from 0 to 1440");
	BAD(ENTRY_KIND_MENTOR_SESSION, "{'pairing':'" H64 "','minutes':5}",
	    "mentor_session: missing field 'notes'");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':5,'notes':''}",
	    "mentor_session: 'notes' must not be empty");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':5,'notes':'n','goals':[]}",
	    "mentor_session: 'goals' must be a string");
	BAD(ENTRY_KIND_MENTOR_SESSION,
	    "{'pairing':'" H64 "','minutes':5,'notes':'n','progress':{}}",
	    "mentor_session: 'progress' must be a string");

	OK(ENTRY_KIND_MENTOR_CLOSE, "{'pairing':'" H64 "'}");
	OK(ENTRY_KIND_MENTOR_CLOSE, "{'pairing':'" H64 "','reason':'done'}");
	BAD(ENTRY_KIND_MENTOR_CLOSE, "{'reason':'done'}",
	    "mentor_close: missing field 'pairing'");
	BAD(ENTRY_KIND_MENTOR_CLOSE, "{'pairing':'" H64 "','reason':2}",
	    "mentor_close: 'reason' must be a string");
}

static void test_kudos(void)
{
	const uint8_t k = ENTRY_KIND_KUDOS;

	OK(k, "{'to':'" H64 "','badge':'helper'}");
	OK(k, "{'to':'" H64 "','badge':'helper','reason':'always there'}");
	OK(k, "{'to':'" H64 "','badge':'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}");
	BAD(k, "{'badge':'helper'}", "kudos: missing field 'to'");
	BAD(k, "{'to':'xyz','badge':'helper'}",
	    "kudos: 'to' must be 64 lowercase hex characters");
	BAD(k, "{'to':'" H64 "'}", "kudos: missing field 'badge'");
	BAD(k, "{'to':'" H64 "','badge':''}", "kudos: 'badge' must not be empty");
	BAD(k, "{'to':'" H64 "','badge':'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}",
	    "kudos: 'badge' must be 1 to 32 bytes");
	BAD(k, "{'to':'" H64 "','badge':'a\\nb'}", "kudos: 'badge' must be a single line");
	BAD(k, "{'to':'" H64 "','badge':'b','reason':null}",
	    "kudos: 'reason' must be a string");
}

/* The governance kinds (10..15): what makes a record valid (stored and
 * relayed), whatever its effect (docs/governance.md). */
static void test_governance(void)
{
	char big[1100], js[1400];

	OK(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'mentor','seen':0}");
	OK(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'facilitator','seen':7,"
	   "'replaces':['" H64 "'],'reason':'runs the club'}");
	BAD(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'admin','seen':0}",
	    "role: 'role' must be one of learner, mentor, facilitator");
	BAD(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'mentor'}",
	    "role: missing field 'seen'");
	BAD(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'mentor','seen':-1}",
	    "role: 'seen' must be an integer from 0");
	BAD(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'mentor','seen':1,"
	    "'replaces':['xyz']}", "role: 'replaces' must list entry ids");
	BAD(ENTRY_KIND_ROLE, "{'member':'" H64 "','role':'mentor','seen':1,"
	    "'replaces':'" H64 "'}", "role: 'replaces' must be a list of 0 to 16");
	OK(ENTRY_KIND_HIDE, "{'target':'" H64 "'}");
	OK(ENTRY_KIND_UNHIDE, "{'target':'" H64 "','reason':'was fine'}");
	OK(ENTRY_KIND_ERASE, "{'target':'" H64 "','reason':'my phone number'}");
	BAD(ENTRY_KIND_ERASE, "{'reason':'x'}", "erase: missing field 'target'");
	memset(big, 'r', 1025);
	big[1025] = '\0';
	snprintf(js, sizeof(js), "{'target':'" H64 "','reason':'%s'}", big);
	BAD(ENTRY_KIND_HIDE, js, "hide: 'reason' must be at most 1024 bytes");
	OK(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'spam'}");
	OK(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'personal-info',"
	   "'sealed':[{'to':'" H64 "','box':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}]}");
	BAD(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'rude'}",
	    "report: 'category' must be one of");
	BAD(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'spam',"
	    "'sealed':[{'to':'" H64 "','box':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+'}]}",
	    "report: a sealed 'box' must be unpadded URL-safe base64");
	BAD(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'spam',"
	    "'sealed':[{'to':'" H64 "','box':'AAAA'}]}",
	    "report: a sealed 'box' must hold 48 to 1072 bytes");
	BAD(ENTRY_KIND_REPORT, "{'target':'" H64 "','category':'spam',"
	    "'sealed':[{'box':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}]}", "report: missing field 'to'");
	OK(ENTRY_KIND_REMOVE, "{'member':'" H64 "','seq':3,'reason':'left'}");
	BAD(ENTRY_KIND_REMOVE, "{'member':'" H64 "','seq':3}",
	    "remove: missing field 'reason'");
	BAD(ENTRY_KIND_REMOVE, "{'member':'" H64 "','seq':3,'reason':''}",
	    "remove: 'reason' must not be empty");
	OPAQUE(ENTRY_KIND_MAX_KNOWN + 1, "{'epoch':1}");
}

/* Unpadded URL-safe base64 of bytes 0..79 (80 bytes: a sealed 32-byte
 * secret), of 0..78 and 0..80, and the 80 in the standard alphabet and
 * padded (Python's base64 module). */
#define BOX80 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss" \
	      "LS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk8"
#define BOX79 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss" \
	      "LS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTg"
#define BOX81 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss" \
	      "LS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9Q"
#define BOX80_STD "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygp" \
		  "KissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk8"
#define BOX80_PAD BOX80 "="

/* A rotation (single-quoted JSON) sealed to n members whose keys differ
 * in their first bytes, or, if dup, whose first and last are one, each
 * with box; head is the fields before "seals" (with its comma). */
static const char *epoch_js(const char *head, unsigned n, int dup,
			    const char *box)
{
	static char out[ENTRY_MAX_PAYLOAD + 4096];
	size_t len;
	unsigned i;

	len = (size_t)snprintf(out, sizeof(out), "{%s'seals':[", head);
	for (i = 0; i < n && len < sizeof(out); i++) {
		unsigned k = dup && i == n - 1 ? 0 : i;

		len += (size_t)snprintf(out + len, sizeof(out) - len,
					"%s{'to':'%04x%.60s','box':'%s'}",
					i ? "," : "", k, H64 H64, box);
	}
	if (len < sizeof(out))
		snprintf(out + len, sizeof(out) - len, "]}");
	return out;
}

/* Kind 16, a rotation of the community secret (docs/governance.md): its
 * epoch (u32, from 1), its check (64 hex), 1..128 seals to distinct
 * members, each an 80-byte box in unpadded URL-safe base64. */
static void test_epoch(void)
{
	const uint8_t k = ENTRY_KIND_EPOCH;
	const char *head = "'epoch':2,'check':'" H64 "',";
	static char big[1100], js[ENTRY_MAX_PAYLOAD];

	CHECK_STR(entry_kind_name(k), "epoch");
	OK(k, epoch_js(head, 1, 0, BOX80));
	OK(k, epoch_js(head, 2, 0, BOX80));
	OK(k, epoch_js(head, PAYLOAD_EPOCH_SEALS_MAX, 0, BOX80));
	OK(k, epoch_js("'epoch':1,'check':'" H64 "','reason':'removed Bo',",
		       3, 0, BOX80));
	OK(k, epoch_js("'epoch':4294967295,'check':'" H64 "',", 1, 0,
		       BOX80));
	OK(k, "{'epoch':7,'check':'" H64 "','seals':[{'to':'" H64 "','box':'"
	   "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_"
	   "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8'}],'x':[1]}"); /* '-', '_', a later version's field */
	CHECK_EQ_INT(strlen(BOX80), 107);
	CHECK_EQ_INT(strlen(BOX79), 106);
	CHECK_EQ_INT(strlen(BOX81), 108);
	CHECK_EQ_INT(strlen(BOX80_STD), 107);

	/* seals: absent, none ("a rotation sealed to nobody"), too many,
	 * not a list, one member twice */
	BAD(k, "{'epoch':2,'check':'" H64 "'}",
	    "epoch: 'seals' must be a list of 1 to 128 items");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':[]}",
	    "epoch: a rotation sealed to nobody ('seals' is empty)");
	BAD(k, epoch_js(head, 0, 0, BOX80),
	    "epoch: a rotation sealed to nobody ('seals' is empty)");
	BAD(k, epoch_js(head, PAYLOAD_EPOCH_SEALS_MAX + 1, 0, BOX80),
	    "epoch: 'seals' must be a list of 1 to 128 items");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':{'to':'" H64 "','box':'"
	    BOX80 "'}}", "epoch: 'seals' must be a list of 1 to 128 items");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':null}",
	    "epoch: 'seals' must be a list of 1 to 128 items");
	BAD(k, epoch_js(head, 2, 1, BOX80), "epoch: 'seals' names a member twice");
	BAD(k, epoch_js(head, 3, 1, BOX80), "epoch: 'seals' names a member twice");
	BAD(k, epoch_js(head, PAYLOAD_EPOCH_SEALS_MAX, 1, BOX80),
	    "epoch: 'seals' names a member twice");

	/* a box of 79 or 81 bytes, padded, in the standard alphabet, empty */
	BAD(k, epoch_js(head, 1, 0, BOX79),
	    "epoch: a sealed 'box' must hold 80 bytes");
	BAD(k, epoch_js(head, 1, 0, BOX81),
	    "epoch: a sealed 'box' must hold 80 bytes");
	BAD(k, epoch_js(head, 3, 0, BOX81),
	    "epoch: a sealed 'box' must hold 80 bytes");
	BAD(k, epoch_js(head, 1, 0, BOX80_PAD),
	    "epoch: a sealed 'box' must be unpadded URL-safe base64");
	BAD(k, epoch_js(head, 1, 0, BOX80_STD),
	    "epoch: a sealed 'box' must be unpadded URL-safe base64");
	BAD(k, epoch_js(head, 1, 0, ""), "epoch: 'box' must not be empty");
	/* stray bits in the last character: not the canonical form */
	BAD(k, "{'epoch':7,'check':'" H64 "','seals':[{'to':'" H64 "','box':'"
	    "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_"
	    "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_9'}]}",
	    "epoch: a sealed 'box' must be unpadded URL-safe base64");
	/* an item that is no {to, box} */
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':['" BOX80 "']}",
	    "epoch: 'seals' items must be {\"to\": key, \"box\": base64}");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':[{'box':'" BOX80 "'}]}",
	    "epoch: missing field 'to'");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':[{'to':'" H64 "'}]}",
	    "epoch: missing field 'box'");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':[{'to':'" H64 "','box':80}]}",
	    "epoch: 'box' must be a string");
	BAD(k, "{'epoch':2,'check':'" H64 "','seals':[{'to':'"
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef',"
	    "'box':'" BOX80 "'}]}", "epoch: 'to' must be 64 lowercase hex");

	/* check: 63 hex, 65, uppercase, absent */
	BAD(k, epoch_js("'epoch':2,'check':'0123456789abcdef0123456789abcdef"
			"0123456789abcdef0123456789abcde',", 1, 0, BOX80),
	    "epoch: 'check' must be 64 lowercase hex characters");
	BAD(k, epoch_js("'epoch':2,'check':'" H64 "0',", 1, 0, BOX80),
	    "epoch: 'check' must be 64 lowercase hex characters");
	BAD(k, epoch_js("'epoch':2,'check':'0123456789ABCDEF0123456789abcdef"
			"0123456789abcdef0123456789abcdef',", 1, 0, BOX80),
	    "epoch: 'check' must be 64 lowercase hex characters");
	BAD(k, epoch_js("'epoch':2,", 1, 0, BOX80),
	    "epoch: missing field 'check'");

	/* epoch: a u32 from 1 */
	BAD(k, epoch_js("'epoch':0,'check':'" H64 "',", 1, 0, BOX80),
	    "epoch: 'epoch' must be an integer from 1 to 4294967295");
	BAD(k, epoch_js("'epoch':4294967296,'check':'" H64 "',", 1, 0, BOX80),
	    "epoch: 'epoch' must be an integer from 1 to 4294967295");
	BAD(k, epoch_js("'epoch':-1,'check':'" H64 "',", 1, 0, BOX80),
	    "epoch: 'epoch' must be an integer from 1 to 4294967295");
	BAD(k, epoch_js("'epoch':'2','check':'" H64 "',", 1, 0, BOX80),
	    "epoch: 'epoch' must be an integer from 1 to 4294967295");
	BAD(k, epoch_js("'epoch':2.0,'check':'" H64 "',", 1, 0, BOX80),
	    "epoch: 'epoch' must be an integer from 1 to 4294967295");
	BAD(k, epoch_js("'check':'" H64 "',", 1, 0, BOX80),
	    "epoch: missing field 'epoch'");

	/* reason: at most 1024 bytes */
	memset(big, 'r', PAYLOAD_REASON_MAX);
	big[PAYLOAD_REASON_MAX] = '\0';
	snprintf(js, sizeof(js), "'epoch':2,'check':'" H64 "','reason':'%s',",
		 big);
	OK(k, epoch_js(js, 1, 0, BOX80));
	big[PAYLOAD_REASON_MAX] = 'r';
	big[PAYLOAD_REASON_MAX + 1] = '\0';
	snprintf(js, sizeof(js), "'epoch':2,'check':'" H64 "','reason':'%s',",
		 big);
	BAD(k, epoch_js(js, 1, 0, BOX80),
	    "epoch: 'reason' must be at most 1024 bytes");
	BAD(k, epoch_js("'epoch':2,'check':'" H64 "','reason':3,", 1, 0, BOX80),
	    "epoch: 'reason' must be a string");

	/* a newer version is opaque; the next kind is unknown */
	OPAQUE(k, "{'v':2,'seals':[]}");
	OPAQUE(ENTRY_KIND_MAX_KNOWN + 1, "{'epoch':0}");
}

/* kind invite, and the profile's "invite" (docs/formats.md) */
static void test_invite(void)
{
	const uint8_t k = ENTRY_KIND_INVITE;

	OK(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,'uses':1}");
	OK(k, "{'id':'0123456789abcdef','role':'learner','expires':"
	      "1796460474309,'uses':65535}");
	OK(k, "{'id':'0123456789abcdef','revoked':true}");
	OK(k, "{'id':'0123456789abcdef','revoked':true,'reason':'lost'}");
	BAD(k, "{'role':'mentor','expires':0,'uses':1}",
	    "invite: missing field 'id'");
	BAD(k, "{'id':'0123456789ABCDEF','role':'mentor','expires':0,'uses':1}",
	    "invite: 'id' must be 16 lowercase hex characters");
	BAD(k, "{'id':'0123456789abcde','role':'mentor','expires':0,'uses':1}",
	    "invite: 'id' must be 16 lowercase hex characters");
	BAD(k, "{'id':'0123456789abcdef','role':'facilitator','expires':0,"
	       "'uses':1}", "invite: 'role' must be learner or mentor");
	BAD(k, "{'id':'0123456789abcdef','expires':0,'uses':1}",
	    "invite: missing field 'role'");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':-1,"
	       "'uses':1}", "invite: 'expires' must be an integer from 0 to "
	    "9223372036854775807");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,"
	       "'uses':0}", "invite: 'uses' must be an integer from 1 to 65535");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,"
	       "'uses':65536}",
	    "invite: 'uses' must be an integer from 1 to 65535");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':0}",
	    "invite: missing field 'uses'");
	BAD(k, "{'id':'0123456789abcdef','revoked':false}",
	    "invite: 'revoked' must be true (or absent)");
	BAD(k, "{'id':'0123456789abcdef','revoked':true,'uses':3}",
	    "invite: a revocation names only the invite's id");
	/* the epoch of the secret its code carries (optional) */
	OK(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,'uses':1,"
	      "'epoch':4294967295}");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,'uses':1,"
	       "'epoch':4294967296}",
	    "invite: 'epoch' must be an integer from 0 to 4294967295");
	BAD(k, "{'id':'0123456789abcdef','role':'mentor','expires':0,'uses':1,"
	       "'epoch':'1'}",
	    "invite: 'epoch' must be an integer from 0 to 4294967295");
	BAD(k, "{'id':'0123456789abcdef','revoked':true,'epoch':1}",
	    "invite: a revocation names only the invite's id");
	OPAQUE(k, "{'v':2,'anything':1}");

	OK(ENTRY_KIND_PROFILE, "{'name':'Ben','role':'learner','invite':"
	   "'0123456789abcdef'}");
	BAD(ENTRY_KIND_PROFILE, "{'name':'Ben','role':'learner','invite':"
	    "'0123456789abcdeg'}",
	    "profile: 'invite' must be 16 lowercase hex characters");
	BAD(ENTRY_KIND_PROFILE, "{'name':'Ben','role':'learner','invite':7}",
	    "profile: 'invite' must be 16 lowercase hex characters");
}

static void test_general(void)
{
	static char big[ENTRY_MAX_PAYLOAD + 2];
	char deep[256];
	size_t n, i;
	int d;

	/* Not JSON, not an object, duplicates. */
	BAD(ENTRY_KIND_POST, "", "payload is not valid JSON");
	BAD(ENTRY_KIND_POST, "{", "payload is not valid JSON");
	BAD(ENTRY_KIND_POST, "{'topic':'t','body':'x'} x",
	    "payload is not valid JSON");
	BAD(ENTRY_KIND_POST, "{'topic':'t',\n'body':}",
	    "at line 2 column");
	BAD(ENTRY_KIND_POST, "[]", "payload is not a JSON object");
	BAD(ENTRY_KIND_POST, "'str'", "payload is not a JSON object");
	BAD(ENTRY_KIND_POST, "3", "payload is not a JSON object");
	BAD(ENTRY_KIND_POST, "null", "payload is not a JSON object");
	BAD(ENTRY_KIND_PROFILE, "{'name':'a','name':'b','role':'mentor'}",
	    "payload is not valid JSON: duplicate object key");
	/* unknown kinds: any bytes are opaque (a newer node defined them) */
	OPAQUE(200, "{'a':1,'a':1}");
	OPAQUE(200, "[1]");
	OPAQUE(0, "");

	/* NUL, invalid UTF-8, lone surrogates. */
	BAD(ENTRY_KIND_POST, "{'topic':'t','body':'a\\u0000b'}",
	    "payload is not valid JSON");
	BAD_RAW(ENTRY_KIND_POST, "{\"topic\":\"t\",\"body\":\"\xff\"}",
		"payload is not valid JSON");
	BAD_RAW(ENTRY_KIND_POST, "{\"topic\":\"t\",\"body\":\"\xc0\xaf\"}",
		"payload is not valid JSON");
	BAD_RAW(ENTRY_KIND_POST, "{\"topic\":\"t\",\"body\":\"\xed\xa0\x80\"}",
		"payload is not valid JSON");
	BAD_RAW(ENTRY_KIND_POST, "{\"topic\":\"t\",\"body\":\"\xe2\x82\"}",
		"payload is not valid JSON");
	BAD_RAW(ENTRY_KIND_PROFILE, "{\"a\":\"\xf5\x80\x80\x80\"}", "payload is not valid JSON");
	BAD(ENTRY_KIND_POST, "{'topic':'t','body':'\\ud800'}",
	    "payload is not valid JSON");
	{
		static const char nul[] = "{\"topic\":\"t\",\"body\":\"a\0b\"}";

		expect_at(__LINE__, ENTRY_KIND_POST, nul, sizeof(nul) - 1,
			  STOA_EPROTO, "payload is not valid JSON");
	}
	OK(ENTRY_KIND_POST, "{'topic':'t','body':'\\ud83d\\ude00 \xf0\x9f\x98\x80'}");

	/* The message quotes no raw bytes from the input. */
	{
		struct err e;
		const char *s = "{\"a\":\"\x1b[31m\xff\"}";

		err_clear(&e);
		CHECK(payload_validate(ENTRY_KIND_POST, s, strlen(s), NULL, &e) < 0);
		for (i = 0; e.msg[i]; i++)
			CHECK((unsigned char)e.msg[i] >= 0x20 &&
			      (unsigned char)e.msg[i] < 0x7f);
	}

	/* Nesting: 8 containers deep is fine, 9 is refused, any kind. */
	for (d = 8; d <= 9; d++) {
		char *p = deep;

		p += sprintf(p, "{'topic':'t','body':'x','x':");
		for (i = 1; i < (size_t)d - 1; i++)
			p += sprintf(p, i % 2 ? "[" : "{'k':");
		p += sprintf(p, "{}");
		for (i = d - 2; i >= 1; i--)
			p += sprintf(p, i % 2 ? "]" : "}");
		sprintf(p, "}");
		if (d == 8) {
			OK(ENTRY_KIND_POST, deep);
			OPAQUE(200, deep);
		} else {
			BAD(ENTRY_KIND_POST, deep,
			    "payload is nested deeper than 8 levels");
			OPAQUE(200, deep);
			BAD(ENTRY_KIND_POST, "{'v':2,'a':[[[[[[[[1]]]]]]]]}",
			    "nested deeper than 8");
		}
	}
	OK(ENTRY_KIND_POST, "{'topic':'t','body':'x','a':[[[[[[1]]]]]],'b':[[[[[[{}]]]]]]}");
	/* Far deeper than jansson's own limit: refused, no crash. */
	n = ENTRY_MAX_PAYLOAD / 2;
	for (i = 0; i < n; i++)
		big[i] = '[';
	for (; i < 2 * n; i++)
		big[i] = ']';
	expect_at(__LINE__, ENTRY_KIND_POST, big, 2 * n, STOA_EPROTO, "payload is");

	/* Size: exactly ENTRY_MAX_PAYLOAD is fine, one more is refused. */
	n = (size_t)sprintf(big, "{\"topic\":\"t\",\"body\":\"");
	memset(big + n, 'x', ENTRY_MAX_PAYLOAD - n - 2);
	memcpy(big + ENTRY_MAX_PAYLOAD - 2, "\"}", 2);
	expect_at(__LINE__, ENTRY_KIND_POST, big, ENTRY_MAX_PAYLOAD,
		  PAYLOAD_VALID, NULL);
	memmove(big + n + 1, big + n, ENTRY_MAX_PAYLOAD - n);
	big[n] = 'x';
	expect_at(__LINE__, ENTRY_KIND_POST, big, ENTRY_MAX_PAYLOAD + 1,
		  STOA_EPROTO, "payload of 32769 bytes exceeds 32768");
	expect_at(__LINE__, 200, big, ENTRY_MAX_PAYLOAD + 1, STOA_EPROTO,
		  "exceeds 32768");

	/* "v": newer is opaque (schema unchecked), bad v is refused. */
	OK(ENTRY_KIND_POST, "{'v':1,'topic':'t','body':'x'}");
	OPAQUE(ENTRY_KIND_POST, "{'v':2}");
	OPAQUE(ENTRY_KIND_FEEDBACK, "{'v':2,'rating':77}");
	OPAQUE(ENTRY_KIND_KUDOS, "{'v':9007199254740993}");
	BAD(ENTRY_KIND_POST, "{'v':0,'topic':'t','body':'x'}",
	    "post: 'v' must be an integer >= 1");
	BAD(ENTRY_KIND_POST, "{'v':-3,'topic':'t','body':'x'}",
	    "'v' must be an integer >= 1");
	BAD(ENTRY_KIND_POST, "{'v':'2','topic':'t','body':'x'}",
	    "'v' must be an integer >= 1");
	BAD(ENTRY_KIND_POST, "{'v':2.0}", "'v' must be an integer >= 1");
	BAD(ENTRY_KIND_POST, "{'v':null}", "'v' must be an integer >= 1");

	/* Unknown kinds: only the size is checked. */
	OPAQUE(0, "{}");
	OPAQUE(ENTRY_KIND_MAX_KNOWN + 1, "{'anything':[1,2,3]}");
	OPAQUE(200, "{'v':'weird'}");
	OPAQUE(255, "{'v':0}");

	/* NULL out and NULL err are fine. */
	CHECK_EQ_INT(payload_validate(ENTRY_KIND_POST, "{}", 2, NULL, NULL),
		     STOA_EPROTO);
	CHECK_EQ_INT(payload_validate(200, "{}", 2, NULL, NULL), PAYLOAD_OPAQUE);
	CHECK_EQ_INT(payload_validate(200, NULL, 0, NULL, NULL), PAYLOAD_OPAQUE);
}

static void test_out_object(void)
{
	const char *s = q("{'topic':'maths','body':'hi','zz':1}");
	struct err e;
	json_t *o = NULL;

	err_clear(&e);
	CHECK_EQ_INT(payload_validate(ENTRY_KIND_POST, s, strlen(s), &o, &e),
		     PAYLOAD_VALID);
	CHECK(json_is_object(o));
	CHECK_STR(json_string_value(json_object_get(o, "topic")), "maths");
	CHECK_EQ_INT(json_integer_value(json_object_get(o, "zz")), 1);
	json_decref(o);
}

static void test_encode(void)
{
	json_t *o = json_pack("{s:s, s:i, s:[i,i], s:{s:s, s:n}, s:s}", "topic",
			      "t", "b", 1, "a", 1, 2, "c", "z", "y", "x", "body",
			      "Zo\xc3\xab \"q\"\n");
	char *out = NULL;
	size_t len = 0;
	struct err e;
	static char big[ENTRY_MAX_PAYLOAD + 1];
	json_t *p;

	CHECK(o != NULL);
	err_clear(&e);
	CHECK_EQ_INT(payload_encode(o, &out, &len, &e), 0);
	CHECK_STR(out, "{\"a\":[1,2],\"b\":1,\"body\":\"Zo\xc3\xab \\\"q\\\"\\n\","
		       "\"c\":{\"x\":null,\"z\":\"y\"},\"topic\":\"t\"}");
	CHECK_EQ_INT(len, out ? strlen(out) : 0);
	/* What stoa writes, stoa accepts. */
	CHECK_EQ_INT(payload_validate(ENTRY_KIND_POST, out, len, NULL, &e),
		     PAYLOAD_VALID);
	free(out);
	json_decref(o);

	/* Over the bound after encoding: refused, nothing handed out. */
	memset(big, 'x', ENTRY_MAX_PAYLOAD - 10);
	big[ENTRY_MAX_PAYLOAD - 10] = '\0';
	p = json_pack("{s:s, s:s}", "topic", "t", "body", big);
	out = (char *)1;
	err_clear(&e);
	CHECK_EQ_INT(payload_encode(p, &out, &len, &e), STOA_EINVAL);
	CHECK(out == NULL);
	CHECK(strstr(e.msg, "exceeds 32768") != NULL);
	json_decref(p);
	big[ENTRY_MAX_PAYLOAD - 10] = 'x';
}

static void test_text_ok(void)
{
	CHECK_EQ_INT(payload_text_ok(""), 1);
	CHECK_EQ_INT(payload_text_ok("hello"), 1);
	CHECK_EQ_INT(payload_text_ok("line\nnext\ttab"), 1);
	CHECK_EQ_INT(payload_text_ok("Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80"), 1);
	CHECK_EQ_INT(payload_text_ok("\xc2\xa0"), 1);          /* U+00A0 */
	CHECK_EQ_INT(payload_text_ok("\xf4\x8f\xbf\xbf"), 1);  /* U+10FFFF */
	CHECK_EQ_INT(payload_text_ok("\xef\xbf\xbd"), 1);      /* U+FFFD */
	CHECK_EQ_INT(payload_text_ok(NULL), 0);
	CHECK_EQ_INT(payload_text_ok("a\rb"), 0);
	CHECK_EQ_INT(payload_text_ok("\x1b[31m"), 0);
	CHECK_EQ_INT(payload_text_ok("\x01"), 0);
	CHECK_EQ_INT(payload_text_ok("\x7f"), 0);
	CHECK_EQ_INT(payload_text_ok("\xc2\x80"), 0);          /* C1 */
	CHECK_EQ_INT(payload_text_ok("\xc2\x9b"), 0);          /* CSI */
	CHECK_EQ_INT(payload_text_ok("\xc2\x9f"), 0);
	CHECK_EQ_INT(payload_text_ok("\xff"), 0);
	CHECK_EQ_INT(payload_text_ok("\x80"), 0);              /* lone continuation */
	CHECK_EQ_INT(payload_text_ok("\xc0\xaf"), 0);          /* overlong '/' */
	CHECK_EQ_INT(payload_text_ok("\xc1\xbf"), 0);
	CHECK_EQ_INT(payload_text_ok("\xe0\x80\xaf"), 0);      /* overlong */
	CHECK_EQ_INT(payload_text_ok("\xf0\x80\x80\xaf"), 0);  /* overlong */
	CHECK_EQ_INT(payload_text_ok("\xed\xa0\x80"), 0);      /* surrogate */
	CHECK_EQ_INT(payload_text_ok("\xf4\x90\x80\x80"), 0);  /* > U+10FFFF */
	CHECK_EQ_INT(payload_text_ok("\xf5\x80\x80\x80"), 0);
	CHECK_EQ_INT(payload_text_ok("\xe2\x82"), 0);          /* truncated */
	CHECK_EQ_INT(payload_text_ok("ok\xc3"), 0);
}

/* payload_text_clean: what a terminal or a log line gets. */
static void check_clean(const char *in, int multiline, const char *want)
{
	char s[128];

	snprintf(s, sizeof(s), "%s", in);
	payload_text_clean(s, multiline);
	CHECK_STR(s, want);
	CHECK_EQ_INT(payload_text_ok(s) || strchr(s, '\n') != NULL, 1);
}

static void test_text_clean(void)
{
	check_clean("", 0, "");
	check_clean("Zo\xc3\xab \xe2\x82\xac", 0, "Zo\xc3\xab \xe2\x82\xac");
	check_clean("red\x1b[31mtext\x07" "bell\rcr\x7f", 0, "red[31mtextbellcr");
	check_clean("a\nb\tc", 0, "a b c");
	check_clean("a\nb\tc", 1, "a\nb c");
	check_clean("c1\xc2\x9b" "1m csi", 0, "c11m csi");          /* U+009B */
	check_clean("raw\x9b" "1m", 0, "raw?1m");                   /* 8-bit CSI */
	check_clean("r\xe2\x80\xaelo \xe2\x81\xa6iso \xe2\x80\x8f", 0,
		    "rlo iso ");                                  /* bidi */
	check_clean("\xff\xfe ok \xc0\xaf \xed\xa0\x80 \xe2\x82", 0,
		    "?? ok ?? ??? ??");
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void test_garbage(void)
{
	static const char *const seeds[] = {
		"{\"topic\":\"t\",\"body\":\"x\",\"reply_to\":\"" H64 "\"}",
		"{\"target\":\"" H64 "\",\"helpful\":true,\"rating\":3}",
		"{\"name\":\"Zo\xc3\xab\",\"role\":\"mentor\",\"v\":1}",
		"{\"a\":[[{\"b\":[1,2.5e3,null,true]}]]}",
	};
	static const char noise[] = "{}[]\":,\\x0\xff\xc3 ";
	static char buf[512];
	int i, valid = 0;

	for (i = 0; i < GARBAGE_ROUNDS; i++) {
		const char *s = seeds[rng() % 4];
		size_t len = strlen(s), j, flips;
		uint8_t kind = (uint8_t)(rng() % 12);
		json_t *o = NULL;
		struct err e;
		int rc;

		if (i % 3 == 0) {
			len = (size_t)(rng() % sizeof(buf));
			for (j = 0; j < len; j++)
				buf[j] = (char)rng();
		} else {
			memcpy(buf, s, len);
			flips = 1 + rng() % 3;
			for (j = 0; j < flips; j++)
				buf[rng() % len] = noise[rng() % (sizeof(noise) - 1)];
			if (rng() % 4 == 0)
				len = (size_t)(rng() % (len + 1));
		}
		err_clear(&e);
		rc = payload_validate(kind, buf, len, &o, &e);
		CHECK(rc == PAYLOAD_VALID || rc == PAYLOAD_OPAQUE || rc < 0);
		if (rc < 0)
			CHECK(e.msg[0] && o == NULL);
		if (rc == PAYLOAD_VALID) {
			valid++;
			CHECK(json_is_object(o));
			json_decref(o);
		}
	}
	CHECK(valid > 0);
}

int main(void)
{
	test_profile();
	test_text_clean();
	test_post();
	test_feedback();
	test_mentoring();
	test_kudos();
	test_governance();
	test_epoch();
	test_invite();
	test_general();
	test_out_object();
	test_encode();
	test_text_ok();
	test_garbage();
	return test_report("test_payload");
}
