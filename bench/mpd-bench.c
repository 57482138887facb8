/*
 * mpd-bench - the C side of `scripts/dev bench`: mpd through libmpd, the
 * raw floors (what the kernel costs with no daemon at all), and Redis
 * through a minimal RESP client (bench/resp.c), all measured the same way.
 *
 *   mpd-bench --socket PATH --module PATH [--redis PATH] [--quick]
 *             [--repeats N] [--only WORKLOAD[,WORKLOAD...]] [--list]
 *
 * It prints one JSON object per line, per (workload, impl):
 *   {"workload": W, "impl": I, "unit": U, "better": "lower"|"higher",
 *    "samples": [one number per repeat]}
 * Each sample is the mean over many iterations (a latency in
 * microseconds, or a rate over the wall time of all clients). bench/run.py
 * takes medians and prints the table. Clients of the multi-client
 * workloads are separate processes released together through a pipe; the
 * lock hand-off and event wake-up workloads time each hand-off or wake-up
 * across them with CLOCK_MONOTONIC timestamps in a shared page, and their
 * samples (and their floors') are the median of those times.
 *
 * The workloads, the item shape (a small JSON integer, a decimal string
 * for Redis) and the reasons: docs/performance.md.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mpd.h>

#include "resp.h"

static struct {
	const char *socket;
	const char *redis;
	const char *module;
	const char *only;
	int repeats;
	bool quick;
	pid_t mpdd_pid;
} opt = { .repeats = 5 };

/* A unique name per sample, so no run sees another's leftovers. */
static char obj_name[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die_mpd(const char *what, int r, const struct mpd_error *e)
{
	errx(1, "%s: %s (%s)", what,
	     e->message[0] ? e->message : mpd_strerror(r), e->name);
}

static struct mpd_client *mpd_open(void)
{
	struct mpd_client *c;
	struct mpd_error e;
	int r = mpd_connect(&c, opt.socket, &e);

	if (r < 0)
		die_mpd("connect", r, &e);
	return c;
}

/*
 * Multi-client runs. Each client is a forked process that sets itself up
 * (connects), reports ready, and waits for the parent to close the go
 * pipe; the sample is timed from that release to the last client's exit.
 */
struct gate {
	int ready;
	int go;
};

static void gate_pass(const struct gate *g)
{
	char c = 'r';

	if (write(g->ready, &c, 1) != 1)
		_exit(1);
	while (read(g->go, &c, 1) < 0 && errno == EINTR)
		;
}

typedef void client_fn(int idx, int nclients, long iters, const struct gate *g);

/* Run fn in n clients; returns the wall seconds from release to the end. */
static double run_clients(int n, long iters, client_fn *fn)
{
	int ready[2], go[2];
	pid_t pids[64];
	double t0;
	char buf[64];
	int got = 0, failed = 0;

	if (n > 64)
		errx(1, "too many clients");
	if (pipe(ready) < 0 || pipe(go) < 0)
		err(1, "pipe");
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			err(1, "fork");
		if (pids[i] == 0) {
			struct gate g = { ready[1], go[0] };

			close(ready[0]);
			close(go[1]);
			fn(i, n, iters, &g);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	while (got < n) {
		ssize_t k = read(ready[0], buf, sizeof(buf));

		if (k <= 0)
			errx(1, "a client failed before it was ready");
		got += (int)k;
	}
	t0 = now();
	close(go[1]);
	for (int i = 0; i < n; i++) {
		int st;

		while (waitpid(pids[i], &st, 0) < 0)
			if (errno != EINTR)
				err(1, "waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	close(ready[0]);
	if (failed)
		errx(1, "%d of %d clients failed", failed, n);
	return now() - t0;
}

/* The share of iters that client idx of n does. */
static long share(int idx, int n, long iters)
{
	return iters / n + (idx < iters % n ? 1 : 0);
}

/* ---- spawning ---------------------------------------------------------- */

static const char *const true_argv[] = { "/bin/true", NULL };

static void spawn_opts(struct mpd_process_options *o, bool func)
{
	memset(o, 0, sizeof(*o));
	if (func) {
		o->module = opt.module;
		o->function = "bench_noop";
	} else {
		o->argv = true_argv;
	}
}

static void mpd_spawn_loop(struct mpd_client *c, bool func, long iters)
{
	struct mpd_process_options o;

	spawn_opts(&o, func);
	for (long i = 0; i < iters; i++) {
		struct mpd_error e;
		int code = -1;
		int r = mpd_run(c, &o, -1, &code, NULL, &e);

		/* Ended records are let go by --max-exited, as Python's
		 * Process objects are by the garbage collector. */
		if (r < 0)
			die_mpd("mpd_run", r, &e);
		if (code != 0)
			errx(1, "worker exited %d", code);
	}
}

static double mpd_spawn_latency(bool func, long iters)
{
	struct mpd_client *c = mpd_open();
	double t0 = now();

	mpd_spawn_loop(c, func, iters);
	t0 = now() - t0;
	mpd_close(c);
	return t0 / (double)iters * 1e6;
}

static double w_mpd_spawn_func(long iters)
{
	return mpd_spawn_latency(true, iters);
}

static double w_mpd_spawn_argv(long iters)
{
	return mpd_spawn_latency(false, iters);
}

static void fork_wait(bool exec)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		if (exec)
			execv(true_argv[0], (char *const *)true_argv);
		_exit(0);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		errx(1, "child failed");
}

static double floor_spawn(bool exec, long iters)
{
	double t0 = now();

	for (long i = 0; i < iters; i++)
		fork_wait(exec);
	return (now() - t0) / (double)iters * 1e6;
}

static double w_floor_fork(long iters)
{
	return floor_spawn(false, iters);
}

static double w_floor_fork_exec(long iters)
{
	return floor_spawn(true, iters);
}

static void client_mpd_spawn(int idx, int n, long iters, const struct gate *g)
{
	struct mpd_client *c = mpd_open();

	gate_pass(g);
	mpd_spawn_loop(c, true, share(idx, n, iters));
	mpd_close(c);
}

static void client_floor_fork(int idx, int n, long iters, const struct gate *g)
{
	gate_pass(g);
	for (long i = share(idx, n, iters); i > 0; i--)
		fork_wait(false);
}

static double w_mpd_tput2(long iters)
{
	return (double)iters / run_clients(2, iters, client_mpd_spawn);
}

static double w_mpd_tput8(long iters)
{
	return (double)iters / run_clients(8, iters, client_mpd_spawn);
}

static double w_floor_tput2(long iters)
{
	return (double)iters / run_clients(2, iters, client_floor_fork);
}

static double w_floor_tput8(long iters)
{
	return (double)iters / run_clients(8, iters, client_floor_fork);
}

/* ---- queue round trip -------------------------------------------------- */

static void mpd_queue_fresh(struct mpd_client *c)
{
	struct mpd_error e;
	int r;

	snprintf(obj_name, sizeof(obj_name), "bench-q-%d-%.0f", (int)getpid(),
		 now() * 1e6);
	r = mpd_queue_create(c, obj_name, 0, 0, &e);
	if (r < 0)
		die_mpd("queue.create", r, &e);
}

static void mpd_queue_drop(struct mpd_client *c)
{
	struct mpd_error e;
	int r = mpd_queue_delete(c, obj_name, &e);

	if (r < 0)
		die_mpd("queue.delete", r, &e);
}

static double w_mpd_queue_rtt(long iters)
{
	struct mpd_client *c = mpd_open();
	double t0;

	mpd_queue_fresh(c);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		struct mpd_error e;
		int64_t v;
		int r = mpd_queue_put_int(c, obj_name, i, -1, &e);

		if (r == 0)
			r = mpd_queue_get_int(c, obj_name, -1, &v, &e);
		if (r < 0)
			die_mpd("queue put/get", r, &e);
		if (v != i)
			errx(1, "queue gave %" PRId64 ", not %ld", v, i);
	}
	t0 = now() - t0;
	mpd_queue_drop(c);
	mpd_close(c);
	return t0 / (double)iters * 1e6;
}

static void redis_del(struct resp *r, const char *key)
{
	struct resp_reply rep;
	const char *argv[] = { "DEL", key };

	resp_cmd(r, &rep, 2, argv);
}

static double w_redis_queue_rtt(long iters)
{
	struct resp r;
	double t0;
	char key[] = "bench-rtt";

	resp_connect(&r, opt.redis);
	redis_del(&r, key);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		struct resp_reply rep;
		char num[24];
		const char *push[] = { "LPUSH", key, num };
		const char *pop[] = { "RPOP", key };

		snprintf(num, sizeof(num), "%ld", i);
		resp_cmd(&r, &rep, 3, push);
		resp_cmd(&r, &rep, 2, pop);
		if (rep.type != '$' || strtol(rep.str, NULL, 10) != i)
			errx(1, "redis RPOP gave the wrong item");
	}
	t0 = now() - t0;
	resp_close(&r);
	return t0 / (double)iters * 1e6;
}

/* ---- dict round trip --------------------------------------------------- */

/* The fields a dict.rt sample cycles through: a small, hot hash. */
#define DICT_FIELDS 64

/* dict.set then dict.get of a small integer, one client. */
static double w_mpd_dict_rt(long iters)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	double t0;
	int r;

	snprintf(obj_name, sizeof(obj_name), "bench-d-%d-%.0f", (int)getpid(),
		 now() * 1e6);
	r = mpd_dict_create(c, obj_name, NULL, &e);
	if (r < 0)
		die_mpd("dict.create", r, &e);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		char key[16];
		json_t *v = json_integer(i), *got = NULL;

		snprintf(key, sizeof(key), "f%ld", i % DICT_FIELDS);
		r = mpd_dict_set(c, obj_name, key, v, &e);
		if (r == 0)
			r = mpd_dict_get(c, obj_name, key, NULL, &got, NULL,
					 &e);
		if (r < 0)
			die_mpd("dict set/get", r, &e);
		if (!json_equal(got, v))
			errx(1, "dict gave the wrong value for %s", key);
		json_decref(got);
		json_decref(v);
	}
	t0 = now() - t0;
	r = mpd_dict_delete(c, obj_name, &e);
	if (r < 0)
		die_mpd("dict.delete", r, &e);
	mpd_close(c);
	return t0 / (double)iters * 1e6;
}

