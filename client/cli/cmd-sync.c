/*
 * cmd-sync.c - the synchronization commands: lock, semaphore, event,
 * condition and barrier, on the daemon's named sync objects (Python's
 * Lock and RLock, Semaphore and BoundedSemaphore, Event, Condition and
 * Barrier).
 *
 * A lock or a permit is held by the connection that took it, and the
 * daemon gives it back when that connection closes. So a command that
 * took one and exited would hold nothing: the commands that hold are
 * those that run something while they hold. "lock run" is flock(1) for
 * any process of the host: it takes the lock, forks and execs CMD (which
 * inherits stdin, stdout and stderr, and never the daemon's socket, which
 * libmpd opens close-on-exec), waits for it, gives the lock back however
 * CMD ended, and exits with CMD's status (128+N for signal N, as a shell
 * does). When mpd-cli itself is killed, its connection closes and the
 * daemon releases the lock: CMD alone never keeps it. While CMD runs,
 * SIGINT, SIGTERM and SIGHUP sent to mpd-cli are passed on to it, except
 * those the terminal sends, which reach CMD anyway (it is in the same
 * foreground process group). "semaphore run" is the same with a permit.
 * "condition notify" and "condition wait" take the condition's lock
 * around their call, as Python's "with cond:" does.
 *
 * Waits that time out are answers, not errors: they exit 5 with one line
 * naming what did not happen. A broken barrier exits 7.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Exit statuses of lock run and semaphore run, as run and the shells
 * give them. */
#define SYNC_CANNOT_START 127
#define SYNC_SIGNAL_BASE  128

/* The most waiters condition notify -n wakes (mpd.h: 1..2^31-1), checked
 * before it waits for the lock. */
#define SYNC_MAX_NOTIFY 2147483647

/* The signals the run commands pass on to CMD. */
static const int run_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define RUN_NSIGNALS (sizeof(run_signals) / sizeof(run_signals[0]))

/* CMD's pid while it runs (not reaped yet), else 0. */
static volatile sig_atomic_t run_child;
/* The dispositions to restore; handled: those replaced. */
static struct sigaction run_old[RUN_NSIGNALS];
static bool run_handled[RUN_NSIGNALS];

/*
 * Async-signal-safe: pass sig on to CMD. The terminal's signals (Ctrl-C,
 * sent by the kernel: SI_KERNEL) go to the whole foreground process
 * group, CMD included, so they are not sent twice.
 */
static void run_forward_cb(int sig, siginfo_t *si, void *uctx)
{
	int saved = errno;
	pid_t pid = (pid_t)run_child;

	(void)uctx;
	if (pid > 0 && si->si_code != SI_KERNEL)
		kill(pid, sig);
	errno = saved;
}

/* Put back the dispositions run_forward_start() replaced. */
static void run_forward_stop(void)
{
	for (size_t i = 0; i < RUN_NSIGNALS; i++) {
		if (run_handled[i])
			sigaction(run_signals[i], &run_old[i], NULL);
		run_handled[i] = false;
	}
}

/*
 * Forward the signals of run_signals to run_child, with them blocked
 * (the caller's mask is blocked | them). A signal mpd-cli ignores (nohup)
 * is left ignored, and CMD inherits that.
 */
static void run_forward_start(const sigset_t *blocked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = run_forward_cb;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sa.sa_mask = *blocked;
	for (size_t i = 0; i < RUN_NSIGNALS; i++) {
		run_handled[i] = false;
		if (sigaction(run_signals[i], NULL, &run_old[i]) < 0 ||
		    run_old[i].sa_handler == SIG_IGN)
			continue;
		run_handled[i] = sigaction(run_signals[i], &sa, NULL) == 0;
	}
}

/*
 * Run argv (argv[0] searched in PATH) as a child of mpd-cli, with the
 * signals forwarded, and wait for it. Returns its exit status (128+N
 * for signal N), or SYNC_CANNOT_START after reporting why it could not
 * be started, or CLI_FAIL when mpd-cli could not fork.
 */
