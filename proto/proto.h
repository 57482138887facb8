/*
 * proto.h - the wire contract shared by mpdd and libmpd.
 *
 * Everything both sides of the socket must agree on lives here: the protocol
 * version, the default socket path rules, the named limits, the method names,
 * the error list (one X-macro), newline framing, JSON-RPC 2.0 envelopes and
 * the param spec checker. These are pure functions: no sockets, no event
 * loop, so they are easy to test and to fuzz.
 *
 * Changing anything here that a peer can observe: bump MPD_PROTOCOL_VERSION
 * and update docs/protocol.md in the same change.
 */
#ifndef MPD_PROTO_H
#define MPD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MPD_PROTOCOL_VERSION 6

/* Named limits and their defaults (daemon options override them). */
#define MPD_DEFAULT_MAX_MESSAGE	     (1024 * 1024) /* bytes in one line */
#define MPD_DEFAULT_MAX_CONNECTIONS  1024
#define MPD_DEFAULT_MAX_OUTPUT	     (8 * 1024 * 1024) /* unread reply bytes */
#define MPD_MIN_MAX_MESSAGE	     256 /* smallest --max-message accepted */
#define MPD_MAX_FDS_PER_MESSAGE	     16 /* SCM_RIGHTS fds on one request */
#define MPD_DEFAULT_MAX_PROCESSES    16384 /* starting or running at once */
#define MPD_DEFAULT_MAX_EXITED	     1000 /* ended records kept */
#define MPD_DEFAULT_KILL_GRACE	     5.0 /* seconds from SIGTERM to SIGKILL */
#define MPD_DEFAULT_MAX_OBJECTS	     10000 /* every broker object */
#define MPD_DEFAULT_MAX_QUEUE_ITEMS  10000000 /* items in one queue */
#define MPD_DEFAULT_MAX_BROKER_BYTES (1024LL * 1024 * 1024) /* held */
#define MPD_MAX_GET_MANY	     10000
#define MPD_MAX_ARRAY_LENGTH	     16777216
#define MPD_MAX_NAME		     255 /* bytes in a name */
#define MPD_MAX_SEMAPHORE	     2147483647 /* a semaphore's value; n, counts */
#define MPD_MAX_PARTIES		     65536 /* of a barrier */
#define MPD_MAX_SUBSCRIPTIONS	     16 /* events.subscribe, per connection */
/* The notification method of the events a subscription receives. */
#define MPD_EVENT_METHOD "mpd.event"
/* Largest id or count a client may give: 2^53 - 1, exact in every JSON
 * reader. */
#define MPD_MAX_ID	9007199254740991LL
#define MPD_MAX_TIMEOUT 31536000 /* seconds a call may wait: a year */
#define MPD_MAX_BATCH	1024 /* requests in one JSON-RPC batch */
/* Nesting of a JSON text either side reads (jansson's; every value,
 * scalars too, counts one level). */
#define MPD_MAX_DEPTH 2048
/* Nesting of an item or value the broker keeps: the deepest reply that
 * carries one, a get_many in a batch ([{"result":{"items":[item]}}]),
 * adds four levels, and every reader must be able to read it. */
#define MPD_MAX_ITEM_DEPTH (MPD_MAX_DEPTH - 4)

/* Records created but not started: in all, and one uid's share. */
#define MPD_DEFAULT_MAX_CREATED		      4096
#define MPD_DEFAULT_MAX_CREATED_PER_UID	      1024
#define MPD_DEFAULT_MAX_CREATED_BYTES	      (256LL * 1024 * 1024)
#define MPD_DEFAULT_MAX_CREATED_BYTES_PER_UID (64LL * 1024 * 1024)
/* A capturing process's output ring, and what all rings may reserve. */
#define MPD_DEFAULT_CAPTURE_SIZE      65536
#define MPD_MIN_CAPTURE_SIZE	      4096
#define MPD_MAX_CAPTURE_SIZE	      (16 * 1024 * 1024)
#define MPD_DEFAULT_MAX_CAPTURE_BYTES (256LL * 1024 * 1024)
/* Most records one process.list page takes ("limit"). */
#define MPD_MAX_LIST_LIMIT 100000
/* Most processes one process.wait watches ("ids" and "names" together). */
#define MPD_MAX_WAIT 1024

/* Default socket locations (DESIGN.md section 4). */
#define MPD_SOCKET_ENV	       "MPD_SOCKET"
#define MPD_SYSTEM_SOCKET      "/run/mpdd/mpdd.sock"
#define MPD_USER_SOCKET_SUFFIX "/mpdd/mpdd.sock" /* under $XDG_RUNTIME_DIR */

