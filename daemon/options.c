/*
 * options.c - mpdd's options: the command line, the config file, reloads.
 *
 * Every option is one row of opts[]: its long name (also its key in the
 * config file), whether it takes a value, whether the file may set it, and
 * whether a SIGHUP reload can change it live. One function checks and
 * applies a value, whichever the source, so the command line and the file
 * accept exactly the same things and say the same things about bad ones.
 * The command line wins over the file, at start-up and at every reload.
 *
 * The file format: lines of `key = value`; `#` starts a comment line;
 * blank lines are ignored; keys are the long option names.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "mpdd.h"

enum opt_id {
	O_SOCKET,
	O_SOCKET_MODE,
	O_SOCKET_GROUP,
	O_LOG_LEVEL,
	O_MAX_MESSAGE,
	O_MAX_CONNECTIONS,
	O_MAX_CONNECTIONS_PER_UID,
	O_MAX_OUTPUT,
	O_PRELOAD,
	O_POOL,
	O_SPIN_USEC,
	O_MAX_PROCESSES,
	O_MAX_EXITED,
	O_MAX_CREATED,
	O_MAX_CREATED_PER_UID,
	O_MAX_CREATED_BYTES,
	O_MAX_CREATED_BYTES_PER_UID,
	O_CAPTURE_SIZE,
	O_MAX_CAPTURE_BYTES,
	O_KILL_GRACE,
	O_MAX_OBJECTS,
	O_MAX_QUEUE_ITEMS,
	O_MAX_BROKER_BYTES,
	O_SHUTDOWN,
	/* Command line only. */
	O_VERBOSE,
	O_CONFIG,
	O_CHECK,
	O_READY_FD,
	O_PRINT_SOCKET,
	O_HELP,
	O_VERSION,
	NOPTS
};

static const struct opt_def {
	const char *name;
	int shortopt;
	bool arg;
	bool in_file;
	bool live; /* a reload applies it */
} opts[NOPTS] = {
	[O_SOCKET] = { "socket", 's', true, true, false },
	[O_SOCKET_MODE] = { "socket-mode", 0, true, true, false },
	[O_SOCKET_GROUP] = { "socket-group", 0, true, true, false },
	[O_LOG_LEVEL] = { "log-level", 0, true, true, true },
	[O_MAX_MESSAGE] = { "max-message", 0, true, true, true },
	[O_MAX_CONNECTIONS] = { "max-connections", 0, true, true, true },
	[O_MAX_CONNECTIONS_PER_UID] = { "max-connections-per-uid", 0, true,
					true, true },
	[O_MAX_OUTPUT] = { "max-output", 0, true, true, true },
	[O_PRELOAD] = { "preload", 0, true, true, false },
	[O_POOL] = { "pool", 0, true, true, false },
	[O_SPIN_USEC] = { "spin-usec", 0, true, true, true },
	[O_MAX_PROCESSES] = { "max-processes", 0, true, true, true },
	[O_MAX_EXITED] = { "max-exited", 0, true, true, true },
	[O_MAX_CREATED] = { "max-created", 0, true, true, true },
	[O_MAX_CREATED_PER_UID] = { "max-created-per-uid", 0, true, true,
				    true },
	[O_MAX_CREATED_BYTES] = { "max-created-bytes", 0, true, true, true },
	[O_MAX_CREATED_BYTES_PER_UID] = { "max-created-bytes-per-uid", 0, true,
					  true, true },
	[O_CAPTURE_SIZE] = { "capture-size", 0, true, true, true },
	[O_MAX_CAPTURE_BYTES] = { "max-capture-bytes", 0, true, true, true },
	[O_KILL_GRACE] = { "kill-grace", 0, true, true, true },
	[O_MAX_OBJECTS] = { "max-objects", 0, true, true, true },
	[O_MAX_QUEUE_ITEMS] = { "max-queue-items", 0, true, true, true },
	[O_MAX_BROKER_BYTES] = { "max-broker-bytes", 0, true, true, true },
	[O_SHUTDOWN] = { "shutdown", 0, true, true, false },
	[O_VERBOSE] = { "verbose", 'v', false, false, false },
	[O_CONFIG] = { "config", 'c', true, false, false },
	[O_CHECK] = { "check", 'n', false, false, false },
	[O_READY_FD] = { "ready-fd", 0, true, false, false },
	[O_PRINT_SOCKET] = { "print-socket", 0, false, false, false },
	[O_HELP] = { "help", 'h', false, false, false },
	[O_VERSION] = { "version", 'V', false, false, false },
};

