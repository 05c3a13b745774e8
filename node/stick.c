/*
 * stick: the mule's visit (see stick.h for the algorithm). It reads the
 * heads of the stick's files (bundle_read_head), applies and writes
 * through bundle.c, and removes files only when their content says they
 * are applied: a file name is never trusted for that.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "stick.h"
#include "store.h"

struct sfile {
	char name[STICK_NAME_MAX];
	char path[HOME_PATH_MAX];
	struct bundle_head h;
	int ok;       /* h is valid */
	uint64_t refused;          /* entries its last apply refused */
	char why[ERR_MSG_MAX];     /* the first one's reason */
	int gone;     /* removed or replaced during the visit */
};

struct scan {
	struct sfile *f;
	size_t n;
	uint64_t feeds; /* held by the heads, at most STICK_FEEDS_MAX */
};

static void scan_release(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		bundle_head_release(&s->f[i].h);
	free(s->f);
	s->f = NULL;
	s->n = 0;
}

void stick_visit_release(struct stick_visit *v)
{
	if (!v)
		return;
	free(v->lines);
	v->lines = NULL;
	v->nlines = 0;
}

int stick_line_site(const struct stick_line *l)
{
	static const uint8_t zero[KEY_PUBLIC_LEN];

	return memcmp(l->site, zero, KEY_PUBLIC_LEN) != 0;
}

static struct stick_line *line_add(struct stick_visit *v, int kind,
				   struct err *e)
{
	struct stick_line *l;

	l = realloc(v->lines, (v->nlines + 1) * sizeof(*l));
	if (!l) {
		err_set(e, STOA_ENOMEM, "out of memory");
		return NULL;
	}
	v->lines = l;
	l = &v->lines[v->nlines++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	return l;
}

static int skip_line(struct stick_visit *v, const char *file, const char *why,
		     struct err *e)
{
	struct stick_line *l;

	/* a stick of a million junk files costs a count, not a line each */
	if (v->nskipped == STICK_SKIP_LINES) {
		v->more_skipped++;
		return 0;
	}
	v->nskipped++;
	if (!(l = line_add(v, STICK_SKIP, e)))
		return STOA_ENOMEM;
	snprintf(l->file, sizeof(l->file), "%s", file);
	snprintf(l->why, sizeof(l->why), "%s", why);
	return 0;
}

/* A file of ours (a bundle or frontier name), or a temp file a visit
 * that crashed left ("<name>.XXXXXX"). */
static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

static int is_leftover(const char *name)
{
	const char *dot = strrchr(name, '.');

	return (!strncmp(name, "bundle-", 7) || !strncmp(name, "frontier-", 9)) &&
	       dot && strlen(dot) == 7 && dot > name + 4 &&
	       (!strncmp(dot - 4, ".stb", 4) || !strncmp(dot - 4, ".stf", 4));
}

static int scan_dir(struct home *h, const char *sub, struct scan *s,
		    struct stick_visit *v, struct err *e)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (!(d = opendir(sub)))
		return err_set(e, STOA_EIO, "cannot read '%s': %s", sub,
			       strerror(errno));
	if (!(s->f = calloc(STICK_FILES_MAX, sizeof(*s->f)))) {
		closedir(d);
		return err_set(e, STOA_ENOMEM, "out of memory");
	}
	while (rc == 0 && (de = readdir(d))) {
		struct sfile *f;
		struct stat st;
		struct err le;
		char path[HOME_PATH_MAX];
		int r;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", sub,
				     de->d_name) >= sizeof(path))
			continue;
		if (is_leftover(de->d_name)) {
			unlink(path);
			continue;
		}
		if (!ends_with(de->d_name, ".stb") && !ends_with(de->d_name, ".stf"))
			continue;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			rc = skip_line(v, de->d_name, "not a regular file", e);
			continue;
		}
		if (s->n == STICK_FILES_MAX) {
			rc = skip_line(v, de->d_name, "too many files on the "
				       "stick: looked at later", e);
			continue;
		}
		f = &s->f[s->n];
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		snprintf(f->path, sizeof(f->path), "%s", path);
		err_clear(&le);
		r = bundle_read_head(path, &h->community, &f->h, &le);
		if (r == STOA_ECRYPTO) {
			/* a newer epoch than this node's cannot be told from
			 * another community, but is more likely this one's */
			if (f->h.epoch > h->community.epoch)
				v->newer++;
			else
				v->foreign++;
			continue;
		}
		if (r < 0) {
			rc = skip_line(v, de->d_name, le.msg, e);
			continue;
		}
		if (s->feeds + f->h.nfeeds > STICK_FEEDS_MAX) {
			bundle_head_release(&f->h);
			rc = skip_line(v, de->d_name, "the stick's files list "
				       "more feeds than a visit holds: looked at "
				       "later", e);
			continue;
		}
		s->feeds += f->h.nfeeds;
		f->ok = 1;
		s->n++;
	}
	closedir(d);
	return rc;
}

