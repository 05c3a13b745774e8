/*
 * member: the members whose keys this node holds (a shared laptop: one
 * home, one daemon, several members; node/members.c). `member add` makes a
 * new member here (a new key, their first profile entry, as a learner);
 * `member list` lists this node's members (also `whoami --all`); `member
 * export` writes one member's key to a file, always sealed under a
 * passphrase (crypto/member_file.h), for another laptop; `member import`
 * adds such a key here; `member remove` deletes a member's key from this
 * node (their feed stays). It also resolves --as / $STOA_AS among this
 * node's members (cli_local_member). It never touches the community's
 * governance: removing a member from the community is `stoa remove`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "cli.h"
#include "member_file.h"
#include "payload.h"
#include "store.h"
#include "view.h"

static const char usage[] =
	"usage: stoa member add --name NAME [--passphrase]\n"
	"   or: stoa member list [--json]\n"
	"   or: stoa member export MEMBER FILE [--remove]\n"
	"   or: stoa member import FILE [--name NAME]\n"
	"   or: stoa member remove MEMBER --yes";

static const char help[] =
	"usage: stoa member add --name NAME [--passphrase]\n"
	"   or: stoa member list [--json]\n"
	"   or: stoa member export MEMBER FILE [--remove]\n"
	"   or: stoa member import FILE [--name NAME]\n"
	"   or: stoa member remove MEMBER --yes\n"
	"\n"
	"One node (one home, one daemon) can hold several members' keys: a\n"
	"shared laptop. The node's own member (from 'stoa init') stays the\n"
	"node's identity; the others write with 'stoa --as NAME COMMAND' or\n"
	"$STOA_AS, each with their own passphrase or none.\n"
	"\n"
	"  add --name NAME     a new member on this node: a new key and their\n"
	"                      profile (they join as a learner); --passphrase\n"
	"                      seals their key under $STOA_PASSPHRASE or one\n"
	"                      asked twice\n"
	"  list                this node's members ('*' is the one acting,\n"
	"                      as 'stoa whoami --all'); --json: one object each\n"
	"  export MEMBER FILE  write MEMBER's key to FILE (a new file), sealed\n"
	"                      under a passphrase ($STOA_NEW_PASSPHRASE or asked\n"
	"                      twice; a sealed key is opened first with\n"
	"                      $STOA_PASSPHRASE); --remove deletes the key from\n"
	"                      this node once FILE is written\n"
	"  import FILE         add the key of an export file to this node (the\n"
	"                      file's passphrase from $STOA_PASSPHRASE or asked;\n"
	"                      the key stays sealed under it); --name NAME\n"
	"                      refuses a file of anyone else\n"
	"  remove MEMBER --yes delete MEMBER's key from this node; their feed\n"
	"                      stays, here and everywhere\n"
	"\n"
	"Using the same key on two nodes at once forks the member's feed: after\n"
	"importing a key on another laptop, stop using it on this one. 'stoa\n"
	"verify' names such a fork.\n";

#define WARN_FORK "using the same key on two nodes at once forks %s's feed"

/* ---- this node's members ---------------------------------------------- */

/* A member's name, cleaned, or "[1a2b3c4d]": for messages. */
static void member_label(struct cli *c, const uint8_t pk[KEY_PUBLIC_LEN],
			 char out[80])
{
	char name[PAYLOAD_NAME_MAX + 1], hex[2 * KEY_PUBLIC_LEN + 1], *clean;

	if (view_member_name(c->home.store, pk, name, sizeof(name), NULL) < 0)
		name[0] = '\0';
	clean = name[0] ? text_clean(name, 0) : NULL;
	if (clean && clean[0]) {
		snprintf(out, 80, "%s", clean);
	} else {
		hex_encode(hex, pk, KEY_PUBLIC_LEN);
		snprintf(out, 80, "[%.8s]", hex);
	}
	free(clean);
}

