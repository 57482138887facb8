/*
 * process.c - the process.* methods: Python's multiprocessing.Process as a
 * service.
 *
 * The dispatcher checks and extracts the params (struct pargs) and finds
 * the process a request names, checking its owner. Handlers check what
 * the param spec cannot (the target, the shape of stdio specs, descriptors
 * matching "pass" streams, names) before anything changes, then act on
 * the process table (proctab.c) and the template (spawner.c).
 * process.start and a join that has to wait park their request; the
 * spawner's report of the start (process_started(), ...) or of the exit
 * answers it, here: every reply about a process goes out from this file.
 * process.output reads the ring of a process that captures its output
 * (capture.c), and a read that waits parks until capture.c reports bytes
 * or the end (output_wake()). process.wait watches many records at once:
 * an entry on each one's watchers list, so that an end wakes only the
 * waits that watch that record (wait_wake()).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpdd.h"

/* The params of the process.* methods, as the dispatcher extracts them;
 * the target first. */
struct pargs {
	struct proc *p;
	/* process.create's, as JSON (NULL: not given) */
	json_t *name, *argv, *module, *function, *args, *env, *cwd;
	json_t *stdio[3], *start_method, *fds;
	bool env_clear, daemon, start, ctty;
	bool group; /* true when not given */
	double timeout; /* process.join's; +inf: not given */
	json_t *signal;
	const char *state; /* process.list's; NULL: not given */
	json_t *name_prefix;
	json_int_t parent, limit; /* 0: not given */
	json_int_t after;
	json_int_t from, max; /* process.output's after (-1: none) and max */
};

#define P(key, type, flags, m)	    ARG(key, type, flags, struct pargs, m)
#define P_JSON(key, type, flags, m) ARG_JSON(key, type, flags, struct pargs, m)

/* "id" or "name": they name the target, so they are not extracted. */
#define REF_PARAMS                                                 \
	{ "id", MPD_PT_INT, MPD_PF_RANGE, 1, MPD_MAX_ID, 0, 0 },   \
	{                                                          \
		"name", MPD_PT_STRING, MPD_PF_NONEMPTY, 0, 0, 0, 0 \
	}

static const struct mpd_param create_params[] = {
	P_JSON("name", MPD_PT_STRING, MPD_PF_NONEMPTY, name),
	P("argv", MPD_PT_ARRAY, MPD_PF_NONEMPTY, argv),
	P_JSON("module", MPD_PT_STRING, MPD_PF_NONEMPTY, module),
	P_JSON("function", MPD_PT_STRING, MPD_PF_NONEMPTY, function),
	P("args", MPD_PT_ANY, 0, args),
	P("env", MPD_PT_OBJECT, 0, env),
	P("env_clear", MPD_PT_BOOL, 0, env_clear),
	P_JSON("cwd", MPD_PT_STRING, MPD_PF_NONEMPTY, cwd),
	P("stdin", MPD_PT_ANY, 0, stdio[0]),
	P("stdout", MPD_PT_ANY, 0, stdio[1]),
	P("stderr", MPD_PT_ANY, 0, stdio[2]),
	P("fds", MPD_PT_ANY, 0, fds),
	P("daemon", MPD_PT_BOOL, 0, daemon),
	P("ctty", MPD_PT_BOOL, 0, ctty),
	P_JSON("start_method", MPD_PT_STRING, 0, start_method),
	P("start", MPD_PT_BOOL, 0, start),
	PARAMS_END,
};

static const struct mpd_param ref_params[] = {
	REF_PARAMS,
	PARAMS_END,
};

/* A negative timeout is 0, as Python's Process.join() takes it; absent
 * (+inf), join waits as long as the process runs. */
static const struct mpd_param join_params[] = {
	REF_PARAMS,
	{ "timeout", MPD_PT_NUMBER, MPD_PF_RANGE | MPD_PF_OUT, -INFINITY,
	  MPD_MAX_TIMEOUT, offsetof(struct pargs, timeout), INFINITY },
	PARAMS_END,
};

#define GROUP_PARAM ARG_DEFAULT("group", MPD_PT_BOOL, 1, struct pargs, group)

static const struct mpd_param kill_params[] = {
	REF_PARAMS,
	GROUP_PARAM,
	PARAMS_END,
};

static const struct mpd_param signal_params[] = {
	REF_PARAMS,
	GROUP_PARAM,
	P("signal", MPD_PT_ANY, MPD_PF_REQUIRED, signal),
	PARAMS_END,
};

static const struct mpd_param list_params[] = {
	P("state", MPD_PT_STRING, 0, state),
	P_JSON("name_prefix", MPD_PT_STRING, 0, name_prefix),
	ARG_ID("parent", 1, struct pargs, parent),
	ARG_ID("after", 0, struct pargs, after),
	ARG_RANGE("limit", MPD_PT_INT, 0, 1, MPD_MAX_LIST_LIMIT, struct pargs,
		  limit),
	PARAMS_END,
};

/*
 * process.output: "after" -1 when absent (from the oldest byte held),
 * "max" 0 when absent (what fits), "timeout" -1 when absent (answer at
 * once, as 0).
 */
static const struct mpd_param output_params[] = {
	REF_PARAMS,
	{ "after", MPD_PT_INT, MPD_PF_RANGE | MPD_PF_OUT, 0, MPD_MAX_ID,
	  offsetof(struct pargs, from), -1 },
	ARG_RANGE("max", MPD_PT_INT, 0, 1, MPD_MAX_ID, struct pargs, max),
	ARG_TIMEOUT(struct pargs, timeout),
	PARAMS_END,
};

static const char *const stdio_names[3] = { "stdin", "stdout", "stderr" };

static void *by_name(const char *name)
{
	return proctab_by_name(name);
}

static void *by_id(int64_t id)
{
	return proctab_by_id(id);
}

static uid_t owner(const void *obj, int64_t *id)
{
	const struct proc *p = obj;

	*id = p->id;
	return p->uid;
}

/* A process, by "id" or "name"; its owner's uid, or root's, may act on it. */
static const struct target_type process_target = {
	.noun = "process",
	.by_name = by_name,
	.by_id = by_id,
	.owner = owner,
};

/*
 * Answer r with p's record (with details: process.info), cut to fit the
 * room r's connection has for it; a client with no room left for even a
 * short record gets a limit error.
 */
static void reply_record(struct req *r, const struct proc *p, bool details)
{
	size_t len;
	char *text;
	int rc = proctab_record_text(p, details, req_budget(r), &text, &len);

	if (rc == -ENOSPC) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_output", "max",
				    (json_int_t)mpdd.opt.max_output),
			  "no room for the record of process %lld in the "
			  "unread output (max_output)",
			  (long long)p->id);
		return;
	}
	if (rc < 0) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	req_result_text(r, text, len);
	free(text);
}

/* True for strings without NUL bytes. */
static bool clean_string(json_t *s)
{
	return json_is_string(s) &&
	       strlen(json_string_value(s)) == json_string_length(s);
}

/*
 * Check stream i's stdio spec and normalise it into *out (a new
 * reference). Returns 1 for "pass", 0 for the others ("capture" too: its
 * pipe is made at the start), -1 with why (size bytes) saying what is
 * wrong. Shared with the pools (taskpool.c).
 */