/* HSET then HGET of a small integer, one client. */
static double w_redis_dict_rt(long iters)
{
	struct resp r;
	double t0;
	char key[] = "bench-dict";

	resp_connect(&r, opt.redis);
	redis_del(&r, key);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		struct resp_reply rep;
		char field[16], num[24];
		const char *hset[] = { "HSET", key, field, num };
		const char *hget[] = { "HGET", key, field };

		snprintf(field, sizeof(field), "f%ld", i % DICT_FIELDS);
		snprintf(num, sizeof(num), "%ld", i);
		resp_cmd(&r, &rep, 4, hset);
		resp_cmd(&r, &rep, 3, hget);
		if (rep.type != '$' || strtol(rep.str, NULL, 10) != i)
			errx(1, "redis HGET gave the wrong value");
	}
	t0 = now() - t0;
	redis_del(&r, key);
	resp_close(&r);
	return t0 / (double)iters * 1e6;
}

/*
 * trips request/response round trips of a message of len bytes (at most
 * 64) over a Unix socket pair to an echo process, per iteration: the
 * floor under what a client and a daemon exchange. Returns the mean
 * microseconds per iteration; each (may be NULL) gets the seconds of every
 * round trip.
 */
static double pingpong(long iters, size_t len, int trips, double *each)
{
	int sv[2];
	char msg[64] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}\n";
	pid_t pid;
	double t0;
	int st;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		err(1, "socketpair");
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		char buf[64];
		ssize_t n;

		close(sv[0]);
		while ((n = read(sv[1], buf, sizeof(buf))) > 0)
			if (write(sv[1], buf, (size_t)n) != n)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	t0 = now();
	for (long i = 0; i < trips * iters; i++) {
		double t1 = each ? now() : 0;
		char buf[64];

		if (write(sv[0], msg, len) != (ssize_t)len)
			err(1, "write");
		for (size_t got = 0; got < len;) {
			ssize_t n = read(sv[0], buf, len - got);

			if (n <= 0)
				err(1, "read");
			got += (size_t)n;
		}
		if (each)
			each[i] = now() - t1;
	}
	t0 = now() - t0;
	close(sv[0]);
	waitpid(pid, &st, 0);
	return t0 / (double)iters * 1e6;
}

/* Two round trips of a small message: the floor under put + get. */
static double w_floor_pingpong(long iters)
{
	return pingpong(iters, 64, 2, NULL);
}

/* Queue round trips from many clients at once, on one queue: each client
 * puts an item, then gets one (maybe another client's). */
static void client_mpd_rtt(int idx, int n, long iters, const struct gate *g)
{
	struct mpd_client *c = mpd_open();

	gate_pass(g);
	for (long i = share(idx, n, iters); i > 0; i--) {
		struct mpd_error e;
		int64_t v;
		int r = mpd_queue_put_int(c, obj_name, i, -1, &e);

		if (r == 0)
			r = mpd_queue_get_int(c, obj_name, -1, &v, &e);
		if (r < 0)
			die_mpd("queue put/get", r, &e);
	}
	mpd_close(c);
}

static double w_mpd_queue_rtt50(long iters)
{
	struct mpd_client *c = mpd_open();
	double s;

	mpd_queue_fresh(c);
	s = run_clients(50, iters, client_mpd_rtt);
	mpd_queue_drop(c);
	mpd_close(c);
	return (double)iters / s;
}

static void client_redis_rtt(int idx, int n, long iters, const struct gate *g)
{
	struct resp r;
	const char *pop[] = { "RPOP", "bench-rtt50" };

	resp_connect(&r, opt.redis);
	gate_pass(g);
	for (long i = share(idx, n, iters); i > 0; i--) {
		struct resp_reply rep;

		resp_append_ints(&r, "LPUSH", "bench-rtt50", i, 1);
		resp_flush(&r);
		resp_read(&r, &rep, 0);
		resp_cmd(&r, &rep, 2, pop);
		/* Every pop follows its own push: the list is never empty. */
		if (rep.type != '$' || rep.n < 0)
			errx(1, "redis RPOP found the list empty");
	}
	resp_close(&r);
}

static double w_redis_queue_rtt50(long iters)
{
	struct resp r;
	double s;

	resp_connect(&r, opt.redis);
	redis_del(&r, "bench-rtt50");
	s = run_clients(50, iters, client_redis_rtt);
	redis_del(&r, "bench-rtt50");
	resp_close(&r);
	return (double)iters / s;
}

/* ---- queue throughput -------------------------------------------------- */

#define BATCH 1000

static void client_mpd_queue(int idx, int n, long iters, const struct gate *g,
			     bool batch)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	int r = 0;

	(void)n;
	gate_pass(g);
	if (idx == 0 && !batch) {
		for (long i = 0; i < iters && r == 0; i++)
			r = mpd_queue_put_int(c, obj_name, i, -1, &e);
	} else if (idx == 0) {
		for (long i = 0; i < iters && r == 0; i += BATCH) {
			json_t *items = json_array();

			for (long k = i; k < i + BATCH && k < iters; k++)
				json_array_append_new(items, json_integer(k));
			r = mpd_queue_put_many(c, obj_name, items, -1, &e);
			json_decref(items);
		}
	} else if (!batch) {
		for (long i = 0; i < iters && r == 0; i++) {
			int64_t v;

			r = mpd_queue_get_int(c, obj_name, -1, &v, &e);
			if (r == 0 && v != i)
				errx(1, "queue out of order");
		}
	} else {
		for (long i = 0; i < iters && r == 0;) {
			json_t *items = NULL;
			size_t k;
			json_t *v;

			r = mpd_queue_get_many(c, obj_name, BATCH, -1, &items,
					       &e);
			json_array_foreach (items, k, v) {
				if (json_integer_value(v) != i++)
					errx(1, "queue out of order");
			}
			json_decref(items);
		}
	}
	if (r < 0)
		die_mpd("queue throughput", r, &e);
	mpd_close(c);
}

static void client_mpd_queue_single(int idx, int n, long iters,
				    const struct gate *g)
{
	client_mpd_queue(idx, n, iters, g, false);
}

static void client_mpd_queue_batch(int idx, int n, long iters,
				   const struct gate *g)
{
	client_mpd_queue(idx, n, iters, g, true);
}

static double mpd_queue_tput(long iters, client_fn *fn)
{
	struct mpd_client *c = mpd_open();
	double s;

	mpd_queue_fresh(c);
	s = run_clients(2, iters, fn);
	mpd_queue_drop(c);
	mpd_close(c);
	return (double)iters / s;
}

static double w_mpd_queue_tput(long iters)
{
	return mpd_queue_tput(iters, client_mpd_queue_single);
}

static double w_mpd_queue_tput_batch(long iters)
{
	return mpd_queue_tput(iters, client_mpd_queue_batch);
}

/* The Redis consumer: pops with LPOP (a count of them when batching),
 * blocking in BLPOP when the list is empty. */
static void redis_consume(struct resp *r, long iters, bool batch)
{
	char count[16];
	const char *pop[] = { "LPOP", "bench-tput", count };
	const char *bpop[] = { "BLPOP", "bench-tput", "0" };
	long want = 0;

	snprintf(count, sizeof(count), "%d", BATCH);
	while (want < iters) {
		struct resp_reply rep;

		resp_append(r, batch ? 3 : 2, pop);
		resp_flush(r);
		resp_read(r, &rep, 1);
		if (rep.type == '$' && rep.n >= 0) {
			if (strtol(rep.str, NULL, 10) != want++)
				errx(1, "redis out of order");
			continue;
		}
		if (rep.type == '*' && rep.n > 0) {
			for (int64_t k = rep.n; k > 0; k--) {
				struct resp_reply el;

				resp_read(r, &el, 0);
				if (strtol(el.str, NULL, 10) != want++)
					errx(1, "redis out of order");
			}
			continue;
		}
		/* Empty: wait for one. */
		resp_cmd(r, &rep, 3, bpop);
		if (rep.n != 2)
			errx(1, "redis BLPOP gave no item");
		want++;
	}
}

