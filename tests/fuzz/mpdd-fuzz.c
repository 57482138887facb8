/*
 * mpdd-fuzz.c - a protocol fuzzer against a real mpdd over its socket.
 *
 * The libFuzzer targets hold proto/ to its promises; this one throws the
 * wire at the whole daemon. It starts mpdd (best a sanitizer build) in a
 * temp dir with low limits, then runs rounds until its time is up. A
 * round opens a few connections and sends each a plan of lines made from
 * a generator that knows every method of proto.h and the shapes of their
 * params (right and wrong types, edge values, unknown fields, a safe set
 * of programs: the temp dir's PATH holds only true and false), batches,
 * byte-level mutations of those lines, garbage, deep nesting, blank and
 * CRLF lines, lines over --max-message; in random split writes, with
 * SCM_RIGHTS descriptors of every kind on random pieces (/dev/null, pipe
 * ends, sockets, directories, O_PATH, eventfd, memfd, up to 64 at once),
 * sometimes closing mid-request. Every line mpdd sends must be a valid
 * JSON-RPC response (or a batch of them). After each round every
 * connection still open must answer a daemon.ping (or have been closed by
 * mpdd), and so must a fresh connection, within a generous timeout.
 * At the end mpdd is stopped with SIGTERM and must exit 0, and its log
 * (its stderr, and so the template's) must hold no sanitizer report.
 *
 * Rounds are generated from the seed and the round number alone, before
 * any I/O, so a failing round is replayed with --seed S --from N; the
 * seed is printed (default fixed, so runs are reproducible). Programs run
 * are true, false and missing ones, never a sleep; --max-processes and
 * --kill-grace are low, so workers cannot pile up; the temp dir is
 * removed at the end whatever happens (unless --keep).
 *
 * Usage: mpdd-fuzz [--mpdd PATH] [--seconds N] [--rounds N] [--seed N]
 *                  [--from N] [--keep] [--verbose]
 * Defaults: $MPD_TEST_BUILDDIR/daemon/mpdd, $MPD_FUZZ_SECONDS or 30,
 * $MPD_FUZZ_SEED or a fixed seed. Exit status 0 when all is well, 1 on a
 * finding, 2 on a usage or set-up error.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"

#define DEFAULT_SECONDS 30
#define DEFAULT_SEED	0x6d7064667a7a31ULL
/* Waiting for mpdd: to be ready, to answer a ping, to exit. Generous:
 * a sanitizer build on a loaded machine is slow, and a miss is a finding. */
#define READY_TIMEOUT_MS  60000
#define ANSWER_TIMEOUT_MS 30000
#define EXIT_TIMEOUT_MS	  30000
/* The daemon's limits: low, so that limits are hit and nothing piles up. */
#define MAX_MESSAGE 65536
/* Per round. */
#define MAX_CONNS 3
#define MAX_LINES 14
#define MAX_BATCH 12
#define MAX_FDS	  64 /* descriptors on one piece (mpdd keeps 16) */
#define NAME_POOL 6
/* Bytes of the round's plan shown when it fails. */
#define SHOW_MAX 300

static const char *const methods[] = {
	MPD_M_DAEMON_PING,     MPD_M_DAEMON_INFO,    MPD_M_PROCESS_CREATE,
	MPD_M_PROCESS_START,   MPD_M_PROCESS_JOIN,   MPD_M_PROCESS_TERMINATE,
	MPD_M_PROCESS_KILL,    MPD_M_PROCESS_SIGNAL, MPD_M_PROCESS_INFO,
	MPD_M_PROCESS_LIST,    MPD_M_PROCESS_CLOSE,  MPD_M_QUEUE_CREATE,
	MPD_M_QUEUE_PUT,       MPD_M_QUEUE_GET,	     MPD_M_QUEUE_PUT_MANY,
	MPD_M_QUEUE_GET_MANY,  MPD_M_QUEUE_SIZE,     MPD_M_QUEUE_TASK_DONE,
	MPD_M_QUEUE_JOIN,      MPD_M_QUEUE_CLOSE,    MPD_M_QUEUE_DELETE,
	MPD_M_QUEUE_LIST,      MPD_M_VALUE_CREATE,   MPD_M_VALUE_GET,
	MPD_M_VALUE_SET,       MPD_M_VALUE_ADD,	     MPD_M_VALUE_CAS,
	MPD_M_VALUE_DELETE,    MPD_M_VALUE_LIST,     MPD_M_ARRAY_CREATE,
	MPD_M_ARRAY_GET,       MPD_M_ARRAY_SET,	     MPD_M_ARRAY_ADD,
	MPD_M_ARRAY_DELETE,    MPD_M_ARRAY_LIST,     MPD_M_PROCESS_OUTPUT,
	MPD_M_DICT_CREATE,     MPD_M_DICT_GET,	     MPD_M_DICT_SET,
	MPD_M_DICT_SETDEFAULT, MPD_M_DICT_POP,	     MPD_M_DICT_DEL,
	MPD_M_DICT_KEYS,       MPD_M_DICT_ITEMS,     MPD_M_DICT_LEN,
	MPD_M_DICT_UPDATE,     MPD_M_DICT_CLEAR,     MPD_M_DICT_CONTAINS,
	MPD_M_DICT_ADD,	       MPD_M_DICT_INFO,	     MPD_M_DICT_DELETE,
	MPD_M_DICT_LIST,       MPD_M_LIST_CREATE,    MPD_M_LIST_APPEND,
	MPD_M_LIST_EXTEND,     MPD_M_LIST_GET,	     MPD_M_LIST_SET,
	MPD_M_LIST_POP,	       MPD_M_LIST_LEN,	     MPD_M_LIST_INSERT,
	MPD_M_LIST_REMOVE,     MPD_M_LIST_CLEAR,     MPD_M_LIST_INFO,
	MPD_M_LIST_DELETE,     MPD_M_LIST_LIST,
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static struct {
	const char *mpdd;
	double seconds;
	long rounds; /* -1: until the time is up */
	uint64_t seed;
	long from;
	bool keep, verbose;
	char dir[PATH_MAX];
	char sock[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	pid_t pid;
	off_t log_seen; /* log bytes already searched for reports */
	long round;
	/* What came back: results, and errors by code ([1..9] the
	 * application codes, [10..13] -32600..-32603, [14] -32700, [15]
	 * any other). */
	long results, errors[16];
	char *plan_text; /* the current round, for the failure message */
	size_t plan_len, plan_cap;
} fz = { .rounds = -1, .pid = -1 };

/* --- reporting --- */

static void cleanup(void);
__attribute__((noreturn)) static void lost(const char *what);

static void show_log_tail(void)
{
	char buf[4096];
	int fd = open(fz.log, O_RDONLY | O_CLOEXEC);
	off_t size;
	ssize_t n;

	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0,
	      SEEK_SET);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0)
		fprintf(stderr, "--- the end of mpdd's log ---\n%.*s\n---\n",
			(int)n, buf);
}

