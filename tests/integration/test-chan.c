/*
 * test-chan.c - the direct channels at the wire: listeners (rendezvous
 * by name, each side receiving one end of a fresh socketpair) and shared
 * memory segments (sealed memfds), against a real mpdd. Every promise of
 * docs/protocol.md's sections on them: the daemon steps out of the path,
 * nothing is left behind when an owner goes away, another uid gets only
 * what the mode allows, and descriptors cannot be piled up in the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(chan, .fini = teardown, .timeout = 120);

/* The descriptor a reply passed, checked against its "fd" index. */
static int reply_fd(int fd, json_t *res)
{
	int got = test_take_fd(fd);

	cr_assert_eq(test_int(res, "fd"), 0, "fd index in a single reply");
	cr_assert(got >= 0, "the reply passed no descriptor");
	return got;
}

/* listener.connect or .accept answered at once: the end it passed. */
static int end_of(int fd, const char *method, const char *name, json_t **peer)
{
	json_t *res = test_ok(fd, method, test_nm(name));
	int end = reply_fd(fd, res);

	if (peer != NULL)
		*peer = json_incref(json_object_get(res, "peer"));
	json_decref(res);
	return end;
}

/* Write s on a and read it back on b. */
static void flows(int a, int b, const char *s)
{
	char buf[64] = { 0 };
	size_t n = strlen(s);

	cr_assert_eq(write(a, s, n), (ssize_t)n);
	cr_assert_eq(read(b, buf, sizeof(buf) - 1), (ssize_t)n);
	cr_assert_str_eq(buf, s);
}

static void listen_on(int fd, const char *name, int backlog, const char *mode)
{
	json_t *p = test_nm(name);

	if (backlog >= 0)
		json_object_set_new(p, "backlog", json_integer(backlog));
	if (mode != NULL)
		json_object_set_new(p, "mode", json_string(mode));
	json_decref(test_ok(fd, "listener.create", p));
}

Test(chan, connect_then_accept_joins_two_clients_directly)
{
	json_t *peer, *info;
	int a, b, ea, eb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(a, "L", -1, NULL);
	/* The backlog (16 by default) takes it before anyone accepts. */
	eb = end_of(b, "listener.connect", "L", &peer);
	cr_assert_eq(test_int(peer, "pid"), getpid());
	cr_assert_eq(test_int(peer, "uid"), getuid());
	json_decref(peer);
	info = test_info(a, "listener", "L");
	cr_assert_eq(test_int(info, "pending"), 1);
	cr_assert_eq(test_int(info, "backlog"), 16);
	json_decref(info);
	ea = end_of(a, "listener.accept", "L", &peer);
	cr_assert_eq(test_int(peer, "pid"), getpid());
	cr_assert(json_is_null(json_object_get(peer, "process")));
	json_decref(peer);
	flows(eb, ea, "ping");
	flows(ea, eb, "pong");
	/* The daemon is out of the path: gone, the two still talk. */
	mpdd_stop(&d);
	flows(eb, ea, "still");
	close(ea);
	close(eb);
	test_hang_up(a);
	test_hang_up(b);
}

Test(chan, an_accept_waits_for_a_connect_and_a_connect_for_an_accept)
{
	json_t *res;
	int a, b, ea, eb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(a, "L", 0, NULL);
	test_send_call(a, "acc", "listener.accept", test_nm("L"));
	test_settle(a);
	eb = end_of(b, "listener.connect", "L", NULL);
	res = test_result_for(a, "acc");
	ea = reply_fd(a, res);
	json_decref(res);
	flows(ea, eb, "x");
	close(ea);
	close(eb);
	/* Backlog 0: a connect waits for the accept. */
	test_send_call(b, "con", "listener.connect", test_nm("L"));
	test_settle(b);
	ea = end_of(a, "listener.accept", "L", NULL);
	res = test_result_for(b, "con");
	eb = reply_fd(b, res);
	json_decref(res);
	flows(eb, ea, "y");
	close(ea);
	close(eb);
}