static int run_cmd(const char *cmd, char **argv)
{
	sigset_t block, old;
	int fds[2], e = 0, status = 0;
	ssize_t n;
	siginfo_t si;
	pid_t pid;

	/* Carries exec's errno back; closed by a successful exec. */
	if (pipe2(fds, O_CLOEXEC) < 0) {
		cli_error("%s: cannot make a pipe: %s", cmd, strerror(errno));
		return CLI_FAIL;
	}
	sigemptyset(&block);
	for (size_t i = 0; i < RUN_NSIGNALS; i++)
		sigaddset(&block, run_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	run_forward_start(&block);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < RUN_NSIGNALS; i++)
			if (run_handled[i])
				sigaction(run_signals[i], &run_old[i], NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		e = errno;
		(void)!write(fds[1], &e, sizeof(e));
		_exit(SYNC_CANNOT_START);
	}
	e = errno;
	if (pid > 0)
		run_child = pid;
	/* A signal that came since the block is forwarded now. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (pid < 0) {
		run_forward_stop();
		close(fds[0]);
		cli_error("%s: cannot fork: %s", cmd, strerror(e));
		return CLI_FAIL;
	}
	do
		n = read(fds[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	/* Wait without reaping, so that a signal forwarded until the reap
	 * finds CMD (a zombie by then), never a process that took its pid;
	 * forwarding stops before the reap. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	sigprocmask(SIG_BLOCK, &block, NULL);
	run_child = 0;
	run_forward_stop();
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e)) {
		cli_error("%s: %s: %s", cmd, argv[0], strerror(e));
		return SYNC_CANNOT_START;
	}
	if (WIFSIGNALED(status))
		return SYNC_SIGNAL_BASE + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The help of a wait's --timeout. */
#define SYNC_TIMEOUT_HELP "wait at most S seconds (a number, 0: do not wait)"

/*
 * A wait answered "not yet" at its timeout: with --json, print the
 * daemon's result; then the message (formatted as cli_error()). Returns
 * CLI_TIMEOUT.
 */
__attribute__((format(printf, 2, 3))) static int
sync_timed_out(struct cli_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ctx->json)
		cli_print_json(ctx, mpd_last_result(ctx->client), false);
	fflush(stdout);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("%s", msg);
	return CLI_TIMEOUT;
}

/* Seconds on the monotonic clock. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse --name as an integer in [min, max] into *v when given. Returns
 * CLI_OK or the exit status. */
static int sync_opt_int(const struct cli_ctx *ctx, const char *cmd,
			const char *name, const char *what, long long min,
			long long max, long long *v)
{
	const char *text = cli_opt_get(ctx, name);

	if (text == NULL)
		return CLI_OK;
	return cli_parse_int(ctx, cmd, what, text, min, max, v);
}

/* Parse --lease (seconds > 0) into *lease, 0 (none) when not given.
 * Returns CLI_OK or the exit status after a usage error. */
static int sync_lease(const struct cli_ctx *ctx, const char *cmd, double *lease)
{
	const char *text = cli_opt_get(ctx, "lease");

	*lease = 0;
	if (text != NULL && (!cli_parse_seconds(text, lease) || *lease == 0))
		return cli_usage_error(ctx->path,
				       "%s: --lease takes a number of seconds "
				       "> 0, not '%s'",
				       cmd, text);
	return CLI_OK;
}

/*
 * lock run and semaphore run: take the lock (or a permit of the
 * semaphore), run CMD, give it back. Returns CMD's exit status, or the
 * command's own after reporting its failure.
 */
static int sync_run(struct cli_ctx *ctx, const char *cmd, bool semaphore,
		    int argc, char **argv)
{
	const char *noun = semaphore ? "semaphore" : "lock";
	const bool quiet = cli_opt_get(ctx, "quiet") != NULL;
	const char *name = argv[0];
	double timeout = -1, lease = 0;
	struct mpd_error err;
	int abandoned = 0, r, status;

	if (argc < 2)
		return cli_usage_error(ctx->path, "%s: missing CMD", cmd);
	r = cli_broker_name(ctx, cmd, name);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, cmd, "timeout", &timeout);
	if (r == CLI_OK)
		r = sync_lease(ctx, cmd, &lease);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;

	if (semaphore)
		r = mpd_semaphore_acquire(ctx->client, name, timeout, lease, 1,
					  &abandoned, &err);
	else
		r = mpd_lock_acquire(ctx->client, name, timeout, lease,
				     &abandoned, &err);
	if (r < 0)
		return cli_call_error(cmd, &err);
	if (r == 0)
		return semaphore ? sync_timed_out(ctx,
						  "%s: %s has no permit free "
						  "after %g s",
						  cmd, name, timeout) :
				   sync_timed_out(ctx,
						  "%s: %s is still locked "
						  "after %g s",
						  cmd, name, timeout);
	if (abandoned && !quiet)
		cli_error("%s %s: the previous holder went away while holding "
			  "%s",
			  noun, name, semaphore ? "a permit" : "it");

	/* mpd-cli in CMD reaches this daemon, as in a worker of it. */
	setenv("MPD_SOCKET", mpd_client_socket(ctx->client), 1);
	status = run_cmd(cmd, argv + 1);

	/* A lease that ran out gave it back already: the release (of a
	 * permit this client holds, never one more) says so. */
	if (semaphore)
		r = mpd_semaphore_release(ctx->client, name, 1, 1, NULL, &err);
	else
		r = mpd_lock_release(ctx->client, name, &err);
	if (r == MPD_E_INVALID_STATE && lease > 0)
		cli_error("%s: %s: its --lease ran out before CMD ended", cmd,
			  name);
	else if (r < 0)
		cli_call_error(cmd, &err);
	return status;
}

