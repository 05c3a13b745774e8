/*
 * rotate: the founder gives the community a new secret without removing
 * anyone (an invite code that leaked beyond the class, a laptop that may
 * have been copied): a rotation record sealed to every member who
 * remains (rotation.h), which their nodes adopt when it reaches them.
 * This node moves to it at once, so `stoa invite` prints the new code.
 * The founder is the one writer of rotations (docs/governance.md): its
 * `stoa remove` writes one with every removal, and its daemon one when
 * another facilitator's removal calls for it.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] = "usage: stoa rotate [--reason REASON]";

static const char help[] =
	"usage: stoa rotate [--reason REASON]\n"
	"\n"
	"Gives the community a new secret (its next epoch), sealed to every\n"
	"member this node knows who was not removed, and prints the record's\n"
	"id. Only the community's founder can. Each member's node moves to\n"
	"the new secret when the record reaches it; a node that has not got\n"
	"it yet is reached by the others with the old keys, for that only.\n"
	"The old invite code lets no one into a node that moved: `stoa\n"
	"invite` prints the new one. A removal rotates the secret by itself;\n"
	"use this when an invite code was seen by someone who should not\n"
	"have it.\n"
	"\n"
	"  --reason REASON   why, for the record (one line, at most 1024\n"
	"                    bytes)\n";

static int need_founder(struct cli *c, struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	int role, rc;

	if ((rc = cli_gov_self(c, &role, e)) < 0)
		return rc;
	if (!store_founder(c->home.store, founder) ||
	    !bytes_equal(founder, c->home.key.pk, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EPERM, "only the community's founder can "
			       "rotate its secret");
	return 0;
}

int cmd_rotate(struct cli *c, int argc, char **argv)
{
	const char *arg, *reason;
	json_t *rot = NULL;
	uint32_t epoch = 0;
	struct err e;
	int rc;

	rc = cli_gov_args(argc, argv, usage, help, NULL, 0, &arg, &reason);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	if ((rc = need_founder(c, &e)) < 0 ||
	    (rc = cli_gov_rotation(c, NULL, reason, &rot, &epoch, &e)) < 0 ||
	    (rc = cli_append(c, ENTRY_KIND_EPOCH, rot, NULL, &e)) < 0)
		goto out;
	if ((rc = home_adopt(&c->home, &e)) == 1)
		rc = 0;
	if (rc == 0)
		fprintf(stderr, "stoa: the community secret is now epoch %"
			PRIu32 ": each member's node moves to it when the "
			"record reaches it; `stoa invite` prints the new code\n",
			epoch);
out:
	json_decref(rot);
	return cli_finish(rc, &e, usage);
}
