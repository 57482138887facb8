/*
 * fuzz-frame.c - the framer (proto/frame.c) against a plain model.
 *
 * The first input byte picks the line limit and the way bytes go in; the
 * rest is the stream. It is fed in chunks whose sizes come from the input
 * itself, through mpd_framer_feed(), through mpd_framer_reserve() and
 * mpd_framer_commit() (as the daemon reads), or into a caller's buffer of
 * the documented size (max + 1 + the largest chunk), which must never run
 * out of room. After each chunk the lines are taken until NEED_MORE, and
 * each outcome is compared with the model, which reads the same stream the
 * simple way: split at '\n', drop one '\r' before it, skip blank lines,
 * and call a line too long once more than max bytes of it (not counting
 * that '\r') are known. Lines, their lengths, the NUL after them and the
 * consumed stream offset must all agree.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

/* Line limits tried: the edges and a few ordinary ones. */
static const size_t limits[] = { 0, 1, 2, 3, 16, 64, 256, 4096 };

/* The largest chunk written at once. */
#define CHUNK_MAX 8192

enum mode { FEED, RESERVE, FIXED, NMODES };

struct model {
	const char *s; /* the whole stream */
	size_t known; /* bytes of it fed so far */
	size_t pos; /* start of the first untaken line */
	size_t max;
};

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* The model's next outcome; on a line, its start, length and the
 * offset after its '\n'. */
static enum mpd_frame_status model_next(struct model *m, size_t *start,
					size_t *len, size_t *after)
{
	for (;;) {
		const char *p = m->s + m->pos;
		size_t n = m->known - m->pos;
		const char *nl = memchr(p, '\n', n);
		size_t l;

		if (nl == NULL) {
			/* max bytes and a '\r' may still end well. */
			if (n > m->max &&
			    !(n == m->max + 1 && p[n - 1] == '\r'))
				return MPD_FRAME_TOO_LONG;
			return MPD_FRAME_NEED_MORE;
		}
		l = (size_t)(nl - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > m->max)
			return MPD_FRAME_TOO_LONG;
		m->pos += (size_t)(nl - p) + 1;
		if (blank(p, l))
			continue;
		*start = (size_t)(p - m->s);
		*len = l;
		*after = m->pos;
		return MPD_FRAME_LINE;
	}
}

/* Take lines until NEED_MORE; returns false once the stream is too long. */
static bool take(struct mpd_framer *f, struct model *m)
{
	for (;;) {
		size_t start = 0, want_len = 0, after = 0, len = 0;
		enum mpd_frame_status want =
			model_next(m, &start, &want_len, &after);
		char *line = NULL;
		enum mpd_frame_status got = mpd_framer_next(f, &line, &len);

		FUZZ_CHECK(got == want,
			   "status %d, model says %d at offset %zu", got, want,
			   m->pos);
		if (got != MPD_FRAME_LINE)
			return got == MPD_FRAME_NEED_MORE;
		FUZZ_CHECK(len == want_len &&
				   memcmp(line, m->s + start, len) == 0,
			   "line at %zu: %zu bytes, model says %zu", start, len,
			   want_len);
		FUZZ_CHECK(line[len] == '\0', "line at %zu: no NUL after it",
			   start);
		FUZZ_CHECK(
			f->consumed == after,
			"consumed %llu after the line at %zu, model says %zu",
			(unsigned long long)f->consumed, start, after);
		FUZZ_CHECK(mpd_framer_pending(f) == m->known - m->pos,
			   "%zu bytes pending, model says %zu",
			   mpd_framer_pending(f), m->known - m->pos);
	}
}

/* Chunk sizes: 1..64 bytes, or now and then a big one, from a tiny
 * generator seeded by the input, so the same input splits the same way. */
static size_t next_chunk(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	if ((*x & 15) == 0)
		return 1 + (*x >> 4) % CHUNK_MAX;
	return 1 + (*x >> 4) % 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpd_framer f;
	struct model m;
	enum mode mode;
	uint32_t x = 2463534242u;
	size_t fixed_cap = 0, avail, off, n;
	char *fixed = NULL, *p;

	if (size < 1)
		return 0;
	m.max = limits[data[0] & 7];
	mode = (enum mode)((data[0] >> 3) % NMODES);
	m.s = (const char *)data + 1;
	m.known = m.pos = 0;
	size--;
	for (size_t i = 0; i < size && i < 16; i++)
		x = x * 31 + data[1 + i];
	if (x == 0)
		x = 1;

	if (mode == FIXED) {
		fixed_cap = m.max + 1 + CHUNK_MAX;
		fixed = malloc(fixed_cap);
		FUZZ_CHECK(fixed != NULL, "out of memory");
		mpd_framer_init_buffer(&f, m.max, fixed, fixed_cap);
	} else {
		mpd_framer_init(&f, m.max);
	}

	for (off = 0; off < size; off += n) {
		n = next_chunk(&x);
		if (n > size - off)
			n = size - off;
		if (mode == FEED) {
			FUZZ_CHECK(mpd_framer_feed(&f, m.s + off, n) == 0,
				   "feed of %zu bytes failed", n);
		} else {
			p = mpd_framer_reserve(&f, n, &avail);
			FUZZ_CHECK(p != NULL,
				   "no room for %zu bytes (%s buffer of %zu, "
				   "%zu pending, max %zu)",
				   n, mode == FIXED ? "fixed" : "growing",
				   f.cap, mpd_framer_pending(&f), m.max);
			FUZZ_CHECK(avail >= n, "%zu bytes of room for %zu",
				   avail, n);
			memcpy(p, m.s + off, n);
			mpd_framer_commit(&f, n);
		}
		m.known = off + n;
		if (!take(&f, &m))
			break;
		/* One maximal line and a '\r', plus one chunk. */
		FUZZ_CHECK(f.cap <= m.max + 1 + CHUNK_MAX,
			   "buffer grew to %zu for max %zu", f.cap, m.max);
	}
	mpd_framer_free(&f);
	free(fixed);
	return 0;
}
