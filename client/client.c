/*
 * client.c - libmpd's connection: connect, one synchronous call, close.
 *
 * A call encodes one JSON-RPC request with proto's envelope helpers, writes
 * it as one line (with any file descriptors as SCM_RIGHTS on its first
 * byte, so the daemon attaches them to this request), then reads into a
 * proto framer until the line answering that request's id arrives,
 * keeping the events and answering the asynchronous calls it meets on the
 * way.
 * A reply may pass descriptors (a listener's end, a shared memory
 * segment): they come as SCM_RIGHTS with its line (proto/fdio.c matches
 * them to it), wait in the client until the caller takes them with
 * mpd_take_fd(), and are closed at the next call if it does not.
 * Every response is checked before use: a line that is not JSON, not a
 * response, answers another id or is longer than the client's limit leaves
 * the stream out of step, so the client is marked broken and refuses later
 * calls instead of misreading them.
 *
 * Asynchronous calls (mpd_call_async(), events.c) send without waiting:
 * their ids wait on c->pending, and whichever read meets their response (a
 * synchronous call waiting for its own, or mpd_dispatch()) runs their
 * callback. Event notifications (mpd.event) are kept in a bounded ring,
 * oldest first, for mpd_next_event() or the event handler; when it is
 * full, a marker of the client's own counts what it could not keep.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "fdio.h"
#include "mpd.h"
#include "proto.h"

/* Longest response line accepted; a longer one breaks the client. */
#define MPD_CLIENT_MAX_RESPONSE (64 * 1024 * 1024)
/* Events a client keeps for mpd_next_event(), its marker included. */
#define MPD_CLIENT_EVENTS MPD_EVENTS_KEPT
/* Bytes asked of the framer for each recv(). */
#define MPD_CLIENT_READ_CHUNK (64 * 1024)
/* Ids wrap before 2^53, so peers that read numbers as doubles keep them. */
#define MPD_CLIENT_MAX_ID (((json_int_t)1 << 53) - 1)
/* Scratch space for formatting a message before it is cut to fit. */
#define MPD_CLIENT_MSG_MAX 1024

#define MPD_SUN_PATH_MAX sizeof(((struct sockaddr_un *)NULL)->sun_path)

/* An asynchronous call waiting for its response. */
struct client_pending {
	struct client_pending *next;
	json_int_t id;
	mpd_reply_fn fn; /* NULL: the response is dropped */
	void *arg;
};

struct mpd_client {
	int fd;
	bool broken; /* the stream is out of step: refuse calls */
	json_int_t next_id; /* id of the next request */
	struct mpd_framer in; /* bytes read and not yet consumed */
	struct fdq fdq; /* descriptors read, waiting for their line */
	int reply_fds[MPD_MAX_FDS_PER_MESSAGE]; /* the last reply's; -1 taken */
	int reply_nfds;
	json_t *err_data; /* the last daemon error's data, or NULL */
	/* The last successful response: its line, in the framer's buffer
	 * (untouched until the next call reads), and its result once
	 * mpd_last_result() has parsed it. */
	const char *last_line;
	size_t last_len;
	json_t *last_result;
	char socket[MPD_SUN_PATH_MAX]; /* the path we connected to */
	/* Asynchronous calls in flight, oldest first. */
	struct client_pending *pending, **pending_tail;
	/* Events received and not yet taken: a ring of MPD_CLIENT_EVENTS
	 * (allocated with the first), oldest at ev_head. */
	json_t **ev;
	size_t ev_head, ev_count;
	mpd_event_fn ev_fn; /* mpd_set_event_handler()'s */
	void *ev_arg;
};

/* What reading one line of the stream decided. */
enum client_line {
	CLIENT_LINE_SKIP = 1, /* a notification or another's response */
};

/* The id a synchronous call waits for when none does (ids start at 1). */
#define CLIENT_NO_CALL 0

static void client_fail_pending(struct mpd_client *c, int code,
				const char *why);

