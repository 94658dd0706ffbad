/**
 * The camera a request names, with the caller's grant to do `action` to `object` there: one place for
 * the services that act on a camera (recordings, citizens' requests). A camera out of the caller's
 * scope, or none, is "not found" as authorize() decides it.
 */
import type { AuthenticatedSession } from '../identity/sessions.js';
import type { AccessFactsRepository, CameraRow } from '../storage/repositories/access-facts.js';
import { authorize, type Action, type Grant, type ObjectKind } from './index.js';
import { placeOfCamera, principalOf } from './places.js';

export async function authorizeOnCamera(
  facts: AccessFactsRepository,
  caller: AuthenticatedSession,
  cameraId: string,
  object: ObjectKind,
  action: Action,
): Promise<{ camera: CameraRow; grant: Grant }> {
  const camera = await facts.camera(cameraId);
  const grant = authorize(
    principalOf(caller),
    object,
    action,
    camera && placeOfCamera(camera.facts),
    'camera',
  );
  return { camera: camera!, grant };
}
