/*
 * reports: the facilitators' queue of reports (docs/governance.md),
 * newest first: what was reported (an excerpt of it, or that it is
 * erased), the category, who reported it, the reporter's text when it
 * was sealed to this member, and what was done about the entry since
 * (hidden, erased, nothing). Opening a sealed box needs the secret key:
 * a key under a passphrase is unlocked (cli_unlock) only when a report
 * holds a box addressed to this member. Only facilitators can read the
 * queue; the text in it is other members' and is cleaned before it
 * reaches a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "cli.h"
#include "gov_view.h"
#include "payload.h"

#define EXCERPT_MAX 60 /* code points of the target shown */

static const char usage[] = "usage: stoa reports [--json]";

static const char help[] =
	"usage: stoa reports [--json]\n"
	"\n"
	"Lists the reports this node holds, newest first: the entry reported\n"
	"(its id and the start of its text, or [erased]), the category, who\n"
	"reported it, their text if it was sealed to you, and what was done\n"
	"(hidden, erased or nothing yet). Only a facilitator can. Opening the\n"
	"texts needs your key: a key under a passphrase asks for it (or takes\n"
	"$STOA_PASSPHRASE).\n"
	"\n"
	"  --json   one JSON object per report (fields in docs/cli.md)\n";

struct collected {
	json_t *rows;
	int err;
};

static int collect(json_t *row, void *arg)
{
	struct collected *out = arg;

	out->err = json_array_append(out->rows, row) < 0;
	return out->err;
}

/* The box of row's "sealed" list addressed to me, or NULL. */
static const char *box_for(const json_t *row, const char *me)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(row, "sealed"), i, v)
		if (!strcmp(row_str(v, "to", ""), me))
			return row_str(v, "box", NULL);
	return NULL;
}

/* Opens a box with the (unlocked) key: row gets "text" and "text_state"
 * "opened", or "text_state" "unreadable" (damaged, or not really ours). */
static int open_box(struct cli *c, json_t *row, const char *b64)
{
	uint8_t box[PAYLOAD_BOX_MAX];
	char text[PAYLOAD_BOX_MAX - KEY_SEAL_OVERHEAD + 1];
	const char *state = "unreadable";
	size_t n = 0;
	int rc = 0;

	if (b64 && b64_decode(box, sizeof(box), &n, b64, strlen(b64)) == 0 &&
	    n >= KEY_SEAL_OVERHEAD &&
	    key_unseal((uint8_t *)text, box, n, &c->home.key) == 0) {
		text[n - KEY_SEAL_OVERHEAD] = '\0';
		/* what a report's author sealed is checked like any text */
		if (strlen(text) == n - KEY_SEAL_OVERHEAD &&
		    payload_text_ok(text)) {
			state = "opened";
			rc = cli_set_str(row, "text", text, NULL);
		}
	}
	bytes_wipe(box, sizeof(box));
	bytes_wipe(text, sizeof(text));
	if (json_object_set_new(row, "text_state", json_string(state)) < 0)
		rc = STOA_ENOMEM;
	return rc;
}

/* Fills each row's "text_state" (and "text"), unlocking the key once if a
 * box is addressed to this member. */
static int open_texts(struct cli *c, json_t *rows, struct err *e)
{
	char me[2 * KEY_PUBLIC_LEN + 1];
	const char *state;
	int unlocked = 0, rc;
	json_t *row;
	size_t i;

	hex_encode(me, c->home.key.pk, KEY_PUBLIC_LEN);
	json_array_foreach(rows, i, row) {
		const char *b64 = box_for(row, me);

		if (b64) {
			if (!unlocked && (rc = cli_unlock(c, e)) < 0)
				return rc;
			unlocked = 1;
			if (open_box(c, row, b64) < 0)
				return err_set(e, STOA_ENOMEM, "out of memory");
			continue;
		}
		state = json_array_size(json_object_get(row, "sealed"))
			? "others" : "none";
		if (json_object_set_new(row, "text_state",
					json_string(state)) < 0)
			return err_set(e, STOA_ENOMEM, "out of memory");
	}
	return 0;
}

/* The start of a target's text on one line: EXCERPT_MAX code points. */
static void print_excerpt(FILE *f, const char *s)
{
	char *clean = text_clean(s, 0);
	size_t i, points = 0;

	if (!clean) {
		fputs("?", f);
		return;
	}
	for (i = 0; clean[i]; i++) {
		if (((unsigned char)clean[i] & 0xc0) != 0x80 &&
		    ++points > EXCERPT_MAX) {
			clean[i] = '\0';
			fputs(clean, f);
			fputs("...", f);
			free(clean);
			return;
		}
	}
	fputs(clean, f);
	free(clean);
}

static void print_report(FILE *f, const json_t *row)
{
	const char *state = row_str(row, "target_state", "not held");
	const char *text = row_str(row, "text_state", "none");
	const char *action = row_str(row, "action", "none");
	char when[32];

	format_time(row_int(row, "ts", -1), when);
	fprintf(f, "%.8s  %s  %s  reported by ", row_str(row, "id", "?"), when,
		row_str(row, "category", "?"));
	print_name(f, row, "name", "author");
	fprintf(f, "\n  on %.8s", row_str(row, "target", "?"));
	if (json_object_get(row, "target_kind")) {
		fprintf(f, ", a %s by ", row_str(row, "target_kind", "?"));
		print_name(f, row, "target_name", "target_author");
	}
	if (!strcmp(state, "erased"))
		fputs(": [erased]", f);
	else if (!strcmp(state, "not held"))
		fputs(": [not held here]", f);
	else if (json_object_get(row, "excerpt")) {
		fputs(": ", f);
		print_excerpt(f, row_str(row, "excerpt", ""));
	}
	fputs("\n  text: ", f);
	if (!strcmp(text, "opened"))
		print_text(f, row_str(row, "text", ""), 1, "        ");
	else if (!strcmp(text, "others"))
		fputs("(sealed to other facilitators)", f);
	else if (!strcmp(text, "unreadable"))
		fputs("(sealed to you, but it cannot be opened)", f);
	else
		fputs("(none)", f);
	fprintf(f, "\n  done: %s\n", !strcmp(action, "none") ? "nothing yet"
		: action);
}

int cmd_reports(struct cli *c, int argc, char **argv)
{
	struct collected got = { NULL, 0 };
	json_t *row;
	struct err e;
	int json, rc;
	size_t i;

	rc = cli_parse_json_only(argc, argv, usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;

	err_clear(&e);
	rc = cli_gov_need_facilitator(c, "read the reports", &e);
	if (rc == 0 && !(got.rows = json_array()))
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = gov_view_reports(c->home.store, collect, &got, &e);
	if (rc == 0 && got.err)
		rc = err_set(&e, STOA_ENOMEM, "out of memory");
	if (rc == 0)
		rc = open_texts(c, got.rows, &e);
	json_array_foreach(got.rows, i, row) {
		if (rc < 0)
			break;
		if (json)
			rc = print_json(stdout, row) < 0
				? err_set(&e, STOA_ENOMEM, "out of memory") : 0;
		else {
			if (i > 0)
				putchar('\n');
			print_report(stdout, row);
		}
	}
	json_decref(got.rows);
	return cli_finish(rc, &e, usage);
}
