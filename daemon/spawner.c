/*
 * spawner.c - the daemon's side of the template (the forkserver).
 *
 * mpdd starts the template by fork + exec of its own binary in template
 * mode (daemon/template/), over a socketpair, so every worker is cloned
 * from a small, clean, single-threaded image with no event loop and no
 * client sockets. The channel (channel.h) carries lines both ways, with
 * descriptors as SCM_RIGHTS: spawn requests (a head, then a JSON body,
 * with the start report pipe and the "pass" stdio fds) one way; ready,
 * forked (with the worker's pidfd), failed (no child could be made) and
 * exited the other.
 *
 * How a start went mpdd learns from the child itself: each start has a
 * report pipe whose read end mpdd keeps (struct pstart). The child writes
 * its pid first thing, then a report only if its set-up fails; EOF after
 * the pid alone means the target runs. So a template that dies at any
 * moment loses no start: a child that wrote its pid ran (or is about to)
 * and is tracked to its exit; a start whose pipe ends without a pid ran
 * nothing, and only then is it reported failed.
 *
 * mpdd is a child subreaper: if the template dies, its workers become
 * mpdd's children, and mpdd reaps them itself, matching each to its record
 * by the pid its pipe gave (the template reaps a child only after it has
 * sent its exit), so no exit status is lost. A new template is started at
 * once (after a pause if it keeps dying); starts requested meanwhile wait
 * for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
/* Descriptors a start takes: its report pipe, then the worker's pidfd. */
#define START_FDS 3
/* Descriptors no start may take: for accepting and serving clients, the
 * template channel, and what is open for a moment. */
#define START_FD_RESERVE 32
/* Templates a start may see die before it ran anything, the last
 * included, before it fails. */
#define START_TRIES 3

/* A start in progress: its report pipe and what is known so far. */
struct pstart {
	int rfd; /* the report pipe's read end, -1 at EOF */
	int wfd; /* its write end, until handed to the template */
	struct event *ev;
	unsigned char buf[sizeof(int32_t) + sizeof(struct start_report)];
	size_t got;
	bool eof;
	bool sent; /* handed to the template (which may have acted) */
	bool orphaned; /* ... and that template died */
	bool forked; /* the template named the child it forked */
	int pidfd; /* ... with this pidfd, or -1 */
	bool exited; /* the child ended before the start settled */
	int status;
	json_t *fail; /* the template could make no child: why */
	unsigned tries; /* templates that died with it and ran nothing */
};

