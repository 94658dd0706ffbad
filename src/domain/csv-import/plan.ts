/**
 * Turning parsed roster rows into a plan of writes against what the kindergarten already has, or into
 * the problems of every bad row (docs/design/csv-import.md). Pure: the caller loads the snapshot and
 * applies the plan in one transaction.
 *
 * Matching (what makes a re-import change nothing):
 * - a child by child_ref within the kindergarten (name and birth date are updated when they differ;
 *   an empty birth_date keeps the stored one);
 * - an enrolment by child + group + enrolled_from (the end date is updated when it differs);
 * - a guardian by (issuer, subject); an existing person is never changed by an import;
 * - a guardian link by person + child (the relation is updated when it differs; links created by an
 *   import are verified: the kindergarten's own roster is the verification).
 * Nothing is ever deleted by an import.
 */
import type { ChildRow } from '../../storage/repositories/children.js';
import type { EnrolmentRow } from '../../storage/repositories/enrolments.js';
import type { GuardianLinkRow } from '../../storage/repositories/guardian-links.js';
import type { PersonRow } from '../../storage/repositories/persons.js';
import type { RoomRow } from '../../storage/repositories/rooms.js';
import type { ImportProblem } from '../admin/schemas.js';
import type { RosterRow } from './parse.js';

export interface Snapshot {
  rooms: readonly RoomRow[];
  /** the kindergarten's children whose external_ref appears in the file */
  children: readonly ChildRow[];
  /** every enrolment of those children */
  enrolments: readonly EnrolmentRow[];
  /** persons of the configured issuer whose subject appears in the file */
  persons: readonly PersonRow[];
  /** guardian links of those children */
  links: readonly GuardianLinkRow[];
  /**
   * Of those persons, the ones this kindergarten already knows as guardians: a verified guardian link
   * to one of its children. A link to anyone else is created unverified (see `Plan.links.create`).
   */
  knownGuardians: ReadonlySet<string>;
}

export interface Plan {
  children: {
    create: { id: string; ref: string; name: string; birthDate: string | null }[];
    update: { id: string; name: string; birthDate: string | null }[];
    unchanged: number;
  };
  enrolments: {
    create: { id: string; childId: string; roomId: string; from: string; to: string | null }[];
    /** end-date changes, those that shorten a period first (so the overlap trigger never sees a transient overlap) */
    update: { id: string; to: string | null }[];
    unchanged: number;
  };
  persons: {
    create: { id: string; subject: string; name: string; email: string | null; phone: string | null }[];
    matched: number;
  };
  links: {
    /**
     * `verified`: the kindergarten vouches for a guardian it creates with this file, or one it already
     * knows (`Snapshot.knownGuardians`). An existing person it does not know — a parent at another
     * kindergarten, a member of staff, anyone matched only by the subject written in the file — gets
     * an unverified link: no video until an administrator confirms it (a typo in the file must not
     * open a group's cameras to a stranger).
     */
    create: { id: string; personId: string; childId: string; relation: string; verified: boolean }[];
    update: { id: string; relation: string }[];
    unchanged: number;
  };
}

const OPEN_END = '9999-12-31';
const overlaps = (aFrom: string, aTo: string | null, bFrom: string, bTo: string | null) =>
  aFrom <= (bTo ?? OPEN_END) && bFrom <= (aTo ?? OPEN_END);
const period = (from: string, to: string | null) => `${from} – ${to ?? 'open-ended'}`;

interface FileEnrolment {
  line: number;
  roomId: string;
  roomName: string;
  from: string;
  to: string | null;
}

