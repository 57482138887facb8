/*
 * main.c - mpdd: options, start-up, the event loop and a clean exit.
 *
 * Start-up does everything that can fail before the first client is
 * served: options are checked, the fd limit raised to fit the connection
 * limit, the socket created (refusing a live one), then readiness is
 * announced on --ready-fd. SIGTERM and SIGINT end the loop; the exit path
 * stops accepting, closes every connection and removes the socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
		"  -s, --socket PATH         listen on PATH (default: "
		"$MPD_SOCKET, else\n"
		"                            " MPD_SYSTEM_SOCKET
		" for root, else\n"
		"                            $XDG_RUNTIME_DIR" MPD_USER_SOCKET_SUFFIX
		")\n"
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
		"      --max-processes N     processes starting or running at once "
		"(default %d)\n"
		"      --max-exited N        ended process records kept (default "
		"%d)\n"
		"      --kill-grace SECONDS  from SIGTERM to SIGKILL for daemonic "
		"processes\n"
		"                            (default %g)\n"
		"      --max-objects N       queues, values and arrays together "
		"(default %d)\n"
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
		"Stops cleanly on SIGTERM or SIGINT. Protocol: "
		"docs/protocol.md.\n",
		MPD_DEFAULT_MAX_MESSAGE, MPD_DEFAULT_MAX_CONNECTIONS,
		MPD_DEFAULT_MAX_OUTPUT, MPD_DEFAULT_MAX_PROCESSES,
		MPD_DEFAULT_MAX_EXITED, MPD_DEFAULT_KILL_GRACE,
		MPD_DEFAULT_MAX_OBJECTS, MPD_DEFAULT_MAX_QUEUE_ITEMS);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mpdd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mpdd --help' for more information.\n", stderr);
	exit(2);
}

enum {
	OPT_LOG_LEVEL = 256,
	OPT_MAX_MESSAGE,
	OPT_MAX_CONNECTIONS,
	OPT_MAX_OUTPUT,
	OPT_READY_FD,
	OPT_PRINT_SOCKET,
	OPT_PRELOAD,
	OPT_MAX_PROCESSES,
	OPT_MAX_EXITED,
	OPT_KILL_GRACE,
	OPT_MAX_OBJECTS,
	OPT_MAX_QUEUE_ITEMS,
	OPT_MAX_BROKER_BYTES,
	OPT_MAX_CONNECTIONS_PER_UID,
	OPT_SHUTDOWN,
};

static void parse_options(int argc, char **argv, struct mpdd_options *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "max-message", required_argument, NULL, OPT_MAX_MESSAGE },
		{ "max-connections", required_argument, NULL,
		  OPT_MAX_CONNECTIONS },
		{ "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
		{ "ready-fd", required_argument, NULL, OPT_READY_FD },
		{ "print-socket", no_argument, NULL, OPT_PRINT_SOCKET },
		{ "preload", required_argument, NULL, OPT_PRELOAD },
		{ "max-processes", required_argument, NULL, OPT_MAX_PROCESSES },
		{ "max-exited", required_argument, NULL, OPT_MAX_EXITED },
		{ "kill-grace", required_argument, NULL, OPT_KILL_GRACE },
		{ "max-objects", required_argument, NULL, OPT_MAX_OBJECTS },
		{ "max-queue-items", required_argument, NULL,
		  OPT_MAX_QUEUE_ITEMS },
		{ "max-broker-bytes", required_argument, NULL,
		  OPT_MAX_BROKER_BYTES },
		{ "max-connections-per-uid", required_argument, NULL,
		  OPT_MAX_CONNECTIONS_PER_UID },
		{ "shutdown", required_argument, NULL, OPT_SHUTDOWN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_opt = NULL;
	bool print_socket = false;
	unsigned long long u;
	int ch, rc;

	o->ready_fd = -1;
	o->max_message = MPD_DEFAULT_MAX_MESSAGE;
	o->max_connections = MPD_DEFAULT_MAX_CONNECTIONS;
	o->max_output = MPD_DEFAULT_MAX_OUTPUT;
	o->log_level = LOG_LEVEL_INFO;
	o->max_processes = MPD_DEFAULT_MAX_PROCESSES;
	o->max_exited = MPD_DEFAULT_MAX_EXITED;
	o->kill_grace = MPD_DEFAULT_KILL_GRACE;
	o->max_objects = MPD_DEFAULT_MAX_OBJECTS;
	o->max_queue_items = MPD_DEFAULT_MAX_QUEUE_ITEMS;
	o->max_broker_bytes = MPD_DEFAULT_MAX_BROKER_BYTES;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			socket_opt = optarg;
			break;
		case 'v':
			o->log_level = LOG_LEVEL_DEBUG;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = log_level_parse(optarg);
			if (o->log_level < 0)
				usage_error("--log-level: unknown level '%s' "
					    "(error, warning, info, debug)",
					    optarg);
			break;
		case OPT_MAX_MESSAGE:
			if (parse_size(optarg, &o->max_message) != 0 ||
			    o->max_message < MPD_MIN_MAX_MESSAGE ||
			    o->max_message > INT_MAX)
				usage_error("--max-message: '%s' is not a size "
					    "from %d to %d bytes",
					    optarg, MPD_MIN_MAX_MESSAGE,
					    INT_MAX);
			break;
		case OPT_MAX_CONNECTIONS:
			if (parse_uint(optarg, 1000000, &u) != 0 || u == 0)
				usage_error("--max-connections: '%s' is not a "
					    "number from 1 to 1000000",
					    optarg);
			o->max_connections = (unsigned)u;
			break;
		case OPT_MAX_OUTPUT:
			if (parse_size(optarg, &o->max_output) != 0 ||
			    o->max_output == 0)
				usage_error("--max-output: '%s' is not a "
					    "positive size",
					    optarg);
			break;
		case OPT_READY_FD:
			if (parse_uint(optarg, INT_MAX, &u) != 0 || u < 3)
				usage_error("--ready-fd: '%s' is not a file "
					    "descriptor number above 2",
					    optarg);
			o->ready_fd = (int)u;
			break;
		case OPT_PRELOAD:
			if (optarg[0] == '\0' || optarg[0] == ':')
				usage_error("--preload: expected PATH[:INIT]");
			if (o->npreload ==
			    (int)(sizeof(o->preload) / sizeof(o->preload[0])))
				usage_error("--preload: at most %zu modules",
					    sizeof(o->preload) /
						    sizeof(o->preload[0]));
			o->preload[o->npreload++] = optarg;
			break;
		case OPT_MAX_PROCESSES:
			if (parse_uint(optarg, 1000000, &u) != 0 || u == 0)
				usage_error("--max-processes: '%s' is not a "
					    "number from 1 to 1000000",
					    optarg);
			o->max_processes = (unsigned)u;
			break;
		case OPT_MAX_EXITED:
			if (parse_uint(optarg, 10000000, &u) != 0)
				usage_error("--max-exited: '%s' is not a "
					    "number from 0 to 10000000",
					    optarg);
			o->max_exited = (unsigned)u;
			break;
		case OPT_KILL_GRACE: {
			char *end;

			errno = 0;
			o->kill_grace = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->kill_grace >= 0 && o->kill_grace <= 3600))
				usage_error("--kill-grace: '%s' is not a "
					    "number of seconds from 0 to 3600",
					    optarg);
			break;
		}
		case OPT_MAX_OBJECTS:
			if (parse_uint(optarg, 100000000, &u) != 0 || u == 0)
				usage_error("--max-objects: '%s' is not a "
					    "number from 1 to 100000000",
					    optarg);
			o->max_objects = (size_t)u;
			break;
		case OPT_MAX_QUEUE_ITEMS:
			if (parse_uint(optarg, 1000000000, &u) != 0 || u == 0)
				usage_error("--max-queue-items: '%s' is not a "
					    "number from 1 to 1000000000",
					    optarg);
			o->max_queue_items = (size_t)u;
			break;
		case OPT_MAX_BROKER_BYTES: {
			size_t sz;

			if (parse_size(optarg, &sz) != 0 || sz == 0)
				usage_error("--max-broker-bytes: '%s' is not a "
					    "positive size",
					    optarg);
			o->max_broker_bytes = sz;
			break;
		}
		case OPT_MAX_CONNECTIONS_PER_UID:
			if (parse_uint(optarg, 1000000, &u) != 0 || u == 0)
				usage_error("--max-connections-per-uid: '%s' "
					    "is not a number from 1 to 1000000",
					    optarg);
			o->max_connections_per_uid = (unsigned)u;
			break;
		case OPT_SHUTDOWN:
			if (strcmp(optarg, "terminate") == 0)
				o->shutdown_leave = false;
			else if (strcmp(optarg, "leave") == 0)
				o->shutdown_leave = true;
			else
				usage_error("--shutdown: '%s' is not "
					    "terminate or leave",
					    optarg);
			break;
		case OPT_PRINT_SOCKET:
			print_socket = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("mpdd %s (protocol %d)\n", MPD_VERSION,
			       MPD_PROTOCOL_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value",
				    argv[optind - 1]);
			break;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);

	if (socket_opt != NULL) {
		if (socket_opt[0] == '\0' ||
		    strlen(socket_opt) >= sizeof(o->socket_path))
			usage_error("--socket: path is empty or longer than "
				    "%zu bytes",
				    sizeof(o->socket_path) - 1);
		snprintf(o->socket_path, sizeof(o->socket_path), "%s",
			 socket_opt);
	} else {
		rc = mpd_default_socket_path(o->socket_path,
					     sizeof(o->socket_path));
		if (rc == -ENOENT)
			usage_error("no socket path: set --socket, "
				    "MPD_SOCKET or XDG_RUNTIME_DIR");
		if (rc != 0)
			usage_error("default socket path: %s", strerror(-rc));
	}
	if (o->max_connections_per_uid == 0 ||
	    o->max_connections_per_uid > o->max_connections)
		o->max_connections_per_uid = o->max_connections;
	if (o->socket_path[0] != '/') {
		/* Workers get the path in MPD_SOCKET and may chdir. */
		char cwd[4096], abs[sizeof(o->socket_path)];

		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd,
				     o->socket_path) >= sizeof(abs))
			usage_error("--socket: cannot make '%s' absolute",
				    o->socket_path);
		memcpy(o->socket_path, abs, sizeof(abs));
	}
	if (print_socket) {
		printf("%s\n", o->socket_path);
		exit(0);
	}
}