/* "Ana, Ben [1a2b3c4d]": this node's members, for an error line. */
static void list_names(struct cli *c, const struct home_member *m, size_t n,
		       char *out, size_t cap)
{
	size_t i, used = 0;
	char label[80];

	out[0] = '\0';
	for (i = 0; i < n && used < cap; i++) {
		int w;

		member_label(c, m[i].pk, label);
		w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "",
			     label);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* s without the spaces around it: *len bytes from the returned start */
static const char *trimmed(const char *s, size_t *len)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	*len = n;
	return s;
}

/*
 * 1 if a member named name answers to arg: as the name is shown (cleaned
 * for a terminal: a bidi control is not shown, so it cannot be typed)
 * and without the spaces around either (" Ana" and "ana " look like
 * "Ana": they answer to it, so `add` refuses them beside it).
 */
static int name_answers(const char *name, const char *arg)
{
	char *clean = text_clean(name, 0), *carg = text_clean(arg, 0);
	const char *a, *b;
	size_t la, lb;
	int match = 0;

	if (clean && carg) {
		a = trimmed(clean, &la);
		b = trimmed(carg, &lb);
		match = la > 0 && la == lb && strncasecmp(a, b, la) == 0;
	}
	free(clean);
	free(carg);
	return match;
}

/* "Ana [1a2b3c4d], ana [5e6f7a8b]": members a name answers to, with
 * the key prefix that tells each apart. */
static void list_keys(struct cli *c, const struct home_member *m, size_t n,
		      char *out, size_t cap)
{
	char hex[2 * KEY_PUBLIC_LEN + 1], label[80];
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < n && used < cap; i++) {
		int w;

		member_label(c, m[i].pk, label);
		hex_encode(hex, m[i].pk, KEY_PUBLIC_LEN);
		w = snprintf(out + used, cap - used, "%s%s [%.8s]", i ? ", " : "",
			     label, hex);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* 1 if arg is too short a key prefix of one of m: worth saying so */
static int short_prefix(const struct home_member *m, size_t n,
			const char *arg)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	size_t i, len = strlen(arg);

	if (len == 0 || len >= CLI_MEMBER_PREFIX_MIN || !hex_valid(arg))
		return 0;
	for (i = 0; i < n; i++) {
		hex_encode(hex, m[i].pk, KEY_PUBLIC_LEN);
		if (strncasecmp(hex, arg, len) == 0)
			return 1;
	}
	return 0;
}

int cli_local_member(struct cli *c, const char *arg,
		     uint8_t pk[KEY_PUBLIC_LEN], struct err *e)
{
	struct home_member m[HOME_MEMBERS_MAX];
	char name[PAYLOAD_NAME_MAX + 1], hex[2 * KEY_PUBLIC_LEN + 1];
	char names[200], *clean;
	size_t n, i, len = strlen(arg), found = 0, at = 0;
	int prefix, rc;

	if ((rc = home_members(&c->home, m, HOME_MEMBERS_MAX, &n, e)) < 0)
		return rc;
	prefix = len >= CLI_MEMBER_PREFIX_MIN && len <= 2 * KEY_PUBLIC_LEN &&
		 hex_valid(arg);
	for (i = 0; i < n; i++) {
		int match = 0;

		if (view_member_name(c->home.store, m[i].pk, name,
				     sizeof(name), NULL) == 0 && name[0] &&
		    name_answers(name, arg))
			match = 1;
		hex_encode(hex, m[i].pk, KEY_PUBLIC_LEN);
		if (prefix && strncasecmp(hex, arg, len) == 0)
			match = 1;
		if (match) {
			/* the ones it names, first in the list: an
			 * ambiguous name lists only them, with their keys */
			struct home_member t = m[found];

			m[found] = m[i];
			m[i] = t;
			at = found++;
		}
	}
	if (found == 1) {
		memcpy(pk, m[at].pk, KEY_PUBLIC_LEN);
		return 0;
	}
	if (found > 1)
		list_keys(c, m, found, names, sizeof(names));
	else
		list_names(c, m, n, names, sizeof(names));
	clean = text_clean(arg, 0);
	if (found == 0 && short_prefix(m, n, arg))
		rc = err_set(e, STOA_ENOTFOUND, "'%.64s' is not a member of "
			     "this node (a key prefix needs %d hex digits; its "
			     "members: %s)", clean ? clean : "?",
			     CLI_MEMBER_PREFIX_MIN, names);
	else if (found == 0)
		rc = err_set(e, STOA_ENOTFOUND, "'%.64s' is not a member of "
			     "this node (its members: %s)", clean ? clean : "?",
			     names);
	else
		rc = err_set(e, STOA_EAMBIG, "'%.64s' names more than one "
			     "member of this node (%s): use a key prefix",
			     clean ? clean : "?", names);
	free(clean);
	return rc;
}

