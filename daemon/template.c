/*
 * template.c - the template (forkserver) and the fresh worker image.
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
 * `mpdd --worker MODULE FUNCTION` is the fresh image of the "spawn" start
 * method for function targets: exec'd by a child that is already set up,
 * it reads the args from fd 4, reports on fd 3 like the clone does, and
 * calls the function.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <link.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "template/template.h"
#include "worker.h"

#define CHILD_FAIL_EXIT	 127
#define CTL_READ_CHUNK	 (64 * 1024)
#define WORKER_REPORT_FD 3 /* set-up report pipe, in the worker image */
#define WORKER_ARGS_FD	 4 /* args JSON, in the worker image */

/*
 * A request handed to a pooled child that has not taken it yet. The
 * child acknowledges it with one byte on its acknowledgement pipe; until
 * then the template keeps the request (and its descriptors, the start
 * report pipe first), to hand it on should the child have died (killed
 * while idle).
 */
struct pending {
	int64_t id;
	pid_t pid;
	int pidfd;
	int pipe;
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

typedef int worker_fn(struct mpd_worker *, const json_t *);
static void worker_run(worker_fn *fn, json_t *args, int report_fd)
	__attribute__((noreturn));

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
static int devnull = -1; /* /dev/null, for "null" stdio without an open */
/* The CPUs the daemon may use; the template itself keeps to one of them
 * (template_pin()), and gives its children the whole set back. */
static cpu_set_t cpus_all;
static bool pinned;
static struct launch_env launch; /* for program targets (launch.c) */

/* The signals whose disposition is not the default in the template (it
 * ignores SIGPIPE; a preloaded module's init may catch some): the only
 * ones a child must reset, one system call each (template_signals()). */
static int sig_set[NSIG], nsig_set;
/* The --preload paths (without ":INIT"), as a function target names one. */
static char **preloaded;
static void **preloaded_handle; /* dlopen()'s, for each */
static int npreloaded;
static struct slot *pool;
static size_t npool, pool_size;
static bool pool_stalled; /* a refill failed: wait for the next request */
/* The keeper: a copy of the template that forks the pool (see
 * keeper_main()), over a SOCK_SEQPACKET pair. */
static int keeper = -1;
static pid_t keeper_pid = -1;
static struct timespec keeper_started;
static size_t nasked; /* children asked of the keeper, not yet back */

/* What the keeper tells the template. */
enum { KM_SLOT, KM_FAIL, KM_EXIT };
struct kmsg {
	int32_t kind;
	int32_t pid; /* KM_SLOT, KM_EXIT */
	int32_t value; /* KM_FAIL: errno; KM_EXIT: wait status */
};
static char *self_exe;
/*
 * The template's own state, written on every start, in memory no child
 * gets (own_realloc()): after a fork, writing a page the child shares is
 * a copy-on-write fault, each about 20 us in a virtual machine; writing
 * this is none. Children, the keeper included, never touch it.
 */
struct book {
	struct pending *pend;
	size_t npend, cap_pend;
	struct child *kids;
	size_t nkids, cap_kids;
	struct pollfd *pfd;
	size_t cap_pfd;
	size_t nchildren; /* forked or launched, not yet reaped */
	struct mpd_framer in;
	struct fdq q;
	/* A failure report on its way to mpdd: it quotes the request. */
	char out[4096];
	/* The functions of preloaded modules found so far (preloaded_fn()). */
	struct {
		const char *module, *function;
		worker_fn *fn;
	} fns[64];
	size_t nfns;
	struct {
		size_t used;
		bool open;
		void **spill;
		size_t nspill, cap_spill;
	} arena;
};
static struct book *bk;
/* Set first thing in every forked child: the book is not there. */
static bool in_child;

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
static void ctl_send_forked(int64_t id, pid_t pid, int pidfd)
{
	char buf[96], *p = buf;

	p = put_str(p, "{\"" CHAN_K_EV "\":\"" CHAN_EV_FORKED "\",\"" CHAN_K_ID
		       "\":");
	p = put_int(p, id);
	p = put_str(p, ",\"" CHAN_K_PID "\":");
	p = put_int(p, pid);
	p = put_str(p, "}\n");
	ctl_send_text(buf, (size_t)(p - buf), pidfd);
}

static void ctl_send_exited(int64_t id, pid_t pid, int status)
{
	char buf[128], *p = buf;

	p = put_str(p, "{\"" CHAN_K_EV "\":\"" CHAN_EV_EXITED "\",\"" CHAN_K_ID
		       "\":");
	p = put_int(p, id);
	p = put_str(p, ",\"" CHAN_K_PID "\":");
	p = put_int(p, pid);
	p = put_str(p, ",\"" CHAN_K_STATUS "\":");
	p = put_int(p, status);
	p = put_str(p, "}\n");
	ctl_send_text(buf, (size_t)(p - buf), -1);
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

static void child_fail(int report_fd, enum start_stage stage, int err,
		       const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/*
 * In every child, first of all: write its pid on the start report pipe,
 * so that mpdd, which holds the read end, knows the child whatever
 * happens to the template from now on. Dies quietly when it cannot: then
 * nothing ran.
 */
static void child_announce(int report_fd)
{
	int32_t pid = (int32_t)getpid();

	if (write(report_fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(CHILD_FAIL_EXIT);
}

/* In the child: report a failed set-up and die. */
static void child_fail(int report_fd, enum start_stage stage, int err,
		       const char *fmt, ...)
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
	if (s != NULL && devnull >= 0)
		return devnull; /* "null" */
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
 * After each fork, every page the template writes is a copy-on-write
 * fault (while the child lives; a trap for a page the child already let
 * go), each about 20 us in a virtual machine, where a bare fork and exit
 * take 800. The per-start path therefore keeps its writes off the pages
 * a child shares:
 *
 * - The template's bookkeeping (struct book: pending starts, children,
 *   the poll set, the request buffer, the arena's own counters) lives in
 *   memory no child gets (MADV_DONTFORK, own_realloc()).
 * - The request arena, which the child does get: between arena_begin()
 *   and arena_end(), jansson (and strv()) allocate from one bump region,
 *   which each request's tree fills from its start, where malloc()
 *   spread the tree, the heap's bookkeeping and the thread's cache over
 *   half a dozen pages. Nothing in it is freed one by one: the tree is
 *   dropped whole at arena_end() (never json_decref'd), and what did not
 *   fit, malloc'd instead, is freed then. After each fork the template
 *   lets go of the pages its child took (arena_scrub()): the next
 *   request writes fresh pages, not copies.
 * - No stdio on the way (its formatting takes pages of stack), no errno
 *   set by a call that fails as expected, and no rseq area for the
 *   kernel to write (the template runs with glibc.pthread.rseq=0).
 */
#define ARENA_SIZE (256 * 1024)
static char *arena_base; /* ARENA_SIZE bytes, mapped once */

/* Free p (malloc'd) after zeroing it: what the template frees may have
 * held a request, and its heap is every later child's. */
static void scrub_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/*
 * The stack below the current frame, in a child just forked (or the
 * keeper): zeroed, for it holds what the template did before, requests
 * of other users among them. The bytes down to the first page boundary at
 * least STACK_ROOM below are written over (stack_burn()), and every page
 * below that, down STACK_SCRUB_SPAN (more than the template's deepest
 * use: the parser nests 2048 deep), is let go (MADV_DONTNEED): the child
 * gets zero pages as it grows down again, a fault each where it would
 * have taken one to copy the template's. Below a stack there is only its
 * guard gap, whatever the span reaches.
 */
#define STACK_ROOM	 1024
#define STACK_SCRUB_SPAN (8UL * 1024 * 1024)

static void __attribute__((noinline, no_sanitize_address)) stack_burn(size_t n)
{
	char buf[n];

	explicit_bzero(buf, n);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void __attribute__((noinline)) stack_scrub(void)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);
	uintptr_t hi = (top - STACK_ROOM) & ~(page - 1);
	uintptr_t lo = hi > STACK_SCRUB_SPAN ? hi - STACK_SCRUB_SPAN : page;

	/* From below this frame down past hi (this frame is not 1 KiB). */
	stack_burn(top - hi);
	/* The part mapped is let go; the rest (ENOMEM) is not there. */
	madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* jansson's allocator in the template, for good (so that no start
 * writes jansson's own data): the arena while it is open, else malloc. */
static void *arena_alloc(size_t size)
{
	size_t n = (size + 15) & ~(size_t)15;
	void *p;

	if (in_child || !bk->arena.open)
		return malloc(size);
	if (n >= size && ARENA_SIZE - bk->arena.used >= n) {
		p = arena_base + bk->arena.used;
		bk->arena.used += n;
		return p;
	}
	if (bk->arena.nspill == bk->arena.cap_spill) {
		size_t cap = bk->arena.cap_spill ? bk->arena.cap_spill * 2 : 64;
		void **v = realloc(bk->arena.spill, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		bk->arena.spill = v;
		bk->arena.cap_spill = cap;
	}
	p = malloc(size);
	if (p != NULL)
		bk->arena.spill[bk->arena.nspill++] = p;
	return p;
}

static void arena_free(void *p)
{
	char *c = p;

	/* The arena's, and what spilled from it, go at arena_end(). */
	if (arena_base != NULL && c >= arena_base &&
	    c < arena_base + ARENA_SIZE)
		return;
	for (size_t i = 0; !in_child && bk->arena.open && i < bk->arena.nspill;
	     i++)
		if (bk->arena.spill[i] == p)
			return;
	if (in_child)
		free(p);
	else
		scrub_free(p);
}

static void arena_begin(void)
{
	bk->arena.used = 0;
	bk->arena.open = true;
}

/* Drop everything allocated since arena_begin(). */
static void arena_end(void)
{
	bk->arena.open = false;
	for (size_t i = 0; i < bk->arena.nspill; i++)
		scrub_free(bk->arena.spill[i]);
	bk->arena.nspill = 0;
}

/*
 * After each request, whatever started it: no byte of it stays in the
 * arena, which every forked child gets (the arena is all zeros outside a
 * request). After a fork (shared: a child has the pages too) the template
 * lets go of the pages used, so that the next request fills fresh ones
 * instead of copying them; else (after a program's launch, whose child
 * has copies of what it needs, or a failed start) it zeroes the bytes
 * used, in pages that are its own.
 */
static void arena_scrub(bool shared)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t used = (bk->arena.used + page - 1) & ~(page - 1);

	if (used == 0)
		return;
	if (!shared || madvise(arena_base, used, MADV_DONTNEED) == -1)
		explicit_bzero(arena_base, bk->arena.used);
	bk->arena.used = 0;
}

static void *own_realloc(void *old, size_t old_size, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatalx("template: out of memory");
	if (madvise(p, size, MADV_DONTFORK) == -1)
		log_debug("template: MADV_DONTFORK: %s", strerror(errno));
	if (old != NULL) {
		memcpy(p, old, old_size);
		munmap(old, old_size);
	}
	return p;
}

/* Let go of what own_realloc() gave (size: as asked). */
static void own_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

/* A NULL-ended vector of the strings of array a (borrowed), in the
 * arena while it is open. */
static char **strv(json_t *a)
{
	size_t n = json_array_size(a);
	char **v = !in_child && bk->arena.open ?
			   arena_alloc((n + 1) * sizeof(*v)) :
			   calloc(n + 1, sizeof(*v));

	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = (char *)json_string_value(json_array_get(a, i));
	if (v != NULL)
		v[n] = NULL;
	return v;
}

/*
 * What every child does first, whatever it runs: a clean slate for
 * signals (the template blocks SIGCHLD and ignores SIGPIPE) and a session
 * of its own (and so a process group, and no controlling terminal: a
 * worker never gets mpdd's terminal, to write to or to push input into
 * with TIOCSTI). A pooled child does it ahead, while idle.
 */
static void child_prepare(int report_fd)
{
	sigset_t none;

	if (pinned)
		sched_setaffinity(0, sizeof(cpus_all), &cpus_all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < nsig_set; i++)
		signal(sig_set[i], SIG_DFL);
	if (setsid() == -1)
		child_fail(report_fd, STAGE_SETUP, errno, "setsid: %s",
			   strerror(errno));
}

/*
 * The child, after fork: set up the process and run the target. Never
 * returns. fds[] holds the "pass" descriptors in stream order; prepared
 * says child_prepare() has run.
 */
static void __attribute__((noreturn))
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
		execv(self_exe, argv);
		child_fail(report_fd, STAGE_EXEC, errno, "%s: %s", self_exe,
			   strerror(errno));
	}
	if (fn != NULL)
		worker_run(fn, json_object_get(req, "args"), report_fd);
	worker_call(module, function, json_object_get(req, "args"), report_fd);
}

/*
 * In a worker: load module, find function, say so on report_fd, call it
 * and exit with its return value. Names the process after the worker.
 */
/*
 * In a worker: call fn (found by the template, or by worker_call()), named
 * after the worker, and exit with its return value.
 */
static void worker_run(worker_fn *fn, json_t *args, int report_fd)
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

/*
 * The function of a target in a module the template preloaded, found once
 * in the template and remembered, so that its workers need no dlopen()
 * and dlsym() of their own (and none of the page faults of the dynamic
 * linker's tables in each). NULL when the module is not one preloaded
 * (named as --preload named it) or has no such symbol: the worker then
 * looks, and reports, as before.
 *
 * The template never opens what a request names: a path that is not a
 * preloaded module's is the worker's to open (it might be a FIFO that
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
	for (m = 0; m < npreloaded && h == NULL; m++)
		if (strcmp(preloaded[m], module) == 0)
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
		bk->fns[bk->nfns].module = preloaded[m - 1];
		bk->fns[bk->nfns].function = copy;
		bk->fns[bk->nfns++].fn = fn;
	}
	return fn;
}

static struct pending *pending_add(int64_t id, pid_t pid, int pidfd, int pipe)
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
static void pending_release(struct pending *q)
{
	own_free(q->line, q->len);
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

	if (pool_size == 0)
		return false;
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
		scrub_free(buf);
		close(sl.sock);
		if (r == 0) {
			struct pending *q =
				pending_add(id, sl.pid, sl.pidfd, sl.report);

			/* Kept until the child says it has the request, in
			 * memory of the template's own, which no child of a
			 * later request gets. */
			q->line = own_realloc(NULL, 0, len);
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
 * In a pooled child, while idle: go through the motions of a start, so
 * that its page faults (code to map, template pages to copy) are taken now
 * rather than while a client waits: a request parsed, /dev/null opened,
 * the preloaded modules looked up as a function target's is, some stack.
 */
static void child_rehearse(void)
{
	static const char sample[] =
		"{\"name\":\"Process-1\","
		"\"target\":{\"module\":\"m\",\"function\":\"f\"},"
		"\"env\":[\"A=B\",\"C=D\"],\"cwd\":null,\"stdio\":"
		"[null,\"inherit\",\"inherit\"],\"method\":\"forkserver\","
		"\"args\":[1,2.5,\"x\",{\"k\":true}]}";
	volatile char stack[32 * 1024];
	json_t *req = json_loadb(sample, sizeof(sample) - 1, 0, NULL);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
	if (fd >= 0)
		close(fd);
	free(calloc(64, sizeof(char *)));
	for (int i = 0; i < npreloaded; i++) {
		void *h = dlopen(preloaded[i], RTLD_NOW | RTLD_NOLOAD);

		if (h != NULL) {
			dlsym(h, "mpd_rehearsal");
			dlclose(h);
		}
	}
	getenv(MPD_ENV_PROCESS_ID);
	json_decref(req);
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
	stack_scrub();
	prctl(PR_SET_NAME, "mpdd-pool");
	/* What every worker does first, done while nobody waits. */
	child_prepare(POOL_REPORT_FD);
	child_rehearse();
	do
		n = recvmsg(POOL_SOCK_FD, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(len) || len > CHAN_REQUEST_MAX)
		_exit(0);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
	}
	/* The start report pipe comes first, then the "pass" streams. */
	if (nfds < 1)
		_exit(0);
	/* A worker now: it outlives the template, as a forked one does. */
	prctl(PR_SET_PDEATHSIG, 0);
	text = malloc(len + 1);
	if (text == NULL)
		_exit(CHILD_FAIL_EXIT);
	while (got < len) {
		n = read(POOL_SOCK_FD, text + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(CHILD_FAIL_EXIT);
		got += (size_t)n;
	}
	/*
	 * Taken: the template may forget the request. Up to here, dying
	 * (killed idle, or with the template) ran nothing and the template
	 * hands the request on; from here on this child is the request's
	 * one child, and says so to mpdd. A template already gone kills
	 * it here (SIGPIPE): nothing ran.
	 */
	if (write(POOL_REPORT_FD, "t", 1) != 1)
		_exit(CHILD_FAIL_EXIT);
	close(POOL_REPORT_FD);
	child_announce(fds[0]);
	req = json_loadb(text, len, 0, NULL);
	free(text);
	if (req == NULL)
		child_fail(fds[0], STAGE_SETUP, EINVAL,
			   "the request did not parse");
	child_run(req, fds + 1, nfds - 1, fds[0], true, NULL, NULL);
}

/* In the keeper: fork one child for the pool into *sl; sl->pid is -1
 * (errno set) when that fails. */
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
		devnull = -1;
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
	/* The template opens its own pidfd when it takes the slot. */
	*sl = (struct slot){
		.pid = pid,
		.pidfd = -1,
		.sock = sv[0],
		.report = p[0],
	};
}

/* Send one message (and fds) on the keeper socket; false when closed. */
static bool kmsg_send(int sock, const struct kmsg *m, const int *fds, int nfds)
{
	ssize_t n;

	do
		n = fdio_send(sock, (const char *)m, sizeof(*m), fds, nfds);
	while (n == -1 && errno == EAGAIN);
	return n == (ssize_t)sizeof(*m);
}

/* The wait status a siginfo from waitid() describes. */
static int wait_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return si->si_status & 0x7f;
	}
}

/*
 * The next child that ended, left unreaped (its pid cannot be reused
 * until it is): returns its pid and *status, or 0 when none has.
 */
static pid_t child_peek(int *status)
{
	siginfo_t si;

	si.si_pid = 0;
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
	    si.si_pid == 0)
		return 0;
	*status = wait_status(&si);
	return si.si_pid;
}

