/*
 * events.c - event subscriptions: events.subscribe, events.unsubscribe,
 * and the mpd.event notifications they bring.
 *
 * A connection subscribes to kinds of objects (processes, queues, locks,
 * ...) and a name prefix; the nouns report what happens to their objects
 * with one call each (events_emit_*() in mpdd.h), and every subscriber
 * that may see the object and has a matching subscription is sent one
 * notification line. While no connection subscribes, a report costs one
 * test of events_subscribers.
 *
 * Who sees what: an object's owner decides. A process is seen by
 * subscribers of its uid and by root; a broker object, which every
 * client may reach (the dispatcher has no owner for it), by every
 * subscriber; a listener or a shared memory segment by those its mode
 * lets connect or attach (chan_may()).
 *
 * A subscriber that does not read must not make the daemon grow, and
 * must not be dropped for what it never asked to be sent at that pace:
 * an event is queued only while the connection's unread output stays
 * under a quarter of --max-output (the rest is kept for replies, which
 * the daemon must send), and counted as dropped otherwise. Once the
 * output has drained under that mark again (events_conn_room(), from
 * conn.c after a write), the subscriber is sent one marker with the
 * count, before any later event: loss is never silent.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <event2/buffer.h>

#include "mpdd.h"

/* The kinds of objects a subscription may ask for; a mask bit each. */
static const char *const kind_names[] = {
	"process",   "queue", "value",	   "array",   "lock",
	"semaphore", "event", "condition", "barrier", "listener",
	"shm",	     "dict",  "list",	   "pool",
};
#define NKINDS	  (sizeof(kind_names) / sizeof(kind_names[0]))
#define ALL_KINDS ((1u << NKINDS) - 1)

struct esub {
	int64_t id; /* 0: a free slot */
	unsigned kinds; /* mask of kind_names */
	char *prefix; /* NULL: every name */
	size_t prefix_len;
};

/* One subscribing connection's subscriptions, and what it lost. */
struct esubs {
	TAILQ_ENTRY(esubs) entry;
	struct conn *conn;
	struct esub subs[MPD_MAX_SUBSCRIPTIONS];
	unsigned n; /* slots in use */
	int64_t next_id;
	uint64_t dropped; /* events not queued since the last marker */
	unsigned lost; /* mask of the slots whose events were dropped */
	uint64_t sent;
};

static TAILQ_HEAD(, esubs) subscribers = TAILQ_HEAD_INITIALIZER(subscribers);
unsigned events_subscribers;
static uint64_t seq; /* of the last event */

/* Bytes of unread output past which events are dropped, not queued. */
static size_t events_mark(void)
{
	return mpdd.opt.max_output / 4;
}

static int kind_index(const char *name)
{
	for (size_t i = 0; i < NKINDS; i++)
		if (strcmp(kind_names[i], name) == 0)
			return (int)i;
	return -1;
}

static void esubs_free(struct esubs *es)
{
	for (unsigned i = 0; i < MPD_MAX_SUBSCRIPTIONS; i++)
		free(es->subs[i].prefix);
	TAILQ_REMOVE(&subscribers, es, entry);
	events_subscribers--;
	es->conn->events = NULL;
	free(es);
}

/* The subscriptions' ids of the slots in mask, as a new array. */
static json_t *ids_of(const struct esubs *es, unsigned mask)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < MPD_MAX_SUBSCRIPTIONS; i++)
		if ((mask & (1u << i)) && es->subs[i].id != 0 &&
		    json_array_append_new(a, json_integer(es->subs[i].id))) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

/*
 * Queue the notification with params (borrowed; "subscriptions" is set
 * to the ids in mask) on es's connection if it has room under the mark.
 * Returns true when it was queued.
 */
static bool esubs_send(struct esubs *es, json_t *params, unsigned mask)
{
	struct conn *c = es->conn;
	json_t *msg;
	char *line;
	size_t len;

	if (c->dead || c->closing)
		return false;
	if (json_object_set_new(params, "subscriptions", ids_of(es, mask)))
		return false;
	msg = mpd_rpc_notification_new(MPD_EVENT_METHOD, json_incref(params));
	line = msg != NULL ? mpd_rpc_encode(msg, &len) : NULL;
	json_decref(msg);
	if (line == NULL)
		return false;
	if (evbuffer_get_length(c->out) + len > events_mark()) {
		free(line);
		return false;
	}
	conn_send_line(c, line, len, NULL);
	return true;
}

/* Send es its drop marker if it lost events and has room again. Returns
 * true when nothing is owed any more. */
static bool esubs_marker(struct esubs *es)
{
	uint64_t n = es->dropped;
	unsigned lost = es->lost;
	json_t *params;
	bool sent;

	if (n == 0)
		return true;
	params = json_pack("{s:s, s:s, s:I, s:f}", "kind", "events", "event",
			   "dropped", "count", (json_int_t)n, "time",
			   now_wall());
	if (params == NULL)
		return false;
	/* Owed no more while it is queued: the write it may trigger
	 * comes back to events_conn_room(). */
	es->dropped = 0;
	es->lost = 0;
	sent = esubs_send(es, params, lost);
	json_decref(params);
	if (!sent) {
		es->dropped += n;
		es->lost |= lost;
		return false;
	}
	log_debug("connection %llu: told of %llu dropped events",
		  (unsigned long long)es->conn->id, (unsigned long long)n);
	return true;
}