/* Method names. */
#define MPD_M_DAEMON_PING	 "daemon.ping"
#define MPD_M_DAEMON_INFO	 "daemon.info"
#define MPD_M_LIST_APPEND	 "list.append"
#define MPD_M_LIST_CLEAR	 "list.clear"
#define MPD_M_LIST_CREATE	 "list.create"
#define MPD_M_LIST_DELETE	 "list.delete"
#define MPD_M_LIST_EXTEND	 "list.extend"
#define MPD_M_LIST_GET		 "list.get"
#define MPD_M_LIST_INFO		 "list.info"
#define MPD_M_LIST_INSERT	 "list.insert"
#define MPD_M_LIST_LEN		 "list.len"
#define MPD_M_LIST_LIST		 "list.list"
#define MPD_M_LIST_POP		 "list.pop"
#define MPD_M_LIST_REMOVE	 "list.remove"
#define MPD_M_LIST_SET		 "list.set"
#define MPD_M_LISTENER_ACCEPT	 "listener.accept"
#define MPD_M_LISTENER_CLOSE	 "listener.close"
#define MPD_M_LISTENER_CONNECT	 "listener.connect"
#define MPD_M_LISTENER_CREATE	 "listener.create"
#define MPD_M_LISTENER_INFO	 "listener.info"
#define MPD_M_LISTENER_LIST	 "listener.list"
#define MPD_M_POOL_CLOSE	 "pool.close"
#define MPD_M_POOL_CREATE	 "pool.create"
#define MPD_M_POOL_DELETE	 "pool.delete"
#define MPD_M_POOL_INFO		 "pool.info"
#define MPD_M_POOL_JOIN		 "pool.join"
#define MPD_M_POOL_LIST		 "pool.list"
#define MPD_M_POOL_MAP		 "pool.map"
#define MPD_M_POOL_RESULT	 "pool.result"
#define MPD_M_POOL_SUBMIT	 "pool.submit"
#define MPD_M_POOL_TERMINATE	 "pool.terminate"
#define MPD_M_PROCESS_CREATE	 "process.create"
#define MPD_M_PROCESS_START	 "process.start"
#define MPD_M_PROCESS_JOIN	 "process.join"
#define MPD_M_PROCESS_TERMINATE	 "process.terminate"
#define MPD_M_PROCESS_KILL	 "process.kill"
#define MPD_M_PROCESS_SIGNAL	 "process.signal"
#define MPD_M_PROCESS_INFO	 "process.info"
#define MPD_M_PROCESS_LIST	 "process.list"
#define MPD_M_PROCESS_CLOSE	 "process.close"
#define MPD_M_PROCESS_OUTPUT	 "process.output"
#define MPD_M_PROCESS_WAIT	 "process.wait"
#define MPD_M_QUEUE_CREATE	 "queue.create"
#define MPD_M_QUEUE_PUT		 "queue.put"
#define MPD_M_QUEUE_GET		 "queue.get"
#define MPD_M_QUEUE_PUT_MANY	 "queue.put_many"
#define MPD_M_QUEUE_GET_MANY	 "queue.get_many"
#define MPD_M_QUEUE_SIZE	 "queue.size"
#define MPD_M_QUEUE_TASK_DONE	 "queue.task_done"
#define MPD_M_QUEUE_JOIN	 "queue.join"
#define MPD_M_QUEUE_CLOSE	 "queue.close"
#define MPD_M_QUEUE_DELETE	 "queue.delete"
#define MPD_M_QUEUE_LIST	 "queue.list"
#define MPD_M_SHM_ATTACH	 "shm.attach"
#define MPD_M_SHM_CREATE	 "shm.create"
#define MPD_M_SHM_INFO		 "shm.info"
#define MPD_M_SHM_LIST		 "shm.list"
#define MPD_M_SHM_UNLINK	 "shm.unlink"
#define MPD_M_VALUE_CREATE	 "value.create"
#define MPD_M_VALUE_GET		 "value.get"
#define MPD_M_VALUE_SET		 "value.set"
#define MPD_M_VALUE_ADD		 "value.add"
#define MPD_M_VALUE_CAS		 "value.cas"
#define MPD_M_VALUE_DELETE	 "value.delete"
#define MPD_M_VALUE_LIST	 "value.list"
#define MPD_M_ARRAY_CREATE	 "array.create"
#define MPD_M_ARRAY_GET		 "array.get"
#define MPD_M_ARRAY_SET		 "array.set"
#define MPD_M_ARRAY_ADD		 "array.add"
#define MPD_M_ARRAY_DELETE	 "array.delete"
#define MPD_M_ARRAY_LIST	 "array.list"
#define MPD_M_BARRIER_ABORT	 "barrier.abort"
#define MPD_M_BARRIER_CREATE	 "barrier.create"
#define MPD_M_BARRIER_DELETE	 "barrier.delete"
#define MPD_M_BARRIER_INFO	 "barrier.info"
#define MPD_M_BARRIER_LIST	 "barrier.list"
#define MPD_M_BARRIER_RESET	 "barrier.reset"
#define MPD_M_BARRIER_WAIT	 "barrier.wait"
#define MPD_M_CONDITION_ACQUIRE	 "condition.acquire"
#define MPD_M_CONDITION_CREATE	 "condition.create"
#define MPD_M_CONDITION_DELETE	 "condition.delete"
#define MPD_M_CONDITION_INFO	 "condition.info"
#define MPD_M_CONDITION_LIST	 "condition.list"
#define MPD_M_CONDITION_NOTIFY	 "condition.notify"
#define MPD_M_CONDITION_RELEASE	 "condition.release"
#define MPD_M_CONDITION_WAIT	 "condition.wait"
#define MPD_M_DICT_ADD		 "dict.add"
#define MPD_M_DICT_CLEAR	 "dict.clear"
#define MPD_M_DICT_CONTAINS	 "dict.contains"
#define MPD_M_DICT_CREATE	 "dict.create"
#define MPD_M_DICT_DEL		 "dict.del"
#define MPD_M_DICT_DELETE	 "dict.delete"
#define MPD_M_DICT_GET		 "dict.get"
#define MPD_M_DICT_INFO		 "dict.info"
#define MPD_M_DICT_ITEMS	 "dict.items"
#define MPD_M_DICT_KEYS		 "dict.keys"
#define MPD_M_DICT_LEN		 "dict.len"
#define MPD_M_DICT_LIST		 "dict.list"
#define MPD_M_DICT_POP		 "dict.pop"
#define MPD_M_DICT_SET		 "dict.set"
#define MPD_M_DICT_SETDEFAULT	 "dict.setdefault"
#define MPD_M_DICT_UPDATE	 "dict.update"
#define MPD_M_EVENT_CLEAR	 "event.clear"
#define MPD_M_EVENT_CREATE	 "event.create"
#define MPD_M_EVENT_DELETE	 "event.delete"
#define MPD_M_EVENT_INFO	 "event.info"
#define MPD_M_EVENT_LIST	 "event.list"
#define MPD_M_EVENT_SET		 "event.set"
#define MPD_M_EVENT_WAIT	 "event.wait"
#define MPD_M_EVENTS_SUBSCRIBE	 "events.subscribe"
#define MPD_M_EVENTS_UNSUBSCRIBE "events.unsubscribe"
#define MPD_M_LOCK_ACQUIRE	 "lock.acquire"
#define MPD_M_LOCK_CREATE	 "lock.create"
#define MPD_M_LOCK_DELETE	 "lock.delete"
#define MPD_M_LOCK_INFO		 "lock.info"
#define MPD_M_LOCK_LIST		 "lock.list"
#define MPD_M_LOCK_RELEASE	 "lock.release"
#define MPD_M_SEMAPHORE_ACQUIRE	 "semaphore.acquire"
#define MPD_M_SEMAPHORE_CREATE	 "semaphore.create"
#define MPD_M_SEMAPHORE_DELETE	 "semaphore.delete"
#define MPD_M_SEMAPHORE_INFO	 "semaphore.info"
#define MPD_M_SEMAPHORE_LIST	 "semaphore.list"
#define MPD_M_SEMAPHORE_RELEASE	 "semaphore.release"

