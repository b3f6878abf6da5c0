"""confab.v1 resume: a reconnecting subscriber gets exactly what it missed and then live messages
(no gap, no duplicate at the seam, also while others publish during the re-join), idempotent
re-publishing across reconnects, join with history, epochs (wrong epoch, wiped data dir,
restart on the same data dir) and retention (history_trimmed)."""

import asyncio
import os
import re
import shutil
import unittest

from harness_v1 import (V1Client, V1TestCase, new_data_dir, seqs, start_durable, unique)

EPOCH_RE = re.compile(r"[\x20-\x7e]{1,64}")


class V1ResumeCase(V1TestCase):

    async def publish_n(self, pub: V1Client, room: str, prefix: str, n: int,
                        pace: float = 0.0):
        """n pipelined qos 1 pubs (`pace` seconds apart); returns their acks in send order."""
        for k in range(n):
            await pub.send({"type": "pub", "room": room, "id": f"{prefix}{k}",
                            "data": {"k": k, "p": prefix}})
            if pace:
                await asyncio.sleep(pace)
        acks = []
        for k in range(n):
            acks.append(await pub.take(lambda m: m["type"] in ("ack", "error"), 10,
                                       f"ack {k + 1}/{n} of {prefix}"))
        bad = [a for a in acks if a["type"] != "ack" or a["duplicate"]]
        self.assertEqual(bad, [], "pubs refused or acked as duplicates")
        return acks

    def assert_recovered(self, joined, epoch):
        self.assertEqual(joined["type"], "joined", joined)
        self.assertIs(joined["recovered"], True, f"resume not recovered: {joined}")
        self.assertNotIn("reason", joined, "reason must be absent when recovered")
        self.assertEqual(joined["epoch"], epoch)


