/**
 * The demo people: seeded into the database by `okno demo` and offered by the embedded development
 * identity provider's "log in as" page. The subject is what the provider puts in `sub`.
 */
export interface DemoPerson {
  subject: string;
  displayName: string;
  email: string;
  /** what they are in the demo, shown on the dev provider's page */
  description: string;
}

export const DEMO_PEOPLE = [
  {
    subject: 'demo-parent-anna',
    displayName: 'Анна Иванова',
    email: 'anna@example.test',
    description: 'parent: Маша, group «Пчёлки», kindergarten №1 (paid)',
  },
  {
    subject: 'demo-parent-petr',
    displayName: 'Пётр Смирнов',
    email: 'petr@example.test',
    description: 'parent: Ваня, group «Ромашки», kindergarten №2 (free pilot)',
  },
  {
    subject: 'demo-kg-admin',
    displayName: 'Ольга Петровна Кузнецова',
    email: 'olga@example.test',
    description: 'kindergarten administrator, kindergarten №1',
  },
  {
    subject: 'demo-operator',
    displayName: 'Сергей Волков',
    email: 'operator@example.test',
    description: 'city operator, demo city',
  },
  {
    subject: 'demo-auditor',
    displayName: 'Марина Лебедева',
    email: 'auditor@example.test',
    description: 'auditor, demo city',
  },
  {
    subject: 'demo-employee',
    displayName: 'Игорь Соколов',
    email: 'igor@example.test',
    description: 'employee, guardianship office, workplace 1',
  },
  {
    subject: 'demo-inspector',
    displayName: 'Елена Морозова',
    email: 'inspector@example.test',
    description: 'inspector (anti-corruption), demo city',
  },
  {
    subject: 'demo-specialist',
    displayName: 'Татьяна Гусева',
    email: 'specialist@example.test',
    description: 'guardianship specialist, guardianship office: home inspections on the phone',
  },
  {
    subject: 'demo-office-head',
    displayName: 'Наталья Орлова',
    email: 'office-head@example.test',
    description: 'head of the guardianship office: inspection plan, photos, verification',
  },
] as const satisfies readonly DemoPerson[];

export type DemoSubject = (typeof DEMO_PEOPLE)[number]['subject'];
