#!/usr/bin/env bash
# Trove lifecycle figures on the embedded store (SQLite + files):
#   - garbage collection: a deleted version of N files collected while a live
#     version of N other files stays (lists 2N blobs, marks and deletes N);
#   - trove verify: re-hashing N files of 64 KiB on all cores.
#
#   bash bench/lifecycle.sh                          # N = 10,000
#   BENCH_LIFECYCLE_FILES=1000 bash bench/lifecycle.sh
#
# Needs only Go. Setting up the stores (not timed) takes most of the run.
set -euo pipefail
export LC_ALL=C
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
n=${BENCH_LIFECYCLE_FILES:-10000}
out=$(BENCH_LIFECYCLE_FILES=$n go test ./internal/service -run '^$' -bench '^Benchmark(GC|Verify)$' -benchtime 1x -count "${BENCH_REPS:-3}" 2>&1) || {
	printf '%s\n' "$out" >&2
	exit 1
}
printf '%s\n' "$out" >&2
echo "| benchmark (N = $n) | seconds (median of runs) | rate |"
echo '|---|---|---|'
printf '%s\n' "$out" | awk '
/^BenchmarkGC-/ { gc[++g] = $3 / 1e9; for (i = 1; i <= NF; i++) if ($i == "blobs-scanned/s") gcr[g] = $(i-1) }
/^BenchmarkVerify-/ { v[++k] = $3 / 1e9; for (i = 1; i <= NF; i++) if ($i == "MB/s") vr[k] = $(i-1) }
function median(a, n,    i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
END {
	printf "| gc: free N dead blobs among 2N | %.2f | %.0f blobs scanned/s |\n", median(gc, g), median(gcr, g)
	printf "| verify: re-hash N x 64 KiB | %.2f | %.0f MB/s |\n", median(v, k), median(vr, k)
}'
