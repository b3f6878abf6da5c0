// confab chat page: join a room over a WebSocket at /ws/rooms/{room}, send JSON chat lines
// {"nick","text"}, render what the room relays (our own lines come back too), and reconnect
// by itself with capped exponential backoff. Everything received is untrusted: it only ever
// reaches the DOM through textContent.
(() => {
  'use strict';

  const NICK_KEY = 'confab.nick';
  // Same rules as the server (telnet::is_valid_nick, rooms::is_valid_room_name).
  const NICK_RE = /^[A-Za-z0-9._-]{1,32}$/;
  const ROOM_RE = /^[A-Za-z0-9._:\/-]{1,128}$/;
  const BACKOFF_INITIAL_MS = 250;
  const BACKOFF_CAP_MS = 5000;
  // A connection that stayed up this long was healthy: the next loss starts the backoff over.
  // (Resetting on every open would retry every 250 ms against a server that accepts, then drops.)
  const HEALTHY_AFTER_MS = 5000;
  const MAX_RENDERED = 500;  // keep the DOM bounded in a busy room

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), joinForm: $('join-form'), nick: $('nick'), room: $('room'),
    joinError: $('join-error'), messages: $('messages'), notice: $('notice'),
    sendForm: $('send-form'), message: $('message'),
  };

  // Invariant: `socket` is the one live attempt (or null); events from any other socket are
  // stale (a room switch closed it) and ignored. `retryTimer` is set only while socket is null.
  const state = {
    nick: '', room: '', socket: null, attempt: 0, openedAt: 0,
    retryTimer: 0, countdownTimer: 0, retryAt: 0,
  };

  function storageGet(key) {
    try { return localStorage.getItem(key) || ''; } catch { return ''; }  // storage may be off
  }
  function storageSet(key, value) {
    try { localStorage.setItem(key, value); } catch { /* not remembering is acceptable */ }
  }

  // Status text contains "connected" exactly while the socket is open (tests rely on it):
  // the other states say "connecting", "reconnecting", "connection lost", "not joined".
  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    ui.status.textContent = text;
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
  }
  function hideNotice() { ui.notice.hidden = true; }

  function socketUrl(room) {
    if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // The room charset is URL-safe, '/' included (nested rooms), so no encoding is needed.
    return `${scheme}//${location.host}/ws/rooms/${room}`;
  }

  // "Equal jitter": half the delay is fixed, half random, so clients that lost the same
  // server do not all come back in the same instant, yet none retries at once.
  function backoffDelay(attempt) {
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(attempt, 10));
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  function clearRetry() {
    clearTimeout(state.retryTimer);
    clearInterval(state.countdownTimer);
    state.retryTimer = 0;
    state.countdownTimer = 0;
  }

  function connect() {
    clearRetry();
    const url = socketUrl(state.room);
    if (!url) {
      setStatus('offline', 'offline: open this page from a confab server');
      return;
    }
    setStatus('connecting', `connecting to ${state.room}…`);
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    state.socket = socket;
    socket.addEventListener('open', () => {
      if (socket !== state.socket) return;
      state.openedAt = Date.now();
      setStatus('open', `connected to ${state.room} as ${state.nick}`);
      if (state.attempt > 0) addNote('Reconnected.');
      if (!ui.notice.hidden && ui.message.value.trim()) {
        showNotice('Connected again: press Send to send your message.');
      }
    });
    socket.addEventListener('message', (event) => {
      if (socket === state.socket) renderPayload(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (socket !== state.socket) return;
      state.socket = null;
      onConnectionLost(event);
    });
  }

  function onConnectionLost(event) {
    const wasOpen = state.openedAt > 0;
    if (wasOpen && Date.now() - state.openedAt >= HEALTHY_AFTER_MS) state.attempt = 0;
    state.openedAt = 0;
    const delay = backoffDelay(state.attempt);
    state.attempt += 1;
    if (wasOpen) {
      const why = event.reason ? `: ${event.reason}` : '';
      addNote(`Connection lost (code ${event.code}${why}). Reconnecting by itself…`);
    }
    state.retryAt = Date.now() + delay;
    state.retryTimer = setTimeout(connect, delay);
    state.countdownTimer = setInterval(showCountdown, 100);
    showCountdown();
  }

  function showCountdown() {
    const seconds = Math.max(0, state.retryAt - Date.now()) / 1000;
    setStatus('reconnecting', `connection lost: reconnecting in ${seconds.toFixed(1)}s`);
  }

  function join(nick, room) {
    const sameRoom = room === state.room && (state.socket || state.retryTimer);
    state.nick = nick;
    storageSet(NICK_KEY, nick);
    if (sameRoom) {
      // Only the nick changed: keep the connection and the messages on screen.
      if (state.socket && state.socket.readyState === WebSocket.OPEN) {
        setStatus('open', `connected to ${room} as ${nick}`);
      }
      addNote(`You are now ${nick}.`);
      return;
    }
    leaveRoom();
    state.room = room;
    state.attempt = 0;
    ui.messages.replaceChildren();
    addNote(`Joined room ${room} as ${nick}.`);
    if (location.protocol !== 'file:') history.replaceState(null, '', `#${room}`);
    document.title = `${room} · confab`;
    connect();
    ui.message.focus();
  }

  function leaveRoom() {
    clearRetry();
    const old = state.socket;
    state.socket = null;  // its close event is stale from now on
    state.openedAt = 0;
    if (old) old.close(1000, 'switching room');
  }

  // Refuses rather than queues while offline: the text stays in the box and the user is told,
  // so nothing is lost silently and nothing is sent long after the user stopped expecting it.
  function send(text) {
    if (!state.room) {
      showNotice('Not sent: join a room first.');
      return false;
    }
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      showNotice(`Not sent: not connected (${ui.status.textContent}). ` +
                 'Your message is still in the box.');
      return false;
    }
    socket.send(JSON.stringify({ nick: state.nick, text }));
    hideNotice();
    return true;
  }

  // A chat line is a JSON object whose "nick" and "text" are strings; anything else is raw.
  function parseChatLine(data) {
    let value;
    try { value = JSON.parse(data); } catch { return null; }
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    if (!isObject || typeof value.nick !== 'string' || typeof value.text !== 'string') return null;
    return value;
  }

  function renderPayload(data) {
    if (typeof data !== 'string') {
      const size = data.byteLength ?? data.size ?? 0;
      addMessage({ nick: '?', text: `[binary ${size} bytes]`, kind: 'binary' });
      return;
    }
    const line = parseChatLine(data);
    if (line) {
      addMessage({ nick: line.nick, text: line.text, viaTelnet: line.via === 'telnet' });
    } else {
      addMessage({ nick: '?', text: data, kind: 'raw' });
    }
  }

  function nickHue(nick) {
    let hash = 0;
    for (const ch of nick) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return hash % 360;
  }

  function element(tag, className, text) {
    const el = document.createElement(tag);
    el.className = className;
    if (text !== undefined) el.textContent = text;  // never innerHTML: data is untrusted
    return el;
  }

  function addMessage({ nick, text, kind = '', viaTelnet = false }) {
    const msg = element('div', 'msg');
    msg.dataset.testid = 'msg';
    if (kind) msg.classList.add(kind);
    if (nick === state.nick) msg.classList.add('mine');
    const meta = element('div', 'meta');
    const now = new Date();
    const clock = now.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const time = element('time', 'time', clock);
    time.dateTime = now.toISOString();
    const nickEl = element('span', 'nick', nick);
    nickEl.style.setProperty('--hue', String(nickHue(nick)));
    meta.append(nickEl);
    if (viaTelnet) meta.append(element('span', 'badge', 'telnet'));
    meta.append(time);
    msg.append(meta, element('div', 'text', text));
    append(msg);
  }

  function addNote(text) {
    const note = element('p', 'note', text);
    note.dataset.testid = 'note';
    append(note);
  }

  function append(el) {
    const box = ui.messages;
    // Follow new messages only if the reader is already at the bottom (not reading back).
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.append(el);
    while (box.childElementCount > MAX_RENDERED) box.firstElementChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
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
    if (!error) join(nick, room);
  }

  function onSendSubmit(event) {
    event.preventDefault();
    const text = ui.message.value;
    if (!text.trim()) return;
    if (send(text)) ui.message.value = '';
    ui.message.focus();
  }

  function init() {
    ui.nick.value = storageGet(NICK_KEY);
    let hashRoom = '';
    try { hashRoom = decodeURIComponent(location.hash.slice(1)); } catch { /* bad %-escape */ }
    if (ROOM_RE.test(hashRoom)) ui.room.value = hashRoom;
    ui.joinForm.addEventListener('submit', onJoinSubmit);
    ui.sendForm.addEventListener('submit', onSendSubmit);
    // Back online: retry now instead of waiting out the backoff.
    window.addEventListener('online', () => { if (state.retryTimer) connect(); });
    (ui.nick.value ? $('join') : ui.nick).focus();
  }

  init();
})();