static void client_redis_queue(int idx, int n, long iters, const struct gate *g,
			       bool batch)
{
	struct resp r;

	(void)n;
	resp_connect(&r, opt.redis);
	gate_pass(g);
	if (idx == 1) {
		redis_consume(&r, iters, batch);
	} else if (!batch) {
		for (long i = 0; i < iters; i++) {
			struct resp_reply rep;

			resp_append_ints(&r, "RPUSH", "bench-tput", i, 1);
			resp_flush(&r);
			resp_read(&r, &rep, 0);
		}
	} else {
		for (long i = 0; i < iters; i += BATCH) {
			struct resp_reply rep;
			long k = iters - i < BATCH ? iters - i : BATCH;

			resp_append_ints(&r, "RPUSH", "bench-tput", i,
					 (size_t)k);
			resp_flush(&r);
			resp_read(&r, &rep, 0);
		}
	}
	resp_close(&r);
}

static void client_redis_queue_single(int idx, int n, long iters,
				      const struct gate *g)
{
	client_redis_queue(idx, n, iters, g, false);
}

static void client_redis_queue_batch(int idx, int n, long iters,
				     const struct gate *g)
{
	client_redis_queue(idx, n, iters, g, true);
}

static double redis_queue_tput(long iters, client_fn *fn)
{
	struct resp r;
	double s;

	resp_connect(&r, opt.redis);
	redis_del(&r, "bench-tput");
	s = run_clients(2, iters, fn);
	redis_del(&r, "bench-tput");
	resp_close(&r);
	return (double)iters / s;
}

static double w_redis_queue_tput(long iters)
{
	return redis_queue_tput(iters, client_redis_queue_single);
}

static double w_redis_queue_tput_batch(long iters)
{
	return redis_queue_tput(iters, client_redis_queue_batch);
}

/* ---- counter ----------------------------------------------------------- */

static void client_mpd_counter(int idx, int n, long iters, const struct gate *g)
{
	struct mpd_client *c = mpd_open();

	gate_pass(g);
	for (long i = share(idx, n, iters); i > 0; i--) {
		struct mpd_error e;
		int r = mpd_value_add_int(c, "bench-counter", 1, NULL, &e);

		if (r < 0)
			die_mpd("value.add", r, &e);
	}
	mpd_close(c);
}

static double mpd_counter(int n, long iters)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	double s;
	int64_t v = -1;
	int r = mpd_value_create(c, "bench-counter", "int", NULL, 0, &e);

	if (r < 0)
		die_mpd("value.create", r, &e);
	s = run_clients(n, iters, client_mpd_counter);
	r = mpd_value_get_int(c, "bench-counter", &v, &e);
	if (r < 0)
		die_mpd("value.get", r, &e);
	if (v != iters)
		errx(1, "counter ended at %" PRId64 ", not %ld", v, iters);
	mpd_value_delete(c, "bench-counter", &e);
	mpd_close(c);
	return (double)iters / s;
}

static double w_mpd_counter1(long iters)
{
	return mpd_counter(1, iters);
}

static double w_mpd_counter50(long iters)
{
	return mpd_counter(50, iters);
}

static void client_redis_counter(int idx, int n, long iters,
				 const struct gate *g)
{
	struct resp r;
	const char *incr[] = { "INCR", "bench-counter" };

	resp_connect(&r, opt.redis);
	gate_pass(g);
	for (long i = share(idx, n, iters); i > 0; i--) {
		struct resp_reply rep;

		resp_cmd(&r, &rep, 2, incr);
		if (rep.type != ':')
			errx(1, "redis INCR failed");
	}
	resp_close(&r);
}

static double redis_counter(int n, long iters)
{
	struct resp r;
	struct resp_reply rep;
	const char *get[] = { "GET", "bench-counter" };
	double s;

	resp_connect(&r, opt.redis);
	redis_del(&r, "bench-counter");
	s = run_clients(n, iters, client_redis_counter);
	resp_cmd(&r, &rep, 2, get);
	if (rep.type != '$' || strtol(rep.str, NULL, 10) != iters)
		errx(1, "redis counter ended wrong");
	redis_del(&r, "bench-counter");
	resp_close(&r);
	return (double)iters / s;
}

static double w_redis_counter1(long iters)
{
	return redis_counter(1, iters);
}

static double w_redis_counter50(long iters)
{
	return redis_counter(50, iters);
}

/* ---- synchronization --------------------------------------------------- */

/* How long a client of the contended workloads waits for its peers before
 * it calls the run failed, in seconds: a client that died must not hang
 * the benchmark. */
#define SYNC_TIMEOUT 60.0

/* The most hand-offs or rounds one sample may time. */
#define SYNC_MAX_TIMES 4096

/*
 * What the processes of the contended workloads share: MAP_SHARED pages
 * made before the clients fork. Times are CLOCK_MONOTONIC seconds, which
 * every process on the machine reads alike. The hand-off fields are
 * written by the holder of the lock only; the event fields by the setter,
 * but t_woke[i] by waiter i.
 */
struct sync_shm {
	atomic_int asking; /* clients about to ask for the lock */
	atomic_int active; /* clients that have acquisitions left */
	atomic_long asked; /* waiters that have asked to wait, in all */
	double t_release; /* when the last holder sent its release; 0: none */
	double t_set; /* when the setter sent event.set */
	long missed; /* acquisitions that found the lock free */
	double t_woke[64]; /* when waiter i had its answer */
	long count; /* of times[] */
	double times[SYNC_MAX_TIMES]; /* the hand-offs or wake-ups timed */
};

static struct sync_shm *shm;

/* The pipes the event workloads pace their rounds with: a byte on go per
 * waiter per round, a byte back on done when it has woken. */
static int ev_go[2], ev_done[2];

static void shm_reset(int active)
{
	if (shm == NULL) {
		shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (shm == MAP_FAILED)
			err(1, "mmap");
	}
	memset(shm, 0, sizeof(*shm));
	atomic_store(&shm->active, active);
}

static void shm_time(double t)
{
	if (shm->count == SYNC_MAX_TIMES)
		errx(1, "more than %d times in one sample", SYNC_MAX_TIMES);
	shm->times[shm->count++] = t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of n times (seconds, reordered), in microseconds. */
static double median_us(double *t, long n, const char *what)
{
	if (n == 0)
		errx(1, "%s: nothing measured", what);
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return (n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2) * 1e6;
}

static void past_deadline(double t0, const char *what)
{
	if (now() - t0 > SYNC_TIMEOUT)
		errx(1, "%s: no progress in %.0f s", what, SYNC_TIMEOUT);
}

static void fd_read_n(int fd, char *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		if (poll(&p, 1, (int)(SYNC_TIMEOUT * 1000)) == 0)
			errx(1, "a peer did not answer in %.0f s",
			     SYNC_TIMEOUT);
		k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			err(1, "read");
		got += (size_t)k;
	}
}

static void fd_write_n(int fd, char c, size_t n)
{
	char buf[64];

	memset(buf, c, sizeof(buf));
	while (n > 0) {
		ssize_t k = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			err(1, "write");
		n -= (size_t)k;
	}
}

/* Read and drop n bytes from fd. */
static void fd_drain(int fd, size_t n)
{
	char buf[64];

	for (; n > sizeof(buf); n -= sizeof(buf))
		fd_read_n(fd, buf, sizeof(buf));
	fd_read_n(fd, buf, n);
}

static void mpd_lock_fresh(struct mpd_client *c)
{
	struct mpd_error e;
	int r;

	snprintf(obj_name, sizeof(obj_name), "bench-l-%d-%.0f", (int)getpid(),
		 now() * 1e6);
	r = mpd_lock_create(c, obj_name, 0, 0, &e);
	if (r < 0)
		die_mpd("lock.create", r, &e);
}

static void mpd_lock_drop(struct mpd_client *c)
{
	struct mpd_error e;
	int r = mpd_lock_delete(c, obj_name, &e);

	if (r < 0)
		die_mpd("lock.delete", r, &e);
}

static void mpd_lock_take(struct mpd_client *c, double timeout)
{
	struct mpd_error e;
	int r = mpd_lock_acquire(c, obj_name, timeout, 0, NULL, &e);

	if (r < 0)
		die_mpd("lock.acquire", r, &e);
	if (r == 0)
		errx(1, "lock.acquire timed out");
}

static void mpd_lock_give(struct mpd_client *c)
{
	struct mpd_error e;
	int r = mpd_lock_release(c, obj_name, &e);

	if (r < 0)
		die_mpd("lock.release", r, &e);
	if (r != 0)
		errx(1, "lock.release left it held (count %d)", r);
}

/* lock.rtt: acquire + release of a free lock, one client. */
static double w_mpd_lock_rtt(long iters)
{
	struct mpd_client *c = mpd_open();
	double t0;

	mpd_lock_fresh(c);
	t0 = now();
	for (long i = 0; i < iters; i++) {
		mpd_lock_take(c, -1);
		mpd_lock_give(c);
	}
	t0 = now() - t0;
	mpd_lock_drop(c);
	mpd_close(c);
	return t0 / (double)iters * 1e6;
}

