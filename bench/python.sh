#!/usr/bin/env bash
# Trove's Python package against the CLI: cold log_artifact of a large tree vs
# trove artifact put, re-log of an unchanged 10,000-file tree, and the start-up
# of the trove helper. See bench/README.md ("Python figures").
#
#   bash bench/python.sh                 # full run: 1 GiB and 10,000 files, 5 repetitions (a few minutes)
#   BENCH_QUICK=1 bash bench/python.sh   # smoke run: 64 MiB and 2,000 files, 3 repetitions
#
# Progress goes to stderr; the figures and the Markdown table to stdout.
set -euo pipefail
export LC_ALL=C

bench_src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$bench_src/.." && pwd)

MiB=1048576
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	d_reps=3 d_big_mb=64 d_big_files=1000 d_many_mb=16 d_many_files=2000
else
	d_reps=5 d_big_mb=1024 d_big_files=1000 d_many_mb=100 d_many_files=10000
fi
reps=${BENCH_REPS:-$d_reps}
big_mb=${BENCH_BIG_MB:-$d_big_mb}
big_files=${BENCH_BIG_FILES:-$d_big_files}
many_mb=${BENCH_MANY_MB:-$d_many_mb}
many_files=${BENCH_MANY_FILES:-$d_many_files}
pause=${BENCH_PAUSE:-1}
python=${BENCH_PYTHON:-python3}
base_dir=${BENCH_DIR:-/tmp/trove-bench}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for v in reps big_mb big_files many_mb many_files; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[[ $pause =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_PAUSE must be a number of seconds, got '$pause'"
command -v "$python" >/dev/null || die "no $python on PATH (set BENCH_PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || die "$python is older than 3.9"
# The interpreter itself, not a wrapper such as a pyenv shim (a bash script
# that takes longer to start than the interpreter).
python=$("$python" -c 'import sys; print(sys.executable)')

mkdir -p -- "$base_dir"
work=$(mktemp -d "$base_dir/python.XXXXXX")
bin=$work/bin logs=$work/logs
mkdir "$bin" "$logs"
current_log=""

cleanup() {
	local rc=$?
	trap - EXIT
	if ((rc != 0)) && [[ -n $current_log && -s $current_log ]]; then
		say "failed; last lines of $(basename "$current_log"):"
		tail -n 20 -- "$current_log" >&2
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		say "kept $work"
	else
		rm -rf -- "$work"
		rmdir -- "$base_dir" 2>/dev/null || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

human() {
	if (($1 % 1024 == 0)); then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi
}
thousands() {
	local n=$1 out=""
	while ((${#n} > 3)); do
		out=,${n: -3}$out
		n=${n:0:${#n}-3}
	done
	echo "$n$out"
}

big_desc="$(human "$big_mb") in $(thousands "$big_files") files"
many_desc="$(thousands "$many_files") files ($(human "$many_mb"))"

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
say "work dir $work; $reps repetitions, ${pause}s pause after sync; load average $load_start"
say "building trove and gentree"
current_log=$logs/build.log
(cd -- "$repo" && go build -o "$bin/trove" ./cmd/trove && go build -o "$bin/" ./bench/cmd/gentree) >"$current_log" 2>&1

say "generating the trees: $big_desc, $many_desc"
current_log=$logs/gentree.log
"$bin/gentree" -dir "$work/big" -files "$big_files" -bytes $((big_mb * MiB)) -seed 1 2>>"$current_log"
"$bin/gentree" -dir "$work/many" -files "$many_files" -bytes $((many_mb * MiB)) -seed 2 2>>"$current_log"

current_log=$logs/python.log
strict=()
if [[ ${BENCH_STRICT:-0} == 1 ]]; then strict=(--strict); fi
table=$work/table.md
rc=0
"$python" "$bench_src/python_bench.py" driver --bin "$bin/trove" --work "$work" \
	--big "$work/big" --many "$work/many" --big-desc "$big_desc" --many-desc "$many_desc" \
	--reps "$reps" --pause "$pause" --python "$python" --pythonpath "$repo/python" \
	"${strict[@]}" >"$table" || rc=$?
((rc == 0 || rc == 1)) || exit "$rc"
current_log=""

load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "## Trove Python figures"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$( [[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]] && echo ' (with uncommitted changes)'), $("$python" -c 'import platform; print("Python", platform.python_version())'), $(go version | cut -d' ' -f3-), $(nproc) CPUs, $(uname -sr)."
echo "Medians of $reps repetitions (helper start-up: $((reps * 4))); Python and the CLI alternate, each after sync and a ${pause}s pause; embedded store (TROVE_URL=<dir>), a fresh store and cache for every cold log."
echo "Load average (1, 5, 15 min) at start $load_start, at end $load_end."
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	echo "**Quick mode (BENCH_QUICK=1): small trees, so the targets (set for 1 GiB and 10,000 files) are only indicative.**"
fi
echo
cat -- "$table"
exit "$rc"
