/*
 * wait.c - libmpd's wait on many things at once, as Python's
 * multiprocessing.connection.wait(), and process sentinels to wait on.
 *
 * mpd_wait() first asks each pipe and client whether it holds something
 * already (bytes the library read ahead are invisible to poll()), then
 * polls the descriptors, without waiting when something was buffered.
 *
 * A sentinel is a descriptor that turns readable when an mpd process
 * ends. Where the caller sees the worker's pid as the daemon does (the
 * same pid namespace), it is a pidfd: the kernel's own word, and no
 * daemon connection held for it. The pid comes from the daemon's record,
 * so the pidfd is opened first and the record asked again after: if the
 * process still runs with that pid, the pidfd is of our process (see
 * sentinel_pidfd() for why). Elsewhere the
 * daemon waits for us: a process.join sent on a connection of its own,
 * whose answer makes the descriptor readable.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same on every architecture */
#endif

/* Items whose pollfds live on the stack; more are allocated. */
#define WAIT_STACK_ITEMS 16

static int wait_check(const struct mpd_wait_item *it, size_t i,
		      struct mpd_error *err)
{
	int fd;

	switch (it->kind) {
	case MPD_WAIT_PIPE:
		if (it->pipe == NULL)
			return client_fail(err, MPD_E_INVAL, 0,
					   "mpd_wait: item %zu: pipe is NULL",
					   i);
		return 0;
	case MPD_WAIT_CLIENT:
		if (it->client == NULL)
			return client_fail(err, MPD_E_INVAL, 0,
					   "mpd_wait: item %zu: client is "
					   "NULL",
					   i);
		return 0;
	case MPD_WAIT_FD:
	case MPD_WAIT_SENTINEL:
		fd = it->fd;
		if (fd < 0 || fcntl(fd, F_GETFD) < 0)
			return client_fail(err, MPD_E_INVAL, EBADF,
					   "mpd_wait: item %zu: descriptor %d "
					   "is not open",
					   i, fd);
		return 0;
	}
	return client_fail(err, MPD_E_INVAL, 0,
			   "mpd_wait: item %zu: unknown kind %d", i,
			   (int)it->kind);
}

/* The time left until deadline (never negative). */
static struct timespec time_left(const struct timespec *deadline)
{
	struct timespec now, left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left.tv_sec = deadline->tv_sec - now.tv_sec;
	left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_sec--;
		left.tv_nsec += 1000000000L;
	}
	if (left.tv_sec < 0)
		left.tv_sec = left.tv_nsec = 0;
	return left;
}

