/*
 * launch.c - program (argv) targets, started without holding the template.
 *
 * A program target needs nothing of the template's memory, only a few
 * system calls before its exec, so it is not forked: copying the
 * template's page tables, and the copy-on-write faults the template takes
 * afterwards, would cost more than the whole start. The child is a clone
 * that shares the template's memory (CLONE_VM), as posix_spawn()'s is.
 *
 * Unlike posix_spawn()'s, it is not a vfork: the template does not wait
 * for the exec. A child's set-up touches the client's file system (its
 * cwd, its stdio files, each directory of its PATH), and one that hangs
 * there (a FIFO without a writer, a FUSE mount whose server stopped
 * answering, a dead NFS server) must hold that start alone, never every
 * other start of every user. So the template goes on at once, and the
 * child runs beside it in the same memory until its exec, which is why:
 *
 * - Everything the child reads is in a mapping of its own (struct
 *   launch): its stack, its spec and copies of the request's strings.
 *   The kernel clears launch.live when the child lets go of the memory
 *   (its exec or its exit: CLONE_CHILD_CLEARTID), and the template unmaps
 *   the launch at its next request (launch_sweep()). The mapping is never
 *   inherited by a fork: another user's worker never sees it.
 * - The child makes raw system calls only (sys()), which set no errno:
 *   it runs on the template's thread pointer, and glibc's wrappers would
 *   write the template's errno under its feet (or, for credentials,
 *   signal the template's threads). The PATH search is done here too,
 *   in the worker's PATH (execvpe() searches the caller's).
 * - The template blocks every signal around the clone, so none of its
 *   handlers ever runs in the child; the child sets them back to the
 *   default before it unblocks them.
 *
 * Where sys() cannot be written without errno (an architecture other
 * than x86-64 and arm64), the clone is a vfork, as before: the template
 * waits for the exec, and shares nothing with the child while it runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "template.h"

/* Not instrumented by the sanitizers: the child runs on a stack of its
 * own, which ASan would take for a corrupted one, beside the template. */
#define LCHILD __attribute__((no_sanitize_address))

#if defined(__x86_64__)
#define LAUNCH_VFORK 0
static inline long LCHILD sys6(long n, long a, long b, long c, long d, long e,
			       long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define LAUNCH_VFORK 0
static inline long LCHILD sys6(long n, long a, long b, long c, long d, long e,
			       long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}
#else
#define LAUNCH_VFORK 1
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(n, a, b, c, d, e, f);

	return r == -1 ? -errno : r;
}
#endif

/* A system call; returns its result, or -errno. */
#define sys(n, a, b, c, d) \
	sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#define LAUNCH_STACK	(64 * 1024)
#define LAUNCH_DATA	(16 * 1024) /* after struct launch, usually */
#define LAUNCH_DEF_PATH "/bin:/usr/bin" /* glibc's, for no PATH at all */

static const char *const stdio_names[] = { "stdin", "stdout", "stderr" };

struct launch {
	struct launch *next;
	void *base; /* of the mapping: guard page, stack, this, data */
	size_t size; /* of the mapping */
	size_t data; /* bytes after this struct */
	size_t used; /* of them, by this start */
	volatile int32_t live; /* nonzero until the child execs or exits */
	char **argv, **envp;
	char **sh_argv; /* room for "/bin/sh", the path and argv[1..] */
	const char *path_env; /* the worker's PATH */
	int src[3]; /* descriptor for 0, 1, 2; -1: keep the template's */
	int open_flags[3]; /* with path[i]: open it in the child */
	const char *path[3];
	const char *cwd;
	bool drop; /* become uid/gid/groups */
	uid_t uid;
	gid_t gid;
	gid_t groups[MPD_MAX_GROUPS];
	int ngroups;
	int report_fd;
	int nsigs;
	const int *sigs; /* the template's, fixed: set back to default */
	const cpu_set_t *cpus; /* NULL: keep the template's affinity */
};

static struct launch *launches; /* whose child may still run in them */

/* The kernel's struct sigaction for SIG_DFL (all zero, on both). */
static const unsigned long sig_default[4];
static const uint64_t sig_none;

static size_t LCHILD lstrlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* In the child: report stage and err, with the parts (up to three,
 * NULL-ended) joined by ": " as the text, and die. */