__attribute__((format(printf, 1, 2), noreturn)) static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr,
		"mpdd-fuzz: FAIL in round %ld (seed %#" PRIx64
		"; replay: --seed %#" PRIx64 " --from %ld): ",
		fz.round, fz.seed, fz.seed, fz.round);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (fz.plan_text != NULL && fz.plan_len > 0)
		fprintf(stderr, "--- the round's lines (cut) ---\n%.*s---\n",
			(int)fz.plan_len, fz.plan_text);
	show_log_tail();
	cleanup();
	exit(1);
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt,
								...)
{
	va_list ap;

	fprintf(stderr, "mpdd-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(2);
}

/* Note a line of the plan, cut, for the failure message. */
static void plan_note(int conn, const char *line, size_t len)
{
	char head[32];
	size_t n = len < SHOW_MAX ? len : SHOW_MAX, need;
	int h = snprintf(head, sizeof(head), "[%d] ", conn);

	need = fz.plan_len + (size_t)h + n * 4 + 8;
	if (need > fz.plan_cap) {
		char *p = realloc(fz.plan_text, need * 2);

		if (p == NULL)
			return;
		fz.plan_text = p;
		fz.plan_cap = need * 2;
	}
	memcpy(fz.plan_text + fz.plan_len, head, (size_t)h);
	fz.plan_len += (size_t)h;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fz.plan_text[fz.plan_len++] = (char)c;
		else
			fz.plan_len += (size_t)sprintf(
				fz.plan_text + fz.plan_len, "\\x%02x", c);
	}
	if (n < len)
		fz.plan_len += (size_t)sprintf(fz.plan_text + fz.plan_len,
					       "...(%zu bytes)", len);
	fz.plan_text[fz.plan_len++] = '\n';
}

/* --- randomness: xorshift64*, one stream per round --- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* 0 .. n-1 (n > 0). */
static unsigned rnd(unsigned n)
{
	return (unsigned)(rnd64() % n);
}

static bool chance(unsigned one_in)
{
	return rnd(one_in) == 0;
}

static void rng_round(uint64_t seed, long round)
{
	/* splitmix64 of (seed, round): rounds are independent. */
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (uint64_t)(round + 1);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	rng_state = (z ^ (z >> 31)) | 1;
}

/* --- generating requests --- */

static json_t *rand_value(int depth);

static json_t *rand_string(void)
{
	static const char *const s[] = {
		"",	   "a",	   "q0", "x\ny", "\xc3\xa9", "\xf0\x9f\x98\x80",
		"SIGTERM", "null", "0"
	};
	char buf[600];
	size_t n;

	switch (rnd(6)) {
	case 0:
		n = 1 + rnd(sizeof(buf) - 1);
		memset(buf, 'a' + rnd(26), n);
		return json_stringn(buf, n);
	case 1:
		return json_stringn("a\0b", 3);
	default:
		return json_string(s[rnd(sizeof(s) / sizeof(s[0]))]);
	}
}

static json_t *rand_number(void)
{
	static const double reals[] = {
		0.0,  -0.0,	    0.5,    -1.5,
		1e-9, 1e300,	    -1e300, 9007199254740993.0,
		0.01, 4294967296.5, 1e16
	};
	static const json_int_t ints[] = { 0,
					   1,
					   -1,
					   2,
					   3,
					   7,
					   100,
					   10000,
					   10001,
					   16777216,
					   16777217,
					   INT32_MAX,
					   (json_int_t)INT32_MAX + 1,
					   INT64_MAX,
					   INT64_MIN,
					   9007199254740991LL,
					   9007199254740992LL };

	if (chance(3))
		return json_real(reals[rnd(sizeof(reals) / sizeof(reals[0]))]);
	if (chance(2))
		return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	return json_integer((json_int_t)rnd(20) - 5);
}

static json_t *rand_value(int depth)
{
	json_t *v;
	unsigned n;
	char key[8];

	switch (rnd(depth > 3 ? 5 : 8)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd(2));
	case 2:
	case 3:
		return rand_number();
	case 4:
		return rand_string();
	case 5:
	case 6:
		v = json_array();
		n = rnd(6);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(v, rand_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd(5);
		for (unsigned i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "k%u", rnd(4));
			json_object_set_new(v, key, rand_value(depth + 1));
		}
		return v;
	}
}

/* Object names: a small pool, so that what one request creates the next
 * one finds. */
static json_t *rand_name(char kind)
{
	char buf[16];

	if (chance(12))
		return chance(2) ? rand_string() : rand_number();
	snprintf(buf, sizeof(buf), "%c%u", kind, rnd(NAME_POOL));
	return json_string(buf);
}

