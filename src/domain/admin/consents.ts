/**
 * Consent per group room: the kindergarten records that the consent it requires was given, or that it
 * was withdrawn. History is append-only (a correction is a new entry) and the latest entry is the
 * current state. Entries of one room get strictly increasing times, so "latest" is never a tie.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { newId } from '../../shared/ids.js';
import { AppError } from '../../shared/errors.js';
import { campaignGoverns } from '../consent/campaigns.js';
import { authorize, requireVisible } from '../scope.js';
import { auditEvent, change, found, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid, optionalText } from './rules.js';
import type { ConsentCreate, ConsentView } from './schemas.js';
import { consentView, pageOf } from './views.js';
import { raiseAccessWidened } from '../../alerts/access-widened.js';

export async function listConsents(
  deps: AdminDeps,
  caller: Caller,
  roomId: string,
  page: PageRequest,
): Promise<Page<ConsentView>> {
  const r = read(deps);
  authorize(caller.principal, 'consent', 'read', await placeOf(r, 'room', roomId), 'room');
  return pageOf(await r.consents.list(roomId, page), consentView);
}

export async function getConsent(deps: AdminDeps, caller: Caller, id: string): Promise<ConsentView> {
  const r = read(deps);
  requireVisible(caller.principal, 'consent', await r.places.locate('consent', id));
  return consentView(found(await r.consents.find(id), 'consent'));
}

export async function recordConsent(
  deps: AdminDeps,
  caller: Caller,
  roomId: string,
  input: ConsentCreate,
): Promise<ConsentView> {
  return change(deps, caller, async (r, trx) => {
    const place = await placeOf(r, 'room', roomId);
    const grant = authorize(caller.principal, 'consent', 'create', place, 'room');
    const room = found(await r.rooms.find(roomId), 'room');
    if (await campaignGoverns(trx, roomId))
      throw new AppError(
        'conflict',
        "the group's consent is decided by its parents in the active consent campaign: close the campaign first",
      );
    if (room.kind !== 'group' && room.kind !== 'hall')
      throw invalid('params/id', 'consent is recorded for group rooms and halls that parents watch');
    const latest = await r.consents.latest(roomId);
    let at = deps.clock.now().getTime();
    if (latest && Date.parse(latest.recorded_at) >= at) at = Date.parse(latest.recorded_at) + 1;
    const row = await r.consents.insert({
      id: newId(),
      room_id: roomId,
      status: input.status,
      recorded_by: caller.principal.personId,
      note: optionalText(input.note),
      recorded_at: new Date(at).toISOString(),
    });
    if (input.status === 'given' && latest?.status !== 'given')
      await raiseAccessWidened(trx, deps.clock, {
        change: 'consent_given',
        place,
        roomId,
        actorPersonId: caller.principal.personId,
        body: `«${room.name}»: записано согласие группы, камеры помещения видны родителям.`,
        evidence: { consentId: row.id, roomId, previous: latest?.status ?? null },
      });
    const after = consentView(row);
    return {
      result: after,
      grant,
      audit: auditEvent(
        'consent',
        'create',
        { id: row.id, institutionId: place.institution!.id },
        latest ? consentView(latest) : null,
        after,
      ),
    };
  });
}
