/*
 * main.c - mpdd: options, start-up, the event loop and a clean exit.
 *
 * Start-up does everything that can fail before the first client is
 * served: options are checked, the soft fd limit raised to the hard one
 * (and the connection limit lowered to fit it), the socket created
 * (refusing a live one), then readiness is announced on --ready-fd. SIGTERM and SIGINT end the loop; the exit path
 * stops accepting, closes every connection and removes the socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "mpdd.h"

/* fds kept aside from the connection limit: listener, lock, log, events. */
#define FD_RESERVE 32

struct mpdd_state mpdd;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: mpdd [OPTION]...\n"
		"Serve mpd, the process and IPC daemon, on a Unix socket.\n"
		"\n"
		"  -c, --config PATH         read options from PATH (lines of "
		"'key = value',\n"
		"                            keys are the long option names); "
		"the command\n"
		"                            line wins; SIGHUP re-reads it\n"
		"  -n, --check               check the config file and exit\n"
		"  -s, --socket PATH         listen on PATH (default: "
		"$MPD_SOCKET, else\n"
		"                            " MPD_SYSTEM_SOCKET
		" for root, else\n"
		"                            $XDG_RUNTIME_DIR" MPD_USER_SOCKET_SUFFIX
		")\n"
		"      --socket-mode MODE    the socket's mode (default 0600, "
		"0660 with a group)\n"
		"      --socket-group GROUP  the socket's group\n"
		"  -v, --verbose             log at debug level\n"
		"      --log-level LEVEL     error, warning, info (default) or "
		"debug\n"
		"      --max-message BYTES   longest request line (default "
		"%d; K, M, G suffixes)\n"
		"      --max-connections N   simultaneous clients (default "
		"%d)\n"
		"      --max-output BYTES    unread replies kept per client "
		"before it is\n"
		"                            dropped (default %d)\n"
		"      --ready-fd FD         write \"READY\\n\" to FD and close "
		"it once serving\n"
		"      --print-socket        print the socket path that would be "
		"used and exit\n"
		"      --preload PATH[:INIT] load a module into the template once, "
		"calling\n"
		"                            int INIT(void) if given "
		"(repeatable)\n"
		"      --pool N              children the template keeps forked "
		"ahead for\n"
		"                            function targets (default %d; 0 to "
		"%d)\n"
		"      --spin-usec N         with a single client, poll this long "
		"for its\n"
		"                            next request before sleeping (default "
		"%d;\n"
		"                            0 to %d; 0: never)\n"
		"      --max-processes N     processes starting or running at once "
		"(default %d)\n"
		"      --max-exited N        ended process records kept (default "
		"%d)\n"
		"      --max-created N       records created but not started "
		"(default %d)\n"
		"      --max-created-bytes BYTES  bytes those records hold "
		"(default 256M)\n"
		"      --max-created-per-uid N  one user's share of "
		"--max-created (default %d)\n"
		"      --max-created-bytes-per-uid BYTES  one user's share of\n"
		"                            --max-created-bytes (default 64M)\n"
		"      --capture-size BYTES  output ring of a process whose stdout "
		"or stderr\n"
		"                            is \"capture\" (default 64K; 4K to "
		"16M)\n"
		"      --max-capture-bytes BYTES  bytes those rings reserve in "
		"all (default\n"
		"                            256M)\n"
		"      --kill-grace SECONDS  from SIGTERM to SIGKILL for daemonic "
		"processes\n"
		"                            (default %g)\n"
		"      --max-objects N       broker objects (queues, values, "
		"arrays, locks, ...)\n"
		"                            together (default %d)\n"
		"      --max-queue-items N   items in one queue (default %d)\n"
		"      --max-broker-bytes BYTES  bytes the broker holds (default "
		"1G)\n"
		"      --max-connections-per-uid N  clients of one user at once "
		"(default:\n"
		"                            --max-connections)\n"
		"      --shutdown terminate|leave  at stop, end the workers still "
		"running\n"
		"                            (TERM, then KILL after --kill-grace; "
		"default)\n"
		"                            or leave them; daemonic ones always "
		"end\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n"
		"\n"
		"Stops cleanly on SIGTERM or SIGINT; reloads the config file on "
		"SIGHUP.\nProtocol: docs/protocol.md.\n",
		MPD_DEFAULT_MAX_MESSAGE, MPD_DEFAULT_MAX_CONNECTIONS,
		MPD_DEFAULT_MAX_OUTPUT, MPD_DEFAULT_POOL, MPD_MAX_POOL,
		MPD_DEFAULT_SPIN_USEC, MPD_MAX_SPIN_USEC,
		MPD_DEFAULT_MAX_PROCESSES, MPD_DEFAULT_MAX_EXITED,
		MPD_DEFAULT_MAX_CREATED, MPD_DEFAULT_MAX_CREATED_PER_UID,
		MPD_DEFAULT_KILL_GRACE, MPD_DEFAULT_MAX_OBJECTS,
		MPD_DEFAULT_MAX_QUEUE_ITEMS);
}

