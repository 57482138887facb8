/*
 * taskpool.c - the pool.* methods: Python's multiprocessing.Pool, kept by
 * mpdd. (daemon/template/pool.c is another thing: the template's children
 * forked ahead.)
 *
 * A pool is a named set of workers fed with tasks. Its workers are
 * ordinary process records (proctab.c), made and started here without a
 * request (process_make(), process_launch()); the spawner's reports about
 * them come back through pool_proc_started() and pool_proc_ended().
 *
 * A function pool's worker is a function worker whose first descriptor is
 * one end of a socketpair: the task channel (channel.h has the wire, one
 * compact JSON line each way). The daemon reads it with a bufferevent,
 * each line bounded by max_message: a worker that writes anything else is
 * killed, and its task fails with worker_died saying why. Each worker
 * holds at most two tasks, the one it runs and the next, so it never
 * waits for the daemon between tasks. A program pool runs each task as a
 * process of its own, at most `processes` at once.
 *
 * Tasks are kept in an array indexed by id (less the lowest id kept), so
 * a lookup is O(1); the queued ones are on a FIFO, and the finished ones
 * not fetched yet on a list in completion order. pool.result parks until
 * what it asks for is there. Everything is bounded: pools count as broker
 * objects, the text of queued tasks and of kept outcomes in the broker's
 * bytes, and replies are sized to the connection's room.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "mpdd.h"

/* Bytes a task counts besides its text: its struct and slot. */
#define TASK_BYTES 160
/* Most tasks one pool.submit takes, ids one pool.result names, workers a
 * pool keeps. */
#define POOL_MAX_SUBMIT	   1024
#define POOL_MAX_IDS	   10000
#define POOL_MAX_PROCESSES 1024
#define POOL_MAX_RETRIES   100
/* Tasks a worker may hold (worker_depth()), and a task short enough to
 * let it hold that many: seconds. */
#define POOL_MAX_DEPTH	64
#define POOL_SHORT_TASK 0.001
/* Workers that end before they take a task, in a row, that break a pool. */
#define POOL_BREAK_AFTER 3
/* Seconds before a worker that could not be made is tried again. */
#define POOL_RETRY_S 1.0
/* Bytes of a result reply besides its entries. */
#define RESULT_OVERHEAD 64

enum pool_state { POOL_OPEN, POOL_CLOSED, POOL_TERMINATED, POOL_BROKEN };
static const char *const pool_states[] = { "open", "closed", "terminated",
					   "broken" };

enum task_state { TASK_QUEUED, TASK_RUNNING, TASK_DONE, TASK_FAILED };

struct worker;

struct task {
	int64_t id;
	enum task_state state;
	bool held; /* sent to a worker as its next, not running yet */
	bool timed_out; /* its timer fired: its worker is being killed */
	bool out; /* in a reply not delivered yet (struct rhold) */
	unsigned attempts; /* workers that died running it */
	size_t item0; /* a pool.map chunk's: the index of its first item */
	size_t nitems; /* ... and its number of items (0: not a chunk) */
	/* Queued: the body of its line for a worker (after `{"id":N,`), or
	 * a program task's spec; finished: its outcome entry, as
	 * pool.result sends it. */
	char *text;
	size_t len;
	json_t *prog; /* a program task's {argv, stdio}, until it starts */
	int fds[3]; /* ... and its "pass" streams */
	double timeout; /* seconds, or -1: none */
	struct worker *w; /* the worker holding it */
	struct proc *proc; /* a program task's process, while it runs */
	struct event *timer;
	uint64_t bytes; /* counted in the broker's bytes */
	TAILQ_ENTRY(task) entry; /* on queued, a worker's held, or finished */
};
TAILQ_HEAD(task_list, task);

struct worker {
	TAILQ_ENTRY(worker) entry;
	struct pool *pl;
	struct proc *p; /* its record */
	struct bufferevent *bev; /* the task channel; NULL once closed */
	struct task_list held; /* sent to it, in order: the first runs */
	int nheld;
	int depth; /* most it may hold now (worker_depth()) */
	struct timespec since; /* its first held task's run began */
	uint64_t sent, done;
	bool started; /* its start was reported */
	bool ready; /* its initializer returned 0 */
	bool leaving; /* let go (channel closed, or killed): not a death */
	struct event *eof_timer; /* its channel ended: it ends soon */
	char why[192]; /* why the pool killed it, or "" */
};

struct pool {
	char *name;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	bool program;
	char *module, *initializer, *function;
	json_t *initargs;
	json_int_t maxtasks; /* 0: none */
	unsigned retries;
	double timeout; /* default of each task's; -1: none */
	unsigned processes;
	json_t *env;
	bool env_clear;
	char *cwd;
	json_t *stdio; /* the workers' three stream specs */
	int fds[3]; /* their "pass" streams, kept */
	bool spawn;
	bool daemonic;
	bool deleted; /* out of the map: freed once its processes end */
	struct conn *owner; /* creating connection, while open */
	double created;
	enum pool_state state;
	char broken[256]; /* why it broke */
	const char *broken_stage;

	TAILQ_HEAD(, worker) workers;
	unsigned nworkers; /* records, leaving ones too */
	unsigned nactive; /* not leaving */
	unsigned next_n; /* POOL/N */
	unsigned nprogs; /* program tasks running */
	unsigned died_in_row; /* workers ended before they took a task */
	uint64_t deaths;

	/* Tasks: slots[i] holds id base + i, for i in [off, n); NULL once
	 * fetched. */
	struct task **slots;
	size_t off, n, cap;
	int64_t base;
	int64_t last_id; /* ids given: 1 to last_id */
	struct task_list queued, finished;
	size_t nqueued, nrunning, nheld, ndone, nfailed;

	TAILQ_ENTRY(pool) all_entry; /* on all_pools, deleted ones too */
	struct req_list waiters; /* parked pool.result */
	struct req_list joiners; /* parked pool.join */
	bool pumping, again;
	struct event *retry_ev; /* a worker start to try again */
	TAILQ_HEAD(, rhold) rholds; /* outcomes in replies not delivered */
	size_t nout; /* ... how many */
	struct event *wake_ev; /* outcomes came back: look at the waits */
};

static struct hmap pools;
/* Every pool, those deleted whose processes have not all ended too. */
static TAILQ_HEAD(, pool) all_pools = TAILQ_HEAD_INITIALIZER(all_pools);

/* ---- params ---- */

struct plargs {
	struct pool *pl;
	json_t *name;
	json_int_t processes, maxtasks, retries, chunksize, first, count, max;
	json_t *module, *initializer, *initargs, *function, *env, *cwd;
	json_t *start_method, *stdio[3], *tasks, *items, *ids;
	const char *order;
	double timeout;
	bool env_clear, daemon, exist_ok, keep;
	bool has_maxtasks;
};

#define A(key, type, flags, m)	    ARG(key, type, flags, struct plargs, m)
#define A_JSON(key, type, flags, m) ARG_JSON(key, type, flags, struct plargs, m)

