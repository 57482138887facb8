/*
 * mpdd.h - the daemon's one internal header.
 *
 * mpdd is a libevent loop serving JSON-RPC 2.0 over a Unix socket. This
 * header holds the shared state (struct mpdd_state), the connection and
 * request types, and the prototypes of every daemon file, grouped by file
 * as in tmux.h.
 */
#ifndef MPDD_H
#define MPDD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <stdio.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "channel.h"
#include "fdio.h"
#include "log.h"
#include "proto.h"

#define MPD_DEFAULT_POOL 0 /* children kept forked ahead (--pool) */
/* Microseconds mpdd polls for a lone client's next request (--spin-usec). */
#define MPD_DEFAULT_SPIN_USEC 50
#define MPD_MAX_SPIN_USEC     10000

struct conn;
struct req;
struct batch;
struct pwatch;

/* Options, filled by main.c before anything starts. */
struct mpdd_options {
	char socket_path[108]; /* sizeof(sun_path) */
	bool socket_given; /* --socket or the file named it */
	int socket_mode; /* the socket's mode bits */
	bool socket_group; /* chown the socket to socket_gid */
	gid_t socket_gid;
	int ready_fd; /* -1, or an fd to write "READY\n" to */
	size_t max_message;
	unsigned max_connections;
	size_t max_output;
	int log_level;
	unsigned max_processes; /* starting or running at once */
	unsigned max_exited; /* ended records kept */
	unsigned max_created; /* records created, not started */
	unsigned max_created_per_uid;
	uint64_t max_created_bytes; /* what those records hold */
	uint64_t max_created_bytes_per_uid;
	size_t capture_size; /* the output ring of a process that captures */
	uint64_t max_capture_bytes; /* what those rings reserve, in all */
	double kill_grace; /* seconds from SIGTERM to SIGKILL */
	unsigned pool; /* children the template keeps forked ahead */
	unsigned spin_usec; /* poll for a lone client's next request */
	size_t max_objects; /* queues, values and arrays */
	size_t max_queue_items; /* items in one queue */
	uint64_t max_broker_bytes; /* bytes the broker holds */
	unsigned max_connections_per_uid;
	bool shutdown_leave; /* leave non-daemonic workers running at stop */
	char *preload[64]; /* --preload PATH[:INIT] */
	int npreload;
};

/* The daemon's state: one instance, global (as tmux's server is). */
struct mpdd_state {
	struct event_base *base;
	struct mpdd_options opt;
	struct timespec started_mono;
	time_t started_wall;
	unsigned nconns;
	uint64_t reads; /* client reads so far (a spin watches it) */
	struct conn *reader; /* the connection that read last, or NULL */
	struct timeval reader_since; /* ... and every time since then */
	unsigned parked; /* parked requests, all connections */
	uint64_t next_conn_id;
	TAILQ_HEAD(conn_list, conn) conns; /* oldest first */
	bool stopping;
	int64_t next_proc_id;
	/* Descriptors: the soft limit (raised to the hard one at start),
	 * the one mpdd was started with (the template and workers get it
	 * back), what start-up left open, and what processes hold
	 * (pidfds, report pipes, passed stdio). */
	size_t fd_limit;
	size_t fd_limit_orig;
	size_t fd_base;
	size_t fd_procs;
	size_t fd_chan; /* held by listeners' backlogs and shared memory */
};

extern struct mpdd_state mpdd;

/* server.c */
int server_claim(const char *path) __attribute__((nonnull));
int server_listen(const char *path) __attribute__((nonnull));
void server_start(int fd);
void server_stop(void);
void server_resume_accept(void);

/* conn.c */

/*
 * Something a reply carries that must be given back if the reply is never
 * delivered: queue items taken for it. A hold rides with its reply (in a
 * batch until the batch goes out, then in the connection's output) and is
 * released once: delivered when the socket has taken the reply's last
 * byte, undelivered when the reply is dropped (its connection died, a
 * write failed, the output was discarded, the batch was cancelled).
 * Undelivered holds are released newest first, so items that go back to
 * the head of a queue keep their order.
 */
