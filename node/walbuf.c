/*
 * walbuf: a SQLite VFS shim that gathers the writes to a write-ahead log
 * into large ones. SQLite writes each WAL frame as two calls, its 24-byte
 * header and its 4 KiB page, so a commit of N pages costs 2N system
 * calls; in the VM stoa is measured on a system call costs about a
 * microsecond before it copies anything, and these calls were a tenth of
 * the store's time (docs/benchmarks.md). walbuf keeps the frames a
 * connection appends in one buffer of WALBUF_SIZE bytes per WAL file and
 * hands them to the real VFS in one write when the buffer is full, and
 * always before anything could depend on them: a sync (every commit syncs
 * before it publishes its frames in the wal-index, see wb_buffering), a
 * read that overlaps the buffer, a truncate, a size query, a write
 * elsewhere, close, and when the connection lets go of the WAL's write
 * lock. The last one is for a transaction that spilled frames and rolled
 * back: SQLite writes nothing then, the next writer (another connection)
 * writes its frames over the same part of the file, and stale frames
 * flushed after that would overwrite them (test_walbuf had it: "file is
 * not a database"). So a connection's WAL file holds, whenever another
 * could write, exactly what it would hold with the default VFS. To see
 * that lock (and the pragmas that decide whether buffering is safe),
 * walbuf also wraps the main database file (every method passed on) and
 * pairs each WAL with its database by the name SQLite opened them with
 * (sqlite3_filename_database); a WAL it cannot pair writes through.
 *
 * Every other file (journals, temporary files) is opened by the real
 * VFS in place, with its own methods. walbuf owns only the buffers and
 * the pairing; it never reorders writes within a file and never reports
 * a write as done that a sync could not make durable: a write that fails
 * at flush time fails the sync that caused it, with the real VFS's code
 * (SQLITE_FULL on a full disk), and SQLite then rolls the commit back as
 * it would have. It buffers only what walbuf_enable allows (wb_buffering).
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
	unsigned char *buf;   /* allocated at the first buffered write */
	sqlite3_int64 off;    /* file offset of buf[0] */
	int len;              /* bytes held */
	int psow;             /* its database has POWERSAFE_OVERWRITE */
	struct wb_file *db;   /* its database file, or NULL (unpaired) */
	/* a database file: */
	const char *name;     /* as passed to xOpen: the pairing key */
	struct wb_file *wal;  /* its WAL while open, or NULL */
	struct wb_file *next; /* in wb_dbs */
	int enabled;          /* walbuf_enable found the connection safe, and
			       * no pragma since may have made it unsafe */
};

static sqlite3_vfs wb_vfs;
static sqlite3_vfs *wb_real;
static pthread_mutex_t wb_mu = PTHREAD_MUTEX_INITIALIZER; /* guards: */
static struct wb_file *wb_dbs; /* the open database files */

/*
 * A WAL is buffered only where every commit syncs it before publishing
 * its frames, so that nothing held can be needed by another connection
 * or lost once a commit returned: synchronous FULL or EXTRA, normal
 * locking (in exclusive locking mode SQLite takes no WAL lock, which is
 * where the buffer of a rolled-back transaction is passed on), and a
 * database file whose writes do not disturb the bytes around them
 * (POWERSAFE_OVERWRITE; else SQLite pads a commit and syncs before its
 * last write). The first two are the connection's: walbuf_enable reads
 * them back from SQLite (a pragma seen on its way in may yet be refused,
 * e.g. inside a transaction) and only then turns buffering on; a pragma
 * that may change either turns it off for good (wb_db_control). A WAL
 * not paired with its database, or of an attached database, writes
 * through.
 */
static int wb_buffering(const struct wb_file *f)
{
	return f->db && f->psow && f->db->enabled;
}

/* Writes what is held. Where SQLite sees the error, the frames are moot
 * (it rolls back) and are dropped; keep says to hold them on failure,
 * for a caller that cannot report it (the next sync will). */
static int wb_flush_(struct wb_file *f, int keep)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, f->len, f->off);
	if (rc == SQLITE_OK || !keep)
		f->len = 0;
	return rc;
}

