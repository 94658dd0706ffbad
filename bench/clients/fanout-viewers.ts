/**
 * Child process of the fan-out benchmark: many viewers on loopback that read as fast as they can and
 * count what they get. `ws` viewers open Okno's WebSocket endpoint (a hand-made upgrade request, then
 * only frame headers are read); `tcp` viewers connect to the bare fan-out server and count fMP4
 * fragments in the byte stream.
 */
import net from 'node:net';
import { serveRequests } from '../lib/child.js';
import { BoxCounter, upgradeRequest, WsFrameCounter } from '../lib/wire.js';
import { procCpuMs } from '../lib/proc.js';

export type FanoutRequest =
  | { op: 'open'; kind: 'ws'; port: number; viewers: { path: string; cookie: string }[] }
  | { op: 'open'; kind: 'tcp'; port: number; count: number }
  | { op: 'counts' }
  | { op: 'closeAll' };

export interface OpenResult {
  opened: number;
  failed: number;
  firstError: string | undefined;
}

export interface Counts {
  /** Per viewer: fragments (binary messages / moof boxes) received so far. */
  fragments: number[];
  bytes: number[];
  /** Viewers whose connection has ended. */
  ended: number;
  texts: string[];
  cpuMs: number;
}

interface Viewer {
  socket: net.Socket;
  fragments(): number;
  bytes(): number;
  ended: boolean;
  texts(): string[];
}

const viewers: Viewer[] = [];
const HANDSHAKE_TIMEOUT_MS = 20_000;

function openWs(port: number, path: string, cookie: string): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const counter = new WsFrameCounter();
    let head: Buffer | undefined = Buffer.alloc(0);
    const viewer: Viewer = {
      socket,
      fragments: () => counter.binaryMessages,
      bytes: () => counter.payloadBytes,
      ended: false,
      texts: () => counter.texts,
    };
    const timer = setTimeout(() => {
      if (head === undefined) return;
      socket.destroy();
      reject(new Error(`no answer to the upgrade request within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    socket.once('connect', () => socket.write(upgradeRequest(`127.0.0.1:${port}`, path, cookie)));
    socket.on('data', (chunk: Buffer) => {
      if (head === undefined) {
        counter.push(chunk);
        return;
      }
      clearTimeout(timer);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = head.toString('latin1', 0, head.indexOf('\r\n'));
      const rest = head.subarray(end + 4);
      head = undefined;
      if (!/^HTTP\/1\.1 101/.test(status)) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      if (rest.length) counter.push(rest);
      resolve(viewer);
    });
    socket.once('error', (err) => reject(err));
    socket.once('close', () => {
      clearTimeout(timer);
      viewer.ended = true;
      if (head !== undefined) reject(new Error('connection closed before the upgrade'));
    });
  });
}

function openTcp(port: number): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const counter = new BoxCounter();
    const viewer: Viewer = {
      socket,
      fragments: () => counter.moofs,
      bytes: () => counter.bytes,
      ended: false,
      texts: () => [],
    };
    socket.on('data', (chunk: Buffer) => counter.push(chunk));
    socket.once('connect', () => resolve(viewer));
    socket.once('error', (err) => reject(err));
    socket.once('close', () => (viewer.ended = true));
  });
}

/** Opens connections with at most `parallel` handshakes in flight. */
async function openMany(count: number, open: (i: number) => Promise<Viewer>): Promise<OpenResult> {
  const parallel = 25;
  let next = 0;
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        viewers.push(await open(i));
        opened++;
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return { opened, failed, firstError };
}

serveRequests(async (body) => {
  const req = body as FanoutRequest;
  switch (req.op) {
    case 'open':
      return req.kind === 'ws'
        ? openMany(req.viewers.length, (i) => openWs(req.port, req.viewers[i]!.path, req.viewers[i]!.cookie))
        : openMany(req.count, () => openTcp(req.port));
    case 'counts': {
      const texts = new Set<string>();
      for (const v of viewers) for (const t of v.texts()) if (!t.includes('"init"')) texts.add(t);
      return {
        fragments: viewers.map((v) => v.fragments()),
        bytes: viewers.map((v) => v.bytes()),
        ended: viewers.filter((v) => v.ended).length,
        texts: [...texts].slice(0, 5),
        cpuMs: procCpuMs(process.pid) ?? 0,
      } satisfies Counts;
    }
    case 'closeAll': {
      const closing = viewers.splice(0);
      await Promise.all(
        closing.map(
          (v) =>
            new Promise<void>((resolve) => {
              if (v.ended) return resolve();
              v.socket.once('close', () => resolve());
              v.socket.destroy();
            }),
        ),
      );
      return { closed: closing.length };
    }
  }
});
