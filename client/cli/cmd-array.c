/*
 * cmd-array.c - the "array" commands: create, get, set, add, delete and
 * list, on the daemon's fixed-length shared arrays of int or float
 * (Python's Array).
 *
 * Indices are Python's: from 0, negative ones counting from the end; a
 * slice is START:STOP with either side left out (2:, :3, :-1), clamped by
 * the daemon as Python clamps. Arguments are checked here, before any
 * call; ranges are the daemon's to check, since only it knows the length.
 * Elements are printed one a line, so a shell can loop over them.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * Add the selection text ("INDEX" or "START:STOP", either side may be
 * empty) to params as index, or start and stop. Returns CLI_OK, or the
 * exit status after a usage error.
 */
static int array_selection(const struct cli_ctx *ctx, const char *cmd,
			   const char *text, json_t *params)
{
	const char *colon = strchr(text, ':');
	long long v;
	char *start;
	int r;

	if (colon == NULL) {
		r = cli_parse_int(ctx, cmd, "INDEX", text, LLONG_MIN, LLONG_MAX,
				  &v);
		if (r != CLI_OK)
			return r;
		if (cli_json_set(params, "index", json_integer(v)) < 0)
			goto nomem;
		return CLI_OK;
	}
	if (colon > text) {
		start = strndup(text, (size_t)(colon - text));
		if (start == NULL)
			goto nomem;
		r = cli_parse_int(ctx, cmd, "START", start, LLONG_MIN,
				  LLONG_MAX, &v);
		free(start);
		if (r != CLI_OK)
			return r;
		if (cli_json_set(params, "start", json_integer(v)) < 0)
			goto nomem;
	}
	if (colon[1] != '\0') {
		r = cli_parse_int(ctx, cmd, "STOP", colon + 1, LLONG_MIN,
				  LLONG_MAX, &v);
		if (r != CLI_OK)
			return r;
		if (cli_json_set(params, "stop", json_integer(v)) < 0)
			goto nomem;
	}
	return CLI_OK;
nomem:
	cli_error("%s: out of memory", cmd);
	return CLI_FAIL;
}

/* Parse text as a JSON array of numbers for what (--values) into *v.
 * Returns CLI_OK, or the exit status after a usage error. */
static int array_values(const struct cli_ctx *ctx, const char *cmd,
			const char *what, const char *text, json_t **v)
{
	json_t *arr, *e;
	size_t i;
	int r;

	r = cli_parse_json(ctx, cmd, what, text, &arr);
	if (r != CLI_OK)
		return r;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		goto bad;
	json_array_foreach (arr, i, e) {
		if (!json_is_number(e))
			goto bad;
	}
	*v = arr;
	return CLI_OK;
bad:
	json_decref(arr);
	return cli_usage_error(ctx->path,
			       "%s: %s takes a non-empty JSON array of "
			       "numbers, not '%s'",
			       cmd, what, text);
}

static int cmd_array_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *type = cli_opt_get(ctx, "type");
	const char *length = cli_opt_get(ctx, "length");
	const char *values = cli_opt_get(ctx, "values");
	json_t *params = NULL, *res = NULL, *v;
	long long n;
	int r;

	if (type == NULL)
		return cli_usage_error(ctx->path,
				       "array create: --type is required");
	if (strcmp(type, "int") != 0 && strcmp(type, "float") != 0)
		return cli_usage_error(ctx->path,
				       "array create: --type takes int or "
				       "float, not '%s'",
				       type);
	if ((length == NULL) == (values == NULL))
		return cli_usage_error(ctx->path,
				       "array create: give --length or "
				       "--values, %s",
				       length == NULL ? "one is needed" :
							"not both");
	r = cli_broker_params(ctx, "array create", argv[0], &params);
	if (r != CLI_OK)
		return r;
	if (cli_json_set(params, "type", json_string(type)) < 0)
		goto nomem;
	if (length != NULL) {
		r = cli_parse_int(ctx, "array create", "--length", length, 1,
				  LLONG_MAX, &n);
		if (r != CLI_OK)
			goto out;
		if (cli_json_set(params, "length", json_integer(n)) < 0)
			goto nomem;
	} else {
		r = array_values(ctx, "array create", "--values", values, &v);
		if (r != CLI_OK)
			goto out;
		if (cli_json_set(params, "values", v) < 0)
			goto nomem;
	}
	if (cli_opt_get(ctx, "exist-ok") != NULL &&
	    cli_json_set(params, "exist_ok", json_true()) < 0)
		goto nomem;
	r = cli_broker_call(ctx, "array create", MPD_M_ARRAY_CREATE, params,
			    &res);
	if (r == CLI_OK && ctx->json)
		r = cli_print_json(ctx, res, false);
	goto out;
