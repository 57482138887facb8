/*
 * template.c - the template (forkserver): its loop and its channel to mpdd.
 *
 * `mpdd --template FD` is the process mpdd clones workers from: a small,
 * single-threaded image with no event loop and no daemon state. It loads
 * the --preload modules once (calling their init functions), reports
 * ready, then serves spawn requests from mpdd on FD: fork, set the child
 * up, exec or call the target.
 *
 * The child tells mpdd, not the template, how its set-up went: each
 * request comes with the write end of a close-on-exec pipe whose read end
 * mpdd keeps (spawner.c). The child writes its pid first thing, then a
 * report (stage and errno or dlerror text) only if its set-up fails; EOF
 * after the pid means the program was exec'd (or, for a function, the
 * symbol was found and the call is next). The template only names the
 * child it forked ("forked", with a pidfd) and goes on, so a slow exec
 * never delays the next spawn, and a template that dies mid-start leaves
 * mpdd all it needs to track the child. It reaps its children through a
 * signalfd, each only after it has reported its exit status to mpdd (a
 * child it leaves unreaped is reparented to mpdd, which reaps it).
 *
 * The pool (--pool N, after Android's USAP pool): N children forked ahead,
 * each blocked on its own socket. A request for a function target is
 * handed to one of them, with its "pass" descriptors, so the fork is off
 * the request path. The children are forked by the keeper, a copy of the
 * template made at start, so that the fork of a replacement never stops
 * the template (a fork holds the forking process's memory map); the
 * keeper passes their exit statuses on, and reaps each once the template
 * says it has passed it to mpdd. A pooled child
 * does the set-up every worker needs (signals, process group) and
 * rehearses a start while idle, dies with the keeper (PR_SET_PDEATHSIG)
 * until it takes a request, and acknowledges the request with a byte on
 * its acknowledgement pipe before it writes its pid to mpdd; until then
 * the template keeps the request, to start
 * it anew should the child have been killed. With the pool empty (a
 * burst), the template forks as before. A program (argv) target needs
 * none of this: it is started by a clone that shares the template's
 * memory and is not waited for (launch.c).
 *
 * The files of the template image: template.c (this loop, the channel to
 * mpdd, preload), arena.c (its memory), child.c (a forked child's set-up),
 * launch.c (a program's), pool.c (the pool and its keeper), share.c (page
 * sharing, CPU pinning), worker.c (a function target's worker and the
 * fresh image of the "spawn" method). It shares proto/ and channel.h
 * with mpdd, not the daemon's header.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "template.h"

#define CTL_READ_CHUNK (64 * 1024)

/* A child that started, until it is reaped. */
struct child {
	int64_t id;
	pid_t pid;
};

static int ctl = -1; /* the channel to mpdd */
struct book *bk;
bool tmpl_in_child;
int tmpl_devnull = -1;
int tmpl_sigs[NSIG], tmpl_nsigs;
char **tmpl_preloaded;
static void **preloaded_handle; /* dlopen()'s, for each */
int tmpl_npreloaded;
const char *tmpl_self_exe;
/* Write one line to mpdd (blocking), with fd attached when >= 0. */
static void ctl_send_text(const char *line, size_t len, int fd)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = fdio_send(ctl, line + off, len - off, &fd,
				      off == 0 && fd >= 0 ? 1 : 0);

		if (n == -1 && errno == EAGAIN) {
			struct pollfd p = { .fd = ctl, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n == -1)
			fatal("template: cannot write to mpdd");
		off += (size_t)n;
	}
}

/* Write one message to mpdd (blocking), with fd attached when >= 0. */
static void ctl_send(json_t *msg, int fd)
{
	size_t len;
	char *line = mpd_rpc_encode(msg, &len);

	if (line == NULL)
		fatalx("template: out of memory");
	ctl_send_text(line, len, fd);
	free(line);
	json_decref(msg);
}

