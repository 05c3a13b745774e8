/*
 * walbuf: SQLite through the VFS that gathers WAL writes must see and
 * keep exactly what it would through the default one. Each case writes
 * through "stoa-walbuf" and reads back through a plain connection of the
 * default VFS (another process's view of the files): that it buffers
 * once walbuf_enable found the connection safe, and writes through where
 * buffering would not be (synchronous NORMAL or OFF, also when FULL was
 * refused inside a transaction, exclusive locking, psow=0, any pragma
 * set after walbuf_enable); frames of a transaction read back by its own
 * writer before they are flushed (the cache spills), a commit visible to
 * another connection at once, a
 * process that dies with frames in its buffer, flushes that fail (the
 * file size limit) in a spill and in a commit's sync, the WAL truncated
 * by a checkpoint, rolled-back frames (whole and to a savepoint) never
 * written over another connection's commit, also in exclusive locking
 * mode; and a random interleaving of two walbuf connections and a plain
 * one with savepoints, rollbacks, reopens and every checkpoint mode.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "walbuf.h"

#define ROWS 3000     /* of ROW_BYTES: 6 MB, a WAL of about 1500 frames */
#define ROW_BYTES 2000

static char dir[] = "/tmp/stoa-test-walbuf-XXXXXX";
static int quiet; /* a failure is expected: exec says nothing */

static sqlite3 *open_db(const char *name, const char *vfs)
{
	char path[256];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", path,
			db ? sqlite3_errmsg(db) : "no memory");
		exit(1);
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK && !quiet)
		fprintf(stderr, "(%s: %s)\n", sql, sqlite3_errmsg(db));
	return rc;
}

static long long one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int ok_integrity(sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

/* A writer with a tiny page cache, as the store sets it up otherwise. */
static sqlite3 *writer(const char *name)
{
	sqlite3 *db = open_db(name, walbuf_vfs());

	/* no automatic checkpoint: its reads would flush the buffer and
	 * hide a commit that did not */
	exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 "PRAGMA cache_size = 20; PRAGMA wal_autocheckpoint = 0;"
		 "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v BLOB)");
	CHECK_EQ_INT(walbuf_enable(db), 1);
	return db;
}

/* A writer as writer() with synchronous sync, and URI parameters (e.g.
 * "psow=0") if uri is not NULL. */
static sqlite3 *writer_as(const char *name, const char *sync, const char *uri)
{
	char path[300], sql[200];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "file:%s/%s%s%s", dir, name,
		 uri ? "?" : "", uri ? uri : "");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
			    walbuf_vfs()) != SQLITE_OK) {
		fprintf(stderr, "open %s failed\n", path);
		exit(1);
	}
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = %s; PRAGMA cache_size = 20;"
		 "PRAGMA wal_autocheckpoint = 0;", sync);
	exec(db, sql);
	exec(db, "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v BLOB)");
	(void)walbuf_enable(db); /* 0 where it is not safe: checked below */
	return db;
}

static long long wal_size(const char *name)
{
	char path[300];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s-wal", dir, name);
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Rows [from, from + n) of ROW_BYTES characters, the last derived from
 * k, so a sum checks them. */
static int fill(sqlite3 *db, int from, int n)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "WITH RECURSIVE s(k) AS (SELECT %d "
		 "UNION ALL SELECT k + 1 FROM s WHERE k < %d) INSERT INTO t "
		 "SELECT k, substr(hex(zeroblob(%d)), 2) || char(k %% 94 + 33) "
		 "FROM s", from, from + n - 1, ROW_BYTES / 2);
	return exec(db, sql);
}

#define SUM_SQL "SELECT sum(k * unicode(substr(v, -1))) + count(*) FROM t"

static long long range_sum(int from, int to)
{
	long long k, s = 0;

	for (k = from; k <= to; k++)
		s += k * (k % 94 + 33) + 1;
	return s;
}

static long long expect_sum(int n)
{
	return range_sum(1, n);
}

/* Runs body in a child process (it ends with _exit); its exit status, or
 * 128 + the signal that ended it. */
