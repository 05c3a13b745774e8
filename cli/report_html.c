/*
 * report_html: `stoa report --html`'s document. It turns the figures of
 * docs/stats.md §5 (the JSON object stats_compute makes) into one
 * self-contained HTML5 file (§6): inline CSS with a print stylesheet for
 * A4, inline SVG charts drawn by html.c, a Content-Security-Policy that
 * allows nothing but the inline style, and no script, font, image or link
 * to anything: a facilitator can open it offline, on a phone, print it
 * or mail it. It never reads the store, a clock or the network: the same
 * JSON gives the same bytes. Every text from the JSON came from members
 * and goes through html_text (escaped, controls removed); a null figure
 * is "—" or a gap, never NaN. It writes to a FILE it does not own and
 * checks the FILE's error state once at the end; making the file whole
 * or not at all (a temporary file, then rename) is the caller's.
 *
 * The hooks the tests count (tests/integration/t51-report-html.sh):
 *   <figure class="chart" data-chart="C">: one per chart, C is
 *     active, rate, first-reply, mentoring (always, unless the report is
 *     empty), feedback-topics, kudos-badges (when their list is not
 *     empty); each holds one <svg role="img" aria-label="..."> and one
 *     <details> with a <table class="numbers">
 *   <circle|rect|path class="point" data-series="S">: one per week whose
 *     field S is not null, S being the field of weeks[]: active,
 *     monthly_active, members (chart active), rate, stickiness (rate),
 *     first_reply_median, first_reply_p90 (first-reply); the n-th line
 *     of a chart has its own mark (circle, square, diamond), the same in
 *     its legend key (class "mark"), so that lines on top of each
 *     other still show
 *   <p class="note overlap" data-series="S1 S2">: under a line chart,
 *     one per group of lines equal in every week
 *   <g class="xlabels">: the week labels, always the first and the last
 *     week's; a label of class wide-only or narrow-only shows only on a
 *     wide screen or a phone
 *   <rect class="bar" data-chart="C" data-series="S">: mentoring: one per
 *     week for each S of learners, learners_paired; feedback-topics: one
 *     per feedback.topics[] row (the first HTML_BARS_MAX) for each S of
 *     feedback, helpful; kudos-badges: one per kudos.badges[] row for
 *     S count
 *   <table class="cohorts"> (in <figure data-chart="cohorts">): one
 *     <tr data-week> per cohorts[] row, its cells <td data-share> (empty
 *     for null) shaded by class shade-0..shade-10
 *   <ol class="unanswered">, <ol class="waiting">: one <li> per row of
 *     questions.unanswered[], mentoring.waiting[]; a question without a
 *     title shows its "excerpt" in <span class="excerpt">
 *   <p class="lead member-view">: with --member, "NAME's own view" when
 *     window.member_name is a name, else "One member's own view"
 *   the numbers of chart active: a column "New, still in their first 7
 *     days" beside "New, wrote within 7 days", if weeks[] have
 *     "new_recent"
 *   <table class="at-risk">, <table class="freshness">: one <tbody> <tr>
 *     per row of at_risk[], freshness.members[]; freshness rows carry
 *     data-staleness="fresh|stale|old" (received < 1 day, < 7 days,
 *     older or null, at "generated"), and so does each at-risk row's
 *     <td class="heard"> (its "Last heard from") if the rows have
 *     "received"
 *   <dl class="figures"> of participation: the last week named "this
 *     week so far (since LABEL)" if it ends after as_of, else "the last
 *     week (LABEL)"; then each week chart's note says it is not over
 *   a list, table or bar chart with no row is not written (a line says
 *   so instead)
 *   <section class="clock">: only if a clock warning exists
 *   <p class="empty">No activity in this window</p>: the empty report
 *     (no member, or no member active in any week): no chart at all
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define HOUR_MS 3600000.0
#define DAY_MS 86400000.0
#define TIME_MS_MAX 253402300799999LL  /* 9999-12-31 23:59:59.999 */
#define NAME_CHARS 64                  /* PAYLOAD_NAME_MAX's characters */
#define TOPIC_CHARS 64
#define TITLE_CHARS 200
#define BADGE_CHARS 32
#define EXCERPT_CHARS 160

