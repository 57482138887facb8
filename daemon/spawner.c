/*
 * spawner.c - the daemon's side of the template (the forkserver).
 *
 * mpdd starts the template by fork + exec of its own binary in template
 * mode (template.c), over a socketpair, so every worker is cloned from a
 * small, clean, single-threaded image with no event loop and no client
 * sockets. The channel carries JSON lines both ways, with descriptors as
 * SCM_RIGHTS: spawn requests (with the "pass" stdio fds) one way; ready,
 * spawned (with the worker's pidfd), failed and exited the other.
 *
 * mpdd is a child subreaper: if the template dies, its workers become
 * mpdd's children, and mpdd reaps them itself, so no exit status is lost.
 * A new template is started at once (after a pause if it keeps dying);
 * starts requested meanwhile wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "mpdd.h"
#include "worker.h"

/* How long start-up waits for the first template to report. */
#define TEMPLATE_READY_TIMEOUT_MS 30000
/* A template that dies sooner than this after starting is restarted only
 * after RESTART_BACKOFF_SEC, so a broken set-up cannot spin. */
#define TEMPLATE_MIN_LIFE_SEC 1.0
#define RESTART_BACKOFF_SEC   1
#define TEMPLATE_READ_CHUNK   (64 * 1024)
#define TEMPLATE_MAX_MESSAGE  (64 * 1024)

/* A message queued for the template, with the descriptors it carries. */
struct tmsg {
	TAILQ_ENTRY(tmsg) entry;
	int64_t id; /* the process it starts */
	char *buf;
	size_t len, off;
	int fds[3];
	int nfds; /* sent with the first byte; closed once sent */
};

static struct {
	pid_t pid;
	int fd;
	struct event *ev_read, *ev_write, *ev_restart;
	struct mpd_framer in;
	struct fdq fdq;
	TAILQ_HEAD(, tmsg) out;
	bool ready;
	unsigned restarts;
	struct timespec started;
	json_t *preloaded;
	char *init_error;
} tmpl = { .pid = -1, .fd = -1 };

static char *self_exe;
static char **preload;
static int npreload;
static unsigned pool_size;
static char **base_env; /* the daemon's environment, filtered, at start */
static int64_t *waiting; /* ids of starts waiting for a ready template */
static size_t nwaiting, cap_waiting;

/* Variables a worker never inherits from the daemon. */
static const char *const env_drop[] = {
	MPD_ENV_SOCKET,	   MPD_ENV_PROCESS_ID, MPD_ENV_PROCESS_NAME,
	MPD_ENV_PARENT_ID, "LISTEN_FDS",       "LISTEN_PID",
	"LISTEN_FDNAMES",  "NOTIFY_SOCKET",    "WATCHDOG_PID",
	"WATCHDOG_USEC",
};

static void tmpl_read_cb(evutil_socket_t fd, short events, void *arg);
static void tmpl_write_cb(evutil_socket_t fd, short events, void *arg);
static int tmpl_launch(void);
static void tmpl_flush_waiting(void);

static bool env_dropped(const char *kv)
{
	size_t n = strcspn(kv, "=");

	for (size_t i = 0; i < sizeof(env_drop) / sizeof(env_drop[0]); i++)
		if (strlen(env_drop[i]) == n &&
		    strncmp(kv, env_drop[i], n) == 0)
			return true;
	return false;
}

static void capture_env(void)
{
	extern char **environ;
	size_t n = 0, k = 0;

	while (environ[n] != NULL)
		n++;
	base_env = calloc(n + 1, sizeof(*base_env));
	if (base_env == NULL)
		fatal("%s: calloc", __func__);
	for (size_t i = 0; i < n; i++)
		if (!env_dropped(environ[i]) &&
		    (base_env[k] = strdup(environ[i])) != NULL)
			k++;
}

/*
 * Does p run as its owner rather than as us? Only a root daemon can, and
 * does, for every client but root: a system instance never runs a user's
 * code as root.
 */
static bool runs_as_owner(const struct proc *p)
{
	return geteuid() == 0 && p->uid != 0;
}

/* Is kv ("K=V") one of the variables that describe the user? */
static bool user_var(const char *kv)
{
	return strncmp(kv, "HOME=", 5) == 0 || strncmp(kv, "USER=", 5) == 0 ||
	       strncmp(kv, "LOGNAME=", 8) == 0;
}

