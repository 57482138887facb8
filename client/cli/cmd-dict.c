/*
 * cmd-dict.c - the "dict" commands: create, get, set, setdefault, pop,
 * del, keys, items, len, update, clear, contains, add, info, delete and
 * list, on the daemon's shared dicts (Python's Manager().dict()).
 *
 * Values on the command line are JSON (42, '"text"', '{"a": [1]}');
 * --string takes one verbatim as a string, so that "dict set d greeting
 * hello --string" sets "hello". Values are printed as compact JSON, a
 * string too (it may be any JSON), unless --raw asks for a string's bare
 * text. keys prints one key per line, items one "KEY<TAB>VALUE" line per
 * entry, both in key order and whole (every page the daemon answers in).
 * A missing key exits 4, as a missing dict does; contains exits 0 when
 * the key is there and 1 when not, as grep -q does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The option rows that say how a value argument, or a value printed, is
 * read or written. */
#define STRING_OPTION                                                        \
	{                                                                    \
		"string", NULL, "take the value verbatim as a string", false \
	}
#define RAW_OPTION                                                          \
	{                                                                   \
		"raw", NULL, "print a string value as its text, no quotes", \
			false                                               \
	}
#define OPTIONS_END                     \
	{                               \
		NULL, NULL, NULL, false \
	}

/*
 * Read text (named what in errors) into *v, a new reference: verbatim as
 * a string with --string, else JSON. Returns CLI_OK or the exit status
 * after a usage error.
 */
static int value_arg(const struct cli_ctx *ctx, const char *cmd,
		     const char *what, const char *text, json_t **v)
{
	if (cli_opt_get(ctx, "string") == NULL)
		return cli_parse_json(ctx, cmd, what, text, v);
	*v = json_string(text);
	if (*v == NULL)
		return cli_usage_error(ctx->path, "%s: %s is not valid UTF-8",
				       cmd, what);
	return CLI_OK;
}

/* A KEY argument: valid UTF-8 (any other text cannot be a JSON string).
 * Returns CLI_OK or the exit status after a usage error. */
static int key_arg(const struct cli_ctx *ctx, const char *cmd, const char *key)
{
	json_t *k = json_string(key);

	json_decref(k);
	return k != NULL ? CLI_OK :
			   cli_usage_error(ctx->path,
					   "%s: KEY is not valid UTF-8", cmd);
}

/* Check NAME and KEY, then connect. Returns CLI_OK or the exit status. */
static int connect_key(struct cli_ctx *ctx, const char *cmd, const char *name,
		       const char *key)
{
	int r = cli_broker_name(ctx, cmd, name);

	if (r == CLI_OK)
		r = key_arg(ctx, cmd, key);
	return r == CLI_OK ? cli_connect(ctx) : r;
}

/* After a call that read v (borrowed): the whole result with --json,
 * else v as --raw says. */
static int print_result(struct cli_ctx *ctx, const char *cmd, const json_t *v)
{
	if (ctx->json)
		return cli_print_json(ctx, mpd_last_result(ctx->client), false);
	return cli_print_value(cmd, v, cli_opt_get(ctx, "raw") != NULL);
}

static int cmd_dict_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_dict_options o = {
		.exist_ok = cli_opt_get(ctx, "exist-ok") != NULL,
	};
	struct mpd_error err;
	int r;

	r = cli_broker_name(ctx, "dict create", argv[0]);
	if (r == CLI_OK)
		r = cli_chan_mode(ctx, "dict create", &o.mode);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_dict_create(ctx->client, argv[0], &o, &err);
	return cli_broker_done(ctx, "dict create", r, &err);
}

/* get and pop: the value of KEY, or --default's. */
static int get_or_pop(struct cli_ctx *ctx, const char *cmd, char **argv,
		      int (*fn)(struct mpd_client *, const char *, const char *,
				json_t *, json_t **, int *, struct mpd_error *))
{
	const char *text = cli_opt_get(ctx, "default");
	json_t *dflt = NULL, *v = NULL;
	struct mpd_error err;
	int r = CLI_OK;

	if (text != NULL)
		r = value_arg(ctx, cmd, "--default", text, &dflt);
	if (r == CLI_OK)
		r = connect_key(ctx, cmd, argv[0], argv[1]);
	if (r == CLI_OK)
		r = fn(ctx->client, argv[0], argv[1], dflt, &v, NULL, &err) <
				    0 ?
			    cli_call_error(cmd, &err) :
			    print_result(ctx, cmd, v);
	json_decref(v);
	json_decref(dflt);
	return r;
}

static int cmd_dict_get_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return get_or_pop(ctx, "dict get", argv, mpd_dict_get);
}

