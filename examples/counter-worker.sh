#!/bin/sh
# counter-worker.sh - the shell half of the lock example (README.md,
# "Locks, semaphores, events, conditions and barriers"): a worker that
# waits at the barrier "start" until every worker is there, then adds 1
# to the number in FILE, TIMES times, each time holding the lock
# "counter" for the read, add and write, with nothing but mpd-cli.
#
#   mpd-cli spawn --name sh-1 --env PATH="$PATH" -- \
#       sh examples/counter-worker.sh FILE TIMES
#
# Without the lock, two workers would read the same number and one of
# the adds would be lost; with it, N workers leave N * TIMES in FILE.
# A failed call (mpdd gone, the lock deleted, a broken barrier) ends it
# with a status that is not 0. It runs mpd-cli from PATH, or $MPD_CLI
# when that is set.
set -u

cli=${MPD_CLI:-mpd-cli}
file=${1:?usage: counter-worker.sh FILE TIMES}
times=${2:?usage: counter-worker.sh FILE TIMES}

"$cli" barrier wait start >/dev/null || exit 1
i=0
while [ "$i" -lt "$times" ]; do
	"$cli" lock run counter -- sh -c \
		'n=$(cat "$1") && echo $((n + 1)) >"$1"' sh "$file" || exit 1
	i=$((i + 1))
done
