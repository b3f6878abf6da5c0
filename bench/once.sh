#!/usr/bin/env bash
# One measurement on a fresh confab server: the server on core 0 (one loop, a new data dir),
# `confab bench SCENARIO` on core 1 against it, then the server is stopped. For single rows
# of docs/performance.md; bench/run.sh runs the whole comparison set.
#
#   bench/once.sh CONFAB_BIN [--server "SERVE FLAGS"] SCENARIO [BENCH FLAGS...]
#
#   --server   extra flags for `confab serve` (e.g. "--sync always --max-connections 20000")
#
# The bench gets --url (http:// for http-publish, else ws://) and --server-pid; its report
# goes to stdout, the exit code is the bench's. Bounded by `timeout`; the server is stopped
# on exit, also on Ctrl-C.
set -euo pipefail
# shellcheck source=bench/ready.sh
source "$(dirname "$0")/ready.sh"

usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 2 ]] || usage
confab=$(realpath "$1"); shift
server_flags=""
if [[ $1 == --server ]]; then server_flags=$2; shift 2; fi
[[ $# -ge 1 ]] || usage
scenario=$1; shift

work=$(mktemp -d -t confab-once.XXXXXX)
server_pid=""
cleanup() {
  set +e
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)"
: >"$work/server.out"
# shellcheck disable=SC2086  # the server flags are words on purpose
taskset -c 0 "$confab" serve --listen 127.0.0.1:0 --telnet-listen off --threads 1 \
  --data-dir "$work/data" --log-level warn $server_flags >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=$(wait_for_ready "$server_pid" "$work/server.out" "$work/server.err" 15) || exit 1
scheme=ws; [[ $scenario == http-publish ]] && scheme=http

rc=0
timeout --kill-after=5 300 taskset -c 1 "$confab" bench "$scenario" --url "$scheme://$addr" \
  --server-pid "$server_pid" "$@" || rc=$?
if [[ -s $work/server.err ]]; then
  echo "once.sh: server stderr (last lines):" >&2; tail -n5 "$work/server.err" >&2
fi
exit "$rc"
