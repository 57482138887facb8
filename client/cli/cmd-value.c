/*
 * cmd-value.c - the "value" commands: create, get, set, add, cas, delete
 * and list, on the daemon's typed shared values (Python's Value).
 *
 * A value on the command line (V, EXPECTED, NEW) is read by the value's
 * type: JSON for int, float and json values; for a string value, the
 * argument verbatim, so that "mpd-cli value set greeting hello" sets
 * "hello" and "value set greeting 42" sets "42". --json-value reads it
 * as JSON whatever the type. set asks the value's type first (value.get)
 * unless --json-value makes that needless, cas always does (it prints the
 * value as get does), create knows it from --type. get prints a string
 * value as its text, any other (a json value holding a string too) as
 * JSON.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The types a value may have. */
static const char *const value_types[] = { "int", "float", "string", "json",
					   NULL };

/* An option row of set, cas and create. */
#define JSON_VALUE_OPTION                                                     \
	{                                                                     \
		"json-value", NULL,                                           \
			"read values as JSON, also for a string value", false \
	}

/*
 * Read text, for a value of type (NULL: unknown, read as JSON), into *v
 * (a new reference): verbatim for a string value unless --json-value was
 * given, else JSON. Returns CLI_OK, or the exit status after a usage
 * error naming what.
 */
static int value_arg(const struct cli_ctx *ctx, const char *cmd,
		     const char *what, const char *text, const char *type,
		     json_t **v)
{
	json_t *s;

	if (type != NULL && strcmp(type, "string") == 0 &&
	    cli_opt_get(ctx, "json-value") == NULL) {
		s = json_string(text);
		if (s == NULL)
			return cli_usage_error(ctx->path,
					       "%s: %s is not valid UTF-8", cmd,
					       what);
		*v = s;
		return CLI_OK;
	}
	return cli_parse_json(ctx, cmd, what, text, v);
}

/* True when the value.get result res (borrowed) is of a string value. */
static bool is_string_value(const json_t *res)
{
	const json_t *type = json_object_get(res, "type");

	return json_is_string(type) &&
	       strcmp(json_string_value(type), "string") == 0;
}

/*
 * The type of value name, asked with value.get (when always is false,
 * only when --json-value does not make it needless). Returns CLI_OK with
 * *type (borrowed from *res, a new reference the caller drops; both NULL
 * when not asked), or the exit status.
 */
static int value_type(struct cli_ctx *ctx, const char *cmd, json_t *params,
		      bool always, json_t **res, const char **type)
{
	const json_t *t;
	int r;

	*res = NULL;
	*type = NULL;
	if (!always && cli_opt_get(ctx, "json-value") != NULL)
		return CLI_OK;
	r = cli_broker_call(ctx, cmd, MPD_M_VALUE_GET, params, res);
	if (r != CLI_OK)
		return r;
	t = json_object_get(*res, "type");
	if (!json_is_string(t)) {
		cli_error("%s: mpdd sent no type", cmd);
		return CLI_FAIL;
	}
	*type = json_string_value(t);
	return CLI_OK;
}

static int cmd_value_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *type = cli_opt_get(ctx, "type");
	const char *text = cli_opt_get(ctx, "value");
	json_t *params = NULL, *res = NULL, *v = NULL;
	size_t i;
	int r;

	if (type == NULL)
		return cli_usage_error(ctx->path,
				       "value create: --type is required");
	for (i = 0; value_types[i] != NULL; i++) {
		if (strcmp(type, value_types[i]) == 0)
			break;
	}
	if (value_types[i] == NULL)
		return cli_usage_error(ctx->path,
				       "value create: --type takes int, float, "
				       "string or json, not '%s'",
				       type);
	if (text == NULL && cli_opt_get(ctx, "json-value") != NULL)
		return cli_usage_error(ctx->path,
				       "value create: --json-value needs "
				       "--value");
	r = cli_broker_params(ctx, "value create", argv[0], &params);
	if (r != CLI_OK)
		return r;
	if (cli_json_set(params, "type", json_string(type)) < 0)
		goto nomem;
	if (text != NULL) {
		r = value_arg(ctx, "value create", "--value", text, type, &v);
		if (r != CLI_OK)
			goto out;
		if (cli_json_set(params, "value", v) < 0)
			goto nomem;
	}
	if (cli_opt_get(ctx, "exist-ok") != NULL &&
	    cli_json_set(params, "exist_ok", json_true()) < 0)
		goto nomem;
	r = cli_broker_call(ctx, "value create", MPD_M_VALUE_CREATE, params,
			    &res);
	if (r == CLI_OK && ctx->json)
		r = cli_print_json(ctx, res, false);
	goto out;
