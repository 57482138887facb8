/*
 * sync.c - the synchronization objects: locks (and RLocks), semaphores
 * (and bounded ones), events, conditions and barriers, as Python's
 * threading and multiprocessing have them, brokered by name.
 *
 * What a daemon adds is that a hold follows its holder's life. A lock, an
 * RLock or an owned semaphore permit is held by a connection (a shold on
 * the global list): when the connection closes, when the worker process
 * it belongs to ends, or when the hold's lease runs out, the hold is
 * dropped as abandoned, the next waiter is served at once, and the
 * acquirer served next is told so ("abandoned": true), as a robust mutex
 * returns EOWNERDEAD.
 *
 * Every wait is a parked request (req_park) with a swait as its argument,
 * on the object's list of waiters, so waiters are served first come,
 * first served. A condition's waiter moves, once notified or timed out,
 * from the condition's list to its lock's (req_repark), and is answered
 * when it has the lock back. A barrier's waiters are answered together
 * when the last party arrives, or all with `broken`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpdd.h"

/* What a hold or a parked waiter costs against max_broker_bytes: about
 * what it takes of mpdd's memory, with its request and its timer. */
#define HOLD_BYTES 384

struct slock;
struct ssem;

struct sconn;

/* A connection's hold on a lock, or on permits of a semaphore. */
struct shold {
	TAILQ_ENTRY(shold) mine; /* on its connection's list */
	TAILQ_ENTRY(shold) entry; /* on its semaphore's list */
	struct sconn *owner; /* its connection's list */
	struct slock *lock; /* what it holds: a lock, */
	struct ssem *sem; /* or permits of a semaphore */
	struct conn *conn;
	int64_t count; /* a lock's acquisitions, or permits */
	struct event *lease; /* releases it when it fires, or NULL */
	double lease_s;
	struct timespec since; /* when the lease began */
};
TAILQ_HEAD(shold_list, shold);

/* The holds of one connection, found by its id, so that its close (or
 * its worker's end) walks them alone. Made with its first hold, freed
 * with its last. */
struct sconn {
	char key[24]; /* the connection's id, in decimal */
	struct shold_list holds;
};
static struct hmap sconns;

struct slock {
	char *name; /* NULL: a condition's own */
	bool recursive;
	struct shold *holder; /* NULL: free */
	struct req_list waiters; /* acquirers and conditions' waiters */
	size_t nwaiters;
	bool abandoned; /* dropped by a holder gone, not yet reported */
	unsigned users; /* conditions that use it */
};

struct ssem {
	char *name;
	int64_t value, initial;
	bool bounded;
	struct shold_list holds; /* owned permits, oldest first */
	struct req_list waiters;
	size_t nwaiters;
	bool abandoned;
};

struct sevent {
	char *name;
	bool set;
	struct req_list waiters;
	size_t nwaiters;
};

struct scond {
	char *name;
	struct slock *lock; /* its own (lock->name NULL) or a named one */
	struct req_list waiters; /* waiting for a notify */
	size_t nwaiters;
};

struct sbarrier {
	char *name;
	int64_t parties;
	double timeout; /* default of its waits; -1: none */
	bool broken;
	struct req_list waiters; /* in order of arrival */
	size_t nwaiting;
};

static struct hmap locks, sems, evs, conds, barriers;

/* What a parked request waits for. */
enum wkind {
	W_LOCK, /* lock.acquire, condition.acquire */
	W_SEM, /* semaphore.acquire */
	W_EVENT, /* event.wait */
	W_COND, /* condition.wait, for a notify */
	W_RELOCK, /* condition.wait, notified or timed out: for the lock */
	W_BARRIER, /* barrier.wait */
};

struct swait {
	enum wkind kind;
	struct req *req;
	size_t *count; /* the waiters counter it is one of */
	union {
		struct slock *lock;
		struct ssem *sem;
		struct sevent *event;
		struct sbarrier *barrier;
	};
	struct scond *cond; /* W_COND, W_RELOCK */
	int64_t n; /* W_LOCK, W_RELOCK: the count to hold; W_BARRIER: index */
	double lease; /* W_LOCK, W_SEM: -1 for none */
	bool own; /* W_SEM */
	bool notified; /* W_RELOCK */
};

/* The params of every sync method, as the dispatcher extracts them; the
 * target first. */
struct sargs {
	union {
		struct slock *l;
		struct ssem *s;
		struct sevent *e;
		struct scond *c;
		struct sbarrier *b;
	};
	json_t *name; /* the *.create methods' */
	const char *lock; /* condition.create */
	double timeout, lease;
	json_int_t value, n, parties;
	bool recursive, bounded, exist_ok, own, all;
};

#define ARG_RANGE_DEFAULT(key, type, lo, hi, dflt, S, m)                      \
	{                                                                     \
		key, type, MPD_PF_RANGE | MPD_PF_OUT, lo, hi, offsetof(S, m), \
			dflt                                                  \
	}
#define EXIST_OK_ARG ARG("exist_ok", MPD_PT_BOOL, 0, struct sargs, exist_ok)
#define TIMEOUT_ARG  ARG_TIMEOUT(struct sargs, timeout)
#define LEASE_ARG                                                         \
	ARG_RANGE_DEFAULT("lease", MPD_PT_NUMBER, 0, MPD_MAX_TIMEOUT, -1, \
			  struct sargs, lease)

