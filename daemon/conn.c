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
 *
 * A reply that carries queue items carries their holds (struct hold): the
 * connection counts the bytes it queued and wrote, and a hold is released
 * as delivered only once the socket has taken its reply's last byte. When
 * the output is dropped instead (a write fails because the peer is gone,
 * the client is killed, the connection closes with output unsent), the
 * holds still waiting are released undelivered and their items go back.
 *
 * A reply may pass descriptors (struct out_fds): the sendmsg() that
 * writes the first bytes of its line carries them as SCM_RIGHTS, and
 * carries no bytes past that line, so the client can tell which line they
 * came with (fdio.c). They are closed here once sent, or when the output
 * is dropped.
 *
 * A peer that half-closes (shutdown(SHUT_WR): socat, nc) is still served:
 * its parked requests stay parked until answered or timed out, and the
 * connection closes once its last reply is written. A peer that closes
 * both ways is gone, and its connection is closed at once.
 */
#include <errno.h>
#include <poll.h>
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
	TAILQ_INIT(&c->holds);
	TAILQ_INIT(&c->out_fds);
	mpd_framer_init(&c->in, mpdd.opt.max_message);
	fdq_init(&c->fdq, MPD_MAX_FDS_PER_MESSAGE);
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

struct out_fds *out_fds_new(void)
{
	return calloc(1, sizeof(struct out_fds));
}

/* Close the descriptors of of (may be NULL) and free it. */
void out_fds_free(struct out_fds *of)
{
	if (of == NULL)
		return;
	for (int i = 0; i < of->n; i++)
		close(of->fds[i]);
	chan_fds_add(of->uid, -(long)of->n); /* req_pass_fd() counted them */
	free(of);
}

/* Drop every descriptor still waiting to be sent. */
static void conn_drop_out_fds(struct conn *c)
{
	struct out_fds *of;

	while ((of = TAILQ_FIRST(&c->out_fds)) != NULL) {
		TAILQ_REMOVE(&c->out_fds, of, entry);
		out_fds_free(of);
	}
}

/*
 * Release every hold of l (emptied): delivered ones oldest first,
 * undelivered ones newest first, so that what goes back to the head of a
 * queue keeps its order.
 */
void hold_release_all(struct hold_list *l, bool delivered)
{
	struct hold *h;

	while ((h = delivered ? TAILQ_FIRST(l) : TAILQ_LAST(l, hold_list)) !=
	       NULL) {
		TAILQ_REMOVE(l, h, entry);
		h->release(h, delivered);
	}
}

/* Tear a connection down now: parked requests cancelled, fds closed, and
 * whatever unsent replies carried given back. */