/* Options of lock run and semaphore run. */
static const struct cli_opt lock_run_options[] = {
	{ "timeout", "S",
	  "wait at most S seconds for the lock (0: do not wait)", false },
	{ "lease", "S",
	  "the daemon gives the lock back after S seconds,\neven if CMD "
	  "still runs",
	  false },
	{ "quiet", NULL, "no warning when the previous holder went away",
	  false },
	{ NULL, NULL, NULL, false },
};
static const struct cli_opt semaphore_run_options[] = {
	{ "timeout", "S",
	  "wait at most S seconds for a permit (0: do not wait)", false },
	{ "lease", "S",
	  "the daemon gives the permit back after S seconds,\neven if CMD "
	  "still runs",
	  false },
	{ "quiet", NULL, "no warning when the previous holder went away",
	  false },
	{ NULL, NULL, NULL, false },
};

/* What the help of the run commands says of CMD and their status. */
#define SYNC_RUN_HELP                                                       \
	"The options go before the --. CMD runs as a child of mpd-cli "     \
	"with its stdin,\nstdout and stderr, and MPD_SOCKET set to the "    \
	"daemon's socket; SIGINT, SIGTERM\nand SIGHUP sent to mpd-cli are " \
	"passed on to it. Exit status: CMD's (128+N when\nsignal N ended "  \
	"it), 127 when it could not be started, 5 when the --timeout\n"     \
	"passed first (CMD did not run), 4 when there is no such object. "  \
	"If mpd-cli\nitself is killed, the daemon gives back what it held " \
	"when its connection\ncloses; CMD never holds it.\n"

static int cmd_lock_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool recursive = cli_opt_get(ctx, "recursive") != NULL;
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	int r;

	r = cli_broker_connect(ctx, "lock create", argv[0]);
	if (r != CLI_OK)
		return r;
	r = mpd_lock_create(ctx->client, argv[0], recursive, exist_ok, &err);
	return cli_broker_done(ctx, "lock create", r, &err);
}

static int cmd_lock_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "lock delete", mpd_lock_delete, argv[0]);
}

static int cmd_lock_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "RECURSIVE", "recursive" },
		{ "LOCKED", "locked" },
	};

	return cli_broker_list(ctx, "lock list", mpd_lock_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static int cmd_lock_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "lock info", mpd_lock_info, argv[0]);
}

static int cmd_lock_run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return sync_run(ctx, "lock run", false, argc, argv);
}

static const struct cli_cmd cli_cmd_lock_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a lock",
	.help = "Creates the lock NAME; with --recursive an RLock, which its "
		"holder may take\nagain. An existing lock is an error (exists), "
		"or with --exist-ok fine (when\nof the same kind) and left as "
		"it is. Prints nothing; with --json, the result\n({name, "
		"recursive, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "recursive", NULL,
			  "an RLock: its holder may take it again", false },
			{ "exist-ok", NULL, "an existing lock is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_lock_create_exec,
};

static const struct cli_cmd cli_cmd_lock_run = {
	.name = "run",
	.usage = "NAME -- CMD...",
	.summary = "run a command holding a lock",
	.help = "Takes the lock (waiting for it as long as it takes, or at "
		"most --timeout\nseconds), runs CMD, and gives the lock back "
		"however CMD ends: flock(1) for\nevery process that reaches the "
		"daemon. When the previous holder went away\nwhile holding it "
		"(it was killed), a warning says so on stderr: what the lock\n"
		"guards may be half-changed.\n\n" SYNC_RUN_HELP
		"\n  mpd-cli lock run db -- sh -c 'read n < count; echo $((n+1)) "
		"> count'",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options = lock_run_options,
	.exec = cmd_lock_run_exec,
};

static const struct cli_cmd cli_cmd_lock_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a lock's state",
	.help = "Prints lock.info as \"key: value\" lines: recursive, locked, "
		"count (the\nholder's acquisitions), holder (connection, pid, "
		"process), waiters, abandoned\n(the last holder went away "
		"holding it), lease (seconds left). With --json,\nprints the "
		"object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_lock_info_exec,
};

static const struct cli_cmd cli_cmd_lock_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a lock",
	.help = "Waiting acquirers get closed. A lock a condition uses cannot "
		"be deleted\n(invalid_state). Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_lock_delete_exec,
};

static const struct cli_cmd cli_cmd_lock_list = {
	.name = "list",
	.usage = "",
	.summary = "list the locks",
	.help = "Prints a table of the locks in name order: NAME RECURSIVE "
		"LOCKED. With --json,\nprints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_lock_list_exec,
};

