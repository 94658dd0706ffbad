/**
 * Stream grants: short-lived signed tokens bound to viewer, camera, session and stream, verified by
 * media endpoints without a database round trip. See docs/design/access-policy.md ("Grants").
 */
export type { GrantKey, GrantKeyJson, GrantKeyRingJson, GrantKeyStatus } from './keys.js';
export {
  exportGrantKeyRing,
  generateGrantKey,
  GRANT_ALG,
  GrantKeyError,
  GrantKeyRing,
  importGrantKeyRing,
  KEY_RETIREMENT_GRACE_MS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_GRANT_TTL_SECONDS,
} from './keys.js';
export type {
  GrantExpectation,
  GrantPurpose,
  GrantRejection,
  GrantRequest,
  GrantVerification,
  GrantVerifierOptions,
  IssuedGrant,
  SignOptions,
  VerifiedGrant,
  VerifyOptions,
} from './tokens.js';
export {
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  GRANT_REJECTIONS,
  GRANT_TOKEN_TYPE,
  grantSessionDigest,
  GrantVerifier,
  MAX_GRANT_TOKEN_CHARS,
  signGrant,
  verifyGrant,
} from './tokens.js';
