/*
 * template.c - the template (forkserver) and the fresh worker image.
 *
 * `mpdd --template FD` is the process mpdd clones workers from: a small,
 * single-threaded image with no event loop and no daemon state. It loads
 * the --preload modules once (calling their init functions), reports
 * ready, then serves spawn requests from mpdd on FD: fork, set the child
 * up, exec or call the target.
 *
 * The child tells the template how its set-up went over a close-on-exec
 * pipe: EOF means the program was exec'd (or, for a function, the symbol
 * was found and the call is next); a report carries the stage and errno or
 * dlerror text. The template watches these pipes in its poll loop, so a
 * slow exec never delays the next spawn. It reaps its children through a
 * signalfd and reports each exit status to mpdd.
 *
 * The pool (--pool N, after Android's USAP pool): the template keeps N
 * children forked ahead of time, each blocked on its own socket. A spawn
 * request is handed to one of them, with its "pass" descriptors, so the
 * fork is off the request path. Replacements are forked by a second
 * thread, the refiller, so that the main thread never waits on a fork
 * while a start or an exit is to be reported; its children are the
 * template's like any other, and nothing in the template takes a lock a
 * child could inherit held (the log writes with write(2)). A pooled child
 * does the set-up every worker needs (signals, process group) while idle,
 * dies with the template (PR_SET_PDEATHSIG) until it takes a request, and
 * acknowledges the request with a byte on its report pipe; until then the
 * template keeps the request, to start it anew should the child have been
 * killed. With the pool empty (a burst), the main thread forks as before.
 *
 * `mpdd --worker MODULE FUNCTION` is the fresh image of the "spawn" start
 * method for function targets: exec'd by a child that is already set up,
 * it reads the args from fd 4, reports on fd 3 like the clone does, and
 * calls the function.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpdd.h"
#include "worker.h"

#define CHILD_FAIL_EXIT	 127
#define CTL_READ_CHUNK	 (64 * 1024)
#define WORKER_REPORT_FD 3 /* set-up report pipe, in the worker image */
#define WORKER_ARGS_FD	 4 /* args JSON, in the worker image */
/* Longest request from mpdd: args and environment of one spawn. */
#define TEMPLATE_CTL_MAX (64 * 1024 * 1024)

/* What a child that could not start says, over its report pipe. */
enum stage {
	STAGE_FORK = 0,
	STAGE_STDIO,
	STAGE_CWD,
	STAGE_EXEC,
	STAGE_DLOPEN,
	STAGE_DLSYM,
	STAGE_SETUP,
};

static const char *const stage_names[] = {
	[STAGE_FORK] = "fork",	   [STAGE_STDIO] = "stdio",
	[STAGE_CWD] = "cwd",	   [STAGE_EXEC] = "exec",
	[STAGE_DLOPEN] = "dlopen", [STAGE_DLSYM] = "dlsym",
	[STAGE_SETUP] = "setup",
};

struct report {
	int32_t stage;
	int32_t err; /* errno, or 0 for dlopen/dlsym */
	char message[488];
};

/* A child whose set-up has not reported yet. */
struct pending {
	int64_t id;
	pid_t pid;
	int pidfd;
	int pipe;
	struct report rep;
	size_t got;
	/* A pooled child acknowledges the request with one byte on its
	 * report pipe. Until then the template keeps the request, to hand
	 * it on should the child have died (killed while idle). */
	bool pooled, taken;
	char *line;
	size_t len;
	int fds[MPD_MAX_FDS_PER_MESSAGE];
	int nfds;
};

/* A child that started, until it is reaped. */
struct child {
	int64_t id;
	pid_t pid;
};

/* A pooled child, forked ahead and waiting for a request on sock. */
struct slot {
	pid_t pid;
	int pidfd;
	int sock; /* request (and "pass" fds) go here */
	int report; /* its set-up report pipe */
};

/* In a pooled child: its request socket and report pipe. */
#define POOL_SOCK_FD   3
#define POOL_REPORT_FD 4

static int ctl = -1;
static struct slot *pool;
static size_t npool, pool_size;
static bool pool_stalled; /* a refill failed: wait for the next request */
/* The refiller thread: it reads a byte per child wanted on refill_in and
 * writes the struct slot of each child it forked to refill_out. */
