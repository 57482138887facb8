/*
 * proctab.c - the process table: records, their states, exits.
 *
 * Every process mpd knows is a struct proc, kept in an array sorted by id
 * (ids only grow, so adding is an append; lookups by id are a binary
 * search). A record moves CREATED -> STARTING -> RUNNING -> EXITED, or to
 * FAILED when its start fails, and stays until process.close. Ended
 * records also sit on a retention list, oldest first, so that past
 * --max-exited the oldest are dropped and memory cannot grow without end.
 * Records not started yet are bounded too: by count and by the bytes they
 * hold (what the client gave: argv, env, args, cwd), in all and per uid
 * (--max-created*), checked before one is made.
 *
 * Records go out as JSON text that fits the room the client's connection
 * has (--max-output): replies other than process.info carry a summary
 * (long argv, env and args cut), and any record too large for the room is
 * cut down further, with "truncated" naming the fields that were cut.
 *
 * The requests a record's start and end answer (its starter, its
 * joiners) are process.c's: this file keeps the records and their states.
 * Signals go through the worker's pidfd (the template's, or one mpdd
 * opened for a child it inherited), never through a bare pid; the pidfd
 * is closed as soon as the exit is collected, so descriptors scale with
 * live workers, not with records. A process group is signalled only while
 * its leader is known to be alive, so a recycled pid is never hit.
 * Daemonic processes are terminated when the connection that created them
 * closes: SIGTERM to the group, SIGKILL after the grace period.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpdd.h"

static struct proc **procs;
static size_t nprocs, cap_procs;
static size_t nlive; /* STARTING or RUNNING */
static size_t nended;
static TAILQ_HEAD(, proc) ended = TAILQ_HEAD_INITIALIZER(ended);

/*
 * What a record not started yet costs: the client's strings, plus this
 * much for each JSON value and for the record itself, near what jansson
 * and struct proc take (a one-byte string costs jansson about as much).
 */
#define COST_VALUE  64
#define COST_RECORD 512

/* Records created and not started, of one uid. */
struct uid_use {
	uid_t uid;
	unsigned n;
	uint64_t bytes;
};
static struct uid_use *uses;
static size_t nuses, cap_uses;
static size_t ncreated;
static uint64_t created_bytes;

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

/* The use of uid, or NULL; add: make it if needed (NULL: no memory). */
static struct uid_use *use_of(uid_t uid, bool add)
{
	struct uid_use *n;

	for (size_t i = 0; i < nuses; i++)
		if (uses[i].uid == uid)
			return &uses[i];
	if (!add)
		return NULL;
	if (nuses == cap_uses) {
		size_t ncap = cap_uses ? cap_uses * 2 : 8;

		n = realloc(uses, ncap * sizeof(*n));
		if (n == NULL)
			return NULL;
		uses = n;
		cap_uses = ncap;
	}
	uses[nuses] = (struct uid_use){ .uid = uid };
	return &uses[nuses++];
}

/* p leaves CREATED (started or freed): its cost is given back. */
static void uncount_created(struct proc *p)
{
	struct uid_use *u;

	if (!p->counted)
		return;
	p->counted = false;
	ncreated--;
	created_bytes -= p->cost;
	u = use_of(p->uid, false);
	if (u == NULL)
		fatalx("%s: uid %ld has no created records", __func__,
		       (long)p->uid);
	u->n--;
	u->bytes -= p->cost;
	if (u->n == 0)
		*u = uses[--nuses];
}

static uint64_t json_cost(const json_t *v)
{
	uint64_t c = COST_VALUE;
	const char *key;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return c + json_string_length(v);
	case JSON_ARRAY:
		json_array_foreach (v, i, m)
			c += json_cost(m);
		return c;
	case JSON_OBJECT:
		json_object_foreach ((json_t *)v, key, m)
			c += strlen(key) + json_cost(m);
		return c;
	default:
		return c;
	}
}

/*
 * The bytes a record of these fields (any may be NULL) is counted for
 * while it is not started: what --max-created-bytes measures.
 */
uint64_t proctab_cost(const char *name, const char *cwd, const json_t *target,
		      const json_t *args, const json_t *env,
		      const json_t *stdio, const json_t *fdnames)
{
	const json_t *v[] = { target, args, env, stdio, fdnames };
	uint64_t c = COST_RECORD;

	c += name != NULL ? strlen(name) : 0;
	c += cwd != NULL ? strlen(cwd) : 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL)
			c += json_cost(v[i]);
	return c;
}

/*
 * Would one more record not started, of cost bytes, owned by uid, pass a
 * limit? Returns the limit's name (a --max-created* option, as in
 * daemon.info) with *max its value, or NULL when there is room. A uid's
 * own share is checked first.
 */
