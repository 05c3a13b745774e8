/*
 * rotation: the record that gives the community a new secret (kind
 * epoch: docs/governance.md, "Rotation"). A new random 32-byte secret for
 * the epoch after the highest this node knows, sealed (key_seal) to
 * every member whose feed the store holds and who is not removed, its
 * check the new epoch's COMMUNITY_KEY_CHECK subkey. Only the founder's
 * have effect (gov.c), and the founder's node writes them: `stoa remove`
 * (with the removal, in one transaction), `stoa rotate`, and its daemon
 * when a removal calls for one (epoch.c). The secret leaves this module
 * only sealed.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "payload.h"
#include "rotation.h"

/* o[k] = v (v may be NULL: out of memory). */
static int set_new(json_t *o, const char *k, json_t *v, struct err *e)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

static json_t *hex_string(const uint8_t p[32])
{
	char hex[65];

	hex_encode(hex, p, 32);
	return json_string(hex);
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

	if ((g->except && bytes_equal(h->author, g->except, KEY_PUBLIC_LEN)) ||
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
	rc = set_new(o, "to", hex_string(to), e);
	if (rc == 0)
		rc = set_new(o, "box", json_string(b64), e);
	if (rc == 0 && json_array_append_new(list, o) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if (rc < 0)
		json_decref(o);
	return rc;
}

int rotation_make(struct store *s, const struct community *com,
		  const uint8_t *except, const char *reason, json_t **out,
		  uint32_t *epoch, struct err *e)
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
	g->store = s;
	g->except = except;
	if ((rc = store_frontier(s, sealing_add, g, e)) < 0)
		goto out;
	if (g->over) {
		rc = err_set(e, STOA_EINVAL, "a rotation of the community secret "
			     "can be sealed to at most %d members, and more "
			     "remain", PAYLOAD_EPOCH_SEALS_MAX);
		goto out;
	}
	*epoch = store_epoch_max(s);
	if (*epoch < com->epoch)
		*epoch = com->epoch;
	if (*epoch == UINT32_MAX) {
		rc = err_set(e, STOA_EINVAL, "no epoch is left after %u",
			     (unsigned)*epoch);
		goto out;
	}
	(*epoch)++;
	random_bytes(secret, sizeof(secret));
	next = *com;
	community_move(&next, *epoch, secret);
	community_derive(&next, COMMUNITY_KEY_CHECK, check);
	community_wipe(&next);
	if (!(o = json_object()) || !(list = json_array())) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	rc = set_new(o, "epoch", json_integer(*epoch), e);
	if (rc == 0)
		rc = set_new(o, "check", hex_string(check), e);
	if (rc == 0 && reason)
		rc = set_new(o, "reason", json_string(reason), e);
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
