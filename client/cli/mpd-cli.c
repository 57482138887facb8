/*
 * mpd-cli.c - the command line client of mpdd: main, the command table,
 * option parsing, help and error reporting.
 *
 * Commands are rows in cli_commands (tmux's cmd_table, with groups such as
 * "daemon" holding their own tables). Each level takes the common options:
 * groups stop at the first word (that word picks the subcommand), a
 * command also accepts options after its arguments. Argument counts are
 * checked here from the row, before a handler runs. Output that scripts
 * read goes to stdout; every failure is exactly one "mpd-cli: ..." line on
 * stderr with an exit status from enum cli_exit.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CLI_NAME "mpd-cli"
/* Longest command path, as "mpd-cli daemon info". */
#define CLI_PATH_MAX 256
/* Longest error line before it is cut. */
#define CLI_ERROR_MAX 1024

static int cmd_help_exec(struct cli_ctx *ctx, int argc, char **argv);

static const struct cli_cmd cli_cmd_help = {
	.name = "help",
	.usage = "[COMMAND...]",
	.summary = "show help for mpd-cli or for a command",
	.min_args = 0,
	.max_args = CLI_ARGS_ANY,
	.exec = cmd_help_exec,
};

/* One a line, so that a new command is a line of its own (clang-format
 * would pack the rows into columns). */
/* clang-format off */
const struct cli_cmd *const cli_commands[] = {
	&cli_cmd_run,
	&cli_cmd_spawn,
	&cli_cmd_ps,
	&cli_cmd_info,
	&cli_cmd_logs,
	&cli_cmd_join,
	&cli_cmd_wait,
	&cli_cmd_terminate,
	&cli_cmd_kill,
	&cli_cmd_signal,
	&cli_cmd_close,
	&cli_cmd_ping,
	&cli_cmd_queue,
	&cli_cmd_value,
	&cli_cmd_array,
	&cli_cmd_dict,
	&cli_cmd_list,
	&cli_cmd_lock,
	&cli_cmd_semaphore,
	&cli_cmd_event,
	&cli_cmd_condition,
	&cli_cmd_barrier,
	&cli_cmd_listen,
	&cli_cmd_connect,
	&cli_cmd_listener,
	&cli_cmd_shm,
	&cli_cmd_pool,
	&cli_cmd_map, /* xargs -P on a program pool */
	&cli_cmd_daemon,
	&cli_cmd_events, /* events.subscribe: events, ps --watch */
	&cli_cmd_rpc,
	&cli_cmd_help,
	NULL,
};
/* clang-format on */

