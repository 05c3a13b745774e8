/*
 * html: the pieces an HTML report is made of, written straight to a FILE:
 * text from other members made safe for HTML, numbers, and the inline SVG
 * charts (a line chart over weeks, bars over weeks, horizontal bars over
 * the rows of a list), each a <figure> with its title, axis labels, a text
 * alternative and the numbers behind it in a <details> table.
 *
 * Every string that came from the figures' JSON (names, topics, titles,
 * badges, week labels) goes through html_text: cut to a bound, stripped
 * of control and bidi characters (payload_text_clean, as for a terminal)
 * and escaped (& < > " '), so it is only ever text, in an element or in a
 * quoted attribute, never markup. Class names, hooks and everything else
 * in the markup are constants of this file and report_html.c. A number
 * that is null, missing or not finite is drawn as a gap and written as
 * "—", never as NaN. Nothing here reads a clock, the network or a file:
 * the same JSON gives the same bytes. Write errors are left in the FILE
 * for the caller's ferror (report_html_write).
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "payload.h"

/* The SVG canvas of the charts over weeks (viewBox units) and its plot. */
#define CHART_W 480
#define CHART_H 250
#define CHART_PL 60           /* plot left: room for the y ticks and label */
#define CHART_YL 18           /* the y axis label's baseline (rotated): its
			       * letters' height at a phone's 16px left of it */
#define CHART_PR 14
#define CHART_PT 14
#define CHART_PB 196          /* plot bottom: the x axis */
#define CHART_PW (CHART_W - CHART_PL - CHART_PR)
#define CHART_PH (CHART_PB - CHART_PT)
#define CHART_PAD 10          /* between the y axis (or the right end) and a
			 * line's first (last) point */
#define CHART_TICKS 5         /* about this many y ticks */
#define X_LABEL_GAP 60  /* week labels' centres at least this far apart:
			 * "MM-DD" at a phone's 16px is about 46 wide */
#define X_LABEL_GAP_WIDE 46 /* the same at a wide screen's 13px */
#define X_LABEL_HALF 24 /* a label's centre at most this near the right */
#define VALUE_MAX 1e12  /* values are clamped to +-this before drawing */

/* Horizontal bars: one row each, a label column on the left. */
#define HB_ROW 30
#define HB_LABEL 170
#define HB_TOP 26       /* above the first row: the label column's head */
#define HB_AXIS 40      /* below the last row: value ticks and label */
#define HB_LABEL_CHARS 16
#define HB_LABEL_PX 16  /* a row label's font size at its largest (a
			 * phone's, report_html.c's stylesheet) */

/* ---- text ------------------------------------------------------------ */

/* Bytes of a UTF-8 sequence from its lead byte (1 for a stray byte). */
static size_t seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

void html_text(FILE *f, const char *s, size_t max_chars)
{
	char buf[HTML_TEXT_MAX + 1];
	size_t n = 0, chars = 0, len, j;
	int cut = 0;

	if (!s)
		return;
	/* copy whole characters up to both bounds (a sequence cut short by
	 * the string's end is copied as far as it goes: clean makes it ?),
	 * then clean the copy */
	while (s[n]) {
		len = seq_len((unsigned char)s[n]);
		if (chars == max_chars || n + len > HTML_TEXT_MAX) {
			cut = 1;
			break;
		}
		for (j = 0; j < len && s[n]; j++, n++)
			buf[n] = s[n];
		chars++;
	}
	buf[n] = '\0';
	payload_text_clean(buf, 0);
	html_escape(f, buf);
	if (cut)
		fputs("…", f);
}

/* About how wide a character is, in em: the advance widths of DejaVu
 * Sans, among the widest fonts a browser falls back to, rounded up;
 * 1 for anything not ASCII (a CJK character is a full em). */
