-- @name consent-coverage
-- @title Consent coverage of INE checks, by integration
-- @description Sessions whose INE check falls in [from, to), per integration, split by the consent
--   verdict of ine_audit.consent_verdicts (consent_audit's rows, pre-aggregated). The check time is the earliest decisionTime of a decision
--   carrying ineBiometricRegistryValidation, the consent that counts is the latest `ine` record given
--   at or before it. coverage_pct = consented / ine_checks * 100, rounded to 2 decimals.
-- @param from DateTime64(3, 'UTC') required Start of the period, inclusive
-- @param to DateTime64(3, 'UTC') required End of the period, exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    integration,
    count() AS ine_checks,
    countIf(violation = 'none') AS consented,
    countIf(violation = 'missing') AS missing,
    countIf(violation = 'refused') AS refused,
    countIf(violation = 'after_check') AS after_check,
    round(100 * consented / ine_checks, 2) AS coverage_pct
FROM ine_audit.consent_verdicts
WHERE ine_checked_at >= {from:DateTime64(3, 'UTC')}
  AND ine_checked_at < {to:DateTime64(3, 'UTC')}
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
GROUP BY integration
ORDER BY integration
