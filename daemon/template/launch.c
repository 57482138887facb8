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
 *   launch): its stack, its set-up plan and copies of the request's
 *   strings (besides what the template fixed at its start and never
 *   writes again: the signals to reset, the CPUs, constant tables).
 *   The kernel clears launch.live when the child lets go of the memory
 *   (its exec or its exit: CLONE_CHILD_CLEARTID), and the template unmaps
 *   the launch at its next request (launch_sweep()). The mapping is never
 *   inherited by a fork: another user's worker never sees it.
 * - The child makes raw system calls only (sys(), sys.h), which set no
 *   errno; its set-up is the one executor of plan.c, made of them.
 *   It runs on the template's thread pointer, and glibc's wrappers would
 *   write the template's errno under its feet (or, for credentials,
 *   signal the template's threads). The PATH search is done here too,
 *   in the worker's PATH (execvpe() searches the caller's).
 * - The template blocks every signal around the clone, so none of its
 *   handlers ever runs in the child; the child sets them back to the
 *   default before it unblocks them.
 *
 * Where sys() cannot be written without errno (an architecture other
 * than x86-64 and arm64: SYS_VFORK), the clone is a vfork, as before: the
 * template waits for the exec, and shares nothing with the child while it
 * runs.
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

#include "sys.h"
#include "template.h"

#define LAUNCH_STACK	(64 * 1024)
#define LAUNCH_DATA	(16 * 1024) /* after struct launch, usually */
#define LAUNCH_DEF_PATH "/bin:/usr/bin" /* glibc's, for no PATH at all */

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
	struct plan plan; /* the set-up before the exec */
};

static struct launch *launches; /* whose child may still run in them */

static size_t LCHILD lstrlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
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
	int report;
	long r;

	/* mpdd learns who we are before anything else. */
	plan_announce(l->plan.report_fd);
	plan_prepare(&l->plan);
	report = plan_apply(&l->plan);
	/* Nothing but 0, 1, 2 and the worker's own descriptors (below the
	 * report pipe) crosses the exec. */
	sys(SYS_close_range, WORKER_FDS_START + l->plan.nxfds, ~0U,
	    CLOSE_RANGE_CLOEXEC, 0);
	r = lchild_run(l);
	plan_fail(report, STAGE_EXEC, -r, l->argv[0], strerrordesc_np(-r),
		  NULL);
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

/* Point v[0..] at copies of the strings of array a, NULL-ended. */
static void copy_strv(char **v, json_t *a, char **at)
{
	size_t i;
	json_t *e;

	json_array_foreach (a, i, e)
		v[i] = plan_copy(at, json_string_value(e));
	v[json_array_size(a)] = NULL;
}

pid_t launch_program(json_t *req, const int *fds, int nfds, int report,
		     enum start_stage *stage)
{
	json_t *argv = json_object_get(json_object_get(req, CHAN_K_TARGET),
				       CHAN_K_ARGV);
	json_t *envv = json_object_get(req, CHAN_K_ENV);
	json_t *stdio = json_object_get(req, CHAN_K_STDIO), *e;
	const char *cwd = json_string_value(json_object_get(req, CHAN_K_CWD));
	const char *path_env = env_value(envv, "PATH");
	size_t argc = json_array_size(argv), envc = json_array_size(envv);
	size_t data, i;
	struct launch *l;
	sigset_t all, old;
	char *at;
	int flags, saved;
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
		data += room(
			json_string_value(json_object_get(e, CHAN_K_FILE)));
	data += room(cwd) + room(path_env ?: LAUNCH_DEF_PATH);
	l = launch_map(data);
	if (l == NULL)
		return -1;
	*l = (struct launch){ .base = l->base,
			      .size = l->size,
			      .data = l->data,
			      .used = data,
			      .live = 1 };
	l->argv = (char **)(l + 1);
	l->sh_argv = l->argv + argc + 1;
	l->envp = l->sh_argv + argc + 2;
	at = (char *)(l->envp + envc + 1);
	copy_strv(l->argv, argv, &at);
	copy_strv(l->envp, envv, &at);
	l->path_env = plan_copy(&at, path_env ?: LAUNCH_DEF_PATH);
	if (plan_build(&l->plan, req, fds, nfds, report, &at) >= 0) {
		*stage = STAGE_STDIO;
		launch_done(l);
		errno = EBADF;
		return -1;
	}

	*stage = STAGE_FORK;
	flags = CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD;
	if (SYS_VFORK)
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
