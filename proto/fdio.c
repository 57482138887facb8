/*
 * fdio.c - lines with file descriptors over Unix stream sockets.
 *
 * A sender passes descriptors as SCM_RIGHTS on the sendmsg() that carries
 * its line (at least the line's first byte). The kernel ends a read right
 * after the data that carried descriptors, so the descriptors belong to the
 * line holding the last byte of the read that brought them: the line that
 * read completed, or the one it stopped inside. fdq records that byte's
 * stream position with each batch, and hands a batch to the first line
 * that ends past it. Lines before it (sent earlier, glued into the same
 * read) get none.
 *
 * Used by mpdd for client connections and both ends of the template
 * channel, and by libmpd for the replies that carry descriptors.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"

/* An empty queue that takes at most max (<= FDIO_MAX_FDS) descriptors
 * with one read. */
void fdq_init(struct fdq *q, int max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

/* Close every descriptor still waiting. */
void fdq_clear(struct fdq *q)
{
	for (int i = 0; i < q->count; i++)
		for (int j = 0; j < q->b[i].n; j++)
			close(q->b[i].fds[j]);
	q->count = 0;
}

/* Keep the fds in a control message as one batch at position pos. */
static void fdq_add(struct fdq *q, struct msghdr *mh, uint64_t pos)
{
	struct fdq_batch *b = NULL;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL;
	     cm = CMSG_NXTHDR(mh, cm)) {
		int *fds = (int *)CMSG_DATA(cm);
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			if (b == NULL && q->count < FDQ_BATCHES) {
				b = &q->b[q->count++];
				b->pos = pos;
				b->n = 0;
			}
			if (b != NULL && b->n < q->max)
				b->fds[b->n++] = fds[i];
			else
				close(fds[i]);
		}
	}
}

/*
 * recvmsg() up to want bytes into the framer, keeping descriptors in q.
 * Returns the bytes read (> 0), 0 at EOF, or -1 with errno.
 */
ssize_t fdq_read(int fd, struct mpd_framer *f, struct fdq *q, size_t want)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDIO_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	struct msghdr mh = { 0 };
	struct iovec iov;
	size_t avail;
	ssize_t n;

	iov.iov_base = mpd_framer_reserve(f, want, &avail);
	if (iov.iov_base == NULL)
		return -1;
	iov.iov_len = avail;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsg.buf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)q->max);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		if (n == 0 && mh.msg_controllen > 0)
			fdq_add(q, &mh, q->in_pos);
		return n;
	}
	mpd_framer_commit(f, (size_t)n);
	q->in_pos += (uint64_t)n;
	if (mh.msg_controllen > 0)
		fdq_add(q, &mh, q->in_pos - 1);
	if (mh.msg_flags & MSG_CTRUNC)
		q->truncated++;
	return n;
}

/*
 * The line just taken from the framer ends at stream offset line_end: move
 * the descriptors that belong to it into fds (at most max; extras are
 * closed). Returns how many.
 */
int fdq_take(struct fdq *q, uint64_t line_end, int *fds, int max)
{
	int taken = 0, i = 0;

	while (i < q->count && q->b[i].pos < line_end) {
		for (int j = 0; j < q->b[i].n; j++) {
			if (taken < max)
				fds[taken++] = q->b[i].fds[j];
			else
				close(q->b[i].fds[j]);
		}
		i++;
	}
	if (i > 0) {
		memmove(q->b, q->b + i,
			sizeof(q->b[0]) * (size_t)(q->count - i));
		q->count -= i;
	}
	return taken;
}

/*
 * Send buf with fds (nfds may be 0) attached to its first byte, without
 * blocking. Returns the bytes sent (the fds went with them when > 0), or
 * -1 with errno (EAGAIN: nothing was sent).
 */
ssize_t fdio_send(int fd, const char *buf, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDIO_MAX_FDS)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&cmsg, 0, sizeof(cmsg));
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	return n;
}
