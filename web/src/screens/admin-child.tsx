/**
 * One child of a kindergarten: the groups they are enrolled in (enrol, end an enrolment) and their
 * guardians (link a person, verify, remove). Ending an enrolment closes the parents' live view of
 * that group at once: open streams are re-checked every 2 s (docs/design/live-streams.md).
 */
import { api, type Enrolment, type Guardian, type GuardianCreate } from '../api.js';
import { formatDate, localDate } from '../format.js';
import { useAsync, useTitle } from '../hooks.js';
import { useI18n, type Translate } from '../i18n.js';
import { Badge, Card, ErrorState, Facts, Loading, PageHeader, type Option } from '../ui.js';
import { ResourceList } from './admin-resources.js';
import { institutionPath, str } from './admin-institution.js';

export function ChildPage({ institutionId, childId }: { institutionId: string; childId: string }) {
  const { t, lang } = useI18n();
  const [data, reload] = useAsync(async () => {
    const [institution, child, rooms, persons] = await Promise.all([
      api.institution(institutionId),
      api.children.get(childId),
      api.rooms.list(institutionId),
      api.persons.list(institutionId),
    ]);
    return { institution, child, rooms, persons };
  }, [institutionId, childId]);
  useTitle(data.data?.child.fullName ?? t('admin.tab.children'));
  const back = { href: institutionPath(institutionId, 'children'), label: t('admin.tab.children') };
  if (data.status === 'error' && !data.data)
    return (
      <div class="page">
        <PageHeader title={t('admin.tab.children')} back={back} />
        <ErrorState error={data.error} onRetry={reload} />
      </div>
    );
  if (!data.data) return <Loading />;
  const { institution, child, rooms, persons } = data.data;
  const today = localDate(new Date(), institution.timeZone);
  const roomName = (id: string) => rooms.find((r) => r.id === id)?.name ?? id;
  const groupOptions: Option[] = rooms
    .filter((r) => r.kind === 'group')
    .map((r) => ({ value: r.id, label: r.name }));
  const personOptions: Option[] = [
    { value: '', label: t('guardian.newPerson') },
    ...persons.map((p) => ({ value: p.id, label: p.displayName })),
  ];

  return (
    <div class="page page-wide">
      <PageHeader title={child.fullName} lead={institution.name} back={back} />
      <Card>
        <Facts
          items={[
            [t('child.birthDate'), child.birthDate ? formatDate(child.birthDate, lang) : t('common.none')],
            [t('child.externalRef'), child.externalRef ?? t('common.none')],
          ]}
        />
      </Card>

      <ResourceList<Enrolment>
        title={t('admin.tab.enrolments')}
        load={() => api.enrolments.list(childId)}
        deps={[childId]}
        addLabel="enrolment.add"
        intro={<p class="muted small">{t('enrolment.intro')}</p>}
        create={(v) =>
          api.enrolments.create(childId, {
            roomId: str(v.roomId),
            startDate: str(v.startDate),
            ...(v.endDate ? { endDate: str(v.endDate) } : {}),
          })
        }
        columns={[
          { label: 'enrolment.room', render: (e) => roomName(e.roomId), primary: true },
          { label: 'enrolment.startDate', render: (e) => formatDate(e.startDate, lang) },
          {
            label: 'enrolment.endDate',
            render: (e) => <EnrolmentEnd enrolment={e} today={today} t={t} lang={lang} />,
          },
        ]}
        form={[
          { name: 'roomId', label: 'enrolment.room', kind: 'select', options: groupOptions, required: true },
          { name: 'startDate', label: 'enrolment.startDate', kind: 'date', required: true, initial: today },
          { name: 'endDate', label: 'enrolment.endDate', kind: 'date', hint: 'enrolment.endDateHint' },
        ]}
        actions={[
          {
            label: 'enrolment.end',
            // Ends it before today: the last day is inclusive, so yesterday is the last one.
            when: (e) => e.startDate < today && (e.endDate === null || e.endDate >= today),
            run: (e) => api.enrolments.update(e.id, { endDate: dayBefore(today) }),
          },
          {
            label: 'common.delete',
            danger: true,
            run: async (e) => {
              if (window.confirm(t('enrolment.confirmDelete', { room: roomName(e.roomId) })))
                await api.enrolments.remove(e.id);
            },
          },
        ]}
      />

      <ResourceList<Guardian>
        title={t('admin.tab.guardians')}
        load={() => api.guardians.list(childId)}
        deps={[childId]}
        addLabel="guardian.add"
        create={(v) => api.guardians.create(childId, guardianBody(v))}
        columns={[
          { label: 'guardian.person', render: (g) => g.person.displayName, primary: true },
          { label: 'guardian.relation', render: (g) => relationWords(g.relation, t) },
          {
            label: 'guardian.verified',
            render: (g) =>
              g.verified ? (
                <Badge tone="ok">{t('common.yes')}</Badge>
              ) : (
                <Badge tone="warn">{t('guardian.unverified')}</Badge>
              ),
          },
        ]}
        form={[
          { name: 'personId', label: 'guardian.person', kind: 'select', options: personOptions },
          {
            name: 'displayName',
            label: 'guardian.displayName',
            kind: 'text',
            hint: 'guardian.newPersonHint',
          },
          { name: 'subject', label: 'guardian.subject', kind: 'text', hint: 'staff.subjectHint' },
          {
            name: 'relation',
            label: 'guardian.relation',
            kind: 'select',
            options: RELATIONS.map((r) => ({ value: r, label: relationWords(r, t) })),
          },
          { name: 'verified', label: 'guardian.verifiedCheck', kind: 'checkbox', initial: true },
        ]}
        actions={[
          {
            label: 'guardian.verify',
            when: (g) => !g.verified,
            run: (g) => api.guardians.update(g.id, { verified: true }),
          },
          {
            label: 'common.delete',
            danger: true,
            run: async (g) => {
              if (window.confirm(t('common.confirmDelete', { name: g.person.displayName })))
                await api.guardians.remove(g.id);
            },
          },
        ]}
      />
    </div>
  );
}

const RELATIONS = ['parent', 'mother', 'father', 'guardian'] as const;

function relationWords(relation: string, t: Translate): string {
  switch (relation) {
    case 'parent':
    case 'mother':
    case 'father':
    case 'guardian':
      return t(`guardian.relation.${relation}`);
    default:
      return relation;
  }
}

/** An existing person, or one named by their identity at the login provider. */
function guardianBody(v: Record<string, unknown>): GuardianCreate {
  const common = { relation: str(v.relation) || 'parent', verified: Boolean(v.verified) };
  const personId = str(v.personId);
  if (personId) return { ...common, personId };
  return { ...common, person: { subject: str(v.subject), displayName: str(v.displayName) } };
}

function EnrolmentEnd({
  enrolment,
  today,
  t,
  lang,
}: {
  enrolment: Enrolment;
  today: string;
  t: Translate;
  lang: 'ru' | 'en';
}) {
  if (enrolment.endDate === null) return <Badge tone="ok">{t('enrolment.open')}</Badge>;
  const ended = enrolment.endDate < today;
  return (
    <span>
      {formatDate(enrolment.endDate, lang)}{' '}
      {ended ? <Badge tone="neutral">{t('enrolment.ended')}</Badge> : null}
    </span>
  );
}

export function dayBefore(isoDate: string): string {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}
