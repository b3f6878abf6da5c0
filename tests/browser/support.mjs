// Shared helpers for the browser tests: run the real `confab` binary (CONFAB_BIN) on loopback
// ports (HTTP/WebSocket and telnet), launch Debian's headless Chromium through playwright-core,
// put a TCP proxy between a page and the server to cut its network, talk telnet, and wait on
// what the chat page shows. Nothing here sleeps: every wait is on an observable condition with
// a deadline.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const SERVER_READY_TIMEOUT_MS = 10_000;
export const SERVER_STOP_TIMEOUT_MS = 10_000;
// Long enough for a reconnect after a restart: backoff is capped at 5 s (plus jitter).
export const PAGE_TIMEOUT_MS = 15_000;

const READY_LINE = /^confab ready http=127\.0\.0\.1:(\d+) telnet=(?:off|127\.0\.0\.1:(\d+))$/;
const LOG_TAIL_LINES = 40;

// Debian's Chromium, as root, on a machine without outside network: no sandbox (root), no
// GPU, and no background traffic (it would only fail against the closed network).
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Starts `confab serve` on 127.0.0.1:`port` (0: any free port) and resolves once it prints
// its ready line. `telnetPort`: also serve telnet there (0: any free port; null: off).
// `dataDir`: reuse a data directory (e.g. across a restart); otherwise a fresh temporary one
// is made, and removed by stop(). `args`: more `confab serve` options (e.g. --api-key).
// Rejects if the process exits or stays silent past the deadline; the rejection carries the
// tail of its output.
export async function startServer({ port = 0, telnetPort = null, dataDir,
                                     args: extra = [] } = {}) {
  const bin = process.env.CONFAB_BIN;
  if (!bin) throw new Error('CONFAB_BIN is not set: point it at the built confab binary');
  const ownsDataDir = !dataDir;
  const dir = dataDir ?? await mkdtemp(path.join(tmpdir(), 'confab-browser-'));
  const telnet = telnetPort === null ? 'off' : `127.0.0.1:${telnetPort}`;
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--telnet-listen', telnet,
                '--data-dir', dir, '--threads', '2', ...extra];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });

  const ready = await new Promise((resolve, reject) => {
    const fail = (why) => reject(new Error(`confab ${args.join(' ')}: ${why}\n` +
                                           `--- its output ---\n${log.join('\n')}`));
    const timer = setTimeout(() => fail(`no ready line within ${SERVER_READY_TIMEOUT_MS} ms`),
                             SERVER_READY_TIMEOUT_MS);
    // Both pipes are drained for the whole life of the process: a full pipe would block
    // the server on its next log line.
    collectLines(child.stderr, log, () => {});
    collectLines(child.stdout, log, (line) => {
      const match = READY_LINE.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), telnetPort: match[2] ? Number(match[2]) : null });
      }
    });
    exited.then(({ code, signal, error }) => {
      clearTimeout(timer);
      fail(error ? `could not start: ${error.message}`
                 : `exited before it was ready (code ${code}, signal ${signal})`);
    });
  }).catch(async (error) => {
    child.kill('SIGKILL');
    if (ownsDataDir) await rm(dir, { recursive: true, force: true });
    throw error;
  });

  let stopped = null;
  return {
    port: ready.port,
    telnetPort: ready.telnetPort,
    url: `http://127.0.0.1:${ready.port}/`,
    dataDir: dir,
    logTail: () => log.join('\n'),
    // SIGTERM, then wait for the exit (idempotent). Resolves to { code, signal }; rejects
    // (after a SIGKILL) if the server ignores SIGTERM past the deadline.
    stop: () => {
      stopped ??= stopProcess(child, exited).finally(async () => {
        if (ownsDataDir) await rm(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}

function collectLines(stream, log, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      log.push(line);
      if (log.length > LOG_TAIL_LINES) log.shift();
      if (process.env.CONFAB_TEST_VERBOSE) process.stderr.write(`[confab] ${line}\n`);
      onLine(line);
    }
  });
}

async function stopProcess(child, exited) {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), SERVER_STOP_TIMEOUT_MS);
  });
  const result = await Promise.race([exited, deadline]);
  clearTimeout(timer);
  if (result) return result;
  child.kill('SIGKILL');
  await exited;
  throw new Error(`confab did not exit within ${SERVER_STOP_TIMEOUT_MS} ms of SIGTERM`);
}