static int refill_ask = -1, refill_got = -1;
static int refill_in = -1, refill_out = -1;
static size_t nasked; /* children asked of the refiller, not yet back */
static char *self_exe;
static struct pending *pend;
static size_t npend, cap_pend;
static struct child *kids;
static size_t nkids, cap_kids;

/* Write one message to mpdd (blocking), with fd attached when >= 0. */
static void ctl_send(json_t *msg, int fd)
{
	size_t len, off = 0;
	char *line = mpd_rpc_encode(msg, &len);

	if (line == NULL)
		fatalx("template: out of memory");
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
	free(line);
	json_decref(msg);
}

static void child_fail(int report_fd, enum stage stage, int err,
		       const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* In the child: report a failed set-up and die. */
static void child_fail(int report_fd, enum stage stage, int err,
		       const char *fmt, ...)
{
	struct report rep = { .stage = stage, .err = err };
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

/* NULL-terminated array of the strings in a JSON array (borrowed). */
static char **strv(json_t *a)
{
	size_t n = json_array_size(a);
	char **v = calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(a, i));
	return v;
}

/*
 * What every child does first, whatever it runs: a clean slate for
 * signals (the template blocks SIGCHLD and ignores SIGPIPE) and a process
 * group of its own. A pooled child does it ahead, while idle.
 */
static void child_prepare(int report_fd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (setpgid(0, 0) == -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setpgid: %s",
			   strerror(errno));
}

/*
 * The child, after fork: set up the process and run the target. Never
 * returns. fds[] holds the "pass" descriptors in stream order; prepared
 * says child_prepare() has run.
 */
static void __attribute__((noreturn))
child_run(json_t *req, const int *fds, int nfds, int report_fd, bool prepared)
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

	for (int i = 0; i < 3; i++)
		src[i] = child_stdio_source(report_fd, i,
					    json_array_get(stdio, i), fds, nfds,
					    &passed);
	for (int i = 0; i < 3; i++)
		if (src[i] >= 0 && dup2(src[i], i) == -1)
			child_fail(report_fd, STAGE_STDIO, errno, "dup2: %s",
				   strerror(errno));
	if (cwd != NULL && chdir(cwd) == -1)
		child_fail(report_fd, STAGE_CWD, errno, "%s: %s", cwd,
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
	environ = strv(json_object_get(req, "env"));
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
		execv(self_exe, argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s", self_exe,
			   strerror(errno));
	}
	worker_call(module, function, json_object_get(req, "args"), report_fd);
}

/*
 * In a worker: load module, find function, say so on report_fd, call it
 * and exit with its return value. Names the process after the worker.
 */
void worker_call(const char *module, const char *function, json_t *args,
		 int report_fd)
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
	int (*fn)(struct mpd_worker *, const json_t *);
	void *h;
	int rc;

	h = dlopen(module, RTLD_NOW);
	if (h == NULL)
		child_fail(report_fd, STAGE_DLOPEN, 0, "%s", dlerror());
	dlerror();
	*(void **)&fn = dlsym(h, function);
	if (fn == NULL)
		child_fail(report_fd, STAGE_DLSYM, 0, "%s: %s", function,
			   dlerror() ?: "symbol is NULL");
	if (w.name != NULL)
		prctl(PR_SET_NAME, w.name);
	close(report_fd);
	rc = fn(&w, args);
	/* As Python's multiprocessing does: flush stdio, then _exit. The
	 * template's atexit handlers and state are not the worker's. */
	fflush(NULL);
	_exit(rc);
}

static struct pending *pending_add(int64_t id, pid_t pid, int pidfd, int pipe)
{
	if (npend == cap_pend) {
		cap_pend = cap_pend ? cap_pend * 2 : 16;
		pend = realloc(pend, cap_pend * sizeof(*pend));
		if (pend == NULL)
			fatalx("template: out of memory");
	}
	pend[npend] = (struct pending){
		.id = id,
		.pid = pid,
		.pidfd = pidfd,
		.pipe = pipe,
	};
	return &pend[npend++];
}

/* Let go of the request a pooled child has taken. */
static void pending_release(struct pending *q)
{
	free(q->line);
	q->line = NULL;
	for (int i = 0; i < q->nfds; i++)
		close(q->fds[i]);
	q->nfds = 0;
}

static void slot_close(struct slot *sl)
{
	if (sl->pidfd >= 0)
		close(sl->pidfd);
	close(sl->sock);
	close(sl->report);
}

