/*
 * worker.c - the worker's side of a function target.
 *
 * worker_call() opens the module and finds the function (reporting a
 * failure on the start report pipe), worker_run() calls it as the worker
 * and exits with its return value. worker_main() is the fresh image of
 * the "spawn" start method: `mpdd --worker MODULE FUNCTION N`, exec'd by
 * a child that is already set up, with the worker's N descriptors on fds
 * 3 and up, then the report pipe, then the args. worker_pool() is a
 * pool's worker: its initializer, then a loop of tasks read on its first
 * descriptor (channel.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"
#include "worker.h"

/*
 * In a worker: call fn (found by the template, or by worker_call()), named
 * after the worker, and exit with its return value.
 */
/* In a worker: fill w from the environment mpdd gave it; names holds
 * the descriptors' names (parsed into *copy, the caller's to free). */
static void worker_init(struct mpd_worker *w,
			const char *names[MPD_MAX_FDS_PER_MESSAGE], char **copy)
{
	const char *id = getenv(MPD_ENV_PROCESS_ID);
	const char *parent = getenv(MPD_ENV_PARENT_ID);
	/* The descriptors' names, as mpdd set them in MPD_FDS: the one
	 * at MPD_FDS_START first. */
	const char *fds = getenv(MPD_ENV_FDS);
	char *save = NULL;

	*w = (struct mpd_worker){
		.magic = MPD_WORKER_MAGIC,
		.version = MPD_WORKER_VERSION,
		.id = id != NULL ? strtoll(id, NULL, 10) : 0,
		.parent = parent != NULL ? strtoll(parent, NULL, 10) : 0,
		.name = getenv(MPD_ENV_PROCESS_NAME),
		.socket = getenv(MPD_ENV_SOCKET),
	};
	*copy = fds != NULL && *fds != '\0' ? strdup(fds) : NULL;
	for (char *s = *copy != NULL ? strtok_r(*copy, ":", &save) : NULL;
	     s != NULL && w->nfds < MPD_MAX_FDS_PER_MESSAGE;
	     s = strtok_r(NULL, ":", &save))
		names[w->nfds++] = s;
	w->fd_names = w->nfds > 0 ? names : NULL;
	if (w->name != NULL)
		prctl(PR_SET_NAME, w->name);
}

/*
 * In a worker: call fn (found by the template, or by worker_call()), named
 * after the worker, and exit with its return value.
 */
void worker_run(worker_fn *fn, json_t *args, int report_fd)
{
	const char *names[MPD_MAX_FDS_PER_MESSAGE];
	struct mpd_worker w;
	char *copy;
	int rc;

	worker_init(&w, names, &copy);
	close(report_fd);
	rc = fn(&w, args);
	/* As Python's multiprocessing does: flush stdio, then _exit. The
	 * template's atexit handlers and state are not the worker's. */
	fflush(NULL);
	_exit(rc);
}

/* A pool worker's task functions, found once each. */
struct task_fn_entry {
	char *name;
	task_fn *fn; /* NULL: not found (why in err) */
	char *err;
};

/* Write all of buf (len bytes) to fd; false when the daemon is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		/* A socket: a daemon that let go is EPIPE, not SIGPIPE. */
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * The outcome not written yet: it goes out before the next task runs
 * (a task that kills the worker must not take the outcomes before it
 * along), or before the worker waits for more.
 */
static struct {
	char *buf;
	size_t len, cap;
} pending;

#define OUT_FLUSH_AT (64 * 1024)

/* Write what is buffered; the daemon gone, the worker ends (nothing
 * waits for it). */
static void pool_flush(int fd)
{
	if (pending.len > 0 && !write_all(fd, pending.buf, pending.len)) {
		fflush(NULL);
		_exit(0);
	}
	pending.len = 0;
}

/* Queue one line: v (stolen), encoded, and '\n'. A value that cannot be
 * encoded is replaced by an error naming the task. */