static const struct cli_cmd *const lock_commands[] = {
	&cli_cmd_lock_create, &cli_cmd_lock_run,  &cli_cmd_lock_info,
	&cli_cmd_lock_delete, &cli_cmd_lock_list, NULL,
};

const struct cli_cmd cli_cmd_lock = {
	.name = "lock",
	.usage = "COMMAND",
	.summary = "the daemon's named locks",
	.help = "Locks and RLocks that live in mpdd, shared by every client "
		"(Python's Lock\nand RLock). A lock is held by the connection "
		"that took it and given back\nwhen it closes, so the command "
		"that holds one is run: it holds the lock\nwhile a command of "
		"yours runs.",
	.subcommands = lock_commands,
};

static int cmd_semaphore_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool bounded = cli_opt_get(ctx, "bounded") != NULL;
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	long long value = 1;
	int r;

	r = cli_broker_name(ctx, "semaphore create", argv[0]);
	if (r == CLI_OK)
		r = sync_opt_int(ctx, "semaphore create", "value", "--value", 0,
				 LLONG_MAX, &value);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_semaphore_create(ctx->client, argv[0], value, bounded, exist_ok,
				 &err);
	return cli_broker_done(ctx, "semaphore create", r, &err);
}

static int cmd_semaphore_release_exec(struct cli_ctx *ctx, int argc,
				      char **argv)
{
	struct mpd_error err;
	long long n = 1;
	int r;

	r = sync_opt_int(ctx, "semaphore release", "permits", "-n", 1,
			 LLONG_MAX, &n);
	if (r == CLI_OK)
		r = cli_broker_connect(ctx, "semaphore release", argv[0]);
	if (r != CLI_OK)
		return r;
	r = mpd_semaphore_release(ctx->client, argv[0], n, 0, NULL, &err);
	return cli_broker_done(ctx, "semaphore release", r, &err);
}

static int cmd_semaphore_run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return sync_run(ctx, "semaphore run", true, argc, argv);
}

static int cmd_semaphore_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "semaphore info", mpd_semaphore_info,
			       argv[0]);
}

static int cmd_semaphore_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "semaphore delete", mpd_semaphore_delete,
				  argv[0]);
}

static int cmd_semaphore_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "VALUE", "value" },
		{ "BOUNDED", "bounded" },
	};

	return cli_broker_list(ctx, "semaphore list", mpd_semaphore_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_semaphore_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a semaphore",
	.help = "Creates the semaphore NAME with --value N permits (default "
		"1); with --bounded,\na release past N is an error "
		"(BoundedSemaphore). An existing semaphore is an\nerror "
		"(exists), or with --exist-ok fine (when the same) and left as "
		"it is.\nPrints nothing; with --json, the result ({name, "
		"value, bounded, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "value", "N", "N permits (default 1)", false },
			{ "bounded", NULL,
			  "a release past the initial value is an error",
			  false },
			{ "exist-ok", NULL, "an existing semaphore is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_semaphore_create_exec,
};

static const struct cli_cmd cli_cmd_semaphore_run = {
	.name = "run",
	.usage = "NAME -- CMD...",
	.summary = "run a command holding a permit",
	.help = "Takes one permit (waiting while there is none, as long as it "
		"takes or at most\n--timeout seconds), runs CMD, and gives the "
		"permit back however CMD ends: at\nmost N commands run at once "
		"for a semaphore of N permits.\n\n" SYNC_RUN_HELP
		"\n  mpd-cli semaphore run downloads -- curl -O \"$url\"",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options = semaphore_run_options,
	.exec = cmd_semaphore_run_exec,
};

static const struct cli_cmd cli_cmd_semaphore_release = {
	.name = "release",
	.usage = "NAME [-n N]",
	.summary = "give permits to a semaphore",
	.help = "Adds N permits (default 1), serving waiters in order, as "
		"Python's release(n)\nfrom any client: for a semaphore used as "
		"a signal. A bounded semaphore\nrefuses to pass its initial "
		"value (invalid_state). Prints nothing; with\n--json, the "
		"result ({value}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "permits", "N", "give N permits (default 1)", false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_semaphore_release_exec,
};

static const struct cli_cmd cli_cmd_semaphore_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a semaphore's state",
	.help = "Prints semaphore.info as \"key: value\" lines: value (the "
		"permits free),\ninitial, bounded, holders, waiters, abandoned. "
		"With --json, prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_semaphore_info_exec,
};

static const struct cli_cmd cli_cmd_semaphore_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a semaphore",
	.help = "Waiting acquirers get closed. Prints nothing; with --json, "
		"{}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_semaphore_delete_exec,
};

