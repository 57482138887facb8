/*
 * listener.c - rendezvous by name: Python's multiprocessing.connection
 * Listener and Client, brokered by the daemon and then out of the way.
 *
 * A client listens on a name (listener.create); another connects to it
 * (listener.connect). The daemon makes a fresh socketpair for each
 * connection and passes one end to the connector and the other to the
 * acceptor (listener.accept), as SCM_RIGHTS with their replies; after that
 * the two talk directly and the daemon is not in the path.
 *
 * As with listen(2), a connect succeeds before anyone accepts while the
 * backlog has room: the acceptor's end waits in the listener (a pending
 * connection, with the connector's credentials as the daemon read them).
 * With the backlog full (or 0) a connect waits for an accept, or for room,
 * until its timeout; an accept waits for a connect. Both are served first
 * come, first served.
 *
 * A listener belongs to the connection that created it: it goes away with
 * that connection, or at listener.close. Then its pending ends are closed
 * (their connectors read EOF) and everything parked on it gets `closed`.
 * Only the owner's uid (and root) may accept and close; who may connect
 * is the listener's mode (the owner, its group, or everyone).
 *
 * Every descriptor the daemon holds for this (pending ends, and ends in
 * replies not yet written) counts in mpdd.fd_chan and in its uid's share
 * (the connector's, for a pending end), bounded by chan_fd_room(); every parked request counts LISTEN_WAIT_BYTES against
 * max_broker_bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mpdd.h"

/* What a parked accept or connect costs against max_broker_bytes. */
#define LISTEN_WAIT_BYTES 384
/* The longest backlog a listener may have. */
#define LISTEN_MAX_BACKLOG     1024
#define LISTEN_DEFAULT_BACKLOG 16

/* A connection made and not yet accepted: the acceptor's end. */
struct lpending {
	TAILQ_ENTRY(lpending) entry;
	int fd;
	uid_t uid; /* the connector's: it counts in its share */
	json_t *peer; /* the connector's credentials */
};
TAILQ_HEAD(lpending_list, lpending);

struct listener {
	char *name;
	uid_t uid;
	gid_t gid;
	enum chan_mode mode;
	uint64_t conn_id; /* of the connection that owns it */
	json_t *owner; /* its credentials */
	int64_t backlog;
	struct lpending_list pending;
	size_t npending;
	struct req_list acceptors, connectors;
	size_t nacceptors, nconnectors;
	uint64_t accepted; /* connections handed to acceptors */
	double created;
};

static struct hmap listeners;

struct largs {
	struct listener *l; /* the target (first member) */
	json_t *name;
	const char *mode;
	json_int_t backlog;
	double timeout;
};

static const struct mpd_param create_params[] = {
	ARG_NAME(struct largs, name),
	ARG_RANGE("backlog", MPD_PT_INT, 0, 0, LISTEN_MAX_BACKLOG, struct largs,
		  backlog),
	ARG("mode", MPD_PT_STRING, 0, struct largs, mode),
	PARAMS_END,
};
static const struct mpd_param wait_params[] = {
	PARAM_NAME,
	ARG_TIMEOUT(struct largs, timeout),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };

/* Found by name; who may do what is checked by each method, since it
 * depends on the listener's mode. */
static const struct target_type listener_target = {
	.noun = "listener",
	.map = &listeners,
	.bounded_name = true,
};