static const char css[] =
	":root{color-scheme:light}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0 auto;max-width:72rem;padding:1rem;color:#1a1a1a;"
	"background:#fff;font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
	"Roboto,'Noto Sans',sans-serif}\n"
	"h1{font-size:1.6rem;line-height:1.25;margin:.2rem 0 .6rem}\n"
	"h2{font-size:1.25rem;margin:2.2rem 0 .6rem;padding-bottom:.2rem;"
	"border-bottom:2px solid #dde3ea}\n"
	".kicker{margin:0;color:#4a5560;font-size:.9rem;letter-spacing:.04em;"
	"text-transform:uppercase}\n"
	".lead{margin:.3rem 0;color:#333}\n"
	".window{font-size:1.15rem;font-weight:600;margin:.2rem 0}\n"
	".facts,.figures{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(10rem,1fr));gap:.5rem;margin:.8rem 0;padding:0}\n"
	".facts div,.figures div{background:#f3f6f9;border-radius:6px;"
	"padding:.4rem .6rem}\n"
	"dt{font-size:.8rem;color:#4a5560}\n"
	"dd{margin:0;font-size:1.15rem;font-weight:600}\n"
	".complete{border-left:4px solid #b7791f;background:#fdf6e3;"
	"padding:.5rem .8rem;margin:.8rem 0}\n"
	".empty{font-size:1.2rem;font-weight:600;padding:1rem;border:2px "
	"dashed #b8c2cc;border-radius:6px;text-align:center}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(min(100%,26rem),1fr));gap:1.5rem;align-items:start}\n"
	"figure{margin:0;min-width:0}\n"
	"figcaption{font-weight:600;margin-bottom:.3rem}\n"
	"svg.plot{display:block;width:100%;height:auto;max-width:40rem}\n"
	".plot text{font-size:13px;fill:#333}\n"
	".plot .axis-label{font-weight:600;fill:#222}\n"
	".plot .empty{font-size:15px;fill:#666}\n"
	".plot .narrow-only{display:none}\n"
	".grid line{stroke:#e3e7eb}\n"
	".axis{stroke:#555;stroke-width:1.2}\n"
	/* lines that coincide stay apart: a wide solid one under a dashed
	 * one under a dotted one, each point a circle, a hollow square
	 * around it, a diamond inside it (html.c's mark_open) */
	".line{fill:none;stroke-width:2.5}\n"
	".line.s0{stroke:#1f5fbf;stroke-width:4}\n"
	".line.s1{stroke:#b45309;stroke-dasharray:8 5}\n"
	".line.s2{stroke:#27303b;stroke-width:2.5;stroke-dasharray:.5 5.5;"
	"stroke-linecap:round}\n"
	".point.s0,.mark.s0{fill:#1f5fbf}\n"
	".point.s1,.mark.s1{fill:none;stroke:#b45309;stroke-width:2}\n"
	".point.s2,.mark.s2{fill:#27303b;stroke:#fff;stroke-width:1}\n"
	".bar.s0,.swatch.s0{fill:#b9cfee}\n"
	".bar.s1,.swatch.s1{fill:#1f5fbf}\n"
	".legend{list-style:none;padding:0;margin:.3rem 0;display:flex;"
	"flex-wrap:wrap;gap:.2rem 1.2rem;font-size:.9rem}\n"
	".key{width:36px;height:16px;vertical-align:middle;"
	"margin-right:.35rem}\n"
	".note{font-size:.9rem;color:#4a5560;margin:.3rem 0}\n"
	"details{margin:.4rem 0}\n"
	"summary{cursor:pointer;color:#1f4f99}\n"
	".scroll{overflow-x:auto;max-width:100%}\n"
	"table{border-collapse:collapse;font-size:.9rem;margin:.3rem 0}\n"
	"th,td{padding:.25rem .55rem;border-bottom:1px solid #e3e7eb;"
	"text-align:right;vertical-align:top}\n"
	"th:first-child,td:first-child{text-align:left}\n"
	"th.fresh-status,td.fresh-status{text-align:left}\n"
	"thead th{font-weight:600;color:#333;border-bottom:2px solid "
	"#cbd3db}\n"
	"ol.unanswered,ol.waiting{padding-left:1.4rem}\n"
	"ol li{margin:.35rem 0}\n"
	".meta{color:#4a5560;font-size:.9rem}\n"
	".topic{color:#1f4f99}\n"
	"code{font-size:.85rem}\n"
	".nw{white-space:nowrap}\n"
	".excerpt{font-style:italic}\n"
	"td:first-child{overflow-wrap:anywhere}\n"
	".na{color:#888}\n"
	".shade-0{background:#f7fafd}.shade-1{background:#e9f1fa}"
	".shade-2{background:#dce7f7}.shade-3{background:#cedef4}"
	".shade-4{background:#c0d5f1}.shade-5{background:#b3ccef}"
	".shade-6{background:#a5c2ec}.shade-7{background:#97b9e9}"
	".shade-8{background:#89b0e6}.shade-9{background:#7ca6e3}"
	".shade-10{background:#6e9de0}\n"
	".status{white-space:nowrap;font-weight:600;border-radius:4px;"
	"padding:0 .4rem}\n"
	".status.fresh{background:#dcf2e0;color:#14532d}\n"
	".status.stale{background:#fdefc3;color:#713f12}\n"
	".status.old{background:#fbdcdc;color:#7f1d1d}\n"
	"footer{margin-top:2.5rem;font-size:.85rem;color:#4a5560}\n"
	".cohorts th,.cohorts td{white-space:nowrap}\n"
	/* a phone: chart text of 16 of the charts' 480 units, and charts no
	 * narrower than 330px (scrolled inside their figure on a screen
	 * narrower than 350px), so that it is 11px or more; the freshness
	 * table without the newest entry's date, its status wrapping, so
	 * that the status stays in sight */
	"@media (max-width:30rem){body{padding:.6rem;font-size:15px}"
	"h1{font-size:1.35rem}"
	"svg.plot{min-width:330px}figure.chart{overflow-x:auto}"
	".plot text,.plot .label,.plot .empty{font-size:16px}"
	".plot .wide-only{display:none}.plot .narrow-only{display:inline}"
	"th,td{padding:.25rem .35rem}"
	".freshness .newest{display:none}"
	".status{white-space:normal;display:inline-block}}\n"
	"@page{size:A4;margin:14mm}\n"
	"@media print{"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"body{max-width:none;padding:0;font-size:10pt;color:#000;"
	"background:#fff}"
	".charts{display:block}"
	"figure{margin:0 0 1rem}"
	"svg.plot{max-width:15cm}"
	"figure,table,tr,.facts,.figures,li,.complete,.empty{"
	"break-inside:avoid;page-break-inside:avoid}"
	"h2{break-after:avoid;page-break-after:avoid}"
	".facts div,.figures div{background:#fff;border:1px solid #ccc}"
	".complete{background:#fff}"
	"details{display:none}"
	".scroll{overflow:visible}"
	"table{font-size:8.5pt}"
	"th,td{padding:.1rem .3rem}"
	"}\n";

/* ---- reading the figures ------------------------------------------- */

static const json_t *get(const json_t *o, const char *key)
{
	return json_object_get(o, key);
}

static size_t rows_of(const json_t *a)
{
	size_t n = json_is_array(a) ? json_array_size(a) : 0;

	return n > HTML_ROWS_MAX ? HTML_ROWS_MAX : n;
}

