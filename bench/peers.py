#!/usr/bin/python3
"""Python multiprocessing peer for the mpd benchmark.

Measures what CPython's standard library costs for the same jobs the
daemon does, so the two can be compared side by side.  Only the standard
library is used; run it with /usr/bin/python3 (3.11).

Usage:
    /usr/bin/python3 bench/peers.py [--quick] [--repeats N]
                                    [--only WORKLOAD[,WORKLOAD...]]

Workloads (every repeat is preceded by unmeasured warm-up iterations):

  spawn.func   us/op, lower is better.  Sequential
               ``p = ctx.Process(target=noop); p.start(); p.join()`` for
               the "fork", "forkserver" and "spawn" contexts
               (impls py-fork, py-forkserver, py-spawn).
  spawn.argv   us/op, lower is better.
               ``subprocess.run(["/bin/true"], check=True)`` (py-subprocess).
  spawn.tput2, spawn.tput8
               procs/s, higher is better.  2 or 8 driver processes made
               with os.fork(), each running the create+start+join loop with
               its own context (py-fork, py-forkserver).  Drivers warm up
               (which also starts their own forkserver), then wait on a
               common start signal; the parent times from releasing them to
               all of them exiting.
  pipe.pingpong
               us/round trip, lower is better.  A 64-byte message sent
               with Connection.send_bytes() through a duplex
               multiprocessing.Pipe() (a socketpair) to a child (fork
               context) that sends it back with recv_bytes()/send_bytes()
               (py-pipe).
  pipe.1mb     xfer/s (1 MiB messages a second), higher is better.
               Through the same pipe one way, the child taking each with
               recv_bytes() and acknowledging the last (py-pipe).
  listener.connect
               us/connection (the median), lower is better.  A child (fork
               context) loops accept() on a
               multiprocessing.connection.Listener(path, family="AF_UNIX",
               authkey=None), reads a 1-byte message, answers one and
               closes; the parent times, per connection,
               Client(path, family="AF_UNIX", authkey=None), send_bytes,
               recv_bytes, close (py-listener).
  shm.rw       xfer/s (1 MiB blocks a second), higher is better.  The
               parent copies a 1 MiB block into a
               multiprocessing.shared_memory.SharedMemory segment and sends
               a 1-byte message through a multiprocessing.Pipe(); the child
               (fork context), attached to the segment by name, copies it
               out with bytes(), checks the block's number and answers
               (py-shm).  The same through the Pipe alone: send_bytes of
               the block, recv_bytes and a 1-byte answer (py-pipe).
  pool.map1, pool.map100, pool.mapdef
               tasks/s, higher is better.  ``Pool(2).map(identity, range(N),
               chunksize=C)`` (fork context) for C = 1, 100 and Python's
               default (None), N = 100000 (20000 quick); the pool is made
               and warmed up (both workers started) before the clock starts
               (py-pool).
  queue.tput   items/s, higher is better.  One producer and one consumer
               process (fork context) pass small ints through an unbounded
               multiprocessing.Queue, ending with a None sentinel
               (py-queue).  Process start-up and the queue's feeder-thread
               start are excluded: both warm up, signal ready, and the clock
               starts when the parent releases the producer; it stops when
               the consumer has been joined.

Output: one JSON object per line on stdout, one per (workload, impl),
printed as soon as it has been measured:

  {"workload": W, "impl": I, "unit": U, "better": "lower"|"higher",
   "samples": [float, ...]}

with one sample per repeat (each a mean over many iterations).  Progress
and diagnostics go to stderr.  The exit status is non-zero on any failure,
e.g. a child process exiting with a non-zero status.
"""

import argparse
import json
import multiprocessing as mp
import multiprocessing.connection
import multiprocessing.forkserver
import multiprocessing.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import shared_memory

WARMUP = 5  # unmeasured iterations before every repeat
QUEUE_WARMUP_ITEMS = 1000
JOIN_TIMEOUT = 120.0  # seconds; a child taking longer than this has hung

# spawn and forkserver children get the parent's sys.path and re-run this
# file by path as __mp_main__, which is how they find noop.  Python 3.11's
# forkserver does not actually preload __main__ (it is never handed the
# script's path), so each forkserver child re-runs this file; preloading
# what that run imports keeps those imports out of every measured start.
FORKSERVER_PRELOAD = ["__main__", "argparse", "json", "runpy", "pkgutil"]

