// The resource view (web/resources.html) in headless Chromium against the real server: it lists
// a collection across pages, shows creates, updates and deletes made with HTTP as they happen,
// reconciles changes that race its first list (none missed, none shown twice), catches up after
// a server restart by resuming the room, and asks for an API key when the API wants one.
// Changes are made with Node's fetch, as curl would. Run: CONFAB_BIN=... node --test
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launchBrowser, makeDataDir, openUserPage, PAGE_TIMEOUT_MS, screenshot, startProxy,
  startServer, uniqueRoom, until, waitForConnected, waitForNotConnected,
} from './support.mjs';

let browser;
let server;
before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});
after(async () => {
  await server?.stop();
  await browser?.close();
});

// ---- HTTP, as curl would do it --------------------------------------------------------------

// A client of one server's resource API. Every call checks the status it expects.
function resourcesApi(srv, { key } = {}) {
  const base = () => `http://127.0.0.1:${srv.port}/api/resources`;
  async function call(method, path, { body, type = 'application/json', expect }) {
    const headers = key ? { Authorization: `Bearer ${key}` } : {};
    if (body !== undefined) headers['Content-Type'] = type;
    const response = await fetch(`${base()}/${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.equal(response.status, expect, `${method} ${path}: ${response.status} ${text}`);
    return { response, json: text ? JSON.parse(text) : null };
  }
  return {
    put: (c, id, doc, expect = 201) => call('PUT', `${c}/${id}`, { body: doc, expect }),
    patch: (c, id, patch) => call('PATCH', `${c}/${id}`,
                                  { body: patch, type: 'application/merge-patch+json',
                                    expect: 200 }),
    remove: (c, id) => call('DELETE', `${c}/${id}`, { expect: 204 }),
    async post(c, doc) {
      const { response } = await call('POST', c, { body: doc, expect: 201 });
      return response.headers.get('location').split('/').at(-1);
    },
  };
}

const api = () => resourcesApi(server);

// ---- what the page shows --------------------------------------------------------------------

function viewUrl(srv, collection) {
  return `${srv.url}resources.html?collection=${encodeURIComponent(collection)}`;
}

// Opens the view of `collection`; `pageSize` shortens the page's list requests.
async function openView(url, { pageSize } = {}) {
  const page = await openUserPage(browser);
  if (pageSize) {
    await page.addInitScript((size) => { window.confabResourcesOptions = { pageSize: size }; },
                             pageSize);
  }
  page.listRequests = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/resources/')) {
      page.listRequests.push(request);
    }
  });
  await page.goto(url);
  return page;
}

// The rows shown, in order: id, version (attribute and cell) and the document as parsed from
// its pretty text.
function shownRows(page) {
  return page.$$eval('#rows tr', (trs) => trs.map((tr) => ({
    id: tr.dataset.id,
    version: Number(tr.dataset.version),
    versionText: tr.querySelector('.rs-version').textContent,
    doc: JSON.parse(tr.querySelector('.rs-json').textContent),
  })));
}

// Resolves once the table shows exactly `want` ([{ id, version, doc }], in this order): each
// id once, with its version in the row and in its cell, and its document. On timeout the
// error says what the page showed instead.
async function waitForRows(page, want, timeout = PAGE_TIMEOUT_MS) {
  try {
    await page.waitForFunction((expected) => {
      // Documents compare by value: the server does not keep member order.
      const canon = (v) => (v === null || typeof v !== 'object' ? JSON.stringify(v)
        : Array.isArray(v) ? `[${v.map(canon).join(',')}]`
          : `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`)}}`);
      const trs = [...document.querySelectorAll('#rows tr')];
      return trs.length === expected.length && trs.every((tr, i) => {
        const w = expected[i];
        let doc;
        try { doc = JSON.parse(tr.querySelector('.rs-json').textContent); } catch { return false; }
        return tr.dataset.id === w.id && tr.dataset.version === String(w.version) &&
               tr.querySelector('.rs-version').textContent === String(w.version) &&
               canon(doc) === canon(w.doc);
      });
    }, want, { timeout });
  } catch (error) {
    const shown = await shownRows(page).catch(() => '(page gone)');
    throw new Error(`${error.message}\nwanted: ${JSON.stringify(want)}\n` +
                    `shown:  ${JSON.stringify(shown)}`);
  }
}

