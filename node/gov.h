/*
 * gov: the community's governance rules (docs/governance.md), as a pure
 * function of a set of governance records and the founder's key: no
 * SQLite, no I/O, so the rules are unit-tested and fuzzed on their own
 * (gov_store.c loads the records from the store and applies the result).
 *
 * The rules, in short (the doc is the reference):
 *   - The founder is a facilitator, always. Every other member is a
 *     learner until a role record of a facilitator says otherwise.
 *   - Records are taken in the order of (timestamp, id), each judged
 *     against the state the records before it made: a role, hide, unhide
 *     or remove record needs a facilitator; an erase record needs the
 *     target's author or a facilitator; a report needs nobody.
 *   - The role of a member is the least permissive of the role records
 *     about it that no later record replaced (a record replaces the ones
 *     it names, and its author's earlier ones about that member).
 *   - A member who stops being a facilitator (demoted or removed) loses
 *     every record written after what the demoting record had seen of its
 *     feed ("seen" of a role record, "seq" of a removal): those records
 *     are voided (a demotion spares its reports and erasures of its own
 *     entries, which need no role), and the pass starts again without
 *     them, until no record is voided. A void is final. Back-dating a
 *     record cannot bring a lost authority back.
 *   - Records about the founder's role, a removal of the founder or of
 *     oneself, and an erasure of a governance record have no effect.
 *   - A rotation (epoch record) needs the founder: one writer, so no two
 *     are ever concurrent. Once the passes are done, one sealed to a
 *     member removed in the end has no effect; of the others, the highest
 *     epoch (then the lowest id) is in force and the rest are superseded.
 * The result depends only on the set of records, never on the order they
 * arrived in.
 */
#ifndef STOA_GOV_H
#define STOA_GOV_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "err.h"

/* What one record did, once the rules ran (gov_effect_name). */
enum gov_effect {
	GOV_APPLIED = 0,      /* took effect */
	GOV_NO_AUTHORITY,     /* its author lacked the role it needs */
	GOV_VOIDED,           /* written after its author lost that role */
	GOV_FOUNDER,          /* changes the founder's role, or removes it */
	GOV_SELF,             /* a facilitator removing itself */
	GOV_NOT_ERASABLE,     /* an erasure of a governance record */
	GOV_UNKNOWN_TARGET,   /* erasure by a non-facilitator of an entry
			       * not held: judged when it arrives */
	GOV_REMOVED,          /* written after its author's removal */
	GOV_SEALED_REMOVED,   /* a rotation sealed to a removed member */
	GOV_SUPERSEDED,       /* a rotation another one replaced */
	GOV_EFFECT_COUNT
};

#define GOV_ROLE_LEARNER 0
#define GOV_ROLE_MENTOR 1
#define GOV_ROLE_FACILITATOR 2

struct gov_rec {
	/* in: the record */
	uint8_t id[ENTRY_ID_LEN];
	uint8_t author[KEY_PUBLIC_LEN];
	uint64_t seq, ts;
	uint8_t kind;                 /* ENTRY_KIND_ROLE .. _EPOCH */
	uint8_t target[HASH_LEN];     /* member key (role, remove), epoch:
				       * its check, else an entry id */
	int role;                     /* role: GOV_ROLE_* */
	uint64_t anchor;              /* role: "seen"; remove: "seq";
				       * epoch: the epoch */
	const uint8_t (*replaces)[ENTRY_ID_LEN]; /* role: borrowed */
	size_t nreplaces;
	const uint8_t (*seals)[KEY_PUBLIC_LEN]; /* epoch: the members it is
						 * sealed to, borrowed */
	size_t nseals;
	/* in: the target entry, for hide/unhide/erase/report */
	int target_held;
	uint8_t target_author[KEY_PUBLIC_LEN];
	uint8_t target_kind;
	size_t user;                  /* the caller's, kept with the record */
	/* out */
	enum gov_effect effect;
};

struct gov_member {
	uint8_t key[KEY_PUBLIC_LEN];
	int role;           /* GOV_ROLE_* */
	size_t role_by;     /* index of the record that set it, or SIZE_MAX */
	int removed;        /* 1: removed ... */
	uint64_t cut;       /* ... keeping its entries up to seq cut */
	size_t removed_by;  /* the removal record's index */
	/* private: the role records still in force */
	size_t *heads, nheads, capheads;
};

/* A target entry's state: hidden or erased, and by which record. */
struct gov_mark {
	uint8_t target[ENTRY_ID_LEN];
	size_t by; /* record index */
};

struct gov_state {
	struct gov_member *members; /* those records named, sorted by key */
	size_t nmembers;
	struct gov_mark *hidden, *erased; /* sorted by target */
	size_t nhidden, nerased;
	size_t passes; /* how many passes the voiding took (for tests) */
	size_t epoch_by; /* the rotation in force (record index), or
			  * SIZE_MAX: the invite's epoch is */
};

/*
 * Runs the rules over the n records in recs (any order; reordered in place
 * by (ts, id)) and fills each record's effect and st (caller releases it
 * with gov_state_release). founder may be NULL (a community with no
 * founder on record: no one is a facilitator). STOA_ENOMEM only.
 */
int gov_resolve(struct gov_rec *recs, size_t n,
		const uint8_t *founder, struct gov_state *st, struct err *e);
void gov_state_release(struct gov_state *st);

/* The member's state, or NULL if no record names it (a learner). */
const struct gov_member *gov_member_find(const struct gov_state *st,
					 const uint8_t key[KEY_PUBLIC_LEN]);
/* The mark of a target in a sorted list, or NULL. */
const struct gov_mark *gov_mark_find(const struct gov_mark *v, size_t n,
				     const uint8_t target[ENTRY_ID_LEN]);

/* "applied", "no authority", ... */
const char *gov_effect_name(enum gov_effect ef);

#endif
