/*
 * test-install.c - `meson install` lays out what a distribution expects:
 * the programs, the library and its header and pkg-config file (a program
 * built only from those, examples/daemon-info.c, talks to a real mpdd),
 * the systemd units of the system and the user instance, the sysusers.d
 * entry, the man pages and the config file with its example. The units
 * pass `systemd-analyze verify` (where it exists), an administrator's
 * config file survives a reinstall, and the example config names every
 * key with a value mpdd accepts.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
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

/* Install the build into dest with `meson install --destdir`. */
static void install_into(const char *build, const char *dest)
{
	const char *install[] = { "/bin/sh", "-c",
				  "exec meson install -C \"$B\" --no-rebuild "
				  "--quiet --destdir \"$D\"",
				  NULL };
	char benv[PATH_MAX + 8], denv[PATH_MAX + 8];
	struct run_result r;

	snprintf(benv, sizeof(benv), "B=%s", build);
	snprintf(denv, sizeof(denv), "D=%s", dest);
	const char *ienv[] = { benv, denv, NULL };
	test_run(&r, install, ienv, NULL);
	assert_ok(&r, "meson install");
	test_run_free(&r);
}

/* The contents of a file (malloc'd, NUL-terminated); fails if unreadable. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 4096;
			buf = realloc(buf, cap + 1);
			cr_assert(buf != NULL);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static void spew(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	cr_assert(fputs(text, f) >= 0 && fclose(f) == 0);
}

/*
 * The one file under dest whose path matches the find(1) pattern (a
 * malloc'd path); fails when there is none or more than one.
 */
static char *installed(const char *dest, const char *pattern)
{
	const char *find[] = { "/bin/sh", "-c",
			       "exec find \"$D\" -path \"$P\" -type f", NULL };
	char denv[PATH_MAX + 8], penv[256];
	struct run_result r;
	char *path;
	size_t n;

	snprintf(denv, sizeof(denv), "D=%s", dest);
	snprintf(penv, sizeof(penv), "P=%s", pattern);
	const char *fenv[] = { denv, penv, NULL };
	test_run(&r, find, fenv, NULL);
	assert_ok(&r, "find");
	n = strcspn(r.out, "\n");
	cr_assert(n > 0, "nothing installed matches %s", pattern);
	cr_assert(r.out[n] == '\0' || r.out[n + 1] == '\0',
		  "more than one installed file matches %s:\n%s", pattern,
		  r.out);
	path = strndup(r.out, n);
	cr_assert(path != NULL);
	test_run_free(&r);
	return path;
}

/*
 * The value of the last "Key=value" line of a unit file (malloc'd), or
 * NULL when it has none. Comment lines do not count.
 */
static char *unit_value(const char *unit, const char *key)
{
	char *text = slurp(unit), *line, *save = NULL, *value = NULL;
	size_t klen = strlen(key);

	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			free(value);
			value = strdup(line + klen + 1);
			cr_assert(value != NULL);
		}
	}
	free(text);
	return value;
}

static void assert_unit_value(const char *unit, const char *key,
			      const char *want)
{
	char *v = unit_value(unit, key);

	cr_assert(v != NULL, "%s: no %s=", unit, key);
	cr_assert(strcmp(v, want) == 0, "%s: %s=%s, expected %s", unit, key, v,
		  want);
	free(v);
}

/* Every man:PAGE(SECTION) in a unit's Documentation= is installed. */
static void check_documentation(const char *dest, const char *unit)
{
	char *doc = unit_value(unit, "Documentation"), *item, *save = NULL;
	char name[128], pattern[300];
	int pages = 0;

	cr_assert(doc != NULL, "%s: no Documentation=", unit);
	for (item = strtok_r(doc, " ", &save); item != NULL;
	     item = strtok_r(NULL, " ", &save)) {
		char *paren = strchr(item, '('), *page;

		if (strncmp(item, "man:", 4) != 0)
			continue;
		cr_assert(paren != NULL && paren[1] != '\0' &&
				  paren[strlen(paren) - 1] == ')',
			  "%s: Documentation=%s", unit, item);
		snprintf(name, sizeof(name), "%.*s", (int)(paren - item - 4),
			 item + 4);
		snprintf(pattern, sizeof(pattern), "*/man/man%.*s/%s.%.*s",
			 (int)strlen(paren + 2), paren + 1, name,
			 (int)strlen(paren + 2), paren + 1);
		page = installed(dest, pattern);
		free(page);
		pages++;
	}
	cr_assert(pages > 0, "%s names no man page", unit);
	free(doc);
}

