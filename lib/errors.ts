/** A few named error classes; the boundary (route, consumer) decides what each means. */

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(message: string, readonly details: FieldError[] = []) {
    super(message);
  }
}

export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(readonly reason: 'missing_signature' | 'bad_signature' | 'unknown_client' | 'missing_client') {
    super(reason.replaceAll('_', ' '));
  }
}