/* The worker's environment for p, as a JSON array of "K=V" strings. */
static json_t *build_env(const struct proc *p)
{
	json_t *env = json_array();
	const char *key;
	json_t *v;
	char buf[64];
	bool as_owner = runs_as_owner(p);

	if (env == NULL)
		return NULL;
	for (size_t i = 0; !p->env_clear && base_env[i] != NULL; i++) {
		size_t n = strcspn(base_env[i], "=");
		bool overridden = false;

		json_object_foreach (p->env, key, v) {
			if (strlen(key) == n &&
			    strncmp(key, base_env[i], n) == 0) {
				overridden = true;
				break;
			}
		}
		/* Root's HOME is not the worker's. */
		if (as_owner && user_var(base_env[i]))
			overridden = true;
		if (!overridden)
			json_array_append_new(env, json_string(base_env[i]));
	}
	json_object_foreach (p->env, key, v) {
		if (env_dropped(key))
			continue;
		json_array_append_new(env, json_sprintf("%s=%s", key,
							json_string_value(v)));
	}
	if (as_owner) {
		struct passwd pw, *pwp = NULL;
		char pwbuf[4096];

		getpwuid_r(p->uid, &pw, pwbuf, sizeof(pwbuf), &pwp);
		if (pwp != NULL) {
			const char *vars[3][2] = { { "HOME", pw.pw_dir },
						   { "USER", pw.pw_name },
						   { "LOGNAME", pw.pw_name } };

			for (int i = 0; i < 3; i++)
				if (json_object_get(p->env, vars[i][0]) == NULL)
					json_array_append_new(
						env, json_sprintf("%s=%s",
								  vars[i][0],
								  vars[i][1]));
		}
	}
	json_array_append_new(env, json_sprintf("%s=%s", MPD_ENV_SOCKET,
						mpdd.opt.socket_path));
	snprintf(buf, sizeof(buf), "%lld", (long long)p->id);
	json_array_append_new(env,
			      json_sprintf("%s=%s", MPD_ENV_PROCESS_ID, buf));
	json_array_append_new(env, json_sprintf("%s=%s", MPD_ENV_PROCESS_NAME,
						p->name));
	if (p->parent > 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)p->parent);
		json_array_append_new(
			env, json_sprintf("%s=%s", MPD_ENV_PARENT_ID, buf));
	}
	return env;
}

/* Queue a message for the template; fds (nfds) are the queue's now. */
static int tmpl_queue(int64_t id, json_t *msg, const int *fds, int nfds)
{
	struct tmsg *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->buf = mpd_rpc_encode(msg, &m->len)) == NULL) {
		free(m);
		return -1;
	}
	m->id = id;
	for (int i = 0; i < nfds; i++)
		m->fds[i] = fds[i];
	m->nfds = nfds;
	TAILQ_INSERT_TAIL(&tmpl.out, m, entry);
	if (!event_pending(tmpl.ev_write, EV_WRITE, NULL))
		event_active(tmpl.ev_write, EV_WRITE, 0);
	return 0;
}

static void tmsg_free(struct tmsg *m)
{
	for (int i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	free(m->buf);
	free(m);
}

static void tmpl_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct tmsg *m;
	ssize_t n;

	while (tmpl.fd >= 0 && (m = TAILQ_FIRST(&tmpl.out)) != NULL) {
		n = fdio_send(tmpl.fd, m->buf + m->off, m->len - m->off,
			      m->off == 0 ? m->fds : NULL,
			      m->off == 0 ? m->nfds : 0);
		if (n == -1) {
			if (errno == EAGAIN) {
				event_add(tmpl.ev_write, NULL);
				return;
			}
			/* The template is gone. Its death is handled on
			 * SIGCHLD; what it never received is sent to the
			 * next one. */
			log_debug("template channel: %s", strerror(errno));
			return;
		}
		m->off += (size_t)n;
		if (m->off == m->len) {
			TAILQ_REMOVE(&tmpl.out, m, entry);
			tmsg_free(m);
		}
	}
}

/* In the template's child before its exec: add glibc.pthread.rseq=0 to
 * the glibc tunables it inherits. */
