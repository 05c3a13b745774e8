/*
 * invite_out: the ways `stoa invite` shows a code besides its line of
 * text: a QR code in the terminal (UTF-8 half blocks, two rows of
 * modules per line), an SVG of it, and the printable sheet of one-time
 * invites (one self-contained HTML page: inline SVG, no script, nothing
 * fetched, A4 print CSS), and the atomic file write they share. The QR
 * symbol is libqrencode's (byte mode, error correction M, or L when M
 * would not fit a terminal of 80 columns), with a quiet zone of
 * INVITE_QR_QUIET modules on every side. A code carries the community
 * secret: the module matrix is wiped before it is freed (libqrencode's
 * own working buffers are out of reach).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qrencode.h>

#include "afile.h"
#include "cli.h"
#include "invite.h"

#define QR_TERM_COLS 80 /* the widest terminal QR, quiet zone included */

static QRcode *qr_encode(const char *text, int term, struct err *e)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);

	if (q && term && q->width + 2 * INVITE_QR_QUIET > QR_TERM_COLS) {
		QRcode *l = QRcode_encodeString(text, 0, QR_ECLEVEL_L,
						QR_MODE_8, 1);

		if (l) {
			memset(q->data, 0, (size_t)q->width * (size_t)q->width);
			QRcode_free(q);
			q = l;
		}
	}
	if (!q)
		err_set(e, errno == ERANGE ? STOA_EINVAL : STOA_ENOMEM,
			"cannot make a QR code of the invite: %s",
			errno == ERANGE ? "too long" : strerror(errno));
	return q;
}

static void qr_free(QRcode *q)
{
	if (!q)
		return;
	memset(q->data, 0, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
}

/* 1 if module (x, y) of the symbol with its quiet zone is dark. */
static int dark(const QRcode *q, int x, int y)
{
	x -= INVITE_QR_QUIET;
	y -= INVITE_QR_QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->data[y * q->width + x] & 1;
}

int cli_qr_term(FILE *f, const char *text, int color, struct err *e)
{
	/* indexed by darkness (top | bottom << 1): light modules are drawn
	 * (the glyph's colour), dark ones left as background; with color,
	 * white on black is set first, so it reads dark on light on any
	 * terminal; the row under an odd last one is quiet zone (light) */
	static const char *const glyph[4] = {
		"\xe2\x96\x88", /* both light: full block */
		"\xe2\x96\x84", /* top dark: lower half block */
		"\xe2\x96\x80", /* bottom dark: upper half block */
		" ",            /* both dark */
	};
	QRcode *q = qr_encode(text, 1, e);
	int n, x, y;

	if (!q)
		return STOA_EINVAL;
	n = q->width + 2 * INVITE_QR_QUIET;
	for (y = 0; y < n; y += 2) {
		if (color)
			fputs("\x1b[97;40m", f);
		for (x = 0; x < n; x++)
			fputs(glyph[dark(q, x, y) | (y + 1 < n ? dark(q, x, y + 1)
							 : 0) << 1], f);
		fputs(color ? "\x1b[0m\n" : "\n", f);
	}
	qr_free(q);
	return ferror(f) ? err_set(e, STOA_EIO, "cannot print the QR code") : 0;
}

int cli_qr_svg(FILE *f, const char *text, const char *label, struct err *e)
{
	QRcode *q = qr_encode(text, 0, e);
	int n, x, y;

	if (!q)
		return STOA_EINVAL;
	n = q->width + 2 * INVITE_QR_QUIET;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d "
		"%d\" width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\" "
		"role=\"img\" aria-label=\"", n, n, n * 4, n * 4);
	html_text(f, label, HTML_LABEL_MAX);
	fprintf(f, "\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
		"<path fill=\"#000\" d=\"", n, n);
	/* one rectangle per run of dark modules in a row */
	for (y = 0; y < n; y++)
		for (x = 0; x < n; x++) {
			int run = 0;

			while (x + run < n && dark(q, x + run, y))
				run++;
			if (run)
				fprintf(f, "M%d %dh%dv1h-%dz", x, y, run, run);
			x += run;
		}
	fputs("\"/></svg>\n", f);
	qr_free(q);
	return ferror(f) ? err_set(e, STOA_EIO, "cannot write the QR code") : 0;
}