/* The usual Redis lock: SET NX with an expiry and a token of the holder's
 * own, released by a script that deletes the key only while it still
 * holds that token. */
static const char redis_unlock[] =
	"if redis.call('get',KEYS[1])==ARGV[1] then "
	"return redis.call('del',KEYS[1]) else return 0 end";

static double w_redis_lock_rtt(long iters)
{
	struct resp r;
	struct resp_reply rep;
	const char *load[] = { "SCRIPT", "LOAD", redis_unlock };
	char sha[41], token[32];
	const char *set[] = { "SET", "bench-lock", token, "NX", "PX", "30000" };
	const char *unlock[] = { "EVALSHA", sha, "1", "bench-lock", token };
	double t0;

	resp_connect(&r, opt.redis);
	redis_del(&r, "bench-lock");
	resp_cmd(&r, &rep, 3, load);
	if (rep.type != '$' || rep.n != 40)
		errx(1, "redis SCRIPT LOAD gave no sha1");
	memcpy(sha, rep.str, sizeof(sha));
	t0 = now();
	for (long i = 0; i < iters; i++) {
		snprintf(token, sizeof(token), "%d-%ld", (int)getpid(), i);
		resp_cmd(&r, &rep, 6, set);
		if (rep.type != '+')
			errx(1, "redis SET NX found the lock held");
		resp_cmd(&r, &rep, 5, unlock);
		if (rep.type != ':' || rep.n != 1)
			errx(1, "redis unlock script did not delete the key");
	}
	t0 = now() - t0;
	resp_close(&r);
	return t0 / (double)iters * 1e6;
}

/* flock(2) on a local file: what a lock costs with no IPC at all. */
static double w_flock_rtt(long iters)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	double t0;
	int fd;

	snprintf(path, sizeof(path), "%s/mpd-bench-flock.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		err(1, "mkstemp %s", path);
	unlink(path);
	t0 = now();
	for (long i = 0; i < iters; i++)
		if (flock(fd, LOCK_EX) < 0 || flock(fd, LOCK_UN) < 0)
			err(1, "flock");
	t0 = now() - t0;
	close(fd);
	return t0 / (double)iters * 1e6;
}

/*
 * The holder of the lock waits, before it releases, until every other
 * client that has acquisitions left is parked on it (lock.info's
 * "waiters"), so that the release is a hand-off and not a release of a
 * free lock that someone takes later. Not timed.
 */
static void handoff_wait_queue(struct mpd_client *c)
{
	double t0 = now();

	for (;;) {
		int want = atomic_load(&shm->active) - 1;
		struct mpd_error e;
		json_t *info;
		int r;

		past_deadline(t0, "lock hand-off");
		if (atomic_load(&shm->asking) < want) {
			sched_yield();
			continue;
		}
		r = mpd_lock_info(c, obj_name, &info, &e);
		if (r < 0)
			die_mpd("lock.info", r, &e);
		r = (int)json_integer_value(json_object_get(info, "waiters"));
		json_decref(info);
		if (r >= atomic_load(&shm->active) - 1)
			return;
		sched_yield();
	}
}

/*
 * lock.handoff: n clients pass one lock round. Each hand-off is timed from
 * the holder's timestamp just before it sends lock.release to the next
 * holder's just after its lock.acquire answer came, through the shared
 * page.
 */
static void client_mpd_handoff(int idx, int n, long iters, const struct gate *g)
{
	struct mpd_client *c = mpd_open();

	(void)idx;
	gate_pass(g);
	for (long i = iters / n; i > 0; i--) {
		double asked, got;

		atomic_fetch_add(&shm->asking, 1);
		asked = now();
		mpd_lock_take(c, SYNC_TIMEOUT);
		got = now();
		atomic_fetch_sub(&shm->asking, 1);
		if (shm->t_release > 0 && asked < shm->t_release)
			shm_time(got - shm->t_release);
		else
			shm->missed++;
		handoff_wait_queue(c);
		shm->t_release = now();
		mpd_lock_give(c);
	}
	atomic_fetch_sub(&shm->active, 1);
	mpd_close(c);
}

static double mpd_handoff(int n, long iters)
{
	struct mpd_client *c = mpd_open();

	mpd_lock_fresh(c);
	shm_reset(n);
	run_clients(n, iters, client_mpd_handoff);
	mpd_lock_drop(c);
	mpd_close(c);
	/* The first acquisition of a run finds the lock free. */
	if (shm->missed > 1)
		fprintf(stderr,
			"mpd-bench: %ld of %ld acquisitions were no hand-off\n",
			shm->missed - 1, shm->count + shm->missed);
	return median_us(shm->times, shm->count, "lock hand-off");
}

static double w_mpd_handoff2(long iters)
{
	return mpd_handoff(2, iters);
}

static double w_mpd_handoff8(long iters)
{
	return mpd_handoff(8, iters);
}

/* One round trip of one byte between two processes: two hops, as many as
 * a hand-off takes (the release to the daemon, the acquire's answer from
 * it). The median round trip, as the hand-offs'. */
static double w_floor_pingpong1(long iters)
{
	double *each = calloc((size_t)iters, sizeof(*each));
	double us;

	if (each == NULL)
		err(1, "calloc");
	pingpong(iters, 1, 1, each);
	us = median_us(each, iters, "ping-pong");
	free(each);
	return us;
}

/*
 * event.wake: client 0 sets an event that the n - 1 others wait on; a
 * round is timed from the setter's timestamp just before it sends
 * event.set to the last waiter's just after its event.wait answer came.
 * Between rounds the setter clears the event, lets the waiters ask again
 * (one byte each on the go pipe), and waits until event.info shows every
 * one of them parked.
 */
static void event_wait_parked(struct mpd_client *c, int waiters, long round)
{
	double t0 = now();

	while (atomic_load(&shm->asked) < (long)waiters * (round + 1)) {
		past_deadline(t0, "event waiters");
		sched_yield();
	}
	for (;;) {
		struct mpd_error e;
		json_t *info;
		int r = mpd_event_info(c, obj_name, &info, &e);

		if (r < 0)
			die_mpd("event.info", r, &e);
		r = (int)json_integer_value(json_object_get(info, "waiters"));
		json_decref(info);
		if (r >= waiters)
			return;
		past_deadline(t0, "event waiters");
		sched_yield();
	}
}

/* The latest wake-up of the round just ended, less t_set, into the sum. */
static void event_round_done(int first, int last)
{
	double t = 0;

	for (int i = first; i <= last; i++)
		if (shm->t_woke[i] > t)
			t = shm->t_woke[i];
	shm_time(t - shm->t_set);
}

static void client_mpd_event(int idx, int n, long iters, const struct gate *g)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	char buf[64];
	int r;

	gate_pass(g);
	if (idx > 0) {
		for (;;) {
			fd_read_n(ev_go[0], buf, 1);
			if (buf[0] == 'q')
				break;
			atomic_fetch_add(&shm->asked, 1);
			r = mpd_event_wait(c, obj_name, SYNC_TIMEOUT, &e);
			shm->t_woke[idx] = now();
			if (r < 0)
				die_mpd("event.wait", r, &e);
			if (r == 0)
				errx(1, "event.wait timed out");
			fd_write_n(ev_done[1], 'd', 1);
		}
		mpd_close(c);
		return;
	}
	for (long i = 0; i < iters; i++) {
		r = mpd_event_clear(c, obj_name, &e);
		if (r < 0)
			die_mpd("event.clear", r, &e);
		fd_write_n(ev_go[1], 'g', (size_t)(n - 1));
		event_wait_parked(c, n - 1, i);
		shm->t_set = now();
		r = mpd_event_set(c, obj_name, &e);
		if (r < 0)
			die_mpd("event.set", r, &e);
		if (r != n - 1)
			errx(1, "event.set woke %d of %d waiters", r, n - 1);
		fd_drain(ev_done[0], (size_t)(n - 1));
		event_round_done(1, n - 1);
	}
	fd_write_n(ev_go[1], 'q', (size_t)(n - 1));
	mpd_close(c);
}

static void event_pipes(bool open)
{
	if (!open) {
		close(ev_go[0]);
		close(ev_go[1]);
		close(ev_done[0]);
		close(ev_done[1]);
	} else if (pipe(ev_go) < 0 || pipe(ev_done) < 0) {
		err(1, "pipe");
	}
}

static double mpd_event(int waiters, long iters)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	int r;

	snprintf(obj_name, sizeof(obj_name), "bench-e-%d-%.0f", (int)getpid(),
		 now() * 1e6);
	r = mpd_event_create(c, obj_name, 0, &e);
	if (r < 0)
		die_mpd("event.create", r, &e);
	shm_reset(0);
	event_pipes(true);
	run_clients(waiters + 1, iters, client_mpd_event);
	event_pipes(false);
	r = mpd_event_delete(c, obj_name, &e);
	if (r < 0)
		die_mpd("event.delete", r, &e);
	mpd_close(c);
	return median_us(shm->times, shm->count, "event wake-up");
}

static double w_mpd_event1(long iters)
{
	return mpd_event(1, iters);
}

