# shellcheck shell=bash
# Sourced by bench/run.sh, bench/once.sh and bench/storm.sh: waiting for a server that was
# just started in the background.

# wait_for_ready PID OUT ERR SECONDS: waits until server PID has printed its
# "... ready http=HOST:PORT ..." line to the file OUT, then prints HOST:PORT. When the server
# dies or SECONDS pass first, prints ERR (its stderr) and fails; call it as
# `addr=$(wait_for_ready ...) || exit 1`.
wait_for_ready() {
  local pid=$1 out=$2 err=$3 deadline=$((SECONDS + $4))
  until grep -q ' ready http=' "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [[ $SECONDS -ge $deadline ]]; then
      echo "$(basename "$0"): the server did not start:" >&2
      cat "$err" >&2
      return 1
    fi
    sleep 0.02
  done
  sed -n 's/.* ready http=\([^ ]*\).*/\1/p' "$out" | head -n1
}
