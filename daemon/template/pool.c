/*
 * pool.c - children forked ahead (--pool), and their keeper.
 *
 * See template.c for the pool's part in a start. The keeper, a copy of
 * the template, forks the pooled children so that no fork stops the
 * template; each child waits on its own socket for a request, rehearsing
 * a start meanwhile, and acknowledges the request it takes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "template.h"
#include "worker.h"

/* A pooled child, forked ahead and waiting for a request on sock. */
struct slot {
	pid_t pid;
	int pidfd;
	int sock; /* request (and "pass" fds) go here */
	int report; /* its set-up report pipe */
};

/* In a pooled child: its request socket and report pipe. */
#define POOL_SOCK_FD   3
#define POOL_REPORT_FD 4

static struct slot *pool;
static size_t npool, pool_size;
static bool pool_stalled; /* a refill failed: wait for the next request */
/* The keeper: a copy of the template that forks the pool (see
 * keeper_main()), over a SOCK_SEQPACKET pair. */
static int keeper = -1;
static pid_t keeper_pid = -1;
static struct timespec keeper_started;
static size_t nasked; /* children asked of the keeper, not yet back */

/* What the keeper tells the template. */
enum { KM_SLOT, KM_FAIL, KM_EXIT };
struct kmsg {
	int32_t kind;
	int32_t pid; /* KM_SLOT, KM_EXIT */
	int32_t value; /* KM_FAIL: errno; KM_EXIT: wait status */
};

static void slot_close(struct slot *sl)
{
	if (sl->pidfd >= 0)
		close(sl->pidfd);
	close(sl->sock);
	close(sl->report);
}

/*
 * Write all of buf to a pooled child's socket, fds with the first byte.
 * The socket blocks: the child is reading. Returns 0, or -1 when the
 * child is gone.
 */
