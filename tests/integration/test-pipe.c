/*
 * test-pipe.c - libmpd's pipes (mpd_pipe_*) and its wait on many things
 * (mpd_wait, process sentinels).
 *
 * The "pipe" suite needs no daemon: it makes pairs and sends through
 * them, between threads and between processes (fork, and a Python
 * program speaking the documented frame), and writes frames by hand on
 * the raw descriptor for what libmpd never sends: half a frame and then
 * the end, garbage headers, a payload that is not JSON, a length over
 * the limit. The "wait" suite adds a real mpdd for process sentinels: a
 * worker started through the daemon whose sentinel turns ready when it is
 * killed, as a pidfd, as the daemon-side wait, and as the fallback
 * chosen by itself in another pid namespace; a worker given one end of a
 * pipe by name, which wraps it with mpd_pipe_from_fd(); and a scripted
 * peer in place of mpdd for a client with a notification buffered.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

/* One timeout for every suite in this file (see test-libmpd-broker.c). */
#define SUITE_TIMEOUT 120

/* A timeout for waits that must not time out: the test's own bound. */
#define LONG_WAIT ((double)TEST_TIMEOUT_MS / 1000)

#define BIG (16 * 1024 * 1024)

static struct mpd_pipe *a, *b;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pair(int duplex)
{
	OK(mpd_pipe(&a, &b, duplex, &err));
}

static void pipe_fini(void)
{
	mpd_pipe_close(a);
	mpd_pipe_close(b);
	a = b = NULL;
}

/* Write all of buf on a raw descriptor. */
static void raw_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* A frame header as docs/protocol.md lays it out. */
static void header(unsigned char *h, unsigned char type, uint32_t len)
{
	h[0] = 0xA7;
	h[1] = type;
	h[2] = h[3] = 0;
	h[4] = (unsigned char)(len >> 24);
	h[5] = (unsigned char)(len >> 16);
	h[6] = (unsigned char)(len >> 8);
	h[7] = (unsigned char)len;
}

static void raw_frame(int fd, unsigned char type, const char *payload,
		      size_t len)
{
	unsigned char h[8];

	header(h, type, (uint32_t)len);
	raw_write(fd, h, sizeof(h));
	raw_write(fd, payload, len);
}

/* Read exactly len raw bytes, with a timeout. */
static void raw_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		cr_assert_eq(poll(&pfd, 1, TEST_TIMEOUT_MS), 1, "raw_read");
		n = recv(fd, p, len, 0);
		cr_assert_gt(n, 0, "recv: %s", n < 0 ? strerror(errno) : "eof");
		p += n;
		len -= (size_t)n;
	}
}

/* Whether fd is readable right now. */
static int fd_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0);
}

static void send_text(struct mpd_pipe *p, const char *text)
{
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);

	cr_assert_not_null(v);
	OK(mpd_pipe_send(p, v, &err));
	json_decref(v);
}

static void recv_is(struct mpd_pipe *p, const char *want)
{
	json_t *v = NULL;

	OK(mpd_pipe_recv(p, &v, LONG_WAIT, &err));
	assert_json(v, want);
}

static void recv_bytes_is(struct mpd_pipe *p, const char *want, size_t len)
{
	void *buf = NULL;
	size_t n = 77;

	OK(mpd_pipe_recv_bytes(p, &buf, &n, LONG_WAIT, &err));
	cr_assert_not_null(buf);
	cr_assert_eq(n, len);
	cr_assert(memcmp(buf, want, len) == 0);
	free(buf);
}

/* A byte pattern that shows misplaced bytes. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static char *big_buffer(void)
{
	char *buf = malloc(BIG);

	cr_assert_not_null(buf);
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (char)pattern(i);
	return buf;
}

static int big_ok(const char *buf, size_t len)
{
	if (len != BIG)
		return 0;
	for (size_t i = 0; i < BIG; i++)
		if ((unsigned char)buf[i] != pattern(i))
			return 0;
	return 1;
}

TestSuite(pipe, .fini = pipe_fini, .timeout = SUITE_TIMEOUT);

Test(pipe, json_values_go_both_ways_on_a_duplex_pipe)
{
	static const char *const values[] = {
		"{\"a\":[1,2.5,\"x\",null,true],\"b\":{}}",
		"[]",
		"42",
		"\"h\\u00e9llo\"",
		"null",
		"-1.5e300",
	};

	pair(1);
	for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++) {
		send_text(a, values[i]);
		send_text(b, values[i]);
	}
	for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++) {
		recv_is(b, values[i]);
		recv_is(a, values[i]);
	}
}

Test(pipe, bytes_messages_keep_their_boundaries)
{
	char buf[16];
	size_t n = 99;

	pair(1);
	OK(mpd_pipe_send_bytes(a, "one", 3, &err));
	OK(mpd_pipe_send_bytes(a, NULL, 0, &err));
	OK(mpd_pipe_send_bytes(a, "\0two\0", 5, &err));
	OK(mpd_pipe_send_bytes(a, "three", 5, &err));
	recv_bytes_is(b, "one", 3);
	recv_bytes_is(b, "", 0);
	OK(mpd_pipe_recv_bytes_into(b, buf, sizeof(buf), &n, LONG_WAIT, &err));
	cr_assert_eq(n, 5);
	cr_assert(memcmp(buf, "\0two\0", 5) == 0);
	OK(mpd_pipe_recv_bytes_into(b, buf, 5, &n, LONG_WAIT, &err));
	cr_assert_eq(n, 5);
	cr_assert(memcmp(buf, "three", 5) == 0);
}

Test(pipe, frames_are_laid_out_as_documented)
{
	static const unsigned char want_b[] = { 0xA7, 'B', 0,	0,   0,	 0,
						0,    3,   'a', 'b', 'c' };
	static const unsigned char want_j[] = { 0xA7, 'J', 0,	0,   0,
						0,    0,   7,	'{', '"',
						'k',  '"', ':', '1', '}' };
	unsigned char got[sizeof(want_j)];
	int fd;

	pair(1);
	fd = mpd_pipe_fd(b);
	OK(mpd_pipe_send_bytes(a, "abc", 3, &err));
	raw_read(fd, got, sizeof(want_b));
	cr_assert(memcmp(got, want_b, sizeof(want_b)) == 0);
	send_text(a, "{\"k\":1}");
	raw_read(fd, got, sizeof(want_j));
	cr_assert(memcmp(got, want_j, sizeof(want_j)) == 0);
	cr_assert_eq(fd_readable(fd), 0);
}

Test(pipe, a_one_way_pipe_refuses_the_wrong_direction)
{
	json_t *v = NULL;
	void *buf = NULL;
	size_t n;
	struct mpd_wait_item item = { .kind = MPD_WAIT_PIPE };

	pair(0);
	/* a reads, b writes, as Python's Pipe(False). */
	FAILS(mpd_pipe_send_bytes(a, "x", 1, &err), MPD_E_INVAL);
	cr_assert(strstr(err.message, "receive-only") != NULL, "%s",
		  err.message);
	FAILS(mpd_pipe_send(a, json_null(), &err), MPD_E_INVAL);
	FAILS(mpd_pipe_recv(b, &v, 0, &err), MPD_E_INVAL);
	cr_assert(strstr(err.message, "send-only") != NULL, "%s", err.message);
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, 0, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_poll(b, 0, &err), MPD_E_INVAL);
	item.pipe = b;
	FAILS(mpd_wait(&item, 1, 0, &err), MPD_E_INVAL);
	/* The raw descriptors are one-way too. */
	cr_assert_lt(send(mpd_pipe_fd(a), "x", 1, MSG_NOSIGNAL), 0);
	cr_assert_eq(errno, EPIPE);
	/* And the right way works. */
	OK(mpd_pipe_send_bytes(b, "ok", 2, &err));
	recv_bytes_is(a, "ok", 2);
}

