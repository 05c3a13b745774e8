/*
 * stats: how the community is doing (docs/stats.md), as text with
 * sparklines, or one JSON object. The window options are parsed here for
 * `stoa report --html` too (cmd_report.c). Read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "payload.h"
#include "stats.h"
#include "view.h"

static const char usage[] = "usage: stoa stats " CLI_STATS_OPTS " [--json]";

static const char help[] =
	"usage: stoa stats " CLI_STATS_OPTS " [--json]\n"
	"\n"
	"How the community is doing, from the entries this node holds:\n"
	"active members per week, newcomers and retention, time to first\n"
	"reply and unanswered questions, feedback, mentoring coverage,\n"
	"kudos, members at risk of drifting away, and how fresh this node's\n"
	"copy of each member's feed is. docs/stats.md defines each figure.\n"
	"\n"
	CLI_STATS_HELP
	"  --json            one JSON object (fields in docs/stats.md)\n";

/* ---- dates ------------------------------------------------------------ */

/* A YYYY-MM-DD from 1970 to 9999 that names a real day, as its day
 * number since 1970-01-01; STOA_EUSAGE otherwise. */
static int parse_date(const char *opt, const char *s, int64_t *day,
		      struct err *e)
{
	struct tm tm;
	time_t t;
	int i;

