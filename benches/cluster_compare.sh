#!/usr/bin/env bash
# Cluster mode: a shoal cluster next to a Redis cluster, measured with redis-benchmark --cluster
# and redis-cli --cluster reshard.
#
# Starts NODES shoal-server primaries and NODES Debian redis-server primaries (cluster-enabled,
# no replicas, persistence off), forms each cluster with `redis-cli --cluster create`, then for
# ROUNDS rounds, alternating shoal and redis: `redis-benchmark --cluster -t TESTS -P p` for each
# pipeline depth, and the time of `redis-cli --cluster reshard` moving RESHARD_SLOTS empty slots
# from the first node to the second (each slot move is one consensus round in shoal). Prints
# the medians and the ratios shoal/redis. Nothing is pinned: on a small machine the servers and
# the client share the cores, so read the ratios, not the absolute numbers.
#
# Usage: benches/cluster_compare.sh      (settings are environment variables)
#   ROUNDS=3  NODES=3  REQUESTS=200000  CLIENTS=50  PIPELINES="1 16"  TESTS=set,get
#   KEYSPACE=100000  RESHARD_SLOTS=200
#   SHOAL_BIN=path   (skip the build and run this binary instead of target/release/shoal-server)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
NODES=${NODES:-3}
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get}
KEYSPACE=${KEYSPACE:-100000}
RESHARD_SLOTS=${RESHARD_SLOTS:-200}
SHOAL_BIN=${SHOAL_BIN:-}
REDIS_BIN=${REDIS_BIN:-redis-server}

# ROOT, say, die, positive, help_or_die, shoal_binary; stop_pid, cleanup (the EXIT trap),
# port_in_use, start_server
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
help_or_die "$@"
for v in ROUNDS NODES REQUESTS CLIENTS KEYSPACE RESHARD_SLOTS; do positive "$v" "${!v}"; done
((NODES >= 3)) || die "NODES must be at least 3 (redis-cli --cluster create needs 3 primaries)"
for p in $PIPELINES; do positive "PIPELINES entry" "$p"; done

for tool in "$REDIS_BIN" redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "missing $tool; install with: apt-get install -y redis-server redis-tools"
done
REDIS_BIN=$(command -v "$REDIS_BIN")

shoal_binary

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-cluster-compare.XXXXXX")

# start_cluster NAME BINARY ARGS... : NODES nodes and `--cluster create`; sets CLUSTER_PORTS.
start_cluster() {
    local name=$1 bin=$2 i addrs=() port
    shift 2
    CLUSTER_PORTS=()
    for i in $(seq "$NODES"); do
        start_server "$name-$i" "$bin" --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-node-timeout 5000 --save '' --appendonly no "$@"
        CLUSTER_PORTS+=("$STARTED_PORT")
        addrs+=("127.0.0.1:$STARTED_PORT")
    done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes \
        >"$WORK/$name-create.log" 2>&1 || {
        cat "$WORK/$name-create.log" >&2
        die "redis-cli --cluster create failed for $name"
    }
    for _ in $(seq 300); do
        local ok=0
        for port in "${CLUSTER_PORTS[@]}"; do
            redis-cli -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && ok=$((ok + 1))
        done
        ((ok == NODES)) && return 0
        sleep 0.1
    done
    die "$name: cluster_state did not become ok on every node within 30 s"
}

start_cluster shoal "$SHOAL_BIN"
SHOAL_PORTS=("${CLUSTER_PORTS[@]}")
start_cluster redis "$REDIS_BIN" --daemonize no
REDIS_PORTS=("${CLUSTER_PORTS[@]}")
say "shoal: $SHOAL_BIN, ports ${SHOAL_PORTS[*]}"
say "redis: $REDIS_BIN $("$REDIS_BIN" --version | grep -o 'v=[^ ]*'), ports ${REDIS_PORTS[*]}"
say "matrix: --cluster -t $TESTS -c $CLIENTS -n $REQUESTS -P {${PIPELINES// /,}} -r $KEYSPACE; reshard $RESHARD_SLOTS slots; $ROUNDS rounds"

DATA=$WORK/results.tsv # server<TAB>measure<TAB>value
: >"$DATA"

# bench SERVER PORT PIPELINE
bench() {
    local server=$1 port=$2 pipeline=$3 out=$WORK/bench.csv err=$WORK/bench.err
    redis-benchmark --cluster -h 127.0.0.1 -p "$port" -c "$CLIENTS" -n "$REQUESTS" \
        -P "$pipeline" -t "$TESTS" -r "$KEYSPACE" --csv >"$out" 2>"$err" &
    BENCH_PID=$!
    local rc=0
    wait "$BENCH_PID" || rc=$?
    BENCH_PID=
    ((rc == 0)) || { cat "$err" "$out" >&2; die "redis-benchmark against $server failed"; }
    if grep -qi 'error' "$err" "$out"; then
        cat "$err" >&2
        die "redis-benchmark against $server reported errors"
    fi
    awk -F'","' -v s="$server" -v p="$pipeline" '
        $1 != "\"test" { name = $1; sub(/^"/, "", name)
            if (name != "" && $2 ~ /^[0-9.]+$/) printf "%s\t%s -P %s (req/s)\t%s\n", s, name, p, $2 }' \
        "$out" >>"$DATA"
}

# reshard SERVER PORT... : moves RESHARD_SLOTS slots from the first node to the second, timed
reshard() {
    local server=$1 from to t0 t1
    shift
    from=$(redis-cli -p "$1" cluster myid)
    to=$(redis-cli -p "$2" cluster myid)
    # Empty slots, so the time is the slot moves themselves, not MIGRATE.
    redis-cli -p "$1" flushall >/dev/null
    t0=$(date +%s%N)
    redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$from" --cluster-to "$to" \
        --cluster-slots "$RESHARD_SLOTS" --cluster-yes >"$WORK/$server-reshard.log" 2>&1 || {
        tail -n 20 "$WORK/$server-reshard.log" >&2
        die "reshard on $server failed"
    }
    t1=$(date +%s%N)
    printf '%s\treshard %s slots (ms)\t%s\n' "$server" "$RESHARD_SLOTS" $(((t1 - t0) / 1000000)) >>"$DATA"
    # Give them back so every round starts from the same layout.
    redis-cli --cluster reshard "127.0.0.1:$1" --cluster-from "$to" --cluster-to "$from" \
        --cluster-slots "$RESHARD_SLOTS" --cluster-yes >/dev/null 2>&1 || die "reshard back on $server failed"
}

for round in $(seq "$ROUNDS"); do
    for pipeline in $PIPELINES; do
        bench shoal "${SHOAL_PORTS[0]}" "$pipeline"
        bench redis "${REDIS_PORTS[0]}" "$pipeline"
    done
    reshard shoal "${SHOAL_PORTS[@]}"
    reshard redis "${REDIS_PORTS[@]}"
    say "round $round done"
done

# Medians per (measure, server) and the ratio shoal/redis.
awk -F'\t' '
    { v[$2 SUBSEP $1] = v[$2 SUBSEP $1] " " $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    function median(s,   a, k, i, j, t) {
        k = split(s, a, " ")
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    END {
        printf "%-28s %14s %14s %8s\n", "measure (median)", "shoal", "redis", "ratio"
        for (i = 1; i <= n; i++) {
            m = order[i]; s = median(v[m SUBSEP "shoal"]); r = median(v[m SUBSEP "redis"])
            printf "%-28s %14.0f %14.0f %8.2f\n", m, s, r, (r > 0 ? s / r : 0)
        }
    }' "$DATA"
