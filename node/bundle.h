/*
 * bundle: entries carried by hand (a USB stick) between nodes that never
 * meet on a network, and the frontier files that say what a node holds.
 *
 * Both are one file format (docs/bundles.md, docs/formats.md "Bundles"):
 * a cleartext header (magic, version, the epoch and a tag that names the
 * community's key without revealing it) then a libsodium secretstream
 * (crypto/sstream.h) under the community's COMMUNITY_KEY_BUNDLE subkey:
 * a HEAD message (who made it, for whom, when, its feeds), FEEDS
 * messages (each feed's author, from seq, to seq and the id of its last
 * entry), RUN messages (a bundle's entries, one author's consecutive
 * entries each) and a FINAL-tagged END message with the totals. Nothing
 * of it can be read, altered, cut or reordered without the key.
 *
 * A bundle is applied as a peer's runs are (store_ingest_run, in batches),
 * so the checks and the view are exactly a peer's; it is read as a stream
 * and never held whole. A damaged or cut file is applied up to the damage
 * and the result says where it stopped. This module owns the format and
 * the two walks (create, apply); the stick's mule algorithm is stick.c.
 * It never prints: the CLI reports what the results say.
 */
#ifndef STOA_BUNDLE_H
#define STOA_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "community.h"
#include "entry.h"
#include "err.h"
#include "home.h"
#include "key.h"

#define BUNDLE_MAGIC "stoa-bnd"
#define FRONTIER_MAGIC "stoa-frn"
#define BUNDLE_MAGIC_LEN 8
#define BUNDLE_VERSION 1
#define BUNDLE_TAG_LEN 16
#define BUNDLE_TAG_DOMAIN "stoa-bundle-tag-v1"
/* magic (8) || version (1) || epoch (4) || tag (16) || stream header (24) */
#define BUNDLE_PREFIX_LEN 53
/* A RUN message stops taking entries once its entries pass this many
 * bytes: a message is at most this plus one entry. */
#define BUNDLE_CHUNK_BYTES (64 * 1024)
/* The longest plaintext message: a RUN of BUNDLE_CHUNK_BYTES plus one
 * whole entry; every length read from a file is checked against it. */
#define BUNDLE_MSG_MAX                                                     \
	(1 + KEY_PUBLIC_LEN + 2 + BUNDLE_CHUNK_BYTES + ENTRY_SIGNED_LEN + 4 + \
	 ENTRY_MAX_PAYLOAD)
/* Feeds one file may list (a community's members: far more than any
 * has) and how many one FEEDS message carries. */
#define BUNDLE_FEEDS_MAX 65536
#define BUNDLE_FEEDS_PER_MSG 512
#define BUNDLE_FEED_LEN (KEY_PUBLIC_LEN + 8 + 8 + ENTRY_ID_LEN) /* 80 */
#define BUNDLE_NAME_MAX 64    /* the maker's name (PAYLOAD_NAME_MAX) */
/* An entry's payload length that says it travels without its payload
 * (erased: MSG_PAYLOAD_ERASED). */
#define BUNDLE_PAYLOAD_ERASED 0xFFFFFFFFu
/* apply commits after this many entries: a batch is one fsync, and what
 * was committed stays if a later message is damaged. */
#define BUNDLE_BATCH_ENTRIES 20000
/* Feeds whose refused entries a result names with the reason. */
#define BUNDLE_NOTES_MAX 16

enum bundle_kind {
	BUNDLE_KIND_BUNDLE = 1,
	BUNDLE_KIND_FRONTIER = 2,
};

/* One feed of a file: a bundle carries author's entries from..to (and
 * id is that of entry to); a frontier says the node holds author's feed
 * up to seq to (from is 1), whose id is id. */
struct bundle_feed {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t from, to;
	uint8_t id[ENTRY_ID_LEN];
};

/* What a file says of itself (its HEAD and FEEDS messages). */
struct bundle_head {
	int kind;                          /* enum bundle_kind */
	uint32_t epoch;                    /* of the key that opened it */
	int past;                          /* 0: the current epoch's key;
					    * i + 1: past epoch i's */
	uint8_t creator[KEY_PUBLIC_LEN];   /* its maker's member key */
	uint8_t addressee[KEY_PUBLIC_LEN]; /* whose frontier it was made
					    * for; zeros: none */
	uint64_t created_ms;
	char name[BUNDLE_NAME_MAX + 1];    /* the maker's name; from
					    * outside: clean before printing */
	uint32_t nfeeds;
	uint64_t entries;                  /* a bundle's entries (the END
					    * repeats the count written); a
					    * frontier's: the sum of its
					    * seqs */
	struct bundle_feed *feeds;         /* owned, by author, ascending;
					    * free with bundle_head_release */
	uint64_t file_size;
};

