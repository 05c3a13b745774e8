/*
 * feed: the posts this node holds, newest first, optionally of one topic
 * or one author, as readable blocks (header line, indented body, counts)
 * or as one JSON object per post, as this node's member sees them: hidden
 * posts and the ones the member reported left out, unless a facilitator
 * asks for them with --hidden. Read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "view.h"

static const char usage[] =
	"usage: stoa feed [--topic TOPIC] [--author MEMBER] [--limit N] "
	"[--hidden] [--json]";

static const char help[] =
	"usage: stoa feed [--topic TOPIC] [--author MEMBER] [--limit N] "
	"[--hidden] [--json]\n"
	"\n"
	"Lists posts and replies, newest first. Posts a facilitator hid, and\n"
	"posts you reported, are left out.\n"
	"\n"
	"  --topic TOPIC     only posts of this topic\n"
	"  --author MEMBER   only posts by this member (display name or key\n"
	"                    prefix of 8 or more hex characters)\n"
	"  --limit N         at most N posts (1 to 100000, default 20)\n"
	"  --hidden          facilitators only: hidden posts too, marked\n"
	"                    [hidden]\n"
	"  --json            one JSON object per post\n";

int cmd_feed(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "author", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ "hidden", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *author = NULL, *limit = NULL;
	struct view_feed_filter f = { NULL, NULL, VIEW_LIMIT_DEFAULT };
	struct post_out out = { POST_FEED, 0, 0, 0 };
	struct view_scope scope = { NULL, 0 };
	uint8_t pk[KEY_PUBLIC_LEN];
	uint64_t n;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': f.topic = optarg; break;
		case 'a': author = optarg; break;
		case 'n': limit = optarg; break;
		case 'H': scope.hidden = 1; break;
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
	if (f.topic) {
		rc = cli_check_line("topic", f.topic, PAYLOAD_TOPIC_MAX, 0, &e);
		if (rc < 0)
			return cli_finish(rc, &e, usage);
	}
	rc = cli_open(c, &e);
	if (rc == 0 && scope.hidden)
		rc = cli_gov_need_facilitator(c, "use --hidden", &e);
	if (rc == 0 && author) {
		rc = cli_resolve_member(c, author, pk, &e);
		f.author = pk;
	}
	if (rc == 0) {
		scope.viewer = c->home.key.pk;
		rc = view_feed_for(c->home.store, &f, &scope, print_post_row,
				   &out, &e);
	}
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the feed");
	return cli_finish(rc, &e, usage);
}
