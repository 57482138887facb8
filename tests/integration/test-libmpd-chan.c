/*
 * test-libmpd-chan.c - libmpd's direct channels: listeners and shared
 * memory segments.
 *
 * Every test drives a real mpdd (the binary this build produced) through
 * the mpd_listener_* and mpd_shm_* functions, with forked children that
 * open clients of their own where two processes must meet: a connector
 * and an acceptor exchanging bytes both ways over the socketpair the
 * daemon made (with a half-close), the peer credentials each side is told,
 * a child that writes into a segment its parent maps and the other way
 * round, and an mpd worker (mpd-cli connect) named by its process id. The waits that run out come back as MPD_E_TIMEOUT, a full
 * backlog as MPD_E_FULL; a listener that goes away with its connection
 * fails a parked connect with MPD_E_CLOSED and closes the connections it
 * held; a temporary segment goes with its creator's connection while the
 * other process's mapping stays. A read-only attach is checked in
 * /proc/self/maps, not by faulting. No call leaves a descriptor behind,
 * on success (once closed or detached) or on failure: the test counts
 * its own. Children report through their exit status (each check its
 * own code), and sync with the parent over pipes, never by sleeping; a
 * wait for what only the daemon knows (a connect parked, a connection
 * seen closed) asks it, bounded by TEST_TIMEOUT_MS. The "chan_wire"
 * suite, at the end, has a scripted peer in mpdd's place pass
 * descriptors with replies the library must refuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "harness.h"
#include "libmpd-test.h"
#include "mpd.h"

/* One timeout for the suite (see test-libmpd-broker.c). */
#define SUITE_TIMEOUT 60

/* A timeout for waits that must not time out: the test's own bound. */
#define LONG_WAIT ((double)TEST_TIMEOUT_MS / 1000)

/* A short wait that must run out. */
#define SHORT_WAIT 0.05

TestSuite(chan, .fini = teardown, .timeout = SUITE_TIMEOUT);

/* The credentials peer (borrowed) must be this process's, or pid's. */
static void assert_creds(const json_t *peer, pid_t pid)
{
	cr_assert(json_is_object(peer));
	cr_assert_eq(member_int(peer, "pid"), pid);
	cr_assert_eq(member_int(peer, "uid"), getuid());
	cr_assert_eq(member_int(peer, "gid"), getgid());
	cr_assert(member_int(peer, "connection") >= 1);
	cr_assert(json_is_null(json_object_get(peer, "process")));
}

/* A listener's or a segment's info member key, asked on c; -1 once it
 * is gone. */
typedef int info_fn(struct mpd_client *, const char *, json_t **,
		    struct mpd_error *);

static json_int_t info_int(info_fn *info, const char *name, const char *key)
{
	json_t *obj = NULL;
	json_int_t n;
	int r = info(c, name, &obj, &err);

	if (r == MPD_E_NOT_FOUND)
		return -1;
	cr_assert_eq(r, 0, "info of %s: %s", name, err.message);
	n = member_int(obj, key);
	json_decref(obj);
	return n;
}

/* Wait (at most TEST_TIMEOUT_MS) until info(name)'s key is n (-1: until
 * it is gone): what the daemon does on its own. */
static void await_info(info_fn *info, const char *name, const char *key,
		       json_int_t n)
{
	struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	int waited = 0;

	while (info_int(info, name, key) != n) {
		cr_assert_lt(waited, TEST_TIMEOUT_MS, "%s never had %s %lld",
			     name, key, (long long)n);
		nanosleep(&tick, NULL);
		waited += 5;
	}
}

/* Read from fd until EOF into buf (size bytes, NUL-terminated); returns
 * the length, or -1. */
static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t off = 0;
	ssize_t n;

	while (off + 1 < size) {
		n = read(fd, buf + off, size - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (ssize_t)off;
}

static bool write_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		n = write(fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		off += (size_t)n;
	}
	return true;
}

/* Fork a child that runs fn(arg) and _exits with what it returns; the
 * child never returns into Criterion. */
static pid_t child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* Wait for pid and assert it exited with 0 (a child's check that failed
 * exits with its own code). */
static void child_ok(pid_t pid)
{
	int status = 0;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child %d died: status %#x", pid, status);
	cr_assert_eq(WEXITSTATUS(status), 0, "child %d failed its check %d",
		     pid, WEXITSTATUS(status));
}

/* A child's client of its own, or NULL. */
static struct mpd_client *child_client(void)
{
	struct mpd_client *cl = NULL;

	return mpd_connect(&cl, d.socket, NULL) == 0 ? cl : NULL;
}

/* The permissions ("rw-s") of the mapping that starts at addr, from
 * /proc/self/maps, into perms[5]. */
static void mapping_perms(const void *addr, char perms[5])
{
	char line[512];
	unsigned long lo, hi;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert_not_null(f);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    lo == (unsigned long)addr)
			found = true;
	}
	fclose(f);
	cr_assert(found, "no mapping at %p in /proc/self/maps", addr);
}

