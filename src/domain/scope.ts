/**
 * Former home of the admin scope rules; they now live in the one authorization module, src/authz/
 * (docs/design/authorization.md). This file only keeps the old names for code written against them.
 */
import type { RoleBinding } from '../identity/sessions.js';
import type { Role } from '../storage/schema.js';
import { PERMISSIONS, type Action, type ObjectKind, type RoleRule } from '../authz/table.js';

export * from '../authz/authorize.js';

export type AdminObject = ObjectKind;
export type AdminAction = Action;
export type AdminRoleRule = RoleRule;
/** The admin rows of the one table (src/authz/table.ts): add new rows there. */
export const ADMIN_RULES: Readonly<Partial<Record<Role, RoleRule>>> = PERMISSIONS;
export type { RoleBinding };

/** The objects of home inspections: rights on them alone do not make a role an administrator. */
export const INSPECTION_OBJECTS: readonly AdminObject[] = [
  'guardianship_case',
  'inspection',
  'inspection_photo',
];
