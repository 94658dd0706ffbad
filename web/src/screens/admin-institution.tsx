/**
 * One institution: its settings and what an administrator keeps, one tab each. Objects that live
 * under a room (viewing hours, consents) are shown for every room of the institution at once; a
 * child's enrolments and guardians are on the child's own page (admin-child.tsx).
 */
import { ConsentCampaigns } from './admin-consent.js';
import { ConnectionWizard } from './admin-connect.js';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import {
  api,
  type Consent,
  type Institution,
  type Person,
  type Role,
  type RoleBindingView,
  type Room,
  type Schedule,
} from '../api.js';
import { formatDate, formatDateTime } from '../format.js';
import { useAsync, useTitle } from '../hooks.js';
import { Icon } from '../icons.js';
import { locale, useI18n, type MessageKey, type Translate } from '../i18n.js';
import { Link, navigate } from '../router.js';
import { hasAnyRole, useMe } from '../session.js';
import {
  Badge,
  Button,
  Card,
  CheckboxField,
  ErrorState,
  errorMessage,
  Facts,
  Loading,
  Notice,
  PageHeader,
  SelectField,
  TabNav,
  TextField,
  type Option,
} from '../ui.js';
import { ResourceList, type FormField } from './admin-resources.js';
import { CamerasTab } from './admin-cameras.js';
import { CsvImport } from './csv-import.js';
import { timeZoneOptions } from './admin-institutions.js';
import { SubscribersTab } from './admin-billing.js';

export type InstitutionTab =
  | 'overview'
  | 'rooms'
  | 'cameras'
  | 'children'
  | 'schedules'
  | 'closed-days'
  | 'consents'
  | 'staff'
  | 'import'
  | 'connection'
  | 'billing';

export const INSTITUTION_TABS: readonly InstitutionTab[] = [
  'overview',
  'rooms',
  'cameras',
  'children',
  'schedules',
  'closed-days',
  'consents',
  'staff',
  'import',
  'connection',
  'billing',
];

const TAB_LABELS: Record<InstitutionTab, MessageKey> = {
  overview: 'admin.tab.overview',
  rooms: 'admin.tab.rooms',
  cameras: 'admin.tab.cameras',
  children: 'admin.tab.children',
  schedules: 'admin.tab.schedules',
  'closed-days': 'admin.tab.closedDays',
  consents: 'admin.tab.consents',
  staff: 'admin.tab.staff',
  import: 'admin.tab.import',
  connection: 'connect.tab',
  billing: 'admin.tab.billing',
};

const KINDERGARTEN_TABS = INSTITUTION_TABS;
const OFFICE_TABS: readonly InstitutionTab[] = ['overview', 'rooms', 'cameras', 'closed-days', 'staff'];

export function institutionPath(id: string, tab: InstitutionTab = 'overview'): string {
  return `/admin/institutions/${encodeURIComponent(id)}${tab === 'overview' ? '' : `/${tab}`}`;
}

export function InstitutionPage({ id, tab }: { id: string; tab: InstitutionTab }) {
  const { t } = useI18n();
  const [inst, reload, setInst] = useAsync(() => api.institution(id), [id]);
  useTitle(inst.data ? `${inst.data.name} — ${t(TAB_LABELS[tab])}` : t('admin.title'));
  if (inst.status === 'error' && !inst.data)
    return (
      <div class="page">
        <PageHeader title={t('admin.title')} back={{ href: '/admin', label: t('admin.title') }} />
        <ErrorState error={inst.error} onRetry={reload} />
      </div>
    );
  if (!inst.data) return <Loading />;
  const institution = inst.data;
  const tabs = (institution.kind === 'office' ? OFFICE_TABS : KINDERGARTEN_TABS).map((x) => ({
    id: x,
    label: TAB_LABELS[x],
    href: institutionPath(id, x),
  }));
  return (
    <div class="page page-wide">
      <PageHeader
        title={institution.name}
        lead={`${t(`admin.kind.${institution.kind}`)} · ${institution.timeZone}`}
        back={{ href: '/admin', label: t('admin.title') }}
      />
      <TabNav label={t('admin.tabs')} tabs={tabs} active={tab} />
      <div class="tab-panel">
        <TabContent institution={institution} tab={tab} onChanged={setInst} />
      </div>
    </div>
  );
}

/** Rooms whose viewing hours and consents matter: group rooms and halls parents may see. */
const isGroupLike = (r: Room) => r.kind === 'group' || r.kind === 'hall';