static json_t *rand_argv(void)
{
	static const char *const progs[] = { "true", "false", "/nonexistent/x",
					     "",     "true",  "true" };
	json_t *a;
	unsigned n;

	if (chance(8))
		return chance(2) ? json_string("true") : rand_value(2);
	a = json_array();
	switch (rnd(7)) {
	case 0:
		return a; /* empty */
	case 1:
		json_array_append_new(a, rand_number());
		return a;
	case 2:
		json_array_append_new(a, json_string("true"));
		n = rnd(200);
		for (unsigned i = 0; i < n; i++)
			json_array_append_new(a, rand_string());
		return a;
	default:
		json_array_append_new(
			a,
			json_string(
				progs[rnd(sizeof(progs) / sizeof(progs[0]))]));
		if (chance(3))
			json_array_append_new(a, json_string("arg"));
		return a;
	}
}

static json_t *rand_stdio(void)
{
	static const char *const modes[] = { "null",   "inherit", "pass",
					     "pass",   "bogus",	  "",
					     "capture" };

	switch (rnd(6)) {
	case 0:
		return json_pack("{s:s}", "file", chance(2) ? "out" : "");
	case 1:
		return json_pack("{s:s,s:b}", "file", "out", "append", 1);
	case 2:
		return rand_value(2);
	default:
		return json_string(
			modes[rnd(sizeof(modes) / sizeof(modes[0]))]);
	}
}

static json_t *rand_env(void)
{
	switch (rnd(4)) {
	case 0:
		return json_object();
	case 1:
		return json_pack("{s:s,s:s}", "MPD_FUZZ", "1", "LANG", "C");
	case 2:
		return json_pack("{s:i}", "MPD_FUZZ", 1);
	default:
		return rand_value(2);
	}
}

static json_t *rand_timeout(void)
{
	static const double t[] = { 0, 0, 0.001, 0.02, -1, 1e308 };

	if (chance(6))
		return rand_value(3);
	return json_real(t[rnd(sizeof(t) / sizeof(t[0]))]);
}

static json_t *rand_signal(void)
{
	static const char *const names[] = {
		"SIGTERM",    "TERM",	 "SIGKILL",  "kill", "SIGUSR1",
		"SIGRTMIN+1", "SIGCHLD", "SIGBOGUS", ""
	};
	static const int nums[] = { 0, -1, 15, 9, 10, 64, 65, 9999 };

	if (chance(2))
		return json_integer(nums[rnd(sizeof(nums) / sizeof(nums[0]))]);
	return json_string(names[rnd(sizeof(names) / sizeof(names[0]))]);
}

static json_t *rand_id(void)
{
	if (chance(6))
		return rand_value(3);
	if (chance(5))
		return json_string("Process-1");
	return json_integer((json_int_t)rnd(12) - 1);
}

static json_t *rand_values(void)
{
	json_t *a = json_array();
	unsigned n = chance(8) ? 1000 : rnd(12);

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, chance(4) ? rand_value(2) :
						     rand_number());
	return a;
}

/* One field of a method's params, by name. */
static json_t *field(const char *f, char kind)
{
	static const char *const types[] = { "int",  "float", "string",
					     "json", "bogus", "" };
	static const char *const states[] = { "running", "exited", "created",
					      "bogus" };

	if (chance(15))
		return rand_value(2); /* any type at all */
	if (strcmp(f, "name") == 0)
		return rand_name(kind);
	if (strcmp(f, "id") == 0 || strcmp(f, "parent") == 0)
		return rand_id();
	if (strcmp(f, "argv") == 0)
		return rand_argv();
	if (strcmp(f, "env") == 0)
		return rand_env();
	if (strcmp(f, "stdin") == 0 || strcmp(f, "stdout") == 0 ||
	    strcmp(f, "stderr") == 0)
		return rand_stdio();
	if (strcmp(f, "timeout") == 0)
		return rand_timeout();
	if (strcmp(f, "signal") == 0)
		return rand_signal();
	if (strcmp(f, "module") == 0)
		return json_string(chance(2) ? "/nonexistent/mod.so" :
					       "libc.so.6");
	if (strcmp(f, "function") == 0)
		return json_string(chance(2) ? "mpd_fuzz_no_such_function" :
					       "");
	/* Never a real directory outside the temp dir: workers create their
	 * {"file": "out"} there (/proc refuses it). */
	if (strcmp(f, "cwd") == 0)
		return json_string(chance(3) ? "/nonexistent" :
				   chance(2) ? "/proc" :
					       fz.dir);
	if (strcmp(f, "start_method") == 0)
		return json_string(chance(3) ? "spawn" :
				   chance(2) ? "forkserver" :
					       "fork");
	if (strcmp(f, "type") == 0)
		return json_string(
			types[rnd(sizeof(types) / sizeof(types[0]))]);
	if (strcmp(f, "state") == 0)
		return json_string(
			states[rnd(sizeof(states) / sizeof(states[0]))]);
	if (strcmp(f, "items") == 0 || strcmp(f, "values") == 0)
		return rand_values();
	if (strcmp(f, "item") == 0 || strcmp(f, "value") == 0 ||
	    strcmp(f, "expected") == 0 || strcmp(f, "args") == 0)
		return chance(2) ? rand_number() : rand_value(1);
	if (strcmp(f, "key") == 0 || strcmp(f, "after") == 0)
		return chance(3) ? rand_string() :
				   json_string(chance(2) ? "k0" : "k1");
	if (strcmp(f, "entries") == 0) {
		json_t *o = json_object();

		for (unsigned i = 0, n = rnd(6); i < n; i++) {
			char k[8];

			snprintf(k, sizeof(k), "k%u", i);
			json_object_set_new(o, k, rand_value(1));
		}
		return o;
	}
	if (strcmp(f, "mode") == 0)
		return json_string(chance(3) ? "group" :
				   chance(2) ? "everyone" :
					       "owner");
	if (strcmp(f, "default") == 0)
		return rand_value(1);
	if (strcmp(f, "name_prefix") == 0)
		return json_string(chance(2) ? "P" : "");
	if (strcmp(f, "daemon") == 0 || strcmp(f, "group") == 0 ||
	    strcmp(f, "env_clear") == 0 || strcmp(f, "exist_ok") == 0)
		return json_boolean(rnd(2));
	if (strcmp(f, "start") == 0 && kind == 'p')
		return json_boolean(rnd(4) != 0);
	/* maxsize, max, length, index, start (of a slice), stop, delta */
	return rand_number();
}

