/*
 * test-proclimits.c - what process records may cost the daemon, and how
 * they come back: records created and not started are bounded by count
 * and bytes, in all and per uid (--max-created*), so refused creates do
 * not grow the daemon; process.list pages (after/limit/next) and never
 * passes --max-output, whatever the records hold; process.info cuts what
 * does not fit; and each "pass" stream of a batch claims a descriptor of
 * its own.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"

#define NOBODY 65534

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(proclimits, .fini = teardown, .timeout = 240);

/* Let any user reach the daemon: what is tested is what it lets them do. */
static void open_socket(void)
{
	cr_assert(chmod(d.dir, 0755) == 0 && chmod(d.socket, 0666) == 0);
}

/* A new string of n bytes of c. */
static json_t *filler(size_t n, char c)
{
	char *s = malloc(n + 1);
	json_t *v;

	cr_assert(s != NULL);
	memset(s, c, n);
	s[n] = '\0';
	v = json_stringn(s, n);
	free(s);
	cr_assert(v != NULL);
	return v;
}

/* Params of a record not started: argv ["true", n bytes of 'a']. */
static json_t *big_params(size_t n)
{
	return json_pack("{s:[so]}", "argv", "true", filler(n, 'a'));
}

/* The error's data.limit, or NULL (borrowed from reply). */
static const char *limit_of(json_t *reply)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(reply, "error"), "data"),
		"limit"));
}

/*
 * As nobody, without asserting (a forked child): create records of n
 * bytes until one is refused. Exit status: how many were created (at most
 * 50), 100 + which limit refused it (0: max_created, 1: max_created_bytes,
 * 2: another) when none was, 200+ on a failed step. The refusing limit's
 * index goes to out_fd as one byte.
 */
static int create_as_nobody(size_t n, int out_fd)
{
	static const char *const names[] = { "max_created",
					     "max_created_bytes" };
	const char *limit;
	char which = 2;
	json_t *r;
	int fd, made = 0;

	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 ||
	    setuid(NOBODY) != 0)
		return 200;
	fd = test_try_connect(d.socket);
	if (fd < 0)
		return 201;
	for (;;) {
		r = test_call(fd, "process.create", big_params(n));
		if (json_object_get(r, "result") == NULL)
			break;
		json_decref(r);
		if (++made == 50)
			return 202;
	}
	limit = limit_of(r);
	for (int i = 0; i < 2; i++)
		if (limit != NULL && strcmp(limit, names[i]) == 0)
			which = (char)i;
	json_decref(r);
	if (write(out_fd, &which, 1) != 1)
		return 203;
	return made;
}

/* Run create_as_nobody(n) in a child; returns how many it made and sets
 * *which to the limit that stopped it. */
