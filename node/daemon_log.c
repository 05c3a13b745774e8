/*
 * daemon_log: the daemon's log, the only one of the network side (see
 * docs/architecture.md, "Logging"). One line per event on stderr,
 * "stoa: HH:MM:SS message", cleaned like other members' text since a line
 * can carry a peer's words. Lines about other peers' doings (refusals,
 * strikes, forks, drops) are rate-limited per kind, so a hostile member
 * cannot fill the disk through the log. Never decides anything.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "daemon_int.h"
#include "payload.h"

void daemon_log(struct daemon *d, int always, const char *fmt, ...)
{
	char line[512], when[16];
	struct tm tm;
	time_t t = time(NULL);
	va_list ap;

	if (d->o->quiet && !always)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* peers' words reach the log (an ERROR's text, an endpoint): one
	 * line, no control, bidi control or invalid UTF-8, as the CLI
	 * prints other members' text */
	payload_text_clean(line, 0);
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(stderr, "stoa: %s %s\n", when, line);
}

int ratelog_allow(struct daemon *d, enum ratelog_kind k)
{
	struct ratelog *r = &d->ratelog[k];
	uint64_t now = clock_mono_ms();

	if (now - r->start_ms >= DAEMON_LOG_WINDOW_MS && !r->hidden) {
		r->start_ms = now;
		r->shown = 0;
	}
	if (r->shown < DAEMON_LOG_BURST) {
		r->shown++;
		return 1;
	}
	r->hidden++;
	return 0;
}

void ratelog_tick(struct daemon *d, int final)
{
	static const char *const what[LOG_KINDS] = {
		[LOG_PEER] = "refused frames and strikes",
		[LOG_FORK] = "forks",
		[LOG_DROP] = "peers dropped",
	};
	uint64_t now = clock_mono_ms();
	int k;

	for (k = 0; k < LOG_KINDS; k++) {
		struct ratelog *r = &d->ratelog[k];
		unsigned secs = (unsigned)((now - r->start_ms + 999) / 1000);

		if (!r->hidden ||
		    (!final && now - r->start_ms < DAEMON_LOG_WINDOW_MS))
			continue;
		if (k == LOG_REFUSED)
			daemon_log(d, 1, "refused %u more connections or frames "
				   "of peers without a session in the last %u s",
				   r->hidden, secs);
		else
			daemon_log(d, 1, "%u more %s in the last %u s, not shown "
				   "one by one", r->hidden, what[k], secs);
		r->start_ms = now;
		r->shown = 0;
		r->hidden = 0;
	}
}
