/*
 * fdname.c - the names of the descriptors a worker is given
 * (process.create "fds"): one rule for mpdd, which refuses a bad name,
 * and libmpd, which checks before it sends and reads MPD_FDS back. The
 * characters leave ':' free to join the names in MPD_FDS, as systemd's
 * LISTEN_FDNAMES does.
 */
#include "proto.h"

/* True when the len bytes at s are a descriptor name. */
bool mpd_fd_name_ok(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > MPD_MAX_FD_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}