static double w_mpd_event50(long iters)
{
	return mpd_event(50, iters);
}

/*
 * The floor under event.wake: a relay process (the daemon's stand-in)
 * reads one byte from the setter and writes one byte to each waiter over
 * Unix socket pairs; timed from before the setter's write to the last
 * waiter's read. Client 0 is the setter, 1 the relay, 2.. the waiters; a
 * waiter counts itself in shm->asked before each read, and the setter
 * starts a round when all have.
 */
static int relay_in[2], relay_out[64][2];

static void client_floor_relay(int idx, int n, long iters, const struct gate *g)
{
	int waiters = n - 2;
	char buf[64];

	gate_pass(g);
	if (idx == 1) {
		do {
			fd_read_n(relay_in[1], buf, 1);
			for (int i = 2; i < n; i++)
				fd_write_n(relay_out[i][0], buf[0], 1);
		} while (buf[0] != 'q');
		return;
	}
	if (idx > 1) {
		for (;;) {
			atomic_fetch_add(&shm->asked, 1);
			fd_read_n(relay_out[idx][1], buf, 1);
			if (buf[0] == 'q')
				return;
			shm->t_woke[idx] = now();
			fd_write_n(ev_done[1], 'd', 1);
		}
	}
	for (long i = 0; i < iters; i++) {
		double t0 = now();

		while (atomic_load(&shm->asked) < (long)waiters * (i + 1)) {
			past_deadline(t0, "relay waiters");
			sched_yield();
		}
		shm->t_set = now();
		fd_write_n(relay_in[0], 'g', 1);
		fd_drain(ev_done[0], (size_t)(waiters));
		event_round_done(2, n - 1);
	}
	fd_write_n(relay_in[0], 'q', 1);
}

static double floor_relay(int waiters, long iters)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relay_in) < 0)
		err(1, "socketpair");
	for (int i = 2; i < waiters + 2; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
			       relay_out[i]) < 0)
			err(1, "socketpair");
	shm_reset(0);
	event_pipes(true);
	run_clients(waiters + 2, iters, client_floor_relay);
	event_pipes(false);
	close(relay_in[0]);
	close(relay_in[1]);
	for (int i = 2; i < waiters + 2; i++) {
		close(relay_out[i][0]);
		close(relay_out[i][1]);
	}
	return median_us(shm->times, shm->count, "relay wake-up");
}

static double w_floor_relay1(long iters)
{
	return floor_relay(1, iters);
}

static double w_floor_relay50(long iters)
{
	return floor_relay(50, iters);
}

/* ---- memory ------------------------------------------------------------ */

static double rss_mib(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	if (kb < 0)
		errx(1, "no VmRSS in %s", path);
	return (double)kb / 1024.0;
}

static pid_t redis_pid(void)
{
	struct resp r;
	struct resp_reply rep;
	const char *info[] = { "INFO", "server" };
	const char *p;
	pid_t pid;

	resp_connect(&r, opt.redis);
	resp_cmd(&r, &rep, 2, info);
	p = rep.str ? strstr(rep.str, "process_id:") : NULL;
	if (p == NULL)
		errx(1, "redis INFO has no process_id");
	pid = (pid_t)strtol(p + strlen("process_id:"), NULL, 10);
	resp_close(&r);
	return pid;
}

static double w_mpd_mem_idle(long iters)
{
	(void)iters;
	return rss_mib(opt.mpdd_pid);
}

static double w_redis_mem_idle(long iters)
{
	(void)iters;
	return rss_mib(redis_pid());
}

/* mpdd's RSS with iters live workers (sleep processes), which it then
 * kills, joins and forgets. */
static double w_mpd_mem_workers(long iters)
{
	static const char *const sleep_argv[] = { "sleep", "3600", NULL };
	struct mpd_client *c = mpd_open();
	struct mpd_process_options o = { .argv = sleep_argv, .start = 1 };
	int64_t *ids = calloc((size_t)iters, sizeof(*ids));
	double mib;

	if (ids == NULL)
		err(1, "calloc");
	for (long i = 0; i < iters; i++) {
		struct mpd_error e;
		json_t *rec;
		int r = mpd_process_create(c, &o, &rec, &e);

		if (r < 0)
			die_mpd("process.create", r, &e);
		ids[i] = json_integer_value(json_object_get(rec, "id"));
		json_decref(rec);
	}
	mib = rss_mib(opt.mpdd_pid);
	for (long i = 0; i < iters; i++) {
		struct mpd_error e;
		int r = mpd_process_kill(c, ids[i], &e);

		if (r == 0)
			r = mpd_process_join(c, ids[i], -1, NULL, &e);
		if (r == 0)
			r = mpd_process_close(c, ids[i], &e);
		if (r < 0)
			die_mpd("kill/join/close", r, &e);
	}
	free(ids);
	mpd_close(c);
	return mib;
}

/* Bytes per item that the server's RSS grows by while holding iters
 * small items. */
static double w_mpd_mem_item(long iters)
{
	struct mpd_client *c = mpd_open();
	double before, after;

	mpd_queue_fresh(c);
	before = rss_mib(opt.mpdd_pid);
	for (long i = 0; i < iters; i += BATCH) {
		struct mpd_error e;
		json_t *items = json_array();
		int r;

		for (long k = i; k < i + BATCH && k < iters; k++)
			json_array_append_new(items, json_integer(k));
		r = mpd_queue_put_many(c, obj_name, items, -1, &e);
		json_decref(items);
		if (r < 0)
			die_mpd("queue.put_many", r, &e);
	}
	after = rss_mib(opt.mpdd_pid);
	mpd_queue_drop(c);
	mpd_close(c);
	return (after - before) * 1048576.0 / (double)iters;
}

static double w_redis_mem_item(long iters)
{
	struct resp r;
	pid_t pid = redis_pid();
	double before, after;

	resp_connect(&r, opt.redis);
	redis_del(&r, "bench-mem");
	before = rss_mib(pid);
	for (long i = 0; i < iters; i += BATCH) {
		struct resp_reply rep;
		long k = iters - i < BATCH ? iters - i : BATCH;

		resp_append_ints(&r, "RPUSH", "bench-mem", i, (size_t)k);
		resp_flush(&r);
		resp_read(&r, &rep, 0);
	}
	after = rss_mib(pid);
	redis_del(&r, "bench-mem");
	resp_close(&r);
	return (after - before) * 1048576.0 / (double)iters;
}

/* ---- pipes --------------------------------------------------------------- */

/*
 * pipe.pingpong: round trips of a small message between two processes
 * over a socketpair; pipe.1mb: 1 MiB messages one way, as many per second
 * as go through (the receiver acknowledges the last). mpd_pipe (bytes,
 * and JSON for the ping-pong) against the floor: the same socketpair
 * with plain write() of a 4-byte length prefix and the payload (one
 * buffer made ahead) and read() of the prefix then the payload into a
 * buffer of its own. The other process is forked per sample and echoes
 * (or takes) the messages; a few unmeasured ones go first.
 */
#define PIPE_SMALL  64
#define PIPE_MIB    (1024 * 1024)
#define PIPE_WARMUP 50

enum pipe_impl {
	PIPE_MPD, /* send_bytes / recv_bytes (malloc'd) */
	PIPE_MPD_INTO, /* send_bytes / recv_bytes_into */
	PIPE_MPD_JSON, /* send / recv of a small object */
	PIPE_RAW, /* write / read with a 4-byte length */
};

struct pipe_end {
	enum pipe_impl impl;
	struct mpd_pipe *p;
	int fd;
	char *framed; /* raw: the length prefix and the payload */
	char *in; /* raw and into: the receive buffer */
	json_t *msg; /* json: the message */
};

static void raw_io(int fd, char *buf, size_t len, bool out)
{
	while (len > 0) {
		ssize_t n = out ? write(fd, buf, len) : read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			errx(1, "socketpair %s failed", out ? "write" : "read");
		buf += n;
		len -= (size_t)n;
	}
}

static void pipe_send(struct pipe_end *e, size_t len)
{
	struct mpd_error er;
	int r;

	switch (e->impl) {
	case PIPE_RAW:
		e->framed[0] = (char)(len >> 24);
		e->framed[1] = (char)(len >> 16);
		e->framed[2] = (char)(len >> 8);
		e->framed[3] = (char)len;
		raw_io(e->fd, e->framed, len + 4, true);
		return;
	case PIPE_MPD_JSON:
		r = mpd_pipe_send(e->p, e->msg, &er);
		break;
	default:
		r = mpd_pipe_send_bytes(e->p, e->framed + 4, len, &er);
		break;
	}
	if (r < 0)
		die_mpd("mpd_pipe_send", r, &er);
}

