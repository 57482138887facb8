/*
 * cmd-pool.c - the "pool" commands: create, submit, result, map, info,
 * list, close, terminate, join and delete, on the daemon's pools of
 * workers (Python's multiprocessing.Pool as a service).
 *
 * A pool outlives the command that creates it: submit prints the ids of
 * the tasks it adds, and result fetches their outcomes later, from any
 * shell. Outcomes print one a line, "ID done RESULT" or "ID failed NAME:
 * MESSAGE", so that a script can cut and grep them; result and map exit 1
 * when a task failed, 5 when their --timeout passed first. Task args and
 * map items are JSON texts, from the command line or one a line on stdin
 * (as queue put reads them), sent in batches.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* What a create command makes of its options, and the strings it made. */
struct pool_create {
	struct mpd_pool_options opts;
	const char **env;
	char *module;
	char *cwd;
	char *out, *err; /* --stdout, --stderr made absolute */
	json_t *initargs;
};

static void pool_create_free(struct pool_create *pc)
{
	free(pc->env);
	free(pc->module);
	free(pc->cwd);
	free(pc->out);
	free(pc->err);
	json_decref(pc->initargs);
}

/* Parse option name as an integer in [min, max] into *v when given. */
static int opt_int(struct cli_ctx *ctx, const char *cmd, const char *name,
		   long long min, long long max, int *v)
{
	const char *text = cli_opt_get(ctx, name);
	char what[64];
	long long n;
	int r;

	if (text == NULL)
		return CLI_OK;
	snprintf(what, sizeof(what), "--%s", name);
	r = cli_parse_int(ctx, cmd, what, text, min, max, &n);
	if (r == CLI_OK)
		*v = (int)n;
	return r;
}

