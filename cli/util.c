/*
 * util: the helpers every command shares: opening the home (with the "run
 * 'stoa init' first" hint), printing the one error line and choosing the
 * exit code, getopt error messages, strict bounded number parsing, bounded
 * text input from argv or stdin, resolving id prefixes and members, and
 * turning a payload object into a signed entry of the member's own feed.
 * Nothing here prints except cli_finish, cli_usage, cli_help,
 * cli_bad_option and cli_append (the new id); nothing exits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "payload.h"
#include "store.h"
#include "view.h"

int cli_open(struct cli *c, struct err *e)
{
	char path[HOME_PATH_MAX];
	int rc;

	if (c->opened)
		return 0;
	rc = home_resolve(c->home_opt, c->dir, e);
	if (rc < 0)
		return rc;
	/* Say what to do rather than which file is missing. */
	if (home_path(c->dir, HOME_KEY_FILE, path, NULL) == 0 &&
	    access(path, F_OK) != 0 && errno == ENOENT)
		return err_set(e, STOA_ENOTFOUND,
			       "no node in '%s': run 'stoa init' first",
			       c->dir);
	memset(&c->home, 0, sizeof(c->home));
	rc = home_open(&c->home, c->dir, e);
	if (rc < 0)
		return rc;
	c->opened = 1;
	if (c->as) {
		uint8_t pk[KEY_PUBLIC_LEN];

		rc = cli_local_member(c, c->as, pk, e);
		if (rc < 0 && c->as_env && e) {
			/* set long ago in the shell: say where it came from */
			char msg[ERR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			err_clear(e);
			err_set(e, rc, "$" CLI_AS_ENV ": %s", msg);
		}
		if (rc == 0)
			rc = home_select(&c->home, pk, e);
		if (rc < 0) {
			home_close(&c->home);
			c->opened = 0;
			return rc;
		}
		if (!bytes_equal(pk, c->home.node_pk, KEY_PUBLIC_LEN)) {
			char name[PAYLOAD_NAME_MAX + 1], *clean;

			if (view_member_name(c->home.store, pk, name,
					     sizeof(name), NULL) < 0)
				name[0] = '\0';
			clean = text_clean(name, 0);
			snprintf(c->as_name, sizeof(c->as_name), "%s",
				 clean ? clean : "");
			free(clean);
		}
	}
	return 0;
}

/*
 * Prints "stoa: <msg>" on stderr, msg made one line without control
 * characters: a message can quote a path or an argument, which may hold a
 * newline or an escape sequence. fallback is printed if cleaning fails.
 */
static void print_error(const char *msg, const char *fallback)
{
	char *clean = text_clean(msg, 0);

	fprintf(stderr, "stoa: %s\n", clean ? clean : fallback);
	free(clean);
}

int cli_finish(int rc, struct err *e, const char *usage)
{
	if (rc >= 0)
		return CLI_EXIT_OK;
	print_error(e && e->code && e->msg[0] ? e->msg : err_str(rc),
		    err_str(rc));
	if (rc == STOA_EUSAGE) {
		if (usage)
			fprintf(stderr, "%s\n", usage);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_FAIL;
}

int cli_usage(const char *usage, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error(msg, "bad usage");
	if (usage)
		fprintf(stderr, "%s\n", usage);
	return CLI_EXIT_USAGE;
}

int cli_unexpected(const char *usage, const char *arg)
{
	char *clean = text_clean(arg, 0);
	int rc = cli_usage(usage, "unexpected argument '%s'",
			   clean ? clean : "?");

	free(clean);
	return rc;
}

int cli_subcommand(struct cli *c, int argc, char **argv,
		   const struct cli_sub *subs, const char *what,
		   const char *usage, const char *help)
{
	const struct cli_sub *s;

	if (argc < 2)
		return cli_usage(usage, "missing sub-command");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return cli_help(help);
	for (s = subs; s->name; s++)
		if (strcmp(argv[1], s->name) == 0)
			return s->fn(c, argc - 1, argv + 1);
	/* cli_usage cleans the line: a name with escapes prints without */
	return cli_usage(usage, "unknown %s sub-command '%s'", what, argv[1]);
}

int cli_help(const char *help)
{
	fputs(help, stdout);
	return CLI_EXIT_OK;
}

void cli_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

/* The option name of "--name=value" without the value, into out. */
static void long_name(const char *arg, char *out, size_t cap)
{
	size_t n = strcspn(arg, "=");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, arg, n);
	out[n] = '\0';
}

