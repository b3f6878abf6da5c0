#!/usr/bin/env bash
# Runs confab's standard benchmark set against confab, a Gorilla-style Go hub and a Node `ws`
# hub, each pinned to core 0 with the load generator (`confab bench`) on core 1. Every run's
# JSON line is appended to bench/results/<date>-<host>.jsonl; a table of medians ends the run,
# and a full run (not --quick) redraws docs/img/broadcast-*.png.
#
#   bench/run.sh CONFAB_BIN [--quick] [--repeat N] [--clients "100 1000 5000"]
#                           [--servers "confab gorilla-hub node-ws-hub"] [--results FILE]
#
#   --quick    3 s per run, broadcast at 100 and 1,000 clients, one repetition
#   --repeat   repetitions of the whole set (default 3; the table shows the median)
#   --clients  client counts for the max-rate broadcast
#   --servers  which servers to measure
#   --results  the JSON-lines file to append to
#
# Installs what is missing (Debian: golang-go, golang-github-gorilla-websocket-dev,
# gnuplot-nox, jq, nodejs, npm; npm ci for the Node peer). Every run is bounded by `timeout`;
# every server started here is stopped on exit, also on Ctrl-C.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/ready.sh
source "$here/ready.sh"

usage() { sed -n '7,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ $# -ge 1 ]] || usage
confab=$(realpath "$1"); shift
quick=0; repeat=""; clients=""; servers="confab gorilla-hub node-ws-hub"
results="$here/results/$(date -u +%F)-$(hostname -s).jsonl"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --repeat) repeat=$2; shift ;;
    --clients) clients=$2; shift ;;
    --servers) servers=$2; shift ;;
    --results) results=$2; shift ;;
    *) usage ;;
  esac
  shift
done
[[ -x "$confab" ]] || { echo "run.sh: $confab is not an executable" >&2; exit 2; }

if [[ $quick -eq 1 ]]; then
  duration=3; : "${repeat:=1}"; : "${clients:=100 1000}"
else
  duration=10; : "${repeat:=3}"; : "${clients:=100 1000 5000}"
fi
warmup=1
publishers=10; size=64; window=3
fixed_clients=1000; fixed_rate=20     # 20 msg/s x 1,000 receivers = 20 k deliveries/s
echo_clients=100
idle_clients=10000
server_cpu=0; bench_cpu=1

# ---------------------------------------------------------------------------------------------
# Packages and peers

install_packages() {
  local want=(golang-go golang-github-gorilla-websocket-dev gnuplot-nox jq) missing=() p
  command -v node >/dev/null && command -v npm >/dev/null || want+=(nodejs npm)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return
  local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "run.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

work=$(mktemp -d -t confab-bench.XXXXXX)
server_pid=""; server_addr=""   # the one server running now, if any
bench_pid=""                    # the timeout(1) around the load generator running now, if any
cleanup() {
  set +e   # best effort: each step runs whatever the one before returned
  [[ -n $bench_pid ]] && kill -TERM "$bench_pid" 2>/dev/null   # timeout passes it on
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null
  [[ -n $bench_pid ]] && wait "$bench_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_peers() {
  # GOPATH mode against Debian's packaged source (/usr/share/gocode); the binary and
  # anything Go writes go to a throw-away GOPATH first in the list.
  [[ -d /usr/share/gocode/src/github.com/gorilla/websocket ]] ||
    { echo "run.sh: gorilla/websocket not found under /usr/share/gocode" >&2; exit 1; }
  (cd "$here/peers/gorilla-hub" && GO111MODULE=off GOFLAGS='' \
    GOPATH="$work/gopath:/usr/share/gocode" go build -o "$work/bin/gorilla-hub" .)
  (cd "$here/peers/node-ws-hub" &&
    { [[ -d node_modules/ws ]] || npm ci --no-audit --no-fund --loglevel=error; })
}

# ---------------------------------------------------------------------------------------------
# Servers

# start_server NAME THREADS CPUS: starts NAME pinned to CPUS, waits for its ready line.
start_server() {
  local name=$1 threads=$2 cpus=$3 out="$work/$1.out" err="$work/$1.err"
  : >"$out"
  case "$name" in
    confab)
      rm -rf "$work/data"; mkdir -p "$work/data"
      taskset -c "$cpus" "$confab" serve --listen 127.0.0.1:0 --telnet-listen off \
        --threads "$threads" --data-dir "$work/data" --log-level warn >"$out" 2>"$err" & ;;
    gorilla-hub)
      GOMAXPROCS=$threads taskset -c "$cpus" "$work/bin/gorilla-hub" --listen 127.0.0.1:0 \
        >"$out" 2>"$err" & ;;
    node-ws-hub)
      taskset -c "$cpus" node "$here/peers/node-ws-hub/server.js" --listen 127.0.0.1:0 \
        >"$out" 2>"$err" & ;;
    *) echo "run.sh: unknown server $name" >&2; exit 2 ;;
  esac
  server_pid=$!
  server_addr=$(wait_for_ready "$server_pid" "$out" "$err" 15) || exit 1
}

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  local deadline=$((SECONDS + 6))
  while kill -0 "$server_pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do sleep 0.05; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# ---------------------------------------------------------------------------------------------
