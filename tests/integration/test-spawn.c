/*
 * test-spawn.c - the start path's guarantees against a real mpdd: a
 * record's descriptors end with its worker, a start that cannot get its
 * descriptors is refused with `limit` before anything is forked, workers
 * get the descriptor limit mpdd was started with, no worker outlives
 * mpdd's stop, a start reported failed ran nothing while every start that
 * ran is tracked to its true exit (the template killed again and again),
 * and a template that cannot be forked fails starts at stage "fork".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(spawn, .fini = teardown, .timeout = 180);

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* process.create with start: true of argv (a JSON array, stolen). Returns
 * the whole reply. */
static json_t *create_start(int fd, json_t *argv)
{
	return test_call(fd, "process.create",
			 json_pack("{s:o, s:b}", "argv", argv, "start", 1));
}

static json_t *join(int fd, long long id, double timeout)
{
	json_t *r = test_call(fd, "process.join",
			      json_pack("{s:I, s:f}", "id", (json_int_t)id,
					"timeout", timeout));
	json_t *rec = json_incref(test_result(r));

	json_decref(r);
	return rec;
}

static void kill_and_join(int fd, long long id)
{
	json_decref(test_call(fd, "process.kill",
			      json_pack("{s:I}", "id", (json_int_t)id)));
	json_decref(join(fd, id, TEST_TIMEOUT_MS / 1000.0));
}

/* The template's pid, once a template is up and ready (polls
 * daemon.info; fails the test after TEST_TIMEOUT_MS). */
static pid_t ready_template(int fd, pid_t not )
{
	double end = now() + TEST_TIMEOUT_MS / 1000.0;

	while (now() < end) {
		json_t *r = test_call(fd, "daemon.info", NULL);
		json_t *t = json_object_get(test_result(r), "template");
		json_t *pid = json_object_get(t, "pid");
		pid_t p = json_is_integer(pid) ?
				  (pid_t)json_integer_value(pid) :
				  -1;
		bool ready = json_is_true(json_object_get(t, "ready"));

		json_decref(r);
		if (ready && p > 0 && p != not )
			return p;
		usleep(2000);
	}
	cr_assert_fail("no template became ready");
	return -1;
}

/* Kill pid and wait until it is gone (reaped by its parent). */
static void kill_wait(pid_t pid)
{
	int pfd = pidfd_open(pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd < 0)
		return; /* already gone */
	cr_assert(kill(pid, SIGKILL) == 0 || errno == ESRCH);
	cr_assert_eq(poll(&p, 1, TEST_TIMEOUT_MS), 1);
	close(pfd);
}

/* How many live processes have sock as their MPD_SOCKET: mpdd's workers
 * (their environment says so). */
static int workers_of(const char *sock)
{
	char want[PATH_MAX + 16], path[300], buf[16384];
	size_t wlen;
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int n = 0;

	wlen = (size_t)snprintf(want, sizeof(want), "MPD_SOCKET=%s", sock) + 1;
	cr_assert(dir != NULL);
	while ((e = readdir(dir)) != NULL) {
		ssize_t len;
		int fd;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		close(fd);
		for (ssize_t i = 0; len > 0 && i + (ssize_t)wlen <= len;) {
			if (memcmp(buf + i, want, wlen) == 0) {
				n++;
				break;
			}
			i += (ssize_t)strnlen(buf + i, (size_t)(len - i)) + 1;
		}
	}
	closedir(dir);
	return n;
}

/* workers_of(sock), once it is n: a started worker's pid is answered
 * before its exec, and until then /proc shows the template's environment,
 * so the count can lag the replies for a moment. */
static int workers_settle(const char *sock, int n)
{
	double end = now() + TEST_TIMEOUT_MS / 1000.0;
	int seen;

	while ((seen = workers_of(sock)) != n && now() < end)
		usleep(2000);
	return seen;
}

/* An ended record keeps no descriptor in mpdd: its pidfd is closed when
 * its exit is collected, whoever collected it. */
