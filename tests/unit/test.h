/*
 * A tiny assert header for the unit tests (after Redis testhelp.h and
 * libsodium cmptest.h). CHECK records a failure and goes on; the test's
 * main returns test_report(), which prints a summary and gives the exit
 * code CTest reads.
 */
#ifndef STOA_TEST_H
#define STOA_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failed, test_checked;

#define CHECK(cond)                                                        \
	do {                                                               \
		test_checked++;                                            \
		if (!(cond)) {                                             \
			test_failed++;                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",       \
				__FILE__, __LINE__, #cond);                \
		}                                                          \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                 \
	do {                                                               \
		long long a_ = (long long)(a), b_ = (long long)(b);        \
		test_checked++;                                            \
		if (a_ != b_) {                                            \
			test_failed++;                                     \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", \
				__FILE__, __LINE__, #a, a_, b_);           \
		}                                                          \
	} while (0)

#define CHECK_STR(a, b)                                                    \
	do {                                                               \
		const char *a_ = (a), *b_ = (b);                           \
		test_checked++;                                            \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                   \
			test_failed++;                                     \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)", \
				b_ ? b_ : "(null)");                       \
		}                                                          \
	} while (0)

static inline int test_report(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, test_checked, test_failed);
	return test_failed ? 1 : 0;
}

#endif
