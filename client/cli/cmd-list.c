/*
 * cmd-list.c - the "list" commands: create, append, extend, get, set,
 * pop, len, insert, remove, clear, info, delete and list, on the
 * daemon's shared lists (Python's Manager().list()).
 *
 * Items on the command line (V) are JSON texts (42, '"text"', '{"a":1}');
 * with --string each is taken verbatim as a string, so that "list append
 * names alice" needs no quotes. Items are printed one a line as compact
 * JSON; with --raw a string item as its text. A selection is Python's:
 * INDEX, or START:STOP[:STEP] with any part left out (2:, :-1, ::-1),
 * negative ones counting from the end. get and set take either; set of a
 * slice replaces it with the items that follow (as l[a:b] = [...]).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What a selection names: one item, or a slice. */
struct selection {
	bool slice;
	long long index;
	long long start, stop, step; /* MPD_LIST_NONE: left out */
};

/* One part of a slice, text up to end (empty: left out), into *v. */
static int slice_part(const struct cli_ctx *ctx, const char *cmd,
		      const char *what, const char *text, const char *end,
		      long long *v)
{
	char *part;
	int r;

	*v = MPD_LIST_NONE;
	if (end == text)
		return CLI_OK;
	part = strndup(text, (size_t)(end - text));
	if (part == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	/* LLONG_MIN is MPD_LIST_NONE: one more is as far as it goes. */
	r = cli_parse_int(ctx, cmd, what, part, LLONG_MIN + 1, LLONG_MAX, v);
	free(part);
	return r;
}

/*
 * Parse text, "INDEX" or "START:STOP[:STEP]", into *sel. Returns CLI_OK,
 * or the exit status after a usage error.
 */
static int list_selection(const struct cli_ctx *ctx, const char *cmd,
			  const char *text, struct selection *sel)
{
	const char *colon = strchr(text, ':'), *second;
	int r;

	sel->slice = colon != NULL;
	if (colon == NULL)
		return cli_parse_int(ctx, cmd, "INDEX", text, LLONG_MIN,
				     LLONG_MAX, &sel->index);
	second = strchr(colon + 1, ':');
	r = slice_part(ctx, cmd, "START", text, colon, &sel->start);
	if (r == CLI_OK)
		r = slice_part(ctx, cmd, "STOP", colon + 1,
			       second != NULL ? second : colon + strlen(colon),
			       &sel->stop);
	if (r == CLI_OK && second != NULL)
		r = slice_part(ctx, cmd, "STEP", second + 1,
			       second + strlen(second), &sel->step);
	else
		sel->step = MPD_LIST_NONE;
	if (r == CLI_OK && sel->step == 0)
		return cli_usage_error(ctx->path, "%s: STEP must not be 0",
				       cmd);
	return r;
}

/* Read V (text) into *v, a new reference: JSON, or with --string the
 * text itself. Returns CLI_OK, or the exit status after a usage error. */
static int item_arg(const struct cli_ctx *ctx, const char *cmd,
		    const char *text, json_t **v)
{
	json_t *s;

	if (cli_opt_get(ctx, "string") == NULL)
		return cli_parse_json(ctx, cmd, "V", text, v);
	s = json_string(text);
	if (s == NULL)
		return cli_usage_error(ctx->path, "%s: V is not valid UTF-8",
				       cmd);
	*v = s;
	return CLI_OK;
}

/* The n texts argv as a new JSON array in *items. Returns CLI_OK or the
 * exit status. */
static int items_arg(const struct cli_ctx *ctx, const char *cmd, int n,
		     char **argv, json_t **items)
{
	json_t *a = json_array(), *v;
	int r = CLI_OK;

	for (int i = 0; a != NULL && r == CLI_OK && i < n; i++) {
		r = item_arg(ctx, cmd, argv[i], &v);
		if (r == CLI_OK && json_array_append_new(a, v) == -1)
			r = CLI_FAIL;
	}
	if (a == NULL || r == CLI_FAIL)
		cli_error("%s: out of memory", cmd);
	if (a == NULL || r != CLI_OK) {
		json_decref(a);
		return a == NULL ? CLI_FAIL : r;
	}
	*items = a;
	return CLI_OK;
}

/* Print an item (borrowed): a string as its text with --raw. */
static int print_item(const struct cli_ctx *ctx, const char *cmd,
		      const json_t *v)
{
	return cli_print_value(cmd, v, cli_opt_get(ctx, "raw") != NULL);
}

static int cmd_list_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *text = cli_opt_get(ctx, "items");
	struct mpd_list_options o = { 0 };
	struct mpd_error err;
	int r;

	o.exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	r = cli_broker_name(ctx, "list create", argv[0]);
	if (r == CLI_OK)
		r = cli_chan_mode(ctx, "list create", &o.mode);
	if (r == CLI_OK && text != NULL) {
		r = cli_parse_json(ctx, "list create", "--items", text,
				   &o.items);
		if (r == CLI_OK && !json_is_array(o.items))
			r = cli_usage_error(ctx->path,
					    "list create: --items takes a JSON "
					    "array, not '%s'",
					    text);
	}
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK) {
		r = mpd_list_create(ctx->client, argv[0], &o, &err);
		r = cli_broker_done(ctx, "list create", r, &err);
	}
	json_decref(o.items);
	return r;
}

