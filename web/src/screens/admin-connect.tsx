/**
 * The kindergarten connection wizard (the institution's «Подключение» tab): the go-live checklist, each
 * group camera checked against the city's requirements (every requirement in Russian with the fix),
 * a snapshot attested as showing only the common area, the uplink the site needs, the passport PDF,
 * and go-live once everything is done.
 */
import { useState } from 'preact/hooks';
import '../consent.css';
import { connectionApi, type Connection, type ConnectionCamera } from '../api-consent.js';
import { formatDateTime } from '../format.js';
import { useAsync } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { Badge, Button, ErrorState, Loading, Notice, errorMessage } from '../ui.js';

export function ConnectionWizard({ institutionId }: { institutionId: string }) {
  const { t, lang } = useI18n();
  const [state, reload, set] = useAsync(() => connectionApi.view(institutionId), [institutionId]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const v: Connection | undefined = state.data;
  if (!v) return state.status === 'error' ? <ErrorState error={state.error} onRetry={reload} /> : <Loading />;
  const ready = v.steps.filter((s) => s.key !== 'live').every((s) => s.done);
  return (
    <section class="consent-admin" aria-labelledby="connect-title">
      <h2 id="connect-title">{t('connect.title')}</h2>
      <p class="muted small">{t('connect.lead')}</p>
      <ol class="consent-card connect-steps">
        {v.steps.map((s) => (
          <li key={s.key}>
            <Badge tone={s.done ? 'ok' : 'warn'}>{s.done ? t('connect.done') : t('connect.todo')}</Badge>{' '}
            <strong>{t(`connect.step.${s.key}`)}</strong> — {s.detail}
          </li>
        ))}
      </ol>
      <h3>{t('connect.cameras')}</h3>
      {v.cameras.length === 0 ? <p class="muted">{t('connect.noCameras')}</p> : null}
      {v.cameras.map((c) => (
        <CameraStep key={c.id} camera={c} onChanged={reload} />
      ))}
      <p>{t('connect.uplink', { mbps: v.uplinkMbps })}</p>
      <p class="muted small">{t('connect.consentLink')}</p>
      <div class="consent-actions">
        {v.wentLiveAt ? (
          <Badge tone="ok">{t('connect.live', { when: formatDateTime(v.wentLiveAt, lang) })}</Badge>
        ) : (
          <Button
            variant="primary"
            disabled={!ready}
            busy={busy}
            onClick={() => {
              setBusy(true);
              setError(null);
              connectionApi
                .goLive(institutionId)
                .then(set, (e: unknown) => setError(errorMessage(e, t)))
                .finally(() => setBusy(false));
            }}
          >
            {t('connect.goLive')}
          </Button>
        )}
        <a class="btn btn-secondary" href={connectionApi.passportUrl(institutionId)} download>
          <span>{t('connect.passport')}</span>
        </a>
      </div>
      {error ? (
        <Notice tone="bad" live>
          <p>{error}</p>
        </Notice>
      ) : null}
    </section>
  );
}

function CameraStep({ camera: c, onChanged }: { camera: ConnectionCamera; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState<'check' | 'snapshot' | 'attest' | null>(null);
  const [snapshot, setSnapshot] = useState<{ sha256: string; dataUrl: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (what: 'check' | 'snapshot' | 'attest', fn: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(null);
    }
  };
  const headingId = `connect-camera-${c.id}`;
  return (
    <section class="consent-card" aria-labelledby={headingId}>
      <div class="consent-head">
        <h4 id={headingId}>
          {c.name} <span class="muted">· {c.roomName}</span>
        </h4>
        {busy === 'check' ? (
          <Badge tone="info">{t('connect.checking')}</Badge>
        ) : !c.check ? (
          <Badge tone="neutral">{t('connect.notChecked')}</Badge>
        ) : (
          <Badge tone={c.check.passed ? 'ok' : 'bad'}>
            {c.check.passed ? t('connect.passed') : t('connect.failed')}
          </Badge>
        )}
      </div>
      {c.check?.error ? <p>{t('connect.noAnswer', { error: c.check.error })}</p> : null}
      {c.check && !c.check.error ? (
        <ul class="connect-reqs">
          {c.check.requirements.map((r) => (
            <li key={r.key} class={`req-${r.state}`}>
              <Badge tone={r.state === 'met' ? 'ok' : r.state === 'manual' ? 'info' : 'bad'}>
                {t(`connect.req.${r.state}`)}
              </Badge>{' '}
              {t('connect.req.required', { v: r.required })}. {t('connect.req.actual', { v: r.actual })}.
              {r.fix && r.state !== 'met' ? (
                <div class="muted small">{t('connect.req.fix', { v: r.fix })}</div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="consent-actions">
        <Button
          busy={busy === 'check'}
          disabled={busy !== null}
          onClick={() =>
            void run('check', async () => {
              await connectionApi.check(c.id);
              onChanged();
            })
          }
        >
          {c.check ? t('connect.recheck') : t('connect.check')}
        </Button>
        {!c.attestation ? (
          <Button
            busy={busy === 'snapshot'}
            disabled={busy !== null}
            onClick={() => void run('snapshot', async () => setSnapshot(await connectionApi.snapshot(c.id)))}
          >
            {t('connect.snapshot')}
          </Button>
        ) : null}
      </div>
      {c.attestation ? (
        <p class="muted small">
          {t('connect.attested', { who: c.attestation.byName, when: formatDateTime(c.attestation.at, lang) })}{' '}
          · SHA-256 <code>{c.attestation.sha256.slice(0, 16)}…</code>
        </p>
      ) : snapshot ? (
        <div class="connect-attest">
          <img src={snapshot.dataUrl} alt={t('connect.snapshotAlt', { name: c.name })} width={320} />
          <p>{t('connect.attestText')}</p>
          <p class="muted small">
            SHA-256 <code>{snapshot.sha256.slice(0, 16)}…</code>
          </p>
          <Button
            variant="primary"
            busy={busy === 'attest'}
            disabled={busy !== null}
            onClick={() =>
              void run('attest', async () => {
                await connectionApi.attest(c.id, snapshot.sha256);
                setSnapshot(null);
                onChanged();
              })
            }
          >
            {t('connect.attest')}
          </Button>
        </div>
      ) : null}
      {error ? (
        <Notice tone="bad" live>
          <p>{error}</p>
        </Notice>
      ) : null}
    </section>
  );
}
