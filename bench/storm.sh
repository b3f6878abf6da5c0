#!/usr/bin/env bash
# A reconnect storm: starts confab (core 0, one loop, a fresh data dir), runs
# `confab bench storm` against it (core 1), restarts the server on the same port and data dir
# once the bench is ready, and prints the bench's report: outage and resume times, and the
# loss check (every client must see every acked message exactly once, in order).
#
#   bench/storm.sh CONFAB_BIN [--clients N] [--rooms R] [--since-messages M] [--after-messages K]
#                             [--jitter DURATION] [--delay SECONDS] [--down SECONDS]
#                             [--signal TERM|KILL] [--json] [-- BENCH FLAGS...]
#
#   --clients         receivers (default 1000); one publisher more
#   --rooms           one room (default), or the clients spread over R rooms
#   --since-messages  QoS 1 messages per room acked and received before the restart (100)
#   --after-messages  QoS 1 messages per room published once the server is back (100)
#   --jitter          each client reconnects a random 0..JITTER later (default 0: at once)
#   --delay           seconds between "ready" and stopping the server (default 1)
#   --down            seconds between the old server's exit and the new one's start (default 0)
#   --signal          TERM: graceful shutdown (Close 1001 to every client); KILL: a crash
#   --json            the bench's one-line JSON instead of the table
#   -- ...            more `confab bench storm` flags (e.g. --resume-timeout 600s --window 16)
#
# Exit code: the bench's (non-zero when a client did not resume or an acked message was lost).
set -euo pipefail
# shellcheck source=bench/ready.sh
source "$(dirname "$0")/ready.sh"

usage() { sed -n '7,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
confab=$(realpath "$1"); shift
clients=1000; rooms=1; before=100; after=100; jitter=0; delay=1; down=0; signal=TERM; json=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clients) clients=$2; shift ;;
    --rooms) rooms=$2; shift ;;
    --since-messages) before=$2; shift ;;
    --after-messages) after=$2; shift ;;
    --jitter) jitter=$2; shift ;;
    --delay) delay=$2; shift ;;
    --down) down=$2; shift ;;
    --signal) signal=$2; shift ;;
    --json) json=(--json) ;;
    --) shift; extra=("$@"); break ;;
    *) usage ;;
  esac
  shift
done
[[ -x "$confab" ]] || { echo "storm.sh: $confab is not an executable" >&2; exit 2; }

work=$(mktemp -d -t confab-storm.XXXXXX)
server_pid=""; bench_pid=""
cleanup() {
  set +e
  [[ -n $bench_pid ]] && kill -TERM "$bench_pid" 2>/dev/null
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null
  [[ -n $bench_pid ]] && wait "$bench_pid" 2>/dev/null
  [[ -n $server_pid ]] && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)"   # both ends of every connection are on this machine
# 28,000 ephemeral ports per source address: spread the clients over 127.0.0.1-127.0.0.N.
sources="127.0.0.1-127.0.0.$(( clients / 20000 + 2 ))"

# start_server LISTEN: one loop on core 0 over the shared data dir; waits for its ready line
# and sets server_pid and port.
start_server() {
  : >"$work/server.out"
  taskset -c 0 "$confab" serve --listen "$1" --telnet-listen off --threads 1 \
    --data-dir "$work/data" --log-level warn --max-connections $(( clients + 1000 )) \
    >"$work/server.out" 2>>"$work/server.err" &
  server_pid=$!
  local addr
  addr=$(wait_for_ready "$server_pid" "$work/server.out" "$work/server.err" 30) || exit 1
  port=${addr##*:}
}

start_server 127.0.0.1:0
echo "storm.sh: server on port $port; $clients clients in $rooms room(s), $before messages" \
  "per room before the restart, $after after, jitter $jitter, SIG$signal" >&2
timeout --kill-after=5 1800 taskset -c 1 "$confab" bench storm --url "ws://127.0.0.1:$port" \
  --clients "$clients" --rooms "$rooms" --source-addrs "$sources" --since-messages "$before" \
  --after-messages "$after" --jitter "$jitter" --ready-file "$work/ready" \
  --connect-timeout 600s "${json[@]}" "${extra[@]}" >"$work/bench.out" 2>"$work/bench.err" &
bench_pid=$!

until [[ -s $work/ready ]]; do
  if ! kill -0 "$bench_pid" 2>/dev/null; then
    echo "storm.sh: the bench ended before the restart:" >&2; cat "$work/bench.err" >&2; exit 1
  fi
  sleep 0.05
done
sleep "$delay"
echo "storm.sh: restarting the server (SIG$signal)" >&2
kill "-$signal" "$server_pid"
{ wait "$server_pid" || true; } 2>/dev/null   # braces: also silences bash's "Killed" notice
server_pid=""
sleep "$down"
start_server "127.0.0.1:$port"

rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
cat "$work/bench.out"
grep -v 'ready for the restart' "$work/bench.err" >&2 || true
exit "$rc"
