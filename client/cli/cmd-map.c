/*
 * cmd-map.c - "map": xargs -P and GNU parallel on a pool of mpdd's.
 *
 * map reads lines (stdin, or -a FILE) and runs CMD once per line, the
 * line in place of each {} in CMD's arguments (or as its last argument),
 * at most -j N at once, as the tasks of a program pool it creates for the
 * while (daemon: it dies with this command's connection, whatever ends
 * it) and deletes at the end.
 *
 * Each job writes to files of its own: its stdout and stderr are two
 * anonymous files (O_TMPFILE in $TMPDIR, or memfd_create()) passed to
 * the daemon with the pool.submit that carries the job, at most eight
 * jobs to a request (two descriptors each, sixteen to a request). When
 * a job ends, map copies its files to its own stdout and stderr, whole,
 * so the output of one job is never mixed with another's; in input order
 * by default, in the order they end with --unordered. At most 2N jobs
 * are submitted and not yet printed (the window), so descriptors and the
 * files' room stay bounded however long the input is.
 *
 * Everything goes through one connection without blocking on it: the
 * submits are sent as the window opens (several may be in flight), one
 * pool.result waits for the next jobs to end, and a poll() over the
 * connection, the input and a signalfd drives it all (libmpd's
 * asynchronous calls, mpd_dispatch()). SIGINT and SIGTERM terminate the
 * pool (every job started is killed, and map waits until they are gone)
 * and exit 130 and 143.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Exit statuses of map: the number of failed jobs up to MAP_MANY_FAILED
 * (more: MAP_MANY_FAILED + 1), MAP_ERROR for mpd-cli's own errors, and
 * 128 + the signal that stopped it. */
#define MAP_MANY_FAILED 100
#define MAP_ERROR	255
#define MAP_SIGNAL_BASE 128
/* Jobs to a pool.submit: two descriptors each. */
#define MAP_SUBMIT_JOBS (MPD_MAX_WORKER_FDS / 2)
/* Jobs submitted and not printed, per worker. */
#define MAP_WINDOW_PER_WORKER 2
/* Jobs the bookkeeping ring holds: the window is counted, so a slow job
 * does not stop the others until this many have passed it. */
#define MAP_RING_PER_WINDOW 16
#define MAP_RING_MAX	    8192
/* Input read at once, and the longest line. */
#define MAP_READ_SIZE (64 * 1024)
/* How often the progress line is redrawn, in ms. */
#define MAP_PROGRESS_MS 200
/* Seconds map waits for the pool's jobs to be gone after a signal. */
#define MAP_KILL_WAIT 30.0
/* Descriptors map keeps for itself besides the jobs'. */
#define MAP_FD_RESERVE 64

enum job_state {
	JOB_FREE = 0,
	JOB_SENT, /* in a pool.submit not answered yet */
	JOB_QUEUED, /* submitted: its id is known */
	JOB_ENDED, /* its outcome came */
};

/* How a job ended. */
enum job_end {
	JOB_OK = 0,
	JOB_FAILED, /* counts in the exit status */
	JOB_KILLED, /* terminated by --halt: not printed, not counted */
};

struct job {
	enum job_state state;
	enum job_end end;
	long long seq; /* input order, from 0; its task id is seq + 1 */
	int out, err; /* its stdout and stderr files */
	char *msg; /* why it failed, for stderr, or NULL */
};

