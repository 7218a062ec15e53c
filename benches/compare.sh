#!/usr/bin/env bash
# Throughput of shoal-server next to Debian's redis-server, measured with redis-benchmark.
#
# Both servers run at the same time on loopback, each pinned to the same single core; the
# benchmark client is pinned to another core. The same redis-benchmark matrix is run against
# them in alternation (shoal, redis, shoal, redis, ...) for ROUNDS rounds and the table shows
# the median requests/second of each server and the ratio shoal/redis.
#
# Usage: benches/compare.sh            (see benches/README.md; settings are environment variables)
#   ROUNDS=3  REQUESTS=200000  CLIENTS=50  PIPELINES="1 16"
#   TESTS=set,get,incr,mset,lpush,lpop,hset,sadd,zadd,lrange_100
#   KEYSPACE=            (redis-benchmark -r; empty = every request hits the same key)
#   SERVER_CORE=0  BENCH_CORE=1
#   SHOAL_BIN=path       (skip the build and run this binary instead of target/release/shoal-server;
#                         a redis-server binary works too, for a dry run of the script)
#   SHOAL_ARGS="..."     (extra arguments for shoal-server, split on spaces)
#   BOTH_ARGS="..."      (extra arguments for both servers, e.g. "--appendonly yes --appendfsync always")
#   RESULTS=file.tsv     (also keep every individual measurement there)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get,incr,mset,lpush,lpop,hset,sadd,zadd,lrange_100}
KEYSPACE=${KEYSPACE:-}
SERVER_CORE=${SERVER_CORE:-0}
BENCH_CORE=${BENCH_CORE:-1}
SHOAL_BIN=${SHOAL_BIN:-}
SHOAL_ARGS=${SHOAL_ARGS:-}
BOTH_ARGS=${BOTH_ARGS:-}
REDIS_BIN=${REDIS_BIN:-redis-server}
RESULTS=${RESULTS:-}