/*
 * The keeper, forked from the template once it is ready: it forks the
 * pooled children, so that a fork (which copies page tables, and on some
 * virtual machines takes milliseconds) never stops the template, not even
 * through its memory map's lock. Its children are workers like the
 * template's: the keeper reaps them and passes each exit status on. It
 * reads a byte per child wanted and answers KM_SLOT (the child's pid,
 * with its request socket and report pipe) or KM_FAIL; it exits with the
 * template (PR_SET_PDEATHSIG), and its idle pooled children with it.
 */
static void __attribute__((noreturn)) keeper_main(int sock, pid_t tmpl_pid)
{
	sigset_t chld;
	pid_t held = 0; /* reported to the template, not yet reaped */
	int sfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tmpl_pid)
		_exit(0);
	/* Forked from the template at any time: what it did before (other
	 * requests) is no pooled child's to read. */
	stack_scrub();
	prctl(PR_SET_NAME, "mpdd-keeper");
	if (pinned)
		sched_setaffinity(0, sizeof(cpus_all), &cpus_all);
	log_set_ident("mpdd-keeper");
	if (sock != 3 && dup3(sock, 3, O_CLOEXEC) == -1)
		_exit(CHILD_FAIL_EXIT);
	sock = 3;
	close_range(4, ~0U, 0);
	devnull = -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1)
		_exit(CHILD_FAIL_EXIT);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		int status;
		pid_t pid;

		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			_exit(CHILD_FAIL_EXIT);
		if (pfd[1].revents != 0) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
		}
		if (pfd[0].revents != 0) {
			char c;
			ssize_t n = recv(sock, &c, 1, 0);
			struct slot sl;
			struct kmsg m = { KM_SLOT, 0, 0 };

			if (n == 0 || (n == -1 && errno != EINTR))
				_exit(0); /* the template is gone */
			if (n == 1 && c == 'r' && held > 0) {
				/* The template has passed its exit on. */
				waitpid(held, NULL, 0);
				held = 0;
			}
			if (n != 1 || c != 'f')
				goto exits;
			slot_fork(&sl);
			if (sl.pid == -1) {
				m.kind = KM_FAIL;
				m.value = errno;
				if (!kmsg_send(sock, &m, NULL, 0))
					_exit(0);
				continue;
			}
			m.pid = sl.pid;
			if (!kmsg_send(sock, &m, (int[]){ sl.sock, sl.report },
				       2))
				_exit(0);
			close(sl.sock);
			close(sl.report);
		}