/* Who may see an object: its owner (EVENTS_ANY_UID: every client), and
 * with chan, its owner's group or everyone as its mode says. */
struct seen_by {
	uid_t uid;
	gid_t gid;
	enum chan_mode mode;
	bool chan;
};

static bool may_see(const struct conn *c, const struct seen_by *who)
{
	if (who->chan)
		return chan_may(c, who->uid, who->gid, who->mode);
	return who->uid == EVENTS_ANY_UID || c->uid == 0 || c->uid == who->uid;
}

/*
 * Send the event params (a new reference, consumed) of kind k about name
 * to every subscriber that may see it (who) and subscribes to it. seq and
 * time are added here.
 */
static void emit(int k, const char *name, const struct seen_by *who,
		 json_t *params)
{
	struct esubs *es;

	if (params == NULL) {
		log_warnx("%s: out of memory: an event is lost", __func__);
		return;
	}
	if (json_object_set_new(params, "seq",
				json_integer((json_int_t)++seq)) ||
	    json_object_set_new(params, "time", json_real(now_wall()))) {
		json_decref(params);
		return;
	}
	TAILQ_FOREACH (es, &subscribers, entry) {
		unsigned mask = 0;

		if (!may_see(es->conn, who))
			continue;
		for (unsigned i = 0; i < MPD_MAX_SUBSCRIPTIONS; i++) {
			const struct esub *s = &es->subs[i];

			if (s->id == 0 || !(s->kinds & (1u << k)))
				continue;
			if (s->prefix != NULL &&
			    strncmp(name, s->prefix, s->prefix_len) != 0)
				continue;
			mask |= 1u << i;
		}
		if (mask == 0)
			continue;
		/* What was lost is told before anything later. */
		if (esubs_marker(es) && esubs_send(es, params, mask)) {
			es->sent++;
			continue;
		}
		es->dropped++;
		es->lost |= mask;
	}
	json_decref(params);
}

/* events_object() and events_chan(): one event about an object. */
static void object_event(const char *kind, const char *name, const char *event,
			 const struct seen_by *who)
{
	int k = kind_index(kind);

	if (k < 0) {
		log_warnx("%s: no kind %s", __func__, kind);
		return;
	}
	emit(k, name, who,
	     json_pack("{s:s, s:s, s:s}", "kind", kind, "event", event, "name",
		       name));
}

void events_object(const char *kind, const char *name, const char *event,
		   uid_t owner)
{
	struct seen_by who = { .uid = owner };

	object_event(kind, name, event, &who);
}

void events_chan(const char *kind, const char *name, const char *event,
		 uid_t uid, gid_t gid, enum chan_mode mode)
{
	struct seen_by who = {
		.uid = uid, .gid = gid, .mode = mode, .chan = true
	};

	object_event(kind, name, event, &who);
}

void events_abandoned(const char *kind, const char *name,
		      const struct conn *holder)
{
	struct seen_by who = { .uid = EVENTS_ANY_UID };
	int k = kind_index(kind);

	if (k < 0)
		return;
	emit(k, name, &who,
	     json_pack("{s:s, s:s, s:s, s:{s:I, s:I, s:o}}", "kind", kind,
		       "event", "abandoned", "name", name, "holder",
		       "connection", (json_int_t)holder->id, "pid",
		       (json_int_t)holder->pid, "process",
		       holder->proc_id > 0 ? json_integer(holder->proc_id) :
					     json_null()));
}

void events_process(const struct proc *p, const char *event)
{
	struct seen_by who = { .uid = p->uid };
	json_t *params;

	params = json_pack(
		"{s:s, s:s, s:I, s:s, s:s, s:I, s:o, s:o}", "kind", "process",
		"event", event, "id", (json_int_t)p->id, "name", p->name,
		"state", proctab_state_name(p->state), "uid",
		(json_int_t)p->uid, "pid",
		p->pid > 0 ? json_integer(p->pid) : json_null(), "parent",
		p->parent > 0 ? json_integer(p->parent) : json_null());
	if (params != NULL && p->state == PROC_EXITED) {
		json_t *code = json_null(), *sig = json_null();
		char buf[32];

		if (p->status_known && WIFEXITED(p->status)) {
			code = json_integer(WEXITSTATUS(p->status));
		} else if (p->status_known && WIFSIGNALED(p->status)) {
			const char *n = mpd_signal_name(WTERMSIG(p->status),
							buf, sizeof(buf));

			code = json_integer(-WTERMSIG(p->status));
			sig = n != NULL ? json_string(n) : json_null();
		}
		json_object_set_new(params, "exitcode", code);
		json_object_set_new(params, "signal", sig);
	}
	/* stage, errno, message */
	if (params != NULL && p->state == PROC_FAILED && p->error != NULL)
		json_object_update(params, p->error);
	emit(0, p->name, &who, params);
}

