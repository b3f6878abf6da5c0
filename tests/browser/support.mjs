// Shared helpers for the browser tests: run the real `confab` binary (CONFAB_BIN) on a
// loopback port, launch Debian's headless Chromium through playwright-core, and wait on what
// the chat page shows. Nothing here sleeps: every wait is on an observable condition with a
// deadline.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const SERVER_READY_TIMEOUT_MS = 10_000;
export const SERVER_STOP_TIMEOUT_MS = 10_000;
// Long enough for a reconnect after a restart: backoff is capped at 5 s (plus jitter).
export const PAGE_TIMEOUT_MS = 15_000;

const READY_LINE = /^confab ready http=127\.0\.0\.1:(\d+) telnet=off$/;
const LOG_TAIL_LINES = 40;

// Debian's Chromium, as root, on a machine without outside network: no sandbox (root), no
// GPU, and no background traffic (it would only fail against the closed network).
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// Starts `confab serve` on 127.0.0.1:`port` (0: any free port) and resolves once it prints
// its ready line. `dataDir`: reuse a data directory (e.g. across a restart); otherwise a
// fresh temporary one is made, and removed by stop(). Rejects if the process exits or stays
// silent past the deadline; the rejection carries the tail of its output.
export async function startServer({ port = 0, dataDir } = {}) {
  const bin = process.env.CONFAB_BIN;
  if (!bin) throw new Error('CONFAB_BIN is not set: point it at the built confab binary');
  const ownsDataDir = !dataDir;
  const dir = dataDir ?? await mkdtemp(path.join(tmpdir(), 'confab-browser-'));
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--telnet-listen', 'off',
                '--data-dir', dir, '--threads', '2'];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });

  const readyPort = await new Promise((resolve, reject) => {
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
        resolve(Number(match[1]));
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
    port: readyPort,
    url: `http://127.0.0.1:${readyPort}/`,
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
// the page are collected in page.errors so a test can assert there were none.
export async function openUserPage(browser, { width = 1024, height = 700 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
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

export async function joinRoom(page, url, { nick, room }) {
  await page.goto(url);
  await page.fill('#nick', nick);
  await page.fill('#room', room);
  await page.click('#join');
  await waitForConnected(page);
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