static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };
static const struct mpd_param acquire_params[] = {
	PARAM_NAME,
	TIMEOUT_ARG,
	LEASE_ARG,
	PARAMS_END,
};
static const struct mpd_param wait_params[] = {
	PARAM_NAME,
	TIMEOUT_ARG,
	PARAMS_END,
};
static const struct mpd_param lock_create_params[] = {
	ARG_NAME(struct sargs, name),
	ARG("recursive", MPD_PT_BOOL, 0, struct sargs, recursive),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param sem_create_params[] = {
	ARG_NAME(struct sargs, name),
	ARG_RANGE_DEFAULT("value", MPD_PT_INT, 0, MPD_MAX_SEMAPHORE, 1,
			  struct sargs, value),
	ARG("bounded", MPD_PT_BOOL, 0, struct sargs, bounded),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param sem_acquire_params[] = {
	PARAM_NAME, TIMEOUT_ARG,
	LEASE_ARG,  ARG_DEFAULT("own", MPD_PT_BOOL, 1, struct sargs, own),
	PARAMS_END,
};
static const struct mpd_param sem_release_params[] = {
	PARAM_NAME,
	ARG_RANGE_DEFAULT("n", MPD_PT_INT, 1, MPD_MAX_SEMAPHORE, 1,
			  struct sargs, n),
	ARG("own", MPD_PT_BOOL, 0, struct sargs, own),
	PARAMS_END,
};
static const struct mpd_param event_create_params[] = {
	ARG_NAME(struct sargs, name),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param cond_create_params[] = {
	ARG_NAME(struct sargs, name),
	ARG("lock", MPD_PT_STRING, MPD_PF_NONEMPTY, struct sargs, lock),
	EXIST_OK_ARG,
	PARAMS_END,
};
static const struct mpd_param cond_notify_params[] = {
	PARAM_NAME,
	ARG_RANGE_DEFAULT("n", MPD_PT_INT, 1, MPD_MAX_SEMAPHORE, 1,
			  struct sargs, n),
	ARG("all", MPD_PT_BOOL, 0, struct sargs, all),
	PARAMS_END,
};
static const struct mpd_param barrier_create_params[] = {
	ARG_NAME(struct sargs, name),
	ARG_RANGE("parties", MPD_PT_INT, MPD_PF_REQUIRED, 1, MPD_MAX_PARTIES,
		  struct sargs, parties),
	TIMEOUT_ARG,
	EXIST_OK_ARG,
	PARAMS_END,
};

static const struct target_type lock_target = {
	.noun = "lock",
	.map = &locks,
	.bounded_name = true,
};
static const struct target_type sem_target = {
	.noun = "semaphore",
	.map = &sems,
	.bounded_name = true,
};
static const struct target_type event_target = {
	.noun = "event",
	.map = &evs,
	.bounded_name = true,
};
static const struct target_type cond_target = {
	.noun = "condition",
	.map = &conds,
	.bounded_name = true,
};
static const struct target_type barrier_target = {
	.noun = "barrier",
	.map = &barriers,
	.bounded_name = true,
};

/* Every object's first member is its name. */
static const char *obj_name(void *o)
{
	return *(char **)o;
}

static void oom(struct req *r)
{
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* --- holders --- */

/* Who h's connection is: {connection, pid, process}. */
static json_t *holder_json(const struct conn *c)
{
	json_t *o = json_pack("{s:I, s:I}", "connection", (json_int_t)c->id,
			      "pid", (json_int_t)c->pid);

	if (o != NULL)
		json_object_set_new(o, "process",
				    c->proc_id != 0 ? json_integer(c->proc_id) :
						      json_null());
	return o;
}

/* The seconds h's lease has left, or JSON null. */
static json_t *lease_left(const struct shold *h)
{
	double left;

	if (h == NULL || h->lease == NULL)
		return json_null();
	left = h->lease_s - mono_since(&h->since);
	return json_real(left > 0 ? left : 0);
}

static void drop_abandoned(struct shold *h);
static void sem_serve(struct ssem *s);

/* Tell subscribers that h's holder lost it: of a condition's own lock,
 * the condition is named. */
static void abandoned_event(const struct shold *h)
{
	const struct slock *l = h->lock;
	void **all;

	if (l == NULL) {
		events_emit_abandoned("semaphore", h->sem->name, h->conn);
		return;
	}
	if (l->name != NULL) {
		events_emit_abandoned("lock", l->name, h->conn);
		return;
	}
	all = hmap_values(&conds);
	for (size_t i = 0; all != NULL && i < conds.n; i++) {
		const struct scond *c = all[i];

		if (c->lock == l)
			events_emit_abandoned("condition", c->name, h->conn);
	}
	free(all);
}

static void lease_cb(evutil_socket_t fd, short what, void *arg)
{
	struct shold *h = arg;

	log_debug("connection %llu: the lease on %s \"%s\" ran out; released",
		  (unsigned long long)h->conn->id,
		  h->lock != NULL ? "lock" : "semaphore",
		  h->lock != NULL ? (h->lock->name != NULL ? h->lock->name :
							     "(condition's)") :
				    h->sem->name);
	drop_abandoned(h);
}

/* The holds of c (create: made when it has none). Returns them, or NULL
 * (none, or out of memory). */
static struct sconn *sconn_of(const struct conn *c, bool create)
{
	struct sconn *sc;
	char key[sizeof(sc->key)];

	snprintf(key, sizeof(key), "%llu", (unsigned long long)c->id);
	sc = hmap_get(&sconns, key);
	if (sc != NULL || !create)
		return sc;
	if ((sc = malloc(sizeof(*sc))) == NULL)
		return NULL;
	memcpy(sc->key, key, sizeof(key));
	TAILQ_INIT(&sc->holds);
	if (hmap_put(&sconns, sc->key, sc) == -1) {
		free(sc);
		return NULL;
	}
	return sc;
}

/* A new hold of count by c, with a lease of lease seconds (< 0: none).
 * Returns it, or NULL (out of memory). */
static struct shold *hold_new(struct conn *c, int64_t count, double lease)
{
	struct shold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	if (lease >= 0) {
		if ((h->lease = timer_after(lease, lease_cb, h)) == NULL) {
			free(h);
			return NULL;
		}
		h->lease_s = lease;
		clock_gettime(CLOCK_MONOTONIC, &h->since);
	}
	h->owner = sconn_of(c, true);
	if (h->owner == NULL) {
		if (h->lease != NULL)
			event_free(h->lease);
		free(h);
		return NULL;
	}
	h->conn = c;
	h->count = count;
	TAILQ_INSERT_TAIL(&h->owner->holds, h, mine);
	broker_bytes(HOLD_BYTES);
	return h;
}

static void hold_free(struct shold *h)
{
	if (h->lease != NULL)
		event_free(h->lease);
	if (h->sem != NULL)
		TAILQ_REMOVE(&h->sem->holds, h, entry);
	else if (h->lock != NULL && h->lock->holder == h)
		h->lock->holder = NULL;
	TAILQ_REMOVE(&h->owner->holds, h, mine);
	if (TAILQ_EMPTY(&h->owner->holds)) {
		hmap_del(&sconns, h->owner->key);
		free(h->owner);
	}
	broker_bytes(-HOLD_BYTES);
	free(h);
}

/* --- waiters --- */

/* Take w off its list and free it; its request is answered next. */
static void swait_free(struct swait *w)
{
	req_unwait(w->req);
	if (w->count != NULL)
		(*w->count)--;
	broker_bytes(-HOLD_BYTES);
	free(w);
}

static void swait_cancel(struct req *r);
static void swait_expire(struct req *r);

/* Park r as w (kind, object set) on l, counted in *count. Returns w, or
 * NULL with r answered. */
static struct swait *swait_park(struct req *r, struct swait *w,
				struct req_list *l, size_t *count,
				double timeout)
{
	struct swait *p = malloc(sizeof(*p));

	if (p == NULL || !broker_room(r, 0, HOLD_BYTES)) {
		if (p == NULL)
			oom(r);
		free(p);
		return NULL;
	}
	*p = *w;
	p->req = r;
	p->count = count;
	if (req_park(r, l, swait_cancel, swait_expire, p, timeout) == -1) {
		free(p);
		return NULL;
	}
	(*count)++;
	broker_bytes(HOLD_BYTES);
	return p;
}

/* Answer every waiter of l with an error naming what (the object). */
static void fail_all(struct req_list *l, int code, const char *noun,
		     const char *name, const char *why)
{
	struct req *r;

	while ((r = TAILQ_FIRST(l)) != NULL) {
		swait_free(r->park_arg);
		req_error(r, code, NULL, "%s \"%s\" %s", noun, name, why);
	}
}

/* --- locks --- */

static const char *lock_name(const struct slock *l)
{
	return l->name != NULL ? l->name : "(a condition's own)";
}

/* Has the worker whose connection c is ended? A child it left may keep
 * the connection open and call on. */
static bool worker_ended(const struct conn *c)
{
	const struct proc *p;

	if (c->proc_id == 0)
		return false;
	p = proctab_by_id(c->proc_id);
	return p == NULL ||
	       (p->state != PROC_RUNNING && p->state != PROC_STARTING);
}

/*
 * h was just taken (a lock, or one more permit), and its acquirer
 * answered, on a connection whose worker may have ended: a hold follows
 * the worker's life, so what was taken goes at once, abandoned, as when
 * the worker ends holding it; the caller then serves the next waiters.
 * Only the permit just taken goes back: h may be an older hold of that
 * connection that sync_proc_exited() has still to drop.
 */
static void hold_orphaned(struct shold *h)
{
	struct slock *l = h->lock;
	struct ssem *s = h->sem;

	if (!worker_ended(h->conn))
		return;
	log_info("connection %llu: process %lld has ended; what it took of "
		 "%s \"%s\" is released",
		 (unsigned long long)h->conn->id, (long long)h->conn->proc_id,
		 l != NULL ? "lock" : "semaphore",
		 l != NULL ? lock_name(l) : s->name);
	if (events_subscribers > 0)
		abandoned_event(h);
	if (l != NULL) {
		hold_free(h);
		l->abandoned = true;
	} else {
		s->value++;
		if (--h->count == 0)
			hold_free(h);
		s->abandoned = true;
	}
}

/* The acquire result for a lock just held, reporting (and clearing) an
 * abandonment. */
static json_t *acquired(struct slock *l)
{
	bool ab = l->abandoned;

	l->abandoned = false;
	return json_pack("{s:b, s:b, s:I}", "acquired", 1, "abandoned", ab,
			 "count", (json_int_t)l->holder->count);
}

/* Give l, free, to its waiters in order until one holds it. */
static void lock_serve(struct slock *l)
{
	struct req *r;

	while (l->holder == NULL && (r = TAILQ_FIRST(&l->waiters)) != NULL) {
		struct swait *w = r->park_arg;
		enum wkind kind = w->kind;
		bool notified = w->notified;
		struct shold *h =
			hold_new(r->conn, w->n, kind == W_LOCK ? w->lease : -1);

		swait_free(w);
		if (h == NULL) {
			oom(r);
			continue;
		}
		h->lock = l;
		l->holder = h;
		if (kind == W_LOCK) {
			req_result(r, acquired(l));
		} else {
			bool ab = l->abandoned;

			l->abandoned = false;
			req_result(r, json_pack("{s:b, s:b}", "notified",
						notified, "abandoned", ab));
		}
		hold_orphaned(h);
	}
}

/* The holder of h's object went away, or its lease ran out: release
 * what it holds, mark the object abandoned, serve the next waiters. */
static void drop_abandoned(struct shold *h)
{
	struct slock *l = h->lock;
	struct ssem *s = h->sem;

	if (events_subscribers > 0)
		abandoned_event(h);
	if (l != NULL) {
		hold_free(h);
		l->abandoned = true;
		lock_serve(l);
		return;
	}
	/* Permits released by others meanwhile may leave no room for
	 * these: the value stays within its bound. */
	s->value += h->count;
	if (s->value > (s->bounded ? s->initial : MPD_MAX_SEMAPHORE))
		s->value = s->bounded ? s->initial : MPD_MAX_SEMAPHORE;
	hold_free(h);
	s->abandoned = true;
	sem_serve(s);
}

/* Acquire l for r (lease < 0: none): at once, or parked. */
static void lock_acquire_on(struct req *r, struct slock *l, double timeout,
			    double lease)
{
	struct swait w = { .kind = W_LOCK, .lock = l, .n = 1, .lease = lease };
	struct shold *h;

	if (lease == 0) {
		req_bad_param(r, "lease", "\"lease\": %s",
			      "expected seconds > 0");
		return;
	}
	if (l->holder != NULL && l->holder->conn == r->conn && l->recursive) {
		if (l->holder->count >= MPD_MAX_SEMAPHORE) {
			req_error(r, MPD_RPC_INVALID_STATE, NULL,
				  "lock \"%s\" is held %lld times already",
				  lock_name(l), (long long)l->holder->count);
			return;
		}
		l->holder->count++;
		req_result(r, acquired(l));
		return;
	}
	if (l->holder == NULL && l->nwaiters == 0) {
		if (!broker_room(r, 0, HOLD_BYTES))
			return;
		h = hold_new(r->conn, 1, lease);
		if (h == NULL) {
			oom(r);
			return;
		}
		h->lock = l;
		l->holder = h;
		req_result(r, acquired(l));
		hold_orphaned(h); /* no waiter to serve */
		return;
	}
	if (timeout == 0) {
		req_result(r, json_pack("{s:b}", "acquired", 0));
		return;
	}
	swait_park(r, &w, &l->waiters, &l->nwaiters, timeout);
}

/* Is l held by r's connection? Else r is answered invalid_state. */
static bool lock_mine(struct req *r, const struct slock *l, const char *noun,
		      const char *name)
{
	if (l->holder != NULL && l->holder->conn == r->conn)
		return true;
	if (l->holder == NULL)
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "%s \"%s\" is not locked", noun, name);
	else
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:I}", "holder",
				    (json_int_t)l->holder->conn->id),
			  "%s \"%s\" is held by connection %llu, not this one",
			  noun, name, (unsigned long long)l->holder->conn->id);
	return false;
}

