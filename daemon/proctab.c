/*
 * proctab.c - the process table: records, their states, joiners, exits.
 *
 * Every process mpd knows is a struct proc, kept in an array sorted by id
 * (ids only grow, so adding is an append; lookups by id are a binary
 * search). A record moves CREATED -> STARTING -> RUNNING -> EXITED, or to
 * FAILED when its start fails, and stays until process.close. Ended
 * records also sit on a retention list, oldest first, so that past
 * --max-exited the oldest are dropped and memory cannot grow without end.
 *
 * Joiners park their request on the record; the exit answers them all.
 * Signals go through the worker's pidfd (the template's, or one mpdd
 * opened for a child it inherited), never through a bare pid; the pidfd
 * is closed as soon as the exit is collected, so descriptors scale with
 * live workers, not with records. A process group is signalled only while
 * its leader is known to be alive, so a recycled pid is never hit.
 * Daemonic processes are terminated when the connection that created them
 * closes: SIGTERM to the group, SIGKILL after the grace period.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpdd.h"

/* A parked process.join. */
struct waiter {
	TAILQ_ENTRY(waiter) entry;
	struct proc *proc;
	struct req *req;
	struct event *timer;
};

static struct proc **procs;
static size_t nprocs, cap_procs;
static size_t nlive; /* STARTING or RUNNING */
static size_t nended;
static TAILQ_HEAD(, proc) ended = TAILQ_HEAD_INITIALIZER(ended);

static const char *const state_names[] = {
	[PROC_CREATED] = "created", [PROC_STARTING] = "starting",
	[PROC_RUNNING] = "running", [PROC_EXITED] = "exited",
	[PROC_FAILED] = "failed",
};

const char *proctab_state_name(enum proc_state s)
{
	return state_names[s];
}

/* The state for a name, or -1. */
int proctab_state_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]);
	     i++)
		if (strcmp(state_names[i], name) == 0)
			return (int)i;
	return -1;
}

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A new CREATED record with the next id and name (NULL: Process-<id>),
 * owned by uid. Returns it, or NULL when out of memory.
 */
struct proc *proctab_new(const char *name, uid_t uid, gid_t gid)
{
	struct proc *p;