int process_stdio_check(int i, json_t *spec, json_t **out, char *why,
			size_t size)
{
	const char *field = stdio_names[i];

	if (spec == NULL) {
		*out = json_string(i == 0 ? "null" : "inherit");
		return 0;
	}
	if (json_is_string(spec)) {
		const char *s = json_string_value(spec);

		if (strcmp(s, "null") == 0 || strcmp(s, "inherit") == 0 ||
		    strcmp(s, "pass") == 0) {
			*out = json_incref(spec);
			return strcmp(s, "pass") == 0;
		}
		if (i > 0 && strcmp(s, "capture") == 0) {
			*out = json_incref(spec);
			return 0;
		}
	} else if (json_is_object(spec)) {
		json_t *file = json_object_get(spec, "file");
		json_t *append = json_object_get(spec, "append");
		size_t known = 1 + (append != NULL);

		if (!clean_string(file) || json_string_length(file) == 0) {
			snprintf(why, size,
				 "\"%s\": \"file\" must be a non-empty path",
				 field);
			return -1;
		}
		if (append != NULL && !json_is_boolean(append)) {
			snprintf(why, size,
				 "\"%s\": \"append\" must be a boolean", field);
			return -1;
		}
		if (json_object_size(spec) != known) {
			snprintf(why, size,
				 "\"%s\": only \"file\" and \"append\" are "
				 "allowed",
				 field);
			return -1;
		}
		*out = json_pack("{s:O, s:b}", "file", file, "append",
				 append != NULL && json_is_true(append));
		return 0;
	}
	snprintf(why, size,
		 i == 0 ? "\"%s\": expected \"null\", \"inherit\", "
			  "\"pass\" or {\"file\": PATH}" :
			  "\"%s\": expected \"null\", \"inherit\", "
			  "\"pass\", \"capture\" or {\"file\": PATH}",
		 field);
	return -1;
}

/* process_stdio_check(), answering r with invalid_params. */
static int check_stdio(struct req *r, int i, json_t *spec, json_t **out)
{
	char why[256];
	int rc = process_stdio_check(i, spec, out, why, sizeof(why));

	if (rc < 0)
		req_bad_param(r, stdio_names[i], "%s", why);
	return rc;
}

/* Check the target params; returns the target object, or NULL with r
 * answered. */
static json_t *check_target(struct req *r, const struct pargs *in)
{
	json_t *argv = in->argv;
	json_t *module = in->module;
	json_t *function = in->function;
	json_t *args = in->args;
	json_t *v;
	size_t i;

	if (argv != NULL && (module != NULL || function != NULL)) {
		req_bad_param(r, "argv",
			      "give either \"argv\" or \"module\" and "
			      "\"function\", not both");
		return NULL;
	}
	if (argv != NULL) {
		if (args != NULL) {
			req_bad_param(r, "args",
				      "\"args\" goes with \"function\", not "
				      "\"argv\"");
			return NULL;
		}
		json_array_foreach (argv, i, v) {
			if (!clean_string(v)) {
				req_bad_param(
					r, "argv",
					"\"argv\"[%zu]: expected a string "
					"without NUL bytes",
					i);
				return NULL;
			}
		}
		if (json_string_length(json_array_get(argv, 0)) == 0) {
			req_bad_param(r, "argv",
				      "\"argv\"[0]: the program must not be "
				      "empty");
			return NULL;
		}
		return json_pack("{s:O}", "argv", argv);
	}
	if (module == NULL || function == NULL) {
		req_bad_param(
			r, module == NULL ? "module" : "function",
			module == NULL && function == NULL ?
				"missing target: give \"argv\", or "
				"\"module\" and \"function\"" :
				"\"module\" and \"function\" go together");
		return NULL;
	}
	if (!clean_string(module) || !clean_string(function)) {
		req_bad_param(
			r, "module",
			"\"module\" and \"function\" must not contain NUL "
			"bytes");
		return NULL;
	}
	return json_pack("{s:O, s:O}", "module", module, "function", function);
}

/* Check env: an object of strings with sane keys. Returns true, or false
 * with r answered. Shared with the pools. */
bool process_check_env(struct req *r, json_t *env)
{
	const char *key;
	json_t *v;

	json_object_foreach (env, key, v) {
		if (key[0] == '\0' || strchr(key, '=') != NULL) {
			req_bad_param(r, "env",
				      "\"env\": \"%s\" is not a variable name",
				      key);
			return false;
		}
		if (!clean_string(v)) {
			req_bad_param(
				r, "env",
				"\"env\".\"%s\": expected a string without "
				"NUL bytes",
				key);
			return false;
		}
	}
	return true;
}

static bool all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void output_wake(struct proc *p);
static void wait_wake(struct proc *p);

static void start_cancel(struct req *r)
{
	struct proc *p = r->park_arg;

	p->start_req = NULL;
}

/*
 * Start p (CREATED) with no request to answer: the core of process.start,
 * shared with the pools (taskpool.c), whose workers start without one.
 * Returns 0 when the start is under way (its outcome comes to
 * process_started() or process_start_failed()), or, with nothing changed:
 * -EAGAIN (max_processes live already), -EMFILE or -ENFILE (descriptors
 * run short), another -errno.
 */
int process_launch(struct proc *p)
{
	int rc = 0;

	if (proctab_live() >= mpdd.opt.max_processes)
		return -EAGAIN;
	/* Before anything is forked: a start that cannot get its
	 * descriptors is refused here, never lost after the fork. */
	if (!spawner_start_room(p)) {
		rc = -EMFILE;
	} else if ((rc = capture_open(p)) == 0 &&
		   (rc = spawner_prepare(p)) < 0) {
		capture_abort(p);
	}
	if (rc < 0)
		return rc;
	proctab_starting(p);
	spawner_start_proc(p);
	return 0;
}

/*
 * Answer r with why process_launch() refused p (rc). Returns rc.
 */
int process_launch_error(struct req *r, const struct proc *p, int rc)
{
	if (rc == -EAGAIN)
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_processes",
				    "max", (json_int_t)mpdd.opt.max_processes),
			  "%u processes are already running (max_processes)",
			  mpdd.opt.max_processes);
	else if (rc == -EMFILE || rc == -ENFILE)
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left to start a process "
			  "(limit %zu, %zu processes live)",
			  mpdd.fd_limit, proctab_live());
	else
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
			  "cannot start process %lld: %s", (long long)p->id,
			  strerror(-rc));
	return rc;
}

/* Start p (CREATED) and answer r when the template has its answer. */
static void start(struct req *r, struct proc *p)
{
	int rc;

	/* Parked first: a start that the spawner settles at once (no
	 * template could be forked) finds its starter. */
	p->start_req = r;
	req_park(r, NULL, start_cancel, NULL, p, -1);
	rc = process_launch(p);
	if (rc < 0) {
		p->start_req = NULL;
		process_launch_error(r, p, rc);
	}
}

/* The starter of p, taken off it (NULL when it has gone). */
static struct req *take_starter(struct proc *p)
{
	struct req *r = p->start_req;

