/*
 * dispatch.c - from a line of JSON to a method handler, and back.
 *
 * The methods are listed once, in proto.h (MPD_METHODS); each noun file
 * exports its rows ({method, handler, param spec, target type}, as tmux's
 * cmd_entry's live in their cmd-*.c), and dispatch_check() collects them
 * at start-up. A line is parsed, checked as a JSON-RPC 2.0 request (or a
 * batch of them), its method looked up, its params checked against the
 * spec and extracted into the method's args struct in the same pass (as
 * sd-varlink's sd_json_dispatch does), and its target found, with
 * ownership checked, here, centrally, before any handler runs. A handler then answers
 * through req_result()/req_error(), at once or later after req_park().
 * Batches collect their replies and go out as one array when the last
 * member is answered; the holds of queue items their replies carry wait
 * with them, and go back if the batch is cancelled.
 *
 * Parking is one mechanism for every noun (as redis's blocked.c): a
 * parked request waits on its owner's list of waiters, with an optional
 * timeout whose timer it carries; it is woken by being answered, expires
 * through its owner's callback, and is cancelled with its connection.
 *
 * A method that takes from the broker (METHOD_TAKES) is not run for a
 * notification: nothing it took could be handed over.
 *
 * Adding a method: its name in proto.h, its row and handler in the file
 * of its noun, docs/protocol.md, libmpd, mpd-cli and tests.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpdd.h"

struct batch {
	struct conn *conn;
	json_t *replies; /* array of responses, in completion order */
	size_t pending; /* members not yet answered (+1 while dispatching) */
	size_t bytes; /* encoded size of the replies so far */
	struct hold_list holds; /* of the items the replies carry */
	struct out_fds *fds; /* passed with the replies, or NULL */
};

/* Bytes of a batch reply besides its members: brackets, commas, '\n'. */
#define BATCH_OVERHEAD 16
/* Bytes of a reply's envelope beyond its result (id, keys), kept aside by
 * req_budget(). */
#define REPLY_SLACK 1024

/* The spec of a method that takes no params. */
const struct mpd_param no_params[] = {
	PARAMS_END,
};

/* Method names in order (proto.h keeps them so), and each one's row. */
static const char *const method_names[MPD_METHOD_COUNT] = {
#define X(e, name) [MPD_METHOD_##e] = name,
	MPD_METHODS(X)
#undef X
};
static const struct method *methods[MPD_METHOD_COUNT];

/* Every noun's rows. */
static const struct method *const nouns[] = {
	daemon_methods,	  dict_methods, events_methods,	 list_methods,
	listener_methods, pool_methods, process_methods, queue_methods,
	shm_methods,	  sync_methods, value_methods,
};

static int method_cmp(const void *key, const void *name)
{
	return strcmp(key, *(const char *const *)name);
}

/* The row for a method name, or NULL. method_names[] is sorted (checked
 * at start-up). */
static const struct method *dispatch_find(const char *name)
{
	const char *const *found = bsearch(name, method_names, MPD_METHOD_COUNT,
					   sizeof(method_names[0]), method_cmp);

	return found != NULL ? methods[found - method_names] : NULL;
}

/* At start-up: collect the nouns' rows, one for every method, and abort
 * if the names are out of order (lookups would miss). */
void dispatch_check(void)
{
	for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++) {
		for (const struct method *m = nouns[i]; m->handler != NULL;
		     m++) {
			if ((unsigned)m->id >= MPD_METHOD_COUNT ||
			    methods[m->id] != NULL)
				fatalx("method %d has two rows", (int)m->id);
			if (m->args_size > METHOD_ARGS_MAX ||
			    (m->target != NULL &&
			     m->args_size < sizeof(void *)))
				fatalx("method %s: args of a wrong size",
				       method_names[m->id]);
			methods[m->id] = m;
		}
	}
	for (size_t i = 0; i < MPD_METHOD_COUNT; i++) {
		if (methods[i] == NULL)
			fatalx("method %s has no row", method_names[i]);
		if (i > 0 && strcmp(method_names[i - 1], method_names[i]) >= 0)
			fatalx("method table out of order at %s",
			       method_names[i]);
	}
}

/* May r's client act on what owner owns? Root may act on anything. */
bool req_may_access(const struct req *r, uid_t owner)
{
	return r->conn->uid == 0 || r->conn->uid == owner;
}

/*
 * The object of type t that params name, or NULL with r answered
 * (invalid_params, not_found, permission_denied).
 */
