/*
 * serve and sync: the network side of a node (node/daemon). `serve` runs
 * the daemon until SIGINT/SIGTERM: it listens, dials the static peers,
 * replicates every feed of the community with each and announces local
 * writes at once. `sync` is one exchange with one peer, both directions,
 * then a summary; `sync --lan` the same with each node of the community
 * mDNS finds on the local network (its report: sync_lan.c). Both log
 * to stderr; `sync` prints its summary on stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"

static const char serve_usage[] =
	"usage: stoa serve [--listen ENDPOINT] [--peer ENDPOINT]... [--discovery HOW] [--quiet|--verbose]";

static const char serve_help[] =
	"usage: stoa serve [--listen ENDPOINT] [--peer ENDPOINT]... [--discovery HOW] [--quiet|--verbose]\n"
	"\n"
	"Runs the node: finds the other nodes of the community on the local\n"
	"network (mDNS/DNS-SD) and is found by them, listens for peers, dials\n"
	"the given peers, and replicates every feed with each of them,\n"
	"encrypted with keys only community members hold. Local writes ('stoa\n"
	"post' and the others) reach connected peers at once. Logs to stderr;\n"
	"stops cleanly on Ctrl-C or SIGTERM. One daemon per home.\n"
	"\n"
	"  --listen ENDPOINT   where to listen (default " DAEMON_LISTEN_DEFAULT ");\n"
	"                      tcp://127.0.0.1:0 picks a free port; the real\n"
	"                      endpoint is written to HOME/" DAEMON_ENDPOINT_FILE "\n"
	"  --peer ENDPOINT     a peer to dial, e.g. tcp://10.0.0.5:7647\n"
	"                      (repeatable, at most 64)\n"
	"  --discovery HOW     auto (default): the system avahi-daemon if one\n"
	"                      runs, else an embedded mDNS stack, moving to the\n"
	"                      daemon when it appears; avahi or embedded: only\n"
	"                      that one; off: static peers only. auto is off\n"
	"                      when listening on a loopback address\n"
	"  --quiet             log only problems\n"
	"  --verbose           also log each run stored from a peer, with how\n"
	"                      long ago its newest entry was written\n";

int cmd_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "peer", required_argument, NULL, 'p' },
		{ "discovery", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *peers[DAEMON_PEERS_MAX];
	struct daemon_opts o;
	struct daemon_summary sum;
	struct err e;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.listen = DAEMON_LISTEN_DEFAULT;
	o.peers = peers;
	o.discovery = DISCOVERY_AUTO;
	err_clear(&e);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (!*optarg)
				return cli_usage(serve_usage, "--listen needs an endpoint");
			o.listen = optarg;
			break;
		case 'p':
			if (!*optarg)
				return cli_usage(serve_usage, "--peer needs an endpoint");
			if (o.npeers == DAEMON_PEERS_MAX)
				return cli_usage(serve_usage, "at most %d peers",
						 DAEMON_PEERS_MAX);
			peers[o.npeers++] = optarg;
			break;
		case 'd':
			if (discovery_mode_parse(optarg, &o.discovery, &e) < 0)
				return cli_usage(serve_usage, "%s", e.msg);
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'h':
			return cli_help(serve_help);
		default:
			return cli_bad_option(ch, argv, opts, serve_usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(serve_usage, argv[optind]);
	if (o.quiet && o.verbose)
		return cli_usage(serve_usage, "--quiet and --verbose exclude "
				 "each other");
	err_clear(&e);
	rc = cli_unlock(c, &e);
	if (rc == 0)
		rc = daemon_run(&c->home, &o, &sum, &e);
	return cli_finish(rc, &e, serve_usage);
}

/* The daemon's progress callback for `sync` on a terminal:
 * "stoa: syncing [#####.....]  51% 51234/100000 in, 3 out", redrawn in
 * place, and a newline when the exchange ends; for `sync --lan`
 * "stoa: looking for nodes of field: 2 found, 1 synced, 120 in, 4 out,
 * 3 s left". */
static void draw_progress(void *arg, const struct daemon_progress *p)
{
	uint64_t in = p->entries_in, expect = p->entries_expected;
	char bar[21];
	int pct, k;

	if (p->done) {
		fputc('\n', stderr);
		return;
	}
	if (p->lan) {
		/* sync --lan (arg: the community's name): the nodes, not a
		 * bar (their totals overlap), and how long it still looks */
		char left[32] = "";

		if (p->lan_left_s > 0)
			snprintf(left, sizeof(left), ", %d s left",
				 p->lan_left_s);
		fputs("\rstoa: looking for nodes of ", stderr);
		print_text(stderr, arg, 0, NULL); /* (from an invite) */
		fprintf(stderr, ": %zu found, %zu synced, %" PRIu64 " in, %"
			PRIu64 " out%s   ", p->lan_found, p->lan_synced, in,
			p->entries_out, left);
		return;
	}
	if (expect < in)
		expect = in;
	pct = expect ? (int)(in * 100 / expect) : 0;
	for (k = 0; k < 20; k++)
		bar[k] = k < pct / 5 ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\rstoa: syncing [%s] %3d%% %" PRIu64 "/%" PRIu64
		" in, %" PRIu64 " out", bar, pct, in, expect, p->entries_out);
}

static const char sync_usage[] =
	"usage: stoa sync ENDPOINT [--timeout SECONDS] [--json]\n"
	"   or: stoa sync --lan [--wait SECONDS] [--timeout SECONDS] [--json]";

