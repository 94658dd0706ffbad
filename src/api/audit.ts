/**
 * The audit log for auditors (their region) and kindergarten administrators (their kindergarten):
 * search with filters, CSV export, and the chain's verification status.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { App, AppContext } from '../server/app.js';
import { auditContext, requireAuth } from '../server/request-context.js';
import { AppError } from '../shared/errors.js';
import { UUID_PATTERN } from '../shared/ids.js';
import type { AuthenticatedSession } from '../identity/sessions.js';
import { isEmptyReach } from '../storage/repositories/reach.js';
import { mayAnywhere, reachOf } from '../authz/index.js';
import { principalOf } from '../authz/places.js';
import {
  AuditQueryRepository,
  SUGGEST_KINDS,
  type AuditFilter,
  type AuditRow,
  type NameBook,
  type SuggestKind,
} from '../storage/repositories/audit-query.js';
import { foldForSearch, searchWords } from '../storage/repositories/text-match.js';
import {
  ACTION_TEXT,
  actionText,
  detailLines,
  isFreeTextReason,
  reasonText,
  ROLE_TEXT,
  TARGET_KIND_TEXT,
} from '../audit/describe.js';
import { verifyAuditChain } from '../audit/audit-log.js';
import {
  checkpointBody,
  checkpointFile,
  readCheckpointFile,
  verifyAgainstCheckpoints,
} from '../audit/checkpoints.js';

/**
 * The filters arrive as plain strings and are checked here, so that a wrong value gets a sentence in
 * Russian that the screen shows as is (a schema error would be English and name a JSON path).
 */
const Text = Type.String({ maxLength: 2000 });
const Query = Type.Object(
  {
    person: Type.Optional(Text),
    camera: Type.Optional(Text),
    child: Type.Optional(Text),
    institution: Type.Optional(Text),
    action: Type.Optional(Text),
    decision: Type.Optional(Text),
    from: Type.Optional(Text),
    to: Type.Optional(Text),
    /** free text: words found in details, reasons and the names an entry points at (not an id) */
    text: Type.Optional(Text),
    cursor: Type.Optional(Text),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);
type QueryT = Static<typeof Query>;

const SuggestQuery = Type.Object(
  {
    kind: Text,
    q: Text,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  },
  { additionalProperties: false },
);

const UUID = new RegExp(UUID_PATTERN);
/** Shorter than this, a suggestion search would list half the region. */
export const SUGGEST_MIN_CHARS = 2;
const SUGGEST_MAX_CHARS = 100;
const TEXT_MAX_CHARS = 200;

const PICK_MESSAGE: Record<SuggestKind, string> = {
  person: 'Человека нужно выбрать из подсказок: начните вводить имя и выберите его из списка.',
  child: 'Ребёнка нужно выбрать из подсказок: начните вводить имя и выберите его из списка.',
  camera: 'Камеру нужно выбрать из подсказок: начните вводить название и выберите её из списка.',
  institution: 'Учреждение нужно выбрать из подсказок: начните вводить название и выберите его из списка.',
};

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', message, { field });
}

/** An instant from the query: ISO-8601 with a date and a time (what the screen sends). */
function instant(field: 'from' | 'to', v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1))
    throw invalid(
      field,
      field === 'from'
        ? 'Начало периода указано неверно: выберите дату и время.'
        : 'Конец периода указан неверно: выберите дату и время.',
    );
  return new Date(ms).toISOString();
}

/** The checked filters, or a Russian message naming what is wrong. */
export function parseFilters(q: QueryT): Omit<AuditFilter, 'institutionIds' | 'includeUnscoped'> {
  const id = (kind: SuggestKind): string | undefined => {
    const v = q[kind]?.trim();
    if (!v) return undefined;
    if (!UUID.test(v)) throw invalid(kind, PICK_MESSAGE[kind]);
    return v;
  };
  const action = q.action?.trim() || undefined;
  if (action !== undefined && !/^[a-z_.]{1,64}$/.test(action))
    throw invalid('action', 'Такого действия нет: выберите действие из списка.');
  const decision = q.decision || undefined;
  if (decision !== undefined && decision !== 'allow' && decision !== 'deny')
    throw invalid('decision', 'Решение может быть только «Разрешено» или «Отказано».');
  const from = instant('from', q.from);
  const to = instant('to', q.to);
  if (from && to && from >= to) throw invalid('to', 'Конец периода должен быть позже его начала.');
  const text = q.text?.trim() ?? '';
  if (text.length > TEXT_MAX_CHARS)
    throw invalid('text', `Текст для поиска длиннее ${TEXT_MAX_CHARS} знаков: сократите его.`);
  const words = searchWords(text);
  const cursor = q.cursor?.trim() || undefined;
  if (cursor !== undefined && !/^[0-9]{1,15}$/.test(cursor))
    throw invalid('cursor', 'Неверная ссылка на следующую страницу: начните поиск заново.');
  return {
    person: id('person'),
    camera: id('camera'),
    child: id('child'),
    institution: id('institution'),
    action,
    decision,
    from,
    to,
    words: words.length ? words : undefined,
    wordActions: words.length ? words.map(actionsMatching) : undefined,
    beforeSeq: cursor ? Number(cursor) : undefined,
  };
}