static int nobody_creates(size_t n, int *which)
{
	int p[2], status;
	char w = -1;
	pid_t pid;

	cr_assert(pipe(p) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		_exit(create_as_nobody(n, p[1]));
	}
	close(p[1]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	cr_assert(WIFEXITED(status));
	cr_assert(WEXITSTATUS(status) < 200, "nobody failed at step %d",
		  WEXITSTATUS(status));
	cr_assert_eq(read(p[0], &w, 1), 1);
	close(p[0]);
	*which = w;
	return WEXITSTATUS(status);
}

Test(proclimits, created_records_are_limited_by_count_in_all_and_per_uid)
{
	const char *extra[] = { "--max-created", "5", "--max-created-per-uid",
				"3", NULL };
	const char *name;
	json_t *r;
	long long first = 0;
	int fd, which;

	if (getuid() != 0)
		cr_skip_test("needs root to switch uid");
	mpdd_start(&d, extra);
	open_socket();
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "max_created"), 5);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_per_uid"), 3);
	for (int i = 0; i < 3; i++) {
		r = test_call(fd, "process.create",
			      json_pack("{s:[s]}", "argv", "true"));
		if (i == 0)
			first = test_int(test_result(r), "id");
		json_decref(r);
	}
	r = test_call(fd, "process.create",
		      json_pack("{s:[s]}", "argv", "true"));
	cr_assert_eq(test_error_code(r, &name), 9);
	cr_assert_str_eq(name, "limit");
	cr_assert_str_eq(limit_of(r), "max_created_per_uid");
	cr_assert(strstr(json_string_value(json_object_get(
				 json_object_get(r, "error"), "message")),
			 "max_created_per_uid") != NULL);
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "processes", "created"), 3);

	/* Another uid has a share of its own, up to the total. */
	cr_assert_eq(nobody_creates(10, &which), 2);
	cr_assert_eq(which, 0, "nobody was stopped by limit %d", which);
	cr_assert_eq(test_info_int(fd, "processes", "created"), 5);

	/* A create that starts at once is not held back. */
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:b}", "argv", "true", "start", 1));
	test_result(r);
	json_decref(r);
	/* Starting or closing one makes room again. */
	json_decref(test_call(fd, "process.start",
			      json_pack("{s:I}", "id", (json_int_t)first)));
	cr_assert_eq(test_info_int(fd, "processes", "created"), 4);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s], s:s}", "argv", "true", "name",
				"again"));
	test_result(r);
	json_decref(r);
	r = test_call(fd, "process.close", json_pack("{s:s}", "name", "again"));
	test_result(r);
	json_decref(r);
	cr_assert_eq(test_info_int(fd, "processes", "created"), 4);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

Test(proclimits, created_records_are_limited_by_bytes_in_all_and_per_uid)
{
	const char *extra[] = { "--max-created-bytes", "1M",
				"--max-created-bytes-per-uid", "700K", NULL };
	json_t *r = NULL;
	long long bytes;
	int fd, made, which;

	if (getuid() != 0)
		cr_skip_test("needs root to switch uid");
	mpdd_start(&d, extra);
	open_socket();
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_bytes"),
		     1024 * 1024);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_bytes_per_uid"),
		     700 * 1024);
	/* Records of about 100 KB: root's share holds 6 or 7 of them. */
	for (made = 0; made < 20; made++) {
		r = test_call(fd, "process.create", big_params(100000));
		if (json_object_get(r, "result") == NULL)
			break;
		json_decref(r);
	}
	cr_assert(made == 6 || made == 7, "root made %d", made);
	cr_assert_eq(test_error_code(r, NULL), 9);
	cr_assert_str_eq(limit_of(r), "max_created_bytes_per_uid");
	json_decref(r);
	bytes = test_info_int(fd, "processes", "created_bytes");
	cr_assert(bytes >= made * 100000LL && bytes <= 700 * 1024,
		  "%lld bytes counted", bytes);

	/* What is left of the total is less than nobody's share. */
	made = nobody_creates(100000, &which);
	cr_assert(made >= 2 && made <= 4, "nobody made %d", made);
	cr_assert_eq(which, 1, "nobody was stopped by limit %d", which);
	cr_assert(test_info_int(fd, "processes", "created_bytes") <=
		  1024 * 1024);
	/* One record larger than a share is refused whatever is free. */
	r = test_call(fd, "process.create", big_params(800 * 1024));
	cr_assert_eq(test_error_code(r, NULL), 9);
	cr_assert_str_eq(limit_of(r), "max_created_bytes_per_uid");
	json_decref(r);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	cr_assert(kib > 0);
	return kib;
}

/* n creates of 100 KB records over fd, each refused with limit. */
static void refused_creates(int fd, int n)
{
	json_t *params = big_params(100 * 1024), *r;

	for (int i = 0; i < n; i++) {
		r = test_call(fd, "process.create", json_incref(params));
		cr_assert_eq(test_error_code(r, NULL), 9, "create %d", i);
		json_decref(r);
	}
	json_decref(params);
}

