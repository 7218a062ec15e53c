#!/usr/bin/env bash
# Prints compare.sh's table from the measurements it keeps (RESULTS=file.tsv, or
# docs/bench-matrix.tsv): per test, pipeline depth and data size, each server's median
# requests/s and p99 latency over the rounds, and the ratios shoal/redis.
#
# Usage: benches/table.sh RESULTS.tsv
#
# The TSV has a header line and the columns server, pipeline, datasize, round, test, requests,
# rps, p99_ms, cpu_s, with server "shoal" or "redis". Columns of the table:
#   rps s/r   median shoal requests/s over median redis requests/s
#   pair s/r  median over the rounds of that round's shoal/redis requests/s. compare.sh runs
#             the two servers' runs of a test back to back, so a round's ratio compares runs
#             made seconds apart, and the median of those ratios leaves out more of the
#             machine's minute-to-minute drift than the ratio of the medians does. Rounds that
#             lack one of the two servers are skipped.
#   p99 s/r   median shoal p99 over median redis p99
#   cpu s/r   ratio of the medians of requests per second of server CPU (requests / cpu_s)
# "n/a" where a ratio has no data (a zero or a missing server).
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    sed -n '2,/^set -euo pipefail/{/^set/d;s/^# \{0,1\}//;p}' "$0"
    [[ $# -eq 1 && ($1 == -h || $1 == --help) ]] && exit 0
    exit 1
fi
data=$1
[[ -r $data ]] || { echo "${0##*/}: cannot read $data" >&2; exit 1; }

printf '%-12s %3s %5s %11s %11s %7s %8s %9s %9s %7s %7s\n' test P d "shoal rps" "redis rps" "rps s/r" "pair s/r" "shoal p99" "redis p99" "p99 s/r" "cpu s/r"
printf '%-12s %3s %5s %11s %11s %7s %8s %9s %9s %7s %7s\n' ---- - - --------- --------- ------- -------- --------- --------- ------- -------
# Tests in the order they ran, then pipeline depths and data sizes in the order they ran.
awk -F'\t' '
    NR == 1 { next }
    !seen_t[$5]++ { tests[++nt] = $5 }
    !seen_p[$2]++ { pipes[++np] = $2 }
    !seen_d[$3]++ { sizes[++nd] = $3 }
    {
        k = $5 SUBSEP $2 SUBSEP $3
        rps[k, $1] = rps[k, $1] " " $7
        p99[k, $1] = p99[k, $1] " " $8
        if ($9 + 0 > 0) per_cpu[k, $1] = per_cpu[k, $1] " " ($6 / $9)
        round_rps[k, $4, $1] = $7
        if (!seen_r[k, $4]++) rounds[k] = rounds[k] " " $4
    }
    function median(list,   a, n, i, j, x) {
        n = split(list, a, " ")
        if (n == 0) return -1
        for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "n/a" }
    END {
        for (ti = 1; ti <= nt; ti++) for (pi = 1; pi <= np; pi++) for (di = 1; di <= nd; di++) {
            t = tests[ti]; p = pipes[pi]; d = sizes[di]; k = t SUBSEP p SUBSEP d
            if (!((k, "shoal") in rps) && !((k, "redis") in rps)) continue
            pairs = ""
            n = split(rounds[k], r, " ")
            for (i = 1; i <= n; i++) {
                s = round_rps[k, r[i], "shoal"] + 0; q = round_rps[k, r[i], "redis"] + 0
                if (s > 0 && q > 0) pairs = pairs " " (s / q)
            }
            pr = median(pairs)
            rs = median(rps[k, "shoal"]); rr = median(rps[k, "redis"])
            ls = median(p99[k, "shoal"]); lr = median(p99[k, "redis"])
            cs = median(per_cpu[k, "shoal"]); cr = median(per_cpu[k, "redis"])
            printf "%-12s %3s %5s %11.0f %11.0f %7s %8s %9.3f %9.3f %7s %7s\n", t, p, d, rs, rr, ratio(rs, rr), (pr > 0 ? sprintf("%.2f", pr) : "n/a"), ls, lr, ratio(ls, lr), ratio(cs, cr)
        }
    }' "$data"
echo "(rps s/r: shoal/redis median requests/s, above 1.00 shoal is faster; pair s/r: median of the rounds' shoal/redis"
echo " requests/s; p99 s/r: shoal/redis p99, below 1.00 shoal is faster; cpu s/r: shoal/redis requests per second of"
echo " server CPU, above 1.00 shoal does more per core; LRANGE's includes redis-benchmark's LPUSH that fills the list first)"
