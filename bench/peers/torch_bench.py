#!/usr/bin/env python3
"""PyTorch peer for rnnkit's benchmark (`npm run bench -- --peers` spawns it; it also runs alone).

Times the shared BENCH.md workloads W1-W6 with the shapes, losses and optimizers of
bench/workloads.ts, built from nn.RNN / nn.LSTM / nn.GRU + nn.Linear, and prints one JSON
line per measurement with the keys of BENCH.md (impl "pytorch").

    /usr/bin/python3 bench/peers/torch_bench.py --workload W1,W3 --threads 1 --seconds 2 \
        --coretype SkylakeX [--blas-dir DIR]
    /usr/bin/python3 bench/peers/torch_bench.py --probe   # one JSON line: torch version and BLAS

Thread and BLAS settings are read by OpenMP and OpenBLAS when their libraries load, so the
script puts OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = --threads, OPENBLAS_CORETYPE (only for
--coretype SkylakeX) and LD_LIBRARY_PATH (--blas-dir, a folder holding OpenBLAS's libblas.so.3)
in its environment and re-executes itself before torch is imported. torch.set_num_threads alone
does not limit the pthread OpenBLAS (see shared/PEERS.md).

Deliberately not here: W1's "rnn" is tanh, because nn.RNN has no sigmoid (same cost per step;
the line says so in "note"). Speed is only measured, never asserted.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time

WORKLOAD_IDS = ["W1", "W2", "W3", "W4", "W5", "W6"]
REEXEC_MARK = "RNNKIT_TORCH_BENCH_REEXEC"


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch peer for rnnkit's benchmark workloads")
    p.add_argument("--workload", default=",".join(WORKLOAD_IDS), help="comma list of W1..W6")
    p.add_argument("--threads", type=int, default=1, help="intra-op, OpenMP and OpenBLAS threads")
    p.add_argument("--seconds", type=float, default=2.0, help="least timed seconds per measurement")
    p.add_argument("--coretype", choices=["SkylakeX", "default"], default="SkylakeX",
                   help="SkylakeX sets OPENBLAS_CORETYPE=SkylakeX; default leaves OpenBLAS's own detection")
    p.add_argument("--blas-dir", default=None,
                   help="folder put first on LD_LIBRARY_PATH (e.g. an unpacked libopenblas0-pthread)")
    p.add_argument("--probe", action="store_true", help="print torch's version and BLAS as one JSON line and exit")
    return p.parse_args()


def wanted_env(args):
    """The environment the libraries must see when they load."""
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(args.threads)
    env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    env["MKL_NUM_THREADS"] = str(args.threads)
    if args.coretype == "SkylakeX":
        env["OPENBLAS_CORETYPE"] = "SkylakeX"
    else:
        env.pop("OPENBLAS_CORETYPE", None)
    if args.blas_dir:
        old = env.get("LD_LIBRARY_PATH", "")
        if old.split(":")[0] != args.blas_dir:
            env["LD_LIBRARY_PATH"] = args.blas_dir + (":" + old if old else "")
    return env


def ensure_env(args):
    """Re-executes this script once when the environment differs from what the libraries need."""
    env = wanted_env(args)
    keys = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "LD_LIBRARY_PATH"]
    if all(os.environ.get(k) == env.get(k) for k in keys):
        return
    if os.environ.get(REEXEC_MARK):
        sys.exit("torch_bench: environment still differs after re-executing; giving up")
    env[REEXEC_MARK] = "1"
    # orig_argv keeps the interpreter's own flags (python3 -S …), which argv drops.
    argv = getattr(sys, "orig_argv", [sys.executable] + sys.argv)
    os.execve(sys.executable, [sys.executable] + argv[1:], env)


def blas_info():
    """Which BLAS library torch loaded: OpenBLAS (with the core it chose) or another one."""
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) and ".so" in path:
                paths.add(path)
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            corename = lib.openblas_get_corename
            config = lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        config.restype = ctypes.c_char_p
        return {"blas": "openblas", "blas_core": corename().decode(), "blas_config": config().decode().strip(),
                "blas_path": path}
    # Debian's python3-torch links libblas.so.3: without libopenblas0 that is the reference (netlib) BLAS.
    return {"blas": "reference", "blas_core": None, "blas_config": None,
            "blas_path": ",".join(sorted(paths)) or None}


def sig4(x):
    """Four significant digits, as the TypeScript harness's +x.toPrecision(4) (whole numbers print as ints)."""
    y = float(f"{x:.4g}")
    return int(y) if y.is_integer() else y


