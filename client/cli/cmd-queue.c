/*
 * cmd-queue.c - the "queue" commands: create, put, get, size, task-done,
 * join, close, delete and list, on the daemon's named queues.
 *
 * put and get are made for shell pipelines. put reads items from stdin,
 * one per line, and sends them in batches (mpd_queue_put_many) so that a
 * million lines cost a thousand round trips, not a million; it sends a
 * batch early whenever stdin has nothing more to read at once, so a slow
 * producer's items are not held back. get prints one item per line, and
 * exits 5 when the queue is empty at its timeout and 6 once it is closed
 * and drained, which ends a "while item=$(mpd-cli queue get q --raw)"
 * loop; a script tells the two apart, and both from not_found (4).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Most items one put_many carries, and about the most bytes. */
#define PUT_BATCH_ITEMS 1000
#define PUT_BATCH_BYTES (256 * 1024)
/* put's read size, and its longest line. */
#define PUT_READ_SIZE (64 * 1024)
#define PUT_LINE_MAX  (64 * 1024 * 1024)

/* One put command's state across its calls. */
struct put {
	struct cli_ctx *ctx;
	const char *name;
	double timeout; /* of every call; -1: as long as it takes */
	json_t *batch; /* the items not sent yet */
	size_t bytes; /* their size as text, about */
	long long maxsize; /* the queue's bound; -1 until asked */
	size_t max_bytes; /* a batch's bytes, after asking */
	long long done; /* items put */
	json_t *size; /* the queue's size after the last call, or NULL */
};

/* Report a failed put, and how many items went in before it. Returns
 * CLI_FAIL. */
static int put_error(const struct put *p, const struct mpd_error *err)
{
	if (p->done == 0)
		return cli_call_error("queue put", err);
	cli_error("queue put: %s (%s), after %lld items were put", err->message,
		  err->name, p->done);
	return CLI_FAIL;
}

/*
 * Learn what bounds a batch: the queue's maxsize (queue.size), and mpdd's
 * max_message (daemon.info; the default when it does not say), of which
 * a batch takes at most half. Returns CLI_OK or the exit status after
 * reporting the failure.
 */
static int put_limits(struct put *p)
{
	json_t *res = NULL, *maxsize, *max_message;
	struct mpd_error err;
	int r;

	r = cli_connect(p->ctx);
	if (r != CLI_OK)
		goto out;
	if (mpd_queue_size(p->ctx->client, p->name, &res, &err) < 0) {
		r = put_error(p, &err);
		goto out;
	}
	maxsize = json_object_get(res, "maxsize");
	if (!json_is_integer(maxsize) || json_integer_value(maxsize) < 0) {
		cli_error("queue put: mpdd sent no maxsize");
		r = CLI_FAIL;
		goto out;
	}
	p->maxsize = json_integer_value(maxsize);
	json_decref(res);
	p->max_bytes = PUT_BATCH_BYTES;
	res = NULL;
	if (mpd_daemon_info(p->ctx->client, &res, &err) < 0 &&
	    (err.code == MPD_E_IO || err.code == MPD_E_TOOBIG)) {
		r = put_error(p, &err);
		goto out;
	}
	max_message =
		json_object_get(json_object_get(res, "limits"), "max_message");
	if (json_is_integer(max_message) &&
	    json_integer_value(max_message) / 2 < PUT_BATCH_BYTES)
		p->max_bytes = (size_t)(json_integer_value(max_message) / 2);
out:
	json_decref(res);
	return r;
}

/* Send the batch: one put for one item, put_many for more. Returns
 * CLI_OK or the exit status after reporting the failure. */