int cli_bad_option(int ch, char **argv, const struct option *opts,
		   const char *usage)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char name[64];
	char *clean;
	int rc;

	if (arg && arg[0] == '-' && arg[1] == '-') {
		const struct option *o, *match = NULL;
		int prefixes = 0;

		long_name(arg, name, sizeof(name));
		clean = text_clean(name, 0);
		/* The option meant: an exact name, else a unique prefix. */
		for (o = opts; o && o->name; o++) {
			if (strcmp(o->name, name + 2) == 0) {
				match = o;
				prefixes = 1;
				break;
			}
			if (strncmp(o->name, name + 2, strlen(name + 2)) == 0) {
				match = o;
				prefixes++;
			}
		}
		if (ch == ':')
			rc = cli_usage(usage, "option '%s' needs a value",
				       clean ? clean : "?");
		else if (prefixes == 1 && match->has_arg == no_argument)
			rc = cli_usage(usage, "option '%s' takes no value",
				       clean ? clean : "?");
		else if (prefixes > 1)
			rc = cli_usage(usage, "ambiguous option '%s'",
				       clean ? clean : "?");
		else
			rc = cli_usage(usage, "unknown option '%s'",
				       clean ? clean : "?");
		free(clean);
		return rc;
	}
	if (ch == ':')
		return cli_usage(usage, "option '-%c' needs a value", optopt);
	if (optopt > 0x20 && optopt < 0x7f)
		return cli_usage(usage, "unknown option '-%c'", optopt);
	return cli_usage(usage, "unknown option");
}

int cli_parse_num(const char *name, const char *s, uint64_t min,
		  uint64_t max, uint64_t *out, struct err *e)
{
	uint64_t v = 0;
	const char *p;
	char *clean;

	for (p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			break;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10) {
			v = UINT64_MAX;  /* saturate: it is out of range */
			while (*p >= '0' && *p <= '9')
				p++;
			break;
		}
		v = v * 10 + d;
	}
	if (p == s || *p != '\0') {
		clean = text_clean(s, 0);
		err_set(e, STOA_EUSAGE, "%s: '%s' is not a number", name,
			clean ? clean : "?");
		free(clean);
		return STOA_EUSAGE;
	}
	if (v < min || v > max)
		return err_set(e, STOA_EINVAL,
			       "%s must be %" PRIu64 " to %" PRIu64 " (got %s)",
			       name, min, max, s);
	*out = v;
	return 0;
}

/* Reads all of stdin, keeping at most cap bytes; *total counts them all
 * (up to CLI_COUNT_MAX, then stops). */
static int read_stdin(char *buf, size_t cap, size_t *kept, size_t *total,
		      struct err *e)
{
	char scratch[4096];
	size_t n;

	*kept = 0;
	*total = 0;
	while (*kept < cap) {
		n = fread(buf + *kept, 1, cap - *kept, stdin);
		*kept += n;
		if (n == 0)
			break;
	}
	*total = *kept;
	while (!ferror(stdin) && !feof(stdin) && *total < CLI_COUNT_MAX) {
		n = fread(scratch, 1, sizeof(scratch), stdin);
		*total += n;
	}
	if (ferror(stdin))
		return err_set(e, STOA_EIO, "cannot read standard input: %s",
			       strerror(errno));
	return 0;
}

static int only_space(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t')
			return 0;
	return 1;
}

int cli_read_text(const char *what, const char *arg, char **out,
		  struct err *e)
{
	size_t len, total;
	char *s;
	int rc;

