/*
 * test-pool.c - the template's pool of children forked ahead (--pool):
 * starts are served by a pooled child, the pool refills, a pooled child
 * killed while idle is replaced, a burst larger than the pool falls back
 * to forking, --pool 0 forks on request, pooled children die with the
 * template, and bad --pool values are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(pool, .fini = teardown, .timeout = 120);

#define WAIT_MS 20000

/* The pids of pid's children (at most max), from /proc: those of each of
 * its threads (the template forks from two). Returns how many. */
static int children(long long pid, long long *out, int max)
{
	char path[512];
	DIR *dir;
	struct dirent *e;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%lld/task", pid);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		FILE *f;
		long long c;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%lld/task/%s/children", pid,
			 e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		while (n < max && fscanf(f, "%lld", &c) == 1)
			out[n++] = c;
		fclose(f);
	}
	closedir(dir);
	return n;
}

/* Is pid called name (its comm)? */
static bool named(long long pid, const char *name)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, name, strlen(name)) == 0;
}

/* Is pid an idle pooled child (named so by the template)? */
static bool is_pooled(long long pid)
{
	return named(pid, "mpdd-pool");
}

/* The pooled children of template tpid, into out (at most max): the idle
 * children of its keeper. */
static int pooled(long long tpid, long long *out, int max)
{
	long long kids[256], grand[256];
	int n = children(tpid, kids, 256), k = 0;

	for (int i = 0; i < n; i++) {
		int m;

		if (!named(kids[i], "mpdd-keeper"))
			continue;
		m = children(kids[i], grand, 256);
		for (int j = 0; j < m && k < max; j++)
			if (is_pooled(grand[j]))
				out[k++] = grand[j];
	}
	return k;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until template tpid has want pooled children; returns how many it
 * had at the end. */
static int wait_pooled(long long tpid, int want)
{
	long long p[64];
	long end = now_ms() + WAIT_MS;
	int n;

	while ((n = pooled(tpid, p, 64)) != want && now_ms() < end)
		usleep(2000);
	return n;
}

/* Run argv ["sh", "-c", script] to the end; returns the record. */
static json_t *run(int fd, const char *script)
{
	json_t *r = test_call(fd, "process.create",
			      json_pack("{s:[sss], s:b}", "argv", "sh", "-c",
					script, "start", 1));
	long long id = test_int(test_result(r), "id");
	json_t *rec;

	json_decref(r);
	r = test_call(fd, "process.join", json_pack("{s:I}", "id", id));
	rec = json_incref(test_result(r));
	json_decref(r);
	return rec;
}

/* Run the test module's exit_with(code) to the end; returns the record. */
static json_t *run_function(int fd, int code)
{
	const char *mod = getenv("MPD_TEST_MODULE");
	json_t *r, *rec;
	long long id;

	cr_assert(mod != NULL);
	r = test_call(fd, "process.create",
		      json_pack("{s:s, s:s, s:i, s:b}", "module", mod,
				"function", "exit_with", "args", code, "start",
				1));
	id = test_int(test_result(r), "id");
	json_decref(r);
	r = test_call(fd, "process.join", json_pack("{s:I}", "id", id));
	rec = json_incref(test_result(r));
	json_decref(r);
	return rec;
}

Test(pool, no_pool_by_default)
{
	long long tpid, kids[16];
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "template", "pool"), 0);
	tpid = test_info_int(fd, "template", "pid");
	cr_assert_eq(children(tpid, kids, 16), 0);
	close(fd);
	mpdd_stop(&d);
}

Test(pool, pool_is_kept_ready_and_used)
{
	const char *const extra[] = { "--pool", "2", NULL };
	long long tpid, ready[64], pid;
	json_t *rec;
	int fd, n;
	bool from_pool = false;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "template", "pool"), 2);
	tpid = test_info_int(fd, "template", "pid");
	cr_assert_eq(wait_pooled(tpid, 2), 2);
	n = pooled(tpid, ready, 64);
	/* A function target is run by a pooled child (a program is
	 * launched without the pool). */
	rec = run_function(fd, 5);
	cr_assert_eq(test_int(rec, "exitcode"), 5);
	pid = test_int(rec, "pid");
	for (int i = 0; i < n; i++)
		from_pool |= ready[i] == pid;
	cr_assert(from_pool, "worker %lld was not one of the pooled children",
		  pid);
	json_decref(rec);
	/* The pool is refilled. */
	cr_assert_eq(wait_pooled(tpid, 2), 2);
	close(fd);
	mpdd_stop(&d);
}

