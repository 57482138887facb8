/*
 * worker.c - the worker's side of a function target.
 *
 * worker_call() opens the module and finds the function (reporting a
 * failure on the start report pipe), worker_run() calls it as the worker
 * and exits with its return value. worker_main() is the fresh image of
 * the "spawn" start method: `mpdd --worker MODULE FUNCTION`, exec'd by a
 * child that is already set up, with the report pipe on fd 3 and the args
 * on fd 4.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"
#include "worker.h"

/*
 * In a worker: call fn (found by the template, or by worker_call()), named
 * after the worker, and exit with its return value.
 */
void worker_run(worker_fn *fn, json_t *args, int report_fd)
{
	const char *id = getenv(MPD_ENV_PROCESS_ID);
	const char *parent = getenv(MPD_ENV_PARENT_ID);
	struct mpd_worker w = {
		.magic = MPD_WORKER_MAGIC,
		.version = MPD_WORKER_VERSION,
		.id = id != NULL ? strtoll(id, NULL, 10) : 0,
		.parent = parent != NULL ? strtoll(parent, NULL, 10) : 0,
		.name = getenv(MPD_ENV_PROCESS_NAME),
		.socket = getenv(MPD_ENV_SOCKET),
	};
	int rc;

	if (w.name != NULL)
		prctl(PR_SET_NAME, w.name);
	close(report_fd);
	rc = fn(&w, args);
	/* As Python's multiprocessing does: flush stdio, then _exit. The
	 * template's atexit handlers and state are not the worker's. */
	fflush(NULL);
	_exit(rc);
}

/*
 * In a worker: load module, find function, say so on report_fd, call it
 * and exit with its return value.
 */
void worker_call(const char *module, const char *function, json_t *args,
		 int report_fd)
{
	worker_fn *fn;
	void *h;

	h = dlopen(module, RTLD_NOW);
	if (h == NULL)
		child_fail(report_fd, STAGE_DLOPEN, 0, "%s", dlerror());
	dlerror();
	*(void **)&fn = dlsym(h, function);
	if (fn == NULL)
		child_fail(report_fd, STAGE_DLSYM, 0, "%s: %s", function,
			   dlerror() ?: "symbol is NULL");
	worker_run(fn, args, report_fd);
}

int worker_main(int argc, char **argv)
{
	struct stat st;
	char *text;
	json_t *args;
	ssize_t n;
	size_t off = 0;

	/* mpdd --worker MODULE FUNCTION, fd 3: report, fd 4: args. */
	if (argc != 4 || fstat(WORKER_REPORT_FD, &st) == -1 ||
	    fstat(WORKER_ARGS_FD, &st) == -1) {
		fprintf(stderr, "mpdd --worker is started by mpdd itself\n");
		exit(2);
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		child_fail(WORKER_REPORT_FD, STAGE_SETUP, ENOMEM,
			   "out of memory");
	while (off < (size_t)st.st_size &&
	       (n = read(WORKER_ARGS_FD, text + off,
			 (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	text[off] = '\0';
	close(WORKER_ARGS_FD);
	fcntl(WORKER_REPORT_FD, F_SETFD, FD_CLOEXEC);
	args = json_loads(text, JSON_DECODE_ANY, NULL);
	free(text);
	worker_call(argv[2], argv[3], args, WORKER_REPORT_FD);
	exit(CHILD_FAIL_EXIT);
}
