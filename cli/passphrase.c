/*
 * passphrase: reading the passphrase that seals the member's key file,
 * and unlocking the home with it. The passphrase comes from an
 * environment variable (STOA_PASSPHRASE; STOA_NEW_PASSPHRASE for a new
 * one) or, failing that, from the controlling terminal with echo off
 * (termios on /dev/tty, so stdin and stdout stay free for the command's
 * own text). It lives only in a fixed array (struct cli_pass) that the
 * caller wipes with cli_pass_wipe on every path; it is never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

void cli_pass_wipe(struct cli_pass *p)
{
	bytes_wipe(p, sizeof(*p));
}

static int from_env(const char *env, struct cli_pass *p, struct err *e)
{
	const char *v = getenv(env);
	size_t n = strnlen(v, KEY_PASSPHRASE_MAX + 1);

	if (n > KEY_PASSPHRASE_MAX)
		return err_set(e, STOA_EINVAL, "%s is too long (at most %d "
			       "bytes)", env, KEY_PASSPHRASE_MAX);
	memcpy(p->s, v, n);
	p->s[n] = '\0';
	p->len = n;
	return 0;
}

/* The signal that interrupted a prompt, re-raised once echo is back. */
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/*
 * One line from the terminal fd with echo off, without its newline. A
 * line longer than KEY_PASSPHRASE_MAX is read to its end and refused.
 */
static int read_line(int fd, const char *prompt, struct cli_pass *p,
		     struct err *e)
{
	struct sigaction sa, old[NSIGNALS];
	struct termios saved, quiet;
	size_t n = 0, i;
	int rc = 0, too_long = 0, restore;
	char ch;

	p->len = 0;
	restore = tcgetattr(fd, &saved) == 0;
	/* a signal must not leave the terminal without echo: catch it,
	 * restore, then raise it again */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	caught = 0;
	for (i = 0; i < NSIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);
	if (restore) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* the prompt is a courtesy; the line is what matters */
	}
	for (;;) {
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR && !caught)
			continue;
		if (r < 0) {
			rc = caught ? err_set(e, STOA_EINVAL, "interrupted")
				    : err_set(e, STOA_EIO, "cannot read the "
					      "passphrase: %s", strerror(errno));
			break;
		}
		if (r == 0 || ch == '\n')
			break;
		if (n < KEY_PASSPHRASE_MAX)
			p->s[n++] = ch;
		else
			too_long = 1;
	}
	bytes_wipe(&ch, sizeof(ch));
	p->s[n] = '\0';
	p->len = n;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* echo was off: end the prompt's line, best effort */
	}
	for (i = 0; i < NSIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	if (caught) {
		cli_pass_wipe(p);
		raise(caught);
	}
	if (rc == 0 && too_long)
		rc = err_set(e, STOA_EINVAL, "passphrase is too long (at most "
			     "%d bytes)", KEY_PASSPHRASE_MAX);
	return rc;
}

int cli_read_pass(const char *env, const char *prompt, int confirm,
		  struct cli_pass *p, struct err *e)
{
	struct cli_pass again;
	int fd, rc;

	memset(p, 0, sizeof(*p));
	if (getenv(env) && getenv(env)[0])
		rc = from_env(env, p, e);
	else if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return err_set(e, STOA_EPERM, "cannot ask for the %s: no "
			       "terminal (set %s)", prompt, env);
	else {
		char line[128];

		snprintf(line, sizeof(line), "%s: ", prompt);
		rc = read_line(fd, line, p, e);
		if (rc == 0 && confirm) {
			memset(&again, 0, sizeof(again));
			rc = read_line(fd, "again, to confirm: ", &again, e);
			if (rc == 0 && (again.len != p->len ||
					!bytes_equal(again.s, p->s, p->len)))
				rc = err_set(e, STOA_EINVAL, "the two "
					     "passphrases differ");
			cli_pass_wipe(&again);
		}
		close(fd);
	}
	if (rc == 0 && p->len == 0)
		rc = err_set(e, STOA_EINVAL, "the passphrase is empty");
	if (rc < 0)
		cli_pass_wipe(p);
	return rc;
}

int cli_unlock(struct cli *c, struct err *e)
{
	char prompt[128];
	struct cli_pass p;
	int rc;

	rc = cli_open(c, e);
	if (rc < 0 || !c->home.locked)
		return rc;
	/* on a shared laptop, say whose key is asked for */
	if (c->as_name[0])
		snprintf(prompt, sizeof(prompt), "passphrase of %s's key",
			 c->as_name);
	else
		snprintf(prompt, sizeof(prompt), "passphrase of your key");
	rc = cli_read_pass(CLI_PASS_ENV, prompt, 0, &p, e);
	if (rc == 0)
		rc = home_unlock(&c->home, p.s, p.len, e);
	cli_pass_wipe(&p);
	return rc;
}