/* The newest frontier of site on the stick, or NULL. */
static struct sfile *frontier_of(struct scan *s,
				 const uint8_t site[KEY_PUBLIC_LEN])
{
	struct sfile *best = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];

		if (f->ok && !f->gone && f->h.kind == BUNDLE_KIND_FRONTIER &&
		    !memcmp(f->h.creator, site, KEY_PUBLIC_LEN) &&
		    (!best || f->h.created_ms > best->h.created_ms))
			best = f;
	}
	return best;
}

/* 1 if frontier fr holds every feed of bundle b up to its last seq. */
static int frontier_covers(const struct bundle_head *fr,
			   const struct bundle_head *b)
{
	uint32_t i;

	for (i = 0; i < b->nfeeds; i++) {
		const struct bundle_feed *f = bundle_head_find(fr, b->feeds[i].author);

		if (!f || f->to < b->feeds[i].to)
			return 0;
	}
	return 1;
}

static struct stick_line *from_line(struct stick_visit *v,
				    const struct bundle_head *bh, struct err *e)
{
	size_t i;
	struct stick_line *l;

	for (i = 0; i < v->nlines; i++)
		if (v->lines[i].kind == STICK_FROM &&
		    !memcmp(v->lines[i].site, bh->creator, KEY_PUBLIC_LEN))
			return &v->lines[i];
	if (!(l = line_add(v, STICK_FROM, e)))
		return NULL;
	memcpy(l->site, bh->creator, KEY_PUBLIC_LEN);
	snprintf(l->name, sizeof(l->name), "%s", bh->name);
	return l;
}

/* The files of members removed from the community (bundles they made,
 * their frontiers): every site refuses them, so they are taken off the
 * stick, counted in one line, rather than said again as a refusal on
 * every visit of every site. A removed member's head is what the file
 * says: a crafted one costs only itself. */
static int drop_removed(struct home *h, struct scan *s, struct stick_visit *v)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];

		if (!f->ok || f->gone ||
		    !memcmp(f->h.creator, h->key.pk, KEY_PUBLIC_LEN) ||
		    store_member_removed(h->store, f->h.creator) != 1)
			continue;
		if (unlink(f->path) == 0) {
			f->gone = 1;
			v->removed_members++;
		}
	}
	return 0;
}

/* Step 1: every bundle of another site that brings something. Bundles
 * are applied in the directory's order, so one may carry a feed from a
 * seq this node reaches only with another bundle applied after it (a
 * refused run: a seq gap); a bundle with refusals is applied again while
 * a pass adds entries (at most STICK_APPLY_PASSES), and its refusals are
 * counted once, as the last pass left them. */
static int apply_all(struct home *h, struct scan *s,
		     const struct stick_progress *pg, struct stick_visit *v,
		     struct err *e)
{
	size_t i;
	int rc, pass, again = 1;

