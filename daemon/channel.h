/*
 * channel.h - the channel between mpdd and its template (the forkserver).
 *
 * mpdd (spawner.c) and the template (daemon/template/) are two images of
 * one binary, joined by a stream socketpair: `mpdd --template FD`. This
 * header is all they share besides proto/: the message kinds and keys, the
 * request head, the start report each child writes, and the entry points
 * of the template and worker images. A change here changes both sides:
 * keep them in step (a template is always the same build as its mpdd).
 *
 * Every message is one line; descriptors travel as SCM_RIGHTS with its
 * first byte.
 *
 * mpdd -> template: a request, a fixed text head and a JSON object:
 *
 *     <kind> SP <id> SP <flags> SP <body> LF      e.g. "spawn 7 1 {...}\n"
 *
 * kind is a word (CHAN_REQ_*), id a decimal >= 1, flags a decimal of
 * CHAN_F_* bits. The head is what the template needs before it parses
 * anything (which request, and whether it is a program's, started without
 * a parse in the pool's case); it reads the head by hand and hands the
 * body, as it is, to whoever parses it. Members of the body are named by
 * the CHAN_K_* keys, in any order. A spawn request carries the write end
 * of its start report pipe, then the descriptors the worker is given
 * (CHAN_K_FDS of them, in the order named), then its "pass" streams in
 * stream order.
 *
 * template -> mpdd: an event, a JSON object whose CHAN_K_EV member names
 * its kind (CHAN_EV_*), in any order:
 *
 *   ready       { preloaded: [paths] }            the template serves
 *   init_failed { message }                       a preload failed
 *   forked      { id, pid }, with the pidfd       a child runs the request
 *   failed      { id, stage, errno, message }     no child could be made
 *   exited      { id, pid, status }               a child ended (waitpid)
 */
#ifndef MPD_CHANNEL_H
#define MPD_CHANNEL_H

#include <stdint.h>

/* Supplementary groups kept per client, and sent with a request
 * (NGROUPS_MAX is 65536). */
#define MPD_MAX_GROUPS 256
/* Most children the template keeps forked ahead (--pool). */
#define MPD_MAX_POOL 64
/* Longest request body: args and environment of one spawn. */
#define CHAN_REQUEST_MAX (64 * 1024 * 1024)
/* Longest head: a kind, two decimals and their spaces. */
#define CHAN_HEAD_MAX 64
#define CHAN_LINE_MAX (CHAN_HEAD_MAX + CHAN_REQUEST_MAX)

/* Request kinds. */
#define CHAN_REQ_SPAWN "spawn"

/* Request flags. */
#define CHAN_F_EXEC 1u /* the target is a program (argv) */

/* Event kinds. */
#define CHAN_EV_READY	    "ready"
#define CHAN_EV_INIT_FAILED "init_failed"
#define CHAN_EV_FORKED	    "forked"
#define CHAN_EV_FAILED	    "failed"
#define CHAN_EV_EXITED	    "exited"

/* Keys of events. */
#define CHAN_K_EV	 "ev"
#define CHAN_K_ID	 "id"
#define CHAN_K_PID	 "pid"
#define CHAN_K_STATUS	 "status"
#define CHAN_K_STAGE	 "stage"
#define CHAN_K_ERRNO	 "errno"
#define CHAN_K_MESSAGE	 "message"
#define CHAN_K_PRELOADED "preloaded"

/* Keys of a spawn request's body. target and stdio are process.start's
 * own (docs/protocol.md); the rest are the channel's. */
#define CHAN_K_NAME	"name"
#define CHAN_K_TARGET	"target" /* { argv } or { module, function } */
#define CHAN_K_ARGV	"argv"
#define CHAN_K_MODULE	"module"
#define CHAN_K_FUNCTION "function"
#define CHAN_K_ARGS	"args" /* a function's, any JSON value */
#define CHAN_K_ENV	"env" /* [ "NAME=value" ] */
#define CHAN_K_CWD	"cwd" /* or null */
#define CHAN_K_STDIO	"stdio" /* three of: "inherit", "pass", null, */
#define CHAN_K_FILE	"file" /* { file, append } */
#define CHAN_K_APPEND	"append"
#define CHAN_K_METHOD	"method" /* CHAN_METHOD_* */
#define CHAN_K_PARENT	"parent"
#define CHAN_K_SOCKET	"socket"
#define CHAN_K_UID	"uid" /* with gid and groups: become them */
#define CHAN_K_GID	"gid"
#define CHAN_K_GROUPS	"groups"
#define CHAN_K_CTTY	"ctty" /* true: stdin becomes the controlling tty */
#define CHAN_K_FDS	"fds" /* how many descriptors the worker gets */
/* true: a pool's function worker: target { module, function: its
 * initializer, or none }, args its initargs; its first descriptor
 * (CHAN_POOL_FD) is its task channel (docs/protocol.md, "The worker's
 * side"). */