exits:
		/* One exit at a time, reaped only once the template has
		 * passed it on to mpdd (it answers 'r'): should the
		 * template die first, the child stays a zombie, which mpdd
		 * inherits and reaps itself, status and all. */
		if (held == 0 && (pid = child_peek(&status)) > 0) {
			struct kmsg m = { KM_EXIT, pid, status };

			if (!kmsg_send(sock, &m, NULL, 0))
				_exit(0);
			held = pid;
		}
	}
}

/* Start the keeper (pool_size > 0). Without one there is no pool. */
static void keeper_start(void)
{
	int sv[2];
	pid_t self = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("template: no pool: socketpair");
		return;
	}
	pid = fork();
	if (pid == 0) {
		in_child = true;
		keeper_main(sv[1], self);
	}
	close(sv[1]);
	if (pid == -1) {
		log_warn("template: no pool: cannot fork its keeper");
		close(sv[0]);
		return;
	}
	bk->nchildren++;
	keeper = sv[0];
	keeper_pid = pid;
	fcntl(keeper, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &keeper_started);
	nasked = 0;
}

/* Ask the keeper for what the pool lacks. */
static void pool_ask(void)
{
	while (keeper >= 0 && !pool_stalled && npool + nasked < pool_size) {
		if (send(keeper, "f", 1, MSG_DONTWAIT) != 1)
			break;
		nasked++;
	}
}

