import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { LiveHub, writableSink } from '../../../src/media/hub.js';
import type { DeliveryInfo, FragmentBatch, ViewerSink } from '../../../src/media/hub.js';
import { parseInitSegment } from '../../../src/media/fmp4.js';
import type { Fragment } from '../../../src/media/fmp4.js';
import { H264_TRACK, initSegment } from './helpers.js';

const INIT = parseInitSegment(initSegment([H264_TRACK]));

function frag(sequenceNumber: number, keyframe: boolean, bytes = 1000): Fragment {
  const data = Buffer.alloc(bytes, sequenceNumber & 0xff);
  data.writeUInt32BE(sequenceNumber, 0);
  return { data, keyframe, sequenceNumber, trackId: 1, sampleCount: 1 };
}

interface Received {
  kind: DeliveryInfo['kind'];
  seq: number | undefined;
  keyframe: boolean;
  generation: number;
}

/** A sink recording what it gets; `accept` decides the backpressure answer. */
class RecordingSink implements ViewerSink {
  received: Received[] = [];
  closedWith: string | undefined;
  accept = true;
  throwOnWrite = false;
  private drain: (() => void) | undefined;

  write(data: Buffer, info: DeliveryInfo): boolean {
    if (this.throwOnWrite) throw new Error('socket gone');
    this.received.push({
      kind: info.kind,
      seq: info.kind === 'fragment' ? data.readUInt32BE(0) : undefined,
      keyframe: info.keyframe,
      generation: info.generation,
    });
    return this.accept;
  }
  onDrain(callback: () => void): void {
    this.drain = callback;
  }
  close(reason: string): void {
    this.closedWith = reason;
  }
  /** The transport caught up. */
  drained(): void {
    this.accept = true;
    this.drain?.();
  }
  seqs(): (number | undefined)[] {
    return this.received.filter((r) => r.kind === 'fragment').map((r) => r.seq);
  }
}

/** A sink that also takes merged writes, noting each call's fragments. */
class BatchSink extends RecordingSink {
  calls: number[][] = [];
  batches: FragmentBatch[] = [];
  override write(data: Buffer, info: DeliveryInfo): boolean {
    if (info.kind === 'fragment') this.calls.push([data.readUInt32BE(0)]);
    return super.write(data, info);
  }
  writeBatch(batch: FragmentBatch): boolean {
    this.batches.push(batch);
    this.calls.push(batch.fragments.map((f) => f.data.readUInt32BE(0)));
    batch.fragments.forEach((f, i) => super.write(f.data, batch.infos[i]!));
    return this.accept;
  }
}