	if (nprocs == cap_procs) {
		size_t ncap = cap_procs ? cap_procs * 2 : 64;
		struct proc **n = realloc(procs, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		procs = n;
		cap_procs = ncap;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->id = ++mpdd.next_proc_id;
	if (name != NULL)
		p->name = strdup(name);
	else if (asprintf(&p->name, "Process-%lld", (long long)p->id) == -1)
		p->name = NULL;
	if (p->name == NULL) {
		free(p);
		return NULL;
	}
	p->uid = uid;
	p->gid = gid;
	p->pid = -1;
	p->pidfd = -1;
	p->fds[0] = p->fds[1] = p->fds[2] = -1;
	p->created = now_wall();
	TAILQ_INIT(&p->waiters);
	procs[nprocs++] = p;
	return p;
}

static size_t proctab_index(const struct proc *p)
{
	size_t lo = 0, hi = nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (procs[mid]->id < p->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Forget a record that is not live and has no joiners. */
void proctab_free(struct proc *p)
{
	size_t i = proctab_index(p);

	if (i < nprocs && procs[i] == p) {
		memmove(procs + i, procs + i + 1,
			(nprocs - i - 1) * sizeof(*procs));
		nprocs--;
	}
	if (p->state == PROC_EXITED || p->state == PROC_FAILED) {
		TAILQ_REMOVE(&ended, p, ended_entry);
		nended--;
	}
	spawner_forget(p);
	for (int i2 = 0; i2 < 3; i2++) {
		if (p->fds[i2] >= 0) {
			close(p->fds[i2]);
			mpdd.fd_procs--;
		}
	}
	if (p->pidfd >= 0) {
		close(p->pidfd);
		mpdd.fd_procs--;
	}
	if (p->kill_timer != NULL)
		event_free(p->kill_timer);
	json_decref(p->target);
	json_decref(p->args);
	json_decref(p->env);
	json_decref(p->stdio);
	json_decref(p->error);
	free(p->groups);
	free(p->cwd);
	free(p->name);
	free(p);
}

struct proc *proctab_by_id(int64_t id)
{
	size_t lo = 0, hi = nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (procs[mid]->id == id)
			return procs[mid];
		if (procs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct proc *proctab_by_name(const char *name)
{
	for (size_t i = 0; i < nprocs; i++)
		if (strcmp(procs[i]->name, name) == 0)
			return procs[i];
	return NULL;
}

/* The live (starting or running) record of pid, or NULL. A starting
 * record has a pid once its child has written it (spawner.c). */
struct proc *proctab_by_pid(pid_t pid)
{
	for (size_t i = 0; i < nprocs; i++)
		if (procs[i]->pid == pid && (procs[i]->state == PROC_RUNNING ||
					     procs[i]->state == PROC_STARTING))
			return procs[i];
	return NULL;
}

size_t proctab_count(void)
{
	return nprocs;
}

size_t proctab_live(void)
{
	return nlive;
}

/* The i-th record in id order (i < proctab_count()). */
struct proc *proctab_at(size_t i)
{
	return procs[i];
}

/*
 * Which worker a connecting peer is: the worker whose pid it has, or whose
 * process group it is in (a shell script's mpd-cli). Returns the id, or 0.
 */
int64_t proctab_peer(pid_t pid)
{
	struct proc *p;
	pid_t pgid;

	if (pid <= 0)
		return 0;
	p = proctab_by_pid(pid);
	if (p == NULL && (pgid = getpgid(pid)) > 0)
		p = proctab_by_pid(pgid);
	return p != NULL ? p->id : 0;
}

static json_t *json_time(double t)
{
	return t > 0 ? json_real(t) : json_null();
}

/*
 * The wire record of p: a new reference, or NULL when out of memory. With
 * details, also cwd, env, stdio and args (process.info).
 */
json_t *proctab_record(const struct proc *p, bool details)
{
	char buf[32];
	const char *signame = NULL;
	json_t *rec, *exitcode = json_null();
	bool core = false;

	if (p->state == PROC_EXITED && p->status_known) {
		if (WIFEXITED(p->status)) {
			exitcode = json_integer(WEXITSTATUS(p->status));
		} else if (WIFSIGNALED(p->status)) {
			exitcode = json_integer(-WTERMSIG(p->status));
			signame = mpd_signal_name(WTERMSIG(p->status), buf,
						  sizeof(buf));
			core = WCOREDUMP(p->status);
		}
	}
	rec = json_pack(
		"{s:I, s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:o, s:I, s:s, s:O,"
		" s:o, s:o, s:o, s:O}",
		"id", (json_int_t)p->id, "name", p->name, "state",
		state_names[p->state], "pid",
		p->pid > 0 ? json_integer(p->pid) : json_null(), "exitcode",
		exitcode, "signal",
		signame != NULL ? json_string(signame) : json_null(),
		"core_dumped", core, "daemon", p->daemonic, "parent",
		p->parent > 0 ? json_integer(p->parent) : json_null(), "uid",
		(json_int_t)p->uid, "start_method",
		p->spawn_method ? "spawn" : "forkserver", "target", p->target,
		"created", json_time(p->created), "started",
		json_time(p->started), "ended", json_time(p->ended), "error",
		p->error != NULL ? p->error : json_null());
	if (rec == NULL || !details)
		return rec;
	if (json_object_set_new(rec, "cwd",
				p->cwd ? json_string(p->cwd) : json_null()) ||
	    json_object_set_new(rec, "env",
				p->env ? json_incref(p->env) : json_object()) ||
	    json_object_set_new(rec, "env_clear", json_boolean(p->env_clear)) ||
	    json_object_set(rec, "stdio", p->stdio) ||
	    json_object_set(rec, "args", p->args ? p->args : json_null())) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

/* Answer r with p's record. */
static void reply_record(struct req *r, const struct proc *p)
{
	json_t *rec = proctab_record(p, false);

	if (rec == NULL)
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
	else
		req_result(r, rec);
}

static void waiter_free(struct waiter *w)
{
	TAILQ_REMOVE(&w->proc->waiters, w, entry);
	if (w->timer != NULL)
		event_free(w->timer);
	free(w);
}

/* p ended (exited or failed): answer its joiners, keep it for retention. */
static void proctab_ended(struct proc *p)
{
	struct waiter *w;

	p->ended = now_wall();
	TAILQ_INSERT_TAIL(&ended, p, ended_entry);
	nended++;
	while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
		struct req *r = w->req;

		waiter_free(w);
		reply_record(r, p);
	}
	if (p->kill_timer != NULL) {
		event_free(p->kill_timer);
		p->kill_timer = NULL;
	}
	/* Shutting down: the loop runs only until the last one ends. */
	if (mpdd.stopping && nlive == 0)
		event_base_loopbreak(mpdd.base);
	/* Past the retention limit, the oldest ended records go. */
	while (nended > mpdd.opt.max_exited) {
		struct proc *old = TAILQ_FIRST(&ended);

		log_debug("process %lld (%s): record dropped (max_exited %u)",
			  (long long)old->id, old->name, mpdd.opt.max_exited);
		proctab_free(old);
	}
}

/* The template started p as pid; pidfd (ours now, counted in
 * mpdd.fd_procs; -1 when there is none) refers to it. */
void proctab_started(struct proc *p, pid_t pid, int pidfd)
{
	struct req *r = p->start_req;

	p->state = PROC_RUNNING;
	p->pid = pid;
	p->pidfd = pidfd;
	p->started = now_wall();
	p->start_req = NULL;
	log_debug("process %lld (%s): running as pid %ld", (long long)p->id,
		  p->name, (long)pid);
	if (r != NULL)
		reply_record(r, p);
	if (p->kill_on_start) {
		proctab_signal(p, SIGTERM, true);
		p->kill_on_start = false;
	}
}

/* p could not be started: FAILED, and its starter gets spawn_failed. */
void proctab_failed(struct proc *p, const char *stage, int err,
		    const char *message)
{
	struct req *r = p->start_req;

	nlive--;
	p->state = PROC_FAILED;
	p->start_req = NULL;
	p->error = json_pack("{s:s, s:o, s:s}", "stage", stage, "errno",
			     err > 0 ? json_integer(err) : json_null(),
			     "message", message);
	log_info("process %lld (%s): start failed at %s: %s", (long long)p->id,
		 p->name, stage, message);
	proctab_ended(p);
	if (r != NULL) {
		json_t *data = p->error != NULL ? json_copy(p->error) : NULL;

		/* Which record failed, so the caller can close it. */
		if (data != NULL)
			json_object_set_new(data, "id", json_integer(p->id));
		req_error(r, MPD_RPC_SPAWN_FAILED, data,
			  "cannot start process %lld (%s): %s: %s",
			  (long long)p->id, p->name, stage, message);
	}
}

/* p ended with wait status (known false: its status was lost). */
void proctab_exited(struct proc *p, int status, bool known)
{
	if (p->state != PROC_RUNNING)
		return;
	nlive--;
	p->state = PROC_EXITED;
	p->status = status;
	p->status_known = known;
	/* Descriptors scale with live workers, not with records. */
	if (p->pidfd >= 0) {
		close(p->pidfd);
		p->pidfd = -1;
		mpdd.fd_procs--;
	}
	log_debug("process %lld (%s): pid %ld ended, status 0x%x",
		  (long long)p->id, p->name, (long)p->pid, status);
	proctab_ended(p);
}

/* Mark p live (STARTING); the limit is checked by the caller. */
void proctab_starting(struct proc *p)
{
	p->state = PROC_STARTING;
	nlive++;
}

/* True when the pidfd says the process has not exited. */
static bool proc_alive(const struct proc *p)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	return p->pidfd >= 0 && poll(&pfd, 1, 0) == 0;
}

/*
 * Send sig to a running p, or to its whole process group. Returns 0 (also
 * when p is not running: nothing is sent), or -errno.
 */
int proctab_signal(struct proc *p, int sig, bool group)
{
	if (p->state == PROC_STARTING && sig != 0) {
		/* Deliver once it runs, if it is a termination. */
		if (sig == SIGTERM || sig == SIGKILL)
			p->kill_on_start = true;
		return 0;
	}
	if (p->state != PROC_RUNNING || !proc_alive(p))
		return 0;
	if (pidfd_send_signal(p->pidfd, sig, NULL, 0) == -1 && errno != ESRCH)
		return -errno;
	/* The leader's pid, and so its group's id, cannot have been reused
	 * while the leader is unreaped; the template reaps it only after it
	 * exits, and we checked that it has not. */
	if (group && kill(-p->pid, sig) == -1 && errno != ESRCH &&
	    errno != EPERM)
		return -errno;
	return 0;
}

static void join_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct waiter *w = arg;
	struct req *r = w->req;
	struct proc *p = w->proc;

	waiter_free(w);
	reply_record(r, p);
}

static void join_cancel(struct req *r)
{
	waiter_free(r->cancel_arg);
}

/*
 * Answer r with p's record when p ends, or when timeout seconds pass
 * (timeout < 0: no limit). p is running or starting.
 */
void proctab_join(struct proc *p, struct req *r, double timeout)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	w->proc = p;
	w->req = r;
	if (timeout >= 0) {
		struct timeval tv;
		double whole = floor(timeout);

		tv.tv_sec = (time_t)whole;
		tv.tv_usec = (suseconds_t)((timeout - whole) * 1e6);
		w->timer = evtimer_new(mpdd.base, join_timeout_cb, w);
		if (w->timer == NULL || evtimer_add(w->timer, &tv) == -1) {
			if (w->timer != NULL)
				event_free(w->timer);
			free(w);
			req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
				  "cannot arm a timer");
			return;
		}
	}
	TAILQ_INSERT_TAIL(&p->waiters, w, entry);
	req_park(r, join_cancel, w);
}

static void kill_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct proc *p = arg;

	log_info("process %lld (%s): still running %.3g s after SIGTERM; "
		 "sending SIGKILL",
		 (long long)p->id, p->name, mpdd.opt.kill_grace);
	proctab_signal(p, SIGKILL, true);
}

/* TERM now, KILL after the grace period unless it has ended by then. */
static void proctab_terminate_daemonic(struct proc *p)
{
	struct timeval tv;
	double whole = floor(mpdd.opt.kill_grace);

	if (p->state == PROC_STARTING) {
		p->kill_on_start = true;
	} else if (p->state == PROC_RUNNING) {
		proctab_signal(p, SIGTERM, true);
	} else {
		return;
	}
	tv.tv_sec = (time_t)whole;
	tv.tv_usec = (suseconds_t)((mpdd.opt.kill_grace - whole) * 1e6);
	if (p->kill_timer == NULL)
		p->kill_timer = evtimer_new(mpdd.base, kill_timer_cb, p);
	if (p->kill_timer != NULL)
		evtimer_add(p->kill_timer, &tv);
}

/* c is closing: its daemonic processes end with it, the others live on. */
void proctab_conn_closed(struct conn *c)
{
	for (size_t i = 0; i < nprocs; i++) {
		struct proc *p = procs[i];

		if (p->owner != c)
			continue;
		p->owner = NULL;
		if (p->daemonic &&
		    (p->state == PROC_RUNNING || p->state == PROC_STARTING)) {
			log_info("process %lld (%s): daemonic, its connection "
				 "closed; terminating",
				 (long long)p->id, p->name);
			proctab_terminate_daemonic(p);
		}
	}
}

/*
 * Shutting down: SIGTERM to every running process (daemonic only, unless
 * all), then SIGKILL to those still running after the grace period, and
 * wait for them, running the loop. Returns how many were signalled; sets
 * *killed to how many needed SIGKILL.
 */
size_t proctab_stop_all(bool all, size_t *killed)
{
	struct timeval grace, last = { 5, 0 };
	double whole = floor(mpdd.opt.kill_grace);
	size_t sent = 0;

	*killed = 0;
	for (size_t i = 0; i < nprocs; i++) {
		struct proc *p = procs[i];

		if ((all || p->daemonic) &&
		    (p->state == PROC_RUNNING || p->state == PROC_STARTING)) {
			proctab_signal(p, SIGTERM, true);
			sent++;
		}
	}
	if (sent == 0 || nlive == 0)
		return sent;
	grace.tv_sec = (time_t)whole;
	grace.tv_usec = (suseconds_t)((mpdd.opt.kill_grace - whole) * 1e6);
	event_base_loopexit(mpdd.base, &grace);
	event_base_dispatch(mpdd.base);
	for (size_t i = 0; i < nprocs; i++) {
		struct proc *p = procs[i];

		if ((all || p->daemonic) && p->state == PROC_RUNNING) {
			proctab_signal(p, SIGKILL, true);
			(*killed)++;
		}
	}
	if (*killed > 0 && nlive > 0) {
		event_base_loopexit(mpdd.base, &last);
		event_base_dispatch(mpdd.base);
	}
	return sent;
}

/* At exit: free every record (joiners were cancelled with their
 * connections). */
void proctab_shutdown(void)
{
	while (nprocs > 0) {
		struct proc *p = procs[nprocs - 1];

		if (p->state == PROC_STARTING || p->state == PROC_RUNNING)
			nlive--;
		if (p->state != PROC_EXITED && p->state != PROC_FAILED) {
			/* Not on the retention list. */
			p->state = PROC_CREATED;
		}
		proctab_free(p);
	}
	free(procs);
	procs = NULL;
	cap_procs = 0;
}