static json_int_t int_of(const json_t *o, const char *key)
{
	const json_t *v = get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* ---- writing values ------------------------------------------------ */

static void put_int(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		fputs("—", f);
}

/* A number: whole as "48", else with one decimal ("47.5", never "48"
 * for 47.5); "—" for null. */
static void put_num(FILE *f, const json_t *v)
{
	double d = html_json_num(v), r;

	if (isnan(d)) {
		fputs("—", f);
		return;
	}
	r = round(d * 10) / 10;
	if (r == floor(r))
		fprintf(f, "%.0f", r);
	else
		fprintf(f, "%.1f", r);
}

static void put_share(FILE *f, const json_t *v)
{
	double d = html_json_num(v);

	if (isnan(d))
		fputs("—", f);
	else
		fprintf(f, "%.0f%%", d * 100);
}

/* A duration: "40 s", "12 min", "3.5 h", "4.2 days" (as `stoa stats`
 * says it); whole with whole. */
static void put_duration(FILE *f, double ms, int whole)
{
	if (isnan(ms))
		fputs("—", f);
	else if (ms < 0)
		fputs("0 s", f);
	else if (ms < 60000.0)
		fprintf(f, "%.0f s", ms / 1000.0);
	else if (ms < HOUR_MS)
		fprintf(f, "%.0f min", ms / 60000.0);
	else if (ms < 48 * HOUR_MS)
		fprintf(f, "%.*f h", whole ? 0 : 1, ms / HOUR_MS);
	else
		fprintf(f, "%.*f days", whole ? 0 : 1, ms / DAY_MS);
}

/* A UTC date of ms since the epoch ("2025-03-02", with_time "2025-03-02
 * 14:05 UTC"), or "—". The date and the time are each one unbreakable
 * <span class="nw">: a narrow column may put the time under the date,
 * never "2025-" over "03-02". */
static void put_time(FILE *f, const json_t *v, int with_time)
{
	char day[32], hm[32];
	json_int_t ms;
	struct tm tm;
	time_t t;

	if (!json_is_integer(v) || (ms = json_integer_value(v)) < 0 ||
	    ms > TIME_MS_MAX) {
		fputs("—", f);
		return;
	}
	t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, &tm) ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0 ||
	    strftime(hm, sizeof(hm), "%H:%M UTC", &tm) == 0) {
		fputs("—", f);
		return;
	}
	fprintf(f, "<span class=\"nw\">%s</span>", day);
	if (with_time)
		fprintf(f, " <span class=\"nw\">%s</span>", hm);
}

static void put_date(FILE *f, const json_t *v)
{
	put_time(f, v, 0);
}

static void put_datetime(FILE *f, const json_t *v)
{
	put_time(f, v, 1);
}

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

/* A member's name; "[1a2b3c4d]" (key prefix) if none; "(no name)". */
static void put_name(FILE *f, const json_t *row)
{
	const char *name = json_string_value(get(row, "name"));
	const char *key = json_string_value(get(row, "key"));

	if (name && name[0])
		html_text(f, name, NAME_CHARS);
	else if (key && is_hex(key, 8))
		fprintf(f, "[%.8s]", key);
	else
		fputs("(no name)", f);
}

/* A string field as text, or def (this file's own) if missing. */
static void put_str(FILE *f, const json_t *row, const char *key,
		    size_t max, const char *def)
{
	const char *s = json_string_value(get(row, key));

	if (s && s[0])
		html_text(f, s, max);
	else
		html_escape(f, def);
}

/* One item of a <dl class="figures">. */
static void item_open(FILE *f, const char *label)
{
	fputs("<div><dt>", f);
	html_escape(f, label);
	fputs("</dt><dd>", f);
}

static void item_close(FILE *f)
{
	fputs("</dd></div>\n", f);
}

static void item_int(FILE *f, const char *label, const json_t *v)
{
	item_open(f, label);
	put_int(f, v);
	item_close(f);
}

/* "and 12 more" under a list cut at --limit. */
static void more(FILE *f, size_t shown, const json_t *total,
		 const char *what)
{
	json_int_t n = json_is_integer(total) ? json_integer_value(total) : 0;

	if (n > 0 && (size_t)n > shown)
		fprintf(f, "<p class=\"note\">And %" JSON_INTEGER_FORMAT
			" more %s (--limit N lists more).</p>\n",
			n - (json_int_t)shown, what);
}

/* ---- the window's last week ---------------------------------------- */

/* Whether the window's last week is not over at as_of (its end, start +
 * 7 days or the window's end if sooner, is after as_of): most often the
 * week the report is made in, whose figures are only "so far". */
static int last_week_so_far(const json_t *st)
{
	const json_t *w = get(st, "window"), *weeks = get(st, "weeks");
	const json_t *last, *start, *end, *as_of;
	size_t n = rows_of(weeks);
	json_int_t stop;

	if (n == 0)
		return 0;
	last = json_array_get(weeks, n - 1);
	start = get(last, "start");
	end = get(w, "end");
	as_of = get(w, "as_of");
	if (!json_is_integer(start) || !json_is_integer(end) ||
	    !json_is_integer(as_of) || json_integer_value(start) < 0 ||
	    json_integer_value(start) > TIME_MS_MAX)
		return 0;
	stop = json_integer_value(start) + 7 * (json_int_t)DAY_MS;
	if (stop > json_integer_value(end))
		stop = json_integer_value(end);
	return stop > json_integer_value(as_of);
}

/* The last week's label ("2025-02-24"), or NULL. */
static const char *last_week_label(const json_t *st)
{
	const json_t *weeks = get(st, "weeks");
	size_t n = rows_of(weeks);

	return n ? json_string_value(get(json_array_get(weeks, n - 1),
					 "label")) : NULL;
}

/* One item of a <dl class="figures"> about the last week, named as
 * "Active this week so far (since 2025-02-24)" (so_far) or "Active in
 * the last week (2025-02-24)" (done). */
static void item_open_week(FILE *f, const json_t *st, const char *so_far,
			   const char *done)
{
	int now = last_week_so_far(st);

	fputs("<div><dt>", f);
	html_escape(f, now ? so_far : done);
	fputs(now ? " (since <span class=\"nw\">" : " (<span class=\"nw\">",
	      f);
	html_text(f, last_week_label(st) ? last_week_label(st) : "?", 10);
	fputs("</span>)</dt><dd>", f);
}

/* A week chart's note, and after it, if the last week is not over, that
 * its figures are so far: into buf (the JSON's label is cleaned and
 * escaped where the note is written, by html.c). */