/*
 * What each method takes: the usual fields (each sent 3 times in 4) and
 * the optional ones (1 in 8), space-separated. Processes are addressed
 * by name mostly: names come from a small pool, ids from the daemon.
 */
static const struct shape {
	const char *method, *usual, *optional;
} shapes[] = {
	{ MPD_M_PROCESS_CREATE, "argv start name",
	  "env env_clear cwd stdin stdout stderr daemon start_method module "
	  "function args" },
	{ MPD_M_PROCESS_START, "name", "id" },
	{ MPD_M_PROCESS_JOIN, "name timeout", "id" },
	{ MPD_M_PROCESS_TERMINATE, "name", "id group" },
	{ MPD_M_PROCESS_KILL, "name", "id group" },
	{ MPD_M_PROCESS_SIGNAL, "name signal", "id group" },
	{ MPD_M_PROCESS_INFO, "name", "id" },
	{ MPD_M_PROCESS_LIST, "", "state name_prefix parent" },
	{ MPD_M_PROCESS_CLOSE, "name", "id" },
	{ MPD_M_PROCESS_OUTPUT, "name", "id after max timeout" },
	{ MPD_M_QUEUE_CREATE, "name", "maxsize exist_ok" },
	{ MPD_M_QUEUE_PUT, "name item", "timeout" },
	{ MPD_M_QUEUE_GET, "name timeout", "" },
	{ MPD_M_QUEUE_PUT_MANY, "name items", "timeout" },
	{ MPD_M_QUEUE_GET_MANY, "name max timeout", "" },
	{ MPD_M_QUEUE_SIZE, "name", "" },
	{ MPD_M_QUEUE_TASK_DONE, "name", "" },
	{ MPD_M_QUEUE_JOIN, "name timeout", "" },
	{ MPD_M_QUEUE_CLOSE, "name", "" },
	{ MPD_M_QUEUE_DELETE, "name", "" },
	{ MPD_M_VALUE_CREATE, "name type", "value exist_ok" },
	{ MPD_M_VALUE_GET, "name", "" },
	{ MPD_M_VALUE_SET, "name value", "" },
	{ MPD_M_VALUE_ADD, "name delta", "" },
	{ MPD_M_VALUE_CAS, "name expected value", "" },
	{ MPD_M_VALUE_DELETE, "name", "" },
	{ MPD_M_ARRAY_CREATE, "name type length", "values exist_ok" },
	{ MPD_M_ARRAY_GET, "name index", "start stop" },
	{ MPD_M_ARRAY_SET, "name index value", "start values" },
	{ MPD_M_ARRAY_ADD, "name index delta", "" },
	{ MPD_M_ARRAY_DELETE, "name", "" },
	{ MPD_M_DICT_CREATE, "name", "mode exist_ok" },
	{ MPD_M_DICT_GET, "name key", "default" },
	{ MPD_M_DICT_SET, "name key value", "" },
	{ MPD_M_DICT_SETDEFAULT, "name key", "value" },
	{ MPD_M_DICT_POP, "name key", "default" },
	{ MPD_M_DICT_DEL, "name key", "" },
	{ MPD_M_DICT_KEYS, "name", "after limit" },
	{ MPD_M_DICT_ITEMS, "name", "after limit" },
	{ MPD_M_DICT_LEN, "name", "" },
	{ MPD_M_DICT_UPDATE, "name entries", "" },
	{ MPD_M_DICT_CLEAR, "name", "" },
	{ MPD_M_DICT_CONTAINS, "name key", "" },
	{ MPD_M_DICT_ADD, "name key delta", "" },
	{ MPD_M_DICT_INFO, "name", "" },
	{ MPD_M_DICT_DELETE, "name", "" },
	{ MPD_M_LIST_CREATE, "name", "items mode exist_ok" },
	{ MPD_M_LIST_APPEND, "name value", "" },
	{ MPD_M_LIST_EXTEND, "name items", "" },
	{ MPD_M_LIST_GET, "name index", "start stop step" },
	{ MPD_M_LIST_SET, "name index value", "start stop step items" },
	{ MPD_M_LIST_POP, "name", "index" },
	{ MPD_M_LIST_LEN, "name", "" },
	{ MPD_M_LIST_INSERT, "name index value", "" },
	{ MPD_M_LIST_REMOVE, "name value", "" },
	{ MPD_M_LIST_CLEAR, "name", "" },
	{ MPD_M_LIST_INFO, "name", "" },
	{ MPD_M_LIST_DELETE, "name", "" },
};

/* Add the fields of list (space-separated), each one time in one_in. */
static void add_fields(json_t *p, const char *list, unsigned one_in, char kind)
{
	char f[32];

	while (*list != '\0') {
		size_t n = strcspn(list, " ");

		snprintf(f, sizeof(f), "%.*s", (int)n, list);
		list += n + (list[n] == ' ');
		if (rnd(one_in) == 0)
			json_object_set_new(p, f, field(f, kind));
	}
}

static json_t *rand_params(const char *method)
{
	json_t *p;
	char kind = method[0];

	if (chance(20))
		return chance(2) ? json_array() : rand_value(1);
	p = json_object();
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		if (strcmp(shapes[i].method, method) != 0)
			continue;
		add_fields(p, shapes[i].usual, chance(4) ? 2 : 1, kind);
		add_fields(p, shapes[i].optional, 8, kind);
	}
	if (chance(25))
		json_object_set_new(p, "bogus", rand_value(2));
	return p;
}

