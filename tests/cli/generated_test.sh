#!/usr/bin/env bash
# What scripts/gen-fields writes from the field table, and web/guide.html from docs/guide.md, must be
# committed as generated: a stale docs/report-schema.md, web/js/fields.js or web/guide.html fails here. usage: generated_test.sh CLI SOURCE_DIR
set -uo pipefail
cli=$1 src=$2
status=0
if ! diff -u "$src/docs/report-schema.md" <("$cli" schema --markdown); then
  echo "FAIL: docs/report-schema.md is stale: run scripts/gen-fields" >&2; status=1
fi
if ! diff -u "$src/web/js/fields.js" <("$cli" schema --json | node "$src/scripts/fields-module.mjs"); then
  echo "FAIL: web/js/fields.js is stale: run scripts/gen-fields" >&2; status=1
fi
node "$src/scripts/gen-guide.mjs" --check || status=1
node "$src/scripts/gen-dts.mjs" --check || status=1
exit $status