/* Where the programs go under the default prefix (as the test below). */
#define INSTALLED_MPDD "/usr/local/sbin/mpdd"

/* The service type the units must ask for: what mpdd speaks. */
#define SERVICE_TYPE (HAVE_LIBSYSTEMD ? "notify" : "exec")

/*
 * The units, the sysusers.d entry, the man pages and the config file, as
 * installed under dest; the service's ExecStart names the installed mpdd
 * and config file.
 */
static void check_operating_files(const char *src, const char *dest)
{
	static const char *const man[] = { "*/man/man8/mpdd.8",
					   "*/man/man1/mpd-cli.1",
					   "*/man/man3/libmpd.3",
					   "*/man/man7/mpd-protocol.7" };
	static const char *const th[] = { ".TH MPDD 8 ", ".TH MPD\\-CLI 1 ",
					  ".TH LIBMPD 3 ",
					  ".TH MPD\\-PROTOCOL 7 " };
	char *sys_service =
		installed(dest, "*/lib/systemd/system/mpdd.service");
	char *sys_socket = installed(dest, "*/lib/systemd/system/mpdd.socket");
	char *user_service = installed(dest, "*/lib/systemd/user/mpdd.service");
	char *user_socket = installed(dest, "*/lib/systemd/user/mpdd.socket");
	char *sysusers = installed(dest, "*/lib/sysusers.d/mpdd.conf");
	char *example = installed(dest, "*/share/doc/mpd/mpdd.conf.example");
	char *exec, *conf, *text, *want, path[PATH_MAX * 2];
	struct stat st;

	/* The system instance: a root daemon on a socket for group mpdd. */
	assert_unit_value(sys_socket, "ListenStream", "/run/mpdd/mpdd.sock");
	assert_unit_value(sys_socket, "SocketMode", "0660");
	assert_unit_value(sys_socket, "SocketGroup", "mpdd");
	assert_unit_value(sys_socket, "Accept", "no");
	assert_unit_value(sys_service, "Requires", "mpdd.socket");
	assert_unit_value(sys_service, "Type", SERVICE_TYPE);
	assert_unit_value(sys_service, "KillMode", "process");
	/* A user's own: on $XDG_RUNTIME_DIR, for the user alone. */
	assert_unit_value(user_socket, "ListenStream", "%t/mpdd/mpdd.sock");
	assert_unit_value(user_socket, "SocketMode", "0600");
	assert_unit_value(user_service, "Requires", "mpdd.socket");
	assert_unit_value(user_service, "Type", SERVICE_TYPE);
	assert_unit_value(user_service, "KillMode", "process");

	/* ExecStart=SBINDIR/mpdd -c SYSCONFDIR/mpd/mpdd.conf, both there. */
	exec = unit_value(sys_service, "ExecStart");
	cr_assert(exec != NULL);
	conf = strstr(exec, " -c ");
	cr_assert(conf != NULL, "ExecStart=%s: no -c", exec);
	*conf = '\0';
	conf += 4;
	cr_assert(strcmp(exec, INSTALLED_MPDD) == 0,
		  "ExecStart runs %s, mpdd is installed as " INSTALLED_MPDD,
		  exec);
	cr_assert(conf[0] == '/', "ExecStart: -c %s", conf);
	snprintf(path, sizeof(path), "%s%s", dest, conf);
	cr_assert(stat(path, &st) == 0 && S_ISREG(st.st_mode),
		  "the config file %s the service reads is not installed",
		  conf);
	cr_assert((st.st_mode & 07777) == 0644, "%s: mode %o", path,
		  (unsigned)(st.st_mode & 07777));
	text = slurp(path);
	want = slurp(example);
	cr_assert(strcmp(text, want) == 0, "%s is not the example config file",
		  path);
	free(text);
	free(want);
	free(exec);
	exec = unit_value(user_service, "ExecStart");
	cr_assert(exec != NULL);
	cr_assert(strcmp(exec, INSTALLED_MPDD) == 0,
		  "the user service runs '%s'", exec);
	free(exec);

	/* The example config is installed as it is in the source. */
	snprintf(path, sizeof(path), "%s/systemd/mpdd.conf.example", src);
	text = slurp(example);
	want = slurp(path);
	cr_assert(strcmp(text, want) == 0, "%s differs from %s", example, path);
	free(text);
	free(want);

	check_documentation(dest, sys_service);
	check_documentation(dest, sys_socket);
	check_documentation(dest, user_service);
	check_documentation(dest, user_socket);

	/* sysusers.d creates the group the system socket belongs to. */
	text = slurp(sysusers);
	cr_assert(strstr(text, "\ng mpdd -\n") != NULL,
		  "%s does not create the group mpdd:\n%s", sysusers, text);
	free(text);

	for (size_t i = 0; i < sizeof(man) / sizeof(man[0]); i++) {
		char *page = installed(dest, man[i]);

		text = slurp(page);
		cr_assert(strstr(text, th[i]) != NULL, "%s: no '%s'", page,
			  th[i]);
		free(text);
		free(page);
	}
	free(sys_service);
	free(sys_socket);
	free(user_service);
	free(user_socket);
	free(sysusers);
	free(example);
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

	install_into(build, dest);

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
	check_operating_files(src, dest);

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

/* A fresh temp dir in d, dest under it, and the build installed there. */
static void install_fresh(char *dest, size_t size)
{
	const char *build = getenv("MPD_TEST_BUILDDIR");

	cr_assert(build != NULL);
	mpdd_init(&d);
	snprintf(dest, size, "%s/dest", d.dir);
	install_into(build, dest);
}

Test(install, an_edited_config_file_survives_a_reinstall)
{
	const char *build = getenv("MPD_TEST_BUILDDIR");
	char dest[PATH_MAX], *conf, *text;
	FILE *f;

	install_fresh(dest, sizeof(dest));
	conf = installed(dest, "*/etc/mpd/mpdd.conf");
	f = fopen(conf, "a");
	cr_assert(f != NULL);
	fputs("max-processes = 7\n", f);
	cr_assert(fclose(f) == 0);

	install_into(build, dest);
	text = slurp(conf);
	cr_assert(strstr(text, "\nmax-processes = 7\n") != NULL,
		  "a reinstall overwrote the edited %s", conf);
	free(text);

	/* A removed one comes back. */
	cr_assert(unlink(conf) == 0);
	install_into(build, dest);
	text = slurp(conf);
	cr_assert(strstr(text, "max-processes = 7") == NULL);
	cr_assert(strstr(text, "#max-processes = 16384\n") != NULL);
	free(text);
	free(conf);
}

/*
 * The example config shows every key of the file format, each commented
 * out as "#key = value", and with all of them uncommented mpdd accepts it.
 */
Test(install, the_example_config_names_every_key_with_a_valid_value)
{
	static const char *const keys[] = {
		"socket",
		"socket-mode",
		"socket-group",
		"preload",
		"log-level",
		"max-message",
		"max-connections",
		"max-connections-per-uid",
		"max-output",
		"max-processes",
		"max-exited",
		"max-created",
		"max-created-per-uid",
		"max-created-bytes",
		"max-created-bytes-per-uid",
		"capture-size",
		"max-capture-bytes",
		"kill-grace",
		"max-objects",
		"max-queue-items",
		"max-broker-bytes",
		"shutdown",
		"pool",
		"spin-usec",
	};
	const char *src = getenv("MPD_TEST_SRCDIR");
	char *mpdd = test_built("daemon/mpdd"), *example, *text, *line;
	char *save = NULL, *out = NULL, conf[PATH_MAX + 16], ok[PATH_MAX * 2];
	bool seen[sizeof(keys) / sizeof(keys[0])] = { false };
	size_t outlen = 0;
	struct run_result r;
	FILE *o;

	cr_assert(src != NULL);
	mpdd_init(&d);
	cr_assert(asprintf(&example, "%s/systemd/mpdd.conf.example", src) > 0);
	text = slurp(example);
	o = open_memstream(&out, &outlen);
	cr_assert(o != NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t k = strspn(line + (line[0] == '#'),
				  "abcdefghijklmnopqrstuvwxyz-");
		size_t i;

		/* Settings are "#key = value"; prose is "# ...". */
		if (line[0] != '#' || k == 0 ||
		    strncmp(line + 1 + k, " = ", 3) != 0)
			continue;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i]) == k &&
			    strncmp(line + 1, keys[i], k) == 0)
				break;
		cr_assert(i < sizeof(keys) / sizeof(keys[0]),
			  "%s: unknown key in '%s'", example, line);
		cr_assert(!seen[i], "%s: %s twice", example, keys[i]);
		seen[i] = true;
		/* A group that may not exist here: by number instead. */
		if (strcmp(keys[i], "socket-group") == 0 &&
		    getgrnam(line + 1 + k + 3) == NULL)
			fprintf(o, "socket-group = 0\n");
		else
			fprintf(o, "%s\n", line + 1);
	}
	cr_assert(fclose(o) == 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		cr_assert(seen[i], "%s does not show the key %s", example,
			  keys[i]);

	/* As shipped (all comments), then with every setting. */
	const char *check[] = { mpdd, "-c", example, "-n", NULL };
	test_run(&r, check, NULL, NULL);
	assert_ok(&r, "mpdd -n on the example");
	test_run_free(&r);
	snprintf(conf, sizeof(conf), "%s/mpdd.conf", d.dir);
	spew(conf, out);
	check[2] = conf;
	test_run(&r, check, NULL, NULL);
	assert_ok(&r, "mpdd -n on the example, uncommented");
	snprintf(ok, sizeof(ok), "%s: OK\n", conf);
	cr_assert(strcmp(r.out, ok) == 0, "%s", r.out);
	test_run_free(&r);
	free(out);
	free(text);
	free(example);
	free(mpdd);
}

