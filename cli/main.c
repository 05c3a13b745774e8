/*
 * main: the `stoa` command. It parses the global options (which come
 * before the command: --home, --as, --help, --version), looks the command up in
 * the one table below (git's and wg's style), runs it with its own argv,
 * closes the home it may have opened and turns a failed write to stdout
 * into exit 1. It owns `help`. It never prints a result itself and never
 * exits anywhere but at the end of main.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int cmd_help(struct cli *c, int argc, char **argv);

static const struct cmd cmds[] = {
	{ "init", cmd_init, CMD_HOME | CMD_NODE,
	  "create your node: key, profile and community (new or joined)" },
	{ "invite", cmd_invite, CMD_HOME,
	  "invite others: codes, QR codes, printable sheets, the list" },
	{ "whoami", cmd_whoami, CMD_HOME,
	  "show your name, role, key, community and home" },
	{ "post", cmd_post, CMD_HOME, "write a post" },
	{ "reply", cmd_reply, CMD_HOME, "reply to a post" },
	{ "feed", cmd_feed, CMD_HOME, "list posts, newest first" },
	{ "show", cmd_show, CMD_HOME,
	  "show a post with its replies and feedback" },
	{ "feedback", cmd_feedback, CMD_HOME,
	  "rate a post, mark it helpful or comment on it" },
	{ "mentor", cmd_mentor, CMD_HOME,
	  "offer, request, accept, log and close mentoring" },
	{ "kudos", cmd_kudos, CMD_HOME, "give another member a badge" },
	{ "members", cmd_members, CMD_HOME,
	  "list every member this node holds" },
	{ "search", cmd_search, CMD_HOME, "full-text search over posts" },
	{ "stats", cmd_stats, CMD_HOME,
	  "how the community is doing: participation, answers, mentoring" },
	{ "verify", cmd_verify, CMD_HOME,
	  "re-check every signature, link and payload hash" },
	{ "reindex", cmd_reindex, CMD_HOME,
	  "rebuild the view from the stored entries" },
	{ "serve", cmd_serve, CMD_HOME | CMD_NODE,
	  "run the node: find peers, replicate, pass local writes on" },
	{ "sync", cmd_sync, CMD_HOME | CMD_NODE,
	  "exchange entries with one peer once, both directions" },
	{ "frontier", cmd_frontier, CMD_HOME,
	  "what this node holds, as a file another site carries back" },
	{ "bundle", cmd_bundle, CMD_HOME,
	  "carry entries on a stick: create, info, apply, exchange" },
	{ "status", cmd_status, CMD_HOME,
	  "the daemon's peers and the local store's figures" },
	{ "peers", cmd_peers, CMD_HOME,
	  "the peers the running daemon sees, and how it found them" },
	{ "passphrase", cmd_passphrase, CMD_HOME,
	  "protect your key file with a passphrase, change or remove it" },
	{ "governance", cmd_governance, CMD_HOME,
	  "the community's governance history: roles, hides, erasures" },
	{ "role", cmd_role, CMD_HOME,
	  "give a member a role (facilitators)" },
	{ "hide", cmd_hide, CMD_HOME,
	  "hide an entry from the community's views (facilitators)" },
	{ "unhide", cmd_unhide, CMD_HOME,
	  "show a hidden entry again (facilitators)" },
	{ "erase", cmd_erase, CMD_HOME,
	  "delete an entry's text on every node (its author, facilitators)" },
	{ "report", cmd_report, CMD_HOME,
	  "report an entry to the facilitators" },
	{ "reports", cmd_reports, CMD_HOME,
	  "the reports and what was done (facilitators)" },
	{ "remove", cmd_remove, CMD_HOME,
	  "remove a member from the community (facilitators)" },
	{ "rotate", cmd_rotate, CMD_HOME,
	  "give the community a new secret (the founder)" },
	{ "member", cmd_member, CMD_HOME | CMD_NODE,
	  "the members whose keys this node holds: add, list, export, import" },
	{ "help", cmd_help, 0,
	  "list the commands, or show one command's usage" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char usage[] =
	"usage: stoa [--home DIR] [--as MEMBER] COMMAND [ARGS]";

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void list_cmds(FILE *f)
{
	size_t i;

	fprintf(f, "%s\n\n"
		"  --home DIR   the node's directory (default $STOA_HOME, else\n"
		"               $XDG_DATA_HOME/stoa, else ~/.local/share/stoa)\n"
		"  --as MEMBER  write and read as this member of the node (a\n"
		"               name or key prefix; default $STOA_AS, else the\n"
		"               node's own member)\n"
		"  --version    print the version\n"
		"  -h, --help   print this list\n\n"
		"commands:\n", usage);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\nRun 'stoa help COMMAND' for a command's options.\n", f);
}

static const char help_usage[] = "usage: stoa help [COMMAND]";

static int cmd_help(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd;
	char *sub[3];
	int ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			printf("%s\n\nLists the commands, or shows one command's "
			       "usage and options.\n", help_usage);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(ch, argv, opts, help_usage);
		}
	}
	if (argc - optind > 1)
		return cli_usage(help_usage, "too many arguments");
	if (argc - optind == 0) {
		list_cmds(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		char *clean = text_clean(argv[optind], 0);
		int rc = cli_usage(help_usage, "unknown command '%s'",
				   clean ? clean : "?");

		free(clean);
		return rc;
	}
	/* `stoa help X` is `stoa X --help`, as in git. */
	sub[0] = (char *)cmd->name;
	sub[1] = (char *)"--help";
	sub[2] = NULL;
	return cmd->fn(c, 2, sub);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "as", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd;
	struct cli c;
	struct err e;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	cli_getopt_reset();
	/* "+": stop at the command; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			/* An empty --home is a mistake (an unset variable),
			 * never a request for the default home. */
			if (!optarg[0])
				return cli_usage(usage,
						 "--home needs a directory");
			c.home_opt = optarg;
			break;
		case 'A':
			if (!optarg[0])
				return cli_usage(usage, "--as needs a member");
			c.as = optarg;
			break;
		case 'h':
			list_cmds(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("stoa %s\n", STOA_VERSION);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind >= argc) {
		fputs("stoa: no command given\n", stderr);
		list_cmds(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		char *clean = text_clean(argv[optind], 0);

		rc = cli_usage(usage, "unknown command '%s' (see 'stoa help')",
			       clean ? clean : "?");
		free(clean);
		return rc;
	}

	/* the node's own commands act as the node: --as is a mistake
	 * there, a $STOA_AS left in the shell is not */
	if ((cmd->flags & CMD_NODE) && c.as)
		return cli_usage(usage, "--as does not apply to '%s': it acts "
				 "as the node (its own member)", cmd->name);
	if (!(cmd->flags & CMD_NODE) && !c.as && getenv(CLI_AS_ENV) &&
	    getenv(CLI_AS_ENV)[0]) {
		c.as = getenv(CLI_AS_ENV);
		c.as_env = 1;
	}

	err_clear(&e);
	if ((cmd->flags & CMD_HOME) && key_lib_init() < 0)
		return cli_finish(err_set(&e, STOA_ECRYPTO, "cannot initialise "
					  "the crypto library"), &e, NULL);

	rc = cmd->fn(&c, argc - optind, argv + optind);

	if (c.opened)
		home_close(&c.home);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "stoa: cannot write output: %s\n",
			strerror(errno));
		if (rc == CLI_EXIT_OK)
			rc = CLI_EXIT_FAIL;
	}
	return rc;
}