/* What the command line set: a reload must not undo it. */
static bool cli_set[NOPTS];
static const char *config_path;
/* Strings the options point into (config values, preload paths). */
static char **owned;
static size_t nowned;

static char *keep(const char *s)
{
	char *copy = strdup(s);
	char **n;

	if (copy == NULL)
		fatal("strdup");
	n = realloc(owned, (nowned + 1) * sizeof(*n));
	if (n == NULL)
		fatal("realloc");
	owned = n;
	owned[nowned++] = copy;
	return copy;
}

/* Free what the options own (at exit). */
void options_free(void)
{
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	owned = NULL;
	nowned = 0;
}

static void defaults(struct mpdd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->ready_fd = -1;
	o->socket_mode = -1;
	o->max_message = MPD_DEFAULT_MAX_MESSAGE;
	o->max_connections = MPD_DEFAULT_MAX_CONNECTIONS;
	o->max_output = MPD_DEFAULT_MAX_OUTPUT;
	o->log_level = LOG_LEVEL_INFO;
	o->max_processes = MPD_DEFAULT_MAX_PROCESSES;
	o->max_exited = MPD_DEFAULT_MAX_EXITED;
	o->max_created = MPD_DEFAULT_MAX_CREATED;
	o->max_created_per_uid = MPD_DEFAULT_MAX_CREATED_PER_UID;
	o->max_created_bytes = MPD_DEFAULT_MAX_CREATED_BYTES;
	o->max_created_bytes_per_uid = MPD_DEFAULT_MAX_CREATED_BYTES_PER_UID;
	o->capture_size = MPD_DEFAULT_CAPTURE_SIZE;
	o->max_capture_bytes = MPD_DEFAULT_MAX_CAPTURE_BYTES;
	o->kill_grace = MPD_DEFAULT_KILL_GRACE;
	o->pool = MPD_DEFAULT_POOL;
	o->spin_usec = MPD_DEFAULT_SPIN_USEC;
	o->max_objects = MPD_DEFAULT_MAX_OBJECTS;
	o->max_queue_items = MPD_DEFAULT_MAX_QUEUE_ITEMS;
	o->max_broker_bytes = MPD_DEFAULT_MAX_BROKER_BYTES;
}

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -1;                          \
	} while (0)

/*
 * Check value and set option id in o. Returns 0, or -1 with a message
 * that starts with the option's name written to err.
 */
