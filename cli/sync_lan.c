/*
 * sync_lan: the report of `stoa sync --lan` (the exchange itself is the
 * daemon's: daemon_run with lan_wait_ms, cmd_serve.c starts it). One line
 * per node found, in the order found:
 *   "bo (8a88e3dd, tcp://10.77.0.12:7647): 120 in, 4 out"
 *   "cy (1f00ba2c, tcp://10.77.0.13:7647): failed: not reached at its address"
 * then "total: 2 peers, 120 in, 4 out in 5.31 s" (", 1 failed" after the
 * count when one did), or one JSON object with --json. A record of a
 * key this store holds no feed of that never answered as a node (anyone
 * on the LAN can forge one) gets no line and fails nothing: a count on
 * stderr says how many. Names come from
 * this node's view (what the sync brought included) and are cleaned
 * before they reach a terminal; a member with no profile yet is shown by
 * key prefix. It prints nothing else and changes nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "discovery.h"
#include "payload.h"
#include "view.h"

/* The member's profile name, or "" (the view may not know it). */
static void member_name(struct cli *c, const uint8_t pk[KEY_PUBLIC_LEN],
			char name[PAYLOAD_NAME_MAX + 1])
{
	if (view_member_name(c->home.store, pk, name, PAYLOAD_NAME_MAX + 1,
			     NULL) < 0)
		name[0] = '\0';
}

static void print_peer(struct cli *c, const struct daemon_lan_peer *r)
{
	char name[PAYLOAD_NAME_MAX + 1], hex[2 * KEY_PUBLIC_LEN + 1];

	hex_encode(hex, r->node, KEY_PUBLIC_LEN);
	member_name(c, r->node, name);
	if (name[0])
		print_text(stdout, name, 0, NULL);
	else
		printf("[%.8s]", hex);
	printf(" (%.8s, ", hex);
	print_text(stdout, r->endpoint, 0, NULL);
	if (r->rc == 0) {
		printf("): %" PRIu64 " in, %" PRIu64 " out\n", r->entries_in,
		       r->entries_out);
		return;
	}
	printf("): failed: ");
	print_text(stdout, r->why, 0, NULL);
	printf(" (%" PRIu64 " in, %" PRIu64 " out)\n", r->entries_in,
	       r->entries_out);
}

static json_t *peer_json(struct cli *c, const struct daemon_lan_peer *r,
			 struct err *e)
{
	char name[PAYLOAD_NAME_MAX + 1];
	/* a reason may quote the peer (its ERROR): valid UTF-8 for JSON */
	char *why = r->rc ? text_clean(r->why, 0) : NULL;
	json_t *o = json_object();
	int rc;

	if (!o || (r->rc && !why)) {
		json_decref(o);
		free(why);
		err_set(e, STOA_ENOMEM, "out of memory");
		return NULL;
	}
	member_name(c, r->node, name);
	if ((rc = cli_set_hex(o, "node", r->node, KEY_PUBLIC_LEN, e)) < 0 ||
	    (name[0] && (rc = cli_set_str(o, "name", name, e)) < 0) ||
	    (rc = cli_set_str(o, "endpoint", r->endpoint, e)) < 0 ||
	    (rc = cli_set_int(o, "entries_in", r->entries_in, e)) < 0 ||
	    (rc = cli_set_int(o, "entries_out", r->entries_out, e)) < 0 ||
	    json_object_set_new(o, "synced", json_boolean(r->rc == 0)) < 0 ||
	    json_object_set_new(o, "found_after",
				json_real(r->found_after)) < 0 ||
	    json_object_set_new(o, "seconds", json_real(r->seconds)) < 0 ||
	    (r->rc && (rc = cli_set_str(o, "error", why, e)) < 0)) {
		json_decref(o);
		free(why);
		if (!e->code)
			err_set(e, STOA_ENOMEM, "out of memory");
		return NULL;
	}
	free(why);
	return o;
}

static int print_report_json(struct cli *c, const struct daemon_opts *o,
			     const struct daemon_summary *sum, size_t failed,
			     struct err *e)
{
	json_t *row, *peers;
	size_t i;
	int rc;