const char *proctab_created_limit(uid_t uid, uint64_t cost, uint64_t *max)
{
	const struct uid_use *u = use_of(uid, false);
	unsigned n = u != NULL ? u->n : 0;
	uint64_t bytes = u != NULL ? u->bytes : 0;

	if (n >= mpdd.opt.max_created_per_uid) {
		*max = mpdd.opt.max_created_per_uid;
		return "max_created_per_uid";
	}
	if (bytes + cost > mpdd.opt.max_created_bytes_per_uid) {
		*max = mpdd.opt.max_created_bytes_per_uid;
		return "max_created_bytes_per_uid";
	}
	if (ncreated >= mpdd.opt.max_created) {
		*max = mpdd.opt.max_created;
		return "max_created";
	}
	if (created_bytes + cost > mpdd.opt.max_created_bytes) {
		*max = mpdd.opt.max_created_bytes;
		return "max_created_bytes";
	}
	return NULL;
}

/* Records not started, and the bytes they are counted for. */
size_t proctab_created(uint64_t *bytes)
{
	if (bytes != NULL)
		*bytes = created_bytes;
	return ncreated;
}

/*
 * A new CREATED record with the next id and name (NULL: Process-<id>),
 * owned by uid, counted for cost bytes (proctab_cost()) until it starts;
 * the caller checked proctab_created_limit(). Returns it, or NULL when
 * out of memory.
 */
struct proc *proctab_new(const char *name, uid_t uid, gid_t gid, uint64_t cost)
{
	struct uid_use *u;
	struct proc *p;