/* c closes: its subscriptions end. */
void events_conn_closed(struct conn *c)
{
	if (c->events != NULL)
		esubs_free(c->events);
}

/* c's output was written: a marker it is owed goes out if it has room. */
void events_conn_room(struct conn *c)
{
	if (c->events != NULL && c->events->dropped > 0 && !c->dead)
		esubs_marker(c->events);
}

struct subscribe_args {
	json_t *kinds;
	const char *prefix;
};

static const struct mpd_param subscribe_params[] = {
	ARG_JSON("kinds", MPD_PT_ARRAY, MPD_PF_NONEMPTY, struct subscribe_args,
		 kinds),
	ARG("prefix", MPD_PT_STRING, 0, struct subscribe_args, prefix),
	PARAMS_END,
};

static void events_subscribe(struct req *r, json_t *params, void *args)
{
	const struct subscribe_args *in = args;
	struct conn *c = r->conn;
	struct esubs *es = c->events;
	unsigned kinds = ALL_KINDS, slot;
	size_t i;
	json_t *k;
	char *prefix = NULL;

	if (in->kinds != NULL) {
		kinds = 0;
		json_array_foreach (in->kinds, i, k) {
			int n = json_is_string(k) ?
					kind_index(json_string_value(k)) :
					-1;

			if (n < 0) {
				req_bad_param(r, "kinds",
					      "\"kinds\"[%zu]: not a kind of "
					      "object (process, queue, value, "
					      "array, lock, semaphore, event, "
					      "condition, barrier, listener, "
					      "shm)",
					      i);
				return;
			}
			kinds |= 1u << n;
		}
	}
	if (in->prefix != NULL && strlen(in->prefix) > MPD_MAX_NAME) {
		req_bad_param(r, "prefix",
			      "\"prefix\": longer than a name (%d bytes)",
			      MPD_MAX_NAME);
		return;
	}
	if (es != NULL && es->n == MPD_MAX_SUBSCRIPTIONS) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:i}", "limit", "max_subscriptions",
				    "max", MPD_MAX_SUBSCRIPTIONS),
			  "this connection has %d subscriptions already "
			  "(max_subscriptions)",
			  MPD_MAX_SUBSCRIPTIONS);
		return;
	}
	if (in->prefix != NULL && in->prefix[0] != '\0' &&
	    (prefix = strdup(in->prefix)) == NULL)
		goto oom;
	if (es == NULL) {
		if ((es = calloc(1, sizeof(*es))) == NULL)
			goto oom;
		es->conn = c;
		c->events = es;
		TAILQ_INSERT_TAIL(&subscribers, es, entry);
		events_subscribers++;
	}
	for (slot = 0; es->subs[slot].id != 0; slot++)
		;
	es->subs[slot].id = ++es->next_id;
	es->subs[slot].kinds = kinds;
	es->subs[slot].prefix = prefix;
	es->subs[slot].prefix_len = prefix != NULL ? strlen(prefix) : 0;
	es->n++;
	log_debug("connection %llu: subscription %lld",
		  (unsigned long long)c->id, (long long)es->subs[slot].id);
	req_result(r, json_pack("{s:I}", "subscription",
				(json_int_t)es->subs[slot].id));
	return;
oom:
	free(prefix);
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

struct unsubscribe_args {
	json_int_t id;
};

static const struct mpd_param unsubscribe_params[] = {
	ARG_RANGE("subscription", MPD_PT_INT, MPD_PF_REQUIRED, 1, MPD_MAX_ID,
		  struct unsubscribe_args, id),
	PARAMS_END,
};

static void events_unsubscribe(struct req *r, json_t *params, void *args)
{
	const struct unsubscribe_args *in = args;
	struct esubs *es = r->conn->events;

	for (unsigned i = 0; es != NULL && i < MPD_MAX_SUBSCRIPTIONS; i++) {
		struct esub *s = &es->subs[i];

		if (s->id != in->id)
			continue;
		free(s->prefix);
		memset(s, 0, sizeof(*s));
		es->lost &= ~(1u << i);
		if (--es->n == 0)
			esubs_free(es); /* what it lost is nobody's now */
		req_result(r, json_object());
		return;
	}
	req_error(r, MPD_RPC_NOT_FOUND, NULL,
		  "this connection has no subscription %lld",
		  (long long)in->id);
}

const struct method events_methods[] = {
	{ MPD_METHOD_EVENTS_SUBSCRIBE, events_subscribe, subscribe_params, NULL,
	  0, sizeof(struct subscribe_args) },
	{ MPD_METHOD_EVENTS_UNSUBSCRIBE, events_unsubscribe, unsubscribe_params,
	  NULL, 0, sizeof(struct unsubscribe_args) },
	{ 0 },
};
