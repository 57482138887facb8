/*
 * cmd-broker.c - what the queue, value and array commands share.
 *
 * Each of those commands checks its arguments, connects, makes its libmpd
 * call and prints a short result, or with --json the daemon's whole
 * result (mpd_last_result()). The helpers here check names, parse
 * integers, JSON texts and timeouts, end a command on its call's outcome,
 * and print values and the list commands' tables. Values are printed as
 * compact JSON with each real in the fewest digits that read back
 * exactly, so that what one command prints another can take back (value
 * cas NAME "$(mpd-cli value get NAME)" NEW). The info commands of the
 * sync objects, listeners and segments print with cli_broker_info().
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Significant digits tried for a real: 15 reads back for most doubles
 * without binary noise, 17 for every one. */
#define CLI_REAL_DIGITS_MIN 15
#define CLI_REAL_DIGITS_MAX 17

/* Returns CLI_OK, or CLI_USAGE after the error. */
int cli_broker_name(const struct cli_ctx *ctx, const char *cmd,
		    const char *name)
{
	json_t *v;

	if (name[0] == '\0')
		return cli_usage_error(ctx->path, "%s: NAME is empty", cmd);
	v = json_string(name);
	if (v == NULL) /* or out of memory, which is rarer */
		return cli_usage_error(ctx->path, "%s: NAME is not valid UTF-8",
				       cmd);
	json_decref(v);
	return CLI_OK;
}

/* Returns CLI_OK once name is fine and ctx connected, or the status. */
int cli_broker_connect(struct cli_ctx *ctx, const char *cmd, const char *name)
{
	int r = cli_broker_name(ctx, cmd, name);

	return r == CLI_OK ? cli_connect(ctx) : r;
}

/* Returns the exit status of a libmpd call that returned rc. */
int cli_broker_done(struct cli_ctx *ctx, const char *cmd, int rc,
		    const struct mpd_error *err)
{
	if (rc < 0)
		return cli_call_error(cmd, err);
	return ctx->json ? cli_print_json(ctx, mpd_last_result(ctx->client),
					  false) :
			   CLI_OK;
}

/* Returns the exit status after printing the last result, or its key. */
int cli_broker_print(struct cli_ctx *ctx, const char *cmd, const char *key)
{
	const json_t *res = mpd_last_result(ctx->client);

	if (ctx->json)
		return cli_print_json(ctx, res, false);
	return cli_print_value(cmd, json_object_get(res, key), false);
}

/* Returns CLI_OK with *timeout (-1 when not given), or the status. */
int cli_broker_wait(const struct cli_ctx *ctx, const char *cmd,
		    const char *name, double *timeout)
{
	double secs = 0;
	bool given;
	int r;

	r = cli_opt_seconds(ctx, cmd, name, &secs, &given);
	if (r == CLI_OK)
		*timeout = given ? secs : -1;
	return r;
}

/* Returns CLI_OK with *v in [min, max], or CLI_USAGE after the error. */
int cli_parse_int(const struct cli_ctx *ctx, const char *cmd, const char *what,
		  const char *text, long long min, long long max, long long *v)
{
	long long n;
	char *end;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || text[0] == ' ' || text[0] == '+')
		return cli_usage_error(ctx->path,
				       "%s: %s takes an integer, not '%s'", cmd,
				       what, text);
	if (errno == ERANGE || n < min || n > max)
		return cli_usage_error(ctx->path, "%s: %s %s is out of range",
				       cmd, what, text);
	*v = n;
	return CLI_OK;
}

/* Returns CLI_OK with *v (new), or CLI_USAGE after the error. */
int cli_parse_json(const struct cli_ctx *ctx, const char *cmd, const char *what,
		   const char *text, json_t **v)
{
	json_error_t jerr;
	json_t *j;

	j = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		return cli_usage_error(ctx->path,
				       "%s: %s is not valid JSON: %s at "
				       "position %d",
				       cmd, what, jerr.text, jerr.position);
	*v = j;
	return CLI_OK;
}

/* Returns CLI_OK with *v (a new number), or CLI_USAGE after the error. */
int cli_parse_number(const struct cli_ctx *ctx, const char *cmd,
		     const char *what, const char *text, json_t **v)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	if (!json_is_number(j)) {
		json_decref(j);
		return cli_usage_error(ctx->path,
				       "%s: %s takes a number, not '%s'", cmd,
				       what, text);
	}
	*v = j;
	return CLI_OK;
}