void bundle_head_release(struct bundle_head *h);
/* The feed of author in h, or NULL (binary search). */
const struct bundle_feed *bundle_head_find(const struct bundle_head *h,
					   const uint8_t author[KEY_PUBLIC_LEN]);

/*
 * Reads the head of the bundle or frontier file at path, trying c's key
 * of the current epoch and of each past epoch its file keeps. 0 and h
 * filled (the caller releases it); STOA_ECRYPTO "this bundle belongs to
 * another community" if no key of c opens it (said more precisely for a
 * newer epoch of the header); STOA_EPROTO if it is not such a file or
 * its head is damaged; STOA_EIO / STOA_ENOTFOUND for the file. A
 * frontier file is read whole (its END checked). On STOA_ECRYPTO,
 * h->epoch is still the header's (the stick tells a newer epoch by it).
 */
int bundle_read_head(const char *path, const struct community *c,
		     struct bundle_head *h, struct err *e);

/* Progress of a create or apply, for a bar: entries and bytes of the
 * file so far and in all. */
struct bundle_progress {
	uint64_t entries, entries_total;
	uint64_t bytes, bytes_total;
	int done;
};
typedef void (*bundle_progress_fn)(void *arg, const struct bundle_progress *p);

/* What a create wrote. */
struct bundle_made {
	uint32_t feeds;
	uint64_t entries;
	uint64_t bytes;        /* the file's size */
	uint32_t forks;        /* feeds where the frontier's head differs
				* from ours at its seq (its site holds a
				* fork: sent from its seq + 1 anyway) */
	uint32_t epoch;        /* the key's */
};

/*
 * Writes at path (atomically: a temp file beside it, fsync, rename, the
 * directory fsync'd) a frontier file of h's store: h's member, its name,
 * now, and each feed's head. made gets its size and feeds.
 */
int bundle_frontier_write(struct home *h, const char *path,
			  struct bundle_made *made, struct err *e);

/*
 * Writes at path (atomically, as above) a bundle of every entry h's
 * store holds that the frontier lacks (frontier NULL: every entry), read
 * with store_read_feed. A frontier of a removed member gets nothing
 * (STOA_EPERM). A frontier opened with a past epoch's key (a
 * site the rotation has not reached) gets a bundle under that key, only
 * if the rotation in force is sealed to its member (STOA_EPERM
 * otherwise), and only with what is dated up to
 * the rotation in force (docs/governance.md, "Sessions of a past
 * epoch"). made->entries 0: the frontier lacks nothing (a file is still
 * written). progress may be NULL.
 */
int bundle_create(struct home *h, const struct bundle_head *frontier,
		  const char *path, bundle_progress_fn progress, void *arg,
		  struct bundle_made *made, struct err *e);

/* A feed with refused entries, as apply saw it. */
struct bundle_note {
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t refused;
	int cut;                  /* its author was removed: cut */
	char why[ERR_MSG_MAX];    /* the first refusal's reason */
};

/* What an apply did. */
struct bundle_applied {
	struct bundle_head head;  /* the file's: released by
				   * bundle_applied_release */
	uint64_t read;            /* entries read from the file */
	uint64_t added;           /* new entries stored */
	uint64_t held;            /* entries already held */
	uint64_t refused;         /* refused or cut */
	uint64_t repaired;        /* held without payload: now whole */
	uint32_t feeds_new;       /* feeds that grew */
	uint32_t feeds_refused;
	struct bundle_note notes[BUNDLE_NOTES_MAX];
	size_t nnotes;
	/* damage: the file stops being readable at byte damaged_at, at
	 * entry read + 1 of head.entries; what was read before is applied */
	int damaged;              /* 0, or 1 (altered), 2 (truncated) */
	uint64_t damaged_at;
	char damage[ERR_MSG_MAX]; /* what is wrong there */
};
void bundle_applied_release(struct bundle_applied *a);

/*
 * Applies the bundle at path to h's store: opens it (bundle_read_head;
 * a frontier file, or a bundle made by a removed member, is refused),
 * then checks and stores each run as from a peer (store_ingest_run) in
 * batches of BUNDLE_BATCH_ENTRIES. A damaged or cut file: 0 with
 * a->damaged set (every entry before the damage applied). A refused
 * run costs that run only (counted, noted per feed). A store failure
 * (disk full, I/O) returns its error, the batches committed before it
 * kept. progress may be NULL. On an error a holds nothing to release
 * (releasing it anyway is harmless).
 */
int bundle_apply(struct home *h, const char *path, bundle_progress_fn progress,
		 void *arg, struct bundle_applied *a, struct err *e);

/*
 * 1 if h's store holds every entry of every feed the bundle head lists
 * (each feed's head seq >= its to, and no entry from..to held without
 * its payload unless erased), 0 if not, or a negative STOA_E*.
 */
int bundle_covered(struct home *h, const struct bundle_head *bh,
		   struct err *e);

#endif
