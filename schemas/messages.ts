import { z } from 'zod';

/**
 * Kafka message contracts, shared by producer (ingest, import, replay) and consumer (processors).
 * Producers parse before sending; consumers safeParse after JSON.parse. Evolve by adding optional fields.
 */

export const payloadKinds = ['decision', 'event', 'consent'] as const;
export type PayloadKind = (typeof payloadKinds)[number];

const fieldError = z.object({ path: z.string(), message: z.string() });

/** An accepted payload: the raw body is kept byte for byte so everything can be re-derived. */
export const acceptedMessageSchema = z.object({
  v: z.literal(1),
  kind: z.enum(payloadKinds),
  /** One per accepted delivery (HTTP request, import line, replayed quarantine entry). */
  deliveryId: z.string().min(1),
  integration: z.string(),
  receivedAt: z.iso.datetime(),
  source: z.enum(['webhook', 'import', 'quarantine_replay']),
  bodySha256: z.string().length(64),
  body: z.string(),
});
export type AcceptedMessage = z.infer<typeof acceptedMessageSchema>;

/** A correctly signed body that failed validation: kept for replay after a schema fix. */
export const quarantineMessageSchema = z.object({
  v: z.literal(1),
  kind: z.enum(payloadKinds),
  deliveryId: z.string().min(1),
  integration: z.string(),
  receivedAt: z.iso.datetime(),
  bodySha256: z.string().length(64),
  body: z.string(),
  /** base64 when the signed bytes were not valid UTF-8. */
  bodyEncoding: z.enum(['utf8', 'base64']).default('utf8'),
  errors: z.array(fieldError),
});
export type QuarantineMessage = z.infer<typeof quarantineMessageSchema>;

/** A request ingest refused (401, 400, 413, 415, 429). Never carries the body. */
export const rejectionMessageSchema = z.object({
  v: z.literal(1),
  rejectionId: z.string().min(1),
  at: z.iso.datetime(),
  integration: z.string().nullable(),
  endpoint: z.string(),
  status: z.number().int(),
  reason: z.string(),
  paths: z.array(z.string()),
  bodySha256: z.string(),
  bodyBytes: z.number().int().nonnegative(),
});
export type RejectionMessage = z.infer<typeof rejectionMessageSchema>;

/** What the processor could not handle, with its original bytes and position. */
export const deadLetterMessageSchema = z.object({
  v: z.literal(1),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: z.string().nullable(),
  value: z.string(),
  error: z.string(),
  at: z.iso.datetime(),
});
export type DeadLetterMessage = z.infer<typeof deadLetterMessageSchema>;