/* Returns the shortest exact compact text of v (malloc'd), or NULL. */
char *cli_json_text(const json_t *v)
{
	const size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
	json_t *back;
	char *text;

	for (int digits = CLI_REAL_DIGITS_MIN; digits < CLI_REAL_DIGITS_MAX;
	     digits++) {
		text = json_dumps(v, flags | JSON_REAL_PRECISION(digits));
		if (text == NULL)
			return NULL;
		/* Text without reals reads back equal at the first try. */
		back = json_loads(text, JSON_DECODE_ANY, NULL);
		if (back != NULL && json_equal(back, v)) {
			json_decref(back);
			return text;
		}
		json_decref(back);
		free(text);
	}
	return json_dumps(v, flags | JSON_REAL_PRECISION(CLI_REAL_DIGITS_MAX));
}

/* Returns CLI_OK after printing v and a newline, or CLI_FAIL. */
int cli_print_value(const char *cmd, const json_t *v, bool raw)
{
	char *text;

	if (raw && json_is_string(v)) {
		fwrite(json_string_value(v), 1, json_string_length(v), stdout);
		putchar('\n');
		return CLI_OK;
	}
	text = cli_json_text(v);
	if (text == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	printf("%s\n", text);
	free(text);
	return CLI_OK;
}

/* One cell of a list's table: strings as they are, booleans yes or no,
 * anything else as JSON. Returns a malloc'd string, or NULL. */
static char *table_cell(const json_t *v)
{
	if (v == NULL)
		return strdup("-");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "yes" : "no");
	return cli_json_text(v);
}

/* Print the records of list as a table of cols, a header first, columns
 * two spaces apart. Returns CLI_OK or CLI_FAIL. */
static int print_table(const char *cmd, const json_t *list,
		       const struct cli_column *cols, int ncols)
{
	size_t n = json_array_size(list), i, ncells = (n + 1) * (size_t)ncols;
	char **cells = calloc(ncells, sizeof(*cells));
	int *width = calloc((size_t)ncols, sizeof(*width));
	int c, w, r = CLI_OK;

	if (cells == NULL || width == NULL)
		goto nomem;
	for (c = 0; c < ncols; c++) {
		cells[c] = strdup(cols[c].header);
		if (cells[c] == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < ncols; c++) {
			cells[(i + 1) * (size_t)ncols + (size_t)c] = table_cell(
				json_object_get(json_array_get(list, i),
						cols[c].key));
			if (cells[(i + 1) * (size_t)ncols + (size_t)c] == NULL)
				goto nomem;
		}
	}
	for (i = 0; i < ncells; i++) {
		w = (int)strlen(cells[i]);
		if (w > width[i % (size_t)ncols])
			width[i % (size_t)ncols] = w;
	}
	for (i = 0; i <= n; i++) {
		for (c = 0; c < ncols - 1; c++)
			printf("%-*s  ", width[c],
			       cells[i * (size_t)ncols + (size_t)c]);
		printf("%s\n", cells[i * (size_t)ncols + (size_t)ncols - 1]);
	}
	goto out;
nomem:
	cli_error("%s: out of memory", cmd);
	r = CLI_FAIL;
out:
	for (i = 0; cells != NULL && i < ncells; i++)
		free(cells[i]);
	free(cells);
	free(width);
	return r;
}

/* Returns an exit status after printing the records list gives. */
int cli_broker_list(struct cli_ctx *ctx, const char *cmd, cli_list_fn *list,
		    const struct cli_column *cols, int ncols)
{
	struct mpd_error err;
	json_t *records = NULL;
	int r;

	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (list(ctx->client, &records, &err) < 0)
		return cli_call_error(cmd, &err);
	r = ctx->json ? cli_print_json(ctx, records, false) :
			print_table(cmd, records, cols, ncols);
	json_decref(records);
	return r;
}

/* Returns an exit status after calling fn on name. */
int cli_broker_on_name(struct cli_ctx *ctx, const char *cmd, cli_name_fn *fn,
		       const char *name)
{
	struct mpd_error err;
	int r = cli_broker_connect(ctx, cmd, name);

	if (r != CLI_OK)
		return r;
	return cli_broker_done(ctx, cmd, fn(ctx->client, name, &err), &err);
}

/* Returns the exit status after printing name's info; see cli.h. */
int cli_broker_info(struct cli_ctx *ctx, const char *cmd, cli_info_fn *fn,
		    const char *name)
{
	json_t *info = NULL, *flat = NULL;
	struct mpd_error err;
	int r;

	r = cli_broker_connect(ctx, cmd, name);
	if (r != CLI_OK)
		return r;
	if (fn(ctx->client, name, &info, &err) < 0)
		return cli_call_error(cmd, &err);
	if (ctx->json) {
		r = cli_print_json(ctx, info, false);
		goto out;
	}
	/* Members keep their place when updated: "name" stays first. */
	flat = json_pack("{s:O?}", "name", json_object_get(info, "name"));
	if (flat == NULL || json_object_update(flat, info) < 0 ||
	    cli_print_flat("", flat) < 0) {
		cli_error("%s: out of memory", cmd);
		r = CLI_FAIL;
	}
out:
	json_decref(flat);
	json_decref(info);
	return r;
}