/* Receive one message (of at most cap bytes); returns its length. */
static size_t pipe_recv(struct pipe_end *e, size_t cap)
{
	struct mpd_error er;
	unsigned char h[4];
	json_t *v;
	void *buf;
	size_t len = 0;
	int r;

	switch (e->impl) {
	case PIPE_RAW:
		raw_io(e->fd, (char *)h, 4, false);
		len = (size_t)h[0] << 24 | (size_t)h[1] << 16 |
		      (size_t)h[2] << 8 | h[3];
		if (len > cap)
			errx(1, "socketpair: a message of %zu bytes", len);
		raw_io(e->fd, e->in, len, false);
		return len;
	case PIPE_MPD_JSON:
		r = mpd_pipe_recv(e->p, &v, -1, &er);
		if (r == 0)
			json_decref(v);
		break;
	case PIPE_MPD_INTO:
		r = mpd_pipe_recv_bytes_into(e->p, e->in, cap, &len, -1, &er);
		break;
	default:
		r = mpd_pipe_recv_bytes(e->p, &buf, &len, -1, &er);
		if (r == 0)
			free(buf);
		break;
	}
	if (r < 0)
		die_mpd("mpd_pipe_recv", r, &er);
	return len;
}

static void pipe_end_init(struct pipe_end *e, enum pipe_impl impl, size_t len)
{
	memset(e, 0, sizeof(*e));
	e->impl = impl;
	e->fd = -1;
	e->framed = calloc(1, len + 4);
	e->in = malloc(len);
	if (e->framed == NULL || e->in == NULL)
		err(1, "malloc");
	memset(e->framed + 4, 'x', len);
	e->msg = json_pack("{s:I,s:s#}", "seq", (json_int_t)1, "data",
			   e->framed + 4, (int)(len > 40 ? 40 : len));
}

static void pipe_end_free(struct pipe_end *e)
{
	mpd_pipe_close(e->p);
	if (e->fd >= 0)
		close(e->fd);
	free(e->framed);
	free(e->in);
	json_decref(e->msg);
}

/*
 * One sample: iters round trips of len bytes (pingpong), or iters
 * messages of len bytes one way and an acknowledgement. Returns the
 * seconds the measured part took.
 */
static double pipe_sample(enum pipe_impl impl, size_t len, long iters,
			  bool pingpong)
{
	struct pipe_end mine, theirs;
	struct mpd_pipe *pa = NULL, *pb = NULL;
	struct mpd_error er;
	long warm = pingpong ? PIPE_WARMUP : 2;
	int sv[2] = { -1, -1 }, st, r;
	double t0, t;
	pid_t pid;

	pipe_end_init(&mine, impl, len);
	pipe_end_init(&theirs, impl, len);
	if (impl == PIPE_RAW) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			err(1, "socketpair");
		mine.fd = sv[0];
		theirs.fd = sv[1];
	} else {
		r = mpd_pipe(&pa, &pb, 1, &er);
		if (r < 0)
			die_mpd("mpd_pipe", r, &er);
		mine.p = pa;
		theirs.p = pb;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		mpd_pipe_close(mine.p);
		mine.p = NULL;
		if (mine.fd >= 0)
			close(mine.fd);
		for (long i = 0; i < warm + iters; i++) {
			pipe_recv(&theirs, len);
			if (pingpong)
				pipe_send(&theirs, len);
		}
		if (!pingpong)
			pipe_send(&theirs, 1);
		_exit(0);
	}
	mpd_pipe_close(theirs.p);
	theirs.p = NULL;
	if (theirs.fd >= 0)
		close(theirs.fd);
	theirs.fd = -1;
	for (long i = 0; i < (pingpong ? warm : 0); i++) {
		pipe_send(&mine, len);
		pipe_recv(&mine, len);
	}
	if (!pingpong) {
		/* Warm up the receiver's buffers, then time the rest. */
		for (long i = 0; i < warm; i++)
			pipe_send(&mine, len);
	}
	t0 = now();
	for (long i = 0; i < iters; i++) {
		pipe_send(&mine, len);
		if (pingpong)
			pipe_recv(&mine, len);
	}
	if (!pingpong)
		pipe_recv(&mine, len);
	t = now() - t0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		errx(1, "the pipe's other process failed");
	pipe_end_free(&mine);
	pipe_end_free(&theirs);
	return t;
}

static double pipe_rtt(enum pipe_impl impl, long iters)
{
	return pipe_sample(impl, PIPE_SMALL, iters, true) / (double)iters * 1e6;
}

static double pipe_mib(enum pipe_impl impl, long iters)
{
	return (double)iters / pipe_sample(impl, PIPE_MIB, iters, false);
}

static double w_mpd_pipe_rtt(long iters)
{
	return pipe_rtt(PIPE_MPD, iters);
}

static double w_mpd_pipe_rtt_json(long iters)
{
	return pipe_rtt(PIPE_MPD_JSON, iters);
}

static double w_floor_pipe_rtt(long iters)
{
	return pipe_rtt(PIPE_RAW, iters);
}

static double w_mpd_pipe_mib(long iters)
{
	return pipe_mib(PIPE_MPD, iters);
}

static double w_mpd_pipe_mib_into(long iters)
{
	return pipe_mib(PIPE_MPD_INTO, iters);
}

static double w_floor_pipe_mib(long iters)
{
	return pipe_mib(PIPE_RAW, iters);
}

/* ---- listeners ----------------------------------------------------------- */

/*
 * listener.connect: one connection through a named rendezvous, timed by
 * the connector from before its connect to after its close: the
 * connect, a one-byte request, the one-byte answer, the close. The
 * acceptor, a process forked per sample, loops accept, read the byte,
 * answer it, close. mpd: a listener of the daemon (listener.connect and
 * listener.accept, one round trip to mpdd each, the ends of the daemon's
 * socketpair passed with the replies); the floor: a Unix stream socket
 * listening on a path in a temporary directory, socket + connect against
 * accept. A sample is the median connection (as for the hand-offs: one
 * preemption in a few hundred would move a mean), after a few unmeasured
 * ones.
 */
#define LISTEN_WARMUP 20

/* The acceptor's side of one connection. */
static void listen_answer(int fd)
{
	char b;

	fd_read_n(fd, &b, 1);
	fd_write_n(fd, 'a', 1);
	close(fd);
}

/* The connector's side, on the end it got. */
static void listen_ask(int fd)
{
	char b;

	fd_write_n(fd, 'c', 1);
	fd_read_n(fd, &b, 1);
	close(fd);
}

static void listen_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		errx(1, "the acceptor failed");
}

static void mpd_acceptor(long n, int ready)
{
	struct mpd_client *c = mpd_open();
	struct mpd_error e;
	int r, fd;

	r = mpd_listener_create(c, obj_name, NULL, &e);
	if (r < 0)
		die_mpd("listener.create", r, &e);
	fd_write_n(ready, 'r', 1);
	for (long i = 0; i < n; i++) {
		r = mpd_listener_accept(c, obj_name, SYNC_TIMEOUT, &fd, NULL,
					&e);
		if (r < 0)
			die_mpd("listener.accept", r, &e);
		listen_answer(fd);
	}
	mpd_close(c);
}

static double w_mpd_listen(long iters)
{
	double *each = calloc((size_t)iters, sizeof(*each));
	struct mpd_client *c;
	struct mpd_error e;
	int ready[2], r, fd;
	double t0, us;
	pid_t pid;
	char b;

	if (each == NULL)
		err(1, "calloc");
	snprintf(obj_name, sizeof(obj_name), "bench-l-%d-%.0f", (int)getpid(),
		 now() * 1e6);
	if (pipe(ready) < 0)
		err(1, "pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		close(ready[0]);
		mpd_acceptor(LISTEN_WARMUP + iters, ready[1]);
		_exit(0);
	}
	close(ready[1]);
	fd_read_n(ready[0], &b, 1);
	close(ready[0]);
	c = mpd_open();
	for (long i = 0; i < LISTEN_WARMUP + iters; i++) {
		t0 = now();
		r = mpd_listener_connect(c, obj_name, SYNC_TIMEOUT, &fd, NULL,
					 &e);
		if (r < 0)
			die_mpd("listener.connect", r, &e);
		listen_ask(fd);
		if (i >= LISTEN_WARMUP)
			each[i - LISTEN_WARMUP] = now() - t0;
	}
	mpd_close(c);
	listen_reap(pid);
	us = median_us(each, iters, "listener.connect");
	free(each);
	return us;
}

static double w_floor_listen(long iters)
{
	const char *dir = getenv("TMPDIR");
	double *each = calloc((size_t)iters, sizeof(*each));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path) - 8];
	double t0, us;
	int ls, fd;
	pid_t pid;

	if (each == NULL)
		err(1, "calloc");
	snprintf(tmp, sizeof(tmp), "%s/mpd-bench.XXXXXX",
		 dir && *dir ? dir : "/tmp");
	if (mkdtemp(tmp) == NULL)
		err(1, "mkdtemp %s", tmp);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/l", tmp);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		err(1, "socket");
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 16) < 0)
		err(1, "listen on %s", sa.sun_path);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		for (long i = 0; i < LISTEN_WARMUP + iters; i++) {
			fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0 && errno == EINTR) {
				i--;
				continue;
			}
			if (fd < 0)
				err(1, "accept");
			listen_answer(fd);
		}
		_exit(0);
	}
	close(ls);
	for (long i = 0; i < LISTEN_WARMUP + iters; i++) {
		t0 = now();
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			err(1, "socket");
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			err(1, "connect to %s", sa.sun_path);
		listen_ask(fd);
		if (i >= LISTEN_WARMUP)
			each[i - LISTEN_WARMUP] = now() - t0;
	}
	listen_reap(pid);
	unlink(sa.sun_path);
	rmdir(tmp);
	us = median_us(each, iters, "listener.connect");
	free(each);
	return us;
}