Test(pipe, bad_arguments_are_refused)
{
	struct mpd_pipe *p = NULL;
	json_t *v = NULL, *deep;
	char bad[] = "\xff";
	size_t n;
	int sv[2], pp[2];

	FAILS(mpd_pipe(NULL, &b, 1, &err), MPD_E_INVAL);
	pair(1);
	FAILS(mpd_pipe_recv(a, &v, NAN, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_recv(a, NULL, 0, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_send(a, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_send_bytes(a, NULL, 3, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_recv_bytes(a, NULL, &n, 0, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_send_bytes(NULL, "x", 1, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_poll(a, NAN, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_pipe_fd(NULL), MPD_E_INVAL);
	FAILS(mpd_pipe_set_max_message(a, 0, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_set_max_message(a, (size_t)UINT32_MAX + 1, &err),
	      MPD_E_INVAL);
	cr_assert_eq(mpd_pipe_max_message(a), MPD_PIPE_DEFAULT_MAX_MESSAGE);
	/* A string that is not UTF-8 cannot be sent as JSON. */
	v = json_stringn_nocheck(bad, 1);
	FAILS(mpd_pipe_send(a, v, &err), MPD_E_INVAL);
	json_decref(v);
	/* Nor a value nested past what the other end reads. */
	deep = json_array();
	for (int i = 0; i < 2100; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, deep);
		deep = outer;
	}
	FAILS(mpd_pipe_send(a, deep, &err), MPD_E_INVAL);
	json_decref(deep);
	/* Nothing of these reached the other end. */
	IS(mpd_pipe_poll(b, 0, &err), 0);

	FAILS(mpd_pipe_from_fd(-1, MPD_PIPE_READABLE, &p, &err), MPD_E_INVAL);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	FAILS(mpd_pipe_from_fd(sv[0], 0, &p, &err), MPD_E_INVAL);
	FAILS(mpd_pipe_from_fd(sv[0], 4, &p, &err), MPD_E_INVAL);
	cr_assert_eq(pipe(pp), 0);
	FAILS(mpd_pipe_from_fd(pp[0], MPD_PIPE_READABLE, &p, &err),
	      MPD_E_INVAL);
	cr_assert(strstr(err.message, "stream socket") != NULL);
	/* Refused, the descriptors stay the caller's. */
	cr_assert_geq(fcntl(sv[0], F_GETFD), 0);
	cr_assert_geq(fcntl(pp[0], F_GETFD), 0);
	close(sv[0]);
	close(sv[1]);
	close(pp[0]);
	close(pp[1]);
	cr_assert_null(p);
}

Test(pipe, from_fd_wraps_a_descriptor_and_owns_it)
{
	struct mpd_pipe *x = NULL, *y = NULL;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	OK(mpd_pipe_from_fd(sv[0], MPD_PIPE_READABLE | MPD_PIPE_WRITABLE, &x,
			    &err));
	OK(mpd_pipe_from_fd(sv[1], MPD_PIPE_WRITABLE, &y, &err));
	cr_assert_eq(mpd_pipe_fd(x), sv[0]);
	send_text(y, "{\"from\":\"fd\"}");
	recv_is(x, "{\"from\":\"fd\"}");
	FAILS(mpd_pipe_poll(y, 0, &err), MPD_E_INVAL);
	mpd_pipe_close(x);
	mpd_pipe_close(y);
	cr_assert_lt(fcntl(sv[0], F_GETFD), 0);
	cr_assert_lt(fcntl(sv[1], F_GETFD), 0);
}

Test(pipe, a_receive_times_out_with_its_own_code)
{
	json_t *v = NULL;
	double t0;

	pair(1);
	t0 = now();
	FAILS(mpd_pipe_recv(b, &v, 0, &err), MPD_E_TIMEOUT);
	FAILS(mpd_pipe_recv(b, &v, 0.2, &err), MPD_E_TIMEOUT);
	cr_assert_geq(now() - t0, 0.2);
	cr_assert_null(v);
	send_text(a, "1");
	recv_is(b, "1");
}

Test(pipe, a_timeout_in_the_middle_of_a_message_keeps_what_came)
{
	unsigned char h[8];
	char buf[64];
	char *payload = malloc(20000);
	void *got = NULL;
	size_t n = 0;
	int fd;

	cr_assert_not_null(payload);
	for (size_t i = 0; i < 20000; i++)
		payload[i] = (char)pattern(i);
	pair(1);
	fd = mpd_pipe_fd(a);
	/* Long (read straight into its copy), then short (in the buffer),
	 * then into the caller's buffer: each cut in two by a timeout. */
	header(h, 'B', 20000);
	raw_write(fd, h, 8);
	raw_write(fd, payload, 7000);
	FAILS(mpd_pipe_recv_bytes(b, &got, &n, 0.05, &err), MPD_E_TIMEOUT);
	/* The other kind is still refused, and the message stays. */
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, 0, &err),
	      MPD_E_INVALID_STATE);
	IS(mpd_pipe_poll(b, 0, &err), 0);
	raw_write(fd, payload + 7000, 13000);
	IS(mpd_pipe_poll(b, LONG_WAIT, &err), 1);
	OK(mpd_pipe_recv_bytes(b, &got, &n, LONG_WAIT, &err));
	cr_assert_eq(n, 20000);
	cr_assert(memcmp(got, payload, 20000) == 0);
	free(got);

	raw_write(fd, "\xA7J\0\0\0\0\0\x0b[1,", 11);
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, 0.05, &err), MPD_E_TIMEOUT);
	raw_write(fd, "2,3,4,5]", 8);
	recv_is(b, "[1,2,3,4,5]");

	header(h, 'B', 40);
	raw_write(fd, h, 8);
	raw_write(fd, payload, 10);
	FAILS(mpd_pipe_recv_bytes_into(b, buf, sizeof(buf), &n, 0.05, &err),
	      MPD_E_TIMEOUT);
	raw_write(fd, payload + 10, 30);
	OK(mpd_pipe_recv_bytes_into(b, buf, sizeof(buf), &n, LONG_WAIT, &err));
	cr_assert_eq(n, 40);
	cr_assert(memcmp(buf, payload, 40) == 0);

	/* A long one cut while going into the caller's buffer. */
	header(h, 'B', 20000);
	raw_write(fd, h, 8);
	raw_write(fd, payload, 9000);
	got = malloc(20000);
	cr_assert_not_null(got);
	FAILS(mpd_pipe_recv_bytes_into(b, got, 20000, &n, 0.05, &err),
	      MPD_E_TIMEOUT);
	raw_write(fd, payload + 9000, 11000);
	memset(got, 0, 20000);
	OK(mpd_pipe_recv_bytes_into(b, got, 20000, &n, LONG_WAIT, &err));
	cr_assert_eq(n, 20000);
	cr_assert(memcmp(got, payload, 20000) == 0);
	free(got);
	free(payload);
}

Test(pipe, poll_counts_a_message_already_buffered)
{
	pair(1);
	IS(mpd_pipe_poll(b, 0, &err), 0);
	IS(mpd_pipe_poll(b, 0.1, &err), 0);
	OK(mpd_pipe_send_bytes(a, "1", 1, &err));
	OK(mpd_pipe_send_bytes(a, "2", 1, &err));
	IS(mpd_pipe_poll(b, LONG_WAIT, &err), 1);
	recv_bytes_is(b, "1", 1);
	/* The second came in the same read: the descriptor has nothing,
	 * and yet there is a message. */
	cr_assert_eq(fd_readable(mpd_pipe_fd(b)), 0);
	IS(mpd_pipe_poll(b, 0, &err), 1);
	recv_bytes_is(b, "2", 1);
	IS(mpd_pipe_poll(b, 0, &err), 0);
	/* The end of the stream is something to receive: at once. */
	mpd_pipe_close(a);
	a = NULL;
	IS(mpd_pipe_poll(b, LONG_WAIT, &err), 1);
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, 0, &err), MPD_E_CLOSED);
}

Test(pipe, the_other_end_gone_is_closed_both_ways_without_sigpipe)
{
	json_t *v = NULL;

	/* The default action of SIGPIPE would kill this test. */
	signal(SIGPIPE, SIG_DFL);
	pair(1);
	OK(mpd_pipe_send_bytes(a, "last", 4, &err));
	mpd_pipe_close(a);
	a = NULL;
	/* What was sent before the close still comes. */
	recv_bytes_is(b, "last", 4);
	FAILS(mpd_pipe_recv(b, &v, LONG_WAIT, &err), MPD_E_CLOSED);
	FAILS(mpd_pipe_recv(b, &v, LONG_WAIT, &err), MPD_E_CLOSED);
	FAILS(mpd_pipe_send_bytes(b, "x", 1, &err), MPD_E_CLOSED);
	FAILS(mpd_pipe_send(b, json_null(), &err), MPD_E_CLOSED);
	cr_assert_null(v);
}

Test(pipe, a_peer_gone_in_the_middle_of_a_message_is_a_precise_error)
{
	unsigned char h[8];
	char half[40] = { 0 };
	void *buf = NULL;
	size_t n;
	int fd;

	pair(1);
	fd = mpd_pipe_fd(a);
	header(h, 'B', 100);
	raw_write(fd, h, sizeof(h));
	raw_write(fd, half, sizeof(half));
	mpd_pipe_close(a);
	a = NULL;
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err), MPD_E_IO);
	cr_assert(strstr(err.message, "middle of a message (40 of 100") != NULL,
		  "%s", err.message);
	cr_assert_null(buf);
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err), MPD_E_CLOSED);
}

