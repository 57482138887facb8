/*
 * cli.h - mpd-cli's one internal header.
 *
 * mpd-cli is a thin front end on libmpd. Each command is one const struct
 * cli_cmd row; a row either runs a handler or holds a table of
 * subcommands ("daemon" -> "info"). mpd-cli.c walks the tables, parses the
 * options, checks the argument counts and prints help, so a handler only
 * does its work. Prototypes are grouped by the file that defines them.
 */
#ifndef MPD_CLI_H
#define MPD_CLI_H

#include <stdbool.h>

#include <jansson.h>

#include "mpd.h"

/* Exit statuses that scripts can rely on. */
enum cli_exit {
	CLI_OK = 0, /* success */
	CLI_FAIL = 1, /* mpdd answered with an error, or it failed */
	CLI_USAGE = 2, /* unknown command or option, bad arguments */
	CLI_UNREACHABLE = 3, /* mpdd cannot be reached */
	CLI_NOT_FOUND = 4, /* no such process, queue, value or array */
	CLI_TIMEOUT = 5, /* the wait ended first: empty, full, timeout */
	CLI_CLOSED = 6, /* the queue is closed (and, for get, drained), or
			 * the object was deleted while waiting */
	CLI_BROKEN = 7, /* the barrier is broken */
};

/* Upper bound for a command's arguments: "any number". */
#define CLI_ARGS_ANY (-1)

/* One option of a command beyond the common ones: always long-only. */
struct cli_opt {
	const char *name; /* "timeout" for --timeout */
	const char *arg; /* its argument in help ("S"), or NULL: a flag */
	const char *help; /* one line for --help */
	bool repeat; /* may be given more than once */
};

/* One occurrence of a command's option on the command line. */
struct cli_optval {
	const struct cli_opt *opt;
	const char *value; /* borrowed from argv; "" for a flag */
};

struct cli_ctx {
	const char *socket; /* --socket, or NULL for the default */
	bool json; /* --json: machine-readable output */
	struct mpd_client *client; /* set by cli_connect() */
	const char *path; /* the command's help path, "mpd-cli run" */
	struct cli_optval *optv; /* the command's options, in order */
	int optc;
};

struct cli_cmd {
	const char *name;
	const char *usage; /* the arguments after the command's name */
	const char *summary; /* one line for command lists */
	const char *help; /* more text for its --help, or NULL */
	int min_args; /* positional arguments accepted */
	int max_args; /* or CLI_ARGS_ANY */
	/* The command's own options, ended by a row with name NULL; or
	 * NULL. */
	const struct cli_opt *options;
	/* Options end at the first argument ("run sh -c ..."): the rest
	 * belongs to the program being run. */
	bool args_end_options;
	/* Runs the command with its positional arguments; returns an exit
	 * status (enum cli_exit). NULL for a group. */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv);
	/* A group's commands, NULL-terminated; NULL for a command. */
	const struct cli_cmd *const *subcommands;
	/* The exit status of a usage error, when not CLI_USAGE (map's
	 * statuses from 1 count failed jobs). */
	int usage_status;
};

/* mpd-cli.c */
extern const struct cli_cmd *const cli_commands[];
/* Print "mpd-cli: MESSAGE" as one line on stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);
/* Print a usage error naming the help to read; returns CLI_USAGE. */
__attribute__((format(printf, 2, 3))) int cli_usage_error(const char *path,
							  const char *fmt, ...);
/* Connect ctx->client; returns CLI_OK or the exit status after printing
 * the error. */
int cli_connect(struct cli_ctx *ctx);
/* Report a failed call of method on stderr (and, with --json, as an
 * error object on stdout); returns the exit status its outcome has. */
int cli_call_error(const char *method, const struct mpd_error *err);
/* With --json, print err on stdout as {"error": {...}}; else nothing. */
void cli_json_error(const struct mpd_error *err);
/* Print v (borrowed) and a newline: compact with --json, else indented
 * when indent is true. Returns CLI_OK or CLI_FAIL. */
int cli_print_json(const struct cli_ctx *ctx, const json_t *v, bool indent);
/* Print v (borrowed) as "key: value" lines, nested object keys joined
 * with dots (limits.max_message). Returns 0, or -1 when out of memory. */
int cli_print_flat(const char *prefix, const json_t *v);
/* The value of the command's option name as last given ("" for a flag),
 * or NULL when it was not given. Borrowed from argv. */
const char *cli_opt_get(const struct cli_ctx *ctx, const char *name);
/* Iterate over every value of a repeatable option: start with *iter = 0;
 * returns NULL after the last. */