struct map {
	struct cli_ctx *ctx;
	char pool[64];
	const char *tmpdir;
	int in; /* the input, or -1 once read to its end */
	bool in_eof;
	char *buf; /* input read and not yet made jobs of */
	size_t blen, bcap;
	char *const *cmd; /* CMD and its args, NULL-terminated */
	int ncmd;
	bool has_braces; /* some arg holds {} */
	bool unordered, halt;
	int workers;
	size_t window; /* jobs submitted and not printed, at most */
	size_t max_bytes; /* of a submit's args, about */
	struct job *ring; /* nring slots: seq % nring */
	size_t nring;
	long long next; /* seq of the next job */
	long long head; /* lowest seq not printed */
	long long fetch_lo; /* lowest seq whose outcome has not come */
	long long acked; /* seqs below it have their ids */
	size_t live; /* jobs submitted and not printed */
	bool result_busy; /* a pool.result is in flight */
	int submits; /* pool.submits in flight */
	/* A FIFO of the seqs of jobs that ended, for --unordered. */
	long long *ended;
	size_t ended_head, ended_count;
	long long done, failed; /* jobs printed, of which failed */
	bool halting; /* --halt saw a failure: the pool is terminated */
	bool halt_now; /* ... and the terminate is still to send */
	bool broken; /* a call failed: stop, exit MAP_ERROR */
	bool closing; /* the connection closes: calls in flight fail */
	int sig; /* the signal that stops map, or 0 */
	/* Progress line on stderr. */
	bool progress, drawn;
	struct timespec start, drawn_at;
};

/* A pool.submit in flight: which jobs. */
struct map_submit {
	struct map *m;
	long long seq;
	size_t n;
};