static void lock_release_on(struct req *r, struct slock *l, const char *noun,
			    const char *name)
{
	int64_t left;

	if (!lock_mine(r, l, noun, name))
		return;
	left = --l->holder->count;
	if (left == 0) {
		hold_free(l->holder);
		lock_serve(l);
	}
	req_result(r, json_pack("{s:I}", "count", (json_int_t)left));
}

static void count_object(size_t *kind, int delta)
{
	*kind += (size_t)delta;
	broker.objects += (size_t)delta;
}

/*
 * The common part of a create: name valid, and no object of that name in
 * map (or, with exist_ok, one that same() accepts: then r is answered
 * with result()). Returns the name to create, or NULL with r answered.
 */
static const char *create_check(struct req *r, const struct sargs *in,
				struct hmap *map, const char *noun,
				bool (*same)(struct req *r, void *o,
					     const struct sargs *in),
				json_t *(*result)(void *o))
{
	const char *name;
	void *o;

	if (!req_name_ok(r, in->name))
		return NULL;
	name = json_string_value(in->name);
	o = hmap_get(map, name);
	if (o == NULL)
		return broker_room(r, 1, 0) ? name : NULL;
	if (!in->exist_ok)
		req_error(r, MPD_RPC_EXISTS, NULL, "a %s named \"%s\" exists",
			  noun, name);
	else if (same(r, o, in)) {
		json_t *res = result(o);

		if (res != NULL)
			json_object_set_new(res, "created", json_false());
		req_result(r, res);
	}
	return NULL;
}

