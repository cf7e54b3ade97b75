#!/usr/bin/env bash
# bench/objstore.sh — a dataset in a local directory against the same dataset
# in S3 (versitygw on 127.0.0.1, its objects on the same disk), measured side
# by side in one run: fetch throughput into each, and the DataLoader's open
# and epoch from each, S3 read cold (no cache), through an empty cache, and
# through a warm one. BENCHMARKS.md, section 7, explains the figures.
#
# Settings (environment):
#   SYMBOLS=1000      symbols fetched (synthetic sample data, full history)
#   RUNS=3            runs per figure; the median is reported
#   CONCURRENCY=8     --concurrency of the fetches
#
# versitygw is found on PATH or in $(go env GOPATH)/bin, or installed
# (pinned) with go install. Everything listens on 127.0.0.1 and is removed
# on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SYMBOLS=${SYMBOLS:-1000}
RUNS=${RUNS:-3}
CONCURRENCY=${CONCURRENCY:-8}

work=$(mktemp -d)
vgw_pid=""
cleanup() {
	[[ -n $vgw_pid ]] && kill "$vgw_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/loader" ./cmd/loader
vgw=$(command -v versitygw || true)
[[ -z $vgw && -x $(go env GOPATH)/bin/versitygw ]] && vgw=$(go env GOPATH)/bin/versitygw
if [[ -z $vgw ]]; then
	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
	vgw=$(go env GOPATH)/bin/versitygw
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/s3/bench"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret-$RANDOM$RANDOM AWS_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY \
	"$vgw" --port "127.0.0.1:$port" --quiet posix "$work/s3" >"$work/vgw.log" 2>&1 &
vgw_pid=$!
for _ in $(seq 100); do
	(echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

python3 -c "print('\n'.join('S%04d' % i for i in range($SYMBOLS)))" >"$work/universe.txt"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
seconds() { # seconds CMD...: wall seconds of CMD, its output to $work/last.out
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$work/last.out" 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

echo "## fetch: $SYMBOLS symbols of synthetic full history into Parquet (zstd), --concurrency $CONCURRENCY, median of $RUNS"
declare -A fetch
for run in $(seq "$RUNS"); do # interleaved, so a change in load hits both alike
	rm -rf "$work/local"
	fetch[local]+="$(seconds "$work/loader" fetch --symbols-file "$work/universe.txt" --out "$work/local" --quiet --concurrency "$CONCURRENCY") "
	fetch[s3]+="$(seconds "$work/loader" fetch --symbols-file "$work/universe.txt" --out "s3://bench/run$run" --quiet --concurrency "$CONCURRENCY") "
done
bytes=$(du -sb "$work/local" | cut -f1)
printf '| target | seconds | symbols/s | MB/s written |\n|---|---|---|---|\n'
for target in local s3; do
	s=$(tr ' ' '\n' <<<"${fetch[$target]}" | grep . | median)
	printf '| %s | %.2f | %.0f | %.1f |\n' "$target" "$s" "$(echo "$SYMBOLS / $s" | bc -l)" "$(echo "$bytes / $s / 1000000" | bc -l)"
done
echo "(all runs, seconds: local ${fetch[local]}; s3 ${fetch[s3]})"

echo
echo "## DataLoader: loader batches over the $SYMBOLS files ($((bytes / 1000000)) MB), one epoch, median of $RUNS"
batches() { "$work/loader" batches --in "$1" --features close,volume,log_return --window 32 --batch-size 512 "${@:2}"; }
declare -A open epoch total
measure() { # measure NAME IN ARGS...
	local name=$1
	shift
	total[$name]+="$(seconds batches "$@") "
	open[$name]+="$(sed -n 's/^opened .* in \([0-9.]*\)\(m\?s\)$/\1 \2/p' "$work/last.out" | awk '{print ($2=="ms") ? $1/1000 : $1}') "
	epoch[$name]+="$(sed -n 's/^epoch 0: .*: \([0-9]*\) samples\/s.*/\1/p' "$work/last.out") "
}
batches "$work/local" >/dev/null # the page cache holds the local files: local is warm
for run in $(seq "$RUNS"); do
	rm -rf "$work/cache"
	measure local "$work/local"
	measure "s3, no cache (ranged/whole-object reads)" s3://bench/run1
	measure "s3, empty cache (cold)" s3://bench/run1 --cache-dir "$work/cache"
	measure "s3, warm cache" s3://bench/run1 --cache-dir "$work/cache"
done
printf '| source | open s | × local | epoch samples/s | process s |\n|---|---|---|---|---|\n'
base=$(tr ' ' '\n' <<<"${open[local]}" | grep . | median)
for name in local "s3, no cache (ranged/whole-object reads)" "s3, empty cache (cold)" "s3, warm cache"; do
	o=$(tr ' ' '\n' <<<"${open[$name]}" | grep . | median)
	e=$(tr ' ' '\n' <<<"${epoch[$name]}" | grep . | median)
	p=$(tr ' ' '\n' <<<"${total[$name]}" | grep . | median)
	printf '| %s | %.3f | %.2f | %s | %.2f |\n' "$name" "$o" "$(echo "$o / $base" | bc -l)" "$e" "$p"
done
for name in "${!open[@]}"; do echo "(open seconds, $name: ${open[$name]})"; done