/** Action codes whose Russian description (or code) contains the word. */
function actionsMatching(word: string): string[] {
  const w = foldForSearch(word);
  return Object.entries(ACTION_TEXT)
    .filter(([code, text]) => foldForSearch(`${text} ${code}`).includes(w))
    .map(([code]) => code);
}

const ref = (id: string | null, name: string | undefined) => (id ? { id, name: name ?? null } : null);

/** One entry for the screen: the codes as written, and beside them names and Russian words. */
function present(r: AuditRow, book: NameBook) {
  const camera = r.target_kind === 'camera' && r.target_id ? book.cameras.get(r.target_id) : undefined;
  const roomId = camera?.roomId ?? (r.target_kind === 'room' ? r.target_id : null);
  const room = roomId ? book.rooms.get(roomId) : undefined;
  const childId =
    r.target_kind === 'child'
      ? r.target_id
      : r.stream_id
        ? (book.streamChild.get(r.stream_id) ?? null)
        : null;
  const institutionId =
    r.institution_id ?? room?.institutionId ?? (r.target_kind === 'institution' ? r.target_id : null);
  const details = r.details ? (JSON.parse(r.details) as unknown) : null;
  const reason = r.reason;
  return {
    id: r.id,
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor_person_id
      ? {
          personId: r.actor_person_id,
          subject: r.actor_subject,
          role: r.actor_role,
          name:
            book.persons.get(r.actor_person_id) ?? (r.actor_person_id === 'system' ? ROLE_TEXT.system : null),
          roleText: r.actor_role ? (ROLE_TEXT[r.actor_role as keyof typeof ROLE_TEXT] ?? null) : null,
        }
      : null,
    action: r.action,
    actionText: actionText(r.action),
    targetKind: r.target_kind,
    targetId: r.target_id,
    target: r.target_kind
      ? {
          kind: r.target_kind,
          kindText: TARGET_KIND_TEXT[r.target_kind] ?? null,
          id: r.target_id,
          name: targetName(r, book),
        }
      : null,
    child: ref(childId, childId ? book.children.get(childId) : undefined),
    camera: ref(r.target_kind === 'camera' ? r.target_id : null, camera?.name),
    room: ref(roomId, room?.name),
    institutionId: r.institution_id,
    institution: ref(institutionId, institutionId ? book.institutions.get(institutionId) : undefined),
    decision: r.decision,
    reason,
    reasonText: reason ? (reasonText(reason) ?? (isFreeTextReason(reason) ? reason : null)) : null,
    sessionId: r.session_id,
    streamId: r.stream_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details,
    detailLines: detailLines(details).map(({ label, value }) => ({ label, value })),
  };
}

function targetName(r: AuditRow, book: NameBook): string | null {
  const id = r.target_id;
  if (!id || !r.target_kind) return null;
  const byKind: Record<string, () => string | undefined> = {
    person: () => book.persons.get(id),
    child: () => book.children.get(id),
    camera: () => book.cameras.get(id)?.name,
    room: () => book.rooms.get(id)?.name,
    institution: () => book.institutions.get(id),
    region: () => book.regions.get(id),
  };
  return byKind[r.target_kind]?.() ?? null;
}

type Presented = ReturnType<typeof present>;

