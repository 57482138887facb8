/*
 * child.c - a forked or pooled child, from its fork to its target.
 *
 * The child carries out its set-up plan (plan.c: signals, session,
 * credentials, cwd, stdio), keeps only the descriptors a worker has, and
 * runs its target: a program (exec), the fresh worker
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
 * The child, after fork (or a pooled child that took its request): carry
 * out its plan pl and run the target of req. Never returns. prepared says
 * plan_prepare() has run (a pooled child does it while idle).
 */
void __attribute__((noreturn))
child_run(json_t *req, const struct plan *pl, bool prepared, worker_fn *fn,
	  char **env)
{
	extern char **environ;
	json_t *target = json_object_get(req, CHAN_K_TARGET);
	const char *module =
		json_string_value(json_object_get(target, CHAN_K_MODULE));
	const char *function =
		json_string_value(json_object_get(target, CHAN_K_FUNCTION));
	bool fresh =
		strcmp(json_string_value(json_object_get(req, CHAN_K_METHOD)) ?:
			       "",
		       CHAN_METHOD_SPAWN) == 0;
	/* The report pipe's place: just after the worker's descriptors. */
	int report_at = WORKER_REPORT_FD + pl->nxfds, report_fd;

	if (!prepared)
		plan_prepare(pl);
	report_fd = plan_apply(pl);

	/* Only 0, 1, 2, the worker's own descriptors and the report pipe
	 * survive. */
	if (report_fd != report_at) {
		if (dup2(report_fd, report_at) == -1)
			child_fail(report_fd, STAGE_SETUP, errno, "dup2: %s",
				   strerror(errno));
		report_fd = report_at;
	}
	close_range((unsigned)report_at + 1, ~0U, 0);
	/* Open across exec only for the fresh worker image, which reports. */
	fcntl(report_fd, F_SETFD, fresh ? 0 : FD_CLOEXEC);
	environ = env != NULL ? env : strv(json_object_get(req, CHAN_K_ENV));
	if (environ == NULL)
		child_fail(report_fd, STAGE_SETUP, ENOMEM, "out of memory");

	if (module == NULL) {
		char **argv = strv(json_object_get(target, CHAN_K_ARGV));

		/* execvp searches the PATH of environ: the worker's. */
		execvp(argv[0], argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s", argv[0],
			   strerror(errno));
	}
	if (fresh) {
		json_t *args = json_object_get(req, CHAN_K_ARGS);
		bool pool = json_is_true(json_object_get(req, CHAN_K_POOL));
		char *text = json_dumps(args ? args : json_null(),
					JSON_ENCODE_ANY | JSON_COMPACT);
		int mfd = memfd_create("mpd-args", 0);
		int args_at = report_at + 1;
		size_t len = text ? strlen(text) : 0, off = 0;
		char nfds[16];
		char *argv[] = { "mpdd",
				 "--worker",
				 (char *)module,
				 (char *)(function ?: ""),
				 nfds,
				 pool ? CHAN_K_POOL : NULL,
				 NULL };

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
		if (mfd != args_at) {
			dup2(mfd, args_at);
			close(mfd);
		}
		snprintf(nfds, sizeof(nfds), "%d", pl->nxfds);
		/* Both stay open across the exec: the image reports. */
		execv(tmpl_self_exe, argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s",
			   tmpl_self_exe, strerror(errno));
	}
	if (json_is_true(json_object_get(req, CHAN_K_POOL)))
		worker_pool(module, function, fn,
			    json_object_get(req, CHAN_K_ARGS), report_fd);
	if (fn != NULL)
		worker_run(fn, json_object_get(req, CHAN_K_ARGS), report_fd);
	worker_call(module, function, json_object_get(req, CHAN_K_ARGS),
		    report_fd);
}