/* path made absolute into *out (malloc'd). Returns CLI_OK or CLI_FAIL. */
static int take_absolute(const char *cmd, const char *path, char **out)
{
	*out = cli_absolute(path);
	if (*out == NULL) {
		cli_error("%s: %s: %s", cmd, path, strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The options of pool create into *pc. Returns CLI_OK or the status. */
static int create_options(struct cli_ctx *ctx, struct pool_create *pc)
{
	static const char cmd[] = "pool create";
	struct mpd_pool_options *o = &pc->opts;
	const char *module = cli_opt_get(ctx, "module");
	const char *initargs = cli_opt_get(ctx, "initargs");
	const char *cwd = cli_opt_get(ctx, "cwd");
	const char *file, *kv;
	bool given;
	size_t n = 0;
	int it = 0, r;

	r = opt_int(ctx, cmd, "processes", 1, MPD_POOL_MAX_PROCESSES,
		    &o->processes);
	if (r == CLI_OK)
		r = opt_int(ctx, cmd, "retries", 0, 100, &o->retries);
	if (r == CLI_OK)
		r = opt_int(ctx, cmd, "maxtasksperchild", 1, INT_MAX,
			    &o->maxtasksperchild);
	if (r == CLI_OK)
		r = cli_opt_seconds(ctx, cmd, "timeout", &o->timeout, &given);
	if (r != CLI_OK)
		return r;
	if (given && o->timeout == 0)
		return cli_usage_error(ctx->path, "%s: --timeout must be > 0",
				       cmd);
	o->function = cli_opt_get(ctx, "function");
	o->initializer = cli_opt_get(ctx, "initializer");
	if (module == NULL && (o->function != NULL || o->initializer != NULL ||
			       initargs != NULL || o->maxtasksperchild != 0))
		return cli_usage_error(ctx->path,
				       "%s: --function, --initializer, "
				       "--initargs and --maxtasksperchild "
				       "need --module",
				       cmd);
	if (initargs != NULL) {
		r = cli_parse_json(ctx, cmd, "--initargs", initargs,
				   &pc->initargs);
		if (r != CLI_OK)
			return r;
		o->initargs = pc->initargs;
	}
	/* A module path is the caller's; a bare name is the linker's. */
	if (module != NULL && strchr(module, '/') != NULL) {
		r = take_absolute(cmd, module, &pc->module);
		if (r != CLI_OK)
			return r;
		o->module = pc->module;
	} else {
		o->module = module;
	}
	/* As run: in this command's directory unless told. */
	r = take_absolute(cmd, cwd != NULL ? cwd : ".", &pc->cwd);
	if (r != CLI_OK)
		return r;
	o->cwd = pc->cwd;
	while (cli_opt_next(ctx, "env", &it) != NULL)
		n++;
	if (n > 0) {
		pc->env = calloc(n + 1, sizeof(*pc->env));
		if (pc->env == NULL) {
			cli_error("%s: out of memory", cmd);
			return CLI_FAIL;
		}
		it = 0;
		n = 0;
		while ((kv = cli_opt_next(ctx, "env", &it)) != NULL)
			pc->env[n++] = kv;
		o->env = pc->env;
	}
	o->start_method = cli_opt_get(ctx, "start-method");
	o->exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	if ((file = cli_opt_get(ctx, "stdout")) != NULL) {
		r = take_absolute(cmd, file, &pc->out);
		if (r != CLI_OK)
			return r;
		o->stdio[1] = (struct mpd_stdio){ .mode = MPD_STDIO_FILE,
						  .path = pc->out,
						  .append = 1 };
	}
	if ((file = cli_opt_get(ctx, "stderr")) != NULL) {
		r = take_absolute(cmd, file, &pc->err);
		if (r != CLI_OK)
			return r;
		o->stdio[2] = (struct mpd_stdio){ .mode = MPD_STDIO_FILE,
						  .path = pc->err,
						  .append = 1 };
	}
	return CLI_OK;
}

static int cmd_pool_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct pool_create pc = { 0 };
	struct mpd_error err;
	int r;

	r = cli_broker_name(ctx, "pool create", argv[0]);
	if (r == CLI_OK)
		r = create_options(ctx, &pc);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = cli_broker_done(ctx, "pool create",
				    mpd_pool_create(ctx->client, argv[0],
						    &pc.opts, NULL, &err),
				    &err);
	pool_create_free(&pc);
	return r;
}

/*
 * JSON texts, one a line, from stdin: hands each batch of at most max
 * values (a new array) to fn. Returns CLI_OK, or the status of fn or of
 * the failure.
 */
static int stdin_batches(struct cli_ctx *ctx, const char *cmd, size_t max,
			 int (*fn)(struct cli_ctx *ctx, json_t *batch,
				   void *arg),
			 void *arg)
{
	json_t *batch = json_array(), *v;
	char *line = NULL, what[64];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int r = CLI_OK;

	if (batch == NULL)
		goto nomem;
	while (r == CLI_OK && (len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (strspn(line, " \t\r") == (size_t)len)
			continue;
		snprintf(what, sizeof(what), "line %zu", lineno);
		r = cli_parse_json(ctx, cmd, what, line, &v);
		if (r != CLI_OK)
			break;
		if (json_array_append_new(batch, v) < 0)
			goto nomem;
		if (json_array_size(batch) == max) {
			r = fn(ctx, batch, arg);
			json_array_clear(batch);
		}
	}
	if (r == CLI_OK && ferror(stdin)) {
		cli_error("%s: cannot read stdin: %s", cmd, strerror(errno));
		r = CLI_FAIL;
	}
	if (r == CLI_OK && json_array_size(batch) > 0)
		r = fn(ctx, batch, arg);
	free(line);
	json_decref(batch);
	return r;
nomem:
	free(line);
	json_decref(batch);
	cli_error("%s: out of memory", cmd);
	return CLI_FAIL;
}

/* A submit command's state across its batches. */
struct submit {
	const char *name;
	const char *function;
	double timeout;
	json_t *ids; /* of the tasks submitted */
};

/* Submit a function task for each args of batch. Returns the status. */
static int submit_batch(struct cli_ctx *ctx, json_t *batch, void *arg)
{
	struct submit *s = arg;
	size_t n = json_array_size(batch);
	struct mpd_task *tasks = calloc(n, sizeof(*tasks));
	struct mpd_error err;
	int64_t first = 0;
	int r = CLI_OK;

	if (tasks == NULL) {
		cli_error("pool submit: out of memory");
		return CLI_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		tasks[i].function = s->function;
		tasks[i].args = json_array_get(batch, i);
		tasks[i].timeout = s->timeout;
	}
	if (mpd_pool_submit(ctx->client, s->name, tasks, n, &first, &err) < 0)
		r = cli_call_error("pool submit", &err);
	for (size_t i = 0; r == CLI_OK && i < n; i++)
		if (json_array_append_new(s->ids,
					  json_integer(first + (int64_t)i)) < 0)
			r = CLI_FAIL;
	free(tasks);
	return r;
}

static int cmd_pool_submit_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "pool submit";
	struct submit s = { .name = argv[0] };
	struct mpd_task task = { 0 };
	const char **targv = NULL;
	json_t *batch = NULL, *v;
	struct mpd_error err;
	int64_t first = 0;
	const char *text;
	bool given;
	int it = 0, r;

	s.function = cli_opt_get(ctx, "function");
	r = cli_broker_name(ctx, cmd, argv[0]);
	if (r == CLI_OK)
		r = cli_opt_seconds(ctx, cmd, "timeout", &s.timeout, &given);
	if (r != CLI_OK)
		return r;
	if (given && s.timeout == 0)
		return cli_usage_error(ctx->path, "%s: --timeout must be > 0",
				       cmd);
	if (argc > 1 && (s.function != NULL || cli_opt_get(ctx, "args")))
		return cli_usage_error(ctx->path,
				       "%s: give CMD, or --function and "
				       "--args, not both",
				       cmd);
	s.ids = json_array();
	batch = json_array();
	if (s.ids == NULL || batch == NULL)
		goto nomem;
	r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (argc > 1) {
		/* One program task: CMD and its args. */
		targv = calloc((size_t)argc, sizeof(*targv));
		if (targv == NULL)
			goto nomem;
		for (int i = 1; i < argc; i++)
			targv[i - 1] = argv[i];
		task.argv = targv;
		task.timeout = s.timeout;
		if (mpd_pool_submit(ctx->client, s.name, &task, 1, &first,
				    &err) < 0) {
			r = cli_call_error(cmd, &err);
			goto out;
		}
		if (json_array_append_new(s.ids, json_integer(first)) < 0)
			goto nomem;
	} else if (cli_opt_get(ctx, "args") != NULL) {
		while ((text = cli_opt_next(ctx, "args", &it)) != NULL) {
			r = cli_parse_json(ctx, cmd, "--args", text, &v);
			if (r != CLI_OK)
				goto out;
			if (json_array_append_new(batch, v) < 0)
				goto nomem;
		}
		r = submit_batch(ctx, batch, &s);
	} else {
		r = stdin_batches(ctx, cmd, MPD_POOL_SUBMIT_MAX, submit_batch,
				  &s);
	}
	if (r != CLI_OK)
		goto out;
	if (ctx->json) {
		v = json_pack("{s:O}", "ids", s.ids);
		r = v != NULL ? cli_print_json(ctx, v, false) : CLI_FAIL;
		json_decref(v);
	} else {
		for (size_t i = 0; i < json_array_size(s.ids); i++)
			printf("%lld\n", (long long)json_integer_value(
						 json_array_get(s.ids, i)));
	}
	goto out;
nomem:
	cli_error("%s: out of memory", cmd);
	r = CLI_FAIL;
out:
	free(targv);
	json_decref(batch);
	json_decref(s.ids);
	return r;
}

/* Print one outcome as a line: "ID done RESULT" or "ID failed NAME:
 * MESSAGE". Returns CLI_OK or CLI_FAIL (no memory). */
static int print_outcome(const char *cmd, const struct mpd_task_result *o)
{
	char *text;

	if (!o->done) {
		printf("%lld failed %s: %s\n", (long long)o->id, o->error.name,
		       o->error.message);
		return CLI_OK;
	}
	text = cli_json_text(o->result);
	if (text == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	printf("%lld done %s\n", (long long)o->id, text);
	free(text);
	return CLI_OK;
}

/* --order's value into *order. Returns CLI_OK or CLI_USAGE. */
static int parse_order(struct cli_ctx *ctx, const char *cmd, const char *text,
		       enum mpd_pool_order *order)
{
	if (text == NULL || strcmp(text, "all") == 0)
		*order = MPD_POOL_ORDER_ALL;
	else if (strcmp(text, "submission") == 0)
		*order = MPD_POOL_ORDER_SUBMISSION;
	else if (strcmp(text, "completion") == 0)
		*order = MPD_POOL_ORDER_COMPLETION;
	else
		return cli_usage_error(ctx->path,
				       "%s: --order takes all, submission or "
				       "completion, not '%s'",
				       cmd, text);
	return CLI_OK;
}

static int cmd_pool_result_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "pool result";
	const char *first = cli_opt_get(ctx, "first");
	const char *count = cli_opt_get(ctx, "count");
	const char *max = cli_opt_get(ctx, "max");
	struct mpd_pool_query q = { .keep = cli_opt_get(ctx, "keep") != NULL };
	struct mpd_task_result *out = NULL;
	struct mpd_error err;
	int64_t *ids = NULL;
	double timeout = -1;
	size_t n = 0, remaining = 0;
	long long v;
	int r, failed = 0;

	r = cli_broker_name(ctx, cmd, argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, cmd, "timeout", &timeout);
	if (r == CLI_OK)
		r = parse_order(ctx, cmd, cli_opt_get(ctx, "order"), &q.order);
	if (r != CLI_OK)
		return r;
	if ((argc > 1) == (first != NULL))
		return cli_usage_error(ctx->path,
				       "%s: give the task IDs, or --first "
				       "(and --count)",
				       cmd);
	if (count != NULL && first == NULL)
		return cli_usage_error(ctx->path, "%s: --count needs --first",
				       cmd);
	if (first != NULL) {
		r = cli_parse_int(ctx, cmd, "--first", first, 1, INT64_MAX, &v);
		q.first = v;
		if (r == CLI_OK && count != NULL) {
			r = cli_parse_int(ctx, cmd, "--count", count, 1,
					  INT64_MAX, &v);
			q.count = (size_t)v;
		}
	} else if (argc - 1 > MPD_POOL_RESULT_IDS_MAX) {
		return cli_usage_error(ctx->path, "%s: more than %d IDs", cmd,
				       MPD_POOL_RESULT_IDS_MAX);
	} else {
		ids = calloc((size_t)argc - 1, sizeof(*ids));
		if (ids == NULL) {
			cli_error("%s: out of memory", cmd);
			return CLI_FAIL;
		}
		for (int i = 1; r == CLI_OK && i < argc; i++) {
			r = cli_parse_int(ctx, cmd, "ID", argv[i], 1, INT64_MAX,
					  &v);
			ids[i - 1] = v;
		}
		q.ids = ids;
		q.nids = (size_t)argc - 1;
	}
	if (r == CLI_OK && max != NULL) {
		r = cli_parse_int(ctx, cmd, "--max", max, 1, LLONG_MAX, &v);
		q.max = (size_t)v;
	}
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (mpd_pool_result(ctx->client, argv[0], &q, timeout, &out, &n,
			    &remaining, &err) < 0) {
		r = cli_call_error(cmd, &err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		failed += !out[i].done;
	if (ctx->json)
		r = cli_print_json(ctx, mpd_last_result(ctx->client), false);
	for (size_t i = 0; !ctx->json && r == CLI_OK && i < n; i++)
		r = print_outcome(cmd, &out[i]);
	if (r == CLI_OK && failed > 0)
		r = CLI_FAIL;
out:
	mpd_task_results_free(out, n);
	free(ids);
	return r;
}

/* A map command's items. */
static int map_collect(struct cli_ctx *ctx, json_t *batch, void *arg)
{
	(void)ctx;
	return json_array_extend(arg, batch) == 0 ? CLI_OK : CLI_FAIL;
}

static int cmd_pool_map_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char cmd[] = "pool map";
	const char *chunks = cli_opt_get(ctx, "chunksize");
	json_t *items = json_array(), *results = NULL, *v;
	struct mpd_error err;
	double timeout = 0;
	size_t index = SIZE_MAX; /* set only when a task failed */
	long long cs = 0;
	bool given;
	int r;

	if (items == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	r = cli_broker_name(ctx, cmd, argv[0]);
	if (r == CLI_OK)
		r = cli_opt_seconds(ctx, cmd, "timeout", &timeout, &given);
	if (r == CLI_OK && given && timeout == 0)
		r = cli_usage_error(ctx->path, "%s: --timeout must be > 0",
				    cmd);
	if (r == CLI_OK && chunks != NULL)
		r = cli_parse_int(ctx, cmd, "--chunksize", chunks, 1, INT_MAX,
				  &cs);
	for (int i = 1; r == CLI_OK && i < argc; i++) {
		r = cli_parse_json(ctx, cmd, "ITEM", argv[i], &v);
		if (r == CLI_OK && json_array_append_new(items, v) < 0)
			r = CLI_FAIL;
	}
	if (r == CLI_OK && argc == 1)
		r = stdin_batches(ctx, cmd, SIZE_MAX, map_collect, items);
	if (r == CLI_OK && json_array_size(items) == 0)
		r = cli_usage_error(ctx->path, "%s: no items", cmd);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (mpd_pool_map(ctx->client, argv[0], cli_opt_get(ctx, "function"),
			 items, (size_t)cs, timeout, &results, &index,
			 &err) < 0) {
		if (index != SIZE_MAX) {
			cli_json_error(&err);
			cli_error("%s: item %zu: %s (%s)", cmd, index,
				  err.message, err.name);
			r = CLI_FAIL;
		} else {
			r = cli_call_error(cmd, &err);
		}
		goto out;
	}
	if (ctx->json) {
		r = cli_print_json(ctx, results, false);
		goto out;
	}
	for (size_t i = 0; r == CLI_OK && i < json_array_size(results); i++)
		r = cli_print_value(cmd, json_array_get(results, i), false);
out:
	json_decref(items);
	json_decref(results);
	return r;
}

static int cmd_pool_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "pool info", mpd_pool_info, argv[0]);
}

static int cmd_pool_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },	{ "KIND", "kind" },
		{ "STATE", "state" },	{ "PROCESSES", "processes" },
		{ "QUEUED", "queued" }, { "RUNNING", "running" },
	};

	return cli_broker_list(ctx, "pool list", mpd_pool_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static int cmd_pool_close_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "pool close", mpd_pool_close, argv[0]);
}