static void oom(struct req *r)
{
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

static void wait_cancel(struct req *r);
static void wait_expire(struct req *r);

/* Take parked r (an accept or a connect of l) off its list. */
static void unpark(struct listener *l, struct req *r)
{
	if (r->waitq == &l->acceptors)
		l->nacceptors--;
	else
		l->nconnectors--;
	req_unwait(r);
	broker_bytes(-LISTEN_WAIT_BYTES);
}

/* Park r on list (of l's acceptors or connectors). */
static void park(struct listener *l, struct req *r, struct req_list *list,
		 double timeout)
{
	if (!broker_room(r, 0, LISTEN_WAIT_BYTES))
		return;
	if (req_park(r, list, wait_cancel, wait_expire, l, timeout) == -1)
		return;
	if (list == &l->acceptors)
		l->nacceptors++;
	else
		l->nconnectors++;
	broker_bytes(LISTEN_WAIT_BYTES);
}

static void wait_cancel(struct req *r)
{
	unpark(r->park_arg, r);
}

static void wait_expire(struct req *r)
{
	struct listener *l = r->park_arg;
	bool accept = r->waitq == &l->acceptors;

	unpark(l, r);
	if (accept)
		req_error(r, MPD_RPC_EMPTY,
			  json_pack("{s:s}", "reason", "timeout"),
			  "no connection to listener \"%s\" came in time",
			  l->name);
	else
		req_error(r, MPD_RPC_FULL,
			  json_pack("{s:s}", "reason", "timeout"),
			  "listener \"%s\" accepted no connection in time "
			  "(backlog %lld)",
			  l->name, (long long)l->backlog);
}

/*
 * Answer r with the end fd (ours; closed on failure) and the peer's
 * credentials (stolen).
 */
static void give_end(struct req *r, int fd, json_t *peer)
{
	int idx = req_pass_fd(r, fd);

	if (idx < 0) {
		json_decref(peer); /* r is answered */
		return;
	}
	req_result(r, json_pack("{s:i, s:o}", "fd", idx, "peer",
				peer != NULL ? peer : json_null()));
}

/*
 * Make the socketpair of a new connection for connector, which is not
 * parked (held: one end stays in the backlog). Returns true, or false
 * with connector answered (limit).
 */
static bool make_pair(struct req *connector, int sv[2], bool held)
{
	int e;

	if (!chan_fd_room(connector, held ? 3 : 2))
		return false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
		return true;
	e = errno;
	if (e == EMFILE || e == ENFILE)
		req_error(connector, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "cannot make a socket pair: %s", strerror(e));
	else
		req_error(connector, MPD_RPC_INTERNAL_ERROR, NULL,
			  "cannot make a socket pair: %s", strerror(e));
	return false;
}

/*
 * Hand the connection sv to connector and to acceptor, or into l's
 * backlog when acceptor is NULL. Neither is parked.
 */
static void connect_ends(struct listener *l, struct req *acceptor,
			 struct req *connector, int sv[2])
{
	if (acceptor != NULL) {
		l->accepted++;
		give_end(acceptor, sv[0], conn_creds_json(connector->conn));
	} else {
		struct lpending *p = calloc(1, sizeof(*p));

		if (p == NULL) {
			close(sv[0]);
			close(sv[1]);
			oom(connector);
			return;
		}
		p->fd = sv[0];
		p->uid = connector->conn->uid;
		p->peer = conn_creds_json(connector->conn);
		TAILQ_INSERT_TAIL(&l->pending, p, entry);
		l->npending++;
		chan_fds_add(p->uid, 1);
	}
	give_end(connector, sv[1], json_incref(l->owner));
}

/* Hand the oldest pending connection of l to acceptor r (not parked). */
static void take_pending(struct listener *l, struct req *r)
{
	struct lpending *p = TAILQ_FIRST(&l->pending);

	TAILQ_REMOVE(&l->pending, p, entry);
	l->npending--;
	chan_fds_add(p->uid, -1); /* req_pass_fd() counts it until written */
	l->accepted++;
	give_end(r, p->fd, p->peer);
	free(p);
}

/* Serve what waits on l, oldest first, while it can be served. */
static void serve(struct listener *l)
{
	struct req *a, *cn;
	int sv[2];

	for (;;) {
		a = TAILQ_FIRST(&l->acceptors);
		cn = TAILQ_FIRST(&l->connectors);
		if (a != NULL && l->npending > 0) {
			unpark(l, a);
			take_pending(l, a);
		} else if (a != NULL && cn != NULL) {
			unpark(l, cn);
			if (!make_pair(cn, sv, false))
				continue;
			unpark(l, a);
			connect_ends(l, a, cn, sv);
		} else if (cn != NULL && l->npending < (size_t)l->backlog) {
			unpark(l, cn);
			if (make_pair(cn, sv, true))
				connect_ends(l, NULL, cn, sv);
		} else {
			return;
		}
	}
}

static json_t *listener_row(void *o)
{
	struct listener *l = o;

	return json_pack("{s:s, s:I, s:s, s:I, s:I}", "name", l->name, "uid",
			 (json_int_t)l->uid, "mode", chan_mode_name(l->mode),
			 "backlog", (json_int_t)l->backlog, "pending",
			 (json_int_t)l->npending);
}

static const char *listener_name(void *o)
{
	return ((struct listener *)o)->name;
}

static void listener_create(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	const char *name;
	struct listener *l;
	enum chan_mode mode;

	if (!req_name_ok(r, in->name) || !chan_mode_parse(r, in->mode, &mode))
		return;
	name = json_string_value(in->name);
	if (hmap_get(&listeners, name) != NULL) {
		req_error(r, MPD_RPC_EXISTS, NULL,
			  "a listener named \"%s\" exists", name);
		return;
	}
	if (!broker_room(r, 1, 0))
		return;
	l = calloc(1, sizeof(*l));
	if (l == NULL || (l->name = strdup(name)) == NULL ||
	    (l->owner = conn_creds_json(r->conn)) == NULL ||
	    hmap_put(&listeners, l->name, l) == -1) {
		if (l != NULL) {
			json_decref(l->owner);
			free(l->name);
		}
		free(l);
		oom(r);
		return;
	}
	l->uid = r->conn->uid;
	l->gid = r->conn->gid;
	l->mode = mode;
	l->conn_id = r->conn->id;
	l->backlog = json_object_get(params, "backlog") != NULL ?
			     in->backlog :
			     LISTEN_DEFAULT_BACKLOG;
	l->created = now_wall();
	TAILQ_INIT(&l->pending);
	TAILQ_INIT(&l->acceptors);
	TAILQ_INIT(&l->connectors);
	broker.objects++;
	broker.listeners++;
	events_emit_chan("listener", l->name, "created", l->uid, l->gid,
			 l->mode);
	req_result(r, listener_row(l));
}

/* Is r's peer the owner's uid (or root)? Answers r if not. */
static bool owner_only(struct req *r, const struct listener *l,
		       const char *what)
{
	if (req_may_access(r, l->uid))
		return true;
	req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
		  "only uid %ld may %s listener \"%s\"", (long)l->uid, what,
		  l->name);
	return false;
}

