/*
 * invite: the codes that let someone join. Plain `stoa invite` prints the
 * community's standing code (v1/v2: no record, no role, no limit), as it
 * always did, for any member. With --role, --expires, --uses or --typed a
 * facilitator makes an invite (v3, docs/formats.md): a random id, the
 * role its joiner gets, an expiry and a number of uses, signed, and
 * recorded in the facilitator's feed (kind invite) so that every node
 * can count the joins that name it (docs/governance.md, "Invites").
 * --sheet N --html FILE makes N one-time invites on a printable page;
 * --list shows the invites the community holds and what became of them;
 * --revoke ID ends one. Every code carries the community secret, so a
 * warning saying so goes to stderr each time, and the code alone goes to
 * stdout (for scripts). A rotation of the secret the store holds but the
 * home has not moved to yet is adopted first (home_adopt), so the code is
 * always the current epoch's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "community.h"
#include "invite.h"
#include "invite_view.h"
#include "payload.h"
#include "store.h"

#define INVITE_SHEET_MAX 200          /* invites on one sheet */
#define INVITE_EXPIRES_DEFAULT_MS (7ull * 24 * 3600 * 1000) /* 7 days */
#define INVITE_EXPIRES_MAX_MS (3660ull * 24 * 3600 * 1000)  /* ~10 years */

static const char usage[] =
	"usage: stoa invite [--role learner|mentor] [--expires DURATION] "
	"[--uses N] [--typed] [--qr] [--svg FILE] [--json] | --sheet N --html "
	"FILE [--role ROLE] [--expires DURATION] | --list [--json] | "
	"--revoke ID [--reason REASON]";

static const char help[] =
	"usage: stoa invite [--role learner|mentor] [--expires DURATION] "
	"[--uses N] [--typed] [--qr] [--svg FILE] [--json]\n"
	"   or: stoa invite --sheet N --html FILE [--role learner|mentor] "
	"[--expires DURATION]\n"
	"   or: stoa invite --list [--json]\n"
	"   or: stoa invite --revoke ID [--reason REASON]\n"
	"\n"
	"Without options, prints the invite code of your community (one line,\n"
	"stoa:...): anyone holding it can join, as a learner, any number of\n"
	"times. A facilitator can instead make an invite, with any of --role,\n"
	"--expires, --uses and --typed: it is recorded in your feed, so that\n"
	"every node counts the joins that use it, and a mentor invite makes\n"
	"its joiners mentors once your node has their join (from a sync:\n"
	"while 'stoa serve' runs, or at your next 'stoa invite --list').\n"
	"Every code holds the community secret: share it only with the\n"
	"person it is for. A removal or 'stoa rotate' changes the secret:\n"
	"the invites made before then let no one in (--list says 'void'),\n"
	"make new ones.\n"
	"\n"
	"  --role ROLE       learner (the default) or mentor\n"
	"  --expires DURATION  how long it may be used: N followed by s, m, h,\n"
	"                    d or w (7d by default), or never\n"
	"  --uses N          how many people may join with it (1 by default,\n"
	"                    at most 65535)\n"
	"  --typed           print the typed form (groups of five letters and\n"
	"                    digits, to copy by hand) instead of stoa:...\n"
	"  --qr              also print the code as a QR code (UTF-8 blocks;\n"
	"                    of stoa:..., even with --typed)\n"
	"  --svg FILE        also write the code as a QR code in an SVG file\n"
	"  --sheet N         make N one-time invites (one per person) ...\n"
	"  --html FILE       ... on a printable page: QR code and typed form\n"
	"  --list            the invites of the community: who made each, its\n"
	"                    role, expiry, uses, joins, and what is amiss\n"
	"                    (over-used, expired or revoked joins)\n"
	"  --revoke ID       end an invite (its id, or 4 or more of its first\n"
	"                    hex characters): joins after this do not count\n"
	"  --reason REASON   why it was revoked (one line)\n"
	"  --json            print the code, or each invite of --list, as JSON\n";

