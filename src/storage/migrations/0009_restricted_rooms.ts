/**
 * Restricted rooms as a database invariant (docs/design/restricted-rooms.md): whatever the code
 * above does, the database refuses the two steps that would make a restricted room's camera
 * watchable —
 * - a camera moved between rooms of different zones;
 * - the zone of a room with cameras changed without a stated, recorded change: the city operator's
 *   service writes a `room_zone_changes` row (who, why, from → to) in the same transaction, and the
 *   trigger consumes it. No row, no change.
 * Both engines report the refusal by the message `restricted_room_guard`.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

const ZONE_UNRECORDED = `OLD.zone <> NEW.zone
  and exists (select 1 from cameras c where c.room_id = OLD.id)
  and not exists (select 1 from room_zone_changes z
    where z.room_id = NEW.id and z.to_zone = NEW.zone and z.applied = 0)`;
const CAMERA_CROSSES = `NEW.room_id <> OLD.room_id
  and (select r.zone from rooms r where r.id = OLD.room_id) <> (select r.zone from rooms r where r.id = NEW.room_id)`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('room_zone_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('room_id', 'text', (c) => c.notNull().references('rooms.id').onDelete('cascade'))
    .addColumn('from_zone', 'text', (c) => c.notNull().check(sql`from_zone in ('common', 'restricted')`))
    .addColumn('to_zone', 'text', (c) => c.notNull().check(sql`to_zone in ('common', 'restricted')`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) >= 10`))
    .addColumn('actor_person_id', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .addColumn('applied', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('room_zone_changes_room_idx')
    .on('room_zone_changes')
    .columns(['room_id', 'applied'])
    .execute();

  if (isPostgres(db)) {
    await sql
      .raw(
        `create function okno_room_zone_guard() returns trigger language plpgsql as $$
        begin
          if ${ZONE_UNRECORDED} then
            raise exception 'restricted_room_guard: the zone of a room with cameras changes only with a recorded reason'
              using errcode = '23514';
          end if;
          if OLD.zone <> NEW.zone then
            update room_zone_changes set applied = 1 where room_id = NEW.id and applied = 0;
          end if;
          return NEW;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger rooms_zone_guard before update on rooms
         for each row execute function okno_room_zone_guard()`,
      )
      .execute(db);
    await sql
      .raw(
        `create function okno_camera_zone_guard() returns trigger language plpgsql as $$
        begin
          if ${CAMERA_CROSSES} then
            raise exception 'restricted_room_guard: a camera is not moved between rooms of different zones'
              using errcode = '23514';
          end if;
          return NEW;
        end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger cameras_zone_guard before update on cameras
         for each row execute function okno_camera_zone_guard()`,
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `create trigger rooms_zone_guard before update of zone on rooms
         for each row when ${ZONE_UNRECORDED}
         begin select raise(abort, 'restricted_room_guard: the zone of a room with cameras changes only with a recorded reason'); end`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger rooms_zone_applied after update of zone on rooms
         for each row when OLD.zone <> NEW.zone
         begin update room_zone_changes set applied = 1 where room_id = NEW.id and applied = 0; end`,
      )
      .execute(db);
    await sql
      .raw(
        `create trigger cameras_zone_guard before update of room_id on cameras
         for each row when ${CAMERA_CROSSES}
         begin select raise(abort, 'restricted_room_guard: a camera is not moved between rooms of different zones'); end`,
      )
      .execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('irreversible');
}