/* Put o (named *namep, a copy of name) in map. Returns true, or false
 * with r answered and o's name freed. */
static bool create_put(struct req *r, struct hmap *map, const char *name,
		       char **namep, void *o)
{
	if ((*namep = strdup(name)) == NULL || hmap_put(map, *namep, o) == -1) {
		free(*namep);
		*namep = NULL;
		oom(r);
		return false;
	}
	return true;
}

/* Answer r with result(o) plus "created": true. */
static void created(struct req *r, json_t *res)
{
	if (res != NULL)
		json_object_set_new(res, "created", json_true());
	req_result(r, res);
}

static json_t *lock_result(void *o)
{
	struct slock *l = o;

	return json_pack("{s:s, s:b}", "name", l->name, "recursive",
			 l->recursive);
}

static bool lock_same(struct req *r, void *o, const struct sargs *in)
{
	struct slock *l = o;

	if (l->recursive == in->recursive)
		return true;
	req_error(r, MPD_RPC_INVALID_STATE, NULL,
		  "lock \"%s\" exists with recursive %s", l->name,
		  l->recursive ? "true" : "false");
	return false;
}

static struct slock *lock_new(bool recursive)
{
	struct slock *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->recursive = recursive;
	TAILQ_INIT(&l->waiters);
	return l;
}

static void lock_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	const char *name;
	struct slock *l;

	name = create_check(r, in, &locks, "lock", lock_same, lock_result);
	if (name == NULL)
		return;
	if ((l = lock_new(in->recursive)) == NULL) {
		oom(r);
		return;
	}
	if (!create_put(r, &locks, name, &l->name, l)) {
		free(l);
		return;
	}
	count_object(&broker.locks, 1);
	events_emit_object("lock", name, "created", EVENTS_ANY_UID);
	created(r, lock_result(l));
}

static void lock_acquire(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	lock_acquire_on(r, in->l, in->timeout, in->lease);
}

static void lock_release(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	lock_release_on(r, in->l, "lock", in->l->name);
}

/* What lock.info and condition.info share about l. */
static json_t *lock_state(const struct slock *l)
{
	return json_pack(
		"{s:b, s:I, s:o, s:I, s:b, s:o}", "locked", l->holder != NULL,
		"count", (json_int_t)(l->holder != NULL ? l->holder->count : 0),
		"holder",
		l->holder != NULL ? holder_json(l->holder->conn) : json_null(),
		"waiters", (json_int_t)l->nwaiters, "abandoned", l->abandoned,
		"lease", lease_left(l->holder));
}

static void lock_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	json_t *res = lock_result(in->l), *st = lock_state(in->l);

	if (res == NULL || st == NULL || json_object_update(res, st) == -1) {
		json_decref(res);
		json_decref(st);
		oom(r);
		return;
	}
	json_decref(st);
	req_result(r, res);
}

/* Free l: its holder's hold goes, its waiters get closed. */
static void lock_free(struct slock *l, const char *noun, const char *name)
{
	fail_all(&l->waiters, MPD_RPC_CLOSED, noun, name, "was deleted");
	if (l->holder != NULL)
		hold_free(l->holder);
	if (l->name != NULL) {
		hmap_del(&locks, l->name);
		count_object(&broker.locks, -1);
	}
	free(l->name);
	free(l);
}

static void lock_delete(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct slock *l = in->l;

	if (l->users > 0) {
		void **all = hmap_values(&conds);
		const char *user = "?";

		for (size_t i = 0; all != NULL && i < conds.n; i++)
			if (((struct scond *)all[i])->lock == l)
				user = ((struct scond *)all[i])->name;
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "lock \"%s\" is used by condition \"%s\"", l->name,
			  user);
		free(all);
		return;
	}
	events_emit_object("lock", l->name, "deleted", EVENTS_ANY_UID);
	lock_free(l, "lock", l->name);
	req_result(r, json_object());
}

static json_t *lock_row(void *o)
{
	struct slock *l = o;

	return json_pack("{s:s, s:b, s:b}", "name", l->name, "recursive",
			 l->recursive, "locked", l->holder != NULL);
}

static void lock_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "locks", hmap_values(&locks), locks.n, lock_row,
			  obj_name);
}

/* --- semaphores --- */

/* The holds of c on s not on a lease, or NULL. */
static struct shold *sem_hold_of(struct ssem *s, struct conn *c)
{
	struct sconn *sc = sconn_of(c, false);
	struct shold *h;

	if (sc == NULL)
		return NULL;
	TAILQ_FOREACH (h, &sc->holds, mine)
		if (h->sem == s && h->lease == NULL)
			return h;
	return NULL;
}

/* One permit of s, taken, to c: held (own) on a lease or not; *held
 * gets the hold that has it (NULL: not owned). Returns false when out of
 * memory (nothing taken). */
static bool sem_take(struct ssem *s, struct conn *c, bool own, double lease,
		     struct shold **held)
{
	struct shold *h = NULL;

	if (own) {
		h = lease < 0 ? sem_hold_of(s, c) : NULL;
		if (h != NULL) {
			h->count++;
		} else {
			h = hold_new(c, 1, lease);
			if (h == NULL)
				return false;
			h->sem = s;
			TAILQ_INSERT_TAIL(&s->holds, h, entry);
		}
	}
	s->value--;
	*held = h;
	return true;
}

static json_t *sem_acquired(struct ssem *s)
{
	bool ab = s->abandoned;

	s->abandoned = false;
	return json_pack("{s:b, s:b, s:I}", "acquired", 1, "abandoned", ab,
			 "value", (json_int_t)s->value);
}

/* Give s's free permits to its waiters, in order. */
static void sem_serve(struct ssem *s)
{
	struct req *r;

	while (s->value > 0 && (r = TAILQ_FIRST(&s->waiters)) != NULL) {
		struct swait *w = r->park_arg;
		bool own = w->own;
		double lease = w->lease;
		struct shold *h;

		swait_free(w);
		if (!sem_take(s, r->conn, own, lease, &h)) {
			oom(r);
			continue;
		}
		req_result(r, sem_acquired(s));
		if (h != NULL)
			hold_orphaned(h);
	}
}

