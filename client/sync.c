/*
 * sync.c - libmpd's synchronization API: the lock.*, semaphore.*, event.*,
 * condition.* and barrier.* methods of mpdd.
 *
 * Written as broker.c is, on its helpers (client.h): each function checks
 * its arguments before anything is sent (a name that is NULL, empty or not
 * UTF-8, a NaN timeout, a lease that is negative or not a number, a count
 * or a number of parties out of the protocol's range, an owned-less permit
 * with a lease, a missing out-parameter), builds the params
 * docs/protocol.md ("Synchronization") describes, sending optional ones
 * only when they differ from the default, makes one call and checks the
 * result members it hands back. A wait that times out is an answer
 * ({"acquired": false}), not an error, so the waiting calls return 1 or 0.
 * mpd_condition_wait_for() alone makes several requests: Python's loop of
 * condition.wait around a predicate, timed on CLOCK_MONOTONIC.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

/* A lease: 0 for none, else seconds (the daemon caps them). Returns 0 or
 * MPD_E_INVAL. */
static int check_lease(const char *fn, double lease, struct mpd_error *err)
{
	int r = broker_check_finite(fn, "lease", lease, err);

	if (r == 0 && lease < 0)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: lease %g is negative",
				fn, lease);
	return r;
}

/* A count the protocol takes, what in messages: lo to MPD_MAX_SEMAPHORE.
 * Returns 0 or MPD_E_INVAL. */
static int check_count(const char *fn, const char *what, int64_t v, int64_t lo,
		       struct mpd_error *err)
{
	if (v < lo || v > MPD_MAX_SEMAPHORE)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: %s %" PRId64 " is not %" PRId64
				   " to %d",
				   fn, what, v, lo, MPD_MAX_SEMAPHORE);
	return 0;
}

/* Add "lease" when there is one (lease > 0). Returns 0 or MPD_E_NOMEM. */
static int add_lease(json_t *params, double lease, struct mpd_error *err)
{
	if (lease == 0)
		return 0;
	return broker_add_new(params, "lease", json_real(lease), err);
}

/* Add key: true when flag is set (false is every flag's default). Returns
 * 0 or MPD_E_NOMEM. */
static int add_flag(json_t *params, const char *key, int flag,
		    struct mpd_error *err)
{
	if (!flag)
		return 0;
	return broker_add_new(params, key, json_true(), err);
}

/*
 * The boolean v (borrowed; NULL when absent), member key of what method
 * returned: 1 or 0 in *out. Returns 0 or MPD_E_PROTO.
 */
static int member_bool(const char *method, const char *key, const json_t *v,
		       int *out, struct mpd_error *err)
{
	if (!json_is_boolean(v))
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned %s as \"%s\", not a boolean",
				   method, broker_json_kind(v), key);
	*out = json_is_true(v);
	return 0;
}

/*
 * The integer v (borrowed; NULL when absent), member key of what method
 * returned, from lo to hi: in *out. Returns 0 or MPD_E_PROTO.
 */
static int member_int(const char *method, const char *key, const json_t *v,
		      json_int_t lo, json_int_t hi, json_int_t *out,
		      struct mpd_error *err)
{
	if (!json_is_integer(v))
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned %s as \"%s\", not an integer",
				   method, broker_json_kind(v), key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return client_fail(err, MPD_E_PROTO, 0,
				   "%s returned \"%s\" %" JSON_INTEGER_FORMAT
				   ", not %" JSON_INTEGER_FORMAT
				   " to %" JSON_INTEGER_FORMAT,
				   method, key, json_integer_value(v), lo, hi);
	*out = json_integer_value(v);
	return 0;
}

/*
 * broker_call() of method with params p (stolen; r as for broker_call())
 * for its member key, an integer from lo to hi: into *out (may be NULL).
 * Returns 0, or a negative code.
 */
static int int_call(struct mpd_client *c, int r, const char *method, json_t *p,
		    const char *key, json_int_t lo, json_int_t hi, int64_t *out,
		    struct mpd_error *err)
{
	json_t *v = NULL;
	json_int_t n = 0;

	r = broker_call(c, r, method, p, key, &v, err);
	if (r < 0)
		return r;
	r = member_int(method, key, v, lo, hi, &n, err);
	json_decref(v);
	if (r == 0 && out != NULL)
		*out = n;
	return r;
}

/* broker_call() for the boolean member key: returns 1 or 0, or a negative
 * code. */
static int bool_call(struct mpd_client *c, int r, const char *method, json_t *p,
		     const char *key, struct mpd_error *err)
{
	json_t *v = NULL;
	int b = 0;

	r = broker_call(c, r, method, p, key, &v, err);
	if (r < 0)
		return r;
	r = member_bool(method, key, v, &b, err);
	json_decref(v);
	return r < 0 ? r : b;
}

