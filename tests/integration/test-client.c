/*
 * test-client.c - libmpd against a real mpdd, and against a scripted peer.
 *
 * The "client" suite drives the public API (mpd.h) against the daemon this
 * build produced: connecting, calls, the daemon's errors mapped to
 * MPD_E_* codes, the default socket rules, a daemon that goes away, and
 * argument checks. The "client_wire" suite covers what a correct mpdd never
 * sends (notifications before a response, foreign ids, garbage, oversized
 * lines, unknown error codes), with a forked peer that answers each request
 * line with a scripted reply and records the requests it got.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "mpd.h"
#include "proto.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(client, .fini = teardown, .timeout = 60);

/* Values no function may write: out-parameters are set on success only. */
static json_t sentinel_json;
static char sentinel_client;
#define SENTINEL	(&sentinel_json)
#define CLIENT_SENTINEL ((struct mpd_client *)&sentinel_client)

static struct mpd_client *connect_ok(const char *path)
{
	struct mpd_client *c = NULL;
	struct mpd_error err;
	int r = mpd_connect(&c, path, &err);

	cr_assert_eq(r, 0, "mpd_connect(%s): %d %s", path, r, err.message);
	cr_assert_not_null(c);
	return c;
}

Test(client, connect_to_a_missing_socket_fails_naming_the_path)
{
	struct mpd_client *c = CLIENT_SENTINEL;
	struct mpd_error err;

	mpdd_init(&d);
	cr_assert_eq(mpd_connect(&c, d.socket, &err), MPD_E_CONNECT);
	cr_assert_eq(c, CLIENT_SENTINEL);
	cr_assert_eq(err.code, MPD_E_CONNECT);
	cr_assert_str_eq(err.name, "connect");
	cr_assert_eq(err.sys_errno, ENOENT);
	cr_assert_null(err.data);
	cr_assert_not_null(strstr(err.message, d.socket), "message: %s",
			   err.message);
	cr_assert_not_null(strstr(err.message, strerror(ENOENT)), "message: %s",
			   err.message);
	/* The error struct is optional. */
	cr_assert_eq(mpd_connect(&c, d.socket, NULL), MPD_E_CONNECT);
}

Test(client, ping_answers_repeatedly_on_one_connection)
{
	struct mpd_client *c;
	struct mpd_error err;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_str_eq(mpd_client_socket(c), d.socket);
	cr_assert_geq(mpd_client_fd(c), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(mpd_ping(c, &err), 0, "ping %d: %s", i,
			     err.message);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(client, daemon_info_has_the_documented_keys)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *info = SENTINEL, *lim;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_daemon_info(c, &info, &err), 0, "%s", err.message);
	cr_assert(json_is_object(info));
	cr_assert_eq(info->refcount, 1, "info must be the caller's alone");
	cr_assert_str_eq(json_string_value(json_object_get(info, "version")),
			 mpd_version());
	cr_assert_eq(json_integer_value(json_object_get(info, "protocol")),
		     MPD_PROTOCOL_VERSION);
	cr_assert_eq(json_integer_value(json_object_get(info, "pid")), d.pid);
	cr_assert_eq(json_integer_value(json_object_get(info, "uid")),
		     getuid());
	cr_assert(json_is_number(json_object_get(info, "uptime")));
	cr_assert_geq(json_number_value(json_object_get(info, "uptime")), 0);
	cr_assert(json_is_number(json_object_get(info, "started")));
	cr_assert_geq(json_integer_value(json_object_get(info, "cpus")), 1);
	cr_assert_eq(json_integer_value(json_object_get(info, "connections")),
		     1);
	cr_assert_str_eq(json_string_value(json_object_get(info, "socket")),
			 d.socket);
	lim = json_object_get(info, "limits");
	cr_assert(json_is_object(lim));
	cr_assert_eq(json_integer_value(json_object_get(lim, "max_message")),
		     MPD_DEFAULT_MAX_MESSAGE);
	cr_assert_eq(
		json_integer_value(json_object_get(lim, "max_connections")),
		MPD_DEFAULT_MAX_CONNECTIONS);
	cr_assert_eq(json_integer_value(json_object_get(lim, "max_output")),
		     MPD_DEFAULT_MAX_OUTPUT);
	json_decref(info);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(client, call_borrows_params_and_returns_a_new_result)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *params = json_object(), *res = SENTINEL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_call(c, "daemon.info", params, &res, &err), 0, "%s",
		     err.message);
	cr_assert_eq(params->refcount, 1, "params must stay the caller's");
	cr_assert(json_is_object(res));
	cr_assert_eq(res->refcount, 1, "result must be the caller's alone");
	json_decref(res);
	json_decref(params);
	/* A NULL result discards it. */
	cr_assert_eq(mpd_call(c, "daemon.ping", NULL, NULL, &err), 0);
	mpd_close(c);
	mpdd_stop(&d);
}