// The change events of `collection` the page's socket received, as "event id vN".
function eventsReceived(page, collection) {
  return page.framesReceived
    .filter((f) => f.type === 'msg' && f.room === `resources/${collection}`)
    .map((f) => `${f.data.event} ${f.data.id} v${f.data.version}`);
}

const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

// ---- scenarios ------------------------------------------------------------------------------

test('the view lists an existing collection across pages, pretty and escaped', async (t) => {
  const c = uniqueRoom('books');
  const markup = '<img src=x onerror="document.title=\'pwned\'"> & <b>bold</b>';
  await api().put(c, 'dune', { title: 'Dune', year: 1965 });
  await api().put(c, 'emma', { title: 'Emma' });
  await api().put(c, 'gone', { title: 'Deleted before the page opened' });
  await api().put(c, 'xss', { title: markup, tags: ['a', 'b'], nested: { deep: true } });
  await api().put(c, 'zorba', { title: 'Zorba' });
  await api().patch(c, 'dune', { year: null, author: 'Herbert' });
  await api().remove(c, 'gone');

  const page = await openView(viewUrl(server, c), { pageSize: 2 });
  t.after(() => page.context().close());
  await waitForConnected(page);
  await waitForRows(page, [
    { id: 'dune', version: 2, doc: { title: 'Dune', author: 'Herbert' } },
    { id: 'emma', version: 1, doc: { title: 'Emma' } },
    { id: 'xss', version: 1, doc: { title: markup, tags: ['a', 'b'], nested: { deep: true } } },
    { id: 'zorba', version: 1, doc: { title: 'Zorba' } },
  ]);
  // Two items a page: the page followed next_after.
  const afters = page.listRequests.map((r) => new URL(r.url()).searchParams.get('after'));
  assert.deepEqual(afters.slice(0, 2), [null, 'emma']);
  assert.ok(page.listRequests.every((r) => new URL(r.url()).searchParams.get('limit') === '2'));
  // Pretty JSON, as text: markup is never turned into elements.
  const emma = page.locator('#rows tr[data-id="emma"] .rs-json');
  assert.equal(await emma.textContent(), '{\n  "title": "Emma"\n}');
  assert.equal(await page.locator('#rows img, #rows b').count(), 0);
  assert.notEqual(await page.title(), 'pwned');
  assert.equal(await page.locator('#count').textContent(), '4 resources');
  assert.equal(await page.locator('#collection').inputValue(), c);
  // A link leads back to the chat page (which links here).
  assert.equal(await page.locator('a.bar-link').getAttribute('href'), './');
  assert.deepEqual(page.errors, []);
  await screenshot(page, 'resources-list');
});

test('creates, updates and deletes made over HTTP show up live', async (t) => {
  const c = uniqueRoom('live');
  // Reached from the chat page's link, the collection typed in.
  const page = await openView(server.url);
  t.after(() => page.context().close());
  await page.click('a.bar-link[href="resources.html"]');
  await page.waitForURL(/\/resources\.html$/);
  await page.fill('#collection', c);
  await page.click('#watch');
  await waitForConnected(page);
  await page.locator('#empty').waitFor({ timeout: PAGE_TIMEOUT_MS });
  assert.match(await page.locator('#empty').textContent(), /No resources/);
  assert.equal(new URL(page.url()).searchParams.get('collection'), c);

  const posted = await api().post(c, { title: 'Posted' });
  await waitForRows(page, [{ id: posted, version: 1, doc: { title: 'Posted' } }]);
  assert.equal(await page.locator(`#rows tr[data-id="${posted}"].rs-created`).count(), 1);

  await api().put(c, 'm1', { n: 1 });
  const rowsWith = (m1) => [{ id: posted, version: 1, doc: { title: 'Posted' } }, m1]
    .sort(byId);
  await waitForRows(page, rowsWith({ id: 'm1', version: 1, doc: { n: 1 } }));

  await api().put(c, 'm1', { n: 2, note: 'replaced' }, 200);
  await waitForRows(page, rowsWith({ id: 'm1', version: 2, doc: { n: 2, note: 'replaced' } }));
  assert.equal(await page.locator('#rows tr[data-id="m1"].rs-updated').count(), 1);
  await api().patch(c, 'm1', { note: null, tags: ['x'] });
  await waitForRows(page, rowsWith({ id: 'm1', version: 3, doc: { n: 2, tags: ['x'] } }));
  assert.match(await page.locator('#activity').textContent(), /updated m1 \(version 3\)/);
  await screenshot(page, 'resources-live');

  await api().remove(c, posted);
  await waitForRows(page, [{ id: 'm1', version: 3, doc: { n: 2, tags: ['x'] } }]);
  await api().remove(c, 'm1');
  await waitForRows(page, []);
  await page.locator('#empty').waitFor({ timeout: PAGE_TIMEOUT_MS });
  // Re-created: versions go on from the tombstone, and the page shows the new one.
  await api().put(c, 'm1', { n: 'again' });
  await waitForRows(page, [{ id: 'm1', version: 5, doc: { n: 'again' } }]);
  assert.deepEqual(page.errors, []);
});

