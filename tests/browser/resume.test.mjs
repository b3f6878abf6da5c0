// The chat page across failures, against the real server: a restart (SIGTERM, same port, same
// data), a page whose network is down while others talk, a zombie connection that swallows an
// ack, a server whose history was wiped, and a reload. In every case no message is lost or
// shown twice. A page "loses its network" through a TCP proxy in front of the server
// (support.mjs startProxy): it stays open with its state in memory, which is what resuming
// (join with since + epoch) needs; closing and reopening it would join afresh with history and
// prove nothing about resume. Run: CONFAB_BIN=... node --test
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  joinRoom, launchBrowser, makeDataDir, messageTexts, openUserPage, PAGE_TIMEOUT_MS, screenshot,
  sendMessage, startProxy, startServer, uniqueRoom, until, waitForConnected, waitForNotConnected,
  waitForTexts,
} from './support.mjs';

// Short keepalive for the page whose connection turns into a zombie (defaults: 15 s + 10 s).
const QUICK_KEEPALIVE = { pingIntervalMs: 500, pongTimeoutMs: 1000 };

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

function pubsOf(page, text) {
  return page.framesSent.filter((f) => f.type === 'pub' && f.data?.text === text);
}

async function newcomerSees(server, room, texts) {
  const page = await openUserPage(browser);
  try {
    await joinRoom(page, server.url, { nick: 'newcomer', room });
    await waitForTexts(page, texts);
  } finally {
    await page.context().close();
  }
}

test('after a server restart the offline message is delivered once and a page that missed ' +
     'messages resumes to the same list', async (t) => {
  const dataDir = await makeDataDir();
  let server = await startServer({ dataDir: dataDir.path });
  const { port } = server;
  const bobNetwork = await startProxy(port);
  t.after(async () => {
    await bobNetwork.close();
    await server.stop();
    await dataDir.remove();
  });
  const room = uniqueRoom('restart');
  // A room with history has an epoch, so Alice and Bob can resume with since + epoch.
  const seeder = await openUserPage(browser);
  await joinRoom(seeder, server.url, { nick: 'seeder', room });
  await sendMessage(seeder, 'seed');
  await waitForTexts(seeder, ['seed']);
  await seeder.context().close();

  const alice = await openUserPage(browser);
  const bob = await openUserPage(browser, { width: 390, height: 740 });
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  await joinRoom(alice, server.url, { nick: 'alice', room });
  await joinRoom(bob, bobNetwork.url, { nick: 'bob', room });
  await sendMessage(alice, 'before 1');
  await sendMessage(alice, 'before 2');
  const before = ['seed', 'before 1', 'before 2'];
  await waitForTexts(alice, before);
  await waitForTexts(bob, before);

  await server.stop();
  await waitForNotConnected(alice);
  await waitForNotConnected(bob);
  // Bob's network stays down across the restart, so he misses what Alice sends meanwhile.
  bobNetwork.cut();

  // Offline, a message is accepted (the box clears) and shown as pending, not refused.
  await sendMessage(alice, 'typed while offline');
  const pending = alice.locator('#messages .msg.pending');
  assert.equal(await pending.count(), 1);
  assert.equal(await pending.locator('.text').textContent(), 'typed while offline');
  assert.equal(await pending.locator('.state').textContent(), 'sending…');
  assert.match(await alice.locator('#status').textContent(), /reconnecting/);
  await screenshot(alice, 'restart-offline');

  server = await startServer({ port, dataDir: dataDir.path });
  assert.equal(server.port, port);
  await waitForConnected(alice);
  const afterRestart = [...before, 'typed while offline'];
  await waitForTexts(alice, afterRestart);  // delivered, shown once, no longer pending
  await sendMessage(alice, 'while bob is away');
  const all = [...afterRestart, 'while bob is away'];
  await waitForTexts(alice, all);

  bobNetwork.restore();
  await waitForConnected(bob);
  await waitForTexts(bob, all);
  assert.deepEqual(await messageTexts(bob), await messageTexts(alice));
  // Bob caught up by resuming, not by reloading the room.
  const rejoin = bob.framesSent.filter((f) => f.type === 'join').at(-1);
  assert.equal(rejoin.since, before.length);
  assert.equal(typeof rejoin.epoch, 'string');
  assert.equal(await bob.locator('#messages .note.reload').count(), 0);
  // The offline message was stored exactly once: a newcomer's history says so too.
  await newcomerSees(server, room, all);

  // And the room is live again both ways.
  await sendMessage(bob, 'bob is back');
  for (const page of [alice, bob]) await waitForTexts(page, [...all, 'bob is back']);
  for (const page of [alice, bob]) assert.deepEqual(page.errors, []);
  await screenshot(alice, 'restart-alice');
  await screenshot(bob, 'restart-bob-phone');
});