static void tmpl_tunables(void)
{
	static const char rseq_off[] = "glibc.pthread.rseq=0";
	const char *t = getenv("GLIBC_TUNABLES");
	char *v;

	if (t == NULL || *t == '\0') {
		setenv("GLIBC_TUNABLES", rseq_off, 1);
		return;
	}
	if (asprintf(&v, "%s:%s", t, rseq_off) >= 0)
		setenv("GLIBC_TUNABLES", v, 1);
}

/* Send p's spawn request (p is STARTING, the template is ready). */
static void tmpl_spawn(struct proc *p)
{
	json_t *msg, *env = build_env(p);
	int fds[3], nfds = 0;

	/* "op", "id" and "exec" first: the template reads only them
	 * (template.c, SPAWN_PREFIX and EXEC_MARK); jansson keeps the
	 * members in this order. */
	msg = json_pack("{s:s, s:I, s:b, s:s, s:O, s:o, s:s?, s:O, s:s, s:I, "
			"s:s}",
			"op", "spawn", "id", (json_int_t)p->id, "exec",
			json_object_get(p->target, "argv") != NULL, "name",
			p->name, "target", p->target, "env",
			env != NULL ? env : json_null(), "cwd", p->cwd, "stdio",
			p->stdio, "method",
			p->spawn_method ? "spawn" : "forkserver", "parent",
			(json_int_t)p->parent, "socket", mpdd.opt.socket_path);
	if (msg != NULL && json_object_get(p->target, "function") != NULL)
		json_object_set(msg, "args", p->args ? p->args : json_null());
	if (msg != NULL && runs_as_owner(p)) {
		json_t *groups = json_array();

		for (int i = 0; groups != NULL && i < p->ngroups; i++)
			json_array_append_new(groups,
					      json_integer(p->groups[i]));
		json_object_set_new(msg, "uid", json_integer(p->uid));
		json_object_set_new(msg, "gid", json_integer(p->gid));
		json_object_set_new(msg, "groups", groups);
	}
	for (int i = 0; i < 3; i++)
		if (p->fds[i] >= 0)
			fds[nfds++] = p->fds[i];
	if (msg == NULL || tmpl_queue(p->id, msg, fds, nfds) == -1) {
		json_decref(msg);
		proctab_failed(p, "setup", ENOMEM, "out of memory");
		return;
	}
	/* The queue owns the descriptors now. */
	p->fds[0] = p->fds[1] = p->fds[2] = -1;
	json_decref(msg);
}

/* Start p (STARTING): now, or as soon as a template is ready. */
void spawner_start_proc(struct proc *p)
{
	if (tmpl.ready) {
		tmpl_spawn(p);
		return;
	}
	if (nwaiting == cap_waiting) {
		size_t ncap = cap_waiting ? cap_waiting * 2 : 16;
		int64_t *n = realloc(waiting, ncap * sizeof(*n));

		if (n == NULL) {
			proctab_failed(p, "setup", ENOMEM, "out of memory");
			return;
		}
		waiting = n;
		cap_waiting = ncap;
	}
	waiting[nwaiting++] = p->id;
}

static void tmpl_flush_waiting(void)
{
	for (size_t i = 0; i < nwaiting; i++) {
		struct proc *p = proctab_by_id(waiting[i]);

		if (p != NULL && p->state == PROC_STARTING)
			tmpl_spawn(p);
	}
	nwaiting = 0;
}

/* Fail every start that waits for a template, with why. */
static void tmpl_fail_waiting(const char *why)
{
	for (size_t i = 0; i < nwaiting; i++) {
		struct proc *p = proctab_by_id(waiting[i]);

		if (p != NULL && p->state == PROC_STARTING)
			proctab_failed(p, "setup", 0, why);
	}
	nwaiting = 0;
}

/* One message from the template (fd: the descriptor it carried, or -1,
 * ours to keep or close). */