	p->start_req = NULL;
	return r;
}

/* Bytes a parked process.join counts against max_broker_bytes (its
 * request and timer), as the broker's waiters count theirs: a client
 * cannot grow the daemon with joins it never lets end. */
#define JOIN_PARK_BYTES 384

/* A parked join is answered or cancelled: its bytes come back. */
static void join_unpark(struct req *r)
{
	broker_bytes(-JOIN_PARK_BYTES);
}

/* p ended: its joiners get its record. */
static void answer_joiners(struct proc *p)
{
	struct req *r;

	while ((r = TAILQ_FIRST(&p->joiners)) != NULL) {
		join_unpark(r);
		reply_record(r, p, false);
	}
}

/*
 * The spawner's reports. process_started(): p runs as pid, with pidfd
 * (ours now; -1 when there is none); its starter gets its record.
 * process_start_failed(): nothing of p ran; its starter gets
 * spawn_failed, its joiners its record. process_exited(): p ended with
 * wait status (known false: it was lost), if it was running; its
 * joiners get its record. Either end wakes the waits watching p.
 */
void process_started(struct proc *p, pid_t pid, int pidfd)
{
	struct req *r = take_starter(p);
	struct conn *c;

	proctab_started(p, pid, pidfd);
	/* The worker (or its process group) may have connected before this
	 * report: connections made since its start began are looked at
	 * again, so that what they hold follows the worker's life. */
	TAILQ_FOREACH_REVERSE (c, &mpdd.conns, conn_list, entry) {
		if (c->id <= p->conn_mark)
			break;
		if (c->proc_id == 0)
			c->proc_id = proctab_peer(c->pid);
	}
	if (r != NULL)
		reply_record(r, p, false);
	if (p->pool != NULL)
		pool_proc_started(p);
}

void process_start_failed(struct proc *p, const char *stage, int err,
			  const char *message)
{
	struct req *r = take_starter(p);
	char *where = NULL;
	json_t *data;

	/* A program that is not found: say where it was looked for. */
	if (strcmp(stage, "exec") == 0 &&
	    asprintf(&where, "%s (in %s)", message,
		     p->cwd != NULL ? p->cwd : "mpdd's directory") >= 0)
		message = where;
	else
		where = NULL;
	proctab_failed(p, stage, err, message);
	answer_joiners(p);
	wait_wake(p);
	if (r != NULL) {
		data = p->error != NULL ? json_copy(p->error) : NULL;
		/* Which record failed, so the caller can close it. */
		if (data != NULL)
			json_object_set_new(data, "id", json_integer(p->id));
		req_error(r, MPD_RPC_SPAWN_FAILED, data,
			  "cannot start process %lld (%s): %s: %s",
			  (long long)p->id, p->name, stage, message);
	}
	free(where);
	/* The pool closes its record: before the table drops it. */
	if (p->pool != NULL)
		pool_proc_ended(p);
	proctab_trim();
}

void process_exited(struct proc *p, int status, bool known)
{
	if (!proctab_exited(p, status, known))
		return;
	answer_joiners(p);
	wait_wake(p);
	sync_proc_exited(p->id);
	if (p->pool != NULL)
		pool_proc_ended(p);
	/* The table drops what it no longer keeps (p too, perhaps) once
	 * what ended is answered. */
	proctab_trim();
}

/*
 * Check "fds", the names of the descriptors the worker is given: an
 * array of at most MPD_MAX_FDS_PER_MESSAGE distinct names (proto.h's
 * rule). Returns true, or false with r answered.
 */
static bool check_fd_names(struct req *r, json_t *names)
{
	json_t *v;
	size_t i;

	if (!json_is_array(names)) {
		req_bad_param(r, "fds",
			      "\"fds\": expected an array of names, one for "
			      "each descriptor passed with the request");
		return false;
	}
	if (json_array_size(names) > MPD_MAX_FDS_PER_MESSAGE) {
		req_bad_param(r, "fds",
			      "\"fds\": %zu names, but at most %d descriptors "
			      "travel with one request",
			      json_array_size(names), MPD_MAX_FDS_PER_MESSAGE);
		return false;
	}
	json_array_foreach (names, i, v) {
		if (!json_is_string(v)) {
			req_bad_param(r, "fds",
				      "\"fds\"[%zu]: expected a string, a "
				      "descriptor's name",
				      i);
			return false;
		}
		if (!mpd_fd_name_ok(json_string_value(v),
				    json_string_length(v))) {
			req_bad_param(
				r, "fds",
				"\"fds\"[%zu]: \"%.*s\" is not a descriptor "
				"name: 1 to %d bytes of A-Z, a-z, 0-9, '_', "
				"'.' and '-'",
				i,
				(int)(json_string_length(v) > 80 ?
					      80 :
					      json_string_length(v)),
				json_string_value(v), MPD_MAX_FD_NAME);
			return false;
		}
		for (size_t k = 0; k < i; k++) {
			if (json_equal(json_array_get(names, k), v)) {
				req_bad_param(r, "fds",
					      "\"fds\"[%zu]: \"%s\" is named "
					      "twice (\"fds\"[%zu] too)",
					      i, json_string_value(v), k);
				return false;
			}
		}
	}
	return true;
}

/*
 * Claim the next descriptors of the line, one for each name of "fds"
 * (checked), into *wfds (malloc'd; NULL when there are none) and *n: the
 * descriptors the worker is given come first, before those of the "pass"
 * streams. Returns true, or false with r answered and nothing claimed.
 */
static bool claim_fds(struct req *r, json_t *names, int **wfds, int *n)
{
	struct conn *c = r->conn;
	int want = (int)json_array_size(names), got = 0, k = 0;
	int *fds;

	*wfds = NULL;
	*n = 0;
	if (want == 0)
		return true;
	for (int i = 0; i < c->line_nfds; i++)
		got += c->line_fds[i] >= 0;
	if (got < want) {
		req_bad_param(r, "fds",
			      "\"fds\" names %d descriptor%s but %d came with "
			      "the request: send one (SCM_RIGHTS) for each "
			      "name, in the order named, before those of "
			      "\"pass\" streams",
			      want, want == 1 ? "" : "s", got);
		return false;
	}
	fds = malloc(sizeof(*fds) * (size_t)want);
	if (fds == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return false;
	}
	for (int i = 0; i < want; i++) {
		while (c->line_fds[k] < 0)
			k++;
		fds[i] = c->line_fds[k];
		c->line_fds[k++] = -1;
	}
	*wfds = fds;
	*n = want;
	return true;
}

/*
 * Check the three stdio specs into *stdio (a new array) and claim a
 * descriptor of the line for each "pass" stream into fds: the line's
 * descriptors go to the "pass" streams in the order the requests and the
 * streams come, so a batch can create several processes with one
 * sendmsg(). Returns true, or false with r answered (and nothing claimed:
 * descriptors taken are closed).
 */
