/*
 * server.c - the listening socket: create it safely, accept connections.
 *
 * The socket is created 0600 (umask + chmod, as relayd's control socket),
 * or with --socket-mode / --socket-group; its directory, when missing, is
 * created 0700, opened to the group or to others only as far as the
 * socket's mode is. A lock file
 * beside the socket (PATH.lock, flock) makes "is another mpdd here?" a
 * race-free question: whoever holds the lock owns the path. Without the
 * lock we still refuse to start over a socket that accepts connections,
 * and we never unlink anything that is not a socket.
 *
 * accept4 pauses for a second on EMFILE/ENFILE instead of spinning, and a
 * connection over the --max-connections limit gets one error line and is
 * closed, so the client learns why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mpdd.h"

#define ACCEPT_BACKOFF_SEC 1

static struct event *ev_accept;
static struct event *ev_accept_pause;
static int listen_fd = -1;
static int lock_fd = -1;
static char listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char lock_path[sizeof(listen_path) + 8];

/*
 * The mode the socket's directory needs so that everyone the socket's mode
 * lets in can reach it: rwx for the owner, r-x for the group and for others
 * when the socket grants them anything (--socket-mode 0666 must not be
 * defeated by a 0700 directory).
 */
static mode_t server_dir_mode(void)
{
	mode_t sock = (mode_t)mpdd.opt.socket_mode, dir = 0700;

	if (sock & 0070)
		dir |= 0050;
	if (sock & 0007)
		dir |= 0005;
	return dir;
}

/*
 * mkdir the socket's parent directory (one level) if it is missing, with
 * the mode and group the socket's own mode and group call for; a directory
 * that exists is left as it is, with a warning when it keeps out someone
 * the socket's mode lets in.
 */
static int server_mkdir(const char *path)
{
	char dir[sizeof(listen_path)];
	mode_t want = server_dir_mode();
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == -1) {
		if (errno != EEXIST) {
			log_warn("cannot create socket directory %s", dir);
			return -1;
		}
		if (stat(dir, &st) == 0 && (want & 0055 & ~st.st_mode) != 0)
			log_warnx("socket directory %s is mode %04o: not "
				  "everyone socket mode %04o admits can reach "
				  "the socket",
				  dir, (unsigned)(st.st_mode & 07777),
				  (unsigned)mpdd.opt.socket_mode);
		return 0;
	}
	/* Group first, then the mode (chmod is not subject to the umask), so
	 * the directory is never open to a group it was not meant for. */
	if (mpdd.opt.socket_group &&
	    chown(dir, (uid_t)-1, mpdd.opt.socket_gid) == -1) {
		log_warn("cannot give %s to group %ld", dir,
			 (long)mpdd.opt.socket_gid);
		want &= ~(mode_t)0070;
	}
	if (chmod(dir, want) == -1) {
		log_warn("cannot chmod socket directory %s", dir);
		return -1;
	}
	return 0;
}

/*
 * Take PATH.lock. Returns 0, or -1 when another mpdd holds it (logged) or
 * it cannot be created. A clean stop removes the file while holding the
 * lock, so a lock taken on a file that is no longer at the path (opened
 * just before that unlink) is no lock at all: then try again.
 */
static int server_lock(const char *path)
{
	struct stat held, there;

	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	for (;;) {
		lock_fd = open(lock_path,
			       O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (lock_fd == -1) {
			log_warn("cannot open lock file %s", lock_path);
			break;
		}
		if (flock(lock_fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno == EWOULDBLOCK)
				log_warnx("another mpdd is already serving %s",
					  path);
			else
				log_warn("cannot lock %s", lock_path);
			break;
		}
		if (fstat(lock_fd, &held) == 0 &&
		    stat(lock_path, &there) == 0 &&
		    held.st_dev == there.st_dev && held.st_ino == there.st_ino)
			return 0;
		close(lock_fd);
	}
	if (lock_fd != -1)
		close(lock_fd);
	lock_fd = -1;
	lock_path[0] = '\0';
	return -1;
}

/*
 * Decide what to do with whatever is at path: nothing there, or a stale
 * socket (removed) -> 0; a live socket or a non-socket -> -1 (logged).
 */
static int server_clear_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (log_warn("%s", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket; not replacing it",
			  path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (log_warn("socket"), -1);
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0) {
		log_warnx("another mpdd is already serving %s", path);
		return -1;
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT)
		return (log_warn("cannot remove stale socket %s", path), -1);
	return 0;
}

/*
 * Make path ours before anything else starts: its directory, the lock,
 * and no live mpdd or foreign file there. Returns 0, or -1 with the
 * reason logged (another mpdd, a path we may not replace, a system
 * error).
 */
int server_claim(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (server_mkdir(path) == -1 || server_lock(path) == -1)
		return -1;
	return server_clear_stale(path, &sun);
}

/*
 * Create the listening socket at path, claimed by server_claim(). Returns
 * the fd, or -1 with the reason logged.
 */
int server_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old_umask;
	int fd, saved;

	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (log_warn("socket"), -1);
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		umask(old_umask);
		close(fd);
		errno = saved;
		log_warn("cannot bind %s", path);
		return -1;
	}
	umask(old_umask);
	if ((mpdd.opt.socket_group &&
	     chown(path, (uid_t)-1, mpdd.opt.socket_gid) == -1) ||
	    chmod(path, (mode_t)mpdd.opt.socket_mode) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		log_warn("cannot listen on %s", path);
		unlink(path);
		close(fd);
		return -1;
	}
	snprintf(listen_path, sizeof(listen_path), "%s", path);
	return fd;
}

