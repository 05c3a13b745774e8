/*
 * rotation: builds the record that rotates the community secret (see
 * rotation.c; the rules that judge it are gov.c's).
 */
#ifndef STOA_ROTATION_H
#define STOA_ROTATION_H

#include <stdint.h>

#include <jansson.h>

#include "community.h"
#include "err.h"
#include "store.h"

/*
 * The payload of a rotation into *out (the caller's: json_decref): for
 * the epoch after the highest of com's and of the rotations the store
 * holds that were written with authority (store_epoch_max) (*epoch), sealed to every member of the store's feeds who is not
 * removed, but except (may be NULL: the member being removed), with
 * reason (may be NULL; checked by the caller). STOA_EINVAL, nothing
 * built, if more than PAYLOAD_EPOCH_SEALS_MAX members remain or no epoch
 * is left; STOA_ECRYPTO if a member's key does not convert.
 */
int rotation_make(struct store *s, const struct community *com,
		  const uint8_t *except, const char *reason, json_t **out,
		  uint32_t *epoch, struct err *e);

#endif
