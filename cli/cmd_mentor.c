/*
 * mentor: the mentoring life cycle, one sub-command per step. A member
 * offers or requests mentoring on a topic; another member accepts that
 * ask, and the accept's entry id becomes the pairing id; the pairing's
 * mentor or mentee logs sessions (minutes, notes, goals, progress) and
 * either of them closes it, once. `mentor list` shows open asks and
 * pairings. Who may do what is checked here against the view before
 * anything is written (view_pairing_check); store_append checks the
 * payload itself.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "view.h"

static const char usage[] =
	"usage: stoa mentor offer TOPIC\n"
	"   or: stoa mentor request TOPIC\n"
	"   or: stoa mentor accept ID\n"
	"   or: stoa mentor session PAIRING [--minutes N] [--goals G] "
	"[--progress P] NOTES|-\n"
	"   or: stoa mentor close PAIRING [REASON|-]\n"
	"   or: stoa mentor list [--json]";

static const char help[] =
	"usage: stoa mentor offer TOPIC\n"
	"   or: stoa mentor request TOPIC\n"
	"   or: stoa mentor accept ID\n"
	"   or: stoa mentor session PAIRING [--minutes N] [--goals G] "
	"[--progress P] NOTES|-\n"
	"   or: stoa mentor close PAIRING [REASON|-]\n"
	"   or: stoa mentor list [--json]\n"
	"\n"
	"offer, request   offer to mentor, or ask for a mentor, on TOPIC\n"
	"accept ID        accept another member's offer or request; the new\n"
	"                 id printed is the PAIRING id\n"
	"session PAIRING  log a session (only the pairing's mentor or mentee)\n"
	"    --minutes N     its length, 0 to 1440 (default 0)\n"
	"    --goals G       the goals agreed (one line)\n"
	"    --progress P    the progress made (one line)\n"
	"close PAIRING    end the pairing (only its mentor or mentee; once)\n"
	"list             requests, then offers (each newest first), then\n"
	"                 pairings\n"
	"    --json          one JSON object per line\n"
	"\n"
	"IDs and PAIRINGs are unique id prefixes of 8 or more hex characters.\n"
	"Writes print the new entry id.\n";

static const char offer_usage[] = "usage: stoa mentor offer TOPIC";
static const char request_usage[] = "usage: stoa mentor request TOPIC";
static const char accept_usage[] = "usage: stoa mentor accept ID";
static const char session_usage[] =
	"usage: stoa mentor session PAIRING [--minutes N] [--goals G] "
	"[--progress P] NOTES|-";
static const char close_usage[] = "usage: stoa mentor close PAIRING [REASON|-]";
static const char list_usage[] = "usage: stoa mentor list [--json]";

/* The longest --goals / --progress line, in bytes. */
#define MENTOR_LINE_MAX 1024

static const struct option help_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/*
 * Options of the sub-commands that take only --help, and between min and
 * max arguments (what names the first, for "missing WHAT"). Returns
 * CLI_CONTINUE with optind at the first argument, or the exit code when
 * the sub-command is done (help printed, or a usage error). tail names
 * what to quote when there are too many (NULL: name the extra argument).
 */
static int parse_plain(int argc, char **argv, const char *sub_usage,
		       const char *what, int max, const char *tail)
{
	int ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", help_opts, NULL)) != -1) {
		switch (ch) {
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, help_opts, sub_usage);
		}
	}
	if (optind == argc)
		return cli_usage(sub_usage, "missing %s", what);
	if (argc - optind > max) {
		if (!tail)
			return cli_unexpected(sub_usage, argv[optind + max]);
		return cli_usage(sub_usage, "too many arguments (quote the %s)",
				 tail);
	}
	return CLI_CONTINUE;
}

