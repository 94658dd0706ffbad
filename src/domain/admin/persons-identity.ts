/**
 * Persons named by an identity at the configured OpenID provider. Persons that administrators or the
 * CSV import create get the issuer that logins will present (the embedded development provider's
 * when it is on, else `oidc.issuer`), so the person matches at their first login.
 */
import type { Config } from '../../config/config.js';
import { devIssuer } from '../../identity/dev-provider-info.js';
import { newId } from '../../shared/ids.js';
import type { AdminRepositories } from '../../storage/repositories/admin.js';
import type { PersonRow } from '../../storage/repositories/persons.js';
import { optionalText, requiredText } from './rules.js';
import type { PersonIdentity } from './schemas.js';

export function identityIssuer(config: Pick<Config, 'oidc' | 'publicUrl'>): string {
  if (config.oidc.devProvider) return devIssuer(config.publicUrl);
  if (!config.oidc.issuer) throw new Error('oidc.issuer is not configured');
  return config.oidc.issuer;
}

/**
 * The person with this identity, or a new one. An existing person is left as it is (their name and
 * contacts belong to whoever recorded them first, and may be shared with other institutions).
 */
export async function matchOrCreatePerson(
  r: AdminRepositories,
  issuer: string,
  identity: PersonIdentity,
  now: string,
): Promise<{ person: PersonRow; created: boolean }> {
  const subject = identity.subject.trim();
  const existing = await r.persons.findByIdentity(issuer, subject);
  if (existing) return { person: existing, created: false };
  const person = await r.persons.insert({
    id: newId(),
    issuer,
    subject,
    display_name: requiredText('body/person/displayName', identity.displayName),
    email: optionalText(identity.email),
    phone: optionalText(identity.phone),
    disabled: 0,
    created_at: now,
    updated_at: now,
  });
  return { person, created: true };
}