Test(client, unknown_method_gives_method_not_found_with_its_data)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = SENTINEL;

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_call(c, "no.such", NULL, &res, &err),
		     MPD_E_METHOD_NOT_FOUND);
	cr_assert_eq(res, SENTINEL);
	cr_assert_eq(err.code, MPD_E_METHOD_NOT_FOUND);
	cr_assert_eq(err.code, -32601);
	cr_assert_str_eq(err.name, "method_not_found");
	cr_assert_neq(err.message[0], '\0');
	cr_assert_eq(err.sys_errno, 0);
	cr_assert(json_is_object(err.data));
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "method")),
			 "no.such");
	cr_assert_eq(mpd_call(c, "no.such", NULL, NULL, NULL),
		     MPD_E_METHOD_NOT_FOUND, "err may be NULL");
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(client, invalid_params_name_the_field)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *params = json_pack("{s:i}", "bogus", 1);

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_call(c, "daemon.ping", params, NULL, &err),
		     MPD_E_INVALID_PARAMS);
	cr_assert_eq(err.code, -32602);
	cr_assert_str_eq(err.name, "invalid_params");
	cr_assert_str_eq(json_string_value(json_object_get(err.data, "field")),
			 "bogus");
	cr_assert_not_null(strstr(err.message, "bogus"), "message: %s",
			   err.message);
	json_decref(params);
	/* daemon.info takes an object; an array is invalid params too. */
	params = json_array();
	cr_assert_eq(mpd_call(c, "daemon.info", params, NULL, &err),
		     MPD_E_INVALID_PARAMS);
	json_decref(params);
	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	mpd_close(c);
	mpdd_stop(&d);
}

Test(client, every_code_has_a_name_and_a_message)
{
	static const struct {
		int code;
		const char *name, *msg;
	} map[] = {
#define X(e, code, name, msg) { MPD_E_##e, name, msg },
		MPD_ERRNO_MAP(X)
#undef X
	};
	static const int unknown[] = { 0,      1,	32601,	-15,
				       -99,    -100,	-109,	-200,
				       -32000, INT_MIN, INT_MAX };

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		cr_assert_str_eq(mpd_err_name(map[i].code), map[i].name);
		cr_assert_str_eq(mpd_strerror(map[i].code), map[i].msg);
		cr_assert_lt(map[i].code, 0, "%s is not negative", map[i].name);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cr_assert_str_eq(mpd_err_name(unknown[i]), "unknown");
		cr_assert_str_eq(mpd_strerror(unknown[i]), "unknown error");
	}
}

Test(client, library_codes_match_the_wire_list)
{
	static const struct {
		int wire;
		const char *name, *msg;
	} wire[] = {
#define X(e, code, name, msg) { code, name, msg },
		MPD_ERRORS(X)
#undef X
	};
	static const int local[] = { MPD_E_NOMEM,  MPD_E_INVAL,	 MPD_E_CONNECT,
				     MPD_E_IO,	   MPD_E_PROTO,	 MPD_E_TOOBIG,
				     MPD_E_REMOTE, MPD_E_TIMEOUT };

	for (size_t i = 0; i < sizeof(wire) / sizeof(wire[0]); i++) {
		int lib = wire[i].wire > 0 ? -wire[i].wire : wire[i].wire;

		cr_assert_str_eq(mpd_err_name(lib), wire[i].name);
		cr_assert_str_eq(mpd_strerror(lib), wire[i].msg);
	}
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		cr_assert(local[i] <= -100 && local[i] >= -199);
		cr_assert_null(mpd_rpc_error_name(-local[i]),
			       "%d collides with a wire code", local[i]);
	}
}

Test(client, default_path_honours_MPD_SOCKET)
{
	struct mpd_client *c;

	mpdd_start(&d, NULL);
	cr_assert_eq(setenv("MPD_SOCKET", d.socket, 1), 0);
	c = connect_ok(NULL);
	cr_assert_str_eq(mpd_client_socket(c), d.socket);
	cr_assert_eq(mpd_ping(c, NULL), 0);
	mpd_close(c);
	mpdd_stop(&d);
}

