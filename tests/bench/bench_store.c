/*
 * bench_store: how fast one node writes, ingests and reads, at scale.
 *
 *   bench_store [--entries N] [--members M] [--batch B] [--ingest K]
 *               [--runs R] [--stoa PATH] [--dir DIR] [--keep]
 *               [--flood post|hide|erase|role]
 *
 * 1. the home: N entries by M members (a classroom's mix: mostly posts
 *    and replies, feedback, kudos, mentoring), each made by store_append
 *    (validated, signed, stored, materialized) as `stoa post` makes one,
 *    B to a batch (store_begin .. store_commit, one commit each). This is
 *    the data the other figures read; its rate is printed, but no
 *    command writes this way (`stoa post` is one append and one commit:
 *    tests/bench/bench_post.sh times it);
 * 2. ingest of foreign entries: the first K of them re-read in arrival
 *    order and fed through store_ingest into a fresh store (every
 *    signature verified, every link and hash checked);
 * 2b. with --runs R: the replication receiver's store path: R entries
 *    read back in runs of up to STORE_RUN_MAX entries of one feed, the
 *    feeds taken in turn as a sync pulls them, through store_ingest_run into a fresh store
 *    (wall and CPU seconds; no network, no CURVE);
 * 3. `stoa feed` and `stoa search` wall time on the N-entry home (real
 *    processes, median of 11 runs) and their peak RSS.
 * With --flood KIND the home's N entries are instead all of one learner
 * (member 1; the founder is member 0), all posts, or all governance
 * records with no effect, which a modified client can write: hides or
 * erasures of random ids, roles making random keys facilitators:
 * tests/bench/bench_gov.sh compares them.
 * Prints one "name value unit" line per figure. Not a test: CTest never
 * runs it. docs/benchmarks.md has the figures and the command.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "home.h"
#include "payload.h"
#include "store.h"

#define BENCH_MEMBERS_MAX 1000
#define BENCH_WORDS 2000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static char words[BENCH_WORDS][12];

/* Pronounceable made-up words; word i is used with a Zipf-like weight. */
static void make_words(void)
{
	static const char cons[] = "bcdfghjklmnprstvz", vow[] = "aeiou";
	int i, j;

	for (i = 0; i < BENCH_WORDS; i++) {
		int n = 2 + (int)(rnd() % 4);

		for (j = 0; j < n; j++) {
			words[i][2 * j] = cons[rnd() % (sizeof(cons) - 1)];
			words[i][2 * j + 1] = vow[rnd() % (sizeof(vow) - 1)];
		}
		words[i][2 * n] = '\0';
	}
	/* two known words for the search figures */
	strcpy(words[3], "fraction");     /* common: rank 3 */
	strcpy(words[1500], "photosyn");  /* rare */
}

static const char *word(void)
{
	/* 1/x-ish: square of a uniform pick biases toward low ranks */
	double u = (double)(rnd() % 1000000) / 1e6;

	return words[(int)(u * u * BENCH_WORDS) % BENCH_WORDS];
}