	if (nprocs == cap_procs) {
		size_t ncap = cap_procs ? cap_procs * 2 : 64;
		struct proc **n = realloc(procs, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		procs = n;
		cap_procs = ncap;
	}
	u = use_of(uid, true);
	if (u == NULL)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		if (u->n == 0)
			*u = uses[--nuses];
		return NULL;
	}
	p->id = ++mpdd.next_proc_id;
	if (name != NULL)
		p->name = strdup(name);
	else if (asprintf(&p->name, "Process-%lld", (long long)p->id) == -1)
		p->name = NULL;
	if (p->name == NULL) {
		free(p);
		if (u->n == 0)
			*u = uses[--nuses];
		return NULL;
	}
	p->cost = cost;
	p->counted = true;
	u->n++;
	u->bytes += cost;
	ncreated++;
	created_bytes += cost;
	p->uid = uid;
	p->gid = gid;
	p->pid = -1;
	p->pidfd = -1;
	p->fds[0] = p->fds[1] = p->fds[2] = -1;
	p->created = now_wall();
	TAILQ_INIT(&p->joiners);
	TAILQ_INIT(&p->watchers);
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

/* Forget a record that is not live and has no joiners; the waits that
 * watch it are answered first (process_forget()). */
void proctab_free(struct proc *p)
{
	size_t i;

	process_forget(p);
	i = proctab_index(p);

	if (i < nprocs && procs[i] == p) {
		memmove(procs + i, procs + i + 1,
			(nprocs - i - 1) * sizeof(*procs));
		nprocs--;
	}
	if (p->state == PROC_EXITED || p->state == PROC_FAILED) {
		TAILQ_REMOVE(&ended, p, ended_entry);
		nended--;
	}
	uncount_created(p);
	spawner_forget(p);
	capture_free(p);
	for (int i2 = 0; i2 < 3; i2++) {
		if (p->fds[i2] >= 0) {
			close(p->fds[i2]);
			mpdd.fd_procs--;
		}
	}
	for (int i2 = 0; i2 < p->nwfds; i2++)
		close(p->wfds[i2]);
	mpdd.fd_procs -= (size_t)p->nwfds;
	free(p->wfds);
	json_decref(p->fdnames);
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

/* The index of the first record whose id is above id (proctab_count()
 * when none is): where a listing after id goes on. */
size_t proctab_after(int64_t id)
{
	size_t lo = 0, hi = nprocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (procs[mid]->id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
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
 * Caps on the fields a client gave (target, args, env, cwd, stdio) and on
 * a start failure's error, as a record is cut down to fit: strings to at
 * most str bytes, arrays and objects to at most n members. From none to
 * the tightest; replies other than process.info start at CAPS_SUMMARY.
 */
struct caps {
	size_t str, n;
};
static const struct caps caps_steps[] = {
	{ SIZE_MAX, SIZE_MAX },
	{ 65536, 4096 },
	{ 4096, 256 },
	{ 256, 32 },
	{ 32, 8 },
	{ 0, 0 },
};
#define NCAPS	     (sizeof(caps_steps) / sizeof(caps_steps[0]))
#define CAPS_SUMMARY 3

/* The length of s (n bytes) cut to at most max, at a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* True when v is within the caps. */
static bool within(const json_t *v, const struct caps *cp)
{
	const char *key;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) <= cp->str;
	case JSON_ARRAY:
		if (json_array_size(v) > cp->n)
			return false;
		json_array_foreach (v, i, m)
			if (!within(m, cp))
				return false;
		return true;
	case JSON_OBJECT:
		if (json_object_size(v) > cp->n)
			return false;
		json_object_foreach ((json_t *)v, key, m)
			if (strlen(key) > cp->str || !within(m, cp))
				return false;
		return true;
	default:
		return true;
	}
}

/* A copy of v within the caps (a new reference), or NULL. */
static json_t *cut_copy(const json_t *v, const struct caps *cp)
{
	const char *key;
	json_t *m, *out;
	size_t i, k;
	char *kcut;

	if (within(v, cp))
		return json_incref((json_t *)v);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_stringn_nocheck(json_string_value(v),
					    utf8_cut(json_string_value(v),
						     json_string_length(v),
						     cp->str));
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach (v, i, m) {
			if (out == NULL || i >= cp->n)
				break;
			if (json_array_append_new(out, cut_copy(m, cp)) == -1) {
				json_decref(out);
				out = NULL;
			}
		}
		return out;
	default: /* JSON_OBJECT */
		out = json_object();
		k = 0;
		json_object_foreach ((json_t *)v, key, m) {
			if (out == NULL || k++ >= cp->n)
				break;
			kcut = strndup(key,
				       utf8_cut(key, strlen(key), cp->str));
			if (kcut == NULL ||
			    json_object_set_new_nocheck(
				    out, kcut, cut_copy(m, cp)) == -1) {
				json_decref(out);
				out = NULL;
			}
			free(kcut);
		}
		return out;
	}
}

/*
 * Set rec[key] to v (borrowed; NULL: JSON null) within the caps; a field
 * that had to be cut is named in cut. Returns 0, or -1 when out of memory.
 */
static int set_capped(json_t *rec, const char *key, const json_t *v,
		      const struct caps *cp, json_t **cut)
{
	if (v == NULL)
		return json_object_set_new(rec, key, json_null());
	if (!within(v, cp)) {
		if (*cut == NULL && (*cut = json_array()) == NULL)
			return -1;
		if (json_array_append_new(*cut, json_string(key)) == -1)
			return -1;
	}
	return json_object_set_new(rec, key, cut_copy(v, cp));
}

/*
 * The wire record of p within the caps: a new reference, or NULL when out
 * of memory. With details, also cwd, env, stdio, args and fds (process.info).
 * When a field was cut, "truncated" lists the fields that were.
 */
static json_t *record_json(const struct proc *p, bool details,
			   const struct caps *cp)
{
	char buf[32];
	const char *signame = NULL;
	json_t *rec, *cut = NULL, *cwd = NULL, *exitcode = json_null();
	bool core = false;
	int rc;

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
		"{s:I, s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:o, s:I, s:s,"
		" s:o, s:o, s:o}",
		"id", (json_int_t)p->id, "name", p->name, "state",
		state_names[p->state], "pid",
		p->pid > 0 ? json_integer(p->pid) : json_null(), "exitcode",
		exitcode, "signal",
		signame != NULL ? json_string(signame) : json_null(),
		"core_dumped", core, "daemon", p->daemonic, "parent",
		p->parent > 0 ? json_integer(p->parent) : json_null(), "uid",
		(json_int_t)p->uid, "start_method",
		p->spawn_method ? "spawn" : "forkserver", "created",
		json_time(p->created), "started", json_time(p->started),
		"ended", json_time(p->ended));
	if (rec == NULL)
		goto fail;
	if (p->pool != NULL &&
	    json_object_set_new(rec, "pool", json_string(pool_name(p->pool))))
		goto fail;
	rc = set_capped(rec, "target", p->target, cp, &cut) ||
	     set_capped(rec, "error", p->error, cp, &cut);
	if (rc == 0 && details) {
		if (p->cwd != NULL &&
		    (cwd = json_stringn_nocheck(p->cwd, strlen(p->cwd))) ==
			    NULL)
			goto fail;
		rc = set_capped(rec, "cwd", cwd, cp, &cut) ||
		     set_capped(rec, "env", p->env, cp, &cut) ||
		     json_object_set_new(rec, "env_clear",
					 json_boolean(p->env_clear)) ||
		     set_capped(rec, "stdio", p->stdio, cp, &cut) ||
		     set_capped(rec, "args", p->args, cp, &cut);
		/* The names of the descriptors it was given: short by
		 * rule, never cut. */
		if (rc == 0)
			rc = json_object_set_new(rec, "fds",
						 p->fdnames != NULL ?
							 json_copy(p->fdnames) :
							 json_array());
		/* No env is an empty one. */
		if (rc == 0 && p->env == NULL)
			rc = json_object_set_new(rec, "env", json_object());
	}
	if (rc != 0)
		goto fail;
	if (cut != NULL && json_object_set_new(rec, "truncated", cut) == -1) {
		cut = NULL; /* set_new dropped it */
		goto fail;
	}
	json_decref(cwd);
	return rec;
fail:
	json_decref(cwd);
	json_decref(cut);
	json_decref(rec);
	return NULL;
}