	for (i = 0; i < 10; i++)
		if (!s[i] || ((i == 4 || i == 7) ? s[i] != '-' :
			      (s[i] < '0' || s[i] > '9')))
			break;
	if (i != 10 || s[10])
		return err_set(e, STOA_EUSAGE, "%s: '%.32s' is not a date "
			       "(YYYY-MM-DD)", opt, s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	/* timegm normalizes a day that does not exist (02-30 is 03-02):
	 * the date must come back as it went in */
	t = timegm(&tm);
	if (tm.tm_year < 70 || t == (time_t)-1 || tm.tm_mon != atoi(s + 5) - 1 ||
	    tm.tm_mday != atoi(s + 8))
		return err_set(e, STOA_EUSAGE, "%s: '%s' is not a day of the "
			       "calendar from 1970", opt, s);
	*day = (int64_t)t / 86400;
	return 0;
}

/* ---- options ---------------------------------------------------------- */

int cli_stats_args(struct cli *c, int argc, char **argv, int html,
		      struct cli_stats_args *a, const char *use, const char *hlp)
{
	static const struct option stats_opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "topic", required_argument, NULL, 't' },
		{ "member", required_argument, NULL, 'm' },
		{ "limit", required_argument, NULL, 'l' },
		{ "pseudonyms", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *since = NULL, *until = NULL;
	int64_t today, from, to;
	uint64_t limit = STATS_LIMIT_DEFAULT;
	struct err e;
	int ch, rc;

	err_clear(&e);
	memset(a, 0, sizeof(*a));
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "+:", stats_opts, NULL)) != -1) {
		switch (ch) {
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 't': a->o.topic = optarg; break;
		case 'm': a->member_arg = optarg; break;
		case 'p': a->pseudonyms = 1; break;
		case 'l':
			if ((rc = cli_parse_num("--limit", optarg, 1,
						STATS_LIMIT_MAX, &limit, &e)) < 0)
				return cli_finish(rc, &e, use);
			break;
		case 'j':
			if (html)
				return cli_usage(use, "unknown option '--json'");
			a->json = 1;
			break;
		case 'H':
			if (!html)
				return cli_usage(use, "unknown option '--html'");
			a->html = optarg;
			break;
		case 'h': return cli_help(hlp);
		default: return cli_bad_option(ch, argv, stats_opts, use);
		}
	}
	if (optind < argc)
		return cli_unexpected(use, argv[optind]);
	if (html && (!a->html || !a->html[0]))
		return cli_usage(use, "--html needs a FILE");
	if (a->o.topic && (rc = cli_check_line("--topic", a->o.topic,
					       PAYLOAD_TOPIC_MAX, 0, &e)) < 0)
		return cli_finish(rc, &e, use);
	a->o.now = (int64_t)clock_wall_ms();
	today = a->o.now / STATS_DAY_MS;
	to = today;
	/* the Monday of this week (1970-01-01 was a Thursday), 7 weeks back */
	from = today - (today + 3) % 7 - 7 * (STATS_WEEKS_DEFAULT - 1);
	if (from < 0)
		from = 0; /* a clock in January 1970: a Pi without a battery */
	if ((since && (rc = parse_date("--since", since, &from, &e)) < 0) ||
	    (until && (rc = parse_date("--until", until, &to, &e)) < 0))
		return cli_finish(rc, &e, use);
	if (from > today)
		return cli_finish(err_set(&e, STOA_EUSAGE, "the window starts "
					  "(%s) after today (UTC): nothing is "
					  "known of it yet", since), &e, use);
	if (to < from)
		return cli_finish(err_set(&e, STOA_EUSAGE, "the window ends "
					  "(%s) before it starts (%s)",
					  until ? until : "today",
					  since ? since : "by default"), &e, use);
	if ((to - from + 1 + 6) / 7 > STATS_WEEKS_MAX)
		return cli_finish(err_set(&e, STOA_EUSAGE, "the window is %"
					  PRId64 " weeks long: at most %d",
					  (to - from + 1 + 6) / 7,
					  STATS_WEEKS_MAX), &e, use);
	a->o.start = from * STATS_DAY_MS;
	a->o.end = (to + 1) * STATS_DAY_MS;
	a->o.limit = (unsigned)limit;
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, use);
	if (a->member_arg) {
		int removed = 0;

		if ((rc = cli_resolve_member(c, a->member_arg, a->member, &e)) < 0 ||
		    (rc = view_gov_role(c->home.store, a->member, &removed,
					&e)) < 0)
			return cli_finish(rc, &e, use);
		if (removed) {
			char *clean = text_clean(a->member_arg, 0);

			rc = err_set(&e, STOA_EINVAL, "'%s' was removed from the "
				     "community: stats leave removed members "
				     "out", clean ? clean : "?");
			free(clean);
			return cli_finish(rc, &e, use);
		}
		a->o.member = a->member;
	}
	if (a->pseudonyms) {
		uint8_t founder[KEY_PUBLIC_LEN] = { 0 };
		static const char domain[] = "stoa-pseudonym-v1";

		/* stable for the community: its founder's key (every
		 * rotation of the secret keeps it) */
		if (!store_founder(c->home.store, founder))
			hash_blake2b(founder, c->home.community.name,
				     strlen(c->home.community.name));
		hash_blake2b2(a->pkey, domain, sizeof(domain) - 1, founder,
			      KEY_PUBLIC_LEN);
		a->o.pseudonym_key = a->pkey;
	}
	return CLI_CONTINUE;
}

int cli_stats_compute(struct cli *c, struct cli_stats_args *a, json_t **out,
		   struct err *e)
{
	int rc = stats_compute(c->home.store, &a->o, out, e);

	if (rc == 0 && json_object_set_new(*out, "community", json_string(
			c->home.community.name)) < 0)
		rc = err_set(e, STOA_ENOMEM, "out of memory");
	return rc;
}

/* ---- text ------------------------------------------------------------- */

static const json_t *get(const json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o ? json_object_get(o, path) : NULL;
}

