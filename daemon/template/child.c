/*
 * child.c - a forked or pooled child, from its fork to its target.
 *
 * The child announces itself on its start report pipe, sets up signals,
 * its session, credentials, cwd and stdio, keeps only the descriptors a
 * worker has, and runs its target: a program (exec), the fresh worker
 * image (the "spawn" method), or a function, found in the template or by
 * the worker itself (worker.c). A failed step is reported on the pipe
 * (stage, errno, text) and ends the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "template.h"

/*
 * In every child, first of all: write its pid on the start report pipe,
 * so that mpdd, which holds the read end, knows the child whatever
 * happens to the template from now on. Dies quietly when it cannot: then
 * nothing ran.
 */
void child_announce(int report_fd)
{
	int32_t pid = (int32_t)getpid();

	if (write(report_fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(CHILD_FAIL_EXIT);
}

/* In the child: report a failed set-up and die. */
void child_fail(int report_fd, enum start_stage stage, int err, const char *fmt,
		...)
{
	struct start_report rep = { .stage = stage, .err = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep.message, sizeof(rep.message), fmt, ap);
	va_end(ap);
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep)) {
		/* Nothing more we can do: the exit code says it. */
	}
	_exit(CHILD_FAIL_EXIT);
}

/*
 * The descriptor stream i reads or writes per spec: -1 to keep ours
 * ("inherit"), the next passed descriptor for "pass", or a file opened
 * here. Fails the child on error.
 */
static int child_stdio_source(int report_fd, int i, json_t *spec,
			      const int *fds, int nfds, int *passed)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	const char *s = json_string_value(spec);
	const char *path = "/dev/null";
	int flags = O_CLOEXEC | O_NOCTTY, fd;

	if (s != NULL && strcmp(s, "inherit") == 0)
		return -1;
	if (s != NULL && strcmp(s, "pass") == 0) {
		if (*passed >= nfds)
			child_fail(report_fd, STAGE_STDIO, EBADF,
				   "%s: no descriptor was passed", names[i]);
		return fds[(*passed)++];
	}
	if (s != NULL && tmpl_devnull >= 0)
		return tmpl_devnull; /* "null" */
	if (s == NULL) {
		path = json_string_value(json_object_get(spec, "file"));
		if (i > 0)
			flags |=
				O_CREAT |
				(json_is_true(json_object_get(spec, "append")) ?
					 O_APPEND :
					 O_TRUNC);
	}
	flags |= i == 0 ? O_RDONLY : O_WRONLY;
	fd = open(path, flags, 0666);
	if (fd == -1)
		child_fail(report_fd, STAGE_STDIO, errno, "%s: %s: %s",
			   names[i], path, strerror(errno));
	return fd;
}

/*
 * When the request names credentials (a root daemon serving a non-root
 * client), become that user: its groups, gid and uid, irrevocably. A
 * failure fails the start; the worker never runs as root by accident.
 */
static void child_drop_privileges(json_t *req, int report_fd)
{
	json_t *uid = json_object_get(req, "uid");
	json_t *groups = json_object_get(req, "groups"), *g;
	gid_t list[MPD_MAX_GROUPS];
	size_t n = 0, i;

	if (uid == NULL)
		return;
	json_array_foreach (groups, i, g)
		if (n < MPD_MAX_GROUPS)
			list[n++] = (gid_t)json_integer_value(g);
	if (setgroups(n, list) == -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setgroups: %s",
			   strerror(errno));
	if (setresgid((gid_t)json_integer_value(json_object_get(req, "gid")),
		      (gid_t)json_integer_value(json_object_get(req, "gid")),
		      (gid_t)json_integer_value(json_object_get(req, "gid"))) ==
	    -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setgid: %s",
			   strerror(errno));
	if (setresuid((uid_t)json_integer_value(uid),
		      (uid_t)json_integer_value(uid),
		      (uid_t)json_integer_value(uid)) == -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setuid: %s",
			   strerror(errno));
	if (geteuid() == 0 || getuid() == 0)
		child_fail(report_fd, STAGE_SETUP, EPERM,
			   "still root after dropping privileges");
}
/*
 * What every child does first, whatever it runs: a clean slate for
 * signals (the template blocks SIGCHLD and ignores SIGPIPE) and a session
 * of its own (and so a process group, and no controlling terminal: a
 * worker never gets mpdd's terminal, to write to or to push input into
 * with TIOCSTI). A pooled child does it ahead, while idle.
 */
