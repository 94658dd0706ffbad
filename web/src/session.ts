/** What the logged-in person may see: their home screen and the sections of the navigation. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Me, Role } from './api.js';
import type { MessageKey } from './i18n.js';

export interface Section {
  path: string;
  label: MessageKey;
  roles: readonly Role[] | 'parent';
}

/** In the order they appear in the navigation; the first one a person has is their home. */
export const SECTIONS: readonly Section[] = [
  { path: '/children', label: 'nav.children', roles: 'parent' },
  { path: '/absence', label: 'nav.absence', roles: 'parent' },
  { path: '/register', label: 'nav.register', roles: ['teacher', 'kindergarten_admin'] },
  { path: '/education', label: 'nav.education', roles: ['education_officer', 'city_operator'] },
  { path: '/admin', label: 'nav.admin', roles: ['kindergarten_admin', 'city_operator', 'regional_operator'] },
  {
    path: '/operator',
    label: 'nav.health',
    roles: ['city_operator', 'regional_operator', 'kindergarten_admin'],
  },
  { path: '/operator/tariffs', label: 'nav.tariffs', roles: ['city_operator'] },
  { path: '/operator/connections', label: 'nav.connections', roles: ['city_operator'] },
  { path: '/audit', label: 'nav.audit', roles: ['auditor', 'kindergarten_admin'] },
  {
    path: '/recordings',
    label: 'nav.recordings',
    roles: ['inspector', 'office_head', 'employee', 'reception', 'regional_operator'],
  },
  { path: '/desk', label: 'nav.desk', roles: ['reception', 'employee'] },
  { path: '/visits/flags', label: 'nav.visitFlags', roles: ['office_head', 'regional_operator', 'auditor'] },
  { path: '/visits/coverage', label: 'nav.coverage', roles: ['office_head', 'regional_operator', 'auditor'] },
  { path: '/inspections', label: 'nav.inspections', roles: ['specialist'] },
  { path: '/inspections/office', label: 'nav.inspectionsPlan', roles: ['office_head', 'inspector'] },
  {
    path: '/citizen-requests',
    label: 'nav.citizenRequests',
    roles: ['office_head', 'regional_operator', 'auditor'],
  },
  { path: '/my-workplace', label: 'nav.myWorkplace', roles: ['employee', 'reception'] },
];

export function hasAnyRole(me: Me, roles: readonly Role[]): boolean {
  return me.roles.some((b) => roles.includes(b.role));
}

/** Parents are people without staff roles (guardian links are not roles). */
export function isParent(me: Me): boolean {
  return me.roles.length === 0;
}

export function sectionsFor(me: Me): Section[] {
  return SECTIONS.filter((s) => (s.roles === 'parent' ? isParent(me) : hasAnyRole(me, s.roles)));
}

/** Where `/` leads: parents to their children, staff to their main screen. */
export function homePath(me: Me): string {
  if (isParent(me)) return '/children';
  const first = me.roles[0]?.role;
  switch (first) {
    case 'kindergarten_admin':
      return '/admin';
    case 'city_operator':
    case 'regional_operator':
      return '/operator';
    case 'auditor':
      return '/audit';
    case 'inspector':
    case 'office_head':
      return '/recordings';
    case 'employee':
    case 'reception':
      return '/desk';
    // the screens of the second round's capabilities (register, inspections, attendance)
    case 'teacher':
      return '/register';
    case 'specialist':
      return '/inspections';
    case 'education_officer':
      return '/education';
    case undefined:
      return '/children';
  }
}

export const SessionContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error('useMe outside a session');
  return me;
}
