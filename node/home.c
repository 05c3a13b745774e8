/*
 * home: finding, creating and opening a node's directory (see home.h).
 * Creation order matters for "nothing half-made": the store and the first
 * profile entry are written before the key file is renamed into place, and
 * a home counts as initialised only once its key file exists.
 */
#define _GNU_SOURCE /* F_OFD_GETLK */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "home.h"
#include "payload.h"

int home_path(const char *dir, const char *name, char out[HOME_PATH_MAX],
	      struct err *e)
{
	int n = snprintf(out, HOME_PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= HOME_PATH_MAX)
		return err_set(e, STOA_EINVAL, "path too long: '%.64s...'", dir);
	return 0;
}

int home_resolve(const char *opt, char out[HOME_PATH_MAX], struct err *e)
{
	const char *v;
	int n;

	if (opt && *opt)
		n = snprintf(out, HOME_PATH_MAX, "%s", opt);
	else if ((v = getenv("STOA_HOME")) && *v)
		n = snprintf(out, HOME_PATH_MAX, "%s", v);
	else if ((v = getenv("XDG_DATA_HOME")) && *v)
		n = snprintf(out, HOME_PATH_MAX, "%s/stoa", v);
	else if ((v = getenv("HOME")) && *v)
		n = snprintf(out, HOME_PATH_MAX, "%s/.local/share/stoa", v);
	else
		return err_set(e, STOA_EINVAL, "no home: set --home, STOA_HOME "
			       "or HOME");
	if (n < 0 || n >= HOME_PATH_MAX)
		return err_set(e, STOA_EINVAL, "home path is too long");
	return 0;
}

/* mkdir -p with mode 0700 for the last component. */
static int make_dirs(const char *dir, struct err *e)
{
	char tmp[HOME_PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return err_set(e, STOA_EINVAL, "bad home path");
	memcpy(tmp, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, i == n ? 0700 : 0755) < 0 && errno != EEXIST)
			return err_set(e, STOA_EIO, "cannot create '%s': %s", tmp,
				       strerror(errno));
		tmp[i] = dir[i];
	}
	return 0;
}

int home_profile_payload(const char *name, const char *role,
			 const uint8_t *invite, char **out, size_t *len,
			 struct err *e)
{
	json_t *o = json_pack("{s:s, s:s}", "name", name, "role", role);
	char hex[2 * HOME_INVITE_ID_LEN + 1];
	int rc;

	if (!o)
		return err_set(e, STOA_EINVAL, "name and role must be valid UTF-8");
	if (invite) {
		/* the invite it joined with (docs/governance.md, "Invites") */
		hex_encode(hex, invite, HOME_INVITE_ID_LEN);
		json_object_set_new(o, "invite", json_string(hex));
	}
	rc = payload_encode(o, out, len, e);
	json_decref(o);
	return rc;
}

int home_create(struct home *h, const char *dir, const struct community *c,
		int found, const char *name, const char *pass, size_t len,
		struct err *e)
{
	return home_create_invited(h, dir, c, found, name, NULL, pass, len, e);
}

int home_create_invited(struct home *h, const char *dir,
			const struct community *c, int found, const char *name,
			const uint8_t *invite, const char *pass, size_t len,
			struct err *e)
{
	const char *role = found ? "facilitator" : "learner";
	char path[HOME_PATH_MAX], keypath[HOME_PATH_MAX], compath[HOME_PATH_MAX];
	char *payload = NULL;
	size_t plen;
	struct stat st;
	int rc, wrote_community = 0;

	memset(h, 0, sizeof(*h));
	if ((rc = home_path(dir, HOME_KEY_FILE, keypath, e)) < 0 ||
	    (rc = home_path(dir, HOME_COMMUNITY_FILE, compath, e)) < 0 ||
	    (rc = home_path(dir, STORE_FILE, path, e)) < 0)
		return rc;
	if (stat(keypath, &st) == 0)
		return err_set(e, STOA_EEXIST, "'%s' already holds a node (key "
			       "file exists)", dir);
	if ((rc = home_profile_payload(name, role, invite, &payload, &plen,
					 e)) < 0)
		return rc;
	/* Refuse a bad name or role before anything touches the disk. */
	if ((rc = payload_validate(ENTRY_KIND_PROFILE, payload, plen, NULL, e)) < 0)
		goto out;
	if ((rc = make_dirs(dir, e)) < 0)
		goto out;
	/* The store file exists, 0600, before SQLite opens it: SQLite gives
	 * the -wal and -shm files it creates the mode of the store, and
	 * those files stay (store_open keeps them for a full disk). */
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			rc = err_set(e, STOA_EIO, "cannot create '%s': %s",
				     path, strerror(errno));
			goto out;
		}
		close(fd);
	}
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	snprintf(h->key_path, sizeof(h->key_path), "%s", keypath);
	key_generate(&h->key);
	memcpy(h->node_pk, h->key.pk, KEY_PUBLIC_LEN);
	h->community = *c;
	if (found)
		community_found(&h->community, h->key.pk);
	/*
	 * The store's write lock serialises two inits of one home; under
	 * it, the key file is the last thing written and the profile entry
	 * commits only once the key exists, so a failed init leaves no
	 * member without a key, and no community file of its own behind.
	 */
	if ((rc = store_open(&h->store, path, STORE_CREATE, e)) < 0 ||
	    (rc = store_begin(h->store, e)) < 0)
		goto out;
	/* the posts are the community's: the store is as private as its key
	 * (SQLite gives its -wal and -shm files the same mode) */
	if (chmod(path, 0600) < 0) {
		rc = err_set(e, STOA_EIO, "cannot chmod '%s': %s", path,
			     strerror(errno));
		goto out;
	}
	if (stat(keypath, &st) == 0) {
		rc = err_set(e, STOA_EEXIST, "'%s' already holds a node (key "
			     "file exists)", dir);
		goto out;
	}
	unlink(compath); /* a leftover of an earlier init that failed */
	if ((rc = community_file_write(compath, &h->community, e)) < 0)
		goto out;
	wrote_community = 1;
	if ((h->community.founded &&
	     (rc = store_founder_set(h->store, h->community.founder, e)) < 0) ||
	    (rc = store_append(h->store, &h->key, ENTRY_KIND_PROFILE, payload,
			       plen, NULL, e)) < 0 ||
	    (rc = key_file_store(keypath, &h->key, pass, len, 0, e)) < 0)
		goto out;
	if ((rc = store_commit(h->store, e)) < 0)
		unlink(keypath);