static int cmd_dict_pop_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return get_or_pop(ctx, "dict pop", argv, mpd_dict_pop);
}

static int cmd_dict_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *v = NULL;
	int r;

	r = value_arg(ctx, "dict set", "V", argv[2], &v);
	if (r == CLI_OK)
		r = connect_key(ctx, "dict set", argv[0], argv[1]);
	if (r == CLI_OK) {
		r = mpd_dict_set(ctx->client, argv[0], argv[1], v, &err);
		r = cli_broker_done(ctx, "dict set", r, &err);
	}
	json_decref(v);
	return r;
}

static int cmd_dict_setdefault_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *v = NULL, *now = NULL;
	struct mpd_error err;
	int r = CLI_OK;

	if (argc > 2)
		r = value_arg(ctx, "dict setdefault", "V", argv[2], &v);
	if (r == CLI_OK)
		r = connect_key(ctx, "dict setdefault", argv[0], argv[1]);
	if (r == CLI_OK)
		r = mpd_dict_setdefault(ctx->client, argv[0], argv[1], v, &now,
					NULL, &err) < 0 ?
			    cli_call_error("dict setdefault", &err) :
			    print_result(ctx, "dict setdefault", now);
	json_decref(now);
	json_decref(v);
	return r;
}

static int cmd_dict_del_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	int r = connect_key(ctx, "dict del", argv[0], argv[1]);

	if (r != CLI_OK)
		return r;
	r = mpd_dict_del(ctx->client, argv[0], argv[1], &err);
	return cli_broker_done(ctx, "dict del", r, &err);
}

/* keys and items: every page after --after. */
static int listing(struct cli_ctx *ctx, const char *cmd, char **argv,
		   bool items)
{
	const char *after = cli_opt_get(ctx, "after");
	struct mpd_error err;
	json_t *all = NULL, *v, *out;
	const char *key;
	size_t i;
	int r;

	r = cli_broker_name(ctx, cmd, argv[0]);
	if (r == CLI_OK && after != NULL)
		r = key_arg(ctx, cmd, after);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = items ? mpd_dict_items(ctx->client, argv[0], after, 0, &all, NULL,
				   &err) :
		    mpd_dict_keys(ctx->client, argv[0], after, 0, &all, NULL,
				  &err);
	if (r < 0)
		return cli_call_error(cmd, &err);
	if (ctx->json) {
		out = json_pack("{s:O}", items ? "items" : "keys", all);
		r = out != NULL ? cli_print_json(ctx, out, false) : CLI_FAIL;
		json_decref(out);
	} else if (items) {
		json_object_foreach (all, key, v) {
			fputs(key, stdout);
			putchar('\t');
			r = cli_print_value(cmd, v,
					    cli_opt_get(ctx, "raw") != NULL);
			if (r != CLI_OK)
				break;
		}
	} else {
		json_array_foreach (all, i, v)
			puts(json_string_value(v));
	}
	json_decref(all);
	return r;
}

static int cmd_dict_keys_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return listing(ctx, "dict keys", argv, false);
}

static int cmd_dict_items_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return listing(ctx, "dict items", argv, true);
}

static int cmd_dict_len_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	size_t len;
	int r = cli_broker_connect(ctx, "dict len", argv[0]);

	if (r != CLI_OK)
		return r;
	if (mpd_dict_len(ctx->client, argv[0], &len, &err) < 0)
		return cli_call_error("dict len", &err);
	return cli_broker_print(ctx, "dict len", "len");
}

static int cmd_dict_update_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *entries = NULL;
	int r;

	r = cli_parse_json(ctx, "dict update", "ENTRIES", argv[1], &entries);
	if (r == CLI_OK && !json_is_object(entries))
		r = cli_usage_error(
			ctx->path, "dict update: ENTRIES is not a JSON object");
	if (r == CLI_OK)
		r = cli_broker_connect(ctx, "dict update", argv[0]);
	if (r == CLI_OK) {
		r = mpd_dict_update(ctx->client, argv[0], entries, NULL, &err);
		r = cli_broker_done(ctx, "dict update", r, &err);
	}
	json_decref(entries);
	return r;
}

static int cmd_dict_clear_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	int r = cli_broker_connect(ctx, "dict clear", argv[0]);

	if (r != CLI_OK)
		return r;
	r = mpd_dict_clear(ctx->client, argv[0], NULL, &err);
	return cli_broker_done(ctx, "dict clear", r, &err);
}