static struct job *job_at(struct map *m, long long seq)
{
	return &m->ring[(size_t)seq % m->nring];
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Erase the progress line before anything else goes to stderr. */
static void progress_clear(struct map *m)
{
	if (m->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		m->drawn = false;
	}
}

/* Redraw the progress line: jobs done (of the total once the input is
 * all read), the rate and, with the total, the time left. */
static void progress_draw(struct map *m, bool force)
{
	double t = since(&m->start), rate;
	char eta[48] = "";
	long long total = m->next;

	if (!m->progress ||
	    (!force && m->drawn && since(&m->drawn_at) < MAP_PROGRESS_MS / 1e3))
		return;
	rate = t > 0 ? (double)m->done / t : 0;
	if (m->in_eof && rate > 0)
		snprintf(eta, sizeof(eta), ", ETA %.0fs",
			 (double)(total - m->done) / rate);
	if (m->in_eof)
		fprintf(stderr, "\rmpd-cli map: %lld/%lld done", m->done,
			total);
	else
		fprintf(stderr, "\rmpd-cli map: %lld done", m->done);
	if (m->failed > 0)
		fprintf(stderr, ", %lld failed", m->failed);
	fprintf(stderr, ", %.1f/s%s\033[K", rate, eta);
	fflush(stderr);
	m->drawn = true;
	clock_gettime(CLOCK_MONOTONIC, &m->drawn_at);
}

/* An error of map's own: one line on stderr, and stop. */
__attribute__((format(printf, 2, 3))) static void
map_error(struct map *m, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (m->closing || m->broken)
		return; /* the first error is the one that tells */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_clear(m);
	cli_error("map: %s", msg);
	m->broken = true;
}

/* An anonymous file for a job's output: O_TMPFILE in $TMPDIR (or /tmp),
 * where big output may go to disk, else a memfd. Returns it, or -1. */
static int job_file(const char *tmpdir)
{
	int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		fd = memfd_create("mpd-cli-map", MFD_CLOEXEC);
	return fd;
}

/* Copy the whole file fd to out. Returns 0, or -1 (errno set). */
static int copy_file(int fd, int out)
{
	char buf[64 * 1024];
	off_t off = 0;
	ssize_t n, w;
	size_t done;

	for (;;) {
		n = sendfile(out, fd, &off, 1 << 30);
		if (n > 0)
			continue;
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EINVAL && errno != ENOSYS)
			return -1;
		break; /* out takes no sendfile(): read and write */
	}
	while ((n = pread(fd, buf, sizeof(buf), off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		for (done = 0; done < (size_t)n; done += (size_t)w) {
			w = write(out, buf + done, (size_t)n - done);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				return -1;
		}
		off += n;
	}
	return 0;
}

static void job_release(struct job *j)
{
	if (j->out >= 0)
		close(j->out);
	if (j->err >= 0)
		close(j->err);
	free(j->msg);
	memset(j, 0, sizeof(*j));
	j->out = j->err = -1;
}

/* Print an ended job's output (unless --halt killed it) and free its
 * slot. */
static void job_print(struct map *m, struct job *j)
{
	if (j->end != JOB_KILLED) {
		fflush(stdout);
		if (copy_file(j->out, STDOUT_FILENO) < 0 && errno != EPIPE)
			map_error(m, "cannot write job %lld's output: %s",
				  j->seq + 1, strerror(errno));
		if (j->msg != NULL || lseek(j->err, 0, SEEK_END) > 0)
			progress_clear(m);
		copy_file(j->err, STDERR_FILENO);
		if (j->msg != NULL)
			cli_error("map: %s", j->msg);
		m->done++;
		m->failed += j->end == JOB_FAILED;
	}
	m->live--;
	job_release(j);
}

/* Has the job of seq an outcome (or been printed, its slot free or
 * taken by a later job)? */
static bool job_past(struct map *m, long long seq)
{
	struct job *j = job_at(m, seq);

	return j->state == JOB_FREE || j->state == JOB_ENDED || j->seq != seq;
}

/* Move fetch_lo past the jobs whose outcome has come. */
static void fetch_advance(struct map *m)
{
	while (m->fetch_lo < m->acked && job_past(m, m->fetch_lo))
		m->fetch_lo++;
}

/* Print what can be printed: in input order, or as they ended. */
static void print_ready(struct map *m)
{
	struct job *j;

	if (m->unordered) {
		while (m->ended_count > 0) {
			j = job_at(m, m->ended[m->ended_head]);
			m->ended_head = (m->ended_head + 1) % m->nring;
			m->ended_count--;
			job_print(m, j);
		}
		while (m->head < m->next &&
		       (job_at(m, m->head)->state == JOB_FREE ||
			job_at(m, m->head)->seq != m->head))
			m->head++;
		return;
	}
	while (m->head < m->next &&
	       (j = job_at(m, m->head))->state == JOB_ENDED) {
		job_print(m, j);
		m->head++;
	}
}

/* A job's outcome o: how it ended, and why when it failed. */
static void job_ended(struct map *m, struct job *j,
		      const struct mpd_task_result *o)
{
	const json_t *sig = json_object_get(o->error.data, "signal");
	char *msg = NULL;
	int rc = 0;

	j->state = JOB_ENDED;
	if (o->done) {
		j->end = JOB_OK;
	} else if (strcmp(o->error.name, "terminated") == 0 && m->halting) {
		j->end = JOB_KILLED;
	} else {
		j->end = JOB_FAILED;
		/* A plain non-zero exit says nothing: its stderr does. */
		if (strcmp(o->error.name, "task_failed") != 0)
			rc = asprintf(&msg, "job %lld: %s (%s)", j->seq + 1,
				      o->error.message, o->error.name);
		else if (json_is_string(sig))
			rc = asprintf(&msg, "job %lld: %s killed by %s",
				      j->seq + 1, m->cmd[0],
				      json_string_value(sig));
		j->msg = rc >= 0 ? msg : NULL;
		/* The terminate is a call: sent from the loop, not from
		 * this callback. */
		if (m->halt && !m->halting)
			m->halting = m->halt_now = true;
	}
	if (m->unordered) {
		m->ended[(m->ended_head + m->ended_count) % m->nring] = j->seq;
		m->ended_count++;
	}
}

/* The answer of the pool.result in flight. */
static void result_cb(struct mpd_client *c, int status,
		      struct mpd_task_result *results, size_t n,
		      size_t remaining, const struct mpd_error *err, void *arg)
{
	struct map *m = arg;
	struct job *j;

	(void)c;
	(void)remaining;
	m->result_busy = false;
	if (status < 0) {
		map_error(m, "pool.result: %s", err->message);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		long long seq = results[i].id - 1;

		j = seq >= m->fetch_lo && seq < m->acked ? job_at(m, seq) :
							   NULL;
		if (j == NULL || j->state != JOB_QUEUED || j->seq != seq) {
			map_error(m,
				  "mpdd sent the outcome of task %lld, "
				  "not one waited for",
				  (long long)results[i].id);
			return;
		}
		job_ended(m, j, &results[i]);
	}
	fetch_advance(m);
}

/* Wait for the next outcomes, unless a wait is in flight already. */
static void result_start(struct map *m)
{
	struct mpd_pool_query q = { .order = MPD_POOL_ORDER_COMPLETION };
	struct mpd_error err;

	fetch_advance(m);
	if (m->result_busy || m->broken || m->fetch_lo >= m->acked)
		return;
	q.first = m->fetch_lo + 1;
	q.count = (size_t)(m->acked - m->fetch_lo);
	if (mpd_pool_result_start(m->ctx->client, m->pool, &q, -1, result_cb, m,
				  &err) < 0) {
		map_error(m, "pool.result: %s", err.message);
		return;
	}
	m->result_busy = true;
}

/* The answer of a pool.submit. */
static void submit_cb(struct mpd_client *c, int status, int64_t first,
		      const struct mpd_error *err, void *arg)
{
	struct map_submit *s = arg;
	struct map *m = s->m;

	(void)c;
	m->submits--;
	if (status == 0 && first != s->seq + 1)
		map_error(m, "mpdd numbered job %lld task %lld", s->seq + 1,
			  (long long)first);
	else if (status < 0 && !m->halting)
		map_error(m, "pool.submit: %s (%s)", err->message, err->name);
	for (size_t i = 0; i < s->n; i++) {
		struct job *j = job_at(m, s->seq + (long long)i);

		if (status == 0) {
			j->state = JOB_QUEUED;
			continue;
		}
		/* Refused (the pool stopped for --halt): never ran. */
		j->state = JOB_ENDED;
		j->end = JOB_KILLED;
		if (m->unordered) {
			m->ended[(m->ended_head + m->ended_count) % m->nring] =
				j->seq;
			m->ended_count++;
		}
	}
	/* Refused tasks have no ids: a pool.result must not name them
	 * (and only the last submits are refused, once the pool stops). */
	if (status == 0 && s->seq + (long long)s->n > m->acked)
		m->acked = s->seq + (long long)s->n;
	free(s);
}

/*
 * One argument of a job: arg with every {} replaced by line. Returns a
 * malloc'd string, or NULL (no memory).
 */
static char *expand(const char *arg, const char *line, size_t llen)
{
	size_t n = 0, alen = strlen(arg);
	const char *p, *q;
	char *out, *o;

	for (p = arg; (q = strstr(p, "{}")) != NULL; p = q + 2)
		n++;
	out = malloc(alen - 2 * n + n * llen + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (p = arg; (q = strstr(p, "{}")) != NULL; p = q + 2) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, line, llen);
		o += llen;
	}
	strcpy(o, p);
	return out;
}

/* The next complete input line (or the last, unterminated, at EOF): its
 * length in *len, NULL when none is buffered. */
static char *next_line(struct map *m, size_t *len)
{
	char *nl = m->blen > 0 ? memchr(m->buf, '\n', m->blen) : NULL;

	if (nl != NULL) {
		*len = (size_t)(nl - m->buf);
		return m->buf;
	}
	if (m->in_eof && m->blen > 0) {
		*len = m->blen;
		return m->buf;
	}
	return NULL;
}

/* Drop the line of len bytes (and its newline) from the buffer. */
static void drop_line(struct map *m, size_t len)
{
	if (len < m->blen)
		len++;
	memmove(m->buf, m->buf + len, m->blen - len);
	m->blen -= len;
}

/*
 * Make a job of one line into task t (argv strings malloc'd into targv,
 * ncmd + 2 slots) and slot j. Returns 0, or -1 after the error.
 */
static int job_make(struct map *m, const char *line, size_t llen, struct job *j,
		    struct mpd_task *t, char **targv)
{
	json_t *probe;
	int k = 0;

