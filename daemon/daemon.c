/*
 * daemon.c - the daemon.* methods: ping and info.
 *
 * daemon.ping answers {} at once (or echoes its "data" string): the
 * cheapest round trip, for liveness checks and latency measurement. daemon.info describes this daemon: its
 * version, protocol version, identity, uptime, CPU count, open connections
 * and the limits in force, so clients can size what they send.
 */
#include <unistd.h>

#include "config.h"
#include "mpdd.h"

struct ping_args {
	json_t *data; /* the string to echo, or NULL */
};

static const struct mpd_param ping_params[] = {
	ARG_JSON("data", MPD_PT_STRING, 0, struct ping_args, data),
	PARAMS_END,
};

/* {} or, with "data", {"data": the same string}: an echo for clients
 * that want to check a round trip carries their bytes intact. */
static void daemon_ping(struct req *r, json_t *params, void *args)
{
	json_t *data = ((struct ping_args *)args)->data;

	if (data != NULL)
		req_result(r, json_pack("{s:O}", "data", data));
	else
		req_result(r, json_object());
}

static void daemon_info(struct req *r, json_t *params, void *args)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	json_t *info;

	info = json_pack(
		"{s:s, s:i, s:I, s:I, s:f, s:I, s:I, s:I, s:s, s:s, s:o,"
		" s:[ss], s:{s:I, s:I}, s:o,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I}}",
		"version", MPD_VERSION, "protocol", MPD_PROTOCOL_VERSION, "pid",
		(json_int_t)getpid(), "uid", (json_int_t)getuid(), "uptime",
		mono_since(&mpdd.started_mono), "started",
		(json_int_t)mpdd.started_wall, "cpus",
		(json_int_t)(cpus > 0 ? cpus : 1), "connections",
		(json_int_t)mpdd.nconns, "socket", mpdd.opt.socket_path,
		"log_level", log_level_name(log_get_level()), "template",
		spawner_info(), "start_methods", "forkserver", "spawn",
		"processes", "live", (json_int_t)proctab_live(), "records",
		(json_int_t)proctab_count(), "broker", broker_info(), "limits",
		"max_message", (json_int_t)mpdd.opt.max_message,
		"max_connections", (json_int_t)mpdd.opt.max_connections,
		"max_connections_per_uid",
		(json_int_t)mpdd.opt.max_connections_per_uid, "max_output",
		(json_int_t)mpdd.opt.max_output, "max_batch",
		(json_int_t)MPD_MAX_BATCH, "max_processes",
		(json_int_t)mpdd.opt.max_processes, "max_exited",
		(json_int_t)mpdd.opt.max_exited, "kill_grace",
		mpdd.opt.kill_grace, "spin_usec",
		(json_int_t)mpdd.opt.spin_usec, "max_objects",
		(json_int_t)mpdd.opt.max_objects, "max_queue_items",
		(json_int_t)mpdd.opt.max_queue_items, "max_broker_bytes",
		(json_int_t)mpdd.opt.max_broker_bytes);
	if (info != NULL) {
		json_t *limits = json_object_get(info, "limits");
		json_t *procs = json_object_get(info, "processes");
		uint64_t bytes;
		size_t created = proctab_created(&bytes);

		if (json_object_set_new(limits, "max_created",
					json_integer(mpdd.opt.max_created)) ||
		    json_object_set_new(
			    limits, "max_created_per_uid",
			    json_integer(mpdd.opt.max_created_per_uid)) ||
		    json_object_set_new(
			    limits, "max_created_bytes",
			    json_integer(
				    (json_int_t)mpdd.opt.max_created_bytes)) ||
		    json_object_set_new(
			    limits, "max_created_bytes_per_uid",
			    json_integer((json_int_t)mpdd.opt
						 .max_created_bytes_per_uid)) ||
		    json_object_set_new(
			    limits, "capture_size",
			    json_integer((json_int_t)mpdd.opt.capture_size)) ||
		    json_object_set_new(
			    limits, "max_capture_bytes",
			    json_integer(
				    (json_int_t)mpdd.opt.max_capture_bytes)) ||
		    json_object_set_new(
			    procs, "capture_bytes",
			    json_integer((json_int_t)capture_reserved())) ||
		    json_object_set_new(procs, "created",
					json_integer((json_int_t)created)) ||
		    json_object_set_new(procs, "created_bytes",
					json_integer((json_int_t)bytes)) ||
		    /* The descriptor ceiling process starts are held to. */
		    json_object_set_new(
			    limits, "open_files",
			    json_integer((json_int_t)mpdd.fd_limit))) {
			json_decref(info);
			info = NULL;
		}
	}
	if (info == NULL) {
		req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
		return;
	}
	req_result(r, info);
}

const struct method daemon_methods[] = {
	{ MPD_METHOD_DAEMON_INFO, daemon_info, no_params, NULL, 0, 0 },
	{ MPD_METHOD_DAEMON_PING, daemon_ping, ping_params, NULL, 0,
	  sizeof(struct ping_args) },
	{ 0 },
};