void *req_target(struct req *r, const struct target_type *t, json_t *params)
{
	json_t *id = t->by_id != NULL ? json_object_get(params, "id") : NULL;
	json_t *name = json_object_get(params, "name");
	int64_t oid;
	uid_t uid;
	void *obj;

	if (t->by_id != NULL && (id == NULL) == (name == NULL)) {
		req_bad_param(r, "id",
			      "give exactly one of \"id\" and \"name\"");
		return NULL;
	}
	if (t->bounded_name && !req_name_ok(r, name))
		return NULL;
	obj = id != NULL     ? t->by_id(json_integer_value(id)) :
	      t->map != NULL ? hmap_get(t->map, json_string_value(name)) :
			       t->by_name(json_string_value(name));
	if (obj == NULL) {
		if (id != NULL)
			req_error(r, MPD_RPC_NOT_FOUND, NULL,
				  "no %s with id %lld", t->noun,
				  (long long)json_integer_value(id));
		else
			req_error(r, MPD_RPC_NOT_FOUND, NULL,
				  "no %s named \"%s\"", t->noun,
				  json_string_value(name));
		return NULL;
	}
	if (t->owner != NULL && !req_may_access(r, uid = t->owner(obj, &oid))) {
		/* By name, its id stays untold, as process.create's
		 * "exists" keeps it. */
		if (id != NULL)
			req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
				  "%s %lld belongs to uid %ld", t->noun,
				  (long long)oid, (long)uid);
		else
			req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
				  "%s \"%s\" belongs to uid %ld", t->noun,
				  json_string_value(name), (long)uid);
		return NULL;
	}
	return obj;
}

/* A member of the batch was answered (or cancelled, send == false). */
static void batch_done(struct batch *b, bool send)
{
	if (--b->pending > 0)
		return;
	if (send && json_array_size(b->replies) > 0) {
		conn_send_fds(b->conn, b->replies, &b->holds, b->fds);
		b->fds = NULL;
	}
	hold_release_all(&b->holds, false);
	out_fds_free(b->fds);
	json_decref(b->replies);
	free(b);
}

static void req_free(struct req *r)
{
	struct conn *c = r->conn;

	if (r->hold != NULL)
		r->hold->release(r->hold, false);
	out_fds_free(r->fds);
	json_decref(r->id);
	if (r->parked) {
		req_unwait(r);
		if (r->timer != NULL)
			event_free(r->timer);
		TAILQ_REMOVE(&c->parked, r, entry);
		c->nparked--;
		mpdd.parked--;
		free(r);
		conn_parked_done(c);
		return;
	}
	free(r);
}

/*
 * Bytes of reply r may still add to its connection's output without
 * passing --max-output: the connection's room, less what the rest of r's
 * batch will take.
 */
size_t req_room(const struct req *r)
{
	size_t room = conn_room(r->conn), used;

	if (r->batch == NULL)
		return room;
	used = r->batch->bytes + BATCH_OVERHEAD;
	return room > used ? room - used : 0;
}

/* Deliver a response (stolen; NULL when allocation failed) for r. */
static void req_deliver(struct req *r, json_t *resp)
{
	if (resp == NULL) {
		log_warnx("connection %llu: out of memory building a reply",
			  (unsigned long long)r->conn->id);
	} else if (r->id == NULL) {
		/* A notification: executed, never answered. */
	} else if (r->batch != NULL) {
		if (json_array_append(r->batch->replies, resp) == 0) {
			r->batch->bytes +=
				json_dumpb(resp, NULL, 0, JSON_COMPACT) + 1;
			if (r->hold != NULL) {
				TAILQ_INSERT_TAIL(&r->batch->holds, r->hold,
						  entry);
				r->hold = NULL;
			}
		}
	} else {
		conn_send_fds(r->conn, resp, NULL, r->fds);
		r->fds = NULL;
	}
	json_decref(resp);
	if (r->batch != NULL)
		batch_done(r->batch, true);
	req_free(r);
}

/*
 * Answer r with a result given as JSON text (len bytes, valid JSON: items
 * the broker keeps as text), without parsing and encoding it again.
 */