	if (memchr(line, '\0', llen) != NULL) {
		map_error(m, "input line %lld holds a NUL byte", m->next + 1);
		return -1;
	}
	probe = json_stringn(line, llen);
	if (probe == NULL) {
		map_error(m, "input line %lld is not valid UTF-8", m->next + 1);
		return -1;
	}
	json_decref(probe);
	for (int i = 0; i < m->ncmd; i++)
		if ((targv[k++] = expand(m->cmd[i], line, llen)) == NULL)
			goto nomem;
	if (!m->has_braces && (targv[k++] = strndup(line, llen)) == NULL)
		goto nomem;
	targv[k] = NULL;
	j->seq = m->next;
	j->out = job_file(m->tmpdir);
	j->err = j->out >= 0 ? job_file(m->tmpdir) : -1;
	if (j->err < 0) {
		map_error(m, "cannot make a file for job %lld's output: %s",
			  m->next + 1, strerror(errno));
		return -1;
	}
	t->argv = (const char *const *)targv;
	t->stdio[1] =
		(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = j->out };
	t->stdio[2] =
		(struct mpd_stdio){ .mode = MPD_STDIO_PASS, .fd = j->err };
	return 0;
nomem:
	map_error(m, "out of memory");
	return -1;
}

/*
 * Make jobs of the lines buffered while the window has room, and submit
 * them, MAP_SUBMIT_JOBS to a request. Returns how many were submitted.
 */
static size_t submit_ready(struct map *m)
{
	struct mpd_task tasks[MAP_SUBMIT_JOBS];
	char **targv[MAP_SUBMIT_JOBS] = { 0 };
	struct map_submit *s;
	struct mpd_error err;
	size_t n = 0, bytes = 0, total = 0, len;
	char *line;

	for (;;) {
		line = NULL;
		if (!m->broken && !m->halting && m->sig == 0 &&
		    m->live + n < m->window &&
		    job_at(m, m->next)->state == JOB_FREE &&
		    (n == 0 || bytes < m->max_bytes))
			line = next_line(m, &len);
		if (line != NULL) {
			struct job *j = job_at(m, m->next);

			memset(&tasks[n], 0, sizeof(tasks[n]));
			targv[n] =
				calloc((size_t)m->ncmd + 2, sizeof(*targv[n]));
			if (targv[n] == NULL) {
				map_error(m, "out of memory");
				break;
			}
			if (job_make(m, line, len, j, &tasks[n], targv[n]) <
			    0) {
				job_release(j);
				for (char **a = targv[n]; *a != NULL; a++)
					free(*a);
				free(targv[n]);
				targv[n] = NULL;
				break;
			}
			j->state = JOB_SENT;
			m->next++;
			n++;
			bytes += len * (size_t)(m->ncmd + 1) + 64;
			drop_line(m, len);
			if (n < MAP_SUBMIT_JOBS)
				continue;
		}
		if (n == 0)
			break;
		/* Send what is made: the batch is full, or no more now. */
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			map_error(m, "out of memory");
			break;
		}
		s->m = m;
		s->seq = m->next - (long long)n;
		s->n = n;
		if (mpd_pool_submit_start(m->ctx->client, m->pool, tasks, n,
					  submit_cb, s, &err) < 0) {
			free(s);
			map_error(m, "pool.submit: %s", err.message);
			break;
		}
		m->submits++;
		m->live += n;
		total += n;
		for (size_t i = 0; i < n; i++) {
			for (char **a = targv[i]; *a != NULL; a++)
				free(*a);
			free(targv[i]);
			targv[i] = NULL;
		}
		n = 0;
		bytes = 0;
		if (line == NULL)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		/* Made but never sent (an error stopped it): drop them. */
		for (char **a = targv[i]; *a != NULL; a++)
			free(*a);
		free(targv[i]);
		job_release(job_at(m, m->next - (long long)n + (long long)i));
	}
	if (n > 0)
		m->next -= (long long)n;
	return total;
}

