/*
 * error.c - the error list as lookups.
 *
 * MPD_ERRORS in proto.h is the single list of error codes, their stable wire
 * names (sent in error.data.name) and default messages. This file turns it
 * into one table and answers lookups both ways, so nothing else spells an
 * error code or name twice.
 */
#include <stddef.h>
#include <string.h>

#include "proto.h"

static const struct {
	int code;
	const char *name;
	const char *message;
} errors[] = {
#define X(e, code, name, msg) { (code), (name), (msg) },
	MPD_ERRORS(X)
#undef X
};

#define N_ERRORS (sizeof(errors) / sizeof(errors[0]))

const char *mpd_rpc_error_name(int code)
{
	for (size_t i = 0; i < N_ERRORS; i++) {
		if (errors[i].code == code)
			return errors[i].name;
	}
	return NULL;
}

const char *mpd_rpc_error_message(int code)
{
	for (size_t i = 0; i < N_ERRORS; i++) {
		if (errors[i].code == code)
			return errors[i].message;
	}
	return NULL;
}

int mpd_rpc_error_code(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < N_ERRORS; i++) {
		if (strcmp(errors[i].name, name) == 0)
			return errors[i].code;
	}
	return 0;
}