static json_t *sem_result(void *o)
{
	struct ssem *s = o;

	return json_pack("{s:s, s:I, s:b}", "name", s->name, "value",
			 (json_int_t)s->initial, "bounded", s->bounded);
}

static bool sem_same(struct req *r, void *o, const struct sargs *in)
{
	struct ssem *s = o;

	if (s->initial == in->value && s->bounded == in->bounded)
		return true;
	req_error(r, MPD_RPC_INVALID_STATE, NULL,
		  "semaphore \"%s\" exists with value %lld%s", s->name,
		  (long long)s->initial, s->bounded ? ", bounded" : "");
	return false;
}

static void sem_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	const char *name;
	struct ssem *s;

	name = create_check(r, in, &sems, "semaphore", sem_same, sem_result);
	if (name == NULL)
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		oom(r);
		return;
	}
	s->value = s->initial = in->value;
	s->bounded = in->bounded;
	TAILQ_INIT(&s->holds);
	TAILQ_INIT(&s->waiters);
	if (!create_put(r, &sems, name, &s->name, s)) {
		free(s);
		return;
	}
	count_object(&broker.semaphores, 1);
	events_emit_object("semaphore", name, "created", EVENTS_ANY_UID);
	created(r, sem_result(s));
}

static void sem_acquire(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct ssem *s = in->s;
	struct swait w = {
		.kind = W_SEM, .sem = s, .lease = in->lease, .own = in->own
	};
	struct shold *h;

	if (in->lease == 0 || (in->lease > 0 && !in->own)) {
		req_bad_param(r, "lease", "\"lease\": %s",
			      in->lease == 0 ?
				      "expected seconds > 0" :
				      "a permit not owned has no lease");
		return;
	}
	if (s->value > 0 && s->nwaiters == 0) {
		if (in->own && !broker_room(r, 0, HOLD_BYTES))
			return;
		if (!sem_take(s, r->conn, in->own, in->lease, &h)) {
			oom(r);
			return;
		}
		req_result(r, sem_acquired(s));
		if (h != NULL)
			hold_orphaned(h); /* no waiter to serve */
		return;
	}
	if (in->timeout == 0) {
		req_result(r, json_pack("{s:b}", "acquired", 0));
		return;
	}
	swait_park(r, &w, &s->waiters, &s->nwaiters, in->timeout);
}

static void sem_release(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct ssem *s = in->s;
	int64_t n = in->n, left = in->n, held = 0;
	int64_t max = s->bounded ? s->initial : MPD_MAX_SEMAPHORE;
	struct sconn *sc = sconn_of(r->conn, false);
	struct shold *h, *next;

	if (s->value + n > max) {
		req_error(r, MPD_RPC_INVALID_STATE,
			  json_pack("{s:I, s:I}", "value", (json_int_t)s->value,
				    "max", (json_int_t)max),
			  s->bounded ? "semaphore \"%s\" released too many "
				       "times: its value is %lld, its initial "
				       "value %lld" :
				       "semaphore \"%s\": its value %lld "
				       "would pass %lld",
			  s->name, (long long)s->value, (long long)max);
		return;
	}
	if (in->own) {
		/* The caller's own holds alone are walked, here and below. */
		if (sc != NULL)
			TAILQ_FOREACH (h, &sc->holds, mine)
				if (h->sem == s)
					held += h->count;
		if (held < n) {
			req_error(r, MPD_RPC_INVALID_STATE,
				  json_pack("{s:I}", "held", (json_int_t)held),
				  "this connection holds %lld permit%s of "
				  "semaphore \"%s\", not %lld",
				  (long long)held, held == 1 ? "" : "s",
				  s->name, (long long)n);
			return;
		}
	}
	/* This connection's own permits go back first, unleased first. */
	h = sem_hold_of(s, r->conn);
	if (h != NULL) {
		int64_t k = h->count < left ? h->count : left;

		h->count -= k;
		left -= k;
		if (h->count == 0)
			hold_free(h);
	}
	sc = sconn_of(r->conn, false); /* gone with its last hold */
	for (h = sc != NULL ? TAILQ_FIRST(&sc->holds) : NULL;
	     h != NULL && left > 0; h = next) {
		int64_t k = h->count < left ? h->count : left;

		next = TAILQ_NEXT(h, mine);
		if (h->sem != s)
			continue;
		h->count -= k;
		left -= k;
		if (h->count == 0)
			hold_free(h);
	}
	s->value += n;
	sem_serve(s);
	req_result(r, json_pack("{s:I}", "value", (json_int_t)s->value));
}

static void sem_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct ssem *s = in->s;
	json_t *rows = json_object(), *list = json_array(), *row, *v;
	const char *key;
	struct shold *h;
	char id[24];
	bool ok = rows != NULL && list != NULL;

	/* One row per holding connection (at most max_connections, so the
	 * reply stays small however many leased permits there are): its
	 * permits, and the soonest of their leases. */
	TAILQ_FOREACH (h, &s->holds, entry) {
		if (!ok)
			break;
		snprintf(id, sizeof(id), "%llu",
			 (unsigned long long)h->conn->id);
		row = json_object_get(rows, id);
		if (row == NULL) {
			row = holder_json(h->conn);
			ok = row != NULL &&
			     json_object_set_new(row, "count",
						 json_integer(0)) == 0 &&
			     json_object_set_new(row, "lease", json_null()) ==
				     0 &&
			     json_object_set_new(rows, id, row) == 0;
			if (!ok)
				break;
		}
		v = json_object_get(row, "count");
		json_integer_set(v, json_integer_value(v) + h->count);
		v = json_object_get(row, "lease");
		if (h->lease != NULL &&
		    (json_is_null(v) ||
		     json_real_value(v) > h->lease_s - mono_since(&h->since)))
			ok = json_object_set_new(row, "lease", lease_left(h)) ==
			     0;
	}
	json_object_foreach (rows, key, row)
		if (ok)
			ok = json_array_append(list, row) == 0;
	json_decref(rows);
	if (!ok) {
		json_decref(list);
		oom(r);
		return;
	}
	req_result(r, json_pack("{s:s, s:I, s:I, s:b, s:o, s:I, s:b}", "name",
				s->name, "value", (json_int_t)s->value,
				"initial", (json_int_t)s->initial, "bounded",
				s->bounded, "holders", list, "waiters",
				(json_int_t)s->nwaiters, "abandoned",
				s->abandoned));
}