static int slot_write(int sock, const char *buf, size_t len, const int *fds,
		      int nfds)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = fdio_send(sock, buf + off, len - off,
				      off == 0 ? fds : NULL,
				      off == 0 ? nfds : 0);

		if (n == -1 && errno == EAGAIN) {
			struct pollfd p = { .fd = sock, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n == -1)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/*
 * Hand the request (line, len: its JSON text) to a pooled child. Returns
 * true when one took it; false when the pool is empty (or every child in
 * it had died), and the caller forks.
 */
bool pool_take(int64_t id, const char *line, size_t len, int *fds, int nfds)
{
	uint64_t head = len;

	if (pool_size == 0)
		return false;
	pool_stalled = false;
	while (npool > 0) {
		struct slot sl = pool[--npool];
		char *buf = malloc(sizeof(head) + len);
		int r = -1;

		if (buf == NULL)
			fatalx("template: out of memory");
		memcpy(buf, &head, sizeof(head));
		memcpy(buf + sizeof(head), line, len);
		if (sl.pidfd >= 0)
			r = slot_write(sl.sock, buf, sizeof(head) + len, fds,
				       nfds);
		scrub_free(buf);
		close(sl.sock);
		if (r == 0) {
			struct pending *q =
				pending_add(id, sl.pid, sl.pidfd, sl.report);

			/* Kept until the child says it has the request, in
			 * memory of the template's own, which no child of a
			 * later request gets. */
			q->line = own_realloc(NULL, 0, len);
			memcpy(q->line, line, len);
			q->len = len;
			memcpy(q->fds, fds, sizeof(int) * (size_t)nfds);
			q->nfds = nfds;
			return true;
		}
		/* Gone (its exit is reaped as a stranger's): next one. */
		if (sl.pidfd >= 0)
			close(sl.pidfd);
		close(sl.report);
	}
	return false;
}

/*
 * In a pooled child, while idle: go through the motions of a start, so
 * that its page faults (code to map, template pages to copy) are taken now
 * rather than while a client waits: a request parsed, /dev/null opened,
 * the tmpl_preloaded modules looked up as a function target's is, some stack.
 */
static void child_rehearse(void)
{
	static const char sample[] =
		"{\"name\":\"Process-1\","
		"\"target\":{\"module\":\"m\",\"function\":\"f\"},"
		"\"env\":[\"A=B\",\"C=D\"],\"cwd\":null,\"stdio\":"
		"[null,\"inherit\",\"inherit\"],\"method\":\"forkserver\","
		"\"args\":[1,2.5,\"x\",{\"k\":true}]}";
	volatile char stack[32 * 1024];
	json_t *req = json_loadb(sample, sizeof(sample) - 1, 0, NULL);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (size_t i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
	if (fd >= 0)
		close(fd);
	free(calloc(64, sizeof(char *)));
	for (int i = 0; i < tmpl_npreloaded; i++) {
		void *h = dlopen(tmpl_preloaded[i], RTLD_NOW | RTLD_NOLOAD);

		if (h != NULL) {
			dlsym(h, "mpd_rehearsal");
			dlclose(h);
		}
	}
	/* The environment's pages, as a start reads them; the value does
	 * not matter (but a result ignored is an error with fortify). */
	if (getenv(MPD_ENV_PROCESS_ID) != NULL)
		stack[0] = 1;
	json_decref(req);
}

/*
 * In a pooled child: wait for a request on POOL_SOCK_FD and run it. Never
 * returns; exits quietly when the template closes the socket.
 */
static void __attribute__((noreturn)) pool_child(pid_t tmpl_pid)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDIO_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	uint64_t len;
	struct iovec iov = { .iov_base = &len, .iov_len = sizeof(len) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cmsg.buf,
			     .msg_controllen = sizeof(cmsg.buf) };
	int fds[FDIO_MAX_FDS], nfds = 0;
	size_t got = 0;
	ssize_t n;
	char *text;
	json_t *req;
	struct plan pl;
	int missing;

	/* Die with the template while idle: nobody else could use us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tmpl_pid)
		_exit(0);
	stack_scrub();
	prctl(PR_SET_NAME, "mpdd-pool");
	/* What every worker does first, done while nobody waits. */
	plan_init(&pl, POOL_REPORT_FD);
	plan_prepare(&pl);
	child_rehearse();
	do
		n = recvmsg(POOL_SOCK_FD, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(len) || len > CHAN_REQUEST_MAX)
		_exit(0);
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
	}
	/* The start report pipe comes first, then the "pass" streams. */
	if (nfds < 1)
		_exit(0);
	/* A worker now: it outlives the template, as a forked one does. */
	prctl(PR_SET_PDEATHSIG, 0);
	text = malloc(len + 1);
	if (text == NULL)
		_exit(CHILD_FAIL_EXIT);
	while (got < len) {
		n = read(POOL_SOCK_FD, text + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(CHILD_FAIL_EXIT);
		got += (size_t)n;
	}
	/*
	 * Taken: the template may forget the request. Up to here, dying
	 * (killed idle, or with the template) ran nothing and the template
	 * hands the request on; from here on this child is the request's
	 * one child, and says so to mpdd. A template already gone kills
	 * it here (SIGPIPE): nothing ran.
	 */
	if (write(POOL_REPORT_FD, "t", 1) != 1)
		_exit(CHILD_FAIL_EXIT);
	close(POOL_REPORT_FD);
	plan_announce(fds[0]);
	req = json_loadb(text, len, 0, NULL);
	free(text);
	if (req == NULL)
		child_fail(fds[0], STAGE_SETUP, EINVAL,
			   "the request did not parse");
	missing = plan_build(&pl, req, fds + 1, nfds - 1, fds[0], NULL);
	if (missing >= 0)
		plan_fail(fds[0], STAGE_STDIO, EBADF, plan_stdio_names[missing],
			  "no descriptor was passed", NULL);
	child_run(req, &pl, true, NULL, NULL);
}

/* In the keeper: fork one child for the pool into *sl; sl->pid is -1
 * (errno set) when that fails. */
static void slot_fork(struct slot *sl)
{
	int sv[2], p[2];
	pid_t self = getpid(), pid;

	sl->pid = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return;
	if (pipe2(p, O_CLOEXEC) == -1) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Keep stdio, the socket and the pipe; nothing else of the
		 * template's (other slots, the channel to mpdd). */
		int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 64);
		int r = fcntl(p[1], F_DUPFD_CLOEXEC, 64);

		if (s == -1 || r == -1 ||
		    dup3(s, POOL_SOCK_FD, O_CLOEXEC) == -1 ||
		    dup3(r, POOL_REPORT_FD, O_CLOEXEC) == -1)
			_exit(CHILD_FAIL_EXIT);
		close_range(POOL_REPORT_FD + 1, ~0U, 0);
		tmpl_devnull = -1;
		pool_child(self);
	}
	close(sv[1]);
	close(p[1]);
	if (pid == -1) {
		int e = errno;

		close(sv[0]);
		close(p[0]);
		errno = e;
		return;
	}
	/* The template opens its own pidfd when it takes the slot. */
	*sl = (struct slot){
		.pid = pid,
		.pidfd = -1,
		.sock = sv[0],
		.report = p[0],
	};
}