static void sentence(char *out, size_t cap, int n)
{
	size_t o = 0;
	int i;

	for (i = 0; i < n && o + 16 < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", word());
}

static uint8_t flood; /* --flood: every entry member 1's, of this kind */

struct recent {
	uint8_t id[ENTRY_ID_LEN];
	int have;
};

/* One generated entry, made before the timed append. */
struct gen {
	uint8_t kind;
	char *payload;  /* owned */
	size_t len;
	int author;
};

/*
 * A classroom's mix: 60% posts, 20% replies, 13% feedback, 4% kudos, 3%
 * mentoring asks; replies and feedback point at posts of earlier batches.
 */
static int make_payload(struct gen *g, int author, const struct key *other,
			const struct recent *posts, int nposts, struct err *e)
{
	char body[512], title[96], hex[65];
	int r = (int)(rnd() % 100), slot = (int)(rnd() % nposts), rc;
	json_t *o;

	sentence(body, sizeof(body), 8 + (int)(rnd() % 30));
	if (flood && flood != ENTRY_KIND_POST) {
		uint8_t t[ENTRY_ID_LEN];
		size_t k;

		for (k = 0; k < ENTRY_ID_LEN; k++)
			t[k] = (uint8_t)rnd();
		hex_encode(hex, t, 32);
		/* a role names a random key facilitator and replaces 16
		 * random ids: the most a record makes the rules read */
		o = flood == ENTRY_KIND_ROLE
			    ? json_pack("{s:s, s:s, s:i, s:[]}", "member", hex,
					"role", "facilitator", "seen", 1,
					"replaces")
			    : json_pack("{s:s}", "target", hex);
		for (k = 0; o && flood == ENTRY_KIND_ROLE &&
			    k < PAYLOAD_REPLACES_MAX; k++) {
			t[k % ENTRY_ID_LEN] ^= (uint8_t)rnd();
			hex_encode(hex, t, 32);
			json_array_append_new(json_object_get(o, "replaces"),
					      json_string(hex));
		}
		g->kind = flood;
	} else if (r < 60 || !posts[slot].have || flood) {
		sentence(title, sizeof(title), 3);
		o = json_pack("{s:s, s:s, s:s}", "topic", words[rnd() % 12],
			      "title", title, "body", body);
		g->kind = ENTRY_KIND_POST;
	} else if (r < 80) {
		hex_encode(hex, posts[slot].id, 32);
		o = json_pack("{s:s, s:s, s:s}", "topic", words[rnd() % 12],
			      "body", body, "reply_to", hex);
		g->kind = ENTRY_KIND_POST;
	} else if (r < 93) {
		hex_encode(hex, posts[slot].id, 32);
		o = json_pack("{s:s, s:i, s:b, s:s}", "target", hex, "rating",
			      1 + (int)(rnd() % 5), "helpful", (int)(rnd() % 2),
			      "comment", body);
		g->kind = ENTRY_KIND_FEEDBACK;
	} else if (r < 97) {
		hex_encode(hex, other->pk, 32);
		o = json_pack("{s:s, s:s, s:s}", "to", hex, "badge", words[rnd() % 20],
			      "reason", body);
		g->kind = ENTRY_KIND_KUDOS;
	} else {
		o = json_pack("{s:s}", "topic", words[rnd() % 12]);
		g->kind = r < 99 ? ENTRY_KIND_MENTOR_OFFER : ENTRY_KIND_MENTOR_REQUEST;
	}
	if (!o)
		return err_set(e, STOA_ENOMEM, "json_pack");
	g->author = flood ? 1 : author;
	rc = payload_encode(o, &g->payload, &g->len, e);
	json_decref(o);
	return rc;
}

/* Bytes this process has passed to read and write system calls so far
 * (/proc/self/io rchar, wchar): the I/O a figure cost, whatever the load. */
static void io_bytes(double *rd, double *wr)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];

	*rd = *wr = 0;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "rchar: %lf", rd);
		sscanf(line, "wchar: %lf", wr);
	}
	if (f)
		fclose(f);
}

