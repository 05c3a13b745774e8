/*
 * stats: how a learning community is doing, from the entries this node
 * holds (docs/stats.md defines every figure in one sentence, and the JSON
 * object field by field). Read-only: stats_compute never writes the
 * store. The figures depend on the set of entries (and the window, the
 * filters and the moment it runs), never on their arrival order.
 */
#ifndef STOA_STATS_H
#define STOA_STATS_H

#include <stdint.h>

#include <jansson.h>

#include "key.h"
#include "store.h"

#define STATS_DAY_MS 86400000LL
#define STATS_WEEK_MS (7 * STATS_DAY_MS)
#define STATS_WEEKS_MAX 520          /* a window of 10 years at most */
#define STATS_WEEKS_DEFAULT 8
#define STATS_COHORT_WEEKS 8         /* retention: weeks 1..8 after joining */
#define STATS_UNANSWERED_MS (48 * 3600000LL)
#define STATS_AT_RISK_MS (14 * STATS_DAY_MS)
#define STATS_NEW_WROTE_MS (7 * STATS_DAY_MS)
#define STATS_MONTH_MS (28 * STATS_DAY_MS)
#define STATS_CLOCK_SKEW_MS STATS_DAY_MS /* ahead of now, behind founding */
#define STATS_LIMIT_DEFAULT 20
#define STATS_LIMIT_MAX 10000
#define STATS_PSEUDONYM_KEY_LEN 32
#define STATS_EXCERPT_MAX 80          /* bytes of an untitled question shown */
/* the largest array the figures may hold (replies, feedback, a tally):
 * past it, stats_compute fails with STOA_ENOMEM, never the machine */
#define STATS_ARRAY_MAX_BYTES ((size_t)1 << 30)

struct stats_opts {
	int64_t start, end;            /* the window, ms: [start, end) */
	int64_t now;                   /* the wall clock, ms */
	const char *topic;             /* NULL: every topic */
	const uint8_t *member;         /* NULL: every member (KEY_PUBLIC_LEN) */
	unsigned limit;                /* longest list; 0: STATS_LIMIT_DEFAULT */
	/* NULL: names and keys as held; else names are pseudonyms chosen
	 * by a hash keyed with these STATS_PSEUDONYM_KEY_LEN bytes, and no
	 * row carries a key */
	const uint8_t *pseudonym_key;
};

/*
 * The figures of docs/stats.md §5 as one new JSON object into *out (the
 * caller frees it with json_decref). The window must be whole UTC days,
 * at least one and at most STATS_WEEKS_MAX weeks (STOA_EINVAL
 * otherwise). Or a negative
 * STOA_E*, and *out is NULL.
 */
int stats_compute(struct store *s, const struct stats_opts *o, json_t **out,
		  struct err *e);

#endif