Test(chan, timeouts_answer_empty_and_full)
{
	json_t *r;
	const char *name;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	listen_on(a, "L", 1, NULL);
	r = test_call(a, "listener.accept",
		      json_pack("{s:s, s:f}", "name", "L", "timeout", 0.1));
	cr_assert_eq(test_error_code(r, &name), 5);
	cr_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(json_object_get(r, "error"), "data"),
			"reason")),
		"timeout");
	json_decref(r);
	close(end_of(a, "listener.connect", "L", NULL));
	/* The backlog of 1 is full now. */
	test_fails(a, "listener.connect",
		   json_pack("{s:s, s:i}", "name", "L", "timeout", 0), "full");
	test_fails(a, "listener.connect",
		   json_pack("{s:s, s:f}", "name", "L", "timeout", 0.1),
		   "full");
	/* The end that did connect is still waiting, and accepted. */
	close(end_of(a, "listener.accept", "L", NULL));
	test_fails(a, "listener.accept",
		   json_pack("{s:s, s:i}", "name", "L", "timeout", 0), "empty");
}

Test(chan, waiting_connectors_are_served_in_order)
{
	char id[8], buf[8];
	json_t *res;
	int a, c[3], e[3], mine[3];

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	listen_on(a, "L", 0, NULL);
	for (int i = 0; i < 3; i++) {
		c[i] = test_connect(d.socket);
		snprintf(id, sizeof(id), "c%d", i);
		test_send_call(c[i], id, "listener.connect", test_nm("L"));
		test_settle(c[i]);
	}
	for (int i = 0; i < 3; i++) {
		e[i] = end_of(a, "listener.accept", "L", NULL);
		snprintf(id, sizeof(id), "c%d", i);
		res = test_result_for(c[i], id);
		mine[i] = reply_fd(c[i], res);
		json_decref(res);
	}
	/* Each accept got the oldest connector's other end. */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(write(mine[i], "k", 1), 1);
		cr_assert_eq(read(e[i], buf, 1), 1);
		close(mine[i]);
		close(e[i]);
	}
}

Test(chan, a_listener_goes_away_with_its_connection)
{
	char buf[4];
	json_t *r;
	int a, b, c, eb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	c = test_connect(d.socket);
	listen_on(a, "L", 1, NULL);
	eb = end_of(b, "listener.connect", "L", NULL); /* pending */
	test_send_call(c, "w", "listener.connect", test_nm("L"));
	test_settle(c);
	test_hang_up(a);
	r = test_reply_for(c, "w");
	cr_assert_eq(test_error_code(r, NULL), 7); /* closed */
	json_decref(r);
	/* The pending end was closed: its connector reads EOF. */
	cr_assert_eq(read(eb, buf, sizeof(buf)), 0);
	close(eb);
	test_fails(b, "listener.info", test_nm("L"), "not_found");
	/* The name is free again. */
	listen_on(b, "L", -1, NULL);
	test_ok0(b, "listener.close", test_nm("L"));
	test_fails(b, "listener.connect", test_nm("L"), "not_found");
}

Test(chan, close_answers_everything_parked)
{
	json_t *r;
	int a, b;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(a, "L", 0, NULL);
	test_send_call(a, "acc", "listener.accept", test_nm("L"));
	test_send_call(b, "con", "listener.connect",
		       json_pack("{s:s, s:s}", "name", "M", "timeout", "x"));
	r = test_reply_for(b, "con");
	cr_assert_eq(test_error_code(r, NULL), -32602);
	json_decref(r);
	test_settle(a);
	/* A second connection of the owner closes it. */
	test_ok0(b, "listener.close", test_nm("L"));
	r = test_reply_for(a, "acc");
	cr_assert_eq(test_error_code(r, NULL), 7);
	json_decref(r);
	test_assert_ping(d.socket);
}