struct hold {
	TAILQ_ENTRY(hold) entry;
	uint64_t end; /* output stream offset just past its reply */
	void (*release)(struct hold *h, bool delivered); /* frees h */
};
TAILQ_HEAD(hold_list, hold);
void hold_release_all(struct hold_list *l, bool delivered);

/*
 * Descriptors a reply passes to its client (listener ends, shared memory):
 * sent as SCM_RIGHTS on the sendmsg() that carries the first bytes of
 * their line, and only bytes of that line, so the client's fdq gives them
 * to it. Owned: closed once sent, or when the reply is dropped.
 */
struct out_fds {
	TAILQ_ENTRY(out_fds) entry;
	uint64_t start, end; /* the stream offsets of their line */
	uid_t uid; /* whose share they count in (chan_fds_add()) */
	int n;
	int fds[MPD_MAX_FDS_PER_MESSAGE];
};
TAILQ_HEAD(out_fds_list, out_fds);
struct out_fds *out_fds_new(void);
void out_fds_free(struct out_fds *of);

struct conn {
	TAILQ_ENTRY(conn) entry;
	uint64_t id;
	int fd;
	pid_t pid; /* peer credentials, read at accept */
	uid_t uid;
	gid_t gid;
	gid_t groups[MPD_MAX_GROUPS]; /* supplementary groups */
	int ngroups;
	struct event *ev_read;
	struct event *ev_write;
	struct evbuffer *out;
	struct mpd_framer in;
	struct fdq fdq; /* descriptors received, waiting for their line */
	int line_fds[MPD_MAX_FDS_PER_MESSAGE]; /* the current line's */
	int line_nfds; /* a handler that keeps them sets this to 0 */
	int64_t proc_id; /* the worker this peer is, or 0 */
	TAILQ_HEAD(req_list, req) parked;
	unsigned nparked;
	bool closing; /* flush the output, then close */
	bool dead; /* drop the output and close */
	bool backlog; /* complete lines left for the next turn */
	bool eof; /* the peer half-closed: serve what is parked, then close */
	bool want_room; /* a parked get waits for output room */
	uint64_t out_queued; /* output bytes ever queued ... */
	uint64_t out_written; /* ... and written to the socket */
	struct hold_list holds; /* of replies in out, oldest first */
	struct out_fds_list out_fds; /* to send with replies in out */
	struct esubs *events; /* its subscriptions (events.c), or NULL */
};
struct conn *conn_new(int fd);
void conn_close(struct conn *c);
void conn_close_all(void);
void conn_send(struct conn *c, const json_t *msg);
void conn_send_held(struct conn *c, const json_t *msg, struct hold_list *holds);
void conn_send_line(struct conn *c, char *line, size_t len,
		    struct hold_list *holds);
void conn_send_line_fds(struct conn *c, char *line, size_t len,
			struct hold_list *holds, struct out_fds *fds);
void conn_send_fds(struct conn *c, const json_t *msg, struct hold_list *holds,
		   struct out_fds *fds);
void conn_finish(struct conn *c);
void conn_kill(struct conn *c);
size_t conn_room(const struct conn *c);
void conn_parked_done(struct conn *c);

/* dispatch.c */

/*
 * One request being answered. A handler either answers before it returns
 * (req_result/req_error) or parks the request (req_park) and answers it
 * later: when what it waits for happens (the owner wakes it by answering
 * it), when its timeout passes (expire), or never, when its connection
 * closes first (cancel, and then it is freed).
 */
struct req {
	TAILQ_ENTRY(req) entry; /* on conn->parked while parked */
	TAILQ_ENTRY(req) wait_entry; /* on *waitq while parked on one */
	struct req_list *waitq; /* the waiters it is one of, or NULL */
	struct conn *conn;
	json_t *id; /* owned; NULL for a notification */
	struct batch *batch; /* NULL unless part of a batch */
	void (*cancel)(struct req *); /* its connection closed */
	void (*expire)(struct req *); /* its timeout passed: answer it */
	void *park_arg; /* for the owner's callbacks */
	struct event *timer; /* while parked with a timeout */
	struct hold *hold; /* given back unless the reply is delivered */
	struct out_fds *fds; /* passed with the reply, or NULL */
	bool parked;
};

