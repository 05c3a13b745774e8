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
 *
 * Several members on one node (a shared laptop): the "key" file is the
 * node's own, primary member, whose key is the node's identity on the wire;
 * more members' key files live in HOME_MEMBERS_DIR (mode 0700), one per
 * member, named by the lowercase hex of the member's public key (names
 * are not unique and may hold anything), in the same formats (so each may
 * have its own passphrase). home_select makes an opened home act as one of
 * them: key, kf, locked and key_path are then that member's, node_pk stays
 * the primary's (node/members.c).
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
#define HOME_MEMBERS_DIR "members"  /* the other members' key files */
#define HOME_MEMBERS_MAX 64         /* members of one node, the primary too */

struct home {
	char dir[HOME_PATH_MAX];
	struct key key;             /* secret: wiped by home_close; only the
				     * public half while locked */
	struct key_file kf;         /* a sealed key file as read, for
				     * home_unlock; wiped likewise */
	int locked;                 /* sealed and not unlocked yet */
	char key_path[HOME_PATH_MAX]; /* the acting member's key file */
	uint8_t node_pk[KEY_PUBLIC_LEN]; /* the primary member: the node */
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

/* A profile payload {"name", "role"}, and "invite" (hex) if invite is
 * not NULL (caller frees *out). */
int home_profile_payload(const char *name, const char *role,
			 const uint8_t *invite, char **out, size_t *len,
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

/* ---- several members on one node (node/members.c) -------------------- */

/* One member whose key this node holds. */
struct home_member {
	uint8_t pk[KEY_PUBLIC_LEN];
	int primary;                /* the "key" file: the node itself */
	int sealed;                 /* its key file has a passphrase */
	char problem[ERR_MSG_MAX];  /* "" or why its key file cannot be
				     * used (then sealed is 0) */
};

/*
 * Takes the lock on the home's list of members (a flock of the home's
 * directory, waited for): a `member add` or `import` checks that no
 * member has the name it gives, then writes, under it, so two at once
 * cannot both pass the check. A descriptor for home_members_unlock, or
 * a negative STOA_E*.
 */
int home_members_lock(const struct home *h, struct err *e);
void home_members_unlock(int fd);

/* The key file of member pk of the node in dir (HOME_MEMBERS_DIR/<hex>). */
int home_member_path(const char *dir, const uint8_t pk[KEY_PUBLIC_LEN],
		     char out[HOME_PATH_MAX], struct err *e);

/*
 * This node's members into out (at most cap; HOME_MEMBERS_MAX is enough):
 * the primary first, then the others by key. A file of HOME_MEMBERS_DIR
 * whose name is not 64 hex digits (a temp file) is skipped; one that does
 * not load, or holds another key than its name says, is listed with the
 * reason in its problem (one bad file must not stop the other members:
 * home_select of it fails with that reason). STOA_ENOMEM past cap.
 */
int home_members(const struct home *h, struct home_member *out, size_t cap,
		 size_t *n, struct err *e);

/*
 * Makes the opened home act as member pk: the primary's "key", or its
 * file in HOME_MEMBERS_DIR (loaded locked if sealed: home_unlock then
 * opens it). STOA_ENOTFOUND if this node holds no such member. On failure
 * h still acts as before.
 */
int home_select(struct home *h, const uint8_t pk[KEY_PUBLIC_LEN],
		struct err *e);

/*
 * Adds a member to this node: k (which must hold its secret), its key file
 * written in HOME_MEMBERS_DIR (created 0700), sealed under pass (len
 * bytes) or plain if pass is NULL. With name, a first profile entry
 * {"name": name, "role": "learner"} is appended to its feed in the same
 * transaction (a new member, stoa member add); without, nothing is
 * written to the store (an imported key). STOA_EEXIST if the node holds
 * the key already, STOA_EPERM if the community removed that member. On
 * failure nothing is left behind.
 */
int home_member_add(struct home *h, const struct key *k, const char *name,
		    const char *pass, size_t len, struct err *e);

/*
 * Deletes member pk's key file from this node (its feed stays in the
 * store, and on every other node). The primary cannot be removed
 * (STOA_EPERM): the node is its key. STOA_ENOTFOUND if not held.
 */
int home_member_remove(struct home *h, const uint8_t pk[KEY_PUBLIC_LEN],
		       struct err *e);

#endif
