/**
 * Probe behind the LL-HLS open point (docs/design/live-hls.md): Node's own floor per HTTP request.
 * A bare `node:http` server answers every request with a fixed in-memory body (a 1.5 kB playlist or
 * an 80 kB part, as LL-HLS players fetch them), 50 keep-alive clients in a child process ask as fast
 * as they can for 4 s; this process's CPU per request. Nothing of Okno runs: no routing, no grant, no
 * hooks. `node --import tsx bench/probes/http-floor.ts`
 */
import http from 'node:http';
import type net from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Ask {
  port: number;
  path: string;
  connections: number;
  ms: number;
}

if (process.argv[2] === 'clients') {
  process.on('message', (m: Ask) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: m.connections });
    let done = 0;
    const end = Date.now() + m.ms;
    const client = () =>
      new Promise<void>((resolve) => {
        const next = (): void => {
          if (Date.now() > end) return resolve();
          http.get({ host: '127.0.0.1', port: m.port, path: m.path, agent }, (res) => {
            res.resume();
            res.on('end', () => {
              done++;
              next();
            });
          });
        };
        next();
      });
    void Promise.all(Array.from({ length: m.connections }, client)).then(() => process.send!(done));
  });
} else {
  const playlist = Buffer.alloc(1500, 1);
  const part = Buffer.alloc(80_000, 1);
  const server = http.createServer((req, res) => {
    const body = req.url?.startsWith('/part') ? part : playlist;
    res.writeHead(200, { 'content-type': 'video/iso.segment', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const child = fork(fileURLToPath(import.meta.url), ['clients'], { execArgv: process.execArgv });
  for (const path of ['/playlist', '/part', '/playlist', '/part']) {
    const c0 = process.cpuUsage();
    child.send({ port, path, connections: 50, ms: 4000 } satisfies Ask);
    const n = await new Promise<number>((resolve) => child.once('message', (m) => resolve(m as number)));
    const c = process.cpuUsage(c0);
    console.log(
      `${path}: ${n} requests, ${((c.user + c.system) / n).toFixed(1)} µs of server CPU per request ` +
        `(user ${(c.user / n).toFixed(1)}, system ${(c.system / n).toFixed(1)})`,
    );
  }
  child.kill();
  server.close();
}