static const char *week_note(const json_t *st, const char *note, char *buf,
			     size_t cap)
{
	const char *label = last_week_label(st);

	if (!last_week_so_far(st))
		return note;
	snprintf(buf, cap, "%s%sThis week (since %.10s) is not over: its "
		 "figures are so far.", note ? note : "", note ? " " : "",
		 label ? label : "?");
	return buf;
}

/* ---- staleness ------------------------------------------------------ */

enum stale { STALE_FRESH, STALE_SOME, STALE_OLD };

static const char *const stale_class[] = {"fresh", "stale", "old"};
static const char *const stale_text[] = {
	"✓ within a day", "! within a week", "✗ older or unknown"};
static const char *const stale_legend[] = {
	"this node received an entry of theirs in the last day",
	"in the last 7 days",
	"more than 7 days ago, or at an unknown time (stored by an older "
	"stoa)"};

/* How long ago this node last received a member's entries, at now. */
static enum stale staleness(const json_t *row, double now)
{
	double age = now - html_json_num(get(row, "received"));

	if (isnan(age))
		return STALE_OLD;
	if (age < DAY_MS)
		return STALE_FRESH;
	if (age < 7 * DAY_MS)
		return STALE_SOME;
	return STALE_OLD;
}

/* ---- the document ----------------------------------------------------- */

static void head(FILE *f, const json_t *st)
{
	const json_t *w = get(st, "window");

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"generator\" content=\"stoa " STOA_VERSION "\">\n"
	      "<title>", f);
	put_str(f, st, "community", HTML_LABEL_MAX, "Community");
	fputs(" report, ", f);
	put_str(f, w, "since", 10, "?");
	fputs(" to ", f);
	put_str(f, w, "until", 10, "?");
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

/* "how complete is this": the freshness of what this node holds. */
static void completeness(FILE *f, const json_t *st)
{
	const json_t *fr = get(st, "freshness"), *rows = get(fr, "members");
	double now = html_json_num(get(st, "generated"));
	size_t n = json_array_size(rows), i, by[3] = {0, 0, 0};

	for (i = 0; i < n; i++)
		by[staleness(json_array_get(rows, i), now)]++;
	fputs("<p class=\"complete\"><strong>How complete is this?</strong> ",
	      f);
	if (n == 0)
		fputs("This node holds no member's entries. ", f);
	else
		fprintf(f, "These figures come from what this node holds: the "
			"entries of %zu member%s; %zu received in the last "
			"day, %zu in the last 7 days, %zu longer ago or at an "
			"unknown time. ", n, n == 1 ? "" : "s",
			by[STALE_FRESH], by[STALE_SOME], by[STALE_OLD]);
	if (json_is_integer(get(fr, "last_sync"))) {
		fputs("Last sync with a peer: ", f);
		put_datetime(f, get(fr, "last_sync"));
		fputs(".", f);
	} else {
		fputs("This node has never synced with a peer: other members' "
		      "newest entries may be missing.", f);
	}
	fputs("</p>\n", f);
}

static void header(FILE *f, const json_t *st)
{
	const json_t *w = get(st, "window");
	const char *topic = json_string_value(get(w, "topic"));

	fputs("<header>\n<p class=\"kicker\">stoa · community report</p>\n"
	      "<h1>", f);
	put_str(f, st, "community", HTML_LABEL_MAX,
		"How the community is doing");
	fputs("</h1>\n<p class=\"window\">", f);
	put_str(f, w, "since", 10, "?");
	fputs(" to ", f);
	put_str(f, w, "until", 10, "?");
	fprintf(f, " <span class=\"meta\">(%zu week%s, dates in UTC)</span>"
		"</p>\n", rows_of(get(st, "weeks")),
		rows_of(get(st, "weeks")) == 1 ? "" : "s");
	if (topic) {
		fputs("<p class=\"lead\">Only the topic <strong>#", f);
		html_text(f, topic, TOPIC_CHARS);
		fputs("</strong>: its posts and replies, feedback on them and "
		      "mentoring on it (no kudos).</p>\n", f);
	}
	if (json_is_string(get(w, "member"))) {
		const char *name = json_string_value(get(w, "member_name"));

		fputs("<p class=\"lead member-view\">", f);
		if (name && name[0]) {
			fputs("<strong>", f);
			html_text(f, name, NAME_CHARS);
			fputs("</strong>'s own view", f);
		} else {
			fputs("One member's own view", f);
		}
		fputs(": what they wrote, and what others wrote to them.</p>\n",
		      f);
	}
	fputs("<dl class=\"facts\">\n", f);
	item_int(f, "Members", get(st, "members"));
	item_int(f, "Removed (not counted)", get(st, "removed"));
	item_open(f, "As of");
	/* a window that closed before now ends at the next day's 00:00:
	 * "2025-03-02, end of day" reads better than "2025-03-03 00:00" */
	if (json_is_integer(get(w, "as_of")) &&
	    json_equal(get(w, "as_of"), get(w, "end"))) {
		put_str(f, w, "until", 10, "?");
		fputs(", end of day", f);
	} else {
		put_datetime(f, get(w, "as_of"));
	}
	item_close(f);
	item_open(f, "Generated");
	put_datetime(f, get(st, "generated"));
	item_close(f);
	fputs("</dl>\n", f);
	completeness(f, st);
	fputs("</header>\n", f);
}

/* Whether anyone wrote anything in any week of the window. */
static int active_at_all(const json_t *st)
{
	const json_t *weeks = get(st, "weeks");
	size_t n = rows_of(weeks), i;

	if (int_of(st, "members") <= 0)
		return 0;
	for (i = 0; i < n; i++)
		if (int_of(json_array_get(weeks, i), "active") > 0)
			return 1;
	return 0;
}

static void empty(FILE *f, const json_t *st)
{
	fputs("<section class=\"participation\">\n<h2>Participation</h2>\n"
	      "<p class=\"empty\">No activity in this window</p>\n", f);
	if (int_of(st, "members") <= 0)
		fputs("<p class=\"lead\">This node holds no member's entries "
		      "for this window yet: there is nothing to chart. Sync "
		      "with the others (stoa sync, stoa serve), or choose "
		      "another window.</p>\n", f);
	else
		fputs("<p class=\"lead\">No member wrote anything in these "
		      "weeks, as far as this node knows: there is nothing to "
		      "chart.</p>\n", f);
	fputs("</section>\n", f);
}