function TabContent({
  institution,
  tab,
  onChanged,
}: {
  institution: Institution;
  tab: InstitutionTab;
  onChanged: (i: Institution) => void;
}) {
  const { t, lang } = useI18n();
  const id = institution.id;
  const needsRooms = tab === 'cameras' || tab === 'schedules' || tab === 'consents' || tab === 'staff';
  const [lookups, reloadLookups] = useAsync(
    async () => (needsRooms ? await api.rooms.list(id) : []),
    [id, needsRooms],
  );
  const rooms: Room[] = lookups.data ?? [];
  const roomName = (rid: string) => rooms.find((r) => r.id === rid)?.name ?? rid;
  const groupRooms = rooms.filter(isGroupLike);
  const groupOptions: Option[] = groupRooms.map((r) => ({ value: r.id, label: r.name }));
  if (needsRooms && !lookups.data)
    return lookups.status === 'error' ? (
      <ErrorState error={lookups.error} onRetry={reloadLookups} />
    ) : (
      <Loading />
    );

  switch (tab) {
    case 'overview':
      return <Overview institution={institution} onChanged={onChanged} />;
    case 'rooms':
      return (
        <ResourceList
          load={() => api.rooms.list(id)}
          deps={[id]}
          addLabel="room.add"
          create={(v) =>
            api.rooms.create(id, {
              name: str(v.name),
              kind: str(v.kind) as Room['kind'],
              zone: v.zone === 'restricted' ? 'restricted' : 'common',
            })
          }
          columns={[
            { label: 'admin.field.name', render: (r) => r.name, primary: true },
            { label: 'admin.field.kind', render: (r) => t(`room.kind.${r.kind}`) },
            { label: 'room.zone', render: (r) => <ZoneBadge zone={r.zone} t={t} /> },
          ]}
          form={[
            { name: 'name', label: 'admin.field.name', kind: 'text', required: true },
            {
              name: 'kind',
              label: 'admin.field.kind',
              kind: 'select',
              options: roomKindOptions(t, institution.kind),
            },
            {
              name: 'zone',
              label: 'room.zone',
              kind: 'select',
              options: [
                { value: 'common', label: t('room.zone.common') },
                { value: 'restricted', label: t('room.zone.restricted') },
              ],
            },
          ]}
          actions={[
            {
              label: 'common.delete',
              danger: true,
              run: (r) => confirmThen(t, r.name, () => api.rooms.remove(r.id)),
            },
          ]}
        />
      );
    case 'cameras':
      return <CamerasTab institution={institution} rooms={rooms} />;
    case 'children':
      return (
        <ResourceList
          load={() => api.children.list(id)}
          deps={[id]}
          addLabel="child.add"
          create={(v) =>
            api.children.create(id, {
              fullName: str(v.fullName),
              ...(v.birthDate ? { birthDate: str(v.birthDate) } : {}),
              ...(v.externalRef ? { externalRef: str(v.externalRef) } : {}),
            })
          }
          columns={[
            {
              label: 'child.fullName',
              render: (c) => (
                <Link href={`${institutionPath(id, 'children')}/${encodeURIComponent(c.id)}`}>
                  {c.fullName}
                </Link>
              ),
              primary: true,
            },
            {
              label: 'child.birthDate',
              render: (c) => (c.birthDate ? formatDate(c.birthDate, lang) : t('common.none')),
            },
            { label: 'child.externalRef', render: (c) => c.externalRef ?? t('common.none') },
          ]}
          form={[
            { name: 'fullName', label: 'child.fullName', kind: 'text', required: true },
            { name: 'birthDate', label: 'child.birthDate', kind: 'date' },
            { name: 'externalRef', label: 'child.externalRef', kind: 'text' },
          ]}
        />
      );
    case 'schedules':
      return (
        <ResourceList<Schedule>
          load={async () =>
            sortSchedules((await Promise.all(groupRooms.map((r) => api.schedules.list(r.id)))).flat(), rooms)
          }
          deps={[id, groupRooms.map((r) => r.id).join()]}
          addLabel="schedule.add"
          intro={<p class="muted small">{t('schedule.intro', { zone: institution.timeZone })}</p>}
          create={(v) =>
            api.schedules.create(str(v.roomId), {
              weekday: Number(v.weekday),
              startTime: str(v.startTime),
              endTime: str(v.endTime),
            })
          }
          columns={[
            { label: 'schedule.room', render: (s) => roomName(s.roomId), primary: true },
            { label: 'schedule.weekday', render: (s) => weekdayName(s.weekday, lang) },
            { label: 'schedule.hours', render: (s) => `${s.startTime}–${s.endTime}` },
          ]}
          form={[
            { name: 'roomId', label: 'schedule.room', kind: 'select', options: groupOptions, required: true },
            { name: 'weekday', label: 'schedule.weekday', kind: 'select', options: weekdayOptions(lang) },
            { name: 'startTime', label: 'schedule.start', kind: 'time', required: true, initial: '08:00' },
            { name: 'endTime', label: 'schedule.end', kind: 'time', required: true, initial: '18:00' },
          ]}
          actions={[{ label: 'common.delete', danger: true, run: (s) => api.schedules.remove(s.id) }]}
        />
      );
    case 'closed-days':
      return (
        <ResourceList
          load={() => api.closedDays.list(id)}
          deps={[id]}
          addLabel="closedDay.add"
          create={(v) =>
            api.closedDays.create(id, { day: str(v.day), ...(v.reason ? { reason: str(v.reason) } : {}) })
          }
          columns={[
            { label: 'closedDay.day', render: (d) => formatDate(d.day, lang), primary: true },
            { label: 'closedDay.reason', render: (d) => d.reason ?? t('common.none') },
          ]}
          form={[
            { name: 'day', label: 'closedDay.day', kind: 'date', required: true },
            { name: 'reason', label: 'closedDay.reason', kind: 'text' },
          ]}
          actions={[{ label: 'common.delete', danger: true, run: (d) => api.closedDays.remove(d.id) }]}
        />
      );
    case 'consents':
      return (
        <>
          <ConsentCampaigns institutionId={id} rooms={groupRooms} />
          <ResourceList<Consent>
            load={async () =>
              (await Promise.all(groupRooms.map((r) => api.consents.list(r.id))))
                .flat()
                .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))
            }
            deps={[id, groupRooms.map((r) => r.id).join()]}
            addLabel="consent.add"
            intro={
              <p class="muted small">
                {institution.consentRequired ? t('consent.intro') : t('consent.notRequired')}
              </p>
            }
            create={(v) =>
              api.consents.create(str(v.roomId), {
                status: v.status === 'withdrawn' ? 'withdrawn' : 'given',
                ...(v.note ? { note: str(v.note) } : {}),
              })
            }
            columns={[
              { label: 'consent.room', render: (c) => roomName(c.roomId), primary: true },
              {
                label: 'consent.status',
                render: (c) =>
                  c.status === 'given' ? (
                    <Badge tone="ok">{t('consent.given')}</Badge>
                  ) : (
                    <Badge tone="bad">{t('consent.withdrawn')}</Badge>
                  ),
              },
              { label: 'consent.note', render: (c) => c.note ?? t('common.none') },
              { label: 'consent.recordedAt', render: (c) => formatDateTime(c.recordedAt, lang) },
            ]}
            form={[
              {
                name: 'roomId',
                label: 'consent.room',
                kind: 'select',
                options: groupOptions,
                required: true,
              },
              {
                name: 'status',
                label: 'consent.status',
                kind: 'select',
                options: [
                  { value: 'given', label: t('consent.given') },
                  { value: 'withdrawn', label: t('consent.withdrawn') },
                ],
              },
              { name: 'note', label: 'consent.note', kind: 'text' },
            ]}
          />
        </>
      );
    case 'connection':
      return <ConnectionWizard institutionId={id} />;
    case 'billing':
      return <SubscribersTab institutionId={id} />;
    case 'staff':
      return <StaffTab institution={institution} rooms={rooms} />;
    case 'import':
      return <CsvImport institutionId={id} />;
  }
}

