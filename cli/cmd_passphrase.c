/*
 * passphrase: seals the member's key file under a new passphrase (key
 * file v2), changes it, or with --remove turns it back into a plain key
 * file (v1). The current passphrase, if there is one, unlocks the key
 * first ($STOA_PASSPHRASE or the terminal); the new one comes from
 * $STOA_NEW_PASSPHRASE or is asked twice. The file is replaced
 * atomically: a crash leaves the old file or the new one, never neither.
 */
#include <string.h>

#include "cli.h"

static const char usage[] = "usage: stoa passphrase [--remove]";

static const char help[] =
	"usage: stoa passphrase [--remove]\n"
	"\n"
	"Protects your key file with a passphrase, or changes it: every\n"
	"command that writes an entry or connects to peers (post, reply,\n"
	"feedback, mentor, kudos, serve, sync) then asks for it; reading\n"
	"commands never do. The current passphrase is taken from\n"
	"$STOA_PASSPHRASE or asked on the terminal, the new one from\n"
	"$STOA_NEW_PASSPHRASE or asked twice. A forgotten passphrase cannot\n"
	"be recovered.\n"
	"\n"
	"  --remove   store the key without a passphrase again\n";

int cmd_passphrase(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "remove", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_pass pass;
	struct err e;
	int ch, rc, remove = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': remove = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);

	err_clear(&e);
	memset(&pass, 0, sizeof(pass));
	rc = cli_open(c, &e);
	if (rc == 0 && remove && !c->home.locked)
		rc = err_set(&e, STOA_EINVAL, "the key has no passphrase");
	if (rc == 0)
		rc = cli_unlock(c, &e);
	if (rc == 0 && !remove)
		rc = cli_read_pass(CLI_NEW_PASS_ENV, "new passphrase for your "
				   "key", 1, &pass, &e);
	if (rc == 0)
		rc = home_protect(&c->home, remove ? NULL : pass.s, pass.len,
				  &e);
	cli_pass_wipe(&pass);
	if (rc == 0)
		puts(remove ? "key no longer protected by a passphrase"
			    : "key protected by a passphrase");
	return cli_finish(rc, &e, usage);
}