static int ask(struct cli *c, int argc, char **argv, uint8_t kind,
	       const char *sub_usage)
{
	json_t *o = NULL;
	struct err e;
	int rc;

	rc = parse_plain(argc, argv, sub_usage, "TOPIC", 1, NULL);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_check_line("topic", argv[optind], PAYLOAD_TOPIC_MAX, 0, &e);
	if (rc == 0 && !(o = json_object()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_str(o, "topic", argv[optind], &e);
	if (rc == 0)
		rc = cli_append(c, kind, o, NULL, &e);
	json_decref(o);
	return cli_finish(rc, &e, sub_usage);
}

static int accept_ask(struct cli *c, int argc, char **argv)
{
	uint8_t id[ENTRY_ID_LEN], author[KEY_PUBLIC_LEN], kind = 0;
	json_t *o = NULL;
	struct err e;
	int rc;

	rc = parse_plain(argc, argv, accept_usage, "ID", 1, NULL);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_resolve_id(c, argv[optind], id, &kind, &e);
	if (rc == 0 && kind != ENTRY_KIND_MENTOR_OFFER &&
	    kind != ENTRY_KIND_MENTOR_REQUEST)
		rc = err_set(&e, STOA_EINVAL,
			     "'%s' is not a mentoring offer or request (it is "
			     "a %s)", argv[optind], entry_kind_name(kind));
	if (rc == 0)
		rc = store_entry_info(c->home.store, id, NULL, author, &e);
	if (rc < 0)
		goto out;
	if (bytes_equal(author, c->home.key.pk, KEY_PUBLIC_LEN)) {
		rc = err_set(&e, STOA_EINVAL, "you cannot accept your own %s",
			     kind == ENTRY_KIND_MENTOR_OFFER ? "offer" : "request");
		goto out;
	}
	rc = view_open_pairing(c->home.store, id, c->home.key.pk, &e);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		rc = err_set(&e, STOA_EEXIST, "you already have an open pairing "
			     "on this %s", kind == ENTRY_KIND_MENTOR_OFFER ?
			     "offer" : "request");
		goto out;
	}
	rc = 0;
	o = json_object();
	if (!o)
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_hex(o, "target", id, ENTRY_ID_LEN, &e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_MENTOR_ACCEPT, o, NULL, &e);
out:
	json_decref(o);
	return cli_finish(rc, &e, accept_usage);
}

/* Resolves PAIRING and checks that this member may write to it. */
static int pairing(struct cli *c, const char *arg, uint8_t id[ENTRY_ID_LEN],
		   struct err *e)
{
	uint8_t kind = 0;
	int rc;

	rc = cli_resolve_id(c, arg, id, &kind, e);
	if (rc < 0)
		return rc;
	if (kind != ENTRY_KIND_MENTOR_ACCEPT)
		return err_set(e, STOA_EINVAL,
			       "'%s' is not a pairing (it is a %s; a pairing "
			       "id is the id 'mentor accept' printed)", arg,
			       entry_kind_name(kind));
	return view_pairing_check(c->home.store, id, c->home.key.pk, e);
}

static int session(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "minutes", required_argument, NULL, 'm' },
		{ "goals", required_argument, NULL, 'g' },
		{ "progress", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *minutes_arg = NULL, *goals = NULL, *progress = NULL;
	uint8_t id[ENTRY_ID_LEN];
	uint64_t minutes = 0;
	char *notes = NULL;
	json_t *o = NULL;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': minutes_arg = optarg; break;
		case 'g': goals = optarg; break;
		case 'p': progress = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, session_usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage(session_usage, argc - optind ? "missing NOTES"
				 : "missing PAIRING and NOTES");
	if (argc - optind > 2)
		return cli_usage(session_usage, "too many arguments (quote "
				 "the NOTES)");

	err_clear(&e);
	rc = 0;
	if (minutes_arg)
		rc = cli_parse_num("--minutes", minutes_arg, 0,
				   PAYLOAD_MINUTES_MAX, &minutes, &e);
	if (rc == 0 && goals)
		rc = cli_check_line("goals", goals, MENTOR_LINE_MAX, 0, &e);
	if (rc == 0 && progress)
		rc = cli_check_line("progress", progress, MENTOR_LINE_MAX, 0,
				    &e);
	if (rc == 0)
		rc = cli_read_text("notes", argv[optind + 1], &notes, &e);
	if (rc == 0)
		rc = pairing(c, argv[optind], id, &e);
	if (rc == 0 && !(o = json_object()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_hex(o, "pairing", id, ENTRY_ID_LEN, &e);
	if (rc == 0)
		rc = cli_set_int(o, "minutes", minutes, &e);
	if (rc == 0)
		rc = cli_set_str(o, "notes", notes, &e);
	if (rc == 0 && goals)
		rc = cli_set_str(o, "goals", goals, &e);
	if (rc == 0 && progress)
		rc = cli_set_str(o, "progress", progress, &e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_MENTOR_SESSION, o, NULL, &e);
	json_decref(o);
	free(notes);
	return cli_finish(rc, &e, session_usage);
}

static int close_pairing(struct cli *c, int argc, char **argv)
{
	uint8_t id[ENTRY_ID_LEN];
	char *reason = NULL;
	json_t *o = NULL;
	struct err e;
	int rc;

	rc = parse_plain(argc, argv, close_usage, "PAIRING", 2, "REASON");
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = 0;
	if (argc - optind == 2)
		rc = cli_read_text("reason", argv[optind + 1], &reason, &e);
	if (rc == 0)
		rc = pairing(c, argv[optind], id, &e);
	if (rc == 0 && !(o = json_object()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_hex(o, "pairing", id, ENTRY_ID_LEN, &e);
	if (rc == 0 && reason)
		rc = cli_set_str(o, "reason", reason, &e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_MENTOR_CLOSE, o, NULL, &e);
	json_decref(o);
	free(reason);
	return cli_finish(rc, &e, close_usage);
}

struct list_out {
	int json;
	int err;
	char last_type[16];  /* the section being printed */
};

/*
 * Starts a section when the row type changes. view_mentoring groups its
 * rows by type (requests, then offers, then pairings), so each header is
 * printed once.
 */
static void section(struct list_out *o, const char *type)
{
	static const struct {
		const char *type, *title;
	} titles[] = {
		{ "offer", "offers" },
		{ "request", "requests" },
		{ "pairing", "pairings" },
	};
	size_t i;

	if (strcmp(o->last_type, type) == 0)
		return;
	if (o->last_type[0])
		putchar('\n');
	snprintf(o->last_type, sizeof(o->last_type), "%s", type);
	for (i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(titles[i].type, type) == 0)
			printf("%s:\n", titles[i].title);
}

static void print_ask(const json_t *row)
{
	char when[32];
	json_int_t n = row_int(row, "pairings", 0);

	format_time(row_int(row, "ts", -1), when);
	printf("  %.8s  ", row_str(row, "id", "?"));
	print_name(stdout, row, "name", "author");
	printf("  %s  #", when);
	print_text(stdout, row_str(row, "topic", ""), 0, NULL);
	if (n > 0)
		printf("  (%" JSON_INTEGER_FORMAT " pairing%s)", n,
		       n == 1 ? "" : "s");
	putchar('\n');
}

static void print_pairing(const json_t *row)
{
	char when[32];
	const char *goals = row_str(row, "goals", NULL);
	const char *progress = row_str(row, "progress", NULL);
	json_int_t sessions = row_int(row, "sessions", 0);

	format_time(row_int(row, "ts", -1), when);
	printf("  %.8s  %s  #", row_str(row, "id", "?"), when);
	print_text(stdout, row_str(row, "topic", ""), 0, NULL);
	fputs("  mentor ", stdout);
	print_name(stdout, row, "mentor_name", "mentor");
	fputs("  mentee ", stdout);
	print_name(stdout, row, "mentee_name", "mentee");
	fputs("  ", stdout);
	print_text(stdout, row_str(row, "status", "?"), 0, NULL);
	printf("\n      %" JSON_INTEGER_FORMAT " session%s \xc2\xb7 %"
	       JSON_INTEGER_FORMAT " min\n", sessions, sessions == 1 ? "" : "s",
	       row_int(row, "minutes", 0));
	if (goals && goals[0]) {
		fputs("      goals: ", stdout);
		print_text(stdout, goals, 0, NULL);
		putchar('\n');
	}
	if (progress && progress[0]) {
		fputs("      progress: ", stdout);
		print_text(stdout, progress, 0, NULL);
		putchar('\n');
	}
}

static int list_row(json_t *row, void *arg)
{
	struct list_out *o = arg;
	const char *type = row_str(row, "type", "");

	if (o->json) {
		o->err = print_json(stdout, row);
		return o->err != 0;
	}
	section(o, type);
	if (strcmp(type, "pairing") == 0)
		print_pairing(row);
	else
		print_ask(row);
	return ferror(stdout) != 0;
}

static int list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_out out;
	struct err e;
	int ch, rc;

	memset(&out, 0, sizeof(out));
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': out.json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, list_usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(list_usage, argv[optind]);

	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = view_mentoring(c->home.store, list_row, &out, &e);
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the list");
	return cli_finish(rc, &e, list_usage);
}

/* The sub-command's argv starts at its own name. */
static int offer(struct cli *c, int argc, char **argv)
{
	return ask(c, argc, argv, ENTRY_KIND_MENTOR_OFFER, offer_usage);
}

static int request(struct cli *c, int argc, char **argv)
{
	return ask(c, argc, argv, ENTRY_KIND_MENTOR_REQUEST, request_usage);
}

int cmd_mentor(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "offer", offer },
		{ "request", request },
		{ "accept", accept_ask },
		{ "session", session },
		{ "close", close_pairing },
		{ "list", list },
		{ NULL, NULL },
	};

	return cli_subcommand(c, argc, argv, subs, "mentor", usage, help);
}