static int put_flush(struct put *p)
{
	size_t n = json_array_size(p->batch);
	struct mpd_error err;
	int r;

	if (n == 0)
		return CLI_OK;
	r = cli_connect(p->ctx);
	if (r != CLI_OK)
		return r;
	if (n == 1)
		r = mpd_queue_put(p->ctx->client, p->name,
				  json_array_get(p->batch, 0), p->timeout,
				  &err);
	else
		r = mpd_queue_put_many(p->ctx->client, p->name, p->batch,
				       p->timeout, &err);
	if (r < 0)
		return put_error(p, &err);
	p->done += (long long)n;
	json_decref(p->size);
	p->size = json_incref(
		json_object_get(mpd_last_result(p->ctx->client), "size"));
	json_array_clear(p->batch);
	p->bytes = 0;
	return CLI_OK;
}

/*
 * Add item (stolen), len bytes as text, to the batch, sending the batch
 * first when it is full. A batch never holds more items than the queue's
 * maxsize, which put_many refuses, nor (unless it is one item) more
 * than half of max_message, which mpdd answers by closing the connection.
 * Returns CLI_OK or the status.
 */
static int put_add(struct put *p, json_t *item, size_t len)
{
	size_t n = json_array_size(p->batch), max = PUT_BATCH_ITEMS;
	int r;

	if (n > 0 && p->maxsize < 0) {
		r = put_limits(p);
		if (r != CLI_OK)
			goto fail;
	}
	if (p->maxsize > 0 && (size_t)p->maxsize < max)
		max = (size_t)p->maxsize;
	if (n >= max || (n > 0 && p->bytes + len > p->max_bytes)) {
		r = put_flush(p);
		if (r != CLI_OK)
			goto fail;
	}
	if (json_array_append_new(p->batch, item) < 0) {
		cli_error("queue put: out of memory");
		return CLI_FAIL;
	}
	p->bytes += len;
	return CLI_OK;
fail:
	json_decref(item);
	return r;
}

/* At most the bytes of s (len bytes) written as a JSON string: an
 * escape takes up to 6 bytes for 1. */
static size_t string_cost(const char *s, size_t len)
{
	size_t cost = len + 2;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			cost += 5;
	}
	return cost;
}

/* True when stdin has something to read (or its end) at once. */
static bool stdin_ready(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0;
}

/* True when line (len bytes) is only white space (or nothing). */
static bool blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return false;
	}
	return true;
}

/*
 * Put one line of stdin (len bytes, without its newline; line lineno):
 * verbatim as a string, or parsed as JSON. Empty lines are skipped, and
 * in JSON all-blank ones. A line that is not an item ends the command,
 * after the lines before it were put. Returns CLI_OK or the status.
 */
static int put_line(struct put *p, const char *line, size_t len,
		    long long lineno, bool string)
{
	json_error_t jerr;
	json_t *item;
	int r;

	if (len == 0 || (!string && blank(line, len)))
		return CLI_OK;
	if (memchr(line, '\0', len) != NULL) {
		item = NULL;
		snprintf(jerr.text, sizeof(jerr.text), "a NUL byte");
	} else if (string) {
		item = json_stringn(line, len);
		snprintf(jerr.text, sizeof(jerr.text), "invalid UTF-8");
	} else {
		item = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
	}
	if (item != NULL)
		return put_add(p, item, string ? string_cost(line, len) : len);
	r = put_flush(p);
	if (r != CLI_OK)
		return r;
	cli_error("queue put: stdin line %lld is not %s: %s; the %lld items "
		  "before it were put",
		  lineno, string ? "a string" : "valid JSON", jerr.text,
		  p->done);
	return CLI_FAIL;
}

/*
 * Put the lines of stdin, sending the batch whenever it is full and
 * whenever stdin has nothing more at once (before read() would block).
 * Returns CLI_OK or the exit status.
 */