static const struct option cli_long_options[] = {
	{ "socket", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};
#define CLI_COMMON_OPTIONS \
	(sizeof(cli_long_options) / sizeof(cli_long_options[0]) - 1)
/* getopt values of a command's own options: CLI_OPT_BASE + row. */
#define CLI_OPT_BASE 0x100
/* Most options one command may have. */
#define CLI_OPTS_MAX 32

/* The common options in help: the left column, then its text. */
static const struct {
	const char *left;
	const char *text; /* lines after the first are indented */
	bool top_only;
} cli_common_help[] = {
	{ "-s, --socket PATH",
	  "the socket of mpdd (default: $MPD_SOCKET,\n"
	  "/run/mpdd/mpdd.sock for root, else\n"
	  "$XDG_RUNTIME_DIR/mpdd/mpdd.sock)",
	  false },
	{ "-j, --json", "print results as compact JSON", false },
	{ "-h, --help", "show this help", false },
	{ "-V, --version", "show the version", true },
};

/* Print "mpd-cli: MESSAGE" on one line, control characters blanked. */
void cli_error(const char *fmt, ...)
{
	char msg[CLI_ERROR_MAX];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	fprintf(stderr, "%s: %s\n", CLI_NAME, msg);
}

/* Print MESSAGE and where to read help; returns CLI_USAGE. */
int cli_usage_error(const char *path, const char *fmt, ...)
{
	char msg[CLI_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s. Try '%s --help'.", msg, path);
	return CLI_USAGE;
}

/* --json: errors are also printed on stdout, as a JSON object. */
static bool json_errors;

/*
 * With --json, print err on stdout as {"error": {"code", "name",
 * "message", "data"}}: code and name as on the wire for the daemon's
 * errors (4, "not_found"), libmpd's (-103, "connect") for the library's.
 */
void cli_json_error(const struct mpd_error *err)
{
	long long code = err->code;
	json_t *o;

	if (!json_errors)
		return;
	if (code > -100 && code < 0)
		code = -code; /* the daemon's own codes are -N in libmpd */
	o = json_pack("{s:{s:I, s:s, s:s, s:O?}}", "error", "code",
		      (json_int_t)code, "name", err->name, "message",
		      err->message, "data", (json_t *)err->data);
	if (o == NULL)
		return;
	json_dumpf(o, stdout, JSON_COMPACT | JSON_ENCODE_ANY);
	putchar('\n');
	json_decref(o);
}

/* The exit status of a failed call: the outcomes a script branches on
 * have their own (mpd-cli(1), EXIT STATUS). */
static int call_status(const struct mpd_error *err)
{
	switch (err->code) {
	case MPD_E_NOT_FOUND:
		return CLI_NOT_FOUND;
	case MPD_E_EMPTY:
	case MPD_E_FULL:
	case MPD_E_TIMEOUT:
		return CLI_TIMEOUT;
	case MPD_E_CLOSED:
		return CLI_CLOSED;
	case MPD_E_BROKEN:
		return CLI_BROKEN;
	case MPD_E_CONNECT:
		return CLI_UNREACHABLE;
	default:
		return CLI_FAIL;
	}
}

/* Returns CLI_OK with ctx->client connected, or the failure's status. */
int cli_connect(struct cli_ctx *ctx)
{
	struct mpd_error err;

	if (ctx->client != NULL)
		return CLI_OK;
	if (mpd_connect(&ctx->client, ctx->socket, &err) == 0)
		return CLI_OK;
	cli_json_error(&err);
	switch (err.code) {
	case MPD_E_CONNECT:
		cli_error("%s%s", err.message,
			  err.sys_errno == ENOENT ||
					  err.sys_errno == ECONNREFUSED ?
				  " (is mpdd running?)" :
				  "");
		return CLI_UNREACHABLE;
	case MPD_E_INVAL:
		return cli_usage_error(CLI_NAME, "%s", err.message);
	default:
		cli_error("%s", err.message);
		return CLI_FAIL;
	}
}

/* Returns the failure's exit status after printing "METHOD: MESSAGE
 * (NAME)" (and, with --json, the error object on stdout). */
int cli_call_error(const char *method, const struct mpd_error *err)
{
	cli_json_error(err);
	switch (err->code) {
	case MPD_E_NOMEM:
	case MPD_E_INVAL:
	case MPD_E_CONNECT:
	case MPD_E_IO:
	case MPD_E_PROTO:
	case MPD_E_TOOBIG:
		/* The library's own: the message says it all. */
		cli_error("%s: %s", method, err->message);
		break;
	default:
		cli_error("%s: %s (%s)", method, err->message, err->name);
		break;
	}
	return call_status(err);
}

/* Returns CLI_OK after printing v and a newline, or CLI_FAIL. */
int cli_print_json(const struct cli_ctx *ctx, const json_t *v, bool indent)
{
	size_t flags = JSON_ENCODE_ANY;

	flags |= ctx->json || !indent ? JSON_COMPACT : JSON_INDENT(2);
	if (json_dumpf(v, stdout, flags) < 0) {
		cli_error("cannot print the result as JSON");
		return CLI_FAIL;
	}
	putchar('\n');
	return CLI_OK;
}

/* Keys whose numbers are times (seconds since the epoch) and durations
 * (seconds), printed for people: a local time, "2h 5m 3s". */
static const char *const flat_times[] = { "created", "started", "ended",
					  "since", NULL };
static const char *const flat_durations[] = { "uptime", NULL };

static bool key_in(const char *path, const char *const *keys)
{
	const char *key = strrchr(path, '.');

	key = key != NULL ? key + 1 : path;
	for (; *keys != NULL; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/* secs as a local time ("2026-12-07 15:40:01 UTC"), or a duration ("4.2s",
 * "3m 7s", "2h 5m", "6d 1h"). Returns false when it is neither. */
static bool human_number(const char *path, double secs, char *buf, size_t size)
{
	long long t = (long long)secs, d, h, m;
	struct tm tm;
	time_t when;

	if (key_in(path, flat_times)) {
		when = (time_t)secs;
		if (localtime_r(&when, &tm) == NULL ||
		    strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
			return false;
		return true;
	}
	if (!key_in(path, flat_durations) || secs < 0)
		return false;
	d = t / 86400;
	h = t % 86400 / 3600;
	m = t % 3600 / 60;
	if (secs < 60)
		snprintf(buf, size, "%.1fs", secs);
	else if (t < 3600)
		snprintf(buf, size, "%lldm %llds", m, t % 60);
	else if (t < 86400)
		snprintf(buf, size, "%lldh %lldm", h, m);
	else
		snprintf(buf, size, "%lldd %lldh", d, h);
	return true;
}

/*
 * Returns 0 after printing v as "key: value" lines, or -1 (no memory).
 * Times and durations (flat_times, flat_durations) are printed for
 * people; --json has the exact numbers.
 */
int cli_print_flat(const char *prefix, const json_t *v)
{
	char human[64];

	const char *key;
	json_t *sub;
	char *text, *path;
	int r = 0;

	if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach ((json_t *)v, key, sub) {
			if (prefix[0] == '\0')
				path = strdup(key);
			else if (asprintf(&path, "%s.%s", prefix, key) < 0)
				path = NULL;
			if (path == NULL)
				return -1;
			r = cli_print_flat(path, sub);
			free(path);
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (json_is_string(v)) {
		printf("%s: %s\n", prefix, json_string_value(v));
		return 0;
	}
	if (json_is_number(v) &&
	    human_number(prefix, json_number_value(v), human, sizeof(human))) {
		printf("%s: %s\n", prefix, human);
		return 0;
	}
	/* 15 digits: what a double holds without binary noise (0.1, not
	 * 0.10000000000000001); --json keeps the exact value. */
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
				     JSON_REAL_PRECISION(15));
	if (text == NULL)
		return -1;
	printf("%s: %s\n", prefix, text);
	free(text);
	return 0;
}

/* Returns the last value of option name, "" for a flag, or NULL. */
const char *cli_opt_get(const struct cli_ctx *ctx, const char *name)
{
	const char *v = NULL;

	for (int i = 0; i < ctx->optc; i++) {
		if (strcmp(ctx->optv[i].opt->name, name) == 0)
			v = ctx->optv[i].value;
	}
	return v;
}

/* Returns the next value of option name after *iter, or NULL. */
const char *cli_opt_next(const struct cli_ctx *ctx, const char *name, int *iter)
{
	for (; *iter < ctx->optc; (*iter)++) {
		if (strcmp(ctx->optv[*iter].opt->name, name) == 0)
			return ctx->optv[(*iter)++].value;
	}
	return NULL;
}

static const struct cli_cmd *cli_find(const struct cli_cmd *const *table,
				      const char *name)
{
	for (; *table != NULL; table++) {
		if (strcmp((*table)->name, name) == 0)
			return *table;
	}
	return NULL;
}

/* Edits (insert, delete, change, swap two neighbours) from a to b, for
 * words of at most 31 bytes; 99 for longer ones. */
static int edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	int d[32][32];

	if (n > 31 || m > 31)
		return 99;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* The one command of table closest to a mistyped word (one edit away, two
 * for words of five or more letters), or NULL when none or several are. */
static const char *cli_suggest(const struct cli_cmd *const *table,
			       const char *word)
{
	int limit = strlen(word) >= 5 ? 2 : 1, best = limit + 1, ties = 0;
	const char *pick = NULL;

	for (; table != NULL && *table != NULL; table++) {
		int dist = edit_distance(word, (*table)->name);

		if (dist < best) {
			best = dist;
			pick = (*table)->name;
			ties = 0;
		} else if (dist == best) {
			ties++;
		}
	}
	return ties == 0 ? pick : NULL;
}

/* Report an unknown command under path, with a suggestion when one is
 * close. Returns CLI_USAGE. */
static int cli_unknown(const char *path, const struct cli_cmd *const *table,
		       const char *word)
{
	const char *near = cli_suggest(table, word);

	if (near != NULL)
		return cli_usage_error(path,
				       "unknown command '%s' (did you mean "
				       "'%s'?)",
				       word, near);
	return cli_usage_error(path, "unknown command '%s'", word);
}

/* Width of "PREFIX NAME USAGE" for every command under table. */
static int cli_list_width(const struct cli_cmd *const *table, int prefix)
{
	int w, max = 0;

	for (; *table != NULL; table++) {
		w = prefix + (int)strlen((*table)->name);
		if ((*table)->subcommands != NULL)
			w = cli_list_width((*table)->subcommands, w + 1);
		else if ((*table)->usage[0] != '\0')
			w += 1 + (int)strlen((*table)->usage);
		if (w > max)
			max = w;
	}
	return max;
}

/* Print every command under table as "  prefix name usage  summary". */
static void cli_list(const struct cli_cmd *const *table, const char *prefix,
		     int width)
{
	const struct cli_cmd *cmd;
	char line[CLI_PATH_MAX];

	for (; *table != NULL; table++) {
		cmd = *table;
		if (cmd->subcommands != NULL) {
			snprintf(line, sizeof(line), "%s%s ", prefix,
				 cmd->name);
			cli_list(cmd->subcommands, line, width);
			continue;
		}
		snprintf(line, sizeof(line), "%s%s%s%s", prefix, cmd->name,
			 cmd->usage[0] != '\0' ? " " : "", cmd->usage);
		printf("  %-*s  %s\n", width, line, cmd->summary);
	}
}

/* Command options that also have a letter, as their tools' users expect
 * (tail -f, journalctl -f). */
static const struct {
	const char *name;
	char letter;
} cli_letters[] = {
	{ "follow", 'f' },   { "permits", 'n' }, /* semaphore release -n N */
	{ "waiters", 'n' }, /* condition notify -n N */
	{ "jobs", 'j' }, /* map -j N, as xargs -P N and parallel -j N; its
			  * --json has no -j */
	{ "arg-file", 'a' }, /* map -a FILE, as xargs -a and parallel -a */
};

/* The letter of a command's option, or 0. */
static char cli_opt_letter(const struct cli_opt *opt)
{
	for (size_t i = 0; i < sizeof(cli_letters) / sizeof(cli_letters[0]);
	     i++)
		if (strcmp(cli_letters[i].name, opt->name) == 0)
			return cli_letters[i].letter;
	return 0;
}

/* Does one of cmd's own options take letter (a common option's then
 * has none for it)? */
static bool cli_letter_taken(const struct cli_cmd *cmd, char letter)
{
	const struct cli_opt *own = cmd != NULL ? cmd->options : NULL;

	for (size_t i = 0; own != NULL && own[i].name != NULL; i++)
		if (cli_opt_letter(&own[i]) == letter)
			return true;
	return false;
}

/* Left column of a command's option in help: "    --timeout S", or
 * "-f, --follow". */
static void cli_opt_left(const struct cli_opt *opt, char *buf, size_t size)
{
	char letter = cli_opt_letter(opt);

	if (letter != 0)
		snprintf(buf, size, "-%c, --%s%s%s", letter, opt->name,
			 opt->arg ? " " : "", opt->arg ? opt->arg : "");
	else
		snprintf(buf, size, "    --%s%s%s", opt->name,
			 opt->arg ? " " : "", opt->arg ? opt->arg : "");
}

/* Print "  LEFT  TEXT", TEXT's later lines indented to its column. */
static void cli_help_row(int width, const char *left, const char *text)
{
	const char *nl;

	printf("  %-*s  ", width, left);
	while ((nl = strchr(text, '\n')) != NULL) {
		printf("%.*s\n%*s", (int)(nl - text), text, width + 4, "");
		text = nl + 1;
	}
	printf("%s\n", text);
}

/* The options of cmd (NULL: mpd-cli itself): its own, then the common. */
static void cli_help_options(const struct cli_cmd *cmd)
{
	const struct cli_opt *own = cmd != NULL ? cmd->options : NULL;
	char left[CLI_PATH_MAX];
	int width = 0, w;
	size_t i;

	for (i = 0; i < sizeof(cli_common_help) / sizeof(cli_common_help[0]);
	     i++) {
		w = (int)strlen(cli_common_help[i].left);
		if (w > width)
			width = w;
	}
	for (i = 0; own != NULL && own[i].name != NULL; i++) {
		cli_opt_left(&own[i], left, sizeof(left));
		w = (int)strlen(left);
		if (w > width)
			width = w;
	}
	printf("\nOptions:\n");
	for (i = 0; own != NULL && own[i].name != NULL; i++) {
		cli_opt_left(&own[i], left, sizeof(left));
		cli_help_row(width, left, own[i].help);
	}
	for (i = 0; i < sizeof(cli_common_help) / sizeof(cli_common_help[0]);
	     i++) {
		const char *l = cli_common_help[i].left;

		if (cli_common_help[i].top_only && cmd != NULL)
			continue;
		/* "-j, --json" is "    --json" where -j is the command's. */
		if (cli_letter_taken(cmd, l[1])) {
			snprintf(left, sizeof(left), "    %s", l + 4);
			l = left;
		}
		cli_help_row(width, l, cli_common_help[i].text);
	}
}

/*
 * Print the help of cmd, whose full path is path ("mpd-cli daemon"); cmd
 * NULL is mpd-cli itself.
 */
static void cli_help(const struct cli_cmd *cmd, const char *path)
{
	const struct cli_cmd *const *table = cmd ? cmd->subcommands :
						   cli_commands;

	if (cmd == NULL) {
		printf("Usage: %s [OPTIONS] COMMAND [ARGS...]\n\n"
		       "Talk to mpdd, the process and IPC daemon.\n",
		       CLI_NAME);
	} else {
		printf("Usage: %s [OPTIONS] %s%s%s\n\n%c%s.\n", CLI_NAME,
		       path + strlen(CLI_NAME " "),
		       cmd->usage[0] != '\0' ? " " : "", cmd->usage,
		       toupper((unsigned char)cmd->summary[0]),
		       cmd->summary + 1);
		if (cmd->help != NULL)
			printf("\n%s\n", cmd->help);
	}
	if (table != NULL) {
		printf("\nCommands:\n");
		cli_list(table, "", cli_list_width(table, 0));
	}
	cli_help_options(cmd);
	if (cmd == NULL)
		printf("\nExamples:\n"
		       "  mpd-cli run -- make -j4       run a program, its "
		       "output here, its exit status\n"
		       "  mpd-cli spawn --name web -- ./server\n"
		       "  mpd-cli ps --state running\n"
		       "  mpd-cli terminate web && mpd-cli join web && "
		       "mpd-cli close web\n"
		       "  seq 100 | mpd-cli queue put jobs\n"
		       "  while job=$(mpd-cli queue get jobs --raw); do "
		       "echo \"$job\"; done\n"
		       "  mpd-cli lock run db -- ./migrate    one at a time, "
		       "whoever starts it\n"
		       "\nExit status: 0 success; 1 mpdd answered with an "
		       "error or the operation failed;\n"
		       "2 usage error; 3 mpdd cannot be reached; 4 no such "
		       "object; 5 the wait ended\n"
		       "first (timeout, empty, full); 6 closed (or deleted "
		       "while waiting); 7 the\n"
		       "barrier is broken. run, lock run and semaphore run "
		       "exit with their program's\n"
		       "status (128+N when signal N ended it); lock run and "
		       "semaphore run exit 5 when\n"
		       "their --timeout passed, run 124 when its --timeout "
		       "passed, 127 when it\n"
		       "could not be started.\n");
}

/* help [COMMAND...]: the help of the command those words name. */
static int cmd_help_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *const *table = cli_commands;
	const struct cli_cmd *cmd = NULL;
	char path[CLI_PATH_MAX] = CLI_NAME;
	size_t len;
	int i;

	for (i = 0; i < argc; i++) {
		if (table == NULL || (cmd = cli_find(table, argv[i])) == NULL)
			return cli_unknown(CLI_NAME, table, argv[i]);
		len = strlen(path);
		snprintf(path + len, sizeof(path) - len, " %s", cmd->name);
		table = cmd->subcommands;
	}
	cli_help(cmd, path);
	return CLI_OK;
}

/* Report an unknown option, or an argument given to a flag. */
static int cli_bad_option(const char *path, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (optopt != 0 && strncmp(arg, "--", 2) == 0 && eq != NULL)
		return cli_usage_error(path, "option '%.*s' takes no argument",
				       (int)(eq - arg), arg);
	if (optopt != 0 && optopt < CLI_OPT_BASE && arg[1] != '-')
		return cli_usage_error(path, "unknown option '-%c'", optopt);
	return cli_usage_error(path, "unknown option '%s'", arg);
}

/*
 * A command's arguments may be negative numbers (array get a -1, value
 * add n -5, a slice -2:), which getopt would take for options: it is
 * shown them without their '-' (no option starts with a digit or a '.'),
 * and they get it back after. Returns how many were hidden, their
 * original pointers in hidden[].
 */
static int cli_hide_negatives(int argc, char **argv, char **hidden)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' &&
		    (isdigit((unsigned char)argv[i][1]) || argv[i][1] == '.')) {
			hidden[n++] = argv[i];
			argv[i]++;
		}
	}
	return n;
}

/* p, or the hidden argument that getopt saw as p. */
static const char *cli_unhide(const char *p, char *const *hidden, int n)
{
	for (int k = 0; k < n; k++) {
		if (p == hidden[k] + 1)
			return hidden[k];
	}
	return p;
}

/*
 * The getopt loop of cli_options(): options in longopts, optstring; a
 * command's own (rows of own) go to ctx->optv. Returns -1 to go on, or
 * an exit status when done (help, version, error).
 */
static int cli_getopt(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		      const char *path, int argc, char **argv,
		      const char *optstring, const struct option *longopts)
{
	const struct cli_opt *own =
		cmd != NULL && cmd->exec != NULL ? cmd->options : NULL;
	const struct cli_opt *opt;
	int c;

	optind = 0; /* a full reset of GNU getopt for each level */
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		for (int i = 0;
		     c < CLI_OPT_BASE && own != NULL && own[i].name != NULL;
		     i++)
			if (cli_opt_letter(&own[i]) == c)
				c = CLI_OPT_BASE + i;
		if (c >= CLI_OPT_BASE) {
			opt = &own[c - CLI_OPT_BASE];
			if (!opt->repeat && cli_opt_get(ctx, opt->name) != NULL)
				return cli_usage_error(
					path, "option '--%s' given twice",
					opt->name);
			ctx->optv[ctx->optc].opt = opt;
			ctx->optv[ctx->optc].value = optarg != NULL ? optarg :
								      "";
			ctx->optc++;
			continue;
		}
		switch (c) {
		case 's':
			ctx->socket = optarg;
			break;
		case 'j':
			ctx->json = true;
			json_errors = true;
			break;
		case 'h':
			cli_help(cmd, path);
			return CLI_OK;
		case 'V':
			if (cmd != NULL) /* only mpd-cli itself has one */
				return cli_usage_error(path,
						       "unknown option '%s'",
						       argv[optind - 1]);
			printf("%s %s (libmpd %s)\n", CLI_NAME, MPD_VERSION,
			       mpd_version());
			return CLI_OK;
		case ':':
			return cli_usage_error(path,
					       "option '%s' needs an argument",
					       argv[optind - 1]);
		default:
			return cli_bad_option(path, argv[optind - 1]);
		}
	}
	return -1;
}

