#!/usr/bin/env bash
# Draws the max-rate broadcast results of one run (bench/run.sh) per server, medians over
# repetitions: OUTDIR/broadcast-throughput.png (deliveries/s vs clients, with the reference
# figures dashed) and OUTDIR/broadcast-p99.png (p99 publish-to-delivery latency vs clients).
#
#   bench/plot.sh RESULTS.jsonl OUTDIR [--id RUN_ID]     (default: the newest run in the file)
#
# Needs gnuplot (Debian gnuplot-nox) and jq; bench/run.sh installs both.
set -euo pipefail

[[ $# -ge 2 ]] || { sed -n '6p' "$0" | sed 's/^# *//' >&2; exit 2; }
results=$1; outdir=$2; shift 2
id=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --id) id=$2; shift ;;
    *) echo "plot.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$outdir"
dat=$(mktemp -d -t confab-plot.XXXXXX)
trap 'rm -rf "$dat"' EXIT

[[ -n $id ]] || id=$(jq -r -s 'map(.run.id) | max' "$results")

# series SERVER THREADS METRIC > file: "clients median" lines, ascending clients.
series() {
  jq -r -s --arg id "$id" --arg server "$1" --argjson threads "$2" --arg metric "$3" '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    map(select(.run.id == $id and .run.case == "broadcast-max" and .run.server == $server
               and .run.server_threads == $threads))
    | group_by(.clients)[]
    | "\(.[0].clients) \(map(getpath($metric | split("."))) | median)"' "$results"
}
for s in confab gorilla-hub node-ws-hub; do
  series "$s" 1 delivered_per_s >"$dat/$s.rate"
  series "$s" 1 latency_ms.p99 >"$dat/$s.p99"
done
series confab 2 delivered_per_s >"$dat/confab-2t.rate"
series confab 2 latency_ms.p99 >"$dat/confab-2t.p99"
# Reference figures from the performance issue (same scenario, other machine).
printf '100 2780000\n1000 1850000\n5000 1690000\n' >"$dat/uws.ref"
printf '100 124000\n1000 120000\n5000 101000\n' >"$dat/gorilla.ref"
printf '100 117000\n1000 91000\n5000 89000\n' >"$dat/node.ref"

terminal="pngcairo size 1000,680 font 'DejaVu Sans,11'"
gnuplot -e 'set terminal pngcairo' 2>/dev/null || terminal="png size 1000,680"

# A plot line for a data file, or nothing when the file is empty (gnuplot fails on those).
plot_item() {
  [[ -s $1 ]] && printf '"%s" using 1:2 %s, ' "$1" "$2"
  return 0
}

rate_items=$(
  plot_item "$dat/confab.rate" "with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'confab (1 thread)'"
  plot_item "$dat/confab-2t.rate" "with points pt 5 ps 1.5 lc rgb '#1f77b4' title 'confab (2 threads, bench shares a core)'"
  plot_item "$dat/gorilla-hub.rate" "with linespoints lw 2 pt 9 lc rgb '#2ca02c' title 'Gorilla hub (GOMAXPROCS=1)'"
  plot_item "$dat/node-ws-hub.rate" "with linespoints lw 2 pt 11 lc rgb '#d62728' title 'Node ws hub'"
  plot_item "$dat/uws.ref" "with linespoints dt 2 pt 6 lc rgb '#7f7f7f' title 'uWebSockets (reference)'"
  plot_item "$dat/gorilla.ref" "with linespoints dt 2 pt 8 lc rgb '#98df8a' title 'Gorilla hub (reference)'"
  plot_item "$dat/node.ref" "with linespoints dt 2 pt 10 lc rgb '#ff9896' title 'Node ws (reference)'"
)
p99_items=$(
  plot_item "$dat/confab.p99" "with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'confab (1 thread)'"
  plot_item "$dat/confab-2t.p99" "with points pt 5 ps 1.5 lc rgb '#1f77b4' title 'confab (2 threads, bench shares a core)'"
  plot_item "$dat/gorilla-hub.p99" "with linespoints lw 2 pt 9 lc rgb '#2ca02c' title 'Gorilla hub (GOMAXPROCS=1)'"
  plot_item "$dat/node-ws-hub.p99" "with linespoints lw 2 pt 11 lc rgb '#d62728' title 'Node ws hub'"
)

gnuplot <<EOF
set terminal $terminal
set grid xtics ytics mytics lc rgb '#dddddd'
set key at screen 0.5, screen 0.02 center bottom horizontal maxcols 2 box opaque
set bmargin 9
set logscale x
set xrange [70:7000]
set xtics ("100" 100, "500" 500, "1,000" 1000, "2,000" 2000, "5,000" 5000)
set xlabel "clients in one room (10 publishers, 64-byte messages, window 3)"
set logscale y

set output "$outdir/broadcast-throughput.png"
set title "Broadcast at max rate: messages delivered per second (run $id)"
set ylabel "deliveries / s (log scale)"
set yrange [50000:6000000]
set ytics ("50 k" 5e4, "100 k" 1e5, "200 k" 2e5, "500 k" 5e5, "1 M" 1e6, "2 M" 2e6, "5 M" 5e6)
plot ${rate_items%, }

set output "$outdir/broadcast-p99.png"
set title "Broadcast at max rate: p99 publish-to-delivery latency (run $id)"
set ylabel "p99 latency, ms (log scale)"
set autoscale y
set ytics auto
plot ${p99_items%, }
EOF
echo "plot.sh: wrote $outdir/broadcast-throughput.png and $outdir/broadcast-p99.png"