/* Make room for every allowed connection, or lower the limit to fit. */
static void raise_fd_limit(struct mpdd_options *o)
{
	rlim_t want = (rlim_t)o->max_connections + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("setrlimit(RLIMIT_NOFILE, %llu)",
				 (unsigned long long)rl.rlim_cur);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
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

static void signal_cb(evutil_socket_t sig, short events, void *arg)
{
	log_info("%s received; shutting down", strsignal((int)sig));
	mpdd.stopping = true;
	event_base_loopbreak(mpdd.base);
}

int main(int argc, char **argv)
{
	struct event *ev_term, *ev_int, *ev_chld;
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
	parse_options(argc, argv, &mpdd.opt);
	log_init(mpdd.opt.log_level);
	dispatch_check();
	TAILQ_INIT(&mpdd.conns);
	clock_gettime(CLOCK_MONOTONIC, &mpdd.started_mono);
	mpdd.started_wall = time(NULL);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal(SIGPIPE)");
	raise_fd_limit(&mpdd.opt);

	mpdd.base = event_base_new();
	if (mpdd.base == NULL)
		fatalx("cannot create the event loop");
	ev_term = evsignal_new(mpdd.base, SIGTERM, signal_cb, NULL);
	ev_int = evsignal_new(mpdd.base, SIGINT, signal_cb, NULL);
	ev_chld = evsignal_new(mpdd.base, SIGCHLD, sigchld_cb, NULL);
	if (ev_term == NULL || ev_int == NULL || ev_chld == NULL ||
	    event_add(ev_term, NULL) == -1 || event_add(ev_int, NULL) == -1 ||
	    event_add(ev_chld, NULL) == -1)
		fatalx("cannot install signal handlers");

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if (spawner_init(exe, mpdd.opt.preload, mpdd.opt.npreload) == -1) {
		log_warnx("not starting: the template process is not ready");
		spawner_shutdown();
		exit(1);
	}

	fd = server_listen(mpdd.opt.socket_path);
	if (fd == -1) {
		log_warnx("not starting");
		exit(1);
	}
	server_start(fd);
	log_info("mpdd %s (protocol %d) serving %s, pid %ld", MPD_VERSION,
		 MPD_PROTOCOL_VERSION, mpdd.opt.socket_path, (long)getpid());
	announce_ready(mpdd.opt.ready_fd);

	if (event_base_dispatch(mpdd.base) == -1)
		fatalx("event loop failed");

	server_stop();
	closed = mpdd.nconns;
	conn_close_all();
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
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_chld);
	event_base_free(mpdd.base);
	libevent_global_shutdown();
	log_info("exited cleanly; %u connection%s closed", closed,
		 closed == 1 ? "" : "s");
	return 0;
}