def build_workloads(torch):
    """Returns (id, model, batch, unit, min_steps, warmup, variant, note, build) rows; build() -> step."""
    nn = torch.nn
    F = torch.nn.functional

    def one_hot_seq(T, B, V):
        return F.one_hot(torch.randint(0, V, (T, B)), V).float()

    def w1(cell):
        def build():
            x = torch.randn(10, 800, 1)
            y = torch.randn(800, 1)
            rec = nn.LSTM(1, 4) if cell == "lstm" else nn.RNN(1, 4, nonlinearity="tanh")
            head = nn.Linear(4, 1)
            opt = torch.optim.Adam(list(rec.parameters()) + list(head.parameters()), lr=0.1)

            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = rec(x)
                F.mse_loss(head(out[-1]), y).backward()
                opt.step()
            return step
        note = None if cell == "lstm" else "tanh RNN (nn.RNN has no sigmoid; rnnkit's W1 rnn is sigmoid)"
        return ("W1", cell, 800, "ms", 50, 5, None, note, build)

    def w2():
        def build():
            x = one_hot_seq(10, 200, 2)
            targets = torch.randint(0, 2, (10 * 200,))
            rnn = nn.RNN(2, 16)
            head = nn.Linear(16, 2)
            opt = torch.optim.Adagrad(list(rnn.parameters()) + list(head.parameters()), lr=0.1)

            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = rnn(x)
                F.cross_entropy(head(out).reshape(-1, 2), targets).backward()
                opt.step()
            return step
        return ("W2", "rnn", 200, "ms", 50, 5, None, None, build)

    def w3(cell):
        def build():
            x = torch.randn(28, 150, 28)
            targets = torch.randint(0, 10, (150,))
            rec = nn.RNN(28, 150) if cell == "rnn" else nn.GRU(28, 150)
            head = nn.Linear(150, 10)
            opt = torch.optim.Adam(list(rec.parameters()) + list(head.parameters()), lr=1e-3)

            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = rec(x)
                F.cross_entropy(head(out[-1]), targets).backward()
                opt.step()
            return step
        return ("W3", cell, 150, "ms", 10, 2, None, None, build)

    def w4(cell):
        def build():
            V = 65
            x = one_hot_seq(50, 50, V)
            targets = torch.randint(0, V, (50 * 50,))
            rec = nn.LSTM(V, 128, num_layers=2) if cell == "lstm" else nn.GRU(V, 128, num_layers=2)
            head = nn.Linear(128, V)
            opt = torch.optim.Adam(list(rec.parameters()) + list(head.parameters()), lr=2e-3)

            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = rec(x)
                F.cross_entropy(head(out).reshape(-1, V), targets).backward()
                opt.step()
            return step
        return ("W4", cell, 50, "ms", 3, 1, None, None, build)

    def w5():
        def build():
            x = torch.randn(64, 64, 256)
            y = torch.randn(64, 64, 512)
            lstm = nn.LSTM(256, 512)
            opt = torch.optim.Adam(lstm.parameters(), lr=1e-3)

            def step():
                opt.zero_grad(set_to_none=True)
                out, _ = lstm(x)
                F.mse_loss(out, y).backward()
                opt.step()
            return step
        return ("W5", "lstm", 64, "ms", 1, 1, None, None, build)

    def w6(variant):
        def build():
            if variant == "lstmcell":
                cell = nn.LSTMCell(32, 128)
                x = torch.randn(1, 32)
                state = [(torch.zeros(1, 128), torch.zeros(1, 128))]

                def step():
                    with torch.inference_mode():
                        state[0] = cell(x, state[0])
                return step
            lstm = nn.LSTM(32, 128)
            x = torch.randn(1, 1, 32)
            state = [(torch.zeros(1, 1, 128), torch.zeros(1, 1, 128))]

            def step():
                with torch.inference_mode():
                    _, state[0] = lstm(x, state[0])
            return step
        return ("W6", "lstm", 1, "us", 2000, 200, variant, None, build)

    return [w1("lstm"), w1("rnn"), w2(), w3("rnn"), w3("gru"), w4("lstm"), w4("gru"), w5(),
            w6("lstmcell"), w6("lstm-seq1")]


def measure(build, unit, min_steps, warmup, seconds):
    """Warm-up, then at least min_steps and at least `seconds` of individually timed steps."""
    step = build()
    slow = False
    for i in range(warmup):
        t0 = time.perf_counter()
        step()
        # A step over a second (W5 on the reference BLAS): one warm-up and one timed step suffice.
        if time.perf_counter() - t0 > 1.0:
            slow = True
            break
    need = 1 if slow else min_steps
    times = []
    start = time.perf_counter()
    while len(times) < need or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if len(times) >= need and len(times) >= 100000:
            break
    scale = 1e6 if unit == "us" else 1e3
    return [t * scale for t in times]


def main():
    args = parse_args()
    ensure_env(args)
    try:
        import torch
    except ImportError as err:
        print(f"torch_bench: cannot import torch ({err}); apt-get install python3-torch", file=sys.stderr)
        sys.exit(3)
    info = blas_info()
    if args.probe:
        print(json.dumps({"torch": torch.__version__, **info}))
        return
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1234)
    if info["blas"] == "openblas":
        backend = "openblas-skylakex" if args.coretype == "SkylakeX" else "openblas-default"
    else:
        backend = "blas-reference"
        if args.coretype == "SkylakeX":
            print("torch_bench: torch's BLAS is not OpenBLAS, so --coretype SkylakeX means nothing here "
                  "(apt-get install libopenblas0-pthread, or --blas-dir)", file=sys.stderr)
    wanted = [w.strip().upper() for w in args.workload.split(",") if w.strip()]
    bad = [w for w in wanted if w not in WORKLOAD_IDS]
    if bad:
        sys.exit(f"torch_bench: unknown workload(s) {', '.join(bad)}; known: W1..W6")
    for wid, model, batch, unit, min_steps, warmup, variant, note, build in build_workloads(torch):
        if wid not in wanted:
            continue
        times = measure(build, unit, min_steps, warmup, args.seconds)
        med = statistics.median(times)
        line = {"workload": wid, "model": model, "impl": "pytorch", "backend": backend, "threads": args.threads}
        line["us_per_step" if unit == "us" else "ms_per_step"] = sig4(med)
        per_second = 1e6 if unit == "us" else 1e3
        line.update({"min": sig4(min(times)), "max": sig4(max(times)),
                     "samples_per_s": sig4(batch * per_second / med), "steps": len(times)})
        if variant:
            line["variant"] = variant
        if note:
            line["note"] = note
        line.update({"version": torch.__version__, "blas_core": info["blas_core"]})
        if os.environ.get("OMP_WAIT_POLICY"):
            line["omp_wait_policy"] = os.environ["OMP_WAIT_POLICY"]
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
