/*
 * shm.c - libmpd's shared memory: the shm.* methods of mpdd, and the
 * mapping of the segments they hand out.
 *
 * shm.create and shm.attach pass the segment's memfd with their reply.
 * The library takes it at once (so that no later failure leaves it in
 * the client), checks that it is what the daemon says (a regular file of
 * the segment's size: a mapping past its end would fault), maps it
 * MAP_SHARED and keeps it with the mapping in a struct mpd_shm, which
 * belongs to the caller alone and not to the client: it outlives
 * mpd_close() and is freed by mpd_shm_detach(). On any failure the
 * descriptor is closed and nothing stays mapped. The rest are plain calls
 * written as broker.c's, on its helpers (client.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "mpd.h"
#include "proto.h"

struct mpd_shm {
	void *addr;
	size_t size;
	int fd;
	bool created;
	char *name;
};

/* A size to ask for: 1 to MPD_SHM_MAX_SIZE, and mappable here. Returns 0
 * or MPD_E_INVAL. */
static int check_size(const char *fn, uint64_t size, struct mpd_error *err)
{
	if (size < 1 || size > MPD_SHM_MAX_SIZE)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: size %" PRIu64 " is not 1 to %" PRIu64,
				   fn, size, MPD_SHM_MAX_SIZE);
	if ((uint64_t)(size_t)size != size)
		return client_fail(err, MPD_E_INVAL, 0,
				   "%s: size %" PRIu64 " does not fit this "
				   "address space",
				   fn, size);
	return 0;
}

/*
 * Map the segment fd (ours: closed on failure) that method's result res
 * (borrowed) describes, called name, read-only when readonly. Returns 0
 * with *out, or a negative code.
 */
static int map_segment(const char *method, const char *name, int fd,
		       const json_t *res, bool readonly, struct mpd_shm **out,
		       struct mpd_error *err)
{
	const json_t *size = json_object_get(res, "size");
	const json_t *created = json_object_get(res, "created");
	struct mpd_shm *shm = NULL;
	struct stat st;
	void *addr = MAP_FAILED;
	int r, e;

	if (!json_is_integer(size) || json_integer_value(size) < 1 ||
	    (uint64_t)json_integer_value(size) > MPD_SHM_MAX_SIZE ||
	    (uint64_t)(size_t)json_integer_value(size) !=
		    (uint64_t)json_integer_value(size)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"size\", not a size",
				method, broker_json_kind(size));
		goto fail;
	}
	if (!json_is_boolean(created)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"created\", not a boolean",
				method, broker_json_kind(created));
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != (uint64_t)json_integer_value(size)) {
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s passed a descriptor that is not a segment "
				"of %" JSON_INTEGER_FORMAT " bytes",
				method, json_integer_value(size));
		goto fail;
	}
	shm = calloc(1, sizeof(*shm));
	if (shm == NULL || (shm->name = strdup(name)) == NULL) {
		r = client_fail(err, MPD_E_NOMEM, ENOMEM, NULL);
		goto fail;
	}
	shm->size = (size_t)json_integer_value(size);
	addr = mmap(NULL, shm->size, PROT_READ | (readonly ? 0 : PROT_WRITE),
		    MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		e = errno;
		/* Else the daemon passed what cannot be mapped. */
		r = client_fail(
			err,
			e == ENOMEM || e == EAGAIN || e == EOVERFLOW ?
				MPD_E_NOMEM :
				MPD_E_PROTO,
			e,
			"cannot map shared memory segment %s (%zu bytes): %s",
			name, shm->size, strerror(e));
		goto fail;
	}
	shm->addr = addr;
	shm->fd = fd;
	shm->created = json_is_true(created);
	*out = shm;
	return 0;

fail:
	if (shm != NULL)
		free(shm->name);
	free(shm);
	close(fd);
	return r;
}

/*
 * Call method (shm.create or shm.attach, on behalf of fn) with params p
 * (stolen; r as for broker_call()) and map the segment its reply passes,
 * called name. Returns 0 with *out, or a negative code.
 */
static int segment_call(struct mpd_client *c, int r, const char *method,
			json_t *p, const char *name, bool readonly,
			struct mpd_shm **out, struct mpd_error *err)
{
	json_t *res = NULL, *idx;
	int fd = -1;

