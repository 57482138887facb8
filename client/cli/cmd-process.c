/*
 * cmd-process.c - the commands about existing process records: "ps",
 * "info", "join", "wait", "terminate", "kill", "signal" and "close", and the
 * helpers that cmd-run.c shares with them.
 *
 * A process is named on the command line as ID|NAME: all digits is an id,
 * anything else a name, which mpd_process_lookup() turns into the id.
 * Each command is then one libmpd call; human output is short (a table,
 * "key: value" lines, one state line, or nothing for the signalling
 * commands) and --json prints the daemon's whole result as it came
 * (mpd_last_result()).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Columns of ps. */
enum ps_col {
	PS_ID,
	PS_NAME,
	PS_PID,
	PS_STATE,
	PS_EXITCODE,
	PS_AGE,
	PS_COMMAND,
	PS_NCOLS,
};

static const char *const ps_headers[PS_NCOLS] = {
	"ID", "NAME", "PID", "STATE", "EXITCODE", "AGE", "COMMAND",
};

/* Returns 0 after setting o[key] to v (stolen), or -1 (v NULL: no memory,
 * or a string that is not UTF-8). */
int cli_json_set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

/* Returns CLI_OK with *id, the process arg names (connecting to look a
 * name up), or the exit status after reporting why not. */
int cli_proc_id(struct cli_ctx *ctx, const char *cmd, const char *arg,
		int64_t *id)
{
	struct mpd_error err;
	long long n;
	char *end;
	json_t *v;
	int r;

	if (arg[0] == '\0')
		return cli_usage_error(ctx->path, "%s: ID|NAME is empty", cmd);
	if (strspn(arg, "0123456789") == strlen(arg)) {
		errno = 0;
		n = strtoll(arg, &end, 10);
		if (errno == ERANGE || n < 1)
			return cli_usage_error(ctx->path,
					       "%s: id %s is out of range", cmd,
					       arg);
		*id = n;
		return CLI_OK;
	}
	v = json_string(arg);
	if (v == NULL) /* or out of memory, which is rarer */
		return cli_usage_error(ctx->path, "%s: NAME is not valid UTF-8",
				       cmd);
	json_decref(v);
	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_process_lookup(ctx->client, arg, id, &err) < 0)
		return cli_proc_error(cmd, &err);
	return CLI_OK;
}

/* Print the last call's whole result with --json. Returns CLI_OK or the
 * exit status. */
static int print_result(struct cli_ctx *ctx)
{
	return ctx->json ? cli_print_json(ctx, mpd_last_result(ctx->client),
					  false) :
			   CLI_OK;
}

/*
 * Parse text as a number of seconds >= 0 into *secs: decimal (2, 0.5,
 * 1e-3), with no sign, space, hexadecimal, infinity, or value too small
 * to tell from 0. Returns true, or false (*secs unchanged).
 */
bool cli_parse_seconds(const char *text, double *secs)
{
	char *end;
	double v;

	if (!(text[0] >= '0' && text[0] <= '9') && text[0] != '.')
		return false;
	errno = 0;
	v = strtod(text, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v) ||
	    strpbrk(text, "xXpP") != NULL)
		return false;
	*secs = v;
	return true;
}

/* Returns CLI_OK with *secs from option name (*given false when it is
 * absent), or the exit status after a usage error. */
int cli_opt_seconds(const struct cli_ctx *ctx, const char *cmd,
		    const char *name, double *secs, bool *given)
{
	const char *text = cli_opt_get(ctx, name);
	double v;

	*given = false;
	if (text == NULL)
		return CLI_OK;
	if (!cli_parse_seconds(text, &v))
		return cli_usage_error(ctx->path,
				       "%s: --%s takes a number of seconds >= "
				       "0, not '%s'",
				       cmd, name, text);
	*secs = v;
	*given = true;
	return CLI_OK;
}

/* Returns CLI_FAIL after printing "CMD: MESSAGE (NAME[, stage STAGE])". */
int cli_proc_error(const char *cmd, const struct mpd_error *err)
{
	const json_t *stage =
		err->data != NULL ? json_object_get(err->data, "stage") : NULL;

	if (!json_is_string(stage))
		return cli_call_error(cmd, err);
	cli_json_error(err);
	cli_error("%s: %s (%s, stage %s)", cmd, err->message, err->name,
		  json_string_value(stage));
	return CLI_FAIL;
}

