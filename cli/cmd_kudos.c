/*
 * kudos: gives another member a badge (a short word such as "helper") with
 * an optional reason. The member is named by display name or key prefix;
 * giving kudos to yourself is refused. Prints the new entry's id.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"

static const char usage[] =
	"usage: stoa kudos MEMBER --badge BADGE [REASON|-]";

static const char help[] =
	"usage: stoa kudos MEMBER --badge BADGE [REASON|-]\n"
	"\n"
	"Gives MEMBER (a display name, or a key prefix of 8 or more hex\n"
	"characters) a badge, with an optional reason ('-' reads it from\n"
	"stdin). You cannot give kudos to yourself. Prints the new id.\n"
	"\n"
	"  --badge BADGE   the badge (one line, at most 32 bytes)\n";

int cmd_kudos(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "badge", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *badge = NULL;
	uint8_t to[KEY_PUBLIC_LEN];
	char *reason = NULL;
	json_t *o = NULL;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': badge = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind == argc)
		return cli_usage(usage, "missing MEMBER");
	if (argc - optind > 2)
		return cli_usage(usage,
				 "too many arguments (quote the REASON)");
	if (!badge)
		return cli_usage(usage, "--badge is required");

	err_clear(&e);
	rc = cli_check_line("badge", badge, PAYLOAD_BADGE_MAX, 0, &e);
	if (rc == 0 && argc - optind == 2)
		rc = cli_read_text("reason", argv[optind + 1], &reason, &e);
	if (rc == 0)
		rc = cli_resolve_member(c, argv[optind], to, &e);
	if (rc == 0 && bytes_equal(to, c->home.key.pk, KEY_PUBLIC_LEN))
		rc = err_set(&e, STOA_EINVAL,
			     "you cannot give kudos to yourself");
	if (rc == 0 && !(o = json_object()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = cli_set_hex(o, "to", to, KEY_PUBLIC_LEN, &e);
	if (rc == 0)
		rc = cli_set_str(o, "badge", badge, &e);
	if (rc == 0 && reason)
		rc = cli_set_str(o, "reason", reason, &e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_KUDOS, o, NULL, &e);
	json_decref(o);
	free(reason);
	return cli_finish(rc, &e, usage);
}