Test(proclimits, refused_creates_do_not_grow_the_daemon)
{
	const char *extra[] = { "--max-processes",
				"10",
				"--max-exited",
				"10",
				"--max-broker-bytes",
				"1M",
				"--max-created",
				"10",
				"--max-created-bytes",
				"1M",
				NULL };
	const char *san = getenv("MPD_TEST_SANITIZE");
	long before, after;
	json_t *r;
	int fd, made;

	if (san != NULL && strcmp(san, "none") != 0)
		cr_skip_test("under AddressSanitizer, RSS measures its "
			     "quarantine and shadow memory, not mpdd's");
	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	/* Fill the limits, then warm up: buffers reach their working
	 * size. */
	for (made = 0; made < 20; made++) {
		r = test_call(fd, "process.create", big_params(100 * 1024));
		if (json_object_get(r, "result") == NULL)
			break;
		json_decref(r);
	}
	cr_assert_eq(test_error_code(r, NULL), 9);
	json_decref(r);
	cr_assert(made >= 9 && made <= 10, "%d made", made);
	refused_creates(fd, 200);
	before = rss_kib(d.pid);
	refused_creates(fd, 3000);
	after = rss_kib(d.pid);
	cr_log_info("RSS: %ld KiB after 200 refused creates, %ld KiB after "
		    "3000 more",
		    before, after);
	cr_assert(after - before < 16 * 1024,
		  "RSS grew by %ld KiB over 3000 refused creates of 100 KB",
		  after - before);
	cr_assert_eq(test_info_int(fd, "processes", "created"), made);
	cr_assert(test_info_int(fd, "processes", "created_bytes") <=
		  1024 * 1024);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* One process.list page; returns the result's rows (new reference) and
 * the next cursor in *next (0 for null). */
static json_t *list_page(int fd, json_t *params, long long *next)
{
	json_t *r = test_call(fd, "process.list", params), *res, *n, *rows;

	res = test_result(r);
	n = json_object_get(res, "next");
	cr_assert(n != NULL, "no \"next\" in the result");
	cr_assert(json_is_null(n) || json_is_integer(n));
	*next = json_is_integer(n) ? json_integer_value(n) : 0;
	rows = json_incref(json_object_get(res, "processes"));
	cr_assert(json_is_array(rows));
	json_decref(r);
	return rows;
}

Test(proclimits, list_pages_hold_every_record_exactly_once)
{
	long long ids[64], seen[64], next = 0, newest = 0;
	int fd, nseen = 0, pages = 0;
	json_t *r, *rows, *row;
	size_t i;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	for (int k = 0; k < 25; k++) {
		r = test_call(fd, "process.create",
			      json_pack("{s:[s]}", "argv", "true"));
		ids[k] = test_int(test_result(r), "id");
		json_decref(r);
	}
	do {
		json_t *params = json_pack("{s:i}", "limit", 7);

		if (next > 0)
			json_object_set_new(params, "after",
					    json_integer(next));
		rows = list_page(fd, params, &next);
		cr_assert(json_array_size(rows) <= 7);
		json_array_foreach (rows, i, row) {
			cr_assert(nseen < 64);
			seen[nseen++] = test_int(row, "id");
		}
		json_decref(rows);
		/* Records come and go while the listing is paged: one made
		 * now comes at the end, one closed now is not seen. */
		if (pages++ == 1) {
			r = test_call(fd, "process.create",
				      json_pack("{s:[s]}", "argv", "true"));
			newest = test_int(test_result(r), "id");
			json_decref(r);
			json_decref(test_call(fd, "process.close",
					      json_pack("{s:I}", "id",
							(json_int_t)ids[24])));
		}
	} while (next > 0);
	/* 25 - 1 closed + 1 new, in id order, each once. */
	cr_assert_eq(nseen, 25, "%d records seen", nseen);
	for (int k = 0; k < 24; k++)
		cr_assert_eq(seen[k], ids[k]);
	cr_assert_eq(seen[24], newest);
	cr_assert_eq(pages, 4);
	/* A page that ends the listing exactly says so. */
	rows = list_page(fd,
			 json_pack("{s:I, s:i}", "after", (json_int_t)0,
				   "limit", 25),
			 &next);
	cr_assert_eq(json_array_size(rows), 25);
	cr_assert_eq(next, 0);
	json_decref(rows);
	rows = list_page(fd, json_pack("{s:I}", "after", (json_int_t)newest),
			 &next);
	cr_assert_eq(json_array_size(rows), 0);
	cr_assert_eq(next, 0);
	json_decref(rows);
	close(fd);
	mpdd_stop(&d);
}

struct bad_page {
	char params[64];
	char field[8];
};

ParameterizedTestParameters(proclimits, bad_paging_params_name_the_field)
{
	static struct bad_page cases[] = {
		{ "{\"after\":-1}", "after" },
		{ "{\"after\":\"3\"}", "after" },
		{ "{\"after\":1.5}", "after" },
		{ "{\"after\":null}", "after" },
		{ "{\"after\":9007199254740992}", "after" },
		{ "{\"limit\":0}", "limit" },
		{ "{\"limit\":-5}", "limit" },
		{ "{\"limit\":100001}", "limit" },
		{ "{\"limit\":true}", "limit" },
		{ "{\"limit\":[10]}", "limit" },
	};
	return cr_make_param_array(struct bad_page, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_page *c, proclimits,
		  bad_paging_params_name_the_field)
{
	json_t *r, *data;
	int fd;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	r = test_call(fd, "process.list", json_loads(c->params, 0, NULL));
	cr_assert_eq(test_error_code(r, NULL), -32602, "%s", c->params);
	data = json_object_get(json_object_get(r, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 c->field, "%s", c->params);
	json_decref(r);
	/* The same connection is served. */
	r = test_call(fd, "process.list", NULL);
	test_result(r);
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

/* Send line (a '\n' is appended) and read the reply line, returning it
 * raw (malloc'd): its length is what the daemon had to buffer. */
static char *raw_call(int fd, const char *line)
{
	char *text;

	test_send_str(fd, line);
	test_send_str(fd, "\n");
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(text != NULL, "the connection was closed");
	return text;
}

Test(proclimits, list_and_info_fit_max_output_with_huge_records)
{
	const char *extra[] = { "--max-output", "4M", "--max-message", "8M",
				NULL };
	json_t *r, *rec, *rows, *row, *argv;
	long long id = 0, next;
	size_t i;
	char *text;
	int fd;

	mpdd_start(&d, extra);
	fd = test_connect(d.socket);
	for (int k = 0; k < 12; k++) {
		argv = json_pack("[s]", "true");
		for (int j = 0; j < 9; j++)
			json_array_append_new(argv,
					      filler(100 * 1000, 'a' + j));
		r = test_call(fd, "process.create",
			      json_pack("{s:o}", "argv", argv));
		id = test_int(test_result(r), "id");
		json_decref(r);
	}
	/* 12 x 900 KB is more than --max-output: the list still comes,
	 * whole, with each argv cut in its row. */
	rows = list_page(fd, NULL, &next);
	cr_assert_eq(json_array_size(rows), 12);
	cr_assert_eq(next, 0);
	json_array_foreach (rows, i, row) {
		argv = json_object_get(json_object_get(row, "target"), "argv");
		cr_assert_eq(json_array_size(argv), 10);
		cr_assert(json_string_length(json_array_get(argv, 1)) < 1000);
		cr_assert_str_eq(json_string_value(json_array_get(
					 json_object_get(row, "truncated"), 0)),
				 "target");
	}
	json_decref(rows);
	/* process.info has the whole record when it fits. */
	r = test_call(fd, "process.info", json_pack("{s:I}", "id", id));
	rec = test_result(r);
	argv = json_object_get(json_object_get(rec, "target"), "argv");
	cr_assert_eq(json_string_length(json_array_get(argv, 9)), 100000);
	cr_assert_null(json_object_get(rec, "truncated"));
	json_decref(r);

	/* A record whose text is six times its bytes (control characters
	 * are written \u0001): process.info cuts it to fit, and says so. */
	argv = json_pack("[s]", "true");
	for (int j = 0; j < 9; j++)
		json_array_append_new(argv, filler(100 * 1000, '\001'));
	r = test_call(fd, "process.create",
		      json_pack("{s:o, s:s}", "argv", argv, "name", "escaped"));
	test_result(r);
	json_decref(r);
	text = raw_call(fd, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
			    "\"process.info\",\"params\":{\"name\":"
			    "\"escaped\"}}");
	cr_assert(strlen(text) < 4 * 1024 * 1024, "%zu bytes", strlen(text));
	r = json_loads(text, 0, NULL);
	free(text);
	rec = test_result(r);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(rec, "truncated"), 0)),
			 "target");
	json_decref(r);
	/* Batched, twelve records cannot pass --max-output together. */
	{
		char *batch = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&batch, &len);

		fputc('[', f);
		for (int k = 0; k < 12; k++)
			fprintf(f,
				"%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":"
				"\"process.info\",\"params\":{\"id\":%lld}}",
				k ? "," : "", k, id - k);
		fputc(']', f);
		fclose(f);
		text = raw_call(fd, batch);
		free(batch);
		cr_assert(strlen(text) < 4 * 1024 * 1024, "%zu bytes",
			  strlen(text));
		r = json_loads(text, 0, NULL);
		cr_assert_eq(json_array_size(r), 12);
		json_decref(r);
		free(text);
	}
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

/* Send line (a '\n' is appended) with fds as SCM_RIGHTS on its first
 * byte, and return the parsed reply. */
static json_t *call_line_fds(int fd, const char *line, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	json_t *reply;
	char *text;

	cr_assert(nfds > 0 && nfds <= 4);
	memset(&cmsg, 0, sizeof(cmsg));
	mh.msg_control = cmsg.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	cr_assert_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), 1, "sendmsg: %s",
		     strerror(errno));
	test_send_str(fd, line + 1);
	test_send_str(fd, "\n");
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(text != NULL, "the connection was closed");
	reply = json_loads(text, 0, NULL);
	cr_assert(reply != NULL, "not JSON: %s", text);
	free(text);
	return reply;
}

