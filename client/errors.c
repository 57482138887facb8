/*
 * errors.c - libmpd's error codes, names and messages, and its version.
 *
 * The public list MPD_ERRNO_MAP in mpd.h and proto's wire list MPD_ERRORS
 * are two views of the same errors: the library's codes are negative, so an
 * application error N on the wire is -N here, while the JSON-RPC codes keep
 * their values. The library's own codes (MPD_E_NOMEM ... MPD_E_TIMEOUT)
 * never travel and sit in -100..-199, clear of both. The assertions below
 * fail the build when the two lists drift apart or a code strays out of its
 * range; the wire names are compared by the client tests.
 */
#include "config.h"

#include <stddef.h>

#include "mpd.h"
#include "proto.h"

#define MPD_WIRE_TO_LIB(code) ((code) > 0 ? -(code) : (code))

#define X(e, code, name, msg)                              \
	_Static_assert(MPD_E_##e == MPD_WIRE_TO_LIB(code), \
		       "mpd.h MPD_E_" #e                   \
		       " does not match proto's MPD_ERRORS");
MPD_ERRORS(X)
#undef X

/* Every code is a JSON-RPC one, an application one (-1..-99) or our own. */
#define X(e, c, name, msg)                                          \
	_Static_assert((c) <= -32000 || ((c) <= -1 && (c) >= -199), \
		       "mpd.h MPD_E_" #e " is outside the ranges of codes");
MPD_ERRNO_MAP(X)
#undef X

/* The header's version is the project's (meson passes the latter). */
_Static_assert(MPD_VERSION_MAJOR == MPD_BUILD_VERSION_MAJOR &&
		       MPD_VERSION_MINOR == MPD_BUILD_VERSION_MINOR &&
		       MPD_VERSION_PATCH == MPD_BUILD_VERSION_PATCH,
	       "mpd.h version macros differ from the project version");

/* Returns the library's version string (the project's); static. */
const char *mpd_version(void)
{
	return MPD_VERSION;
}

/* Returns the message for code, or "unknown error"; static. */
const char *mpd_strerror(int code)
{
	switch (code) {
#define X(e, c, name, msg) \
	case (c):          \
		return (msg);
		MPD_ERRNO_MAP(X)
#undef X
	}
	return "unknown error";
}

/* Returns the name of code, or "unknown"; static. */
const char *mpd_err_name(int code)
{
	switch (code) {
#define X(e, c, name, msg) \
	case (c):          \
		return (name);
		MPD_ERRNO_MAP(X)
#undef X
	}
	return "unknown";
}
