/*
 * cmd-run.c - "run" and "spawn": create a process in mpdd and start it.
 *
 * spawn starts a process and prints its id. run is the foreground form,
 * as systemd-run --pipe: it passes its own stdin, stdout and stderr to the
 * worker (SCM_RIGHTS: MPD_STDIO_PASS), so the worker's output lands
 * where run's would; joins it; closes its record so a run leaves nothing
 * behind; and exits with the worker's status (128+N for death by signal
 * N, 124 when --timeout passed, 127 when it could not start).
 *
 * The process is created, then started by id, so that a start that fails
 * leaves a record run can close, and the id is known before the worker
 * runs. SIGINT, SIGTERM and SIGHUP are blocked from before the create
 * until the forwarding is in place, then forwarded to the worker's group:
 * the handler only send()s a notification line formatted beforehand on a
 * second connection, which is async-signal-safe and never interleaves
 * with the request the main connection is waiting on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Seconds run --timeout gives a terminated worker before SIGKILL. */
#define RUN_KILL_GRACE 5.0
/* Exit statuses of run, as timeout(1) and the shells use them. */
#define RUN_TIMED_OUT	 124
#define RUN_CANNOT_START 127
#define RUN_SIGNAL_BASE	 128
/* Room for one forwarded signal's notification line. */
#define RUN_FWD_LINE_MAX 128

/* The signals run forwards, with their notification lines. */
static struct run_fwd {
	int sig;
	int as; /* what the worker gets, when not sig */
	char line[RUN_FWD_LINE_MAX];
	size_t len;
	struct sigaction old; /* the disposition to restore */
} run_fwd[] = {
	{ .sig = SIGINT },
	{ .sig = SIGTERM },
	{ .sig = SIGHUP },
	/* A worker leads its own session, so its process group is orphaned
	 * and the kernel drops SIGTSTP there: it is stopped with SIGSTOP. */
	{ .sig = SIGTSTP, .as = SIGSTOP },
	{ .sig = SIGCONT },
	{ .sig = SIGWINCH },
};
#define RUN_NFWD (sizeof(run_fwd) / sizeof(run_fwd[0]))

/* The second connection's socket while forwarding, else -1. */
static volatile sig_atomic_t run_fwd_fd = -1;
/* With --pty, the terminal's master side while forwarding, else -1. */
static volatile sig_atomic_t run_pty_master = -1;

/*
 * Async-signal-safe: one send() of a line formatted beforehand. A send
 * that cannot go out at once is dropped rather than blocking here. With
 * --pty a window-size change goes to the pseudo-terminal instead (the
 * kernel tells the worker). After passing SIGTSTP on, run stops itself
 * as a foreground job does; the SIGCONT that resumes it is passed on too.
 */
static void run_forward_cb(int sig)
{
	int saved = errno, fd = run_fwd_fd, master = run_pty_master;
	struct winsize ws;

	if (sig == SIGWINCH && master >= 0) {
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
			ioctl(master, TIOCSWINSZ, &ws);
		errno = saved;
		return;
	}
	for (size_t i = 0; i < RUN_NFWD && fd >= 0; i++) {
		if (run_fwd[i].sig == sig)
			(void)!send(fd, run_fwd[i].line, run_fwd[i].len,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (sig == SIGTSTP && fd >= 0)
		kill(getpid(), SIGSTOP);
	errno = saved;
}

/* The forwarded signals as a set. */
static void run_fwd_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < RUN_NFWD; i++)
		sigaddset(set, run_fwd[i].sig);
}

/*
 * Forward the signals to process id through the connection fd. Called
 * with them blocked. Returns 0, or -1 (errno set) when a handler could
 * not be installed.
 */
static int run_forward_start(long long id, int fd)
{
	struct sigaction sa;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_forward_cb;
	sa.sa_flags = SA_RESTART;
	run_fwd_set(&sa.sa_mask);
	for (size_t i = 0; i < RUN_NFWD; i++) {
		n = mpd_process_signal_line(
			run_fwd[i].line, sizeof(run_fwd[i].line), id,
			run_fwd[i].as != 0 ? run_fwd[i].as : run_fwd[i].sig);
		if (n < 0) {
			errno = EINVAL;
			return -1;
		}
		run_fwd[i].len = (size_t)n;
	}
	run_fwd_fd = fd;
	for (size_t i = 0; i < RUN_NFWD; i++) {
		if (sigaction(run_fwd[i].sig, &sa, &run_fwd[i].old) < 0)
			return -1;
	}
	return 0;
}