nomem:
	cli_error("value create: out of memory");
	r = CLI_FAIL;
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_value_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *res = NULL, *v;
	int r;

	r = cli_broker_params(ctx, "value get", argv[0], &params);
	if (r == CLI_OK)
		r = cli_broker_call(ctx, "value get", MPD_M_VALUE_GET, params,
				    &res);
	if (r != CLI_OK)
		goto out;
	v = json_object_get(res, "value");
	if (ctx->json) {
		r = cli_print_json(ctx, res, false);
	} else if (v == NULL) {
		cli_error("value get: mpdd sent no value");
		r = CLI_FAIL;
	} else {
		r = cli_print_value("value get", v, is_string_value(res));
	}
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_value_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *got = NULL, *res = NULL, *v;
	const char *type;
	int r;

	r = cli_broker_params(ctx, "value set", argv[0], &params);
	if (r == CLI_OK)
		r = value_type(ctx, "value set", params, false, &got, &type);
	if (r == CLI_OK)
		r = value_arg(ctx, "value set", "V", argv[1], type, &v);
	if (r != CLI_OK)
		goto out;
	if (cli_json_set(params, "value", v) < 0) {
		cli_error("value set: out of memory");
		r = CLI_FAIL;
		goto out;
	}
	r = cli_broker_call(ctx, "value set", MPD_M_VALUE_SET, params, &res);
	if (r == CLI_OK && ctx->json)
		r = cli_print_json(ctx, res, false);
out:
	json_decref(res);
	json_decref(got);
	json_decref(params);
	return r;
}

static int cmd_value_add_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *res = NULL, *delta, *v;
	int r;

	r = cli_parse_number(ctx, "value add", "DELTA", argv[1], &delta);
	if (r != CLI_OK)
		return r;
	r = cli_broker_params(ctx, "value add", argv[0], &params);
	if (r != CLI_OK) {
		json_decref(delta);
		return r;
	}
	if (cli_json_set(params, "delta", delta) < 0) {
		cli_error("value add: out of memory");
		r = CLI_FAIL;
		goto out;
	}
	r = cli_broker_call(ctx, "value add", MPD_M_VALUE_ADD, params, &res);
	if (r != CLI_OK)
		goto out;
	v = json_object_get(res, "value");
	if (ctx->json) {
		r = cli_print_json(ctx, res, false);
	} else if (v == NULL) {
		cli_error("value add: mpdd sent no value");
		r = CLI_FAIL;
	} else {
		r = cli_print_value("value add", v, false);
	}
out:
	json_decref(res);
	json_decref(params);
	return r;
}

static int cmd_value_cas_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *params = NULL, *got = NULL, *res = NULL, *expected, *v;
	const char *type;
	bool swapped;
	int r;

	r = cli_broker_params(ctx, "value cas", argv[0], &params);
	if (r == CLI_OK)
		r = value_type(ctx, "value cas", params, true, &got, &type);
	if (r == CLI_OK)
		r = value_arg(ctx, "value cas", "EXPECTED", argv[1], type,
			      &expected);
	if (r != CLI_OK)
		goto out;
	if (cli_json_set(params, "expected", expected) < 0)
		goto nomem;
	r = value_arg(ctx, "value cas", "NEW", argv[2], type, &v);
	if (r != CLI_OK)
		goto out;
	if (cli_json_set(params, "value", v) < 0)
		goto nomem;
	r = cli_broker_call(ctx, "value cas", MPD_M_VALUE_CAS, params, &res);
	if (r != CLI_OK)
		goto out;
	v = json_object_get(res, "value");
	if (!json_is_boolean(json_object_get(res, "swapped")) || v == NULL) {
		cli_error("value cas: mpdd sent no swapped or value");
		r = CLI_FAIL;
		goto out;
	}
	swapped = json_is_true(json_object_get(res, "swapped"));
	if (ctx->json) {
		r = cli_print_json(ctx, res, false);
	} else {
		fputs(swapped ? "swapped " : "not swapped ", stdout);
		r = cli_print_value("value cas", v, is_string_value(got));
	}
	if (r == CLI_OK && !swapped)
		r = CLI_FAIL;
	goto out;
