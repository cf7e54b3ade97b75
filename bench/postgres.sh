#!/usr/bin/env bash
# bench/postgres.sh — `loader fetch --out postgres://…` against `psql \copy`
# of the same rows from CSV, in the same run, on the same server.
# BENCHMARKS.md explains the figures; `make bench-postgres` runs it. It
# writes the table to bench/results/postgres.md and prints it.
#
# Settings (environment):
#   SYMBOLS=1000      symbols of full sample history (5,218 rows each)
#   RUNS=3            runs of each tool, interleaved; the median is reported
#   DB_CONNS=4        loader's --db-conns
#   PG_SETTINGS       extra server settings ("autovacuum=off": otherwise a
#                     vacuum started by one run is charged to the next; every
#                     other setting is the server's default, so every commit
#                     is flushed to disk)
#   PG_BIN            the PostgreSQL binaries (default: the newest
#                     /usr/lib/postgresql/*/bin)
#
# It starts its own server (initdb into a temporary directory, as the
# postgres user when run as root; password authentication on 127.0.0.1 at a
# free port) and removes it on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SYMBOLS=${SYMBOLS:-1000}
RUNS=${RUNS:-3}
DB_CONNS=${DB_CONNS:-4}
PG_SETTINGS=${PG_SETTINGS-autovacuum=off}