/*
 * systemd-analyze verify on the installed units, system and user. It must
 * find ExecStart's program, so each unit is verified from a copy whose
 * paths point into the destdir. (Documentation= is checked against the
 * installed man pages by check_operating_files(): verify's own check runs
 * man(1) on each page, seconds apiece.) verify warns about bad settings and
 * still exits 0, so any line about our units fails the test; a unit known
 * to be broken must be caught, or the check would prove nothing.
 */
static void verify(const char *mode, const char *dir, const char *socket_unit,
		   const char *service_unit, bool want_ok)
{
	char *cmd, env_dir[PATH_MAX * 2];
	char env_home[PATH_MAX * 2], env_cfg[PATH_MAX * 2];
	char env_data[PATH_MAX * 2];
	struct run_result r;
	bool flagged;

	cr_assert(asprintf(&cmd,
			   "exec systemd-analyze %s verify --man=no '%s' '%s'",
			   mode, socket_unit, service_unit) > 0);
	/* A user manager's paths, all in the test's own dir. */
	snprintf(env_dir, sizeof(env_dir), "XDG_RUNTIME_DIR=%s/xdg", dir);
	snprintf(env_home, sizeof(env_home), "HOME=%s", dir);
	snprintf(env_cfg, sizeof(env_cfg), "XDG_CONFIG_HOME=%s/config", dir);
	snprintf(env_data, sizeof(env_data), "XDG_DATA_HOME=%s/data", dir);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *env[] = { env_dir, env_home, env_cfg, env_data, NULL };
	test_run(&r, argv, env, NULL);
	/* Warnings about the host's own units do not count. */
	flagged = !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 ||
		  strstr(r.out, "mpdd.") != NULL ||
		  strstr(r.err, "mpdd.") != NULL;
	if (want_ok)
		cr_assert(!flagged,
			  "systemd-analyze %s verify (status 0x%x):\n%s\n%s",
			  mode, r.status, r.out, r.err);
	else
		cr_assert(flagged,
			  "systemd-analyze %s verify missed a broken unit "
			  "(status 0x%x):\n%s\n%s",
			  mode, r.status, r.out, r.err);
	test_run_free(&r);
	free(cmd);
}