Test(pipe, a_peer_gone_in_the_middle_of_a_header_is_a_precise_error)
{
	pair(1);
	raw_write(mpd_pipe_fd(a), "\xA7J\0", 3);
	mpd_pipe_close(a);
	a = NULL;
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, LONG_WAIT, &err), MPD_E_IO);
	cr_assert(strstr(err.message, "header (3 of 8") != NULL, "%s",
		  err.message);
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, LONG_WAIT, &err),
	      MPD_E_CLOSED);
}

Test(pipe, a_peer_gone_in_the_middle_of_a_long_message_is_a_precise_error)
{
	unsigned char h[8];
	char *part = calloc(1, 300000);
	void *buf = NULL;
	size_t n;
	pid_t pid;
	int st;

	cr_assert_not_null(part);
	pair(1);
	/* A writer process that dies mid-message: its part must pass the
	 * socket's buffer, so it writes while this end reads. */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		header(h, 'B', 1000000);
		if (send(mpd_pipe_fd(a), h, 8, MSG_NOSIGNAL) != 8)
			_exit(1);
		for (size_t off = 0; off < 300000;) {
			ssize_t k = send(mpd_pipe_fd(a), part + off,
					 300000 - off, MSG_NOSIGNAL);
			if (k <= 0)
				_exit(2);
			off += (size_t)k;
		}
		_exit(0);
	}
	mpd_pipe_close(a);
	a = NULL;
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err), MPD_E_IO);
	cr_assert(strstr(err.message, "(300000 of 1000000 bytes") != NULL, "%s",
		  err.message);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(part);
}

