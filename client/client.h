/*
 * client.h - libmpd's internal interface between its source files.
 *
 * client.c owns the connection and the error reporting; process.c and
 * worker.c build on it. Nothing here is installed or exported: libmpd is
 * built with hidden visibility and a version script that exports mpd_*
 * only.
 */
#ifndef MPD_CLIENT_H
#define MPD_CLIENT_H

#include "mpd.h"

/*
 * Fill *err (may be NULL) for a failure found by the library itself and
 * return code. fmt NULL means the code's default message; sys_errno is the
 * errno behind it, or 0. The client, if any, stays usable.
 */
__attribute__((format(printf, 4, 5))) int client_fail(struct mpd_error *err,
						      int code, int sys_errno,
						      const char *fmt, ...);

#endif /* MPD_CLIENT_H */
