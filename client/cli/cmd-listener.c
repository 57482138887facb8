/*
 * cmd-listener.c - the listener commands: listen and connect, nc(1) over
 * the daemon's named rendezvous, and listener list, info and close.
 *
 * "listen NAME" creates a listener, accepts a connection and relays: its
 * stdin to the peer and the peer to its stdout, until both ways have
 * ended; then it accepts the next (after a connection that failed too:
 * that is reported), or with --once exits. "connect NAME" connects and
 * relays the same way. Either end may be any program on
 * libmpd, mpd_listener_accept() or mpd_listener_connect(). The socket is
 * the socketpair the daemon made; the daemon is no longer in the path.
 * The relay polls both ways with a buffer each, so neither way can stall
 * the other: the socket is non-blocking, and stdout gets at most PIPE_BUF
 * bytes at a time, which a pipe that polled writable takes whole. When
 * stdin ends, the socket is shut down for writing (the peer reads EOF)
 * and the relay goes on reading until the peer ends too, so a request
 * and its answer both get through ("echo QUERY | mpd-cli connect db").
 * A peer that closed both ways ends the relay, stdin or not.
 *
 * The listener belongs to listen's connection to the daemon, so it goes
 * away when listen exits, however it exits. The --mode option's parser
 * is cmd-shm.c's too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"

/* Bytes a relay buffers each way. */
#define RELAY_BUF (64 * 1024)

/* The help of --mode, for listeners and segments. */
#define CHAN_MODE_HELP "owner (default), group or everyone"

/* Returns CLI_OK with *mode from --mode, or CLI_USAGE; see cli.h. */
int cli_chan_mode(const struct cli_ctx *ctx, const char *cmd,
		  enum mpd_chan_mode *mode)
{
	const char *text = cli_opt_get(ctx, "mode");

	if (text == NULL || strcmp(text, "owner") == 0)
		*mode = MPD_CHAN_OWNER;
	else if (strcmp(text, "group") == 0)
		*mode = MPD_CHAN_GROUP;
	else if (strcmp(text, "everyone") == 0)
		*mode = MPD_CHAN_EVERYONE;
	else
		return cli_usage_error(ctx->path,
				       "%s: --mode takes owner, group or "
				       "everyone, not '%s'",
				       cmd, text);
	return CLI_OK;
}

/* One way of a relay: bytes read from in, waiting to go to out. */
struct relay_way {
	int in, out;
	char buf[RELAY_BUF];
	size_t len, off; /* buf[off, len) waits */
	bool eof; /* in ended (or failed as a closed stdin does) */
};

/* Read what in has into w's empty buffer. Returns 0, or -errno. */
static int relay_read(struct relay_way *w)
{
	ssize_t n = read(w->in, w->buf, sizeof(w->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0 && errno == EBADF && w->in == STDIN_FILENO) {
		w->eof = true; /* stdin closed: nothing to send */
		return 0;
	}
	if (n < 0)
		return -errno;
	if (n == 0)
		w->eof = true;
	w->off = 0;
	w->len = (size_t)n;
	return 0;
}

/* Write what w holds to out, at most max bytes. Returns 0, or -errno. */
static int relay_write(struct relay_way *w, size_t max)
{
	size_t want = w->len - w->off < max ? w->len - w->off : max;
	ssize_t n;

	if (w->out == STDOUT_FILENO)
		n = write(w->out, w->buf + w->off, want);
	else
		n = send(w->out, w->buf + w->off, want, MSG_NOSIGNAL);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n < 0)
		return -errno;
	w->off += (size_t)n;
	if (w->off == w->len)
		w->off = w->len = 0;
	return 0;
}

/* Is w done: its input ended and everything sent? */
static bool relay_done(const struct relay_way *w)
{
	return w->eof && w->len == 0;
}

/*
 * Relay stdin to sock and sock to stdout until both have ended. Returns
 * CLI_OK, or CLI_FAIL after reporting why not (cmd names the command).
 */
