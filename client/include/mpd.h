/*
 * mpd.h - libmpd, the C client library of mpdd.
 *
 * This is the only header libmpd installs. It talks to mpdd over its Unix
 * socket with JSON-RPC 2.0, one JSON text per line. Most calls are
 * synchronous: a call sends one request and blocks until its response
 * arrives; mpd_call_async() and mpd_dispatch() serve an event loop
 * instead. Pipes (mpd_pipe()) and the descriptors listeners and shared
 * memory hand out do not go through mpdd at all. Payloads are jansson
 * values.
 *
 * Conventions, for every function below:
 *  - Functions return 0 (or a documented non-negative value) on success and
 *    a negative MPD_E_* code on failure. They never print and never abort.
 *  - Every function that can fail in more than one way takes an optional
 *    struct mpd_error *err (may be NULL), filled on failure only.
 *  - Out-parameters are written only on success.
 *  - json_t * arguments are BORROWED: the caller keeps its reference.
 *    json_t ** out-parameters receive a NEW reference the caller must
 *    json_decref(). The one exception is mpd_error.data, borrowed from the
 *    client (see there).
 *
 * Threads: a struct mpd_client must be used by one thread at a time (it
 * holds the connection, its read buffer and the last error's data). Distinct
 * clients in distinct threads are independent; there is no global state.
 * mpd_version(), mpd_strerror() and mpd_err_name() are thread-safe.
 */
#ifndef MPD_H
#define MPD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MPD_EXPORT __attribute__((visibility("default")))
#else
#define MPD_EXPORT
#endif

/* The version of this header. mpd_version() gives the library's. */
#define MPD_VERSION_MAJOR  0
#define MPD_VERSION_MINOR  1
#define MPD_VERSION_PATCH  0
#define MPD_VERSION_STRING "0.1.0"
#define MPD_VERSION_NUMBER                                      \
	((MPD_VERSION_MAJOR << 16) | (MPD_VERSION_MINOR << 8) | \
	 MPD_VERSION_PATCH)

/* The library's version string ("0.1.0"); static, never NULL. */
MPD_EXPORT const char *mpd_version(void);

/*
 * Error codes: X(NAME, code, "wire_name", "message").
 *
 * The JSON-RPC 2.0 codes keep their values. mpdd's application errors,
 * which the daemon sends as small positive codes with a stable name in
 * error.data.name, are -N here. The codes from -100 to -199 are the
 * library's own and never travel on the wire.
 */
#define MPD_ERRNO_MAP(X)                                                     \
	X(PARSE_ERROR, -32700, "parse_error", "parse error")                 \
	X(INVALID_REQUEST, -32600, "invalid_request", "invalid request")     \
	X(METHOD_NOT_FOUND, -32601, "method_not_found", "method not found")  \
	X(INVALID_PARAMS, -32602, "invalid_params", "invalid params")        \
	X(INTERNAL_ERROR, -32603, "internal_error", "internal error")        \
	X(NOT_FOUND, -1, "not_found", "no such object")                      \
	X(EXISTS, -2, "exists", "object already exists")                     \
	X(INVALID_STATE, -3, "invalid_state", "invalid state for operation") \
	X(PERMISSION_DENIED, -4, "permission_denied", "permission denied")   \
	X(EMPTY, -5, "empty", "empty")                                       \
	X(FULL, -6, "full", "full")                                          \
	X(CLOSED, -7, "closed", "closed")                                    \
	X(SPAWN_FAILED, -8, "spawn_failed", "process could not be started")  \
	X(LIMIT, -9, "limit", "limit reached")                               \
	X(BROKEN, -10, "broken", "barrier broken")                           \
	X(TASK_FAILED, -11, "task_failed", "task failed")                    \
	X(WORKER_DIED, -12, "worker_died", "worker died")                    \
	X(TERMINATED, -13, "terminated", "pool terminated")                  \
	X(TASK_TIMEOUT, -14, "timeout", "task timed out")                    \
	X(NOMEM, -101, "nomem", "out of memory")                             \
	X(INVAL, -102, "inval", "invalid argument")                          \
	X(CONNECT, -103, "connect", "cannot connect to mpdd")                \
	X(IO, -104, "io", "connection to mpdd failed")                       \
	X(PROTO, -105, "proto", "invalid response from mpdd")                \
	X(TOOBIG, -106, "toobig", "response from mpdd too large")            \
	X(REMOTE, -107, "remote", "error unknown to this library")           \
	X(TIMEOUT, -108, "timeout", "timed out")

/*
 * MPD_E_REMOTE: the daemon answered with an error code this library does
 * not know (a newer daemon); mpd_error.name and .message hold what the
 * daemon sent.
 */
enum mpd_errno {
#define MPD_ERRNO_ENUM_(name, code, wire, msg) MPD_E_##name = (code),
	MPD_ERRNO_MAP(MPD_ERRNO_ENUM_)
#undef MPD_ERRNO_ENUM_
};

/* Message for an error code; "unknown error" for codes not in the map.
 * Static, never NULL. */
MPD_EXPORT const char *mpd_strerror(int code);
/* Name of an error code ("method_not_found"); "unknown" for codes not in
 * the map. Static, never NULL. */
MPD_EXPORT const char *mpd_err_name(int code);

/*
 * Details of a failure.
 *
 * code:      the negative MPD_E_* code the function returned.
 * name:      for daemon errors the daemon's error.data.name
 *            ("invalid_params"), else mpd_err_name(code). Truncated to fit.
 * message:   for daemon errors the daemon's error.message; for library
 *            errors a sentence naming what failed (the socket path, the
 *            system error). Truncated to fit, always NUL-terminated.
 * sys_errno: the errno behind MPD_E_CONNECT, MPD_E_IO and MPD_E_NOMEM,
 *            else 0.
 * data:      the daemon's error.data (its fields such as "field" or
 *            "errno"), BORROWED from the client: valid until the next call
 *            on that client or mpd_close(). NULL when there is none.
 */
struct mpd_error {
	int code;
	char name[32];
	char message[256];
	int sys_errno;
	const json_t *data;
};

/* A connection to mpdd. Opaque; one thread at a time. */
struct mpd_client;

/*
 * Connect to mpdd at path, or with path NULL at the default socket:
 * $MPD_SOCKET if set and non-empty, else /run/mpdd/mpdd.sock for root, else
 * $XDG_RUNTIME_DIR/mpdd/mpdd.sock.
 *
 * Returns 0 and sets *out to a new client (free it with mpd_close()), or
 * MPD_E_INVAL (out NULL, path empty or too long for a Unix socket),
 * MPD_E_CONNECT (no default path applies, or connect() failed: the message
 * names the path tried and the system error), MPD_E_NOMEM.
 */
MPD_EXPORT int mpd_connect(struct mpd_client **out, const char *path,
			   struct mpd_error *err);

/* Close the connection and free the client. NULL is a no-op. */
MPD_EXPORT void mpd_close(struct mpd_client *c);

/* The socket path the client is connected to; borrowed, valid until
 * mpd_close(). NULL when c is NULL. */
MPD_EXPORT const char *mpd_client_socket(const struct mpd_client *c);

/*
 * The client's socket descriptor, for callers that poll() for readability
 * (daemon notifications) before making a call. It stays owned by the
 * client: never read, write or close it. The library may already have
 * buffered bytes read from it, so readability is a hint, not a promise.
 * Returns the fd (>= 0), or MPD_E_INVAL when c is NULL.
 */
MPD_EXPORT int mpd_client_fd(const struct mpd_client *c);

/*
 * Call method with params and wait for its response.
 *
 * params: BORROWED; an object or an array, or NULL to send none.
 * result: on success receives a NEW reference to the response's result
 *         (caller json_decref()s it); may be NULL to discard the result.
 *
 * Returns 0, or:
 *  - the daemon's error mapped to MPD_E_* (MPD_E_METHOD_NOT_FOUND,
 *    MPD_E_INVALID_PARAMS, MPD_E_NOT_FOUND, ...; MPD_E_REMOTE for a code
 *    this library does not know), with err->name and err->message taken
 *    from the daemon and err->data borrowed from the client;
 *  - MPD_E_INVAL (c or method NULL, method empty, params neither object
 *    nor array, params nested so deep that the request would pass the
 *    2048 levels mpdd reads), MPD_E_NOMEM;
 *  - MPD_E_IO (send or receive failed, or mpdd closed the connection),
 *    MPD_E_PROTO (mpdd sent something that is not our response),
 *    MPD_E_TOOBIG (a response longer than the client's limit).
 * After MPD_E_IO, MPD_E_PROTO or MPD_E_TOOBIG the connection is out of step
 * and the client is broken: every later call fails with MPD_E_IO. Close
 * it and connect again. Events that arrive while waiting are kept for
 * mpd_next_event() (see "Event subscriptions"); responses to asynchronous
 * calls run their callbacks.
 */
MPD_EXPORT int mpd_call(struct mpd_client *c, const char *method,
			json_t *params, json_t **result, struct mpd_error *err);

/*
 * The whole result of the last request on c that the daemon answered with
 * success: BORROWED, valid until the next call on c or mpd_close(). Read
 * it after a call that returned 0: for the typed functions below it holds
 * every member of the daemon's result, including those they do not hand
 * back (mpd-cli --json prints it so); for a function that makes several
 * requests (mpd_run, mpd_process_list, mpd_process_lookup,
 * mpd_condition_wait_for) it is the last one's. Every request sent clears it first, so after a daemon error it is
 * NULL; a typed function that refuses its arguments before sending
 * (MPD_E_INVAL) leaves it as it was. NULL when c is NULL or before the
 * first answer. The calls keep the response's text and this parses it
 * at the first use, so it costs nothing to calls that do not use it; it
 * is a copy of what they return (theirs are the caller's alone).
 */
MPD_EXPORT const json_t *mpd_last_result(struct mpd_client *c);

/* daemon.ping: returns 0 if the daemon answered, else as mpd_call(). */
MPD_EXPORT int mpd_ping(struct mpd_client *c, struct mpd_error *err);

/*
 * daemon.info: on success *info receives a NEW reference to the info
 * object (version, protocol, pid, uid, uptime, started, cpus, connections,
 * socket, limits {max_message, max_connections, max_output}). Returns 0, or
 * as mpd_call(); MPD_E_INVAL when info is NULL, MPD_E_PROTO when the
 * result is not an object (the client stays usable then).
 */
/* What a daemon that does not report limits.max_message (the longest
 * line it reads) and limits.max_output (the most reply bytes it holds
 * for one connection) uses: the defaults, in bytes. */
#define MPD_DAEMON_DEFAULT_MAX_MESSAGE (1024 * 1024)
#define MPD_DAEMON_DEFAULT_MAX_OUTPUT  (8 * 1024 * 1024)
MPD_EXPORT int mpd_daemon_info(struct mpd_client *c, json_t **info,
			       struct mpd_error *err);

/*
 * mpd_call() with file descriptors: fds (nfds of them, at most 16) travel
 * as SCM_RIGHTS with the request, for params that take them (a "pass"
 * stdio stream of process.create). The descriptors stay the caller's: the
 * daemon receives duplicates. Returns as mpd_call(); MPD_E_INVAL (nothing
 * sent, the client stays usable) when nfds is over 16, fds is NULL with
 * nfds > 0, or one of the descriptors is not open.
 */
MPD_EXPORT int mpd_call_fds(struct mpd_client *c, const char *method,
			    json_t *params, const int *fds, size_t nfds,
			    json_t **result, struct mpd_error *err);
/*
 * A descriptor the last reply passed (a listener's end, a shared memory
 * segment): the reply names it by index ("fd": 0). The caller owns what
 * it takes and closes it; descriptors not taken are closed at the next
 * call on c. Returns the descriptor, MPD_E_INVAL for a NULL c, or
 * MPD_E_PROTO when the last reply carried none at index (or it was
 * taken).
 */
MPD_EXPORT int mpd_take_fd(struct mpd_client *c, int index);

/*
 * Processes (docs/protocol.md, "Processes").
 *
 * A process is addressed by its id (int64_t, >= 1; a smaller id is
 * MPD_E_INVAL, not sent). The record functions return the daemon's process
 * record as a NEW reference in *record (may be NULL to discard): an object
 * with id, name, state, pid, exitcode, signal, core_dumped, daemon, parent,
 * uid, start_method, target, created, started, ended, error. A result that
 * is not an object is MPD_E_PROTO (the client stays usable).
 */

/* How one stdio stream of a new process is set up. */
enum mpd_stdio_mode {
	MPD_STDIO_DEFAULT = 0, /* stdin: null; stdout, stderr: inherit */
	MPD_STDIO_NULL, /* /dev/null */
	MPD_STDIO_INHERIT, /* the daemon's own */
	MPD_STDIO_FILE, /* path, opened by the worker */
	MPD_STDIO_PASS, /* fd, sent to the daemon with the request */
	MPD_STDIO_CAPTURE, /* kept by the daemon: mpd_process_output() */
};

struct mpd_stdio {
	enum mpd_stdio_mode mode;
	const char *path; /* MPD_STDIO_FILE */
	int append; /* MPD_STDIO_FILE: append instead of truncate */
	int fd; /* MPD_STDIO_PASS: the caller's descriptor */
};

/*
 * Options of mpd_process_create(). Zero-initialise, then set what you
 * need; every pointer is BORROWED for the duration of the call. Exactly
 * one target: argv, or module and function.
 */
struct mpd_process_options {
	const char *name; /* NULL: Process-<id> */
	const char *const *argv; /* NULL-terminated; argv[0] searched in PATH */
	const char *module; /* shared object with the function */
	const char *function; /* int fn(mpd_worker *w, const json_t *args) */
	json_t *args; /* passed to function; NULL: null */
	const char *const *env; /* "KEY=VALUE" strings, NULL-terminated */
	int env_clear; /* start from an empty environment */
	const char *cwd; /* NULL: the daemon's */
	struct mpd_stdio stdio[3]; /* stdin, stdout, stderr */
	int daemon; /* terminate when this connection closes */
	const char *start_method; /* NULL: "forkserver"; or "spawn" */
	int start; /* start at once */
	int ctty; /* stdin (a terminal) becomes its controlling terminal */
	/* Descriptors the worker is given (see "Descriptors for workers"):
	 * fds[i] (the caller's, sent with the request) under fd_names[i],
	 * nfds of them. */
	const char *const *fd_names;
	const int *fds;
	size_t nfds;
};

