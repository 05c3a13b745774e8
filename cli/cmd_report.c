/*
 * report: any member flags an entry for the facilitators with a report
 * record (docs/governance.md): a category, and an optional text sealed to
 * each current facilitator (key_seal: only that facilitator's secret key
 * opens its box; the record carries the boxes, never the text). The
 * record changes nothing on other nodes: 'stoa reports' shows it to the
 * facilitators, who decide. Refused before anything is written: an entry
 * not held, a governance record, an unknown category (a usage error), a
 * text over 1024 bytes, a removed member.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "b64.h"
#include "cli.h"
#include "payload.h"
#include "view.h"

#define REPORT_USAGE                                                       \
	"usage: stoa report ID --reason "                                  \
	"bullying|personal-info|spam|off-topic|other [TEXT|-]\n"           \
	"   or: stoa report --html FILE [--since DATE] [--until DATE] ..."

static const char usage[] = REPORT_USAGE;

static const char help[] =
	REPORT_USAGE "\n"
	"\n"
	"Reports the entry ID (a unique id prefix of 8 or more hex\n"
	"characters) to the community's facilitators, and prints the new\n"
	"record's id. Any member can. TEXT, optional ('-' reads it from\n"
	"stdin, at most 1024 bytes), says what is wrong: it is sealed to\n"
	"each facilitator this node knows of (at most 16), so only they can\n"
	"read it, in 'stoa reports'; everyone sees that you reported the\n"
	"entry, and its category.\n"
	"\n"
	"  --reason CATEGORY   bullying, personal-info, spam, off-topic or\n"
	"                      other (required)\n"
	"\n"
	"With --html FILE, writes the community's figures (those of 'stoa\n"
	"stats') as one HTML file with charts instead: it opens offline in\n"
	"any browser, on a phone, and prints on A4; nothing in it is fetched\n"
	"from anywhere. FILE is written whole or not at all; '-' writes the\n"
	"report to standard output.\n"
	"\n"
	"  --html FILE       the report's file\n"
	CLI_STATS_HELP;

/* {"to": key, "box": base64 of key_seal(text)} for each facilitator. */
static int seal_text(struct cli *c, json_t *o, const char *text,
		     size_t *sealed, struct err *e)
{
	uint8_t fac[PAYLOAD_SEALED_MAX][KEY_PUBLIC_LEN];
	uint8_t box[PAYLOAD_BOX_MAX];
	char b64[B64_LEN(PAYLOAD_BOX_MAX) + 1];
	size_t n = 0, i, len = text ? strlen(text) : 0;
	json_t *list, *item;
	int rc;

	*sealed = 0;
	if (!(list = json_array()) || json_object_set_new(o, "sealed",
							  list) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if (!text)
		return 0;
	rc = view_facilitators(c->home.store, fac, PAYLOAD_SEALED_MAX, &n, e);
	if (rc < 0)
		return rc;
	if (n == 0)
		return err_set(e, STOA_EINVAL, "this community has no "
			       "facilitator to seal the text to: report "
			       "without a text");
	for (i = 0; i < n && rc == 0; i++) {
		if (key_seal(box, text, len, fac[i]) < 0 ||
		    b64_encode(b64, sizeof(b64), box, len + KEY_SEAL_OVERHEAD)
		    < 0) {
			rc = err_set(e, STOA_ECRYPTO, "cannot seal the text");
			break;
		}
		if (!(item = json_object()) ||
		    json_array_append_new(list, item) < 0) {
			rc = err_set(e, STOA_ENOMEM, "out of memory");
			break;
		}
		rc = cli_set_hex(item, "to", fac[i], KEY_PUBLIC_LEN, e);
		if (rc == 0)
			rc = cli_set_str(item, "box", b64, e);
	}
	bytes_wipe(box, sizeof(box));
	*sealed = n;
	return rc;
}

/* Every check, then the record {target, category, sealed}. */
static int write_report(struct cli *c, const char *arg, const char *category,
			const char *text, uint8_t id[ENTRY_ID_LEN],
			size_t *sealed, struct err *e)
{
	uint8_t author[KEY_PUBLIC_LEN], kind = 0;
	int role = GOV_ROLE_LEARNER, rc;
	json_t *o;

	if ((rc = cli_gov_target(c, arg, "reported", id, &kind, author,
				 e)) < 0 ||
	    (rc = cli_gov_self(c, &role, e)) < 0)
		return rc;
	if (!(o = json_object()))
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_hex(o, "target", id, ENTRY_ID_LEN, e);
	if (rc == 0)
		rc = cli_set_str(o, "category", category, e);
	if (rc == 0)
		rc = seal_text(c, o, text, sealed, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_REPORT, o, NULL, e);
	json_decref(o);
	return rc;
}

/* ---- report --html: the community's report, not an entry's ---- */

static const char report_usage[] =
	"usage: stoa report --html FILE " CLI_STATS_OPTS;


/*
 * Writes the report to a new file beside path, flushed to disk, then
 * renames it over path: a reader never sees half a report, and a failure
 * leaves path as it was.
 */
static int write_atomic(const char *path, const json_t *s, struct err *e)
{
	struct afile af;
	struct err le;
	int rc;

	/* a device, a fifo or a symlink is not replaced by a report, which
	 * is an ordinary file: 0666 & ~umask */
	if ((rc = afile_open(&af, path, 0666, "the report goes to a new file "
			     "or replaces one", e)) < 0)
		return rc;
	err_clear(&le);
	if ((rc = report_html_write(af.f, s, &le)) < 0) {
		afile_abort(&af);
		return err_set(e, rc, "'%s': %s", path, le.msg);
	}
	return afile_commit(&af, e);
}

static int report_html(struct cli *c, int argc, char **argv)
{
	struct cli_stats_args a;
	json_t *s = NULL;
	struct err e;
	int rc;

	rc = cli_stats_args(c, argc, argv, 1, &a, report_usage,
			    help);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	rc = cli_stats_compute(c, &a, &s, &e);
	if (rc == 0 && !strcmp(a.html, "-")) { /* FILE "-": stdout */
		if ((rc = report_html_write(stdout, s, &e)) == 0 &&
		    (fflush(stdout) != 0 || ferror(stdout)))
			rc = err_set(&e, STOA_EIO, "cannot write the report: %s",
				     strerror(errno));
	} else if (rc == 0 && (rc = write_atomic(a.html, s, &e)) == 0) {
		char *clean = text_clean(a.html, 0);

		fprintf(stderr, "stoa: wrote the report to %s\n",
			clean ? clean : "the file");
		free(clean);
	}
	json_decref(s);
	return cli_finish(rc, &e, report_usage);
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *category = NULL;
	char hex[ENTRY_ID_HEX_LEN + 1], *text = NULL;
	uint8_t id[ENTRY_ID_LEN];
	size_t sealed = 0;
	struct err e;
	int ch, rc;

	/* stoa report --html FILE: the community's report, not an entry's */
	for (ch = 1; ch < argc && strcmp(argv[ch], "--"); ch++)
		if (!strcmp(argv[ch], "--html") ||
		    !strncmp(argv[ch], "--html=", 7))
			return report_html(c, argc, argv);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': category = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind == argc)
		return cli_usage(usage, "missing ID");
	if (argc - optind > 2)
		return cli_usage(usage, "too many arguments (quote the TEXT)");
	if (!category)
		return cli_usage(usage, "--reason is required (bullying, "
				 "personal-info, spam, off-topic or other)");
	if (!payload_report_category_ok(category)) {
		char *clean = text_clean(category, 0);

		rc = cli_usage(usage, "unknown category '%s' (bullying, "
			       "personal-info, spam, off-topic or other)",
			       clean ? clean : "?");
		free(clean);
		return rc;
	}

	err_clear(&e);
	rc = 0;
	if (argc - optind == 2)
		rc = cli_read_text("report text", argv[optind + 1], &text, &e);
	if (rc == 0 && text && strlen(text) > PAYLOAD_REASON_MAX)
		rc = err_set(&e, STOA_EINVAL, "report text is too long (%zu "
			     "bytes, at most %d)", strlen(text),
			     PAYLOAD_REASON_MAX);
	if (rc == 0)
		rc = write_report(c, argv[optind], category, text, id, &sealed,
				  &e);
	if (rc == 0) {
		entry_id_hex(id, hex);
		if (sealed)
			fprintf(stderr, "stoa: reported %.8s (%s); the text is "
				"sealed to %zu facilitator%s\n", hex, category,
				sealed, sealed == 1 ? "" : "s");
		else
			fprintf(stderr, "stoa: reported %.8s (%s)\n", hex,
				category);
	}
	if (text) {
		bytes_wipe(text, strlen(text));
		free(text);
	}
	return cli_finish(rc, &e, usage);
}