/* ---- shared memory ------------------------------------------------------- */

/*
 * shm.rw: a 1 MiB block from one process to another through shared
 * memory. The writer copies the block into the segment (memcpy from a
 * buffer of its own, whose first 8 bytes are the transfer's number) and
 * sends one byte over a socketpair; the reader, a process forked per
 * sample, copies the segment out into a buffer of its own, checks the
 * number, and answers with one byte. A transfer is both copies and both
 * bytes; a sample is transfers per second, after a few unmeasured ones.
 * mpd: a temporary segment the writer makes with mpd_shm_create() and
 * the reader maps with mpd_shm_attach() on a client of its own (by name,
 * as an unrelated process would); the floor: a MAP_SHARED anonymous
 * mapping made before the fork, no daemon and no name.
 */
#define SHM_BLOCK  (1024 * 1024)
#define SHM_WARMUP 5

static void shm_reader(bool use_mpd, char *mem, int fd, long n)
{
	struct mpd_client *c = NULL;
	struct mpd_shm *seg = NULL;
	struct mpd_error e;
	char *out = malloc(SHM_BLOCK);
	int64_t seq;
	char b;
	int r;

	if (out == NULL)
		err(1, "malloc");
	if (use_mpd) {
		c = mpd_open();
		r = mpd_shm_attach(c, obj_name, 1, &seg, &e);
		if (r < 0)
			die_mpd("shm.attach", r, &e);
		mem = mpd_shm_addr(seg);
	}
	for (long i = 0; i < n; i++) {
		fd_read_n(fd, &b, 1);
		memcpy(out, mem, SHM_BLOCK);
		memcpy(&seq, out, sizeof(seq));
		if (seq != i)
			errx(1, "shm.rw: block %ld read as %" PRId64, i, seq);
		fd_write_n(fd, 'r', 1);
	}
	mpd_shm_detach(seg);
	if (c != NULL)
		mpd_close(c);
	free(out);
}

