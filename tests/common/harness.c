/*
 * harness.c - start real daemons, talk to them raw, run real commands.
 *
 * See harness.h. Everything here fails the running Criterion test with a
 * precise message instead of returning errors, so tests read as plain
 * sequences of steps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for a child to exit, through a pidfd (an event, not a sleep loop).
 * Returns 1 with *status set, or 0 if it is still running after
 * timeout_ms.
 */
static int wait_child(pid_t pid, int timeout_ms, int *status)
{
	int pfd = pidfd_open(pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	cr_assert(pfd >= 0, "pidfd_open(%ld): %s", (long)pid, strerror(errno));
	while (poll(&p, 1, timeout_ms) == -1)
		cr_assert(errno == EINTR, "poll: %s", strerror(errno));
	close(pfd);
	if (p.revents == 0)
		return 0;
	cr_assert(waitpid(pid, status, 0) == pid, "waitpid: %s",
		  strerror(errno));
	return 1;
}

char *test_built(const char *relpath)
{
	const char *dir = getenv("MPD_TEST_BUILDDIR");
	char *path;

	cr_assert(dir != NULL, "MPD_TEST_BUILDDIR is not set (run the tests "
			       "with meson test)");
	cr_assert(asprintf(&path, "%s/%s", dir, relpath) > 0);
	cr_assert(access(path, X_OK) == 0, "%s: %s", path, strerror(errno));
	return path;
}

/* Fork and exec mpdd; in the child, stderr goes to the log and the
 * daemon dies with the test process. */
/* The terminal the next daemon gets as its controlling terminal (a pty
 * slave's path; NULL: none), for mpdd_start_tty(). */
static const char *spawn_ctty;

/* Run the daemon as another uid with RLIMIT_NPROC (switch false: as
 * we are), and with RLIMIT_NOFILE (nofile_hard 0: unchanged). */
struct run_as {
	uid_t uid;
	rlim_t nproc;
	bool switch_uid;
	bool copy; /* run a copy of the binary in d's dir */
	rlim_t nofile_soft, nofile_hard;
};

/* Copy the daemon binary into d's dir, so that another uid can run it
 * whatever the permissions of the build tree. Returns the copy's path. */
static char *copy_daemon(const struct mpdd *d, const char *bin)
{
	char *dst, buf[65536];
	int in, out;
	ssize_t n;

	cr_assert(asprintf(&dst, "%s/mpdd", d->dir) > 0);
	in = open(bin, O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert(in >= 0 && out >= 0, "copy %s: %s", bin, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert(write(out, buf, (size_t)n) == n);
	close(in);
	close(out);
	return dst;
}

static pid_t mpdd_spawn_as(struct mpdd *d, const char *const *extra,
			   const char *const *env, int ready_fd,
			   const struct run_as *as)
{
	char *bin = test_built("daemon/mpdd");
	const char *argv[64];

	if (as != NULL && (as->switch_uid || as->copy)) {
		char *copy = copy_daemon(d, bin);

		free(bin);
		bin = copy;
	}
	char fdarg[32];
	int n = 0, logfd;
	pid_t ppid = getpid(), pid;

	argv[n++] = bin;
	argv[n++] = "-v";
	if (env == NULL) {
		argv[n++] = "--socket";
		argv[n++] = d->socket;
	}
	if (ready_fd >= 0) {
		snprintf(fdarg, sizeof(fdarg), "--ready-fd=%d", ready_fd);
		argv[n++] = fdarg;
	}
	for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
		cr_assert(n < 62, "too many mpdd arguments");
		argv[n++] = extra[i];
	}
	argv[n] = NULL;

	logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cr_assert(logfd >= 0, "%s: %s", d->log, strerror(errno));
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != ppid)
			_exit(127);
		/* The daemon's stdout and stderr, and so those of workers
		 * that inherit them, go to the log, never to the test
		 * runner's pipes; stdin is empty. */
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		int nullfd = open("/dev/null", O_RDONLY);

		if (nullfd >= 0) {
			dup2(nullfd, STDIN_FILENO);
			close(nullfd);
		}
		if (ready_fd >= 0)
			fcntl(ready_fd, F_SETFD, 0);
		if (spawn_ctty != NULL) {
			/* A session of its own, whose controlling terminal
			 * is the pty: as when started from a terminal. */
			int tty;

			if (setsid() == -1)
				_exit(125);
			tty = open(spawn_ctty, O_RDWR | O_CLOEXEC);
			if (tty == -1 || ioctl(tty, TIOCSCTTY, 0) == -1)
				_exit(125);
			close(tty);
		}
		unsetenv("MPD_SOCKET");
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		if (as != NULL && as->nofile_hard > 0) {
			struct rlimit rl = { as->nofile_soft, as->nofile_hard };

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(126);
		}
		if (as != NULL && as->switch_uid) {
			struct rlimit rl = { as->nproc, as->nproc };

			if (setgroups(0, NULL) != 0 || setgid(as->uid) != 0 ||
			    setrlimit(RLIMIT_NPROC, &rl) != 0 ||
			    setuid(as->uid) != 0)
				_exit(126);
		}
		execv(bin, (char *const *)argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(logfd);
	free(bin);
	return pid;
}

void mpdd_init(struct mpdd *d)
{
	const char *tmp = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	snprintf(d->dir, sizeof(d->dir), "%s/mpd-test-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	cr_assert(mkdtemp(d->dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(d->socket, sizeof(d->socket), "%s/mpd.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/mpdd.log", d->dir);
}

static pid_t mpdd_spawn(struct mpdd *d, const char *const *extra,
			const char *const *env, int ready_fd)
{
	return mpdd_spawn_as(d, extra, env, ready_fd, NULL);
}

static void mpdd_launch_as(struct mpdd *d, const char *const *extra,
			   const char *const *env, const struct run_as *as)
{
	char buf[16];
	int p[2], status;
	ssize_t n;
	struct pollfd pfd;

	cr_assert(d->dir[0] != '\0', "mpdd_init() first");
	cr_assert(pipe2(p, O_CLOEXEC) == 0);
	d->pid = mpdd_spawn_as(d, extra, env, p[1], as);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	n = poll(&pfd, 1, TEST_TIMEOUT_MS);
	cr_assert(n == 1, "mpdd did not become ready in %d ms",
		  TEST_TIMEOUT_MS);
	n = read(p[0], buf, sizeof(buf) - 1);
	if (n != 6 || memcmp(buf, "READY\n", 6) != 0) {
		char *log = mpdd_log(d);

		close(p[0]);
		waitpid(d->pid, &status, 0);
		cr_assert_fail("mpdd exited before it was ready (status 0x%x); "
			       "log:\n%s",
			       status, log);
	}
	/* mpdd closed it after READY, and nothing it started holds it:
	 * whoever waits for its end (a supervisor's pipe) sees it. */
	n = poll(&pfd, 1, TEST_TIMEOUT_MS);
	cr_assert(n == 1 && read(p[0], buf, sizeof(buf)) == 0,
		  "the --ready-fd pipe stayed open after READY");
	close(p[0]);
}

static void mpdd_launch(struct mpdd *d, const char *const *extra,
			const char *const *env)
{
	mpdd_launch_as(d, extra, env, NULL);
}

void mpdd_start_limited(struct mpdd *d, uid_t uid, unsigned nproc)
{
	struct run_as as = { .uid = uid, .nproc = nproc, .switch_uid = true };

	mpdd_launch_as(d, NULL, NULL, &as);
}

void mpdd_start_nofile(struct mpdd *d, const char *const *extra, unsigned soft,
		       unsigned hard)
{
	struct run_as as = { .nofile_soft = soft, .nofile_hard = hard };

	mpdd_init(d);
	mpdd_launch_as(d, extra, NULL, &as);
}

void mpdd_start_copy(struct mpdd *d, const char *const *extra)
{
	struct run_as as = { .copy = true };

	mpdd_init(d);
	mpdd_launch_as(d, extra, NULL, &as);
}

void mpdd_start(struct mpdd *d, const char *const *extra)
{
	mpdd_init(d);
	mpdd_launch(d, extra, NULL);
}

void mpdd_start_in(struct mpdd *d, const char *const *extra)
{
	mpdd_launch(d, extra, NULL);
}

int mpdd_start_tty(struct mpdd *d, const char *const *extra)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	cr_assert(master >= 0, "posix_openpt: %s", strerror(errno));
	cr_assert(grantpt(master) == 0 && unlockpt(master) == 0,
		  "grantpt/unlockpt: %s", strerror(errno));
	spawn_ctty = ptsname(master);
	cr_assert(spawn_ctty != NULL, "ptsname: %s", strerror(errno));
	mpdd_init(d);
	mpdd_launch(d, extra, NULL);
	spawn_ctty = NULL;
	return master;
}

void mpdd_start_env(struct mpdd *d, const char *const *extra,
		    const char *const *env)
{
	static const char *const none[] = { NULL };

	mpdd_launch(d, extra, env != NULL ? env : none);
}

int mpdd_run_to_exit(struct mpdd *d, const char *const *extra)
{
	int status;

	if (d->dir[0] == '\0')
		mpdd_init(d);
	d->pid = mpdd_spawn(d, extra, NULL, -1);
	if (!wait_child(d->pid, TEST_TIMEOUT_MS, &status)) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		d->pid = -1;
		cr_assert_fail("mpdd did not exit in time");
	}
	d->pid = -1;
	return status;
}

void mpdd_assert_refused(const char *option, const char *const *values,
			 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *const extra[] = { option, values[i], NULL };
		struct mpdd d;
		char *log;
		int rc;

		mpdd_init(&d);
		rc = mpdd_run_to_exit(&d, extra);
		log = mpdd_log(&d);
		cr_assert_neq(rc, 0, "%s '%s' was accepted", option, values[i]);
		cr_assert(strstr(log, option + 2) != NULL, "log: %s", log);
		free(log);
		mpdd_cleanup(&d);
	}
}