/* Read what the input has. Returns 0, or -1 after the error. */
static int read_input(struct map *m)
{
	ssize_t n;
	char *nb;

	if (m->bcap - m->blen < MAP_READ_SIZE) {
		nb = realloc(m->buf, m->bcap + MAP_READ_SIZE);
		if (nb == NULL) {
			map_error(m, "out of memory");
			return -1;
		}
		m->buf = nb;
		m->bcap += MAP_READ_SIZE;
	}
	n = read(m->in, m->buf + m->blen, MAP_READ_SIZE);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0) {
		map_error(m, "cannot read the input: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		m->in_eof = true;
	m->blen += (size_t)n;
	if ((size_t)m->max_bytes < m->blen && !m->in_eof &&
	    memchr(m->buf, '\n', m->blen) == NULL) {
		map_error(m,
			  "input line %lld is longer than mpdd takes "
			  "(%zu bytes)",
			  m->next + 1, m->max_bytes);
		return -1;
	}
	return 0;
}

/* The environment for the jobs: this command's, as xargs gives it,
 * without what JSON cannot carry. Returns a malloc'd NULL-terminated
 * array of environ's strings, or NULL. */
static const char **job_env(void)
{
	extern char **environ;
	const char **env;
	size_t n = 0, k = 0;
	json_t *probe;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 1, sizeof(*env));
	for (size_t i = 0; env != NULL && i < n; i++) {
		const char *eq = strchr(environ[i], '=');

		if (eq == NULL || eq == environ[i])
			continue;
		probe = json_string(environ[i]);
		if (probe == NULL)
			continue;
		json_decref(probe);
		env[k++] = environ[i];
	}
	return env;
}

