/*
 * bundle, frontier: entries carried by hand between nodes that never meet
 * on a network (docs/bundles.md). `stoa frontier FILE` writes what this
 * node holds; `stoa bundle create FILE --for FRONTIER` writes what that
 * frontier's site lacks; `bundle info` reads a file's head; `bundle
 * apply` stores a bundle's entries as a peer's; `bundle exchange DIR`
 * is the mule's visit to a stick (node/stick.c). The format, the walks
 * and the algorithm are node/'s (bundle.h, stick.h); this file parses
 * argv, draws the progress bar on a terminal and prints the results.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "stick.h"
#include "view.h"

/* ---- shared printing ------------------------------------------------------ */

/* n with thousands separators ("1,204") into out[32]. */
static const char *count_str(uint64_t n, char out[32])
{
	char d[24];
	int len = snprintf(d, sizeof(d), "%" PRIu64, n), i, o = 0;

	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = d[i];
	}
	out[o] = '\0';
	return out;
}

/* one or many, by n */
static const char *pl(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* A byte count for people: "812 bytes", "4.1 MB". */
static const char *size_str(uint64_t n, char out[32])
{
	if (n < 1000)
		snprintf(out, 32, "%" PRIu64 " bytes", n);
	else if (n < 1000 * 1000)
		snprintf(out, 32, "%.1f kB", (double)n / 1e3);
	else if (n < 1000ull * 1000 * 1000)
		snprintf(out, 32, "%.1f MB", (double)n / 1e6);
	else
		snprintf(out, 32, "%.1f GB", (double)n / 1e9);
	return out;
}

/* A member as people know them: the name this store holds (cleaned),
 * else the name in the file (cleaned), else "[1a2b3c4d]". */
static void member_str(struct cli *c, const uint8_t pk[KEY_PUBLIC_LEN],
		       const char *file_name, char *out, size_t cap)
{
	char name[BUNDLE_NAME_MAX + 1] = "", hex[9];
	char *clean;

	if (view_member_name(c->home.store, pk, name, sizeof(name), NULL) < 0 ||
	    !name[0])
		snprintf(name, sizeof(name), "%s", file_name ? file_name : "");
	clean = name[0] ? text_clean(name, 0) : NULL;
	if (clean && clean[0]) {
		snprintf(out, cap, "%s", clean);
	} else {
		hex_encode(hex, pk, 4);
		snprintf(out, cap, "[%s]", hex);
	}
	free(clean);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The bar on a terminal: "stoa: applying [#####.....]  51% 51,234/100,000
 * entries, 12.1/24.0 MB, 35,120/s, 2 s left", redrawn at most every
 * 100 ms, and a newline at the end. */
struct bar {
	const char *what;
	double start, last;
	int done;       /* the last bar was finished: the next one restarts */
};

static void draw_bar(void *arg, const struct bundle_progress *p)
{
	struct bar *b = arg;
	double now = mono_s(), secs, rate;
	uint64_t total = p->entries_total > p->entries ? p->entries_total
						      : p->entries;
	char bar[21], n1[32], n2[32], s1[32], s2[32], r[32];
	int pct, k;

	if (b->done) {
		b->start = now;
		b->last = 0;
		b->done = 0;
	}
	if (!p->done && now - b->last < 0.1)
		return;
	b->done = p->done;
	b->last = now;
	secs = now - b->start;
	rate = secs > 0 ? (double)p->entries / secs : 0;
	pct = total ? (int)(p->entries * 100 / total) : 100;
	for (k = 0; k < 20; k++)
		bar[k] = k < pct / 5 ? '#' : '.';
	bar[20] = '\0';
	fprintf(stderr, "\r\033[Kstoa: %s [%s] %3d%% %s/%s entries, %s", b->what,
		bar, pct, count_str(p->entries, n1), count_str(total, n2),
		size_str(p->bytes, s1));
	if (p->bytes_total)
		fprintf(stderr, " of %s", size_str(p->bytes_total, s2));
	fprintf(stderr, ", %s/s", count_str((uint64_t)rate, r));
	if (!p->done && rate > 0 && total > p->entries)
		fprintf(stderr, ", %.0f s left",
			(double)(total - p->entries) / rate);
	if (p->done)
		fputc('\n', stderr);
	fflush(stderr);
}

static bundle_progress_fn bar_fn(struct bar *b, const char *what)
{
	b->what = what;
	b->start = mono_s();
	b->last = 0;
	b->done = 0;
	return isatty(2) ? draw_bar : NULL;
}

/* Sets o[key] to s cleaned for a terminal (valid UTF-8 for JSON). */
static int set_clean(json_t *o, const char *key, const char *s,
		     struct err *e)
{
	char *clean = text_clean(s, 0);
	int rc;

	if (!clean)
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_str(o, key, clean, e);
	free(clean);
	return rc;
}

/* ---- frontier ------------------------------------------------------------- */

static const char frontier_usage[] = "usage: stoa frontier [FILE] [--json]";

static const char frontier_help[] =
	"usage: stoa frontier [FILE] [--json]\n"
	"\n"
	"Says what this node holds: for each feed, its author, head seq and\n"
	"head id. With FILE, writes it there as a frontier file (encrypted\n"
	"with the community's key) for another site to carry back: there,\n"
	"`stoa bundle create BUNDLE --for FILE` writes what this node lacks.\n"
	"Without FILE, prints the feeds.\n"
	"\n"
	"  --json   FILE: {\"type\":\"frontier\",\"file\",\"feeds\",\"entries\",\n"
	"           \"bytes\"}; without: one {\"type\":\"feed\",\"author\",\n"
	"           \"seq\",\"id\"} per feed\n";

struct feed_print {
	int json;
	int err;
};

static int print_head(const struct store_head *h, void *arg)
{
	struct feed_print *fp = arg;
	char a[2 * KEY_PUBLIC_LEN + 1], id[ENTRY_ID_HEX_LEN + 1];

	hex_encode(a, h->author, KEY_PUBLIC_LEN);
	entry_id_hex(h->id, id);
	if (fp->json) {
		json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "type", "feed",
				      "author", a, "seq", (json_int_t)h->seq,
				      "id", id);

		fp->err = o ? print_json(stdout, o) : STOA_ENOMEM;
		json_decref(o);
		return fp->err != 0;
	}
	printf("%s  %" PRIu64 "  %s\n", a, h->seq, id);
	return 0;
}

int cmd_frontier(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bundle_made made;
	struct err e;
	int ch, rc, json = 0;
	const char *file = NULL;

	err_clear(&e);
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'h': return cli_help(frontier_help);
		default: return cli_bad_option(ch, argv, opts, frontier_usage);
		}
	}
	if (argc - optind > 1)
		return cli_unexpected(frontier_usage, argv[optind + 1]);
	if (optind < argc)
		file = argv[optind];
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, frontier_usage);
	if (!file) {
		struct feed_print fp = { json, 0 };

		rc = store_frontier(c->home.store, print_head, &fp, &e);
		if (rc == 0 && fp.err)
			rc = err_set(&e, fp.err, "cannot print");
		return cli_finish(rc, &e, frontier_usage);
	}
	rc = bundle_frontier_write(&c->home, file, &made, &e);
	if (rc == 0 && json) {
		json_t *o = json_object();

		if (!o ||
		    json_object_set_new(o, "type", json_string("frontier")) ||
		    set_clean(o, "file", file, &e) < 0 ||
		    cli_set_int(o, "feeds", made.feeds, &e) < 0 ||
		    cli_set_int(o, "entries", made.entries, &e) < 0 ||
		    cli_set_int(o, "bytes", made.bytes, &e) < 0)
			rc = err_set(&e, STOA_ENOMEM, "out of memory");
		else
			rc = print_json(stdout, o);
		json_decref(o);
	} else if (rc == 0) {
		char n1[32], n2[32], s[32];

		printf("frontier of %s %s (%s %s) written to ",
		       count_str(made.feeds, n1), pl(made.feeds, "feed", "feeds"),
		       count_str(made.entries, n2),
		       pl(made.entries, "entry", "entries"));
		print_text(stdout, file, 0, NULL);
		printf(" (%s)\n", size_str(made.bytes, s));
	}
	return cli_finish(rc, &e, frontier_usage);
}