static json_t *rand_request(void)
{
	const char *method = methods[rnd(NMETHODS)];
	json_t *req = json_object();

	if (chance(30))
		method = chance(2) ? "no.such" : "";
	json_object_set_new(req, "jsonrpc",
			    chance(40) ? json_string("1.0") :
					 json_string("2.0"));
	switch (rnd(12)) {
	case 0:
		break; /* a notification */
	case 1:
		json_object_set_new(req, "id", rand_value(2));
		break;
	case 2:
		json_object_set_new(req, "id", json_string("s"));
		break;
	default:
		json_object_set_new(req, "id", json_integer(rnd(1000)));
	}
	json_object_set_new(req, "method", json_string(method));
	if (!chance(10))
		json_object_set_new(req, "params", rand_params(method));
	return req;
}

/* --- lines --- */

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		char *p = realloc(b->p, cap);

		if (p == NULL)
			die("out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static const char interesting[] = "{}[],:\"\\ \t\r\n0123456789-+.eE"
				  "\x00\x01\x1f\x7f\x80\xbf\xc0\xff";

/* Change the line in b from start, once. */
static void mutate(struct buf *b, size_t start)
{
	size_t len = b->len - start, at, n;
	char c = chance(2) ? interesting[rnd(sizeof(interesting) - 1)] :
			     (char)rnd(256);

	if (len == 0) {
		buf_addc(b, c);
		return;
	}
	at = start + rnd((unsigned)len);
	switch (rnd(5)) {
	case 0:
		b->p[at] = c;
		break;
	case 1:
		buf_addc(b, 0);
		memmove(b->p + at + 1, b->p + at, b->len - 1 - at);
		b->p[at] = c;
		break;
	case 2:
		n = 1 + rnd(8);
		if (n > b->len - at)
			n = b->len - at;
		memmove(b->p + at, b->p + at + n, b->len - at - n);
		b->len -= n;
		break;
	case 3:
		n = 1 + rnd(16);
		if (n > b->len - at)
			n = b->len - at;
		for (size_t i = 0; i < n; i++)
			buf_addc(b, 0);
		memmove(b->p + at + n, b->p + at, b->len - n - at);
		break;
	default:
		b->len = at;
	}
}

static void add_json(struct buf *b, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL)
		die("json_dumps failed");
	buf_add(b, s, strlen(s));
	free(s);
	json_decref(v);
}

/* One line (without its end) of some kind into b. */
static void add_line(struct buf *b)
{
	size_t start = b->len, n;
	json_t *batch;

	switch (rnd(20)) {
	case 0: /* a batch, sometimes empty or over the limit */
	case 1:
	case 2:
		batch = json_array();
		n = chance(10) ? 0 :
		    chance(15) ? MPD_MAX_BATCH + 1 :
				 1 + rnd(MAX_BATCH);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(batch, i < MAX_BATCH ?
							     rand_request() :
							     json_integer(1));
		add_json(b, batch);
		break;
	case 3: /* garbage */
		n = rnd(200);
		for (size_t i = 0; i < n; i++)
			buf_addc(b, (char)rnd(256));
		break;
	case 4: /* over --max-message, or just under it */
		n = MAX_MESSAGE - 40 + rnd(80);
		buf_add(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"", 34);
		for (size_t i = 0; i < n; i++)
			buf_addc(b, 'a');
		buf_add(b, "\"}", 2);
		break;
	case 5: /* deep nesting */
		n = chance(2) ? 2047 + rnd(4) : rnd(3000);
		for (size_t i = 0; i < n; i++)
			buf_addc(b, '[');
		for (size_t i = 0; i < n; i++)
			buf_addc(b, ']');
		break;
	case 6: /* blank */
		buf_add(b, " \t\r", rnd(4));
		break;
	default:
		add_json(b, rand_request());
	}
	if (chance(3)) {
		n = 1 + rnd(3);
		while (n-- > 0)
			mutate(b, start);
	}
	if (chance(10))
		buf_addc(b, '\r');
}

/* --- descriptors --- */

enum fd_kind {
	FD_DEVNULL,
	FD_PIPE_R,
	FD_PIPE_W,
	FD_SOCKET,
	FD_DIR,
	FD_OPATH,
	FD_EVENT,
	FD_MEMFD,
	FD_FILE,
	NFD_KINDS
};

static int open_fd(enum fd_kind k)
{
	int p[2], fd = -1;

	switch (k) {
	case FD_DEVNULL:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case FD_PIPE_R:
	case FD_PIPE_W:
		if (pipe2(p, O_CLOEXEC) != 0)
			return -1;
		fd = p[k == FD_PIPE_R ? 0 : 1];
		close(p[k == FD_PIPE_R ? 1 : 0]);
		return fd;
	case FD_SOCKET:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0)
			return -1;
		close(p[1]);
		return p[0];
	case FD_DIR:
		return open(fz.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	case FD_OPATH:
		return open(fz.dir, O_PATH | O_CLOEXEC);
	case FD_EVENT:
		return eventfd(0, EFD_CLOEXEC);
	case FD_MEMFD:
		return memfd_create("mpdd-fuzz", MFD_CLOEXEC);
	default: {
		char path[PATH_MAX + 8];

		snprintf(path, sizeof(path), "%s/fdfile", fz.dir);
		return open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
			    0600);
	}
	}
}

/* --- the plan of a round --- */

struct piece {
	size_t len;
	int nfds;
	unsigned char kinds[MAX_FDS];
};

struct conn_plan {
	struct buf out;
	struct piece *pieces;
	size_t npieces;
	bool close_early; /* stop at the end of the pieces, mid-request */
};

struct conn {
	int fd;
	bool open; /* not closed by mpdd (EOF, reset) */
	struct buf in;
	size_t sent; /* bytes of the plan sent */
	size_t piece; /* next piece */
	size_t piece_done; /* bytes of that piece sent */
};

