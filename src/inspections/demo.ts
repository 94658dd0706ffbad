/**
 * Home inspections in the demo (called from src/demo/seed.ts inside its transaction): the demo
 * guardianship office gets two due-date rules, a checklist, three wards' cases for the demo
 * specialist (one inspection due today, one overdue, one next week, and the rule's later dates),
 * and the demo specialist and office head get their roles.
 */
import type { Transaction } from 'kysely';
import { newId } from '../shared/ids.js';
import { InspectionsRepository } from '../storage/repositories/inspections.js';
import type { Database, Role } from '../storage/schema.js';
import { addDays, toLocalTime } from '../policy/local-time.js';
import { addMonths, dueDates, type PlanStep } from './plan.js';

export const DEMO_CHECKLIST = [
  { id: 'sleep', text: 'У ребёнка есть отдельное спальное место' },
  { id: 'study', text: 'Есть место и всё нужное для занятий' },
  { id: 'food', text: 'Ребёнок накормлен, в доме есть запас продуктов' },
  { id: 'clean', text: 'Жильё в удовлетворительном санитарном состоянии' },
  { id: 'clothes', text: 'Одежда и обувь по сезону и по размеру' },
  { id: 'safety', text: 'Нет угроз жизни и здоровью ребёнка' },
];

const FIRST_YEAR: PlanStep[] = [{ untilMonth: 12, everyMonths: 1 }, { everyMonths: 6 }];
const TWICE_A_YEAR: PlanStep[] = [{ everyMonths: 6 }];

export async function seedInspectionsDemo(
  trx: Transaction<Database>,
  v: { officeId: string; personId: (subject: string) => string; today: string; ts: string },
): Promise<void> {
  const repo = new InspectionsRepository(trx);
  const { ts } = v;
  const today = toLocalTime(Date.parse(ts), 'Europe/Moscow').date;
  const bind = async (subject: string, role: Role) =>
    trx
      .insertInto('role_bindings')
      .values({
        id: newId(),
        person_id: v.personId(subject),
        role,
        scope_kind: 'institution',
        scope_id: v.officeId,
        created_at: ts,
      })
      .execute();
  await bind('demo-specialist', 'specialist');
  await bind('demo-office-head', 'office_head');
  const specialist = v.personId('demo-specialist');

  const rules = { firstYear: newId(), twice: newId() };
  await repo.insertRule({
    id: rules.firstYear,
    institution_id: v.officeId,
    name: 'Первый год — ежемесячно, затем раз в полгода',
    steps: JSON.stringify(FIRST_YEAR),
    created_at: ts,
  });
  await repo.insertRule({
    id: rules.twice,
    institution_id: v.officeId,
    name: 'Раз в полгода',
    steps: JSON.stringify(TWICE_A_YEAR),
    created_at: ts,
  });
  await repo.insertChecklist({
    id: newId(),
    institution_id: v.officeId,
    version: 1,
    items: JSON.stringify(DEMO_CHECKLIST),
    created_at: ts,
  });

  const cases = [
    // due today (opened two months ago, monthly)
    {
      number: 'ОП-2026/014',
      ward: 'Кирилл Лебедев',
      born: '2015-03-02',
      address: 'ул. Садовая, д. 12, кв. 4',
      guardians: [['Лебедева Галина Петровна', 'бабушка']],
      rule: FIRST_YEAR,
      ruleId: rules.firstYear,
      opened: addMonths(today, -2),
    },
    // overdue by five days (monthly, in the first year)
    {
      number: 'ОП-2026/009',
      ward: 'Алина Козлова',
      born: '2012-11-20',
      address: 'пр. Мира, д. 45, кв. 118',
      guardians: [
        ['Козлов Андрей Викторович', 'дядя'],
        ['Козлова Ирина Сергеевна', 'тётя'],
      ],
      rule: FIRST_YEAR,
      ruleId: rules.firstYear,
      opened: addMonths(addDays(today, -5), -3),
    },
    // next week (twice a year)
    {
      number: 'ОП-2024/031',
      ward: 'Денис Фролов',
      born: '2010-07-15',
      address: 'ул. Лесная, д. 3',
      guardians: [['Фролова Нина Ивановна', 'бабушка']],
      rule: TWICE_A_YEAR,
      ruleId: rules.twice,
      opened: addMonths(addDays(today, 7), -18),
    },
  ];
  for (const c of cases) {
    const caseId = newId();
    await repo.insertCase({
      id: caseId,
      institution_id: v.officeId,
      case_number: c.number,
      ward_name: c.ward,
      ward_birth_date: c.born,
      address: c.address,
      specialist_person_id: specialist,
      rule_id: c.ruleId,
      opened_on: c.opened,
      closed_on: null,
      created_at: ts,
      updated_at: ts,
    });
    for (const [name, relation] of c.guardians)
      await repo.insertGuardian({
        id: newId(),
        case_id: caseId,
        full_name: name!,
        relation: relation!,
        phone: null,
        created_at: ts,
      });
    for (const day of dueDates(c.opened, c.rule, addDays(today, 200)).filter((d) => d >= addDays(today, -12)))
      await repo.insertInspection({
        id: newId(),
        case_id: caseId,
        planned_on: day,
        status: 'planned',
        specialist_person_id: null,
        address: null,
        started_at: null,
        done_at: null,
        outcome: null,
        checklist_id: null,
        answers: '{}',
        notes: '',
        position: null,
        version: 0,
        created_at: ts,
        updated_at: ts,
      });
  }
}
