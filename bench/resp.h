/*
 * resp.h - the smallest Redis client that can keep up with redis-server:
 * one blocking Unix-socket connection, commands written as RESP arrays of
 * bulk strings into an output buffer (so a pipeline is several
 * resp_append() calls and one resp_flush()), replies parsed from a read
 * buffer. Only what the benchmark needs; errors end the program.
 */
#ifndef MPD_BENCH_RESP_H
#define MPD_BENCH_RESP_H

#include <stddef.h>
#include <stdint.h>

struct resp {
	int fd;
	char *out;
	size_t out_len, out_cap;
	char *in;
	size_t in_pos, in_len, in_cap;
};

/* A reply: its type ('+', '-', ':', '$', '*'), the integer (':'), the
 * length of a bulk string or of an array (-1: nil), and for '+', '-' and
 * '$' the text (NUL-terminated, valid until the next read). */
struct resp_reply {
	char type;
	int64_t n;
	const char *str;
};

void resp_connect(struct resp *r, const char *path);
void resp_close(struct resp *r);
/* Append a command of argc arguments to the output buffer. */
void resp_append(struct resp *r, int argc, const char *const *argv);
/* Append "CMD KEY V..." where the values are decimal integers. */
void resp_append_ints(struct resp *r, const char *cmd, const char *key,
		      int64_t first, size_t count);
void resp_flush(struct resp *r);
/* Read one reply; an array's elements are read (and dropped) after its
 * header unless keep_elements is set, in which case the caller reads them
 * with resp_read. An error reply ends the program. */
void resp_read(struct resp *r, struct resp_reply *rep, int keep_elements);
/* Send one command and read its reply. */
void resp_cmd(struct resp *r, struct resp_reply *rep, int argc,
	      const char *const *argv);

#endif
