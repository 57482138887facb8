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
 * or the end (output_wake()).
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
	json_t *stdio[3], *start_method;
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
 * Check a stdio spec and normalise it into *out (a new reference).
 * Returns 1 for "pass", 0 for the others ("capture" too: its pipe is made
 * at the start), -1 with r answered.
 */
static int check_stdio(struct req *r, int i, json_t *spec, json_t **out)
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
			req_bad_param(
				r, field,
				"\"%s\": \"file\" must be a non-empty path",
				field);
			return -1;
		}
		if (append != NULL && !json_is_boolean(append)) {
			req_bad_param(r, field,
				      "\"%s\": \"append\" must be a boolean",
				      field);
			return -1;
		}
		if (json_object_size(spec) != known) {
			req_bad_param(
				r, field,
				"\"%s\": only \"file\" and \"append\" are "
				"allowed",
				field);
			return -1;
		}
		*out = json_pack("{s:O, s:b}", "file", file, "append",
				 append != NULL && json_is_true(append));
		return 0;
	}
	req_bad_param(r, field,
		      i == 0 ? "\"%s\": expected \"null\", \"inherit\", "
			       "\"pass\" or {\"file\": PATH}" :
			       "\"%s\": expected \"null\", \"inherit\", "
			       "\"pass\", \"capture\" or {\"file\": PATH}",
		      field);
	return -1;
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

/* Check env: an object of strings with sane keys. */
static bool check_env(struct req *r, json_t *env)
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

static void start_cancel(struct req *r)
{
	struct proc *p = r->park_arg;

	p->start_req = NULL;
}

/* Start p (CREATED) and answer r when the template has its answer. */
static void start(struct req *r, struct proc *p)
{
	int rc = 0;

	if (proctab_live() >= mpdd.opt.max_processes) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "max_processes",
				    "max", (json_int_t)mpdd.opt.max_processes),
			  "%u processes are already running (max_processes)",
			  mpdd.opt.max_processes);
		return;
	}
	/* Before anything is forked: a start that cannot get its
	 * descriptors is refused here, never lost after the fork. */
	if (!spawner_fd_room()) {
		rc = -EMFILE;
	} else if ((rc = capture_open(p)) == 0 &&
		   (rc = spawner_prepare(p)) < 0) {
		capture_abort(p);
	}
	if (rc == -EMFILE || rc == -ENFILE) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "too few file descriptors left to start a process "
			  "(limit %zu, %zu processes live)",
			  mpdd.fd_limit, proctab_live());
		return;
	}
	if (rc < 0) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL,
			  "cannot start process %lld: %s", (long long)p->id,
			  strerror(-rc));
		return;
	}
	proctab_starting(p);
	p->start_req = r;
	req_park(r, NULL, start_cancel, NULL, p, -1);
	spawner_start_proc(p);
}

/* The starter of p, taken off it (NULL when it has gone). */
static struct req *take_starter(struct proc *p)
{
	struct req *r = p->start_req;

	p->start_req = NULL;
	return r;
}

/* p ended: its joiners get its record. */
static void answer_joiners(struct proc *p)
{
	struct req *r;

	while ((r = TAILQ_FIRST(&p->joiners)) != NULL)
		reply_record(r, p, false);
}

/*
 * The spawner's reports. process_started(): p runs as pid, with pidfd
 * (ours now; -1 when there is none); its starter gets its record.
 * process_start_failed(): nothing of p ran; its starter gets
 * spawn_failed, its joiners its record. process_exited(): p ended with
 * wait status (known false: it was lost), if it was running; its
 * joiners get its record.
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
	proctab_trim();
}

void process_exited(struct proc *p, int status, bool known)
{
	if (!proctab_exited(p, status, known))
		return;
	answer_joiners(p);
	sync_proc_exited(p->id);
	/* The table drops what it no longer keeps (p too, perhaps) once
	 * what ended is answered. */
	proctab_trim();
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
			int fds[3])
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
		req_bad_param(r, stdio_names[i],
			      "%d descriptor%s came with the request that no "
			      "\"pass\" stream takes",
			      left, left == 1 ? "" : "s");
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
	const char *limit;
	uint64_t cost, max;
	bool capture;
	struct proc *p;

	/* First, so that each request of a batch claims its descriptors
	 * whatever else is wrong with it. */
	if (!claim_stdio(r, in, &stdio, fds))
		return;
	target = check_target(r, in);
	if (target == NULL)
		goto fail;
	if (env != NULL && !check_env(r, env))
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
			    target, args, env, stdio);
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

	p = proctab_new(name != NULL ? json_string_value(name) : NULL, c->uid,
			c->gid, cost);
	if (p != NULL && capture && capture_new(p, output_wake) < 0) {
		proctab_free(p);
		p = NULL;
	}
	if (p == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		goto fail;
	}
	p->target = target;
	p->args = json_incref(args);
	p->env = json_incref(env);
	p->env_clear = in->env_clear;
	p->cwd = cwd != NULL ? strdup(json_string_value(cwd)) : NULL;
	p->stdio = stdio;
	p->daemonic = in->daemon;
	p->ctty = in->ctty;
	p->spawn_method = method != NULL &&
			  strcmp(json_string_value(method), "spawn") == 0;
	/* A worker may connect before its start is reported (its record
	 * then has no pid yet): look again. */
	if (c->proc_id == 0)
		c->proc_id = proctab_peer(c->pid);
	p->parent = c->proc_id;
	p->owner = c;
	if (c->ngroups > 0) {
		p->groups = malloc(sizeof(gid_t) * (size_t)c->ngroups);
		if (p->groups != NULL) {
			memcpy(p->groups, c->groups,
			       sizeof(gid_t) * (size_t)c->ngroups);
			p->ngroups = c->ngroups;
		}
	}
	for (int i = 0; i < 3; i++) {
		p->fds[i] = fds[i];
		if (fds[i] >= 0)
			mpdd.fd_procs++;
	}
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
	req_park(r, &p->joiners, NULL, join_expire, p, timeout);
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

static void process_close(struct req *r, json_t *params, void *argp)
{
	struct proc *p = ((struct pargs *)argp)->p;

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
	{ 0 },
};