Test(pipe, a_garbage_header_puts_the_stream_out_of_step_for_good)
{
	json_t *v = NULL;

	pair(1);
	raw_write(mpd_pipe_fd(a), "{\"jsonrpc\":\"2.0\"}\n", 18);
	FAILS(mpd_pipe_recv(b, &v, LONG_WAIT, &err), MPD_E_PROTO);
	cr_assert(strstr(err.message, "bad magic byte (bytes 7b 22 6a 73)") !=
			  NULL,
		  "%s", err.message);
	/* Even a good frame after it is not read: the boundary is lost. */
	send_text(a, "1");
	FAILS(mpd_pipe_recv(b, &v, LONG_WAIT, &err), MPD_E_PROTO);
	cr_assert(strstr(err.message, "out of step") != NULL, "%s",
		  err.message);
	/* The other direction is another stream. */
	send_text(b, "2");
	recv_is(a, "2");
	cr_assert_null(v);
}

Test(pipe, headers_with_an_unknown_type_or_reserved_bytes_are_refused)
{
	static const char *const bad[] = { "\xA7X\0\0\0\0\0\0",
					   "\xA7J\0\1\0\0\0\0",
					   "\xA7"
					   "B\x80\0\0\0\0\0" };
	static const char *const why[] = { "unknown message type",
					   "reserved bytes not zero",
					   "reserved bytes not zero" };

	for (size_t i = 0; i < 3; i++) {
		void *buf = NULL;
		size_t n;

		pair(1);
		raw_write(mpd_pipe_fd(a), bad[i], 8);
		IS(mpd_pipe_poll(b, LONG_WAIT, &err), 1);
		FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err),
		      MPD_E_PROTO);
		cr_assert(strstr(err.message, why[i]) != NULL, "%s",
			  err.message);
		pipe_fini();
	}
}

Test(pipe, a_message_of_the_other_kind_is_refused_and_stays)
{
	json_t *v = NULL;
	void *buf = NULL;
	size_t n;

	pair(1);
	send_text(a, "{\"k\":\"json\"}");
	OK(mpd_pipe_send_bytes(a, "raw", 3, &err));
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err),
	      MPD_E_INVALID_STATE);
	cr_assert(strstr(err.message, "is JSON, not bytes") != NULL, "%s",
		  err.message);
	FAILS(mpd_pipe_recv_bytes_into(b, (char[8]){ 0 }, 8, &n, 0, &err),
	      MPD_E_INVALID_STATE);
	recv_is(b, "{\"k\":\"json\"}");
	FAILS(mpd_pipe_recv(b, &v, LONG_WAIT, &err), MPD_E_INVALID_STATE);
	cr_assert(strstr(err.message, "is bytes, not JSON") != NULL, "%s",
		  err.message);
	recv_bytes_is(b, "raw", 3);
	cr_assert_null(v);
	cr_assert_null(buf);
}

Test(pipe, a_json_payload_that_does_not_parse_is_dropped_alone)
{
	static const char *const bad[] = { "{\"a\":", "[1] [2]",
					   "{\"a\":1,\"a\":2}", "\"\\u0000\"",
					   "" };
	int fd;

	pair(1);
	fd = mpd_pipe_fd(a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		raw_frame(fd, 'J', bad[i], strlen(bad[i]));
		send_text(a, "\"next\"");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, LONG_WAIT, &err),
		      MPD_E_PROTO);
		cr_assert(strstr(err.message, "does not parse") != NULL, "%s",
			  err.message);
		recv_is(b, "\"next\"");
	}
	/* White space around the text is fine. */
	raw_frame(fd, 'J', " [1] \n", 6);
	recv_is(b, "[1]");
}

Test(pipe, a_message_over_the_limit_is_refused_without_losing_step)
{
	char *big = calloc(1, 300000);
	void *buf = NULL;
	size_t n;
	unsigned char h[8];
	pid_t pid;

	cr_assert_not_null(big);
	pair(1);
	/* The sender refuses over its own limit, with nothing sent. */
	OK(mpd_pipe_set_max_message(a, 1000, &err));
	cr_assert_eq(mpd_pipe_max_message(a), 1000);
	FAILS(mpd_pipe_send_bytes(a, big, 1001, &err), MPD_E_TOOBIG);
	IS(mpd_pipe_poll(b, 0, &err), 0);
	OK(mpd_pipe_send_bytes(a, big, 1000, &err));
	recv_bytes_is(b, big, 1000);

	/* The receiver drops what is over its limit, short or long, and
	 * takes the next message; the sender's limit is its own. */
	OK(mpd_pipe_set_max_message(a, MPD_PIPE_DEFAULT_MAX_MESSAGE, &err));
	OK(mpd_pipe_set_max_message(b, 100, &err));
	OK(mpd_pipe_send_bytes(a, big, 101, &err));
	send_text(a, "\"after short\"");
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err), MPD_E_TOOBIG);
	cr_assert(strstr(err.message, "101 bytes is over") != NULL, "%s",
		  err.message);
	recv_is(b, "\"after short\"");

	/* Bigger than the socket's buffer: it is dropped as it comes. */
	OK(mpd_pipe_set_max_message(b, 1000, &err));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (mpd_pipe_send_bytes(a, big, 300000, NULL) < 0 ||
		    mpd_pipe_send_bytes(a, "after long", 10, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	FAILS(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err), MPD_E_TOOBIG);
	recv_bytes_is(b, "after long", 10);
	cr_assert_eq(waitpid(pid, &(int){ 0 }, 0), pid);

	/* A header claiming 4 GiB is refused before any allocation. */
	header(h, 'J', UINT32_MAX);
	raw_write(mpd_pipe_fd(a), h, 8);
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, LONG_WAIT, &err),
	      MPD_E_TOOBIG);
	mpd_pipe_close(a);
	a = NULL;
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, LONG_WAIT, &err),
	      MPD_E_CLOSED);
	cr_assert_null(buf);
	free(big);
}

