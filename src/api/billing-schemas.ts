/**
 * Response schemas of the paid service's routes (src/api/billing.ts): what each answers, for the
 * OpenAPI document and for Fastify's serializer (fields not named here never leave the server).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ERRORS, WRITE_ERRORS } from './admin/http.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Kopecks = Type.Integer({ description: 'kopecks' });
const Month = Type.String({ description: 'YYYY-MM' });
const Day = Type.String({ description: 'YYYY-MM-DD' });

export const Price = Type.Object({ effectiveMonth: Month, priceKopecks: Kopecks });
export const Prices = Type.Object({ items: Type.Array(Price) });

export const Tariffs = Type.Object({
  regionId: Type.String(),
  currentMonth: Month,
  earliestMonth: Month,
  recommendations: Type.Array(Price),
  kindergartens: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      freePilot: Type.Boolean(),
      pilotUntil: Nullable(Day),
      prices: Type.Array(Price),
      currentPriceKopecks: Nullable(Kopecks),
      priceSource: Type.Union([Type.Literal('own'), Type.Literal('recommended'), Type.Literal('none')]),
    }),
  ),
});

export const Pilot = Type.Object({ freePilot: Type.Boolean(), pilotUntil: Nullable(Day) });

const RunStatus = Type.Union([Type.Literal('draft'), Type.Literal('reviewed'), Type.Literal('approved')]);
const runFields = {
  id: Type.String(),
  period: Month,
  regionId: Type.String(),
  institutionId: Nullable(Type.String()),
  status: RunStatus,
  lineCount: Type.Integer(),
  totalKopecks: Kopecks,
  computedAt: Type.String(),
  reviewedAt: Nullable(Type.String()),
  approvedAt: Nullable(Type.String()),
};
export const Run = Type.Object(runFields);
export const Runs = Type.Object({ items: Type.Array(Run) });
export const RunTotals = Type.Object({
  ...runFields,
  kindergartens: Type.Array(
    Type.Object({
      institutionId: Type.String(),
      name: Type.String(),
      lines: Type.Integer(),
      totalKopecks: Kopecks,
      adjustmentsKopecks: Kopecks,
    }),
  ),
});
export const Computed = Type.Object({
  run: Run,
  inserted: Type.Integer(),
  updated: Type.Integer(),
  deleted: Type.Integer(),
});

export const Line = Type.Object({
  id: Type.String(),
  lineKey: Type.String(),
  kind: Type.Union([Type.Literal('charge'), Type.Literal('adjustment')]),
  period: Month,
  subscriptionId: Type.String(),
  childId: Type.String(),
  childName: Type.String(),
  payerName: Type.String(),
  institutionId: Type.String(),
  institutionName: Type.String(),
  accountNumber: Type.String(),
  from: Day,
  to: Day,
  days: Type.Integer(),
  monthDays: Type.Integer(),
  priceKopecks: Kopecks,
  amountKopecks: Kopecks,
  note: Nullable(Type.String()),
});
export const Lines = Type.Object({ items: Type.Array(Line), nextCursor: Nullable(Type.String()) });

export const Created = Type.Object({ id: Type.String() });

const LineError = Type.Object({ line: Type.Integer(), column: Type.String(), message: Type.String() });
export const Import = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  status: Type.Union([Type.Literal('imported'), Type.Literal('rejected')]),
  lineCount: Type.Integer(),
  importedCount: Type.Integer(),
  duplicateCount: Type.Integer(),
  totalKopecks: Kopecks,
  errors: Type.Array(LineError),
  createdAt: Type.String(),
  restored: Type.Optional(Type.Integer()),
});
export const Imports = Type.Object({ items: Type.Array(Import) });

export const Arrears = Type.Object({ asOf: Day, suspended: Type.Integer(), restored: Type.Integer() });

export const Revenue = Type.Object({
  items: Type.Array(
    Type.Object({
      period: Month,
      institutionId: Type.String(),
      institutionName: Type.String(),
      subscribers: Type.Integer(),
      chargedKopecks: Kopecks,
      paidKopecks: Kopecks,
      arrearsKopecks: Kopecks,
    }),
  ),
});

export const Subscribers = Type.Object({
  items: Type.Array(
    Type.Object({
      subscriptionId: Type.String(),
      childId: Type.String(),
      childName: Type.String(),
      accountNumber: Type.String(),
      payerName: Type.String(),
      status: Type.String(),
      suspendedReason: Nullable(Type.String()),
      chargedKopecks: Kopecks,
      paidKopecks: Kopecks,
      arrearsKopecks: Kopecks,
    }),
  ),
});

export const Subscription = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('cancelled')]),
  suspendedReason: Nullable(Type.String()),
  payer: Type.Object({ name: Type.String(), isMe: Type.Boolean() }),
  offerVersion: Nullable(Type.String()),
  acceptedAt: Nullable(Type.String()),
});

export const ParentBilling = Type.Object({
  offer: Nullable(Type.Object({ version: Type.String(), text: Type.String() })),
  children: Type.Array(
    Type.Object({
      child: Type.Object({ id: Type.String(), name: Type.String() }),
      institution: Type.Object({ id: Type.String(), name: Type.String() }),
      verified: Type.Boolean(),
      priceKopecks: Nullable(Kopecks),
      pilot: Nullable(
        Type.Object({ until: Nullable(Day), active: Type.Boolean(), noticeFrom: Nullable(Day) }),
      ),
      included: Type.Object({
        group: Nullable(Type.String()),
        cameras: Type.Array(Type.String()),
        hours: Type.Array(Type.Object({ weekday: Type.Integer(), start: Type.String(), end: Type.String() })),
      }),
      subscription: Nullable(Subscription),
      nextChargeDate: Nullable(Day),
      charges: Type.Array(
        Type.Object({
          period: Month,
          from: Day,
          to: Day,
          days: Type.Integer(),
          amountKopecks: Kopecks,
          kind: Type.Union([Type.Literal('charge'), Type.Literal('adjustment')]),
          state: Type.Union([
            Type.Literal('paid'),
            Type.Literal('partial'),
            Type.Literal('unpaid'),
            Type.Literal('overdue'),
          ]),
          dueDate: Day,
        }),
      ),
    }),
  ),
});

/** `response` of a read and of a write. */
export const read = <T extends TSchema>(ok: T) => ({ 200: ok, ...ERRORS });
export const write = <T extends TSchema>(ok: T) => ({ 200: ok, ...WRITE_ERRORS });