Test(chan, a_vanished_acceptor_is_not_matched)
{
	int a, b, ea, eb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(a, "L", 0, NULL);
	int gone = test_connect(d.socket);

	test_send_call(gone, "acc", "listener.accept", test_nm("L"));
	test_settle(gone);
	test_hang_up(gone);
	/* Wait until the daemon has seen it go. */
	test_await_info(a, "listener", "L", "acceptors", "0");
	test_fails(b, "listener.connect",
		   json_pack("{s:s, s:i}", "name", "L", "timeout", 0), "full");
	test_send_call(b, "con", "listener.connect", test_nm("L"));
	test_settle(b);
	ea = end_of(a, "listener.accept", "L", NULL);
	json_t *res = test_result_for(b, "con");

	eb = reply_fd(b, res);
	json_decref(res);
	flows(ea, eb, "z");
	close(ea);
	close(eb);
}

Test(chan, a_batch_numbers_its_descriptors)
{
	char buf[8];
	json_t *replies;
	char *line;
	int a, e[2] = { -1, -1 }, got[2];

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	listen_on(a, "L", 4, NULL);
	test_send_str(a, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			 "\"listener.connect\",\"params\":{\"name\":\"L\"}},"
			 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
			 "\"listener.accept\",\"params\":{\"name\":\"L\"}}]\n");
	line = test_read_line(a, TEST_TIMEOUT_MS);
	replies = test_json(line);
	free(line);
	cr_assert_eq(json_array_size(replies), 2);
	got[0] = test_take_fd(a);
	got[1] = test_take_fd(a);
	cr_assert(got[0] >= 0 && got[1] >= 0);
	cr_assert_eq(test_take_fd(a), -1);
	for (size_t i = 0; i < 2; i++) {
		json_t *rep = json_array_get(replies, i);
		long long id = json_integer_value(json_object_get(rep, "id"));
		long long idx = test_int(test_result(rep), "fd");

		cr_assert(idx == 0 || idx == 1);
		e[id - 1] = got[idx];
	}
	json_decref(replies);
	cr_assert_eq(write(e[0], "ab", 2), 2);
	cr_assert_eq(read(e[1], buf, sizeof(buf)), 2);
	close(e[0]);
	close(e[1]);
}

Test(chan, bad_listener_params_are_refused)
{
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	const char *bad[] = {
		"{}",
		"{\"name\":\"\"}",
		"{\"name\":7}",
		"{\"name\":\"L\",\"backlog\":-1}",
		"{\"name\":\"L\",\"backlog\":1025}",
		"{\"name\":\"L\",\"backlog\":\"4\"}",
		"{\"name\":\"L\",\"mode\":\"world\"}",
		"{\"name\":\"L\",\"mode\":1}",
		"{\"name\":\"L\",\"bogus\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_fails(a, "listener.create", test_json(bad[i]),
			   "invalid_params");
	listen_on(a, "L", -1, NULL);
	test_fails(a, "listener.create", test_nm("L"), "exists");
	test_fails(a, "listener.accept",
		   json_pack("{s:s, s:i}", "name", "L", "timeout", -1),
		   "invalid_params");
	test_fails(a, "listener.connect", test_nm("nope"), "not_found");
	test_fails(a, "listener.accept", json_object(), "invalid_params");
	/* Not run as a notification: nothing is connected. */
	test_send_call(a, NULL, "listener.connect", test_nm("L"));
	test_settle(a);
	json_t *info = test_info(a, "listener", "L");

	cr_assert_eq(test_int(info, "pending"), 0);
	json_decref(info);
}

/* Count the daemon's open descriptors until it is back to base. */
static void await_fds(int base)
{
	for (int i = 0; i < 500 && test_count_fds(d.pid) != base; i++)
		usleep(10000);
	cr_assert_eq(test_count_fds(d.pid), base);
}

Test(chan, a_client_that_never_reads_cannot_pile_up_descriptors)
{
	const char *extra[] = { NULL };
	char id[16];
	int a, b, base, limited = 0;
	json_t *r;

	/* 256 descriptors: listeners and segments may hold 64. */
	mpdd_start_nofile(&d, extra, 256, 256);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(b, "L", 1024, NULL);
	base = test_count_fds(d.pid);
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "%d", i);
		test_send_call(a, id, "listener.connect", test_nm("L"));
	}
	/* Others are served meanwhile. */
	test_assert_ping(d.socket);
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "%d", i);
		r = test_reply_for(a, id);
		if (json_object_get(r, "error") != NULL) {
			const char *name;

			test_error_code(r, &name);
			cr_assert_str_eq(name, "limit");
			limited++;
		}
		json_decref(r);
	}
	cr_assert(limited > 0, "no connect was refused");
	cr_assert(test_count_fds(d.pid) <= 256);
	test_hang_up(a);
	test_ok0(b, "listener.close", test_nm("L"));
	await_fds(base - 1); /* a is gone */
}