# Runs

run_id=$(date -u +%Y%m%dT%H%M%SZ)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git -C "$root" status --porcelain -- src 2>/dev/null) ]] && commit+="-dirty"
host=$(hostname -s)

# measure SERVER THREADS SERVER_CPUS BENCH_CPU REP CASE SCENARIO ARGS...: one bounded run on a
# fresh server; appends its JSON line (with a "run" record in front) to $results.
measure() {
  local name=$1 threads=$2 scpus=$3 bcpu=$4 rep=$5 case_name=$6 scenario=$7; shift 7
  start_server "$name" "$threads" "$scpus"
  local line rc=0 limit=$((warmup + duration + 90))
  printf '  %-12s %-2s %-16s %s\n' "$name" "${threads}t" "$case_name" "$*" >&2
  # In the background and waited for, so that Ctrl-C reaches the trap at once (timeout(1)
  # runs in a process group of its own, where the terminal's SIGINT does not go).
  timeout --kill-after=5 "$limit" taskset -c "$bcpu" "$confab" bench "$scenario" \
    --url "ws://$server_addr" --server-pid "$server_pid" --json "$@" \
    >"$work/bench.out" 2>"$work/bench.err" &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  line=$(tail -n1 "$work/bench.out")
  stop_server
  if [[ $rc -ne 0 || -z $line ]]; then
    echo "run.sh: $name $case_name failed (exit $rc): $(tail -n3 "$work/bench.err")" >&2
    return 0
  fi
  jq -c --arg id "$run_id" --arg host "$host" --arg commit "$commit" --arg server "$name" \
    --argjson threads "$threads" --arg scpus "$scpus" --arg bcpu "$bcpu" --argjson rep "$rep" \
    --arg case "$case_name" --argjson quick "$quick" \
    '{run: {id: $id, host: $host, commit: $commit, server: $server, server_threads: $threads,
            server_cpus: $scpus, bench_cpus: $bcpu, case: $case, rep: $rep,
            quick: ($quick == 1)}} + del(.url)' <<<"$line" >>"$results"
}

run_set() {
  local rep=$1 name n
  for name in $servers; do
    for n in $clients; do
      measure "$name" 1 $server_cpu $bench_cpu "$rep" broadcast-max broadcast --clients "$n" \
        --publishers $publishers --size $size --window $window --rate max \
        --duration ${duration}s --warmup ${warmup}s
    done
    measure "$name" 1 $server_cpu $bench_cpu "$rep" broadcast-fixed broadcast \
      --clients $fixed_clients --publishers $publishers --size $size --rate $fixed_rate \
      --duration ${duration}s --warmup ${warmup}s
    measure "$name" 1 $server_cpu $bench_cpu "$rep" echo echo --clients $echo_clients \
      --window 1 --size $size --duration ${duration}s --warmup ${warmup}s
    measure "$name" 1 $server_cpu $bench_cpu "$rep" idle idle --clients $idle_clients \
      --source-addrs 127.0.0.1-127.0.0.9 --hold ${duration}s --connect-timeout 60s
    if [[ $name == confab ]]; then
      # The same broadcast over confab.v1 (QoS 0): the "within 15 % of plain rooms" target.
      # Every join announces presence to the room, so 5,000 joins take a while.
      for n in $clients; do
        measure confab 1 $server_cpu $bench_cpu "$rep" broadcast-max-v1 broadcast --protocol v1 \
          --qos 0 --clients "$n" --publishers $publishers --size $size --window $window \
          --rate max --duration ${duration}s --warmup ${warmup}s --connect-timeout 300s
      done
      # Two loops on cores 0-1; the bench shares core 1 with the second loop.
      measure confab 2 "$server_cpu,$bench_cpu" $bench_cpu "$rep" broadcast-max broadcast \
        --clients 1000 --publishers $publishers --size $size --window $window --rate max \
        --duration ${duration}s --warmup ${warmup}s
    fi
  done
}

install_packages
[[ $(nproc) -ge 2 ]] || { echo "run.sh: needs 2 cores (server on 0, bench on 1)" >&2; exit 1; }
build_peers
# A private copy: a rebuild of the tree during the run must not change the binary under test.
cp "$confab" "$work/bin/confab"; confab="$work/bin/confab"
ulimit -n "$(ulimit -Hn)"   # 10,000 idle connections need more than the usual 1,024 fds
mkdir -p "$(dirname "$results")"
echo "run.sh: run $run_id, ${duration}s per run after ${warmup}s warm-up, $repeat repetition(s)," \
  "results in ${results#"$root"/}" >&2
for ((rep = 1; rep <= repeat; rep++)); do
  echo "run.sh: repetition $rep of $repeat" >&2
  run_set "$rep"
done
"$here/table.sh" "$results" --id "$run_id"
if [[ $quick -eq 0 ]]; then
  "$here/plot.sh" "$results" "$root/docs/img" --id "$run_id"
else
  echo "run.sh: plots (not drawn for --quick): bench/plot.sh ${results#"$root"/} docs/img --id $run_id" >&2
fi
