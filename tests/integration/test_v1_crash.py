"""The crash test: QoS 1 publishers at a steady rate while the server is SIGKILLed and restarted
on the same port and data dir several times. Publishers reconnect with their session and
re-publish every unacknowledged message with its id until acked; a subscriber resumes across
the crashes. Afterwards every acked message is stored exactly once at its acked seq, seqs have
no gaps, and the subscriber saw each message exactly once, in order.

Durability reading: protocol.md says QoS 1 is acked "once stored ... durably". A SIGKILL (not a
power loss) must not lose an acked message in any --sync mode, since the OS keeps what the
process wrote; only `batch`/`off` may lose a tail on power loss.
"""

import asyncio
import time
import unittest

import websockets

from confab_harness import deadline_in, remaining
from harness_v1 import (V1Client, V1Closed, V1TestCase, new_data_dir, start_durable, unique)

# What a dying or restarting server can do to a client in the middle of anything.
LOST = (V1Closed, websockets.WebSocketException, OSError, asyncio.TimeoutError, EOFError)


class CrashRun:
    """Shared state of one crash scenario: the current server and what everybody observed."""

    def __init__(self, test, data_dir, args):
        self.test = test
        self.data_dir = data_dir
        self.args = args
        self.server = start_durable(test, data_dir, args=args)
        self.port = self.server.http_port
        self.room = unique("crash")
        self.acks = {}            # id -> set of acked seqs (must end up with exactly one)
        self.duplicate_acks = 0
        self.first_ack = asyncio.Event()
        self.publishers_done = asyncio.Event()
        self.sub_seen = []        # (seq, id) in arrival order, across every connection
        self.sub_joins = []       # every joined the subscriber got
        self.kills = 0

    async def connect(self, nick, session, deadline):
        """A connected, hello'd client; retries while the server is down (bounded)."""
        last_error = None
        while remaining(deadline) > 0:
            try:
                return await V1Client.connect(self.port, nick, session, timeout=2)
            except LOST as e:
                last_error = e
                await asyncio.sleep(0.02)  # the server is restarting: retry soon
        raise AssertionError(f"{nick}: could not reconnect before the deadline: {last_error!r}")

    def restart(self):
        """SIGKILL, then a new process on the same port and data dir (blocking)."""
        self.server.kill()
        self.kills += 1
        self.server = start_durable(self.test, self.data_dir, port=self.port, args=self.args)


async def publisher(run: CrashRun, name: str, count: int, rate: float, deadline: float):
    ids = [f"{name}-{i}" for i in range(count)]
    unacked = {}                  # id -> pub command, in send order
    next_i, session, start = 0, None, time.monotonic()
    while next_i < count or unacked:
        if remaining(deadline) <= 0:
            raise AssertionError(f"{name}: {len(unacked)} unacked, {count - next_i} unsent "
                                 f"at the deadline")
        conn = await run.connect(name, session, deadline)
        session = conn.session
        try:
            joined = await conn.join(run.room, timeout=3)
            run.test.assertEqual(joined["type"], "joined")
            for cmd in list(unacked.values()):  # re-publish, same ids, same order
                await conn.send(cmd)
            while next_i < count or unacked:
                for m in conn.pop_all():
                    if m["type"] == "ack":
                        run.acks.setdefault(m["id"], set()).add(m["seq"])
                        run.duplicate_acks += m["duplicate"]
                        unacked.pop(m["id"], None)
                        run.first_ack.set()
                    elif m["type"] == "error":
                        # unavailable: not stored; the re-publish after a reconnect or below
                        # retries it. Anything else is a failure.
                        run.test.assertEqual(m["code"], "unavailable", m)
                        if m.get("ref") in unacked:
                            await conn.send(unacked[m["ref"]])
                if conn.closed.is_set():
                    raise V1Closed(f"{name}: connection lost")
                due = start + next_i / rate
                if next_i < count and time.monotonic() >= due:
                    cmd = {"type": "pub", "room": run.room, "id": ids[next_i], "ref": ids[next_i],
                           "data": {"n": name, "i": next_i}}
                    unacked[ids[next_i]] = cmd
                    next_i += 1
                    await conn.send(cmd)
                    continue
                await conn.wait_arrival(min(max(due - time.monotonic(), 0.001), 0.05))
        except LOST:
            pass  # the server died: reconnect with the same session and re-publish
        finally:
            await conn.close()