/* --- shared memory --- */

static int shm_make(int fd, json_t *params, size_t *size)
{
	json_t *res = test_ok(fd, "shm.create", params);
	int m = reply_fd(fd, res);

	cr_assert(test_bool(res, "created"));
	if (size != NULL)
		*size = (size_t)test_int(res, "size");
	json_decref(res);
	return m;
}

static int shm_attach(int fd, const char *name)
{
	json_t *res = test_ok(fd, "shm.attach", test_nm(name));
	int m = reply_fd(fd, res);

	cr_assert(!test_bool(res, "created"));
	json_decref(res);
	return m;
}

Test(chan, a_segment_is_the_same_memory_for_every_attacher)
{
	char *p, *q;
	size_t size;
	json_t *info, *list;
	int a, b, ma, mb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	ma = shm_make(a, json_pack("{s:s, s:i}", "name", "S", "size", 10000),
		      &size);
	cr_assert_eq(size, 10000);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ma, 0);
	cr_assert(p != MAP_FAILED);
	strcpy(p + 9000, "shared");
	mb = shm_attach(b, "S");
	q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mb, 0);
	cr_assert(q != MAP_FAILED);
	cr_assert_str_eq(q + 9000, "shared");
	q[0] = 'Q';
	cr_assert_eq(p[0], 'Q');
	/* Sealed: nobody can cut it under the others' mappings. */
	cr_assert_eq(ftruncate(mb, 10), -1);
	cr_assert_eq(errno, EPERM);
	cr_assert_eq(ftruncate(mb, 1 << 20), -1);
	info = test_info(b, "shm", "S");
	cr_assert_eq(test_int(info, "attaches"), 2);
	cr_assert_eq(test_int(info, "uid"), getuid());
	cr_assert(!test_bool(info, "temporary"));
	json_decref(info);
	cr_assert_eq(test_info_int(a, "broker", "shms"), 1);
	cr_assert_eq(test_info_int(a, "broker", "shm_bytes"), 10000);
	/* Unlinked, the name is gone; the memory lives while mapped. */
	test_ok0(b, "shm.unlink", test_nm("S"));
	test_fails(b, "shm.attach", test_nm("S"), "not_found");
	list = test_ok(a, "shm.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(list, "segments")), 0);
	json_decref(list);
	cr_assert_eq(test_info_int(a, "broker", "bytes"), 0);
	cr_assert_str_eq(q + 9000, "shared");
	munmap(p, size);
	munmap(q, size);
	close(ma);
	close(mb);
}

Test(chan, a_temporary_segment_goes_with_its_creator)
{
	char *q;
	int a, b, ma, mb;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	ma = shm_make(a,
		      json_pack("{s:s, s:i, s:b}", "name", "T", "size", 4096,
				"temporary", 1),
		      NULL);
	mb = shm_attach(b, "T");
	q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mb, 0);
	cr_assert(q != MAP_FAILED);
	strcpy(q, "kept");
	test_hang_up(a);
	/* Gone once the daemon has seen the connection close. */
	for (int i = 0;; i++) {
		json_t *list = test_ok(b, "shm.list", NULL);
		size_t n = json_array_size(json_object_get(list, "segments"));

		json_decref(list);
		if (n == 0)
			break;
		cr_assert(i < 1000, "the temporary segment stayed");
		usleep(10000);
	}
	test_fails(b, "shm.attach", test_nm("T"), "not_found");
	cr_assert_str_eq(q, "kept");
	munmap(q, 4096);
	close(ma);
	close(mb);
}

