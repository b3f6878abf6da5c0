// The chat page in headless Chromium against the real server, over confab.v1 on /ws: two users
// talk, see each other in the member list and typing, a page counts unread messages in rooms it
// is not showing, a newcomer gets the last 50 messages, and telnet users' lines show up as such.
// (Restarts and network loss: resume.test.mjs.) Run: CONFAB_BIN=... node --test
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectTelnet, joinRoom, launchBrowser, messageTexts, openUserPage, PAGE_TIMEOUT_MS,
  screenshot, sendMessage, startServer, unreadBadge, uniqueRoom, waitForMessage, waitForTexts,
} from './support.mjs';

let browser;
let server;
before(async () => {
  browser = await launchBrowser();
  server = await startServer({ telnetPort: 0 });
});
after(async () => {
  await server?.stop();
  await browser?.close();
});

function memberNicks(page) {
  return page.$$eval('#members [data-nick]', (els) => els.map((el) => el.dataset.nick));
}

test('two pages in the same room see each other\'s messages and each other as members',
     async (t) => {
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

  const texts = ['hello from alice', 'hi alice, bob here', markup];
  for (const page of [alice, bob]) {
    await waitForTexts(page, texts);
    await waitForMessage(page, { nick: 'bob', text: 'hi alice, bob here' });
    await page.waitForFunction(() => document.querySelectorAll('#members [data-nick]').length === 2,
                               null, { timeout: PAGE_TIMEOUT_MS });
    assert.deepEqual(await memberNicks(page), ['alice', 'bob']);
    assert.equal(await page.locator('#messages img, #messages b').count(), 0);
    assert.deepEqual(page.errors, []);
  }
  // Our own lines are marked as ours, the other's are not.
  assert.equal(await alice.locator('#messages .msg.mine').count(), 2);
  assert.equal(await bob.locator('#messages .msg.mine').count(), 1);
  // ... and so is our own entry in the member list (by public member id).
  for (const [page, me, other] of [[alice, 'alice', 'bob'], [bob, 'bob', 'alice']]) {
    await page.waitForSelector(`#members .me[data-nick="${me}"]`, { timeout: PAGE_TIMEOUT_MS });
    assert.equal(await page.locator(`#members .me[data-nick="${other}"]`).count(), 0);
  }
  // Session ids are secret: what one page's welcome gave it reaches no other page; the
  // public member id it got instead is what its lines carry.
  for (const [page, other] of [[alice, bob], [bob, alice]]) {
    const welcome = page.framesReceived.find((f) => f.type === 'welcome');
    assert.ok(welcome.session && welcome.member?.session, JSON.stringify(welcome));
    assert.notEqual(welcome.member.session, welcome.session);
    const seen = JSON.stringify(other.framesReceived);
    assert.ok(!seen.includes(welcome.session), 'a session id reached another page');
    assert.ok(seen.includes(welcome.member.session));
  }
  await screenshot(alice, 'pair-alice');
  await screenshot(bob, 'pair-bob-phone');

  // Bob leaves: Alice's member list follows the presence event.
  await bob.close();
  await alice.waitForFunction(() => document.querySelectorAll('#members [data-nick]').length === 1,
                              null, { timeout: PAGE_TIMEOUT_MS });
  assert.deepEqual(await memberNicks(alice), ['alice']);
});

test('typing shows "… is typing" on the other page only, and never as a chat line',
     async (t) => {
  const room = uniqueRoom('typing');
  const alice = await openUserPage(browser);
  const bob = await openUserPage(browser);
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  await joinRoom(alice, server.url, { nick: 'alice', room });
  await joinRoom(bob, server.url, { nick: 'bob', room });

  await alice.locator('#message').pressSequentially('hel');
  await bob.waitForFunction(() => document.querySelector('#typing').textContent ===
                                  'alice is typing…', null, { timeout: PAGE_TIMEOUT_MS });
  await screenshot(bob, 'typing-bob');
  assert.equal(await alice.locator('#typing').textContent(), '');
  // The indicator goes by itself (3 s after the last one)...
  await bob.waitForFunction(() => document.querySelector('#typing').textContent === '', null,
                            { timeout: PAGE_TIMEOUT_MS });
  // ...and an indicator is not a message: after a real line, that line is all there is.
  await alice.locator('#message').pressSequentially('lo');
  await alice.click('#send');
  for (const page of [alice, bob]) await waitForTexts(page, ['hello']);
  // At most one indicator per 2 s however fast one types.
  const typingPubs = alice.framesSent.filter((f) => f.type === 'pub' && f.data?.typing === true);
  assert.ok(typingPubs.length >= 1 && typingPubs.length <= 3, `${typingPubs.length} sent`);
  for (const pub of typingPubs) {
    assert.equal(pub.qos, 0);
    assert.equal(pub.ttl_ms, 3000);
  }
  for (const page of [alice, bob]) assert.deepEqual(page.errors, []);
});

