/*
 * hide and unhide: a facilitator hides an entry from the community's
 * views, or shows it again, with a hide or unhide record
 * (docs/governance.md). A hidden entry stays stored and relayed; every
 * node that holds the record leaves it out of its feed, search, threads
 * and counts. Only facilitators can: mentors cannot, which is the
 * community's default policy. Refused before anything is written: a
 * writer who is no facilitator, an entry not held, a governance record,
 * hiding what is hidden, unhiding what is not.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gov_view.h"

static const char hide_usage[] = "usage: stoa hide ID [--reason REASON]";

static const char hide_help[] =
	"usage: stoa hide ID [--reason REASON]\n"
	"\n"
	"Hides the entry ID (a unique id prefix of 8 or more hex characters)\n"
	"from the community's feed, search and threads, and prints the new\n"
	"record's id. The entry stays stored and passed on; 'stoa unhide'\n"
	"shows it again. Only a facilitator can: mentors cannot (the\n"
	"community's default policy). Governance records cannot be hidden.\n"
	"\n"
	"  --reason REASON   why, for the record (one line, at most 1024\n"
	"                    bytes)\n";

static const char unhide_usage[] = "usage: stoa unhide ID [--reason REASON]";

static const char unhide_help[] =
	"usage: stoa unhide ID [--reason REASON]\n"
	"\n"
	"Shows again the entry ID (a unique id prefix of 8 or more hex\n"
	"characters) that a facilitator hid, and prints the new record's id.\n"
	"Only a facilitator can: mentors cannot (the community's default\n"
	"policy).\n"
	"\n"
	"  --reason REASON   why, for the record (one line, at most 1024\n"
	"                    bytes)\n";

/* Every check, then the record {target, reason?} of kind (hide or
 * unhide). */
static int write_mark(struct cli *c, uint8_t kind, const char *arg,
		      const char *reason, uint8_t id[ENTRY_ID_LEN],
		      struct err *e)
{
	uint8_t author[KEY_PUBLIC_LEN], tkind = 0;
	int hide = kind == ENTRY_KIND_HIDE, hidden, erased, rc;
	json_t *o;

	if ((rc = cli_gov_target(c, arg, hide ? "hidden" : "unhidden", id,
				 &tkind, author, e)) < 0 ||
	    (rc = cli_gov_need_facilitator(c, hide ? "hide entries"
					   : "unhide entries", e)) < 0 ||
	    (rc = gov_view_target(c->home.store, id, &hidden, &erased, e)) < 0)
		return rc;
	if (hide && hidden)
		return err_set(e, STOA_EINVAL, "'%s' is already hidden", arg);
	if (!hide && !hidden)
		return err_set(e, STOA_EINVAL, "'%s' is not hidden", arg);
	if (!(o = json_object()))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_hex(o, "target", id, ENTRY_ID_LEN, e);
	if (rc == 0)
		rc = cli_gov_reason(o, reason, e);
	if (rc == 0)
		rc = cli_append(c, kind, o, NULL, e);
	json_decref(o);
	return rc;
}

static int run(struct cli *c, int argc, char **argv, uint8_t kind,
	       const char *usage, const char *help)
{
	const char *arg, *reason;
	uint8_t id[ENTRY_ID_LEN];
	char hex[ENTRY_ID_HEX_LEN + 1];
	struct err e;
	int rc;

	rc = cli_gov_args(argc, argv, usage, help, "ID", 0, &arg, &reason);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = write_mark(c, kind, arg, reason, id, &e);
	if (rc == 0) {
		entry_id_hex(id, hex);
		fprintf(stderr, "stoa: %.8s is %s\n", hex,
			kind == ENTRY_KIND_HIDE ? "hidden"
			: "no longer hidden");
	}
	return cli_finish(rc, &e, usage);
}

int cmd_hide(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, ENTRY_KIND_HIDE, hide_usage, hide_help);
}

int cmd_unhide(struct cli *c, int argc, char **argv)
{
	return run(c, argc, argv, ENTRY_KIND_UNHIDE, unhide_usage,
		   unhide_help);
}
