/*
 * queue-worker.c - the libmpd half of the queue example (README.md,
 * "Queues, values and arrays"): a function target that does what
 * queue-worker.sh does, on the connection its worker already has.
 *
 * It takes jobs from the queue "jobs", puts each result on the queue
 * "results", adds 1 to the shared int value "done" and marks the job
 * done. A job is an integer N; its result is {"job": N, "square": N*N,
 * "worker": NAME}. It returns (exit code 0) when "jobs" is closed and
 * drained; with args a number of seconds, also when no job came for that
 * long:
 *
 *   mpd-cli spawn --name c-1 --module build/examples/queue-worker.so \
 *       --function work [--args IDLE]
 *
 * Build it against libmpd:
 *
 *   cc -shared -fPIC queue-worker.c $(pkg-config --cflags --libs mpd) \
 *      -o queue-worker.so
 */
#include <stdio.h>

#include <mpd.h>

mpd_worker_fn work;

/* Do one job: put its result, count it. Returns 0 or a negative code. */
static int do_job(struct mpd_client *c, const char *name, const json_t *job,
		  struct mpd_error *err)
{
	json_int_t n, square;
	json_t *result;
	int r;

	if (!json_is_integer(job) ||
	    __builtin_mul_overflow(json_integer_value(job),
				   json_integer_value(job), &square)) {
		fprintf(stderr,
			"%s: a job that is not a small integer; "
			"skipped\n",
			name);
		return 0;
	}
	n = json_integer_value(job);
	result = json_pack("{sIsIss}", "job", n, "square", square, "worker",
			   name);
	if (result == NULL) {
		*err = (struct mpd_error){ .code = MPD_E_NOMEM };
		snprintf(err->name, sizeof(err->name), "%s",
			 mpd_err_name(MPD_E_NOMEM));
		snprintf(err->message, sizeof(err->message), "%s",
			 mpd_strerror(MPD_E_NOMEM));
		return MPD_E_NOMEM;
	}
	/* A negative timeout: wait for room as long as it takes. */
	r = mpd_queue_put(c, "results", result, -1, err);
	json_decref(result);
	if (r == 0)
		r = mpd_value_add_int(c, "done", 1, NULL, err);
	return r;
}

/*
 * The worker function: args is null, or the idle seconds (a number >= 0).
 * Returns 0 once the jobs are over, 1 when mpdd failed it, 2 for bad
 * args.
 */
int work(mpd_worker *w, const json_t *args)
{
	const char *name = mpd_worker_name(w);
	double idle = -1; /* wait as long as it takes */
	struct mpd_client *c;
	struct mpd_error err;
	json_t *job;
	int r;

	if (json_is_number(args) && json_number_value(args) >= 0) {
		idle = json_number_value(args);
	} else if (!json_is_null(args)) {
		fprintf(stderr, "%s: args must be null or seconds\n", name);
		return 2;
	}
	/* Borrowed: the worker's own connection, never mpd_close()d here. */
	c = mpd_worker_client(w, &err);
	if (c == NULL) {
		fprintf(stderr, "%s: %s\n", name, err.message);
		return 1;
	}
	while ((r = mpd_queue_get(c, "jobs", idle, &job, &err)) == 0) {
		r = do_job(c, name, job, &err);
		json_decref(job);
		if (r == 0)
			r = mpd_queue_task_done(c, "jobs", &err);
		if (r < 0)
			break;
	}
	/* closed: closed and drained; empty: idle that long. */
	if (r == MPD_E_CLOSED || r == MPD_E_EMPTY)
		return 0;
	fprintf(stderr, "%s: %s (%s)\n", name, err.message, err.name);
	return 1;
}
