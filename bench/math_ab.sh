#!/usr/bin/env bash
# A/B of two math_verify_bench binaries on this noisy 2-core VM: each round runs both at once, one
# per core (taskset), for SECONDS each, and swaps the cores every round, so both see the same host
# load. Prints, per workload, the median verifications/s (thread CPU) of each binary and the median
# of the per-round ratios new/old.
#
#   bench/math_ab.sh OLD_BENCH NEW_BENCH [ROUNDS=8] [SECONDS=1]
#
# OLD_BENCH is typically built from an earlier commit in a worktree:
#   git worktree add /tmp/old <rev> && (cd /tmp/old && cmake --preset release -DRLVR_WITH_CUDA=OFF \
#     -DRLVR_BUILD_TESTS=OFF && cmake --build build/release --target math_verify_bench)
set -euo pipefail
old=$1
new=$2
rounds=${3:-8}
seconds=${4:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rates() {  # workload name and thread-CPU rate of each row of a bench output
  awk '/^dataset pairs \(gold parsed/ {print "per_call", $(NF-5)}
       /^dataset pairs \(gold prepared/ {print "prepared", $(NF-5)}
       /^10k-char/ {print "10k_chars", $(NF-5)}
       /^100k-char/ {print "100k_chars", $(NF-5)}' "$1"
}
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then co=0 cn=1; else co=1 cn=0; fi
  taskset -c "$co" "$old" "$seconds" >"$tmp/old.out" 2>&1 &
  taskset -c "$cn" "$new" "$seconds" >"$tmp/new.out" 2>&1
  wait
  paste -d' ' <(rates "$tmp/old.out") <(rates "$tmp/new.out") >>"$tmp/rounds"
done
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-11s %12s %12s %16s   (%d rounds of %ss, both binaries at once, cores swapped)\n' \
  workload "old verif/s" "new verif/s" "ratio new/old" "$rounds" "$seconds"
for w in per_call prepared 10k_chars 100k_chars; do
  rows=$(awk -v w="$w" '$1 == w' "$tmp/rounds")
  o=$(awk '{print $2}' <<<"$rows" | median)
  n=$(awk '{print $4}' <<<"$rows" | median)
  ratio=$(awk '{print $4 / $2}' <<<"$rows" | median)
  lo=$(awk '{print $4 / $2}' <<<"$rows" | sort -g | head -1)
  hi=$(awk '{print $4 / $2}' <<<"$rows" | sort -g | tail -1)
  printf '%-11s %12.0f %12.0f %8.2f [%.2f-%.2f]\n' "$w" "$o" "$n" "$ratio" "$lo" "$hi"
done
