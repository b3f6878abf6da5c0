#!/usr/bin/env bash
# Prints a Markdown table of one benchmark run from a results file written by bench/run.sh:
# the median over repetitions of each case per server, beside the reference figures
# (uWebSockets, and Gorilla hub / Node ws as measured for the performance issue).
#
#   bench/table.sh RESULTS.jsonl [--id RUN_ID]     (default: the newest run in the file)
set -euo pipefail

[[ $# -ge 1 ]] || { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
results=$1; shift
id=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --id) id=$2; shift ;;
    *) echo "table.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

jq -r -s --arg id "$id" '
  def median: sort | if length == 0 then null
    elif length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r(d): . * pow(10; d) | round / pow(10; d);
  def rate: if . == null then "–" elif . >= 1e6 then "\(. / 1e6 | r(2)) M"
    else "\(. / 1e3 | round) k" end;
  def ms: if . == null then "–" elif . >= 10 then "\(r(1))" else "\(r(2))" end;
  def kib: if . == null then "–" else "\(. / 1024 | r(2))" end;
  def count: if . == null then "–" else "\(round)" end;

  (if $id == "" then (map(.run.id) | max) else $id end) as $run
  | map(select(.run.id == $run)) as $rows
  | if ($rows | length) == 0 then error("no run \($run) in the file") else . end
  | ["confab", "gorilla-hub", "node-ws-hub"] as $servers
  | def cell(server; threads; case_name; clients; metric):
      [$rows[] | select(.run.server == server and .run.server_threads == threads
                        and .run.case == case_name and (clients == null or .clients == clients))
       | metric] | median;
    [ {l: "broadcast, 100 clients (deliveries/s)", c: "broadcast-max", n: 100,
       m: ".delivered_per_s", f: "rate", ref: ["2.78 M", "124 k", "117 k"]},
      {l: "broadcast, 1,000 clients (deliveries/s)", c: "broadcast-max", n: 1000,
       m: ".delivered_per_s", f: "rate", ref: ["1.85 M", "120 k", "91 k"]},
      {l: "broadcast, 5,000 clients (deliveries/s)", c: "broadcast-max", n: 5000,
       m: ".delivered_per_s", f: "rate", ref: ["1.69 M", "101 k", "89 k"]},
      {l: "broadcast confab.v1 QoS 0, 100 clients", c: "broadcast-max-v1", n: 100,
       m: ".delivered_per_s", f: "rate", ref: ["–", "–", "–"]},
      {l: "broadcast confab.v1 QoS 0, 1,000 clients", c: "broadcast-max-v1", n: 1000,
       m: ".delivered_per_s", f: "rate", ref: ["–", "–", "–"]},
      {l: "broadcast confab.v1 QoS 0, 5,000 clients", c: "broadcast-max-v1", n: 5000,
       m: ".delivered_per_s", f: "rate", ref: ["–", "–", "–"]},
      {l: "broadcast, 1,000 clients, server 2 threads ¹", c: "broadcast-max", n: 1000, t: 2,
       m: ".delivered_per_s", f: "rate", ref: ["–", "–", "–"]},
      {l: "20 k deliveries/s, 1,000 clients: p50 (ms)", c: "broadcast-fixed",
       m: ".latency_ms.p50", f: "ms", ref: ["4.6", "9.6", "7.0"]},
      {l: "20 k deliveries/s, 1,000 clients: p99 (ms)", c: "broadcast-fixed",
       m: ".latency_ms.p99", f: "ms", ref: ["11", "21", "17"]},
      {l: "echo, 100 clients, window 1 (round trips/s)", c: "echo",
       m: ".round_trips_per_s", f: "rate", ref: ["143 k", "110 k", "68 k"]},
      {l: "idle, 10,000 connections (server KiB/conn) ²", c: "idle",
       m: ".server_rss.per_conn_held_bytes", f: "kib", ref: ["0.46", "18.2", "6.2"]}
    ] as $table
  | "| run \($run) | " + ($servers | join(" | ")) + " | uWS (ref) | Gorilla (ref) | Node ws (ref) |",
    "|---|" + ($servers | map("---:") | join("|")) + "|---:|---:|---:|",
    ($table[] as $row
     | "| \($row.l) | "
       + ([$servers[] as $s
           | ($row.t // 1) as $t
           | (if $row.t == 2 and $s != "confab" then null
              else cell($s; $t; $row.c; $row.n; ($row.m as $p | getpath($p | ltrimstr(".") | split(".")))) end)
           | if $row.f == "rate" then rate elif $row.f == "ms" then ms else kib end]
          | join(" | "))
       + " | " + ($row.ref | join(" | ")) + " |"),
    "",
    "Runs per cell: \([$rows[] | .run.rep] | max). Messages lost / connections lost over all runs: "
      + ([$servers[] as $s | "\($s) \([$rows[] | select(.run.server == $s) | .lost // 0] | add // 0 | count)"
          + " / \([$rows[] | select(.run.server == $s) | .closes.total // 0] | add // 0 | count)"]
         | join(", ")) + ".",
    "¹ confab --threads 2 on cores 0-1; the load generator shares core 1.",
    "² server VmRSS growth / connections, at the end of the hold; KiB = 1,024 bytes."
' "$results"
