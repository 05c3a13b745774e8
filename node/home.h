/*
 * home: a node's directory. It holds the member key file ("key"), the
 * community file ("community") and the store ("store.db"). The home is
 * chosen by --home, else $STOA_HOME, else $XDG_DATA_HOME/stoa, else
 * $HOME/.local/share/stoa. Creating a home (home_create) writes the key,
 * the community and the first profile entry; opening one (home_open)
 * loads all three and refuses a key file with loose permissions. A key
 * file sealed with a passphrase (key file v2) opens locked: the public
 * key is there for every reading command, and home_unlock adds the secret
 * half for the commands that sign or connect.
 */
#ifndef STOA_HOME_H
#define STOA_HOME_H

#include <limits.h>

#include "community.h"
#include "err.h"
#include "key.h"
#include "store.h"

#define HOME_KEY_FILE "key"
#define HOME_COMMUNITY_FILE "community"
#define HOME_PATH_MAX 4096
#define HOME_SERVE_LOCK_FILE "serve.lock" /* held by a running stoa serve */

struct home {
	char dir[HOME_PATH_MAX];
	struct key key;             /* secret: wiped by home_close; only the
				     * public half while locked */
	struct key_file kf;         /* a sealed key file as read, for
				     * home_unlock; wiped likewise */
	int locked;                 /* sealed and not unlocked yet */
	struct community community; /* secret: wiped by home_close */
	struct store *store;        /* owned */
};

/* Picks the home directory (see above) into out. */
int home_resolve(const char *opt, char out[HOME_PATH_MAX], struct err *e);

/* Joins dir and name into out; STOA_EINVAL if it does not fit. */
int home_path(const char *dir, const char *name, char out[HOME_PATH_MAX],
	      struct err *e);

/*
 * Creates a home in dir (created 0700 if missing; must not already hold a
 * key) with a new key, community c, and a first profile entry built from
 * name; with found, the new member founds c (community_found: its first
 * facilitator) and its profile says "facilitator", else "learner". The
 * key file is sealed under pass (len bytes) unless pass is NULL. On
 * failure nothing is left behind but the directory.
 */
int home_create(struct home *h, const char *dir, const struct community *c,
		int found, const char *name, const char *pass, size_t len,
		struct err *e);

/* The same, the profile naming the invite (HOME_INVITE_ID_LEN bytes, or
 * NULL) the member joined with: "invite": its id in hex. */
#define HOME_INVITE_ID_LEN 8
int home_create_invited(struct home *h, const char *dir,
			const struct community *c, int found, const char *name,
			const uint8_t *invite, const char *pass, size_t len,
			struct err *e);
/* Opens an existing home; STOA_ENOTFOUND with a hint if there is none. */
int home_open(struct home *h, const char *dir, struct err *e);

/* 1 if a stoa serve holds the home's lock (HOME_SERVE_LOCK_FILE). */
int home_serve_running(const char *dir);

/*
 * Unlocks a sealed key with pass (len bytes); nothing to do (0) if the key
 * is not locked. See key_file_unlock for the errors.
 */
int home_unlock(struct home *h, const char *pass, size_t len, struct err *e);

/*
 * Rewrites the key file of an unlocked home in place (atomically): sealed
 * under pass, or plain if pass is NULL.
 */
int home_protect(struct home *h, const char *pass, size_t len,
		 struct err *e);

/*
 * Moves the home to the epoch of the rotation in force (store_epoch;
 * docs/governance.md, "Rotation"; with none in force and no member
 * removed, to the founder's epoch 0 if the community file keeps it) if
 * it is not there yet: back to a past
 * secret the community file keeps, or by opening the rotation's seal
 * addressed to this member (the key must be unlocked) and checking its
 * secret against the record's check. The community file is replaced
 * atomically, the previous secret kept in its past list. 1 if the home
 * moved (h->community is the new epoch's), 0 if it was there already,
 * STOA_ENOTFOUND with the reason if the
 * rotation does not name this member or the key is locked, STOA_ECRYPTO
 * if the seal does not open or does not match its check, else the
 * file's error (nothing changed).
 */
int home_adopt(struct home *h, struct err *e);

void home_close(struct home *h); /* wipes secrets, closes the store */

#endif