/* ---- participation ---------------------------------------------------- */

static const struct html_series active_series[] = {
	{"active", "Active members", 1, NULL, 0, 1},
	{"monthly_active", "Active in the last 28 days", 1, NULL, 0, 1},
	{"members", "Members", 1, NULL, 0, 1},
	{"new", "New members", 1, NULL, 0, 0},
	{"new_wrote_7d", "New, wrote within 7 days", 1, NULL, 0, 0},
	/* last, so that figures without it (an older stoa) leave it out */
	{"new_recent", "New, still in their first 7 days", 1, NULL, 0, 0},
};

/* Whether the rows of weeks[] have a field (weeks[0] has it). */
static int weeks_have(const json_t *st, const char *key)
{
	return get(json_array_get(get(st, "weeks"), 0), key) != NULL;
}

static const struct html_series rate_series[] = {
	{"rate", "Participation rate", 100, "%", 0, 1},
	{"stickiness", "Stickiness (week / 28 days)", 100, "%", 0, 1},
};

static const char active_note[] =
	"Active: wrote something that week (a post, reply, feedback, "
	"mentoring record or kudos).";
static const char active_note_recent[] =
	"Active: wrote something that week (a post, reply, feedback, "
	"mentoring record or kudos). \"Wrote within 7 days\" is not final "
	"for the new members still in their first 7 days: it is too soon to "
	"tell for those of them who have not written yet.";

static void participation(FILE *f, const json_t *st)
{
	const json_t *weeks = get(st, "weeks");
	const json_t *last = json_array_get(weeks, rows_of(weeks) - 1);
	char note[512];
	struct html_chart c = {
		.hook = "active", .title = "Weekly active members",
		.x_label = "Week starting", .y_label = "Members",
		.rows = weeks, .label_key = "label", .label_head = "Week",
		.s = active_series, .y_min_top = 1, .whole = 1,
		.ns = weeks_have(st, "new_recent") ? 6 : 5,
		.note = week_note(st, weeks_have(st, "new_recent") ?
				  active_note_recent : active_note, note,
				  sizeof(note)),
	};

	fputs("<section class=\"participation\">\n<h2>Participation</h2>\n"
	      "<dl class=\"figures\">\n", f);
	item_open_week(f, st, "Active this week so far",
		       "Active in the last week");
	put_int(f, get(last, "active"));
	item_close(f);
	item_open_week(f, st, "Participation rate, this week so far",
		       "Participation rate, the last week");
	put_share(f, get(last, "rate"));
	item_close(f);
	item_int(f, "Active in the last 28 days", get(last, "monthly_active"));
	fputs("</dl>\n<div class=\"charts\">\n", f);
	html_line_chart(f, &c);
	c = (struct html_chart){
		.hook = "rate", .title = "Participation rate",
		.x_label = "Week starting", .y_label = "Share of members (%)",
		.rows = weeks, .label_key = "label", .label_head = "Week",
		.s = rate_series, .ns = 2, .y_min_top = 100, .whole = 1,
		.empty = "No members yet",
		.note = week_note(st, "Rate: active members over members. "
				  "Stickiness: active that week over active "
				  "in its 28 days.", note, sizeof(note)),
	};
	html_line_chart(f, &c);
	fputs("</div>\n</section>\n", f);
}

/* ---- retention ------------------------------------------------------ */

static void cohort_cell(FILE *f, const json_t *active, const json_t *share)
{
	double s = html_json_num(share);

	if (isnan(s)) {
		fputs("<td class=\"na\" data-share=\"\">—</td>", f);
		return;
	}
	if (s < 0)
		s = 0;
	if (s > 1)
		s = 1;
	fprintf(f, "<td class=\"shade-%d\" data-share=\"%.4f\">%.0f%% "
		"<span class=\"meta\">(", (int)(s * 10 + 0.5), s, s * 100);
	put_int(f, active);
	fputs(")</span></td>", f);
}

static void retention(FILE *f, const json_t *st)
{
	const json_t *co = get(st, "cohorts"), *row;
	size_t n = rows_of(co), i, k;

	fputs("<section class=\"retention\">\n<h2>Do newcomers stay?</h2>\n"
	      "<p class=\"lead\">Members who joined in the same week are a "
	      "cohort. Each cell is the share of the cohort (and how many) "
	      "who wrote something in the k-th week after joining; a darker "
	      "cell is a larger share, and the share is written in it. "
	      "— is a week not yet known.</p>\n", f);
	if (n == 0) {
		fputs("<p class=\"note\">Nobody joined in this window.</p>\n"
		      "</section>\n", f);
		return;
	}
	fputs("<figure data-chart=\"cohorts\">\n<figcaption>Cohort retention"
	      "</figcaption>\n<div class=\"scroll\"><table class=\"cohorts\">"
	      "\n<thead><tr><th scope=\"col\">Week joined</th>"
	      "<th scope=\"col\">Members</th>", f);
	for (k = 1; k <= 8; k++)
		fprintf(f, "<th scope=\"col\">Week %zu</th>", k);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++) {
		row = json_array_get(co, i);
		fputs("<tr data-week=\"", f);
		put_str(f, row, "week", 10, "");
		fputs("\"><th scope=\"row\">", f);
		put_str(f, row, "week", 10, "?");
		fputs("</th><td>", f);
		put_int(f, get(row, "size"));
		fputs("</td>", f);
		for (k = 0; k < 8; k++)
			cohort_cell(f, json_array_get(get(row, "active"), k),
				    json_array_get(get(row, "share"), k));
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n</figure>\n</section>\n", f);
}

/* ---- questions ------------------------------------------------------ */

static const struct html_series reply_series[] = {
	{"questions", "Questions asked", 1, NULL, 0, 0},
	{"answered", "Answered", 1, NULL, 0, 0},
	{"first_reply_median", "Median", 1 / HOUR_MS, " h", 1, 1},
	{"first_reply_p90", "90th percentile", 1 / HOUR_MS, " h", 1, 1},
};

