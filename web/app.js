// confab chat page: the UI on top of ConfabClient (confab-client.js), which speaks confab.v1 on
// /ws. Rooms you joined are listed with unread counts; the current room shows its last messages,
// live messages, its members and who is typing. A message sent while offline waits in the
// client's outbox and is shown as "sending…" until the server acknowledges it.
// Everything received is untrusted: it only ever reaches the DOM through textContent.
(() => {
  'use strict';

  const NICK_KEY = 'confab.nick';
  const ROOMS_KEY = 'confab.rooms';
  // Same rules as the server (telnet::is_valid_nick, rooms::is_valid_room_name).
  const NICK_RE = /^[A-Za-z0-9._-]{1,32}$/;
  const ROOM_RE = /^[A-Za-z0-9._:\/-]{1,128}$/;
  const MAX_LINES = 500;          // per room: keeps memory and the DOM bounded in a busy room
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_TTL_MS = 3000;     // the server drops a late indicator; we hide it after this

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), joinForm: $('join-form'), nick: $('nick'), room: $('room'),
    joinError: $('join-error'), rooms: $('rooms'), members: $('members'),
    memberCount: $('member-count'), messages: $('messages'), typing: $('typing'),
    notice: $('notice'), sendForm: $('send-form'), message: $('message'),
  };

  // One view per joined room. lines: confirmed messages and notes, oldest first (qos 1 lines
  // in seq order, as the client delivers them). members: key → { nick, via, session, count }
  // (a session may be connected twice). typing: nick → time its indicator expires.
  const state = {
    client: null, nick: '', current: '', views: new Map(), lost: false,
    countdownTimer: 0, typingTimer: 0, lastTypingSent: 0,
  };

  function storageGet(key) {
    try { return localStorage.getItem(key) || ''; } catch { return ''; }  // storage may be off
  }
  function storageSet(key, value) {
    try { localStorage.setItem(key, value); } catch { /* not remembering is acceptable */ }
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;  // never innerHTML: data is untrusted
    return el;
  }

  // ---- status and notices ----------------------------------------------------------------

  // Status text contains "connected" exactly while the client is open (tests rely on it): the
  // other states say "connecting", "reconnecting", "connection lost", "not joined".
  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.status.textContent = text;
    document.body.classList.toggle('offline', kind !== 'open');
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
      setStatus('open', `connected as ${state.nick}`);
      if (state.lost) addNoteToView('Reconnected.');
      state.lost = false;
      hideNotice();
    } else if (detail.state === 'connecting') {
      setStatus('connecting', 'connecting…');
    } else if (detail.state === 'reconnecting') {
      if (detail.wasOpen) {
        state.lost = true;
        const why = detail.reason ? `: ${detail.reason}` : '';
        addNoteToView(`Connection lost (code ${detail.code ?? '-'}${why}). Reconnecting…`);
      }
      showCountdown();
      state.countdownTimer = setInterval(showCountdown, 100);
    } else if (detail.state === 'closed') {
      setStatus('idle', 'not joined');
    }
  }

  function showCountdown() {
    const seconds = (state.client?.retryInMs() ?? 0) / 1000;
    setStatus('reconnecting', `connection lost: reconnecting in ${seconds.toFixed(1)}s`);
  }

  // ---- rooms -----------------------------------------------------------------------------

  function saveRooms() { storageSet(ROOMS_KEY, JSON.stringify([...state.views.keys()])); }

  function addRoom(name) {
    if (!state.views.has(name)) {
      const view = { name, lines: [], unread: 0, members: new Map(), typing: new Map(),
                     item: roomItem(name) };
      state.views.set(name, view);
      ui.rooms.append(view.item);
      saveRooms();
      state.client.join(name);
    }
    showRoom(name);
  }

  function roomItem(name) {
    const li = element('li', 'room');
    li.dataset.room = name;
    const open = element('button', 'room-open');
    open.type = 'button';
    open.title = name;
    open.append(element('span', 'room-name', name));
    const unread = element('span', 'unread', '0');
    unread.hidden = true;
    unread.setAttribute('aria-label', 'unread messages');
    open.append(unread);
    open.addEventListener('click', () => showRoom(name));
    const leave = element('button', 'room-leave', '×');
    leave.type = 'button';
    leave.title = `Leave ${name}`;
    leave.setAttribute('aria-label', `Leave ${name}`);
    leave.addEventListener('click', () => leaveRoom(name));
    li.append(open, leave);
    return li;
  }

  function leaveRoom(name) {
    const view = state.views.get(name);
    if (!view) return;
    const unsent = state.client.pending(name).length;
    state.client.leave(name);
    view.item.remove();
    state.views.delete(name);
    saveRooms();
    if (unsent) {
      showNotice(`${unsent} unsent message(s) in ${name} will be sent when you join it again.`);
    }
    if (state.current === name) {
      const next = state.views.keys().next();
      if (next.done) {
        state.current = '';
        renderRoom();
      } else {
        showRoom(next.value);
      }
    }
  }

  function showRoom(name) {
    state.current = name;
    const view = state.views.get(name);
    view.unread = 0;
    renderUnread(view);
    for (const v of state.views.values()) {
      if (v === view) v.item.setAttribute('aria-current', 'true');
      else v.item.removeAttribute('aria-current');
    }
    ui.room.value = name;
    if (location.protocol !== 'file:') history.replaceState(null, '', `#${name}`);
    document.title = `${name} · confab`;
    state.lastTypingSent = 0;
    renderRoom();
  }

  function renderUnread(view) {
    const badge = view.item.querySelector('.unread');
    badge.textContent = String(view.unread);
    badge.hidden = view.unread === 0;
  }

  // ---- messages --------------------------------------------------------------------------

  function nickHue(nick) {
    let hash = 0;
    for (const ch of nick) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return hash % 360;
  }

  function messageElement({ nick, text, ts, mine, telnet, kind, seq }) {
    const msg = element('div', 'msg');
    msg.dataset.testid = 'msg';
    if (kind) msg.classList.add(kind);
    if (mine) msg.classList.add('mine');
    if (seq) msg.dataset.seq = String(seq);
    const meta = element('div', 'meta');
    const nickEl = element('span', 'nick', nick);
    nickEl.style.setProperty('--hue', String(nickHue(nick)));
    meta.append(nickEl);
    if (telnet) meta.append(element('span', 'badge', 'telnet'));
    const when = new Date(ts || Date.now());
    const clock = when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const time = element('time', 'time', clock);
    time.dateTime = when.toISOString();
    meta.append(time);
    msg.append(meta, element('div', 'text', text));
    return msg;
  }

  function pendingElement(entry) {
    const msg = messageElement({ nick: state.nick, text: entry.data?.text ?? '', mine: true,
                                 kind: 'pending' });
    msg.dataset.id = entry.id;
    msg.querySelector('.time').replaceWith(element('span', 'state', 'sending…'));
    return msg;
  }

  function lineElement(line) {
    if (line.kind === 'note') {
      const note = element('p', `note ${line.className || ''}`.trim(), line.text);
      note.dataset.testid = 'note';
      return note;
    }
    return messageElement(line);
  }

  // Confirmed lines go above the pending ones, which stay at the bottom until acked.
  function insertLine(el) {
    const box = ui.messages;
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.querySelector(':scope > .hint')?.remove();
    const firstPending = box.querySelector(':scope > .msg.pending');
    box.insertBefore(el, firstPending);
    while (box.childElementCount > MAX_LINES + 50) box.firstElementChild.remove();
    if (atBottom || el.classList.contains('mine')) box.scrollTop = box.scrollHeight;
  }

  function appendPending(entry) {
    const box = ui.messages;
    box.querySelector(':scope > .hint')?.remove();
    box.append(pendingElement(entry));
    box.scrollTop = box.scrollHeight;
  }

  function pushLine(view, line) {
    view.lines.push(line);
    if (view.lines.length > MAX_LINES) view.lines.splice(0, view.lines.length - MAX_LINES);
    if (view.name === state.current) insertLine(lineElement(line));
  }

  function addNoteToView(text, className) {
    const view = state.views.get(state.current);
    if (view) pushLine(view, { kind: 'note', text, className });
  }

  function renderRoom() {
    const view = state.views.get(state.current);
    const box = ui.messages;
    if (!view) {
      box.replaceChildren(element('p', 'hint', 'Pick a nick and a room, then press Join.'));
      ui.members.replaceChildren();
      ui.memberCount.textContent = '';
      ui.typing.textContent = '';
      return;
    }
    const els = view.lines.map(lineElement);
    for (const entry of state.client.pending(view.name)) els.push(pendingElement(entry));
    if (!els.length) els.push(element('p', 'hint', `No messages in ${view.name} yet.`));
    box.replaceChildren(...els);
    box.scrollTop = box.scrollHeight;
    renderMembers();
    renderTyping();
  }

  // What a chat line says: data {"text": "..."} (the page's and telnet's lines), a bare
  // string, or any other JSON shown as it is.
  function textOf(data) {
    if (data && typeof data === 'object' && typeof data.text === 'string') return data.text;
    if (typeof data === 'string') return data;
    return JSON.stringify(data);
  }

  function isTelnet(view, session) {
    // The protocol says telnet members have an empty session; the members list knows the rest.
    if (session === '') return true;
    for (const m of view.members.values()) if (m.session === session) return m.via === 'telnet';
    return view.telnetSessions?.has(session) ?? false;
  }

  function onMessage({ detail: m }) {
    const view = state.views.get(m.room);
    if (!view) return;
    const isObject = m.data !== null && typeof m.data === 'object';
    if (isObject && m.data.typing === true) {
      if (!m.mine) showTyping(view, m.from.nick);
      return;  // an indicator, never a chat line
    }
    if (m.mine && m.id && view.name === state.current) {
      ui.messages.querySelector(`:scope > .msg.pending[data-id="${CSS.escape(m.id)}"]`)?.remove();
    }
    view.typing.delete(m.from.nick);
    if (view.name === state.current) renderTyping();
    pushLine(view, {
      nick: m.from.nick, text: textOf(m.data), ts: m.ts, seq: m.seq, mine: m.mine,
      telnet: isTelnet(view, m.from.session), kind: isObject ? '' : 'raw',
    });
    if (view.name !== state.current && !m.history && !m.mine) {
      view.unread += 1;
      renderUnread(view);
    }
  }

  function onJoined({ detail }) {
    const view = state.views.get(detail.room);
    if (!view) return;
    view.item.dataset.joined = 'true';
    if (detail.fresh) {
      // A join without `since`: the history that follows replaces whatever was shown (but
      // not the notice saying why the room was reloaded).
      view.lines = view.resetNote ? [view.resetNote] : [];
      view.resetNote = null;
      if (view.name === state.current) renderRoom();
    }
  }

  function onReset({ detail }) {
    const view = state.views.get(detail.room);
    if (!view) return;
    view.lines = [];
    view.unread = 0;
    renderUnread(view);
    const why = detail.reason === 'history_trimmed'
      ? 'messages you missed are no longer all stored'
      : 'the room\'s history was reset on the server';
    view.resetNote = { kind: 'note', className: 'reload',
                       text: `Reloaded ${view.name}: ${why}. Showing the latest messages.` };
    view.lines.push(view.resetNote);
    if (view.name === state.current) renderRoom();
  }

  function onQueued({ detail: entry }) {
    if (entry.room === state.current) appendPending(entry);
  }

  function onAck({ detail }) {
    if (detail.room !== state.current) return;
    // Stored; our own msg (which replaces this) may still be on its way.
    const el = ui.messages.querySelector(
      `:scope > .msg.pending[data-id="${CSS.escape(detail.id)}"]`);
    if (!el) return;
    el.classList.add('acked');
    el.querySelector('.state').textContent = 'sent';
  }

  function onFailed({ detail }) {
    showNotice(`Not sent to ${detail.room} (${detail.code}): ${detail.message}`);
    if (detail.room !== state.current) return;
    const el = ui.messages.querySelector(
      `:scope > .msg.pending[data-id="${CSS.escape(detail.id)}"]`);
    if (!el) return;
    el.classList.replace('pending', 'failed');
    el.querySelector('.state').textContent = 'not sent';
  }

  function onError({ detail }) {
    if (detail.code === 'unavailable' || detail.ref?.startsWith('m-')) return;  // retried
    showNotice(`Server: ${detail.message || detail.code}`);
  }

  // ---- members and typing ----------------------------------------------------------------

  function memberKey(member) { return `${member.via}|${member.session}|${member.nick}`; }

  function rememberVia(view, member) {
    if (member.via !== 'telnet') return;
    view.telnetSessions ??= new Set();
    view.telnetSessions.add(member.session);
  }

  function onMembers({ detail }) {
    const view = state.views.get(detail.room);
    if (!view || !Array.isArray(detail.members)) return;
    view.members.clear();
    for (const member of detail.members) {
      const key = memberKey(member);
      const known = view.members.get(key);
      if (known) known.count += 1;
      else view.members.set(key, { ...member, count: 1 });
      rememberVia(view, member);
    }
    if (view.name === state.current) renderMembers();
  }

  function onPresence({ detail }) {
    const view = state.views.get(detail.room);
    const member = detail.member;
    if (!view || !member) return;
    const key = memberKey(member);
    const known = view.members.get(key);
    if (detail.event === 'join') {
      if (known) known.count += 1;
      else view.members.set(key, { ...member, count: 1 });
      rememberVia(view, member);
    } else if (known && --known.count <= 0) {
      view.members.delete(key);
      view.typing.delete(member.nick);
    }
    if (view.name === state.current) renderMembers();
  }

  function renderMembers() {
    const view = state.views.get(state.current);
    if (!view) return;
    const byNick = new Map();  // one line per nick and transport, however many connections
    for (const m of view.members.values()) byNick.set(`${m.nick}|${m.via}`, m);
    const sorted = [...byNick.values()].sort((a, b) => a.nick.localeCompare(b.nick));
    ui.members.replaceChildren(...sorted.map((m) => {
      const li = element('li', 'member');
      li.dataset.nick = m.nick;
      li.dataset.via = m.via;
      const nick = element('span', 'nick', m.nick);
      nick.style.setProperty('--hue', String(nickHue(m.nick)));
      li.append(nick);
      if (m.via === 'telnet') li.append(element('span', 'badge', 'telnet'));
      // members carry public member ids: ours is the client's memberSession, never its
      // session id (a secret the server shows nobody).
      if (m.nick === state.nick && m.session === state.client.memberSession) {
        li.classList.add('me');
      }
      return li;
    }));
    ui.memberCount.textContent = sorted.length ? String(sorted.length) : '';
  }

  function showTyping(view, nick) {
    view.typing.set(nick, Date.now() + TYPING_TTL_MS);
    if (view.name === state.current) renderTyping();
  }

  // Shows who is typing in the current room and re-runs itself when the next indicator ends.
  function renderTyping() {
    clearTimeout(state.typingTimer);
    const view = state.views.get(state.current);
    const now = Date.now();
    const nicks = [];
    let next = Infinity;
    for (const [nick, until] of view?.typing ?? []) {
      if (until <= now) {
        view.typing.delete(nick);
      } else {
        nicks.push(nick);
        next = Math.min(next, until);
      }
    }
    nicks.sort();
    ui.typing.textContent =
      nicks.length === 0 ? ''
        : nicks.length === 1 ? `${nicks[0]} is typing…`
          : nicks.length === 2 ? `${nicks[0]} and ${nicks[1]} are typing…`
            : `${nicks.length} people are typing…`;
    if (next !== Infinity) state.typingTimer = setTimeout(renderTyping, next - now + 10);
  }

  // QoS 0 with a TTL: a late indicator is worthless, and at most one per 2 s per room.
  function onMessageInput() {
    const room = state.current;
    if (!room || !state.client?.isOpen() || !ui.message.value.trim()) return;
    const now = Date.now();
    if (now - state.lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (state.client.publish(room, { typing: true }, { qos: 0, ttlMs: TYPING_TTL_MS })) {
      state.lastTypingSent = now;
    }
  }

  // ---- forms -----------------------------------------------------------------------------

  function socketUrl() {
    if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  function startClient(nick) {
    const url = socketUrl();
    if (!url) {
      setStatus('offline', 'offline: open this page from a confab server');
      return false;
    }
    // Tests may shorten the keepalive: window.confabClientOptions = { pingIntervalMs, ... }.
    const overrides = window.confabClientOptions || {};
    const client = new window.ConfabClient({ url, nick, ...overrides });
    const handlers = {
      state: onClientState, message: onMessage, joined: onJoined, reset: onReset,
      queued: onQueued, ack: onAck, failed: onFailed, error: onError,
      members: onMembers, presence: onPresence,
    };
    for (const [type, handler] of Object.entries(handlers)) {
      client.addEventListener(type, handler);
    }
    state.client = client;
    client.connect();
    return true;
  }

  function enter(nick, room) {
    const nickChanged = state.nick && nick !== state.nick;
    state.nick = nick;
    storageSet(NICK_KEY, nick);
    if (!state.client && !startClient(nick)) return;
    if (nickChanged) {
      state.client.setNick(nick);
      addNoteToView(`You are now ${nick}.`);
    }
    addRoom(room);
    ui.message.focus();
  }

  function onJoinSubmit(event) {
    event.preventDefault();
    const nick = ui.nick.value.trim();
    const room = ui.room.value.trim() || 'lobby';
    let error = '';
    if (!NICK_RE.test(nick)) {
      error = 'Nick: 1-32 letters, digits, ".", "_" or "-".';
    } else if (!ROOM_RE.test(room) || room.startsWith('/') || room.endsWith('/')) {
      error = 'Room: 1-128 letters, digits, ".", "_", ":", "-" or "/" (not at either end).';
    }
    ui.joinError.textContent = error;
    ui.joinError.hidden = !error;
    if (!error) enter(nick, room);
  }

  // Never refused for being offline: the message waits in the outbox (shown as "sending…")
  // and goes out, once, when the connection is back.
  function onSendSubmit(event) {
    event.preventDefault();
    const text = ui.message.value;
    if (!text.trim()) return;
    if (!state.current) {
      showNotice('Not sent: join a room first.');
      return;
    }
    try {
      state.client.publish(state.current, { text });
    } catch (error) {
      showNotice(`Not sent: ${error.message}.`);
      return;
    }
    ui.message.value = '';
    ui.message.focus();
  }

  function savedRooms() {
    try {
      const rooms = JSON.parse(storageGet(ROOMS_KEY) || '[]');
      return Array.isArray(rooms) ? rooms.filter((r) => typeof r === 'string' && ROOM_RE.test(r))
                                  : [];
    } catch {
      return [];
    }
  }

  function init() {
    ui.nick.value = storageGet(NICK_KEY);
    let hashRoom = '';
    try { hashRoom = decodeURIComponent(location.hash.slice(1)); } catch { /* bad %-escape */ }
    if (ROOM_RE.test(hashRoom)) ui.room.value = hashRoom;
    ui.joinForm.addEventListener('submit', onJoinSubmit);
    ui.sendForm.addEventListener('submit', onSendSubmit);
    ui.message.addEventListener('input', onMessageInput);
    // A reload comes back to the rooms it had, with the same session (the client keeps it).
    const rooms = savedRooms();
    if (NICK_RE.test(ui.nick.value) && rooms.length) {
      const current = rooms.includes(hashRoom) ? hashRoom : rooms[0];
      for (const room of rooms) enter(ui.nick.value, room);
      showRoom(current);
    }
    (ui.nick.value ? $('join') : ui.nick).focus();
  }

  init();
})();
