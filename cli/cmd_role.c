/*
 * role: a facilitator gives a member a role (learner, mentor or
 * facilitator) with a role record (docs/governance.md). The record names
 * how much of the member's feed this node held ("seen": what a later
 * demotion of that member voids its records after) and every role record
 * about the member in force here ("replaces"), so the new role is the one
 * that counts rather than one head among several. Refused before anything
 * is written: a writer who is no facilitator, the founder (always a
 * facilitator), a removed member, a role the member already has.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gov_view.h"
#include "payload.h"
#include "store.h"

static const char usage[] =
	"usage: stoa role MEMBER learner|mentor|facilitator [--reason REASON]";

static const char help[] =
	"usage: stoa role MEMBER learner|mentor|facilitator [--reason REASON]\n"
	"\n"
	"Gives MEMBER (a display name, or a key prefix of 8 or more hex\n"
	"characters) a role, and prints the new record's id. Only a\n"
	"facilitator can. Every member but the founder starts as a learner;\n"
	"the founder is always a facilitator and cannot be given another\n"
	"role. A mentor has no moderation power (hide, unhide, remove and\n"
	"erasing others' entries are the facilitators'): that is the\n"
	"community's default policy. The new role replaces the ones the\n"
	"facilitators gave before it, as this node holds them.\n"
	"\n"
	"  --reason REASON   why, for the record (one line, at most 1024\n"
	"                    bytes)\n";

/* The role records about member that the new one replaces, as hex. */
static int set_replaces(struct cli *c, json_t *o,
			const uint8_t member[KEY_PUBLIC_LEN], struct err *e)
{
	uint8_t ids[PAYLOAD_REPLACES_MAX][ENTRY_ID_LEN];
	char hex[ENTRY_ID_HEX_LEN + 1];
	json_t *list;
	size_t n, i;
	int rc;

	rc = gov_view_role_records(c->home.store, member, ids,
				   PAYLOAD_REPLACES_MAX, &n, e);
	if (rc < 0)
		return rc;
	if (!(list = json_array()) || json_object_set_new(o, "replaces",
							  list) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		entry_id_hex(ids[i], hex);
		if (json_array_append_new(list, json_string(hex)) < 0)
			return err_set(e, STOA_ENOMEM, "out of memory");
	}
	return 0;
}

/* Every check, then the record {member, role, seen, replaces, reason?}. */
static int give_role(struct cli *c, const char *who, const char *role,
		     const char *reason, uint8_t member[KEY_PUBLIC_LEN],
		     struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN], head[ENTRY_ID_LEN];
	uint64_t seen;
	json_t *o;
	int rc, removed, now;

	if ((rc = cli_gov_need_facilitator(c, "give roles", e)) < 0 ||
	    (rc = cli_resolve_member(c, who, member, e)) < 0)
		return rc;
	if (store_founder(c->home.store, founder) &&
	    bytes_equal(founder, member, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EINVAL,
			       "the founder is always a facilitator");
	now = view_gov_role(c->home.store, member, &removed, e);
	if (now < 0)
		return now;
	if (removed)
		return err_set(e, STOA_EINVAL, "'%s' was removed from the "
			       "community", who);
	if (now == payload_role_rank(role))
		return err_set(e, STOA_EINVAL, "'%s' is already a %s", who,
			       role);
	if ((rc = store_head(c->home.store, member, &seen, head, e)) < 0)
		return rc;
	if (!(o = json_object()))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_hex(o, "member", member, KEY_PUBLIC_LEN, e);
	if (rc == 0)
		rc = cli_set_str(o, "role", role, e);
	if (rc == 0)
		rc = cli_set_int(o, "seen", seen, e);
	if (rc == 0)
		rc = set_replaces(c, o, member, e);
	if (rc == 0)
		rc = cli_gov_reason(o, reason, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_ROLE, o, NULL, e);
	json_decref(o);
	return rc;
}

int cmd_role(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL, *role;
	uint8_t member[KEY_PUBLIC_LEN];
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage(usage, argc - optind ? "missing the role"
				 : "missing MEMBER and the role");
	if (argc - optind > 2)
		return cli_unexpected(usage, argv[optind + 2]);
	role = argv[optind + 1];
	if (!payload_role_ok(role)) {
		char *clean = text_clean(role, 0);

		rc = cli_usage(usage, "unknown role '%s' (learner, mentor or "
			       "facilitator)", clean ? clean : "?");
		free(clean);
		return rc;
	}

	err_clear(&e);
	rc = give_role(c, argv[optind], role, reason, member, &e);
	if (rc == 0) {
		fputs("stoa: ", stderr);
		cli_gov_print_name(stderr, c, member);
		fprintf(stderr, " is now a %s\n", role);
	}
	return cli_finish(rc, &e, usage);
}