/*
 * A call that may hand this client a lock or a permit: method with params
 * p (stolen; r as for broker_call()), answered {key: true, "abandoned"}
 * or, when the timeout passed, {key: false}. held says the hold comes back
 * either way (condition.wait), with "abandoned" then too. *abandoned (may
 * be NULL) gets it, 0 when nothing was held. Returns 1 or 0 (key), or a
 * negative code.
 */
static int hold_call(struct mpd_client *c, int r, const char *method, json_t *p,
		     const char *key, bool held, int *abandoned,
		     struct mpd_error *err)
{
	json_t *res = NULL;
	int got = 0, ab = 0;

	r = broker_call(c, r, method, p, NULL, &res, err);
	if (r < 0)
		return r;
	r = member_bool(method, key, json_object_get(res, key), &got, err);
	if (r == 0 && (got || held))
		r = member_bool(method, "abandoned",
				json_object_get(res, "abandoned"), &ab, err);
	json_decref(res);
	if (r < 0)
		return r;
	if (abandoned != NULL)
		*abandoned = ab;
	return got;
}

/* A release of the lock of method (lock.release, condition.release) on
 * behalf of fn: returns what this client still holds (>= 0), or a
 * negative code. */
static int release_call(struct mpd_client *c, const char *fn,
			const char *method, const char *name,
			struct mpd_error *err)
{
	json_t *p = NULL;
	int64_t count = 0;
	int r = broker_name_params(fn, name, &p, err);

	r = int_call(c, r, method, p, "count", 0, INT_MAX, &count, err);
	return r < 0 ? r : (int)count;
}

/* An info method on behalf of fn: *info (not NULL) gets the result. */
static int info_call(struct mpd_client *c, const char *fn, const char *method,
		     const char *name, json_t **info, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_given(fn, "info", info, err);
	return broker_call(c, r, method, p, NULL, info, err);
}

/* The boolean key of an info method's result on behalf of fn: returns 1
 * or 0, or a negative code. */