/* Send one message (and fds) on the keeper socket; false when closed. */
static bool kmsg_send(int sock, const struct kmsg *m, const int *fds, int nfds)
{
	ssize_t n;

	do
		n = fdio_send(sock, (const char *)m, sizeof(*m), fds, nfds);
	while (n == -1 && errno == EAGAIN);
	return n == (ssize_t)sizeof(*m);
}

/* The wait status a siginfo from waitid() describes. */
static int wait_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return si->si_status & 0x7f;
	}
}

/*
 * The next child that ended, left unreaped (its pid cannot be reused
 * until it is): returns its pid and *status, or 0 when none has.
 */
pid_t child_peek(int *status)
{
	siginfo_t si;

	si.si_pid = 0;
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
	    si.si_pid == 0)
		return 0;
	*status = wait_status(&si);
	return si.si_pid;
}

/*
 * The keeper, forked from the template once it is ready: it forks the
 * pooled children, so that a fork (which copies page tables, and on some
 * virtual machines takes milliseconds) never stops the template, not even
 * through its memory map's lock. Its children are workers like the
 * template's: the keeper reaps them and passes each exit status on. It
 * reads a byte per child wanted and answers KM_SLOT (the child's pid,
 * with its request socket and report pipe) or KM_FAIL; it exits with the
 * template (PR_SET_PDEATHSIG), and its idle pooled children with it.
 */
static void __attribute__((noreturn)) keeper_main(int sock, pid_t tmpl_pid)
{
	sigset_t chld;
	pid_t held = 0; /* reported to the template, not yet reaped */
	int sfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != tmpl_pid)
		_exit(0);
	/* Forked from the template at any time: what it did before (other
	 * requests) is no pooled child's to read. */
	stack_scrub();
	prctl(PR_SET_NAME, "mpdd-keeper");
	if (tmpl_pinned)
		sched_setaffinity(0, sizeof(tmpl_cpus), &tmpl_cpus);
	log_set_ident("mpdd-keeper");
	if (sock != 3 && dup3(sock, 3, O_CLOEXEC) == -1)
		_exit(CHILD_FAIL_EXIT);
	sock = 3;
	close_range(4, ~0U, 0);
	tmpl_devnull = -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd == -1)
		_exit(CHILD_FAIL_EXIT);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sock, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		int status;
		pid_t pid;

		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			_exit(CHILD_FAIL_EXIT);
		if (pfd[1].revents != 0) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
		}
		if (pfd[0].revents != 0) {
			char c;
			ssize_t n = recv(sock, &c, 1, 0);
			struct slot sl;
			struct kmsg m = { KM_SLOT, 0, 0 };

			if (n == 0 || (n == -1 && errno != EINTR))
				_exit(0); /* the template is gone */
			if (n == 1 && c == 'r' && held > 0) {
				/* The template has passed its exit on. */
				waitpid(held, NULL, 0);
				held = 0;
			}
			if (n != 1 || c != 'f')
				goto exits;
			slot_fork(&sl);
			if (sl.pid == -1) {
				m.kind = KM_FAIL;
				m.value = errno;
				if (!kmsg_send(sock, &m, NULL, 0))
					_exit(0);
				continue;
			}
			m.pid = sl.pid;
			if (!kmsg_send(sock, &m, (int[]){ sl.sock, sl.report },
				       2))
				_exit(0);
			close(sl.sock);
			close(sl.report);
		}
exits:
		/* One exit at a time, reaped only once the template has
		 * passed it on to mpdd (it answers 'r'): should the
		 * template die first, the child stays a zombie, which mpdd
		 * inherits and reaps itself, status and all. */
		if (held == 0 && (pid = child_peek(&status)) > 0) {
			struct kmsg m = { KM_EXIT, pid, status };

			if (!kmsg_send(sock, &m, NULL, 0))
				_exit(0);
			held = pid;
		}
	}
}

/* Start the keeper (pool_size > 0). Without one there is no pool. */
static void keeper_start(void)
{
	int sv[2];
	pid_t self = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("template: no pool: socketpair");
		return;
	}
	pid = fork();
	if (pid == 0) {
		tmpl_in_child = true;
		keeper_main(sv[1], self);
	}
	close(sv[1]);
	if (pid == -1) {
		log_warn("template: no pool: cannot fork its keeper");
		close(sv[0]);
		return;
	}
	bk->nchildren++;
	keeper = sv[0];
	keeper_pid = pid;
	fcntl(keeper, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &keeper_started);
	nasked = 0;
}

