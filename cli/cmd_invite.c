/*
 * invite: prints the community's invite code, the one line another person
 * gives to 'stoa init --join'. The code carries the community secret, so a
 * warning saying so goes to stderr every time (the code itself alone on
 * stdout, for scripts). It reads the home only; it never writes.
 */
#include <string.h>

#include "cli.h"
#include "community.h"

static const char usage[] = "usage: stoa invite [--json]";

static const char help[] =
	"usage: stoa invite [--json]\n"
	"\n"
	"Prints the invite code of your community (one line, stoa:...). Anyone\n"
	"holding it can join and read everything: share it only with members.\n"
	"\n"
	"  --json   print {\"code\",\"community\"}\n";

int cmd_invite(struct cli *c, int argc, char **argv)
{
	char code[INVITE_MAX];
	int rc, json = 0;
	struct err e;

	rc = cli_parse_json_only(argc, argv, usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	invite_encode(&c->home.community, code);
	fputs("stoa: this code carries the community secret: share it only "
	      "with members\n", stderr);
	if (json) {
		json_t *o = json_pack("{s:s, s:s}", "code", code, "community",
				      c->home.community.name);

		rc = o ? print_json(stdout, o) : STOA_ENOMEM;
		json_decref(o);
		if (rc < 0)
			err_set(&e, rc, "cannot print the invite");
	} else {
		printf("%s\n", code);
	}
	bytes_wipe(code, sizeof(code));
	return cli_finish(rc, &e, usage);
}
