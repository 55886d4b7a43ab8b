import { describe, expect, it } from 'vitest';
import { createAuthenticator } from './auth.js';

const integration = { name: 'demo', apiKey: 'api-key', sharedSecret: 'demo-shared-secret' };
const body = Buffer.from('{"status":"success"}');
// Worked examples from veriff-facts.md §2 (checked with openssl).
const hmac = 'dbd482dfab6e34ffcaed758bfda6dc3fd1111a03e303b657bf77683bfce635e0';
const legacy = '04819d99fbc33d7a0c4738ca5e0772f916cbadbb6b278360c8b14017a53dce27';

describe('authenticate', () => {
  const auth = createAuthenticator([integration], false);

  it('accepts the documented HMAC, in either case', () => {
    expect(auth({ 'x-auth-client': 'api-key', 'x-hmac-signature': hmac }, body)).toMatchObject({ ok: true });
    expect(auth({ 'x-auth-client': 'api-key', 'x-hmac-signature': hmac.toUpperCase() }, body)).toMatchObject({ ok: true });
  });

  it.each([
    [{ 'x-hmac-signature': hmac }, 'missing_client'],
    [{ 'x-auth-client': 'other', 'x-hmac-signature': hmac }, 'unknown_client'],
    [{ 'x-auth-client': 'api-key' }, 'missing_signature'],
    [{ 'x-auth-client': 'api-key', 'x-hmac-signature': hmac.slice(0, 62) }, 'bad_signature'],
    [{ 'x-auth-client': 'api-key', 'x-hmac-signature': 'zz'.repeat(32) }, 'bad_signature'],
    [{ 'x-auth-client': 'api-key', 'x-hmac-signature': hmac.replace(/^d/, 'e') }, 'bad_signature'],
    [{ 'x-auth-client': 'api-key', 'x-signature': legacy }, 'missing_signature'],
  ])('%j → %s', (headers, reason) => {
    expect(auth(headers, body)).toMatchObject({ ok: false, reason });
  });

  it('rejects a signature over different bytes (re-serialized JSON)', () => {
    expect(auth({ 'x-auth-client': 'api-key', 'x-hmac-signature': hmac }, Buffer.from('{"status": "success"}'))).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('accepts the legacy x-signature only when enabled', () => {
    const withLegacy = createAuthenticator([integration], true);
    expect(withLegacy({ 'x-auth-client': 'api-key', 'x-signature': legacy }, body)).toMatchObject({ ok: true });
  });
});
