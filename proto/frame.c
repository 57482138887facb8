/*
 * frame.c - newline framing over a byte stream.
 *
 * The socket carries one JSON text per line. The framer collects bytes as
 * they arrive, in reads of any size, and hands out complete lines in place,
 * NUL-terminated, without copying. It is also the first line of defence
 * against a peer that never sends a newline: a line longer than max is
 * reported as soon as more than max bytes of it are buffered, so memory per
 * connection stays bounded by one maximal line plus one read.
 *
 * The buffer is [start, end) within [0, cap). Consumed bytes are reclaimed
 * by moving the unconsumed tail to the front when a read needs room, not by
 * growing; growth is geometric and capped. Bytes from start that are already
 * known to hold no '\n' are counted in scan, so each byte is searched once.
 *
 * A line's length is counted without its '\n' and without the one '\r' that
 * may precede it, so max means the same for LF and CRLF peers: while max
 * bytes and a '\r' are buffered, the framer waits to see whether '\n' comes.
 * Bytes are bytes: a NUL or invalid UTF-8 inside a line is passed through
 * for the JSON parser to reject.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Smallest allocation, so that small reads do not realloc every time. */
#define FRAME_MIN_CAP 256

static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static bool is_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	}
	return true;
}

void mpd_framer_init(struct mpd_framer *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
}

void mpd_framer_init_buffer(struct mpd_framer *f, size_t max, char *buf,
			    size_t cap)
{
	mpd_framer_init(f, max);
	f->buf = buf;
	f->cap = cap;
	f->fixed = true;
}

void mpd_framer_free(struct mpd_framer *f)
{
	if (!f->fixed) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
	f->start = f->end = f->scan = 0;
}

size_t mpd_framer_pending(const struct mpd_framer *f)
{
	return f->end - f->start;
}

/*
 * The cap of max + 1 + want holds when the caller takes lines until
 * MPD_FRAME_NEED_MORE before reserving again (then at most max bytes and a
 * '\r' are left). Bytes not yet taken are never dropped, so a caller that
 * feeds more without taking lines gets the room it asks for.
 */
char *mpd_framer_reserve(struct mpd_framer *f, size_t want, size_t *avail)
{
	size_t need, cap, limit;
	char *p;

	if (want == 0)
		want = 1;
	if (f->start == f->end)
		f->start = f->end = f->scan = 0;
	if (f->cap - f->end < want && f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->start = 0;
	}
	if (f->cap - f->end < want) {
		if (f->fixed || want > SIZE_MAX - f->end) {
			errno = ENOMEM;
			return NULL;
		}
		need = f->end + want;
		limit = add_sat(add_sat(f->max, 1), want);
		cap = add_sat(f->cap, f->cap);
		if (cap < FRAME_MIN_CAP)
			cap = FRAME_MIN_CAP;
		if (cap > limit)
			cap = limit;
		if (cap < need)
			cap = need;
		p = realloc(f->buf, cap);
		if (p == NULL) {
			errno = ENOMEM;
			return NULL;
		}
		f->buf = p;
		f->cap = cap;
	}
	*avail = f->cap - f->end;
	return f->buf + f->end;
}

void mpd_framer_commit(struct mpd_framer *f, size_t n)
{
	/* Never account for more than was handed out. */
	if (n > f->cap - f->end)
		n = f->cap - f->end;
	f->end += n;
}

int mpd_framer_feed(struct mpd_framer *f, const void *data, size_t n)
{
	size_t avail;
	char *p;

	if (n == 0)
		return 0;
	p = mpd_framer_reserve(f, n, &avail);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, data, n);
	f->end += n;
	return 0;
}

enum mpd_frame_status mpd_framer_next(struct mpd_framer *f, char **line,
				      size_t *len)
{
	while (f->start < f->end) {
		char *p = f->buf + f->start;
		size_t n = f->end - f->start;
		/*
		 * An acceptable line has its '\n' at index max at the latest,
		 * or at max + 1 after a '\r': nothing past that is searched.
		 */
		size_t window = add_sat(f->max, 2);
		size_t i, l;
		char *nl = NULL;

		if (window > n)
			window = n;
		if (f->scan < window)
			nl = memchr(p + f->scan, '\n', window - f->scan);
		if (nl == NULL) {
			f->scan = window;
			if (n > f->max &&
			    !(n - 1 == f->max && p[f->max] == '\r'))
				return MPD_FRAME_TOO_LONG;
			return MPD_FRAME_NEED_MORE;
		}

		i = (size_t)(nl - p);
		l = i;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > f->max) {
			/* Not consumed: the stream stays too long. */
			f->scan = i;
			return MPD_FRAME_TOO_LONG;
		}

		f->start += i + 1;
		f->consumed += i + 1;
		f->scan = 0;
		if (f->start == f->end)
			f->start = f->end = 0;
		if (is_blank(p, l))
			continue;
		p[l] = '\0';
		*line = p;
		*len = l;
		return MPD_FRAME_LINE;
	}
	return MPD_FRAME_NEED_MORE;
}
