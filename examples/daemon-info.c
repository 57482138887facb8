/*
 * daemon-info.c - the smallest libmpd program: connect to mpdd at the
 * default socket (or argv[1]), ask daemon.info and print two of its fields.
 *
 *   cc daemon-info.c $(pkg-config --cflags --libs mpd) -o daemon-info
 */
#include <stdio.h>

#include <mpd.h>

int main(int argc, char **argv)
{
	struct mpd_client *c;
	struct mpd_error err;
	json_t *info;

	/* NULL: $MPD_SOCKET, /run/mpdd/mpdd.sock for root, else
	 * $XDG_RUNTIME_DIR/mpdd/mpdd.sock. */
	if (mpd_connect(&c, argc > 1 ? argv[1] : NULL, &err) < 0) {
		fprintf(stderr, "daemon-info: %s\n", err.message);
		return 1;
	}
	if (mpd_daemon_info(c, &info, &err) < 0) {
		fprintf(stderr, "daemon-info: %s (%s)\n", err.message,
			err.name);
		mpd_close(c);
		return 1;
	}
	printf("mpdd %s, pid %lld\n",
	       json_string_value(json_object_get(info, "version")),
	       (long long)json_integer_value(json_object_get(info, "pid")));
	json_decref(info); /* results are new references */
	mpd_close(c);
	return 0;
}