void req_result_text(struct req *r, const char *json, size_t len)
{
	static const char PREFIX[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	static const char MIDDLE[] = ",\"result\":";
	char *idtext = NULL, *line, idbuf[32];
	const char *id;
	size_t n, idlen;

	if (r->id == NULL || r->batch != NULL) {
		/* Notifications need nothing; batches collect values. */
		json_t *v = NULL;

		if (r->id != NULL) {
			v = mpd_json_parse(json, len, JSON_DECODE_ANY, NULL);
			if (v == NULL) {
				/* What it carried goes back with r. */
				req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
					  "out of memory");
				return;
			}
		}
		req_result(r, v);
		return;
	}
	if (json_is_integer(r->id)) {
		/* The common id: no allocation for it. */
		idlen = (size_t)snprintf(idbuf, sizeof(idbuf),
					 "%" JSON_INTEGER_FORMAT,
					 json_integer_value(r->id));
		id = idbuf;
	} else {
		id = idtext = mpd_json_encode(r->id, &idlen, 1);
	}
	if (id == NULL || (line = malloc(sizeof(PREFIX) + idlen +
					 sizeof(MIDDLE) + len + 2)) == NULL) {
		free(idtext);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	memcpy(line, PREFIX, sizeof(PREFIX) - 1);
	n = sizeof(PREFIX) - 1;
	memcpy(line + n, id, idlen);
	n += idlen;
	memcpy(line + n, MIDDLE, sizeof(MIDDLE) - 1);
	n += sizeof(MIDDLE) - 1;
	memcpy(line + n, json, len);
	n += len;
	line[n++] = '}';
	line[n++] = '\n';
	free(idtext);
	if (r->hold != NULL) {
		struct hold_list holds = TAILQ_HEAD_INITIALIZER(holds);

		TAILQ_INSERT_TAIL(&holds, r->hold, entry);
		r->hold = NULL;
		conn_send_line_fds(r->conn, line, n, &holds, r->fds);
	} else {
		conn_send_line_fds(r->conn, line, n, NULL, r->fds);
	}
	r->fds = NULL;
	req_free(r);
}

/*
 * Pass fd (ours) with r's reply, which must follow (req_result()); an
 * error reply closes it instead. It counts in mpdd.fd_chan (and r's
 * uid's share, chan_fds_add()) until it is
 * written or dropped. Returns its index among the descriptors
 * the reply's line carries, which the result names ("fd": index; in a
 * batch, the line's descriptors are those of all its members), or -1
 * with fd closed and r answered: limit when the line already carries as
 * many as one message may, or out of memory.
 */
int req_pass_fd(struct req *r, int fd)
{
	struct out_fds **ofp = r->batch != NULL ? &r->batch->fds : &r->fds;

	if (*ofp == NULL && (*ofp = out_fds_new()) == NULL) {
		close(fd);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return -1;
	}
	if ((*ofp)->n >= MPD_MAX_FDS_PER_MESSAGE) {
		close(fd);
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:i}", "limit", "descriptors", "max",
				    MPD_MAX_FDS_PER_MESSAGE),
			  "one reply passes at most %d descriptors",
			  MPD_MAX_FDS_PER_MESSAGE);
		return -1;
	}
	(*ofp)->fds[(*ofp)->n] = fd;
	(*ofp)->uid = r->conn->uid;
	chan_fds_add(r->conn->uid, 1); /* until written or dropped */
	return (*ofp)->n++;
}

/* Answer r with result (stolen; NULL means {}) and free r. */
void req_result(struct req *r, json_t *result)
{
	char *text;
	size_t len;

	if (r->id == NULL || r->batch != NULL || result == NULL) {
		req_deliver(r, mpd_rpc_result_new(r->id, result));
		return;
	}
	/* A single reply is written around the encoded result, without
	 * building the envelope as a JSON object first. */
	text = mpd_json_encode(result, &len, 0);
	json_decref(result);
	if (text == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
			  "cannot encode the result");
		return;
	}
	req_result_text(r, text, len);
	free(text);
}

/*
 * Answer r with an error and free r. data is stolen (may be NULL); the
 * message is formatted from fmt, or the code's default when fmt is NULL.
 */
void req_error(struct req *r, int code, json_t *data, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (r->hold != NULL) {
		/* An error carries no items: they go back. */
		r->hold->release(r->hold, false);
		r->hold = NULL;
	}
	out_fds_free(r->fds); /* nor descriptors */
	r->fds = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	req_deliver(r, mpd_rpc_error_new(r->id, code, fmt != NULL ? msg : NULL,
					 data));
}

/* Answer r with invalid_params naming field; the message is formatted
 * from fmt. */
void req_bad_param(struct req *r, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_error(r, MPD_RPC_INVALID_PARAMS, json_pack("{s:s}", "field", field),
		  "%s", msg);
}

/*
 * Is name (a "name" param, checked as a string without NUL) short enough
 * to be one (MPD_MAX_NAME)? Returns true, or false with r answered.
 */
