/*
 * test-frame.c - unit tests of the newline framer (proto/frame.c).
 *
 * The framer stands between a peer's bytes and the JSON parser: these tests
 * feed it the ways a stream really arrives (split anywhere, many lines at
 * once, CRLF, blank lines, junk bytes) and check the line-length limit at
 * its exact edge and the bound on the framer's memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>

#include "proto.h"

#define SMALL_MAX 8

static void feed(struct mpd_framer *f, const void *data, size_t n)
{
	cr_assert(eq(int, mpd_framer_feed(f, data, n), 0));
}

static void feed_str(struct mpd_framer *f, const char *s)
{
	feed(f, s, strlen(s));
}

static void expect_line_n(struct mpd_framer *f, const char *want, size_t n)
{
	char *line = NULL;
	size_t len = 0;

	cr_assert(eq(int, mpd_framer_next(f, &line, &len), MPD_FRAME_LINE));
	cr_assert(eq(sz, len, n));
	cr_assert(eq(int, memcmp(line, want, n), 0));
	cr_assert(eq(chr, line[len], '\0'));
}

static void expect_line(struct mpd_framer *f, const char *want)
{
	expect_line_n(f, want, strlen(want));
}

static void expect_status(struct mpd_framer *f, enum mpd_frame_status st)
{
	char *line;
	size_t len;

	cr_assert(eq(int, mpd_framer_next(f, &line, &len), st));
}

Test(frame, one_line)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "abc\n");
	expect_line(&f, "abc");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	mpd_framer_free(&f);
}

Test(frame, empty_framer_needs_more)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	mpd_framer_free(&f);
}

Test(frame, partial_line_waits_for_newline)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "ab");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, mpd_framer_pending(&f), 2));
	feed_str(&f, "c\n");
	expect_line(&f, "abc");
	mpd_framer_free(&f);
}

Test(frame, scanned_bytes_are_not_rescanned)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "abc");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, f.scan, 3));
	feed_str(&f, "de");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, f.scan, 5));
	feed_str(&f, "\n");
	expect_line(&f, "abcde");
	cr_assert(eq(sz, f.scan, 0));
	mpd_framer_free(&f);
}

Test(frame, byte_by_byte)
{
	static const char stream[] = "{\"a\":1}\r\n\n[2]\n  \n\"x\"\n";
	static const char *const want[] = { "{\"a\":1}", "[2]", "\"x\"" };
	struct mpd_framer f;
	size_t got = 0, avail, len;
	char *line;

	mpd_framer_init(&f, SMALL_MAX);
	for (size_t i = 0; i < sizeof(stream) - 1; i++) {
		char *p = mpd_framer_reserve(&f, 1, &avail);

		cr_assert(ne(ptr, p, NULL));
		cr_assert(ge(sz, avail, 1));
		*p = stream[i];
		mpd_framer_commit(&f, 1);
		while (mpd_framer_next(&f, &line, &len) == MPD_FRAME_LINE) {
			cr_assert(lt(sz, got, 3));
			cr_assert(eq(str, line, (char *)want[got]));
			got++;
		}
	}
	cr_assert(eq(sz, got, 3));
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	mpd_framer_free(&f);
}

Test(frame, several_lines_in_one_buffer)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "a\nbb\nccc\ndd");
	expect_line(&f, "a");
	expect_line(&f, "bb");
	expect_line(&f, "ccc");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, mpd_framer_pending(&f), 2));
	feed_str(&f, "\n");
	expect_line(&f, "dd");
	mpd_framer_free(&f);
}

Test(frame, crlf_is_dropped)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "a\r\nbc\r\n");
	expect_line(&f, "a");
	expect_line(&f, "bc");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	mpd_framer_free(&f);
}

Test(frame, cr_inside_a_line_is_kept)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "a\rb\n");
	expect_line(&f, "a\rb");
	/* Only one '\r' belongs to the line ending. */
	feed_str(&f, "c\r\r\n");
	expect_line(&f, "c\r");
	mpd_framer_free(&f);
}

Test(frame, empty_and_blank_lines_are_skipped)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "\n\n \t \n\r\n\t\r\r\nx\n\n");
	expect_line(&f, "x");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	mpd_framer_free(&f);
}