test('changes racing the first list are shown once, at their newest version', async (t) => {
  const c = uniqueRoom('race');
  for (const id of ['a', 'b', 'c', 'd']) await api().put(c, id, { id, v: 1 });
  const page = await openUserPage(browser);
  t.after(() => page.context().close());
  // Highlights last the whole test: they show which rows the events changed after the list.
  await page.addInitScript(() => {
    window.confabResourcesOptions = { pageSize: 2, highlightMs: 60_000 };
  });

  // The first page of the list is read now, changes are made while it is held back, and the
  // page receives their events before it gets that (older) first page. The second page is
  // read after the changes. So: `a` (page 1, patched) and `b` (page 1, deleted) are newer in
  // the events than in the list; `d` (page 2, patched) and `e` (created) are in both.
  let listed = 0;
  await page.route('**/api/resources/**', async (route) => {
    if (listed++ > 0) return route.continue();
    const stale = await route.fetch();
    await api().patch(c, 'a', { v: 2 });
    await api().remove(c, 'b');
    await api().patch(c, 'd', { v: 2 });
    await api().put(c, 'e', { id: 'e', v: 1 });
    const want = ['updated a v2', 'deleted b v2', 'updated d v2', 'created e v1'];
    await until(() => want.every((e) => eventsReceived(page, c).includes(e)),
                `the page receives ${want.join(', ')}`);
    return route.fulfill({ response: stale });
  });
  await page.goto(viewUrl(server, c));
  await waitForRows(page, [
    { id: 'a', version: 2, doc: { id: 'a', v: 2 } },
    { id: 'c', version: 1, doc: { id: 'c', v: 1 } },
    { id: 'd', version: 2, doc: { id: 'd', v: 2 } },
    { id: 'e', version: 1, doc: { id: 'e', v: 1 } },
  ]);
  assert.ok(listed >= 2, 'the list was read in pages');
  // Only `a` was changed by an event; `d` and `e` came with the list already at the events'
  // versions, so their events were skipped, not applied a second time.
  const highlighted = await page.$$eval('#rows tr.rs-updated, #rows tr.rs-created',
                                        (trs) => trs.map((tr) => tr.dataset.id));
  assert.deepEqual(highlighted, ['a']);
  // And it stays live afterwards.
  await api().patch(c, 'c', { v: 2 });
  await waitForRows(page, [
    { id: 'a', version: 2, doc: { id: 'a', v: 2 } },
    { id: 'c', version: 2, doc: { id: 'c', v: 2 } },
    { id: 'd', version: 2, doc: { id: 'd', v: 2 } },
    { id: 'e', version: 1, doc: { id: 'e', v: 1 } },
  ]);
  assert.deepEqual(page.errors, []);
});