static int relay(const char *cmd, int sock)
{
	static struct relay_way up, down; /* 128 KiB: not on the stack */
	struct pollfd pfd[3];
	bool shut = false;
	int r = 0, n;

	up = (struct relay_way){ .in = STDIN_FILENO, .out = sock };
	down = (struct relay_way){ .in = sock, .out = STDOUT_FILENO };
	if (fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) < 0) {
		cli_error("%s: cannot set up the connection: %s", cmd,
			  strerror(errno));
		return CLI_FAIL;
	}
	while (!relay_done(&up) || !relay_done(&down)) {
		if (relay_done(&up) && !shut) {
			/* The peer reads EOF; its answer may still come. */
			shutdown(sock, SHUT_WR);
			shut = true;
		}
		/* One slot each: stdin, the socket (both ways), stdout. */
		pfd[0] = (struct pollfd){ .fd = -1 };
		pfd[1] = (struct pollfd){ .fd = sock };
		pfd[2] = (struct pollfd){ .fd = -1 };
		if (!up.eof && up.len == 0)
			pfd[0] = (struct pollfd){ .fd = STDIN_FILENO,
						  .events = POLLIN };
		if (up.len > 0)
			pfd[1].events |= POLLOUT;
		if (!down.eof && down.len == 0)
			pfd[1].events |= POLLIN;
		if (down.len > 0)
			pfd[2] = (struct pollfd){ .fd = STDOUT_FILENO,
						  .events = POLLOUT };
		n = poll(pfd, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (pfd[0].revents & POLLNVAL)
			up.eof = true; /* stdin closed */
		else if (pfd[0].revents != 0 && (r = relay_read(&up)) < 0)
			break;
		if ((pfd[1].revents & POLLOUT ||
		     (up.len > 0 && pfd[1].revents & (POLLERR | POLLHUP))) &&
		    (r = relay_write(&up, sizeof(up.buf))) < 0)
			break;
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !down.eof && down.len == 0 && (r = relay_read(&down)) < 0)
			break;
		if (pfd[2].revents != 0 &&
		    (r = relay_write(&down, PIPE_BUF)) < 0)
			break;
		if (relay_done(&down) && pfd[1].revents & (POLLHUP | POLLERR)) {
			/* The peer closed both ways: what stdin still has
			 * has nowhere to go (nc stops too). */
			up.eof = true;
			up.len = 0;
		}
	}
	if (r == 0)
		return CLI_OK;
	cli_error("%s: %s", cmd,
		  r == -EPIPE || r == -ECONNRESET ?
			  "the peer closed the connection" :
			  strerror(-r));
	return CLI_FAIL;
}

static int cmd_listen_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	const bool once = cli_opt_get(ctx, "once") != NULL;
	struct mpd_listener_options o = { 0 };
	const char *text = cli_opt_get(ctx, "backlog");
	struct mpd_error err;
	long long backlog = 0;
	int r, fd;

	r = cli_broker_name(ctx, "listen", argv[0]);
	if (r == CLI_OK && text != NULL)
		r = cli_parse_int(ctx, "listen", "--backlog", text, 0,
				  MPD_LISTENER_MAX_BACKLOG, &backlog);
	if (r == CLI_OK)
		r = cli_chan_mode(ctx, "listen", &o.mode);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	/* --backlog 0 is none, not the default. */
	o.backlog = text == NULL ? 0 :
		    backlog == 0 ? MPD_LISTENER_NO_BACKLOG :
				   (int)backlog;
	if (mpd_listener_create(ctx->client, argv[0], &o, &err) < 0)
		return cli_call_error("listen", &err);
	/* A connection that fails (reported) does not end the next. */
	do {
		if (mpd_listener_accept(ctx->client, argv[0], -1, &fd, NULL,
					&err) < 0)
			return cli_call_error("listen", &err);
		r = relay("listen", fd);
		close(fd);
	} while (!once);
	return r;
}

static int cmd_connect_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_error err;
	double timeout = -1;
	int r, fd;

	r = cli_broker_name(ctx, "connect", argv[0]);
	if (r == CLI_OK)
		r = cli_broker_wait(ctx, "connect", "timeout", &timeout);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	if (mpd_listener_connect(ctx->client, argv[0], timeout, &fd, NULL,
				 &err) < 0)
		return cli_call_error("connect", &err);
	/* The daemon is out of the path from here. */
	mpd_close(ctx->client);
	ctx->client = NULL;
	r = relay("connect", fd);
	close(fd);
	return r;
}