	for (pass = 0; pass < STICK_APPLY_PASSES && again; pass++) {
		uint64_t added = 0;

		again = 0;
		for (i = 0; i < s->n; i++) {
			struct sfile *f = &s->f[i];
			struct bundle_applied a;
			struct stick_line *l;
			struct err le;

			if (!f->ok || f->gone ||
			    f->h.kind != BUNDLE_KIND_BUNDLE ||
			    !memcmp(f->h.creator, h->key.pk, KEY_PUBLIC_LEN) ||
			    (pass > 0 && !f->refused))
				continue;
			f->refused = 0;
			if ((rc = bundle_covered(h, &f->h, e)) < 0)
				return rc;
			if (rc == 1)
				continue; /* nothing new in it */
			err_clear(&le);
			rc = bundle_apply(h, f->path, pg->fn, pg->arg, &a, &le);
			if (rc == STOA_EIO || rc == STOA_EFULL ||
			    rc == STOA_EBUSY || rc == STOA_ENOMEM) {
				bundle_applied_release(&a);
				return err_set(e, rc, "%s", le.msg);
			}
			if (rc < 0) {
				bundle_applied_release(&a);
				if ((rc = skip_line(v, f->name, le.msg, e)) < 0)
					return rc;
				continue;
			}
			v->added += a.added;
			added += a.added;
			if (a.added || a.damaged) {
				if (!(l = from_line(v, &a.head, e))) {
					bundle_applied_release(&a);
					return STOA_ENOMEM;
				}
				l->entries += a.added;
				l->damaged |= a.damaged != 0;
			}
			if (a.refused && !a.damaged) {
				f->refused = a.refused;
				snprintf(f->why, sizeof(f->why), "%s",
					 a.nnotes ? a.notes[0].why : "refused");
				again = 1;
			} else if (a.refused) {
				/* damaged: not applied again */
				if (!(l = from_line(v, &a.head, e))) {
					bundle_applied_release(&a);
					return STOA_ENOMEM;
				}
				l->refused += a.refused;
				if (!l->why[0] && a.nnotes)
					snprintf(l->why, sizeof(l->why), "%s",
						 a.notes[0].why);
			}
			bundle_applied_release(&a);
		}
		if (!added)
			break;
	}
	/* what is still refused after the last pass, with the first
	 * reason */
	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];
		struct stick_line *l;

		if (!f->refused)
			continue;
		if (!(l = from_line(v, &f->h, e)))
			return STOA_ENOMEM;
		l->refused += f->refused;
		if (!l->why[0])
			snprintf(l->why, sizeof(l->why), "%s", f->why);
	}
	return 0;
}

/* A file this visit could not write: a line, and the visit's error (the
 * first one) for the end. */
static int unwritten(struct stick_visit *v, const struct sfile *f,
		     const char *why, int rc, struct err *e)
{
	struct stick_line *l = line_add(v, STICK_UNWRITTEN, e);

	if (!l)
		return STOA_ENOMEM;
	if (f) {
		memcpy(l->site, f->h.creator, KEY_PUBLIC_LEN);
		snprintf(l->name, sizeof(l->name), "%s", f->h.name);
	}
	snprintf(l->why, sizeof(l->why), "%s", why);
	if (!v->unwritten++)
		v->first_rc = rc;
	return 0;
}

static void key16(char out[17], const uint8_t pk[KEY_PUBLIC_LEN])
{
	hex_encode(out, pk, 8);
}

/* Whether this node's bundle o already carries everything it would
 * write for frontier fr: each feed this node holds past fr is in o from
 * right after fr up to this node's head. */
struct same {
	const struct bundle_head *o, *fr;
	int differs;
	int any;        /* a feed past fr */
};

static int same_cb(const struct store_head *sh, void *arg)
{
	struct same *sm = arg;
	const struct bundle_feed *t = bundle_head_find(sm->fr, sh->author),
				 *b = bundle_head_find(sm->o, sh->author);
	uint64_t theirs = t ? t->to : 0;

	if (sh->seq <= theirs)
		return 0;
	sm->any = 1;
	if (!b || b->from > theirs + 1 || b->to != sh->seq ||
	    !bytes_equal(b->id, sh->id, ENTRY_ID_LEN)) {
		sm->differs = 1;
		return 1;
	}
	return 0;
}

/* The bundle on the stick that says it is this node's for site fr and
 * lists what this node would write again, or NULL. */
static struct sfile *unchanged(struct home *h, struct scan *s,
			       const struct sfile *fr, struct err *e)
{
	struct sfile *o = NULL;
	struct same sm;
	size_t k;

	for (k = 0; k < s->n; k++)
		if (s->f[k].ok && !s->f[k].gone &&
		    s->f[k].h.kind == BUNDLE_KIND_BUNDLE &&
		    !memcmp(s->f[k].h.creator, h->key.pk, KEY_PUBLIC_LEN) &&
		    !memcmp(s->f[k].h.addressee, fr->h.creator, KEY_PUBLIC_LEN)) {
			if (o)
				return NULL; /* two: write one anew */
			o = &s->f[k];
		}
	/* a site on a past epoch, or a removed member's: bundle_create
	 * decides */
	if (!o || fr->h.past || o->h.epoch != h->community.epoch ||
	    store_member_removed(h->store, fr->h.creator))
		return NULL;
	sm.o = &o->h;
	sm.fr = &fr->h;
	sm.differs = 0;
	sm.any = 0;
	if (store_frontier(h->store, same_cb, &sm, e) < 0 || sm.differs ||
	    !sm.any)
		return NULL;
	return o;
}

