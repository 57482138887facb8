/*
 * worker.c - the worker's side of a function target.
 *
 * worker_call() opens the module and finds the function (reporting a
 * failure on the start report pipe), worker_run() calls it as the worker
 * and exits with its return value. worker_main() is the fresh image of
 * the "spawn" start method: `mpdd --worker MODULE FUNCTION N`, exec'd by
 * a child that is already set up, with the worker's N descriptors on fds
 * 3 and up, then the report pipe, then the args.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* The descriptors' names, as mpdd set them in MPD_FDS: the one
	 * at MPD_FDS_START first. */
	const char *fds = getenv(MPD_ENV_FDS);
	const char *names[MPD_MAX_FDS_PER_MESSAGE];
	char *copy = fds != NULL && *fds != '\0' ? strdup(fds) : NULL;
	char *save = NULL;
	int rc;

	for (char *s = copy != NULL ? strtok_r(copy, ":", &save) : NULL;
	     s != NULL && w.nfds < MPD_MAX_FDS_PER_MESSAGE;
	     s = strtok_r(NULL, ":", &save))
		names[w.nfds++] = s;
	w.fd_names = w.nfds > 0 ? names : NULL;
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
	char *text, *end;
	json_t *args;
	ssize_t n;
	size_t off = 0;
	long nfds = argc == 5 ? strtol(argv[4], &end, 10) : -1;
	int report, argfd;

	/* mpdd --worker MODULE FUNCTION N: fds 3 to 2 + N the worker's
	 * own, then the report pipe, then the args. */
	if (nfds < 0 || nfds > MPD_MAX_FDS_PER_MESSAGE || *end != '\0' ||
	    fstat(report = WORKER_REPORT_FD + (int)nfds, &st) == -1 ||
	    fstat(argfd = WORKER_ARGS_FD + (int)nfds, &st) == -1) {
		fprintf(stderr, "mpdd --worker is started by mpdd itself\n");
		exit(2);
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		child_fail(report, STAGE_SETUP, ENOMEM, "out of memory");
	while (off < (size_t)st.st_size &&
	       (n = read(argfd, text + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	text[off] = '\0';
	close(argfd);
	fcntl(report, F_SETFD, FD_CLOEXEC);
	args = json_loads(text, JSON_DECODE_ANY, NULL);
	free(text);
	worker_call(argv[2], argv[3], args, report);
	exit(CHILD_FAIL_EXIT);
}
