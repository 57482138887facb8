/*
 * cmd-broker.c - what the queue, value and array commands share.
 *
 * The broker's objects are named. A command whose output is all libmpd
 * hands back (queue size, queue get, the lists) calls libmpd's typed
 * function; one that prints the daemon's whole result with --json builds
 * {"name": NAME}, adds its own params and makes the call with mpd_call
 * (rarely two), naming the method by proto.h's MPD_M_* constant. Either
 * way it prints a short result. The helpers here parse the arguments those
 * commands have in common (integers, JSON texts, timeouts), print values
 * the same way everywhere, and print the list commands' tables. Values
 * are printed as compact JSON with each real in the fewest digits that
 * read back exactly, so that what one command prints another can take
 * back (value cas NAME "$(mpd-cli value get NAME)" NEW).
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

/* Returns CLI_OK with *params = {"name": name} (new), or the status. */
int cli_broker_params(const struct cli_ctx *ctx, const char *cmd,
		      const char *name, json_t **params)
{
	json_t *o, *v;
	int r = cli_broker_name(ctx, cmd, name);

	if (r != CLI_OK)
		return r;
	v = json_string(name);
	o = json_object();
	if (o == NULL || cli_json_set(o, "name", v) < 0) {
		json_decref(o);
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	*params = o;
	return CLI_OK;
}

/* Returns CLI_OK with *res (new, may be NULL), or the exit status. */
int cli_broker_call(struct cli_ctx *ctx, const char *cmd, const char *method,
		    json_t *params, json_t **res)
{
	struct mpd_error err;
	int r;

	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_call(ctx->client, method, params, res, &err) < 0)
		return cli_call_error(cmd, &err);
	return CLI_OK;
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

/* Returns CLI_OK after adding "timeout" when option name was given. */
int cli_broker_timeout(const struct cli_ctx *ctx, const char *cmd,
		       const char *name, json_t *params)
{
	double timeout = -1;
	int r = cli_broker_wait(ctx, cmd, name, &timeout);

	if (r != CLI_OK || timeout < 0)
		return r;
	if (cli_json_set(params, "timeout", json_real(timeout)) < 0) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	return CLI_OK;
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

/* Returns an exit status after calling method on name. */
int cli_broker_simple(struct cli_ctx *ctx, const char *cmd, const char *method,
		      const char *name)
{
	json_t *params = NULL, *res = NULL;
	int r;

	r = cli_broker_params(ctx, cmd, name, &params);
	if (r == CLI_OK)
		r = cli_broker_call(ctx, cmd, method, params, &res);
	if (r == CLI_OK && ctx->json)
		r = cli_print_json(ctx, res, false);
	json_decref(res);
	json_decref(params);
	return r;
}