#define CHAN_K_POOL "pool"

#define CHAN_STDIO_INHERIT "inherit"
#define CHAN_STDIO_PASS	   "pass"

#define CHAN_METHOD_FORKSERVER "forkserver"
#define CHAN_METHOD_SPAWN      "spawn" /* a fresh image (exec) */

/*
 * The start report: every child the template makes for a start writes, on
 * a pipe whose read end mpdd keeps (spawner.c), first its pid (an
 * int32_t), then, only if its set-up failed, one struct start_report.
 * EOF after the pid alone means the target runs (the program was exec'd,
 * or the function was found and is being called); EOF before a pid means
 * no child of that start ever ran.
 */
enum start_stage {
	STAGE_FORK = 0,
	STAGE_STDIO,
	STAGE_CWD,
	STAGE_EXEC,
	STAGE_DLOPEN,
	STAGE_DLSYM,
	STAGE_SETUP,
};

struct start_report {
	int32_t stage; /* enum start_stage */
	int32_t err; /* errno, or 0 for dlopen/dlsym */
	char message[488];
};

/* The wire name of a stage (out of range: "setup"). */
static inline const char *start_stage_name(int stage)
{
	static const char *const names[] = {
		[STAGE_FORK] = "fork",	   [STAGE_STDIO] = "stdio",
		[STAGE_CWD] = "cwd",	   [STAGE_EXEC] = "exec",
		[STAGE_DLOPEN] = "dlopen", [STAGE_DLSYM] = "dlsym",
		[STAGE_SETUP] = "setup",
	};

	return stage >= STAGE_FORK && stage <= STAGE_SETUP ? names[stage] :
							     names[STAGE_SETUP];
}

/*
 * A pool's function worker (CHAN_K_POOL) reads tasks from the daemon and
 * writes their outcomes on its first descriptor, one compact JSON object
 * a line each way (docs/protocol.md, pools, "The worker's side"):
 *
 *   worker -> mpdd, once, after its initializer: {"ready": true}
 *   mpdd -> worker: {"id": N, "function": F, "arg": X}      one call
 *                   {"id": N, "function": F, "items": [...]} a map chunk
 *   worker -> mpdd: {"id": N, "result": R}                  done (a chunk:
 *                                                         the results)
 *                   {"id": N, "error": {"message": S, "return": N|null,
 *                    "value": V, "index": I}}               failed
 *
 * Tasks come in order and are answered in order; EOF ends the worker
 * (exit 0). The descriptor is named CHAN_POOL_FDNAME in MPD_FDS.
 */
#define CHAN_POOL_FDNAME "mpd.pool"
#define CHAN_POOL_READY	 "ready"
#define CHAN_POOL_ID	 "id"
#define CHAN_POOL_FUNC	 "function"
#define CHAN_POOL_ARG	 "arg"
#define CHAN_POOL_ITEMS	 "items"
#define CHAN_POOL_RESULT "result"
#define CHAN_POOL_ERROR	 "error"
#define CHAN_POOL_RETURN "return"
#define CHAN_POOL_VALUE	 "value"
#define CHAN_POOL_INDEX	 "index"

/* The template image: `mpdd --template FD [--log-level L] [--pool N]
 * [--preload PATH[:INIT]]...`. Never returns. */
int template_main(int argc, char **argv) __attribute__((noreturn));
/* The fresh worker image of the "spawn" method: `mpdd --worker MODULE
 * FUNCTION N`, with the N descriptors the worker is given on fds 3 to
 * 2 + N, the start report pipe on fd 3 + N and the args on fd 4 + N. */
int worker_main(int argc, char **argv) __attribute__((noreturn));

#endif