/* The integer at key, or def when it is not an integer. */
static long long int_or(const json_t *o, const char *key, long long def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

/* The string at key, or def when it is not a string. */
static const char *str_or(const json_t *o, const char *key, const char *def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

/* Print "NAME (id N): STATE[, details]" for a process record. */
void cli_proc_print_state(const json_t *rec)
{
	const char *state = str_or(rec, "state", "?");
	const json_t *exitcode = json_object_get(rec, "exitcode");
	const json_t *error = json_object_get(rec, "error");
	const char *sig = str_or(rec, "signal", NULL);

	printf("%s (id %lld): %s", str_or(rec, "name", "?"),
	       int_or(rec, "id", 0), state);
	if (json_is_integer(exitcode)) {
		printf(", exitcode %lld",
		       (long long)json_integer_value(exitcode));
		if (sig != NULL)
			printf(" (%s%s)", sig,
			       json_is_true(
				       json_object_get(rec, "core_dumped")) ?
				       ", core dumped" :
				       "");
	} else if (json_is_object(error)) {
		printf(" at %s: %s", str_or(error, "stage", "?"),
		       str_or(error, "message", "?"));
	} else if (json_is_integer(json_object_get(rec, "pid"))) {
		printf(", pid %lld", int_or(rec, "pid", 0));
	}
	putchar('\n');
}

/* "5s", "3m", "2h", "4d": the age of something created at created. */
static void format_age(double created, char *buf, size_t size)
{
	struct timespec ts;
	double age;

	clock_gettime(CLOCK_REALTIME, &ts);
	age = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - created;
	if (age < 0)
		age = 0; /* the clock was set back */
	if (age < 60)
		snprintf(buf, size, "%ds", (int)age);
	else if (age < 3600)
		snprintf(buf, size, "%dm", (int)(age / 60));
	else if (age < 86400)
		snprintf(buf, size, "%dh", (int)(age / 3600));
	else
		snprintf(buf, size, "%.0fd", floor(age / 86400));
}

/*
 * Write word as a shell would need it to read it back as one word: as it
 * is when every byte is safe, else in single quotes (a quote in it as
 * '\''); the empty word as ''.
 */
static void put_quoted(FILE *f, const char *word, size_t n)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_@%+=:,./-";
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || strchr(safe, word[i]) == NULL)
			break;
	if (n > 0 && i == n) {
		fwrite(word, 1, n, f);
		return;
	}
	fputc('\'', f);
	for (i = 0; i < n; i++) {
		if (word[i] == '\'')
			fputs("'\\''", f);
		else
			fputc(word[i], f);
	}
	fputc('\'', f);
}

/* The command of a record: argv joined by spaces, each word quoted as a
 * shell would need it, or module:function. Returns a malloc'd string, or
 * NULL when out of memory. */