nomem:
	cli_error("array create: out of memory");
	r = CLI_FAIL;
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_array_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *res = NULL, *v, *e;
	size_t i;
	int r;

	r = cli_broker_params(ctx, "array get", argv[0], &params);
	if (r == CLI_OK && argc > 1)
		r = array_selection(ctx, "array get", argv[1], params);
	if (r == CLI_OK)
		r = cli_broker_call(ctx, "array get", MPD_M_ARRAY_GET, params,
				    &res);
	if (r != CLI_OK)
		goto out;
	if (ctx->json) {
		r = cli_print_json(ctx, res, false);
		goto out;
	}
	v = json_object_get(res, "value");
	if (v != NULL) {
		r = cli_print_value("array get", v, false);
		goto out;
	}
	v = json_object_get(res, "values");
	if (!json_is_array(v)) {
		cli_error("array get: mpdd sent no values");
		r = CLI_FAIL;
		goto out;
	}
	json_array_foreach (v, i, e) {
		r = cli_print_value("array get", e, false);
		if (r != CLI_OK)
			break;
	}
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_array_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *values = cli_opt_get(ctx, "values");
	json_t *params = NULL, *res = NULL, *v;
	long long index;
	int r;

	if (values != NULL && argc > 2)
		return cli_usage_error(ctx->path,
				       "array set: give V or --values, not "
				       "both");
	if (values == NULL && argc < 3)
		return cli_usage_error(ctx->path,
				       "array set: missing V (or --values)");
	r = cli_parse_int(ctx, "array set", values ? "START" : "INDEX", argv[1],
			  LLONG_MIN, LLONG_MAX, &index);
	if (r != CLI_OK)
		return r;
	if (values != NULL)
		r = array_values(ctx, "array set", "--values", values, &v);
	else
		r = cli_parse_number(ctx, "array set", "V", argv[2], &v);
	if (r != CLI_OK)
		return r;
	r = cli_broker_params(ctx, "array set", argv[0], &params);
	if (r != CLI_OK) {
		json_decref(v);
		return r;
	}
	if (cli_json_set(params, values ? "values" : "value", v) < 0 ||
	    cli_json_set(params, values ? "start" : "index",
			 json_integer(index)) < 0) {
		cli_error("array set: out of memory");
		r = CLI_FAIL;
		goto out;
	}
	r = cli_broker_call(ctx, "array set", MPD_M_ARRAY_SET, params, &res);
	if (r == CLI_OK && ctx->json)
		r = cli_print_json(ctx, res, false);
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_array_add_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *res = NULL, *delta, *v;
	long long index;
	int r;

	r = cli_parse_int(ctx, "array add", "INDEX", argv[1], LLONG_MIN,
			  LLONG_MAX, &index);
	if (r != CLI_OK)
		return r;
	r = cli_parse_number(ctx, "array add", "DELTA", argv[2], &delta);
	if (r != CLI_OK)
		return r;
	r = cli_broker_params(ctx, "array add", argv[0], &params);
	if (r != CLI_OK) {
		json_decref(delta);
		return r;
	}
	if (cli_json_set(params, "delta", delta) < 0 ||
	    cli_json_set(params, "index", json_integer(index)) < 0) {
		cli_error("array add: out of memory");
		r = CLI_FAIL;
		goto out;
	}
	r = cli_broker_call(ctx, "array add", MPD_M_ARRAY_ADD, params, &res);
	if (r != CLI_OK)
		goto out;
	v = json_object_get(res, "value");
	if (ctx->json) {
		r = cli_print_json(ctx, res, false);
	} else if (v == NULL) {
		cli_error("array add: mpdd sent no value");
		r = CLI_FAIL;
	} else {
		r = cli_print_value("array add", v, false);
	}
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_array_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_simple(ctx, "array delete", MPD_M_ARRAY_DELETE,
				 argv[0]);
}