	r = broker_call(c, r, method, p, NULL, &res, err);
	if (r < 0)
		return r;
	idx = json_object_get(res, "fd");
	if (!json_is_integer(idx))
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s returned %s as \"fd\", not an integer",
				method, broker_json_kind(idx));
	else if (json_integer_value(idx) < 0 ||
		 json_integer_value(idx) > INT_MAX ||
		 (fd = mpd_take_fd(c, (int)json_integer_value(idx))) < 0)
		r = client_fail(err, MPD_E_PROTO, 0,
				"%s passed no descriptor %" JSON_INTEGER_FORMAT,
				method, json_integer_value(idx));
	else
		r = map_segment(method, name, fd, res, readonly, out, err);
	json_decref(res);
	return r;
}

/* Returns 0 with *out, or a negative code; see mpd.h. */
int mpd_shm_create(struct mpd_client *c, const char *name, uint64_t size,
		   const struct mpd_shm_options *opts, struct mpd_shm **out,
		   struct mpd_error *err)
{
	static const struct mpd_shm_options defaults;
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (opts == NULL)
		opts = &defaults;
	if (r == 0)
		r = check_size(__func__, size, err);
	if (r == 0)
		r = broker_check_given(__func__, "out", out, err);
	if (r == 0)
		r = broker_add_new(p, "size", json_integer((json_int_t)size),
				   err);
	if (r == 0)
		r = chan_add_mode(__func__, p, opts->mode, err);
	if (r == 0 && opts->temporary)
		r = broker_add_new(p, "temporary", json_true(), err);
	if (r == 0 && opts->exist_ok)
		r = broker_add_new(p, "exist_ok", json_true(), err);
	return segment_call(c, r, MPD_M_SHM_CREATE, p, name, false, out, err);
}

/* Returns 0 with *out, or a negative code; see mpd.h. */
int mpd_shm_attach(struct mpd_client *c, const char *name, int readonly,
		   struct mpd_shm **out, struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "out", out, err);
	return segment_call(c, r, MPD_M_SHM_ATTACH, p, name, readonly != 0, out,
			    err);
}

/* Returns the mapping's address, or NULL. */
void *mpd_shm_addr(const struct mpd_shm *shm)
{
	return shm != NULL ? shm->addr : NULL;
}

/* Returns the mapping's size, or 0. */
size_t mpd_shm_size(const struct mpd_shm *shm)
{
	return shm != NULL ? shm->size : 0;
}

/* Returns the segment's descriptor (still shm's), or MPD_E_INVAL. */
int mpd_shm_fd(const struct mpd_shm *shm)
{
	return shm != NULL ? shm->fd : MPD_E_INVAL;
}

/* Returns the segment's name (borrowed from shm), or NULL. */
const char *mpd_shm_name(const struct mpd_shm *shm)
{
	return shm != NULL ? shm->name : NULL;
}

/* Returns 1 created, 0 attached, or MPD_E_INVAL. */
int mpd_shm_created(const struct mpd_shm *shm)
{
	return shm != NULL ? shm->created : MPD_E_INVAL;
}

/* Unmaps, closes and frees shm (NULL is a no-op). */
void mpd_shm_detach(struct mpd_shm *shm)
{
	int saved = errno;

	if (shm == NULL)
		return;
	munmap(shm->addr, shm->size);
	close(shm->fd);
	free(shm->name);
	free(shm);
	errno = saved;
}

/* Returns 0, or a negative code; see mpd.h. */
int mpd_shm_unlink(struct mpd_client *c, const char *name,
		   struct mpd_error *err)
{
	return broker_name_call(c, __func__, MPD_M_SHM_UNLINK, name, err);
}

/* Returns 0 with *info, or a negative code; see mpd.h. */
int mpd_shm_info(struct mpd_client *c, const char *name, json_t **info,
		 struct mpd_error *err)
{
	json_t *p = NULL;
	int r = broker_name_params(__func__, name, &p, err);

	if (r == 0)
		r = broker_check_given(__func__, "info", info, err);
	return broker_call(c, r, MPD_M_SHM_INFO, p, NULL, info, err);
}

/* Returns 0 with *list, or a negative code; see mpd.h. */
int mpd_shm_list(struct mpd_client *c, json_t **list, struct mpd_error *err)
{
	return broker_list_call(c, __func__, MPD_M_SHM_LIST, "segments", list,
				err);
}