static const struct mpd_param create_params[] = {
	ARG_NAME(struct plargs, name),
	ARG_RANGE("processes", MPD_PT_INT, 0, 1, POOL_MAX_PROCESSES,
		  struct plargs, processes),
	A_JSON("module", MPD_PT_STRING, MPD_PF_NONEMPTY, module),
	A_JSON("initializer", MPD_PT_STRING, MPD_PF_NONEMPTY, initializer),
	A("initargs", MPD_PT_ANY, 0, initargs),
	A_JSON("function", MPD_PT_STRING, MPD_PF_NONEMPTY, function),
	ARG_RANGE("maxtasksperchild", MPD_PT_INT, 0, 1, MPD_MAX_ID,
		  struct plargs, maxtasks),
	ARG_RANGE("retries", MPD_PT_INT, 0, 0, POOL_MAX_RETRIES, struct plargs,
		  retries),
	ARG_TIMEOUT(struct plargs, timeout),
	A("env", MPD_PT_OBJECT, 0, env),
	A("env_clear", MPD_PT_BOOL, 0, env_clear),
	A_JSON("cwd", MPD_PT_STRING, MPD_PF_NONEMPTY, cwd),
	A_JSON("start_method", MPD_PT_STRING, 0, start_method),
	A("stdout", MPD_PT_ANY, 0, stdio[1]),
	A("stderr", MPD_PT_ANY, 0, stdio[2]),
	A("daemon", MPD_PT_BOOL, 0, daemon),
	A("exist_ok", MPD_PT_BOOL, 0, exist_ok),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param submit_params[] = {
	PARAM_NAME,
	A("tasks", MPD_PT_ARRAY, MPD_PF_REQUIRED | MPD_PF_NONEMPTY, tasks),
	PARAMS_END,
};
static const struct mpd_param map_params[] = {
	PARAM_NAME,
	A_JSON("function", MPD_PT_STRING, MPD_PF_NONEMPTY, function),
	A("items", MPD_PT_ARRAY, MPD_PF_REQUIRED, items),
	ARG_RANGE("chunksize", MPD_PT_INT, 0, 1, MPD_MAX_ID, struct plargs,
		  chunksize),
	ARG_TIMEOUT(struct plargs, timeout),
	PARAMS_END,
};
static const struct mpd_param result_params[] = {
	PARAM_NAME,
	ARG_ID("first", 1, struct plargs, first),
	ARG_RANGE("count", MPD_PT_INT, 0, 1, MPD_MAX_ID, struct plargs, count),
	A("ids", MPD_PT_ARRAY, MPD_PF_NONEMPTY, ids),
	A("order", MPD_PT_STRING, 0, order),
	ARG_RANGE("max", MPD_PT_INT, 0, 1, MPD_MAX_ID, struct plargs, max),
	ARG_TIMEOUT(struct plargs, timeout),
	A("keep", MPD_PT_BOOL, 0, keep),
	PARAMS_END,
};
static const struct mpd_param join_params[] = {
	PARAM_NAME,
	ARG_TIMEOUT(struct plargs, timeout),
	PARAMS_END,
};

static uid_t pool_owner(const void *obj, int64_t *id)
{
	*id = 0;
	return ((const struct pool *)obj)->uid;
}

static const struct target_type pool_target = {
	.noun = "pool",
	.map = &pools,
	.owner = pool_owner,
	.bounded_name = true,
};

const char *pool_name(const struct pool *pl)
{
	return pl->name;
}

/* ---- tasks ---- */

static struct task *task_get(const struct pool *pl, int64_t id)
{
	size_t i;

	if (id < pl->base)
		return NULL;
	i = (size_t)(id - pl->base);
	return i >= pl->off && i < pl->n ? pl->slots[i] : NULL;
}

/* The lowest id still kept (or last_id + 1). */
static int64_t task_lowest(const struct pool *pl)
{
	return pl->base + (int64_t)pl->off;
}

/* A new queued task, with the next id; NULL when out of memory. */
static struct task *task_new(struct pool *pl)
{
	struct task *t;

	if (pl->n == pl->cap) {
		size_t ncap = pl->cap ? pl->cap * 2 : 64;
		struct task **ns = realloc(pl->slots, ncap * sizeof(*ns));

		if (ns == NULL)
			return NULL;
		pl->slots = ns;
		pl->cap = ncap;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->id = ++pl->last_id;
	t->fds[0] = t->fds[1] = t->fds[2] = -1;
	t->timeout = -1;
	pl->slots[pl->n++] = t;
	return t;
}

static void task_free(struct task *t)
{
	for (int i = 0; i < 3; i++)
		if (t->fds[i] >= 0) {
			close(t->fds[i]);
			mpdd.fd_procs--;
		}
	if (t->timer != NULL)
		event_free(t->timer);
	broker_bytes(-(int64_t)t->bytes);
	json_decref(t->prog);
	free(t->text);
	free(t);
}

/* Forget t (finished): its slot empties, and the slots before the first
 * one kept are given back now and then. */
static void task_forget(struct pool *pl, struct task *t)
{
	size_t i = (size_t)(t->id - pl->base);

	if (!t->out)
		TAILQ_REMOVE(&pl->finished, t, entry);
	if (t->state == TASK_DONE)
		pl->ndone--;
	else
		pl->nfailed--;
	pl->slots[i] = NULL;
	task_free(t);
	while (pl->off < pl->n && pl->slots[pl->off] == NULL)
		pl->off++;
	if (pl->off > 1024 && pl->off > pl->n / 2) {
		memmove(pl->slots, pl->slots + pl->off,
			(pl->n - pl->off) * sizeof(*pl->slots));
		pl->base += (int64_t)pl->off;
		pl->n -= pl->off;
		pl->off = 0;
	}
}

/*
 * Outcomes taken by a pool.result reply, kept until the reply is
 * delivered (then forgotten) or dropped (then they go back, at the head
 * of the completion list, in their order): an outcome leaves the pool
 * only in a reply its client got, as a queue's items do.
 */
struct rhold {
	struct hold h; /* first: conn.c and dispatch.c see this */
	TAILQ_ENTRY(rhold) entry; /* on pl->rholds */
	struct pool *pl; /* NULL once the pool is freed (with the tasks) */
	size_t n;
	struct task *t[];
};

static void pool_wake_all(struct pool *pl);

static void wake_cb(evutil_socket_t fd, short events, void *arg)
{
	pool_wake_all(arg);
}

static void rhold_release(struct hold *h, bool delivered)
{
	struct rhold *rh = (struct rhold *)h;
	struct pool *pl = rh->pl;

	if (pl != NULL) {
		TAILQ_REMOVE(&pl->rholds, rh, entry);
		pl->nout -= rh->n;
		for (size_t i = rh->n; i-- > 0;) {
			struct task *t = rh->t[i];

			if (delivered) {
				task_forget(pl, t);
				continue;
			}
			t->out = false;
			TAILQ_INSERT_HEAD(&pl->finished, t, entry);
		}
		/* Waits they may satisfy are looked at from the loop:
		 * this runs inside a connection's write or close. */
		if (!delivered && pl->wake_ev == NULL)
			pl->wake_ev = event_new(mpdd.base, -1, 0, wake_cb, pl);
		if (!delivered && pl->wake_ev != NULL)
			event_active(pl->wake_ev, 0, 0);
	}
	free(rh);
}

static void pool_pump(struct pool *pl);
static void pool_wake(struct pool *pl, const struct task *t);
static void pool_maybe_free(struct pool *pl);

/* Text of JSON value v (borrowed), or NULL. */
static char *encode(const json_t *v, size_t *len)
{
	return mpd_json_encode(v, len, 0);
}

/*
 * t is finished: done with result (its text, rlen bytes), or failed with
 * the error code, message and data (stolen). Its outcome goes last on the
 * completion list, and what waits for it is told.
 */
static void task_finish(struct pool *pl, struct task *t, const char *result,
			size_t rlen, int code, const char *message,
			json_t *data)
{
	char *entry = NULL, *etext = NULL;
	size_t elen = 0;
	int n;

	if (t->timer != NULL) {
		event_free(t->timer);
		t->timer = NULL;
	}
	if (t->state == TASK_QUEUED) {
		TAILQ_REMOVE(&pl->queued, t, entry);
		pl->nqueued--;
	} else if (t->held) {
		pl->nheld--;
	} else {
		pl->nrunning--;
	}
	t->held = false;
	t->w = NULL;
	t->proc = NULL;
	for (int i = 0; i < 3; i++)
		if (t->fds[i] >= 0) {
			close(t->fds[i]);
			mpdd.fd_procs--;
			t->fds[i] = -1;
		}
	json_decref(t->prog);
	t->prog = NULL;
	free(t->text);
	t->text = NULL;
	broker_bytes(-(int64_t)t->bytes);
	if (code == 0) {
		t->state = TASK_DONE;
		entry = malloc(rlen + 64);
		if (entry != NULL) {
			n = snprintf(
				entry, 64,
				"{\"id\":%lld,\"state\":\"done\",\"result\":",
				(long long)t->id);
			memcpy(entry + n, result, rlen);
			entry[n + rlen] = '}';
			elen = (size_t)n + rlen + 1;
		}
		json_decref(data);
	} else {
		json_t *err = mpd_rpc_error_new(NULL, code, message, data);
		json_t *e = json_pack("{s:I, s:s, s:O}", "id",
				      (json_int_t)t->id, "state", "failed",
				      "error", json_object_get(err, "error"));

		t->state = TASK_FAILED;
		json_decref(err);
		etext = e != NULL ? encode(e, &elen) : NULL;
		json_decref(e);
		entry = etext;
	}
	if (entry == NULL) {
		/* Out of memory: still an outcome, the shortest. */
		t->state = TASK_FAILED;
		entry = NULL;
		if (asprintf(&entry,
			     "{\"id\":%lld,\"state\":\"failed\",\"error\":"
			     "{\"code\":-32603,\"message\":\"out of memory\"}}",
			     (long long)t->id) < 0)
			entry = NULL;
		elen = entry != NULL ? strlen(entry) : 0;
	}
	t->text = entry;
	t->len = elen;
	t->bytes = elen + TASK_BYTES;
	broker_bytes((int64_t)t->bytes);
	if (t->state == TASK_DONE)
		pl->ndone++;
	else
		pl->nfailed++;
	TAILQ_INSERT_TAIL(&pl->finished, t, entry);
	pool_wake(pl, t);
}

/* Fail t with code, and a formatted message; data stolen. */
static void __attribute__((format(printf, 5, 6)))
task_fail(struct pool *pl, struct task *t, int code, json_t *data,
	  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	task_finish(pl, t, NULL, 0, code, msg, data);
}

/* Put t (held by a worker) back at the head of the queue. */
static void task_requeue(struct pool *pl, struct task *t)
{
	if (t->timer != NULL) {
		event_free(t->timer);
		t->timer = NULL;
	}
	if (t->held)
		pl->nheld--;
	else
		pl->nrunning--;
	t->held = false;
	t->w = NULL;
	t->state = TASK_QUEUED;
	TAILQ_INSERT_HEAD(&pl->queued, t, entry);
	pl->nqueued++;
}

/* ---- workers ---- */

static void worker_timeout_cb(evutil_socket_t fd, short events, void *arg);
static void task_timeout_cb(evutil_socket_t fd, short events, void *arg);

/* t starts running (on a worker, or as a program): its timer starts. */
static void task_running(struct pool *pl, struct task *t, bool on_worker)
{
	if (t->held) {
		t->held = false;
		pl->nheld--;
		pl->nrunning++;
	}
	if (t->timeout >= 0 && t->timer == NULL)
		t->timer = timer_after(
			t->timeout,
			on_worker ? worker_timeout_cb : task_timeout_cb, t);
}

/* Let w go: no more tasks; its channel is closed, so it exits. */
static void worker_release(struct worker *w)
{
	if (!w->leaving) {
		w->leaving = true;
		w->pl->nactive--;
	}
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
		mpdd.fd_procs--;
	}
}

/* Kill w (SIGKILL) for why; its tasks are dealt with at its end. */
static void worker_kill(struct worker *w, const char *why)
{
	if (w->why[0] == '\0')
		snprintf(w->why, sizeof(w->why), "%s", why);
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
		mpdd.fd_procs--;
	}
	if (w->p != NULL &&
	    (w->p->state == PROC_RUNNING || w->p->state == PROC_STARTING))
		proctab_signal(w->p, SIGKILL, true);
}

/*
 * A worker holds two tasks (the one it runs and the next), so that it
 * never waits for the daemon between tasks; one whose tasks are short
 * holds more, up to POOL_MAX_DEPTH, so that it waits for the daemon no
 * more than once a batch: a task's outcome costs it a round trip through
 * the daemon's loop otherwise, longer than the task itself. A long task
 * brings it back to two, so tasks never wait long behind another on a
 * worker while others are idle.
 */
static void worker_depth(struct worker *w)
{
	struct timespec now;
	double ran;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ran = (double)(now.tv_sec - w->since.tv_sec) +
	      (double)(now.tv_nsec - w->since.tv_nsec) / 1e9;
	w->since = now;
	w->depth = ran < POOL_SHORT_TASK ? POOL_MAX_DEPTH : 2;
}

/* Send t to w. */
static bool worker_send(struct worker *w, struct task *t)
{
	struct pool *pl = w->pl;
	char head[48];
	int hlen =
		snprintf(head, sizeof(head), "{\"id\":%lld,", (long long)t->id);
	struct evbuffer *out = bufferevent_get_output(w->bev);

	if (evbuffer_add(out, head, (size_t)hlen) == -1 ||
	    evbuffer_add(out, t->text, t->len) == -1 ||
	    evbuffer_add(out, "\n", 1) == -1)
		return false;
	TAILQ_REMOVE(&pl->queued, t, entry);
	pl->nqueued--;
	t->w = w;
	t->state = TASK_RUNNING;
	t->held = true;
	pl->nheld++;
	TAILQ_INSERT_TAIL(&w->held, t, entry);
	w->nheld++;
	w->sent++;
	/* It runs now, unless the worker is not ready yet: then it runs
	 * (and its timeout starts) once the worker is. */
	if (w->nheld == 1 && w->ready) {
		clock_gettime(CLOCK_MONOTONIC, &w->since);
		task_running(pl, t, true);
	}
	return true;
}