/*
 * What a method acts on: an object its params name, found by the
 * dispatcher before the handler runs ("name", or with by_id exactly one
 * of "id" and "name"). A client gets not_found for none, and
 * permission_denied for one whose owner is another uid.
 */
struct target_type {
	const char *noun; /* in messages: "no queue named ..." */
	const struct hmap *map; /* the objects by name, or NULL: by_name */
	void *(*by_name)(const char *name);
	void *(*by_id)(int64_t id); /* NULL: by name only */
	/* obj's owner and the id it goes by; NULL: every client's */
	uid_t (*owner)(const void *obj, int64_t *id);
	bool bounded_name; /* "name" is at most MPD_MAX_NAME bytes */
};

/* A handler: params were checked against the row's spec and its fields
 * extracted into args (the row's args struct); a row with a target type
 * has the target it resolved as its args' first member. */
typedef void (*method_fn)(struct req *r, json_t *params, void *args);

#define METHOD_TAKES 0x1u /* takes from the broker: never a notification */

/* One method as its noun file implements it; a row whose handler is NULL
 * ends a noun's list. */
struct method {
	enum mpd_method id;
	method_fn handler;
	const struct mpd_param *params; /* NULL-named row ends it */
	const struct target_type *target; /* NULL: none */
	unsigned flags; /* METHOD_* */
	size_t args_size; /* of the struct its params are extracted into */
};

/* The largest args struct a method may have. */
#define METHOD_ARGS_MAX 256

extern const struct mpd_param no_params[];

/* The nouns' rows, collected by dispatch.c. */
extern const struct method daemon_methods[], dict_methods[], events_methods[],
	list_methods[], listener_methods[], pool_methods[], process_methods[],
	queue_methods[], shm_methods[], sync_methods[], value_methods[];

/*
 * Param rows. ARG() and its kin are extracted into member m of the
 * method's args struct S, where its handler reads them: any field as its
 * JSON (NULL: absent), a new object's name (as JSON, for req_name_ok()),
 * a wait's timeout in seconds (-1: none given), an id (from min up), an
 * index Python-style (as JSON). PARAM_NAME only names a target;
 * PARAMS_END ends a spec.
 */
#define ARG(key, type, flags, S, m)                                      \
	{                                                                \
		key, type, (flags) | MPD_PF_OUT, 0, 0, offsetof(S, m), 0 \
	}
#define ARG_DEFAULT(key, type, dflt, S, m)                        \
	{                                                         \
		key, type, MPD_PF_OUT, 0, 0, offsetof(S, m), dflt \
	}
#define ARG_RANGE(key, type, flags, lo, hi, S, m)                       \
	{                                                               \
		key, type, (flags) | MPD_PF_RANGE | MPD_PF_OUT, lo, hi, \
			offsetof(S, m), 0                               \
	}
#define ARG_JSON(key, type, flags, S, m) \
	ARG(key, type, (flags) | MPD_PF_JSON, S, m)
#define ARG_NAME(S, m) \
	ARG_JSON("name", MPD_PT_STRING, MPD_PF_REQUIRED | MPD_PF_NONEMPTY, S, m)
#define ARG_TIMEOUT(S, m)                                               \
	{                                                               \
		"timeout", MPD_PT_NUMBER, MPD_PF_RANGE | MPD_PF_OUT, 0, \
			MPD_MAX_TIMEOUT, offsetof(S, m), -1             \
	}
#define ARG_ID(key, min, S, m) \
	ARG_RANGE(key, MPD_PT_INT, 0, min, MPD_MAX_ID, S, m)
#define ARG_INDEX(key, flags, S, m)                                    \
	ARG_RANGE(key, MPD_PT_INT, (flags) | MPD_PF_JSON, -MPD_MAX_ID, \
		  MPD_MAX_ID, S, m)
#define PARAM_NAME                                                           \
	{                                                                    \
		"name", MPD_PT_STRING, MPD_PF_REQUIRED | MPD_PF_NONEMPTY, 0, \
			0, 0, 0                                              \
	}
#define PARAMS_END                     \
	{                              \
		NULL, 0, 0, 0, 0, 0, 0 \
	}