static int cmd_list_append_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "list append", argv[0]);
	if (r == CLI_OK)
		r = item_arg(ctx, "list append", argv[1], &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = cli_broker_done(
			ctx, "list append",
			mpd_list_append(ctx->client, argv[0], v, &err), &err);
	json_decref(v);
	return r;
}

static int cmd_list_extend_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *items = NULL;
	int r;

	r = cli_broker_name(ctx, "list extend", argv[0]);
	if (r == CLI_OK)
		r = items_arg(ctx, "list extend", argc - 1, argv + 1, &items);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = cli_broker_done(ctx, "list extend",
				    mpd_list_extend(ctx->client, argv[0], items,
						    &err),
				    &err);
	json_decref(items);
	return r;
}

static int cmd_list_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct selection sel = { .slice = true,
				 .start = MPD_LIST_NONE,
				 .stop = MPD_LIST_NONE,
				 .step = MPD_LIST_NONE };
	struct mpd_error err;
	json_t *v = NULL, *e;
	size_t i;
	int r;

	r = cli_broker_name(ctx, "list get", argv[0]);
	if (r == CLI_OK && argc > 1)
		r = list_selection(ctx, "list get", argv[1], &sel);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (sel.slice)
		r = mpd_list_get_slice(ctx->client, argv[0], sel.start,
				       sel.stop, sel.step, &v, &err);
	else
		r = mpd_list_get(ctx->client, argv[0], sel.index, &v, &err);
	if (r < 0)
		return cli_call_error("list get", &err);
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	else if (!sel.slice)
		r = print_item(ctx, "list get", v);
	else
		json_array_foreach (v, i, e) {
			r = print_item(ctx, "list get", e);
			if (r != CLI_OK)
				break;
		}
	json_decref(v);
	return r;
}

static int cmd_list_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct selection sel;
	struct mpd_error err;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "list set", argv[0]);
	if (r == CLI_OK)
		r = list_selection(ctx, "list set", argv[1], &sel);
	if (r == CLI_OK && !sel.slice && argc != 3)
		r = cli_usage_error(ctx->path,
				    "list set: INDEX takes one V, not %d",
				    argc - 2);
	if (r == CLI_OK && sel.slice)
		r = items_arg(ctx, "list set", argc - 2, argv + 2, &v);
	else if (r == CLI_OK)
		r = item_arg(ctx, "list set", argv[2], &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (sel.slice)
		r = mpd_list_set_slice(ctx->client, argv[0], sel.start,
				       sel.stop, sel.step, v, &err);
	else
		r = mpd_list_set(ctx->client, argv[0], sel.index, v, &err);
	r = cli_broker_done(ctx, "list set", r, &err);
out:
	json_decref(v);
	return r;
}

static int cmd_list_pop_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	long long index = -1;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "list pop", argv[0]);
	if (r == CLI_OK && argc > 1)
		r = cli_parse_int(ctx, "list pop", "INDEX", argv[1], LLONG_MIN,
				  LLONG_MAX, &index);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_list_pop(ctx->client, argv[0], index, &v, &err) < 0)
		return cli_call_error("list pop", &err);
	r = ctx->json ?
		    cli_print_json(ctx, mpd_last_result(ctx->client), false) :
		    print_item(ctx, "list pop", v);
	json_decref(v);
	return r;
}

static int cmd_list_len_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	size_t n;
	int r;

	r = cli_broker_connect(ctx, "list len", argv[0]);
	if (r != CLI_OK)
		return r;
	if (mpd_list_len(ctx->client, argv[0], &n, &err) < 0)
		return cli_call_error("list len", &err);
	return cli_broker_print(ctx, "list len", "length");
}

