/*
 * cmd-daemon.c - the commands about mpdd itself: "ping" and "daemon info".
 *
 * ping times one daemon.ping round trip on an open connection, so the
 * figure is the protocol's latency, not the connect. daemon info prints the
 * daemon.info object as "key: value" lines, nested objects flattened with
 * dots (limits.max_message), or the object itself with --json.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmd_ping_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	double t0, t1;
	int r;

	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	t0 = now_ms();
	if (mpd_ping(ctx->client, &err) < 0)
		return cli_call_error("ping", &err);
	t1 = now_ms();
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	else
		printf("pong from %s in %.3f ms\n",
		       mpd_client_socket(ctx->client), t1 - t0);
	return r;
}

const struct cli_cmd cli_cmd_ping = {
	.name = "ping",
	.usage = "",
	.summary = "check that mpdd answers; time a round trip",
	.help = "Sends daemon.ping and prints the socket and the round-trip "
		"time.\nWith --json, prints the result ({}).",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_ping_exec,
};

static int cmd_daemon_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *info = NULL;
	int r;

	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_daemon_info(ctx->client, &info, &err) < 0)
		return cli_call_error("daemon info", &err);
	if (ctx->json) {
		r = cli_print_json(ctx, info, false);
	} else if (cli_print_flat("", info) < 0) {
		cli_error("daemon info: out of memory");
		r = CLI_FAIL;
	}
	json_decref(info);
	return r;
}

static const struct cli_cmd cli_cmd_daemon_info = {
	.name = "info",
	.usage = "",
	.summary = "show the daemon's version, limits and state",
	.help = "Prints daemon.info as \"key: value\" lines, nested keys "
		"joined with dots\n(limits.max_message); uptime as a duration "
		"(3m 7s), started as a local\ntime. With --json, prints the "
		"object on one line, with exact numbers.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_daemon_info_exec,
};

static const struct cli_cmd *const cli_daemon_commands[] = {
	&cli_cmd_daemon_info,
	NULL,
};

const struct cli_cmd cli_cmd_daemon = {
	.name = "daemon",
	.usage = "COMMAND",
	.summary = "commands about mpdd itself",
	.subcommands = cli_daemon_commands,
};