/*
 * process.create: returns 0 with the record in *record (may be NULL), or
 * as mpd_call(). MPD_E_INVAL, before anything is sent, for: opts NULL; not
 * exactly one target (argv, or module with function); an empty argv; args
 * without function; an env string without '=' or with an empty key; a
 * MPD_STDIO_FILE stream without path; a MPD_STDIO_PASS stream whose fd is
 * not open; an unknown stdio mode; a string that is not UTF-8; nfds > 0
 * with fd_names or fds NULL, a bad or repeated name, a descriptor that is
 * not open, or more than 16 descriptors with those of the "pass" streams.
 * Only the options that differ from the defaults are sent.
 */
MPD_EXPORT int mpd_process_create(struct mpd_client *c,
				  const struct mpd_process_options *opts,
				  json_t **record, struct mpd_error *err);
/* process.start: returns 0 with the record (state "running"), or
 * MPD_E_SPAWN_FAILED (err->data has stage, errno, message), ... */
MPD_EXPORT int mpd_process_start(struct mpd_client *c, int64_t id,
				 json_t **record, struct mpd_error *err);
/* process.join: waits at most timeout seconds (timeout < 0 or infinite: as
 * long as the process runs; NaN: MPD_E_INVAL). Returns 0 with the record;
 * its "exitcode" is null when the timeout passed first. */
MPD_EXPORT int mpd_process_join(struct mpd_client *c, int64_t id,
				double timeout, json_t **record,
				struct mpd_error *err);
/*
 * process.wait: waits until any (all == 0) or every (all != 0) one of the
 * n processes ids[0..n-1] has ended, at most timeout seconds (timeout < 0
 * or infinite: as long as it takes; 0: do not wait; NaN: MPD_E_INVAL). n
 * is 1 to 1024 (the daemon refuses more with MPD_E_INVALID_PARAMS); an id
 * given twice is reported once. Returns 0 with *done, a NEW reference to
 * the array of the records of those that have ended (as
 * mpd_process_join() gives them), and *pending, a NEW reference to the
 * array of the ids (integers) of the others, both in the order of ids;
 * either may be NULL to discard it. A timeout that passes first is no
 * error: *pending is then not empty (and for "any", *done is empty).
 * Else MPD_E_INVAL (ids NULL, n 0, an id < 1), MPD_E_NOT_FOUND,
 * MPD_E_PERMISSION_DENIED, MPD_E_INVALID_STATE (a process never started),
 * with err->data naming the entry ("index", "id"); or as mpd_call().
 */
MPD_EXPORT int mpd_process_wait(struct mpd_client *c, const int64_t *ids,
				size_t n, int all, double timeout,
				json_t **done, json_t **pending,
				struct mpd_error *err);
/* process.terminate / process.kill: SIGTERM / SIGKILL to the process
 * group. Returns 0, or as mpd_call(). */
MPD_EXPORT int mpd_process_terminate(struct mpd_client *c, int64_t id,
				     struct mpd_error *err);
MPD_EXPORT int mpd_process_kill(struct mpd_client *c, int64_t id,
				struct mpd_error *err);
/* process.signal: signal sig (a number) to the process group, or with
 * group 0 to the process alone. */
MPD_EXPORT int mpd_process_signal(struct mpd_client *c, int64_t id, int sig,
				  int group, struct mpd_error *err);
/* process.signal with the signal by name, as the protocol takes it
 * ("SIGUSR1", "USR1", "SIGRTMIN+2"; the daemon checks it). */
MPD_EXPORT int mpd_process_signal_name(struct mpd_client *c, int64_t id,
				       const char *sig, int group,
				       struct mpd_error *err);
/*
 * For a caller that must signal a process from a signal handler (mpd-cli
 * run passes on the SIGINT it gets so): formats into buf, ahead of time,
 * one line of process.signal to process id's group as a notification (a
 * request without id, which mpdd answers with nothing), for the handler
 * to write with send(2), which is async-signal-safe, on the client's
 * socket (mpd_client_fd()) or any other connection to mpdd. Returns the
 * line's length (it ends with a newline), MPD_E_INVAL (buf NULL, id < 1,
 * sig < 1) or MPD_E_TOOBIG (size too small; 96 bytes always do).
 */
MPD_EXPORT int mpd_process_signal_line(char *buf, size_t size, int64_t id,
				       int sig);
/* process.info: the record with cwd, env, stdio and args. */
MPD_EXPORT int mpd_process_info(struct mpd_client *c, int64_t id,
				json_t **record, struct mpd_error *err);
/* The id of the process called name (through process.info): returns 0
 * with *id (id may be NULL), or MPD_E_NOT_FOUND, MPD_E_INVAL (name NULL or
 * empty), as mpd_call(). */
MPD_EXPORT int mpd_process_lookup(struct mpd_client *c, const char *name,
				  int64_t *id, struct mpd_error *err);
/*
 * process.list: *list receives a NEW reference to the array of every
 * matching record, in id order, following the daemon's pages (one call
 * per page). Rows are summaries: long argv, env and args are cut (the row
 * then has "truncated"); mpd_process_info() has the whole record.
 * Filters: state (NULL: any), name_prefix (NULL: any), parent (< 0: any).
 * MPD_E_INVAL when list is NULL; MPD_E_PROTO when a result holds no
 * "processes" array or a "next" that does not move on.
 */
MPD_EXPORT int mpd_process_list(struct mpd_client *c, const char *state,
				const char *name_prefix, int64_t parent,
				json_t **list, struct mpd_error *err);
/*
 * process.list, one page: the matching records with ids above after (0:
 * from the first), at most limit of them (0: as many as the daemon sends
 * at once). *page receives a NEW reference to the array of records; *next
 * (may be NULL) the id to pass as after for the next page, or 0 when this
 * page ends the listing. Filters as mpd_process_list(). MPD_E_INVAL for a
 * NULL page, a negative after or a limit over 100000; MPD_E_PROTO as
 * mpd_process_list().
 */
MPD_EXPORT int mpd_process_list_page(struct mpd_client *c, const char *state,
				     const char *name_prefix, int64_t parent,
				     int64_t after, size_t limit, json_t **page,
				     int64_t *next, struct mpd_error *err);
/*
 * process.output: what a process with a MPD_STDIO_CAPTURE stdout or
 * stderr wrote (both share one stream, in the order written), from byte
 * offset after of the stream (< 0: from the oldest byte the daemon still
 * holds), at most max bytes (0: as many as the daemon sends at once).
 * When there is nothing after after yet and the stream goes on, waits at
 * most timeout seconds for bytes or the end (< 0: as long as it takes;
 * 0: does not wait; NaN: MPD_E_INVAL). Returns 0 with *result (a NEW
 * reference; may be NULL to discard): {"data": text (the bytes as UTF-8,
 * invalid sequences and NUL bytes as U+FFFD), "offset": offset of data's
 * first byte, "next": the after of the next call, "end": the stream's
 * length so far, "dropped": bytes before offset lost to the daemon's ring,
 * "ended": true once no more bytes can come}.
 * MPD_E_INVALID_STATE for a process that does not capture; MPD_E_INVAL
 * for id < 1; as mpd_call().
 */
MPD_EXPORT int mpd_process_output(struct mpd_client *c, int64_t id,
				  int64_t after, size_t max, double timeout,
				  json_t **result, struct mpd_error *err);
/* process.close: forget an ended (or never started) process. */
MPD_EXPORT int mpd_process_close(struct mpd_client *c, int64_t id,
				 struct mpd_error *err);
/*
 * Create, start and join in one call (opts->start is ignored): waits at
 * most timeout seconds (< 0: forever). Returns 0 with *exitcode set (may
 * be NULL) and the record in *record (may be NULL); when the timeout
 * passes first, the process is left running and MPD_E_TIMEOUT is
 * returned with *record set (and err filled). The record is not closed.
 * Fails as mpd_process_create() (a start failure is MPD_E_SPAWN_FAILED)
 * and mpd_process_join().
 */
MPD_EXPORT int mpd_run(struct mpd_client *c,
		       const struct mpd_process_options *opts, double timeout,
		       int *exitcode, json_t **record, struct mpd_error *err);

/*
 * The worker side.
 *
 * A function target is called as fn(w, args) in the worker process; its
 * return value is the process's exit code. args is BORROWED (valid for the
 * call). w describes the worker and lives as long as the process.
 */
typedef struct mpd_worker mpd_worker;
typedef int mpd_worker_fn(mpd_worker *w, const json_t *args);

/*
 * The accessors check that w is a worker this library knows (its layout
 * version); for NULL or anything else they return 0 or NULL.
 */
/* The worker's process id (>= 1). */
MPD_EXPORT int64_t mpd_worker_id(const mpd_worker *w);
/* Its name; borrowed, valid as long as w. */
MPD_EXPORT const char *mpd_worker_name(const mpd_worker *w);
/* The id of the process that created it, or 0 when it has none. */
MPD_EXPORT int64_t mpd_worker_parent(const mpd_worker *w);
/* The daemon's socket path; borrowed, valid as long as w. NULL when it is
 * not known (mpd_worker_client() then uses the default socket). */
MPD_EXPORT const char *mpd_worker_socket(const mpd_worker *w);
/*
 * A client connected to the daemon that runs this worker, opened at the
 * first call and kept: BORROWED, never mpd_close() it. Like any client, one
 * thread at a time. Returns NULL (and fills err) when it cannot connect,
 * or with MPD_E_INVAL when w is not a worker.
 */
MPD_EXPORT struct mpd_client *mpd_worker_client(mpd_worker *w,
						struct mpd_error *err);
/*
 * For any program mpd started (function targets and exec'd programs
 * alike), from its environment (MPD_PROCESS_ID, MPD_PROCESS_NAME,
 * MPD_PARENT_ID, MPD_SOCKET): the current worker, or NULL when this
 * program was not started by mpd (MPD_PROCESS_ID unset, or not a decimal
 * integer >= 1) or memory ran out. Read once, at the first call, and
 * copied: later changes to the environment do not show. The name is ""
 * when MPD_PROCESS_NAME is unset, the parent 0 when MPD_PARENT_ID is unset
 * or not an id, the socket NULL when MPD_SOCKET is unset or empty.
 * Thread-safe; the same object each call.
 */
MPD_EXPORT mpd_worker *mpd_current_process(void);
/* The id of the current worker's parent process, or 0 (none, or not a
 * worker). */
MPD_EXPORT int64_t mpd_parent_process(void);

/*
 * The broker (docs/protocol.md, "The broker"): named queues, values and
 * arrays shared by every client of the daemon.
 *
 * timeout, for calls that may wait: seconds; < 0 (or infinite) waits as
 * long as it takes, 0 does not wait, NaN is MPD_E_INVAL. Items and values
 * in are BORROWED; items and values out are NEW references. Strings out
 * (the _string conveniences) are malloc'd copies the caller free()s.
 *
 * Checked before anything is sent, each MPD_E_INVAL (the client stays
 * usable): a name that is NULL, empty or not UTF-8 (the daemon checks its
 * length); a NULL item, value or out-parameter, except those marked "may
 * be NULL"; a string that is not UTF-8; a double that is NaN or infinite;
 * an item or value nested more than 2044 levels deep (the deepest any
 * reply can carry; the daemon refuses it too, with MPD_E_INVALID_PARAMS).
 * A result without the member a function hands back, or with one of the
 * wrong type, is MPD_E_PROTO (the client stays usable).
 */

/* queue.create: maxsize 0 is unbounded (< 0: MPD_E_INVAL). With
 * exist_ok, an existing queue is fine (and left as it is). Returns 0, or
 * MPD_E_EXISTS, MPD_E_LIMIT, ... */
MPD_EXPORT int mpd_queue_create(struct mpd_client *c, const char *name,
				int64_t maxsize, int exist_ok,
				struct mpd_error *err);
/* queue.put: MPD_E_FULL when still full at the timeout, MPD_E_CLOSED. */
MPD_EXPORT int mpd_queue_put(struct mpd_client *c, const char *name,
			     json_t *item, double timeout,
			     struct mpd_error *err);
/* queue.get: *item a new reference; MPD_E_EMPTY at the timeout,
 * MPD_E_CLOSED once closed and drained, MPD_E_LIMIT when the item's reply
 * would pass the daemon's max_output (the item stays queued). */
MPD_EXPORT int mpd_queue_get(struct mpd_client *c, const char *name,
			     double timeout, json_t **item,
			     struct mpd_error *err);
/* queue.put_many: items is a non-empty array (else MPD_E_INVAL); all or
 * nothing. */
MPD_EXPORT int mpd_queue_put_many(struct mpd_client *c, const char *name,
				  json_t *items, double timeout,
				  struct mpd_error *err);
/* The most items one queue.get_many takes. */
#define MPD_QUEUE_GET_MANY_MAX 10000
/* queue.get_many: up to max (1..MPD_QUEUE_GET_MANY_MAX, else MPD_E_INVAL)
 * items as a new array in *items; waits at most timeout for the first. */
MPD_EXPORT int mpd_queue_get_many(struct mpd_client *c, const char *name,
				  size_t max, double timeout, json_t **items,
				  struct mpd_error *err);
/* queue.size: *info a new reference to {size, maxsize, unfinished,
 * getters, putters, closed, bytes}. */
MPD_EXPORT int mpd_queue_size(struct mpd_client *c, const char *name,
			      json_t **info, struct mpd_error *err);
/* queue.task_done: MPD_E_INVALID_STATE when nothing is unfinished. */
MPD_EXPORT int mpd_queue_task_done(struct mpd_client *c, const char *name,
				   struct mpd_error *err);