/* One member as a JSON object {"type":"member","key","name","role",
 * "seq","primary","passphrase","acting","removed"}. */
static json_t *member_json(struct cli *c, const struct home_member *m,
			   struct err *e)
{
	char name[PAYLOAD_NAME_MAX + 1], hex[2 * KEY_PUBLIC_LEN + 1];
	uint8_t head[ENTRY_ID_LEN];
	uint64_t seq = 0;
	int removed = 0, role;
	json_t *o;

	if (view_member_name(c->home.store, m->pk, name, sizeof(name), e) < 0 ||
	    store_head(c->home.store, m->pk, &seq, head, e) < 0 ||
	    (role = view_gov_role(c->home.store, m->pk, &removed, e)) < 0)
		return NULL;
	hex_encode(hex, m->pk, KEY_PUBLIC_LEN);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:b}",
		      "type", "member", "key", hex, "name", name, "role",
		      payload_role_name(role), "seq", (json_int_t)seq,
		      "primary", m->primary, "passphrase", m->sealed,
		      "acting", bytes_equal(m->pk, c->home.key.pk,
					    KEY_PUBLIC_LEN), "removed", removed);
	/* a key file that cannot be used: why (cli_local_members says it) */
	if (o && m->problem[0] &&
	    json_object_set_new(o, "problem", json_string(m->problem)) < 0) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		err_set(e, STOA_ENOMEM, "out of memory");
	return o;
}

