/*
 * test-install.c - `meson install` lays out what a distribution expects,
 * and a program built only from the installed header, library and
 * pkg-config file (examples/daemon-info.c) talks to a real mpdd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct mpdd d;

static void teardown(void)
{
	mpdd_cleanup(&d);
}

TestSuite(install, .fini = teardown, .timeout = 300);

static void assert_ok(struct run_result *r, const char *what)
{
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
		  "%s failed (status 0x%x):\n%s\n%s", what, r->status, r->out,
		  r->err);
}

/* Print the one libdir meson installs into, relative to the prefix. */
static char *installed_libdir(const char *dest)
{
	char *cmd, *out = NULL;
	size_t cap = 0;
	FILE *p;

	cr_assert(asprintf(&cmd,
			   "cd '%s/usr/local' && dirname $(find . -name "
			   "libmpd.so.0)",
			   dest) > 0);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	cr_assert(getline(&out, &cap, p) > 0, "libmpd.so.0 not installed");
	pclose(p);
	free(cmd);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

Test(install, layout_and_a_program_built_against_it)
{
	const char *build = getenv("MPD_TEST_BUILDDIR");
	const char *src = getenv("MPD_TEST_SRCDIR");
	const char *san = getenv("MPD_TEST_SANITIZE");
	char dest[PATH_MAX], path[PATH_MAX * 2], exe[PATH_MAX],
		pcdir[PATH_MAX * 2];
	char sysroot[PATH_MAX + 32], pcpath[PATH_MAX * 2 + 32];
	char ldpath[PATH_MAX * 2 + 32], sockenv[PATH_MAX + 32];
	char *libdir, *cmd;
	struct run_result r;
	struct stat st;

	cr_assert(build != NULL && src != NULL);
	mpdd_start(&d, NULL);
	snprintf(dest, sizeof(dest), "%s/dest", d.dir);

	const char *install[] = { "/bin/sh", "-c",
				  "exec meson install -C \"$B\" --no-rebuild "
				  "--quiet --destdir \"$D\"",
				  NULL };
	char benv[PATH_MAX + 8], denv[PATH_MAX + 8];
	snprintf(benv, sizeof(benv), "B=%s", build);
	snprintf(denv, sizeof(denv), "D=%s", dest);
	const char *ienv[] = { benv, denv, NULL };
	test_run(&r, install, ienv, NULL);
	assert_ok(&r, "meson install");
	test_run_free(&r);

	libdir = installed_libdir(dest);
	const char *files[] = { "sbin/mpdd",	       "bin/mpd-cli",
				"include/mpd.h",       "LIB/libmpd.so.0",
				"LIB/libmpd.so",       "LIB/libmpd.a",
				"LIB/pkgconfig/mpd.pc" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strncmp(files[i], "LIB/", 4) == 0)
			snprintf(path, sizeof(path), "%s/usr/local/%s/%s", dest,
				 libdir, files[i] + 4);
		else
			snprintf(path, sizeof(path), "%s/usr/local/%s", dest,
				 files[i]);
		cr_assert(lstat(path, &st) == 0, "%s missing", path);
	}
	snprintf(path, sizeof(path), "%s/usr/local/sbin/mpdd", dest);
	cr_assert(access(path, X_OK) == 0);

	/* Build the example from the installed files only. */
	snprintf(pcdir, sizeof(pcdir), "%s/usr/local/%s/pkgconfig", dest,
		 libdir);
	snprintf(pcpath, sizeof(pcpath), "PKG_CONFIG_PATH=%s", pcdir);
	snprintf(sysroot, sizeof(sysroot), "PKG_CONFIG_SYSROOT_DIR=%s", dest);
	snprintf(exe, sizeof(exe), "%s/daemon-info", d.dir);
	cr_assert(asprintf(&cmd,
			   "exec cc %s '%s/examples/daemon-info.c' -o '%s' "
			   "$(pkg-config --cflags --libs mpd)",
			   san != NULL && strcmp(san, "none") != 0 ?
				   "-fsanitize=address,undefined" :
				   "",
			   src, exe) > 0);
	const char *cc[] = { "/bin/sh", "-c", cmd, NULL };
	const char *ccenv[] = { pcpath, sysroot, NULL };
	test_run(&r, cc, ccenv, NULL);
	assert_ok(&r, "cc against the installed libmpd");
	test_run_free(&r);
	free(cmd);

	/* Run it against the daemon, finding libmpd where it was installed. */
	snprintf(ldpath, sizeof(ldpath), "LD_LIBRARY_PATH=%s/usr/local/%s",
		 dest, libdir);
	snprintf(sockenv, sizeof(sockenv), "MPD_SOCKET=%s", d.socket);
	const char *run[] = { exe, NULL };
	const char *renv[] = { ldpath, sockenv, NULL };
	test_run(&r, run, renv, NULL);
	assert_ok(&r, "daemon-info");
	snprintf(path, sizeof(path), ", pid %d\n", (int)d.pid);
	cr_assert(strncmp(r.out, "mpdd ", 5) == 0, "%s", r.out);
	cr_assert(strstr(r.out, path) != NULL, "%s", r.out);
	test_run_free(&r);
	free(libdir);
	mpdd_stop(&d);
}
