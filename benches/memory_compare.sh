#!/usr/bin/env bash
# Memory per key of shoal-server next to Debian's redis-server, for the same data loaded the
# same way; and per element of one big collection (a set, a hash, a sorted set).
#
# Both servers run at the same time on loopback with persistence off. For each scenario the
# script generates the commands once (RESP, with python3, in a temporary directory), loads
# them into each server with `redis-cli --pipe`, waits until used_memory stops moving, and
# divides the growth of INFO memory's used_memory and used_memory_rss by DBSIZE. FLUSHALL and
# MEMORY PURGE between scenarios (RESTART=1 starts fresh servers for each instead).
#
# Scenarios:
#   strings      KEYS x  SET key:%012d <16-byte value>
#   strings-px   KEYS x  SET key:%012d <16-byte value> PX 3600000
#   hashes       HASHES x HSET h:%d field:00 <16-byte value> ... (FIELDS fields)
#   set          one set of ELEMS members element:%012d (SADD, 100 a command)
#   hash-big     one hash of ELEMS fields element:%012d with 16-byte values (HSET, 100 a command)
#   zset         one sorted set of ELEMS members element:%012d, score = its number (ZADD)
# The collection scenarios divide by ELEMS instead of DBSIZE (1).
#
# Usage: benches/memory_compare.sh     (see benches/README.md; settings are environment variables)
#   KEYS=1000000  HASHES=100000  FIELDS=20  ELEMS=1000000
#   SCENARIOS="strings strings-px hashes set hash-big zset"
#   RESTART=0            (1: fresh servers for each scenario instead of FLUSHALL + MEMORY PURGE)
#   SHOAL_BIN=path       (default target/release/shoal-server, built with cargo if missing; a
#                         redis-server binary works too, for a dry run of the script)
#   SHOAL_ARGS="..."     (extra arguments for shoal-server, split on spaces)
#   BOTH_ARGS="..."      (extra arguments for both servers)
#   REDIS_BIN=redis-server
set -euo pipefail

KEYS=${KEYS:-1000000}
HASHES=${HASHES:-100000}
FIELDS=${FIELDS:-20}
ELEMS=${ELEMS:-1000000}
SCENARIOS=${SCENARIOS:-"strings strings-px hashes set hash-big zset"}
RESTART=${RESTART:-0}
SHOAL_BIN=${SHOAL_BIN:-}
SHOAL_ARGS=${SHOAL_ARGS:-}
BOTH_ARGS=${BOTH_ARGS:-}
REDIS_BIN=${REDIS_BIN:-redis-server}

# ROOT, say, die, positive, help_or_die, shoal_binary; stop_pid, cleanup (the EXIT trap),
# port_in_use, start_server
# shellcheck source=benches/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
help_or_die "$@"

positive KEYS "$KEYS"
positive HASHES "$HASHES"
positive FIELDS "$FIELDS"
positive ELEMS "$ELEMS"
((FIELDS <= 100)) || die "FIELDS must be at most 100 (field:00 .. field:99)"
[[ $RESTART == 0 || $RESTART == 1 ]] || die "RESTART must be 0 or 1"
for s in $SCENARIOS; do
    case $s in strings | strings-px | hashes | set | hash-big | zset) ;; *) die "unknown scenario '$s'" ;; esac
done

