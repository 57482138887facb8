/*
 * worker.h - the struct behind mpd.h's opaque mpd_worker.
 *
 * A function target runs in a worker the template cloned (or in a fresh
 * mpdd worker image); that code, in the daemon's binary, fills this struct
 * and calls fn(w, args). The function reads it through libmpd's
 * mpd_worker_* accessors, compiled separately: this header is the layout
 * both agree on, checked by magic and version. libmpd's
 * mpd_current_process() builds one from the environment for exec'd
 * programs.
 *
 * Changing the layout: members are only ever appended, and each change
 * bumps MPD_WORKER_VERSION. A reader takes any version from 1 up to its
 * own for the members every layout has, and reads a later member only
 * when the struct's version has it (version 2 added the descriptors).
 */
#ifndef MPD_PROTO_WORKER_H
#define MPD_PROTO_WORKER_H

#include <stddef.h>
#include <stdint.h>

#define MPD_WORKER_MAGIC   0x6d706477u /* "mpdw" */
#define MPD_WORKER_VERSION 2u

/* Environment variables every worker gets. */
#define MPD_ENV_SOCKET	     "MPD_SOCKET"
#define MPD_ENV_PROCESS_ID   "MPD_PROCESS_ID"
#define MPD_ENV_PROCESS_NAME "MPD_PROCESS_NAME"
#define MPD_ENV_PARENT_ID    "MPD_PARENT_ID"
/* Only a worker given descriptors: their names, joined by ':'. */
#define MPD_ENV_FDS "MPD_FDS"

struct mpd_client;

struct mpd_worker {
	uint32_t magic; /* MPD_WORKER_MAGIC */
	uint32_t version; /* MPD_WORKER_VERSION */
	int64_t id;
	int64_t parent; /* 0: none */
	const char *name;
	const char *socket;
	struct mpd_client *client; /* opened lazily by libmpd */
	/* Version 2: the descriptors the worker was given, fd_names[i] at
	 * descriptor MPD_FDS_START + i (NULL when nfds is 0). */
	const char *const *fd_names;
	size_t nfds;
};

#endif /* MPD_PROTO_WORKER_H */
