#!/usr/bin/env bash
# "Download all" of a version from `trove server` (GET …/archive?format=tar,
# fetched by curl as a browser would) against `trove artifact get` of the
# same version into an empty directory, and the server's peak memory while
# it streams the archive. See the "Download all" section of bench/README.md.
#
#   bash bench/download_all.sh                 # 1 GiB in 1,000 files, 5 repetitions
#   BENCH_QUICK=1 bash bench/download_all.sh   # 64 MiB in 1,000 files, 3 repetitions
#
# Progress goes to stderr; the figures and a Markdown table to stdout.
set -euo pipefail
export LC_ALL=C

bench_src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$bench_src/.." && pwd)

MiB=1048576
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	d_reps=3 d_mb=64
else
	d_reps=5 d_mb=1024
fi
reps=${BENCH_REPS:-$d_reps}
mb=${BENCH_BIG_MB:-$d_mb}
files=${BENCH_BIG_FILES:-1000}
format=${BENCH_FORMAT:-tar}
pause=${BENCH_PAUSE:-1}
base_dir=${BENCH_DIR:-/tmp/trove-bench}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for v in reps mb files; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[[ $format == tar || $format == zip ]] || die "BENCH_FORMAT must be tar or zip, got '$format'"
[[ $pause =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_PAUSE must be a number of seconds, got '$pause'"
command -v curl >/dev/null || die "curl is needed"
command -v tar >/dev/null || die "tar is needed (to check the archive once)"

mkdir -p -- "$base_dir"
work=$(mktemp -d "$base_dir/download.XXXXXX")
bin=$work/bin res=$work/results logs=$work/logs
mkdir "$bin" "$res" "$logs"
server_pid=""
current_log=""

cleanup() {
	local rc=$?
	trap - EXIT
	if ((rc != 0)) && [[ -n $current_log && -s $current_log ]]; then
		say "failed; last lines of $(basename "$current_log"):"
		tail -n 20 -- "$current_log" >&2
	fi
	if [[ -n $server_pid ]]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
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

median() {
	sort -g -- "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
series() { awk '{ printf "%s%.3f", (NR > 1 ? ", " : ""), $1 } END { print " s" }' "$1"; }
calc() { awk "BEGIN { print $1 }"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# timed RESULTS LOG CMD...: sync and a pause (not timed), then CMD timed by
# timeit (wall to RESULTS, user+system CPU of CMD to RESULTS.cpu).
timed() {
	local out=$1 log=$2
	shift 2
	sync
	sleep "$pause"
	current_log=$log
	printf '$ %s\n' "$*" >>"$log"
	"$bin/timeit" -o "$out" -cpu "$out.cpu" -- "$@" >>"$log" 2>&1
}

say "work dir $work; $mb MiB in $files files, $reps repetitions, format $format; load average $(cut -d' ' -f1-3 /proc/loadavg)"
current_log=$logs/build.log
(cd -- "$repo" && go build -o "$bin/trove" ./cmd/trove && go build -o "$bin/" ./bench/cmd/gentree ./bench/cmd/timeit) >"$current_log" 2>&1
current_log=$logs/gentree.log
"$bin/gentree" -dir "$work/tree" -files "$files" -bytes $((mb * MiB)) -seed 1 2>>"$current_log"

# The server, on an embedded store, and the version to download.
current_log=$logs/server.log
"$bin/trove" server --addr 127.0.0.1:0 --data "$work/data" --log-level warn >>"$current_log" 2>&1 &
server_pid=$!
addr=""
for ((i = 0; i < 600; i++)); do
	addr=$(sed -n 's|^trove: serving http://\([^ ]*\) .*|\1|p' -- "$current_log")
	[[ -z $addr ]] || break
	kill -0 "$server_pid" 2>/dev/null || die "trove server exited before serving"
	sleep 0.05
done
[[ -n $addr ]] || die "trove server did not start within 30 s"
url=http://$addr
for ((i = 0; i < 600; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz") != 200 ]] || break
	sleep 0.05
done
key=$(<"$work/data/admin-api-key")
export TROVE_URL=$url TROVE_API_KEY=$key TROVE_PROJECT=bench
unset TROVE_ENTITY
current_log=$logs/put.log
TROVE_CACHE_DIR=$work/putcache "$bin/trove" artifact put "$work/tree" -n dl -t dataset >>"$current_log" 2>&1
rm -rf -- "$work/putcache"
archive_url="$url/api/v1/projects/admin/bench/artifacts/dl/versions/v0/archive?format=$format"

# Once, not timed: the archive holds the tree, byte for byte.
say "checking the archive against the generator"
current_log=$logs/check.log
curl -sSf -H "Authorization: Bearer $key" -o "$work/check.$format" "$archive_url" 2>>"$current_log"
if [[ $format == tar ]]; then
	mkdir "$work/x" && tar -xf "$work/check.$format" -C "$work/x"
	"$bin/gentree" -verify -dir "$work/x/dl-v0" -files "$files" -bytes $((mb * MiB)) -seed 1 2>>"$current_log" ||
		die "the archive differs from the tree"
	rm -rf -- "$work/x"
fi
rm -f -- "$work/check.$format"

# The server's peak RSS is read from VmHWM after resetting it (clear_refs 5)
# before each archive download; where the reset is refused, VmHWM is the
# peak since the server started (upload included), an upper bound.
reset_hwm() { echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null && echo reset || echo since-start; }

run_curl() {
	local how t0
	rm -f -- "$work/all.$format"
	how=$(reset_hwm)
	t0=$(cpu_ticks "$server_pid")
	timed "$res/curl" "$logs/curl.log" curl -sSf -H "Authorization: Bearer $key" -o "$work/all.$format" "$archive_url"
	echo "$(($(cpu_ticks "$server_pid") - t0))" >>"$res/curl.server"
	echo "$(status_kb "$server_pid" VmHWM) $how" >>"$res/hwm"
	rm -f -- "$work/all.$format"
}
run_trove() {
	local t0
	rm -rf -- "$work/get" "$work/cache"
	t0=$(cpu_ticks "$server_pid")
	TROVE_CACHE_DIR=$work/cache timed "$res/trove" "$logs/trove.log" "$bin/trove" artifact get admin/bench/dl:v0 --root "$work/get"
	echo "$(($(cpu_ticks "$server_pid") - t0))" >>"$res/trove.server"
	rm -rf -- "$work/get" "$work/cache"
}
last() { printf '%.3f s' "$(tail -n 1 -- "$1")"; }
for ((i = 1; i <= reps; i++)); do
	if ((i % 2)); then run_curl; run_trove; else run_trove; run_curl; fi
	say "  rep $i/$reps: download all $(last "$res/curl"), trove artifact get $(last "$res/trove")"
done

tck=$(getconf CLK_TCK)
m_curl=$(median "$res/curl") m_trove=$(median "$res/trove")
cpu_med() { awk '{ print $1 + $2 }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
srv_med() { awk -v t="$tck" '{ print $1 / t }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio=$(calc "$m_curl / $m_trove")
hwm_max=$(sort -g "$res/hwm" | tail -n 1)
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "met" : "missed" }')

echo "Download all ($format) of $mb MiB in $files files, $reps repetitions; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "- download all (curl): $(series "$res/curl"); median $m_curl s; client CPU $(cpu_med "$res/curl.cpu") s; server CPU $(srv_med "$res/curl.server") s"
echo "- trove artifact get:  $(series "$res/trove"); median $m_trove s; client CPU $(cpu_med "$res/trove.cpu") s; server CPU $(srv_med "$res/trove.server") s"
echo "- server peak RSS while streaming the archive (VmHWM, kB, how): $(tr '\n' ';' <"$res/hwm")"
echo
echo "| figure | value | target |"
echo "|---|---|---|"
printf '| download all / trove artifact get (median wall) | %.2fx (%s s / %s s) | at most 1.3x: %s |\n' "$ratio" "$m_curl" "$m_trove" "$verdict"
printf '| server peak RSS during download all | %.1f MiB (%s) | constant in the version size |\n' "$(calc "${hwm_max%% *} / 1024")" "${hwm_max#* }"
