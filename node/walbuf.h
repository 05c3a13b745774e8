/*
 * walbuf: a SQLite VFS that writes a write-ahead log in large writes
 * (walbuf.c says how and why). Every file but a WAL is the default VFS's.
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
