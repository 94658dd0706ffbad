/**
 * Who may see and do what with home inspections: the rows of src/domain/scope.ts (office head,
 * specialist, inspector; nobody else, and only for offices) plus two rules of this capability:
 * a specialist acts only on the cases they are responsible for, and an inspector states a reason
 * (at least 10 letters or digits) for every look. Answers 404 where the caller may not see the object.
 */
import {
  authorize,
  type AdminAction,
  type AdminObject,
  type Grant,
  type Principal,
} from '../domain/scope.js';
import { isStatedReasonSufficient } from '../policy/access.js';
import { AppError } from '../shared/errors.js';
import type { Place } from '../storage/repositories/places.js';

export interface CaseFacts {
  place: Place;
  specialistPersonId: string;
}

export function authorizeInspection(
  p: Principal,
  object: AdminObject,
  action: AdminAction,
  facts: CaseFacts,
  statedReason?: string,
): Grant {
  const reasonOk = statedReason !== undefined && isStatedReasonSufficient(statedReason);
  const bindings = p.bindings.filter(
    (b) =>
      (b.role !== 'specialist' || p.personId === facts.specialistPersonId) &&
      (b.role !== 'inspector' || reasonOk),
  );
  try {
    return authorize({ ...p, bindings }, object, action, facts.place);
  } catch (e) {
    if (!reasonOk) {
      const asInspector = p.bindings.filter((b) => b.role === 'inspector');
      let wouldAllow = false;
      try {
        authorize({ ...p, bindings: asInspector }, object, action, facts.place);
        wouldAllow = asInspector.length > 0;
      } catch {
        wouldAllow = false;
      }
      if (wouldAllow)
        throw new AppError(
          'forbidden',
          'state why you need this inspection (at least 10 letters or digits): it goes into the audit log',
          { reason: 'reason_required' },
        );
    }
    throw e;
  }
}