/*
 * The methods, one row each, in order of their names (mpdd checks that at
 * start-up): X(ENUM, name). enum mpd_method numbers them; mpdd's nouns
 * give each a handler (daemon/dispatch.c), libmpd calls them by name.
 */
#define MPD_METHODS(X)                                  \
	X(ARRAY_ADD, MPD_M_ARRAY_ADD)                   \
	X(ARRAY_CREATE, MPD_M_ARRAY_CREATE)             \
	X(ARRAY_DELETE, MPD_M_ARRAY_DELETE)             \
	X(ARRAY_GET, MPD_M_ARRAY_GET)                   \
	X(ARRAY_LIST, MPD_M_ARRAY_LIST)                 \
	X(ARRAY_SET, MPD_M_ARRAY_SET)                   \
	X(BARRIER_ABORT, MPD_M_BARRIER_ABORT)           \
	X(BARRIER_CREATE, MPD_M_BARRIER_CREATE)         \
	X(BARRIER_DELETE, MPD_M_BARRIER_DELETE)         \
	X(BARRIER_INFO, MPD_M_BARRIER_INFO)             \
	X(BARRIER_LIST, MPD_M_BARRIER_LIST)             \
	X(BARRIER_RESET, MPD_M_BARRIER_RESET)           \
	X(BARRIER_WAIT, MPD_M_BARRIER_WAIT)             \
	X(CONDITION_ACQUIRE, MPD_M_CONDITION_ACQUIRE)   \
	X(CONDITION_CREATE, MPD_M_CONDITION_CREATE)     \
	X(CONDITION_DELETE, MPD_M_CONDITION_DELETE)     \
	X(CONDITION_INFO, MPD_M_CONDITION_INFO)         \
	X(CONDITION_LIST, MPD_M_CONDITION_LIST)         \
	X(CONDITION_NOTIFY, MPD_M_CONDITION_NOTIFY)     \
	X(CONDITION_RELEASE, MPD_M_CONDITION_RELEASE)   \
	X(CONDITION_WAIT, MPD_M_CONDITION_WAIT)         \
	X(DAEMON_INFO, MPD_M_DAEMON_INFO)               \
	X(DAEMON_PING, MPD_M_DAEMON_PING)               \
	X(DICT_ADD, MPD_M_DICT_ADD)                     \
	X(DICT_CLEAR, MPD_M_DICT_CLEAR)                 \
	X(DICT_CONTAINS, MPD_M_DICT_CONTAINS)           \
	X(DICT_CREATE, MPD_M_DICT_CREATE)               \
	X(DICT_DEL, MPD_M_DICT_DEL)                     \
	X(DICT_DELETE, MPD_M_DICT_DELETE)               \
	X(DICT_GET, MPD_M_DICT_GET)                     \
	X(DICT_INFO, MPD_M_DICT_INFO)                   \
	X(DICT_ITEMS, MPD_M_DICT_ITEMS)                 \
	X(DICT_KEYS, MPD_M_DICT_KEYS)                   \
	X(DICT_LEN, MPD_M_DICT_LEN)                     \
	X(DICT_LIST, MPD_M_DICT_LIST)                   \
	X(DICT_POP, MPD_M_DICT_POP)                     \
	X(DICT_SET, MPD_M_DICT_SET)                     \
	X(DICT_SETDEFAULT, MPD_M_DICT_SETDEFAULT)       \
	X(DICT_UPDATE, MPD_M_DICT_UPDATE)               \
	X(EVENT_CLEAR, MPD_M_EVENT_CLEAR)               \
	X(EVENT_CREATE, MPD_M_EVENT_CREATE)             \
	X(EVENT_DELETE, MPD_M_EVENT_DELETE)             \
	X(EVENT_INFO, MPD_M_EVENT_INFO)                 \
	X(EVENT_LIST, MPD_M_EVENT_LIST)                 \
	X(EVENT_SET, MPD_M_EVENT_SET)                   \
	X(EVENT_WAIT, MPD_M_EVENT_WAIT)                 \
	X(EVENTS_SUBSCRIBE, MPD_M_EVENTS_SUBSCRIBE)     \
	X(EVENTS_UNSUBSCRIBE, MPD_M_EVENTS_UNSUBSCRIBE) \
	X(LIST_APPEND, MPD_M_LIST_APPEND)               \
	X(LIST_CLEAR, MPD_M_LIST_CLEAR)                 \
	X(LIST_CREATE, MPD_M_LIST_CREATE)               \
	X(LIST_DELETE, MPD_M_LIST_DELETE)               \
	X(LIST_EXTEND, MPD_M_LIST_EXTEND)               \
	X(LIST_GET, MPD_M_LIST_GET)                     \
	X(LIST_INFO, MPD_M_LIST_INFO)                   \
	X(LIST_INSERT, MPD_M_LIST_INSERT)               \
	X(LIST_LEN, MPD_M_LIST_LEN)                     \
	X(LIST_LIST, MPD_M_LIST_LIST)                   \
	X(LIST_POP, MPD_M_LIST_POP)                     \
	X(LIST_REMOVE, MPD_M_LIST_REMOVE)               \
	X(LIST_SET, MPD_M_LIST_SET)                     \
	X(LISTENER_ACCEPT, MPD_M_LISTENER_ACCEPT)       \
	X(LISTENER_CLOSE, MPD_M_LISTENER_CLOSE)         \
	X(LISTENER_CONNECT, MPD_M_LISTENER_CONNECT)     \
	X(LISTENER_CREATE, MPD_M_LISTENER_CREATE)       \
	X(LISTENER_INFO, MPD_M_LISTENER_INFO)           \
	X(LISTENER_LIST, MPD_M_LISTENER_LIST)           \
	X(LOCK_ACQUIRE, MPD_M_LOCK_ACQUIRE)             \
	X(LOCK_CREATE, MPD_M_LOCK_CREATE)               \
	X(LOCK_DELETE, MPD_M_LOCK_DELETE)               \
	X(LOCK_INFO, MPD_M_LOCK_INFO)                   \
	X(LOCK_LIST, MPD_M_LOCK_LIST)                   \
	X(LOCK_RELEASE, MPD_M_LOCK_RELEASE)             \
	X(POOL_CLOSE, MPD_M_POOL_CLOSE)                 \
	X(POOL_CREATE, MPD_M_POOL_CREATE)               \
	X(POOL_DELETE, MPD_M_POOL_DELETE)               \
	X(POOL_INFO, MPD_M_POOL_INFO)                   \
	X(POOL_JOIN, MPD_M_POOL_JOIN)                   \
	X(POOL_LIST, MPD_M_POOL_LIST)                   \
	X(POOL_MAP, MPD_M_POOL_MAP)                     \
	X(POOL_RESULT, MPD_M_POOL_RESULT)               \
	X(POOL_SUBMIT, MPD_M_POOL_SUBMIT)               \
	X(POOL_TERMINATE, MPD_M_POOL_TERMINATE)         \
	X(PROCESS_CLOSE, MPD_M_PROCESS_CLOSE)           \
	X(PROCESS_CREATE, MPD_M_PROCESS_CREATE)         \
	X(PROCESS_INFO, MPD_M_PROCESS_INFO)             \
	X(PROCESS_JOIN, MPD_M_PROCESS_JOIN)             \
	X(PROCESS_KILL, MPD_M_PROCESS_KILL)             \
	X(PROCESS_LIST, MPD_M_PROCESS_LIST)             \
	X(PROCESS_OUTPUT, MPD_M_PROCESS_OUTPUT)         \
	X(PROCESS_SIGNAL, MPD_M_PROCESS_SIGNAL)         \
	X(PROCESS_START, MPD_M_PROCESS_START)           \
	X(PROCESS_TERMINATE, MPD_M_PROCESS_TERMINATE)   \
	X(PROCESS_WAIT, MPD_M_PROCESS_WAIT)             \
	X(QUEUE_CLOSE, MPD_M_QUEUE_CLOSE)               \
	X(QUEUE_CREATE, MPD_M_QUEUE_CREATE)             \
	X(QUEUE_DELETE, MPD_M_QUEUE_DELETE)             \
	X(QUEUE_GET, MPD_M_QUEUE_GET)                   \
	X(QUEUE_GET_MANY, MPD_M_QUEUE_GET_MANY)         \
	X(QUEUE_JOIN, MPD_M_QUEUE_JOIN)                 \
	X(QUEUE_LIST, MPD_M_QUEUE_LIST)                 \
	X(QUEUE_PUT, MPD_M_QUEUE_PUT)                   \
	X(QUEUE_PUT_MANY, MPD_M_QUEUE_PUT_MANY)         \
	X(QUEUE_SIZE, MPD_M_QUEUE_SIZE)                 \
	X(QUEUE_TASK_DONE, MPD_M_QUEUE_TASK_DONE)       \
	X(SEMAPHORE_ACQUIRE, MPD_M_SEMAPHORE_ACQUIRE)   \
	X(SEMAPHORE_CREATE, MPD_M_SEMAPHORE_CREATE)     \
	X(SEMAPHORE_DELETE, MPD_M_SEMAPHORE_DELETE)     \
	X(SEMAPHORE_INFO, MPD_M_SEMAPHORE_INFO)         \
	X(SEMAPHORE_LIST, MPD_M_SEMAPHORE_LIST)         \
	X(SEMAPHORE_RELEASE, MPD_M_SEMAPHORE_RELEASE)   \
	X(SHM_ATTACH, MPD_M_SHM_ATTACH)                 \
	X(SHM_CREATE, MPD_M_SHM_CREATE)                 \
	X(SHM_INFO, MPD_M_SHM_INFO)                     \
	X(SHM_LIST, MPD_M_SHM_LIST)                     \
	X(SHM_UNLINK, MPD_M_SHM_UNLINK)                 \
	X(VALUE_ADD, MPD_M_VALUE_ADD)                   \
	X(VALUE_CAS, MPD_M_VALUE_CAS)                   \
	X(VALUE_CREATE, MPD_M_VALUE_CREATE)             \
	X(VALUE_DELETE, MPD_M_VALUE_DELETE)             \
	X(VALUE_GET, MPD_M_VALUE_GET)                   \
	X(VALUE_LIST, MPD_M_VALUE_LIST)                 \
	X(VALUE_SET, MPD_M_VALUE_SET)