static int apply(struct mpdd_options *o, int id, const char *v, char *err,
		 size_t errlen)
{
	const char *name = opts[id].name;
	unsigned long long u;
	size_t sz;
	char *end;

	switch (id) {
	case O_SOCKET:
		if (v[0] == '\0' || strlen(v) >= sizeof(o->socket_path))
			FAIL("%s: path is empty or longer than %zu bytes", name,
			     sizeof(o->socket_path) - 1);
		snprintf(o->socket_path, sizeof(o->socket_path), "%s", v);
		o->socket_given = true;
		break;
	case O_SOCKET_MODE:
		errno = 0;
		u = strtoull(v, &end, 8);
		if (errno != 0 || end == v || *end != '\0' || u > 0777)
			FAIL("%s: '%s' is not an octal mode like 0660", name,
			     v);
		o->socket_mode = (int)u;
		break;
	case O_SOCKET_GROUP: {
		struct group gr, *grp = NULL;
		char buf[4096];

		if (getgrnam_r(v, &gr, buf, sizeof(buf), &grp) != 0 ||
		    grp == NULL) {
			if (parse_uint(v, UINT_MAX - 1, &u) != 0)
				FAIL("%s: no group named '%s'", name, v);
			o->socket_gid = (gid_t)u;
		} else {
			o->socket_gid = grp->gr_gid;
		}
		o->socket_group = true;
		break;
	}
	case O_LOG_LEVEL:
		if (log_level_parse(v) < 0)
			FAIL("%s: unknown level '%s' (error, warning, info, "
			     "debug)",
			     name, v);
		o->log_level = log_level_parse(v);
		break;
	case O_MAX_MESSAGE:
		if (parse_size(v, &sz) != 0 || sz < MPD_MIN_MAX_MESSAGE ||
		    sz > INT_MAX)
			FAIL("%s: '%s' is not a size from %d to %d bytes", name,
			     v, MPD_MIN_MAX_MESSAGE, INT_MAX);
		o->max_message = sz;
		break;
	case O_MAX_CONNECTIONS:
	case O_MAX_CONNECTIONS_PER_UID:
	case O_MAX_PROCESSES:
		if (parse_uint(v, 1000000, &u) != 0 || u == 0)
			FAIL("%s: '%s' is not a number from 1 to 1000000", name,
			     v);
		if (id == O_MAX_CONNECTIONS)
			o->max_connections = (unsigned)u;
		else if (id == O_MAX_PROCESSES)
			o->max_processes = (unsigned)u;
		else
			o->max_connections_per_uid = (unsigned)u;
		break;
	case O_MAX_OUTPUT:
		if (parse_size(v, &sz) != 0 || sz == 0)
			FAIL("%s: '%s' is not a positive size", name, v);
		o->max_output = sz;
		break;
	case O_PRELOAD:
		if (v[0] == '\0' || v[0] == ':')
			FAIL("%s: expected PATH[:INIT]", name);
		if (o->npreload ==
		    (int)(sizeof(o->preload) / sizeof(o->preload[0])))
			FAIL("%s: at most %zu modules", name,
			     sizeof(o->preload) / sizeof(o->preload[0]));
		o->preload[o->npreload++] = keep(v);
		break;
	case O_POOL:
		if (parse_uint(v, MPD_MAX_POOL, &u) != 0)
			FAIL("%s: '%s' is not a number from 0 to %d", name, v,
			     MPD_MAX_POOL);
		o->pool = (unsigned)u;
		break;
	case O_SPIN_USEC:
		if (parse_uint(v, MPD_MAX_SPIN_USEC, &u) != 0)
			FAIL("%s: '%s' is not a number from 0 to %d", name, v,
			     MPD_MAX_SPIN_USEC);
		o->spin_usec = (unsigned)u;
		break;
	case O_MAX_EXITED:
		if (parse_uint(v, 10000000, &u) != 0)
			FAIL("%s: '%s' is not a number from 0 to 10000000",
			     name, v);
		o->max_exited = (unsigned)u;
		break;
	case O_MAX_CREATED:
	case O_MAX_CREATED_PER_UID:
		if (parse_uint(v, 10000000, &u) != 0 || u == 0)
			FAIL("%s: '%s' is not a number from 1 to 10000000",
			     name, v);
		if (id == O_MAX_CREATED)
			o->max_created = (unsigned)u;
		else
			o->max_created_per_uid = (unsigned)u;
		break;
	case O_MAX_CREATED_BYTES:
	case O_MAX_CREATED_BYTES_PER_UID:
		if (parse_size(v, &sz) != 0 || sz == 0)
			FAIL("%s: '%s' is not a positive size", name, v);
		if (id == O_MAX_CREATED_BYTES)
			o->max_created_bytes = sz;
		else
			o->max_created_bytes_per_uid = sz;
		break;
	case O_CAPTURE_SIZE:
		if (parse_size(v, &sz) != 0 || sz < MPD_MIN_CAPTURE_SIZE ||
		    sz > MPD_MAX_CAPTURE_SIZE)
			FAIL("%s: '%s' is not a size from %d to %d bytes", name,
			     v, MPD_MIN_CAPTURE_SIZE, MPD_MAX_CAPTURE_SIZE);
		o->capture_size = sz;
		break;
	case O_MAX_CAPTURE_BYTES:
		if (parse_size(v, &sz) != 0 || sz == 0)
			FAIL("%s: '%s' is not a positive size", name, v);
		o->max_capture_bytes = sz;
		break;
	case O_KILL_GRACE:
		errno = 0;
		o->kill_grace = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' ||
		    !(o->kill_grace >= 0 && o->kill_grace <= 3600))
			FAIL("%s: '%s' is not a number of seconds from 0 to "
			     "3600",
			     name, v);
		break;
	case O_MAX_OBJECTS:
		if (parse_uint(v, 100000000, &u) != 0 || u == 0)
			FAIL("%s: '%s' is not a number from 1 to 100000000",
			     name, v);
		o->max_objects = (size_t)u;
		break;
	case O_MAX_QUEUE_ITEMS:
		if (parse_uint(v, 1000000000, &u) != 0 || u == 0)
			FAIL("%s: '%s' is not a number from 1 to 1000000000",
			     name, v);
		o->max_queue_items = (size_t)u;
		break;
	case O_MAX_BROKER_BYTES:
		if (parse_size(v, &sz) != 0 || sz == 0)
			FAIL("%s: '%s' is not a positive size", name, v);
		o->max_broker_bytes = sz;
		break;
	case O_SHUTDOWN:
		if (strcmp(v, "terminate") == 0)
			o->shutdown_leave = false;
		else if (strcmp(v, "leave") == 0)
			o->shutdown_leave = true;
		else
			FAIL("%s: '%s' is not terminate or leave", name, v);
		break;
	case O_READY_FD:
		if (parse_uint(v, INT_MAX, &u) != 0 || u < 3)
			FAIL("%s: '%s' is not a file descriptor number above 2",
			     name, v);
		o->ready_fd = (int)u;
		break;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Read the config file into o, skipping what the command line set.
 * Returns 0, or -1 with "PATH:LINE: message" (or "PATH: why") in err.
 */
static int config_load(const char *path, struct mpdd_options *o, char *err,
		       size_t errlen)
{
	char *line = NULL, msg[512];
	size_t cap = 0;
	int lineno = 0, id;
	bool file_preload = false;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) != -1) {
		char *s = trim(line), *eq, *key, *val;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'",
				 path, lineno);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		for (id = 0; id < NOPTS; id++)
			if (opts[id].in_file && strcmp(opts[id].name, key) == 0)
				break;
		if (id == NOPTS) {
			snprintf(err, errlen, "%s:%d: unknown key '%s'", path,
				 lineno, key);
			goto fail;
		}
		if (cli_set[id])
			continue;
		if (id == O_PRELOAD && !file_preload) {
			/* The file's list replaces the default (none). */
			o->npreload = 0;
			file_preload = true;
		}
		if (id == O_SOCKET || id == O_SOCKET_GROUP)
			val = keep(val);
		if (apply(o, id, val, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			goto fail;
		}
	}
	free(line);
	fclose(f);
	return 0;
