/*
 * conn.c - one client connection: input framing, output buffering, teardown.
 *
 * Input is read with recvmsg() straight into the connection's framer, so
 * that file descriptors sent with SCM_RIGHTS arrive with the bytes of the
 * request they belong to (libevent's bufferevents drop ancillary data).
 * fdio.c decides which line they belong to; while that line is dispatched
 * they are in conn->line_fds, and whatever its request does not keep is
 * closed afterwards.
 *
 * Output goes to an evbuffer flushed when the socket is writable. A client
 * that lets more than --max-output bytes of replies pile up is dropped: it
 * cannot make the daemon grow. A line over --max-message gets one error
 * reply and the connection is closed once that reply is flushed, since the
 * framing is lost. All teardown is in conn_close().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "mpdd.h"

/* Bytes asked of one recvmsg(); the framer grows up to max_message. */
#define CONN_READ_CHUNK (64 * 1024)
/* Complete lines dispatched per read event, so one client cannot starve
 * the others; the rest wait in the framer for the next turn. */
#define CONN_LINES_PER_EVENT 256

static void conn_read_cb(evutil_socket_t fd, short events, void *arg);
static void conn_write_cb(evutil_socket_t fd, short events, void *arg);
static void conn_process(struct conn *c);

static void conn_free_line_cb(const void *data, size_t len, void *arg)
{
	free((void *)data);
}

/* Close the current line's descriptors that no handler kept. */
static void conn_drop_line_fds(struct conn *c)
{
	for (int i = 0; i < c->line_nfds; i++)
		if (c->line_fds[i] >= 0)
			close(c->line_fds[i]);
	c->line_nfds = 0;
}

/*
 * Take ownership of an accepted, non-blocking socket. Returns the new
 * connection, or NULL (fd left open for the caller) on failure.
 */
struct conn *conn_new(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	c->fd = fd;
	c->pid = -1;
	c->uid = (uid_t)-1;
	c->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
		c->gid = cred.gid;
	} else {
		log_warn("%s: SO_PEERCRED", __func__);
	}
	/* The peer's supplementary groups: its workers get them. */
	len = sizeof(c->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len) == 0)
		c->ngroups = (int)(len / sizeof(gid_t));
	else
		log_debug("%s: SO_PEERGROUPS: %s", __func__, strerror(errno));
	TAILQ_INIT(&c->parked);
	mpd_framer_init(&c->in, mpdd.opt.max_message);
	fdq_init(&c->fdq);
	c->out = evbuffer_new();
	c->ev_read =
		event_new(mpdd.base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->ev_write = event_new(mpdd.base, fd, EV_WRITE, conn_write_cb, c);
	if (c->out == NULL || c->ev_read == NULL || c->ev_write == NULL ||
	    event_add(c->ev_read, NULL) == -1) {
		log_warnx("%s: cannot allocate connection", __func__);
		if (c->out != NULL)
			evbuffer_free(c->out);
		if (c->ev_read != NULL)
			event_free(c->ev_read);
		if (c->ev_write != NULL)
			event_free(c->ev_write);
		mpd_framer_free(&c->in);
		free(c);
		return NULL;
	}
	c->id = ++mpdd.next_conn_id;
	c->proc_id = proctab_peer(c->pid);
	TAILQ_INSERT_TAIL(&mpdd.conns, c, entry);
	mpdd.nconns++;
	log_debug("connection %llu: pid %ld uid %ld gid %ld process %lld "
		  "(%u open)",
		  (unsigned long long)c->id, (long)c->pid, (long)c->uid,
		  (long)c->gid, (long long)c->proc_id, mpdd.nconns);
	return c;
}

/* Tear a connection down now: parked requests cancelled, fds closed. */
void conn_close(struct conn *c)
{
	log_debug("connection %llu: closed (%zu unsent bytes)",
		  (unsigned long long)c->id, evbuffer_get_length(c->out));
	req_cancel_all(c);
	proctab_conn_closed(c);
	if (mpdd.reader == c)
		mpdd.reader = NULL;
	TAILQ_REMOVE(&mpdd.conns, c, entry);
	mpdd.nconns--;
	event_free(c->ev_read);
	event_free(c->ev_write);
	evbuffer_free(c->out);
	mpd_framer_free(&c->in);
	fdq_clear(&c->fdq);
	conn_drop_line_fds(c);
	close(c->fd);
	free(c);
}

void conn_close_all(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&mpdd.conns)) != NULL)
		conn_close(c);
}

/*
 * Stop reading; close once the output is flushed. Used after an error that
 * loses the framing, so the client still receives the reason. Never frees
 * c at once: the close happens from the write callback, so callers deep in
 * a dispatch may keep using c until they return to the loop.
 */
void conn_finish(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	event_del(c->ev_read);
	shutdown(c->fd, SHUT_RD);
	event_active(c->ev_write, EV_WRITE, 0);
}

/* Bytes of reply the connection can still take before --max-output. */
size_t conn_room(const struct conn *c)
{
	size_t used = evbuffer_get_length(c->out);

	if (c->dead)
		return 0;
	return used < mpdd.opt.max_output ? mpdd.opt.max_output - used : 0;
}

