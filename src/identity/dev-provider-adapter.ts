/**
 * The development provider's storage (sessions, interactions, codes, grants): in memory, per
 * process. A restart forgets every provider session, which for a development provider only means
 * picking a demo person again. (oidc-provider ships a similar adapter but announces it on the
 * console; this one is quiet and small enough to read.)
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAtMs: number;
}

/** An adapter class for one provider instance: every model of that provider shares one map. */
export function memoryAdapter(): new (model: string) => Adapter {
  const all = new Map<string, Entry>();
  const live = (key: string): AdapterPayload | undefined => {
    const e = all.get(key);
    if (!e) return undefined;
    if (e.expiresAtMs <= Date.now()) {
      all.delete(key);
      return undefined;
    }
    return e.payload;
  };
  return class MemoryAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const now = Date.now();
      for (const [k, e] of all) if (e.expiresAtMs <= now) all.delete(k);
      const expiresAtMs = now + expiresIn * 1000;
      all.set(this.key(id), { payload, expiresAtMs });
      // Secondary indexes: by grant (for revocation), by interaction uid, by device user code.
      if (payload.grantId) all.set(`grant:${payload.grantId}:${this.key(id)}`, { payload: {}, expiresAtMs });
      if (payload.uid) all.set(`uid:${this.model}:${payload.uid}`, { payload: { id }, expiresAtMs });
      if (payload.userCode)
        all.set(`usercode:${this.model}:${payload.userCode}`, { payload: { id }, expiresAtMs });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return live(this.key(id));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const ref = live(`uid:${this.model}:${uid}`);
      return typeof ref?.id === 'string' ? this.find(ref.id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const ref = live(`usercode:${this.model}:${userCode}`);
      return typeof ref?.id === 'string' ? this.find(ref.id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const p = live(this.key(id));
      if (p) p.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      all.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const prefix = `grant:${grantId}:`;
      for (const k of [...all.keys()]) {
        if (!k.startsWith(prefix)) continue;
        all.delete(k);
        all.delete(k.slice(prefix.length));
      }
    }
  };
}