export function planImport(
  rows: readonly RosterRow[],
  snap: Snapshot,
  newId: () => string,
): { plan: Plan; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const bad = (line: number, column: string | undefined, reason: string) =>
    problems.push(column ? { line, column, reason } : { line, reason });

  const roomsByName = new Map<string, RoomRow>();
  for (const r of snap.rooms) roomsByName.set(r.name.trim().toLowerCase(), r);
  const roomsById = new Map(snap.rooms.map((r) => [r.id, r]));

  const seenRows = new Map<string, number>();
  const children = new Map<string, { line: number; name: string; birthDate: string | null }>();
  const enrolments = new Map<string, FileEnrolment[]>(); // by child_ref
  const enrolmentKeys = new Map<string, FileEnrolment>();
  const guardians = new Map<
    string,
    { line: number; name: string; email: string | null; phone: string | null }
  >();
  const links = new Map<string, { line: number; ref: string; subject: string; relation: string }>();

  for (const row of rows) {
    const rowKey = JSON.stringify([
      row.childRef,
      row.childName,
      row.birthDate,
      row.group,
      row.enrolledFrom,
      row.enrolledTo,
      row.guardian,
    ]);
    const dupOf = seenRows.get(rowKey);
    if (dupOf !== undefined) {
      bad(row.line, undefined, `duplicate of line ${dupOf}`);
      continue;
    }
    seenRows.set(rowKey, row.line);

    const room = roomsById.get(row.group) ?? roomsByName.get(row.group.trim().toLowerCase());
    if (!room) bad(row.line, 'group', `no group "${row.group}" in this kindergarten`);
    else if (room.kind !== 'group')
      bad(row.line, 'group', `"${room.name}" is not a group room (it is a ${room.kind})`);

    const child = children.get(row.childRef);
    if (!child) children.set(row.childRef, { line: row.line, name: row.childName, birthDate: row.birthDate });
    else {
      if (child.name !== row.childName)
        bad(
          row.line,
          'child_name',
          `differs from line ${child.line} for the same child_ref "${row.childRef}"`,
        );
      if (row.birthDate !== null && child.birthDate !== null && child.birthDate !== row.birthDate)
        bad(
          row.line,
          'birth_date',
          `differs from line ${child.line} for the same child_ref "${row.childRef}"`,
        );
      child.birthDate ??= row.birthDate;
    }

    if (room && room.kind === 'group') {
      const key = JSON.stringify([row.childRef, room.id, row.enrolledFrom]);
      const same = enrolmentKeys.get(key);
      if (same) {
        if (same.to !== row.enrolledTo)
          bad(row.line, 'enrolled_to', `line ${same.line} gives the same enrolment a different end date`);
      } else {
        const e: FileEnrolment = {
          line: row.line,
          roomId: room.id,
          roomName: room.name,
          from: row.enrolledFrom,
          to: row.enrolledTo,
        };
        enrolmentKeys.set(key, e);
        const list = enrolments.get(row.childRef) ?? [];
        const clash = list.find((o) => overlaps(o.from, o.to, e.from, e.to));
        if (clash)
          bad(
            row.line,
            'enrolled_from',
            `the enrolment ${period(e.from, e.to)} overlaps the one on line ${clash.line} (${period(clash.from, clash.to)})`,
          );
        list.push(e);
        enrolments.set(row.childRef, list);
      }
    }

    const g = row.guardian;
    if (g) {
      const known = guardians.get(g.subject);
      if (!known) guardians.set(g.subject, { line: row.line, name: g.name, email: g.email, phone: g.phone });
      else {
        const differs = (
          [
            ['guardian_name', known.name, g.name],
            ['guardian_email', known.email, g.email],
            ['guardian_phone', known.phone, g.phone],
          ] as const
        ).find(([, a, b]) => a !== b);
        if (differs)
          bad(row.line, differs[0], `differs from line ${known.line} for the same guardian_subject`);
      }
      const linkKey = JSON.stringify([row.childRef, g.subject]);
      const link = links.get(linkKey);
      if (!link)
        links.set(linkKey, { line: row.line, ref: row.childRef, subject: g.subject, relation: g.relation });
      else if (link.relation !== g.relation)
        bad(row.line, 'relation', `line ${link.line} gives the same guardian and child another relation`);
    }
  }

  // Against what is stored: enrolments of known children that the file does not match must not overlap.
  const storedChildren = new Map(snap.children.map((c) => [c.external_ref ?? '', c]));
  const storedEnrolments = new Map<string, EnrolmentRow[]>();
  for (const e of snap.enrolments) {
    const list = storedEnrolments.get(e.child_id) ?? [];
    list.push(e);
    storedEnrolments.set(e.child_id, list);
  }
  const plan: Plan = {
    children: { create: [], update: [], unchanged: 0 },
    enrolments: { create: [], update: [], unchanged: 0 },
    persons: { create: [], matched: 0 },
    links: { create: [], update: [], unchanged: 0 },
  };
  const childIds = new Map<string, string>();
  for (const [ref, c] of children) {
    const stored = storedChildren.get(ref);
    if (!stored) {
      const id = newId();
      childIds.set(ref, id);
      plan.children.create.push({ id, ref, name: c.name, birthDate: c.birthDate });
      continue;
    }
    childIds.set(ref, stored.id);
    const birthDate = c.birthDate ?? stored.birth_date;
    if (stored.full_name !== c.name || stored.birth_date !== birthDate)
      plan.children.update.push({ id: stored.id, name: c.name, birthDate });
    else plan.children.unchanged++;
  }

  const shorten: { id: string; to: string | null }[] = [];
  const extend: { id: string; to: string | null }[] = [];
  for (const [ref, list] of enrolments) {
    const childId = childIds.get(ref)!;
    const stored = storedEnrolments.get(childId) ?? [];
    const matched = new Set<string>();
    for (const e of list) {
      const m = stored.find((s) => s.room_id === e.roomId && s.start_date === e.from);
      if (!m) {
        plan.enrolments.create.push({ id: newId(), childId, roomId: e.roomId, from: e.from, to: e.to });
        continue;
      }
      matched.add(m.id);
      if (m.end_date === e.to) plan.enrolments.unchanged++;
      else if (e.to !== null && (m.end_date === null || e.to < m.end_date))
        shorten.push({ id: m.id, to: e.to });
      else extend.push({ id: m.id, to: e.to });
    }
    for (const e of list)
      for (const s of stored) {
        if (matched.has(s.id) || !overlaps(s.start_date, s.end_date, e.from, e.to)) continue;
        const roomName = roomsById.get(s.room_id)?.name ?? 'another group';
        bad(
          e.line,
          'enrolled_from',
          `the enrolment ${period(e.from, e.to)} overlaps the enrolment already recorded in "${roomName}" (${period(s.start_date, s.end_date)})`,
        );
      }
  }
  plan.enrolments.update = [...shorten, ...extend];

  const personIds = new Map<string, string>();
  const storedPersons = new Map(snap.persons.map((p) => [p.subject, p]));
  for (const [subject, g] of guardians) {
    const stored = storedPersons.get(subject);
    if (stored) {
      personIds.set(subject, stored.id);
      plan.persons.matched++;
    } else {
      const id = newId();
      personIds.set(subject, id);
      plan.persons.create.push({ id, subject, name: g.name, email: g.email, phone: g.phone });
    }
  }
  const storedLinks = new Map(snap.links.map((l) => [`${l.person_id}/${l.child_id}`, l]));
  for (const l of links.values()) {
    const personId = personIds.get(l.subject)!;
    const childId = childIds.get(l.ref)!;
    const stored = storedLinks.get(`${personId}/${childId}`);
    if (!stored)
      plan.links.create.push({
        id: newId(),
        personId,
        childId,
        relation: l.relation,
        verified: !storedPersons.has(l.subject) || snap.knownGuardians.has(personId),
      });
    else if (stored.relation !== l.relation) plan.links.update.push({ id: stored.id, relation: l.relation });
    else plan.links.unchanged++;
  }

  problems.sort((a, b) => a.line - b.line);
  return { plan, problems };
}
