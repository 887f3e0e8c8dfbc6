#!/usr/bin/python3
"""Benchmark driver behind scripts/bench (run that, it installs what this needs).

  bench_run.py gen DIR [--quick]          synthetic models: Student-t(3) entries
  bench_run.py baseline svd|eigh PATH     time a Python baseline on every 2-D tensor of PATH
  bench_run.py run DIR BUILD [--quick] [--profile]   time everything, print the tables

Per case, in one run, side by side: the native CLI (--timings: seconds per phase of each layer),
the wasm build in node (the same phases, as the page's worker computes them), the real page in
headless Chromium (scripts/bench_page.mjs: worker start and compile, the worker's wasm steps,
JSON, the transfer to the page and the rendering), and where a target needs one, the Python
baseline: scipy's float64 SVD plus the reference's power-law fit, or numpy's Gram + eigvalsh.
Each measurement is its own process; native peak memory is /usr/bin/time -v's maximum RSS.
"""
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = [os.path.join(ROOT, "tests/data/fixtures", f) for f in
            ("nsfwjs_mobilenet_v2.safetensors", "nsfwjs_mobilenet_v2_bf16.safetensors",
             "nsfwjs_mobilenet_v2_f16.safetensors")] + [os.path.join(ROOT, "web/demo/ppocrv4_rec.safetensors")]
LLAMA_BLOCK = [("self_attn.q_proj", (4096, 4096)), ("self_attn.k_proj", (4096, 4096)),
               ("self_attn.v_proj", (4096, 4096)), ("self_attn.o_proj", (4096, 4096)),
               ("mlp.gate_proj", (11008, 4096)), ("mlp.up_proj", (11008, 4096)), ("mlp.down_proj", (4096, 11008))]
LLAMA_SHARDS = [LLAMA_BLOCK[:5], LLAMA_BLOCK[5:]]  # attention + gate, then up + down
TARGETS = {"page/native": 1.5, "llama native/scipy": 0.12, "llama page/scipy": 0.30, "4096 native/numpy": 0.5,
           "4096 vectors/eigenvalues": 3.0}


# --- Synthetic models ---------------------------------------------------------------------------

def student_t(shape, rng):
    """Student-t(3) entries scaled to variance 1/fan_in: heavy-tailed like trained weights."""
    fan_in = int(np.prod(shape[1:]))
    out = np.empty(shape, dtype=np.float32)
    flat = out.reshape(shape[0], -1)
    for r in range(0, shape[0], 1024):  # rows in blocks: float64 draws of a whole 11008 x 4096 are 360 MB
        block = rng.standard_t(3, size=flat[r:r + 1024].shape) / np.sqrt(3.0 * fan_in)
        flat[r:r + 1024] = block
    return out


def bf16_bytes(a):
    """float32 -> bfloat16, round to nearest even, as little-endian bytes."""
    u = np.ascontiguousarray(a, dtype="<f4").view("<u4")
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2").tobytes()


def write_safetensors(path, tensors, dtype="F32"):
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        blob = bf16_bytes(a) if dtype == "BF16" else np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)
    return header


def conv150_shapes():
    """150 conv layers, ResNet-style bottlenecks (1x1 reduce, 3x3, 1x1 expand) over four stages:
    19 M parameters, M up to 256 (a 3x3 conv's 9 slices each 256 x 256)."""
    shapes = []
    for stage, (c, blocks) in enumerate([(32, 12), (64, 12), (128, 13), (256, 13)]):
        for b in range(blocks):
            p = f"stage{stage}.block{b}"
            shapes += [(f"{p}.conv1.weight", (c, 4 * c, 1, 1)), (f"{p}.conv2.weight", (c, c, 3, 3)),
                       (f"{p}.conv3.weight", (4 * c, c, 1, 1))]
    return shapes