# Iteration counts per repeat: (full, quick).
# Python's starts are slow (milliseconds each), so the counts are sized
# to keep the whole run within its budget; tput counts are processes per
# sample, shared among the drivers.
COUNTS = {
    "spawn.fork": (100, 40),
    "spawn.forkserver": (60, 20),
    "spawn.spawn": (10, 4),
    "spawn.argv": (300, 100),
    "tput.fork": (160, 48),
    "tput.forkserver": (64, 24),
    "queue.items": (200_000, 50_000),
    "pipe.pingpong": (50_000, 5_000),
    "pipe.1mb": (300, 60),
    "listener.connect": (2000, 300),
    "shm.rw": (2000, 300),
    "shm.pipe": (200, 50),
}
PIPE_SMALL = 64
PIPE_MIB = 1024 * 1024
PIPE_WARMUP = 50
LISTEN_WARMUP = 20
SHM_BLOCK = 1024 * 1024
SHM_WARMUP = 5

WORKLOADS = ("spawn.func", "spawn.argv", "spawn.tput2", "spawn.tput8",
             "queue.tput", "pipe.pingpong", "pipe.1mb", "listener.connect",
             "shm.rw", "pool.map1", "pool.map100", "pool.mapdef")


class BenchError(Exception):
    """A benchmark step failed (bad exit status, wrong result, hang)."""


def noop():
    """Target of every measured child process: return at once."""


def log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