/* The outcome of w's running task, as the worker sent it. */
static bool worker_outcome(struct worker *w, json_t *msg, const char *line,
			   size_t llen)
{
	struct pool *pl = w->pl;
	struct task *t = TAILQ_FIRST(&w->held), *next;
	json_t *id = json_object_get(msg, CHAN_POOL_ID);
	json_t *result = json_object_get(msg, CHAN_POOL_RESULT);
	json_t *error = json_object_get(msg, CHAN_POOL_ERROR);
	json_t *index = json_object_get(error, CHAN_POOL_INDEX);
	char *text;
	size_t len;

	/* A chunk's failing item is one of its items. */
	if (t == NULL || !json_is_integer(id) ||
	    json_integer_value(id) != t->id ||
	    (result == NULL) == (error == NULL) ||
	    (error != NULL && !json_is_object(error)) ||
	    (index != NULL &&
	     (!json_is_integer(index) || json_integer_value(index) < 0 ||
	      (uint64_t)json_integer_value(index) >= t->nitems))) {
		worker_kill(w, "it wrote an outcome that is not the one of "
			       "its running task");
		return false;
	}
	TAILQ_REMOVE(&w->held, t, entry);
	w->nheld--;
	w->done++;
	pl->died_in_row = 0; /* a worker took a task */
	worker_depth(w);
	if (result != NULL) {
		/* The result's text as the worker wrote it, when the line is
		 * {"id":N,"result":R} (ours always is): no second encoding.
		 * Only then: members after R would go into the outcome. */
		char head[48];
		int hl = snprintf(head, sizeof(head),
				  "{\"id\":%lld,\"result\":", (long long)t->id);

		if (json_object_size(msg) == 2 && llen > (size_t)hl + 1 &&
		    memcmp(line, head, (size_t)hl) == 0 &&
		    line[llen - 1] == '}') {
			task_finish(pl, t, line + hl, llen - (size_t)hl - 1, 0,
				    NULL, NULL);
			goto next;
		}
		text = encode(result, &len);
		if (text == NULL) {
			task_fail(pl, t, MPD_RPC_INTERNAL_ERROR, NULL,
				  "out of memory");
		} else {
			task_finish(pl, t, text, len, 0, NULL, NULL);
			free(text);
		}
	} else {
		json_t *msgv = json_object_get(error, "message");
		json_t *data = json_pack(
			"{s:O, s:O}", "return",
			json_object_get(error, CHAN_POOL_RETURN) ?: json_null(),
			"value",
			json_object_get(error, CHAN_POOL_VALUE) ?: json_null());

		/* The worker counts within the chunk; the caller, within
		 * the items it mapped. */
		if (data != NULL && index != NULL)
			json_object_set_new(
				data, "index",
				json_integer((json_int_t)t->item0 +
					     json_integer_value(index)));
		task_fail(pl, t, MPD_RPC_TASK_FAILED, data, "%s",
			  json_is_string(msgv) ? json_string_value(msgv) :
						 "task failed");
	}
next:
	if ((next = TAILQ_FIRST(&w->held)) != NULL)
		task_running(pl, next, true);
	return true;
}

/* Lines from w's channel. */
static void worker_read_cb(struct bufferevent *bev, void *arg)
{
	struct worker *w = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct pool *pl = w->pl;

	for (;;) {
		struct evbuffer_ptr eol =
			evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		size_t len;
		char *line;
		json_t *msg;

		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > mpdd.opt.max_message) {
				worker_kill(w, "it wrote a line longer than "
					       "max_message");
				break;
			}
			break;
		}
		len = (size_t)eol.pos;
		if (len > mpdd.opt.max_message) {
			worker_kill(w, "it wrote a line longer than "
				       "max_message");
			break;
		}
		line = (char *)evbuffer_pullup(in, (ev_ssize_t)len + 1);
		msg = line != NULL ? mpd_json_parse(line, len, 0, NULL) : NULL;
		if (!json_is_object(msg)) {
			json_decref(msg);
			worker_kill(w, "it wrote a line that is not a JSON "
				       "object");
			break;
		}
		if (json_object_get(msg, CHAN_POOL_READY) != NULL) {
			json_decref(msg);
			if (w->ready) {
				worker_kill(w, "it said it was ready twice");
				break;
			}
			w->ready = true;
			if (!TAILQ_EMPTY(&w->held)) {
				clock_gettime(CLOCK_MONOTONIC, &w->since);
				task_running(pl, TAILQ_FIRST(&w->held), true);
			}
		} else if (!w->ready) {
			json_decref(msg);
			worker_kill(w, "it sent an outcome before it was "
				       "ready");
			break;
		} else {
			/* The line is read in place: drained after. */
			worker_outcome(w, msg, line, len);
			json_decref(msg);
		}
		if (w->bev == NULL)
			break; /* killed: the buffer went with it */
		evbuffer_drain(in, len + 1);
	}
	pool_pump(pl);
}

/* A worker whose channel ended is given this long to end before it is
 * killed: its end, not its channel's, says how it went. */
#define CHANNEL_EOF_GRACE 2.0

static void worker_eof_cb(evutil_socket_t fd, short events, void *arg)
{
	struct worker *w = arg;

	event_free(w->eof_timer);
	w->eof_timer = NULL;
	worker_kill(w, "it closed its task channel and went on running");
}

/* EOF or an error on w's channel: the worker is ending, and its end
 * says how; one that lets go of its channel and goes on is killed. */
static void worker_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct worker *w = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_free(w->bev);
	w->bev = NULL;
	mpdd.fd_procs--;
	if (w->eof_timer == NULL)
		w->eof_timer = timer_after(CHANNEL_EOF_GRACE, worker_eof_cb, w);
	pool_pump(w->pl);
}

/* A running task of a worker timed out: the worker is killed. */
static void worker_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task *t = arg;
	char why[sizeof(t->w->why)];

	event_free(t->timer);
	t->timer = NULL;
	t->timed_out = true;
	snprintf(why, sizeof(why), "its task %lld ran longer than %g s",
		 (long long)t->id, t->timeout);
	t->w->why[0] = '\0'; /* this is why, whatever was said before */
	worker_kill(t->w, why);
}

/* Start one more worker for pl. Returns 0 (its start is under way, or
 * it failed already and was counted), or -2 when no worker could be made
 * (max_processes reached, descriptors or memory short: nothing was
 * counted). */
static int worker_start(struct pool *pl)
{
	struct worker *w = calloc(1, sizeof(*w));
	int sv[2] = { -1, -1 }, *wfds = NULL, fds[3] = { -1, -1, -1 }, rc;
	json_t *target = NULL, *stdio = NULL, *names = NULL;
	char name[MPD_MAX_NAME + 16];
	struct proc *p;

	if (w == NULL)
		goto nomem;
	/* The limit is the daemon's, not the worker's: a start it refuses
	 * is no failed start (three of them in a row would break a pool
	 * whose other workers run well); it is tried again later. */
	if (proctab_live() >= mpdd.opt.max_processes) {
		free(w);
		log_debug("pool %s: max_processes processes run already; "
			  "starting a worker again in %g s",
			  pl->name, POOL_RETRY_S);
		return -2;
	}
	if (!spawner_hold_room(2)) {
		free(w);
		log_warnx("pool %s: too few descriptors left to start a "
			  "worker; trying again in %g s",
			  pl->name, POOL_RETRY_S);
		return -2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		goto nomem;
	wfds = malloc(sizeof(*wfds));
	target = pl->initializer != NULL ?
			 json_pack("{s:s, s:s}", "module", pl->module,
				   "function", pl->initializer) :
			 json_pack("{s:s}", "module", pl->module);
	stdio = json_deep_copy(pl->stdio);
	names = json_pack("[s]", CHAN_POOL_FDNAME);
	for (int i = 0; i < 3; i++)
		if (pl->fds[i] >= 0 &&
		    (fds[i] = fcntl(pl->fds[i], F_DUPFD_CLOEXEC, 0)) == -1)
			goto nomem;
	if (wfds == NULL || target == NULL || stdio == NULL || names == NULL)
		goto nomem;
	wfds[0] = sv[1];
	snprintf(name, sizeof(name), "%s/%u", pl->name, ++pl->next_n);
	p = process_make(&(struct proc_spec){
		.name = name,
		.uid = pl->uid,
		.gid = pl->gid,
		.groups = pl->groups,
		.ngroups = pl->ngroups,
		.target = target,
		.args = pl->initargs,
		.env = pl->env,
		.env_clear = pl->env_clear,
		.cwd = pl->cwd,
		.stdio = stdio,
		.fds = { fds[0], fds[1], fds[2] },
		.wfds = wfds,
		.nwfds = 1,
		.fdnames = names,
		.spawn = pl->spawn,
	});
	json_decref(names);
	names = NULL;
	if (p == NULL)
		goto nomem;
	w->bev =
		bufferevent_socket_new(mpdd.base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (w->bev == NULL) {
		close(sv[0]);
		proctab_free(p);
		free(w);
		return -2;
	}
	mpdd.fd_procs++;
	evutil_make_socket_nonblocking(sv[0]);
	bufferevent_setcb(w->bev, worker_read_cb, NULL, worker_event_cb, w);
	bufferevent_enable(w->bev, EV_READ | EV_WRITE);
	w->pl = pl;
	w->p = p;
	w->depth = 2;
	TAILQ_INIT(&w->held);
	p->pool = pl;
	p->pool_arg = w;
	p->parent = 0;
	TAILQ_INSERT_TAIL(&pl->workers, w, entry);
	pl->nworkers++;
	pl->nactive++;
	events_emit_process(p, "created");
	rc = process_launch(p);
	if (rc < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s",
			 rc == -EAGAIN ? "max_processes processes run already" :
					 strerror(-rc));
		proctab_starting(p);
		proctab_failed(p, "start", -rc, why);
		pool_proc_ended(p);
		return 0;
	}
	/* w and p may be gone: a start can fail at once. */
	return 0;
nomem:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(wfds);
	json_decref(target);
	json_decref(stdio);
	json_decref(names);
	free(w);
	log_warnx("pool %s: cannot start a worker: out of memory", pl->name);
	return -2;
}

/* How p ended, for a message ("exited with code 3", "killed by
 * SIGKILL") and as data members of obj. */
static void ended_how(const struct proc *p, char *buf, size_t size, json_t *obj)
{
	char sigbuf[32];
	const char *sig;
	int st = p->status;

	if (p->state != PROC_EXITED || !p->status_known) {
		snprintf(buf, size, "ended, how is not known");
		json_object_set_new(obj, "exitcode", json_null());
		json_object_set_new(obj, "signal", json_null());
		json_object_set_new(obj, "core_dumped", json_false());
	} else if (WIFSIGNALED(st)) {
		sig = mpd_signal_name(WTERMSIG(st), sigbuf, sizeof(sigbuf));
		snprintf(buf, size, "killed by %s%s", sig,
			 WCOREDUMP(st) ? " (core dumped)" : "");
		json_object_set_new(obj, "exitcode",
				    json_integer(-WTERMSIG(st)));
		json_object_set_new(obj, "signal", json_string(sig));
		json_object_set_new(obj, "core_dumped",
				    json_boolean(WCOREDUMP(st)));
	} else {
		snprintf(buf, size, "exited with code %d", WEXITSTATUS(st));
		json_object_set_new(obj, "exitcode",
				    json_integer(WEXITSTATUS(st)));
		json_object_set_new(obj, "signal", json_null());
		json_object_set_new(obj, "core_dumped", json_false());
	}
	json_object_set_new(obj, "pid",
			    p->pid > 0 ? json_integer(p->pid) : json_null());
}

/* The pool breaks: why (stage "start" or "initializer"). */
static void pool_break(struct pool *pl, const char *stage, const char *why)
{
	struct worker *w;

	if (pl->state == POOL_BROKEN || pl->state == POOL_TERMINATED)
		return;
	pl->state = POOL_BROKEN;
	pl->broken_stage = stage;
	snprintf(pl->broken, sizeof(pl->broken), "%s", why);
	log_info("pool %s: broken: %s", pl->name, why);
	TAILQ_FOREACH (w, &pl->workers, entry)
		if (w->nheld == 0)
			worker_release(w);
	events_emit_object("pool", pl->name, "broken", pl->uid);
}

/* w's record p ended (or never started). */
static void worker_ended(struct pool *pl, struct worker *w, struct proc *p)
{
	char how[128], msg[512];
	json_t *data;
	struct task *t;

	TAILQ_REMOVE(&pl->workers, w, entry);
	pl->nworkers--;
	if (!w->leaving)
		pl->nactive--;
	if (w->eof_timer != NULL)
		event_free(w->eof_timer);
	if (w->bev != NULL) {
		bufferevent_free(w->bev);
		w->bev = NULL;
		mpdd.fd_procs--;
	}
	data = json_pack("{s:I}", "worker", (json_int_t)p->id);
	ended_how(p, how, sizeof(how), data);
	if (p->state == PROC_FAILED) {
		pl->died_in_row++;
		snprintf(
			msg, sizeof(msg),
			"worker %s could not be started: %s: %s", p->name,
			json_string_value(json_object_get(p->error, "stage")) ?:
				"start",
			json_string_value(json_object_get(p->error, "message")) ?:
				"");
		if (pl->died_in_row >= POOL_BREAK_AFTER)
			pool_break(pl, "start", msg);
	} else if (!w->leaving &&
		   (!w->ready || (w->done == 0 && w->nheld == 0))) {
		/* Ready counts for nothing until a task is done: a worker
		 * that says so and dies (or is killed) at once would have
		 * the pool start workers over and over, at full speed. */
		pl->died_in_row++;
		snprintf(msg, sizeof(msg),
			 "worker %s (process %lld, pid %ld) %s%s before it "
			 "took a task%s",
			 p->name, (long long)p->id, (long)p->pid,
			 w->why[0] != '\0' ? "was killed: " : "",
			 w->why[0] != '\0' ? w->why : how,
			 !w->ready && pl->initializer != NULL ?
				 " (in its initializer)" :
				 "");
		if (pl->died_in_row >= POOL_BREAK_AFTER)
			pool_break(pl, w->ready ? "start" : "initializer", msg);
	}
	/* The one it ran fails (or is run again); the others go back to
	 * the head of the queue, in their order. A worker that never got
	 * past its initializer ran none. */
	while (w->nheld > 1) {
		t = TAILQ_LAST(&w->held, task_list);
		TAILQ_REMOVE(&w->held, t, entry);
		w->nheld--;
		task_requeue(pl, t);
	}
	if ((t = TAILQ_FIRST(&w->held)) != NULL) {
		TAILQ_REMOVE(&w->held, t, entry);
		w->nheld--;
	}
	if (t != NULL && !w->ready) {
		task_requeue(pl, t);
	} else if (t != NULL) {
		if (t->timed_out) {
			task_fail(pl, t, MPD_RPC_TASK_TIMEOUT,
				  json_pack("{s:I, s:o, s:f}", "worker",
					    (json_int_t)p->id, "pid",
					    p->pid > 0 ? json_integer(p->pid) :
							 json_null(),
					    "timeout", t->timeout),
				  "task %lld ran longer than its timeout (%g "
				  "s): worker %s (process %lld, pid %ld) was "
				  "killed",
				  (long long)t->id, t->timeout, p->name,
				  (long long)p->id, (long)p->pid);
		} else if (++t->attempts <= pl->retries &&
			   pl->state != POOL_TERMINATED) {
			task_requeue(pl, t);
		} else {
			json_object_set_new(data, "attempts",
					    json_integer(t->attempts));
			task_fail(pl, t, MPD_RPC_WORKER_DIED, json_incref(data),
				  "worker %s (process %lld, pid %ld) %s%s%s "
				  "while it ran task %lld",
				  p->name, (long long)p->id, (long)p->pid,
				  w->why[0] != '\0' ? "was killed: " : "",
				  w->why[0] != '\0' ? w->why : how,
				  w->why[0] != '\0' ? "," : "",
				  (long long)t->id);
		}
	}
	/* A worker let go that exits is no death; one killed (timeout,
	 * garbage) or that ended on its own is. */
	if (p->state == PROC_EXITED && pl->state != POOL_TERMINATED &&
	    (!w->leaving || w->why[0] != '\0'))
		pl->deaths++;
	json_decref(data);
	free(w);
}

/* ---- program tasks ---- */

static void task_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task *t = arg;

	event_free(t->timer);
	t->timer = NULL;
	t->timed_out = true;
	if (t->proc != NULL)
		proctab_signal(t->proc, SIGKILL, true);
}