fail:
	free(line);
	fclose(f);
	return -1;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("mpdd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mpdd --help' for more information.\n", stderr);
	exit(2);
}

/* The default socket, made absolute (workers get it in MPD_SOCKET). */
static void resolve_socket(struct mpdd_options *o)
{
	int rc;

	if (!o->socket_given) {
		rc = mpd_default_socket_path(o->socket_path,
					     sizeof(o->socket_path));
		if (rc == -ENOENT)
			usage_error("no socket path: set --socket, "
				    "MPD_SOCKET or XDG_RUNTIME_DIR");
		if (rc != 0)
			usage_error("default socket path: %s", strerror(-rc));
	}
	if (o->socket_path[0] != '/') {
		char cwd[4096], abs[sizeof(o->socket_path)];

		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd,
				     o->socket_path) >= sizeof(abs))
			usage_error("--socket: cannot make '%s' absolute",
				    o->socket_path);
		memcpy(o->socket_path, abs, sizeof(abs));
	}
}

static void fix_up(struct mpdd_options *o)
{
	if (o->max_connections_per_uid == 0 ||
	    o->max_connections_per_uid > o->max_connections)
		o->max_connections_per_uid = o->max_connections;
	/* A uid's share is at most the whole. */
	if (o->max_created_per_uid > o->max_created)
		o->max_created_per_uid = o->max_created;
	if (o->max_created_bytes_per_uid > o->max_created_bytes)
		o->max_created_bytes_per_uid = o->max_created_bytes;
	if (o->socket_mode < 0)
		o->socket_mode = o->socket_group ? 0660 : 0600;
}