static char *format_command(const json_t *rec)
{
	const json_t *target = json_object_get(rec, "target");
	const json_t *argv = json_object_get(target, "argv");
	const json_t *arg;
	char *s = NULL;
	size_t len = 0;
	FILE *f;
	size_t i;

	if (!json_is_array(argv)) {
		if (asprintf(&s, "%s:%s", str_or(target, "module", "?"),
			     str_or(target, "function", "?")) < 0)
			return NULL;
		return s;
	}
	f = open_memstream(&s, &len);
	if (f == NULL)
		return NULL;
	json_array_foreach (argv, i, arg) {
		if (i > 0)
			fputc(' ', f);
		if (json_is_string(arg))
			put_quoted(f, json_string_value(arg),
				   json_string_length(arg));
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Returns 0 after filling row with the ps cells of rec (malloc'd), or
 * -1 when out of memory. */
static int ps_row(const json_t *rec, char *row[PS_NCOLS])
{
	const json_t *pid = json_object_get(rec, "pid");
	const json_t *exitcode = json_object_get(rec, "exitcode");
	const json_t *created = json_object_get(rec, "created");
	char age[32] = "-";

	if (json_is_number(created))
		format_age(json_number_value(created), age, sizeof(age));
	if (asprintf(&row[PS_ID], "%lld", int_or(rec, "id", 0)) < 0)
		row[PS_ID] = NULL;
	row[PS_NAME] = strdup(str_or(rec, "name", "-"));
	if (!json_is_integer(pid))
		row[PS_PID] = strdup("-");
	else if (asprintf(&row[PS_PID], "%lld",
			  (long long)json_integer_value(pid)) < 0)
		row[PS_PID] = NULL;
	row[PS_STATE] = strdup(str_or(rec, "state", "-"));
	if (!json_is_integer(exitcode))
		row[PS_EXITCODE] = strdup("-");
	else if (asprintf(&row[PS_EXITCODE], "%lld",
			  (long long)json_integer_value(exitcode)) < 0)
		row[PS_EXITCODE] = NULL;
	row[PS_AGE] = strdup(age);
	row[PS_COMMAND] = format_command(rec);
	for (int c = 0; c < PS_NCOLS; c++) {
		if (row[c] == NULL)
			return -1;
	}
	return 0;
}

/* Columns of text on a terminal: UTF-8 code points, each one wide. */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* Cut s (malloc'd) to at most w columns, the last being "~" when it was
 * cut; never splits a UTF-8 sequence. */
static void cut_to(char *s, int w)
{
	int n = 0;
	char *p;

	if (w < 1 || text_width(s) <= w)
		return;
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && ++n == w)
			break;
	}
	p[0] = '~';
	p[1] = '\0';
}

/* Narrowest a cut NAME or COMMAND column becomes. */
#define PS_MIN_NAME    8
#define PS_MIN_COMMAND 12

/* Narrow COMMAND, then NAME, so that a row fits max columns; cut the
 * cells to their column. */
static void ps_fit(char *(*rows)[PS_NCOLS], size_t n, int width[PS_NCOLS],
		   int max)
{
	int total = 2 * (PS_NCOLS - 1), over;

	for (int c = 0; c < PS_NCOLS; c++)
		total += width[c];
	over = total - max;
	if (over > 0 && width[PS_COMMAND] > PS_MIN_COMMAND) {
		int take = width[PS_COMMAND] - PS_MIN_COMMAND;

		take = take < over ? take : over;
		width[PS_COMMAND] -= take;
		over -= take;
	}
	if (over > 0 && width[PS_NAME] > PS_MIN_NAME) {
		int take = width[PS_NAME] - PS_MIN_NAME;

		width[PS_NAME] -= take < over ? take : over;
	}
	for (size_t i = 1; i <= n; i++) {
		cut_to(rows[i][PS_NAME], width[PS_NAME]);
		cut_to(rows[i][PS_COMMAND], width[PS_COMMAND]);
	}
}

/*
 * Print the records of list as a table at most max columns wide (0: no
 * limit): COMMAND, then NAME, is cut (ending in "~") to fit. Returns
 * CLI_OK or CLI_FAIL.
 */
static int ps_print(const json_t *list, int max)
{
	size_t n = json_array_size(list), i;
	int width[PS_NCOLS], w, c, r = CLI_OK;
	char *(*rows)[PS_NCOLS];

	rows = calloc(n + 1, sizeof(*rows));
	if (rows == NULL)
		goto nomem;
	for (c = 0; c < PS_NCOLS; c++) {
		rows[0][c] = strdup(ps_headers[c]);
		if (rows[0][c] == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		if (ps_row(json_array_get(list, i), rows[i + 1]) < 0)
			goto nomem;
	}
	for (c = 0; c < PS_NCOLS; c++) {
		width[c] = 0;
		for (i = 0; i <= n; i++) {
			w = text_width(rows[i][c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	if (max > 0)
		ps_fit(rows, n, width, max);
	for (i = 0; i <= n; i++) {
		for (c = 0; c < PS_NCOLS - 1; c++)
			printf("%s%*s  ", rows[i][c],
			       width[c] - text_width(rows[i][c]), "");
		printf("%s\n", rows[i][PS_NCOLS - 1]);
	}
	goto out;
nomem:
	cli_error("ps: out of memory");
	r = CLI_FAIL;
out:
	for (i = 0; rows != NULL && i <= n; i++) {
		for (c = 0; c < PS_NCOLS; c++)
			free(rows[i][c]);
	}
	free(rows);
	return r;
}

/* The width ps fits: the terminal's when stdout is one, else 80. */
static int terminal_columns(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* What ps lists: its filters. */
struct ps_query {
	const char *state, *prefix;
	long long parent; /* -1: any */
};

/* List the processes q selects and print them. Returns an exit status. */
static int ps_show(struct cli_ctx *ctx, const struct ps_query *q)
{
	json_t *list = NULL;
	struct mpd_error err;
	int r;

	/* Every page of the listing, however large the records. */
	if (mpd_process_list(ctx->client, q->state, q->prefix, q->parent, &list,
			     &err) < 0)
		return cli_call_error("ps", &err);
	r = ctx->json ? cli_print_json(ctx, list, false) :
			ps_print(list, cli_opt_get(ctx, "wide") != NULL ?
					       0 :
					       terminal_columns());
	json_decref(list);
	fflush(stdout);
	return r;
}

/* ps --watch: each process event as a line with --json; else the table
 * again after each burst of events (the screen cleared first on a
 * terminal, as watch(1) does). */
static int ps_watch_event(struct cli_ctx *ctx, const json_t *ev, void *arg)
{
	if (ctx->json)
		return ev != NULL ? cli_print_json(ctx, ev, false) : CLI_OK;
	if (ev != NULL)
		return CLI_OK;
	fputs(isatty(STDOUT_FILENO) ? "\033[H\033[2J" : "\n", stdout);
	return ps_show(ctx, arg);
}

static int cmd_ps_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const process_kind[] = { "process", NULL };
	const char *state = cli_opt_get(ctx, "state");
	const char *prefix = cli_opt_get(ctx, "name");
	const char *parent = cli_opt_get(ctx, "parent");
	struct ps_query q;
	long long pid = -1;
	int r;

	if (parent != NULL) {
		if (parent[0] == '\0' ||
		    strspn(parent, "0123456789") != strlen(parent) ||
		    strlen(parent) > 18)
			return cli_usage_error(
				ctx->path,
				"ps: --parent takes a process id, "
				"not '%s'",
				parent);
		pid = strtoll(parent, NULL, 10);
	}
	q.state = state;
	q.prefix = prefix;
	q.parent = pid;
	/* Subscribed before the listing, so nothing falls between. */
	if (cli_opt_get(ctx, "watch") != NULL)
		r = cli_events_subscribe(ctx, "ps", process_kind, prefix);
	else
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = ps_show(ctx, &q);
	if (r != CLI_OK || cli_opt_get(ctx, "watch") == NULL)
		return r;
	return cli_events_loop(ctx, "ps", ps_watch_event, &q);
}

const struct cli_cmd cli_cmd_ps = {
	.name = "ps",
	.usage = "[OPTIONS]",
	.summary = "list processes",
	.help = "Prints a table of the caller's processes (root: all), in id "
		"order:\nID NAME PID STATE EXITCODE AGE COMMAND. AGE is the "
		"time since it was created\n(5s, 3m, 2h, 4d); COMMAND its "
		"argv, quoted as a shell would, or\nmodule:function. The table "
		"fits the terminal (80 columns when stdout is not\none): long "
		"commands, then names, are cut, ending in \"~\"; --wide cuts "
		"nothing.\nWith --json, prints the array of "
		"process records (summaries: long argv, env\nand args are cut, "
		"see \"truncated\"; info has the whole record).\nLists every "
		"page of the daemon's listing.\nWith --watch, goes on: prints "
		"the table again whenever processes change\n(clearing the "
		"terminal first), until SIGINT or SIGTERM (exit 0) or until\n"
		"mpdd goes away (exit 3); with --json, the array first, then "
		"each process\nevent as a line (see \"mpd-cli events\").",
	.min_args = 0,
	.max_args = 0,
	.options =
		(const struct cli_opt[]){
			{ "state", "S",
			  "only processes in state S (created, starting, "
			  "running,\nexited, failed)",
			  false },
			{ "name", "PREFIX",
			  "only processes whose name starts with PREFIX",
			  false },
			{ "parent", "ID",
			  "only processes created by process ID", false },
			{ "wide", NULL, "cut nothing to fit the width", false },
			{ "watch", NULL,
			  "go on, showing the table again as processes change",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_ps_exec,
};

static int cmd_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *rec = NULL;
	int64_t id;
	int r;

	r = cli_proc_id(ctx, "info", argv[0], &id);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_process_info(ctx->client, id, &rec, &err) < 0)
		return cli_proc_error("info", &err);
	if (ctx->json) {
		r = cli_print_json(ctx, rec, false);
	} else if (cli_print_flat("", rec) < 0) {
		cli_error("info: out of memory");
		r = CLI_FAIL;
	}
	json_decref(rec);
	return r;
}

const struct cli_cmd cli_cmd_info = {
	.name = "info",
	.usage = "ID|NAME",
	.summary = "show a process's record",
	.help = "Prints process.info as \"key: value\" lines, nested keys "
		"joined with dots\n(target.argv, env.HOME). ID|NAME: all "
		"digits is an id, else a name.\ncreated, started and ended are "
		"local times. With --json, prints the record\non one line, "
		"times as seconds since the epoch.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_info_exec,
};

/*
 * logs: what a process with captured output wrote, from the oldest byte
 * mpdd holds (with --tail N, from N bytes before the end): page after page
 * until nothing is left, or with --follow as bytes come until the stream
 * ends.
 */
static int cmd_logs_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	bool follow = cli_opt_get(ctx, "follow") != NULL;
	const char *tail = cli_opt_get(ctx, "tail");
	struct mpd_error err;
	json_t *res = NULL;
	int64_t id, after = -1;
	long long n = 0;
	int r = CLI_OK;

	if (tail != NULL)
		r = cli_parse_int(ctx, "logs", "--tail", tail, 0, INT64_MAX,
				  &n);
	if (r == CLI_OK)
		r = cli_proc_id(ctx, "logs", argv[0], &id);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (tail != NULL) {
		/* Where the stream is now: N bytes before it, or the oldest
		 * byte held. */
		if (mpd_process_output(ctx->client, id, -1, 1, 0, &res, &err) <
		    0)
			return cli_proc_error("logs", &err);
		after = json_integer_value(json_object_get(res, "end")) - n;
		if (after < json_integer_value(json_object_get(res, "offset")))
			after = -1;
		json_decref(res);
		res = NULL;
	}
	for (;;) {
		const json_t *data, *next, *dropped;
		bool ended;

		if (mpd_process_output(ctx->client, id, after, 0,
				       follow ? -1 : 0, &res, &err) < 0)
			return cli_proc_error("logs", &err);
		data = json_object_get(res, "data");
		next = json_object_get(res, "next");
		dropped = json_object_get(res, "dropped");
		ended = json_is_true(json_object_get(res, "ended"));
		if (!json_is_string(data) || !json_is_integer(next)) {
			cli_error("logs: process.output returned no data");
			json_decref(res);
			return CLI_FAIL;
		}
		if (ctx->json) {
			r = cli_print_json(ctx, res, false);
		} else {
			if (json_integer_value(dropped) > 0)
				cli_error("logs: %" JSON_INTEGER_FORMAT
					  " bytes were lost before these",
					  json_integer_value(dropped));
			fwrite(json_string_value(data), 1,
			       json_string_length(data), stdout);
		}
		fflush(stdout);
		after = json_integer_value(next);
		if (ended || r != CLI_OK ||
		    (!follow && json_string_length(data) == 0))
			break;
		json_decref(res);
		res = NULL;
	}
	json_decref(res);
	return r;
}

const struct cli_cmd cli_cmd_logs = {
	.name = "logs",
	.usage = "ID|NAME [-f] [--tail N]",
	.summary = "print a process's captured output",
	.help = "Prints what the process wrote to its captured stdout and "
		"stderr (spawn\n--capture), as raw bytes, from the oldest byte "
		"mpdd still holds (it keeps the\nlast --capture-size bytes, "
		"64K by default; bytes that are not UTF-8 come out\nas U+FFFD). "
		"With --follow, goes on printing bytes as they come and exits 0 "
		"when\nthe stream ends (the process and every child that kept "
		"it have exited), as\ntail -f does; Ctrl-C stops it. With "
		"--json, prints each process.output result\non a line of its "
		"own. --tail N starts N bytes before the end instead. A process "
		"that does not\ncapture is refused (invalid_state, exit status "
		"1).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "follow", NULL,
			  "print bytes as they come, until the stream ends",
			  false },
			{ "tail", "N", "start N bytes before the end", false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_logs_exec,
};

static int cmd_join_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *rec = NULL;
	const char *state;
	double timeout = 0;
	bool has_timeout;
	int64_t id;
	int r;

	r = cli_opt_seconds(ctx, "join", "timeout", &timeout, &has_timeout);
	if (r == CLI_OK)
		r = cli_proc_id(ctx, "join", argv[0], &id);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_process_join(ctx->client, id, has_timeout ? timeout : -1, &rec,
			     &err) < 0)
		return cli_proc_error("join", &err);
	if (ctx->json)
		r = cli_print_json(ctx, rec, false);
	else
		cli_proc_print_state(rec);
	state = str_or(rec, "state", "");
	if (strcmp(state, "exited") != 0 && strcmp(state, "failed") != 0) {
		cli_error("join: %s is still %s after %g s",
			  str_or(rec, "name", argv[0]), state, timeout);
		r = CLI_TIMEOUT;
	}
	json_decref(rec);
	return r;
}

const struct cli_cmd cli_cmd_join = {
	.name = "join",
	.usage = "ID|NAME [--timeout S]",
	.summary = "wait for a process to end",
	.help = "Waits until the process ends, or at most S seconds, and "
		"prints its state\n(\"Process-1 (id 1): exited, exitcode 0\"). "
		"Exit status 0 when it ended,\n5 when the timeout passed first. "
		"With --json, prints the record.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S",
			  "wait at most S seconds (a number, 0: do not "
			  "wait)",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_join_exec,
};

static int cmd_wait_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	bool all = cli_opt_get(ctx, "all") != NULL, has_timeout, met;
	json_t *done = NULL, *pending = NULL, *v;
	struct mpd_error err;
	double timeout = 0;
	int64_t *ids;
	size_t i;
	int r;

	r = cli_opt_seconds(ctx, "wait", "timeout", &timeout, &has_timeout);
	if (r != CLI_OK)
		return r;
	ids = calloc((size_t)argc, sizeof(*ids));
	if (ids == NULL) {
		cli_error("wait: out of memory");
		return CLI_FAIL;
	}
	for (i = 0; i < (size_t)argc && r == CLI_OK; i++)
		r = cli_proc_id(ctx, "wait", argv[i], &ids[i]);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK && mpd_process_wait(ctx->client, ids, (size_t)argc, all,
					    has_timeout ? timeout : -1, &done,
					    &pending, &err) < 0)
		r = cli_proc_error("wait", &err);
	free(ids);
	if (r != CLI_OK)
		return r;
	if (ctx->json) {
		r = print_result(ctx);
	} else {
		json_array_foreach (done, i, v)
			cli_proc_print_state(v);
		if (json_array_size(pending) > 0) {
			fputs("pending:", stdout);
			json_array_foreach (pending, i, v)
				printf(" %" JSON_INTEGER_FORMAT,
				       json_integer_value(v));
			putchar('\n');
		}
	}
	met = all ? json_array_size(pending) == 0 : json_array_size(done) > 0;
	if (!met && has_timeout) {
		cli_error("wait: %zu of %zu processes still running after %g s",
			  json_array_size(pending),
			  json_array_size(pending) + json_array_size(done),
			  timeout);
	} else if (!met) {
		/* Answered early: a record that ended was closed (or
		 * dropped past max_exited) while the wait watched it. */
		cli_error("wait: %zu of %zu processes still running (an "
			  "ended one was closed meanwhile)",
			  json_array_size(pending),
			  json_array_size(pending) + json_array_size(done));
	}
	if (!met)
		r = CLI_TIMEOUT;
	json_decref(done);
	json_decref(pending);
	return r;
}

const struct cli_cmd cli_cmd_wait = {
	.name = "wait",
	.usage = "ID|NAME... [OPTIONS]",
	.summary = "wait for any or all of several processes",
	.help = "Waits until any of the processes ends (every one with --all), "
		"or at most S\nseconds, then prints the state of each one that "
		"has ended, in the order\ngiven (\"Process-1 (id 1): exited, "
		"exitcode 0\"), and a line \"pending: ID...\"\nwith the ids of "
		"those still running. At most 1024 processes; one given\ntwice "
		"counts once. Exit status 0 when the wait ended as asked (one "
		"ended,\nor with --all every one), 5 when the timeout passed "
		"first (or, with --all,\nwhen a process that had ended was "
		"closed meanwhile), 4 when a process does\nnot exist. With "
		"--json, prints the result: {\"done\": [records],\n"
		"\"pending\": [ids]}.",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "all", NULL,
			  "wait until every process has ended, not any one",
			  false },
			{ "timeout", "S",
			  "wait at most S seconds (a number, 0: do not "
			  "wait)",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_wait_exec,
};

/* What a bulk command does to one process: signal it, or close it. */
enum bulk_op {
	BULK_SIGNAL,
	BULK_CLOSE,
};

/*
 * Send sig (a number or a name, as the daemon takes them; the daemon
 * judges it) to process id. Returns 0, or a negative code with *err.
 */
static int send_sig(struct cli_ctx *ctx, int64_t id, const char *sig,
		    struct mpd_error *err)
{
	bool group = cli_opt_get(ctx, "no-group") == NULL;

	if (sig[0] != '\0' && strlen(sig) < 10 &&
	    strspn(sig, "0123456789") == strlen(sig))
		return mpd_process_signal(ctx->client, id,
					  (int)strtol(sig, NULL, 10), group,
					  err);
	return mpd_process_signal_name(ctx->client, id, sig, group, err);
}

/*
 * Whether a record is one a bulk command acts on: signals go to processes
 * that run (or start), close takes ended ones (exited or failed).
 */
static bool bulk_wants(enum bulk_op op, const json_t *rec)
{
	const char *state = str_or(rec, "state", "");

	if (op == BULK_CLOSE)
		return strcmp(state, "exited") == 0 ||
		       strcmp(state, "failed") == 0;
	return strcmp(state, "running") == 0 || strcmp(state, "starting") == 0;
}

/*
 * The bulk form of terminate, kill, signal and close: act on every
 * process of the caller (root: everyone's) that the op wants, whose name
 * starts with --prefix when given. Prints "NAME (id N): DONE" per process
 * (--json: the array of results). A process that went away meanwhile is
 * skipped; the first other failure stops it, reported once. Returns
 * CLI_OK, or that failure's exit status.
 */
static int bulk_exec(struct cli_ctx *ctx, const char *cmd, enum bulk_op op,
		     const char *sig, const char *done)
{
	json_t *list = NULL, *out = json_array(), *rec;
	const char *prefix = cli_opt_get(ctx, "prefix");
	struct mpd_error err;
	size_t i;
	int r;

	if (out == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	r = cli_connect(ctx);
	if (r != CLI_OK)
		goto done;
	if (mpd_process_list(ctx->client, NULL, prefix, -1, &list, &err) < 0) {
		r = cli_proc_error(cmd, &err);
		goto done;
	}
	json_array_foreach (list, i, rec) {
		int64_t id = json_integer_value(json_object_get(rec, "id"));

		if (!bulk_wants(op, rec) || id < 1)
			continue;
		if (op == BULK_CLOSE)
			r = mpd_process_close(ctx->client, id, &err);
		else
			r = send_sig(ctx, id, sig, &err);
		if (r < 0 && err.code == MPD_E_NOT_FOUND)
			continue;
		if (r < 0) {
			/* The first failure ends it, reported once (with
			 * --json, the one error object on stdout). */
			r = cli_proc_error(cmd, &err);
			goto done;
		}
		if (ctx->json)
			json_array_append(
				out, (json_t *)mpd_last_result(ctx->client));
		else
			printf("%s (id %lld): %s\n", str_or(rec, "name", "?"),
			       (long long)id, done);
	}
	r = ctx->json ? cli_print_json(ctx, out, false) : CLI_OK;
done:
	json_decref(list);
	json_decref(out);
	return r;
}

/*
 * Whether argv asks for the bulk form (--all, --prefix, close's
 * --exited): then no ID|NAME may be given, only the nargs other
 * arguments; else ID|NAME comes first. Returns CLI_OK with *bulk, or the
 * exit status after a usage error.
 */
static int bulk_or_one(const struct cli_ctx *ctx, const char *cmd, int argc,
		       int nargs, const char *flag, bool *bulk)
{
	*bulk = cli_opt_get(ctx, flag) != NULL ||
		cli_opt_get(ctx, "prefix") != NULL;
	if (*bulk && argc > nargs)
		return cli_usage_error(ctx->path,
				       "%s: give ID|NAME or --%s/--prefix, "
				       "not both",
				       cmd, flag);
	if (!*bulk && argc < nargs + 1)
		return cli_usage_error(ctx->path, "%s: missing arguments", cmd);
	return CLI_OK;
}

/*
 * terminate, kill and signal: send sig to the process argv names, or to
 * every one selected. Prints nothing, or the record with --json.
 */
static int signal_exec(struct cli_ctx *ctx, const char *cmd, int argc,
		       char **argv, const char *sig)
{
	struct mpd_error err;
	bool bulk;
	json_t *v;
	int64_t id;
	int r;

	r = bulk_or_one(ctx, cmd, argc, sig == NULL ? 1 : 0, "all", &bulk);
	if (r != CLI_OK)
		return r;
	if (sig == NULL) /* signal: SIG is the last argument */
		sig = argv[argc - 1];
	v = json_string(sig);
	if (v == NULL)
		return cli_usage_error(ctx->path, "%s: SIG is not valid UTF-8",
				       cmd);
	json_decref(v);
	if (bulk)
		return bulk_exec(ctx, cmd, BULK_SIGNAL, sig,
				 strcmp(cmd, "signal") == 0 ? "signalled" :
				 strcmp(cmd, "kill") == 0   ? "killed" :
							      "terminated");
	r = cli_proc_id(ctx, cmd, argv[0], &id);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (send_sig(ctx, id, sig, &err) < 0)
		return cli_proc_error(cmd, &err);
	return print_result(ctx);
}

static const struct cli_opt signal_options[] = {
	{ "no-group", NULL,
	  "signal the process alone, not its whole process group", false },
	{ "all", NULL,
	  "every running process of yours (root: everyone's), not "
	  "ID|NAME",
	  false },
	{ "prefix", "P",
	  "the running processes whose name starts with P, not ID|NAME",
	  false },
	{ NULL, NULL, NULL, false },
};

/* How the bulk forms are told in a command's help. */
#define BULK_HELP                                                           \
	"\nWith --all or --prefix P instead of ID|NAME: every running "     \
	"process of the\ncaller's (root: everyone's), or those whose name " \
	"starts with P, each\nreported as \"NAME (id N): DONE\"; with "     \
	"--json, the array of records.\n"

static int cmd_terminate_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return signal_exec(ctx, "terminate", argc, argv, "SIGTERM");
}

const struct cli_cmd cli_cmd_terminate = {
	.name = "terminate",
	.usage = "ID|NAME [--no-group]",
	.summary = "send SIGTERM to a process",
	.help = "Or: mpd-cli terminate --all | --prefix P [--no-group]\n\n"
		"Sends SIGTERM to the process's group (the process alone "
		"with --no-group).\nA process that has ended is not signalled "
		"and that is no error.\nPrints nothing; with --json, the "
		"record." BULK_HELP,
	.min_args = 0,
	.max_args = 1,
	.options = signal_options,
	.exec = cmd_terminate_exec,
};

static int cmd_kill_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return signal_exec(ctx, "kill", argc, argv, "SIGKILL");
}

const struct cli_cmd cli_cmd_kill = {
	.name = "kill",
	.usage = "ID|NAME [--no-group]",
	.summary = "send SIGKILL to a process",
	.help = "Or: mpd-cli kill --all | --prefix P [--no-group]\n\n"
		"Sends SIGKILL to the process's group (the process alone "
		"with --no-group).\nA process that has ended is not signalled "
		"and that is no error.\nPrints nothing; with --json, the "
		"record." BULK_HELP,
	.min_args = 0,
	.max_args = 1,
	.options = signal_options,
	.exec = cmd_kill_exec,
};

static int cmd_signal_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return signal_exec(ctx, "signal", argc, argv, NULL);
}

