/**
 * Child process of the HLS benchmark: many HLS players on loopback, each on its own keep-alive
 * connection, that behave like real players and count what they get.
 *
 * - `segments`: a classic HLS player (what a static-file server can serve): reload the playlist
 *   every second, fetch the newest segment when there is a new one.
 * - `ll`: a Low-Latency HLS player: the playlist, then the part its preload hint names (the server
 *   answers when the part exists), then again — two requests per part, as hls.js does.
 */
import http from 'node:http';
import { serveRequests } from '../lib/child.js';

export type HlsViewersRequest =
  | {
      op: 'start';
      port: number;
      mode: 'segments' | 'll';
      /** per viewer: the playlist path (with its query) and the cookie to send */
      viewers: { playlist: string; cookie: string }[];
    }
  | { op: 'stop' };

export interface HlsViewersResult {
  requests: number;
  mediaBytes: number;
  media: number;
  errors: number;
  firstError: string | undefined;
}

let running = false;
let result: HlsViewersResult = { requests: 0, mediaBytes: 0, media: 0, errors: 0, firstError: undefined };
const loops: Promise<void>[] = [];

function get(
  agent: http.Agent,
  port: number,
  path: string,
  cookie: string,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fail(message: string): void {
  result.errors++;
  result.firstError ??= message;
}

async function segmentsPlayer(port: number, playlist: string, cookie: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const dir = playlist.slice(0, playlist.lastIndexOf('/') + 1);
  let last = '';
  while (running) {
    const started = Date.now();
    try {
      const p = await get(agent, port, playlist, cookie);
      result.requests++;
      if (p.status !== 200) fail(`playlist ${p.status}`);
      else {
        const uris = p.body
          .toString()
          .split('\n')
          .filter((l) => l && !l.startsWith('#'));
        const newest = uris[uris.length - 1];
        if (newest && newest !== last) {
          last = newest;
          const s = await get(agent, port, dir + newest, cookie);
          result.requests++;
          if (s.status !== 200) fail(`segment ${s.status}`);
          else {
            result.media++;
            result.mediaBytes += s.body.length;
          }
        }
      }
    } catch (err) {
      fail(String(err));
    }
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
  agent.destroy();
}

async function llPlayer(port: number, playlist: string, cookie: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const dir = playlist.slice(0, playlist.lastIndexOf('/') + 1);
  while (running) {
    try {
      const p = await get(agent, port, playlist, cookie);
      result.requests++;
      const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(p.body.toString())?.[1];
      if (p.status !== 200 || !hint) {
        fail(`playlist ${p.status}`);
        await sleep(200);
        continue;
      }
      const part = await get(agent, port, dir + hint, cookie);
      result.requests++;
      if (part.status !== 200) fail(`part ${part.status}`);
      else {
        result.media++;
        result.mediaBytes += part.body.length;
      }
    } catch (err) {
      fail(String(err));
      await sleep(200);
    }
  }
  agent.destroy();
}

serveRequests(async (body) => {
  const req = body as HlsViewersRequest;
  if (req.op === 'start') {
    running = true;
    result = { requests: 0, mediaBytes: 0, media: 0, errors: 0, firstError: undefined };
    for (const v of req.viewers) {
      const loop = req.mode === 'll' ? llPlayer : segmentsPlayer;
      loops.push(loop(req.port, v.playlist, v.cookie));
      await sleep(2); // spread the players over time, as real ones are
    }
    return { started: req.viewers.length };
  }
  running = false;
  await Promise.all(loops.splice(0));
  return result;
});
