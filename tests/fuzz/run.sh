#!/usr/bin/env bash
# Runs a libFuzzer binary (tests/fuzz/CMakeLists.txt) for a while on a seed corpus made from the
# repository's own test data: the header of every fixture model as a file of its own (the whole
# header validation runs before the end-of-file check), plus a small valid safetensors file, a .npy
# file and a shard index. Exits non-zero, with the input in WORKDIR/artifacts/, when it finds a bug.
# usage: tests/fuzz/run.sh FUZZER [SECONDS=20] [WORKDIR=<fuzzer's folder>/fuzz-run]
set -euo pipefail
fuzzer=$1 seconds=${2:-20}
work=${3:-$(dirname "$fuzzer")/fuzz-run}
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$work/corpus
mkdir -p "$corpus" "$work/artifacts"

le() {  # le VALUE BYTES: VALUE as BYTES little-endian bytes
  local i
  for ((i = 0; i < $2; ++i)); do printf "\\x$(printf %02x $((($1 >> (8 * i)) & 255)))"; done
}
for f in "$root"/tests/data/fixtures/*.safetensors "$root"/web/demo/ppocrv4_rec.safetensors; do
  n=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
  head -c $((8 + n)) "$f" >"$corpus/header_$(basename "$f" .safetensors)"
done
header='{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}'
{ le ${#header} 8; printf '%s' "$header"; head -c 22 /dev/zero; } >"$corpus/small.safetensors"
dict="{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
while (((10 + ${#dict} + 1) % 64)); do dict+=' '; done
{ printf '\x93NUMPY\x01\x00'; le $((${#dict} + 1)) 2; printf '%s\n' "$dict"; head -c 24 /dev/zero; } >"$corpus/small.npy"
printf '%s' '{"metadata":{"total_size":40},"weight_map":{"a.weight":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}' \
  >"$corpus/model.safetensors.index.json"
# GGUF seeds (gguf_fuzz): the fixtures cut to the input size limit, i.e. their headers (every ggml
# type the reader decodes, in the all-types file) and the first tensors' blocks.
for f in "$root"/tests/data/fixtures/gguf/*.gguf; do head -c 65536 "$f" >"$corpus/$(basename "$f")"; done
# PyTorch seeds (pytorch_fuzz): the kept small files of tests/data/fuzz/pytorch (legacy, zip64, a
# checkpoint), the small shard of the sharded fixture whole, the other fixtures cut to the size limit
# (the legacy one keeps all its pickles).
cp "$root"/tests/data/fuzz/pytorch/* "$corpus"/
for f in "$root"/tests/data/fixtures/pytorch/*.pt* "$root"/tests/data/fixtures/pytorch/*_sharded/*.bin; do
  head -c 65536 "$f" >"$corpus/$(basename "$f")"
done
# ONNX seeds (onnx_fuzz): the kept files of tests/data/fuzz/onnx (a subset of the classifier fixture,
# every data field, external data); a cut model is no seed (its graph length runs past the end).
cp "$root"/tests/data/fuzz/onnx/* "$corpus"/

"$fuzzer" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$corpus"