static bool claim_stdio(struct req *r, const struct pargs *in, json_t **stdio,
			int fds[3], int nnamed)
{
	struct conn *c = r->conn;
	json_t *spec = NULL;
	int rc, k = 0, left = 0;

	*stdio = json_array();
	if (*stdio == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return false;
	}
	for (int i = 0; i < 3; i++) {
		rc = check_stdio(r, i, in->stdio[i], &spec);
		if (rc < 0)
			goto fail;
		json_array_append_new(*stdio, spec);
		if (rc == 0)
			continue;
		while (k < c->line_nfds && c->line_fds[k] < 0)
			k++;
		if (k == c->line_nfds) {
			req_bad_param(
				r, stdio_names[i],
				"\"%s\" is \"pass\" but no descriptor came "
				"for it: send one with the request (SCM_RIGHTS)"
				" for each \"pass\" stream",
				stdio_names[i]);
			goto fail;
		}
		fds[i] = c->line_fds[k];
		c->line_fds[k++] = -1;
	}
	for (; k < c->line_nfds; k++)
		left += c->line_fds[k] >= 0;
	/* A lone request's descriptors are all its own: one too many is a
	 * mistake. A batch's may be for its later members. */
	if (r->batch == NULL && left > 0) {
		int i = 0;

		while (i < 2 && fds[i] >= 0)
			i++;
		req_bad_param(r, in->fds != NULL ? "fds" : stdio_names[i],
			      "%d descriptor%s came with the request that no "
			      "name of \"fds\" and no \"pass\" stream takes "
			      "(it names %d and has %d \"pass\" stream%s)",
			      left, left == 1 ? "" : "s", nnamed,
			      (fds[0] >= 0) + (fds[1] >= 0) + (fds[2] >= 0),
			      (fds[0] >= 0) + (fds[1] >= 0) + (fds[2] >= 0) ==
					      1 ?
				      "" :
				      "s");
		goto fail;
	}
	return true;
fail:
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	json_decref(*stdio);
	*stdio = NULL;
	return false;
}

/* Refuse a name that old holds. Its owner learns what it is and how to
 * free the name (an ended record keeps it until it is closed); another
 * user learns only that the name is taken. */
static void name_taken(struct req *r, const struct proc *old)
{
	bool ended = old->state == PROC_EXITED || old->state == PROC_FAILED;
	const char *state = proctab_state_name(old->state);

	if (!req_may_access(r, old->uid)) {
		req_error(r, MPD_RPC_EXISTS, NULL,
			  "a process named \"%s\" exists (another user's)",
			  old->name);
		return;
	}
	req_error(r, MPD_RPC_EXISTS,
		  json_pack("{s:I, s:s}", "id", (json_int_t)old->id, "state",
			    state),
		  ended ? "a process named \"%s\" exists (id %lld, %s): "
			  "close it to free the name" :
			  "a process named \"%s\" exists (id %lld, %s)",
		  old->name, (long long)old->id, state);
}

/*
 * A new record made of s (checked): it takes s's target, stdio and
 * descriptors, and references to the rest. Returns it (CREATED, not
 * started), or NULL when out of memory, with nothing of s taken.
 */
struct proc *process_make(const struct proc_spec *s)
{
	struct proc *p = proctab_new(s->name, s->uid, s->gid, s->cost);

	if (p != NULL && s->capture && capture_new(p, output_wake) < 0) {
		proctab_free(p);
		p = NULL;
	}
	if (p == NULL)
		return NULL;
	if (s->cwd != NULL && (p->cwd = strdup(s->cwd)) == NULL) {
		proctab_free(p);
		return NULL;
	}
	if (s->ngroups > 0) {
		p->groups = malloc(sizeof(gid_t) * (size_t)s->ngroups);
		if (p->groups == NULL) {
			proctab_free(p);
			return NULL;
		}
		memcpy(p->groups, s->groups,
		       sizeof(gid_t) * (size_t)s->ngroups);
		p->ngroups = s->ngroups;
	}
	p->target = s->target;
	p->args = json_incref(s->args);
	p->env = json_incref(s->env);
	p->env_clear = s->env_clear;
	p->stdio = s->stdio;
	p->spawn_method = s->spawn;
	for (int i = 0; i < 3; i++) {
		p->fds[i] = s->fds[i];
		if (s->fds[i] >= 0)
			mpdd.fd_procs++;
	}
	if (s->nwfds > 0) {
		p->fdnames = json_incref(s->fdnames);
		p->wfds = s->wfds;
		p->nwfds = s->nwfds;
		mpdd.fd_procs += (size_t)s->nwfds;
	}
	return p;
}

static void process_create(struct req *r, json_t *params, void *argp)
{
	const struct pargs *in = argp;
	json_t *name = in->name;
	json_t *env = in->env;
	json_t *method = in->start_method;
	json_t *cwd = in->cwd;
	json_t *args = in->args;
	json_t *target = NULL, *stdio = NULL;
	bool want_start = in->start;
	struct conn *c = r->conn;
	const struct proc *old;
	int fds[3] = { -1, -1, -1 };
	int *wfds = NULL, nwfds = 0, held;
	const char *limit;
	uint64_t cost, max;
	bool capture;
	struct proc *p;

	/* First, so that each request of a batch claims its descriptors
	 * whatever else is wrong with it: those named in "fds", then one
	 * for each "pass" stream. */
	if (in->fds != NULL && (!check_fd_names(r, in->fds) ||
				!claim_fds(r, in->fds, &wfds, &nwfds)))
		return;
	if (!claim_stdio(r, in, &stdio, fds, nwfds)) {
		for (int i = 0; i < nwfds; i++)
			close(wfds[i]);
		free(wfds);
		return;
	}
	target = check_target(r, in);
	if (target == NULL)
		goto fail;
	if (env != NULL && !process_check_env(r, env))
		goto fail;
	if (method != NULL &&
	    strcmp(json_string_value(method), "forkserver") != 0 &&
	    strcmp(json_string_value(method), "spawn") != 0) {
		req_bad_param(
			r, "start_method",
			"\"start_method\": \"%s\" is not \"forkserver\" or "
			"\"spawn\"",
			json_string_value(method));
		goto fail;
	}
	if (cwd != NULL && !clean_string(cwd)) {
		req_bad_param(r, "cwd", "\"cwd\" must not contain NUL bytes");
		goto fail;
	}
	if (name != NULL) {
		const char *n = json_string_value(name);

		if (!req_name_ok(r, name))
			goto fail;
		if (all_digits(n)) {
			req_bad_param(
				r, "name",
				"\"name\": \"%s\" is all digits and would "
				"read as an id",
				n);
			goto fail;
		}
		if ((old = proctab_by_name(n)) != NULL) {
			name_taken(r, old);
			goto fail;
		}
	}
	/* A record that will not start at once waits as created, and what
	 * waits is bounded. */
	cost = proctab_cost(json_string_value(name), json_string_value(cwd),
			    target, args, env, stdio, in->fds);
	if ((!want_start || proctab_live() >= mpdd.opt.max_processes) &&
	    (limit = proctab_created_limit(c->uid, cost, &max)) != NULL) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", limit, "max",
				    (json_int_t)max),
			  "too many processes created and not started "
			  "(%s %llu): start or close some first",
			  limit, (unsigned long long)max);
		goto fail;
	}

	/* The descriptors it holds until it starts are bounded by what the
	 * daemon has to spare, as a start's are (spawner_start_room()). */
	held = nwfds + (fds[0] >= 0) + (fds[1] >= 0) + (fds[2] >= 0);
	if (held > 0 && !spawner_hold_room((size_t)held)) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left to hold the %d "
			  "descriptor%s of a process (limit %zu): start or "
			  "close some first",
			  held, held == 1 ? "" : "s", mpdd.fd_limit);
		goto fail;
	}

	capture = capture_spec(json_array_get(stdio, 1)) ||
		  capture_spec(json_array_get(stdio, 2));
	if (capture && !capture_room(&max)) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_capture_bytes",
				    "max", (json_int_t)max),
			  "the output rings of capturing processes would pass "
			  "%llu bytes (max_capture_bytes): close some first",
			  (unsigned long long)max);
		goto fail;
	}

	p = process_make(&(struct proc_spec){
		.name = name != NULL ? json_string_value(name) : NULL,
		.uid = c->uid,
		.gid = c->gid,
		.groups = c->groups,
		.ngroups = c->ngroups,
		.cost = cost,
		.target = target,
		.args = args,
		.env = env,
		.env_clear = in->env_clear,
		.cwd = json_string_value(cwd),
		.stdio = stdio,
		.fds = { fds[0], fds[1], fds[2] },
		.wfds = wfds,
		.nwfds = nwfds,
		.fdnames = in->fds,
		.spawn = method != NULL &&
			 strcmp(json_string_value(method), "spawn") == 0,
		.capture = capture,
	});
	if (p == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		goto fail;
	}
	p->daemonic = in->daemon;
	p->ctty = in->ctty;
	/* A worker may connect before its start is reported (its record
	 * then has no pid yet): look again. */
	if (c->proc_id == 0)
		c->proc_id = proctab_peer(c->pid);
	p->parent = c->proc_id;
	p->owner = c;
	log_debug("process %lld (%s): created by connection %llu",
		  (long long)p->id, p->name, (unsigned long long)c->id);
	events_emit_process(p, "created");
	if (want_start)
		start(r, p);
	else
		reply_record(r, p, false);
	return;
