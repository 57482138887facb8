#!/bin/sh
# queue-worker.sh - the shell half of the queue example (README.md,
# "Queues, values and arrays"): a worker that takes jobs from the queue
# "jobs", puts each result on the queue "results", adds 1 to the shared
# int value "done" and marks the job done, with nothing but mpd-cli.
#
# A job is an integer N; its result is {"job": N, "square": N*N,
# "worker": NAME}. The worker ends with status 0 when "jobs" is closed
# and drained (queue get exits 6), and given IDLE (seconds) also when no
# job came for that long (exit 5). Anything else, a queue deleted under
# it, mpdd gone, mpd-cli not found, ends it with a status that is not 0,
# so that its record shows it failed. Start it under mpdd, which hands it
# MPD_SOCKET and MPD_PROCESS_NAME:
#
#   mpd-cli spawn --name sh-1 --env PATH="$PATH" -- sh examples/queue-worker.sh [IDLE]
#
# It runs mpd-cli from PATH, or $MPD_CLI when that is set.
set -u

cli=${MPD_CLI:-mpd-cli}
name=${MPD_PROCESS_NAME:-queue-worker-$$}

while :; do
	job=$("$cli" queue get jobs --raw ${1:+--timeout "$1"})
	status=$?
	case $status in
	0) ;;
	6) exit 0 ;; # closed and drained: done
	5) exit 0 ;; # no job for IDLE seconds
	*)
		echo "$name: queue get failed with status $status" >&2
		exit "$status"
		;;
	esac
	case $job in
	'' | - | *[!0-9-]* | ?*-*)
		echo "$name: job '$job' is not an integer; skipped" >&2
		"$cli" queue task-done jobs || exit 1
		continue
		;;
	esac
	"$cli" queue put results \
		"{\"job\":$job,\"square\":$((job * job)),\"worker\":\"$name\"}" ||
		exit 1
	"$cli" value add done 1 >/dev/null || exit 1
	"$cli" queue task-done jobs || exit 1
done