int cli_write_atomic(const char *path, int (*fn)(FILE *, void *,
						 struct err *),
		     void *arg, struct err *e)
{
	/* stdio's own buffer would be heap memory freed unwiped, and what
	 * goes through it holds the community secret (a sheet's typed
	 * forms): this one is wiped after the close */
	char buf[BUFSIZ];
	struct afile af;
	struct err le;
	int rc;

	/* a device, a fifo or a symlink is not replaced; it holds the
	 * community secret: for its owner only, like the home's files */
	if ((rc = afile_open(&af, path, 0600, "it goes to a new file or "
			     "replaces one", e)) < 0)
		return rc;
	afile_setbuf(&af, buf, sizeof(buf));
	err_clear(&le);
	if ((rc = fn(af.f, arg, &le)) < 0) {
		afile_abort(&af);
		return err_set(e, rc, "'%s': %s", path, le.msg);
	}
	return afile_commit(&af, e);
}

void cli_format_utc(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "(unknown time)");
}

static const char sheet_css[] =
	"*{box-sizing:border-box}\n"
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"margin:0 auto;padding:1rem;max-width:60rem;color:#111;background:#fff}\n"
	"h1{font-size:1.3rem;margin:0 0 .3rem}\n"
	"p.note{margin:0 0 1rem;font-size:.9rem;color:#333}\n"
	".cards{display:grid;grid-template-columns:repeat(2,1fr);gap:6mm}\n"
	".card{border:1px dashed #888;padding:4mm;break-inside:avoid;"
	"page-break-inside:avoid}\n"
	".card svg{display:block;width:60mm;height:60mm;margin:0 auto 2mm}\n"
	".typed{font-family:ui-monospace,'DejaVu Sans Mono',monospace;"
	"font-size:9pt;line-height:1.5;word-spacing:.3em;overflow-wrap:anywhere}\n"
	".how{font-size:9pt;margin:1mm 0}\n"
	".how code{font-family:ui-monospace,monospace}\n"
	".id{font-family:ui-monospace,monospace;font-size:7pt;color:#555;"
	"margin:1mm 0 0;text-align:right}\n"
	"@page{size:A4;margin:12mm}\n"
	"@media print{body{max-width:none;padding:0}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

int cli_invite_sheet(FILE *f, const struct invite *v, size_t n,
		     struct err *e)
{
	char code[INVITE_CODE_MAX], typed[INVITE_TYPED_MAX], when[32];
	char id[2 * INVITE_ID_LEN + 1];
	size_t i;
	int rc = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"generator\" content=\"stoa " STOA_VERSION "\">\n"
	      "<title>Invites to ", f);
	html_text(f, n ? v[0].c.name : "", HTML_LABEL_MAX);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>"
		"Invites to ", sheet_css);
	html_text(f, n ? v[0].c.name : "", HTML_LABEL_MAX);
	fputs("</h1>\n<p class=\"note\">One invite per person: each works "
	      "once. Each card holds the community's secret: hand it only to "
	      "the person it is for.", f);
	if (n && v[0].expires) {
		cli_format_utc(v[0].expires, when);
		fprintf(f, " They expire on %s.", when);
	}
	fputs(" Each card shows its invite's id: if a card is lost, <code>stoa "
	      "invite --revoke ID</code> ends its invite.</p>\n"
	      "<div class=\"cards\">\n", f);
	for (i = 0; i < n && rc == 0; i++) {
		invite_v3_encode(&v[i], code);
		invite_typed_encode(&v[i], typed);
		hex_encode(id, v[i].id, INVITE_ID_LEN);
		fprintf(f, "<section class=\"card\" data-invite=\"%s\">\n", id);
		rc = cli_qr_svg(f, code, "the invite as a QR code", e);
		fprintf(f, "<p class=\"how\">Invite %zu of %zu to <b>", i + 1, n);
		html_text(f, v[i].c.name, HTML_LABEL_MAX);
		fprintf(f, "</b>, as a %s. Scan it, or type:</p>\n",
			invite_role_name(v[i].role));
		fputs("<p class=\"typed\">", f);
		html_escape(f, typed);
		fprintf(f, "</p>\n<p class=\"how\"><code>stoa init --name "
			"YOUR-NAME --join CODE</code></p>\n<p class=\"id\">"
			"invite %s</p>\n</section>\n", id);
		bytes_wipe(code, sizeof(code));
		bytes_wipe(typed, sizeof(typed));
	}
	fputs("</div>\n</body>\n</html>\n", f);
	if (rc == 0 && ferror(f))
		rc = err_set(e, STOA_EIO, "cannot write the sheet");
	return rc;
}