def emit(workload, impl, unit, better, samples):
    """Print one result line on stdout and a short summary on stderr."""
    record = {"workload": workload, "impl": impl, "unit": unit,
              "better": better, "samples": [float(s) for s in samples]}
    print(json.dumps(record), flush=True)
    median = sorted(samples)[len(samples) // 2]
    log(f"{workload} {impl}: median {median:.1f} {unit}")


def count(name, quick):
    full, small = COUNTS[name]
    return small if quick else full


# --------------------------------------------------------------------------
# spawn.func / spawn.argv: sequential per-op latency

def run_noop_process(ctx):
    p = ctx.Process(target=noop)
    p.start()
    p.join()
    if p.exitcode != 0:
        raise BenchError(f"{ctx.get_start_method()} child exited "
                         f"with {p.exitcode}")


def run_true():
    subprocess.run(["/bin/true"], check=True)


def mean_us_per_op(op, iterations):
    """Warm up, then return the mean microseconds of one call of op()."""
    for _ in range(WARMUP):
        op()
    t0 = time.perf_counter()
    for _ in range(iterations):
        op()
    return (time.perf_counter() - t0) / iterations * 1e6


def bench_spawn_func(repeats, quick):
    for method in ("fork", "forkserver", "spawn"):
        ctx = mp.get_context(method)
        n = count(f"spawn.{method}", quick)
        samples = [mean_us_per_op(lambda: run_noop_process(ctx), n)
                   for _ in range(repeats)]
        emit("spawn.func", f"py-{method}", "us", "lower", samples)


def bench_spawn_argv(repeats, quick):
    n = count("spawn.argv", quick)
    samples = [mean_us_per_op(run_true, n) for _ in range(repeats)]
    emit("spawn.argv", "py-subprocess", "us", "lower", samples)


# --------------------------------------------------------------------------
# spawn.tput2 / spawn.tput8: concurrent drivers made with os.fork()

def forget_inherited_forkserver():
    """Make this os.fork()ed process start a forkserver of its own.

    The parent's forkserver state is inherited by os.fork(), but the
    forkserver is not our child (ensure_running() would fail in waitpid),
    and every driver is meant to have its own server anyway.
    """
    fs = mp.forkserver._forkserver
    if fs._forkserver_alive_fd is not None:
        os.close(fs._forkserver_alive_fd)
    fs._forkserver_address = None
    fs._forkserver_alive_fd = None
    fs._forkserver_pid = None


def driver_main(method, iterations, ready_w, go_r):
    """Body of one driver: warm up, report ready, wait for go, run loop."""
    if method == "forkserver":
        forget_inherited_forkserver()
    ctx = mp.get_context(method)
    for _ in range(WARMUP):
        run_noop_process(ctx)
    os.write(ready_w, b"r")
    os.close(ready_w)  # the parent sees EOF once every driver is done here
    if os.read(go_r, 1) != b"g":
        raise BenchError("start signal lost")
    for _ in range(iterations):
        run_noop_process(ctx)
    if method == "forkserver":
        mp.forkserver._forkserver._stop()


def fork_driver(method, iterations, pipes):
    """Fork one driver process; it reports failure by its exit status.

    pipes is ((ready_r, ready_w), (go_r, go_w)).  The driver keeps only the
    ends it uses, so a driver or parent failure turns into EOF, not a hang.
    """
    (ready_r, ready_w), (go_r, go_w) = pipes
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        return pid
    status = 1
    try:
        os.close(ready_r)
        os.close(go_w)
        driver_main(method, iterations, ready_w, go_r)
        status = 0
    except BaseException as exc:  # report it; the exit status says it failed
        print(f"[peers] driver {os.getpid()}: {exc!r}", file=sys.stderr)
    finally:
        sys.stderr.flush()
        os._exit(status)


def read_exactly(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise BenchError("a driver died before it was ready")
        data += chunk
    return data


def wait_drivers(pids):
    failed = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            failed.append((pid, os.waitstatus_to_exitcode(status)))
    if failed:
        raise BenchError(f"drivers failed (pid, exit code): {failed}")


def tput_sample(method, drivers, iterations):
    """One repeat: return processes per second over all drivers."""
    pipes = (os.pipe(), os.pipe())
    (ready_r, ready_w), (go_r, go_w) = pipes
    pids = [fork_driver(method, iterations, pipes) for _ in range(drivers)]
    os.close(ready_w)  # so a dead driver shows up as EOF, not a hang
    os.close(go_r)
    try:
        read_exactly(ready_r, drivers)
        t0 = time.perf_counter()
        os.write(go_w, b"g" * drivers)
    finally:
        os.close(go_w)  # released, or EOF for all on failure
        os.close(ready_r)
        wait_drivers(pids)
    wall = time.perf_counter() - t0
    return drivers * iterations / wall


def bench_spawn_tput(drivers, repeats, quick):
    # Make multiprocessing's temporary directory (forkserver sockets go there)
    # now, so the drivers share it and this process removes it at exit; a
    # driver leaves by os._exit() and would leave its own behind.
    mp.util.get_temp_dir()
    for method in ("fork", "forkserver"):
        iterations = max(1, count(f"tput.{method}", quick) // drivers)
        samples = [tput_sample(method, drivers, iterations)
                   for _ in range(repeats)]
        emit(f"spawn.tput{drivers}", f"py-{method}", "procs/s", "higher",
             samples)


# --------------------------------------------------------------------------
# queue.tput: one producer, one consumer, unbounded mp.Queue

def producer(q, ready, go, items):
    for i in range(QUEUE_WARMUP_ITEMS):
        q.put(i)
    ready.wait()
    go.wait()
    for i in range(items):
        q.put(i)
    q.put(None)


def consumer(q, ready, items):
    for _ in range(QUEUE_WARMUP_ITEMS):
        q.get()
    ready.wait()
    got = total = 0
    while (item := q.get()) is not None:
        got += 1
        total += item
    if got != items or total != items * (items - 1) // 2:
        print(f"[peers] consumer: got {got} items summing to {total}, "
              f"expected {items}", file=sys.stderr)
        sys.exit(1)


def join_checked(p, name):
    p.join(JOIN_TIMEOUT)
    if p.exitcode is None:
        p.terminate()
        p.join()
        raise BenchError(f"{name} hung")
    if p.exitcode != 0:
        raise BenchError(f"{name} exited with {p.exitcode}")


def queue_sample(items):
    """One repeat: return items per second through the queue."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ready = ctx.Barrier(3)
    go = ctx.Event()
    prod = ctx.Process(target=producer, args=(q, ready, go, items))
    cons = ctx.Process(target=consumer, args=(q, ready, items))
    prod.start()
    cons.start()
    try:
        ready.wait(JOIN_TIMEOUT)
        t0 = time.perf_counter()
        go.set()
        join_checked(cons, "consumer")
        wall = time.perf_counter() - t0
    finally:
        if cons.is_alive():
            cons.terminate()
        join_checked(prod, "producer")
    return items / wall


def bench_queue_tput(repeats, quick):
    items = count("queue.items", quick)
    samples = [queue_sample(items) for _ in range(repeats)]
    emit("queue.tput", "py-queue", "items/s", "higher", samples)


# --------------------------------------------------------------------------
# pipe.pingpong / pipe.1mb: multiprocessing.Pipe() between two processes

def pipe_echo(conn, n):
    for _ in range(n):
        conn.send_bytes(conn.recv_bytes())


def pipe_sink(conn, n):
    for _ in range(n):
        conn.recv_bytes()
    conn.send_bytes(b"k")


def pipe_sample(n, pingpong):
    """One repeat: the seconds n round trips (or n 1 MiB messages one
    way and the acknowledgement) take, after unmeasured warm-up ones."""
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe()
    warm = PIPE_WARMUP if pingpong else 2
    msg = b"x" * (PIPE_SMALL if pingpong else PIPE_MIB)
    child = ctx.Process(target=pipe_echo if pingpong else pipe_sink,
                        args=(theirs, warm + n))
    child.start()
    theirs.close()
    try:
        for _ in range(warm):
            mine.send_bytes(msg)
            if pingpong:
                mine.recv_bytes()
        t0 = time.perf_counter()
        for _ in range(n):
            mine.send_bytes(msg)
            if pingpong:
                mine.recv_bytes()
        if not pingpong:
            mine.recv_bytes()
        wall = time.perf_counter() - t0
    finally:
        join_checked(child, "pipe child")
        mine.close()
    return wall


def bench_pipe(name, repeats, quick):
    n = count(name, quick)
    if name == "pipe.pingpong":
        samples = [pipe_sample(n, True) / n * 1e6 for _ in range(repeats)]
        emit(name, "py-pipe", "us", "lower", samples)
    else:
        samples = [n / pipe_sample(n, False) for _ in range(repeats)]
        emit(name, "py-pipe", "xfer/s", "higher", samples)


# --------------------------------------------------------------------------
# listener.connect: multiprocessing.connection Listener / Client, AF_UNIX

def listener_acceptor(path, n, ready):
    with mp.connection.Listener(path, family="AF_UNIX", authkey=None) as lst:
        ready.send_bytes(b"r")
        for _ in range(n):
            with lst.accept() as conn:
                conn.recv_bytes()
                conn.send_bytes(b"a")


def listener_sample(n):
    """One repeat: the median microseconds of n connections (connect,
    a 1-byte message each way, close), after unmeasured warm-up ones."""
    ctx = mp.get_context("fork")
    tmp = tempfile.mkdtemp(prefix="mpd-bench-py.")
    path = os.path.join(tmp, "l")
    ready, theirs = ctx.Pipe()
    child = ctx.Process(target=listener_acceptor,
                        args=(path, LISTEN_WARMUP + n, theirs))
    child.start()
    theirs.close()
    each = []
    try:
        if not ready.poll(JOIN_TIMEOUT):
            raise BenchError("the acceptor did not start")
        ready.recv_bytes()
        for i in range(LISTEN_WARMUP + n):
            t0 = time.perf_counter()
            conn = mp.connection.Client(path, family="AF_UNIX", authkey=None)
            conn.send_bytes(b"c")
            conn.recv_bytes()
            conn.close()
            if i >= LISTEN_WARMUP:
                each.append(time.perf_counter() - t0)
    finally:
        join_checked(child, "acceptor")
        ready.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return statistics.median(each) * 1e6


def bench_listener(repeats, quick):
    n = count("listener.connect", quick)
    samples = [listener_sample(n) for _ in range(repeats)]
    emit("listener.connect", "py-listener", "us", "lower", samples)


# --------------------------------------------------------------------------
# shm.rw: shared_memory.SharedMemory signalled through a Pipe, and the Pipe
# alone

def shm_reader(name, conn, n):
    # Python 3.11 registers an attached segment with the resource tracker
    # too; a forked child shares its parent's tracker, which keeps names
    # in a set, so the parent's unlink leaves nothing registered.
    shm = shared_memory.SharedMemory(name=name)
    try:
        for i in range(n):
            conn.recv_bytes()
            data = bytes(shm.buf[:SHM_BLOCK])
            if int.from_bytes(data[:8], "little") != i:
                raise BenchError(f"block {i} read as another")
            conn.send_bytes(b"r")
    finally:
        shm.close()


def pipe_reader(conn, n):
    for i in range(n):
        data = conn.recv_bytes()
        if len(data) != SHM_BLOCK or int.from_bytes(data[:8], "little") != i:
            raise BenchError(f"block {i} read as another")
        conn.send_bytes(b"r")


def shm_sample(n, use_shm):
    """One repeat: 1 MiB blocks a second from this process to a child,
    each answered before the next, after unmeasured warm-up ones."""
    ctx = mp.get_context("fork")
    mine, theirs = ctx.Pipe()
    block = bytearray(b"x" * SHM_BLOCK)
    shm = shared_memory.SharedMemory(create=True, size=SHM_BLOCK) \
        if use_shm else None
    try:
        if use_shm:
            child = ctx.Process(target=shm_reader,
                                args=(shm.name, theirs, SHM_WARMUP + n))
        else:
            child = ctx.Process(target=pipe_reader,
                                args=(theirs, SHM_WARMUP + n))
        child.start()
        theirs.close()
        try:
            for i in range(SHM_WARMUP + n):
                if i == SHM_WARMUP:
                    t0 = time.perf_counter()
                block[:8] = i.to_bytes(8, "little")
                if use_shm:
                    shm.buf[:SHM_BLOCK] = block
                    mine.send_bytes(b"w")
                else:
                    mine.send_bytes(block)
                mine.recv_bytes()
            wall = time.perf_counter() - t0
        finally:
            join_checked(child, "reader")
            mine.close()
    finally:
        if shm is not None:
            shm.close()
            shm.unlink()
    return n / wall


def bench_shm(repeats, quick):
    n = count("shm.rw", quick)
    samples = [shm_sample(n, True) for _ in range(repeats)]
    emit("shm.rw", "py-shm", "xfer/s", "higher", samples)
    n = count("shm.pipe", quick)
    samples = [shm_sample(n, False) for _ in range(repeats)]
    emit("shm.rw", "py-pipe", "xfer/s", "higher", samples)


# --------------------------------------------------------------------------

# --------------------------------------------------------------------------
# pool.map*: Pool.map of tiny tasks

def identity(x):
    """The task of the pool.map workloads."""
    return x


POOL_CHUNKS = {"pool.map1": 1, "pool.map100": 100, "pool.mapdef": None}


def bench_pool_map(name, repeats, quick):
    n = 20_000 if quick else 100_000
    chunksize = POOL_CHUNKS[name]
    samples = []
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(identity, range(8), chunksize=1)  # both workers up
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = pool.map(identity, range(n), chunksize=chunksize)
            t = time.perf_counter() - t0
            if len(out) != n or out[-1] != n - 1:
                raise BenchError(f"{name}: wrong results")
            samples.append(n / t)
    emit(name, "py-pool", "tasks/s", "higher", samples)


def run_workload(name, repeats, quick):
    if name == "spawn.func":
        bench_spawn_func(repeats, quick)
    elif name == "spawn.argv":
        bench_spawn_argv(repeats, quick)
    elif name == "spawn.tput2":
        bench_spawn_tput(2, repeats, quick)
    elif name == "spawn.tput8":
        bench_spawn_tput(8, repeats, quick)
    elif name == "queue.tput":
        bench_queue_tput(repeats, quick)
    elif name in ("pipe.pingpong", "pipe.1mb"):
        bench_pipe(name, repeats, quick)
    elif name == "listener.connect":
        bench_listener(repeats, quick)
    elif name == "shm.rw":
        bench_shm(repeats, quick)
    elif name in POOL_CHUNKS:
        bench_pool_map(name, repeats, quick)


def workload_list(text):
    """Split --only; names this peer has no workload for are skipped.

    bench/run.py passes its own --only list on unchanged, and it names
    workloads (queue.rtt, counter.*, mem.*) that only mpd-bench runs.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in WORKLOADS:
            log(f"no Python peer for {name}; skipped")
    return [n for n in WORKLOADS if n in names]


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Python multiprocessing peer for the mpd benchmark; "
                    "prints one JSON line per (workload, impl) on stdout.")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats and iterations (< 20 s)")
    parser.add_argument("--repeats", type=positive_int, default=None,
                        help="samples per (workload, impl) "
                             "(default 5, quick 3)")
    parser.add_argument("--only", type=workload_list, default=list(WORKLOADS),
                        metavar="WORKLOAD[,WORKLOAD...]",
                        help=f"run only these of {', '.join(WORKLOADS)} "
                             "(other names are skipped)")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    return args


def main(argv=None):
    args = parse_args(argv)
    mp.set_forkserver_preload(FORKSERVER_PRELOAD)
    t0 = time.perf_counter()
    try:
        for name in args.only:
            log(f"running {name} ({args.repeats} repeats"
                f"{', quick' if args.quick else ''})")
            run_workload(name, args.repeats, args.quick)
    except (BenchError, subprocess.CalledProcessError) as exc:
        log(f"FAILED: {exc}")
        return 1
    log(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