/* Step 2: a bundle for each other site's newest frontier. */
static int write_all(struct home *h, const char *sub, struct scan *s,
		     const struct stick_progress *pg, struct stick_visit *v,
		     struct err *e)
{
	size_t i, k;
	int rc;

	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i], *o;
		char me[17], them[17], path[HOME_PATH_MAX];
		int same;
		struct bundle_made made;
		struct stick_line *l;
		struct err le;

		if (!f->ok || f->gone || f->h.kind != BUNDLE_KIND_FRONTIER ||
		    !memcmp(f->h.creator, h->key.pk, KEY_PUBLIC_LEN) ||
		    frontier_of(s, f->h.creator) != f)
			continue;
		/* nothing new for it since this node's last bundle: said so,
		 * and the bundle is written again all the same (the one on
		 * the stick says it is this node's, but anyone holding the
		 * community key could have made it: a crafted one that lists
		 * everything and carries nothing would otherwise stand in for
		 * this node's bundle for good) */
		same = unchanged(h, s, f, &le) != NULL;
		key16(me, h->key.pk);
		key16(them, f->h.creator);
		if ((size_t)snprintf(path, sizeof(path), "%s/bundle-%s-to-%s.stb",
				     sub, me, them) >= sizeof(path))
			return err_set(e, STOA_EINVAL, "'%s': the path is too "
				       "long", sub);
		err_clear(&le);
		rc = bundle_create(h, &f->h, path, pg->fn, pg->arg, &made, &le);
		if (rc == STOA_EPERM) {
			if ((rc = skip_line(v, f->name, le.msg, e)) < 0)
				return rc;
			continue;
		}
		if (rc < 0) {
			/* a full stick, a file in the way: that site's bundle
			 * only; the visit goes on and ends with the error */
			if ((rc = unwritten(v, f, le.msg, rc, e)) < 0)
				return rc;
			continue;
		}
		/* this node's earlier bundles for the site, whatever their
		 * names: the new one (or nothing) replaces them */
		for (k = 0; k < s->n; k++) {
			o = &s->f[k];
			if (o->ok && !o->gone && o->h.kind == BUNDLE_KIND_BUNDLE &&
			    !memcmp(o->h.creator, h->key.pk, KEY_PUBLIC_LEN) &&
			    !memcmp(o->h.addressee, f->h.creator,
				    KEY_PUBLIC_LEN)) {
				o->gone = 1;
				if (strcmp(o->path, path))
					unlink(o->path);
			}
		}
		if (made.entries == 0) {
			unlink(path);
			continue;
		}
		if (!(l = line_add(v, STICK_TO, e)))
			return STOA_ENOMEM;
		memcpy(l->site, f->h.creator, KEY_PUBLIC_LEN);
		snprintf(l->name, sizeof(l->name), "%s", f->h.name);
		l->entries = made.entries;
		l->unchanged = same;
	}
	return 0;
}

/* Step 3: the bundles their addressee has applied. */
static int remove_applied(struct home *h, struct scan *s,
			  struct stick_visit *v, struct err *e)
{
	static const uint8_t zero[KEY_PUBLIC_LEN];
	size_t i;
	int rc, skipped = v->nskipped > 0;

	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i], *fr;

		if (!f->ok || f->gone || f->h.kind != BUNDLE_KIND_BUNDLE ||
		    !memcmp(f->h.addressee, zero, KEY_PUBLIC_LEN))
			continue;
		if (!memcmp(f->h.addressee, h->key.pk, KEY_PUBLIC_LEN)) {
			if ((rc = bundle_covered(h, &f->h, e)) < 0)
				return rc;
		} else if ((fr = frontier_of(s, f->h.addressee))) {
			rc = frontier_covers(&fr->h, &f->h);
		} else {
			/* its site's frontier was taken off the stick (a site
			 * that will not come back): this node's bundle for it
			 * goes, and is made again if the frontier comes back;
			 * not while a file of the stick went unread (it may be
			 * that frontier) */
			if (!memcmp(f->h.creator, h->key.pk, KEY_PUBLIC_LEN) &&
			    !skipped && unlink(f->path) == 0) {
				f->gone = 1;
				v->orphans++;
			}
			continue;
		}
		if (rc == 1 && unlink(f->path) == 0) {
			f->gone = 1;
			v->removed++;
		}
	}
	return 0;
}

/* Step 3: this node's frontier (before its bundles: a small file, and
 * what lets the other sites remove their bundles for this one, so a full
 * stick frees itself). */
