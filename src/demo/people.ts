/**
 * The demo people: seeded into the database by `okno demo` and offered by the embedded development
 * identity provider's "log in as" page. The subject is what the provider puts in `sub`.
 */
export interface DemoPerson {
  subject: string;
  displayName: string;
  email: string;
  /** what they are in the demo (Russian, like the dev provider's page that shows it) */
  description: string;
}

export const DEMO_PEOPLE = [
  {
    subject: 'demo-parent-anna',
    displayName: 'Анна Иванова',
    email: 'anna@example.test',
    description: 'родитель: Маша, группа «Пчёлки», детский сад №1 (платный)',
  },
  {
    subject: 'demo-parent-petr',
    displayName: 'Пётр Смирнов',
    email: 'petr@example.test',
    description:
      'родитель: Ваня («Ромашки») и Катя («Колокольчики», сейчас вне часов просмотра), детский сад №2 (бесплатный пилот)',
  },
  {
    subject: 'demo-parent-sergey',
    displayName: 'Сергей Иванов',
    email: 'sergey@example.test',
    description: 'второй родитель Маши: подписку оплачивает Анна, он видит плательщика',
  },
  {
    subject: 'demo-parent-elena',
    displayName: 'Елена Новикова',
    email: 'elena@example.test',
    description:
      'родитель: Лиза, группа «Пчёлки», детский сад №1 — ещё не подписалась (подписка в одно касание)',
  },
  {
    subject: 'demo-parent-nina',
    displayName: 'Нина Козлова',
    email: 'nina@example.test',
    description: 'родитель: Артём, группа «Лучики», детский сад №1 — подписка приостановлена: не оплачена',
  },
  {
    subject: 'demo-kg-admin',
    displayName: 'Ольга Петровна Кузнецова',
    email: 'olga@example.test',
    description: 'администратор детского сада №1',
  },
  {
    subject: 'demo-operator',
    displayName: 'Сергей Волков',
    email: 'operator@example.test',
    description: 'оператор города, демо-город',
  },
  {
    subject: 'demo-auditor',
    displayName: 'Марина Лебедева',
    email: 'auditor@example.test',
    description: 'аудитор, демо-город',
  },
  {
    subject: 'demo-parent-irina',
    displayName: 'Ирина Орлова',
    email: 'irina@example.test',
    description: 'родитель: Дима, группа «Звёздочки», детский сад №1 — согласие группы собирается',
  },
  {
    subject: 'demo-parent-oleg',
    displayName: 'Олег Белов',
    email: 'oleg@example.test',
    description: 'родитель: Соня, группа «Звёздочки», детский сад №1 — ещё не ответил на вопрос о согласии',
  },
  {
    subject: 'demo-teacher-stars',
    displayName: 'Наталья Сергеевна Павлова',
    email: 'natalia@example.test',
    description: 'воспитатель группы «Звёздочки», детский сад №1',
  },
  {
    subject: 'demo-employee',
    displayName: 'Игорь Соколов',
    email: 'igor@example.test',
    description: 'сотрудник органа опеки, рабочее место 1',
  },
  {
    subject: 'demo-inspector',
    displayName: 'Елена Морозова',
    email: 'inspector@example.test',
    description: 'инспектор (антикоррупционный контроль), демо-город',
  },
  {
    subject: 'demo-teacher',
    displayName: 'Татьяна Сергеевна Попова',
    email: 'teacher@example.test',
    description: 'воспитатель группы «Пчёлки», детский сад №1: табель посещаемости',
  },
  {
    subject: 'demo-education',
    displayName: 'Наталья Викторовна Егорова',
    email: 'education@example.test',
    description: 'управление образования, демо-город: посещаемость и заказ питания',
  },
  {
    subject: 'demo-specialist',
    displayName: 'Татьяна Гусева',
    email: 'specialist@example.test',
    description: 'специалист органа опеки: проверки условий жизни подопечных с телефона',
  },
  {
    subject: 'demo-office-head',
    displayName: 'Наталья Орлова',
    email: 'office-head@example.test',
    description: 'руководитель органа опеки: план проверок, фотографии, проверка подлинности',
  },
  {
    subject: 'demo-reception',
    displayName: 'Ольга Никитина',
    email: 'reception@example.test',
    description: 'регистратор органа опеки: планшет на рабочем месте — «Начать приём» / «Завершить приём»',
  },
  {
    subject: 'demo-employee-2',
    displayName: 'Андрей Захаров',
    email: 'andrey@example.test',
    description: 'сотрудник органа опеки, рабочее место 2 (запись на время приёма)',
  },
  {
    subject: 'demo-regional',
    displayName: 'Виктор Степанов',
    email: 'regional@example.test',
    description:
      'региональный оператор органов опеки: флаги приёмов, покрытие записью, согласование запросов граждан на копию записи',
  },
] as const satisfies readonly DemoPerson[];

export type DemoSubject = (typeof DEMO_PEOPLE)[number]['subject'];