async def subscriber(run: CrashRun, deadline: float):
    """Joins once the room has an epoch, then follows it across crashes with since+epoch."""
    await asyncio.wait_for(run.first_ack.wait(), max(remaining(deadline), 0.01))
    session, epoch = None, None
    while True:
        if remaining(deadline) <= 0:
            raise AssertionError(f"subscriber: deadline passed at seq "
                                 f"{run.sub_seen[-1][0] if run.sub_seen else 0}")
        conn = await run.connect("sub", session, deadline)
        session = conn.session
        try:
            if epoch is None:
                joined = await conn.join(run.room, timeout=3, history=1000)
                epoch = joined["epoch"]
            else:
                since = run.sub_seen[-1][0] if run.sub_seen else 0
                joined = await conn.join(run.room, timeout=3, since=since, epoch=epoch)
            run.sub_joins.append(joined)
            run.test.assertEqual(joined["epoch"], epoch, "the room's epoch changed in a crash")
            if len(run.sub_joins) > 1:
                run.test.assertIs(joined["recovered"], True,
                                  f"resume after a crash not recovered: {joined} (since "
                                  f"{run.sub_seen[-1][0] if run.sub_seen else 0})")
            while True:
                for m in conn.pop_all():
                    if m["type"] == "msg" and m["room"] == run.room:
                        run.sub_seen.append((m["seq"], m["id"]))
                if conn.closed.is_set():
                    raise V1Closed("subscriber: connection lost")
                if run.publishers_done.is_set():
                    final = max(max(s) for s in run.acks.values())
                    if run.sub_seen and run.sub_seen[-1][0] >= final:
                        return
                await conn.wait_arrival(0.05)
        except LOST:
            pass
        finally:
            await conn.close()


class V1Crash(V1TestCase):
    per_test_server = True

    def setUp(self):  # the scenario runs its own servers
        pass

    def run_scenario(self, sync, publishers, rate, per_pub, kill_at):
        data = new_data_dir(self)
        run = CrashRun(self, data, ("--sync", sync))
        budget = per_pub / rate + 20

        async def killer(start):
            for t in kill_at:
                await asyncio.sleep(max(start + t - time.monotonic(), 0))
                await asyncio.to_thread(run.restart)

        async def go():
            deadline = deadline_in(budget)
            start = time.monotonic()
            sub = asyncio.create_task(subscriber(run, deadline))
            pubs = [asyncio.create_task(publisher(run, f"p{k}", per_pub, rate, deadline))
                    for k in range(publishers)]
            kill = asyncio.create_task(killer(start))
            try:
                await asyncio.gather(*pubs, kill)
                run.publishers_done.set()
                await sub
            finally:
                for t in pubs + [sub, kill]:
                    t.cancel()
                await asyncio.gather(*pubs, sub, kill, return_exceptions=True)

            # A fresh client reads the whole history back.
            epoch = run.sub_joins[0]["epoch"]
            reader = await V1Client.connect(run.port, "auditor")
            try:
                joined = await reader.join(run.room, since=0, epoch=epoch)
                self.assertIs(joined["recovered"], True, joined)
                history = await reader.msgs_until_seq(run.room, joined["last_seq"], timeout=20)
            finally:
                await reader.close()
            return joined, history

        joined, history = self.run_v1(go, timeout=budget + 15)
        self.assertEqual(run.kills, len(kill_at))
        total = publishers * per_pub
        all_ids = {f"p{k}-{i}" for k in range(publishers) for i in range(per_pub)}

        # Every message was acked, each id at exactly one seq (duplicates answer the same seq).
        self.assertEqual(set(run.acks), all_ids, "some messages were never acked")
        multi = {i: s for i, s in run.acks.items() if len(s) != 1}
        self.assertEqual(multi, {}, "one id acked with different seqs")
        acked_seq = {i: next(iter(s)) for i, s in run.acks.items()}

        # The history: seqs 1..last without gaps, each acked (id, seq) exactly once.
        h_seqs = [m["seq"] for m in history]
        self.assertEqual(h_seqs, list(range(1, len(history) + 1)), "history has gaps/repeats")
        self.assertEqual(joined["last_seq"], total, "stored message count != published ids")
        h_ids = [m["id"] for m in history]
        repeated = sorted({i for i in h_ids if h_ids.count(i) > 1})
        self.assertEqual(repeated, [], "ids stored more than once")
        self.assertEqual({m["id"]: m["seq"] for m in history}, acked_seq,
                         "an acked message is missing from the history or at another seq")
        # Per publisher, the store kept the send order.
        for k in range(publishers):
            mine = [acked_seq[f"p{k}-{i}"] for i in range(per_pub)]
            self.assertEqual(mine, sorted(mine), f"p{k}'s messages stored out of order")

        # The subscriber: every message exactly once, in seq order, across all the crashes.
        seen = [s for s, _ in run.sub_seen]
        first = seen[0] if seen else None
        self.assertEqual(first, 1, "the subscriber's first join with history missed the start")
        self.assertEqual(seen, list(range(1, total + 1)),
                         "the subscriber saw a gap, a duplicate or a reordering")
        self.assertEqual(dict((i, s) for s, i in run.sub_seen), acked_seq)
        self.assertGreater(len(run.sub_joins), len(kill_at), "the subscriber never resumed")

    def test_sigkill_restarts_under_load_with_batch_sync_lose_and_duplicate_nothing(self):
        self.run_scenario("batch", publishers=2, rate=200, per_pub=1100,
                          kill_at=(1.2, 2.7, 4.2))

    def test_sigkill_restarts_under_load_with_sync_always_lose_and_duplicate_nothing(self):
        self.run_scenario("always", publishers=2, rate=150, per_pub=400, kill_at=(0.8, 1.9))


if __name__ == "__main__":
    unittest.main()