void conn_close(struct conn *c)
{
	log_debug("connection %llu: closed (%zu unsent bytes)",
		  (unsigned long long)c->id, evbuffer_get_length(c->out));
	/* Batches still open are newer than any reply in out. */
	req_cancel_all(c);
	hold_release_all(&c->holds, false);
	events_conn_closed(c); /* before what its close makes happen */
	proctab_conn_closed(c);
	sync_conn_closed(c);
	listener_conn_closed(c);
	shm_conn_closed(c);
	pool_conn_closed(c);
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
	conn_drop_out_fds(c);
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

/* The connection is beyond use: no more output (what it carried goes
 * back), close from the loop. */
void conn_kill(struct conn *c)
{
	c->dead = true;
	c->closing = true;
	hold_release_all(&c->holds, false);
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	conn_drop_out_fds(c);
	event_del(c->ev_read);
	event_active(c->ev_write, EV_WRITE, 0);
}

/*
 * Write the first bytes of of's line with its descriptors: at most the
 * rest of that line, so that no later line shares the kernel's message.
 * Returns as write().
 */
static int conn_write_fds(struct conn *c, struct out_fds *of)
{
	size_t len = evbuffer_get_length(c->out);
	size_t want = (size_t)(of->end - of->start);
	unsigned char *p;
	ssize_t n;

	if (want > len)
		want = len;
	if (want > CONN_READ_CHUNK)
		want = CONN_READ_CHUNK;
	p = evbuffer_pullup(c->out, (ssize_t)want);
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	n = fdio_send(c->fd, (const char *)p, want, of->fds, of->n);
	if (n <= 0)
		return (int)n;
	evbuffer_drain(c->out, (size_t)n);
	TAILQ_REMOVE(&c->out_fds, of, entry);
	out_fds_free(of); /* the peer has its own now */
	return (int)n;
}

/*
 * Write what the socket takes now, without blocking. On a write error the
 * connection is killed (closed later from the loop); c stays valid.
 */
static void conn_flush(struct conn *c)
{
	bool wrote = false;

	while (!c->dead && evbuffer_get_length(c->out) > 0) {
		struct out_fds *of = TAILQ_FIRST(&c->out_fds);
		struct hold *h;
		int n;

		if (of == NULL)
			n = evbuffer_write(c->out, c->fd);
		else if (of->start == c->out_written)
			n = conn_write_fds(c, of);
		else
			n = evbuffer_write_atmost(
				c->out, c->fd,
				(ev_ssize_t)(of->start - c->out_written));

		if (n > 0) {
			c->out_written += (uint64_t)n;
			while ((h = TAILQ_FIRST(&c->holds)) != NULL &&
			       h->end <= c->out_written) {
				TAILQ_REMOVE(&c->holds, h, entry);
				h->release(h, true);
			}
			wrote = true;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		log_debug("connection %llu: write: %s",
			  (unsigned long long)c->id,
			  n == 0 ? "closed" : strerror(errno));
		conn_kill(c);
	}
	if (wrote && c->want_room && !c->dead) {
		/* Room for the gets that wait for it. */
		c->want_room = false;
		queue_conn_room(c);
	}
	if (wrote && c->events != NULL && !c->dead)
		events_conn_room(c); /* a drop marker it is owed */
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
 * writable. holds (may be NULL; emptied) ride with the line and are
 * released when it is written or dropped. A client whose unread output
 * passes --max-output is dropped. Never frees c: any close is deferred to
 * the loop, so callers may keep using c until they return.
 */
void conn_send_line(struct conn *c, char *line, size_t len,
		    struct hold_list *holds)
{
	conn_send_line_fds(c, line, len, holds, NULL);
}

/* conn_send_line(), passing the descriptors of fds (may be NULL; ours
 * now) with the line. */
void conn_send_line_fds(struct conn *c, char *line, size_t len,
			struct hold_list *holds, struct out_fds *fds)
{
	struct hold *h;

	if (fds != NULL && fds->n == 0) {
		free(fds);
		fds = NULL;
	}
	if (c->dead) {
		free(line);
		if (holds != NULL)
			hold_release_all(holds, false);
		out_fds_free(fds);
		return;
	}
	if (evbuffer_get_length(c->out) + len > mpdd.opt.max_output) {
		log_warnx("connection %llu (pid %ld): dropped, more than %zu "
			  "bytes of replies unread",
			  (unsigned long long)c->id, (long)c->pid,
			  mpdd.opt.max_output);
		free(line);
		if (holds != NULL)
			hold_release_all(holds, false);
		out_fds_free(fds);
		conn_kill(c);
		return;
	}
	if (evbuffer_add_reference(c->out, line, len, conn_free_line_cb,
				   NULL) == -1) {
		free(line);
		log_warnx("connection %llu: out of memory for output; closing",
			  (unsigned long long)c->id);
		if (holds != NULL)
			hold_release_all(holds, false);
		out_fds_free(fds);
		conn_kill(c);
		return;
	}
	if (fds != NULL) {
		fds->start = c->out_queued;
		fds->end = c->out_queued + len;
		TAILQ_INSERT_TAIL(&c->out_fds, fds, entry);
	}
	c->out_queued += len;
	while (holds != NULL && (h = TAILQ_FIRST(holds)) != NULL) {
		TAILQ_REMOVE(holds, h, entry);
		h->end = c->out_queued;
		TAILQ_INSERT_TAIL(&c->holds, h, entry);
	}
	if (event_pending(c->ev_write, EV_WRITE, NULL))
		return; /* the socket is full: wait for it */
	conn_flush(c);
	if (c->dead || evbuffer_get_length(c->out) > 0)
		event_active(c->ev_write, EV_WRITE, 0);
}

/* Queue one message (borrowed) as a line, with holds (may be NULL;
 * emptied); see conn_send_line(). */
void conn_send_held(struct conn *c, const json_t *msg, struct hold_list *holds)
{
	conn_send_fds(c, msg, holds, NULL);
}

/* conn_send_held(), passing the descriptors of fds (may be NULL; ours
 * now) with the message. */
void conn_send_fds(struct conn *c, const json_t *msg, struct hold_list *holds,
		   struct out_fds *fds)
{
	size_t len;
	char *line = NULL;

	if (!c->dead)
		line = mpd_rpc_encode(msg, &len);
	if (line == NULL) {
		if (holds != NULL)
			hold_release_all(holds, false);
		out_fds_free(fds);
		if (c->dead)
			return;
		log_warnx("connection %llu: cannot encode a reply; closing",
			  (unsigned long long)c->id);
		conn_kill(c);
		return;
	}
	conn_send_line_fds(c, line, len, holds, fds);
}

/* Queue one message (borrowed) as a line; see conn_send_line(). */
void conn_send(struct conn *c, const json_t *msg)
{
	conn_send_held(c, msg, NULL);
}

/*
 * A parked request of c was answered or cancelled. A half-closed
 * connection with nothing left parked closes once its output is written.
 */
void conn_parked_done(struct conn *c)
{
	if (c->eof && c->nparked == 0 && !c->closing)
		conn_finish(c);
}

/* Has the peer closed its end both ways (not only half-closed)? */
static bool conn_peer_gone(const struct conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static void conn_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn *c = arg;
	unsigned cut;
	ssize_t n;

	if (c->closing)
		return;
	if (c->backlog) {
		/* Finish the lines left from the last turn before reading
		 * more, so a fast sender cannot grow the input buffer. */
		conn_process(c);
		return;
	}
	cut = c->fdq.truncated;
	n = fdq_read(c->fd, &c->in, &c->fdq, CONN_READ_CHUNK);
	if (c->fdq.truncated != cut)
		log_warnx("connection %llu: more than %d descriptors with one "
			  "message; the rest were discarded",
			  (unsigned long long)c->id, MPD_MAX_FDS_PER_MESSAGE);
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
		if (conn_peer_gone(c)) {
			/* Nobody will read a reply: what they would have
			 * carried stays where it is. */
			log_debug("connection %llu: peer gone",
				  (unsigned long long)c->id);
			conn_close(c);
			return;
		}
		/* Half-closed: the peer still reads. Serve what is parked,
		 * then close once the last reply is written. */
		c->eof = true;
		event_del(c->ev_read);
		if (c->nparked == 0)
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