/* The connection is beyond use: no more output, close from the loop. */
void conn_kill(struct conn *c)
{
	c->dead = true;
	c->closing = true;
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	event_del(c->ev_read);
	event_active(c->ev_write, EV_WRITE, 0);
}

/*
 * Write what the socket takes now, without blocking. On a write error the
 * connection is killed (closed later from the loop); c stays valid.
 */
static void conn_flush(struct conn *c)
{
	while (!c->dead && evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);

		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		log_debug("connection %llu: write: %s",
			  (unsigned long long)c->id,
			  n == 0 ? "closed" : strerror(errno));
		conn_kill(c);
	}
}

static void conn_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;

	conn_flush(c);
	if (c->dead || (c->closing && evbuffer_get_length(c->out) == 0)) {
		conn_close(c);
		return;
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->ev_write, NULL);
}

/*
 * Queue one encoded line (malloc'd, ending in '\n'; ours now) and write
 * what the socket takes now; the rest goes out when the socket is
 * writable. A client whose unread output passes --max-output is dropped.
 * Never frees c: any close is deferred to the loop, so callers may keep
 * using c until they return.
 */
void conn_send_line(struct conn *c, char *line, size_t len)
{
	if (c->dead) {
		free(line);
		return;
	}
	if (evbuffer_get_length(c->out) + len > mpdd.opt.max_output) {
		log_warnx("connection %llu (pid %ld): dropped, more than %zu "
			  "bytes of replies unread",
			  (unsigned long long)c->id, (long)c->pid,
			  mpdd.opt.max_output);
		free(line);
		conn_kill(c);
		return;
	}
	if (evbuffer_add_reference(c->out, line, len, conn_free_line_cb,
				   NULL) == -1) {
		free(line);
		log_warnx("connection %llu: out of memory for output; closing",
			  (unsigned long long)c->id);
		conn_kill(c);
		return;
	}
	if (event_pending(c->ev_write, EV_WRITE, NULL))
		return; /* the socket is full: wait for it */
	conn_flush(c);
	if (c->dead || evbuffer_get_length(c->out) > 0)
		event_active(c->ev_write, EV_WRITE, 0);
}

/* Queue one message (borrowed) as a line; see conn_send_line(). */
void conn_send(struct conn *c, const json_t *msg)
{
	size_t len;
	char *line;

	if (c->dead)
		return;
	line = mpd_rpc_encode(msg, &len);
	if (line == NULL) {
		log_warnx("connection %llu: cannot encode a reply; closing",
			  (unsigned long long)c->id);
		conn_kill(c);
		return;
	}
	conn_send_line(c, line, len);
}

static void conn_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	if (c->closing)
		return;
	if (c->backlog) {
		/* Finish the lines left from the last turn before reading
		 * more, so a fast sender cannot grow the input buffer. */
		conn_process(c);
		return;
	}
	n = fdq_read(c->fd, &c->in, &c->fdq, CONN_READ_CHUNK);
	if (n > 0) {
		mpdd.reads++;
		if (c != mpdd.reader) {
			mpdd.reader = c;
			event_base_gettimeofday_cached(mpdd.base,
						       &mpdd.reader_since);
		}
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_debug("connection %llu: read: %s",
			  (unsigned long long)c->id, strerror(errno));
		conn_close(c);
		return;
	}
	if (n == 0) {
		if (mpd_framer_pending(&c->in) > 0)
			log_debug("connection %llu: EOF inside a message, "
				  "%zu bytes discarded",
				  (unsigned long long)c->id,
				  mpd_framer_pending(&c->in));
		/* The peer may still read what is queued for it. */
		conn_finish(c);
		return;
	}
	conn_process(c);
}

/* Dispatch the complete lines buffered, up to CONN_LINES_PER_EVENT. */
static void conn_process(struct conn *c)
{
	uint64_t id = c->id;
	char *line;
	size_t len;

	c->backlog = false;
	for (int i = 0; i < CONN_LINES_PER_EVENT; i++) {
		switch (mpd_framer_next(&c->in, &line, &len)) {
		case MPD_FRAME_NEED_MORE:
			return;
		case MPD_FRAME_TOO_LONG:
			log_warnx("connection %llu (pid %ld): message longer "
				  "than %zu bytes; closing",
				  (unsigned long long)id, (long)c->pid,
				  mpdd.opt.max_message);
			dispatch_error(c, MPD_RPC_LIMIT, NULL);
			conn_finish(c);
			return;
		case MPD_FRAME_LINE:
			break;
		}
		c->line_nfds = fdq_take(&c->fdq, c->in.consumed, c->line_fds,
					MPD_MAX_FDS_PER_MESSAGE);
		dispatch_line(c, line, len);
		conn_drop_line_fds(c);
		if (c->closing)
			return;
	}
	/* More lines may be waiting: come back after the other clients. */
	c->backlog = true;
	event_active(c->ev_read, EV_READ, 0);
}