out:
	free(payload);
	if (rc < 0) {
		if (h->store)
			store_rollback(h->store);
		if (wrote_community)
			unlink(compath);
		home_close(h);
	}
	return rc;
}

int home_serve_running(const char *dir)
{
	char path[HOME_PATH_MAX];
	struct flock fl;
	int fd, running = 0;

	if (home_path(dir, HOME_SERVE_LOCK_FILE, path, NULL) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		running = 1;
	close(fd);
	return running;
}

/*
 * The one place an old store is upgraded (store.c, schema_migrate),
 * which holds the write lock a while (about 40 s for a million entries)
 * and writes about the store's size: never under a running daemon of an
 * older stoa (its statements would fail on the new table), never without
 * the room, and said on stderr first. e holds store_open's STOA_EOLD.
 */
static int upgrade_store(struct home *h, const char *dir, const char *path,
			 struct err *e)
{
	char what[ERR_MSG_MAX];
	struct statvfs fs;
	struct stat st;
	int rc;

	snprintf(what, sizeof(what), "%s", e->msg);
	err_clear(e);
	if (home_serve_running(dir))
		return err_set(e, STOA_EBUSY, "%s, and a stoa serve runs on "
			       "this home: stop it, then run any stoa command",
			       what);
	if (stat(path, &st) == 0 && statvfs(dir, &fs) == 0 &&
	    (uint64_t)fs.f_bavail * fs.f_frsize < (uint64_t)st.st_size)
		return err_set(e, STOA_EFULL, "%s, which needs about %llu MB "
			       "free in '%s' (%llu MB are): free some space "
			       "and run any stoa command", what,
			       (unsigned long long)(st.st_size >> 20) + 1, dir,
			       (unsigned long long)(((uint64_t)fs.f_bavail *
						     fs.f_frsize) >> 20));
	fprintf(stderr, "stoa: %s: upgrading it now (once; a large store "
		"takes a while)\n", what);
	rc = store_open(&h->store, path, 0, e);
	if (rc == STOA_EBUSY)
		return err_set(e, STOA_EBUSY, "%s: another stoa command is "
			       "upgrading it; try again when it is done", what);
	return rc;
}

int home_open(struct home *h, const char *dir, struct err *e)
{
	char path[HOME_PATH_MAX];
	int rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	if ((rc = home_path(dir, HOME_KEY_FILE, path, e)) < 0)
		return rc;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return err_set(e, STOA_ENOTFOUND, "no node in '%s': run 'stoa "
			       "init' first", dir);
	if ((rc = key_file_load(path, &h->kf, e)) < 0)
		goto fail;
	snprintf(h->key_path, sizeof(h->key_path), "%s", path);
	memcpy(h->node_pk, h->kf.key.pk, KEY_PUBLIC_LEN);
	/* sealed: the public half now, the secret one at home_unlock */
	h->locked = h->kf.sealed;
	if (h->locked) {
		memcpy(h->key.pk, h->kf.key.pk, KEY_PUBLIC_LEN);
	} else {
		h->key = h->kf.key;
		key_file_wipe(&h->kf); /* one copy of the secret is enough */
	}
	if ((rc = home_path(dir, HOME_COMMUNITY_FILE, path, e)) < 0 ||
	    (rc = community_file_read(path, &h->community, e)) < 0)
		goto fail;
	if ((rc = home_path(dir, STORE_FILE, path, e)) < 0)
		goto fail;
	rc = store_open(&h->store, path, STORE_NO_UPGRADE, e);
	if (rc == STOA_EOLD)
		rc = upgrade_store(h, dir, path, e);
	if (rc < 0)
		goto fail;
	/* the root of the community's authority, for the governance rules
	 * (written once: a store made by a copy of this home has it) */
	if (h->community.founded &&
	    (rc = store_founder_set(h->store, h->community.founder, e)) < 0)
		goto fail;
	return 0;
fail:
	home_close(h);
	return rc;
}

int home_unlock(struct home *h, const char *pass, size_t len, struct err *e)
{
	struct key k;
	int rc;

	if (!h->locked)
		return 0;
	rc = key_file_unlock(&h->kf, pass, len, &k, e);
	if (rc == 0) {
		h->key = k;
		h->locked = 0;
	}
	key_wipe(&k);
	return rc;
}

int home_protect(struct home *h, const char *pass, size_t len,
		 struct err *e)
{
	if (h->locked)
		return err_set(e, STOA_EPERM, "the key is locked");
	/* the acting member's: the primary's, or one of members/ */
	return key_file_store(h->key_path, &h->key, pass, len,
			      KEY_FILE_REPLACE, e);
}

void home_close(struct home *h)
{
	store_close(h->store);
	h->store = NULL;
	key_wipe(&h->key);
	key_file_wipe(&h->kf);
	h->locked = 0;
	community_wipe(&h->community);
}

/* 1 if c is the epoch whose check is check. */
static int is_epoch(const struct community *c, uint32_t epoch,
		    const uint8_t check[HASH_LEN])
{
	uint8_t mine[32];
	int same;

	if (c->epoch != epoch)
		return 0;
	community_derive(c, COMMUNITY_KEY_CHECK, mine);
	same = bytes_equal(mine, check, HASH_LEN);
	bytes_wipe(mine, sizeof(mine));
	return same;
}

/* The secret of the rotation in force, from the seal to this member. */
static int open_seal(struct home *h, uint32_t epoch,
		     uint8_t secret[COMMUNITY_SECRET_LEN], struct err *e)
{
	uint8_t box[PAYLOAD_EPOCH_BOX_LEN];

	if (!store_epoch_seal(h->store, h->key.pk, box))
		return err_set(e, STOA_ENOTFOUND, "the rotation to epoch %" PRIu32
			       " is not sealed to this member: ask a "
			       "facilitator for a new invite", epoch);
	if (h->locked)
		return err_set(e, STOA_ENOTFOUND, "the rotation to epoch %" PRIu32
			       " waits for this member's key to be unlocked",
			       epoch);
	if (key_unseal(secret, box, sizeof(box), &h->key) < 0)
		return err_set(e, STOA_ECRYPTO, "the rotation to epoch %" PRIu32
			       " does not open with this member's key", epoch);
	return 0;
}

int home_adopt(struct home *h, struct err *e)
{
	uint8_t check[HASH_LEN], secret[COMMUNITY_SECRET_LEN];
	char path[HOME_PATH_MAX];
	struct community next, past;
	uint32_t epoch;
	size_t i;
	int rc, found = 0;

	if (!h->community.founded)
		return 0;
	if (!store_epoch(h->store, &epoch, check, NULL)) {
		/* no rotation in force. With a member removed (each one
		 * is sealed to a member removed since): epoch 0 is the
		 * removed members' too, so the node stays where it is
		 * until the founder's node writes the next rotation.
		 * Else the one adopted was voided since: the founder's
		 * epoch 0, if this node holds it */
		if (!h->community.epoch || store_has_removed(h->store))
			return 0;
		epoch = 0;
		memset(check, 0, sizeof(check));
	} else if (is_epoch(&h->community, epoch, check)) {
		return 0;
	} else if (epoch < h->community.epoch && store_has_removed(h->store)) {
		/* the newer rotation this node moved to is sealed to a
		 * member removed since: an older epoch may be that
		 * member's too, so the node stays until the founder's
		 * node writes the next one */
		return 0;
	}
	if ((rc = home_path(h->dir, HOME_COMMUNITY_FILE, path, e)) < 0)
		return rc;
	/* a rotation voided later: back to an epoch held before */
	for (i = 0; i < h->community.npast && !found; i++) {
		community_past_get(&h->community, i, &past);
		if (epoch ? is_epoch(&past, epoch, check) : past.epoch == 0) {
			memcpy(secret, past.secret, sizeof(secret));
			if (!epoch)
				community_derive(&past, COMMUNITY_KEY_CHECK,
						 check);
			found = 1;
		}
		community_wipe(&past);
	}
	if (!found && !epoch)
		return 0; /* joined after a rotation: its epoch stays */
	if (!found && (rc = open_seal(h, epoch, secret, e)) < 0)
		return rc;
	next = h->community;
	community_move(&next, epoch, secret);
	bytes_wipe(secret, sizeof(secret));
	if (!is_epoch(&next, epoch, check)) {
		community_wipe(&next);
		return err_set(e, STOA_ECRYPTO, "the rotation to epoch %" PRIu32
			       " holds a secret that does not match its check",
			       epoch);
	}
	if ((rc = community_file_replace(path, &next, e)) < 0) {
		community_wipe(&next);
		return rc;
	}
	community_wipe(&h->community);
	h->community = next;
	community_wipe(&next);
	return 1;
}
