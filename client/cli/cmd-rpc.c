/*
 * cmd-rpc.c - "rpc METHOD [PARAMS-JSON]": call any method by name.
 *
 * The escape hatch for methods that have no command of their own yet, and
 * for scripts: the params are given as JSON text and checked here, before
 * connecting, so a typo is a usage error that names where the JSON breaks.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"

static int cmd_rpc_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *method = argv[0];
	struct mpd_error err;
	json_error_t jerr;
	json_t *params = NULL, *res = NULL;
	int r;

	if (method[0] == '\0')
		return cli_usage_error("mpd-cli rpc", "rpc: METHOD is empty");
	if (argc > 1) {
		params = json_loads(argv[1], JSON_DECODE_ANY, &jerr);
		if (params == NULL)
			return cli_usage_error(
				"mpd-cli rpc",
				"rpc: PARAMS-JSON is not valid JSON: %s at "
				"line %d, column %d (position %d)",
				jerr.text, jerr.line, jerr.column,
				jerr.position);
		if (!json_is_object(params) && !json_is_array(params)) {
			json_decref(params);
			return cli_usage_error("mpd-cli rpc",
					       "rpc: PARAMS-JSON must be an "
					       "object or an array");
		}
	}

	r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (mpd_call(ctx->client, method, params, &res, &err) < 0) {
		r = cli_call_error(method, &err);
		goto out;
	}
	r = cli_print_json(ctx, res, true);
out:
	json_decref(res);
	json_decref(params);
	return r;
}

const struct cli_cmd cli_cmd_rpc = {
	.name = "rpc",
	.usage = "METHOD [PARAMS-JSON]",
	.summary = "call any method and print its result",
	.help = "Calls METHOD (such as daemon.info) with PARAMS-JSON, a JSON "
		"object or array,\nand prints the result indented, or compact "
		"with --json.\nExample: mpd-cli rpc daemon.ping '{}'",
	.min_args = 1,
	.max_args = 2,
	.exec = cmd_rpc_exec,
};