/* Write v in decimal at p; returns the end. */
static char *put_int(char *p, long long v)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
				       (unsigned long long)v;
	int n = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*p++ = '-';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * The messages of every start and exit, written without an allocation
 * and without stdio (whose formatting takes pages of stack): after each
 * fork every page the template writes is a copy-on-write fault, so the
 * per-start path touches as few as it can.
 */
static void ctl_send_child(const char *ev, int64_t id, pid_t pid,
			   const int *status, int fd)
{
	char buf[128], *p = buf;

	p = put_str(p, "{\"" CHAN_K_EV "\":\"");
	p = put_str(p, ev);
	p = put_str(p, "\",\"" CHAN_K_ID "\":");
	p = put_int(p, id);
	p = put_str(p, ",\"" CHAN_K_PID "\":");
	p = put_int(p, pid);
	if (status != NULL) {
		p = put_str(p, ",\"" CHAN_K_STATUS "\":");
		p = put_int(p, *status);
	}
	p = put_str(p, "}\n");
	ctl_send_text(buf, (size_t)(p - buf), fd);
}

/* Child pid runs request id; pidfd goes with the message. */
static void ctl_send_forked(int64_t id, pid_t pid, int pidfd)
{
	ctl_send_child(CHAN_EV_FORKED, id, pid, NULL, pidfd);
}

/* Child pid of request id ended with status (a wait status). */
static void ctl_send_exited(int64_t id, pid_t pid, int status)
{
	ctl_send_child(CHAN_EV_EXITED, id, pid, &status, -1);
}

/* Append the n bytes at s as the body of a JSON string at p (room: 6
 * bytes for each); a byte that is not part of valid UTF-8 (a sequence cut
 * short by the report's size) becomes U+FFFD. */
static char *put_json_text(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s, *end = u + len;

	while (u < end) {
		size_t n = 0;

		if (*u == '"' || *u == '\\') {
			*p++ = '\\';
			*p++ = (char)*u++;
			continue;
		}
		if (*u < 0x20) {
			p = put_str(p, "\\u00");
			*p++ = hex[*u >> 4];
			*p++ = hex[*u++ & 15];
			continue;
		}
		if (*u < 0x80) {
			*p++ = (char)*u++;
			continue;
		}
		/* The length of a well-formed sequence here, or 0. */
		if (*u >= 0xc2 && *u <= 0xdf)
			n = 2;
		else if (*u >= 0xe0 && *u <= 0xef)
			n = 3;
		else if (*u >= 0xf0 && *u <= 0xf4)
			n = 4;
		if (n > (size_t)(end - u))
			n = 0;
		for (size_t k = 1; k < n; k++)
			if ((u[k] & 0xc0) != 0x80)
				n = 0;
		if ((n == 3 && ((*u == 0xe0 && u[1] < 0xa0) ||
				(*u == 0xed && u[1] > 0x9f))) ||
		    (n == 4 && ((*u == 0xf0 && u[1] < 0x90) ||
				(*u == 0xf4 && u[1] > 0x8f))))
			n = 0;
		if (n == 0) {
			p = put_str(p, "\xef\xbf\xbd");
			u++;
			continue;
		}
		memcpy(p, u, n);
		p += n;
		u += n;
	}
	return p;
}

/*
 * A start failed: tell mpdd the stage, errno (err <= 0: null) and
 * message. Written into the template's own memory (the book), not with
 * jansson: the message may quote the request (a path, a program), and no
 * copy of it may stay behind where a later child could read it.
 */
