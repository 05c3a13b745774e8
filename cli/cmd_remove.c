/*
 * remove: a facilitator removes a member from the community with a remove
 * record (docs/governance.md). The record keeps the member's entries up
 * to the last one this node holds ("seq", the cut-off); every node that
 * gets it drops the member's later entries, refuses new ones and no
 * longer connects to the member's node. Refused before anything is
 * written: a writer who is no facilitator, the founder, oneself, an
 * unknown member, a member already removed, no reason given.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "view.h"

static const char usage[] = "usage: stoa remove MEMBER --reason REASON";

static const char help[] =
	"usage: stoa remove MEMBER --reason REASON\n"
	"\n"
	"Removes MEMBER (a display name, or a key prefix of 8 or more hex\n"
	"characters) from the community, and prints the new record's id.\n"
	"Only a facilitator can, and the founder cannot be removed, nor can\n"
	"you remove yourself. MEMBER's entries this node holds stay; every\n"
	"node the record reaches drops MEMBER's later entries, takes no new\n"
	"ones and stops connecting to MEMBER's node. It cannot be undone.\n"
	"\n"
	"  --reason REASON   why (required; one line, at most 1024 bytes)\n";

/* Every check, then the record {member, seq, reason}; *seq the cut-off. */
static int write_remove(struct cli *c, const char *who, const char *reason,
			uint8_t member[KEY_PUBLIC_LEN], uint64_t *seq,
			struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN], head[ENTRY_ID_LEN];
	int removed, rc;
	json_t *o;

	if ((rc = cli_gov_need_facilitator(c, "remove members", e)) < 0 ||
	    (rc = cli_resolve_member(c, who, member, e)) < 0)
		return rc;
	if (store_founder(c->home.store, founder) &&
	    bytes_equal(founder, member, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EINVAL, "the founder cannot be removed");
	if (bytes_equal(member, c->home.key.pk, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EINVAL, "you cannot remove yourself");
	if ((rc = view_gov_role(c->home.store, member, &removed, e)) < 0)
		return rc;
	if (removed)
		return err_set(e, STOA_EINVAL, "'%s' is already removed", who);
	if ((rc = store_head(c->home.store, member, seq, head, e)) < 0)
		return rc;
	if (!(o = json_object()))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_hex(o, "member", member, KEY_PUBLIC_LEN, e);
	if (rc == 0)
		rc = cli_set_int(o, "seq", *seq, e);
	if (rc == 0)
		rc = cli_gov_reason(o, reason, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_REMOVE, o, NULL, e);
	json_decref(o);
	return rc;
}

int cmd_remove(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	uint8_t member[KEY_PUBLIC_LEN];
	uint64_t seq = 0;
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
	if (optind == argc)
		return cli_usage(usage, "missing MEMBER");
	if (argc - optind > 1)
		return cli_unexpected(usage, argv[optind + 1]);
	if (!reason)
		return cli_usage(usage, "--reason is required");

	err_clear(&e);
	rc = write_remove(c, argv[optind], reason, member, &seq, &e);
	if (rc == 0) {
		fputs("stoa: ", stderr);
		cli_gov_print_name(stderr, c, member);
		fprintf(stderr, " is removed: entries up to seq %" PRIu64
			" stay; every node the record reaches drops the later "
			"ones\n", seq);
	}
	return cli_finish(rc, &e, usage);
}