int mpdd_signal_wait(struct mpdd *d, int sig)
{
	int status;

	cr_assert(d->pid > 0);
	cr_assert(kill(d->pid, sig) == 0, "kill: %s", strerror(errno));
	if (!wait_child(d->pid, TEST_TIMEOUT_MS, &status)) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		d->pid = -1;
		cr_assert_fail("mpdd did not exit after signal %d", sig);
	}
	d->pid = -1;
	return status;
}

void mpdd_stop(struct mpdd *d)
{
	int status = mpdd_signal_wait(d, SIGTERM);
	char *log = mpdd_log(d);

	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "mpdd did not exit cleanly (status 0x%x); log:\n%s", status,
		  log);
	cr_assert(access(d->socket, F_OK) == -1 && errno == ENOENT,
		  "mpdd left its socket behind");
	free(log);
	mpdd_cleanup(d);
}

static int rm_cb(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

void mpdd_cleanup(struct mpdd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = -1;
	}
	if (d->dir[0] != '\0')
		nftw(d->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	d->dir[0] = '\0';
}

void mpdd_stop_all(struct mpdd *d)
{
	mpdd_kill_workers(d);
	mpdd_stop(d);
}

void mpdd_teardown(struct mpdd *d)
{
	int fd = d->pid > 0 ? test_try_connect(d->socket) : -1;

	if (fd >= 0) {
		close(fd);
		mpdd_kill_workers(d);
	}
	mpdd_cleanup(d);
}

long long test_start_holder(int fd, const char *method, json_t *params,
			    const char *fork, json_t **line)
{
	const char *m = getenv("MPD_TEST_MODULE");
	json_t *p, *reply, *rec;
	int pfd[2];
	long long id;
	char *text;

	cr_assert(m != NULL, "MPD_TEST_MODULE is not set");
	cr_assert(pipe(pfd) == 0);
	p = json_pack("{s:s, s:s, s:{s:s, s:o, s:s}, s:s, s:b}", "module", m,
		      "function", "call_and_hold", "args", "method", method,
		      "params", params, "fork", fork, "stdout", "pass", "start",
		      1);
	reply = test_call_fds(fd, "process.create", p, &pfd[1], 1);
	close(pfd[1]);
	rec = test_result(reply);
	id = test_int(rec, "id");
	json_decref(reply);
	text = test_read_line(pfd[0], TEST_TIMEOUT_MS);
	cr_assert(text != NULL, "the worker printed nothing");
	*line = test_json(text);
	free(text);
	test_forget(pfd[0]);
	close(pfd[0]);
	return id;
}

long test_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	cr_assert_gt(kib, 0);
	return kib;
}