static void LCHILD __attribute__((noreturn))
lchild_fail(const struct launch *l, enum start_stage stage, long err,
	    const char *a, const char *b, const char *c)
{
	struct start_report rep = { .stage = stage, .err = (int32_t)err };
	const char *parts[] = { a, b, c };
	size_t n = 0;

	for (int k = 0; k < 3 && parts[k] != NULL; k++) {
		if (k > 0 && n + 2 < sizeof(rep.message)) {
			rep.message[n++] = ':';
			rep.message[n++] = ' ';
		}
		for (const char *p = parts[k];
		     *p && n + 1 < sizeof(rep.message);)
			rep.message[n++] = *p++;
	}
	rep.message[n] = '\0';
	sys(SYS_write, l->report_fd, &rep, sizeof(rep), 0);
	for (;;)
		sys(SYS_exit_group, 127, 0, 0, 0);
}

/* In the child: execve() file, or, if it is no binary the kernel runs
 * (ENOEXEC), /bin/sh with it, as execvpe() does. Returns -errno. */
static long LCHILD lchild_exec(struct launch *l, const char *file)
{
	long r = sys(SYS_execve, file, l->argv, l->envp, 0);
	int n = 0;

	if (r != -ENOEXEC)
		return r;
	l->sh_argv[n++] = (char *)"/bin/sh";
	l->sh_argv[n++] = (char *)file;
	for (int i = 1; l->argv[i] != NULL; i++)
		l->sh_argv[n++] = l->argv[i];
	l->sh_argv[n] = NULL;
	return sys(SYS_execve, "/bin/sh", l->sh_argv, l->envp, 0);
}

/* In the child: run argv[0], searched in the worker's PATH when it has
 * no '/', as execvpe() searches. Returns -errno. */
static long LCHILD lchild_run(struct launch *l)
{
	const char *file = l->argv[0], *p = l->path_env;
	size_t flen = lstrlen(file);
	bool eacces = false;
	char buf[PATH_MAX];

	if (flen == 0)
		return -ENOENT;
	for (size_t i = 0; i < flen; i++)
		if (file[i] == '/')
			return lchild_exec(l, file);
	for (;;) {
		const char *end = p;
		size_t dlen, n = 0;
		long r;

		while (*end != '\0' && *end != ':')
			end++;
		dlen = (size_t)(end - p);
		if (dlen + 1 + flen < sizeof(buf)) {
			/* An empty entry is the current directory. */
			for (size_t i = 0; i < dlen; i++)
				buf[n++] = p[i];
			if (dlen > 0)
				buf[n++] = '/';
			for (size_t i = 0; i <= flen; i++)
				buf[n++] = file[i];
			r = lchild_exec(l, buf);
			switch (-r) {
			case EACCES:
				eacces = true;
				break;
			case ENOENT:
			case ESTALE:
			case ENOTDIR:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return r;
			}
		}
		if (*end == '\0')
			break;
		p = end + 1;
	}
	return eacces ? -EACCES : -ENOENT;
}

static int LCHILD lchild(void *arg)
{
	struct launch *l = arg;
	int32_t self = (int32_t)sys(SYS_getpid, 0, 0, 0, 0);
	long r;
	int fd[3];

	/* mpdd learns who we are before anything else (child_announce()). */
	if (sys(SYS_write, l->report_fd, &self, sizeof(self), 0) !=
	    (long)sizeof(self))
		for (;;)
			sys(SYS_exit_group, 127, 0, 0, 0);
	for (int i = 0; i < l->nsigs; i++)
		sys(SYS_rt_sigaction, l->sigs[i], sig_default, NULL, 8);
	sys(SYS_rt_sigprocmask, SIG_SETMASK, &sig_none, NULL, 8);
	if (l->cpus != NULL)
		sys(SYS_sched_setaffinity, 0, sizeof(*l->cpus), l->cpus, 0);
	if ((r = sys(SYS_setsid, 0, 0, 0, 0)) < 0)
		lchild_fail(l, STAGE_SETUP, -r, "setsid", strerrordesc_np(-r),
			    NULL);
	if (l->drop) {
		if ((r = sys(SYS_setgroups, l->ngroups, l->groups, 0, 0)) < 0)
			lchild_fail(l, STAGE_SETUP, -r, "setgroups",
				    strerrordesc_np(-r), NULL);
		if ((r = sys(SYS_setresgid, l->gid, l->gid, l->gid, 0)) < 0)
			lchild_fail(l, STAGE_SETUP, -r, "setgid",
				    strerrordesc_np(-r), NULL);
		if ((r = sys(SYS_setresuid, l->uid, l->uid, l->uid, 0)) < 0)
			lchild_fail(l, STAGE_SETUP, -r, "setuid",
				    strerrordesc_np(-r), NULL);
		if (sys(SYS_getuid, 0, 0, 0, 0) == 0 ||
		    sys(SYS_geteuid, 0, 0, 0, 0) == 0)
			lchild_fail(l, STAGE_SETUP, EPERM,
				    "still root after dropping privileges",
				    NULL, NULL);
	}
	/* The cwd first: a relative stdio path is the worker's. */
	if (l->cwd != NULL && (r = sys(SYS_chdir, l->cwd, 0, 0, 0)) < 0)
		lchild_fail(l, STAGE_CWD, -r, l->cwd, strerrordesc_np(-r),
			    NULL);
	for (int i = 0; i < 3; i++) {
		fd[i] = l->src[i];
		if (l->path[i] == NULL)
			continue;
		r = sys(SYS_openat, AT_FDCWD, l->path[i], l->open_flags[i],
			0666);
		if (r < 0)
			lchild_fail(l, STAGE_STDIO, -r, stdio_names[i],
				    l->path[i], strerrordesc_np(-r));
		fd[i] = (int)r;
	}
	for (int i = 0; i < 3; i++) {
		if (fd[i] < 0)
			continue;
		r = fd[i] == i ? sys(SYS_fcntl, i, F_SETFD, 0, 0) :
				 sys(SYS_dup3, fd[i], i, 0, 0);
		if (r < 0)
			lchild_fail(l, STAGE_STDIO, -r, "dup2",
				    strerrordesc_np(-r), NULL);
	}
	/* Nothing but 0, 1 and 2 crosses the exec. */
	sys(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC, 0);
	r = lchild_run(l);
	lchild_fail(l, STAGE_EXEC, -r, l->argv[0], strerrordesc_np(-r), NULL);
}