/*
 * Parse the options of one level: argv[0] names it, options follow. cmd
 * is that level's command (NULL at the top); a command's own options are
 * stored in ctx->optv. Returns -1 to go on with argv[optind...], or an
 * exit status when done (help, version, error).
 */
static int cli_options(struct cli_ctx *ctx, const struct cli_cmd *cmd,
		       const char *path, int argc, char **argv)
{
	const bool is_cmd = cmd != NULL && cmd->exec != NULL;
	const struct cli_opt *own = is_cmd ? cmd->options : NULL;
	struct option longopts[CLI_COMMON_OPTIONS + CLI_OPTS_MAX + 1];
	/* Groups and the top stop at the first word: it is a command. */
	const char *base = !is_cmd		 ? "+:hjs:V" :
			   cmd->args_end_options ? "+:hjs:" :
						   ":hjs:";
	char optstring[64];
	size_t n = CLI_COMMON_OPTIONS, k = 0;
	char **hidden = NULL;
	int nhidden = 0, r;

	memcpy(longopts, cli_long_options, sizeof(cli_long_options));
	/* A letter of the command's own goes to it, not to a common
	 * option (map -j is --jobs, its --json has no letter). */
	for (const char *b = base; *b != '\0'; b++) {
		if (is_cmd && *b != ':' && *b != '+' &&
		    cli_letter_taken(cmd, *b)) {
			b += b[1] == ':';
			continue;
		}
		optstring[k++] = *b;
	}
	for (int i = 0; own != NULL && own[i].name != NULL; i++) {
		if (i == CLI_OPTS_MAX) {
			cli_error("%s: too many options in the table", path);
			return CLI_FAIL;
		}
		longopts[n++] = (struct option){ own[i].name,
						 own[i].arg != NULL ?
							 required_argument :
							 no_argument,
						 NULL, CLI_OPT_BASE + i };
		if (cli_opt_letter(&own[i]) != 0 && k + 2 < sizeof(optstring)) {
			optstring[k++] = cli_opt_letter(&own[i]);
			if (own[i].arg != NULL)
				optstring[k++] = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	optstring[k] = '\0';
	if (own != NULL) {
		/* At most one value per word of the command line. */
		free(ctx->optv);
		ctx->optc = 0;
		ctx->optv = calloc((size_t)argc, sizeof(*ctx->optv));
		if (ctx->optv == NULL) {
			cli_error("out of memory");
			return CLI_FAIL;
		}
	}
	if (is_cmd && !cmd->args_end_options) {
		hidden = calloc((size_t)argc, sizeof(*hidden));
		if (hidden == NULL) {
			cli_error("out of memory");
			return CLI_FAIL;
		}
		nhidden = cli_hide_negatives(argc, argv, hidden);
	}

	r = cli_getopt(ctx, cmd, path, argc, argv, optstring, longopts);

	if (nhidden > 0) {
		/* getopt moved the arguments: find them by pointer. */
		for (int i = 0; i < argc; i++)
			argv[i] = (char *)cli_unhide(argv[i], hidden, nhidden);
		for (int i = 0; i < ctx->optc; i++)
			ctx->optv[i].value =
				cli_unhide(ctx->optv[i].value, hidden, nhidden);
		if (ctx->socket != NULL)
			ctx->socket = cli_unhide(ctx->socket, hidden, nhidden);
	}
	free(hidden);
	return r;
}

/*
 * Run the command that argv[0] names in table, under parent ("mpd-cli").
 * Returns an exit status.
 */
static int cli_run(struct cli_ctx *ctx, const struct cli_cmd *const *table,
		   const char *parent, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	char path[CLI_PATH_MAX];
	const char *name;
	int r;

	cmd = cli_find(table, argv[0]);
	if (cmd == NULL)
		return cli_unknown(parent, table, argv[0]);
	snprintf(path, sizeof(path), "%s %s", parent, cmd->name);
	name = path + strlen(CLI_NAME " ");
	ctx->path = path;

	r = cli_options(ctx, cmd, path, argc, argv);
	if (r >= 0)
		return r == CLI_USAGE && cmd->usage_status != 0 ?
			       cmd->usage_status :
			       r;
	argc -= optind;
	argv += optind;

	if (cmd->subcommands != NULL) {
		if (argc == 0)
			return cli_usage_error(path, "%s: missing command",
					       name);
		return cli_run(ctx, cmd->subcommands, path, argc, argv);
	}
	r = CLI_OK;
	if (argc < cmd->min_args)
		r = cli_usage_error(path, "%s: missing arguments", name);
	else if (cmd->max_args != CLI_ARGS_ANY && argc > cmd->max_args)
		r = cli_usage_error(path, "%s: too many arguments", name);
	if (r != CLI_OK)
		return cmd->usage_status != 0 ? cmd->usage_status : r;
	r = cmd->exec(ctx, argc, argv);
	ctx->path = NULL; /* path goes out of scope */
	return r;
}

/*
 * Hold each of 0, 1 and 2 that is closed with an O_PATH descriptor, which
 * reads and writes refuse (EBADF) as they would a closed one: else the
 * pseudo-terminal or a socket opened later would take its number, and
 * run --pty would relay the worker's output into its own terminal or
 * the daemon's socket.
 */
static void hold_closed_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int h;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		h = open("/dev/null", O_PATH | O_CLOEXEC);
		if (h >= 0 && h != fd) {
			dup3(h, fd, O_CLOEXEC);
			close(h);
		}
	}
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	int r;

	hold_closed_stdio();
	r = cli_options(&ctx, NULL, CLI_NAME, argc, argv);
	if (r < 0) {
		if (optind >= argc)
			r = cli_usage_error(CLI_NAME, "missing command");
		else
			r = cli_run(&ctx, cli_commands, CLI_NAME, argc - optind,
				    argv + optind);
	}
	mpd_close(ctx.client);
	free(ctx.optv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (r == CLI_OK) {
			cli_error("cannot write output: %s", strerror(errno));
			r = CLI_FAIL;
		}
	}
	return r;
}
