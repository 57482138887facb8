/*
 * plan.c - one child set-up, for every child the template makes.
 *
 * A start's set-up (signals, session, CPUs, credentials, cwd, stdio) is
 * decided once, from the request, into a struct plan (plan_build()), and
 * carried out in the child by one executor made of raw system calls
 * (plan_prepare(), plan_apply()): the same for a child forked by the
 * template, a pooled child, and a program's child, which runs beside the
 * template in its memory (launch.c) and so may write nothing but its own
 * stack and make no call that writes errno (sys.h). A failed step is
 * reported on the start report pipe and ends the child.
 *
 * What follows the plan differs by target and stays with its caller:
 * the exec of a program (launch.c, child.c), the fresh worker image, or a
 * function's dlopen() and call (child.c, worker.c).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "sys.h"
#include "template.h"

const char *const plan_stdio_names[4] = { "stdin", "stdout", "stderr", "fds" };

/* The kernel's struct sigaction for SIG_DFL (all zero, on both). */
static const unsigned long sig_default[4];
static const uint64_t sig_none;

/* In the child: report stage and err, with the parts (up to three,
 * NULL-ended) joined by ": " as the text, and die. */
void LCHILD __attribute__((noreturn))
plan_fail(int report_fd, enum start_stage stage, long err, const char *a,
	  const char *b, const char *c)
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
	sys(SYS_write, report_fd, &rep, sizeof(rep), 0);
	for (;;)
		sys(SYS_exit_group, CHILD_FAIL_EXIT, 0, 0, 0);
}

/*
 * In every child, first of all: write its pid on the start report pipe,
 * so that mpdd, which holds the read end, knows the child whatever
 * happens to the template from now on. Dies quietly when it cannot: then
 * nothing ran.
 */
void LCHILD plan_announce(int report_fd)
{
	int32_t self = (int32_t)sys(SYS_getpid, 0, 0, 0, 0);

	if (sys(SYS_write, report_fd, &self, sizeof(self), 0) !=
	    (long)sizeof(self))
		for (;;)
			sys(SYS_exit_group, CHILD_FAIL_EXIT, 0, 0, 0);
}

/*
 * What every child does first, whatever it runs: a clean slate for
 * signals (the template blocks SIGCHLD and ignores SIGPIPE; each handler
 * is set back to the default before any signal is let in), the daemon's
 * CPUs, and a session of its own (and so a process group, and no
 * controlling terminal: a worker never gets mpdd's terminal, to write to
 * or to push input into with TIOCSTI). A pooled child does it ahead,
 * while idle.
 */
void LCHILD plan_prepare(const struct plan *pl)
{
	long r;

	for (int i = 0; i < pl->nsigs; i++)
		sys(SYS_rt_sigaction, pl->sigs[i], sig_default, NULL, 8);
	sys(SYS_rt_sigprocmask, SIG_SETMASK, &sig_none, NULL, 8);
	if (pl->cpus != NULL)
		sys(SYS_sched_setaffinity, 0, sizeof(*pl->cpus), pl->cpus, 0);
	if ((r = sys(SYS_setsid, 0, 0, 0, 0)) < 0)
		plan_fail(pl->report_fd, STAGE_SETUP, -r, "setsid",
			  strerrordesc_np(-r), NULL);
}

/*
 * The worker's own descriptors to WORKER_FDS_START, +1, ... in the order
 * named, open across an exec, and the report pipe just after them
 * (close-on-exec); returns its new number. Whatever sits at those
 * numbers (a source of another of them, the report pipe, a stdio
 * source already dup'ed to 0, 1 or 2) may be overwritten: each of the
 * worker's descriptors is first copied above the report pipe's place,
 * so that none is lost, then the pipe and they are put in place. The
 * caller closes what is left above the report pipe.
 */
