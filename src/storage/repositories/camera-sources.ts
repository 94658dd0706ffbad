/**
 * The secret half of a camera: its source URL and credentials, read only by the media plane to start
 * ingest. Nothing here is ever returned by the API or logged.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** The key of a source URL in camera_probes (the URL itself may carry credentials). */
export function sourceKey(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

export interface CameraSource {
  cameraId: string;
  name: string;
  url: string;
  username: string | null;
  password: string | null;
  transport: 'tcp' | 'udp';
  enabled: boolean;
  audioAllowed: boolean;
  /**
   * The camera's audio codec as last probed at this URL (ffmpeg's name, `none` without audio), null
   * while unknown: decides whether the ingest copies the audio (AAC) or transcodes it.
   */
  audioCodec?: string | null;
}

const SOURCE_COLUMNS = [
  'cameras.id',
  'cameras.name',
  'cameras.source_url',
  'cameras.source_username',
  'cameras.source_password',
  'cameras.rtsp_transport',
  'cameras.enabled',
  'cameras.audio_allowed',
  'camera_probes.source_sha256',
  'camera_probes.audio_codec',
] as const;

function toSource(r: {
  id: string;
  name: string;
  source_url: string;
  source_username: string | null;
  source_password: string | null;
  rtsp_transport: 'tcp' | 'udp';
  enabled: number;
  audio_allowed: number;
  source_sha256: string | null;
  audio_codec: string | null;
}): CameraSource {
  return {
    cameraId: r.id,
    name: r.name,
    url: r.source_url,
    username: r.source_username,
    password: r.source_password,
    transport: r.rtsp_transport,
    enabled: r.enabled === 1,
    audioAllowed: r.audio_allowed === 1,
    audioCodec: r.audio_codec !== null && r.source_sha256 === sourceKey(r.source_url) ? r.audio_codec : null,
  };
}

export class CameraSourcesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(cameraId: string): Promise<CameraSource | undefined> {
    const r = await this.db
      .selectFrom('cameras')
      .leftJoin('camera_probes', 'camera_probes.camera_id', 'cameras.id')
      .select(SOURCE_COLUMNS)
      .where('cameras.id', '=', cameraId)
      .executeTakeFirst();
    return r ? toSource(r) : undefined;
  }

  /** Every enabled camera's source, for the idle health checks (read by the media plane only). */
  async listEnabled(): Promise<CameraSource[]> {
    const rows = await this.db
      .selectFrom('cameras')
      .leftJoin('camera_probes', 'camera_probes.camera_id', 'cameras.id')
      .select(SOURCE_COLUMNS)
      .where('cameras.enabled', '=', 1)
      .execute();
    return rows.map(toSource);
  }

  /**
   * Stores what a probe or an RTSP check found at `url` (the camera's source URL at the time). A
   * camera deleted meanwhile is no error (nothing is stored).
   */
  async recordProbe(cameraId: string, url: string, audioCodec: string, at: string): Promise<void> {
    const row = {
      camera_id: cameraId,
      source_sha256: sourceKey(url),
      audio_codec: audioCodec,
      probed_at: at,
    };
    await this.db
      .insertInto('camera_probes')
      .columns(['camera_id', 'source_sha256', 'audio_codec', 'probed_at'])
      .expression((eb) =>
        eb
          .selectFrom('cameras')
          .select([
            'cameras.id as camera_id',
            eb.val(row.source_sha256).as('source_sha256'),
            eb.val(row.audio_codec).as('audio_codec'),
            eb.val(row.probed_at).as('probed_at'),
          ])
          .where('cameras.id', '=', cameraId),
      )
      .onConflict((oc) =>
        oc.column('camera_id').doUpdateSet({
          source_sha256: row.source_sha256,
          audio_codec: row.audio_codec,
          probed_at: row.probed_at,
        }),
      )
      .execute();
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