static int cmd_pool_terminate_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "pool terminate", mpd_pool_terminate,
				  argv[0]);
}

static int cmd_pool_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "pool delete", mpd_pool_delete, argv[0]);
}

static int cmd_pool_join_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	double timeout = -1;
	int r;

	r = cli_broker_name(ctx, "pool join", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "pool join", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_pool_join(ctx->client, argv[0], timeout, &err);
	if (r == MPD_E_TIMEOUT) {
		if (ctx->json)
			cli_print_json(ctx, mpd_last_result(ctx->client),
				       false);
		fflush(stdout);
		cli_error("pool join: %s", err.message);
		return CLI_TIMEOUT;
	}
	return cli_broker_done(ctx, "pool join", r, &err);
}

/* clang-format off */
static const struct cli_opt pool_create_options[] = {
	{ "processes", "N", "workers (1 to 1024; default: mpdd's cpus)",
	  false },
	{ "module", "PATH", "a function pool of this shared object's\n"
			    "functions (a path with a '/', else a name the\n"
			    "linker finds); without it, a program pool",
	  false },
	{ "function", "NAME", "the default task function: int NAME(\n"
			      "mpd_worker *, const json_t *arg, json_t "
			      "**result)", false },
	{ "initializer", "NAME", "run once in each worker: int NAME(\n"
				 "mpd_worker *, const json_t *initargs)",
	  false },
	{ "initargs", "JSON", "the initializer's args (default null)", false },
	{ "maxtasksperchild", "N", "replace a worker after N tasks", false },
	{ "retries", "N", "run a task again, on a new worker, when its\n"
			  "worker died (0 to 100; default 0)", false },
	{ "timeout", "S", "the default limit of a task's run, in seconds",
	  false },
	{ "env", "K=V", "add K=V to the workers' environment (repeatable)",
	  true },
	{ "cwd", "D", "the workers' directory (default: this command's)",
	  false },
	{ "start-method", "M", "forkserver (default) or spawn", false },
	{ "stdout", "FILE", "append the workers' stdout to FILE", false },
	{ "stderr", "FILE", "append the workers' stderr to FILE", false },
	{ "exist-ok", NULL, "an existing pool of that name is fine", false },
	{ NULL, NULL, NULL, false },
};
/* clang-format on */

