/*
 * bench-module.c - the function target of the spawn benchmarks: a worker
 * that returns at once, so what is measured is mpd's start and join; and
 * the task function of the pool.map benchmark, which returns its item.
 */
#include <mpd.h>

mpd_worker_fn bench_noop;
int bench_identity(mpd_worker *w, const json_t *arg, json_t **result);

int bench_noop(mpd_worker *w, const json_t *args)
{
	(void)w;
	(void)args;
	return 0;
}

/* A pool's task function: the item is the result. */
int bench_identity(mpd_worker *w, const json_t *arg, json_t **result)
{
	(void)w;
	*result = json_incref((json_t *)arg);
	return 0;
}