Test(spawn, exited_record_holds_no_descriptor)
{
	int fd, before, after;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* A round trip: mpdd is idle, with this one connection. */
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	before = test_count_fds(d.pid);
	for (int i = 0; i < 5; i++) {
		json_t *r = create_start(fd, json_pack("[s]", "true"));
		json_t *rec = join(fd, test_int(test_result(r), "id"),
				   TEST_TIMEOUT_MS / 1000.0);

		cr_assert_str_eq(
			json_string_value(json_object_get(rec, "state")),
			"exited");
		json_decref(rec);
		json_decref(r);
	}
	after = test_count_fds(d.pid);
	cr_assert_eq(after, before,
		     "%d descriptors before 5 runs, %d after (records kept)",
		     before, after);
	/* The records are still there. */
	cr_assert_eq(test_info_int(fd, "processes", "records"), 5);
	close(fd);
	mpdd_stop(&d);
}

/*
 * With few descriptors, starts are refused with `limit` before anything
 * is forked, the daemon keeps serving, and once workers end starts work
 * again.
 */
Test(spawn, out_of_descriptors_start_is_refused_with_limit)
{
	long long ids[256];
	int fd, n = 0, code = 0;
	const char *name = NULL;
	json_t *r, *rec;

	mpdd_start_nofile(&d, NULL, 64, 64);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "open_files"), 64);
	while (n < 256) {
		r = create_start(fd, json_pack("[ss]", "sleep", "100"));
		if (json_object_get(r, "error") != NULL) {
			code = test_error_code(r, &name);
			cr_assert_str_eq(name, "limit");
			cr_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(
						json_object_get(r, "error"),
						"data"),
					"limit")),
				"open_files");
			json_decref(r);
			break;
		}
		rec = test_result(r);
		cr_assert_str_eq(
			json_string_value(json_object_get(rec, "state")),
			"running");
		ids[n++] = test_int(rec, "id");
		json_decref(r);
	}
	cr_assert_eq(code, 9, "no start was refused in %d", n);
	cr_assert(n >= 8, "only %d workers fit in 64 descriptors", n);
	/* Refused again, and nothing was left starting. */
	r = create_start(fd, json_pack("[ss]", "sleep", "100"));
	cr_assert_eq(test_error_code(r, &name), 9);
	cr_assert_str_eq(name, "limit");
	json_decref(r);
	r = test_call(fd, "process.list",
		      json_pack("{s:s}", "state", "starting"));
	cr_assert_eq(
		json_array_size(json_object_get(test_result(r), "processes")),
		0);
	json_decref(r);
	/* Still serving: new connections too. */
	test_assert_ping(d.socket);
	test_assert_ping(d.socket);
	/* Room again once workers end. */
	for (int i = 0; i < n; i++)
		kill_and_join(fd, ids[i]);
	for (int i = 0; i < 3; i++) {
		r = create_start(fd, json_pack("[sss]", "sh", "-c", "exit 3"));
		rec = join(fd, test_int(test_result(r), "id"),
			   TEST_TIMEOUT_MS / 1000.0);
		cr_assert_eq(test_int(rec, "exitcode"), 3);
		json_decref(rec);
		json_decref(r);
	}
	close(fd);
	mpdd_stop(&d);
	cr_assert_eq(workers_of(d.socket), 0);
}

/*
 * mpdd raises its own soft limit to the hard one (here 256, a quarter of
 * 1024:65536, the shipped unit's), so it holds many more workers than its
 * starting soft limit of 64 allows descriptors; the workers get 64 back.
 */