fail:
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (int i = 0; i < nwfds; i++)
		close(wfds[i]);
	free(wfds);
	json_decref(target);
	json_decref(stdio);
}

static void process_start(struct req *r, json_t *params, void *argp)
{
	struct proc *p = ((struct pargs *)argp)->p;

	if (p->state != PROC_CREATED) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "process %lld is %s: a process starts only once",
			  (long long)p->id, proctab_state_name(p->state));
		return;
	}
	start(r, p);
}

static void join_expire(struct req *r)
{
	join_unpark(r);
	reply_record(r, r->park_arg, false);
}

/* Answer r with p's record when p ends, or when "timeout" seconds pass. */
static void process_join(struct req *r, json_t *params, void *argp)
{
	double timeout = ((struct pargs *)argp)->timeout;
	struct proc *p = ((struct pargs *)argp)->p;

	if (isinf(timeout))
		timeout = -1;
	else if (timeout < 0)
		timeout = 0;
	if (p->state == PROC_CREATED) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "process %lld was never started", (long long)p->id);
		return;
	}
	if (p->state == PROC_EXITED || p->state == PROC_FAILED ||
	    timeout == 0) {
		reply_record(r, p, false);
		return;
	}
	if (!broker_room(r, 0, JOIN_PARK_BYTES))
		return;
	if (req_park(r, &p->joiners, join_unpark, join_expire, p, timeout) == 0)
		broker_bytes(JOIN_PARK_BYTES);
}

static void send_signal(struct req *r, const struct pargs *in, struct proc *p,
			int sig)
{
	int rc;

	rc = proctab_signal(p, sig, in->group);
	if (rc < 0) {
		req_error(r, MPD_RPC_INTERNAL_ERROR,
			  json_pack("{s:i}", "errno", -rc),
			  "cannot signal process %lld: %s", (long long)p->id,
			  strerror(-rc));
		return;
	}
	reply_record(r, p, false);
}

static void process_terminate(struct req *r, json_t *params, void *argp)
{
	send_signal(r, argp, ((struct pargs *)argp)->p, SIGTERM);
}

static void process_kill(struct req *r, json_t *params, void *argp)
{
	send_signal(r, argp, ((struct pargs *)argp)->p, SIGKILL);
}

static void process_signal(struct req *r, json_t *params, void *argp)
{
	json_t *s = ((struct pargs *)argp)->signal;
	struct proc *p;
	char buf[32];
	int sig = -1;

	if (json_is_integer(s)) {
		json_int_t n = json_integer_value(s);

		if (n >= 1 && n <= SIGRTMAX &&
		    mpd_signal_name((int)n, buf, sizeof(buf)) != NULL)
			sig = (int)n;
	} else if (clean_string(s)) {
		sig = mpd_signal_number(json_string_value(s));
	}
	if (sig <= 0) {
		req_bad_param(r, "signal",
			      "\"signal\": expected a signal number or name "
			      "(\"SIGTERM\", \"TERM\", 15)");
		return;
	}
	/* The signal is checked before the process is looked up. */
	p = req_target(r, &process_target, params);
	if (p != NULL)
		send_signal(r, argp, p, sig);
}

static void process_info(struct req *r, json_t *params, void *argp)
{
	reply_record(r, ((struct pargs *)argp)->p, true);
}

/* A growing text buffer. */
struct tbuf {
	char *s;
	size_t len, cap;
};

/* Append n bytes of t; returns 0, or -1 when out of memory. */
static int tbuf_add(struct tbuf *b, const char *t, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		char *ns;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		ns = realloc(b->s, ncap);
		if (ns == NULL)
			return -1;
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, t, n);
	b->len += n;
	return 0;
}

/* Bytes of the page's text around its rows: {"processes":[],"next":N}. */
#define PAGE_FRAME 64

/*
 * A page of the caller's records in id order, after the "after" id: as
 * many as "limit" allows and the connection has room for (each row a
 * summary, see proctab_record_text()). "next" is the id to pass as
 * "after" for the next page, or null when this page ends the listing.
 */
