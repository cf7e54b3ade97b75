#!/usr/bin/env bash
# bench/run.sh — loader against the tools users would pick instead, side by
# side in one run on one machine. `make bench` runs it; BENCHMARKS.md explains
# the figures. It writes the tables to bench/results/latest.md (raw outputs in
# bench/results/raw/) and prints them.
#
# Settings (environment):
#   QUICK=1           a fast check: fewer symbols, one run each
#   RUNS=3            runs per end-to-end figure (the median is reported)
#   FETCH_COUNTS      symbol counts of the end-to-end fetch ("100 1000")
#   MEMORY_COUNTS     symbol counts of the memory table ("100 1000 5000")
#   CONCURRENCY=8     requests in flight, the same for loader and Python
#   WRK_SECONDS=5     duration of each wrk run
#   GO_BENCHTIME=1s   -benchtime of the Go benchmarks
#   NO_INSTALL=1      never apt-get install missing tools
#   PYTHON            the python3 of the references (/usr/bin/python3)
#
# Everything listens on 127.0.0.1 only; the server and temporary files are
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	RUNS=${RUNS:-1}
	FETCH_COUNTS=${FETCH_COUNTS:-"20 100"}
	MEMORY_COUNTS=${MEMORY_COUNTS:-"20 100 500"}
	WRK_SECONDS=${WRK_SECONDS:-2}
	GO_BENCHTIME=${GO_BENCHTIME:-20x}
else
	RUNS=${RUNS:-3}
	FETCH_COUNTS=${FETCH_COUNTS:-"100 1000"}
	MEMORY_COUNTS=${MEMORY_COUNTS:-"100 1000 5000"}
	WRK_SECONDS=${WRK_SECONDS:-5}
	GO_BENCHTIME=${GO_BENCHTIME:-1s}
fi
CONCURRENCY=${CONCURRENCY:-8}
PY=${PYTHON:-/usr/bin/python3} # Debian's packages install for this one, not for a pyenv python3
results=$root/bench/results
raw=$results/raw
rm -rf "$raw"
mkdir -p "$raw"
md=$results/latest.md
: >"$md"

say() { printf '%s\n' "$*" >&2; }
out() { printf '%s\n' "$*" | tee -a "$md"; }

