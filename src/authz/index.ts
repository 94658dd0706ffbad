/**
 * Authorization: the one table (roles → permissions: action × object kind × scope × institution kind,
 * and video rights) and the one function every route and service calls. docs/design/authorization.md.
 */
export * from './table.js';
export * from './authorize.js';