/** The export's columns: names and words first, the codes and ids after them. */
const CSV_COLUMNS: readonly [string, (e: Presented) => string | number | null | undefined][] = [
  ['seq', (e) => e.seq],
  ['время', (e) => e.at],
  ['кто', (e) => e.actor?.name],
  ['роль', (e) => e.actor?.roleText],
  ['действие', (e) => e.actionText],
  [
    'объект',
    (e) => (e.target ? [e.target.kindText ?? e.target.kind, e.target.name].filter(Boolean).join(': ') : null),
  ],
  ['ребёнок', (e) => e.child?.name],
  ['камера', (e) => e.camera?.name],
  ['помещение', (e) => e.room?.name],
  ['учреждение', (e) => e.institution?.name],
  ['решение', (e) => (e.decision === 'allow' ? 'разрешено' : e.decision === 'deny' ? 'отказано' : null)],
  ['причина', (e) => e.reasonText],
  ['подробности', (e) => e.detailLines.map((l) => `${l.label}: ${l.value}`).join('; ')],
  ['actor_person_id', (e) => e.actor?.personId],
  ['actor_subject', (e) => e.actor?.subject],
  ['actor_role', (e) => e.actor?.role],
  ['action', (e) => e.action],
  ['target_kind', (e) => e.targetKind],
  ['target_id', (e) => e.targetId],
  ['institution_id', (e) => e.institutionId],
  ['decision', (e) => e.decision],
  ['reason', (e) => e.reason],
  ['stream_id', (e) => e.streamId],
  ['ip', (e) => e.ip],
  ['user_agent', (e) => e.userAgent],
  ['details', (e) => (e.details === null ? null : JSON.stringify(e.details))],
];