enum mpd_method {
#define X(e, name) MPD_METHOD_##e,
	MPD_METHODS(X)
#undef X
		MPD_METHOD_COUNT
};

/*
 * The error list: X(ENUM, code, "wire_name", "message").
 *
 * The first five are JSON-RPC 2.0's own codes. The rest are mpd's
 * application errors: small positive codes whose stable name is sent in
 * error.data.name. libmpd maps these to negative MPD_E_* codes (the JSON-RPC
 * codes unchanged, an application code N as -N); the two lists are checked
 * against each other at compile time.
 */
#define MPD_ERRORS(X)                                                       \
	X(PARSE_ERROR, -32700, "parse_error", "parse error")                \
	X(INVALID_REQUEST, -32600, "invalid_request", "invalid request")    \
	X(METHOD_NOT_FOUND, -32601, "method_not_found", "method not found") \
	X(INVALID_PARAMS, -32602, "invalid_params", "invalid params")       \
	X(INTERNAL_ERROR, -32603, "internal_error", "internal error")       \
	X(NOT_FOUND, 1, "not_found", "no such object")                      \
	X(EXISTS, 2, "exists", "object already exists")                     \
	X(INVALID_STATE, 3, "invalid_state", "invalid state for operation") \
	X(PERMISSION_DENIED, 4, "permission_denied", "permission denied")   \
	X(EMPTY, 5, "empty", "empty")                                       \
	X(FULL, 6, "full", "full")                                          \
	X(CLOSED, 7, "closed", "closed")                                    \
	X(SPAWN_FAILED, 8, "spawn_failed", "process could not be started")  \
	X(LIMIT, 9, "limit", "limit reached")                               \
	X(BROKEN, 10, "broken", "barrier broken")                           \
	X(TASK_FAILED, 11, "task_failed", "task failed")                    \
	X(WORKER_DIED, 12, "worker_died", "worker died")                    \
	X(TERMINATED, 13, "terminated", "pool terminated")                  \
	X(TASK_TIMEOUT, 14, "timeout", "task timed out")

