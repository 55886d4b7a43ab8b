import { z } from 'zod';

/** Veriff event webhook: session progress only (started 7001, submitted 7002, ...), never a decision. */
export const eventWebhookSchema = z.looseObject({
  id: z.string().min(1).max(200),
  attemptId: z.string().min(1).max(200),
  feature: z.string().nullish(),
  code: z.number().int().min(0).max(65535),
  action: z.string().min(1).max(64),
  vendorData: z.string().max(1000).nullish(),
  endUserId: z.string().max(200).nullish(),
});

export type EventWebhook = z.infer<typeof eventWebhookSchema>;