/*
 * Write all of buf to a pooled child's socket, fds with the first byte.
 * The socket blocks: the child is reading. Returns 0, or -1 when the
 * child is gone.
 */
static int slot_write(int sock, const char *buf, size_t len, const int *fds,
		      int nfds)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = fdio_send(sock, buf + off, len - off,
				      off == 0 ? fds : NULL,
				      off == 0 ? nfds : 0);

		if (n == -1 && errno == EAGAIN) {
			struct pollfd p = { .fd = sock, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n == -1)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * Hand the request (line, len: its JSON text) to a pooled child. Returns
 * true when one took it; false when the pool is empty (or every child in
 * it had died), and the caller forks.
 */
static bool pool_take(int64_t id, const char *line, size_t len, int *fds,
		      int nfds)
{
	uint64_t head = len;

	pool_stalled = false;
	while (npool > 0) {
		struct slot sl = pool[--npool];
		char *buf = malloc(sizeof(head) + len);
		int r = -1;

		if (buf == NULL)
			fatalx("template: out of memory");
		memcpy(buf, &head, sizeof(head));
		memcpy(buf + sizeof(head), line, len);
		if (sl.pidfd >= 0)
			r = slot_write(sl.sock, buf, sizeof(head) + len, fds,
				       nfds);
		free(buf);
		close(sl.sock);
		if (r == 0) {
			struct pending *q =
				pending_add(id, sl.pid, sl.pidfd, sl.report);

			/* Kept until the child says it has the request. */
			q->pooled = true;
			q->line = malloc(len);
			if (q->line == NULL)
				fatalx("template: out of memory");
			memcpy(q->line, line, len);
			q->len = len;
			memcpy(q->fds, fds, sizeof(int) * (size_t)nfds);
			q->nfds = nfds;
			return true;
		}
		/* Gone (its exit is reaped as a stranger's): next one. */
		if (sl.pidfd >= 0)
			close(sl.pidfd);
		close(sl.report);
	}
	return false;
}

/*
 * In a pooled child: wait for a request on POOL_SOCK_FD and run it. Never
 * returns; exits quietly when the template closes the socket.
 */
static void __attribute__((noreturn)) pool_child(pid_t tmpl_pid)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MPD_MAX_FDS_PER_MESSAGE)];
		struct cmsghdr align;
	} cmsg;
	uint64_t len;
	struct iovec iov = { .iov_base = &len, .iov_len = sizeof(len) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cmsg.buf,
			     .msg_controllen = sizeof(cmsg.buf) };
	int fds[MPD_MAX_FDS_PER_MESSAGE], nfds = 0;
	size_t got = 0;
	ssize_t n;
	char *text;
	json_t *req;

	/* Die with the template while idle: nobody else could use us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tmpl_pid)
		_exit(0);
	prctl(PR_SET_NAME, "mpdd-pool");
	/* What every worker does first, done while nobody waits. */
	child_prepare(POOL_REPORT_FD);
	do
		n = recvmsg(POOL_SOCK_FD, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(len) || len > TEMPLATE_CTL_MAX)
		_exit(0);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
	}
	/* A worker now: it outlives the template, as a forked one does. */
	prctl(PR_SET_PDEATHSIG, 0);
	text = malloc(len + 1);
	if (text == NULL)
		child_fail(POOL_REPORT_FD, STAGE_SETUP, ENOMEM,
			   "out of memory");
	while (got < len) {
		n = read(POOL_SOCK_FD, text + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			child_fail(POOL_REPORT_FD, STAGE_SETUP, EPIPE,
				   "the request was cut short");
		got += (size_t)n;
	}
	/* Taken: the template may forget the request. */
	if (write(POOL_REPORT_FD, "t", 1) != 1)
		_exit(CHILD_FAIL_EXIT);
	req = json_loadb(text, len, 0, NULL);
	free(text);
	if (req == NULL)
		child_fail(POOL_REPORT_FD, STAGE_SETUP, EINVAL,
			   "the request did not parse");
	child_run(req, fds, nfds, POOL_REPORT_FD, true);
}

/*
 * Fork one child for the pool into *sl; sl->pid is -1 (errno set) when
 * that fails. Runs in the refiller thread: a fork copies the page tables
 * of the whole template, which takes long enough (milliseconds on some
 * virtual machines) that the main thread must not wait for it while a
 * worker's start or exit is to be reported. The child is the template's
 * (the process's) like any other, reaped by the main thread.
 */
