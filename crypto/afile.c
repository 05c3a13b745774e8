/*
 * afile: the one way stoa writes a file atomically (see afile.h): temp
 * file beside the path via mkstemp, fsync, rename, fsync of the directory.
 * Used for the files people carry or open (reports, invites, bundles,
 * exports); the key files in key.c keep their own link()-based writer.
 * It never prints and holds nothing once committed or aborted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "key.h"

static int io_code(int en)
{
	return en == ENOSPC ? STOA_EFULL : STOA_EIO;
}

void afile_sync_dir(const char *path)
{
	char dir[AFILE_PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')))
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd); /* best effort: the file is whole either way */
		close(fd);
	}
}

int afile_open(struct afile *a, const char *path, mode_t mode,
	       const char *why, struct err *e)
{
	struct stat st;
	mode_t mask;
	int fd, en;

	memset(a, 0, sizeof(*a));
	a->path = path;
	a->fresh = !why;
	if ((size_t)snprintf(a->tmp, sizeof(a->tmp), "%s.XXXXXX", path) >=
	    sizeof(a->tmp))
		return err_set(e, STOA_EINVAL, "'%.64s...': the path is too long",
			       path);
	if (lstat(path, &st) == 0) {
		if (a->fresh)
			return err_set(e, STOA_EEXIST, "'%s' already exists",
				       path);
		if (!S_ISREG(st.st_mode))
			return err_set(e, STOA_EINVAL, "'%s' is not a regular "
				       "file: %s", path, why);
	}
	if ((fd = mkstemp(a->tmp)) < 0) {
		en = errno;
		return err_set(e, io_code(en), "cannot %s '%s': %s",
			       a->fresh ? "create" : "write", path,
			       strerror(en));
	}
	mask = umask(0); /* mkstemp made it 0600; the caller's mode instead */
	umask(mask);
	if (fchmod(fd, mode & ~mask & 0777) != 0) {
		en = errno;
		close(fd);
		unlink(a->tmp);
		return err_set(e, io_code(en), "cannot write '%s': %s", path,
			       strerror(en));
	}
	if (!(a->f = fdopen(fd, "wb"))) {
		close(fd);
		unlink(a->tmp);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	return 0;
}

void afile_setbuf(struct afile *a, char *buf, size_t len)
{
	if (a->f && !setvbuf(a->f, buf, _IOFBF, len)) {
		a->buf = buf;
		a->buf_len = len;
	}
}

/* Closes a->f and wipes the caller's buffer; returns fclose's errno. */
static int close_file(struct afile *a)
{
	int en = 0;

	if (a->f && fclose(a->f) != 0)
		en = errno ? errno : EIO;
	a->f = NULL;
	if (a->buf)
		bytes_wipe(a->buf, a->buf_len);
	a->buf = NULL;
	return en;
}

int afile_commit(struct afile *a, struct err *e)
{
	struct stat st;
	int en = 0, cl;

	if (!a->f)
		return err_set(e, STOA_EINVAL, "'%s' is not open", a->path);
	if (fflush(a->f) != 0 || ferror(a->f) || fsync(fileno(a->f)) != 0)
		en = errno ? errno : EIO;
	if ((cl = close_file(a)) != 0 && !en)
		en = cl;
	if (!en && a->fresh && lstat(a->path, &st) == 0) {
		unlink(a->tmp);
		return err_set(e, STOA_EEXIST, "'%s' already exists", a->path);
	}
	if (!en && rename(a->tmp, a->path) != 0)
		en = errno;
	if (en) {
		unlink(a->tmp);
		return err_set(e, io_code(en), "cannot write '%s': %s", a->path,
			       strerror(en));
	}
	afile_sync_dir(a->path);
	return 0;
}

void afile_abort(struct afile *a)
{
	if (!a || !a->f)
		return;
	close_file(a);
	unlink(a->tmp);
}
