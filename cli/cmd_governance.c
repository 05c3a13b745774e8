/*
 * governance: the community's governance history as this node holds it,
 * newest first: when, who, what (a role given, a post hidden, unhidden or
 * erased, a member removed, the secret rotated, or only "a report on
 * <id>": a report's text
 * is sealed to the facilitators and its category is not shown), why (the
 * record's reason) and what the rules made of it ("applied", or why not:
 * "no authority", "voided", ...). Text mode is a table whose columns fit
 * the widest cell, the reason last. Read-only; any member may look.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "view.h"

static const char usage[] = "usage: stoa governance [--limit N] [--json]";

static const char help[] =
	"usage: stoa governance [--limit N] [--json]\n"
	"\n"
	"Lists the governance records this node holds, newest first: when,\n"
	"who wrote it, what it does (\"role Ben -> mentor\", \"hide 1a2b3c4d\",\n"
	"\"unhide ...\", \"erase ...\", \"remove Ben after seq 12\", \"rotation to\n"
	"epoch 2, sealed to 11\" members, or \"a report on 1a2b3c4d\": a\n"
	"report's text is for the facilitators only), its effect (\"applied\",\n"
	"or why not: \"no authority\", \"voided\", \"founder\", \"self\", \"not\n"
	"erasable\", \"unknown target\", \"removed\", \"sealed to a removed\n"
	"member\", \"superseded\"), how far it has spread (SPREAD: of the\n"
	"nodes this node met that were not removed, how many held it when\n"
	"last met, as 'stoa serve' and 'stoa sync' record it) and why (its\n"
	"reason). Below the table: each record some of those nodes still\n"
	"lack, with them and when each was last seen (a removal takes effect\n"
	"on a node once it holds the record).\n"
	"\n"
	"  --limit N   at most N records (1 to 100000, default 20)\n"
	"  --json      one JSON object per record\n";

/* The WHAT cell of a record, into out. Names are cleaned when printed. */
static void what_of(const json_t *row, char *out, size_t cap)
{
	const char *kind = row_str(row, "kind", "?");
	const char *target = row_str(row, "target", "?");
	const char *name = row_str(row, "target_name", "");
	char who[80];

	if (name[0])
		snprintf(who, sizeof(who), "%s", name);
	else
		snprintf(who, sizeof(who), "[%.8s]", target);
	if (!strcmp(kind, "role"))
		snprintf(out, cap, "role %s -> %s", who,
			 row_str(row, "role", "?"));
	else if (!strcmp(kind, "remove"))
		snprintf(out, cap, "remove %s after seq %" JSON_INTEGER_FORMAT,
			 who, row_int(row, "cut", 0));
	else if (!strcmp(kind, "report"))
		snprintf(out, cap, "a report on %.8s", target);
	else if (!strcmp(kind, "epoch"))
		snprintf(out, cap, "rotation to epoch %" JSON_INTEGER_FORMAT
			 ", sealed to %" JSON_INTEGER_FORMAT,
			 row_int(row, "epoch", 0), row_int(row, "sealed_to", 0));
	else
		snprintf(out, cap, "%s %.8s", kind, target);
}

static void who_of(const json_t *row, char *out, size_t cap)
{
	const char *name = row_str(row, "name", "");

	if (name[0])
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "[%.8s]", row_str(row, "author", "?"));
}

#define WHAT_MAX 160

/* "3/5": of the peers met, those that held the record when last met. */
static void spread_of(const json_t *row, char *out, size_t cap)
{
	json_int_t peers = row_int(row, "peers", 0);

	if (peers <= 0)
		snprintf(out, cap, "-");
	else
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
			 row_int(row, "reached", 0), peers);
}

/* "42 s", "5 min", "3 h", "2 days" since ms (wall clock), or "?" */
static void age(json_int_t ms, char *out, size_t cap)
{
	struct timespec ts;
	json_int_t now, d;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	d = (now - ms) / 1000;
	if (ms <= 0 || d < 0)
		snprintf(out, cap, "?");
	else if (d < 60)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT " s", d);
	else if (d < 3600)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT " min", d / 60);
	else if (d < 86400)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT " h", d / 3600);
	else
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT " days", d / 86400);
}

