/** Institutions the person manages; operators add new ones here. */
import { useEffect, useState } from 'preact/hooks';
import { api, type InstitutionKind } from '../api.js';
import { useAsync, useTitle } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n, type Translate } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { hasAnyRole, useMe } from '../session.js';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader, type Option } from '../ui.js';
import { CreateForm, type FormField } from './admin-resources.js';
import { str } from './admin-institution.js';

export const TIME_ZONES = [
  'Europe/Kaliningrad',
  'Europe/Moscow',
  'Europe/Samara',
  'Asia/Yekaterinburg',
  'Asia/Omsk',
  'Asia/Novosibirsk',
  'Asia/Krasnoyarsk',
  'Asia/Irkutsk',
  'Asia/Yakutsk',
  'Asia/Vladivostok',
  'Asia/Magadan',
  'Asia/Kamchatka',
] as const;

export function timeZoneOptions(current?: string): Option[] {
  const zones: string[] = [...TIME_ZONES];
  if (current && !zones.includes(current)) zones.unshift(current);
  return zones.map((z) => ({ value: z, label: z.replace('_', ' ') }));
}

/** City operators add kindergartens, regional operators offices. */
export function kindOptions(t: Translate, kinds: readonly InstitutionKind[]): Option[] {
  return kinds.map((k) => ({ value: k, label: t(`admin.kind.${k}`) }));
}

export function Institutions() {
  const { t } = useI18n();
  const me = useMe();
  useTitle(t('admin.title'));
  const isOperator = hasAnyRole(me, ['city_operator', 'regional_operator']);
  const kinds: InstitutionKind[] = [
    ...(hasAnyRole(me, ['city_operator']) ? (['kindergarten'] as const) : []),
    ...(hasAnyRole(me, ['regional_operator']) ? (['office'] as const) : []),
  ];
  const [adding, setAdding] = useState(false);
  const [list, reload] = useAsync(() => api.institutions(), []);
  // An institution is created in a region the operator runs.
  const [regions] = useAsync(() => (isOperator ? api.regions() : Promise.resolve([])), [isOperator]);
  const regionOptions = (regions.data ?? []).map((r) => ({ value: r.id, label: r.name }));
  const fields: FormField[] = [
    { name: 'name', label: 'admin.field.name', kind: 'text', required: true },
    ...(kinds.length > 1
      ? [
          {
            name: 'kind',
            label: 'admin.field.kind' as const,
            kind: 'select' as const,
            options: kindOptions(t, kinds),
          },
        ]
      : []),
    ...(regionOptions.length > 1
      ? [
          {
            name: 'regionId',
            label: 'admin.field.region' as const,
            kind: 'select' as const,
            options: regionOptions,
          },
        ]
      : []),
    {
      name: 'timeZone',
      label: 'admin.field.timeZone',
      kind: 'select',
      options: timeZoneOptions(),
      initial: 'Europe/Moscow',
    },
    { name: 'consentRequired', label: 'admin.field.consentRequired', kind: 'checkbox', initial: true },
    { name: 'freePilot', label: 'admin.field.freePilot', kind: 'checkbox' },
  ];

  // An administrator of exactly one institution goes straight to it.
  useEffect(() => {
    if (!isOperator && list.status === 'ok' && list.data.length === 1 && list.data[0])
      navigate(`/admin/institutions/${encodeURIComponent(list.data[0].id)}`, { replace: true });
  }, [list, isOperator]);

  return (
    <div class="page">
      <PageHeader
        title={t('admin.title')}
        lead={t('admin.lead')}
        actions={
          kinds.length && regionOptions.length && !adding ? (
            <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>
              {t('admin.add')}
            </Button>
          ) : null
        }
      />
      {adding ? (
        <CreateForm
          title={t('admin.add')}
          fields={fields}
          onCancel={() => setAdding(false)}
          onSubmit={async (body) => {
            const kind = body.kind === 'office' || body.kind === 'kindergarten' ? body.kind : kinds[0];
            const created = await api.createInstitution({
              regionId: str(body.regionId) || (regionOptions[0]?.value ?? ''),
              name: str(body.name),
              kind: kind ?? 'kindergarten',
              timeZone: str(body.timeZone) || 'Europe/Moscow',
              freePilot: Boolean(body.freePilot),
              // Offices have no parents' consent to ask for.
              consentRequired: kind === 'office' ? false : Boolean(body.consentRequired),
            });
            setAdding(false);
            navigate(`/admin/institutions/${encodeURIComponent(created.id)}`);
          }}
        />
      ) : null}
      {list.status === 'error' && !list.data ? (
        <ErrorState error={list.error} onRetry={reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState icon="people" title={t('admin.empty')} />
      ) : (
        <ul class="tile-list">
          {list.data.map((inst) => (
            <li key={inst.id}>
              <Link href={`/admin/institutions/${encodeURIComponent(inst.id)}`} class="tile">
                <span class="tile-icon" aria-hidden="true">
                  <Icon name={inst.kind === 'office' ? 'shield' : 'people'} size={22} />
                </span>
                <span class="tile-body">
                  <span class="tile-title">{inst.name}</span>
                  <span class="tile-meta">
                    <Badge tone="neutral">{t(`admin.kind.${inst.kind}`)}</Badge>
                    <span class="muted small">{inst.timeZone}</span>
                    {inst.freePilot ? <Badge tone="info">{t('admin.field.freePilot')}</Badge> : null}
                  </span>
                </span>
                <Icon name="back" size={18} class="tile-chevron" />
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
