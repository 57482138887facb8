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
 * value as get does), create knows it from --type. add sends an integer
 * DELTA as an integer and any other as a real, and prints the sum as the
 * daemon sent it. get prints a string value as its text, any other (a
 * json value holding a string too) as JSON.
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
 * Read text into *v (a new reference): verbatim for a string value
 * (string true) unless --json-value was given, else JSON. Returns CLI_OK,
 * or the exit status after a usage error naming what.
 */
static int value_arg(const struct cli_ctx *ctx, const char *cmd,
		     const char *what, const char *text, bool string,
		     json_t **v)
{
	json_t *s;

	if (string && cli_opt_get(ctx, "json-value") == NULL) {
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

/*
 * Whether the value the last value.get read is a string value, from its
 * whole result: returns CLI_OK with *string, or the exit status.
 */
static int value_is_string(const struct cli_ctx *ctx, const char *cmd,
			   bool *string)
{
	const json_t *type =
		json_object_get(mpd_last_result(ctx->client), "type");

	if (!json_is_string(type)) {
		cli_error("%s: mpdd sent no type", cmd);
		return CLI_FAIL;
	}
	*string = strcmp(json_string_value(type), "string") == 0;
	return CLI_OK;
}

/*
 * Connect, and get value name (*v a new reference; v may be NULL to drop
 * it) and whether it is a string value. Returns CLI_OK or the exit status.
 */
static int value_get(struct cli_ctx *ctx, const char *cmd, const char *name,
		     json_t **v, bool *string)
{
	struct mpd_error err;
	json_t *got = NULL;
	int r;

	r = cli_broker_connect(ctx, cmd, name);
	if (r != CLI_OK)
		return r;
	if (mpd_value_get(ctx->client, name, &got, &err) < 0)
		return cli_call_error(cmd, &err);
	r = value_is_string(ctx, cmd, string);
	if (r == CLI_OK && v != NULL)
		*v = got;
	else
		json_decref(got);
	return r;
}

static int cmd_value_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *type = cli_opt_get(ctx, "type");
	const char *text = cli_opt_get(ctx, "value");
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	json_t *v = NULL;
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
	r = cli_broker_name(ctx, "value create", argv[0]);
	if (r == CLI_OK && text != NULL)
		r = value_arg(ctx, "value create", "--value", text,
			      strcmp(type, "string") == 0, &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK) {
		r = mpd_value_create(ctx->client, argv[0], type, v, exist_ok,
				     &err);
		r = cli_broker_done(ctx, "value create", r, &err);
	}
	json_decref(v);
	return r;
}

static int cmd_value_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL;
	bool string;
	int r;

	r = value_get(ctx, "value get", argv[0], &v, &string);
	if (r != CLI_OK)
		return r;
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	else
		r = cli_print_value("value get", v, string);
	json_decref(v);
	return r;
}

static int cmd_value_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	bool string = false;
	json_t *v;
	int r;

	if (cli_opt_get(ctx, "json-value") != NULL)
		r = cli_broker_name(ctx, "value set", argv[0]);
	else
		r = value_get(ctx, "value set", argv[0], NULL, &string);
	if (r == CLI_OK)
		r = value_arg(ctx, "value set", "V", argv[1], string, &v);
	if (r != CLI_OK)
		return r;
	r = cli_connect(ctx);
	if (r != CLI_OK) {
		json_decref(v);
		return r;
	}
	r = mpd_value_set(ctx->client, argv[0], v, &err);
	json_decref(v);
	return cli_broker_done(ctx, "value set", r, &err);
}

/* Add delta (a number) to value name with mpd_value_add_int for an
 * integer, mpd_value_add_double for a real. Returns as they do. */
static int value_add(struct mpd_client *c, const char *name,
		     const json_t *delta, struct mpd_error *err)
{
	if (json_is_integer(delta))
		return mpd_value_add_int(c, name, json_integer_value(delta),
					 NULL, err);
	return mpd_value_add_double(c, name, json_real_value(delta), NULL, err);
}

static int cmd_value_add_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *delta;
	int r;

	r = cli_parse_number(ctx, "value add", "DELTA", argv[1], &delta);
	if (r != CLI_OK)
		return r;
	r = cli_broker_connect(ctx, "value add", argv[0]);
	if (r == CLI_OK)
		r = value_add(ctx->client, argv[0], delta, &err) < 0 ?
			    cli_call_error("value add", &err) :
			    cli_broker_print(ctx, "value add", "value");
	json_decref(delta);
	return r;
}

static int cmd_value_cas_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *expected = NULL, *v = NULL, *now = NULL;
	struct mpd_error err;
	bool string;
	int swapped, r;

	r = value_get(ctx, "value cas", argv[0], NULL, &string);
	if (r == CLI_OK)
		r = value_arg(ctx, "value cas", "EXPECTED", argv[1], string,
			      &expected);
	if (r == CLI_OK)
		r = value_arg(ctx, "value cas", "NEW", argv[2], string, &v);
	if (r != CLI_OK)
		goto out;
	if (mpd_value_cas(ctx->client, argv[0], expected, v, &swapped, &now,
			  &err) < 0) {
		r = cli_call_error("value cas", &err);
		goto out;
	}
	if (ctx->json) {
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	} else {
		fputs(swapped ? "swapped " : "not swapped ", stdout);
		r = cli_print_value("value cas", now, string);
	}
	if (r == CLI_OK && !swapped)
		r = CLI_FAIL;
out:
	json_decref(now);
	json_decref(v);
	json_decref(expected);
	return r;
}

static int cmd_value_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "value delete", mpd_value_delete,
				  argv[0]);
}

/* The most columns value list gives a value; a longer one is cut and
 * ends in "~" (value get has it whole). */
#define VALUE_LIST_WIDTH 48

/*
 * value.list, each row with "value": the value's compact JSON, cut to
 * VALUE_LIST_WIDTH, from one value.get per value (a value deleted in
 * between shows "-"). Returns 0 with *list, or as mpd_value_list().
 */
static int list_with_values(struct mpd_client *c, json_t **list,
			    struct mpd_error *err)
{
	json_t *row, *v;
	size_t i, n;
	char *text;
	int r;

	r = mpd_value_list(c, list, err);
	if (r < 0)
		return r;
	json_array_foreach (*list, i, row) {
		const char *name =
			json_string_value(json_object_get(row, "name"));

		if (name == NULL || mpd_value_get(c, name, &v, NULL) < 0)
			continue;
		text = cli_json_text(v);
		json_decref(v);
		if (text == NULL)
			continue;
		/* Cut on a UTF-8 sequence's start. */
		n = 0;
		for (char *p = text; *p != '\0'; p++) {
			if (((unsigned char)*p & 0xC0) != 0x80 &&
			    ++n == VALUE_LIST_WIDTH && p[1] != '\0') {
				strcpy(p, "~");
				break;
			}
		}
		json_object_set_new(row, "value", json_string_nocheck(text));
		free(text);
	}
	return 0;
}

static int cmd_value_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "TYPE", "type" },
		{ "VALUE", "value" },
	};

	/* --json prints value.list's own result. */
	return cli_broker_list(ctx, "value list",
			       ctx->json ? mpd_value_list : list_with_values,
			       cols, sizeof(cols) / sizeof(cols[0]));
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
	.help = "Prints a table of the values in name order: NAME TYPE VALUE, "
		"the value as\ncompact JSON, cut to 48 columns (ending in "
		"\"~\"; value get prints it whole).\nWith --json, prints "
		"value.list's array ({name, type}).",
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
