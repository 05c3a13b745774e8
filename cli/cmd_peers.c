/*
 * peers: what the running daemon sees of the network. Asks the daemon of
 * this home over its control socket (the same status reply as `stoa
 * status`) and prints one line per peer: node id, member name, address,
 * how it was found, state, last sync, and entries each side still lacks.
 * Everything from the daemon is printed sanitized like any text, since
 * names and endpoints come from peers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char usage[] = "usage: stoa peers [--json]";

static const char help[] =
	"usage: stoa peers [--json]\n"
	"\n"
	"Lists the peers of the daemon running on this home ('stoa serve'):\n"
	"each one's node id (its member key), member name, address, how it was\n"
	"found (mdns, static: --peer, incoming: it dialed us), state (found,\n"
	"connecting, syncing, synced, refused), how long ago the two were\n"
	"last in sync, and how many entries each side still lacks (estimates\n"
	"between frontier exchanges). Also says which discovery backend runs\n"
	"(avahi-daemon, embedded, off). Needs a running daemon.\n"
	"\n"
	"  --json   one object: {\"type\":\"peers\",\"discovery\",\"listen\",\n"
	"           \"peers\":[{\"node\"?,\"name\"?,\"endpoint\",\"how\",\"state\",\n"
	"           \"last_sync_ms\"?,\"lacks_in\"?,\"lacks_out\"?,...}]}\n";

/* "now", "12s", "5m", "3h" ago; "-" if never. */
static void ago(json_t *p, char *out, size_t cap)
{
	json_t *v = json_object_get(p, "last_sync_ms");
	json_int_t ms;

	if (!json_is_integer(v)) {
		snprintf(out, cap, "-");
		return;
	}
	ms = json_integer_value(v);
	if (ms < 2000)
		snprintf(out, cap, "now");
	else if (ms < 120000)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT "s ago", ms / 1000);
	else if (ms < 7200000)
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT "m ago", ms / 60000);
	else
		snprintf(out, cap, "%" JSON_INTEGER_FORMAT "h ago", ms / 3600000);
}

static void print_peers(json_t *d)
{
	json_t *peers = json_object_get(d, "peers"), *p;
	char *disc = text_clean(row_str(d, "discovery", ""), 0);
	size_t i;

	printf("discovery: %s; %zu peer%s\n", disc ? disc : "?",
	       json_array_size(peers), json_array_size(peers) == 1 ? "" : "s");
	free(disc);
	if (!json_array_size(peers))
		return;
	printf("%-8s  %-16s %-30s %-8s %-10s %-9s %9s %9s\n", "NODE", "NAME",
	       "ADDRESS", "HOW", "STATE", "SYNCED", "WE LACK", "IT LACKS");
	json_array_foreach(peers, i, p) {
		char *name = text_clean(row_str(p, "name", ""), 0);
		char *ep = text_clean(row_str(p, "endpoint", ""), 0);
		char *node = text_clean(row_str(p, "node", ""), 0);
		char *how = text_clean(row_str(p, "how", ""), 0);
		char *state = text_clean(row_str(p, "state", ""), 0);
		char when[32];

		ago(p, when, sizeof(when));
		printf("%-8.8s  %-16.16s %-30.30s %-8.8s %-10.10s %-9s %9"
		       JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT "\n",
		       node && *node ? node : "-", name && *name ? name : "-",
		       ep ? ep : "?", how ? how : "?", state ? state : "?", when,
		       row_int(p, "lacks_in", 0),
		       row_int(p, "lacks_out", 0));
		free(name);
		free(ep);
		free(node);
		free(how);
		free(state);
	}
}

int cmd_peers(struct cli *c, int argc, char **argv)
{
	json_t *d = NULL, *out;
	struct err e;
	int rc, json = 0;

	rc = cli_parse_json_only(argc, argv, usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = cli_daemon_status(c, &d, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	if (json) {
		out = json_pack("{s:s, s:O, s:O, s:O}", "type", "peers",
				"discovery", json_object_get(d, "discovery"),
				"listen", json_object_get(d, "listen"),
				"peers", json_object_get(d, "peers"));
		rc = out ? print_json(stdout, out) : STOA_ENOMEM;
		json_decref(out);
	} else {
		print_peers(d);
	}
	json_decref(d);
	if (rc < 0)
		err_set(&e, rc, "cannot write the result");
	return cli_finish(rc, &e, usage);
}