Test(chan, exist_ok_attaches_a_segment_of_the_same_size)
{
	json_t *res;
	int a;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "S", "size", 64),
		       NULL));
	test_fails(a, "shm.create",
		   json_pack("{s:s, s:i}", "name", "S", "size", 64), "exists");
	test_fails(a, "shm.create",
		   json_pack("{s:s, s:i, s:b}", "name", "S", "size", 65,
			     "exist_ok", 1),
		   "invalid_state");
	res = test_ok(a, "shm.create",
		      json_pack("{s:s, s:i, s:b}", "name", "S", "size", 64,
				"exist_ok", 1));
	cr_assert(!test_bool(res, "created"));
	close(reply_fd(a, res));
	json_decref(res);
}

Test(chan, bad_shm_params_and_limits_are_refused)
{
	const char *extra[] = { "--max-broker-bytes", "100000", NULL };
	int a;

	mpdd_start(&d, extra);
	a = test_connect(d.socket);
	const char *bad[] = {
		"{\"name\":\"S\"}",
		"{\"name\":\"S\",\"size\":0}",
		"{\"name\":\"S\",\"size\":-1}",
		"{\"name\":\"S\",\"size\":1.5}",
		"{\"name\":\"S\",\"size\":\"1\"}",
		"{\"name\":\"S\",\"size\":2199023255553}",
		"{\"name\":\"S\",\"size\":1,\"mode\":\"all\"}",
		"{\"name\":\"S\",\"size\":1,\"temporary\":1}",
		"{\"size\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		test_fails(a, "shm.create", test_json(bad[i]),
			   "invalid_params");
	/* Its size counts against max_broker_bytes. */
	test_fails(a, "shm.create",
		   json_pack("{s:s, s:i}", "name", "S", "size", 200000),
		   "limit");
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "S", "size", 60000),
		       NULL));
	test_fails(a, "shm.create",
		   json_pack("{s:s, s:i}", "name", "T", "size", 60000),
		   "limit");
	test_ok0(a, "shm.unlink", test_nm("S"));
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "T", "size", 60000),
		       NULL));
	test_fails(a, "shm.unlink", test_nm("S"), "not_found");
	test_assert_ping(d.socket);
}

/* In a child running as nobody: what the modes allow. Exit status 0 when
 * all held, else the number of the check that failed. */
static int as_nobody(const char *socket)
{
	json_t *r;
	int fd, m;

	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		return 1;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 2;
	/* Owner-only objects: refused, and not listed. */
	const char *refused[][2] = {
		{ "listener.connect", "private" },
		{ "listener.info", "private" },
		{ "listener.accept", "open" },
		{ "listener.close", "open" },
		{ "shm.attach", "secret" },
		{ "shm.info", "secret" },
		{ "shm.unlink", "public" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		json_t *e;

		r = test_call(fd, refused[i][0], test_nm(refused[i][1]));
		e = json_object_get(r, "error");
		if (json_integer_value(json_object_get(e, "code")) != 4)
			return 10 + (int)i;
		json_decref(r);
	}
	r = test_call(fd, "listener.list", NULL);
	if (json_array_size(json_object_get(json_object_get(r, "result"),
					    "listeners")) != 1)
		return 20;
	json_decref(r);
	r = test_call(fd, "shm.list", NULL);
	if (json_array_size(json_object_get(json_object_get(r, "result"),
					    "segments")) != 1)
		return 21;
	json_decref(r);
	/* Shared with everyone: usable. */
	r = test_call(fd, "shm.attach", test_nm("public"));
	if (json_object_get(r, "result") == NULL)
		return 30;
	json_decref(r);
	m = test_take_fd(fd);
	if (m < 0)
		return 31;
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, m, 0);

	if (p == MAP_FAILED || strcmp(p, "for all") != 0)
		return 32;
	r = test_call(fd, "listener.connect", test_nm("open"));
	if (json_object_get(r, "result") == NULL)
		return 33;
	json_decref(r);
	m = test_take_fd(fd);
	if (m < 0 || write(m, "hi", 2) != 2)
		return 34;
	return 0;
}