static int put_stdin(struct put *p, bool string)
{
	size_t cap = PUT_READ_SIZE, len = 0, start, used;
	char *buf = malloc(cap), *nl, *bigger;
	long long lineno = 0;
	ssize_t n;
	int r = CLI_OK;

	if (buf == NULL)
		goto nomem;
	for (;;) {
		if (json_array_size(p->batch) > 0 && !stdin_ready()) {
			r = put_flush(p);
			if (r != CLI_OK)
				goto out;
		}
		if (len == cap) {
			if (cap >= PUT_LINE_MAX) {
				cli_error("queue put: stdin line %lld is "
					  "longer than %d bytes",
					  lineno + 1, PUT_LINE_MAX);
				r = CLI_FAIL;
				goto out;
			}
			bigger = realloc(buf, cap * 2);
			if (bigger == NULL)
				goto nomem;
			buf = bigger;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("queue put: cannot read stdin: %s",
				  strerror(errno));
			r = CLI_FAIL;
			goto out;
		}
		if (n == 0) { /* the end; a last line may lack its newline */
			if (len > 0)
				r = put_line(p, buf, len, lineno + 1, string);
			goto out;
		}
		start = len;
		len += (size_t)n;
		used = 0;
		while ((nl = memchr(buf + start, '\n', len - start)) != NULL) {
			r = put_line(p, buf + used, (size_t)(nl - buf) - used,
				     ++lineno, string);
			if (r != CLI_OK)
				goto out;
			used = (size_t)(nl - buf) + 1;
			start = used;
		}
		memmove(buf, buf + used, len - used);
		len -= used;
	}
nomem:
	cli_error("queue put: out of memory");
	r = CLI_FAIL;
out:
	free(buf);
	return r;
}

static int cmd_queue_put_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool string = cli_opt_get(ctx, "string") != NULL;
	struct put p = { .ctx = ctx, .name = argv[0], .maxsize = -1 };
	json_t *items = json_array(), *item, *out;
	char what[32];
	size_t i, len;
	int r;

	r = cli_broker_name(ctx, "queue put", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "queue put", "timeout", &p.timeout);
	if (r != CLI_OK)
		goto out;
	p.batch = json_array();
	if (items == NULL || p.batch == NULL)
		goto nomem;
	/* Every ITEM is checked before anything is sent. */
	for (int a = 1; a < argc; a++) {
		if (string) {
			item = json_string(argv[a]);
			if (item == NULL) {
				r = cli_usage_error(ctx->path,
						    "queue put: ITEM %d is not "
						    "valid UTF-8",
						    a);
				goto out;
			}
		} else {
			snprintf(what, sizeof(what), "ITEM %d", a);
			r = cli_parse_json(ctx, "queue put", what, argv[a],
					   &item);
			if (r != CLI_OK)
				goto out;
		}
		if (json_array_append_new(items, item) < 0)
			goto nomem;
	}

	if (argc == 1) {
		r = put_stdin(&p, string);
	} else {
		json_array_foreach (items, i, item) {
			len = strlen(argv[i + 1]);
			r = put_add(&p, json_incref(item),
				    string ? string_cost(argv[i + 1], len) :
					     len);
			if (r != CLI_OK)
				break;
		}
	}
	if (r == CLI_OK)
		r = put_flush(&p);
	if (r == CLI_OK && ctx->json) {
		out = json_pack("{sI}", "put", (json_int_t)p.done);
		if (out == NULL)
			goto nomem;
		if (json_is_integer(p.size))
			json_object_set(out, "size", p.size);
		r = cli_print_json(ctx, out, false);
		json_decref(out);
	}
	goto out;
nomem:
	cli_error("queue put: out of memory");
	r = CLI_FAIL;
out:
	json_decref(p.size);
	json_decref(p.batch);
	json_decref(items);
	return r;
}

/* Print the items (borrowed) a get_many took; *biggest grows to the
 * longest item's JSON text. Returns the number printed (>= 1), or -1
 * after reporting the failure. */
static long long get_print_items(const json_t *items, bool raw, size_t *biggest)
{
	const json_t *item;
	size_t i, len;
	char *text;

	if (json_array_size(items) == 0) {
		cli_error("queue get: mpdd sent no items");
		return -1;
	}
	json_array_foreach (items, i, item) {
		text = cli_json_text(item);
		if (text == NULL) {
			cli_error("queue get: out of memory");
			return -1;
		}
		len = strlen(text);
		if (len > *biggest)
			*biggest = len;
		if (raw && json_is_string(item))
			fwrite(json_string_value(item), 1,
			       json_string_length(item), stdout);
		else
			fwrite(text, 1, len, stdout);
		putchar('\n');
		free(text);
	}
	return (long long)json_array_size(items);
}