/*
 * Copy src into dst (size > 0), cut to fit without splitting a UTF-8
 * sequence, always NUL-terminated.
 */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		/* Back off over continuation bytes to a sequence start. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *errno_text(int e, char *buf, size_t size)
{
	/* The GNU strerror_r: returns a static string or writes buf. */
	return strerror_r(e, buf, size);
}

/* Fills *err (if any) and returns code; see client.h. */
int client_fail(struct mpd_error *err, int code, int sys_errno, const char *fmt,
		...)
{
	char msg[MPD_CLIENT_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return code;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	} else {
		copy_cut(msg, sizeof(msg), mpd_strerror(code));
	}
	err->code = code;
	copy_cut(err->name, sizeof(err->name), mpd_err_name(code));
	copy_cut(err->message, sizeof(err->message), msg);
	err->sys_errno = sys_errno;
	err->data = NULL;
	return code;
}

/* Like client_fail(), and the client can no longer be used. */
__attribute__((format(printf, 5, 6))) static int
client_break(struct mpd_client *c, struct mpd_error *err, int code,
	     int sys_errno, const char *fmt, ...)
{
	char msg[MPD_CLIENT_MSG_MAX];
	va_list ap;

	c->broken = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* No response will come to what is in flight. */
	client_fail_pending(c, MPD_E_IO, msg);
	return client_fail(err, code, sys_errno, "%s", msg);
}

/* The library code for an error code received on the wire. */
static int client_map_code(int wire)
{
	switch (wire) {
#define X(e, code, name, msg) \
	case (code):          \
		return MPD_E_##e;
		MPD_ERRORS(X)
#undef X
	}
	return MPD_E_REMOTE;
}

/*
 * Turn the daemon's error response into a code, its details into *err and
 * keep its data in the client for err->data.
 */
static int client_remote_error(struct mpd_client *c,
			       const struct mpd_rpc_response *resp,
			       struct mpd_error *err)
{
	if (resp->data != NULL)
		c->err_data = json_incref(resp->data);
	return client_error_fill(err, resp->code, resp->message, c->err_data);
}

/* Fills *err (if any) from an error the daemon sent; see client.h. */
int client_error_fill(struct mpd_error *err, int wire, const char *message,
		      const json_t *data)
{
	int code = client_map_code(wire);
	json_t *name = NULL;

	if (err == NULL)
		return code;
	if (json_is_object(data))
		name = json_object_get(data, "name");
	err->code = code;
	copy_cut(err->name, sizeof(err->name),
		 json_is_string(name) ? json_string_value(name) :
					mpd_err_name(code));
	copy_cut(err->message, sizeof(err->message),
		 message != NULL ? message : mpd_strerror(code));
	err->sys_errno = 0;
	err->data = data;
	return code;
}

/* Keeps data for err->data; see client.h. */
const json_t *client_keep_err_data(struct mpd_client *c, json_t *data)
{
	json_decref(c->err_data);
	c->err_data = json_incref(data);
	return c->err_data;
}

/* The length of the last successful response's line; see client.h. */
size_t client_last_len(const struct mpd_client *c)
{
	return c->last_len;
}

/*
 * Wait for a connect() that a signal interrupted to finish. Returns 0, or
 * -errno.
 */