/* Stop forwarding (before the connection closes) and restore the old
 * dispositions. */
static void run_forward_stop(void)
{
	run_fwd_fd = -1;
	for (size_t i = 0; i < RUN_NFWD; i++) {
		if (run_fwd[i].len > 0)
			sigaction(run_fwd[i].sig, &run_fwd[i].old, NULL);
		run_fwd[i].len = 0;
	}
}

/* path made absolute against the current directory: malloc'd, or NULL
 * (errno set). */
char *cli_absolute(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return strdup(path);
	cwd = get_current_dir_name();
	if (cwd == NULL)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

/*
 * What run and spawn hand mpd_process_create(): the options, and the
 * strings they point to that are made here (absolute paths, the env and
 * argv arrays). The rest is borrowed from the command line.
 */
struct create {
	struct mpd_process_options opts;
	const char **argv; /* borrowed strings, NULL-terminated */
	const char **env; /* "K=V" strings from --env, NULL-terminated */
	const char **fd_names; /* from --fd NAME=N: NAME (borrowed) ... */
	char **fd_name_copies; /* ... copied here */
	int *fds; /* ... and N */
	char *paths[8]; /* the strings take_path() made, to free */
	size_t npaths;
};

static void create_free(struct create *cr)
{
	free(cr->argv);
	free(cr->env);
	for (size_t i = 0; i < cr->opts.nfds; i++)
		free(cr->fd_name_copies[i]);
	free(cr->fd_name_copies);
	free(cr->fd_names);
	free(cr->fds);
	for (size_t i = 0; i < cr->npaths; i++)
		free(cr->paths[i]);
	json_decref(cr->opts.args);
	memset(cr, 0, sizeof(*cr));
}

/*
 * path, made absolute when abs is true, as a string of cr's in *out.
 * Returns CLI_OK, or the exit status after reporting the failure (path
 * not UTF-8, no memory, no current directory).
 */
static int take_path(const struct cli_ctx *ctx, const char *cmd,
		     struct create *cr, const char *path, bool abs,
		     const char **out)
{
	char *p = abs ? cli_absolute(path) : strdup(path);
	json_t *v;

	if (p == NULL) {
		cli_error("%s: %s: %s", cmd, path, strerror(errno));
		return CLI_FAIL;
	}
	cr->paths[cr->npaths++] = p;
	v = json_string(p);
	if (v == NULL)
		return cli_usage_error(ctx->path, "%s: '%s' is not valid UTF-8",
				       cmd, path);
	json_decref(v);
	*out = p;
	return CLI_OK;
}

/* The target: argv, or module/function/args. Returns CLI_OK, or the exit
 * status after reporting the failure. */
static int take_target(const struct cli_ctx *ctx, const char *cmd,
		       struct create *cr, int argc, char **argv)
{
	const char *module = cli_opt_get(ctx, "module");
	const char *function = cli_opt_get(ctx, "function");
	const char *args = cli_opt_get(ctx, "args");
	json_error_t jerr;
	json_t *v;
	int r;

	if (argc > 0 && (module != NULL || function != NULL))
		return cli_usage_error(ctx->path,
				       "%s: give CMD or --module and "
				       "--function, not both",
				       cmd);
	if (argc == 0 && module == NULL && function == NULL)
		return cli_usage_error(ctx->path,
				       "%s: missing CMD (or --module and "
				       "--function)",
				       cmd);
	if ((module == NULL) != (function == NULL))
		return cli_usage_error(ctx->path,
				       "%s: --module and --function go "
				       "together",
				       cmd);
	if (args != NULL && function == NULL)
		return cli_usage_error(ctx->path, "%s: --args needs --function",
				       cmd);

	if (argc > 0) {
		cr->argv = calloc((size_t)argc + 1, sizeof(*cr->argv));
		if (cr->argv == NULL)
			goto nomem;
		for (int i = 0; i < argc; i++) {
			v = json_string(argv[i]);
			if (v == NULL)
				return cli_usage_error(
					ctx->path,
					"%s: argument %d is not valid UTF-8",
					cmd, i + 1);
			json_decref(v);
			cr->argv[i] = argv[i];
		}
		cr->opts.argv = cr->argv;
		return CLI_OK;
	}
	/* A module path is the caller's; a bare name is the linker's. */
	r = take_path(ctx, cmd, cr, module, strchr(module, '/') != NULL,
		      &cr->opts.module);
	if (r != CLI_OK)
		return r;
	r = take_path(ctx, cmd, cr, function, false, &cr->opts.function);
	if (r != CLI_OK)
		return r;
	if (args != NULL) {
		cr->opts.args = json_loads(args, JSON_DECODE_ANY, &jerr);
		if (cr->opts.args == NULL)
			return cli_usage_error(ctx->path,
					       "%s: --args is not valid JSON: "
					       "%s at position %d",
					       cmd, jerr.text, jerr.position);
	}
	return CLI_OK;
nomem:
	cli_error("%s: out of memory", cmd);
	return CLI_FAIL;
}

/* --env K=V...: checked, into cr's env array. Returns CLI_OK, or the exit
 * status after reporting the failure. */
static int take_env(const struct cli_ctx *ctx, const char *cmd,
		    struct create *cr)
{
	const char *kv, *eq;
	json_t *k, *v;
	char *key;
	size_t n = 0;
	int it = 0;

	while ((kv = cli_opt_next(ctx, "env", &it)) != NULL)
		n++;
	if (n == 0)
		return CLI_OK;
	cr->env = calloc(n + 1, sizeof(*cr->env));
	if (cr->env == NULL)
		goto nomem;
	n = 0;
	it = 0;
	while ((kv = cli_opt_next(ctx, "env", &it)) != NULL) {
		eq = strchr(kv, '=');
		if (eq == NULL || eq == kv)
			return cli_usage_error(ctx->path,
					       "%s: --env takes K=V, not '%s'",
					       cmd, kv);
		key = strndup(kv, (size_t)(eq - kv));
		if (key == NULL)
			goto nomem;
		k = json_string(key);
		v = json_string(eq + 1);
		free(key);
		json_decref(k);
		json_decref(v);
		if (k == NULL || v == NULL)
			return cli_usage_error(ctx->path,
					       "%s: --env '%s' is not valid "
					       "UTF-8",
					       cmd, kv);
		cr->env[n++] = kv;
	}
	cr->opts.env = cr->env;
	return CLI_OK;
nomem:
	cli_error("%s: out of memory", cmd);
	return CLI_FAIL;
}

/*
 * --fd NAME=N...: this command's descriptor N, given to the worker as
 * NAME (at 3, 4, ... in the order given). N must be open here; the name
 * is checked by libmpd. Returns CLI_OK, or the exit status after
 * reporting the failure.
 */
static int take_fds(const struct cli_ctx *ctx, const char *cmd,
		    struct create *cr)
{
	const char *spec, *eq;
	char *end;
	size_t n = 0;
	long fd;
	int it = 0, fl;

	while (cli_opt_next(ctx, "fd", &it) != NULL)
		n++;
	if (n == 0)
		return CLI_OK;
	cr->fd_names = calloc(n, sizeof(*cr->fd_names));
	cr->fd_name_copies = calloc(n, sizeof(*cr->fd_name_copies));
	cr->fds = calloc(n, sizeof(*cr->fds));
	if (cr->fd_names == NULL || cr->fd_name_copies == NULL ||
	    cr->fds == NULL) {
		cli_error("%s: out of memory", cmd);
		return CLI_FAIL;
	}
	it = 0;
	while ((spec = cli_opt_next(ctx, "fd", &it)) != NULL) {
		eq = strrchr(spec, '=');
		if (eq == NULL || eq == spec || eq[1] < '0' || eq[1] > '9')
			return cli_usage_error(ctx->path,
					       "%s: --fd takes NAME=N (a "
					       "descriptor number), not '%s'",
					       cmd, spec);
		errno = 0;
		fd = strtol(eq + 1, &end, 10);
		if (errno != 0 || *end != '\0' || fd > INT_MAX)
			return cli_usage_error(ctx->path,
					       "%s: --fd '%s': '%s' is not a "
					       "descriptor number",
					       cmd, spec, eq + 1);
		/* Not open, or one of our placeholders for closed stdio. */
		fl = fcntl((int)fd, F_GETFL);
		if (fl == -1 || (fl & O_PATH))
			return cli_usage_error(ctx->path,
					       "%s: --fd '%s': descriptor %ld "
					       "is not open",
					       cmd, spec, fd);
		cr->fd_name_copies[cr->opts.nfds] =
			strndup(spec, (size_t)(eq - spec));
		if (cr->fd_name_copies[cr->opts.nfds] == NULL) {
			cli_error("%s: out of memory", cmd);
			return CLI_FAIL;
		}
		cr->fd_names[cr->opts.nfds] = cr->fd_name_copies[cr->opts.nfds];
		cr->fds[cr->opts.nfds++] = (int)fd;
	}
	cr->opts.fd_names = cr->fd_names;
	cr->opts.fds = cr->fds;
	return CLI_OK;
}

/* spawn's --stdin, --stdout, --stderr files, and --capture for the
 * output streams not sent to files. Returns CLI_OK, or the exit status
 * after reporting the failure. */
static int take_stdio_files(const struct cli_ctx *ctx, const char *cmd,
			    struct create *cr)
{
	static const char *const streams[] = { "stdin", "stdout", "stderr" };
	bool append = cli_opt_get(ctx, "append") != NULL;
	struct mpd_stdio *st;
	const char *file;
	int r;

	if (append && cli_opt_get(ctx, "stdout") == NULL &&
	    cli_opt_get(ctx, "stderr") == NULL)
		return cli_usage_error(ctx->path,
				       "%s: --append needs --stdout or "
				       "--stderr",
				       cmd);
	for (size_t i = 0; i < 3; i++) {
		file = cli_opt_get(ctx, streams[i]);
		if (file == NULL)
			continue;
		st = &cr->opts.stdio[i];
		st->mode = MPD_STDIO_FILE;
		r = take_path(ctx, cmd, cr, file, true, &st->path);
		if (r != CLI_OK)
			return r;
		st->append = i > 0 && append;
	}
	for (size_t i = 1; i < 3; i++)
		if (cli_opt_get(ctx, "capture") != NULL &&
		    cr->opts.stdio[i].mode == MPD_STDIO_DEFAULT)
			cr->opts.stdio[i].mode = MPD_STDIO_CAPTURE;
	return CLI_OK;
}

/*
 * The options of run or spawn from the command line, in *cr (free it with
 * create_free() in any case). Returns CLI_OK, or the exit status after
 * reporting the failure.
 */
static int create_options(const struct cli_ctx *ctx, const char *cmd, int argc,
			  char **argv, struct create *cr)
{
	const char *name = cli_opt_get(ctx, "name");
	const char *cwd = cli_opt_get(ctx, "cwd");
	const char *method = cli_opt_get(ctx, "start-method");
	char *here;
	int r;

	r = take_target(ctx, cmd, cr, argc, argv);
	if (r == CLI_OK)
		r = take_env(ctx, cmd, cr);
	if (r == CLI_OK)
		r = take_fds(ctx, cmd, cr);
	if (r == CLI_OK && name != NULL)
		r = take_path(ctx, cmd, cr, name, false, &cr->opts.name);
	if (r == CLI_OK && cwd != NULL)
		r = take_path(ctx, cmd, cr, cwd, true, &cr->opts.cwd);
	/* As a shell runs it: in this command's directory by default. */
	if (r == CLI_OK && cwd == NULL) {
		here = get_current_dir_name();
		if (here == NULL) {
			cli_error("%s: this command's directory cannot be "
				  "named (%s); give --cwd",
				  cmd, strerror(errno));
			return CLI_FAIL;
		}
		r = take_path(ctx, cmd, cr, here, false, &cr->opts.cwd);
		free(here);
	}
	if (r == CLI_OK && method != NULL)
		r = take_path(ctx, cmd, cr, method, false,
			      &cr->opts.start_method);
	cr->opts.daemon = cli_opt_get(ctx, "daemon") != NULL;
	return r;
}

/*
 * Create the process of cr, then start it. Returns CLI_OK with *id and
 * *record (the started record, a new reference), or the exit status after
 * printing the error: failed_status for a start that failed
 * (spawn_failed), whose record is then closed.
 */
static int create_start(struct cli_ctx *ctx, const char *cmd,
			const struct create *cr, int failed_status,
			long long *id, json_t **record)
{
	json_t *rec = NULL;
	struct mpd_error err;
	int r;

	if (mpd_process_create(ctx->client, &cr->opts, &rec, &err) < 0)
		return cli_proc_error(cmd, &err);
	if (!json_is_integer(json_object_get(rec, "id"))) {
		json_decref(rec);
		cli_error("%s: mpdd sent a record without an id", cmd);
		return CLI_FAIL;
	}
	*id = (long long)json_integer_value(json_object_get(rec, "id"));
	json_decref(rec);
	rec = NULL;

	if (mpd_process_start(ctx->client, *id, &rec, &err) < 0) {
		/* Report first: err.data lives until the next call. */
		r = cli_proc_error(cmd, &err);
		if (err.code == MPD_E_SPAWN_FAILED)
			r = failed_status;
		mpd_process_close(ctx->client, *id, NULL);
		return r;
	}
	*record = rec;
	return CLI_OK;
}

/*
 * The exit status for a record that ended: exitcode N is N, -S (signal S)
 * is 128+S. Returns -1 when the record has no exitcode.
 */
static int exit_status(const json_t *rec)
{
	const json_t *v = json_object_get(rec, "exitcode");
	json_int_t code;

	if (!json_is_integer(v))
		return -1;
	code = json_integer_value(v);
	if (code < 0)
		return code >= -127 ? RUN_SIGNAL_BASE - (int)code : CLI_FAIL;
	return code <= 255 ? (int)code : CLI_FAIL;
}

/*
 * Join process id, waiting at most timeout seconds (< 0: as long as it
 * runs). Returns 0 with *rec replaced by the record, or -1 after
 * reporting the error.
 */
static int run_join(struct cli_ctx *ctx, long long id, double timeout,
		    json_t **rec)
{
	json_t *res = NULL;
	struct mpd_error err;

	if (mpd_process_join(ctx->client, id, timeout, &res, &err) < 0) {
		cli_proc_error("run", &err);
		return -1;
	}
	json_decref(*rec);
	*rec = res;
	return 0;
}

/* One of mpd_process_terminate, _kill and _close. */
typedef int run_op(struct mpd_client *c, int64_t id, struct mpd_error *err);

/* Call op (terminate, kill, close) on process id. Returns 0, or -1 after
 * reporting the error; not_found is no error when quiet_gone. */
static int run_call(struct cli_ctx *ctx, run_op *op, long long id,
		    bool quiet_gone)
{
	struct mpd_error err;

	if (op(ctx->client, id, &err) < 0 &&
	    !(quiet_gone && err.code == MPD_E_NOT_FOUND)) {
		cli_proc_error("run", &err);
		return -1;
	}
	return 0;
}

/*
 * Wait for the started process id as run does: join (at most timeout
 * seconds when has_timeout), and when the timeout passes, terminate it,
 * give it RUN_KILL_GRACE seconds, then kill it. Returns CLI_OK with *rec
 * the final record and *timed_out, or an exit status after reporting the
 * error.
 */
static int run_wait(struct cli_ctx *ctx, long long id, bool has_timeout,
		    double timeout, json_t **rec, bool *timed_out)
{
	*timed_out = false;
	if (run_join(ctx, id, has_timeout ? timeout : -1, rec) < 0)
		return CLI_FAIL;
	if (exit_status(*rec) >= 0)
		return CLI_OK;
	if (!has_timeout) {
		cli_error("run: mpdd ended the join without an exit code");
		return CLI_FAIL;
	}
	*timed_out = true;
	if (run_call(ctx, mpd_process_terminate, id, false) < 0 ||
	    run_join(ctx, id, RUN_KILL_GRACE, rec) < 0)
		return CLI_FAIL;
	if (exit_status(*rec) >= 0)
		return CLI_OK;
	if (run_call(ctx, mpd_process_kill, id, false) < 0 ||
	    run_join(ctx, id, -1, rec) < 0)
		return CLI_FAIL;
	return CLI_OK;
}

/* Pass each of our stdin, stdout and stderr that is open (and /dev/null
 * for one that is closed). */
static void pass_stdio(struct mpd_stdio stdio[3])
{
	for (int fd = 0; fd < 3; fd++) {
		int fl = fcntl(fd, F_GETFL);
		/* A closed one is held by mpd-cli's O_PATH placeholder. */
		bool open = fl != -1 && !(fl & O_PATH);

		stdio[fd].mode = open ? MPD_STDIO_PASS : MPD_STDIO_NULL;
		stdio[fd].fd = fd;
	}
}

/*
 * --pty: a pseudo-terminal for the worker, its controlling terminal,
 * relayed by a thread of run between run's own stdin and stdout and the
 * terminal's master side while the main thread waits in the join. When
 * run's stdin is a terminal, it is put in raw mode for the while (the
 * worker's terminal does the line editing, Ctrl-C and Ctrl-Z, as over
 * ssh -t) and the worker's starts with its modes and window size.
 */
struct run_pty {
	int master, slave;
	bool raw; /* stdin's modes are changed: restore saved */
	struct termios saved;
	pthread_t relay;
	bool relaying;
	atomic_bool draining; /* the worker ended: stop at the first lull */
};

/* The window of a pseudo-terminal when run's stdin is not a terminal. */
#define RUN_PTY_ROWS 24
#define RUN_PTY_COLS 80
/* Bytes the relay moves at once; ms of quiet that end it once draining. */
#define RUN_PTY_CHUNK 4096
#define RUN_PTY_LULL  100
/* Once draining, the most bytes and ms the relay goes on for: what the
 * worker left in the terminal is far less, the rest is a child's that
 * keeps the terminal and writes on (it must not keep run from ending). */
#define RUN_PTY_DRAIN_BYTES (1 << 20)
#define RUN_PTY_DRAIN_MS    5000

/* Write all of buf to fd. Returns false when fd is gone. */
static bool write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* The relay: stdin to the master, the master to stdout, until the
 * terminal has no more to say (EIO once the worker and every process
 * holding the terminal are gone) or, once draining, falls quiet. Once
 * stdout is gone, the output is read and dropped, so that a worker is
 * never stuck on a terminal nobody reads. */
static void *pty_relay(void *arg)
{
	struct run_pty *t = arg;
	struct pollfd pf[2] = { { .fd = t->master, .events = POLLIN },
				{ .fd = STDIN_FILENO, .events = POLLIN } };
	char buf[RUN_PTY_CHUNK];
	bool out = true, draining = false;
	struct timespec since, now;
	size_t drained = 0;
	nfds_t nfds = 2;
	ssize_t n;
	int rc;

	for (;;) {
		if (!draining && atomic_load(&t->draining)) {
			draining = true;
			clock_gettime(CLOCK_MONOTONIC, &since);
		}
		if (draining) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (drained > RUN_PTY_DRAIN_BYTES ||
			    (now.tv_sec - since.tv_sec) * 1000 +
					    (now.tv_nsec - since.tv_nsec) /
						    1000000 >
				    RUN_PTY_DRAIN_MS)
				break;
		}
		rc = poll(pf, nfds,
			  draining ? RUN_PTY_LULL : RUN_PTY_LULL * 10);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc == 0 && draining)
			break;
		if (rc <= 0)
			continue;
		if (pf[0].revents != 0) {
			n = read(t->master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (draining)
				drained += (size_t)n;
			if (out && !write_all(STDOUT_FILENO, buf, (size_t)n))
				out = false;
		}
		if (nfds == 2 && pf[1].revents != 0) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0 && write_all(t->master, buf, (size_t)n))
				continue;
			/* End of input: an end-of-file for a reader at the
			 * terminal, then stop reading. */
			if (n == 0 && !t->raw) {
				struct termios tio;

				if (tcgetattr(t->master, &tio) == 0)
					write_all(t->master,
						  (char *)&tio.c_cc[VEOF], 1);
			}
			nfds = 1;
		}
	}
	return NULL;
}