/* The limit key of daemon.info (borrowed), or def. */
static long long limit_or(const json_t *info, const char *key, long long def)
{
	const json_t *v = json_object_get(json_object_get(info, "limits"), key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
		       (long long)json_integer_value(v) :
		       def;
}

/*
 * get --count N: queue.get_many until N items came, or a call found the
 * queue empty at the timeout or closed.
 *
 * mpdd drops a connection that has more than max_output bytes of replies
 * unread, one big reply too, and the items in that reply are lost. So a
 * batch asks for as many items as half of max_output holds: at first at
 * the size of the biggest item there may be (max_message), then at the
 * size of the biggest item seen so far. Returns CLI_OK when at least one
 * item was printed, else the status after reporting the failure.
 */
static int get_count(struct cli_ctx *ctx, const char *name, double timeout,
		     long long count, bool raw)
{
	long long got = 0, n, max, budget, max_message;
	json_t *res = NULL;
	size_t biggest = 0;
	struct mpd_error err;

	/* Without daemon.info, the defaults; but a connection lost is
	 * lost. */
	if (mpd_daemon_info(ctx->client, &res, &err) < 0 &&
	    (err.code == MPD_E_IO || err.code == MPD_E_TOOBIG))
		return cli_call_error("queue get", &err);
	budget = limit_or(res, "max_output", MPD_DAEMON_DEFAULT_MAX_OUTPUT) / 2;
	max_message =
		limit_or(res, "max_message", MPD_DAEMON_DEFAULT_MAX_MESSAGE);
	json_decref(res);
	while (got < count) {
		max = budget / (biggest > 0 ? (long long)biggest : max_message);
		if (max > MPD_QUEUE_GET_MANY_MAX)
			max = MPD_QUEUE_GET_MANY_MAX;
		if (max < 1)
			max = 1;
		n = count - got < max ? count - got : max;
		res = NULL;
		if (mpd_queue_get_many(ctx->client, name, (size_t)n, timeout,
				       &res, &err) < 0) {
			if (got > 0 && (err.code == MPD_E_EMPTY ||
					err.code == MPD_E_CLOSED))
				break;
			return cli_call_error("queue get", &err);
		}
		n = get_print_items(res, raw, &biggest);
		json_decref(res);
		if (n < 0)
			return CLI_FAIL;
		got += n;
		/* A reader of a pipe sees each batch as it comes. */
		fflush(stdout);
	}
	return CLI_OK;
}

static int cmd_queue_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	/* With --json, items are always JSON. */
	const bool raw = cli_opt_get(ctx, "raw") != NULL && !ctx->json;
	const char *count_text = cli_opt_get(ctx, "count");
	struct mpd_error err;
	json_t *item = NULL;
	long long count = 0;
	double timeout = -1;
	int r;

	if (count_text != NULL) {
		r = cli_parse_int(ctx, "queue get", "--count", count_text, 1,
				  LLONG_MAX, &count);
		if (r != CLI_OK)
			return r;
	}
	r = cli_broker_name(ctx, "queue get", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "queue get", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (count_text != NULL)
		return get_count(ctx, argv[0], timeout, count, raw);
	if (mpd_queue_get(ctx->client, argv[0], timeout, &item, &err) < 0)
		return cli_call_error("queue get", &err);
	r = cli_print_value("queue get", item, raw);
	json_decref(item);
	return r;
}

static int cmd_queue_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *maxsize_text = cli_opt_get(ctx, "maxsize");
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	long long maxsize = 0;
	int r;

	r = cli_broker_name(ctx, "queue create", argv[0]);
	if (r == CLI_OK && maxsize_text != NULL)
		r = cli_parse_int(ctx, "queue create", "--maxsize",
				  maxsize_text, 0, LLONG_MAX, &maxsize);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_queue_create(ctx->client, argv[0], maxsize, exist_ok, &err);
	return cli_broker_done(ctx, "queue create", r, &err);
}

