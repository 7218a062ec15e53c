#!/usr/bin/env bash
# Throughput and p99 latency of shoal-server next to Debian's redis-server, measured with
# redis-benchmark: issue 8's side-by-side matrix.
#
# Both servers run at the same time on loopback, shoal pinned to SHOAL_CORES and Redis to
# REDIS_CORES (the same core by default: only one of them is busy at any time); redis-benchmark
# is pinned to BENCH_CORES. For each round, each pipeline depth and each data size, every test
# runs against one server and right after against the other (test by test, so the two runs of a
# test are seconds apart), the first one alternating from round to round (A B, B A, A B, ...),
# each test as its own redis-benchmark run. Use an even number of
# rounds: the first of a pair measured slower on the machine of docs/benchmarks.md (1.5 to 3 %
# in requests/s, medians over 40 cells, in two matrices), so with an odd number the server
# that goes first in round 1 takes that penalty once more than the other. The database is flushed
# on both servers at the start of each (round, pipeline, data size) block, so tests that read
# (GET, LPOP, LRANGE_100) find what the earlier tests wrote.
# The table (benches/table.sh, which also reprints it from a kept RESULTS file) shows, per
# test, pipeline and data size, the medians over the rounds of each server's requests/s and p99
# latency and the ratios shoal/redis, the median of the rounds' own shoal/redis ratios (the two
# runs of a round are seconds apart), and the ratio of requests served per second of server CPU
# (user + system time of all the server's threads, from /proc/PID/stat): the throughput per
# core when the client, not the server, is the bottleneck.
#
# Each measurement lasts about DURATION seconds or more: before the rounds, a short
# redis-benchmark run per (pipeline, data size) and server estimates every test's rate, and -n
# is set from the faster server's rate (the same -n for both servers). A test whose runs took
# under half of DURATION in a round (the machine was busier during the sizing) gets a larger -n
# from the next round on. REQUESTS=N instead gives every measurement -n N.
#
# Usage: benches/compare.sh            (see benches/README.md; settings are environment variables)
#   ROUNDS=4  CLIENTS=50  PIPELINES="1 16"  DATASIZES="16 1024" (redis-benchmark -d, bytes)
#   TESTS=set,get,incr,lpush,lpop,hset,sadd,zadd,mset,lrange_100
#   KEYSPACE=100000      (redis-benchmark -r; 0 = every request hits the same key)
#   DURATION=2           (seconds each measurement should last; sizes -n per test)
#   REQUESTS=            (redis-benchmark -n for every measurement instead; skips the sizing)
#   SHOAL_CORES=0  REDIS_CORES=0  BENCH_CORES=1   (taskset -c lists, e.g. 0,1 or 0-3)
#   SHOAL_BIN=path       (skip the build and run this binary instead of target/release/shoal-server;
#                         a redis-server binary works too, for a dry run of the script)
#   SHOAL_ARGS="..."     (extra arguments for shoal-server, split on spaces, e.g. "--io-threads 2")
#   BOTH_ARGS="..."      (extra arguments for both servers, e.g. "--appendonly yes --appendfsync always")
#   REDIS_BIN=redis-server
#   RESULTS=file.tsv     (also keep every measurement there: server, pipeline, datasize, round,
#                         test, requests, rps, p99_ms, cpu_s; with a header line)
#   PLOT=file.svg        (also draw the ratios with benches/plot.py; needs python3)
set -euo pipefail

ROUNDS=${ROUNDS:-4}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
DATASIZES=${DATASIZES:-"16 1024"}
TESTS=${TESTS:-set,get,incr,lpush,lpop,hset,sadd,zadd,mset,lrange_100}
KEYSPACE=${KEYSPACE:-100000}
DURATION=${DURATION:-2}
REQUESTS=${REQUESTS:-}
SHOAL_CORES=${SHOAL_CORES:-0}
REDIS_CORES=${REDIS_CORES:-0}
BENCH_CORES=${BENCH_CORES:-1}
SHOAL_BIN=${SHOAL_BIN:-}
SHOAL_ARGS=${SHOAL_ARGS:-}
BOTH_ARGS=${BOTH_ARGS:-}
REDIS_BIN=${REDIS_BIN:-redis-server}
RESULTS=${RESULTS:-}
PLOT=${PLOT:-}

# ROOT, say, die, positive, help_or_die, shoal_binary; stop_pid, cleanup (the EXIT trap),
# port_in_use, start_server
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
help_or_die "$@"