static void sem_free(struct ssem *s)
{
	fail_all(&s->waiters, MPD_RPC_CLOSED, "semaphore", s->name,
		 "was deleted");
	while (!TAILQ_EMPTY(&s->holds))
		hold_free(TAILQ_FIRST(&s->holds));
	hmap_del(&sems, s->name);
	count_object(&broker.semaphores, -1);
	free(s->name);
	free(s);
}

static void sem_delete(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	events_emit_object("semaphore", in->s->name, "deleted", EVENTS_ANY_UID);
	sem_free(in->s);
	req_result(r, json_object());
}

static json_t *sem_row(void *o)
{
	struct ssem *s = o;

	return json_pack("{s:s, s:I, s:b}", "name", s->name, "value",
			 (json_int_t)s->value, "bounded", s->bounded);
}

static void sem_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "semaphores", hmap_values(&sems), sems.n, sem_row,
			  obj_name);
}

/* --- events --- */

static json_t *event_result(void *o)
{
	struct sevent *e = o;

	return json_pack("{s:s, s:b}", "name", e->name, "set", e->set);
}

static bool event_same(struct req *r, void *o, const struct sargs *in)
{
	return true;
}

static void event_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	const char *name;
	struct sevent *e;

	name = create_check(r, in, &evs, "event", event_same, event_result);
	if (name == NULL)
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		oom(r);
		return;
	}
	TAILQ_INIT(&e->waiters);
	if (!create_put(r, &evs, name, &e->name, e)) {
		free(e);
		return;
	}
	count_object(&broker.events, 1);
	events_emit_object("event", name, "created", EVENTS_ANY_UID);
	created(r, event_result(e));
}

static void event_set(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct sevent *e = in->e;
	size_t woken = e->nwaiters;
	struct req *w;

	e->set = true;
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
		swait_free(w->park_arg);
		req_result(w, json_pack("{s:b}", "set", 1));
	}
	req_result(r, json_pack("{s:I}", "woken", (json_int_t)woken));
}

static void event_clear(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	in->e->set = false;
	req_result(r, json_object());
}

static void event_wait(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct sevent *e = in->e;
	struct swait w = { .kind = W_EVENT, .event = e };

	if (e->set || in->timeout == 0) {
		req_result(r, json_pack("{s:b}", "set", e->set));
		return;
	}
	swait_park(r, &w, &e->waiters, &e->nwaiters, in->timeout);
}

static void event_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	req_result(r, json_pack("{s:s, s:b, s:I}", "name", in->e->name, "set",
				in->e->set, "waiters",
				(json_int_t)in->e->nwaiters));
}

static void event_obj_free(struct sevent *e)
{
	fail_all(&e->waiters, MPD_RPC_CLOSED, "event", e->name, "was deleted");
	hmap_del(&evs, e->name);
	count_object(&broker.events, -1);
	free(e->name);
	free(e);
}

static void event_delete(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	events_emit_object("event", in->e->name, "deleted", EVENTS_ANY_UID);
	event_obj_free(in->e);
	req_result(r, json_object());
}

static void event_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "events", hmap_values(&evs), evs.n, event_result,
			  obj_name);
}

/* --- conditions --- */

static json_t *cond_result(void *o)
{
	struct scond *c = o;

	return json_pack("{s:s, s:s?}", "name", c->name, "lock", c->lock->name);
}

static bool cond_same(struct req *r, void *o, const struct sargs *in)
{
	struct scond *c = o;
	const char *have = c->lock->name;

	if ((have == NULL && in->lock == NULL) ||
	    (have != NULL && in->lock != NULL && strcmp(have, in->lock) == 0))
		return true;
	req_error(r, MPD_RPC_INVALID_STATE, NULL,
		  "condition \"%s\" exists with %s%s%s", c->name,
		  have != NULL ? "lock \"" : "its own lock",
		  have != NULL ? have : "", have != NULL ? "\"" : "");
	return false;
}

static void cond_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct slock *l = NULL;
	const char *name;
	struct scond *c;

	if (in->lock != NULL) {
		if (strlen(in->lock) > MPD_MAX_NAME) {
			req_bad_param(r, "lock", "\"lock\": at most %d bytes",
				      MPD_MAX_NAME);
			return;
		}
		l = hmap_get(&locks, in->lock);
		if (l == NULL) {
			req_error(r, MPD_RPC_NOT_FOUND,
				  json_pack("{s:s}", "field", "lock"),
				  "no lock named \"%s\"", in->lock);
			return;
		}
	}
	name = create_check(r, in, &conds, "condition", cond_same, cond_result);
	if (name == NULL)
		return;
	/* A condition of its own holds an RLock, as Python's. */
	if (l == NULL && (l = lock_new(true)) == NULL) {
		oom(r);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    !create_put(r, &conds, name, &c->name, c)) {
		if (c == NULL)
			oom(r);
		if (l->name == NULL)
			free(l);
		free(c);
		return;
	}
	c->lock = l;
	TAILQ_INIT(&c->waiters);
	l->users++;
	count_object(&broker.conditions, 1);
	events_emit_object("condition", name, "created", EVENTS_ANY_UID);
	created(r, cond_result(c));
}

static void cond_acquire(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	lock_acquire_on(r, in->c->lock, in->timeout, in->lease);
}

static void cond_release(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	lock_release_on(r, in->c->lock, "condition", in->c->name);
}

/* Move r, a condition's waiter (notified or not), to its lock's queue. */
static void cond_relock(struct req *r, bool notified)
{
	struct swait *w = r->park_arg;
	struct slock *l = w->cond->lock;

	(*w->count)--;
	w->kind = W_RELOCK;
	w->notified = notified;
	w->lock = l;
	w->count = &l->nwaiters;
	req_repark(r, &l->waiters);
	l->nwaiters++;
}

static void cond_wait(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct scond *c = in->c;
	struct slock *l = c->lock;
	struct swait w = { .kind = W_COND, .cond = c };

	if (!lock_mine(r, l, "the lock of condition", c->name))
		return;
	w.n = l->holder->count;
	if (swait_park(r, &w, &c->waiters, &c->nwaiters, in->timeout) == NULL)
		return;
	hold_free(l->holder);
	lock_serve(l);
}

static void cond_notify(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct scond *c = in->c;
	int64_t woken = 0;
	struct req *w;

	if (!lock_mine(r, c->lock, "the lock of condition", c->name))
		return;
	while ((in->all || woken < in->n) &&
	       (w = TAILQ_FIRST(&c->waiters)) != NULL) {
		cond_relock(w, true);
		woken++;
	}
	req_result(r, json_pack("{s:I}", "woken", (json_int_t)woken));
}

static void cond_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct scond *c = in->c;
	json_t *st = lock_state(c->lock);

	if (st == NULL) {
		oom(r);
		return;
	}
	req_result(r, json_pack("{s:s, s:s?, s:O, s:O, s:I}", "name", c->name,
				"lock", c->lock->name, "locked",
				json_object_get(st, "locked"), "holder",
				json_object_get(st, "holder"), "waiters",
				(json_int_t)c->nwaiters));
	json_decref(st);
}

