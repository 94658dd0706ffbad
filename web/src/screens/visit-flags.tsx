/**
 * Flags for the office head and the regional operator: each with its evidence (times, gap causes,
 * the camera's failure), a link to play the visit, and «Закрыть флаг» with a comment (audited).
 */
import { useState } from 'preact/hooks';
import { useAsync, useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { formatDateTime } from '../format.js';
import { Link } from '../router.js';
import {
  Badge,
  Button,
  Card,
  EmptyState,
  Facts,
  ErrorState,
  Loading,
  Notice,
  PageHeader,
  TabNav,
  TextArea,
  errorMessage,
} from '../ui.js';
import { visitsApi, type Flag } from '../visits/api.js';
import '../visits/visits.css';

const CAUSE_TEXT: Record<string, string> = {
  camera_offline: 'камера недоступна',
  ingest_restart: 'перезапуск приёма видео',
  disk_full: 'нет места на диске',
  policy_off: 'запись не велась по настройкам',
  server_restart: 'перезапуск сервера',
};

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '—');

function Evidence({ f }: { f: Flag }) {
  const { lang } = useI18n();
  const e = f.evidence;
  const at = (v: unknown) => (typeof v === 'string' ? formatDateTime(v, lang) : '—');
  const items: [string, string][] = [];
  if (f.code === 'visit_gap' && Array.isArray(e.gaps))
    for (const g of e.gaps as { start: string; end: string | null; cause: string }[])
      items.push([
        'Пропуск',
        `${at(g.start)} — ${g.end ? at(g.end) : 'продолжается'} · ${CAUSE_TEXT[g.cause] ?? g.cause}`,
      ]);
  if (typeof e.visitStartedAt === 'string')
    items.push(['Приём', `${at(e.visitStartedAt)} — ${at(e.visitEndedAt)}`]);
  if (f.code === 'camera_dark')
    items.push(
      ['Камера не работала', `${at(e.start)} — ${e.end ? at(e.end) : 'до сих пор'}`],
      ['Причина', str(e.reason)],
      ['В рабочие часы', `${Math.round(Number(e.darkInWorkingHoursSeconds ?? 0) / 60)} мин`],
    );
  if (f.code === 'visit_too_long')
    items.push(
      ['Начат', at(e.startedAt)],
      ['Закрыт автоматически', at(e.closedAt)],
      ['Предел', `${str(e.maxOpenMinutes)} мин`],
    );
  if (f.code === 'recording_changed') {
    if (e.before !== undefined)
      items.push(['Режим', `${str(e.before)} → ${str(e.after)}`], ['Кто', str(e.changedBy)]);
    else
      items.push(
        ['Камера', String((e.camera as { name?: string } | undefined)?.name ?? '—')],
        ['С', at(e.since)],
      );
  }
  if (f.code === 'visit_camera_offline' && Array.isArray(e.cameras))
    for (const c of e.cameras as {
      name: string;
      down: boolean;
      since: string | null;
      reason: string | null;
    }[])
      items.push([c.name, c.down ? `не работала с ${at(c.since)} (${c.reason ?? '—'})` : 'работала']);
  if (f.code === 'visits_missing')
    items.push(
      ['День', str(e.day)],
      ['Приёмов у сотрудника', str(e.visitsOfEmployee)],
      ['Приёмов на других местах', str(e.visitsAtOtherWorkplaces)],
    );
  return <Facts items={items} />;
}

function FlagCard({ f, onResolved }: { f: Flag; onResolved: (f: Flag) => void }) {
  const { t, lang } = useI18n();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const resolve = async () => {
    setBusy(true);
    setError(null);
    try {
      onResolved(await visitsApi.resolve(f.id, comment));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const cam = f.cameraId ?? (f.evidence.camera as { id?: string } | undefined)?.id;
  return (
    <Card class="flag-card">
      <div class="flag-head">
        <h2 class="card-title">{f.label}</h2>
        <Badge tone={f.status === 'open' ? 'bad' : 'ok'}>{f.status === 'open' ? 'открыт' : 'закрыт'}</Badge>
      </div>
      <p class="muted small">
        {f.institutionName}
        {f.roomName ? ` · ${f.roomName}` : ''}
        {f.person ? ` · ${f.person.name}` : ''} · {formatDateTime(f.startedAt, lang)}
      </p>
      <Evidence f={f} />
      {f.visitId && cam ? (
        <p>
          <Link href={`/recordings/${cam}?visit=${f.visitId}&day=${f.startedAt.slice(0, 10)}`}>
            Открыть приём в записях
          </Link>
        </p>
      ) : null}
      {f.status === 'resolved' ? (
        <p class="small">
          Закрыт {f.resolvedAt ? formatDateTime(f.resolvedAt, lang) : ''} — {f.resolvedBy?.name}: «{f.comment}
          »
        </p>
      ) : (
        <div class="flag-resolve">
          <TextArea
            label="Комментарий"
            hint="Что проверено и что сделано"
            value={comment}
            onValue={setComment}
            rows={2}
          />
          {error ? (
            <Notice tone="bad" icon="alert" live>
              <p>{errorMessage(error, t)}</p>
            </Notice>
          ) : null}
          <Button variant="primary" icon="check" busy={busy} onClick={() => void resolve()}>
            Закрыть флаг
          </Button>
        </div>
      )}
    </Card>
  );
}

export function VisitFlags({ status }: { status: 'open' | 'resolved' }) {
  useTitle('Флаги');
  const [flags, reload, set] = useAsync(() => visitsApi.flags({ status }), [status]);
  return (
    <div class="page">
      <PageHeader
        title="Флаги приёмов и записи"
        lead="Пропуски записи, камеры без сигнала, изменения режима, долгие приёмы и дни без приёмов"
        actions={<Link href="/visits/coverage">Покрытие записью</Link>}
      />
      <TabNav
        label="Флаги"
        active={status}
        tabs={[
          { id: 'open', href: '/visits/flags', label: 'visits.flagsOpen' },
          { id: 'resolved', href: '/visits/flags?status=resolved', label: 'visits.flagsResolved' },
        ]}
      />
      {flags.status === 'error' && !flags.data ? (
        <ErrorState error={flags.error} onRetry={reload} />
      ) : !flags.data ? (
        <Loading />
      ) : flags.data.length === 0 ? (
        <EmptyState icon="check" title={status === 'open' ? 'Открытых флагов нет' : 'Закрытых флагов нет'} />
      ) : (
        flags.data.map((f) => (
          <FlagCard
            key={f.id}
            f={f}
            onResolved={(r) => set(flags.data!.map((x) => (x.id === r.id ? r : x)))}
          />
        ))
      )}
    </div>
  );
}
