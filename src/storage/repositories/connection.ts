/** Connecting kindergartens (migration 0014b): profiles, camera checks, attestations, go-live. */
import type { Kysely } from 'kysely';
import type {
  CameraAttestationsTable,
  CameraChecksTable,
  Database,
  KindergartenConnectionsTable,
} from '../schema.js';

export type CameraCheckRow = CameraChecksTable;
export type CameraAttestationRow = CameraAttestationsTable;

export interface ConnectionCameraRow {
  id: string;
  name: string;
  room_id: string;
  room_name: string;
  room_kind: string;
  zone: string;
  enabled: number;
  audio_allowed: number;
  source_url: string;
}

export interface KindergartenRow {
  id: string;
  name: string;
  region_id: string;
  free_pilot: number;
}

export class ConnectionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async profile(regionId: string): Promise<string | undefined> {
    return (
      await this.db
        .selectFrom('connection_profiles')
        .select('profile')
        .where('region_id', '=', regionId)
        .executeTakeFirst()
    )?.profile;
  }

  async saveProfile(regionId: string, profile: string, at: string, by: string): Promise<void> {
    await this.db
      .insertInto('connection_profiles')
      .values({ region_id: regionId, profile, updated_at: at, updated_by: by })
      .onConflict((oc) => oc.column('region_id').doUpdateSet({ profile, updated_at: at, updated_by: by }))
      .execute();
  }

  cameras(institutionId: string): Promise<ConnectionCameraRow[]> {
    return this.db
      .selectFrom('cameras')
      .innerJoin('rooms', 'rooms.id', 'cameras.room_id')
      .select([
        'cameras.id',
        'cameras.name',
        'cameras.room_id',
        'rooms.name as room_name',
        'rooms.kind as room_kind',
        'rooms.zone',
        'cameras.enabled',
        'cameras.audio_allowed',
        'cameras.source_url',
      ])
      .where('rooms.institution_id', '=', institutionId)
      .orderBy('rooms.name')
      .orderBy('cameras.name')
      .execute();
  }

  rooms(institutionId: string): Promise<{ id: string; name: string; kind: string; zone: string }[]> {
    return this.db
      .selectFrom('rooms')
      .select(['id', 'name', 'kind', 'zone'])
      .where('institution_id', '=', institutionId)
      .orderBy('name')
      .execute();
  }

  async insertCheck(row: CameraCheckRow): Promise<void> {
    await this.db.insertInto('camera_checks').values(row).execute();
  }

  async insertAttestation(row: CameraAttestationRow): Promise<void> {
    await this.db.insertInto('camera_attestations').values(row).execute();
  }

  /** The latest check of each camera of the institution. */
  async latestChecks(cameraIds: readonly string[]): Promise<Map<string, CameraCheckRow>> {
    const out = new Map<string, CameraCheckRow>();
    if (cameraIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('camera_checks')
      .selectAll()
      .where('camera_id', 'in', cameraIds)
      .orderBy('checked_at')
      .execute();
    for (const r of rows) out.set(r.camera_id, r);
    return out;
  }

  async latestAttestations(
    cameraIds: readonly string[],
  ): Promise<Map<string, CameraAttestationRow & { by_name: string }>> {
    const out = new Map<string, CameraAttestationRow & { by_name: string }>();
    if (cameraIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('camera_attestations')
      .innerJoin('persons', 'persons.id', 'camera_attestations.attested_by')
      .selectAll('camera_attestations')
      .select('persons.display_name as by_name')
      .where('camera_id', 'in', cameraIds)
      .orderBy('attested_at')
      .execute();
    for (const r of rows) out.set(r.camera_id, r);
    return out;
  }

  goLive(institutionId: string): Promise<KindergartenConnectionsTable | undefined> {
    return this.db
      .selectFrom('kindergarten_connections')
      .selectAll()
      .where('institution_id', '=', institutionId)
      .executeTakeFirst();
  }

  async setGoLive(institutionId: string, at: string, by: string): Promise<void> {
    await this.db
      .insertInto('kindergarten_connections')
      .values({ institution_id: institutionId, went_live_at: at, went_live_by: by })
      .execute();
  }

  /** Groups whose latest consent row says given. */
  async groupsWithConsent(institutionId: string): Promise<number> {
    const rows = await this.db
      .selectFrom('consents')
      .innerJoin('rooms', 'rooms.id', 'consents.room_id')
      .select(['consents.room_id', 'consents.status', 'consents.recorded_at'])
      .where('rooms.institution_id', '=', institutionId)
      .orderBy('consents.recorded_at')
      .execute();
    const latest = new Map<string, string>();
    for (const r of rows) latest.set(r.room_id, r.status);
    return [...latest.values()].filter((s) => s === 'given').length;
  }

  kindergartens(regionIds: readonly string[]): Promise<KindergartenRow[]> {
    if (regionIds.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'region_id', 'free_pilot'])
      .where('kind', '=', 'kindergarten')
      .where('region_id', 'in', regionIds)
      .orderBy('name')
      .execute();
  }

  async institution(
    id: string,
  ): Promise<
    { id: string; name: string; region_id: string; time_zone: string; free_pilot: number } | undefined
  > {
    return this.db
      .selectFrom('institutions')
      .select(['id', 'name', 'region_id', 'time_zone', 'free_pilot'])
      .where('id', '=', id)
      .where('kind', '=', 'kindergarten')
      .executeTakeFirst();
  }
}