Test(pool, function_targets_and_spawn_method_through_the_pool)
{
	const char *const extra[] = { "--pool", "4", NULL };
	const char *mod = getenv("MPD_TEST_MODULE");
	long long tpid;
	int fd;

	cr_assert(mod != NULL);
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	tpid = test_info_int(fd, "template", "pid");
	cr_assert_eq(wait_pooled(tpid, 4), 4);
	for (int i = 0; i < 6; i++) {
		const char *method = i % 2 ? "spawn" : "forkserver";
		json_t *r = test_call(
			fd, "process.create",
			json_pack("{s:s, s:s, s:i, s:s, s:b}", "module", mod,
				  "function", "exit_with", "args", 40 + i,
				  "start_method", method, "start", 1));
		long long id = test_int(test_result(r), "id");

		json_decref(r);
		r = test_call(fd, "process.join", json_pack("{s:I}", "id", id));
		cr_assert_eq(test_int(test_result(r), "exitcode"), 40 + i,
			     "start method %s", method);
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(pool, killed_pooled_children_are_replaced)
{
	const char *const extra[] = { "--pool", "3", NULL };
	long long tpid, p[64], q[64];
	json_t *rec;
	int fd, n;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	tpid = test_info_int(fd, "template", "pid");
	cr_assert_eq(wait_pooled(tpid, 3), 3);
	n = pooled(tpid, p, 64);
	for (int i = 0; i < n; i++)
		cr_assert_eq(kill((pid_t)p[i], SIGKILL), 0);
	/* Starts keep working while the pool is dead or refilling. */
	for (int i = 0; i < 5; i++) {
		rec = run_function(fd, 3);
		cr_assert_eq(test_int(rec, "exitcode"), 3);
		json_decref(rec);
	}
	cr_assert_eq(wait_pooled(tpid, 3), 3);
	n = pooled(tpid, q, 64);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			cr_assert_neq(q[i], p[k], "a killed child is back");
	/* Nothing of the killed ones shows up as a process. */
	rec = test_call(fd, "process.list", NULL);
	cr_assert_eq(
		json_array_size(json_object_get(test_result(rec), "processes")),
		5);
	json_decref(rec);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* 40 starts sent at once to a pool of 1: the rest are forked. */
Test(pool, burst_larger_than_the_pool)
{
	const char *const extra[] = { "--pool", "1", NULL };
	enum { N = 40 };
	long long ids[N] = { 0 };
	int fd, k;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	for (int i = 0; i < N; i++) {
		char line[256];

		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			 "\"process.create\",\"params\":{\"argv\":[\"sh\","
			 "\"-c\",\"exit %d\"],\"start\":true}}\n",
			 i, i % 7);
		test_send_str(fd, line);
	}
	for (int i = 0; i < N; i++) {
		char *text = test_read_line(fd, WAIT_MS);
		json_t *r;

		cr_assert(text != NULL, "no reply %d", i);
		r = json_loads(text, 0, NULL);
		free(text);
		/* Starts finish in any order; the reply names its request. */
		k = test_int(r, "id");
		cr_assert(k >= 0 && k < N && ids[k] == 0, "reply id %d", k);
		ids[k] = test_int(test_result(r), "id");
		json_decref(r);
	}
	for (int i = 0; i < N; i++) {
		json_t *r = test_call(fd, "process.join",
				      json_pack("{s:I}", "id", ids[i]));

		cr_assert_eq(test_int(test_result(r), "exitcode"), i % 7);
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
}

Test(pool, pool_zero_forks_on_request)
{
	const char *const extra[] = { "--pool", "0", NULL };
	long long tpid, kids[16];
	json_t *rec;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "template", "pool"), 0);
	tpid = test_info_int(fd, "template", "pid");
	rec = run(fd, "exit 9");
	cr_assert_eq(test_int(rec, "exitcode"), 9);
	json_decref(rec);
	rec = run_function(fd, 8);
	cr_assert_eq(test_int(rec, "exitcode"), 8);
	json_decref(rec);
	/* The worker was reaped and none was forked ahead. The template
	 * reaps a child just after it has reported its exit (so that its
	 * death in between loses no status): allow it that moment. */
	for (int waited = 0;
	     children(tpid, kids, 16) != 0 && waited < TEST_TIMEOUT_MS;
	     waited++)
		usleep(1000);
	cr_assert_eq(children(tpid, kids, 16), 0);
	close(fd);
	mpdd_stop(&d);
}

/* Idle pooled children die with their template; the next template has a
 * pool of its own. */
Test(pool, pooled_children_die_with_the_template)
{
	const char *const extra[] = { "--pool", "3", NULL };
	long long tpid, ntpid, p[64];
	long end;
	json_t *rec;
	int fd, n, alive;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	tpid = test_info_int(fd, "template", "pid");
	cr_assert_eq(wait_pooled(tpid, 3), 3);
	n = pooled(tpid, p, 64);
	cr_assert_eq(kill((pid_t)tpid, SIGKILL), 0);
	end = now_ms() + WAIT_MS;
	do {
		alive = 0;
		for (int i = 0; i < n; i++)
			alive += kill((pid_t)p[i], 0) == 0;
		if (alive > 0)
			usleep(2000);
	} while (alive > 0 && now_ms() < end);
	cr_assert_eq(alive, 0, "%d pooled children outlived the template",
		     alive);
	/* A start waits for the new template if need be. */
	rec = run_function(fd, 4);
	cr_assert_eq(test_int(rec, "exitcode"), 4);
	json_decref(rec);
	ntpid = test_info_int(fd, "template", "pid");
	cr_assert_neq(ntpid, tpid);
	cr_assert_eq(wait_pooled(ntpid, 3), 3);
	close(fd);
	mpdd_stop(&d);
}

Test(pool, bad_pool_values_are_refused)
{
	static const char *const bad[] = { "65", "-1", "x", "" };

	mpdd_assert_refused("--pool", bad, sizeof(bad) / sizeof(bad[0]));
}