Test(spawn, soft_limit_raised_for_mpdd_not_for_workers)
{
	enum { N = 150 };
	long long ids[N], pid = 0;
	char path[64], line[256];
	int fd;
	FILE *f;
	bool seen = false;

	mpdd_start_nofile(&d, NULL, 64, 256);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "open_files"), 256);
	for (int i = 0; i < N; i++) {
		json_t *r = create_start(fd, json_pack("[ss]", "sleep", "100"));
		json_t *rec = test_result(r);

		cr_assert_str_eq(
			json_string_value(json_object_get(rec, "state")),
			"running", "worker %d", i);
		ids[i] = test_int(rec, "id");
		pid = test_int(rec, "pid");
		json_decref(r);
	}
	snprintf(path, sizeof(path), "/proc/%lld/limits", pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		long long soft, hard;

		if (sscanf(line, "Max open files %lld %lld", &soft, &hard) ==
		    2) {
			cr_assert_eq(soft, 64);
			cr_assert_eq(hard, 256);
			seen = true;
		}
	}
	fclose(f);
	cr_assert(seen);
	for (int i = 0; i < N; i++)
		kill_and_join(fd, ids[i]);
	close(fd);
	mpdd_stop(&d);
}

/* At stop (shutdown = terminate) no worker is left behind, starting ones
 * and those started at the descriptor ceiling included. */
Test(spawn, no_untracked_worker_survives_stop)
{
	int fd, n = 0;

	mpdd_start_nofile(&d, NULL, 64, 64);
	fd = test_connect(d.socket);
	for (int i = 0; i < 200; i++) {
		json_t *r = create_start(fd, json_pack("[ss]", "sleep", "100"));

		n += json_object_get(r, "result") != NULL;
		json_decref(r);
	}
	cr_assert(n > 0);
	cr_assert_eq(workers_settle(d.socket, n), n);
	close(fd);
	mpdd_stop(&d);
	cr_assert_eq(workers_of(d.socket), 0);
}

/*
 * The template killed again and again while clients start short programs
 * and functions: every start is either answered with a pid and later
 * joined with its true exit code, or reported failed, and then nothing ran
 * (the program or function would have left a marker file).
 */
#define STARTERS   4
#define MAX_STARTS 100000

struct starter {
	int id;
	const char *module; /* the test module, for function targets */
	atomic_bool *stop;
	atomic_int *next;
	unsigned char *outcome; /* per start: 1 ran, 2 failed */
	int bad; /* wrong exit codes, lost exits, unexpected errors */
	char why[256];
};

static void *starter_main(void *arg)
{
	struct starter *s = arg;
	int fd = test_try_connect(d.socket);
	char marker[PATH_MAX];

	if (fd < 0) {
		s->bad++;
		return NULL;
	}
	while (!atomic_load(s->stop)) {
		int i = atomic_fetch_add(s->next, 1);
		json_t *r, *rec;

		if (i >= MAX_STARTS)
			break;
		snprintf(marker, sizeof(marker), "%s/m.%d", d.dir, i);
		if (i % 2 == 0)
			r = create_start(fd, json_pack("[ssss]", "sh", "-c",
						       ": > \"$0\"; exit 7",
						       marker));
		else
			r = test_call(fd, "process.create",
				      json_pack("{s:s, s:s, s:s, s:b}",
						"module", s->module, "function",
						"mark_and_exit", "args", marker,
						"start", 1));
		if (json_object_get(r, "error") != NULL) {
			const char *name = NULL;
			int code = (int)json_integer_value(json_object_get(
				json_object_get(r, "error"), "code"));

			name = json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"name"));
			if (code == 8 && name != NULL &&
			    strcmp(name, "spawn_failed") == 0) {
				s->outcome[i] = 2;
			} else if (!s->bad++) {
				snprintf(s->why, sizeof(s->why),
					 "start %d: error %d", i, code);
			}
			json_decref(r);
			continue;
		}
		rec = json_object_get(r, "result");
		json_int_t id = json_integer_value(json_object_get(rec, "id"));

		json_decref(r);
		r = test_call(fd, "process.join",
			      json_pack("{s:I, s:f}", "id", id, "timeout",
					TEST_TIMEOUT_MS / 1000.0));
		rec = json_object_get(r, "result");
		if (rec == NULL ||
		    !json_is_integer(json_object_get(rec, "exitcode")) ||
		    json_integer_value(json_object_get(rec, "exitcode")) != 7) {
			if (!s->bad++) {
				char *text = json_dumps(r, JSON_COMPACT);

				snprintf(s->why, sizeof(s->why),
					 "start %d joined as %s", i, text);
				free(text);
			}
		}
		s->outcome[i] = 1;
		json_decref(r);
		json_decref(test_call(fd, "process.close",
				      json_pack("{s:I}", "id", id)));
	}
	test_forget(fd);
	close(fd);
	return NULL;
}

