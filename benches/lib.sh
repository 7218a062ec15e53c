# shellcheck shell=bash disable=SC2034 # STARTED_PORT/STARTED_PID are read by the caller
# Shared by the benchmark scripts (sourced, not run), right after `set -euo pipefail`:
#
#   ROOT                      the checkout
#   say MESSAGE...            to stderr
#   die MESSAGE...            "SCRIPT: MESSAGE" to stderr, exit 1
#   positive NAME VALUE       dies unless VALUE is a positive integer
#   shoal_binary [--if-missing]  SHOAL_BIN made absolute, or built (see below)
#   server_args               REDIS_ARGS and shoal_args from SHOAL_ARGS and BOTH_ARGS (see below)
#   help_or_die "$@"          -h/--help prints the script's leading comment (line 2 up to the line
#                             `set -euo pipefail`) and exits 0; any other argument dies
#   stop_pid, cleanup (the EXIT trap), port_in_use, start_server: the servers the script starts
#
# The caller sets WORK (a temporary directory) once it needs one, appends the PIDs of what it
# starts to PIDS, keeps its running client's PID in BENCH_PID, and sets SERVER_PIN (an array:
# the taskset prefix for start_server, or empty). The EXIT trap stops those by PID and removes
# WORK; it is installed here, so it covers everything after this file is sourced.

# The checkout (this file is ROOT/benches/lib.sh).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

WORK=
PIDS=()      # servers started by the script and still running
BENCH_PID=   # the client (redis-benchmark, redis-cli --pipe) currently running, if any
SERVER_PIN=()

say() { printf '%s\n' "$*" >&2; }
die() { say "${0##*/}: $*"; exit 1; }

# shoal_binary [--if-missing]: makes SHOAL_BIN an absolute path to an executable shoal-server.
# Empty, it becomes the checkout's release build, built now with cargo (with --if-missing only
# when that binary does not exist yet).
shoal_binary() {
    if [[ -z $SHOAL_BIN ]]; then
        SHOAL_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/shoal-server
        if [[ ${1:-} != --if-missing || ! -x $SHOAL_BIN ]]; then
            command -v cargo >/dev/null 2>&1 || die "cargo not found (or set SHOAL_BIN to a built shoal-server)"
            say "building shoal-server (release)..."
            (cd "$ROOT" && cargo build --release --bin shoal-server) >&2
        fi
    fi
    [[ -x $SHOAL_BIN ]] || die "shoal binary '$SHOAL_BIN' does not exist or is not executable"
    SHOAL_BIN=$(cd "$(dirname "$SHOAL_BIN")" && pwd)/$(basename "$SHOAL_BIN")
}

# server_args: REDIS_ARGS and shoal_args, the arguments of the two servers: persistence off on
# both (no background save may land inside a measurement), then SHOAL_ARGS for shoal, then
# BOTH_ARGS for both (after the defaults, so they win: e.g. the AOF on both sides). A
# redis-server standing in for shoal (a dry run) gets redis-server's settings.
server_args() {
    local extra both
    REDIS_ARGS=(--save '' --appendonly no --daemonize no)
    shoal_args=(--save '' --appendonly no)
    if "$SHOAL_BIN" --version 2>/dev/null | grep -q '^Redis server'; then
        shoal_args=("${REDIS_ARGS[@]}")
    fi
    read -r -a extra <<<"${SHOAL_ARGS:-}"
    shoal_args+=("${extra[@]}")
    read -r -a both <<<"${BOTH_ARGS:-}"
    shoal_args+=("${both[@]}")
    REDIS_ARGS+=("${both[@]}")
}

# positive NAME VALUE: dies unless VALUE is a positive integer
positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }

help_or_die() {
    case "${1:-}" in
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        "") ;;
        *) die "unknown argument '$1' (settings are environment variables; see --help)" ;;
    esac
}

stop_pid() {
    local pid=$1
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local pid
    if [[ -n $BENCH_PID ]]; then stop_pid "$BENCH_PID"; fi
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    if [[ -n $WORK ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server NAME BINARY ARGS... : starts it on a free port in $WORK/NAME (also its --dir);
# sets STARTED_PORT and STARTED_PID.
start_server() {
    local name=$1 bin=$2 attempt port pid dir log
    shift 2
    dir=$WORK/$name
    mkdir -p "$dir"
    log=$dir/server.log
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 30000))
        port_in_use "$port" && continue
        # The subshell only changes directory; exec keeps the server's PID equal to $!.
        (cd "$dir" && exec "${SERVER_PIN[@]}" "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" "$@") >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 200); do
            kill -0 "$pid" 2>/dev/null || break
            if [[ $(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null) == PONG ]]; then
                PIDS+=("$pid")
                STARTED_PORT=$port
                STARTED_PID=$pid
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            stop_pid "$pid"
            say "$name did not answer PING on port $port within 20 s; log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        wait "$pid" 2>/dev/null || true
        if ! grep -qi 'in use' "$log"; then
            say "$name ($bin) exited at startup; log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        say "$name: port $port was taken (attempt $attempt), trying another"
    done
    die "could not start $name"
}