test('changes made while the page is cut off across a server restart show up once after it ' +
     'resumes', async (t) => {
  const dataDir = await makeDataDir();
  let srv = await startServer({ dataDir: dataDir.path });
  const { port } = srv;
  const network = await startProxy(port);
  t.after(async () => {
    await network.close();
    await srv.stop();
    await dataDir.remove();
  });
  const c = uniqueRoom('restart');
  const http = () => resourcesApi(srv);
  await http().put(c, 'keep', { n: 1 });
  await http().put(c, 'old', { n: 1 });

  const page = await openView(viewUrl(network, c));
  t.after(() => page.context().close());
  await waitForConnected(page);
  await waitForRows(page, [{ id: 'keep', version: 1, doc: { n: 1 } },
                           { id: 'old', version: 1, doc: { n: 1 } }]);
  const listsBefore = page.listRequests.length;

  network.cut();
  await srv.stop();
  await waitForNotConnected(page);
  srv = await startServer({ port, dataDir: dataDir.path });
  assert.equal(srv.port, port);
  // The server is back, the page is still cut off: it misses these as they happen.
  await http().patch(c, 'keep', { n: 2 });
  await http().remove(c, 'old');
  await http().put(c, 'new', { n: 1 });
  assert.match(await page.locator('#status').textContent(), /connecting/);
  await screenshot(page, 'resources-reconnecting');

  network.restore();
  await waitForConnected(page);
  const want = [{ id: 'keep', version: 2, doc: { n: 2 } },
                { id: 'new', version: 1, doc: { n: 1 } }];
  await waitForRows(page, want);
  // It caught up by resuming the room from where it was (since + epoch), each missed event
  // delivered once, without listing the collection again.
  const rejoin = page.framesSent.filter((f) => f.type === 'join').at(-1);
  assert.equal(typeof rejoin.since, 'number');
  assert.equal(typeof rejoin.epoch, 'string');
  const joined = page.framesReceived.filter((f) => f.type === 'joined').at(-1);
  assert.equal(joined.recovered, true);
  const missed = ['updated keep v2', 'deleted old v2', 'created new v1'];
  for (const event of missed) {
    assert.equal(eventsReceived(page, c).filter((e) => e === event).length, 1, event);
  }
  assert.equal(page.listRequests.length, listsBefore);

  // Live again.
  await http().patch(c, 'new', { n: 2 });
  await waitForRows(page, [want[0], { id: 'new', version: 2, doc: { n: 2 } }]);
  assert.deepEqual(page.errors, []);
  await screenshot(page, 'resources-resumed');
});

test('with --api-key the view asks for the key and keeps it in memory only', async (t) => {
  const key = 'k-resources-test';
  const srv = await startServer({ args: ['--api-key', key] });
  t.after(() => srv.stop());
  const c = uniqueRoom('keyed');
  await resourcesApi(srv, { key }).put(c, 'secret', { s: 1 });

  const page = await openView(viewUrl(srv, c));
  t.after(() => page.context().close());
  const notice = page.locator('#notice');
  await notice.waitFor({ timeout: PAGE_TIMEOUT_MS });
  assert.match(await notice.textContent(), /API key.*401/);
  assert.equal(await page.locator('#api-key-field').isVisible(), true);
  assert.equal(await page.locator('#rows tr').count(), 0);
  assert.equal(await page.locator('#count').textContent(), 'not loaded');
  assert.equal(await page.locator('#empty').isHidden(), true);  // not known to be empty

  await page.fill('#api-key', 'wrong');
  await page.click('#watch');
  await page.waitForFunction(() => /refused/.test(document.querySelector('#notice').textContent),
                             null, { timeout: PAGE_TIMEOUT_MS });
  await screenshot(page, 'resources-api-key');

  await page.fill('#api-key', key);
  await page.click('#watch');
  await waitForRows(page, [{ id: 'secret', version: 1, doc: { s: 1 } }]);
  assert.equal(await notice.isHidden(), true);
  assert.equal(page.listRequests.at(-1).headers().authorization, `Bearer ${key}`);
  await resourcesApi(srv, { key }).patch(c, 'secret', { s: 2 });
  await waitForRows(page, [{ id: 'secret', version: 2, doc: { s: 2 } }]);
  // Not in the URL, not in storage.
  assert.ok(!page.url().includes(key));
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
  assert.ok(!stored.includes(key));
  assert.deepEqual(page.errors, []);
});
