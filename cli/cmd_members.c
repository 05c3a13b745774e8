/*
 * members: every author this node holds, with their current profile, the
 * role the community's governance gave them (and whether they were
 * removed), and what they did: entries, posts, feedback given (hidden
 * ones left out), kudos and badges received, mentoring minutes, and
 * whether their feed is forked (two signed entries for one seq: a sign of
 * a copied key). Text mode is a table whose columns fit the widest cell.
 * Read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "view.h"

static const char usage[] = "usage: stoa members [--json]";

static const char help[] =
	"usage: stoa members [--json]\n"
	"\n"
	"Lists every member whose entries this node holds, by name: role,\n"
	"key prefix, entries, posts, feedback given, kudos received, mentoring\n"
	"minutes and badges. The role is the one the facilitators gave (the\n"
	"founder is always a facilitator; anyone else is a learner until a\n"
	"facilitator says otherwise). Hidden posts and feedback are not\n"
	"counted. A member marked FORKED signed two different entries with\n"
	"the same number: their key may be in two hands. One marked \"REMOVED\n"
	"after seq N\" was removed from the community, keeping their first N\n"
	"entries.\n"
	"\n"
	"  --json   one JSON object per member\n";

struct members_out {
	int json;
	int err;
	json_t *rows;  /* text mode: collected to size the columns */
};

static int member_row(json_t *row, void *arg)
{
	struct members_out *o = arg;

	if (o->json) {
		o->err = print_json(stdout, row);
		return o->err != 0;
	}
	if (json_array_append(o->rows, row) < 0) {
		o->err = STOA_ENOMEM;
		return 1;
	}
	return 0;
}

static void print_badges(const json_t *badges)
{
	size_t i;
	json_t *b;

	json_array_foreach(badges, i, b) {
		if (i)
			fputs(", ", stdout);
		if (json_is_string(b)) {
			print_text(stdout, json_string_value(b), 0, NULL);
		} else if (json_is_object(b)) {
			json_int_t n = row_int(b, "count", 1);

			print_text(stdout, row_str(b, "badge",
						   row_str(b, "name", "?")),
				   0, NULL);
			if (n > 1)
				printf(" (%" JSON_INTEGER_FORMAT ")", n);
		}
	}
}

#define NUM_COLS 5

static void print_table(const json_t *rows)
{
	static const char *const num_keys[NUM_COLS] = {
		"seq", "posts", "feedback", "kudos", "mentoring_minutes",
	};
	static const char *const num_heads[NUM_COLS] = {
		"ENTRIES", "POSTS", "FEEDBACK", "KUDOS", "MINUTES",
	};
	size_t name_w = 4, role_w = 4, i;
	int k;
	json_t *row;

	json_array_foreach(rows, i, row) {
		const char *name = row_str(row, "name", "");
		size_t w = name[0] ? text_cell_width(name) : 10; /* "[1a2b3c4d]" */

		if (w > name_w)
			name_w = w;
		w = text_cell_width(row_str(row, "role", "-"));
		if (w > role_w)
			role_w = w;
	}
	print_padded(stdout, "NAME", name_w + 2);
	print_padded(stdout, "ROLE", role_w + 2);
	fputs("KEY     ", stdout);
	for (k = 0; k < NUM_COLS; k++)
		printf("  %s", num_heads[k]);
	fputs("  BADGES\n", stdout);

	json_array_foreach(rows, i, row) {
		const char *name = row_str(row, "name", "");
		const json_t *badges = json_object_get(row, "badges");
		char key[16];

		if (name[0]) {
			print_padded(stdout, name, name_w + 2);
		} else {
			snprintf(key, sizeof(key), "[%.8s]",
				 row_str(row, "key", "?"));
			print_padded(stdout, key, name_w + 2);
		}
		print_padded(stdout, row_str(row, "role", "-"), role_w + 2);
		printf("%-8.8s", row_str(row, "key", "?"));
		for (k = 0; k < NUM_COLS; k++)
			printf("  %*" JSON_INTEGER_FORMAT,
			       (int)strlen(num_heads[k]),
			       row_int(row, num_keys[k], 0));
		fputs("  ", stdout);
		if (json_array_size(badges))
			print_badges(badges);
		else
			fputs("-", stdout);
		if (row_bool(row, "forked"))
			fputs("  FORKED", stdout);
		if (row_bool(row, "removed"))
			printf("  REMOVED after seq %" JSON_INTEGER_FORMAT,
			       row_int(row, "cut", 0));
		putchar('\n');
	}
}

int cmd_members(struct cli *c, int argc, char **argv)
{
	struct members_out out = { 0, 0, NULL };
	struct err e;
	int rc;

	rc = cli_parse_json_only(argc, argv, usage, help, &out.json);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	if (!out.json && !(out.rows = json_array()))
		return cli_finish(err_set(&e, STOA_ENOMEM, "out of memory"),
				  &e, usage);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = view_members(c->home.store, member_row, &out, &e);
	if (rc == 0 && out.err == STOA_ENOMEM)
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0 && !out.json && json_array_size(out.rows))
		print_table(out.rows);
	if (rc == 0 && (out.err || ferror(stdout)))
		rc = err_set(&e, STOA_EIO, "cannot write the list");
	json_decref(out.rows);
	return cli_finish(rc, &e, usage);
}
