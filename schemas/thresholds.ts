/**
 * Every level the audit judges by, defined once. Panels, alert rules, the audit queries (as query
 * parameters), the normalizer and dashboards/README.md read them from here; tests hold each of them to
 * these values.
 */

/** Veriff's INE rule: faceMatchPercentage ≥ 85 is a match, < 85 is not. */
export const INE_MATCH_THRESHOLD = 85;

/** Checks this close to the match threshold (either side, inclusive) get a second look in the audits. */
export const INE_BAND_HALF_WIDTH = 5;

/** The face-match alert fires below this rate (share of completed checks with faceMatch = true). */
export const FACE_MATCH_ALERT_RATE = 0.8;
/** ... when at least this many checks completed in the alert's window. */
export const FACE_MATCH_ALERT_MIN_CHECKS = 20;

/** The provider-failure alert fires above this share of INE checks failed at the provider. */
export const PROVIDER_FAILURE_ALERT_RATE = 0.2;
/** ... when at least this many checks ran in the alert's window. */
export const PROVIDER_FAILURE_ALERT_MIN_CHECKS = 10;

/** The rejection alert fires above this many refused requests in its window. */
export const REJECTION_ALERT_COUNT = 50;

/** As the audit queries receive them: fixed query parameters, never CLI options. */
export const auditThresholdParams = {
  ine_match_threshold: INE_MATCH_THRESHOLD,
  ine_band_low: INE_MATCH_THRESHOLD - INE_BAND_HALF_WIDTH,
  ine_band_high: INE_MATCH_THRESHOLD + INE_BAND_HALF_WIDTH,
} as const;

export const percent = (rate: number): string => `${Math.round(rate * 100)}%`;