struct opts {
	const char *role, *expires, *uses, *svg, *sheet, *html, *revoke;
	const char *reason;
	int typed, qr, list, json;
};

/*
 * {"code":...,"community":...} on stdout. The code never enters a jansson
 * object: json_dumps would copy the secret to heap memory that is freed
 * unwiped. It is base64url after "stoa:" (or base32 and dashes), so it
 * needs no escaping; only the community name is JSON-encoded.
 */
static int print_code_json(const char *code, const char *community,
			   const char *extra, struct err *e)
{
	json_t *name = json_string(community);
	char *s = name ? json_dumps(name, JSON_ENCODE_ANY |
				    JSON_ENSURE_ASCII) : NULL;

	json_decref(name);
	if (!s)
		return err_set(e, STOA_ENOMEM, "cannot print the invite");
	printf("{\"code\":\"%s\",\"community\":%s%s}\n", code, s,
	       extra ? extra : "");
	free(s);
	if (ferror(stdout))
		return err_set(e, STOA_EIO, "cannot print the invite");
	return 0;
}

/* --expires: "never", or N and a unit (s, m, h, d, w) into ms. */
static int parse_expires(const char *s, uint64_t *ms, struct err *e)
{
	static const struct { char u; uint64_t ms; } units[] = {
		{ 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 },
		{ 'd', 86400000 }, { 'w', 604800000 },
	};
	char num[24];
	size_t n = strlen(s), i;
	uint64_t v;
	int rc;

	if (strcmp(s, "never") == 0) {
		*ms = 0;
		return 0;
	}
	if (n < 2 || n > sizeof(num))
		goto bad;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[n - 1] != units[i].u)
			continue;
		memcpy(num, s, n - 1);
		num[n - 1] = '\0';
		/* a number, then its bounds said in its own unit */
		if ((rc = cli_parse_num("--expires", num, 0, UINT64_MAX, &v,
					e)) < 0)
			return rc;
		if (v < 1 || v > INVITE_EXPIRES_MAX_MS / units[i].ms)
			return err_set(e, STOA_EUSAGE, "--expires is 1%c to "
				       "%llu%c (about 10 years), or never",
				       units[i].u, (unsigned long long)
				       (INVITE_EXPIRES_MAX_MS / units[i].ms),
				       units[i].u);
		*ms = v * units[i].ms;
		return 0;
	}
bad:
	return err_set(e, STOA_EUSAGE, "--expires takes a number and a unit "
		       "(30m, 12h, 7d, 2w) or never");
}

/* The invite this node's member makes: community, a fresh id, signed. */
static void make_invite(struct cli *c, int role, uint64_t expires,
			unsigned uses, struct invite *iv)
{
	memset(iv, 0, sizeof(*iv));
	iv->c = c->home.community;
	memset(iv->c.past, 0, sizeof(iv->c.past)); /* never leaves the file */
	iv->c.npast = 0;
	iv->version = INVITE_V3;
	random_bytes(iv->id, INVITE_ID_LEN);
	iv->role = role;
	iv->expires = expires ? clock_wall_ms() + expires : 0;
	iv->uses = (uint16_t)uses;
	invite_sign(iv, &c->home.key);
}

/* Its record: {"id","role","expires","uses","epoch"} appended to the
 * feed (the epoch: --list says which invites a rotation made void). */
static int record_invite(struct cli *c, const struct invite *iv,
			 struct err *e)
{
	char id[2 * INVITE_ID_LEN + 1], *p = NULL;
	json_t *o;
	size_t len;
	int rc;

	hex_encode(id, iv->id, INVITE_ID_LEN);
	o = json_pack("{s:s, s:s, s:I, s:i, s:I}", "id", id, "role",
		      invite_role_name(iv->role), "expires",
		      (json_int_t)iv->expires, "uses", (int)iv->uses, "epoch",
		      (json_int_t)iv->c.epoch);
	if (!o)
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = payload_encode(o, &p, &len, e);
	json_decref(o);
	if (rc == 0)
		rc = store_append(c->home.store, &c->home.key, ENTRY_KIND_INVITE,
				  p, len, NULL, e);
	free(p);
	return rc;
}