# median prints the median of the numbers on stdin, one a line.
median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# calc evaluates an awk expression and prints it with format $1.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# --- tools -------------------------------------------------------------------
have_py() { [[ -x $PY ]] && "$PY" -c "import $1" 2>/dev/null; }
missing=()
command -v go >/dev/null || { say "bench: Go is required (https://go.dev/dl/)"; exit 1; }
[[ -x /usr/bin/time ]] || missing+=(time)
command -v wrk >/dev/null || missing+=(wrk)
have_py aiohttp || missing+=(python3-aiohttp)
have_py "numpy, torch" || missing+=(python3-numpy python3-torch)
if ((${#missing[@]})); then
	if [[ ${NO_INSTALL:-0} != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "bench: installing ${missing[*]} with apt-get"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
			say "bench: apt-get could not install everything; the figures that need it are skipped"
	else
		say "bench: not installed: ${missing[*]} (apt-get install ${missing[*]}); the figures that need them are skipped"
	fi
fi
[[ -x /usr/bin/time ]] || { say "bench: /usr/bin/time is required for peak memory (apt-get install time)"; exit 1; }

# --- loader binary and server --------------------------------------------------
work=$(mktemp -d)
server=
cleanup() {
	[[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "bench: building loader"
go build -o "$work/loader" ./cmd/loader
bin=$work/loader
# A cache large enough for every answer of section 1 (about 1.4 MiB a symbol
# for JSON and CSV together): once warm, the server's CPU is what it costs to
# send an answer, not to encode it, so the clients are measured, not it.
"$bin" serve --addr 127.0.0.1:0 --cache-mb 2048 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q 'http://127.0.0.1:' "$work/serve.log" && break; sleep 0.1; done
port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f3)
[[ -n $port ]] || { say "bench: loader serve did not start:"; cat "$work/serve.log" >&2; exit 1; }
base=http://127.0.0.1:$port/query
export ALPHAVANTAGE_API_KEY=bench

# symbols N writes the file of N distinct tickers (B00001 …) and prints its path.
symbols() {
	local f=$work/symbols-$1
	[[ -f $f ]] || seq -f 'B%05g' 1 "$1" >"$f"
	echo "$f"
}

# timed LABEL CMD... runs CMD with its output in $raw/LABEL.out and appends
# "wall-seconds peak-rss-KiB cpu-seconds server-cpu-seconds" to
# $raw/LABEL.times (cpu: user+sys of CMD; server: of `loader serve` meanwhile).
timed() {
	local label=$1 t0 t1 rss user sys s0 s1
	shift
	s0=$(server_ticks)
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" >"$raw/$label.out" 2>&1 ||
		{ say "bench: $label failed:"; tail -5 "$raw/$label.out" >&2; return 1; }
	t1=$(date +%s.%N)
	s1=$(server_ticks)
	read -r rss user sys <"$work/rss"
	echo "$(calc %.3f "$t1 - $t0") $rss $(calc %.2f "$user + $sys") $(calc %.2f "($s1 - $s0) / $(getconf CLK_TCK)")" >>"$raw/$label.times"
}
med_wall() { awk '{print $1}' "$raw/$1.times" | median; }
med_rss_mb() { awk '{print $2 / 1024}' "$raw/$1.times" | median; }
med_cpu() { awk '{print $3}' "$raw/$1.times" | median; }
med_server_cpu() { awk '{print $4}' "$raw/$1.times" | median; }
# server_ticks prints the CPU time `loader serve` has used, in clock ticks.
server_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# fetch_loader LABEL N DATATYPE FORMAT times one `loader fetch` of N symbols.
# Not --quiet: its output keeps the per-stage table.
fetch_loader() {
	local dir=$work/out-loader
	rm -rf "$dir"
	timed "$1" "$bin" fetch --source alphavantage --base-url "$base" --outputsize full --datatype "$3" \
		--format "$4" --symbols-file "$(symbols "$2")" --out "$dir" \
		--concurrency "$CONCURRENCY" --rate 0 --report "$work/report.json"
}
# fetch_python LABEL N DATATYPE times one run of the Python reference.
fetch_python() {
	local dir=$work/out-python
	rm -rf "$dir"
	timed "$1" "$PY" bench/reference.py "$base" "$(symbols "$2")" "$dir" "$3" "$CONCURRENCY"
}

host() {
	out "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(go version | cut -d' ' -f3-), $(uname -sr)"
	out "Tree: $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown) (dirty: uncommitted changes were measured too)"
	out "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores)"
	if have_py aiohttp; then
		out "Python reference: $("$PY" --version 2>&1), aiohttp $("$PY" -c 'import aiohttp; print(aiohttp.__version__)')"
	else
		out "Python reference: skipped, $PY cannot import aiohttp (apt-get install python3-aiohttp)"
	fi
	out "Settings: RUNS=$RUNS FETCH_COUNTS='$FETCH_COUNTS' MEMORY_COUNTS='$MEMORY_COUNTS' CONCURRENCY=$CONCURRENCY QUICK=$QUICK"
	out ""
}

# --- 1. end-to-end fetch ---------------------------------------------------------
declare -A wire_bytes rows mbps
section_fetch() {
	out "## 1. End-to-end fetch: loader serve → files (median of $RUNS runs, concurrency $CONCURRENCY)"
	out ""
	out "Command: \`bench/run.sh\` section 1: \`loader fetch --source alphavantage --base-url http://127.0.0.1:PORT/query --outputsize full --datatype D --format F --concurrency $CONCURRENCY --rate 0\` and \`python3 bench/reference.py URL SYMBOLS OUT D $CONCURRENCY\`."
	out "The Python reference writes CSV (Debian 12 packages no Parquet writer for Python); loader is shown writing Parquet (zstd, its default) and CSV. CPU ms/symbol is the client's user+sys time (from /usr/bin/time) over the symbols; server CPU ms/symbol is what \`loader serve\` used meanwhile (from /proc/PID/stat). Both share the same cores."
	out ""
	out "| symbols | wire | tool → output | median s | symbols/s | rows/s | wire MB/s | CPU ms/symbol | server CPU ms/symbol | peak RSS MB | vs Python |"
	out "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	local n dt i tools
	for n in $FETCH_COUNTS; do
		for dt in json csv; do
			tools=(loader-parquet loader-csv)
			have_py aiohttp && tools+=(python)
			say "bench: fetch $n $dt: warming the server's cache"
			"$bin" fetch --source alphavantage --base-url "$base" --outputsize full --datatype "$dt" --format csv \
				--symbols-file "$(symbols "$n")" --out "$work/warm" --concurrency "$CONCURRENCY" --rate 0 --quiet >/dev/null
			for ((i = 0; i < RUNS; i++)); do # interleave the tools so drifting load hits all alike
				say "bench: fetch $n $dt run $((i + 1))/$RUNS"
				fetch_loader "fetch-$n-$dt-loader-parquet" "$n" "$dt" parquet
				fetch_loader "fetch-$n-$dt-loader-csv" "$n" "$dt" csv
				have_py aiohttp && fetch_python "fetch-$n-$dt-python" "$n" "$dt"
			done
			cp "$work/report.json" "$raw/fetch-$n-$dt-loader-csv.report.json"
			local r w
			r=$(grep -o '"rows": *[0-9]*' "$work/report.json" | tail -1 | grep -o '[0-9]*$')
			if have_py aiohttp; then
				w=$(tail -1 "$raw/fetch-$n-$dt-python.out" | grep -o '"wire_bytes": [0-9]*' | grep -o '[0-9]*$')
			else # no reference to count the bytes: ask the server for every answer once
				w=$(sed "s|.*|url = \"$base?function=TIME_SERIES_DAILY\&symbol=&\&outputsize=full\&datatype=$dt\&apikey=bench\"\noutput = /dev/null|" "$(symbols "$n")" |
					curl -s -K - -w '%{size_download}\n' | awk '{s += $1} END {print s}')
			fi
			wire_bytes[$n-$dt]=$w
			rows[$n]=$r
			local t label name py_t= ratio
			have_py aiohttp && py_t=$(med_wall "fetch-$n-$dt-python")
			for tool in "${tools[@]}"; do
				label=fetch-$n-$dt-$tool
				t=$(med_wall "$label")
				case $tool in
				loader-parquet) name="loader → Parquet zstd" ;;
				loader-csv) name="loader → CSV" ;;
				python) name="Python asyncio+aiohttp → CSV" ;;
				esac
				ratio="n/a"
				[[ -n $py_t ]] && ratio=$(calc '%.1f×' "$py_t / $t")
				mbps[$n-$dt-$tool]=$(calc %.1f "$w / $t / 1e6")
				out "| $n | $dt | $name | $(calc %.2f "$t") | $(calc %.0f "$n / $t") | $(calc %.0f "$r / $t") | $(calc %.1f "$w / $t / 1e6") | $(calc %.1f "1000 * $(med_cpu "$label") / $n") | $(calc %.1f "1000 * $(med_server_cpu "$label") / $n") | $(calc %.0f "$(med_rss_mb "$label")") | $ratio |"
			done
		done
	done
	out ""
}

# --- 2. the transport limit -------------------------------------------------------
section_wrk() {
	local n
	n=$(tr ' ' '\n' <<<"$FETCH_COUNTS" | tail -1)
	out "## 2. Transport limit: the same server, the same answers, no client work (wrk, $WRK_SECONDS s, 2 threads, $CONCURRENCY connections)"
	out ""
	if ! command -v wrk >/dev/null; then
		out "wrk is not installed (apt-get install wrk): skipped."
		out ""
		return
	fi
	out "Command: \`BENCH_SYMBOLS=symbols-$n BENCH_DATATYPE=D wrk -t2 -c$CONCURRENCY -d${WRK_SECONDS}s -s bench/wrk.lua http://127.0.0.1:PORT/query\` (cycles through the $n symbols of section 1)."
	out ""
	out "| wire | wrk requests/s | wrk MB/s | loader → CSV MB/s | loader → Parquet MB/s | Python → CSV MB/s | loader / transport |"
	out "|---|---:|---:|---:|---:|---:|---:|"
	local dt rps bps
	for dt in json csv; do
		say "bench: wrk $dt"
		BENCH_SYMBOLS=$(symbols "$n") BENCH_DATATYPE=$dt wrk -t2 -c"$CONCURRENCY" -d"${WRK_SECONDS}s" \
			-s bench/wrk.lua "$base" >"$raw/wrk-$dt.out" 2>&1 || { out "| $dt | wrk failed, see bench/results/raw/wrk-$dt.out ||||||"; continue; }
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$raw/wrk-$dt.out")
		bps=$(awk '/^Transfer\/sec:/ { v = $2; u = substr(v, length(v) - 1); v += 0
			if (u == "KB") v *= 1024; else if (u == "MB") v *= 1048576; else if (u == "GB") v *= 1073741824
			print v }' "$raw/wrk-$dt.out")
		local best=${mbps[$n-$dt-loader-csv]:-0}
		out "| $dt | $(calc %.0f "$rps") | $(calc %.1f "$bps / 1e6") | ${mbps[$n-$dt-loader-csv]:-n/a} | ${mbps[$n-$dt-loader-parquet]:-n/a} | ${mbps[$n-$dt-python]:-n/a} | $(calc %.0f%% "100 * $best * 1e6 / $bps") |"
	done
	out ""
}

# gobench LABEL PKG REGEX [go test flags] runs Go benchmarks RUNS times and
# writes "name unit value" lines to $work/LABEL.metrics.
gobench() {
	local label=$1 pkg=$2 re=$3
	shift 3
	say "bench: go test -bench $re $pkg"
	if ! go test -run '^$' -bench "$re" -benchmem -count "$RUNS" "$@" "$pkg" >"$raw/$label.out" 2>&1; then
		out "\`go test -bench '$re' $pkg\` failed (see bench/results/raw/$label.out): skipped."
		out ""
		return 1
	fi
	awk '/^Benchmark/ { name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
		for (i = 3; i < NF; i += 2) print name, $(i + 1), $i }' "$raw/$label.out" >"$work/$label.metrics"
}
# metric LABEL NAME UNIT prints the median of a benchmark metric.
metric() { awk -v n="$2" -v u="$3" '$1 == n && $2 == u {print $3}' "$work/$1.metrics" | median 2>/dev/null || echo 0; }

# --- 3. decode -------------------------------------------------------------------
section_decode() {
	out "## 3. Decode: wire bytes → Arrow record, one symbol's full history (median of $RUNS)"
	out ""
	out "Command: \`go test -run '^\$' -bench Decode -benchmem -count $RUNS -benchtime $GO_BENCHTIME ./sources/\`. The baselines only tokenize (encoding/json into maps of strings, encoding/csv records): they convert no numbers and build no Arrow arrays."
	out ""
	gobench decode ./sources/ Decode -benchtime "$GO_BENCHTIME" || return 0
	out "| benchmark | MB/s | µs/op | allocs/op | vs encoding/json or encoding/csv |"
	out "|---|---:|---:|---:|---:|"
	local name base
	for name in $(awk '{print $1}' "$work/decode.metrics" | awk '!seen[$0]++'); do
		case $name in
		DecodeJSON/daily) base=DecodeJSONStdlib ;;
		DecodeCSV/daily) base=DecodeCSVStdlib ;;
		*) base= ;;
		esac
		local r="—"
		[[ -n $base ]] && r=$(calc '%.1f×' "$(metric decode "$name" MB/s) / $(metric decode "$base" MB/s)")
		out "| $name | $(calc %.0f "$(metric decode "$name" MB/s)") | $(calc %.0f "$(metric decode "$name" ns/op) / 1000") | $(metric decode "$name" allocs/op) | $r |"
	done
	out ""
}

