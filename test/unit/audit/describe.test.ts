/**
 * Every audit action code written anywhere in src/ has a Russian description (src/audit/describe.ts),
 * and the reason codes and details read as words. The source is scanned: string literals that look
 * like an action code, and the `admin.<object>.<verb>` / `billing.<object>.<verb>` events built by
 * auditEvent() and moneyEvent(). A dynamic verb must be listed below with the values it takes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ACTION_TEXT,
  detailLines,
  reasonText,
  ROLE_TEXT,
  TARGET_KIND_TEXT,
} from '../../../src/audit/describe.js';
import { DENY_REASONS } from '../../../src/policy/decision.js';
import { ROLES } from '../../../src/policy/facts.js';
import { GRANT_REJECTIONS } from '../../../src/grants/tokens.js';

const SRC = path.resolve('src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? sources(f) : f.endsWith('.ts') ? [f] : [];
  });
}

/** Prefixes of audit actions: a literal starting with one of these is taken for an action code. */
const PREFIXES = [
  'grant',
  'stream',
  'media',
  'recording',
  'admin',
  'billing',
  'auth',
  'audit',
  'attendance',
  'inspection',
  'consent',
  'connection',
  'demo',
];

/** Literals with an action's prefix that are not audit actions (alert kinds, settings, lease names). */
const NOT_ACTIONS = new Set([
  'recording.enabled', // a setting
  'recording.dir', // a setting
  'attendance.daily', // the nightly job's lease name
  'billing.hourly', // the hourly billing job's lease name
  'attendance.jobs', // a setting
  'inspection.clock_skew', // an alert kind
]);

/** Events built with a verb from a variable: the values it takes (src/billing/runs.ts TRANSITIONS). */
const DYNAMIC: Record<string, string[]> = {
  'billing.run.step': ['review', 'reopen', 'approve'],
};

function writtenActions(): { code: string; where: string }[] {
  const found: { code: string; where: string }[] = [];
  const literal = new RegExp(`['\`]((?:${PREFIXES.join('|')})\\.[a-z_]+(?:\\.[a-z_]+)*)['\`]`, 'g');
  const built = /\b(auditEvent|moneyEvent)\(\s*'([a-z_]+)'\s*,\s*(?:'([a-z_]+)'|([A-Za-z_]+))/g;
  for (const file of sources(SRC)) {
    if (file.endsWith(path.join('audit', 'describe.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    const where = path.relative(SRC, file);
    for (const m of text.matchAll(literal)) if (!NOT_ACTIONS.has(m[1]!)) found.push({ code: m[1]!, where });
    for (const m of text.matchAll(built)) {
      const prefix = m[1] === 'auditEvent' ? 'admin' : 'billing';
      if (m[3]) found.push({ code: `${prefix}.${m[2]}.${m[3]}`, where });
      else {
        const verbs = DYNAMIC[`${prefix}.${m[2]}.${m[4]}`];
        assert.ok(verbs, `${where}: ${prefix}.${m[2]}.<${m[4]}> is built from a variable; list its values`);
        for (const v of verbs) found.push({ code: `${prefix}.${m[2]}.${v}`, where });
      }
    }
  }
  return found;
}

describe('the audit log in words', () => {
  test('every action code written in src/ has a Russian description', () => {
    const found = writtenActions();
    assert.ok(found.length > 80, `the scan found the actions (${found.length})`);
    for (const must of ['grant.live', 'stream.end', 'admin.camera.create', 'billing.run.approve'])
      assert.ok(
        found.some((f) => f.code === must),
        `the scan sees ${must}`,
      );
    const missing = found.filter((f) => !ACTION_TEXT[f.code]).map((f) => `${f.code} (${f.where})`);
    assert.deepEqual([...new Set(missing)], [], 'actions without a Russian description');
    for (const [code, text] of Object.entries(ACTION_TEXT))
      assert.match(text, /^[А-ЯЁ][а-яё]+/u, `${code}: «${text}» is a Russian sentence`);
    assert.equal(ACTION_TEXT['grant.live'], 'Открыл живое видео');
  });

  test('every reason of the policy, token checks and roles has words; compound reasons are read in parts', () => {
    for (const r of [...DENY_REASONS, ...GRANT_REJECTIONS, ...ROLES, 'guardian', 'staff'])
      assert.ok(reasonText(r), `reason ${r}`);
    for (const r of ROLES) assert.ok(ROLE_TEXT[r], `role ${r}`);
    assert.equal(reasonText('outside_viewing_hours'), 'вне часов просмотра');
    assert.equal(reasonText('access_revoked:not_enrolled'), 'доступ отозван: ребёнок не числится в группе');
    assert.equal(reasonText('renew_expired'), 'продление отклонено: срок пропуска истёк');
    assert.equal(reasonText('something_new'), null, 'an unknown code has no invented words');
    assert.equal(TARGET_KIND_TEXT.camera, 'камера');
  });

  test('details read as lines: a change per changed field, a creation per value, others key: value', () => {
    assert.deepEqual(
      detailLines({
        before: { id: 'x', name: 'Пчёлки', zone: 'common', enabled: true },
        after: { id: 'x', name: 'Пчёлки-2', zone: 'common', enabled: false },
      }).map((l) => `${l.label}: ${l.value}`),
      ['название: Пчёлки → Пчёлки-2', 'включена: да → нет'],
    );
    assert.deepEqual(
      detailLines({ before: null, after: { name: 'Камера', zone: 'restricted' } }).map(
        (l) => `${l.label}: ${l.value}`,
      ),
      ['название: Камера', 'зона: закрытая'],
    );
    assert.deepEqual(
      detailLines({ statedReason: 'жалоба родителя', from: '2026-01-01', custom_key: [1, 2] }).map(
        (l) => `${l.label}: ${l.value}`,
      ),
      ['указанная причина: жалоба родителя', 'с: 2026-01-01', 'custom_key: 1, 2'],
    );
    assert.deepEqual(detailLines(null), []);
  });
});