/* The role records this node owes joins of its mentor invites (said on
 * stderr); a failure here never fails the command. */
static void grant(struct cli *c)
{
	unsigned n = 0;
	struct err e;

	err_clear(&e);
	if (c->home.locked || invite_view_grant(c->home.store, &c->home.key,
						 NULL, &n, &e) < 0) {
		if (e.msg[0])
			fprintf(stderr, "stoa: cannot give the roles invites "
				"name: %s\n", e.msg);
		return;
	}
	if (n) {
		fprintf(stderr, "stoa: gave %u member%s the role of the invite "
			"they joined with\n", n, n == 1 ? "" : "s");
		cli_nudge(c);
	}
}

/* The member must be a facilitator of a founded community. */
static int need_facilitator(struct cli *c, const char *what, struct err *e)
{
	int rc;

	if ((rc = cli_gov_need_facilitator(c, what, e)) < 0)
		return rc;
	if (!c->home.community.founded)
		return err_set(e, STOA_EINVAL, "this community was made before "
			       "governance: it has no facilitators, only its "
			       "code ('stoa invite')");
	return 0;
}

static int write_svg(FILE *f, void *arg, struct err *e)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	return cli_qr_svg(f, arg, "a stoa invite", e);
}

/* The code on stdout (and the QR of qr: the "stoa:" form, which a
 * scan reads whole, also under --typed, as the SVG and the sheet):
 * plain or v3. The SVG is written before, so that a failure there is
 * the only line said. */
static int show(struct cli *c, const struct opts *o, const char *code,
		const char *qr, const char *extra, struct err *e)
{
	int rc = 0;

	fputs("stoa: this code carries the community secret: share it only "
	      "with the person it is for\n", stderr);
	if (o->qr && (rc = cli_qr_term(stdout, qr, isatty(STDOUT_FILENO),
				       e)) < 0)
		return rc;
	if (o->json)
		return print_code_json(code, c->home.community.name, extra, e);
	printf("%s\n", code);
	if (ferror(stdout))
		return err_set(e, STOA_EIO, "cannot print the invite");
	return 0;
}

static int role_of(const char *s, int *role, struct err *e)
{
	*role = INVITE_ROLE_LEARNER;
	if (!s || strcmp(s, "learner") == 0)
		return 0;
	if (strcmp(s, "mentor") == 0) {
		*role = INVITE_ROLE_MENTOR;
		return 0;
	}
	return err_set(e, STOA_EUSAGE, "--role is learner or mentor (a "
		       "facilitator is named with 'stoa role')");
}

/* One v3 invite, recorded, then shown. */
static int one_invite(struct cli *c, const struct opts *o, struct err *e)
{
	char code[INVITE_CODE_MAX], id[2 * INVITE_ID_LEN + 1], when[32];
	char typed[INVITE_TYPED_MAX], extra[256];
	struct invite iv;
	uint64_t expires = INVITE_EXPIRES_DEFAULT_MS, uses = 1;
	int rc, role;

	if ((rc = role_of(o->role, &role, e)) < 0 ||
	    (o->expires && (rc = parse_expires(o->expires, &expires, e)) < 0) ||
	    (o->uses && (rc = cli_parse_num("--uses", o->uses, 1,
					    INVITE_USES_MAX, &uses, e)) < 0))
		return rc;
	/* refused before any passphrase is asked for */
	if ((rc = need_facilitator(c, "make invites", e)) < 0 ||
	    (rc = cli_unlock(c, e)) < 0)
		return rc;
	make_invite(c, role, expires, (unsigned)uses, &iv);
	/* the SVG of the code (its signed form, scanned), then the record:
	 * an SVG whose invite could not be recorded goes again */
	invite_v3_encode(&iv, code);
	if (o->svg && (rc = cli_write_atomic(o->svg, write_svg, code, e)) < 0)
		goto out;
	if ((rc = record_invite(c, &iv, e)) < 0) {
		if (o->svg)
			unlink(o->svg);
		goto out;
	}
	cli_nudge(c);
	hex_encode(id, iv.id, INVITE_ID_LEN);
	if (iv.expires)
		cli_format_utc(iv.expires, when);
	else
		snprintf(when, sizeof(when), "never");
	fprintf(stderr, "stoa: invite %s: joins as a %s, %u use%s, expires "
		"%s\n", id, invite_role_name(role), (unsigned)uses,
		uses == 1 ? "" : "s", when);
	snprintf(extra, sizeof(extra), ",\"id\":\"%s\",\"role\":\"%s\","
		 "\"expires\":%llu,\"uses\":%u", id, invite_role_name(role),
		 (unsigned long long)iv.expires, (unsigned)uses);
	invite_v3_encode(&iv, code);
	if (o->typed)
		invite_typed_encode(&iv, typed);
	rc = show(c, o, o->typed ? typed : code, code, extra, e);
	grant(c);
out:
	bytes_wipe(code, sizeof(code));
	bytes_wipe(typed, sizeof(typed));
	invite_wipe(&iv);
	return rc;
}