int cli_local_members(struct cli *c, int json, struct err *e)
{
	struct home_member m[HOME_MEMBERS_MAX];
	size_t n, i;
	int rc;

	if ((rc = cli_open(c, e)) < 0 ||
	    (rc = home_members(&c->home, m, HOME_MEMBERS_MAX, &n, e)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		json_t *o = member_json(c, &m[i], e);
		const char *name;

		if (!o)
			return e && e->code ? e->code : STOA_ENOMEM;
		if (json) {
			rc = print_json(stdout, o);
			json_decref(o);
			if (rc < 0)
				return err_set(e, rc, "cannot print the result");
			continue;
		}
		name = row_str(o, "name", "");
		fputs(row_bool(o, "acting") ? "* " : "  ", stdout);
		if (name[0]) {
			print_padded(stdout, name, 20);
		} else {
			char label[16];

			snprintf(label, sizeof(label), "[%.8s]",
				 row_str(o, "key", "?"));
			print_padded(stdout, label, 20);
		}
		printf(" %-11s %5" JSON_INTEGER_FORMAT " %-7s  %s%s%s%s\n",
		       row_str(o, "role", "?"), row_int(o, "seq", 0),
		       row_int(o, "seq", 0) == 1 ? "entry" : "entries",
		       row_str(o, "key", "?"),
		       row_bool(o, "primary") ? "  node" : "",
		       row_bool(o, "passphrase") ? "  passphrase" : "",
		       row_bool(o, "removed") ? "  removed" : "");
		if (m[i].problem[0])
			fputs("    (key file unusable: see below)\n", stdout);
		json_decref(o);
	}
	/* the others are listed and can act; each bad file in one line */
	for (i = 0; i < n; i++) {
		char label[80], *clean;

		if (!m[i].problem[0])
			continue;
		member_label(c, m[i].pk, label);
		clean = text_clean(m[i].problem, 0);
		fprintf(stderr, "stoa: %s cannot act on this node until its key "
			"file is fixed or removed: %s\n", label,
			clean ? clean : "it cannot be used");
		free(clean);
	}
	return 0;
}

/* ---- add ----------------------------------------------------------------- */

/* 0 if no member of this node answers to name, else why in e */
static int name_free(struct cli *c, const char *name, struct err *e)
{
	struct err le = { 0 };
	uint8_t pk[KEY_PUBLIC_LEN];
	int rc = cli_local_member(c, name, pk, &le);

	if (rc == 0 || rc == STOA_EAMBIG)
		return err_set(e, STOA_EEXIST, "this node has a member called "
			       "that already: choose another name");
	if (rc == STOA_ENOTFOUND)
		return 0;
	return err_set(e, rc, "%s", le.msg);
}

static int member_add(struct cli *c, int argc, char **argv)
{
	static const char add_usage[] =
		"usage: stoa member add --name NAME [--passphrase]";
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "passphrase", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char hex[2 * KEY_PUBLIC_LEN + 1];
	const char *name = NULL;
	struct cli_pass pass;
	struct key k;
	struct err e;
	int ch, rc, protect = 0, lock = -1;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'p': protect = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, add_usage);
		}
	}
	if (optind < argc)
		return cli_unexpected(add_usage, argv[optind]);
	if (!name)
		return cli_usage(add_usage, "--name is required");

	err_clear(&e);
	memset(&pass, 0, sizeof(pass));
	memset(&k, 0, sizeof(k));
	rc = cli_check_line("name", name, PAYLOAD_NAME_MAX, 0, &e);
	if (rc == 0)
		rc = cli_open(c, &e);
	/* --as must be able to tell this node's members apart by name:
	 * refused before a passphrase is asked, and checked again under
	 * the lock the member is written under (two adds at once cannot
	 * both take the name; no add waits on another's prompt) */
	if (rc == 0)
		rc = name_free(c, name, &e);
	if (rc == 0 && protect)
		rc = cli_read_pass(CLI_PASS_ENV, "new passphrase for the "
				   "member's key", 1, &pass, &e);
	if (rc == 0 && (lock = home_members_lock(&c->home, &e)) < 0)
		rc = lock;
	if (rc == 0)
		rc = name_free(c, name, &e);
	if (rc == 0) {
		key_generate(&k);
		rc = home_member_add(&c->home, &k, name,
				     protect ? pass.s : NULL, pass.len, &e);
	}
	if (rc == 0) {
		hex_encode(hex, k.pk, KEY_PUBLIC_LEN);
		fputs("member ", stdout);
		print_text(stdout, name, 0, NULL);
		printf(" %s\n", hex);
		if (protect)
			puts("key protected by a passphrase");
		cli_nudge_author(c, k.pk);
	}
	home_members_unlock(lock);
	key_wipe(&k);
	cli_pass_wipe(&pass);
	return cli_finish(rc, &e, add_usage);
}

/* ---- export -------------------------------------------------------------- */

/*
 * Writes p to the new file path (mode 0600): a temp file beside it,
 * fsynced, renamed into place. Refuses an existing path: an export never
 * replaces a file. Plain rename, not link: a USB stick's FAT has no links.
 */
static int write_new(const char *path, const uint8_t *p, size_t len,
		     struct err *e)
{
	char buf[BUFSIZ]; /* like out, wiped: not stdio's heap buffer */
	struct afile af;
	int rc;

