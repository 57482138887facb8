/*
 * log.h - logging (log.c), for mpdd and the template image alike.
 *
 * After OpenBSD's log.h: log_warn() adds strerror(errno), log_warnx()
 * does not, log_debug() speaks only at the debug level, fatal() and
 * fatalx() log and exit.
 */
#ifndef MPD_LOG_H
#define MPD_LOG_H

enum {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};
void log_init(int level);
void log_set_ident(const char *ident);
void log_set_level(int level);
int log_get_level(void);
int log_level_parse(const char *name);
const char *log_level_name(int level);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