Test(pipe, a_buffer_too_small_leaves_the_message_for_recv_bytes)
{
	char small[4];
	size_t n = 0;

	pair(1);
	OK(mpd_pipe_send_bytes(a, "too long", 8, &err));
	FAILS(mpd_pipe_recv_bytes_into(b, small, sizeof(small), &n, LONG_WAIT,
				       &err),
	      MPD_E_TOOBIG);
	cr_assert(strstr(err.message, "8 bytes") != NULL, "%s", err.message);
	cr_assert_eq(n, 0);
	recv_bytes_is(b, "too long", 8);
}

struct sender {
	struct mpd_pipe *p;
	const char *buf;
	size_t len;
	int json; /* send a JSON string of len bytes of 'x' */
	int r;
	struct mpd_error err;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	if (s->json) {
		char *text = malloc(s->len + 1);
		json_t *v;

		memset(text, 'x', s->len);
		text[s->len] = '\0';
		v = json_stringn(text, s->len);
		s->r = mpd_pipe_send(s->p, v, &s->err);
		json_decref(v);
		free(text);
	} else {
		s->r = mpd_pipe_send_bytes(s->p, s->buf, s->len, &s->err);
	}
	return NULL;
}

Test(pipe, sixteen_mib_go_through_to_a_thread)
{
	struct sender s = { 0 };
	pthread_t t;
	char *big = big_buffer(), *into = malloc(BIG);
	void *buf = NULL;
	size_t n = 0;
	json_t *v = NULL;

	cr_assert_not_null(into);
	pair(1);
	s.p = a;
	s.buf = big;
	s.len = BIG;
	cr_assert_eq(pthread_create(&t, NULL, sender_main, &s), 0);
	OK(mpd_pipe_recv_bytes(b, &buf, &n, LONG_WAIT, &err));
	pthread_join(t, NULL);
	cr_assert_eq(s.r, 0, "%s", s.err.message);
	cr_assert(big_ok(buf, n));
	free(buf);

	cr_assert_eq(pthread_create(&t, NULL, sender_main, &s), 0);
	OK(mpd_pipe_recv_bytes_into(b, into, BIG, &n, LONG_WAIT, &err));
	pthread_join(t, NULL);
	cr_assert_eq(s.r, 0, "%s", s.err.message);
	cr_assert(big_ok(into, n));

	s.json = 1;
	s.len = BIG - 2;
	cr_assert_eq(pthread_create(&t, NULL, sender_main, &s), 0);
	OK(mpd_pipe_recv(b, &v, LONG_WAIT, &err));
	pthread_join(t, NULL);
	cr_assert_eq(s.r, 0, "%s", s.err.message);
	cr_assert(json_is_string(v));
	cr_assert_eq(json_string_length(v), (size_t)BIG - 2);
	cr_assert_eq(json_string_value(v)[BIG / 2], 'x');
	json_decref(v);
	free(big);
	free(into);
}

Test(pipe, a_forked_child_uses_one_end_and_its_end_is_seen)
{
	char *big = big_buffer();
	void *buf = NULL;
	json_t *v = NULL;
	size_t n;
	pid_t pid;
	int st;

	pair(1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* The child keeps b: it echoes bytes and answers JSON. */
		mpd_pipe_close(a);
		for (;;) {
			json_t *req = NULL;
			void *got;
			size_t len;
			int r = mpd_pipe_recv_bytes(b, &got, &len, -1, NULL);

			if (r == MPD_E_CLOSED)
				_exit(0);
			if (r == 0) {
				r = mpd_pipe_send_bytes(b, got, len, NULL);
				free(got);
				if (r < 0)
					_exit(1);
				continue;
			}
			if (r != MPD_E_INVALID_STATE ||
			    mpd_pipe_recv(b, &req, -1, NULL) < 0)
				_exit(2);
			json_object_set_new(req, "pid", json_integer(getpid()));
			if (mpd_pipe_send(b, req, NULL) < 0)
				_exit(3);
			json_decref(req);
		}
	}
	mpd_pipe_close(b);
	b = NULL;
	send_text(a, "{\"ask\":1}");
	OK(mpd_pipe_recv(a, &v, LONG_WAIT, &err));
	cr_assert_eq(json_integer_value(json_object_get(v, "pid")), pid);
	json_decref(v);
	OK(mpd_pipe_send_bytes(a, big, BIG, &err));
	OK(mpd_pipe_recv_bytes(a, &buf, &n, LONG_WAIT, &err));
	cr_assert(big_ok(buf, n));
	free(buf);
	/* Half-close our side: the child sees the end and exits. */
	shutdown(mpd_pipe_fd(a), SHUT_WR);
	FAILS(mpd_pipe_recv(a, &v, LONG_WAIT, &err), MPD_E_CLOSED);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %x", st);
	free(big);
}

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	signals_seen++;
}

struct pester {
	pthread_t target;
	struct mpd_pipe *p; /* then send "done" on it, or NULL */
	int count;
};

/* Signal the target thread count times, 10 ms apart, then send. */
static void *pester_main(void *arg)
{
	struct pester *ps = arg;
	struct timespec gap = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < ps->count; i++) {
		nanosleep(&gap, NULL);
		pthread_kill(ps->target, SIGUSR1);
	}
	if (ps->p != NULL)
		mpd_pipe_send_bytes(ps->p, "done", 4, NULL);
	return NULL;
}

Test(pipe, signals_do_not_end_a_wait_early)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct pester ps = { .target = pthread_self(), .count = 20 };
	pthread_t t;
	double t0;

	/* No SA_RESTART: each signal interrupts the system call. */
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	pair(1);
	ps.p = a;
	cr_assert_eq(pthread_create(&t, NULL, pester_main, &ps), 0);
	recv_bytes_is(b, "done", 4);
	pthread_join(t, NULL);
	cr_assert_geq(signals_seen, 1);

	signals_seen = 0;
	ps.p = NULL;
	t0 = now();
	cr_assert_eq(pthread_create(&t, NULL, pester_main, &ps), 0);
	FAILS(mpd_pipe_recv(b, &(json_t *){ NULL }, 0.4, &err), MPD_E_TIMEOUT);
	cr_assert_geq(now() - t0, 0.4);
	IS(mpd_pipe_poll(b, 0.2, &err), 0);
	pthread_join(t, NULL);
	cr_assert_geq(signals_seen, 1);
}

