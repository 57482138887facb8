/*
 * pipe.c - libmpd's pipes: Python's multiprocessing.Pipe() over a Unix
 * socketpair, with a frame any language can speak.
 *
 * A message is one frame: an 8-byte header (magic, type, two zero bytes,
 * the payload's length as a big-endian u32) and the payload (docs/
 * protocol.md, "Pipes: the frame format"). A send is one sendmsg() of the
 * header and the payload together, so nothing is copied to frame it. A
 * receive reads into a small buffer of the end, which takes the header
 * of a message and, for a short one, all of it in the same recv(); the
 * rest of a long payload is read straight into its destination. A
 * receive that times out keeps what it has (buffered bytes, a message
 * begun) in the end, so the next receive goes on where it stopped and
 * the stream is never out of step, and a message over the limit is
 * dropped as it arrives rather than refused by losing the stream.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/*
 * Bytes asked of each recv() into the end's buffer: enough for the
 * header and payload of a short message, or several, in one call; small,
 * so that a long payload, read straight into its destination after its
 * header, is hardly copied twice.
 */
#define PIPE_READ_CHUNK 4096
/* The buffer: one chunk, plus room for the tail of what came before. */
#define PIPE_BUF_SIZE (2 * PIPE_READ_CHUNK)

struct mpd_pipe {
	int fd;
	int flags; /* MPD_PIPE_READABLE | MPD_PIPE_WRITABLE */
	size_t max; /* the longest payload sent or taken */
	bool broken; /* a bad header: the stream is out of step */
	bool eof; /* the stream has ended */
	/* Bytes read and not yet taken: buf[start, end). */
	char *buf;
	size_t start, end;
	/* Payload bytes of a message refused as too long, still to drop. */
	uint64_t skip;
	/*
	 * The message being taken once its header is consumed: its type and
	 * length, and, when its payload did not come with the header, the
	 * bytes of it read so far (msg, got).
	 */
	bool in_msg;
	unsigned char type;
	size_t len;
	char *msg;
	size_t got;
};

/* A point in time, CLOCK_MONOTONIC; tv_sec < 0 for "never". */
typedef struct timespec deadline_t;

static int pipe_check(const char *fn, const struct mpd_pipe *p, int dir,
		      struct mpd_error *err)
{
	if (p == NULL)
		return client_fail(err, MPD_E_INVAL, 0, "%s: pipe is NULL", fn);
	if (!(p->flags & dir))
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: this end of the pipe is %s", fn,
				   dir == MPD_PIPE_READABLE ? "send-only" :
							      "receive-only");
	return 0;
}

/* The deadline timeout seconds from now. */
static deadline_t deadline_after(double timeout)
{
	deadline_t d = { .tv_sec = -1 };
	double whole;

	if (timeout < 0 || isinf(timeout) || timeout > 1e9)
		return d;
	clock_gettime(CLOCK_MONOTONIC, &d);
	whole = floor(timeout);
	d.tv_sec += (time_t)whole;
	d.tv_nsec += (long)((timeout - whole) * 1e9);
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	return d;
}

/*
 * Wait until fd has events or the deadline passes, through signals.
 * Returns 1 with *revents, 0 at the deadline, or -errno.
 */
