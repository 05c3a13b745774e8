/*
 * walbuf: a SQLite VFS shim that gathers the writes to a write-ahead log
 * into large ones. SQLite writes each WAL frame as two calls, its 24-byte
 * header and its 4 KiB page, so a commit of N pages costs 2N system
 * calls; in the VM stoa is measured on a system call costs about a
 * microsecond before it copies anything, and these calls were a tenth of
 * the store's time (docs/benchmarks.md). walbuf keeps the frames a
 * connection appends in one buffer of WALBUF_SIZE bytes per WAL file and
 * hands them to the real VFS in one write when the buffer is full, and
 * always before anything could depend on them: a sync (every commit, as
 * the store runs with synchronous = FULL, so a frame is never published
 * in the wal-index before it is written), a read that overlaps the
 * buffer, a truncate, a size query, a write elsewhere, close, and when
 * the connection lets go of the WAL's write lock. The last one is for a
 * transaction that spilled frames and rolled back: SQLite writes nothing
 * then, the next writer (another connection) writes its frames over the
 * same part of the file, and stale frames flushed after that would
 * overwrite them (test_walbuf had it: "file is not a database"). So a
 * connection's WAL file holds, whenever another could write, exactly
 * what it would hold with the default VFS. To see that lock, walbuf also
 * wraps the main database file (every method passed on, xShmLock watched),
 * and pairs each WAL with its database by the name SQLite opened them
 * with (sqlite3_filename_database).
 *
 * Every other file (journals, temporary files) is opened by the real
 * VFS in place, with its own methods. walbuf owns only the buffers and
 * the pairing; it never reorders writes within a file and never reports
 * a write as done that a sync could not make durable: a write that fails
 * at flush time fails the sync that caused it, with the real VFS's code
 * (SQLITE_FULL on a full disk), and SQLite then rolls the commit back as
 * it would have.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "walbuf.h"

/* The unix VFS writes at most 128 KiB - 1 bytes per call (its
 * seekAndWriteFd masks the length with 0x1ffff): stay below. */
#define WALBUF_SIZE (124 * 1024)

/* SQLite's WAL_WRITE_LOCK (wal.c): the first lock slot of the wal-index. */
#define WALBUF_WRITE_LOCK 0

struct wb_file {
	sqlite3_file base;    /* pMethods = &wb_io (a WAL) or &wb_main_io */
	sqlite3_file *real;   /* the real VFS's file, right after this */
	/* a WAL: */
	unsigned char *buf;   /* NULL: no database paired, writes go through */
	sqlite3_int64 off;    /* file offset of buf[0] */
	int len;              /* bytes held */
	struct wb_file *db;   /* its database file, or NULL */
	/* a database file: */
	const char *name;     /* as passed to xOpen: the pairing key */
	struct wb_file *wal;  /* its WAL while open, or NULL */
	struct wb_file *next; /* in wb_dbs */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;
static pthread_mutex_t wb_mu = PTHREAD_MUTEX_INITIALIZER; /* guards: */
static struct wb_file *wb_dbs; /* the open database files */

static int wb_flush(struct wb_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, f->len, f->off);
	f->len = 0; /* failed or not: SQLite rolls back, the frames are moot */
	return rc;
}

static int wb_close(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f), rc2;

	pthread_mutex_lock(&wb_mu);
	if (f->db)
		f->db->wal = NULL;
	pthread_mutex_unlock(&wb_mu);
	rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc;

	if (f->len && off < f->off + f->len && off + amt > f->off &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xRead(f->real, out, amt, off);
}

static int wb_write(sqlite3_file *p, const void *in, int amt,
		    sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc;

	if (f->len && (off != f->off + f->len || f->len + amt > WALBUF_SIZE) &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if (!f->buf || amt > WALBUF_SIZE)
		return f->real->pMethods->xWrite(f->real, in, amt, off);
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, in, (size_t)amt);
	f->len += amt;
	return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *p, int flags)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_size(sqlite3_file *p, sqlite3_int64 *size)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *p, int lock)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xLock(f->real, lock);
}

static int wb_unlock(sqlite3_file *p, int lock)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xUnlock(f->real, lock);
}

static int wb_reserved(sqlite3_file *p, int *out)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_control(sqlite3_file *p, int op, void *arg)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* The rest is the real file's, for both kinds (a WAL file is never
 * memory-mapped nor given a wal-index of its own: its entries only keep
 * the table complete for its version). */
static int wb_shm_map(sqlite3_file *p, int pg, int pgsz, int extend,
		      void volatile **out)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, out);
}

