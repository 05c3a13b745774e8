/*
 * stats_gen: writes a made-up community into a home, for the ground truth
 * test of `stoa stats` (tests/integration/t50-stats.sh, with
 * tests/stats/scenario.py and truth.py). It reads events, one JSON object
 * a line, on stdin, makes each one a real signed entry of its member's
 * feed, and stores them through the store's ingest path as a peer's
 * would arrive (store_ingest, or store_ingest_run with --order), so every
 * check and the governance rules run as they do for replicated entries.
 * It never writes the store any other way, and the entries carry the
 * timestamps the events say (which `stoa post` cannot: it writes now).
 *
 *   stats_gen --home DIR [--create COMMUNITY] [--seed S] [--order N]
 *             [--keys FILE]
 *
 * Members: member 0 is the home's own identity, which must not be sealed
 * under a passphrase; members 1.. have keys derived from the seed S
 * (BLAKE2b-256 of "stats_gen:" S ":" and the index as 8 bytes big-endian,
 * as an Ed25519 seed). With --create, DIR must hold no node yet and
 * becomes the home of a community COMMUNITY founded by member 0, whose key
 * is then derived from the seed too (index 0) and whose secret from the
 * seed: the community's founding is member 0's first event, whatever its
 * date (a home made by `stoa init` was founded now, so every event dated
 * more than a day before now would be "behind" for `stoa stats`). Two
 * runs with one seed make the same keys and, event for event, the same
 * entries (Ed25519 signatures are deterministic).
 *
 * An event (unknown fields are refused):
 *   {"m": member, "kind": K, "ts": ms, "payload": {...},
 *    "ref": event, "to": member}
 * K is profile, post, feedback, offer, request, accept, session, close,
 * kudos, role, hide, unhide, erase, report or remove (or an entry kind
 * name: mentor_offer, ...). "payload" is the entry's payload (default
 * {}), completed from:
 *   "ref", the index (0-based line number) of an earlier event whose
 *     entry id becomes the payload's reply_to (post), target (feedback,
 *     accept, hide, unhide, erase, report) or pairing (session, close);
 *   "to", a member whose key becomes the payload's to (kudos) or member
 *     (role, remove); a role's "seen" and a removal's "seq" default to
 *     the number of entries of that member made so far.
 * A member's events make its feed in their order (seq 1, 2, ...): its
 * first event must be a profile, unless its feed is already held (member
 * 0 of a home made by `stoa init`).
 *
 * Output: each event's entry id (64 hex) on stdout, one a line, in the
 * order of the events; with --keys, FILE gets "INDEX KEY" for every
 * member an event names, by index. All entries are made first, then
 * stored: in the events' order one by one (store_ingest), or with
 * --order N in an order picked by the seed N that interleaves the feeds
 * differently (each feed still in seq order, as replication sends it),
 * in runs of 1 to 8 entries (store_ingest_run); a transaction commits
 * every 64 entries. An entry the ingest path drops because its author was
 * removed before it is not an error (its id is still printed).
 *
 * Exit 0 on success, 1 on a bad event or a refused entry (one
 * "stats_gen: ..." line, naming the input line), 2 on usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#include "community.h"
#include "home.h"
#include "payload.h"
#include "store.h"

#define GEN_LINE_MAX (ENTRY_MAX_PAYLOAD + 4096) /* one event's line */
#define GEN_EVENTS_MAX 200000
#define GEN_MEMBERS_MAX 4096
#define GEN_SEED_MAX 256
#define GEN_RUN_MAX 8
#define GEN_BATCH 64

struct ev {
	uint32_t member;
	struct entry en;
	char *payload;          /* owned */
	size_t plen;
};

struct member {
	int used;               /* an event names it */
	int have_key;
	struct key key;         /* secret: wiped at exit */
	uint64_t seq;           /* entries made so far (or held at start) */
	uint8_t head[ENTRY_ID_LEN];
};

struct gen {
	struct store *store;    /* borrowed from the home */
	struct member *members; /* GEN_MEMBERS_MAX */
	struct ev *evs;
	size_t nev, cap;
	const char *seed;
	int created;
	uint8_t home_pk[KEY_PUBLIC_LEN];
};

