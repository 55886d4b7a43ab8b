import type { DecisionWebhook } from '../../schemas/veriff/decision.schema.js';
import type { DecisionRow } from '../../schemas/rows.js';
import { toClickHouseTime } from '../../lib/time.js';
import type { NormalizeContext } from '../context.js';
import { decisionIdOf } from '../../pipeline/contract.js';
import { INE_MATCH_THRESHOLD } from '../../schemas/thresholds.js';

export const FACE_MATCH_THRESHOLD = INE_MATCH_THRESHOLD;

/** Codes per status in Veriff's status table; expired and abandoned share 9104. */
const expectedCode: Record<string, number> = {
  approved: 9001,
  declined: 9102,
  resubmission_requested: 9103,
  expired: 9104,
  abandoned: 9104,
  review: 9121,
};

type Ine = NonNullable<NonNullable<DecisionWebhook['verification']['additionalVerifiedData']>['ineBiometricRegistryValidation']>;

export function ineFields(ine: Ine | null | undefined): Pick<
  DecisionRow,
  'ine_check_performed' | 'ine_result_state' | 'ine_face_match' | 'ine_face_match_percentage' | 'ine_response_status' | 'ine_threshold_match' | 'ine_inconsistent'
> {
  if (ine === null || ine === undefined) {
    return {
      ine_check_performed: false,
      ine_result_state: 'absent',
      ine_face_match: null,
      ine_face_match_percentage: null,
      ine_response_status: null,
      ine_threshold_match: null,
      ine_inconsistent: null,
    };
  }
  const faceMatch = ine.faceMatch ?? null;
  const percentage = ine.faceMatchPercentage ?? null;
  const thresholdMatch = percentage === null ? null : percentage >= FACE_MATCH_THRESHOLD;
  const responseStatus = ine.responseStatus ?? null;
  return {
    ine_check_performed: true,
    ine_result_state: responseStatus === 'success' ? 'completed' : responseStatus === 'failure' ? 'provider_failure' : 'not_completed',
    ine_face_match: faceMatch,
    // Stored as UInt8; flooring keeps a fractional 84.6 below the threshold, as its flag says.
    ine_face_match_percentage: percentage === null ? null : Math.floor(percentage),
    ine_response_status: responseStatus,
    ine_threshold_match: thresholdMatch,
    ine_inconsistent: faceMatch === null || thresholdMatch === null ? null : faceMatch !== thresholdMatch,
  };
}

const timeOrNull = (t: string | null | undefined): string | null => (t ? toClickHouseTime(t) : null);

/** A validated decision payload → its analytics row: no names, id numbers, birth dates or addresses. */
export function normalizeDecision(payload: DecisionWebhook, ctx: NormalizeContext): DecisionRow {
  const v = payload.verification;
  const decisionTime = timeOrNull(v.decisionTime);
  const person = v.person ?? null;
  const ine = ineFields(v.additionalVerifiedData?.ineBiometricRegistryValidation);
  return {
    session_id: v.id,
    decision_id: decisionIdOf(v),
    attempt_id: v.attemptId,
    integration: ctx.integration,
    status: v.status,
    code: v.code,
    reason: v.reason ?? null,
    reason_code: v.reasonCode ?? null,
    decision_time: decisionTime ?? ctx.receivedAt,
    decision_time_missing: decisionTime === null,
    acceptance_time: timeOrNull(v.acceptanceTime),
    submission_time: timeOrNull(v.submissionTime),
    status_code_mismatch: expectedCode[v.status] !== undefined && expectedCode[v.status] !== v.code,
    ine_check_performed: ine.ine_check_performed,
    ine_result_state: ine.ine_result_state,
    ine_face_match: ine.ine_face_match,
    ine_face_match_percentage: ine.ine_face_match_percentage,
    ine_response_status: ine.ine_response_status,
    ine_threshold_match: ine.ine_threshold_match,
    ine_inconsistent: ine.ine_inconsistent,
    document_type: v.document?.type ?? null,
    document_country: v.document?.country ?? null,
    person_pseudonym: ctx.pseudonymize(person?.idNumber ?? null),
    end_user_pseudonym: ctx.pseudonymize(v.endUserId),
    vendor_data_pseudonym: ctx.pseudonymize(v.vendorData),
    risk_score: v.riskScore?.score ?? null,
    risk_labels: (v.riskLabels ?? []).map((l) => l.label),
    delivery_id: ctx.deliveryId,
    source: ctx.source,
    received_at: ctx.receivedAt,
    row_version: ctx.rowVersion,
  };
}