/* "median 3.5 h, 90% within 20.1 h (12 questions)" */
static void put_times(FILE *f, const json_t *t)
{
	if (int_of(t, "n") <= 0) {
		fputs("—", f);
		return;
	}
	fputs("median ", f);
	put_duration(f, html_json_num(get(t, "median")), 0);
	fputs(", 90% within ", f);
	put_duration(f, html_json_num(get(t, "p90")), 0);
	fputs(" <span class=\"meta\">(", f);
	put_int(f, get(t, "n"));
	fputs(")</span>", f);
}

static void unanswered_item(FILE *f, const json_t *row)
{
	const char *id = json_string_value(get(row, "id"));

	const char *title = json_string_value(get(row, "title"));
	const char *excerpt = json_string_value(get(row, "excerpt"));

	fputs("<li>", f);
	if (title && title[0]) {
		fputs("<strong>", f);
		html_text(f, title, TITLE_CHARS);
		fputs("</strong>", f);
	} else if (excerpt && excerpt[0]) {
		/* no title: the start of what they asked, as they wrote it */
		fputs("<span class=\"excerpt\">“", f);
		html_text(f, excerpt, EXCERPT_CHARS);
		fputs("”</span>", f);
	} else {
		fputs("<strong>(no title)</strong>", f);
	}
	fputs(" <span class=\"topic\">#", f);
	put_str(f, row, "topic", TOPIC_CHARS, "?");
	fputs("</span><br><span class=\"meta\">asked by ", f);
	put_name(f, row);
	fputs(" on ", f);
	put_date(f, get(row, "ts"));
	fputs(" · waiting ", f);
	put_duration(f, html_json_num(get(row, "age_ms")), 1);
	if (id && strlen(id) == 64 && is_hex(id, 64))
		fprintf(f, " · <code>%.8s</code>", id);
	fputs("</span></li>\n", f);
}

static void questions(FILE *f, const json_t *st)
{
	const json_t *q = get(st, "questions"), *un = get(q, "unanswered");
	size_t n = rows_of(un), i;
	char note[512];
	struct html_chart c = {
		.hook = "first-reply", .title = "Time to first reply",
		.x_label = "Week the question was asked", .y_label = "Hours",
		.rows = get(st, "weeks"), .label_key = "label",
		.label_head = "Week", .s = reply_series, .ns = 4,
		.y_min_top = 1, .whole = 0,
		.empty = "No question was answered",
		.note = week_note(st, "From a question to the first reply by "
				  "another member; a week with no answered "
				  "question is a gap.", note, sizeof(note)),
	};

	fputs("<section class=\"questions\">\n<h2>Do questions get answered?"
	      "</h2>\n<dl class=\"figures\">\n", f);
	item_int(f, "Questions asked", get(q, "asked"));
	item_int(f, "Answered", get(q, "answered"));
	item_open(f, "First reply");
	put_times(f, get(q, "first_reply"));
	item_close(f);
	item_open(f, "First helpful feedback");
	put_times(f, get(q, "first_helpful"));
	item_close(f);
	item_int(f, "Unanswered after 48 hours", get(q, "unanswered_total"));
	fputs("</dl>\n<div class=\"charts\">\n", f);
	html_line_chart(f, &c);
	fputs("<div>\n<h3>Waiting for an answer</h3>\n", f);
	if (n == 0)
		fputs("<p class=\"note\">No question has waited 48 hours or "
		      "more.</p>\n", f);
	else
		fputs("<p class=\"note\">Oldest first; 48 hours or more "
		      "without a reply by another member.</p>\n"
		      "<ol class=\"unanswered\">\n", f);
	for (i = 0; i < n; i++)
		unanswered_item(f, json_array_get(un, i));
	if (n > 0)
		fputs("</ol>\n", f);
	more(f, n, get(q, "unanswered_total"), "questions");
	fputs("</div>\n</div>\n</section>\n", f);
}

/* ---- mentoring ------------------------------------------------------ */

static const struct html_series mentor_series[] = {
	{"learners", "Learners", 1, NULL, 0, 1},
	{"learners_paired", "Learners with a mentor", 1, NULL, 0, 1},
};

static void waiting_item(FILE *f, const json_t *row)
{
	fputs("<li>", f);
	put_name(f, row);
	fputs(" asked for a mentor on <span class=\"topic\">#", f);
	put_str(f, row, "topic", TOPIC_CHARS, "?");
	fputs("</span> <span class=\"meta\">on ", f);
	put_date(f, get(row, "ts"));
	fputs(" · waiting ", f);
	put_duration(f, html_json_num(get(row, "waiting_ms")), 1);
	fputs("</span></li>\n", f);
}

static void mentoring_figures(FILE *f, const json_t *m)
{
	fputs("<dl class=\"figures\">\n", f);
	item_open(f, "Learners with a mentor");
	put_int(f, get(m, "learners_paired"));
	fputs(" of ", f);
	put_int(f, get(m, "learners"));
	fputs(" <span class=\"meta\">(", f);
	put_share(f, get(m, "coverage"));
	fputs(")</span>", f);
	item_close(f);
	item_int(f, "Pairings open in the window", get(m, "pairings"));
	item_int(f, "Pairings closed", get(m, "closed"));
	item_int(f, "Sessions", get(m, "sessions"));
	item_int(f, "Minutes of sessions", get(m, "minutes"));
	item_open(f, "Sessions per pairing");
	put_num(f, get(m, "sessions_per_pairing"));
	item_close(f);
	item_open(f, "Minutes per pairing");
	put_num(f, get(m, "minutes_per_pairing"));
	item_close(f);
	fputs("</dl>\n", f);
}

static void became_mentors(FILE *f, const json_t *m)
{
	const json_t *b = get(m, "became_mentors");
	size_t n = rows_of(b), i;

	if (n == 0)
		return;
	fputs("<p class=\"lead\">Mentored, then mentors themselves: ", f);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		put_name(f, json_array_get(b, i));
	}
	fputs(".</p>\n", f);
}