def gen(d, quick):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240601)
    p = os.path.join(d, "conv150.safetensors")
    if not os.path.exists(p):
        write_safetensors(p, [(n, student_t(s, rng)) for n, s in conv150_shapes()])
    p = os.path.join(d, "layer_4096x4096.safetensors")
    if not os.path.exists(p):
        write_safetensors(p, [("layer.weight", student_t((4096, 4096), rng))])
    llama = os.path.join(d, "llama_block")
    if not quick and not os.path.exists(os.path.join(llama, "model.safetensors.index.json")):
        os.makedirs(llama, exist_ok=True)
        weight_map = {}
        for i, part in enumerate(LLAMA_SHARDS):
            name = f"model-{i + 1:05d}-of-{len(LLAMA_SHARDS):05d}.safetensors"
            tensors = [(f"model.layers.0.{n}.weight", student_t(s, rng)) for n, s in part]
            write_safetensors(os.path.join(llama, name), tensors, "BF16")
            weight_map.update({t: name for t, _ in tensors})
        with open(os.path.join(llama, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": sum(2 * s[0] * s[1] for _, s in LLAMA_BLOCK)},
                       "weight_map": weight_map}, f)


# --- Python baselines -----------------------------------------------------------------------------

def read_matrices(path):
    """Every 2-D F32/BF16 tensor of a safetensors file, or of the shards in a folder, as float32."""
    files = ([os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".safetensors")]
             if os.path.isdir(path) else [path])
    for file in files:
        with open(file, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        data = np.memmap(file, dtype=np.uint8, mode="r")
        for name, t in header.items():
            if name == "__metadata__" or len(t["shape"]) != 2:
                continue
            b, e = (8 + n + o for o in t["data_offsets"])
            if t["dtype"] == "BF16":
                a = (np.frombuffer(data[b:e], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                a = np.frombuffer(data[b:e], dtype="<f4")
            yield a.reshape(t["shape"])


def powerlaw_fit(evals):
    """The reference's fit (weightwatcher through the powerlaw package): every distinct eigenvalue
    but the largest is a candidate xmin; per candidate the continuous MLE alpha and the KS distance
    of the tail; the xmin of least distance wins. One numpy pass per candidate, as there."""
    x = np.sort(evals[evals > 0])
    best = (np.inf, 0.0, 0.0)
    for xmin in np.unique(x)[:-1]:
        tail = x[x >= xmin]
        n = len(tail)
        alpha = 1.0 + n / np.sum(np.log(tail / xmin))
        cdf = np.arange(n) / n
        fit = 1.0 - (tail / xmin) ** (1.0 - alpha)
        d = np.max(np.abs(cdf - fit))
        if d < best[0]:
            best = (d, alpha, xmin)
    return best


def baseline(kind, path):
    import scipy.linalg
    seconds = 0.0
    for w in read_matrices(path):
        w64 = w.astype(np.float64)  # the reference analyzes float64 copies of the weights
        t = time.perf_counter()
        if kind == "svd":
            sv = scipy.linalg.svd(w64, compute_uv=False)
            powerlaw_fit(sv * sv)
        else:  # Gram of the smaller side, then eigvalsh
            x = w64.T @ w64 if w64.shape[0] >= w64.shape[1] else w64 @ w64.T
            np.linalg.eigvalsh(x)
        seconds += time.perf_counter() - t
    print(json.dumps({"seconds": seconds, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


# --- Measuring ------------------------------------------------------------------------------------

def timed(cmd):
    """Runs cmd under /usr/bin/time -v: {"wall", "rss_mb", "cpu" (percent of a core it got: the
    shared machine's load shows here), "out" (its last JSON line)} or {"error"}."""
    tf = "/tmp/ws-bench-time.txt"
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", "-o", tf] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1][:100]}
    out = next((json.loads(l) for l in p.stdout.splitlines()[::-1] if l.startswith("{")), None)
    stats = dict(l.strip().rsplit(": ", 1) for l in open(tf) if ": " in l)
    rss = int(stats["Maximum resident set size (kbytes)"]) / 1024
    return {"wall": wall, "rss_mb": rss, "cpu": stats["Percent of CPU this job got"], "out": out}


def native(cli, path, vectors=False):
    report = "/tmp/ws-bench-report.json"
    r = timed([cli, "analyze", path, "--json", report, "--timings", "--quiet"] + (["--vectors"] if vectors else []))
    if "error" in r:
        return r
    with open(report) as f:
        layers = json.load(f)["layers"]
    r["timings"] = {k: sum(l["timings"][k] for l in layers) for k in layers[0]["timings"]} if layers else {}
    r["layers"] = len(layers)
    return r


def model_files(path):
    """The files the page is given: the model file, or every file of a sharded model's folder."""
    return [os.path.join(path, f) for f in sorted(os.listdir(path))] if os.path.isdir(path) else [path]


# The threaded build the page loads in Chromium (relaxed SIMD there): fma, or mt where fma is not built.
WASM_VARIANT = "fma" if os.path.exists(os.path.join(ROOT, "build-wasm-fma", "web", "weightscope-fma.wasm")) else "mt"


def wasm_node(path, vectors=False):
    files = model_files(path)
    index = [f for f in files if f.endswith(".index.json")]
    cmd = ["node", os.path.join(ROOT, "scripts/bench_wasm.mjs"), WASM_VARIANT, "2"] + [f for f in files if f not in index]
    return timed(cmd + (["--index", index[0]] if index else []) + (["--vectors"] if vectors else []))


def page(path, profile=False):
    r = timed(["node", os.path.join(ROOT, "scripts/bench_page.mjs")] + (["--profile"] if profile else []) + model_files(path))
    if "error" not in r and r["out"]["state"] != "done":
        return {"error": f"the page ended in state {r['out']['state']}: {r['out']['errors']}"}
    return r


# --- Printing ---------------------------------------------------------------------------------------

CORE_PHASES = [("read", "file reads"), ("decode", "decode (check + views)"), ("gram", "Gram"),
               ("reduction", "reduction (tridiagonalization)"), ("tridiagonal", "tridiagonal eigenvalues"),
               ("svd", "exact SVD (rank-deficient)"), ("fit", "fit and metrics"), ("randomize", "randomize"),
               ("json", "JSON building (layer entry)")]


def fmt(s):
    return "-" if s is None else f"{s:.3f}"


def print_case(case, res):
    nat, wn, pg = res["native"], res["wasm"], res["page"]
    print(f"\n== {case}" + (f"  ({nat['layers']} layers)" if "layers" in nat else ""))
    for k, r in (("native", nat), ("wasm in node", wn), ("page", pg)):
        if "error" in r:
            print(f"  {k}: {r['error']}")
    nt = nat.get("timings", {})
    wt = (wn.get("out") or {}).get("timings") or {}
    print(f"  {'phase (s; core phases summed over threads)':48s} {'native':>9s} {'wasm/node':>9s} {'page':>9s}")
    po = pg.get("out")
    if po:
        ld = po["load"]
        print(f"  {'worker start + wasm compile (before the drop)':48s} {'-':>9s} {'-':>9s} {fmt(ld['total'] / 1e3):>9s}"
              f"   page scripts {ld['page_scripts'] / 1e3:.3f}, worker spawn {ld['worker_spawn'] / 1e3:.3f},"
              f" glue + compile + threads + warm-up run {ld['compile'] / 1e3:.3f}; build {po.get('variant')}")
    for key, label in CORE_PHASES:
        if key == "randomize" and not nt.get(key, 0) > 1e-3:
            continue
        print(f"  {'  ' + label:48s} {fmt(nt.get(key)):>9s} {fmt(wt.get(key)):>9s} {'':>9s}")
    ns, ws_ = sum(nt.values()) if nt else None, sum(wt.values()) if wt else None
    print(f"  {'= core phases':48s} {fmt(ns):>9s} {fmt(ws_):>9s} {'':>9s}")
    if po:
        w, p = po["worker"], po["page"]
        ms = lambda v: v / 1e3
        rows = [("wasm steps (core phases, file reads, JSON text)", ms(w["step"]), ""),
                ("open (headers) + model list", ms(w["open"]), ""),
                # The page's end of a run: the report's head (its entries have crossed one by one);
                # the CSV is made only when downloaded.
                ("JSON: parse steps, summaries, final report head",
                 ms(w["parse"] + w["summary"] + w["report"]),
                 f"parse {ms(w['parse']):.3f}, summary {ms(w['summary']):.3f}, report head {ms(w['report']):.3f}"),
                ("transfer to the page", ms(w["post"] + p["deserialize"]),
                 f"worker post {ms(w['post']):.3f}, page read {ms(p['deserialize']):.3f}, {p['messages']} messages"),
                ("rendering (main thread)", ms(p["handle"] + p["layout"] + p["style"]),
                 f"handlers {ms(p['handle']):.3f}, layout {ms(p['layout']):.3f}, style {ms(p['style']):.3f};"
                 f" main thread busy {ms(p['main_thread_tasks']):.3f} (beside the worker's threads)")]
        for label, v, note in rows:
            print(f"  {label:48s} {'-':>9s} {'-':>9s} {fmt(v):>9s}   {note}")
    total_w = (wn.get("out") or {}).get("seconds")
    print(f"  {'total (wall)':48s} {fmt(nat.get('wall')):>9s} {fmt(total_w):>9s} {fmt(po['run'] / 1e3 if po else None):>9s}"
          "   native: process; wasm: open to report; page: drop to the frame after the report is drawn")
    for k, label in (("scipy", "scipy float64 SVD + power-law fit"), ("numpy", "numpy float64 Gram + eigvalsh")):
        if k in res:
            b = res[k]
            print(f"  {label}: " + (b["error"] if "error" in b else f"{b['out']['seconds']:.3f} s (file reads and float64 copies excluded), peak RSS {b['rss_mb']:.0f} MB, CPU {b['cpu']}"))
    vec = res.get("vectors")
    if vec:
        wv = vec["wasm"].get("out") or {}
        print(f"  {'total with eigenvectors (vectors option)':48s} {fmt(vec['native'].get('wall')):>9s} {fmt(wv.get('seconds')):>9s} {'':>9s}"
              "   " + "; ".join(f"{k}: {r['error']}" for k, r in vec.items() if "error" in r))
    mem = (f"  peak memory: native RSS {nat['rss_mb']:.0f} MB (CPU {nat['cpu']} of one core)" if "rss_mb" in nat
           else "  peak memory: native -")
    if po:
        mem += f"; page: wasm memory {po['memory']['wasm_mb']:.0f} MB, renderer RSS {po['memory']['renderer_rss_mb']:.0f} MB"
    print(mem)
    prof = (res.get("profile") or {}).get("out", {}).get("profile")
    if prof:
        print("  profile (a second, profiled page run; self time in ms, count):")
        for label, rows in (("main thread, JS", [(p["fn"], p["ms"], "") for p in prof["js"]]),
                            ("main thread, trace", [(p["name"], p["ms"], p["n"]) for p in prof["trace"]["main"]]),
                            ("worker, trace", [(p["name"], p["ms"], p["n"]) for p in prof["trace"]["worker"]])):
            print(f"    {label}: " + ", ".join(f"{n} {ms}" + (f" ({c})" if c else "") for n, ms, c in rows[:8]))
    sys.stdout.flush()


def ratio_rows(results):
    rows = []
    def add(name, num, den, target):
        if num is None or den is None:
            rows.append((name, "not measured", None, target))
        else:
            rows.append((name, f"{num:.2f} s / {den:.2f} s", num / den, target))
    page_s = lambda r: r["page"]["out"]["run"] / 1e3 if r["page"].get("out") else None
    for case, r in results:
        if case in ("layer_4096x4096", "llama_block"):
            continue
        add(f"page / native CLI: {case}", page_s(r), r["native"].get("wall"), TARGETS["page/native"])
    for case, r in results:
        base = (r.get("scipy") or {}).get("out")
        if case == "llama_block":
            add("LLaMA block: native CLI / scipy SVD + fit", r["native"].get("wall"), base and base["seconds"],
                TARGETS["llama native/scipy"])
            add("LLaMA block: page / scipy SVD + fit", page_s(r), base and base["seconds"], TARGETS["llama page/scipy"])
        if case == "layer_4096x4096":
            t = r["native"].get("timings", {})
            core = sum(t.get(k, 0) for k in ("gram", "reduction", "tridiagonal", "svd")) if t else None
            numpy = (r.get("numpy") or {}).get("out")
            add("4096x4096 F32: native Gram+eigenvalues / numpy", core, numpy and numpy["seconds"],
                TARGETS["4096 native/numpy"])
            vec = r.get("vectors") or {}
            add("4096x4096: native, vectors / eigenvalues only", (vec.get("native") or {}).get("wall"),
                r["native"].get("wall"), TARGETS["4096 vectors/eigenvalues"])
            wasm_s = lambda w: (w.get("out") or {}).get("seconds")
            add("4096x4096: wasm/node, vectors / eigenvalues only", wasm_s(vec.get("wasm") or {}),
                wasm_s(r["wasm"]), TARGETS["4096 vectors/eigenvalues"])
    return rows


def print_ratios(results):
    print("\n== targets (one run; ratio = weightscope / reference)")
    print(f"  {'ratio':50s} {'measured':>22s} {'ratio':>7s} {'target':>8s}  result")
    for name, measured, ratio, target in ratio_rows(results):
        verdict = "-" if ratio is None else ("met" if ratio <= target else "missed")
        print(f"  {name:50s} {measured:>22s} {f'{ratio:.2f}x' if ratio else '-':>7s} {'<= ' + str(target) + 'x':>8s}  {verdict}")
    print("\n== peak memory (MB)")
    print(f"  {'case':24s} {'native RSS':>10s} {'page wasm':>10s} {'renderer RSS':>12s} {'baseline RSS':>12s}")
    for case, r in results:
        po = r["page"].get("out")
        base = r.get("scipy") or r.get("numpy") or {}
        cell = lambda v: f"{v:.0f}" if v is not None else "-"
        print(f"  {case:24s} {cell(r['native'].get('rss_mb')):>10s} {cell(po and po['memory']['wasm_mb']):>10s}"
              f" {cell(po and po['memory']['renderer_rss_mb']):>12s} {cell(base.get('rss_mb')):>12s}")


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")) / 2 ** 20
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB; load average {os.getloadavg()[0]:.1f}"


def run(d, build, quick, profile):
    gen(d, quick)
    cli = os.path.join(build, "weightscope")
    wasm_dir = os.path.join(ROOT, f"build-wasm-{WASM_VARIANT}", "web")
    wasm_file = os.path.join(wasm_dir, f"weightscope-{WASM_VARIANT}.wasm")
    have_wasm = os.path.exists(wasm_file)
    cases = [(os.path.basename(f).replace(".safetensors", ""), f) for f in FIXTURES]
    cases += [("conv150", os.path.join(d, "conv150.safetensors")), ("layer_4096x4096", os.path.join(d, "layer_4096x4096.safetensors"))]
    if not quick:
        cases.append(("llama_block", os.path.join(d, "llama_block")))
    print(f"weightscope bench {time.strftime('%Y-%m-%d %H:%M')}: {machine()}")
    if have_wasm:
        built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(wasm_file)))
        print(f"wasm: build-wasm-{WASM_VARIANT} (built {built}), 2 threads, in node and in Chromium {chromium_version()} (cross-origin isolated)")
    else:
        print("wasm: build-wasm-mt/web is missing (scripts/build-wasm mt fma): the wasm and page columns are left out")
    results = []
    for case, path in cases:
        res = {"native": native(cli, path) if os.path.exists(cli) else {"error": "CLI not built"}}
        absent = {"error": "no wasm build"}
        res["wasm"] = wasm_node(path) if have_wasm and case != "llama_block" else (absent if not have_wasm else {})
        res["page"] = page(path) if have_wasm else absent
        # A run of its own (profiling slows the page down); not for the big layers, whose page time
        # is the wasm steps, which the wasm/node column splits.
        if profile and have_wasm and case not in ("layer_4096x4096", "llama_block"):
            res["profile"] = page(path, profile=True)
        if case == "llama_block":
            res["scipy"] = timed([sys.executable, __file__, "baseline", "svd", path])
        if case == "layer_4096x4096":
            res["numpy"] = timed([sys.executable, __file__, "baseline", "eigh", path])
            # The eigenvector route on the same layer (issue 10: <= 3x the eigenvalue-only time).
            res["vectors"] = {"native": native(cli, path, vectors=True) if os.path.exists(cli) else {"error": "CLI not built"},
                              "wasm": wasm_node(path, vectors=True) if have_wasm else absent}
        results.append((case, res))
        print_case(case, res)
    print_ratios(results)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


def chromium_version():
    try:
        return subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.split()[1]
    except Exception:
        return "?"


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "gen":
        gen(sys.argv[2], "--quick" in sys.argv)
    elif cmd == "baseline":
        baseline(sys.argv[2], sys.argv[3])
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3], "--quick" in sys.argv, "--profile" in sys.argv)
    else:
        sys.exit(__doc__)