/* queue.join: 0 when every task is done, MPD_E_TIMEOUT when the timeout
 * passed first (err->message names the queue and the unfinished count). */
MPD_EXPORT int mpd_queue_join(struct mpd_client *c, const char *name,
			      double timeout, struct mpd_error *err);
MPD_EXPORT int mpd_queue_close(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
MPD_EXPORT int mpd_queue_delete(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* queue.list: *list a new reference to the array of {name, size, maxsize,
 * closed}. */
MPD_EXPORT int mpd_queue_list(struct mpd_client *c, json_t **list,
			      struct mpd_error *err);
/* Conveniences: put an int, a double or a string; get one (MPD_E_PROTO
 * when the item has another type; the item is then lost to the caller,
 * as it left the queue). get_int wants a JSON integer, get_double takes
 * any number. */
MPD_EXPORT int mpd_queue_put_int(struct mpd_client *c, const char *name,
				 int64_t v, double timeout,
				 struct mpd_error *err);
MPD_EXPORT int mpd_queue_put_double(struct mpd_client *c, const char *name,
				    double v, double timeout,
				    struct mpd_error *err);
MPD_EXPORT int mpd_queue_put_string(struct mpd_client *c, const char *name,
				    const char *v, double timeout,
				    struct mpd_error *err);
MPD_EXPORT int mpd_queue_get_int(struct mpd_client *c, const char *name,
				 double timeout, int64_t *v,
				 struct mpd_error *err);
MPD_EXPORT int mpd_queue_get_double(struct mpd_client *c, const char *name,
				    double timeout, double *v,
				    struct mpd_error *err);
MPD_EXPORT int mpd_queue_get_string(struct mpd_client *c, const char *name,
				    double timeout, char **v,
				    struct mpd_error *err);

/* value.create: type "int", "float", "string" or "json" (the daemon
 * checks it); initial may be NULL for the type's zero (nothing sent). */
MPD_EXPORT int mpd_value_create(struct mpd_client *c, const char *name,
				const char *type, json_t *initial, int exist_ok,
				struct mpd_error *err);
MPD_EXPORT int mpd_value_get(struct mpd_client *c, const char *name,
			     json_t **value, struct mpd_error *err);
MPD_EXPORT int mpd_value_set(struct mpd_client *c, const char *name,
			     json_t *value, struct mpd_error *err);
/* value.add on an int value; *result (may be NULL) gets the new value.
 * MPD_E_INVALID_STATE, the value unchanged, when the sum would overflow
 * int64 (err->data: reason "overflow", field "delta"). With result NULL
 * the sum is not looked at, so an integer delta may go to a float value
 * too (the daemon takes it; mpd_last_result() holds the sum). */
MPD_EXPORT int mpd_value_add_int(struct mpd_client *c, const char *name,
				 int64_t delta, int64_t *result,
				 struct mpd_error *err);
/* value.add on a float value; *result (may be NULL) as above.
 * MPD_E_INVALID_STATE, the value unchanged, when the sum would not be a
 * finite double. */
MPD_EXPORT int mpd_value_add_double(struct mpd_client *c, const char *name,
				    double delta, double *result,
				    struct mpd_error *err);
/* value.cas: *swapped (may be NULL) tells whether it swapped; *current
 * (may be NULL) gets a new reference to the value now. */
MPD_EXPORT int mpd_value_cas(struct mpd_client *c, const char *name,
			     json_t *expected, json_t *value, int *swapped,
			     json_t **current, struct mpd_error *err);
MPD_EXPORT int mpd_value_delete(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* value.list: *list a new reference to the array of {name, type}. */
MPD_EXPORT int mpd_value_list(struct mpd_client *c, json_t **list,
			      struct mpd_error *err);
/* Typed value.get and value.set. A value of another JSON type than asked
 * for is MPD_E_PROTO (get_double takes any number); the daemon refuses a
 * set of the wrong type with MPD_E_INVALID_PARAMS. */
MPD_EXPORT int mpd_value_get_int(struct mpd_client *c, const char *name,
				 int64_t *v, struct mpd_error *err);
MPD_EXPORT int mpd_value_get_double(struct mpd_client *c, const char *name,
				    double *v, struct mpd_error *err);
MPD_EXPORT int mpd_value_get_string(struct mpd_client *c, const char *name,
				    char **v, struct mpd_error *err);
MPD_EXPORT int mpd_value_set_int(struct mpd_client *c, const char *name,
				 int64_t v, struct mpd_error *err);
MPD_EXPORT int mpd_value_set_double(struct mpd_client *c, const char *name,
				    double v, struct mpd_error *err);
MPD_EXPORT int mpd_value_set_string(struct mpd_client *c, const char *name,
				    const char *v, struct mpd_error *err);

/* array.create: type "int" or "float"; length zeros (1..16777216), or
 * values, a non-empty array of numbers (length then 0 or its size; only
 * the values are sent). */
MPD_EXPORT int mpd_array_create(struct mpd_client *c, const char *name,
				const char *type, size_t length, json_t *values,
				int exist_ok, struct mpd_error *err);
/* array.get of one element (a negative index counts from the end). */
MPD_EXPORT int mpd_array_get(struct mpd_client *c, const char *name,
			     int64_t index, json_t **value,
			     struct mpd_error *err);
/* array.get of [start, stop) clamped as in Python; *values a new array. */
MPD_EXPORT int mpd_array_get_slice(struct mpd_client *c, const char *name,
				   int64_t start, int64_t stop, json_t **values,
				   struct mpd_error *err);
/* array.get of every element. */
MPD_EXPORT int mpd_array_get_all(struct mpd_client *c, const char *name,
				 json_t **values, struct mpd_error *err);
MPD_EXPORT int mpd_array_set(struct mpd_client *c, const char *name,
			     int64_t index, json_t *value,
			     struct mpd_error *err);
/* array.set of len(values) elements from start (values an array). */
MPD_EXPORT int mpd_array_set_slice(struct mpd_client *c, const char *name,
				   int64_t start, json_t *values,
				   struct mpd_error *err);
/* array.add on one element; *result (may be NULL) gets its new value.
 * MPD_E_INVALID_STATE, the element unchanged, when the sum would overflow
 * int64 or not be a finite double. With result NULL the sum is not looked
 * at, so add_int serves a float array too (as mpd_value_add_int()). */
MPD_EXPORT int mpd_array_add_int(struct mpd_client *c, const char *name,
				 int64_t index, int64_t delta, int64_t *result,
				 struct mpd_error *err);
MPD_EXPORT int mpd_array_add_double(struct mpd_client *c, const char *name,
				    int64_t index, double delta, double *result,
				    struct mpd_error *err);
MPD_EXPORT int mpd_array_delete(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* array.list: *list a new reference to the array of {name, type,
 * length}. */
MPD_EXPORT int mpd_array_list(struct mpd_client *c, json_t **list,
			      struct mpd_error *err);

/*
 * Synchronization (docs/protocol.md, "Synchronization"): named locks and
 * RLocks, semaphores and bounded semaphores, events, conditions and
 * barriers, shared by every client of the daemon.
 *
 * A lock, an RLock or an owned semaphore permit is held by the client (the
 * connection) that acquired it; only that client releases it. When the
 * client goes away (mpd_close(), its process exits or is killed, or, for
 * a worker, the worker process ends) the daemon releases what it held and
 * tells the next acquirer: *abandoned is 1 then, as a robust mutex's
 * EOWNERDEAD (what it guarded may be half-changed). Waiters are served
 * first come, first served.
 *
 * timeout as for the queues (< 0 or infinite: as long as it takes, 0:
 * do not wait, NaN: MPD_E_INVAL). A wait that times out is not an error:
 * the waiting calls return 1 when they got what they waited for, 0 when
 * the timeout passed, or a negative MPD_E_* code. lease: seconds after
 * which the daemon releases the hold for its holder (> 0), or 0 for none
 * (< 0, infinite or NaN: MPD_E_INVAL). abandoned may be NULL; a call that
 * returns 1 or 0 sets it (0 when it took nothing). *info and *list are
 * new references. A count out of the range a comment gives (a value, n,
 * parties) is MPD_E_INVAL, not sent.
 */

/* lock.create: recursive makes an RLock. */
MPD_EXPORT int mpd_lock_create(struct mpd_client *c, const char *name,
			       int recursive, int exist_ok,
			       struct mpd_error *err);
/* lock.acquire: 1 acquired, 0 the timeout passed. A plain lock this
 * client holds already waits (as Python's does); an RLock is re-entered. */
MPD_EXPORT int mpd_lock_acquire(struct mpd_client *c, const char *name,
				double timeout, double lease, int *abandoned,
				struct mpd_error *err);
/* lock.release: what this client still holds of it (0: released; an
 * RLock's count otherwise), or MPD_E_INVALID_STATE when it does not hold
 * it. */
MPD_EXPORT int mpd_lock_release(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* 1 when held by anyone, 0 when free (lock.info's "locked"). */
MPD_EXPORT int mpd_lock_locked(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
/* lock.info: {name, recursive, locked, count, holder, waiters, abandoned,
 * lease}. */
MPD_EXPORT int mpd_lock_info(struct mpd_client *c, const char *name,
			     json_t **info, struct mpd_error *err);
MPD_EXPORT int mpd_lock_delete(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
/* lock.list: the array of {name, recursive, locked}. */
MPD_EXPORT int mpd_lock_list(struct mpd_client *c, json_t **list,
			     struct mpd_error *err);

/* semaphore.create: value 0..2^31-1; bounded refuses a release above it
 * (a BoundedSemaphore). */
MPD_EXPORT int mpd_semaphore_create(struct mpd_client *c, const char *name,
				    int64_t value, int bounded, int exist_ok,
				    struct mpd_error *err);
/* semaphore.acquire of one permit: 1 acquired, 0 the timeout passed.
 * own 0 takes the permit for good (a semaphore used as a signal): it is
 * not given back when this client goes away, and lease must be 0
 * (else MPD_E_INVAL). */
MPD_EXPORT int mpd_semaphore_acquire(struct mpd_client *c, const char *name,
				     double timeout, double lease, int own,
				     int *abandoned, struct mpd_error *err);
/* semaphore.release of n (1..2^31-1) permits; *value (may be NULL) the
 * value after it. With own, only permits this client holds (a release
 * after its lease ran out is then refused, not a permit more).
 * MPD_E_INVALID_STATE past a bounded semaphore's initial value, or past
 * 2^31-1, or with own when this client holds fewer than n. */
MPD_EXPORT int mpd_semaphore_release(struct mpd_client *c, const char *name,
				     int64_t n, int own, int64_t *value,
				     struct mpd_error *err);
/* semaphore.info's value (Python's get_value()) in *value. */
MPD_EXPORT int mpd_semaphore_get_value(struct mpd_client *c, const char *name,
				       int64_t *value, struct mpd_error *err);
/* semaphore.info: {name, value, initial, bounded, holders, waiters,
 * abandoned}. */
MPD_EXPORT int mpd_semaphore_info(struct mpd_client *c, const char *name,
				  json_t **info, struct mpd_error *err);
MPD_EXPORT int mpd_semaphore_delete(struct mpd_client *c, const char *name,
				    struct mpd_error *err);
/* semaphore.list: the array of {name, value, bounded}. */
MPD_EXPORT int mpd_semaphore_list(struct mpd_client *c, json_t **list,
				  struct mpd_error *err);

MPD_EXPORT int mpd_event_create(struct mpd_client *c, const char *name,
				int exist_ok, struct mpd_error *err);
/* event.set: wakes every waiter; returns how many (>= 0). */
MPD_EXPORT int mpd_event_set(struct mpd_client *c, const char *name,
			     struct mpd_error *err);
MPD_EXPORT int mpd_event_clear(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
/* event.wait: 1 set, 0 the timeout passed first. */
MPD_EXPORT int mpd_event_wait(struct mpd_client *c, const char *name,
			      double timeout, struct mpd_error *err);
/* 1 set, 0 clear. */
MPD_EXPORT int mpd_event_is_set(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* event.info: {name, set, waiters}. */
MPD_EXPORT int mpd_event_info(struct mpd_client *c, const char *name,
			      json_t **info, struct mpd_error *err);
MPD_EXPORT int mpd_event_delete(struct mpd_client *c, const char *name,
				struct mpd_error *err);
/* event.list: the array of {name, set}. */
MPD_EXPORT int mpd_event_list(struct mpd_client *c, json_t **list,
			      struct mpd_error *err);

/* condition.create: lock names an existing lock to use, or is NULL for
 * the condition's own (an RLock). */
MPD_EXPORT int mpd_condition_create(struct mpd_client *c, const char *name,
				    const char *lock, int exist_ok,
				    struct mpd_error *err);
/* The condition's lock, as mpd_lock_acquire() and mpd_lock_release(). */
MPD_EXPORT int mpd_condition_acquire(struct mpd_client *c, const char *name,
				     double timeout, int *abandoned,
				     struct mpd_error *err);
MPD_EXPORT int mpd_condition_release(struct mpd_client *c, const char *name,
				     struct mpd_error *err);
/* condition.wait, holding the lock: releases it, waits for a notify (1)
 * or the timeout (0), and has the lock back either way before it
 * returns. MPD_E_INVALID_STATE when this client does not hold the lock. */
MPD_EXPORT int mpd_condition_wait(struct mpd_client *c, const char *name,
				  double timeout, int *abandoned,
				  struct mpd_error *err);
/*
 * Python's Condition.wait_for: while pred(arg) returns 0, wait (the lock
 * held, as mpd_condition_wait()) for what is left of timeout. Returns 1
 * once pred(arg) returns non-zero, 0 when the timeout passed with it
 * still 0 (pred is asked once more at the end), or a negative code.
 * pred runs with the lock held, so it may read what the lock guards; it
 * is asked first, so a pred already true returns 1 with nothing sent.
 * MPD_E_INVAL (c or pred NULL, a bad name, a NaN timeout) before pred
 * runs. *abandoned (may be NULL) is 1 when the lock came back abandoned
 * from any of its waits (what pred reads may then be half-changed), else
 * 0.
 */
MPD_EXPORT int mpd_condition_wait_for(struct mpd_client *c, const char *name,
				      int (*pred)(void *arg), void *arg,
				      double timeout, int *abandoned,
				      struct mpd_error *err);
/* condition.notify of the n (1..2^31-1) longest waiters, holding the
 * lock; returns how many woke (>= 0). MPD_E_INVALID_STATE when this
 * client does not hold the lock. notify_all wakes every waiter. */
MPD_EXPORT int mpd_condition_notify(struct mpd_client *c, const char *name,
				    int64_t n, struct mpd_error *err);
MPD_EXPORT int mpd_condition_notify_all(struct mpd_client *c, const char *name,
					struct mpd_error *err);
/* condition.info: {name, lock, locked, holder, waiters}. */
MPD_EXPORT int mpd_condition_info(struct mpd_client *c, const char *name,
				  json_t **info, struct mpd_error *err);
MPD_EXPORT int mpd_condition_delete(struct mpd_client *c, const char *name,
				    struct mpd_error *err);
/* condition.list: the array of {name, lock}. */
MPD_EXPORT int mpd_condition_list(struct mpd_client *c, json_t **list,
				  struct mpd_error *err);

/* barrier.create: parties 1..65536; timeout the default of its waits
 * (< 0 or infinite: none). */
MPD_EXPORT int mpd_barrier_create(struct mpd_client *c, const char *name,
				  int64_t parties, double timeout, int exist_ok,
				  struct mpd_error *err);
/* barrier.wait: the arrival index (0..parties-1), or MPD_E_BROKEN when
 * the barrier is or gets broken (a timeout, a waiter gone, an abort or
 * a reset). timeout < 0 or infinite: the barrier's default (the protocol
 * has no "for ever" that overrides it). */
MPD_EXPORT int mpd_barrier_wait(struct mpd_client *c, const char *name,
				double timeout, struct mpd_error *err);
MPD_EXPORT int mpd_barrier_abort(struct mpd_client *c, const char *name,
				 struct mpd_error *err);
MPD_EXPORT int mpd_barrier_reset(struct mpd_client *c, const char *name,
				 struct mpd_error *err);
/* barrier.info: {name, parties, n_waiting, broken, timeout}. */
MPD_EXPORT int mpd_barrier_info(struct mpd_client *c, const char *name,
				json_t **info, struct mpd_error *err);
MPD_EXPORT int mpd_barrier_delete(struct mpd_client *c, const char *name,
				  struct mpd_error *err);
/* barrier.list: the array of {name, parties, n_waiting, broken}. */
MPD_EXPORT int mpd_barrier_list(struct mpd_client *c, json_t **list,
				struct mpd_error *err);

/* ---- Pipes: message connections between processes (client/pipe.c) ---- */

/*
 * Python's multiprocessing.Pipe() in C: two connected ends of a Unix
 * socketpair that carry whole messages, each a JSON value
 * (mpd_pipe_send(), mpd_pipe_recv()) or a string of bytes
 * (mpd_pipe_send_bytes(), mpd_pipe_recv_bytes()). The daemon plays no
 * part: the bytes go from one process to the other through the kernel.
 * Each message is one frame, an 8-byte header and its payload
 * (docs/protocol.md, "Pipes: the frame format"), so the other end may be
 * written in any language.
 *
 * The two ends are independent objects: keep one and give the other to
 * another process (across fork(), or as a descriptor passed to a worker,
 * which wraps it with mpd_pipe_from_fd()). One thread may send while
 * another receives on the same end; two threads may not both send, or
 * both receive, on one end at once.
 *
 * timeout, for the calls that wait: seconds; < 0 or infinite: as long as
 * it takes; 0: do not wait (a message not wholly here yet is a timeout);
 * NaN: MPD_E_INVAL. A receive that times out keeps what it read of a
 * message for the next receive, so the stream stays in step.
 *
 * Errors, besides MPD_E_INVAL for bad arguments (nothing is done) and
 * MPD_E_NOMEM:
 *  - MPD_E_CLOSED: the other end is gone (every descriptor of it closed,
 *    or its process ended): a receive found the end of the stream where a
 *    message would begin, or a send found no one to read it. No SIGPIPE
 *    is ever raised.
 *  - MPD_E_IO: the stream ended in the middle of a message (its sender
 *    died while writing it; err->message says how many of its bytes
 *    came), or a system error (err->sys_errno). Receives after it return
 *    MPD_E_CLOSED.
 *  - MPD_E_TIMEOUT: the timeout passed first.
 *  - MPD_E_TOOBIG: a message longer than this end's max message (see
 *    mpd_pipe_set_max_message()). A send of one sends nothing; a receive
 *    drops it (it is skipped as it arrives, the stream stays in step) and
 *    the next receive takes the message after it.
 *  - MPD_E_INVALID_STATE: the next message is of the other kind (JSON for
 *    mpd_pipe_recv_bytes(), bytes for mpd_pipe_recv()). It stays: the
 *    call of its kind takes it.
 *  - MPD_E_PROTO: the other end broke the format. A header that is not
 *    one (a wrong magic, type or reserved byte) leaves the stream out of
 *    step: every later receive fails with MPD_E_PROTO (sends still work).
 *    A JSON message whose payload does not parse is dropped and the next
 *    receive takes the message after it.
 */
struct mpd_pipe;

/* The frame format (docs/protocol.md): header bytes 0 magic, 1 type,
 * 2-3 zero, 4-7 payload length (big-endian); the payload follows. */
#define MPD_PIPE_HEADER_SIZE 8
#define MPD_PIPE_MAGIC	     0xA7
#define MPD_PIPE_TYPE_BYTES  0x42 /* 'B': raw bytes */
#define MPD_PIPE_TYPE_JSON   0x4A /* 'J': one JSON text, UTF-8 */
/* The most payload bytes a frame can carry (its length field's range),
 * and the max message of a new end. */
#define MPD_PIPE_MAX_FRAME	     0xFFFFFFFFu
#define MPD_PIPE_DEFAULT_MAX_MESSAGE (64 * 1024 * 1024)

/* mpd_pipe_from_fd() flags: the directions an end may be used in. */
#define MPD_PIPE_READABLE 1
#define MPD_PIPE_WRITABLE 2

/*
 * Make a connected pair of ends, as Python's Pipe(duplex): with duplex,
 * both ends send and receive; without, *a only receives and *b only
 * sends (Python's Pipe(False) returns (reader, writer)), and the
 * descriptors are shut down the other way too, so a process holding only
 * a raw descriptor cannot write to the reader either. Both descriptors
 * are close-on-exec. Returns 0 with two new ends (free each with
 * mpd_pipe_close()), or MPD_E_INVAL (a or b NULL), MPD_E_IO (socketpair()
 * failed: err->sys_errno, EMFILE say), MPD_E_NOMEM.
 */
MPD_EXPORT int mpd_pipe(struct mpd_pipe **a, struct mpd_pipe **b, int duplex,
			struct mpd_error *err);

/*
 * Wrap fd, one end of a pipe made elsewhere (a descriptor a worker was
 * given, the other end of a socketpair of another program), as an end.
 * fd must be an open SOCK_STREAM socket (else MPD_E_INVAL); flags is
 * MPD_PIPE_READABLE, MPD_PIPE_WRITABLE or both, the directions it may be
 * used in. On success the end owns fd: mpd_pipe_close() closes it. On
 * failure fd stays the caller's. Returns 0 with *out, or MPD_E_INVAL,
 * MPD_E_NOMEM.
 */
MPD_EXPORT int mpd_pipe_from_fd(int fd, int flags, struct mpd_pipe **out,
				struct mpd_error *err);

/* Close the end's descriptor and free it; the other end then sees
 * MPD_E_CLOSED (after the messages already sent). NULL is a no-op. */
MPD_EXPORT void mpd_pipe_close(struct mpd_pipe *p);

/*
 * The end's descriptor, for poll() or to pass to another process (the end
 * keeps it: the process that receives a copy wraps it with
 * mpd_pipe_from_fd()). Never read or write it while the end is in use:
 * the end may have buffered bytes of the stream. Returns the fd, or
 * MPD_E_INVAL when p is NULL.
 */
MPD_EXPORT int mpd_pipe_fd(const struct mpd_pipe *p);

/*
 * The longest payload, in bytes, this end sends or takes
 * (1..MPD_PIPE_MAX_FRAME; MPD_PIPE_DEFAULT_MAX_MESSAGE at first). A
 * message over it is MPD_E_TOOBIG (see above): a bound on what a peer can
 * make this end allocate. Returns 0, or MPD_E_INVAL (p NULL, max out of
 * range). mpd_pipe_max_message() returns it (0 when p is NULL).
 */
MPD_EXPORT int mpd_pipe_set_max_message(struct mpd_pipe *p, size_t max,
					struct mpd_error *err);
MPD_EXPORT size_t mpd_pipe_max_message(const struct mpd_pipe *p);

/*
 * Send v (BORROWED; any JSON value, a scalar too) as one message. Blocks
 * while the other end does not read, as a socket does; a message is
 * always sent whole (a signal does not cut it). Returns 0, or
 * MPD_E_INVAL (p or v NULL, p receive-only, v nests deeper than 2048
 * levels or cannot be encoded: a string that is not UTF-8),
 * MPD_E_TOOBIG, MPD_E_CLOSED, MPD_E_IO, MPD_E_NOMEM.
 */
MPD_EXPORT int mpd_pipe_send(struct mpd_pipe *p, const json_t *v,
			     struct mpd_error *err);

/* Send len bytes of buf (NULL with len 0: an empty message) as one
 * message. Returns as mpd_pipe_send(). */
MPD_EXPORT int mpd_pipe_send_bytes(struct mpd_pipe *p, const void *buf,
				   size_t len, struct mpd_error *err);

/*
 * Receive the next message, which must be JSON: returns 0 with *v a NEW
 * reference, or MPD_E_INVAL (p or v NULL, p send-only, timeout NaN),
 * MPD_E_TIMEOUT, MPD_E_CLOSED, MPD_E_IO, MPD_E_TOOBIG,
 * MPD_E_INVALID_STATE, MPD_E_PROTO, MPD_E_NOMEM (see above).
 */
MPD_EXPORT int mpd_pipe_recv(struct mpd_pipe *p, json_t **v, double timeout,
			     struct mpd_error *err);

/*
 * Receive the next message, which must be bytes: returns 0 with *buf a
 * malloc'd copy (the caller free()s it; never NULL, even for an empty
 * message) and *len its length; else as mpd_pipe_recv().
 */
MPD_EXPORT int mpd_pipe_recv_bytes(struct mpd_pipe *p, void **buf, size_t *len,
				   double timeout, struct mpd_error *err);

/*
 * Receive the next message, which must be bytes, into the caller's buf of
 * cap bytes: returns 0 with *len its length; else as
 * mpd_pipe_recv_bytes(), and MPD_E_TOOBIG when it is longer than cap
 * (then it stays, err->message gives its length, and
 * mpd_pipe_recv_bytes() or a larger buf takes it).
 */
MPD_EXPORT int mpd_pipe_recv_bytes_into(struct mpd_pipe *p, void *buf,
					size_t cap, size_t *len, double timeout,
					struct mpd_error *err);

/*
 * Wait at most timeout for something to receive, as Python's
 * Connection.poll(): returns 1 when a whole message is buffered in the
 * end, or its descriptor is readable (bytes arrived, or the other end is
 * gone: a receive then returns at once with MPD_E_CLOSED), 0 when the
 * timeout passed first, or MPD_E_INVAL (p NULL or send-only, timeout
 * NaN), MPD_E_IO. After 1 a receive may still wait for the rest of a
 * message whose start has arrived.
 */
MPD_EXPORT int mpd_pipe_poll(struct mpd_pipe *p, double timeout,
			     struct mpd_error *err);

/* ---- Waiting on many things at once (client/wait.c) ---- */

/*
 * Python's multiprocessing.connection.wait(): wait until at least one of
 * several things is ready.
 *
 * Each item names one thing by its kind, in the member of that kind:
 *  - MPD_WAIT_PIPE, pipe: ready as mpd_pipe_poll() returns 1 (a whole
 *    message buffered, or the descriptor readable: data or the end).
 *    A send-only end is MPD_E_INVAL.
 *  - MPD_WAIT_FD, fd: ready when readable, hung up or in error.
 *  - MPD_WAIT_CLIENT, client: ready when a line from mpdd is buffered in
 *    the client (a notification that came after a reply) or its socket is
 *    readable.
 *  - MPD_WAIT_SENTINEL, fd: a descriptor from mpd_process_sentinel():
 *    ready when the process has ended.
 * ready is written by mpd_wait(), on success only: 1 or 0.
 */
enum mpd_wait_kind {
	MPD_WAIT_PIPE = 1,
	MPD_WAIT_FD,
	MPD_WAIT_CLIENT,
	MPD_WAIT_SENTINEL,
};

struct mpd_wait_item {
	enum mpd_wait_kind kind;
	struct mpd_pipe *pipe; /* MPD_WAIT_PIPE */
	struct mpd_client *client; /* MPD_WAIT_CLIENT */
	int fd; /* MPD_WAIT_FD, MPD_WAIT_SENTINEL */
	int ready; /* out: 1 ready, 0 not */
};

/*
 * Wait at most timeout seconds (< 0 or infinite: as long as it takes; 0:
 * look without waiting) for the n items. What is ready at once (buffered
 * in a pipe or a client) is answered without waiting, together with
 * every other item ready then. Returns how many items are ready (> 0),
 * each marked, or 0 when the timeout passed first (each marked 0); or
 * MPD_E_INVAL (items NULL with n > 0, n over 65536, no item with no
 * timeout, an unknown kind, a NULL pipe or client, a negative or closed
 * descriptor, a send-only pipe, timeout NaN), MPD_E_NOMEM, MPD_E_IO (the
 * wait itself failed). A signal does not end the wait early.
 */
#define MPD_WAIT_MAX_ITEMS 65536
MPD_EXPORT int mpd_wait(struct mpd_wait_item *items, size_t n, double timeout,
			struct mpd_error *err);

/*
 * A process sentinel, as Python's Process.sentinel: a descriptor that
 * becomes readable when mpd process id ends, to wait on with mpd_wait()
 * (MPD_WAIT_SENTINEL), poll() or an event loop. Only wait for it to be
 * readable; never read from it. The caller owns it and close()s it; it
 * is close-on-exec.
 *
 * What it is: for a process running in the caller's pid namespace, a
 * pidfd of it (pidfd_open(2)), opened and then checked race-free: the
 * record is fetched again after the open, and the pidfd is kept only if
 * the process still runs with the pid it was opened for. For a process
 * that has ended already (or ends during the check), an eventfd that is
 * readable at once. Otherwise (no pidfd_open on this kernel, a daemon in
 * another pid namespace or one whose namespace cannot be told, a process
 * still starting) a daemon-side wait, as mpd_process_sentinel_daemon()
 * makes.
 *
 * Returns 0 with *fd, or MPD_E_INVAL (c or fd NULL, id < 1),
 * MPD_E_INVALID_STATE (the process was never started), what
 * mpd_process_info() returns (MPD_E_NOT_FOUND, ...), MPD_E_IO (a
 * descriptor could not be made: err->sys_errno), MPD_E_CONNECT.
 */
MPD_EXPORT int mpd_process_sentinel(struct mpd_client *c, int64_t id, int *fd,
				    struct mpd_error *err);

/*
 * The daemon-side sentinel, whatever the kernel and namespaces: a fresh
 * connection to c's daemon (mpd_client_socket(c)) on which a process.join
 * of id without timeout has been sent and the sending side shut down; its
 * descriptor becomes readable when the daemon answers, that is when the
 * process has ended, or when the daemon goes away (then ask it again
 * before believing the process ended). Costs a connection to the daemon
 * for as long as it is open. Returns as mpd_process_sentinel().
 */
MPD_EXPORT int mpd_process_sentinel_daemon(struct mpd_client *c, int64_t id,
					   int *fd, struct mpd_error *err);

/* ---- Descriptors for workers (client/process.c, client/worker.c) ---- */

/*
 * A process can be given descriptors of its creator's, each under a name
 * (mpd_process_options fd_names, fds, nfds; docs/protocol.md,
 * "Descriptors for workers"): a pipe's end, a socket, a file. The worker
 * finds them at MPD_FDS_START, MPD_FDS_START + 1, ... in the order named,
 * open across exec, and their names, joined by ':', in the environment
 * variable MPD_FDS, as systemd's socket activation passes LISTEN_FDS
 * (SD_LISTEN_FDS_START is 3 too). A name is 1 to MPD_MAX_FD_NAME bytes of
 * A-Z, a-z, 0-9, '_', '.' and '-'. At most MPD_MAX_WORKER_FDS descriptors
 * travel with one request, the "pass" stdio streams' included. The
 * daemon keeps its copies only until the start is settled: once the
 * worker runs, or its start failed, only the worker (and the caller)
 * hold them.
 */
#define MPD_FDS_START	   3
#define MPD_MAX_FD_NAME	   64
#define MPD_MAX_WORKER_FDS 16

/*
 * In a function target (or with mpd_current_process(), which reads
 * MPD_FDS once, in any program mpd started): the descriptor the worker
 * was given as name.
 * Returns it (>= MPD_FDS_START), MPD_E_NOT_FOUND when it was given none
 * of that name, or MPD_E_INVAL when w is not a worker or name is NULL.
 */
MPD_EXPORT int mpd_worker_fd(const mpd_worker *w, const char *name);
/*
 * In any program mpd started (exec'd or a function), from MPD_FDS, read
 * at each call as sd_listen_fds_with_names() reads LISTEN_FDNAMES: the
 * descriptor given as name. Returns it (>= MPD_FDS_START),
 * MPD_E_NOT_FOUND when MPD_FDS is unset or names no such descriptor, or
 * when that descriptor is not open (closed since, or MPD_FDS inherited
 * by a process that did not inherit the descriptors), MPD_E_INVAL when
 * name is NULL or empty. Thread-safe while nobody changes the
 * environment.
 */
MPD_EXPORT int mpd_fd_by_name(const char *name);

/* ---- Listeners: rendezvous by name (client/listener.c) ---- */

/*
 * Listeners (docs/protocol.md, "Listeners: rendezvous by name"): Python's
 * multiprocessing.connection Listener and Client, brokered by the daemon.
 * One client creates a listener under a name and accepts on it; others
 * connect to the name. Each connection is a fresh socketpair (AF_UNIX,
 * SOCK_STREAM) made by the daemon: the acceptor and the connector each
 * receive one end as a descriptor passed with the reply, and from then on
 * they talk directly, the daemon out of the path. The descriptor is the
 * caller's (close-on-exec; close() it when done); mpd_pipe_from_fd()
 * (client/pipe.c) makes a message pipe of it, or use it as a plain
 * stream socket.
 *
 * A listener belongs to the client (the connection) that created it and
 * goes away with it, or at mpd_listener_close(): then the connections
 * made and not yet accepted are closed (their connectors read EOF), and
 * accepts and connects waiting on it fail with MPD_E_CLOSED. As with
 * listen(2), a connect succeeds at once while the backlog has room, before
 * anyone accepts; with the backlog full it waits for an accept. Only the
 * owner's uid (and root) may accept on and close a listener; who may
 * connect (and see it in mpd_listener_info() and mpd_listener_list()) is
 * its mode.
 *
 * timeout as for the queues: seconds; < 0 (or infinite) waits as long as
 * it takes, 0 does not wait, NaN is MPD_E_INVAL. A wait that runs out is
 * MPD_E_TIMEOUT (err->data, the daemon's, has reason "timeout"), not the
 * daemon's empty or full, so a caller can tell it from the other errors.
 * Checked before anything is sent, each MPD_E_INVAL: a name that is NULL,
 * empty or not UTF-8 (the daemon checks its length), a NULL out-parameter
 * not marked "may be NULL", an option out of range. A result without the
 * members a function reads (or one with no descriptor) is MPD_E_PROTO (the
 * client stays usable, and no descriptor is left open). *info, *list and
 * *peer are new references.
 */

/* Who may use a listener or a shared memory segment besides its owner's
 * uid (root always may). */
enum mpd_chan_mode {
	MPD_CHAN_OWNER = 0, /* the owner's uid alone (the default) */
	MPD_CHAN_GROUP, /* and peers in the owner's primary group */
	MPD_CHAN_EVERYONE, /* every uid that reaches the daemon */
};

/* The most connections a listener's backlog holds. */
#define MPD_LISTENER_MAX_BACKLOG 1024
/* A backlog of none: every connect waits for an accept. */
#define MPD_LISTENER_NO_BACKLOG (-1)

/* Options of mpd_listener_create(). Zero-initialise, then set what you
 * need; NULL options are all the defaults. */
struct mpd_listener_options {
	/* Connections made before an accept takes them: 1 to
	 * MPD_LISTENER_MAX_BACKLOG; 0 for the daemon's default (16);
	 * MPD_LISTENER_NO_BACKLOG for none. */
	int backlog;
	enum mpd_chan_mode mode; /* who may connect */
};

/*
 * listener.create: a listener called name, owned by this client. Returns
 * 0 (mpd_last_result() holds {name, uid, mode, backlog, pending}), or
 * MPD_E_INVAL (a bad name, a backlog out of range, an unknown mode),
 * MPD_E_EXISTS (a listener of that name exists, whoever owns it),
 * MPD_E_LIMIT (the daemon's object or memory limit), or as mpd_call().
 */
MPD_EXPORT int mpd_listener_create(struct mpd_client *c, const char *name,
				   const struct mpd_listener_options *opts,
				   struct mpd_error *err);
/*
 * listener.accept: take the oldest connection made to name, waiting at
 * most timeout seconds for one. Returns 0 with *fd the acceptor's end of
 * it (the caller's to close), and *peer (may be NULL) the connector's
 * credentials as the daemon read them: {connection, pid, uid, gid,
 * process} (process: the mpd process id of a worker, or null); JSON null
 * in the rare case the daemon ran out of memory to say.
 * MPD_E_TIMEOUT when no connection came in time (also with timeout 0 and
 * none waiting), MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED (not the
 * owner's uid), MPD_E_CLOSED (the listener went away while waiting),
 * MPD_E_LIMIT (the daemon is short of descriptors), MPD_E_INVAL (fd NULL,
 * ...), MPD_E_PROTO, or as mpd_call().
 */
MPD_EXPORT int mpd_listener_accept(struct mpd_client *c, const char *name,
				   double timeout, int *fd, json_t **peer,
				   struct mpd_error *err);
/*
 * listener.connect: connect to the listener name, at once while its
 * backlog has room, else waiting at most timeout seconds for an accept.
 * Returns 0 with *fd the connector's end (the caller's to close), and
 * *peer (may be NULL) the credentials of the listener's owner (the
 * connection that created it; or null, as for an accept). MPD_E_TIMEOUT when the wait ran out,
 * MPD_E_FULL when timeout is 0 and the backlog is full (nothing waited),
 * MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED (the listener's mode does not
 * let this uid in), MPD_E_CLOSED (it went away while waiting),
 * MPD_E_LIMIT, MPD_E_INVAL, MPD_E_PROTO, or as mpd_call(). A connect
 * that succeeded before an accept reads EOF on *fd if the listener goes
 * away first.
 */
MPD_EXPORT int mpd_listener_connect(struct mpd_client *c, const char *name,
				    double timeout, int *fd, json_t **peer,
				    struct mpd_error *err);
/* listener.info: *info gets {name, uid, gid, mode, backlog, pending,
 * acceptors, connectors, accepted, owner (credentials as *peer), since}.
 * MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED (its mode does not let this
 * uid in), ... */
MPD_EXPORT int mpd_listener_info(struct mpd_client *c, const char *name,
				 json_t **info, struct mpd_error *err);
/* listener.list: *list gets the array of {name, uid, mode, backlog,
 * pending} of the listeners this uid may connect to, in name order. */
MPD_EXPORT int mpd_listener_list(struct mpd_client *c, json_t **list,
				 struct mpd_error *err);
/* listener.close: remove it (see above). MPD_E_NOT_FOUND,
 * MPD_E_PERMISSION_DENIED (not the owner's uid), ... */
MPD_EXPORT int mpd_listener_close(struct mpd_client *c, const char *name,
				  struct mpd_error *err);

/*
 * An accept that does not block, so a listener can be waited on together
 * with pipes, descriptors and processes (mpd_wait(), MPD_WAIT_CLIENT on
 * c) or from an event loop, as multiprocessing.connection.wait() takes a
 * Listener's connection. mpd_listener_accept_start() sends a
 * listener.accept on c (an asynchronous call: see mpd_call_async()) and
 * returns at once with *out. When c is ready, mpd_accept_poll() reads
 * what has arrived (mpd_dispatch()) and returns 1 with *fd (the caller's
 * to close) and *peer (may be NULL; a NEW reference) as
 * mpd_listener_accept() gives them, 0 when the accept is still waiting,
 * or the accept's error as mpd_listener_accept() returns it
 * (MPD_E_TIMEOUT when timeout passed, MPD_E_CLOSED, ...) or MPD_E_INVAL
 * (a or fd NULL, the descriptor taken already). mpd_accept_free() frees
 * it (NULL: a no-op); one freed while its accept waits is freed when the
 * reply comes or c is closed, and the connection it would have brought is
 * closed. c may be any client of the listener's owner uid: a client of
 * its own keeps the listener's connection free for synchronous calls.
 */
struct mpd_accept;
MPD_EXPORT int mpd_listener_accept_start(struct mpd_client *c, const char *name,
					 double timeout,
					 struct mpd_accept **out,
					 struct mpd_error *err);
MPD_EXPORT int mpd_accept_poll(struct mpd_accept *a, int *fd, json_t **peer,
			       struct mpd_error *err);
MPD_EXPORT void mpd_accept_free(struct mpd_accept *a);

/* ---- Shared memory (client/shm.c) ---- */

/*
 * Shared memory (docs/protocol.md, "Shared memory"): Python's
 * multiprocessing.shared_memory.SharedMemory. A segment is a memfd the
 * daemon keeps under a name, of a fixed size (sealed: nobody can grow or
 * shrink it under the others' mappings). Creating or attaching one passes
 * its descriptor to this client, which maps it (MAP_SHARED) and hands
 * back a struct mpd_shm: from then on the processes share the memory
 * directly, the daemon out of the path. The memory starts zeroed.
 *
 * A segment lives until mpd_shm_unlink(), or, created as temporary, until
 * the client that created it goes away (mpd_close(), its process ends).
 * Either removes the name only: a struct mpd_shm mapped before stays
 * valid until mpd_shm_detach(), as after shm_unlink(3). Only the owner's
 * uid (and root) may unlink; who may attach is the segment's mode.
 *
 * A struct mpd_shm is not tied to the client it came from: it outlives
 * mpd_close(), and a forked child may use the parent's mapping. Names
 * and out-parameters are checked as for the listeners (MPD_E_INVAL); a
 * size out of range is MPD_E_INVAL. No function leaves a descriptor or
 * a mapping behind when it fails.
 */

/* A mapped segment. Opaque; free it with mpd_shm_detach(). */
struct mpd_shm;

/* The largest segment: 1 TiB (the daemon's max_broker_bytes may allow
 * less: MPD_E_LIMIT). */
#define MPD_SHM_MAX_SIZE ((uint64_t)1 << 40)

/* Options of mpd_shm_create(). Zero-initialise, then set what you need;
 * NULL options are all the defaults. */
struct mpd_shm_options {
	enum mpd_chan_mode mode; /* who may attach */
	int temporary; /* removed when this client goes away */
	int exist_ok; /* an existing segment of this size is attached */
};

/*
 * shm.create: a segment called name of size bytes (1 to
 * MPD_SHM_MAX_SIZE), mapped read-write. Returns 0 with *out; with
 * exist_ok, an existing segment of the same size (and a mode that lets
 * this uid in) is attached instead, as mpd_shm_attach() (mpd_shm_created()
 * tells which; its own mode and temporary stay as they were). Errors:
 * MPD_E_INVAL (a bad name, a size out of range, an unknown mode, out
 * NULL), MPD_E_EXISTS (it exists, without exist_ok), MPD_E_INVALID_STATE
 * (with exist_ok, it exists with another size), MPD_E_PERMISSION_DENIED
 * (with exist_ok, its mode does not let this uid in), MPD_E_LIMIT (the
 * daemon's memory, object or descriptor limit), MPD_E_NOMEM (also: the
 * mapping failed, sys_errno saying why), MPD_E_PROTO (no descriptor, or
 * one that is not a segment of that size), or as mpd_call(). A segment
 * this call created stays when the mapping fails: unlink it.
 */
MPD_EXPORT int mpd_shm_create(struct mpd_client *c, const char *name,
			      uint64_t size, const struct mpd_shm_options *opts,
			      struct mpd_shm **out, struct mpd_error *err);
/*
 * shm.attach: map the segment called name, read-write, or read-only
 * (PROT_READ) when readonly is set. Returns 0 with *out, or
 * MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED (its mode does not let this
 * uid in), MPD_E_LIMIT, MPD_E_INVAL, MPD_E_NOMEM, MPD_E_PROTO, or as
 * mpd_call().
 *
 * readonly guards against the caller's own mistakes (a write faults with
 * SIGSEGV), not against a hostile one: the descriptor is the segment's
 * read-write memfd, which any holder may map writable or reopen
 * read-write through /proc. Whoever may attach may write.
 */
MPD_EXPORT int mpd_shm_attach(struct mpd_client *c, const char *name,
			      int readonly, struct mpd_shm **out,
			      struct mpd_error *err);
/* The mapping's first byte (page-aligned), its size in bytes, the
 * segment's descriptor (borrowed: closed by mpd_shm_detach(); dup() it
 * to keep it, e.g. to pass to a worker) and its name (borrowed, valid
 * until mpd_shm_detach()). For a NULL shm: NULL, 0, MPD_E_INVAL, NULL. */
MPD_EXPORT void *mpd_shm_addr(const struct mpd_shm *shm);
MPD_EXPORT size_t mpd_shm_size(const struct mpd_shm *shm);
MPD_EXPORT int mpd_shm_fd(const struct mpd_shm *shm);
MPD_EXPORT const char *mpd_shm_name(const struct mpd_shm *shm);
/* 1 when mpd_shm_create() made the segment, 0 when it attached an
 * existing one (exist_ok) or shm came from mpd_shm_attach();
 * MPD_E_INVAL for a NULL shm. */
MPD_EXPORT int mpd_shm_created(const struct mpd_shm *shm);
/* Unmap the segment, close its descriptor and free shm. The segment
 * itself stays (mpd_shm_unlink() removes it). NULL is a no-op. */
MPD_EXPORT void mpd_shm_detach(struct mpd_shm *shm);
/* shm.unlink: remove the name (mappings stay valid, see above).
 * MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED (not the owner's uid), ... */
MPD_EXPORT int mpd_shm_unlink(struct mpd_client *c, const char *name,
			      struct mpd_error *err);
/* shm.info: *info gets {name, size, uid, gid, mode, temporary, owner
 * (the creator's credentials: connection, pid, uid, gid, process),
 * attaches (descriptors handed out), since}. MPD_E_NOT_FOUND,
 * MPD_E_PERMISSION_DENIED (its mode does not let this uid in), ... */
MPD_EXPORT int mpd_shm_info(struct mpd_client *c, const char *name,
			    json_t **info, struct mpd_error *err);
/* shm.list: *list gets the array of {name, size, uid, mode, temporary} of
 * the segments this uid may attach, in name order. */
MPD_EXPORT int mpd_shm_list(struct mpd_client *c, json_t **list,
			    struct mpd_error *err);

/* ---- Event subscriptions and use from an event loop (client/events.c) ---- */

/*
 * events.subscribe: the daemon sends this connection an event (an
 * mpd.event notification) whenever a process it may see is created,
 * started, ends or fails to start, a broker object is created, closed or
 * deleted, or a lock or semaphore is abandoned by a holder gone
 * (docs/protocol.md, "Event subscriptions", lists every event's members).
 *
 * kinds: NULL-terminated array of kinds ("process", "queue", "value",
 *        "array", "lock", "semaphore", "event", "condition", "barrier",
 *        "listener", "shm"), or NULL for every kind.
 * prefix: only objects whose name starts with it; NULL or "" for all.
 * sub: receives the subscription's id (for mpd_events_unsubscribe()).
 *
 * A connection holds up to 16 subscriptions. Returns 0, or as mpd_call():
 * MPD_E_INVALID_PARAMS (an unknown kind, a prefix longer than a name),
 * MPD_E_LIMIT (16 already), MPD_E_INVAL (sub NULL, kinds empty).
 */
MPD_EXPORT int mpd_events_subscribe(struct mpd_client *c,
				    const char *const *kinds,
				    const char *prefix, int64_t *sub,
				    struct mpd_error *err);

/* events.unsubscribe: no event of sub comes after this returns (events
 * kept by the client before stay). Returns 0, MPD_E_NOT_FOUND, or as
 * mpd_call(). */
MPD_EXPORT int mpd_events_unsubscribe(struct mpd_client *c, int64_t sub,
				      struct mpd_error *err);

/* Events the client keeps until they are taken, its marker included. */
#define MPD_EVENTS_KEPT 4096

/*
 * The next event: one the client kept (events that arrive while a call
 * waits for its response are kept, oldest first), else one read from the
 * daemon within timeout seconds (< 0: as long as it takes; 0: only what
 * has arrived). *ev receives a NEW reference to the event's params
 * object (kind, event, name, seq, time, subscriptions, ...), or NULL when
 * none came in time (the return is 0 then too).
 *
 * Nothing is lost silently: where the daemon dropped events for a reader
 * that did not keep up, an event {"kind": "events", "event": "dropped",
 * "count": N} stands in their place; where the client's own store of
 * MPD_EVENTS_KEPT was full, the same with "client": true.
 *
 * Responses to asynchronous calls that arrive meanwhile run their
 * callbacks. Returns 0, MPD_E_INVAL (ev NULL, timeout NaN), or MPD_E_IO
 * and the like when the connection fails (the events kept come first).
 */
MPD_EXPORT int mpd_next_event(struct mpd_client *c, json_t **ev, double timeout,
			      struct mpd_error *err);

/*
 * Use from an event loop. Watch mpd_client_fd() for readability, and when
 * it is readable call mpd_dispatch(): it reads what has arrived without
 * blocking, runs the callbacks of asynchronous calls whose responses came
 * and hands events to the event handler. Call it also after a synchronous
 * call on the client: events that came meanwhile are kept in the client
 * and the descriptor will not tell of them (mpd_pending() does).
 *
 * mpd_reply_fn: status is 0 with result (BORROWED, valid during the call)
 * the response's result, or a negative code with err (borrowed; err->data
 * valid during the call) the daemon's error, or MPD_E_IO when the
 * connection broke or the client is being closed (result NULL then). A
 * response that passes descriptors: inside the callback,
 * mpd_take_fd(c, i) takes them; those not taken are closed when it
 * returns. A callback may send asynchronous calls, but must not make a
 * synchronous call on c, call mpd_dispatch() or mpd_next_event() on it,
 * or close it.
 */
typedef void (*mpd_reply_fn)(struct mpd_client *c, int status,
			     const json_t *result, const struct mpd_error *err,
			     void *arg);

/*
 * Send method with params (BORROWED; object, array or NULL) without
 * waiting: fn (may be NULL: the response is dropped) runs with arg when
 * its response is read, by mpd_dispatch(), mpd_next_event() or a
 * synchronous call on c that waits for its own meanwhile (so synchronous
 * calls go on working with asynchronous ones in flight). Each call's
 * callback runs exactly once, unless this returns an error: then nothing
 * was sent and it never runs. Returns 0, or MPD_E_INVAL, MPD_E_NOMEM,
 * MPD_E_IO (as mpd_call()'s sending).
 */
MPD_EXPORT int mpd_call_async(struct mpd_client *c, const char *method,
			      json_t *params, mpd_reply_fn fn, void *arg,
			      struct mpd_error *err);

/*
 * The event handler: ev is BORROWED (json_incref() it to keep it). Set
 * it (NULL: none; events are kept for mpd_next_event() then), and
 * mpd_dispatch() hands it every event, kept ones first, in order. The
 * same rules as mpd_reply_fn's hold for what it may do with c.
 */
typedef void (*mpd_event_fn)(struct mpd_client *c, const json_t *ev, void *arg);
MPD_EXPORT void mpd_set_event_handler(struct mpd_client *c, mpd_event_fn fn,
				      void *arg);

/*
 * Act on everything that has arrived, without blocking: see above. A
 * turn is bounded (a daemon that keeps sending cannot hold the caller's
 * loop); when mpd_pending() says more is buffered, call it again.
 * Returns the number of lines acted on (>= 0), or a negative code:
 * MPD_E_IO when the daemon closed the connection (the callbacks of calls
 * in flight have run with MPD_E_IO), MPD_E_PROTO, MPD_E_TOOBIG; the
 * client is broken then.
 */
MPD_EXPORT int mpd_dispatch(struct mpd_client *c, struct mpd_error *err);

/* 1 when c holds events to hand out, or bytes read and not yet acted on:
 * call mpd_dispatch() (or mpd_next_event()) before waiting on the
 * descriptor then; else 0 (and 0 for a NULL c). */
MPD_EXPORT int mpd_pending(const struct mpd_client *c);

/* ---- Pools: workers kept by the daemon, taking tasks (client/pool.c) ---- */

/*
 * Pools (docs/protocol.md, "Pools: workers kept by the daemon, taking
 * tasks"): Python's multiprocessing.Pool as a service. A pool is a named
 * set of workers mpdd keeps alive and feeds with tasks; each task gets an
 * id (per pool, from 1, in submission order) and its outcome waits in the
 * pool until a client fetches it. A function pool (module given) keeps
 * its workers and calls a task function for each task; a program pool
 * runs each task as a program, one process per task. A worker that dies
 * fails the task it ran (worker_died: which worker, its pid, how it
 * ended) and is replaced; nothing hangs.
 *
 * A pool belongs to the uid that created it; with daemon set, it is
 * terminated and deleted when the creating client goes away. Names,
 * timeouts and out-parameters are checked as for the broker (MPD_E_INVAL,
 * nothing sent): timeout < 0 or infinite waits as long as it takes, 0 does
 * not wait, NaN is MPD_E_INVAL. A result without the members a function
 * reads is MPD_E_PROTO (the client stays usable). *info and *list are new
 * references.
 */

/*
 * A task function of a function pool, called in a worker for each task:
 * arg is the task's args (BORROWED, valid during the call). Return 0 and
 * set *result to a NEW reference (left NULL, the result is JSON null) for
 * success; return non-zero to fail the task (task_failed), with *result
 * set to a JSON string, the message (or any JSON value, kept as the
 * error's data.value; NULL: "task function returned N"). The worker runs
 * its tasks one after the other, so the function may keep state across
 * them. An initializer is an mpd_worker_fn (its args the pool's
 * initargs): non-zero ends the worker before it takes a task.
 */
typedef int mpd_task_fn(mpd_worker *w, const json_t *arg, json_t **result);

/* The most tasks one mpd_pool_submit() takes, and the most ids one
 * mpd_pool_result() asks for by list. */
#define MPD_POOL_SUBMIT_MAX	1024
#define MPD_POOL_RESULT_IDS_MAX 10000
/* The most workers a pool keeps. */
#define MPD_POOL_MAX_PROCESSES 1024

/*
 * Options of mpd_pool_create(). Zero-initialise, then set what you need;
 * every pointer is BORROWED for the duration of the call; NULL options are
 * all the defaults (a program pool of the daemon's cpus workers).
 */
struct mpd_pool_options {
	int processes; /* 1..MPD_POOL_MAX_PROCESSES; 0: the daemon's cpus */
	/* A function pool: the shared object of its functions; NULL makes a
	 * program pool, whose tasks are programs (and which takes none of
	 * the function pool's options below). */
	const char *module;
	const char *function; /* the default task function (mpd_task_fn) */
	const char *initializer; /* an mpd_worker_fn run once per worker */
	json_t *initargs; /* the initializer's args; NULL: null */
	int maxtasksperchild; /* a worker exits after so many; 0: never */
	int retries; /* 0..100: runs again of a task whose worker died */
	double timeout; /* > 0: the default limit of a task's run, in
			 * seconds; 0: none */
	const char *const *env; /* "KEY=VALUE" strings, NULL-terminated */
	int env_clear; /* start from an empty environment */
	const char *cwd; /* NULL: the daemon's */
	const char *start_method; /* NULL: "forkserver"; or "spawn" */
	/* stdout and stderr of every worker (stdio[0] must stay
	 * MPD_STDIO_DEFAULT, MPD_STDIO_CAPTURE is refused): a "pass"
	 * descriptor is sent with the request and kept by the pool. */
	struct mpd_stdio stdio[3];
	int daemon; /* terminated and deleted when this client goes away */
	int exist_ok; /* an existing pool of that name is fine */
};

/*
 * pool.create: returns 0 with *info (may be NULL) the pool's info, as
 * mpd_pool_info() gives it, with "created": true when this call made it
 * (not true when exist_ok found it there). MPD_E_INVAL before anything is sent for a bad name, processes
 * or retries out of range, a negative maxtasksperchild, a timeout that is
 * negative or not finite, function-pool options without module, a bad env
 * string or stdio (as mpd_process_create()); else MPD_E_EXISTS,
 * MPD_E_INVALID_PARAMS, MPD_E_LIMIT, or as mpd_call().
 */
MPD_EXPORT int mpd_pool_create(struct mpd_client *c, const char *name,
			       const struct mpd_pool_options *opts,
			       json_t **info, struct mpd_error *err);

/*
 * One task of mpd_pool_submit(). Zero-initialise. For a function pool:
 * function (NULL: the pool's) and args (BORROWED; NULL: null). For a
 * program pool: argv (NULL-terminated, argv[0] searched in PATH) and its
 * stdio (as mpd_process_options'; MPD_STDIO_CAPTURE refused): each
 * MPD_STDIO_PASS descriptor travels with the request, in task order, at
 * most MPD_MAX_WORKER_FDS for one submit. timeout > 0 limits its run (its
 * worker is killed and replaced, the task fails with "timeout"); 0: the
 * pool's.
 */
struct mpd_task {
	const char *function;
	json_t *args;
	const char *const *argv;
	struct mpd_stdio stdio[3];
	double timeout;
};

/*
 * pool.submit of the n tasks (1..MPD_POOL_SUBMIT_MAX), all or none:
 * returns 0 with *first (may be NULL) the id of tasks[0], the others
 * following in order. MPD_E_INVAL before anything is sent (tasks NULL, n
 * out of range, a task with both or neither of args-or-function and argv,
 * an empty argv, more than MPD_MAX_WORKER_FDS "pass" descriptors, ...);
 * else MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED, MPD_E_INVALID_STATE
 * (the pool is closed, terminated or broken), MPD_E_INVALID_PARAMS
 * (err->data's "index" names the task), MPD_E_LIMIT, or as mpd_call().
 */
MPD_EXPORT int mpd_pool_submit(struct mpd_client *c, const char *name,
			       const struct mpd_task *tasks, size_t n,
			       int64_t *first, struct mpd_error *err);

/*
 * The outcome of one task, as mpd_pool_result() and the iterators hand
 * them out. Free what it holds with mpd_task_result_clear() (an array
 * with mpd_task_results_free()).
 *
 * id:     the task's id.
 * index:  for an iterator of mpd_pool_imap(), the item's index in items
 *         (of a failed chunk: the index of its failing item, or of its
 *         first item when the error names none); else id - first.
 * done:   1: the task succeeded, result holds its result; 0: it failed,
 *         error says how.
 * result: (done) a NEW reference owned by this struct; JSON null when the
 *         task set none. NULL when failed.
 * error:  (failed) code, the error's MPD_E_* code (MPD_E_REMOTE when this
 *         library does not know it); name, its wire name ("task_failed",
 *         "worker_died", "terminated", "timeout", "spawn_failed"); message;
 *         data, the error's data ({"return", "value"} of a function,
 *         {"exitcode", "signal", "core_dumped", "pid"} of a program,
 *         {"worker", "pid", "exitcode", "signal", "core_dumped",
 *         "attempts"} of a dead worker), owned by this struct (valid until
 *         it is cleared), or NULL.
 */
struct mpd_task_result {
	int64_t id;
	int64_t index;
	int done;
	json_t *result;
	struct mpd_error error;
};

/* Release what r holds and zero it. NULL is a no-op. */
MPD_EXPORT void mpd_task_result_clear(struct mpd_task_result *r);
/* Clear each of the n results and free the array. NULL is a no-op. */
MPD_EXPORT void mpd_task_results_free(struct mpd_task_result *results,
				      size_t n);

/* The order mpd_pool_result() and the iterators hand outcomes out in. */
enum mpd_pool_order {
	/* Every task asked for, once all have finished, in id order. */
	MPD_POOL_ORDER_ALL = 0,
	/* In id order: the finished ones from the lowest not fetched yet up
	 * to the first unfinished one (imap). */
	MPD_POOL_ORDER_SUBMISSION,
	/* In the order they finished (imap_unordered). */
	MPD_POOL_ORDER_COMPLETION,
};

/*
 * Which outcomes mpd_pool_result() asks for. Zero-initialise. The tasks:
 * ids (nids of them, 1..MPD_POOL_RESULT_IDS_MAX) when ids is set, else
 * first to first + count - 1 (count 0: 1). max: at most so many outcomes
 * in one answer (0: as many as are ready). keep: leave them in the pool,
 * to be fetched again (else each outcome is handed out once and
 * forgotten; ids already fetched are skipped).
 */
struct mpd_pool_query {
	int64_t first;
	size_t count;
	const int64_t *ids;
	size_t nids;
	enum mpd_pool_order order;
	size_t max;
	int keep;
};

/*
 * pool.result: waits at most timeout seconds for what q's order waits for
 * (ALL: every task asked for; the others: at least one). Returns 0 with
 * *results (a malloc'd array of *n outcomes, to free with
 * mpd_task_results_free(); NULL when *n is 0) and *remaining (may be
 * NULL) the tasks asked for not fetched yet: 0 once the iteration is
 * over (then *n may be 0). A task that failed is no error of the call: it
 * is an outcome with done 0. MPD_E_TIMEOUT when the timeout passed first
 * (nothing taken); MPD_E_INVAL (q, results or n NULL, no ids, a bad
 * order, ...); MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED,
 * MPD_E_INVALID_PARAMS (an id never submitted), MPD_E_CLOSED (the pool
 * was deleted while waiting), MPD_E_LIMIT (the answer would pass the
 * daemon's max_output: ask for fewer with max), or as mpd_call().
 */
MPD_EXPORT int mpd_pool_result(struct mpd_client *c, const char *name,
			       const struct mpd_pool_query *q, double timeout,
			       struct mpd_task_result **results, size_t *n,
			       size_t *remaining, struct mpd_error *err);

/*
 * The outcome of task id (AsyncResult.get(timeout)): waits at most
 * timeout seconds for it, and returns 0 with *r (clear it with
 * mpd_task_result_clear()), MPD_E_TIMEOUT, MPD_E_NOT_FOUND when its
 * outcome was fetched already (without keep), or as mpd_pool_result().
 */
MPD_EXPORT int mpd_pool_get(struct mpd_client *c, const char *name, int64_t id,
			    double timeout, struct mpd_task_result *r,
			    struct mpd_error *err);

/*
 * Python's Pool.apply(): submit one task and wait for it. Returns 0 with
 * *result (a NEW reference; may be NULL to discard) the result of a task
 * that succeeded; the task's error code (MPD_E_REMOTE for one this
 * library does not know) with err filled from its error (err->data
 * borrowed from the client, as a daemon error's) for one that failed; or
 * as mpd_pool_submit() and mpd_pool_result().
 */
MPD_EXPORT int mpd_pool_apply(struct mpd_client *c, const char *name,
			      const struct mpd_task *task, json_t **result,
			      struct mpd_error *err);

/*
 * pool.map (function pools): function (NULL: the pool's) on each item of
 * items (an array, BORROWED; empty: no task, *count 0), chunksize items a
 * task (0: the
 * daemon's default, as Python's), each chunk's run limited to timeout
 * seconds (0: the pool's). Returns 0 with *first the id of the first
 * chunk, *count the number of chunks and *chunksize_used (may be NULL)
 * the chunk size the daemon used; each chunk's result is the array of
 * its items' results. Errors as mpd_pool_submit().
 */
MPD_EXPORT int mpd_pool_map_async(struct mpd_client *c, const char *name,
				  const char *function, json_t *items,
				  size_t chunksize, double timeout,
				  int64_t *first, size_t *count,
				  size_t *chunksize_used,
				  struct mpd_error *err);

/*
 * Python's Pool.map(): one pool.map, then pool.result fetches in id order,
 * each asking for as many chunks as fit half of the daemon's max_output
 * (learnt from daemon.info at the first map on c, and from the size of
 * the answers so far). Returns 0 with *results a NEW array of the items'
 * results in the order of items (empty for empty items). When a task failed: its error code
 * (MPD_E_REMOTE when this library does not know it) with err filled from
 * the task's error (err->data, borrowed from the client as for a daemon
 * error, holds the daemon's data) and *index (may be NULL) the index in
 * items of the item that failed (of the chunk's first item when the error
 * does not name one); this is the failure of the lowest index, and it is
 * returned once every chunk has finished and been fetched, so that the
 * pool holds none of this map's outcomes. MPD_E_LIMIT when one chunk's
 * result alone would pass max_output (use a smaller chunksize). Else as
 * mpd_pool_map_async() and mpd_pool_result().
 */
MPD_EXPORT int mpd_pool_map(struct mpd_client *c, const char *name,
			    const char *function, json_t *items,
			    size_t chunksize, double timeout, json_t **results,
			    size_t *index, struct mpd_error *err);

/*
 * An iterator over the outcomes of a range of tasks: Python's
 * Pool.imap() (MPD_POOL_ORDER_SUBMISSION) and imap_unordered()
 * (MPD_POOL_ORDER_COMPLETION). It fetches outcomes in batches sized as
 * mpd_pool_map()'s and hands them out one at a time; it holds c only
 * while mpd_pool_iter_next() runs, so c serves other calls in between.
 * Free it with mpd_pool_iter_free() (NULL: a no-op); outcomes it did not
 * fetch stay in the pool.
 */
struct mpd_pool_iter;

/*
 * An iterator over tasks first to first + count - 1 (count >= 1) of pool
 * name, in order (MPD_POOL_ORDER_SUBMISSION or _COMPLETION; ALL is
 * MPD_E_INVAL). Sends nothing. Returns 0 with *out, MPD_E_INVAL,
 * MPD_E_NOMEM.
 */
MPD_EXPORT int mpd_pool_iter_new(struct mpd_client *c, const char *name,
				 int64_t first, size_t count,
				 enum mpd_pool_order order,
				 struct mpd_pool_iter **out,
				 struct mpd_error *err);

/*
 * Python's imap() and imap_unordered() over the items of a pool.map
 * (arguments as mpd_pool_map_async()): an iterator that hands out one
 * outcome per item, index its index in items (a failed chunk is one
 * outcome, see struct mpd_task_result). Returns 0 with *out, or as
 * mpd_pool_map_async() and mpd_pool_iter_new().
 */
MPD_EXPORT int mpd_pool_imap(struct mpd_client *c, const char *name,
			     const char *function, json_t *items,
			     size_t chunksize, double timeout,
			     enum mpd_pool_order order,
			     struct mpd_pool_iter **out, struct mpd_error *err);

/*
 * The next outcome, waiting at most timeout seconds for it. Returns 1
 * with *r (clear it with mpd_task_result_clear()), 0 when the iteration is
 * over (every outcome handed out), MPD_E_TIMEOUT when the timeout passed
 * first (call again to go on), or as mpd_pool_result() (after MPD_E_IO
 * and the like, the iterator is done for).
 */
MPD_EXPORT int mpd_pool_iter_next(struct mpd_pool_iter *it, double timeout,
				  struct mpd_task_result *r,
				  struct mpd_error *err);
MPD_EXPORT void mpd_pool_iter_free(struct mpd_pool_iter *it);

/*
 * pool.result without waiting for the answer, for an event loop (see
 * mpd_call_async()): fn runs once with the outcomes (results, n: BORROWED
 * for the call, the callback may take what it wants by moving members
 * out and zeroing them) and remaining, or with status the error
 * (MPD_E_TIMEOUT when the timeout passed first) and err. Returns 0 when
 * sent, or as mpd_pool_result()'s checks and mpd_call_async().
 */
typedef void mpd_pool_result_fn(struct mpd_client *c, int status,
				struct mpd_task_result *results, size_t n,
				size_t remaining, const struct mpd_error *err,
				void *arg);
MPD_EXPORT int mpd_pool_result_start(struct mpd_client *c, const char *name,
				     const struct mpd_pool_query *q,
				     double timeout, mpd_pool_result_fn *fn,
				     void *arg, struct mpd_error *err);

/*
 * pool.submit without waiting for the answer, as mpd_pool_result_start():
 * fn runs once with status 0 and first (the id of tasks[0]), or with the
 * error. The "pass" descriptors are sent before this returns (the caller
 * may close its copies then). Returns 0 when sent, or as
 * mpd_pool_submit()'s checks and mpd_call_async().
 */
typedef void mpd_pool_submit_fn(struct mpd_client *c, int status, int64_t first,
				const struct mpd_error *err, void *arg);
MPD_EXPORT int mpd_pool_submit_start(struct mpd_client *c, const char *name,
				     const struct mpd_task *tasks, size_t n,
				     mpd_pool_submit_fn *fn, void *arg,
				     struct mpd_error *err);

/*
 * pool.info: *info gets {name, kind ("function" or "program"), state
 * ("open", "closed", "terminated", "broken"), processes, module,
 * initializer, function, maxtasksperchild, retries, timeout, uid, daemon,
 * created, workers [{id, pid, state, tasks, task}], tasks {queued,
 * running, held, submitted, done, failed}, worker_deaths,
 * broken_reason}. MPD_E_NOT_FOUND, MPD_E_PERMISSION_DENIED, ...
 */
MPD_EXPORT int mpd_pool_info(struct mpd_client *c, const char *name,
			     json_t **info, struct mpd_error *err);
/* pool.list: *list gets the array of {name, kind, state, processes,
 * queued, running} of this uid's pools (root: all). */
MPD_EXPORT int mpd_pool_list(struct mpd_client *c, json_t **list,
			     struct mpd_error *err);
/* pool.close: no new tasks; the queued ones still run, then the workers
 * exit. */
MPD_EXPORT int mpd_pool_close(struct mpd_client *c, const char *name,
			      struct mpd_error *err);
/* pool.terminate: the workers are killed now; queued and running tasks
 * fail with "terminated"; outcomes kept stay fetchable. */
MPD_EXPORT int mpd_pool_terminate(struct mpd_client *c, const char *name,
				  struct mpd_error *err);
/* pool.join: wait at most timeout seconds until a closed or terminated
 * pool has finished every task and its workers have exited. Returns 0,
 * MPD_E_TIMEOUT when the timeout passed first, MPD_E_INVALID_STATE on an
 * open pool, ... */
MPD_EXPORT int mpd_pool_join(struct mpd_client *c, const char *name,
			     double timeout, struct mpd_error *err);
/* pool.delete: terminate it if need be and forget it; calls waiting on it
 * get MPD_E_CLOSED. */
MPD_EXPORT int mpd_pool_delete(struct mpd_client *c, const char *name,
			       struct mpd_error *err);

/* ---- Shared dicts (client/dict.c) ---- */

/*
 * Dicts (docs/protocol.md, "Shared dicts"): Python's Manager().dict(),
 * kept by the daemon. A dict maps string keys (UTF-8, any length the
 * daemon's max_message allows, "" included) to any JSON values. Every
 * call is atomic in the daemon: mpd_dict_update() sets all its entries
 * or none, mpd_dict_setdefault() and mpd_dict_add() read and change an
 * entry in one step, so counters and first-writer-wins claims need no
 * lock.
 *
 * A dict belongs to the uid that created it and lives until
 * mpd_dict_delete(), which only that uid (and root) may call. Who may
 * read and write it (and see it in mpd_dict_list()) is its mode, as for
 * listeners: MPD_E_PERMISSION_DENIED for another uid it does not admit.
 *
 * A missing key: mpd_dict_get() and mpd_dict_pop() without a default,
 * and mpd_dict_del(), fail with MPD_E_NOT_FOUND and err->data holding
 * {"key": KEY} (a missing dict is MPD_E_NOT_FOUND without "key"). With a
 * default, a missing key is no error: *found says which it was.
 *
 * Checked before anything is sent, each MPD_E_INVAL: a name that is
 * NULL, empty or not UTF-8, a key that is NULL or not UTF-8, a value
 * nested deeper than the daemon keeps (2044 levels), a NULL
 * out-parameter not marked "may be NULL". The daemon's limits give
 * MPD_E_LIMIT: max_objects (dicts count as objects), max_broker_bytes
 * (each entry's key and value, as compact JSON, and 64 bytes), and
 * max_queue_items (entries in one dict). Out-parameters are written
 * only on success; json_t ones are new references.
 */

/* Options of mpd_dict_create(). Zero-initialise; NULL: the defaults. */
struct mpd_dict_options {
	enum mpd_chan_mode mode; /* who may use it besides its owner */
	int exist_ok; /* an existing dict (that admits this uid) is fine */
};

/*
 * dict.create: an empty dict called name. Returns 0 (mpd_last_result()
 * holds {name, uid, mode, len, created}; created is false when exist_ok
 * found it there, left as it was), MPD_E_EXISTS, MPD_E_PERMISSION_DENIED
 * (exist_ok, and its mode does not admit this uid), MPD_E_LIMIT,
 * MPD_E_INVAL, or as mpd_call().
 */
MPD_EXPORT int mpd_dict_create(struct mpd_client *c, const char *name,
			       const struct mpd_dict_options *opts,
			       struct mpd_error *err);
/*
 * dict.get: *value gets the value of key. Without dflt (NULL), a missing
 * key is MPD_E_NOT_FOUND; with it, *value gets dflt (a new reference)
 * and *found (may be NULL) 0. *found is 1 when the key was there.
 */
MPD_EXPORT int mpd_dict_get(struct mpd_client *c, const char *name,
			    const char *key, json_t *dflt, json_t **value,
			    int *found, struct mpd_error *err);
/* dict.set: set key to value (borrowed). MPD_E_LIMIT, ... */
MPD_EXPORT int mpd_dict_set(struct mpd_client *c, const char *name,
			    const char *key, json_t *value,
			    struct mpd_error *err);
/*
 * dict.setdefault: set key to value (borrowed; NULL: JSON null) unless it
 * is there. *now (may be NULL) gets the value key holds after the call,
 * *inserted (may be NULL) 1 when this call set it, 0 when it was there.
 */
MPD_EXPORT int mpd_dict_setdefault(struct mpd_client *c, const char *name,
				   const char *key, json_t *value, json_t **now,
				   int *inserted, struct mpd_error *err);
/* dict.pop: remove key and hand its value back in *value (may be NULL);
 * dflt and *found as mpd_dict_get(). */
MPD_EXPORT int mpd_dict_pop(struct mpd_client *c, const char *name,
			    const char *key, json_t *dflt, json_t **value,
			    int *found, struct mpd_error *err);
/* dict.del: remove key; MPD_E_NOT_FOUND (err->data.key) when missing. */
MPD_EXPORT int mpd_dict_del(struct mpd_client *c, const char *name,
			    const char *key, struct mpd_error *err);
/* dict.contains: 1 when key is there, 0 when not, or a negative code. */
MPD_EXPORT int mpd_dict_contains(struct mpd_client *c, const char *name,
				 const char *key, struct mpd_error *err);
/* dict.len: *len gets the number of entries. */
MPD_EXPORT int mpd_dict_len(struct mpd_client *c, const char *name, size_t *len,
			    struct mpd_error *err);
/*
 * dict.update: set every entry of entries (a JSON object, borrowed), all
 * or none (a limit refuses the whole update). *len (may be NULL) gets the
 * number of entries after it.
 */
MPD_EXPORT int mpd_dict_update(struct mpd_client *c, const char *name,
			       json_t *entries, size_t *len,
			       struct mpd_error *err);
/* dict.clear: remove every entry; *removed (may be NULL) gets how many. */
MPD_EXPORT int mpd_dict_clear(struct mpd_client *c, const char *name,
			      size_t *removed, struct mpd_error *err);
/*
 * dict.add: add delta (a JSON number, borrowed) to the number at key, in
 * one atomic step; a missing key counts as 0. Integers stay integers
 * (int64: an overflow is MPD_E_INVALID_STATE and changes nothing); a real
 * on either side makes a real. A key holding anything but a number is
 * MPD_E_INVALID_STATE (err->data.reason "not_a_number"). *value (may be
 * NULL) gets the sum. The _int and _double forms take and give C
 * numbers: *value of mpd_dict_add_int() must be an integer (else
 * MPD_E_PROTO, the add done), mpd_dict_add_double() takes any number.
 */
MPD_EXPORT int mpd_dict_add(struct mpd_client *c, const char *name,
			    const char *key, json_t *delta, json_t **value,
			    struct mpd_error *err);
MPD_EXPORT int mpd_dict_add_int(struct mpd_client *c, const char *name,
				const char *key, int64_t delta, int64_t *value,
				struct mpd_error *err);
MPD_EXPORT int mpd_dict_add_double(struct mpd_client *c, const char *name,
				   const char *key, double delta, double *value,
				   struct mpd_error *err);
/*
 * dict.keys and dict.items, in key order (bytewise), from the first key
 * after after (NULL: from the start), at most limit of them (0: as many
 * as the daemon's reply room allows). *keys gets an array of strings,
 * *items an object of the entries. With next NULL, every page is asked
 * in turn and the whole dict handed back (keys changed between pages
 * show as they are then); else *next gets the key to pass as after for
 * the next page (malloc'd; free() it), or NULL when this page ends the
 * dict. MPD_E_LIMIT when not even one entry fits in the reply room.
 */
MPD_EXPORT int mpd_dict_keys(struct mpd_client *c, const char *name,
			     const char *after, size_t limit, json_t **keys,
			     char **next, struct mpd_error *err);
MPD_EXPORT int mpd_dict_items(struct mpd_client *c, const char *name,
			      const char *after, size_t limit, json_t **items,
			      char **next, struct mpd_error *err);
/* dict.info: *info gets {name, uid, gid, mode, len, bytes, owner (the
 * creator's credentials), since}. */
MPD_EXPORT int mpd_dict_info(struct mpd_client *c, const char *name,
			     json_t **info, struct mpd_error *err);
/* dict.delete: remove the dict and its entries. MPD_E_PERMISSION_DENIED
 * when not the owner's uid. */
MPD_EXPORT int mpd_dict_delete(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
/* dict.list: *list gets the array of {name, uid, mode, len} of the dicts
 * this uid may use, in name order. */
MPD_EXPORT int mpd_dict_list(struct mpd_client *c, json_t **list,
			     struct mpd_error *err);

/* ---- Shared lists (client/list.c) ---- */

/*
 * Shared lists (docs/protocol.md, "Shared lists"): Python's
 * multiprocessing Manager().list(), a named sequence of JSON values that
 * lives in the daemon. Every call is atomic (clients that append and pop
 * at once never lose or duplicate an item). Indexes are Python's: a
 * negative one counts from the end. Slices are Python's start:stop:step,
 * each of which may be MPD_LIST_NONE (Python's None: not sent); bounds
 * are clamped, a step of 0 is MPD_E_INVAL. An index or bound beyond
 * +-(2^53 - 1) is sent as that limit, which selects the same.
 *
 * A list belongs to the uid that created it; its mode says who else may
 * read and change it (MPD_CHAN_GROUP, MPD_CHAN_EVERYONE); only its
 * owner's uid (and root) may delete it. Another uid gets
 * MPD_E_PERMISSION_DENIED and sees nothing of it in mpd_list_list().
 *
 * Values in (value, items) are borrowed; *value, *items, *info and *list
 * are new references. Checked before anything is sent, each MPD_E_INVAL:
 * a name that is NULL, empty or not UTF-8, a NULL value or out-parameter,
 * items that are not an array, a value nested deeper than the daemon
 * keeps (2044 levels), a step of 0. An index out of range is
 * MPD_E_INVALID_PARAMS (err->data: reason "out_of_range", index,
 * length); a value mpd_list_remove() does not find too (reason
 * "not_in_list"). A list longer than the daemon's max_queue_items, or
 * holding more than its max_broker_bytes, is MPD_E_LIMIT, and so is a
 * reply larger than the room the connection has under max_output (a
 * get or pop then changes nothing). The calls that change a list leave
 * its new length in mpd_last_result() ({"length": N}).
 */

/* A slice bound or step not given: Python's None. */
#define MPD_LIST_NONE INT64_MIN

/* Options of mpd_list_create(). Zero-initialise, then set what you need;
 * NULL options are all the defaults. */
struct mpd_list_options {
	enum mpd_chan_mode mode; /* who else may use it */
	int exist_ok; /* an existing list is fine (and left as it is) */
	json_t *items; /* its first items (an array, borrowed), or NULL */
};

/* list.create: mpd_last_result() holds {name, length, uid, mode,
 * created}. MPD_E_EXISTS (without exist_ok), MPD_E_PERMISSION_DENIED
 * (exist_ok, and its mode does not let this uid in), MPD_E_LIMIT, ... */
MPD_EXPORT int mpd_list_create(struct mpd_client *c, const char *name,
			       const struct mpd_list_options *opts,
			       struct mpd_error *err);
/* list.append: value at the end. */
MPD_EXPORT int mpd_list_append(struct mpd_client *c, const char *name,
			       json_t *value, struct mpd_error *err);
/* list.extend: the items of the array items at the end, all or none. */
MPD_EXPORT int mpd_list_extend(struct mpd_client *c, const char *name,
			       json_t *items, struct mpd_error *err);
/* list.get of one item. */
MPD_EXPORT int mpd_list_get(struct mpd_client *c, const char *name,
			    int64_t index, json_t **value,
			    struct mpd_error *err);
/* list.get of the slice start:stop:step (each may be MPD_LIST_NONE: all
 * three for the whole list) as a new array in *items. */
MPD_EXPORT int mpd_list_get_slice(struct mpd_client *c, const char *name,
				  int64_t start, int64_t stop, int64_t step,
				  json_t **items, struct mpd_error *err);
/* list.set of one item. */
MPD_EXPORT int mpd_list_set(struct mpd_client *c, const char *name,
			    int64_t index, json_t *value,
			    struct mpd_error *err);
/* list.set of a slice, as Python's l[start:stop:step] = items: with step
 * 1 (or MPD_LIST_NONE) the slice is replaced by items, however many; an
 * extended slice takes exactly as many items as it selects (else
 * MPD_E_INVALID_PARAMS). */
MPD_EXPORT int mpd_list_set_slice(struct mpd_client *c, const char *name,
				  int64_t start, int64_t stop, int64_t step,
				  json_t *items, struct mpd_error *err);
/* list.pop: take the item at index (-1: the last) into *value.
 * MPD_E_EMPTY for an empty list. */
MPD_EXPORT int mpd_list_pop(struct mpd_client *c, const char *name,
			    int64_t index, json_t **value,
			    struct mpd_error *err);
/* list.len: its number of items in *length. */
MPD_EXPORT int mpd_list_len(struct mpd_client *c, const char *name,
			    size_t *length, struct mpd_error *err);
/* list.insert: value before index, clamped as Python's insert(). */
MPD_EXPORT int mpd_list_insert(struct mpd_client *c, const char *name,
			       int64_t index, json_t *value,
			       struct mpd_error *err);
/* list.remove: the first item equal to value (JSON equality: 1 and 1.0
 * differ). */
MPD_EXPORT int mpd_list_remove(struct mpd_client *c, const char *name,
			       json_t *value, struct mpd_error *err);
/* list.clear: every item goes; the list stays. */
MPD_EXPORT int mpd_list_clear(struct mpd_client *c, const char *name,
			      struct mpd_error *err);
/* list.info: *info gets {name, length, uid, mode, bytes, gid, owner (the
 * creator's credentials), since}. */
MPD_EXPORT int mpd_list_info(struct mpd_client *c, const char *name,
			     json_t **info, struct mpd_error *err);
/* list.delete: MPD_E_PERMISSION_DENIED when not the owner's uid. */
MPD_EXPORT int mpd_list_delete(struct mpd_client *c, const char *name,
			       struct mpd_error *err);
/* list.list: *list gets the array of {name, length, uid, mode} of the
 * lists this uid may use, in name order. */
MPD_EXPORT int mpd_list_list(struct mpd_client *c, json_t **list,
			     struct mpd_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MPD_H */