static void mentoring(FILE *f, const json_t *st)
{
	const json_t *m = get(st, "mentoring"), *w = get(m, "waiting");
	size_t n = rows_of(w), i;
	char note[512];
	struct html_chart c = {
		.hook = "mentoring",
		.title = "Learners with a mentor, per week",
		.x_label = "Week starting", .y_label = "Learners",
		.rows = get(st, "weeks"), .label_key = "label",
		.label_head = "Week", .s = mentor_series, .ns = 2,
		.y_min_top = 1, .whole = 1,
		.note = week_note(st, "At the end of each week: the learners, "
				  "and those who are the mentee of an open "
				  "pairing.", note, sizeof(note)),
	};

	fputs("<section class=\"mentoring\">\n<h2>Who has a mentor?</h2>\n", f);
	mentoring_figures(f, m);
	fputs("<div class=\"charts\">\n", f);
	html_week_bars(f, &c);
	fputs("<div>\n<h3>Waiting for a mentor</h3>\n", f);
	if (n == 0)
		fputs("<p class=\"note\">No request for a mentor is waiting."
		      "</p>\n", f);
	else
		fputs("<p class=\"note\">Requests nobody accepted yet, oldest "
		      "first.</p>\n<ol class=\"waiting\">\n", f);
	for (i = 0; i < n; i++)
		waiting_item(f, json_array_get(w, i));
	if (n > 0)
		fputs("</ol>\n", f);
	more(f, n, get(m, "waiting_total"), "requests");
	became_mentors(f, m);
	fputs("</div>\n</div>\n</section>\n", f);
}

/* ---- feedback and kudos -------------------------------------------- */

static const struct html_series topic_series[] = {
	{"feedback", "Feedback", 1, NULL, 0, 1},
	{"helpful", "Marked helpful", 1, NULL, 0, 1},
	{"share", "Helpful share", 100, "%", 0, 0},
};

static const struct html_series badge_series[] = {
	{"count", "Kudos", 1, NULL, 0, 1},
};

static void feedback(FILE *f, const json_t *st)
{
	const json_t *fb = get(st, "feedback"), *topics = get(fb, "topics");
	struct html_chart c = {
		.hook = "feedback-topics", .title = "Feedback by topic",
		.x_label = "Feedback given", .y_label = "Topic",
		.rows = topics, .label_key = "topic", .label_head = "Topic",
		.s = topic_series, .ns = 3, .y_min_top = 1, .whole = 1,
		.note = "Each bar: the feedback on the topic's posts and "
			"replies, and (darker) how much marked them helpful.",
	};

	fputs("<section class=\"feedback\">\n<h2>Feedback</h2>\n"
	      "<dl class=\"figures\">\n", f);
	item_int(f, "Feedback given", get(fb, "given"));
	item_int(f, "Marked helpful", get(fb, "helpful"));
	item_int(f, "Topics with feedback", get(fb, "topics_total"));
	fputs("</dl>\n", f);
	if (rows_of(topics) == 0)
		fputs("<p class=\"note\">No feedback in this window.</p>\n", f);
	else
		html_hbars(f, &c);
	more(f, rows_of(topics), get(fb, "topics_total"), "topics");
	fputs("</section>\n", f);
}

static void kudos(FILE *f, const json_t *st)
{
	const json_t *k = get(st, "kudos"), *badges = get(k, "badges");
	struct html_chart c = {
		.hook = "kudos-badges", .title = "Kudos by badge",
		.x_label = "Kudos given", .y_label = "Badge",
		.rows = badges, .label_key = "badge", .label_head = "Badge",
		.s = badge_series, .ns = 1, .y_min_top = 1, .whole = 1,
	};

	fputs("<section class=\"kudos\">\n<h2>Recognition</h2>\n"
	      "<dl class=\"figures\">\n", f);
	item_int(f, "Kudos given", get(k, "given"));
	item_int(f, "Badges", get(k, "badges_total"));
	item_open(f, "Held by the top tenth of members");
	put_share(f, get(k, "top10_share"));
	item_close(f);
	fputs("</dl>\n", f);
	if (rows_of(badges) == 0)
		fputs("<p class=\"note\">No kudos in this window.</p>\n", f);
	else
		html_hbars(f, &c);
	more(f, rows_of(badges), get(k, "badges_total"), "badges");
	fputs("</section>\n", f);
}

/* ---- members at risk, freshness, clocks ------------------------------ */

/* "✓ within a day" in its colour: how long ago this node received the
 * row's feed (its "received"), at now. */
static void put_status(FILE *f, enum stale s)
{
	fprintf(f, "<span class=\"status %s\">%s</span>", stale_class[s],
		stale_text[s]);
}