static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kb(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs argv RUNS times with stdout to /dev/null; median wall ms and the
 * largest child peak RSS. */
#define RUNS 11
extern char **environ;
static int time_cmd(char *const argv[], double *median_ms, long *rss_kb)
{
	double t[RUNS];
	int i;

	*rss_kb = 0;
	for (i = 0; i < RUNS; i++) {
		struct rusage ru;
		double t0 = now_s();
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd < 0 || dup2(fd, 1) < 0)
				_exit(127);
			execv(argv[0], argv);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
			return -1;
		t[i] = (now_s() - t0) * 1e3;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return -1;
		if (ru.ru_maxrss > *rss_kb)
			*rss_kb = ru.ru_maxrss;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	*median_ms = t[RUNS / 2];
	return 0;
}

/* Times the read commands on home: `bench_store --time-cli HOME`. */
static int time_cli(const char *stoa, char *home)
{
	char *feed[] = { (char *)stoa, "--home", home, "feed", NULL };
	char *feedt[] = { (char *)stoa, "--home", home, "feed", "--topic",
			  words[5], NULL };
	char *s1[] = { (char *)stoa, "--home", home, "search", "fraction", NULL };
	char *s2[] = { (char *)stoa, "--home", home, "search", "photosyn", NULL };
	char *base[] = { "/bin/true", NULL };
	struct { const char *name; char **argv; } runs[] = {
		{ "spawn_baseline", base }, /* what any process costs here */
		{ "feed", feed }, { "feed_topic", feedt },
		{ "search_common", s1 }, { "search_rare", s2 },
	};
	size_t r;

	for (r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		double ms;
		long rss;

		if (time_cmd(runs[r].argv, &ms, &rss) < 0) {
			fprintf(stderr, "bench: %s failed\n", runs[r].name);
			return 1;
		}
		printf("cli_%s_ms %.1f\ncli_%s_peak_rss_kb %ld\n", runs[r].name,
		       ms, runs[r].name, rss);
	}
	return 0;
}

/*
 * The bench's batch append: g[0..m) appended by store_append, in order,
 * inside one batch (one commit): the entries `stoa post` would make one by
 * one, without a process and a commit each. Only the public store API.
 * ids[j] gets g[j]'s id.
 */
static int append_batch(struct store *s, const struct key *keys,
			const struct gen *g, long m,
			uint8_t (*ids)[ENTRY_ID_LEN], struct err *e)
{
	long j;
	int rc;

	if ((rc = store_begin(s, e)) < 0)
		return rc;
	for (j = 0; j < m; j++) {
		rc = store_append(s, &keys[g[j].author], g[j].kind, g[j].payload,
				  g[j].len, ids[j], e);
		if (rc < 0) {
			store_rollback(s);
			return rc;
		}
	}
	return store_commit(s, e);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_store [--entries N] [--members M] [--batch B] "
		"[--ingest K] [--runs R] [--stoa PATH] [--dir DIR] [--keep]\n"
		"                   [--flood post|hide|erase|role]\n");
	exit(2);
}

/*
 * 2b. the replication receiver's store path: every feed of the N-entry
 * home read back in runs of up to STORE_RUN_MAX entries, the feeds taken in
 * turn as a sync pulls them, and fed through store_ingest_run into a fresh
 * store (one signature per run, every hash and payload checked), a commit
 * every `batch` entries or so (a daemon pass). No network: the figure is
 * the store's share of a cold sync. Prints wall and CPU seconds.
 */
