/*
 * test-error.c - unit tests of the error list lookups (proto/error.c) and
 * of the default socket path rules (proto/socket.c).
 *
 * The error names are part of the wire protocol, so the lookups are checked
 * against the X-macro list itself, both ways. The socket path tests set the
 * environment and, when run as root, drop the effective uid to test the
 * non-root rules; Criterion runs each test in a process of its own, so
 * neither leaks into another test.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "proto.h"

/* An unprivileged uid to become when the tests run as root. */
#define TEST_UNPRIVILEGED_UID 65534

static const struct {
	int code;
	const char *name;
	const char *message;
} list[] = {
#define X(e, code, name, msg) { (code), (name), (msg) },
	MPD_ERRORS(X)
#undef X
};

#define N_LIST (sizeof(list) / sizeof(list[0]))

Test(error, every_code_maps_to_its_name_and_message)
{
	for (size_t i = 0; i < N_LIST; i++) {
		cr_assert(eq(str, (char *)mpd_rpc_error_name(list[i].code),
			     (char *)list[i].name));
		cr_assert(eq(str, (char *)mpd_rpc_error_message(list[i].code),
			     (char *)list[i].message));
	}
}

Test(error, every_name_maps_back_to_its_code)
{
	for (size_t i = 0; i < N_LIST; i++)
		cr_assert(eq(int, mpd_rpc_error_code(list[i].name),
			     list[i].code));
}

Test(error, known_values)
{
	cr_assert(eq(str, (char *)mpd_rpc_error_name(-32700), "parse_error"));
	cr_assert(eq(str, (char *)mpd_rpc_error_name(MPD_RPC_INVALID_PARAMS),
		     "invalid_params"));
	cr_assert(eq(str, (char *)mpd_rpc_error_message(-32601),
		     "method not found"));
	cr_assert(eq(int, mpd_rpc_error_code("not_found"), 1));
	cr_assert(eq(int, mpd_rpc_error_code("limit"), 9));
	cr_assert(eq(int, MPD_RPC_INTERNAL_ERROR, -32603));
}

Test(error, names_are_unique_snake_case)
{
	for (size_t i = 0; i < N_LIST; i++) {
		const char *n = list[i].name;

		cr_assert(ne(sz, strlen(n), 0));
		for (const char *p = n; *p != '\0'; p++)
			cr_assert(eq(int, *p == '_' || (*p >= 'a' && *p <= 'z'),
				     1),
				  "%s", n);
		for (size_t j = i + 1; j < N_LIST; j++) {
			cr_assert(ne(str, (char *)n, (char *)list[j].name));
			cr_assert(ne(int, list[i].code, list[j].code));
		}
	}
}

Test(error, unknown_lookups_fail)
{
	cr_assert(eq(ptr, (void *)mpd_rpc_error_name(0), NULL));
	cr_assert(eq(ptr, (void *)mpd_rpc_error_name(-32000), NULL));
	cr_assert(eq(ptr, (void *)mpd_rpc_error_message(15), NULL));
	cr_assert(eq(int, mpd_rpc_error_code("no_such_error"), 0));
	cr_assert(eq(int, mpd_rpc_error_code(""), 0));
	cr_assert(eq(int, mpd_rpc_error_code("Not_Found"), 0));
	cr_assert(eq(int, mpd_rpc_error_code(NULL), 0));
}

/* socket path */

static void become_unprivileged(void)
{
	if (geteuid() == 0)
		cr_assert(eq(int, seteuid(TEST_UNPRIVILEGED_UID), 0));
	cr_assert(ne(int, geteuid(), 0));
}

static void clean_env(void)
{
	unsetenv(MPD_SOCKET_ENV);
	unsetenv("XDG_RUNTIME_DIR");
}

/* Back to the real uid: LeakSanitizer's check at exit must ptrace us. */
static void restore_uid(void)
{
	if (geteuid() != getuid())
		cr_assert(eq(int, seteuid(getuid()), 0));
}