/* Start program task t (at the head of the queue). */
static void prog_start(struct pool *pl, struct task *t)
{
	json_t *target =
		json_pack("{s:O}", "argv", json_object_get(t->prog, "argv"));
	json_t *stdio = json_incref(json_object_get(t->prog, "stdio"));
	char name[MPD_MAX_NAME + 16];
	struct proc *p;
	int rc;

	TAILQ_REMOVE(&pl->queued, t, entry);
	pl->nqueued--;
	t->state = TASK_RUNNING;
	pl->nrunning++;
	snprintf(name, sizeof(name), "%s/%u", pl->name, ++pl->next_n);
	p = target == NULL || stdio == NULL ?
		    NULL :
		    process_make(&(struct proc_spec){
			    .name = name,
			    .uid = pl->uid,
			    .gid = pl->gid,
			    .groups = pl->groups,
			    .ngroups = pl->ngroups,
			    .target = target,
			    .env = pl->env,
			    .env_clear = pl->env_clear,
			    .cwd = pl->cwd,
			    .stdio = stdio,
			    .fds = { t->fds[0], t->fds[1], t->fds[2] },
			    .spawn = pl->spawn,
		    });
	if (p == NULL) {
		json_decref(target);
		json_decref(stdio);
		task_fail(pl, t, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	/* The record holds them now (and counts them). */
	for (int i = 0; i < 3; i++)
		if (t->fds[i] >= 0) {
			mpdd.fd_procs--;
			t->fds[i] = -1;
		}
	p->pool = pl;
	p->pool_arg = t;
	t->proc = p;
	pl->nprogs++;
	events_emit_process(p, "created");
	task_running(pl, t, false);
	rc = process_launch(p);
	if (rc < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s",
			 rc == -EAGAIN ? "max_processes processes run already" :
			 rc == -EMFILE || rc == -ENFILE ?
					 "too few file descriptors left" :
					 strerror(-rc));
		proctab_starting(p);
		proctab_failed(p, "start", -rc, why);
		pool_proc_ended(p);
	}
}

/* Program task t's process p ended (or never started). */
static void prog_ended(struct pool *pl, struct task *t, struct proc *p)
{
	char how[128];
	json_t *data = json_object();

	pl->nprogs--;
	t->proc = NULL;
	if (p->state == PROC_FAILED) {
		json_t *e = p->error != NULL ? json_copy(p->error) :
					       json_object();

		json_decref(data);
		task_fail(pl, t, MPD_RPC_SPAWN_FAILED, e,
			  "task %lld could not be started: %s: %s",
			  (long long)t->id,
			  json_string_value(json_object_get(e, "stage")) ?: "",
			  json_string_value(json_object_get(e, "message")) ?:
									     "");
		return;
	}
	ended_how(p, how, sizeof(how), data);
	if (t->timed_out) {
		json_t *d = json_pack("{s:I, s:O, s:f}", "worker",
				      (json_int_t)p->id, "pid",
				      json_object_get(data, "pid"), "timeout",
				      t->timeout);

		json_decref(data);
		task_fail(pl, t, MPD_RPC_TASK_TIMEOUT, d,
			  "task %lld ran longer than its timeout (%g s): "
			  "process %lld (pid %ld) was killed",
			  (long long)t->id, t->timeout, (long long)p->id,
			  (long)p->pid);
	} else if (p->state == PROC_EXITED && p->status_known &&
		   WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0) {
		char *text;
		size_t len;

		text = encode(data, &len);
		json_decref(data);
		if (text == NULL) {
			task_fail(pl, t, MPD_RPC_INTERNAL_ERROR, NULL,
				  "out of memory");
			return;
		}
		task_finish(pl, t, text, len, 0, NULL, NULL);
		free(text);
	} else if (pl->state == POOL_TERMINATED) {
		json_decref(data);
		task_fail(pl, t, MPD_RPC_TERMINATED, json_object(),
			  "pool \"%s\" was terminated", pl->name);
	} else {
		task_fail(pl, t, MPD_RPC_TASK_FAILED, data,
			  "task %lld (process %lld, pid %ld) %s",
			  (long long)t->id, (long long)p->id, (long)p->pid,
			  how);
	}
}

/* ---- the spawner's reports ---- */

void pool_proc_started(struct proc *p)
{
	struct pool *pl = p->pool;

	if (!pl->program)
		((struct worker *)p->pool_arg)->started = true;
}

/* p, a pool's process, ended or never started: the pool takes note and
 * closes its record. */
void pool_proc_ended(struct proc *p)
{
	struct pool *pl = p->pool;

	if (pl->program)
		prog_ended(pl, p->pool_arg, p);
	else
		worker_ended(pl, p->pool_arg, p);
	p->pool = NULL;
	p->pool_arg = NULL;
	proctab_free(p);
	pool_pump(pl);
	pool_maybe_free(pl);
}

/* ---- the pump ---- */

static bool pool_joined(const struct pool *pl)
{
	return pl->state != POOL_OPEN && pl->nqueued == 0 &&
	       pl->nrunning == 0 && pl->nheld == 0 && pl->nworkers == 0 &&
	       pl->nprogs == 0;
}

static void pool_retry_cb(evutil_socket_t fd, short events, void *arg);

static void pool_pump_once(struct pool *pl)
{
	struct worker *w, *wn;
	struct task *t;
	bool work = pl->state == POOL_OPEN || pl->state == POOL_CLOSED;

	if (pl->state == POOL_BROKEN) {
		while ((t = TAILQ_FIRST(&pl->queued)) != NULL)
			task_fail(pl, t, MPD_RPC_WORKER_DIED,
				  json_pack("{s:s}", "stage", pl->broken_stage),
				  "pool \"%s\" is broken: %s", pl->name,
				  pl->broken);
	}
	if (pl->program) {
		while (work && pl->nqueued > 0 && pl->nprogs < pl->processes) {
			/* max_processes is the daemon's limit, not the
			 * task's: a task waits for room, as for a slot. */
			if (proctab_live() >= mpdd.opt.max_processes) {
				if (pl->retry_ev == NULL)
					pl->retry_ev =
						timer_after(POOL_RETRY_S,
							    pool_retry_cb, pl);
				return;
			}
			prog_start(pl, TAILQ_FIRST(&pl->queued));
			pl->again = true;
			return;
		}
		return;
	}
	/* Feed the workers: each holds at most its depth, and none more
	 * than its quota; every worker gets one before any gets a second,
	 * and a second before any gets more. */
	for (int k = 0; k < 3 && pl->nqueued > 0; k++)
		TAILQ_FOREACH (w, &pl->workers, entry) {
			int depth = k < 2 ? k + 1 : POOL_MAX_DEPTH;

			while (w->bev != NULL && !w->leaving &&
			       w->nheld < depth && w->nheld < w->depth &&
			       pl->nqueued > 0 &&
			       (pl->maxtasks == 0 ||
				w->sent < (uint64_t)pl->maxtasks))
				if (!worker_send(w, TAILQ_FIRST(&pl->queued)))
					break;
		}
	/* Let go of those that have done their quota, and of idle ones
	 * when no task can come. */
	for (w = TAILQ_FIRST(&pl->workers); w != NULL; w = wn) {
		wn = TAILQ_NEXT(w, entry);
		if (w->leaving || w->nheld > 0)
			continue;
		if ((pl->maxtasks > 0 && w->done >= (uint64_t)pl->maxtasks) ||
		    (pl->state != POOL_OPEN && pl->nqueued == 0))
			worker_release(w);
	}
	if (work && pl->nactive < pl->processes &&
	    (pl->state == POOL_OPEN || pl->nqueued > 0) &&
	    pl->retry_ev == NULL) {
		/* A worker that could not even be made (descriptors or
		 * memory short) is tried again in a while, not at once. */
		if (worker_start(pl) == -2)
			pl->retry_ev =
				timer_after(POOL_RETRY_S, pool_retry_cb, pl);
		else
			pl->again = true;
	}
}

static void pool_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct pool *pl = arg;

	event_free(pl->retry_ev);
	pl->retry_ev = NULL;
	pool_pump(pl);
}