/* The frame speaker of docs/protocol.md, as a Python program on fd 3. */
static const char py_peer[] =
	"import json, socket, struct\n"
	"HEADER = struct.Struct('>BBHI')\n"
	"MAGIC, BYTES, JSON = 0xA7, 0x42, 0x4A\n"
	"def send(sock, kind, payload):\n"
	"    sock.sendall(HEADER.pack(MAGIC, kind, 0, len(payload)) + "
	"payload)\n"
	"def read_exactly(sock, n, started):\n"
	"    buf = bytearray()\n"
	"    while len(buf) < n:\n"
	"        chunk = sock.recv(n - len(buf))\n"
	"        if not chunk:\n"
	"            if not buf and not started:\n"
	"                raise EOFError('closed')\n"
	"            raise OSError('end of stream inside a message')\n"
	"        buf += chunk\n"
	"    return bytes(buf)\n"
	"def recv(sock):\n"
	"    magic, kind, reserved, length = "
	"HEADER.unpack(read_exactly(sock, 8, False))\n"
	"    if magic != MAGIC or kind not in (BYTES, JSON) or reserved:\n"
	"        raise OSError('bad header')\n"
	"    payload = read_exactly(sock, length, True)\n"
	"    return (kind, json.loads(payload) if kind == JSON else payload)\n"
	"sock = socket.socket(fileno=3)\n"
	"while True:\n"
	"    try:\n"
	"        kind, v = recv(sock)\n"
	"    except EOFError:\n"
	"        break\n"
	"    if kind == JSON:\n"
	"        v['python'] = True\n"
	"        send(sock, JSON, json.dumps(v).encode())\n"
	"    else:\n"
	"        send(sock, BYTES, v[::-1])\n";

Test(pipe, a_python_peer_speaks_the_documented_frame)
{
	int sv[2], st;
	pid_t pid;
	json_t *v = NULL;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execl("/usr/bin/python3", "python3", "-c", py_peer,
		      (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	OK(mpd_pipe_from_fd(sv[0], MPD_PIPE_READABLE | MPD_PIPE_WRITABLE, &a,
			    &err));
	send_text(a, "{\"n\":[1,2,3],\"s\":\"\\u00e9\"}");
	OK(mpd_pipe_recv(a, &v, LONG_WAIT, &err));
	assert_json(v, "{\"n\":[1,2,3],\"s\":\"\\u00e9\",\"python\":true}");
	OK(mpd_pipe_send_bytes(a, "\x01\x02\x03", 3, &err));
	recv_bytes_is(a, "\x03\x02\x01", 3);
	OK(mpd_pipe_send_bytes(a, "", 0, &err));
	recv_bytes_is(a, "", 0);
	shutdown(sv[0], SHUT_WR);
	FAILS(mpd_pipe_recv(a, &v, LONG_WAIT, &err), MPD_E_CLOSED);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "python: %x", st);
}

/* ---- mpd_wait and process sentinels ------------------------------------ */

static struct mpd_pipe *extra[2];
static int fds[2] = { -1, -1 };
static int sentinel = -1;

static void wait_init(void)
{
	mpdd_start(&d, NULL);
	OK(mpd_connect(&c, d.socket, &err));
}

static void wait_fini(void)
{
	pipe_fini();
	mpd_pipe_close(extra[0]);
	mpd_pipe_close(extra[1]);
	extra[0] = extra[1] = NULL;
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = -1;
	if (sentinel >= 0)
		close(sentinel);
	sentinel = -1;
	mpd_close(c);
	c = NULL;
	mpdd_teardown(&d);
}

TestSuite(wait, .init = wait_init, .fini = wait_fini, .timeout = SUITE_TIMEOUT);

/* Start "sleep 3600" through the daemon; returns its id. */
static int64_t start_sleeper(void)
{
	static const char *const argv[] = { "sleep", "3600", NULL };
	struct mpd_process_options o = { .argv = argv, .start = 1 };
	json_t *rec = NULL;
	int64_t id;

	OK(mpd_process_create(c, &o, &rec, &err));
	id = json_integer_value(json_object_get(rec, "id"));
	json_decref(rec);
	cr_assert_gt(id, 0);
	return id;
}

/* Whether /proc names the descriptor with what in it ("anon_inode:[pidfd]"
 * or, on newer kernels, "pidfd:[...]"). */
static int fd_is(int fd, const char *what)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	cr_assert_gt(n, 0);
	target[n] = '\0';
	return strstr(target, what) != NULL;
}

static int wait_one(int fd, double timeout)
{
	struct mpd_wait_item it = { .kind = MPD_WAIT_SENTINEL, .fd = fd };
	int r = mpd_wait(&it, 1, timeout, &err);

	cr_assert_geq(r, 0, "mpd_wait: %s", err.message);
	cr_assert_eq(it.ready, r);
	return r;
}

Test(wait, wait_marks_what_is_ready_among_pipes_an_fd_and_a_sentinel)
{
	struct mpd_wait_item it[5];
	int64_t id = start_sleeper();
	double t0;

	pair(1);
	OK(mpd_pipe(&extra[0], &extra[1], 0, &err));
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	OK(mpd_process_sentinel(c, id, &sentinel, &err));
	cr_assert(fd_is(sentinel, "pidfd"));
	memset(it, 0, sizeof(it));
	it[0] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE, .pipe = a };
	it[1] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE, .pipe = b };
	it[2] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE,
					.pipe = extra[0] };
	it[3] = (struct mpd_wait_item){ .kind = MPD_WAIT_FD, .fd = fds[0] };
	it[4] = (struct mpd_wait_item){ .kind = MPD_WAIT_SENTINEL,
					.fd = sentinel };
	for (int i = 0; i < 5; i++)
		it[i].ready = 7;

	IS(mpd_wait(it, 5, 0, &err), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(it[i].ready, 0);
	t0 = now();
	IS(mpd_wait(it, 5, 0.2, &err), 0);
	cr_assert_geq(now() - t0, 0.2);

	OK(mpd_pipe_send_bytes(a, "to b", 4, &err));
	IS(mpd_wait(it, 5, LONG_WAIT, &err), 1);
	cr_assert_eq(it[1].ready, 1);
	cr_assert_eq(it[0].ready + it[2].ready + it[3].ready + it[4].ready, 0);

	cr_assert_eq(write(fds[1], "x", 1), 1);
	OK(mpd_pipe_send(extra[1], json_true(), &err));
	IS(mpd_wait(it, 5, LONG_WAIT, &err), 3);
	cr_assert(it[1].ready && it[2].ready && it[3].ready);
	recv_bytes_is(b, "to b", 4);
	recv_is(extra[0], "true");
	cr_assert_eq(read(fds[0], &(char){ 0 }, 1), 1);
	IS(mpd_wait(it, 5, 0, &err), 0);

	/* The worker dies: its sentinel, and nothing else, is ready. */
	OK(mpd_process_kill(c, id, &err));
	IS(mpd_wait(it, 5, LONG_WAIT, &err), 1);
	cr_assert_eq(it[4].ready, 1);
	OK(mpd_process_join(c, id, LONG_WAIT, NULL, &err));
}