static const char sync_help[] =
	"usage: stoa sync ENDPOINT [--timeout SECONDS] [--json]\n"
	"   or: stoa sync --lan [--wait SECONDS] [--timeout SECONDS] [--json]\n"
	"\n"
	"Exchanges entries with the node at ENDPOINT once, both directions,\n"
	"then prints a summary: entries in and out, bytes, seconds. Shows\n"
	"progress on stderr when it is a terminal. Works whether or not a\n"
	"daemon runs on this home.\n"
	"\n"
	"With --lan, finds the nodes of this community on the local network\n"
	"by mDNS instead (as serve does; this node publishes nothing), for\n"
	"--wait seconds, syncs once with each one found as soon as it is\n"
	"found, and prints a line per node and a total. Exits 0 if every node\n"
	"found synced, 1 if one did not (named) or none was found.\n"
	"\n"
	"  --lan               find the peers on the local network\n"
	"  --wait SECONDS      --lan: how long to look for nodes (1 to 3600,\n"
	"                      default 5); the sync ends once this is over\n"
	"                      and every node found has synced or failed\n"
	"  --timeout SECONDS   give up after this long (1 to 86400, default 60;\n"
	"                      with --lan, default --wait + 60, at least --wait):\n"
	"                      with --lan, on the nodes not synced by then\n"
	"  --json              print {\"type\":\"sync\",\"entries_in\",\n"
	"                      \"entries_out\",\"bytes_in\",\"bytes_out\",\"seconds\"};\n"
	"                      with --lan {\"type\":\"sync_lan\",\"peers\":[...],...}\n"
	"                      (docs/cli.md)\n";

int cmd_sync(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "lan", no_argument, NULL, 'L' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_lan_peer lan[DAEMON_PEERS_MAX];
	const char *peer = NULL;
	struct daemon_opts o;
	struct daemon_summary sum;
	uint64_t secs = 0, wait = 0;
	struct err e;
	int ch, rc, json = 0, use_lan = 0;

	memset(&o, 0, sizeof(o));
	err_clear(&e);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			rc = cli_parse_num("--timeout", optarg, 1, 86400, &secs, &e);
			if (rc < 0)
				return cli_finish(rc, &e, sync_usage);
			break;
		case 'L':
			use_lan = 1;
			break;
		case 'w':
			rc = cli_parse_num("--wait", optarg, 1, SYNC_LAN_WAIT_MAX,
					   &wait, &e);
			if (rc < 0)
				return cli_finish(rc, &e, sync_usage);
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(sync_help);
		default:
			return cli_bad_option(ch, argv, opts, sync_usage);
		}
	}
	if (use_lan && optind < argc)
		return cli_usage(sync_usage, "--lan takes no ENDPOINT");
	if (!use_lan && wait)
		return cli_usage(sync_usage, "--wait goes with --lan");
	if (!use_lan && optind == argc)
		return cli_usage(sync_usage, "missing ENDPOINT (or --lan)");
	if (argc - optind > 1)
		return cli_unexpected(sync_usage, argv[optind + 1]);
	if (use_lan) {
		if (!wait)
			wait = SYNC_LAN_WAIT_DEFAULT;
		if (secs && secs < wait)
			return cli_usage(sync_usage, "--timeout is shorter than "
					 "--wait");
		if (!secs)
			secs = wait + 60;
		o.lan_wait_ms = (int)wait * 1000;
		o.lan = lan;
		o.discovery = DISCOVERY_AUTO;
	} else {
		peer = argv[optind];
		if (!*peer)
			return cli_usage(sync_usage, "empty ENDPOINT");
		o.peers = &peer;
		o.npeers = 1;
		if (!secs)
			secs = 60;
	}
	o.once = 1;
	o.quiet = 1;
	o.timeout_ms = (int)secs * 1000;
	o.progress = isatty(2) ? draw_progress : NULL;
	o.progress_arg = c->home.community.name; /* (sync --lan's line) */
	rc = cli_unlock(c, &e);
	if (rc == 0)
		rc = daemon_run(&c->home, &o, &sum, &e);
	/* (sync --lan: each node not synced says so in its line) */
	if (rc == 0 && !sum.settled && !use_lan)
		rc = err_set(&e, STOA_EIO, "interrupted before the exchange "
			     "finished (what arrived is kept)");
	if (rc < 0)
		return cli_finish(rc, &e, sync_usage);
	cli_adopt(c);
	if (use_lan) {
		rc = sync_lan_report(c, &o, &sum, json, &e);
		return cli_finish(rc, &e, sync_usage);
	}
	if (json) {
		json_t *row = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f}",
					"type", "sync",
					"entries_in", (json_int_t)sum.entries_in,
					"entries_out", (json_int_t)sum.entries_out,
					"bytes_in", (json_int_t)sum.bytes_in,
					"bytes_out", (json_int_t)sum.bytes_out,
					"seconds", sum.seconds);

		rc = row ? print_json(stdout, row) : STOA_ENOMEM;
		json_decref(row);
	} else {
		printf("synced with %s: %" PRIu64 " entries in, %" PRIu64
		       " out, %" PRIu64 " bytes in, %" PRIu64 " out, %.2f s\n",
		       peer, sum.entries_in, sum.entries_out, sum.bytes_in,
		       sum.bytes_out, sum.seconds);
	}
	return cli_finish(rc, &e, sync_usage);
}
