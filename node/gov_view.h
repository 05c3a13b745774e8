/*
 * gov_view: the read queries the governance commands need before they
 * write (stoa role, hide, unhide, erase, report, remove) and the reports
 * queue (stoa reports), over the tables gov_store keeps current at every
 * commit (gov, gov_members, gov_hidden, gov_erased). Rows are jansson
 * objects handed to a view_row_fn, as in view.h; fields are documented in
 * docs/cli.md. It never writes and never prints, and never opens a sealed
 * box: that needs the member's secret key, which only the CLI holds.
 */
#ifndef STOA_GOV_VIEW_H
#define STOA_GOV_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

/*
 * The ids of the role records about member that took effect ("applied"),
 * newest first by (timestamp, id), at most cap of them, into ids; how
 * many into *n. A new role record names them in "replaces".
 */
int gov_view_role_records(struct store *s,
			  const uint8_t member[KEY_PUBLIC_LEN],
			  uint8_t (*ids)[ENTRY_ID_LEN], size_t cap, size_t *n,
			  struct err *e);

/* Whether the entry id is hidden and whether it is erased, as the records
 * in force say (an id no record names is neither). */
int gov_view_target(struct store *s, const uint8_t id[ENTRY_ID_LEN],
		    int *hidden, int *erased, struct err *e);

/*
 * Every report held, newest first (by timestamp, then id). Row:
 * {"type":"report","id","author","name"?,"ts","target","category",
 *  "sealed":[{"to","box"}],"effect","target_kind"?,"target_author"?,
 *  "target_name"?,"excerpt"?,"target_state":"held"|"erased"|"not held",
 *  "action":"hidden"|"erased"|"none"}
 * target_kind and target_author are there when the target is held;
 * excerpt is a post's title, else its body, or a feedback's comment,
 * while the text is held.
 */
int gov_view_reports(struct store *s, view_row_fn cb, void *arg,
		     struct err *e);

#endif