static int usage(void)
{
	fputs("usage: stats_gen --home DIR [--create COMMUNITY] [--seed S] "
	      "[--order N] [--keys FILE]\n", stderr);
	return 2;
}

static void seed_of(const char *seed, uint64_t index,
		    uint8_t out[KEY_SEED_LEN])
{
	char pre[GEN_SEED_MAX + 16];
	uint8_t be[8];
	int i;

	snprintf(pre, sizeof(pre), "stats_gen:%s:", seed);
	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(index >> (56 - 8 * i));
	hash_blake2b2(out, pre, strlen(pre), be, sizeof(be));
}

static int member_key(struct gen *g, struct home *h, uint32_t m,
		      struct err *e)
{
	struct member *mb = &g->members[m];
	uint8_t seed[KEY_SEED_LEN];
	int rc;

	if (mb->have_key)
		return 0;
	if (m == 0 && !g->created) {
		mb->key = h->key;
	} else {
		seed_of(g->seed, m, seed);
		key_from_seed(&mb->key, seed);
		bytes_wipe(seed, sizeof(seed));
	}
	mb->have_key = 1;
	if ((rc = store_head(g->store, mb->key.pk, &mb->seq, mb->head, e)) < 0)
		return rc;
	return 0;
}

/* The kind of an event's "kind": the short names, then entry kind names. */
static uint8_t kind_of(const char *s)
{
	static const struct {
		const char *name;
		uint8_t kind;
	} alias[] = {
		{"offer", ENTRY_KIND_MENTOR_OFFER},
		{"request", ENTRY_KIND_MENTOR_REQUEST},
		{"accept", ENTRY_KIND_MENTOR_ACCEPT},
		{"session", ENTRY_KIND_MENTOR_SESSION},
		{"close", ENTRY_KIND_MENTOR_CLOSE},
	};
	uint8_t k;
	size_t i;

	for (i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(s, alias[i].name) == 0)
			return alias[i].kind;
	k = entry_kind_from_name(s);
	return k == ENTRY_KIND_EPOCH ? 0 : k; /* a rotation needs seals */
}

/* The payload field "ref" fills for kind, or NULL if none. */
static const char *ref_field(uint8_t kind)
{
	switch (kind) {
	case ENTRY_KIND_POST:
		return "reply_to";
	case ENTRY_KIND_FEEDBACK:
	case ENTRY_KIND_MENTOR_ACCEPT:
	case ENTRY_KIND_HIDE:
	case ENTRY_KIND_UNHIDE:
	case ENTRY_KIND_ERASE:
	case ENTRY_KIND_REPORT:
		return "target";
	case ENTRY_KIND_MENTOR_SESSION:
	case ENTRY_KIND_MENTOR_CLOSE:
		return "pairing";
	default:
		return NULL;
	}
}

/* The payload field "to" fills for kind, or NULL if none. */
static const char *to_field(uint8_t kind)
{
	switch (kind) {
	case ENTRY_KIND_KUDOS:
		return "to";
	case ENTRY_KIND_ROLE:
	case ENTRY_KIND_REMOVE:
		return "member";
	default:
		return NULL;
	}
}

/* A JSON integer in [lo, hi] into *out; -1 if it is not one. */
static int int_in(const json_t *v, long long lo, long long hi,
		  long long *out)
{
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return *out < lo || *out > hi ? -1 : 0;
}

static int set_hex(json_t *p, const char *field, const uint8_t *b, size_t n,
		   struct err *e)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];

	hex_encode(hex, b, n);
	if (json_object_get(p, field))
		return err_set(e, STOA_EINVAL, "the payload has '%s' already",
			       field);
	if (json_object_set_new(p, field, json_string(hex)) < 0)
		return err_set(e, STOA_ENOMEM, "out of memory");
	return 0;
}