TestSuite(socket, .init = clean_env, .fini = restore_uid);

Test(socket, env_override_wins)
{
	char buf[128];

	setenv(MPD_SOCKET_ENV, "/tmp/x/my.sock", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, "/tmp/x/my.sock"));
}

Test(socket, env_override_wins_for_unprivileged)
{
	char buf[128];

	setenv(MPD_SOCKET_ENV, "rel.sock", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, "rel.sock"));
}

Test(socket, root_uses_system_socket)
{
	char buf[128];

	if (geteuid() != 0)
		cr_skip_test("needs root to test the root rule");
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, MPD_SYSTEM_SOCKET));
	cr_assert(eq(str, buf, "/run/mpdd/mpdd.sock"));
}

Test(socket, empty_env_override_is_ignored)
{
	char buf[128];

	setenv(MPD_SOCKET_ENV, "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, "/run/user/1000/mpdd/mpdd.sock"));
}

Test(socket, user_socket_under_runtime_dir)
{
	char buf[128];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, "/run/user/1000/mpdd/mpdd.sock"));
}

Test(socket, trailing_slashes_of_runtime_dir_are_dropped)
{
	char buf[128];

	setenv("XDG_RUNTIME_DIR", "/run/user/1000//", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(str, buf, "/run/user/1000/mpdd/mpdd.sock"));
}

Test(socket, no_runtime_dir_is_enoent)
{
	char buf[128] = "untouched";

	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), -ENOENT));
	cr_assert(eq(str, buf, "untouched"));
}

Test(socket, empty_runtime_dir_is_enoent)
{
	char buf[128];

	setenv("XDG_RUNTIME_DIR", "", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), -ENOENT));
}

Test(socket, relative_runtime_dir_is_enoent)
{
	char buf[128];

	setenv("XDG_RUNTIME_DIR", "run/user/1000", 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), -ENOENT));
}

Test(socket, path_must_fit_the_buffer)
{
	static const char path[] = "/tmp/a.sock"; /* 11 bytes and a NUL */
	char buf[32];

	setenv(MPD_SOCKET_ENV, path, 1);
	memset(buf, 'x', sizeof(buf));
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(path) - 1),
		     -ENAMETOOLONG));
	cr_assert(eq(chr, buf[0], 'x'));
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(path)), 0));
	cr_assert(eq(str, buf, (char *)path));
	cr_assert(eq(int, mpd_default_socket_path(buf, 0), -ENAMETOOLONG));
}

Test(socket, path_must_fit_a_sockaddr_un)
{
	size_t sun = sizeof(((struct sockaddr_un *)0)->sun_path);
	char path[512], buf[512];

	/* The longest path that fits leaves room for the NUL. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sun - 1] = '\0';
	setenv(MPD_SOCKET_ENV, path, 1);
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(sz, strlen(buf), sun - 1));

	path[sun - 1] = 'a';
	path[sun] = '\0';
	setenv(MPD_SOCKET_ENV, path, 1);
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)),
		     -ENAMETOOLONG));
}

Test(socket, long_runtime_dir_is_enametoolong)
{
	size_t sun = sizeof(((struct sockaddr_un *)0)->sun_path);
	size_t suffix = strlen(MPD_USER_SOCKET_SUFFIX);
	char dir[512], buf[512];

	/* dir + suffix is exactly sun bytes: no room for the NUL. */
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[sun - suffix] = '\0';
	setenv("XDG_RUNTIME_DIR", dir, 1);
	become_unprivileged();
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)),
		     -ENAMETOOLONG));
	dir[sun - suffix - 1] = '\0';
	setenv("XDG_RUNTIME_DIR", dir, 1);
	cr_assert(eq(int, mpd_default_socket_path(buf, sizeof(buf)), 0));
	cr_assert(eq(sz, strlen(buf), sun - 1));
}
