import { z } from 'zod';
import { isoDateTime } from './veriff/decision.schema.js';

/** The company's own consent record, captured when it created the Veriff session. */
export const consentRecordSchema = z.strictObject({
  sessionId: z.string().min(1).max(200),
  type: z.string().min(1).max(32),
  approved: z.boolean(),
  givenAt: isoDateTime,
  endUserId: z.string().max(200).nullish(),
  vendorData: z.string().max(1000).nullish(),
  source: z.string().max(64).nullish(),
  textVersion: z.string().max(64).nullish(),
});

export type ConsentRecord = z.infer<typeof consentRecordSchema>;
