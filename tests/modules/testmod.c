/*
 * testmod.c - worker functions and preload hooks for the daemon's tests.
 *
 * Built as the shared module "mpdtest" (its path is $MPD_TEST_MODULE in the
 * tests' environment). Each function is one behaviour a test needs from a
 * worker: an exit code, a crash, a process that ignores SIGTERM, a process
 * group with a grandchild, a report of what the worker knows of itself,
 * a call back into the daemon, a call whose worker then holds what it
 * took. testmod_init and fail_init are preload init functions (int
 * fn(void), 0 for success); preloaded_value shows whether testmod_init ran
 * in the template the worker was cloned from.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpd.h>

mpd_worker_fn exit_with, crash, ignore_term, spawn_grandchild, whoami,
	echo_args, call_daemon, call_and_hold, preloaded_value, mark_and_exit,
	scan_memory, session_report, atexit_mark, report_fds;
int testmod_init(void);
int fail_init(void);

/* Set by testmod_init in the process that preloads this module. */
static int preloaded;

/* Exit with the integer args (2, with a message, when it is none). */
int exit_with(mpd_worker *w, const json_t *args)
{
	if (!json_is_integer(args)) {
		fprintf(stderr, "exit_with: args must be an integer\n");
		return 2;
	}
	return (int)json_integer_value(args);
}

/* Create the file args names (a string): proof that the function ran;
 * then exit with 7. */
int mark_and_exit(mpd_worker *w, const json_t *args)
{
	FILE *f = json_is_string(args) ? fopen(json_string_value(args), "w") :
					 NULL;

	if (f == NULL)
		return 2;
	fclose(f);
	return 7;
}

/* Where atexit_mark's handler writes. */
static char atexit_path[PATH_MAX];

static void atexit_handler(void)
{
	FILE *f = fopen(atexit_path, "w");

	if (f != NULL)
		fclose(f);
}

/*
 * args {"path": P, "exit": B}: register an atexit handler that creates P,
 * print "buffered" to stdout without a newline (left in stdio's buffer),
 * then return 0, or call exit(0) when B is true.
 */
int atexit_mark(mpd_worker *w, const json_t *args)
{
	const char *path = json_string_value(json_object_get(args, "path"));

	if (path == NULL || strlen(path) >= sizeof(atexit_path))
		return 2;
	strcpy(atexit_path, path);
	if (atexit(atexit_handler) != 0)
		return 3;
	fputs("buffered", stdout);
	if (json_is_true(json_object_get(args, "exit")))
		exit(0);
	return 0;
}

/* Die by SIGSEGV, whatever the disposition was. */
int crash(mpd_worker *w, const json_t *args)
{
	struct rlimit none = { 0, 0 };

	/* No core file left behind by the tests. */
	setrlimit(RLIMIT_CORE, &none);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 1;
}

/* Ignore SIGTERM, say "ready", then wait for SIGKILL. */
int ignore_term(mpd_worker *w, const json_t *args)
{
	signal(SIGTERM, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * Fork a child, in this process group, that prints its pid and sleeps;
 * then sleep too. Both wait to be signalled.
 */
int spawn_grandchild(mpd_worker *w, const json_t *args)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("spawn_grandchild: fork");
		return 1;
	}
	if (pid == 0) {
		printf("%d\n", (int)getpid());
		fflush(stdout);
	}
	for (;;)
		pause();
}

/* Print one JSON line of what the worker knows of itself. */
int whoami(mpd_worker *w, const json_t *args)
{
	char cwd[PATH_MAX];
	const char *env_id = getenv("MPD_PROCESS_ID");
	json_t *o;
	int r;

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		perror("whoami: getcwd");
		return 1;
	}
	o = json_pack("{s:I,s:s?,s:I,s:s?,s:s?,s:s,s:I}", "id",
		      (json_int_t)mpd_worker_id(w), "name", mpd_worker_name(w),
		      "parent", (json_int_t)mpd_worker_parent(w), "socket",
		      mpd_worker_socket(w), "env_id", env_id, "cwd", cwd, "uid",
		      (json_int_t)getuid());
	if (o == NULL) {
		fprintf(stderr, "whoami: cannot build the JSON\n");
		return 1;
	}
	r = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	if (r < 0 || printf("\n") < 0 || fflush(stdout) != 0)
		return 1;
	return 0;
}

/* Print args as compact JSON and a newline. */
int echo_args(mpd_worker *w, const json_t *args)
{
	if (json_dumpf(args, stdout, JSON_COMPACT | JSON_ENCODE_ANY) < 0 ||
	    printf("\n") < 0 || fflush(stdout) != 0)
		return 1;
	return 0;
}

/* Ping the daemon through the worker's own client: 0 if it answers. */
int call_daemon(mpd_worker *w, const json_t *args)
{
	struct mpd_error err;
	struct mpd_client *c = mpd_worker_client(w, &err);

	if (c == NULL || mpd_ping(c, &err) < 0) {
		fprintf(stderr, "call_daemon: %s\n", err.message);
		return 1;
	}
	return 0;
}

/*
 * Call the daemon with args.method and args.params, print one JSON line,
 * {"result": R} or {"error": NAME}, and wait to be killed. args.fork
 * (default "none") says who makes the call and who keeps its connection:
 * "after": the worker calls, then forks a child (in its process group)
 * that keeps the connection open when the worker dies; "before": the
 * worker forks first and the child calls on a connection of its own, as
 * the mpd-cli of a shell worker would. With a fork the line carries
 * "child": its pid. For what a worker holds (a lock) when it is killed.
 */