/* Create the pool: -j N workers (0: mpdd's cpus), the jobs' directory
 * and environment this command's. Returns CLI_OK or MAP_ERROR. */
static int map_create(struct map *m, int jobs)
{
	struct mpd_pool_options o = { .processes = jobs,
				      .daemon = 1,
				      .env_clear = 1 };
	const char **env = job_env();
	json_t *info = NULL, *mm = NULL, *v;
	struct timespec now;
	struct mpd_error err;
	char *cwd = cli_absolute(".");
	int r = CLI_OK;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(m->pool, sizeof(m->pool), "mpd-cli-map-%ld-%ld",
		 (long)getpid(), (long)now.tv_nsec);
	if (env == NULL || cwd == NULL) {
		cli_error("map: %s",
			  cwd == NULL ? strerror(errno) : "out of memory");
		r = MAP_ERROR;
		goto out;
	}
	o.env = env;
	o.cwd = cwd;
	if (mpd_pool_create(m->ctx->client, m->pool, &o, &info, &err) < 0) {
		cli_call_error("map", &err);
		r = MAP_ERROR;
		goto out;
	}
	v = json_object_get(info, "processes");
	m->workers = json_is_integer(v) && json_integer_value(v) > 0 ?
			     (int)json_integer_value(v) :
			     1;
	/* A submit's args stay well within max_message. */
	m->max_bytes = MPD_DAEMON_DEFAULT_MAX_MESSAGE / 4;
	if (mpd_daemon_info(m->ctx->client, &mm, &err) == 0) {
		v = json_object_get(json_object_get(mm, "limits"),
				    "max_message");
		if (json_is_integer(v) && json_integer_value(v) > 4096)
			m->max_bytes = (size_t)json_integer_value(v) / 4;
	}
out:
	json_decref(mm);
	json_decref(info);
	free(env);
	free(cwd);
	return r;
}

/* Size the window and the ring for the workers and the descriptors this
 * process may hold. Returns 0, or -1 (no memory). */
static int map_size(struct map *m)
{
	struct rlimit rl;
	size_t fds;

	m->window = (size_t)m->workers * MAP_WINDOW_PER_WORKER;
	if (m->window < MAP_SUBMIT_JOBS)
		m->window = MAP_SUBMIT_JOBS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		fds = rl.rlim_cur > MAP_FD_RESERVE * 2 ?
			      (size_t)(rl.rlim_cur - MAP_FD_RESERVE) / 2 :
			      MAP_FD_RESERVE / 2;
		if (m->window > fds)
			m->window = fds;
	}
	m->nring = m->window * MAP_RING_PER_WINDOW;
	if (m->nring > MAP_RING_MAX)
		m->nring = MAP_RING_MAX;
	if (m->nring < m->window * 2)
		m->nring = m->window * 2;
	m->ring = calloc(m->nring, sizeof(*m->ring));
	m->ended = calloc(m->nring, sizeof(*m->ended));
	if (m->ring == NULL || m->ended == NULL)
		return -1;
	for (size_t i = 0; i < m->nring; i++)
		m->ring[i].out = m->ring[i].err = -1;
	return 0;
}

/*
 * Stop for a signal or an error: terminate the pool (its jobs are
 * killed), wait until they are gone, and delete it.
 */