static void cond_free(struct scond *c)
{
	struct slock *l = c->lock;
	struct req *r, *next;

	fail_all(&c->waiters, MPD_RPC_CLOSED, "condition", c->name,
		 "was deleted");
	/* Its waiters that wait for the lock back go too. */
	for (r = TAILQ_FIRST(&l->waiters); r != NULL; r = next) {
		struct swait *w = r->park_arg;

		next = TAILQ_NEXT(r, wait_entry);
		if (w->kind == W_RELOCK && w->cond == c) {
			swait_free(w);
			req_error(r, MPD_RPC_CLOSED, NULL,
				  "condition \"%s\" was deleted", c->name);
		}
	}
	l->users--;
	if (l->name == NULL)
		lock_free(l, "condition", c->name);
	hmap_del(&conds, c->name);
	count_object(&broker.conditions, -1);
	free(c->name);
	free(c);
}

static void cond_delete(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	events_emit_object("condition", in->c->name, "deleted", EVENTS_ANY_UID);
	cond_free(in->c);
	req_result(r, json_object());
}

static void cond_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "conditions", hmap_values(&conds), conds.n,
			  cond_result, obj_name);
}

/* --- barriers --- */

static json_t *barrier_result(void *o)
{
	struct sbarrier *b = o;
	json_t *res = json_pack("{s:s, s:I}", "name", b->name, "parties",
				(json_int_t)b->parties);

	if (res != NULL)
		json_object_set_new(res, "timeout",
				    b->timeout >= 0 ? json_real(b->timeout) :
						      json_null());
	return res;
}

static bool barrier_same(struct req *r, void *o, const struct sargs *in)
{
	struct sbarrier *b = o;

	if (b->parties == in->parties)
		return true;
	req_error(r, MPD_RPC_INVALID_STATE, NULL,
		  "barrier \"%s\" exists with %lld parties", b->name,
		  (long long)b->parties);
	return false;
}

static void barrier_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	const char *name;
	struct sbarrier *b;

	name = create_check(r, in, &barriers, "barrier", barrier_same,
			    barrier_result);
	if (name == NULL)
		return;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		oom(r);
		return;
	}
	b->parties = in->parties;
	b->timeout = in->timeout;
	TAILQ_INIT(&b->waiters);
	if (!create_put(r, &barriers, name, &b->name, b)) {
		free(b);
		return;
	}
	count_object(&broker.barriers, 1);
	events_emit_object("barrier", name, "created", EVENTS_ANY_UID);
	created(r, barrier_result(b));
}

/*
 * Break b (why: what broke it): its waiters get `broken`, except those of
 * connection skip (closing: they are cancelled next). Returns how many
 * were answered.
 */
static size_t barrier_break(struct sbarrier *b, const char *why,
			    const struct conn *skip)
{
	struct req *r, *next;
	size_t n = 0;

	b->broken = true;
	for (r = TAILQ_FIRST(&b->waiters); r != NULL; r = next) {
		next = TAILQ_NEXT(r, wait_entry);
		if (r->conn == skip)
			continue;
		swait_free(r->park_arg);
		req_error(r, MPD_RPC_BROKEN, NULL,
			  "barrier \"%s\" is broken: %s", b->name, why);
		n++;
	}
	return n;
}

static void barrier_wait(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct sbarrier *b = in->b;
	struct swait w = { .kind = W_BARRIER, .barrier = b };
	double timeout = in->timeout >= 0 ? in->timeout : b->timeout;
	struct req *q;

	if (b->broken) {
		req_error(r, MPD_RPC_BROKEN, NULL,
			  "barrier \"%s\" is broken (reset it to use it again)",
			  b->name);
		return;
	}
	w.n = (int64_t)b->nwaiting;
	if (w.n + 1 < b->parties) {
		swait_park(r, &w, &b->waiters, &b->nwaiting, timeout);
		return;
	}
	/* The last party: everyone goes, and the next round begins. */
	while ((q = TAILQ_FIRST(&b->waiters)) != NULL) {
		struct swait *qw = q->park_arg;
		int64_t index = qw->n;

		swait_free(qw);
		req_result(q, json_pack("{s:I}", "index", (json_int_t)index));
	}
	req_result(r, json_pack("{s:I}", "index", (json_int_t)w.n));
}

static void barrier_abort(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	size_t n = barrier_break(in->b, "aborted", NULL);

	req_result(r, json_pack("{s:I}", "woken", (json_int_t)n));
}

static void barrier_reset(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	size_t n = barrier_break(in->b, "reset while waiting", NULL);

	in->b->broken = false;
	req_result(r, json_pack("{s:I}", "woken", (json_int_t)n));
}

static void barrier_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	json_t *res = barrier_result(in->b);

	if (res == NULL) {
		oom(r);
		return;
	}
	json_object_set_new(res, "n_waiting",
			    json_integer((json_int_t)in->b->nwaiting));
	json_object_set_new(res, "broken", json_boolean(in->b->broken));
	req_result(r, res);
}

static void barrier_free(struct sbarrier *b)
{
	fail_all(&b->waiters, MPD_RPC_CLOSED, "barrier", b->name,
		 "was deleted");
	hmap_del(&barriers, b->name);
	count_object(&broker.barriers, -1);
	free(b->name);
	free(b);
}

static void barrier_delete(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	events_emit_object("barrier", in->b->name, "deleted", EVENTS_ANY_UID);
	barrier_free(in->b);
	req_result(r, json_object());
}

static json_t *barrier_row(void *o)
{
	struct sbarrier *b = o;

	return json_pack("{s:s, s:I, s:I, s:b}", "name", b->name, "parties",
			 (json_int_t)b->parties, "n_waiting",
			 (json_int_t)b->nwaiting, "broken", b->broken);
}

static void barrier_list(struct req *r, json_t *params, void *args)
{
	broker_reply_list(r, "barriers", hmap_values(&barriers), barriers.n,
			  barrier_row, obj_name);
}

/* --- parked requests' ends --- */

/* Its connection closed: r leaves what it waited on. A barrier's party
 * gone breaks the barrier for the others. */
static void swait_cancel(struct req *r)
{
	struct swait *w = r->park_arg;

	if (w->kind == W_BARRIER) {
		struct sbarrier *b = w->barrier;

		swait_free(w);
		barrier_break(b, "a waiting party's connection closed",
			      r->conn);
		return;
	}
	swait_free(w);
}

