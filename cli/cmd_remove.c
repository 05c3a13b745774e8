/*
 * remove: a facilitator removes a member from the community with a remove
 * record (docs/governance.md). The record keeps the member's entries up
 * to the last one this node holds ("seq", the cut-off); every node that
 * gets it drops the member's later entries, refuses new ones and no
 * longer connects to the member's node. The founder's removal comes with
 * a rotation record in the same transaction, a new secret sealed to every
 * member who remains (cli_gov_rotation); this node moves to it at once
 * (home_adopt), so `stoa invite` prints the new epoch's code. Another
 * facilitator's removal leaves the rotation to the founder's node
 * (node/epoch.c), the one writer of rotations. Refused
 * before anything is written: a writer who is no facilitator, the
 * founder, oneself, an unknown member, a member already removed, no
 * reason given, more members left than a rotation can be sealed to.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "home.h"
#include "store.h"
#include "view.h"

static const char usage[] = "usage: stoa remove MEMBER --reason REASON";

static const char help[] =
	"usage: stoa remove MEMBER --reason REASON\n"
	"\n"
	"Removes MEMBER (a display name, or a key prefix of 8 or more hex\n"
	"characters) from the community, and prints the id of the removal\n"
	"(the founder's: and of the rotation with it). Only a facilitator\n"
	"can, and the founder cannot be removed, nor can you remove\n"
	"yourself.\n"
	"MEMBER's entries this node holds stay; every node the record\n"
	"reaches drops MEMBER's later entries, takes no new ones and stops\n"
	"connecting to MEMBER's node. The community secret is rotated: a\n"
	"new one, sealed to every other member, which their nodes adopt\n"
	"when they receive it; the old invite code lets no one into a node\n"
	"that moved (`stoa invite` prints the new one). The founder's node\n"
	"writes the rotation: with the removal when the founder removes,\n"
	"else when the removal reaches it. It cannot be undone.\n"
	"\n"
	"  --reason REASON   why (required; one line, at most 1024 bytes)\n";

/* Every check, then the record {member, seq, reason} into *out; *seq
 * the cut-off. */
static int build_remove(struct cli *c, const char *who, const char *reason,
			uint8_t member[KEY_PUBLIC_LEN], uint64_t *seq,
			json_t **out, struct err *e)
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
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* The removal and, by the founder, its rotation, in one transaction;
 * then this node moves to the new epoch (*epoch 0: no rotation, the
 * founder's node writes it when the removal reaches it). */
static int write_remove(struct cli *c, const char *who, const char *reason,
			uint8_t member[KEY_PUBLIC_LEN], uint64_t *seq,
			uint32_t *epoch, struct err *e)
{
	uint8_t founder[KEY_PUBLIC_LEN];
	json_t *rm = NULL, *rot = NULL;
	int rc;

	*epoch = 0;
	if ((rc = build_remove(c, who, reason, member, seq, &rm, e)) < 0)
		goto out;
	if (store_founder(c->home.store, founder) &&
	    bytes_equal(founder, c->home.key.pk, KEY_PUBLIC_LEN) &&
	    (rc = cli_gov_rotation(c, member, reason, &rot, epoch, e)) < 0)
		goto out;
	if ((rc = cli_unlock(c, e)) < 0 ||
	    (rc = store_begin(c->home.store, e)) < 0)
		goto out;
	rc = cli_append(c, ENTRY_KIND_REMOVE, rm, NULL, e);
	if (rc == 0 && rot)
		rc = cli_append(c, ENTRY_KIND_EPOCH, rot, NULL, e);
	if (rc == 0)
		rc = store_commit(c->home.store, e);
	else
		store_rollback(c->home.store);
	if (rc == 0 && (rc = home_adopt(&c->home, e)) == 1)
		rc = 0;
	if (rc == 0)
		cli_nudge(c);
out:
	json_decref(rm);
	json_decref(rot);
	return rc;
}

int cmd_remove(struct cli *c, int argc, char **argv)
{
	const char *arg, *reason;
	uint8_t member[KEY_PUBLIC_LEN];
	uint64_t seq = 0;
	uint32_t epoch = 0;
	struct err e;
	int rc;

	rc = cli_gov_args(argc, argv, usage, help, "MEMBER", 1, &arg, &reason);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = write_remove(c, arg, reason, member, &seq, &epoch, &e);
	if (rc == 0) {
		fputs("stoa: ", stderr);
		cli_gov_print_name(stderr, c, member);
		fprintf(stderr, " is removed: entries up to seq %" PRIu64
			" stay; every node the record reaches drops the later "
			"ones\n", seq);
		if (epoch)
			fprintf(stderr, "stoa: the community secret is now "
				"epoch %" PRIu32 ": the old invite code lets no "
				"one into a node that holds it; `stoa invite` "
				"prints the new one\n", epoch);
		else
			fprintf(stderr, "stoa: the founder's node gives the "
				"community a new secret when this record "
				"reaches it\n");
	}
	return cli_finish(rc, &e, usage);
}