static void tmpl_message(json_t *msg, int fd)
{
	const char *ev = json_string_value(json_object_get(msg, "ev"));
	struct proc *p =
		proctab_by_id(json_integer_value(json_object_get(msg, "id")));
	pid_t pid = (pid_t)json_integer_value(json_object_get(msg, "pid"));

	if (ev == NULL) {
		log_warnx("template sent a message without \"ev\"");
	} else if (strcmp(ev, "ready") == 0) {
		json_decref(tmpl.preloaded);
		tmpl.preloaded = json_incref(json_object_get(msg, "preloaded"));
		tmpl.ready = true;
		log_info("template ready, pid %ld", (long)tmpl.pid);
		tmpl_flush_waiting();
	} else if (strcmp(ev, "init_failed") == 0) {
		free(tmpl.init_error);
		tmpl.init_error = strdup(
			json_string_value(json_object_get(msg, "message")) ?:
				"unknown error");
		log_warnx("template: %s", tmpl.init_error);
	} else if (strcmp(ev, "spawned") == 0) {
		if (p != NULL && p->state == PROC_STARTING && fd >= 0) {
			proctab_started(p, pid, fd);
			fd = -1;
		} else {
			log_warnx("template started process %lld, which is "
				  "not starting",
				  (long long)json_integer_value(
					  json_object_get(msg, "id")));
		}
	} else if (strcmp(ev, "failed") == 0) {
		json_t *e = json_object_get(msg, "errno");

		if (p != NULL && p->state == PROC_STARTING)
			proctab_failed(
				p,
				json_string_value(json_object_get(msg, "stage")) ?:
					"setup",
				json_is_integer(e) ?
					(int)json_integer_value(e) :
					0,
				json_string_value(json_object_get(msg, "message")) ?:
					"");
	} else if (strcmp(ev, "exited") == 0) {
		if (p != NULL && p->pid == pid)
			proctab_exited(p,
				       (int)json_integer_value(
					       json_object_get(msg, "status")),
				       true);
	} else {
		log_warnx("template sent unknown event \"%s\"", ev);
	}
	if (fd >= 0)
		close(fd);
}

/* Handle every complete line buffered from the template. */
static void tmpl_drain_lines(void)
{
	char *line;
	size_t len;
	int fds[MPD_MAX_FDS_PER_MESSAGE], nfds;

	for (;;) {
		enum mpd_frame_status st =
			mpd_framer_next(&tmpl.in, &line, &len);
		json_t *msg;

		if (st == MPD_FRAME_NEED_MORE)
			return;
		if (st == MPD_FRAME_TOO_LONG)
			fatalx("template sent a message over %d bytes",
			       TEMPLATE_MAX_MESSAGE);
		nfds = fdq_take(&tmpl.fdq, tmpl.in.consumed, fds,
				MPD_MAX_FDS_PER_MESSAGE);
		msg = json_loadb(line, len, 0, NULL);
		if (msg == NULL)
			fatalx("template sent garbage: %.*s", (int)len, line);
		for (int i = 1; i < nfds; i++)
			close(fds[i]);
		tmpl_message(msg, nfds > 0 ? fds[0] : -1);
		json_decref(msg);
	}
}