bool req_name_ok(struct req *r, const json_t *name)
{
	if (json_string_length(name) <= MPD_MAX_NAME)
		return true;
	req_bad_param(r, "name", "\"name\": at most %d bytes, no NUL",
		      MPD_MAX_NAME);
	return false;
}

/* seconds (>= 0) as a timeval, for a timer. */
struct timeval timeval_of(double seconds)
{
	double whole = floor(seconds);
	struct timeval tv;

	tv.tv_sec = (time_t)whole;
	tv.tv_usec = (suseconds_t)((seconds - whole) * 1e6);
	return tv;
}

/* A timer that calls cb(arg) once, seconds (>= 0) from now; NULL when
 * none could be armed. */
struct event *timer_after(double seconds, event_callback_fn cb, void *arg)
{
	struct timeval tv = timeval_of(seconds);
	struct event *ev = evtimer_new(mpdd.base, cb, arg);

	if (ev != NULL && evtimer_add(ev, &tv) == -1) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

static void park_expire_cb(evutil_socket_t fd, short events, void *arg)
{
	struct req *r = arg;

	r->expire(r);
}

/*
 * Park r: keep it open after its handler returns, to be answered later
 * through req_result()/req_error() (which unpark it). It goes last on
 * waitq (NULL: on none), the owner's list of what waits for one thing,
 * and leaves it when answered or cancelled. If timeout >= 0 seconds pass
 * first, expire(r) unhooks the owner's state and answers r. If the
 * connection closes first, cancel(r) (may be NULL) unhooks it and r is
 * freed unanswered. arg is for the callbacks (r->park_arg). Returns 0, or
 * -1 with r answered (no timer could be armed) and nothing parked.
 */
int req_park(struct req *r, struct req_list *waitq,
	     void (*cancel)(struct req *), void (*expire)(struct req *),
	     void *arg, double timeout)
{
	if (timeout >= 0 &&
	    (r->timer = timer_after(timeout, park_expire_cb, r)) == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
			  "cannot arm a timer");
		return -1;
	}
	r->cancel = cancel;
	r->expire = expire;
	r->park_arg = arg;
	r->parked = true;
	TAILQ_INSERT_TAIL(&r->conn->parked, r, entry);
	r->conn->nparked++;
	mpdd.parked++;
	if (waitq != NULL) {
		r->waitq = waitq;
		TAILQ_INSERT_TAIL(waitq, r, wait_entry);
	}
	return 0;
}

/* Take parked r off its waiters' list early (it is answered next). */
void req_unwait(struct req *r)
{
	if (r->waitq != NULL) {
		TAILQ_REMOVE(r->waitq, r, wait_entry);
		r->waitq = NULL;
	}
}

/*
 * Move parked r to the end of waitq (NULL: none), without its timeout: it
 * waits on, for something else, until answered or cancelled.
 */
void req_repark(struct req *r, struct req_list *waitq)
{
	req_unwait(r);
	if (r->timer != NULL) {
		event_free(r->timer);
		r->timer = NULL;
	}
	if (waitq != NULL) {
		r->waitq = waitq;
		TAILQ_INSERT_TAIL(waitq, r, wait_entry);
	}
}

/*
 * The bytes r's result may take: half of its room (req_room(), less an
 * envelope's slack), so that a large reply leaves room for the next ones.
 * Methods whose results can be large (process records and lists) size them
 * to it.
 */
size_t req_budget(const struct req *r)
{
	size_t room = req_room(r);

	return room > REPLY_SLACK ? (room - REPLY_SLACK) / 2 : 0;
}

/*
 * The connection is closing: cancel and free its parked requests, newest
 * first, so that items the batches among them took go back in order.
 */
void req_cancel_all(struct conn *c)
{
	struct req *r;

	while ((r = TAILQ_LAST(&c->parked, req_list)) != NULL) {
		if (r->cancel != NULL)
			r->cancel(r);
		if (r->batch != NULL)
			batch_done(r->batch, false);
		req_free(r);
	}
}

/* Send an error not tied to a request (id null). */
void dispatch_error(struct conn *c, int code, const char *message)
{
	json_t *resp, *data = NULL;

	if (code == MPD_RPC_LIMIT && message == NULL) {
		data = json_pack("{s:s, s:I}", "limit", "max_message", "max",
				 (json_int_t)mpdd.opt.max_message);
		resp = mpd_rpc_error_new(NULL, code,
					 "message exceeds max_message", data);
	} else {
		resp = mpd_rpc_error_new(NULL, code, message, NULL);
	}
	if (resp != NULL)
		conn_send(c, resp);
	json_decref(resp);
}

