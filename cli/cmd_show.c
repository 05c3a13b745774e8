/*
 * show: one post as a thread: the post, its replies depth-first (each
 * level indented further), then the feedback on the post, exactly in the
 * order view_show_for hands the rows over, as this node's member sees
 * them. A hidden post shows as "[hidden by a facilitator: reason]", an
 * erased one as "[erased by its author: reason]" (or "by a facilitator"),
 * each with its replies; hidden replies and feedback are left out unless
 * a facilitator asks for them with --hidden. Read-only.
 */
#include <string.h>

#include "cli.h"
#include "view.h"

/* Deeper replies are drawn at this depth so a long thread stays legible. */
#define SHOW_INDENT_MAX 8

static const char usage[] = "usage: stoa show ID [--hidden] [--json]";

static const char help[] =
	"usage: stoa show ID [--hidden] [--json]\n"
	"\n"
	"Shows the post ID (a unique id prefix of 8 or more hex characters)\n"
	"with its replies, depth-first and indented, then its feedback. A post\n"
	"a facilitator hid shows as \"[hidden by a facilitator: reason]\", an\n"
	"erased one as \"[erased by its author: reason]\" (or \"by a\n"
	"facilitator\"); their replies still show. Hidden replies and feedback,\n"
	"and those you reported, are left out.\n"
	"\n"
	"  --hidden   facilitators only: hidden posts, replies and feedback\n"
	"             shown, marked [hidden]\n"
	"  --json     one JSON object per line: the post, each reply (with\n"
	"             \"depth\"), then each feedback row\n";

struct show_out {
	int json;
	int err;
	int feedback_seen;
};

static int show_row(json_t *row, void *arg)
{
	struct show_out *o = arg;
	char indent[2 * SHOW_INDENT_MAX + 8];
	json_int_t depth;
	int i;

	if (o->json) {
		o->err = print_json(stdout, row);
		return o->err != 0;
	}
	if (strcmp(row_str(row, "type", ""), "feedback") == 0) {
		if (!o->feedback_seen++)
			fputs("\nfeedback:\n", stdout);
		print_feedback(stdout, row, "  ");
		return ferror(stdout) != 0;
	}
	depth = row_int(row, "depth", 0);
	if (depth < 0)
		depth = 0;
	if (depth > SHOW_INDENT_MAX)
		depth = SHOW_INDENT_MAX;
	for (i = 0; i < 2 * depth; i++)
		indent[i] = ' ';
	indent[i] = '\0';
	if (depth > 0)
		putchar('\n');
	print_post(stdout, row, indent, POST_THREAD);
	return ferror(stdout) != 0;
}

int cmd_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hidden", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_out out = { 0, 0, 0 };
	struct view_scope scope = { NULL, 0 };
	uint8_t id[ENTRY_ID_LEN], kind = 0;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H': scope.hidden = 1; break;
		case 'j': out.json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind == argc)
		return cli_usage(usage, "missing ID");
	if (argc - optind > 1)
		return cli_unexpected(usage, argv[optind + 1]);

	err_clear(&e);
	rc = cli_resolve_id(c, argv[optind], id, &kind, &e);
	if (rc == 0 && kind != ENTRY_KIND_POST)
		rc = err_set(&e, STOA_EINVAL, "'%s' is not a post (it is a %s)",
			     argv[optind], entry_kind_name(kind));
	if (rc == 0 && scope.hidden)
		rc = cli_gov_need_facilitator(c, "use --hidden", &e);
	if (rc == 0) {
		scope.viewer = c->home.key.pk;
		rc = view_show_for(c->home.store, id, &scope, show_row, &out,
				   &e);
	}
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the thread");
	return cli_finish(rc, &e, usage);
}