Test(wait, wait_answers_at_once_for_a_message_buffered_in_a_pipe)
{
	struct mpd_wait_item it[2];

	pair(1);
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	OK(mpd_pipe_send_bytes(a, "1", 1, &err));
	OK(mpd_pipe_send_bytes(a, "2", 1, &err));
	recv_bytes_is(b, "1", 1);
	cr_assert_eq(fd_readable(mpd_pipe_fd(b)), 0);
	it[0] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE, .pipe = b };
	it[1] = (struct mpd_wait_item){ .kind = MPD_WAIT_FD, .fd = fds[0] };
	/* Waiting for ever: the buffered message answers it. */
	IS(mpd_wait(it, 2, -1, &err), 1);
	cr_assert_eq(it[0].ready, 1);
	cr_assert_eq(it[1].ready, 0);
	/* And what else is ready then is marked too. */
	cr_assert_eq(write(fds[1], "x", 1), 1);
	IS(mpd_wait(it, 2, -1, &err), 2);
	cr_assert(it[0].ready && it[1].ready);
}

Test(wait, wait_refuses_bad_items)
{
	struct mpd_wait_item it[2] = { 0 };
	int pp[2];

	FAILS(mpd_wait(NULL, 1, 0, &err), MPD_E_INVAL);
	FAILS(mpd_wait(it, 0, -1, &err), MPD_E_INVAL);
	IS(mpd_wait(NULL, 0, 0.01, &err), 0);
	it[0].kind = 99;
	FAILS(mpd_wait(it, 1, 0, &err), MPD_E_INVAL);
	it[0].kind = MPD_WAIT_PIPE;
	FAILS(mpd_wait(it, 1, 0, &err), MPD_E_INVAL);
	it[0].kind = MPD_WAIT_CLIENT;
	FAILS(mpd_wait(it, 1, 0, &err), MPD_E_INVAL);
	cr_assert_eq(pipe(pp), 0);
	close(pp[0]);
	close(pp[1]);
	it[0].kind = MPD_WAIT_FD;
	it[0].fd = pp[0];
	FAILS(mpd_wait(it, 1, 0, &err), MPD_E_INVAL);
	it[0].fd = -1;
	FAILS(mpd_wait(it, 1, 0, &err), MPD_E_INVAL);
	it[0].fd = 0;
	FAILS(mpd_wait(it, 1, NAN, &err), MPD_E_INVAL);
	FAILS(mpd_wait(it, MPD_WAIT_MAX_ITEMS + 1, 0, &err), MPD_E_INVAL);
}

Test(wait, wait_takes_many_items)
{
	enum { N = 40 };
	struct mpd_pipe *r[N], *w[N];
	struct mpd_wait_item it[N];

	for (int i = 0; i < N; i++) {
		OK(mpd_pipe(&r[i], &w[i], 0, &err));
		it[i] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE,
						.pipe = r[i] };
	}
	OK(mpd_pipe_send_bytes(w[N - 1], "x", 1, &err));
	OK(mpd_pipe_send_bytes(w[17], "x", 1, &err));
	IS(mpd_wait(it, N, LONG_WAIT, &err), 2);
	for (int i = 0; i < N; i++)
		cr_assert_eq(it[i].ready, i == 17 || i == N - 1);
	for (int i = 0; i < N; i++) {
		mpd_pipe_close(r[i]);
		mpd_pipe_close(w[i]);
	}
}

Test(wait, a_sentinel_of_an_ended_process_is_ready_at_once)
{
	static const char *const argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv, .start = 1 };
	json_t *rec = NULL;
	int64_t id;

	OK(mpd_process_create(c, &o, &rec, &err));
	id = json_integer_value(json_object_get(rec, "id"));
	json_decref(rec);
	OK(mpd_process_join(c, id, LONG_WAIT, NULL, &err));
	OK(mpd_process_sentinel(c, id, &sentinel, &err));
	cr_assert(fd_is(sentinel, "[eventfd]"));
	IS(wait_one(sentinel, 0), 1);
	/* It stays ready. */
	IS(wait_one(sentinel, 0), 1);
	close(sentinel);
	sentinel = -1;
	OK(mpd_process_sentinel_daemon(c, id, &sentinel, &err));
	IS(wait_one(sentinel, LONG_WAIT), 1);
}