/* Forget the pool: its children died with their keeper. */
static void pool_forget(void)
{
	for (size_t i = 0; i < npool; i++)
		slot_close(&pool[i]);
	npool = 0;
	nasked = 0;
}

static void child_exited(pid_t pid, int status);

/* mpdd has the exit of the keeper's child pid: let the keeper reap it. */
static void keeper_reap(pid_t pid)
{
	ssize_t n;

	while ((n = send(keeper, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL)) == -1 &&
	       (errno == EAGAIN || errno == EINTR)) {
		struct pollfd p = { .fd = keeper, .events = POLLOUT };

		poll(&p, 1, -1);
	}
	if (n != 1)
		log_debug("template: keeper gone before reaping %ld",
			  (long)pid);
}

/* What the keeper sent: pooled children, failures, exits. Closes the
 * socket at its end. */
static void keeper_read(void)
{
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 2)];
			struct cmsghdr align;
		} cmsg;
		struct kmsg m;
		struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cmsg.buf,
				     .msg_controllen = sizeof(cmsg.buf) };
		int fds[2] = { -1, -1 }, nfds = 0;
		ssize_t n = recvmsg(keeper, &mh, MSG_CMSG_CLOEXEC);

		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		     cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) /
				     sizeof(int));
			if (nfds > 2)
				nfds = 2;
			memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
		}
		if (n != (ssize_t)sizeof(m)) {
			/* The keeper is gone; its exit is reaped. */
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			close(keeper);
			keeper = -1;
			pool_forget();
			return;
		}
		if (m.kind == KM_SLOT && nfds == 2 && npool < pool_size) {
			nasked -= nasked > 0;
			pool[npool++] = (struct slot){
				.pid = m.pid,
				.pidfd = pidfd_open(m.pid, 0),
				.sock = fds[0],
				.report = fds[1],
			};
			continue;
		}
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (m.kind == KM_EXIT) {
			child_exited(m.pid, m.value);
			keeper_reap(m.pid);
		} else if (m.kind == KM_FAIL) {
			nasked -= nasked > 0;
			log_warnx("template: cannot refill the pool: %s",
				  strerror(m.value));
			pool_stalled = true;
		}
	}
}