/*
 * The rules for a user without MPD_SOCKET. As root, this test gives up root
 * for good: Criterion runs each test in a process of its own.
 */
Test(client, default_path_for_a_user_is_under_XDG_RUNTIME_DIR)
{
	static const char xdg[] = "/nonexistent-mpd-test-runtime";
	struct mpd_client *c = CLIENT_SENTINEL;
	struct mpd_error err;

	if (geteuid() == 0)
		cr_assert_eq(setuid(65534), 0, "setuid: %s", strerror(errno));
	cr_assert_eq(setenv("MPD_SOCKET", "", 1), 0); /* empty: not set */
	cr_assert_eq(setenv("XDG_RUNTIME_DIR", xdg, 1), 0);
	cr_assert_eq(mpd_connect(&c, NULL, &err), MPD_E_CONNECT);
	cr_assert_not_null(strstr(err.message, "/nonexistent-mpd-test-runtime"
					       "/mpdd/mpdd.sock"),
			   "message: %s", err.message);
	cr_assert_eq(err.sys_errno, ENOENT);

	cr_assert_eq(unsetenv("XDG_RUNTIME_DIR"), 0);
	cr_assert_eq(mpd_connect(&c, NULL, &err), MPD_E_CONNECT);
	cr_assert_not_null(strstr(err.message, "MPD_SOCKET"), "message: %s",
			   err.message);
	cr_assert_eq(c, CLIENT_SENTINEL);
}

Test(client, default_path_for_root_is_the_system_socket)
{
	struct mpd_client *c = NULL;
	struct mpd_error err;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	cr_assert_eq(unsetenv("MPD_SOCKET"), 0);
	if (mpd_connect(&c, NULL, &err) == 0) {
		/* A system mpdd happens to be running. */
		cr_assert_str_eq(mpd_client_socket(c), "/run/mpdd/mpdd.sock");
		mpd_close(c);
		return;
	}
	cr_assert_eq(err.code, MPD_E_CONNECT);
	cr_assert_not_null(strstr(err.message, "/run/mpdd/mpdd.sock"),
			   "message: %s", err.message);
}

Test(client, call_after_the_daemon_stopped_fails_and_stays_failed)
{
	struct mpd_client *c, *c2 = CLIENT_SENTINEL;
	struct mpd_error err;
	char sock[PATH_MAX];
	int r;

	mpdd_start(&d, NULL);
	snprintf(sock, sizeof(sock), "%s", d.socket);
	c = connect_ok(d.socket);
	cr_assert_eq(mpd_ping(c, &err), 0);
	mpdd_stop(&d);

	r = mpd_ping(c, &err);
	cr_assert_eq(r, MPD_E_IO, "got %d %s", r, err.message);
	cr_assert_str_eq(err.name, "io");
	cr_assert_eq(mpd_ping(c, &err), MPD_E_IO, "a broken client stays so");
	cr_assert_eq(mpd_connect(&c2, sock, &err), MPD_E_CONNECT);
	cr_assert_eq(c2, CLIENT_SENTINEL);
	mpd_close(c);
}