static void pool_send(int fd, json_t *v, json_int_t id)
{
	size_t len;
	char *text = v != NULL ? mpd_json_encode(v, &len, 1) : NULL;

	json_decref(v);
	if (text == NULL) {
		v = json_pack("{s:I, s:{s:s, s:n, s:n}}", CHAN_POOL_ID, id,
			      CHAN_POOL_ERROR, "message",
			      "the task's result cannot be encoded as JSON "
			      "(not UTF-8, or out of memory)",
			      CHAN_POOL_RETURN, CHAN_POOL_VALUE);
		text = v != NULL ? mpd_json_encode(v, &len, 1) : NULL;
		json_decref(v);
		if (text == NULL)
			_exit(CHILD_FAIL_EXIT);
	}
	text[len++] = '\n';
	if (pending.len + len > pending.cap) {
		size_t ncap = pending.cap ? pending.cap : 4096;
		char *nb;

		while (ncap < pending.len + len)
			ncap *= 2;
		nb = realloc(pending.buf, ncap);
		if (nb == NULL)
			_exit(CHILD_FAIL_EXIT);
		pending.buf = nb;
		pending.cap = ncap;
	}
	memcpy(pending.buf + pending.len, text, len);
	pending.len += len;
	free(text);
	if (pending.len >= OUT_FLUSH_AT)
		pool_flush(fd);
}

/* The function name of module h, from the cache. */
static struct task_fn_entry *pool_fn(void *h, struct task_fn_entry **cache,
				     size_t *n, const char *name)
{
	struct task_fn_entry *e;
	const char *err;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*cache)[i].name, name) == 0)
			return &(*cache)[i];
	e = realloc(*cache, (*n + 1) * sizeof(**cache));
	if (e == NULL)
		return NULL;
	*cache = e;
	e = &e[(*n)++];
	dlerror();
	e->name = strdup(name);
	*(void **)&e->fn = dlsym(h, name);
	err = dlerror();
	e->err = e->fn == NULL ? strdup(err ?: "symbol is NULL") : NULL;
	return e;
}

/*
 * Call e's function on arg; on success *result is its result (a new
 * reference), else *error is the error object of the wire (new).
 */
static bool pool_call(struct mpd_worker *w, struct task_fn_entry *e,
		      const json_t *arg, json_t **result, json_t **error)
{
	json_t *out = NULL;
	int rc;

	*result = *error = NULL;
	rc = e->fn(w, arg, &out);
	if (rc == 0) {
		*result = out != NULL ? out : json_null();
		return true;
	}
	*error =
		json_pack("{s:o, s:i, s:o}", "message",
			  json_is_string(out) ?
				  json_incref(out) :
				  json_sprintf("task function returned %d", rc),
			  CHAN_POOL_RETURN, rc, CHAN_POOL_VALUE,
			  out != NULL ? out : json_null());
	return false;
}

/* Run one task line (len bytes) and answer it on fd. */
static void pool_task(int fd, struct mpd_worker *w, void *h,
		      struct task_fn_entry **cache, size_t *ncache, char *line,
		      size_t len)
{
	json_t *t = mpd_json_parse(line, len, 0, NULL);
	json_t *id = json_object_get(t, CHAN_POOL_ID);
	const char *name =
		json_string_value(json_object_get(t, CHAN_POOL_FUNC));
	json_t *items = json_object_get(t, CHAN_POOL_ITEMS);
	json_t *result = NULL, *error = NULL, *one, *item;
	json_int_t tid = json_integer_value(id);
	struct task_fn_entry *e;
	size_t i;

	if (t == NULL || !json_is_integer(id) || name == NULL) {
		/* Not the daemon's: the channel is out of step. */
		_exit(CHILD_FAIL_EXIT);
	}
	e = pool_fn(h, cache, ncache, name);
	if (e == NULL || e->fn == NULL) {
		error = json_pack(
			"{s:o, s:n, s:n}", "message",
			e != NULL ? json_sprintf("no task function %s: %s",
						 name, e->err ?: "") :
				    json_string("out of memory"),
			CHAN_POOL_RETURN, CHAN_POOL_VALUE);
	} else if (items == NULL) {
		pool_call(w, e, json_object_get(t, CHAN_POOL_ARG), &result,
			  &error);
	} else {
		result = json_array();
		json_array_foreach (items, i, item) {
			if (!pool_call(w, e, item, &one, &error)) {
				json_object_set_new(
					error, CHAN_POOL_INDEX,
					json_integer((json_int_t)i));
				json_decref(result);
				result = NULL;
				break;
			}
			json_array_append_new(result, one);
		}
	}
	json_decref(t);
	if (error != NULL)
		pool_send(fd,
			  json_pack("{s:I, s:o}", CHAN_POOL_ID, tid,
				    CHAN_POOL_ERROR, error),
			  tid);
	else
		pool_send(fd,
			  json_pack("{s:I, s:o}", CHAN_POOL_ID, tid,
				    CHAN_POOL_RESULT, result),
			  tid);
}

