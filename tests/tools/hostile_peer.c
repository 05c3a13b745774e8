/*
 * hostile_peer: a member of a community that misbehaves on the wire, for
 * tests/integration/t14-hostile.sh. It dials a node with the keys of a
 * member home (so it gets through CURVE and, when it wants, HELLO), plays
 * one kind of misbehaviour, then reads the node's replies for a while and
 * prints one line "error: TEXT" per ERROR the node sent back.
 *
 *   hostile_peer --home DIR --endpoint E --mode MODE [--wait MS]
 *
 * Modes:
 *   garbage    5 frames of random bytes (never a stoa header)
 *   badhello   a HELLO whose auth is wrong
 *   truncated  a proper HELLO, then an ENTRIES frame of its own feed cut
 *              short
 *   forged     a proper HELLO (digest of zeros) and a FRONTIER announcing
 *              its own feed one entry beyond DIR's head; it answers the
 *              node's WANT with a run ending in that new entry, one bit of
 *              whose signature is flipped
 *   fork       the same, but the run it serves starts with a second,
 *              validly signed, different entry at DIR's head seq (the node
 *              already holds the real one): a fork
 *   errortext  a proper HELLO, then an ERROR whose text is made to attack
 *              the terminal of whoever reads the node's log: ESC
 *              sequences, BEL, CR, C1 controls (UTF-8 and raw 8-bit CSI),
 *              a right-to-left override, invalid UTF-8 (msg_put_error
 *              would clean it, so the frame is built by hand)
 * forged and fork need the node to hold DIR's whole feed (sync first).
 *
 * Exit 0 once it has played its part (whatever the node answered), 1 if
 * it could not (no home, no WANT came in forged/fork mode), 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "community.h"
#include "home.h"
#include "msg.h"
#include "repl.h"
#include "store.h"
#include "transport.h"

#define WAIT_DEFAULT_MS 3000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static __attribute__((noreturn)) void die(const char *what, const struct err *e)
{
	fprintf(stderr, "hostile_peer: %s%s%s\n", what, e && e->msg[0] ? ": " : "",
		e ? e->msg : "");
	exit(1);
}

static void send_buf(void *sock, struct buf *b, size_t len)
{
	struct err e = { 0 };

	if (transport_send(sock, NULL, 0, b->data, len, &e) < 0)
		die("send", &e);
}

/* The entry at seq of author in s: its signed bytes decoded into en. */
static void read_entry(struct store *s, const uint8_t author[KEY_PUBLIC_LEN],
		       uint64_t seq, struct entry *en)
{
	struct buf b;
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;
	struct err e = { 0 };

	buf_init(&b, MSG_MAX);
	if (store_read_run(s, &b, author, seq, 1, &e) < 0 ||
	    msg_decode(&m, b.data, b.len, &e) < 0)
		die("read own entry", &e);
	msg_run_iter_init(&it, &m);
	if (!msg_run_next(&it, &re))
		die("own entry missing", NULL);
	if (entry_decode(en, re.signed_bytes, ENTRY_SIGNED_LEN, &e) < 0)
		die("decode own entry", &e);
	buf_release(&b);
}

struct bad_run {
	/* fork: a second version of entry `head` then `head + 1` chained on
	 * it; forged: `head + 1` with a flipped signature bit. */
	struct entry en[2];
	char payload[2][128];
	size_t plen[2];
	int n;
	uint64_t first;
};

static void make_entry(struct bad_run *r, int i, const struct key *k,
		       uint64_t seq, const uint8_t *prev, const char *body)
{
	struct err e = { 0 };

	r->plen[i] = (size_t)snprintf(r->payload[i], sizeof(r->payload[i]),
				      "{\"body\":\"%s\",\"topic\":\"general\"}",
				      body);
	if (entry_create(&r->en[i], k, ENTRY_KIND_POST, seq, prev,
			 (uint64_t)time(NULL) * 1000u + (uint64_t)i,
			 r->payload[i], r->plen[i], &e) < 0)
		die("entry_create", &e);
}

/* Re-derives the id after the signature bytes changed. */
static void flip_sig_bit(struct entry *en)
{
	en->signed_bytes[ENTRY_SIG_OFFSET + 17] ^= 0x04;
	en->sig[17] ^= 0x04;
	hash_blake2b(en->id, en->signed_bytes, ENTRY_SIGNED_LEN);
}

