/*
 * view_int: what the read modules over the view share (view.c,
 * gov_view.c, stats_load.c and stats.c), and nothing else may include:
 * preparing and stepping a query into JSON rows, and the bounds of a
 * listing.
 */
#ifndef STOA_VIEW_INT_H
#define STOA_VIEW_INT_H

#include <sqlite3.h>

#include "view.h"

/* STOA_EIO with what, and SQLite's message. */
int view_db_fail(struct store *s, struct err *e, const char *what);
int view_prepare(struct store *s, const char *sql, sqlite3_stmt **st,
		 struct err *e);
/* Add a column to o: a blob as lowercase hex, text (stored text passed
 * jansson on the way in, so it is valid UTF-8), an integer; nothing for
 * a NULL blob or text. */
void view_set_hex(json_t *o, const char *k, sqlite3_stmt *st, int col);
void view_set_text(json_t *o, const char *k, sqlite3_stmt *st, int col);
void view_set_int(json_t *o, const char *k, sqlite3_stmt *st, int col);
/* Steps st (finalizing it), turning each row into an object with build()
 * and handing it to cb until cb returns nonzero. 0, or an error. */
int view_run(struct store *s, sqlite3_stmt *st,
	     json_t *(*build)(sqlite3_stmt *), view_row_fn cb, void *arg,
	     struct err *e);
/* A listing's limit: VIEW_LIMIT_DEFAULT for 0, at most VIEW_LIMIT_MAX. */
unsigned view_limit(unsigned limit);

#endif
