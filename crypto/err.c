/*
 * err: see err.h. No allocation, no printing; a message longer than
 * ERR_MSG_MAX is truncated, never overflowed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code != 0)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *err_str(int code)
{
	switch (code) {
	case STOA_OK: return "success";
	case STOA_EINVAL: return "invalid input";
	case STOA_ENOMEM: return "out of memory";
	case STOA_EIO: return "input/output error";
	case STOA_ECRYPTO: return "cryptographic check failed";
	case STOA_EPROTO: return "malformed data";
	case STOA_ENOTFOUND: return "not found";
	case STOA_EEXIST: return "already exists";
	case STOA_EAMBIG: return "ambiguous";
	case STOA_EFORK: return "fork";
	case STOA_ESEQ: return "out of sequence";
	case STOA_EFULL: return "disk full";
	case STOA_EBUSY: return "busy";
	case STOA_EPERM: return "permission denied";
	case STOA_EUSAGE: return "usage";
	case STOA_EOLD: return "older format";
	}
	return "unknown error";
}