test('a zombie connection that swallowed an ack is detected, and the message re-sent with ' +
     'the same id is shown once', async (t) => {
  const server = await startServer();
  const aliceNetwork = await startProxy(server.port);
  t.after(async () => {
    await aliceNetwork.close();
    await server.stop();
  });
  const room = uniqueRoom('zombie');
  const alice = await openUserPage(browser, { clientOptions: QUICK_KEEPALIVE });
  const bob = await openUserPage(browser);
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  // The room is empty when they join: `joined` has no epoch yet, so Alice resumes by history.
  await joinRoom(alice, aliceNetwork.url, { nick: 'alice', room });
  await joinRoom(bob, server.url, { nick: 'bob', room });
  await sendMessage(alice, 'one');
  for (const page of [alice, bob]) await waitForTexts(page, ['one']);

  // Alice's frames still reach the server, but nothing comes back: no ack, no msg, no pong.
  aliceNetwork.blackhole();
  await sendMessage(alice, 'ack lost');
  await waitForTexts(bob, ['one', 'ack lost']);  // stored and fanned out

  // Her keepalive gives the silent connection up (nothing closed it), she reconnects, and
  // the message stops being pending: only a new connection can have brought its ack.
  await waitForTexts(alice, ['one', 'ack lost']);
  // The replayed history can show the line before the re-send's ack is back: wait for the ack.
  const ackOf = (id) => alice.framesReceived.find((f) => f.type === 'ack' && f.id === id);
  const resentAndAcked = () => {
    const pubs = pubsOf(alice, 'ack lost');
    return pubs.length >= 2 && ackOf(pubs[0].id) !== undefined;
  };
  await until(resentAndAcked, 'the re-sent message and its ack');
  const [first, again, ...more] = pubsOf(alice, 'ack lost');
  assert.ok(again, 'the unacked message was re-sent after the reconnect');
  assert.equal(again.id, first.id);
  assert.equal(more.length, 0);
  assert.equal(ackOf(first.id).duplicate, true, 'the server recognised the re-sent message');
  await waitForTexts(bob, ['one', 'ack lost']);
  await newcomerSees(server, room, ['one', 'ack lost']);
  for (const page of [alice, bob]) assert.deepEqual(page.errors, []);
});

test('a page whose room history was wiped reloads the room and says so', async (t) => {
  const oldData = await makeDataDir();
  const newData = await makeDataDir();
  let server = await startServer({ dataDir: oldData.path });
  const { port } = server;
  const aliceNetwork = await startProxy(port);
  t.after(async () => {
    await aliceNetwork.close();
    await server.stop();
    await oldData.remove();
    await newData.remove();
  });
  const room = uniqueRoom('wiped');
  const alice = await openUserPage(browser);
  t.after(() => alice.context().close());
  await joinRoom(alice, aliceNetwork.url, { nick: 'alice', room });
  await sendMessage(alice, 'old 1');
  await waitForTexts(alice, ['old 1']);
  // Once more, now that the room has an epoch: Alice's rejoin will carry since + epoch.
  await alice.click(`#rooms [data-room="${room}"] .room-leave`);
  await joinRoom(alice, null, { nick: 'alice', room });
  await sendMessage(alice, 'old 2');
  await waitForTexts(alice, ['old 1', 'old 2']);

  // Same port, other data: the room's history starts over in a new epoch.
  aliceNetwork.cut();
  await server.stop();
  server = await startServer({ port, dataDir: newData.path });
  const bob = await openUserPage(browser);
  t.after(() => bob.context().close());
  await joinRoom(bob, server.url, { nick: 'bob', room });
  await sendMessage(bob, 'new 1');
  await waitForTexts(bob, ['new 1']);

  aliceNetwork.restore();
  await waitForConnected(alice);
  await waitForTexts(alice, ['new 1']);
  const notice = alice.locator('#messages .note.reload');
  await notice.waitFor({ timeout: PAGE_TIMEOUT_MS });
  assert.match(await notice.textContent(), /reset/);
  const rejoin = alice.framesSent.filter((f) => f.type === 'join').at(-2);
  assert.equal(rejoin.since, 2);
  const joined = alice.framesReceived.filter((f) => f.type === 'joined').at(-2);
  assert.equal(joined.reason, 'epoch_changed');
  await sendMessage(alice, 'new 2');
  for (const page of [alice, bob]) await waitForTexts(page, ['new 1', 'new 2']);
  for (const page of [alice, bob]) assert.deepEqual(page.errors, []);
  await screenshot(alice, 'wiped-alice');
});

test('a reload keeps the session, the rooms and the messages', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom('reload');
  const alice = await openUserPage(browser);
  t.after(() => alice.context().close());
  await joinRoom(alice, server.url, { nick: 'alice', room });
  await sendMessage(alice, 'before the reload');
  await waitForTexts(alice, ['before the reload']);
  const welcome = alice.framesReceived.find((f) => f.type === 'welcome');

  await alice.reload();
  await waitForConnected(alice);
  await waitForTexts(alice, ['before the reload']);
  const hellos = alice.framesSent.filter((f) => f.type === 'hello');
  assert.equal(hellos.length, 2);
  assert.equal(hellos[1].session, welcome.session);
  assert.equal(await alice.locator(`#rooms [data-room="${room}"]`).count(), 1);
  assert.equal(await alice.locator('#messages .msg.mine').count(), 1);  // still ours
  assert.deepEqual(alice.errors, []);
});