static int cmd_dict_contains_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	int r = connect_key(ctx, "dict contains", argv[0], argv[1]);
	int found;

	if (r != CLI_OK)
		return r;
	found = mpd_dict_contains(ctx->client, argv[0], argv[1], &err);
	if (found < 0)
		return cli_call_error("dict contains", &err);
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	else
		r = puts(found ? "true" : "false") < 0 ? CLI_FAIL : CLI_OK;
	return r == CLI_OK && !found ? CLI_FAIL : r;
}

static int cmd_dict_add_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	json_t *delta = NULL;
	int r;

	r = cli_parse_number(ctx, "dict add", "DELTA", argv[2], &delta);
	if (r == CLI_OK)
		r = connect_key(ctx, "dict add", argv[0], argv[1]);
	if (r == CLI_OK)
		r = mpd_dict_add(ctx->client, argv[0], argv[1], delta, NULL,
				 &err) < 0 ?
			    cli_call_error("dict add", &err) :
			    cli_broker_print(ctx, "dict add", "value");
	json_decref(delta);
	return r;
}

static int cmd_dict_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "dict info", mpd_dict_info, argv[0]);
}

static int cmd_dict_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "dict delete", mpd_dict_delete, argv[0]);
}

static int cmd_dict_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "LEN", "len" },
		{ "UID", "uid" },
		{ "MODE", "mode" },
	};

	return cli_broker_list(ctx, "dict list", mpd_dict_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_dict_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a dict",
	.help = "Creates the empty dict NAME, owned by your uid, until dict "
		"delete. --mode says\nwho else may use it. An existing dict is "
		"an error (exists), or with\n--exist-ok fine and left as it is. "
		"Prints nothing; with --json, the result\n({name, uid, mode, "
		"len, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "mode", "M",
			  "who may use it: owner (default), group or "
			  "everyone",
			  false },
			{ "exist-ok", NULL, "an existing dict is no error",
			  false },
			OPTIONS_END,
		},
	.exec = cmd_dict_create_exec,
};

static const struct cli_cmd cli_cmd_dict_get = {
	.name = "get",
	.usage = "NAME KEY [OPTIONS]",
	.summary = "print the value of a key",
	.help = "Prints the value of KEY as compact JSON (--raw: a string as "
		"its text). A\nmissing key exits 4 (not_found), unless --default "
		"V gives what to print\ninstead. With --json, prints the result "
		"({value, found}).",
	.min_args = 2,
	.max_args = 2,
	.options =
		(const struct cli_opt[]){
			{ "default", "V", "printed for a missing key (JSON)",
			  false },
			STRING_OPTION,
			RAW_OPTION,
			OPTIONS_END,
		},
	.exec = cmd_dict_get_exec,
};

static const struct cli_cmd cli_cmd_dict_set = {
	.name = "set",
	.usage = "NAME KEY V [OPTIONS]",
	.summary = "set a key",
	.help = "Sets KEY to V, read as JSON (42, '\"text\"', '{\"a\": [1]}'), "
		"or with --string\ntaken verbatim as a string. Prints nothing; "
		"with --json, {}.",
	.min_args = 3,
	.max_args = 3,
	.options =
		(const struct cli_opt[]){
			STRING_OPTION,
			OPTIONS_END,
		},
	.exec = cmd_dict_set_exec,
};

static const struct cli_cmd cli_cmd_dict_setdefault = {
	.name = "setdefault",
	.usage = "NAME KEY [V]",
	.summary = "set a key unless it is there",
	.help = "Sets KEY to V (JSON; null when not given) unless KEY is "
		"there, in one atomic\nstep, and prints the value KEY holds "
		"then. With --json, prints the result\n({value, inserted}).",
	.min_args = 2,
	.max_args = 3,
	.options =
		(const struct cli_opt[]){
			STRING_OPTION,
			RAW_OPTION,
			OPTIONS_END,
		},
	.exec = cmd_dict_setdefault_exec,
};

static const struct cli_cmd cli_cmd_dict_pop = {
	.name = "pop",
	.usage = "NAME KEY [OPTIONS]",
	.summary = "remove a key and print its value",
	.help = "Removes KEY and prints its value, as get does. A missing key "
		"exits 4\n(not_found), unless --default V gives what to print "
		"instead.",
	.min_args = 2,
	.max_args = 2,
	.options =
		(const struct cli_opt[]){
			{ "default", "V", "printed for a missing key (JSON)",
			  false },
			STRING_OPTION,
			RAW_OPTION,
			OPTIONS_END,
		},
	.exec = cmd_dict_pop_exec,
};

static const struct cli_cmd cli_cmd_dict_del = {
	.name = "del",
	.usage = "NAME KEY",
	.summary = "remove a key",
	.help = "Removes KEY; a missing key exits 4 (not_found). Prints "
		"nothing; with --json,\n{}.",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_dict_del_exec,
};