static int cmd_queue_size_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *info = NULL;
	int r;

	r = cli_broker_name(ctx, "queue size", argv[0]);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_queue_size(ctx->client, argv[0], &info, &err) < 0)
		return cli_call_error("queue size", &err);
	if (ctx->json) {
		r = cli_print_json(ctx, info, false);
	} else if (cli_print_flat("", info) < 0) {
		cli_error("queue size: out of memory");
		r = CLI_FAIL;
	}
	json_decref(info);
	return r;
}

static int cmd_queue_task_done_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "queue task-done", mpd_queue_task_done,
				  argv[0]);
}

static int cmd_queue_join_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const json_t *res;
	struct mpd_error err;
	double timeout = -1;
	int r;

	r = cli_broker_name(ctx, "queue join", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "queue join", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_queue_join(ctx->client, argv[0], timeout, &err);
	/* MPD_E_TIMEOUT with a result: the daemon answered, not done. */
	res = r == MPD_E_TIMEOUT ? mpd_last_result(ctx->client) : NULL;
	if (res == NULL)
		return cli_broker_done(ctx, "queue join", r, &err);
	if (ctx->json)
		cli_print_json(ctx, res, false);
	fflush(stdout);
	cli_error("queue join: %s still has %lld unfinished tasks after %g s",
		  argv[0],
		  (long long)json_integer_value(
			  json_object_get(res, "unfinished")),
		  timeout);
	return CLI_TIMEOUT;
}

static int cmd_queue_close_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "queue close", mpd_queue_close, argv[0]);
}

static int cmd_queue_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "queue delete", mpd_queue_delete,
				  argv[0]);
}

static int cmd_queue_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "SIZE", "size" },
		{ "MAXSIZE", "maxsize" },
		{ "CLOSED", "closed" },
	};

	return cli_broker_list(ctx, "queue list", mpd_queue_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_opt queue_timeout_option[] = {
	{ "timeout", "S", "wait at most S seconds (a number, 0: do not wait)",
	  false },
	{ NULL, NULL, NULL, false },
};

static const struct cli_cmd cli_cmd_queue_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a queue",
	.help = "Creates the queue NAME, bounded by --maxsize (default 0: "
		"unbounded). An existing\nqueue of that name is an error "
		"(exists), or with --exist-ok fine and left as\nit is. Prints "
		"nothing; with --json, the result ({name, maxsize, "
		"created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "maxsize", "N",
			  "hold at most N items; put waits for room", false },
			{ "exist-ok", NULL, "an existing queue is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_queue_create_exec,
};

static const struct cli_cmd cli_cmd_queue_put = {
	.name = "put",
	.usage = "NAME [ITEM...]",
	.summary = "put items at the tail of a queue",
	.help = "Puts each ITEM, a JSON text (7, \"text\", {\"n\": 7}); "
		"with --string, ITEM is\ntaken verbatim as a string. With no "
		"ITEM, puts the lines of stdin, one\nitem a line (the line "
		"without its newline), empty lines skipped, sent in\nbatches: "
		"printf '%s\\n' a b c | mpd-cli queue put jobs --string\n"
		"A line that is not an item stops it (exit 1) after the lines "
		"before it\nwere put. On a bounded queue it waits for room, "
		"each batch at most --timeout\nseconds (then: full, exit 5). "
		"Exit 0 once every item was put. Prints\nnothing; with --json, "
		"{\"put\": N, \"size\": S}, S the queue's size after.",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "string", NULL,
			  "take each item verbatim as a string, not JSON",
			  false },
			{ "timeout", "S",
			  "wait at most S seconds for room (0: do not wait)",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_queue_put_exec,
};

