#!/usr/bin/env bash
# Trove UI benchmark: the first render of a 2,000-node lineage graph in
# Chromium. Seeds a fresh data directory with bench/cmd/uigen (about 2,000
# runs and versions downstream of admin/scale/seed:v0), starts `trove server`
# on it and runs web/e2e/bench-lineage.mjs against the focus's lineage page.
# See the "UI figures" section of bench/README.md.
#
#   bash bench/ui.sh
#
# Progress goes to stderr; the figures to stdout.
set -euo pipefail
export LC_ALL=C

bench_src=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$bench_src/.." && pwd)

generations=${BENCH_GENERATIONS:-10}
width=${BENCH_WIDTH:-100}
base_dir=${BENCH_DIR:-/tmp/trove-bench}
chromium=${TROVE_CHROMIUM:-/usr/bin/chromium}
script=${BENCH_UI_SCRIPT:-web/e2e/bench-lineage.mjs} # relative to the repository

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

for v in generations width; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_${v^^} must be a positive integer, got '${!v}'"
done
command -v curl >/dev/null || die "curl is needed (to wait for the server)"
command -v node >/dev/null || die "node (Node.js) is needed"
[[ -x $chromium ]] || die "Chromium is needed at $chromium (or set TROVE_CHROMIUM)"
[[ -d $repo/web/node_modules/playwright-core ]] || die "web/node_modules/playwright-core is missing: run npm ci in web/"
[[ -f $repo/$script ]] || die "$script is missing"

# The work directory is a fresh subdirectory, so that cleaning up never
# removes anything the user had in BENCH_DIR.
mkdir -p -- "$base_dir"
work=$(mktemp -d "$base_dir/ui.XXXXXX")
bin=$work/bin log=$work/log
mkdir "$bin"
server_pid=""

cleanup() {
	local rc=$? i
	trap - EXIT
	if [[ -n $server_pid ]]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if ((rc != 0)) && [[ -s $log ]]; then
		say "failed; last lines of the log:"
		tail -n 20 -- "$log" >&2
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

say "building trove and uigen"
(cd -- "$repo" && go build -o "$bin/trove" ./cmd/trove && go build -o "$bin/uigen" ./bench/cmd/uigen) >"$log" 2>&1

say "seeding $generations generations of $width runs into $work/data"
seed_line=$("$bin/uigen" -data "$work/data" -generations "$generations" -width "$width" 2>>"$log")
# key=value figures: nodes, runs, versions, edges, seconds, focus, path.
declare -A fig
for kv in $seed_line; do
	fig[${kv%%=*}]=${kv#*=}
done
[[ -n ${fig[focus]:-} && -n ${fig[path]:-} ]] || die "uigen printed no focus: $seed_line"
say "seeded ${fig[nodes]} nodes, ${fig[edges]} edges in ${fig[seconds]} s"

"$bin/trove" server --data "$work/data" --addr 127.0.0.1:0 --log-level warn >>"$log" 2>&1 &
server_pid=$!
addr=""
for ((i = 0; i < 600; i++)); do
	addr=$(sed -n 's|^trove: serving http://\([^ ]*\) .*|\1|p' -- "$log")
	[[ -z $addr ]] || break
	kill -0 "$server_pid" 2>/dev/null || die "trove server exited before serving"
	sleep 0.05
done
[[ -n $addr ]] || die "trove server did not say where it serves within 30 s"
url=http://$addr
for ((i = 0; i < 600; i++)); do
	[[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz") != 200 ]] || break
	kill -0 "$server_pid" 2>/dev/null || die "trove server exited before it was ready"
	sleep 0.05
done
say "trove server at $url; lineage page $url${fig[path]}"

# The lineage query the page makes, timed on its own: the server's share.
key=$(<"$work/data/admin-api-key")
IFS=/ read -r f_entity f_project f_ref <<<"${fig[focus]}"
api_seconds=$(curl -sS -f -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $key" \
	"$url/api/v1/projects/$f_entity/$f_project/artifacts/${f_ref%%:*}/versions/${f_ref#*:}/lineage") || api_seconds=""

say "running $script"
result=$(cd -- "$repo" && TROVE_URL=$url TROVE_KEY=$key TROVE_FOCUS=${fig[focus]} TROVE_FOCUS_PATH=${fig[path]} \
	TROVE_CHROMIUM=$chromium node "$script" 2>>"$log")

printf '# Trove UI benchmark\n\n'
printf '%s, %s; %s\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc) CPUs" "$("$chromium" --version 2>/dev/null || echo chromium)"
printf -- '- lineage of `%s`: %s nodes (%s runs, %s versions), %s edges\n' "${fig[focus]}" "${fig[nodes]}" "${fig[runs]}" "${fig[versions]}" "${fig[edges]}"
printf -- '- seeding them (bench/cmd/uigen, Go SDK on the embedded store): %s s\n' "${fig[seconds]}"
if [[ -n $api_seconds ]]; then
	printf -- '- the lineage request of the page, alone (curl): %s s\n' "$api_seconds"
fi
printf -- '- %s (Chromium, page %s):\n\n```json\n%s\n```\n' "$script" "${fig[path]}" "$result"