/* Under the table: each shown record some met peer still lacked, with
 * those peers and when they were last seen. */
static void print_pending(const json_t *rows)
{
	json_t *row, *p;
	size_t i, k;
	char when[32];

	json_array_foreach(rows, i, row) {
		json_t *pending = json_object_get(row, "pending");

		if (!json_array_size(pending))
			continue;
		printf("%-8.8s pending on %zu of %" JSON_INTEGER_FORMAT
		       " nodes met: ", row_str(row, "id", "?"),
		       json_array_size(pending), row_int(row, "peers", 0));
		json_array_foreach(pending, k, p) {
			const char *name = row_str(p, "name", "");
			char key[16];

			if (k)
				fputs(", ", stdout);
			snprintf(key, sizeof(key), "[%.8s]",
				 row_str(p, "key", "?"));
			print_text(stdout, name[0] ? name : key, 0, NULL);
			age(row_int(p, "last_seen", 0), when, sizeof(when));
			printf(" (last seen %s ago)", when);
		}
		putchar('\n');
	}
}

static void print_table(const json_t *rows)
{
	size_t who_w = 3, what_w = 4, effect_w = 6, i, w;
	char who[80], what[WHAT_MAX], when[32], spread[48];
	json_t *row;

	json_array_foreach(rows, i, row) {
		who_of(row, who, sizeof(who));
		what_of(row, what, sizeof(what));
		if ((w = text_cell_width(who)) > who_w)
			who_w = w;
		if ((w = text_cell_width(what)) > what_w)
			what_w = w;
		if ((w = text_cell_width(row_str(row, "effect", "?"))) > effect_w)
			effect_w = w;
	}
	fputs("ID        WHEN              ", stdout);
	print_padded(stdout, "WHO", who_w + 2);
	print_padded(stdout, "WHAT", what_w + 2);
	print_padded(stdout, "EFFECT", effect_w + 2);
	print_padded(stdout, "SPREAD", 8);
	fputs("WHY\n", stdout);
	json_array_foreach(rows, i, row) {
		const char *reason = row_str(row, "reason", "");

		who_of(row, who, sizeof(who));
		what_of(row, what, sizeof(what));
		format_time(row_int(row, "ts", -1), when);
		printf("%-8.8s  %-16s  ", row_str(row, "id", "?"), when);
		print_padded(stdout, who, who_w + 2);
		print_padded(stdout, what, what_w + 2);
		print_padded(stdout, row_str(row, "effect", "?"), effect_w + 2);
		spread_of(row, spread, sizeof(spread));
		print_padded(stdout, spread, 8);
		print_text(stdout, reason[0] ? reason : "-", 0, NULL);
		putchar('\n');
	}
	print_pending(rows);
}

struct gov_out {
	int json;
	int err;
	json_t *rows;  /* text mode: collected to size the columns */
};

static int gov_row(json_t *row, void *arg)
{
	struct gov_out *o = arg;

	if (o->json) {
		o->err = print_json(stdout, row);
		return o->err != 0;
	}
	if (json_array_append(o->rows, row) < 0) {
		o->err = STOA_ENOMEM;
		return 1;
	}
	return 0;
}

int cmd_governance(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct view_gov_filter f = { VIEW_LIMIT_DEFAULT, 0 };
	struct gov_out out = { 0, 0, NULL };
	const char *limit = NULL;
	uint64_t n;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': limit = optarg; break;
		case 'j': out.json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);

	err_clear(&e);
	if (limit) {
		rc = cli_parse_num("--limit", limit, 1, VIEW_LIMIT_MAX, &n, &e);
		if (rc < 0)
			return cli_finish(rc, &e, usage);
		f.limit = (unsigned)n;
	}
	if (!out.json && !(out.rows = json_array()))
		return cli_finish(err_set(&e, STOA_ENOMEM, "out of memory"),
				  &e, usage);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = view_governance(c->home.store, &f, gov_row, &out, &e);
	if (rc == 0 && out.err == STOA_ENOMEM)
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0 && !out.json && json_array_size(out.rows))
		print_table(out.rows);
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the history");
	json_decref(out.rows);
	return cli_finish(rc, &e, usage);
}