int call_and_hold(mpd_worker *w, const json_t *args)
{
	const char *method = json_string_value(json_object_get(args, "method"));
	const char *fork_at = json_string_value(json_object_get(args, "fork"));
	json_t *params = json_object_get(args, "params"), *res = NULL, *o;
	struct mpd_error err;
	struct mpd_client *c;
	pid_t child = 0;
	int r;

	if (fork_at == NULL)
		fork_at = "none";
	fflush(stdout);
	if (strcmp(fork_at, "before") == 0 && (child = fork()) != 0) {
		if (child < 0) {
			perror("call_and_hold: fork");
			return 1;
		}
		for (;;)
			pause();
	}
	c = mpd_worker_client(w, &err);
	if (c == NULL || method == NULL) {
		fprintf(stderr, "call_and_hold: %s\n",
			c == NULL ? err.message : "args.method is missing");
		return 1;
	}
	if (mpd_call(c, method, params, &res, &err) < 0)
		o = json_pack("{s:s}", "error", err.name);
	else
		o = json_pack("{s:o}", "result", res);
	if (strcmp(fork_at, "before") == 0) {
		json_object_set_new(o, "child", json_integer(getpid()));
	} else if (strcmp(fork_at, "after") == 0) {
		child = fork();
		if (child < 0) {
			perror("call_and_hold: fork");
			return 1;
		}
		if (child == 0) {
			for (;;)
				pause();
		}
		json_object_set_new(o, "child", json_integer(child));
	}
	r = json_dumpf(o, stdout, JSON_COMPACT);
	json_decref(o);
	if (r < 0 || printf("\n") < 0 || fflush(stdout) != 0)
		return 1;
	for (;;)
		pause();
}

/*
 * Does the text at p (n bytes readable) start with the reverse of rev
 * (len bytes)? The marker is compared backwards so that this worker never
 * holds it the right way round itself: its own args carry it reversed.
 */
__attribute__((no_sanitize_address)) static size_t
find_reversed(const char *lo, size_t n, const char *rev, size_t len)
{
	size_t hits = 0;

	for (size_t i = 0; i + len <= n; i++) {
		size_t j = 0;

		if (lo[i] != rev[len - 1])
			continue;
		while (j < len && lo[i + j] == rev[len - 1 - j])
			j++;
		if (j == len)
			hits++;
	}
	return hits;
}

/*
 * Scan every readable, writable private mapping of this worker (heap,
 * stack, anonymous memory, data) for markers, given reversed in args (an
 * array of strings). Each marker found is named on stderr with the
 * mapping; the exit code has bit i set when marker i was found.
 */
int scan_memory(mpd_worker *w, const json_t *args)
{
	/* Static, and read without stdio: a buffer malloc'd now could be
	 * the very chunk that held what is looked for. */
	static char maps[256 * 1024];
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), found = 0;

	if (fd == -1 || !json_is_array(args)) {
		fprintf(stderr, "scan_memory: bad args or no maps\n");
		return 100;
	}
	while (len < sizeof(maps) - 1 &&
	       (n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	maps[len] = '\0';
	for (char *line = maps, *next; line != NULL && *line != '\0';
	     line = next) {
		unsigned long lo, hi;
		char perms[8], name[512] = "";

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %511[^\n]", &lo, &hi,
			   perms, name) < 3)
			continue;
		/* Writable and private: what a process can have left in
		 * memory. The sanitizers' reserved shadows are skipped. */
		if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p' ||
		    hi - lo > 64UL * 1024 * 1024 || strstr(name, "[v") != NULL)
			continue;
		for (size_t i = 0; i < json_array_size(args) && i < 8; i++) {
			const char *rev =
				json_string_value(json_array_get(args, i));
			size_t hits;

			if (rev == NULL || strlen(rev) < 8)
				continue;
			hits = find_reversed((const char *)lo, hi - lo, rev,
					     strlen(rev));
			if (hits > 0) {
				fprintf(stderr,
					"scan_memory: marker %zu x%zu in "
					"%lx-%lx %s %s\n",
					i, hits, lo, hi, perms, name);
				found |= 1 << i;
			}
		}
	}
	return found;
}

/*
 * Print "SID PID ERRNO": this worker's session, its pid, and the errno of
 * opening /dev/tty (0 when it has a controlling terminal).
 */
int session_report(mpd_worker *w, const json_t *args)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int err = fd == -1 ? errno : 0;

	if (fd >= 0)
		close(fd);
	printf("%ld %ld %d\n", (long)getsid(0), (long)getpid(), err);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* A preload init that succeeds: marks the template. */
int testmod_init(void)
{
	preloaded = 42;
	return 0;
}

/* Print what testmod_init left ("42", or "0" when it did not run). */
int preloaded_value(mpd_worker *w, const json_t *args)
{
	printf("%d\n", preloaded);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* A preload init that fails. */
int fail_init(void)
{
	return 1;
}

/*
 * For the descriptors a worker is given: args is the array of their
 * names. Writes to each "NAME fd=N by_name=M" (mpd_worker_fd() and
 * mpd_fd_by_name()), and to the first also "open: ..." (every descriptor
 * open in the worker, up to 1023) and "MPD_FDS=...". Exits 0, or 3 when
 * a name is not found.
 */
int report_fds(mpd_worker *w, const json_t *args)
{
	const char *env = getenv("MPD_FDS");
	size_t i;
	json_t *v;
	int first = -1;

	json_array_foreach (args, i, v) {
		const char *name = json_string_value(v);
		int fd = mpd_worker_fd(w, name);

		if (fd < 0)
			return 3;
		dprintf(fd, "%s fd=%d by_name=%d\n", name, fd,
			mpd_fd_by_name(name));
		if (first < 0)
			first = fd;
	}
	if (first < 0)
		return 3;
	dprintf(first, "open:");
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			dprintf(first, " %d", fd);
	dprintf(first, "\nMPD_FDS=%s\n", env != NULL ? env : "(unset)");
	return 0;
}