static bool may_connect(struct req *r, const struct listener *l)
{
	if (chan_may(r->conn, l->uid, l->gid, l->mode))
		return true;
	req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
		  "listener \"%s\" belongs to uid %ld and is not shared "
		  "with uid %ld",
		  l->name, (long)l->uid, (long)r->conn->uid);
	return false;
}

static void listener_accept(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct listener *l = in->l;

	if (!owner_only(r, l, "accept on"))
		return;
	if (l->npending > 0) {
		take_pending(l, r);
		serve(l); /* room for a waiting connector */
	} else if (l->nconnectors > 0) {
		/* Parked, then served with the connectors. */
		park(l, r, &l->acceptors, in->timeout);
		serve(l);
	} else if (in->timeout == 0) {
		req_error(r, MPD_RPC_EMPTY,
			  json_pack("{s:s}", "reason", "timeout"),
			  "no connection to listener \"%s\" is waiting",
			  l->name);
	} else {
		park(l, r, &l->acceptors, in->timeout);
	}
}

static void listener_connect(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct listener *l = in->l;
	struct req *a;
	int sv[2];

	if (!may_connect(r, l))
		return;
	if ((a = TAILQ_FIRST(&l->acceptors)) != NULL) {
		if (!make_pair(r, sv, false))
			return; /* the acceptor waits on */
		unpark(l, a);
		connect_ends(l, a, r, sv);
	} else if (l->npending < (size_t)l->backlog && l->nconnectors == 0) {
		if (make_pair(r, sv, true))
			connect_ends(l, NULL, r, sv);
	} else if (in->timeout == 0) {
		req_error(r, MPD_RPC_FULL,
			  json_pack("{s:s}", "reason", "backlog"),
			  "listener \"%s\" has no room (backlog %lld, none "
			  "accepting)",
			  l->name, (long long)l->backlog);
	} else {
		park(l, r, &l->connectors, in->timeout);
	}
}

