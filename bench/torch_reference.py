#!/usr/bin/env python3
"""Runs the PyTorch reference of the nn benchmark for `npm run bench -- --only nn --compare-torch`.

The reference itself is ../shared/reference/torch_stgcn_bench.py (read-only shared material): this
wrapper loads it with runpy and runs its own main() (architectures, loss, timed steps unchanged),
only replacing its timer loop `rate` by one that warms up and repeats the script's own measurement
until two rounds agree within 10% (at most 5 rounds). The environment (OPENBLAS_* / OMP_* thread
counts, OPENBLAS_CORETYPE unset) is set by the bench for this process; this script only reports.

  --info      one JSON line: torch's version and build BLAS, the library libblas.so.3 resolved to in
              this process, and OpenBLAS's own config, core type and threading when it is OpenBLAS
  --losses    one JSON line: losses of 3 seeded Adam steps of each reference model (batch 8), to
              check that the environment changes speed only, not the function
  (default)   the reference's rows, each preceded by a {"wrapper": "rate", ...} line with its rounds

Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse, ctypes, json, os, runpy, sys, time

import torch


def blas_info():
    torch.mm(torch.ones(16, 16), torch.ones(16, 16))
    with open("/proc/self/maps") as f:
        mapped = sorted({line.split()[-1] for line in f if "/" in line and ("blas" in line.lower() or "lapack" in line.lower())})
    libblas = next((p for p in mapped if os.path.basename(p).startswith("libblas.so")), None)
    info = {
        "torchVersion": torch.__version__,
        "buildBlas": next((part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ").split() if part.startswith("BLAS_INFO=")), "unknown"),
        "libblas": libblas,
        "libblasTarget": os.path.realpath(libblas) if libblas else None,
        "mapped": mapped,
        "openblas": None,
        "torchThreads": torch.get_num_threads(),
    }
    for path in mapped:
        try:
            lib = ctypes.CDLL(path)
            config = lib.openblas_get_config
        except (OSError, AttributeError):
            continue
        config.restype = ctypes.c_char_p
        core = lib.openblas_get_corename
        core.restype = ctypes.c_char_p
        info["openblas"] = {
            "config": config().decode(),
            "core": core().decode(),
            "threads": lib.openblas_get_num_threads(),
            "parallel": {0: "sequential", 1: "pthread", 2: "openmp"}.get(lib.openblas_get_parallel(), "unknown"),
            "library": path,
        }
        break
    return info


def losses(g):
    """3 Adam steps of each reference model on seeded data: the losses before each step."""
    torch.manual_seed(1)
    A, T, kt = g["spatial_partition"](), 75, 9
    out = {}
    clf = g["Classifier"](kt, A)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
    x, y = torch.randn(8, 3, T, 16), torch.randint(0, 4, (8,))
    vals = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(clf(x), y)
        loss.backward()
        opt.step()
        vals.append(loss.item())
    out["classifier"] = vals
    vae = g["CVAE"](kt, A, T)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    oh = torch.nn.functional.one_hot(torch.randint(0, 4, (8,)), 4).float()
    vals = []
    for _ in range(3):
        torch.manual_seed(2)  # the reparameterisation noise
        opt.zero_grad()
        yhat, mu, logvar = vae(x, oh)
        loss = g["push_pull_loss"](x, yhat, mu, logvar)
        loss.backward()
        opt.step()
        vals.append(loss.item())
    out["cvae"] = vals
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--script", required=True)
    p.add_argument("--info", action="store_true")
    p.add_argument("--losses", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cpu-clock", action="store_true", help="time on the process's CPU clock (time.process_time)")
    p.add_argument("--onednn-off-classifier-train", action="store_true",
                   help="oneDNN off for the first two timed phases (classifier training): Debian's torch 1.13 crashes in "
                        "oneDNN's backward of the stride-2, kernel-75 convolution of the step-paper classifier")
    p.add_argument("--max-rounds", type=int, default=5)
    p.add_argument("--tolerance", type=float, default=0.10)
    args, rest = p.parse_known_args()
    torch.set_num_threads(args.threads)
    if args.info:
        print(json.dumps(blas_info()), flush=True)
        return
    if args.cpu_clock:
        time.perf_counter = time.process_time
    sys.argv = [args.script, "--threads", str(args.threads), *rest]
    g = runpy.run_path(args.script, run_name="reference")
    if args.losses:
        print(json.dumps({"wrapper": "losses", **losses(g)}), flush=True)
        return
    inner = g["main"].__globals__["rate"]
    calls = [0]

    def rate(fn, samples, seconds):
        """The script's own rate(), repeated until two consecutive rounds agree within the tolerance."""
        calls[0] += 1
        if args.onednn_off_classifier_train:
            torch.backends.mkldnn.enabled = calls[0] > 2
        t0 = time.perf_counter()  # warm-up: at least 1 s and 3 calls (allocator, oneDNN primitives, OpenBLAS buffers)
        for k in range(1000):
            fn()
            if k >= 2 and time.perf_counter() - t0 >= 1.0:
                break
        rounds = []
        while len(rounds) < args.max_rounds:
            rounds.append(inner(fn, samples, seconds))
            if len(rounds) >= 2 and max(rounds[-2:]) <= (1 + args.tolerance) * min(rounds[-2:]):
                break
        stable = len(rounds) >= 2 and max(rounds[-2:]) <= (1 + args.tolerance) * min(rounds[-2:])
        value = sum(rounds[-2:]) / 2 if stable else sorted(rounds)[len(rounds) // 2]
        print(json.dumps({"wrapper": "rate", "rounds": rounds, "stable": stable, "samples_per_s": value}), flush=True)
        return value

    g["main"].__globals__["rate"] = rate  # run_path returns a copy of the module's globals
    g["main"]()


if __name__ == "__main__":
    main()
