/*
 * poolmod.c - task functions and initializers for the pool tests.
 *
 * Built as the shared module "mpdpool" (its path is $MPD_POOL_MODULE in the
 * tests' environment). A task function is int fn(mpd_worker *w, const
 * json_t *arg, json_t **result): 0 with *result for success, non-zero
 * (and a message or a value in *result) for a failure. Each one is a
 * behaviour a test needs of a pool's worker: a result, a failure, a wait,
 * a death of each kind, the worker's pid, what its initializer saw, a
 * worker that breaks the task channel.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <mpd.h>

typedef int task_fn(mpd_worker *, const json_t *, json_t **);

task_fn identity, square, fail_message, fail_value, sleep_then, kill_self,
	abort_self, exit3, worker_pid, init_seen, die_on, die_once, garbage,
	partial_exit, endless_line, forge_outcome, wrong_id, ready_again,
	close_channel, fork_keeps_channel, dup2_channel;
mpd_worker_fn record_init, failing_init, slow_init, ready_init;

/* What record_init was given (a new reference), or NULL. */
static json_t *seen;

int identity(mpd_worker *w, const json_t *arg, json_t **result)
{
	*result = json_incref((json_t *)arg);
	return 0;
}

int square(mpd_worker *w, const json_t *arg, json_t **result)
{
	if (!json_is_integer(arg)) {
		*result = json_string("square: not an integer");
		return 1;
	}
	*result =
		json_integer(json_integer_value(arg) * json_integer_value(arg));
	return 0;
}

/* Fail with the message "failed on ARG" (or with ARG's text). */
int fail_message(mpd_worker *w, const json_t *arg, json_t **result)
{
	char *text = json_dumps(arg, JSON_ENCODE_ANY | JSON_COMPACT);

	*result = json_sprintf("failed on %s", text != NULL ? text : "?");
	free(text);
	return 1;
}

/* Fail with return value 7 and a value that is not a message. */
int fail_value(mpd_worker *w, const json_t *arg, json_t **result)
{
	*result = json_pack("{s:O}", "arg", (json_t *)arg);
	return 7;
}

/* Sleep arg seconds, then return arg. */
int sleep_then(mpd_worker *w, const json_t *arg, json_t **result)
{
	double s = json_number_value(arg);
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) == -1)
		;
	*result = json_incref((json_t *)arg);
	return 0;
}

int kill_self(mpd_worker *w, const json_t *arg, json_t **result)
{
	raise(SIGKILL);
	return 0;
}

int abort_self(mpd_worker *w, const json_t *arg, json_t **result)
{
	abort();
}

int exit3(mpd_worker *w, const json_t *arg, json_t **result)
{
	_exit(3);
}

int worker_pid(mpd_worker *w, const json_t *arg, json_t **result)
{
	*result = json_integer(getpid());
	return 0;
}

/* What record_init saw, and the worker's pid: [initargs, pid]. */
int init_seen(mpd_worker *w, const json_t *arg, json_t **result)
{
	*result = json_pack("[O, i]", seen != NULL ? seen : json_null(),
			    (int)getpid());
	return 0;
}

/* SIGKILL itself when arg is "die"; else return arg. */
int die_on(mpd_worker *w, const json_t *arg, json_t **result)
{
	if (json_is_string(arg) && strcmp(json_string_value(arg), "die") == 0)
		raise(SIGKILL);
	*result = json_incref((json_t *)arg);
	return 0;
}

/* arg is a path: the first call (the file does not exist) makes it and
 * dies; the next returns "survived". */
int die_once(mpd_worker *w, const json_t *arg, json_t **result)
{
	int fd =
		open(json_string_value(arg), O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd >= 0) {
		close(fd);
		raise(SIGKILL);
	}
	*result = json_string("survived");
	return 0;
}

/* Write a line that is not JSON on the task channel. */
int garbage(mpd_worker *w, const json_t *arg, json_t **result)
{
	static const char junk[] = "this is not json\n";

	if (write(MPD_FDS_START, junk, sizeof(junk) - 1) < 0)
		return 2;
	*result = json_null();
	return 0;
}

int record_init(mpd_worker *w, const json_t *args)
{
	seen = json_deep_copy(args);
	return 0;
}

int failing_init(mpd_worker *w, const json_t *args)
{
	return json_is_integer(args) ? (int)json_integer_value(args) : 5;
}

/* ---- hostile workers (test-attack-pool.c) ---- */

static void put(const char *s)
{
	if (write(MPD_FDS_START, s, strlen(s)) < 0)
		_exit(2);
}

/* Write half a line on the task channel, then exit. */
int partial_exit(mpd_worker *w, const json_t *arg, json_t **result)
{
	put("{\"id\":");
	_exit(0);
}

/* Write one line that never ends (arg bytes of it, then a wait). */
int endless_line(mpd_worker *w, const json_t *arg, json_t **result)
{
	static char chunk[65536];
	json_int_t left = json_integer_value(arg);

	memset(chunk, 'x', sizeof(chunk));
	while (left > 0) {
		size_t n = left < (json_int_t)sizeof(chunk) ? (size_t)left :
							      sizeof(chunk);

		if (write(MPD_FDS_START, chunk, n) < 0)
			_exit(2);
		left -= (json_int_t)n;
	}
	pause();
	_exit(0);
}

/* arg is a line to write on the task channel (an outcome of the task,
 * forged); then the task returns one more, "real". */
int forge_outcome(mpd_worker *w, const json_t *arg, json_t **result)
{
	put(json_string_value(arg));
	put("\n");
	*result = json_string("real");
	return 0;
}

/* An outcome of a task id the worker does not hold, then a wait. */
int wrong_id(mpd_worker *w, const json_t *arg, json_t **result)
{
	put("{\"id\":999999,\"result\":1}\n");
	pause();
	return 0;
}

int ready_again(mpd_worker *w, const json_t *arg, json_t **result)
{
	put("{\"ready\":true}\n");
	pause();
	return 0;
}

/* Close the task channel and go on running. */
int close_channel(mpd_worker *w, const json_t *arg, json_t **result)
{
	close(MPD_FDS_START);
	for (;;)
		pause();
}

/* A child keeps the task channel (for arg seconds), the worker exits. */
int fork_keeps_channel(mpd_worker *w, const json_t *arg, json_t **result)
{
	if (fork() == 0) {
		sleep((unsigned)json_integer_value(arg));
		_exit(0);
	}
	_exit(0);
}

/* The channel is replaced by /dev/null: the outcome goes nowhere. */
int dup2_channel(mpd_worker *w, const json_t *arg, json_t **result)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || dup2(fd, MPD_FDS_START) < 0)
		_exit(2);
	close(fd);
	*result = json_string("lost");
	return 0;
}

/* An initializer that takes args seconds. */
int slow_init(mpd_worker *w, const json_t *args)
{
	double s = json_number_value(args);
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) == -1)
		;
	return 0;
}

/* An initializer that says the worker is ready itself (then the worker
 * says so again). */
int ready_init(mpd_worker *w, const json_t *args)
{
	put("{\"ready\":true}\n");
	return 0;
}