const char *cli_opt_next(const struct cli_ctx *ctx, const char *name,
			 int *iter);

/* cmd-daemon.c */
extern const struct cli_cmd cli_cmd_ping;
extern const struct cli_cmd cli_cmd_daemon;

/* cmd-process.c */
/* json_object_set_new(o, key, v) (v stolen, may be NULL): returns 0, or
 * -1 when v is NULL or out of memory. */
int cli_json_set(json_t *o, const char *key, json_t *v);
/* Returns CLI_OK with *id, the process arg (ID|NAME) names: all digits is
 * an id, else a name looked up in mpdd (connecting first). Else the exit
 * status after reporting why not. */
int cli_proc_id(struct cli_ctx *ctx, const char *cmd, const char *arg,
		int64_t *id);
/* Parse text as seconds >= 0, in decimal (no sign, space, hexadecimal,
 * infinity, or value too small to tell from 0). Returns true with *secs,
 * or false. */
bool cli_parse_seconds(const char *text, double *secs);
/* Parse the command's option --name as seconds (cli_parse_seconds()) into
 * *secs; *given says whether it was there. Returns CLI_OK, or the exit
 * status after a usage error. */
int cli_opt_seconds(const struct cli_ctx *ctx, const char *cmd,
		    const char *name, double *secs, bool *given);
/* Report a failed call as "CMD: MESSAGE (NAME)", adding ", stage S" for
 * spawn failures. Returns CLI_FAIL. */
int cli_proc_error(const char *cmd, const struct mpd_error *err);
/* Print one line "NAME (id N): STATE, ..." for the record rec
 * (borrowed). */
void cli_proc_print_state(const json_t *rec);
/* cmd-run.c */
/* path made absolute against the current directory: malloc'd, or NULL
 * (errno set). */
char *cli_absolute(const char *path);
extern const struct cli_cmd cli_cmd_run;
extern const struct cli_cmd cli_cmd_spawn;
extern const struct cli_cmd cli_cmd_ps;
extern const struct cli_cmd cli_cmd_info;
extern const struct cli_cmd cli_cmd_logs;
extern const struct cli_cmd cli_cmd_join;
extern const struct cli_cmd cli_cmd_wait;
extern const struct cli_cmd cli_cmd_terminate;
extern const struct cli_cmd cli_cmd_kill;
extern const struct cli_cmd cli_cmd_signal;
extern const struct cli_cmd cli_cmd_close;

/* cmd-events.c */
/* Subscribe ctx's client (connecting first) to events of kinds
 * (NULL-terminated, or NULL: all) and prefix (may be NULL). Returns CLI_OK
 * or the exit status after reporting why not. */
int cli_events_subscribe(struct cli_ctx *ctx, const char *cmd,
			 const char *const *kinds, const char *prefix);
/* Hand each event to fn (ev borrowed; NULL after a burst), until SIGINT
 * or SIGTERM (CLI_OK), fn's status other than CLI_OK, or mpdd going away
 * (CLI_UNREACHABLE). */
int cli_events_loop(struct cli_ctx *ctx, const char *cmd,
		    int (*fn)(struct cli_ctx *ctx, const json_t *ev, void *arg),
		    void *arg);
extern const struct cli_cmd cli_cmd_events;

/* cmd-rpc.c */
extern const struct cli_cmd cli_cmd_rpc;

/* cmd-broker.c: what the queue, value and array commands share. */
/* One column of a broker list's table: its header, the record's key. */
struct cli_column {
	const char *header;
	const char *key;
};
/* Returns CLI_OK, or the exit status after a usage error naming cmd: a
 * NAME that is empty or not UTF-8. */
int cli_broker_name(const struct cli_ctx *ctx, const char *cmd,
		    const char *name);
/* cli_broker_name(), then cli_connect(). Returns CLI_OK or the exit
 * status. */
int cli_broker_connect(struct cli_ctx *ctx, const char *cmd, const char *name);
/* The exit status of a command whose libmpd call returned rc (err filled
 * when rc < 0): after printing "CMD: MESSAGE (NAME)" for a failure, else
 * after printing the daemon's whole result (mpd_last_result()) with
 * --json. */
int cli_broker_done(struct cli_ctx *ctx, const char *cmd, int rc,
		    const struct mpd_error *err);
/* After a successful call: print the daemon's whole result with --json,
 * else its member key (as cli_print_value(), not raw). Returns an exit
 * status. */