class V1Resume(V1ResumeCase):

    def test_resume_delivers_exactly_the_missed_messages_then_live_across_a_busy_seam(self):
        room = unique("seam")
        rounds, missed, during = 3, 20, 60

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            acks = await self.publish_n(pub, room, "pre-", 3)
            sub = await self.client("sub")
            joined = await sub.join(room, history=1000)
            epoch = joined["epoch"]
            self.assertTrue(EPOCH_RE.fullmatch(epoch), joined)
            got = await sub.msgs_until_seq(room, 3)
            self.assertEqual(seqs(got), [1, 2, 3])
            seq_of = {a["id"]: a["seq"] for a in acks}
            seen = seqs(got)
            overlapped = []

            for r in range(rounds):
                last = seen[-1]
                if r % 2:
                    sub.abort()  # a lost network, not a clean close
                await sub.close()
                acks = await self.publish_n(pub, room, f"r{r}-miss-", missed)
                seq_of.update({a["id"]: a["seq"] for a in acks})

                # Others keep publishing while the subscriber re-joins: the seam is busy.
                async def burst():
                    return await self.publish_n(pub, room, f"r{r}-live-", during, pace=0.001)

                async def rejoin():
                    c = await self.client("sub", session=sub.session)
                    self.assertEqual(c.session, sub.session)
                    return c, await c.join(room, since=last, epoch=epoch)

                burst_acks, (sub, joined) = await asyncio.gather(burst(), rejoin())
                seq_of.update({a["id"]: a["seq"] for a in burst_acks})
                self.assert_recovered(joined, epoch)
                self.assertGreaterEqual(joined["last_seq"], last + missed)
                final = max(seq_of.values())
                overlapped.append(joined["last_seq"] < final)
                got = await sub.msgs_until_seq(room, final)
                self.assertEqual(seqs(got), list(range(last + 1, final + 1)),
                                 f"round {r}: resume from {last} (last_seq "
                                 f"{joined['last_seq']}) was not exactly the missed + live msgs")
                self.assertEqual({m["id"]: m["seq"] for m in got},
                                 {i: s for i, s in seq_of.items() if s > last})
                seen += seqs(got)

            self.assertTrue(any(overlapped), "no burst outlasted its re-join: the seam was "
                            "never exercised (make the burst longer)")
            # And then live, with nothing extra in between.
            ack = await pub.publish(room, "after", {"text": "live"})
            got = await sub.msgs_until_seq(room, ack["seq"])
            self.assertEqual(seqs(got), [seen[-1] + 1])
            await sub.sync()
            self.assertEqual([m for m in sub.inbox if m["type"] == "msg"], [])
        self.run_v1(go, timeout=40)

    def test_resume_of_a_room_first_joined_while_empty(self):
        # A subscriber that joined before the first message only has that joined's epoch.
        # protocol.md: epoch is 1-64 printable ASCII, and resume uses "the epoch from the
        # joined that since was counted in".
        room = unique("empty")

        async def go():
            sub = await self.client("sub")
            joined = await sub.join(room)
            epoch = joined["epoch"]
            pub = await self.client("pub")
            await pub.join(room)
            await self.publish_n(pub, room, "a", 3)
            self.assertEqual(seqs(await sub.msgs_until_seq(room, 3)), [1, 2, 3])
            await sub.close()
            await self.publish_n(pub, room, "b", 2)
            again = await self.client("sub", session=sub.session)
            self.assertTrue(EPOCH_RE.fullmatch(epoch),
                            f"joined of an empty room has epoch {epoch!r}: a client that joined "
                            f"it cannot resume")
            resumed = await again.reply({"type": "join", "room": room, "since": 3,
                                         "epoch": epoch}, "joined")
            self.assert_recovered(resumed, epoch)
            self.assertEqual(seqs(await again.msgs_until_seq(room, 5)), [4, 5])
        self.run_v1(go)

    def test_republish_after_reconnect_is_acked_as_duplicate_and_not_delivered_again(self):
        room, other_room = unique("idem"), unique("idem2")

        async def go():
            sub = await self.client("sub")
            await sub.join(room)
            pub = await self.client("pub")
            await pub.join(room)
            first = await pub.publish(room, "x1", {"text": "first"})
            self.assertEqual((first["seq"], first["duplicate"]), (1, False))
            pub.abort()  # the connection is lost right after the ack
            await pub.close()

            pub2 = await self.client("pub", session=pub.session)
            await pub2.join(room)
            await pub2.join(other_room)
            dup = await pub2.publish(room, "x1", {"text": "second"})
            self.assertEqual(dup, {"type": "ack", "room": room, "id": "x1", "seq": 1,
                                   "duplicate": True})
            nxt = await pub2.publish(room, "x2", {"text": "next"})
            self.assertEqual((nxt["seq"], nxt["duplicate"]), (2, False),
                             "a duplicate consumed a seq")
            # Twice back to back on one connection (both may land in one store batch).
            await pub2.send({"type": "pub", "room": room, "id": "x3", "data": 3})
            await pub2.send({"type": "pub", "room": room, "id": "x3", "data": 33})
            a1 = await pub2.take_type("ack", id="x3")
            a2 = await pub2.take_type("ack", id="x3")
            self.assertEqual([(a1["seq"], a1["duplicate"]), (a2["seq"], a2["duplicate"])],
                             [(3, False), (3, True)])
            # The key is (room, session, id): another session or another room is not a dup.
            other = await self.client("other")
            await other.join(room)
            o = await other.publish(room, "x1", {"text": "other session"})
            self.assertEqual((o["seq"], o["duplicate"]), (4, False))
            r2 = await pub2.publish(other_room, "x1", {"text": "other room"})
            self.assertEqual((r2["seq"], r2["duplicate"]), (1, False))

            got = await sub.msgs_until_seq(room, 4)
            self.assertEqual([(m["seq"], m["id"], m["data"]) for m in got],
                             [(1, "x1", {"text": "first"}), (2, "x2", {"text": "next"}),
                              (3, "x3", 3), (4, "x1", {"text": "other session"})])
            await sub.sync()
            self.assertEqual([m for m in sub.inbox if m["type"] == "msg"], [],
                             "a duplicate was delivered again")
            hist = await self.client("hist")
            await hist.join(room, history=10)
            self.assertEqual([(m["seq"], m["data"]) for m in await hist.msgs_until_seq(room, 4)],
                             [(1, {"text": "first"}), (2, {"text": "next"}), (3, 3),
                              (4, {"text": "other session"})])
        self.run_v1(go)

    def test_join_with_history_gives_the_last_n_then_live(self):
        room = unique("hist")

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            acks = await self.publish_n(pub, room, "h", 10)
            c = await self.client("late")
            joined = await c.join(room, history=4)
            self.assertEqual((joined["last_seq"], joined["recovered"], joined["reason"]),
                             (10, False, "no_since"))
            got = await c.msgs_until_seq(room, 10)
            self.assertEqual(seqs(got), [7, 8, 9, 10])
            self.assertEqual([m["id"] for m in got], ["h6", "h7", "h8", "h9"])
            self.assertEqual([m["from"]["session"] for m in got], [pub.member_id] * 4)
            self.assertEqual([m["ts"] for m in got], sorted(m["ts"] for m in got))
            more = await pub.publish(room, "live", 1)
            got = await c.msgs_until_seq(room, more["seq"])
            self.assertEqual(seqs(got), [11])

            everything = await self.client("all")
            await everything.join(room, history=50)
            self.assertEqual(seqs(await everything.msgs_until_seq(room, 11)), list(range(1, 12)))
            await everything.sync()
            self.assertEqual([m for m in everything.inbox if m["type"] == "msg"], [])
            self.assertEqual(len(acks), 10)
        self.run_v1(go)

    def test_resume_with_a_wrong_epoch_reports_epoch_changed_and_replays_nothing(self):
        room = unique("epoch")

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            await self.publish_n(pub, room, "e", 3)
            probe = await self.client("probe")
            real = (await probe.join(room, history=1))["epoch"]
            c = await self.client("stale")
            joined = await c.join(room, since=2, epoch="not-" + real, history=5)
            self.assertEqual((joined["recovered"], joined.get("reason"), joined["epoch"],
                              joined["last_seq"]), (False, "epoch_changed", real, 3))
            ack = await pub.publish(room, "e-live", 1)
            got = await c.msgs_until_seq(room, ack["seq"])
            self.assertEqual(seqs(got), [4], "msgs of an epoch the client does not know")
        self.run_v1(go)


