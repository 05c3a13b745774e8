/*
 * verify: re-checks everything the store holds (store_verify: every
 * signature, seq and prev link, payload length and hash, every recorded
 * fork), prints each problem on a line, then a summary and the view
 * digest, so two members can compare views by eye. Exit 1 when any
 * problem was found. It changes nothing.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "store.h"

static const char usage[] = "usage: stoa verify [--json]";

static const char help[] =
	"usage: stoa verify [--json]\n"
	"\n"
	"Re-verifies every stored entry (signature, sequence, previous-entry\n"
	"link, payload length and hash, a payload missing) and every recorded\n"
	"fork. Prints each problem, then 'verified N entries: ok' (or\n"
	"': K problems', exit 1), then 'view <digest>': two nodes holding the\n"
	"same entries print the same digest.\n"
	"\n"
	"  --json   one {\"type\":\"problem\",...} object per problem, then\n"
	"           {\"type\":\"verify\",\"entries\",\"problems\",\"view\"}\n";

struct verify_out {
	int json;
	int err;
};

static void problem(const struct verify_problem *p, void *arg)
{
	struct verify_out *o = arg;
	char author[2 * KEY_PUBLIC_LEN + 1];
	json_t *row;
	int rc;

	if (p->author)
		hex_encode(author, p->author, KEY_PUBLIC_LEN);
	if (!o->json) {
		if (p->author)
			printf("%.8s seq %" PRIu64 ": ", author, p->seq);
		else
			fputs("store: ", stdout);
		print_text(stdout, p->what ? p->what : "?", 0, NULL);
		putchar('\n');
		return;
	}
	row = json_pack("{s:s, s:o, s:I, s:s}", "type", "problem", "author",
			p->author ? json_string(author) : json_null(), "seq",
			(json_int_t)p->seq, "what", p->what ? p->what : "?");
	rc = row ? print_json(stdout, row) : STOA_ENOMEM;
	if (rc < 0 && !o->err)
		o->err = rc;
	json_decref(row);
}

int cmd_verify(struct cli *c, int argc, char **argv)
{
	struct verify_out out = { 0, 0 };
	char hex[2 * HASH_LEN + 1];
	uint64_t entries = 0, problems = 0;
	uint8_t digest[HASH_LEN];
	struct err e;
	int rc;

	rc = cli_parse_json_only(argc, argv, usage, help, &out.json);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = store_verify(c->home.store, problem, &out, &entries,
				  &problems, &e);
	if (rc == 0)
		rc = store_dump_view(c->home.store, NULL, digest, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	hex_encode(hex, digest, HASH_LEN);

	if (out.json) {
		json_t *row = json_pack("{s:s, s:I, s:I, s:s}", "type",
					"verify", "entries",
					(json_int_t)entries, "problems",
					(json_int_t)problems, "view", hex);

		rc = row ? print_json(stdout, row) : STOA_ENOMEM;
		json_decref(row);
	} else {
		if (problems)
			printf("verified %" PRIu64 " entries: %" PRIu64
			       " problem%s\n", entries, problems,
			       problems == 1 ? "" : "s");
		else
			printf("verified %" PRIu64 " entries: ok\n", entries);
		printf("view %s\n", hex);
	}
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = STOA_EIO;
	if (rc < 0)
		return cli_finish(err_set(&e, rc, "cannot write the report"),
				  &e, usage);
	if (problems) {
		fprintf(stderr, "stoa: %" PRIu64 " problem%s found\n",
			problems, problems == 1 ? "" : "s");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