/*
 * A launch's mapping: a guard page, the stack, then the struct and data
 * bytes of strings. One mapping of the usual size (LAUNCH_DATA, enough
 * for all but long requests) is kept spare when its child is done, its
 * data zeroed: most starts then take no mmap() and no page fault.
 */
static struct launch *spare;

static void launch_unmap(struct launch *l)
{
	munmap(l->base, l->size);
}

/* Let go of l, whose child has exec'd or exited (or never ran). */
static void launch_done(struct launch *l)
{
	if (spare != NULL || l->data != LAUNCH_DATA) {
		launch_unmap(l);
		return;
	}
	memset(l + 1, 0, l->used);
	spare = l;
}

/* A launch with data bytes after the struct, or NULL (errno set). */
static struct launch *launch_map(size_t data)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size;
	char *base;
	struct launch *l;
	int saved;

	if (data <= LAUNCH_DATA && spare != NULL) {
		l = spare;
		spare = NULL;
		return l;
	}
	if (data <= LAUNCH_DATA)
		data = LAUNCH_DATA;
	size = page + LAUNCH_STACK +
	       (sizeof(*l) + data + page - 1) / page * page;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	/* A guard page below the stack; and no fork ever copies the rest
	 * (a request of one user, for another's worker to read). */
	if (mprotect(base, page, PROT_NONE) == -1 ||
	    madvise(base, size, MADV_DONTFORK) == -1) {
		saved = errno;
		munmap(base, size);
		errno = saved;
		return NULL;
	}
	l = (struct launch *)(base + page + LAUNCH_STACK);
	l->base = base;
	l->size = size;
	l->data = data;
	return l;
}

/* Let go of the launches whose child has exec'd or exited. */
void launch_sweep(void)
{
	for (struct launch **pp = &launches; *pp != NULL;) {
		struct launch *l = *pp;

		if (__atomic_load_n(&l->live, __ATOMIC_ACQUIRE) != 0) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		launch_done(l);
	}
}

