#!/usr/bin/env bash
# What a background snapshot costs while clients are busy: BGSAVE (or BGREWRITEAOF) of KEYS keys
# under redis-benchmark load, on shoal-server (fork-less, slot-granular copy-on-write) and on
# Debian's redis-server (fork-based), one server after the other.
#
# For each server: start it, load KEYS distinct keys (key:000000000000 ...) through
# redis-cli --pipe, record used_memory and RSS, run a baseline redis-benchmark (p99 per test),
# then one idle snapshot (no clients) and one snapshot per test while that test runs in the
# background, sampling memory every 50 ms until the snapshot is over. The error replies the
# server counted (INFO stats total_error_replies) must not change. The table (stdout) shows
# memory, snapshot time, p99 before and during, error replies and the "< 2x dataset" verdict.
#
# Usage: benches/snapshot_latency.sh   (see benches/README.md; settings are environment variables)
#   KEYS=1000000  VALUE_SIZE=100  REQUESTS=300000 (baseline -n)  CLIENTS=50
#   MODE=bgsave|bgrewriteaof   SERVERS="shoal redis"
#   SERVER_CORE=0  BENCH_CORE=1
#   SHOAL_BIN=path       (skip the build; a redis-server binary works too, for a dry run)
#   SHOAL_ARGS="..."     (extra arguments for shoal-server, split on spaces)
#   REDIS_BIN=redis-server   SAVE_TIMEOUT=300 (seconds one snapshot may take)
#   RESULTS=file.tsv     (also keep the rows of the table there, tab-separated)
# Exit status: 0 if every snapshot succeeded, no error reply was counted and memory stayed
# under 2x used_memory; 1 otherwise (the table is printed either way).
set -euo pipefail

KEYS=${KEYS:-1000000}
VALUE_SIZE=${VALUE_SIZE:-100}
REQUESTS=${REQUESTS:-300000}
CLIENTS=${CLIENTS:-50}
MODE=${MODE:-bgsave}
SERVERS=${SERVERS:-"shoal redis"}
SERVER_CORE=${SERVER_CORE:-0}
BENCH_CORE=${BENCH_CORE:-1}
SHOAL_BIN=${SHOAL_BIN:-}
SHOAL_ARGS=${SHOAL_ARGS:-}
REDIS_BIN=${REDIS_BIN:-redis-server}
SAVE_TIMEOUT=${SAVE_TIMEOUT:-300}
RESULTS=${RESULTS:-}
TESTS=(set get)   # one background benchmark (and one snapshot) per test
MAX_TRIES=4       # a benchmark that ends before its snapshot is run again, twice as long

# ROOT, say, die, positive, help_or_die, shoal_binary; stop_pid, cleanup (the EXIT trap),
# port_in_use, start_server
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
help_or_die "$@"

positive KEYS "$KEYS"
positive VALUE_SIZE "$VALUE_SIZE"
positive REQUESTS "$REQUESTS"
positive CLIENTS "$CLIENTS"
positive SAVE_TIMEOUT "$SAVE_TIMEOUT"
case $MODE in
    bgsave)
        SAVE_CMD=BGSAVE FLAG=rdb_bgsave_in_progress STATUS=rdb_last_bgsave_status
        COW=rdb_last_cow_size PERSIST_ARGS=(--appendonly no)
        ;;
    bgrewriteaof)
        SAVE_CMD=BGREWRITEAOF FLAG=aof_rewrite_in_progress STATUS=aof_last_bgrewrite_status
        COW=aof_last_cow_size PERSIST_ARGS=(--appendonly yes)
        ;;
    *) die "MODE must be bgsave or bgrewriteaof, got '$MODE'" ;;