SELF=${BASH_SOURCE[0]}
[[ $SELF == */* ]] || SELF=./$SELF
ROOT=$(cd "${SELF%/*}/.." && pwd)

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

# positive NAME VALUE: dies unless VALUE is a positive integer
positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }

case "${1:-}" in
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    "") ;;
    *) die "unknown argument '$1' (settings are environment variables; see --help)" ;;
esac

positive ROUNDS "$ROUNDS"
positive REQUESTS "$REQUESTS"
positive CLIENTS "$CLIENTS"
[[ -n ${PIPELINES// /} ]] || die "PIPELINES is empty"
for p in $PIPELINES; do positive "PIPELINES entry" "$p"; done
[[ -z $KEYSPACE ]] || positive KEYSPACE "$KEYSPACE"

# ---------------------------------------------------------------------------------------------
# tools
# ---------------------------------------------------------------------------------------------

missing=()
command -v "$REDIS_BIN" >/dev/null 2>&1 || missing+=("$REDIS_BIN")
command -v redis-benchmark >/dev/null 2>&1 || missing+=(redis-benchmark)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-cli)
if ((${#missing[@]})); then
    die "missing ${missing[*]}; install with: apt-get install -y redis-server redis-tools"
fi
REDIS_BIN=$(command -v "$REDIS_BIN")

# Pinning: the servers share SERVER_CORE (one at a time is busy), the client gets BENCH_CORE.
SERVER_PIN=()
BENCH_PIN=()
if command -v taskset >/dev/null 2>&1; then
    if taskset -c "$SERVER_CORE" true 2>/dev/null; then
        SERVER_PIN=(taskset -c "$SERVER_CORE")
    else
        say "warning: cannot pin to core $SERVER_CORE (set SERVER_CORE); servers run unpinned"
    fi
    if [[ $BENCH_CORE != "$SERVER_CORE" ]] && taskset -c "$BENCH_CORE" true 2>/dev/null; then
        BENCH_PIN=(taskset -c "$BENCH_CORE")
    else
        say "warning: core $BENCH_CORE is not available (set BENCH_CORE); redis-benchmark runs unpinned"
    fi
else
    say "warning: taskset not found (apt-get install -y util-linux); nothing is pinned"
fi

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

if [[ -z $SHOAL_BIN ]]; then
    command -v cargo >/dev/null 2>&1 || die "cargo not found (or set SHOAL_BIN to a built shoal-server)"
    say "building shoal-server (release)..."
    (cd "$ROOT" && cargo build --release --bin shoal-server) >&2
    SHOAL_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/shoal-server
fi
[[ -x $SHOAL_BIN ]] || die "shoal binary '$SHOAL_BIN' does not exist or is not executable"
SHOAL_BIN=$(cd "$(dirname "$SHOAL_BIN")" && pwd)/$(basename "$SHOAL_BIN")

# ---------------------------------------------------------------------------------------------
# servers: started here, stopped here, by PID only
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-compare.XXXXXX")
PIDS=()      # servers started by this script
BENCH_PID=   # the redis-benchmark currently running, if any

# stop_pid, cleanup (the EXIT trap), port_in_use, start_server
# shellcheck source=benches/lib.sh
source "$ROOT/benches/lib.sh"

REDIS_ARGS=(--save '' --appendonly no --daemonize no)
# Persistence off on both sides: no background save may land inside a measurement.
shoal_args=(--save '' --appendonly no)
# A redis-server standing in for shoal (dry run) gets redis-server's settings.
if "$SHOAL_BIN" --version 2>/dev/null | grep -q '^Redis server'; then
    shoal_args=("${REDIS_ARGS[@]}")
fi
read -r -a extra <<<"$SHOAL_ARGS"
shoal_args+=("${extra[@]}")
# Settings for both (after the defaults above, so they win): e.g. the AOF on both sides.
read -r -a both <<<"$BOTH_ARGS"
shoal_args+=("${both[@]}")
REDIS_ARGS+=("${both[@]}")

start_server shoal "$SHOAL_BIN" "${shoal_args[@]}"
SHOAL_PORT=$STARTED_PORT SHOAL_PID=$STARTED_PID
start_server redis "$REDIS_BIN" "${REDIS_ARGS[@]}"
REDIS_PORT=$STARTED_PORT REDIS_PID=$STARTED_PID

say "shoal: $SHOAL_BIN (pid $SHOAL_PID, port $SHOAL_PORT)"
say "redis: $REDIS_BIN $("$REDIS_BIN" --version | grep -o 'v=[^ ]*') (pid $REDIS_PID, port $REDIS_PORT)"
say "pinning: servers ${SERVER_PIN[*]:-unpinned}, redis-benchmark ${BENCH_PIN[*]:-unpinned}"
say "matrix: -t $TESTS -c $CLIENTS -n $REQUESTS -P {${PIPELINES// /,}}${KEYSPACE:+ -r $KEYSPACE}, $ROUNDS rounds"

# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------

DATA=$WORK/results.tsv # server<TAB>pipeline<TAB>round<TAB>test<TAB>rps
: >"$DATA"

# bench SERVER PORT PID PIPELINE ROUND
bench() {
    local server=$1 port=$2 pid=$3 pipeline=$4 round=$5 out=$WORK/bench.csv err=$WORK/bench.err
    local args=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$REQUESTS" -P "$pipeline" -t "$TESTS" --csv)
    [[ -z $KEYSPACE ]] || args+=(-r "$KEYSPACE")
    # In the background + wait, so that INT/TERM interrupt the run at once (see cleanup).
    "${BENCH_PIN[@]}" redis-benchmark "${args[@]}" >"$out" 2>"$err" &
    BENCH_PID=$!
    local rc=0
    wait "$BENCH_PID" || rc=$?
    BENCH_PID=
    if ((rc != 0)); then
        say "redis-benchmark against $server failed:"
        cat "$err" "$out" >&2
        exit 1
    fi
    kill -0 "$pid" 2>/dev/null || die "$server (pid $pid) died during the benchmark; log: $WORK/$server/server.log"
    # "SET","123456.78","0.123",...  (header line starts with "test")
    local rows
    rows=$(awk -F'","' -v s="$server" -v p="$pipeline" -v r="$round" '
        NR > 1 || $1 != "\"test" {
            name = $1; sub(/^"/, "", name)
            rps = $2
            if (name != "" && rps ~ /^[0-9.]+$/) { printf "%s\t%s\t%s\t%s\t%s\n", s, p, r, name, rps; n++ }
        }
        END { if (n == 0) exit 1 }' "$out") || {
        say "no results from redis-benchmark against $server; its output:"
        cat "$out" "$err" >&2
        exit 1
    }
    if grep -qi 'error' "$err"; then
        say "redis-benchmark against $server reported errors:"
        cat "$err" >&2
        exit 1
    fi
    printf '%s\n' "$rows" >>"$DATA"
    say "$(printf '  round %s  -P %-3s %-6s %s' "$round" "$pipeline" "$server" \
        "$(cut -f4,5 <<<"$rows" | tr '\t\n' '= ' | sed 's/ $//')")"
}

for round in $(seq "$ROUNDS"); do
    for pipeline in $PIPELINES; do
        bench shoal "$SHOAL_PORT" "$SHOAL_PID" "$pipeline" "$round"
        bench redis "$REDIS_PORT" "$REDIS_PID" "$pipeline" "$round"
    done
done

[[ -z $RESULTS ]] || cp "$DATA" "$RESULTS"

# ---------------------------------------------------------------------------------------------
# table: median per (test, pipeline, server)
# ---------------------------------------------------------------------------------------------

echo
echo "median requests/s over $ROUNDS rounds; redis-benchmark -c $CLIENTS -n $REQUESTS${KEYSPACE:+ -r $KEYSPACE}" \
    "(servers: ${SERVER_PIN[*]:-unpinned}; client: ${BENCH_PIN[*]:-unpinned}); redis $("$REDIS_BIN" --version | grep -o 'v=[^ ]*')"
printf '%-16s %8s %14s %14s %12s\n' test pipeline "shoal rps" "redis rps" shoal/redis
printf '%-16s %8s %14s %14s %12s\n' ---- -------- --------- --------- -----------
# Tests in the order redis-benchmark ran them, then pipeline depth as given.
cut -f4 "$DATA" | awk '!seen[$0]++' | while IFS= read -r test; do
    for pipeline in $PIPELINES; do
        awk -F'\t' -v t="$test" -v p="$pipeline" '
            $4 == t && $2 == p { v[$1] = v[$1] " " $5 }
            function median(list,   a, n, i, j, x) {
                n = split(list, a, " ")
                for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
                if (n == 0) return -1
                return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            }
            END {
                s = median(v["shoal"]); r = median(v["redis"])
                ratio = (s > 0 && r > 0) ? sprintf("%.2f", s / r) : "n/a"
                printf "%-16s %8s %14.0f %14.0f %12s\n", t, p, s, r, ratio
            }' "$DATA"
    done
done
