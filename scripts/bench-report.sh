#!/usr/bin/env bash
# Runs the money core's benchmarks once and writes BENCHMARKS.md: for each
# path the time now, its baseline measured in the same run, and their ratio
# (`make bench-report`). Absolute times swing with the machine's load; the
# ratios are what to compare between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
out=${1:-BENCHMARKS.md}
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

run() { # package, benchmark regex, benchtime
  echo "== $1 $2" >&2
  $GO test -run '^$' -bench "$2" -benchtime "$3" -count 1 -timeout 30m "$1" | tee -a "$raw" >&2
}
run ./gateway/ '^BenchmarkClientRoundTrip$' 2000x
run ./offline/ '^BenchmarkJournal_Transition$' 2000x
run ./cli/ '^BenchmarkReconcile_Unsettled10k$' 1x

# metric NAME from the result line of benchmark BENCH (a prefix of its name)
metric() {
  awk -v b="$1" -v m="$2" 'index($1, b) == 1 { for (i = 3; i < NF; i++) if ($(i+1) == m) { print $i; exit } }' "$raw"
}
us() { awk -v n="${1:-0}" 'BEGIN { if (n == "") n = 0; printf "%.0f µs", n / 1000 }'; }
ratio() { awk -v r="${1:-0}" 'BEGIN { printf "%.2f×", r }'; }

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench-report\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores,"
  echo "$($GO version | cut -d' ' -f3). Each baseline is measured in the same run as the path it"
  echo "is compared with (interleaved where the benchmark can), so the ratio is the figure to compare"
  echo "between runs; absolute times swing with the machine's load."
  echo
  echo "| path | now | baseline | ratio | goal |"
  echo "|---|---|---|---|---|"
  p=BenchmarkClientRoundTrip/plain
  echo "| client pay, plain JSON, loopback | $(us "$(metric $p client-ns/call)") | bare \`net/http\` POST of the same bytes, $(us "$(metric $p bare-ns/post)") | $(ratio "$(metric $p x-bare-post)") | ≤ 1.2× |"
  p=BenchmarkClientRoundTrip/3des
  echo "| client pay, 3DES | $(us "$(metric $p client-ns/call)") | same bare POST, $(us "$(metric $p bare-ns/post)") | $(ratio "$(metric $p x-bare-post)") | ≤ 2× |"
  p=BenchmarkJournal_Transition
  echo "| journal state change (row + audit event, fsync'd) | $(us "$(metric $p journal-ns/op)") | bare INSERT+COMMIT, same pragmas, $(us "$(metric $p bare-ns/op)") | $(ratio "$(metric $p x-bare-insert)") | ≤ 1.3× |"
  p=BenchmarkReconcile_Unsettled10k
  rps=$(metric $p rows/s); qps=$(metric $p bare-queries/s)
  echo "| reconcile 10,000 unsettled rows (sandbox, loopback) | $(awk -v r="${rps:-0}" 'BEGIN { printf "%.0f rows/s, %.1f s", r, (r > 0 ? 10000 / r : 0) }') | bare queries, same concurrency, $(awk -v q="${qps:-0}" 'BEGIN { printf "%.0f/s", q }') | $(ratio "$(metric $p reconcile/bare)") of the bare pace | ≤ 5 s |"
  echo
  echo "Commits per journal state change: $(metric BenchmarkJournal_Transition commits/op) (counted by SQLite's commit hook)."
  echo
  echo "## Raw output"
  echo
  echo '```'
  grep -E '^(Benchmark|goos|goarch|cpu)' "$raw" | sort -u
  echo '```'
} > "$out"
echo "wrote $out" >&2