static int in_child(void (*body)(void))
{
	pid_t pid = fork();
	int status = -1;

	if (pid == 0) {
		body();
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

/* What a plain connection of the default VFS sees in name: sum, and a
 * sound file. */
static void check_db(const char *name, long long sum)
{
	sqlite3 *r = open_db(name, NULL);

	CHECK_EQ_INT(one(r, SUM_SQL), sum);
	CHECK(ok_integrity(r));
	sqlite3_close(r);
}

static void test_spill_and_visibility(void)
{
	sqlite3 *w = writer("a.db"), *r;

	CHECK(walbuf_vfs() != NULL);
	CHECK_STR(walbuf_vfs(), WALBUF_VFS_NAME);
	CHECK_EQ_INT(exec(w, "BEGIN"), SQLITE_OK);
	CHECK_EQ_INT(fill(w, 1, ROWS), SQLITE_OK);
	/* the cache of 20 pages spilled most of this into the WAL, part
	 * of it still in walbuf's buffer: the writer reads it all back */
	CHECK_EQ_INT(one(w, SUM_SQL), expect_sum(ROWS));
	r = open_db("a.db", NULL);
	CHECK_EQ_INT(one(r, "SELECT count(*) FROM t"), 0); /* not committed */
	CHECK_EQ_INT(exec(w, "COMMIT"), SQLITE_OK);
	/* committed: another connection of the default VFS sees it all */
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS));
	CHECK(ok_integrity(r));
	/* a small commit, its few frames all in the buffer until the
	 * commit's sync (the big one rewrote frame headers in place at its
	 * end, which flushed most of it anyway) */
	CHECK_EQ_INT(fill(w, ROWS + 1, 10), SQLITE_OK);
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS + 10));
	/* the checkpoint reads the frames back and truncates the WAL */
	CHECK_EQ_INT(exec(w, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS + 10));
	sqlite3_close(r);
	sqlite3_close(w);
	r = open_db("a.db", NULL);
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS + 10));
	CHECK(ok_integrity(r));
	sqlite3_close(r);
}

/* A process that dies (no close, no flush) in the middle of its second
 * transaction, with frames of it in its buffer: the first is all there,
 * nothing of the second. */
static void death_body(void)
{
	sqlite3 *w = writer("b.db");

	if (fill(w, 1, ROWS / 2) != SQLITE_OK || exec(w, "BEGIN") ||
	    fill(w, ROWS / 2 + 1, ROWS / 2) != SQLITE_OK)
		_exit(3);
	kill(getpid(), SIGKILL);
	_exit(4);
}

static void test_death(void)
{
	CHECK_EQ_INT(in_child(death_body), 128 + SIGKILL);
	check_db("b.db", expect_sum(ROWS / 2));
}

/* A flush that fails: the file size limit stops the WAL from growing (as
 * a full disk would), the commit that needs the flush fails, and what was
 * committed before is intact. */
static void failed_flush_body(void)
{
	sqlite3 *w = writer("c.db");
	struct rlimit lim;
	struct stat sb;
	char wal[256];
	int rc;

	signal(SIGXFSZ, SIG_IGN); /* then write() says EFBIG */
	if (fill(w, 1, ROWS / 3) != SQLITE_OK)
		_exit(3);
	snprintf(wal, sizeof(wal), "%s/c.db-wal", dir);
	if (stat(wal, &sb) < 0)
		_exit(4);
	lim.rlim_cur = lim.rlim_max = (rlim_t)sb.st_size + 64 * 1024;
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
		_exit(5);
	exec(w, "BEGIN");
	quiet = 1;
	rc = fill(w, ROWS / 3 + 1, ROWS);
	if (rc == SQLITE_OK)
		rc = exec(w, "COMMIT");
	if (rc == SQLITE_OK)
		_exit(6); /* it should not fit */
	if (sqlite3_get_autocommit(w) == 0) /* else SQLite did */
		exec(w, "ROLLBACK");
	_exit(sqlite3_close(w) == SQLITE_OK ? 0 : 7);
}