bool test_sanitized(void)
{
	const char *s = getenv("MPD_TEST_SANITIZE");

	return s != NULL && *s != '\0' && strcmp(s, "none") != 0;
}

int test_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	dir = opendir(path);
	cr_assert(dir != NULL, "%s: %s", path, strerror(errno));
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

char *mpdd_log(const struct mpdd *d)
{
	FILE *f = fopen(d->log, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return strdup("");
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap + 1);
			cr_assert(buf != NULL);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int test_try_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	cr_assert(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int test_connect(const char *path)
{
	int fd = test_try_connect(path);

	cr_assert(fd >= 0, "connect %s: %s", path, strerror(-fd));
	return fd;
}

void test_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n == -1 && errno == ENOTSOCK)
			n = write(fd, p, len); /* a pipe */
		if (n == -1 && errno == EINTR)
			continue;
		cr_assert(n > 0, "send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void test_send_str(int fd, const char *s)
{
	test_send(fd, s, strlen(s));
}

/* Per-fd read buffers, so a read that returns two lines loses neither. */
#define RBUF_SLOTS 64
#define RBUF_FDS   64
static _Thread_local struct rbuf {
	int fd;
	char *data;
	size_t len;
	int fds[RBUF_FDS]; /* received with the bytes, oldest first */
	int nfds;
} rbufs[RBUF_SLOTS]; /* per thread: the tests use a connection per thread */

static struct rbuf *rbuf_get(int fd)
{
	struct rbuf *free_slot = NULL;

	for (int i = 0; i < RBUF_SLOTS; i++) {
		if (rbufs[i].data != NULL && rbufs[i].fd == fd)
			return &rbufs[i];
		if (rbufs[i].data == NULL && free_slot == NULL)
			free_slot = &rbufs[i];
	}
	cr_assert(free_slot != NULL, "too many test connections buffered");
	free_slot->fd = fd;
	free_slot->data = malloc(1);
	free_slot->len = 0;
	free_slot->nfds = 0;
	return free_slot;
}

void test_forget(int fd)
{
	for (int i = 0; i < RBUF_SLOTS; i++) {
		if (rbufs[i].data != NULL && rbufs[i].fd == fd) {
			free(rbufs[i].data);
			rbufs[i].data = NULL;
			rbufs[i].len = 0;
			for (int j = 0; j < rbufs[i].nfds; j++)
				close(rbufs[i].fds[j]);
			rbufs[i].nfds = 0;
		}
	}
}

/* Read what fd has (recvmsg on a socket: descriptors passed with it are
 * kept for test_take_fd()). Returns as read(). */
static ssize_t rbuf_recv(struct rbuf *b, int fd, char *buf, size_t size)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == ENOTSOCK) /* a pipe: it passes none */
		return read(fd, buf, size);
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		int *fds = (int *)CMSG_DATA(cm);
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k; i++) {
			cr_assert(b->nfds < RBUF_FDS,
				  "too many descriptors received");
			b->fds[b->nfds++] = fds[i];
		}
	}
	return n;
}