/* Move what can move in pl: feed workers, start and let go of them,
 * answer joins. Never re-entered: a report that comes while it runs
 * makes it go round again. */
static void pool_pump(struct pool *pl)
{
	struct req *r;

	if (pl->pumping) {
		pl->again = true;
		return;
	}
	pl->pumping = true;
	do {
		pl->again = false;
		pool_pump_once(pl);
	} while (pl->again);
	pl->pumping = false;
	if (pool_joined(pl))
		while ((r = TAILQ_FIRST(&pl->joiners)) != NULL)
			req_result(r, json_pack("{s:b}", "joined", 1));
}

/* ---- pool.result ---- */

enum rorder { ORDER_ALL, ORDER_SUBMISSION, ORDER_COMPLETION };

/* What a pool.result asks for (its req's park_arg while parked). */
struct rwait {
	struct pool *pl;
	int64_t first, end; /* ids [first, end), or ... */
	int64_t *ids; /* ... these, sorted, without duplicates */
	size_t nids;
	enum rorder order;
	size_t max;
	bool keep;
	size_t pending; /* ORDER_ALL: tasks asked for not finished */
};

static bool rwait_has(const struct rwait *rw, int64_t id)
{
	size_t lo = 0, hi = rw->nids;

	if (rw->ids == NULL)
		return id >= rw->first && id < rw->end;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rw->ids[mid] == id)
			return true;
		if (rw->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Is t a task not fetched yet (nor in a reply on its way)? */
static bool kept(const struct task *t)
{
	return t != NULL && !t->out;
}

/* Tasks asked for, not fetched yet (kept). */
static size_t rwait_remaining(const struct rwait *rw)
{
	const struct pool *pl = rw->pl;
	int64_t lo = task_lowest(pl), from, to;
	size_t n = 0;

	if (rw->ids != NULL) {
		for (size_t i = 0; i < rw->nids; i++)
			n += kept(task_get(pl, rw->ids[i]));
		return n;
	}
	from = rw->first > lo ? rw->first : lo;
	to = rw->end < pl->last_id + 1 ? rw->end : pl->last_id + 1;
	if (from <= lo && to >= pl->last_id + 1)
		return pl->nqueued + pl->nrunning + pl->nheld + pl->ndone +
		       pl->nfailed - pl->nout;
	for (int64_t id = from; id < to; id++)
		n += kept(task_get(pl, id));
	return n;
}

static bool finished(const struct task *t)
{
	return t->state == TASK_DONE || t->state == TASK_FAILED;
}

/* Growable text. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *t, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *ns;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (ns == NULL) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, t, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/*
 * Answer r for rw if it can be: returns true when answered (r is gone),
 * false when it must wait (nothing is taken).
 */
static bool result_try(struct req *r, struct rwait *rw)
{
	struct pool *pl = rw->pl;
	size_t budget = req_budget(r), n = 0, cap = 64, remaining;
	struct task **got = NULL, *t;
	struct sbuf b = { 0 };
	bool cut = false;
	char tail[64];

	if (rw->order == ORDER_ALL && rw->pending > 0)
		return false;
	got = malloc(cap * sizeof(*got));
	if (got == NULL)
		goto nomem;
#define TAKE(t)                                                        \
	do {                                                           \
		if (n == rw->max) {                                    \
			cut = true;                                    \
			break;                                         \
		}                                                      \
		if (RESULT_OVERHEAD + b.len + (t)->len + 1 > budget) { \
			cut = true;                                    \
			break;                                         \
		}                                                      \
		if (n == cap) {                                        \
			struct task **ng =                             \
				realloc(got, 2 * cap * sizeof(*got));  \
			if (ng == NULL)                                \
				goto nomem;                            \
			got = ng;                                      \
			cap *= 2;                                      \
		}                                                      \
		sb_add(&b, n > 0 ? "," : "[", 1);                      \
		sb_add(&b, (t)->text, (t)->len);                       \
		got[n++] = (t);                                        \
	} while (0)
	if (rw->order == ORDER_COMPLETION) {
		TAILQ_FOREACH (t, &pl->finished, entry) {
			if (!rwait_has(rw, t->id))
				continue;
			TAKE(t);
			if (cut)
				break;
		}
	} else if (rw->ids != NULL) {
		for (size_t i = 0; i < rw->nids && !cut; i++) {
			t = task_get(pl, rw->ids[i]);
			if (!kept(t))
				continue;
			if (!finished(t))
				break; /* submission order: up to it */
			TAKE(t);
		}
	} else {
		int64_t lo = task_lowest(pl);
		int64_t to = rw->end < pl->last_id + 1 ? rw->end :
							 pl->last_id + 1;

		for (int64_t id = rw->first > lo ? rw->first : lo;
		     id < to && !cut; id++) {
			t = task_get(pl, id);
			if (!kept(t))
				continue;
			if (!finished(t))
				break;
			TAKE(t);
		}
	}
#undef TAKE
	if (n == 0 && rwait_remaining(rw) > 0) {
		if (!cut) {
			free(got);
			free(b.s);
			return false; /* nothing finished yet */
		}
		free(got);
		free(b.s);
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_output", "max",
				    (json_int_t)mpdd.opt.max_output),
			  "no room for the next outcome of pool \"%s\" in the "
			  "unread output (max_output)",
			  pl->name);
		return true;
	}
	if (!rw->keep && n > 0) {
		/* Taken: they leave when the reply is delivered. */
		struct rhold *rh = malloc(sizeof(*rh) + n * sizeof(rh->t[0]));

		if (rh == NULL) {
			/* No memory to hold them: forgotten now. */
			for (size_t i = 0; i < n; i++)
				task_forget(pl, got[i]);
		} else {
			rh->h.release = rhold_release;
			rh->pl = pl;
			rh->n = n;
			for (size_t i = 0; i < n; i++) {
				rh->t[i] = got[i];
				TAILQ_REMOVE(&pl->finished, got[i], entry);
				got[i]->out = true;
			}
			pl->nout += n;
			TAILQ_INSERT_TAIL(&pl->rholds, rh, entry);
			r->hold = &rh->h;
		}
	}
	remaining = rwait_remaining(rw);
	if (n == 0)
		sb_add(&b, "[", 1);
	snprintf(tail, sizeof(tail), "],\"remaining\":%zu}", remaining);
	sb_add(&b, tail, strlen(tail));
	free(got);
	if (b.failed)
		goto nomem_b;
	{
		/* {"results":<b>} */
		char *text = malloc(b.len + 16);

		if (text == NULL)
			goto nomem_b;
		memcpy(text, "{\"results\":", 11);
		memcpy(text + 11, b.s, b.len);
		req_result_text(r, text, 11 + b.len);
		free(text);
	}
	free(b.s);
	return true;
nomem:
	free(got);
nomem_b:
	free(b.s);
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
	return true;
}

static void rwait_free(struct rwait *rw)
{
	free(rw->ids);
	free(rw);
}

static void result_cancel(struct req *r)
{
	rwait_free(r->park_arg);
}

/* Nothing came in time: an empty answer, nothing taken; rw goes. */
static void result_none(struct req *r, struct rwait *rw)
{
	char text[96];

	snprintf(text, sizeof(text), "{\"results\":[],\"remaining\":%zu}",
		 rwait_remaining(rw));
	rwait_free(rw);
	req_result_text(r, text, strlen(text));
}

static void result_expire(struct req *r)
{
	result_none(r, r->park_arg);
}

/* t finished: the waits that asked for it are looked at. */
static void pool_wake(struct pool *pl, const struct task *t)
{
	struct req *r, *rn;

	for (r = TAILQ_FIRST(&pl->waiters); r != NULL; r = rn) {
		struct rwait *rw = r->park_arg;

		rn = TAILQ_NEXT(r, wait_entry);

		if (!rwait_has(rw, t->id))
			continue;
		if (rw->order == ORDER_ALL && rw->pending > 0)
			rw->pending--;
		if (result_try(r, rw))
			rwait_free(rw);
	}
}

/* Outcomes came back (a reply was not delivered): every wait is looked
 * at again. */