static void test_failed_flush(void)
{
	CHECK_EQ_INT(in_child(failed_flush_body), 0);
	check_db("c.db", expect_sum(ROWS / 3));
}

/* A transaction that spilled a few frames into the buffer and rolled
 * back; another connection then commits frames at the same place in the
 * WAL; the first commits again. The rolled-back frames must never reach
 * the file over the other's: each connection passes its buffer on before
 * it lets go of the WAL's write lock. */
static void test_rollback_then_other(void)
{
	sqlite3 *a = writer("d.db"), *b = writer("d.db"), *r;

	CHECK_EQ_INT(fill(a, 1, 100), SQLITE_OK);
	CHECK_EQ_INT(exec(a, "BEGIN"), SQLITE_OK);
	CHECK_EQ_INT(fill(a, 1001, 60), SQLITE_OK); /* spills, unflushed */
	CHECK_EQ_INT(exec(a, "ROLLBACK"), SQLITE_OK);
	CHECK_EQ_INT(fill(b, 5001, 10), SQLITE_OK);
	/* a reads b's frames, where its own rolled-back ones were */
	CHECK_EQ_INT(one(a, SUM_SQL), range_sum(1, 100) + range_sum(5001, 5010));
	CHECK_EQ_INT(fill(a, 6001, 10), SQLITE_OK);
	r = open_db("d.db", NULL);
	CHECK_EQ_INT(one(r, SUM_SQL), range_sum(1, 100) + range_sum(5001, 5010) +
		     range_sum(6001, 6010));
	CHECK(ok_integrity(r));
	sqlite3_close(a);
	sqlite3_close(b);
	CHECK_EQ_INT(one(r, SUM_SQL), range_sum(1, 100) + range_sum(5001, 5010) +
		     range_sum(6001, 6010));
	CHECK(ok_integrity(r));
	sqlite3_close(r);
}

/*
 * Buffered only where it is safe: a transaction that spills (its frames
 * written to the WAL mid-transaction) leaves the file as it was with
 * synchronous FULL (held in the buffer), and makes it grow at once where
 * every write must go through.
 */
static void test_when_buffered(void)
{
	static const struct {
		const char *name, *sync, *uri, *pre;
		int enable_after, buffered;
	} m[] = {
		{ "m1.db", "FULL", NULL, NULL, 0, 1 },
		{ "m2.db", "EXTRA", NULL, NULL, 0, 1 },
		{ "m3.db", "NORMAL", NULL, NULL, 0, 0 },
		{ "m4.db", "OFF", NULL, NULL, 0, 0 },
		{ "m5.db", "FULL", "psow=0", NULL, 0, 0 },
		{ "m6.db", "FULL", NULL, "PRAGMA locking_mode = EXCLUSIVE", 1, 0 },
		/* refused inside a transaction: still NORMAL */
		{ "m7.db", "NORMAL", NULL,
		  "BEGIN; PRAGMA synchronous = FULL; COMMIT", 1, 0 },
		/* set again after walbuf_enable, even to FULL: off for good */
		{ "m8.db", "FULL", NULL, "PRAGMA synchronous = FULL", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		sqlite3 *w = writer_as(m[i].name, m[i].sync, m[i].uri), *r;
		long long before;

		if (m[i].pre) {
			/* m7's pragma is refused, its COMMIT still runs */
			sqlite3_exec(w, m[i].pre, NULL, NULL, NULL);
			if (!sqlite3_get_autocommit(w))
				exec(w, "COMMIT");
			/* asked again, it reads back what SQLite has */
			if (m[i].enable_after)
				CHECK_EQ_INT(walbuf_enable(w), 0);
		}
		CHECK_EQ_INT(fill(w, 1, 5), SQLITE_OK);
		before = wal_size(m[i].name);
		CHECK(before > 0);
		CHECK_EQ_INT(exec(w, "BEGIN"), SQLITE_OK);
		CHECK_EQ_INT(fill(w, 6, 40), SQLITE_OK); /* spills */
		if (m[i].buffered)
			CHECK_EQ_INT(wal_size(m[i].name), before);
		else
			CHECK(wal_size(m[i].name) > before);
		CHECK_EQ_INT(exec(w, "COMMIT"), SQLITE_OK);
		CHECK(wal_size(m[i].name) > before);
		CHECK_EQ_INT(one(w, SUM_SQL), expect_sum(45));
		sqlite3_close(w);
		r = open_db(m[i].name, NULL);
		CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(45));
		CHECK(ok_integrity(r));
		sqlite3_close(r);
	}
}