static void process_list(struct req *r, json_t *params, void *argp)
{
	const struct pargs *in = argp;
	const char *state = in->state;
	json_t *prefix = in->name_prefix;
	size_t plen = prefix != NULL ? json_string_length(prefix) : 0;
	size_t max = in->limit != 0 ? (size_t)in->limit : SIZE_MAX;
	size_t budget = req_budget(r), n = 0, len, i;
	struct tbuf b = { 0 };
	int64_t last = 0;
	bool more = false;
	char *row, tail[64];
	int want = -1, rc;

	if (state != NULL && (want = proctab_state_parse(state)) < 0) {
		req_bad_param(r, "state",
			      "\"state\": \"%s\" is not created, starting, "
			      "running, exited or failed",
			      state);
		return;
	}
	if (tbuf_add(&b, "{\"processes\":[", 14) == -1)
		goto nomem;
	i = proctab_after(in->after);
	for (; i < proctab_count(); i++) {
		struct proc *p = proctab_at(i);

		if (!req_may_access(r, p->uid) ||
		    (want >= 0 && (int)p->state != want) ||
		    (prefix != NULL &&
		     strncmp(p->name, json_string_value(prefix), plen) != 0) ||
		    (in->parent != 0 && p->parent != in->parent))
			continue;
		if (n == max) {
			more = true;
			break;
		}
		/* The first row is cut to fit if it must; the others wait
		 * for the next page instead. */
		rc = proctab_record_text(p, false,
					 n == 0 && budget > PAGE_FRAME ?
						 budget - PAGE_FRAME :
						 SIZE_MAX,
					 &row, &len);
		if (rc == -ENOMEM)
			goto nomem;
		if (rc < 0 || b.len + len + 1 + PAGE_FRAME > budget) {
			if (rc == 0)
				free(row);
			if (n == 0) {
				free(b.s);
				req_error(r, MPD_RPC_LIMIT,
					  json_pack("{s:s, s:I}", "limit",
						    "max_output", "max",
						    (json_int_t)mpdd.opt
							    .max_output),
					  "no room for a process record in the "
					  "unread output (max_output)");
				return;
			}
			more = true;
			break;
		}
		rc = (n > 0 ? tbuf_add(&b, ",", 1) : 0) ||
		     tbuf_add(&b, row, len);
		free(row);
		if (rc != 0)
			goto nomem;
		n++;
		last = p->id;
	}
	if (more)
		snprintf(tail, sizeof(tail), "],\"next\":%lld}",
			 (long long)last);
	else
		snprintf(tail, sizeof(tail), "],\"next\":null}");
	if (tbuf_add(&b, tail, strlen(tail)) == -1)
		goto nomem;
	req_result_text(r, b.s, b.len);
	free(b.s);
	return;
nomem:
	free(b.s);
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

/* Bytes of a process.output result around its "data" string, at most:
 * {"data":"","offset":N,"next":N,"end":N,"dropped":N,"ended":false}. */
#define OUTPUT_FRAME 192

/* A parked process.output: where it reads from, how much. */
struct output_wait {
	struct proc *p;
	int64_t after;
	size_t max;
};

/*
 * Answer r with what p's ring holds after "after" (see capture_text()).
 * Returns false, answering nothing, when there is nothing to send yet and
 * the stream goes on, if wait says r may wait.
 */
static bool output_answer(struct req *r, struct proc *p, int64_t after,
			  size_t max, bool wait)
{
	size_t budget = req_budget(r);
	struct capture_out o;
	json_t *res;
	int rc;

	budget = budget > OUTPUT_FRAME ? budget - OUTPUT_FRAME : 0;
	rc = capture_text(p, after, max == 0 ? SIZE_MAX : max, budget, &o);
	if (rc == -ERANGE) {
		req_bad_param(r, "after",
			      "\"after\": %lld is past the end of the output "
			      "of process %lld",
			      (long long)after, (long long)p->id);
		return true;
	}
	if (rc == -ENOSPC) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_output", "max",
				    (json_int_t)mpdd.opt.max_output),
			  "no room for output in the unread output "
			  "(max_output)");
		return true;
	}
	if (rc < 0) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return true;
	}
	if (wait && o.len == 0 && o.dropped == 0 && !o.ended) {
		free(o.text);
		return false;
	}
	res = json_pack("{s:s%, s:I, s:I, s:I, s:I, s:b}", "data", o.text,
			o.len, "offset", (json_int_t)o.offset, "next",
			(json_int_t)o.next, "end", (json_int_t)o.end, "dropped",
			(json_int_t)o.dropped, "ended", o.ended);
	free(o.text);
	if (res == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return true;
	}
	req_result(r, res);
	return true;
}

static void output_cancel(struct req *r)
{
	free(r->park_arg);
}

static void output_expire(struct req *r)
{
	struct output_wait *w = r->park_arg;

	r->park_arg = NULL;
	output_answer(r, w->p, w->after, w->max, false);
	free(w);
}

/* Bytes or EOF came to p's ring: its waiters that have something now get
 * it; the others (a character still cut short) wait on, in their order. */
static void output_wake(struct proc *p)
{
	struct req_list *q = capture_waiters(p), still;
	struct req *r;

	TAILQ_INIT(&still);
	while ((r = TAILQ_FIRST(q)) != NULL) {
		struct output_wait *w = r->park_arg;

		req_unwait(r);
		if (output_answer(r, p, w->after, w->max, true)) {
			free(w);
			continue;
		}
		r->waitq = &still;
		TAILQ_INSERT_TAIL(&still, r, wait_entry);
	}
	while ((r = TAILQ_FIRST(&still)) != NULL) {
		TAILQ_REMOVE(&still, r, wait_entry);
		r->waitq = q;
		TAILQ_INSERT_TAIL(q, r, wait_entry);
	}
}

/*
 * What p wrote to its "capture" streams, from "after"; with a timeout,
 * when there is nothing yet and the stream goes on, wait for bytes or
 * the end.
 */
static void process_output(struct req *r, json_t *params, void *argp)
{
	const struct pargs *in = argp;
	struct proc *p = in->p;
	struct output_wait *w;

	if (p->capture == NULL) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "process %lld does not capture its output: create "
			  "it with \"stdout\" or \"stderr\" \"capture\"",
			  (long long)p->id);
		return;
	}
	if (output_answer(r, p, in->from, (size_t)in->max, in->timeout > 0))
		return;
	w = malloc(sizeof(*w));
	if (w == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	*w = (struct output_wait){ p, in->from, (size_t)in->max };
	if (req_park(r, capture_waiters(p), output_cancel, output_expire, w,
		     in->timeout) < 0)
		free(w);
}

/*
 * process.wait: one request that waits for many records to end, any or
 * all of them (Python's concurrent.futures.wait()). It is parked on no
 * list of its own: each record it watches carries one struct pwatch of
 * it on its watchers list, so that an end wakes only the waits watching
 * that record, each once. A wait leaves every list at once (wait_free())
 * when it is answered, when its timeout passes, when its connection
 * closes, and when a record it watches is freed (process_forget()).
 */
struct pwatch {
	TAILQ_ENTRY(pwatch) entry; /* on p->watchers */
	struct proc *p;
	struct pwait *w;
};

struct pwait {
	struct req *r; /* the request, parked while it waits */
	bool all; /* "return_when": "all" */
	size_t n; /* records watched, each once */
	size_t nended; /* of them, those that have ended */
	uint64_t charged; /* bytes counted against max_broker_bytes */
	struct pwatch watch[]; /* in the order the params first name them */
};

/* process.wait's params; "ids" and "names" are checked by the handler. */
struct wargs {
	json_t *ids, *names;
	const char *return_when; /* NULL: not given ("any") */
	double timeout; /* -1: not given */
};

static const struct mpd_param wait_params[] = {
	ARG("ids", MPD_PT_ARRAY, 0, struct wargs, ids),
	ARG("names", MPD_PT_ARRAY, 0, struct wargs, names),
	ARG("return_when", MPD_PT_STRING, 0, struct wargs, return_when),
	ARG_TIMEOUT(struct wargs, timeout),
	PARAMS_END,
};

