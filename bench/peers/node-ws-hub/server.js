// node-ws-hub: the comparison peer for confab's benchmarks (bench/run.sh), on the `ws` package.
// Rooms at /ws/rooms/{room} (every message to every member, sender included), echo at
// /ws/echo. Prints "node-ws-hub ready http=HOST:PORT" on stdout once listening.
// Usage: node server.js [--listen HOST:PORT]   (default 127.0.0.1:0, port 0 = any)
'use strict';

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const kMaxMessageBytes = 64 * 1024;
// ws has no per-client message queue bound; bufferedAmount (bytes not yet taken by the kernel)
// stands in for Gorilla's 256-message send channel. A member past it is dropped with 1013
// rather than slowing the room.
const kSendQueueBytes = 4 * 1024 * 1024;

function parseListen(argv) {
  const i = argv.indexOf('--listen');
  const value = i >= 0 ? argv[i + 1] : '127.0.0.1:0';
  const colon = value.lastIndexOf(':');
  if (colon < 0) throw new Error(`--listen ${value}: expected HOST:PORT`);
  return { host: value.slice(0, colon), port: Number(value.slice(colon + 1)) };
}

const rooms = new Map(); // room name -> Set of open sockets; a room is deleted when empty

function join(room, ws) {
  let members = rooms.get(room);
  if (!members) {
    members = new Set();
    rooms.set(room, members);
  }
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const member of members) {
      if (member.readyState !== WebSocket.OPEN) continue;
      if (member.bufferedAmount > kSendQueueBytes) {
        member.close(1013, 'send queue full');
        continue;
      }
      member.send(data, { binary: isBinary });
    }
  });
  ws.on('close', () => {
    members.delete(ws);
    if (members.size === 0 && rooms.get(room) === members) rooms.delete(room);
  });
}

function echo(ws) {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: kMaxMessageBytes,
});
wss.on('connection', (ws, path) => {
  ws.on('error', () => ws.terminate());
  if (path === '/ws/echo') echo(ws);
  else join(path.slice('/ws/rooms/'.length), ws);
});

const server = http.createServer((req, res) => {
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?')[0];
  const room = path.startsWith('/ws/rooms/') ? path.slice('/ws/rooms/'.length) : '';
  if (path !== '/ws/echo' && (room === '' || room.includes('/'))) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, path));
});

const { host, port } = parseListen(process.argv);
server.listen(port, host, () => {
  const a = server.address();
  process.stdout.write(`node-ws-hub ready http=${a.address}:${a.port}\n`);
});