/* Copy unit to dir/name with every from replaced by to. */
static char *copy_unit(const char *unit, const char *dir, const char *name,
		       const char *from, const char *to)
{
	char *text = slurp(unit), *path, *p, *q;
	FILE *f;

	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	for (p = text; (q = strstr(p, from)) != NULL; p = q + strlen(from))
		fprintf(f, "%.*s%s", (int)(q - p), p, to);
	fputs(p, f);
	cr_assert(fclose(f) == 0);
	free(text);
	return path;
}

/* Does systemd-analyze verify work here at all? A trivial unit tells. */
static bool verify_works(const char *mode, const char *dir)
{
	char *cmd, *unit, env_dir[PATH_MAX * 2];
	struct run_result r;
	bool works;

	cr_assert(asprintf(&unit, "%s/mpd-check-ok.service", dir) > 0);
	spew(unit, "[Service]\nExecStart=/bin/sh -c true\n");
	cr_assert(asprintf(&cmd, "exec systemd-analyze %s verify --man=no %s",
			   mode, unit) > 0);
	snprintf(env_dir, sizeof(env_dir), "XDG_RUNTIME_DIR=%s/xdg", dir);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *env[] = { env_dir, NULL };
	test_run(&r, argv, env, NULL);
	works = WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 &&
		strstr(r.err, "mpd-check") == NULL;
	if (!works)
		fprintf(stderr, "systemd-analyze %s verify fails here:\n%s\n",
			mode, r.err);
	test_run_free(&r);
	free(cmd);
	free(unit);
	return works;
}

