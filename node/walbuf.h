/*
 * walbuf: a SQLite VFS that writes a write-ahead log in large writes
 * (walbuf.c says how and why). It buffers a connection's WAL only once
 * walbuf_enable found the connection safe for it, and until a pragma may
 * have changed that; its database file must also be powersafe-overwrite
 * (SQLite's default). Otherwise, and for every other file, it is the
 * default VFS.
 */
#ifndef STOA_WALBUF_H
#define STOA_WALBUF_H

#include <sqlite3.h>

#define WALBUF_VFS_NAME "stoa-walbuf"

/*
 * Registers the VFS on first use (thread-safe) and returns its name for
 * sqlite3_open_v2, or NULL if the default VFS cannot carry it (then open
 * with the default).
 */
const char *walbuf_vfs(void);

/*
 * Turns buffering on for db's main database, opened with walbuf_vfs(),
 * if SQLite reports synchronous FULL or EXTRA and normal locking for it:
 * call it after setting them. 1 if on, 0 if db stays unbuffered. Setting
 * PRAGMA synchronous or locking_mode again turns it off for good.
 */
int walbuf_enable(sqlite3 *db);

#endif