/* Bytes a parked process.wait counts against max_broker_bytes besides
 * its watches: its request, as the broker's waiters count theirs. */
#define WAIT_PARK_BYTES 384

/* Bytes of a process.wait result besides its records' and ids' text:
 * {"done":[],"pending":[]}. */
#define WAIT_FRAME 32

static bool proc_ended(const struct proc *p)
{
	return p->state == PROC_EXITED || p->state == PROC_FAILED;
}

/* Take w off the watchers lists of its records, and free it. */
static void wait_free(struct pwait *w)
{
	for (size_t i = 0; i < w->n; i++)
		TAILQ_REMOVE(&w->watch[i].p->watchers, &w->watch[i], entry);
	broker_bytes(-(int64_t)w->charged);
	free(w);
}

/*
 * The text of w's result into b, at most budget bytes:
 * {"done": [records of the ended, as summaries], "pending": [ids]}, each
 * list in the order of the params. When the records do not fit together,
 * each larger than an equal share of the room is cut to that share (see
 * proctab_record_text()). Returns 0, -ENOSPC when even the shortest
 * records do not fit, or -ENOMEM.
 */
static int wait_text(const struct pwait *w, size_t budget, struct tbuf *b)
{
	struct tbuf pend = { 0 };
	char **text = calloc(w->n, sizeof(*text)), num[32];
	size_t *len = calloc(w->n, sizeof(*len));
	size_t sum = 0, ndone = 0, frame, share, i;
	int rc = 0, k;

	if (text == NULL || len == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < w->n && rc == 0; i++) {
		const struct proc *p = w->watch[i].p;

		if (!proc_ended(p)) {
			k = snprintf(num, sizeof(num), "%s%lld",
				     pend.len > 0 ? "," : "", (long long)p->id);
			if (tbuf_add(&pend, num, (size_t)k) == -1)
				rc = -ENOMEM;
			continue;
		}
		rc = proctab_record_text(p, false, SIZE_MAX, &text[i], &len[i]);
		sum += len[i] + 1;
		ndone++;
	}
	if (rc != 0)
		goto out;
	frame = WAIT_FRAME + pend.len;
	if (frame > budget || (ndone > 0 && budget - frame < ndone)) {
		rc = -ENOSPC;
		goto out;
	}
	if (frame + sum > budget) {
		/* Room for each record and its comma. */
		share = (budget - frame) / ndone - 1;
		for (i = 0; i < w->n && rc == 0; i++) {
			if (text[i] == NULL || len[i] <= share)
				continue;
			free(text[i]);
			text[i] = NULL;
			rc = proctab_record_text(w->watch[i].p, false, share,
						 &text[i], &len[i]);
		}
		if (rc != 0)
			goto out;
	}
	rc = tbuf_add(b, "{\"done\":[", 9);
	for (i = 0, k = 0; i < w->n && rc == 0; i++) {
		if (text[i] == NULL)
			continue;
		rc = (k++ > 0 ? tbuf_add(b, ",", 1) : 0) ||
		     tbuf_add(b, text[i], len[i]);
	}
	if (rc == 0)
		rc = tbuf_add(b, "],\"pending\":[", 13) ||
		     (pend.len > 0 ? tbuf_add(b, pend.s, pend.len) : 0) ||
		     tbuf_add(b, "]}", 2);
	if (rc != 0)
		rc = -ENOMEM;
out:
	for (i = 0; text != NULL && i < w->n; i++)
		free(text[i]);
	free(text);
	free(len);
	free(pend.s);
	return rc;
}

/* Answer r with what w has ended and what not, and free w. */
static void wait_answer(struct req *r, struct pwait *w)
{
	struct tbuf b = { 0 };
	int rc = wait_text(w, req_budget(r), &b);
	size_t n = w->n;

	wait_free(w);
	if (rc == -ENOSPC) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_output", "max",
				    (json_int_t)mpdd.opt.max_output),
			  "no room for the records of %zu processes in the "
			  "unread output (max_output)",
			  n);
	} else if (rc < 0) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
	} else {
		req_result_text(r, b.s, b.len);
	}
	free(b.s);
}

static void wait_cancel(struct req *r)
{
	wait_free(r->park_arg);
}

static void wait_expire(struct req *r)
{
	wait_answer(r, r->park_arg);
}

/* p ended: each wait watching it counts it, and those whose condition
 * now holds are answered. */
static void wait_wake(struct proc *p)
{
	struct pwatch *e, *next;

	for (e = TAILQ_FIRST(&p->watchers); e != NULL; e = next) {
		struct pwait *w = e->w;

		/* Answering w takes only e off this list: a connection's
		 * close waits for the loop, so no other wait leaves now. */
		next = TAILQ_NEXT(e, entry);
		w->nended++;
		if (!w->all || w->nended == w->n)
			wait_answer(w->r, w);
	}
}

/*
 * p's record is about to be freed (process.close, or dropped past
 * max_exited): the waits watching it are answered now, while the record
 * can still be sent, with what has ended and what not. Only a wait for
 * "all" can still be watching an ended record.
 */
void process_forget(struct proc *p)
{
	struct pwatch *e;

	while ((e = TAILQ_FIRST(&p->watchers)) != NULL)
		wait_answer(e->w->r, e->w);
}

/* data for an error about entry i of "ids" (id > 0) or "names". */
static json_t *wait_entry_data(const char *field, size_t i, int64_t id)
{
	json_t *data =
		json_pack("{s:s, s:I}", "field", field, "index", (json_int_t)i);

	if (data != NULL && id > 0)
		json_object_set_new(data, "id", json_integer(id));
	return data;
}

/*
 * The record that entry i of "ids" (name NULL: id) or of "names" (name)
 * names, with the checks process.join makes: found, the caller's own (or
 * the caller is root), started. Returns it, or NULL with r answered, the
 * error's data naming the entry ("field", "index", and "id" when the
 * caller may know it).
 */
static struct proc *wait_lookup(struct req *r, size_t i, int64_t id,
				const char *name)
{
	const char *field = name != NULL ? "names" : "ids";
	struct proc *p = name != NULL ? proctab_by_name(name) :
					proctab_by_id(id);

	if (p == NULL) {
		if (name != NULL)
			req_error(r, MPD_RPC_NOT_FOUND,
				  wait_entry_data(field, i, 0),
				  "no process named \"%s\" (\"names\"[%zu])",
				  name, i);
		else
			req_error(r, MPD_RPC_NOT_FOUND,
				  wait_entry_data(field, i, id),
				  "no process with id %lld (\"ids\"[%zu])",
				  (long long)id, i);
		return NULL;
	}
	if (!req_may_access(r, p->uid)) {
		/* By name, its id stays untold, as with one process. */
		if (name != NULL)
			req_error(r, MPD_RPC_PERMISSION_DENIED,
				  wait_entry_data(field, i, 0),
				  "process \"%s\" belongs to uid %ld "
				  "(\"names\"[%zu])",
				  name, (long)p->uid, i);
		else
			req_error(r, MPD_RPC_PERMISSION_DENIED,
				  wait_entry_data(field, i, id),
				  "process %lld belongs to uid %ld "
				  "(\"ids\"[%zu])",
				  (long long)id, (long)p->uid, i);
		return NULL;
	}
	if (p->state == PROC_CREATED) {
		req_error(r, MPD_RPC_INVALID_STATE,
			  wait_entry_data(field, i, p->id),
			  "process %lld was never started (\"%s\"[%zu])",
			  (long long)p->id, field, i);
		return NULL;
	}
	return p;
}

