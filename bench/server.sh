#!/usr/bin/env bash
# Trove server benchmarks: upload throughput over loopback against curl,
# small-artifact commits per second on 3 replicas (PostgreSQL + versitygw),
# and the server's memory while it serves a 100,000-node lineage. See the
# "Server figures" section of bench/README.md.
#
#   bash bench/server.sh                 # full run, about eight minutes
#   BENCH_QUICK=1 bash bench/server.sh   # smoke run with small sizes
#
# Progress goes to stderr; the figures and the Markdown table to stdout.
set -euo pipefail
export LC_ALL=C # decimal points in printf and awk, whatever the caller's locale

bench_src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$bench_src/.." && pwd)

MiB=1048576
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	d_reps=3 d_upload_mb=64 d_tree_files=1000 d_commit_seconds=5 d_nodes=10000
else
	d_reps=5 d_upload_mb=1024 d_tree_files=1000 d_commit_seconds=20 d_nodes=100000
fi
reps=${BENCH_REPS:-$d_reps}
upload_mb=${BENCH_UPLOAD_MB:-$d_upload_mb}
tree_files=${BENCH_TREE_FILES:-$d_tree_files}
commit_seconds=${BENCH_COMMIT_SECONDS:-$d_commit_seconds}
clients=${BENCH_CLIENTS:-16}
nodes=${BENCH_NODES:-$d_nodes}
pause=${BENCH_PAUSE:-1}
pg_base=${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
base_dir=${BENCH_DIR:-/tmp/trove-bench}

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for v in reps upload_mb tree_files commit_seconds clients nodes; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, got '${!v}'"
done
[[ $pause =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_PAUSE must be a number of seconds, got '$pause'"
command -v curl >/dev/null || die "curl is needed (the baseline of the upload figures, and the lineage query)"

# The work directory is a fresh subdirectory, so that cleaning up never
# removes anything the user had in BENCH_DIR.
mkdir -p -- "$base_dir"
work=$(mktemp -d "$base_dir/server.XXXXXX")
bin=$work/bin res=$work/results logs=$work/logs
mkdir "$bin" "$res" "$logs"
current_log=""
pids=()   # background processes still running: servers, versitygw
schema="" # the PostgreSQL schema of the commit benchmark, dropped at the end
n_logs=0

cleanup() {
	local rc=$? pid
	trap - EXIT
	if ((rc != 0)) && [[ -n $current_log && -s $current_log ]]; then
		say "failed; last lines of $(basename "$current_log"):"
		tail -n 20 -- "$current_log" >&2
	fi
	for pid in "${pids[@]}"; do
		stop "$pid"
	done
	if [[ -n $schema ]]; then
		psql -q "$pg_base" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 ||
			say "could not drop PostgreSQL schema $schema; drop it by hand"
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

# median FILE: the median of the numbers in FILE (one a line, first field).
median() {
	sort -g -- "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# series FILE: the numbers of FILE as "1.23, 1.25, 1.30 s".
series() { awk '{ printf "%s%.3f", (NR > 1 ? ", " : ""), $1 } END { print " s" }' "$1"; }

# calc EXPR: evaluates an awk expression.
calc() { awk "BEGIN { print $1 }"; }

# last FILE: the latest time in a results file, for progress lines.
last() { printf '%.3f s' "$(tail -n 1 -- "$1")"; }

# new_log NAME: sets log to a fresh log file name (numbered in run order).
new_log() {
	n_logs=$((n_logs + 1))
	log=$logs/$(printf '%03d' "$n_logs")-$1.log
}

# forget PID: drops PID from the list cleanup kills.
forget() {
	local p keep=()
	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# start_server NAME ARGS...: starts `trove server` on a free loopback port
# with ARGS and waits until /readyz answers 200. Sets server_pid and
# server_url.
start_server() {
	local name=$1 i addr=""
	shift
	new_log "server-$name"
	current_log=$log
	: >"$log" # exists before the loop below reads it
	"$bin/trove" server --addr 127.0.0.1:0 --log-level warn "$@" >>"$log" 2>&1 &
	server_pid=$!
	pids+=("$server_pid")
	for ((i = 0; i < 600; i++)); do
		addr=$(sed -n 's|^trove: serving http://\([^ ]*\) .*|\1|p' -- "$log")
		[[ -z $addr ]] || break
		kill -0 "$server_pid" 2>/dev/null || die "trove server ($name) exited before serving"
		sleep 0.05
	done
	[[ -n $addr ]] || die "trove server ($name) did not say where it serves within 30 s"
	server_url=http://$addr
	for ((i = 0; i < 600; i++)); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "$server_url/readyz") != 200 ]] || return 0
		kill -0 "$server_pid" 2>/dev/null || die "trove server ($name) exited before it was ready"
		sleep 0.05
	done
	die "trove server ($name) not ready within 30 s"
}

# stop PID: stops a background process (SIGTERM, then SIGKILL after 10 s:
# a signal that reaches a child before it execs can be lost) and waits for
# it.
stop() {
	local i
	kill -TERM "$1" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget "$1"
}

# cpu_ticks PID: user + system CPU time of a running process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

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

# fresh_server: a server on a fresh, empty data dir ($work/data) with
# embedded SQLite and file blobs. Sets server_pid, server_url and key.
fresh_server() {
	rm -rf -- "$work/data"
	start_server upload --data "$work/data"
	key=$(<"$work/data/admin-api-key")
}

# end_server RESULTS: records the CPU ticks the server used since
# $ticks0 in RESULTS.server, then stops it and removes its data.
end_server() {
	echo "$(($(cpu_ticks "$server_pid") - ticks0))" >>"$1.server"
	stop "$server_pid"
	rm -rf -- "$work/data"
}

# upload_trove NAME PATH: times `trove artifact put PATH` into a fresh
# server, with a fresh client cache (so it hashes too).
upload_trove() {
	local name=$1 path=$2 got
	fresh_server
	rm -rf -- "$work/cache"
	ticks0=$(cpu_ticks "$server_pid")
	new_log "put-$name"
	TROVE_URL=$server_url TROVE_API_KEY=$key TROVE_CACHE_DIR=$work/cache \
		timed "$res/$name.trove" "$log" "$bin/trove" artifact put "$path" -n "$name" -t dataset
	got=$(stdout_last)
	[[ $got == "admin/bench/$name:v0" ]] || die "trove artifact put printed '$got', want admin/bench/$name:v0"
	end_server "$res/$name.trove"
	rm -rf -- "$work/cache"
}

# upload_curl NAME CURL_ARGS...: times curl with CURL_ARGS (where @URL@
# stands for the server's URL and @KEY@ for its key) into a fresh server.
upload_curl() {
	local name=$1 a args=()
	shift
	fresh_server
	for a in "$@"; do
		a=${a//@URL@/$server_url}
		args+=("${a//@KEY@/$key}")
	done
	ticks0=$(cpu_ticks "$server_pid")
	new_log "curl-$name"
	timed "$res/$name.curl" "$log" curl "${args[@]}"
	end_server "$res/$name.curl"
}

# compare_upload NAME PATH CURL_ARGS...: trove against curl, alternating
# which goes first.
compare_upload() {
	local name=$1 path=$2 i
	shift 2
	for ((i = 1; i <= reps; i++)); do
		if ((i % 2)); then
			upload_trove "$name" "$path"
			upload_curl "$name" "$@"
		else
			upload_curl "$name" "$@"
			upload_trove "$name" "$path"
		fi
		say "  rep $i/$reps: trove $(last "$res/$name.trove"), curl $(last "$res/$name.curl")"
	done
}

# find_versitygw: the versitygw binary, on PATH or in Go's bin directory.
find_versitygw() {
	local p
	if p=$(command -v versitygw); then
		echo "$p"
		return
	fi
	for p in "$(go env GOPATH 2>/dev/null | cut -d: -f1)/bin/versitygw" "$HOME/go/bin/versitygw"; do
		if [[ -x $p ]]; then
			echo "$p"
			return
		fi
	done
	return 1
}

# start_versitygw DIR: runs versitygw over DIR (with a bucket "bucket") on
# a free loopback port. Sets gw_pid and gw_port.
start_versitygw() {
	local dir=$1 vgw try i
	vgw=$(find_versitygw) || return 1
	mkdir -p -- "$dir/bucket"
	for ((try = 0; try < 10; try++)); do
		gw_port=$((20000 + RANDOM % 40000))
		# Something answers there already: try another port.
		if (exec 3<>"/dev/tcp/127.0.0.1/$gw_port") 2>/dev/null; then continue; fi
		new_log versitygw
		current_log=$log
		: >"$log"
		"$vgw" --access benchaccess --secret benchsecret --port "127.0.0.1:$gw_port" --quiet posix "$dir" >>"$log" 2>&1 &
		gw_pid=$!
		pids+=("$gw_pid")
		for ((i = 0; i < 200; i++)); do
			if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw_port/") != 000 ]]; then
				return 0
			fi
			kill -0 "$gw_pid" 2>/dev/null || break
			sleep 0.05
		done
		stop "$gw_pid" # lost the port to another process, or too slow: again
	done
	say "versitygw did not start (see $(basename "$log"))"
	return 1
}

# kv LINE KEY: the value of KEY in a line of key=value pairs.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# status_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, VmHWM).
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# mb KB: kilobytes as "123.4 MiB".
mb() { calc "sprintf(\"%.1f MiB\", $1 / 1024)"; }

export TROVE_PROJECT=bench
unset TROVE_URL TROVE_API_KEY TROVE_CACHE_DIR TROVE_ENTITY

file_desc="$(human "$upload_mb") file"
tree_desc="$(human "$upload_mb") in $(thousands "$tree_files") files"
upload_bytes=$((upload_mb * MiB))
tck=$(getconf CLK_TCK)

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
say "work dir $work; $reps repetitions, ${pause}s pause after sync; load average $load_start"
say "building trove and the bench helpers"
current_log=$logs/build.log
(cd -- "$repo" && go build -o "$bin/trove" ./cmd/trove &&
	go build -o "$bin/" ./bench/cmd/gentree ./bench/cmd/timeit ./bench/cmd/commitbench ./bench/cmd/lineagegen) >"$current_log" 2>&1

# --- 1. Upload over loopback, trove against curl ---------------------------

say "generating the upload data: one $file_desc, and $tree_desc"
current_log=$logs/gentree.log
"$bin/gentree" -dir "$work/one" -files 1 -bytes "$upload_bytes" -seed 1 2>>"$current_log"
"$bin/gentree" -dir "$work/tree" -files "$tree_files" -bytes "$upload_bytes" -seed 2 2>>"$current_log"
one=$work/one/d000/f00000.bin
one_hex=$(sha256sum -- "$one" | cut -d' ' -f1)
# The curl config of the tree: one upload-file/url pair per file; the key
# and the address change with each fresh server, so they are filled in then.
(cd -- "$work/tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum) |
	while read -r hex path; do
		printf 'upload-file = "%s"\nurl = "@URL@/api/v1/blobs/sha256:%s"\n' "$work/tree/${path#./}" "$hex"
	done >"$work/tree.curl.in"

# upload_tree_curl: times curl uploading the tree's files, 4 at a time,
# into a fresh server. Writing its config (the server's address and key) is
# not timed.
upload_tree_curl() {
	fresh_server
	{
		echo "header = \"Authorization: Bearer $key\""
		sed "s|@URL@|$server_url|" -- "$work/tree.curl.in"
	} >"$work/tree.curl"
	ticks0=$(cpu_ticks "$server_pid")
	new_log curl-tree
	timed "$res/tree.curl" "$log" curl -sS -f --parallel --parallel-max 4 -K "$work/tree.curl"
	end_server "$res/tree.curl"
}

say "upload of one $file_desc over loopback: trove artifact put vs curl -T"
compare_upload one "$one" -sS -f -T "$one" -H "Authorization: Bearer @KEY@" "@URL@/api/v1/blobs/sha256:$one_hex"

say "upload of $tree_desc over loopback: trove artifact put vs curl --parallel --parallel-max 4"
for ((i = 1; i <= reps; i++)); do
	if ((i % 2)); then
		upload_trove tree "$work/tree"
		upload_tree_curl
	else
		upload_tree_curl
		upload_trove tree "$work/tree"
	fi
	say "  rep $i/$reps: trove $(last "$res/tree.trove"), curl $(last "$res/tree.curl")"
done
rm -rf -- "$work/one" "$work/tree" "$work/tree.curl" "$work/tree.curl.in"

# --- 2. Small-artifact commits on 3 replicas ---------------------------------

commit_note="" commit_line="" shared_line=""
say "small-artifact commits: 3 replicas on PostgreSQL and versitygw, $clients clients, ${commit_seconds}s"
if ! command -v psql >/dev/null; then
	commit_note="skipped: psql not found"
elif ! psql -q "$pg_base" -c 'SELECT 1' >/dev/null 2>"$logs/psql.log"; then
	commit_note="skipped: no PostgreSQL at $pg_base"
elif ! find_versitygw >/dev/null; then
	commit_note="skipped: versitygw not found (go install github.com/versity/versitygw/cmd/versitygw@latest)"
fi
if [[ -n $commit_note ]]; then
	say "  $commit_note"
else
	schema=trove_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
	psql -q "$pg_base" -c "CREATE SCHEMA $schema" >/dev/null
	db_url=$pg_base
	if [[ $db_url == *\?* ]]; then db_url+="&"; else db_url+="?"; fi
	db_url+="search_path=$schema"
	start_versitygw "$work/s3" || die "versitygw did not start"
	blobs_url="s3://benchaccess:benchsecret@bucket?endpoint=http://127.0.0.1:$gw_port&region=us-east-1"
	urls=() replica_pids=()
	for r in 0 1 2; do
		# One at a time: the first creates the schema and admin.
		start_server "replica$r" --data "$work/replica$r" --db "$db_url" --blobs "$blobs_url"
		urls+=("$server_url")
		replica_pids+=("$server_pid")
	done
	key=$(<"$work/replica0/admin-api-key")
	urls_csv=$(IFS=,; echo "${urls[*]}")
	for mode in own shared; do
		flags=()
		[[ $mode == own ]] || flags=(-shared)
		new_log "commitbench-$mode"
		current_log=$log
		sync
		sleep "$pause"
		rc=0
		"$bin/commitbench" -urls "$urls_csv" -key "$key" -clients "$clients" -duration "${commit_seconds}s" \
			-project "commits-$mode" -cache "$work/commit-cache-$mode" "${flags[@]}" >"$work/out" 2>>"$current_log" || rc=$?
		cat -- "$work/out" >>"$current_log"
		line=$(tail -n 1 -- "$work/out")
		[[ $line == clients=* ]] || die "commitbench printed no figures (exit code $rc)"
		if [[ $mode == own ]]; then commit_line=$line; else shared_line=$line; fi
		say "  $mode: $line"
		rm -rf -- "$work/commit-cache-$mode"
	done
	for pid in "${replica_pids[@]}"; do stop "$pid"; done
	stop "$gw_pid"
	psql -q "$pg_base" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>>"$logs/psql.log"
	schema=""
	rm -rf -- "$work/s3" "$work"/replica?
fi

# --- 3. Server memory during a lineage query ---------------------------------

say "lineage: generating a graph of $(thousands "$nodes") nodes"
lin=$work/lineage
mkdir -- "$lin"
new_log lineagegen
timed "$res/lineagegen" "$log" "$bin/lineagegen" -db "$lin/trove.db" -nodes "$nodes"
gen_line=$(stdout_last)
root=$(kv "$gen_line" root)
[[ -n $root ]] || die "lineagegen printed no root"
say "  $gen_line"
IFS=/ read -r l_entity l_project l_ref <<<"$root"
l_name=${l_ref%%:*} l_version=${l_ref#*:}

say "lineage: serving it, querying the lineage of $root (direction both, depth unlimited)"
start_server lineage --data "$lin"
key=$(<"$lin/admin-api-key")
lin_url="$server_url/api/v1/projects/$l_entity/$l_project/artifacts/$l_name/versions/$l_version/lineage?direction=both"
sleep 1 # let the start-up settle before reading its memory
rss_before=$(status_kb "$server_pid" VmRSS)
hwm_before=$(status_kb "$server_pid" VmHWM)
for ((i = 1; i <= reps; i++)); do
	new_log lineage-query
	timed "$res/lineage" "$log" \
		curl -sS -f -o /dev/null -w '%{size_download}\n' -H "Authorization: Bearer $key" "$lin_url"
	resp_bytes=$(stdout_last)
	if ((i == 1)); then
		hwm_first=$(status_kb "$server_pid" VmHWM)
		rss_first=$(status_kb "$server_pid" VmRSS)
	fi
	say "  query $i/$reps: $(last "$res/lineage"), $resp_bytes bytes, VmHWM $(mb "$(status_kb "$server_pid" VmHWM)")"
done
hwm_all=$(status_kb "$server_pid" VmHWM)
# Untimed, after the memory readings: what the answer holds.
new_log lineage-count
current_log=$log
curl -sS -f -o "$work/lineage.json" -H "Authorization: Bearer $key" "$lin_url" 2>>"$current_log"
resp_nodes=$(grep -o '"kind":"' -- "$work/lineage.json" | wc -l)
resp_edges=$(grep -o '"from":"' -- "$work/lineage.json" | wc -l)
stop "$server_pid"
rm -rf -- "$lin" "$work/lineage.json"
current_log=""

# --- Report ------------------------------------------------------------------

load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
[[ -z $(git -C "$repo" status --porcelain 2>/dev/null) ]] || dirty=" (with uncommitted changes)"

# rate BYTES SECONDS: MB/s (10^6 bytes).
rate() { calc "sprintf(\"%.0f\", $1 / 1e6 / $2)"; }

# cpu_median FILE.cpu: median user+sys seconds of a timeit -cpu file.
cpu_median() { awk '{ print $1 + $2 }' "$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# server_cpu FILE.server: median server CPU seconds from clock ticks.
server_cpu() { awk -v t="$tck" '{ print $1 / t }' "$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f s", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "## Trove server benchmarks"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit$dirty, $(go version | cut -d' ' -f3-), $(nproc) CPUs, $(uname -sr)."
echo "Uploads: medians of $reps repetitions, trove and curl alternating, each into a fresh server (embedded SQLite, file blobs) after sync and a ${pause}s pause; MB/s are 10^6 bytes per second of wall time."
echo "Load average (1, 5, 15 min) at start $load_start, at end $load_end: client, server and other work share the machine."
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	echo "**Quick mode (BENCH_QUICK=1): small sizes, so the figures are only indicative.**"
fi
echo
echo "Raw figures:"
echo
rows=()
for name in one tree; do
	if [[ $name == one ]]; then desc=$file_desc; else desc=$tree_desc; fi
	t=$(median "$res/$name.trove") c=$(median "$res/$name.curl")
	echo "- upload, $desc: trove $(series "$res/$name.trove") (client CPU median $(cpu_median "$res/$name.trove.cpu"), server CPU median $(server_cpu "$res/$name.trove.server")); curl $(series "$res/$name.curl") (client CPU median $(cpu_median "$res/$name.curl.cpu"), server CPU median $(server_cpu "$res/$name.curl.server"))"
	pct=$(calc "sprintf(\"%.0f\", 100 * $c / $t)")
	row="| upload of one $desc over loopback: trove artifact put vs curl -T | $(rate "$upload_bytes" "$t") MB/s ($(printf '%.2f' "$t") s) | $(rate "$upload_bytes" "$c") MB/s ($(printf '%.2f' "$c") s) | $pct% |"
	if [[ $name == one ]]; then
		verdict="**FAIL**"
		((pct < 70)) || verdict="**pass**"
		row+=" ≥ 70% of curl | $verdict |"
	else
		row="| upload of $desc over loopback: trove artifact put vs curl --parallel-max 4 | $(rate "$upload_bytes" "$t") MB/s ($(printf '%.2f' "$t") s) | $(rate "$upload_bytes" "$c") MB/s ($(printf '%.2f' "$c") s) | $pct% | — (information) | — |"
	fi
	rows+=("$row")
done
if [[ -n $commit_line ]]; then
	echo "- commitbench, one artifact per client: \`$commit_line\`"
	echo "- commitbench, all clients on one artifact: \`$shared_line\`"
	for line in "$commit_line" "$shared_line"; do
		errs=$(kv "$line" errors) chk=$(kv "$line" check)
		verdict="**pass**"
		[[ $errs == 0 && $chk == ok ]] || verdict="**FAIL**"
		what="one artifact per client"
		[[ $(kv "$line" shared) == false ]] || what="all clients on one artifact"
		rows+=("| small-artifact commits, $clients clients over 3 replicas (PostgreSQL + versitygw), $what, $(kv "$line" seconds) s | $(kv "$line" commits_per_s) commits/s; LogArtifact p50 $(kv "$line" p50_ms) ms, p99 $(kv "$line" p99_ms) ms; $errs errors | — | — | 0 errors, versions gapless | $verdict |")
	done
else
	rows+=("| small-artifact commits, $clients clients over 3 replicas | — | — | — | 0 errors | n/a ($commit_note) |")
fi
echo "- lineagegen: \`$gen_line\` (wall $(last "$res/lineagegen"))"
echo "- lineage query of $root: $(series "$res/lineage") (curl, in run order); response $resp_bytes bytes, $resp_nodes nodes, $resp_edges edges"
echo "- server memory: before VmRSS $rss_before kB, VmHWM $hwm_before kB; after the first query VmRSS $rss_first kB, VmHWM $hwm_first kB; after $reps queries VmHWM $hwm_all kB"
rows+=("| server memory, lineage of a $(thousands "$(kv "$gen_line" nodes)")-node graph (both directions, unlimited depth): $(thousands "$resp_nodes") nodes, $(calc "sprintf(\"%.1f\", $resp_bytes / 1e6)") MB of JSON | RSS $(mb "$rss_before") before, peak $(mb "$hwm_first") (after $reps queries $(mb "$hwm_all")); first query $(printf '%.2f' "$(head -n 1 -- "$res/lineage")") s, median $(printf '%.2f' "$(median "$res/lineage")") s | — | — | — (information; generation took $(last "$res/lineagegen")) | — |")
echo
echo "| measurement | trove | baseline | trove/baseline | target | pass/fail |"
echo "|---|---:|---:|---:|---|---|"
for row in "${rows[@]}"; do echo "$row"; done