class V1Retention(V1ResumeCase):
    server_args = ("--retention-messages", "5")

    def test_resume_from_a_trimmed_seq_reports_history_trimmed(self):
        room = unique("trim")

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            await self.publish_n(pub, room, "t", 20)
            c = await self.client("reader")
            # Retention trims in the background: wait (bounded) until seq 15 is gone.
            for attempt in range(100):
                joined = await c.join(room, history=1000)
                got = await c.msgs_until_seq(room, 20)
                await c.reply({"type": "leave", "room": room}, "left")
                if seqs(got)[0] > 15:
                    break
                await asyncio.sleep(0.1)  # the trim runs on its own timer and announces nothing
            self.assertEqual(seqs(got), [16, 17, 18, 19, 20], "retention kept the wrong seqs")
            epoch = joined["epoch"]
            for since in (1, 14):
                with self.subTest(since=since):
                    joined = await c.join(room, since=since, epoch=epoch)
                    self.assertEqual((joined["recovered"], joined.get("reason"),
                                      joined["last_seq"]), (False, "history_trimmed", 20))
                    await c.reply({"type": "leave", "room": room}, "left")
            # since=15: everything after it (16..20) is still stored.
            c.drop(lambda m: m["type"] == "msg")
            joined = await c.join(room, since=15, epoch=epoch)
            self.assert_recovered(joined, epoch)
            self.assertEqual(seqs(await c.msgs_until_seq(room, 20)), [16, 17, 18, 19, 20])
        self.run_v1(go)


class V1RetentionAge(V1ResumeCase):
    server_args = ("--retention-messages", "0", "--retention-age", "1s")

    def test_age_trims_messages_but_keeps_the_epoch_and_the_seq_counter(self):
        room = unique("age")

        async def go():
            pub = await self.client("pub")
            await pub.join(room)
            await self.publish_n(pub, room, "a", 3)
            c = await self.client("reader")
            epoch = (await c.join(room, history=10))["epoch"]
            self.assertEqual(seqs(await c.msgs_until_seq(room, 3)), [1, 2, 3])
            await c.reply({"type": "leave", "room": room}, "left")
            # Wait (bounded) until the background trim removed all three.
            for attempt in range(60):
                joined = await c.join(room, history=10)
                await c.sync()
                left = [m for m in c.pop_all() if m["type"] == "msg"]
                await c.reply({"type": "leave", "room": room}, "left")
                if not left:
                    break
                await asyncio.sleep(0.1)  # the trim runs on its own timer and announces nothing
            self.assertEqual(left, [], "messages older than --retention-age were kept")
            self.assertEqual((joined["epoch"], joined["last_seq"]), (epoch, 3),
                             "trimming every message reset the room's epoch or last_seq")
            trimmed = await c.join(room, since=1, epoch=epoch)
            self.assertEqual((trimmed["recovered"], trimmed.get("reason")),
                             (False, "history_trimmed"))
            await c.reply({"type": "leave", "room": room}, "left")
            # A client that already has seq 3 misses nothing: it is recovered.
            uptodate = await c.join(room, since=3, epoch=epoch)
            self.assert_recovered(uptodate, epoch)
            ack = await pub.publish(room, "after", 1)
            self.assertEqual(ack["seq"], 4, "a seq was reused after trimming")
            self.assertEqual(seqs(await c.msgs_until_seq(room, 4)), [4])
        self.run_v1(go)


