/**
 * The administrator's consent screen (the institution's «Согласия» tab): the kindergarten's rule, and
 * for each group its campaign — launch it, see X of Y families, who has not answered (names are for
 * the administrator only), remind, export every answer, stop asking.
 */
import { useState } from 'preact/hooks';
import '../consent.css';
import type { Room } from '../api.js';
import { consentApi, type CampaignDetail, type RoomConsent, type RuleKind } from '../api-consent.js';
import { formatDateTime } from '../format.js';
import { useAsync } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Badge, Button, ErrorState, Loading, Notice, SelectField, TextField, errorMessage } from '../ui.js';
import { consentStateText, consentTone } from './parent-consent.js';

export function ConsentCampaigns({ institutionId, rooms }: { institutionId: string; rooms: Room[] }) {
  const { t } = useI18n();
  const [rule, reloadRule] = useAsync(() => consentApi.rule(institutionId), [institutionId]);
  return (
    <section class="consent-admin" aria-labelledby="consent-admin-title">
      <h2 id="consent-admin-title">{t('consent.admin.title')}</h2>
      <p class="muted small">{t('consent.admin.lead')}</p>
      {rule.data ? (
        <RuleCard institutionId={institutionId} rule={rule.data} onSaved={reloadRule} />
      ) : rule.status === 'error' ? (
        <ErrorState error={rule.error} onRetry={reloadRule} />
      ) : (
        <Loading />
      )}
      {rooms
        .filter((r) => r.zone === 'common')
        .map((r) => (
          <GroupConsent key={r.id} room={r} />
        ))}
    </section>
  );
}

function RuleCard({
  institutionId,
  rule,
  onSaved,
}: {
  institutionId: string;
  rule: { kind: RuleKind; sharePercent: number; graceDays: number };
  onSaved: () => void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [kind, setKind] = useState<string>(rule.kind);
  const [percent, setPercent] = useState(String(rule.sharePercent === 100 ? 67 : rule.sharePercent));
  const [grace, setGrace] = useState(String(rule.graceDays));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await consentApi.setRule(institutionId, {
        kind: kind === 'share' ? 'share' : 'all',
        sharePercent: Number(percent),
        graceDays: Number(grace),
      });
      setEditing(false);
      onSaved();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="consent-card">
      <p class="consent-title">{t('consent.admin.rule')}</p>
      <p>
        {rule.kind === 'all'
          ? t('consent.admin.rule.all')
          : t('consent.admin.rule.share', { percent: rule.sharePercent })}
      </p>
      <p class="muted small">{t('consent.admin.rule.grace', { days: rule.graceDays })}</p>
      {editing ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <SelectField
            label={t('consent.admin.rule.kind')}
            value={kind}
            onValue={setKind}
            options={[
              { value: 'all', label: t('consent.admin.rule.all') },
              { value: 'share', label: t('consent.admin.rule.share', { percent }) },
            ]}
          />
          {kind === 'share' ? (
            <TextField
              label={t('consent.admin.rule.percent')}
              type="number"
              min="50"
              max="100"
              value={percent}
              onValue={setPercent}
            />
          ) : null}
          <TextField
            label={t('consent.admin.rule.graceDays')}
            type="number"
            min="0"
            max="60"
            value={grace}
            onValue={setGrace}
          />
          <Button type="submit" variant="primary" busy={busy}>
            {t('consent.admin.rule.save')}
          </Button>
        </form>
      ) : (
        <div>
          <Button onClick={() => setEditing(true)}>{t('consent.admin.rule.edit')}</Button>
        </div>
      )}
      {error ? (
        <Notice tone="bad" live>
          <p>{error}</p>
        </Notice>
      ) : null}
    </div>
  );
}

