// confab.v1 client for the browser (docs/protocol.md, "confab.v1"): one WebSocket to /ws that
// carries many rooms. It keeps the session id across reloads, resumes every room from the last
// seq it processed, re-sends unacknowledged QoS 1 messages with the same id after a reconnect
// (the server deduplicates), drops messages it has already seen, detects a dead connection with
// app-level pings, and reconnects with capped, fully jittered exponential backoff.
// No DOM: a page listens to its events. A classic script (the page also opens on file://, where
// modules are refused): it defines globalThis.ConfabClient. Runs on the page's main thread.
(function (global) {
  'use strict';

  const PROTOCOL = 'confab.v1';
  const SESSION_RE = /^[A-Za-z0-9_-]{1,64}$/;
  const MAX_DATA_BYTES = 64 * 1024;   // server limit on pub.data as compact JSON
  const RESUME_HISTORY_MAX = 1000;    // the largest `history` a join may ask for
  // Close codes that say "the client is at fault" (docs/protocol.md, Close codes): retrying at
  // once would repeat the error, so these wait the longest backoff.
  const CLIENT_FAULT_CODES = new Set([1002, 1003, 1007, 1008, 1009, 1010]);
  // Pub errors after which re-sending the same message cannot succeed.
  const FINAL_PUB_ERRORS = new Set(['bad_request', 'bad_json', 'too_large', 'not_joined',
                                    'invalid_room', 'forbidden', 'unknown_type']);

  const DEFAULTS = {
    historyLimit: 50,
    pingIntervalMs: 15000,     // send a ping after this long without hearing from the server
    pongTimeoutMs: 10000,      // ... and give up on the connection if nothing arrives by then
    connectTimeoutMs: 10000,   // from new WebSocket() to welcome
    backoffInitialMs: 250,
    backoffCapMs: 5000,
    healthyAfterMs: 5000,      // a connection up this long resets the backoff
    retryUnavailableMs: 1000,  // re-send after an `unavailable` error (store busy or down)
    storageKey: 'confab',
  };

  function utf8Length(text) {
    return new TextEncoder().encode(text).length;
  }

  function randomHex(bytes) {
    const buf = new Uint8Array(bytes);
    global.crypto.getRandomValues(buf);  // works outside secure contexts, unlike randomUUID
    return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // Storage that may be absent or refuse writes (private mode, quota): then state lives as
  // long as the page, which is acceptable.
  function makeStore(storage, prefix) {
    return {
      get(name) {
        try { return storage?.getItem(`${prefix}.${name}`) ?? null; } catch { return null; }
      },
      set(name, value) {
        try { storage?.setItem(`${prefix}.${name}`, value); } catch { /* not kept */ }
      },
    };
  }

  class ConfabClient extends EventTarget {
    // url: ws(s)://host/ws. nick: the display name (hello). storage: a Storage (localStorage)
    // or null. Other options: see DEFAULTS. Nothing happens until connect().
    constructor({ url, nick, storage = global.localStorage, ...options }) {
      super();
      this.url = url;
      this.nick = nick;
      this.options = { ...DEFAULTS, ...options };
      this.store = makeStore(storage, this.options.storageKey);
      // The session id is a credential (whoever sends it in a hello is this user): it goes
      // to the server in hello and to storage, and is never shown to others. memberSession
      // is the public member id the server derives from it (welcome.member.session): what
      // everyone sees in from.session, presence and members, hence what recognises our own
      // messages. Every welcome says it again, so it is kept in memory only.
      const saved = this.store.get('session');
      this.session = saved && SESSION_RE.test(saved) ? saved : null;
      this.memberSession = null;
      this.state = 'idle';           // idle | connecting | open | reconnecting | closed
      this.maxMessageSize = 1 << 20;  // until welcome says otherwise
      // Per room: { epoch, lastSeq, joined, joining, fresh, replayUpTo, resumeFrom }.
      // Invariant: lastSeq is the highest qos 1 seq delivered to the page in `epoch`.
      this.rooms = new Map();
      // Un-acked QoS 1 messages, oldest first: { room, id, data, sent }. Kept in storage too,
      // so a reload re-sends them (same session, same id: the server deduplicates).
      this.outbox = this.loadOutbox();
      this.ws = null;                // the one live socket; events of any other are stale
      this.attempt = 0;
      this.openedAt = 0;
      this.lastReceivedAt = 0;
      this.refs = new Map();         // ref → { kind, room } for replies on this connection
      this.nextRef = 1;
      this.timers = { retry: 0, ping: 0, pong: 0, connect: 0 };
      this.retryAt = 0;
      this.onOnline = () => { if (this.timers.retry) this.openSocket(); };
      global.addEventListener?.('online', this.onOnline);
    }

    // ---- public API --------------------------------------------------------------------

    connect() {
      if (this.state === 'idle' || this.state === 'closed') this.openSocket();
    }

    // Stops for good: no reconnect. Un-acked messages stay in storage for the next page.
    close() {
      this.clearTimers();
      this.dropSocket(1000, 'bye');
      this.setState('closed');
      global.removeEventListener?.('online', this.onOnline);
    }

    // A new nick takes a new hello, so the connection starts over (same session: rooms resume).
    setNick(nick) {
      if (nick === this.nick) return;
      this.nick = nick;
      if (this.ws) {
        this.dropSocket(1000, 'new nick');
        this.openSocket();
      }
    }

    // Subscribes to `room` now (if open) and after every reconnect. Idempotent.
    join(room) {
      if (this.rooms.has(room)) return;
      this.rooms.set(room, { epoch: '', lastSeq: 0, joined: false, joining: false,
                             fresh: true, replayUpTo: 0, resumeFrom: 0 });
      if (this.isOpen()) this.sendJoin(room);
    }

    leave(room) {
      if (!this.rooms.delete(room)) return;
      if (this.isOpen()) this.send({ type: 'leave', room });
    }

    // QoS 1 (default): queued in the outbox, sent now if open, re-sent with the same id until
    // acked. Returns the outbox entry. QoS 0: sent only if open (returns false otherwise);
    // `ttlMs` lets the server drop it when late. Throws RangeError if `data` is too large.
    publish(room, data, { qos = 1, ttlMs } = {}) {
      const json = JSON.stringify(data);
      if (utf8Length(json) > MAX_DATA_BYTES) throw new RangeError('message too large');
      if (qos === 0) {
        if (!this.isOpen() || !this.rooms.get(room)?.joined) return false;
        const pub = { type: 'pub', room, qos: 0, data };
        if (ttlMs) pub.ttl_ms = ttlMs;
        return this.send(pub);
      }
      const entry = { room, id: `m-${Date.now().toString(36)}-${randomHex(6)}`, data };
      this.outbox.push(entry);
      this.saveOutbox();
      this.emit('queued', { ...entry });
      // While the join is in flight the pub may follow it; before it, sendJoin() sends it.
      const r = this.rooms.get(room);
      if (this.isOpen() && (r?.joined || r?.joining)) this.sendPub(entry);
      return entry;
    }

    isOpen() { return this.state === 'open'; }

    pending(room) { return this.outbox.filter((e) => e.room === room).map((e) => ({ ...e })); }

    // Milliseconds until the next reconnect attempt (0 when none is scheduled).
    retryInMs() { return this.timers.retry ? Math.max(0, this.retryAt - Date.now()) : 0; }

    // ---- connection --------------------------------------------------------------------

    openSocket() {
      this.clearTimers();
      this.dropSocket(1000, 'reconnecting');
      this.setState('connecting');
      let socket;
      try {
        socket = new WebSocket(this.url, PROTOCOL);
      } catch (error) {
        this.emit('error', { code: 'connect', message: String(error) });
        this.scheduleReconnect(null);
        return;
      }
      this.ws = socket;
      this.refs.clear();
      for (const room of this.rooms.values()) { room.joined = false; room.joining = false; }
      this.timers.connect = setTimeout(() => this.abandon('no welcome in time'),
                                       this.options.connectTimeoutMs);
      socket.addEventListener('open', () => {
        if (socket !== this.ws) return;
        const hello = { type: 'hello', nick: this.nick };
        if (this.session) hello.session = this.session;
        this.send(hello);
      });
      socket.addEventListener('message', (event) => {
        if (socket === this.ws) this.onFrame(event.data);
      });
      socket.addEventListener('close', (event) => {
        if (socket !== this.ws) return;
        this.ws = null;
        this.scheduleReconnect(event);
      });
    }

    // Forgets the current socket: its later events are stale. Closing is best effort.
    dropSocket(code, reason) {
      const old = this.ws;
      this.ws = null;
      if (old && old.readyState <= WebSocket.OPEN) {
        try { old.close(code, reason); } catch { /* already closing */ }
      }
    }

    // A connection that went silent (no pong, no welcome): don't wait for TCP to notice,
    // which can take minutes; give it up and reconnect.
    abandon(why) {
      if (!this.ws) return;
      this.dropSocket(4000, why);
      this.scheduleReconnect({ code: 4000, reason: why });
    }

    scheduleReconnect(event) {
      this.clearTimers();
      const wasOpen = this.openedAt > 0;
      if (wasOpen && Date.now() - this.openedAt >= this.options.healthyAfterMs) this.attempt = 0;
      this.openedAt = 0;
      const { backoffInitialMs, backoffCapMs } = this.options;
      const faulty = event && CLIENT_FAULT_CODES.has(event.code);
      const ceiling = faulty ? backoffCapMs
        : Math.min(backoffCapMs, backoffInitialMs * 2 ** Math.min(this.attempt, 16));
      // Full jitter (anywhere in [0, ceiling)): clients that lost the same server spread out.
      const delay = Math.floor(Math.random() * ceiling);
      this.attempt += 1;
      this.retryAt = Date.now() + delay;
      this.timers.retry = setTimeout(() => this.openSocket(), delay);
      this.setState('reconnecting', { code: event?.code, reason: event?.reason, wasOpen,
                                      delay });
    }

    clearTimers() {
      for (const key of Object.keys(this.timers)) {
        clearTimeout(this.timers[key]);
        this.timers[key] = 0;
      }
    }

    setState(state, detail = {}) {
      this.state = state;
      this.emit('state', { state, ...detail });
    }

    send(command) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(command));
      return true;
    }

    ref(kind, room) {
      const ref = `${kind[0]}${this.nextRef++}`;
      this.refs.set(ref, { kind, room });
      return ref;
    }

    // ---- keepalive ---------------------------------------------------------------------

    // Browsers can't send WebSocket pings, and a half-open TCP connection looks healthy for
    // minutes: after pingIntervalMs of silence, ask for a pong and expect *something* back.
    armKeepalive() {
      clearTimeout(this.timers.ping);
      this.timers.ping = setTimeout(() => {
        if (!this.isOpen()) return;
        if (Date.now() - this.lastReceivedAt >= this.options.pingIntervalMs &&
            !this.timers.pong) {
          this.send({ type: 'ping', ref: this.ref('ping') });
          this.timers.pong = setTimeout(() => this.abandon('keepalive timeout'),
                                        this.options.pongTimeoutMs);
        }
        this.armKeepalive();
      }, this.options.pingIntervalMs);
    }

    // ---- incoming ----------------------------------------------------------------------

    onFrame(raw) {
      this.lastReceivedAt = Date.now();
      clearTimeout(this.timers.pong);  // any frame is a sign of life
      this.timers.pong = 0;
      let m;
      try { m = JSON.parse(raw); } catch { return; }  // not ours to interpret
      if (!m || typeof m !== 'object') return;
      switch (m.type) {
        case 'welcome': return this.onWelcome(m);
        case 'joined': return this.onJoined(m);
        case 'msg': return this.onMsg(m);
        case 'ack': return this.onAck(m);
        case 'presence': return this.emit('presence', m);
        case 'members': return this.emit('members', m);
        case 'left': return this.emit('left', m);
        case 'error': return this.onError(m);
        default: return undefined;  // pong, and types from a newer server
      }
    }

    onWelcome(m) {
      clearTimeout(this.timers.connect);
      this.timers.connect = 0;
      if (typeof m.session === 'string' && SESSION_RE.test(m.session)) {
        this.session = m.session;
        this.store.set('session', m.session);
      }
      const member = m.member && typeof m.member === 'object' ? m.member : {};
      this.memberSession = typeof member.session === 'string' && member.session ? member.session
                                                                                  : null;
      if (Number.isInteger(m.max_message_size)) this.maxMessageSize = m.max_message_size;
      this.openedAt = Date.now();
      this.setState('open', { session: this.session, memberSession: this.memberSession,
                              nick: m.nick, resumed: this.attempt > 0 });
      this.armKeepalive();
      // Joins before the re-sent messages: the server handles a connection's commands in
      // order, so every pub below lands in a joined room.
      for (const room of this.rooms.keys()) this.sendJoin(room);
    }

    sendJoin(name) {
      const room = this.rooms.get(name);
      const join = { type: 'join', room: name, ref: this.ref('join', name) };
      room.resumeFrom = 0;
      if (room.epoch && room.lastSeq > 0) {
        join.since = room.lastSeq;
        join.epoch = room.epoch;
      } else if (room.lastSeq > 0) {
        // We saw messages but never learnt their epoch (the room was empty when we joined:
        // `joined` then carries epoch ""). Ask for the newest messages and skip those we have;
        // onJoined/onMsg check that nothing is missing in between.
        join.history = RESUME_HISTORY_MAX;
        room.resumeFrom = room.lastSeq;
      } else {
        join.history = this.options.historyLimit;
      }
      room.joining = true;
      this.send(join);
      // Un-acked messages for this room go right behind the join (same id: no duplicates).
      for (const entry of this.outbox) if (entry.room === name) this.sendPub(entry);
    }

    onJoined(m) {
      const room = this.rooms.get(m.room);
      if (!room) return;
      room.joining = false;
      room.joined = true;
      const epochless = room.resumeFrom > 0;
      const asked = room.lastSeq > 0;
      let resetReason = '';
      if (epochless) {
        // History went backwards (a wiped store) or we are further behind than it replays.
        if (m.last_seq < room.resumeFrom) resetReason = 'epoch_changed';
        else if (m.last_seq - room.resumeFrom > RESUME_HISTORY_MAX) resetReason = 'history_trimmed';
      } else if (asked && !m.recovered) {
        resetReason = m.reason || 'epoch_changed';
      }
      if (m.epoch) room.epoch = m.epoch;
      if (resetReason) return this.reloadRoom(m.room, resetReason);
      room.fresh = !asked;
      room.replayUpTo = m.last_seq;
      this.emit('joined', { room: m.room, epoch: m.epoch, lastSeq: m.last_seq,
                            recovered: !!m.recovered, reason: m.reason, fresh: room.fresh });
      this.send({ type: 'members', room: m.room, ref: this.ref('members', m.room) });
    }

    // Our state for the room can't be brought up to date by messages: start it over with the
    // newest history. Messages of the old subscription still in flight are dropped (joining).
    reloadRoom(name, reason) {
      const room = this.rooms.get(name);
      Object.assign(room, { epoch: '', lastSeq: 0, joined: false, resumeFrom: 0 });
      this.emit('reset', { room: name, reason });
      this.send({ type: 'leave', room: name });
      this.sendJoin(name);
    }

    onMsg(m) {
      const room = this.rooms.get(m.room);
      if (!room || room.joining || !room.joined) return;  // stale: left or being reloaded
      const from = m.from && typeof m.from === 'object' ? m.from : {};
      const message = {
        room: m.room, seq: m.seq, qos: m.qos, id: m.id, ts: m.ts, data: m.data,
        from: { nick: String(from.nick ?? '?'), session: String(from.session ?? '') },
        mine: !!this.memberSession && from.session === this.memberSession,
        history: false,
      };
      if (m.qos === 1 && Number.isInteger(m.seq)) {
        if (m.seq <= room.lastSeq) return;  // already delivered (replay overlap, resume seam)
        if (room.resumeFrom > 0) {
          const gap = m.seq > room.lastSeq + 1;
          room.resumeFrom = 0;
          if (gap) return this.reloadRoom(m.room, 'history_trimmed');
        }
        room.lastSeq = m.seq;
        message.history = room.fresh && m.seq <= room.replayUpTo;
        if (message.mine && m.id) this.settle(m.room, m.id);
      }
      this.emit('message', message);
    }

    onAck(m) {
      this.settle(m.room, m.id);
      this.emit('ack', { room: m.room, id: m.id, seq: m.seq, duplicate: !!m.duplicate });
    }

    // The message is stored (ack, or our own msg came back): stop re-sending it.
    settle(room, id) {
      const i = this.outbox.findIndex((e) => e.room === room && e.id === id);
      if (i < 0) return;
      this.outbox.splice(i, 1);
      this.saveOutbox();
    }

    onError(m) {
      const info = m.ref ? this.refs.get(m.ref) : undefined;
      const entry = m.ref ? this.outbox.find((e) => e.id === m.ref) : undefined;
      if (entry) {
        if (FINAL_PUB_ERRORS.has(m.code)) {
          this.settle(entry.room, entry.id);
          this.emit('failed', { ...entry, code: m.code, message: m.message });
          return;
        }
        // unavailable / rate_limited: maybe not stored; re-send the same id a bit later.
        setTimeout(() => {
          if (this.isOpen() && this.outbox.includes(entry)) this.sendPub(entry);
        }, this.options.retryUnavailableMs);
      } else if (info?.kind === 'join' && this.rooms.has(info.room)) {
        const room = this.rooms.get(info.room);
        room.joining = false;
        if (m.code === 'unavailable' || m.code === 'rate_limited') {
          setTimeout(() => {
            if (this.isOpen() && this.rooms.get(info.room) === room && !room.joined &&
                !room.joining) {
              this.sendJoin(info.room);
            }
          }, this.options.retryUnavailableMs);
        }
      }
      this.emit('error', { code: m.code, message: m.message, field: m.field, ref: m.ref,
                           room: entry?.room ?? info?.room });
    }

    sendPub(entry) {
      const pub = { type: 'pub', room: entry.room, qos: 1, id: entry.id, data: entry.data,
                    ref: entry.id };
      const frame = JSON.stringify(pub);
      if (utf8Length(frame) > this.maxMessageSize) {
        // Sending it would get the connection closed (1009) again and again.
        this.settle(entry.room, entry.id);
        this.emit('failed', { ...entry, code: 'too_large', message: 'message too large' });
        return;
      }
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
    }

    // ---- storage -----------------------------------------------------------------------

    loadOutbox() {
      try {
        const list = JSON.parse(this.store.get('outbox') || '[]');
        return Array.isArray(list)
          ? list.filter((e) => e && typeof e.room === 'string' && typeof e.id === 'string')
          : [];
      } catch {
        return [];
      }
    }

    // Two tabs of one profile share the key; the last writer wins. Each tab still holds its
    // own entries in memory, so only a reload of the other tab could miss one.
    saveOutbox() {
      this.store.set('outbox', JSON.stringify(this.outbox.map(({ room, id, data }) =>
        ({ room, id, data }))));
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail }));
    }
  }

  global.ConfabClient = ConfabClient;
})(globalThis);