Test(frame, leading_blanks_of_a_line_are_kept)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "  1 \n");
	expect_line(&f, "  1 ");
	mpd_framer_free(&f);
}

Test(frame, nul_bytes_are_line_bytes)
{
	static const char data[] = { 'a', '\0', 'b', '\n', '\0', '\n' };
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed(&f, data, sizeof(data));
	expect_line_n(&f, "a\0b", 3);
	expect_line_n(&f, "\0", 1);
	expect_status(&f, MPD_FRAME_NEED_MORE);
	mpd_framer_free(&f);
}

Test(frame, nul_byte_line_is_rejected_by_jansson)
{
	static const char data[] = "{\"a\":\"x\0y\"}\n";
	struct mpd_framer f;
	json_error_t err;
	char *line;
	size_t len;

	mpd_framer_init(&f, 64);
	feed(&f, data, sizeof(data) - 1);
	cr_assert(eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_LINE));
	cr_assert(eq(sz, len, sizeof(data) - 2));
	cr_assert(eq(ptr, json_loadb(line, len, 0, &err), NULL));
	mpd_framer_free(&f);
}

Test(frame, invalid_utf8_passes_through_and_jansson_rejects_it)
{
	static const char *const bad[] = {
		"\"\xff\"\n", "{\"a\":\"\xc3\"}\n",
		"[\"\xed\xa0\x80\"]\n", /* a UTF-16 surrogate */
		"\"\xc0\xaf\"\n", /* an overlong '/' */
	};
	struct mpd_framer f;
	json_error_t err;
	char *line;
	size_t len;

	mpd_framer_init(&f, 64);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]) - 1;

		feed_str(&f, bad[i]);
		cr_assert(eq(int, mpd_framer_next(&f, &line, &len),
			     MPD_FRAME_LINE));
		cr_assert(eq(sz, len, n));
		cr_assert(eq(int, memcmp(line, bad[i], n), 0));
		cr_assert(eq(ptr, json_loadb(line, len, 0, &err), NULL),
			  "case %zu parsed", i);
	}
	/* The same lines with valid UTF-8 do parse: the test can fail. */
	feed_str(&f, "[\"\xc3\xa9\"]\n");
	cr_assert(eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_LINE));
	json_t *ok = json_loadb(line, len, 0, &err);
	cr_assert(ne(ptr, ok, NULL));
	json_decref(ok);
	mpd_framer_free(&f);
}

Test(frame, exactly_max_is_accepted)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "12345678");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	feed_str(&f, "\n");
	expect_line(&f, "12345678");
	mpd_framer_free(&f);
}

Test(frame, exactly_max_with_crlf_is_accepted)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "12345678\r");
	/* max bytes and a '\r': the '\n' may still come. */
	expect_status(&f, MPD_FRAME_NEED_MORE);
	feed_str(&f, "\n");
	expect_line(&f, "12345678");
	feed_str(&f, "abcdefgh\r\n");
	expect_line(&f, "abcdefgh");
	mpd_framer_free(&f);
}

Test(frame, max_and_cr_then_more_is_too_long)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "12345678\r");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	feed_str(&f, "x");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, max_plus_one_with_newline_is_too_long)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "123456789\n");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, max_plus_one_with_cr_newline_is_too_long)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "123456789\r\n");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, max_plus_one_without_newline_is_too_long_at_once)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "12345678");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	feed_str(&f, "9");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, huge_unterminated_line_is_too_long)
{
	struct mpd_framer f;
	char *big = malloc(100000);

	cr_assert(ne(ptr, big, NULL));
	memset(big, 'x', 100000);
	mpd_framer_init(&f, 1000);
	feed(&f, big, 100000);
	expect_status(&f, MPD_FRAME_TOO_LONG);
	/* Only the bytes that could hold an acceptable line were searched. */
	cr_assert(le(sz, f.scan, 1002));
	free(big);
	mpd_framer_free(&f);
}

Test(frame, too_long_is_sticky)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "ok\n123456789012\nfine\n");
	expect_line(&f, "ok");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, blank_line_longer_than_max_is_too_long)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "          \n");
	expect_status(&f, MPD_FRAME_TOO_LONG);
	mpd_framer_free(&f);
}