static const struct cli_cmd cli_cmd_queue_get = {
	.name = "get",
	.usage = "NAME [OPTIONS]",
	.summary = "take items from the head of a queue",
	.help = "Takes one item and prints it as compact JSON on one line; "
		"with --raw, a string\nitem is printed as its text (no quotes, "
		"no escapes). Waits for an item as long\nas it takes, or at "
		"most --timeout seconds. With --count N, takes up to N\nitems, "
		"one a line, in batches: it stops early when a batch finds the "
		"queue\nempty at the timeout, or closed; without --timeout it "
		"waits for all N.\nExit 5 when the queue was empty at the "
		"timeout, 6 once it is closed and\ndrained, 4 when there is no "
		"such queue, so a worker's loop can end on\nclosed and fail on "
		"anything else:\n"
		"  while :; do\n"
		"    job=$(mpd-cli queue get jobs --raw) || "
		"{ [ $? -eq 6 ] && break; exit 1; }\n"
		"    ...\n"
		"  done\n"
		"With --json, items are always JSON.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "count", "N", "take up to N items, one a line",
			  false },
			{ "timeout", "S",
			  "wait at most S seconds for an item (0: do not "
			  "wait)",
			  false },
			{ "raw", NULL, "print string items as their raw text",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_queue_get_exec,
};

static const struct cli_cmd cli_cmd_queue_size = {
	.name = "size",
	.usage = "NAME",
	.summary = "show a queue's size and state",
	.help = "Prints queue.size as \"key: value\" lines: size, maxsize, "
		"unfinished (tasks\nnot yet task-done), getters and putters "
		"(waiting), closed, bytes.\nWith --json, prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_queue_size_exec,
};

static const struct cli_cmd cli_cmd_queue_task_done = {
	.name = "task-done",
	.usage = "NAME",
	.summary = "mark one task of a queue done",
	.help = "Every item put counts as an unfinished task until a "
		"task-done (as Python's\nJoinableQueue); join waits for none "
		"to be left. More task-done calls than\nitems put is an error "
		"(invalid_state). Prints nothing; with --json, the\nresult "
		"({unfinished}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_queue_task_done_exec,
};

static const struct cli_cmd cli_cmd_queue_join = {
	.name = "join",
	.usage = "NAME [--timeout S]",
	.summary = "wait until a queue's tasks are done",
	.help = "Waits until every item put was marked task-done, or at most "
		"S seconds.\nExit 0 when they are all done, 1 when the "
		"timeout passed first. Prints\nnothing; with --json, the "
		"result ({done, unfinished}).",
	.min_args = 1,
	.max_args = 1,
	.options = queue_timeout_option,
	.exec = cmd_queue_join_exec,
};

static const struct cli_cmd cli_cmd_queue_close = {
	.name = "close",
	.usage = "NAME",
	.summary = "close a queue to puts",
	.help = "No more puts: they fail with closed. Getters drain what is "
		"left, then fail\nwith closed. Closing twice is fine. Prints "
		"nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_queue_close_exec,
};

static const struct cli_cmd cli_cmd_queue_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a queue and its items",
	.help = "The queue and its items are gone; every waiting caller gets "
		"closed.\nPrints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_queue_delete_exec,
};

static const struct cli_cmd cli_cmd_queue_list = {
	.name = "list",
	.usage = "",
	.summary = "list the queues",
	.help = "Prints a table of the queues in name order: NAME SIZE "
		"MAXSIZE CLOSED\n(MAXSIZE 0: unbounded). With --json, prints "
		"the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_queue_list_exec,
};

static const struct cli_cmd *const queue_commands[] = {
	&cli_cmd_queue_create,	  &cli_cmd_queue_put,
	&cli_cmd_queue_get,	  &cli_cmd_queue_size,
	&cli_cmd_queue_task_done, &cli_cmd_queue_join,
	&cli_cmd_queue_close,	  &cli_cmd_queue_delete,
	&cli_cmd_queue_list,	  NULL,
};

const struct cli_cmd cli_cmd_queue = {
	.name = "queue",
	.usage = "COMMAND",
	.summary = "the daemon's named queues",
	.help = "FIFO queues that live in mpdd, shared by every client: "
		"Python's Queue and\nJoinableQueue. Items are JSON values.",
	.subcommands = queue_commands,
};