static int cmd_array_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "TYPE", "type" },
		{ "LENGTH", "length" },
	};

	return cli_broker_list(ctx, "array list", mpd_array_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_array_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create an array",
	.help = "Creates the array NAME of --type T (required), int or float, with either\n"
		"--length N zeros or --values, a JSON array of numbers ('[1, 2, 3]'). An\n"
		"existing array is an error (exists), or with --exist-ok fine (when of the same\n"
		"type and length) and left as it is. Prints nothing; with --json, the result\n"
		"({name, type, length, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "type", "T", "int or float (required)", false },
			{ "length", "N", "N elements, all zero", false },
			{ "values", "JSON", "the elements, a JSON array",
			  false },
			{ "exist-ok", NULL, "an existing array is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_array_create_exec,
};

static const struct cli_cmd cli_cmd_array_get = {
	.name = "get",
	.usage = "NAME [INDEX|START:STOP]",
	.summary = "print elements of an array",
	.help = "Prints the element at INDEX, or the elements of the slice "
		"START:STOP, or all\nof them, one a line. Indices count from "
		"0; negative ones from the end. In a\nslice either side may be "
		"left out (2:, :3, -2:), and it is clamped as in\nPython. With "
		"--json, prints the result ({value} or {values}).",
	.min_args = 1,
	.max_args = 2,
	.exec = cmd_array_get_exec,
};

static const struct cli_cmd cli_cmd_array_set = {
	.name = "set",
	.usage = "NAME INDEX V",
	.summary = "set elements of an array",
	.help = "Or: mpd-cli array set NAME START --values JSON\n\n"
		"Sets the element at INDEX to the number V; or, with --values "
		"(a JSON array\nof numbers), that many elements from START, "
		"which must fit. Prints nothing;\nwith --json, the result "
		"({}).",
	.min_args = 2,
	.max_args = 3,
	.options =
		(const struct cli_opt[]){
			{ "values", "JSON",
			  "set these elements, a JSON array, from START",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_array_set_exec,
};

static const struct cli_cmd cli_cmd_array_add = {
	.name = "add",
	.usage = "NAME INDEX DELTA",
	.summary = "add to an element atomically",
	.help = "Adds DELTA (an integer for an int array) to the element at "
		"INDEX in one\natomic step and prints its new value. With "
		"--json, prints the result.",
	.min_args = 3,
	.max_args = 3,
	.exec = cmd_array_add_exec,
};

static const struct cli_cmd cli_cmd_array_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete an array",
	.help = "Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_array_delete_exec,
};

static const struct cli_cmd cli_cmd_array_list = {
	.name = "list",
	.usage = "",
	.summary = "list the arrays",
	.help = "Prints a table of the arrays in name order: NAME TYPE "
		"LENGTH. With --json,\nprints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_array_list_exec,
};

static const struct cli_cmd *const array_commands[] = {
	&cli_cmd_array_create,
	&cli_cmd_array_get,
	&cli_cmd_array_set,
	&cli_cmd_array_add,
	&cli_cmd_array_delete,
	&cli_cmd_array_list,
	NULL,
};

const struct cli_cmd cli_cmd_array = {
	.name = "array",
	.usage = "COMMAND",
	.summary = "the daemon's named arrays",
	.help = "Fixed-length arrays of int or float that live in mpdd, "
		"shared by every\nclient: Python's Array, with atomic add.",
	.subcommands = array_commands,
};
