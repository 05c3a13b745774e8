/*
 * members: the other members whose keys a node holds (a shared laptop),
 * beside its primary member (home.h). Their key files live in
 * HOME_MEMBERS_DIR, mode 0700, one file per member named by the hex of its
 * public key, in the key file formats of key.h (so each has its own
 * passphrase, or none). A file's name is checked against the key it holds.
 * The primary stays the node's identity on the wire; these members only
 * sign entries. Nothing here prints; nothing here touches the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "home.h"
#include "payload.h"

int home_members_lock(const struct home *h, struct err *e)
{
	int fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, STOA_EIO, "cannot open '%s': %s", h->dir,
			       strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		err_set(e, STOA_EIO, "cannot lock '%s': %s", h->dir,
			strerror(errno));
		close(fd);
		return STOA_EIO;
	}
	return fd;
}

void home_members_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int home_member_path(const char *dir, const uint8_t pk[KEY_PUBLIC_LEN],
		     char out[HOME_PATH_MAX], struct err *e)
{
	char name[sizeof(HOME_MEMBERS_DIR) + 2 * KEY_PUBLIC_LEN + 1];

	memcpy(name, HOME_MEMBERS_DIR "/", sizeof(HOME_MEMBERS_DIR));
	hex_encode(name + sizeof(HOME_MEMBERS_DIR), pk, KEY_PUBLIC_LEN);
	return home_path(dir, name, out, e);
}

static int by_key(const void *a, const void *b)
{
	return memcmp(((const struct home_member *)a)->pk,
		      ((const struct home_member *)b)->pk, KEY_PUBLIC_LEN);
}

/* 1 if s is the hex of a public key: 64 lowercase hex digits. */
static int key_name(const char *s)
{
	size_t i;

	for (i = 0; i < 2 * KEY_PUBLIC_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int home_members(const struct home *h, struct home_member *out, size_t cap,
		 size_t *n, struct err *e)
{
	char path[HOME_PATH_MAX];
	struct key_file kf;
	struct dirent *de;
	struct err fe;
	DIR *d;
	size_t first;
	int rc = 0;

	*n = 0;
	if (cap == 0)
		return err_set(e, STOA_ENOMEM, "no room for the members");
	memset(&out[0], 0, sizeof(out[0]));
	memcpy(out[0].pk, h->node_pk, KEY_PUBLIC_LEN);
	out[0].primary = 1;
	/* the primary's file, unless it is the one acting (whose kf keeps
	 * "sealed" after an unlock, and is wiped for a plain file) */
	if (bytes_equal(h->key.pk, h->node_pk, KEY_PUBLIC_LEN)) {
		out[0].sealed = h->locked || h->kf.sealed;
	} else {
		if ((rc = home_path(h->dir, HOME_KEY_FILE, path, e)) < 0 ||
		    (rc = key_file_load(path, &kf, e)) < 0)
			return rc;
		out[0].sealed = kf.sealed;
		key_file_wipe(&kf);
	}
	*n = first = 1;
	if ((rc = home_path(h->dir, HOME_MEMBERS_DIR, path, e)) < 0)
		return rc;
	d = opendir(path);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, STOA_EIO, "cannot read '%s': %s", path,
			       strerror(errno));
	}
	while ((de = readdir(d))) {
		struct home_member *m;

		if (!key_name(de->d_name))
			continue; /* ".", "..", a temp file */
		if (*n >= cap) {
			rc = err_set(e, STOA_ENOMEM, "this node holds more than "
				     "%zu members", cap);
			break;
		}
		m = &out[*n];
		memset(m, 0, sizeof(*m));
		if ((rc = hex_decode(m->pk, KEY_PUBLIC_LEN, de->d_name)) < 0 ||
		    (rc = home_member_path(h->dir, m->pk, path, e)) < 0)
			break;
		/* the primary's key copied into members/: listed once */
		if (bytes_equal(m->pk, h->node_pk, KEY_PUBLIC_LEN))
			continue;
		(*n)++;
		/* a file that cannot be used (mode, link, size, bytes):
		 * listed with why, the others still usable */
		err_clear(&fe);
		if (key_file_load(path, &kf, &fe) < 0) {
			snprintf(m->problem, sizeof(m->problem), "%s", fe.msg);
			continue;
		}
		m->sealed = kf.sealed;
		if (!bytes_equal(kf.key.pk, m->pk, KEY_PUBLIC_LEN)) {
			m->sealed = 0;
			snprintf(m->problem, sizeof(m->problem), "'%.200s' holds "
				 "another member's key than its name says", path);
		}
		key_file_wipe(&kf);
	}
	closedir(d);
	if (rc < 0)
		return rc;
	qsort(out + first, *n - first, sizeof(out[0]), by_key);
	return 0;
}

int home_select(struct home *h, const uint8_t pk[KEY_PUBLIC_LEN],
		struct err *e)
{
	char path[HOME_PATH_MAX];
	struct key_file kf;
	int rc;