	if ((rc = afile_open(&af, path, 0600, NULL, e)) < 0)
		return rc;
	afile_setbuf(&af, buf, sizeof(buf));
	if (fwrite(p, 1, len, af.f) != len) {
		int en = errno;

		afile_abort(&af);
		return err_set(e, en == ENOSPC ? STOA_EFULL : STOA_EIO,
			       "cannot write '%s': %s", path, strerror(en));
	}
	return afile_commit(&af, e);
}

static int member_export(struct cli *c, int argc, char **argv)
{
	static const char exp_usage[] =
		"usage: stoa member export MEMBER FILE [--remove]";
	static const struct option opts[] = {
		{ "remove", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t out[MEMBER_FILE_MAX], pk[KEY_PUBLIC_LEN];
	char label[80], hex[2 * KEY_PUBLIC_LEN + 1];
	struct member_file mf;
	struct cli_pass pass;
	size_t len = 0;
	struct err e;
	int ch, rc, remove = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r': remove = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, exp_usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage(exp_usage, "give the member and the file");
	if (argc - optind > 2)
		return cli_unexpected(exp_usage, argv[optind + 2]);

	err_clear(&e);
	memset(&pass, 0, sizeof(pass));
	memset(&mf, 0, sizeof(mf));
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = cli_local_member(c, argv[optind], pk, &e);
	if (rc == 0 && remove && bytes_equal(pk, c->home.node_pk,
					     KEY_PUBLIC_LEN))
		rc = err_set(&e, STOA_EPERM, "--remove cannot take the node's "
			     "own member from it (its key is the node)");
	if (rc == 0 && (rc = home_select(&c->home, pk, &e)) == 0) {
		member_label(c, pk, label);
		snprintf(c->as_name, sizeof(c->as_name), "%s", label);
		rc = cli_unlock(c, &e);
	}
	if (rc == 0)
		rc = cli_read_pass(CLI_NEW_PASS_ENV, "passphrase for the "
				   "export file", 1, &pass, &e);
	if (rc == 0) {
		if (c->home.community.founded)
			memcpy(mf.founder, c->home.community.founder,
			       KEY_PUBLIC_LEN);
		rc = view_member_name(c->home.store, pk, mf.name,
				      sizeof(mf.name), &e);
	}
	if (rc == 0)
		rc = store_head(c->home.store, pk, &mf.seq, mf.head, &e);
	if (rc == 0)
		rc = member_file_encode(out, &len, &mf, &c->home.key, pass.s,
					pass.len, KEY_PWHASH_OPS,
					KEY_PWHASH_MEM, &e);
	cli_pass_wipe(&pass);
	if (rc == 0)
		rc = write_new(argv[optind + 1], out, len, &e);
	bytes_wipe(out, sizeof(out));
	member_file_wipe(&mf);
	if (rc == 0 && remove)
		rc = home_member_remove(&c->home, pk, &e);
	if (rc < 0)
		return cli_finish(rc, &e, exp_usage);
	hex_encode(hex, pk, KEY_PUBLIC_LEN);
	printf("exported %s %s to ", label, hex);
	print_text(stdout, argv[optind + 1], 0, NULL);
	putchar('\n');
	if (remove)
		printf("removed %s's key from this node\n", label);
	else
		fprintf(stderr, "stoa: " WARN_FORK ": once the key is imported "
			"elsewhere, stop using it here ('stoa member remove "
			"%.8s --yes', or export with --remove)\n", label, hex);
	return CLI_EXIT_OK;
}

/* ---- import -------------------------------------------------------------- */

/* Reads a whole export file (at most MEMBER_FILE_MAX bytes; more is an
 * error). Any mode: its key is sealed, and a USB stick has no modes. */
static int read_export(const char *path, uint8_t *out, size_t *len,
		       struct err *e)
{
	struct stat st;
	ssize_t r;
	int fd;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, errno == ENOENT ? STOA_ENOTFOUND : STOA_EIO,
			       "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, STOA_EINVAL, "'%s' is not a file", path);
	}
	while (*len <= MEMBER_FILE_MAX) {
		r = read(fd, out + *len, MEMBER_FILE_MAX + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			close(fd);
			return err_set(e, STOA_EIO, "cannot read '%s': %s",
				       path, strerror(saved));
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	if (*len > MEMBER_FILE_MAX)
		return err_set(e, STOA_EPROTO, "'%s' is not a member export "
			       "file (more than %d bytes)", path,
			       MEMBER_FILE_MAX);
	return 0;
}

static int member_import(struct cli *c, int argc, char **argv)
{
	static const char imp_usage[] =
		"usage: stoa member import FILE [--name NAME]";
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t raw[MEMBER_FILE_MAX + 1], zero[KEY_PUBLIC_LEN] = { 0 };
	uint8_t head[ENTRY_ID_LEN];
	char label[80], hex[2 * KEY_PUBLIC_LEN + 1], path[HOME_PATH_MAX];
	const char *want = NULL;
	struct member_file mf;
	struct cli_pass pass;
	struct err e, le;
	struct key k;
	uint64_t seq = 0;
	size_t len = 0;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': want = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, imp_usage);
		}
	}
	if (argc - optind < 1)
		return cli_usage(imp_usage, "give the export file");
	if (argc - optind > 1)
		return cli_unexpected(imp_usage, argv[optind + 1]);

	err_clear(&e);
	err_clear(&le);
	memset(&pass, 0, sizeof(pass));
	memset(&k, 0, sizeof(k));
	memset(&mf, 0, sizeof(mf));
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = read_export(argv[optind], raw, &len, &e);
	if (rc == 0 && (rc = member_file_decode(raw, len, &mf, &le)) < 0)
		rc = err_set(&e, rc, "'%s': %s", argv[optind], le.msg);
	bytes_wipe(raw, sizeof(raw));
	if (rc < 0)
		goto out;
	hex_encode(hex, mf.kf.key.pk, KEY_PUBLIC_LEN);
	/* the name the file gives, cleaned for a terminal */
	{
		char *clean = mf.name[0] ? text_clean(mf.name, 0) : NULL;

		if (clean && clean[0])
			snprintf(label, sizeof(label), "%s", clean);
		else
			snprintf(label, sizeof(label), "[%.8s]", hex);
		free(clean);
	}
	/* the same community: the founder says (a community without one
	 * has zeros on both sides) */
	if (!bytes_equal(mf.founder, c->home.community.founded ?
			 c->home.community.founder : zero, KEY_PUBLIC_LEN)) {
		rc = err_set(&e, STOA_EINVAL, "'%s' holds %s's key in another "
			     "community than this node's", argv[optind], label);
		goto out;
	}
	if (want && strcasecmp(want, mf.name) != 0) {
		char *clean = text_clean(want, 0);

		rc = err_set(&e, STOA_EINVAL, "'%s' holds %s's key, not "
			     "%.64s's", argv[optind], label,
			     clean ? clean : "?");
		free(clean);
		goto out;
	}
	/* refused before any passphrase is asked */
	if ((rc = home_member_path(c->dir, mf.kf.key.pk, path, &e)) < 0)
		goto out;
	if (bytes_equal(mf.kf.key.pk, c->home.node_pk, KEY_PUBLIC_LEN) ||
	    access(path, F_OK) == 0) {
		rc = err_set(&e, STOA_EEXIST, "this node holds %s's key "
			     "already", label);
		goto out;
	}
	if (store_member_removed(c->home.store, mf.kf.key.pk)) {
		rc = err_set(&e, STOA_EPERM, "the community removed %s: their "
			     "key cannot write here", label);
		goto out;
	}
	rc = cli_read_pass(CLI_PASS_ENV, "passphrase of the export file", 0,
			   &pass, &e);
	if (rc == 0)
		rc = key_file_unlock(&mf.kf, pass.s, pass.len, &k, &e);
	if (rc == 0)
		rc = home_member_add(&c->home, &k, NULL, pass.s, pass.len, &e);
	if (rc == 0)
		rc = store_head(c->home.store, k.pk, &seq, head, &e);
	if (rc < 0)
		goto out;
	printf("imported %s %s\n", label, hex);
	fprintf(stderr, "stoa: " WARN_FORK ": stop using it on the other "
		"laptop\n", label);
	if (seq < mf.seq)
		fprintf(stderr, "stoa: this node holds %" PRIu64 " of %s's %"
			PRIu64 " entries: sync with the community before %s "
			"writes here, or the feed forks\n", seq, label, mf.seq,
			label);
	/* another member of this node answers to the name: --as needs
	 * the key prefix to tell them apart */
	if (mf.name[0]) {
		struct err ae = { 0 };
		uint8_t any[KEY_PUBLIC_LEN];

		int ar = cli_local_member(c, mf.name, any, &ae);

		/* (its own profile may not be held yet: then the other
		 * is the one the name finds) */
		if (ar == STOA_EAMBIG ||
		    (ar == 0 && !bytes_equal(any, k.pk, KEY_PUBLIC_LEN)))
			fprintf(stderr, "stoa: another member of this node is "
				"called %s too: write as this one with 'stoa "
				"--as %.8s'\n", label, hex);
	}
out:
	key_wipe(&k);
	cli_pass_wipe(&pass);
	member_file_wipe(&mf);
	return cli_finish(rc, &e, imp_usage);
}

/* ---- remove -------------------------------------------------------------- */

static int member_remove(struct cli *c, int argc, char **argv)
{
	static const char rm_usage[] =
		"usage: stoa member remove MEMBER --yes";
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t pk[KEY_PUBLIC_LEN];
	char label[80];
	struct err e;
	int ch, rc, yes = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'y': yes = 1; break;
		case 'h': return cli_help(help);
		default: return cli_bad_option(ch, argv, opts, rm_usage);
		}
	}
	if (argc - optind < 1)
		return cli_usage(rm_usage, "give the member");
	if (argc - optind > 1)
		return cli_unexpected(rm_usage, argv[optind + 1]);

	err_clear(&e);
	rc = cli_open(c, &e);
	if (rc == 0)
		rc = cli_local_member(c, argv[optind], pk, &e);
	if (rc == 0)
		member_label(c, pk, label);
	if (rc == 0 && bytes_equal(pk, c->home.node_pk, KEY_PUBLIC_LEN))
		rc = err_set(&e, STOA_EPERM, "the node's own member cannot be "
			     "removed from it (its key is the node)");
	if (rc == 0 && !yes)
		rc = err_set(&e, STOA_EINVAL, "this deletes %s's key from this "
			     "node (their feed stays): add --yes", label);
	if (rc == 0)
		rc = home_member_remove(&c->home, pk, &e);
	if (rc < 0)
		return cli_finish(rc, &e, rm_usage);
	printf("removed %s's key from this node\n", label);
	return CLI_EXIT_OK;
}

/* ---- the command --------------------------------------------------------- */

static int member_list(struct cli *c, int argc, char **argv)
{
	static const char list_usage[] = "usage: stoa member list [--json]";
	struct err e;
	int rc, json;

	rc = cli_parse_json_only(argc, argv, list_usage, help, &json);
	if (rc != CLI_CONTINUE)
		return rc;
	err_clear(&e);
	return cli_finish(cli_local_members(c, json, &e), &e, list_usage);
}

int cmd_member(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", member_add },
		{ "export", member_export },
		{ "import", member_import },
		{ "remove", member_remove },
		{ "list", member_list },
		{ NULL, NULL },
	};

	return cli_subcommand(c, argc, argv, subs, "member", usage, help);
}
