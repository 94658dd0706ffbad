/**
 * Time to first frame for a new WebSocket viewer: from opening the WebSocket (the grant already in
 * hand) until the init segment and the first keyframe fragment have been received. Through the real
 * app on 127.0.0.1: a parent's session, POST /api/streams over HTTP, then the `ws` client.
 *
 * - live camera: the demo camera is already running (another viewer keeps it live), so the hub
 *   answers from its GOP cache;
 * - idle camera: nobody is watching and the camera has idled out, so ffmpeg must start, analyse its
 *   input and emit its first keyframe (the demo source encodes a test pattern with libx264).
 */
import WebSocket from 'ws';
import { Fmp4Parser } from '../src/media/fmp4.js';
import type { IssuedStream } from '../src/streams/grant-service.js';
import type { Okno, Session } from './lib/okno.js';
import { procCpuMs } from './lib/proc.js';
import type { Figure } from './lib/report.js';
import { sleep, summarize, waitFor } from './lib/stats.js';

export interface FirstFrameOptions {
  liveRepetitions: number;
  idleRepetitions: number;
}

interface Sample {
  grantMs: number;
  firstFrameMs: number;
}

/** Requires an Okno listening on 127.0.0.1 with a short camera idle timeout (idleStopMs). */
export async function benchFirstFrame(okno: Okno, opts: FirstFrameOptions): Promise<Figure[]> {
  const host = okno.host!;
  const camera = okno.ids.cameras.bees;
  const anna = await okno.session(okno.ids.people.anna);
  const staff = await okno.session(okno.ids.people.kgAdmin);

  // Keep the camera live with another viewer (staff, so the parent's stream cap is not touched).
  const anchorGrant = await okno.grant(staff, camera);
  const anchor = new WebSocket(`ws://${host}${anchorGrant.wsUrl}`, {
    headers: { cookie: staff.cookie },
    perMessageDeflate: false,
  });
  let anchorFrames = 0;
  anchor.on('message', (_d, isBinary) => {
    if (isBinary) anchorFrames++;
  });
  await waitFor(() => anchorFrames >= 2, 'the anchor viewer to see a picture', 20_000);
  await sleep(1500); // a full GOP in the cache, ffmpeg settled

  await viewOnce(host, anna, camera); // warm-up: HTTP client, JIT
  const live: Sample[] = [];
  for (let i = 0; i < opts.liveRepetitions; i++) {
    live.push(await viewOnce(host, anna, camera));
    await streamEnded(okno);
    await sleep(50 + Math.random() * 200); // land at different points of the GOP
  }
  anchor.close();

  const idle: Sample[] = [];
  for (let i = 0; i < opts.idleRepetitions; i++) {
    await cameraStopped(okno, camera);
    idle.push(await viewOnce(host, anna, camera));
    await streamEnded(okno);
  }
  await cameraStopped(okno, camera);

  const liveS = summarize(live.map((s) => s.firstFrameMs));
  const idleS = summarize(idle.map((s) => s.firstFrameMs));
  const grantS = summarize([...live, ...idle].map((s) => s.grantMs));
  return [
    {
      id: 'ttff.live',
      title: 'time to first frame, live camera',
      unit: 'ms',
      summary: liveS,
      over: `${live.length} viewers, one after another`,
      goal: { on: 'median', op: '<=', value: 150 },
      notes: [
        'WebSocket opened with a grant in hand → init + keyframe fragment received (real app on 127.0.0.1, parent session, ws client in the bench process)',
      ],
    },
    {
      id: 'ttff.idle',
      title: 'time to first frame, idle camera',
      unit: 'ms',
      summary: idleS,
      over: `${idle.length} cold starts`,
      goal: { on: 'median', op: '<=', value: 1500 },
      notes: [
        'camera idled out (ffmpeg gone) before each viewer; includes spawning ffmpeg, its input analysis and the first libx264 keyframe of the demo source',
      ],
    },
    {
      id: 'grant.http',
      title: 'POST /api/streams (grant) over HTTP',
      unit: 'ms',
      summary: grantS,
      over: `${live.length + idle.length} requests`,
      notes: ['not part of the time to first frame above; printed for context'],
    },
  ];
}

async function viewOnce(host: string, session: Session, cameraId: string): Promise<Sample> {
  const t0 = performance.now();
  const res = await fetch(`http://${host}/api/streams`, {
    method: 'POST',
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrfToken,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ cameraId }),
  });
  if (!res.ok) throw new Error(`POST /api/streams: ${res.status} ${await res.text()}`);
  const grant = (await res.json()) as IssuedStream;
  const t1 = performance.now();
  const binaries: Buffer[] = [];
  const texts: string[] = [];
  const socket = new WebSocket(`ws://${host}${grant.wsUrl}`, {
    headers: { cookie: session.cookie },
    perMessageDeflate: false,
  });
  const t2 = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no first frame within 20 s')), 20_000);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        texts.push(data.toString());
        return;
      }
      binaries.push(data);
      if (binaries.length === 2) {
        clearTimeout(timer);
        resolve(performance.now());
      }
    });
    socket.once('close', () => reject(new Error(`closed before the first frame: ${texts.join(' ')}`)));
    socket.once('error', reject);
  });
  socket.removeAllListeners('close');
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });
  // What arrived must really be a picture: an init segment and a fragment starting with a keyframe.
  const items = new Fmp4Parser().push(Buffer.concat(binaries));
  const first = items.find((i) => i.type === 'fragment');
  if (items[0]?.type !== 'init' || first?.type !== 'fragment' || !first.fragment.keyframe)
    throw new Error('the first messages were not init + a keyframe fragment');
  if (!texts[0]?.includes('"init"')) throw new Error('no {type:"init"} message before the init segment');
  return { grantMs: t1 - t0, firstFrameMs: t2 - t1 };
}

/** Waits until the registry has recorded the end of the parent's stream (the stream cap is 2). */
async function streamEnded(okno: Okno): Promise<void> {
  const anna = okno.ids.people.anna;
  await waitFor(
    async () => {
      const open = await okno.db.kysely
        .selectFrom('stream_sessions')
        .select('id')
        .where('person_id', '=', anna)
        .where('ended_at', 'is', null)
        .where('started_at', 'is not', null)
        .execute();
      return open.length === 0;
    },
    'the stream to be recorded as ended',
    10_000,
  );
}

/** Waits until the camera has idled out and its ffmpeg has exited. */
async function cameraStopped(okno: Okno, cameraId: string): Promise<void> {
  const cam = okno.ctx.live.cameras.get(cameraId);
  const pid = cam?.supervisor.stats().pid;
  await waitFor(() => okno.ctx.live.cameras.get(cameraId) === undefined, 'the camera to idle out', 30_000);
  if (pid !== undefined) await waitFor(() => procCpuMs(pid) === undefined, 'ffmpeg to exit', 10_000);
}
