/*
 * test-readme.c - the README's tour, pasted as written.
 *
 * Every ```sh block of README.md from the heading "### Processes" up to
 * "### Running it as a service" is read as a user reads it: a line
 * "$ CMD" is a command to paste, the lines after it (up to the next "$ "
 * or the block's end) what it prints. The commands run in one bash, in
 * order, in a directory laid out as a build tree (build/ and examples/),
 * against a daemon of this build (MPD_SOCKET). A command must exit 0,
 * unless the next one is "echo $?", whose expected output then says the
 * status; what a command prints must be what the README shows, where it
 * shows anything (a "..." line stands for any further lines). The tour
 * runs twice on the same daemon: it cleans up after itself, so that a
 * user can paste it again.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

#define README_FIRST "### Processes"
#define README_END   "### Running it as a service"
/* Marks the end of one command's output in the script's stdout. */
#define MARK "\036mark "

static struct mpdd d;

static void teardown(void)
{
	mpdd_teardown(&d);
}

TestSuite(readme, .fini = teardown, .timeout = 280);

/* One "$ CMD" line of the README and what it shows. */
struct step {
	char *cmd;
	char *expect; /* the lines shown after it, each ending in '\n' */
	int line; /* in README.md */
};

struct tour {
	struct step *steps;
	size_t n, cap;
};

static void tour_add(struct tour *t, const char *cmd, int line)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 32;
		t->steps = realloc(t->steps, t->cap * sizeof(*t->steps));
		cr_assert_not_null(t->steps);
	}
	t->steps[t->n++] = (struct step){ .cmd = strdup(cmd),
					  .expect = strdup(""),
					  .line = line };
}

static void step_expect(struct step *s, const char *text)
{
	size_t n = strlen(s->expect), m = strlen(text);

	s->expect = realloc(s->expect, n + m + 2);
	cr_assert_not_null(s->expect);
	memcpy(s->expect + n, text, m);
	s->expect[n + m] = '\n';
	s->expect[n + m + 1] = '\0';
}

/* The tour's steps, from the README of the source tree. */
static void tour_read(struct tour *t)
{
	const char *src = getenv("MPD_TEST_SRCDIR");
	bool in_tour = false, in_block = false, in_step = false;
	char path[PATH_MAX], buf[4096];
	int lineno = 0;
	FILE *f;

	cr_assert_not_null(src, "MPD_TEST_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/README.md", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		buf[strcspn(buf, "\n")] = '\0';
		if (!in_block && strcmp(buf, README_FIRST) == 0)
			in_tour = true;
		if (!in_block && strcmp(buf, README_END) == 0)
			break;
		if (!in_tour)
			continue;
		if (strncmp(buf, "```", 3) == 0) {
			in_block = !in_block && strcmp(buf, "```sh") == 0;
			in_step = false;
			continue;
		}
		if (!in_block)
			continue;
		/* A block without "$ " lines is a listing, not commands. */
		if (strncmp(buf, "$ ", 2) == 0) {
			tour_add(t, buf + 2, lineno);
			in_step = true;
		} else if (in_step) {
			step_expect(&t->steps[t->n - 1], buf);
		}
	}
	fclose(f);
	cr_assert_gt(t->n, 10, "%s: no tour found between \"%s\" and \"%s\"",
		     path, README_FIRST, README_END);
}

static void tour_free(struct tour *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->steps[i].cmd);
		free(t->steps[i].expect);
	}
	free(t->steps);
}

/* The tour as one bash script: each command, then a mark with its index
 * and status, then that status restored for the next "echo $?". */
static char *tour_script(const struct tour *t)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	cr_assert_not_null(f);
	for (size_t i = 0; i < t->n; i++)
		fprintf(f,
			"%s\n__s=$?; printf '\\n" MARK "%zu %%d\\n' \"$__s\"; "
			"(exit \"$__s\")\n",
			t->steps[i].cmd, i);
	fclose(f);
	return s;
}

/* Do a and b (JSON texts) parse as objects with the same keys? */
static bool same_keys(const char *a, size_t alen, const char *b, size_t blen)
{
	json_t *x = json_loadb(a, alen, 0, NULL),
	       *y = json_loadb(b, blen, 0, NULL);
	bool same = json_is_object(x) && json_is_object(y) &&
		    json_object_size(x) == json_object_size(y);
	const char *key;
	json_t *v;

	if (same) {
		json_object_foreach (x, key, v)
			same = same && json_object_get(y, key) != NULL;
	}
	json_decref(x);
	json_decref(y);
	return same;
}

/*
 * Does out match what the README shows? Nothing shown: anything. Shown
 * without "...": exactly that. Shown with a "..." line: a sample of output
 * that varies from run to run (which worker did a job): at least as many
 * lines as the sample, and when the sample's lines are JSON objects,
 * every line an object with the same keys.
 */
