/*
 * test-attack-chan.c - a hostile local user and a hostile workload against
 * the descriptor paths of mpdd: descriptors sent with requests that take
 * none (of every odd type, too many of them, with lines that are not
 * JSON), the descriptors of process.create "fds" when the template dies
 * under the start, sealed shared memory attacked through its descriptor,
 * event subscriptions of another uid, connect floods against a listener
 * nobody accepts on, and waits parked in hundreds by a client that goes
 * away. Each asserts the precise outcome, and that the daemon's
 * descriptors come back to what they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(attack_chan, .fini = teardown, .timeout = 180);

/* Send all of buf, its first byte carrying the nfds descriptors. */
static void send_with_fds(int fd, const char *buf, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 64)];
		struct cmsghdr align;
	} cmsg;
	size_t len = strlen(buf);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	cr_assert(nfds > 0 && nfds <= 64);
	memset(&cmsg, 0, sizeof(cmsg));
	mh.msg_control = cmsg.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	cr_assert(n > 0, "sendmsg: %s", strerror(errno));
	if ((size_t)n < len)
		test_send(fd, buf + n, len - (size_t)n);
}

/* The reply line on fd, parsed. */
static json_t *reply_line(int fd)
{
	char *line = test_read_line(fd, TEST_TIMEOUT_MS);
	json_t *r;

	cr_assert_not_null(line, "the daemon closed the connection");
	r = test_json(line);
	free(line);
	return r;
}

static const char *err_name(json_t *reply)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(reply, "error"), "data"),
		"name"));
}

static long long err_code(json_t *reply)
{
	json_t *e = json_object_get(reply, "error");

	cr_assert_not_null(e, "not an error: %s",
			   json_dumps(reply, JSON_COMPACT));
	return json_integer_value(json_object_get(e, "code"));
}

/* Wait until the daemon's descriptors are want (the daemon closes a
 * connection's end when it sees the hang-up, a little after). */
static void await_fds(pid_t pid, int want)
{
	struct timespec t0, t;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = test_count_fds(pid);
		if (n == want)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		cr_assert((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000 <
				  TEST_TIMEOUT_MS,
			  "mpdd has %d descriptors, not %d", n, want);
		usleep(10000);
	}
}

/* The pid of the daemon's template once it is ready and is not old (a
 * template killed: the daemon sees it die, and starts a new one). */
static pid_t template_pid(int fd, pid_t old)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		json_t *r = test_ok(fd, "daemon.info", NULL);
		json_t *tp = json_object_get(r, "template");
		json_t *pid = json_object_get(tp, "pid");

		if (json_is_integer(pid) && json_integer_value(pid) != old &&
		    json_is_true(json_object_get(tp, "ready"))) {
			pid_t p = (pid_t)json_integer_value(pid);

			json_decref(r);
			return p;
		}
		json_decref(r);
		clock_gettime(CLOCK_MONOTONIC, &t);
		cr_assert((t.tv_sec - t0.tv_sec) * 1000 +
					  (t.tv_nsec - t0.tv_nsec) / 1000000 <
				  TEST_TIMEOUT_MS,
			  "no template came up again");
		usleep(10000);
	}
}

/* process.join of id, asserting it exited 0. */
static void join_ok(int fd, long long id)
{
	json_t *r = test_call_id(fd, "process.join", id,
				 json_pack("{s:i}", "timeout", 20));

	cr_assert_eq(test_int(test_result(r), "exitcode"), 0, "%s",
		     json_dumps(r, JSON_COMPACT));
	json_decref(r);
}

/* The read end of a pipe is at EOF (every write end closed), within
 * TEST_TIMEOUT_MS; what came before is returned (malloc'd). */
static char *read_to_eof(int fd)
{
	size_t len = 0;
	char *buf = calloc(1, 4096);
	ssize_t n;

	cr_assert_not_null(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		cr_assert_eq(poll(&p, 1, TEST_TIMEOUT_MS), 1,
			     "no EOF: a copy of the write end is held; "
			     "read so far: %s",
			     buf);
		n = read(fd, buf + len, 4095 - len);
		cr_assert_geq(n, 0, "read: %s", strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
		cr_assert_lt(len, 4095);
	}
	close(fd);
	return buf;
}

/*
 * Descriptors of every odd type, sent with requests that take none, with
 * a batch, with a notification, with a line that is not JSON, and more of
 * them than a message may carry: each request is answered as it would be
 * without them, the descriptors are closed, and the daemon's count comes
 * back to its base.
 */
Test(attack_chan, odd_descriptors_with_any_request_are_closed)
{
	int fd, other, base, odd[8], many[40], p[2], sv[2];
	json_t *r, *e;
	const char *reqs[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"listener.create\","
		"\"params\":{\"name\":\"L\"}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shm.attach\","
		"\"params\":{\"name\":\"nope\"}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"queue.put\","
		"\"params\":{\"name\":\"q\",\"item\":1}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"daemon.ping\"}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"process.create\","
		"\"params\":{\"argv\":[\"true\"]}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"shm.create\","
		"\"params\":{\"name\":\"S\",\"size\":4096}}\n",
	};

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	other = test_connect(d.socket);
	test_ok0(fd, "queue.create", test_nm("q"));
	test_settle(other);
	base = test_count_fds(d.pid);

	odd[0] = epoll_create1(EPOLL_CLOEXEC);
	odd[1] = eventfd(0, EFD_CLOEXEC);
	odd[2] = memfd_create("odd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	odd[3] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	odd[4] = other; /* a connection to the daemon itself */
	odd[5] = (int)syscall(SYS_pidfd_open, d.pid, 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	odd[6] = p[1];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	odd[7] = sv[0];
	for (int i = 0; i < 8; i++)
		cr_assert_geq(odd[i], 0, "odd descriptor %d: %s", i,
			      strerror(errno));
	for (int i = 0; i < 40; i++)
		many[i] = odd[i % 8];

	/* Each request alone on its line, with the eight odd ones. */
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		send_with_fds(fd, reqs[i], odd, 8);
		r = reply_line(fd);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")),
			     (json_int_t)i + 1);
		switch (i) {
		case 1:
			cr_assert_str_eq(err_name(r), "not_found");
			break;
		case 4:
			/* Descriptors nothing takes: refused, nothing made
			 * (no "fds": the message names the first stream). */
			cr_assert_eq(err_code(r), -32602);
			e = json_object_get(r, "error");
			cr_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(e, "data"), "field")),
				"stdin");
			cr_assert(
				strstr(json_string_value(
					       json_object_get(e, "message")),
				       "8 descriptors came with the request") !=
				NULL);
			break;
		case 5:
			cr_assert_not_null(json_object_get(r, "result"));
			/* The reply passed the segment: take it. */
			cr_assert_geq(test_take_fd(fd), 0);
			break;
		default:
			cr_assert_not_null(json_object_get(r, "result"), "%s",
					   json_dumps(r, JSON_COMPACT));
		}
		json_decref(r);
	}
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	/* The segment the daemon keeps is one more, not more. */
	cr_assert_eq(test_count_fds(d.pid), base + 1);
	test_ok0(fd, "shm.unlink", test_nm("S"));

	/* A batch: the line's descriptors, none taken. */
	send_with_fds(
		fd,
		"[{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"queue.put\","
		"\"params\":{\"name\":\"q\",\"item\":2}},"
		"{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"listener.info\","
		"\"params\":{\"name\":\"L\"}},"
		"{\"jsonrpc\":\"2.0\",\"method\":\"queue.put\","
		"\"params\":{\"name\":\"q\",\"item\":3}}]\n",
		odd, 8);
	r = reply_line(fd);
	cr_assert(json_is_array(r) && json_array_size(r) == 2, "%s",
		  json_dumps(r, JSON_COMPACT));
	json_decref(r);
	/* A notification, a line that is not JSON, an empty batch, an
	 * empty line: all with descriptors. */
	send_with_fds(fd,
		      "{\"jsonrpc\":\"2.0\",\"method\":\"queue.put\","
		      "\"params\":{\"name\":\"q\",\"item\":4}}\n",
		      odd, 8);
	send_with_fds(fd, "\x01\x02 not json {{{\n", odd, 8);
	r = reply_line(fd);
	cr_assert_eq(err_code(r), -32700);
	json_decref(r);
	send_with_fds(fd, "[]\n", odd, 8);
	r = reply_line(fd);
	cr_assert_eq(err_code(r), -32600);
	json_decref(r);
	send_with_fds(fd, "\n", odd, 8);
	/* Forty with one message: more than 16. */
	send_with_fds(fd,
		      "{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"queue.put\","
		      "\"params\":{\"name\":\"q\",\"item\":5}}\n",
		      many, 40);
	r = reply_line(fd);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 20);
	cr_assert_eq(test_int(json_object_get(r, "result"), "size"), 5);
	json_decref(r);
	/* Descriptors with a line cut in two, the rest of it later. */
	send_with_fds(fd, "{\"jsonrpc\":\"2.0\",\"id\":21,", odd, 8);
	test_settle(other);
	send_with_fds(fd,
		      "\"method\":\"queue.put\",\"params\":{\"name\":\"q\","
		      "\"item\":6}}\n",
		      odd, 8);
	r = reply_line(fd);
	cr_assert_eq(test_int(json_object_get(r, "result"), "size"), 6);
	json_decref(r);
	/* Descriptors, then a hang-up inside a line. */
	{
		int h = test_connect(d.socket);

		send_with_fds(h, "{\"jsonrpc\":\"2.0\",\"id\":", odd, 8);
		test_hang_up(h);
	}

	/* Nothing of it stayed in the daemon; the pipe's write end is held
	 * by no one but us. */
	test_settle(fd);
	await_fds(d.pid, base);
	close(p[1]);
	free(read_to_eof(p[0]));
	/* The socketpair's other end sees only us hold sv[0]. */
	close(sv[0]);
	cr_assert_eq(test_wait_eof(sv[1], TEST_TIMEOUT_MS), 1);
	close(sv[1]);
	for (int i = 0; i < 6; i++)
		if (odd[i] != other)
			close(odd[i]);
	test_assert_ping(d.socket);
	r = test_ok(fd, "queue.size", test_nm("q"));
	cr_assert_eq(test_int(r, "size"), 6);
	json_decref(r);
	test_hang_up(other);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A client attaches a segment and tries through its descriptor to cut
 * it, grow it, add or remove seals, or write past it: each is refused
 * with EPERM, and another attacher's mapping of the whole segment stays
 * readable (a cut would SIGBUS this test).
 */