Test(chan, another_uid_gets_only_what_the_mode_allows)
{
	char buf[4] = { 0 };
	int a, m, status, e;
	pid_t pid;
	char *p;

	if (getuid() != 0)
		cr_skip_test("needs root to switch to nobody");
	mpdd_start(&d, NULL);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	a = test_connect(d.socket);
	listen_on(a, "private", -1, NULL);
	listen_on(a, "open", -1, "everyone");
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "secret", "size", 16),
		       NULL));
	m = shm_make(a,
		     json_pack("{s:s, s:i, s:s}", "name", "public", "size",
			       4096, "mode", "everyone"),
		     NULL);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	cr_assert(p != MAP_FAILED);
	strcpy(p, "for all");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(as_nobody(d.socket));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "check %d failed as nobody", WEXITSTATUS(status));
	e = end_of(a, "listener.accept", "open", NULL);
	cr_assert_eq(read(e, buf, 2), 2);
	cr_assert_str_eq(buf, "hi");
	close(e);
	munmap(p, 4096);
	close(m);
}

Test(chan, a_batch_passes_at_most_sixteen_descriptors)
{
	char *line, *p;
	json_t *replies;
	size_t len = 0;
	int a, ok = 0, limited = 0;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "S", "size", 64),
		       NULL));
	line = malloc(20 * 96 + 4);
	cr_assert(line != NULL);
	p = line;
	*p++ = '[';
	for (int i = 0; i < 20; i++)
		p += sprintf(p,
			     "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
			     "\"shm.attach\",\"params\":{\"name\":\"S\"}}",
			     i > 0 ? "," : "", i);
	strcpy(p, "]\n");
	test_send_str(a, line);
	free(line);
	line = test_read_line(a, TEST_TIMEOUT_MS);
	replies = test_json(line);
	free(line);
	for (size_t i = 0; i < json_array_size(replies); i++) {
		json_t *rep = json_array_get(replies, i);
		const char *name;

		if (json_object_get(rep, "result") != NULL) {
			ok++;
			continue;
		}
		cr_assert_eq(test_error_code(rep, &name), 9);
		limited++;
	}
	json_decref(replies);
	cr_assert_eq(ok, 16);
	cr_assert_eq(limited, 4);
	while (test_take_fd(a) >= 0)
		len++;
	cr_assert_eq(len, 16);
	test_assert_ping(d.socket);
}

/*
 * Descriptors ride with their own reply's line, even behind a reply too
 * big for the socket: the read that brings them ends past the end of the
 * line before (the rule clients match them by, proto/fdio.c).
 */
Test(chan, descriptors_come_with_their_own_line_behind_a_long_reply)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	size_t big = 600000, got = 0, first_end = 0, fds_at = 0;
	char *item, buf[4096];
	int a, rcv = 4096, nfd = -1;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	cr_assert(setsockopt(a, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) == 0);
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "S", "size", 64),
		       NULL));
	test_ok0(a, "queue.create", test_nm("q"));
	item = malloc(big + 1);
	cr_assert(item != NULL);
	memset(item, 'x', big);
	item[big] = '\0';
	test_ok0(a, "queue.put",
		 json_pack("{s:s, s:s}", "name", "q", "item", item));
	free(item);
	test_send_str(a,
		      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"queue.get\","
		      "\"params\":{\"name\":\"q\"}}\n"
		      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		      "\"shm.attach\",\"params\":{\"name\":\"S\"}}\n");
	/* Read slowly, in small pieces. */
	while (nfd < 0) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(a, &mh, MSG_CMSG_CLOEXEC);
		struct cmsghdr *cm;

		cr_assert(n > 0, "recvmsg: %s", strerror(errno));
		if (first_end == 0) {
			char *nl = memchr(buf, '\n', (size_t)n);

			if (nl != NULL)
				first_end = got + (size_t)(nl - buf) + 1;
		}
		got += (size_t)n;
		cm = CMSG_FIRSTHDR(&mh);
		if (cm != NULL && cm->cmsg_type == SCM_RIGHTS) {
			memcpy(&nfd, CMSG_DATA(cm), sizeof(int));
			fds_at = got;
		}
	}
	cr_assert(first_end > big, "the first line ended early");
	cr_assert(fds_at > first_end,
		  "descriptors came with byte %zu, the first line ends at %zu",
		  fds_at, first_end);
	close(nfd);
	test_forget(a);
	close(a);
}

