#!/usr/bin/env bash
# The CLI as a user meets it: exit codes, one-line errors, reports written. usage: cli_test.sh CLI MODEL
# (MODEL: a real safetensors model; ctest passes the demo model, web/demo/ppocrv4_rec.safetensors)
set -uo pipefail
cli=$1 fixture=$2
source "$(dirname "$0")/check.sh"
one_line_error() {  # one_line_error PATTERN: exit 1, exactly one stderr line matching PATTERN
  [ "$status" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -qE "$1" "$tmp/err"
}

"$cli" analyze "$fixture" --json "$tmp/r.json" --csv "$tmp/r.csv" --quiet >"$tmp/out" 2>"$tmp/err"; status=$?
check "fixture analyzes" [ "$status" = 0 ]
check "json report written" grep -q '"format": "weightscope-report"' "$tmp/r.json"
check "csv has a row per layer" [ "$(($(wc -l <"$tmp/r.csv") - 1))" = 41 ]
check "table printed" grep -q 'layers analyzed' "$tmp/out"

"$cli" analyze "$tmp/missing.safetensors" 2>"$tmp/err"; status=$?
check "missing file" one_line_error 'cannot open'

head -c 5000000 "$fixture" >"$tmp/trunc.safetensors"
"$cli" analyze "$tmp/trunc.safetensors" 2>"$tmp/err"; status=$?
check "truncated file" one_line_error 'trunc.safetensors'

printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a": [1, 2, 3' >"$tmp/bad.safetensors"
"$cli" analyze "$tmp/bad.safetensors" 2>"$tmp/err"; status=$?
check "corrupt header" one_line_error 'bad.safetensors.*(JSON|header)'

"$cli" analyze "$fixture" --min-evals x 2>"$tmp/err" >/dev/null; status=$?
check "bad option value" [ "$status" = 2 ]

# Allocation plans (docs/plans.md): from an analysis, and from a report written before.
"$cli" analyze "$fixture" --quiet --plan alphapruning --sparsity 0.5 --plan-out "$tmp/plan.json" >/dev/null 2>"$tmp/err"; status=$?
check "plan written with the analysis" [ "$status" = 0 ]
check "plan json" grep -q '"method": "alphapruning"' "$tmp/plan.json"
"$cli" plan "$tmp/r.json" --plan tempbalance --plan-out "$tmp/plan.csv" 2>"$tmp/err"; status=$?
check "plan from a report" [ "$status" = 0 ]
check "plan csv has a row per layer" [ "$(($(wc -l <"$tmp/plan.csv") - 1))" = 41 ]
"$cli" plan "$tmp/r.json" --plan alphapruning --epsilon 2 --plan-out "$tmp/p.json" 2>"$tmp/err" >/dev/null; status=$?
check "bad plan option" [ "$status" = 2 ]
"$cli" plan "$tmp/r.json" --plan alphapruning --plan-mapping block_wise --plan-out "$tmp/p.json" 2>"$tmp/err"; status=$?
check "block_wise without blocks" one_line_error 'transformer blocks'

# Eigenvector metrics and the latent space (docs/methods.md, "Eigenvector metrics", "Latent space").
"$cli" analyze "$fixture" --vectors --quiet --csv "$tmp/v.csv" >/dev/null 2>"$tmp/err"; status=$?
check "vectors analyze" [ "$status" = 0 ]
check "vector columns in the csv" grep -q 'tail_mean_loc_ratio' "$tmp/v.csv"
"$cli" analyze "$fixture" --quiet --latent-out "$tmp/lat" >/dev/null 2>"$tmp/err"; status=$?
check "latent space needs a layer when there are several" one_line_error 'latent-layer'
"$cli" analyze "$fixture" --quiet --latent-out "$tmp/lat" --latent-layer linear_77 >/dev/null 2>"$tmp/err"; status=$?
check "latent space written" [ "$status" = 0 ]
check "components: in-features x K, float64" grep -qa "'descr': '<f8', 'fortran_order': False, 'shape': (120, " "$tmp/lat_components.npy"
check "coordinates: out-features x K" grep -qa "'shape': (360, " "$tmp/lat_coordinates.npy"
"$cli" analyze "$fixture" --quiet --latent-out "$tmp/lat" --latent-layer conv2d_145 >/dev/null 2>"$tmp/err"; status=$?
check "latent space of a conv layer refused" one_line_error 'conv2d'

# A PEFT LoRA adapter folder (docs/methods.md, "LoRA adapters"), alone and with its base model.
adapter="$(dirname "$0")/../data/fixtures/finetune/ppocrv4_rec_lora"
"$cli" analyze "$adapter" --quiet --csv "$tmp/lora.csv" >/dev/null 2>"$tmp/err"; status=$?
check "lora adapter analyzes" [ "$status" = 0 ]
check "a lora_BA row per module" [ "$(grep -c '\.lora_BA,' "$tmp/lora.csv")" = 9 ]
"$cli" analyze "$adapter" --base "$fixture" --quiet --csv "$tmp/lora.csv" >/dev/null 2>"$tmp/err"; status=$?
check "lora adapter with its base" [ "$(grep -c '\.lora_W_plus_AB,' "$tmp/lora.csv")" = 9 ]
mkdir "$tmp/badlora" && cp "$adapter/adapter_model.safetensors" "$tmp/badlora/" && echo '{"lora_alpha": 32}' >"$tmp/badlora/adapter_config.json"
"$cli" analyze "$tmp/badlora" 2>"$tmp/err" >/dev/null; status=$?
check "adapter config without r" one_line_error 'adapter_config.json: has no "r"'

# A fine-tune against its base (docs/methods.md, "Fine-tuning deltas"), and the distances command.
ft="$(dirname "$0")/../data/fixtures/finetune/ppocrv4_rec_ft.safetensors"
"$cli" analyze "$ft" --base "$fixture" --quiet --csv "$tmp/ft.csv" >/dev/null 2>"$tmp/err"; status=$?
check "fine-tune with its base analyzes" [ "$status" = 0 ]
check "a dW row per changed layer" [ "$(($(wc -l <"$tmp/ft.csv") - 1))" = 9 ]
check "alpha_base column" grep -q '^name,.*alpha_base' "$tmp/ft.csv"
"$cli" distances "$fixture" "$ft" >"$tmp/d.json" 2>"$tmp/err"; status=$?
check "distances printed as JSON" grep -q '"avg_delta_W": 1.09147' "$tmp/d.json"
"$cli" analyze "$ft" --base "$tmp/missing.safetensors" 2>"$tmp/err" >/dev/null; status=$?
check "missing base" one_line_error 'cannot open'

cat "$tmp/err" >/dev/null
echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
