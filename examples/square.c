/*
 * square.c - an mpd module: functions that mpdd's workers call.
 *
 * A function target is "module" (this shared object) plus "function" (a
 * symbol in it) with "args" (any JSON value); the worker calls
 * fn(w, args) and exits with what it returns:
 *
 *   mpd-cli rpc process.create '{"module": "/path/mpd-example.so",
 *       "function": "square", "args": 7, "start": true}'
 *
 * prints 49 on the worker's stdout. Build it against libmpd:
 *
 *   cc -shared -fPIC square.c $(pkg-config --cflags --libs mpd) \
 *      -o mpd-example.so
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#include <mpd.h>

/* Declared as what they are: worker functions, and a pool's task
 * function. */
mpd_worker_fn square, sleeper;
mpd_task_fn squared;

/* Print the square of the number args ("%g\n"). Exit code 0, or 2 when
 * args is not a number. */
int square(mpd_worker *w, const json_t *args)
{
	double x;

	if (!json_is_number(args)) {
		fprintf(stderr, "square: args must be a number\n");
		return 2;
	}
	x = json_number_value(args);
	printf("%g\n", x * x);
	/* The exit code is ours; let nothing written be lost either way. */
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Sleep args seconds (a number >= 0). Exit code 0, or 2 for bad args. */
int sleeper(mpd_worker *w, const json_t *args)
{
	struct timespec ts;
	double s;

	if (!json_is_number(args) || !(json_number_value(args) >= 0) ||
	    !isfinite(json_number_value(args))) {
		fprintf(stderr, "sleeper: args must be seconds (a number)\n");
		return 2;
	}
	s = json_number_value(args);
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/*
 * A pool's task function: the square of arg, as its result. A task that
 * is not a number fails with a message (the caller sees task_failed).
 *
 *   mpd-cli pool create sq --module /path/mpd-example.so --function squared
 *   mpd-cli pool map sq 1 2 3
 */
int squared(mpd_worker *w, const json_t *arg, json_t **result)
{
	if (json_is_integer(arg) && json_integer_value(arg) > -3037000499LL &&
	    json_integer_value(arg) < 3037000499LL) {
		*result = json_integer(json_integer_value(arg) *
				       json_integer_value(arg));
		return 0;
	}
	if (json_is_number(arg) &&
	    isfinite(json_number_value(arg) * json_number_value(arg))) {
		*result = json_real(json_number_value(arg) *
				    json_number_value(arg));
		return 0;
	}
	*result = json_string("squared: the task's arg must be a number "
			      "whose square is finite");
	return 1;
}
