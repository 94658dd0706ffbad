/**
 * CSV import of a kindergarten's roster (children, enrolments, guardians): parse and check the whole
 * file, then check it against the database, then write everything in one transaction with one audit
 * entry, or nothing at all. The flow: parse (pure) → authorize → snapshot + plan of the rows that
 * parsed (same transaction) → every problem of both steps, or apply → audit.
 */
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { authorize } from '../scope.js';
import { change, placeOf, nowIso, type Caller, type IdentityDeps } from '../admin/context.js';
import { requireKindergarten } from '../admin/children.js';
import type { ImportProblem, ImportResult } from '../admin/schemas.js';
import { parseRoster } from './parse.js';
import { planImport, type Plan } from './plan.js';
import type { AdminRepositories } from '../../storage/repositories/admin.js';

export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

function rejected(problems: ImportProblem[]): AppError {
  const lines = new Set(problems.map((p) => p.line)).size;
  return new AppError(
    'validation_failed',
    `the file has problems on ${lines} line${lines === 1 ? '' : 's'}; nothing was imported`,
    problems,
  );
}

export async function importRoster(
  deps: IdentityDeps,
  caller: Caller,
  institutionId: string,
  body: Buffer,
): Promise<ImportResult> {
  const parsed = parseRoster(body, deps.clock.now().toISOString().slice(0, 10));
  return change(deps, caller, async (r) => {
    const place = await placeOf(r, 'institution', institutionId);
    const grant = authorize(caller.principal, 'child', 'create', place, 'institution');
    authorize(caller.principal, 'enrolment', 'create', place, 'institution');
    authorize(caller.principal, 'guardian_link', 'create', place, 'institution');
    requireKindergarten(place);

    const rows = parsed.rows;
    const refs = [...new Set(rows.map((x) => x.childRef))];
    const subjects = [...new Set(rows.flatMap((x) => (x.guardian ? [x.guardian.subject] : [])))];
    const children = await r.children.byExternalRefs(institutionId, refs);
    const childIds = children.map((c) => c.id);
    const persons = await r.persons.byIdentities(deps.issuer, subjects);
    const { plan, problems } = planImport(
      rows,
      {
        rooms: await r.rooms.allOfInstitution(institutionId),
        children,
        enrolments: await r.enrolments.ofChildren(childIds),
        persons,
        links: await r.guardianLinks.ofChildren(childIds),
        knownGuardians: new Set(
          await r.guardianLinks.verifiedGuardiansIn(
            institutionId,
            persons.map((p) => p.id),
          ),
        ),
      },
      newId,
    );
    // Every problem of the file at once: those of single rows and those against other rows or the database.
    const all = [...parsed.problems, ...problems].sort((x, y) => x.line - y.line);
    if (all.length > 0) throw rejected(all);
    await apply(r, deps.issuer, institutionId, plan, nowIso(deps));

    const result: ImportResult = {
      rows: rows.length,
      children: {
        created: plan.children.create.length,
        updated: plan.children.update.length,
        unchanged: plan.children.unchanged,
      },
      enrolments: {
        created: plan.enrolments.create.length,
        updated: plan.enrolments.update.length,
        unchanged: plan.enrolments.unchanged,
      },
      guardians: {
        created: plan.links.create.length,
        updated: plan.links.update.length,
        unchanged: plan.links.unchanged,
      },
      persons: { created: plan.persons.create.length, matched: plan.persons.matched },
      unverifiedLinks: plan.links.create.filter((l) => !l.verified).length,
    };
    return {
      result,
      grant,
      audit: {
        action: 'admin.institution.import',
        targetKind: 'institution',
        targetId: institutionId,
        institutionId,
        details: { ...result, bytes: body.length },
      },
    };
  });
}

/** Writes a checked plan. Enrolment updates run before inserts, shortening ones first (see Plan). */
async function apply(r: AdminRepositories, issuer: string, institutionId: string, plan: Plan, now: string) {
  const stamp = { created_at: now, updated_at: now };
  for (const c of plan.children.create)
    await r.children.insert({
      id: c.id,
      institution_id: institutionId,
      full_name: c.name,
      birth_date: c.birthDate,
      external_ref: c.ref,
      ...stamp,
    });
  for (const c of plan.children.update)
    await r.children.update(c.id, { full_name: c.name, birth_date: c.birthDate, updated_at: now });
  for (const e of plan.enrolments.update)
    await r.enrolments.update(e.id, { end_date: e.to, updated_at: now });
  for (const e of plan.enrolments.create)
    await r.enrolments.insert({
      id: e.id,
      child_id: e.childId,
      room_id: e.roomId,
      start_date: e.from,
      end_date: e.to,
      ...stamp,
    });
  for (const p of plan.persons.create)
    await r.persons.insert({
      id: p.id,
      issuer,
      subject: p.subject,
      display_name: p.name,
      email: p.email,
      phone: p.phone,
      disabled: 0,
      ...stamp,
    });
  for (const l of plan.links.create)
    await r.guardianLinks.insert({
      id: l.id,
      person_id: l.personId,
      child_id: l.childId,
      relation: l.relation,
      verified: l.verified ? 1 : 0,
      ...stamp,
    });
  for (const l of plan.links.update)
    await r.guardianLinks.update(l.id, { relation: l.relation, updated_at: now });
}