/* Its timeout passed. */
static void swait_expire(struct req *r)
{
	struct swait *w = r->park_arg;

	switch (w->kind) {
	case W_LOCK:
	case W_SEM:
		swait_free(w);
		req_result(r, json_pack("{s:b}", "acquired", 0));
		break;
	case W_EVENT:
		swait_free(w);
		req_result(r, json_pack("{s:b}", "set", 0));
		break;
	case W_COND: {
		/* Not notified: it takes the lock back all the same. */
		struct slock *l = w->cond->lock;

		cond_relock(r, false);
		lock_serve(l);
		break;
	}
	case W_RELOCK:
		break; /* it has no timer */
	case W_BARRIER: {
		struct sbarrier *b = w->barrier;
		size_t waiting = b->nwaiting;

		swait_free(w);
		barrier_break(b, "a waiting party's timeout passed", NULL);
		req_error(r, MPD_RPC_BROKEN, NULL,
			  "barrier \"%s\" is broken: the timeout passed "
			  "(%zu of %lld parties waiting)",
			  b->name, waiting, (long long)b->parties);
		break;
	}
	}
}

/* --- holders gone --- */

/*
 * Release what c holds, abandoned, walking its holds alone. Serving the
 * next waiters frees no hold but the one dropped and those it makes for
 * a worker that ended (see hold_orphaned(): a new hold, or a permit of
 * an older one), so the walk goes on from where it was; c's list, and
 * its sconn, go with its last hold.
 */
static void sync_conn_drop(struct conn *c)
{
	struct sconn *sc = sconn_of(c, false);
	struct shold *h, *next;

	for (h = sc != NULL ? TAILQ_FIRST(&sc->holds) : NULL; h != NULL;
	     h = next) {
		next = TAILQ_NEXT(h, mine);
		drop_abandoned(h);
	}
}

/* Connection c closed (its parked requests are gone already): what it
 * held is released, abandoned. */
void sync_conn_closed(struct conn *c)
{
	sync_conn_drop(c);
}

/* Worker process id ended: what its connections hold is released,
 * abandoned, even when a child it left keeps a connection open. What
 * serving hands to them afterwards goes at once (hold_orphaned()). */
void sync_proc_exited(int64_t id)
{
	struct conn *c;

	TAILQ_FOREACH (c, &mpdd.conns, entry) {
		if (c->proc_id != id || sconn_of(c, false) == NULL)
			continue;
		log_info("process %lld ended; what its connection %llu held "
			 "is released",
			 (long long)id, (unsigned long long)c->id);
		sync_conn_drop(c);
	}
}

/* At exit: free every object (connections are closed already). */
void sync_shutdown(void)
{
	struct hmap *maps[] = { &conds, &locks, &sems, &evs, &barriers };
	void **all;
	size_t n;

	for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
		all = hmap_values(maps[m]);
		n = maps[m]->n;
		for (size_t i = 0; all != NULL && i < n; i++) {
			if (maps[m] == &conds)
				cond_free(all[i]);
			else if (maps[m] == &locks)
				lock_free(all[i], "lock",
					  ((struct slock *)all[i])->name);
			else if (maps[m] == &sems)
				sem_free(all[i]);
			else if (maps[m] == &evs)
				event_obj_free(all[i]);
			else
				barrier_free(all[i]);
		}
		free(all);
		hmap_free(maps[m]);
	}
	hmap_free(&sconns);
}

#define ROW(M, fn, params, target, flags)                  \
	{                                                  \
		MPD_METHOD_##M, fn, params, target, flags, \
			sizeof(struct sargs)               \
	}

const struct method sync_methods[] = {
	ROW(BARRIER_ABORT, barrier_abort, name_params, &barrier_target, 0),
	ROW(BARRIER_CREATE, barrier_create, barrier_create_params, NULL, 0),
	ROW(BARRIER_DELETE, barrier_delete, name_params, &barrier_target, 0),
	ROW(BARRIER_INFO, barrier_info, name_params, &barrier_target, 0),
	{ MPD_METHOD_BARRIER_LIST, barrier_list, no_params, NULL, 0, 0 },
	ROW(BARRIER_RESET, barrier_reset, name_params, &barrier_target, 0),
	ROW(BARRIER_WAIT, barrier_wait, wait_params, &barrier_target,
	    METHOD_TAKES),
	ROW(CONDITION_ACQUIRE, cond_acquire, acquire_params, &cond_target,
	    METHOD_TAKES),
	ROW(CONDITION_CREATE, cond_create, cond_create_params, NULL, 0),
	ROW(CONDITION_DELETE, cond_delete, name_params, &cond_target, 0),
	ROW(CONDITION_INFO, cond_info, name_params, &cond_target, 0),
	{ MPD_METHOD_CONDITION_LIST, cond_list, no_params, NULL, 0, 0 },
	ROW(CONDITION_NOTIFY, cond_notify, cond_notify_params, &cond_target, 0),
	ROW(CONDITION_RELEASE, cond_release, name_params, &cond_target, 0),
	ROW(CONDITION_WAIT, cond_wait, wait_params, &cond_target, METHOD_TAKES),
	ROW(EVENT_CLEAR, event_clear, name_params, &event_target, 0),
	ROW(EVENT_CREATE, event_create, event_create_params, NULL, 0),
	ROW(EVENT_DELETE, event_delete, name_params, &event_target, 0),
	ROW(EVENT_INFO, event_info, name_params, &event_target, 0),
	{ MPD_METHOD_EVENT_LIST, event_list, no_params, NULL, 0, 0 },
	ROW(EVENT_SET, event_set, name_params, &event_target, 0),
	ROW(EVENT_WAIT, event_wait, wait_params, &event_target, 0),
	ROW(LOCK_ACQUIRE, lock_acquire, acquire_params, &lock_target,
	    METHOD_TAKES),
	ROW(LOCK_CREATE, lock_create, lock_create_params, NULL, 0),
	ROW(LOCK_DELETE, lock_delete, name_params, &lock_target, 0),
	ROW(LOCK_INFO, lock_info, name_params, &lock_target, 0),
	{ MPD_METHOD_LOCK_LIST, lock_list, no_params, NULL, 0, 0 },
	ROW(LOCK_RELEASE, lock_release, name_params, &lock_target, 0),
	ROW(SEMAPHORE_ACQUIRE, sem_acquire, sem_acquire_params, &sem_target,
	    METHOD_TAKES),
	ROW(SEMAPHORE_CREATE, sem_create, sem_create_params, NULL, 0),
	ROW(SEMAPHORE_DELETE, sem_delete, name_params, &sem_target, 0),
	ROW(SEMAPHORE_INFO, sem_info, name_params, &sem_target, 0),
	{ MPD_METHOD_SEMAPHORE_LIST, sem_list, no_params, NULL, 0, 0 },
	ROW(SEMAPHORE_RELEASE, sem_release, sem_release_params, &sem_target, 0),
	{ 0 },
};