static int pipe_wait_fd(int fd, short events, const struct timespec *deadline,
			short *revents)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec now, left, *tp;
	int n;

	for (;;) {
		tp = NULL;
		if (deadline != NULL && deadline->tv_sec >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left.tv_sec = deadline->tv_sec - now.tv_sec;
			left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_sec--;
				left.tv_nsec += 1000000000L;
			}
			if (left.tv_sec < 0)
				left.tv_sec = left.tv_nsec = 0;
			tp = &left;
		}
		n = ppoll(&pfd, 1, tp, NULL);
		if (n > 0) {
			*revents = pfd.revents;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/*
 * One recv() of at most len bytes into dst, waiting for data until the
 * deadline. Returns the bytes read (> 0), 0 at the end of the stream,
 * MPD_E_TIMEOUT (nothing read, err untouched), or fails with MPD_E_IO.
 * ECONNRESET (the other end closed with bytes of ours unread) is the end
 * of the stream.
 */
static ssize_t pipe_read(struct mpd_pipe *p, void *dst, size_t len,
			 const deadline_t *deadline, struct mpd_error *err)
{
	char ebuf[128];
	short rev;
	ssize_t n;
	int r;

	for (;;) {
		/* Waiting for ever, a blocking descriptor waits in recv()
		 * itself: one system call per read. */
		n = recv(p->fd, dst, len,
			 deadline->tv_sec < 0 ? 0 : MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno == ECONNRESET)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return client_fail(err, MPD_E_IO, errno,
					   "cannot receive from the pipe: %s",
					   strerror_r(errno, ebuf,
						      sizeof(ebuf)));
		r = pipe_wait_fd(p->fd, POLLIN, deadline, &rev);
		if (r < 0)
			return client_fail(err, MPD_E_IO, -r,
					   "cannot wait for the pipe: %s",
					   strerror_r(-r, ebuf, sizeof(ebuf)));
		if (r == 0)
			return MPD_E_TIMEOUT;
	}
}

static int pipe_timeout(struct mpd_error *err)
{
	return client_fail(err, MPD_E_TIMEOUT, 0,
			   "no whole message came from the pipe in time");
}

static int pipe_closed(struct mpd_error *err)
{
	return client_fail(err, MPD_E_CLOSED, 0,
			   "the other end of the pipe is closed");
}

/*
 * Read once into the end's buffer. Returns the bytes read (> 0), 0 at the
 * end of the stream (p->eof set), or a negative code (MPD_E_TIMEOUT with
 * err untouched).
 */
static ssize_t pipe_fill(struct mpd_pipe *p, const deadline_t *deadline,
			 struct mpd_error *err)
{
	ssize_t n;

	if (p->eof)
		return 0;
	if (p->buf == NULL) {
		p->buf = malloc(PIPE_BUF_SIZE);
		if (p->buf == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	if (p->start == p->end) {
		p->start = p->end = 0;
	} else if (PIPE_BUF_SIZE - p->end < PIPE_READ_CHUNK) {
		memmove(p->buf, p->buf + p->start, p->end - p->start);
		p->end -= p->start;
		p->start = 0;
	}
	n = pipe_read(p, p->buf + p->end, PIPE_BUF_SIZE - p->end, deadline,
		      err);
	if (n > 0)
		p->end += (size_t)n;
	else if (n == 0)
		p->eof = true;
	return n;
}

static uint32_t get_be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static void put_header(unsigned char *h, unsigned char type, uint32_t len)
{
	h[0] = MPD_PIPE_MAGIC;
	h[1] = type;
	h[2] = 0;
	h[3] = 0;
	h[4] = (unsigned char)(len >> 24);
	h[5] = (unsigned char)(len >> 16);
	h[6] = (unsigned char)(len >> 8);
	h[7] = (unsigned char)len;
}

/* Whether a header is one; *why says what is wrong when not. */
static bool header_ok(const unsigned char *h, const char **why)
{
	if (h[0] != MPD_PIPE_MAGIC)
		*why = "bad magic byte";
	else if (h[1] != MPD_PIPE_TYPE_BYTES && h[1] != MPD_PIPE_TYPE_JSON)
		*why = "unknown message type";
	else if (h[2] != 0 || h[3] != 0)
		*why = "reserved bytes not zero";
	else
		return true;
	return false;
}

static const char *type_name(unsigned char type)
{
	return type == MPD_PIPE_TYPE_JSON ? "JSON" : "bytes";
}

/*
 * Drop what is left of a refused message. Returns 0 once it is gone, or
 * a negative code (MPD_E_TIMEOUT with err untouched).
 */
static int pipe_drop(struct mpd_pipe *p, const deadline_t *deadline,
		     struct mpd_error *err)
{
	char sink[PIPE_READ_CHUNK];
	size_t k;
	ssize_t n;

	k = p->end - p->start;
	if (k > p->skip)
		k = (size_t)p->skip;
	p->start += k;
	p->skip -= k;
	while (p->skip > 0) {
		n = pipe_read(p, sink,
			      p->skip < sizeof(sink) ? (size_t)p->skip :
						       sizeof(sink),
			      deadline, err);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			/* It was refused already: its end is no news. */
			p->eof = true;
			p->skip = 0;
			return 0;
		}
		p->skip -= (uint64_t)n;
	}
	return 0;
}

/*
 * Have the next message's header read, and check it is one of type of at
 * most cap bytes (the max message, or a caller's buffer). Returns 0 with
 * the header consumed and p->in_msg set, or a negative code: a message of
 * the other kind, or longer than the caller's buffer, stays; one over the
 * max message is dropped.
 */
static int pipe_begin(struct mpd_pipe *p, const char *fn, unsigned char type,
		      size_t cap, bool caller_buf, const deadline_t *deadline,
		      struct mpd_error *err)
{
	const unsigned char *h;
	const char *why = NULL;
	size_t have;
	uint32_t len;
	ssize_t n;
	int r;

	if (p->broken)
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s: the pipe is out of step since a bad "
				   "header",
				   fn);
	if (!p->in_msg) {
		if (p->skip > 0 && (r = pipe_drop(p, deadline, err)) < 0)
			return r == MPD_E_TIMEOUT ? pipe_timeout(err) : r;
		while ((have = p->end - p->start) < MPD_PIPE_HEADER_SIZE) {
			n = pipe_fill(p, deadline, err);
			if (n == MPD_E_TIMEOUT)
				return pipe_timeout(err);
			if (n < 0)
				return (int)n;
			if (n > 0)
				continue;
			if (have == 0)
				return pipe_closed(err);
			p->start = p->end;
			return client_fail(err, MPD_E_IO, 0,
					   "the other end closed the pipe in "
					   "the middle of a message header "
					   "(%zu of %d bytes came)",
					   have, MPD_PIPE_HEADER_SIZE);
		}
		h = (const unsigned char *)p->buf + p->start;
		if (!header_ok(h, &why)) {
			p->broken = true;
			return client_fail(err, MPD_E_PROTO, 0,
					   "%s: bad message header from the "
					   "pipe: %s (bytes %02x %02x %02x "
					   "%02x)",
					   fn, why, h[0], h[1], h[2], h[3]);
		}
		len = get_be32(h + 4);
		if (h[1] == type && len > p->max) {
			/* What has come of it goes now, the rest as it
			 * comes, at the next receive: this one does not
			 * wait for it. */
			p->start += MPD_PIPE_HEADER_SIZE;
			p->skip = len;
			have = p->end - p->start;
			if (have > len)
				have = len;
			p->start += have;
			p->skip -= have;
			return client_fail(err, MPD_E_TOOBIG, 0,
					   "%s: a message of %" PRIu32
					   " bytes is over the pipe's max "
					   "message (%zu); it was dropped",
					   fn, len, p->max);
		}
		if (h[1] == type && caller_buf && len > cap)
			return client_fail(err, MPD_E_TOOBIG, 0,
					   "%s: the next message has %" PRIu32
					   " bytes, more than the %zu of the "
					   "buffer; it stays",
					   fn, len, cap);
		if (h[1] != type)
			return client_fail(err, MPD_E_INVALID_STATE, 0,
					   "%s: the next message is %s, not "
					   "%s; it stays for %s",
					   fn, type_name(h[1]), type_name(type),
					   h[1] == MPD_PIPE_TYPE_JSON ?
						   "mpd_pipe_recv()" :
						   "mpd_pipe_recv_bytes()");
		p->start += MPD_PIPE_HEADER_SIZE;
		p->in_msg = true;
		p->type = h[1];
		p->len = len;
		p->got = 0;
		return 0;
	}
	if (p->type != type)
		return client_fail(err, MPD_E_INVALID_STATE, 0,
				   "%s: the next message is %s, not %s; it "
				   "stays for %s",
				   fn, type_name(p->type), type_name(type),
				   p->type == MPD_PIPE_TYPE_JSON ?
					   "mpd_pipe_recv()" :
					   "mpd_pipe_recv_bytes()");
	if (caller_buf && p->len > cap)
		return client_fail(err, MPD_E_TOOBIG, 0,
				   "%s: the next message has %zu bytes, more "
				   "than the %zu of the buffer; it stays",
				   fn, p->len, cap);
	return 0;
}

/* The message is taken: forget it. */
static void pipe_end_msg(struct mpd_pipe *p)
{
	free(p->msg);
	p->msg = NULL;
	p->in_msg = false;
	p->len = p->got = 0;
}

/*
 * Read the payload of the message begun into dst (p->len bytes, of which
 * p->got are there), first from the buffer, then straight from the
 * socket. Returns 0 once all of it is there, or a negative code
 * (MPD_E_TIMEOUT with err untouched; at the end of the stream, the
 * message is dropped).
 */
static int pipe_payload(struct mpd_pipe *p, char *dst,
			const deadline_t *deadline, struct mpd_error *err)
{
	size_t k = p->end - p->start;
	ssize_t n;

	if (k > p->len - p->got)
		k = p->len - p->got;
	memcpy(dst + p->got, p->buf + p->start, k);
	p->start += k;
	p->got += k;
	while (p->got < p->len) {
		n = p->eof ? 0 :
			     pipe_read(p, dst + p->got, p->len - p->got,
				       deadline, err);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			size_t got = p->got, len = p->len;

			p->eof = true;
			pipe_end_msg(p);
			return client_fail(err, MPD_E_IO, 0,
					   "the other end closed the pipe in "
					   "the middle of a message (%zu of "
					   "%zu bytes came)",
					   got, len);
		}
		p->got += (size_t)n;
	}
	return 0;
}