static double char_em(unsigned char c)
{
	if (c >= 0x80)
		return 1.0;
	if (strchr("iljI.,:;'|!`", c))
		return 0.35;
	if (strchr("frt()[]{} -\"/", c))
		return 0.5;
	if (strchr("mwMW@%", c))
		return 1.0;
	if (strchr("<>=+~#&*^_", c))
		return 0.84;
	if (c >= 'A' && c <= 'Z')
		return 0.78;
	return 0.64;
}

/* How many characters of s (at most max) html_text may write for them to
 * take no more than room units at font size px, a cut's "…" included: an
 * SVG text does not wrap, and a label longer than its column would run
 * off the chart. */
static size_t chars_fitting(const char *s, double room, double px,
			    size_t max)
{
	size_t n = 0, i = 0, fit = 0, len, j;
	double w = 0;

	while (s[i] && n < max) {
		w += char_em((unsigned char)s[i]) * px;
		len = seq_len((unsigned char)s[i]);
		for (j = 0; j < len && s[i]; j++)
			i++;
		n++;
		if (w + px <= room)
			fit = n;       /* fits with the "…" after it */
		if (w > room)
			return fit;
	}
	return s[i] ? fit : n;  /* cut at max: the "…" must fit too */
}

/* ---- numbers ----------------------------------------------------------- */

double html_json_num(const json_t *v)
{
	double d;

	if (!json_is_number(v))
		return NAN;
	d = json_number_value(v);
	return isfinite(d) ? d : NAN;
}

/* A row's field through series s: the value scaled, or NAN. */
static double series_value(const json_t *row, const struct html_series *s)
{
	double d = html_json_num(json_object_get(row, s->key)) * s->scale;

	if (!isfinite(d))
		return NAN;
	return d > VALUE_MAX ? VALUE_MAX : d < -VALUE_MAX ? -VALUE_MAX : d;
}

/* "12", "42%", "3.5 h", or "—" for a gap, into out. */
static void value_str(double v, const struct html_series *s, char *out,
		      size_t cap)
{
	if (isnan(v))
		snprintf(out, cap, "—");
	else
		snprintf(out, cap, "%.*f%s", s->decimals, v,
			 s->unit ? s->unit : "");
}

static void put_value(FILE *f, double v, const struct html_series *s)
{
	char buf[64];

	value_str(v, s, buf, sizeof(buf));
	fputs(buf, f);
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `want`
 * steps up to max (> 0); whole steps only with whole. */
static double nice_step(double max, int want, int whole)
{
	double raw = max / want, mag = 1;
	int i;

	for (i = 0; i < 40 && mag * 10 <= raw; i++)
		mag *= 10;
	for (i = 0; i < 40 && mag > raw; i++)
		mag /= 10;
	if (raw > 5 * mag)
		mag *= 10;
	else if (raw > 2 * mag)
		mag *= 5;
	else if (raw > mag)
		mag *= 2;
	return whole && mag < 1 ? 1 : mag;
}

/* Decimals enough to tell ticks step apart (0 for a whole step). */
static int step_decimals(double step)
{
	int d = 0;

	while (d < 6 && step < 0.999999) {
		step *= 10;
		d++;
	}
	return d;
}

/* The axis top: a whole number of steps at or above max. */
static double axis_top(double max, double min_top, int whole, double *step)
{
	double top;
	int i;

	if (!(max > min_top))
		max = min_top > 0 ? min_top : 1;
	*step = nice_step(max, CHART_TICKS, whole);
	for (i = 1, top = *step; top < max && i < 1000; i++)
		top = *step * (i + 1);
	return top;
}

/* ---- the rows and series of a chart ------------------------------------ */

static size_t chart_rows(const struct html_chart *c)
{
	size_t n = json_is_array(c->rows) ? json_array_size(c->rows) : 0;

	return n > HTML_ROWS_MAX ? HTML_ROWS_MAX : n;
}

static const char *row_label(const struct html_chart *c, size_t i)
{
	const char *s = json_string_value(
		json_object_get(json_array_get(c->rows, i), c->label_key));

	return s ? s : "";
}

/* The highest drawn value of the chart (NAN if none). */
static double drawn_max(const struct html_chart *c, size_t rows)
{
	double max = NAN, v;
	size_t i, k;

	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		for (i = 0; i < rows; i++) {
			v = series_value(json_array_get(c->rows, i), &c->s[k]);
			if (!isnan(v) && (isnan(max) || v > max))
				max = v;
		}
	}
	return max;
}

