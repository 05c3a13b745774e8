/*
 * daemon_setup: how the daemon starts and stops. Starting takes the
 * home's lock (serve.lock, an OFD lock: one daemon per home), derives the
 * keys, blocks SIGINT/SIGTERM into a signalfd, opens the ZeroMQ context
 * and the sockets (ZAP handler, listening ROUTER, control socket), writes
 * serve.endpoint, dials the static peers and starts discovery. Stopping
 * undoes all of it in order, lets discovery say goodbye, wipes the keys
 * and removes the files of a running daemon. A full disk never keeps the
 * node from serving: serve.endpoint is written again later.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon_int.h"

/* glibc's M_MMAP_THRESHOLD for the daemon (its default, made fixed) */
#define DAEMON_MMAP_THRESHOLD (128 * 1024)

/* Takes the home's daemon lock; STOA_EBUSY if another daemon has it. */
static int lock_home(struct daemon *d, struct err *e)
{
	char path[HOME_PATH_MAX];
	struct flock fl;
	int rc;

	if ((rc = home_path(d->h->dir, HOME_SERVE_LOCK_FILE, path, e)) < 0)
		return rc;
	d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0)
		return err_set(e, STOA_EIO, "cannot open '%s': %s", path,
			       strerror(errno));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(d->lockfd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return err_set(e, STOA_EBUSY, "another stoa serve is "
				       "running on '%s'", d->h->dir);
		return err_set(e, STOA_EIO, "cannot lock '%s': %s", path,
			       strerror(errno));
	}
	return 0;
}

/* Writes the bound endpoint where tests and `stoa status` read it. */
static int write_endpoint(struct daemon *d, struct err *e)
{
	char tmp[HOME_PATH_MAX + 8];
	FILE *f;
	int rc;

	if ((rc = home_path(d->h->dir, DAEMON_ENDPOINT_FILE, d->endpoint_path,
			    e)) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->endpoint_path);
	f = fopen(tmp, "w");
	if (!f)
		return err_set(e, STOA_EIO, "cannot write '%s': %s", tmp,
			       strerror(errno));
	fprintf(f, "%s\n", d->bound);
	if (fclose(f) != 0 || rename(tmp, d->endpoint_path) < 0) {
		unlink(tmp);
		return err_set(e, STOA_EIO, "cannot write '%s': %s",
			       d->endpoint_path, strerror(errno));
	}
	return 0;
}

/* Quietly, every DAEMON_STORE_RETRY_MS; one line when it works. */
void daemon_endpoint_retry(struct daemon *d)
{
	struct err e;

	if (!d->endpoint_retry_ms || clock_mono_ms() < d->endpoint_retry_ms)
		return;
	err_clear(&e);
	if (write_endpoint(d, &e) < 0) {
		d->endpoint_retry_ms = clock_mono_ms() + DAEMON_STORE_RETRY_MS;
		return;
	}
	d->endpoint_retry_ms = 0;
	daemon_log(d, 1, "wrote %s", d->endpoint_path);
}

/*
 * Big buffers (a run of up to 1 MiB, queued by libzmq) are mapped and
 * given back to the system when freed, instead of glibc's default that
 * raises the threshold after the first ones are freed and keeps them in
 * the heap, where a burst of them stays in the RSS for good. And room for
 * the connections a node is sent (the soft limit is often 1024), within
 * DAEMON_FILES_MAX: each connection libzmq keeps open costs about 50 KB.
 */
void daemon_process_limits(void)
{
	struct rlimit rl;

	mallopt(M_MMAP_THRESHOLD, DAEMON_MMAP_THRESHOLD);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < DAEMON_FILES_MAX && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < DAEMON_FILES_MAX ? rl.rlim_max
							     : DAEMON_FILES_MAX;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* SIGINT and SIGTERM arrive only on a signalfd; SIGPIPE is ignored. */
static int watch_signals(struct daemon *d, struct err *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &d->old_mask) < 0 ||
	    (d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return err_set(e, STOA_EIO, "cannot watch signals: %s",
			       strerror(errno));
	d->old_pipe = signal(SIGPIPE, SIG_IGN);
	d->signals = 1;
	return 0;
}

/* The ZAP handler, the listening ROUTER, and serve.endpoint. */
static int listen_on(struct daemon *d, struct err *e)
{
	int rc;

	/* before the listening socket: libzmq asks it about every
	 * handshake there */
	if ((rc = transport_zap_listen(d->ctx, &d->zap, e)) < 0)
		return rc;
	if ((rc = transport_listen(d->ctx, &d->keys, d->o->listen, &d->router,
				   d->bound, sizeof(d->bound), e)) < 0)
		return rc;
	daemon_log(d, 0, "listening on %s", d->bound);
	if (write_endpoint(d, e) < 0) {
		/* a full disk must not keep the node from serving and
		 * relaying what it holds: say so, try again */
		daemon_log(d, 1, "%s; serving anyway, trying again every %d s",
			   e->msg, DAEMON_STORE_RETRY_MS / 1000);
		err_clear(e);
		d->endpoint_retry_ms = clock_mono_ms() + DAEMON_STORE_RETRY_MS;
	}
	return 0;
}

int daemon_setup(struct daemon *d, struct err *e)
{
	size_t i;
	int rc;

	if (!d->o->once && (rc = lock_home(d, e)) < 0)
		return rc;
	d->rp.store = d->h->store;
	d->rp.grew = daemon_grew;
	d->rp.arg = d;
	if ((rc = epoch_keys_init(d, e)) < 0)
		return rc;
	buf_init(&d->scratch, MSG_MAX);
	replica_ops_init(&d->ops, peer_send);
	if ((rc = watch_signals(d, e)) < 0)
		return rc;
	store_busy_timeout(d->h->store, DAEMON_BUSY_MS);
	d->ctx = transport_ctx_new();
	if (!d->ctx)
		return err_set(e, STOA_EIO, "cannot start ZeroMQ");
	if (d->o->listen && (rc = listen_on(d, e)) < 0)
		return rc;
	if (!d->o->once && (rc = control_open(d, e)) < 0)
		return rc;
	for (i = 0; i < d->o->npeers; i++)
		if (!peer_dial(d, d->o->peers[i], PEER_STATIC, 0, e))
			return e->code;
	/* serve finds the nodes it may dial and is found; a sync --lan
	 * only finds them */
	if (((!d->o->once && d->router) || d->o->lan_wait_ms) &&
	    d->o->discovery != DISCOVERY_OFF && (rc = dial_start(d, e)) < 0)
		return rc;
	return 0;
}

void daemon_teardown(struct daemon *d)
{
	size_t i;

	ratelog_tick(d, 1);
	dial_stop(d);

	for (i = 0; i < DAEMON_PEERS_MAX; i++)
		if (d->peers[i].state != PEER_FREE)
			peer_free(&d->peers[i]);
	transport_close(d->router);
	transport_close(d->zap);
	transport_close(d->control);
	transport_ctx_free(d->ctx);
	if (d->endpoint_path[0])
		unlink(d->endpoint_path);
	if (d->control_path[0])
		unlink(d->control_path);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->lockfd >= 0)
		close(d->lockfd);
	buf_release(&d->scratch);
	epoch_keys_wipe(d);
	store_busy_timeout(d->h->store, STORE_BUSY_TIMEOUT_MS);
	if (d->signals) {
		signal(SIGPIPE, d->old_pipe);
		sigprocmask(SIG_SETMASK, &d->old_mask, NULL);
	}
}
