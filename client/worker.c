/*
 * worker.c - libmpd's worker side: what a process mpd started knows of
 * itself.
 *
 * A function target gets a struct mpd_worker filled by the daemon's worker
 * code; it reaches it only through these accessors, which check the magic
 * and layout version of proto/worker.h first, since the two sides are
 * compiled apart. Any program mpd started, exec'd ones included, can build
 * the same description from the MPD_* environment variables every worker
 * gets: mpd_current_process() does that once per process. The
 * descriptors a worker was given are found by name: mpd_worker_fd() in
 * the struct (version 2 and up), mpd_fd_by_name() in MPD_FDS.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"
#include "worker.h"

/* w is a worker whose layout this library knows: any version up to its
 * own (each only appended members to the one before). */
static bool worker_ok(const mpd_worker *w)
{
	return w != NULL && w->magic == MPD_WORKER_MAGIC && w->version >= 1 &&
	       w->version <= MPD_WORKER_VERSION;
}

/* The index of name in the n names, or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Returns the descriptor w was given as name, or a negative code. */
int mpd_worker_fd(const mpd_worker *w, const char *name)
{
	int i;

	if (!worker_ok(w) || name == NULL)
		return MPD_E_INVAL;
	/* Version 1 had no descriptors. */
	if (w->version < 2 || w->nfds == 0)
		return MPD_E_NOT_FOUND;
	i = name_index(w->fd_names, w->nfds, name);
	return i < 0 ? MPD_E_NOT_FOUND : MPD_FDS_START + i;
}

/* Returns the descriptor MPD_FDS names name, or a negative code. */
int mpd_fd_by_name(const char *name)
{
	const char *v = getenv(MPD_ENV_FDS), *p, *end;
	size_t len;
	int i = 0, fd;

	if (name == NULL || name[0] == '\0')
		return MPD_E_INVAL;
	len = strlen(name);
	for (p = v; p != NULL && *p != '\0';
	     p = *end == ':' ? end + 1 : end, i++) {
		end = strchrnul(p, ':');
		if ((size_t)(end - p) != len || memcmp(p, name, len) != 0)
			continue;
		fd = MPD_FDS_START + i;
		return fcntl(fd, F_GETFD) != -1 ? fd : MPD_E_NOT_FOUND;
	}
	return MPD_E_NOT_FOUND;
}

/* Returns the id (>= 1), or 0 for a NULL or foreign w. */
int64_t mpd_worker_id(const mpd_worker *w)
{
	return worker_ok(w) ? w->id : 0;
}

/* Returns the name (borrowed from w), or NULL for a NULL or foreign w. */
const char *mpd_worker_name(const mpd_worker *w)
{
	return worker_ok(w) ? w->name : NULL;
}

/* Returns the parent's id, or 0 (none, or a NULL or foreign w). */
int64_t mpd_worker_parent(const mpd_worker *w)
{
	return worker_ok(w) ? w->parent : 0;
}

/* Returns the socket path (borrowed from w), or NULL. */
const char *mpd_worker_socket(const mpd_worker *w)
{
	return worker_ok(w) ? w->socket : NULL;
}

/* Returns w's client (borrowed, opened at the first call), or NULL with
 * *err filled. */
struct mpd_client *mpd_worker_client(mpd_worker *w, struct mpd_error *err)
{
	if (!worker_ok(w)) {
		client_fail(err, MPD_E_INVAL, 0,
			    "mpd_worker_client: not an mpd worker");
		return NULL;
	}
	if (w->client == NULL && mpd_connect(&w->client, w->socket, err) < 0)
		return NULL;
	return w->client;
}

static pthread_once_t current_once = PTHREAD_ONCE_INIT;
static struct mpd_worker current;
static bool current_valid;
/* Its descriptors' names, from MPD_FDS: pointers into fds_copy. */
static const char *current_fds[MPD_MAX_FDS_PER_MESSAGE];

/* Parse s as a whole decimal int64 >= 1. Returns it, or 0. */
static int64_t parse_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1)
		return 0;
	return (int64_t)v;
}

/* Build current from the environment; run once. */
static void current_init(void)
{
	const char *name = getenv(MPD_ENV_PROCESS_NAME);
	const char *sock = getenv(MPD_ENV_SOCKET);
	int64_t id = parse_id(getenv(MPD_ENV_PROCESS_ID));
	char *name_copy = NULL, *sock_copy = NULL;
	const char *fds;

	if (id == 0)
		return;
	if (sock != NULL && sock[0] == '\0')
		sock = NULL;
	/* Copies: the environment may change after this. */
	name_copy = strdup(name != NULL ? name : "");
	if (sock != NULL)
		sock_copy = strdup(sock);
	if (name_copy == NULL || (sock != NULL && sock_copy == NULL)) {
		free(name_copy);
		free(sock_copy);
		return;
	}
	fds = getenv(MPD_ENV_FDS);
	if (fds != NULL && fds[0] != '\0') {
		char *copy = strdup(fds), *save = NULL, *n;

		if (copy == NULL) {
			free(name_copy);
			free(sock_copy);
			return;
		}
		for (n = strtok_r(copy, ":", &save);
		     n != NULL && current.nfds < MPD_MAX_FDS_PER_MESSAGE;
		     n = strtok_r(NULL, ":", &save))
			current_fds[current.nfds++] = n;
		current.fd_names = current_fds;
	}
	current.magic = MPD_WORKER_MAGIC;
	current.version = MPD_WORKER_VERSION;
	current.id = id;
	current.parent = parse_id(getenv(MPD_ENV_PARENT_ID));
	current.name = name_copy;
	current.socket = sock_copy;
	current.client = NULL;
	current_valid = true;
}

/* Returns the current worker (static, the same each call), or NULL. */
mpd_worker *mpd_current_process(void)
{
	pthread_once(&current_once, current_init);
	return current_valid ? &current : NULL;
}

/* Returns the current worker's parent id, or 0. */
int64_t mpd_parent_process(void)
{
	return mpd_worker_parent(mpd_current_process());
}
