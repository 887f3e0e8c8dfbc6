#!/usr/bin/env bash
# A sharded run as a cluster runs it: 4 tasks side by side (GNU parallel when installed, else
# background jobs), each told its shard by --shard or by a batch engine's environment, then
# `weightscope merge`; the merged report must equal the unsharded one but for timings.
# usage: shard_test.sh CLI MODEL   (ctest passes the demo model, web/demo/ppocrv4_rec.safetensors)
set -uo pipefail
cli=$1 model=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/check.sh"
same_report() { node "$here/same_report.mjs" "$cli" "$@"; }

"$cli" analyze "$model" --json "$tmp/whole.json" --quiet >/dev/null
check "unsharded run" [ -s "$tmp/whole.json" ]

# --threads 1: four tasks share the machine, as four array tasks would share a node.
if command -v parallel >/dev/null; then
  runner=parallel
  parallel --will-cite --halt now,fail=1 "$cli" analyze "$model" --shard {}/4 --threads 1 --quiet \
    --json "$tmp/part{}.json" ::: 0 1 2 3 >/dev/null
else
  runner="background jobs"
  for i in 0 1 2 3; do
    "$cli" analyze "$model" --shard "$i/4" --threads 1 --quiet --json "$tmp/part$i.json" >/dev/null &
  done
  wait
fi
echo "shard_test: 4 shards through $runner"
check "four parts written" [ "$(ls "$tmp"/part?.json | wc -l)" = 4 ]
"$cli" merge "$tmp"/part3.json "$tmp"/part1.json "$tmp"/part0.json "$tmp"/part2.json --json "$tmp/merged.json" \
  --csv "$tmp/merged.csv" >/dev/null
check "merge succeeds" [ -s "$tmp/merged.json" ]
check "merged equals unsharded" same_report "$tmp/merged.json" "$tmp/whole.json"
"$cli" analyze "$model" --csv "$tmp/whole.csv" --quiet >/dev/null
check "merged CSV equals unsharded CSV" diff "$tmp/merged.csv" "$tmp/whole.csv"

# The index from the engine's environment: a Slurm array task, a Kubernetes Indexed Job pod.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 "$cli" analyze "$model" --json "$tmp/slurm2.json" --quiet >/dev/null
check "Slurm task 2 is shard 2/4" same_report "$tmp/slurm2.json" "$tmp/part2.json"
JOB_COMPLETION_INDEX=1 WEIGHTSCOPE_SHARD_COUNT=4 "$cli" analyze "$model" --json "$tmp/k8s1.json" --quiet >/dev/null
check "Kubernetes index 1 is shard 1/4" same_report "$tmp/k8s1.json" "$tmp/part1.json"
JOB_COMPLETION_INDEX=1 "$cli" analyze "$model" --quiet >/dev/null 2>"$tmp/err"; status=$?
check "index without count refused" [ "$status" = 2 ]
check "refusal names --shard-count" grep -q -- '--shard-count' "$tmp/err"

# Parts that do not make the run.
"$cli" merge "$tmp"/part0.json "$tmp"/part1.json "$tmp"/part3.json 2>"$tmp/err" >/dev/null; status=$?
check "missing shard refused" [ "$status" = 1 ]
check "missing shard named" grep -q 'shard 2/4 is missing' "$tmp/err"
"$cli" analyze "$model" --shard 3/4 --max-evals 1000 --json "$tmp/other3.json" --quiet >/dev/null
"$cli" merge "$tmp"/part0.json "$tmp"/part1.json "$tmp"/part2.json "$tmp"/other3.json 2>"$tmp/err" >/dev/null; status=$?
check "other options refused" [ "$status" = 1 ]
check "differing option named" grep -q 'option max_evals differs' "$tmp/err"

# A model list: every 2nd model per task, merged and split back into per-model reports.
printf '%s\n# a comment\n%s\n%s\n' "$model" "$tmp/missing.safetensors" "$model" >"$tmp/models.txt"
"$cli" analyze --models "$tmp/models.txt" --shard 0/2 --json "$tmp/set0.json" --quiet >/dev/null; s0=$?
"$cli" analyze --models "$tmp/models.txt" --shard 1/2 --json "$tmp/set1.json" --quiet >/dev/null 2>&1; s1=$?
check "list shard with good models exits 0" [ "$s0" = 0 ]
check "list shard with a missing model exits 1" [ "$s1" = 1 ]
"$cli" merge "$tmp"/set1.json "$tmp"/set0.json --json "$tmp/set.json" --split "$tmp/split" >/dev/null
check "split per-model reports" [ "$(ls "$tmp/split")" = "$(printf '0-ppocrv4_rec.json\n2-ppocrv4_rec.json')" ]
check "a split report equals the model's own report" same_report "$tmp/split/2-ppocrv4_rec.json" "$tmp/whole.json"

echo "shard_test: $pass passed, $fail failed"
[ "$fail" = 0 ]
