/*
 * cmd-shm.c - the shared memory commands: shm create, write, read, info,
 * list and unlink, on the daemon's named segments (Python's
 * shared_memory.SharedMemory).
 *
 * write and read give the shell a way into a segment: they attach it
 * (read maps it read-only) and copy stdin into it, or a range of it to
 * stdout, at an offset. A segment has a fixed size, so input that does
 * not fit is an error, and so is a range past the end; read of a whole
 * segment prints its zeros too (--length picks what was written).
 *
 * There is no --temporary: a temporary segment goes away when the
 * connection that created it closes, and mpd-cli's closes as it exits,
 * so the segment would be gone before anyone could attach it. The
 * program that uses a temporary segment creates it (libmpd's
 * mpd_shm_create()); the shell's segments live until shm unlink.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The largest segment, as a long long for cli_parse_int(). */
#define SHM_MAX ((long long)MPD_SHM_MAX_SIZE)

/* Parse --name (a byte count from 0 to max) into *v when given; *v is
 * left as it is when not. Returns CLI_OK or the exit status. */
static int shm_opt_bytes(const struct cli_ctx *ctx, const char *cmd,
			 const char *name, long long max, long long *v)
{
	const char *text = cli_opt_get(ctx, name);
	char what[32];

	if (text == NULL)
		return CLI_OK;
	snprintf(what, sizeof(what), "--%s", name);
	return cli_parse_int(ctx, cmd, what, text, 0, max, v);
}

/* Attach NAME (readonly or not) for cmd; returns CLI_OK with *shm, or the
 * exit status after reporting why not. */
static int shm_attach(struct cli_ctx *ctx, const char *cmd, const char *name,
		      bool readonly, struct mpd_shm **shm)
{
	struct mpd_error err;
	int r = cli_connect(ctx);

	if (r != CLI_OK)
		return r;
	if (mpd_shm_attach(ctx->client, name, readonly, shm, &err) < 0)
		return cli_call_error(cmd, &err);
	return CLI_OK;
}

static int cmd_shm_create_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_shm_options o = { 0 };
	struct mpd_shm *shm = NULL;
	struct mpd_error err;
	long long size = 0;
	int r;

	o.exist_ok = cli_opt_get(ctx, "exist-ok") != NULL;
	r = cli_broker_name(ctx, "shm create", argv[0]);
	if (r == CLI_OK)
		r = cli_parse_int(ctx, "shm create", "SIZE", argv[1], 1,
				  SHM_MAX, &size);
	if (r == CLI_OK)
		r = cli_chan_mode(ctx, "shm create", &o.mode);
	if (r == CLI_OK)
		r = cli_connect(ctx);
	if (r != CLI_OK)
		return r;
	r = mpd_shm_create(ctx->client, argv[0], (uint64_t)size, &o, &shm,
			   &err);
	mpd_shm_detach(shm);
	return cli_broker_done(ctx, "shm create", r, &err);
}

static int cmd_shm_write_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_shm *shm = NULL;
	json_t *res = NULL;
	long long offset = 0;
	size_t size, off;
	char *p, extra;
	ssize_t n;
	int r;

	r = cli_broker_name(ctx, "shm write", argv[0]);
	if (r == CLI_OK)
		r = shm_opt_bytes(ctx, "shm write", "offset", SHM_MAX, &offset);
	if (r == CLI_OK)
		r = shm_attach(ctx, "shm write", argv[0], false, &shm);
	if (r != CLI_OK)
		return r;
	size = mpd_shm_size(shm);
	p = mpd_shm_addr(shm);
	if ((unsigned long long)offset > size) {
		cli_error("shm write: --offset %lld is past the end of %s (%zu "
			  "bytes)",
			  offset, argv[0], size);
		r = CLI_FAIL;
		goto out;
	}
	/* Straight into the segment; one byte more says it did not fit. */
	for (off = (size_t)offset;;) {
		if (off < size)
			n = read(STDIN_FILENO, p + off, size - off);
		else
			n = read(STDIN_FILENO, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("shm write: cannot read stdin: %s",
				  strerror(errno));
			r = CLI_FAIL;
			goto out;
		}
		if (n == 0)
			break;
		if (off == size) {
			cli_error("shm write: stdin does not fit in %s: %zu "
				  "bytes from offset %lld (the first %zu "
				  "bytes were written)",
				  argv[0], size, offset, size - (size_t)offset);
			r = CLI_FAIL;
			goto out;
		}
		off += (size_t)n;
	}
	if (ctx->json) {
		res = json_pack("{s:s, s:I, s:I}", "name", argv[0], "offset",
				(json_int_t)offset, "written",
				(json_int_t)(off - (size_t)offset));
		if (res == NULL) {
			cli_error("shm write: out of memory");
			r = CLI_FAIL;
		} else {
			r = cli_print_json(ctx, res, false);
		}
		json_decref(res);
	}
out:
	mpd_shm_detach(shm);
	return r;
}

static int cmd_shm_read_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mpd_shm *shm = NULL;
	long long offset = 0, length = -1;
	size_t size;
	int r;

	r = cli_broker_name(ctx, "shm read", argv[0]);
	if (r == CLI_OK)
		r = shm_opt_bytes(ctx, "shm read", "offset", SHM_MAX, &offset);
	if (r == CLI_OK)
		r = shm_opt_bytes(ctx, "shm read", "length", SHM_MAX, &length);
	if (r == CLI_OK)
		r = shm_attach(ctx, "shm read", argv[0], true, &shm);
	if (r != CLI_OK)
		return r;
	size = mpd_shm_size(shm);
	if (length < 0)
		length = (unsigned long long)offset <= size ?
				 (long long)(size - (size_t)offset) :
				 0;
	if ((unsigned long long)offset + (unsigned long long)length > size) {
		cli_error("shm read: %lld bytes from offset %lld pass the end "
			  "of %s (%zu bytes)",
			  length, offset, argv[0], size);
		r = CLI_FAIL;
	} else if (fwrite((char *)mpd_shm_addr(shm) + offset, 1, (size_t)length,
			  stdout) != (size_t)length) {
		cli_error("shm read: cannot write output: %s", strerror(errno));
		r = CLI_FAIL;
	}
	mpd_shm_detach(shm);
	return r;
}