static void pool_wake_all(struct pool *pl)
{
	struct req *r, *rn;

	for (r = TAILQ_FIRST(&pl->waiters); r != NULL; r = rn) {
		struct rwait *rw = r->park_arg;

		rn = TAILQ_NEXT(r, wait_entry);
		if (result_try(r, rw))
			rwait_free(rw);
	}
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void pool_result(struct req *r, json_t *params, void *argp)
{
	const struct plargs *in = argp;
	struct pool *pl = in->pl;
	const char *order = in->order;
	struct rwait *rw;
	json_t *v;
	size_t i;

	if (order != NULL && strcmp(order, "all") != 0 &&
	    strcmp(order, "submission") != 0 &&
	    strcmp(order, "completion") != 0) {
		req_bad_param(r, "order",
			      "\"order\": \"%s\" is not \"all\", "
			      "\"submission\" or \"completion\"",
			      order);
		return;
	}
	if ((in->ids != NULL) == (in->first != 0)) {
		req_bad_param(r, in->ids != NULL ? "ids" : "first",
			      "give either \"first\" (and \"count\") or "
			      "\"ids\"");
		return;
	}
	if (in->ids != NULL && in->count != 0) {
		req_bad_param(r, "count",
			      "\"count\" goes with \"first\", not \"ids\"");
		return;
	}
	if (in->ids != NULL && json_array_size(in->ids) > POOL_MAX_IDS) {
		req_bad_param(r, "ids", "\"ids\": at most %d ids",
			      POOL_MAX_IDS);
		return;
	}
	rw = calloc(1, sizeof(*rw));
	if (rw == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	rw->pl = pl;
	rw->max = in->max > 0 ? (size_t)in->max : SIZE_MAX;
	rw->keep = in->keep;
	if (order == NULL || strcmp(order, "all") == 0)
		rw->order = ORDER_ALL;
	else if (strcmp(order, "submission") == 0)
		rw->order = ORDER_SUBMISSION;
	else
		rw->order = ORDER_COMPLETION;
	if (in->ids != NULL) {
		rw->ids = malloc(json_array_size(in->ids) * sizeof(*rw->ids));
		if (rw->ids == NULL) {
			free(rw);
			req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
				  "out of memory");
			return;
		}
		json_array_foreach (in->ids, i, v) {
			json_int_t id = json_integer_value(v);

			if (!json_is_integer(v) || id < 1 || id > pl->last_id) {
				json_t *d = json_pack("{s:s, s:I}", "field",
						      "ids", "index",
						      (json_int_t)i);

				req_error(r, MPD_RPC_INVALID_PARAMS, d,
					  json_is_integer(v) ?
						  "\"ids\"[%zu]: no task %lld "
						  "was submitted to pool "
						  "\"%s\"" :
						  "\"ids\"[%zu]: expected a "
						  "task id%.0lld%.0s",
					  i, (long long)id, pl->name);
				rwait_free(rw);
				return;
			}
			rw->ids[rw->nids++] = id;
		}
		qsort(rw->ids, rw->nids, sizeof(*rw->ids), cmp_id);
		for (size_t k = i = 0; k < rw->nids; k++)
			if (i == 0 || rw->ids[i - 1] != rw->ids[k])
				rw->ids[i++] = rw->ids[k];
		rw->nids = i;
		for (i = 0; i < rw->nids; i++) {
			struct task *t = task_get(pl, rw->ids[i]);

			rw->pending += t != NULL && !finished(t);
		}
	} else {
		json_int_t count = in->count != 0 ? in->count : 1;

		rw->first = in->first;
		rw->end = in->first + count;
		if (rw->end - 1 > pl->last_id) {
			req_bad_param(
				r, rw->first > pl->last_id ? "first" : "count",
				"tasks %lld to %lld: pool \"%s\" has "
				"had %lld submitted",
				(long long)rw->first, (long long)rw->end - 1,
				pl->name, (long long)pl->last_id);
			rwait_free(rw);
			return;
		}
		if (rw->order == ORDER_ALL) {
			int64_t lo = task_lowest(pl);

			for (int64_t id = rw->first > lo ? rw->first : lo;
			     id < rw->end; id++) {
				struct task *t = task_get(pl, id);

				rw->pending += t != NULL && !finished(t);
			}
		}
	}
	if (result_try(r, rw)) {
		rwait_free(rw);
		return;
	}
	if (in->timeout == 0) {
		result_none(r, rw);
		return;
	}
	if (req_park(r, &pl->waiters, result_cancel, result_expire, rw,
		     in->timeout) < 0)
		rwait_free(rw);
}

/* ---- submitting ---- */

/* Bytes of a queued task. */
static uint64_t task_cost(size_t len)
{
	return len + TASK_BYTES;
}

/* Queue t (its text or prog set). */
static void task_queue(struct pool *pl, struct task *t)
{
	t->bytes = task_cost(t->len);
	broker_bytes((int64_t)t->bytes);
	t->state = TASK_QUEUED;
	TAILQ_INSERT_TAIL(&pl->queued, t, entry);
	pl->nqueued++;
}

/* Undo the last n tasks made by task_new() (none queued yet). */
static void tasks_unmake(struct pool *pl, size_t n)
{
	while (n-- > 0) {
		struct task *t = pl->slots[--pl->n];

		pl->last_id--;
		json_decref(t->prog);
		for (int i = 0; i < 3; i++)
			if (t->fds[i] >= 0) {
				close(t->fds[i]);
				mpdd.fd_procs--;
			}
		free(t->text);
		free(t);
	}
}

static bool pool_accepts(struct req *r, struct pool *pl)
{
	if (pl->state == POOL_OPEN)
		return true;
	if (pl->state == POOL_BROKEN)
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:s}", "state", pool_states[pl->state]),
			  "pool \"%s\" is broken (%s): no new tasks", pl->name,
			  pl->broken);
	else
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:s}", "state", pool_states[pl->state]),
			  "pool \"%s\" is %s: no new tasks", pl->name,
			  pool_states[pl->state]);
	return false;
}

/* A bad task: invalid_params naming it. */
static void __attribute__((format(printf, 3, 4)))
bad_task(struct req *r, size_t i, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_error(r, MPD_RPC_INVALID_PARAMS,
		  json_pack("{s:s, s:I}", "field", "tasks", "index",
			    (json_int_t)i),
		  "\"tasks\"[%zu]: %s", i, msg);
}

/* A JSON string's text, quoted (new, or NULL). */
static char *quoted(const char *s)
{
	json_t *v = json_string(s);
	char *t = v != NULL ? mpd_json_encode(v, NULL, 1) : NULL;

	json_decref(v);
	return t;
}

/* The body of a function task's line: "function":F,"arg":X} */
static char *call_body(const char *fq, const char *key, const char *arg,
		       size_t alen, size_t *len)
{
	size_t flen = strlen(fq), klen = strlen(key);
	char *s = malloc(flen + klen + alen + 24);

	if (s == NULL)
		return NULL;
	*len = (size_t)sprintf(s, "\"function\":%s,\"%s\":", fq, key);
	memcpy(s + *len, arg, alen);
	*len += alen;
	s[(*len)++] = '}';
	s[*len] = '\0';
	return s;
}

/* Check a function task; make its body. */
static bool function_task(struct req *r, struct pool *pl, size_t i,
			  json_t *spec, struct task *t)
{
	json_t *fn = json_object_get(spec, "function");
	json_t *args = json_object_get(spec, "args");
	json_t *to = json_object_get(spec, "timeout");
	const char *key;
	json_t *v;
	char *fq, *at;
	size_t alen;

	json_object_foreach (spec, key, v) {
		if (strcmp(key, "function") != 0 && strcmp(key, "args") != 0 &&
		    strcmp(key, "timeout") != 0) {
			bad_task(r, i,
				 "\"%s\" is not a member of a function "
				 "pool's task (\"function\", \"args\", "
				 "\"timeout\")",
				 key);
			return false;
		}
	}
	if (fn != NULL &&
	    (!json_is_string(fn) || json_string_length(fn) == 0 ||
	     strlen(json_string_value(fn)) != json_string_length(fn))) {
		bad_task(r, i, "\"function\": expected a non-empty name");
		return false;
	}
	if (fn == NULL && pl->function == NULL) {
		bad_task(r, i,
			 "no \"function\", and pool \"%s\" has no default "
			 "one",
			 pl->name);
		return false;
	}
	if (to != NULL && (!json_is_number(to) || json_number_value(to) < 0 ||
			   json_number_value(to) > MPD_MAX_TIMEOUT)) {
		bad_task(r, i, "\"timeout\": expected seconds, 0 to %d",
			 MPD_MAX_TIMEOUT);
		return false;
	}
	if (args != NULL &&
	    mpd_json_depth(args, MPD_MAX_ITEM_DEPTH) > MPD_MAX_ITEM_DEPTH) {
		bad_task(r, i, "\"args\" nests deeper than %d levels",
			 MPD_MAX_ITEM_DEPTH);
		return false;
	}
	fq = quoted(fn != NULL ? json_string_value(fn) : pl->function);
	at = encode(args != NULL ? args : json_null(), &alen);
	if (fq != NULL && at != NULL)
		t->text = call_body(fq, "arg", at, alen, &t->len);
	free(fq);
	free(at);
	if (t->text == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return false;
	}
	t->timeout = to != NULL ? json_number_value(to) : pl->timeout;
	return true;
}

/* Check a program task; keep its spec and claim its "pass" streams. */
static bool program_task(struct req *r, struct pool *pl, size_t i, json_t *spec,
			 struct task *t, int *k)
{
	static const char *const names[3] = { "stdin", "stdout", "stderr" };
	json_t *argv = json_object_get(spec, "argv");
	json_t *to = json_object_get(spec, "timeout");
	struct conn *c = r->conn;
	json_t *stdio, *one, *v;
	const char *key;
	char why[256];
	size_t j;

	json_object_foreach (spec, key, v) {
		if (strcmp(key, "argv") != 0 && strcmp(key, "timeout") != 0 &&
		    strcmp(key, "stdin") != 0 && strcmp(key, "stdout") != 0 &&
		    strcmp(key, "stderr") != 0) {
			bad_task(r, i,
				 "\"%s\" is not a member of a program "
				 "pool's task (\"argv\", \"stdin\", "
				 "\"stdout\", \"stderr\", \"timeout\")",
				 key);
			return false;
		}
	}
	if (!json_is_array(argv) || json_array_size(argv) == 0) {
		bad_task(r, i,
			 "\"argv\": expected a non-empty array of "
			 "strings");
		return false;
	}
	json_array_foreach (argv, j, v) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    (j == 0 && json_string_length(v) == 0)) {
			bad_task(r, i,
				 "\"argv\"[%zu]: expected a %sstring without "
				 "NUL bytes",
				 j, j == 0 ? "non-empty " : "");
			return false;
		}
	}
	if (to != NULL && (!json_is_number(to) || json_number_value(to) < 0 ||
			   json_number_value(to) > MPD_MAX_TIMEOUT)) {
		bad_task(r, i, "\"timeout\": expected seconds, 0 to %d",
			 MPD_MAX_TIMEOUT);
		return false;
	}
	stdio = json_array();
	for (int s = 0; stdio != NULL && s < 3; s++) {
		v = json_object_get(spec, names[s]);
		int rc = process_stdio_check(s, v, &one, why, sizeof(why));

		if (rc < 0) {
			json_decref(stdio);
			bad_task(r, i, "%s", why);
			return false;
		}
		if (json_is_string(one) &&
		    strcmp(json_string_value(one), "capture") == 0) {
			json_decref(one);
			json_decref(stdio);
			bad_task(r, i,
				 "\"%s\": a pool's task cannot capture its "
				 "output",
				 names[s]);
			return false;
		}
		json_array_append_new(stdio, one);
		if (rc == 1) {
			while (*k < c->line_nfds && c->line_fds[*k] < 0)
				(*k)++;
			if (*k == c->line_nfds) {
				json_decref(stdio);
				bad_task(r, i,
					 "\"%s\" is \"pass\" but no descriptor "
					 "came for it: send one with the "
					 "request (SCM_RIGHTS) for each "
					 "\"pass\" stream, in task order",
					 names[s]);
				return false;
			}
			t->fds[s] = c->line_fds[*k];
			c->line_fds[(*k)++] = -1;
			mpdd.fd_procs++;
		}
	}
	t->prog = json_pack("{s:O, s:o}", "argv", argv, "stdio", stdio);
	if (t->prog == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return false;
	}
	t->len = json_dumpb(t->prog, NULL, 0, JSON_COMPACT);
	t->timeout = to != NULL ? json_number_value(to) : pl->timeout;
	return true;
}

/* Answer a submit or map: {"first", "count", ...}. */
static void queue_all(struct pool *pl, size_t made)
{
	for (size_t i = pl->n - made; i < pl->n; i++)
		task_queue(pl, pl->slots[i]);
	pool_pump(pl);
}

