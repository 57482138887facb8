/*
 * cmd-events.c - "events": print the daemon's events as they come, one
 * line each (events.subscribe); and the following loop "ps --watch"
 * shares.
 *
 * The loop waits for events with a short timeout so that SIGINT and
 * SIGTERM (which only set a flag) end it promptly and cleanly: exit 0.
 * When mpdd closes the connection the loop ends with CLI_UNREACHABLE, as
 * when it cannot be reached at all.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* How long one wait for an event lasts before the stop flag is looked
 * at again, and how long a burst of events is gathered. */
#define EVENTS_POLL_S  0.25
#define EVENTS_BURST_S 0.05

static volatile sig_atomic_t events_stop;

static void events_on_signal(int sig)
{
	events_stop = 1;
}

/* Subscribe ctx's client (connecting first) to kinds (NULL-terminated, or
 * NULL: all) and prefix (may be NULL). Returns CLI_OK or the exit status
 * after reporting why not. */
int cli_events_subscribe(struct cli_ctx *ctx, const char *cmd,
			 const char *const *kinds, const char *prefix)
{
	struct mpd_error err;
	int64_t sub;
	int r;

	r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_events_subscribe(ctx->client, kinds, prefix, &sub, &err) == 0)
		return CLI_OK;
	if (err.code == MPD_E_INVALID_PARAMS)
		return cli_usage_error(ctx->path, "%s: %s", cmd, err.message);
	return cli_call_error(cmd, &err);
}

/*
 * Hand every event to fn (ev borrowed; NULL once a burst of events has
 * been handed over and none follows at once) until SIGINT or SIGTERM
 * (CLI_OK), until fn returns something else than CLI_OK (that), or until
 * the connection is lost (CLI_UNREACHABLE, reported).
 */
int cli_events_loop(struct cli_ctx *ctx, const char *cmd,
		    int (*fn)(struct cli_ctx *ctx, const json_t *ev, void *arg),
		    void *arg)
{
	struct sigaction sa, old[2];
	static const int sigs[2] = { SIGINT, SIGTERM };
	struct mpd_error err;
	bool burst = false;
	int r = CLI_OK;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = events_on_signal;
	sigemptyset(&sa.sa_mask);
	events_stop = 0;
	for (int i = 0; i < 2; i++)
		sigaction(sigs[i], &sa, &old[i]);
	while (!events_stop && r == CLI_OK) {
		json_t *ev = NULL;

		if (mpd_next_event(ctx->client, &ev,
				   burst ? EVENTS_BURST_S : EVENTS_POLL_S,
				   &err) < 0) {
			if (events_stop)
				break;
			cli_error("%s: %s", cmd, err.message);
			r = CLI_UNREACHABLE;
			break;
		}
		if (ev == NULL) {
			if (burst)
				r = fn(ctx, NULL, arg);
			burst = false;
			continue;
		}
		r = fn(ctx, ev, arg);
		json_decref(ev);
		burst = true;
		fflush(stdout);
	}
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		sigaction(sigs[i], &old[i], NULL);
	return r;
}

/* Print s with control characters shown as '?': a name is the client's
 * to choose, the terminal is not. */
static void put_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static const char *str_of(const json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));

	return s != NULL ? s : "?";
}

/* One event as a line: TIME KIND EVENT NAME [DETAILS]. */
static void events_print_human(const json_t *ev)
{
	const char *kind = str_of(ev, "kind"), *event = str_of(ev, "event");
	double t = json_number_value(json_object_get(ev, "time"));
	time_t secs = (time_t)t;
	struct tm tm;
	char when[16] = "--:--:--";
	json_t *v;

	if (localtime_r(&secs, &tm) != NULL)
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("%s.%03d %s %s", when, (int)((t - (double)secs) * 1000) % 1000,
	       kind, event);
	if (strcmp(kind, "events") == 0) {
		printf(" %lld events lost%s\n",
		       (long long)json_integer_value(
			       json_object_get(ev, "count")),
		       json_is_true(json_object_get(ev, "client")) ?
			       " (by mpd-cli)" :
			       " (mpd-cli did not keep up)");
		return;
	}
	putchar(' ');
	put_clean(str_of(ev, "name"));
	if (strcmp(kind, "process") == 0) {
		printf(" (id %lld", (long long)json_integer_value(
					    json_object_get(ev, "id")));
		if (json_is_integer(v = json_object_get(ev, "pid")))
			printf(", pid %lld", (long long)json_integer_value(v));
		putchar(')');
		if (strcmp(event, "exited") == 0) {
			v = json_object_get(ev, "signal");
			if (json_is_string(v))
				printf(": killed by %s", json_string_value(v));
			else if (json_is_integer(
					 v = json_object_get(ev, "exitcode")))
				printf(": exit code %lld",
				       (long long)json_integer_value(v));
			else
				printf(": exit status lost");
		} else if (strcmp(event, "failed") == 0) {
			printf(": %s: ", str_of(ev, "stage"));
			put_clean(str_of(ev, "message"));
		}
	} else if (strcmp(event, "abandoned") == 0) {
		v = json_object_get(ev, "holder");
		printf(" (held by pid %lld, connection %lld)",
		       (long long)json_integer_value(json_object_get(v, "pid")),
		       (long long)json_integer_value(
			       json_object_get(v, "connection")));
	}
	putchar('\n');
}

static int events_print(struct cli_ctx *ctx, const json_t *ev, void *arg)
{
	if (ev == NULL)
		return CLI_OK;
	if (ctx->json)
		return cli_print_json(ctx, ev, false);
	events_print_human(ev);
	return CLI_OK;
}

/* The kinds --kind gave (at most CLI_OPTS_MAX), NULL-terminated. */
#define EVENTS_MAX_KINDS 32

static int cmd_events_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *kinds[EVENTS_MAX_KINDS + 1];
	const char *k;
	int n = 0, iter = 0, r;

	while ((k = cli_opt_next(ctx, "kind", &iter)) != NULL) {
		if (n == EVENTS_MAX_KINDS)
			return cli_usage_error(ctx->path,
					       "events: more than %d --kind",
					       EVENTS_MAX_KINDS);
		kinds[n++] = k;
	}
	kinds[n] = NULL;
	r = cli_events_subscribe(ctx, "events", n > 0 ? kinds : NULL,
				 cli_opt_get(ctx, "prefix"));
	if (r != CLI_OK)
		return r;
	return cli_events_loop(ctx, "events", events_print, NULL);
}

const struct cli_cmd cli_cmd_events = {
	.name = "events",
	.usage = "[OPTIONS]",
	.summary = "print the daemon's events as they come",
	.help = "Prints one line per event, as it happens, until SIGINT or "
		"SIGTERM (exit 0)\nor until mpdd goes away (exit 3): TIME KIND "
		"EVENT NAME, and for processes\ntheir id, pid and how they "
		"ended. Only processes of the caller (root: all)\nare shown, "
		"and the broker's objects. Events mpd-cli could not keep up "
		"with\nare counted on a line \"events dropped N events "
		"lost\".\nWith --json, prints each event's params as one JSON "
		"object per line\n(kind, event, name, seq, time, ...: see "
		"docs/protocol.md).",
	.min_args = 0,
	.max_args = 0,
	.options =
		(const struct cli_opt[]){
			{ "kind", "K",
			  "only events of objects of kind K (process, queue, "
			  "value,\narray, lock, semaphore, event, condition, "
			  "barrier,\nlistener, shm, dict, list); repeat for more kinds",
			  true },
			{ "prefix", "P",
			  "only objects whose name starts with P", false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_events_exec,
};