/* A week label for the x axis: "MM-DD" of "YYYY-MM-DD", else as is. */
static void put_short_label(FILE *f, const char *s)
{
	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-')
		html_text(f, s + 5, 5);
	else
		html_text(f, s, 10);
}

/* ---- the text alternative ------------------------------------------- */

/* Appends printf output to buf (NUL-terminated, cap bytes), cut at cap. */
static void append(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

/* "Title: a line chart of 8 weeks, 2025-01-06 to 2025-02-24. Active
 * members: 3 in the first week, 7 in the last, highest 8 (2025-02-10)." */
static void weeks_alt(const struct html_chart *c, size_t rows,
		      const char *kind, char *buf, size_t cap)
{
	char a[64], b[64], m[64];
	double v, first, last, max;
	size_t i, k, at;

	buf[0] = '\0';
	append(buf, cap, "%s: %s of %zu week%s", c->title, kind, rows,
	       rows == 1 ? "" : "s");
	if (rows > 0)
		append(buf, cap, ", %s to %s", row_label(c, 0),
		       row_label(c, rows - 1));
	append(buf, cap, ".");
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		first = last = max = NAN;
		at = 0;
		for (i = 0; i < rows; i++) {
			v = series_value(json_array_get(c->rows, i), &c->s[k]);
			if (i == 0)
				first = v;
			last = v;
			if (!isnan(v) && (isnan(max) || v > max)) {
				max = v;
				at = i;
			}
		}
		if (isnan(max)) {
			append(buf, cap, " %s: no data.", c->s[k].label);
			continue;
		}
		value_str(first, &c->s[k], a, sizeof(a));
		value_str(last, &c->s[k], b, sizeof(b));
		value_str(max, &c->s[k], m, sizeof(m));
		append(buf, cap, " %s: %s in the first week, %s in the last, "
		       "highest %s (%s).", c->s[k].label, a, b, m,
		       row_label(c, at));
	}
}

/* "Title: a bar chart of 5 rows. fractions: 10 Feedback, 7 Marked
 * helpful, 70% Helpful share; ..." */
static void rows_alt(const struct html_chart *c, size_t rows, char *buf,
		     size_t cap)
{
	const json_t *row;
	char v[64];
	size_t i, k;

	buf[0] = '\0';
	append(buf, cap, "%s: a bar chart of %zu row%s.", c->title, rows,
	       rows == 1 ? "" : "s");
	for (i = 0; i < rows && i < HTML_ALT_ROWS; i++) {
		row = json_array_get(c->rows, i);
		append(buf, cap, "%s %.*s:", i ? ";" : "", HTML_LABEL_MAX,
		       row_label(c, i));
		for (k = 0; k < c->ns; k++) {
			value_str(series_value(row, &c->s[k]), &c->s[k], v,
				  sizeof(v));
			append(buf, cap, "%s %s %s", k ? "," : "", v,
			       c->s[k].label);
		}
	}
	if (rows > HTML_ALT_ROWS)
		append(buf, cap, "; and %zu more", rows - HTML_ALT_ROWS);
	append(buf, cap, ".");
}

/* The colour of a chart's first drawn series: a chart of one series of
 * bars takes the dark one (s1); the light one (s0) is for a whole with a
 * part drawn over it. */
static size_t colour_base(const struct html_chart *c, int bars)
{
	size_t k, n = 0;

	for (k = 0; k < c->ns; k++)
		n += c->s[k].drawn != 0;
	return bars && n == 1;
}

/* ---- the figure around a chart --------------------------------------- */