// A temporary data directory that outlives one server process (e.g. across a restart).
export async function makeDataDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'confab-browser-'));
  return { path: dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// A headless Chromium with a fresh temporary profile (launch() makes one per browser).
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CONFAB_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

// A page in its own browser context (own localStorage: a separate user). Uncaught errors in
// the page are collected in page.errors so a test can assert there were none. `clientOptions`
// override ConfabClient's defaults (e.g. a shorter keepalive) through the hook app.js reads.
// page.framesSent / page.framesReceived collect the confab.v1 messages the page sent and
// received, parsed.
export async function openUserPage(browser, { width = 1024, height = 700, clientOptions } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  if (clientOptions) {
    await context.addInitScript((options) => { window.confabClientOptions = options; },
                                clientOptions);
  }
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  page.framesSent = [];
  page.framesReceived = [];
  const collect = (list) => ({ payload }) => {
    try { list.push(JSON.parse(payload)); } catch { /* not JSON: not ours */ }
  };
  page.on('websocket', (ws) => {
    ws.on('framesent', collect(page.framesSent));
    ws.on('framereceived', collect(page.framesReceived));
  });
  return page;
}

export async function screenshot(page, name) {
  const dir = process.env.CONFAB_SCREENSHOT_DIR || path.join(tmpdir(), 'confab-screenshots');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

// "connected" is in #status exactly while the page's socket is open.
export function waitForConnected(page, timeout = PAGE_TIMEOUT_MS) {
  return page.waitForFunction(
      () => document.querySelector('#status').textContent.includes('connected'), null,
      { timeout });
}

export function waitForNotConnected(page, timeout = PAGE_TIMEOUT_MS) {
  return page.waitForFunction(
      () => !document.querySelector('#status').textContent.includes('connected'), null,
      { timeout });
}

// Opens the page (unless `url` is null: already open), joins `room` as `nick` and waits until
// the server confirmed the join (the room's item is marked joined).
export async function joinRoom(page, url, { nick, room }) {
  if (url) await page.goto(url);
  await page.fill('#nick', nick);
  await page.fill('#room', room);
  await page.click('#join');
  await waitForConnected(page);
  await waitForJoined(page, room);
}

export function waitForJoined(page, room, timeout = PAGE_TIMEOUT_MS) {
  return page.waitForFunction((r) => [...document.querySelectorAll('#rooms [data-room]')].some(
      (li) => li.dataset.room === r && li.dataset.joined === 'true'), room, { timeout });
}

// Types and sends `text`; resolves once the page accepted it (it clears the box on send).
export async function sendMessage(page, text) {
  await page.fill('#message', text);
  await page.click('#send');
  await page.waitForFunction(() => document.querySelector('#message').value === '', null,
                             { timeout: PAGE_TIMEOUT_MS });
}

// Resolves once #messages holds a .msg whose .nick and .text are exactly `nick` and `text`.
export function waitForMessage(page, { nick, text }, timeout = PAGE_TIMEOUT_MS) {
  return page.waitForFunction(([n, t]) => [...document.querySelectorAll('#messages .msg')].some(
      (m) => m.querySelector('.nick')?.textContent === n &&
             m.querySelector('.text')?.textContent === t), [nick, text], { timeout });
}

// A room name no other test (or earlier run against the same server) uses.
export function uniqueRoom(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

// The .text of every chat line shown, in order (pending ones included).
export function messageTexts(page) {
  return page.$$eval('#messages .msg .text', (els) => els.map((el) => el.textContent));
}

// Resolves once the page shows exactly `texts` as its chat lines, in order, none pending.
// On timeout the error says what the page showed instead.
export async function waitForTexts(page, texts, timeout = PAGE_TIMEOUT_MS) {
  try {
    await page.waitForFunction((want) => {
      const els = [...document.querySelectorAll('#messages .msg')];
      return els.length === want.length && els.every(
          (el, i) => !el.classList.contains('pending') &&
                     el.querySelector('.text')?.textContent === want[i]);
    }, texts, { timeout });
  } catch (error) {
    const shown = await messageTexts(page).catch(() => '(page gone)');
    throw new Error(`${error.message}\nwanted: ${JSON.stringify(texts)}\n` +
                    `shown:  ${JSON.stringify(shown)}`);
  }
}

// The room item's unread badge text ('' while the badge is hidden).
export function unreadBadge(page, room) {
  return page.$$eval('#rooms [data-room]', (items, r) => {
    const badge = items.find((li) => li.dataset.room === r)?.querySelector('.unread');
    return !badge || badge.hidden ? '' : badge.textContent;
  }, room);
}

// A TCP proxy on a loopback port in front of the server, so one page can lose its network
// while the others keep theirs. cut(): drop every connection and refuse new ones until
// restore(). blackhole(): keep the current connections open but stop passing the server's
// bytes to the page (a zombie connection: nothing closes, nothing arrives); new connections
// work normally.
export async function startProxy(targetPort) {
  const pairs = new Set();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, blackholed: false };
    pairs.add(pair);
    client.on('data', (bytes) => upstream.write(bytes));
    upstream.on('data', (bytes) => { if (!pair.blackholed) client.write(bytes); });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const cut = () => {
    down = true;
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    cut,
    restore: () => { down = false; },
    blackhole: () => { for (const pair of pairs) pair.blackholed = true; },
    close: () => {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// A telnet user on the server's telnet port. lines(): everything the server said so far;
// waitForLine(re): the first line, already seen or still to come, that matches `re`.
export async function connectTelnet(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  const lines = [];
  const waiters = new Set();
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      lines.push(line);
      for (const waiter of [...waiters]) waiter(line);
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    lines: () => [...lines],
    send: (line) => socket.write(`${line}\r\n`),
    waitForLine(re, timeout = PAGE_TIMEOUT_MS) {
      const seen = lines.find((line) => re.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const check = (line) => {
          if (!re.test(line)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`telnet: no line matching ${re} within ${timeout} ms; got:\n` +
                           lines.join('\n')));
        }, timeout);
        waiters.add(check);
      });
    },
    close: () => new Promise((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      socket.end();
    }),
  };
}

// Waits (with a deadline) until `predicate` holds; for state outside the page, such as the
// frames its socket sent or received.
export async function until(predicate, what, timeout = PAGE_TIMEOUT_MS) {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${what}`);
    await new Promise((resolve) => { setTimeout(resolve, 20); });
  }
}
