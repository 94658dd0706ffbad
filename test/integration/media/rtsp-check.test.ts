/**
 * The idle camera check (one RTSP DESCRIBE, no ffmpeg) against the real GStreamer camera: fine, wrong
 * password, wrong path, nothing listening, hung; and Digest answers computed as RFC 2617 says.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { authorizationFor, checkRtsp, tcpReachable } from '../../../src/media/rtsp-check.js';
import { skipWithoutRtspCamera, startRtspCamera, type RtspCamera } from '../../support/rtsp-camera.js';

const skip = skipWithoutRtspCamera();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('Digest authorization (RFC 2617 example values)', () => {
  const h = authorizationFor(
    'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
    'GET',
    '/dir/index.html',
    'Mufasa',
    'Circle Of Life',
  );
  // Without qop: response = MD5(HA1:nonce:HA2).
  assert.match(h ?? '', /response="670fd8c2df070c60b045671b8b24ff02"/);
  assert.equal(authorizationFor('Basic realm="x"', 'DESCRIBE', '/', 'a', 'b'), 'Basic YTpi');
});

describe('idle camera check with the real RTSP camera', { skip }, () => {
  let cam: RtspCamera;
  let hung: RtspCamera;
  before(async () => {
    cam = await startRtspCamera({ user: 'okno', password: 'pass-1' });
    hung = await startRtspCamera();
    hung.pause();
  });
  after(async () => {
    await cam.stop();
    await hung.stop();
  });

  test('fine, auth failed, not found, unreachable, timeout', async () => {
    const ok = await checkRtsp({ url: cam.url, username: 'okno', password: 'pass-1' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const code = async (o: Parameters<typeof checkRtsp>[0]) => {
      const r = await checkRtsp(o);
      return r.ok ? 'ok' : r.failure.code;
    };
    assert.equal(await code({ url: cam.url, username: 'okno', password: 'wrong' }), 'auth_failed');
    assert.equal(await code({ url: cam.url }), 'auth_failed');
    assert.equal(await code({ url: `${cam.url}-nope`, username: 'okno', password: 'pass-1' }), 'not_found');
    const closed = await freePort();
    assert.equal(await code({ url: `rtsp://127.0.0.1:${closed}/cam` }), 'unreachable');
    assert.equal(await tcpReachable(`rtsp://127.0.0.1:${closed}/cam`), false);
    assert.equal(await tcpReachable(cam.url), true);
    assert.equal(await code({ url: hung.url, timeoutMs: 1000 }), 'timeout');
  });
});
