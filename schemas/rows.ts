import { z } from 'zod';

/**
 * Insert types of the ClickHouse tables, snake_case like the DDL in ./migrations.
 * test/integration/schema.test.ts compares these keys with DESCRIBE TABLE.
 */

const time = z.string(); // 'YYYY-MM-DD hh:mm:ss.mmm', UTC
const nstr = z.string().nullable();

export const decisionRow = z.object({
  session_id: z.string(),
  decision_id: z.string(),
  attempt_id: z.string(),
  integration: z.string(),
  status: z.string(),
  code: z.number().int(),
  reason: nstr,
  reason_code: z.number().int().nullable(),
  decision_time: time,
  decision_time_missing: z.boolean(),
  acceptance_time: time.nullable(),
  submission_time: time.nullable(),
  status_code_mismatch: z.boolean(),
  ine_check_performed: z.boolean(),
  ine_result_state: z.enum(['absent', 'not_completed', 'provider_failure', 'completed']),
  ine_face_match: z.boolean().nullable(),
  ine_face_match_percentage: z.number().int().min(0).max(100).nullable(),
  ine_response_status: nstr,
  ine_threshold_match: z.boolean().nullable(),
  ine_inconsistent: z.boolean().nullable(),
  document_type: nstr,
  document_country: nstr,
  person_pseudonym: nstr,
  end_user_pseudonym: nstr,
  vendor_data_pseudonym: nstr,
  risk_score: z.number().nullable(),
  risk_labels: z.array(z.string()),
  delivery_id: z.string(),
  source: z.string(),
  received_at: time,
  row_version: z.number().int(),
});
export type DecisionRow = z.infer<typeof decisionRow>;

export const eventRow = z.object({
  session_id: z.string(),
  event_id: z.string(),
  attempt_id: z.string(),
  integration: z.string(),
  code: z.number().int(),
  action: z.string(),
  feature: nstr,
  end_user_pseudonym: nstr,
  vendor_data_pseudonym: nstr,
  delivery_id: z.string(),
  source: z.string(),
  received_at: time,
  row_version: z.number().int(),
});
export type EventRow = z.infer<typeof eventRow>;

export const consentRow = z.object({
  session_id: z.string(),
  consent_id: z.string(),
  integration: z.string(),
  type: z.string(),
  approved: z.boolean(),
  given_at: time,
  end_user_pseudonym: nstr,
  vendor_data_pseudonym: nstr,
  source: nstr,
  text_version: nstr,
  delivery_id: z.string(),
  received_at: time,
  row_version: z.number().int(),
});
export type ConsentRow = z.infer<typeof consentRow>;

export const deliveryRow = z.object({
  delivery_id: z.string(),
  kind: z.string(),
  record_id: z.string(),
  session_id: z.string(),
  integration: z.string(),
  source: z.string(),
  received_at: time,
  event_time: time.nullable(),
});
export type DeliveryRow = z.infer<typeof deliveryRow>;

export const rawPayloadRow = z.object({
  delivery_id: z.string(),
  kind: z.string(),
  integration: z.string(),
  session_id: z.string(),
  source: z.string(),
  received_at: time,
  body_sha256: z.string(),
  body: z.string(),
});
export type RawPayloadRow = z.infer<typeof rawPayloadRow>;

const fieldErrorTuple = z.object({ path: z.string(), message: z.string() });

export const quarantineRow = z.object({
  delivery_id: z.string(),
  kind: z.string(),
  integration: z.string(),
  received_at: time,
  body_sha256: z.string(),
  body: z.string(),
  body_encoding: z.enum(['utf8', 'base64']),
  errors: z.array(fieldErrorTuple),
  error_paths: z.array(z.string()),
});
export type QuarantineRow = z.infer<typeof quarantineRow>;

export const rejectionRow = z.object({
  rejection_id: z.string(),
  at: time,
  integration: nstr,
  endpoint: z.string(),
  status: z.number().int(),
  reason: z.string(),
  paths: z.array(z.string()),
  body_sha256: z.string(),
  body_bytes: z.number().int(),
});
export type RejectionRow = z.infer<typeof rejectionRow>;

export const deadLetterRow = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string(),
  key: nstr,
  value: z.string(),
  error: z.string(),
  at: time,
});
export type DeadLetterRow = z.infer<typeof deadLetterRow>;

/** Table name → row type, for the writer. */
export interface TableRows {
  decision_rows?: DecisionRow[];
  event_rows?: EventRow[];
  consent_rows?: ConsentRow[];
  deliveries?: DeliveryRow[];
  raw_payloads?: RawPayloadRow[];
  quarantine?: QuarantineRow[];
  rejection_log?: RejectionRow[];
  dead_letters?: DeadLetterRow[];
}
export type TableName = keyof TableRows;

export const rowSchemas = {
  decision_rows: decisionRow,
  event_rows: eventRow,
  consent_rows: consentRow,
  deliveries: deliveryRow,
  raw_payloads: rawPayloadRow,
  quarantine: quarantineRow,
  rejection_log: rejectionRow,
  dead_letters: deadLetterRow,
} as const satisfies Record<TableName, z.ZodObject>;
