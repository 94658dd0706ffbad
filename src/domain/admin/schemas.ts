/**
 * The admin API's contract: one TypeBox schema per request body and per view. The HTTP layer validates
 * requests and documents the API (OpenAPI) with them; the services are typed by them (`Static<…>`).
 *
 * Conventions: camelCase names; units in names (`monthlyFeeMinor`: minor currency units, e.g. kopecks);
 * ids are lowercase UUIDs; local dates YYYY-MM-DD; local times HH:MM; instants ISO-8601 UTC.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { UUID_PATTERN } from '../../shared/ids.js';

const closed = { additionalProperties: false } as const;

/**
 * `T | null`. Scalars become a type list (`type: ['integer', 'null']`): the validator coerces scalar
 * types (for query strings), and only a type list keeps it from turning null into 0 or "", or 0 and
 * "" into null.
 */
export function Nullable<T extends TSchema>(t: T): TUnsafe<Static<T> | null> {
  const plain = JSON.parse(JSON.stringify(t)) as { type?: unknown };
  if (typeof plain.type === 'string' && plain.type !== 'object' && plain.type !== 'array')
    return Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'] });
  return Type.Unsafe<Static<T> | null>(Type.Union([Type.Null(), t]));
}

export const Id = Type.String({ pattern: UUID_PATTERN, description: 'a lowercase UUID' });
/**
 * A real calendar date (2025-02-30 is refused by the `date` format) in the years the service can
 * mean (1900–2999): year 0000 is a typing error, refused by the pattern.
 */
export const LocalDate = Type.String({
  format: 'date',
  pattern: '^(19|2[0-9])[0-9]{2}-',
  description: 'a calendar date, YYYY-MM-DD, in the years 1900–2999',
});
export const LocalTime = Type.String({
  pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  description: 'a local time HH:MM (24:00 = end of the day)',
});
export const Instant = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '\\S', ...(description ? { description } : {}) });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Phone = Type.String({
  pattern: '^\\+?[0-9][0-9 ()-]{3,30}$',
  description: 'digits, spaces, ()-, optional +',
});
const FeeMinor = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'minor currency units' });

export const InstitutionKind = Type.Union([Type.Literal('kindergarten'), Type.Literal('office')]);
export const RoomKind = Type.Union([
  Type.Literal('group'),
  Type.Literal('workplace'),
  Type.Literal('entrance'),
  Type.Literal('hall'),
]);
export const Zone = Type.Union([Type.Literal('common'), Type.Literal('restricted')]);
export const RecordingPolicy = Type.Union([
  Type.Literal('off'),
  Type.Literal('continuous'),
  Type.Literal('schedule'),
  Type.Literal('manual'),
]);
export const RtspTransport = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);
export const SubscriptionStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('suspended'),
  Type.Literal('cancelled'),
]);
export const ConsentStatus = Type.Union([Type.Literal('given'), Type.Literal('withdrawn')]);
export const RoleName = Type.Union([
  Type.Literal('kindergarten_admin'),
  Type.Literal('city_operator'),
  Type.Literal('auditor'),
  Type.Literal('employee'),
  Type.Literal('reception'),
  Type.Literal('office_head'),
  Type.Literal('inspector'),
  Type.Literal('regional_operator'),
  Type.Literal('teacher'),
  Type.Literal('specialist'),
  Type.Literal('education_officer'),
]);
export const ScopeKind = Type.Union([
  Type.Literal('region'),
  Type.Literal('institution'),
  Type.Literal('room'),
]);

export const PageOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Nullable(Type.String({ description: 'pass as ?cursor= for the next page' })),
  });

