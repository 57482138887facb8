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
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "proto.h"

struct conn;
struct req;
struct batch;

/* Options, filled by main.c before anything starts. */
struct mpdd_options {
	char socket_path[108]; /* sizeof(sun_path) */
	int ready_fd; /* -1, or an fd to write "READY\n" to */
	size_t max_message;
	unsigned max_connections;
	size_t max_output;
	int log_level;
};

/* The daemon's state: one instance, global (as tmux's server is). */
struct mpdd_state {
	struct event_base *base;
	struct mpdd_options opt;
	struct timespec started_mono;
	time_t started_wall;
	unsigned nconns;
	uint64_t next_conn_id;
	TAILQ_HEAD(, conn) conns;
	bool stopping;
};

extern struct mpdd_state mpdd;

/* log.c */
enum {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};
void log_init(int level);
void log_set_level(int level);
int log_get_level(void);
int log_level_parse(const char *name);
const char *log_level_name(int level);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* server.c */
int server_listen(const char *path) __attribute__((nonnull));
void server_start(int fd);
void server_stop(void);
void server_resume_accept(void);

/* conn.c */
struct conn {
	TAILQ_ENTRY(conn) entry;
	uint64_t id;
	int fd;
	pid_t pid; /* peer credentials, read at accept */
	uid_t uid;
	gid_t gid;
	struct event *ev_read;
	struct event *ev_write;
	struct evbuffer *out;
	struct mpd_framer in;
	int fds[MPD_MAX_FDS_PER_MESSAGE]; /* received, not yet claimed */
	int nfds;
	TAILQ_HEAD(, req) parked;
	bool closing; /* flush the output, then close */
	bool dead; /* drop the output and close */
	bool backlog; /* complete lines left for the next turn */
};
struct conn *conn_new(int fd);
void conn_close(struct conn *c);
void conn_close_all(void);
void conn_send(struct conn *c, const json_t *msg);
void conn_finish(struct conn *c);

/* dispatch.c */

/*
 * One request being answered. A handler either answers before it returns
 * (req_result/req_error) or parks the request (req_park) and answers it
 * later; a parked request whose connection closes is cancelled through
 * its cancel callback and then freed.
 */
struct req {
	TAILQ_ENTRY(req) entry; /* on conn->parked while parked */
	struct conn *conn;
	json_t *id; /* owned; NULL for a notification */
	struct batch *batch; /* NULL unless part of a batch */
	void (*cancel)(struct req *);
	void *cancel_arg;
	bool parked;
};

typedef void (*method_fn)(struct req *, json_t *params);

struct method {
	const char *name;
	method_fn handler;
	const struct mpd_param *params; /* NULL-named row ends it */
};

void dispatch_line(struct conn *c, const char *line, size_t len);
void dispatch_error(struct conn *c, int code, const char *message);
const struct method *dispatch_find(const char *name);
void req_result(struct req *r, json_t *result);
void req_error(struct req *r, int code, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void req_park(struct req *r, void (*cancel)(struct req *), void *arg);
void req_cancel_all(struct conn *c);

/* daemon.c: the daemon.* methods */
extern const struct mpd_param daemon_ping_params[];
extern const struct mpd_param daemon_info_params[];
void daemon_ping(struct req *r, json_t *params);
void daemon_info(struct req *r, json_t *params);

/* util.c */
double mono_since(const struct timespec *t);
int parse_size(const char *s, size_t *out);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);

#endif /* MPDD_H */