class V1Restart(V1ResumeCase):
    per_test_server = True

    def setUp(self):  # every test here runs its own servers on its own data dir
        pass

    def test_restart_on_the_same_data_dir_keeps_the_epoch_and_seqs_continue(self):
        room = unique("keep")
        data = new_data_dir(self)
        first = start_durable(self, data)

        async def before():
            pub = await self.client("pub", port=first.http_port)
            await pub.join(room)
            await self.publish_n(pub, room, "k", 5)
            sub = await self.client("sub", port=first.http_port)
            joined = await sub.join(room, history=100)
            self.assertEqual(seqs(await sub.msgs_until_seq(room, 5)), [1, 2, 3, 4, 5])
            return pub.session, sub.session, joined["epoch"]

        pub_session, sub_session, epoch = self.run_v1(before)
        self.assertEqual(first.stop(), 0, "confab did not exit cleanly on SIGTERM")
        second = start_durable(self, data, port=first.http_port)

        async def after():
            sub = await self.client("sub", session=sub_session, port=second.http_port)
            joined = await sub.join(room, since=5, epoch=epoch)
            self.assert_recovered(joined, epoch)
            self.assertEqual(joined["last_seq"], 5)
            pub = await self.client("pub", session=pub_session, port=second.http_port)
            await pub.join(room)
            dup = await pub.publish(room, "k2", {"again": True})
            self.assertEqual((dup["seq"], dup["duplicate"]), (3, True),
                             "the idempotency key did not survive the restart")
            ack = await pub.publish(room, "k-after", 1)
            self.assertEqual((ack["seq"], ack["duplicate"]), (6, False))
            self.assertEqual(seqs(await sub.msgs_until_seq(room, 6)), [6])
        self.run_v1(after)

    def test_restart_on_a_wiped_data_dir_starts_a_new_epoch(self):
        room = unique("wipe")
        data = new_data_dir(self)
        first = start_durable(self, data)

        async def before():
            pub = await self.client("pub", port=first.http_port)
            await pub.join(room)
            await self.publish_n(pub, room, "w", 5)
            probe = await self.client("probe", port=first.http_port)
            return (await probe.join(room, history=1))["epoch"]

        old_epoch = self.run_v1(before)
        first.stop()
        shutil.rmtree(data)
        os.mkdir(data)
        second = start_durable(self, data, port=first.http_port)

        async def after():
            sub = await self.client("sub", port=second.http_port)
            joined = await sub.join(room, since=5, epoch=old_epoch)
            self.assertEqual((joined["recovered"], joined.get("reason"), joined["last_seq"]),
                             (False, "empty", 0))
            await sub.reply({"type": "leave", "room": room}, "left")
            pub = await self.client("pub", port=second.http_port)
            await pub.join(room)
            acks = await self.publish_n(pub, room, "n", 2)
            self.assertEqual(seqs(acks), [1, 2], "seqs did not restart in the new history")
            joined = await sub.join(room, since=5, epoch=old_epoch)
            self.assertEqual((joined["recovered"], joined.get("reason"), joined["last_seq"]),
                             (False, "epoch_changed", 2))
            self.assertNotEqual(joined["epoch"], old_epoch, "a wiped history kept its epoch")
            self.assertTrue(EPOCH_RE.fullmatch(joined["epoch"]), joined)
        self.run_v1(after)


if __name__ == "__main__":
    unittest.main()
