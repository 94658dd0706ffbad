/**
 * The paid service on the parent's home, under each child (docs/design/billing.md): the price or
 * «Бесплатно — пилотный детский сад до …», what is included (the group's cameras and viewing hours),
 * the offer to accept (its version is recorded), subscribing in one tap, cancelling at any time (access
 * ends at once; the day of cancelling is not charged), the payer (one subscription per child covers
 * every guardian: both see who pays), the next charge date, the charges with their payment state, a
 * suspension's reason and how to lift it, and the end of a free pilot (told in advance; the
 * subscription continues only once confirmed).
 */
import { useState } from 'preact/hooks';
import '../billing/billing.css';
import {
  billingApi,
  monthName,
  rub,
  type ParentBilling,
  type ParentBillingChild,
} from '../billing/client.js';
import { useBillingText } from '../billing/strings.js';
import { hoursText } from '../billing/logic.js';
import { formatDate, localDate, browserTimeZone } from '../format.js';
import { useAsync } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Badge, Button, errorMessage, Notice, type Tone } from '../ui.js';

let cached: Promise<ParentBilling> | null = null;

/** One request for all children of the page; dropped after a change. */
function parentBilling(): Promise<ParentBilling> {
  cached ??= billingApi.parent().catch((e: unknown) => {
    cached = null;
    throw e;
  });
  return cached;
}

export function forgetParentBilling(): void {
  cached = null;
}

export function useChildBilling(
  childId: string,
): [{ offer: ParentBilling['offer']; item: ParentBillingChild } | null | undefined, () => void] {
  const [state, reload] = useAsync(async () => {
    const all = await parentBilling();
    const item = all.children.find((c) => c.child.id === childId);
    return item ? { offer: all.offer, item } : null;
  }, [childId]);
  return [state.data, reload];
}

const STATE_TONE: Record<ParentBillingChild['charges'][number]['state'], Tone> = {
  paid: 'ok',
  partial: 'warn',
  unpaid: 'info',
  overdue: 'bad',
};