Test(wait, a_sentinel_is_refused_for_a_process_not_started_or_unknown)
{
	static const char *const argv[] = { "true", NULL };
	struct mpd_process_options o = { .argv = argv };
	json_t *rec = NULL;
	int64_t id;

	OK(mpd_process_create(c, &o, &rec, &err));
	id = json_integer_value(json_object_get(rec, "id"));
	json_decref(rec);
	FAILS(mpd_process_sentinel(c, id, &sentinel, &err),
	      MPD_E_INVALID_STATE);
	FAILS(mpd_process_sentinel_daemon(c, id, &sentinel, &err),
	      MPD_E_INVALID_STATE);
	FAILS(mpd_process_sentinel(c, 9999, &sentinel, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_process_sentinel(c, 0, &sentinel, &err), MPD_E_INVAL);
	FAILS(mpd_process_sentinel(NULL, id, &sentinel, &err), MPD_E_INVAL);
	FAILS(mpd_process_sentinel(c, id, NULL, &err), MPD_E_INVAL);
	cr_assert_eq(sentinel, -1);
}

Test(wait, the_daemon_side_sentinel_turns_ready_when_the_worker_is_killed)
{
	int64_t id = start_sleeper();
	json_t *reply;
	char *line;

	OK(mpd_process_sentinel_daemon(c, id, &sentinel, &err));
	cr_assert(fd_is(sentinel, "socket:"));
	/* The join is parked in the daemon: nothing comes while it runs. */
	IS(wait_one(sentinel, 0.3), 0);
	OK(mpd_process_kill(c, id, &err));
	IS(wait_one(sentinel, LONG_WAIT), 1);
	/* What made it readable is the join's answer. */
	line = test_read_line(sentinel, TEST_TIMEOUT_MS);
	cr_assert_not_null(line);
	reply = test_json(line);
	cr_assert_eq(test_int(test_result(reply), "exitcode"), -9);
	json_decref(reply);
	free(line);
	test_forget(sentinel);
}

/*
 * In a pid namespace of its own, a client cannot see the daemon's pids:
 * mpd_process_sentinel() must find that out and take the daemon-side
 * wait. A grandchild in a new namespace reports which kind of descriptor
 * it got on rp[1], then waits on it and exits 0 once it is ready.
 */
static void sentinel_in_other_ns(const char *socket, int64_t id, int rp)
{
	struct mpd_client *cl = NULL;
	struct mpd_wait_item it = { .kind = MPD_WAIT_SENTINEL };
	char kind = '?';
	pid_t pid;
	int st;

	if (unshare(CLONE_NEWPID) < 0)
		_exit(errno == EPERM ? 77 : 10);
	pid = fork();
	if (pid < 0)
		_exit(11);
	if (pid > 0) {
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			_exit(12);
		_exit(WEXITSTATUS(st));
	}
	if (getpid() != 1 || mpd_connect(&cl, socket, NULL) < 0)
		_exit(13);
	if (mpd_process_sentinel(cl, id, &it.fd, NULL) < 0)
		_exit(14);
	kind = fd_is(it.fd, "socket:") ? 's' : 'p';
	if (write(rp, &kind, 1) != 1)
		_exit(15);
	if (mpd_wait(&it, 1, LONG_WAIT, NULL) != 1)
		_exit(16);
	_exit(0);
}

Test(wait, a_client_in_another_pid_namespace_gets_the_daemon_side_wait)
{
	int64_t id = start_sleeper();
	char kind = 0;
	pid_t pid;
	int st;

	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		sentinel_in_other_ns(d.socket, id, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	cr_assert_eq(read(fds[0], &kind, 1), 1, "the grandchild failed");
	cr_assert_eq(kind, 's', "got a pidfd in another pid namespace");
	OK(mpd_process_kill(c, id, &err));
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %x", st);
}

Test(wait, a_worker_given_one_end_talks_through_it_and_is_seen_to_end)
{
	const char *module = getenv("MPD_TEST_MODULE");
	const char *const names[] = { "chan" };
	struct mpd_process_options o = { .function = "pipe_echo",
					 .fd_names = names,
					 .nfds = 1,
					 .start = 1 };
	struct mpd_wait_item it[2];
	json_t *rec = NULL;
	int64_t id;
	int fd;

	cr_assert(module != NULL && access(module, R_OK) == 0,
		  "MPD_TEST_MODULE is not a readable module (run with meson "
		  "test)");
	pair(1);
	fd = mpd_pipe_fd(b);
	o.module = module;
	o.fds = &fd;
	OK(mpd_process_create(c, &o, &rec, &err));
	id = json_integer_value(json_object_get(rec, "id"));
	json_decref(rec);
	/* The worker has its copy: ours goes. */
	mpd_pipe_close(b);
	b = NULL;
	OK(mpd_process_sentinel(c, id, &sentinel, &err));
	send_text(a, "{\"n\":1}");
	recv_is(a, "{\"n\":1,\"worker\":true}");
	send_text(a, "[\"not an object\"]");
	recv_is(a, "[\"not an object\"]");

	it[0] = (struct mpd_wait_item){ .kind = MPD_WAIT_PIPE, .pipe = a };
	it[1] = (struct mpd_wait_item){ .kind = MPD_WAIT_SENTINEL,
					.fd = sentinel };
	IS(mpd_wait(it, 2, 0.1, &err), 0);
	/* Our side closes: the worker sees it, returns 7, and both its
	 * end of the pipe and its sentinel turn ready. */
	shutdown(mpd_pipe_fd(a), SHUT_WR);
	IS(wait_one(sentinel, LONG_WAIT), 1);
	IS(mpd_wait(it, 2, LONG_WAIT, &err), 2);
	FAILS(mpd_pipe_recv(a, &(json_t *){ NULL }, 0, &err), MPD_E_CLOSED);
	OK(mpd_process_join(c, id, LONG_WAIT, &rec, &err));
	cr_assert_eq(test_int(rec, "exitcode"), 7);
	json_decref(rec);
}

/* A daemon that answers one ping with a notification in the same write,
 * then holds the connection until the client goes. */
static void notify_serve(int lfd, void *arg)
{
	static const char reply[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"mpd.event\",\"params\":{}}"
		"\n";
	char buf[4096];
	int fd = accept(lfd, NULL, NULL);

	(void)arg;
	if (fd < 0 || recv(fd, buf, sizeof(buf), 0) <= 0)
		_exit(1);
	if (send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(reply) - 1)
		_exit(2);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	_exit(0);
}

Test(wait, a_client_with_a_line_buffered_is_ready)
{
	struct test_peer p = { .pid = -1 };
	struct mpd_client *cl = NULL;
	struct mpd_wait_item it = { .kind = MPD_WAIT_CLIENT };

	test_peer_start(&p, notify_serve, NULL);
	OK(mpd_connect(&cl, p.socket, &err));
	it.client = cl;
	IS(mpd_wait(&it, 1, 0.1, &err), 0);
	OK(mpd_ping(cl, &err));
	/* The notification came with the reply and sits in the client. */
	cr_assert_eq(fd_readable(mpd_client_fd(cl)), 0);
	IS(mpd_wait(&it, 1, -1, &err), 1);
	cr_assert_eq(it.ready, 1);
	mpd_close(cl);
	cr_assert_eq(test_peer_wait(&p), 0);
	test_peer_stop(&p);
}