	if (bytes_equal(pk, h->key.pk, KEY_PUBLIC_LEN))
		return 0; /* acting as pk already */
	if (bytes_equal(pk, h->node_pk, KEY_PUBLIC_LEN))
		rc = home_path(h->dir, HOME_KEY_FILE, path, e);
	else
		rc = home_member_path(h->dir, pk, path, e);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return err_set(e, STOA_ENOTFOUND, "this node holds no key of "
			       "that member");
	if ((rc = key_file_load(path, &kf, e)) < 0)
		return rc;
	if (!bytes_equal(kf.key.pk, pk, KEY_PUBLIC_LEN)) {
		key_file_wipe(&kf);
		return err_set(e, STOA_ECRYPTO, "'%s' holds another member's "
			       "key than its name says", path);
	}
	key_wipe(&h->key);
	key_file_wipe(&h->kf);
	h->kf = kf;
	key_file_wipe(&kf);
	snprintf(h->key_path, sizeof(h->key_path), "%s", path);
	h->locked = h->kf.sealed;
	if (h->locked) {
		memcpy(h->key.pk, h->kf.key.pk, KEY_PUBLIC_LEN);
	} else {
		h->key = h->kf.key;
		key_file_wipe(&h->kf);
	}
	return 0;
}

/* Makes HOME_MEMBERS_DIR (0700) if it is missing; refuses anything else
 * than a directory only its owner can reach. */
static int members_dir(const struct home *h, struct err *e)
{
	char path[HOME_PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = home_path(h->dir, HOME_MEMBERS_DIR, path, e)) < 0)
		return rc;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_set(e, STOA_EIO, "cannot create '%s': %s", path,
			       strerror(errno));
	if (lstat(path, &st) < 0)
		return err_set(e, STOA_EIO, "cannot read '%s': %s", path,
			       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, STOA_EIO, "'%s' is not a directory", path);
	if (st.st_mode & 077)
		return err_set(e, STOA_EPERM, "'%s' is accessible by others "
			       "(mode %03o): run chmod 700 '%s'", path,
			       (unsigned)(st.st_mode & 0777), path);
	return 0;
}

int home_member_add(struct home *h, const struct key *k, const char *name,
		    const char *pass, size_t len, struct err *e)
{
	char path[HOME_PATH_MAX];
	char *payload = NULL;
	size_t plen = 0;
	int rc;

	if (!key_has_secret(k))
		return err_set(e, STOA_EINVAL, "the key is locked");
	if (bytes_equal(k->pk, h->node_pk, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EEXIST, "this node holds that key "
			       "already (it is the node's own member)");
	if ((rc = home_member_path(h->dir, k->pk, path, e)) < 0)
		return rc;
	if (access(path, F_OK) == 0)
		return err_set(e, STOA_EEXIST, "this node holds that key "
			       "already");
	if (store_member_removed(h->store, k->pk))
		return err_set(e, STOA_EPERM, "the community removed that "
			       "member: their key cannot write here");
	if (name) {
		if ((rc = home_profile_payload(name, "learner", NULL, &payload,
					       &plen, e)) < 0)
			return rc;
		if ((rc = payload_validate(ENTRY_KIND_PROFILE, payload, plen,
					   NULL, e)) < 0) {
			free(payload);
			return rc;
		}
	}
	if ((rc = members_dir(h, e)) < 0) {
		free(payload);
		return rc;
	}
	if (!name) {
		rc = key_file_store(path, k, pass, len, 0, e);
		return rc == STOA_EEXIST ? err_set(e, rc, "this node holds "
						   "that key already") : rc;
	}
	/* as home_create: the key file is the last thing written, and the
	 * profile commits only once it exists */
	rc = store_begin(h->store, e);
	if (rc == 0)
		rc = store_append(h->store, k, ENTRY_KIND_PROFILE, payload,
				  plen, NULL, e);
	if (rc == 0)
		rc = key_file_store(path, k, pass, len, 0, e);
	if (rc == 0 && (rc = store_commit(h->store, e)) < 0)
		unlink(path);
	if (rc < 0 && store_in_batch(h->store))
		store_rollback(h->store);
	free(payload);
	return rc;
}

int home_member_remove(struct home *h, const uint8_t pk[KEY_PUBLIC_LEN],
		       struct err *e)
{
	char path[HOME_PATH_MAX], dir[HOME_PATH_MAX];
	int fd, rc;

	if (bytes_equal(pk, h->node_pk, KEY_PUBLIC_LEN))
		return err_set(e, STOA_EPERM, "the node's own member cannot "
			       "be removed from it (its key is the node)");
	if ((rc = home_member_path(h->dir, pk, path, e)) < 0 ||
	    (rc = home_path(h->dir, HOME_MEMBERS_DIR, dir, e)) < 0)
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return err_set(e, STOA_ENOTFOUND, "this node holds no "
				       "key of that member");
		return err_set(e, STOA_EIO, "cannot delete '%s': %s", path,
			       strerror(errno));
	}
	/* the name's removal survives a crash */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
			rc = err_set(e, STOA_EIO, "cannot sync '%s': %s", dir,
				     strerror(errno));
		close(fd);
	}
	return rc;
}