static const struct cli_cmd cli_cmd_dict_keys = {
	.name = "keys",
	.usage = "NAME [OPTIONS]",
	.summary = "print the keys",
	.help = "Prints the keys in key order (bytewise), one per line. With "
		"--json, prints\n{\"keys\": [...]}.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "after", "K", "start after the key K", false },
			OPTIONS_END,
		},
	.exec = cmd_dict_keys_exec,
};

static const struct cli_cmd cli_cmd_dict_items = {
	.name = "items",
	.usage = "NAME [OPTIONS]",
	.summary = "print the entries",
	.help = "Prints the entries in key order, one \"KEY<TAB>VALUE\" line "
		"each, the value as\nget prints it. With --json, prints "
		"{\"items\": {KEY: VALUE, ...}}.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "after", "K", "start after the key K", false },
			RAW_OPTION,
			OPTIONS_END,
		},
	.exec = cmd_dict_items_exec,
};

static const struct cli_cmd cli_cmd_dict_len = {
	.name = "len",
	.usage = "NAME",
	.summary = "print the number of entries",
	.help = "With --json, prints the result ({len}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_dict_len_exec,
};

static const struct cli_cmd cli_cmd_dict_update = {
	.name = "update",
	.usage = "NAME ENTRIES",
	.summary = "set many keys at once",
	.help = "Sets every entry of ENTRIES, a JSON object ('{\"a\": 1, "
		"\"b\": [2]}'), all or\nnone. Prints nothing; with --json, the "
		"result ({len}).",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_dict_update_exec,
};

static const struct cli_cmd cli_cmd_dict_clear = {
	.name = "clear",
	.usage = "NAME",
	.summary = "remove every key",
	.help = "Prints nothing; with --json, the result ({removed}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_dict_clear_exec,
};

static const struct cli_cmd cli_cmd_dict_contains = {
	.name = "contains",
	.usage = "NAME KEY",
	.summary = "tell whether a key is there",
	.help = "Prints true and exits 0 when KEY is there, prints false and "
		"exits 1 when\nnot. With --json, prints the result ({found}).",
	.min_args = 2,
	.max_args = 2,
	.exec = cmd_dict_contains_exec,
};

static const struct cli_cmd cli_cmd_dict_add = {
	.name = "add",
	.usage = "NAME KEY DELTA",
	.summary = "add to a number atomically",
	.help = "Adds DELTA to the number at KEY in one atomic step (a missing "
		"key counts as\n0) and prints the sum: integers stay integers, "
		"a real on either side makes a\nreal. With --json, prints the "
		"result ({value}).",
	.min_args = 3,
	.max_args = 3,
	.exec = cmd_dict_add_exec,
};

static const struct cli_cmd cli_cmd_dict_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "describe a dict",
	.help = "Prints name, uid, gid, mode, len, bytes, owner and since as "
		"\"key: value\"\nlines; with --json, the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_dict_info_exec,
};

static const struct cli_cmd cli_cmd_dict_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a dict",
	.help = "Removes the dict and its entries (its owner's uid only). "
		"Prints nothing; with\n--json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_dict_delete_exec,
};

static const struct cli_cmd cli_cmd_dict_list = {
	.name = "list",
	.usage = "",
	.summary = "list the dicts",
	.help = "Prints a table of the dicts you may use, in name order: NAME "
		"LEN UID MODE.\nWith --json, prints dict.list's array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_dict_list_exec,
};

static const struct cli_cmd *const dict_commands[] = {
	&cli_cmd_dict_create,
	&cli_cmd_dict_get,
	&cli_cmd_dict_set,
	&cli_cmd_dict_setdefault,
	&cli_cmd_dict_pop,
	&cli_cmd_dict_del,
	&cli_cmd_dict_keys,
	&cli_cmd_dict_items,
	&cli_cmd_dict_len,
	&cli_cmd_dict_update,
	&cli_cmd_dict_clear,
	&cli_cmd_dict_contains,
	&cli_cmd_dict_add,
	&cli_cmd_dict_info,
	&cli_cmd_dict_delete,
	&cli_cmd_dict_list,
	NULL,
};

const struct cli_cmd cli_cmd_dict = {
	.name = "dict",
	.usage = "COMMAND",
	.summary = "the daemon's shared dicts",
	.help = "Dicts that live in mpdd, string keys to JSON values: Python's "
		"Manager().dict(),\nwith atomic add, setdefault and update. A "
		"dict belongs to its creator's uid;\n--mode at create shares it "
		"with a group or everyone.",
	.subcommands = dict_commands,
};
