/*
 * resp.c - see resp.h.
 */
#include "resp.h"

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void resp_connect(struct resp *r, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(r, 0, sizeof(*r));
	if (strlen(path) >= sizeof(sa.sun_path))
		errx(1, "redis socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err(1, "connect %s", path);
	r->out_cap = r->in_cap = 1 << 16;
	r->out = malloc(r->out_cap);
	r->in = malloc(r->in_cap);
	if (r->out == NULL || r->in == NULL)
		err(1, "malloc");
}

void resp_close(struct resp *r)
{
	close(r->fd);
	free(r->out);
	free(r->in);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void out_put(struct resp *r, const char *s, size_t n)
{
	if (r->out_len + n > r->out_cap) {
		while (r->out_len + n > r->out_cap)
			r->out_cap *= 2;
		r->out = realloc(r->out, r->out_cap);
		if (r->out == NULL)
			err(1, "realloc");
	}
	memcpy(r->out + r->out_len, s, n);
	r->out_len += n;
}

static void out_bulk(struct resp *r, const char *s, size_t n)
{
	char head[32];
	int h = snprintf(head, sizeof(head), "$%zu\r\n", n);

	out_put(r, head, (size_t)h);
	out_put(r, s, n);
	out_put(r, "\r\n", 2);
}

void resp_append(struct resp *r, int argc, const char *const *argv)
{
	char head[32];
	int h = snprintf(head, sizeof(head), "*%d\r\n", argc);

	out_put(r, head, (size_t)h);
	for (int i = 0; i < argc; i++)
		out_bulk(r, argv[i], strlen(argv[i]));
}

void resp_append_ints(struct resp *r, const char *cmd, const char *key,
		      int64_t first, size_t count)
{
	char head[32], num[24];
	int h = snprintf(head, sizeof(head), "*%zu\r\n", count + 2);

	out_put(r, head, (size_t)h);
	out_bulk(r, cmd, strlen(cmd));
	out_bulk(r, key, strlen(key));
	for (size_t i = 0; i < count; i++) {
		int n = snprintf(num, sizeof(num), "%" PRId64,
				 first + (int64_t)i);
		out_bulk(r, num, (size_t)n);
	}
}

void resp_flush(struct resp *r)
{
	size_t off = 0;

	while (off < r->out_len) {
		ssize_t n = write(r->fd, r->out + off, r->out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			err(1, "write to redis");
		off += (size_t)n;
	}
	r->out_len = 0;
}

/* Make at least need bytes readable at r->in + r->in_pos. */
static void in_fill(struct resp *r, size_t need)
{
	if (r->in_len - r->in_pos >= need)
		return;
	if (r->in_pos > 0) {
		memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
		r->in_len -= r->in_pos;
		r->in_pos = 0;
	}
	while (need + 1 > r->in_cap) {
		r->in_cap *= 2;
		r->in = realloc(r->in, r->in_cap);
		if (r->in == NULL)
			err(1, "realloc");
	}
	while (r->in_len < need) {
		ssize_t n = read(r->fd, r->in + r->in_len,
				 r->in_cap - 1 - r->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			errx(1, "redis closed the connection");
		r->in_len += (size_t)n;
	}
}

/* The next line without its CRLF, NUL-terminated in place. */
static char *in_line(struct resp *r)
{
	size_t scanned = 0;

	for (;;) {
		char *start = r->in + r->in_pos;
		size_t avail = r->in_len - r->in_pos;
		char *lf = avail > scanned ? memchr(start + scanned, '\n',
						    avail - scanned) :
					     NULL;

		if (lf != NULL) {
			lf[-1] = '\0';
			r->in_pos = (size_t)(lf + 1 - r->in);
			return start;
		}
		scanned = avail;
		in_fill(r, avail + 1);
	}
}

void resp_read(struct resp *r, struct resp_reply *rep, int keep_elements)
{
	char *line = in_line(r);

	rep->type = line[0];
	rep->str = line + 1;
	rep->n = 0;
	switch (rep->type) {
	case '+':
		return;
	case '-':
		errx(1, "redis: %s", line + 1);
	case ':':
		rep->n = strtoll(line + 1, NULL, 10);
		return;
	case '$':
		rep->n = strtoll(line + 1, NULL, 10);
		if (rep->n < 0) {
			rep->str = NULL;
			return;
		}
		in_fill(r, (size_t)rep->n + 2);
		rep->str = r->in + r->in_pos;
		r->in[r->in_pos + (size_t)rep->n] = '\0';
		r->in_pos += (size_t)rep->n + 2;
		return;
	case '*':
		rep->n = strtoll(line + 1, NULL, 10);
		if (!keep_elements) {
			struct resp_reply el;

			for (int64_t i = 0; i < rep->n; i++)
				resp_read(r, &el, 0);
		}
		return;
	default:
		errx(1, "redis sent an unknown reply type '%c'", rep->type);
	}
}

void resp_cmd(struct resp *r, struct resp_reply *rep, int argc,
	      const char *const *argv)
{
	resp_append(r, argc, argv);
	resp_flush(r);
	resp_read(r, rep, 0);
}
