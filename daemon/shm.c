/*
 * shm.c - named shared memory segments: Python's
 * multiprocessing.shared_memory.SharedMemory, brokered by the daemon.
 *
 * A segment is a memfd the daemon keeps under a name. shm.create makes
 * one of a size and shm.attach hands it out: each reply passes the
 * descriptor (SCM_RIGHTS), which the client maps; from then on the
 * processes share the memory directly. The size is sealed (F_SEAL_SHRINK,
 * F_SEAL_GROW, then F_SEAL_SEAL): no holder can cut the segment under
 * the others' mappings (they would fault) or grow it past what was
 * counted.
 *
 * A segment lives until shm.unlink, or, created as temporary, until the
 * connection that created it closes. Unlinking removes the name and the
 * daemon's descriptor; the memory lives on while some process maps it
 * or holds a descriptor, as with shm_unlink(3). Its size counts against
 * max_broker_bytes while it has a name, its descriptor in mpdd.fd_chan
 * and its owner's share.
 * Only its owner's uid (and root) may unlink it; who may attach is its
 * mode (the owner, its group, or everyone).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mpdd.h"

/* The largest segment, whatever max_broker_bytes allows: 1 TiB. */
#define SHM_MAX_SIZE ((json_int_t)1 << 40)

struct shm {
	char *name;
	int fd; /* the memfd, read-write, sealed */
	uint64_t size;
	uid_t uid;
	gid_t gid;
	enum chan_mode mode;
	bool temporary;
	uint64_t conn_id; /* of the connection that created it */
	json_t *owner; /* its credentials */
	uint64_t attaches; /* descriptors handed out */
	double created;
};

static struct hmap shms;

struct sargs {
	struct shm *s; /* the target (first member) */
	json_t *name;
	json_int_t size;
	const char *mode;
	bool temporary, exist_ok;
};

static const struct mpd_param create_params[] = {
	ARG_NAME(struct sargs, name),
	ARG_RANGE("size", MPD_PT_INT, MPD_PF_REQUIRED, 1, SHM_MAX_SIZE,
		  struct sargs, size),
	ARG("mode", MPD_PT_STRING, 0, struct sargs, mode),
	ARG("temporary", MPD_PT_BOOL, 0, struct sargs, temporary),
	ARG("exist_ok", MPD_PT_BOOL, 0, struct sargs, exist_ok),
	PARAMS_END,
};
static const struct mpd_param name_params[] = { PARAM_NAME, PARAMS_END };

/* Found by name; who may do what is checked by each method, since it
 * depends on the segment's mode. */
static const struct target_type shm_target = {
	.noun = "shared memory segment",
	.map = &shms,
	.bounded_name = true,
};

static void oom(struct req *r)
{
	req_error(r, MPD_RPC_INTERNAL_ERROR, NULL, "out of memory");
}

static json_t *shm_row(void *o)
{
	struct shm *s = o;

	return json_pack("{s:s, s:I, s:I, s:s, s:b}", "name", s->name, "size",
			 (json_int_t)s->size, "uid", (json_int_t)s->uid, "mode",
			 chan_mode_name(s->mode), "temporary", s->temporary);
}

static const char *shm_name(void *o)
{
	return ((struct shm *)o)->name;
}

static bool may_attach(struct req *r, const struct shm *s)
{
	if (chan_may(r->conn, s->uid, s->gid, s->mode))
		return true;
	req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
		  "shared memory segment \"%s\" belongs to uid %ld and is not "
		  "shared with uid %ld",
		  s->name, (long)s->uid, (long)r->conn->uid);
	return false;
}

/* Answer r with s's row, "created", and a descriptor of it. */
static void hand_out(struct req *r, struct shm *s, bool created)
{
	json_t *res;
	int fd, idx;

	if (!chan_fd_room(r, 1))
		return;
	fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
	if (fd == -1) {
		req_error(r, MPD_RPC_LIMIT,
			  json_pack("{s:s, s:I}", "limit", "open_files", "max",
				    (json_int_t)mpdd.fd_limit),
			  "cannot pass shared memory segment \"%s\": %s",
			  s->name, strerror(errno));
		return;
	}
	if ((idx = req_pass_fd(r, fd)) < 0)
		return; /* r is answered */
	if ((res = shm_row(s)) == NULL) {
		oom(r);
		return;
	}
	s->attaches++;
	json_object_set_new(res, "fd", json_integer(idx));
	json_object_set_new(res, "created", json_boolean(created));
	req_result(r, res);
}

