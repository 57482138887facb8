/*
 * capture.c - the output a worker writes to a "capture" stdout or stderr,
 * kept in a bounded ring of its record.
 *
 * A process whose stdout and/or stderr is "capture" gets one pipe when it
 * starts: its write end goes to the worker as a "pass" stream (on fd 1,
 * fd 2 or both: then they share it, as 2>&1, and the ring keeps the order
 * in which they were written), so the template never learns of capture;
 * mpdd's own copies of it are closed with the start's other passed
 * descriptors (spawner_forget()), so EOF comes once the worker and every
 * child that kept the pipe are gone. The read end stays here,
 * non-blocking, under a libevent event; its bytes go into the ring, which
 * grows up to --capture-size and then drops its oldest bytes.
 *
 * Offsets count the bytes of the stream since it began, so a reader can
 * page with "after" and learn how many bytes it missed ("dropped"). Each
 * record that captures reserves --capture-size bytes from
 * --max-capture-bytes when it is created; the reservation is given back
 * when the record goes. process.output (process.c) reads the ring with
 * capture_text() and parks on its waiters list until bytes or EOF come.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpdd.h"

/* Bytes one read takes; reads one event may do, so a chatty worker
 * cannot keep the loop from the others. */
#define CAPTURE_READ_CHUNK 65536
#define CAPTURE_READS	   4
/* The ring's first allocation; it doubles up to its size. */
#define CAPTURE_MIN_ALLOC 4096

struct capture {
	int fd; /* the pipe's read end, -1 before the start and at EOF */
	struct event *ev;
	unsigned char *buf; /* the byte at offset o is buf[o % size] */
	size_t alloc; /* < size only while nothing was dropped */
	size_t size; /* the ring's size (--capture-size at create) */
	size_t len; /* bytes held: offsets total - len .. total */
	uint64_t total; /* bytes read so far */
	bool ended; /* EOF seen */
	struct req_list waiters; /* parked process.output requests */
	void (*wake)(struct proc *p); /* answers the waiters that can be */
};

static uint64_t reserved; /* bytes the rings of all records reserve */

/* True when the spec (of p->stdio) says "capture". */
bool capture_spec(const json_t *spec)
{
	return json_is_string(spec) &&
	       strcmp(json_string_value(spec), "capture") == 0;
}

/*
 * The stdio specs the template is sent for p (a new reference, NULL when
 * out of memory): "capture" streams are "pass" streams to it.
 */