static json_int_t num(const json_t *o, const char *path)
{
	const json_t *v = get(o, path);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* A duration in the unit a reader thinks in: "45 min", "5.2 h",
 * "3.5 days"; "-" for null. */
static void duration(const json_t *v, char out[32])
{
	double ms;

	if (!json_is_integer(v)) {
		snprintf(out, 32, "-");
		return;
	}
	ms = (double)json_integer_value(v);
	/* the unit after rounding: 59.6 s is "1 min", not "60 s" */
	if (ms < 59500.0)
		snprintf(out, 32, "%.0f s", ms / 1000.0);
	else if (ms < 3570000.0)
		snprintf(out, 32, "%.0f min", ms / 60000.0);
	else if (ms < 2 * 86400000.0)
		snprintf(out, 32, "%.1f h", ms / 3600000.0);
	else
		snprintf(out, 32, "%.1f days", ms / 86400000.0);
}

static void percent(const json_t *v, char out[16])
{
	if (json_is_number(v))
		snprintf(out, 16, "%.0f%%", 100.0 * json_number_value(v));
	else
		snprintf(out, 16, "-");
}

/* One sparkline of the weeks' values of key, scaled to their maximum
 * (a null is a space). */
#define SPARK_WEEKS 26 /* a sparkline shows the last 26 weeks at most */

static void sparkline(const json_t *weeks, const char *key)
{
	static const char *const bars[8] = { "\u2581", "\u2582", "\u2583",
		"\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	double max = 0;
	size_t i;
	json_t *w;

	size_t from = json_array_size(weeks) > SPARK_WEEKS ?
		      json_array_size(weeks) - SPARK_WEEKS : 0;

	json_array_foreach(weeks, i, w) {
		const json_t *v = json_object_get(w, key);

		if (i >= from && json_is_number(v) && json_number_value(v) > max)
			max = json_number_value(v);
	}
	json_array_foreach(weeks, i, w) {
		const json_t *v = json_object_get(w, key);

		if (i < from)
			continue;
		if (!json_is_number(v))
			fputs(" ", stdout);
		else
			fputs(bars[max > 0 ? (int)(7.0 * json_number_value(v) /
						  max + 0.5) : 0], stdout);
	}
}

/* s cleaned of control characters, at most width columns (cut at a
 * character, with "..." at the end if cut). */
static void print_cut(const char *s, size_t width)
{
	char *clean = text_clean(s, 0);
	size_t w = 0, i;

	if (!clean) {
		fputs("?", stdout);
		return;
	}
	if (text_width(clean) > width && width > 3) {
		for (i = 0; clean[i]; i++) {
			if (((unsigned char)clean[i] & 0xc0) != 0x80 &&
			    ++w > width - 3)
				break;
		}
		clean[i] = '\0';
		fputs(clean, stdout);
		fputs("...", stdout);
	} else {
		fputs(clean, stdout);
	}
	free(clean);
}

static void name_of(const json_t *row)
{
	const char *name = row_str(row, "name", "");

	if (name[0])
		print_cut(name, 25);
	else
		printf("[%.8s]", row_str(row, "key", "?"));
}

/* The member's name (or "[key prefix]") padded to width columns. */
static void name_cell(const json_t *row, size_t width)
{
	char key[16];
	const char *name = row_str(row, "name", "");

	if (!name[0]) {
		snprintf(key, sizeof(key), "[%.8s]", row_str(row, "key", "?"));
		name = key;
	}
	print_padded(stdout, name, width);
}

static void ago(int64_t as_of, const json_t *v, char out[32])
{
	json_t *d;

	if (!json_is_integer(v)) {
		snprintf(out, 32, "never");
		return;
	}
	d = json_integer(as_of - json_integer_value(v) < 0 ? 0 :
			 as_of - json_integer_value(v));
	duration(d, out);
	json_decref(d);
	strncat(out, " ago", 31 - strlen(out));
}

/* "s" unless n is 1: "1 member", "2 members". */
static const char *plural_s(json_int_t n)
{
	return n == 1 ? "" : "s";
}

/* "N more: --limit" under a list that shows fewer rows than it has. */
static void more(const json_t *list, json_int_t total)
{
	if ((json_int_t)json_array_size(list) < total)
		printf("    ... and %" JSON_INTEGER_FORMAT " more (--limit)\n",
		       total - (json_int_t)json_array_size(list));
}

/* --member's name, or "[key prefix]" for a member with none. */
static void member_named(const json_t *s)
{
	if (json_is_string(get(s, "window.member_name")))
		print_cut(json_string_value(get(s, "window.member_name")), 40);
	else
		printf("[%.8s]", json_string_value(get(s, "window.member")) ?
		       json_string_value(get(s, "window.member")) : "?");
}

static void print_header(const json_t *s)
{
	const json_t *fresh = get(s, "freshness.members");
	/* ages of this node's own knowledge: at the moment it ran */
	int64_t as_of = num(s, "window.as_of"), now = num(s, "generated");
	int64_t oldest = INT64_MAX;
	char when[32], last[32];
	size_t i, unknown = 0;
	json_t *m;

	format_time(as_of, when);
	fputs("stoa stats: ", stdout);
	print_text(stdout, json_string_value(get(s, "community")) ?
		   json_string_value(get(s, "community")) : "?", 0, NULL);
	printf(", %s to %s\n", json_string_value(get(s, "window.since")),
	       json_string_value(get(s, "window.until")));
	printf("as of %s; %" JSON_INTEGER_FORMAT " member%s\n", when,
	       num(s, "members"), plural_s(num(s, "members")));
	if (json_is_string(get(s, "window.topic"))) {
		fputs("topic: ", stdout);
		print_cut(json_string_value(get(s, "window.topic")), 70);
		putchar('\n');
	}
	if (json_is_string(get(s, "window.member"))) {
		fputs("the view of: ", stdout);
		member_named(s);
		putchar('\n');
	}
	json_array_foreach(fresh, i, m) {
		const json_t *r = json_object_get(m, "received");

		if (!json_is_integer(r))
			unknown++;
		else if (json_integer_value(r) < oldest)
			oldest = json_integer_value(r);
	}
	ago(now, get(s, "freshness.last_sync"), last);
	printf("last sync with a peer: %s", last);
	if (oldest != INT64_MAX) {
		json_t *o = json_integer(oldest);

		ago(now, o, last);
		json_decref(o);
		printf("; stalest feed: %s", last);
	}
	putchar('\n');
	if (unknown)
		printf("(%zu feed%s last received before this node's upgrade: "
		       "when is not known)\n", unknown, unknown == 1 ? "" : "s");
}

/* "this week so far" if the last week is still running at as_of, else
 * "the last week". */
static const char *last_week(const json_t *s, const json_t *last)
{
	int64_t end = row_int(last, "start", 0) + STATS_WEEK_MS;

	if (end > num(s, "window.end"))
		end = num(s, "window.end");
	return end > num(s, "window.as_of") ? "this week so far" : "the last week";
}

static void print_weeks(const json_t *s)
{
	const json_t *weeks = get(s, "weeks"), *last;
	json_int_t fresh = 0, wrote = 0, recent = 0;
	char a[16], b[16];
	size_t n = json_array_size(weeks), i;
	json_t *w;

	if (!n)
		return;
	last = json_array_get(weeks, n - 1);
	printf("\nParticipation (%zu week%s from %s%s)\n", n, n == 1 ? "" : "s",
	       row_str(json_array_get(weeks, 0), "label", "?"),
	       n > SPARK_WEEKS ? "; the lines show the last 26" : "");
	fputs("  active members   ", stdout);
	sparkline(weeks, "active");
	percent(json_object_get(last, "rate"), a);
	printf("  %s: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " (%s)\n", last_week(s, last), row_int(last, "active", 0),
	       row_int(last, "members", 0), a);
	fputs("  stickiness       ", stdout);
	sparkline(weeks, "stickiness");
	percent(json_object_get(last, "stickiness"), b);
	printf("  %s: %s of the month's active\n", last_week(s, last), b);
	fputs("  new members      ", stdout);
	sparkline(weeks, "new");
	json_array_foreach(weeks, i, w) {
		fresh += row_int(w, "new", 0);
		wrote += row_int(w, "new_wrote_7d", 0);
		recent += row_int(w, "new_recent", 0);
	}
	printf("  %" JSON_INTEGER_FORMAT " joined, %" JSON_INTEGER_FORMAT
	       " wrote within 7 days", fresh, wrote);
	if (recent)
		printf(" (%" JSON_INTEGER_FORMAT " too recent)", recent);
	putchar('\n');
}

static void print_cohorts(const json_t *s)
{
	const json_t *cohorts = get(s, "cohorts");
	size_t i, k;
	json_t *c;

	if (!json_array_size(cohorts))
		return;
	fputs("\nRetention: share of each join week still active k weeks "
	      "later\n  joined      size", stdout);
	for (k = 1; k <= STATS_COHORT_WEEKS; k++)
		printf("  %4zu", k);
	putchar('\n');
	json_array_foreach(cohorts, i, c) {
		const json_t *sh = json_object_get(c, "share");

		printf("  %-10s %5" JSON_INTEGER_FORMAT, row_str(c, "week", "?"),
		       row_int(c, "size", 0));
		for (k = 0; k < STATS_COHORT_WEEKS; k++) {
			char p[16];

			percent(json_array_get(sh, k), p);
			printf("  %4s", p);
		}
		putchar('\n');
	}
}

static void print_questions(const json_t *s)
{
	const json_t *q = get(s, "questions");
	char m1[32], p1[32], m2[32], p2[32], age[32], when[32];
	size_t i;
	json_t *u;

	duration(get(q, "first_reply.median"), m1);
	duration(get(q, "first_reply.p90"), p1);
	duration(get(q, "first_helpful.median"), m2);
	duration(get(q, "first_helpful.p90"), p2);
	printf("\nQuestions: %" JSON_INTEGER_FORMAT " asked, %"
	       JSON_INTEGER_FORMAT " answered\n", num(q, "asked"),
	       num(q, "answered"));
	printf("  first reply     median %s, 90%% within %s  ", m1, p1);
	sparkline(get(s, "weeks"), "first_reply_median");
	printf("\n  first helpful   median %s, 90%% within %s\n", m2, p2);
	if (!num(q, "unanswered_total"))
		return;
	printf("  unanswered for 48 hours or more: %" JSON_INTEGER_FORMAT
	       " (oldest first)\n", num(q, "unanswered_total"));
	json_array_foreach(get(q, "unanswered"), i, u) {
		const char *title = row_str(u, "title", NULL);

		format_time(row_int(u, "ts", 0), when);
		duration(json_object_get(u, "age_ms"), age);
		printf("    %.8s  %s  ", row_str(u, "id", "?"), when);
		name_of(u);
		printf("  (%s)\n      [", age);
		print_cut(row_str(u, "topic", ""), 20);
		fputs("] ", stdout);
		if (title) {
			print_cut(title, 50);
		} else { /* the start of the body, quoted */
			putchar('"');
			print_cut(row_str(u, "excerpt", ""), 48);
			putchar('"');
		}
		putchar('\n');
	}
	more(get(q, "unanswered"), num(q, "unanswered_total"));
}

static int cmp_by_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(row_str(x, "name", "\xff"), row_str(y, "name", "\xff"));

	return c ? c : strcmp(row_str(x, "key", ""), row_str(y, "key", ""));
}

/* The member rows of list that gave or received something, by name. */
static void print_given(const json_t *list, const char *third)
{
	json_t **rows;
	size_t i, n = 0;
	json_t *r;

	if (!(rows = calloc(json_array_size(list) + 1, sizeof(*rows)))) {
		puts("  (the members' table: out of memory)");
		return;
	}
	json_array_foreach(list, i, r)
		if (row_int(r, "given", 0) || row_int(r, "received", 0))
			rows[n++] = r;
	qsort(rows, n, sizeof(*rows), cmp_by_name);
	if (n)
		printf("  %-24s %7s %9s%s\n", "member", "given", "received",
		       third ? "  from (people)" : "");
	for (i = 0; i < n; i++) {
		fputs("  ", stdout);
		name_cell(rows[i], 25);
		printf("%7" JSON_INTEGER_FORMAT " %9" JSON_INTEGER_FORMAT,
		       row_int(rows[i], "given", 0),
		       row_int(rows[i], "received", 0));
		if (third)
			printf("  %13" JSON_INTEGER_FORMAT,
			       row_int(rows[i], third, 0));
		putchar('\n');
	}
	free(rows);
}

/* "given", or with --member "given or received by NAME". */
static void given_by(const json_t *s)
{
	if (!json_is_string(get(s, "window.member"))) {
		fputs("given", stdout);
		return;
	}
	fputs("given or received by ", stdout);
	member_named(s);
}

static void print_feedback_figures(const json_t *s)
{
	const json_t *f = get(s, "feedback");
	size_t i;
	json_t *r;

	printf("\nFeedback: %" JSON_INTEGER_FORMAT " ", num(f, "given"));
	given_by(s);
	printf(", %" JSON_INTEGER_FORMAT " marked helpful\n", num(f, "helpful"));
	json_array_foreach(get(f, "topics"), i, r) {
		char p[16];

		percent(json_object_get(r, "share"), p);
		fputs("  ", stdout);
		print_padded(stdout, row_str(r, "topic", ""), 25);
		printf("%7" JSON_INTEGER_FORMAT " feedback, %s helpful\n",
		       row_int(r, "feedback", 0), p);
	}
	more(get(f, "topics"), num(f, "topics_total"));
	print_given(get(f, "members"), "received_from");
}

static void print_mentoring(const json_t *s)
{
	const json_t *m = get(s, "mentoring");
	char cov[16], wait[32];
	size_t i;
	json_t *r;

	percent(get(m, "coverage"), cov);
	printf("\nMentoring: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
	       " learners have a mentor (%s)  ", num(m, "learners_paired"),
	       num(m, "learners"), cov);
	sparkline(get(s, "weeks"), "learners_paired");
	printf("\n  %" JSON_INTEGER_FORMAT " pairing%s (%" JSON_INTEGER_FORMAT
	       " closed), %" JSON_INTEGER_FORMAT " session%s, %"
	       JSON_INTEGER_FORMAT " minutes\n", num(m, "pairings"),
	       plural_s(num(m, "pairings")), num(m, "closed"),
	       num(m, "sessions"), plural_s(num(m, "sessions")),
	       num(m, "minutes"));
	printf("  learners who became mentors: %zu\n",
	       json_array_size(get(m, "became_mentors")));
	if (!num(m, "waiting_total"))
		return;
	printf("  waiting for a mentor: %" JSON_INTEGER_FORMAT "\n",
	       num(m, "waiting_total"));
	json_array_foreach(get(m, "waiting"), i, r) {
		duration(json_object_get(r, "waiting_ms"), wait);
		fputs("    ", stdout);
		name_of(r);
		fputs("  [", stdout);
		print_text(stdout, row_str(r, "topic", ""), 0, NULL);
		printf("]  waiting %s\n", wait);
	}
	more(get(m, "waiting"), num(m, "waiting_total"));
}

static void print_kudos(const json_t *s)
{
	const json_t *k = get(s, "kudos");
	json_int_t members = num(s, "members");
	char top[16];
	size_t i;
	json_t *r;

	printf("\nKudos: %" JSON_INTEGER_FORMAT " ", num(k, "given"));
	given_by(s);
	putchar('\n');
	if (json_is_number(get(k, "top10_share"))) {
		percent(get(k, "top10_share"), top);
		printf("  the %" JSON_INTEGER_FORMAT " member%s who received most "
		       "(the top tenth) hold%s %s of them\n", (members + 9) / 10,
		       (members + 9) / 10 == 1 ? "" : "s",
		       (members + 9) / 10 == 1 ? "s" : "", top);
	}
	json_array_foreach(get(k, "badges"), i, r) {
		fputs("  ", stdout);
		print_padded(stdout, row_str(r, "badge", ""), 25);
		printf("%7" JSON_INTEGER_FORMAT "\n", row_int(r, "count", 0));
	}
	more(get(k, "badges"), num(k, "badges_total"));
	print_given(get(k, "members"), NULL);
}

static void print_people(const json_t *s)
{
	int64_t now = num(s, "generated");
	char when[32], got[32], count[48];
	size_t i;
	json_t *r;

	if (num(s, "at_risk_total")) {
		printf("\nAt risk: %" JSON_INTEGER_FORMAT " member%s wrote "
		       "nothing for 14 days or more\n", num(s, "at_risk_total"),
		       plural_s(num(s, "at_risk_total")));
		json_array_foreach(get(s, "at_risk"), i, r) {
			ago(now, json_object_get(r, "received"), got);
			fputs("  ", stdout);
			name_cell(r, 25);
			printf("%4" JSON_INTEGER_FORMAT " days silent; feed "
			       "received %s\n", row_int(r, "days_silent", 0), got);
		}
		more(get(s, "at_risk"), num(s, "at_risk_total"));
	}
	fputs("\nData freshness: when this node last received each member's "
	      "feed, stalest first\n", stdout);
	json_array_foreach(get(s, "freshness.members"), i, r) {
		ago(now, json_object_get(r, "received"), got);
		format_time(row_int(r, "newest_ts", 0), when);
		fputs("  ", stdout);
		name_cell(r, 25);
		snprintf(count, sizeof(count), "%" JSON_INTEGER_FORMAT " entr%s,",
			 row_int(r, "seq", 0),
			 row_int(r, "seq", 0) == 1 ? "y" : "ies");
		printf("%-15s %13s newest %.10s\n", got, count, when);
	}
}

/* "clock: NAME: N entries dated WHAT, not counted", a line a member. */
static void clock_lines(const json_t *list, const char *what)
{
	size_t i;
	json_t *r;

	json_array_foreach(list, i, r) {
		fputs("clock: ", stdout);
		name_of(r);
		printf(": %" JSON_INTEGER_FORMAT " entr%s dated %s, not counted\n",
		       row_int(r, "entries", 0),
		       row_int(r, "entries", 0) == 1 ? "y" : "ies", what);
	}
}

/* Wrong clocks: said even when nobody counts (they may be why). */
static void print_clocks(const json_t *s)
{
	clock_lines(get(s, "clock.ahead"), "ahead");
	clock_lines(get(s, "clock.behind"), "before the community began");
}

/* Whether any member was active in any week of the window. */
static int active_at_all(const json_t *s)
{
	size_t i;
	json_t *w;

	json_array_foreach(get(s, "weeks"), i, w)
		if (row_int(w, "active", 0))
			return 1;
	return 0;
}

static void print_stats(const json_t *s)
{
	print_header(s);
	if (!num(s, "members")) {
		puts("\nNo member had joined by the end of this window.");
	} else if (!active_at_all(s)) {
		puts("\nNo activity in this window.");
		print_people(s);
	} else {
		print_weeks(s);
		print_cohorts(s);
		print_questions(s);
		print_feedback_figures(s);
		print_mentoring(s);
		print_kudos(s);
		print_people(s);
	}
	print_clocks(s);
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	struct cli_stats_args a;
	json_t *s = NULL;
	struct err e;
	int rc;

	rc = cli_stats_args(c, argc, argv, 0, &a, usage, help);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	rc = cli_stats_compute(c, &a, &s, &e);
	if (rc == 0) {
		if (a.json)
			rc = print_json(stdout, s);
		else
			print_stats(s);
		if (rc == 0 && ferror(stdout))
			rc = STOA_EIO;
		if (rc < 0)
			rc = err_set(&e, rc, "cannot write the figures");
	}
	json_decref(s);
	return cli_finish(rc, &e, usage);
}