// --- regions ---------------------------------------------------------------------------------------
export const RegionView = Type.Object({
  id: Id,
  name: Type.String(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type RegionView = Static<typeof RegionView>;
export const RegionPatch = Type.Object({ name: Text(200) }, { ...closed, minProperties: 1 });
export type RegionPatch = Static<typeof RegionPatch>;

// --- institutions ----------------------------------------------------------------------------------
export const InstitutionView = Type.Object({
  id: Id,
  regionId: Id,
  kind: InstitutionKind,
  name: Type.String(),
  timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/Moscow' }),
  freePilot: Type.Boolean(),
  monthlyFeeMinor: Nullable(Type.Integer()),
  consentRequired: Type.Boolean(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type InstitutionView = Static<typeof InstitutionView>;
export const InstitutionCreate = Type.Object(
  {
    regionId: Id,
    kind: InstitutionKind,
    name: Text(200),
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Moscow' }),
    freePilot: Type.Optional(Type.Boolean({ default: false })),
    monthlyFeeMinor: Type.Optional(Nullable(FeeMinor)),
    consentRequired: Type.Optional(Type.Boolean({ description: 'default: true for kindergartens' })),
  },
  closed,
);
export type InstitutionCreate = Static<typeof InstitutionCreate>;
export const InstitutionPatch = Type.Object(
  {
    name: Type.Optional(Text(200)),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    freePilot: Type.Optional(Type.Boolean()),
    monthlyFeeMinor: Type.Optional(Nullable(FeeMinor)),
    consentRequired: Type.Optional(Type.Boolean()),
  },
  { ...closed, minProperties: 1 },
);
export type InstitutionPatch = Static<typeof InstitutionPatch>;

// --- closed days -----------------------------------------------------------------------------------
export const ClosedDayView = Type.Object({
  id: Id,
  institutionId: Id,
  day: LocalDate,
  reason: Nullable(Type.String()),
  createdAt: Instant,
});
export type ClosedDayView = Static<typeof ClosedDayView>;
export const ClosedDayCreate = Type.Object(
  { day: LocalDate, reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) },
  closed,
);
export type ClosedDayCreate = Static<typeof ClosedDayCreate>;
export const ClosedDayPatch = Type.Object(
  { day: Type.Optional(LocalDate), reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))) },
  { ...closed, minProperties: 1 },
);
export type ClosedDayPatch = Static<typeof ClosedDayPatch>;

// --- rooms -----------------------------------------------------------------------------------------
export const RoomView = Type.Object({
  id: Id,
  institutionId: Id,
  kind: RoomKind,
  zone: Zone,
  name: Type.String(),
  consent: Nullable(
    Type.Object({ status: ConsentStatus, recordedAt: Instant }, { description: 'the latest consent entry' }),
  ),
  createdAt: Instant,
  updatedAt: Instant,
});
export type RoomView = Static<typeof RoomView>;
export const RoomCreate = Type.Object({ kind: RoomKind, zone: Zone, name: Text(200) }, closed);
export type RoomCreate = Static<typeof RoomCreate>;
export const RoomPatch = Type.Object(
  {
    kind: Type.Optional(RoomKind),
    zone: Type.Optional(Zone),
    name: Type.Optional(Text(200)),
    zoneReason: Type.Optional(
      Type.String({
        maxLength: 1000,
        description:
          'why the zone of a room with cameras changes (required then: operators only, audited and alerted)',
      }),
    ),
  },
  { ...closed, minProperties: 1 },
);
export type RoomPatch = Static<typeof RoomPatch>;

// --- cameras ---------------------------------------------------------------------------------------
export const CameraView = Type.Object({
  id: Id,
  roomId: Id,
  name: Type.String(),
  source: Type.Object(
    { scheme: Type.String(), host: Nullable(Type.String()) },
    { description: 'the source URL is write-only: only its scheme and host are shown' },
  ),
  hasCredentials: Type.Boolean(),
  rtspTransport: RtspTransport,
  enabled: Type.Boolean(),
  audioAllowed: Type.Boolean(),
  recordingPolicy: RecordingPolicy,
  createdAt: Instant,
  updatedAt: Instant,
});
export type CameraView = Static<typeof CameraView>;
const SourceUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'rtsp://, rtsps://, http(s):// or demo:<name>; write-only. Credentials in the URL are moved to username/password.',
});
const Secret = (what: string) =>
  Nullable(Type.String({ minLength: 1, maxLength: 256, description: `${what}; write-only (null clears)` }));
export const CameraCreate = Type.Object(
  {
    name: Text(200),
    sourceUrl: SourceUrl,
    username: Type.Optional(Secret('camera user name')),
    password: Type.Optional(Secret('camera password')),
    rtspTransport: Type.Optional(RtspTransport),
    enabled: Type.Optional(Type.Boolean()),
    audioAllowed: Type.Optional(Type.Boolean()),
    recordingPolicy: Type.Optional(RecordingPolicy),
  },
  closed,
);
export type CameraCreate = Static<typeof CameraCreate>;
export const CameraPatch = Type.Object(
  {
    name: Type.Optional(Text(200)),
    roomId: Type.Optional(Id),
    sourceUrl: Type.Optional(SourceUrl),
    username: Type.Optional(Secret('camera user name')),
    password: Type.Optional(Secret('camera password')),
    rtspTransport: Type.Optional(RtspTransport),
    enabled: Type.Optional(Type.Boolean()),
    audioAllowed: Type.Optional(Type.Boolean()),
    recordingPolicy: Type.Optional(RecordingPolicy),
  },
  { ...closed, minProperties: 1 },
);
export type CameraPatch = Static<typeof CameraPatch>;