int test_take_fd(int fd)
{
	struct rbuf *b = rbuf_get(fd);
	int got;

	if (b->nfds == 0)
		return -1;
	got = b->fds[0];
	memmove(b->fds, b->fds + 1, sizeof(int) * (size_t)--b->nfds);
	return got;
}

char *test_read_line(int fd, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct rbuf *b = rbuf_get(fd);
	char chunk[65536], *nl, *line;

	for (;;) {
		nl = b->len > 0 ? memchr(b->data, '\n', b->len) : NULL;
		if (nl != NULL) {
			size_t n = (size_t)(nl - b->data);

			line = strndup(b->data, n);
			memmove(b->data, nl + 1, b->len - n - 1);
			b->len -= n + 1;
			return line;
		}
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		cr_assert(left > 0, "no reply line within %d ms", timeout_ms);
		if (poll(&pfd, 1, (int)left) == 0)
			continue;
		ssize_t n = rbuf_recv(b, fd, chunk, sizeof(chunk));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return NULL;
		cr_assert(n > 0, "recv: %s", strerror(errno));
		b->data = realloc(b->data, b->len + (size_t)n + 1);
		cr_assert(b->data != NULL);
		memcpy(b->data + b->len, chunk, (size_t)n);
		b->len += (size_t)n;
	}
}

int test_wait_eof(int fd, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	char chunk[65536];

	test_forget(fd);
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		cr_assert(left > 0, "connection not closed within %d ms",
			  timeout_ms);
		if (poll(&pfd, 1, (int)left) == 0)
			continue;
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 1;
		cr_assert(n > 0 || errno == EINTR, "recv: %s", strerror(errno));
	}
}

json_t *test_rpc_line(int fd, const char *line)
{
	json_error_t jerr;
	json_t *reply;
	char *text;

	test_send_str(fd, line);
	test_send_str(fd, "\n");
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(text != NULL, "connection closed instead of a reply to %s",
		  line);
	reply = json_loads(text, 0, &jerr);
	cr_assert(reply != NULL, "reply is not JSON (%s): %s", jerr.text, text);
	free(text);
	return reply;
}

json_t *test_call_fds(int fd, const char *method, json_t *params,
		      const int *fds, int nfds)
{
	static _Thread_local long long next_id = 1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} cmsg;
	json_t *req, *reply;
	json_error_t jerr;
	char *line, *text;
	size_t len;

	req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id",
			(json_int_t)next_id++, "method", method);
	cr_assert(req != NULL);
	if (params != NULL)
		json_object_set_new(req, "params", params);
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	cr_assert(line != NULL);
	len = strlen(line);
	line[len++] = '\n'; /* replaces the NUL: send by length */
	if (nfds > 0) {
		struct iovec iov = { .iov_base = line, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cm;
		ssize_t n;

		cr_assert(nfds <= 16);
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
			test_send(fd, line + n, len - (size_t)n);
	} else {
		test_send(fd, line, len);
	}
	free(line);
	text = test_read_line(fd, TEST_TIMEOUT_MS);
	cr_assert(text != NULL, "connection closed instead of a reply to %s",
		  method);
	reply = json_loads(text, 0, &jerr);
	cr_assert(reply != NULL, "reply is not JSON (%s): %s", jerr.text, text);
	free(text);
	return reply;
}

json_t *test_call(int fd, const char *method, json_t *params)
{
	return test_call_fds(fd, method, params, NULL, 0);
}

json_t *test_result(json_t *reply)
{
	json_t *res = json_object_get(reply, "result");

	if (res == NULL) {
		char *text = json_dumps(reply, JSON_COMPACT);

		cr_assert_fail("expected a result, got %s", text);
	}
	return res;
}

