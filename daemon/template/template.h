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
#include <sys/types.h>

#include <jansson.h>

#include "channel.h"
#include "fdio.h"
#include "log.h"
#include "proto.h"

/* launch.c: program targets, started by the template without waiting */
struct launch_env { /* the template's, fixed after its start */
	int devnull; /* for "null" stdio, or -1 */
	const int *sigs; /* signals with handlers, to set back to default */
	int nsigs;
	const cpu_set_t *cpus; /* for the child, when the template is pinned */
};

/* Start the argv target of req; fds are its "pass" descriptors, report
 * the write end of its start report pipe (the caller closes them all).
 * Returns the child's pid, or -1 with *stage and errno set (nothing was
 * started). */
pid_t launch_program(json_t *req, const int *fds, int nfds, int report,
		     const struct launch_env *env, enum start_stage *stage);
/* Free what the children that have since exec'd or exited were given. */
void launch_sweep(void);

/* In a worker: load module, find function, report on report_fd, call it
 * and exit with its return value. */
void worker_call(const char *module, const char *function, json_t *args,
		 int report_fd) __attribute__((noreturn));

#endif