static void slot_fork(struct slot *sl)
{
	int sv[2], p[2];
	pid_t self = getpid(), pid;

	sl->pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return;
	if (pipe2(p, O_CLOEXEC) == -1) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Keep stdio, the socket and the pipe; nothing else of the
		 * template's (other slots, the channel to mpdd). */
		int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
		int r = fcntl(p[1], F_DUPFD_CLOEXEC, 64);

		if (s == -1 || r == -1 ||
		    dup3(s, POOL_SOCK_FD, O_CLOEXEC) == -1 ||
		    dup3(r, POOL_REPORT_FD, O_CLOEXEC) == -1)
			_exit(CHILD_FAIL_EXIT);
		close_range(POOL_REPORT_FD + 1, ~0U, 0);
		pool_child(self);
	}
	close(sv[1]);
	close(p[1]);
	if (pid == -1) {
		int e = errno;

		close(sv[0]);
		close(p[0]);
		errno = e;
		return;
	}
	*sl = (struct slot){
		.pid = pid,
		.pidfd = pidfd_open(pid, 0),
		.sock = sv[0],
		.report = p[0],
	};
}

static void *refiller(void *arg)
{
	char c;
	ssize_t n;

	(void)arg;
	while ((n = read(refill_in, &c, 1)) != 0) {
		struct slot sl;
		int e;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		slot_fork(&sl);
		e = errno;
		if (sl.pid == -1)
			sl.pidfd = e; /* the reason, for the main thread */
		if (write(refill_out, &sl, sizeof(sl)) != sizeof(sl))
			break;
	}
	return NULL;
}

/* Start the refiller thread (pool_size > 0). */
static void refill_init(void)
{
	int ask[2], got[2];
	pthread_t t;
	sigset_t all, old;
	int e;

	if (pipe2(ask, O_CLOEXEC) == -1 || pipe2(got, O_CLOEXEC) == -1)
		fatal("template: pipe");
	/* No signal for the thread: SIGCHLD stays the signalfd's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	refill_in = ask[0];
	refill_out = got[1];
	e = pthread_create(&t, NULL, refiller, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		/* A thread counts against RLIMIT_NPROC, say: go without. */
		log_warnx("template: no pool, cannot start its thread: %s",
			  strerror(e));
		for (int i = 0; i < 2; i++) {
			close(ask[i]);
			close(got[i]);
		}
		refill_in = refill_out = -1;
		return;
	}
	pthread_detach(t);
	refill_ask = ask[1];
	refill_got = got[0];
	fcntl(refill_got, F_SETFL, O_NONBLOCK);
}

/* Ask the refiller for what the pool lacks. */
static void pool_ask(void)
{
	while (refill_ask >= 0 && !pool_stalled && npool + nasked < pool_size) {
		if (write(refill_ask, "f", 1) != 1)
			fatal("template: cannot reach the refiller");
		nasked++;
	}
}

/* Take the children the refiller forked into the pool. */
static void pool_collect(void)
{
	struct slot sl;

	while (nasked > 0 && read(refill_got, &sl, sizeof(sl)) == sizeof(sl)) {
		nasked--;
		if (sl.pid == -1) {
			log_warnx("template: cannot refill the pool: %s",
				  strerror(sl.pidfd));
			pool_stalled = true;
			continue;
		}
		pool[npool++] = sl;
	}
}

/* A pooled child that died idle (killed from outside): forget it. */
static bool pool_reaped(pid_t pid)
{
	for (size_t i = 0; i < npool; i++) {
		if (pool[i].pid != pid)
			continue;
		slot_close(&pool[i]);
		pool[i] = pool[--npool];
		return true;
	}
	return false;
}

/* Handle one spawn request from mpdd (line, len: its text); fds are its
 * "pass" descriptors. */