static int LCHILD plan_fds(const struct plan *pl, int report)
{
	int top = WORKER_FDS_START + pl->nxfds, hi[MPD_MAX_FDS_PER_MESSAGE];
	long r;

	for (int i = 0; i < pl->nxfds; i++) {
		r = sys(SYS_fcntl, pl->xfds[i], F_DUPFD_CLOEXEC, top + 1, 0);
		if (r < 0)
			plan_fail(report, STAGE_SETUP, -r, "the descriptors",
				  strerrordesc_np(-r), NULL);
		hi[i] = (int)r;
	}
	if (report != top) {
		r = sys(SYS_dup3, report, top, O_CLOEXEC, 0);
		if (r < 0)
			plan_fail(report, STAGE_SETUP, -r, "the descriptors",
				  strerrordesc_np(-r), NULL);
		report = top;
	}
	for (int i = 0; i < pl->nxfds; i++) {
		r = sys(SYS_dup3, hi[i], WORKER_FDS_START + i, 0, 0);
		if (r < 0)
			plan_fail(report, STAGE_SETUP, -r, "the descriptors",
				  strerrordesc_np(-r), NULL);
	}
	return report;
}

/*
 * The rest of the set-up, in order: the client's credentials before
 * anything is opened on its behalf (files, the cwd, the program are all
 * checked as it; a failure fails the start, the worker never runs as
 * root by accident), the cwd (a relative stdio path is the worker's),
 * then stdio on 0, 1 and 2, open across an exec, and with ctty stdin's
 * terminal as the controlling one (the child leads its own session),
 * then the worker's own descriptors (plan_fds()). Returns the report
 * pipe's descriptor.
 */
int LCHILD plan_apply(const struct plan *pl)
{
	int fd[3];
	long r;

	if (pl->drop) {
		if ((r = sys(SYS_setgroups, pl->ngroups, pl->groups, 0, 0)) < 0)
			plan_fail(pl->report_fd, STAGE_SETUP, -r, "setgroups",
				  strerrordesc_np(-r), NULL);
		if ((r = sys(SYS_setresgid, pl->gid, pl->gid, pl->gid, 0)) < 0)
			plan_fail(pl->report_fd, STAGE_SETUP, -r, "setgid",
				  strerrordesc_np(-r), NULL);
		if ((r = sys(SYS_setresuid, pl->uid, pl->uid, pl->uid, 0)) < 0)
			plan_fail(pl->report_fd, STAGE_SETUP, -r, "setuid",
				  strerrordesc_np(-r), NULL);
		if (sys(SYS_getuid, 0, 0, 0, 0) == 0 ||
		    sys(SYS_geteuid, 0, 0, 0, 0) == 0)
			plan_fail(pl->report_fd, STAGE_SETUP, EPERM,
				  "still root after dropping privileges", NULL,
				  NULL);
	}
	if (pl->cwd != NULL && (r = sys(SYS_chdir, pl->cwd, 0, 0, 0)) < 0)
		plan_fail(pl->report_fd, STAGE_CWD, -r, pl->cwd,
			  strerrordesc_np(-r), NULL);
	for (int i = 0; i < 3; i++) {
		fd[i] = pl->src[i];
		if (pl->path[i] == NULL)
			continue;
		r = sys(SYS_openat, AT_FDCWD, pl->path[i], pl->open_flags[i],
			0666);
		if (r < 0)
			plan_fail(pl->report_fd, STAGE_STDIO, -r,
				  plan_stdio_names[i], pl->path[i],
				  strerrordesc_np(-r));
		fd[i] = (int)r;
	}
	for (int i = 0; i < 3; i++) {
		if (fd[i] < 0)
			continue;
		r = fd[i] == i ? sys(SYS_fcntl, i, F_SETFD, 0, 0) :
				 sys(SYS_dup3, fd[i], i, 0, 0);
		if (r < 0)
			plan_fail(pl->report_fd, STAGE_STDIO, -r, "dup2",
				  strerrordesc_np(-r), NULL);
	}
	/* The child leads a session without a terminal: it takes stdin's,
	 * unless another session has it (0: never steal one). */
	if (pl->ctty && (r = sys(SYS_ioctl, 0, TIOCSCTTY, 0, 0)) < 0)
		plan_fail(pl->report_fd, STAGE_STDIO, -r,
			  "stdin as the controlling terminal",
			  strerrordesc_np(-r), NULL);
	return pl->nxfds > 0 ? plan_fds(pl, pl->report_fd) : pl->report_fd;
}