missing=()
command -v "$REDIS_BIN" >/dev/null 2>&1 || missing+=("$REDIS_BIN")
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-cli)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((${#missing[@]})); then
    die "missing ${missing[*]}; install with: apt-get install -y redis-server redis-tools python3"
fi
REDIS_BIN=$(command -v "$REDIS_BIN")

# ---------------------------------------------------------------------------------------------
# build (only when there is no binary)
# ---------------------------------------------------------------------------------------------

shoal_binary --if-missing

# ---------------------------------------------------------------------------------------------
# servers: started here, stopped here, by PID only
# ---------------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/shoal-memory.XXXXXX")

server_args

SHOAL_PORT='' SHOAL_PID='' REDIS_PORT='' REDIS_PID=''
start_both() {
    start_server shoal "$SHOAL_BIN" "${shoal_args[@]}"
    SHOAL_PORT=$STARTED_PORT SHOAL_PID=$STARTED_PID
    start_server redis "$REDIS_BIN" "${REDIS_ARGS[@]}"
    REDIS_PORT=$STARTED_PORT REDIS_PID=$STARTED_PID
}

stop_both() {
    local pid keep=()
    stop_pid "$SHOAL_PID"
    stop_pid "$REDIS_PID"
    for pid in "${PIDS[@]}"; do
        [[ $pid == "$SHOAL_PID" || $pid == "$REDIS_PID" ]] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------------------------
# data: RESP files, generated once
# ---------------------------------------------------------------------------------------------

# gen SCENARIO FILE
gen() {
    python3 - "$1" "$2" "$KEYS" "$HASHES" "$FIELDS" "$ELEMS" <<'EOF'
import sys

scenario, path, keys, hashes, fields, elems = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])

def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def value(i):
    # 16 bytes, not a number (so neither server stores it as an integer)
    return b"v%015d" % i

with open(path, "wb") as f:
    if scenario in ("strings", "strings-px"):
        px = (b"PX", b"3600000") if scenario == "strings-px" else ()
        for i in range(keys):
            f.write(cmd(b"SET", b"key:%012d" % i, value(i), *px))
    elif scenario in ("set", "hash-big", "zset"):
        cmd_name, key = {"set": (b"SADD", b"s"), "hash-big": (b"HSET", b"hb"), "zset": (b"ZADD", b"z")}[scenario]
        for start in range(0, elems, 100):
            args = [cmd_name, key]
            for i in range(start, min(start + 100, elems)):
                member = b"element:%012d" % i
                if scenario == "set":
                    args.append(member)
                elif scenario == "hash-big":
                    args += [member, value(i)]
                else:
                    args += [b"%d" % i, member]
            f.write(cmd(*args))
    else:
        for i in range(hashes):
            args = [b"HSET", b"h:%d" % i]
            for j in range(fields):
                args += [b"field:%02d" % j, value(i * fields + j)]
            f.write(cmd(*args))
EOF
}

# ---------------------------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------------------------

# info_field PORT FIELD : one INFO memory field
info_field() {
    redis-cli -h 127.0.0.1 -p "$1" INFO memory | tr -d '\r' | sed -n "s/^$2://p"
}

# settle PORT : waits (up to 60 s) until used_memory is the same in 3 reads 0.3 s apart
settle() {
    local port=$1 last="" same=0 now
    for _ in $(seq 200); do
        now=$(info_field "$port" used_memory)
        if [[ $now == "$last" ]]; then
            same=$((same + 1))
            ((same >= 2)) && return 0
        else
            same=0
        fi
        last=$now
        sleep 0.3
    done
    say "warning: used_memory on port $port still moving after 60 s"
}

# load NAME PORT PID FILE : prints "<dbsize> <used delta> <rss delta>"
load() {
    local name=$1 port=$2 pid=$3 file=$4 used0 rss0 used1 rss1 size out=$WORK/pipe.out
    redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null
    redis-cli -h 127.0.0.1 -p "$port" MEMORY PURGE >/dev/null 2>&1 || true
    settle "$port"
    used0=$(info_field "$port" used_memory)
    rss0=$(info_field "$port" used_memory_rss)
    redis-cli -h 127.0.0.1 -p "$port" --pipe <"$file" >"$out" 2>&1 &
    BENCH_PID=$!
    local rc=0
    wait "$BENCH_PID" || rc=$?
    BENCH_PID=
    if ((rc != 0)) || ! grep -q 'errors: 0,' "$out"; then
        say "redis-cli --pipe into $name failed:"
        cat "$out" >&2
        exit 1
    fi
    kill -0 "$pid" 2>/dev/null || die "$name (pid $pid) died while loading; log: $WORK/$name/server.log"
    settle "$port"
    used1=$(info_field "$port" used_memory)
    rss1=$(info_field "$port" used_memory_rss)
    size=$(redis-cli -h 127.0.0.1 -p "$port" DBSIZE)
    printf '%s %s %s\n' "$size" "$((used1 - used0))" "$((rss1 - rss0))"
}

start_both
say "shoal: $SHOAL_BIN (pid $SHOAL_PID, port $SHOAL_PORT)"
say "redis: $REDIS_BIN $("$REDIS_BIN" --version | grep -o 'v=[^ ]*') (pid $REDIS_PID, port $REDIS_PORT)"

ROWS=$WORK/rows.tsv
: >"$ROWS"
first=1
for s in $SCENARIOS; do
    if ((RESTART && !first)); then
        stop_both
        start_both
    fi
    first=0
    file=$WORK/$s.resp
    say "$s: generating commands..."
    gen "$s" "$file"
    say "$s: loading into shoal..."
    read -r s_size s_used s_rss < <(load shoal "$SHOAL_PORT" "$SHOAL_PID" "$file")
    say "$s: loading into redis..."
    read -r r_size r_used r_rss < <(load redis "$REDIS_PORT" "$REDIS_PID" "$file")
    say "$s: shoal dbsize $s_size used +$s_used rss +$s_rss; redis dbsize $r_size used +$r_used rss +$r_rss"
    [[ $s_size == "$r_size" && $s_size -gt 0 ]] || die "$s: DBSIZE differs (shoal $s_size, redis $r_size)"
    count=$s_size
    case $s in set | hash-big | zset) count=$ELEMS ;; esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$count" "$s_used" "$r_used" "$s_rss" "$r_rss" >>"$ROWS"
    rm -f "$file"
done

# ---------------------------------------------------------------------------------------------
# table
# ---------------------------------------------------------------------------------------------

printf 'bytes per key (per element for set, hash-big, zset): growth of INFO memory used_memory / used_memory_rss over DBSIZE (ELEMS); redis %s\n' \
    "$("$REDIS_BIN" --version | grep -o 'v=[^ ]*')"
awk -F'\t' '
    function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
    BEGIN {
        printf "%-11s %9s %12s %12s %6s %12s %12s %6s\n", "scenario", "count", "shoal used", "redis used", "ratio", "shoal rss", "redis rss", "ratio"
    }
    {
        su = $3 / $2; ru = $4 / $2; sr = $5 / $2; rr = $6 / $2
        printf "%-11s %9d %12.1f %12.1f %6s %12.1f %12.1f %6s\n", $1, $2, su, ru, ratio(su, ru), sr, rr, ratio(sr, rr)
    }' "$ROWS"
