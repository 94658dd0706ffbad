/**
 * The kindergarten administrator's tab «Подписки и оплата»: the kindergarten's subscribers (one
 * subscription per child; the payer named), their status (a suspension for an unpaid month shows as
 * such) and arrears — charged, paid, and what is unpaid past its due date.
 */
import '../billing/billing.css';
import { billingApi, rub } from '../billing/client.js';
import { useBillingText } from '../billing/strings.js';
import { useAsync } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Badge, ErrorState, Loading } from '../ui.js';

export function SubscribersTab({ institutionId }: { institutionId: string }) {
  const { lang } = useI18n();
  const b = useBillingText();
  const [state, reload] = useAsync(
    (signal) => billingApi.subscribers(institutionId, signal),
    [institutionId],
  );
  if (!state.data)
    return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const rows = state.data.items;
  const active = rows.filter((r) => r.status === 'active').length;
  const suspended = rows.filter((r) => r.status === 'suspended').length;
  const arrears = rows.reduce((s, r) => s + r.arrearsKopecks, 0);
  return (
    <div class="billing-stack">
      <h2 class="section-title">{b('sub.title')}</h2>
      <ul class="stats">
        <li class="stat stat-info">
          <span class="stat-value">{rows.length}</span>
          <span class="stat-label">{b('sub.count')}</span>
        </li>
        <li class="stat stat-ok">
          <span class="stat-value">{active}</span>
          <span class="stat-label">{b('sub.active')}</span>
        </li>
        <li class={`stat${suspended ? ' stat-bad' : ''}`}>
          <span class="stat-value">{suspended}</span>
          <span class="stat-label">{b('sub.suspended')}</span>
        </li>
        <li class={`stat${arrears ? ' stat-bad' : ''}`}>
          <span class="stat-value billing-money">{rub(arrears, lang)}</span>
          <span class="stat-label">{b('sub.arrears')}</span>
        </li>
      </ul>
      {rows.length === 0 ? (
        <p class="muted">{b('sub.none')}</p>
      ) : (
        <div class="table-wrap">
          <table class="table responsive">
            <thead>
              <tr>
                <th scope="col">{b('run.child')}</th>
                <th scope="col">{b('run.account')}</th>
                <th scope="col">{b('run.payer')}</th>
                <th scope="col">{b('run.status')}</th>
                <th scope="col" class="num">
                  {b('sub.charged')}
                </th>
                <th scope="col" class="num">
                  {b('sub.paid')}
                </th>
                <th scope="col" class="num">
                  {b('sub.arrears')}
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.subscriptionId}>
                  <td class="cell-primary" data-label={b('run.child')}>
                    {r.childName}
                  </td>
                  <td data-label={b('run.account')}>{r.accountNumber}</td>
                  <td data-label={b('run.payer')}>{r.payerName}</td>
                  <td data-label={b('run.status')}>
                    <Badge tone={r.status === 'active' ? 'ok' : r.status === 'suspended' ? 'bad' : 'neutral'}>
                      {r.status === 'active' || r.status === 'suspended' || r.status === 'cancelled'
                        ? b(`sub.status.${r.status}`)
                        : r.status}
                      {r.suspendedReason === 'unpaid' ? `: ${b('sub.unpaid')}` : ''}
                    </Badge>
                  </td>
                  <td class="num" data-label={b('sub.charged')}>
                    {rub(r.chargedKopecks, lang)}
                  </td>
                  <td class="num" data-label={b('sub.paid')}>
                    {rub(r.paidKopecks, lang)}
                  </td>
                  <td
                    class={`num${r.arrearsKopecks > 0 ? ' billing-debt' : ''}`}
                    data-label={b('sub.arrears')}
                  >
                    {rub(r.arrearsKopecks, lang)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