/* ---- bundle --------------------------------------------------------------- */

static const char usage[] =
	"usage: stoa bundle create FILE [--for FRONTIER] [--json]\n"
	"   or: stoa bundle info FILE [--json]\n"
	"   or: stoa bundle apply FILE [--json]\n"
	"   or: stoa bundle exchange DIR [--json]";

static const char help[] =
	"usage: stoa bundle create FILE [--for FRONTIER] [--json]\n"
	"   or: stoa bundle info FILE [--json]\n"
	"   or: stoa bundle apply FILE [--json]\n"
	"   or: stoa bundle exchange DIR [--json]\n"
	"\n"
	"Carries entries by hand (a USB stick) between nodes that never meet\n"
	"on a network. Bundles and frontier files are encrypted and\n"
	"authenticated with a key of the community secret: a lost stick\n"
	"reveals nothing, and another community's bundle is refused.\n"
	"\n"
	"create FILE      write every entry this node holds into FILE\n"
	"    --for FRONTIER  only what the site of that frontier file lacks\n"
	"                    (`stoa frontier FILE` there)\n"
	"info FILE        what a bundle or frontier file holds (community,\n"
	"                 maker, date, feeds, entries), without applying it\n"
	"apply FILE       check and store every entry, as from a peer, and\n"
	"                 say what was new; a damaged or cut file is applied\n"
	"                 up to the damage, which is named (exit 1)\n"
	"exchange DIR     the mule's visit to a stick mounted at DIR: apply\n"
	"                 the bundles there, write one for each other site\n"
	"                 with what it lacks, remove the bundles every site\n"
	"                 has applied, leave this node's frontier (a site\n"
	"                 that will not come back: delete its\n"
	"                 DIR/stoa/frontier-<hex>.stf, and each site's next\n"
	"                 visit removes its bundle for it)\n"
	"    --json          one JSON object (see docs/cli.md)\n"
	"\n"
	"create, apply and exchange draw a progress bar on stderr when it is a\n"
	"terminal.\n";