	*out = NULL;
	s = malloc(ENTRY_MAX_PAYLOAD + 2);
	if (!s)
		return err_set(e, STOA_ENOMEM, "out of memory");
	if (strcmp(arg, "-") == 0) {
		rc = read_stdin(s, ENTRY_MAX_PAYLOAD + 1, &len, &total, e);
		if (rc < 0)
			goto fail;
	} else {
		total = strlen(arg);
		len = total > ENTRY_MAX_PAYLOAD ? ENTRY_MAX_PAYLOAD + 1 : total;
		memcpy(s, arg, len);
	}
	s[len] = '\0';
	if (total > ENTRY_MAX_PAYLOAD) {
		if (total >= CLI_COUNT_MAX)
			rc = err_set(e, STOA_EINVAL,
				     "%s is too long (more than %d bytes, at most %d)",
				     what, CLI_COUNT_MAX, ENTRY_MAX_PAYLOAD);
		else
			rc = err_set(e, STOA_EINVAL,
				     "%s is too long (%zu bytes, at most %d)",
				     what, total, ENTRY_MAX_PAYLOAD);
		goto fail;
	}
	if (memchr(s, '\0', len)) {
		rc = err_set(e, STOA_EINVAL, "%s contains a NUL byte", what);
		goto fail;
	}
	while (len > 0 && s[len - 1] == '\n')
		s[--len] = '\0';
	if (only_space(s)) {
		rc = err_set(e, STOA_EINVAL, "%s is empty", what);
		goto fail;
	}
	if (!payload_text_ok(s)) {
		rc = err_set(e, STOA_EINVAL,
			     "%s is not valid UTF-8 text (control characters "
			     "other than newline and tab are refused)", what);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	free(s);
	return rc;
}

int cli_check_line(const char *what, const char *s, size_t max,
		   int may_be_empty, struct err *e)
{
	size_t n = strlen(s);

	if (n == 0 || only_space(s)) {
		if (may_be_empty && n == 0)
			return 0;
		return err_set(e, STOA_EINVAL, "%s is empty", what);
	}
	if (n > max)
		return err_set(e, STOA_EINVAL,
			       "%s is too long (%zu bytes, at most %zu)", what,
			       n, max);
	if (!payload_text_ok(s) || strpbrk(s, "\n\t"))
		return err_set(e, STOA_EINVAL,
			       "%s must be one line of UTF-8 text without "
			       "control characters", what);
	return 0;
}

int cli_resolve_id(struct cli *c, const char *arg, uint8_t id[ENTRY_ID_LEN],
		   uint8_t *kind, struct err *e)
{
	size_t n = strlen(arg);
	struct err le;
	char *clean;
	int rc;

	if (n < ENTRY_ID_PREFIX_MIN || n > ENTRY_ID_HEX_LEN ||
	    !hex_valid(arg)) {
		clean = text_clean(arg, 0);
		err_set(e, STOA_EUSAGE,
			"'%s' is not a valid id (%d to %d hex characters)",
			clean ? clean : "?", ENTRY_ID_PREFIX_MIN,
			ENTRY_ID_HEX_LEN);
		free(clean);
		return STOA_EUSAGE;
	}
	rc = cli_open(c, e);
	if (rc < 0)
		return rc;
	err_clear(&le);
	rc = store_resolve_id(c->home.store, arg, id, kind, &le);
	if (rc == STOA_ENOTFOUND)
		return err_set(e, rc, "no entry matches '%s'", arg);
	if (rc == STOA_EAMBIG)
		return err_set(e, rc, "'%s' is ambiguous", arg);
	if (rc < 0)
		return err_set(e, rc, "%s", le.code ? le.msg : err_str(rc));
	return 0;
}

int cli_resolve_member(struct cli *c, const char *arg,
		       uint8_t pk[KEY_PUBLIC_LEN], struct err *e)
{
	struct err le;
	char *clean;
	int rc;

	rc = cli_open(c, e);
	if (rc < 0)
		return rc;
	err_clear(&le);
	rc = store_resolve_member(c->home.store, arg, pk, &le);
	if (rc == STOA_ENOTFOUND || rc == STOA_EAMBIG) {
		clean = text_clean(arg, 0);
		if (rc == STOA_ENOTFOUND)
			err_set(e, rc, "no member matches '%s'",
				clean ? clean : "?");
		else
			err_set(e, rc, "'%s' matches more than one member: "
				"use a (longer) key prefix",
				clean ? clean : "?");
		free(clean);
		return rc;
	}
	if (rc < 0)
		return err_set(e, rc, "%s", le.code ? le.msg : err_str(rc));
	return 0;
}

int cli_set_str(json_t *obj, const char *key, const char *s, struct err *e)
{
	json_t *v = json_string(s);

	if (!v)
		return err_set(e, STOA_EINVAL, "%s is not valid UTF-8", key);
	if (json_object_set_new(obj, key, v) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

int cli_set_hex(json_t *obj, const char *key, const uint8_t *p, size_t n,
		struct err *e)
{
	char hex[2 * 64 + 1];

	if (n > 64)
		return err_set(e, STOA_EINVAL, "%s: value too long", key);
	hex_encode(hex, p, n);
	return cli_set_str(obj, key, hex, e);
}

int cli_set_int(json_t *obj, const char *key, uint64_t v, struct err *e)
{
	if (json_object_set_new(obj, key, json_integer((json_int_t)v)) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

int cli_append(struct cli *c, uint8_t kind, const json_t *obj,
	       uint8_t id_out[ENTRY_ID_LEN], struct err *e)
{
	uint8_t id[ENTRY_ID_LEN];
	char hex[ENTRY_ID_HEX_LEN + 1];
	char *p = NULL;
	size_t len = 0;
	int rc;

	rc = cli_unlock(c, e);
	if (rc < 0)
		return rc;
	/* the store would refuse it too, in its own words */
	if (store_member_removed(c->home.store, c->home.key.pk))
		return err_set(e, STOA_EPERM, "you were removed from the "
			       "community: no node keeps your new entries");
	rc = payload_encode(obj, &p, &len, e);
	if (rc < 0)
		return rc;
	rc = store_append(c->home.store, &c->home.key, kind, p, len, id, e);
	free(p);
	if (rc < 0)
		return rc;
	entry_id_hex(id, hex);
	printf("%s\n", hex);
	if (id_out)
		memcpy(id_out, id, ENTRY_ID_LEN);
	if (!store_in_batch(c->home.store))
		cli_nudge(c);
	return 0;
}

void cli_nudge(struct cli *c)
{
	/* the acting member's feed: the node's own or, on a shared
	 * laptop, another member's (the daemon announces any feed) */
	cli_nudge_author(c, c->home.key.pk);
}

void cli_nudge_author(struct cli *c, const uint8_t author[KEY_PUBLIC_LEN])
{
	/* a running daemon passes the new entry on at once */
	struct msg_head h;

	memcpy(h.author, author, KEY_PUBLIC_LEN);
	if (store_head(c->home.store, h.author, &h.seq, h.id, NULL) == 0)
		daemon_nudge(c->dir, &h);
}

int cli_parse_json_only(int argc, char **argv, const char *usage,
			const char *help, int *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*json = 0;
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': *json = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(usage, argv[optind]);
	return CLI_CONTINUE;
}

int cli_daemon_status(struct cli *c, json_t **out, struct err *e)
{
	char *reply = NULL;
	int rc;

	*out = NULL;
	if ((rc = daemon_status(c->dir, &reply, e)) < 0)
		return rc; /* STOA_ENOTFOUND: "no daemon running" */
	*out = json_loads(reply, 0, NULL);
	free(reply);
	if (!*out)
		return err_set(e, STOA_EPROTO, "the daemon's answer is not JSON");
	return 0;
}

void cli_adopt(struct cli *c)
{
	struct err e = { 0 };
	int rc = home_adopt(&c->home, &e);

	if (rc == 1)
		fprintf(stderr, "stoa: moved to epoch %" PRIu32 " of the "
			"community secret (a rotation)\n",
			c->home.community.epoch);
	else if (rc < 0)
		fprintf(stderr, "stoa: %s\n", e.msg);
}
