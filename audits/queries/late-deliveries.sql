-- @name late-deliveries
-- @title Decisions received long after their decisionTime
-- @description Every accepted decision delivery received in [from, to) more than late_minutes after the
--   decision's decisionTime (one row per delivery, so a late redelivery is listed too). Backfills
--   (source = import) and quarantine replays are late by nature, the source column tells them apart
--   from webhooks that Veriff had to retry.
-- @param from DateTime64(3, 'UTC') required Start of the period (receipt), inclusive
-- @param to DateTime64(3, 'UTC') required End of the period (receipt), exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
-- @param late_minutes UInt32 optional default 60 Minutes between decisionTime and receipt beyond which a delivery is late
SELECT
    session_id,
    record_id AS decision_id,
    integration,
    source,
    assumeNotNull(event_time) AS decision_time,
    received_at,
    intDiv(toUnixTimestamp64Milli(received_at) - toUnixTimestamp64Milli(assumeNotNull(event_time)), 1000) AS delay_seconds,
    delivery_id
FROM ine_audit.deliveries FINAL
WHERE kind = 'decision'
  AND event_time IS NOT NULL
  AND received_at >= {from:DateTime64(3, 'UTC')}
  AND received_at < {to:DateTime64(3, 'UTC')}
  AND received_at > event_time + toIntervalMinute({late_minutes:UInt32})
  AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
ORDER BY received_at, session_id, delivery_id