/* Is the peer's uid at --max-connections-per-uid already? */
static bool server_uid_full(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	unsigned n = 0;
	struct conn *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return false;
	TAILQ_FOREACH (c, &mpdd.conns, entry)
		if (c->uid == cred.uid)
			n++;
	if (n < mpdd.opt.max_connections_per_uid)
		return false;
	log_warnx("connection refused: uid %ld has %u connections "
		  "(max_connections_per_uid)",
		  (long)cred.uid, n);
	return true;
}

/* Tell a client over a connection limit why, then drop it. */
static void server_refuse(int fd, const char *why)
{
	json_t *msg;
	char *line;
	size_t len;

	msg = mpd_rpc_error_new(NULL, MPD_RPC_LIMIT, why, NULL);
	line = msg != NULL ? mpd_rpc_encode(msg, &len) : NULL;
	if (line != NULL && send(fd, line, len, MSG_NOSIGNAL) == -1)
		log_debug("%s: send: %s", __func__, strerror(errno));
	free(line);
	json_decref(msg);
	close(fd);
}

static void server_accept_pause_cb(evutil_socket_t fd, short events, void *arg)
{
	server_resume_accept();
}

static void server_accept_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval backoff = { ACCEPT_BACKOFF_SEC, 0 };
	int cfd;

	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1)
			break;
		if (mpdd.nconns >= mpdd.opt.max_connections) {
			log_warnx("connection refused: limit of %u connections "
				  "reached",
				  mpdd.opt.max_connections);
			server_refuse(cfd, "too many connections");
			continue;
		}
		if (server_uid_full(cfd)) {
			server_refuse(cfd, "too many connections from this "
					   "user");
			continue;
		}
		if (conn_new(cfd) == NULL)
			close(cfd);
	}
	switch (errno) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
		return;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_warn("accept; pausing for %d s", ACCEPT_BACKOFF_SEC);
		event_del(ev_accept);
		evtimer_add(ev_accept_pause, &backoff);
		return;
	default:
		log_warn("accept");
	}
}

/* Start accepting on fd (from server_listen, or inherited). */
void server_start(int fd)
{
	listen_fd = fd;
	ev_accept = event_new(mpdd.base, fd, EV_READ | EV_PERSIST,
			      server_accept_cb, NULL);
	ev_accept_pause = evtimer_new(mpdd.base, server_accept_pause_cb, NULL);
	if (ev_accept == NULL || ev_accept_pause == NULL)
		fatalx("%s: cannot allocate events", __func__);
	if (event_add(ev_accept, NULL) == -1)
		fatalx("%s: event_add failed", __func__);
}

void server_resume_accept(void)
{
	if (ev_accept != NULL && !mpdd.stopping)
		event_add(ev_accept, NULL);
}

/* Stop accepting, close and remove the socket, remove and release the
 * lock. */
void server_stop(void)
{
	if (ev_accept != NULL) {
		event_free(ev_accept);
		ev_accept = NULL;
	}
	if (ev_accept_pause != NULL) {
		event_free(ev_accept_pause);
		ev_accept_pause = NULL;
	}
	if (listen_fd != -1) {
		close(listen_fd);
		listen_fd = -1;
	}
	if (listen_path[0] != '\0' && unlink(listen_path) == -1)
		log_warn("cannot remove %s", listen_path);
	listen_path[0] = '\0';
	if (lock_fd != -1) {
		/* Removed while held: see server_lock(). */
		if (unlink(lock_path) == -1 && errno != ENOENT)
			log_warn("cannot remove %s", lock_path);
		close(lock_fd);
		lock_fd = -1;
	}
	lock_path[0] = '\0';
}