static void pool_submit(struct req *r, json_t *params, void *argp)
{
	const struct plargs *in = argp;
	struct pool *pl = in->pl;
	size_t n = json_array_size(in->tasks), made = 0, i;
	uint64_t bytes = 0;
	int k = 0, held = 0;
	json_t *spec;

	if (!pool_accepts(r, pl))
		return;
	if (n > POOL_MAX_SUBMIT) {
		req_bad_param(r, "tasks", "\"tasks\": at most %d tasks",
			      POOL_MAX_SUBMIT);
		return;
	}
	json_array_foreach (in->tasks, i, spec) {
		struct task *t;
		bool ok;

		if (!json_is_object(spec)) {
			bad_task(r, i, "expected an object");
			goto fail;
		}
		t = task_new(pl);
		if (t == NULL) {
			req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
				  "out of memory");
			goto fail;
		}
		made++;
		ok = pl->program ? program_task(r, pl, i, spec, t, &k) :
				   function_task(r, pl, i, spec, t);
		if (!ok)
			goto fail;
		bytes += task_cost(t->len);
		held += (t->fds[0] >= 0) + (t->fds[1] >= 0) + (t->fds[2] >= 0);
	}
	if (r->batch == NULL) {
		int left = 0;

		for (; k < r->conn->line_nfds; k++)
			left += r->conn->line_fds[k] >= 0;
		if (left > 0) {
			req_bad_param(r, "tasks",
				      "%d descriptor%s came with the request "
				      "that no \"pass\" stream of its tasks "
				      "takes",
				      left, left == 1 ? "" : "s");
			goto fail;
		}
	}
	if (held > 0 && !spawner_hold_room((size_t)held)) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left to hold the %d "
			  "descriptor%s of these tasks (limit %zu)",
			  held, held == 1 ? "" : "s", mpdd.fd_limit);
		goto fail;
	}
	if (!broker_room(r, 0, bytes))
		goto fail;
	queue_all(pl, made);
	req_result(r, json_pack("{s:I, s:I}", "first",
				(json_int_t)(pl->last_id - (int64_t)n + 1),
				"count", (json_int_t)n));
	return;
fail:
	tasks_unmake(pl, made);
}

static void pool_map(struct req *r, json_t *params, void *argp)
{
	const struct plargs *in = argp;
	struct pool *pl = in->pl;
	size_t n = json_array_size(in->items), chunk, nchunks, made = 0;
	const char *fname = in->function != NULL ?
				    json_string_value(in->function) :
				    pl->function;
	uint64_t bytes = 0;
	struct sbuf b = { 0 };
	char *fq = NULL;
	json_t *v;
	size_t i;

	if (pl->program) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "pool \"%s\" runs programs: pool.map is for "
			  "function pools (submit tasks with \"argv\")",
			  pl->name);
		return;
	}
	if (fname == NULL) {
		req_bad_param(r, "function",
			      "no \"function\", and pool \"%s\" has no "
			      "default one",
			      pl->name);
		return;
	}
	if (!pool_accepts(r, pl))
		return;
	json_array_foreach (in->items, i, v) {
		if (mpd_json_depth(v, MPD_MAX_ITEM_DEPTH) >
		    MPD_MAX_ITEM_DEPTH) {
			req_error(r, MPD_RPC_INVALID_PARAMS,
				  json_pack("{s:s, s:I, s:i}", "field", "items",
					    "index", (json_int_t)i, "max_depth",
					    MPD_MAX_ITEM_DEPTH),
				  "\"items\"[%zu] nests deeper than %d levels",
				  i, MPD_MAX_ITEM_DEPTH);
			return;
		}
	}
	/* Python's default: four chunks a worker. */
	if (in->chunksize > 0) {
		chunk = (size_t)in->chunksize;
	} else {
		size_t per = 4 * (size_t)pl->processes;

		chunk = n / per + (n % per != 0);
		if (chunk == 0)
			chunk = 1;
	}
	nchunks = n / chunk + (n % chunk != 0);
	fq = quoted(fname);
	if (fq == NULL)
		goto nomem;
	for (size_t c = 0; c < nchunks; c++) {
		size_t lo = c * chunk, hi = lo + chunk < n ? lo + chunk : n;
		struct task *t;

		json_t *slice = json_array();
		size_t len;
		char *text;

		/* The chunk's items, encoded in one pass. */
		for (i = lo; slice != NULL && i < hi; i++)
			if (json_array_append(slice, json_array_get(in->items,
								    i)) == -1)
				break;
		text = slice != NULL && i == hi ? encode(slice, &len) : NULL;
		json_decref(slice);
		if (text == NULL || (t = task_new(pl)) == NULL) {
			free(text);
			goto nomem;
		}
		made++;
		t->item0 = lo;
		t->nitems = hi - lo;
		t->text = call_body(fq, CHAN_POOL_ITEMS, text, len, &t->len);
		free(text);
		if (t->text == NULL)
			goto nomem;
		t->timeout = in->timeout >= 0 ? in->timeout : pl->timeout;
		bytes += task_cost(t->len);
		/* Over the room already: the rest is not made (a map of
		 * a million items would be, for nothing). */
		if (broker.bytes + bytes > mpdd.opt.max_broker_bytes)
			break;
	}
	free(b.s);
	free(fq);
	if (!broker_room(r, 0, bytes)) {
		tasks_unmake(pl, made);
		return;
	}
	queue_all(pl, made);
	req_result(r, json_pack("{s:I, s:I, s:I, s:I}", "first",
				(json_int_t)(pl->last_id - (int64_t)made + 1),
				"count", (json_int_t)made, "chunksize",
				(json_int_t)chunk, "items", (json_int_t)n));
	return;
nomem:
	free(b.s);
	free(fq);
	tasks_unmake(pl, made);
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* ---- info ---- */

/* pl's info; created -1: as pool.info (the creation time), else as
 * pool.create (whether this call made it). */
static json_t *pool_info_json(const struct pool *pl, int created)
{
	json_t *workers = json_array(), *info;
	const struct worker *w;

	TAILQ_FOREACH (w, &pl->workers, entry) {
		const struct proc *p = w->p;

		json_array_append_new(
			workers,
			json_pack("{s:I, s:o, s:s, s:I, s:o}", "id",
				  (json_int_t)p->id, "pid",
				  p->pid > 0 ? json_integer(p->pid) :
					       json_null(),
				  "state",
				  w->leaving   ? "leaving" :
				  !w->started  ? "starting" :
				  !w->ready    ? "initializing" :
				  w->nheld > 0 ? "busy" :
						 "idle",
				  "tasks", (json_int_t)w->done, "task",
				  w->nheld > 0 ?
					  json_integer(
						  TAILQ_FIRST(&w->held)->id) :
					  json_null()));
	}
	info = json_pack(
		"{s:s, s:s, s:s, s:I, s:s?, s:s?, s:s?, s:o, s:I, s:o, s:I,"
		" s:b, s:f, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I},"
		" s:I, s:o}",
		"name", pl->name, "kind", pl->program ? "program" : "function",
		"state", pool_states[pl->state], "processes",
		(json_int_t)pl->processes, "module", pl->module, "initializer",
		pl->initializer, "function", pl->function, "maxtasksperchild",
		pl->maxtasks > 0 ? json_integer(pl->maxtasks) : json_null(),
		"retries", (json_int_t)pl->retries, "timeout",
		pl->timeout >= 0 ? json_real(pl->timeout) : json_null(), "uid",
		(json_int_t)pl->uid, "daemon", pl->daemonic, "created",
		pl->created, "workers", workers, "tasks", "queued",
		(json_int_t)pl->nqueued, "running", (json_int_t)pl->nrunning,
		"held", (json_int_t)pl->nheld, "submitted",
		(json_int_t)pl->last_id, "done", (json_int_t)pl->ndone,
		"failed", (json_int_t)pl->nfailed, "worker_deaths",
		(json_int_t)pl->deaths, "broken_reason",
		pl->state == POOL_BROKEN ? json_string(pl->broken) :
					   json_null());
	if (info != NULL && created >= 0)
		json_object_set_new(info, "created", json_boolean(created));
	return info;
}

static void pool_info(struct req *r, json_t *params, void *argp)
{
	req_result(r, pool_info_json(((struct plargs *)argp)->pl, -1));
}

static json_t *pool_row(void *o)
{
	const struct pool *pl = o;

	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "name", pl->name,
			 "kind", pl->program ? "program" : "function", "state",
			 pool_states[pl->state], "processes",
			 (json_int_t)pl->processes, "queued",
			 (json_int_t)pl->nqueued, "running",
			 (json_int_t)(pl->nrunning + pl->nheld));
}

static const char *pool_row_name(void *o)
{
	return ((struct pool *)o)->name;
}

static void pool_list(struct req *r, json_t *params, void *argp)
{
	void **all = hmap_values(&pools);
	size_t n = pools.n, k = 0;

	for (size_t i = 0; all != NULL && i < n; i++)
		if (req_may_access(r, ((struct pool *)all[i])->uid))
			all[k++] = all[i];
	broker_reply_list(r, "pools", all, all != NULL ? k : n, pool_row,
			  pool_row_name);
}

/* ---- create ---- */

static void pool_free(struct pool *pl)
{
	struct rhold *rh;

	/* Replies still on their way: their tasks go with the pool. */
	while ((rh = TAILQ_FIRST(&pl->rholds)) != NULL) {
		TAILQ_REMOVE(&pl->rholds, rh, entry);
		rh->pl = NULL;
	}
	if (pl->wake_ev != NULL)
		event_free(pl->wake_ev);
	if (pl->retry_ev != NULL)
		event_free(pl->retry_ev);
	TAILQ_REMOVE(&all_pools, pl, all_entry);
	for (int i = 0; i < 3; i++)
		if (pl->fds[i] >= 0) {
			close(pl->fds[i]);
			mpdd.fd_procs--;
		}
	for (size_t i = pl->off; i < pl->n; i++)
		if (pl->slots[i] != NULL)
			task_free(pl->slots[i]);
	free(pl->slots);
	free(pl->name);
	free(pl->groups);
	free(pl->module);
	free(pl->initializer);
	free(pl->function);
	free(pl->cwd);
	json_decref(pl->initargs);
	json_decref(pl->env);
	json_decref(pl->stdio);
	free(pl);
}

/* A deleted pool goes once its last process has ended. */
static void pool_maybe_free(struct pool *pl)
{
	if (pl->deleted && pl->nworkers == 0 && pl->nprogs == 0 && !pl->pumping)
		pool_free(pl);
}

static char *dup_json(const json_t *s)
{
	return s != NULL ? strdup(json_string_value(s)) : NULL;
}

