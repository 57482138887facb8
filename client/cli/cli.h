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
};

/* Upper bound for a command's arguments: "any number". */
#define CLI_ARGS_ANY (-1)

struct cli_ctx {
	const char *socket; /* --socket, or NULL for the default */
	bool json; /* --json: machine-readable output */
	struct mpd_client *client; /* set by cli_connect() */
};

struct cli_cmd {
	const char *name;
	const char *usage; /* the arguments after the command's name */
	const char *summary; /* one line for command lists */
	const char *help; /* more text for its --help, or NULL */
	int min_args; /* positional arguments accepted */
	int max_args; /* or CLI_ARGS_ANY */
	/* Runs the command with its positional arguments; returns an exit
	 * status (enum cli_exit). NULL for a group. */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv);
	/* A group's commands, NULL-terminated; NULL for a command. */
	const struct cli_cmd *const *subcommands;
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
/* Report a failed call of method; returns the exit status. */
int cli_call_error(const char *method, const struct mpd_error *err);
/* Print v (borrowed) and a newline: compact with --json, else indented
 * when indent is true. Returns CLI_OK or CLI_FAIL. */
int cli_print_json(const struct cli_ctx *ctx, const json_t *v, bool indent);

/* cmd-daemon.c */
extern const struct cli_cmd cli_cmd_ping;
extern const struct cli_cmd cli_cmd_daemon;

/* cmd-rpc.c */
extern const struct cli_cmd cli_cmd_rpc;

#endif /* MPD_CLI_H */