/** A form value as a string (the forms only hold strings and booleans). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function confirmThen(t: Translate, name: string, run: () => Promise<void>): Promise<void> {
  if (window.confirm(t('common.confirmDelete', { name }))) await run();
}

function sortSchedules(items: Schedule[], rooms: Room[]): Schedule[] {
  const order = new Map(rooms.map((r, i) => [r.id, i]));
  return items.sort(
    (a, b) =>
      (order.get(a.roomId) ?? 0) - (order.get(b.roomId) ?? 0) ||
      a.weekday - b.weekday ||
      a.startTime.localeCompare(b.startTime),
  );
}

function ZoneBadge({ zone, t }: { zone: 'common' | 'restricted'; t: Translate }) {
  return zone === 'common' ? (
    <Badge tone="ok">{t('room.zone.common')}</Badge>
  ) : (
    <Badge tone="warn">
      <Icon name="lock" size={14} />
      {t('room.zone.restricted')}
    </Badge>
  );
}

function roomKindOptions(t: Translate, kind: Institution['kind']): Option[] {
  const kinds =
    kind === 'office'
      ? (['workplace', 'entrance', 'hall'] as const)
      : (['group', 'hall', 'entrance'] as const);
  return kinds.map((k) => ({ value: k, label: t(`room.kind.${k}`) }));
}

function weekdayName(weekday: number, lang: 'ru' | 'en'): string {
  // 2024-01-01 was a Monday (ISO weekday 1).
  const d = new Date(Date.UTC(2024, 0, weekday));
  return new Intl.DateTimeFormat(locale(lang), { weekday: 'long', timeZone: 'UTC' }).format(d);
}

function weekdayOptions(lang: 'ru' | 'en'): Option[] {
  return [1, 2, 3, 4, 5, 6, 7].map((w) => ({ value: String(w), label: weekdayName(w, lang) }));
}

// ---------------------------------------------------------------------------------------------------
// Staff: role bindings in the institution and its rooms

/** Who may grant which roles at institution scope (the server's table: src/authz/table.ts). */
const GRANTS: Partial<Record<Role, readonly Role[]>> = {
  city_operator: ['auditor'],
  regional_operator: ['office_head', 'employee', 'reception', 'auditor'],
  kindergarten_admin: ['kindergarten_admin'],
  office_head: ['employee', 'reception'],
};
/** Roles that fit an institution of each kind, at institution scope (employees also per room). */
const ROLES_FOR: Record<Institution['kind'], readonly Role[]> = {
  kindergarten: ['kindergarten_admin', 'auditor'],
  office: ['office_head', 'employee', 'reception', 'inspector', 'auditor'],
};

