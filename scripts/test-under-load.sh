#!/usr/bin/env bash
# `npm run test:loaded`: the whole suite (`npm test`) with CPU-bound busy loops beside it, as on
# a laptop or shared server doing other work. Starts LOAD_PROCS (default 2) busy loops, pinned one
# to a core with taskset where it exists, runs the suite, stops exactly those processes (by their
# ids, also on Ctrl-C), and exits with the suite's status; it fails also when the output carries
# Vitest's "Timeout calling" (a test worker whose event loop was held past Vitest's RPC timeout).
# Prints the wall time and the test files that held their event loop longest
# (test/setup/loop-monitor.ts). Extra arguments go to vitest. See docs/testing.md.
set -uo pipefail
cd "$(dirname "$0")/.."

procs=${LOAD_PROCS:-2}
cores=$(nproc 2>/dev/null || echo 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/gaitforge-loaded.XXXXXX")
log="$work/test.log"
busy=()

stop_busy() {
  local pid
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  busy=()
}
trap 'stop_busy' EXIT
trap 'stop_busy; exit 130' INT TERM

for ((i = 0; i < procs; i++)); do
  if command -v taskset >/dev/null 2>&1; then
    taskset -c "$((i % cores))" node -e 'for (;;) {}' &
  else
    node -e 'for (;;) {}' &
  fi
  busy+=("$!")
done
echo "test:loaded: ${#busy[@]} busy loops beside the suite (pids ${busy[*]}; $cores cores; load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null))"

start=$(date +%s)
GAITFORGE_LOOP_REPORT="$work/loop" npm test -- "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
wall=$(($(date +%s) - start))
stop_busy

echo
[ -d "$work/loop" ] && node scripts/loop-report.mjs "$work/loop" 10
if grep -q 'Timeout calling' "$log"; then
  echo "test:loaded: FAIL: a test worker timed out answering Vitest (\"Timeout calling\"): see the blocks above"
  [ "$status" -eq 0 ] && status=1
fi
echo "test:loaded: exit $status after ${wall}s with $procs busy loops beside it (log: $log)"
exit "$status"