void dispatch_line(struct conn *c, const char *line, size_t len);
void dispatch_error(struct conn *c, int code, const char *message);
void dispatch_check(void);
void *req_target(struct req *r, const struct target_type *t, json_t *params);
bool req_may_access(const struct req *r, uid_t owner);
void req_result(struct req *r, json_t *result);
void req_result_text(struct req *r, const char *json, size_t len);
int req_pass_fd(struct req *r, int fd);
void req_error(struct req *r, int code, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool req_name_ok(struct req *r, const json_t *name);
void req_bad_param(struct req *r, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int req_park(struct req *r, struct req_list *waitq,
	     void (*cancel)(struct req *), void (*expire)(struct req *),
	     void *arg, double timeout);
void req_unwait(struct req *r);
void req_repark(struct req *r, struct req_list *waitq);
struct timeval timeval_of(double seconds);
struct event *timer_after(double seconds, event_callback_fn cb, void *arg);
size_t req_room(const struct req *r);
size_t req_budget(const struct req *r);
void req_cancel_all(struct conn *c);

/* proctab.c: process records */
enum proc_state {
	PROC_CREATED = 0,
	PROC_STARTING,
	PROC_RUNNING,
	PROC_EXITED,
	PROC_FAILED,
};

struct proc {
	int64_t id;
	char *name;
	uid_t uid; /* owner: the creating client's credentials */
	gid_t gid;
	gid_t *groups;
	int ngroups;
	enum proc_state state;
	pid_t pid;
	int pidfd; /* -1 until running */
	int status; /* wait status, once exited */
	struct pstart *ps; /* spawner.c's state while starting */
	uint64_t conn_mark; /* the last connection made before its start */
	bool status_known;
	bool daemonic;
	bool ctty; /* stdin becomes its controlling terminal */
	bool kill_on_start; /* daemonic, and its connection closed early */
	int64_t parent; /* 0: none */
	struct conn *owner; /* creating connection, while it is open */
	bool spawn_method; /* start method "spawn" (else forkserver) */
	json_t *target; /* {"argv": [...]} or {"module", "function"} */
	json_t *args; /* function args (JSON null when none) */
	json_t *env; /* object of variables added, or NULL */
	bool env_clear;
	char *cwd;
	json_t *stdio; /* array of the three stream specs */
	int fds[3]; /* descriptors of "pass" streams, or -1 */
	/* The descriptors it is given (process.create "fds"), held until its
	 * start is settled, and their names (NULL: none). */
	json_t *fdnames;
	int *wfds;
	int nwfds;
	double created, started, ended;
	json_t *error; /* why the start failed */
	struct req *start_req;
	struct req_list joiners; /* parked process.join requests */
	/* The parked process.wait requests watching it (process.c). */
	TAILQ_HEAD(pwatch_list, pwatch) watchers;
	struct event *kill_timer;
	TAILQ_ENTRY(proc) ended_entry; /* on the retention list */
	uint64_t cost; /* bytes counted while not started */
	bool counted; /* in the created records' counts */
	struct capture *capture; /* its output ring, or NULL (capture.c) */
	struct pool *pool; /* the pool it works for, or NULL (taskpool.c) */
	void *pool_arg; /* the pool's: its worker or task */
};

uint64_t proctab_cost(const char *name, const char *cwd, const json_t *target,
		      const json_t *args, const json_t *env,
		      const json_t *stdio, const json_t *fdnames);
const char *proctab_created_limit(uid_t uid, uint64_t cost, uint64_t *max);
size_t proctab_created(uint64_t *bytes);
struct proc *proctab_new(const char *name, uid_t uid, gid_t gid, uint64_t cost);
void proctab_free(struct proc *p);
struct proc *proctab_by_id(int64_t id);
struct proc *proctab_by_name(const char *name);
struct proc *proctab_by_pid(pid_t pid);
size_t proctab_count(void);
size_t proctab_live(void);
size_t proctab_after(int64_t id);
struct proc *proctab_at(size_t i);
const char *proctab_state_name(enum proc_state s);
int proctab_state_parse(const char *name);
int proctab_record_text(const struct proc *p, bool details, size_t budget,
			char **text, size_t *len);
void proctab_starting(struct proc *p);
void proctab_started(struct proc *p, pid_t pid, int pidfd);
void proctab_failed(struct proc *p, const char *stage, int err,
		    const char *message);
bool proctab_exited(struct proc *p, int status, bool known);
void proctab_trim(void);
int proctab_signal(struct proc *p, int sig, bool group);
void proctab_conn_closed(struct conn *c);
int64_t proctab_peer(pid_t pid);
void proctab_shutdown(void);
size_t proctab_stop_all(bool all, size_t *killed);

/* What a record is made of (process_make()). */
struct proc_spec {
	const char *name; /* NULL: Process-ID */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
	uint64_t cost; /* counted while not started */
	json_t *target; /* taken */
	json_t *args, *env; /* referenced (may be NULL) */
	bool env_clear;
	const char *cwd; /* copied (may be NULL) */
	json_t *stdio; /* taken: the three stream specs */
	int fds[3]; /* taken: "pass" streams, or -1 */
	int *wfds; /* taken (malloc'd): the descriptors it is given */
	int nwfds;
	json_t *fdnames; /* referenced: their names */
	bool spawn; /* start method "spawn" */
	bool capture; /* a stream captures */
};

/* process.c: the process.* methods, and what the spawner reports about a
 * process: how its start went, and its end */
void process_started(struct proc *p, pid_t pid, int pidfd);
void process_start_failed(struct proc *p, const char *stage, int err,
			  const char *message);
void process_exited(struct proc *p, int status, bool known);
struct proc *process_make(const struct proc_spec *s);
int process_launch(struct proc *p);
int process_launch_error(struct req *r, const struct proc *p, int rc);
int process_stdio_check(int i, json_t *spec, json_t **out, char *why,
			size_t size);
bool process_check_env(struct req *r, json_t *env);
/* p's record is about to be freed: the waits watching it are answered. */
void process_forget(struct proc *p);

/* capture.c: the output rings of processes with "capture" streams */
struct capture_out {
	char *text; /* valid UTF-8, malloc'd */
	size_t len;
	uint64_t offset, next, dropped, end;
	bool ended;
};
bool capture_spec(const json_t *spec);
json_t *capture_template_stdio(const struct proc *p);
bool capture_room(uint64_t *max);
uint64_t capture_reserved(void);
int capture_new(struct proc *p, void (*wake)(struct proc *p));
int capture_open(struct proc *p);
void capture_abort(struct proc *p);
void capture_free(struct proc *p);
struct req_list *capture_waiters(struct proc *p);
int capture_text(const struct proc *p, int64_t after, size_t max, size_t budget,
		 struct capture_out *out);

/* spawner.c: the daemon's side of the template */
int spawner_init(const char *self_exe, char *const *preload, int npreload,
		 unsigned pool);
int spawner_prepare(struct proc *p);
bool spawner_fd_room(void);
bool spawner_start_room(const struct proc *p);
bool spawner_hold_room(size_t n);
void spawner_start_proc(struct proc *p);
void spawner_forget(struct proc *p);
bool spawner_signal(struct proc *p, int sig);
void spawner_sigchld(void);
void spawner_shutdown(void);
json_t *spawner_info(void);

/* hash.c */
struct hentry;
struct hmap {
	struct hentry **b;
	size_t nb, n;
};
void *hmap_get(const struct hmap *m, const char *key);
int hmap_put(struct hmap *m, const char *key, void *value);
void *hmap_del(struct hmap *m, const char *key);
void **hmap_values(const struct hmap *m);
void hmap_free(struct hmap *m);

/* broker.c: what the broker's objects share */
struct broker_stats {
	size_t objects;
	size_t queues, values, arrays, dicts, lists;
	size_t locks, semaphores, events, conditions, barriers;
	size_t listeners, shms;
	uint64_t shm_bytes; /* the sizes of the shared memory segments */
	uint64_t bytes;
};
extern struct broker_stats broker;
bool broker_room(struct req *r, size_t objects, uint64_t bytes);
void broker_bytes(int64_t delta);
bool broker_too_deep(struct req *r, const char *field, const json_t *v);
json_t *broker_info(void);
void broker_reply_list(struct req *r, const char *key, void **objs, size_t n,
		       json_t *(*row)(void *), const char *(*name)(void *));

/*
 * Who may use a listener or a shared memory segment: its owner's uid
 * (and root) only, also its group, or every client of the daemon.
 */
enum chan_mode { CHAN_OWNER, CHAN_GROUP, CHAN_EVERYONE };
bool chan_mode_parse(struct req *r, const char *text, enum chan_mode *mode);
const char *chan_mode_name(enum chan_mode mode);
bool chan_may(const struct conn *c, uid_t uid, gid_t gid, enum chan_mode mode);
bool chan_fd_room(struct req *r, size_t n);
void chan_fds_add(uid_t uid, long delta);
json_t *conn_creds_json(const struct conn *c);

/* list.c: shared lists */
void list_shutdown(void);

/* listener.c: rendezvous by name */
void listener_conn_closed(struct conn *c);
void listener_shutdown(void);

/* shm.c: shared memory segments */
void shm_conn_closed(struct conn *c);
void shm_shutdown(void);

/* queue.c: the queue.* methods */
void queue_shutdown(void);
void queue_conn_room(struct conn *c);

/* value.c: the value.* and array.* methods */
void value_shutdown(void);
uint64_t value_size(const json_t *v);

/* dict.c: the dict.* methods */
void dict_shutdown(void);

/* sync.c: locks, semaphores, events, conditions and barriers */
void sync_conn_closed(struct conn *c);
void sync_proc_exited(int64_t id);
void sync_shutdown(void);

/*
 * events.c: event subscriptions (events.subscribe). Every noun reports
 * what happens to its objects with one call; the calls cost one test
 * while nobody subscribes. An object's owner decides who is told: a
 * subscriber of that uid, or root; EVENTS_ANY_UID for an object every
 * client may reach (the broker's). kind is the noun ("queue", ...), event
 * what happened ("created", "deleted", "closed", ...).
 */
#define EVENTS_ANY_UID ((uid_t)-1)
extern unsigned events_subscribers; /* connections that subscribe */
void events_process(const struct proc *p, const char *event);
void events_object(const char *kind, const char *name, const char *event,
		   uid_t owner);
void events_abandoned(const char *kind, const char *name,
		      const struct conn *holder);
void events_chan(const char *kind, const char *name, const char *event,
		 uid_t uid, gid_t gid, enum chan_mode mode);
static inline void events_emit_process(const struct proc *p, const char *event)
{
	if (events_subscribers > 0)
		events_process(p, event);
}
static inline void events_emit_object(const char *kind, const char *name,
				      const char *event, uid_t owner)
{
	if (events_subscribers > 0)
		events_object(kind, name, event, owner);
}
/* An object with a mode (listeners, shared memory): seen by those
 * chan_may() lets reach it. */
static inline void events_emit_chan(const char *kind, const char *name,
				    const char *event, uid_t uid, gid_t gid,
				    enum chan_mode mode)
{
	if (events_subscribers > 0)
		events_chan(kind, name, event, uid, gid, mode);
}
/* A hold of holder on the lock or semaphore kind/name was released
 * because the holder went away (or its lease ran out). */
static inline void events_emit_abandoned(const char *kind, const char *name,
					 const struct conn *holder)
{
	if (events_subscribers > 0)
		events_abandoned(kind, name, holder);
}
void events_conn_closed(struct conn *c);
void events_conn_room(struct conn *c);

/* taskpool.c: pools of workers taking tasks (the pool.* methods) */
struct pool;
const char *pool_name(const struct pool *pl);
void pool_proc_started(struct proc *p);
void pool_proc_ended(struct proc *p);
void pool_conn_closed(struct conn *c);
void pool_shutdown(void);

/* options.c */
void options_parse(int argc, char **argv, struct mpdd_options *o,
		   void (*usage)(FILE *));
int options_reload(void);
void options_free(void);

/* notify.c: the systemd service protocol */
void sdnotify(const char *state);
int sdnotify_listen_fd(void);
void sdnotify_start(void);
void sdnotify_stop(void);

/* util.c */
double mono_since(const struct timespec *t);
double now_wall(void);
int parse_size(const char *s, size_t *out);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif /* MPDD_H */