char *plan_copy(char **at, const char *s)
{
	size_t n;
	char *d;

	if (s == NULL || at == NULL)
		return (char *)s;
	n = strlen(s) + 1;
	d = *at;
	memcpy(d, s, n);
	*at += n;
	return d;
}

/* The stdio plan of stream k; false for a "pass" stream no descriptor
 * came for. */
static bool plan_stdio(struct plan *pl, int k, json_t *spec, const int *fds,
		       int nfds, int *passed, char **at)
{
	const char *s = json_string_value(spec);

	pl->src[k] = -1;
	pl->path[k] = NULL;
	if (s != NULL && strcmp(s, CHAN_STDIO_INHERIT) == 0)
		return true;
	if (s != NULL && strcmp(s, CHAN_STDIO_PASS) == 0) {
		if (*passed >= nfds)
			return false;
		pl->src[k] = fds[(*passed)++];
		return true;
	}
	pl->open_flags[k] = O_CLOEXEC | O_NOCTTY |
			    (k == 0 ? O_RDONLY : O_WRONLY);
	if (!json_is_object(spec)) { /* "null" */
		if (tmpl_devnull >= 0)
			pl->src[k] = tmpl_devnull;
		else
			pl->path[k] = "/dev/null";
		return true;
	}
	pl->path[k] = plan_copy(
		at, json_string_value(json_object_get(spec, CHAN_K_FILE)));
	if (k > 0)
		pl->open_flags[k] |=
			O_CREAT |
			(json_is_true(json_object_get(spec, CHAN_K_APPEND)) ?
				 O_APPEND :
				 O_TRUNC);
	return true;
}

int plan_build(struct plan *pl, json_t *req, const int *fds, int nfds,
	       int report_fd, char **at)
{
	json_t *stdio = json_object_get(req, CHAN_K_STDIO);
	json_t *uid = json_object_get(req, CHAN_K_UID), *e;
	json_int_t n = json_integer_value(json_object_get(req, CHAN_K_FDS));
	int passed = 0;
	size_t i;

	plan_init(pl, report_fd);
	pl->cwd = plan_copy(
		at, json_string_value(json_object_get(req, CHAN_K_CWD)));
	pl->ctty = json_is_true(json_object_get(req, CHAN_K_CTTY));
	/* The worker's own descriptors come first. */
	if (n < 0 || n > MPD_MAX_FDS_PER_MESSAGE || n > nfds)
		return 3;
	for (int k = 0; k < (int)n; k++)
		pl->xfds[k] = fds[k];
	pl->nxfds = (int)n;
	fds += n;
	nfds -= (int)n;
	for (int k = 0; k < 3; k++)
		if (!plan_stdio(pl, k, json_array_get(stdio, (size_t)k), fds,
				nfds, &passed, at))
			return k;
	if (uid != NULL) {
		pl->drop = true;
		pl->uid = (uid_t)json_integer_value(uid);
		pl->gid = (gid_t)json_integer_value(
			json_object_get(req, CHAN_K_GID));
		json_array_foreach (json_object_get(req, CHAN_K_GROUPS), i, e)
			if (pl->ngroups < MPD_MAX_GROUPS)
				pl->groups[pl->ngroups++] =
					(gid_t)json_integer_value(e);
	}
	return -1;
}

void plan_init(struct plan *pl, int report_fd)
{
	pl->report_fd = report_fd;
	pl->sigs = tmpl_sigs;
	pl->nsigs = tmpl_nsigs;
	pl->cpus = tmpl_pinned ? &tmpl_cpus : NULL;
	pl->cwd = NULL;
	pl->ctty = false;
	pl->nxfds = 0;
	pl->drop = false;
	pl->ngroups = 0;
}