/*
 * p's record encoded as JSON text of at most budget bytes: the fields the
 * client gave are cut down (summaries start cut: without details, only
 * process.info sends them whole) until it fits. Returns 0 with *text
 * (malloc'd, *len bytes), -ENOSPC when even the shortest form does not
 * fit, or -ENOMEM.
 */
int proctab_record_text(const struct proc *p, bool details, size_t budget,
			char **text, size_t *len)
{
	for (size_t i = details ? 0 : CAPS_SUMMARY; i < NCAPS; i++) {
		json_t *rec = record_json(p, details, &caps_steps[i]);
		char *t;

		if (rec == NULL)
			return -ENOMEM;
		t = mpd_json_encode(rec, len, 0);
		json_decref(rec);
		if (t == NULL)
			return -ENOMEM;
		if (*len <= budget) {
			*text = t;
			return 0;
		}
		free(t);
	}
	return -ENOSPC;
}

/* p ended (exited or failed): keep it for retention. */
static void proctab_ended(struct proc *p)
{
	p->ended = now_wall();
	TAILQ_INSERT_TAIL(&ended, p, ended_entry);
	nended++;
	if (p->kill_timer != NULL) {
		event_free(p->kill_timer);
		p->kill_timer = NULL;
	}
	/* Shutting down: the loop runs only until the last one ends. */
	if (mpdd.stopping && nlive == 0)
		event_base_loopbreak(mpdd.base);
}

/*
 * Past the retention limit (--max-exited), the oldest ended records go:
 * called once what ended has been answered, since the record that just
 * ended may be one of them.
 */
void proctab_trim(void)
{
	while (nended > mpdd.opt.max_exited) {
		struct proc *old = TAILQ_FIRST(&ended);

		log_debug("process %lld (%s): record dropped (max_exited %u)",
			  (long long)old->id, old->name, mpdd.opt.max_exited);
		proctab_free(old);
	}
}

/* The template started p as pid; pidfd (ours now, counted in
 * mpdd.fd_procs; -1 when there is none) refers to it. A termination asked
 * for while it was starting is sent now. */
void proctab_started(struct proc *p, pid_t pid, int pidfd)
{
	p->state = PROC_RUNNING;
	p->pid = pid;
	p->pidfd = pidfd;
	p->started = now_wall();
	log_debug("process %lld (%s): running as pid %ld", (long long)p->id,
		  p->name, (long)pid);
	events_emit_process(p, "started");
	if (p->kill_on_start) {
		proctab_signal(p, SIGTERM, true);
		p->kill_on_start = false;
	}
}

/* p could not be started: FAILED, with why in p->error. */
void proctab_failed(struct proc *p, const char *stage, int err,
		    const char *message)
{
	nlive--;
	p->state = PROC_FAILED;
	p->error = json_pack("{s:s, s:o, s:s}", "stage", stage, "errno",
			     err > 0 ? json_integer(err) : json_null(),
			     "message", message);
	log_info("process %lld (%s): start failed at %s: %s", (long long)p->id,
		 p->name, stage, message);
	proctab_ended(p);
	events_emit_process(p, "failed");
}

/* Running p ended with wait status (known false: its status was lost).
 * Returns false, changing nothing, when p was not running. */
bool proctab_exited(struct proc *p, int status, bool known)
{
	if (p->state != PROC_RUNNING)
		return false;
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
	events_emit_process(p, "exited");
	return true;
}

/* Mark p live (STARTING); the limit is checked by the caller. */
void proctab_starting(struct proc *p)
{
	uncount_created(p);
	p->state = PROC_STARTING;
	p->conn_mark = mpdd.next_conn_id;
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
		/* A termination goes to the child now if it can be named (a
		 * set-up may hang on the client's file system), else once it
		 * runs; other signals are not for a process being set up. */
		if ((sig == SIGTERM || sig == SIGKILL) &&
		    !spawner_signal(p, sig))
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
	struct timeval tv = timeval_of(mpdd.opt.kill_grace);

	if (p->state == PROC_STARTING) {
		p->kill_on_start = true;
	} else if (p->state == PROC_RUNNING) {
		proctab_signal(p, SIGTERM, true);
	} else {
		return;
	}
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
	struct timeval grace = timeval_of(mpdd.opt.kill_grace), last = { 5, 0 };
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
	free(uses);
	uses = NULL;
	nuses = cap_uses = 0;
}