static int wb_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void wb_shm_barrier(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;

	f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *p, int del)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **out)
{
	struct wb_file *f = (struct wb_file *)p;
	int rc = wb_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_db_fetch(sqlite3_file *p, sqlite3_int64 off, int amt,
		       void **out)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	struct wb_file *f = (struct wb_file *)p;

	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static const sqlite3_io_methods wb_io = {
	3, wb_close, wb_read, wb_write, wb_truncate, wb_sync, wb_size,
	wb_lock, wb_unlock, wb_reserved, wb_control, wb_sector, wb_device,
	wb_shm_map, wb_shm_lock, wb_shm_barrier, wb_shm_unmap, wb_fetch,
	wb_unfetch,
};

/*
 * A database file: everything is the real file's, but xShmLock. When the
 * connection lets go of the WAL's write lock (a commit, whose sync left
 * the buffer empty, or a rollback, which left frames of no transaction in
 * it), the WAL's buffer is written first, while the lock is still held.
 * A failure then is not reported: those frames are past the log's end,
 * never read, and the next writer writes over them.
 */
static int wb_db_close(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p, **pp;

	pthread_mutex_lock(&wb_mu);
	for (pp = &wb_dbs; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	if (f->wal)
		f->wal->db = NULL;
	pthread_mutex_unlock(&wb_mu);
	return f->real->pMethods->xClose(f->real);
}

static int wb_db_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
	struct wb_file *f = (struct wb_file *)p;

	if ((flags & SQLITE_SHM_EXCLUSIVE) && off <= WALBUF_WRITE_LOCK &&
	    WALBUF_WRITE_LOCK < off + n && f->wal) {
		if (flags & SQLITE_SHM_UNLOCK)
			(void)wb_flush(f->wal);
		else /* taking it: whatever is held predates it (never, as
		      * the unlock flushed), so it must never be written */
			f->wal->len = 0;
	}
	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

#define WB_PASS(name, args, call)                                          \
	static int wb_db_##name args                                       \
	{                                                                  \
		struct wb_file *f = (struct wb_file *)p;                   \
		return f->real->pMethods->call;                            \
	}
WB_PASS(read, (sqlite3_file *p, void *o, int n, sqlite3_int64 at),
	xRead(f->real, o, n, at))
WB_PASS(write, (sqlite3_file *p, const void *i, int n, sqlite3_int64 at),
	xWrite(f->real, i, n, at))
WB_PASS(truncate, (sqlite3_file *p, sqlite3_int64 size),
	xTruncate(f->real, size))
WB_PASS(sync, (sqlite3_file *p, int flags), xSync(f->real, flags))
WB_PASS(size, (sqlite3_file *p, sqlite3_int64 *size),
	xFileSize(f->real, size))
#undef WB_PASS

static const sqlite3_io_methods wb_main_io = {
	3, wb_db_close, wb_db_read, wb_db_write, wb_db_truncate, wb_db_sync,
	wb_db_size, wb_lock, wb_unlock, wb_reserved, wb_control, wb_sector,
	wb_device, wb_shm_map, wb_db_shm_lock, wb_shm_barrier, wb_shm_unmap,
	wb_db_fetch, wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p,
		   int flags, int *out_flags)
{
	struct wb_file *f = (struct wb_file *)p, *d;
	int rc;

	(void)vfs;
	if (!(flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) || !name)
		return wb_real->xOpen(wb_real, name, p, flags, out_flags);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	if ((flags & SQLITE_OPEN_WAL) && !(f->buf = malloc(WALBUF_SIZE)))
		return SQLITE_NOMEM;
	rc = wb_real->xOpen(wb_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods ||
	    f->real->pMethods->iVersion < 3) {
		if (rc == SQLITE_OK) /* never with the unix VFS */
			f->real->pMethods->xClose(f->real), rc = SQLITE_CANTOPEN;
		free(f->buf);
		f->buf = NULL;
		return rc;
	}
	pthread_mutex_lock(&wb_mu);
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->name = name;
		f->next = wb_dbs;
		wb_dbs = f;
		p->pMethods = &wb_main_io;
	} else {
		/* the database this WAL belongs to, as SQLite named both */
		const char *db = sqlite3_filename_database(name);

		for (d = wb_dbs; d && d->name != db; d = d->next)
			;
		if (d && !d->wal) {
			d->wal = f;
			f->db = d;
		} else { /* unpaired: write through */
			free(f->buf);
			f->buf = NULL;
		}
		p->pMethods = &wb_io;
	}
	pthread_mutex_unlock(&wb_mu);
	return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *vfs, const char *name, int dir_sync)
{
	(void)vfs;
	return wb_real->xDelete(wb_real, name, dir_sync);
}

static int wb_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return wb_real->xAccess(wb_real, name, flags, out);
}

static int wb_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return wb_real->xFullPathname(wb_real, name, n, out);
}

static int wb_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xRandomness(wb_real, n, out);
}

static int wb_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return wb_real->xSleep(wb_real, us);
}

static int wb_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return wb_real->xCurrentTime(wb_real, out);
}

static int wb_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return wb_real->xGetLastError(wb_real, n, out);
}

static int wb_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return wb_real->xCurrentTimeInt64(wb_real, out);
}

static pthread_once_t wb_once = PTHREAD_ONCE_INIT;

static void wb_register(void)
{
	wb_real = sqlite3_vfs_find(NULL);
	if (!wb_real || wb_real->iVersion < 2)
		return;
	wb_vfs.iVersion = 2;
	wb_vfs.szOsFile = (int)sizeof(struct wb_file) + wb_real->szOsFile;
	wb_vfs.xDlOpen = wb_real->xDlOpen; /* never used: no extensions */
	wb_vfs.xDlError = wb_real->xDlError;
	wb_vfs.xDlSym = wb_real->xDlSym;
	wb_vfs.xDlClose = wb_real->xDlClose;
	wb_vfs.mxPathname = wb_real->mxPathname;
	wb_vfs.xOpen = wb_open;
	wb_vfs.xDelete = wb_delete;
	wb_vfs.xAccess = wb_access;
	wb_vfs.xFullPathname = wb_fullpath;
	wb_vfs.xRandomness = wb_random;
	wb_vfs.xSleep = wb_sleep;
	wb_vfs.xCurrentTime = wb_time;
	wb_vfs.xGetLastError = wb_last_error;
	wb_vfs.xCurrentTimeInt64 = wb_time64;
	wb_vfs.zName = WALBUF_VFS_NAME;
	if (sqlite3_vfs_register(&wb_vfs, 0) != SQLITE_OK)
		wb_vfs.zName = NULL;
}

const char *walbuf_vfs(void)
{
	pthread_once(&wb_once, wb_register);
	return wb_vfs.zName;
}
