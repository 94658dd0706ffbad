/**
 * Subscriptions: a guardian pays the monthly fee for a child (null fee: the institution's). Only a
 * guardian of the child can hold one.
 */
import type { Page, PageRequest } from '../../storage/repositories/pagination.js';
import { newId } from '../../shared/ids.js';
import { authorize, requireVisible } from '../scope.js';
import { auditEvent, change, found, nowIso, placeOf, read, type AdminDeps, type Caller } from './context.js';
import { invalid } from './rules.js';
import type { SubscriptionCreate, SubscriptionPatch, SubscriptionView } from './schemas.js';
import { pageOf, subscriptionView } from './views.js';

export async function listSubscriptions(
  deps: AdminDeps,
  caller: Caller,
  childId: string,
  page: PageRequest,
): Promise<Page<SubscriptionView>> {
  const r = read(deps);
  authorize(caller.principal, 'subscription', 'read', await placeOf(r, 'child', childId), 'child');
  return pageOf(await r.subscriptions.list(childId, page), subscriptionView);
}

export async function getSubscription(
  deps: AdminDeps,
  caller: Caller,
  id: string,
): Promise<SubscriptionView> {
  const r = read(deps);
  requireVisible(caller.principal, 'subscription', await r.places.locate('subscription', id));
  return subscriptionView(found(await r.subscriptions.find(id), 'subscription'));
}

export async function createSubscription(
  deps: AdminDeps,
  caller: Caller,
  childId: string,
  input: SubscriptionCreate,
): Promise<SubscriptionView> {
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'child', childId);
    const grant = authorize(caller.principal, 'subscription', 'create', place, 'child');
    if (!(await r.guardianLinks.findPair(input.personId, childId)))
      throw invalid('body/personId', 'the person is not a guardian of this child');
    const now = nowIso(deps);
    const row = await r.subscriptions.insert({
      id: newId(),
      person_id: input.personId,
      child_id: childId,
      status: input.status ?? 'active',
      monthly_fee_minor: input.monthlyFeeMinor ?? null,
      created_at: now,
      updated_at: now,
    });
    const after = subscriptionView(row);
    return {
      result: after,
      grant,
      audit: auditEvent(
        'subscription',
        'create',
        { id: row.id, institutionId: place.institution!.id },
        null,
        after,
      ),
    };
  });
}

export async function updateSubscription(
  deps: AdminDeps,
  caller: Caller,
  id: string,
  patch: SubscriptionPatch,
): Promise<SubscriptionView> {
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'subscription', id);
    const grant = authorize(caller.principal, 'subscription', 'update', place);
    const before = subscriptionView(found(await r.subscriptions.find(id), 'subscription'));
    const row = await r.subscriptions.update(id, {
      status: patch.status,
      monthly_fee_minor: patch.monthlyFeeMinor,
      updated_at: nowIso(deps),
    });
    const after = subscriptionView(found(row, 'subscription'));
    return {
      result: after,
      grant,
      audit: auditEvent(
        'subscription',
        'update',
        { id, institutionId: place.institution!.id },
        before,
        after,
      ),
    };
  });
}

export async function deleteSubscription(deps: AdminDeps, caller: Caller, id: string): Promise<void> {
  await change(deps, caller, async (r) => {
    const place = await placeOf(r, 'subscription', id);
    const grant = authorize(caller.principal, 'subscription', 'delete', place);
    const before = subscriptionView(found(await r.subscriptions.find(id), 'subscription'));
    await r.subscriptions.delete(id);
    return {
      result: undefined,
      grant,
      audit: auditEvent('subscription', 'delete', { id, institutionId: place.institution!.id }, before, null),
    };
  });
}