enum mpd_rpc_error {
#define X(e, code, name, msg) MPD_RPC_##e = (code),
	MPD_ERRORS(X)
#undef X
};

/* Wire name of an error code ("parse_error"), or NULL if it is not ours. */
const char *mpd_rpc_error_name(int code);
/* Default message of an error code, or NULL if it is not ours. */
const char *mpd_rpc_error_message(int code);
/* Code for a wire name, or 0 if the name is unknown. */
int mpd_rpc_error_code(const char *name);

/*
 * Default socket path: $MPD_SOCKET if set and non-empty; else
 * MPD_SYSTEM_SOCKET for uid 0; else $XDG_RUNTIME_DIR/mpdd/mpdd.sock.
 * Writes into buf and returns 0; -ENOENT when no rule applies (non-root
 * without XDG_RUNTIME_DIR), -ENAMETOOLONG when it does not fit in buf or
 * in a sockaddr_un.
 */
int mpd_default_socket_path(char *buf, size_t size);

/*
 * Framing: one JSON text per line. A framer owns a growable buffer;
 * callers read into the space mpd_framer_reserve() hands out (or copy in
 * with mpd_framer_feed()) and take complete lines with mpd_framer_next().
 * Empty and all-whitespace lines are skipped; a trailing '\r' is dropped.
 * A line (without its '\n') longer than max is MPD_FRAME_TOO_LONG, detected
 * as soon as more than max bytes of it are buffered, newline or not.
 */