static void listener_info(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;
	struct listener *l = in->l;
	json_t *res;

	if (!may_connect(r, l))
		return;
	res = listener_row(l);
	if (res == NULL ||
	    json_object_update_new(
		    res, json_pack("{s:I, s:I, s:I, s:I, s:O, s:f}", "gid",
				   (json_int_t)l->gid, "acceptors",
				   (json_int_t)l->nacceptors, "connectors",
				   (json_int_t)l->nconnectors, "accepted",
				   (json_int_t)l->accepted, "owner", l->owner,
				   "since", l->created)) == -1) {
		json_decref(res);
		oom(r);
		return;
	}
	req_result(r, res);
}

/* Remove l: pending ends closed, everything parked told why. */
static void listener_free(struct listener *l, const char *why)
{
	struct lpending *p;
	struct req *r;

	while ((p = TAILQ_FIRST(&l->pending)) != NULL) {
		TAILQ_REMOVE(&l->pending, p, entry);
		close(p->fd);
		chan_fds_add(p->uid, -1);
		json_decref(p->peer);
		free(p);
	}
	while ((r = TAILQ_FIRST(&l->acceptors)) != NULL ||
	       (r = TAILQ_FIRST(&l->connectors)) != NULL) {
		unpark(l, r);
		req_error(r, MPD_RPC_CLOSED, NULL, "listener \"%s\" %s",
			  l->name, why);
	}
	events_emit_chan("listener", l->name, "closed", l->uid, l->gid,
			 l->mode);
	hmap_del(&listeners, l->name);
	broker.objects--;
	broker.listeners--;
	json_decref(l->owner);
	free(l->name);
	free(l);
}

static void listener_close(struct req *r, json_t *params, void *args)
{
	struct largs *in = args;

	if (!owner_only(r, in->l, "close"))
		return;
	listener_free(in->l, "was closed");
	req_result(r, json_object());
}

static void listener_list(struct req *r, json_t *params, void *args)
{
	void **all = hmap_values(&listeners);
	size_t n = 0;

	if (all == NULL && listeners.n > 0) {
		oom(r);
		return;
	}
	/* Only those the caller may connect to. */
	for (size_t i = 0; i < listeners.n; i++) {
		struct listener *l = all[i];

		if (chan_may(r->conn, l->uid, l->gid, l->mode))
			all[n++] = l;
	}
	broker_reply_list(r, "listeners", all, n, listener_row, listener_name);
}

/* The listeners c created go away with it. */
void listener_conn_closed(struct conn *c)
{
	void **all;

	if (listeners.n == 0)
		return;
	all = hmap_values(&listeners);
	if (all == NULL) {
		log_warnx("%s: out of memory", __func__);
		return;
	}
	for (size_t i = 0, n = listeners.n; i < n; i++) {
		struct listener *l = all[i];

		if (l->conn_id == c->id)
			listener_free(l, "went away with its connection");
	}
	free(all);
}

void listener_shutdown(void)
{
	void **all = hmap_values(&listeners);

	for (size_t i = 0, n = listeners.n; all != NULL && i < n; i++)
		listener_free(all[i], "was shut down");
	free(all);
	hmap_free(&listeners);
}

#define ROW(M, fn, params, flags)                                    \
	{                                                            \
		MPD_METHOD_##M, fn, params, &listener_target, flags, \
			sizeof(struct largs)                         \
	}

const struct method listener_methods[] = {
	ROW(LISTENER_ACCEPT, listener_accept, wait_params, METHOD_TAKES),
	ROW(LISTENER_CLOSE, listener_close, name_params, 0),
	ROW(LISTENER_CONNECT, listener_connect, wait_params, METHOD_TAKES),
	{ MPD_METHOD_LISTENER_CREATE, listener_create, create_params, NULL, 0,
	  sizeof(struct largs) },
	ROW(LISTENER_INFO, listener_info, name_params, 0),
	{ MPD_METHOD_LISTENER_LIST, listener_list, no_params, NULL, 0, 0 },
	{ 0 },
};