/* Open the pseudo-terminal and set it up as run's stdin is. Returns 0,
 * or -1 (errno set). */
static int pty_open(struct run_pty *t)
{
	struct winsize ws = { .ws_row = RUN_PTY_ROWS, .ws_col = RUN_PTY_COLS };
	char *name;

	t->slave = -1;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0)
		return -1;
	if (grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
	    (name = ptsname(t->master)) == NULL)
		return -1;
	t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0)
		return -1;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		tcsetattr(t->slave, TCSANOW, &t->saved);
		ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	}
	ioctl(t->master, TIOCSWINSZ, &ws);
	return 0;
}

/* The worker has the terminal: put run's own in raw mode and relay. */
static int pty_start(struct run_pty *t)
{
	struct termios raw;

	close(t->slave);
	t->slave = -1;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
			t->raw = true;
	}
	errno = pthread_create(&t->relay, NULL, pty_relay, t);
	if (errno != 0)
		return -1;
	t->relaying = true;
	run_pty_master = t->master;
	return 0;
}

/* Let the relay pass what the worker wrote last, then put run's terminal
 * back as it was. */
static void pty_close(struct run_pty *t)
{
	run_pty_master = -1;
	if (t->relaying) {
		atomic_store(&t->draining, true);
		pthread_join(t->relay, NULL);
		t->relaying = false;
	}
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	t->raw = false;
	if (t->slave >= 0)
		close(t->slave);
	if (t->master >= 0)
		close(t->master);
	t->slave = t->master = -1;
}