struct mpd_framer {
	char *buf;
	size_t cap; /* allocated bytes */
	size_t start; /* first unconsumed byte */
	size_t end; /* one past the last buffered byte */
	size_t scan; /* bytes from start already known to hold no '\n' */
	size_t max; /* longest line accepted */
	uint64_t consumed; /* stream bytes taken so far, as lines or blank */
	bool fixed; /* buf is the caller's: never grown nor freed */
};

enum mpd_frame_status {
	MPD_FRAME_NEED_MORE = 0, /* no complete line buffered */
	MPD_FRAME_LINE = 1, /* *line and *len describe one line */
	MPD_FRAME_TOO_LONG = 2, /* the current line exceeds max */
};

void mpd_framer_init(struct mpd_framer *f, size_t max);
/*
 * As mpd_framer_init(), with buf (cap bytes, the caller's) as the buffer
 * for good: it is never grown nor freed, and mpd_framer_reserve() fails
 * with ENOMEM when it cannot make room. cap = max + 1 + the largest want
 * ever reserved always has room for lines taken until NEED_MORE.
 */
void mpd_framer_init_buffer(struct mpd_framer *f, size_t max, char *buf,
			    size_t cap);
void mpd_framer_free(struct mpd_framer *f);
/* Bytes buffered and not yet returned as lines. */
size_t mpd_framer_pending(const struct mpd_framer *f);
/*
 * Free space for at least want bytes (want > 0). Returns a pointer into the
 * framer's buffer and sets *avail (>= want), or NULL with errno ENOMEM.
 * Never grows the buffer past what one maximal line needs (max + 1) plus
 * want. When every buffered byte has been taken, the space starts at the
 * front of the buffer again, so a stream of short lines keeps to its
 * first pages.
 */
