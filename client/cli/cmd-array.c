/*
 * cmd-array.c - the "array" commands: create, get, set, add, delete and
 * list, on the daemon's fixed-length shared arrays of int or float
 * (Python's Array).
 *
 * Indices are Python's: from 0, negative ones counting from the end; a
 * slice is START:STOP with either side left out (2:, :3, :-1), clamped by
 * the daemon as Python clamps (a side left out is as far as it goes).
 * Arguments are checked here, before any call; ranges are the daemon's to
 * check, since only it knows the length.
 * Elements are printed one a line, so a shell can loop over them.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What array get selects: one element, a slice, or every element. */
struct selection {
	enum { SEL_ALL, SEL_INDEX, SEL_SLICE } kind;
	long long index;
	long long start, stop; /* a side left out: as far as it goes */
};

/*
 * Parse the selection text ("INDEX" or "START:STOP", either side may be
 * empty) into *sel. Returns CLI_OK, or the exit status after a usage
 * error.
 */
static int array_selection(const struct cli_ctx *ctx, const char *cmd,
			   const char *text, struct selection *sel)
{
	const char *colon = strchr(text, ':');
	char *start;
	int r;

	if (colon == NULL) {
		sel->kind = SEL_INDEX;
		return cli_parse_int(ctx, cmd, "INDEX", text, LLONG_MIN,
				     LLONG_MAX, &sel->index);
	}
	sel->kind = SEL_SLICE;
	sel->start = LLONG_MIN;
	sel->stop = LLONG_MAX;
	if (colon > text) {
		start = strndup(text, (size_t)(colon - text));
		if (start == NULL) {
			cli_error("%s: out of memory", cmd);
			return CLI_FAIL;
		}
		r = cli_parse_int(ctx, cmd, "START", start, LLONG_MIN,
				  LLONG_MAX, &sel->start);
		free(start);
		if (r != CLI_OK)
			return r;
	}
	if (colon[1] != '\0')
		return cli_parse_int(ctx, cmd, "STOP", colon + 1, LLONG_MIN,
				     LLONG_MAX, &sel->stop);
	return CLI_OK;
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
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	json_t *v = NULL;
	long long n = 0;
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
	r = cli_broker_name(ctx, "array create", argv[0]);
	if (r == CLI_OK && length != NULL)
		r = cli_parse_int(ctx, "array create", "--length", length, 1,
				  SIZE_MAX < LLONG_MAX ? (long long)SIZE_MAX :
							 LLONG_MAX,
				  &n);
	else if (r == CLI_OK)
		r = array_values(ctx, "array create", "--values", values, &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK) {
		r = mpd_array_create(ctx->client, argv[0], type, (size_t)n, v,
				     exist_ok, &err);
		r = cli_broker_done(ctx, "array create", r, &err);
	}
	json_decref(v);
	return r;
}

/* Print the elements of values (borrowed), one a line. Returns an exit
 * status. */
static int print_elements(const json_t *values)
{
	const json_t *e;
	size_t i;
	int r = CLI_OK;

	json_array_foreach (values, i, e) {
		r = cli_print_value("array get", e, false);
		if (r != CLI_OK)
			break;
	}
	return r;
}

static int cmd_array_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct selection sel = { .kind = SEL_ALL };
	struct mpd_error err;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "array get", argv[0]);
	if (r == CLI_OK && argc > 1)
		r = array_selection(ctx, "array get", argv[1], &sel);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (sel.kind == SEL_INDEX)
		r = mpd_array_get(ctx->client, argv[0], sel.index, &v, &err);
	else if (sel.kind == SEL_SLICE)
		r = mpd_array_get_slice(ctx->client, argv[0], sel.start,
					sel.stop, &v, &err);
	else
		r = mpd_array_get_all(ctx->client, argv[0], &v, &err);
	if (r < 0)
		return cli_call_error("array get", &err);
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	else if (sel.kind == SEL_INDEX)
		r = cli_print_value("array get", v, false);
	else
		r = print_elements(v);
	json_decref(v);
	return r;
}

static int cmd_array_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *values = cli_opt_get(ctx, "values");
	struct mpd_error err;
	long long index;
	json_t *v;
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
	r = cli_broker_connect(ctx, "array set", argv[0]);
	if (r == CLI_OK) {
		if (values != NULL)
			r = mpd_array_set_slice(ctx->client, argv[0], index, v,
						&err);
		else
			r = mpd_array_set(ctx->client, argv[0], index, v, &err);
		r = cli_broker_done(ctx, "array set", r, &err);
	}
	json_decref(v);
	return r;
}

/* Add delta (a number) to element index of array name with
 * mpd_array_add_int for an integer, mpd_array_add_double for a real.
 * Returns as they do. */
static int array_add(struct mpd_client *c, const char *name, int64_t index,
		     const json_t *delta, struct mpd_error *err)
{
	if (json_is_integer(delta))
		return mpd_array_add_int(c, name, index,
					 json_integer_value(delta), NULL, err);
	return mpd_array_add_double(c, name, index, json_real_value(delta),
				    NULL, err);
}

static int cmd_array_add_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	long long index;
	json_t *delta;
	int r;

	r = cli_parse_int(ctx, "array add", "INDEX", argv[1], LLONG_MIN,
			  LLONG_MAX, &index);
	if (r != CLI_OK)
		return r;
	r = cli_parse_number(ctx, "array add", "DELTA", argv[2], &delta);
	if (r != CLI_OK)
		return r;
	r = cli_broker_connect(ctx, "array add", argv[0]);
	if (r == CLI_OK)
		r = array_add(ctx->client, argv[0], index, delta, &err) < 0 ?
			    cli_call_error("array add", &err) :
			    cli_broker_print(ctx, "array add", "value");
	json_decref(delta);
	return r;
}

static int cmd_array_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "array delete", mpd_array_delete,
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