static void plan_conn(struct conn_plan *cp, int idx)
{
	size_t lines = 1 + rnd(MAX_LINES), off, cap = 0;

	memset(cp, 0, sizeof(*cp));
	for (size_t i = 0; i < lines; i++) {
		size_t start = cp->out.len;

		add_line(&cp->out);
		plan_note(idx, cp->out.len > start ? cp->out.p + start : "",
			  cp->out.len - start);
		/* The last line is sometimes left without its end. */
		if (i + 1 < lines || !chance(4))
			buf_addc(&cp->out, '\n');
	}
	cp->close_early = chance(6);
	for (off = 0; off < cp->out.len;) {
		struct piece *pc;
		size_t left = cp->out.len - off;

		if (cp->npieces == cap) {
			cap = cap ? cap * 2 : 16;
			cp->pieces = realloc(cp->pieces,
					     cap * sizeof(cp->pieces[0]));
			if (cp->pieces == NULL)
				die("out of memory");
		}
		pc = &cp->pieces[cp->npieces++];
		switch (rnd(4)) {
		case 0:
			pc->len = 1 + rnd(8);
			break;
		case 1:
			pc->len = 1 + rnd(4096);
			break;
		default:
			pc->len = left;
		}
		if (pc->len > left)
			pc->len = left;
		pc->nfds = 0;
		if (chance(5)) {
			pc->nfds = chance(6) ? 17 + (int)rnd(MAX_FDS - 16) :
					       1 + (int)rnd(4);
			for (int k = 0; k < pc->nfds; k++)
				pc->kinds[k] = (unsigned char)rnd(NFD_KINDS);
		}
		off += pc->len;
	}
	if (cp->close_early && cp->npieces > 1)
		cp->npieces = 1 + rnd((unsigned)cp->npieces - 1);
}

/* --- talking to mpdd --- */

static int connect_mpdd(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* main() checked that it fits. */
	memcpy(sa.sun_path, fz.sock, strlen(fz.sock) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		lost(strerror(errno));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
		die("fcntl: %s", strerror(errno));
	return fd;
}

static void count(const struct mpd_rpc_response *resp)
{
	if (!resp->error)
		fz.results++;
	else if (resp->code > 0 && resp->code < 10)
		fz.errors[resp->code]++;
	else if (resp->code <= -32600 && resp->code >= -32603)
		fz.errors[10 + (-32600 - resp->code)]++;
	else if (resp->code == -32700)
		fz.errors[14]++;
	else
		fz.errors[15]++;
}

static void print_counts(void)
{
	static const int codes[16] = { 0,      1,      2,      3,
				       4,      5,      6,      7,
				       8,      9,      -32600, -32601,
				       -32602, -32603, -32700, 0 };

	printf("mpdd-fuzz: %ld results; errors:", fz.results);
	for (int i = 1; i < 16; i++) {
		const char *name = mpd_rpc_error_name(codes[i]);

		if (fz.errors[i] > 0)
			printf(" %s %ld", name != NULL ? name : "other",
			       fz.errors[i]);
	}
	printf("\n");
}

/* Check one reply line; returns whether it answers sync_id. */
static bool check_reply(const char *line, size_t len, const char *sync_id)
{
	struct mpd_rpc_response resp;
	const char *why;
	json_error_t err;
	json_t *msg, *elem;
	bool synced = false;
	size_t i;

	msg = mpd_json_parse(line, len, JSON_DECODE_ANY, &err);
	if (msg == NULL)
		fail("mpdd sent a line that is not JSON (%s): %.*s", err.text,
		     (int)(len < 500 ? len : 500), line);
	if (json_is_array(msg)) {
		if (json_array_size(msg) == 0)
			fail("mpdd sent an empty batch reply");
		json_array_foreach (msg, i, elem) {
			if (mpd_rpc_parse_response(elem, &resp, &why) != 0)
				fail("mpdd sent an invalid batch member "
				     "(%s): %.*s",
				     why, (int)(len < 500 ? len : 500), line);
			count(&resp);
		}
	} else {
		if (mpd_rpc_parse_response(msg, &resp, &why) != 0)
			fail("mpdd sent an invalid response (%s): %.*s", why,
			     (int)(len < 500 ? len : 500), line);
		count(&resp);
		if (sync_id != NULL && json_is_string(resp.id) &&
		    strcmp(json_string_value(resp.id), sync_id) == 0) {
			if (resp.error)
				fail("daemon.ping failed: %s", resp.message);
			synced = true;
		}
	}
	json_decref(msg);
	return synced;
}

/* Read what there is; returns whether sync_id was answered. */
static bool drain(struct conn *c, const char *sync_id)
{
	char tmp[65536];
	bool synced = false;
	ssize_t n;

	while (c->open) {
		char *nl;
		size_t start = 0;

		n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->open = false;
			break;
		}
		if (n < 0)
			break;
		buf_add(&c->in, tmp, (size_t)n);
		while ((nl = memchr(c->in.p + start, '\n',
				    c->in.len - start)) != NULL) {
			size_t len = (size_t)(nl - (c->in.p + start));

			if (check_reply(c->in.p + start, len, sync_id))
				synced = true;
			start += len + 1;
		}
		memmove(c->in.p, c->in.p + start, c->in.len - start);
		c->in.len -= start;
	}
	return synced;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check_alive(void)
{
	int status;

	if (waitpid(fz.pid, &status, WNOHANG) == fz.pid) {
		fz.pid = -1;
		if (WIFSIGNALED(status))
			fail("mpdd died of signal %d", WTERMSIG(status));
		fail("mpdd exited with status %d", WEXITSTATUS(status));
	}
}

/* mpdd stopped serving: most likely it is gone, so wait a little for its
 * exit status to say how, before failing with what. */
__attribute__((noreturn)) static void lost(const char *what)
{
	for (int i = 0; i < 20; i++) {
		check_alive();
		usleep(100000);
	}
	fail("%s", what);
}

/*
 * Send a daemon.ping on c (after a '\n' that ends whatever partial line
 * the round left) and wait for its answer. Returns true when answered,
 * false when mpdd closed the connection (allowed when may_close).
 */
static bool ping(struct conn *c, bool may_close)
{
	char req[128], id[32];
	long deadline = now_ms() + ANSWER_TIMEOUT_MS;
	int n;
	size_t off = 0;

	snprintf(id, sizeof(id), "sync-%ld", fz.round);
	n = snprintf(
		req, sizeof(req),
		"\n{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"%s\"}\n", id,
		MPD_M_DAEMON_PING);
	while (c->open) {
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		long left = deadline - now_ms();

		if (off < (size_t)n) {
			ssize_t w = send(c->fd, req + off, (size_t)n - off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				c->open = false;
			pfd.events |= POLLOUT;
		}
		if (drain(c, id))
			return true;
		if (!c->open)
			break;
		if (left <= 0)
			fail("no answer to daemon.ping in %d ms%s",
			     ANSWER_TIMEOUT_MS,
			     may_close ? "" : " on a fresh connection");
		poll(&pfd, 1, left > 200 ? 200 : (int)left);
		check_alive();
	}
	if (!may_close)
		lost("mpdd closed a fresh connection before answering "
		     "daemon.ping");
	return false;
}

/* Send the next bit of c's plan; returns false when the plan is done. */
static bool send_some(struct conn *c, const struct conn_plan *cp)
{
	const struct piece *pc;
	char cbuf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	struct msghdr mh = { 0 };
	struct iovec iov;
	int fds[MAX_FDS], nfds = 0;
	ssize_t n;

	if (!c->open || c->piece >= cp->npieces)
		return false;
	pc = &cp->pieces[c->piece];
	iov.iov_base = cp->out.p + c->sent;
	iov.iov_len = pc->len - c->piece_done;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (c->piece_done == 0 && pc->nfds > 0) {
		struct cmsghdr *cm;

		for (int k = 0; k < pc->nfds; k++) {
			int fd = open_fd((enum fd_kind)pc->kinds[k]);

			if (fd >= 0)
				fds[nfds++] = fd;
		}
		if (nfds > 0) {
			memset(cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
		}
	}
	n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int k = 0; k < nfds; k++)
		close(fds[k]);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			struct pollfd pfd = { c->fd, POLLIN | POLLOUT, 0 };

			/* The descriptors go again with the retry. */
			poll(&pfd, 1, 100);
			drain(c, NULL);
			return true;
		}
		c->open = false; /* mpdd closed it: a line too long */
		return false;
	}
	c->sent += (size_t)n;
	c->piece_done += (size_t)n;
	if (c->piece_done == pc->len) {
		c->piece++;
		c->piece_done = 0;
	}
	return true;
}