/* A commit whose frames are all in the buffer when its sync writes them,
 * and that write fails: the commit fails, as it would have with the
 * default VFS, and nothing of it is seen. */
static void failed_commit_body(void)
{
	sqlite3 *w = writer("g.db");
	struct rlimit lim;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	exec(w, "PRAGMA cache_size = 2000"); /* no spill: all held */
	if (fill(w, 1, 10) != SQLITE_OK || wal_size("g.db") <= 0)
		_exit(3);
	lim.rlim_cur = lim.rlim_max = (rlim_t)wal_size("g.db") + 4096;
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
		_exit(5);
	quiet = 1;
	rc = exec(w, "BEGIN");
	if (rc == SQLITE_OK)
		rc = fill(w, 11, 20);
	if (rc != SQLITE_OK)
		_exit(8); /* the insert itself should not write */
	if (exec(w, "COMMIT") == SQLITE_OK)
		_exit(6);
	if (sqlite3_get_autocommit(w) == 0)
		exec(w, "ROLLBACK");
	_exit(one(w, SUM_SQL) == expect_sum(10) ? 0 : 7);
}

static void test_failed_commit(void)
{
	CHECK_EQ_INT(in_child(failed_commit_body), 0);
	check_db("g.db", expect_sum(10));
}

/* The same, to a savepoint, and in exclusive locking mode (which takes
 * no WAL lock): rolled-back frames never land on another's commit. */
static void test_rollback_variants(void)
{
	sqlite3 *a = writer("h.db"), *b, *r;

	b = open_db("h.db", NULL); /* the default VFS */
	CHECK_EQ_INT(fill(a, 1, 100), SQLITE_OK);
	CHECK_EQ_INT(exec(a, "BEGIN"), SQLITE_OK);
	CHECK_EQ_INT(fill(a, 101, 5), SQLITE_OK);
	CHECK_EQ_INT(exec(a, "SAVEPOINT s"), SQLITE_OK);
	CHECK_EQ_INT(fill(a, 1001, 60), SQLITE_OK); /* spills */
	CHECK_EQ_INT(exec(a, "ROLLBACK TO s; RELEASE s; COMMIT"), SQLITE_OK);
	CHECK_EQ_INT(fill(b, 5001, 10), SQLITE_OK);
	sqlite3_close(b); /* exclusive mode needs the file to itself */
	CHECK_EQ_INT(exec(a, "PRAGMA locking_mode = EXCLUSIVE"), SQLITE_OK);
	CHECK_EQ_INT(exec(a, "BEGIN"), SQLITE_OK);
	CHECK_EQ_INT(fill(a, 2001, 60), SQLITE_OK); /* spills */
	CHECK_EQ_INT(exec(a, "ROLLBACK"), SQLITE_OK);
	CHECK_EQ_INT(exec(a, "PRAGMA locking_mode = NORMAL;"
			  "BEGIN IMMEDIATE; COMMIT"), SQLITE_OK);
	b = open_db("h.db", NULL);
	CHECK_EQ_INT(fill(b, 6001, 10), SQLITE_OK);
	CHECK_EQ_INT(one(a, SUM_SQL), range_sum(1, 105) +
		     range_sum(5001, 5010) + range_sum(6001, 6010));
	sqlite3_close(a);
	sqlite3_close(b);
	r = open_db("h.db", NULL);
	CHECK_EQ_INT(one(r, SUM_SQL), range_sum(1, 105) +
		     range_sum(5001, 5010) + range_sum(6001, 6010));
	CHECK(ok_integrity(r));
	sqlite3_close(r);
}

