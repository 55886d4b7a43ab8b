import { z } from 'zod';

/** An erasure request as `npm run erase` and the internal port's /erase take it; parsed at the boundary. */

// RENAPO's CURP format: four letters, birth date, sex (H, M, X), state and consonants, check digits.
const curp = z.string().trim().toUpperCase().regex(/^[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d$/, 'a CURP has 18 characters: 4 letters, 6 digits (birth date), H/M/X, 5 letters, a letter or digit, a digit');
const sessionId = z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9._:-]+$/, 'a session id is letters, digits and . _ : -');
const text = (what: string) => z.string().trim().min(3, `${what} needs at least 3 characters`).max(2000).regex(/^[^\u0000-\u001f\u007f]*$/, `${what} must be one line of text`);

export const erasureRequestSchema = z.strictObject({
  session: sessionId.optional(),
  person: curp.optional(),
  reason: text('--reason'),
  requestedBy: text('--requested-by'),
  runBy: text('run by'),
  full: z.boolean().default(false),
  dryRun: z.boolean().default(false),
}).refine((r) => (r.session === undefined) !== (r.person === undefined), { message: 'give exactly one of --session <id> or --person <CURP>' });
export type ErasureRequest = z.infer<typeof erasureRequestSchema>;

export class ErasureRequestError extends Error {
  override name = 'ErasureRequestError';
}

export function parseErasureRequest(input: unknown): ErasureRequest {
  const parsed = erasureRequestSchema.safeParse(input);
  if (!parsed.success) throw new ErasureRequestError(parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; '));
  return parsed.data;
}
