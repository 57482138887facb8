/*
 * counter-worker.c - the libmpd half of the lock example (README.md,
 * "Locks, semaphores, events, conditions and barriers"): a function
 * target that does what counter-worker.sh does, on the connection its
 * worker already has.
 *
 * It waits at the barrier "start" until every worker is there, then adds
 * 1 to the number in a file, a number of times, each time holding the
 * lock "counter" for the read, the add and the write. args is
 * {"file": PATH, "times": N}:
 *
 *   mpd-cli spawn --name c-1 --module build/examples/counter-worker.so \
 *       --function work --args '{"file": "count.txt", "times": 100}'
 *
 * Should a worker die inside the critical section, mpdd releases the
 * lock, and the next acquirer learns it (abandoned): this one then says
 * so, and goes on (the file holds whole numbers, written at once).
 */
#include <stdio.h>

#include <mpd.h>

mpd_worker_fn work;

/* Add 1 to the number in path. Returns 0, or -1 (perror said why). */
static int bump(const char *path)
{
	long long n = 0;
	FILE *f = fopen(path, "r+");

	if (f == NULL) {
		perror(path);
		return -1;
	}
	if (fscanf(f, "%lld", &n) != 1)
		n = 0;
	rewind(f);
	fprintf(f, "%lld\n", n + 1);
	if (fclose(f) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

/* The worker function. Returns 0 when done, 1 when mpdd failed it, 2
 * for bad args or a file it cannot change. */
int work(mpd_worker *w, const json_t *args)
{
	const char *name = mpd_worker_name(w);
	const char *path = NULL;
	json_int_t times = -1;
	struct mpd_client *c;
	struct mpd_error err;
	int abandoned, r;

	if (json_unpack((json_t *)args, "{s:s, s:I}", "file", &path, "times",
			&times) == -1 ||
	    times < 0) {
		fprintf(stderr,
			"%s: args must be {\"file\": PATH, "
			"\"times\": N >= 0}\n",
			name);
		return 2;
	}
	/* Borrowed: the worker's own connection, never mpd_close()d here. */
	c = mpd_worker_client(w, &err);
	if (c == NULL || mpd_barrier_wait(c, "start", -1, &err) < 0)
		goto failed;
	for (json_int_t i = 0; i < times; i++) {
		r = mpd_lock_acquire(c, "counter", -1, 0, &abandoned, &err);
		if (r < 0)
			goto failed;
		if (abandoned)
			fprintf(stderr,
				"%s: the lock's last holder died holding it\n",
				name);
		r = bump(path);
		if (mpd_lock_release(c, "counter", &err) < 0)
			goto failed;
		if (r < 0)
			return 2;
	}
	return 0;
failed:
	fprintf(stderr, "%s: %s (%s)\n", name, err.message, err.name);
	return 1;
}
