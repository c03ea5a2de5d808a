#!/usr/bin/env bash
# Trove reference figure: log (resolve + commit, SDK, embedded store) a
# reference to an S3 prefix of 10,000 objects on versitygw, in an unversioned
# and a versioned bucket. Target: under 5 s each.
#
#   bash bench/refs.sh                              # 10,000 objects, 3 logs each
#   TROVE_BENCH_REF_OBJECTS=1000 bash bench/refs.sh # smaller smoke run
#
# Needs Go and versitygw (on PATH or in $(go env GOPATH)/bin; install with
# go install github.com/versity/versitygw/cmd/versitygw@latest). Filling the
# buckets (not timed) takes most of the run, about half a minute.
set -euo pipefail
export LC_ALL=C
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export TROVE_REQUIRE_ALL=1 # no versitygw is an error here, not a skip
out=$(go test -run '^$' -bench BenchmarkReferenceS3Prefix -benchtime "${BENCH_REPS:-3}x" . 2>&1) || {
	printf '%s\n' "$out" >&2
	exit 1
}
printf '%s\n' "$out" >&2
echo '| prefix | seconds per log (mean) | target |'
echo '|---|---|---|'
printf '%s\n' "$out" | awk '/^BenchmarkReferenceS3Prefix\// {
	for (i = 1; i <= NF; i++) if ($i == "s/log") s = $(i-1)
	name = $1; sub(/^BenchmarkReferenceS3Prefix\//, "", name); sub(/-[0-9]+$/, "", name)
	printf "| %s | %.2f | < 5 s |\n", name, s
}'