/* A message queued for the template, with the descriptors it carries. */
struct tmsg {
	TAILQ_ENTRY(tmsg) entry;
	int64_t id; /* the process it starts */
	char *buf;
	size_t len, off;
	/* the report pipe, the worker's descriptors, the "pass" streams */
	int fds[FDIO_MAX_FDS];
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
static size_t nstarts; /* struct pstart alive: each will want a pidfd */

/* Variables a worker never inherits from the daemon. */
static const char *const env_drop[] = {
	MPD_ENV_SOCKET,	   MPD_ENV_PROCESS_ID, MPD_ENV_PROCESS_NAME,
	MPD_ENV_PARENT_ID, MPD_ENV_FDS,	       "LISTEN_FDS",
	"LISTEN_PID",	   "LISTEN_FDNAMES",   "NOTIFY_SOCKET",
	"WATCHDOG_PID",	   "WATCHDOG_USEC",
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

/* MPD_FDS=NAME:NAME... for the names (a JSON array of strings), as
 * LISTEN_FDNAMES: a new string, or NULL when out of memory. */
static json_t *fds_var(const json_t *names)
{
	size_t len = strlen(MPD_ENV_FDS) + 1, i, off;
	json_t *v, *var;
	char *s;

	json_array_foreach (names, i, v)
		len += json_string_length(v) + 1;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	off = (size_t)sprintf(s, "%s=", MPD_ENV_FDS);
	json_array_foreach (names, i, v) {
		if (i > 0)
			s[off++] = ':';
		memcpy(s + off, json_string_value(v), json_string_length(v));
		off += json_string_length(v);
	}
	var = json_stringn(s, off);
	free(s);
	return var;
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
	if (p->nwfds > 0)
		json_array_append_new(env, fds_var(p->fdnames));
	return env;
}

/*
 * Queue a request for the template: the head (kind, id, flags; see
 * channel.h), then msg as its body. fds (nfds) are the queue's now.
 */
static int tmpl_queue(const char *kind, int64_t id, unsigned flags, json_t *msg,
		      const int *fds, int nfds)
{
	struct tmsg *m = calloc(1, sizeof(*m));
	char head[CHAN_HEAD_MAX];
	int hlen = snprintf(head, sizeof(head), "%s %lld %u ", kind,
			    (long long)id, flags);
	size_t blen;
	char *body = NULL;

	if (m == NULL || hlen < 0 || (size_t)hlen >= sizeof(head) ||
	    (body = mpd_rpc_encode(msg, &blen)) == NULL ||
	    (m->buf = malloc((size_t)hlen + blen)) == NULL) {
		free(body);
		free(m);
		return -1;
	}
	memcpy(m->buf, head, (size_t)hlen);
	memcpy(m->buf + hlen, body, blen);
	free(body);
	m->len = (size_t)hlen + blen;
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
	mpdd.fd_procs -= (size_t)m->nfds;
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

/* Is there room for a start that copies extra descriptors for the
 * template? See spawner_fd_room(). */
static bool fd_room(size_t extra)
{
	size_t used = mpdd.fd_base + mpdd.nconns + mpdd.fd_procs +
		      mpdd.fd_chan + nstarts + START_FD_RESERVE;

	return used + START_FDS + extra <= mpdd.fd_limit;
}

/*
 * Is there room for one more start within the descriptor limit? Every
 * start takes START_FDS until its worker ends; START_FD_RESERVE stay free
 * for clients (accept, replies) and the template channel.
 */
bool spawner_fd_room(void)
{
	return fd_room(0);
}

/* The same for p's start, which also takes, for a moment, a copy of
 * each descriptor p gives its worker (p's own are counted already). */
bool spawner_start_room(const struct proc *p)
{
	return fd_room((size_t)p->nwfds);
}

/*
 * May a new record hold n more descriptors (its "fds" and "pass" streams,
 * not counted yet) until it starts? Only when its start would find room
 * for them and their copies then: else records never started could take
 * every descriptor the daemon has, and no one could connect.
 */
bool spawner_hold_room(size_t n)
{
	return fd_room(2 * n);
}

static void report_cb(evutil_socket_t fd, short events, void *arg);

/*
 * Open p's start report pipe, before anything is asked of the template.
 * Returns 0, or -errno (EMFILE, ENFILE: out of descriptors; ENOMEM).
 */
int spawner_prepare(struct proc *p)
{
	struct pstart *ps = calloc(1, sizeof(*ps));
	int fds[2];

	if (ps == NULL)
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		int e = errno;

		free(ps);
		return -e;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	ps->rfd = fds[0];
	ps->wfd = fds[1];
	ps->pidfd = -1;
	ps->ev = event_new(mpdd.base, ps->rfd, EV_READ | EV_PERSIST, report_cb,
			   p);
	if (ps->ev == NULL || event_add(ps->ev, NULL) == -1) {
		if (ps->ev != NULL)
			event_free(ps->ev);
		close(fds[0]);
		close(fds[1]);
		free(ps);
		return -ENOMEM;
	}
	mpdd.fd_procs += 2;
	nstarts++;
	p->ps = ps;
	return 0;
}

/* Drop p's start state (closing what it holds), but not the descriptors
 * of its "pass" streams. */
static void pstart_free(struct proc *p)
{
	struct pstart *ps = p->ps;

	if (ps == NULL)
		return;
	if (ps->ev != NULL)
		event_free(ps->ev);
	if (ps->rfd >= 0) {
		close(ps->rfd);
		mpdd.fd_procs--;
	}
	if (ps->wfd >= 0) {
		close(ps->wfd);
		mpdd.fd_procs--;
	}
	if (ps->pidfd >= 0) {
		close(ps->pidfd);
		mpdd.fd_procs--;
	}
	json_decref(ps->fail);
	free(ps);
	p->ps = NULL;
	nstarts--;
}

/*
 * Send sig to the child of p, which is starting, if it can be named
 * safely: once its pidfd has come from the template. Before its exec (or
 * its function's call) the child blocks or has reset its signals, so a
 * termination ends it, even in a call that waits on its client's file
 * system. Returns true when sent.
 */
bool spawner_signal(struct proc *p, int sig)
{
	struct pstart *ps = p->ps;

	if (ps == NULL || ps->pidfd < 0)
		return false;
	return pidfd_send_signal(ps->pidfd, sig, NULL, 0) == 0;
}

/*
 * Drop p's start state, and with it the descriptors of its "pass"
 * streams and those it gives its worker: the template was sent copies,
 * and a start that is over (run or failed) needs them no more. From here
 * on only the worker (and what it hands them to) holds them.
 */
void spawner_forget(struct proc *p)
{
	if (p->ps == NULL)
		return;
	pstart_free(p);
	for (int i = 0; i < 3; i++) {
		if (p->fds[i] >= 0) {
			close(p->fds[i]);
			p->fds[i] = -1;
			mpdd.fd_procs--;
		}
	}
	for (int i = 0; i < p->nwfds; i++)
		close(p->wfds[i]);
	mpdd.fd_procs -= (size_t)p->nwfds;
	free(p->wfds);
	p->wfds = NULL;
	p->nwfds = 0;
}

/*
 * p's template died and no child of p's start wrote its pid: nothing ran,
 * so the start goes to the next template, up to START_TRIES times.
 * Returns false when p must fail instead.
 */
static bool start_retry(struct proc *p)
{
	unsigned tries = p->ps->tries + 1;

	if (tries >= START_TRIES)
		return false;
	pstart_free(p);
	if (spawner_prepare(p) < 0)
		return false;
	p->ps->tries = tries;
	log_debug("process %lld: its template died before it ran anything; "
		  "starting it on the next",
		  (long long)p->id);
	spawner_start_proc(p);
	return true;
}

/* p failed to start: nothing ran. */
static void start_failed(struct proc *p, const char *stage, int err,
			 const char *message)
{
	spawner_forget(p);
	p->pid = -1; /* a child that failed its set-up is no process of it */
	process_start_failed(p, stage, err, message);
}

/* Read what p's child wrote on its report pipe, to EOF if it is there.
 * Learns the child's pid (p->pid) as soon as it is written. */
static void report_read(struct proc *p)
{
	struct pstart *ps = p->ps;
	unsigned char sink[64];
	ssize_t n;

	while (ps->rfd >= 0) {
		size_t room = sizeof(ps->buf) - ps->got;

		n = room > 0 ? read(ps->rfd, ps->buf + ps->got, room) :
			       read(ps->rfd, sink, sizeof(sink));
		if (n > 0) {
			if (room > 0)
				ps->got += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		/* EOF: the template and the child have both let go. */
		event_free(ps->ev);
		ps->ev = NULL;
		close(ps->rfd);
		ps->rfd = -1;
		mpdd.fd_procs--;
		ps->eof = true;
	}
	if (ps->got >= sizeof(int32_t) && p->pid <= 0) {
		int32_t pid;

		memcpy(&pid, ps->buf, sizeof(pid));
		p->pid = (pid_t)pid;
	}
}

/*
 * Decide p's start once enough is known: the report pipe at EOF, and for
 * a child that ran, its pidfd (from the template, or, once the template
 * is dead, opened here). May end p (and drop older records): p must not
 * be used after.
 */
static void start_settle(struct proc *p)
{
	struct pstart *ps = p->ps;
	size_t full = sizeof(int32_t) + sizeof(struct start_report);
	int pidfd = -1, status = ps->status;
	bool exited = ps->exited;

	if (!ps->eof)
		return;
	if (ps->got == full) {
		struct start_report rep;

		memcpy(&rep, ps->buf + sizeof(int32_t), sizeof(rep));
		rep.message[sizeof(rep.message) - 1] = '\0';
		start_failed(p, start_stage_name(rep.stage), rep.err,
			     rep.message);
		return;
	}
	if (ps->got > sizeof(int32_t)) {
		start_failed(p, "setup", 0, "the child's report was cut short");
		return;
	}
	if (ps->got < sizeof(int32_t)) {
		/* No child of this start wrote its pid: none ran. */
		if (ps->fail != NULL) {
			json_t *f = json_incref(ps->fail);
			json_t *e = json_object_get(f, CHAN_K_ERRNO);

			start_failed(
				p,
				json_string_value(json_object_get(f, CHAN_K_STAGE)) ?:
					"setup",
				json_is_integer(e) ?
					(int)json_integer_value(e) :
					0,
				json_string_value(json_object_get(f, CHAN_K_MESSAGE)) ?:
					"");
			json_decref(f);
		} else if (ps->forked) {
			start_failed(p, "setup", 0,
				     "the child ended before it started");
		} else if (ps->orphaned && !start_retry(p)) {
			start_failed(p, "fork", 0,
				     "the template process exited before it "
				     "started the process");
		}
		return;
	}
	/* A child ran. */
	if (!exited && ps->pidfd < 0 && !ps->forked) {
		if (!ps->orphaned)
			return; /* its pidfd is on the way */
		/*
		 * The template died before it named the child. The child is
		 * ours now (subreaper) and unreaped: the template reaps only
		 * after it has sent an exit, and every message it sent has
		 * been read; mpdd matches each child it reaps to its record
		 * first. So the pid is still the child's.
		 */
		pidfd = pidfd_open(p->pid, 0);
		if (pidfd >= 0) {
			mpdd.fd_procs++;
		} else {
			log_warn("process %lld: pidfd_open(%ld)",
				 (long long)p->id, (long)p->pid);
		}
	} else if (!exited) {
		pidfd = ps->pidfd;
		ps->pidfd = -1;
		if (pidfd < 0)
			log_warnx("process %lld: started without a pidfd; it "
				  "cannot be signalled",
				  (long long)p->id);
	}
	spawner_forget(p);
	process_started(p, p->pid, pidfd);
	/* Answering the starter cannot drop a running record. */
	if (exited && p->state == PROC_RUNNING)
		process_exited(p, status, true);
}

static void report_cb(evutil_socket_t fd, short events, void *arg)
{
	struct proc *p = arg;

	report_read(p);
	start_settle(p);
}

/* p's child ended (status) while its start was being settled. */
static void start_exited(struct proc *p, int status)
{
	p->ps->exited = true;
	p->ps->status = status;
	report_read(p);
	start_settle(p);
}

/* Send p's spawn request (p is STARTING, the template is ready). */
static void tmpl_spawn(struct proc *p)
{
	json_t *msg, *env = build_env(p);
	int fds[FDIO_MAX_FDS], nfds = 0;
	int src[MPD_MAX_FDS_PER_MESSAGE + 3], nsrc = 0;

	/* The kind, the id and whether it is a program's go in the head
	 * (tmpl_queue()); the body holds the rest. */
	msg = json_pack(
		"{s:s, s:O, s:o, s:s?, s:o, s:s, s:I, s:s}", CHAN_K_NAME,
		p->name, CHAN_K_TARGET, p->target, CHAN_K_ENV,
		env != NULL ? env : json_null(), CHAN_K_CWD, p->cwd,
		CHAN_K_STDIO, capture_template_stdio(p), CHAN_K_METHOD,
		p->spawn_method ? CHAN_METHOD_SPAWN : CHAN_METHOD_FORKSERVER,
		CHAN_K_PARENT, (json_int_t)p->parent, CHAN_K_SOCKET,
		mpdd.opt.socket_path);
	if (msg != NULL && json_object_get(p->target, CHAN_K_MODULE) != NULL)
		json_object_set(msg, CHAN_K_ARGS,
				p->args ? p->args : json_null());
	/* A pool's function worker: its initializer is the target's
	 * function (if any), then it takes tasks. */
	if (msg != NULL && p->pool != NULL &&
	    json_object_get(p->target, CHAN_K_MODULE) != NULL)
		json_object_set_new(msg, CHAN_K_POOL, json_true());
	if (msg != NULL && p->ctty)
		json_object_set_new(msg, CHAN_K_CTTY, json_true());
	if (msg != NULL && p->nwfds > 0)
		json_object_set_new(msg, CHAN_K_FDS, json_integer(p->nwfds));
	if (msg != NULL && runs_as_owner(p)) {
		json_t *groups = json_array();

		for (int i = 0; groups != NULL && i < p->ngroups; i++)
			json_array_append_new(groups,
					      json_integer(p->groups[i]));
		json_object_set_new(msg, CHAN_K_UID, json_integer(p->uid));
		json_object_set_new(msg, CHAN_K_GID, json_integer(p->gid));
		json_object_set_new(msg, CHAN_K_GROUPS, groups);
	}
	fds[nfds++] = p->ps->wfd;
	/* The template gets copies of the worker's descriptors, then of the
	 * "pass" streams: p keeps its own until the start is over, for a
	 * next template should this one die before it ran anything. */
	for (int i = 0; i < p->nwfds; i++)
		src[nsrc++] = p->wfds[i];
	for (int i = 0; i < 3; i++)
		if (p->fds[i] >= 0)
			src[nsrc++] = p->fds[i];
	for (int i = 0; i < nsrc; i++) {
		fds[nfds] = fcntl(src[i], F_DUPFD_CLOEXEC, 0);
		if (fds[nfds] == -1) {
			int e = errno;

			while (nfds > 1) {
				close(fds[--nfds]);
				mpdd.fd_procs--;
			}
			json_decref(msg);
			start_failed(p, i < p->nwfds ? "setup" : "stdio", e,
				     i < p->nwfds ?
					     "cannot hold a copy of a passed "
					     "descriptor" :
					     "cannot hold a copy of a passed "
					     "stream");
			return;
		}
		nfds++;
		mpdd.fd_procs++;
	}
	if (msg == NULL ||
	    tmpl_queue(CHAN_REQ_SPAWN, p->id,
		       json_object_get(p->target, CHAN_K_ARGV) != NULL ?
			       CHAN_F_EXEC :
			       0,
		       msg, fds, nfds) == -1) {
		while (nfds > 1) {
			close(fds[--nfds]);
			mpdd.fd_procs--;
		}
		json_decref(msg);
		start_failed(p, "setup", ENOMEM, "out of memory");
		return;
	}
	/* The queue owns the descriptors now. */
	p->ps->wfd = -1;
	p->ps->sent = true;
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
			start_failed(p, "setup", ENOMEM, "out of memory");
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

/* Fail every start that waits for a template: no template could be
 * forked (err), so nothing ran. */
static void tmpl_fail_waiting(int err, const char *why)
{
	for (size_t i = 0; i < nwaiting; i++) {
		struct proc *p = proctab_by_id(waiting[i]);

		if (p != NULL && p->state == PROC_STARTING)
			start_failed(p, "fork", err, why);
	}
	nwaiting = 0;
}

/*
 * The template's events (channel.h), one handler each: msg is the event
 * (borrowed), p the process its id names (or NULL), *fd the descriptor it
 * carried (or -1): a handler that keeps it sets *fd to -1.
 */
static void ev_ready(json_t *msg, struct proc *p, int *fd)
{
	json_decref(tmpl.preloaded);
	tmpl.preloaded = json_incref(json_object_get(msg, CHAN_K_PRELOADED));
	tmpl.ready = true;
	log_info("template ready, pid %ld", (long)tmpl.pid);
	tmpl_flush_waiting();
}

static void ev_init_failed(json_t *msg, struct proc *p, int *fd)
{
	free(tmpl.init_error);
	tmpl.init_error = strdup(
		json_string_value(json_object_get(msg, CHAN_K_MESSAGE)) ?:
			"unknown error");
	log_warnx("template: %s", tmpl.init_error);
}

static void ev_forked(json_t *msg, struct proc *p, int *fd)
{
	if (p == NULL || p->state != PROC_STARTING || p->ps == NULL ||
	    p->ps->forked) {
		log_warnx("template started process %lld, which is not "
			  "starting",
			  (long long)json_integer_value(
				  json_object_get(msg, CHAN_K_ID)));
		return;
	}
	p->ps->forked = true;
	p->pid = (pid_t)json_integer_value(json_object_get(msg, CHAN_K_PID));
	p->ps->pidfd = *fd;
	if (*fd >= 0)
		mpdd.fd_procs++;
	*fd = -1;
	start_settle(p);
}

static void ev_failed(json_t *msg, struct proc *p, int *fd)
{
	if (p != NULL && p->state == PROC_STARTING && p->ps != NULL) {
		json_decref(p->ps->fail);
		p->ps->fail = json_incref(msg);
		start_settle(p);
	}
}

static void ev_exited(json_t *msg, struct proc *p, int *fd)
{
	pid_t pid = (pid_t)json_integer_value(json_object_get(msg, CHAN_K_PID));
	int status =
		(int)json_integer_value(json_object_get(msg, CHAN_K_STATUS));

	if (p != NULL && p->pid == pid && p->state == PROC_RUNNING)
		process_exited(p, status, true);
	else if (p != NULL && p->pid == pid && p->state == PROC_STARTING &&
		 p->ps != NULL)
		start_exited(p, status);
}

static const struct tmpl_event {
	const char *name;
	void (*fn)(json_t *msg, struct proc *p, int *fd);
} tmpl_events[] = {
	{ CHAN_EV_READY, ev_ready },   { CHAN_EV_INIT_FAILED, ev_init_failed },
	{ CHAN_EV_FORKED, ev_forked }, { CHAN_EV_FAILED, ev_failed },
	{ CHAN_EV_EXITED, ev_exited },
};

/* One message from the template (fd: the descriptor it carried, or -1,
 * ours to keep or close). */
static void tmpl_message(json_t *msg, int fd)
{
	const char *ev = json_string_value(json_object_get(msg, CHAN_K_EV));
	const struct tmpl_event *e = NULL;

	for (size_t i = 0; ev != NULL && e == NULL &&
			   i < sizeof(tmpl_events) / sizeof(tmpl_events[0]);
	     i++)
		if (strcmp(ev, tmpl_events[i].name) == 0)
			e = &tmpl_events[i];
	if (ev == NULL)
		log_warnx("template sent a message without \"%s\"", CHAN_K_EV);
	else if (e == NULL)
		log_warnx("template sent unknown event \"%s\"", ev);
	else
		e->fn(msg,
		      proctab_by_id(json_integer_value(
			      json_object_get(msg, CHAN_K_ID))),
		      &fd);
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

/* Read what the template sent. Returns 1 (read some), 0 (nothing more
 * for now), or -1 at EOF or error. */
static int tmpl_read(void)
{
	ssize_t n = fdq_read(tmpl.fd, &tmpl.in, &tmpl.fdq, TEMPLATE_READ_CHUNK);

	if (n > 0) {
		tmpl_drain_lines();
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

static void tmpl_read_cb(evutil_socket_t fd, short events, void *arg)
{
	if (tmpl_read() < 0) {
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
		if (p != NULL && p->state == PROC_STARTING && p->ps != NULL &&
		    m->nfds > 0) {
			/* p kept its "pass" streams: only the copies in m
			 * are closed. */
			p->ps->wfd = m->fds[0];
			p->ps->sent = false;
			m->fds[0] = m->fds[--m->nfds];
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
		int e = errno;

		log_warn("template: fork");
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		struct rlimit rl;
		sigset_t none;

		/* The descriptor limit mpdd was given, not the one it raised
		 * for itself: the template's and every worker's. */
		if (mpdd.fd_limit_orig > 0 &&
		    getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = (rlim_t)mpdd.fd_limit_orig;
			setrlimit(RLIMIT_NOFILE, &rl);
		}

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
		/* This very image, even when the file it came from was
		 * replaced (a package upgrade) or removed since. */
		execv("/proc/self/exe", argv);
		dprintf(STDERR_FILENO, "mpdd: cannot exec %s: %s\n", self_exe,
			strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	tmpl.pid = pid;
	tmpl.fd = sv[0];
	fcntl(tmpl.fd, F_SETFL, fcntl(tmpl.fd, F_GETFL) | O_NONBLOCK);
	mpd_framer_init(&tmpl.in, TEMPLATE_MAX_MESSAGE);
	fdq_init(&tmpl.fdq, MPD_MAX_FDS_PER_MESSAGE);
	TAILQ_INIT(&tmpl.out);
	clock_gettime(CLOCK_MONOTONIC, &tmpl.started);
	free(tmpl.init_error); /* the last one's: this one may say its own */
	tmpl.init_error = NULL;
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
		int e = errno;
		char why[128];

		snprintf(why, sizeof(why),
			 "no template process could be started: %s",
			 strerror(e));
		tmpl_fail_waiting(e, why);
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
	bool was_ready = tmpl.ready;
	char why[256];

	if (WIFSIGNALED(status))
		log_warnx("template (pid %ld) killed by signal %d; restarting",
			  (long)tmpl.pid, WTERMSIG(status));
	else
		log_warnx("template (pid %ld) exited with status %d; "
			  "restarting",
			  (long)tmpl.pid, WEXITSTATUS(status));
	/* Everything it sent is in the socket now: take it all. */
	while (tmpl.fd >= 0 && tmpl_read() > 0)
		;
	tmpl.ready = false;
	tmpl_requeue_unsent();
	tmpl_close();
	tmpl.pid = -1;
	tmpl.restarts++;
	/*
	 * Starts it had been handed and did not settle: nobody but their
	 * report pipes can tell now. A start whose child wrote its pid is
	 * tracked (the child is ours); one whose pipe ends without a pid ran
	 * nothing and fails. Ids first: settling a start may drop old
	 * records from the table.
	 */
	size_t norphans = 0;
	int64_t *orphans = calloc(proctab_count() + 1, sizeof(*orphans));

	if (orphans == NULL)
		fatalx("%s: out of memory", __func__);
	for (size_t i = 0; i < proctab_count(); i++) {
		struct proc *p = proctab_at(i);

		if (p->state == PROC_STARTING && p->ps != NULL && p->ps->sent) {
			p->ps->orphaned = true;
			orphans[norphans++] = p->id;
		}
	}
	for (size_t i = 0; i < norphans; i++) {
		struct proc *p = proctab_by_id(orphans[i]);

		if (p != NULL && p->state == PROC_STARTING && p->ps != NULL) {
			report_read(p);
			start_settle(p);
		}
	}
	free(orphans);
	/* One that died before it was ready will not be ready the next time
	 * either, most likely (a preloaded module gone, the binary broken):
	 * the starts waiting for it fail now rather than wait for ever; the
	 * restarts go on, for the starts to come. */
	if (!was_ready) {
		snprintf(why, sizeof(why),
			 "no template process could be started: it %s %d "
			 "before it was ready%s%s",
			 WIFSIGNALED(status) ? "was killed by signal" :
					       "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) :
					       WEXITSTATUS(status),
			 tmpl.init_error != NULL ? ": " : "",
			 tmpl.init_error != NULL ? tmpl.init_error : "");
		tmpl_fail_waiting(ECHILD, why);
	}
	if (lived < TEMPLATE_MIN_LIFE_SEC)
		tv.tv_sec = RESTART_BACKOFF_SEC;
	evtimer_add(tmpl.ev_restart, &tv);
}

static int64_t *unsettled; /* starts whose pipe ended in catch_up() */
static size_t nunsettled, cap_unsettled;

/*
 * Before matching a pid mpdd reaped: read every message the template
 * sent and every pid a child wrote. Starts whose pipe reached its end are
 * settled only after the match (settle_pending()), so that none opens a
 * pidfd on the pid just reaped.
 */
static void catch_up(void)
{
	while (tmpl.fd >= 0 && tmpl_read() > 0)
		;
	for (size_t i = 0; i < proctab_count(); i++) {
		struct proc *p = proctab_at(i);

		if (p->state != PROC_STARTING || p->ps == NULL ||
		    p->ps->rfd < 0)
			continue;
		report_read(p);
		if (!p->ps->eof)
			continue;
		if (nunsettled == cap_unsettled) {
			size_t cap = cap_unsettled ? cap_unsettled * 2 : 64;
			int64_t *n = realloc(unsettled, cap * sizeof(*n));

			if (n == NULL)
				fatalx("%s: out of memory", __func__);
			unsettled = n;
			cap_unsettled = cap;
		}
		unsettled[nunsettled++] = p->id;
	}
}

static void settle_pending(void)
{
	while (nunsettled > 0) {
		struct proc *p = proctab_by_id(unsettled[--nunsettled]);

		if (p != NULL && p->state == PROC_STARTING && p->ps != NULL)
			start_settle(p);
	}
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
		/* First what the template said before (a record whose
		 * process it reaped, whose pid this may be again) and the
		 * pids children wrote: then the match is the right one. */
		catch_up();
		p = proctab_by_pid(pid);
		if (p != NULL && p->state == PROC_RUNNING)
			process_exited(p, status, true);
		else if (p != NULL && p->state == PROC_STARTING &&
			 p->ps != NULL)
			start_exited(p, status);
		else
			log_debug("reaped pid %ld, not a process we know",
				  (long)pid);
		settle_pending();
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
		if (tmpl_read() < 0) {
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
	/* Its children that ended but were not reaped yet (their exits are
	 * ours already) are ours now, as the subreaper: none is left a
	 * zombie for init. Those still running are not waited for. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	tmpl.pid = -1;
	if (tmpl.ev_restart != NULL)
		event_free(tmpl.ev_restart);
	tmpl.ev_restart = NULL;
	json_decref(tmpl.preloaded);
	free(tmpl.init_error);
	free(self_exe);
	free(waiting);
	free(unsettled);
	for (size_t i = 0; base_env != NULL && base_env[i] != NULL; i++)
		free(base_env[i]);
	free(base_env);
}