# --- 4. write --------------------------------------------------------------------
section_write() {
	out "## 4. Write: one symbol (5,200 rows) to a Parquet file, fsync and rename included (median of $RUNS)"
	out ""
	out "Command: \`go test -run '^\$' -bench WriteParquet -benchmem -count $RUNS -benchtime $GO_BENCHTIME ./sinks/\`. MB/s counts the Arrow buffers written."
	out ""
	gobench write ./sinks/ WriteParquet -benchtime "$GO_BENCHTIME" || return 0
	out "| compression | rows/s | MB/s | ms/op | file KB |"
	out "|---|---:|---:|---:|---:|"
	local c
	for c in zstd snappy none; do
		out "| $c | $(calc %.0f "$(metric write "WriteParquet/$c" rows/s)") | $(calc %.1f "$(metric write "WriteParquet/$c" MB/s)") | $(calc %.1f "$(metric write "WriteParquet/$c" ns/op) / 1e6") | $(calc %.0f "$(metric write "WriteParquet/$c" file-bytes) / 1024") |"
	done
	out ""
}

# section_codec measures codec choices sinks has not made (bench/parquet_test.go).
section_codec() {
	out "### 4b. Parquet codec and level: one symbol encoded to memory with the sink's settings (median of $RUNS)"
	out ""
	out "Command: \`go test -run '^\$' -bench ParquetCodec -benchmem -count $RUNS -benchtime $GO_BENCHTIME ./bench/\`. No file, no fsync: the encoder's CPU alone. \"zstd\" is the default level sinks uses."
	out ""
	gobench codec ./bench/ ParquetCodec -benchtime "$GO_BENCHTIME" || return 0
	out "| codec | ms/op | rows/s | file KB | allocs/op |"
	out "|---|---:|---:|---:|---:|"
	local c
	for c in zstd zstd-level-1 zstd-symbol-dictionary snappy none; do
		out "| $c | $(calc %.2f "$(metric codec "ParquetCodec/$c" ns/op) / 1e6") | $(calc %.0f "$(metric codec "ParquetCodec/$c" rows/s)") | $(calc %.0f "$(metric codec "ParquetCodec/$c" file-bytes) / 1024") | $(metric codec "ParquetCodec/$c" allocs/op) |"
	done
	out ""
}