static void ctl_send_report(int64_t id, const char *stage, int err,
			    const char *message)
{
	char *p = bk->out;
	/* 6 bytes of output at most for each byte of the message. */
	size_t n = strnlen(message, (sizeof(bk->out) - 128) / 6);

	p = put_str(p, "{\"" CHAN_K_EV "\":\"" CHAN_EV_FAILED "\",\"" CHAN_K_ID
		       "\":");
	p = put_int(p, id);
	p = put_str(p, ",\"" CHAN_K_STAGE "\":\"");
	p = put_str(p, stage);
	p = put_str(p, "\",\"" CHAN_K_ERRNO "\":");
	if (err > 0)
		p = put_int(p, err);
	else
		p = put_str(p, "null");
	p = put_str(p, ",\"" CHAN_K_MESSAGE "\":\"");
	p = put_json_text(p, message, n);
	p = put_str(p, "\"}\n");
	ctl_send_text(bk->out, (size_t)(p - bk->out), -1);
}

/* A start failed before there was a child to report it. */
static void ctl_send_failed(int64_t id, const char *stage, int err)
{
	ctl_send_report(id, stage, err, strerrordesc_np(err) ?: "error");
}

/*
 * The function of a target in a module the template tmpl_preloaded, found once
 * in the template and remembered, so that its workers need no dlopen()
 * and dlsym() of their own (and none of the page faults of the dynamic
 * linker's tables in each). NULL when the module is not one tmpl_preloaded
 * (named as --preload named it) or has no such symbol: the worker then
 * looks, and reports, as before.
 *
 * The template never opens what a request names: a path that is not a
 * tmpl_preloaded module's is the worker's to open (it might be a FIFO that
 * never opens, or another user's file). The names remembered are kept in
 * the template's own memory, and a failed lookup's message (which quotes
 * the name) is zeroed: no child of a later request reads them.
 */
static worker_fn *preloaded_fn(const char *module, const char *function)
{
	worker_fn *fn;
	void *h = NULL;
	char *err;
	size_t n;
	int m;

	if (module == NULL || function == NULL)
		return NULL;
	for (size_t i = 0; i < bk->nfns; i++)
		if (strcmp(bk->fns[i].module, module) == 0 &&
		    strcmp(bk->fns[i].function, function) == 0)
			return bk->fns[i].fn;
	for (m = 0; m < tmpl_npreloaded && h == NULL; m++)
		if (strcmp(tmpl_preloaded[m], module) == 0)
			h = preloaded_handle[m];
	if (h == NULL)
		return NULL;
	*(void **)&fn = dlsym(h, function);
	err = dlerror();
	if (err != NULL)
		explicit_bzero(err, strlen(err));
	n = strlen(function) + 1;
	if (fn != NULL && bk->nfns < sizeof(bk->fns) / sizeof(bk->fns[0])) {
		char *copy = own_realloc(NULL, 0, n);

		memcpy(copy, function, n);
		bk->fns[bk->nfns].module = tmpl_preloaded[m - 1];
		bk->fns[bk->nfns].function = copy;
		bk->fns[bk->nfns++].fn = fn;
	}
	return fn;
}

/* A request handed to pooled child pid (pidfd, its acknowledgement
 * pipe), kept until the child takes it; the entry is in the book. */
struct pending *pending_add(int64_t id, pid_t pid, int pidfd, int pipe)
{
	if (bk->npend == bk->cap_pend) {
		size_t cap = bk->cap_pend ? bk->cap_pend * 2 : 16;

		bk->pend = own_realloc(bk->pend,
				       bk->cap_pend * sizeof(*bk->pend),
				       cap * sizeof(*bk->pend));
		bk->cap_pend = cap;
	}
	bk->pend[bk->npend] = (struct pending){
		.id = id,
		.pid = pid,
		.pidfd = pidfd,
		.pipe = pipe,
	};
	return &bk->pend[bk->npend++];
}