Test(frame, reserve_and_commit)
{
	struct mpd_framer f;
	size_t avail = 0;
	char *p;

	mpd_framer_init(&f, 64);
	p = mpd_framer_reserve(&f, 10, &avail);
	cr_assert(ne(ptr, p, NULL));
	cr_assert(ge(sz, avail, 10));
	memcpy(p, "hi\nthere", 8);
	/* Commit fewer bytes than reserved: only those count. */
	mpd_framer_commit(&f, 5);
	cr_assert(eq(sz, mpd_framer_pending(&f), 5));
	expect_line(&f, "hi");
	expect_status(&f, MPD_FRAME_NEED_MORE);
	p = mpd_framer_reserve(&f, 4, &avail);
	cr_assert(ne(ptr, p, NULL));
	memcpy(p, "ere\n", 4);
	mpd_framer_commit(&f, 4);
	expect_line(&f, "there");
	mpd_framer_free(&f);
}

Test(frame, pending_counts_unreturned_bytes)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "ab\ncd");
	cr_assert(eq(sz, mpd_framer_pending(&f), 5));
	expect_line(&f, "ab");
	cr_assert(eq(sz, mpd_framer_pending(&f), 2));
	mpd_framer_free(&f);
}

Test(frame, free_releases_and_allows_reuse)
{
	struct mpd_framer f;

	mpd_framer_init(&f, SMALL_MAX);
	feed_str(&f, "abc");
	mpd_framer_free(&f);
	cr_assert(eq(ptr, f.buf, NULL));
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	feed_str(&f, "x\n");
	expect_line(&f, "x");
	mpd_framer_free(&f);
}

/*
 * Many lines through reserve/commit in fixed-size reads, draining after
 * each read as a connection does: the buffer never outgrows one maximal
 * line plus one read, however long the stream.
 */
Test(frame, buffer_stays_bounded_over_many_lines)
{
	enum { MAX = 64, READ = 16, LINES = 20000 };
	struct mpd_framer f;
	char *stream, *line;
	size_t n = 0, off = 0, got = 0, avail, len;

	stream = malloc((size_t)LINES * (MAX + 2));
	cr_assert(ne(ptr, stream, NULL));
	for (size_t i = 0; i < LINES; i++) {
		size_t l = 1 + i % MAX; /* 1 .. MAX bytes */

		memset(stream + n, 'a' + (int)(i % 26), l);
		n += l;
		if (i % 3 == 0)
			stream[n++] = '\r';
		stream[n++] = '\n';
	}

	mpd_framer_init(&f, MAX);
	while (off < n) {
		size_t chunk = n - off < READ ? n - off : READ;
		char *p = mpd_framer_reserve(&f, READ, &avail);

		cr_assert(ne(ptr, p, NULL));
		memcpy(p, stream + off, chunk);
		mpd_framer_commit(&f, chunk);
		off += chunk;
		cr_assert(le(sz, f.cap, MAX + 1 + READ));
		while (mpd_framer_next(&f, &line, &len) == MPD_FRAME_LINE) {
			cr_assert(eq(sz, len, 1 + got % MAX));
			cr_assert(eq(chr, line[0], 'a' + (char)(got % 26)));
			got++;
		}
		cr_assert(le(sz, mpd_framer_pending(&f), MAX + 1));
	}
	cr_assert(eq(sz, got, LINES));
	free(stream);
	mpd_framer_free(&f);
}

/* The same stream cut at different sizes gives the same lines. */
struct chunking {
	size_t size;
};

ParameterizedTestParameters(frame, any_split_gives_the_same_lines)
{
	static struct chunking sizes[] = { { 1 }, { 2 }, { 3 },	 { 5 },
					   { 7 }, { 9 }, { 10 }, { 64 } };

	return cr_make_param_array(struct chunking, sizes,
				   sizeof(sizes) / sizeof(sizes[0]));
}

