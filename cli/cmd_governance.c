/*
 * governance: the community's governance history as this node holds it,
 * newest first: when, who, what (a role given, a post hidden, unhidden or
 * erased, a member removed, or only "a report on <id>": a report's text
 * is sealed to the facilitators and its category is not shown), why (the
 * record's reason) and what the rules made of it ("applied", or why not:
 * "no authority", "voided", ...). Text mode is a table whose columns fit
 * the widest cell, the reason last. Read-only; any member may look.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "view.h"

static const char usage[] = "usage: stoa governance [--limit N] [--json]";

static const char help[] =
	"usage: stoa governance [--limit N] [--json]\n"
	"\n"
	"Lists the governance records this node holds, newest first: when,\n"
	"who wrote it, what it does (\"role Ben -> mentor\", \"hide 1a2b3c4d\",\n"
	"\"unhide ...\", \"erase ...\", \"remove Ben after seq 12\", or \"a report\n"
	"on 1a2b3c4d\": a report's text is for the facilitators only), its\n"
	"effect (\"applied\", or why not: \"no authority\", \"voided\", \"founder\",\n"
	"\"self\", \"not erasable\", \"unknown target\", \"removed\") and why (its\n"
	"reason).\n"
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

static size_t cell_width(const char *s)
{
	char *clean = text_clean(s, 0);
	size_t w = clean ? text_width(clean) : 1;

	free(clean);
	return w;
}

#define WHAT_MAX 160

static void print_table(const json_t *rows)
{
	size_t who_w = 3, what_w = 4, effect_w = 6, i, w;
	char who[80], what[WHAT_MAX], when[32];
	json_t *row;

	json_array_foreach(rows, i, row) {
		who_of(row, who, sizeof(who));
		what_of(row, what, sizeof(what));
		if ((w = cell_width(who)) > who_w)
			who_w = w;
		if ((w = cell_width(what)) > what_w)
			what_w = w;
		if ((w = cell_width(row_str(row, "effect", "?"))) > effect_w)
			effect_w = w;
	}
	fputs("ID        WHEN              ", stdout);
	print_padded(stdout, "WHO", who_w + 2);
	print_padded(stdout, "WHAT", what_w + 2);
	print_padded(stdout, "EFFECT", effect_w + 2);
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
		print_text(stdout, reason[0] ? reason : "-", 0, NULL);
		putchar('\n');
	}
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