json_t *capture_template_stdio(const struct proc *p)
{
	json_t *out, *spec;
	size_t i;

	if (p->capture == NULL)
		return json_incref(p->stdio);
	out = json_array();
	json_array_foreach (p->stdio, i, spec) {
		if (out == NULL)
			break;
		if (json_array_append_new(out, capture_spec(spec) ?
						       json_string("pass") :
						       json_incref(spec)) ==
		    -1) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/*
 * Would a new record that captures pass --max-capture-bytes? Returns
 * false, with *max its value, when it would.
 */
bool capture_room(uint64_t *max)
{
	*max = mpdd.opt.max_capture_bytes;
	return reserved + mpdd.opt.capture_size <= mpdd.opt.max_capture_bytes;
}

/* Bytes the rings of all records reserve. */
uint64_t capture_reserved(void)
{
	return reserved;
}

/*
 * Give p (just created, capture_room() checked) a ring of --capture-size
 * bytes, with wake to answer its waiters when bytes or EOF come. Returns
 * 0, or -ENOMEM.
 */
int capture_new(struct proc *p, void (*wake)(struct proc *p))
{
	struct capture *cp = calloc(1, sizeof(*cp));

	if (cp == NULL)
		return -ENOMEM;
	cp->fd = -1;
	cp->size = mpdd.opt.capture_size;
	cp->wake = wake;
	TAILQ_INIT(&cp->waiters);
	reserved += cp->size;
	p->capture = cp;
	return 0;
}

/* Append n bytes to the ring, dropping the oldest past its size. */
static void ring_add(struct capture *cp, const unsigned char *b, size_t n)
{
	if (cp->alloc < cp->size && cp->total + n > cp->alloc) {
		size_t want = cp->alloc ? cp->alloc : CAPTURE_MIN_ALLOC;
		unsigned char *nb;

		while (want < cp->total + n && want < cp->size)
			want *= 2;
		if (want > cp->size)
			want = cp->size;
		nb = realloc(cp->buf, want);
		if (nb == NULL) {
			/* Keep what fits: the rest is lost, as if the ring
			 * were full. */
			log_warnx("%s: out of memory; output dropped",
				  __func__);
			want = cp->alloc;
		} else {
			cp->buf = nb;
			cp->alloc = want;
		}
		if (cp->alloc < cp->size) {
			size_t fit = cp->alloc - (size_t)cp->total;

			if (n > fit)
				n = fit;
			memcpy(cp->buf + cp->total, b, n);
			cp->total += n;
			cp->len += n;
			return;
		}
	}
	if (n > cp->size) {
		/* Only the last size bytes stay. */
		cp->total += n - cp->size;
		b += n - cp->size;
		n = cp->size;
	}
	for (size_t done = 0; done < n;) {
		size_t at = (size_t)((cp->total) % cp->size);
		size_t k = cp->size - at;

		if (k > n - done)
			k = n - done;
		memcpy(cp->buf + at, b + done, k);
		done += k;
		cp->total += k;
	}
	cp->len += n;
	if (cp->len > cp->size)
		cp->len = cp->size;
}

static void stop_reading(struct capture *cp)
{
	if (cp->ev != NULL)
		event_free(cp->ev);
	cp->ev = NULL;
	if (cp->fd >= 0) {
		close(cp->fd);
		mpdd.fd_procs--;
	}
	cp->fd = -1;
}

static void capture_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct proc *p = arg;
	struct capture *cp = p->capture;
	unsigned char buf[CAPTURE_READ_CHUNK];
	bool more = false;
	ssize_t n;

	for (int i = 0; i < CAPTURE_READS; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			ring_add(cp, buf, (size_t)n);
			more = true;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1)
			log_warn("process %lld: reading its output",
				 (long long)p->id);
		/* EOF: the worker and all that held the pipe are gone. */
		stop_reading(cp);
		cp->ended = true;
		more = true;
		break;
	}
	if (more && !TAILQ_EMPTY(&cp->waiters))
		cp->wake(p);
}

/*
 * p is about to start: make its pipe and put its write end on the
 * captured streams (p->fds[1], p->fds[2], counted in mpdd.fd_procs), as
 * "pass" streams. Returns 0, or -errno (EMFILE, ENFILE: out of
 * descriptors) with nothing changed.
 */
int capture_open(struct proc *p)
{
	struct capture *cp = p->capture;
	int fds[2], dup2nd = -1;
	bool out, err;

	if (cp == NULL || cp->fd >= 0 || cp->ended)
		return 0;
	out = capture_spec(json_array_get(p->stdio, 1));
	err = capture_spec(json_array_get(p->stdio, 2));
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -errno;
	if (out && err && (dup2nd = fcntl(fds[1], F_DUPFD_CLOEXEC, 0)) == -1) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		return -e;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	cp->ev = event_new(mpdd.base, fds[0], EV_READ | EV_PERSIST,
			   capture_read_cb, p);
	if (cp->ev == NULL || event_add(cp->ev, NULL) == -1) {
		if (cp->ev != NULL)
			event_free(cp->ev);
		cp->ev = NULL;
		close(fds[0]);
		close(fds[1]);
		if (dup2nd >= 0)
			close(dup2nd);
		return -ENOMEM;
	}
	cp->fd = fds[0];
	p->fds[out ? 1 : 2] = fds[1];
	if (dup2nd >= 0)
		p->fds[2] = dup2nd;
	mpdd.fd_procs += 2 + (dup2nd >= 0);
	return 0;
}

/*
 * p's start was refused before anything was asked of the template: close
 * the pipe capture_open() made, so a later start makes a new one.
 */
void capture_abort(struct proc *p)
{
	struct capture *cp = p->capture;

	if (cp == NULL)
		return;
	stop_reading(cp);
	for (int i = 1; i < 3; i++) {
		if (p->fds[i] >= 0 &&
		    capture_spec(json_array_get(p->stdio, (size_t)i))) {
			close(p->fds[i]);
			p->fds[i] = -1;
			mpdd.fd_procs--;
		}
	}
}

/* p's record goes: its waiters get not_found (their park_arg, process.c's,
 * is malloc'd), its ring and its reservation go. */