/*
 * The connector of listener "svc" in a child: it checks that the peer it
 * is told is its parent, sends "ping", half-closes, and must read "pong"
 * then EOF.
 */
static int connector_main(void *arg)
{
	struct mpd_client *cl = child_client();
	json_t *peer = NULL;
	char buf[64];
	int fd = -1;

	(void)arg;
	if (cl == NULL)
		return 10;
	if (mpd_listener_connect(cl, "svc", LONG_WAIT, &fd, &peer, NULL) != 0)
		return 11;
	/* The listener's owner: the test's process, its client. */
	if (json_integer_value(json_object_get(peer, "pid")) != getppid() ||
	    json_integer_value(json_object_get(peer, "uid")) != getuid())
		return 12;
	json_decref(peer);
	/* The daemon is out of the path: closing the client changes
	 * nothing for the connection. */
	mpd_close(cl);
	if (!write_all(fd, "ping") || shutdown(fd, SHUT_WR) < 0)
		return 13;
	if (read_all(fd, buf, sizeof(buf)) != 4 || strcmp(buf, "pong") != 0)
		return 14;
	close(fd);
	return 0;
}

Test(chan, accept_and_connect_carry_bytes_both_ways_between_processes)
{
	struct mpd_listener_options o = { .backlog = MPD_LISTENER_NO_BACKLOG };
	json_t *peer = SENTINEL;
	int fd = FD_SENTINEL, fds;
	char buf[64];
	pid_t pid;

	start();
	fds = test_count_fds(getpid());
	OK(mpd_listener_create(c, "svc", &o, &err));
	pid = child(connector_main, NULL);
	OK(mpd_listener_accept(c, "svc", LONG_WAIT, &fd, &peer, &err));
	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* The connector's credentials, as the daemon read them. */
	assert_creds(peer, pid);
	json_decref(peer);
	cr_assert_eq(read_all(fd, buf, sizeof(buf)), 4);
	cr_assert_str_eq(buf, "ping");
	cr_assert(write_all(fd, "pong"));
	close(fd);
	child_ok(pid);
	cr_assert_eq(member_int(mpd_last_result(c), "fd"), 0);
	OK(mpd_listener_close(c, "svc", &err));
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

Test(chan, a_worker_connecting_is_named_by_its_process_id)
{
	struct mpd_process_options po = { 0 };
	char *cli = test_built("client/cli/mpd-cli");
	const char *argv[] = { cli, "connect", "svc", NULL };
	json_t *rec = NULL, *peer = NULL;
	int in[2], out[2], afd = FD_SENTINEL;
	json_int_t id;
	char buf[64];

	start();
	OK(mpd_listener_create(c, "svc", NULL, &err));
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	/* mpd-cli connect as an mpd worker: its stdin and stdout ours. */
	po.argv = argv;
	po.start = 1;
	po.stdio[0] = (struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = in[0] };
	po.stdio[1] =
		(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = out[1] };
	OK(mpd_process_create(c, &po, &rec, &err));
	close(in[0]);
	close(out[1]);
	OK(mpd_listener_accept(c, "svc", LONG_WAIT, &afd, &peer, &err));
	cr_assert_eq(member_int(peer, "process"), member_int(rec, "id"));
	cr_assert_eq(member_int(peer, "pid"), member_int(rec, "pid"));
	cr_assert_eq(member_int(peer, "uid"), getuid());
	json_decref(peer);
	/* Its stdin reaches us, then EOF; what we send, its stdout. */
	cr_assert(write_all(in[1], "up\n"));
	close(in[1]);
	cr_assert_eq(read_all(afd, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "up\n");
	cr_assert(write_all(afd, "down\n"));
	close(afd);
	cr_assert_eq(read_all(out[0], buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "down\n");
	close(out[0]);
	id = member_int(rec, "id");
	json_decref(rec);
	rec = NULL;
	OK(mpd_process_join(c, id, LONG_WAIT, &rec, &err));
	cr_assert_eq(member_int(rec, "exitcode"), 0);
	json_decref(rec);
	free(cli);
	stop();
}

Test(chan, an_accept_that_runs_out_is_mpd_e_timeout)
{
	json_t *peer = SENTINEL;
	int fd = FD_SENTINEL, fds;

	start();
	fds = test_count_fds(getpid());
	OK(mpd_listener_create(c, "svc", NULL, &err));
	FAILS(mpd_listener_accept(c, "svc", SHORT_WAIT, &fd, &peer, &err),
	      MPD_E_TIMEOUT);
	/* The daemon's details stay. */
	cr_assert_str_eq(member_str(err.data, "reason"), "timeout");
	cr_assert_not_null(strstr(err.message, "svc"), "%s", err.message);
	/* timeout 0 does not wait; no err to fill is the same code. */
	FAILS(mpd_listener_accept(c, "svc", 0, &fd, &peer, &err),
	      MPD_E_TIMEOUT);
	cr_assert_eq(mpd_listener_accept(c, "svc", 0, &fd, NULL, NULL),
		     MPD_E_TIMEOUT);
	cr_assert_eq(fd, FD_SENTINEL);
	cr_assert_eq(peer, SENTINEL);
	/* Other errors keep their own code. */
	FAILS(mpd_listener_accept(c, "nope", 0, &fd, &peer, &err),
	      MPD_E_NOT_FOUND);
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

Test(chan, a_connect_to_a_full_backlog_is_full_or_times_out)
{
	struct mpd_listener_options o = { .backlog = 1 };
	struct mpd_client *o2;
	json_t *peer = SENTINEL, *info = NULL;
	int cfd = FD_SENTINEL, afd = FD_SENTINEL, fd = FD_SENTINEL, fds;
	char buf[8] = "";

	start();
	fds = test_count_fds(getpid());
	o2 = connect_ok(d.socket);
	OK(mpd_listener_create(c, "svc", &o, &err));
	/* Room for one: it connects at once, nobody accepting yet. */
	OK(mpd_listener_connect(o2, "svc", 0, &cfd, &peer, &err));
	assert_creds(peer, getpid());
	json_decref(peer);
	peer = SENTINEL;
	OK(mpd_listener_info(c, "svc", &info, &err));
	cr_assert_eq(member_int(info, "pending"), 1);
	cr_assert_eq(member_int(info, "backlog"), 1);
	json_decref(info);
	/* Full: timeout 0 is full, a wait that runs out a timeout. */
	FAILS(mpd_listener_connect(o2, "svc", 0, &fd, &peer, &err), MPD_E_FULL);
	FAILS(mpd_listener_connect(o2, "svc", SHORT_WAIT, &fd, &peer, &err),
	      MPD_E_TIMEOUT);
	cr_assert_str_eq(member_str(err.data, "reason"), "timeout");
	cr_assert_eq(fd, FD_SENTINEL);
	cr_assert_eq(peer, SENTINEL);
	/* The accept takes the pending one, and it is connected. */
	OK(mpd_listener_accept(c, "svc", 0, &afd, NULL, &err));
	cr_assert_eq(write(cfd, "x", 1), 1);
	cr_assert_eq(read(afd, buf, sizeof(buf)), 1);
	cr_assert_eq(buf[0], 'x');
	/* Room again. */
	OK(mpd_listener_connect(o2, "svc", 0, &fd, NULL, &err));
	close(fd);
	close(cfd);
	close(afd);
	mpd_close(o2);
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

/* A connect to "svc" that must fail with MPD_E_CLOSED. arg: the socket
 * of the listener's owner, whose copy the child closes first (else the
 * owner's connection would live on in it). */
static int closed_connector_main(void *arg)
{
	struct mpd_client *cl;
	int fd = FD_SENTINEL, r;

	close(*(int *)arg);
	cl = child_client();
	if (cl == NULL)
		return 10;
	r = mpd_listener_connect(cl, "svc", LONG_WAIT, &fd, NULL, NULL);
	if (r != MPD_E_CLOSED)
		return 11;
	if (fd != FD_SENTINEL)
		return 12;
	mpd_close(cl);
	return 0;
}

Test(chan, a_listener_going_with_its_connection_fails_a_parked_connect)
{
	struct mpd_listener_options o = { .backlog = MPD_LISTENER_NO_BACKLOG };
	struct mpd_client *owner;
	json_t *info = SENTINEL;
	int ofd;
	pid_t pid;

	start();
	owner = connect_ok(d.socket);
	ofd = mpd_client_fd(owner);
	OK(mpd_listener_create(owner, "svc", &o, &err));
	pid = child(closed_connector_main, &ofd);
	await_info(mpd_listener_info, "svc", "connectors", 1);
	mpd_close(owner);
	child_ok(pid);
	/* The connect was told because the listener went. */
	FAILS(mpd_listener_info(c, "svc", &info, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(info, SENTINEL);
	stop();
}

Test(chan, closing_a_listener_closes_its_pending_connections)
{
	json_t *list = SENTINEL;
	int fd = FD_SENTINEL, afd = FD_SENTINEL;
	char buf[8];

	start();
	OK(mpd_listener_create(c, "svc", NULL, &err));
	OK(mpd_listener_connect(c, "svc", 0, &fd, NULL, &err));
	OK(mpd_listener_close(c, "svc", &err));
	/* Nobody will accept it: the connector reads EOF. */
	cr_assert_eq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	FAILS(mpd_listener_accept(c, "svc", 0, &afd, NULL, &err),
	      MPD_E_NOT_FOUND);
	FAILS(mpd_listener_close(c, "svc", &err), MPD_E_NOT_FOUND);
	OK(mpd_listener_list(c, &list, &err));
	assert_json(list, "[]");
	stop();
}

Test(chan, listener_create_info_and_list)
{
	struct mpd_listener_options o = { .backlog = 3,
					  .mode = MPD_CHAN_EVERYONE };
	json_t *info = SENTINEL, *list = SENTINEL;
	char want[256];

	start();
	OK(mpd_listener_create(c, "b", &o, &err));
	cr_assert_str_eq(member_str(mpd_last_result(c), "mode"), "everyone");
	OK(mpd_listener_create(c, "a", NULL, &err));
	FAILS(mpd_listener_create(c, "a", NULL, &err), MPD_E_EXISTS);
	OK(mpd_listener_info(c, "b", &info, &err));
	cr_assert_str_eq(member_str(info, "name"), "b");
	cr_assert_eq(member_int(info, "uid"), getuid());
	cr_assert_eq(member_int(info, "gid"), getgid());
	cr_assert_eq(member_int(info, "backlog"), 3);
	cr_assert_eq(member_int(info, "pending"), 0);
	cr_assert_eq(member_int(info, "acceptors"), 0);
	cr_assert_eq(member_int(info, "connectors"), 0);
	cr_assert_eq(member_int(info, "accepted"), 0);
	assert_creds(json_object_get(info, "owner"), getpid());
	cr_assert(json_is_number(json_object_get(info, "since")));
	json_decref(info);
	OK(mpd_listener_list(c, &list, &err));
	snprintf(want, sizeof(want),
		 "[{\"name\":\"a\",\"uid\":%d,\"mode\":\"owner\","
		 "\"backlog\":16,\"pending\":0},"
		 "{\"name\":\"b\",\"uid\":%d,\"mode\":\"everyone\","
		 "\"backlog\":3,\"pending\":0}]",
		 (int)getuid(), (int)getuid());
	assert_json(list, want);
	FAILS(mpd_listener_info(c, "nope", &info, &err), MPD_E_NOT_FOUND);
	stop();
}

Test(chan, listener_arguments_are_refused_before_sending)
{
	struct mpd_listener_options bad_backlog = { .backlog = 1025 };
	struct mpd_listener_options neg_backlog = { .backlog = -2 };
	struct mpd_listener_options bad_mode = { .mode = 7 };
	json_t *info = SENTINEL;
	int fd = FD_SENTINEL;

	start();
	FAILS(mpd_listener_create(c, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(c, "", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(c, "\xff", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(c, "l", &bad_backlog, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(c, "l", &neg_backlog, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(c, "l", &bad_mode, &err), MPD_E_INVAL);
	FAILS(mpd_listener_create(NULL, "l", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_accept(c, "l", NAN, &fd, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_accept(c, "l", 0, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_connect(c, NULL, 0, &fd, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_connect(c, "l", NAN, &fd, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_connect(c, "l", 0, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_info(c, "l", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_list(c, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_listener_close(c, "", &err), MPD_E_INVAL);
	cr_assert_eq(fd, FD_SENTINEL);
	/* Nothing reached the daemon: no listener "l", the client fine. */
	FAILS(mpd_listener_info(c, "l", &info, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(info, SENTINEL);
	/* The limits themselves are fine. */
	bad_backlog.backlog = MPD_LISTENER_MAX_BACKLOG;
	OK(mpd_listener_create(c, "l", &bad_backlog, &err));
	stop();
}

/* The segment "seg" in a child: it attaches with its own client, must
 * read "hello" at 0 and the size its parent made, and writes "world" at
 * 100. */
static int shm_child_main(void *arg)
{
	struct mpd_client *cl = child_client();
	struct mpd_shm *shm = NULL;
	char *p;

	(void)arg;
	if (cl == NULL)
		return 10;
	if (mpd_shm_attach(cl, "seg", 0, &shm, NULL) != 0)
		return 11;
	mpd_close(cl); /* the mapping is not the client's */
	p = mpd_shm_addr(shm);
	if (mpd_shm_size(shm) != 3 * 4096 || mpd_shm_created(shm) != 0 ||
	    strcmp(mpd_shm_name(shm), "seg") != 0)
		return 12;
	if (strcmp(p, "hello") != 0)
		return 13;
	memcpy(p + 100, "world", 6);
	mpd_shm_detach(shm);
	return 0;
}

Test(chan, a_segment_is_shared_with_a_child_that_attaches_it)
{
	struct mpd_shm *shm = NULL;
	json_t *info = SENTINEL;
	char *p;
	int fds;
	pid_t pid;

	start();
	fds = test_count_fds(getpid());
	OK(mpd_shm_create(c, "seg", 3 * 4096, NULL, &shm, &err));
	cr_assert(json_is_true(json_object_get(mpd_last_result(c), "created")));
	cr_assert_eq(mpd_shm_created(shm), 1);
	cr_assert_eq(mpd_shm_size(shm), 3 * 4096);
	cr_assert_str_eq(mpd_shm_name(shm), "seg");
	cr_assert(fcntl(mpd_shm_fd(shm), F_GETFD) & FD_CLOEXEC);
	p = mpd_shm_addr(shm);
	cr_assert_not_null(p);
	/* A new segment is zeroed. */
	for (size_t i = 0; i < 3 * 4096; i++)
		cr_assert_eq(p[i], 0, "byte %zu is %d", i, p[i]);
	memcpy(p, "hello", 6);
	pid = child(shm_child_main, NULL);
	child_ok(pid);
	cr_assert_str_eq(p + 100, "world");
	OK(mpd_shm_info(c, "seg", &info, &err));
	cr_assert_eq(member_int(info, "attaches"), 2);
	json_decref(info);
	mpd_shm_detach(shm);
	OK(mpd_shm_unlink(c, "seg", &err));
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

Test(chan, a_readonly_attach_maps_the_segment_read_only)
{
	struct mpd_shm *rw = NULL, *ro = NULL;
	char perms[5];

	start();
	OK(mpd_shm_create(c, "seg", 4096, NULL, &rw, &err));
	OK(mpd_shm_attach(c, "seg", 1, &ro, &err));
	cr_assert_eq(mpd_shm_created(ro), 0);
	mapping_perms(mpd_shm_addr(rw), perms);
	cr_assert_str_eq(perms, "rw-s");
	mapping_perms(mpd_shm_addr(ro), perms);
	cr_assert_str_eq(perms, "r--s");
	/* The same memory: what one writes the other reads. */
	memcpy(mpd_shm_addr(rw), "seen", 5);
	cr_assert_str_eq(mpd_shm_addr(ro), "seen");
	mpd_shm_detach(ro);
	mpd_shm_detach(rw);
	stop();
}

/*
 * A child that creates the temporary segment "tmp" with its own client,
 * writes "from child" in it, tells the parent (a byte on the pipe
 * arg[1]), waits for it to have attached (EOF on arg[0]) and exits, its
 * connection closing with it.
 */
static int temp_creator_main(void *arg)
{
	struct mpd_shm_options o = { .temporary = 1 };
	int *pipes = arg; /* ready[2], go[2] */
	struct mpd_client *cl;
	struct mpd_shm *shm = NULL;
	char b;

	close(pipes[0]);
	close(pipes[3]);
	cl = child_client();
	if (cl == NULL)
		return 10;
	if (mpd_shm_create(cl, "tmp", 4096, &o, &shm, NULL) != 0)
		return 11;
	memcpy(mpd_shm_addr(shm), "from child", 11);
	if (write(pipes[1], "r", 1) != 1)
		return 12;
	if (read(pipes[2], &b, 1) != 0)
		return 13;
	return 0; /* exit: the connection closes */
}

Test(chan, a_temporary_segment_goes_with_its_creator_but_mappings_stay)
{
	struct mpd_shm *shm = NULL;
	json_t *list = SENTINEL;
	int pipes[4];
	char b;
	pid_t pid;

	start();
	cr_assert_eq(pipe(pipes), 0);
	cr_assert_eq(pipe(pipes + 2), 0);
	pid = child(temp_creator_main, pipes);
	close(pipes[1]);
	close(pipes[2]);
	cr_assert_eq(read(pipes[0], &b, 1), 1);
	close(pipes[0]);
	OK(mpd_shm_attach(c, "tmp", 0, &shm, &err));
	cr_assert(
		json_is_true(json_object_get(mpd_last_result(c), "temporary")));
	close(pipes[3]); /* go */
	child_ok(pid);
	await_info(mpd_shm_info, "tmp", "size", -1);
	OK(mpd_shm_list(c, &list, &err));
	assert_json(list, "[]");
	/* The memory lives on in this process's mapping. */
	cr_assert_str_eq(mpd_shm_addr(shm), "from child");
	memcpy(mpd_shm_addr(shm), "still here", 11);
	cr_assert_str_eq(mpd_shm_addr(shm), "still here");
	mpd_shm_detach(shm);
	/* The name is free again. */
	OK(mpd_shm_create(c, "tmp", 1, NULL, &shm, &err));
	mpd_shm_detach(shm);
	stop();
}

Test(chan, unlink_removes_the_name_not_the_mapping)
{
	struct mpd_shm *shm = NULL, *none = NULL;
	json_t *info = SENTINEL;

	start();
	OK(mpd_shm_create(c, "seg", 8192, NULL, &shm, &err));
	OK(mpd_shm_unlink(c, "seg", &err));
	FAILS(mpd_shm_info(c, "seg", &info, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_shm_attach(c, "seg", 0, &none, &err), MPD_E_NOT_FOUND);
	FAILS(mpd_shm_unlink(c, "seg", &err), MPD_E_NOT_FOUND);
	cr_assert_null(none);
	cr_assert_eq(info, SENTINEL);
	memset(mpd_shm_addr(shm), 'x', 8192);
	cr_assert_eq(((char *)mpd_shm_addr(shm))[8191], 'x');
	mpd_shm_detach(shm);
	stop();
}

Test(chan, segments_are_listed_with_their_sizes_and_described)
{
	struct mpd_shm_options o = { .mode = MPD_CHAN_GROUP };
	struct mpd_shm *one = NULL, *mib = NULL;
	json_t *list = SENTINEL, *info = SENTINEL;
	char want[512];

	start();
	OK(mpd_shm_create(c, "one", 1, NULL, &one, &err));
	OK(mpd_shm_create(c, "mib", 1 << 20, &o, &mib, &err));
	cr_assert_eq(mpd_shm_size(one), 1);
	cr_assert_eq(mpd_shm_size(mib), 1 << 20);
	((char *)mpd_shm_addr(mib))[(1 << 20) - 1] = 'z';
	OK(mpd_shm_list(c, &list, &err));
	snprintf(want, sizeof(want),
		 "[{\"name\":\"mib\",\"size\":1048576,\"uid\":%d,"
		 "\"mode\":\"group\",\"temporary\":false},"
		 "{\"name\":\"one\",\"size\":1,\"uid\":%d,"
		 "\"mode\":\"owner\",\"temporary\":false}]",
		 (int)getuid(), (int)getuid());
	assert_json(list, want);
	OK(mpd_shm_info(c, "mib", &info, &err));
	cr_assert_eq(member_int(info, "size"), 1 << 20);
	cr_assert_eq(member_int(info, "gid"), getgid());
	cr_assert_eq(member_int(info, "attaches"), 1);
	cr_assert_str_eq(member_str(info, "mode"), "group");
	assert_creds(json_object_get(info, "owner"), getpid());
	json_decref(info);
	mpd_shm_detach(one);
	mpd_shm_detach(mib);
	stop();
}

Test(chan, exist_ok_attaches_a_segment_of_the_same_size)
{
	struct mpd_shm_options o = { .exist_ok = 1 };
	struct mpd_shm *a = NULL, *b = NULL, *none = NULL;

	start();
	OK(mpd_shm_create(c, "seg", 4096, &o, &a, &err));
	cr_assert_eq(mpd_shm_created(a), 1);
	FAILS(mpd_shm_create(c, "seg", 4096, NULL, &none, &err), MPD_E_EXISTS);
	FAILS(mpd_shm_create(c, "seg", 8192, &o, &none, &err),
	      MPD_E_INVALID_STATE);
	cr_assert_null(none);
	OK(mpd_shm_create(c, "seg", 4096, &o, &b, &err));
	cr_assert_eq(mpd_shm_created(b), 0);
	cr_assert(
		json_is_false(json_object_get(mpd_last_result(c), "created")));
	memcpy(mpd_shm_addr(a), "same", 5);
	cr_assert_str_eq(mpd_shm_addr(b), "same");
	mpd_shm_detach(a);
	mpd_shm_detach(b);
	stop();
}

Test(chan, shm_arguments_are_refused_and_failures_leave_no_descriptor)
{
	struct mpd_shm_options bad_mode = { .mode = 3 };
	struct mpd_shm *none = NULL;
	json_t *info = SENTINEL;
	int fds;

	start();
	fds = test_count_fds(getpid());
	FAILS(mpd_shm_create(c, "s", 0, NULL, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_create(c, "s", MPD_SHM_MAX_SIZE + 1, NULL, &none, &err),
	      MPD_E_INVAL);
	FAILS(mpd_shm_create(c, NULL, 1, NULL, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_create(c, "", 1, NULL, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_create(c, "s", 1, &bad_mode, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_create(c, "s", 1, NULL, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_shm_create(NULL, "s", 1, NULL, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_attach(c, "s", 0, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_shm_attach(c, "\xc3", 0, &none, &err), MPD_E_INVAL);
	FAILS(mpd_shm_info(c, "s", NULL, &err), MPD_E_INVAL);
	FAILS(mpd_shm_list(c, NULL, &err), MPD_E_INVAL);
	FAILS(mpd_shm_unlink(c, NULL, &err), MPD_E_INVAL);
	cr_assert_null(none);
	/* Nothing was created. */
	FAILS(mpd_shm_info(c, "s", &info, &err), MPD_E_NOT_FOUND);
	cr_assert_eq(info, SENTINEL);
	/* The largest size is the daemon's to refuse (max_broker_bytes). */
	FAILS(mpd_shm_create(c, "s", MPD_SHM_MAX_SIZE, NULL, &none, &err),
	      MPD_E_LIMIT);
	cr_assert_null(none);
	/* The accessors and detach take NULL. */
	cr_assert_null(mpd_shm_addr(NULL));
	cr_assert_eq(mpd_shm_size(NULL), 0);
	cr_assert_eq(mpd_shm_fd(NULL), MPD_E_INVAL);
	cr_assert_null(mpd_shm_name(NULL));
	cr_assert_eq(mpd_shm_created(NULL), MPD_E_INVAL);
	mpd_shm_detach(NULL);
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

/*
 * The "chan_wire" suite puts a forked peer on the socket instead of mpdd:
 * it answers every request with a fixed result and passes one descriptor
 * with it (a memfd of 4096 bytes, or a pipe's end), as mpdd passes the
 * ends and the segments. It checks what the library refuses in such
 * replies, and that no descriptor stays open in the caller's process
 * however the call ended: those it takes are closed on failure, those it
 * does not the client closes.
 */
static struct test_peer peer;

static void peer_teardown(void)
{
	mpd_close(c);
	c = NULL;
	test_peer_stop(&peer);
}

TestSuite(chan_wire, .fini = peer_teardown, .timeout = SUITE_TIMEOUT);

/* What the peer passes with each reply. */
enum wire_pass { PASS_MEMFD, PASS_PIPE };

struct wire_case {
	char method[16]; /* "accept" or "attach" */
	char result[160]; /* the result's JSON text */
	enum wire_pass pass;
	int want; /* the code the call returns */
};

/* Send the reply line to id on fd, with one descriptor of kind pass on
 * it; _exits on failure. */
static void peer_reply(int fd, json_int_t id, const char *result,
		       enum wire_pass pass)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char line[512];
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct iovec iov;
	int pass_fd, p[2];

	if (pass == PASS_MEMFD) {
		pass_fd = memfd_create("wire", MFD_CLOEXEC);
		if (pass_fd < 0 || ftruncate(pass_fd, 4096) < 0)
			_exit(6);
	} else {
		if (pipe2(p, O_CLOEXEC) < 0)
			_exit(6);
		close(p[1]);
		pass_fd = p[0];
	}
	iov.iov_base = line;
	iov.iov_len = (size_t)snprintf(
		line, sizeof(line),
		"{\"jsonrpc\":\"2.0\",\"id\":%" JSON_INTEGER_FORMAT
		",\"result\":%s}\n",
		id, result);
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	if (sendmsg(fd, &mh, 0) != (ssize_t)iov.iov_len)
		_exit(7);
	close(pass_fd);
}

static void peer_serve(int lfd, void *arg)
{
	const struct wire_case *tc = arg;
	char line[4096];
	int fd = accept(lfd, NULL, NULL);
	FILE *in = fd >= 0 ? fdopen(fd, "r") : NULL;
	json_t *req;

	if (in == NULL)
		_exit(2);
	while (fgets(line, sizeof(line), in) != NULL) {
		req = json_loads(line, 0, NULL);
		if (req == NULL)
			_exit(3);
		peer_reply(fd, json_integer_value(json_object_get(req, "id")),
			   tc->result, tc->pass);
		json_decref(req);
	}
	_exit(0);
}

ParameterizedTestParameters(chan_wire, replies_are_checked_and_leave_no_fd)
{
	static struct wire_case cases[] = {
		/* Listeners: a descriptor not named, or named and refused. */
		{ "accept", "{\"fd\":1,\"peer\":{}}", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "{\"fd\":\"0\",\"peer\":{}}", PASS_PIPE,
		  MPD_E_PROTO },
		{ "accept", "{\"fd\":-1,\"peer\":{}}", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "{\"peer\":{}}", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "{\"fd\":0}", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "{\"fd\":0,\"peer\":5}", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "[0]", PASS_PIPE, MPD_E_PROTO },
		{ "accept", "{\"fd\":0,\"peer\":null}", PASS_PIPE, 0 },
		{ "accept", "{\"fd\":0,\"peer\":{\"pid\":1}}", PASS_PIPE, 0 },
		/* Segments: not what the reply says, or no size. */
		{ "attach", "{\"fd\":0,\"size\":8192,\"created\":false}",
		  PASS_MEMFD, MPD_E_PROTO },
		{ "attach", "{\"fd\":0,\"size\":4096,\"created\":false}",
		  PASS_PIPE, MPD_E_PROTO },
		{ "attach", "{\"fd\":0,\"size\":0,\"created\":false}",
		  PASS_MEMFD, MPD_E_PROTO },
		{ "attach", "{\"fd\":0,\"created\":false}", PASS_MEMFD,
		  MPD_E_PROTO },
		{ "attach", "{\"fd\":0,\"size\":4096}", PASS_MEMFD,
		  MPD_E_PROTO },
		{ "attach", "{\"fd\":2,\"size\":4096,\"created\":false}",
		  PASS_MEMFD, MPD_E_PROTO },
		{ "attach", "{\"fd\":0,\"size\":4096,\"created\":false}",
		  PASS_MEMFD, 0 },
	};

	return cr_make_param_array(struct wire_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct wire_case *tc, chan_wire,
		  replies_are_checked_and_leave_no_fd)
{
	struct mpd_shm *shm = NULL;
	json_t *peer_info = SENTINEL;
	int fds, fd = FD_SENTINEL, r;
	struct mpd_client *cl = NULL;

	test_peer_start(&peer, peer_serve, tc);
	fds = test_count_fds(getpid());
	cr_assert_eq(mpd_connect(&cl, peer.socket, &err), 0);
	c = cl;
	if (strcmp(tc->method, "accept") == 0)
		r = mpd_listener_accept(c, "l", 0, &fd, &peer_info, &err);
	else
		r = mpd_shm_attach(c, "s", 0, &shm, &err);
	cr_assert_eq(r, tc->want, "%s %s: %d (%s)", tc->method, tc->result, r,
		     err.message);
	if (r < 0) {
		cr_assert_eq(fd, FD_SENTINEL);
		cr_assert_eq(peer_info, SENTINEL);
		cr_assert_null(shm);
		/* The client is usable: the reply was read whole. */
		cr_assert_eq(mpd_ping(c, &err), 0, "%s", err.message);
	} else if (shm != NULL) {
		cr_assert_eq(mpd_shm_size(shm), 4096);
		mpd_shm_detach(shm);
	} else {
		cr_assert_geq(fd, 0);
		close(fd);
		json_decref(peer_info);
	}
	mpd_close(c);
	c = NULL;
	cr_assert_eq(test_peer_wait(&peer), 0);
	cr_assert_eq(test_count_fds(getpid()), fds);
}

/*
 * A listener waited on with other things: an accept started on a client
 * of its own is ready through mpd_wait() when a connection comes, while a
 * pipe with nothing in it is not.
 */
Test(chan, a_started_accept_joins_mpd_wait_with_a_pipe)
{
	struct mpd_client *c2, *c3;
	struct mpd_pipe *pa, *pb;
	struct mpd_accept *a = NULL;
	struct mpd_wait_item items[2] = {
		{ .kind = MPD_WAIT_PIPE },
		{ .kind = MPD_WAIT_CLIENT },
	};
	json_t *who = NULL;
	int fd = FD_SENTINEL, cfd = -1, fds;
	char buf[8] = { 0 };

	start();
	fds = test_count_fds(getpid());
	c2 = connect_ok(d.socket);
	c3 = connect_ok(d.socket);
	OK(mpd_pipe(&pa, &pb, 1, &err));
	OK(mpd_listener_create(c, "svc", NULL, &err));
	OK(mpd_listener_accept_start(c2, "svc", LONG_WAIT, &a, &err));
	items[0].pipe = pa;
	items[1].client = c2;
	/* Nothing yet: the accept is parked in the daemon. */
	cr_assert_eq(mpd_wait(items, 2, SHORT_WAIT, &err), 0);
	cr_assert_eq(mpd_accept_poll(a, &fd, &who, &err), 0);
	OK(mpd_listener_connect(c3, "svc", LONG_WAIT, &cfd, NULL, &err));
	cr_assert_eq(mpd_wait(items, 2, LONG_WAIT, &err), 1);
	cr_assert(!items[0].ready && items[1].ready);
	cr_assert_eq(mpd_accept_poll(a, &fd, &who, &err), 1);
	cr_assert_geq(fd, 0);
	cr_assert_eq(member_int(who, "pid"), getpid());
	json_decref(who);
	cr_assert(write_all(cfd, "hey"));
	cr_assert_eq(read(fd, buf, 3), 3);
	cr_assert_str_eq(buf, "hey");
	/* Taken once. */
	FAILS(mpd_accept_poll(a, &fd, NULL, &err), MPD_E_INVAL);
	mpd_accept_free(a);
	close(fd);
	close(cfd);
	/* One that runs out is MPD_E_TIMEOUT, as a blocking accept is. */
	OK(mpd_listener_accept_start(c2, "svc", SHORT_WAIT, &a, &err));
	cr_assert_eq(mpd_wait(&items[1], 1, LONG_WAIT, &err), 1);
	FAILS(mpd_accept_poll(a, &fd, NULL, &err), MPD_E_TIMEOUT);
	mpd_accept_free(a);
	/* One let go while it waits: the connection it brings is closed. */
	OK(mpd_listener_accept_start(c2, "svc", LONG_WAIT, &a, &err));
	mpd_accept_free(a);
	OK(mpd_listener_connect(c3, "svc", LONG_WAIT, &cfd, NULL, &err));
	cr_assert_eq(mpd_wait(&items[1], 1, LONG_WAIT, &err), 1);
	cr_assert_geq(mpd_dispatch(c2, &err), 1);
	cr_assert_eq(read(cfd, buf, sizeof(buf)), 0);
	close(cfd);
	/* Bad arguments. */
	FAILS(mpd_listener_accept_start(c2, "svc", LONG_WAIT, NULL, &err),
	      MPD_E_INVAL);
	FAILS(mpd_listener_accept_start(c2, "", LONG_WAIT, &a, &err),
	      MPD_E_INVAL);
	FAILS(mpd_accept_poll(NULL, &fd, NULL, &err), MPD_E_INVAL);
	mpd_accept_free(NULL);
	/* An accept left in flight is freed with its client. */
	OK(mpd_listener_accept_start(c2, "svc", LONG_WAIT, &a, &err));
	mpd_accept_free(a);
	mpd_close(c2);
	mpd_close(c3);
	mpd_pipe_close(pa);
	mpd_pipe_close(pb);
	OK(mpd_listener_close(c, "svc", &err));
	cr_assert_eq(test_count_fds(getpid()), fds);
	stop();
}

/* Events a synchronous call kept make the client ready for mpd_wait(). */
Test(chan, events_kept_by_a_call_make_the_client_ready)
{
	struct mpd_wait_item item = { .kind = MPD_WAIT_CLIENT };
	json_t *ev = NULL;
	int64_t sub;

	start();
	OK(mpd_events_subscribe(c, NULL, NULL, &sub, &err));
	OK(mpd_listener_create(c, "svc", NULL, &err)); /* an event */
	OK(mpd_ping(c, &err)); /* reads past it */
	item.client = c;
	cr_assert_eq(mpd_wait(&item, 1, 0, &err), 1);
	OK(mpd_next_event(c, &ev, 0, &err));
	cr_assert_str_eq(member_str(ev, "kind"), "listener");
	json_decref(ev);
	stop();
}
