/*
 * erase: the author of an entry, or a facilitator, has its text deleted
 * everywhere with an erase record (docs/governance.md). Every node that
 * gets the record deletes the entry's payload (its view rows and search
 * words go too, and the freed bytes are zeroed); the entry's 186 signed
 * bytes stay, so its feed still verifies. Refused before anything is
 * written: a writer who is neither, an entry not held, a governance
 * record (the history of decisions stays), an entry already erased.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gov_view.h"

static const char usage[] = "usage: stoa erase ID [--reason REASON]";

static const char help[] =
	"usage: stoa erase ID [--reason REASON]\n"
	"\n"
	"Erases the entry ID (a unique id prefix of 8 or more hex characters)\n"
	"and prints the new record's id. Every node that gets the record\n"
	"deletes the entry's text (a post's words leave its search index\n"
	"too); the entry's signed header stays, so its author's feed still\n"
	"verifies. A copy made before (a backup, a node that never syncs\n"
	"again) is out of reach. Its author can erase an entry, and so can a\n"
	"facilitator. Governance records cannot be erased. This cannot be\n"
	"undone.\n"
	"\n"
	"  --reason REASON   why, for the record (one line, at most 1024\n"
	"                    bytes)\n";

/* Every check, then the record {target, reason?}. */
static int write_erase(struct cli *c, const char *arg, const char *reason,
		       uint8_t id[ENTRY_ID_LEN], struct err *e)
{
	uint8_t author[KEY_PUBLIC_LEN], kind = 0;
	int hidden, erased, role = GOV_ROLE_LEARNER, rc;
	json_t *o;

	if ((rc = cli_gov_target(c, arg, "erased", id, &kind, author, e)) < 0 ||
	    (rc = cli_gov_self(c, &role, e)) < 0 ||
	    (rc = gov_view_target(c->home.store, id, &hidden, &erased, e)) < 0)
		return rc;
	if (!bytes_equal(author, c->home.key.pk, KEY_PUBLIC_LEN) &&
	    role != GOV_ROLE_FACILITATOR)
		return err_set(e, STOA_EPERM, "only its author or a "
			       "facilitator can erase an entry");
	if (erased)
		return err_set(e, STOA_EINVAL, "'%s' is already erased", arg);
	if (!(o = json_object()))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_hex(o, "target", id, ENTRY_ID_LEN, e);
	if (rc == 0)
		rc = cli_gov_reason(o, reason, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_ERASE, o, NULL, e);
	json_decref(o);
	return rc;
}

int cmd_erase(struct cli *c, int argc, char **argv)
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
	rc = write_erase(c, arg, reason, id, &e);
	if (rc == 0) {
		entry_id_hex(id, hex);
		fprintf(stderr, "stoa: erased %.8s: every node that gets this "
			"record deletes its text; the signed header stays\n",
			hex);
	}
	return cli_finish(rc, &e, usage);
}
