import { timingSafeEqual, createHash } from 'node:crypto';
import type { Integration } from '../lib/config.js';
import { hmacKey, hmacSha256Hex } from '../lib/hash.js';

export type AuthResult =
  | { ok: true; integration: Integration }
  | { ok: false; reason: 'missing_client' | 'unknown_client' | 'missing_signature' | 'bad_signature'; integration: Integration | null };

const hexSha256 = /^[0-9a-f]{64}$/;

function equalHex(expectedHex: string, receivedHex: string): boolean {
  const received = receivedHex.trim().toLowerCase();
  if (!hexSha256.test(received)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(received, 'hex'));
}

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Veriff's scheme: x-auth-client names the integration, x-hmac-signature is the hex HMAC-SHA256 of
 * the raw body bytes with its shared secret, compared in constant time. The legacy x-signature
 * (sha256(body || secret)) only when explicitly enabled.
 */
export function createAuthenticator(integrations: readonly Integration[], allowLegacySignature: boolean) {
  const byKey = new Map(integrations.map((integration) => [integration.apiKey, { integration, signingKey: hmacKey(integration.sharedSecret) }]));
  return (headers: Record<string, string | string[] | undefined>, rawBody: Buffer): AuthResult => {
    const apiKey = header(headers, 'x-auth-client');
    if (!apiKey) return { ok: false, reason: 'missing_client', integration: null };
    const known = byKey.get(apiKey);
    if (!known) return { ok: false, reason: 'unknown_client', integration: null };
    const { integration, signingKey } = known;
    const signature = header(headers, 'x-hmac-signature');
    if (signature) {
      return equalHex(hmacSha256Hex(signingKey, rawBody), signature)
        ? { ok: true, integration }
        : { ok: false, reason: 'bad_signature', integration };
    }
    const legacy = allowLegacySignature ? header(headers, 'x-signature') : undefined;
    if (legacy) {
      const expected = createHash('sha256').update(rawBody).update(integration.sharedSecret).digest('hex');
      return equalHex(expected, legacy) ? { ok: true, integration } : { ok: false, reason: 'bad_signature', integration };
    }
    return { ok: false, reason: 'missing_signature', integration };
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