function StaffTab({ institution, rooms }: { institution: Institution; rooms: Room[] }) {
  const { t } = useI18n();
  const me = useMe();
  const id = institution.id;
  const grantable = ROLES_FOR[institution.kind].filter((r) =>
    me.roles.some((b) => GRANTS[b.role]?.includes(r)),
  );
  const [people] = useAsync(() => api.persons.list(id), [id]);
  const byId = new Map<string, Person>((people.data ?? []).map((p) => [p.id, p]));
  const places = new Set([id, ...rooms.map((r) => r.id)]);
  const roomOptions: Option[] =
    institution.kind === 'office' ? rooms.map((r) => ({ value: r.id, label: r.name })) : [];

  const form: FormField[] = [
    { name: 'displayName', label: 'staff.displayName', kind: 'text', required: true },
    { name: 'subject', label: 'staff.subject', kind: 'text', required: true, hint: 'staff.subjectHint' },
    {
      name: 'role',
      label: 'staff.role',
      kind: 'select',
      options: grantable.map((r) => ({ value: r, label: t(`role.${r}`) })),
    },
    ...(roomOptions.length
      ? [
          {
            name: 'scopeId',
            label: 'staff.scope' as const,
            kind: 'select' as const,
            options: [{ value: id, label: t('staff.wholeInstitution') }, ...roomOptions],
          },
        ]
      : []),
  ];

  return (
    <ResourceList<RoleBindingView>
      load={async () => (await api.roleBindings.list({})).filter((b) => places.has(b.scopeId))}
      deps={[id, [...places].join()]}
      addLabel="staff.add"
      intro={<p class="muted small">{t('staff.intro')}</p>}
      form={form}
      create={
        grantable.length
          ? (v) => {
              const scopeId = str(v.scopeId) || id;
              return api.roleBindings.create({
                role: str(v.role) as Role,
                scopeKind: scopeId === id ? 'institution' : 'room',
                scopeId,
                person: { subject: str(v.subject), displayName: str(v.displayName) },
              });
            }
          : undefined
      }
      columns={[
        {
          label: 'staff.person',
          render: (b) =>
            byId.get(b.personId)?.displayName ?? <code class="id">{b.personId.slice(0, 8)}…</code>,
          primary: true,
        },
        { label: 'staff.role', render: (b) => t(`role.${b.role}`) },
        {
          label: 'staff.scope',
          render: (b) =>
            b.scopeKind === 'room'
              ? (rooms.find((r) => r.id === b.scopeId)?.name ?? b.scopeId)
              : t('staff.wholeInstitution'),
        },
      ]}
      actions={
        grantable.length
          ? [
              {
                label: 'staff.revoke',
                danger: true,
                when: (b) => grantable.includes(b.role),
                run: (b) => api.roleBindings.remove(b.id),
              },
            ]
          : []
      }
    />
  );
}

