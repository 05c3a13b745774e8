/*
 * invite: prints the community's invite code, the one line another person
 * gives to 'stoa init --join'. The code carries the community secret, so a
 * warning saying so goes to stderr every time (the code itself alone on
 * stdout, for scripts). A rotation of the secret the store holds but the
 * home has not moved to yet is adopted first (home_adopt rewrites the
 * community file), so the code is always the current epoch's.
 */
#include <stdlib.h>
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

/*
 * {"code":...,"community":...} on stdout. The code never enters a jansson
 * object: json_dumps would copy the secret to heap memory that is freed
 * unwiped. It is base64url after "stoa:", so it needs no escaping; only
 * the community name is JSON-encoded.
 */
static int print_code_json(const char *code, const char *community,
			   struct err *e)
{
	json_t *name = json_string(community);
	char *s = name ? json_dumps(name, JSON_ENCODE_ANY |
				    JSON_ENSURE_ASCII) : NULL;

	json_decref(name);
	if (!s)
		return err_set(e, STOA_ENOMEM, "cannot print the invite");
	printf("{\"code\":\"%s\",\"community\":%s}\n", code, s);
	free(s);
	if (ferror(stdout))
		return err_set(e, STOA_EIO, "cannot print the invite");
	return 0;
}

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
	/* a rotation held but not adopted yet (no daemon ran since): its
	 * code, if this member's key can open it now */
	if (home_adopt(&c->home, &e) < 0)
		err_clear(&e);
	invite_encode(&c->home.community, code);
	fputs("stoa: this code carries the community secret: share it only "
	      "with members\n", stderr);
	if (json)
		rc = print_code_json(code, c->home.community.name, &e);
	else
		printf("%s\n", code);
	bytes_wipe(code, sizeof(code));
	return cli_finish(rc, &e, usage);
}
