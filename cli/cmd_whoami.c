/*
 * whoami: who this node speaks as: the member's name (from their current
 * profile in the view), their role as the community's governance resolved
 * it (and whether they were removed), public key, community, home
 * directory and the number of entries in their feed ("you": the member
 * --as or $STOA_AS names, else the node's own); with --all, every member
 * whose key this node holds (cli_local_members). Read-only.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "store.h"
#include "view.h"

static const char usage[] = "usage: stoa whoami [--all] [--json]";

static const char help[] =
	"usage: stoa whoami [--all] [--json]\n"
	"\n"
	"Shows your display name and role, public key, community, home\n"
	"directory and how many entries your feed holds; \"(passphrase)\"\n"
	"after the key when the key file is protected by one. The role is the\n"
	"one the community's facilitators gave you (learner until one does;\n"
	"the founder is always a facilitator); \"removed after seq N\" if they\n"
	"removed you. The community's epoch counts the rotations of its\n"
	"secret this node moved to (the founder rotates it after a removal).\n"
	"\"You\" is the member --as or $STOA_AS names, else the node's own.\n"
	"\n"
	"  --all    list every member whose key this node holds (as 'stoa\n"
	"           member list'): '*' marks the one acting, \"node\" the\n"
	"           node's own member; with --json one object each:\n"
	"           {\"type\":\"member\",\"key\",\"name\",\"role\",\"seq\",\n"
	"           \"primary\",\"passphrase\",\"acting\",\"removed\"}\n"
	"  --json   print {\"key\",\"name\",\"role\",\"community\",\"epoch\",\n"
	"           \"home\",\"seq\",\"passphrase\"}, and \"removed\":true and\n"
	"           \"cut\" if removed\n";

struct me {
	const char *key;  /* my key hex */
	json_t *row;      /* my member row, owned */
};

static int find_me(json_t *row, void *arg)
{
	struct me *m = arg;

	if (strcmp(row_str(row, "key", ""), m->key) != 0)
		return 0;
	m->row = json_incref(row);
	return 1;
}

int cmd_whoami(struct cli *c, int argc, char **argv)
{
	char key[2 * KEY_PUBLIC_LEN + 1];
	uint8_t head[ENTRY_ID_LEN];
	const char *name, *role;
	struct me me = { key, NULL };
	int rc, json = 0, removed = 0;
	json_int_t cut = 0;
	uint64_t seq = 0;
	struct err e;

	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, all = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = 1; break;
		case 'j': json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);

	err_clear(&e);
	if (all)
		return cli_finish(cli_local_members(c, json, &e), &e, usage);
	rc = cli_open(c, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	hex_encode(key, c->home.key.pk, KEY_PUBLIC_LEN);
	rc = store_head(c->home.store, c->home.key.pk, &seq, head, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	rc = view_member(c->home.store, c->home.key.pk, find_me, &me, &e);
	if (rc < 0)
		goto out;
	rc = view_gov_role(c->home.store, c->home.key.pk, &removed, &e);
	if (rc < 0)
		goto out;
	role = payload_role_name(rc);
	rc = 0;
	name = row_str(me.row, "name", "");
	/* a member removed with nothing kept has no feed, so no row: 0 */
	cut = row_int(me.row, "cut", 0);

	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:b}",
				      "key", key, "name", name, "role", role,
				      "community", c->home.community.name,
				      "epoch",
				      (json_int_t)c->home.community.epoch,
				      "home", c->dir, "seq", (json_int_t)seq,
				      "passphrase", c->home.locked);

		if (o && removed &&
		    (json_object_set_new(o, "removed", json_true()) < 0 ||
		     json_object_set_new(o, "cut", json_integer(cut)) < 0)) {
			json_decref(o);
			o = NULL;
		}
		rc = o ? print_json(stdout, o) : STOA_ENOMEM;
		json_decref(o);
		if (rc < 0)
			err_set(&e, rc, "cannot print the result");
		goto out;
	}
	print_text(stdout, name[0] ? name : "(no profile yet)", 0, NULL);
	printf(" (%s", role);
	if (removed)
		printf(", removed after seq %" JSON_INTEGER_FORMAT, cut);
	fputc(')', stdout);
	printf("\nkey        %s%s\ncommunity  ", key,
	       c->home.locked ? " (passphrase)" : "");
	print_text(stdout, c->home.community.name, 0, NULL);
	if (c->home.community.epoch)
		printf(" (epoch %" PRIu32 ")", c->home.community.epoch);
	fputs("\nhome       ", stdout);
	print_text(stdout, c->dir, 0, NULL);
	printf("\nentries    %" PRIu64 "\n", seq);
out:
	json_decref(me.row);
	return cli_finish(rc, &e, usage);
}