static void at_risk(FILE *f, const json_t *st)
{
	const json_t *rows = get(st, "at_risk"), *row;
	double now = html_json_num(get(st, "generated"));
	size_t n = rows_of(rows), i;
	/* figures without "received" (from an older stoa): no column,
	 * rather than a column of "—" */
	int heard = get(json_array_get(rows, 0), "received") != NULL;
	enum stale s;

	fputs("<section class=\"at-risk\">\n<h2>Drifting away</h2>\n"
	      "<p class=\"lead\">Members who wrote before, and nothing for 14 "
	      "days or more; longest silent first.", f);
	if (heard && n > 0)
		fputs(" Last heard from: when this node last received an entry "
		      "of theirs, marked as in the freshness table below; a "
		      "member this node has not heard from lately may have "
		      "written on a device that has not synced since, and not "
		      "be silent at all.", f);
	fputs("</p>\n", f);
	if (n == 0) {
		fputs("<p class=\"note\">Nobody has been silent that long."
		      "</p>\n</section>\n", f);
		return;
	}
	/* when this node last heard from them next to how long they have
	 * been silent: in sight on a phone, before the date they last wrote */
	fputs("<div class=\"scroll\"><table class=\"at-risk\">\n<thead><tr>"
	      "<th scope=\"col\">Member</th><th scope=\"col\">Days silent</th>",
	      f);
	if (heard)
		fputs("<th scope=\"col\" class=\"heard\">Last heard from</th>",
		      f);
	fputs("<th scope=\"col\">Last active</th></tr></thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++) {
		row = json_array_get(rows, i);
		fputs("<tr><td>", f);
		put_name(f, row);
		fputs("</td><td>", f);
		put_int(f, get(row, "days_silent"));
		if (heard) {
			s = staleness(row, now);
			fprintf(f, "</td><td class=\"heard\" "
				"data-staleness=\"%s\">", stale_class[s]);
			put_date(f, get(row, "received"));
			fputs(" ", f);
			put_status(f, s);
		}
		fputs("</td><td>", f);
		put_date(f, get(row, "last_active"));
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	more(f, n, get(st, "at_risk_total"), "members");
	fputs("</section>\n", f);
}

static void freshness_row(FILE *f, const json_t *row, double now)
{
	enum stale s = staleness(row, now);

	fprintf(f, "<tr data-staleness=\"%s\"><td>", stale_class[s]);
	put_name(f, row);
	fputs("</td><td class=\"fresh-status\">", f);
	put_status(f, s);
	fputs("</td><td>", f);
	put_datetime(f, get(row, "received"));
	fputs("</td><td>", f);
	put_int(f, get(row, "seq"));
	fputs("</td><td class=\"newest\">", f);
	put_datetime(f, get(row, "newest_ts"));
	fputs("</td></tr>\n", f);
}

static void freshness(FILE *f, const json_t *st)
{
	const json_t *rows = get(get(st, "freshness"), "members");
	double now = html_json_num(get(st, "generated"));
	size_t n = rows_of(rows), i;
	int s;

	fputs("<section class=\"freshness\">\n<h2>Data freshness</h2>\n"
	      "<p class=\"lead\">No central system knows everything: this node "
	      "holds what reached it. For each member: when this node last "
	      "received an entry of theirs (by its clock), the entries held "
	      "and the newest one's date (by their own clock; not on a "
	      "phone's narrow screen); stalest first.</p>\n"
	      "<ul class=\"legend\">", f);
	for (s = STALE_FRESH; s <= STALE_OLD; s++) {
		fputs("<li>", f);
		put_status(f, (enum stale)s);
		fprintf(f, " %s</li>", stale_legend[s]);
	}
	fputs("</ul>\n", f);
	if (n == 0) {
		fputs("<p class=\"note\">This node holds no member's entries."
		      "</p>\n</section>\n", f);
		return;
	}
	/* the status, the table's point, next to the name: in sight on a
	 * phone, where the newest entry's date is left out (the CSS) */
	fputs("<div class=\"scroll\"><table class=\"freshness\">\n<thead><tr>"
	      "<th scope=\"col\">Member</th>"
	      "<th scope=\"col\" class=\"fresh-status\">Freshness</th>"
	      "<th scope=\"col\">Last received here</th>"
	      "<th scope=\"col\">Entries held</th>"
	      "<th scope=\"col\" class=\"newest\">Newest entry</th></tr>"
	      "</thead>\n<tbody>\n", f);
	for (i = 0; i < n; i++)
		freshness_row(f, json_array_get(rows, i), now);
	fputs("</tbody></table></div>\n", f);
	if (json_array_size(rows) > n)
		fprintf(f, "<p class=\"note\">The %zu stalest members are "
			"shown; %zu more are not.</p>\n", n,
			json_array_size(rows) - n);
	fputs("</section>\n", f);
}

static void clock_list(FILE *f, const json_t *rows, const char *what)
{
	size_t n = rows_of(rows), i;
	const json_t *row;

	for (i = 0; i < n; i++) {
		row = json_array_get(rows, i);
		fputs("<li>", f);
		put_name(f, row);
		fputs(": ", f);
		put_int(f, get(row, "entries"));
		fprintf(f, " entr%s %s, left out of every figure</li>\n",
			int_of(row, "entries") == 1 ? "y" : "ies", what);
	}
}

static void clocks(FILE *f, const json_t *st)
{
	const json_t *c = get(st, "clock");
	json_int_t before = int_of(c, "answered_before_asked");

	if (rows_of(get(c, "ahead")) == 0 && rows_of(get(c, "behind")) == 0 &&
	    before <= 0)
		return;
	fputs("<section class=\"clock\">\n<h2>Clock warnings</h2>\n"
	      "<p class=\"lead\">Every date is the author's own clock, and a "
	      "clock can be wrong (a device without a battery, a laptop set "
	      "a year ahead).</p>\n<ul>\n", f);
	clock_list(f, get(c, "ahead"), "dated more than a day in the future");
	clock_list(f, get(c, "behind"),
		   "dated more than a day before the community began");
	if (before > 0)
		fprintf(f, "<li>%" JSON_INTEGER_FORMAT " repl%s or feedback "
			"dated before the question they answer, counted as "
			"answering at once</li>\n", before,
			before == 1 ? "y" : "ies");
	fputs("</ul>\n</section>\n", f);
}

static void footer(FILE *f)
{
	fputs("<footer>Made by stoa " STOA_VERSION " from the entries this "
	      "node holds. Every figure is explained in docs/stats.md of "
	      "stoa's source. This file runs no script and fetches nothing."
	      "</footer>\n</body>\n</html>\n", f);
}

int report_html_write(FILE *f, const json_t *stats, struct err *e)
{
	if (!f || !json_is_object(stats))
		return err_set(e, STOA_EINVAL, "no figures to write");
	errno = 0;
	head(f, stats);
	header(f, stats);
	fputs("<main>\n", f);
	if (!active_at_all(stats)) {
		empty(f, stats);
	} else {
		participation(f, stats);
		retention(f, stats);
		questions(f, stats);
		mentoring(f, stats);
		feedback(f, stats);
		kudos(f, stats);
	}
	at_risk(f, stats);
	freshness(f, stats);
	clocks(f, stats);
	fputs("</main>\n", f);
	footer(f);
	if (fflush(f) != 0 || ferror(f))
		return err_set(e, STOA_EIO, "cannot write the report: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}
