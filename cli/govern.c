/*
 * govern: what the commands that write governance records share (role,
 * hide, unhide, erase, report, remove: docs/governance.md): this node's
 * member's standing (its role, a refusal for a removed member or one
 * without the role a record needs), resolving the entry a record targets
 * (held, and not itself a governance record), the optional --reason, and
 * a member's name for the line that says what a record did. Every check
 * runs before anything is built, so a refused command writes nothing; the
 * store's rules (node/gov.c) judge the record again on every node, so
 * these checks are a courtesy to the user, never the authority.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "rotation.h"
#include "view.h"

int cli_gov_self(struct cli *c, int *role, struct err *e)
{
	int removed, rc;

	if ((rc = cli_open(c, e)) < 0)
		return rc;
	rc = view_gov_role(c->home.store, c->home.key.pk, &removed, e);
	if (rc < 0)
		return rc;
	if (removed)
		return err_set(e, STOA_EPERM, "you were removed from the "
			       "community: your new entries reach nobody");
	*role = rc;
	return 0;
}

int cli_gov_need_facilitator(struct cli *c, const char *what, struct err *e)
{
	int role = GOV_ROLE_LEARNER, rc;

	if ((rc = cli_gov_self(c, &role, e)) < 0)
		return rc;
	if (role != GOV_ROLE_FACILITATOR)
		return err_set(e, STOA_EPERM, "only a facilitator can %s (you "
			       "are a %s)", what, payload_role_name(role));
	return 0;
}

int cli_gov_target(struct cli *c, const char *arg, const char *what,
		   uint8_t id[ENTRY_ID_LEN], uint8_t *kind,
		   uint8_t author[KEY_PUBLIC_LEN], struct err *e)
{
	int rc;

	if ((rc = cli_resolve_id(c, arg, id, kind, e)) < 0)
		return rc;
	if (ENTRY_KIND_IS_GOV(*kind))
		return err_set(e, STOA_EINVAL, "'%s' is a governance record (a "
			       "%s): it cannot be %s", arg,
			       entry_kind_name(*kind), what);
	return store_entry_info(c->home.store, id, NULL, author, e);
}

int cli_gov_reason(json_t *o, const char *reason, struct err *e)
{
	int rc;

	if (!reason)
		return 0;
	if ((rc = cli_check_line("reason", reason, PAYLOAD_REASON_MAX, 0,
				 e)) < 0)
		return rc;
	return cli_set_str(o, "reason", reason, e);
}

int cli_gov_args(int argc, char **argv, const char *usage, const char *help,
		 const char *what, int need_reason, const char **arg,
		 const char **reason)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*reason = NULL;
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': *reason = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (!what) { /* no operand */
		if (optind < argc)
			return cli_unexpected(usage, argv[optind]);
	} else if (optind == argc) {
		return cli_usage(usage, "missing %s", what);
	} else if (argc - optind > 1) {
		return cli_unexpected(usage, argv[optind + 1]);
	}
	if (need_reason && !*reason)
		return cli_usage(usage, "--reason is required");
	*arg = what ? argv[optind] : NULL;
	return CLI_CONTINUE;
}

void cli_gov_print_name(FILE *f, struct cli *c,
			const uint8_t pk[KEY_PUBLIC_LEN])
{
	char name[PAYLOAD_NAME_MAX + 1] = "", hex[2 * KEY_PUBLIC_LEN + 1];

	if (view_member_name(c->home.store, pk, name, sizeof(name), NULL) < 0 ||
	    !name[0]) {
		hex_encode(hex, pk, KEY_PUBLIC_LEN);
		fprintf(f, "[%.8s]", hex);
		return;
	}
	print_text(f, name, 0, NULL);
}

int cli_gov_rotation(struct cli *c, const uint8_t except[KEY_PUBLIC_LEN],
		     const char *reason, json_t **out, uint32_t *epoch,
		     struct err *e)
{
	int rc;

	*out = NULL;
	if (reason && (rc = cli_check_line("reason", reason, PAYLOAD_REASON_MAX,
					   0, e)) < 0)
		return rc;
	return rotation_make(c->home.store, &c->home.community, except, reason,
			     out, epoch, e);
}