static bool shows(const char *expect, const char *out)
{
	const char *dots = strstr(expect, "...\n"), *nl, *e;
	size_t want = 0, got = 0;

	if (expect[0] == '\0')
		return true;
	if (dots == NULL)
		return strcmp(expect, out) == 0;
	for (e = expect; e < dots; e = strchr(e, '\n') + 1)
		want++;
	for (const char *o = out; *o != '\0'; o = nl + 1) {
		nl = strchr(o, '\n');
		if (nl == NULL)
			return false;
		got++;
		if (expect[0] == '{' &&
		    !same_keys(expect, (size_t)(strchr(expect, '\n') - expect),
			       o, (size_t)(nl - o)))
			return false;
	}
	return got >= want;
}

/* Check the script's output against the tour, step by step. */
static void tour_check(const struct tour *t, const char *out, int round)
{
	const char *p = out;

	for (size_t i = 0; i < t->n; i++) {
		const struct step *s = &t->steps[i];
		char want[32], *text;
		const char *mark;
		size_t idx;
		int status, n;

		snprintf(want, sizeof(want), "\n" MARK "%zu ", i);
		mark = strstr(p, want);
		cr_assert_not_null(mark,
				   "round %d, README line %d: '%s' never "
				   "finished; output so far:\n%s",
				   round, s->line, s->cmd, p);
		cr_assert_eq(sscanf(mark + 1, MARK "%zu %d%n", &idx, &status,
				    &n),
			     2);
		/* The mark's printf starts with a newline of its own. */
		text = strndup(p, (size_t)(mark - p));
		if (i + 1 < t->n && strcmp(t->steps[i + 1].cmd, "echo $?") == 0)
			cr_assert_eq(status, atoi(t->steps[i + 1].expect),
				     "round %d, README line %d: '%s' exited "
				     "%d, the README says %s",
				     round, s->line, s->cmd, status,
				     t->steps[i + 1].expect);
		else
			cr_assert_eq(status, 0,
				     "round %d, README line %d: '%s' exited "
				     "%d; it printed:\n%s",
				     round, s->line, s->cmd, status, text);
		cr_assert(shows(s->expect, text),
			  "round %d, README line %d: '%s' printed\n%s\nwhere "
			  "the README shows\n%s",
			  round, s->line, s->cmd, text, s->expect);
		free(text);
		p = mark + 1 + n;
		if (*p == '\n')
			p++;
	}
}

/* A directory laid out as a clone with its build tree: build/ and
 * examples/ are links to this build's and the source's. */
static void make_clone(char *dir, size_t size)
{
	const char *src = getenv("MPD_TEST_SRCDIR");
	const char *bld = getenv("MPD_TEST_BUILDDIR");
	char link[PATH_MAX + 16], target[PATH_MAX];

	cr_assert(src != NULL && bld != NULL);
	snprintf(dir, size, "%s/clone", d.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/build", dir);
	cr_assert_eq(symlink(bld, link), 0);
	snprintf(link, sizeof(link), "%s/examples", dir);
	snprintf(target, sizeof(target), "%s/examples", src);
	cr_assert_eq(symlink(target, link), 0);
}

Test(readme, the_tour_runs_pasted_twice_in_a_row)
{
	char dir[PATH_MAX - 32], env_sock[PATH_MAX + 16];
	const char *env[] = { env_sock, NULL };
	struct tour t = { 0 };
	struct run_result r;
	json_t *res, *broker;
	char *script;

	tour_read(&t);
	script = tour_script(&t);
	mpdd_start(&d, NULL);
	make_clone(dir, sizeof(dir));
	snprintf(env_sock, sizeof(env_sock), "MPD_SOCKET=%s", d.socket);
	for (int round = 1; round <= 2; round++) {
		const char *argv[] = { "/bin/bash",
				       "-c",
				       "cd \"$0\" && eval "
				       "\"$1\"",
				       dir,
				       script,
				       NULL };

		/* A long script: a hundred commands, slow under the
		 * sanitizers. */
		test_run_for(&r, argv, env, NULL, 5 * TEST_TIMEOUT_MS);
		tour_check(&t, r.out, round);
		test_run_free(&r);
		/* It cleaned up after itself. */
		res = test_rpc_text(d.socket, "process.list", "{}", false);
		cr_assert_eq(json_array_size(json_object_get(res, "processes")),
			     0, "round %d left process records", round);
		json_decref(res);
		res = test_rpc_text(d.socket, "daemon.info", "{}", false);
		broker = json_object_get(res, "broker");
		cr_assert(json_integer_value(
				  json_object_get(broker, "queues")) == 0 &&
				  json_integer_value(json_object_get(
					  broker, "values")) == 0 &&
				  json_integer_value(json_object_get(
					  broker, "arrays")) == 0,
			  "round %d left broker objects", round);
		json_decref(res);
	}
	free(script);
	tour_free(&t);
	mpdd_stop_all(&d);
}
