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
  type AuditFilter,
  type AuditRow,
} from '../storage/repositories/audit-query.js';
import { verifyAuditChain } from '../audit/audit-log.js';
import {
  checkpointBody,
  checkpointFile,
  readCheckpointFile,
  verifyAgainstCheckpoints,
} from '../audit/checkpoints.js';

const Id = Type.String({ pattern: UUID_PATTERN });
const Query = Type.Object(
  {
    person: Type.Optional(Id),
    camera: Type.Optional(Id),
    child: Type.Optional(Id),
    institution: Type.Optional(Id),
    action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
    decision: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')])),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);
type QueryT = Static<typeof Query>;

function present(r: AuditRow) {
  return {
    id: r.id,
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor_person_id
      ? { personId: r.actor_person_id, subject: r.actor_subject, role: r.actor_role }
      : null,
    action: r.action,
    targetKind: r.target_kind,
    targetId: r.target_id,
    institutionId: r.institution_id,
    decision: r.decision,
    reason: r.reason,
    sessionId: r.session_id,
    streamId: r.stream_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details ? (JSON.parse(r.details) as unknown) : null,
  };
}

const CSV_COLUMNS = [
  'seq',
  'at',
  'actor_subject',
  'actor_role',
  'action',
  'target_kind',
  'target_id',
  'institution_id',
  'decision',
  'reason',
  'stream_id',
  'ip',
  'user_agent',
  'details',
] as const;

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
  ): Promise<Pick<AuditFilter, 'institutionIds' | 'includeUnscoped'>> {
    const reach = reachOf(principalOf(auth), 'audit_log');
    const ids = new Set<string>(reach.institutions.map((i) => i.institutionId));
    for (const r of reach.regions) for (const id of await repo.institutionsOfRegion(r.regionId)) ids.add(id);
    if (isEmptyReach(reach)) throw new AppError('not_found', 'nothing here');
    return { institutionIds: [...ids], includeUnscoped: reach.regions.length > 0 };
  }

  async function filterOf(auth: AuthenticatedSession, q: QueryT): Promise<AuditFilter> {
    return {
      ...(await scope(auth)),
      person: q.person,
      camera: q.camera,
      child: q.child,
      institution: q.institution,
      action: q.action,
      decision: q.decision,
      from: q.from,
      to: q.to,
      beforeSeq: q.cursor ? Number(q.cursor) : undefined,
    };
  }

  app.get(
    '/api/audit',
    { schema: { summary: 'Search the audit log (newest first)', tags: ['audit'], querystring: Query } },
    async (req) => {
      const auth = requireAuth(req);
      const limit = req.query.limit ?? 100;
      const rows = await repo.list(await filterOf(auth, req.query), limit + 1);
      const page = rows.slice(0, limit);
      return {
        items: page.map(present),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
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
      const lines = [
        CSV_COLUMNS.join(','),
        ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')),
      ];
      reply.header('content-disposition', 'attachment; filename="okno-audit.csv"');
      return reply.type('text/csv; charset=utf-8').send('\ufeff' + lines.join('\r\n') + '\r\n');
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