static int wb_flush(struct wb_file *f)
{
	return wb_flush_(f, 0);
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

	int buffering = wb_buffering(f);

	if (f->len && (off != f->off + f->len || f->len + amt > WALBUF_SIZE ||
		       !buffering) &&
	    (rc = wb_flush(f)) != SQLITE_OK)
		return rc;
	if (buffering && !f->buf)
		f->buf = malloc(WALBUF_SIZE); /* NULL: write through */
	if (!buffering || !f->buf || amt > WALBUF_SIZE)
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

/*
 * SQLITE_FCNTL_PRAGMA comes when a pragma is prepared, before SQLite
 * decides whether to apply it: any setting of synchronous or
 * locking_mode turns buffering off for good, whatever its value (what
 * is held goes out at the next write or sync); only walbuf_enable turns
 * it on. WALBUF_FCNTL_ENABLE is walbuf_enable's own request.
 */
#define WALBUF_FCNTL_ENABLE 0x77627566 /* "wbuf": not one of SQLite's */

static int wb_db_control(sqlite3_file *p, int op, void *arg)
{
	struct wb_file *f = (struct wb_file *)p;

	if (op == WALBUF_FCNTL_ENABLE) {
		f->enabled = 1;
		return SQLITE_OK;
	}
	if (op == SQLITE_FCNTL_PRAGMA) {
		char **a = arg; /* a[1] the pragma's name, a[2] its value */

		if (a[1] && a[2] && (!sqlite3_stricmp(a[1], "synchronous") ||
				     !sqlite3_stricmp(a[1], "locking_mode")))
			f->enabled = 0;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

/* The database file's lock let go (in exclusive locking mode, the only
 * sign that another connection may write next): as below. A second line
 * of defence: walbuf_enable refuses exclusive locking. */
static int wb_db_unlock(sqlite3_file *p, int lock)
{
	struct wb_file *f = (struct wb_file *)p;

	if (f->wal)
		(void)wb_flush(f->wal);
	return f->real->pMethods->xUnlock(f->real, lock);
}

/* Before the wal-index header changes (a commit publishing its frames):
 * nothing is held then, as the commit synced (walbuf_enable made sure
 * it does); if something were, it would go out first, and stay held if
 * it could not (the next sync would say). A second line of defence. */
static void wb_db_shm_barrier(sqlite3_file *p)
{
	struct wb_file *f = (struct wb_file *)p;

	if (f->wal)
		(void)wb_flush_(f->wal, 1);
	f->real->pMethods->xShmBarrier(f->real);
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
	wb_db_size, wb_lock, wb_db_unlock, wb_reserved, wb_db_control,
	wb_sector, wb_device, wb_shm_map, wb_db_shm_lock, wb_db_shm_barrier,
	wb_shm_unmap, wb_db_fetch, wb_unfetch,
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
	rc = wb_real->xOpen(wb_real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods ||
	    f->real->pMethods->iVersion < 3) {
		if (rc == SQLITE_OK) /* never with the unix VFS */
			f->real->pMethods->xClose(f->real), rc = SQLITE_CANTOPEN;
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
		if (d && !d->wal) { /* else unpaired: it writes through */
			d->wal = f;
			f->db = d;
			/* SQLite pads a commit by the database file's */
			f->psow = (d->real->pMethods->xDeviceCharacteristics(
					   d->real) &
				   SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
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

/* The text of a one-row pragma's first column into out (cap bytes). */
static int wb_pragma(sqlite3 *db, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st;
	const unsigned char *v;
	int ok = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (v = sqlite3_column_text(st, 0)) != NULL &&
	    strlen((const char *)v) < cap) {
		strcpy(out, (const char *)v);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

int walbuf_enable(sqlite3 *db)
{
	sqlite3_vfs *vfs = NULL;
	char sync[16], lock[16];

	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER,
				 &vfs) != SQLITE_OK || vfs != &wb_vfs)
		return 0; /* not opened with walbuf */
	/* 2 FULL, 3 EXTRA; a read-only or in-memory database: no WAL */
	if (!wb_pragma(db, "PRAGMA main.synchronous", sync, sizeof(sync)) ||
	    (strcmp(sync, "2") && strcmp(sync, "3")) ||
	    !wb_pragma(db, "PRAGMA main.locking_mode", lock, sizeof(lock)) ||
	    sqlite3_stricmp(lock, "normal"))
		return 0;
	return sqlite3_file_control(db, "main", WALBUF_FCNTL_ENABLE, NULL) ==
	       SQLITE_OK;
}