json_t *test_ok(int fd, const char *method, json_t *params)
{
	json_t *reply = test_call(fd, method, params);
	json_t *res = json_incref(test_result(reply));

	json_decref(reply);
	return res;
}

void test_ok0(int fd, const char *method, json_t *params)
{
	json_decref(test_ok(fd, method, params));
}

int test_fails(int fd, const char *method, json_t *params, const char *want)
{
	json_t *reply = test_call(fd, method, params);
	const char *name;
	int code = test_error_code(reply, &name);

	cr_assert_str_eq(name, want, "%s: got %s", method, name);
	json_decref(reply);
	return code;
}

json_t *test_nm(const char *name)
{
	return json_pack("{s:s}", "name", name);
}

bool test_bool(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_boolean(v)) {
		char *text = json_dumps(obj, JSON_COMPACT);

		cr_assert_fail("\"%s\" is not a boolean in %s", key, text);
	}
	return json_is_true(v);
}

void test_send_call(int fd, const char *id, const char *method, json_t *params)
{
	json_t *req =
		json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method", method);
	char *line;

	if (id != NULL)
		json_object_set_new(req, "id", json_string(id));
	if (params != NULL)
		json_object_set_new(req, "params", params);
	line = json_dumps(req, JSON_COMPACT);
	cr_assert(line != NULL);
	test_send_str(fd, line);
	test_send_str(fd, "\n");
	free(line);
	json_decref(req);
}

json_t *test_reply_for(int fd, const char *id)
{
	char *text = test_read_line(fd, TEST_TIMEOUT_MS);
	const char *got;
	json_t *r;

	cr_assert(text != NULL, "connection closed before the reply to %s", id);
	r = json_loads(text, 0, NULL);
	cr_assert(r != NULL, "not JSON: %s", text);
	got = json_string_value(json_object_get(r, "id"));
	cr_assert(got != NULL && strcmp(got, id) == 0, "waiting for %s, got %s",
		  id, text);
	free(text);
	return r;
}

json_t *test_result_for(int fd, const char *id)
{
	json_t *r = test_reply_for(fd, id);
	json_t *res = json_incref(test_result(r));

	json_decref(r);
	return res;
}

void test_settle(int fd)
{
	test_send_call(fd, "settle", "daemon.ping", NULL);
	json_decref(test_reply_for(fd, "settle"));
}

void test_hang_up(int fd)
{
	test_forget(fd);
	close(fd);
}

json_t *test_info(int fd, const char *kind, const char *name)
{
	char method[32];

	snprintf(method, sizeof(method), "%s.info", kind);
	return test_ok(fd, method, test_nm(name));
}

void test_await_info(int fd, const char *kind, const char *name,
		     const char *key, const char *want)
{
	json_t *w = test_json(want), *r = NULL;
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = test_info(fd, kind, name);
		if (json_equal(json_object_get(r, key), w))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
			    (now.tv_nsec - start.tv_nsec) / 1000000 >
		    TEST_TIMEOUT_MS) {
			char *text = json_dumps(r, JSON_COMPACT);

			cr_assert_fail("%s.info \"%s\": %s never became %s: %s",
				       kind, name, key, want, text);
		}
		json_decref(r);
	}
	json_decref(r);
	json_decref(w);
}

long long test_start_proc(int fd, json_t *params)
{
	json_t *reply;
	long long id;

	json_object_set_new(params, "start", json_true());
	reply = test_call(fd, "process.create", params);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	return id;
}

long long test_start_fed(int fd, json_t *params, int *in)
{
	json_t *reply;
	int pfd[2];
	long long id;

	cr_assert(pipe2(pfd, O_CLOEXEC) == 0);
	json_object_set_new(params, "stdin", json_string("pass"));
	json_object_set_new(params, "start", json_true());
	reply = test_call_fds(fd, "process.create", params, &pfd[0], 1);
	id = test_int(test_result(reply), "id");
	json_decref(reply);
	close(pfd[0]);
	*in = pfd[1];
	return id;
}

json_t *test_sh_capture(const char *script)
{
	return json_pack("{s:[sss], s:s, s:s}", "argv", "sh", "-c", script,
			 "stdout", "capture", "stderr", "capture");
}

json_t *test_call_id(int fd, const char *method, long long id, json_t *extra)
{
	json_t *params = extra != NULL ? extra : json_object();

	json_object_set_new(params, "id", json_integer(id));
	return test_call(fd, method, params);
}

void test_wait_ended(int fd, long long id)
{
	long long after = -1;
	bool ended = false;

	while (!ended) {
		json_t *p = json_pack("{s:i}", "timeout", 20), *r;

		if (after >= 0)
			json_object_set_new(p, "after", json_integer(after));
		r = test_call_id(fd, "process.output", id, p);
		ended = json_is_true(json_object_get(test_result(r), "ended"));
		after = test_int(test_result(r), "next");
		json_decref(r);
	}
}