nomem:
	cli_error("value cas: out of memory");
	r = CLI_FAIL;
out:
	json_decref(res);
	json_decref(got);
	json_decref(params);
	return r;
}

static int cmd_value_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_simple(ctx, "value delete", MPD_M_VALUE_DELETE,
				 argv[0]);
}

static int cmd_value_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "TYPE", "type" },
	};

	return cli_broker_list(ctx, "value list", mpd_value_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_value_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a value",
	.help = "Creates the value NAME of --type T (required): int (64-bit), float, string or\n"
		"json (any JSON value), set to --value V or to the type's zero (0, 0.0, \"\",\n"
		"null). V is JSON, except for a string value: then it is taken verbatim (--value\n"
		"hello), unless --json-value. An existing value is an error (exists), or with\n"
		"--exist-ok fine (when of the same type) and left as it is. Prints nothing; with\n"
		"--json, the result ({name, type, value, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "type", "T", "int, float, string or json (required)",
			  false },
			{ "value", "V", "the initial value", false },
			JSON_VALUE_OPTION,
			{ "exist-ok", NULL, "an existing value is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_value_create_exec,
};

static const struct cli_cmd cli_cmd_value_get = {
	.name = "get",
	.usage = "NAME",
	.summary = "print a value",
	.help = "Prints the value: a string value as its text (no quotes), "
		"any other as\ncompact JSON. With --json, prints the "
		"result ({value, type}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_value_get_exec,
};

static const struct cli_cmd cli_cmd_value_set = {
	.name = "set",
	.usage = "NAME V",
	.summary = "set a value",
	.help = "Sets the value to V. V is JSON for int, float and json "
		"values (42, 2.5,\n'{\"a\": [1]}'); for a string value it is "
		"taken verbatim (mpd-cli value set\ngreeting hello), unless "
		"--json-value is given. Without --json-value the\nvalue's type "
		"is asked first. Prints nothing; with --json, the result.",
	.min_args = 2,
	.max_args = 2,
	.options =
		(const struct cli_opt[]){
			JSON_VALUE_OPTION,
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_value_set_exec,
};

static const struct cli_cmd cli_cmd_value_add = {
	.name = "add",
	.usage = "NAME DELTA",
	.summary = "add to a number value atomically",
	.help = "Adds DELTA (an integer for an int value, any number for a "
		"float) in one\natomic step and prints the new value. With "
		"--json, prints the result.",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_value_add_exec,
};

static const struct cli_cmd cli_cmd_value_cas = {
	.name = "cas",
	.usage = "NAME EXPECTED NEW",
	.summary = "compare and swap a value",
	.help = "Sets the value to NEW only if it equals EXPECTED, and prints "
		"\"swapped VALUE\"\nor \"not swapped VALUE\" with the value "
		"now (as get prints it). Exit 0 when\nit swapped, 1 when not. "
		"EXPECTED and NEW are read as set reads V.\nWith --json, "
		"prints the result ({swapped, value}).",
	.min_args = 3,
	.max_args = 3,
	.options =
		(const struct cli_opt[]){
			JSON_VALUE_OPTION,
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_value_cas_exec,
};

static const struct cli_cmd cli_cmd_value_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a value",
	.help = "Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_value_delete_exec,
};

static const struct cli_cmd cli_cmd_value_list = {
	.name = "list",
	.usage = "",
	.summary = "list the values",
	.help = "Prints a table of the values in name order: NAME TYPE. With "
		"--json, prints\nthe array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_value_list_exec,
};

static const struct cli_cmd *const value_commands[] = {
	&cli_cmd_value_create, &cli_cmd_value_get,
	&cli_cmd_value_set,    &cli_cmd_value_add,
	&cli_cmd_value_cas,    &cli_cmd_value_delete,
	&cli_cmd_value_list,   NULL,
};

const struct cli_cmd cli_cmd_value = {
	.name = "value",
	.usage = "COMMAND",
	.summary = "the daemon's named values",
	.help = "Typed values that live in mpdd, shared by every client: "
		"Python's Value, with\natomic add and compare-and-swap.",
	.subcommands = value_commands,
};