static void map_kill(struct map *m)
{
	struct mpd_client *c = m->ctx->client;

	if (mpd_pool_terminate(c, m->pool, NULL) == 0)
		mpd_pool_join(c, m->pool, MAP_KILL_WAIT, NULL);
	mpd_pool_delete(c, m->pool, NULL);
}

/* The loop: read, submit, wait, print, until every job is printed.
 * Returns 0, or -1 when stopped by a signal or an error. */
static int map_loop(struct map *m, int sfd)
{
	struct pollfd pf[3];
	struct signalfd_siginfo si;
	struct mpd_error err;
	nfds_t n;
	int timeout, rc;
	size_t len;

	for (;;) {
		if (m->halt_now) {
			m->halt_now = false;
			if (mpd_pool_terminate(m->ctx->client, m->pool, &err) <
			    0)
				map_error(m, "cannot stop the jobs: %s",
					  err.message);
		}
		/* Printing frees room in the window for more jobs. */
		print_ready(m);
		submit_ready(m);
		result_start(m);
		progress_draw(m, false);
		if (m->broken || m->sig != 0)
			return -1;
		if (m->in_eof && m->blen == 0 && m->live == 0 &&
		    m->submits == 0)
			return 0;
		if (m->halting && m->live == 0 && m->submits == 0)
			return 0;
		if (mpd_pending(m->ctx->client)) {
			if (mpd_dispatch(m->ctx->client, &err) < 0)
				map_error(m, "%s", err.message);
			continue;
		}
		n = 0;
		pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = mpd_client_fd(m->ctx->client),
					   .events = POLLIN };
		/* More input only when a job could be made of it. */
		if (!m->in_eof && !m->halting && m->live < m->window &&
		    next_line(m, &len) == NULL)
			pf[n++] = (struct pollfd){ .fd = m->in,
						   .events = POLLIN };
		timeout = m->progress ? MAP_PROGRESS_MS : -1;
		rc = poll(pf, n, timeout);
		if (rc < 0 && errno != EINTR) {
			map_error(m, "poll: %s", strerror(errno));
			continue;
		}
		if (rc <= 0)
			continue;
		if (pf[0].revents != 0 &&
		    read(sfd, &si, sizeof(si)) == sizeof(si))
			m->sig = (int)si.ssi_signo;
		if (pf[1].revents != 0 &&
		    mpd_dispatch(m->ctx->client, &err) < 0)
			map_error(m, "%s", err.message);
		if (n > 2 && pf[2].revents != 0)
			read_input(m);
	}
}

/* Free what m holds. */
static void map_free(struct map *m)
{
	for (size_t i = 0; m->ring != NULL && i < m->nring; i++)
		job_release(&m->ring[i]);
	free(m->ring);
	free(m->ended);
	free(m->buf);
	if (m->in > STDERR_FILENO)
		close(m->in);
}

