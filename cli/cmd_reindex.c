/*
 * reindex: drops the materialized view and rebuilds it from the stored
 * entries (store_reindex), then prints the view digest. The view is a pure
 * function of the entries, so the digest is the same before and after:
 * a different one means the view had drifted and is now repaired.
 */
#include <inttypes.h>

#include "cli.h"
#include "store.h"

static const char usage[] = "usage: stoa reindex [--json]";

static const char help[] =
	"usage: stoa reindex [--json]\n"
	"\n"
	"Rebuilds the view (members, posts, search index, feedback, mentoring,\n"
	"kudos) from the stored entries. Prints 'reindexed N entries' and\n"
	"'view <digest>' (BLAKE2b of the canonical view dump; 'stoa verify'\n"
	"prints the same digest).\n"
	"\n"
	"  --json   print {\"type\":\"reindex\",\"entries\",\"view\"}\n";

int cmd_reindex(struct cli *c, int argc, char **argv)
{
	char hex[2 * HASH_LEN + 1];
	uint8_t digest[HASH_LEN];
	uint64_t entries = 0;
	int rc, json = 0;
	struct err e;

	rc = cli_parse_json_only(argc, argv, usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = store_reindex(c->home.store, &entries, &e);
	if (rc == 0)
		rc = store_dump_view(c->home.store, NULL, digest, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	hex_encode(hex, digest, HASH_LEN);
	if (json) {
		json_t *row = json_pack("{s:s, s:I, s:s}", "type", "reindex",
					"entries", (json_int_t)entries,
					"view", hex);

		rc = row ? print_json(stdout, row) : STOA_ENOMEM;
		json_decref(row);
		if (rc < 0)
			err_set(&e, rc, "cannot write the result");
	} else {
		printf("reindexed %" PRIu64 " entries\nview %s\n", entries,
		       hex);
	}
	return cli_finish(rc, &e, usage);
}