function csvCell(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Quote always; neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

export async function registerAuditRoutes(app: App, ctx: AppContext): Promise<void> {
  const repo = new AuditQueryRepository(ctx.db.kysely);

  /** The caller's audit scope, from the one table (src/authz/): whole regions and single institutions. */
  async function scope(
    auth: AuthenticatedSession,
  ): Promise<{ institutionIds: string[]; includeUnscoped: boolean; regionIds: string[] }> {
    const reach = reachOf(principalOf(auth), 'audit_log');
    const ids = new Set<string>(reach.institutions.map((i) => i.institutionId));
    for (const r of reach.regions) for (const id of await repo.institutionsOfRegion(r.regionId)) ids.add(id);
    if (isEmptyReach(reach)) throw new AppError('not_found', 'nothing here');
    return {
      institutionIds: [...ids],
      includeUnscoped: reach.regions.length > 0,
      regionIds: reach.regions.map((r) => r.regionId),
    };
  }

  async function filterOf(auth: AuthenticatedSession, q: QueryT): Promise<AuditFilter> {
    const parsed = parseFilters(q); // bad input answers 400 before the scope is looked up
    const { institutionIds, includeUnscoped } = await scope(auth);
    return { ...parsed, institutionIds, includeUnscoped };
  }

  /** Entries with their names and words (one query per kind of name for the whole page). */
  async function presentAll(rows: AuditRow[]): Promise<Presented[]> {
    const book = await repo.names(rows);
    return rows.map((r) => present(r, book));
  }

  /** The names of the picked filters, so a shared link shows whom it is about (null: not in scope). */
  async function pickedNames(auth: AuthenticatedSession, f: AuditFilter) {
    const sc = await scope(auth);
    const out: Partial<Record<SuggestKind, { id: string; name: string; context: string | null } | null>> = {};
    for (const kind of SUGGEST_KINDS) {
      const id = f[kind];
      if (!id) continue;
      const [hit] = await repo.suggest(kind, { id }, sc, 1);
      out[kind] = hit ? { id: hit.id, name: hit.name, context: hit.context } : null;
    }
    return out;
  }

  app.get(
    '/api/audit',
    { schema: { summary: 'Search the audit log (newest first)', tags: ['audit'], querystring: Query } },
    async (req) => {
      const auth = requireAuth(req);
      const limit = req.query.limit ?? 100;
      const filter = await filterOf(auth, req.query);
      const rows = await repo.list(filter, limit + 1);
      const page = rows.slice(0, limit);
      return {
        items: await presentAll(page),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
        picked: req.query.cursor ? undefined : await pickedNames(auth, filter),
      };
    },
  );

  app.get(
    '/api/audit.csv',
    {
      schema: {
        summary: 'The audit log as CSV (same filters; at most 50,000 rows)',
        tags: ['audit'],
        querystring: Query,
      },
    },
    async (req, reply) => {
      const auth = requireAuth(req);
      const rows = await repo.list(await filterOf(auth, req.query), 50_000);
      await ctx.audit(auditContext(req), {
        action: 'audit.export',
        details: { rows: rows.length, filter: req.query },
      });
      const lines = [CSV_COLUMNS.map(([name]) => csvCell(name)).join(',')];
      // Names are looked up a page at a time: 50,000 ids in one IN list is past SQLite's limit.
      for (let i = 0; i < rows.length; i += 500)
        for (const e of await presentAll(rows.slice(i, i + 500)))
          lines.push(CSV_COLUMNS.map(([, cell]) => csvCell(cell(e))).join(','));
      reply.header('content-disposition', 'attachment; filename="okno-audit.csv"');
      return reply.type('text/csv; charset=utf-8').send('\ufeff' + lines.join('\r\n') + '\r\n');
    },
  );

  app.get(
    '/api/audit/suggest',
    {
      schema: {
        summary: 'Names to filter the audit log by: people, children, cameras or institutions in scope',
        description:
          'Case-insensitive (Cyrillic too; «е» finds «ё»), every word must appear, at least 2 characters. ' +
          'Only what the caller may see in the audit log is suggested.',
        tags: ['audit'],
        querystring: SuggestQuery,
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      const kind = req.query.kind as SuggestKind;
      if (!SUGGEST_KINDS.includes(kind))
        throw invalid('kind', 'Подсказки бывают только для человека, ребёнка, камеры или учреждения.');
      const q = req.query.q.trim();
      if ([...q].length < SUGGEST_MIN_CHARS)
        throw invalid('q', `Введите хотя бы ${SUGGEST_MIN_CHARS} буквы.`);
      if ([...q].length > SUGGEST_MAX_CHARS)
        throw invalid('q', `Слишком длинный текст: не больше ${SUGGEST_MAX_CHARS} знаков.`);
      const sc = await scope(auth);
      const items = await repo.suggest(kind, { words: searchWords(q) }, sc, req.query.limit ?? 10);
      return { items };
    },
  );

  app.get(
    '/api/audit/actions',
    { schema: { summary: 'Every audit action code with its Russian description', tags: ['audit'] } },
    async (req) => {
      const auth = requireAuth(req);
      if (!mayAnywhere(principalOf(auth), 'audit_log', 'read'))
        throw new AppError('not_found', 'nothing here');
      return { items: Object.entries(ACTION_TEXT).map(([code, text]) => ({ code, text })) };
    },
  );

  app.get(
    '/api/audit/verify',
    { schema: { summary: "Verify the audit log's hash chain", tags: ['audit'] } },
    async (req) => {
      const auth = requireAuth(req);
      if (!mayAnywhere(principalOf(auth), 'audit_log', 'verify'))
        throw new AppError('not_found', 'nothing here');
      const chain = await verifyAuditChain(ctx.db.kysely);
      const cp = ctx.auditCheckpoints;
      if (!cp) return { ...chain, checkpoints: null };
      const file = checkpointFile(ctx.config);
      const verdict = await verifyAgainstCheckpoints(
        ctx.db.kysely,
        readCheckpointFile(file),
        cp.key.publicKey,
        'checkpoints',
      );
      return {
        ...chain,
        ok: chain.ok && verdict.ok,
        checkpoints: {
          ok: verdict.ok,
          checked: verdict.checked,
          lastGood: verdict.lastGood,
          unanchored: verdict.unanchored,
          problems: verdict.problems,
        },
      };
    },
  );

  app.get(
    '/api/audit/checkpoint',
    {
      schema: {
        summary: "The newest signed checkpoint of the audit chain's head, and the key that verifies it",
        description:
          'A signed statement (Ed25519) that the chain had `seq` entries with head hash `head` at `at`. ' +
          'The signature covers `body`; keep copies to check the log later with `okno audit verify --checkpoints`.',
        tags: ['audit'],
      },
    },
    async (req) => {
      const auth = requireAuth(req);
      if (!mayAnywhere(principalOf(auth), 'audit_log', 'read'))
        throw new AppError('not_found', 'nothing here');
      const cp = ctx.auditCheckpoints;
      const latest = cp?.latest() ?? null;
      return {
        checkpoint: latest ? { ...latest, body: checkpointBody(latest) } : null,
        publicKeyPem: cp?.key.publicKeyPem ?? null,
        keyId: cp?.key.keyId ?? null,
        intervalSeconds: ctx.config.audit.checkpointSeconds,
      };
    },
  );
}
