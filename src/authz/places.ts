/** Small adapters from the shapes other modules hold (sessions, camera facts) to the check's inputs. */
import type { AuthenticatedSession } from '../identity/sessions.js';
import type { CameraFacts } from '../policy/facts.js';
import type { Place } from '../storage/repositories/places.js';
import type { Principal } from './authorize.js';

export function principalOf(session: AuthenticatedSession): Principal {
  return { personId: session.person.id, bindings: session.roles };
}

export function placeOfCamera(c: CameraFacts): Place {
  return {
    regionId: c.regionId,
    institution: { id: c.institutionId, kind: c.institutionKind },
    roomIds: [c.roomId],
  };
}