static int client_connect_wait(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	while (poll(&pfd, 1, -1) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

/* Close the last reply's descriptors that the caller did not take. */
static void client_drop_fds(struct mpd_client *c)
{
	for (int i = 0; i < c->reply_nfds; i++)
		if (c->reply_fds[i] >= 0)
			close(c->reply_fds[i]);
	c->reply_nfds = 0;
}

/* Returns the descriptor (now the caller's), or a negative code. */
int mpd_take_fd(struct mpd_client *c, int index)
{
	int fd;

	if (c == NULL)
		return MPD_E_INVAL;
	if (index < 0 || index >= c->reply_nfds || c->reply_fds[index] < 0)
		return MPD_E_PROTO;
	fd = c->reply_fds[index];
	c->reply_fds[index] = -1;
	return fd;
}

/* Returns 0 with *out a new client, or a negative code; see mpd.h. */
int mpd_connect(struct mpd_client **out, const char *path,
		struct mpd_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char def[MPD_SUN_PATH_MAX];
	char ebuf[128];
	struct mpd_client *c = NULL;
	int r;

	if (out == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_connect: out is NULL");
	if (path == NULL) {
		r = mpd_default_socket_path(def, sizeof(def));
		if (r == -ENOENT)
			return client_fail(err, MPD_E_CONNECT, 0,
					   "cannot find mpdd: neither %s nor "
					   "XDG_RUNTIME_DIR is set",
					   MPD_SOCKET_ENV);
		if (r < 0)
			return client_fail(
				err, MPD_E_CONNECT, -r,
				"cannot use the default mpdd socket: "
				"%s",
				errno_text(-r, ebuf, sizeof(ebuf)));
		path = def;
	} else if (path[0] == '\0') {
		return client_fail(err, MPD_E_INVAL, 0, "socket path is empty");
	} else if (strlen(path) >= sizeof(sa.sun_path)) {
		return client_fail(err, MPD_E_INVAL, 0,
				   "socket path too long (at most %zu bytes): "
				   "%s",
				   sizeof(sa.sun_path) - 1, path);
	}

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	c->fd = -1;
	c->next_id = 1;
	c->pending_tail = &c->pending;
	mpd_framer_init(&c->in, MPD_CLIENT_MAX_RESPONSE);
	fdq_init(&c->fdq, MPD_MAX_FDS_PER_MESSAGE);
	memcpy(c->socket, path, strlen(path) + 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	if (r == -EINTR)
		r = client_connect_wait(c->fd);
	if (r < 0)
		goto fail;
	*out = c;
	return 0;

fail:
	client_fail(err, r == -ENOMEM ? MPD_E_NOMEM : MPD_E_CONNECT, -r,
		    "cannot connect to mpdd at %s: %s", c->socket,
		    errno_text(-r, ebuf, sizeof(ebuf)));
	mpd_close(c);
	return r == -ENOMEM ? MPD_E_NOMEM : MPD_E_CONNECT;
}

/* Closes and frees c (NULL is a no-op). */
void mpd_close(struct mpd_client *c)
{
	int saved = errno;

	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	client_fail_pending(c, MPD_E_IO, "the client was closed");
	while (c->ev_count > 0)
		json_decref(client_event_pop(c));
	free(c->ev);
	client_drop_fds(c);
	fdq_clear(&c->fdq);
	mpd_framer_free(&c->in);
	json_decref(c->err_data);
	json_decref(c->last_result);
	free(c);
	errno = saved;
}

/* Returns the socket path (borrowed from c), or NULL. */
const char *mpd_client_socket(const struct mpd_client *c)
{
	return c != NULL ? c->socket : NULL;
}

/* Returns the connection's fd (still owned by c), or MPD_E_INVAL. */
int mpd_client_fd(const struct mpd_client *c)
{
	return c != NULL ? c->fd : MPD_E_INVAL;
}

/* Returns 1 when a line is buffered in c, else 0; see client.h. */
int client_buffered(const struct mpd_client *c)
{
	size_t n = mpd_framer_pending(&c->in);

	/* Events kept during a synchronous call are as good as a line. */
	if (c->ev_count > 0)
		return 1;
	return n > 0 && memchr(c->in.buf + c->in.start, '\n', n) != NULL;
}

/*
 * Write all of buf, with fds (nfds of them, may be 0) as SCM_RIGHTS on its
 * first byte: the whole line goes to one sendmsg(), and what the kernel did
 * not take of it follows with plain send(), so the descriptors travel once.
 * Returns 0 when the line went out, and also when the peer is gone (EPIPE,
 * ECONNRESET), so the caller can still read what it said before closing;
 * MPD_E_INVAL when a descriptor to pass is not open (nothing was sent, the
 * client stays usable); or fails the call and breaks the client on other
 * errors.
 */
static int client_send(struct mpd_client *c, const char *buf, size_t len,
		       const int *fds, size_t nfds, struct mpd_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MPD_MAX_FDS_PER_MESSAGE)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	char ebuf[128];
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		if (off == 0 && nfds > 0) {
			iov.iov_base = (void *)buf;
			iov.iov_len = len;
			memset(&mh, 0, sizeof(mh));
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		} else {
			n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		}
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno == EBADF && off == 0 && nfds > 0)
			return client_fail(err, MPD_E_INVAL, EBADF,
					   "a descriptor to pass is not open");
		return client_break(c, err, MPD_E_IO, errno,
				    "cannot send to mpdd: %s",
				    errno_text(errno, ebuf, sizeof(ebuf)));
	}
	return 0;
}

/* Take the asynchronous call of id off the pending list (NULL: none). */
static struct client_pending *client_pending_take(struct mpd_client *c,
						  json_int_t id)
{
	struct client_pending **pp, *p;

	for (pp = &c->pending; (p = *pp) != NULL; pp = &p->next) {
		if (p->id != id)
			continue;
		*pp = p->next;
		if (c->pending_tail == &p->next)
			c->pending_tail = pp;
		return p;
	}
	return NULL;
}

/* Run p's callback with its response resp (fds, if any, in c's reply
 * slots for mpd_take_fd()), and free p. */
static void client_pending_done(struct mpd_client *c, struct client_pending *p,
				const struct mpd_rpc_response *resp)
{
	struct mpd_error e = { 0 };
	int code = 0;

	if (resp->error)
		code = client_error_fill(&e, resp->code, resp->message,
					 resp->data);
	if (p->fn != NULL)
		p->fn(c, code, resp->error ? NULL : resp->result,
		      resp->error ? &e : NULL, p->arg);
	free(p);
}

/* Tell every asynchronous call in flight that it failed with code and
 * why: the connection broke or the client closes. */
static void client_fail_pending(struct mpd_client *c, int code, const char *why)
{
	struct client_pending *p;
	struct mpd_error e;

	while ((p = c->pending) != NULL) {
		c->pending = p->next;
		if (c->pending == NULL)
			c->pending_tail = &c->pending;
		client_fail(&e, code, 0, "%s", why);
		if (p->fn != NULL)
			p->fn(c, code, NULL, &e, p->arg);
		free(p);
	}
}

/* Take the oldest event kept (a new reference), or NULL. */
json_t *client_event_pop(struct mpd_client *c)
{
	json_t *ev;

	if (c->ev_count == 0)
		return NULL;
	ev = c->ev[c->ev_head];
	c->ev[c->ev_head] = NULL;
	c->ev_head = (c->ev_head + 1) % MPD_CLIENT_EVENTS;
	c->ev_count--;
	return ev;
}

size_t client_events_kept(const struct mpd_client *c)
{
	return c->ev_count;
}

/*
 * Keep the params of an event notification. The last slot of a full ring
 * holds a marker of the client's own ({"kind": "events", "event":
 * "dropped", "count": N, "client": true}) counting what arrived while
 * there was no room, so nothing is lost silently and order is kept.
 */
static void client_event_keep(struct mpd_client *c, json_t *params)
{
	json_t *last = NULL;

	if (!json_is_object(params))
		return;
	if (c->ev == NULL &&
	    (c->ev = calloc(MPD_CLIENT_EVENTS, sizeof(*c->ev))) == NULL)
		return;
	if (c->ev_count > 0)
		last = c->ev[(c->ev_head + c->ev_count - 1) % MPD_CLIENT_EVENTS];
	if (c->ev_count >= MPD_CLIENT_EVENTS - 1) {
		/* The last slot is the marker's. */
		if (json_is_true(json_object_get(last, "client"))) {
			json_t *n = json_object_get(last, "count");

			json_object_set_new(
				last, "count",
				json_integer(json_integer_value(n) + 1));
			return;
		}
		params = json_pack("{s:s, s:s, s:i, s:b}", "kind", "events",
				   "event", "dropped", "count", 1, "client", 1);
		if (params == NULL)
			return;
	} else {
		json_incref(params);
	}
	c->ev[(c->ev_head + c->ev_count) % MPD_CLIENT_EVENTS] = params;
	c->ev_count++;
}

/*
 * Act on one line from the daemon while waiting for the response to id
 * (CLIENT_NO_CALL: none waits). Returns 0 when it was our successful
 * response (*result set if result is not NULL), CLIENT_LINE_SKIP for a
 * notification (an event is kept) or an asynchronous call's response (its
 * callback has run), or a negative code.
 */
static int client_line(struct mpd_client *c, const char *line, size_t len,
		       json_int_t id, json_t **result, struct mpd_error *err)
{
	struct mpd_rpc_response resp;
	struct client_pending *p = NULL;
	json_error_t jerr;
	const char *why = NULL;
	json_t *msg = NULL, *method;
	int r;

	msg = mpd_json_parse(line, len, 0, &jerr);
	if (msg == NULL)
		return client_break(c, err, MPD_E_PROTO, 0,
				    "mpdd sent invalid JSON: %s", jerr.text);
	if (json_is_object(msg) &&
	    (method = json_object_get(msg, "method")) != NULL &&
	    json_object_get(msg, "id") == NULL) {
		if (json_is_string(method) &&
		    strcmp(json_string_value(method), MPD_EVENT_METHOD) == 0)
			client_event_keep(c, json_object_get(msg, "params"));
		r = CLIENT_LINE_SKIP;
		goto out;
	}
	if (mpd_rpc_parse_response(msg, &resp, &why) < 0) {
		r = client_break(c, err, MPD_E_PROTO, 0,
				 "invalid response from mpdd: %s",
				 why != NULL ? why : "malformed");
		goto out;
	}
	/*
	 * An error with a null id answers a request the daemon could not
	 * read: the synchronous call's, when one waits (the library sends
	 * nothing the daemon cannot read), else the oldest in flight.
	 */
	if (resp.error && json_is_null(resp.id) && id == CLIENT_NO_CALL &&
	    c->pending != NULL)
		p = client_pending_take(c, c->pending->id);
	else if (json_is_integer(resp.id) && json_integer_value(resp.id) != id)
		p = client_pending_take(c, json_integer_value(resp.id));
	if (p != NULL) {
		client_pending_done(c, p, &resp);
		r = CLIENT_LINE_SKIP;
		goto out;
	}
	if (id == CLIENT_NO_CALL || (!(resp.error && json_is_null(resp.id)) &&
				     !(json_is_integer(resp.id) &&
				       json_integer_value(resp.id) == id))) {
		r = client_break(c, err, MPD_E_PROTO, 0,
				 "mpdd answered another request (expected id "
				 "%" JSON_INTEGER_FORMAT ")",
				 id);
		goto out;
	}
	if (resp.error) {
		r = client_remote_error(c, &resp, err);
		goto out;
	}
	c->last_line = line;
	c->last_len = len;
	if (result != NULL)
		*result = json_incref(resp.result);
	r = 0;
out:
	json_decref(msg);
	return r;
}

/*
 * The next complete line buffered, with the descriptors that came with it
 * (the last line's not taken are closed). Returns 1 with *line and *len
 * set, 0 when no complete line is buffered, or a negative code (a line
 * too long breaks the client).
 */
static int client_take_line(struct mpd_client *c, char **line, size_t *len,
			    struct mpd_error *err)
{
	enum mpd_frame_status st = mpd_framer_next(&c->in, line, len);

	if (st == MPD_FRAME_TOO_LONG)
		return client_break(c, err, MPD_E_TOOBIG, 0,
				    "response from mpdd longer than %d bytes",
				    MPD_CLIENT_MAX_RESPONSE);
	if (st != MPD_FRAME_LINE)
		return 0;
	client_drop_fds(c);
	c->reply_nfds = fdq_take(&c->fdq, c->in.consumed, c->reply_fds,
				 MPD_MAX_FDS_PER_MESSAGE);
	return 1;
}

/*
 * Read once from the socket into the framer. Returns 1 when bytes came,
 * 0 when the read was interrupted (or, with again_ok, would block): read
 * again; or a negative code (the client is broken; MPD_E_IO when mpdd
 * closed the connection).
 */
static int client_fill(struct mpd_client *c, bool again_ok,
		       struct mpd_error *err)
{
	char ebuf[128];
	ssize_t n = fdq_read(c->fd, &c->in, &c->fdq, MPD_CLIENT_READ_CHUNK);

	if (n > 0)
		return 1;
	if (n == 0)
		return client_break(c, err, MPD_E_IO, 0,
				    "connection closed by mpdd");
	if (errno == EINTR || (again_ok && errno == EAGAIN))
		return 0;
	if (errno == ENOMEM)
		return client_break(c, err, MPD_E_NOMEM, ENOMEM,
				    "out of memory reading from mpdd");
	return client_break(c, err, MPD_E_IO, errno,
			    "cannot receive from mpdd: %s",
			    errno_text(errno, ebuf, sizeof(ebuf)));
}

/*
 * Read until the response to id. Returns as client_line() for our
 * response; a failure to read or frame breaks the client.
 */
static int client_receive(struct mpd_client *c, json_int_t id, json_t **result,
			  struct mpd_error *err)
{
	size_t len;
	char *line;
	int r;

	for (;;) {
		r = client_take_line(c, &line, &len, err);
		if (r < 0)
			return r;
		if (r == 1) {
			r = client_line(c, line, len, id, result, err);
			if (r == CLIENT_LINE_SKIP || r < 0)
				client_drop_fds(c);
			if (r == CLIENT_LINE_SKIP)
				continue;
			return r;
		}
		if ((r = client_fill(c, false, err)) < 0)
			return r;
	}
}

/* Run the event handler, if one is set, on every event kept. */
void client_deliver_events(struct mpd_client *c)
{
	json_t *ev;

	while (c->ev_fn != NULL && (ev = client_event_pop(c)) != NULL) {
		c->ev_fn(c, ev, c->ev_arg);
		json_decref(ev);
	}
}

void client_set_event_handler(struct mpd_client *c, mpd_event_fn fn, void *arg)
{
	c->ev_fn = fn;
	c->ev_arg = arg;
}

int mpd_pending(const struct mpd_client *c)
{
	return c != NULL && (c->ev_count > 0 || mpd_framer_pending(&c->in) > 0);
}

/*
 * With no synchronous call waiting: act on every complete line buffered
 * (events are kept or handed to the handler, responses to their
 * callbacks); when there was none, wait up to timeout_ms (-1: as long as
 * it takes, 0: not at all) for the socket, read once, and act on what came.
 * Returns the lines acted on (0: none came in time), or a negative code
 * (the client is broken: MPD_E_IO when mpdd closed the connection).
 */
int client_read_ready(struct mpd_client *c, int timeout_ms,
		      struct mpd_error *err)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char ebuf[128];
	bool have_read = false;
	int handled = 0, r;
	size_t len;
	char *line;

	if (c->broken)
		return client_fail(err, MPD_E_IO, 0,
				   "connection to mpdd was lost by an earlier "
				   "error");
	/* The last result's text is in the framer: keep it before the
	 * framer moves on. */
	if (c->last_line != NULL)
		mpd_last_result(c);
	for (;;) {
		r = client_take_line(c, &line, &len, err);
		if (r < 0)
			return r;
		if (r == 1) {
			r = client_line(c, line, len, CLIENT_NO_CALL, NULL,
					err);
			client_drop_fds(c);
			if (r < 0)
				return r;
			handled++;
			client_deliver_events(c);
			continue;
		}
		if (handled > 0 || have_read)
			return handled;
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return client_break(c, err, MPD_E_IO, errno,
					    "cannot poll the mpdd socket: %s",
					    errno_text(errno, ebuf,
						       sizeof(ebuf)));
		if (r == 0)
			return 0;
		if ((r = client_fill(c, true, err)) < 0)
			return r;
		have_read = r > 0;
	}
}