static void figure_open(FILE *f, const struct html_chart *c, int h,
			const char *alt)
{
	fprintf(f, "<figure class=\"chart\" data-chart=\"%s\">\n", c->hook);
	fputs("<figcaption>", f);
	html_text(f, c->title, HTML_TEXT_MAX);
	fputs("</figcaption>\n", f);
	fprintf(f, "<svg class=\"plot\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
		"preserveAspectRatio=\"xMidYMid meet\" role=\"img\" "
		"aria-label=\"", CHART_W, h);
	html_text(f, alt, HTML_TEXT_MAX);
	fputs("\">\n", f);
}

/* The mark of a line's point (and of its legend key): the n-th drawn
 * series of a chart has its own shape as well as its own colour and
 * dashes, so lines that lie on top of each other (members == active,
 * every week) still show each: a filled circle, a hollow square around
 * it, a small diamond inside it. The element is left open for a
 * <title>; mark_close closes it. */
static void mark_open(FILE *f, const char *cls, size_t n, double x,
		      double y)
{
	switch (n % 3) {
	case 0:
		fprintf(f, "<circle class=\"%s s0\" cx=\"%.1f\" cy=\"%.1f\" "
			"r=\"5\"", cls, x, y);
		break;
	case 1:
		fprintf(f, "<rect class=\"%s s1\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"14\" height=\"14\"", cls, x - 7, y - 7);
		break;
	default:
		fprintf(f, "<path class=\"%s s2\" d=\"M%.1f %.1f L%.1f %.1f "
			"L%.1f %.1f L%.1f %.1f Z\"", cls, x, y - 3.5, x + 3.5,
			y, x, y + 3.5, x - 3.5, y);
		break;
	}
}

static void mark_close(FILE *f, size_t n)
{
	fputs(n % 3 == 0 ? "</circle>" : n % 3 == 1 ? "</rect>" : "</path>",
	      f);
}

/* The legend: a small key drawn as its series is, then its name. */
static void legend(FILE *f, const struct html_chart *c, int bars)
{
	size_t k, n = colour_base(c, bars);

	fputs("<ul class=\"legend\">", f);
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		fputs("<li><svg class=\"key\" viewBox=\"0 0 36 16\" "
		      "aria-hidden=\"true\">", f);
		if (bars) {
			fprintf(f, "<rect class=\"swatch s%zu\" x=\"2\" "
				"y=\"3\" width=\"32\" height=\"10\"/>", n);
		} else {
			fprintf(f, "<line class=\"line s%zu\" x1=\"1\" "
				"y1=\"8\" x2=\"35\" y2=\"8\"/>", n);
			mark_open(f, "mark", n, 18, 8);
			fputs(">", f);
			mark_close(f, n);
		}
		fputs("</svg>", f);
		html_text(f, c->s[k].label, HTML_TEXT_MAX);
		fputs("</li>", f);
		n++;
	}
	fputs("</ul>\n", f);
}