esac
for s in $SERVERS; do [[ $s == shoal || $s == redis ]] || die "SERVERS may hold shoal and redis, got '$s'"; done
[[ -n ${SERVERS// /} ]] || die "SERVERS is empty"

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
[[ -r /proc/self/smaps_rollup ]] || die "/proc/PID/smaps_rollup is needed (Linux 4.14 or later)"

# Pinning: the server (and so its snapshot thread or fork child) on SERVER_CORE; redis-benchmark,
# the loader and this script's sampling on BENCH_CORE.
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

if [[ " $SERVERS " == *" shoal "* ]]; then
    shoal_binary
fi

# The sampling loop (this shell) next to the client, once the build is done.
if ((${#SERVER_PIN[@]} && ${#BENCH_PIN[@]})); then taskset -pc "$BENCH_CORE" $$ >/dev/null 2>&1 || true; fi

# ---------------------------------------------------------------------------------------------
# servers: started here, stopped here, by PID only
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-snapshot.XXXXXX")

# stop_server PID: stops it and forgets it.
stop_server() {
    local pid=$1 p keep=()
    stop_pid "$pid"
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

PORT=        # the server being measured
SPID=        # its PID
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# info SECTION FIELD: one INFO field, empty if the server does not report it.
info() { cli INFO "$1" | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2; exit }'; }

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # kB -> MB

# kb FILE KEY: the kB value of "KEY: <n> kB" in FILE (status, smaps_rollup); sets KB (0 if absent).
kb() {
    local line
    KB=0
    while IFS= read -r line; do
        if [[ $line == "$2:"* ]]; then
            line=${line#*:}
            KB=${line//[!0-9]/}
            return 0
        fi
    done 2>/dev/null <"$1" || true
}

# sample_memory: MEM_RSS = server VmRSS, MEM_CHILD = sum of its children's VmRSS (redis's fork
# child), MEM_TOTAL = sum of Pss over the server and its children (physical memory of the lot:
# pages the fork child still shares with the parent are counted once). All in kB.
sample_memory() {
    local kids=() k pss
    kb "/proc/$SPID/status" VmRSS
    MEM_RSS=$KB
    kb "/proc/$SPID/smaps_rollup" Pss
    pss=$KB
    MEM_CHILD=0
    read -r -a kids <<<"$(cat /proc/"$SPID"/task/*/children 2>/dev/null || true)"
    for k in "${kids[@]}"; do
        kb "/proc/$k/status" VmRSS
        MEM_CHILD=$((MEM_CHILD + KB))
        kb "/proc/$k/smaps_rollup" Pss
        pss=$((pss + KB))
    done
    MEM_TOTAL=$pss
}

# wait_idle: until no snapshot or rewrite runs or is scheduled (redis rewrites the AOF by itself).
wait_idle() {
    local i v
    for i in $(seq 6000); do
        v=$(cli INFO persistence | tr -d '\r' |
            awk -F: '$1 ~ /^(rdb_bgsave_in_progress|aof_rewrite_in_progress|aof_rewrite_scheduled)$/ { s += $2 } END { print s + 0 }')
        [[ $v == 0 ]] && return 0
        ((i % 100)) || say "  waiting for a background save/rewrite to finish..."
        sleep 0.05
    done
    die "a background save/rewrite did not finish within 300 s"
}

# load: KEYS distinct keys key:%012d (the names redis-benchmark -r KEYS uses), VALUE_SIZE bytes each.
load() {
    local out errors
    out=$(awk -v n="$KEYS" -v size="$VALUE_SIZE" 'BEGIN {
            v = sprintf("%*s", size, ""); gsub(/ /, "x", v)
            for (i = 0; i < n; i++) {
                k = sprintf("key:%012d", i)
                printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, size, v
            }
        }' | "${BENCH_PIN[@]}" redis-cli -h 127.0.0.1 -p "$PORT" --pipe 2>&1) ||
        { say "$out"; die "redis-cli --pipe failed"; }
    errors=$(sed -n 's/.*errors: \([0-9]*\), replies: \([0-9]*\).*/\1 \2/p' <<<"$out")
    [[ $errors == "0 $KEYS" ]] || { say "$out"; die "redis-cli --pipe: expected errors: 0, replies: $KEYS"; }
    local n
    n=$(cli DBSIZE)
    [[ $n == "$KEYS" ]] || die "DBSIZE is $n after loading $KEYS keys"
}

# bench_cmd N TESTS: sets BENCH to the redis-benchmark command line.
bench_cmd() {
    local n=$1 tests=$2
    BENCH=("${BENCH_PIN[@]}" redis-benchmark -h 127.0.0.1 -p "$PORT" -c "$CLIENTS" -n "$n"
        -r "$KEYS" -d "$VALUE_SIZE" -t "$tests" --csv)
}

# csv_field FILE TEST COLUMN: a number from redis-benchmark's CSV (columns: "test","rps",
# "avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms").
csv_field() {
    awk -F'","' -v t="${2^^}" -v c="$3" '
        NR == 1 { for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); col[h] = i } ; next }
        { name = $1; sub(/^"/, "", name) }
        name == t { v = $col[c]; gsub(/"/, "", v); print v; exit }' "$1"
}

check_bench() { # check_bench CSV ERR TEST...
    local csv=$1 err=$2 t
    shift 2
    if grep -qi 'error' "$err"; then
        say "redis-benchmark reported errors:"
        cat "$err" >&2
        BENCH_ERRORS=$((BENCH_ERRORS + 1))
    fi
    for t in "$@"; do
        [[ $(csv_field "$csv" "$t" p99_latency_ms) =~ ^[0-9.]+$ ]] || {
            say "no p99 for $t in redis-benchmark's output:"
            cat "$csv" "$err" >&2
            exit 1
        }
    done
}

# snapshot TEST: sends SAVE_CMD (optionally while BENCH_PID runs) and samples until it is over.
# Sets SAVE_SECS, SAVE_OK, PEAK_RSS, PEAK_CHILD, PEAK_TOTAL (kB), COW_KB, BENCH_DONE_FIRST.
snapshot() {
    local reply t0 t1 deadline inprog status cow
    PEAK_RSS=0 PEAK_CHILD=0 PEAK_TOTAL=0 BENCH_DONE_FIRST=0
    t0=$(now)
    reply=$(cli "$SAVE_CMD" 2>&1)
    case $reply in
        "Background saving started" | "Background append only file rewriting started") ;;
        *) die "$SAVE_CMD replied: $reply" ;;
    esac
    deadline=$((${t0%.*} + SAVE_TIMEOUT))
    while :; do
        sample_memory
        ((MEM_RSS > PEAK_RSS)) && PEAK_RSS=$MEM_RSS
        ((MEM_CHILD > PEAK_CHILD)) && PEAK_CHILD=$MEM_CHILD
        ((MEM_TOTAL > PEAK_TOTAL)) && PEAK_TOTAL=$MEM_TOTAL
        inprog=$(info persistence "$FLAG")
        [[ $inprog == 0 ]] && break
        [[ $inprog == 1 ]] || die "INFO persistence $FLAG is '$inprog'"
        if [[ -n $BENCH_PID ]] && ! kill -0 "$BENCH_PID" 2>/dev/null; then BENCH_DONE_FIRST=1; fi
        ((EPOCHSECONDS < deadline)) || die "$SAVE_CMD still in progress after $SAVE_TIMEOUT s"
        kill -0 "$SPID" 2>/dev/null || die "the server (pid $SPID) died during $SAVE_CMD"
        sleep 0.05
    done
    t1=$(now)
    SAVE_SECS=$(elapsed "$t0" "$t1")
    status=$(info persistence "$STATUS")
    SAVE_OK=$([[ $status == ok ]] && echo ok || echo "FAIL($status)")
    cow=$(info persistence "$COW")
    COW_KB=$([[ $cow =~ ^[0-9]+$ ]] && echo $((cow / 1024)) || echo "")
}

# ---------------------------------------------------------------------------------------------
# one server: load, measure, stop
# ---------------------------------------------------------------------------------------------

ROWS=$WORK/rows.tsv
: >"$ROWS"
FAILED=0
BENCH_ERRORS=0

# row SERVER TEST USED_KB RSS_KB OVERLAP P99_BEFORE P99_DURING ERRORS (and the snapshot's globals)
row() {
    local verdict ratio_used ratio_rss cow
    ratio_used=$(awk -v p="$PEAK_TOTAL" -v u="$3" 'BEGIN { printf "%.2f", (u > 0 ? p / u : 0) }')
    ratio_rss=$(awk -v p="$PEAK_TOTAL" -v u="$4" 'BEGIN { printf "%.2f", (u > 0 ? p / u : 0) }')
    verdict=$(awk -v r="$ratio_used" 'BEGIN { print (r + 0 < 2 ? "yes" : "NO") }')
    [[ $verdict == yes && $SAVE_OK == ok ]] || FAILED=1
    cow=${COW_KB:+$(mb "$COW_KB")}
    printf '%s\n' "$1	$MODE	$KEYS	$2	$(mb "$3")	$(mb "$4")	$(mb "$PEAK_RSS")	$(mb "$PEAK_CHILD")	$(mb "$PEAK_TOTAL")	${cow:--}	$ratio_used	$ratio_rss	$SAVE_SECS	$SAVE_OK	$5	$6	$7	$8	$verdict" >>"$ROWS"
}

measure() { # measure NAME BINARY ARGS...
    local name=$1 errors0 errors1 used rss tests base_csv base_err t n try csv err t0 t_started t_end
    local rps p99_before p99_during overlap c0 c
    start_server "$@"
    PORT=$STARTED_PORT SPID=$STARTED_PID
    say "$name: $2 (pid $SPID, port $PORT), $MODE, $KEYS keys of $VALUE_SIZE bytes"
    if [[ $MODE == bgrewriteaof ]]; then
        # Only the rewrite this script asks for: no automatic rewrite in the middle of a baseline.
        cli CONFIG SET auto-aof-rewrite-percentage 0 >/dev/null 2>&1 || true
    fi
    wait_idle
    errors0=$(info stats total_error_replies)

    say "  loading..."
    t0=$(now)
    load
    wait_idle
    used=$(($(info memory used_memory) / 1024))
    kb "/proc/$SPID/status" VmRSS
    rss=$KB
    say "  loaded in $(elapsed "$t0" "$(now)") s: used_memory $(mb "$used") MB, VmRSS $(mb "$rss") MB"

    # baseline
    tests=$(
        IFS=,
        echo "${TESTS[*]}"
    )
    base_csv=$WORK/$name.base.csv base_err=$WORK/$name.base.err
    bench_cmd "$REQUESTS" "$tests"
    say "  baseline: ${BENCH[*]}"
    "${BENCH[@]}" >"$base_csv" 2>"$base_err" &
    BENCH_PID=$!
    wait "$BENCH_PID" || { cat "$base_err" >&2; die "redis-benchmark failed"; }
    BENCH_PID=
    check_bench "$base_csv" "$base_err" "${TESTS[@]}"
    for t in "${TESTS[@]}"; do
        say "    ${t^^}: $(csv_field "$base_csv" "$t" rps) req/s, p99 $(csv_field "$base_csv" "$t" p99_latency_ms) ms"
    done

    # idle snapshot: its cost alone, and how long the benchmarks below must last
    wait_idle
    snapshot
    say "  idle $SAVE_CMD: $SAVE_SECS s, $SAVE_OK, peak: server RSS $(mb "$PEAK_RSS") MB, children RSS $(mb "$PEAK_CHILD") MB, total Pss $(mb "$PEAK_TOTAL") MB"
    row "$name" "(idle)" "$used" "$rss" - - - -
    local idle_secs=$SAVE_SECS

    # during: one background benchmark per test, one snapshot inside each
    for t in "${TESTS[@]}"; do
        rps=$(csv_field "$base_csv" "$t" rps)
        # At the baseline's rate, long enough for the snapshot (1.5x the idle one, under load)
        # plus 1 s around it: not much longer, or the p99 would mostly measure the time without
        # it. If the benchmark still ends first, it runs again twice as long.
        n=$(awk -v r="$rps" -v s="$idle_secs" 'BEGIN { n = int(r * (1.5 * s + 1)); print (n > 10000 ? n : 10000) }')
        for try in $(seq "$MAX_TRIES"); do
            csv=$WORK/$name.$t.csv err=$WORK/$name.$t.err
            wait_idle
            bench_cmd "$n" "$t"
            say "  during $SAVE_CMD: ${BENCH[*]}"
            c0=$(info stats total_commands_processed)
            t0=$(now)
            "${BENCH[@]}" >"$csv" 2>"$err" &
            BENCH_PID=$!
            # wait until it is sending
            for _ in $(seq 400); do
                c=$(info stats total_commands_processed)
                ((c > c0 + CLIENTS)) && break
                kill -0 "$BENCH_PID" 2>/dev/null || break
                sleep 0.025
            done
            t_started=$(now)
            snapshot
            wait "$BENCH_PID" || { cat "$err" >&2; die "redis-benchmark failed"; }
            BENCH_PID=
            t_end=$(now)
            check_bench "$csv" "$err" "$t"
            overlap="$SAVE_SECS/$(elapsed "$t0" "$t_end")"
            say "    ${t^^}: $SAVE_CMD $SAVE_SECS s ($SAVE_OK) inside a $(elapsed "$t0" "$t_end") s benchmark (sending after $(elapsed "$t0" "$t_started") s);" \
                "$(csv_field "$csv" "$t" rps) req/s, p99 $(csv_field "$csv" "$t" p99_latency_ms) ms;" \
                "peak: server RSS $(mb "$PEAK_RSS") MB, children RSS $(mb "$PEAK_CHILD") MB, total Pss $(mb "$PEAK_TOTAL") MB"
            ((BENCH_DONE_FIRST)) || break
            if ((try == MAX_TRIES)); then
                say "    the benchmark still ended before $SAVE_CMD after $MAX_TRIES tries: its p99 covers only part of it"
                overlap="$overlap(partial)"
            else
                say "    the benchmark ended before $SAVE_CMD: again with -n $((n * 2))"
                n=$((n * 2))
            fi
        done
        p99_before=$(csv_field "$base_csv" "$t" p99_latency_ms)
        p99_during=$(csv_field "$csv" "$t" p99_latency_ms)
        errors1=$(info stats total_error_replies)
        row "$name" "${t^^}" "$used" "$rss" "$overlap" "$p99_before" "$p99_during" "$((errors1 - errors0))"
    done

    errors1=$(info stats total_error_replies)
    if [[ $errors1 != "$errors0" ]]; then
        FAILED=1
        say "  $name counted $((errors1 - errors0)) error replies:"
        cli INFO errorstats | tr -d '\r' >&2
    fi
    ((BENCH_ERRORS == 0)) || FAILED=1
    say "  stopping $name"
    stop_server "$SPID"
    rm -rf "${WORK:?}/$name"
}

REDIS_ARGS=(--save '' "${PERSIST_ARGS[@]}" --daemonize no)
shoal_args=(--save '' "${PERSIST_ARGS[@]}")
if [[ -n $SHOAL_BIN ]] && "$SHOAL_BIN" --version 2>/dev/null | grep -q '^Redis server'; then
    shoal_args=("${REDIS_ARGS[@]}") # a redis-server standing in for shoal (dry run)
fi
read -r -a extra <<<"$SHOAL_ARGS"
shoal_args+=("${extra[@]}")

say "pinning: servers ${SERVER_PIN[*]:-unpinned}, redis-benchmark and sampling ${BENCH_PIN[*]:-unpinned}"
for s in $SERVERS; do
    case $s in
        shoal) measure shoal "$SHOAL_BIN" "${shoal_args[@]}" ;;
        redis) measure redis "$REDIS_BIN" "${REDIS_ARGS[@]}" ;;
    esac
done

[[ -z $RESULTS ]] || cp "$ROWS" "$RESULTS"

# ---------------------------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------------------------

echo
echo "$SAVE_CMD of $KEYS keys x $VALUE_SIZE B; redis-benchmark -c $CLIENTS -r $KEYS -d $VALUE_SIZE, baseline -n $REQUESTS" \
    "(servers: ${SERVER_PIN[*]:-unpinned}; client: ${BENCH_PIN[*]:-unpinned}); redis $("$REDIS_BIN" --version | grep -o 'v=[^ ]*')"
echo "MB: used = INFO used_memory after load, rss = VmRSS after load; peak during the snapshot: srv = server VmRSS,"
echo "child = fork child VmRSS, total = Pss of server + children (what the snapshot really holds); cow = INFO ${COW}"
fmt='%-6s %-12s %8s %-6s %6s %6s %6s %8s %6s %6s %8s %7s %7s %-4s %-15s %7s %7s %6s %s\n'
# shellcheck disable=SC2059
printf "$fmt" server mode keys test used rss "pk srv" "pk child" "pk tot" cow tot/used tot/rss "save s" save "save/bench s" "p99 bef" "p99 dur" errors "<2x"
# shellcheck disable=SC2059
printf "$fmt" ------ ---- ---- ---- ---- --- ------ -------- ------ --- -------- ------- ------ ---- ------------ ------- ------- ------ ---
while IFS=$'\t' read -r -a f; do
    # shellcheck disable=SC2059
    printf "$fmt" "${f[@]}"
done <"$ROWS"
echo "(test = the redis-benchmark test running during the snapshot, (idle) = none; p99 in ms, before = baseline run;"
echo " save/bench s = snapshot duration / background benchmark duration; errors = change of total_error_replies)"
exit "$FAILED"
