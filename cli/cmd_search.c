/*
 * search: full-text search over posts through view_search (each word
 * required, whole words unless it ends in '*'), newest first; text mode shows each hit's
 * header and the matching snippet. Hidden posts and the ones this node's
 * member reported are left out, unless a facilitator asks for them with
 * --hidden (as in feed). An empty or over-long query is the user's error
 * (exit 1), never a crash. Read-only.
 */
#include <string.h>

#include "cli.h"
#include "view.h"

static const char usage[] =
	"usage: stoa search QUERY [--limit N] [--hidden] [--json]";

static const char help[] =
	"usage: stoa search QUERY [--limit N] [--hidden] [--json]\n"
	"\n"
	"Searches the titles, bodies and topics of every post, newest first.\n"
	"Every word of QUERY must appear as a whole word; end a word with '*'\n"
	"to match its start (\"fract*\" finds \"fractions\"). Punctuation has\n"
	"no special meaning.\n"
	"Text output shows each match's header and a snippet with the matched\n"
	"words in [brackets]. Posts a facilitator hid, and posts you reported,\n"
	"are left out.\n"
	"\n"
	"  --limit N   at most N results (1 to 100000, default 20)\n"
	"  --hidden    facilitators only: hidden posts too, marked [hidden]\n"
	"  --json      one JSON object per result (a feed row plus \"snippet\")\n";

int cmd_search(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "hidden", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct post_out out = { POST_SEARCH, 0, 0, 0 };
	struct view_scope scope = { NULL, 0 };
	const char *limit = NULL;
	uint64_t n = VIEW_LIMIT_DEFAULT;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': limit = optarg; break;
		case 'H': scope.hidden = 1; break;
		case 'j': out.json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind == argc)
		return cli_usage(usage, "missing QUERY");
	if (argc - optind > 1)
		return cli_usage(usage, "too many arguments (quote the QUERY)");

	err_clear(&e);
	if (limit) {
		rc = cli_parse_num("--limit", limit, 1, VIEW_LIMIT_MAX, &n, &e);
		if (rc < 0)
			return cli_finish(rc, &e, usage);
	}
	rc = cli_check_line("query", argv[optind], VIEW_QUERY_MAX, 0,
			    &e);
	if (rc == 0)
		rc = cli_open(c, &e);
	if (rc == 0 && scope.hidden)
		rc = cli_gov_need_facilitator(c, "use --hidden", &e);
	if (rc == 0) {
		scope.viewer = c->home.key.pk;
		rc = view_search(c->home.store, argv[optind], (unsigned)n,
				 &scope, print_post_row, &out, &e);
	}
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the results");
	return cli_finish(rc, &e, usage);
}
