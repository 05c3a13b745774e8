/*
 * post and reply: the two ways to write a post entry. A post has a topic
 * (default "general"), an optional title and a body; a reply names its
 * parent post in "reply_to" and takes the parent's topic, so a thread
 * never spans topics. The body comes from the command line or, for "-",
 * from stdin, bounded by ENTRY_MAX_PAYLOAD before anything is built. Both
 * print the new entry's id alone on a line and nothing else on stdout.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "payload.h"
#include "view.h"

#define POST_TOPIC_DEFAULT "general"

static const char post_usage[] =
	"usage: stoa post [--topic TOPIC] [--title TITLE] TEXT|-";

static const char post_help[] =
	"usage: stoa post [--topic TOPIC] [--title TITLE] TEXT|-\n"
	"\n"
	"Writes a post and prints its id. TEXT '-' reads the body from stdin\n"
	"(at most 32768 bytes). Put '--' before a TEXT that starts with '-'.\n"
	"\n"
	"  --topic TOPIC   the topic (default \"general\"; at most 64 bytes)\n"
	"  --title TITLE   an optional title (one line, at most 200 bytes)\n";

static const char reply_usage[] = "usage: stoa reply ID TEXT|-";

static const char reply_help[] =
	"usage: stoa reply ID TEXT|-\n"
	"\n"
	"Replies to the post ID (a unique id prefix of 8 or more hex\n"
	"characters) and prints the reply's id. The reply takes the post's\n"
	"topic. TEXT '-' reads the body from stdin (at most 32768 bytes).\n";

/* Builds {topic, title?, body, reply_to?} and appends it. */
static int write_post(struct cli *c, const char *topic, const char *title,
		      const char *body, const uint8_t *reply_to,
		      struct err *e)
{
	json_t *o = json_object();
	int rc;

	if (!o)
		return err_set(e, STOA_ENOMEM, "out of memory");
	rc = cli_set_str(o, "topic", topic, e);
	if (rc == 0 && title)
		rc = cli_set_str(o, "title", title, e);
	if (rc == 0)
		rc = cli_set_str(o, "body", body, e);
	if (rc == 0 && reply_to)
		rc = cli_set_hex(o, "reply_to", reply_to, ENTRY_ID_LEN, e);
	if (rc == 0)
		rc = cli_append(c, ENTRY_KIND_POST, o, NULL, e);
	json_decref(o);
	return rc;
}

int cmd_post(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "title", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *topic = POST_TOPIC_DEFAULT, *title = NULL;
	char *body = NULL;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': topic = optarg; break;
		case 'T': title = optarg; break;
		case 'h': return cli_help(post_help);
		default: return cli_bad_option(ch, argv, opts, post_usage);
		}
	}
	if (optind == argc)
		return cli_usage(post_usage, "missing TEXT");
	if (argc - optind > 1)
		return cli_usage(post_usage, "too many arguments (quote the "
				 "TEXT)");

	err_clear(&e);
	rc = cli_check_line("topic", topic, PAYLOAD_TOPIC_MAX, 0, &e);
	if (rc == 0 && title)
		rc = cli_check_line("title", title, PAYLOAD_TITLE_MAX, 1, &e);
	if (rc == 0)
		rc = cli_read_text("post", argv[optind], &body, &e);
	if (rc == 0)
		rc = write_post(c, topic, title && title[0] ? title : NULL,
				body, NULL, &e);
	free(body);
	return cli_finish(rc, &e, post_usage);
}

int cmd_reply(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char topic[PAYLOAD_TOPIC_MAX + 1];
	uint8_t parent[ENTRY_ID_LEN], kind = 0;
	char *body = NULL;
	struct err e;
	int ch, rc;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': return cli_help(reply_help);
		default: return cli_bad_option(ch, argv, opts, reply_usage);
		}
	}
	if (argc - optind < 2)
		return cli_usage(reply_usage, argc - optind ? "missing TEXT"
				 : "missing ID and TEXT");
	if (argc - optind > 2)
		return cli_usage(reply_usage, "too many arguments (quote the "
				 "TEXT)");

	err_clear(&e);
	rc = cli_read_text("reply", argv[optind + 1], &body, &e);
	if (rc == 0)
		rc = cli_resolve_id(c, argv[optind], parent, &kind, &e);
	if (rc == 0 && kind != ENTRY_KIND_POST)
		rc = err_set(&e, STOA_EINVAL, "'%s' is not a post (it is a %s)",
			     argv[optind], entry_kind_name(kind));
	if (rc == 0)
		rc = view_post_topic(c->home.store, parent, topic,
				     sizeof(topic), &e);
	if (rc == 0)
		rc = write_post(c, topic, NULL, body, parent, &e);
	free(body);
	return cli_finish(rc, &e, reply_usage);
}