/* A sealed memfd of size bytes, or -errno. */
static int memfd_sized(uint64_t size)
{
	int fd = memfd_create("mpd-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int e;

	if (fd == -1)
		return -errno;
	if (ftruncate(fd, (off_t)size) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ==
		    -1) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static void shm_create(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	const char *name;
	enum chan_mode mode;
	struct shm *s;
	int fd;

	if (!req_name_ok(r, in->name) || !chan_mode_parse(r, in->mode, &mode))
		return;
	name = json_string_value(in->name);
	if ((s = hmap_get(&shms, name)) != NULL) {
		/* The mode first: another uid learns that the name is
		 * taken, not the size. */
		if (!in->exist_ok)
			req_error(r, MPD_RPC_EXISTS, NULL,
				  "a shared memory segment named \"%s\" "
				  "exists",
				  name);
		else if (!may_attach(r, s))
			return;
		else if (s->size != (uint64_t)in->size)
			req_error(r, MPD_RPC_INVALID_STATE, NULL,
				  "shared memory segment \"%s\" exists with "
				  "size %llu",
				  name, (unsigned long long)s->size);
		else
			hand_out(r, s, false);
		return;
	}
	if (!broker_room(r, 1, (uint64_t)in->size) || !chan_fd_room(r, 2))
		return;
	fd = memfd_sized((uint64_t)in->size);
	if (fd < 0) {
		req_error(r,
			  fd == -EMFILE || fd == -ENFILE || fd == -ENOSPC ||
					  fd == -ENOMEM || fd == -EFBIG ?
				  MPD_RPC_LIMIT :
				  MPD_RPC_INTERNAL_ERROR,
			  fd == -EMFILE || fd == -ENFILE ?
				  json_pack("{s:s, s:I}", "limit", "open_files",
					    "max", (json_int_t)mpdd.fd_limit) :
				  NULL,
			  "cannot make shared memory of %lld bytes: %s",
			  (long long)in->size, strerror(-fd));
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->name = strdup(name)) == NULL ||
	    (s->owner = conn_creds_json(r->conn)) == NULL ||
	    hmap_put(&shms, s->name, s) == -1) {
		if (s != NULL) {
			json_decref(s->owner);
			free(s->name);
		}
		free(s);
		close(fd);
		oom(r);
		return;
	}
	s->fd = fd;
	s->size = (uint64_t)in->size;
	s->uid = r->conn->uid;
	s->gid = r->conn->gid;
	s->mode = mode;
	s->temporary = in->temporary;
	s->conn_id = r->conn->id;
	s->created = now_wall();
	chan_fds_add(s->uid, 1);
	broker.objects++;
	broker.shms++;
	broker.shm_bytes += s->size;
	broker_bytes((int64_t)s->size);
	events_emit_chan("shm", s->name, "created", s->uid, s->gid, s->mode);
	hand_out(r, s, true);
}

static void shm_attach(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	if (may_attach(r, in->s))
		hand_out(r, in->s, false);
}

static void shm_info(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;
	struct shm *s = in->s;
	json_t *res;

	if (!may_attach(r, s))
		return;
	res = shm_row(s);
	if (res == NULL ||
	    json_object_update_new(res, json_pack("{s:I, s:O, s:I, s:f}", "gid",
						  (json_int_t)s->gid, "owner",
						  s->owner, "attaches",
						  (json_int_t)s->attaches,
						  "since", s->created)) == -1) {
		json_decref(res);
		oom(r);
		return;
	}
	req_result(r, res);
}

/* Remove s's name and the daemon's descriptor. */
static void shm_free(struct shm *s)
{
	events_emit_chan("shm", s->name, "deleted", s->uid, s->gid, s->mode);
	hmap_del(&shms, s->name);
	close(s->fd);
	chan_fds_add(s->uid, -1);
	broker.objects--;
	broker.shms--;
	broker.shm_bytes -= s->size;
	broker_bytes(-(int64_t)s->size);
	json_decref(s->owner);
	free(s->name);
	free(s);
}

static void shm_unlink_m(struct req *r, json_t *params, void *args)
{
	struct sargs *in = args;

	if (!req_may_access(r, in->s->uid)) {
		req_error(r, MPD_RPC_PERMISSION_DENIED, NULL,
			  "only uid %ld may unlink shared memory segment "
			  "\"%s\"",
			  (long)in->s->uid, in->s->name);
		return;
	}
	shm_free(in->s);
	req_result(r, json_object());
}

static void shm_list(struct req *r, json_t *params, void *args)
{
	void **all = hmap_values(&shms);
	size_t n = 0;

	if (all == NULL && shms.n > 0) {
		oom(r);
		return;
	}
	/* Only those the caller may attach. */
	for (size_t i = 0; i < shms.n; i++) {
		struct shm *s = all[i];

		if (chan_may(r->conn, s->uid, s->gid, s->mode))
			all[n++] = s;
	}
	broker_reply_list(r, "segments", all, n, shm_row, shm_name);
}

/* The temporary segments c created go away with it. */
void shm_conn_closed(struct conn *c)
{
	void **all;

	if (shms.n == 0)
		return;
	all = hmap_values(&shms);
	if (all == NULL) {
		log_warnx("%s: out of memory", __func__);
		return;
	}
	for (size_t i = 0, n = shms.n; i < n; i++) {
		struct shm *s = all[i];

		if (s->temporary && s->conn_id == c->id)
			shm_free(s);
	}
	free(all);
}

void shm_shutdown(void)
{
	void **all = hmap_values(&shms);

	for (size_t i = 0, n = shms.n; all != NULL && i < n; i++)
		shm_free(all[i]);
	free(all);
	hmap_free(&shms);
}

#define ROW(M, fn, params)                                  \
	{                                                   \
		MPD_METHOD_##M, fn, params, &shm_target, 0, \
			sizeof(struct sargs)                \
	}

const struct method shm_methods[] = {
	ROW(SHM_ATTACH, shm_attach, name_params),
	{ MPD_METHOD_SHM_CREATE, shm_create, create_params, NULL, 0,
	  sizeof(struct sargs) },
	ROW(SHM_INFO, shm_info, name_params),
	{ MPD_METHOD_SHM_LIST, shm_list, no_params, NULL, 0, 0 },
	ROW(SHM_UNLINK, shm_unlink_m, name_params),
	{ 0 },
};