/* Room for a copy of s (0 for NULL). */
static size_t room(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

/* Copy s to *at, advancing it; NULL stays NULL. */
static char *copy(char **at, const char *s)
{
	size_t n = room(s);
	char *d = *at;

	if (s == NULL)
		return NULL;
	memcpy(d, s, n);
	*at += n;
	return d;
}

/* The value of name in a NULL-ended "NAME=value" list, or NULL. */
static const char *env_value(json_t *env, const char *name)
{
	size_t len = strlen(name), i;
	json_t *e;

	json_array_foreach (env, i, e) {
		const char *s = json_string_value(e);

		if (s != NULL && strncmp(s, name, len) == 0 && s[len] == '=')
			return s + len + 1;
	}
	return NULL;
}

/* The stdio plan of stream k into l (a file's name copied to *at);
 * false for a "pass" stream no descriptor came for. */
static bool plan_stdio(struct launch *l, int k, json_t *spec, const int *fds,
		       int nfds, int *passed, int devnull, char **at)
{
	const char *s = json_string_value(spec);

	l->src[k] = -1;
	if (s != NULL && strcmp(s, "inherit") == 0)
		return true;
	if (s != NULL && strcmp(s, "pass") == 0) {
		if (*passed >= nfds)
			return false;
		l->src[k] = fds[(*passed)++];
		return true;
	}
	l->open_flags[k] = O_CLOEXEC | O_NOCTTY |
			   (k == 0 ? O_RDONLY : O_WRONLY);
	if (!json_is_object(spec)) { /* "null" */
		if (devnull >= 0)
			l->src[k] = devnull;
		else
			l->path[k] = "/dev/null";
		return true;
	}
	l->path[k] = copy(at, json_string_value(json_object_get(spec, "file")));
	if (k > 0)
		l->open_flags[k] |=
			O_CREAT |
			(json_is_true(json_object_get(spec, "append")) ?
				 O_APPEND :
				 O_TRUNC);
	return true;
}

/* Point v[0..] at copies of the strings of array a, NULL-ended. */
static void copy_strv(char **v, json_t *a, char **at)
{
	size_t i;
	json_t *e;

	json_array_foreach (a, i, e)
		v[i] = copy(at, json_string_value(e));
	v[json_array_size(a)] = NULL;
}

pid_t launch_program(json_t *req, const int *fds, int nfds, int report,
		     const struct launch_env *env, enum start_stage *stage)
{
	json_t *argv = json_object_get(json_object_get(req, "target"), "argv");
	json_t *envv = json_object_get(req, "env");
	json_t *stdio = json_object_get(req, "stdio");
	json_t *uid = json_object_get(req, "uid"), *e;
	const char *cwd = json_string_value(json_object_get(req, "cwd"));
	const char *path_env = env_value(envv, "PATH");
	size_t argc = json_array_size(argv), envc = json_array_size(envv);
	size_t data, i;
	struct launch *l;
	sigset_t all, old;
	char *at;
	int passed = 0, flags, saved;
	pid_t pid;

	*stage = STAGE_SETUP;
	if (argc == 0) {
		errno = EINVAL;
		return -1;
	}
	data = (argc + 1 + argc + 2 + envc + 1) * sizeof(char *);
	json_array_foreach (argv, i, e)
		data += room(json_string_value(e));
	json_array_foreach (envv, i, e)
		data += room(json_string_value(e));
	json_array_foreach (stdio, i, e)
		data += room(json_string_value(json_object_get(e, "file")));
	data += room(cwd) + room(path_env ?: LAUNCH_DEF_PATH);
	l = launch_map(data);
	if (l == NULL)
		return -1;
	*l = (struct launch){ .base = l->base,
			      .size = l->size,
			      .data = l->data,
			      .used = data,
			      .live = 1,
			      .report_fd = report,
			      .sigs = env->sigs,
			      .nsigs = env->nsigs,
			      .cpus = env->cpus };
	l->argv = (char **)(l + 1);
	l->sh_argv = l->argv + argc + 1;
	l->envp = l->sh_argv + argc + 2;
	at = (char *)(l->envp + envc + 1);
	copy_strv(l->argv, argv, &at);
	copy_strv(l->envp, envv, &at);
	l->cwd = copy(&at, cwd);
	l->path_env = copy(&at, path_env ?: LAUNCH_DEF_PATH);
	for (int k = 0; k < 3; k++) {
		if (!plan_stdio(l, k, json_array_get(stdio, (size_t)k), fds,
				nfds, &passed, env->devnull, &at)) {
			*stage = STAGE_STDIO;
			launch_done(l);
			errno = EBADF;
			return -1;
		}
	}
	if (uid != NULL) {
		l->drop = true;
		l->uid = (uid_t)json_integer_value(uid);
		l->gid = (gid_t)json_integer_value(json_object_get(req, "gid"));
		json_array_foreach (json_object_get(req, "groups"), i, e)
			if (l->ngroups < MPD_MAX_GROUPS)
				l->groups[l->ngroups++] =
					(gid_t)json_integer_value(e);
	}

	*stage = STAGE_FORK;
	flags = CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD;
	if (LAUNCH_VFORK)
		flags |= CLONE_VFORK;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(lchild, l, flags, l, NULL, NULL, &l->live);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		launch_done(l);
		errno = saved;
		return -1;
	}
	l->next = launches;
	launches = l;
	return pid;
}