Test(spawn, template_killed_during_starts_loses_no_start)
{
	struct starter s[STARTERS];
	pthread_t th[STARTERS];
	atomic_bool stop = false;
	atomic_int next = 0;
	static const char *const extra[] = { "--pool", "2", NULL };
	unsigned char *outcome = calloc(MAX_STARTS, 1);
	int fd, nran = 0, nfailed = 0, kills = 0;
	double end;
	pid_t tpid = -1;
	char marker[PATH_MAX];

	cr_assert(outcome != NULL);
	cr_assert(getenv("MPD_TEST_MODULE") != NULL);
	srand((unsigned)getpid());
	/* Programs (launched), and functions from the pool and by fork. */
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	for (int i = 0; i < STARTERS; i++) {
		s[i] = (struct starter){ .id = i,
					 .module = getenv("MPD_TEST_MODULE"),
					 .stop = &stop,
					 .next = &next,
					 .outcome = outcome };
		cr_assert(pthread_create(&th[i], NULL, starter_main, &s[i]) ==
			  0);
	}
	/* About 10 s of kills: each right after a template is ready (the
	 * starts that waited for it are in flight), or a while later. */
	end = now() + 10;
	while (now() < end) {
		tpid = ready_template(fd, tpid);
		usleep((useconds_t)(kills % 2 ? 1050000 + rand() % 20000 :
						rand() % 3000));
		kill_wait(tpid);
		kills++;
	}
	atomic_store(&stop, true);
	for (int i = 0; i < STARTERS; i++)
		cr_assert(pthread_join(th[i], NULL) == 0);
	for (int i = 0; i < STARTERS; i++)
		cr_assert_eq(s[i].bad, 0, "starter %d: %s", i, s[i].why);
	for (int i = 0; i < atomic_load(&next) && i < MAX_STARTS; i++) {
		bool there;

		if (outcome[i] == 0)
			continue;
		snprintf(marker, sizeof(marker), "%s/m.%d", d.dir, i);
		there = access(marker, F_OK) == 0;
		if (outcome[i] == 1) {
			nran++;
			cr_assert(there, "start %d ran without its marker", i);
		} else {
			nfailed++;
			cr_assert(!there,
				  "start %d was reported failed, but "
				  "it ran",
				  i);
		}
	}
	cr_log_info("%d kills: %d starts ran, %d failed", kills, nran, nfailed);
	cr_assert(kills >= 5 && nran > 0);
	free(outcome);
	/* Still serving, and no worker left behind. */
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
	cr_assert_eq(workers_of(d.socket), 0);
}

/*
 * When no template can be forked, a start fails at stage "fork" with the
 * errno, the daemon keeps serving, and starts work again once a template
 * can be. mpdd runs as a uid of its own with RLIMIT_NPROC 3 (itself, its
 * template and one worker); while it is stopped its template is killed
 * and two other processes of that uid take the room, so the next
 * template's fork fails with EAGAIN.
 */
