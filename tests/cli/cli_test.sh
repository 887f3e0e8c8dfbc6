#!/usr/bin/env bash
# The CLI as a user meets it: exit codes, one-line errors, reports written. usage: cli_test.sh CLI MODEL
# (MODEL: a real safetensors model; ctest passes the demo model, web/demo/ppocrv4_rec.safetensors)
set -uo pipefail
cli=$1 fixture=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
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

cat "$tmp/err" >/dev/null
echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