ParameterizedTest(struct chunking *c, frame, any_split_gives_the_same_lines)
{
	static const char stream[] = "12345678\r\n\r\n{}\n \t\n"
				     "abcdefgh\n[1,2]\r\n\n\"z\"\n";
	static const char *const want[] = { "12345678", "{}", "abcdefgh",
					    "[1,2]", "\"z\"" };
	struct mpd_framer f;
	size_t got = 0, len;
	char *line;

	mpd_framer_init(&f, SMALL_MAX);
	for (size_t off = 0; off < sizeof(stream) - 1; off += c->size) {
		size_t n = sizeof(stream) - 1 - off;

		feed(&f, stream + off, n < c->size ? n : c->size);
		while (mpd_framer_next(&f, &line, &len) == MPD_FRAME_LINE) {
			cr_assert(lt(sz, got, 5));
			cr_assert(eq(str, line, (char *)want[got]),
				  "chunk size %zu", c->size);
			got++;
		}
	}
	cr_assert(eq(sz, got, 5), "chunk size %zu", c->size);
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	mpd_framer_free(&f);
}

Test(frame, consumed_counts_stream_offsets_past_each_line)
{
	struct mpd_framer f;
	char *line;
	size_t len;

	mpd_framer_init(&f, 64);
	cr_assert(eq(int, mpd_framer_feed(&f, "ab\n\n  \ncde\r\nf", 13), 0));
	cr_assert(eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_LINE));
	cr_assert(eq(u64, f.consumed, 3));
	/* The blank lines are skipped, and counted. */
	cr_assert(eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_LINE));
	cr_assert(eq(str, line, "cde"));
	cr_assert(eq(u64, f.consumed, 12));
	cr_assert(
		eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_NEED_MORE));
	cr_assert(eq(u64, f.consumed, 12));
	cr_assert(eq(int, mpd_framer_feed(&f, "\n", 1), 0));
	cr_assert(eq(int, mpd_framer_next(&f, &line, &len), MPD_FRAME_LINE));
	cr_assert(eq(str, line, "f"));
	cr_assert(eq(u64, f.consumed, 14));
	mpd_framer_free(&f);
}

/* Once every buffered byte has been taken, reading starts at the front of
 * the buffer again: short lines keep to the buffer's first bytes. */
Test(frame, drained_buffer_restarts_at_the_front)
{
	struct mpd_framer f;
	size_t avail;
	char *p;

	mpd_framer_init(&f, SMALL_MAX);
	for (int i = 0; i < 100; i++) {
		p = mpd_framer_reserve(&f, 8, &avail);
		cr_assert(eq(ptr, p, f.buf));
		memcpy(p, "abcdefg\n", 8);
		mpd_framer_commit(&f, 8);
		expect_line(&f, "abcdefg");
		expect_status(&f, MPD_FRAME_NEED_MORE);
	}
	/* A part-line left over is kept where it is. */
	feed_str(&f, "xy\nz");
	expect_line(&f, "xy");
	p = mpd_framer_reserve(&f, 2, &avail);
	cr_assert(eq(ptr, p, f.buf + 4));
	memcpy(p, "w\n", 2);
	mpd_framer_commit(&f, 2);
	expect_line(&f, "zw");
	mpd_framer_free(&f);
}

/* A caller's buffer is used as it is: never grown, moved or freed, and a
 * reserve it cannot satisfy fails with ENOMEM, leaving the framer usable. */
Test(frame, caller_buffer_is_never_grown_nor_freed)
{
	enum { MAX = 16, WANT = 8, CAP = MAX + 1 + WANT };
	char buf[CAP];
	struct mpd_framer f;
	size_t avail;
	char *p;

	mpd_framer_init_buffer(&f, MAX, buf, CAP);
	for (int i = 0; i < 50; i++) {
		feed_str(&f, "0123456789abcdef\nxy");
		expect_line(&f, "0123456789abcdef");
		feed_str(&f, "z\n");
		expect_line(&f, "xyz");
		cr_assert(eq(ptr, f.buf, buf));
		cr_assert(eq(sz, f.cap, CAP));
	}
	feed_str(&f, "0123456789");
	errno = 0;
	cr_assert(eq(ptr, mpd_framer_reserve(&f, CAP, &avail), NULL));
	cr_assert(eq(int, errno, ENOMEM));
	p = mpd_framer_reserve(&f, WANT, &avail);
	cr_assert(ne(ptr, p, NULL));
	memcpy(p, "\n", 1);
	mpd_framer_commit(&f, 1);
	expect_line(&f, "0123456789");
	mpd_framer_free(&f);
	cr_assert(eq(ptr, f.buf, buf));
	cr_assert(eq(sz, mpd_framer_pending(&f), 0));
	feed_str(&f, "ok\n");
	expect_line(&f, "ok");
}