test('a room that is not being viewed counts unread messages until it is opened', async (t) => {
  const news = uniqueRoom('news');
  const chat = uniqueRoom('chat');
  const alice = await openUserPage(browser);
  const bob = await openUserPage(browser);
  t.after(() => Promise.all([alice.context().close(), bob.context().close()]));
  await joinRoom(alice, server.url, { nick: 'alice', room: news });
  await joinRoom(alice, null, { nick: 'alice', room: chat });  // now viewing `chat`
  await joinRoom(bob, server.url, { nick: 'bob', room: news });

  await sendMessage(bob, 'first news');
  await sendMessage(bob, 'second news');
  await alice.waitForFunction((r) => [...document.querySelectorAll('#rooms [data-room]')].some(
      (li) => li.dataset.room === r && li.querySelector('.unread').textContent === '2' &&
              !li.querySelector('.unread').hidden), news, { timeout: PAGE_TIMEOUT_MS });
  assert.equal(await unreadBadge(alice, chat), '');
  assert.deepEqual(await messageTexts(alice), []);  // the other room's lines stay there
  await screenshot(alice, 'unread-alice');

  await alice.click(`#rooms [data-room="${news}"] .room-open`);
  await waitForTexts(alice, ['first news', 'second news']);
  assert.equal(await unreadBadge(alice, news), '');
  // A message in the room being viewed is not unread.
  await sendMessage(bob, 'third news');
  await waitForMessage(alice, { nick: 'bob', text: 'third news' });
  assert.equal(await unreadBadge(alice, news), '');
  assert.deepEqual(alice.errors, []);
});

test('a newcomer sees the last 50 messages of the room', async (t) => {
  const room = uniqueRoom('history');
  const carol = await connectTelnet(server.telnetPort);
  t.after(() => carol.close());
  carol.send('/nick carol');
  await carol.waitForLine(/you are now carol/);
  carol.send(`/join ${room}`);
  await carol.waitForLine(new RegExp(`joined #${room}`));
  const lines = Array.from({ length: 55 }, (_, i) => `line ${i + 1}`);
  for (const line of lines) carol.send(line);
  // Wait until the server stored all of them: a page that joins sees the last one.
  const probe = await openUserPage(browser);
  t.after(() => probe.context().close());
  await joinRoom(probe, server.url, { nick: 'probe', room });
  await waitForMessage(probe, { nick: 'carol', text: 'line 55' });

  const dave = await openUserPage(browser);
  t.after(() => dave.context().close());
  await joinRoom(dave, server.url, { nick: 'dave', room });
  await waitForTexts(dave, lines.slice(5));
  assert.deepEqual(dave.errors, []);
});

test('a telnet user\'s lines show in the page, and the page\'s in telnet', async (t) => {
  const room = uniqueRoom('telnet');
  const alice = await openUserPage(browser);
  t.after(() => alice.context().close());
  const carol = await connectTelnet(server.telnetPort);
  t.after(() => carol.close());
  carol.send('/nick carol');
  await carol.waitForLine(/you are now carol/);
  carol.send(`/join ${room}`);
  await carol.waitForLine(new RegExp(`joined #${room}`));
  await joinRoom(alice, server.url, { nick: 'alice', room });

  // The member list knows carol came by telnet.
  await alice.waitForFunction(() => !!document.querySelector(
      '#members [data-nick="carol"][data-via="telnet"]'), null, { timeout: PAGE_TIMEOUT_MS });
  const markup = 'typed in <b>telnet</b>';
  carol.send(markup);
  await waitForMessage(alice, { nick: 'carol', text: markup });
  const line = alice.locator('#messages .msg', { hasText: markup });
  assert.equal(await line.locator('.badge').textContent(), 'telnet');
  assert.equal(await alice.locator('#messages b').count(), 0);

  await sendMessage(alice, 'hello carol');
  await carol.waitForLine(/\[alice\]: hello carol/);
  assert.deepEqual(alice.errors, []);
  await screenshot(alice, 'telnet');
});
