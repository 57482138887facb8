#!/bin/sh
# queue-worker.sh - the shell half of the queue example (README.md,
# "Queues, values and arrays"): a worker that takes jobs from the queue
# "jobs", puts each result on the queue "results", adds 1 to the shared
# int value "done" and marks the job done, with nothing but mpd-cli.
#
# A job is an integer N; its result is {"job": N, "square": N*N,
# "worker": NAME}. The worker ends, with status 0, when "jobs" is closed
# and drained; given IDLE (seconds), also when no job came for that long.
# Start it under mpdd, which hands it MPD_SOCKET and MPD_PROCESS_NAME:
#
#   mpd-cli spawn --name sh-1 -- sh examples/queue-worker.sh [IDLE]
#
# It runs mpd-cli from PATH, or $MPD_CLI when that is set.
set -u

cli=${MPD_CLI:-mpd-cli}
name=${MPD_PROCESS_NAME:-queue-worker-$$}

# get exits 1 once the queue is closed and drained (or empty for IDLE s).
while job=$("$cli" queue get jobs --raw ${1:+--timeout "$1"}); do
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
exit 0