static void scan_log(void)
{
	static const char *const marks[] = {
		"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:", "WARNING: AddressSanitizer",
		"ERROR: UndefinedBehaviorSanitizer"
	};
	struct stat st;
	char *text;
	int fd = open(fz.log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= fz.log_seen) {
		if (fd >= 0)
			close(fd);
		return;
	}
	text = malloc((size_t)(st.st_size - fz.log_seen) + 1);
	if (text == NULL)
		die("out of memory");
	n = pread(fd, text, (size_t)(st.st_size - fz.log_seen), fz.log_seen);
	close(fd);
	if (n < 0)
		n = 0;
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (memmem(text, (size_t)n, marks[i], strlen(marks[i]))) {
			free(text);
			fail("a sanitizer report in mpdd's log (%s)", marks[i]);
		}
	}
	/* A report split by the end of a read is found whole next time. */
	fz.log_seen += n > 4096 ? n - 4096 : 0;
	free(text);
}

static void run_round(void)
{
	struct conn_plan plans[MAX_CONNS];
	struct conn conns[MAX_CONNS];
	struct conn fresh = { 0 };
	int nconns;
	bool busy;

	fz.plan_len = 0;
	rng_round(fz.seed, fz.round);
	nconns = 1 + (int)rnd(MAX_CONNS);
	for (int i = 0; i < nconns; i++)
		plan_conn(&plans[i], i);

	memset(conns, 0, sizeof(conns));
	for (int i = 0; i < nconns; i++) {
		conns[i].fd = connect_mpdd();
		conns[i].open = true;
	}
	/* Round-robin over the connections, a piece (or what the socket
	 * takes of it) each turn, reading replies as they come. */
	do {
		busy = false;
		for (int i = 0; i < nconns; i++) {
			if (send_some(&conns[i], &plans[i]))
				busy = true;
			drain(&conns[i], NULL);
		}
		check_alive();
	} while (busy);

	for (int i = 0; i < nconns; i++) {
		if (plans[i].close_early || !conns[i].open)
			continue;
		ping(&conns[i], true);
	}
	for (int i = 0; i < nconns; i++) {
		close(conns[i].fd);
		free(conns[i].in.p);
		free(plans[i].out.p);
		free(plans[i].pieces);
	}
	check_alive();

	fresh.fd = connect_mpdd();
	fresh.open = true;
	ping(&fresh, false);
	close(fresh.fd);
	free(fresh.in.p);
	scan_log();
}

/* --- mpdd's life --- */

static const char *find_program(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/bin" };
	static char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	die("no %s in /usr/bin or /bin", name);
}