/* Let go of the request a pooled child has taken. */
void pending_release(struct pending *q)
{
	own_free(q->line, q->len);
	q->line = NULL;
	for (int i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	q->nfds = 0;
}

static void kid_add(int64_t id, pid_t pid)
{
	if (bk->nkids == bk->cap_kids) {
		size_t cap = bk->cap_kids ? bk->cap_kids * 2 : 256;

		bk->kids = own_realloc(bk->kids,
				       bk->cap_kids * sizeof(*bk->kids),
				       cap * sizeof(*bk->kids));
		bk->cap_kids = cap;
	}
	bk->kids[bk->nkids++] = (struct child){ id, pid };
}

/*
 * Handle one spawn request from mpdd (line, len: its text); fds[0] is the
 * write end of its start report pipe (mpdd holds the read end), the rest
 * its "pass" descriptors.
 *
 * The child says how its set-up went on that pipe, to mpdd directly; the
 * template only tells mpdd which pid it forked ("forked", with a pidfd),
 * or that it could make no child ("failed"). So a template that dies at
 * any point loses nothing: mpdd reads the child's pid and its outcome from
 * the pipe, and the child, reparented to mpdd, is reaped there.
 *
 * A program target is started by launch_program(), which does not wait
 * for the child: a child whose cwd, stdio file or program hangs holds
 * its own start alone.
 */
static void tmpl_spawn(int64_t id, unsigned flags, const char *line, size_t len,
		       int *fds, int nfds)
{
	bool exec = flags & CHAN_F_EXEC;
	worker_fn *fn = NULL;
	json_t *req, *target;
	int e = 0, pidfd;
	enum start_stage stage = STAGE_FORK;
	pid_t pid;

	launch_sweep();
	if (nfds < 1) {
		/* No report pipe: our descriptors ran out on the way. */
		ctl_send_failed(id, start_stage_name(STAGE_SETUP), EMFILE);
		return;
	}
	if (!exec && pool_take(id, line, len, fds, nfds))
		return; /* the pending entry has the fds now */
	/* Everything the child can be spared is done here, once: the
	 * parse, the function's address, the environment. Each page a
	 * child touches for the first time is a fault of its own. */
	arena_begin();
	req = mpd_json_parse(line, len, 0, NULL);
	if (req == NULL)
		fatalx("template: bad request from mpdd");
	if (exec) {
		pid = launch_program(req, fds + 1, nfds - 1, fds[0], &stage);
		e = errno;
		arena_end();
		arena_scrub(false);
	} else {
		const char *method =
			json_string_value(json_object_get(req, CHAN_K_METHOD));
		struct plan *pl = arena_alloc(sizeof(*pl));
		char **env;

		target = json_object_get(req, CHAN_K_TARGET);
		if (method == NULL || strcmp(method, CHAN_METHOD_SPAWN) != 0)
			fn = preloaded_fn(json_string_value(json_object_get(
						  target, CHAN_K_MODULE)),
					  json_string_value(json_object_get(
						  target, CHAN_K_FUNCTION)));
		env = strv(json_object_get(req, CHAN_K_ENV));
		if (pl == NULL) {
			pid = -1;
			e = ENOMEM;
			stage = STAGE_SETUP;
		} else if (plan_build(pl, req, fds + 1, nfds - 1, fds[0],
				      NULL) >= 0) {
			pid = -1;
			e = EBADF;
			stage = STAGE_STDIO;
		} else {
			pid = fork();
			e = errno;
		}
		if (pid == 0) {
			tmpl_in_child = true;
			/* What the template did before is not this
			 * worker's to read. */
			stack_scrub();
			plan_announce(fds[0]);
			child_run(req, pl, false, fn, env);
		}
		arena_end();
		arena_scrub(pid > 0);
	}
	if (pid == -1) {
		ctl_send_failed(id, start_stage_name(stage), e);
		goto out;
	}
	bk->nchildren++;
	/* Ours and unreaped: the pid cannot have been reused. */
	pidfd = pidfd_open(pid, 0);
	ctl_send_forked(id, pid, pidfd);
	if (pidfd >= 0)
		close(pidfd);
	kid_add(id, pid);
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

/*
 * The pooled child of bk->pend[i] died before it took its request (it was
 * killed while idle): start the request again, from the pool or by fork.
 * Its exit is reaped as a stranger's.
 */
static void pending_retry(size_t i)
{
	struct pending q = bk->pend[i];

	bk->pend[i] = bk->pend[--bk->npend];
	if (q.pidfd >= 0)
		close(q.pidfd);
	close(q.pipe);
	log_debug("template: pooled child %ld died idle; starting %lld again",
		  (long)q.pid, (long long)q.id);
	tmpl_spawn(q.id, 0, q.line, q.len, q.fds, q.nfds);
	own_free(q.line, q.len);
}

/*
 * Read the acknowledgement of the pooled child of bk->pend[i]: taken, it
 * is the request's child (mpdd is told); gone without one, the request is
 * started again. Either way bk->pend[i] now holds another entry.
 */
static void pending_read(size_t i)
{
	struct pending *q = &bk->pend[i];
	char c = 0;
	ssize_t n;

	do
		n = read(q->pipe, &c, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1 || c != 't') {
		pending_retry(i);
		return;
	}
	ctl_send_forked(q->id, q->pid, q->pidfd);
	kid_add(q->id, q->pid);
	pending_release(q);
	if (q->pidfd >= 0)
		close(q->pidfd);
	close(q->pipe);
	bk->pend[i] = bk->pend[--bk->npend];
}

/*
 * Report every child that ended, then reap it: one wait for each SIGCHLD,
 * then more only while children are left, so that no wait fails with
 * ECHILD (and writes errno: a page fault after every fork). A child is
 * reaped only once mpdd has its exit: a template that dies in between
 * leaves a zombie, reparented to mpdd, which reaps it and learns the
 * same status.
 */
static void tmpl_reap(void)
{
	int status;
	pid_t pid;

	do {
		pid = child_peek(&status);
		if (pid <= 0)
			break;
		if (bk->nchildren > 0)
			bk->nchildren--;
		if (pool_keeper_is(pid)) {
			waitpid(pid, NULL, 0);
			pool_keeper_died(status);
			continue;
		}
		child_exited(pid, status);
		waitpid(pid, NULL, 0);
	} while (bk->nchildren > 0);
}

/* A child of ours or of the keeper ended (status, not yet reaped):
 * report it. */
void child_exited(pid_t pid, int status)
{
	if (pool_reaped(pid))
		return;
	/* A pooled child that may have taken its request: its
	 * acknowledgement comes first. */
	for (size_t i = 0; i < bk->npend; i++) {
		if (bk->pend[i].pid == pid) {
			pending_read(i);
			break;
		}
	}
	for (size_t i = 0; i < bk->nkids; i++) {
		if (bk->kids[i].pid != pid)
			continue;
		ctl_send_exited(bk->kids[i].id, pid, status);
		bk->kids[i] = bk->kids[--bk->nkids];
		break;
	}
}

/* Note which signals the template does not leave at their default, once
 * its dispositions are final (after the tmpl_preloaded modules' init). */
static void template_signals(void)
{
	struct sigaction sa;

	tmpl_nsigs = 0;
	for (int s = 1; s < NSIG; s++)
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			tmpl_sigs[tmpl_nsigs++] = s;
}

/* Load --preload PATH[:INIT] modules. Returns NULL, or why not (static). */
static const char *tmpl_preload(char **mods, int n, json_t *loaded)
{
	static char why[1024];

	for (int i = 0; i < n; i++) {
		char *path = strdup(mods[i]), *init = strrchr(path, ':');
		void *h;

		if (init != NULL)
			*init++ = '\0';
		h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
		if (h == NULL) {
			snprintf(why, sizeof(why), "preload %s: %s", path,
				 dlerror());
			free(path);
			return why;
		}
		if (init != NULL) {
			int (*fn)(void);
			int rc;

			dlerror();
			*(void **)&fn = dlsym(h, init);
			if (fn == NULL) {
				snprintf(why, sizeof(why),
					 "preload %s: init function %s: %s",
					 path, init, dlerror() ?: "NULL");
				free(path);
				return why;
			}
			rc = fn();
			if (rc != 0) {
				snprintf(why, sizeof(why),
					 "preload %s: init function %s "
					 "returned %d",
					 path, init, rc);
				free(path);
				return why;
			}
		}
		json_array_append_new(loaded, json_string(mods[i]));
		if (tmpl_preloaded == NULL) {
			tmpl_preloaded =
				calloc((size_t)n, sizeof(*tmpl_preloaded));
			preloaded_handle =
				calloc((size_t)n, sizeof(*preloaded_handle));
		}
		if (tmpl_preloaded != NULL && preloaded_handle != NULL) {
			preloaded_handle[tmpl_npreloaded] = h;
			tmpl_preloaded[tmpl_npreloaded++] = path; /* kept */
		} else {
			free(path);
		}
	}
	return NULL;
}

/* What mpdd may ask (channel.h), and who serves it. */
static const struct tmpl_request {
	const char *kind;
	void (*fn)(int64_t id, unsigned flags, const char *body, size_t len,
		   int *fds, int nfds);
} tmpl_requests[] = {
	{ CHAN_REQ_SPAWN, tmpl_spawn },
};

/* A decimal at *p, advancing it; -1 when there is none (or it is too
 * large). By hand: strtoll() would have errno written. */
static int64_t head_number(const char **p, const char *end)
{
	int64_t v = 0;
	const char *s = *p;

	while (s < end && *s >= '0' && *s <= '9' && v <= INT64_MAX / 10 - 9)
		v = v * 10 + (*s++ - '0');
	if (s == *p || s == end || *s != ' ')
		return -1;
	*p = s + 1;
	return v;
}

/*
 * Serve one request (line, len: its text; fds: the descriptors it
 * carried). The head is read here, by hand; the body is
 * parsed only by whoever starts the child.
 */
static void tmpl_request(const char *line, size_t len, int *fds, int nfds)
{
	const char *end = line + len, *p = memchr(line, ' ', len);
	const struct tmpl_request *r = NULL;
	int64_t id, flags;

	for (size_t i = 0;
	     p != NULL && i < sizeof(tmpl_requests) / sizeof(tmpl_requests[0]);
	     i++)
		if ((size_t)(p - line) == strlen(tmpl_requests[i].kind) &&
		    memcmp(line, tmpl_requests[i].kind, (size_t)(p - line)) ==
			    0)
			r = &tmpl_requests[i];
	if (r == NULL)
		fatalx("template: bad request from mpdd");
	p++;
	id = head_number(&p, end);
	flags = head_number(&p, end);
	if (id < 1 || flags < 0 || flags > UINT32_MAX)
		fatalx("template: bad request head from mpdd");
	r->fn(id, (unsigned)flags, p, (size_t)(end - p), fds, nfds);
}

/* Handle what mpdd sent. Returns false when mpdd has gone. */
static bool tmpl_read_ctl(struct mpd_framer *in, struct fdq *q)
{
	int fds[FDIO_MAX_FDS], nfds;
	ssize_t n = fdq_read(ctl, in, q, CTL_READ_CHUNK);
	char *line;
	size_t len;

	if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
		return false;
	for (;;) {
		enum mpd_frame_status st = mpd_framer_next(in, &line, &len);

		if (st == MPD_FRAME_NEED_MORE)
			return true;
		if (st == MPD_FRAME_TOO_LONG)
			fatalx("template: request over the message limit");
		nfds = fdq_take(q, in->consumed, fds, FDIO_MAX_FDS);
		tmpl_request(line, len, fds, nfds);
	}
}

int template_main(int argc, char **argv)
{
	/* Static, not on the stack: each page of stack the serving loop
	 * spans is one more fault after every fork. */
	static char *mods[64];
	int nmods = 0, level = LOG_LEVEL_INFO, sfd, nbefore;
	size_t pool_size = 0;
	json_t *loaded;
	const char *why;
	sigset_t chld;

	/* mpdd --template FD [--log-level L] [--pool N] [--preload M]... */
	ctl = atoi(argv[2]);
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--log-level") == 0)
			level = log_level_parse(argv[i + 1]);
		else if (strcmp(argv[i], "--pool") == 0)
			pool_size = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--preload") == 0 && nmods < 64)
			mods[nmods++] = argv[i + 1];
	}
	log_init(level < 0 ? LOG_LEVEL_INFO : level);
	log_set_ident("mpdd-template");
	bk = own_realloc(NULL, 0, sizeof(*bk));
	arena_init();
	loaded = json_array();
	prctl(PR_SET_NAME, "mpdd-template");
	fcntl(ctl, F_SETFD, FD_CLOEXEC);
	/* The fresh worker image is this image, whatever has become of the
	 * file it was loaded from. */
	tmpl_self_exe = "/proc/self/exe";

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);

	nbefore = objects_loaded();
	why = tmpl_preload(mods, nmods, loaded);
	if (why != NULL) {
		ctl_send(json_pack("{s:s, s:s}", CHAN_K_EV, CHAN_EV_INIT_FAILED,
				   CHAN_K_MESSAGE, why),
			 -1);
		exit(1);
	}
	ctl_send(json_pack("{s:s, s:o}", CHAN_K_EV, CHAN_EV_READY,
			   CHAN_K_PRELOADED, loaded),
		 -1);

	tmpl_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	template_signals();
	template_share_code(nbefore);
	template_pin();
	/* The request buffer is the template's alone, like its other
	 * bookkeeping (a child never reads it), and is only as large in
	 * memory as the pages the requests have used. */
	mpd_framer_init_buffer(&bk->in, CHAN_LINE_MAX,
			       own_realloc(NULL, 0,
					   CHAN_LINE_MAX + 1 + CTL_READ_CHUNK),
			       CHAN_LINE_MAX + 1 + CTL_READ_CHUNK);
	fdq_init(&bk->q, FDIO_MAX_FDS);
	pool_init(pool_size);
	for (;;) {
		size_t np = bk->npend;

		if (np + 3 > bk->cap_pfd) {
			size_t cap = (np + 3) * 2;

			bk->pfd = own_realloc(bk->pfd,
					      bk->cap_pfd * sizeof(*bk->pfd),
					      cap * sizeof(*bk->pfd));
			bk->cap_pfd = cap;
		}
		bk->pfd[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		bk->pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (size_t i = 0; i < np; i++)
			bk->pfd[i + 2] =
				(struct pollfd){ .fd = bk->pend[i].pipe,
						 .events = POLLIN };
		bk->pfd[np + 2] = (struct pollfd){ .fd = pool_keeper_fd(),
						   .events = POLLIN };
		pool_ask();
		if (poll(bk->pfd, np + 3, -1) == -1 && errno != EINTR)
			fatal("template: poll");
		/* Set-up reports first, then exits, then new requests. */
		for (size_t i = np; i-- > 0;) {
			if (bk->pfd[i + 2].revents == 0)
				continue;
			for (size_t k = 0; k < bk->npend; k++)
				if (bk->pend[k].pipe == bk->pfd[i + 2].fd) {
					pending_read(k);
					break;
				}
		}
		if (bk->pfd[1].revents != 0) {
			struct signalfd_siginfo si;

			/* SIGCHLD is not queued: one read takes it. */
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				tmpl_reap();
		}
		if (bk->pfd[np + 2].revents != 0)
			pool_keeper_read();
		if (bk->pfd[0].revents != 0 &&
		    !tmpl_read_ctl(&bk->in, &bk->q)) {
			/* mpdd is gone: our children live on without us. */
			exit(0);
		}
	}
}