/* One event line into g->evs[g->nev] (the entry made, not stored). */
static int add_event(struct gen *g, struct home *h, const char *line,
		     size_t len, struct err *e)
{
	static const char *const known[] = {"m", "kind", "ts", "payload",
					    "ref", "to"};
	json_t *o, *p = NULL, *v;
	json_error_t jerr;
	const char *k, *field;
	long long m, ts, ref = -1, to = -1;
	struct member *mb;
	struct ev *ev;
	uint8_t kind;
	size_t i;
	int rc = 0;

	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return err_set(e, STOA_EINVAL, "not JSON: %s (column %d)",
			       jerr.text, jerr.column);
	if (!json_is_object(o)) {
		rc = err_set(e, STOA_EINVAL, "not a JSON object");
		goto out;
	}
	json_object_foreach(o, k, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			rc = err_set(e, STOA_EINVAL, "unknown field '%.32s'",
				     k);
			goto out;
		}
	}
	if (int_in(json_object_get(o, "m"), 0, GEN_MEMBERS_MAX - 1, &m) < 0) {
		rc = err_set(e, STOA_EINVAL, "'m' must be a member, 0 to %d",
			     GEN_MEMBERS_MAX - 1);
		goto out;
	}
	v = json_object_get(o, "kind");
	if (!json_is_string(v) || (kind = kind_of(json_string_value(v))) == 0) {
		rc = err_set(e, STOA_EINVAL, "'kind' must be a kind name");
		goto out;
	}
	if (int_in(json_object_get(o, "ts"), 0, ENTRY_MAX_TIMESTAMP, &ts) < 0) {
		rc = err_set(e, STOA_EINVAL, "'ts' must be an integer, 0 to "
			     "2^63-1 (ms)");
		goto out;
	}
	v = json_object_get(o, "payload");
	if (v && !json_is_object(v)) {
		rc = err_set(e, STOA_EINVAL, "'payload' must be an object");
		goto out;
	}
	p = v ? json_deep_copy(v) : json_object();
	if (!p) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	if ((v = json_object_get(o, "ref"))) {
		if (!(field = ref_field(kind))) {
			rc = err_set(e, STOA_EINVAL, "a %s takes no 'ref'",
				     entry_kind_name(kind));
			goto out;
		}
		if (g->nev == 0) {
			rc = err_set(e, STOA_EINVAL, "'ref' names no earlier "
				     "event (this is the first)");
			goto out;
		}
		if (int_in(v, 0, (long long)g->nev - 1, &ref) < 0) {
			rc = err_set(e, STOA_EINVAL, "'ref' must be the index "
				     "of an earlier event, 0 to %lld",
				     (long long)g->nev - 1);
			goto out;
		}
		if ((rc = set_hex(p, field, g->evs[ref].en.id, ENTRY_ID_LEN,
				  e)) < 0)
			goto out;
	}
	if ((v = json_object_get(o, "to"))) {
		if (!(field = to_field(kind))) {
			rc = err_set(e, STOA_EINVAL, "a %s takes no 'to'",
				     entry_kind_name(kind));
			goto out;
		}
		if (int_in(v, 0, GEN_MEMBERS_MAX - 1, &to) < 0) {
			rc = err_set(e, STOA_EINVAL, "'to' must be a member, 0 "
				     "to %d", GEN_MEMBERS_MAX - 1);
			goto out;
		}
		if ((rc = member_key(g, h, (uint32_t)to, e)) < 0 ||
		    (rc = set_hex(p, field, g->members[to].key.pk,
				  KEY_PUBLIC_LEN, e)) < 0)
			goto out;
		g->members[to].used = 1;
		/* what the writer held of the member's feed: all made so far */
		field = kind == ENTRY_KIND_ROLE ? "seen" : "seq";
		if (kind != ENTRY_KIND_KUDOS && !json_object_get(p, field) &&
		    json_object_set_new(p, field, json_integer(
			(json_int_t)g->members[to].seq)) < 0) {
			rc = err_set(e, STOA_ENOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = member_key(g, h, (uint32_t)m, e)) < 0)
		goto out;
	mb = &g->members[m];
	mb->used = 1;
	if (mb->seq == 0 && kind != ENTRY_KIND_PROFILE) {
		rc = err_set(e, STOA_EINVAL, "member %lld's first event must be "
			     "a profile (it is a %s)", m, entry_kind_name(kind));
		goto out;
	}
	if (g->nev == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct ev *n = realloc(g->evs, cap * sizeof(*n));

		if (!n) {
			rc = err_set(e, STOA_ENOMEM, "out of memory");
			goto out;
		}
		g->evs = n;
		g->cap = cap;
	}
	ev = &g->evs[g->nev];
	memset(ev, 0, sizeof(*ev));
	ev->member = (uint32_t)m;
	if ((rc = payload_encode(p, &ev->payload, &ev->plen, e)) < 0)
		goto out;
	/* refused here, with its reason, rather than by the store later */
	rc = payload_validate(kind, ev->payload, ev->plen, NULL, e);
	if (rc == 0)
		rc = entry_create(&ev->en, &mb->key, kind, mb->seq + 1,
				  mb->seq ? mb->head : NULL, (uint64_t)ts,
				  ev->payload, ev->plen, e);
	else if (rc > 0)
		rc = err_set(e, STOA_EINVAL, "the payload would be opaque "
			     "(\"v\" above %d)", PAYLOAD_VERSION);
	if (rc < 0) {
		free(ev->payload);
		goto out;
	}
	mb->seq++;
	memcpy(mb->head, ev->en.id, ENTRY_ID_LEN);
	g->nev++;
out:
	json_decref(p);
	json_decref(o);
	return rc;
}

