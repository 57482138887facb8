/*
 * signal.c - signal names and numbers, for the wire.
 *
 * The protocol names signals as strings ("SIGTERM") in process records and
 * accepts names with or without the SIG prefix, or numbers. Real-time
 * signals are named SIGRTMIN+N, as kill(1) does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"

static const struct {
	int num;
	const char *name;
} signals[] = {
	{ SIGHUP, "SIGHUP" },	{ SIGINT, "SIGINT" },
	{ SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
	{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" },	{ SIGFPE, "SIGFPE" },
	{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" },
	{ SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
	{ SIGTERM, "SIGTERM" }, { SIGSTKFLT, "SIGSTKFLT" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" },
	{ SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" },
	{ SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" },
	{ SIGURG, "SIGURG" },	{ SIGXCPU, "SIGXCPU" },
	{ SIGXFSZ, "SIGXFSZ" }, { SIGVTALRM, "SIGVTALRM" },
	{ SIGPROF, "SIGPROF" }, { SIGWINCH, "SIGWINCH" },
	{ SIGIO, "SIGIO" },	{ SIGPWR, "SIGPWR" },
	{ SIGSYS, "SIGSYS" },
};

const char *mpd_signal_name(int sig, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (signals[i].num == sig)
			return signals[i].name;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(buf, size, "SIGRTMIN+%d", sig - SIGRTMIN);
		return buf;
	}
	return NULL;
}

int mpd_signal_number(const char *name)
{
	const char *p = name;
	char *end;
	long n;

	if (strncasecmp(p, "SIG", 3) == 0)
		p += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(p, signals[i].name + 3) == 0)
			return signals[i].num;
	if (strncasecmp(p, "RTMIN", 5) == 0) {
		if (p[5] == '\0')
			return SIGRTMIN;
		if (p[5] != '+')
			return -1;
		n = strtol(p + 6, &end, 10);
		if (*end != '\0' || end == p + 6 || n < 0 ||
		    n > SIGRTMAX - SIGRTMIN)
			return -1;
		return SIGRTMIN + (int)n;
	}
	return -1;
}