say() { printf '%s\n' "$*" >&2; }
median() { sort -g | awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

if [[ -z ${PG_BIN:-} ]]; then
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi
if [[ -z $PG_BIN || ! -x $PG_BIN/initdb ]]; then
	say "bench/postgres.sh: no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)"
	exit 1
fi
[[ -x /usr/bin/time ]] || { say "bench/postgres.sh: needs /usr/bin/time (apt-get install time)"; exit 1; }

work=$(mktemp -d /tmp/loader-pgbench-XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then
	chown postgres: "$work"
	as_pg=(runuser -u postgres --)
fi
cleanup() {
	[[ -f $work/data/postmaster.pid ]] && (cd "$work" && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1) || true
	rm -rf "$work"
}
trap cleanup EXIT

password="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" >"$work/pwfile"
[[ ${#as_pg[@]} -gt 0 ]] && chown postgres: "$work/pwfile"
(cd "$work" && "${as_pg[@]}" "$PG_BIN/initdb" -D "$work/data" -U loader --pwfile="$work/pwfile" \
	--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
opts="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work"
for kv in $PG_SETTINGS; do opts+=" -c $kv"; done
(cd "$work" && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -w -l "$work/server.log" -o "$opts" start >/dev/null)
export PGPASSWORD=$password # psql's and loader's, never on a command line
export PGOPTIONS="-c client_min_messages=warning"
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U loader "$@"; }
psql -d postgres -c "CREATE DATABASE bench"
url="postgres://loader@127.0.0.1:$port/bench?sslmode=disable"

say "building loader"
go build -o "$work/loader" ./cmd/loader
seq -f 'S%04g' 0 $((SYMBOLS - 1)) >"$work/symbols.txt"
say "writing the same $SYMBOLS symbols as one CSV file for \\copy"
"$work/loader" fetch --source sample --symbols-file "$work/symbols.txt" --format csv --layout single \
	--out "$work/csv" --quiet >/dev/null 2>&1
rows=$(($(wc -l <"$work/csv/data.csv") - 1))

ddl() {
	cat <<-SQL
		CREATE TABLE $1 (symbol text NOT NULL, date date NOT NULL,
		  open double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
		  close double precision NOT NULL, volume bigint NOT NULL, PRIMARY KEY (symbol, date))
	SQL
}
reset() { psql -d bench -c "DROP TABLE IF EXISTS prices, prices_copy, loader_symbols, loader_datasets" -c "CHECKPOINT"; }

# server_cpu prints the CPU seconds the server has used so far: the
# postmaster and its live children, plus the backends it has reaped.
server_cpu() {
	local pm ticks
	pm=$(head -1 "$work/data/postmaster.pid")
	ticks=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat")
	for child in $(pgrep -P "$pm"); do
		ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$child/stat" 2>/dev/null || echo 0)))
	done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# settle waits until the server's backends have ended and been counted.
settle() {
	local pm
	pm=$(head -1 "$work/data/postmaster.pid")
	for _ in $(seq 100); do
		(($(pgrep -c -P "$pm") <= auxiliary)) && return
		sleep 0.05
	done
}

# timed runs "$@" under /usr/bin/time and appends to file $1's name, one
# line: elapsed s, peak RSS KiB, client CPU s, server CPU s.
timed() {
	local out=$1
	shift
	local before after
	settle
	before=$(server_cpu)
	/usr/bin/time -f '%e %M %U %S' -o "$work/t" "$@"
	if [[ -n $poller ]]; then
		pkill -P "$poller" psql || true
		wait "$poller" || true
		poller=
	fi
	settle
	after=$(server_cpu)
	awk -v b="$before" -v a="$after" '{ printf "%s %s %.2f %.2f\n", $1, $2, $3 + $4, a - b }' "$work/t" >>"$out"
}

# watch_conns counts loader's connections every 20 ms, on one connection of
# its own, into $work/conns until it is killed.
watch_conns() {
	printf "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'loader%%'\n\\watch 0.02\n" |
		"$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$port" -U loader -d bench >"$work/conns" 2>/dev/null
}

: >"$work/copy.times"
: >"$work/loader.times"
: >"$work/again.times"
: >"$work/peaks"
poller=
sleep 1 # the backends of the commands above end
auxiliary=$(pgrep -c -P "$(head -1 "$work/data/postmaster.pid")") # checkpointer, WAL writer, …
load_start=$(cut -d' ' -f1 /proc/loadavg)
for run in $(seq 1 "$RUNS"); do
	say "run $run/$RUNS: psql \\copy"
	reset
	psql -d bench -c "$(ddl prices_copy)"
	timed "$work/copy.times" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U loader -d bench \
		-c "\\copy prices_copy FROM '$work/csv/data.csv' WITH (FORMAT csv, HEADER)"
	got=$(psql -d bench -At -c "SELECT count(*) FROM prices_copy")
	[[ $got == "$rows" ]] || { say "\\copy loaded $got rows, not $rows"; exit 1; }

	say "run $run/$RUNS: loader fetch --out postgres://… --db-conns $DB_CONNS"
	reset
	watch_conns &
	poller=$!
	timed "$work/loader.times" "$work/loader" fetch --source sample --symbols-file "$work/symbols.txt" \
		--out "$url" --db-conns "$DB_CONNS" --quiet --report "$work/report.json" >"$work/loader.out" 2>&1 ||
		{ cat "$work/loader.out" >&2; exit 1; }
	sort -g "$work/conns" | tail -1 >>"$work/peaks"
	got=$(psql -d bench -At -c "SELECT count(*) FROM prices")
	[[ $got == "$rows" ]] || { say "loader loaded $got rows, not $rows"; exit 1; }

	say "run $run/$RUNS: loader fetch again (every row already there)"
	timed "$work/again.times" "$work/loader" fetch --source sample --symbols-file "$work/symbols.txt" \
		--out "$url" --db-conns "$DB_CONNS" --quiet >"$work/loader.out" 2>&1 || { cat "$work/loader.out" >&2; exit 1; }
done
load_end=$(cut -d' ' -f1 /proc/loadavg)

col() { cut -d' ' -f"$1" "$2" | median; }
maxcol() { cut -d' ' -f"$1" "$2" | sort -g | tail -1; }
runs() { cut -d' ' -f1 "$1" | paste -sd' '; }
rate() { awk -v r="$rows" -v s="$1" 'BEGIN { printf "%.0f", r / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * b / a }'; }
row() { # name file peak
	local s
	s=$(col 1 "$2")
	local cpu
	cpu=$(awk -v c="$(col 3 "$2")" -v v="$(col 4 "$2")" 'BEGIN { print c + v }')
	echo "| $1 | $s ($(runs "$2")) | $(rate "$s") | $(ratio "$(rate "$(col 1 "$work/copy.times")")" "$(rate "$s")") | $(col 3 "$2") | $(col 4 "$2") | $(rate "$cpu") | $3 | $(($(maxcol 2 "$2") / 1024)) |"
}

mkdir -p bench/results
md=bench/results/postgres.md
{
	echo "$SYMBOLS symbols, $rows rows; PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), settings: ${PG_SETTINGS:-defaults}; median of $RUNS interleaved runs; load average $load_start at the start, $load_end at the end"
	echo
	echo "| load | median s (each run) | rows/s | vs \\copy | client CPU s | server CPU s | rows per CPU s | peak connections | peak RSS MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	row "psql \\copy from CSV (one stream, one transaction)" "$work/copy.times" 1
	row "loader fetch --out postgres://… --db-conns $DB_CONNS (generating the sample data included)" "$work/loader.times" "$(sort -g "$work/peaks" | tail -1)"
	row "loader fetch again: every row already stored, none rewritten" "$work/again.times" "≤ $DB_CONNS"
} | tee "$md"
