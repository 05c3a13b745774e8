/*
 * init: creates a node's home: a new member key, the community (a new one
 * with --community, or the one an invite code carries with --join) and the
 * member's first profile entry. It refuses a home that already holds a key
 * and never overwrites one. With --passphrase the key file is sealed
 * under a passphrase (key file v2) read from $STOA_PASSPHRASE or asked
 * twice on the terminal. Everything is checked before anything is
 * written; home_create leaves nothing but the directory behind on failure.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "community.h"
#include "invite.h"
#include "payload.h"

static const char usage[] =
	"usage: stoa init --name NAME (--community NAME | --join CODE) "
	"[--passphrase]";

static const char help[] =
	"usage: stoa init --name NAME (--community NAME | --join CODE) "
	"[--passphrase]\n"
	"\n"
	"Creates your node in the home directory: a new key, your profile and\n"
	"the community. Start a new community with --community: you are its\n"
	"founder and first facilitator. Or join one with the invite code a\n"
	"member gave you ('stoa invite'): you join as a learner, and the\n"
	"community's facilitators give roles ('stoa role'); a facilitator's\n"
	"mentor invite makes you a mentor once its node sees you join.\n"
	"\n"
	"  --name NAME        your display name (1 to 64 bytes, one line)\n"
	"  --community NAME   start a new community called NAME\n"
	"  --join CODE        join the community of an invite code: stoa:...,\n"
	"                     or the typed form of an invite (groups of five\n"
	"                     letters and digits, in either case)\n"
	"  --passphrase       protect your key file with a passphrase, taken\n"
	"                     from $STOA_PASSPHRASE or asked twice; commands\n"
	"                     that write or connect will ask for it\n";

/* What a v3 invite promises: its id on stdout, the role on stderr. */
static void say_invite(const struct invite *iv)
{
	char id[2 * INVITE_ID_LEN + 1], by[2 * KEY_PUBLIC_LEN + 1];

	hex_encode(id, iv->id, INVITE_ID_LEN);
	printf("invite %s\n", id);
	if (iv->role == INVITE_ROLE_LEARNER)
		return;
	/* the issuer's node gives the role (docs/governance.md, "How the
	 * role is given"), no other facilitator's */
	if (iv->is_signed) {
		hex_encode(by, iv->issuer, KEY_PUBLIC_LEN);
		fprintf(stderr, "stoa: this invite, made by %.8s%s, makes you a "
			"%s once %.8s's node gets your join (after a sync); "
			"until then you are a learner\n", by,
			bytes_equal(iv->issuer, iv->c.founder, KEY_PUBLIC_LEN)
			? " (the founder)" : "", invite_role_name(iv->role), by);
	} else {
		fprintf(stderr, "stoa: this invite makes you a %s once the node "
			"of the facilitator who made it gets your join (after a "
			"sync); until then you are a learner\n",
			invite_role_name(iv->role));
	}
}

int cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "role", required_argument, NULL, 'r' },
		{ "community", required_argument, NULL, 'c' },
		{ "join", required_argument, NULL, 'j' },
		{ "passphrase", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *cname = NULL, *code = NULL;
	char path[HOME_PATH_MAX], pk[2 * KEY_PUBLIC_LEN + 1];
	struct community com;
	struct invite iv;
	struct cli_pass pass;
	struct err e;
	int ch, rc, protect = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'r':
			return cli_usage(usage, "--role is gone: the founder is "
					 "a facilitator, others join as learners, "
					 "and facilitators give roles with 'stoa "
					 "role'");
		case 'c': cname = optarg; break;
		case 'j': code = optarg; break;
		case 'p': protect = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	/* a typed invite copied with spaces: the shell cut it in words */
	if (optind < argc && code && strncmp(code, INVITE_PREFIX,
					     strlen(INVITE_PREFIX)) != 0 &&
	    strlen(argv[optind]) <= INVITE_GROUP_LEN &&
	    strspn(argv[optind], "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "abcdefghijklmnopqrstuvwxyz") == strlen(argv[optind]))
		return cli_usage(usage, "unexpected argument after --join: an "
				 "invite typed with spaces goes in quotes "
				 "(--join '%.5s %.5s ...')", code,
				 argv[optind]);
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);
	if (!name)
		return cli_usage(usage, "--name is required");
	if (!cname == !code)
		return cli_usage(usage,
				 "give exactly one of --community and --join");

	err_clear(&e);
	memset(&com, 0, sizeof(com));
	memset(&iv, 0, sizeof(iv));
	memset(&pass, 0, sizeof(pass));
	rc = cli_check_line("name", name, PAYLOAD_NAME_MAX, 0, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	if (cname) {
		rc = community_name_check(cname, &e);
		if (rc < 0)
			return cli_finish(rc, &e, usage);
	} else {
		rc = invite_read(code, &iv, &e);
		if (rc == 0 && iv.version == INVITE_V3 && iv.expires &&
		    clock_wall_ms() > iv.expires) {
			char when[32], now[32];

			/* the clock is said: a wrong one is the other cause */
			cli_format_utc(iv.expires, when);
			cli_format_utc(clock_wall_ms(), now);
			rc = err_set(&e, STOA_EINVAL, "this invite expired on "
				     "%s (this computer's clock says %s): ask "
				     "a facilitator for a new one", when, now);
		}
		if (rc < 0) {
			invite_wipe(&iv);
			return cli_finish(rc, &e, usage);
		}
		com = iv.c;
	}

	rc = home_resolve(c->home_opt, c->dir, &e);
	if (rc < 0)
		goto out;
	rc = home_path(c->dir, HOME_KEY_FILE, path, &e);
	if (rc < 0)
		goto out;
	if (access(path, F_OK) == 0) {
		rc = err_set(&e, STOA_EEXIST,
			     "'%s' already holds a node (key file exists)",
			     c->dir);
		goto out;
	}
	if (protect) {
		rc = cli_read_pass(CLI_PASS_ENV, "new passphrase for your key",
				   1, &pass, &e);
		if (rc < 0)
			goto out;
	}
	if (cname) {
		rc = community_create(&com, cname, &e);
		if (rc < 0)
			goto out;
	}
	memset(&c->home, 0, sizeof(c->home));
	rc = home_create_invited(&c->home, c->dir, &com, cname != NULL, name,
				 iv.version == INVITE_V3 ? iv.id : NULL,
				 protect ? pass.s : NULL, pass.len, &e);
	if (rc < 0)
		goto out;
	c->opened = 1;

	hex_encode(pk, c->home.key.pk, KEY_PUBLIC_LEN);
	/* The path is the user's, but may hold a newline or an escape. */
	fputs("initialised ", stdout);
	print_text(stdout, c->dir, 0, NULL);
	fputs("\nmember ", stdout);
	print_text(stdout, name, 0, NULL);
	printf(" %s\ncommunity ", pk);
	print_text(stdout, c->home.community.name, 0, NULL);
	putchar('\n');
	if (protect)
		puts("key protected by a passphrase");
	if (iv.version == INVITE_V3)
		say_invite(&iv);
out:
	cli_pass_wipe(&pass);
	community_wipe(&com);
	invite_wipe(&iv);
	return cli_finish(rc, &e, usage);
}