Test(install, the_units_pass_systemd_analyze_verify)
{
	static const char *const modes[] = { "system", "user" };
	char dest[PATH_MAX], dir[PATH_MAX + 16], xdg[PATH_MAX + 32];
	char sbin[PATH_MAX + 32], *mpdd;
	struct run_result r;
	bool any = false;

	const char *which[] = { "/bin/sh", "-c", "command -v systemd-analyze",
				NULL };
	test_run(&r, which, NULL, NULL);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
		test_run_free(&r);
		cr_skip_test("systemd-analyze is not installed");
	}
	test_run_free(&r);

	install_fresh(dest, sizeof(dest));
	mpdd = installed(dest, "*/sbin/mpdd");
	snprintf(sbin, sizeof(sbin), "%s", mpdd + strlen(dest));

	for (size_t i = 0; i < 2; i++) {
		const char *mode = i == 0 ? "--system" : "--user";
		char pattern[64], *service, *sock, *c_service, *c_sock;

		snprintf(dir, sizeof(dir), "%s/%s", d.dir, modes[i]);
		snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
		cr_assert(mkdir(dir, 0700) == 0 && mkdir(xdg, 0700) == 0);
		if (!verify_works(mode, dir))
			continue;
		any = true;
		snprintf(pattern, sizeof(pattern),
			 "*/lib/systemd/%s/mpdd.service", modes[i]);
		service = installed(dest, pattern);
		snprintf(pattern, sizeof(pattern),
			 "*/lib/systemd/%s/mpdd.socket", modes[i]);
		sock = installed(dest, pattern);
		c_service = copy_unit(service, dir, "mpdd.service", sbin, mpdd);
		c_sock = copy_unit(sock, dir, "mpdd.socket", sbin, mpdd);
		verify(mode, dir, c_sock, c_service, true);

		/* The same check must catch a broken copy. */
		free(copy_unit(c_service, dir, "mpdd.service",
			       "KillMode=process", "KillMode=bogus"));
		verify(mode, dir, c_sock, c_service, false);
		free(c_service);
		free(c_sock);
		free(service);
		free(sock);
	}
	free(mpdd);
	if (!any)
		cr_skip_test("systemd-analyze verify does not work here");
}
