/*
 * cli: what the files of the `stoa` command share. main.c owns the command
 * table and the global options; each cmd_<name>.c parses its own argv with
 * getopt_long and returns an exit code (0 ok, 1 failure, 2 usage); util.c
 * holds the helpers every command needs (opening the home, strict number
 * parsing, bounded text input, id and member resolution, appending a
 * payload); print.c holds the printers and the sanitizer that every piece
 * of text written by another member passes through before it reaches a
 * terminal. The CLI reaches the store only through node/ (home.h, store.h,
 * view.h): never SQLite or libsodium directly. It never aborts or exits on
 * bad input: every error is printed once, here, as "stoa: <message>".
 */
#ifndef STOA_CLI_H
#define STOA_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "entry.h"
#include "err.h"
#include "home.h"
#include "key.h"
#include "stats.h"

#ifndef STOA_VERSION
#define STOA_VERSION "0.1.0"
#endif

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* The most bytes counted (not stored) when reporting an over-long text. */
#define CLI_COUNT_MAX (1024 * 1024)

/* The longest search query accepted, in bytes. */

/* State of one run: the --home option and the home, opened on demand. */
struct cli {
	const char *home_opt;     /* --home DIR, or NULL */
	const char *as;           /* --as NAME or $STOA_AS: the member who
				   * acts (cli_open selects it), or NULL */
	int as_env;               /* it came from $STOA_AS (errors say so) */
	char as_name[80];         /* that member's name, cleaned, once
				   * selected ("" for the primary) */
	char dir[HOME_PATH_MAX];  /* resolved by cli_open */
	struct home home;         /* valid when opened */
	int opened;
};

enum cmd_flags {
	CMD_HOME = 1 << 0,   /* uses a home: main initialises the crypto
			      * library first and closes the home after */
	CMD_NODE = 1 << 1,   /* acts as the node, never as one member
			      * (init, serve, sync; member, which names
			      * its members itself): --as is refused,
			      * $STOA_AS ignored */
};

struct cmd {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	unsigned flags;
	const char *summary;
};

