// The chat page in headless Chromium against the real server: two users talk in a room, every
// kind of payload is shown for what it is, and a page rides out a server restart on its own. Run: CONFAB_BIN=... node --test
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  joinRoom, launchBrowser, makeDataDir, openUserPage, PAGE_TIMEOUT_MS, screenshot, sendMessage,
  startServer, uniqueRoom, waitForConnected, waitForMessage, waitForNotConnected,
} from './support.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('two pages in the same room each see the other\'s messages', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom('pair');
  const alice = await openUserPage(browser);
  const bob = await openUserPage(browser, { width: 390, height: 740 });  // phone width
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  await joinRoom(alice, server.url, { nick: 'alice', room });
  await joinRoom(bob, server.url, { nick: 'bob', room });

  await sendMessage(alice, 'hello from alice');
  await sendMessage(bob, 'hi alice, bob here');
  // Markup must arrive as text, never as elements.
  const markup = '<img src=x onerror="document.title=\'pwned\'"> & <b>bold</b>';
  await sendMessage(alice, markup);

  for (const page of [alice, bob]) {
    await waitForMessage(page, { nick: 'alice', text: 'hello from alice' });
    await waitForMessage(page, { nick: 'bob', text: 'hi alice, bob here' });
    await waitForMessage(page, { nick: 'alice', text: markup });
    assert.equal(await page.locator('#messages img, #messages b').count(), 0);
    assert.deepEqual(page.errors, []);
  }
  await screenshot(alice, 'pair-alice');
  await screenshot(bob, 'pair-bob-phone');
});

test('a page shows raw text, binary sizes and telnet lines as such', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom('kinds');
  const alice = await openUserPage(browser);
  t.after(() => alice.context().close());
  await joinRoom(alice, server.url, { nick: 'alice', room });

  // Another peer of the room, not the page: a raw WebSocket from the same origin.
  await alice.evaluate((path) => new Promise((resolve, reject) => {
    const peer = new WebSocket(`ws://${location.host}${path}`);
    peer.onerror = () => reject(new Error('raw peer could not connect'));
    peer.onopen = () => {
      peer.send('not json at all');
      peer.send(new Uint8Array([0, 1, 2, 255, 10]));
      peer.send(JSON.stringify({ nick: 'carol', text: 'typed in telnet', via: 'telnet' }));
      peer.send(JSON.stringify({ nick: 'dave', text: 'from the web' }));
      resolve();
    };
  }), `/ws/rooms/${room}`);

  await waitForMessage(alice, { nick: '?', text: 'not json at all' });
  await waitForMessage(alice, { nick: '?', text: '[binary 5 bytes]' });
  await waitForMessage(alice, { nick: 'carol', text: 'typed in telnet' });
  await waitForMessage(alice, { nick: 'dave', text: 'from the web' });
  const badges = alice.locator('#messages .msg .badge');
  assert.equal(await badges.count(), 1);
  assert.equal(await badges.textContent(), 'telnet');
  const carol = alice.locator('#messages .msg', { hasText: 'typed in telnet' });
  assert.equal(await carol.locator('.badge').count(), 1);
  assert.deepEqual(alice.errors, []);
  await screenshot(alice, 'kinds');
});

test('a page reconnects by itself after the server restarts on the same port', async (t) => {
  const dataDir = await makeDataDir();  // the same data on both sides of the restart
  let server = await startServer({ dataDir: dataDir.path });
  const { port } = server;
  t.after(async () => {
    await server.stop();
    await dataDir.remove();
  });
  const room = uniqueRoom('restart');
  const alice = await openUserPage(browser);
  const bob = await openUserPage(browser);
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  await joinRoom(alice, server.url, { nick: 'alice', room });
  await joinRoom(bob, server.url, { nick: 'bob', room });
  await sendMessage(alice, 'before the restart');
  await waitForMessage(bob, { nick: 'alice', text: 'before the restart' });

  await server.stop();
  await waitForNotConnected(alice);
  // Typing while disconnected is refused visibly, and the text stays in the box.
  await alice.fill('#message', 'typed while offline');
  await alice.click('#send');
  await alice.locator('#notice').waitFor({ state: 'visible', timeout: PAGE_TIMEOUT_MS });
  assert.match(await alice.locator('#notice').textContent(), /not sent/i);
  assert.equal(await alice.inputValue('#message'), 'typed while offline');
  assert.match(await alice.locator('#status').textContent(), /reconnecting/);
  await screenshot(alice, 'restart-offline');

  server = await startServer({ port, dataDir: dataDir.path });
  assert.equal(server.port, port);
  await waitForConnected(alice);
  await waitForConnected(bob);

  // The refused message was not lost: it is still in the box, and Send sends it now.
  assert.equal(await alice.inputValue('#message'), 'typed while offline');
  await alice.click('#send');
  await waitForMessage(bob, { nick: 'alice', text: 'typed while offline' });
  await sendMessage(alice, 'after the restart');
  await waitForMessage(bob, { nick: 'alice', text: 'after the restart' });
  for (const page of [alice, bob]) assert.deepEqual(page.errors, []);
  await screenshot(alice, 'restart-alice-reconnected');
  await screenshot(bob, 'restart-bob');
});