/*
 * Parse the command line, then the config file (-c) under it. Exits with
 * status 2 and one message on any bad option or file; exits 0 for
 * --help, --version, --print-socket and -n.
 */
void options_parse(int argc, char **argv, struct mpdd_options *o,
		   void (*usage)(FILE *))
{
	struct option longopts[NOPTS + 1];
	char shorts[64] = ":", err[1024], *p = shorts + 1;
	bool check = false, print_socket = false;
	int ch, id;

	defaults(o);
	for (id = 0; id < NOPTS; id++) {
		longopts[id] = (struct option){ opts[id].name,
						opts[id].arg ?
							required_argument :
							no_argument,
						NULL, 256 + id };
		if (opts[id].shortopt != 0) {
			*p++ = (char)opts[id].shortopt;
			if (opts[id].arg)
				*p++ = ':';
		}
	}
	longopts[NOPTS] = (struct option){ NULL, 0, NULL, 0 };
	*p = '\0';

	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		if (ch == ':')
			usage_error("option '%s' needs a value",
				    argv[optind - 1]);
		if (ch == '?')
			usage_error("unknown option '%s'", argv[optind - 1]);
		for (id = 0; id < NOPTS; id++)
			if (ch == 256 + id || ch == opts[id].shortopt)
				break;
		cli_set[id] = true;
		switch (id) {
		case O_VERBOSE:
			o->log_level = LOG_LEVEL_DEBUG;
			cli_set[O_LOG_LEVEL] = true;
			break;
		case O_CONFIG:
			config_path = optarg;
			break;
		case O_CHECK:
			check = true;
			break;
		case O_PRINT_SOCKET:
			print_socket = true;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("mpdd %s (protocol %d)\n", MPD_VERSION,
			       MPD_PROTOCOL_VERSION);
			exit(0);
		default:
			if (apply(o, id, optarg, err, sizeof(err)) == -1)
				usage_error("--%s", err);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (check && config_path == NULL)
		usage_error("-n checks a config file: give it with -c PATH");
	if (config_path != NULL &&
	    config_load(config_path, o, err, sizeof(err)) == -1) {
		fprintf(stderr, "mpdd: %s\n", err);
		exit(2);
	}
	fix_up(o);
	if (check) {
		printf("%s: OK\n", config_path);
		exit(0);
	}
	resolve_socket(o);
	if (print_socket) {
		printf("%s\n", o->socket_path);
		exit(0);
	}
}

/* Log a live change; returns true if anything changed. */
#define CHANGED(field, fmt, cast)                                      \
	do {                                                           \
		if (n.field != mpdd.opt.field) {                       \
			log_info("reload: " #field " " fmt " -> " fmt, \
				 (cast)mpdd.opt.field, (cast)n.field); \
			mpdd.opt.field = n.field;                      \
			changes++;                                     \
		}                                                      \
	} while (0)

/*
 * SIGHUP: re-read the config file and apply what can change live (every
 * limit and the log level), logging each change; what needs a restart is
 * logged as such. A bad file changes nothing. Connections and workers are
 * untouched. Returns the number of changes applied, or -1.
 */
int options_reload(void)
{
	struct mpdd_options n = mpdd.opt;
	char err[1024];
	int changes = 0;

	if (config_path == NULL) {
		log_info("reload: no config file (-c): nothing to do");
		return 0;
	}
	/* Start from the defaults and the command line, as at start-up. */
	n.npreload = 0;
	for (int id = 0; id < NOPTS; id++)
		if (opts[id].live && !cli_set[id]) {
			struct mpdd_options d;

			defaults(&d);
			switch (id) {
			case O_LOG_LEVEL:
				n.log_level = d.log_level;
				break;
			case O_MAX_MESSAGE:
				n.max_message = d.max_message;
				break;
			case O_MAX_CONNECTIONS:
				n.max_connections = d.max_connections;
				break;
			case O_MAX_CONNECTIONS_PER_UID:
				n.max_connections_per_uid = 0;
				break;
			case O_MAX_OUTPUT:
				n.max_output = d.max_output;
				break;
			case O_MAX_PROCESSES:
				n.max_processes = d.max_processes;
				break;
			case O_MAX_EXITED:
				n.max_exited = d.max_exited;
				break;
			case O_MAX_CREATED:
				n.max_created = d.max_created;
				break;
			case O_MAX_CREATED_PER_UID:
				n.max_created_per_uid = d.max_created_per_uid;
				break;
			case O_MAX_CREATED_BYTES:
				n.max_created_bytes = d.max_created_bytes;
				break;
			case O_MAX_CREATED_BYTES_PER_UID:
				n.max_created_bytes_per_uid =
					d.max_created_bytes_per_uid;
				break;
			case O_CAPTURE_SIZE:
				n.capture_size = d.capture_size;
				break;
			case O_MAX_CAPTURE_BYTES:
				n.max_capture_bytes = d.max_capture_bytes;
				break;
			case O_KILL_GRACE:
				n.kill_grace = d.kill_grace;
				break;
			case O_SPIN_USEC:
				n.spin_usec = d.spin_usec;
				break;
			case O_MAX_OBJECTS:
				n.max_objects = d.max_objects;
				break;
			case O_MAX_QUEUE_ITEMS:
				n.max_queue_items = d.max_queue_items;
				break;
			case O_MAX_BROKER_BYTES:
				n.max_broker_bytes = d.max_broker_bytes;
				break;
			}
		}
	if (config_load(config_path, &n, err, sizeof(err)) == -1) {
		log_warnx("reload failed, nothing changed: %s", err);
		return -1;
	}
	fix_up(&n);
	if (n.log_level != mpdd.opt.log_level) {
		log_info("reload: log_level %s -> %s",
			 log_level_name(mpdd.opt.log_level),
			 log_level_name(n.log_level));
		mpdd.opt.log_level = n.log_level;
		log_set_level(n.log_level);
		changes++;
	}
	CHANGED(max_message, "%zu", size_t);
	CHANGED(max_connections, "%u", unsigned);
	CHANGED(max_connections_per_uid, "%u", unsigned);
	CHANGED(max_output, "%zu", size_t);
	CHANGED(max_processes, "%u", unsigned);
	CHANGED(max_exited, "%u", unsigned);
	CHANGED(max_created, "%u", unsigned);
	CHANGED(max_created_per_uid, "%u", unsigned);
	CHANGED(max_created_bytes, "%llu", unsigned long long);
	CHANGED(max_created_bytes_per_uid, "%llu", unsigned long long);
	CHANGED(capture_size, "%zu", size_t);
	CHANGED(max_capture_bytes, "%llu", unsigned long long);
	CHANGED(kill_grace, "%g", double);
	CHANGED(spin_usec, "%u", unsigned);
	CHANGED(max_objects, "%zu", size_t);
	CHANGED(max_queue_items, "%zu", size_t);
	CHANGED(max_broker_bytes, "%llu", unsigned long long);
	if (strcmp(n.socket_path, mpdd.opt.socket_path) != 0 &&
	    !cli_set[O_SOCKET] && n.socket_given)
		log_warnx("reload: socket changed; it takes a restart");
	if (n.pool != mpdd.opt.pool)
		log_warnx("reload: pool changes take a restart");
	if (n.shutdown_leave != mpdd.opt.shutdown_leave ||
	    n.socket_mode != mpdd.opt.socket_mode ||
	    n.socket_gid != mpdd.opt.socket_gid)
		log_warnx("reload: shutdown, socket-mode and socket-group "
			  "changes take a restart");
	log_info("reload: %d change%s applied", changes,
		 changes == 1 ? "" : "s");
	return changes;
}
