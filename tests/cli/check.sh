# Sourced by the CLI test scripts: $tmp, a temporary folder removed on exit, and
# `check NAME CONDITION...`, which counts CONDITION's outcome in $pass / $fail and names a failure.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() {
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}
