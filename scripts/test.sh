#!/usr/bin/env bash
# Runs every test of shoal on a fresh machine: installs what the tests use, then cargo test.
#   - redis-tools: redis-cli and redis-benchmark, driven by the integration tests.
#   - redis-server: Debian's redis-server 7.0 (and redis-check-aof/-rdb), the peer of the tests
#     that move RDB files, AOF directories and DUMP payloads between Redis and shoal.
#   - redis-py 5.2.1 (pip): the Python cluster client of tests/cluster_clients.rs.
# Usage: bash scripts/test.sh   (from the repository root; needs root or sudo for apt-get)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
command -v redis-benchmark >/dev/null 2>&1 || need_apt+=(redis-tools)
[ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
[ -x /usr/bin/redis-check-aof ] || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # Only install: a redis-server the package would start is not used by the tests.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        $(printf '%s\n' "${need_apt[@]}" | sort -u) >/dev/null
fi

# redis-py (its RedisCluster client) for tests/cluster_clients.rs.
if ! python3 -c 'import redis' >/dev/null 2>&1; then
    python3 -m pip install -q redis==5.2.1 2>/dev/null ||
        python3 -m pip install -q --break-system-packages redis==5.2.1
fi

cargo test --locked "$@"

# The server picks a single-threaded runtime when it may use only one core; run the connection
# and protocol tests once more that way, so both runtimes stay tested.
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -gt 1 ]; then
    taskset -c 0 cargo test --locked --test server --test protocol
fi