/*
 * Take the payload of the message begun. With dst (the caller's buffer,
 * large enough), it lands there and *out is dst; else *out is the
 * message's own copy (p->msg, len + 1 bytes, a NUL after the payload),
 * or, when all of it is in the buffer already, a pointer into the buffer
 * (valid until the next receive). Returns 0, or a negative code.
 */
static int pipe_take(struct mpd_pipe *p, char *dst, const char **out,
		     const deadline_t *deadline, struct mpd_error *err)
{
	size_t saved, k;
	ssize_t n;
	int r;

	if (p->msg == NULL && p->end - p->start >= p->len) {
		/* The common case: the whole payload came with its header. */
		*out = p->buf != NULL ? p->buf + p->start : "";
		if (dst != NULL) {
			memcpy(dst, *out, p->len);
			*out = dst;
		}
		p->start += p->len;
		return 0;
	}
	if (p->msg == NULL && dst == NULL && p->len <= PIPE_READ_CHUNK) {
		/* A short message split by a read: the buffer takes the
		 * rest, with what follows it. */
		while ((k = p->end - p->start) < p->len) {
			n = pipe_fill(p, deadline, err);
			if (n < 0)
				return (int)n;
			if (n == 0) {
				size_t len = p->len;

				p->start = p->end;
				pipe_end_msg(p);
				return client_fail(
					err, MPD_E_IO, 0,
					"the other end closed the pipe in the "
					"middle of a message (%zu of %zu bytes "
					"came)",
					k, len);
			}
		}
		*out = p->buf + p->start;
		p->start += p->len;
		return 0;
	}
	if (dst != NULL && p->msg == NULL) {
		r = pipe_payload(p, dst, deadline, err);
		*out = dst;
		if (r == 0 || !p->in_msg)
			return r;
		/* What came stays in the end, not in the caller's buffer;
		 * after a failure, the rest is dropped as it comes. */
		saved = p->got;
		p->msg = r == MPD_E_TIMEOUT ? malloc(p->len + 1) : NULL;
		if (p->msg == NULL) {
			p->skip = p->len - saved;
			pipe_end_msg(p);
			if (r == MPD_E_TIMEOUT)
				return client_fail(err, MPD_E_NOMEM, ENOMEM,
						   "out of memory keeping a "
						   "message begun; it was "
						   "dropped");
			return r;
		}
		memcpy(p->msg, dst, saved);
		return r;
	}
	if (p->msg == NULL) {
		p->msg = malloc(p->len + 1);
		if (p->msg == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	}
	r = pipe_payload(p, p->msg, deadline, err);
	if (r < 0)
		return r;
	p->msg[p->len] = '\0';
	*out = p->msg;
	if (dst != NULL) {
		memcpy(dst, p->msg, p->len);
		*out = dst;
	}
	return 0;
}

static int check_timeout(const char *fn, double timeout, struct mpd_error *err)
{
	if (isnan(timeout))
		return client_fail(err, MPD_E_INVAL, 0, "%s: timeout is NaN",
				   fn);
	return 0;
}

/*
 * Receive the next message of type: its payload in *out (see
 * pipe_take()) and length in *len. The message is taken (in_msg cleared)
 * but p->msg is left for the caller to take or free.
 */
static int pipe_recv(struct mpd_pipe *p, const char *fn, unsigned char type,
		     char *dst, size_t cap, const char **out, size_t *len,
		     double timeout, struct mpd_error *err)
{
	deadline_t deadline;
	int r;

	r = pipe_check(fn, p, MPD_PIPE_READABLE, err);
	if (r == 0)
		r = check_timeout(fn, timeout, err);
	if (r < 0)
		return r;
	deadline = deadline_after(timeout);
	r = pipe_begin(p, fn, type, dst != NULL ? cap : p->max, dst != NULL,
		       &deadline, err);
	if (r < 0)
		return r;
	r = pipe_take(p, dst, out, &deadline, err);
	if (r == MPD_E_TIMEOUT)
		return pipe_timeout(err);
	if (r < 0)
		return r;
	*len = p->len;
	p->in_msg = false;
	p->len = p->got = 0;
	return 0;
}

/* Returns 0 with *v a new reference, or a negative code; see mpd.h. */
int mpd_pipe_recv(struct mpd_pipe *p, json_t **v, double timeout,
		  struct mpd_error *err)
{
	json_error_t jerr;
	const char *text;
	size_t len;
	json_t *val;
	int r;

	if (v == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_recv: v is NULL");
	r = pipe_recv(p, "mpd_pipe_recv", MPD_PIPE_TYPE_JSON, NULL, 0, &text,
		      &len, timeout, err);
	if (r < 0)
		return r;
	val = mpd_json_parse(text, len,
			     JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	free(p->msg);
	p->msg = NULL;
	if (val == NULL)
		return client_fail(err, MPD_E_PROTO, 0,
				   "mpd_pipe_recv: a JSON message of %zu "
				   "bytes does not parse (%s at byte %d); it "
				   "was dropped",
				   len, jerr.text, jerr.position);
	*v = val;
	return 0;
}

/* Returns 0 with *buf (malloc'd) and *len, or a negative code. */
int mpd_pipe_recv_bytes(struct mpd_pipe *p, void **buf, size_t *len,
			double timeout, struct mpd_error *err)
{
	const char *data;
	size_t n;
	char *copy;
	int r;

	if (buf == NULL || len == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_recv_bytes: %s is NULL",
				   buf == NULL ? "buf" : "len");
	r = pipe_recv(p, "mpd_pipe_recv_bytes", MPD_PIPE_TYPE_BYTES, NULL, 0,
		      &data, &n, timeout, err);
	if (r < 0)
		return r;
	if (p->msg != NULL) {
		/* Read straight into its own copy: hand that over. */
		copy = p->msg;
		p->msg = NULL;
	} else {
		copy = malloc(n > 0 ? n : 1);
		if (copy == NULL)
			return client_fail(err, MPD_E_NOMEM, ENOMEM,
					   "out of memory for a message of "
					   "%zu bytes; it was dropped",
					   n);
		memcpy(copy, data, n);
	}
	*buf = copy;
	*len = n;
	return 0;
}

/* Returns 0 with *len, or a negative code; see mpd.h. */
int mpd_pipe_recv_bytes_into(struct mpd_pipe *p, void *buf, size_t cap,
			     size_t *len, double timeout, struct mpd_error *err)
{
	static char none[1]; /* the buffer of a cap of 0 */
	const char *data;
	size_t n;
	int r;

	if ((buf == NULL && cap > 0) || len == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_recv_bytes_into: %s is NULL",
				   len == NULL ? "len" : "buf");
	r = pipe_recv(p, "mpd_pipe_recv_bytes_into", MPD_PIPE_TYPE_BYTES,
		      buf != NULL ? buf : none, cap, &data, &n, timeout, err);
	if (r < 0)
		return r;
	free(p->msg);
	p->msg = NULL;
	*len = n;
	return 0;
}

/*
 * Write the header and payload as one message, through partial writes
 * and signals. Returns 0, MPD_E_CLOSED or MPD_E_IO.
 */
static int pipe_write(struct mpd_pipe *p, unsigned char type, const void *buf,
		      size_t len, struct mpd_error *err)
{
	unsigned char h[MPD_PIPE_HEADER_SIZE];
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	char ebuf[128];
	short rev;
	ssize_t n;
	int r;

	put_header(h, type, (uint32_t)len);
	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)buf;
	iov[1].iov_len = len;
	if (len == 0)
		mh.msg_iovlen = 1;
	while (mh.msg_iovlen > 0) {
		n = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return pipe_closed(err);
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return client_fail(
					err, MPD_E_IO, errno,
					"cannot send to the pipe: %s",
					strerror_r(errno, ebuf, sizeof(ebuf)));
			/* A descriptor made non-blocking elsewhere. */
			r = pipe_wait_fd(p->fd, POLLOUT, NULL, &rev);
			if (r < 0)
				return client_fail(
					err, MPD_E_IO, -r,
					"cannot wait for the pipe: %s",
					strerror_r(-r, ebuf, sizeof(ebuf)));
			continue;
		}
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int check_send_len(const char *fn, const struct mpd_pipe *p, size_t len,
			  struct mpd_error *err)
{
	if (len > p->max)
		return client_fail(err, MPD_E_TOOBIG, 0,
				   "%s: a message of %zu bytes is over the "
				   "pipe's max message (%zu); nothing was sent",
				   fn, len, p->max);
	return 0;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_pipe_send_bytes(struct mpd_pipe *p, const void *buf, size_t len,
			struct mpd_error *err)
{
	int r = pipe_check("mpd_pipe_send_bytes", p, MPD_PIPE_WRITABLE, err);

	if (r < 0)
		return r;
	if (buf == NULL && len > 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_send_bytes: buf is NULL");
	r = check_send_len("mpd_pipe_send_bytes", p, len, err);
	if (r < 0)
		return r;
	return pipe_write(p, MPD_PIPE_TYPE_BYTES, buf, len, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_pipe_send(struct mpd_pipe *p, const json_t *v, struct mpd_error *err)
{
	char *text;
	size_t len;
	int r = pipe_check("mpd_pipe_send", p, MPD_PIPE_WRITABLE, err);

	if (r < 0)
		return r;
	if (v == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_send: v is NULL");
	/* The other end would refuse what mpd_json_parse() cannot read. */
	if (mpd_json_depth(v, MPD_MAX_DEPTH) > MPD_MAX_DEPTH)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_send: the value nests deeper "
				   "than %d levels",
				   MPD_MAX_DEPTH);
	errno = 0;
	text = mpd_json_encode(v, &len, 0);
	if (text == NULL && errno == ENOMEM)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	if (text == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_send: the value cannot be "
				   "encoded as JSON (a string that is not "
				   "UTF-8, or a container inside itself)");
	r = check_send_len("mpd_pipe_send", p, len, err);
	if (r == 0)
		r = pipe_write(p, MPD_PIPE_TYPE_JSON, text, len, err);
	free(text);
	return r;
}

/* Returns 1 ready, 0 not, or a negative code; see mpd.h. */
int mpd_pipe_poll(struct mpd_pipe *p, double timeout, struct mpd_error *err)
{
	struct mpd_wait_item item = { .kind = MPD_WAIT_PIPE, .pipe = p };
	int r = pipe_check("mpd_pipe_poll", p, MPD_PIPE_READABLE, err);

	if (r < 0)
		return r;
	return mpd_wait(&item, 1, timeout, err);
}

/*
 * For mpd_wait(): 1 when a receive on p would not wait for its
 * descriptor (a whole message buffered after what is to be dropped, or
 * the stream over or out of step), 0 when it would, MPD_E_INVAL when p
 * only sends (err filled).
 */
int pipe_ready(const struct mpd_pipe *p, struct mpd_error *err)
{
	size_t have, off;
	int r = pipe_check("mpd_wait", p, MPD_PIPE_READABLE, err);
	const unsigned char *h;
	const char *why;

	if (r < 0)
		return r;
	if (p->broken || p->eof)
		return 1;
	have = p->end - p->start;
	if (p->in_msg)
		return have >= p->len - p->got;
	if (p->skip >= have)
		return 0;
	off = p->start + (size_t)p->skip;
	have -= (size_t)p->skip;
	if (have < MPD_PIPE_HEADER_SIZE)
		return 0;
	h = (const unsigned char *)p->buf + off;
	/* A bad header or a message over the limit fails at once. */
	if (!header_ok(h, &why) || get_be32(h + 4) > p->max)
		return 1;
	return have - MPD_PIPE_HEADER_SIZE >= get_be32(h + 4);
}

static int pipe_new(int fd, int flags, struct mpd_pipe **out,
		    struct mpd_error *err)
{
	struct mpd_pipe *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
	p->fd = fd;
	p->flags = flags;
	p->max = MPD_PIPE_DEFAULT_MAX_MESSAGE;
	*out = p;
	return 0;
}

/* Returns 0 with *a and *b, or a negative code; see mpd.h. */
int mpd_pipe(struct mpd_pipe **a, struct mpd_pipe **b, int duplex,
	     struct mpd_error *err)
{
	struct mpd_pipe *pa = NULL, *pb = NULL;
	char ebuf[128];
	int sv[2], r;

	if (a == NULL || b == NULL)
		return client_fail(err, MPD_E_INVAL, 0, "mpd_pipe: %s is NULL",
				   a == NULL ? "a" : "b");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return client_fail(err,
				   errno == ENOMEM ? MPD_E_NOMEM : MPD_E_IO,
				   errno, "cannot make a socketpair: %s",
				   strerror_r(errno, ebuf, sizeof(ebuf)));
	if (!duplex) {
		/* The direction holds for the raw descriptors too. */
		shutdown(sv[0], SHUT_WR);
		shutdown(sv[1], SHUT_RD);
	}
	r = pipe_new(sv[0],
		     duplex ? MPD_PIPE_READABLE | MPD_PIPE_WRITABLE :
			      MPD_PIPE_READABLE,
		     &pa, err);
	if (r == 0)
		r = pipe_new(sv[1],
			     duplex ? MPD_PIPE_READABLE | MPD_PIPE_WRITABLE :
				      MPD_PIPE_WRITABLE,
			     &pb, err);
	if (r < 0) {
		free(pa);
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	*a = pa;
	*b = pb;
	return 0;
}

/* Returns 0 with *out owning fd, or a negative code; see mpd.h. */
int mpd_pipe_from_fd(int fd, int flags, struct mpd_pipe **out,
		     struct mpd_error *err)
{
	int type = 0;
	socklen_t tl = sizeof(type);

	if (out == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_from_fd: out is NULL");
	if (flags == 0 ||
	    (flags & ~(MPD_PIPE_READABLE | MPD_PIPE_WRITABLE)) != 0)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_from_fd: flags %d are not "
				   "MPD_PIPE_READABLE and/or "
				   "MPD_PIPE_WRITABLE",
				   flags);
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return client_fail(err, MPD_E_INVAL, EBADF,
				   "mpd_pipe_from_fd: descriptor %d is not "
				   "open",
				   fd);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_STREAM)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_from_fd: descriptor %d is not "
				   "a stream socket",
				   fd);
	return pipe_new(fd, flags, out, err);
}

/* Closes and frees p (NULL is a no-op). */
void mpd_pipe_close(struct mpd_pipe *p)
{
	int saved = errno;

	if (p == NULL)
		return;
	close(p->fd);
	free(p->buf);
	free(p->msg);
	free(p);
	errno = saved;
}

/* Returns p's descriptor, or MPD_E_INVAL. */
int mpd_pipe_fd(const struct mpd_pipe *p)
{
	return p != NULL ? p->fd : MPD_E_INVAL;
}

/* Returns 0, or MPD_E_INVAL; see mpd.h. */
int mpd_pipe_set_max_message(struct mpd_pipe *p, size_t max,
			     struct mpd_error *err)
{
	if (p == NULL)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_set_max_message: pipe is NULL");
	if (max < 1 || max > MPD_PIPE_MAX_FRAME)
		return client_fail(err, MPD_E_INVAL, 0,
				   "mpd_pipe_set_max_message: %zu is not in "
				   "1..%u",
				   max, MPD_PIPE_MAX_FRAME);
	p->max = max;
	return 0;
}

/* Returns p's max message, or 0 when p is NULL. */
size_t mpd_pipe_max_message(const struct mpd_pipe *p)
{
	return p != NULL ? p->max : 0;
}