static int cmd_map_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *jobs_text = cli_opt_get(ctx, "jobs");
	const char *file = cli_opt_get(ctx, "arg-file");
	const char *tmpdir = getenv("TMPDIR");
	struct map m = { .ctx = ctx, .in = STDIN_FILENO };
	sigset_t set, old;
	long long jobs = 0;
	int r, sfd = -1;

	if (jobs_text != NULL) {
		r = cli_parse_int(ctx, "map", "-j", jobs_text, 1,
				  MPD_POOL_MAX_PROCESSES, &jobs);
		if (r != CLI_OK)
			return MAP_ERROR;
	}
	if (cli_opt_get(ctx, "progress") != NULL &&
	    cli_opt_get(ctx, "no-progress") != NULL) {
		cli_usage_error(ctx->path,
				"map: --progress and --no-progress go against "
				"each other");
		return MAP_ERROR;
	}
	for (int i = 0; i < argc; i++) {
		json_t *probe = json_string(argv[i]);

		if (probe == NULL) {
			cli_usage_error(ctx->path,
					"map: argument %d is not valid UTF-8",
					i + 1);
			return MAP_ERROR;
		}
		json_decref(probe);
		m.has_braces |= strstr(argv[i], "{}") != NULL;
	}
	m.cmd = argv;
	m.ncmd = argc;
	m.tmpdir = tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir : "/tmp";
	m.unordered = cli_opt_get(ctx, "unordered") != NULL;
	m.halt = cli_opt_get(ctx, "halt") != NULL;
	m.progress = cli_opt_get(ctx, "progress") != NULL ||
		     (cli_opt_get(ctx, "no-progress") == NULL &&
		      isatty(STDERR_FILENO));
	if (file != NULL) {
		m.in = open(file, O_RDONLY | O_CLOEXEC);
		if (m.in < 0) {
			cli_error("map: %s: %s", file, strerror(errno));
			return MAP_ERROR;
		}
	}

	/* Signals wait in the signalfd from before the pool exists. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		cli_error("map: signalfd: %s", strerror(errno));
		r = MAP_ERROR;
		goto out;
	}
	r = cli_connect(ctx);
	if (r != CLI_OK) {
		r = MAP_ERROR;
		goto out;
	}
	r = map_create(&m, (int)jobs);
	if (r != CLI_OK)
		goto out;
	if (map_size(&m) < 0) {
		cli_error("map: out of memory");
		map_kill(&m);
		r = MAP_ERROR;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &m.start);
	if (map_loop(&m, sfd) < 0) {
		map_kill(&m);
		progress_clear(&m);
		r = m.sig != 0 ? MAP_SIGNAL_BASE + m.sig : MAP_ERROR;
		goto out;
	}
	print_ready(&m);
	progress_draw(&m, true);
	progress_clear(&m);
	mpd_pool_delete(ctx->client, m.pool, NULL);
	r = m.failed > MAP_MANY_FAILED ? MAP_MANY_FAILED + 1 : (int)m.failed;
	if (m.halting && r == 0)
		r = 1;
out:
	/* Calls still in flight fail now, while m is there for their
	 * callbacks. */
	m.closing = true;
	mpd_close(ctx->client);
	ctx->client = NULL;
	map_free(&m);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

const struct cli_cmd cli_cmd_map = {
	.name = "map",
	.usage = "[OPTIONS] CMD [ARG...]",
	.summary = "run CMD for each input line, N at once",
	.help = "Reads lines from stdin (or -a FILE) and runs CMD once per "
		"line, the line in\nplace of every {} in the ARGs (without "
		"{}: as the last argument), at most\n-j N at once (default: "
		"mpdd's cpus), on a pool of mpdd's made for the\nwhile. Each "
		"job's output is kept together: its stdout and stderr go to "
		"files\nof their own, copied here when it ends, in input "
		"order (--unordered: as\njobs end). Jobs start in this "
		"command's directory and environment, stdin\n/dev/null. A "
		"progress line goes to stderr when it is a terminal. "
		"SIGINT,\nSIGTERM and SIGHUP kill every job started (map waits "
		"until they are gone).\nOptions end at CMD.\n\n"
		"Exit status: 0 when every job succeeded; else the number of "
		"jobs that\nfailed (a non-zero exit, a signal, a start that "
		"failed), 101 for more than\n100; 128+N when signal N "
		"stopped map; 255 for an error of mpd-cli's own\n(a usage "
		"error, mpdd unreachable or lost, an input line that is not "
		"UTF-8\nor holds a NUL byte).",
	.min_args = 1,
	.max_args = CLI_ARGS_ANY,
	.options =
		(const struct cli_opt[]){
			{ "jobs", "N",
			  "run at most N jobs at once (default: "
			  "mpdd's cpus)",
			  false },
			{ "arg-file", "FILE",
			  "read the lines from FILE, not "
			  "stdin",
			  false },
			{ "unordered", NULL,
			  "print each job's output as it ends, not in\ninput "
			  "order",
			  false },
			{ "halt", NULL,
			  "at the first failed job, submit no more, kill\nthe "
			  "running ones and print what finished",
			  false },
			{ "progress", NULL,
			  "show the progress line even when stderr is\nnot a "
			  "terminal",
			  false },
			{ "no-progress", NULL, "never show the progress line",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.args_end_options = true,
	.exec = cmd_map_exec,
	.usage_status = MAP_ERROR,
};