static const struct cli_cmd cli_cmd_semaphore_list = {
	.name = "list",
	.usage = "",
	.summary = "list the semaphores",
	.help = "Prints a table of the semaphores in name order: NAME VALUE "
		"BOUNDED (VALUE:\nthe permits free). With --json, prints the "
		"array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_semaphore_list_exec,
};

static const struct cli_cmd *const semaphore_commands[] = {
	&cli_cmd_semaphore_create,
	&cli_cmd_semaphore_run,
	&cli_cmd_semaphore_release,
	&cli_cmd_semaphore_info,
	&cli_cmd_semaphore_delete,
	&cli_cmd_semaphore_list,
	NULL,
};

const struct cli_cmd cli_cmd_semaphore = {
	.name = "semaphore",
	.usage = "COMMAND",
	.summary = "the daemon's named semaphores",
	.help = "Semaphores that live in mpdd, shared by every client "
		"(Python's Semaphore and\nBoundedSemaphore). A permit taken "
		"by run is held by its connection and given\nback when it "
		"closes.",
	.subcommands = semaphore_commands,
};

static int cmd_event_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	int r;

	r = cli_broker_connect(ctx, "event create", argv[0]);
	if (r != CLI_OK)
		return r;
	r = mpd_event_create(ctx->client, argv[0], exist_ok, &err);
	return cli_broker_done(ctx, "event create", r, &err);
}

static int cmd_event_set_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "event set", mpd_event_set, argv[0]);
}

static int cmd_event_clear_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "event clear", mpd_event_clear, argv[0]);
}

static int cmd_event_wait_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	double timeout = -1;
	int r;

	r = cli_broker_name(ctx, "event wait", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "event wait", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_event_wait(ctx->client, argv[0], timeout, &err);
	if (r == 0)
		return sync_timed_out(ctx,
				      "event wait: %s is still clear after "
				      "%g s",
				      argv[0], timeout);
	return cli_broker_done(ctx, "event wait", r, &err);
}

static int cmd_event_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "event info", mpd_event_info, argv[0]);
}

static int cmd_event_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "event delete", mpd_event_delete,
				  argv[0]);
}

static int cmd_event_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "SET", "set" },
	};

	return cli_broker_list(ctx, "event list", mpd_event_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_event_create = {
	.name = "create",
	.usage = "NAME [--exist-ok]",
	.summary = "create an event",
	.help = "Creates the event NAME, clear. An existing event is an error "
		"(exists), or\nwith --exist-ok fine and left as it is. Prints "
		"nothing; with --json, the\nresult ({name, set, created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "exist-ok", NULL, "an existing event is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_event_create_exec,
};

static const struct cli_cmd cli_cmd_event_set = {
	.name = "set",
	.usage = "NAME",
	.summary = "set an event, waking its waiters",
	.help = "Sets the event: every waiter returns, and waits return at "
		"once until it is\ncleared. Prints nothing; with --json, the "
		"result ({woken}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_event_set_exec,
};

static const struct cli_cmd cli_cmd_event_clear = {
	.name = "clear",
	.usage = "NAME",
	.summary = "clear an event",
	.help = "Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_event_clear_exec,
};

static const struct cli_cmd cli_cmd_event_wait = {
	.name = "wait",
	.usage = "NAME [--timeout S]",
	.summary = "wait until an event is set",
	.help = "Returns at once when the event is set, else waits until it "
		"is, or at most S\nseconds. Exit 0 when it was set, 5 when "
		"the timeout passed first, 6 when\nthe event was deleted. "
		"Prints nothing; with --json, the result ({set}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S", SYNC_TIMEOUT_HELP, false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_event_wait_exec,
};

static const struct cli_cmd cli_cmd_event_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show an event's state",
	.help = "Prints event.info as \"key: value\" lines: set, waiters. With "
		"--json, prints\nthe object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_event_info_exec,
};

static const struct cli_cmd cli_cmd_event_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete an event",
	.help = "Waiters get closed (exit 6). Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_event_delete_exec,
};

static const struct cli_cmd cli_cmd_event_list = {
	.name = "list",
	.usage = "",
	.summary = "list the events",
	.help = "Prints a table of the events in name order: NAME SET. With "
		"--json, prints the\narray.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_event_list_exec,
};

static const struct cli_cmd *const event_commands[] = {
	&cli_cmd_event_create, &cli_cmd_event_set,
	&cli_cmd_event_clear,  &cli_cmd_event_wait,
	&cli_cmd_event_info,   &cli_cmd_event_delete,
	&cli_cmd_event_list,   NULL,
};

const struct cli_cmd cli_cmd_event = {
	.name = "event",
	.usage = "COMMAND",
	.summary = "the daemon's named events",
	.help = "Events that live in mpdd, shared by every client (Python's "
		"Event): a flag\nthat waiters wait to see set.",
	.subcommands = event_commands,
};