static void build_bad_run(struct bad_run *r, struct home *h, int fork,
			  uint64_t head)
{
	struct entry held;

	memset(r, 0, sizeof(*r));
	if (fork) {
		const uint8_t *prev = NULL;
		struct entry before;

		if (head == 0)
			die("fork: the home's feed is empty", NULL);
		if (head > 1) {
			read_entry(h->store, h->key.pk, head - 1, &before);
			prev = before.id;
		}
		make_entry(r, 0, &h->key, head, prev, "the other side of a fork");
		make_entry(r, 1, &h->key, head + 1, r->en[0].id,
			   "built on the fork");
		r->n = 2;
		r->first = head;
	} else {
		read_entry(h->store, h->key.pk, head, &held);
		make_entry(r, 0, &h->key, head + 1, held.id, "forged");
		flip_sig_bit(&r->en[0]);
		r->n = 1;
		r->first = head + 1;
	}
}

/* An ENTRIES frame of the bad run, with the held entries from `from` up
 * to the run's first in front of it (what the node asked for). */
static void send_bad_run(void *sock, struct home *h, const struct bad_run *r,
			 uint64_t from)
{
	struct buf b, held;
	struct err e = { 0 };
	struct msg m;
	struct msg_run_iter it;
	struct msg_run_entry re;
	uint64_t first = from < r->first ? from : r->first;
	int i;

	buf_init(&b, MSG_MAX);
	buf_init(&held, MSG_MAX);
	if (msg_entries_begin(&b, h->key.pk, first) < 0)
		die("entries_begin", NULL);
	if (first < r->first) {
		if (store_read_run(h->store, &held, h->key.pk, first,
				   (uint32_t)(r->first - first), &e) < 0 ||
		    msg_decode(&m, held.data, held.len, &e) < 0)
			die("read own run", &e);
		msg_run_iter_init(&it, &m);
		while (msg_run_next(&it, &re))
			if (msg_entries_add(&b, re.signed_bytes, re.payload,
					    re.plen) < 0)
				die("entries_add", NULL);
	}
	for (i = 0; i < r->n; i++)
		if (msg_entries_add(&b, r->en[i].signed_bytes, r->payload[i],
				    (uint32_t)r->plen[i]) < 0)
			die("entries_add", NULL);
	msg_entries_end(&b);
	send_buf(sock, &b, b.len);
	buf_release(&b);
	buf_release(&held);
}

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: hostile_peer --home DIR --endpoint E --mode "
		"garbage|badhello|truncated|forged|fork|errortext [--wait MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'm' },
		{ "wait", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *endpoint = NULL, *mode = NULL;
	uint8_t hello_key[32], auth[HASH_LEN], zeros[HASH_LEN] = { 0 };
	struct transport_keys tk;
	struct bad_run run;
	struct home h;
	struct buf b;
	struct err e = { 0 };
	uint64_t head = 0, deadline, linger_until = 0;
	long wait_ms = WAIT_DEFAULT_MS;
	int opt, expect_errors = 0, errors = 0, answered = 0;
	int attack; /* 0 garbage, 1 badhello, 2 truncated, 3 forged, 4 fork,
		     * 5 errortext */
	void *ctx, *sock = NULL;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'H': dir = optarg; break;
		case 'e': endpoint = optarg; break;
		case 'm': mode = optarg; break;
		case 'w': wait_ms = atol(optarg); break;
		default: usage();
		}
	}
	if (!dir || !endpoint || !mode || optind != argc || wait_ms < 1)
		usage();
	if (!strcmp(mode, "garbage"))
		attack = 0, expect_errors = REPL_STRIKES_MAX;
	else if (!strcmp(mode, "badhello"))
		attack = 1;
	else if (!strcmp(mode, "truncated"))
		attack = 2, expect_errors = 1;
	else if (!strcmp(mode, "forged"))
		attack = 3, expect_errors = 1;
	else if (!strcmp(mode, "fork"))
		attack = 4, expect_errors = 1;
	else if (!strcmp(mode, "errortext"))
		attack = 5;
	else
		usage();

	if (key_lib_init() < 0)
		die("libsodium", NULL);
	if (home_open(&h, dir, &e) < 0)
		die("home_open", &e);
	if (store_head(h.store, h.key.pk, &head, NULL, &e) < 0)
		die("store_head", &e);
	if (transport_keys_init(&tk, &h.key, &h.community, &e) < 0)
		die("keys", &e);
	community_derive(&h.community, COMMUNITY_KEY_HELLO, hello_key);
	repl_hello_auth(hello_key, h.key.pk, auth);
	bytes_wipe(hello_key, sizeof(hello_key));
	if (!(ctx = transport_ctx_new()) ||
	    transport_dial(ctx, &tk, endpoint, &sock, &e) < 0)
		die("dial", &e);
	buf_init(&b, MSG_MAX);

	switch (attack) {
	case 0: {
		int i;

		for (i = 0; i < 5; i++) {
			uint8_t junk[200];
			size_t len = 1 + (size_t)(rand() % (int)sizeof(junk));

			random_bytes(junk, len);
			if (junk[0] == MSG_MAGIC0)
				junk[0] ^= 0xff;
			buf_reset(&b);
			buf_append(&b, junk, len);
			send_buf(sock, &b, b.len);
		}
		break;
	}
	case 1:
		auth[5] ^= 0x01;
		if (msg_put_hello(&b, h.key.pk, auth, zeros, 1, 0) < 0)
			die("hello", NULL);
		send_buf(sock, &b, b.len);
		break;
	case 2: {
		struct buf run_frame;

		if (msg_put_hello(&b, h.key.pk, auth, zeros, 0, 0) < 0)
			die("hello", NULL);
		send_buf(sock, &b, b.len);
		buf_init(&run_frame, MSG_MAX);
		if (store_read_run(h.store, &run_frame, h.key.pk, 1, 5, &e) < 0)
			die("read own run", &e);
		if (run_frame.len < 60)
			die("own feed is empty", NULL);
		/* cut in the middle of the last entry */
		send_buf(sock, &run_frame, run_frame.len - 40);
		buf_release(&run_frame);
		break;
	}
	case 5: {
		static const char text[] =
			"HOSTILE\x1b[2J\x1b]0;title\x07\rcr\xc2\x9b" "31m"
			"\x9b" "1m\xe2\x80\xaerlo\xff\xfe end";
		uint8_t hdr[8] = { MSG_MAGIC0, MSG_MAGIC1, MSG_VERSION,
				   MSG_ERROR, 0, 5, 0, sizeof(text) - 1 };

		if (msg_put_hello(&b, h.key.pk, auth, zeros, 0, 0) < 0)
			die("hello", NULL);
		send_buf(sock, &b, b.len);
		buf_reset(&b);
		buf_append(&b, hdr, sizeof(hdr));
		buf_append(&b, text, sizeof(text) - 1);
		send_buf(sock, &b, b.len);
		break;
	}
	case 3:
	case 4: {
		struct msg_head fh;

		build_bad_run(&run, &h, attack == 4, head);
		if (msg_put_hello(&b, h.key.pk, auth, zeros, 1, 0) < 0)
			die("hello", NULL);
		send_buf(sock, &b, b.len);
		memcpy(fh.author, h.key.pk, KEY_PUBLIC_LEN);
		fh.seq = run.en[run.n - 1].seq;
		memcpy(fh.id, run.en[run.n - 1].id, ENTRY_ID_LEN);
		buf_reset(&b);
		if (msg_put_frontier(&b, 0, &fh, 1) < 0)
			die("frontier", NULL);
		send_buf(sock, &b, b.len);
		break;
	}
	}

	/* Read what the node says back for a while. */
	deadline = now_ms() + (uint64_t)wait_ms;
	for (;;) {
		struct transport_frame f;
		struct msg m;
		struct err de = { 0 };
		int ready = 0, rc;
		uint64_t t = now_ms(), end = deadline;

		if (linger_until && linger_until < end)
			end = linger_until;
		if (t >= end)
			break;
		rc = transport_poll(&sock, 1, NULL, 0, (int)(end - t), &ready,
				    &de);
		if (rc < 0)
			die("poll", &de);
		if (!ready)
			continue;
		while ((rc = transport_recv(sock, 0, &f, &de)) == 1) {
			if (msg_decode(&m, f.data, f.len, &de) == 0) {
				if (m.type == MSG_ERROR) {
					printf("error: %s\n", m.u.error.text);
					fflush(stdout);
					errors++;
				} else if (m.type == MSG_WANT && (attack == 3 || attack == 4) &&
					   !answered &&
					   !memcmp(m.u.want.author, h.key.pk,
						   KEY_PUBLIC_LEN)) {
					send_bad_run(sock, &h, &run,
						     m.u.want.from);
					answered = 1;
				}
			}
			transport_frame_release(&f);
		}
		if (rc < 0)
			die("recv", &de);
		/* what was expected came: a little longer for any more */
		if (expect_errors && errors >= expect_errors && !linger_until)
			linger_until = now_ms() + 300;
	}
	transport_close(sock);
	transport_ctx_free(ctx);
	transport_keys_wipe(&tk);
	buf_release(&b);
	home_close(&h);
	if ((attack == 3 || attack == 4) && !answered) {
		fprintf(stderr, "hostile_peer: the node never sent a WANT\n");
		return 1;
	}
	return 0;
}