void child_prepare(int report_fd)
{
	sigset_t none;

	if (tmpl_pinned)
		sched_setaffinity(0, sizeof(tmpl_cpus), &tmpl_cpus);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < tmpl_nsigs; i++)
		signal(tmpl_sigs[i], SIG_DFL);
	if (setsid() == -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setsid: %s",
			   strerror(errno));
}

/*
 * The child, after fork: set up the process and run the target. Never
 * returns. fds[] holds the "pass" descriptors in stream order; prepared
 * says child_prepare() has run.
 */
void __attribute__((noreturn))
child_run(json_t *req, const int *fds, int nfds, int report_fd, bool prepared,
	  worker_fn *fn, char **env)
{
	extern char **environ;
	json_t *target = json_object_get(req, "target");
	json_t *stdio = json_object_get(req, "stdio");
	const char *cwd = json_string_value(json_object_get(req, "cwd"));
	const char *module =
		json_string_value(json_object_get(target, "module"));
	const char *function =
		json_string_value(json_object_get(target, "function"));
	bool fresh =
		strcmp(json_string_value(json_object_get(req, "method")) ?: "",
		       "spawn") == 0;
	int src[3], passed = 0;

	if (!prepared)
		child_prepare(report_fd);
	/* The client's credentials before anything is opened on its
	 * behalf: files, the cwd, the program are all checked as it. */
	child_drop_privileges(req, report_fd);

	/* The cwd first: a relative stdio path is the worker's. */
	if (cwd != NULL && chdir(cwd) == -1)
		child_fail(report_fd, STAGE_CWD, errno, "%s: %s", cwd,
			   strerror(errno));
	for (int i = 0; i < 3; i++)
		src[i] = child_stdio_source(report_fd, i,
					    json_array_get(stdio, i), fds, nfds,
					    &passed);
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && dup2(src[i], i) == -1)
			child_fail(report_fd, STAGE_STDIO, errno, "dup2: %s",
				   strerror(errno));

	/* Only 0, 1, 2 and the report pipe (as fd 3) survive. */
	if (report_fd != WORKER_REPORT_FD) {
		if (dup2(report_fd, WORKER_REPORT_FD) == -1)
			child_fail(report_fd, STAGE_SETUP, errno, "dup2: %s",
				   strerror(errno));
		report_fd = WORKER_REPORT_FD;
	}
	close_range(WORKER_REPORT_FD + 1, ~0U, 0);
	/* Open across exec only for the fresh worker image, which reports. */
	fcntl(report_fd, F_SETFD, fresh ? 0 : FD_CLOEXEC);
	environ = env != NULL ? env : strv(json_object_get(req, "env"));
	if (environ == NULL)
		child_fail(report_fd, STAGE_SETUP, ENOMEM, "out of memory");

	if (module == NULL) {
		char **argv = strv(json_object_get(target, "argv"));

		/* execvp searches the PATH of environ: the worker's. */
		execvp(argv[0], argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s", argv[0],
			   strerror(errno));
	}
	if (fresh) {
		json_t *args = json_object_get(req, "args");
		char *text = json_dumps(args ? args : json_null(),
					JSON_ENCODE_ANY | JSON_COMPACT);
		int mfd = memfd_create("mpd-args", 0);
		size_t len = text ? strlen(text) : 0, off = 0;
		char *argv[] = { "mpdd", "--worker", (char *)module,
				 (char *)function, NULL };

		if (text == NULL || mfd == -1)
			child_fail(report_fd, STAGE_SETUP, errno ?: ENOMEM,
				   "cannot pass the args: %s",
				   strerror(errno ?: ENOMEM));
		while (off < len) {
			ssize_t n = write(mfd, text + off, len - off);

			if (n <= 0)
				child_fail(report_fd, STAGE_SETUP, errno,
					   "cannot pass the args: %s",
					   strerror(errno));
			off += (size_t)n;
		}
		lseek(mfd, 0, SEEK_SET);
		if (mfd != WORKER_ARGS_FD) {
			dup2(mfd, WORKER_ARGS_FD);
			close(mfd);
		}
		/* Both stay open across the exec: the image reports. */
		execv(tmpl_self_exe, argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s",
			   tmpl_self_exe, strerror(errno));
	}
	if (fn != NULL)
		worker_run(fn, json_object_get(req, "args"), report_fd);
	worker_call(module, function, json_object_get(req, "args"), report_fd);
}