static int cmd_list_insert_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	long long index = 0;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "list insert", argv[0]);
	if (r == CLI_OK)
		r = cli_parse_int(ctx, "list insert", "INDEX", argv[1],
				  LLONG_MIN, LLONG_MAX, &index);
	if (r == CLI_OK)
		r = item_arg(ctx, "list insert", argv[2], &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = cli_broker_done(ctx, "list insert",
				    mpd_list_insert(ctx->client, argv[0], index,
						    v, &err),
				    &err);
	json_decref(v);
	return r;
}

static int cmd_list_remove_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *v = NULL;
	int r;

	r = cli_broker_name(ctx, "list remove", argv[0]);
	if (r == CLI_OK)
		r = item_arg(ctx, "list remove", argv[1], &v);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = cli_broker_done(
			ctx, "list remove",
			mpd_list_remove(ctx->client, argv[0], v, &err), &err);
	json_decref(v);
	return r;
}

static int cmd_list_clear_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "list clear", mpd_list_clear, argv[0]);
}

static int cmd_list_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "list info", mpd_list_info, argv[0]);
}

static int cmd_list_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "list delete", mpd_list_delete, argv[0]);
}

static int cmd_list_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "LENGTH", "length" },
		{ "UID", "uid" },
		{ "MODE", "mode" },
	};

	return cli_broker_list(ctx, "list list", mpd_list_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

/* The options of the commands that read items and print them. */
#define STRING_OPTION                                            \
	{                                                        \
		"string", NULL,                                  \
			"take each V verbatim as a string, not " \
			"as JSON",                               \
			false                                    \
	}
#define RAW_OPTION                                                           \
	{                                                                    \
		"raw", NULL, "print a string item as its text, not as JSON", \
			false                                                \
	}
#define OPTIONS_END                     \
	{                               \
		NULL, NULL, NULL, false \
	}

static const struct cli_cmd cli_cmd_list_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a list",
	.help = "Creates the list NAME, empty or holding --items (a JSON "
		"array). It belongs\nto your uid; --mode says who else may "
		"read and change it. An existing list\nis an error (exists), "
		"or with --exist-ok fine and left as it is. Prints\nnothing; "
		"with --json, the result ({name, length, uid, mode, "
		"created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "items", "JSON", "its first items, a JSON array",
			  false },
			{ "mode", "M",
			  "who may use it: owner (default), group or everyone",
			  false },
			{ "exist-ok", NULL, "an existing list is no error",
			  false },
			OPTIONS_END,
		},
	.exec = cmd_list_create_exec,
};

static const struct cli_cmd cli_cmd_list_append = {
	.name = "append",
	.usage = "NAME V",
	.summary = "append an item to a list",
	.help = "Appends V, a JSON text (42, '\"text\"', '{\"a\": [1]}'), or "
		"with --string the\ntext itself. Prints nothing; with --json, "
		"the result ({length}).",
	.min_args = 2,
	.max_args = 2,
	.options = (const struct cli_opt[]){ STRING_OPTION, OPTIONS_END },
	.exec = cmd_list_append_exec,
};

static const struct cli_cmd cli_cmd_list_extend = {
	.name = "extend",
	.usage = "NAME V...",
	.summary = "append items to a list",
	.help = "Appends each V (as append reads it), all of them or none, "
		"in one call.\nPrints nothing; with --json, the result "
		"({length}).",
	.min_args = 2,
	.max_args = CLI_ARGS_ANY,
	.options = (const struct cli_opt[]){ STRING_OPTION, OPTIONS_END },
	.exec = cmd_list_extend_exec,
};

static const struct cli_cmd cli_cmd_list_get = {
	.name = "get",
	.usage = "NAME [INDEX|SLICE]",
	.summary = "print items of a list",
	.help = "Prints the item at INDEX, or the items of SLICE "
		"(START:STOP[:STEP]), or all\nof them, one a line as compact "
		"JSON. Indexes count from 0, negative ones\nfrom the end; any "
		"part of a slice may be left out (2:, :-1, ::-1), as in\n"
		"Python. An INDEX past the end is an error; a SLICE is "
		"clamped. With --json,\nprints the result ({value} or "
		"{items}).",
	.min_args = 1,
	.max_args = 2,
	.options = (const struct cli_opt[]){ RAW_OPTION, OPTIONS_END },
	.exec = cmd_list_get_exec,
};

