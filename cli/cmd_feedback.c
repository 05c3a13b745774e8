/*
 * feedback: a rating (1 to 5), a "helpful" mark and/or a comment on a
 * stored post. At least one of the three must be given; the target must be
 * a post this node holds. Prints the new entry's id.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"

static const char usage[] =
	"usage: stoa feedback ID [--rating N] [--helpful] [COMMENT|-]";

static const char help[] =
	"usage: stoa feedback ID [--rating N] [--helpful] [COMMENT|-]\n"
	"\n"
	"Gives feedback on the post ID (a unique id prefix of 8 or more hex\n"
	"characters): a rating, a helpful mark, a comment, or any mix of them\n"
	"(at least one). COMMENT '-' reads it from stdin. Prints the new id.\n"
	"\n"
	"  --rating N   rate the post from 1 to 5\n"
	"  --helpful    mark the post as helpful\n";

int cmd_feedback(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rating", required_argument, NULL, 'r' },
		{ "helpful", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rating_arg = NULL;
	uint8_t target[ENTRY_ID_LEN], kind = 0;
	char *comment = NULL;
	uint64_t rating = 0;
	json_t *o = NULL;
	int ch, rc, helpful = 0;
	struct err e;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': rating_arg = optarg; break;
		case 'H': helpful = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind == argc)
		return cli_usage(usage, "missing ID");
	if (argc - optind > 2)
		return cli_usage(usage, "too many arguments (quote the "
				 "COMMENT)");
	if (!rating_arg && !helpful && argc - optind < 2)
		return cli_usage(usage, "give --rating, --helpful or a "
				 "COMMENT");

	err_clear(&e);
	if (rating_arg) {
		rc = cli_parse_num("--rating", rating_arg, PAYLOAD_RATING_MIN,
				   PAYLOAD_RATING_MAX, &rating, &e);
		if (rc < 0)
			return cli_finish(rc, &e, usage);
	}
	rc = 0;
	if (argc - optind == 2)
		rc = cli_read_text("comment", argv[optind + 1], &comment, &e);
	if (rc == 0)
		rc = cli_resolve_id(c, argv[optind], target, &kind, &e);
	if (rc == 0 && kind != ENTRY_KIND_POST)
		rc = err_set(&e, STOA_EINVAL, "'%s' is not a post (it is a %s)",
			     argv[optind], entry_kind_name(kind));
	if (rc == 0 && !(o = json_object()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_hex(o, "target", target, ENTRY_ID_LEN, &e);
	if (rc == 0 && rating_arg)
		rc = cli_set_int(o, "rating", rating, &e);
	if (rc == 0 && json_object_set_new(o, "helpful",
					   json_boolean(helpful)) < 0)
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0 && comment)
		rc = cli_set_str(o, "comment", comment, &e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_FEEDBACK, o, NULL, &e);
	json_decref(o);
	free(comment);
	return cli_finish(rc, &e, usage);
}
