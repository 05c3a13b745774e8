/*
 * walbuf: a SQLite VFS that writes a write-ahead log in large writes
 * (walbuf.c says how and why). It buffers a connection's WAL only while
 * that connection has set PRAGMA synchronous to FULL or EXTRA, is not in
 * exclusive locking mode, and its database file is powersafe-overwrite
 * (SQLite's default); otherwise, and for every other file, it is the
 * default VFS.
 */
#ifndef STOA_WALBUF_H
#define STOA_WALBUF_H

#define WALBUF_VFS_NAME "stoa-walbuf"

/*
 * Registers the VFS on first use (thread-safe) and returns its name for
 * sqlite3_open_v2, or NULL if the default VFS cannot carry it (then open
 * with the default).
 */
const char *walbuf_vfs(void);

#endif