export function ChildBilling({
  offer,
  item,
  onChanged,
}: {
  offer: ParentBilling['offer'];
  item: ParentBillingChild;
  onChanged: () => void;
}) {
  const { t, lang } = useI18n();
  const b = useBillingText();
  const [busy, setBusy] = useState<'subscribe' | 'cancel' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const sub = item.subscription;
  const live = sub && sub.status !== 'cancelled' ? sub : null;
  const today = localDate(new Date(), browserTimeZone());
  const pilot = item.pilot?.active ? item.pilot : null;
  const price = item.priceKopecks;
  const day = (d: string) => formatDate(d, lang);

  const run = async (what: 'subscribe' | 'cancel') => {
    setBusy(what);
    setError(null);
    setDone(null);
    try {
      if (what === 'subscribe') await billingApi.subscribe(item.child.id, offer?.version ?? '');
      else await billingApi.cancel(item.child.id);
      setDone(what === 'subscribe' ? b('par.subscribed') : b('par.cancelled'));
      setConfirmCancel(false);
      forgetParentBilling();
      onChanged();
    } catch (e) {
      setError(errorMessage(e, t));
      forgetParentBilling();
    } finally {
      setBusy(null);
    }
  };

  const priceLine = pilot
    ? pilot.until
      ? b('par.free', { day: day(pilot.until) })
      : b('par.freeOpen')
    : price === null
      ? null
      : b('par.price', { price: rub(price, lang) });
  const overdue = item.charges.filter((c) => c.state === 'overdue');
  // A pilot with an end: parents are told from `noticeFrom`; the subscription continues only if
  // confirmed (accepted offer: a coverage period running past the pilot).
  const pilotEnding = pilot?.until && pilot.noticeFrom !== null && pilot.noticeFrom <= today ? pilot : null;
  const confirmed = live?.status === 'active' && live.offerVersion !== null;

  return (
    <div class="child-billing" data-billing-child={item.child.id}>
      {error ? (
        <Notice tone="bad" icon="alert" live>
          <p>{error}</p>
        </Notice>
      ) : null}
      {done ? (
        <Notice tone="ok" icon="check" live>
          <p>{done}</p>
        </Notice>
      ) : null}
      {live?.status === 'suspended' ? (
        <Notice tone="bad" icon="alert" title={b('par.suspended')}>
          <p>
            {b('par.suspendedHow', {
              list:
                overdue
                  .map((c) => `${monthName(c.period, lang)} — ${rub(c.amountKopecks, lang)}`)
                  .join(', ') || '—',
            })}
          </p>
        </Notice>
      ) : null}
      {pilotEnding && pilotEnding.until ? (
        confirmed ? (
          <Notice tone="ok" icon="check">
            <p>
              {b('par.pilotConfirmed', {
                day: day(pilotEnding.until),
                price: price === null ? '—' : rub(price, lang),
              })}
            </p>
          </Notice>
        ) : (
          <Notice tone="warn" icon="clock" title={b('par.pilotEnds', { day: day(pilotEnding.until) })}>
            <p>{b('par.pilotEndsText', { price: price === null ? '—' : rub(price, lang) })}</p>
            {item.verified && offer ? (
              <>
                <Button variant="primary" busy={busy === 'subscribe'} onClick={() => void run('subscribe')}>
                  {b('par.pilotConfirm')}
                </Button>
                <p class="small muted">{b('par.subscribeNote', { version: offer.version })}</p>
              </>
            ) : null}
          </Notice>
        )
      ) : null}

      <div class="child-billing-card">
        <h3 class="card-title">{b('par.billing')}</h3>
        {priceLine ? <p class="child-billing-price">{priceLine}</p> : <p class="muted">{b('par.notSold')}</p>}
        {live ? (
          <>
            <p>
              <Badge tone={live.status === 'active' ? 'ok' : 'bad'} dot={live.status === 'active'}>
                {live.status === 'active' ? b('par.active') : b('par.suspended')}
              </Badge>{' '}
              <span class="child-billing-payer">
                {live.payer.isMe ? b('par.payerMe') : b('par.payer', { name: live.payer.name })}
              </span>
            </p>
            {item.nextChargeDate && live.status === 'active' && !(pilotEnding && !confirmed) ? (
              <p class="muted">{b('par.next', { day: day(item.nextChargeDate) })}</p>
            ) : null}
            {live.offerVersion && live.acceptedAt ? (
              <p class="muted small">
                {b('par.accepted', { version: live.offerVersion, day: day(live.acceptedAt.slice(0, 10)) })}
              </p>
            ) : null}
            {!live.payer.isMe ? (
              <p class="muted small">{b('par.payerOnly', { name: live.payer.name })}</p>
            ) : confirmCancel ? (
              <div class="notice notice-warn" role="alertdialog" aria-label={b('par.cancelConfirm')}>
                <div class="notice-body">
                  <p class="notice-title">{b('par.cancelConfirm')}</p>
                  <p>{b('par.cancelText')}</p>
                  <div class="row-actions">
                    <Button variant="danger" busy={busy === 'cancel'} onClick={() => void run('cancel')}>
                      {b('par.cancelYes')}
                    </Button>
                    <Button variant="ghost" onClick={() => setConfirmCancel(false)}>
                      {b('par.keep')}
                    </Button>
                  </div>
                </div>
              </div>
            ) : (
              <Button variant="ghost" onClick={() => setConfirmCancel(true)}>
                {b('par.cancel')}
              </Button>
            )}
          </>
        ) : priceLine && !pilotEnding ? (
          <>
            <p class="muted">{b('par.included')}:</p>
            <ul class="child-billing-included">
              <li>
                {item.included.cameras.length
                  ? b('par.cameras', { list: item.included.cameras.join(', ') })
                  : b('par.noCameras')}
              </li>
              {item.included.hours.length ? (
                <li>{b('par.hours', { list: hoursText(item.included.hours, lang) })}</li>
              ) : null}
            </ul>
            {offer ? (
              <details class="billing-history">
                <summary>{b('par.offer', { version: offer.version })}</summary>
                <div class="child-billing-offer">{offer.text}</div>
              </details>
            ) : null}
            {!item.verified ? (
              <p class="muted">{b('par.unverified')}</p>
            ) : offer ? (
              <>
                <Button
                  variant="primary"
                  class="btn-large"
                  busy={busy === 'subscribe'}
                  onClick={() => void run('subscribe')}
                >
                  {pilot || price === 0 || price === null
                    ? b('par.subscribeFree')
                    : b('par.subscribe', { price: rub(price, lang) })}
                </Button>
                <p class="small muted">{b('par.subscribeNote', { version: offer.version })}</p>
              </>
            ) : null}
          </>
        ) : null}
        {item.charges.length ? (
          <details class="billing-history" open={overdue.length > 0}>
            <summary>{b('par.history')}</summary>
            <ul class="child-billing-charges">
              {item.charges.map((c, i) => (
                <li key={i}>
                  <span>
                    {monthName(c.period, lang)}
                    {c.kind === 'adjustment'
                      ? ` · ${b('par.adjustment')}`
                      : ` · ${b('par.days', { days: c.days })}`}
                  </span>
                  <span>
                    <strong>{rub(c.amountKopecks, lang)}</strong>{' '}
                    <Badge tone={STATE_TONE[c.state]}>
                      {b(`par.state.${c.state}`, { day: day(c.dueDate) })}
                    </Badge>
                  </span>
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </div>
    </div>
  );
}