/* Ask the keeper for what the pool lacks. */
void pool_ask(void)
{
	while (keeper >= 0 && !pool_stalled && npool + nasked < pool_size) {
		if (send(keeper, "f", 1, MSG_DONTWAIT) != 1)
			break;
		nasked++;
	}
}

/* Forget the pool: its children died with their keeper. */
static void pool_forget(void)
{
	for (size_t i = 0; i < npool; i++)
		slot_close(&pool[i]);
	npool = 0;
	nasked = 0;
}

/* mpdd has the exit of the keeper's child pid: let the keeper reap it. */
static void keeper_reap(pid_t pid)
{
	ssize_t n;

	while ((n = send(keeper, "r", 1, MSG_DONTWAIT | MSG_NOSIGNAL)) == -1 &&
	       (errno == EAGAIN || errno == EINTR)) {
		struct pollfd p = { .fd = keeper, .events = POLLOUT };

		poll(&p, 1, -1);
	}
	if (n != 1)
		log_debug("template: keeper gone before reaping %ld",
			  (long)pid);
}

/* What the keeper sent: pooled children, failures, exits. Closes the
 * socket at its end. */
static void keeper_read(void)
{
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * 2)];
			struct cmsghdr align;
		} cmsg;
		struct kmsg m;
		struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cmsg.buf,
				     .msg_controllen = sizeof(cmsg.buf) };
		int fds[2] = { -1, -1 }, nfds = 0;
		ssize_t n = recvmsg(keeper, &mh, MSG_CMSG_CLOEXEC);

		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		     cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) /
				     sizeof(int));
			if (nfds > 2)
				nfds = 2;
			memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)nfds);
		}
		if (n != (ssize_t)sizeof(m)) {
			/* The keeper is gone; its exit is reaped. */
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			close(keeper);
			keeper = -1;
			pool_forget();
			return;
		}
		if (m.kind == KM_SLOT && nfds == 2 && npool < pool_size) {
			nasked -= nasked > 0;
			pool[npool++] = (struct slot){
				.pid = m.pid,
				.pidfd = pidfd_open(m.pid, 0),
				.sock = fds[0],
				.report = fds[1],
			};
			continue;
		}
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (m.kind == KM_EXIT) {
			child_exited(m.pid, m.value);
			keeper_reap(m.pid);
		} else if (m.kind == KM_FAIL) {
			nasked -= nasked > 0;
			log_warnx("template: cannot refill the pool: %s",
				  strerror(m.value));
			pool_stalled = true;
		}
	}
}

/* The keeper exited (reaped): start another, unless it died at once. */
void pool_keeper_died(int status)
{
	struct timespec now;
	double life;

	clock_gettime(CLOCK_MONOTONIC, &now);
	life = (double)(now.tv_sec - keeper_started.tv_sec) +
	       (double)(now.tv_nsec - keeper_started.tv_nsec) / 1e9;
	keeper_pid = -1;
	if (keeper >= 0)
		keeper_read(); /* what it sent before it died, to its EOF */
	if (keeper >= 0) {
		close(keeper);
		keeper = -1;
	}
	pool_forget();
	if (life < 1.0) {
		log_warnx("template: the pool's keeper died at once (status "
			  "%d); no pool",
			  status);
		return;
	}
	log_warnx("template: the pool's keeper died (status %d); starting "
		  "another",
		  status);
	keeper_start();
}

/* A pooled child that died idle (killed from outside): forget it. */
bool pool_reaped(pid_t pid)
{
	for (size_t i = 0; i < npool; i++) {
		if (pool[i].pid != pid)
			continue;
		slot_close(&pool[i]);
		pool[i] = pool[--npool];
		return true;
	}
	return false;
}

/* Start the pool of size children (at most MPD_MAX_POOL; 0: none). */
void pool_init(size_t size)
{
	pool_size = size > MPD_MAX_POOL ? MPD_MAX_POOL : size;
	pool = calloc(pool_size + 1, sizeof(*pool));
	if (pool == NULL)
		fatalx("template: out of memory");
	if (pool_size > 0)
		keeper_start();
}

/* The keeper's socket, for the template's poll set (-1: no keeper). */
int pool_keeper_fd(void)
{
	return keeper;
}

/* Whether pid, a child of the template that ended, is the keeper. */
bool pool_keeper_is(pid_t pid)
{
	return pid == keeper_pid;
}

/* The keeper's socket is readable: what it sent. */
void pool_keeper_read(void)
{
	if (keeper >= 0)
		keeper_read();
}
