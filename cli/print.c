/*
 * print: everything the CLI writes about rows from node/view.h. Text mode
 * passes every string another member wrote through text_clean (dropbear's
 * stripcontrol, extended to UTF-8): C0 and C1 controls, DEL and the bidi
 * controls that can make a line read differently from what it holds are
 * removed, invalid UTF-8 becomes '?', so a hostile name or post can never
 * move the cursor, recolour the terminal or reorder what the reader sees.
 * JSON mode prints the view's own objects, escaped by jansson. Row fields
 * are read defensively: a missing or mistyped field prints as a default,
 * never crashes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "payload.h"

/* The rules are payload_text_clean's (sync/payload.h), shared with the
 * daemon's log. */
char *text_clean(const char *s, int multiline)
{
	char *out = strdup(s);

	if (out)
		payload_text_clean(out, multiline);
	return out;
}

size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void print_text(FILE *f, const char *s, int multiline, const char *indent)
{
	char *clean = text_clean(s, multiline);
	const char *p, *nl;

	if (!clean) {
		fputs("?", f);
		return;
	}
	for (p = clean; (nl = strchr(p, '\n')); p = nl + 1) {
		fwrite(p, 1, (size_t)(nl - p) + 1, f);
		if (indent)
			fputs(indent, f);
	}
	fputs(p, f);
	free(clean);
}

size_t text_cell_width(const char *s)
{
	char *clean = text_clean(s, 0);
	size_t w = clean ? text_width(clean) : 1;

	free(clean);
	return w;
}

void print_padded(FILE *f, const char *s, size_t width)
{
	char *clean = text_clean(s, 0);
	size_t w;

	fputs(clean ? clean : "?", f);
	w = clean ? text_width(clean) : 1;
	for (; w < width; w++)
		fputc(' ', f);
	free(clean);
}

int print_json(FILE *f, const json_t *row)
{
	/* ENSURE_ASCII: every non-ASCII character is a \u escape, so a
	 * right-to-left override or a C1 control in someone's text cannot
	 * reach a terminal raw even in --json output. */
	char *s = json_dumps(row, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (!s)
		return STOA_ENOMEM;
	fputs(s, f);
	fputc('\n', f);
	free(s);
	return ferror(f) ? STOA_EIO : 0;
}

void format_time(json_int_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !localtime_r(&t, &tm) ||
	    strftime(out, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, 32, "(unknown time)");
}

const char *row_str(const json_t *row, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s ? s : def;
}

json_int_t row_int(const json_t *row, const char *key, json_int_t def)
{
	json_t *v = json_object_get(row, key);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

int row_bool(const json_t *row, const char *key)
{
	return json_is_true(json_object_get(row, key));
}

void print_name(FILE *f, const json_t *row, const char *name_key,
		const char *key_key)
{
	const char *name = row_str(row, name_key, "");

	if (name[0])
		print_text(f, name, 0, NULL);
	else
		fprintf(f, "[%.8s]", row_str(row, key_key, "?"));
}

static void plural(FILE *f, json_int_t n, const char *one, const char *many)
{
	fprintf(f, "%" JSON_INTEGER_FORMAT " %s", n, n == 1 ? one : many);
}

/* The line that stands for a post's text when the view withheld it: "[erased
 * by its author: reason]", "[hidden by a facilitator: reason]"; NULL for a
 * post whose text is there. */
static const char *withheld(const json_t *row, const char **reason)
{
	if (row_bool(row, "erased")) {
		*reason = row_str(row, "erased_reason", NULL);
		return strcmp(row_str(row, "erased_by", ""), "author") == 0 ?
		       "[erased by its author" : "[erased by a facilitator";
	}
	if (row_bool(row, "hidden") && !json_object_get(row, "body")) {
		*reason = row_str(row, "hidden_reason", NULL);
		return "[hidden by a facilitator";
	}
	return NULL;
}

void print_post(FILE *f, const json_t *row, const char *indent,
		enum post_style style)
{
	char when[32], body_indent[64];
	const char *title = row_str(row, "title", NULL);
	const char *reply_to = row_str(row, "reply_to", NULL);
	const char *topic = row_str(row, "topic", NULL);
	const char *reason = NULL, *notice = withheld(row, &reason);
	json_t *rating = json_object_get(row, "rating");

	snprintf(body_indent, sizeof(body_indent), "%s    ", indent);
	format_time(row_int(row, "ts", -1), when);
	fprintf(f, "%s%.8s  ", indent, row_str(row, "id", "?"));
	print_name(f, row, "name", "author");
	fprintf(f, "  %s", when);
	if (topic) {
		fputs("  #", f);
		print_text(f, topic, 0, NULL);
	}
	if (reply_to && style != POST_THREAD) {
		if (row_bool(row, "reply_to_erased"))
			fputs("  re [erased]", f);
		else
			fprintf(f, "  re %.8s", reply_to);
	}
	if (title && title[0]) {
		fputs("  ", f);
		print_text(f, title, 0, NULL);
	}
	if (!notice && row_bool(row, "hidden"))
		fputs("  [hidden]", f);
	fputc('\n', f);

	fputs(body_indent, f);
	if (notice) {
		fputs(notice, f);
		if (reason && reason[0]) {
			fputs(": ", f);
			print_text(f, reason, 0, NULL);
		}
		fputs("]\n", f);
		return;
	}
	if (style == POST_SEARCH && row_str(row, "snippet", NULL))
		print_text(f, row_str(row, "snippet", ""), 0, NULL);
	else
		print_text(f, row_str(row, "body", ""), 1, body_indent);
	fputc('\n', f);
	if (style == POST_THREAD)
		return;

	fputs(body_indent, f);
	plural(f, row_int(row, "replies", 0), "reply", "replies");
	fputs(" \xc2\xb7 ", f);
	plural(f, row_int(row, "feedback", 0), "feedback", "feedback");
	if (json_is_number(rating))
		fprintf(f, " \xc2\xb7 rating %.1f/5",
			json_number_value(rating));
	fputc('\n', f);
}

void print_feedback(FILE *f, const json_t *row, const char *indent)
{
	char when[32], body_indent[64];
	json_t *rating = json_object_get(row, "rating");
	const char *comment = row_str(row, "comment", NULL);

	snprintf(body_indent, sizeof(body_indent), "%s    ", indent);
	format_time(row_int(row, "ts", -1), when);
	fprintf(f, "%s%.8s  ", indent, row_str(row, "id", "?"));
	print_name(f, row, "name", "author");
	fprintf(f, "  %s", when);
	if (json_is_integer(rating))
		fprintf(f, "  rating %" JSON_INTEGER_FORMAT "/5",
			json_integer_value(rating));
	if (row_bool(row, "helpful"))
		fputs("  helpful", f);
	if (row_bool(row, "hidden"))
		fputs("  [hidden]", f);
	fputc('\n', f);
	if (comment && comment[0]) {
		fputs(body_indent, f);
		print_text(f, comment, 1, body_indent);
		fputc('\n', f);
	}
}

int print_post_row(json_t *row, void *arg)
{
	struct post_out *o = arg;

	if (o->json) {
		o->err = print_json(stdout, row);
		return o->err != 0;
	}
	if (o->rows++)
		putchar('\n');
	print_post(stdout, row, "", o->style);
	return ferror(stdout) != 0;
}