static int cmd_listener_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },	  { "UID", "uid" },
		{ "MODE", "mode" },	  { "BACKLOG", "backlog" },
		{ "PENDING", "pending" },
	};

	return cli_broker_list(ctx, "listener list", mpd_listener_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static int cmd_listener_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "listener info", mpd_listener_info,
			       argv[0]);
}

static int cmd_listener_close_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "listener close", mpd_listener_close,
				  argv[0]);
}

/* What the help of listen and connect says of the relay. */
#define RELAY_HELP                                                         \
	"Relays stdin to the peer and the peer to stdout until both have " \
	"ended: when\nstdin ends, the peer reads EOF, and the relay goes " \
	"on until the peer closes\ntoo. The connection is a socket pair "  \
	"the daemon made, which is then out of\nthe path.\n\n"

const struct cli_cmd cli_cmd_listen = {
	.name = "listen",
	.usage = "NAME [OPTIONS]",
	.summary = "relay connections made to a listener",
	.help = "Creates the listener NAME, accepts a connection (from "
		"mpd-cli connect or a\nprogram on libmpd) and relays it, as "
		"nc -l does; then accepts the next, or\nwith --once exits. "
		"The listener goes away when listen exits.\n\n" RELAY_HELP
		"Up to --backlog connections (default 16; 0: none) succeed "
		"before an accept\ntakes them. --mode says who may connect.\n"
		"\n  mpd-cli listen svc --once > got.txt",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "backlog", "N",
			  "N connections may wait for an accept\n(0 to 1024, "
			  "default 16)",
			  false },
			{ "mode", "M", "who may connect: " CHAN_MODE_HELP,
			  false },
			{ "once", NULL, "exit after the first connection",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_listen_exec,
};

const struct cli_cmd cli_cmd_connect = {
	.name = "connect",
	.usage = "NAME [--timeout S]",
	.summary = "connect to a listener and relay",
	.help = "Connects to the listener NAME (at once while its backlog has "
		"room, else\nwaiting for an accept, as long as it takes or at "
		"most --timeout seconds) and\nrelays, as nc does.\n\n" RELAY_HELP
		"Exit 0 when both ways ended, 4 when there is no such listener, "
		"5 when the\n--timeout passed (or, with --timeout 0, the "
		"backlog is full), 6 when the\nlistener went away while "
		"connecting.\n"
		"\n  echo hello | mpd-cli connect svc",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "timeout", "S",
			  "wait at most S seconds for room or an accept",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_connect_exec,
};

static const struct cli_cmd cli_cmd_listener_list = {
	.name = "list",
	.usage = "",
	.summary = "list the listeners",
	.help = "Prints a table of the listeners this user may connect to, "
		"in name order:\nNAME UID MODE BACKLOG PENDING (connections "
		"waiting for an accept). With\n--json, prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_listener_list_exec,
};

static const struct cli_cmd cli_cmd_listener_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a listener's state",
	.help = "Prints listener.info as \"key: value\" lines: uid, gid, mode, "
		"backlog, pending,\nacceptors and connectors (waiting), "
		"accepted (so far), owner (the connection\nthat created it: "
		"connection, pid, uid, gid, process), since. With --json,\n"
		"prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_listener_info_exec,
};

static const struct cli_cmd cli_cmd_listener_close = {
	.name = "close",
	.usage = "NAME",
	.summary = "remove a listener",
	.help = "Removes the listener: connections not yet accepted are "
		"closed, and accepts\nand connects waiting on it fail with "
		"closed (exit 6). Only its owner's user\n(and root) may. "
		"Prints nothing; with --json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_listener_close_exec,
};

static const struct cli_cmd *const listener_commands[] = {
	&cli_cmd_listener_list,
	&cli_cmd_listener_info,
	&cli_cmd_listener_close,
	NULL,
};

const struct cli_cmd cli_cmd_listener = {
	.name = "listener",
	.usage = "COMMAND",
	.summary = "the daemon's named listeners",
	.help = "Listeners are rendezvous by name (Python's "
		"multiprocessing.connection\nListener and Client): one process "
		"listens on a name, others connect, and\neach side gets one "
		"end of a fresh socket pair. mpd-cli listen and mpd-cli\n"
		"connect are the two ends for the shell. A listener goes away "
		"with the\nconnection that created it.",
	.subcommands = listener_commands,
};
