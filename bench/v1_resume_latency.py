#!/usr/bin/python3
"""Resume latency of confab.v1: how long a client that was away takes to get back in sync.

A subscriber joins a room and leaves; a publisher stores MISSED QoS 1 messages; the
subscriber reconnects (new connection, same session), sends hello and join with since+epoch,
and the clock stops when the last missed message has arrived. Prints one JSON line per round
and a summary. Usage: bench/v1_resume_latency.py ws://127.0.0.1:PORT [--missed N] [--rounds R]
(Debian's python3-websockets; run with /usr/bin/python3.)
"""
import argparse
import asyncio
import json
import statistics
import time

import websockets


async def hello(url, nick, session=None):
    ws = await websockets.connect(url + "/ws", subprotocols=["confab.v1"], max_size=None)
    msg = {"type": "hello", "nick": nick}
    if session:
        msg["session"] = session
    await ws.send(json.dumps(msg))
    welcome = json.loads(await ws.recv())
    return ws, welcome["session"]


async def until(ws, predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), max(0.01, deadline - time.monotonic())))
        if predicate(m):
            return m


async def one_round(url, room, missed):
    sub, session = await hello(url, "sub")
    await sub.send(json.dumps({"type": "join", "room": room}))
    joined = await until(sub, lambda m: m["type"] == "joined")
    last, epoch = joined["last_seq"], joined["epoch"]
    await sub.close()

    pub, _ = await hello(url, "pub")
    await pub.send(json.dumps({"type": "join", "room": room}))
    await until(pub, lambda m: m["type"] == "joined")
    for i in range(missed):
        await pub.send(json.dumps({"type": "pub", "room": room, "id": f"{time.time_ns()}-{i}",
                                   "data": {"text": f"missed {i}"}}))
    await until(pub, lambda m: m["type"] == "ack" and m["seq"] == last + missed, timeout=60)
    await pub.close()

    start = time.monotonic()
    sub, _ = await hello(url, "sub", session)
    await sub.send(json.dumps({"type": "join", "room": room, "since": last, "epoch": epoch}))
    joined = await until(sub, lambda m: m["type"] == "joined")
    first_ms = None
    got = 0
    while got < missed:
        m = await until(sub, lambda m: m["type"] == "msg")
        if first_ms is None:
            first_ms = (time.monotonic() - start) * 1000
        assert m["seq"] == last + got + 1, f"gap or duplicate: {m['seq']} after {last + got}"
        got += 1
    total_ms = (time.monotonic() - start) * 1000
    await sub.close()
    return {"missed": missed, "recovered": joined["recovered"],
            "first_message_ms": round(first_ms, 2), "all_messages_ms": round(total_ms, 2)}


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--missed", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    results = []
    for r in range(args.rounds):
        res = await one_round(args.url, f"resume-bench-{time.time_ns()}-{r}", args.missed)
        print(json.dumps(res))
        results.append(res)
    print(json.dumps({"summary": "resume", "missed": args.missed, "rounds": args.rounds,
                      "median_first_message_ms": statistics.median(x["first_message_ms"] for x in results),
                      "median_all_messages_ms": statistics.median(x["all_messages_ms"] for x in results),
                      "all_recovered": all(x["recovered"] for x in results)}))


if __name__ == "__main__":
    asyncio.run(main())