static double shm_rw(bool use_mpd, long iters)
{
	struct mpd_client *c = NULL;
	struct mpd_shm *seg = NULL;
	struct mpd_shm_options o = { .temporary = 1 };
	struct mpd_error e;
	char *mem, *block = malloc(SHM_BLOCK);
	int sv[2], st, r;
	double t0 = 0, t;
	pid_t pid;
	char b;

	if (block == NULL)
		err(1, "malloc");
	memset(block, 'x', SHM_BLOCK);
	if (use_mpd) {
		c = mpd_open();
		snprintf(obj_name, sizeof(obj_name), "bench-shm-%d-%.0f",
			 (int)getpid(), now() * 1e6);
		r = mpd_shm_create(c, obj_name, SHM_BLOCK, &o, &seg, &e);
		if (r < 0)
			die_mpd("shm.create", r, &e);
		mem = mpd_shm_addr(seg);
	} else {
		mem = mmap(NULL, SHM_BLOCK, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			err(1, "mmap");
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		err(1, "socketpair");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		/* The parent's client and mapping are left alone: the
		 * reader maps the segment through a client of its own. */
		close(sv[0]);
		shm_reader(use_mpd, mem, sv[1], SHM_WARMUP + iters);
		_exit(0);
	}
	close(sv[1]);
	for (long i = 0; i < SHM_WARMUP + iters; i++) {
		int64_t seq = i;

		if (i == SHM_WARMUP)
			t0 = now();
		memcpy(block, &seq, sizeof(seq));
		memcpy(mem, block, SHM_BLOCK);
		fd_write_n(sv[0], 'w', 1);
		fd_read_n(sv[0], &b, 1);
	}
	t = now() - t0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		errx(1, "the shared memory reader failed");
	close(sv[0]);
	if (use_mpd) {
		mpd_shm_detach(seg);
		mpd_close(c); /* temporary: the segment goes with it */
	} else {
		munmap(mem, SHM_BLOCK);
	}
	free(block);
	return (double)iters / t;
}

static double w_mpd_shm(long iters)
{
	return shm_rw(true, iters);
}

static double w_floor_shm(long iters)
{
	return shm_rw(false, iters);
}

/* ---- pool.map ---------------------------------------------------------- */

/* Outcomes one pool.result takes: its reply stays well under the
 * client's limit on a response. */
#define POOL_RESULT_MAX 8192

static json_t *pool_call(struct mpd_client *c, const char *method,
			 json_t *params)
{
	struct mpd_error e;
	json_t *res = NULL;
	int r = mpd_call(c, method, params, &res, &e);

	json_decref(params);
	if (r < 0)
		die_mpd(method, r, &e);
	return res;
}

/*
 * Tasks a second through pool.map: iters items (small integers) mapped
 * with the identity function on a pool of 2 workers, chunksize (0: the
 * default, Python's), results fetched in id order; the pool's start is
 * not timed, as Python's is not.
 */
static double bench_pool_map(long chunksize, long iters)
{
	struct mpd_client *c = mpd_open();
	json_t *items = json_array(), *p, *res;
	long first, count, got = 0, remaining;
	double t0, t;

	snprintf(obj_name, sizeof(obj_name), "bench-pool-%d-%.0f",
		 (int)getpid(), now() * 1e6);
	json_decref(
		pool_call(c, "pool.create",
			  json_pack("{s:s, s:s, s:i, s:s}", "name", obj_name,
				    "module", opt.module, "processes", 2,
				    "function", "bench_identity")));
	/* Warm: both workers have started. */
	res = pool_call(c, "pool.map",
			json_pack("{s:s, s:[i, i, i, i], s:i}", "name",
				  obj_name, "items", 1, 2, 3, 4, "chunksize",
				  1));
	json_decref(pool_call(
		c, "pool.result",
		json_pack("{s:s, s:O, s:O, s:i}", "name", obj_name, "first",
			  json_object_get(res, "first"), "count",
			  json_object_get(res, "count"), "timeout", 60)));
	json_decref(res);
	for (long i = 0; i < iters; i++)
		json_array_append_new(items, json_integer(i));
	t0 = now();
	p = json_pack("{s:s, s:o}", "name", obj_name, "items", items);
	if (chunksize > 0)
		json_object_set_new(p, "chunksize", json_integer(chunksize));
	res = pool_call(c, "pool.map", p);
	first = (long)json_integer_value(json_object_get(res, "first"));
	count = (long)json_integer_value(json_object_get(res, "count"));
	json_decref(res);
	do {
		json_t *list, *o;
		size_t i;

		res = pool_call(
			c, "pool.result",
			json_pack("{s:s, s:I, s:I, s:s, s:i, s:i}", "name",
				  obj_name, "first", (json_int_t)first, "count",
				  (json_int_t)count, "order", "submission",
				  "max", POOL_RESULT_MAX, "timeout", 60));
		list = json_object_get(res, "results");
		json_array_foreach (list, i, o) {
			json_t *r = json_object_get(o, "result");

			if (!json_is_array(r))
				errx(1, "pool.map: task %lld failed",
				     (long long)json_integer_value(
					     json_object_get(o, "id")));
			got += (long)json_array_size(r);
		}
		remaining = (long)json_integer_value(
			json_object_get(res, "remaining"));
		json_decref(res);
	} while (remaining > 0);
	t = now() - t0;
	if (got != iters)
		errx(1, "pool.map: %ld results for %ld items", got, iters);
	json_decref(pool_call(c, "pool.delete",
			      json_pack("{s:s}", "name", obj_name)));
	mpd_close(c);
	return (double)iters / t;
}

static double w_mpd_pool_map1(long iters)
{
	return bench_pool_map(1, iters);
}

static double w_mpd_pool_map100(long iters)
{
	return bench_pool_map(100, iters);
}

static double w_mpd_pool_mapdef(long iters)
{
	return bench_pool_map(0, iters);
}

/* ---- the table --------------------------------------------------------- */

struct workload {
	const char *name;
	const char *impl;
	const char *unit;
	bool higher;
	bool redis;
	double (*run)(long iters);
	long full, quick; /* iterations per sample */
	int max_repeats; /* 0: --repeats; the slow rows take fewer */
};

static const struct workload workloads[] = {
	{ "mem.idle", "mpd", "MiB", false, false, w_mpd_mem_idle, 1, 1, 0 },
	{ "mem.idle", "redis", "MiB", false, true, w_redis_mem_idle, 1, 1, 0 },
	{ "spawn.func", "mpd", "us", false, false, w_mpd_spawn_func, 1000, 200,
	  0 },
	{ "spawn.func", "floor-fork", "us", false, false, w_floor_fork, 1000,
	  200, 0 },
	{ "spawn.argv", "mpd", "us", false, false, w_mpd_spawn_argv, 500, 100,
	  0 },
	{ "spawn.argv", "floor-fork-exec", "us", false, false,
	  w_floor_fork_exec, 500, 100, 0 },
	{ "spawn.tput2", "mpd", "procs/s", true, false, w_mpd_tput2, 1000, 200,
	  0 },
	{ "spawn.tput2", "floor-fork", "procs/s", true, false, w_floor_tput2,
	  1000, 200, 0 },
	{ "spawn.tput8", "mpd", "procs/s", true, false, w_mpd_tput8, 1000, 200,
	  0 },
	{ "spawn.tput8", "floor-fork", "procs/s", true, false, w_floor_tput8,
	  1000, 200, 0 },
	{ "queue.rtt", "mpd", "us", false, false, w_mpd_queue_rtt, 20000, 3000,
	  0 },
	{ "queue.rtt", "redis", "us", false, true, w_redis_queue_rtt, 20000,
	  3000, 0 },
	{ "queue.rtt", "floor-pingpong", "us", false, false, w_floor_pingpong,
	  20000, 3000, 0 },
	{ "queue.rtt50", "mpd", "pairs/s", true, false, w_mpd_queue_rtt50,
	  100000, 20000, 0 },
	{ "queue.rtt50", "redis", "pairs/s", true, true, w_redis_queue_rtt50,
	  100000, 20000, 0 },
	{ "queue.tput", "mpd", "items/s", true, false, w_mpd_queue_tput, 200000,
	  50000, 3 },
	{ "queue.tput", "mpd-batch", "items/s", true, false,
	  w_mpd_queue_tput_batch, 200000, 50000, 0 },
	{ "queue.tput", "redis", "items/s", true, true, w_redis_queue_tput,
	  200000, 50000, 3 },
	{ "queue.tput", "redis-batch", "items/s", true, true,
	  w_redis_queue_tput_batch, 200000, 50000, 0 },
	{ "dict.rt", "mpd", "us", false, false, w_mpd_dict_rt, 20000, 3000, 0 },
	{ "dict.rt", "redis", "us", false, true, w_redis_dict_rt, 20000, 3000,
	  0 },
	{ "dict.rt", "floor-pingpong", "us", false, false, w_floor_pingpong,
	  20000, 3000, 0 },
	{ "counter.1", "mpd", "ops/s", true, false, w_mpd_counter1, 50000,
	  10000, 0 },
	{ "counter.1", "redis", "ops/s", true, true, w_redis_counter1, 50000,
	  10000, 0 },
	{ "counter.50", "mpd", "ops/s", true, false, w_mpd_counter50, 100000,
	  20000, 0 },
	{ "counter.50", "redis", "ops/s", true, true, w_redis_counter50, 100000,
	  20000, 0 },
	{ "lock.rtt", "mpd", "us", false, false, w_mpd_lock_rtt, 10000, 2000,
	  0 },
	{ "lock.rtt", "redis", "us", false, true, w_redis_lock_rtt, 10000, 2000,
	  0 },
	{ "lock.rtt", "flock", "us", false, false, w_flock_rtt, 10000, 2000,
	  0 },
	{ "lock.handoff2", "mpd", "us", false, false, w_mpd_handoff2, 2000, 500,
	  0 },
	{ "lock.handoff2", "floor-pingpong", "us", false, false,
	  w_floor_pingpong1, 2000, 500, 0 },
	{ "lock.handoff8", "mpd", "us", false, false, w_mpd_handoff8, 2000, 500,
	  0 },
	{ "lock.handoff8", "floor-pingpong", "us", false, false,
	  w_floor_pingpong1, 2000, 500, 0 },
	{ "event.wake1", "mpd", "us", false, false, w_mpd_event1, 1000, 300,
	  0 },
	{ "event.wake1", "floor-relay", "us", false, false, w_floor_relay1,
	  1000, 300, 0 },
	{ "event.wake50", "mpd", "us", false, false, w_mpd_event50, 100, 30,
	  0 },
	{ "event.wake50", "floor-relay", "us", false, false, w_floor_relay50,
	  100, 30, 0 },
	{ "pipe.pingpong", "mpd", "us", false, false, w_mpd_pipe_rtt, 50000,
	  5000, 0 },
	{ "pipe.pingpong", "mpd-json", "us", false, false, w_mpd_pipe_rtt_json,
	  50000, 5000, 0 },
	{ "pipe.pingpong", "floor-socketpair", "us", false, false,
	  w_floor_pipe_rtt, 50000, 5000, 0 },
	{ "pipe.1mb", "mpd", "xfer/s", true, false, w_mpd_pipe_mib, 2000, 300,
	  0 },
	{ "pipe.1mb", "mpd-into", "xfer/s", true, false, w_mpd_pipe_mib_into,
	  2000, 300, 0 },
	{ "pipe.1mb", "floor-socketpair", "xfer/s", true, false,
	  w_floor_pipe_mib, 2000, 300, 0 },
	{ "listener.connect", "mpd", "us", false, false, w_mpd_listen, 2000,
	  300, 0 },
	{ "listener.connect", "floor-unix", "us", false, false, w_floor_listen,
	  2000, 300, 0 },
	{ "shm.rw", "mpd", "xfer/s", true, false, w_mpd_shm, 2000, 300, 0 },
	{ "shm.rw", "floor-shared", "xfer/s", true, false, w_floor_shm, 2000,
	  300, 0 },
	{ "pool.map1", "mpd", "tasks/s", true, false, w_mpd_pool_map1, 100000,
	  20000, 0 },
	{ "pool.map100", "mpd", "tasks/s", true, false, w_mpd_pool_map100,
	  100000, 20000, 0 },
	{ "pool.mapdef", "mpd", "tasks/s", true, false, w_mpd_pool_mapdef,
	  100000, 20000, 0 },
	{ "mem.workers", "mpd", "MiB", false, false, w_mpd_mem_workers, 1000,
	  1000, 0 },
	{ "mem.item", "mpd", "B/item", false, false, w_mpd_mem_item, 1000000,
	  1000000, 0 },
	{ "mem.item", "redis", "B/item", false, true, w_redis_mem_item, 1000000,
	  1000000, 0 },
};

static bool selected(const char *name)
{
	const char *p = opt.only;
	size_t n = strlen(name);

	if (p == NULL)
		return true;
	while ((p = strstr(p, name)) != NULL) {
		if ((p == opt.only || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

static void run_workload(const struct workload *w)
{
	long iters = opt.quick ? w->quick : w->full;
	bool once = strncmp(w->name, "mem.", 4) == 0;
	int repeats = once ? 1 : opt.repeats;

	if (w->max_repeats > 0 && repeats > w->max_repeats)
		repeats = w->max_repeats;

	fprintf(stderr, "mpd-bench: %s %s\n", w->name, w->impl);
	if (!once)
		w->run(iters / 10 > 0 ? iters / 10 : 1); /* warm up */
	printf("{\"workload\": \"%s\", \"impl\": \"%s\", \"unit\": \"%s\", "
	       "\"better\": \"%s\", \"samples\": [",
	       w->name, w->impl, w->unit, w->higher ? "higher" : "lower");
	for (int i = 0; i < repeats; i++) {
		double v = w->run(iters);

		printf("%s%.6g", i ? ", " : "", v);
	}
	printf("]}\n");
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mpd-bench --socket PATH --module PATH [OPTION]...\n"
		"Measure mpd, the raw floors and Redis; print JSON lines.\n"
		"\n"
		"  -s, --socket PATH   mpdd's socket\n"
		"  -m, --module PATH   the bench module (bench_noop)\n"
		"  -r, --redis PATH    redis-server's Unix socket (omit: no "
		"Redis rows)\n"
		"  -q, --quick         fewer iterations\n"
		"  -n, --repeats N     samples per row (default 5)\n"
		"  -o, --only LIST     only these workloads (comma-separated)\n"
		"  -l, --list          list the workloads and exit\n"
		"  -h, --help          show this help and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "module", required_argument, NULL, 'm' },
		{ "redis", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "repeats", required_argument, NULL, 'n' },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct mpd_client *c;
	struct mpd_error e;
	json_t *info;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "s:m:r:qn:o:lh", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 's':
			opt.socket = optarg;
			break;
		case 'm':
			opt.module = optarg;
			break;
		case 'r':
			opt.redis = optarg;
			break;
		case 'q':
			opt.quick = true;
			break;
		case 'n':
			opt.repeats = atoi(optarg);
			if (opt.repeats < 1)
				errx(2, "--repeats wants a positive number");
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 'l':
			for (size_t i = 0;
			     i < sizeof(workloads) / sizeof(*workloads); i++)
				printf("%s %s\n", workloads[i].name,
				       workloads[i].impl);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (opt.socket == NULL || opt.module == NULL) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	c = mpd_open();
	r = mpd_daemon_info(c, &info, &e);
	if (r < 0)
		die_mpd("daemon.info", r, &e);
	opt.mpdd_pid = (pid_t)json_integer_value(json_object_get(info, "pid"));
	json_decref(info);
	mpd_close(c);

	for (size_t i = 0; i < sizeof(workloads) / sizeof(*workloads); i++) {
		const struct workload *w = &workloads[i];

		if (!selected(w->name) || (w->redis && opt.redis == NULL))
			continue;
		run_workload(w);
	}
	return 0;
}