# --- 5. memory at scale -------------------------------------------------------------
section_memory() {
	out "## 5. Memory at scale: peak RSS of \`loader fetch\` (JSON → Parquet zstd, concurrency $CONCURRENCY)"
	out ""
	out "Command: \`/usr/bin/time -f %M loader fetch --datatype json --symbols-file symbols-N …\` (the section 1 runs where N matches, else one run). Goal: flat, under 150 MB at 5,000 symbols."
	out ""
	out "| symbols | peak RSS MB | wall s | symbols/s | runs |"
	out "|---:|---:|---:|---:|---:|"
	local n label t
	for n in $MEMORY_COUNTS; do
		label=fetch-$n-json-loader-parquet
		if [[ ! -f $raw/$label.times ]]; then
			say "bench: memory $n symbols"
			fetch_loader "$label" "$n" json parquet || continue
		fi
		t=$(med_wall "$label")
		out "| $n | $(calc %.0f "$(med_rss_mb "$label")") | $(calc %.1f "$t") | $(calc %.0f "$n / $t") | $(wc -l <"$raw/$label.times") |"
	done
	out ""
}

# --- 6. DataLoader ------------------------------------------------------------------
section_dataloader() {
	out "## 6. DataLoader: loader against PyTorch's DataLoader on the same windows (median of $RUNS)"
	out ""
	out "Command: \`go test -run '^\$' -bench VsPyTorch -benchtime 1x -count $RUNS ./loader/\` (10 symbols, window 32 × 5 features, horizon 1, batch 256, shuffled; PyTorch: a map-style Dataset slicing NumPy, best of num_workers 0, 1, 2; script loader/testdata/bench_torch.py). A sample is (32×5 + 1) float32 = 644 bytes."
	out ""
	if ! have_py "numpy, torch"; then
		out "PyTorch is not installed for $PY (apt-get install python3-numpy python3-torch): skipped."
		out ""
		return
	fi
	gobench dataloader ./loader/ VsPyTorch -benchtime 1x || return 0
	if grep -q -- '--- SKIP' "$raw/dataloader.out"; then
		out "Skipped by the benchmark: $(grep -m1 skipping "$raw/dataloader.out")"
		out ""
		return
	fi
	local g t
	g=$(metric dataloader VsPyTorch go-samples/s)
	t=$(metric dataloader VsPyTorch torch-samples/s)
	out "| tool | samples/s | MB/s | vs PyTorch |"
	out "|---|---:|---:|---:|"
	out "| loader (Go) | $(calc %.0f "$g") | $(calc %.1f "$g * 644 / 1e6") | $(calc '%.1f×' "$g / $t") |"
	out "| PyTorch DataLoader | $(calc %.0f "$t") | $(calc %.1f "$t * 644 / 1e6") | 1.0× |"
	out ""
	out "PyTorch by num_workers (last run): \`$(grep -o '"by_num_workers": {[^}]*}' "$raw/dataloader.out" | tail -1)\`"
	out ""
}

start=$(date +%s)
out "# loader benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
host
section_fetch
section_wrk
section_decode
section_write
section_codec
section_memory
section_dataloader
out "Whole run: $(($(date +%s) - start)) s (\`bench/run.sh\`, QUICK=$QUICK); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
say "bench: tables written to bench/results/latest.md"