static uint64_t usec_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (uint64_t)(b.tv_sec - a->tv_sec) * 1000000u +
	       (uint64_t)(b.tv_nsec - a->tv_nsec) / 1000;
}

/* Microseconds every client read has come from one connection. */
static uint64_t lone_reader_usec(void)
{
	struct timeval now;

	/* A request parked by another client (say, a consumer blocked in
	 * a get) means more than one is at work. */
	if (mpdd.reader == NULL || mpdd.parked != mpdd.reader->nparked)
		return 0;
	event_base_gettimeofday_cached(mpdd.base, &now);
	return (uint64_t)(now.tv_sec - mpdd.reader_since.tv_sec) * 1000000u +
	       (uint64_t)(now.tv_usec - mpdd.reader_since.tv_usec);
}

/*
 * The event loop. While a single client is calling (every request of the
 * last LONE_READER_USEC came from one connection), mpdd does not go to
 * sleep as soon as it has answered: it polls for that client's next
 * request for up to --spin-usec microseconds first (and again after each
 * request that comes meanwhile). A client calling in a loop then never
 * waits for mpdd to be woken up, which in a virtual machine is most of a
 * round trip. With several clients calling there is always another
 * request to serve, or a CPU to leave to them: mpdd sleeps at once, as it
 * always does with --spin-usec 0. An idle client costs at most one spin.
 */
#define LONE_READER_USEC 1000
static void serve(void)
{
	for (;;) {
		int r = event_base_loop(mpdd.base, EVLOOP_ONCE);
		struct timespec since;
		uint64_t seen = mpdd.reads;

		if (r == -1)
			fatalx("event loop failed");
		if (r == 1 || event_base_got_break(mpdd.base) ||
		    event_base_got_exit(mpdd.base))
			return;
		if (mpdd.opt.spin_usec == 0 ||
		    lone_reader_usec() < LONE_READER_USEC)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &since);
		while (usec_since(&since) < mpdd.opt.spin_usec) {
			if (event_base_loop(mpdd.base, EVLOOP_NONBLOCK) == -1)
				fatalx("event loop failed");
			if (event_base_got_break(mpdd.base) ||
			    event_base_got_exit(mpdd.base))
				return;
			if (mpdd.reads != seen) {
				/* Another client came: stop polling. */
				if (lone_reader_usec() < LONE_READER_USEC)
					break;
				seen = mpdd.reads;
				clock_gettime(CLOCK_MONOTONIC, &since);
			}
		}
	}
}

/*
 * Raise the soft descriptor limit to the hard one: mpdd holds a pidfd for
 * every live worker, besides its connections (the template and the
 * workers get the limit mpdd was started with back, spawner.c). Then make
 * room for every allowed connection, or lower that limit to fit.
 */
static void raise_fd_limit(struct mpdd_options *o)
{
	rlim_t want = (rlim_t)o->max_connections + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (mpdd.fd_limit_orig == 0)
		mpdd.fd_limit_orig = (size_t)rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit(RLIMIT_NOFILE, %llu)",
				 (unsigned long long)rl.rlim_cur);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	mpdd.fd_limit = (size_t)rl.rlim_cur;
	if (rl.rlim_cur < want) {
		o->max_connections =
			rl.rlim_cur > 2 * FD_RESERVE ?
				(unsigned)(rl.rlim_cur - FD_RESERVE) :
				FD_RESERVE;
		log_warnx("file descriptor limit is %llu: max_connections "
			  "lowered to %u",
			  (unsigned long long)rl.rlim_cur, o->max_connections);
	}
}

/* How many descriptors are open (what start-up left: the listener, the
 * event loop's, the template channel). */
static size_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return FD_RESERVE;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the directory's own */
}

static void announce_ready(int fd)
{
	static const char ready[] = "READY\n";

	if (fd < 0)
		return;
	if (write(fd, ready, sizeof(ready) - 1) != sizeof(ready) - 1)
		log_warn("--ready-fd %d", fd);
	close(fd);
}

static void sigchld_cb(evutil_socket_t sig, short events, void *arg)
{
	spawner_sigchld();
}

/* Descriptors 0, 1 and 2 must be open: a worker that inherits them, and
 * every fd we open later, depend on it. */
static void open_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
			exit(1);
	}
}

static void sighup_cb(evutil_socket_t sig, short events, void *arg)
{
	sdnotify("RELOADING=1");
	options_reload();
	raise_fd_limit(&mpdd.opt);
	sdnotify("READY=1");
}

static void signal_cb(evutil_socket_t sig, short events, void *arg)
{
	log_info("%s received; shutting down", strsignal((int)sig));
	mpdd.stopping = true;
	event_base_loopbreak(mpdd.base);
}

