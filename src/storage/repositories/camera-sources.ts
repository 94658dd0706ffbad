/**
 * The secret half of a camera: its source URL and credentials, read only by the media plane to start
 * ingest. Nothing here is ever returned by the API or logged.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface CameraSource {
  cameraId: string;
  name: string;
  url: string;
  username: string | null;
  password: string | null;
  transport: 'tcp' | 'udp';
  enabled: boolean;
  audioAllowed: boolean;
}

export class CameraSourcesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(cameraId: string): Promise<CameraSource | undefined> {
    const r = await this.db
      .selectFrom('cameras')
      .select([
        'id',
        'name',
        'source_url',
        'source_username',
        'source_password',
        'rtsp_transport',
        'enabled',
        'audio_allowed',
      ])
      .where('id', '=', cameraId)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      cameraId: r.id,
      name: r.name,
      url: r.source_url,
      username: r.source_username,
      password: r.source_password,
      transport: r.rtsp_transport,
      enabled: r.enabled === 1,
      audioAllowed: r.audio_allowed === 1,
    };
  }

  /** Every enabled camera's source, for the idle health checks (read by the media plane only). */
  async listEnabled(): Promise<CameraSource[]> {
    const rows = await this.db
      .selectFrom('cameras')
      .select([
        'id',
        'name',
        'source_url',
        'source_username',
        'source_password',
        'rtsp_transport',
        'enabled',
        'audio_allowed',
      ])
      .where('enabled', '=', 1)
      .execute();
    return rows.map((r) => ({
      cameraId: r.id,
      name: r.name,
      url: r.source_url,
      username: r.source_username,
      password: r.source_password,
      transport: r.rtsp_transport,
      enabled: r.enabled === 1,
      audioAllowed: r.audio_allowed === 1,
    }));
  }

  /** Every camera with where it is, for health listings (no secrets). */
  async listPlaces(): Promise<
    {
      cameraId: string;
      name: string;
      roomId: string;
      institutionId: string;
      institutionKind: 'kindergarten' | 'office';
      regionId: string;
      enabled: boolean;
      recordingPolicy: 'off' | 'continuous' | 'schedule' | 'manual';
    }[]
  > {
    const rows = await this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .innerJoin('institutions', 'institutions.id', 'rooms.institution_id')
      .select([
        'cameras.id',
        'cameras.name',
        'cameras.enabled',
        'cameras.recording_policy',
        'rooms.id as room_id',
        'institutions.id as institution_id',
        'institutions.kind as institution_kind',
        'institutions.region_id',
      ])
      .orderBy('cameras.name')
      .execute();
    return rows.map((r) => ({
      cameraId: r.id,
      name: r.name,
      roomId: r.room_id,
      institutionId: r.institution_id,
      institutionKind: r.institution_kind,
      regionId: r.region_id,
      enabled: r.enabled === 1,
      recordingPolicy: r.recording_policy,
    }));
  }

  async recordHealthEvent(
    id: string,
    cameraId: string,
    kind: 'offline' | 'recovered' | 'gap',
    at: string,
    details: unknown,
  ): Promise<void> {
    await this.db
      .insertInto('health_events')
      .values({
        id,
        camera_id: cameraId,
        kind,
        at,
        details: details === undefined ? null : JSON.stringify(details),
      })
      .execute();
  }

  async healthEvents(
    cameraIds: readonly string[],
    limit: number,
  ): Promise<{ id: string; camera_id: string; kind: string; at: string; details: string | null }[]> {
    if (cameraIds.length === 0) return [];
    return this.db
      .selectFrom('health_events')
      .selectAll()
      .where('camera_id', 'in', cameraIds)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
  }
}