static void pool_create(struct req *r, json_t *params, void *argp)
{
	const struct plargs *in = argp;
	struct conn *c = r->conn;
	const char *name;
	struct pool *pl;
	int fds[3] = { -1, -1, -1 }, k = 0;
	json_t *stdio = NULL, *one;
	char why[256];
	long cpus;

	if (!req_name_ok(r, in->name))
		return;
	name = json_string_value(in->name);
	/* The "pass" streams' descriptors first, so that each request of a
	 * batch claims its own whatever else is wrong with it. */
	stdio = json_array();
	json_array_append_new(stdio, json_string("null"));
	for (int i = 1; stdio != NULL && i < 3; i++) {
		int rc = process_stdio_check(i, in->stdio[i], &one, why,
					     sizeof(why));

		if (rc < 0) {
			req_bad_param(r, i == 1 ? "stdout" : "stderr", "%s",
				      why);
			goto fail;
		}
		json_array_append_new(stdio, one);
		if (json_is_string(one) &&
		    strcmp(json_string_value(one), "capture") == 0) {
			req_bad_param(r, i == 1 ? "stdout" : "stderr",
				      "a pool's workers cannot capture their "
				      "output");
			goto fail;
		}
		if (rc == 1) {
			while (k < c->line_nfds && c->line_fds[k] < 0)
				k++;
			if (k == c->line_nfds) {
				req_bad_param(r, i == 1 ? "stdout" : "stderr",
					      "\"%s\" is \"pass\" but no "
					      "descriptor came for it",
					      i == 1 ? "stdout" : "stderr");
				goto fail;
			}
			fds[i] = c->line_fds[k];
			c->line_fds[k++] = -1;
		}
	}
	if (stdio == NULL)
		goto nomem;
	if (in->module == NULL) {
		const char *only = in->initializer != NULL ? "initializer" :
				   in->initargs != NULL	   ? "initargs" :
				   in->function != NULL	   ? "function" :
				   in->maxtasks != 0 ? "maxtasksperchild" :
						       NULL;

		if (only != NULL) {
			req_bad_param(r, only,
				      "\"%s\" goes with \"module\" (a "
				      "function pool)",
				      only);
			goto fail;
		}
	}
	if (in->env != NULL && !process_check_env(r, in->env))
		goto fail;
	if (in->start_method != NULL &&
	    strcmp(json_string_value(in->start_method), "forkserver") != 0 &&
	    strcmp(json_string_value(in->start_method), "spawn") != 0) {
		req_bad_param(r, "start_method",
			      "\"start_method\": \"%s\" is not \"forkserver\" "
			      "or \"spawn\"",
			      json_string_value(in->start_method));
		goto fail;
	}
	pl = hmap_get(&pools, name);
	if (pl != NULL) {
		if (!req_may_access(r, pl->uid)) {
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a pool named \"%s\" exists (another "
				  "user's)",
				  name);
			goto fail;
		}
		if (!in->exist_ok) {
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a pool named \"%s\" exists", name);
			goto fail;
		}
		json_decref(stdio);
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		req_result(r, pool_info_json(pl, 0));
		return;
	}
	if ((fds[1] >= 0 || fds[2] >= 0) &&
	    !spawner_hold_room((size_t)((fds[1] >= 0) + (fds[2] >= 0)))) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left to hold the pool's "
			  "streams (limit %zu)",
			  mpdd.fd_limit);
		goto fail;
	}
	if (!broker_room(r, 1, 0))
		goto fail;
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL || (pl->name = strdup(name)) == NULL)
		goto nomem_pl;
	pl->uid = c->uid;
	pl->gid = c->gid;
	if (c->ngroups > 0) {
		pl->groups = malloc(sizeof(gid_t) * (size_t)c->ngroups);
		if (pl->groups == NULL)
			goto nomem_pl;
		memcpy(pl->groups, c->groups,
		       sizeof(gid_t) * (size_t)c->ngroups);
		pl->ngroups = c->ngroups;
	}
	pl->program = in->module == NULL;
	pl->module = dup_json(in->module);
	pl->initializer = dup_json(in->initializer);
	pl->function = dup_json(in->function);
	pl->initargs = json_incref(in->initargs ?: json_null());
	pl->maxtasks = in->maxtasks;
	pl->retries = (unsigned)in->retries;
	pl->timeout = in->timeout;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pl->processes = in->processes > 0 ? (unsigned)in->processes :
			cpus > 0 ? (unsigned)(cpus < POOL_MAX_PROCESSES ?
						      cpus :
						      POOL_MAX_PROCESSES) :
				   1;
	pl->env = json_incref(in->env);
	pl->env_clear = in->env_clear;
	pl->cwd = dup_json(in->cwd);
	pl->stdio = stdio;
	stdio = NULL;
	pl->spawn = in->start_method != NULL &&
		    strcmp(json_string_value(in->start_method), "spawn") == 0;
	pl->daemonic = in->daemon;
	pl->owner = c;
	pl->created = now_wall();
	pl->base = 1;
	TAILQ_INIT(&pl->workers);
	TAILQ_INIT(&pl->queued);
	TAILQ_INIT(&pl->finished);
	TAILQ_INIT(&pl->waiters);
	TAILQ_INIT(&pl->joiners);
	TAILQ_INIT(&pl->rholds);
	for (int i = 0; i < 3; i++) {
		pl->fds[i] = fds[i];
		if (fds[i] >= 0)
			mpdd.fd_procs++;
		fds[i] = -1;
	}
	if (hmap_put(&pools, pl->name, pl) == -1) {
		pool_free(pl);
		goto nomem;
	}
	TAILQ_INSERT_TAIL(&all_pools, pl, all_entry);
	broker.objects++;
	log_debug("pool %s: created (%s, %u processes)", pl->name,
		  pl->program ? "programs" : pl->module, pl->processes);
	events_emit_object("pool", pl->name, "created", pl->uid);
	pool_pump(pl);
	req_result(r, pool_info_json(pl, 1));
	return;
nomem_pl:
	if (pl != NULL) {
		free(pl->name);
		free(pl->groups);
		free(pl);
	}
nomem:
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
fail:
	json_decref(stdio);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- close, terminate, join, delete ---- */

static void pool_close(struct req *r, json_t *params, void *argp)
{
	struct pool *pl = ((struct plargs *)argp)->pl;

	if (pl->state == POOL_OPEN) {
		pl->state = POOL_CLOSED;
		events_emit_object("pool", pl->name, "closed", pl->uid);
		pool_pump(pl);
	}
	req_result(r, json_pack("{s:s}", "state", pool_states[pl->state]));
}

/* Kill every worker and fail every task not finished. */
static void pool_kill(struct pool *pl)
{
	struct worker *w;
	struct task *t;

	pl->state = POOL_TERMINATED;
	pl->pumping = true; /* nothing starts meanwhile */
	while ((t = TAILQ_FIRST(&pl->queued)) != NULL)
		task_fail(pl, t, MPD_RPC_TERMINATED, json_object(),
			  "pool \"%s\" was terminated", pl->name);
	TAILQ_FOREACH (w, &pl->workers, entry) {
		while ((t = TAILQ_FIRST(&w->held)) != NULL) {
			TAILQ_REMOVE(&w->held, t, entry);
			w->nheld--;
			task_fail(pl, t, MPD_RPC_TERMINATED, json_object(),
				  "pool \"%s\" was terminated", pl->name);
		}
		if (!w->leaving) {
			w->leaving = true;
			pl->nactive--;
		}
		worker_kill(w, "its pool was terminated");
	}
	for (size_t i = pl->off; pl->program && i < pl->n; i++) {
		t = pl->slots[i];
		if (t != NULL && t->proc != NULL)
			proctab_signal(t->proc, SIGKILL, true);
	}
	pl->pumping = false;
	pool_pump(pl);
}

static void pool_terminate(struct req *r, json_t *params, void *argp)
{
	struct pool *pl = ((struct plargs *)argp)->pl;

	if (pl->state != POOL_TERMINATED) {
		pool_kill(pl);
		events_emit_object("pool", pl->name, "terminated", pl->uid);
	}
	req_result(r, json_pack("{s:s}", "state", pool_states[pl->state]));
}

static void join_expire(struct req *r)
{
	req_result(r, json_pack("{s:b}", "joined", 0));
}

static void pool_join(struct req *r, json_t *params, void *argp)
{
	const struct plargs *in = argp;
	struct pool *pl = in->pl;

	if (pl->state == POOL_OPEN) {
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:s}", "state", "open"),
			  "pool \"%s\" is open: close or terminate it before "
			  "joining it",
			  pl->name);
		return;
	}
	if (pool_joined(pl)) {
		req_result(r, json_pack("{s:b}", "joined", 1));
		return;
	}
	if (in->timeout == 0) {
		join_expire(r);
		return;
	}
	req_park(r, &pl->joiners, NULL, join_expire, pl, in->timeout);
}

/* Take pl out of the map and end it: it is freed once its processes
 * have ended. */
static void pool_remove(struct pool *pl)
{
	struct req *r;

	events_emit_object("pool", pl->name, "deleted", pl->uid);
	/* Its waiting calls are told first: what they wait for ends with
	 * the pool, not by finishing. */
	while ((r = TAILQ_FIRST(&pl->waiters)) != NULL) {
		rwait_free(r->park_arg);
		req_error(r, MPD_RPC_CLOSED, NULL, "pool \"%s\" was deleted",
			  pl->name);
	}
	while ((r = TAILQ_FIRST(&pl->joiners)) != NULL)
		req_error(r, MPD_RPC_CLOSED, NULL, "pool \"%s\" was deleted",
			  pl->name);
	if (pl->state != POOL_TERMINATED)
		pool_kill(pl);
	hmap_del(&pools, pl->name);
	broker.objects--;
	pl->deleted = true;
	pl->owner = NULL;
	pool_maybe_free(pl);
}

static void pool_delete(struct req *r, json_t *params, void *argp)
{
	pool_remove(((struct plargs *)argp)->pl);
	req_result(r, json_object());
}

/* A connection closed: the daemonic pools it made go. */
void pool_conn_closed(struct conn *c)
{
	void **all = hmap_values(&pools);
	size_t n = pools.n;

	for (size_t i = 0; all != NULL && i < n; i++) {
		struct pool *pl = all[i];

		if (pl->owner != c)
			continue;
		pl->owner = NULL;
		if (pl->daemonic) {
			log_info("pool %s: daemonic, its connection closed; "
				 "terminating",
				 pl->name);
			pool_remove(pl);
		}
	}
	free(all);
}

/* At exit: every pool goes, deleted ones too; their workers are killed
 * and their records left to the process table, which ends them. (The
 * waiting calls went with the connections.) */
void pool_shutdown(void)
{
	struct pool *pl;

	while ((pl = TAILQ_FIRST(&all_pools)) != NULL) {
		struct worker *w;

		while ((w = TAILQ_FIRST(&pl->workers)) != NULL) {
			TAILQ_REMOVE(&pl->workers, w, entry);
			worker_kill(w, "mpdd stops");
			w->p->pool = NULL;
			w->p->pool_arg = NULL;
			if (w->eof_timer != NULL)
				event_free(w->eof_timer);
			free(w);
		}
		for (size_t k = pl->off; pl->program && k < pl->n; k++) {
			struct task *t = pl->slots[k];

			if (t != NULL && t->proc != NULL) {
				proctab_signal(t->proc, SIGKILL, true);
				t->proc->pool = NULL;
				t->proc->pool_arg = NULL;
				t->proc = NULL;
			}
		}
		if (!pl->deleted) {
			hmap_del(&pools, pl->name);
			broker.objects--;
		}
		pool_free(pl);
	}
	hmap_free(&pools);
}

const struct method pool_methods[] = {
	{ MPD_METHOD_POOL_CLOSE, pool_close, name_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_CREATE, pool_create, create_params, NULL, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_DELETE, pool_delete, name_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_INFO, pool_info, name_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_JOIN, pool_join, join_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_LIST, pool_list, no_params, NULL, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_MAP, pool_map, map_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_RESULT, pool_result, result_params, &pool_target,
	  METHOD_TAKES, sizeof(struct plargs) },
	{ MPD_METHOD_POOL_SUBMIT, pool_submit, submit_params, &pool_target, 0,
	  sizeof(struct plargs) },
	{ MPD_METHOD_POOL_TERMINATE, pool_terminate, name_params, &pool_target,
	  0, sizeof(struct plargs) },
	{ 0 },
};
