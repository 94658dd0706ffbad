/**
 * Helpers for the media integration tests: waiting on events with timeouts (never fixed sleeps),
 * recording viewer sinks, and misbehaving TCP "cameras".
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { CameraState, CameraSupervisor, StateChange } from '../../../src/media/supervisor.js';
import type { DeliveryInfo, ViewerSink } from '../../../src/media/hub.js';

/** Resolves when the supervisor is (or becomes) `state`; rejects after timeoutMs with the history. */
export function waitForState(
  supervisor: CameraSupervisor,
  state: CameraState,
  timeoutMs: number,
): Promise<StateChange | undefined> {
  if (supervisor.state === state) return Promise.resolve(undefined);
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const onState = (change: StateChange): void => {
      seen.push(`${change.to} (${change.reason})`);
      if (change.to === state) {
        clearTimeout(timer);
        supervisor.off('state', onState);
        resolve(change);
      }
    };
    const timer = setTimeout(() => {
      supervisor.off('state', onState);
      reject(
        new Error(
          `camera not ${state} within ${timeoutMs} ms; now ${supervisor.state}; seen: ${seen.join(' → ') || 'nothing'}; ` +
            `stderr: ${supervisor.stderrTail().slice(-3).join(' | ')}`,
        ),
      );
    }, timeoutMs);
    supervisor.on('state', onState);
  });
}

export interface Message {
  kind: DeliveryInfo['kind'];
  keyframe: boolean;
  generation: number;
  bytes: number;
  data: Buffer;
  receivedAtMs: number;
}

/** A viewer sink that records every message and lets a test wait for one. */
export class RecordingSink extends EventEmitter<{ message: [Message] }> implements ViewerSink {
  readonly messages: Message[] = [];
  accept = true;
  private drainCallback: (() => void) | undefined;

  write(data: Buffer, info: DeliveryInfo): boolean {
    const message = { ...info, bytes: data.length, data, receivedAtMs: performance.now() };
    this.messages.push(message);
    this.emit('message', message);
    return this.accept;
  }
  onDrain(callback: () => void): void {
    this.drainCallback = callback;
  }
  drained(): void {
    this.accept = true;
    this.drainCallback?.();
  }
  fragments(): Message[] {
    return this.messages.filter((m) => m.kind === 'fragment');
  }

  /** Resolves with the first recorded (or future) message matching `match`. */
  waitFor(match: (m: Message) => boolean, timeoutMs: number, what: string): Promise<Message> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (m: Message): void => {
        if (!match(m)) return;
        clearTimeout(timer);
        this.off('message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.off('message', onMessage);
        reject(new Error(`no ${what} within ${timeoutMs} ms (${this.messages.length} messages so far)`));
      }, timeoutMs);
      this.on('message', onMessage);
    });
  }
}

export interface TcpCamera {
  port: number;
  url: string;
  close(): Promise<void>;
}

async function listen(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** Accepts connections and never says a word (a hung camera). */
export async function silentCamera(): Promise<TcpCamera> {
  const sockets = new Set<Socket>();
  const { server, port } = await listen((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return { port, url: `rtsp://127.0.0.1:${port}/cam`, close: closer(server, sockets) };
}

/** Answers every connection with an endless stream of random bytes. */
export async function garbageCamera(): Promise<TcpCamera> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const { server, port } = await listen((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const timer = setInterval(() => {
      if (!socket.destroyed && socket.writableLength < 1 << 20) socket.write(randomBytes(4096));
    }, 5);
    timers.add(timer);
    socket.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
      sockets.delete(socket);
    });
  });
  const close = closer(server, sockets);
  return {
    port,
    url: `rtsp://127.0.0.1:${port}/cam`,
    close: async () => {
      for (const t of timers) clearInterval(t);
      await close();
    },
  };
}

/** A TCP port on which nothing listens (bound once, then released). */
export async function closedPort(): Promise<number> {
  const { server, port } = await listen(() => undefined);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
