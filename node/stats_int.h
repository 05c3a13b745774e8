/*
 * stats_int: what the two halves of stats share, and nothing else may
 * include. stats_load.c reads the view once, table by table, into the
 * model below (one row per member, the small tables whole, and running
 * tallies for the large ones); stats.c turns the model into the figures
 * of docs/stats.md. stats.c also writes into it as it goes (it sorts
 * the lists it prints, lists the pairings per member, counts
 * received_from, puts pseudonyms in place of names); every array in it
 * is owned by the model and freed by stats_model_release.
 */
#ifndef STOA_STATS_INT_H
#define STOA_STATS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"
#include "stats.h"

#define STATS_NONE INT64_MIN /* no such time */

struct stats_member {
	uint8_t key[KEY_PUBLIC_LEN];
	char name[PAYLOAD_NAME_MAX + 1];
	int has_name;
	int learner;          /* the governed role now is learner */
	int valid;            /* not removed, joined before the end */
	int counted;          /* valid, and the one --member names */
	int removed;          /* counted nowhere */
	int focus;            /* not removed, and the one --member names */
	int64_t join;         /* the first plausible entry; STATS_NONE */
	int64_t last;         /* the latest activity; STATS_NONE */
	int wrote7;           /* activity within 7 days of joining */
	uint64_t seq;         /* entries held */
	int64_t newest_ts, received; /* the head's ts; local ms or NONE */
	uint32_t ahead, behind;      /* implausible entries of theirs */
	uint64_t fb_given, fb_received, fb_from;
	uint64_t kudos_given, kudos_received;
	uint8_t *days;        /* a bit per day of activity from day0;
			       * owned, freed by stats_model_release */
};

/* Counts per distinct string (topics, badges), in an open hash. */
struct stats_tally_row {
	char *s;              /* owned: the table frees it */
	uint64_t a, b;
};

struct stats_tally {
	struct stats_tally_row *rows;
	size_t n, cap;
};

struct stats_ask {
	uint8_t id[ENTRY_ID_LEN];
	size_t author;        /* member index, or SIZE_MAX: not a member */
	int64_t ts;
	int request, topic_ok, usable; /* usable: plausible, shown, < end */
	int accepted;         /* a valid accept by a valid member */
};

struct stats_pair {
	uint8_t id[ENTRY_ID_LEN];
	size_t mentor, mentee; /* member indexes (both valid) */
	int64_t ts;            /* the accept's */
	int64_t closed;        /* the first close by a participant; NONE */
	uint64_t sessions, minutes; /* in the window */
	int valid;             /* a pairing that counts (docs/stats.md §2) */
	int topic_ok;          /* its ask is of --topic's topic */
	int focus;             /* the mentor or the mentee is counted */
};

/* The feedback, sorted by target, and the first answers per question. */
struct stats_fb {
	uint8_t target[ENTRY_ID_LEN];
	size_t giver;
	int64_t ts;
	int helpful;
	int self;              /* on the giver's own post: counts nowhere */
	int topic_hit;         /* on a post of --topic's topic */
};

struct stats_first {
	uint8_t parent[ENTRY_ID_LEN];
	int64_t ts1, ts2;      /* the earliest reply, and the earliest by */
	size_t by1;            /* someone other than by1 (NONE: none) */
	/* the earliest helpful mark on a reply (by someone other than its
	 * author), that reply's author, and the earliest on a reply by
	 * someone other than hby1 */
	int64_t help1, help2;
	size_t hby1;
};

struct stats_i64s {
	int64_t *v;
	size_t n, cap;
};

struct stats_unanswered {
	int64_t ts;
	int64_t entry;
	size_t author;
	uint8_t id[ENTRY_ID_LEN];
};

struct stats_week {
	int64_t start, end;
	uint64_t questions, answered;
	struct stats_i64s first_reply;
	uint64_t learners, learners_paired, members, active, monthly;
	uint64_t fresh, fresh_wrote, fresh_recent;
};

/*
 * An index over an array sorted by a 32-byte key at the start of each
 * element (ids and keys: hashes, so their first two bytes spread evenly):
 * off[b] is the first element whose key starts with b or more, so a
 * lookup compares only the few elements of one bucket.
 */
#define STATS_BUCKETS 65536

struct stats_index {
	const uint8_t *base;    /* borrowed: the array indexed */
	size_t n, size;
	uint32_t *off;          /* STATS_BUCKETS + 1; owned */
};

/* Indexes into an array, grouped per member: member i's are
 * idx[off[i]] .. idx[off[i + 1] - 1]. */
struct stats_list {
	size_t *off;           /* nm + 1 */
	size_t *idx;
};

struct stats_model {
	struct store *s;
	const struct stats_opts *o;
	int64_t start, end, as_of, day0, founding;
	size_t nweeks, ndays;
	unsigned limit;

	struct stats_member *m;
	size_t nm;
	struct stats_index im, iasks, ipairs, ifb, ifirst;
	int64_t *hidden;       /* entries.n of what is hidden, sorted */
	size_t nhidden;
	struct stats_ask *asks;
	size_t nasks;
	struct stats_pair *pairs;
	size_t npairs;
	struct stats_list as_mentee, as_mentor; /* the valid pairings */
	struct stats_fb *fb;
	size_t nfb;
	struct stats_first *first;
	size_t nfirst;

	struct stats_week *weeks;
	struct stats_i64s first_reply, first_helpful;
	uint64_t asked, answered, before_asked;
	struct stats_unanswered *unanswered;
	size_t nunanswered, capunanswered;

	uint64_t fb_count, fb_helpful;
	struct stats_tally topics;
	uint64_t *fb_pairs;    /* receiver << 32 | giver, for received_from */
	size_t nfb_pairs, capfb_pairs;

	uint64_t kudos_given;
	struct stats_tally badges;

	uint64_t pairings, closed, sessions, minutes;
	int64_t last_sync;     /* STATS_NONE: never */
};

/* stats_load.c: reads the store into mo (a read transaction around it).
 * 0 or a negative STOA_E*; stats_model_release frees what it holds. */
int stats_load(struct stats_model *mo, struct err *e);
void stats_model_release(struct stats_model *mo);

/* qsort that takes n = 0 with a NULL base; int64_t order. */
void stats_sort(void *base, size_t n, size_t size,
		int (*cmp)(const void *, const void *));
int stats_cmp_i64(const void *a, const void *b);

size_t stats_member_find(const struct stats_model *mo,
			 const uint8_t key[KEY_PUBLIC_LEN]);
int stats_i64s_push(struct stats_i64s *a, int64_t v);
int stats_tally_add(struct stats_tally *t, const char *s, size_t len,
		    uint64_t a, uint64_t b);

#endif
