/** A few named error classes; the boundary (route, consumer) decides what each means. */

export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}
