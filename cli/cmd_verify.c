/*
 * verify: re-checks everything the store holds (store_verify: every
 * signature, seq and prev link, payload length and hash, every recorded
 * fork: named by its member, the same key used on two nodes), prints each
 * problem on a line, then a note for each governance
 * record the rules gave no effect (view_governance), then a summary and
 * the view digest, so two members can compare views by eye. Exit 1 when
 * any problem was found; notes are not problems (a record without
 * authority is the rules working, not the store failing), and an entry
 * erased by the rules is neither. It changes nothing.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "store.h"
#include "view.h"

static const char usage[] = "usage: stoa verify [--json]";

static const char help[] =
	"usage: stoa verify [--json]\n"
	"\n"
	"Re-verifies every stored entry (signature, sequence, previous-entry\n"
	"link, payload length and hash, a payload missing) and every recorded\n"
	"fork. Prints each problem, then a note for each governance record\n"
	"that took no effect (\"note: hide 1a2b3c4d by Bo: no authority\"; not\n"
	"a problem), then 'verified N entries: ok' (or ': K problems', exit 1),\n"
	"then 'view <digest>': two nodes holding the same entries print the\n"
	"same digest. An entry erased by the governance rules is not a problem;\n"
	"one held without its payload otherwise is.\n"
	"\n"
	"  --json   one {\"type\":\"problem\",...} object per problem, one\n"
	"           {\"type\":\"note\",...} per note, then {\"type\":\"verify\",\n"
	"           \"entries\",\"problems\",\"notes\",\"view\"}\n";

struct verify_out {
	struct store *store;   /* for the members' names */
	int json;
	int err;
	uint64_t notes;
};

static void problem(const struct verify_problem *p, void *arg)
{
	struct verify_out *o = arg;
	char author[2 * KEY_PUBLIC_LEN + 1], name[PAYLOAD_NAME_MAX + 1];
	json_t *row;
	int rc;

	name[0] = '\0';
	if (p->author) {
		hex_encode(author, p->author, KEY_PUBLIC_LEN);
		/* who it is, in words: a fork is a member's key used on
		 * two nodes at once, and the class knows names */
		if (view_member_name(o->store, p->author, name, sizeof(name),
				     NULL) < 0)
			name[0] = '\0';
	}
	if (!o->json) {
		if (p->author)
			printf("%.8s seq %" PRIu64 ": ", author, p->seq);
		else
			fputs("store: ", stdout);
		if (p->kept && p->other && p->author) {
			/* a fork names its member: the class knows names,
			 * and says how it happens */
			char k[2 * ENTRY_ID_LEN + 1], x[2 * ENTRY_ID_LEN + 1];

			hex_encode(k, p->kept, ENTRY_ID_LEN);
			hex_encode(x, p->other, ENTRY_ID_LEN);
			fputs("fork: ", stdout);
			if (name[0])
				print_text(stdout, name, 0, NULL);
			else
				fputs("member", stdout);
			/* and what to do: one node per key (the key
			 * prefix is safe to paste, a name may hold spaces) */
			printf(" [%.8s] signed two entries at seq %" PRIu64
			       " (kept %.8s, other %.8s): the same key wrote "
			       "on two nodes at once; keep it on one only "
			       "('stoa member remove %.8s --yes' on the other)\n",
			       author, p->seq, k, x, author);
			return;
		}
		print_text(stdout, p->what ? p->what : "?", 0, NULL);
		putchar('\n');
		return;
	}
	row = json_pack("{s:s, s:o, s:I, s:s}", "type", "problem", "author",
			p->author ? json_string(author) : json_null(), "seq",
			(json_int_t)p->seq, "what", p->what ? p->what : "?");
	if (row && name[0] &&
	    json_object_set_new(row, "name", json_string(name)) < 0) {
		json_decref(row);
		row = NULL;
	}
	rc = row ? print_json(stdout, row) : STOA_ENOMEM;
	if (rc < 0 && !o->err)
		o->err = rc;
	json_decref(row);
}

/* A governance record without effect: one line, never a problem. */
static int note(json_t *row, void *arg)
{
	struct verify_out *o = arg;
	const char *name = row_str(row, "name", "");
	json_t *n;
	int rc;

	o->notes++;
	if (!o->json) {
		printf("note: %s %.8s by ", row_str(row, "kind", "?"),
		       row_str(row, "id", "?"));
		if (name[0])
			print_text(stdout, name, 0, NULL);
		else
			printf("[%.8s]", row_str(row, "author", "?"));
		printf(": %s\n", row_str(row, "effect", "?"));
		return ferror(stdout) != 0;
	}
	n = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "note", "kind",
		      row_str(row, "kind", "?"), "id", row_str(row, "id", ""),
		      "author", row_str(row, "author", ""), "effect",
		      row_str(row, "effect", "?"));
	if (n && name[0] &&
	    json_object_set_new(n, "name", json_string(name)) < 0) {
		json_decref(n);
		n = NULL;
	}
	rc = n ? print_json(stdout, n) : STOA_ENOMEM;
	json_decref(n);
	if (rc < 0 && !o->err)
		o->err = rc;
	return rc != 0;
}

int cmd_verify(struct cli *c, int argc, char **argv)
{
	struct view_gov_filter unapplied = { VIEW_LIMIT_MAX, 1 };
	struct verify_out out = { NULL, 0, 0, 0 };
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
		out.store = c->home.store;
	if (rc == 0)
		rc = store_verify(c->home.store, problem, &out, &entries,
				  &problems, &e);
	if (rc == 0)
		rc = view_governance(c->home.store, &unapplied, note, &out,
				     &e);
	if (rc == 0)
		rc = store_dump_view(c->home.store, NULL, digest, &e);
	if (rc < 0)
		return cli_finish(rc, &e, usage);
	hex_encode(hex, digest, HASH_LEN);

	if (out.json) {
		json_t *row = json_pack("{s:s, s:I, s:I, s:I, s:s}", "type",
					"verify", "entries",
					(json_int_t)entries, "problems",
					(json_int_t)problems, "notes",
					(json_int_t)out.notes, "view", hex);

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