static int cmd_shm_info_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_info(ctx, "shm info", mpd_shm_info, argv[0]);
}

static int cmd_shm_list_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct cli_column cols[] = {
		{ "NAME", "name" },
		{ "SIZE", "size" },
		{ "UID", "uid" },
		{ "MODE", "mode" },
		{ "TEMPORARY", "temporary" },
	};

	return cli_broker_list(ctx, "shm list", mpd_shm_list, cols,
			       sizeof(cols) / sizeof(cols[0]));
}

static int cmd_shm_unlink_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	return cli_broker_on_name(ctx, "shm unlink", mpd_shm_unlink, argv[0]);
}

static const struct cli_cmd cli_cmd_shm_create = {
	.name = "create",
	.usage = "NAME SIZE [OPTIONS]",
	.summary = "create a shared memory segment",
	.help = "Creates the segment NAME of SIZE bytes (1 to 2^40, in "
		"bytes), zeroed. An\nexisting segment is an error (exists), or "
		"with --exist-ok fine when of the\nsame size. It lives until "
		"shm unlink. There is no --temporary: a temporary\nsegment "
		"goes with the connection that created it, and mpd-cli's "
		"closes as\nit exits; a program on libmpd can make one. --mode "
		"says who may attach.\nPrints nothing; with --json, the result "
		"({name, size, uid, mode, temporary,\ncreated, fd}).",
	.min_args = 2,
	.max_args = 2,
	.options =
		(const struct cli_opt[]){
			{ "mode", "M",
			  "who may attach: owner (default), "
			  "group or everyone",
			  false },
			{ "exist-ok", NULL,
			  "an existing segment of this size is no error",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_shm_create_exec,
};

static const struct cli_cmd cli_cmd_shm_write = {
	.name = "write",
	.usage = "NAME [--offset N]",
	.summary = "copy stdin into a segment",
	.help = "Copies stdin into the segment from byte N (default 0). "
		"Input that does not\nfit is an error (exit 1), what fitted "
		"being written. Prints nothing; with\n--json, {name, offset, "
		"written}.\n"
		"\n  printf hello | mpd-cli shm write seg --offset 64",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "offset", "N", "start at byte N", false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_shm_write_exec,
};

static const struct cli_cmd cli_cmd_shm_read = {
	.name = "read",
	.usage = "NAME [OPTIONS]",
	.summary = "copy a segment to stdout",
	.help = "Copies the segment to stdout, from byte N (default 0) to "
		"its end or for\n--length bytes, raw (no newline added): its "
		"zeros too. A range past the end\nis an error (exit 1). The "
		"segment is mapped read-only.\n"
		"\n  mpd-cli shm read seg --offset 64 --length 5",
	.min_args = 1,
	.max_args = 1,
	.options =
		(const struct cli_opt[]){
			{ "offset", "N", "start at byte N", false },
			{ "length", "N", "copy N bytes (default: to the end)",
			  false },
			{ NULL, NULL, NULL, false },
		},
	.exec = cmd_shm_read_exec,
};

static const struct cli_cmd cli_cmd_shm_info = {
	.name = "info",
	.usage = "NAME",
	.summary = "show a segment's state",
	.help = "Prints shm.info as \"key: value\" lines: size, uid, gid, "
		"mode, temporary,\nowner (the connection that created it: "
		"connection, pid, uid, gid, process),\nattaches (descriptors "
		"handed out), since. With --json, prints the object.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_shm_info_exec,
};

static const struct cli_cmd cli_cmd_shm_list = {
	.name = "list",
	.usage = "",
	.summary = "list the segments",
	.help = "Prints a table of the segments this user may attach, in "
		"name order: NAME\nSIZE UID MODE TEMPORARY. With --json, "
		"prints the array.",
	.min_args = 0,
	.max_args = 0,
	.exec = cmd_shm_list_exec,
};

static const struct cli_cmd cli_cmd_shm_unlink = {
	.name = "unlink",
	.usage = "NAME",
	.summary = "remove a segment",
	.help = "Removes the name; the memory lives on while a process maps "
		"it, as with\nshm_unlink(3). Only its owner's user (and root) "
		"may. Prints nothing; with\n--json, {}.",
	.min_args = 1,
	.max_args = 1,
	.exec = cmd_shm_unlink_exec,
};

static const struct cli_cmd *const shm_commands[] = {
	&cli_cmd_shm_create,
	&cli_cmd_shm_write,
	&cli_cmd_shm_read,
	&cli_cmd_shm_info,
	&cli_cmd_shm_list,
	&cli_cmd_shm_unlink,
	NULL,
};

const struct cli_cmd cli_cmd_shm = {
	.name = "shm",
	.usage = "COMMAND",
	.summary = "the daemon's shared memory segments",
	.help = "Named shared memory segments (Python's "
		"shared_memory.SharedMemory): the\ndaemon keeps a memfd of a "
		"fixed size under each name and passes it to\nthose who attach "
		"it, who map it and share the memory directly. write and\n"
		"read copy between the shell and a segment.",
	.subcommands = shm_commands,
};