struct sheet {
	struct invite *v;
	size_t n;
};

static int write_sheet(FILE *f, void *arg, struct err *e)
{
	struct sheet *s = arg;

	return cli_invite_sheet(f, s->v, s->n, e);
}

/* N one-time invites, their records in one transaction, the page. */
static int make_sheet(struct cli *c, const struct opts *o, struct err *e)
{
	struct sheet s = { 0 };
	uint64_t expires = INVITE_EXPIRES_DEFAULT_MS, n;
	size_t i;
	int rc, role;

	if ((rc = cli_parse_num("--sheet", o->sheet, 1, INVITE_SHEET_MAX, &n,
				e)) < 0 ||
	    (rc = role_of(o->role, &role, e)) < 0 ||
	    (o->expires && (rc = parse_expires(o->expires, &expires, e)) < 0))
		return rc;
	/* refused before any passphrase is asked for */
	if ((rc = need_facilitator(c, "make invites", e)) < 0 ||
	    (rc = cli_unlock(c, e)) < 0)
		return rc;
	if (!(s.v = calloc(n, sizeof(*s.v))))
		return err_set(e, STOA_ENOMEM, "out of memory");
	s.n = n;
	for (i = 0; i < n; i++)
		make_invite(c, role, expires, 1, &s.v[i]);
	/* the page is renamed into place inside the transaction: a failed
	 * commit takes it away again, a failed page writes no record */
	if ((rc = store_begin(c->home.store, e)) < 0)
		goto out;
	for (i = 0; rc == 0 && i < n; i++)
		rc = record_invite(c, &s.v[i], e);
	if (rc == 0)
		rc = cli_write_atomic(o->html, write_sheet, &s, e);
	if (rc < 0) {
		store_rollback(c->home.store);
		goto out;
	}
	if ((rc = store_commit(c->home.store, e)) < 0) {
		unlink(o->html);
		goto out;
	}
	cli_nudge(c);
	fprintf(stderr, "stoa: %zu one-time invites on '%s': it holds the "
		"community secret, print it and delete it\n", s.n, o->html);
	grant(c);
out:
	for (i = 0; i < s.n; i++)
		invite_wipe(&s.v[i]);
	free(s.v);
	return rc;
}

/* --list ---------------------------------------------------------------- */

struct list_out {
	int json, err;
	unsigned rows;
	const char *want;   /* --revoke: an id prefix to find */
	char found[2 * INVITE_ID_LEN + 1];
	int matches, revoked;
	uint32_t epoch;     /* the home's: an invite of an earlier one is void */
};

