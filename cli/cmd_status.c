/*
 * status: what the node is doing. Asks the daemon of this home (if one
 * runs) over its control socket for its listen endpoint and its peers,
 * and always adds the local store's figures, which need no daemon. Peer
 * fields come from the daemon and are printed sanitized like any text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"

static const char usage[] = "usage: stoa status [--json]";

static const char help[] =
	"usage: stoa status [--json]\n"
	"\n"
	"Says whether a daemon ('stoa serve') runs on this home and, if so,\n"
	"where it listens, how it finds peers (discovery: avahi-daemon,\n"
	"embedded, off) and each peer: its member key, endpoint, how it was\n"
	"found, state (connecting, syncing, synced, refused), entries and\n"
	"bytes each way, and lag (feeds still to pull from it). Always shows\n"
	"the local store: entries, members, forks.\n"
	"\n"
	"  --json   one object: {\"type\":\"status\",\"running\",\"entries\",\n"
	"           \"members\",\"forks\",\"listen\"?,\"pid\"?,\"discovery\"?,\n"
	"           \"peers\"?:[...]}\n";

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct store_stats st;
	json_t *d = NULL, *out;
	struct err e, de = { 0 };
	int rc, json = 0;

	rc = cli_parse_json_only(argc, argv, usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = store_stats(c->home.store, &st, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	cli_daemon_status(c, &d, &de); /* none: the store's figures alone */
	if (json) {
		out = json_pack("{s:s, s:b, s:I, s:I, s:I}", "type", "status",
				"running", d != NULL,
				"entries", (json_int_t)st.entries,
				"members", (json_int_t)st.authors,
				"forks", (json_int_t)st.forks);
		if (out && d) {
			json_object_set(out, "listen", json_object_get(d, "listen"));
			json_object_set(out, "pid", json_object_get(d, "pid"));
			json_object_set(out, "discovery",
					json_object_get(d, "discovery"));
			json_object_set(out, "peers", json_object_get(d, "peers"));
		}
		rc = out ? print_json(stdout, out) : STOA_ENOMEM;
		json_decref(out);
	} else {
		if (d) {
			json_t *peers = json_object_get(d, "peers"), *p;
			size_t i;
			char *l = text_clean(row_str(d, "listen", ""), 0);

			printf("daemon: running (pid %" JSON_INTEGER_FORMAT
			       "), listening on %s\n", row_int(d, "pid", 0), l ? l : "?");
			free(l);
			l = text_clean(row_str(d, "discovery", ""), 0);
			printf("discovery: %s\n", l ? l : "?");
			free(l);
			printf("peers: %zu\n", json_array_size(peers));
			json_array_foreach(peers, i, p) {
				/* the daemon's words, but bytes from a socket:
				 * cleaned like any text */
				char *ep = text_clean(row_str(p, "endpoint", ""), 0);
				char *node = text_clean(row_str(p, "node", ""), 0);
				char *how = text_clean(row_str(p, "how", ""), 0);
				char *state = text_clean(row_str(p, "state", ""), 0);

				printf("  %-8.8s  %-28s %-8s %-10s in %" JSON_INTEGER_FORMAT
				       " (%" JSON_INTEGER_FORMAT " B)  out %"
				       JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT
				       " B)  lag %" JSON_INTEGER_FORMAT "\n",
				       node && *node ? node : "-", ep ? ep : "?",
				       how ? how : "?", state ? state : "?",
				       row_int(p, "entries_in", 0), row_int(p, "bytes_in", 0),
				       row_int(p, "entries_out", 0), row_int(p, "bytes_out", 0),
				       row_int(p, "lag", 0));
				free(ep);
				free(node);
				free(how);
				free(state);
			}
		} else {
			printf("daemon: not running\n");
		}
		printf("store: %" PRIu64 " entries from %" PRIu64 " members",
		       st.entries, st.authors);
		if (st.forks)
			printf(", %" PRIu64 " forks", st.forks);
		printf("\n");
	}
	json_decref(d);
	if (rc < 0)
		err_set(&e, rc, "cannot write the result");
	return cli_finish(rc, &e, usage);
}
