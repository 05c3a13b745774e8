/*
 * afile: a file written atomically. The bytes go to a temp file beside
 * the path (same directory, so same filesystem), which is flushed and
 * fsynced before it is renamed to the path, and the directory is fsynced
 * after: a reader sees the old file or the whole new one, never half, and
 * a failure leaves the path as it was. It owns the temp file between
 * afile_open and afile_commit or afile_abort, and nothing on the heap but
 * stdio's FILE. It never prints.
 */
#ifndef STOA_AFILE_H
#define STOA_AFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

#define AFILE_PATH_MAX 4096 /* the longest temp name: path + ".XXXXXX" */

struct afile {
	FILE *f;          /* the caller writes here, between open and commit */
	const char *path; /* the caller's; must outlive the afile */
	char tmp[AFILE_PATH_MAX];
	char *buf;        /* afile_setbuf's buffer, wiped at the close */
	size_t buf_len;
	int fresh;        /* refuse a path that exists (why == NULL) */
};

/*
 * Creates the temp file for path and opens a->f on it for writing, with
 * mode & ~umask (0600 for a file holding a secret, 0666 for an ordinary
 * one). why says which paths may be replaced: NULL refuses any existing
 * path ("'PATH' already exists", STOA_EEXIST; checked again just before
 * the rename, and the rename is plain, not link(): a USB stick's FAT has
 * no links); otherwise a regular file is replaced and anything else (a
 * directory, a device, a fifo, a symlink) is refused with
 * "'PATH' is not a regular file: <why>" (STOA_EINVAL). On failure nothing
 * is left behind and a->f is NULL.
 */
int afile_open(struct afile *a, const char *path, mode_t mode,
	       const char *why, struct err *e);

/* Gives a->f the caller's stdio buffer (before any write), wiped after the
 * close: stdio's own would be heap memory freed unwiped, wrong for a file
 * holding a secret. buf must outlive the afile. */
void afile_setbuf(struct afile *a, char *buf, size_t len);

/*
 * Flushes, fsyncs and closes a->f, renames the temp file to the path and
 * fsyncs the directory. Failing, it removes the temp file and says
 * "cannot write 'PATH': <errno text>" (STOA_EFULL when the disk is full,
 * else STOA_EIO). Either way the afile is closed.
 */
int afile_commit(struct afile *a, struct err *e);

/* Closes a->f and removes the temp file (NULL-safe, and a no-op after a
 * commit or a failed open). */
void afile_abort(struct afile *a);

/* Makes a rename in path's directory durable: fsyncs the directory, best
 * effort (a directory that cannot be synced leaves the file whole). */
void afile_sync_dir(const char *path);

#endif