/* The keeper exited (reaped): start another, unless it died at once. */
static void keeper_died(int status)
{
	struct timespec now;
	double life;

	clock_gettime(CLOCK_MONOTONIC, &now);
	life = (double)(now.tv_sec - keeper_started.tv_sec) +
	       (double)(now.tv_nsec - keeper_started.tv_nsec) / 1e9;
	keeper_pid = -1;
	if (keeper >= 0)
		keeper_read(); /* what it sent before it died, to its EOF */
	if (keeper >= 0) {
		close(keeper);
		keeper = -1;
	}
	pool_forget();
	if (life < 1.0) {
		log_warnx("template: the pool's keeper died at once (status "
			  "%d); no pool",
			  status);
		return;
	}
	log_warnx("template: the pool's keeper died (status %d); starting "
		  "another",
		  status);
	keeper_start();
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
		pid = launch_program(req, fds + 1, nfds - 1, fds[0], &launch,
				     &stage);
		e = errno;
		arena_end();
		arena_scrub(false);
	} else {
		const char *method =
			json_string_value(json_object_get(req, "method"));
		char **env;

		target = json_object_get(req, "target");
		if (!exec && (method == NULL || strcmp(method, "spawn") != 0))
			fn = preloaded_fn(json_string_value(json_object_get(
						  target, "module")),
					  json_string_value(json_object_get(
						  target, "function")));
		env = strv(json_object_get(req, "env"));
		pid = fork();
		if (pid == 0) {
			in_child = true;
			/* What the template did before is not this
			 * worker's to read. */
			stack_scrub();
			child_announce(fds[0]);
			child_run(req, fds + 1, nfds - 1, fds[0], false, fn,
				  env);
		}
		e = errno;
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
		if (pid == keeper_pid) {
			waitpid(pid, NULL, 0);
			keeper_died(status);
			continue;
		}
		child_exited(pid, status);
		waitpid(pid, NULL, 0);
	} while (bk->nchildren > 0);
}