static void print_invite(const json_t *row)
{
	char made[32], when[32];
	json_int_t joins = row_int(row, "joins", 0), uses = row_int(row, "uses", 0);
	const json_t *m;
	size_t i;

	format_time(row_int(row, "ts", 0), made);
	printf("%s  %-7s  by ", row_str(row, "id", "?"),
	       row_str(row, "role", "?"));
	print_name(stdout, row, "issuer_name", "issuer");
	printf("  made %s  expires ", made);
	if (row_int(row, "expires", 0)) {
		format_time(row_int(row, "expires", 0), when);
		fputs(when, stdout);
	} else {
		fputs("never", stdout);
	}
	printf("  joins %lld of %lld", (long long)joins, (long long)uses);
	if (row_bool(row, "revoked")) {
		format_time(row_int(row, "revoked_ts", 0), when);
		printf("  revoked %s", when);
	}
	if (row_bool(row, "over_used"))
		printf("  over-used: %lld joins of %lld", (long long)joins,
		       (long long)uses);
	if (row_int(row, "expired_joins", 0))
		printf("  expired join");
	if (row_int(row, "late_joins", 0))
		printf("  join after revocation");
	if (row_bool(row, "void"))
		printf("  void: the secret was rotated since, its code lets no "
		       "one in");
	putchar('\n');
	json_array_foreach(json_object_get(row, "members"), i, m) {
		format_time(row_int(m, "ts", 0), when);
		fputs("  ", stdout);
		print_name(stdout, m, "name", "member");
		printf("  joined %s  %s\n", when,
		       row_bool(m, "valid") ? "valid"
		       : strcmp(row_str(m, "why", ""), "revoked") == 0
		       ? "after revocation" : row_str(m, "why", "?"));
	}
}

static int list_row(json_t *row, void *arg)
{
	struct list_out *lo = arg;
	const char *id = row_str(row, "id", "");
	json_t *ep = json_object_get(row, "epoch");

	/* made with the secret of an earlier epoch: a rotation (a removal)
	 * since makes its code useless, however long it has to run */
	if (json_is_integer(ep) && json_integer_value(ep) < (json_int_t)lo->epoch)
		json_object_set_new(row, "void", json_true());
	if (lo->want) {
		if (strncmp(id, lo->want, strlen(lo->want)) == 0) {
			lo->matches++;
			snprintf(lo->found, sizeof(lo->found), "%s", id);
			lo->revoked = row_bool(row, "revoked");
		}
		return 0;
	}
	lo->rows++;
	if (lo->json) {
		if (print_json(stdout, row) < 0)
			lo->err = STOA_EIO;
	} else {
		print_invite(row);
	}
	return 0;
}

static int list_invites(struct cli *c, const struct opts *o, struct err *e)
{
	struct list_out lo = { .json = o->json };
	int rc;

	if ((rc = cli_open(c, e)) < 0 ||
	    (rc = need_facilitator(c, "list invites", e)) < 0)
		return rc;
	lo.epoch = c->home.community.epoch;
	grant(c);
	if ((rc = invite_view_list(c->home.store, list_row, &lo, e)) < 0)
		return rc;
	if (lo.err || ferror(stdout))
		return err_set(e, STOA_EIO, "cannot print the invites");
	if (!lo.rows && !o->json)
		fputs("stoa: no invites yet ('stoa invite --role ...' makes "
		      "one)\n", stderr);
	return 0;
}

