import { hmacSha256Hex } from '../../lib/hash.js';

export interface TestIntegration {
  name: string;
  apiKey: string;
  sharedSecret: string;
}

export const integrationEnv = (integrations: TestIntegration[]) => ({ VERIFF_INTEGRATIONS: JSON.stringify(integrations) });

/** POST a body signed the way Veriff signs it (hex HMAC-SHA256 of the raw bytes). */
export async function signedPost(
  baseUrl: string,
  path: string,
  body: unknown,
  integration: TestIntegration,
  options: { contentType?: string; signature?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-auth-client': integration.apiKey,
      'x-hmac-signature': options.signature ?? hmacSha256Hex(integration.sharedSecret, raw),
      ...options.headers,
    },
    body: typeof raw === "string" ? raw : new Uint8Array(raw),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}