/* A child of ours or of the keeper ended: report it. */
static void child_exited(pid_t pid, int status)
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

/*
 * Keep the template on the CPU it runs on. A fork write-protects every
 * private page of the template, and each page it writes afterwards is a
 * fault; each of these changes to its page tables must be flushed from
 * the TLB of every CPU the template has run on, by an interprocessor
 * interrupt, which is costly (very much so in a virtual machine). On one
 * CPU there is none to send. Children get the daemon's CPUs back at once.
 */
static void template_pin(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (sched_getaffinity(0, sizeof(cpus_all), &cpus_all) == -1 ||
	    CPU_COUNT(&cpus_all) < 2 || cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == 0) {
		pinned = true;
		log_debug("template: kept on CPU %d", cpu);
	}
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/*
 * Let the children inherit the template's page table entries for code
 * and read-only data. fork() copies the entries of a private mapping
 * only when the mapping has anonymous pages (an anon_vma); a library's
 * text has none, so each child took one page fault for every page of
 * code it ran, up to fault-around: 15 of the 25 faults of a function
 * worker, each a trap that costs about 12 us in a virtual machine.
 *
 * Each read-only segment of the objects a worker runs is made writable,
 * has one byte of its first page rewritten (a private copy of that page,
 * and with it an anon_vma for the whole mapping) and its protection
 * restored: each fork then copies the entries the template has, a few
 * microseconds in the kernel instead of a trap per page in every child.
 * The executable's and the preloaded objects' are populated first, all
 * of them (share_object()).
 * The objects a worker runs: the executable, libc, the dynamic linker,
 * jansson, and every object loaded by --preload (the modules and what
 * they need). The rest of the daemon's own libraries (libevent,
 * libsystemd and its dependencies) are left alone: copying their entries
 * would only slow each fork and exit down.
 *
 * Best effort: where the system refuses a writable code page (SELinux
 * execmod, memory-deny-write-execute), a segment is left as it was.
 * Called once, after the preload, before the first request.
 */
struct share {
	int nbefore; /* objects loaded before the preload */
	int index;
	uintptr_t core[4]; /* an address in each core object */
	int shared, refused;
};

static bool object_holds(const struct dl_phdr_info *info, uintptr_t a)
{
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz)
			return true;
	}
	return false;
}