function GroupConsent({ room }: { room: Room }) {
  const { t, lang } = useI18n();
  const [state, reload, set] = useAsync(() => consentApi.room(room.id), [room.id]);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (name: string, run: () => Promise<unknown>) => {
    setBusy(name);
    setError(null);
    setMessage(null);
    try {
      await run();
      reload();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(null);
    }
  };
  const data: RoomConsent | undefined = state.data;
  const headingId = `consent-room-${room.id}`;
  return (
    <section class="consent-card" aria-labelledby={headingId}>
      <div class="consent-head">
        <h3 id={headingId}>{room.name}</h3>
        {data?.active ? (
          <Badge tone={consentTone(data.active.outcome)}>{consentStateText(data.active.outcome, t)}</Badge>
        ) : data ? (
          <Badge tone={data.groupConsent === 'given' ? 'ok' : 'neutral'}>
            {data.groupConsent === 'given' ? t('consent.state.met') : t('consent.admin.none')}
          </Badge>
        ) : null}
      </div>
      {!data ? (
        state.status === 'error' ? (
          <ErrorState error={state.error} onRetry={reload} />
        ) : (
          <Loading />
        )
      ) : data.active ? (
        <Active
          campaign={data.active}
          busy={busy}
          onRemind={() =>
            void act('remind', async () => {
              const r = await consentApi.remind(data.active!.id);
              setMessage(t('consent.admin.reminded', { n: r.pendingGuardians }));
            })
          }
          onClose={() => void act('close', () => consentApi.close(data.active!.id))}
          when={formatDateTime(data.active.launchedAt, lang)}
        />
      ) : (
        <div>
          <Button
            variant="primary"
            busy={busy === 'launch'}
            onClick={() =>
              void act('launch', async () => {
                const c = await consentApi.launch(room.id);
                set({ ...data, active: c });
              })
            }
          >
            {t('consent.admin.launch')}
          </Button>
        </div>
      )}
      {message ? (
        <Notice tone="info" live>
          <p>{message}</p>
        </Notice>
      ) : null}
      {error ? (
        <Notice tone="bad" live>
          <p>{error}</p>
        </Notice>
      ) : null}
    </section>
  );
}

function Active({
  campaign,
  busy,
  onRemind,
  onClose,
  when,
}: {
  campaign: CampaignDetail;
  busy: string | null;
  onRemind: () => void;
  onClose: () => void;
  when: string;
}) {
  const { t } = useI18n();
  const o = campaign.outcome;
  const share = o.families ? Math.round((100 * o.agreed) / o.families) : 0;
  const answerWord = (a: string | null) =>
    a === 'agree'
      ? t('consent.admin.family.agree')
      : a === 'disagree'
        ? t('consent.admin.family.disagree')
        : t('consent.admin.noAnswer');
  return (
    <>
      <p class="muted small">
        {t('consent.admin.launched', { when })} ·{' '}
        {t('consent.question.text', { version: campaign.templateVersion })}
      </p>
      <p>{t('consent.progress', { agreed: o.agreed, families: o.families })}</p>
      <div
        class="consent-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={o.families}
        aria-valuenow={o.agreed}
        aria-label={t('consent.progress', { agreed: o.agreed, families: o.families })}
      >
        <span style={{ width: `${share}%` }} />
      </div>
      <table class="consent-table">
        <caption class="sr-only">{t('consent.admin.families')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('consent.admin.child')}</th>
            <th scope="col">{t('consent.admin.guardians')}</th>
            <th scope="col">{t('consent.admin.answer')}</th>
          </tr>
        </thead>
        <tbody>
          {campaign.families.map((f) => (
            <tr key={f.childId}>
              <td>{f.childName}</td>
              <td>
                {f.guardians.map((g) => (
                  <div key={g.personId}>
                    {g.displayName}: {answerWord(g.answer)}
                  </div>
                ))}
              </td>
              <td>
                <Badge tone={f.state === 'agree' ? 'ok' : f.state === 'disagree' ? 'bad' : 'warn'}>
                  {t(`consent.admin.family.${f.state}`)}
                </Badge>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="consent-title">{t('consent.admin.staff')}</p>
      {campaign.staff.length === 0 ? (
        <p class="muted small">{t('consent.admin.noStaff')}</p>
      ) : (
        <ul>
          {campaign.staff.map((s) => (
            <li key={s.personId}>
              {s.displayName}: {answerWord(s.answer)}
            </li>
          ))}
        </ul>
      )}
      <div class="consent-actions">
        <Button busy={busy === 'remind'} disabled={busy !== null} onClick={onRemind}>
          {t('consent.admin.remind')}
        </Button>
        <a class="btn btn-secondary" href={consentApi.exportUrl(campaign.id)} download>
          <span>{t('consent.admin.export')}</span>
        </a>
        <Button variant="ghost" busy={busy === 'close'} disabled={busy !== null} onClick={onClose}>
          {t('consent.admin.close')}
        </Button>
      </div>
    </>
  );
}
