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

#include <sodium.h>

#include "b64.h"
#include "cli.h"
#include "payload.h"
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
	if (optind == argc)
		return cli_usage(usage, "missing %s", what);
	if (argc - optind > 1)
		return cli_unexpected(usage, argv[optind + 1]);
	if (need_reason && !*reason)
		return cli_usage(usage, "--reason is required");
	*arg = argv[optind];
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

/* The members a rotation is sealed to, gathered from the feeds' heads. */
struct sealing {
	struct store *store;
	const uint8_t *except;
	uint8_t to[PAYLOAD_EPOCH_SEALS_MAX][KEY_PUBLIC_LEN];
	size_t n;
	int over;                 /* more members than seals */
};

static int sealing_add(const struct store_head *h, void *arg)
{
	struct sealing *g = arg;

	if (bytes_equal(h->author, g->except, KEY_PUBLIC_LEN) ||
	    store_member_removed(g->store, h->author))
		return 0;
	if (g->n == PAYLOAD_EPOCH_SEALS_MAX) {
		g->over = 1;
		return 1;
	}
	memcpy(g->to[g->n++], h->author, KEY_PUBLIC_LEN);
	return 0;
}

/* {"to": hex, "box": the secret sealed to it} appended to list. */
static int seal_one(json_t *list, const uint8_t to[KEY_PUBLIC_LEN],
		    const uint8_t secret[COMMUNITY_SECRET_LEN], struct err *e)
{
	uint8_t box[PAYLOAD_EPOCH_BOX_LEN];
	char b64[B64_LEN(PAYLOAD_EPOCH_BOX_LEN) + 1];
	json_t *o = json_object();
	int rc;

	if (!o)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if (key_seal(box, secret, COMMUNITY_SECRET_LEN, to) < 0) {
		json_decref(o);
		return err_set(e, STOA_ECRYPTO, "cannot seal the new secret to "
			       "a member (its key does not convert)");
	}
	b64_encode(b64, sizeof(b64), box, sizeof(box));
	rc = cli_set_hex(o, "to", to, KEY_PUBLIC_LEN, e);
	if (rc == 0)
		rc = cli_set_str(o, "box", b64, e);
	if (rc == 0 && json_array_append_new(list, o) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if (rc < 0)
		json_decref(o);
	return rc;
}

int cli_gov_rotation(struct cli *c, const uint8_t except[KEY_PUBLIC_LEN],
		     const char *reason, json_t **out, uint32_t *epoch,
		     struct err *e)
{
	uint8_t secret[COMMUNITY_SECRET_LEN], check[32];
	struct community next;
	struct sealing *g;
	json_t *o = NULL, *list = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!(g = calloc(1, sizeof(*g))))
		return err_set(e, STOA_ENOMEM, "out of memory");
	g->store = c->home.store;
	g->except = except;
	if ((rc = store_frontier(c->home.store, sealing_add, g, e)) < 0)
		goto out;
	if (g->over) {
		rc = err_set(e, STOA_EINVAL, "a rotation of the community secret "
			     "can be sealed to at most %d members, and more "
			     "remain", PAYLOAD_EPOCH_SEALS_MAX);
		goto out;
	}
	*epoch = store_epoch_max(c->home.store);
	if (*epoch < c->home.community.epoch)
		*epoch = c->home.community.epoch;
	if (*epoch == UINT32_MAX) {
		rc = err_set(e, STOA_EINVAL, "no epoch is left after %u",
			     (unsigned)*epoch);
		goto out;
	}
	(*epoch)++;
	randombytes_buf(secret, sizeof(secret));
	next = c->home.community;
	community_move(&next, *epoch, secret);
	community_derive(&next, COMMUNITY_KEY_CHECK, check);
	community_wipe(&next);
	if (!(o = json_object()) || !(list = json_array())) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	rc = cli_set_int(o, "epoch", *epoch, e);
	if (rc == 0)
		rc = cli_set_hex(o, "check", check, sizeof(check), e);
	if (rc == 0)
		rc = cli_gov_reason(o, reason, e);
	for (i = 0; rc == 0 && i < g->n; i++)
		rc = seal_one(list, g->to[i], secret, e);
	if (rc == 0 && json_object_set(o, "seals", list) < 0)
		rc = err_set(e, STOA_ENOMEM, "out of memory");
out:
	bytes_wipe(secret, sizeof(secret));
	json_decref(list);
	free(g);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}