void capture_free(struct proc *p)
{
	struct capture *cp = p->capture;
	struct req *r;

	if (cp == NULL)
		return;
	while ((r = TAILQ_FIRST(&cp->waiters)) != NULL) {
		free(r->park_arg);
		req_error(r, MPD_RPC_NOT_FOUND, NULL, "process %lld was closed",
			  (long long)p->id);
	}
	stop_reading(cp);
	reserved -= cp->size;
	free(cp->buf);
	free(cp);
	p->capture = NULL;
}

/* p's waiters (parked process.output requests). */
struct req_list *capture_waiters(struct proc *p)
{
	return &p->capture->waiters;
}

/* Bytes of JSON text the byte c takes inside a string. */
static size_t byte_cost(unsigned char c)
{
	if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r' ||
	    c == '\b' || c == '\f')
		return 2;
	return c < 0x20 || c == 0x7f ? 6 : 1;
}

/*
 * The length of the UTF-8 sequence that starts the n bytes at s: its
 * length when complete and valid; 0 when it is a valid start cut short by
 * the end of s; or -k when its first k bytes (k >= 1) are no valid start
 * (one U+FFFD stands for them). A NUL byte counts as invalid: the
 * protocol's strings never carry one (readers refuse "\u0000").
 */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int need;

	if (c == 0)
		return -1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (int k = 1; k < need; k++) {
		if ((size_t)k >= n)
			return 0;
		if (s[k] < lo || s[k] > hi)
			return -k;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

/*
 * Read p's ring from offset after (-1: the oldest byte held) into
 * valid UTF-8 text (invalid sequences become U+FFFD), at most max bytes
 * of the stream and budget bytes of JSON string text (a first character
 * is taken whatever max says). A sequence is never cut: one that max or
 * the end of what was read would cut waits for the next call (unless
 * the stream has ended). Fills *out (text malloc'd, NUL-terminated).
 * Returns 0, -ERANGE when after is past the end of the stream, -ENOSPC
 * when budget takes no character, or -ENOMEM.
 */
int capture_text(const struct proc *p, int64_t after, size_t max, size_t budget,
		 struct capture_out *out)
{
	const struct capture *cp = p->capture;
	uint64_t oldest = cp->total - cp->len, o;
	unsigned char seq[4];
	size_t cap, len = 0, cost = 0;
	char *t;

	if (after >= 0 && (uint64_t)after > cp->total)
		return -ERANGE;
	o = after < 0 || (uint64_t)after < oldest ? oldest : (uint64_t)after;
	out->dropped = after >= 0 && (uint64_t)after < oldest ?
			       oldest - (uint64_t)after :
			       0;
	out->offset = o;
	/* At most 3 bytes of text for each byte of the stream, and a first
	 * character past max. */
	cap = (size_t)(cp->total - o) < max ? (size_t)(cp->total - o) : max;
	/* Each byte of the stream takes one of budget at least. */
	if (cap > budget + 4)
		cap = budget + 4;
	t = malloc(cap * 3 + 8);
	if (t == NULL)
		return -ENOMEM;
	while (o < cp->total) {
		size_t avail = (size_t)(cp->total - o), k, c = 0;
		int n;

		for (k = 0; k < 4 && k < avail; k++)
			seq[k] = cp->buf[(o + k) % cp->size];
		n = utf8_seq(seq, k);
		if (n == 0 && !cp->ended)
			break; /* the rest of it is yet to come */
		if (n == 0)
			n = -(int)k;
		if (n < 0) {
			c = 3;
		} else {
			for (int i = 0; i < n; i++)
				c += byte_cost(seq[i]);
		}
		k = n < 0 ? (size_t)-n : (size_t)n;
		if (len > 0 &&
		    ((size_t)(o - out->offset) + k > max || cost + c > budget))
			break;
		if (cost + c > budget) {
			free(t);
			return -ENOSPC;
		}
		if (n < 0) {
			memcpy(t + len, "\xef\xbf\xbd", 3);
			len += 3;
		} else {
			memcpy(t + len, seq, (size_t)n);
			len += (size_t)n;
		}
		cost += c;
		o += k;
	}
	t[len] = '\0';
	out->text = t;
	out->len = len;
	out->next = o;
	out->end = cp->total;
	/* ended only once everything up to the end was read. */
	out->ended = cp->ended && o == cp->total;
	return 0;
}
