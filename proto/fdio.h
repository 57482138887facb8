/*
 * fdio.h - lines with descriptors (fdio.c), for mpdd, the template image
 * and libmpd alike: sendmsg() with SCM_RIGHTS on the first byte, and a queue
 * of the descriptors received, matched to the line they came with.
 */
#ifndef MPD_FDIO_H
#define MPD_FDIO_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

/*
 * The most descriptors one message carries: a client's request
 * (MPD_MAX_FDS_PER_MESSAGE), or a spawn request on the template channel,
 * which carries those with its start report pipe and the write ends of a
 * capturing worker's output pipe (two: stdout and stderr).
 */
#define FDIO_MAX_FDS (1 + MPD_MAX_FDS_PER_MESSAGE + 2)

#define FDQ_BATCHES 8
struct fdq_batch {
	uint64_t pos; /* stream offset of the last byte read with them */
	int n;
	int fds[FDIO_MAX_FDS];
};
struct fdq {
	struct fdq_batch b[FDQ_BATCHES];
	int count;
	int max; /* descriptors taken with one read; more are discarded */
	uint64_t in_pos; /* stream bytes read so far */
	unsigned truncated; /* reads whose descriptors the kernel cut (MSG_CTRUNC) */
};
void fdq_init(struct fdq *q, int max);
void fdq_clear(struct fdq *q);
ssize_t fdq_read(int fd, struct mpd_framer *f, struct fdq *q, size_t want);
int fdq_take(struct fdq *q, uint64_t line_end, int *fds, int max);
ssize_t fdio_send(int fd, const char *buf, size_t len, const int *fds,
		  int nfds);

#endif
