/*
 * notify.c - the systemd service protocol: socket activation and
 * sd_notify(3) readiness, status, watchdog and stopping messages.
 *
 * With libsystemd, sd_listen_fds() and sd_notify() do the work; without
 * it, the same protocol is spoken by hand (it is a documented, stable
 * interface: LISTEN_PID/LISTEN_FDS from fd 3, datagrams to
 * $NOTIFY_SOCKET), so socket activation and Type=notify work either way.
 * Outside systemd every call here is a no-op.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "mpdd.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define LISTEN_FDS_START    3
#define STATUS_INTERVAL_SEC 2

static struct event *ev_status, *ev_watchdog;
static char last_status[256];

/* Send one state string ("READY=1") to the service manager, if any. */
void sdnotify(const char *state)
{
#if HAVE_LIBSYSTEMD
	if (sd_notify(0, state) < 0)
		log_debug("sd_notify failed");
#else
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	len = strlen(path);
	if (len >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0'; /* abstract namespace */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) ==
	    -1)
		log_debug("notify: %s", strerror(errno));
	close(fd);
#endif
}

/*
 * The listening socket systemd passed (socket activation), or -1 when
 * there is none. The LISTEN_* variables are removed either way.
 */
int sdnotify_listen_fd(void)
{
	int n, fd = LISTEN_FDS_START, type = 0, listening = 0;
	socklen_t len = sizeof(int);
#if HAVE_LIBSYSTEMD
	n = sd_listen_fds(1);
	if (n < 0) {
		log_warnx("socket activation: %s", strerror(-n));
		return -1;
	}
#else
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	n = 0;
	if (pid != NULL && fds != NULL && atol(pid) == (long)getpid())
		n = atoi(fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
#endif
	if (n <= 0)
		return -1;
	if (n > 1)
		log_warnx("socket activation: %d sockets passed; using the "
			  "first",
			  n);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1 ||
	    !listening) {
		log_warnx("socket activation: fd %d is not a listening stream "
			  "socket",
			  fd);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void status_text(char *buf, size_t size)
{
	snprintf(buf, size,
		 "STATUS=%u connection%s, %zu process%s running, %zu broker "
		 "object%s",
		 mpdd.nconns, mpdd.nconns == 1 ? "" : "s", proctab_live(),
		 proctab_live() == 1 ? "" : "es", broker.objects,
		 broker.objects == 1 ? "" : "s");
}

static void status_cb(evutil_socket_t fd, short events, void *arg)
{
	char buf[256];

	status_text(buf, sizeof(buf));
	if (strcmp(buf, last_status) != 0) {
		sdnotify(buf);
		memcpy(last_status, buf, sizeof(buf));
	}
}

static void watchdog_cb(evutil_socket_t fd, short events, void *arg)
{
	sdnotify("WATCHDOG=1");
}

/* Microseconds of WatchdogSec= for us, or 0. */
static unsigned long long watchdog_usec(void)
{
#if HAVE_LIBSYSTEMD
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
#else
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");

	if (usec == NULL || (pid != NULL && atol(pid) != (long)getpid()))
		return 0;
	return strtoull(usec, NULL, 10);
#endif
}

/* Serving: READY=1 with a status, then status updates and the watchdog. */
void sdnotify_start(void)
{
	struct timeval every = { STATUS_INTERVAL_SEC, 0 };
	unsigned long long wd = watchdog_usec();
	char buf[300];

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	status_text(last_status, sizeof(last_status));
	snprintf(buf, sizeof(buf), "READY=1\n%s\nMAINPID=%ld", last_status,
		 (long)getpid());
	sdnotify(buf);
	ev_status = event_new(mpdd.base, -1, EV_PERSIST, status_cb, NULL);
	if (ev_status != NULL)
		event_add(ev_status, &every);
	if (wd > 0) {
		struct timeval half = { (time_t)(wd / 2 / 1000000),
					(suseconds_t)(wd / 2 % 1000000) };

		ev_watchdog =
			event_new(mpdd.base, -1, EV_PERSIST, watchdog_cb, NULL);
		if (ev_watchdog != NULL)
			event_add(ev_watchdog, &half);
		sdnotify("WATCHDOG=1");
		log_debug("watchdog every %llu us", wd / 2);
	}
}

/* Stopping: say so, and stop the timers. */
void sdnotify_stop(void)
{
	sdnotify("STOPPING=1");
	if (ev_status != NULL)
		event_free(ev_status);
	if (ev_watchdog != NULL)
		event_free(ev_watchdog);
	ev_status = ev_watchdog = NULL;
}