int main(int argc, char **argv)
{
	struct event *ev_term, *ev_int, *ev_chld, *ev_hup;
	struct event_config *cfg;
	char exe[4096];
	unsigned closed;
	ssize_t n;
	int fd;

	open_std_fds();
	/* The images mpdd runs itself in: not for users. */
	if (argc >= 3 && strcmp(argv[1], "--template") == 0)
		template_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "--worker") == 0)
		worker_main(argc, argv);
	options_parse(argc, argv, &mpdd.opt, usage);
	log_init(mpdd.opt.log_level);
	dispatch_check();
	TAILQ_INIT(&mpdd.conns);
	clock_gettime(CLOCK_MONOTONIC, &mpdd.started_mono);
	mpdd.started_wall = time(NULL);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal(SIGPIPE)");
	raise_fd_limit(&mpdd.opt);
	/* Ours alone: no template or worker may hold it open. */
	if (mpdd.opt.ready_fd >= 0)
		fcntl(mpdd.opt.ready_fd, F_SETFD, FD_CLOEXEC);

	/* Timeouts and leases end when they are due, never early: the
	 * coarse clock libevent reads by default lags by up to a tick. */
	cfg = event_config_new();
	if (cfg == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == -1 ||
	    (mpdd.base = event_base_new_with_config(cfg)) == NULL)
		fatalx("cannot create the event loop");
	event_config_free(cfg);
	ev_term = evsignal_new(mpdd.base, SIGTERM, signal_cb, NULL);
	ev_int = evsignal_new(mpdd.base, SIGINT, signal_cb, NULL);
	ev_chld = evsignal_new(mpdd.base, SIGCHLD, sigchld_cb, NULL);
	ev_hup = evsignal_new(mpdd.base, SIGHUP, sighup_cb, NULL);
	if (ev_term == NULL || ev_int == NULL || ev_chld == NULL ||
	    ev_hup == NULL || event_add(ev_term, NULL) == -1 ||
	    event_add(ev_int, NULL) == -1 || event_add(ev_chld, NULL) == -1 ||
	    event_add(ev_hup, NULL) == -1)
		fatalx("cannot install signal handlers");

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	/* The socket first: a second mpdd refuses before it starts a
	 * template. */
	fd = sdnotify_listen_fd();
	if (fd >= 0) {
		struct sockaddr_un sun;
		socklen_t len = sizeof(sun);

		/* Workers and daemon.info name the socket really served. */
		memset(&sun, 0, sizeof(sun));
		if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0 &&
		    sun.sun_family == AF_UNIX && sun.sun_path[0] == '/')
			snprintf(mpdd.opt.socket_path,
				 sizeof(mpdd.opt.socket_path), "%s",
				 sun.sun_path);
		log_info("using the listening socket passed by the service "
			 "manager: %s",
			 mpdd.opt.socket_path);
	} else if (server_claim(mpdd.opt.socket_path) == -1) {
		log_warnx("not starting");
		server_stop();
		exit(1);
	}
	if (spawner_init(exe, mpdd.opt.preload, mpdd.opt.npreload,
			 mpdd.opt.pool) == -1) {
		log_warnx("not starting: the template process is not ready");
		spawner_shutdown();
		server_stop();
		exit(1);
	}
	if (fd < 0) {
		fd = server_listen(mpdd.opt.socket_path);
		if (fd == -1) {
			log_warnx("not starting");
			spawner_shutdown();
			server_stop();
			exit(1);
		}
	}
	server_start(fd);
	mpdd.fd_base = count_fds();
	log_info("mpdd %s (protocol %d) serving %s, pid %ld", MPD_VERSION,
		 MPD_PROTOCOL_VERSION, mpdd.opt.socket_path, (long)getpid());
	announce_ready(mpdd.opt.ready_fd);
	sdnotify_start();

	serve();

	sdnotify_stop();
	server_stop();
	closed = mpdd.nconns;
	conn_close_all();
	pool_shutdown();
	{
		size_t live = proctab_live(), killed, ended;

		ended = proctab_stop_all(!mpdd.opt.shutdown_leave, &killed);
		log_info("stopping: %zu worker%s ended (%zu after SIGKILL), "
			 "%zu left running",
			 ended, ended == 1 ? "" : "s", killed,
			 live > ended ? live - ended : 0);
	}
	spawner_shutdown();
	proctab_shutdown();
	queue_shutdown();
	value_shutdown();
	dict_shutdown();
	list_shutdown();
	sync_shutdown();
	listener_shutdown();
	shm_shutdown();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_chld);
	event_free(ev_hup);
	event_base_free(mpdd.base);
	libevent_global_shutdown();
	options_free();
	log_info("exited cleanly; %u connection%s closed", closed,
		 closed == 1 ? "" : "s");
	return 0;
}
