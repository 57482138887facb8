"""Run mpd's benchmark and its peers in one invocation and print one table.

    python3 bench/run.py --build DIR [--quick] [--repeats N] [--only W,...]
                         [--json FILE]

It starts, in a temporary directory, redis-server on a Unix socket (no TCP
port, no persistence) and mpdd on its own socket with the bench module
preloaded into its template; runs bench/mpd-bench (mpd, the raw floors and
Redis) and bench/peers.py (Python multiprocessing); stops both servers; and
prints, per workload, each implementation's median, min-max over the
repeats, and how mpd compares to it, then the targets of docs/performance.md
with the measured ratio and whether it is met. `scripts/dev bench` is the
usual way in: it installs redis-server and builds a release build first.

Exit status: 0 when everything ran (targets missed or not), 1 when a
benchmark or a server failed.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (workload, what it measures) in the order of the table.
WORKLOADS = [
    ("spawn.func", "create+start+join, function target, 1 client"),
    ("spawn.argv", "create+start+join of /bin/true, 1 client"),
    ("spawn.tput2", "create+start+join from 2 clients at once"),
    ("spawn.tput8", "create+start+join from 8 clients at once"),
    ("queue.rtt", "put then get of a small item, 1 client"),
    ("queue.rtt50", "put then get, 50 clients on one queue"),
    ("queue.tput", "200k small items, 1 producer + 1 consumer process"),
    ("dict.rt", "dict.set then dict.get / HSET + HGET, 1 client"),
    ("counter.1", "value.add / INCR, 1 client"),
    ("counter.50", "value.add / INCR, 50 clients"),
    ("lock.rtt", "acquire+release of a free lock, 1 client"),
    ("lock.handoff2", "release to the next holder's acquire, 2 clients"),
    ("lock.handoff8", "release to the next holder's acquire, 8 clients"),
    ("event.wake1", "event.set to the waiter's answer, 1 waiter"),
    ("event.wake50", "event.set to the last waiter's answer, 50 waiters"),
    ("pipe.pingpong", "round trip of a 64-byte message between 2 processes"),
    ("pipe.1mb", "1 MiB messages one way between 2 processes"),
    ("listener.connect", "connect + 1-byte exchange + close via a named listener"),
    ("shm.rw", "1 MiB written by one process, read by another, signalled"),
    ("pool.map1", "Pool.map of 100k tiny tasks, 2 workers, chunksize 1"),
    ("pool.map100", "Pool.map of 100k tiny tasks, 2 workers, chunksize 100"),
    ("pool.mapdef", "Pool.map of 100k tiny tasks, 2 workers, Python's default chunksize"),
    ("map.true", "2,000 /bin/true jobs, 2 at once: mpd-cli map -j 2, xargs -P 2, parallel -j 2"),
    ("mem.idle", "server RSS, idle"),
    ("mem.workers", "mpdd RSS with 1000 live workers"),
    ("mem.item", "server RSS growth per queued small item (1M items)"),
]

# The comparison row of mpd for a peer: batched mpd against batched peers.
def mpd_row_for(workload, impl):
    if impl.endswith("-batch") or (workload == "queue.tput" and impl == "py-queue"):
        return "mpd-batch"
    return "mpd"


# (description, workload, mpd impl, peer impl, factor, better):
# met when mpd's median is at most factor x the peer's (better "lower"),
# or at least factor x the peer's (better "higher").
TARGETS = [
    ("function spawn+join <= 1/10 of Python forkserver", "spawn.func", "mpd", "py-forkserver", 0.1, "lower"),
    ("function spawn+join <= 2x C fork+waitpid", "spawn.func", "mpd", "floor-fork", 2.0, "lower"),
    ("argv spawn+join <= 1.3x C fork+exec+waitpid", "spawn.argv", "mpd", "floor-fork-exec", 1.3, "lower"),
    ("spawn throughput, 2 clients >= 3x Python fork", "spawn.tput2", "mpd", "py-fork", 3.0, "higher"),
    ("queue round trip <= Redis LPUSH+RPOP", "queue.rtt", "mpd", "redis", 1.0, "lower"),
    ("queue round trips/s, 50 clients >= Redis", "queue.rtt50", "mpd", "redis", 1.0, "higher"),
    ("dict set+get <= Redis HSET+HGET", "dict.rt", "mpd", "redis", 1.0, "lower"),
    ("counter ops/s, 1 client >= Redis INCR", "counter.1", "mpd", "redis", 1.0, "higher"),
    ("counter ops/s, 50 clients >= Redis INCR", "counter.50", "mpd", "redis", 1.0, "higher"),
    ("lock acquire+release <= Redis SET NX + EVALSHA", "lock.rtt", "mpd", "redis", 1.0, "lower"),
    ("lock hand-off, 2 clients <= 2x a socket round trip", "lock.handoff2", "mpd", "floor-pingpong", 2.0, "lower"),
    ("lock hand-off, 8 clients <= 2x a socket round trip", "lock.handoff8", "mpd", "floor-pingpong", 2.0, "lower"),
    ("batched queue throughput >= 2x multiprocessing.Queue", "queue.tput", "mpd-batch", "py-queue", 2.0, "higher"),
    ("memory per queued small item <= 1.5x redis-server", "mem.item", "mpd", "redis", 1.5, "lower"),
    ("pipe round trip <= 1.1x a raw socketpair", "pipe.pingpong", "mpd", "floor-socketpair", 1.1, "lower"),
    ("pipe 1 MiB transfers >= 1/1.1 of a raw socketpair", "pipe.1mb", "mpd", "floor-socketpair", 1 / 1.1, "higher"),
    ("pool.map tasks/s, chunksize 1 >= 3x Python's Pool", "pool.map1", "mpd", "py-pool", 3.0, "higher"),
    ("pool.map tasks/s, chunksize 100 >= 3x Python's Pool", "pool.map100", "mpd", "py-pool", 3.0, "higher"),
    ("pool.map tasks/s, default chunksize >= 3x Python's Pool", "pool.mapdef", "mpd", "py-pool", 3.0, "higher"),
]
IDLE_RSS_TARGET_MIB = 4.0


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def wait_for(check, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise SystemExit("bench: %s did not come up in %.0f s" % (what, timeout))


def can_connect(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_redis(tmp):
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("bench: redis-server is not installed "
                         "(apt-get install redis-server; scripts/dev bench does it)")
    path = os.path.join(tmp, "redis.sock")
    proc = subprocess.Popen(
        [exe, "--port", "0", "--unixsocket", path, "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", tmp,
         "--daemonize", "no", "--logfile", os.path.join(tmp, "redis.log")],
        stdin=subprocess.DEVNULL)
    wait_for(lambda: proc.poll() is None and can_connect(path), "redis-server")
    return proc, path


def start_mpdd(build, tmp):
    path = os.path.join(tmp, "mpd.sock")
    module = os.path.join(build, "bench", "bench-module.so")
    r, w = os.pipe()
    log_file = open(os.path.join(tmp, "mpdd.log"), "w")
    proc = subprocess.Popen(
        [os.path.join(build, "daemon", "mpdd"), "--socket", path,
         "--preload", module, "--ready-fd", str(w), "--log-level", "warning"],
        stdin=subprocess.DEVNULL, stderr=log_file, pass_fds=(w,))
    os.close(w)
    with os.fdopen(r) as ready:
        if ready.readline() != "READY\n":
            raise SystemExit("bench: mpdd did not start; its log: "
                             + os.path.join(tmp, "mpdd.log"))
    return proc, path, module


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_lines(cmd):
    log(" ".join(cmd))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise SystemExit("bench: %s failed with status %d" % (cmd[0], out.returncode))
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


# map.true: the jobs of a run, and the commands that run them, each
# reading the jobs' lines on stdin.
MAP_JOBS = 2000
MAP_JOBS_QUICK = 500


def map_commands(build, mpd_path):
    """(impl, argv) of each map.true runner: mpd-cli map, xargs, and GNU
    parallel when it is installed (else None in its place)."""
    cmds = [("mpd", [os.path.join(build, "client", "cli", "mpd-cli"),
                     "--socket", mpd_path, "map", "-j", "2", "--",
                     "/bin/true"]),
            ("xargs", ["xargs", "-P", "2", "-n", "1", "/bin/true"])]
    parallel = shutil.which("parallel")
    cmds.append(("parallel", [parallel, "--will-cite", "-j", "2", "/bin/true"]
                 if parallel is not None else None))
    return cmds


def run_map_true(build, mpd_path, repeats, quick):
    """map.true: the wall time of a run of each command on the same input,
    the commands taking turns in each repeat (after one unmeasured run
    each). Returns the rows, and notes for the table."""
    n = MAP_JOBS_QUICK if quick else MAP_JOBS
    data = "".join("%d\n" % i for i in range(n)).encode()
    rows, notes = [], []
    cmds = []
    for impl, argv in map_commands(build, mpd_path):
        if argv is None:
            notes.append("map.true: GNU parallel is not installed "
                         "(apt-get install parallel): not measured")
            continue
        cmds.append((impl, argv, []))
    log("map.true: %d jobs, %d repeats: %s" % (
        n, repeats, ", ".join(impl for impl, _, _ in cmds)))
    for rep in range(repeats + 1):
        for impl, argv, samples in cmds:
            t = time.monotonic()
            out = subprocess.run(argv, input=data, stdout=subprocess.DEVNULL)
            ms = (time.monotonic() - t) * 1000
            if out.returncode != 0:
                raise SystemExit("bench: map.true: %s exited %d" % (
                    argv[0], out.returncode))
            if rep > 0:
                samples.append(ms)
    for impl, argv, samples in cmds:
        rows.append({"workload": "map.true", "impl": impl, "unit": "ms",
                     "better": "lower", "samples": samples})
    return rows, notes


def fmt(v):
    if v >= 100000:
        return "%.3g" % v if v < 1e6 else "%.2fM" % (v / 1e6)
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def speedup(mpd, peer, better):
    """How many times better mpd is than peer (> 1: mpd wins)."""
    if mpd <= 0 or peer <= 0:
        return None
    return peer / mpd if better == "lower" else mpd / peer


def verdict(mine, x, unit):
    """Which side wins and by how much, in words that read one way only:
    "mpd 1.24x faster", "it 2.27x faster" ("smaller" for memory)."""
    word = "smaller" if unit.endswith("B") or "B/" in unit else "faster"
    if x >= 1:
        return "%s %.2fx %s" % (mine, x, word)
    return "it %.2fx %s" % (1 / x, word)


def print_table(rows, out):
    by = {}
    for r in rows:
        r["median"] = statistics.median(r["samples"])
        by.setdefault(r["workload"], {})[r["impl"]] = r
    print("%-12s %-16s %12s %-23s %-8s %s" % (
        "workload", "impl", "median", "min-max", "unit", "mpd vs it"), file=out)
    for name, what in WORKLOADS:
        impls = by.get(name)
        if not impls:
            continue
        print("-- %s: %s" % (name, what), file=out)
        for impl, r in impls.items():
            mine = impls.get(mpd_row_for(name, impl))
            rel = ""
            if mine is not None and not impl.startswith("mpd"):
                x = speedup(mine["median"], r["median"], r["better"])
                if x is not None:
                    rel = verdict(mine["impl"], x, r["unit"])
            print("%-12s %-16s %12s %-23s %-8s %s" % (
                "", impl, fmt(r["median"]),
                fmt(min(r["samples"])) + " - " + fmt(max(r["samples"])),
                r["unit"], rel), file=out)
    return by


def print_targets(by, out):
    print("\ntargets (medians):", file=out)
    met_all = True
    for desc, w, mine, peer, factor, better in TARGETS:
        a = by.get(w, {}).get(mine)
        b = by.get(w, {}).get(peer)
        if a is None or b is None:
            print("  [ -- ] %s: not measured" % desc, file=out)
            continue
        ratio = a["median"] / b["median"]
        ok = ratio <= factor if better == "lower" else ratio >= factor
        met_all &= ok
        print("  [%s] %s: mpd/peer = %.3g" % ("met " if ok else "MISS", desc, ratio), file=out)
    idle = by.get("mem.idle", {}).get("mpd")
    if idle is not None:
        ok = idle["median"] <= IDLE_RSS_TARGET_MIB
        met_all &= ok
        print("  [%s] mpdd idle RSS <= %.0f MiB: %.2f MiB" % (
            "met " if ok else "MISS", IDLE_RSS_TARGET_MIB, idle["median"]), file=out)
    return met_all


def machine():
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%s, %d cpus, %.0f GiB, Linux %s, Python %s" % (
        cpu, os.cpu_count(), mem, platform.release(), platform.python_version())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="a meson build directory of mpd")
    ap.add_argument("--quick", action="store_true", help="a run of under a minute")
    ap.add_argument("--repeats", type=int, help="samples per row (default 5, quick 3)")
    ap.add_argument("--only", help="only these workloads (comma-separated)")
    ap.add_argument("--json", help="also write the raw samples to this file")
    args = ap.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)

    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="mpd-bench.")
    servers = []
    try:
        redis, redis_path = start_redis(tmp)
        servers.append(redis)
        mpdd, mpd_path, module = start_mpdd(os.path.abspath(args.build), tmp)
        servers.append(mpdd)
        common = ["--repeats", str(repeats)] + (["--quick"] if args.quick else [])
        if args.only:
            common += ["--only", args.only]
        rows = run_lines([os.path.join(args.build, "bench", "mpd-bench"),
                          "--socket", mpd_path, "--module", module,
                          "--redis", redis_path] + common)
        for proc in servers:
            if proc.poll() is not None:
                raise SystemExit("bench: a server died during the run; logs in " + tmp)
        notes = []
        if not args.only or "map.true" in args.only.split(","):
            map_rows, notes = run_map_true(os.path.abspath(args.build),
                                           mpd_path, repeats, args.quick)
            rows += map_rows
        rows += run_lines([sys.executable, os.path.join(HERE, "peers.py")] + common)
    finally:
        for proc in reversed(servers):
            stop(proc)
    shutil.rmtree(tmp, ignore_errors=True)

    out = sys.stdout
    print("mpd benchmark%s, %d repeats: %s" % (
        " (quick)" if args.quick else "", repeats, machine()), file=out)
    print("mpd vs it: which side's median wins and by how many times "
          "(faster: less time or\nmore per second; smaller: less "
          "memory)\n", file=out)
    by = print_table(rows, out)
    for note in notes:
        print(note, file=out)
    print_targets(by, out)
    print("\ntook %.0f s" % (time.monotonic() - t0), file=out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "quick": args.quick,
                       "repeats": repeats, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