/* Returns how many items are ready (each marked), or a negative code. */
int mpd_wait(struct mpd_wait_item *items, size_t n, double timeout,
	     struct mpd_error *err)
{
	struct pollfd stack[WAIT_STACK_ITEMS], *pfd = stack;
	struct timespec deadline = { 0 }, left, *tp = NULL;
	bool forever = timeout < 0 || isinf(timeout) || timeout > 1e9;
	size_t i, buffered = 0;
	char ebuf[128];
	int r, count;
	double whole;

	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_wait: timeout is NaN");
	if (items == NULL && n > 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_wait: items is NULL");
	if (n > MPD_WAIT_MAX_ITEMS)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_wait: %zu items, at most %d", n,
				   MPD_WAIT_MAX_ITEMS);
	if (n == 0 && forever)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_wait: no item and no timeout: it would "
				   "wait for ever");
	for (i = 0; i < n; i++) {
		r = wait_check(&items[i], i, err);
		if (r < 0)
			return r;
	}
	if (n > WAIT_STACK_ITEMS) {
		pfd = calloc(n, sizeof(*pfd));
		if (pfd == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	for (i = 0; i < n; i++) {
		const struct mpd_wait_item *it = &items[i];

		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
		switch (it->kind) {
		case MPD_WAIT_PIPE:
			r = pipe_ready(it->pipe, err);
			if (r < 0)
				goto out;
			/* Buffered: no need to look at its descriptor. */
			pfd[i].fd = r ? -1 : mpd_pipe_fd(it->pipe);
			break;
		case MPD_WAIT_CLIENT:
			r = client_buffered(it->client);
			pfd[i].fd = r ? -1 : mpd_client_fd(it->client);
			break;
		default:
			pfd[i].fd = it->fd;
			break;
		}
		if (pfd[i].fd < 0)
			buffered++;
	}

	if (buffered > 0) {
		left.tv_sec = left.tv_nsec = 0;
		tp = &left;
	} else if (!forever) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		whole = floor(timeout);
		deadline.tv_sec += (time_t)whole;
		deadline.tv_nsec += (long)((timeout - whole) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	for (;;) {
		if (buffered == 0 && !forever) {
			left = time_left(&deadline);
			tp = &left;
		}
		r = ppoll(pfd, (nfds_t)n, tp, NULL);
		if (r >= 0)
			break;
		if (errno != EINTR) {
			r = client_fail(err, MPD_E_IO, errno,
					"mpd_wait: poll failed: %s",
					strerror_r(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		/* A signal: the buffered marks are still there. */
	}

	count = 0;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents & POLLNVAL) {
			r = client_fail(err, MPD_E_INVAL, EBADF,
					"mpd_wait: item %zu: descriptor %d was "
					"closed",
					i, pfd[i].fd);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		/* poll() clears the revents of what it skipped (fd -1):
		 * those were ready before it, buffered. */
		items[i].ready = pfd[i].fd < 0 || pfd[i].revents != 0;
		count += items[i].ready;
	}
	r = count;
out:
	if (pfd != stack)
		free(pfd);
	return r;
}

/* A descriptor readable at once: the sentinel of an ended process. */
static int sentinel_ended(int *fd, struct mpd_error *err)
{
	char ebuf[128];
	int e = eventfd(1, EFD_CLOEXEC);

	if (e < 0)
		return client_fail(err, MPD_E_IO, errno,
				   "cannot make an eventfd: %s",
				   strerror_r(errno, ebuf, sizeof(ebuf)));
	*fd = e;
	return 0;
}

/* What a record says: its state ended, not started, or running/starting,
 * and its pid (0 when none). */
enum rec_state { REC_ENDED, REC_CREATED, REC_LIVE };

static int record_state(json_t *rec, long long *pid)
{
	const char *state = json_string_value(json_object_get(rec, "state"));
	json_t *jp = json_object_get(rec, "pid");

	*pid = json_is_integer(jp) ? json_integer_value(jp) : 0;
	if (state == NULL)
		return -1;
	if (strcmp(state, "exited") == 0 || strcmp(state, "failed") == 0)
		return REC_ENDED;
	if (strcmp(state, "created") == 0)
		return REC_CREATED;
	return REC_LIVE;
}

/* Fetch id's record and read its state. Returns enum rec_state, or a
 * negative code. */
static int sentinel_record(struct mpd_client *c, int64_t id, long long *pid,
			   struct mpd_error *err)
{
	json_t *rec = NULL;
	int r = mpd_process_info(c, id, &rec, err);

	if (r < 0)
		return r;
	r = record_state(rec, pid);
	json_decref(rec);
	if (r < 0)
		return client_fail(err, MPD_E_PROTO, 0,
				   "process.info of %" PRId64
				   " has no string state",
				   id);
	if (r == REC_CREATED)
		return client_fail(err, MPD_E_INVALID_STATE, 0,
				   "process %" PRId64
				   " has not been started: it has no sentinel",
				   id);
	return r;
}

/*
 * Whether the daemon sees pids as we do: its pid namespace is ours. The
 * peer of our connection is the process that listened (mpdd, or the
 * service manager that made its socket, in the same namespace as a
 * rule); a peer we cannot see (pid 0) or whose namespace we may not read
 * is taken as another namespace.
 */
static bool same_pid_ns(struct mpd_client *c)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64], mine[64], theirs[64];
	ssize_t a, b;

	if (getsockopt(mpd_client_fd(c), SOL_SOCKET, SO_PEERCRED, &cr, &len) <
		    0 ||
	    cr.pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)cr.pid);
	a = readlink("/proc/self/ns/pid", mine, sizeof(mine));
	b = readlink(path, theirs, sizeof(theirs));
	return a > 0 && a < (ssize_t)sizeof(mine) && a == b &&
	       memcmp(mine, theirs, (size_t)a) == 0;
}

/*
 * The daemon-side wait: a fresh connection with process.join of id sent
 * and its writing side shut down. Returns 0 with *fd, or a negative code.
 */
static int sentinel_join(struct mpd_client *c, int64_t id, int *fd,
			 struct mpd_error *err)
{
	struct mpd_client *w = NULL;
	json_t *req;
	char ebuf[128];
	char *line = NULL;
	size_t len, off = 0;
	ssize_t k;
	int r, s = -1;

	r = mpd_connect(&w, mpd_client_socket(c), err);
	if (r < 0)
		return r;
	req = mpd_rpc_request_new(1, MPD_M_PROCESS_JOIN,
				  json_pack("{s:I}", "id", (json_int_t)id));
	if (req != NULL)
		line = mpd_rpc_encode(req, &len);
	json_decref(req);
	if (line == NULL) {
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		goto out;
	}
	/* The client goes; its socket stays, as the sentinel. */
	s = fcntl(mpd_client_fd(w), F_DUPFD_CLOEXEC, 0);
	if (s < 0) {
		r = client_fail(err, MPD_E_IO, errno,
				"cannot duplicate a descriptor: %s",
				strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	while (off < len) {
		k = send(s, line + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = client_fail(err, MPD_E_IO, errno,
					"cannot send to mpdd: %s",
					strerror_r(errno, ebuf, sizeof(ebuf)));
			goto out;
		}
		off += (size_t)k;
	}
	/* Half-closed, the daemon keeps the join parked until it answers. */
	shutdown(s, SHUT_WR);
	*fd = s;
	s = -1;
	r = 0;
out:
	if (s >= 0)
		close(s);
	free(line);
	mpd_close(w);
	return r;
}

static int sentinel_check(const char *fn, struct mpd_client *c, int64_t id,
			  int *fd, struct mpd_error *err)
{
	if (c == NULL || fd == NULL)
		return client_fail(err, MPD_E_INVAL, 0, "%s: %s is NULL", fn,
				   c == NULL ? "client" : "fd");
	if (id < 1)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: process id %" PRId64 " is not >= 1", fn,
				   id);
	return 0;
}

/* Returns 0 with *fd, or a negative code; see mpd.h. */
int mpd_process_sentinel_daemon(struct mpd_client *c, int64_t id, int *fd,
				struct mpd_error *err)
{
	long long pid;
	int r = sentinel_check("mpd_process_sentinel_daemon", c, id, fd, err);

	if (r < 0)
		return r;
	/* A join of what is not there, or not started, would answer at
	 * once with an error, which a sentinel cannot tell from an end. */
	r = sentinel_record(c, id, &pid, err);
	if (r < 0)
		return r;
	return sentinel_join(c, id, fd, err);
}

/*
 * A pidfd of the process id ran as pid, checked against its record after
 * it was opened. Returns 0 with *fd (a pidfd, or a readable eventfd when
 * it ended), 1 when no pidfd can serve (use the daemon), or a negative
 * code.
 *
 * Why the check is enough: pidfd_open() could have opened another process
 * only if ours had ended and its pid had been freed and reused before the
 * open. The record asked after the open still says running with that
 * pid, so the daemon had not taken in the end. The template reaps a
 * child only after it has written its exit to mpdd, and mpdd reaps the
 * ones it inherits itself, so the pid can be free while the record says
 * running only for the moment mpdd takes to read that report; a reuse
 * would need the kernel's cyclic pid allocation to come round to the
 * same pid within it.
 */
static int sentinel_pidfd(struct mpd_client *c, int64_t id, long long pid,
			  int *fd, struct mpd_error *err)
{
	long long again;
	int pfd, r;

	if (pid <= 0 || pid > INT_MAX)
		return 1;
	pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (pfd < 0)
		return 1; /* ENOSYS, ESRCH (ended, or not in our view) */
	r = sentinel_record(c, id, &again, err);
	if (r == REC_LIVE && again == pid) {
		*fd = pfd;
		return 0;
	}
	close(pfd);
	if (r == REC_ENDED)
		return sentinel_ended(fd, err);
	return r < 0 ? r : 1;
}

/* Returns 0 with *fd, or a negative code; see mpd.h. */
int mpd_process_sentinel(struct mpd_client *c, int64_t id, int *fd,
			 struct mpd_error *err)
{
	long long pid;
	int r = sentinel_check("mpd_process_sentinel", c, id, fd, err);

	if (r < 0)
		return r;
	r = sentinel_record(c, id, &pid, err);
	if (r < 0)
		return r;
	if (r == REC_ENDED)
		return sentinel_ended(fd, err);
	if (pid > 0 && same_pid_ns(c)) {
		r = sentinel_pidfd(c, id, pid, fd, err);
		if (r <= 0)
			return r;
	}
	return sentinel_join(c, id, fd, err);
}