static int cmd_condition_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	const char *lock = cli_opt_get(ctx, "lock");
	struct mpd_error err;
	int r;

	r = cli_broker_name(ctx, "condition create", argv[0]);
	if (r == CLI_OK && lock != NULL && lock[0] == '\0')
		return cli_usage_error(ctx->path,
				       "condition create: --lock is empty");
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_condition_create(ctx->client, argv[0], lock, exist_ok, &err);
	return cli_broker_done(ctx, "condition create", r, &err);
}

/*
 * Take the lock of condition name for cmd, waiting at most timeout
 * seconds (< 0: as long as it takes). Returns CLI_OK holding it, or the
 * exit status after reporting why not.
 */
static int condition_enter(struct cli_ctx *ctx, const char *cmd,
			   const char *name, double timeout)
{
	struct mpd_error err;
	int r;

	r = mpd_condition_acquire(ctx->client, name, timeout, NULL, &err);
	if (r < 0)
		return cli_call_error(cmd, &err);
	if (r == 0)
		return sync_timed_out(ctx,
				      "%s: the lock of %s is still held after "
				      "%g s",
				      cmd, name, timeout);
	return CLI_OK;
}

/*
 * Give back the lock of condition name. After a failed call (failed) the
 * release is quiet: that failure is the one reported. Returns CLI_OK or
 * the exit status after reporting the failure.
 */
static int condition_leave(struct cli_ctx *ctx, const char *cmd,
			   const char *name, bool failed)
{
	struct mpd_error err;

	if (mpd_condition_release(ctx->client, name, &err) >= 0 || failed)
		return CLI_OK;
	return cli_call_error(cmd, &err);
}

static int cmd_condition_notify_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool all = cli_opt_get(ctx, "all") != NULL;
	const char *name = argv[0];
	struct mpd_error err;
	double timeout = -1;
	long long n = 1;
	json_t *res;
	int r, woken;

	if (all && cli_opt_get(ctx, "waiters") != NULL)
		return cli_usage_error(ctx->path,
				       "condition notify: give -n or --all, "
				       "not both");
	r = sync_opt_int(ctx, "condition notify", "waiters", "-n", 1,
			 SYNC_MAX_NOTIFY, &n);
	if (r == CLI_OK)
		r = cli_broker_name(ctx, "condition notify", name);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "condition notify", "timeout",
				    &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r == CLI_OK)
		r = condition_enter(ctx, "condition notify", name, timeout);
	if (r != CLI_OK)
		return r;
	if (all)
		woken = mpd_condition_notify_all(ctx->client, name, &err);
	else
		woken = mpd_condition_notify(ctx->client, name, n, &err);
	r = condition_leave(ctx, "condition notify", name, woken < 0);
	if (woken < 0)
		return cli_call_error("condition notify", &err);
	if (r != CLI_OK || !ctx->json)
		return r;
	res = json_pack("{s:i}", "woken", woken);
	if (res == NULL) {
		cli_error("condition notify: out of memory");
		return CLI_FAIL;
	}
	r = cli_print_json(ctx, res, false);
	json_decref(res);
	return r;
}

static int cmd_condition_wait_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *name = argv[0];
	double timeout = -1, left = -1, start;
	struct mpd_error err;
	int r, notified;

	r = cli_broker_name(ctx, "condition wait", name);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "condition wait", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	start = now();
	r = condition_enter(ctx, "condition wait", name, timeout);
	if (r != CLI_OK)
		return r;
	/* The timeout bounds taking the lock and the wait together. */
	if (timeout >= 0) {
		left = timeout - (now() - start);
		if (left < 0)
			left = 0;
	}
	notified = mpd_condition_wait(ctx->client, name, left, NULL, &err);
	r = condition_leave(ctx, "condition wait", name, notified < 0);
	if (notified < 0)
		return cli_call_error("condition wait", &err);
	if (r != CLI_OK)
		return r;
	if (ctx->json) {
		json_t *res = json_pack("{s:b}", "notified", notified);

		if (res == NULL) {
			cli_error("condition wait: out of memory");
			return CLI_FAIL;
		}
		cli_print_json(ctx, res, false);
		json_decref(res);
	}
	if (notified == 0) {
		fflush(stdout);
		cli_error("condition wait: %s was not notified after %g s",
			  name, timeout);
		return CLI_TIMEOUT;
	}
	return CLI_OK;
}

static int cmd_condition_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "condition info", mpd_condition_info,
			       argv[0]);
}

static int cmd_condition_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "condition delete", mpd_condition_delete,
				  argv[0]);
}

/* condition.list, each row without "lock" when the condition has its
 * own (the table shows "-"). Returns as mpd_condition_list(). */
