#!/usr/bin/python3
"""Benchmark driver behind scripts/bench (run that, it installs what this needs).

  bench_run.py gen DIR                 synthetic heavy-tailed layers + a GPT-2-small-shaped model
  bench_run.py baseline svd|eigh FILE  time the Python baselines on every 2-D tensor of FILE
  bench_run.py run DIR BUILD [--quick] time everything, print the table

Every measurement runs in its own process under /usr/bin/time, so 'peak MB' is that process's
maximum resident set (it includes reading the file: one tensor or the whole model).
"""
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

SHAPES = [(768, 3072), (4096, 4096), (4096, 11008)]
GPT2_BLOCK = [("attn.c_attn.weight", (768, 2304)), ("attn.c_proj.weight", (768, 768)),
              ("mlp.c_fc.weight", (768, 3072)), ("mlp.c_proj.weight", (3072, 768))]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def heavy_tailed(rows, cols, rng):
    """Gaussian bulk (variance 1/cols) plus 32 rank-one spikes with power-law strengths, the
    shape of a trained layer's ESD (MP bulk + heavy tail)."""
    w = rng.standard_normal((rows, cols), dtype=np.float32) / np.float32(np.sqrt(cols))
    r = 32
    u = rng.standard_normal((rows, r)).astype(np.float32) / np.float32(np.sqrt(rows))
    v = rng.standard_normal((r, cols)).astype(np.float32) / np.float32(np.sqrt(cols))
    s = (8.0 * (1.0 + np.arange(r)) ** -0.75).astype(np.float32)  # tail exponent ~ 1 + 1/0.75
    w += (u * s) @ v
    return w


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, a in tensors:
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for _, a in tensors:
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())
    os.replace(path + ".tmp", path)


def read_matrices(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        base = 8 + n
    data = np.memmap(path, dtype=np.uint8, mode="r")
    for name, t in header.items():
        if name == "__metadata__" or len(t["shape"]) != 2:
            continue
        b, e = t["data_offsets"]
        yield np.frombuffer(data[base + b:base + e], dtype="<f4").reshape(t["shape"])


def gen(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240601)
    for r, c in SHAPES:
        p = os.path.join(d, f"layer_{r}x{c}.safetensors")
        if not os.path.exists(p):
            write_safetensors(p, [("layer.weight", heavy_tailed(r, c, rng))])
    p = os.path.join(d, "gpt2_small_shaped.safetensors")
    if not os.path.exists(p):
        write_safetensors(p, [(f"h.{i}.{n}", heavy_tailed(*s, rng)) for i in range(12) for n, s in GPT2_BLOCK])


def baseline(kind, path):
    import scipy.linalg
    seconds = 0.0
    for w in read_matrices(path):
        w64 = w.astype(np.float64)  # the reference analyzes float64 copies of the weights
        t = time.perf_counter()
        if kind == "svd":
            scipy.linalg.svd(w64, compute_uv=False)
        else:  # Gram of the smaller side, then eigvalsh
            x = w64.T @ w64 if w64.shape[0] >= w64.shape[1] else w64 @ w64.T
            np.linalg.eigvalsh(x)
        seconds += time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def timed(cmd, env=None, inner=False):
    """Runs cmd under /usr/bin/time; returns (seconds, peak MB, parsed JSON line or None) or an error string.
    inner: take seconds from the command's own JSON (eigenvalue time without file loading)."""
    tf = "/tmp/ws-bench-time.txt"
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + cmd, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    wall = time.perf_counter() - t
    if p.returncode != 0:
        return f"failed ({(p.stderr.strip().splitlines() or ['exit %d' % p.returncode])[-1][:80]})"
    out = None
    for line in p.stdout.splitlines()[::-1]:
        if line.startswith("{"):
            out = json.loads(line)
            break
    with open(tf) as f:
        peak = int(f.read().split()[-1]) / 1024
    secs = out["seconds"] if inner and out else wall
    return secs, peak, out, p.stderr


def machine_peak():
    mhz = [float(l.split(":")[1]) for l in open("/proc/cpuinfo") if l.startswith("cpu MHz")]
    cores = os.cpu_count() or 1
    ghz = (max(mhz) if mhz else 2600.0) / 1000
    flags = open("/proc/cpuinfo").read()
    # DP flops per cycle per core: Zen4 AVX-512 = 2 FMA pipes x 4 doubles x 2 = 16; AVX2 FMA the same on Zen;
    # SSE2 without FMA: 4.
    per_cycle = 16 if (" avx512f" in flags or " fma" in flags) else 4
    return cores * ghz * per_cycle, f"{cores} cores x {ghz:.2f} GHz (cpuinfo) x {per_cycle} DP flops/cycle"


def run(d, build, quick):
    gen(d)
    cases = [f"layer_{r}x{c}" for r, c in SHAPES if not (quick and c == 11008)] + ["gpt2_small_shaped"]
    peak, peak_text = machine_peak()
    cli = os.path.join(build, "weightscope")
    tool = os.path.join(build, "bench_eigenvalues")
    wasm_ok = {v: os.path.exists(os.path.join(ROOT, f"build-wasm-{v}", "web", f"weightscope-{v}.wasm")) for v in ("mt", "st")}
    print(f"machine peak assumed: {peak:.0f} GFLOP/s double ({peak_text})")
    print("times in seconds; ratio = weightscope / baseline; peak = max resident MB of that process\n")
    rows = []
    for case in cases:
        f = os.path.join(d, case + ".safetensors")
        res = {}
        res["eigen"] = timed([tool, f], env={"WS_SPECTRUM_TIMING": "1"}, inner=True)
        res["cli"] = (timed([cli, "analyze", f, "--json", "/tmp/ws-bench-report.json", "--no-spectra", "--quiet"])
                      if os.path.exists(cli) else "not built")
        for v, threads in (("mt", 2), ("st", 1)):
            res["wasm-" + v] = (timed(["node", os.path.join(ROOT, "scripts", "bench_wasm.mjs"), v, f, str(threads)])
                                if wasm_ok[v] else f"not built (scripts/build-wasm -> build-wasm-{v}/)")
        res["scipy-svd"] = timed([sys.executable, __file__, "baseline", "svd", f], inner=True)
        res["numpy-eigh"] = timed([sys.executable, __file__, "baseline", "eigh", f], inner=True)
        rows.append((case, res))
        print_case(case, res, peak)
    return rows


def print_case(case, res, peak):
    base = {k: res[k][0] for k in ("scipy-svd", "numpy-eigh") if not isinstance(res[k], str)}
    print(f"== {case}")
    for k, r in res.items():
        if isinstance(r, str):
            print(f"  {k:11s} {r}")
            continue
        secs, mb, out, _ = r
        line = f"  {k:11s} {secs:8.2f} s  peak {mb:7.0f} MB"
        if k not in base:
            line += "".join(f"  {secs / b:5.2f}x {n}" for n, b in base.items())
        if k == "eigen" and out:
            line += f"  {out['flops'] / secs / 1e9:6.1f} GFLOP/s ({100 * out['flops'] / secs / 1e9 / peak:.0f}% of peak)"
        print(line)
    if not isinstance(res["eigen"], str):
        phases = [l for l in res["eigen"][3].splitlines() if l.startswith("spectrum")]
        if len(phases) <= 3:
            for l in phases:
                print("    " + l)
    sys.stdout.flush()


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "baseline":
        baseline(sys.argv[2], sys.argv[3])
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3], "--quick" in sys.argv)
    else:
        sys.exit(__doc__)