int test_error_code(json_t *reply, const char **name)
{
	json_t *err = json_object_get(reply, "error");

	if (!json_is_object(err)) {
		char *text = json_dumps(reply, JSON_COMPACT);

		cr_assert_fail("expected an error, got %s", text);
	}
	if (name != NULL)
		*name = json_string_value(
			json_object_get(json_object_get(err, "data"), "name"));
	return (int)json_integer_value(json_object_get(err, "code"));
}

long long test_int(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v)) {
		char *text = json_dumps(obj, JSON_COMPACT);

		cr_assert_fail("\"%s\" is not an integer in %s", key, text);
	}
	return json_integer_value(v);
}

long long test_info_int(int fd, const char *section, const char *key)
{
	json_t *r = test_call(fd, "daemon.info", NULL);
	long long v = test_int(json_object_get(test_result(r), section), key);

	json_decref(r);
	return v;
}

void mpdd_kill_workers(struct mpdd *d)
{
	int fd = test_connect(d->socket);
	json_int_t after = 0;
	json_t *res, *rec, *next;
	size_t i;

	/* Every page of the listing. */
	do {
		res = test_call(fd, "process.list",
				json_pack("{s:I}", "after", after));
		json_array_foreach (json_object_get(test_result(res),
						    "processes"),
				    i, rec) {
			const char *state = json_string_value(
				json_object_get(rec, "state"));
			json_int_t id =
				json_integer_value(json_object_get(rec, "id"));

			if (strcmp(state, "running") != 0 &&
			    strcmp(state, "starting") != 0)
				continue;
			/* A running client may join and close it meanwhile:
			 * the replies may be errors. */
			json_decref(test_call(fd, "process.kill",
					      json_pack("{s:I}", "id", id)));
			json_decref(test_call(fd, "process.join",
					      json_pack("{s:I}", "id", id)));
		}
		next = json_object_get(test_result(res), "next");
		after = json_is_integer(next) ? json_integer_value(next) : 0;
		json_decref(res);
	} while (after > 0);
	test_forget(fd);
	close(fd);
}

json_t *test_rpc_text(const char *socket, const char *method,
		      const char *params, bool may_fail)
{
	int fd = test_connect(socket);
	json_t *reply, *result;
	char *line, *text;

	cr_assert(asprintf(&line,
			   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\","
			   "\"params\":%s}",
			   method, params) > 0);
	reply = test_rpc_line(fd, line);
	text = json_dumps(reply, JSON_COMPACT);
	result = json_object_get(reply, "result");
	cr_assert(result != NULL || may_fail, "%s %s: %s", method, params,
		  text);
	json_incref(result);
	free(text);
	json_decref(reply);
	free(line);
	test_forget(fd);
	close(fd);
	return result;
}

json_t *test_json(const char *s)
{
	json_error_t jerr;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &jerr);

	cr_assert_not_null(v, "not JSON (%s): %s", jerr.text, s);
	return v;
}

void test_assert_ping(const char *socket)
{
	int fd = test_connect(socket);
	json_t *reply = test_rpc_line(
		fd, "{\"jsonrpc\":\"2.0\",\"id\":\"alive\",\"method\":"
		    "\"daemon.ping\"}");

	cr_assert(json_is_object(json_object_get(reply, "result")),
		  "ping did not answer with a result");
	cr_assert_str_eq(json_string_value(json_object_get(reply, "id")),
			 "alive");
	cr_assert(json_object_get(reply, "error") == NULL);
	json_decref(reply);
	test_forget(fd);
	close(fd);
}

void test_assert_error(json_t *reply, int code, json_t *id)
{
	json_t *err = json_object_get(reply, "error");
	json_t *rid = json_object_get(reply, "id");
	char *text = json_dumps(reply, JSON_COMPACT);

	cr_assert(json_is_object(err), "not an error reply: %s", text);
	cr_assert(json_object_get(reply, "result") == NULL);
	cr_assert(json_integer_value(json_object_get(err, "code")) == code,
		  "expected error %d, got %s", code, text);
	cr_assert(json_is_string(json_object_get(err, "message")));
	if (id == NULL)
		cr_assert(json_is_null(rid), "expected id null: %s", text);
	else
		cr_assert(json_equal(rid, id), "wrong id: %s", text);
	free(text);
}

struct sbuf {
	char *data;
	size_t len, cap;
};

/* Append what one read of fd gives; returns 0 at EOF. */
static int sbuf_read(struct sbuf *b, int fd)
{
	ssize_t n;

	if (b->cap - b->len < 4096) {
		b->cap = b->cap * 2 + 4096;
		b->data = realloc(b->data, b->cap + 1);
		cr_assert(b->data != NULL);
	}
	do
		n = read(fd, b->data + b->len, b->cap - b->len);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return 0;
	b->len += (size_t)n;
	return 1;
}