/* Returns 0 with *result a new reference, or a negative code; see mpd.h. */
/*
 * The request line for a method name of plain ASCII (every method is),
 * written around the encoded params without building the envelope as a
 * JSON object. NULL when the name needs escaping or memory is short: the
 * caller then builds it the long way, which also tells the two apart.
 */
static char *request_line(json_int_t id, const char *method, json_t *params,
			  size_t *len)
{
	char *ptext = NULL, *line;
	size_t plen = 0, mlen = strlen(method), n;

	for (const char *m = method; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || (unsigned char)*m >= 0x80 ||
		    *m == '"' || *m == '\\')
			return NULL;
	if (params != NULL &&
	    (ptext = mpd_json_encode(params, &plen, 0)) == NULL)
		return NULL;
	line = malloc(mlen + plen + 80);
	if (line == NULL) {
		free(ptext);
		return NULL;
	}
	n = (size_t)sprintf(line,
			    "{\"jsonrpc\":\"2.0\",\"id\":%" JSON_INTEGER_FORMAT
			    ",\"method\":\"",
			    id);
	memcpy(line + n, method, mlen);
	n += mlen;
	line[n++] = '"';
	if (ptext != NULL) {
		memcpy(line + n, ",\"params\":", 10);
		n += 10;
		memcpy(line + n, ptext, plen);
		n += plen;
		free(ptext);
	}
	line[n++] = '}';
	line[n++] = '\n';
	line[n] = '\0';
	*len = n;
	return line;
}

