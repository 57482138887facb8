/*
 * bench-module.c - the function target of the spawn benchmarks: a worker
 * that returns at once, so what is measured is mpd's start and join.
 */
#include <mpd.h>

mpd_worker_fn bench_noop;

int bench_noop(mpd_worker *w, const json_t *args)
{
	(void)w;
	(void)args;
	return 0;
}