// ---------------------------------------------------------------------------------------------------
// Overview: the institution's settings (the operator's decisions; administrators read them)

function Overview({
  institution,
  onChanged,
}: {
  institution: Institution;
  onChanged: (i: Institution) => void;
}) {
  const { t, lang } = useI18n();
  const me = useMe();
  // Tariff, pilot status, time zone and consent requirement are the operator's decisions.
  const isOperator = hasAnyRole(me, ['city_operator', 'regional_operator']);
  const [name, setName] = useState(institution.name);
  const [timeZone, setTimeZone] = useState(institution.timeZone);
  const [consentRequired, setConsentRequired] = useState(institution.consentRequired);
  const [freePilot, setFreePilot] = useState(institution.freePilot);
  const [fee, setFee] = useState(
    institution.monthlyFeeMinor === null ? '' : String(institution.monthlyFeeMinor / 100),
  );
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: true } | { ok: false; error: unknown } | null>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const updated = await api.updateInstitution(institution.id, {
        name: name.trim(),
        timeZone,
        ...(institution.kind === 'kindergarten'
          ? {
              consentRequired,
              freePilot,
              monthlyFeeMinor: fee.trim() === '' ? null : Math.round(Number(fee.replace(',', '.')) * 100),
            }
          : {}),
      });
      onChanged(updated);
      setResult({ ok: true });
    } catch (error) {
      setResult({ ok: false, error });
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!window.confirm(t('common.confirmDelete', { name: institution.name }))) return;
    try {
      await api.deleteInstitution(institution.id);
      navigate('/admin', { replace: true });
    } catch (error) {
      setResult({ ok: false, error });
    }
  };

  const feeText =
    institution.monthlyFeeMinor === null
      ? t('common.none')
      : new Intl.NumberFormat(locale(lang), { style: 'currency', currency: 'RUB' }).format(
          institution.monthlyFeeMinor / 100,
        );
  const facts: [string, ComponentChildren][] = [
    [t('admin.field.kind'), t(`admin.kind.${institution.kind}`)],
    [t('admin.field.timeZone'), institution.timeZone],
    ...(institution.kind === 'kindergarten'
      ? ([
          [t('admin.field.monthlyFee'), institution.freePilot ? t('admin.field.freePilot') : feeText],
          [t('admin.field.consentRequired'), institution.consentRequired ? t('common.yes') : t('common.no')],
        ] as [string, ComponentChildren][])
      : []),
    ['ID', <code key="id">{institution.id}</code>],
  ];

  if (!isOperator)
    return (
      <div class="overview">
        <Card>
          <Facts items={facts} />
          <p class="muted small">{t('admin.operatorDecides')}</p>
        </Card>
      </div>
    );

  return (
    <div class="overview">
      <form class="card form-card" onSubmit={(e) => void save(e)}>
        <div class="form-grid">
          <TextField label={t('admin.field.name')} value={name} onValue={setName} required />
          <SelectField
            label={t('admin.field.timeZone')}
            value={timeZone}
            onValue={setTimeZone}
            options={timeZoneOptions(institution.timeZone)}
          />
          {institution.kind === 'kindergarten' ? (
            <TextField
              label={t('admin.field.monthlyFee')}
              value={fee}
              onValue={setFee}
              inputMode="decimal"
              disabled={freePilot}
            />
          ) : null}
        </div>
        {institution.kind === 'kindergarten' ? (
          <div class="form-checks">
            <CheckboxField
              label={t('admin.field.consentRequired')}
              checked={consentRequired}
              onChecked={setConsentRequired}
            />
            <CheckboxField label={t('admin.field.freePilot')} checked={freePilot} onChecked={setFreePilot} />
          </div>
        ) : null}
        {result ? (
          result.ok ? (
            <Notice tone="ok" icon="check" live>
              <p>{t('common.saved')}</p>
            </Notice>
          ) : (
            <Notice tone="bad" icon="alert" live>
              <p>{errorMessage(result.error, t)}</p>
            </Notice>
          )
        ) : null}
        <div class="form-actions">
          <Button type="submit" variant="primary" busy={busy}>
            {busy ? t('common.saving') : t('common.save')}
          </Button>
        </div>
      </form>
      <Card class="overview-facts">
        <Facts items={facts} />
        <Button variant="danger" onClick={() => void remove()}>
          {t('admin.deleteInstitution')}
        </Button>
      </Card>
    </div>
  );
}