Test(attack_chan, a_segment_cannot_be_cut_or_grown_by_an_attacher)
{
	const size_t size = 3 * 4096 + 123;
	int a, b, fa, fb, seals;
	unsigned char *m;
	struct stat st;
	json_t *r;
	char c = 'x';

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	r = test_ok(a, "shm.create",
		    json_pack("{s:s, s:I}", "name", "seg", "size",
			      (json_int_t)size));
	fa = test_take_fd(a);
	json_decref(r);
	r = test_ok(b, "shm.attach", test_nm("seg"));
	fb = test_take_fd(b);
	json_decref(r);
	cr_assert(fa >= 0 && fb >= 0);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	cr_assert(m != MAP_FAILED);
	memset(m, 0xa5, size);

	seals = fcntl(fb, F_GET_SEALS);
	cr_assert_eq(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	errno = 0;
	cr_assert_eq(ftruncate(fb, 0), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fb, (off_t)size - 1), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fb, (off_t)size + 1), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(fb, (off_t)1 << 40), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fallocate(fb, 0, 0, (off_t)size * 4), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fallocate(fb, 0, (off_t)size, 1), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(pwrite(fb, &c, 1, (off_t)size), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(pwrite(fb, &c, 1, (off_t)1 << 30), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fcntl(fb, F_ADD_SEALS, F_SEAL_WRITE), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fcntl(fb, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fcntl(fb, F_ADD_SEALS, 0), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(fcntl(fb, F_GET_SEALS), seals);
	/* A write inside the size is every attacher's right. */
	cr_assert_eq(pwrite(fb, &c, 1, (off_t)size - 1), 1);

	/* The whole mapping is still there, to its last page's end. */
	for (size_t i = 0; i < size - 1; i++)
		cr_assert_eq(m[i], 0xa5, "byte %zu", i);
	cr_assert_eq(m[size - 1], 'x');
	for (size_t i = size; i < 4 * 4096; i++)
		cr_assert_eq(m[i], 0, "byte %zu past the size", i);
	cr_assert_eq(fstat(fa, &st), 0);
	cr_assert_eq(st.st_size, (off_t)size);
	/* A new attach gets the same size and bytes. */
	close(fb);
	r = test_ok(b, "shm.attach", test_nm("seg"));
	cr_assert_eq(test_int(r, "size"), (long long)size);
	json_decref(r);
	fb = test_take_fd(b);
	cr_assert_eq(fstat(fb, &st), 0);
	cr_assert_eq(st.st_size, (off_t)size);
	cr_assert_eq(pread(fb, &c, 1, 0), 1);
	cr_assert_eq((unsigned char)c, 0xa5);
	close(fb);
	munmap(m, size);
	close(fa);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/*
 * Segments up to max_broker_bytes, then one byte more: limit, whatever
 * the size asked (a terabyte included), and nothing allocated for it.
 */
Test(attack_chan, segments_past_max_broker_bytes_are_limit)
{
	const char *extra[] = { "--max-broker-bytes", "1048576", NULL };
	int fd, base, n = 0;
	json_t *r, *data;
	const char *name;
	char nm[32];

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	test_settle(fd);
	base = test_count_fds(d.pid);
	r = test_call(fd, "shm.create",
		      json_pack("{s:s, s:I}", "name", "huge", "size",
				(json_int_t)1 << 40));
	cr_assert_eq(test_error_code(r, &name), 9, "%s",
		     json_dumps(r, JSON_COMPACT));
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "limit")),
			 "max_broker_bytes");
	json_decref(r);
	for (;;) {
		snprintf(nm, sizeof(nm), "s%d", n);
		r = test_call(fd, "shm.create",
			      json_pack("{s:s, s:i}", "name", nm, "size",
					65536));
		if (json_object_get(r, "error") != NULL) {
			cr_assert_eq(test_error_code(r, &name), 9);
			data = json_object_get(json_object_get(r, "error"),
					       "data");
			cr_assert_str_eq(json_string_value(json_object_get(
						 data, "limit")),
					 "max_broker_bytes");
			json_decref(r);
			break;
		}
		close(test_take_fd(fd));
		json_decref(r);
		n++;
		cr_assert_lt(n, 17, "more than 1 MiB of segments made");
	}
	cr_assert_geq(n, 15, "only %d segments of 64 KiB in 1 MiB", n);
	cr_assert_eq(test_count_fds(d.pid), base + n);
	for (int i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "s%d", i);
		test_ok0(fd, "shm.unlink", test_nm(nm));
	}
	cr_assert_eq(test_count_fds(d.pid), base);
	/* Unlinked, the room is back. */
	r = test_ok(fd, "shm.create",
		    json_pack("{s:s, s:i}", "name", "again", "size", 65536));
	close(test_take_fd(fd));
	json_decref(r);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * The template is killed right after a start with descriptors was sent:
 * the start goes to the next template, and the worker still finds its
 * descriptors at 3 and 4 with their names; nothing stays open in the
 * daemon or the new template, and the pipes reach EOF.
 */
Test(attack_chan, a_start_with_fds_survives_its_template_killed)
{
	int fd, base, tbase, p[2], q[2], ok = 0;
	pid_t tmpl = -1;
	json_t *r;
	char line[512], *out, *out2;
	const char *name;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* A start first, so the template has opened all it keeps. */
	r = test_ok(fd, "process.create",
		    json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	join_ok(fd, test_int(r, "id"));
	test_ok0(fd, "process.close",
		 json_pack("{s:I}", "id", (json_int_t)test_int(r, "id")));
	json_decref(r);
	base = test_count_fds(d.pid);
	for (int i = 0; i < 12; i++) {
		const char *method = i % 3 == 2 ? "spawn" : "forkserver";
		int two[2];
		long long id;

		tmpl = template_pid(fd, tmpl);
		cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
		cr_assert_eq(pipe2(q, O_CLOEXEC), 0);
		two[0] = p[1];
		two[1] = q[1];
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			 "\"process.create\",\"params\":{\"argv\":[\"sh\","
			 "\"-c\",\"echo \\\"$MPD_FDS\\\" >&3; echo two >&4\"],"
			 "\"fds\":[\"one\",\"two\"],\"start_method\":\"%s\","
			 "\"start\":true}}\n",
			 i + 100, method);
		send_with_fds(fd, line, two, 2);
		/* Kill it at a different point of the start each time. */
		if (i % 4 != 0)
			usleep((useconds_t)(i % 4) * 300);
		cr_assert_eq(kill(tmpl, SIGKILL), 0);
		close(p[1]);
		close(q[1]);
		r = reply_line(fd);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")),
			     i + 100);
		if (json_object_get(r, "error") != NULL) {
			/* spawn keeps no template in the path: a spawn
			 * start must not fail for it; a forkserver start
			 * is retried on the next template. */
			cr_assert_fail("start %d (%s) failed with its "
				       "template killed: %s",
				       i, method, json_dumps(r, JSON_COMPACT));
		}
		id = test_int(json_object_get(r, "result"), "id");
		json_decref(r);
		out = read_to_eof(p[0]);
		out2 = read_to_eof(q[0]);
		cr_assert_str_eq(out, "one:two\n", "start %d (%s)", i, method);
		cr_assert_str_eq(out2, "two\n");
		free(out);
		free(out2);
		join_ok(fd, id);
		test_ok0(fd, "process.close",
			 json_pack("{s:I}", "id", (json_int_t)id));
		ok++;
	}
	cr_assert_eq(ok, 12);
	(void)name;
	/* A new template is up, and it has what the first had. */
	tmpl = template_pid(fd, tmpl);
	cr_assert_eq(test_info_int(fd, "template", "restarts"), 12,
		     "a kill did not reach the template: %lld restarts",
		     test_info_int(fd, "template", "restarts"));
	r = test_ok(fd, "process.create",
		    json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	join_ok(fd, test_int(r, "id"));
	test_ok0(fd, "process.close",
		 json_pack("{s:I}", "id", (json_int_t)test_int(r, "id")));
	json_decref(r);
	tbase = test_count_fds(tmpl);
	cr_assert_eq(test_info_int(fd, "processes", "records"), 0);
	await_fds(d.pid, base);
	cr_assert_eq(test_count_fds(tmpl), tbase);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* Drop root for nobody; false when that fails. */
static bool become_nobody(void)
{
	return setgroups(0, NULL) == 0 && setgid(65534) == 0 &&
	       setuid(65534) == 0;
}

/*
 * As nobody, subscribed to every kind: tell ready, then read events until
 * root's queue "sentinel" is created. Returns 0 when none named a
 * "secret" object, none was of a process, none was a drop marker, and
 * root's "pub-L" and "pub-S" (mode everyone) were told; else the number
 * of the check that failed.
 */
static int nobody_subscribes(const char *socket, int ready)
{
	bool publ = false, pubs = false;
	json_t *r;
	int fd;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	r = test_call(fd, "events.subscribe", json_object());
	if (json_object_get(r, "result") == NULL)
		return 102;
	json_decref(r);
	/* A second one, on root's names' prefix. */
	r = test_call(fd, "events.subscribe",
		      json_pack("{s:s}", "prefix", "secret"));
	if (json_object_get(r, "result") == NULL)
		return 103;
	json_decref(r);
	if (write(ready, "r", 1) != 1)
		return 104;
	for (;;) {
		char *line = test_read_line(fd, 60000);
		json_t *ev, *p;
		const char *kind, *name;

		if (line == NULL)
			return 105;
		if (strstr(line, "secret") != NULL)
			return 1;
		ev = test_json(line);
		free(line);
		p = json_object_get(ev, "params");
		kind = json_string_value(json_object_get(p, "kind"));
		name = json_string_value(json_object_get(p, "name"));
		if (kind == NULL)
			return 106;
		if (strcmp(kind, "process") == 0)
			return 2;
		if (strcmp(kind, "events") == 0)
			return 3;
		if (strcmp(kind, "listener") == 0 && name != NULL &&
		    strcmp(name, "pub-L") == 0)
			publ = true;
		if (strcmp(kind, "shm") == 0 && name != NULL &&
		    strcmp(name, "pub-S") == 0)
			pubs = true;
		if (strcmp(kind, "queue") == 0 && name != NULL &&
		    strcmp(name, "sentinel") == 0) {
			json_decref(ev);
			break;
		}
		json_decref(ev);
	}
	if (!publ)
		return 4;
	if (!pubs)
		return 5;
	test_hang_up(fd);
	return 0;
}

/*
 * A subscriber of another uid is told nothing of root's processes, of
 * its listeners and segments of mode owner, not even their names, and a
 * flood of root's process events reaches it in no form (not as a drop
 * marker either); what root shares with everyone it is told.
 */
Test(attack_chan, another_uid_subscriber_learns_nothing_of_roots_objects)
{
	int fd, ready[2], status;
	json_t *r;
	pid_t pid;
	char c, nm[32];

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		_exit(nobody_subscribes(d.socket, ready[1]));
	}
	close(ready[1]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "nobody did not subscribe");
	close(ready[0]);

	json_decref(test_ok(fd, "listener.create", test_nm("secret-L")));
	r = test_ok(fd, "shm.create",
		    json_pack("{s:s, s:i}", "name", "secret-S", "size", 4096));
	close(test_take_fd(fd));
	json_decref(r);
	r = test_ok(fd, "process.create",
		    json_pack("{s:[s], s:s, s:b}", "argv", "true", "name",
			      "secret-P", "start", 1));
	join_ok(fd, test_int(r, "id"));
	test_ok0(fd, "process.close",
		 json_pack("{s:I}", "id", (json_int_t)test_int(r, "id")));
	json_decref(r);
	/* A flood of root's process events. */
	for (int i = 0; i < 3000; i++) {
		snprintf(nm, sizeof(nm), "secret-%d", i);
		r = test_ok(fd, "process.create",
			    json_pack("{s:[s], s:s}", "argv", "true", "name",
				      nm));
		test_ok0(fd, "process.close",
			 json_pack("{s:I}", "id",
				   (json_int_t)test_int(r, "id")));
		json_decref(r);
	}
	test_ok0(fd, "listener.close", test_nm("secret-L"));
	test_ok0(fd, "shm.unlink", test_nm("secret-S"));
	json_decref(test_ok(fd, "listener.create",
			    json_pack("{s:s, s:s}", "name", "pub-L", "mode",
				      "everyone")));
	r = test_ok(fd, "shm.create",
		    json_pack("{s:s, s:i, s:s}", "name", "pub-S", "size", 64,
			      "mode", "everyone"));
	close(test_take_fd(fd));
	json_decref(r);
	test_ok0(fd, "queue.create", test_nm("sentinel"));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A connector floods connects at a listener of backlog 1024 whose owner
 * never accepts, without reading its replies: the pending ends the
 * daemon keeps stop at a quarter of open_files (the rest get limit,
 * open_files), and the daemon's descriptors come back to their base when
 * the connector and then the owner hang up.
 */
Test(attack_chan, a_connect_flood_is_bounded_and_leaves_nothing)
{
	enum { N = 600 };
	int a, b, base, ok = 0, lim = 0, ends[N], peak;
	char *buf;
	size_t len = 0;
	json_t *r, *info;

	mpdd_start_nofile(&d, NULL, 256, 256);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_settle(a);
	test_settle(b);
	base = test_count_fds(d.pid);
	json_decref(test_ok(a, "listener.create",
			    json_pack("{s:s, s:i, s:s}", "name", "L", "backlog",
				      1024, "mode", "everyone")));
	buf = malloc((size_t)N * 128);
	cr_assert_not_null(buf);
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(buf + len,
				       "{\"jsonrpc\":\"2.0\",\"id\":%d,"
				       "\"method\":\"listener.connect\","
				       "\"params\":{\"name\":\"L\","
				       "\"timeout\":0}}\n",
				       i);
	test_send(b, buf, len);
	free(buf);
	/* b reads nothing yet: the daemon has run them all once a ping
	 * sent after them is answered on a. */
	test_settle(a);
	info = test_info(a, "listener", "L");
	peak = test_count_fds(d.pid);
	cr_assert_leq(peak, base + 64,
		      "mpdd holds %d descriptors past its "
		      "base of %d",
		      peak - base, base);
	cr_assert_leq(test_int(info, "pending"), 64);
	json_decref(info);
	for (int i = 0; i < N; i++) {
		r = reply_line(b);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")), i);
		if (json_object_get(r, "result") != NULL) {
			ends[ok++] = test_take_fd(b);
			cr_assert_geq(ends[ok - 1], 0);
		} else {
			json_t *data = json_object_get(
				json_object_get(r, "error"), "data");

			cr_assert_str_eq(err_name(r), "limit");
			cr_assert_str_eq(json_string_value(json_object_get(
						 data, "limit")),
					 "open_files");
			lim++;
		}
		json_decref(r);
	}
	cr_assert_geq(ok, 16, "only %d connects went through", ok);
	cr_assert_leq(ok, 64);
	cr_assert_eq(ok + lim, N);
	info = test_info(a, "listener", "L");
	cr_assert_eq(test_int(info, "pending"), ok);
	json_decref(info);
	/* The connector goes: its pending ends wait for an accept still. */
	test_hang_up(b);
	await_fds(d.pid, base - 1 + ok);
	/* The owner goes: every end is closed, the connectors read EOF. */
	test_hang_up(a);
	await_fds(d.pid, base - 2);
	for (int i = 0; i < ok; i++) {
		cr_assert_eq(test_wait_eof(ends[i], TEST_TIMEOUT_MS), 1);
		close(ends[i]);
	}
	test_assert_ping(d.socket);
	mpdd_stop(&d);
}

/*
 * Hundreds of waits parked on a running process by a client that then
 * hangs up: nothing is left (the sanitizer build's stop checks leaks),
 * the daemon serves on, and a later wait is answered at the end.
 */
Test(attack_chan, a_client_that_hangs_up_with_waits_parked_leaves_nothing)
{
	int fd, w, in[2], base;
	long long id;
	json_t *r, *p;
	char wid[16];

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	p = json_pack("{s:[s, s, s], s:s, s:b}", "argv", "sh", "-c", "read x",
		      "stdin", "pass", "start", 1);
	r = test_call_fds(fd, "process.create", p, &in[0], 1);
	id = test_int(test_result(r), "id");
	json_decref(r);
	close(in[0]);
	base = test_count_fds(d.pid);
	for (int round = 0; round < 3; round++) {
		w = test_connect(d.socket);
		for (int i = 0; i < 500; i++) {
			snprintf(wid, sizeof(wid), "w%d", i);
			test_send_call(w, wid, "process.wait",
				       json_pack("{s:[I, I, I], s:s}", "ids",
						 (json_int_t)id, (json_int_t)id,
						 (json_int_t)id, "return_when",
						 i % 2 ? "all" : "any"));
		}
		test_settle(w);
		test_hang_up(w);
	}
	await_fds(d.pid, base);
	/* A wait of a fresh client still sees the end. */
	w = test_connect(d.socket);
	test_send_call(w, "last", "process.wait",
		       json_pack("{s:[I]}", "ids", (json_int_t)id));
	test_settle(w);
	close(in[1]);
	r = test_result_for(w, "last");
	cr_assert_eq(json_array_size(json_object_get(r, "done")), 1);
	cr_assert_eq(json_array_size(json_object_get(r, "pending")), 0);
	json_decref(r);
	test_hang_up(w);
	test_ok0(fd, "process.close", json_pack("{s:I}", "id", (json_int_t)id));
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* As nobody: process.wait on root's process id (1024 times, then 1025),
 * by name, and mixed with its own: refused at once, nothing parked.
 * Returns 0, or the number of the check that failed. */
static int nobody_waits(const char *socket, long long id)
{
	json_t *ids = json_array(), *r, *data;
	const char *name;
	int fd;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
	for (int i = 0; i < 1024; i++)
		json_array_append_new(ids, json_integer(id));
	r = test_call(fd, "process.wait",
		      json_pack("{s:O, s:s}", "ids", ids, "return_when",
				"all"));
	data = json_object_get(json_object_get(r, "error"), "data");
	name = json_string_value(json_object_get(data, "name"));
	if (name == NULL || strcmp(name, "permission_denied") != 0 ||
	    json_integer_value(json_object_get(data, "index")) != 0)
		return 1;
	json_decref(r);
	json_array_append_new(ids, json_integer(id));
	r = test_call(fd, "process.wait", json_pack("{s:O}", "ids", ids));
	data = json_object_get(json_object_get(r, "error"), "data");
	name = json_string_value(json_object_get(data, "name"));
	if (name == NULL || strcmp(name, "invalid_params") != 0 ||
	    json_integer_value(json_object_get(data, "max")) != 1024)
		return 2;
	json_decref(r);
	json_decref(ids);
	r = test_call(fd, "process.wait",
		      json_pack("{s:[s]}", "names", "rootproc"));
	data = json_object_get(json_object_get(r, "error"), "data");
	name = json_string_value(json_object_get(data, "name"));
	if (name == NULL || strcmp(name, "permission_denied") != 0 ||
	    json_object_get(data, "id") != NULL)
		return 3;
	json_decref(r);
	/* Nothing parked: the next reply is a ping's. */
	test_settle(fd);
	test_hang_up(fd);
	return 0;
}

Test(attack_chan, another_uid_cannot_wait_on_roots_processes)
{
	int fd, in[2], status;
	long long id;
	json_t *r, *p;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	p = json_pack("{s:[s, s, s], s:s, s:s, s:b}", "argv", "sh", "-c",
		      "read x", "name", "rootproc", "stdin", "pass", "start",
		      1);
	r = test_call_fds(fd, "process.create", p, &in[0], 1);
	id = test_int(test_result(r), "id");
	json_decref(r);
	close(in[0]);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(nobody_waits(d.socket, id));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	cr_assert_eq(write(in[1], "\n", 1), 1);
	close(in[1]);
	join_ok(fd, id);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

/*
 * An "all" wait on an ended record and a running one; another client
 * closes the ended record while the wait is parked: the close goes
 * through and the wait is answered at once with the freed record.
 */
Test(attack_chan, a_record_closed_under_a_parked_wait_answers_it)
{
	int fd, w, in[2];
	long long a, b;
	json_t *r, *p, *done;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	w = test_connect(d.socket);
	r = test_ok(fd, "process.create",
		    json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	a = test_int(r, "id");
	json_decref(r);
	join_ok(fd, a);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	p = json_pack("{s:[s, s, s], s:s, s:b}", "argv", "sh", "-c", "read x",
		      "stdin", "pass", "start", 1);
	r = test_call_fds(fd, "process.create", p, &in[0], 1);
	b = test_int(test_result(r), "id");
	json_decref(r);
	close(in[0]);
	for (int i = 0; i < 200; i++) {
		char wid[16];

		snprintf(wid, sizeof(wid), "w%d", i);
		test_send_call(w, wid, "process.wait",
			       json_pack("{s:[I, I], s:s}", "ids",
					 (json_int_t)a, (json_int_t)b,
					 "return_when", "all"));
	}
	test_settle(w);
	test_ok0(fd, "process.close", json_pack("{s:I}", "id", (json_int_t)a));
	for (int i = 0; i < 200; i++) {
		char wid[16];

		snprintf(wid, sizeof(wid), "w%d", i);
		r = test_result_for(w, wid);
		done = json_object_get(r, "done");
		cr_assert_eq(json_array_size(done), 1);
		cr_assert_eq(test_int(json_array_get(done, 0), "id"), a);
		cr_assert_eq(json_array_size(json_object_get(r, "pending")), 1);
		cr_assert_eq(json_integer_value(json_array_get(
				     json_object_get(r, "pending"), 0)),
			     b);
		json_decref(r);
	}
	/* Nothing stays parked; the record is gone. */
	test_settle(w);
	r = test_call_id(fd, "process.info", a, NULL);
	cr_assert_str_eq(err_name(r), "not_found");
	json_decref(r);
	cr_assert_eq(write(in[1], "\n", 1), 1);
	close(in[1]);
	join_ok(fd, b);
	test_hang_up(w);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A client piles descriptors into records it never starts (16 named ones
 * each): past what the daemon can hold they are refused with limit
 * (open_files), and the daemon keeps its room for others: a new client
 * connects, a segment is made, a process starts.
 */
Test(attack_chan, descriptors_hoarded_in_unstarted_records_are_bounded)
{
	int fd, base, sixteen[16], made = 0, limit = 0, other, p[2];
	json_t *r, *data;
	const char *name;

	mpdd_start_nofile(&d, NULL, 256, 256);
	fd = test_connect(d.socket);
	test_settle(fd);
	base = test_count_fds(d.pid);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < 16; i++)
		sixteen[i] = p[1];
	for (int i = 0; i < 40 && limit == 0; i++) {
		json_t *names = json_array();

		for (int j = 0; j < 16; j++) {
			char nm[8];

			snprintf(nm, sizeof(nm), "f%d", j);
			json_array_append_new(names, json_string(nm));
		}
		r = test_call_fds(fd, "process.create",
				  json_pack("{s:[s], s:o}", "argv", "true",
					    "fds", names),
				  sixteen, 16);
		if (json_object_get(r, "result") != NULL) {
			made++;
		} else {
			cr_assert_eq(test_error_code(r, &name), 9, "%s",
				     json_dumps(r, JSON_COMPACT));
			data = json_object_get(json_object_get(r, "error"),
					       "data");
			cr_assert_str_eq(json_string_value(json_object_get(
						 data, "limit")),
					 "open_files");
			limit++;
		}
		json_decref(r);
	}
	cr_assert_eq(limit, 1,
		     "%d records of 16 descriptors made, none "
		     "refused (mpdd holds %d descriptors of 256)",
		     made, test_count_fds(d.pid));
	/* Others are served still. */
	other = test_connect(d.socket);
	test_assert_ping(d.socket);
	r = test_ok(other, "shm.create",
		    json_pack("{s:s, s:i}", "name", "S", "size", 4096));
	close(test_take_fd(other));
	json_decref(r);
	r = test_ok(other, "process.create",
		    json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	join_ok(other, test_int(r, "id"));
	json_decref(r);
	test_hang_up(other);
	/* Closing the records gives every descriptor back. */
	for (int i = 1; i <= made; i++)
		test_ok0(fd, "process.close", json_pack("{s:i}", "id", i));
	close(p[1]);
	free(read_to_eof(p[0]));
	test_hang_up(fd);
	mpdd_stop_all(&d);
	(void)base;
}

/* reply is the error named want, and its text tells nothing of size. */
static bool refused_blind(json_t *reply, const char *want, const char *size)
{
	json_t *err = json_object_get(reply, "error");
	const char *name = err_name(reply);
	char *text;
	bool ok;

	if (err == NULL || name == NULL || strcmp(name, want) != 0)
		return false;
	text = json_dumps(err, JSON_COMPACT);
	ok = text != NULL && strstr(text, size) == NULL;
	free(text);
	return ok;
}

/*
 * As nobody, against root's segment "secret-S" (mode owner, 12345 bytes)
 * and listeners "secret-L" (mode owner) and "pub-L" (mode everyone):
 * every attach, create, unlink, accept, connect and close is refused, and
 * no refusal tells the segment's size. Returns 0, or the failed check.
 */
static int nobody_against_chan(const char *socket)
{
	json_t *r, *list;
	int fd, k = 0;

	if (!become_nobody())
		return 100;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 101;
#define CHECK(call, want)                               \
	do {                                            \
		k++;                                    \
		r = (call);                             \
		if (!refused_blind(r, (want), "12345")) \
			return k;                       \
		if (test_take_fd(fd) >= 0)              \
			return 50 + k;                  \
		json_decref(r);                         \
	} while (0)
	CHECK(test_call(fd, "shm.attach", test_nm("secret-S")),
	      "permission_denied");
	CHECK(test_call(fd, "shm.info", test_nm("secret-S")),
	      "permission_denied");
	CHECK(test_call(fd, "shm.unlink", test_nm("secret-S")),
	      "permission_denied");
	CHECK(test_call(fd, "shm.create",
			json_pack("{s:s, s:i}", "name", "secret-S", "size", 1)),
	      "exists");
	/* exist_ok of the same size, and of another: neither attaches,
	 * and neither tells the size. */
	CHECK(test_call(fd, "shm.create",
			json_pack("{s:s, s:i, s:b}", "name", "secret-S", "size",
				  12345, "exist_ok", 1)),
	      "permission_denied");
	CHECK(test_call(fd, "shm.create",
			json_pack("{s:s, s:i, s:b}", "name", "secret-S", "size",
				  1, "exist_ok", 1)),
	      "permission_denied");
	CHECK(test_call(fd, "listener.connect",
			json_pack("{s:s, s:i}", "name", "secret-L", "timeout",
				  0)),
	      "permission_denied");
	CHECK(test_call(fd, "listener.info", test_nm("secret-L")),
	      "permission_denied");
	CHECK(test_call(fd, "listener.close", test_nm("secret-L")),
	      "permission_denied");
	CHECK(test_call(fd, "listener.create", test_nm("secret-L")), "exists");
	CHECK(test_call(fd, "listener.accept",
			json_pack("{s:s, s:i}", "name", "pub-L", "timeout", 0)),
	      "permission_denied");
	CHECK(test_call(fd, "listener.close", test_nm("pub-L")),
	      "permission_denied");
#undef CHECK
	/* The lists show only what nobody may use. */
	list = test_ok(fd, "shm.list", NULL);
	if (json_array_size(json_object_get(list, "segments")) != 0)
		return 60;
	json_decref(list);
	list = test_ok(fd, "listener.list", NULL);
	if (json_array_size(json_object_get(list, "listeners")) != 1 ||
	    strcmp(json_string_value(json_object_get(
			   json_array_get(json_object_get(list, "listeners"), 0),
			   "name")),
		   "pub-L") != 0)
		return 61;
	json_decref(list);
	test_hang_up(fd);
	return 0;
}

Test(attack_chan, another_uid_gets_nothing_of_roots_channels)
{
	int fd, sfd, status;
	unsigned char *m;
	json_t *r;
	pid_t pid;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	fd = test_connect(d.socket);
	r = test_ok(fd, "shm.create",
		    json_pack("{s:s, s:i}", "name", "secret-S", "size", 12345));
	sfd = test_take_fd(fd);
	json_decref(r);
	m = mmap(NULL, 12345, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	cr_assert(m != MAP_FAILED);
	memset(m, 0x5a, 12345);
	json_decref(test_ok(fd, "listener.create", test_nm("secret-L")));
	json_decref(test_ok(fd, "listener.create",
			    json_pack("{s:s, s:s}", "name", "pub-L", "mode",
				      "everyone")));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(nobody_against_chan(d.socket));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	/* All of root's is still there, untouched. */
	r = test_info(fd, "shm", "secret-S");
	cr_assert_eq(test_int(r, "size"), 12345);
	cr_assert_eq(test_int(r, "attaches"), 1);
	json_decref(r);
	for (int i = 0; i < 12345; i++)
		cr_assert_eq(m[i], 0x5a);
	r = test_info(fd, "listener", "pub-L");
	cr_assert_eq(test_int(r, "accepted"), 0);
	json_decref(r);
	munmap(m, 12345);
	close(sfd);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/* listener.create of name with backlog, mode everyone. */
static void listen_backlog(int fd, const char *name, int backlog)
{
	json_decref(test_ok(fd, "listener.create",
			    json_pack("{s:s, s:i, s:s}", "name", name,
				      "backlog", backlog, "mode", "everyone")));
}

/* A listener.accept or .connect of name on fd with timeout 0: the
 * error's name, or NULL for a result (whose descriptor goes to *end). */
static const char *try_now(int fd, const char *method, const char *name,
			   int *end)
{
	static char got[32];
	json_t *r =
		test_call(fd, method,
			  json_pack("{s:s, s:i}", "name", name, "timeout", 0));
	const char *e = err_name(r);

	*end = -1;
	if (e == NULL) {
		cr_assert_not_null(json_object_get(r, "result"));
		*end = test_take_fd(fd);
		cr_assert_geq(*end, 0);
		json_decref(r);
		return NULL;
	}
	snprintf(got, sizeof(got), "%s", e);
	json_decref(r);
	return got;
}

/*
 * An acceptor and a connector killed at every step: a parked accept or
 * connect whose client hung up is never matched (the other side waits or
 * is told, it never gets a dead end); a connector gone before reading
 * its reply leaves an end the acceptor reads EOF on; one gone after its
 * reply likewise; and the daemon's descriptors come back to base.
 */
Test(attack_chan, listener_sides_killed_at_every_step_leave_nothing)
{
	int own, x, y, base, end, end2;
	const char *e;
	json_t *info;

	mpdd_start(&d, NULL);
	own = test_connect(d.socket);
	test_settle(own);
	base = test_count_fds(d.pid);
	listen_backlog(own, "L0", 0);
	listen_backlog(own, "L4", 4);

	/* A parked accept (on another connection of the owner) whose
	 * client hangs up: a connect then finds no acceptor. */
	x = test_connect(d.socket);
	test_send_call(x, "acc", "listener.accept", test_nm("L0"));
	test_settle(x);
	test_hang_up(x);
	test_await_info(own, "listener", "L0", "acceptors", "0");
	y = test_connect(d.socket);
	e = try_now(y, "listener.connect", "L0", &end);
	cr_assert_not_null(e, "a connect was matched with a gone acceptor");
	cr_assert_str_eq(e, "full");

	/* A parked connect whose client hangs up: an accept then finds no
	 * connector. */
	x = test_connect(d.socket);
	test_send_call(x, "con", "listener.connect", test_nm("L0"));
	test_settle(x);
	test_hang_up(x);
	test_await_info(own, "listener", "L0", "connectors", "0");
	e = try_now(own, "listener.accept", "L0", &end);
	cr_assert_not_null(e, "an accept was matched with a gone connector");
	cr_assert_str_eq(e, "empty");

	/* A connector gone before it read its reply: the acceptor gets an
	 * end that reads EOF. */
	x = test_connect(d.socket);
	test_send_call(x, "con", "listener.connect", test_nm("L4"));
	test_await_info(own, "listener", "L4", "pending", "1");
	test_hang_up(x);
	test_settle(own);
	info = test_info(own, "listener", "L4");
	cr_assert_eq(test_int(info, "pending"), 1);
	json_decref(info);
	cr_assert_null(try_now(own, "listener.accept", "L4", &end));
	cr_assert_eq(test_wait_eof(end, TEST_TIMEOUT_MS), 1);
	close(end);

	/* Both sides of a connection made, then the connector's client and
	 * its end go: the acceptor reads EOF. */
	x = test_connect(d.socket);
	cr_assert_null(try_now(x, "listener.connect", "L4", &end2));
	cr_assert_null(try_now(own, "listener.accept", "L4", &end));
	test_hang_up(x);
	close(end2);
	cr_assert_eq(test_wait_eof(end, TEST_TIMEOUT_MS), 1);
	close(end);

	/* An acceptor gone with connections pending and waiting: the
	 * pending ones' connectors read EOF, the waiting ones are closed. */
	x = test_connect(d.socket);
	listen_backlog(x, "LX", 1);
	cr_assert_null(try_now(y, "listener.connect", "LX", &end2));
	test_send_call(y, "wait", "listener.connect", test_nm("LX"));
	test_settle(y);
	test_hang_up(x);
	{
		json_t *r = test_reply_for(y, "wait");

		cr_assert_str_eq(err_name(r), "closed");
		json_decref(r);
	}
	cr_assert_eq(test_wait_eof(end2, TEST_TIMEOUT_MS), 1);
	close(end2);

	test_hang_up(y);
	test_ok0(own, "listener.close", test_nm("L0"));
	test_ok0(own, "listener.close", test_nm("L4"));
	await_fds(d.pid, base);
	test_hang_up(own);
	mpdd_stop(&d);
}

#define PFLOOD_ROUNDS 20
#define PFLOOD_BATCH  500
#define PFLOOD_SUBS   8

/* One batch line of n requests of method on fd: every one succeeds;
 * returns the reply (an array). */
static json_t *batch_ok(int fd, json_t *batch)
{
	char *text = json_dumps(batch, JSON_COMPACT);
	json_t *reply = test_rpc_line(fd, text);

	cr_assert(json_is_array(reply) &&
		  json_array_size(reply) == json_array_size(batch));
	for (size_t i = 0; i < json_array_size(reply); i++)
		cr_assert_not_null(
			json_object_get(json_array_get(reply, i), "result"),
			"%s",
			json_dumps(json_array_get(reply, i), JSON_COMPACT));
	free(text);
	json_decref(batch);
	return reply;
}

/*
 * Eight subscribers, each with 16 subscriptions matching every process,
 * never read while 10000 process events happen: the daemon's memory does
 * not grow with them, others are served, and a subscriber that reads at
 * last gets events and drop markers that count every one of them.
 */
Test(attack_chan, unread_subscribers_of_a_process_flood_are_bounded)
{
	static const char *const args[] = { "--max-output", "256K", NULL };
	long long got = 0, dropped = 0, markers = 0;
	int subs[PFLOOD_SUBS], fd, other;
	long rss0 = 0, rss1;

	mpdd_start(&d, args);
	fd = test_connect(d.socket);
	other = test_connect(d.socket);
	for (int i = 0; i < PFLOOD_SUBS; i++) {
		subs[i] = test_connect(d.socket);
		for (int j = 0; j < 16; j++)
			json_decref(test_ok(subs[i], "events.subscribe",
					    json_pack("{s:[s]}", "kinds",
						      "process")));
	}
	for (int b = 0; b < PFLOOD_ROUNDS; b++) {
		json_t *batch = json_array(), *reply;

		for (int i = 0; i < PFLOOD_BATCH; i++)
			json_array_append_new(
				batch, json_pack("{s:s, s:s, s:{s:[s]}, s:i}",
						 "jsonrpc", "2.0", "method",
						 "process.create", "params",
						 "argv", "true", "id", i));
		reply = batch_ok(fd, batch);
		batch = json_array();
		for (int i = 0; i < PFLOOD_BATCH; i++)
			json_array_append_new(
				batch,
				json_pack("{s:s, s:s, s:{s:I}, s:i}", "jsonrpc",
					  "2.0", "method", "process.close",
					  "params", "id",
					  (json_int_t)test_int(
						  json_object_get(
							  json_array_get(reply,
									 i),
							  "result"),
						  "id"),
					  "id", i));
		json_decref(reply);
		json_decref(batch_ok(fd, batch));
		test_ok0(other, "daemon.ping", NULL);
		if (b == 4)
			rss0 = test_rss_kib(d.pid);
	}
	rss1 = test_rss_kib(d.pid);
	if (!test_sanitized())
		cr_assert_lt(rss1 - rss0, 2048,
			     "mpdd grew by %ld KiB for unread subscribers",
			     rss1 - rss0);
	while (got + dropped < PFLOOD_ROUNDS * PFLOOD_BATCH) {
		char *line = test_read_line(subs[0], TEST_TIMEOUT_MS);
		json_t *ev, *p;

		cr_assert_not_null(line, "the subscriber was dropped");
		ev = test_json(line);
		free(line);
		p = json_object_get(ev, "params");
		cr_assert_eq(
			json_array_size(json_object_get(p, "subscriptions")),
			16);
		if (strcmp(json_string_value(json_object_get(p, "kind")),
			   "events") == 0) {
			dropped += test_int(p, "count");
			markers++;
		} else {
			cr_assert_str_eq(
				json_string_value(json_object_get(p, "event")),
				"created");
			got++;
		}
		json_decref(ev);
	}
	cr_assert_eq(got + dropped, PFLOOD_ROUNDS * PFLOOD_BATCH);
	cr_assert_gt(markers, 0);
	test_ok0(subs[0], "daemon.ping", NULL);
	for (int i = 0; i < PFLOOD_SUBS; i++)
		test_hang_up(subs[i]);
	test_hang_up(other);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A worker is given a listening socket and the write end of a pipe: it
 * gets exactly those (3 still listens, 4 takes its names), and
 * once it is killed while holding them, nothing else holds them: the
 * pipe reads EOF and a connect to the socket is refused.
 */
Test(attack_chan, a_worker_given_a_listening_socket_and_killed_holds_them_alone)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, lfd, p[2], c, two[2], base;
	long long id;
	char buf[16] = { 0 };
	json_t *r;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	test_settle(fd);
	base = test_count_fds(d.pid);
	cr_assert_lt(snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/l.sock",
			      d.dir),
		     (int)sizeof(sa.sun_path));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(lfd >= 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	two[0] = lfd;
	two[1] = p[1];
	/* The worker tells its names on 4, then sleeps holding both. */
	r = test_call_fds(fd, "process.create",
			  json_pack("{s:[s, s, s], s:[s, s], s:b}", "argv",
				    "sh", "-c",
				    "echo \"$MPD_FDS\" >&4; exec sleep 1000",
				    "fds", "listen", "out", "start", 1),
			  two, 2);
	id = test_int(test_result(r), "id");
	json_decref(r);
	close(lfd);
	close(p[1]);
	cr_assert_eq(read(p[0], buf, sizeof(buf) - 1), 11);
	cr_assert_str_eq(buf, "listen:out\n");
	/* The socket still listens, in the worker alone. */
	c = test_try_connect(sa.sun_path);
	cr_assert_geq(c, 0, "connect: %s", strerror(-c));
	close(c);
	cr_assert_eq(test_count_fds(d.pid), base + 1,
		     "mpdd holds more than the worker's pidfd");
	r = test_call_id(fd, "process.kill", id, NULL);
	cr_assert_not_null(json_object_get(r, "result"), "%s",
			   json_dumps(r, JSON_COMPACT));
	json_decref(r);
	free(read_to_eof(p[0]));
	r = test_call_id(fd, "process.join", id,
			 json_pack("{s:i}", "timeout", 20));
	cr_assert_str_eq(
		json_string_value(json_object_get(test_result(r), "signal")),
		"SIGKILL");
	/* Once it is reaped, every file it held has been released (the
	 * pipe's EOF may come a moment before the socket's release). */
	c = test_try_connect(sa.sun_path);
	cr_assert_eq(c, -ECONNREFUSED, "the listening socket is still held");
	json_decref(r);
	test_ok0(fd, "process.close", json_pack("{s:I}", "id", (json_int_t)id));
	await_fds(d.pid, base);
	test_hang_up(fd);
	mpdd_stop(&d);
}

/*
 * A client sends thousands of shm.attach without reading the replies,
 * each of which carries a descriptor: what the daemon holds for them
 * stays within a quarter of open_files (the rest are limit), and once
 * they are read or the client is gone, all that room is back: another
 * client can make as many segments as before.
 */
Test(attack_chan, unread_attach_replies_are_bounded_and_given_back)
{
	enum { N = 3000 };
	int a, b, base, ok = 0, lim = 0, made = 0;
	size_t len = 0;
	char *buf, nm[16];
	json_t *r;

	mpdd_start_nofile(&d, NULL, 256, 256);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	test_settle(a);
	test_settle(b);
	base = test_count_fds(d.pid);
	r = test_ok(b, "shm.create",
		    json_pack("{s:s, s:i, s:s}", "name", "S", "size", 4096,
			      "mode", "everyone"));
	close(test_take_fd(b));
	json_decref(r);
	buf = malloc((size_t)N * 96);
	cr_assert_not_null(buf);
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(buf + len,
				       "{\"jsonrpc\":\"2.0\",\"id\":%d,"
				       "\"method\":\"shm.attach\","
				       "\"params\":{\"name\":\"S\"}}\n",
				       i);
	test_send(a, buf, len);
	free(buf);
	test_settle(b);
	cr_assert_leq(test_count_fds(d.pid), base + 64);
	for (int i = 0; i < N; i++) {
		r = reply_line(a);
		cr_assert_eq(json_integer_value(json_object_get(r, "id")), i);
		if (json_object_get(r, "result") != NULL) {
			int f = test_take_fd(a);

			cr_assert_geq(f, 0);
			close(f);
			ok++;
		} else {
			cr_assert_str_eq(err_name(r), "limit");
			cr_assert_str_eq(
				json_string_value(json_object_get(
					json_object_get(
						json_object_get(r, "error"),
						"data"),
					"limit")),
				"open_files");
			lim++;
		}
		json_decref(r);
	}
	cr_assert_eq(ok + lim, N);
	cr_assert_gt(ok, 0);
	await_fds(d.pid, base + 1);
	r = test_info(b, "shm", "S");
	cr_assert_eq(test_int(r, "attaches"), ok + 1);
	json_decref(r);
	/* All the room is back: 62 more segments fit (64, the first one's
	 * and each hand-out's passing descriptor counted). */
	for (int i = 0; i < 62; i++) {
		snprintf(nm, sizeof(nm), "x%d", i);
		r = test_call(b, "shm.create",
			      json_pack("{s:s, s:i}", "name", nm, "size", 64));
		if (json_object_get(r, "result") == NULL) {
			json_decref(r);
			break;
		}
		close(test_take_fd(b));
		json_decref(r);
		made++;
	}
	cr_assert_eq(made, 62, "only %d segments fit after the flood", made);
	test_hang_up(a);
	test_hang_up(b);
	mpdd_stop(&d);
}

/*
 * Waits parked by the thousand, each naming one running process 1024
 * times (a 2 KiB line): what the daemon keeps for them is bounded by
 * max_broker_bytes (the rest are limit), not by what a client can send.
 */
Test(attack_chan, parked_waits_are_bounded)
{
	static const char *const args[] = { "--max-broker-bytes", "8M", NULL };
	enum { N = 3000 };
	int fd, w, in, ok = 0, lim = 0;
	long rss0, rss1;
	long long id;
	char *line;
	size_t len;

	mpdd_start(&d, args);
	fd = test_connect(d.socket);
	id = test_start_fed(
		fd, json_pack("{s:[s, s, s]}", "argv", "sh", "-c", "read x"),
		&in);
	w = test_connect(d.socket);
	test_settle(w);
	rss0 = test_rss_kib(d.pid);
	line = malloc(1024 * 24 + 128);
	cr_assert_not_null(line);
	for (int i = 0; i < N; i++) {
		len = (size_t)sprintf(
			line,
			"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			"\"process.wait\",\"params\":{\"ids\":[",
			i);
		for (int j = 0; j < 1024; j++)
			len += (size_t)sprintf(line + len, "%s%lld",
					       j ? "," : "", id);
		len += (size_t)sprintf(line + len, "]}}\n");
		test_send(w, line, len);
	}
	free(line);
	/* Those refused are answered at once, before a ping sent after
	 * them; the rest are parked. */
	test_send_call(w, "ping", "daemon.ping", NULL);
	for (;;) {
		json_t *r = reply_line(w);

		if (json_is_string(json_object_get(r, "id"))) {
			json_decref(r);
			break;
		}
		cr_assert_str_eq(err_name(r), "limit", "%s",
				 json_dumps(r, JSON_COMPACT));
		cr_assert_str_eq(
			json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"limit")),
			"max_broker_bytes");
		lim++;
		json_decref(r);
	}
	rss1 = test_rss_kib(d.pid);
	cr_assert_gt(lim, 0, "%d waits parked, none refused", N);
	/* The end answers every parked one, and their bytes are given
	 * back. */
	cr_assert_eq(write(in, "\n", 1), 1);
	close(in);
	for (int i = 0; i < N - lim; i++) {
		json_t *r = reply_line(w);

		cr_assert_not_null(json_object_get(r, "result"));
		ok++;
		json_decref(r);
	}
	cr_assert_eq(test_info_int(fd, "broker", "bytes"), 0);
	cr_assert_eq(ok + lim, N);
	cr_assert_gt(ok, 0);
	if (!test_sanitized())
		cr_assert_lt(rss1 - rss0, 32 * 1024,
			     "mpdd grew by %ld KiB for %d parked waits "
			     "(max_broker_bytes 8 MiB)",
			     rss1 - rss0, ok);
	test_hang_up(w);
	test_hang_up(fd);
	mpdd_stop_all(&d);
}

/*
 * Parked joins count against max_broker_bytes too: a client that sends
 * joins on a process that never ends gets limit, not a daemon that grows
 * for ever; the bytes come back when the joins are answered.
 */
Test(attack_chan, parked_joins_are_bounded)
{
	static const char *const args[] = { "--max-broker-bytes", "100000",
					    NULL };
	enum { N = 400 };
	char cid[16];
	int fd, w, in, ok = 0, lim = 0;
	long long id;

	mpdd_start(&d, args);
	fd = test_connect(d.socket);
	id = test_start_fed(
		fd, json_pack("{s:[s, s, s]}", "argv", "sh", "-c", "read x"),
		&in);
	w = test_connect(d.socket);
	for (int i = 0; i < N; i++) {
		snprintf(cid, sizeof(cid), "j%d", i);
		test_send_call(w, cid, "process.join",
			       json_pack("{s:I}", "id", id));
	}
	/* The refused ones are answered at once, before a ping after them. */
	test_send_call(w, "ping", "daemon.ping", NULL);
	for (;;) {
		char *line = test_read_line(w, TEST_TIMEOUT_MS);
		json_t *r = test_json(line);
		const char *name;

		free(line);
		if (json_is_string(json_object_get(r, "id")) &&
		    strcmp(json_string_value(json_object_get(r, "id")),
			   "ping") == 0) {
			json_decref(r);
			break;
		}
		cr_assert_eq(test_error_code(r, &name), 9);
		lim++;
		json_decref(r);
	}
	cr_assert_gt(lim, 0, "no join was refused");
	cr_assert_gt(test_info_int(fd, "broker", "bytes"), 90000);
	/* The process ends: every parked join gets its record. */
	close(in);
	for (int i = 0; i < N - lim; i++) {
		char *line = test_read_line(w, TEST_TIMEOUT_MS);
		json_t *r = test_json(line);

		free(line);
		/* read at EOF: exit status 1 */
		cr_assert_eq(test_int(json_object_get(r, "result"), "exitcode"),
			     1);
		ok++;
		json_decref(r);
	}
	cr_assert_gt(ok, 200, "only %d joins parked", ok);
	cr_assert_eq(test_info_int(fd, "broker", "bytes"), 0);
	test_assert_ping(d.socket);
}
