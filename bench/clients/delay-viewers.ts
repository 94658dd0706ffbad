/**
 * Child process of the delay benchmark: WebSocket viewers (the `ws` client, as a browser-like peer
 * would be) that stamp the moment each fragment message is complete, keyed by the fragment's mfhd
 * sequence number, on the wall clock shared with the server process.
 */
import WebSocket from 'ws';
import { serveRequests } from '../lib/child.js';
import { epochMs } from '../lib/stats.js';
import { fragmentSequence, prftWallclockMs } from '../lib/wire.js';

export type DelayRequest =
  | { op: 'open'; viewers: { url: string; cookie: string }[] }
  | { op: 'record' }
  | { op: 'results' }
  | { op: 'closeAll' };

export interface DelayResults {
  /** sequence number → receive times (epoch ms), one per viewer that got it. */
  received: Record<string, number[]>;
  /** Receive time minus the fragment's prft wall clock (ffmpeg's write), ms, when it has one. */
  sinceFfmpeg: number[];
  /** Fragments each viewer received while recording. */
  perViewer: number[];
  closedViewers: number;
}

interface Viewer {
  socket: WebSocket;
  recorded: number;
  binaries: number;
  closed: boolean;
}

const viewers: Viewer[] = [];
let recording = false;
let received = new Map<number, number[]>();
let sinceFfmpeg: number[] = [];

function open(url: string, cookie: string): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { cookie }, perMessageDeflate: false });
    const viewer: Viewer = { socket, recorded: 0, binaries: 0, closed: false };
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const at = epochMs();
      viewer.binaries++;
      // init + the first (keyframe) fragment: the viewer is watching.
      if (viewer.binaries === 2) resolve(viewer);
      if (!recording || viewer.binaries <= 2) return;
      const seq = fragmentSequence(data);
      let list = received.get(seq);
      if (!list) received.set(seq, (list = []));
      list.push(at);
      const written = prftWallclockMs(data);
      if (written !== undefined) sinceFfmpeg.push(at - written);
      viewer.recorded++;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      viewer.closed = true;
      reject(new Error('closed before the first fragment'));
    });
  });
}

serveRequests(async (body) => {
  const req = body as DelayRequest;
  switch (req.op) {
    case 'open': {
      // A few at a time, as viewers arrive in practice; each resolves on its first picture.
      for (let i = 0; i < req.viewers.length; i += 20)
        viewers.push(...(await Promise.all(req.viewers.slice(i, i + 20).map((v) => open(v.url, v.cookie)))));
      return { opened: viewers.length };
    }
    case 'record':
      received = new Map();
      sinceFfmpeg = [];
      for (const v of viewers) v.recorded = 0;
      recording = true;
      return {};
    case 'results': {
      recording = false;
      const out: DelayResults = {
        received: Object.fromEntries([...received].map(([k, v]) => [String(k), v])),
        sinceFfmpeg,
        perViewer: viewers.map((v) => v.recorded),
        closedViewers: viewers.filter((v) => v.closed).length,
      };
      received = new Map();
      sinceFfmpeg = [];
      return out;
    }
    case 'closeAll': {
      const closing = viewers.splice(0);
      await Promise.all(
        closing.map(
          (v) =>
            new Promise<void>((resolve) => {
              if (v.closed) return resolve();
              v.socket.once('close', () => resolve());
              v.socket.terminate();
            }),
        ),
      );
      return { closed: closing.length };
    }
  }
});