	row = json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, "
			"s:[]}",
			"type", "sync_lan",
			"wait", o->lan_wait_ms / 1000,
			"found", (json_int_t)sum->nlan,
			"synced", (json_int_t)(sum->nlan - failed),
			"unanswered", (json_int_t)sum->lan_unanswered,
			"entries_in", (json_int_t)sum->entries_in,
			"entries_out", (json_int_t)sum->entries_out,
			"bytes_in", (json_int_t)sum->bytes_in,
			"bytes_out", (json_int_t)sum->bytes_out,
			"seconds", sum->seconds,
			"peers");
	if (!row)
		return err_set(e, STOA_ENOMEM, "out of memory");
	peers = json_object_get(row, "peers");
	for (i = 0; i < sum->nlan; i++) {
		json_t *p = peer_json(c, &o->lan[i], e);

		if (!p || json_array_append_new(peers, p) < 0) {
			json_decref(row);
			return e->code ? e->code
				       : err_set(e, STOA_ENOMEM, "out of memory");
		}
	}
	rc = print_json(stdout, row);
	json_decref(row);
	return rc < 0 ? err_set(e, rc, "cannot write the report") : 0;
}

/* "stoa: 1 of 3 nodes did not sync: cy, [1f00ba2c]" into e. */
static int not_synced(struct cli *c, const struct daemon_opts *o,
		      const struct daemon_summary *sum, size_t failed,
		      struct err *e)
{
	char names[ERR_MSG_MAX] = "", name[PAYLOAD_NAME_MAX + 1];
	char hex[2 * KEY_PUBLIC_LEN + 1];
	size_t i, len = 0;

	for (i = 0; i < sum->nlan && len < sizeof(names); i++) {
		const struct daemon_lan_peer *r = &o->lan[i];
		int n;

		if (!r->rc)
			continue;
		member_name(c, r->node, name);
		hex_encode(hex, r->node, KEY_PUBLIC_LEN);
		if (!name[0])
			snprintf(name, sizeof(name), "[%.8s]", hex);
		n = snprintf(names + len, sizeof(names) - len, "%s%s",
			     len ? ", " : "", name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	/* (cli_finish cleans the names of control characters) */
	return err_set(e, STOA_EIO, "%zu of %zu nodes did not sync: %s",
		       failed, sum->nlan, names);
}

int sync_lan_report(struct cli *c, const struct daemon_opts *o,
		    const struct daemon_summary *sum, int json, struct err *e)
{
	size_t i, failed = 0;
	int rc;

	for (i = 0; i < sum->nlan; i++)
		failed += o->lan[i].rc != 0;
	if (json) {
		if ((rc = print_report_json(c, o, sum, failed, e)) < 0)
			return rc;
	} else {
		for (i = 0; i < sum->nlan; i++)
			print_peer(c, &o->lan[i]);
		if (sum->nlan) {
			printf("total: %zu peer%s", sum->nlan,
			       sum->nlan == 1 ? "" : "s");
			if (failed)
				printf(", %zu failed", failed);
			printf(", %" PRIu64 " in, %" PRIu64 " out in %.2f s\n",
			       sum->entries_in, sum->entries_out,
			       sum->seconds);
		}
	}
	if (fflush(stdout) != 0)
		return err_set(e, STOA_EIO, "cannot write the report");
	/* records anyone could have forged: said, not failed for */
	if (!json && sum->lan_unanswered)
		fprintf(stderr, "stoa: %zu record%s of unknown nodes did not "
			"answer as a node of %s (ignored)\n",
			sum->lan_unanswered, sum->lan_unanswered == 1 ? "" : "s",
			c->home.community.name);
	if (!sum->nlan && !sum->settled)
		return err_set(e, STOA_EIO, "interrupted before any stoa node "
			       "of %s was found", c->home.community.name);
	if (!sum->nlan)
		return err_set(e, STOA_ENOTFOUND, "no stoa node of %s found on "
			       "this network in %d s%s", c->home.community.name,
			       o->lan_wait_ms / 1000, discovery_lan_up() ? "" :
			       " (no network interface is up)");
	if (failed)
		return not_synced(c, o, sum, failed, e);
	return 0;
}
