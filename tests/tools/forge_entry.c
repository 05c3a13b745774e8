/*
 * forge_entry: a modified client, for tests/integration/t23-moderation.sh.
 * It appends one entry of any known kind to the feed of a member home,
 * signed with that member's key, skipping every check the stoa command
 * makes first (a learner's hide, which `stoa hide` refuses): the payload
 * must only be valid, as store_append requires. What the community's
 * rules then make of it is what the test looks at. It prints the new
 * entry's id (64 hex) alone on a line.
 *
 *   forge_entry --home DIR KIND JSON
 *
 * KIND is a kind name (entry_kind_name: "hide", "erase", "role", ...).
 * Exit 0 on success, 1 on failure (one "forge_entry: ..." line), 2 on
 * usage. The home's key must not be sealed under a passphrase. It
 * neither nudges a running daemon nor takes its lock: the test syncs.
 */
#include <stdio.h>
#include <string.h>

#include "home.h"
#include "store.h"

static int usage(void)
{
	fputs("usage: forge_entry --home DIR KIND JSON\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	uint8_t id[ENTRY_ID_LEN], kind;
	char hex[ENTRY_ID_HEX_LEN + 1];
	struct home h;
	struct err e;
	int rc;

	if (argc != 5 || strcmp(argv[1], "--home") != 0)
		return usage();
	kind = entry_kind_from_name(argv[3]);
	if (kind == 0)
		return usage();
	err_clear(&e);
	if (key_lib_init() < 0) {
		fputs("forge_entry: cannot initialise libsodium\n", stderr);
		return 1;
	}
	if (home_open(&h, argv[2], &e) < 0) {
		fprintf(stderr, "forge_entry: %s\n", e.msg);
		return 1;
	}
	if (h.locked) {
		home_close(&h);
		fputs("forge_entry: the key is sealed under a passphrase\n",
		      stderr);
		return 1;
	}
	rc = store_append(h.store, &h.key, kind, argv[4], strlen(argv[4]), id,
			  &e);
	home_close(&h);
	if (rc < 0) {
		fprintf(stderr, "forge_entry: %s\n", e.msg);
		return 1;
	}
	entry_id_hex(id, hex);
	printf("%s\n", hex);
	return 0;
}