static int revoke_invite(struct cli *c, const struct opts *o, struct err *e)
{
	char want[2 * INVITE_ID_LEN + 1];
	struct list_out lo = { .want = want };
	size_t n = strlen(o->revoke), i;
	json_t *rec;
	int rc;

	if (n < 4 || n > 2 * INVITE_ID_LEN)
		return err_set(e, STOA_EUSAGE, "--revoke takes an invite id (4 "
			       "to 16 hex characters, as 'stoa invite --list' "
			       "shows)");
	/* either case: an id copied from a card or typed by hand */
	for (i = 0; i < n; i++) {
		char ch = o->revoke[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return err_set(e, STOA_EUSAGE, "--revoke takes an invite "
				       "id: hex characters, as 'stoa invite "
				       "--list' shows");
		want[i] = ch;
	}
	want[n] = '\0';
	/* refused before any passphrase is asked for */
	if ((rc = need_facilitator(c, "revoke invites", e)) < 0 ||
	    (rc = cli_unlock(c, e)) < 0)
		return rc;
	if ((rc = invite_view_list(c->home.store, list_row, &lo, e)) < 0)
		return rc;
	if (lo.matches == 0)
		return err_set(e, STOA_ENOTFOUND, "no invite '%s' is held here "
			       "('stoa invite --list' shows them)", want);
	if (lo.matches > 1)
		return err_set(e, STOA_EAMBIG, "'%s' names %d invites: give "
			       "more of its id", want, lo.matches);
	if (lo.revoked)
		return err_set(e, STOA_EINVAL, "invite %s is revoked already",
			       lo.found);
	if (!(rec = json_pack("{s:s, s:b}", "id", lo.found, "revoked", 1)))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_gov_reason(rec, o->reason, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_INVITE, rec, NULL, e);
	json_decref(rec);
	if (rc == 0) {
		fprintf(stderr, "stoa: invite %s revoked: joins dated after now "
			"do not count\n", lo.found);
		grant(c);
	}
	return rc;
}

/* Today's code, for any member. */
static int plain(struct cli *c, const struct opts *o, struct err *e)
{
	char code[INVITE_MAX];
	int rc;

	if ((rc = cli_open(c, e)) < 0)
		return rc;
	invite_encode(&c->home.community, code);
	if (!o->svg || (rc = cli_write_atomic(o->svg, write_svg, code, e)) == 0)
		rc = show(c, o, code, code, NULL, e);
	bytes_wipe(code, sizeof(code));
	return rc;
}

int cmd_invite(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'x' },
		{ "uses", required_argument, NULL, 'u' },
		{ "typed", no_argument, NULL, 't' },
		{ "qr", no_argument, NULL, 'q' },
		{ "svg", required_argument, NULL, 's' },
		{ "sheet", required_argument, NULL, 'S' },
		{ "html", required_argument, NULL, 'H' },
		{ "list", no_argument, NULL, 'l' },
		{ "revoke", required_argument, NULL, 'R' },
		{ "reason", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct err e;
	int ch, rc, v3;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': o.role = optarg; break;
		case 'x': o.expires = optarg; break;
		case 'u': o.uses = optarg; break;
		case 't': o.typed = 1; break;
		case 'q': o.qr = 1; break;
		case 's': o.svg = optarg; break;
		case 'S': o.sheet = optarg; break;
		case 'H': o.html = optarg; break;
		case 'l': o.list = 1; break;
		case 'R': o.revoke = optarg; break;
		case 'm': o.reason = optarg; break;
		case 'j': o.json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);
	v3 = o.role || o.expires || o.uses || o.typed;
	if (o.list && (v3 || o.qr || o.svg || o.sheet || o.html || o.revoke ||
		       o.reason))
		return cli_usage(usage, "--list takes only --json");
	if (o.revoke && (v3 || o.qr || o.svg || o.sheet || o.html || o.json))
		return cli_usage(usage, "--revoke takes only --reason");
	if (o.qr && o.json)
		return cli_usage(usage, "--qr and --json do not go together "
				 "(the QR code is text on stdout)");
	if (o.reason && !o.revoke)
		return cli_usage(usage, "--reason goes with --revoke");
	if (!o.sheet != !o.html)
		return cli_usage(usage, "--sheet N and --html FILE go together");
	if (o.sheet && (o.uses || o.typed || o.qr || o.svg || o.json))
		return cli_usage(usage, "--sheet takes only --html, --role and "
				 "--expires (each of its invites works once)");

	err_clear(&e);
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, usage);
	/* a rotation held but not adopted yet (no daemon ran since): its
	 * code, if this member's key can open it now */
	if (home_adopt(&c->home, &e) < 0)
		err_clear(&e);
	if (o.list)
		rc = list_invites(c, &o, &e);
	else if (o.revoke)
		rc = revoke_invite(c, &o, &e);
	else if (o.sheet)
		rc = make_sheet(c, &o, &e);
	else if (v3)
		rc = one_invite(c, &o, &e);
	else
		rc = plain(c, &o, &e);
	return cli_finish(rc, &e, usage);
}