/* The numbers behind the chart: one row per row, one column per series. */
static void numbers(FILE *f, const struct html_chart *c, size_t rows)
{
	const json_t *row;
	size_t i, k;

	fputs("<details><summary>The numbers</summary>\n"
	      "<div class=\"scroll\"><table class=\"numbers\">\n<thead><tr>"
	      "<th scope=\"col\">", f);
	html_text(f, c->label_head, HTML_TEXT_MAX);
	fputs("</th>", f);
	for (k = 0; k < c->ns; k++) {
		fputs("<th scope=\"col\">", f);
		html_text(f, c->s[k].label, HTML_TEXT_MAX);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < rows; i++) {
		row = json_array_get(c->rows, i);
		fputs("<tr><th scope=\"row\">", f);
		html_text(f, row_label(c, i), HTML_LABEL_MAX);
		fputs("</th>", f);
		for (k = 0; k < c->ns; k++) {
			fputs("<td>", f);
			put_value(f, series_value(row, &c->s[k]), &c->s[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></details>\n", f);
}

/* Whether drawn series a and b have the same value (or both none) in
 * every row, and some value. */
static int same_series(const struct html_chart *c, size_t a, size_t b,
		       size_t rows)
{
	const json_t *row;
	size_t i, held = 0;
	double va, vb;

	for (i = 0; i < rows; i++) {
		row = json_array_get(c->rows, i);
		va = series_value(row, &c->s[a]);
		vb = series_value(row, &c->s[b]);
		if (isnan(va) != isnan(vb) || (!isnan(va) && va != vb))
			return 0;
		held += !isnan(va);
	}
	return held > 0;
}

/* Under a line chart, for each group of series equal in every week:
 * "Members and Active members are equal in every week: ...", as
 * <p class="note overlap" data-series="members active">. */
static void overlap_notes(FILE *f, const struct html_chart *c, size_t rows)
{
	size_t a, b, k, group[8], ng;
	unsigned done = 0;

	for (a = 0; a < c->ns && a < 32; a++) {
		if (!c->s[a].drawn || (done >> a & 1))
			continue;
		group[0] = a;
		ng = 1;
		for (b = a + 1; b < c->ns && b < 32 && ng < 8; b++)
			if (c->s[b].drawn && !(done >> b & 1) &&
			    same_series(c, a, b, rows)) {
				group[ng++] = b;
				done |= 1u << b;
			}
		if (ng < 2)
			continue;
		fputs("<p class=\"note overlap\" data-series=\"", f);
		for (k = 0; k < ng; k++)
			fprintf(f, "%s%s", k ? " " : "", c->s[group[k]].key);
		fputs("\">", f);
		for (k = 0; k < ng; k++) {
			fputs(k == 0 ? "" : k + 1 == ng ? " and " : ", ", f);
			html_text(f, c->s[group[k]].label, HTML_TEXT_MAX);
		}
		fputs(" are the same in every week: their lines lie on top of "
		      "each other, and each point shows all their marks.</p>\n",
		      f);
	}
}

static void figure_close(FILE *f, const struct html_chart *c, size_t rows,
			 size_t shown, int bars)
{
	fputs("</svg>\n", f);
	legend(f, c, bars);
	if (!bars)
		overlap_notes(f, c, rows);
	if (shown < rows)
		fprintf(f, "<p class=\"note\">The chart shows the first %zu "
			"rows; the table below has all %zu.</p>\n", shown,
			rows);
	if (c->note) {
		fputs("<p class=\"note\">", f);
		html_text(f, c->note, HTML_TEXT_MAX);
		fputs("</p>\n", f);
	}
	numbers(f, c, rows);
	fputs("</figure>\n", f);
}

/* ---- axes ---------------------------------------------------------- */

static double y_of(double v, double top)
{
	if (v < 0)
		v = 0;
	if (v > top)
		v = top;
	return CHART_PB - v / top * CHART_PH;
}

/* The x of row i of n: points spread over the plot, or band centres. */
static double x_of(size_t i, size_t n, int bands)
{
	if (bands)
		return CHART_PL + (i + 0.5) * CHART_PW / (double)n;
	if (n < 2)
		return CHART_PL + CHART_PW / 2.0;
	return CHART_PL + CHART_PAD + i * (CHART_PW - 2.0 * CHART_PAD) / (double)(n - 1);
}

/* Where row i's week label is centred: under its point or band, but
 * whole inside the canvas (the last band's centre can be nearer the
 * right edge than half a label). */
static double x_label_at(size_t i, size_t rows, int bands)
{
	double x = x_of(i, rows, bands);

	return x > CHART_W - X_LABEL_HALF ? CHART_W - X_LABEL_HALF : x;
}

/* How many steps the x axis's week labels make from the first to the
 * last: as many as fit with centres gap apart. */
static size_t x_steps(size_t rows, int bands, double gap)
{
	double each = bands ? CHART_PW / (double)rows
			    : (CHART_PW - 2.0 * CHART_PAD) / (double)(rows - 1);
	size_t every = (size_t)ceil(gap / each), m;

	if (every < 1)
		every = 1;
	m = (rows - 1) / every;
	return m < 1 ? 1 : m;
}

/* Whether row i's week is labelled on an x axis whose labels are gap
 * apart: always the first and the last (where a young class's weeks all
 * are), and between them as many as fit, evenly: m steps of (rows - 1) /
 * m rows, each at least gap wide (a step of k whole rows or more rounds
 * to k or more), less the one before the last if the last moved in on
 * it (x_label_at). */
static int x_labelled(size_t i, size_t rows, int bands, double gap)
{
	size_t m, j, at;

	if (i == 0 || i + 1 == rows)
		return 1;
	m = x_steps(rows, bands, gap);
	for (j = 1; j < m; j++) {
		at = (size_t)floor(j * (double)(rows - 1) / (double)m + 0.5);
		if (at != i)
			continue;
		return j + 1 < m || x_label_at(rows - 1, rows, bands) -
				    x_label_at(i, rows, bands) >= gap;
	}
	return 0;
}

/* The week labels under the x axis: the set for a wide chart, and the
 * sparser one for a phone's larger text (X_LABEL_GAP), each label
 * classed by the sets it is in: the stylesheet shows one set. */
static void x_labels(FILE *f, const struct html_chart *c, size_t rows,
		     int bands)
{
	size_t i;
	int wide, narrow;

	for (i = 0; i < rows; i++) {
		wide = x_labelled(i, rows, bands, X_LABEL_GAP_WIDE);
		narrow = x_labelled(i, rows, bands, X_LABEL_GAP);
		if (!wide && !narrow)
			continue;
		fprintf(f, "<text class=\"tick%s\" x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">", !narrow ? " wide-only" :
			!wide ? " narrow-only" : "", x_label_at(i, rows, bands),
			CHART_PB + 18);
		put_short_label(f, row_label(c, i));
		fputs("</text>", f);
	}
}

/* Grid lines, y tick labels, both axes and their labels. */
static void axes(FILE *f, const struct html_chart *c, size_t rows,
		 double top, double step, int bands)
{
	int dec = step_decimals(step);
	size_t i;
	double v, y;

	fputs("<g class=\"grid\">", f);
	for (i = 0, v = 0; v <= top * 1.000001 && i <= 1000; i++,
	     v = step * i) {
		y = y_of(v, top);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text class=\"tick\" x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%.*f</text>", CHART_PL, y, CHART_W - CHART_PR, y,
			CHART_PL - 6, y + 4, dec, v);
	}
	fputs("</g>\n<g class=\"xlabels\">", f);
	x_labels(f, c, rows, bands);
	fprintf(f, "</g>\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/><line class=\"axis\" x1=\"%d\" y1=\"%d\" "
		"x2=\"%d\" y2=\"%d\"/>\n", CHART_PL, CHART_PT, CHART_PL, CHART_PB, CHART_PL, CHART_PB, CHART_W - CHART_PR, CHART_PB);
	fprintf(f, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", CHART_PL + CHART_PW / 2, CHART_H - 8);
	html_text(f, c->x_label, HTML_TEXT_MAX);
	fprintf(f, "</text>\n<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">",
		CHART_YL, CHART_PT + CHART_PH / 2, CHART_YL,
		CHART_PT + CHART_PH / 2);
	html_text(f, c->y_label, HTML_TEXT_MAX);
	fputs("</text>\n", f);
}

/* "No data" in the middle of an empty plot. */
static void no_data(FILE *f, const char *what)
{
	fprintf(f, "<text class=\"empty\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", CHART_PL + CHART_PW / 2, CHART_PT + CHART_PH / 2);
	html_text(f, what, HTML_TEXT_MAX);
	fputs("</text>\n", f);
}

/* ---- the charts ---------------------------------------------------- */

/* One series as a path broken at its gaps. */
static void line_path(FILE *f, const struct html_chart *c, size_t k,
		      size_t n, size_t rows, double top)
{
	const struct html_series *s = &c->s[k];
	size_t i, held = 0;
	int pen = 0;
	double v;

	for (i = 0; i < rows; i++)
		if (!isnan(series_value(json_array_get(c->rows, i), s)))
			held++;
	if (held > 1) {
		fprintf(f, "<path class=\"line s%zu\" data-series=\"%s\" d=\"",
			n, s->key);
		for (i = 0; i < rows; i++) {
			v = series_value(json_array_get(c->rows, i), s);
			if (isnan(v)) {
				pen = 0;
				continue;
			}
			fprintf(f, "%s%.1f %.1f", pen ? " L" : " M",
				x_of(i, rows, 0), y_of(v, top));
			pen = 1;
		}
		fputs("\"/>\n", f);
	}
}

/* One bar of series k for row i (value v, colour class s<colour>), with
 * its tooltip: the row, the value and the series. */
static void bar_rect(FILE *f, const struct html_chart *c, size_t i, size_t k,
		     double v, size_t colour, double x, double y, double w,
		     double h)
{
	fprintf(f, "<rect class=\"bar s%zu\" data-chart=\"%s\" "
		"data-series=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"><title>", colour, c->hook, c->s[k].key, x, y,
		w, h);
	html_text(f, row_label(c, i), HTML_LABEL_MAX);
	fputs(": ", f);
	put_value(f, v, &c->s[k]);
	fputs(" ", f);
	html_text(f, c->s[k].label, HTML_TEXT_MAX);
	fputs("</title></rect>\n", f);
}

/* One series' points, each with its value as a tooltip. */
static void line_points(FILE *f, const struct html_chart *c, size_t k,
			size_t n, size_t rows, double top)
{
	const struct html_series *s = &c->s[k];
	size_t i;
	double v;

	for (i = 0; i < rows; i++) {
		v = series_value(json_array_get(c->rows, i), s);
		if (isnan(v))
			continue;
		mark_open(f, "point", n, x_of(i, rows, 0), y_of(v, top));
		fprintf(f, " data-series=\"%s\"><title>", s->key);
		html_text(f, row_label(c, i), HTML_LABEL_MAX);
		fputs(": ", f);
		put_value(f, v, s);
		fputs("</title>", f);
		mark_close(f, n);
		fputs("\n", f);
	}
}

void html_line_chart(FILE *f, const struct html_chart *c)
{
	char alt[HTML_TEXT_MAX];
	size_t rows = chart_rows(c), k, n = 0;
	double max = drawn_max(c, rows), step, top;

	top = axis_top(isnan(max) ? 0 : max, c->y_min_top, c->whole, &step);
	weeks_alt(c, rows, "a line chart", alt, sizeof(alt));
	figure_open(f, c, CHART_H, alt);
	axes(f, c, rows, top, step, 0);
	if (isnan(max))
		no_data(f, c->empty ? c->empty : "No data");
	/* every line, then every point: no line hides a point */
	for (k = 0; k < c->ns; k++)
		if (c->s[k].drawn)
			line_path(f, c, k, n++, rows, top);
	for (k = 0, n = 0; k < c->ns; k++)
		if (c->s[k].drawn)
			line_points(f, c, k, n++, rows, top);
	figure_close(f, c, rows, rows, 0);
}

/* Bars over weeks: each drawn series a bar in each week's band, the
 * later ones drawn over the earlier (a part over its whole). */
void html_week_bars(FILE *f, const struct html_chart *c)
{
	char alt[HTML_TEXT_MAX];
	size_t rows = chart_rows(c), i, k, n = 0, base = colour_base(c, 1);
	double max = drawn_max(c, rows), step, top, v, y, band;

	top = axis_top(isnan(max) ? 0 : max, c->y_min_top, c->whole, &step);
	weeks_alt(c, rows, "a bar chart", alt, sizeof(alt));
	figure_open(f, c, CHART_H, alt);
	axes(f, c, rows, top, step, 1);
	band = rows ? CHART_PW / (double)rows : CHART_PW;
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		for (i = 0; i < rows; i++) {
			v = series_value(json_array_get(c->rows, i), &c->s[k]);
			y = y_of(isnan(v) ? 0 : v, top);
			bar_rect(f, c, i, k, v, n + base, CHART_PL + i * band +
				 band * (0.15 + 0.1 * n), y,
				 band * (0.7 - 0.2 * n), CHART_PB - y);
		}
		n++;
	}
	figure_close(f, c, rows, rows, 1);
}

/* One row of horizontal bars: the label, the drawn series over each
 * other, the values after the longest. */
static void hbar_row(FILE *f, const struct html_chart *c, size_t i,
		     double top)
{
	const json_t *row = json_array_get(c->rows, i);
	double y = HB_TOP + i * HB_ROW, v, len, end = 0;
	size_t k, n = 0, base = colour_base(c, 1);

	fprintf(f, "<text class=\"label\" x=\"%d\" y=\"%.1f\" "
		"text-anchor=\"end\">", HB_LABEL - 8, y + HB_ROW / 2.0 + 4);
	html_text(f, row_label(c, i),
		  chars_fitting(row_label(c, i), HB_LABEL - 12, HB_LABEL_PX,
				HB_LABEL_CHARS));
	fputs("</text>\n", f);
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		v = series_value(row, &c->s[k]);
		len = (isnan(v) || v < 0 ? 0 : v > top ? top : v) / top *
		      (CHART_W - HB_LABEL - 60);
		if (len > end)
			end = len;
		bar_rect(f, c, i, k, v, n + base, HB_LABEL, y + 4 + 3 * n, len,
			 HB_ROW - 8 - 6.0 * n);
		n++;
	}
	fprintf(f, "<text class=\"value\" x=\"%.1f\" y=\"%.1f\">",
		HB_LABEL + end + 6, y + HB_ROW / 2.0 + 4);
	for (k = 0, n = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		fputs(n++ ? " / " : "", f);
		put_value(f, series_value(row, &c->s[k]), &c->s[k]);
	}
	fputs("</text>\n", f);
}

void html_hbars(FILE *f, const struct html_chart *c)
{
	char alt[HTML_TEXT_MAX];
	size_t rows = chart_rows(c), drawn, i;
	double max = drawn_max(c, rows), step, top, x;
	int h, y;

	drawn = rows > HTML_BARS_MAX ? HTML_BARS_MAX : rows;
	top = axis_top(isnan(max) ? 0 : max, c->y_min_top, c->whole, &step);
	y = HB_TOP + (int)drawn * HB_ROW;
	h = y + HB_AXIS;
	rows_alt(c, rows, alt, sizeof(alt));
	figure_open(f, c, h, alt);
	for (i = 0; i < drawn; i++)
		hbar_row(f, c, i, top);
	fprintf(f, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n<g class=\"grid\">", HB_LABEL, y, CHART_W - 60, y);
	for (i = 0, x = 0; x <= top * 1.000001 && i <= 1000; i++,
	     x = step * i)
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">%.*f</text>", HB_LABEL +
			x / top * (CHART_W - HB_LABEL - 60), y + 16,
			step_decimals(step), x);
	fprintf(f, "</g>\n<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", HB_LABEL + (CHART_W - HB_LABEL - 60) / 2,
		h - 4);
	html_text(f, c->x_label, HTML_TEXT_MAX);
	/* the other axis's label heads the column of row labels */
	fprintf(f, "</text>\n<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"end\">", HB_LABEL - 8, HB_TOP - 8);
	html_text(f, c->y_label, HTML_TEXT_MAX);
	fputs("</text>\n", f);
	figure_close(f, c, rows, drawn, 1);
}
