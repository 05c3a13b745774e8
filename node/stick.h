/*
 * stick: the mule's visit to a stick (a directory another site will
 * carry on): `stoa bundle exchange DIR` (docs/bundles.md, "Mule mode").
 * The stick's files live in DIR/stoa/ (created 0700): frontier files
 * "frontier-<16 hex of the site's member key>.stf" and bundles
 * "bundle-<16 hex of the maker>-to-<16 hex of the addressee>.stb". The
 * names are hints for people; what each file is, who made it and for
 * whom is read from its head (bundle.h). A visit:
 *   0. removes the files of members removed from the community (their
 *      bundles, their frontiers: refused by every site), before and
 *      after step 1 (which may bring a removal);
 *   1. applies every bundle of this community, made by another site,
 *      that holds something this node lacks (whoever it is addressed
 *      to: a bundle is only signed entries, and applying it early
 *      brings the sites together sooner);
 *   2. removes every bundle its addressee has applied: this node's
 *      store, or the addressee's newest frontier on the stick, holds
 *      each of its feeds up to its last seq (before writing: a full
 *      stick gets that room back), and this node's bundles for a site
 *      whose frontier was taken off the stick (one that will not come
 *      back; not while a file of the stick went unread);
 *   3. writes this node's fresh frontier (replacing its previous one);
 *   4. for each other site's newest frontier, writes one bundle of what
 *      that site lacks (replacing this node's previous one for it), or
 *      none if it lacks nothing (a line says when the previous one
 *      already listed all of it: nothing new for that site since).
 * A file of another community is left alone (counted); a damaged or
 * unreadable file costs that file only (a line in the result); a file
 * that cannot be written (a full stick) costs that file (a line), and the
 * visit ends with that error after the rest; a store failure (a full
 * disk) ends the visit with its error.
 */
#ifndef STOA_STICK_H
#define STOA_STICK_H

#include <stdint.h>

#include "bundle.h"
#include "home.h"

#define STICK_SUBDIR "stoa"
#define STICK_FILES_MAX 1024  /* files of a stick's directory looked at */
#define STICK_NAME_MAX 256    /* a file name kept for a line */
#define STICK_SKIP_LINES 32   /* SKIP lines kept; the rest are counted */
#define STICK_APPLY_PASSES 8  /* passes over bundles with refused runs */
/* Feeds of the stick's files' heads held at once (80 bytes each: 21 MB):
 * a file whose head would pass it is looked at on a later visit, so a
 * stick of crafted heads (1,024 files of BUNDLE_FEEDS_MAX feeds each
 * would be 5 GB) cannot exhaust the memory of a visit. */
#define STICK_FEEDS_MAX (4 * BUNDLE_FEEDS_MAX)

enum stick_line_kind {
	STICK_TO = 1,   /* a bundle written for site: entries */
	STICK_FROM = 2, /* bundles of site applied: entries new */
	STICK_SKIP = 3, /* file: a damaged or refused file, why */
	STICK_UNWRITTEN = 4, /* a file this visit could not write (a full
			      * stick): site (zeros: this node's frontier),
			      * why */
};

struct stick_line {
	int kind;
	uint8_t site[KEY_PUBLIC_LEN];
	char name[BUNDLE_NAME_MAX + 1]; /* the site's name as its file says:
					 * clean before printing */
	uint64_t entries;
	uint64_t refused;
	int damaged;                    /* a FROM bundle applied up to damage */
	int unchanged;                  /* a TO bundle the same as the one
					 * on the stick (nothing new for the
					 * site since), written again */
	char file[STICK_NAME_MAX];      /* SKIP: the file's name (clean) */
	char why[ERR_MSG_MAX];          /* SKIP, UNWRITTEN: one line; FROM:
					 * the first refusal's reason */
};

struct stick_visit {
	struct stick_line *lines;       /* owned: stick_visit_release */
	size_t nlines;
	uint64_t added;                 /* new entries stored here */
	uint32_t removed;               /* applied bundles removed */
	uint32_t removed_members;       /* files of removed members removed */
	uint32_t orphans;               /* this node's bundles removed: their
					 * site has no frontier on the stick */
	uint32_t foreign;               /* files of another community */
	uint32_t newer;                 /* of a newer epoch than this node's
					 * (or of another community) */
	uint32_t nskipped;              /* SKIP lines (at most
					 * STICK_SKIP_LINES) */
	uint64_t more_skipped;          /* files skipped past those */
	uint32_t sites;                 /* sites with a frontier on the
					 * stick afterwards, this one too */
	uint64_t bytes;                 /* of the stick's files afterwards */
	int frontier;                   /* this node's frontier was written */
	uint32_t unwritten;             /* files not written (UNWRITTEN) */
	int first_rc;                   /* the first one's error */
};

/*
 * One visit of h to the stick mounted at dir (which must be a
 * directory), with pg's bar (or NULL) for each bundle it applies or
 * writes. 0 with v filled (the caller releases it, also on error),
 * or a negative STOA_E* (dir unusable, a store failure, a bundle or the
 * frontier that cannot be written). On an error v still says what the
 * visit did before it (and a file that cannot be written costs that
 * file: the visit goes on, then fails with the first such error).
 */
/* The progress of each bundle a visit applies or writes (fn NULL: none). */
struct stick_progress {
	bundle_progress_fn fn;
	void *arg;
};

int stick_exchange(struct home *h, const char *dir,
		   const struct stick_progress *pg, struct stick_visit *v,
		   struct err *e);
void stick_visit_release(struct stick_visit *v);
/* 1 if l names a site (an UNWRITTEN line of this node's frontier does
 * not). */
int stick_line_site(const struct stick_line *l);

#endif