static const struct cli_cmd cli_cmd_pool_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a pool of workers",
	.help = "A function pool (--module) keeps its workers and calls a "
		"function of the\nmodule for each task; a program pool runs "
		"each task as a program, at most\n--processes at once. The "
		"pool lives in mpdd until deleted. Prints nothing;\nwith "
		"--json, the pool's info.",
	.min_args = 1,
	.max_args = 1,
	.options = pool_create_options,
	.exec = cmd_pool_create_exec,
};

static const struct cli_cmd cli_cmd_pool_submit = {
	.name = "submit",
	.usage = "NAME [CMD...]",
	.summary = "add tasks to a pool and print their ids",
	.help = "For a program pool: one task, CMD with its ARGs (put -- "
		"before CMD when it\nhas options). For a function pool: one "
		"task for each --args, or without\n--args one for each line of "
		"stdin, a JSON text (empty lines are skipped),\nsent 1024 to a "
		"request. Prints the tasks' ids, one a line; with --json,\n"
		"{\"ids\": [...]}.",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "function", "NAME",
			  "the task function (default: the pool's)", false },
			{ "args", "JSON", "a task's args (repeatable)", true },
			{ "timeout", "S", "limit each task's run to S seconds",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_pool_submit_exec,
};

static const struct cli_cmd cli_cmd_pool_result = {
	.name = "result",
	.usage = "NAME [ID...]",
	.summary = "fetch the outcomes of a pool's tasks",
	.help = "Waits for the tasks named by their IDs, or by --first and "
		"--count, and\nprints their outcomes, one a line: \"ID done "
		"RESULT\" or \"ID failed NAME:\nMESSAGE\". --order all (the "
		"default) waits for every one; submission prints\nthose "
		"finished in id order up to the first unfinished; completion "
		"those\nfinished, in the order they finished (both wait for "
		"one). An outcome is\nhanded out once, unless --keep. With "
		"--json, prints the daemon's result.\nExit 0 when every "
		"outcome printed is done, 1 when one failed, 5 when the\n"
		"timeout passed first.",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "first", "ID", "the first task of a range", false },
			{ "count", "N", "the range's length (default 1)",
			  false },
			{ "order", "O", "all, submission or completion",
			  false },
			{ "max", "N", "print at most N outcomes", false },
			{ "timeout", "S",
			  "wait at most S seconds (0: do not wait)", false },
			{ "keep", NULL,
			  "leave the outcomes in the pool to fetch again",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_pool_result_exec,
};