static int frontier(struct home *h, const char *sub, struct scan *s,
		    struct stick_visit *v, struct err *e)
{
	char me[17], path[HOME_PATH_MAX];
	struct bundle_made made;
	struct err le;
	size_t i;
	int rc;

	key16(me, h->key.pk);
	if ((size_t)snprintf(path, sizeof(path), "%s/frontier-%s.stf", sub, me) >=
	    sizeof(path))
		return err_set(e, STOA_EINVAL, "'%s': the path is too long", sub);
	err_clear(&le);
	rc = bundle_frontier_write(h, path, &made, &le);
	if (rc == STOA_EFULL || rc == STOA_EIO || rc == STOA_EINVAL)
		return unwritten(v, NULL, le.msg, rc, e);
	if (rc < 0)
		return err_set(e, rc, "%s", le.msg);
	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];

		if (f->ok && !f->gone && f->h.kind == BUNDLE_KIND_FRONTIER &&
		    !memcmp(f->h.creator, h->key.pk, KEY_PUBLIC_LEN)) {
			f->gone = 1;
			if (strcmp(f->path, path))
				unlink(f->path);
		}
	}
	v->frontier = 1;
	return 0;
}

/* The figures: the stick's sites and size. */
static void figures(struct home *h, const char *sub, struct scan *s,
		    struct stick_visit *v)
{
	char path[HOME_PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t i, k;

	v->sites = 1;
	for (i = 0; i < s->n; i++) {
		struct sfile *f = &s->f[i];
		int seen = 0;

		if (!f->ok || f->gone || f->h.kind != BUNDLE_KIND_FRONTIER)
			continue;
		for (k = 0; k < i; k++)
			if (s->f[k].ok && !s->f[k].gone &&
			    s->f[k].h.kind == BUNDLE_KIND_FRONTIER &&
			    !memcmp(s->f[k].h.creator, f->h.creator,
				    KEY_PUBLIC_LEN))
				seen = 1;
		v->sites += !seen;
	}
	if ((d = opendir(sub))) {
		while ((de = readdir(d))) {
			struct stat st;

			if (de->d_name[0] == '.' ||
			    (size_t)snprintf(path, sizeof(path), "%s/%s", sub,
					     de->d_name) >= sizeof(path))
				continue;
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				v->bytes += (uint64_t)st.st_size;
		}
		closedir(d);
	}
	(void)h;
}

int stick_exchange(struct home *h, const char *dir,
		   const struct stick_progress *pg, struct stick_visit *v,
		   struct err *e)
{
	static const struct stick_progress none = { NULL, NULL };

	char sub[HOME_PATH_MAX];
	struct scan s = { NULL, 0, 0 };
	struct stat st;
	int rc;

	memset(v, 0, sizeof(*v));
	if (stat(dir, &st) != 0)
		return err_set(e, errno == ENOENT ? STOA_ENOTFOUND : STOA_EIO,
			       "cannot use '%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, STOA_EINVAL, "'%s' is not a directory (give "
			       "the stick's mount point)", dir);
	if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, STICK_SUBDIR) >=
	    sizeof(sub) - 64)
		return err_set(e, STOA_EINVAL, "'%.64s...': the path is too long",
			       dir);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST)
		return err_set(e, STOA_EIO, "cannot create '%s': %s", sub,
			       strerror(errno));
	if (lstat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(e, STOA_EINVAL, "'%s' is not a directory", sub);
	/* removing before writing: the space of the applied bundles is
	 * free for the new ones */
	if ((rc = scan_dir(h, sub, &s, v, e)) < 0 ||
	    (rc = drop_removed(h, &s, v)) < 0 ||
	    (rc = apply_all(h, &s, pg ? pg : &none, v, e)) < 0 ||
	    (rc = drop_removed(h, &s, v)) < 0 ||
	    (rc = remove_applied(h, &s, v, e)) < 0 ||
	    (rc = frontier(h, sub, &s, v, e)) < 0 ||
	    (rc = write_all(h, sub, &s, pg ? pg : &none, v, e)) < 0) {
		scan_release(&s);
		return rc;
	}
	figures(h, sub, &s, v);
	scan_release(&s);
	if (v->unwritten)
		return err_set(e, v->first_rc, "%" PRIu32 " %s not written on "
			       "the stick%s", v->unwritten,
			       v->unwritten == 1 ? "file" : "files",
			       v->first_rc == STOA_EFULL
				       ? ": it is full; free space on it and "
					 "visit again"
				       : "");
	return 0;
}
