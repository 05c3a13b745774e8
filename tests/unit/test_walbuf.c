/*
 * walbuf: SQLite through the VFS that gathers WAL writes must see and
 * keep exactly what it would through the default one. Each case writes
 * through "stoa-walbuf" and reads back through a plain connection of the
 * default VFS (another process's view of the files): frames of a
 * transaction read back by its own writer before they are flushed (the
 * cache spills), a commit visible to another connection at once, a
 * process that dies with frames in its buffer, a flush that fails (the
 * file size limit: the commit fails and nothing of it is kept), the WAL
 * truncated by a checkpoint.
 */
#include <errno.h>
#include <signal.h>
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
	return db;
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
static void test_death(void)
{
	sqlite3 *r;
	pid_t pid;
	int status = -1;

	pid = fork();
	if (pid == 0) {
		sqlite3 *w = writer("b.db");

		if (fill(w, 1, ROWS / 2) != SQLITE_OK || exec(w, "BEGIN") ||
		    fill(w, ROWS / 2 + 1, ROWS / 2) != SQLITE_OK)
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	r = open_db("b.db", NULL);
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS / 2));
	CHECK(ok_integrity(r));
	sqlite3_close(r);
}

/* A flush that fails: the file size limit stops the WAL from growing (as
 * a full disk would), the commit that needs the flush fails, and what was
 * committed before is intact. */
static void test_failed_flush(void)
{
	sqlite3 *r;
	pid_t pid;
	int status = -1;

	pid = fork();
	if (pid == 0) {
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
	CHECK(pid > 0);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	r = open_db("c.db", NULL);
	CHECK_EQ_INT(one(r, SUM_SQL), expect_sum(ROWS / 3));
	CHECK(ok_integrity(r));
	sqlite3_close(r);
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

int main(void)
{
	char cmd[300];
	int rc;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_spill_and_visibility();
	test_death();
	test_failed_flush();
	test_rollback_then_other();
	rc = test_report("test_walbuf");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
