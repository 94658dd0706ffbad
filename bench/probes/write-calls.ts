/**
 * Probe behind merged writes (docs/design/live-streams.md): what a socket write costs the sender, per
 * call and per byte. 500 loopback sockets (readers in a child process) are fed 510 KB/s each (a
 * 4 Mbit/s camera) as 26, 13, 6.5 or 3.25 writes a second; this process's CPU, user and system, three
 * rounds each. `node --import tsx bench/probes/write-calls.ts`
 */
import net from 'node:net';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOCKETS = 500;
const BYTES_PER_SECOND = 510_000;
const RATES = [26, 13, 6.5, 3.25];

if (process.argv[2] === 'readers') {
  const sockets: net.Socket[] = [];
  process.on('message', (m: { port: number }) => {
    let open = 0;
    for (let i = 0; i < SOCKETS; i++) {
      const s = net.connect(m.port, '127.0.0.1', () => {
        if (++open === SOCKETS) process.send!('ready');
      });
      s.on('data', () => undefined);
      sockets.push(s);
    }
  });
} else {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    sockets.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const child = fork(fileURLToPath(import.meta.url), ['readers'], { execArgv: process.execArgv });
  child.send({ port: (server.address() as net.AddressInfo).port });
  await new Promise((resolve) => child.once('message', resolve));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const results = new Map<number, { user: number; system: number }[]>();
  for (let round = 0; round < 3; round++)
    for (const rate of RATES) {
      const chunk = Buffer.alloc(Math.round(BYTES_PER_SECOND / rate), 7);
      const timer = setInterval(() => {
        for (const s of sockets) s.write(chunk);
      }, 1000 / rate);
      await sleep(500);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(3000);
      const c = process.cpuUsage(c0);
      const ms = performance.now() - t0;
      clearInterval(timer);
      results.set(rate, [
        ...(results.get(rate) ?? []),
        { user: c.user / 1000 / ms, system: c.system / 1000 / ms },
      ]);
      await sleep(300);
    }
  for (const [rate, rounds] of results) {
    const cores = rounds.map((r) => r.user + r.system).sort((a, b) => a - b);
    const median = cores[1]!;
    console.log(
      `${rate} writes/s of ${Math.round(BYTES_PER_SECOND / rate)} B to ${SOCKETS} sockets: ` +
        `cores ${cores.map((c) => c.toFixed(3)).join(' / ')} (median ${median.toFixed(3)}, ` +
        `${(SOCKETS / median).toFixed(0)} viewers per core; system share ${(
          rounds.reduce((a, r) => a + r.system, 0) / rounds.reduce((a, r) => a + r.user + r.system, 0)
        ).toFixed(2)})`,
    );
  }
  child.kill();
  server.close();
  for (const s of sockets) s.destroy();
}