static int list_for_people(struct mpd_client *c, json_t **list,
			   struct mpd_error *err)
{
	json_t *row;
	size_t i;
	int r;

	r = mpd_condition_list(c, list, err);
	if (r < 0)
		return r;
	json_array_foreach (*list, i, row) {
		if (json_is_null(json_object_get(row, "lock")))
			json_object_del(row, "lock");
	}
	return 0;
}

static int cmd_condition_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "LOCK", "lock" },
	};

	/* --json prints condition.list's own result. */
	return cli_broker_list(ctx, "condition list",
			       ctx->json ? mpd_condition_list : list_for_people,
			       cols, sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_condition_create = {
	.name = "create",
	.usage = "NAME [OPTIONS]",
	.summary = "create a condition",
	.help = "Creates the condition NAME over the existing lock --lock "
		"LOCK, or over a lock\nof its own (an RLock, as Python's "
		"default). An existing condition is an error\n(exists), or "
		"with --exist-ok fine (when over the same lock) and left as "
		"it\nis. Prints nothing; with --json, the result ({name, lock, "
		"created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "lock", "LOCK", "use the lock LOCK (it must exist)",
			  false },
			{ "exist-ok", NULL, "an existing condition is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_condition_create_exec,
};

static const struct cli_cmd cli_cmd_condition_notify = {
	.name = "notify",
	.usage = "NAME [OPTIONS]",
	.summary = "wake a condition's waiters",
	.help = "Takes the condition's lock (at most --timeout seconds: then "
		"exit 5), wakes\nthe N longest waiters (default 1) or with "
		"--all every one, and gives the\nlock back. A notify with "
		"nobody waiting is lost, as in Python. Prints\nnothing; with "
		"--json, {\"woken\": N}.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "waiters", "N", "wake N waiters (default 1)", false },
			{ "all", NULL, "wake every waiter", false },
			{ "timeout", "S",
			  "wait at most S seconds for the lock (0: do not "
			  "wait)",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_condition_notify_exec,
};

static const struct cli_cmd cli_cmd_condition_wait = {
	.name = "wait",
	.usage = "NAME [--timeout S]",
	.summary = "wait until a condition is notified",
	.help = "Takes the condition's lock, waits for a notify (the lock "
		"given up meanwhile),\nand gives the lock back. --timeout "
		"bounds taking the lock and the wait for\nthe notify together "
		"(taking the lock back after may take longer, as in\nPython). "
		"Exit 0 when notified, 5 when the timeout passed first, 6 when "
		"the\ncondition was deleted. Prints nothing; with --json, "
		"{\"notified\": BOOL}.",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S", SYNC_TIMEOUT_HELP, false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_condition_wait_exec,
};

static const struct cli_cmd cli_cmd_condition_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a condition's state",
	.help = "Prints condition.info as \"key: value\" lines: lock (null: "
		"its own), locked,\nholder, waiters (waiting for a notify). "
		"With --json, prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_condition_info_exec,
};

static const struct cli_cmd cli_cmd_condition_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a condition",
	.help = "Waiters get closed; a lock it used is left as it is. Prints "
		"nothing; with\n--json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_condition_delete_exec,
};

static const struct cli_cmd cli_cmd_condition_list = {
	.name = "list",
	.usage = "",
	.summary = "list the conditions",
	.help = "Prints a table of the conditions in name order: NAME LOCK "
		"(\"-\": its own).\nWith --json, prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_condition_list_exec,
};

static const struct cli_cmd *const condition_commands[] = {
	&cli_cmd_condition_create,
	&cli_cmd_condition_notify,
	&cli_cmd_condition_wait,
	&cli_cmd_condition_info,
	&cli_cmd_condition_delete,
	&cli_cmd_condition_list,
	NULL,
};

const struct cli_cmd cli_cmd_condition = {
	.name = "condition",
	.usage = "COMMAND",
	.summary = "the daemon's named conditions",
	.help = "Condition variables that live in mpdd, shared by every "
		"client (Python's\nCondition), over a lock of their own or a "
		"named one.",
	.subcommands = condition_commands,
};

static int cmd_barrier_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	struct mpd_error err;
	double timeout = -1;
	long long parties;
	int r;

	if (cli_opt_get(ctx, "parties") == NULL)
		return cli_usage_error(ctx->path,
				       "barrier create: --parties is required");
	r = sync_opt_int(ctx, "barrier create", "parties", "--parties", 1,
			 LLONG_MAX, &parties);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "barrier create", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_broker_connect(ctx, "barrier create", argv[0]);
	if (r != CLI_OK)
		return r;
	r = mpd_barrier_create(ctx->client, argv[0], parties, timeout, exist_ok,
			       &err);
	return cli_broker_done(ctx, "barrier create", r, &err);
}