Test(chan, clients_gone_while_waiting_leave_nothing_behind)
{
	json_t *r, *info;
	int a, b, c, gone;

	mpdd_start(&d, NULL);
	a = test_connect(d.socket);
	b = test_connect(d.socket);
	listen_on(a, "L", 0, NULL);
	/* A connector that goes away while it waits is not matched. */
	gone = test_connect(d.socket);
	test_send_call(gone, "con", "listener.connect", test_nm("L"));
	test_settle(gone);
	test_hang_up(gone);
	test_await_info(a, "listener", "L", "connectors", "0");
	test_fails(a, "listener.accept",
		   json_pack("{s:s, s:i}", "name", "L", "timeout", 0), "empty");
	/* The owner goes away with its accept waiting, a connector too. */
	c = test_connect(d.socket);
	listen_on(c, "M", 0, NULL);
	test_send_call(c, "acc", "listener.accept",
		       json_pack("{s:s, s:i}", "name", "M", "timeout", 600));
	test_settle(c);
	test_send_call(b, "con", "listener.connect", test_nm("L"));
	test_settle(b);
	test_hang_up(c);
	test_hang_up(a);
	r = test_reply_for(b, "con");
	cr_assert_eq(test_error_code(r, NULL), 7);
	json_decref(r);
	cr_assert_eq(test_take_fd(b), -1);
	info = test_ok(b, "listener.list", NULL);
	cr_assert_eq(json_array_size(json_object_get(info, "listeners")), 0);
	json_decref(info);
	cr_assert_eq(test_info_int(b, "broker", "bytes"), 0);
	cr_assert_eq(test_info_int(b, "broker", "listeners"), 0);
}

/* In a child running as uid: create segments named PREFIX-N until one is
 * refused; exit with how many were made (0..250), or 255 when the refusal
 * was not the per-uid share. */
static int fill_share(const char *socket, uid_t uid, const char *prefix)
{
	char name[32];
	json_t *r;
	int fd, made = 0;

	if (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0)
		return 255;
	fd = test_try_connect(socket);
	if (fd < 0)
		return 255;
	for (;;) {
		snprintf(name, sizeof(name), "%s-%d", prefix, made);
		r = test_call(fd, "shm.create",
			      json_pack("{s:s, s:i}", "name", name, "size", 1));
		if (json_object_get(r, "result") == NULL) {
			const char *why = json_string_value(json_object_get(
				json_object_get(json_object_get(r, "error"),
						"data"),
				"limit"));

			return why != NULL && strcmp(why,
						     "open_files_per_uid") ==
						       0 ?
				       made :
				       255;
		}
		json_decref(r);
		if (++made > 250)
			return 255;
	}
}

static int run_as(uid_t uid, const char *prefix)
{
	int status;
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0)
		_exit(fill_share(d.socket, uid, prefix));
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * The descriptors listeners and segments may hold (a quarter of
 * open_files) are shared: one uid other than root holds at most half of
 * them, so another still gets its own.
 */
Test(chan, one_uid_cannot_take_every_channel_descriptor)
{
	const char *extra[] = { NULL };
	int a, first, second;

	if (getuid() != 0)
		cr_skip_test("needs root to switch uids");
	/* 256 descriptors: channels may hold 64, one uid 32. A create needs
	 * room for its segment and for the copy its reply passes: a uid
	 * keeps 31. */
	mpdd_start_nofile(&d, extra, 256, 256);
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
	first = run_as(65534, "nobody");
	cr_assert_eq(first, 31, "nobody made %d segments", first);
	second = run_as(1, "daemon");
	cr_assert_eq(second, 31, "uid 1 made %d segments", second);
	/* Root is held to the whole budget only: 62 held, room for 1. */
	a = test_connect(d.socket);
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "root", "size", 1),
		       NULL));
	test_fails(a, "shm.create",
		   json_pack("{s:s, s:i}", "name", "root2", "size", 1),
		   "limit");
	test_ok0(a, "shm.unlink", test_nm("nobody-0"));
	close(shm_make(a, json_pack("{s:s, s:i}", "name", "root2", "size", 1),
		       NULL));
}
