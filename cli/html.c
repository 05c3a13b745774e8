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
#define CHART_PL 56           /* plot left: room for the y ticks and label */
#define CHART_PR 14
#define CHART_PT 14
#define CHART_PB 196          /* plot bottom: the x axis */
#define CHART_PW (CHART_W - CHART_PL - CHART_PR)
#define CHART_PH (CHART_PB - CHART_PT)
#define CHART_PAD 10          /* between the y axis (or the right end) and a
			 * line's first (last) point */
#define CHART_TICKS 5         /* about this many y ticks */
#define X_LABELS 7      /* at most this many week labels on the x axis */
#define VALUE_MAX 1e12  /* values are clamped to +-this before drawing */

/* Horizontal bars: one row each, a label column on the left. */
#define HB_ROW 30
#define HB_LABEL 170
#define HB_TOP 26       /* above the first row: the label column's head */
#define HB_AXIS 40      /* below the last row: value ticks and label */
#define HB_LABEL_CHARS 16

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

/* The legend: a small key drawn as its series is, then its name. */
static void legend(FILE *f, const struct html_chart *c, int bars)
{
	size_t k, n = colour_base(c, bars);

	fputs("<ul class=\"legend\">", f);
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		fputs("<li><svg class=\"key\" viewBox=\"0 0 28 12\" "
		      "aria-hidden=\"true\">", f);
		if (bars)
			fprintf(f, "<rect class=\"swatch s%zu\" x=\"2\" "
				"y=\"1\" width=\"24\" height=\"10\"/>", n);
		else
			fprintf(f, "<line class=\"line s%zu\" x1=\"1\" "
				"y1=\"6\" x2=\"27\" y2=\"6\"/><circle "
				"class=\"mark s%zu\" cx=\"14\" cy=\"6\" "
				"r=\"3.5\"/>", n, n);
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

static void figure_close(FILE *f, const struct html_chart *c, size_t rows,
			 size_t shown, int bars)
{
	fputs("</svg>\n", f);
	legend(f, c, bars);
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

/* Grid lines, y tick labels, both axes and their labels. */
static void axes(FILE *f, const struct html_chart *c, size_t rows,
		 double top, double step, int bands)
{
	int dec = step_decimals(step);
	size_t i, every = (rows + X_LABELS - 1) / X_LABELS;
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
	for (i = 0; i < rows; i++) {
		if (every > 1 && i % every != 0)
			continue;
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">", x_of(i, rows, bands),
			CHART_PB + 18);
		put_short_label(f, row_label(c, i));
		fputs("</text>", f);
	}
	fprintf(f, "</g>\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/><line class=\"axis\" x1=\"%d\" y1=\"%d\" "
		"x2=\"%d\" y2=\"%d\"/>\n", CHART_PL, CHART_PT, CHART_PL, CHART_PB, CHART_PL, CHART_PB, CHART_W - CHART_PR, CHART_PB);
	fprintf(f, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\">", CHART_PL + CHART_PW / 2, CHART_H - 8);
	html_text(f, c->x_label, HTML_TEXT_MAX);
	fprintf(f, "</text>\n<text class=\"axis-label\" x=\"%d\" y=\"%d\" "
		"text-anchor=\"middle\" transform=\"rotate(-90 %d %d)\">",
		14, CHART_PT + CHART_PH / 2, 14, CHART_PT + CHART_PH / 2);
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

/* One series as a path broken at its gaps, then its points. */
static void line_series(FILE *f, const struct html_chart *c, size_t k,
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
	for (i = 0; i < rows; i++) {
		v = series_value(json_array_get(c->rows, i), s);
		if (isnan(v))
			continue;
		fprintf(f, "<circle class=\"point s%zu\" data-series=\"%s\" "
			"cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>", n, s->key,
			x_of(i, rows, 0), y_of(v, top));
		html_text(f, row_label(c, i), HTML_LABEL_MAX);
		fputs(": ", f);
		put_value(f, v, s);
		fputs("</title></circle>\n", f);
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
	for (k = 0; k < c->ns; k++)
		if (c->s[k].drawn)
			line_series(f, c, k, n++, rows, top);
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
			fprintf(f, "<rect class=\"bar s%zu\" data-chart=\"%s\" "
				"data-series=\"%s\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\"><title>",
				n + base, c->hook, c->s[k].key, CHART_PL + i * band +
				band * (0.15 + 0.1 * n), y,
				band * (0.7 - 0.2 * n), CHART_PB - y);
			html_text(f, row_label(c, i), HTML_LABEL_MAX);
			fputs(": ", f);
			put_value(f, v, &c->s[k]);
			fputs(" ", f);
			html_text(f, c->s[k].label, HTML_TEXT_MAX);
			fputs("</title></rect>\n", f);
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
	html_text(f, row_label(c, i), HB_LABEL_CHARS);
	fputs("</text>\n", f);
	for (k = 0; k < c->ns; k++) {
		if (!c->s[k].drawn)
			continue;
		v = series_value(row, &c->s[k]);
		len = (isnan(v) || v < 0 ? 0 : v > top ? top : v) / top *
		      (CHART_W - HB_LABEL - 60);
		if (len > end)
			end = len;
		fprintf(f, "<rect class=\"bar s%zu\" data-chart=\"%s\" "
			"data-series=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" "
			"height=\"%.1f\"><title>", n + base, c->hook,
			c->s[k].key, HB_LABEL, y + 4 + 3 * n, len,
			HB_ROW - 8 - 6.0 * n);
		html_text(f, row_label(c, i), HTML_LABEL_MAX);
		fputs(": ", f);
		put_value(f, v, &c->s[k]);
		fputs(" ", f);
		html_text(f, c->s[k].label, HTML_TEXT_MAX);
		fputs("</title></rect>\n", f);
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