const struct cli_cmd cli_cmd_signal = {
	.name = "signal",
	.usage = "ID|NAME SIG [--no-group]",
	.summary = "send any signal to a process",
	.help = "Or: mpd-cli signal --all | --prefix P SIG [--no-group]\n\n"
		"Sends SIG, a number (10) or a name (SIGUSR1 or USR1), to "
		"the process's group\n(the process alone with --no-group). "
		"Prints nothing; with --json, the record." BULK_HELP,
	.min_args = 1,
	.max_args = 2,
	.options = signal_options,
	.exec = cmd_signal_exec,
};

static int cmd_close_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	bool bulk;
	int64_t id;
	int r;

	r = bulk_or_one(ctx, "close", argc, 0, "exited", &bulk);
	if (r != CLI_OK)
		return r;
	if (bulk)
		return bulk_exec(ctx, "close", BULK_CLOSE, NULL, "closed");
	r = cli_proc_id(ctx, "close", argv[0], &id);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_process_close(ctx->client, id, &err) < 0)
		return cli_proc_error("close", &err);
	return print_result(ctx);
}

const struct cli_cmd cli_cmd_close = {
	.name = "close",
	.usage = "ID|NAME",
	.summary = "forget an ended process's record",
	.help = "Or: mpd-cli close --exited [--prefix P]\n\n"
		"Removes the record of a process that has ended (or never "
		"started); a running\none is refused (invalid_state). Prints "
		"nothing; with --json, the result ({}).\nWith --exited (or "
		"--prefix P): every ended record of the caller's (root:\n"
		"everyone's), or those whose name starts with P, each reported "
		"as\n\"NAME (id N): closed\"; with --json, the array of "
		"results.",
	.min_args = 0,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "exited", NULL,
			  "every ended record of yours (root: everyone's), "
			  "not ID|NAME",
			  false },
			{ "prefix", "P",
			  "the ended records whose name starts with P, not "
			  "ID|NAME",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_close_exec,
};