Test(client, null_and_invalid_arguments_give_inval)
{
	char longpath[sizeof(((struct sockaddr_un *)NULL)->sun_path) + 8];
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = SENTINEL, *scalar = json_integer(5);

	mpdd_start(&d, NULL);
	c = connect_ok(d.socket);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';

	cr_assert_eq(mpd_connect(NULL, d.socket, &err), MPD_E_INVAL);
	cr_assert_eq(err.code, MPD_E_INVAL);
	cr_assert_str_eq(err.name, "inval");
	cr_assert_eq(mpd_connect(&c, "", &err), MPD_E_INVAL);
	cr_assert_eq(mpd_connect(&c, longpath, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_call(NULL, "daemon.ping", NULL, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(mpd_call(c, NULL, NULL, &res, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_call(c, "", NULL, &res, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_call(c, "daemon.\xff", NULL, &res, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_call(c, "daemon.ping", scalar, &res, &err),
		     MPD_E_INVAL);
	cr_assert_eq(scalar->refcount, 1);
	cr_assert_eq(res, SENTINEL);
	cr_assert_eq(mpd_ping(NULL, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_daemon_info(c, NULL, &err), MPD_E_INVAL);
	cr_assert_eq(mpd_daemon_info(NULL, &res, &err), MPD_E_INVAL);
	cr_assert_eq(res, SENTINEL);
	cr_assert_eq(mpd_client_fd(NULL), MPD_E_INVAL);
	cr_assert_null(mpd_client_socket(NULL));
	mpd_close(NULL);

	cr_assert_eq(mpd_ping(c, &err), 0, "the client stays usable");
	json_decref(scalar);
	mpd_close(c);
	mpdd_stop(&d);
}

/*
 * A scripted peer: accepts one connection; for each reply, reads one
 * request line (appended to dir/requests) and writes the reply, chunk bytes
 * per write (0: all at once). The reply "@flood" writes bytes without a
 * newline until the client hangs up. After the last reply it closes.
 */
static struct test_peer p;

static void peer_teardown(void)
{
	test_peer_stop(&p);
}

TestSuite(client_wire, .fini = peer_teardown, .timeout = 60);

static int peer_write(int fd, const char *buf, size_t len, size_t chunk)
{
	size_t n;
	ssize_t w;

	while (len > 0) {
		n = chunk > 0 && chunk < len ? chunk : len;
		w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The script of peer_serve(). */
struct script {
	const char *const *replies;
	size_t chunk;
};

static void peer_serve(int lfd, void *arg)
{
	static char flood[65536];
	const struct script *sc = arg;
	const char *const *replies = sc->replies;
	size_t chunk = sc->chunk;
	FILE *f = fopen(p.requests, "w");
	int fd = accept(lfd, NULL, NULL);
	char ch;
	ssize_t n;

	if (f == NULL || fd < 0)
		_exit(2);
	for (; *replies != NULL; replies++) {
		while ((n = read(fd, &ch, 1)) == 1 && ch != '\n')
			fputc(ch, f);
		if (n != 1)
			_exit(3);
		fputc('\n', f);
		fflush(f);
		if (strcmp(*replies, "@flood") == 0) {
			memset(flood, 'x', sizeof(flood));
			while (peer_write(fd, flood, sizeof(flood), 0) == 0)
				;
			continue;
		}
		if (peer_write(fd, *replies, strlen(*replies), chunk) < 0)
			_exit(4);
	}
	close(fd);
	fclose(f);
	_exit(0);
}

static void peer_start(const char *const *replies, size_t chunk)
{
	struct script sc = { replies, chunk };

	test_peer_start(&p, peer_serve, &sc);
}

/* The request lines the peer received, parsed; a new reference. */
static json_t *peer_requests(void)
{
	json_t *all = json_array(), *msg;
	json_error_t jerr;
	char line[4096];
	FILE *f;

	test_peer_wait(&p);
	f = fopen(p.requests, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		msg = json_loads(line, 0, &jerr);
		cr_assert_not_null(msg, "request is not JSON: %s", line);
		json_array_append_new(all, msg);
	}
	fclose(f);
	return all;
}

#define RESULT(id, res) \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"result\":" res "}\n"

Test(client_wire, requests_are_jsonrpc_lines_with_rising_integer_ids)
{
	const char *replies[] = { RESULT(1, "{}"), RESULT(2, "[1]"), NULL };
	json_t *params = json_pack("{s:[i,s]}", "k", 1, "v"), *reqs, *r;
	struct mpd_client *c;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "a.b", params, NULL, NULL), 0);
	cr_assert_eq(mpd_call(c, "c.d", NULL, NULL, NULL), 0);
	mpd_close(c);
	reqs = peer_requests();
	cr_assert_eq(json_array_size(reqs), 2);
	r = json_array_get(reqs, 0);
	cr_assert_str_eq(json_string_value(json_object_get(r, "jsonrpc")),
			 "2.0");
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(r, "method")),
			 "a.b");
	cr_assert(json_equal(json_object_get(r, "params"), params));
	r = json_array_get(reqs, 1);
	cr_assert_eq(json_integer_value(json_object_get(r, "id")), 2);
	cr_assert_null(json_object_get(r, "params"), "NULL params: omitted");
	json_decref(reqs);
	json_decref(params);
}

Test(client_wire, notifications_before_the_response_are_skipped)
{
	const char *replies[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"mpd.event\",\"params\":{}}"
		"\n" RESULT(1, "{\"ok\":true}"),
		NULL
	};
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = NULL;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, &res, &err), 0, "%s",
		     err.message);
	cr_assert(json_is_true(json_object_get(res, "ok")));
	json_decref(res);
	mpd_close(c);
}

Test(client_wire, a_response_read_one_byte_at_a_time_is_whole)
{
	const char *replies[] = { RESULT(1, "{\"s\":\"h\\u00e9llo\"}"), NULL };
	struct mpd_client *c;
	json_t *res = NULL;

	peer_start(replies, 1);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, &res, NULL), 0);
	cr_assert_str_eq(json_string_value(json_object_get(res, "s")),
			 "h\xc3\xa9llo");
	json_decref(res);
	mpd_close(c);
}

Test(client_wire, a_response_to_another_id_is_proto_and_breaks_the_client)
{
	const char *replies[] = { RESULT(7, "{}"), NULL };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *res = SENTINEL;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, &res, &err), MPD_E_PROTO);
	cr_assert_str_eq(err.name, "proto");
	cr_assert_eq(res, SENTINEL);
	cr_assert_eq(mpd_call(c, "x.y", NULL, &res, &err), MPD_E_IO);
	mpd_close(c);
}