/*
 * Check the shape of "ids" and "names": together 1 to MPD_MAX_WAIT
 * entries, ids integers from 1, names non-empty strings. Returns true, or
 * false with r answered.
 */
static bool wait_check(struct req *r, const struct wargs *in)
{
	size_t nids = json_array_size(in->ids);
	size_t n = nids + json_array_size(in->names), i;
	const char *field = in->ids != NULL || in->names == NULL ? "ids" :
								   "names";
	json_t *v;

	if (n == 0) {
		req_bad_param(r, field,
			      "give \"ids\" or \"names\": at least one process "
			      "to wait for");
		return false;
	}
	if (n > MPD_MAX_WAIT) {
		req_error(r, MPD_RPC_INVALID_PARAMS,
			  json_pack("{s:s, s:i}", "field",
				    nids > 0 ? "ids" : "names", "max",
				    MPD_MAX_WAIT),
			  "%zu processes to wait for: at most %d (\"ids\" and "
			  "\"names\" together)",
			  n, MPD_MAX_WAIT);
		return false;
	}
	json_array_foreach (in->ids, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > MPD_MAX_ID) {
			req_bad_param(r, "ids",
				      "\"ids\"[%zu]: expected a process id (an "
				      "integer from 1)",
				      i);
			return false;
		}
	}
	json_array_foreach (in->names, i, v) {
		if (!clean_string(v) || json_string_length(v) == 0) {
			req_bad_param(r, "names",
				      "\"names\"[%zu]: expected a process name "
				      "(a non-empty string without NUL bytes)",
				      i);
			return false;
		}
	}
	return true;
}

/*
 * Answer r when any (or, with "return_when": "all", every) of the
 * processes named in "ids" and "names" has ended, or when "timeout"
 * seconds pass, with {"done": [records], "pending": [ids]}. Every entry
 * is checked before anything waits; a process named twice is watched
 * once.
 */
static void process_wait(struct req *r, json_t *params, void *argp)
{
	const struct wargs *in = argp;
	size_t nids = json_array_size(in->ids);
	size_t n = nids + json_array_size(in->names), i;
	uint64_t cost;
	struct proc **ps = NULL, *p;
	struct pwait *w = NULL;
	struct pwatch *last;

	if (r->id == NULL) {
		/* Its reply is all it does, and a notification gets none:
		 * nothing is parked for it. */
		log_debug("connection %llu: process.wait as a notification: "
			  "not run",
			  (unsigned long long)r->conn->id);
		req_result(r, NULL);
		return;
	}
	if (in->return_when != NULL && strcmp(in->return_when, "any") != 0 &&
	    strcmp(in->return_when, "all") != 0) {
		req_bad_param(r, "return_when",
			      "\"return_when\": \"%s\" is not \"any\" or "
			      "\"all\"",
			      in->return_when);
		return;
	}
	if (!wait_check(r, in))
		return;
	ps = malloc(n * sizeof(*ps));
	w = calloc(1, sizeof(*w) + n * sizeof(w->watch[0]));
	if (ps == NULL || w == NULL) {
		free(ps);
		free(w);
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		ps[i] = i < nids ?
				wait_lookup(r, i,
					    json_integer_value(
						    json_array_get(in->ids, i)),
					    NULL) :
				wait_lookup(r, i - nids, 0,
					    json_string_value(json_array_get(
						    in->names, i - nids)));
		if (ps[i] == NULL) {
			free(ps);
			free(w);
			return;
		}
	}
	w->r = r;
	w->all = in->return_when != NULL && strcmp(in->return_when, "all") == 0;
	for (i = 0; i < n; i++) {
		p = ps[i];
		/* Named before: this wait's entry is the last on p's list,
		 * since nothing else ran since it was added. */
		last = TAILQ_LAST(&p->watchers, pwatch_list);
		if (last != NULL && last->w == w)
			continue;
		w->watch[w->n] = (struct pwatch){ .p = p, .w = w };
		TAILQ_INSERT_TAIL(&p->watchers, &w->watch[w->n], entry);
		w->n++;
		if (proc_ended(p))
			w->nended++;
	}
	free(ps);
	if (in->timeout == 0 || (w->all ? w->nended == w->n : w->nended > 0)) {
		wait_answer(r, w);
		return;
	}
	/* A parked wait is kept for as long as it waits, and a client can
	 * park any number: each counts what it holds (its watches, as
	 * many as it named, and its request) against max_broker_bytes, as
	 * the broker's waiters do. */
	cost = WAIT_PARK_BYTES + n * sizeof(w->watch[0]);
	if (!broker_room(r, 0, cost)) {
		wait_free(w);
		return;
	}
	broker_bytes((int64_t)cost);
	w->charged = cost;
	if (req_park(r, NULL, wait_cancel, wait_expire, w, in->timeout) < 0)
		wait_free(w);
}

static void process_close(struct req *r, json_t *params, void *argp)
{
	struct proc *p = ((struct pargs *)argp)->p;

	if (p->pool != NULL) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "process %lld is a worker of pool \"%s\", which "
			  "closes it",
			  (long long)p->id, pool_name(p->pool));
		return;
	}
	if (p->state == PROC_STARTING || p->state == PROC_RUNNING) {
		req_error(r, MPD_RPC_INVALID_STATE, NULL,
			  "process %lld is %s: join or kill it first",
			  (long long)p->id, proctab_state_name(p->state));
		return;
	}
	log_debug("process %lld (%s): closed", (long long)p->id, p->name);
	proctab_free(p);
	req_result(r, json_object());
}

const struct method process_methods[] = {
	{ MPD_METHOD_PROCESS_CLOSE, process_close, ref_params, &process_target,
	  0, sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_CREATE, process_create, create_params, NULL, 0,
	  sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_INFO, process_info, ref_params, &process_target, 0,
	  sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_JOIN, process_join, join_params, &process_target,
	  0, sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_KILL, process_kill, kill_params, &process_target,
	  0, sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_LIST, process_list, list_params, NULL, 0,
	  sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_OUTPUT, process_output, output_params,
	  &process_target, 0, sizeof(struct pargs) },
	/* Its target is found after the signal is checked. */
	{ MPD_METHOD_PROCESS_SIGNAL, process_signal, signal_params, NULL, 0,
	  sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_START, process_start, ref_params, &process_target,
	  0, sizeof(struct pargs) },
	{ MPD_METHOD_PROCESS_TERMINATE, process_terminate, kill_params,
	  &process_target, 0, sizeof(struct pargs) },
	/* Its targets, many, are found by its handler. */
	{ MPD_METHOD_PROCESS_WAIT, process_wait, wait_params, NULL, 0,
	  sizeof(struct wargs) },
	{ 0 },
};