/* Read what the template sent. Returns false at EOF or error. */
static bool tmpl_read(void)
{
	ssize_t n = fdq_read(tmpl.fd, &tmpl.in, &tmpl.fdq, TEMPLATE_READ_CHUNK);

	if (n > 0) {
		tmpl_drain_lines();
		return true;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return true;
	return false;
}

static void tmpl_read_cb(evutil_socket_t fd, short events, void *arg)
{
	if (!tmpl_read()) {
		/* The template is gone; SIGCHLD tells us how. */
		event_del(tmpl.ev_read);
	}
}

/* Whatever the template never received in full goes back to waiting for
 * the next one, with its descriptors: it cannot have acted on it. */
static void tmpl_requeue_unsent(void)
{
	struct tmsg *m;

	while ((m = TAILQ_FIRST(&tmpl.out)) != NULL) {
		struct proc *p = proctab_by_id(m->id);

		TAILQ_REMOVE(&tmpl.out, m, entry);
		if (p != NULL && p->state == PROC_STARTING) {
			for (int i = 0, k = 0; i < 3 && k < m->nfds; i++) {
				const char *s = json_string_value(
					json_array_get(p->stdio, i));

				if (s != NULL && strcmp(s, "pass") == 0)
					p->fds[i] = m->fds[k++];
			}
			m->nfds = 0;
			spawner_start_proc(p);
		}
		tmsg_free(m);
	}
}

/* Close the channel and forget this template's state. */
static void tmpl_close(void)
{
	struct tmsg *m;

	if (tmpl.ev_read != NULL) {
		event_free(tmpl.ev_read);
		event_free(tmpl.ev_write);
		tmpl.ev_read = tmpl.ev_write = NULL;
	}
	if (tmpl.fd >= 0)
		close(tmpl.fd);
	tmpl.fd = -1;
	while ((m = TAILQ_FIRST(&tmpl.out)) != NULL) {
		TAILQ_REMOVE(&tmpl.out, m, entry);
		tmsg_free(m);
	}
	mpd_framer_free(&tmpl.in);
	fdq_clear(&tmpl.fdq);
	tmpl.ready = false;
}

/* fork + exec the template; the channel is set up, readiness comes later.
 * Returns 0, or -1 (logged). */
static int tmpl_launch(void)
{
	char fdarg[16], poolarg[16], *argv[10 + 2 * 64];
	int sv[2], n = 0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("template: socketpair");
		return -1;
	}
	argv[n++] = "mpdd";
	argv[n++] = "--template";
	snprintf(fdarg, sizeof(fdarg), "%d", 3);
	argv[n++] = fdarg;
	argv[n++] = "--log-level";
	argv[n++] = (char *)log_level_name(log_get_level());
	snprintf(poolarg, sizeof(poolarg), "%u", pool_size);
	argv[n++] = "--pool";
	argv[n++] = poolarg;
	for (int i = 0; i < npreload; i++) {
		argv[n++] = "--preload";
		argv[n++] = preload[i];
	}
	argv[n] = NULL;

	pid = fork();
	if (pid == -1) {
		log_warn("template: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		/* Its own group: a terminal's Ctrl-C is mpdd's to handle. */
		setpgid(0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		if (dup2(sv[1], 3) == -1)
			_exit(127);
		/* Every symbol of every library bound in the template, once:
		 * bound lazily, each worker would look up again the ones the
		 * template never called, touching (and, after a fork,
		 * faulting in) page after page of symbol tables. Workers get
		 * their own environment, without it. */
		setenv("LD_BIND_NOW", "1", 1);
		/* No restartable-sequence area for the kernel to write into
		 * the template's thread block after each fork (a fault each
		 * time); workers started by fork inherit that. */
		tmpl_tunables();
		execv(self_exe, argv);
		dprintf(STDERR_FILENO, "mpdd: cannot exec %s: %s\n", self_exe,
			strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	tmpl.pid = pid;
	tmpl.fd = sv[0];
	fcntl(tmpl.fd, F_SETFL, fcntl(tmpl.fd, F_GETFL) | O_NONBLOCK);
	mpd_framer_init(&tmpl.in, TEMPLATE_MAX_MESSAGE);
	fdq_init(&tmpl.fdq);
	TAILQ_INIT(&tmpl.out);
	clock_gettime(CLOCK_MONOTONIC, &tmpl.started);
	tmpl.ev_read = event_new(mpdd.base, tmpl.fd, EV_READ | EV_PERSIST,
				 tmpl_read_cb, NULL);
	tmpl.ev_write =
		event_new(mpdd.base, tmpl.fd, EV_WRITE, tmpl_write_cb, NULL);
	if (tmpl.ev_read == NULL || tmpl.ev_write == NULL)
		fatalx("%s: cannot allocate events", __func__);
	log_debug("template started, pid %ld", (long)pid);
	return 0;
}

static void tmpl_restart_cb(evutil_socket_t fd, short events, void *arg)
{
	if (tmpl_launch() == -1) {
		struct timeval tv = { RESTART_BACKOFF_SEC, 0 };

		tmpl_fail_waiting("no template process could be started");
		evtimer_add(tmpl.ev_restart, &tv);
		return;
	}
	event_add(tmpl.ev_read, NULL);
}

/* The template exited with status: recover what it said, fail the starts
 * it did not answer, start a new one. */
static void tmpl_died(int status)
{
	double lived = mono_since(&tmpl.started);
	struct timeval tv = { 0, 0 };

	if (WIFSIGNALED(status))
		log_warnx("template (pid %ld) killed by signal %d; restarting",
			  (long)tmpl.pid, WTERMSIG(status));
	else
		log_warnx("template (pid %ld) exited with status %d; "
			  "restarting",
			  (long)tmpl.pid, WEXITSTATUS(status));
	/* Everything it sent is in the socket now: take it all. */
	while (tmpl.fd >= 0 && tmpl_read())
		;
	tmpl.ready = false;
	tmpl_requeue_unsent();
	tmpl_close();
	tmpl.pid = -1;
	tmpl.restarts++;
	/* Starts it had been asked for and did not answer. Ids first:
	 * failing a start may drop old records from the table. */
	size_t nlost = 0;
	int64_t *lost = calloc(proctab_count() + 1, sizeof(*lost));

	for (size_t i = 0; lost != NULL && i < proctab_count(); i++) {
		struct proc *p = proctab_at(i);
		bool queued = false;

		for (size_t k = 0; k < nwaiting; k++)
			queued |= waiting[k] == p->id;
		if (p->state == PROC_STARTING && !queued)
			lost[nlost++] = p->id;
	}
	for (size_t i = 0; i < nlost; i++) {
		struct proc *p = proctab_by_id(lost[i]);

		if (p != NULL && p->state == PROC_STARTING)
			proctab_failed(p, "setup", 0,
				       "the template process exited before "
				       "it answered");
	}
	free(lost);
	if (lived < TEMPLATE_MIN_LIFE_SEC)
		tv.tv_sec = RESTART_BACKOFF_SEC;
	evtimer_add(tmpl.ev_restart, &tv);
}

/* SIGCHLD: reap the template and workers orphaned to us. */
void spawner_sigchld(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct proc *p;

		if (pid == tmpl.pid) {
			tmpl_died(status);
			continue;
		}
		p = proctab_by_pid(pid);
		if (p != NULL)
			proctab_exited(p, status, true);
		else
			log_debug("reaped pid %ld, not a process we know",
				  (long)pid);
	}
}

/*
 * Become a subreaper and start the first template, waiting until it is
 * ready. Returns 0, or -1 (logged: a preload module that failed, say).
 */
int spawner_init(const char *exe, char *const *pre, int npre, unsigned pool)
{
	struct pollfd pfd;
	int timeout = TEMPLATE_READY_TIMEOUT_MS;

	self_exe = strdup(exe);
	preload = (char **)pre;
	npreload = npre;
	pool_size = pool;
	capture_env();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("PR_SET_CHILD_SUBREAPER");
	tmpl.ev_restart = evtimer_new(mpdd.base, tmpl_restart_cb, NULL);
	if (self_exe == NULL || tmpl.ev_restart == NULL || tmpl_launch() == -1)
		return -1;
	/* Start-up waits for the verdict: ready, or why not. */
	while (!tmpl.ready && tmpl.init_error == NULL) {
		pfd.fd = tmpl.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout) <= 0) {
			log_warnx("template did not report ready in %d s",
				  TEMPLATE_READY_TIMEOUT_MS / 1000);
			return -1;
		}
		if (!tmpl_read()) {
			log_warnx("template exited during start-up");
			return -1;
		}
	}
	if (tmpl.init_error != NULL)
		return -1;
	event_add(tmpl.ev_read, NULL);
	return 0;
}

/* The template part of daemon.info (a new reference). */
json_t *spawner_info(void)
{
	return json_pack("{s:o, s:b, s:I, s:O, s:I}", "pid",
			 tmpl.pid > 0 ? json_integer(tmpl.pid) : json_null(),
			 "ready", tmpl.ready, "restarts",
			 (json_int_t)tmpl.restarts, "preloaded",
			 tmpl.preloaded ? tmpl.preloaded : json_null(), "pool",
			 (json_int_t)pool_size);
}

/* At exit: stop the template (its workers live on) and free our state. */
void spawner_shutdown(void)
{
	pid_t pid = tmpl.pid;

	tmpl_close();
	if (pid > 0) {
		/* It exits on EOF; TERM in case it is busy. */
		kill(pid, SIGTERM);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	tmpl.pid = -1;
	if (tmpl.ev_restart != NULL)
		event_free(tmpl.ev_restart);
	tmpl.ev_restart = NULL;
	json_decref(tmpl.preloaded);
	free(tmpl.init_error);
	free(self_exe);
	free(waiting);
	for (size_t i = 0; base_env != NULL && base_env[i] != NULL; i++)
		free(base_env[i]);
	free(base_env);
}
