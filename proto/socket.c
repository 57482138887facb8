/*
 * socket.c - where the daemon listens and the client connects by default.
 *
 * One rule for both sides (DESIGN.md section 4): $MPD_SOCKET when set and
 * non-empty; the system socket for root; otherwise the socket under the
 * user's $XDG_RUNTIME_DIR (trailing slashes dropped, so the path does not
 * depend on how the variable is spelt). "Root" means an effective uid of 0, since that
 * is whose rights create and open the socket. A path that would not fit in
 * a sockaddr_un (with its NUL) is refused here, not truncated later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path)

int mpd_default_socket_path(char *buf, size_t size)
{
	const char *env = getenv(MPD_SOCKET_ENV);
	const char *dir = "";
	const char *tail;
	size_t dirlen, taillen, limit;

	if (env != NULL && env[0] != '\0') {
		tail = env;
	} else if (geteuid() == 0) {
		tail = MPD_SYSTEM_SOCKET;
	} else {
		dir = getenv("XDG_RUNTIME_DIR");
		/* An empty or relative runtime dir is as good as none. */
		if (dir == NULL || dir[0] != '/')
			return -ENOENT;
		tail = MPD_USER_SOCKET_SUFFIX;
	}

	dirlen = strlen(dir);
	/* "/run/user/1000/" and "/run/user/1000" name the same socket. */
	while (dirlen > 0 && dir[dirlen - 1] == '/')
		dirlen--;
	taillen = strlen(tail);
	limit = size < SUN_PATH_SIZE ? size : SUN_PATH_SIZE;
	/* Both lengths are bounded by the environment's size: no overflow. */
	if (dirlen + taillen >= limit)
		return -ENAMETOOLONG;
	memcpy(buf, dir, dirlen);
	memcpy(buf + dirlen, tail, taillen + 1);
	return 0;
}
