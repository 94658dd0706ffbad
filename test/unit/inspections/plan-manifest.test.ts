/** Pure parts of home inspections: due dates from a rule, manifest signatures, signed photo links. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { addMonths, dueDates, PlanRuleError, validateRule } from '../../../src/inspections/plan.js';
import { signManifest, verifyVersion, type InspectionManifest } from '../../../src/inspections/manifest.js';
import { signPhotoLink, verifyPhotoLink } from '../../../src/inspections/links.js';
import { keyIdOf } from '../../../src/recording/export-key.js';

describe('inspection plan', () => {
  test('monthly in the first year, then every six months', () => {
    const d = dueDates('2026-01-15', [{ untilMonth: 12, everyMonths: 1 }, { everyMonths: 6 }], '2028-01-31');
    assert.equal(d.length, 14);
    assert.equal(d[0], '2026-02-15');
    assert.equal(d[11], '2027-01-15');
    assert.deepEqual(d.slice(12), ['2027-07-15', '2028-01-15']);
  });
  test('month ends clamp; a step that does not divide its span ends on its boundary', () => {
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addMonths('2028-01-31', 1), '2028-02-29');
    assert.equal(addMonths('2026-11-30', 3), '2027-02-28');
    assert.deepEqual(
      dueDates('2026-01-01', [{ untilMonth: 4, everyMonths: 3 }, { everyMonths: 12 }], '2027-06-01'),
      ['2026-04-01', '2026-05-01', '2027-05-01'],
    );
  });
  test('bad rules are refused with the reason', () => {
    assert.throws(() => validateRule([]), PlanRuleError);
    assert.throws(() => validateRule([{ everyMonths: 1 }, { everyMonths: 6 }]), /only the last step/);
    assert.throws(() => validateRule([{ untilMonth: 12, everyMonths: 0 }]), /everyMonths/);
    assert.throws(
      () =>
        validateRule([
          { untilMonth: 12, everyMonths: 1 },
          { untilMonth: 6, everyMonths: 1 },
        ]),
      /grow/,
    );
  });
});

describe('inspection manifests and photo links', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const photo = { sha256: 'a'.repeat(64), bytes: 10 };
  const manifest = {
    format: 'okno-inspection/1',
    inspectionId: 'i1',
    version: 1,
    photos: [{ ...photo, id: 'p1' }],
    signature: { algorithm: 'Ed25519', keyId: keyIdOf(publicKey) },
  } as unknown as InspectionManifest;
  const signed = signManifest(manifest, privateKey);
  const row = { inspection_id: 'i1', version: 1, manifest: signed.text, signature: signed.signature };

  test('a signed manifest verifies; an edit, another key or an altered photo does not', async () => {
    const same = async () => photo;
    assert.equal((await verifyVersion(row, publicKey, same)).ok, true);
    const edited = { ...row, manifest: signed.text.replace('"version": 1', '"version": 2') };
    assert.match((await verifyVersion(edited, publicKey, same)).problems.join(), /signature does not match/);
    assert.equal((await verifyVersion(row, other.publicKey, same)).ok, false);
    const altered = await verifyVersion(row, publicKey, async () => ({ sha256: 'b'.repeat(64), bytes: 10 }));
    assert.match(altered.problems.join(), /ALTERED/);
    assert.match((await verifyVersion(row, publicKey, async () => null)).problems.join(), /missing/);
    assert.equal((await verifyVersion(row, publicKey, async () => null, new Set([photo.sha256]))).ok, true);
  });

  test('photo links: valid until expiry, refused when altered or signed by another key', () => {
    const token = signPhotoLink(
      { p: 'p1', v: 'thumb', s: 'person', i: 'i1', r: 'office_head', e: 2000 },
      privateKey,
    );
    assert.deepEqual(verifyPhotoLink(token, publicKey, 1000), {
      ok: true,
      claims: { p: 'p1', v: 'thumb', s: 'person', i: 'i1', r: 'office_head', e: 2000 },
    });
    assert.deepEqual(verifyPhotoLink(token, publicKey, 2001), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyPhotoLink(token, other.publicKey, 1000), { ok: false, reason: 'bad_signature' });
    const [body, sig] = token.split('.');
    const forged = Buffer.from(Buffer.from(body!, 'base64url').toString().replace('p1', 'p2')).toString(
      'base64url',
    );
    assert.deepEqual(verifyPhotoLink(`${forged}.${sig}`, publicKey, 1000), {
      ok: false,
      reason: 'bad_signature',
    });
    assert.deepEqual(verifyPhotoLink('nonsense', publicKey, 1000), { ok: false, reason: 'malformed' });
  });
});