/* An error answered before a req exists (bad envelope). */
static void dispatch_reply_now(struct conn *c, struct batch *b, json_t *resp)
{
	if (resp == NULL)
		return;
	if (b != NULL)
		json_array_append(b->replies, resp);
	else
		conn_send(c, resp);
	json_decref(resp);
}

/* One request object (borrowed), alone or as a batch member. */
static void dispatch_one(struct conn *c, json_t *msg, struct batch *b)
{
	struct mpd_rpc_request rq;
	const struct method *m;
	const char *why, *field;
	union {
		max_align_t align;
		unsigned char b[METHOD_ARGS_MAX];
	} args;
	void *target;
	char text[512];
	struct req *r;

	if (mpd_rpc_parse_request(msg, &rq, &why) != 0) {
		dispatch_reply_now(c, b,
				   mpd_rpc_error_new(rq.id,
						     MPD_RPC_INVALID_REQUEST,
						     why, NULL));
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		log_warnx("connection %llu: out of memory",
			  (unsigned long long)c->id);
		dispatch_reply_now(c, b,
				   mpd_rpc_error_new(rq.id,
						     MPD_RPC_INTERNAL_ERROR,
						     "out of memory", NULL));
		return;
	}
	r->conn = c;
	r->id = json_incref(rq.id);
	r->batch = b;
	if (b != NULL)
		b->pending++;

	m = dispatch_find(rq.method);
	if (m == NULL) {
		req_error(r, MPD_RPC_METHOD_NOT_FOUND,
			  json_pack("{s:s}", "method", rq.method),
			  "method not found: %s", rq.method);
		return;
	}
	if (rq.id == NULL && (m->flags & METHOD_TAKES)) {
		/* Refused, and a notification is never answered. */
		log_debug("connection %llu: %s as a notification: refused, "
			  "nothing taken",
			  (unsigned long long)c->id, method_names[m->id]);
		if (b != NULL)
			batch_done(b, true);
		req_free(r);
		return;
	}
	if (mpd_params_dispatch(m->params, rq.params, args.b, text,
				sizeof(text), &field) != 0) {
		req_error(r, MPD_RPC_INVALID_PARAMS,
			  field != NULL ? json_pack("{s:s}", "field", field) :
					  NULL,
			  "%s", text);
		return;
	}
	log_debug("connection %llu: %s", (unsigned long long)c->id,
		  method_names[m->id]);
	if (m->target != NULL) {
		target = req_target(r, m->target, rq.params);
		if (target == NULL)
			return;
		memcpy(args.b, &target, sizeof(target));
	}
	m->handler(r, rq.params, args.b);
}

static void dispatch_batch(struct conn *c, json_t *msg)
{
	struct batch *b;
	size_t i, n = json_array_size(msg);
	json_t *elem;

	if (n == 0 || n > MPD_MAX_BATCH) {
		char why[128];

		snprintf(why, sizeof(why),
			 n == 0 ? "empty batch" :
				  "batch of %zu requests exceeds the limit "
				  "of %d",
			 n, MPD_MAX_BATCH);
		dispatch_reply_now(c, NULL,
				   mpd_rpc_error_new(NULL,
						     MPD_RPC_INVALID_REQUEST,
						     why, NULL));
		return;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL || (b->replies = json_array()) == NULL) {
		free(b);
		dispatch_error(c, MPD_RPC_INTERNAL_ERROR, "out of memory");
		return;
	}
	b->conn = c;
	TAILQ_INIT(&b->holds);
	b->pending = 1; /* held until every member is dispatched */
	json_array_foreach (msg, i, elem)
		dispatch_one(c, elem, b);
	batch_done(b, !c->dead);
}

/* Handle one complete line from c (len bytes, NUL-terminated). */
void dispatch_line(struct conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg;
	char why[256];

	msg = mpd_json_parse(line, len,
			     JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (msg == NULL) {
		snprintf(why, sizeof(why), "parse error at byte %d: %s",
			 jerr.position, jerr.text);
		log_debug("connection %llu: %s", (unsigned long long)c->id,
			  why);
		dispatch_error(c, MPD_RPC_PARSE_ERROR, why);
		return;
	}
	if (json_is_array(msg))
		dispatch_batch(c, msg);
	else
		dispatch_one(c, msg, NULL);
	json_decref(msg);
}
