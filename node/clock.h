/*
 * clock: the two clocks node/ reads, in milliseconds. The monotonic one
 * measures intervals (deadlines, timers, backoff) and never jumps; the
 * wall clock gives entry timestamps and ages shown to people.
 */
#ifndef STOA_CLOCK_H
#define STOA_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ms(void);  /* CLOCK_MONOTONIC */
uint64_t clock_wall_ms(void);  /* CLOCK_REALTIME, ms since the epoch */

#endif