/*
 * Two walbuf connections and a plain one, taking turns at random (fixed
 * seeds): transactions that commit or roll back, some with a savepoint
 * undone, rows rewritten in place, checkpoints of every mode, reopens;
 * every connection sees every committed row after every step.
 */
#define MIX_CONNS 3
#define MIX_STEPS 150

static sqlite3 *mix_open(int i)
{
	sqlite3 *db = i < 2 ? writer("mix.db") : open_db("mix.db", NULL);
	int persist = 1;

	/* as the store: the WAL kept and truncated to a limit */
	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	exec(db, "PRAGMA synchronous = FULL; PRAGMA cache_size = 10;"
		 "PRAGMA journal_size_limit = 200000;"
		 "PRAGMA wal_autocheckpoint = 0");
	return db;
}

static void test_mix(unsigned seed)
{
	static const char *const ckpt[] = { "PASSIVE", "FULL", "RESTART",
					    "TRUNCATE" };
	sqlite3 *c[MIX_CONNS];
	long long rows = 0, sum = 0, got;
	int i, step, next = 1, bad = 0;
	char sql[400];

	srand(seed);
	for (i = 0; i < MIX_CONNS; i++)
		c[i] = mix_open(i);
	quiet = 1; /* a checkpoint may be busy: that is fine */
	for (step = 0; step < MIX_STEPS && !bad; step++) {
		int w = rand() % MIX_CONNS, op = rand() % 10;
		int n = 1 + rand() % 40, rc = 0;

		if (op < 6) {
			int from = next;

			rc |= exec(c[w], "BEGIN IMMEDIATE");
			rc |= fill(c[w], from, n);
			next += n;
			if (rand() % 2) {
				rc |= exec(c[w], "SAVEPOINT s");
				rc |= fill(c[w], next, 1 + rand() % 30);
				next += 31;
				rc |= exec(c[w], "ROLLBACK TO s; RELEASE s");
			}
			if (rand() % 2) { /* the same rows, in place */
				snprintf(sql, sizeof(sql), "UPDATE t SET v = v "
					 "WHERE k %% 7 = %d", rand() % 7);
				rc |= exec(c[w], sql);
			}
			if (op < 4 && rc == SQLITE_OK &&
			    exec(c[w], "COMMIT") == SQLITE_OK) {
				rows += n;
				sum += range_sum(from, from + n - 1);
			} else {
				exec(c[w], "ROLLBACK");
			}
		} else if (op < 9) {
			snprintf(sql, sizeof(sql), "PRAGMA wal_checkpoint(%s)",
				 ckpt[rand() % 4]);
			exec(c[w], sql);
		} else {
			sqlite3_close(c[w]);
			c[w] = mix_open(w);
		}
		for (i = 0; i < MIX_CONNS; i++) {
			got = one(c[i], SUM_SQL);
			if (got != (rows ? sum : -1) &&
			    !(rows == 0 && got == 0)) {
				fprintf(stderr, "seed %u step %d conn %d: sum "
					"%lld, expected %lld\n", seed, step, i,
					got, sum);
				bad = 1;
			}
		}
	}
	quiet = 0;
	CHECK(!bad);
	for (i = 0; i < MIX_CONNS; i++)
		sqlite3_close(c[i]);
	c[0] = open_db("mix.db", NULL);
	CHECK(ok_integrity(c[0]));
	CHECK_EQ_INT(one(c[0], "SELECT count(*) FROM t"), rows);
	exec(c[0], "DROP TABLE t");
	sqlite3_close(c[0]);
}

/* Also when a helper exits early (children leave with _exit). */
static void remove_dir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(remove_dir);
	test_spill_and_visibility();
	test_death();
	test_when_buffered();
	test_failed_flush();
	test_failed_commit();
	test_rollback_then_other();
	test_rollback_variants();
	test_mix(1);
	test_mix(2);
	return test_report("test_walbuf");
}