static int bench_runs(const char *dir, const char *src_path, long limit,
		      long batch)
{
	char path[HOME_PATH_MAX + 32];
	struct store_run_entry *v;
	struct store *b = NULL;
	struct err e = { 0 };
	sqlite3 *src;
	sqlite3_stmt *feeds, *st;
	struct rusage r0, r1;
	uint8_t authors[BENCH_MEMBERS_MAX][KEY_PUBLIC_LEN];
	uint64_t next[BENCH_MEMBERS_MAX];
	int na = 0, a, progress = 1;
	long total = 0, since = 0;
	double t0, dt, cpu, rd0, wr0, rd1, wr1;

	snprintf(path, sizeof(path), "%s/runs.db", dir);
	v = calloc(STORE_RUN_MAX, sizeof(*v));
	if (!v || store_open(&b, path, STORE_CREATE, &e) < 0 ||
	    sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "SELECT author FROM feeds ORDER BY author",
			       -1, &feeds, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "SELECT signed, payload FROM entries WHERE "
			       "author = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: runs setup: %s\n", e.msg);
		return -1;
	}
	while (na < BENCH_MEMBERS_MAX && sqlite3_step(feeds) == SQLITE_ROW) {
		memcpy(authors[na], sqlite3_column_blob(feeds, 0), KEY_PUBLIC_LEN);
		next[na++] = 1;
	}
	sqlite3_finalize(feeds);
	getrusage(RUSAGE_SELF, &r0);
	io_bytes(&rd0, &wr0);
	t0 = now_s();
	store_begin(b, &e);
	while (progress && total < limit && !e.code) {
		progress = 0;
		for (a = 0; a < na && total < limit && !e.code; a++) {
			size_t k = 0;
			uint32_t stored = 0;

			sqlite3_reset(st);
			sqlite3_bind_blob(st, 1, authors[a], KEY_PUBLIC_LEN, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)next[a]);
			sqlite3_bind_int(st, 3, STORE_RUN_MAX);
			while (k < STORE_RUN_MAX && sqlite3_step(st) == SQLITE_ROW) {
				/* the rows stay valid until the next step of st:
				 * copy them, as a message buffer would hold them */
				size_t sl = (size_t)sqlite3_column_bytes(st, 0);
				size_t pl = (size_t)sqlite3_column_bytes(st, 1);
				uint8_t *m = malloc(sl + pl + 1);

				memcpy(m, sqlite3_column_blob(st, 0), sl);
				memcpy(m + sl, sqlite3_column_blob(st, 1), pl);
				v[k].signed_bytes = m;
				v[k].payload = m + sl;
				v[k].plen = (uint32_t)pl;
				k++;
			}
			if (k == 0)
				continue;
			progress = 1;
			if (store_ingest_run(b, v, k, &stored, NULL, &e) < 0 || stored != k) {
				fprintf(stderr, "bench: run: %u of %zu stored: %s\n",
					stored, k, e.msg);
				e.code = e.code ? e.code : STOA_EIO;
			}
			while (k > 0)
				free((void *)v[--k].signed_bytes);
			next[a] += stored;
			total += stored;
			since += stored;
			if (since >= batch && !e.code) {
				store_commit(b, &e);
				if (!e.code)
					store_begin(b, &e);
				since = 0;
			}
		}
	}
	if (!e.code)
		store_commit(b, &e);
	dt = now_s() - t0;
	getrusage(RUSAGE_SELF, &r1);
	io_bytes(&rd1, &wr1);
	cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
	      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
	      (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	      (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	sqlite3_finalize(st);
	sqlite3_close(src);
	store_close(b);
	free(v);
	if (e.code) {
		fprintf(stderr, "bench: runs: %s\n", e.msg);
		return -1;
	}
	printf("runs_entries %ld\nruns_entries_per_s %.0f\nruns_seconds %.2f\n"
	       "runs_cpu_seconds %.2f\nruns_read_bytes_per_entry %.0f\n"
	       "runs_written_bytes_per_entry %.0f\n", total, (double)total / dt,
	       dt, cpu, (rd1 - rd0) / (double)total, (wr1 - wr0) / (double)total);
	return 0;
}

/*
 * 1. The home: n entries by the members' keys, made a batch at a time by
 * append_batch; each batch's payloads are made first and not timed, so
 * the figure is the store's (validate, sign, store, materialize, commit).
 */
static int make_home(struct store *s, const struct key *keys, long n,
		     long members, long batch)
{
	struct recent posts[256] = { { { 0 }, 0 } };
	struct gen *gens = calloc((size_t)batch, sizeof(*gens));
	uint8_t (*ids)[ENTRY_ID_LEN] = calloc((size_t)batch, sizeof(*ids));
	struct err e = { 0 };
	double t0, c0, dt = 0, cpu = 0;
	double ard0, awr0, ard1, awr1, ard = 0, awr = 0;
	long i;

	if (!gens || !ids)
		err_set(&e, STOA_ENOMEM, "out of memory");
	for (i = 0; i < n && !e.code; i += batch) {
		long j, m = n - i < batch ? n - i : batch;

		for (j = 0; j < m && !e.code; j++)
			make_payload(&gens[j], (int)((i + j) % members),
				     &keys[(i + j + 1) % members], posts, 256, &e);
		t0 = now_s();
		c0 = cpu_s(RUSAGE_SELF);
		io_bytes(&ard0, &awr0);
		if (!e.code)
			append_batch(s, keys, gens, m, ids, &e);
		dt += now_s() - t0;
		cpu += cpu_s(RUSAGE_SELF) - c0;
		io_bytes(&ard1, &awr1);
		ard += ard1 - ard0;
		awr += awr1 - awr0;
		for (j = 0; j < m && !e.code; j++) {
			if (gens[j].kind == ENTRY_KIND_POST) {
				int slot = (int)(rnd() % 256);

				memcpy(posts[slot].id, ids[j], ENTRY_ID_LEN);
				posts[slot].have = 1;
			}
		}
		for (j = 0; j < m; j++) {
			free(gens[j].payload);
			gens[j].payload = NULL;
		}
	}
	free(gens);
	free(ids);
	if (e.code) {
		fprintf(stderr, "bench: append: %s\n", e.msg);
		return -1;
	}
	printf("append_entries_per_s %.0f\nappend_seconds %.2f\n", (double)n / dt, dt);
	/* CPU of the timed part (one thread) and its I/O: unlike the rate,
	 * they do not depend on what else the machine runs. */
	printf("append_cpu_seconds %.2f\n"
	       "append_read_bytes_per_entry %.0f\n"
	       "append_written_bytes_per_entry %.0f\n", cpu,
	       ard / (double)n, awr / (double)n);
	return 0;
}

/*
 * 2. ingest of foreign entries: the first ningest entries of the home at
 * src_path, in arrival order, through store_ingest into a fresh store
 * (every signature verified), a commit every batch entries.
 */
static int bench_ingest(const char *dir, const char *src_path, long ningest,
			long batch)
{
	char path[HOME_PATH_MAX + 32];
	struct store *b = NULL;
	struct err e = { 0 };
	sqlite3 *src;
	sqlite3_stmt *st;
	double t0, dt;
	long i = 0, stored = 0;

	snprintf(path, sizeof(path), "%s/ingest.db", dir);
	if (store_open(&b, path, STORE_CREATE, &e) < 0 ||
	    sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src, "SELECT signed, payload FROM entries "
			       "ORDER BY n LIMIT ?1", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench: ingest setup: %s\n", e.msg);
		return -1;
	}
	sqlite3_bind_int64(st, 1, ningest);
	t0 = now_s();
	while (sqlite3_step(st) == SQLITE_ROW) {
		int rc;

		if (i % batch == 0 && store_begin(b, &e) < 0)
			break;
		rc = store_ingest(b, sqlite3_column_blob(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0),
				  sqlite3_column_blob(st, 1),
				  (size_t)sqlite3_column_bytes(st, 1), NULL, &e);
		if (rc < 0)
			break;
		stored += rc == INGEST_STORED;
		if (++i % batch == 0 && store_commit(b, &e) < 0)
			break;
	}
	if (!e.code)
		store_commit(b, &e);
	dt = now_s() - t0;
	sqlite3_finalize(st);
	sqlite3_close(src);
	store_close(b);
	if (e.code || stored != ningest) {
		fprintf(stderr, "bench: ingest: %ld of %ld stored: %s\n",
			stored, ningest, e.msg);
		return -1;
	}
	printf("ingest_entries %ld\ningest_entries_per_s %.0f\n", ningest,
	       (double)ningest / dt);
	return 0;
}

/*
 * 3. the CLI reading the home, timed by a fresh small process
 * (`bench_store --time-cli HOME`): a child's peak RSS counts the pages of
 * the process it was forked from, so it must not be forked from this big
 * one.
 */
static int spawn_time_cli(const char *dir, const char *stoa)
{
	char home[HOME_PATH_MAX + 8];
	char *args[] = { "/proc/self/exe", "--time-cli", home,
			 "--stoa", (char *)stoa, NULL };
	int status;
	pid_t pid;

	snprintf(home, sizeof(home), "%s/home", dir);
	fflush(stdout);
	if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0 ||
	    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: timing the cli failed\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "entries", required_argument, NULL, 'n' },
		{ "members", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "ingest", required_argument, NULL, 'i' },
		{ "runs", required_argument, NULL, 'r' },
		{ "stoa", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "time-cli", required_argument, NULL, 't' },
		{ "flood", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	long n = 1000000, members = 40, batch = 1000, ningest = 200000, nruns = 0;
	const char *stoa = NULL;
	char dir[HOME_PATH_MAX] = "", path[HOME_PATH_MAX + 32], cmd[HOME_PATH_MAX + 32];
	struct key *keys;
	struct community c;
	struct home h;
	struct err e = { 0 };
	long i;
	char *cli_home = NULL;
	int opt, keep = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'm': members = atol(optarg); break;
		case 'b': batch = atol(optarg); break;
		case 'i': ningest = atol(optarg); break;
		case 'r': nruns = atol(optarg); break;
		case 's': stoa = optarg; break;
		case 'd': snprintf(dir, sizeof(dir), "%s", optarg); break;
		case 'k': keep = 1; break;
		case 't': cli_home = optarg; break;
		case 'f': flood = entry_kind_from_name(optarg); break;
		default: usage();
		}
	}
	make_words();
	if (cli_home)
		return stoa ? time_cli(stoa, cli_home) : 2;
	if (n < 1 || members < 1 || members > BENCH_MEMBERS_MAX || batch < 1 || ningest < 0)
		usage();
	if (flood && ((flood != ENTRY_KIND_POST && flood != ENTRY_KIND_HIDE &&
		       flood != ENTRY_KIND_ERASE && flood != ENTRY_KIND_ROLE) ||
		      members < 2))
		usage();
	if (ningest > n)
		ningest = n;
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/stoa-bench-XXXXXX");
		if (!mkdtemp(dir))
			return 1;
	}
	if (key_lib_init() < 0)
		return 1;
	keys = calloc((size_t)members, sizeof(*keys));
	snprintf(path, sizeof(path), "%s/home", dir);
	if (community_create(&c, "bench", &e) < 0 ||
	    home_create(&h, path, &c, 1, "bench0", NULL, 0, &e) < 0) {
		fprintf(stderr, "bench: %s\n", e.msg);
		return 1;
	}
	keys[0] = h.key;
	for (i = 1; i < members; i++)
		key_generate(&keys[i]);

	printf("entries %ld\nmembers %ld\nbatch %ld\n", n, members, batch);
	if (make_home(h.store, keys, n, members, batch) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/home/store.db", dir);
	{
		struct stat st;

		if (stat(path, &st) == 0)
			printf("store_bytes %lld\nstore_bytes_per_entry %.0f\n",
			       (long long)st.st_size, (double)st.st_size / (double)n);
	}

	/* 2. ingest the first K entries into a fresh store, as from a peer */
	if (ningest > 0 && bench_ingest(dir, path, ningest, batch) < 0)
		return 1;
	if (nruns > 0 && bench_runs(dir, path, nruns, batch) < 0)
		return 1;
	home_close(&h);
	printf("bench_peak_rss_kb %ld\n", peak_rss_kb(RUSAGE_SELF));

	/* 3. the CLI reading the N-entry home */
	if (stoa && spawn_time_cli(dir, stoa) < 0)
		return 1;
	if (!keep) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: cannot remove %s\n", dir);
	} else {
		printf("dir %s\n", dir);
	}
	free(keys);
	return 0;
}