static void tmpl_spawn(json_t *req, const char *line, size_t len, int *fds,
		       int nfds)
{
	int64_t id = json_integer_value(json_object_get(req, "id"));
	int p[2];
	pid_t pid;

	if (pool_take(id, line, len, fds, nfds))
		return; /* the pending entry has the fds now */
	if (pipe2(p, O_CLOEXEC) == -1) {
		ctl_send(json_pack("{s:s, s:I, s:s, s:i, s:s}", "ev", "failed",
				   "id", (json_int_t)id, "stage", "fork",
				   "errno", errno, "message", strerror(errno)),
			 -1);
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		child_run(req, fds, nfds, p[1], false);
	}
	close(p[1]);
	if (pid == -1) {
		int e = errno;

		close(p[0]);
		ctl_send(json_pack("{s:s, s:I, s:s, s:i, s:s}", "ev", "failed",
				   "id", (json_int_t)id, "stage", "fork",
				   "errno", e, "message", strerror(e)),
			 -1);
		goto out;
	}
	pending_add(id, pid, pidfd_open(pid, 0), p[0]);
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

static void kid_add(int64_t id, pid_t pid)
{
	if (nkids == cap_kids) {
		cap_kids = cap_kids ? cap_kids * 2 : 64;
		kids = realloc(kids, cap_kids * sizeof(*kids));
		if (kids == NULL)
			fatalx("template: out of memory");
	}
	kids[nkids++] = (struct child){ id, pid };
}

/* The report pipe of pend[i] is at EOF: tell mpdd how the start went. */
static void pending_resolve(size_t i)
{
	struct pending *q = &pend[i];

	if (q->got == 0 && q->pidfd >= 0) {
		ctl_send(json_pack("{s:s, s:I, s:i}", "ev", "spawned", "id",
				   (json_int_t)q->id, "pid", q->pid),
			 q->pidfd);
		kid_add(q->id, q->pid);
	} else {
		int stage = q->got == sizeof(q->rep) ? q->rep.stage :
						       STAGE_SETUP;
		const char *msg = q->got == sizeof(q->rep) ?
					  q->rep.message :
					  "the child exited during its set-up";

		if (q->pidfd < 0) {
			stage = STAGE_SETUP;
			msg = "pidfd_open failed";
		}
		if (stage < 0 || stage > STAGE_SETUP)
			stage = STAGE_SETUP;
		q->rep.message[sizeof(q->rep.message) - 1] = '\0';
		ctl_send(json_pack("{s:s, s:I, s:s, s:o, s:s}", "ev", "failed",
				   "id", (json_int_t)q->id, "stage",
				   stage_names[stage], "errno",
				   q->got == sizeof(q->rep) && q->rep.err > 0 ?
					   json_integer(q->rep.err) :
					   json_null(),
				   "message", msg),
			 -1);
	}
	if (q->pidfd >= 0)
		close(q->pidfd);
	close(q->pipe);
	pend[i] = pend[--npend];
}

/*
 * The pooled child of pend[i] died before it took its request (it was
 * killed while idle): start the request again, from the pool or by fork.
 * Its exit is reaped as a stranger's.
 */
static void pending_retry(size_t i)
{
	struct pending q = pend[i];
	json_t *req;

	pend[i] = pend[--npend];
	if (q.pidfd >= 0)
		close(q.pidfd);
	close(q.pipe);
	req = json_loadb(q.line, q.len, 0, NULL);
	if (req == NULL)
		fatalx("template: cannot parse a request it parsed before");
	log_debug("template: pooled child %ld died idle; starting %lld again",
		  (long)q.pid, (long long)q.id);
	tmpl_spawn(req, q.line, q.len, q.fds, q.nfds);
	json_decref(req);
	free(q.line);
}

/* Read the report pipe of pend[i]; resolve at EOF. Returns true if
 * resolved (pend[i] now holds another entry). */
static bool pending_read(size_t i)
{
	struct pending *q = &pend[i];
	char *dst = (char *)&q->rep + q->got;
	size_t room = q->got < sizeof(q->rep) ? sizeof(q->rep) - q->got : 0;
	char sink[64];
	ssize_t n;

	if (q->pooled && !q->taken) {
		do
			n = read(q->pipe, sink, 1);
		while (n == -1 && errno == EINTR);
		if (n == 1) {
			q->taken = true;
			pending_release(q);
			return false;
		}
		pending_retry(i);
		return true;
	}
	do
		n = room > 0 ? read(q->pipe, dst, room) :
			       read(q->pipe, sink, sizeof(sink));
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		if (room > 0)
			q->got += (size_t)n;
		return false;
	}
	pending_resolve(i);
	return true;
}