static const char create_usage[] =
	"usage: stoa bundle create FILE [--for FRONTIER] [--json]";
static const char info_usage[] = "usage: stoa bundle info FILE [--json]";
static const char apply_usage[] = "usage: stoa bundle apply FILE [--json]";
static const char exchange_usage[] = "usage: stoa bundle exchange DIR [--json]";

/* Options --json, --help and (create) --for, one operand FILE. */
static int parse(int argc, char **argv, const char *sub_usage, int with_for,
		 const char *what, const char **file, const char **for_file,
		 int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': *json = 1; break;
		case 'f':
			if (!with_for)
				return cli_usage(sub_usage, "unknown option "
						 "'--for'");
			*for_file = optarg;
			break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, sub_usage);
		}
	}
	if (optind == argc)
		return cli_usage(sub_usage, "missing %s", what);
	if (argc - optind > 1)
		return cli_unexpected(sub_usage, argv[optind + 1]);
	*file = argv[optind];
	return CLI_CONTINUE;
}

static int create(struct cli *c, int argc, char **argv)
{
	const char *file = NULL, *for_file = NULL;
	struct bundle_head fr;
	struct bundle_made made;
	struct bar b;
	struct err e;
	int rc, json = 0, have_fr = 0;

	rc = parse(argc, argv, create_usage, 1, "FILE", &file, &for_file,
		   &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	memset(&fr, 0, sizeof(fr));
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, create_usage);
	if (for_file) {
		if ((rc = bundle_read_head(for_file, &c->home.community, &fr,
					   &e)) < 0)
			return cli_finish(rc, &e, create_usage);
		have_fr = 1;
		if (fr.kind != BUNDLE_KIND_FRONTIER) {
			bundle_head_release(&fr);
			rc = err_set(&e, STOA_EINVAL, "'%s' is a bundle, not a "
				     "frontier file (`stoa frontier FILE` writes "
				     "one)", for_file);
			return cli_finish(rc, &e, create_usage);
		}
	}
	rc = bundle_create(&c->home, have_fr ? &fr : NULL, file,
			   bar_fn(&b, "bundling"), &b, &made, &e);
	if (rc == 0 && json) {
		json_t *o = json_object();

		if (!o ||
		    json_object_set_new(o, "type", json_string("bundle_create")) ||
		    set_clean(o, "file", file, &e) < 0 ||
		    cli_set_int(o, "feeds", made.feeds, &e) < 0 ||
		    cli_set_int(o, "entries", made.entries, &e) < 0 ||
		    cli_set_int(o, "bytes", made.bytes, &e) < 0 ||
		    cli_set_int(o, "epoch", made.epoch, &e) < 0 ||
		    cli_set_int(o, "forks", made.forks, &e) < 0 ||
		    (have_fr && cli_set_hex(o, "for", fr.creator, KEY_PUBLIC_LEN,
					    &e) < 0))
			rc = err_set(&e, STOA_ENOMEM, "out of memory");
		else
			rc = print_json(stdout, o);
		json_decref(o);
	} else if (rc == 0) {
		char n1[32], n2[32], s[32], who[80];

		printf("wrote ");
		print_text(stdout, file, 0, NULL);
		printf(": %s %s in %s %s, %s", count_str(made.entries, n1),
		       pl(made.entries, "entry", "entries"),
		       count_str(made.feeds, n2), pl(made.feeds, "feed", "feeds"),
		       size_str(made.bytes, s));
		if (have_fr) {
			member_str(c, fr.creator, fr.name, who, sizeof(who));
			printf(", for %s", who);
		}
		printf("\n");
		if (made.forks)
			printf("note: %" PRIu32 " feeds differ from the frontier's "
			       "at its own head (a fork there): sent from its "
			       "head on\n", made.forks);
	}
	bundle_head_release(&fr);
	return cli_finish(rc, &e, create_usage);
}