describe('LiveHub', () => {
  test('a new viewer gets init + everything since the last keyframe at once', () => {
    const hub = new LiveHub();
    hub.setInit(INIT);
    hub.publish(frag(1, true));
    hub.publish(frag(2, false));
    hub.publish(frag(3, true));
    hub.publish(frag(4, false));
    hub.publish(frag(5, false));
    const sink = new RecordingSink();
    hub.subscribe(sink);
    assert.deepEqual(sink.received[0], { kind: 'init', seq: undefined, keyframe: true, generation: 1 });
    assert.deepEqual(sink.seqs(), [3, 4, 5]);
    assert.equal(sink.received[1]?.keyframe, true);
    hub.publish(frag(6, false));
    assert.deepEqual(sink.seqs(), [3, 4, 5, 6]);
    assert.deepEqual(hub.latestKeyframe()?.fragment.sequenceNumber, 3);
  });

  test('a viewer that comes before the camera gets init, then starts at the first keyframe', () => {
    const hub = new LiveHub();
    const sink = new RecordingSink();
    hub.subscribe(sink);
    hub.publish(frag(1, true)); // no init yet: nothing to play, ignored
    assert.equal(sink.received.length, 0);
    hub.setInit(INIT);
    hub.publish(frag(2, false));
    hub.publish(frag(3, true));
    hub.publish(frag(4, false));
    assert.equal(sink.received[0]?.kind, 'init');
    assert.deepEqual(sink.seqs(), [3, 4]);
  });

  test('a slow viewer does not delay a fast one, and drops back to the next keyframe', () => {
    const hub = new LiveHub({ maxQueueFragments: 5, maxQueueBytes: 1_000_000 });
    hub.setInit(INIT);
    const fast = new RecordingSink();
    const slow = new RecordingSink();
    hub.subscribe(fast);
    hub.subscribe(slow);
    slow.accept = false; // its socket buffer is full from the first write on
    const drops: number[] = [];
    hub.on('drop', (s) => drops.push(s.id));

    let seq = 0;
    for (let gop = 0; gop < 4; gop++) {
      for (let i = 0; i < 10; i++) {
        seq++;
        hub.publish(frag(seq, i === 0));
        // The fast viewer has every fragment the moment it is published.
        assert.equal(fast.seqs().at(-1), seq);
      }
    }
    assert.deepEqual(
      fast.seqs(),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const slowStats = hub.viewerStats().find((v) => v.id === 2);
    assert.ok(slowStats);
    assert.ok(slowStats.drops >= 1, 'the slow viewer dropped');
    assert.ok(slowStats.queuedFragments <= 5, 'its queue stayed bounded');
    assert.ok(drops.length >= 1);
    assert.equal(hub.stats().drops, slowStats.drops);

    // The slow viewer catches up: what it gets next begins with a keyframe, then is contiguous.
    const before = slow.received.length;
    slow.drained();
    for (let i = 0; i < 5; i++) hub.publish(frag(41 + i, i === 0));
    const after = slow.received.slice(before);
    assert.ok(after.length >= 5);
    assert.equal(after[0]?.keyframe, true);
    const seqs = after.map((r) => r.seq!);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1);
    assert.equal(slow.seqs().at(-1), 45);
    assert.equal(fast.seqs().at(-1), 45);
  });

  test('queue limit by bytes', () => {
    const hub = new LiveHub({ maxQueueBytes: 3500, maxQueueFragments: 1000 });
    hub.setInit(INIT);
    const sink = new RecordingSink();
    hub.subscribe(sink);
    sink.accept = false;
    hub.publish(frag(1, true)); // written (sink says: full)
    hub.publish(frag(2, false)); // queued 1000
    hub.publish(frag(3, false)); // queued 2000
    hub.publish(frag(4, false)); // queued 3000
    assert.equal(hub.viewerStats()[0]?.drops, 0);
    hub.publish(frag(5, false)); // 4000 > 3500: drop all, wait for a keyframe
    const stats = hub.viewerStats()[0];
    assert.equal(stats?.drops, 1);
    assert.equal(stats?.queuedBytes, 0);
    assert.equal(stats?.waitingForKeyframe, true);
    assert.equal(stats?.droppedFragments, 4);
    hub.publish(frag(6, false)); // skipped: not a keyframe
    hub.publish(frag(7, true)); // queued
    sink.drained();
    assert.deepEqual(sink.seqs(), [1, 7]);
  });

  test('50 viewers all receive every fragment in order', () => {
    const hub = new LiveHub();
    hub.setInit(INIT);
    hub.publish(frag(1, true));
    const sinks = Array.from({ length: 50 }, () => new RecordingSink());
    for (const sink of sinks) hub.subscribe(sink);
    // Some viewers report backpressure now and then but drain quickly: none may lose anything.
    for (let seq = 2; seq <= 300; seq++) {
      sinks.forEach((sink, i) => {
        sink.accept = (seq + i) % 7 !== 0;
      });
      hub.publish(frag(seq, seq % 25 === 1));
      for (const sink of sinks) if (!sink.accept) sink.drained();
    }
    const expected = Array.from({ length: 300 }, (_, i) => i + 1);
    for (const sink of sinks) assert.deepEqual(sink.seqs(), expected);
    assert.equal(hub.stats().drops, 0);
    assert.equal(hub.viewerCount, 50);
  });

  test('a new init segment restarts every viewer at the next keyframe', () => {
    const hub = new LiveHub();
    hub.setInit(INIT);
    const sink = new RecordingSink();
    hub.subscribe(sink);
    hub.publish(frag(1, true));
    hub.publish(frag(2, false));
    hub.setInit(INIT); // ffmpeg restarted
    assert.equal(hub.latestKeyframe(), undefined);
    hub.publish(frag(1, false));
    hub.publish(frag(2, true));
    const kinds = sink.received.map((r) => `${r.kind}:${r.seq ?? '-'}:${r.generation}`);
    assert.deepEqual(kinds, ['init:-:1', 'fragment:1:1', 'fragment:2:1', 'init:-:2', 'fragment:2:2']);
  });

  test('reset() forgets the GOP so a new viewer never starts on stale pictures', () => {
    const hub = new LiveHub();
    hub.setInit(INIT);
    hub.publish(frag(1, true));
    hub.reset();
    const sink = new RecordingSink();
    hub.subscribe(sink);
    assert.deepEqual(sink.seqs(), []);
    hub.publish(frag(2, false));
    hub.publish(frag(3, true));
    assert.deepEqual(sink.seqs(), [3]);
  });

  test('a GOP larger than the cache is not cached', () => {
    const hub = new LiveHub({ maxCacheFragments: 3 });
    hub.setInit(INIT);
    for (let seq = 1; seq <= 5; seq++) hub.publish(frag(seq, seq === 1));
    assert.equal(hub.stats().cachedFragments, 0);
    hub.publish(frag(6, true));
    assert.equal(hub.stats().cachedFragments, 1);
  });

  test('a failing sink closes only its viewer; viewer count events', () => {
    const hub = new LiveHub();
    const counts: number[] = [];
    hub.on('viewers', (n) => counts.push(n));
    hub.setInit(INIT);
    const good = new RecordingSink();
    const bad = new RecordingSink();
    hub.subscribe(good);
    const badViewer = hub.subscribe(bad);
    bad.throwOnWrite = true;
    hub.publish(frag(1, true));
    assert.equal(badViewer.isClosed, true);
    assert.equal(bad.closedWith, 'sink_error');
    assert.deepEqual(good.seqs(), [1]);
    const goodViewer = hub.viewerStats()[0];
    assert.equal(goodViewer?.sentFragments, 1);
    hub.close('camera_disabled');
    assert.equal(good.closedWith, 'camera_disabled');
    assert.deepEqual(counts, [1, 2, 1, 0]);
    assert.throws(() => hub.subscribe(new RecordingSink()));
  });

  test("writableSink follows a stream's write()/drain backpressure", async () => {
    const hub = new LiveHub({ maxQueueFragments: 1000, maxQueueBytes: 10_000_000 });
    hub.setInit(INIT);
    const stream = new PassThrough({ highWaterMark: 4096 });
    hub.subscribe(writableSink(stream));
    for (let seq = 1; seq <= 20; seq++) hub.publish(frag(seq, seq === 1));
    const stats = hub.viewerStats()[0];
    assert.equal(stats?.blocked, true);
    assert.ok((stats?.queuedFragments ?? 0) > 0);
    // Reading the stream drains it; the hub then flushes the queue.
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('queue never flushed')), 2000);
      const check = (): void => {
        if (hub.viewerStats()[0]?.queuedFragments === 0) {
          clearTimeout(timer);
          resolve();
        } else setImmediate(check);
      };
      check();
    });
    const total = Buffer.concat(chunks);
    assert.equal(total.length, INIT.data.length + 20 * 1000);
  });
});