static const struct cli_cmd cli_cmd_pool_map = {
	.name = "map",
	.usage = "NAME [OPTIONS] [ITEM...]",
	.summary = "print a function's result for each item",
	.help = "Python's Pool.map() on a function pool: each ITEM (a JSON "
		"text), or without\nITEMs each line of stdin, goes to the "
		"function, --chunksize of them to a\ntask. Prints the results "
		"in the order of the items, one a line; with\n--json, their "
		"array. When a task fails, prints \"pool map: item I: "
		"MESSAGE\n(NAME)\" for the lowest failing item and exits 1.",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "function", "NAME",
			  "the function (default: the pool's)", false },
			{ "chunksize", "N",
			  "items to a task (default: as Python's)", false },
			{ "timeout", "S", "limit each chunk's run to S seconds",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_pool_map_exec,
};

static const struct cli_cmd cli_cmd_pool_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a pool's state, workers and tasks",
	.help = "Prints pool.info as \"key: value\" lines. With --json, "
		"prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_pool_info_exec,
};

static const struct cli_cmd cli_cmd_pool_list = {
	.name = "list",
	.usage = "",
	.summary = "list the pools",
	.help = "Prints a table of this user's pools: NAME KIND STATE "
		"PROCESSES QUEUED\nRUNNING. With --json, prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_pool_list_exec,
};