static int cmd_barrier_wait_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	double timeout = -1;
	int r;

	r = cli_broker_name(ctx, "barrier wait", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "barrier wait", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_barrier_wait(ctx->client, argv[0], timeout, &err);
	if (r < 0)
		return cli_call_error("barrier wait", &err);
	if (ctx->json)
		return cli_print_json(ctx, mpd_last_result(ctx->client), false);
	printf("%d\n", r);
	return CLI_OK;
}

static int cmd_barrier_abort_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "barrier abort", mpd_barrier_abort,
				  argv[0]);
}

static int cmd_barrier_reset_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "barrier reset", mpd_barrier_reset,
				  argv[0]);
}

static int cmd_barrier_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "barrier info", mpd_barrier_info, argv[0]);
}

static int cmd_barrier_delete_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "barrier delete", mpd_barrier_delete,
				  argv[0]);
}

static int cmd_barrier_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "PARTIES", "parties" },
		{ "WAITING", "n_waiting" },
		{ "BROKEN", "broken" },
	};

	return cli_broker_list(ctx, "barrier list", mpd_barrier_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static const struct cli_cmd cli_cmd_barrier_create = {
	.name = "create",
	.usage = "NAME --parties N",
	.summary = "create a barrier",
	.help = "Creates the barrier NAME for N parties (required); --timeout "
		"S is the default\nof its waits, after which a wait breaks it. "
		"An existing barrier is an error\n(exists), or with --exist-ok "
		"fine (when for as many parties) and left as it\nis. Prints "
		"nothing; with --json, the result ({name, parties, timeout,\n"
		"created}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "parties", "N", "N callers pass together (required)",
			  false },
			{ "timeout", "S", "the default timeout of its waits",
			  false },
			{ "exist-ok", NULL, "an existing barrier is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_barrier_create_exec,
};

static const struct cli_cmd cli_cmd_barrier_wait = {
	.name = "wait",
	.usage = "NAME [--timeout S]",
	.summary = "wait until a barrier's parties are there",
	.help = "Waits until N callers wait (N: the barrier's parties), then "
		"all go on and\neach prints its index, 0 to N-1 in order of "
		"arrival. The barrier is then\nready for its next round. "
		"Waits at most S seconds (default: the barrier's\ntimeout); "
		"a wait that times out breaks the barrier for everyone. Exit "
		"7 when\nthe barrier is or gets broken (a timeout, a waiter "
		"gone, abort, reset),\n6 when it was deleted. With --json, "
		"prints the result ({index}).",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S",
			  "wait at most S seconds, then break the barrier",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_barrier_wait_exec,
};

static const struct cli_cmd cli_cmd_barrier_abort = {
	.name = "abort",
	.usage = "NAME",
	.summary = "break a barrier",
	.help = "Breaks the barrier: its waiters, and every wait until a "
		"reset, fail with\nbroken (exit 7). Prints nothing; with "
		"--json, the result ({woken}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_barrier_abort_exec,
};

static const struct cli_cmd cli_cmd_barrier_reset = {
	.name = "reset",
	.usage = "NAME",
	.summary = "make a barrier whole again",
	.help = "Its waiters fail with broken (exit 7), and the barrier is "
		"whole again, with\nnobody waiting. Prints nothing; with "
		"--json, the result ({woken}).",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_barrier_reset_exec,
};

static const struct cli_cmd cli_cmd_barrier_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a barrier's state",
	.help = "Prints barrier.info as \"key: value\" lines: parties, "
		"n_waiting, broken,\ntimeout. With --json, prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_barrier_info_exec,
};

static const struct cli_cmd cli_cmd_barrier_delete = {
	.name = "delete",
	.usage = "NAME",
	.summary = "delete a barrier",
	.help = "Waiters get closed (exit 6). Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_barrier_delete_exec,
};

static const struct cli_cmd cli_cmd_barrier_list = {
	.name = "list",
	.usage = "",
	.summary = "list the barriers",
	.help = "Prints a table of the barriers in name order: NAME PARTIES "
		"WAITING BROKEN.\nWith --json, prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_barrier_list_exec,
};

static const struct cli_cmd *const barrier_commands[] = {
	&cli_cmd_barrier_create, &cli_cmd_barrier_wait,
	&cli_cmd_barrier_abort,	 &cli_cmd_barrier_reset,
	&cli_cmd_barrier_info,	 &cli_cmd_barrier_delete,
	&cli_cmd_barrier_list,	 NULL,
};

const struct cli_cmd cli_cmd_barrier = {
	.name = "barrier",
	.usage = "COMMAND",
	.summary = "the daemon's named barriers",
	.help = "Barriers that live in mpdd, shared by every client (Python's "
		"Barrier): N\nparties wait until all N are there, then go on "
		"together.",
	.subcommands = barrier_commands,
};
