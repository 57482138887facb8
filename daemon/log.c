/*
 * log.c - leveled logging to stderr, after OpenBSD's log.c.
 *
 * mpdd runs in the foreground and logs to stderr, where journald or the
 * terminal picks it up. log_warn appends strerror(errno), log_warnx does
 * not; log_debug prints only at debug level (-v); fatal/fatalx log and
 * exit, and are for start-up and broken invariants only. When stderr is
 * journald's stream (JOURNAL_STREAM names it), each line carries a
 * syslog priority prefix ("<4>") instead of a level word.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpdd.h"

static int log_level = LOG_LEVEL_INFO;
static const char *log_ident = "mpdd";
static bool log_journal;

static const struct {
	const char *name;
	int syslog_prio;
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error", 3 },
	[LOG_LEVEL_WARNING] = { "warning", 4 },
	[LOG_LEVEL_INFO] = { "info", 6 },
	[LOG_LEVEL_DEBUG] = { "debug", 7 },
};

/* True when stderr is the stream journald handed us (systemd.exec(5)). */
static bool log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(int level)
{
	log_level = level;
	log_journal = log_stderr_is_journal();
	setvbuf(stderr, NULL, _IOLBF, 0);
}

/* The name each line starts with ("mpdd", "mpdd-template"). */
void log_set_ident(const char *ident)
{
	log_ident = ident;
}

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

/* Returns the level for a name ("debug"), or -1. */
int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcasecmp(name, log_levels[i].name) == 0)
			return (int)i;
	return -1;
}

/* Name of a level ("info"). */
const char *log_level_name(int level)
{
	if (level < 0 || level > LOG_LEVEL_DEBUG)
		return "unknown";
	return log_levels[level].name;
}

/*
 * One line, one write(2): lines from mpdd and its template never
 * interleave, and no stdio lock is taken, so the template may fork from
 * one thread while another logs (the child could inherit a held lock).
 */
static void log_vwrite(int level, const char *fmt, va_list ap, int errnum)
{
	char msg[2048], line[2560];
	int n;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal)
		n = snprintf(line, sizeof(line) - 1, "<%d>",
			     log_levels[level].syslog_prio);
	else
		n = snprintf(line, sizeof(line) - 1, "%s: %s: ", log_ident,
			     log_levels[level].name);
	if (n < 0)
		return;
	if (errnum != 0)
		n += snprintf(line + n, sizeof(line) - 1 - (size_t)n, "%s: %s",
			      msg, strerror(errnum));
	else
		n += snprintf(line + n, sizeof(line) - 1 - (size_t)n, "%s",
			      msg);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, (size_t)n) == -1 && errno == EINTR)
		;
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARNING, fmt, ap, saved);
	va_end(ap);
	errno = saved;
}

void log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARNING, fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, fmt, ap, 0);
	va_end(ap);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, saved);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
