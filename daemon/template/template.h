/*
 * template.h - the template image's own header (daemon/template/).
 *
 * The template shares proto/ and the channel (channel.h) with mpdd, and
 * the logging and descriptor helpers of log.h and fdio.h; nothing else
 * of the daemon (no event loop, no connections, no requests).
 */
#ifndef MPD_TEMPLATE_H
#define MPD_TEMPLATE_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "channel.h"
#include "fdio.h"
#include "log.h"
#include "proto.h"

#define CHILD_FAIL_EXIT	 127
#define WORKER_REPORT_FD 3 /* set-up report pipe, in the worker image */
#define WORKER_ARGS_FD	 4 /* args JSON, in the worker image */
/* Where a worker's own descriptors go (process.create "fds"); the
 * report pipe and args then follow them. */
#define WORKER_FDS_START MPD_FDS_START

struct mpd_worker;
struct plan;
typedef int worker_fn(struct mpd_worker *, const json_t *);
/* A pool's task function: 0 and *result, or non-zero (channel.h). */
typedef int task_fn(struct mpd_worker *, const json_t *, json_t **);

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
	int fds[FDIO_MAX_FDS];
	int nfds;
};

/* template.c: the loop, the channel to mpdd, the starts */
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
extern struct book *bk;
/* Set first thing in every forked child: the book is not there. */
extern bool tmpl_in_child;
extern int tmpl_devnull; /* /dev/null, for "null" stdio without an open */
/* The signals whose disposition is not the default in the template (it
 * ignores SIGPIPE; a preloaded module's init may catch some): the only
 * ones a child must reset, one system call each (template_signals()). */
extern int tmpl_sigs[NSIG], tmpl_nsigs;
/* The --preload paths (without ":INIT"), as a function target names one. */
extern char **tmpl_preloaded;
extern int tmpl_npreloaded;
extern const char *tmpl_self_exe; /* this image, for the fresh worker */

struct pending *pending_add(int64_t id, pid_t pid, int pidfd, int pipe);
void pending_release(struct pending *q);
void child_exited(pid_t pid, int status);

/* arena.c: request memory, the template's own memory, scrubbing */
void scrub_free(void *p);
void stack_scrub(void);
void arena_init(void);
void *arena_alloc(size_t size);
void arena_begin(void);
void arena_end(void);
void arena_scrub(bool shared);
void *own_realloc(void *old, size_t old_size, size_t size);
void own_free(void *p, size_t size);
char **strv(json_t *a);

/* child.c: a forked or pooled child's set-up */
void child_fail(int report_fd, enum start_stage stage, int err, const char *fmt,
		...) __attribute__((noreturn, format(printf, 4, 5)));
void child_run(json_t *req, const struct plan *pl, bool prepared, worker_fn *fn,
	       char **env) __attribute__((noreturn));

/* pool.c: children forked ahead by the keeper */
void pool_init(size_t size);
bool pool_take(int64_t id, const char *line, size_t len, int *fds, int nfds);
void pool_ask(void);
bool pool_reaped(pid_t pid);
int pool_keeper_fd(void);
bool pool_keeper_is(pid_t pid);
void pool_keeper_read(void);
void pool_keeper_died(int status);
pid_t child_peek(int *status);

/* share.c: page tables the children inherit, the template's CPU */
extern cpu_set_t tmpl_cpus;
extern bool tmpl_pinned;
void template_pin(void);
int objects_loaded(void);
void template_share_code(int nbefore);

/* plan.c: one child set-up, carried out by raw system calls */
struct plan {
	int report_fd; /* the start report pipe's write end */
	const int *sigs; /* signals with handlers, to set back to default */
	int nsigs;
	const cpu_set_t *cpus; /* NULL: keep the template's affinity */
	const char *cwd; /* or NULL */
	int src[3]; /* descriptor for 0, 1, 2; -1: keep the template's */
	int open_flags[3]; /* with path[i]: open it in the child */
	const char *path[3];
	bool ctty; /* make stdin the controlling terminal */
	/* The descriptors the worker gets at WORKER_FDS_START + i, open
	 * across an exec (the start report pipe then goes just after). */
	int xfds[MPD_MAX_FDS_PER_MESSAGE];
	int nxfds;
	bool drop; /* become uid/gid/groups */
	uid_t uid;
	gid_t gid;
	int ngroups;
	/* Last: a plan that drops nothing writes none of it (each page a
	 * start writes in the request arena is a fault). */
	gid_t groups[MPD_MAX_GROUPS];
};

/* A plan of the signals, CPUs and session alone (what a pooled child
 * does while idle), reporting on report_fd. */
void plan_init(struct plan *pl, int report_fd);
/* The plan of request req, whose descriptors are fds (nfds): those the
 * worker is given, then its "pass" streams. Strings are copied to *at
 * (advancing it) when at is not NULL, else borrowed from req. Returns -1,
 * or the stream (0..2) a "pass" descriptor is missing for, or 3 when the
 * worker's own descriptors are missing. */
int plan_build(struct plan *pl, json_t *req, const int *fds, int nfds,
	       int report_fd, char **at);
/* "stdin", "stdout", "stderr", and "fds" (plan_build()'s 3). */
extern const char *const plan_stdio_names[4];
/* A copy of s at *at, advancing it (at NULL, or s NULL: s itself). */
char *plan_copy(char **at, const char *s);
/* In the child: the first of every child's steps, its pid on the
 * report pipe; then the signals, CPUs and session; then the rest. */
void plan_announce(int report_fd);
void plan_prepare(const struct plan *pl);
/* Returns the start report pipe's descriptor after the set-up: moved to
 * just after the worker's descriptors when it has some. */
int plan_apply(const struct plan *pl);
/* In the child: report a failed step (parts joined by ": ") and die. */
void plan_fail(int report_fd, enum start_stage stage, long err, const char *a,
	       const char *b, const char *c) __attribute__((noreturn));

/* launch.c: program targets, started by the template without waiting */
/* Start the argv target of req; fds are its "pass" descriptors, report
 * the write end of its start report pipe (the caller closes them all).
 * Returns the child's pid, or -1 with *stage and errno set (nothing was
 * started). */
pid_t launch_program(json_t *req, const int *fds, int nfds, int report,
		     enum start_stage *stage);
/* Free what the children that have since exec'd or exited were given. */
void launch_sweep(void);

/* worker.c: the worker's side of a function target */
void worker_run(worker_fn *fn, json_t *args, int report_fd)
	__attribute__((noreturn));
/* In a worker, load module, find function, report on
 * report_fd, call it and exit with its return value. */
void worker_call(const char *module, const char *function, json_t *args,
		 int report_fd) __attribute__((noreturn));
/* In a pool's function worker: its initializer, then its tasks. */
void worker_pool(const char *module, const char *init, worker_fn *initfn,
		 json_t *initargs, int report_fd) __attribute__((noreturn));

#endif