/*
 * In a pool's function worker, beside the task loop: wait for the daemon's
 * end of the channel to close, and end the worker then. The daemon lets
 * a worker go only when it holds no task (its loop, idle in read(), would
 * see the EOF and end alike); a close while a task runs, or with tasks
 * buffered, means mpdd itself is gone, and no outcome of this worker could
 * reach anyone: it must not run on as an orphan.
 */
static void *pool_watch(void *arg)
{
	struct pollfd p = { .fd = (int)(intptr_t)arg, .events = POLLRDHUP };

	/* POLLIN is not asked for: tasks arriving do not wake this. */
	while (poll(&p, 1, -1) != 1 ||
	       !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		;
	fflush(NULL);
	_exit(0);
}

/*
 * In a pool's function worker: load module, find the initializer init
 * (NULL: none; initfn: found by the template already), say so on
 * report_fd, call it with initargs (non-zero ends the worker with that
 * code), then run the tasks that come on the channel (the worker's first
 * descriptor) until it ends.
 */
void worker_pool(const char *module, const char *init, worker_fn *initfn,
		 json_t *initargs, int report_fd)
{
	const char *names[MPD_MAX_FDS_PER_MESSAGE];
	static const char ready[] = "{\"" CHAN_POOL_READY "\":true}\n";
	struct task_fn_entry *cache = NULL;
	size_t ncache = 0, cap = 64 * 1024, start = 0, end = 0, scan = 0;
	int fd = WORKER_FDS_START, rc;
	struct mpd_worker w;
	pthread_t watcher;
	char *copy, *buf;
	void *h;

	h = dlopen(module, RTLD_NOW);
	if (h == NULL)
		child_fail(report_fd, STAGE_DLOPEN, 0, "%s", dlerror());
	if (init != NULL && initfn == NULL) {
		dlerror();
		*(void **)&initfn = dlsym(h, init);
		if (initfn == NULL)
			child_fail(report_fd, STAGE_DLSYM, 0, "%s: %s", init,
				   dlerror() ?: "symbol is NULL");
	}
	worker_init(&w, names, &copy);
	close(report_fd);
	if (initfn != NULL && (rc = initfn(&w, initargs)) != 0) {
		fflush(NULL);
		_exit(rc);
	}
	if (!write_all(fd, ready, sizeof(ready) - 1))
		_exit(0);
	/* Without the watcher (no thread to be had), the worker still ends
	 * at the EOF, once it has run the tasks it holds. */
	if (pthread_create(&watcher, NULL, pool_watch, (void *)(intptr_t)fd) ==
	    0)
		pthread_detach(watcher);
	buf = malloc(cap);
	if (buf == NULL)
		_exit(CHILD_FAIL_EXIT);
	for (;;) {
		char *nl = memchr(buf + scan, '\n', end - scan);
		ssize_t n;

		if (nl != NULL) {
			*nl = '\0';
			/* The outcomes of the tasks before go out before
			 * this one runs: if it kills the worker, they are
			 * not lost with it. */
			pool_flush(fd);
			pool_task(fd, &w, h, &cache, &ncache, buf + start,
				  (size_t)(nl - (buf + start)));
			start = scan = (size_t)(nl - buf) + 1;
			continue;
		}
		scan = end;
		if (start == end) {
			start = scan = end = 0;
		} else if (end == cap) {
			if (start > 0) {
				memmove(buf, buf + start, end - start);
				end -= start;
				scan -= start;
				start = 0;
			} else {
				char *nb = realloc(buf, cap * 2);

				if (nb == NULL)
					_exit(CHILD_FAIL_EXIT);
				buf = nb;
				cap *= 2;
			}
		}
		/* About to wait: what is done goes out first. */
		pool_flush(fd);
		n = read(fd, buf + end, cap - end);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		end += (size_t)n;
	}
	/* EOF: the pool let this worker go. */
	fflush(NULL);
	_exit(0);
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
	long nfds = argc == 5 || argc == 6 ? strtol(argv[4], &end, 10) : -1;
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
	/* mpdd --worker MODULE INIT N pool: a pool's worker (INIT "":
	 * none). */
	if (argc == 6 && strcmp(argv[5], CHAN_K_POOL) == 0)
		worker_pool(argv[2], argv[3][0] != '\0' ? argv[3] : NULL, NULL,
			    args, report);
	worker_call(argv[2], argv[3], args, report);
	exit(CHILD_FAIL_EXIT);
}