static int cmd_run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct run_pty pty = { .master = -1, .slave = -1 };
	bool want_pty = cli_opt_get(ctx, "pty") != NULL;
	struct mpd_client *sigc = NULL;
	struct create cr = { 0 };
	json_t *rec = NULL;
	struct mpd_error err;
	sigset_t fwd, old;
	bool has_timeout, timed_out, blocked = false;
	double timeout = 0;
	long long id = 0;
	int r, status;

	r = cli_opt_seconds(ctx, "run", "timeout", &timeout, &has_timeout);
	if (r != CLI_OK)
		return r;
	r = create_options(ctx, "run", argc, argv, &cr);
	if (r != CLI_OK)
		goto out;
	/* Whichever way this command ends, even by SIGKILL, its connection
	 * closes and mpdd ends the worker. */
	cr.opts.daemon = 1;
	if (!want_pty) {
		pass_stdio(cr.opts.stdio);
	} else if (pty_open(&pty) < 0) {
		cli_error("run: cannot open a pseudo-terminal: %s",
			  strerror(errno));
		r = CLI_FAIL;
		goto out;
	} else {
		for (int fd = 0; fd < 3; fd++)
			cr.opts.stdio[fd] =
				(struct mpd_stdio){ .mode = MPD_STDIO_PASS,
						    .fd = pty.slave };
		cr.opts.ctty = 1;
	}
	r = cli_connect(ctx);
	if (r != CLI_OK)
		goto out;
	if (mpd_connect(&sigc, mpd_client_socket(ctx->client), &err) < 0) {
		r = err.code == MPD_E_CONNECT ? CLI_UNREACHABLE : CLI_FAIL;
		cli_error("run: %s", err.message);
		goto out;
	}

	/* Until the forwarding is in place, a signal waits. */
	run_fwd_set(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	blocked = true;
	r = create_start(ctx, "run", &cr, RUN_CANNOT_START, &id, &rec);
	if (r != CLI_OK)
		goto out;
	if (run_forward_start(id, mpd_client_fd(sigc)) < 0) {
		cli_error("run: cannot forward signals: %s", strerror(errno));
		run_call(ctx, mpd_process_kill, id, true);
		run_join(ctx, id, -1, &rec);
		run_call(ctx, mpd_process_close, id, true);
		r = CLI_FAIL;
		goto out;
	}
	if (want_pty && pty_start(&pty) < 0) {
		cli_error("run: cannot relay the pseudo-terminal: %s",
			  strerror(errno));
		run_call(ctx, mpd_process_kill, id, true);
		run_join(ctx, id, -1, &rec);
		run_call(ctx, mpd_process_close, id, true);
		r = CLI_FAIL;
		goto out;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	blocked = false;

	r = run_wait(ctx, id, has_timeout, timeout, &rec, &timed_out);
	pty_close(&pty);
	if (r != CLI_OK)
		goto out; /* the record stays: it may still be running */
	status = exit_status(rec);
	if (run_call(ctx, mpd_process_close, id, true) < 0) {
		r = CLI_FAIL;
		goto out;
	}
	if (ctx->json && cli_print_json(ctx, rec, false) != CLI_OK) {
		r = CLI_FAIL;
		goto out;
	}
	if (timed_out) {
		fflush(stdout);
		cli_error("run: timed out after %g s", timeout);
		r = RUN_TIMED_OUT;
	} else {
		r = status;
	}
out:
	pty_close(&pty);
	run_forward_stop();
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	mpd_close(sigc);
	json_decref(rec);
	create_free(&cr);
	return r;
}

/* The options run and spawn share: a list of rows for both tables. */
/* clang-format off */
#define RUN_COMMON_OPTIONS						\
	{ "name", "N", "the process's name (default Process-ID)", false }, \
	{ "env", "K=V", "add K=V to its environment (repeatable); it\n" \
			"starts from mpdd's, not this shell's", true },	\
	{ "cwd", "D", "its working directory (default: this command's)", \
	  false },							\
	{ "start-method", "M", "forkserver (default: a clone of mpdd's\n" \
			       "template) or spawn (a fresh exec)", false }, \
	{ "module", "PATH", "run a function from this shared object (a\n" \
			    "path with a '/', else a name the linker finds)", \
	  false },							\
	{ "function", "NAME", "the function: int NAME(mpd_worker *, const\n" \
			      "json_t *args); its return value is the exit " \
			      "code", false },				\
	{ "args", "JSON", "the function's args (default null)", false }, \
	{ "fd", "NAME=N", "give it this command's descriptor N as NAME, at\n" \
			  "3, 4, ... in the order given, named in $MPD_FDS\n" \
			  "(repeatable)", true }
/* clang-format on */

const struct cli_cmd cli_cmd_run = {
	.name = "run",
	.usage = "[OPTIONS] CMD [ARG...]",
	.summary = "run a program in mpdd and wait for it",
	.help = "Or: mpd-cli run [OPTIONS] --module PATH --function NAME "
		"[--args JSON]\n\n"
		"Starts CMD (searched in PATH) as an mpd process with this "
		"command's stdin,\nstdout and stderr, waits for it, forgets its "
		"record, and exits with its exit\nstatus: 128+N when signal N "
		"ended it, 124 when --timeout passed (it is\nterminated, and "
		"killed 5 s later), 127 when it could not be started.\n"
		"SIGINT (Ctrl-C), SIGTERM, SIGHUP, SIGCONT and SIGWINCH are "
		"forwarded to its\nprocess group, and SIGTSTP (Ctrl-Z) as "
		"SIGSTOP: the worker and this command stop\n(fg resumes both). "
		"If this command is killed otherwise, mpdd terminates it.\nWithout --pty the worker has no terminal: "
		"/dev/tty fails, and a program that\nwants one (an editor, a "
		"shell, a password prompt) does not work. --pty gives\nit a "
		"pseudo-terminal as its controlling terminal, relayed by this "
		"command (its\nown terminal in raw mode meanwhile, with the "
		"size and modes copied, as\nsystemd-run --pty and ssh -t do).\n"
		"Options end at CMD: the rest is CMD's. With --json, prints the "
		"final\nrecord after the program's output.",
	.min_args = 0,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			RUN_COMMON_OPTIONS,
			{ "timeout", "S",
			  "terminate it after S seconds and exit 124", false },
			{ "pty", NULL,
			  "give it a pseudo-terminal, relayed to this "
			  "command's stdio",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.args_end_options = true,
	.exec = cmd_run_exec,
};

static int cmd_spawn_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct create cr = { 0 };
	json_t *rec = NULL;
	long long id;
	int r;

	r = create_options(ctx, "spawn", argc, argv, &cr);
	if (r == CLI_OK)
		r = take_stdio_files(ctx, "spawn", &cr);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = create_start(ctx, "spawn", &cr, CLI_FAIL, &id, &rec);
	if (r == CLI_OK) {
		if (ctx->json)
			r = cli_print_json(ctx, rec, false);
		else
			printf("%lld\n", id);
	}
	json_decref(rec);
	create_free(&cr);
	return r;
}

const struct cli_cmd cli_cmd_spawn = {
	.name = "spawn",
	.usage = "[OPTIONS] CMD [ARG...]",
	.summary = "start a program in mpdd and print its id",
	.help = "Or: mpd-cli spawn [OPTIONS] --module PATH --function NAME "
		"[--args JSON]\n\n"
		"Starts CMD (searched in PATH) as an mpd process and prints "
		"its id; it runs on\nafter this command exits (see ps, join, "
		"terminate, close). Its stdin is\n/dev/null and its output "
		"goes where mpdd's goes, unless redirected to files or kept in\n"
		"mpdd with --capture (read it with mpd-cli logs).\nOptions "
		"end at CMD: the rest is CMD's. With --json, prints the "
		"record.",
	.min_args = 0,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			RUN_COMMON_OPTIONS,
			{ "daemon", NULL,
			  "terminate it when this command's connection to\n"
			  "mpdd closes",
			  false },
			{ "stdin", "FILE", "read stdin from FILE", false },
			{ "stdout", "FILE",
			  "write stdout to FILE (created, truncated)", false },
			{ "stderr", "FILE",
			  "write stderr to FILE (created, truncated)", false },
			{ "append", NULL,
			  "append to the --stdout and --stderr files", false },
			{ "capture", NULL,
			  "keep its stdout and stderr (those not sent to\n"
			  "files) in mpdd, for mpd-cli logs",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.args_end_options = true,
	.exec = cmd_spawn_exec,
};