Test(client_wire, a_line_that_is_not_a_response_is_proto)
{
	const char *replies[] = { "not json\n", NULL };
	const char *replies2[] = { "{\"jsonrpc\":\"2.0\",\"id\":1}\n", NULL };
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_PROTO);
	mpd_close(c);
	peer_teardown();

	peer_start(replies2, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_PROTO);
	mpd_close(c);
}

Test(client_wire, eof_before_the_response_is_io)
{
	const char *replies[] = { NULL };
	struct mpd_client *c;
	struct mpd_error err;
	int r;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	r = mpd_call(c, "x.y", NULL, NULL, &err);
	cr_assert_eq(r, MPD_E_IO, "got %d %s", r, err.message);
	mpd_close(c);
}

Test(client_wire, eof_after_the_request_says_mpdd_closed)
{
	/* The peer reads the request, then hangs up without a reply. */
	const char *replies[] = { "", NULL };
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_IO);
	cr_assert_str_eq(err.message, "connection closed by mpdd");
	mpd_close(c);
}

Test(client_wire, a_response_over_the_limit_is_toobig_and_breaks_the_client)
{
	const char *replies[] = { "@flood", NULL };
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_TOOBIG);
	cr_assert_str_eq(err.name, "toobig");
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_IO);
	mpd_close(c);
}

Test(client_wire, an_error_with_a_null_id_answers_our_request)
{
	const char *replies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
		"\"message\":\"bad json\",\"data\":{\"name\":\"parse_error\"}}}"
		"\n",
		RESULT(2, "{}"), NULL
	};
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_PARSE_ERROR);
	cr_assert_str_eq(err.message, "bad json");
	cr_assert_str_eq(err.name, "parse_error");
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), 0,
		     "the client stays usable");
	mpd_close(c);
}

Test(client_wire, application_errors_map_to_minus_n)
{
	const char *replies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,"
		"\"message\":\"no process 9\",\"data\":{\"name\":\"not_found\","
		"\"id\":9}}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":9,"
		"\"message\":\"too many\"}}\n",
		NULL
	};
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(err.code, -1);
	cr_assert_str_eq(err.name, "not_found");
	cr_assert_str_eq(err.message, "no process 9");
	cr_assert_eq(json_integer_value(json_object_get(err.data, "id")), 9);
	/* No data: the name comes from the code. */
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_LIMIT);
	cr_assert_str_eq(err.name, "limit");
	cr_assert_null(err.data);
	mpd_close(c);
}

Test(client_wire, an_error_code_unknown_to_the_library_is_remote)
{
	const char *replies[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":42,"
		"\"message\":\"from the future\",\"data\":{\"name\":"
		"\"a_very_long_error_name_from_a_newer_daemon\"}}}\n",
		NULL
	};
	struct mpd_client *c;
	struct mpd_error err;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_call(c, "x.y", NULL, NULL, &err), MPD_E_REMOTE);
	cr_assert_str_eq(err.message, "from the future");
	/* Cut to fit, NUL-terminated. */
	cr_assert_eq(strlen(err.name), sizeof(err.name) - 1);
	cr_assert_eq(strncmp(err.name, "a_very_long_error_name_from_a_newer",
			     sizeof(err.name) - 1),
		     0);
	mpd_close(c);
}

Test(client_wire, daemon_info_that_is_not_an_object_is_proto)
{
	const char *replies[] = { RESULT(1, "[]"), RESULT(2, "{}"), NULL };
	struct mpd_client *c;
	struct mpd_error err;
	json_t *info = SENTINEL;

	peer_start(replies, 0);
	c = connect_ok(p.socket);
	cr_assert_eq(mpd_daemon_info(c, &info, &err), MPD_E_PROTO);
	cr_assert_eq(info, SENTINEL);
	cr_assert_eq(mpd_ping(c, &err), 0, "the stream is still in step");
	mpd_close(c);
}