static int share_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct share *sh = arg;
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	bool loaded = sh->index++ >= sh->nbefore, run = loaded;
	/* Whole: the executable and what --preload brought in. libc, the
	 * dynamic linker and jansson are big, and a worker runs little of
	 * them that the template has not run already: only the entries of
	 * the pages the template touched are copied. */
	bool populate = loaded || object_holds(info, sh->core[0]);

	for (size_t c = 0; !run && c < 4; c++)
		run = sh->core[c] != 0 && object_holds(info, sh->core[c]);
	if (!run)
		return 0;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi;
		int prot = PROT_READ | (ph->p_flags & PF_X ? PROT_EXEC : 0);

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) ||
		    !(ph->p_flags & PF_R) || ph->p_memsz == 0)
			continue;
		hi = (lo + ph->p_memsz + page - 1) & ~(uintptr_t)(page - 1);
		lo &= ~(uintptr_t)(page - 1);
		if (mprotect((void *)lo, hi - lo, prot | PROT_WRITE) == -1) {
			sh->refused++;
			continue;
		}
		*(volatile char *)lo = *(volatile char *)lo;
		if (mprotect((void *)lo, hi - lo, prot) == -1)
			fatal("template: mprotect");
		if (populate)
			madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
		sh->shared++;
	}
	return 0;
}