describe('LiveHub merged writes (a crowded camera)', () => {
  test('below the threshold every fragment is written when it arrives', () => {
    const hub = new LiveHub({ mergeFromViewers: 3 });
    hub.setInit(INIT);
    const a = new BatchSink();
    const b = new BatchSink();
    hub.subscribe(a);
    hub.subscribe(b);
    for (let seq = 1; seq <= 4; seq++) hub.publish(frag(seq, seq === 1));
    assert.equal(hub.merging, false);
    assert.deepEqual(a.calls, [[1], [2], [3], [4]]);
    assert.equal(a.batches.length, 0);
  });

  test('from the threshold on, two fragments go in one write, shared by every viewer', () => {
    const hub = new LiveHub({ mergeFromViewers: 2 });
    hub.setInit(INIT);
    const a = new BatchSink();
    const b = new BatchSink();
    hub.subscribe(a);
    hub.subscribe(b);
    assert.equal(hub.merging, true);
    hub.publish(frag(1, true));
    assert.deepEqual(a.calls, [], 'the first of a pair waits for the second');
    hub.publish(frag(2, false));
    hub.publish(frag(3, false));
    hub.publish(frag(4, false));
    assert.deepEqual(a.calls, [
      [1, 2],
      [3, 4],
    ]);
    assert.deepEqual(b.seqs(), [1, 2, 3, 4]);
    assert.equal(a.batches[0], b.batches[0], 'one batch object per publish, for every viewer');
    assert.equal(a.batches[0]?.bytes, 2000);
    assert.equal(hub.viewerStats()[0]?.sentFragments, 4);
    assert.equal(hub.stats().publishedFragments, 4);
  });

  test('a fragment waits for its pair at most mergeHoldMs', async () => {
    const hub = new LiveHub({ mergeFromViewers: 1, mergeHoldMs: 30 });
    hub.setInit(INIT);
    const a = new BatchSink();
    hub.subscribe(a);
    hub.publish(frag(1, true));
    assert.deepEqual(a.seqs(), []);
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(a.calls, [[1]]);
    hub.publish(frag(2, false));
    hub.publish(frag(3, false));
    assert.deepEqual(a.calls, [[1], [2, 3]]);
    hub.close();
  });

  test('a viewer arriving while a fragment is held gets each fragment once, in order', () => {
    const hub = new LiveHub({ mergeFromViewers: 1 });
    hub.setInit(INIT);
    const a = new BatchSink();
    hub.subscribe(a);
    hub.publish(frag(1, true));
    hub.publish(frag(2, false));
    hub.publish(frag(3, false)); // held
    const late = new BatchSink();
    hub.subscribe(late);
    assert.deepEqual(a.seqs(), [1, 2, 3], 'the held fragment went out before the newcomer joined');
    assert.deepEqual(late.seqs(), [1, 2, 3], 'the newcomer starts from the GOP cache');
    hub.publish(frag(4, false));
    hub.publish(frag(5, false));
    assert.deepEqual(a.seqs(), [1, 2, 3, 4, 5]);
    assert.deepEqual(late.seqs(), [1, 2, 3, 4, 5]);
    hub.close();
  });

  test('a viewer behind (blocked, waiting for a keyframe, or without writeBatch) takes them one by one', () => {
    const hub = new LiveHub({ mergeFromViewers: 1, maxQueueFragments: 100, maxQueueBytes: 10_000_000 });
    hub.setInit(INIT);
    const slow = new BatchSink();
    const plain = new RecordingSink();
    hub.subscribe(slow);
    hub.subscribe(plain);
    hub.publish(frag(1, true));
    hub.publish(frag(2, false));
    slow.accept = false;
    hub.publish(frag(3, false));
    hub.publish(frag(4, false)); // [3, 4] written as a batch, the sink says "full"
    hub.publish(frag(5, false));
    hub.publish(frag(6, false)); // queued one by one
    assert.deepEqual(slow.seqs(), [1, 2, 3, 4]);
    assert.equal(hub.viewerStats()[0]?.queuedFragments, 2);
    slow.drained();
    assert.deepEqual(slow.seqs(), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(plain.seqs(), [1, 2, 3, 4, 5, 6]);
    hub.close();
  });

  test('a new init (camera restarted) sends the held fragment first, in its own generation', () => {
    const hub = new LiveHub({ mergeFromViewers: 1 });
    hub.setInit(INIT);
    const a = new BatchSink();
    hub.subscribe(a);
    hub.publish(frag(1, true)); // held
    hub.setInit(INIT);
    hub.publish(frag(2, true));
    hub.publish(frag(3, false));
    assert.deepEqual(
      a.received.map((r) => [r.kind, r.seq ?? null, r.generation]),
      [
        ['init', null, 1],
        ['fragment', 1, 1],
        ['init', null, 2],
        ['fragment', 2, 2],
        ['fragment', 3, 2],
      ],
    );
    hub.close();
  });
});
