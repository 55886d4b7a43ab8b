import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Redaction by explicit paths: every personal field of a Veriff payload or consent record,
 * wherever a log call might carry one. Payloads themselves are never logged on purpose;
 * this is the safety net.
 */
const personalFields = [
  'firstName', 'lastName', 'fullName', 'middleName', 'dateOfBirth', 'yearOfBirth', 'idNumber',
  'gender', 'nationality', 'placeOfBirth', 'addresses', 'fullAddress', 'parsedAddress',
  'ineIdentifier', 'ifeIdentifier', 'electorNumber', 'number', 'ip', 'endUserId', 'vendorData',
  'person', 'document', 'technicalData', 'body', 'rawBody', 'payload',
];
const containers = ['', '*.', 'verification.', 'verification.person.', 'verification.document.', 'payload.verification.', 'payload.verification.person.'];

export const redactPaths = [
  ...new Set(containers.flatMap((prefix) => personalFields.map((f) => `${prefix}${f}`))),
  'req.headers["x-hmac-signature"]',
  'req.headers["x-signature"]',
  'req.headers.authorization',
  'req.headers["x-admin-token"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { service: 'ine-audit' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
