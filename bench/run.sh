#!/usr/bin/env bash
# Trove performance benchmarks: cold put and get against cp -r, re-put of an
# unchanged tree, and the lineage query. See bench/README.md.
#
#   bash bench/run.sh                 # full run, a few minutes
#   BENCH_QUICK=1 bash bench/run.sh   # smoke run with small trees
#
# Progress goes to stderr; the figures and the Markdown table to stdout.
set -euo pipefail
export LC_ALL=C # decimal points in printf, whatever the caller's locale

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
run_lineage=${BENCH_LINEAGE:-1}
base_dir=${BENCH_DIR:-/tmp/trove-bench}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for v in reps big_mb big_files many_mb many_files; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[[ $pause =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_PAUSE must be a number of seconds, got '$pause'"

# The work directory is a fresh subdirectory, so that cleaning up never
# removes anything the user had in BENCH_DIR.
mkdir -p -- "$base_dir"
work=$(mktemp -d "$base_dir/run.XXXXXX")
bin=$work/bin res=$work/results logs=$work/logs
mkdir "$bin" "$res" "$logs"
current_log=""
warnings=()

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

# human MB: "1 GiB" or "64 MiB".
human() {
	if (($1 % 1024 == 0)); then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi
}

# thousands N: "10,000".
thousands() {
	local n=$1 out=""
	while ((${#n} > 3)); do
		out=,${n: -3}$out
		n=${n:0:${#n}-3}
	done
	echo "$n$out"
}

# last FILE: the latest time in a results file, for progress lines.
last() { printf '%.3f s' "$(tail -n 1 -- "$1")"; }

# timed RESULTS LOG CMD...: lets the disk settle (sync and a pause, not timed),
# then times CMD, appending its seconds to RESULTS, its stdout to $work/out
# (and the log) and its stderr to LOG. A failing CMD stops the script.
timed() {
	local out=$1 log=$2
	shift 2
	sync
	sleep "$pause"
	current_log=$log
	printf '$ %s\n' "$*" >>"$log"
	"$bin/timeit" -o "$out" -cpu "$out.cpu" -- "$@" >"$work/out" 2>>"$log"
	cat -- "$work/out" >>"$log"
}

# stdout_last: the last line the timed command printed.
stdout_last() { tail -n 1 -- "$work/out"; }

# use_store STORE CACHE: the embedded store and client cache of the next
# trove commands.
use_store() { export TROVE_URL=$1 TROVE_CACHE_DIR=$2; }

# put_cold NAME TREE: times a put of TREE into a fresh, empty store and cache
# ($work/store-NAME, $work/cache-NAME; the last one is kept for later steps).
put_cold() {
	local name=$1 tree=$2
	rm -rf -- "$work/store-$name" "$work/cache-$name"
	mkdir -- "$work/store-$name" "$work/cache-$name"
	use_store "$work/store-$name" "$work/cache-$name"
	timed "$res/put-$name.trove" "$logs/put-$name.log" \
		"$bin/trove" artifact put "$tree" -n "$name" -t dataset
	local got
	got=$(stdout_last)
	[[ $got == "bench/bench/$name:v0" ]] || die "trove artifact put printed '$got', want bench/bench/$name:v0"
}

# cp_tree RESULTS TREE: times cp -r of TREE to a fresh destination, then
# removes the copy (not timed) to keep the disk footprint down.
cp_tree() {
	local out=$1 tree=$2
	rm -rf -- "$work/copy"
	timed "$out" "$logs/cp.log" cp -r -- "$tree" "$work/copy"
	rm -rf -- "$work/copy"
}

# compare_put NAME TREE: cold puts against cp -r, alternating which goes first.
compare_put() {
	local name=$1 tree=$2 i
	for ((i = 1; i <= reps; i++)); do
		if ((i % 2)); then
			put_cold "$name" "$tree"
			cp_tree "$res/put-$name.cp" "$tree"
		else
			cp_tree "$res/put-$name.cp" "$tree"
			put_cold "$name" "$tree"
		fi
		say "  rep $i/$reps: trove put $(last "$res/put-$name.trove"), cp -r $(last "$res/put-$name.cp")"
	done
}

# get_big I: times a get of big:v0 from the store of the last cold put into
# an empty directory, with an empty client cache; the first one is verified
# byte for byte against the generator. The copy is removed afterwards.
get_big() {
	local i=$1 root=$work/get
	rm -rf -- "$root" "$work/cache-get"
	mkdir -- "$root" "$work/cache-get"
	use_store "$work/store-big" "$work/cache-get"
	timed "$res/get-big.trove" "$logs/get-big.log" \
		"$bin/trove" artifact get bench/bench/big:v0 --root "$root"
	local got
	got=$(stdout_last)
	[[ $got -ef $root ]] || die "trove artifact get printed '$got', want $root"
	if ((i == 1)); then
		current_log=$logs/get-big.log
		"$bin/gentree" -verify -dir "$root" -files "$big_files" -bytes $((big_mb * MiB)) -seed 1 2>>"$logs/get-big.log" ||
			die "the tree trove artifact get wrote differs from the original (see above)"
	fi
	rm -rf -- "$root"
}

export TROVE_ENTITY=bench TROVE_PROJECT=bench
unset TROVE_API_KEY TROVE_URL TROVE_CACHE_DIR

big_desc="$(human "$big_mb") in $(thousands "$big_files") files"
many_desc="$(thousands "$many_files") files ($(human "$many_mb"))"

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
say "work dir $work; $reps repetitions, ${pause}s pause after sync; load average $load_start"
say "building trove and the bench helpers"
current_log=$logs/build.log
(cd -- "$repo" && go build -o "$bin/trove" ./cmd/trove &&
	go build -o "$bin/" ./bench/cmd/gentree ./bench/cmd/timeit ./bench/cmd/report) >"$current_log" 2>&1

say "generating the trees: $big_desc, $many_desc"
current_log=$logs/gentree.log
"$bin/gentree" -dir "$work/big" -files "$big_files" -bytes $((big_mb * MiB)) -seed 1 2>>"$current_log"
"$bin/gentree" -dir "$work/many" -files "$many_files" -bytes $((many_mb * MiB)) -seed 2 2>>"$current_log"

say "cold put of $big_desc vs cp -r"
compare_put big "$work/big"

say "get of $big_desc into an empty directory vs cp -r"
for ((i = 1; i <= reps; i++)); do
	if ((i % 2)); then
		get_big "$i"
		cp_tree "$res/get-big.cp" "$work/big"
	else
		cp_tree "$res/get-big.cp" "$work/big"
		get_big "$i"
	fi
	say "  rep $i/$reps: trove get $(last "$res/get-big.trove"), cp -r $(last "$res/get-big.cp")"
done
rm -rf -- "$work/store-big" "$work/cache-big" "$work/cache-get" "$work/get" "$work/copy" "$work/big"

say "cold put of $many_desc vs cp -r"
compare_put many "$work/many"

say "re-put of the unchanged $many_desc (store and cache of the last cold put)"
use_store "$work/store-many" "$work/cache-many"
for ((i = 1; i <= reps; i++)); do
	timed "$res/reput-many.trove" "$logs/reput-many.log" \
		"$bin/trove" artifact put "$work/many" -n many -t dataset
	got=$(stdout_last)
	[[ $got == bench/bench/many:v0 ]] ||
		warnings+=("re-put $i printed '$got', want bench/bench/many:v0 (identical content must not make a new version)")
	say "  rep $i/$reps: trove re-put $(last "$res/reput-many.trove")"
done
rm -rf -- "$work/store-many" "$work/cache-many" "$work/copy" "$work/many"

lineage_rows=()
lineage_note=""
if [[ $run_lineage == 1 ]]; then
	say "lineage benchmark: go test -run '^\$' -bench Lineage100k -benchtime 20x ./internal/meta"
	current_log=$logs/lineage.log
	if (cd -- "$repo" && go test -run '^$' -bench Lineage100k -benchtime 20x ./internal/meta) >"$current_log" 2>&1; then
		# One row per benchmark line:
		#   BenchmarkLineage100k[/sub]-P  N  X ns/op  [V unit]...
		# with the sizes it reports (say "25773 nodes") added to the label.
		while read -r -a f; do
			((${#f[@]} >= 4)) && [[ ${f[3]} == ns/op ]] || continue
			label="lineage, 100k graph: ${f[0]%-[0-9]*}"
			extra=""
			for ((k = 4; k + 1 < ${#f[@]}; k += 2)); do
				[[ ${f[k + 1]} != */op ]] || continue # a cost, not a size
				v=${f[k]}
				if [[ $v =~ ^([0-9]+)[.]0+$ ]]; then v=${BASH_REMATCH[1]}; fi
				extra+="${extra:+, }$v ${f[k + 1]}"
			done
			[[ -z $extra ]] || label+=" ($extra)"
			echo "${f[2]}e-9" >"$res/lineage-${#lineage_rows[@]}"
			lineage_rows+=("$label|$res/lineage-${#lineage_rows[@]}||abs<0.05|< 50 ms|")
		done < <(grep -E '^BenchmarkLineage100k' "$current_log" || true)
		((${#lineage_rows[@]})) || lineage_note="BenchmarkLineage100k not in ./internal/meta yet"
	else
		lineage_note="go test failed; its output is on stderr"
		say "go test failed:"
	fi
	sed 's/^/    /' -- "$current_log" >&2
else
	lineage_note="skipped: BENCH_LINEAGE=0"
fi
((${#lineage_rows[@]})) ||
	lineage_rows+=("lineage, 100k graph, depth 10: BenchmarkLineage100k|||abs<0.05|< 50 ms|$lineage_note")
current_log=""

load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "## Trove benchmarks"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$( [[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]] && echo ' (with uncommitted changes)'), $(go version | cut -d' ' -f3-), $(nproc) CPUs, $(uname -sr)."
echo "Medians of $reps repetitions; trove and its baseline alternate, each after sync and a ${pause}s pause; embedded store (TROVE_URL=<dir>), output page-cached, no fsync by either side."
echo "Load average (1, 5, 15 min) at start $load_start, at end $load_end: other work on the machine inflates and scatters the times."
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	echo "**Quick mode (BENCH_QUICK=1): small trees, so the targets (set for 1 GiB and 10,000 files) are only indicative.**"
fi
echo
strict=()
if [[ ${BENCH_STRICT:-0} == 1 ]]; then strict=(-strict); fi
report_rc=0
"$bin/report" "${strict[@]}" \
	"cold put, $big_desc, vs cp -r|$res/put-big.trove|$res/put-big.cp|ratio<=1.5|≤ 1.5x cp -r|" \
	"get into an empty dir, $big_desc, vs cp -r|$res/get-big.trove|$res/get-big.cp|ratio<=1.3|≤ 1.3x cp -r|" \
	"cold put, $many_desc, vs cp -r|$res/put-many.trove|$res/put-many.cp||— (information)|" \
	"re-put of the unchanged $many_desc, vs its cold put|$res/reput-many.trove|$res/put-many.trove|abs<0.5;ratio<0.05|< 0.5 s and < 5% of cold put|" \
	"${lineage_rows[@]}" || report_rc=$?
for w in "${warnings[@]}"; do
	echo
	echo "WARNING: $w"
done
exit "$report_rc"