/* Reads every event of f; the failing line's number in *lineno. */
static int read_events(struct gen *g, struct home *h, FILE *f,
		       size_t *lineno, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	*lineno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		++*lineno;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if ((size_t)n > GEN_LINE_MAX) {
			rc = err_set(e, STOA_EINVAL, "longer than %d bytes",
				     GEN_LINE_MAX);
			break;
		}
		if (memchr(line, '\0', (size_t)n)) {
			rc = err_set(e, STOA_EINVAL, "holds a NUL byte");
			break;
		}
		if (g->nev == GEN_EVENTS_MAX) {
			rc = err_set(e, STOA_EINVAL, "more than %d events",
				     GEN_EVENTS_MAX);
			break;
		}
		if ((rc = add_event(g, h, line, (size_t)n, e)) < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = err_set(e, STOA_EIO, "cannot read stdin: %s",
			     strerror(errno));
	free(line);
	return rc;
}

/* xorshift64*: the --order picks, reproducible from N. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static int commit_every(struct gen *g, size_t *since, size_t n,
			struct err *e)
{
	int rc;

	*since += n;
	if (*since < GEN_BATCH)
		return 0;
	*since = 0;
	if ((rc = store_commit(g->store, e)) < 0)
		return rc;
	return store_begin(g->store, e);
}

/* In the events' order, one entry at a time. */
static int store_in_order(struct gen *g, size_t *failed, struct err *e)
{
	size_t i, since = 0;
	int rc;

	for (i = 0; i < g->nev; i++) {
		*failed = i;
		rc = store_ingest(g->store, g->evs[i].en.signed_bytes,
				  ENTRY_SIGNED_LEN, g->evs[i].payload,
				  g->evs[i].plen, NULL, e);
		/* a removed member's later entry is dropped, not an error */
		if (rc == STOA_EPERM && e->code == STOA_EPERM &&
		    strstr(e->msg, "removed")) {
			err_clear(e);
			rc = 0;
		}
		if (rc < 0)
			return rc;
		if (rc != INGEST_STORED && rc != INGEST_DUPLICATE &&
		    rc != INGEST_CUT)
			return err_set(e, STOA_EINVAL, "ingest result %d", rc);
		if ((rc = commit_every(g, &since, 1, e)) < 0)
			return rc;
	}
	return 0;
}

/* Feeds interleaved as the seed picks, in runs of 1..GEN_RUN_MAX. */
static int store_shuffled(struct gen *g, uint64_t order, size_t *failed,
			  struct err *e)
{
	struct store_run_entry run[GEN_RUN_MAX];
	size_t *next = NULL, *left = NULL, i, nm = 0, since = 0, total = 0;
	uint32_t *feeds = NULL, stored;
	uint64_t s = order * 0x9E3779B97F4A7C15ULL + 1;
	int rc = 0;

	next = calloc(GEN_MEMBERS_MAX, sizeof(*next));
	left = calloc(GEN_MEMBERS_MAX, sizeof(*left));
	feeds = calloc(GEN_MEMBERS_MAX, sizeof(*feeds));
	if (!next || !left || !feeds) {
		rc = err_set(e, STOA_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < g->nev; i++)
		if (left[g->evs[i].member]++ == 0)
			feeds[nm++] = g->evs[i].member;
	while (total < g->nev) {
		uint32_t m = feeds[rnd(&s) % nm];
		size_t want = 1 + rnd(&s) % GEN_RUN_MAX, n = 0;

		if (left[m] == 0)
			continue;
		/* the member's next entries, in seq order */
		for (i = next[m]; i < g->nev && n < want && n < left[m]; i++) {
			if (g->evs[i].member != m)
				continue;
			if (n == 0)
				*failed = i;
			run[n].signed_bytes = g->evs[i].en.signed_bytes;
			run[n].payload = (const uint8_t *)g->evs[i].payload;
			run[n].plen = (uint32_t)g->evs[i].plen;
			n++;
			next[m] = i + 1;
		}
		rc = store_ingest_run(g->store, run, n, &stored, NULL, e);
		if (rc < 0 && e->code == STOA_EPERM && strstr(e->msg, "removed")) {
			err_clear(e);
			rc = 0;
		}
		if (rc < 0)
			goto out;
		if (rc != 0 && rc != INGEST_CUT) {
			rc = err_set(e, STOA_EINVAL, "ingest result %d", rc);
			goto out;
		}
		left[m] -= n;
		total += n;
		if ((rc = commit_every(g, &since, n, e)) < 0)
			goto out;
	}
out:
	free(next);
	free(left);
	free(feeds);
	return rc;
}

/* A new founded home in dir whose founder is member 0 of the seed. */
static int create_home(struct gen *g, struct home *h, const char *dir,
		       const char *community, struct err *e)
{
	char keypath[HOME_PATH_MAX], compath[HOME_PATH_MAX], path[HOME_PATH_MAX];
	uint8_t seed[KEY_SEED_LEN];
	struct community c;
	struct key k;
	int rc, fd;

	if ((rc = home_path(dir, HOME_KEY_FILE, keypath, e)) < 0 ||
	    (rc = home_path(dir, HOME_COMMUNITY_FILE, compath, e)) < 0 ||
	    (rc = home_path(dir, STORE_FILE, path, e)) < 0)
		return rc;
	if (access(keypath, F_OK) == 0)
		return err_set(e, STOA_EEXIST, "'%s' already holds a node",
			       dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(e, STOA_EIO, "cannot create '%s': %s", dir,
			       strerror(errno));
	if ((rc = community_create(&c, community, e)) < 0)
		return rc;
	/* the secret from the seed too: two homes of one seed are one
	 * community */
	seed_of(g->seed, UINT64_MAX, c.secret);
	seed_of(g->seed, 0, seed);
	key_from_seed(&k, seed);
	bytes_wipe(seed, sizeof(seed));
	community_found(&c, k.pk);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_set(e, STOA_EIO, "cannot create '%s': %s", path,
			     strerror(errno));
		goto out;
	}
	close(fd);
	if ((rc = community_file_write(compath, &c, e)) < 0 ||
	    (rc = key_file_write(keypath, &k, e)) < 0)
		goto out;
	/* home_open makes the store's schema and records the founder */
	{
		struct store *st;

		if ((rc = store_open(&st, path, STORE_CREATE, e)) < 0)
			goto out;
		store_close(st);
	}
	rc = home_open(h, dir, e);
out:
	key_wipe(&k);
	community_wipe(&c);
	return rc;
}

static int write_keys(struct gen *g, const char *path, struct err *e)
{
	char hex[2 * KEY_PUBLIC_LEN + 1];
	FILE *f = fopen(path, "w");
	uint32_t m;

	if (!f)
		return err_set(e, STOA_EIO, "cannot write '%s': %s", path,
			       strerror(errno));
	for (m = 0; m < GEN_MEMBERS_MAX; m++) {
		if (!g->members[m].used)
			continue;
		hex_encode(hex, g->members[m].key.pk, KEY_PUBLIC_LEN);
		fprintf(f, "%" PRIu32 " %s\n", m, hex);
	}
	if (fclose(f) != 0)
		return err_set(e, STOA_EIO, "cannot write '%s'", path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *community = NULL, *keys = NULL;
	char hex[ENTRY_ID_HEX_LEN + 1], *end;
	unsigned long long order = 0;
	int shuffle = 0, rc, i, open_ = 0;
	size_t lineno = 0, failed = 0, j;
	struct gen g;
	struct home h;
	struct err e;

	memset(&g, 0, sizeof(g));
	memset(&h, 0, sizeof(h));
	g.seed = "0";
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--home") == 0) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--create") == 0) {
			community = argv[++i];
		} else if (strcmp(argv[i], "--seed") == 0) {
			g.seed = argv[++i];
			if (strlen(g.seed) > GEN_SEED_MAX)
				return usage();
		} else if (strcmp(argv[i], "--order") == 0) {
			errno = 0;
			order = strtoull(argv[++i], &end, 10);
			if (errno || *end || end == argv[i])
				return usage();
			shuffle = 1;
		} else if (strcmp(argv[i], "--keys") == 0) {
			keys = argv[++i];
		} else {
			return usage();
		}
	}
	if (!dir || !*dir)
		return usage();
	err_clear(&e);
	if (key_lib_init() < 0) {
		fputs("stats_gen: cannot initialise libsodium\n", stderr);
		return 1;
	}
	g.members = calloc(GEN_MEMBERS_MAX, sizeof(*g.members));
	if (!g.members) {
		fputs("stats_gen: out of memory\n", stderr);
		return 1;
	}
	g.created = community != NULL;
	rc = community ? create_home(&g, &h, dir, community, &e)
		       : home_open(&h, dir, &e);
	if (rc < 0)
		goto out;
	open_ = 1;
	if (h.locked) {
		rc = err_set(&e, STOA_EPERM, "the home's key is sealed under "
			     "a passphrase");
		goto out;
	}
	g.store = h.store;
	if ((rc = read_events(&g, &h, stdin, &lineno, &e)) < 0) {
		fprintf(stderr, "stats_gen: line %zu: %s\n", lineno, e.msg);
		rc = 1;
		goto done;
	}
	if ((rc = store_begin(g.store, &e)) < 0)
		goto out;
	rc = shuffle ? store_shuffled(&g, order, &failed, &e)
		     : store_in_order(&g, &failed, &e);
	if (rc < 0) {
		store_rollback(g.store);
		fprintf(stderr, "stats_gen: line %zu: refused: %s\n",
			failed + 1, e.msg);
		rc = 1;
		goto done;
	}
	if ((rc = store_commit(g.store, &e)) < 0)
		goto out;
	if (keys && (rc = write_keys(&g, keys, &e)) < 0)
		goto out;
	for (j = 0; j < g.nev; j++) {
		entry_id_hex(g.evs[j].en.id, hex);
		printf("%s\n", hex);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rc = err_set(&e, STOA_EIO, "cannot write stdout");
		goto out;
	}
	rc = 0;
	goto done;
out:
	fprintf(stderr, "stats_gen: %s\n", e.msg[0] ? e.msg : err_str(rc));
	rc = 1;
done:
	for (j = 0; j < g.nev; j++)
		free(g.evs[j].payload);
	free(g.evs);
	for (j = 0; j < GEN_MEMBERS_MAX; j++)
		key_wipe(&g.members[j].key);
	free(g.members);
	if (open_)
		home_close(&h);
	return rc;
}
