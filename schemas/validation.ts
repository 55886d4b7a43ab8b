import type { z } from 'zod';

/** One field that failed its contract, by dotted path. */
export interface FieldError {
  path: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Dotted field paths (`verification.additionalVerifiedData.ineBiometricRegistryValidation.faceMatch`). */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    path: prefix + (issue.path.length ? issue.path.map(String).join('.') : '(root)'),
    message: issue.message,
  }));
}

/** Parse raw bytes as JSON and validate; a syntax error is reported at the root. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [{ path: '(root)', message: `invalid JSON: ${(err as Error).message}` }] };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: fieldErrors(result.error) };
}