static void start_mpdd(void)
{
	char bin[PATH_MAX + 8], link[PATH_MAX + 16], path_env[PATH_MAX + 16];
	char ready[32], buf[16];
	int p[2], logfd;
	struct pollfd pfd;
	ssize_t n;

	snprintf(bin, sizeof(bin), "%s/bin", fz.dir);
	if (mkdir(bin, 0700) != 0)
		die("mkdir %s: %s", bin, strerror(errno));
	for (int i = 0; i < 2; i++) {
		const char *name = i == 0 ? "true" : "false";

		snprintf(link, sizeof(link), "%s/%s", bin, name);
		if (symlink(find_program(name), link) != 0)
			die("symlink %s: %s", link, strerror(errno));
	}
	snprintf(path_env, sizeof(path_env), "PATH=%s", bin);
	logfd = open(fz.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0 || pipe2(p, O_CLOEXEC) != 0)
		die("%s: %s", fz.log, strerror(errno));
	snprintf(ready, sizeof(ready), "--ready-fd=%d", p[1]);

	fz.pid = fork();
	if (fz.pid < 0)
		die("fork: %s", strerror(errno));
	if (fz.pid == 0) {
		const char *argv[] = { fz.mpdd,
				       "--socket",
				       fz.sock,
				       ready,
				       "--max-message=65536",
				       "--max-output=1M",
				       "--max-connections=64",
				       "--max-processes=4",
				       "--max-exited=32",
				       "--kill-grace=0.2",
				       "--max-objects=64",
				       "--max-queue-items=1000",
				       "--max-broker-bytes=4M",
				       "--pool=1",
				       NULL };
		int null = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		fcntl(p[1], F_SETFD, 0);
		if (chdir(fz.dir) != 0 || putenv(path_env) != 0)
			_exit(126);
		unsetenv("MPD_SOCKET");
		execv(fz.mpdd, (char *const *)argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", fz.mpdd,
			strerror(errno));
		_exit(127);
	}
	close(logfd);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	n = poll(&pfd, 1, READY_TIMEOUT_MS) == 1 ?
		    read(p[0], buf, sizeof(buf)) :
		    -1;
	close(p[0]);
	if (n != 6 || memcmp(buf, "READY\n", 6) != 0) {
		check_alive();
		fail("mpdd did not become ready in %d ms", READY_TIMEOUT_MS);
	}
}

static void stop_mpdd(void)
{
	long deadline = now_ms() + EXIT_TIMEOUT_MS;
	int status;
	pid_t pid = fz.pid;

	if (pid < 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fz.pid = -1;
			fail("mpdd did not exit in %d ms after SIGTERM",
			     EXIT_TIMEOUT_MS);
		}
		usleep(10000);
	}
	fz.pid = -1;
	scan_log();
	if (WIFSIGNALED(status))
		fail("mpdd died of signal %d while stopping", WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail("mpdd exited with status %d", WEXITSTATUS(status));
}

static int remove_cb(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (fz.pid > 0) {
		kill(fz.pid, SIGKILL);
		waitpid(fz.pid, NULL, 0);
		fz.pid = -1;
	}
	if (fz.dir[0] != '\0' && !fz.keep)
		nftw(fz.dir, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
	else if (fz.dir[0] != '\0')
		fprintf(stderr, "mpdd-fuzz: kept %s\n", fz.dir);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: mpdd-fuzz [--mpdd PATH] [--seconds N] [--rounds N] "
		   "[--seed N]\n"
		   "                 [--from N] [--keep] [--verbose]\n"
		   "Fuzz a real mpdd over its socket (tests/fuzz/mpdd-fuzz.c)."
		   "\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mpdd", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "keep", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env, *tmp = getenv("TMPDIR");
	static char built[PATH_MAX], resolved[PATH_MAX];
	long start, rounds = 0;
	int o;

	fz.seconds = DEFAULT_SECONDS;
	fz.seed = DEFAULT_SEED;
	if ((env = getenv("MPD_FUZZ_SECONDS")) != NULL && env[0] != '\0')
		fz.seconds = strtod(env, NULL);
	if ((env = getenv("MPD_FUZZ_SEED")) != NULL && env[0] != '\0')
		fz.seed = strtoull(env, NULL, 0);
	if ((env = getenv("MPD_TEST_BUILDDIR")) != NULL) {
		snprintf(built, sizeof(built), "%s/daemon/mpdd", env);
		fz.mpdd = built;
	}
	while ((o = getopt_long(argc, argv, "m:t:r:s:f:kvh", longopts, NULL)) !=
	       -1) {
		switch (o) {
		case 'm':
			fz.mpdd = optarg;
			break;
		case 't':
			fz.seconds = strtod(optarg, NULL);
			break;
		case 'r':
			fz.rounds = strtol(optarg, NULL, 10);
			break;
		case 's':
			fz.seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			fz.from = strtol(optarg, NULL, 10);
			break;
		case 'k':
			fz.keep = true;
			break;
		case 'v':
			fz.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (fz.mpdd == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* mpdd runs in the temp dir: a relative path would miss. */
	if (realpath(fz.mpdd, resolved) == NULL) {
		fprintf(stderr, "mpdd-fuzz: %s: %s\n", fz.mpdd,
			strerror(errno));
		return 2;
	}
	fz.mpdd = resolved;
	signal(SIGPIPE, SIG_IGN);
	snprintf(fz.dir, sizeof(fz.dir), "%s/mpdd-fuzz-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(fz.dir) == NULL) {
		fz.dir[0] = '\0';
		die("mkdtemp: %s", strerror(errno));
	}
	snprintf(fz.sock, sizeof(fz.sock), "%s/mpd.sock", fz.dir);
	if (strlen(fz.sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		die("%s: too long for a socket path (set TMPDIR)", fz.sock);
	snprintf(fz.log, sizeof(fz.log), "%s/mpdd.log", fz.dir);
	printf("mpdd-fuzz: seed %#" PRIx64 ", %s %g s, mpdd %s\n", fz.seed,
	       fz.rounds >= 0 ? "at most" : "for", fz.seconds, fz.mpdd);
	fflush(stdout);

	fz.round = fz.from;
	start_mpdd();
	start = now_ms();
	while ((fz.rounds < 0 || rounds < fz.rounds) &&
	       now_ms() - start < (long)(fz.seconds * 1000)) {
		run_round();
		if (fz.verbose)
			printf("round %ld done\n", fz.round);
		fz.round++;
		rounds++;
	}
	stop_mpdd();
	printf("mpdd-fuzz: %ld rounds (%ld to %ld) in %.1f s, no finding\n",
	       rounds, fz.from, fz.round - 1, (now_ms() - start) / 1000.0);
	print_counts();
	free(fz.plan_text);
	cleanup();
	return 0;
}