static int info(struct cli *c, int argc, char **argv)
{
	const char *file = NULL, *unused = NULL;
	struct bundle_head h;
	struct err e;
	char who[80], when[32], n1[32], s[32], hex[2 * KEY_PUBLIC_LEN + 1];
	static const uint8_t zero[KEY_PUBLIC_LEN];
	uint32_t i;
	int rc, json = 0;

	rc = parse(argc, argv, info_usage, 0, "FILE", &file, &unused, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	if ((rc = cli_open(c, &e)) < 0 ||
	    (rc = bundle_read_head(file, &c->home.community, &h, &e)) < 0)
		return cli_finish(rc, &e, info_usage);
	if (json) {
		json_t *o = json_object(), *fa = json_array();

		rc = 0;
		if (!o || !fa ||
		    json_object_set_new(o, "type", json_string("bundle_info")) ||
		    json_object_set_new(o, "kind",
					json_string(h.kind == BUNDLE_KIND_BUNDLE
							    ? "bundle"
							    : "frontier")) ||
		    set_clean(o, "community", c->home.community.name, &e) < 0 ||
		    cli_set_int(o, "epoch", h.epoch, &e) < 0 ||
		    cli_set_hex(o, "creator", h.creator, KEY_PUBLIC_LEN, &e) < 0 ||
		    set_clean(o, "name", h.name, &e) < 0 ||
		    cli_set_int(o, "created", h.created_ms, &e) < 0 ||
		    cli_set_int(o, "entries", h.entries, &e) < 0 ||
		    cli_set_int(o, "bytes", h.file_size, &e) < 0)
			rc = err_set(&e, STOA_ENOMEM, "out of memory");
		if (rc == 0 && memcmp(h.addressee, zero, KEY_PUBLIC_LEN))
			rc = cli_set_hex(o, "for", h.addressee, KEY_PUBLIC_LEN,
					 &e);
		for (i = 0; rc == 0 && i < h.nfeeds; i++) {
			hex_encode(hex, h.feeds[i].author, KEY_PUBLIC_LEN);
			if (json_array_append_new(
				    fa, json_pack("{s:s, s:I, s:I}", "author", hex,
						  "from",
						  (json_int_t)h.feeds[i].from,
						  "to", (json_int_t)h.feeds[i].to)))
				rc = err_set(&e, STOA_ENOMEM, "out of memory");
		}
		if (rc == 0 && json_object_set(o, "feeds", fa))
			rc = err_set(&e, STOA_ENOMEM, "out of memory");
		if (rc == 0)
			rc = print_json(stdout, o);
		json_decref(fa);
		json_decref(o);
		bundle_head_release(&h);
		return cli_finish(rc, &e, info_usage);
	}
	printf("%s of ", h.kind == BUNDLE_KIND_BUNDLE ? "bundle" : "frontier");
	print_text(stdout, c->home.community.name, 0, NULL);
	printf(", epoch %" PRIu32 "%s\n", h.epoch,
	       h.past ? " (a past epoch)" : "");
	member_str(c, h.creator, h.name, who, sizeof(who));
	format_time((json_int_t)h.created_ms, when);
	hex_encode(hex, h.creator, 4);
	printf("made by %s (%s) at %s", who, hex, when);
	if (memcmp(h.addressee, zero, KEY_PUBLIC_LEN)) {
		member_str(c, h.addressee, NULL, who, sizeof(who));
		printf(", for %s", who);
	}
	printf("\n");
	if (h.kind == BUNDLE_KIND_BUNDLE)
		printf("%s %s in %" PRIu32 " %s, %s\n",
		       count_str(h.entries, n1), pl(h.entries, "entry", "entries"),
		       h.nfeeds, pl(h.nfeeds, "feed", "feeds"),
		       size_str(h.file_size, s));
	else
		printf("holds %" PRIu32 " %s, %s %s\n", h.nfeeds,
		       pl(h.nfeeds, "feed", "feeds"), count_str(h.entries, n1),
		       pl(h.entries, "entry", "entries"));
	for (i = 0; i < h.nfeeds; i++) {
		hex_encode(hex, h.feeds[i].author, 4);
		member_str(c, h.feeds[i].author, NULL, who, sizeof(who));
		if (h.kind == BUNDLE_KIND_BUNDLE)
			printf("  %s  %-20s seq %" PRIu64 "..%" PRIu64 " (%s)\n",
			       hex, who, h.feeds[i].from, h.feeds[i].to,
			       count_str(h.feeds[i].to - h.feeds[i].from + 1, n1));
		else
			printf("  %s  %-20s seq %" PRIu64 "\n", hex, who,
			       h.feeds[i].to);
	}
	bundle_head_release(&h);
	return cli_finish(0, &e, info_usage);
}

static void print_notes(struct cli *c, const struct bundle_applied *a)
{
	char who[80], hex[9], n1[32];
	size_t i;

	for (i = 0; i < a->nnotes; i++) {
		const struct bundle_note *nt = &a->notes[i];
		char *why = text_clean(nt->why, 0);

		hex_encode(hex, nt->author, 4);
		member_str(c, nt->author, NULL, who, sizeof(who));
		printf("  %s %s: %s %s: %s\n", hex, who,
		       count_str(nt->refused, n1), nt->cut ? "cut" : "refused",
		       why ? why : "?");
		free(why);
	}
	if (a->feeds_refused > a->nnotes)
		printf("  and %zu more feeds with refused entries\n",
		       (size_t)a->feeds_refused - a->nnotes);
}

/* The JSON object of an apply (borrowed strings copied). */
static json_t *applied_json(const struct bundle_applied *a, const char *file,
			    struct err *e)
{
	json_t *o = json_object(), *ra = json_array();
	char hex[2 * KEY_PUBLIC_LEN + 1];
	size_t i;
	int bad = !o || !ra;

	if (!bad)
		bad = json_object_set_new(o, "type", json_string("bundle_apply")) ||
		      set_clean(o, "file", file, e) < 0 ||
		      cli_set_hex(o, "creator", a->head.creator, KEY_PUBLIC_LEN,
				  e) < 0 ||
		      set_clean(o, "name", a->head.name, e) < 0 ||
		      cli_set_int(o, "epoch", a->head.epoch, e) < 0 ||
		      cli_set_int(o, "entries", a->head.entries, e) < 0 ||
		      cli_set_int(o, "read", a->read, e) < 0 ||
		      cli_set_int(o, "new", a->added, e) < 0 ||
		      cli_set_int(o, "held", a->held, e) < 0 ||
		      cli_set_int(o, "refused", a->refused, e) < 0 ||
		      cli_set_int(o, "repaired", a->repaired, e) < 0 ||
		      cli_set_int(o, "feeds_new", a->feeds_new, e) < 0 ||
		      cli_set_int(o, "feeds_refused", a->feeds_refused, e) < 0;
	for (i = 0; !bad && i < a->nnotes; i++) {
		char *why = text_clean(a->notes[i].why, 0);

		hex_encode(hex, a->notes[i].author, KEY_PUBLIC_LEN);
		bad = !why || json_array_append_new(
				      ra, json_pack("{s:s, s:I, s:b, s:s}",
						    "author", hex, "refused",
						    (json_int_t)a->notes[i].refused,
						    "cut", a->notes[i].cut, "why",
						    why));
		free(why);
	}
	if (!bad)
		bad = json_object_set(o, "refusals", ra);
	if (!bad && a->damaged)
		bad = json_object_set_new(
			o, "damaged",
			json_pack("{s:I, s:I, s:b, s:s}", "at",
				  (json_int_t)a->damaged_at, "entry",
				  (json_int_t)(a->read + 1), "truncated",
				  a->damaged == 2, "why", a->damage));
	else if (!bad)
		bad = json_object_set_new(o, "damaged", json_null());
	json_decref(ra);
	if (bad) {
		json_decref(o);
		err_set(e, STOA_ENOMEM, "out of memory");
		return NULL;
	}
	return o;
}

/* "'F' is damaged at byte X (entry N of M): the N-1 entries before it
 * were applied" into e (the command's error, exit 1). */
static int damage_err(const struct bundle_applied *a, const char *file,
		      struct err *e)
{
	char n1[32], n2[32], n3[32];
	uint64_t total = a->head.entries > a->read ? a->head.entries : a->read;

	if (a->read >= total && a->damaged == 1)
		return err_set(e, STOA_EPROTO, "'%s' is damaged at byte %" PRIu64
			       " (after its last entry: %s): its %s entries "
			       "were applied", file, a->damaged_at, a->damage,
			       count_str(a->read, n1));
	if (a->damaged == 2)
		return err_set(e, STOA_EPROTO, "'%s' is cut short at byte %"
			       PRIu64 " (after entry %s of %s): the %s entries "
			       "before it were applied", file, a->damaged_at,
			       count_str(a->read, n1), count_str(total, n2),
			       count_str(a->read, n3));
	return err_set(e, STOA_EPROTO, "'%s' is damaged at byte %" PRIu64
		       " (entry %s of %s: %s): the %s entries before it were "
		       "applied", file, a->damaged_at, count_str(a->read + 1, n1),
		       count_str(total, n2), a->damage, count_str(a->read, n3));
}

static int apply(struct cli *c, int argc, char **argv)
{
	const char *file = NULL, *unused = NULL;
	struct bundle_applied a;
	struct bar b;
	struct err e;
	int rc, json = 0;

	rc = parse(argc, argv, apply_usage, 0, "FILE", &file, &unused, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, apply_usage);
	rc = bundle_apply(&c->home, file, bar_fn(&b, "applying"), &b, &a, &e);
	if (rc < 0) {
		bundle_applied_release(&a);
		return cli_finish(rc, &e, apply_usage);
	}
	if (a.added)
		cli_adopt(c);
	if (json) {
		json_t *o = applied_json(&a, file, &e);

		rc = o ? print_json(stdout, o) : STOA_ENOMEM;
		json_decref(o);
	} else {
		char n1[32], n2[32], n3[32];

		printf("%s new %s in %" PRIu32 " %s (%s already held); "
		       "%s refused\n", count_str(a.added, n1),
		       pl(a.added, "entry", "entries"), a.feeds_new,
		       pl(a.feeds_new, "feed", "feeds"), count_str(a.held, n2),
		       count_str(a.refused, n3));
		if (a.repaired)
			printf("%s entries held without their payload are "
			       "whole again\n", count_str(a.repaired, n1));
		print_notes(c, &a);
	}
	if (rc == 0 && a.damaged)
		rc = damage_err(&a, file, &e);
	bundle_applied_release(&a);
	return cli_finish(rc, &e, apply_usage);
}

/* ---- exchange ------------------------------------------------------------- */

static int exchange(struct cli *c, int argc, char **argv)
{
	const char *dir = NULL, *unused = NULL;
	struct stick_visit v;
	struct stick_progress pg;
	struct bar b;
	struct err e, ve;
	int rc, vrc, json = 0;
	size_t i;

	rc = parse(argc, argv, exchange_usage, 0, "DIR", &dir, &unused, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	if ((rc = cli_open(c, &e)) < 0)
		return cli_finish(rc, &e, exchange_usage);
	pg.fn = bar_fn(&b, "exchanging");
	pg.arg = &b;
	vrc = stick_exchange(&c->home, dir, &pg, &v, &e);
	/* a visit that failed part way still says what it did */
	if (vrc < 0 && !v.nlines && !v.added && !v.removed && !v.frontier) {
		stick_visit_release(&v);
		return cli_finish(vrc, &e, exchange_usage);
	}
	ve = e;
	err_clear(&e);
	rc = 0;
	if (v.added)
		cli_adopt(c);
	if (json) {
		json_t *o = json_object(), *to = json_array(), *from = json_array(),
		       *probs = json_array(), *unw = json_array();
		char hex[2 * KEY_PUBLIC_LEN + 1];

		rc = (!o || !to || !from || !probs || !unw) ? STOA_ENOMEM : 0;
		for (i = 0; rc == 0 && i < v.nlines; i++) {
			const struct stick_line *l = &v.lines[i];
			char *name = text_clean(l->name, 0);
			json_t *row;

			hex_encode(hex, l->site, KEY_PUBLIC_LEN);
			if (l->kind == STICK_TO)
				row = json_pack("{s:s, s:s, s:I, s:b}", "site", hex,
						"name", name ? name : "",
						"entries", (json_int_t)l->entries,
						"unchanged", l->unchanged);
			else if (l->kind == STICK_FROM)
				row = json_pack("{s:s, s:s, s:I, s:I, s:I}",
						"site", hex, "name",
						name ? name : "", "new",
						(json_int_t)l->entries, "refused",
						(json_int_t)l->refused, "damaged",
						(json_int_t)l->damaged);
			else if (l->kind == STICK_UNWRITTEN) {
				char *why = text_clean(l->why, 0);

				row = why ? json_pack("{s:s, s:s, s:s}", "site",
						      stick_line_site(l) ? hex : "",
						      "name", name ? name : "",
						      "why", why)
					  : NULL;
				free(why);
			} else {
				/* a stick's file names are anyone's bytes */
				char *file = text_clean(l->file, 0),
				     *why = text_clean(l->why, 0);

				row = file && why ? json_pack("{s:s, s:s}",
							      "file", file,
							      "why", why)
						  : NULL;
				free(file);
				free(why);
			}
			free(name);
			if (!row ||
			    json_array_append_new(l->kind == STICK_TO     ? to
						  : l->kind == STICK_FROM ? from
						  : l->kind == STICK_UNWRITTEN
							  ? unw
							  : probs,
						  row))
				rc = STOA_ENOMEM;
		}
		if (rc == 0 &&
		    (json_object_set_new(o, "type", json_string("bundle_exchange")) ||
		     json_object_set(o, "to", to) || json_object_set(o, "from", from) ||
		     json_object_set(o, "problems", probs) ||
		     json_object_set(o, "unwritten", unw) ||
		     (vrc < 0 && json_object_set_new(o, "error",
						     json_string(ve.msg))) ||
		     cli_set_int(o, "new", v.added, &e) < 0 ||
		     cli_set_int(o, "removed", v.removed, &e) < 0 ||
		     cli_set_int(o, "removed_orphans", v.orphans, &e) < 0 ||
		     cli_set_int(o, "removed_of_removed_members",
				 v.removed_members, &e) < 0 ||
		     cli_set_int(o, "foreign", v.foreign, &e) < 0 ||
		     cli_set_int(o, "newer_epoch", v.newer, &e) < 0 ||
		     cli_set_int(o, "more_problems", v.more_skipped, &e) < 0 ||
		     cli_set_int(o, "sites", v.sites, &e) < 0 ||
		     cli_set_int(o, "bytes", v.bytes, &e) < 0))
			rc = STOA_ENOMEM;
		if (rc == 0)
			rc = print_json(stdout, o);
		else
			rc = err_set(&e, rc, "out of memory");
		json_decref(to);
		json_decref(from);
		json_decref(probs);
		json_decref(unw);
		json_decref(o);
	} else {
		char n1[32], s[32];
		int any = 0;

		for (i = 0; i < v.nlines; i++) {
			const struct stick_line *l = &v.lines[i];
			char *name = text_clean(l->name, 0), hex[9];

			hex_encode(hex, l->site, 4);
			if (l->kind == STICK_TO)
				printf("to %s: %s %s%s\n",
				       name && name[0] ? name : hex,
				       count_str(l->entries, n1),
				       pl(l->entries, "entry", "entries"),
				       l->unchanged ? " (as before: nothing new "
						      "for it since)"
						    : "");
			else if (l->kind == STICK_FROM) {
				printf("from %s: %s new%s",
				       name && name[0] ? name : hex,
				       count_str(l->entries, n1),
				       l->damaged ? " (its bundle is damaged: "
						    "applied up to the damage)"
						  : "");
				/* refused entries are said, with why: a
				 * visit saying "0 new" alone left the user
				 * guessing */
				if (l->refused) {
					printf(", %s refused", count_str(l->refused, n1));
					if (l->why[0]) {
						printf(": ");
						print_text(stdout, l->why, 0, NULL);
					}
				}
				printf("\n");
			}
			else if (l->kind == STICK_UNWRITTEN) {
				if (stick_line_site(l))
					printf("not written for %s: ",
					       name && name[0] ? name : hex);
				else
					printf("not written: this site's "
					       "frontier: ");
				print_text(stdout, l->why, 0, NULL);
				printf("\n");
			} else {
				printf("skipped ");
				print_text(stdout, l->file, 0, NULL);
				printf(": ");
				print_text(stdout, l->why, 0, NULL);
				printf("\n");
			}
			free(name);
			any = 1;
		}
		if (!any && v.sites == 1 && v.frontier)
			printf("first site on this stick: left this site's "
			       "frontier; the next site to visit writes what "
			       "this one lacks\n");
		else if (!any)
			printf("nothing to carry: every site on the stick holds "
			       "what this node holds\n");
		if (v.more_skipped)
			printf("and %s more %s skipped\n",
			       count_str(v.more_skipped, n1),
			       pl(v.more_skipped, "file", "files"));
		if (v.removed)
			printf("removed %" PRIu32 " applied %s\n", v.removed,
			       pl(v.removed, "bundle", "bundles"));
		if (v.removed_members)
			printf("removed %" PRIu32 " %s of members removed from "
			       "the community\n", v.removed_members,
			       pl(v.removed_members, "file", "files"));
		if (v.orphans)
			printf("removed %" PRIu32 " %s whose frontier is no "
			       "longer on the stick\n", v.orphans,
			       pl(v.orphans, "bundle for a site",
				  "bundles for sites"));
		if (v.foreign)
			printf("left alone %" PRIu32 " %s of another "
			       "community\n", v.foreign,
			       pl(v.foreign, "file", "files"));
		if (v.newer)
			printf("left alone %" PRIu32 " %s of a newer epoch of "
			       "the community secret, not reached here yet "
			       "(or of another community): a bundle or a sync "
			       "brings the rotation\n", v.newer,
			       pl(v.newer, "file", "files"));
		printf("stick holds %" PRIu32 " %s, %s\n", v.sites,
		       pl(v.sites, "site", "sites"), size_str(v.bytes, s));
	}
	stick_visit_release(&v);
	if (rc == 0 && vrc < 0) {
		fflush(stdout);
		return cli_finish(vrc, &ve, exchange_usage);
	}
	return cli_finish(rc, &e, exchange_usage);
}

int cmd_bundle(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "create", create },
		{ "info", info },
		{ "apply", apply },
		{ "exchange", exchange },
		{ NULL, NULL },
	};

	return cli_subcommand(c, argc, argv, subs, "bundle", usage, help);
}
