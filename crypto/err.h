/*
 * err: the error codes and the one-message error carrier every layer uses.
 *
 * A function that can fail returns int: 0 or a negative STOA_E* code. An
 * optional struct err (last parameter, may be NULL) carries one human
 * message; the first error set wins, so a low layer's precise reason is not
 * overwritten by a caller's vaguer one (curl's failf). Lower layers never
 * print: cli/ prints e->msg once, node/ logs it once.
 */
#ifndef STOA_ERR_H
#define STOA_ERR_H

enum {
	STOA_OK = 0,
	STOA_EINVAL = -1,    /* bad input: argv, a field, a format */
	STOA_ENOMEM = -2,    /* allocation failed or a bound was hit */
	STOA_EIO = -3,       /* file or database I/O failed */
	STOA_ECRYPTO = -4,   /* signature, hash or key check failed */
	STOA_EPROTO = -5,    /* malformed bytes from outside */
	STOA_ENOTFOUND = -6, /* no such entry, member, file */
	STOA_EEXIST = -7,    /* already exists */
	STOA_EAMBIG = -8,    /* a prefix or name matches more than one */
	STOA_EFORK = -9,     /* a second entry for an author and seq */
	STOA_ESEQ = -10,     /* seq gap or wrong prev link */
	STOA_EFULL = -11,    /* disk full */
	STOA_EBUSY = -12,    /* locked by another process */
	STOA_EPERM = -13,    /* file permissions refused */
	STOA_EUSAGE = -14,   /* command line usage error (cli: exit 2) */
	STOA_EOLD = -15,     /* an older format, to be upgraded first */
};

#define ERR_MSG_MAX 256

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Clear e (NULL-safe). */
void err_clear(struct err *e);

/*
 * Record code and a printf-style message in e unless an error is already
 * recorded there (first wins). NULL-safe. Returns code, so callers write
 * `return err_set(e, STOA_EPROTO, "bad length %zu", n);`.
 */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A short generic name for a code, for when no message was recorded. */
const char *err_str(int code);

#endif