/* Reap every child that ended and report it. */
static void tmpl_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pool_reaped(pid))
			continue;
		/* A child still in set-up: its report comes first. */
		for (size_t i = 0; i < npend; i++) {
			if (pend[i].pid == pid) {
				while (!pending_read(i))
					;
				break;
			}
		}
		for (size_t i = 0; i < nkids; i++) {
			if (kids[i].pid != pid)
				continue;
			ctl_send(json_pack("{s:s, s:I, s:i, s:i}", "ev",
					   "exited", "id",
					   (json_int_t)kids[i].id, "pid", pid,
					   "status", status),
				 -1);
			kids[i] = kids[--nkids];
			break;
		}
	}
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
		free(path);
	}
	return NULL;
}

/* Handle what mpdd sent. Returns false when mpdd has gone. */
static bool tmpl_read_ctl(struct mpd_framer *in, struct fdq *q)
{
	int fds[MPD_MAX_FDS_PER_MESSAGE], nfds;
	ssize_t n = fdq_read(ctl, in, q, CTL_READ_CHUNK);
	char *line;
	size_t len;

	if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
		return false;
	for (;;) {
		enum mpd_frame_status st = mpd_framer_next(in, &line, &len);
		json_t *req;

		if (st == MPD_FRAME_NEED_MORE)
			return true;
		if (st == MPD_FRAME_TOO_LONG)
			fatalx("template: request over the message limit");
		nfds = fdq_take(q, in->consumed, fds, MPD_MAX_FDS_PER_MESSAGE);
		req = json_loadb(line, len, 0, NULL);
		if (req == NULL ||
		    strcmp(json_string_value(json_object_get(req, "op")) ?: "",
			   "spawn") != 0)
			fatalx("template: bad request from mpdd");
		tmpl_spawn(req, line, len, fds, nfds);
		json_decref(req);
	}
}

int template_main(int argc, char **argv)
{
	struct mpd_framer in;
	struct fdq q;
	char *mods[64];
	int nmods = 0, level = LOG_LEVEL_INFO, sfd;
	json_t *loaded = json_array();
	const char *why;
	sigset_t chld;
	char exe[4096];
	ssize_t n;

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
	prctl(PR_SET_NAME, "mpdd-template");
	fcntl(ctl, F_SETFD, FD_CLOEXEC);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	self_exe = exe;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1)
		fatal("signalfd");
	signal(SIGPIPE, SIG_IGN);

	why = tmpl_preload(mods, nmods, loaded);
	if (why != NULL) {
		ctl_send(json_pack("{s:s, s:s}", "ev", "init_failed", "message",
				   why),
			 -1);
		exit(1);
	}
	ctl_send(json_pack("{s:s, s:o}", "ev", "ready", "preloaded", loaded),
		 -1);

	mpd_framer_init(&in, TEMPLATE_CTL_MAX);
	fdq_init(&q);
	if (pool_size > MPD_MAX_POOL)
		pool_size = MPD_MAX_POOL;
	pool = calloc(pool_size + 1, sizeof(*pool));
	if (pool == NULL)
		fatalx("template: out of memory");
	if (pool_size > 0)
		refill_init();
	for (;;) {
		size_t np = npend;
		struct pollfd *pfd = calloc(np + 3, sizeof(*pfd));

		if (pfd == NULL)
			fatalx("template: out of memory");
		pfd[0] = (struct pollfd){ .fd = ctl, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (size_t i = 0; i < np; i++)
			pfd[i + 2] = (struct pollfd){ .fd = pend[i].pipe,
						      .events = POLLIN };
		pfd[np + 2] =
			(struct pollfd){ .fd = refill_got, .events = POLLIN };
		pool_ask();
		if (poll(pfd, np + 3, -1) == -1 && errno != EINTR)
			fatal("template: poll");
		/* Set-up reports first, then exits, then new requests. */
		for (size_t i = np; i-- > 0;) {
			if (pfd[i + 2].revents == 0)
				continue;
			for (size_t k = 0; k < npend; k++)
				if (pend[k].pipe == pfd[i + 2].fd) {
					pending_read(k);
					break;
				}
		}
		if (pfd[1].revents != 0) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			tmpl_reap();
		}
		if (pfd[np + 2].revents != 0)
			pool_collect();
		if (pfd[0].revents != 0 && !tmpl_read_ctl(&in, &q)) {
			/* mpdd is gone: our children live on without us. */
			exit(0);
		}
		free(pfd);
	}
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