// --- viewing schedules -----------------------------------------------------------------------------
const Weekday = Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday: 1 = Monday … 7 = Sunday' });
export const ViewingScheduleView = Type.Object({
  id: Id,
  roomId: Id,
  weekday: Type.Integer(),
  startTime: LocalTime,
  endTime: LocalTime,
  createdAt: Instant,
});
export type ViewingScheduleView = Static<typeof ViewingScheduleView>;
export const ViewingScheduleCreate = Type.Object(
  { weekday: Weekday, startTime: LocalTime, endTime: LocalTime },
  closed,
);
export type ViewingScheduleCreate = Static<typeof ViewingScheduleCreate>;
export const ViewingSchedulePatch = Type.Object(
  { weekday: Type.Optional(Weekday), startTime: Type.Optional(LocalTime), endTime: Type.Optional(LocalTime) },
  { ...closed, minProperties: 1 },
);
export type ViewingSchedulePatch = Static<typeof ViewingSchedulePatch>;

// --- consents --------------------------------------------------------------------------------------
export const ConsentView = Type.Object({
  id: Id,
  roomId: Id,
  status: ConsentStatus,
  note: Nullable(Type.String()),
  recordedBy: Nullable(Id),
  recordedAt: Instant,
});
export type ConsentView = Static<typeof ConsentView>;
export const ConsentCreate = Type.Object(
  { status: ConsentStatus, note: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))) },
  closed,
);
export type ConsentCreate = Static<typeof ConsentCreate>;

// --- children --------------------------------------------------------------------------------------
export const ChildView = Type.Object({
  id: Id,
  institutionId: Id,
  fullName: Type.String(),
  birthDate: Nullable(LocalDate),
  externalRef: Nullable(Type.String({ description: "the kindergarten's own reference (CSV child_ref)" })),
  createdAt: Instant,
  updatedAt: Instant,
});
export type ChildView = Static<typeof ChildView>;
export const ChildCreate = Type.Object(
  {
    fullName: Text(200),
    birthDate: Type.Optional(Nullable(LocalDate)),
    externalRef: Type.Optional(Nullable(Text(100))),
  },
  closed,
);
export type ChildCreate = Static<typeof ChildCreate>;
export const ChildPatch = Type.Object(
  {
    fullName: Type.Optional(Text(200)),
    birthDate: Type.Optional(Nullable(LocalDate)),
    externalRef: Type.Optional(Nullable(Text(100))),
  },
  { ...closed, minProperties: 1 },
);
export type ChildPatch = Static<typeof ChildPatch>;

// --- enrolments ------------------------------------------------------------------------------------
export const EnrolmentView = Type.Object({
  id: Id,
  childId: Id,
  roomId: Id,
  startDate: LocalDate,
  endDate: Nullable(LocalDate),
  createdAt: Instant,
  updatedAt: Instant,
});
export type EnrolmentView = Static<typeof EnrolmentView>;
export const EnrolmentCreate = Type.Object(
  {
    roomId: Id,
    startDate: LocalDate,
    endDate: Type.Optional(
      Nullable(Type.String({ format: 'date', description: 'inclusive; null = open-ended' })),
    ),
  },
  closed,
);
export type EnrolmentCreate = Static<typeof EnrolmentCreate>;
export const EnrolmentPatch = Type.Object(
  {
    roomId: Type.Optional(Id),
    startDate: Type.Optional(LocalDate),
    endDate: Type.Optional(Nullable(LocalDate)),
  },
  { ...closed, minProperties: 1 },
);
export type EnrolmentPatch = Static<typeof EnrolmentPatch>;