static const struct cli_cmd cli_cmd_list_set = {
	.name = "set",
	.usage = "NAME INDEX V",
	.summary = "set items of a list",
	.help = "Or: mpd-cli list set NAME SLICE [V...]\n\n"
		"Sets the item at INDEX to V; or replaces SLICE "
		"(START:STOP[:STEP]) with the\nVs, however many, as Python's "
		"l[a:b] = [...] (an extended slice, with a\nSTEP, takes as "
		"many as it selects). V is read as append reads it. Prints\n"
		"nothing; with --json, the result ({length}).",
	.min_args = 2,
	.max_args = CLI_ARGS_ANY,
	.options = (const struct cli_opt[]){ STRING_OPTION, OPTIONS_END },
	.exec = cmd_list_set_exec,
};

static const struct cli_cmd cli_cmd_list_pop = {
	.name = "pop",
	.usage = "NAME [INDEX]",
	.summary = "take an item from a list",
	.help = "Removes the item at INDEX (default -1: the last) and prints "
		"it. Exits 5 when\nthe list is empty. With --json, prints the "
		"result ({value}).",
	.min_args = 1,
	.max_args = 2,
	.options = (const struct cli_opt[]){ RAW_OPTION, OPTIONS_END },
	.exec = cmd_list_pop_exec,
};

static const struct cli_cmd cli_cmd_list_len = {
	.name = "len",
	.usage = "NAME",
	.summary = "print the length of a list",
	.help = "Prints the number of items. With --json, the result "
		"({length}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_list_len_exec,
};

static const struct cli_cmd cli_cmd_list_insert = {
	.name = "insert",
	.usage = "NAME INDEX V",
	.summary = "insert an item into a list",
	.help = "Inserts V before INDEX, clamped as Python's insert() (0: "
		"first; past the\nend: last). V is read as append reads it. "
		"Prints nothing; with --json, the\nresult ({length}).",
	.min_args = 3,
	.max_args = 3,
	.options = (const struct cli_opt[]){ STRING_OPTION, OPTIONS_END },
	.exec = cmd_list_insert_exec,
};

static const struct cli_cmd cli_cmd_list_remove = {
	.name = "remove",
	.usage = "NAME V",
	.summary = "remove the first item equal to V",
	.help = "Removes the first item equal to V (JSON equality: 1 and 1.0 "
		"differ); V is\nread as append reads it. An absent V is an "
		"error. Prints nothing; with\n--json, the result ({length}).",
	.min_args = 2,
	.max_args = 2,
	.options = (const struct cli_opt[]){ STRING_OPTION, OPTIONS_END },
	.exec = cmd_list_remove_exec,
};

static const struct cli_cmd cli_cmd_list_clear = {
	.name = "clear",
	.usage = "NAME",
	.summary = "remove every item of a list",
	.help = "The list stays, empty. Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_list_clear_exec,
};

static const struct cli_cmd cli_cmd_list_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a list",
	.help = "Prints list.info as \"key: value\" lines: length, uid, "
		"mode, bytes, gid,\nowner (the creator), since. With --json, "
		"the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_list_info_exec,
};

static const struct cli_cmd cli_cmd_list_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a list",
	.help = "Only its owner's uid (and root) may. Prints nothing; with "
		"--json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_list_delete_exec,
};

static const struct cli_cmd cli_cmd_list_list = {
	.name = "list",
	.usage = "",
	.summary = "list the lists",
	.help = "Prints a table of the lists you may use, in name order: "
		"NAME LENGTH UID\nMODE. With --json, prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_list_list_exec,
};

static const struct cli_cmd *const list_commands[] = {
	&cli_cmd_list_create, &cli_cmd_list_append,
	&cli_cmd_list_extend, &cli_cmd_list_get,
	&cli_cmd_list_set,    &cli_cmd_list_pop,
	&cli_cmd_list_len,    &cli_cmd_list_insert,
	&cli_cmd_list_remove, &cli_cmd_list_clear,
	&cli_cmd_list_info,   &cli_cmd_list_delete,
	&cli_cmd_list_list,   NULL,
};

const struct cli_cmd cli_cmd_list = {
	.name = "list",
	.usage = "COMMAND",
	.summary = "the daemon's shared lists",
	.help = "Lists of JSON values that live in mpdd: Python's "
		"Manager().list(), with\nPython's indexes and slices. A list "
		"belongs to its creator's uid; its mode\nsays who else may "
		"use it.",
	.subcommands = list_commands,
};