static const struct cli_cmd cli_cmd_pool_close = {
	.name = "close",
	.usage = "NAME",
	.summary = "take no new tasks; run the queued ones",
	.help = "The queued tasks still run, then the workers exit (see "
		"join). Prints\nnothing; with --json, the result.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_pool_close_exec,
};

static const struct cli_cmd cli_cmd_pool_terminate = {
	.name = "terminate",
	.usage = "NAME",
	.summary = "kill a pool's workers now",
	.help = "Queued and running tasks fail with \"terminated\"; outcomes "
		"already kept can\nstill be fetched. Prints nothing; with "
		"--json, the result.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_pool_terminate_exec,
};

static const struct cli_cmd cli_cmd_pool_join = {
	.name = "join",
	.usage = "NAME [--timeout S]",
	.summary = "wait until a closed pool has finished",
	.help = "Waits until a closed or terminated pool has run every task "
		"and its workers\nhave exited. Exit 0 then, 5 when the "
		"timeout passed first, 1 for an open\npool. Prints nothing; "
		"with --json, the result.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S",
			  "wait at most S seconds (0: do not wait)", false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_pool_join_exec,
};

static const struct cli_cmd cli_cmd_pool_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "terminate a pool and forget it",
	.help = "Calls waiting on it fail with closed. Prints nothing; with "
		"--json, the\nresult.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_pool_delete_exec,
};

static const struct cli_cmd *const pool_commands[] = {
	&cli_cmd_pool_create,
	&cli_cmd_pool_submit,
	&cli_cmd_pool_result,
	&cli_cmd_pool_map,
	&cli_cmd_pool_info,
	&cli_cmd_pool_list,
	&cli_cmd_pool_close,
	&cli_cmd_pool_terminate,
	&cli_cmd_pool_join,
	&cli_cmd_pool_delete,
	NULL,
};

const struct cli_cmd cli_cmd_pool = {
	.name = "pool",
	.usage = "COMMAND",
	.summary = "the daemon's pools of workers",
	.help = "Python's multiprocessing.Pool as a service: named sets of "
		"workers that mpdd\nkeeps and feeds with tasks. A worker that "
		"dies fails its task (worker_died)\nand is replaced. See also "
		"mpd-cli map, xargs -P on a pool.",
	.subcommands = pool_commands,
};
