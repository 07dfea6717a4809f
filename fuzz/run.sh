#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS seconds (default 5) from corpora seeded with the
# policies' fixtures. A crash fails the run and leaves its input in fuzz/artifacts/<target>/:
# copy it to fuzz/regressions/<target>/ and fix the bug.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-5}"
python3 seed.py
cargo +nightly fuzz build -O
total=0
for target in $(cargo +nightly fuzz list); do
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -O "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed"
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo 0)
  total=$((total + runs))
  echo "fuzz $target: $runs executions in ${seconds}s, no crash"
  rm -f "$log"
done
echo "fuzz: $total executions, no crash"