/* Commands: argv[0] is the command name; they return the exit code. */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_invite(struct cli *c, int argc, char **argv);
int cmd_whoami(struct cli *c, int argc, char **argv);
int cmd_post(struct cli *c, int argc, char **argv);
int cmd_reply(struct cli *c, int argc, char **argv);
int cmd_feed(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_feedback(struct cli *c, int argc, char **argv);
int cmd_mentor(struct cli *c, int argc, char **argv);
int cmd_kudos(struct cli *c, int argc, char **argv);
int cmd_members(struct cli *c, int argc, char **argv);
int cmd_search(struct cli *c, int argc, char **argv);
int cmd_verify(struct cli *c, int argc, char **argv);
int cmd_reindex(struct cli *c, int argc, char **argv);
int cmd_serve(struct cli *c, int argc, char **argv);
int cmd_sync(struct cli *c, int argc, char **argv);
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_peers(struct cli *c, int argc, char **argv);
int cmd_passphrase(struct cli *c, int argc, char **argv);
int cmd_role(struct cli *c, int argc, char **argv);
int cmd_hide(struct cli *c, int argc, char **argv);
int cmd_unhide(struct cli *c, int argc, char **argv);
int cmd_erase(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_reports(struct cli *c, int argc, char **argv);
int cmd_remove(struct cli *c, int argc, char **argv);
int cmd_rotate(struct cli *c, int argc, char **argv);
int cmd_governance(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_member(struct cli *c, int argc, char **argv);
int cmd_frontier(struct cli *c, int argc, char **argv);
int cmd_bundle(struct cli *c, int argc, char **argv);

/* util.c ------------------------------------------------------------- */

#define CLI_AS_ENV "STOA_AS"   /* the member who acts, as --as */

/*
 * Resolves and opens the home once; a missing node gets the init hint.
 * With c->as, the home then acts as that member of this node
 * (cli_local_member, home_select); if it is not one, the home is closed
 * again and the error lists this node's members.
 */
int cli_open(struct cli *c, struct err *e);

/*
 * What the daemon running on the opened home says of itself (its status
 * over the control socket) as JSON in *out: 0, or daemon_status's error
 * (STOA_ENOTFOUND: none runs), or STOA_EPROTO when the answer is not JSON
 * (*out NULL).
 */
int cli_daemon_status(struct cli *c, json_t **out, struct err *e);

/*
 * Ends a command: prints "stoa: <message>" for rc < 0 (plus the usage
 * line for STOA_EUSAGE) and maps rc to the exit code. The message goes
 * through text_clean: one line, no control characters.
 */
int cli_finish(int rc, struct err *e, const char *usage);

/*
 * Prints "stoa: <fmt>" (cleaned as in cli_finish, at most ERR_MSG_MAX - 1
 * bytes) and the usage line on stderr; returns 2.
 */
int cli_usage(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "stoa: unexpected argument 'ARG'" and the usage line; returns 2. */
int cli_unexpected(const char *usage, const char *arg);

/* One sub-command of a command that has several (stoa mentor, bundle,
 * member): its name and its function, whose argv starts at its name. */
struct cli_sub {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
};

/*
 * Runs the sub-command argv[1] from subs (ended by a NULL name): help for
 * -h/--help, else "missing sub-command" or "unknown <what> sub-command
 * 'X'" with the usage line (exit 2).
 */
int cli_subcommand(struct cli *c, int argc, char **argv,
		   const struct cli_sub *subs, const char *what,
		   const char *usage, const char *help);

/* Prints help (usage line + description) on stdout; returns 0. */
int cli_help(const char *help);

/* Reports a getopt_long error (ch is '?' or ':'); returns 2. */
int cli_bad_option(int ch, char **argv, const struct option *opts,
		   const char *usage);

/* Resets getopt for a new argv (GNU getopt: optind = 0 reinitialises). */
void cli_getopt_reset(void);

/* What cli_parse_json_only returns when the command should go on. */
#define CLI_CONTINUE (-1)

/*
 * Parses the options of a command that takes no arguments and only
 * --json and --help: sets *json, and returns CLI_CONTINUE, or the exit
 * code when the command is done (help printed, or a usage error).
 */
int cli_parse_json_only(int argc, char **argv, const char *usage,
			const char *help, int *json);

/*
 * Parses a whole decimal number for option name: digits only, no sign, no
 * spaces. STOA_EUSAGE if it is not a number, STOA_EINVAL if it is outside
 * min..max.
 */
int cli_parse_num(const char *name, const char *s, uint64_t min,
		  uint64_t max, uint64_t *out, struct err *e);

/*
 * Reads the text of a command: arg itself, or stdin when arg is "-".
 * Refuses more than ENTRY_MAX_PAYLOAD bytes ("<what> is too long (N bytes,
 * at most M)"), a NUL byte, invalid UTF-8 or control characters, and text
 * that is only white space. Trailing newlines are dropped. *out is the
 * caller's to free().
 */
int cli_read_text(const char *what, const char *arg, char **out,
		  struct err *e);

/*
 * Checks a single-line field given on the command line (valid UTF-8, no
 * control characters, 1..max bytes, or 0..max if it may be empty).
 */
int cli_check_line(const char *what, const char *s, size_t max,
		   int may_be_empty, struct err *e);

/* Resolves an entry id prefix (8..64 hex chars); kind may be NULL. */
int cli_resolve_id(struct cli *c, const char *arg, uint8_t id[ENTRY_ID_LEN],
		   uint8_t *kind, struct err *e);

/* Resolves a member by display name or key prefix. */
int cli_resolve_member(struct cli *c, const char *arg,
		       uint8_t pk[KEY_PUBLIC_LEN], struct err *e);

/* Sets obj[key] to the string s (which must be valid UTF-8). */
int cli_set_str(json_t *obj, const char *key, const char *s, struct err *e);
/* Sets obj[key] to the lowercase hex of n bytes. */
int cli_set_hex(json_t *obj, const char *key, const uint8_t *p, size_t n,
		struct err *e);
/* Sets obj[key] to an integer. */
int cli_set_int(json_t *obj, const char *key, uint64_t v, struct err *e);

/*
 * Encodes obj as a payload of kind, appends it to the member's feed and
 * prints the new entry id (64 hex) alone on a line. Borrows obj.
 */
/* Tells a daemon serving this home that its member's feed grew (after a
 * batch of appends commits; cli_append does it for a single one). */
void cli_nudge(struct cli *c);
/* The same for the feed of author (a member just added to this node). */
void cli_nudge_author(struct cli *c, const uint8_t author[KEY_PUBLIC_LEN]);
int cli_append(struct cli *c, uint8_t kind, const json_t *obj,
	       uint8_t id_out[ENTRY_ID_LEN], struct err *e);

/* cmd_member.c: the members whose keys this node holds ---------------- */

/*
 * Resolves arg among this node's members (home_members): a display name
 * (ASCII case-insensitive, exact) or a key hex prefix of at least
 * CLI_MEMBER_PREFIX_MIN digits. STOA_ENOTFOUND or STOA_EAMBIG with one
 * line that lists this node's members. The home must be open.
 */
#define CLI_MEMBER_PREFIX_MIN 8
int cli_local_member(struct cli *c, const char *arg,
		     uint8_t pk[KEY_PUBLIC_LEN], struct err *e);

/* Prints this node's members (stoa whoami --all, stoa member list), as
 * text or one JSON object a line. Opens the home. */
int cli_local_members(struct cli *c, int json, struct err *e);

/* sync_lan.c: the report of `stoa sync --lan` ------------------------ */

#define SYNC_LAN_WAIT_DEFAULT 5      /* --wait, seconds */
#define SYNC_LAN_WAIT_MAX 3600

struct daemon_opts;
struct daemon_summary;

/*
 * Prints what a `stoa sync --lan` did (daemon_run with o->lan_wait_ms): a
 * line per node found and a total, or with json one object. 0 if every
 * node found synced (also when a signal ended the browse early: those
 * found are all there is); STOA_ENOTFOUND if none was found, STOA_EIO if
 * one did not sync (named) or a signal came before any was found, with
 * the reason in e.
 */
int sync_lan_report(struct cli *c, const struct daemon_opts *o,
		    const struct daemon_summary *sum, int json, struct err *e);

/* passphrase.c ------------------------------------------------------- */

#define CLI_PASS_ENV "STOA_PASSPHRASE"         /* the key's passphrase */
#define CLI_NEW_PASS_ENV "STOA_NEW_PASSPHRASE" /* stoa passphrase: new */

/* A passphrase in a fixed array: wipe with cli_pass_wipe on every path. */
struct cli_pass {
	char s[KEY_PASSPHRASE_MAX + 1];
	size_t len;
};
void cli_pass_wipe(struct cli_pass *p);

/*
 * Reads a passphrase into p: $env if set and not empty, else one line
 * from the terminal (/dev/tty) with echo off after "<prompt>: ", twice
 * with confirm. Refuses an empty one, one over KEY_PASSPHRASE_MAX bytes,
 * and (STOA_EPERM, one line naming env) having neither env nor terminal.
 * A signal during the prompt restores the terminal, then takes effect.
 */
int cli_read_pass(const char *env, const char *prompt, int confirm,
		  struct cli_pass *p, struct err *e);

/*
 * Opens the home (cli_open) and, if its key is sealed, unlocks it with
 * the passphrase from $STOA_PASSPHRASE or the terminal. Every command
 * that signs or connects calls it; reading commands never do.
 */
int cli_unlock(struct cli *c, struct err *e);

/* After a sync or a bundle: if it brought a rotation of the community
 * secret, the home moves to its epoch (home_adopt), said on stderr as
 * "stoa: moved to epoch N ..."; a failure is said there too. */
void cli_adopt(struct cli *c);

/* govern.c: the governance commands' shared checks ------------------ */

/*
 * This node's member's role as the rules resolved it (GOV_ROLE_*) into
 * *role; STOA_EPERM for a removed member. Opens the home.
 */
int cli_gov_self(struct cli *c, int *role, struct err *e);

/* STOA_EPERM "only a facilitator can <what> (you are a <role>)" unless
 * this node's member is a facilitator (and not removed). */
int cli_gov_need_facilitator(struct cli *c, const char *what,
			     struct err *e);

/*
 * Resolves the id prefix arg to a held entry that is not a governance
 * record ("... it cannot be <what>" otherwise): its id, kind and author.
 */
int cli_gov_target(struct cli *c, const char *arg, const char *what,
		   uint8_t id[ENTRY_ID_LEN], uint8_t *kind,
		   uint8_t author[KEY_PUBLIC_LEN], struct err *e);

/* Checks an optional --reason (one line, at most PAYLOAD_REASON_MAX bytes)
 * and sets obj["reason"]; nothing for NULL. */
int cli_gov_reason(json_t *o, const char *reason, struct err *e);

/* A member's name, cleaned, or "[1a2b3c4d]" if it has none. */
/*
 * The rotation of the community secret that goes with a removal (kind
 * epoch: docs/governance.md, "Rotation"), into *out: a new random secret
 * for the epoch after the highest this node knows (*epoch), sealed to
 * every member whose feed the store holds and who is not removed, but
 * except (the member being removed), with reason (may be NULL); the
 * writer is among them, so its
 * own node adopts the rotation like any other. STOA_EINVAL, with nothing
 * built, if more than PAYLOAD_EPOCH_SEALS_MAX members remain.
 */
int cli_gov_rotation(struct cli *c, const uint8_t except[KEY_PUBLIC_LEN],
		     const char *reason, json_t **out, uint32_t *epoch,
		     struct err *e);
/*
 * The arguments of a command that writes a record about one thing (hide,
 * unhide, erase: an ID; remove: a MEMBER): exactly one operand, named
 * what in the usage error, into *arg (what NULL: none, as rotate), and
 * --reason into *reason (NULL if absent; required if need_reason). CLI_CONTINUE, or the exit code (help
 * printed, or a usage error).
 */
int cli_gov_args(int argc, char **argv, const char *usage, const char *help,
		 const char *what, int need_reason, const char **arg,
		 const char **reason);
void cli_gov_print_name(FILE *f, struct cli *c,
			const uint8_t pk[KEY_PUBLIC_LEN]);

/* print.c ------------------------------------------------------------ */

/*
 * Returns a copy of s fit for a terminal (caller frees; NULL if out of
 * memory): C0 controls, DEL, C1 controls and bidi controls removed, tab
 * turned to a space, invalid UTF-8 bytes replaced by '?'. multiline keeps
 * newlines; otherwise they become spaces. Never longer than s.
 */
char *text_clean(const char *s, int multiline);

/* Number of code points in a clean string (a terminal column estimate). */
size_t text_width(const char *s);

/* Prints s cleaned; with multiline, indent follows every newline. */
void print_text(FILE *f, const char *s, int multiline, const char *indent);

/* The columns s takes once cleaned (text_clean, then text_width). */
size_t text_cell_width(const char *s);

/* Prints s cleaned and padded with spaces to width columns. */
void print_padded(FILE *f, const char *s, size_t width);

/* One compact JSON object and a newline; 0 or STOA_ENOMEM/STOA_EIO. */
int print_json(FILE *f, const json_t *row);

/* Local time "YYYY-MM-DD HH:MM" of ms since the epoch into out[32]. */
void format_time(json_int_t ms, char out[32]);

/* Row field helpers: a string field or def, an integer field or def. */
const char *row_str(const json_t *row, const char *key, const char *def);
json_int_t row_int(const json_t *row, const char *key, json_int_t def);
int row_bool(const json_t *row, const char *key);

/* "Name", or "[1a2b3c4d]" for a member with no profile name yet. */
void print_name(FILE *f, const json_t *row, const char *name_key,
		const char *key_key);

/*
 * A post row as text: a header line "id8  name  time  #topic  title"
 * (with "re id8", or "re [erased]", for replies, and "[hidden]" for a
 * hidden post shown with --hidden), then the body (or snippet) indented,
 * then a "N replies · N feedback" line. indent is the depth prefix. A
 * notice row (view_show_for) gets its notice instead of the body:
 * "[hidden by a facilitator: reason]", "[erased by its author: reason]".
 */
enum post_style {
	POST_FEED,    /* body and counts */
	POST_SEARCH,  /* snippet instead of body, counts */
	POST_THREAD,  /* body only (show) */
};
void print_post(FILE *f, const json_t *row, const char *indent,
		enum post_style style);

/*
 * The row callback (a view_row_fn) of the commands that list posts: each
 * row as one JSON line with json, else as a post in style, a blank line
 * between posts. err keeps the first print error; rows counts the posts.
 */
struct post_out {
	enum post_style style;
	int json;
	int err;
	unsigned rows;
};
int print_post_row(json_t *row, void *arg);

/* A feedback row as text. */
void print_feedback(FILE *f, const json_t *row, const char *indent);


/* html.c: the pieces of an HTML report ------------------------------- */

#define HTML_TEXT_MAX 1024   /* bytes of one text written; more is cut (…) */
#define HTML_LABEL_MAX 80    /* characters of a row's label in a table */
#define HTML_ROWS_MAX 10000  /* rows of a chart's table (STATS_LIMIT_MAX) */
#define HTML_BARS_MAX 40     /* bars a horizontal chart draws; its table
			      * has every row */
#define HTML_ALT_ROWS 8      /* rows a bar chart's text alternative names */

/*
 * Writes s as HTML text, safe in an element or a quoted attribute: at
 * most max_chars characters (and HTML_TEXT_MAX bytes; a cut text ends in
 * "…"), control and bidi characters removed (payload_text_clean), & < >
 * " ' escaped. NULL writes nothing. html_escape only escapes (for text
 * that is this program's own).
 */
void html_text(FILE *f, const char *s, size_t max_chars);
void html_escape(FILE *f, const char *s);

/* A JSON number as a double; NAN for null, a missing value, a string. */
double html_json_num(const json_t *v);

/* One series of a chart: a field of each row of the chart's array. */
struct html_series {
	const char *key;    /* the rows' field; also the data-series hook */
	const char *label;  /* in the legend and the table's header */
	double scale;       /* the value shown is the field times this */
	const char *unit;   /* after a value: "%", " h"; NULL for none */
	int decimals;       /* of a value shown */
	int drawn;          /* 0: a column of the table only */
};

/*
 * A chart over the rows of a JSON array: over weeks (html_line_chart,
 * html_week_bars: rows are weeks[]) or one bar per row (html_hbars). Each
 * writes one <figure class="chart" data-chart="HOOK">: the title as
 * <figcaption>, an <svg role="img" aria-label="..."> with axis labels,
 * a legend, and <details><summary>The numbers</summary><table> with one
 * row per row and a column per series. A null value is a gap in a line,
 * a bar of 0, "—" in text. The hooks the report's tests count are listed
 * at the top of report_html.c. Strings are borrowed; hook and keys are
 * constants (written unescaped).
 */
struct html_chart {
	const char *hook;        /* data-chart */
	const char *title;
	const char *x_label, *y_label;
	const char *note;        /* a line under the chart, or NULL */
	const char *empty;       /* an empty plot's words; NULL: "No data" */
	const json_t *rows;      /* the array charted */
	const char *label_key;   /* each row's label field */
	const char *label_head;  /* the table's first column */
	const struct html_series *s;
	size_t ns;
	double y_min_top;        /* the value axis reaches at least this */
	int whole;               /* whole-number ticks */
};

void html_line_chart(FILE *f, const struct html_chart *c);
void html_week_bars(FILE *f, const struct html_chart *c);
void html_hbars(FILE *f, const struct html_chart *c);

/* invite_out.c: a code as a QR code, an SVG, a sheet of invites ------ */

struct invite;
#define INVITE_QR_QUIET 4 /* modules of quiet zone around a QR code */
/* text as a QR code in UTF-8 half blocks, dark on light (with color,
 * ANSI colours make it so on any terminal; without, light modules are
 * the blocks). */
int cli_qr_term(FILE *f, const char *text, int color, struct err *e);
/* text as a QR code: one <svg> element, label its aria-label. */
int cli_qr_svg(FILE *f, const char *text, const char *label, struct err *e);
/* The printable HTML page of the n invites v (one card each). */
int cli_invite_sheet(FILE *f, const struct invite *v, size_t n,
		     struct err *e);
/* Writes path by fn(f, arg, e) into a new file beside it (mode 0600),
 * fsync, rename over path, fsync of the directory; refuses a path that
 * exists and is not a regular file. */
int cli_write_atomic(const char *path, int (*fn)(FILE *, void *,
						 struct err *),
		     void *arg, struct err *e);
/* "YYYY-MM-DD HH:MM UTC" of ms since the epoch. */
void cli_format_utc(uint64_t ms, char out[32]);

/* cmd_stats.c: the options of `stoa stats` and `stoa report --html` ---- */

#define CLI_STATS_OPTS                                                     \
	"[--since DATE] [--until DATE] [--topic TOPIC] [--member MEMBER]"  \
	" [--limit N] [--pseudonyms]"

#define CLI_STATS_HELP                                                     \
	"  --since DATE      the window's first day (YYYY-MM-DD, UTC); by\n" \
	"                    default the Monday 7 weeks before this week's\n" \
	"  --until DATE      the window's last day (default: today)\n"       \
	"  --topic TOPIC     only posts, feedback and mentoring of TOPIC\n"  \
	"  --member MEMBER   one member's own view (a name or key prefix)\n" \
	"  --limit N         the longest list (default 20)\n"                \
	"  --pseudonyms      names replaced by stable pseudonyms, keys left\n" \
	"                    out: for sharing outside the class\n"

/* What they say, for stats_compute. */
struct cli_stats_args {
	struct stats_opts o;
	uint8_t member[KEY_PUBLIC_LEN];
	uint8_t pkey[STATS_PSEUDONYM_KEY_LEN];
	const char *member_arg;
	int json, pseudonyms;
	const char *html;        /* report --html FILE */
};

/*
 * Parses the window options (and --json, or with html --html FILE) into
 * a, opens the home, resolves --member and makes the pseudonyms' key.
 * CLI_CONTINUE, or the exit code when done (help, a usage error).
 */
int cli_stats_args(struct cli *c, int argc, char **argv, int html,
		   struct cli_stats_args *a, const char *usage, const char *help);
/* The figures of a, with the community's name added: *out is the
 * caller's (json_decref). */
int cli_stats_compute(struct cli *c, struct cli_stats_args *a, json_t **out,
		      struct err *e);

/* report_html.c ------------------------------------------------------ */

/*
 * Writes the figures of docs/stats.md §5 (stats, as stats_compute makes
 * them) to f as one self-contained HTML5 document (docs/stats.md §6):
 * inline CSS and SVG, no script, nothing fetched. Every text in stats is
 * escaped; a figure that is null is shown as a gap or "—". Returns 0, or
 * STOA_EINVAL if stats is not an object, or STOA_EIO if writing f failed
 * (it flushes f and checks ferror: a full disk is an error here).
 */
int report_html_write(FILE *f, const json_t *stats, struct err *e);

#endif