// --- persons ---------------------------------------------------------------------------------------
export const PersonView = Type.Object({
  id: Id,
  issuer: Type.String(),
  subject: Type.String(),
  displayName: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  disabled: Type.Boolean(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type PersonView = Static<typeof PersonView>;
/** A person named by their identity at the configured OpenID provider: matched, or created. */
export const PersonIdentity = Type.Object(
  {
    subject: Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^\\S+$',
      description: "the identity provider's subject identifier",
    }),
    displayName: Text(200),
    email: Type.Optional(Nullable(Email)),
    phone: Type.Optional(Nullable(Phone)),
  },
  closed,
);
export type PersonIdentity = Static<typeof PersonIdentity>;
export const PersonPatch = Type.Object(
  {
    displayName: Type.Optional(Text(200)),
    email: Type.Optional(Nullable(Email)),
    phone: Type.Optional(Nullable(Phone)),
    disabled: Type.Optional(Type.Boolean({ description: 'a disabled person cannot log in; sessions end' })),
  },
  { ...closed, minProperties: 1 },
);
export type PersonPatch = Static<typeof PersonPatch>;

// --- guardian links --------------------------------------------------------------------------------
export const GuardianLinkView = Type.Object({
  id: Id,
  childId: Id,
  personId: Id,
  person: Type.Object({ displayName: Type.String(), subject: Type.String() }),
  relation: Type.String(),
  verified: Type.Boolean(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type GuardianLinkView = Static<typeof GuardianLinkView>;
const Relation = Type.String({
  minLength: 1,
  maxLength: 50,
  pattern: '\\S',
  description: 'parent, mother, father, guardian, … (default parent)',
});
export const GuardianLinkCreate = Type.Object(
  {
    personId: Type.Optional(Id),
    person: Type.Optional(PersonIdentity),
    relation: Type.Optional(Relation),
    verified: Type.Optional(Type.Boolean({ default: false })),
  },
  { ...closed, description: 'exactly one of personId (an existing person) and person (matched or created)' },
);
export type GuardianLinkCreate = Static<typeof GuardianLinkCreate>;
export const GuardianLinkPatch = Type.Object(
  { relation: Type.Optional(Relation), verified: Type.Optional(Type.Boolean()) },
  { ...closed, minProperties: 1 },
);
export type GuardianLinkPatch = Static<typeof GuardianLinkPatch>;

// --- subscriptions ---------------------------------------------------------------------------------
export const SubscriptionView = Type.Object({
  id: Id,
  childId: Id,
  personId: Id,
  status: SubscriptionStatus,
  monthlyFeeMinor: Nullable(Type.Integer({ description: "null: the institution's fee" })),
  createdAt: Instant,
  updatedAt: Instant,
});
export type SubscriptionView = Static<typeof SubscriptionView>;
export const SubscriptionCreate = Type.Object(
  {
    personId: Id,
    status: Type.Optional(SubscriptionStatus),
    monthlyFeeMinor: Type.Optional(Nullable(FeeMinor)),
  },
  closed,
);
export type SubscriptionCreate = Static<typeof SubscriptionCreate>;
export const SubscriptionPatch = Type.Object(
  { status: Type.Optional(SubscriptionStatus), monthlyFeeMinor: Type.Optional(Nullable(FeeMinor)) },
  { ...closed, minProperties: 1 },
);
export type SubscriptionPatch = Static<typeof SubscriptionPatch>;

// --- role bindings ---------------------------------------------------------------------------------
export const RoleBindingView = Type.Object({
  id: Id,
  personId: Id,
  role: RoleName,
  scopeKind: ScopeKind,
  scopeId: Id,
  createdAt: Instant,
});
export type RoleBindingView = Static<typeof RoleBindingView>;
export const RoleBindingCreate = Type.Object(
  {
    personId: Type.Optional(Id),
    person: Type.Optional(PersonIdentity),
    role: RoleName,
    scopeKind: ScopeKind,
    scopeId: Id,
  },
  { ...closed, description: 'exactly one of personId and person' },
);
export type RoleBindingCreate = Static<typeof RoleBindingCreate>;

// --- CSV import ------------------------------------------------------------------------------------
const Counts = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
});
export const ImportResult = Type.Object({
  rows: Type.Integer({ description: 'data rows read (empty rows not counted)' }),
  children: Counts,
  enrolments: Counts,
  guardians: Type.Object(
    { created: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer() },
    { description: 'guardian links' },
  ),
  persons: Type.Object({ created: Type.Integer(), matched: Type.Integer() }),
  unverifiedLinks: Type.Integer({
    description:
      'new guardian links created unverified: the person already existed but is not a guardian known to this kindergarten (confirm with PATCH /api/admin/guardian-links/{id})',
  }),
});
export type ImportResult = Static<typeof ImportResult>;
export const ImportProblem = Type.Object({
  line: Type.Integer({ description: 'line of the file (the header is line 1)' }),
  column: Type.Optional(Type.String()),
  reason: Type.String(),
});
export type ImportProblem = Static<typeof ImportProblem>;