static int info_bool(struct mpd_client *c, const char *fn, const char *method,
		     const char *name, const char *key, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	return bool_call(c, r, method, p, key, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_lock_create(struct mpd_client *c, const char *name, int recursive,
		    int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_flag(p, "recursive", recursive, err);
	if (r == 0)
		r = add_flag(p, "exist_ok", exist_ok, err);
	return broker_call(c, r, MPD_M_LOCK_CREATE, p, NULL, NULL, err);
}

/* Returns 1 acquired, 0 timed out, or a negative code; see mpd.h. */
int mpd_lock_acquire(struct mpd_client *c, const char *name, double timeout,
		     double lease, int *abandoned, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = check_lease(__func__, lease, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	if (r == 0)
		r = add_lease(p, lease, err);
	return hold_call(c, r, MPD_M_LOCK_ACQUIRE, p, "acquired", false,
			 abandoned, err);
}

/* Returns the count still held (>= 0), or a negative code; see mpd.h. */
int mpd_lock_release(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return release_call(c, __func__, MPD_M_LOCK_RELEASE, name, err);
}

/* Returns 1 held, 0 free, or a negative code; see mpd.h. */
int mpd_lock_locked(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return info_bool(c, __func__, MPD_M_LOCK_INFO, name, "locked", err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_lock_info(struct mpd_client *c, const char *name, json_t **info,
		  struct mpd_error *err)
{
	return info_call(c, __func__, MPD_M_LOCK_INFO, name, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_lock_delete(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_LOCK_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_lock_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_LOCK_LIST, "locks", list,
				err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_semaphore_create(struct mpd_client *c, const char *name, int64_t value,
			 int bounded, int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = check_count(__func__, "value", value, 0, err);
	if (r == 0 && value != 1)
		r = broker_add_new(p, "value", json_integer(value), err);
	if (r == 0)
		r = add_flag(p, "bounded", bounded, err);
	if (r == 0)
		r = add_flag(p, "exist_ok", exist_ok, err);
	return broker_call(c, r, MPD_M_SEMAPHORE_CREATE, p, NULL, NULL, err);
}

/* Returns 1 acquired, 0 timed out, or a negative code; see mpd.h. */
int mpd_semaphore_acquire(struct mpd_client *c, const char *name,
			  double timeout, double lease, int own, int *abandoned,
			  struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = check_lease(__func__, lease, err);
	if (r == 0 && !own && lease != 0)
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: a lease on a permit not owned", __func__);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	if (r == 0)
		r = add_lease(p, lease, err);
	if (r == 0 && !own)
		r = broker_add_new(p, "own", json_false(), err);
	return hold_call(c, r, MPD_M_SEMAPHORE_ACQUIRE, p, "acquired", false,
			 abandoned, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_semaphore_release(struct mpd_client *c, const char *name, int64_t n,
			  int own, int64_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = check_count(__func__, "n", n, 1, err);
	if (r == 0 && n != 1)
		r = broker_add_new(p, "n", json_integer(n), err);
	if (r == 0)
		r = add_flag(p, "own", own, err);
	return int_call(c, r, MPD_M_SEMAPHORE_RELEASE, p, "value", 0,
			MPD_MAX_SEMAPHORE, value, err);
}

/* Returns 0 with *value, or a negative code; see mpd.h. */
int mpd_semaphore_get_value(struct mpd_client *c, const char *name,
			    int64_t *value, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "value", value, err);
	return int_call(c, r, MPD_M_SEMAPHORE_INFO, p, "value", 0,
			MPD_MAX_SEMAPHORE, value, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_semaphore_info(struct mpd_client *c, const char *name, json_t **info,
		       struct mpd_error *err)
{
	return info_call(c, __func__, MPD_M_SEMAPHORE_INFO, name, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_semaphore_delete(struct mpd_client *c, const char *name,
			 struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_SEMAPHORE_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_semaphore_list(struct mpd_client *c, json_t **list,
		       struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_SEMAPHORE_LIST, "semaphores",
				list, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_event_create(struct mpd_client *c, const char *name, int exist_ok,
		     struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = add_flag(p, "exist_ok", exist_ok, err);
	return broker_call(c, r, MPD_M_EVENT_CREATE, p, NULL, NULL, err);
}

/* Returns how many waiters woke (>= 0), or a negative code; see mpd.h. */
int mpd_event_set(struct mpd_client *c, const char *name, struct mpd_error *err)
{
	json_t *p = NULL;
	int64_t woken = 0;
	int r = broker_name_params(__func__, name, &p, err);

	r = int_call(c, r, MPD_M_EVENT_SET, p, "woken", 0, INT_MAX, &woken,
		     err);
	return r < 0 ? r : (int)woken;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_event_clear(struct mpd_client *c, const char *name,
		    struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_EVENT_CLEAR, name, err);
}

/* Returns 1 set, 0 timed out, or a negative code; see mpd.h. */
int mpd_event_wait(struct mpd_client *c, const char *name, double timeout,
		   struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return bool_call(c, r, MPD_M_EVENT_WAIT, p, "set", err);
}

/* Returns 1 set, 0 clear, or a negative code; see mpd.h. */
int mpd_event_is_set(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return info_bool(c, __func__, MPD_M_EVENT_INFO, name, "set", err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_event_info(struct mpd_client *c, const char *name, json_t **info,
		   struct mpd_error *err)
{
	return info_call(c, __func__, MPD_M_EVENT_INFO, name, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_event_delete(struct mpd_client *c, const char *name,
		     struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_EVENT_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_event_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_EVENT_LIST, "events", list,
				err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_condition_create(struct mpd_client *c, const char *name,
			 const char *lock, int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL, *l = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && lock != NULL && lock[0] == '\0')
		r = client_fail(err, MPD_E_INVAL, 0, "%s: lock is empty",
				__func__);
	if (r == 0 && lock != NULL)
		r = broker_new_string(__func__, "lock", lock, &l, err);
	if (r == 0 && lock != NULL)
		r = broker_add_new(p, "lock", l, err);
	if (r == 0)
		r = add_flag(p, "exist_ok", exist_ok, err);
	return broker_call(c, r, MPD_M_CONDITION_CREATE, p, NULL, NULL, err);
}

/* Returns 1 acquired, 0 timed out, or a negative code; see mpd.h. */
int mpd_condition_acquire(struct mpd_client *c, const char *name,
			  double timeout, int *abandoned, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return hold_call(c, r, MPD_M_CONDITION_ACQUIRE, p, "acquired", false,
			 abandoned, err);
}

/* Returns the count still held (>= 0), or a negative code; see mpd.h. */
int mpd_condition_release(struct mpd_client *c, const char *name,
			  struct mpd_error *err)
{
	return release_call(c, __func__, MPD_M_CONDITION_RELEASE, name, err);
}

/* condition.wait on behalf of fn: returns 1 notified, 0 timed out, or a
 * negative code. */
static int condition_wait(struct mpd_client *c, const char *fn,
			  const char *name, double timeout, int *abandoned,
			  struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(fn, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	return hold_call(c, r, MPD_M_CONDITION_WAIT, p, "notified", true,
			 abandoned, err);
}

/* Returns 1 notified, 0 timed out, or a negative code; see mpd.h. */
int mpd_condition_wait(struct mpd_client *c, const char *name, double timeout,
		       int *abandoned, struct mpd_error *err)
{
	return condition_wait(c, __func__, name, timeout, abandoned, err);
}

/* CLOCK_MONOTONIC in seconds. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Returns 1 once pred holds, 0 timed out, or a negative code; see mpd.h. */
int mpd_condition_wait_for(struct mpd_client *c, const char *name,
			   int (*pred)(void *arg), void *arg, double timeout,
			   int *abandoned, struct mpd_error *err)
{
	bool timed = timeout >= 0 && !isinf(timeout);
	double end = 0, left = -1;
	json_t *p = NULL;
	int r, got, ab = 0;

	/* Everything a wait would refuse, refused before pred runs. */
	r = broker_check_given(__func__, "the client", c, err);
	if (r == 0)
		r = broker_name_params(__func__, name, &p, err);
	json_decref(p);
	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0 && pred == NULL)
		r = client_fail(err, MPD_E_INVAL, 0, "%s: pred is NULL",
				__func__);
	if (r < 0)
		return r;
	if (abandoned != NULL)
		*abandoned = 0;
	/* Python's loop: the full timeout first, what is left after. */
	got = pred(arg) != 0;
	for (bool first = true; !got; first = false) {
		if (timed && first) {
			end = now() + timeout;
			left = timeout;
		} else if (timed) {
			left = end - now();
			if (left <= 0)
				break;
		}
		r = condition_wait(c, __func__, name, left, &ab, err);
		if (r < 0)
			return r;
		if (ab && abandoned != NULL)
			*abandoned = 1;
		got = pred(arg) != 0;
	}
	return got;
}

/* condition.notify with n (all: every waiter) on behalf of fn: returns how
 * many woke, or a negative code. */
static int condition_notify(struct mpd_client *c, const char *fn,
			    const char *name, int64_t n, bool all,
			    struct mpd_error *err)
{
	json_t *p = NULL;
	int64_t woken = 0;
	int r = broker_name_params(fn, name, &p, err);

	if (r == 0 && !all)
		r = check_count(fn, "n", n, 1, err);
	if (r == 0 && !all && n != 1)
		r = broker_add_new(p, "n", json_integer(n), err);
	if (r == 0)
		r = add_flag(p, "all", all, err);
	r = int_call(c, r, MPD_M_CONDITION_NOTIFY, p, "woken", 0, INT_MAX,
		     &woken, err);
	return r < 0 ? r : (int)woken;
}

/* Returns how many woke (>= 0), or a negative code; see mpd.h. */
int mpd_condition_notify(struct mpd_client *c, const char *name, int64_t n,
			 struct mpd_error *err)
{
	return condition_notify(c, __func__, name, n, false, err);
}

/* Returns how many woke (>= 0), or a negative code; see mpd.h. */
int mpd_condition_notify_all(struct mpd_client *c, const char *name,
			     struct mpd_error *err)
{
	return condition_notify(c, __func__, name, 0, true, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_condition_info(struct mpd_client *c, const char *name, json_t **info,
		       struct mpd_error *err)
{
	return info_call(c, __func__, MPD_M_CONDITION_INFO, name, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_condition_delete(struct mpd_client *c, const char *name,
			 struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_CONDITION_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_condition_list(struct mpd_client *c, json_t **list,
		       struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_CONDITION_LIST, "conditions",
				list, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_barrier_create(struct mpd_client *c, const char *name, int64_t parties,
		       double timeout, int exist_ok, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0 && (parties < 1 || parties > MPD_MAX_PARTIES))
		r = client_fail(err, MPD_E_INVAL, 0,
				"%s: parties %" PRId64 " is not 1 to %d",
				__func__, parties, MPD_MAX_PARTIES);
	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_new(p, "parties", json_integer(parties), err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	if (r == 0)
		r = add_flag(p, "exist_ok", exist_ok, err);
	return broker_call(c, r, MPD_M_BARRIER_CREATE, p, NULL, NULL, err);
}

/* Returns the arrival index (>= 0), or a negative code; see mpd.h. */
int mpd_barrier_wait(struct mpd_client *c, const char *name, double timeout,
		     struct mpd_error *err)
{
	json_t *p = NULL;
	int64_t index = 0;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_timeout(__func__, timeout, err);
	if (r == 0)
		r = broker_add_timeout(p, timeout, err);
	r = int_call(c, r, MPD_M_BARRIER_WAIT, p, "index", 0,
		     MPD_MAX_PARTIES - 1, &index, err);
	return r < 0 ? r : (int)index;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_barrier_abort(struct mpd_client *c, const char *name,
		      struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_BARRIER_ABORT, name, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_barrier_reset(struct mpd_client *c, const char *name,
		      struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_BARRIER_RESET, name, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_barrier_info(struct mpd_client *c, const char *name, json_t **info,
		     struct mpd_error *err)
{
	return info_call(c, __func__, MPD_M_BARRIER_INFO, name, info, err);
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_barrier_delete(struct mpd_client *c, const char *name,
		       struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_BARRIER_DELETE, name, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_barrier_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_BARRIER_LIST, "barriers",
				list, err);
}