Test(spawn, template_fork_failure_says_stage_fork)
{
	json_t *r, *data, *rec;
	const char *name;
	pid_t tpid, holder[2];
	int fd, status;

	if (getuid() != 0)
		cr_skip_test("needs root to run mpdd as another uid");
	mpdd_init(&d);
	cr_assert(chown(d.dir, 60124, 60124) == 0);
	mpdd_start_limited(&d, 60124, 3);
	fd = test_connect(d.socket);
	tpid = ready_template(fd, -1);
	cr_assert(kill(d.pid, SIGSTOP) == 0);
	kill_wait(tpid);
	for (int i = 0; i < 2; i++) {
		holder[i] = fork();
		cr_assert(holder[i] >= 0);
		if (holder[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (setgid(60124) != 0 || setuid(60124) != 0)
				_exit(1);
			pause();
			_exit(0);
		}
	}
	cr_assert(kill(d.pid, SIGCONT) == 0);
	r = create_start(fd, json_pack("[s]", "true"));
	cr_assert_eq(test_error_code(r, &name), 8);
	cr_assert_str_eq(name, "spawn_failed");
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "stage")),
			 "fork");
	cr_assert_eq(test_int(data, "errno"), EAGAIN);
	json_decref(r);
	test_assert_ping(d.socket);
	/* Room again: the next template comes up and starts work. */
	for (int i = 0; i < 2; i++) {
		cr_assert(kill(holder[i], SIGKILL) == 0);
		cr_assert(waitpid(holder[i], &status, 0) == holder[i]);
	}
	ready_template(fd, -1);
	r = create_start(fd, json_pack("[sss]", "sh", "-c", "exit 4"));
	rec = join(fd, test_int(test_result(r), "id"),
		   TEST_TIMEOUT_MS / 1000.0);
	cr_assert_eq(test_int(rec, "exitcode"), 4);
	json_decref(rec);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

/* State of process id, asked on fd. */
static char *state_of(int fd, long long id)
{
	json_t *r = test_call(fd, "process.info",
			      json_pack("{s:I}", "id", (json_int_t)id));
	char *st = strdup(
		json_string_value(json_object_get(test_result(r), "state")));

	json_decref(r);
	return st;
}

/*
 * A start handed to a template that dies before it runs anything (the
 * template is stopped, so the request sits unread in its socket, then
 * killed): nothing ran, so the start goes to the next template and runs
 * there instead of failing. For program and function targets, with and
 * without a pool.
 */
static void start_across_template_deaths(const char *pool)
{
	const char *const extra[] = { "--pool", pool, NULL };
	char module[PATH_MAX], req[160];
	pid_t tpid = -1;
	int fd, other;

	snprintf(module, sizeof(module), "%s/tests/modules/libmpdtest.so",
		 getenv("MPD_TEST_BUILDDIR"));
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	other = test_connect(d.socket);
	for (int i = 0; i < 4; i++) {
		json_t *reply, *rec, *params;
		long long id;
		char *st, *line;

		tpid = ready_template(other, tpid);
		params = i % 2 == 0 ?
				 json_pack("{s:[sss]}", "argv", "sh", "-c",
					   "exit 5") :
				 json_pack("{s:s, s:s, s:i}", "module", module,
					   "function", "exit_with", "args", 5);
		reply = test_call(fd, "process.create", params);
		id = test_int(test_result(reply), "id");
		json_decref(reply);
		cr_assert(kill(tpid, SIGSTOP) == 0);
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":"
			 "\"process.start\",\"params\":{\"id\":%lld}}\n",
			 id);
		test_send_str(fd, req);
		/* Until mpdd has handed the request over (its write comes
		 * before it reads the next request of another client). */
		do {
			st = state_of(other, id);
			if (strcmp(st, "created") != 0)
				break;
			free(st);
			st = NULL;
		} while (true);
		cr_assert_str_eq(st, "starting");
		free(st);
		json_decref(test_call(other, "daemon.ping", NULL));
		kill_wait(tpid);
		line = test_read_line(fd, TEST_TIMEOUT_MS);
		cr_assert_not_null(line);
		reply = json_loads(line, 0, NULL);
		free(line);
		cr_assert_not_null(reply);
		cr_assert_null(
			json_object_get(reply, "error"),
			"round %d: the start failed: %s", i,
			json_string_value(json_object_get(
				json_object_get(reply, "error"), "message")));
		json_decref(reply);
		rec = join(fd, id, TEST_TIMEOUT_MS / 1000.0);
		cr_assert_eq(test_int(rec, "exitcode"), 5, "round %d", i);
		json_decref(rec);
	}
	close(other);
	close(fd);
	mpdd_stop(&d);
}

Test(spawn, a_start_its_template_died_with_runs_on_the_next)
{
	start_across_template_deaths("0");
}

Test(spawn, a_pooled_start_its_template_died_with_runs_on_the_next)
{
	start_across_template_deaths("2");
}
