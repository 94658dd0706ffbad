/**
 * Tariffs: the region's recommended monthly price and each kindergarten's own price, both as a
 * history of prices with the billing month they take effect; and free pilots with their last day.
 * A price takes effect from a future month only (never a month already billed or being billed).
 */
import { newId } from '../shared/ids.js';
import { AppError } from '../shared/errors.js';
import { authorize, objectNotFound } from '../domain/scope.js';
import { change, type Caller } from '../domain/admin/context.js';
import { invalid } from '../domain/admin/rules.js';
import { BillingRepository } from '../storage/repositories/billing.js';
import { addMonths, isDay, isMonth } from './money.js';
import {
  institutionPlace,
  moneyEvent,
  regionExists,
  regionPlace,
  todayUtc,
  type BillingDeps,
} from './context.js';

export interface PriceView {
  effectiveMonth: string;
  priceKopecks: number;
}

export interface KindergartenTariffView {
  id: string;
  name: string;
  freePilot: boolean;
  pilotUntil: string | null;
  prices: PriceView[];
  /** this month's price (own, else the recommendation); null when none is set */
  currentPriceKopecks: number | null;
  priceSource: 'own' | 'recommended' | 'none';
}

export interface TariffsView {
  regionId: string;
  currentMonth: string;
  /** the first month a new price may take effect */
  earliestMonth: string;
  recommendations: PriceView[];
  kindergartens: KindergartenTariffView[];
}

const priceView = (r: { effective_month: string; price_kopecks: number }): PriceView => ({
  effectiveMonth: r.effective_month,
  priceKopecks: r.price_kopecks,
});

function effectiveAt(prices: readonly PriceView[], month: string): PriceView | undefined {
  return prices.find((p) => p.effectiveMonth <= month); // newest first
}

export async function getTariffs(deps: BillingDeps, caller: Caller, regionId: string): Promise<TariffsView> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  authorize(caller.principal, 'tariff', 'read', regionPlace(regionId), 'region');
  const r = new BillingRepository(deps.db);
  const month = todayUtc(deps).slice(0, 7);
  const recommendations = (await r.regionPrices(regionId)).map(priceView);
  const own = await r.institutionPricesInRegion(regionId);
  const rec = effectiveAt(recommendations, month);
  const kindergartens = (await r.kindergartens(regionId)).map((k): KindergartenTariffView => {
    const prices = own.filter((p) => p.institution_id === k.id).map(priceView);
    const mine = effectiveAt(prices, month);
    return {
      id: k.id,
      name: k.name,
      freePilot: k.free_pilot === 1,
      pilotUntil: k.pilot_until,
      prices,
      currentPriceKopecks: mine?.priceKopecks ?? rec?.priceKopecks ?? null,
      priceSource: mine ? 'own' : rec ? 'recommended' : 'none',
    };
  });
  return {
    regionId,
    currentMonth: month,
    earliestMonth: addMonths(month, 1),
    recommendations,
    kindergartens,
  };
}

function checkPrice(deps: BillingDeps, input: { effectiveMonth: string; priceKopecks: number }): void {
  if (!isMonth(input.effectiveMonth)) throw invalid('body/effectiveMonth', 'expected a month YYYY-MM');
  const earliest = addMonths(todayUtc(deps).slice(0, 7), 1);
  if (input.effectiveMonth < earliest)
    throw invalid(
      'body/effectiveMonth',
      `a price takes effect from the next billing month (${earliest}) or later`,
    );
  if (!Number.isInteger(input.priceKopecks) || input.priceKopecks < 0 || input.priceKopecks > 100_000_000)
    throw invalid('body/priceKopecks', 'expected whole kopecks, 0 … 100000000');
}

export async function setRegionPrice(
  deps: BillingDeps,
  caller: Caller,
  regionId: string,
  input: { effectiveMonth: string; priceKopecks: number },
): Promise<PriceView[]> {
  if (!(await regionExists(deps.db, regionId))) throw objectNotFound('region');
  const grant = authorize(caller.principal, 'tariff', 'create', regionPlace(regionId), 'region');
  checkPrice(deps, input);
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const existing = (await r.regionPrices(regionId)).find((p) => p.effective_month === input.effectiveMonth);
    const before = existing ? priceView(existing) : null;
    if (existing)
      await trx
        .updateTable('billing_region_prices')
        .set({ price_kopecks: input.priceKopecks })
        .where('id', '=', existing.id)
        .execute();
    else
      await r.insertRegionPrice({
        id: newId(),
        region_id: regionId,
        effective_month: input.effectiveMonth,
        price_kopecks: input.priceKopecks,
        created_at: deps.clock.now().toISOString(),
      });
    return {
      result: (await r.regionPrices(regionId)).map(priceView),
      grant,
      audit: moneyEvent('region_price', 'set', { id: regionId, institutionId: null }, before, input),
    };
  });
}

export async function setInstitutionPrice(
  deps: BillingDeps,
  caller: Caller,
  institutionId: string,
  input: { effectiveMonth: string; priceKopecks: number },
): Promise<PriceView[]> {
  const place = await institutionPlace(deps.db, institutionId, 'institution');
  const grant = authorize(caller.principal, 'tariff', 'create', place, 'institution');
  checkPrice(deps, input);
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const last = await r.lastApprovedMonth(institutionId, place.regionId);
    if (last && input.effectiveMonth <= last)
      throw new AppError('conflict', `${last} is approved: a price may change only after it`);
    const existing = (await r.institutionPrices(institutionId)).find(
      (p) => p.effective_month === input.effectiveMonth,
    );
    const before = existing ? priceView(existing) : null;
    if (existing)
      await trx
        .updateTable('billing_institution_prices')
        .set({ price_kopecks: input.priceKopecks })
        .where('id', '=', existing.id)
        .execute();
    else
      await r.insertInstitutionPrice({
        id: newId(),
        institution_id: institutionId,
        effective_month: input.effectiveMonth,
        price_kopecks: input.priceKopecks,
        created_at: deps.clock.now().toISOString(),
      });
    return {
      result: (await r.institutionPrices(institutionId)).map(priceView),
      grant,
      audit: moneyEvent('institution_price', 'set', { id: institutionId, institutionId }, before, input),
    };
  });
}

export async function setPilot(
  deps: BillingDeps,
  caller: Caller,
  institutionId: string,
  input: { freePilot: boolean; pilotUntil: string | null },
): Promise<{ freePilot: boolean; pilotUntil: string | null }> {
  const place = await institutionPlace(deps.db, institutionId, 'institution');
  const grant = authorize(caller.principal, 'tariff', 'update', place, 'institution');
  if (input.pilotUntil !== null && !isDay(input.pilotUntil))
    throw invalid('body/pilotUntil', 'expected a date YYYY-MM-DD or null');
  if (input.freePilot && input.pilotUntil !== null && input.pilotUntil < todayUtc(deps))
    throw invalid('body/pilotUntil', 'the pilot end date is in the past');
  return change(deps, caller, async (_r, trx) => {
    const r = new BillingRepository(trx);
    const inst = await r.institution(institutionId);
    if (!inst) throw objectNotFound('institution');
    const before = { freePilot: inst.free_pilot === 1, pilotUntil: inst.pilot_until };
    await r.setPilot(institutionId, input.freePilot, input.pilotUntil, deps.clock.now().toISOString());
    return {
      result: input,
      grant,
      audit: moneyEvent('pilot', 'set', { id: institutionId, institutionId }, before, input),
    };
  });
}