positive ROUNDS "$ROUNDS"
if ((ROUNDS > 1 && ROUNDS % 2)); then
    say "note: ROUNDS=$ROUNDS is odd: shoal goes first in $(((ROUNDS + 1) / 2)) rounds, Redis in $((ROUNDS / 2)); the first of a pair tends to measure slower (see the header of this script)"
fi
positive CLIENTS "$CLIENTS"
positive DURATION "$DURATION"
[[ -z $REQUESTS ]] || positive REQUESTS "$REQUESTS"
[[ $KEYSPACE == 0 ]] || positive KEYSPACE "$KEYSPACE"
[[ -n ${PIPELINES// /} ]] || die "PIPELINES is empty"
for p in $PIPELINES; do positive "PIPELINES entry" "$p"; done
[[ -n ${DATASIZES// /} ]] || die "DATASIZES is empty"
for d in $DATASIZES; do positive "DATASIZES entry" "$d"; done
[[ $TESTS =~ ^[a-z0-9_]+(,[a-z0-9_]+)*$ ]] || die "TESTS must be a comma-separated list of redis-benchmark -t names, got '$TESTS'"
IFS=, read -r -a TEST_LIST <<<"$TESTS"
# The pop tests take what their push test left (see fill_pushes).
declare -A FILLED_BY=([lpop]=lpush [rpop]=rpush [spop]=sadd [zpopmin]=zadd)
# A reading test finds data only if the test that writes it runs before it in its block (the
# database is flushed at the start of each block): without SET, GET measures misses.
declare -A READS_FROM=([get]=set)
for test in "${!FILLED_BY[@]}"; do READS_FROM[$test]=${FILLED_BY[$test]}; done
seen=","
for test in "${TEST_LIST[@]}"; do
    writer=${READS_FROM[$test]:-}
    if [[ -n $writer && $seen != *",$writer,"* ]]; then
        say "warning: ${test^^} runs with no ${writer^^} before it in TESTS, on an empty database; use TESTS=$writer,$test to measure hits"
    fi
    seen+="$test,"
done

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
if [[ -n $PLOT ]]; then
    command -v python3 >/dev/null 2>&1 || die "PLOT needs python3 (apt-get install -y python3)"
fi

# expand_cores LIST: a taskset -c list ("0,2-3") as one core number a line
expand_cores() {
    local part
    local -a parts
    IFS=, read -r -a parts <<<"$1"
    for part in "${parts[@]}"; do
        if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
            seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
        elif [[ $part =~ ^[0-9]+$ ]]; then
            echo "$part"
        fi
    done
}

# Pinning: taskset -c LIST for each; a list this machine cannot use means unpinned, with a warning.
SHOAL_PIN=()
REDIS_PIN=()
BENCH_PIN=()
if command -v taskset >/dev/null 2>&1; then
    if taskset -c "$SHOAL_CORES" true 2>/dev/null; then
        SHOAL_PIN=(taskset -c "$SHOAL_CORES")
    else
        say "warning: cannot pin to cores $SHOAL_CORES (set SHOAL_CORES); shoal runs unpinned"
    fi
    if taskset -c "$REDIS_CORES" true 2>/dev/null; then
        REDIS_PIN=(taskset -c "$REDIS_CORES")
    else
        say "warning: cannot pin to cores $REDIS_CORES (set REDIS_CORES); redis runs unpinned"
    fi
    if taskset -c "$BENCH_CORES" true 2>/dev/null; then
        BENCH_PIN=(taskset -c "$BENCH_CORES")
    else
        say "warning: cores $BENCH_CORES are not available (set BENCH_CORES); redis-benchmark runs unpinned"
    fi
    # A core in a server's list and in the client's is allowed (the scaling runs do it), but
    # then the client takes cycles from that server: say so.
    for list in "$SHOAL_CORES" "$REDIS_CORES"; do
        shared=$(comm -12 <(expand_cores "$list" | sort -u) <(expand_cores "$BENCH_CORES" | sort -u) | tr '\n' ' ')
        if [[ -n $shared ]] && ((${#BENCH_PIN[@]})); then
            say "note: redis-benchmark shares core(s) ${shared% } with a server (cores $list)"
        fi
    done
else
    say "warning: taskset not found (apt-get install -y util-linux); nothing is pinned"
fi
PINNING="shoal ${SHOAL_PIN[*]:-unpinned}; redis ${REDIS_PIN[*]:-unpinned}; redis-benchmark ${BENCH_PIN[*]:-unpinned}"

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

shoal_binary

# ---------------------------------------------------------------------------------------------
# servers: started here, stopped here, by PID only (lib.sh)
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-compare.XXXXXX")
START=$SECONDS

server_args

SERVER_PIN=("${SHOAL_PIN[@]}")
start_server shoal "$SHOAL_BIN" "${shoal_args[@]}"
SHOAL_PORT=$STARTED_PORT SHOAL_PID=$STARTED_PID
SERVER_PIN=("${REDIS_PIN[@]}")
start_server redis "$REDIS_BIN" "${REDIS_ARGS[@]}"
REDIS_PORT=$STARTED_PORT REDIS_PID=$STARTED_PID
REDIS_VERSION=$("$REDIS_BIN" --version | grep -o 'v=[^ ]*')

say "shoal: $SHOAL_BIN ${shoal_args[*]} (pid $SHOAL_PID, port $SHOAL_PORT)"
say "redis: $REDIS_BIN $REDIS_VERSION (pid $REDIS_PID, port $REDIS_PORT)"
say "pinning: $PINNING"
say "matrix: -t $TESTS -c $CLIENTS -P {${PIPELINES// /,}} -d {${DATASIZES// /,}} -r $KEYSPACE," \
    "-n ${REQUESTS:-sized for ${DURATION} s}, $ROUNDS rounds"

# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------

DATA=$WORK/results.tsv
printf 'server\tpipeline\tdatasize\tround\ttest\trequests\trps\tp99_ms\tcpu_s\n' >"$DATA"

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
# cpu_ticks PID: the user + system time of all of PID's threads so far, in clock ticks (fields
# 14 and 15 of /proc/PID/stat, counted after the parenthesised name); empty without /proc.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# flush PORT NAME: FLUSHALL, so that every block starts from the same empty database.
flush() {
    [[ $(redis-cli -h 127.0.0.1 -p "$1" FLUSHALL 2>&1) == OK ]] || die "FLUSHALL on $2 failed"
}

ROWS=$WORK/rows.tsv
# run_benchmark SERVER PORT PID REQUESTS PIPELINE DATASIZE TESTS: one redis-benchmark --csv run;
# writes its rows to $ROWS as TEST<TAB>RPS<TAB>P99_MS, TEST being the row's name without its
# "(...)" note ("LRANGE_100 (first 100 elements)" -> "LRANGE_100"), without the LPUSH rows
# that only fill the list for LRANGE. Sets CPU_S to the server's CPU seconds during the run
# ("n/a" without /proc).
run_benchmark() {
    local server=$1 port=$2 pid=$3 requests=$4 pipeline=$5 datasize=$6 tests=$7
    local out=$WORK/bench.csv err=$WORK/bench.err rc=0
    local args=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$requests" -P "$pipeline" -d "$datasize" -t "$tests" --csv)
    ((KEYSPACE == 0)) || args+=(-r "$KEYSPACE")
    local ticks_before ticks_after
    ticks_before=$(cpu_ticks "$pid")
    # In the background + wait, so that INT/TERM interrupt the run at once (see cleanup).
    "${BENCH_PIN[@]}" redis-benchmark "${args[@]}" >"$out" 2>"$err" &
    BENCH_PID=$!
    wait "$BENCH_PID" || rc=$?
    BENCH_PID=
    ticks_after=$(cpu_ticks "$pid")
    CPU_S=n/a
    if [[ -n $ticks_before && -n $ticks_after ]]; then
        CPU_S=$(awk -v a="$ticks_before" -v b="$ticks_after" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')
    fi
    if ((rc != 0)); then
        say "redis-benchmark against $server failed:"
        cat "$err" "$out" >&2
        exit 1
    fi
    kill -0 "$pid" 2>/dev/null || die "$server (pid $pid) died during the benchmark; log: $WORK/$server/server.log"
    if grep -qi 'error' "$err"; then
        say "redis-benchmark against $server reported errors:"
        cat "$err" >&2
        exit 1
    fi
    # redis-benchmark 7.0: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
    # "p95_latency_ms","p99_latency_ms","max_latency_ms"; the columns are found by name.
    awk -F'","' '
        { gsub(/^"|"$/, "") }
        NR == 1 {
            for (i = 1; i <= NF; i++) col[$i] = i
            if (!("test" in col) || !("rps" in col) || !("p99_latency_ms" in col)) exit 2
            next
        }
        $1 ~ /needed to benchmark/ { next }
        {
            name = $1; sub(/ \(.*\)$/, "", name)
            rps = $col["rps"]; p99 = $col["p99_latency_ms"]
            if (name != "" && rps ~ /^[0-9.]+$/ && p99 ~ /^[0-9.]+$/) { printf "%s\t%s\t%s\n", name, rps, p99; n++ }
        }
        END { if (n == 0) exit 1 }' "$out" >"$ROWS" || {
        say "no results from redis-benchmark against $server (expected --csv with test, rps and p99_latency_ms columns); its output:"
        cat "$out" "$err" >&2
        exit 1
    }
}

# server_of SIDE (shoal or redis): sets port and pid, the caller's (bash scopes them dynamically),
# to that server's.
server_of() {
    if [[ $1 == shoal ]]; then port=$SHOAL_PORT pid=$SHOAL_PID; else port=$REDIS_PORT pid=$REDIS_PID; fi
}

# Requests per measurement, keyed "pipeline datasize test": REQUESTS, or sized from a short run.
declare -A N
# fill_pushes PIPELINE DATASIZE: a push test gets at least as many requests as its pop test.
fill_pushes() {
    local test fill
    for test in "${TEST_LIST[@]}"; do
        fill=${FILLED_BY[$test]:-}
        if [[ -n $fill && -n ${N["$1 $2 $fill"]:-} ]] && ((N["$1 $2 $fill"] < N["$1 $2 $test"])); then
            N["$1 $2 $fill"]=${N["$1 $2 $test"]}
        fi
    done
}

# resize PIPELINE DATASIZE ROUND: after both servers ran a block, a test whose faster run took
# under half of DURATION (the machine was busier during the sizing than now) gets more requests
# from the next round on; never fewer. Both servers always run a block with the same -n.
resize() {
    [[ -z $REQUESTS ]] || return 0
    local test n
    while IFS=$'\t' read -r test n; do
        say "  -P $1 -d $2 ${test,,}: runs under $((DURATION * 500)) ms, -n ${N["$1 $2 ${test,,}"]:-?} -> $n from round $(($3 + 1))"
        N["$1 $2 ${test,,}"]=$n
    done < <(awk -F'\t' -v p="$1" -v d="$2" -v r="$3" -v dur="$DURATION" '
        NR > 1 && $2 == p && $3 == d && $4 == r { if ($7 + 0 > max[$5]) max[$5] = $7 + 0; n[$5] = $6 }
        END {
            for (t in max) if (n[t] / max[t] < dur / 2) printf "%s\t%d\n", t, int(max[t] * dur / 1000 + 1) * 1000
        }' "$DATA")
    fill_pushes "$1" "$2"
}

for pipeline in $PIPELINES; do
    for datasize in $DATASIZES; do
        if [[ -n $REQUESTS ]]; then
            for test in "${TEST_LIST[@]}"; do N["$pipeline $datasize $test"]=$REQUESTS; done
            continue
        fi
        # 20 batches per client: long enough for a rate, short enough to be cheap.
        pilot=$((CLIENTS * pipeline * 20))
        declare -A fastest=()
        for side in shoal redis; do
            server_of "$side"
            flush "$port" "$side"
            # One run for every test (redis-benchmark runs them in its own order), twice: the
            # first one's writes land in fresh memory and its rates come out far too low
            # (MSET -d 1024: a fifth of the real rate).
            run_benchmark "$side" "$port" "$pid" "$pilot" "$pipeline" "$datasize" "$TESTS"
            run_benchmark "$side" "$port" "$pid" "$pilot" "$pipeline" "$datasize" "$TESTS"
            for test in "${TEST_LIST[@]}"; do
                # The row named as the test ("lrange_100" -> LRANGE_100), or the slowest of
                # those it stands for ("ping" -> PING_INLINE, PING_MBULK).
                rps=$(awk -F'\t' -v t="$test" '
                    { name = tolower($1) }
                    name == t || index(name, t "_") == 1 { if (min == "" || $2 + 0 < min) min = $2 + 0 }
                    END { if (min == "") exit 1; print min }' "$ROWS") ||
                    die "the sizing run against $side gave no row for test '$test'; rows: $(cut -f1 "$ROWS" | tr '\n' ' ')"
                if [[ -z ${fastest[$test]:-} ]] || awk -v a="$rps" -v b="${fastest[$test]}" 'BEGIN { exit !(a > b) }'; then
                    fastest[$test]=$rps
                fi
            done
        done
        for test in "${TEST_LIST[@]}"; do
            # rate x DURATION, rounded up to 1000, at least 10 batches per client
            N["$pipeline $datasize $test"]=$(awk -v r="${fastest[$test]}" -v d="$DURATION" -v m=$((CLIENTS * pipeline * 10)) \
                'BEGIN { n = int(r * d / 1000 + 1) * 1000; if (n < m) n = m; print n }')
        done
        fill_pushes "$pipeline" "$datasize"
        unset fastest
        say "  -P $pipeline -d $datasize: -n $(for t in "${TEST_LIST[@]}"; do printf '%s=%s ' "$t" "${N["$pipeline $datasize $t"]}"; done)"
    done
done

# bench_one SERVER PIPELINE DATASIZE ROUND TEST: one test against one server; its rows go to
# DATA and its TEST=rps/p99 summary to LINE[SERVER].
declare -A LINE=()
bench_one() {
    local server=$1 pipeline=$2 datasize=$3 round=$4 test=$5 port pid requests row
    server_of "$server"
    requests=${N["$pipeline $datasize $test"]}
    run_benchmark "$server" "$port" "$pid" "$requests" "$pipeline" "$datasize" "$test"
    while IFS= read -r row; do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$pipeline" "$datasize" "$round" \
            "${row%%$'\t'*}" "$requests" "${row#*$'\t'}" "$CPU_S" >>"$DATA"
        LINE[$server]+=$(awk -F'\t' '{ printf " %s=%.0f/%s", $1, $2, $3 }' <<<"$row")
    done <"$ROWS"
}

# bench FIRST SECOND PIPELINE DATASIZE ROUND: both databases flushed, then each test against
# FIRST and right after against SECOND, so the two runs of a test are seconds apart and share
# the machine's mood; each server still sees the tests in order (GET after SET, LPOP after
# LPUSH).
bench() {
    local first=$1 second=$2 pipeline=$3 datasize=$4 round=$5 test side
    flush "$SHOAL_PORT" shoal
    flush "$REDIS_PORT" redis
    LINE=([shoal]="" [redis]="")
    for test in "${TEST_LIST[@]}"; do
        for side in "$first" "$second"; do
            bench_one "$side" "$pipeline" "$datasize" "$round" "$test"
        done
    done
    for side in "$first" "$second"; do
        say "$(printf '  round %s  -P %-3s -d %-5s %-6s' "$round" "$pipeline" "$datasize" "$side")${LINE[$side]}"
    done
}

say "measuring (each line: TEST=requests/s/p99 ms)"
for round in $(seq "$ROUNDS"); do
    for pipeline in $PIPELINES; do
        for datasize in $DATASIZES; do
            # Who goes first alternates from round to round (A B, B A, A B, ...), so that neither
            # server always runs in the other's wake.
            if ((round % 2)); then
                bench shoal redis "$pipeline" "$datasize" "$round"
            else
                bench redis shoal "$pipeline" "$datasize" "$round"
            fi
            ((round == ROUNDS)) || resize "$pipeline" "$datasize" "$round"
        done
    done
done
ELAPSED=$((SECONDS - START))

[[ -z $RESULTS ]] || cp "$DATA" "$RESULTS"

# ---------------------------------------------------------------------------------------------
# table: medians per (test, pipeline, data size, server)
# ---------------------------------------------------------------------------------------------

echo
echo "medians over $ROUNDS rounds; redis-benchmark -c $CLIENTS -r $KEYSPACE" \
    "-n ${REQUESTS:-sized for about $DURATION s per measurement}; redis $REDIS_VERSION${SHOAL_ARGS:+; shoal $SHOAL_ARGS}${BOTH_ARGS:+; both $BOTH_ARGS}"
echo "pinning: $PINNING"
echo "rps: requests/s (higher is better); p99: 99th percentile latency in ms (lower is better)"
"$ROOT/benches/table.sh" "$DATA"
echo "took $((ELAPSED / 60)) min $((ELAPSED % 60)) s (measurements, after the build)"

if [[ -n $PLOT ]]; then
    python3 "$ROOT/benches/plot.py" "$DATA" "$PLOT" \
        --title "shoal / redis $REDIS_VERSION, redis-benchmark -c $CLIENTS -r $KEYSPACE, medians of $ROUNDS rounds ($PINNING)" ||
        die "benches/plot.py failed"
    say "plot: $PLOT"
fi