/* The batch reply's member with this id (borrowed). */
static json_t *member(json_t *replies, long long id)
{
	json_t *m;
	size_t i;

	json_array_foreach (replies, i, m)
		if (json_integer_value(json_object_get(m, "id")) == id)
			return m;
	cr_assert_fail("no reply with id %lld", id);
	return NULL;
}

#define PASS_BATCH                                                      \
	"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"process.create\"," \
	"\"params\":{\"argv\":[\"echo\",\"one\"],\"stdout\":\"pass\","  \
	"\"start\":true}},"                                             \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"process.create\","  \
	"\"params\":{\"argv\":[\"echo\",\"two\"],\"stdout\":\"pass\","  \
	"\"start\":true}}]"

Test(proclimits, each_pass_stream_of_a_batch_claims_its_own_descriptor)
{
	json_t *replies, *m, *data;
	int fd, p[2], q[2], fds[2];
	char *out;

	mpdd_start(&d, NULL);
	fd = test_connect(d.socket);
	/* One descriptor for two "pass" streams: the second is refused. */
	cr_assert(pipe(p) == 0);
	replies = call_line_fds(fd, PASS_BATCH, &p[1], 1);
	close(p[1]);
	cr_assert_eq(json_array_size(replies), 2);
	test_result(member(replies, 1));
	m = member(replies, 2);
	cr_assert_eq(test_error_code(m, NULL), -32602);
	data = json_object_get(json_object_get(m, "error"), "data");
	cr_assert_str_eq(json_string_value(json_object_get(data, "field")),
			 "stdout");
	json_decref(replies);
	out = test_read_line(p[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(out, "one");
	free(out);
	test_forget(p[0]);
	/* Only the first worker held the pipe: EOF once it is done. */
	{
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		char c;

		cr_assert_eq(poll(&pfd, 1, TEST_TIMEOUT_MS), 1);
		cr_assert_eq(read(p[0], &c, 1), 0);
	}
	close(p[0]);

	/* Two descriptors: each request has its own. */
	cr_assert(pipe(p) == 0 && pipe(q) == 0);
	fds[0] = p[1];
	fds[1] = q[1];
	replies = call_line_fds(fd, PASS_BATCH, fds, 2);
	close(p[1]);
	close(q[1]);
	test_result(member(replies, 1));
	test_result(member(replies, 2));
	json_decref(replies);
	out = test_read_line(p[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(out, "one");
	free(out);
	out = test_read_line(q[0], TEST_TIMEOUT_MS);
	cr_assert_str_eq(out, "two");
	free(out);
	test_forget(p[0]);
	test_forget(q[0]);
	close(p[0]);
	close(q[0]);

	/* A lone request still takes exactly as many as it passes. */
	cr_assert(pipe(p) == 0);
	fds[0] = p[1];
	fds[1] = p[1];
	m = test_call_fds(fd, "process.create",
			  json_pack("{s:[s], s:s}", "argv", "true", "stdout",
				    "pass"),
			  fds, 2);
	cr_assert_eq(test_error_code(m, NULL), -32602);
	json_decref(m);
	close(p[0]);
	close(p[1]);
	test_assert_ping(d.socket);
	close(fd);
	mpdd_stop(&d);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL);
	fputs(text, f);
	cr_assert(fclose(f) == 0);
}

Test(proclimits, created_limits_reload_on_sighup)
{
	char conf[PATH_MAX + 16];
	const char *extra[] = { "-c", conf, NULL };
	json_t *r;
	int fd;

	mpdd_init(&d);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	write_file(conf, "max-created = 7\nmax-created-bytes = 2M\n");
	mpdd_start_in(&d, extra);
	fd = test_connect(d.socket);
	cr_assert_eq(test_info_int(fd, "limits", "max_created"), 7);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_bytes"),
		     2 * 1024 * 1024);
	/* The share follows a smaller total. */
	cr_assert_eq(test_info_int(fd, "limits", "max_created_per_uid"), 7);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_bytes_per_uid"),
		     2 * 1024 * 1024);
	write_file(conf, "max-created = 1\n");
	cr_assert(kill(d.pid, SIGHUP) == 0);
	for (int i = 0;
	     i < 100000 && test_info_int(fd, "limits", "max_created") != 1; i++)
		;
	cr_assert_eq(test_info_int(fd, "limits", "max_created"), 1);
	cr_assert_eq(test_info_int(fd, "limits", "max_created_bytes"),
		     256LL * 1024 * 1024);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s]}", "argv", "true"));
	test_result(r);
	json_decref(r);
	r = test_call(fd, "process.create",
		      json_pack("{s:[s]}", "argv", "true"));
	cr_assert_str_eq(limit_of(r), "max_created_per_uid");
	json_decref(r);
	close(fd);
	mpdd_stop(&d);
}

Test(proclimits, bad_created_limit_values_stop_start_up)
{
	static const char *const counts[] = { "0", "-1", "x", "", "10000001" };
	static const char *const sizes[] = { "0", "-1", "1Q", "" };

	mpdd_assert_refused("--max-created", counts,
			    sizeof(counts) / sizeof(counts[0]));
	mpdd_assert_refused("--max-created-per-uid", counts,
			    sizeof(counts) / sizeof(counts[0]));
	mpdd_assert_refused("--max-created-bytes", sizes,
			    sizeof(sizes) / sizeof(sizes[0]));
	mpdd_assert_refused("--max-created-bytes-per-uid", sizes,
			    sizeof(sizes) / sizeof(sizes[0]));
}
