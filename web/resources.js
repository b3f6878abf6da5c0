// confab resource view: the UI of resources.html. Shows one collection of the resource store
// (docs/http-api.md, "Resources") and keeps it live: the list comes from
// GET /api/resources/{collection} (every page), the changes from the confab.v1 room
// resources/{collection} through ConfabClient (confab-client.js), which reconnects and resumes
// by itself. Everything received is untrusted: it reaches the DOM only through textContent.
//
// How the list and the events meet, so that no change is missed or applied twice:
//
// * Subscribe first, list second. A change is committed to the store before its event is
//   appended to the room, so every change whose event the page has *not yet received* when it
//   sends the GET will arrive as an event later (the subscription is gap-free: QoS 1, in seq
//   order, resumed across reconnects), and every change whose event it *has* received is
//   already in what the GET reads. So the GET is sent only once `joined` confirmed the
//   subscription, and from the moment it is sent until the list is complete, events are
//   buffered instead of shown.
// * Versions decide. Every event carries the resource's version after the change, and a
//   resource's events arrive in version order. When the list is in, the buffered events are
//   applied in order, each only if its version is newer than the version shown for that id:
//   an event the list already reflects is skipped (no double apply), one that happened after
//   the list's page was read is applied (no miss). This also makes paging safe: each page is a
//   snapshot from a different moment, and any change after that moment comes as an event.
//   Live events afterwards go through the same rule, so a replay overlap is harmless too.
// * Resume or reload. After a reconnect ConfabClient resumes the room with since + epoch and
//   delivers exactly the events missed (`joined` with fresh:false): the view just goes on.
//   When it cannot (history trimmed, wiped, or a first join of an empty room), its `joined`
//   says fresh:true and the view is rebuilt by the same list-then-apply step. The client
//   joins with history 1 so that it learns the room's last seq at once and can resume with
//   `since` after the next reconnect (history 0 would leave it nothing to resume from); that
//   one old event goes through the version rule like any other.
// * Not covered: a server crash between a change's commit and its event loses the event
//   (docs/http-api.md, Storage); "Watch" again (or a page reload) re-reads the list.
(() => {
  'use strict';

  // Same rules as the server (docs/http-api.md): 1-64 of A-Z a-z 0-9 . _ -, not "." or "..".
  const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
  const isValidName = (name) => NAME_RE.test(name) && name !== '.' && name !== '..';
  // Tests may shorten pages: window.confabResourcesOptions = { pageSize: 2 }.
  const options = {
    pageSize: 1000,          // the API's largest page
    highlightMs: 2000,       // how long a created/updated row stays highlighted
    retryInitialMs: 500,     // a failed list (network, 5xx) is retried with backoff
    retryCapMs: 8000,
    ...(window.confabResourcesOptions || {}),
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), form: $('watch-form'), collection: $('collection'),
    keyField: $('api-key-field'), key: $('api-key'), formError: $('form-error'),
    notice: $('notice'), title: $('rs-title'), count: $('count'), activity: $('activity'),
    table: $('resources'), rows: $('rows'), empty: $('empty'),
  };

  // phase: 'idle' (nothing watched), 'listing' (a GET is out: events go to `buffer`),
  // 'waiting' (a list is due: after joined, a retry or an API key; events are dropped, since
  // the next GET reads their changes), 'live' (events are applied as they come).
  const state = {
    client: null, collection: '', apiKey: '', subscribed: false, listed: false, lost: false,
    phase: 'idle', buffer: [], gen: 0, retryDelay: 0, retryTimer: 0, countdownTimer: 0,
    rows: new Map(),  // id → { version, doc, tr, timer }: what the table shows
  };

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;  // never innerHTML: data is untrusted
    return el;
  }

  const roomOf = (collection) => `resources/${collection}`;

  // ---- status and notices ----------------------------------------------------------------

  // Contains "connected" exactly while the socket is open (as on the chat page; tests rely on
  // it): other states say "connecting", "reconnecting", "not watching".
  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.status.textContent = text;
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
  }
  function hideNotice() { ui.notice.hidden = true; }

  function onClientState({ detail }) {
    clearInterval(state.countdownTimer);
    state.countdownTimer = 0;
    if (detail.state === 'open') {
      setStatus('open', 'connected: live');
      if (state.lost) ui.activity.textContent = 'connected again';
      state.lost = false;
    } else if (detail.state === 'connecting') {
      setStatus('connecting', 'connecting…');
    } else if (detail.state === 'reconnecting') {
      if (detail.wasOpen) {
        state.lost = true;
        ui.activity.textContent = 'connection lost: reconnecting';
      }
      showCountdown();
      state.countdownTimer = setInterval(showCountdown, 250);
    } else {
      setStatus('idle', 'not watching');
    }
  }

  function showCountdown() {
    const seconds = (state.client?.retryInMs() ?? 0) / 1000;
    setStatus('reconnecting', `connection lost: reconnecting in ${seconds.toFixed(1)}s`);
  }

  // `listed`: a list of this collection came in, so an empty table means an empty collection.
  function renderCount() {
    const n = state.rows.size;
    if (state.listed) ui.count.textContent = `${n} resource${n === 1 ? '' : 's'}`;
    else ui.count.textContent = state.phase === 'listing' ? 'loading…' : 'not loaded';
    ui.table.hidden = n === 0;
    ui.empty.hidden = n !== 0 || !state.listed;
    if (state.collection) {
      ui.empty.textContent = `No resources in ${state.collection} yet. Create one with curl ` +
        '(see docs/http-api.md) and it appears here.';
    }
  }

  // ---- rows ------------------------------------------------------------------------------

  function rowElement(id) {
    const tr = element('tr', 'rs-row');
    tr.dataset.id = id;
    const head = element('th', 'rs-id', id);
    head.scope = 'row';
    const doc = element('td', 'rs-doc');
    doc.append(element('pre', 'rs-json'));
    tr.append(head, element('td', 'rs-version'), doc);
    return tr;
  }

  function fill(entry, kind) {
    entry.tr.dataset.version = String(entry.version);
    entry.tr.querySelector('.rs-version').textContent = String(entry.version);
    entry.tr.querySelector('.rs-json').textContent = JSON.stringify(entry.doc, null, 2);
    if (!kind) return;
    // Highlight briefly; a second change within the time restarts it.
    clearTimeout(entry.timer);
    entry.tr.classList.remove('rs-created', 'rs-updated');
    entry.tr.classList.add(`rs-${kind}`);
    entry.timer = setTimeout(() => entry.tr.classList.remove(`rs-${kind}`),
                             options.highlightMs);
  }

  // Ids sort by bytes in the API; they are ASCII, so JavaScript's < is the same order.
  function insertSorted(entry, id) {
    const next = [...ui.rows.children].find((tr) => tr.dataset.id > id);
    ui.rows.insertBefore(entry.tr, next ?? null);
  }

  function removeRow(id) {
    const entry = state.rows.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.tr.remove();
    state.rows.delete(id);
  }

  function clearRows() {
    for (const id of [...state.rows.keys()]) removeRow(id);
  }

  // The one rule for events (see the top of the file): apply only what is newer than shown.
  function applyChange(change, live) {
    const shown = state.rows.get(change.id);
    if (shown && change.version <= shown.version) return;  // already shown, or older
    if (change.event === 'deleted') {
      if (!shown) return;  // created and deleted while we were listing: never shown
      removeRow(change.id);
    } else if (shown) {
      Object.assign(shown, { version: change.version, doc: change.doc });
      fill(shown, 'updated');
    } else {
      const entry = { version: change.version, doc: change.doc, tr: rowElement(change.id),
                      timer: 0 };
      state.rows.set(change.id, entry);
      fill(entry, 'created');
      insertSorted(entry, change.id);
    }
    if (live) ui.activity.textContent = `${change.event} ${change.id} (version ${change.version})`;
  }

  // A complete list replaces the view: rows not in it are gone, changed rows are highlighted
  // (except on the first list, where everything is new).
  function showList(items, first) {
    const seen = new Set();
    for (const item of items) {
      seen.add(item.id);
      const shown = state.rows.get(item.id);
      if (!shown) {
        const entry = { version: item.version, doc: item.doc, tr: rowElement(item.id),
                        timer: 0 };
        state.rows.set(item.id, entry);
        fill(entry, first ? '' : 'created');
      } else if (shown.version !== item.version) {
        Object.assign(shown, { version: item.version, doc: item.doc });
        fill(shown, 'updated');
      }
    }
    for (const id of [...state.rows.keys()]) if (!seen.has(id)) removeRow(id);
    const ids = [...state.rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    ui.rows.replaceChildren(...ids.map((id) => state.rows.get(id).tr));
  }

  // ---- the list --------------------------------------------------------------------------

  class HttpError extends Error {
    constructor(status, detail) {
      super(detail ? `${status}: ${detail}` : String(status));
      this.status = status;
    }
  }

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return typeof body?.detail === 'string' ? body.detail : body?.title ?? '';
    } catch {
      return response.statusText;
    }
  }

  // Every page of the collection, or null if a newer list made this one moot.
  async function fetchList(collection, gen) {
    const items = [];
    let after = '';
    const headers = state.apiKey ? { Authorization: `Bearer ${state.apiKey}` } : {};
    for (;;) {
      const query = new URLSearchParams({ limit: String(options.pageSize) });
      if (after) query.set('after', after);
      const response = await fetch(
          `/api/resources/${encodeURIComponent(collection)}?${query}`,
          { headers, cache: 'no-store' });
      if (!response.ok) throw new HttpError(response.status, await problemDetail(response));
      const body = await response.json();
      if (gen !== state.gen) return null;
      if (!isObject(body) || !Array.isArray(body.items)) throw new Error('not a resource list');
      for (const item of body.items) {
        if (isObject(item) && typeof item.id === 'string' &&
            Number.isSafeInteger(item.version) && isObject(item.doc)) {
          items.push({ id: item.id, version: item.version, doc: item.doc });
        }
      }
      // next_after only grows; anything else would loop forever.
      if (typeof body.next_after !== 'string' || body.next_after <= after) return items;
      after = body.next_after;
    }
  }

  // Lists the collection and switches to live. Only while subscribed (after the first
  // `joined`): listing before it could miss a change made in between.
  async function reload() {
    clearTimeout(state.retryTimer);
    state.retryTimer = 0;
    if (!state.collection || !state.subscribed) return;
    const gen = ++state.gen;
    const first = state.rows.size === 0;
    state.phase = 'listing';
    state.buffer = [];
    renderCount();
    let items;
    try {
      items = await fetchList(state.collection, gen);
    } catch (error) {
      if (gen === state.gen) onListFailed(error);
      return;
    }
    if (items === null || gen !== state.gen) return;
    showList(items, first);
    state.listed = true;
    const buffered = state.buffer;
    state.buffer = [];
    state.phase = 'live';
    for (const change of buffered) applyChange(change, true);
    state.retryDelay = 0;
    hideNotice();
    ui.keyField.hidden = !state.apiKey;
    if (!buffered.length) ui.activity.textContent = `listed at ${new Date().toLocaleTimeString()}`;
    renderCount();
  }

  function onListFailed(error) {
    state.phase = 'waiting';
    state.buffer = [];
    renderCount();
    const status = error instanceof HttpError ? error.status : 0;
    if (status === 401 || status === 403) {
      const asked = !ui.keyField.hidden;
      ui.keyField.hidden = false;
      showNotice(status === 401
        ? (state.apiKey ? `The API key was refused (${error.message}). Enter the right one ` +
                          'and press Watch.'
                        : 'This server needs an API key to read resources (401). Enter it ' +
                          'and press Watch; it is kept in this page only.')
        : 'The API refused this page (403): without --api-key the server answers /api only ' +
          'on its loopback interface. Open the page through 127.0.0.1, or enter the key of a ' +
          'server started with --api-key.');
      if (!asked) ui.key.focus();  // once: a later retry must not steal the focus
      return;
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      showNotice(`Could not list ${state.collection} (${error.message}).`);
      return;
    }
    // Network trouble (e.g. the server restarting) or a busy store: try again, with backoff.
    const { retryInitialMs, retryCapMs } = options;
    state.retryDelay = Math.min(retryCapMs, state.retryDelay ? state.retryDelay * 2
                                                               : retryInitialMs);
    showNotice(`Could not list ${state.collection} (${error.message}); retrying in ` +
               `${(state.retryDelay / 1000).toFixed(1)}s.`);
    state.retryTimer = setTimeout(reload, state.retryDelay);
  }

  // ---- events ----------------------------------------------------------------------------

  // A change event of the watched collection (docs/http-api.md, Change events), or null.
  function changeOf(message) {
    const d = message.data;
    if (message.from.nick !== 'resources' || message.from.session !== 'api') return null;
    if (!isObject(d) || d.collection !== state.collection || typeof d.id !== 'string' ||
        !Number.isSafeInteger(d.version) || d.version < 1) {
      return null;
    }
    if (d.event === 'deleted') return { event: d.event, id: d.id, version: d.version };
    if ((d.event === 'created' || d.event === 'updated') && isObject(d.doc)) {
      return { event: d.event, id: d.id, version: d.version, doc: d.doc };
    }
    return null;
  }

  function onMessage({ detail: message }) {
    if (message.room !== roomOf(state.collection)) return;
    const change = changeOf(message);
    if (!change) return;
    if (state.phase === 'listing') {
      state.buffer.push(change);
    } else if (state.phase === 'live') {
      applyChange(change, true);
      renderCount();
    }
    // 'waiting': dropped; the list that is due reads this change.
  }

  function onJoined({ detail }) {
    if (detail.room !== roomOf(state.collection)) return;
    const first = !state.subscribed;
    state.subscribed = true;
    // fresh: a new subscription, not the continuation of the old one (see the top).
    if (first || detail.fresh || state.phase === 'waiting') reload();
  }

  function onReset({ detail }) {
    if (detail.room !== roomOf(state.collection)) return;
    state.gen += 1;  // a list in flight is moot: the fresh `joined` that follows lists again
    state.phase = 'waiting';
    state.buffer = [];
    ui.activity.textContent = 'missed changes are no longer stored: listing again';
  }

  function onClientError({ detail }) {
    if (detail.room && detail.room !== roomOf(state.collection)) return;
    showNotice(`Server: ${detail.message || detail.code}`);
  }

  // ---- watching --------------------------------------------------------------------------

  function socketUrl() {
    if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
    return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  }

  function startClient() {
    const url = socketUrl();
    if (!url) {
      setStatus('offline', 'offline: open this page from a confab server');
      return false;
    }
    // storage: null: nothing to keep across reloads (a reload lists again). historyLimit: 1,
    // see the top. Tests may shorten the keepalive: window.confabClientOptions.
    const client = new window.ConfabClient({ url, nick: 'resource-view', storage: null,
                                             historyLimit: 1,
                                             ...(window.confabClientOptions || {}) });
    const handlers = { state: onClientState, message: onMessage, joined: onJoined,
                       reset: onReset, error: onClientError };
    for (const [type, handler] of Object.entries(handlers)) {
      client.addEventListener(type, handler);
    }
    state.client = client;
    client.connect();
    return true;
  }

  function watch(collection) {
    if (!state.client && !startClient()) return;
    ui.collection.value = collection;
    document.title = `${collection} · resources · confab`;
    ui.title.textContent = collection;
    if (location.protocol !== 'file:') {
      history.replaceState(null, '', `?collection=${encodeURIComponent(collection)}`);
    }
    hideNotice();
    if (collection === state.collection) {
      // Same collection: list again (after an API key, or to catch up after a server crash).
      if (state.subscribed) reload();
      return;
    }
    if (state.collection) state.client.leave(roomOf(state.collection));
    clearTimeout(state.retryTimer);
    Object.assign(state, { collection, subscribed: false, listed: false, phase: 'waiting',
                           buffer: [], retryDelay: 0, gen: state.gen + 1 });
    clearRows();
    ui.activity.textContent = '';
    ui.count.textContent = 'subscribing…';
    ui.table.hidden = true;
    ui.empty.hidden = true;
    state.client.join(roomOf(collection));
  }

  function onSubmit(event) {
    event.preventDefault();
    const collection = ui.collection.value.trim();
    const ok = isValidName(collection);
    ui.formError.textContent = ok ? ''
      : 'Collection: 1-64 letters, digits, ".", "_" or "-" (not "." or "..").';
    ui.formError.hidden = ok;
    if (!ok) return;
    if (!ui.keyField.hidden) state.apiKey = ui.key.value.trim();  // in memory only
    watch(collection);
  }

  function init() {
    ui.form.addEventListener('submit', onSubmit);
    const wanted = new URLSearchParams(location.search).get('collection') ?? '';
    if (isValidName(wanted)) {
      watch(wanted);
    } else {
      ui.collection.value = wanted;
      ui.collection.focus();
    }
  }

  init();
})();