/*
 * Check a request and encode it, with the next id, into *line (malloc'd,
 * *len bytes) and *id. fn names the public function in messages. Returns
 * 0, or MPD_E_INVAL / MPD_E_NOMEM / MPD_E_IO (a broken client) with
 * nothing sent; the client stays as it was.
 */
static int client_request(struct mpd_client *c, const char *fn,
			  const char *method, json_t *params, const int *fds,
			  size_t nfds, json_int_t *id, char **line, size_t *len,
			  struct mpd_error *err)
{
	json_t *req, *probe;

	if (method == NULL || method[0] == '\0')
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: method is NULL or empty", fn);
	if (params != NULL && !json_is_object(params) && !json_is_array(params))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: params must be an object or an "
				   "array",
				   fn);
	/* The request's envelope is one level around its params. */
	if (params != NULL &&
	    mpd_json_depth(params, MPD_MAX_DEPTH - 1) > MPD_MAX_DEPTH - 1)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: params nest deeper than mpdd "
				   "reads (%d levels with the request)",
				   fn, MPD_MAX_DEPTH);
	if (nfds > MPD_MAX_FDS_PER_MESSAGE)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_call_fds: %zu descriptors, at most %d",
				   nfds, MPD_MAX_FDS_PER_MESSAGE);
	if (fds == NULL && nfds > 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_call_fds: fds is NULL");
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] < 0 || fcntl(fds[i], F_GETFD) < 0)
			return client_fail(err, MPD_E_INVAL, EBADF,
					   "mpd_call_fds: descriptor %d is "
					   "not open",
					   fds[i]);
	}
	if (c->broken)
		return client_fail(err, MPD_E_IO, 0,
				   "connection to mpdd was lost by an earlier "
				   "error");

	*id = c->next_id;
	c->next_id = *id < MPD_CLIENT_MAX_ID ? *id + 1 : 1;
	*line = request_line(*id, method, params, len);
	if (*line != NULL)
		return 0;
	req = mpd_rpc_request_new(*id, method, NULL);
	if (req == NULL) {
		/* The only other way to fail: a method that is not UTF-8. */
		probe = json_string(method);
		if (probe == NULL)
			return client_fail(err, MPD_E_INVAL, 0,
					   "%s: method is not valid UTF-8", fn);
		json_decref(probe);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	if (params == NULL || json_object_set(req, "params", params) == 0)
		*line = mpd_rpc_encode(req, len);
	json_decref(req);
	if (*line == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	return 0;
}

int mpd_call_fds(struct mpd_client *c, const char *method, json_t *params,
		 const int *fds, size_t nfds, json_t **result,
		 struct mpd_error *err)
{
	json_int_t id = 0; /* set by client_request(); gcc -O3 cannot tell */
	char *line = NULL;
	size_t len;
	int r;

	if (c == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_call: client is NULL");
	json_decref(c->err_data);
	c->err_data = NULL;
	json_decref(c->last_result);
	c->last_result = NULL;
	c->last_line = NULL;
	client_drop_fds(c);
	r = client_request(c, "mpd_call", method, params, fds, nfds, &id, &line,
			   &len, err);
	if (r < 0)
		return r;
	/* A peer that hung up may have said why first: read it either way. */
	r = client_send(c, line, len, fds, nfds, err);
	if (r == 0)
		r = client_receive(c, id, result, err);
	free(line);
	return r;
}

/* Returns 0 with the call sent, or a negative code; see mpd.h. */
int mpd_call_async(struct mpd_client *c, const char *method, json_t *params,
		   mpd_reply_fn fn, void *arg, struct mpd_error *err)
{
	return client_call_async_fds(c, method, params, NULL, 0, fn, arg, err);
}

/* mpd_call_async() with descriptors; see client.h. */
int client_call_async_fds(struct mpd_client *c, const char *method,
			  json_t *params, const int *fds, size_t nfds,
			  mpd_reply_fn fn, void *arg, struct mpd_error *err)
{
	struct client_pending *p;
	json_int_t id = 0; /* set by client_request(); gcc -O3 cannot tell */
	char *line = NULL;
	size_t len;
	int r;

	if (c == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_call_async: client is NULL");
	r = client_request(c, "mpd_call_async", method, params, fds, nfds, &id,
			   &line, &len, err);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		free(line);
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	p->id = id;
	p->fn = fn;
	p->arg = arg;
	/* Waiting only once sent: a failure here is told by the return
	 * alone, never by the callback too. */
	r = client_send(c, line, len, fds, nfds, err);
	free(line);
	if (r < 0) {
		free(p);
		return r;
	}
	*c->pending_tail = p;
	c->pending_tail = &p->next;
	return 0;
}

/* Returns 0 with *result a new reference, or a negative code; see mpd.h. */
int mpd_call(struct mpd_client *c, const char *method, json_t *params,
	     json_t **result, struct mpd_error *err)
{
	return mpd_call_fds(c, method, params, NULL, 0, result, err);
}

/* Returns the last call's result (borrowed from c), or NULL. */
const json_t *mpd_last_result(struct mpd_client *c)
{
	json_error_t jerr;
	json_t *msg;

	if (c == NULL || c->last_line == NULL)
		return c != NULL ? c->last_result : NULL;
	/* Parsed once, on demand: the calls themselves pay nothing. */
	msg = mpd_json_parse(c->last_line, c->last_len, 0, &jerr);
	c->last_line = NULL;
	if (msg == NULL)
		return NULL;
	c->last_result = json_incref(json_object_get(msg, "result"));
	json_decref(msg);
	return c->last_result;
}

/* Returns 0 if the daemon answered daemon.ping, else as mpd_call(). */
int mpd_ping(struct mpd_client *c, struct mpd_error *err)
{
	return mpd_call(c, MPD_M_DAEMON_PING, NULL, NULL, err);
}

/* Returns 0 with *info a new reference to an object, or a negative code. */
int mpd_daemon_info(struct mpd_client *c, json_t **info, struct mpd_error *err)
{
	json_t *res = NULL;
	int r;

	if (info == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_daemon_info: info is NULL");
	r = mpd_call(c, MPD_M_DAEMON_INFO, NULL, &res, err);
	if (r < 0)
		return r;
	if (!json_is_object(res)) {
		json_decref(res);
		return client_fail(err, MPD_E_PROTO, 0,
				   "daemon.info did not return an object");
	}
	*info = res;
	return 0;
}