/* How many objects are loaded (before the preload). */
static int count_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int objects_loaded(void)
{
	int n = 0;

	dl_iterate_phdr(count_object, &n);
	return n;
}

static void template_share_code(int nbefore)
{
	struct share sh = {
		.nbefore = nbefore,
		.core = { (uintptr_t)&template_main, (uintptr_t)&strlen,
			  (uintptr_t)&json_object_get,
			  (uintptr_t)getauxval(AT_BASE) },
	};

	dl_iterate_phdr(share_object, &sh);
	log_debug("template: %d segments shared with children, %d refused",
		  sh.shared, sh.refused);
}

/* Note which signals the template does not leave at their default, once
 * its dispositions are final (after the preloaded modules' init). */
static void template_signals(void)
{
	struct sigaction sa;

	nsig_set = 0;
	for (int s = 1; s < NSIG; s++)
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			sig_set[nsig_set++] = s;
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
		if (preloaded == NULL) {
			preloaded = calloc((size_t)n, sizeof(*preloaded));
			preloaded_handle =
				calloc((size_t)n, sizeof(*preloaded_handle));
		}
		if (preloaded != NULL && preloaded_handle != NULL) {
			preloaded_handle[npreloaded] = h;
			preloaded[npreloaded++] = path; /* kept */
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
	int fds[MPD_MAX_FDS_PER_MESSAGE], nfds;
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
		nfds = fdq_take(q, in->consumed, fds, MPD_MAX_FDS_PER_MESSAGE);
		tmpl_request(line, len, fds, nfds);
	}
}

int template_main(int argc, char **argv)
{
	/* Static, not on the stack: each page of stack the serving loop
	 * spans is one more fault after every fork. */
	static char *mods[64];
	static char exe[4096];
	int nmods = 0, level = LOG_LEVEL_INFO, sfd, nbefore;
	json_t *loaded;
	const char *why;
	sigset_t chld;
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
	bk = own_realloc(NULL, 0, sizeof(*bk));
	arena_base = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena_base == MAP_FAILED)
		fatal("template: mmap");
	json_set_alloc_funcs(arena_alloc, arena_free);
	loaded = json_array();
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

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	template_signals();
	template_share_code(nbefore);
	template_pin();
	launch = (struct launch_env){ .devnull = devnull,
				      .sigs = sig_set,
				      .nsigs = nsig_set,
				      .cpus = pinned ? &cpus_all : NULL };
	/* The request buffer is the template's alone, like its other
	 * bookkeeping (a child never reads it), and is only as large in
	 * memory as the pages the requests have used. */
	mpd_framer_init_buffer(&bk->in, CHAN_LINE_MAX,
			       own_realloc(NULL, 0,
					   CHAN_LINE_MAX + 1 + CTL_READ_CHUNK),
			       CHAN_LINE_MAX + 1 + CTL_READ_CHUNK);
	fdq_init(&bk->q);
	if (pool_size > MPD_MAX_POOL)
		pool_size = MPD_MAX_POOL;
	pool = calloc(pool_size + 1, sizeof(*pool));
	if (pool == NULL)
		fatalx("template: out of memory");
	if (pool_size > 0)
		keeper_start();
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
		bk->pfd[np + 2] =
			(struct pollfd){ .fd = keeper, .events = POLLIN };
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
		if (bk->pfd[np + 2].revents != 0 && keeper >= 0)
			keeper_read();
		if (bk->pfd[0].revents != 0 &&
		    !tmpl_read_ctl(&bk->in, &bk->q)) {
			/* mpdd is gone: our children live on without us. */
			exit(0);
		}
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