int cli_broker_print(struct cli_ctx *ctx, const char *cmd, const char *key);
/* Parse option name (seconds, as cli_opt_seconds()) into *timeout, -1
 * (wait as long as it takes) when it was not given. Returns CLI_OK or the
 * exit status. */
int cli_broker_wait(const struct cli_ctx *ctx, const char *cmd,
		    const char *name, double *timeout);
/* Parse text as an integer in [min, max] into *v. Returns CLI_OK, or the
 * exit status after a usage error naming what ("--count", "INDEX"). */
int cli_parse_int(const struct cli_ctx *ctx, const char *cmd, const char *what,
		  const char *text, long long min, long long max, long long *v);
/* Parse text as JSON (any value) into *v, a new reference. Returns
 * CLI_OK, or the exit status after a usage error naming what. */
int cli_parse_json(const struct cli_ctx *ctx, const char *cmd, const char *what,
		   const char *text, json_t **v);
/* Parse text as a JSON number into *v, a new reference. Returns CLI_OK,
 * or the exit status after a usage error naming what. */
int cli_parse_number(const struct cli_ctx *ctx, const char *cmd,
		     const char *what, const char *text, json_t **v);
/* v (borrowed) as compact JSON text, each real written with the fewest
 * digits that read back as the same double (0.1, not
 * 0.10000000000000001). Returns a malloc'd string, or NULL when out of
 * memory. */
char *cli_json_text(const json_t *v);
/* Print v and a newline: a string as its raw bytes when raw, anything
 * else as cli_json_text(). Returns CLI_OK, or CLI_FAIL (no memory). */
int cli_print_value(const char *cmd, const json_t *v, bool raw);
/* A libmpd list function: mpd_queue_list, mpd_value_list, ... */
typedef int cli_list_fn(struct mpd_client *c, json_t **list,
			struct mpd_error *err);
/* Connect, call list and print its records: a table of cols (ncols of
 * them), or the array with --json. Returns an exit status. */
int cli_broker_list(struct cli_ctx *ctx, const char *cmd, cli_list_fn *list,
		    const struct cli_column *cols, int ncols);
/* A libmpd call on a name alone: mpd_queue_close, mpd_value_delete, ... */
typedef int cli_name_fn(struct mpd_client *c, const char *name,
			struct mpd_error *err);
/* Run a broker command on NAME (argv[0]) that prints nothing but its
 * result with --json: delete, close, task-done. Returns an exit status. */
int cli_broker_on_name(struct cli_ctx *ctx, const char *cmd, cli_name_fn *fn,
		       const char *name);
/* A libmpd info function: mpd_lock_info, mpd_shm_info, ... */
typedef int cli_info_fn(struct mpd_client *c, const char *name, json_t **info,
			struct mpd_error *err);
/* Connect, call fn on name (argv[0], checked first) and print the info as
 * "key: value" lines, the name first, or the object with --json. Returns
 * an exit status. */
int cli_broker_info(struct cli_ctx *ctx, const char *cmd, cli_info_fn *fn,
		    const char *name);

/* cmd-queue.c */
extern const struct cli_cmd cli_cmd_queue;

/* cmd-value.c */
extern const struct cli_cmd cli_cmd_value;

/* cmd-dict.c */
extern const struct cli_cmd cli_cmd_dict;

/* cmd-array.c */
extern const struct cli_cmd cli_cmd_array;

/* cmd-list.c */
extern const struct cli_cmd cli_cmd_list;

/* cmd-sync.c */
extern const struct cli_cmd cli_cmd_lock;
extern const struct cli_cmd cli_cmd_semaphore;
extern const struct cli_cmd cli_cmd_event;
extern const struct cli_cmd cli_cmd_condition;
extern const struct cli_cmd cli_cmd_barrier;

/* cmd-listener.c, and the --mode that cmd-shm.c shares */
/* Parse the command's --mode (owner, group or everyone; owner when not
 * given) into *mode. Returns CLI_OK, or the exit status after a usage
 * error. */
int cli_chan_mode(const struct cli_ctx *ctx, const char *cmd,
		  enum mpd_chan_mode *mode);
extern const struct cli_cmd cli_cmd_listen;
extern const struct cli_cmd cli_cmd_connect;
extern const struct cli_cmd cli_cmd_listener;

/* cmd-shm.c */
extern const struct cli_cmd cli_cmd_shm;

/* cmd-pool.c */
extern const struct cli_cmd cli_cmd_pool;

/* cmd-map.c */
extern const struct cli_cmd cli_cmd_map;

#endif /* MPD_CLI_H */