static char *sbuf_str(struct sbuf *b)
{
	if (b->data == NULL)
		return strdup("");
	b->data[b->len] = '\0';
	return b->data;
}

void test_run(struct run_result *r, const char *const *argv,
	      const char *const *env_extra, const char *stdin_data)
{
	test_run_for(r, argv, env_extra, stdin_data, TEST_TIMEOUT_MS);
}

void test_run_for(struct run_result *r, const char *const *argv,
		  const char *const *env_extra, const char *stdin_data,
		  int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int in[2], out[2], err[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int i = 0; env_extra != NULL && env_extra[i] != NULL;
		     i++) {
			const char *eq = strchr(env_extra[i], '=');
			char name[256];

			if (eq == NULL)
				continue;
			snprintf(name, sizeof(name), "%.*s",
				 (int)(eq - env_extra[i]), env_extra[i]);
			if (eq[1] == '\0')
				unsetenv(name);
			else
				setenv(name, eq + 1, 1);
		}
		execv(argv[0], (char *const *)argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (stdin_data != NULL) {
		size_t len = strlen(stdin_data);
		const char *p = stdin_data;

		signal(SIGPIPE, SIG_IGN);
		while (len > 0) {
			ssize_t n = write(in[1], p, len);

			if (n <= 0)
				break;
			p += n;
			len -= (size_t)n;
		}
	}
	close(in[1]);

	struct sbuf bo = { 0 }, be = { 0 };
	struct pollfd pfd[2] = { { .fd = out[0], .events = POLLIN },
				 { .fd = err[0], .events = POLLIN } };
	long long left;

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		left = deadline - now_ms();
		if (left <= 0 || poll(pfd, 2, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &r->status, 0);
			cr_assert_fail("%s did not finish in time", argv[0]);
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (!sbuf_read(i == 0 ? &bo : &be, pfd[i].fd)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	r->out = sbuf_str(&bo);
	r->err = sbuf_str(&be);
	left = deadline - now_ms();
	if (!wait_child(pid, left > 0 ? (int)left : 0, &r->status)) {
		kill(pid, SIGKILL);
		waitpid(pid, &r->status, 0);
		cr_assert_fail("%s did not exit in time", argv[0]);
	}
}

void test_run_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void test_cli_argv(const char **argv, char *bin, const char *socket,
		   const char *const *args)
{
	int n = 0;

	argv[n++] = bin;
	if (socket != NULL) {
		argv[n++] = "--socket";
		argv[n++] = socket;
	}
	for (; *args != NULL; args++) {
		cr_assert_lt(n, TEST_CLI_ARGV_SIZE - 1, "too many arguments");
		argv[n++] = *args;
	}
	argv[n] = NULL;
}

int test_cli(struct run_result *r, const char *socket, const char *const *args,
	     const char *const *env, const char *stdin_data)
{
	static const char *const no_env[] = { "MPD_SOCKET=", NULL };
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");

	test_cli_argv(argv, bin, socket, args);
	test_run(r, argv, env != NULL ? env : no_env, stdin_data);
	free(bin);
	cr_assert(WIFEXITED(r->status), "mpd-cli did not exit (0x%x): %s",
		  r->status, r->err);
	return WEXITSTATUS(r->status);
}

int test_case_args(const char **args, const char *first, size_t count,
		   size_t size)
{
	const char *arg;
	size_t n = 0;

	for (; n < count && first[n * size] != '\0'; n++) {
		arg = first + n * size;
		args[n] = strcmp(arg, TEST_EMPTY_ARG) == 0 ? "" : arg;
	}
	args[n] = NULL;
	return (int)n;
}

void test_assert_columns(const char *text, size_t max)
{
	for (const char *p = text; *p != '\0'; p = strchr(p, '\n') + 1)
		cr_assert_leq(strcspn(p, "\n"), max, "too long: %.*s",
			      (int)strcspn(p, "\n"), p);
}

void test_unreachable_run(struct mpdd *d,
			  const struct test_unreachable_case *tc,
			  const char *const *env, const char *stdin_data)
{
	const char *args[TEST_CASE_ARGS + 1];
	char expect[PATH_MAX + 128];
	struct run_result r;

	mpdd_init(d);
	test_case_args(args, tc->args[0], TEST_CASE_ARGS, TEST_CASE_ARG_MAX);
	cr_assert_eq(test_cli(&r, d->socket, args, env, stdin_data), 3,
		     "stderr: %s", r.err);
	snprintf(expect, sizeof(expect),
		 "mpd-cli: cannot connect to mpdd at %s: No such file or "
		 "directory (is mpdd running?)\n",
		 d->socket);
	cr_assert_str_eq(r.err, expect);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
}

void test_help_run(struct mpdd *d, const struct test_help_case *tc,
		   const char *const *env, size_t columns)
{
	const char *args[TEST_CASE_ARGS + 1];
	struct run_result r;

	mpdd_init(d);
	test_case_args(args, tc->args[0], TEST_CASE_ARGS, TEST_CASE_ARG_MAX);
	cr_assert_eq(test_cli(&r, d->socket, args, env, NULL), 0, "stderr: %s",
		     r.err);
	cr_assert_eq(strncmp(r.out, tc->usage, strlen(tc->usage)), 0,
		     "stdout: %s", r.out);
	cr_assert_not_null(strstr(r.out, "\n  -s, --socket PATH"), "stdout: %s",
			   r.out);
	if (tc->text[0] != '\0')
		cr_assert_not_null(strstr(r.out, tc->text), "stdout: %s",
				   r.out);
	if (columns > 0)
		test_assert_columns(r.out, columns);
	cr_assert_str_eq(r.err, "");
	test_run_free(&r);
}

void test_usage_run(struct mpdd *d, const struct test_usage_case *tc,
		    const char *const *env)
{
	const char *args[TEST_CASE_ARGS + 1];
	struct run_result r;

	mpdd_init(d);
	test_case_args(args, tc->args[0], TEST_CASE_ARGS, TEST_CASE_ARG_MAX);
	cr_assert_eq(test_cli(&r, d->socket, args, env, NULL), 2, "stderr: %s",
		     r.err);
	cr_assert_str_eq(r.err, tc->err);
	cr_assert_str_eq(r.out, "");
	test_run_free(&r);
}

void test_assert_has_all(const char *text, const char *const *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cr_assert_not_null(strstr(text, parts[i]), "no '%s' in: %s",
				   parts[i], text);
}

void test_assert_error_line(const char *err, const char *cmd, const char *name)
{
	char prefix[128], suffix[64];
	size_t len = strlen(err), slen;

	snprintf(prefix, sizeof(prefix), "mpd-cli: %s: ", cmd);
	snprintf(suffix, sizeof(suffix), " (%s)\n", name != NULL ? name : "");
	slen = name != NULL ? strlen(suffix) : 1;
	cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "stderr: %s",
		     err);
	cr_assert(len > strlen(prefix) + slen &&
			  strcmp(err + len - slen,
				 name != NULL ? suffix : "\n") == 0,
		  "stderr: %s", err);
	cr_assert_eq(strchr(err, '\n'), err + len - 1, "not one line: %s", err);
}

char *test_in_dir(const struct mpdd *d, const char *file)
{
	char *path;

	cr_assert_neq(d->dir[0], '\0', "no temp dir yet");
	cr_assert(asprintf(&path, "%s/%s", d->dir, file) > 0);
	return path;
}

pid_t test_cli_spawn(const struct mpdd *d, const char *const *args,
		     const char *const *env, const char *in, const char *out,
		     const char *err)
{
	static const int defaults[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	const char *argv[TEST_CLI_ARGV_SIZE];
	char *bin = test_built("client/cli/mpd-cli");
	const char *files[3] = { in, out, err };
	char *paths[3];
	pid_t pid;

	for (int i = 0; i < 3; i++)
		paths[i] = files[i] != NULL ? test_in_dir(d, files[i]) :
					      strdup("/dev/null");
	test_cli_argv(argv, bin, d->socket, args);
	fflush(NULL);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]);
		     i++)
			signal(defaults[i], SIG_DFL);
		for (int i = 0; i < 3; i++) {
			int fd = open(paths[i],
				      i == 0 ? O_RDONLY :
					       O_WRONLY | O_CREAT | O_APPEND,
				      0600);

			if (fd < 0 || dup2(fd, i) < 0)
				_exit(125);
			if (fd != i)
				close(fd);
		}
		unsetenv("MPD_SOCKET");
		for (int i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(bin, (char *const *)argv);
		_exit(126);
	}
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	free(bin);
	return pid;
}

int test_wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	return status;
}

void test_peer_start(struct test_peer *p, void (*serve)(int lfd, void *arg),
		     void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t parent = getpid();
	int lfd;

	snprintf(p->dir, sizeof(p->dir), "/tmp/mpd-peer-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir), "mkdtemp: %s", strerror(errno));
	snprintf(p->socket, sizeof(p->socket), "%s/peer.sock", p->dir);
	snprintf(p->requests, sizeof(p->requests), "%s/requests", p->dir);
	snprintf(p->params, sizeof(p->params), "%s/params", p->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->socket);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		serve(lfd, arg);
		_exit(0);
	}
	close(lfd);
}

int test_peer_wait(struct test_peer *p)
{
	int status;

	if (p->pid <= 0)
		return -1;
	cr_assert_eq(waitpid(p->pid, &status, 0), p->pid);
	p->pid = -1;
	return status;
}

void test_peer_stop(struct test_peer *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = -1;
	}
	if (p->dir[0] != '\0') {
		unlink(p->socket);
		unlink(p->requests);
		unlink(p->params);
		rmdir(p->dir);
		p->dir[0] = '\0';
	}
}