char *mpd_framer_reserve(struct mpd_framer *f, size_t want, size_t *avail);
/* Account for n bytes written into the space from mpd_framer_reserve(). */
void mpd_framer_commit(struct mpd_framer *f, size_t n);
/* Copy n bytes in. Returns 0, or -ENOMEM. */
int mpd_framer_feed(struct mpd_framer *f, const void *data, size_t n);
/*
 * Next complete line. On MPD_FRAME_LINE, *line points into the framer's
 * buffer, is NUL-terminated in place (the '\n' replaced) and stays valid
 * until the next call that changes the framer. *len excludes the newline.
 * Afterwards f->consumed is the stream offset just past that line's '\n',
 * which lets a reader tell which line a byte position (say, the one that
 * carried SCM_RIGHTS descriptors) belongs to.
 */
enum mpd_frame_status mpd_framer_next(struct mpd_framer *f, char **line,
				      size_t *len);

/*
 * JSON-RPC 2.0 envelopes. A request is an object with "jsonrpc": "2.0", a
 * string "method", optional "params" (object or array) and optional "id"
 * (string, integer or null). No id member makes it a notification, which
 * is executed but never answered. Unknown members are rejected.
 */
struct mpd_rpc_request {
	json_t *id; /* borrowed; NULL for a notification */
	const char *method; /* borrowed from the message */
	json_t *params; /* borrowed; NULL when absent */
};

/*
 * Check msg as one request and fill *req with borrowed references into msg.
 * Returns 0, or MPD_RPC_INVALID_REQUEST with *why set to a static
 * description. Even on failure *req->id is set when a valid id was found,
 * so the error can be addressed to it.
 */
int mpd_rpc_parse_request(json_t *msg, struct mpd_rpc_request *req,
			  const char **why);

/* Build {"jsonrpc":"2.0","id":id,"result":result}. id is borrowed (NULL
 * means null); result is stolen (NULL means {}). Returns a new reference,
 * or NULL on allocation failure. */
json_t *mpd_rpc_result_new(json_t *id, json_t *result);

/*
 * Build an error response. id is borrowed (NULL means null); data is stolen
 * (may be NULL); when code is one of ours, data.name is set to its wire
 * name. message may be NULL for the default message. Returns a new
 * reference, or NULL on allocation failure.
 */
json_t *mpd_rpc_error_new(json_t *id, int code, const char *message,
			  json_t *data);

/* Build a request; params stolen (may be NULL, then omitted). */
json_t *mpd_rpc_request_new(json_int_t id, const char *method, json_t *params);

/* Build a notification (no id); params stolen (may be NULL). */
json_t *mpd_rpc_notification_new(const char *method, json_t *params);

/*
 * A response as a client sees it. Exactly one of result and error is set.
 */
struct mpd_rpc_response {
	json_t *id; /* borrowed; null id is a json null */
	json_t *result; /* borrowed, or NULL */
	int code; /* error.code when error */
	const char *message; /* borrowed error.message, or NULL */
	json_t *data; /* borrowed error.data, or NULL */
	bool error;
};

/*
 * Check msg as one response and fill *resp with borrowed references.
 * Members a response does not define are ignored (a newer daemon may add
 * some), except "method", which would make it a request.
 * Returns 0, or -EPROTO with *why set when msg is not a valid response.
 */
int mpd_rpc_parse_response(json_t *msg, struct mpd_rpc_response *resp,
			   const char **why);

/*
 * Encode a message as one compact line with its trailing '\n' (and a NUL
 * after it, not counted). Returns a malloc'd buffer (caller frees) and its
 * length, or NULL on allocation failure or when msg cannot be encoded
 * (see mpd_json_encode()).
 */
char *mpd_rpc_encode(const json_t *msg, size_t *len);

/*
 * JSON text, faster than jansson's reader and writer and interchangeable
 * with them: tests/unit/test-json.c holds them to jansson 2.14's exact
 * behaviour.
 *
 * mpd_json_parse() is json_loadb(buf, len, flags, error) for flags made of
 * JSON_DECODE_ANY and JSON_REJECT_DUPLICATES; any other flag is an error.
 * It accepts what json_loadb() accepts (RFC 8259, UTF-8, no \u0000, at most
 * 2048 levels, integers within json_int_t), except that a NUL byte is
 * always an error (json_loadb() skips one right after a number or a
 * literal). Returns a new reference, or NULL with *error (may be NULL)
 * describing the first problem.
 *
 * mpd_json_encode() writes v (borrowed) as json_dumps(v, JSON_COMPACT |
 * JSON_ENCODE_ANY) would. Returns a malloc'd buffer (caller frees) holding
 * *len bytes (len may be NULL) followed by extra spare bytes, the first of
 * them a NUL when extra > 0; or NULL on allocation failure, for what
 * json_dumps() refuses too (a string that is not UTF-8, a container inside
 * itself), and for an object key that is not UTF-8 (json_dumps() writes
 * invalid JSON for it).
 */
json_t *mpd_json_parse(const char *buf, size_t len, size_t flags,
		       json_error_t *error);
char *mpd_json_encode(const json_t *v, size_t *len, size_t extra);

/*
 * Nesting of v (borrowed) as mpd_json_parse() counts it: a scalar or an
 * empty container is 1, a container one more than its deepest member.
 * Counts no further than limit + 1, so a deeper value costs no more than
 * that to measure (and a cycle does not loop).
 */
size_t mpd_json_depth(const json_t *v, size_t limit);

/*
 * Param specs: one row per field a method accepts, ending with a row whose
 * name is NULL. mpd_params_check() rejects a params value that is not an
 * object, a missing required field, a field of the wrong type or out of
 * range, and any field not in the spec.
 */
enum mpd_param_type {
	MPD_PT_ANY = 0,
	MPD_PT_STRING,
	MPD_PT_INT, /* a JSON integer, within [min, max] */
	MPD_PT_NUMBER, /* integer or real, finite, within [min, max] */
	MPD_PT_BOOL,
	MPD_PT_OBJECT,
	MPD_PT_ARRAY,
	MPD_PT_ID, /* an integer id >= 0 or a non-empty string name */
};

#define MPD_PF_REQUIRED 0x1u
#define MPD_PF_NONEMPTY 0x2u /* strings and arrays: length > 0 */
#define MPD_PF_RANGE	0x4u /* ints and numbers: check min and max */
#define MPD_PF_OUT	0x8u /* mpd_params_dispatch() writes it at offset */
#define MPD_PF_JSON	0x10u /* ... as a json_t *, whatever its type */

struct mpd_param {
	const char *name;
	enum mpd_param_type type;
	unsigned flags;
	double min, max; /* with MPD_PF_RANGE */
	size_t offset; /* with MPD_PF_OUT: where in the caller's struct */
	double dflt; /* with MPD_PF_OUT: an absent int, number or bool */
};

/*
 * Check params (borrowed; NULL is treated as an empty object) against
 * spec. Returns 0, or MPD_RPC_INVALID_PARAMS with a message naming the
 * field written to msg (always NUL-terminated) and the offending field's
 * name in *field (a pointer into spec or params, or NULL when params
 * itself is wrong).
 */
int mpd_params_check(const struct mpd_param *spec, json_t *params, char *msg,
		     size_t size, const char **field);

/*
 * mpd_params_check(), extracting as it checks (as sd-varlink's
 * sd_json_dispatch does): each MPD_PF_OUT field is written into out at
 * its offset, as its type says: MPD_PT_STRING a const char *, MPD_PT_INT
 * a json_int_t, MPD_PT_NUMBER a double, MPD_PT_BOOL a bool, any other (or
 * any with MPD_PF_JSON) a json_t *. Strings and values are borrowed from params. An absent field
 * is written too: NULL, or dflt for an int, a number or a bool. Returns
 * as mpd_params_check() does; on failure out may be partly written.
 */
int mpd_params_dispatch(const struct mpd_param *spec, json_t *params, void *out,
			char *msg, size_t size, const char **field);

/* Name of a param type for messages ("string", "integer", ...). */
const char *mpd_param_type_name(enum mpd_param_type type);

/*
 * Signals on the wire. mpd_signal_name() returns "SIGTERM" for SIGTERM
 * (static), "SIGRTMIN+N" for real-time signals (written into buf), or
 * NULL for a number that is no signal. mpd_signal_number() takes "SIGTERM",
 * "TERM" (any case) or "SIGRTMIN+N" and returns the number, or -1.
 */
const char *mpd_signal_name(int sig, char *buf, size_t size);
int mpd_signal_number(const char *name);

/*
 * Descriptors for workers (process.create "fds", docs/protocol.md): a
 * worker gets them at MPD_FDS_START, MPD_FDS_START + 1, ... in the order
 * named (systemd's SD_LISTEN_FDS_START), their names joined by ':' in
 * MPD_FDS (MPD_ENV_FDS, worker.h). A name is 1 to MPD_MAX_FD_NAME bytes
 * of A-Z, a-z, 0-9, '_', '.' and '-'. mpd_fd_name_ok() says whether the
 * len bytes at s are one.
 */
#define MPD_FDS_START	3
#define MPD_MAX_FD_NAME 64
bool mpd_fd_name_ok(const char *s, size_t len);

#endif /* MPD_PROTO_H */
