-- @name duplicate-deliveries
-- @title Records delivered more than once
-- @description Decisions, events and consents (record_id = decision_id / event_id / consent_id) accepted in
--   more than one delivery, attributed to the period of their first delivery: first_received_at in
--   [from, to). deliveries counts distinct deliveries over all time (a Kafka redelivery of the same
--   delivery is not a duplicate), sources lists where they came from (webhook, import, quarantine_replay).
-- @param from DateTime64(3, 'UTC') required Start of the period (first delivery), inclusive
-- @param to DateTime64(3, 'UTC') required End of the period (first delivery), exclusive
-- @param integration Nullable(String) optional Only this integration (all integrations when absent)
SELECT
    kind,
    record_id,
    any(session_id) AS session_id,
    any(integration) AS integration,
    uniqExact(delivery_id) AS deliveries,
    min(received_at) AS first_received_at,
    max(received_at) AS last_received_at,
    any(event_time) AS event_time,
    arrayStringConcat(arraySort(groupUniqArray(toString(source))), ',') AS sources
FROM
(
    SELECT kind, record_id, session_id, integration, delivery_id, received_at, event_time, source
    FROM ine_audit.deliveries
    -- A record first delivered in the period was delivered again only after its start, and with an
    -- integration asked for, its first delivery from that integration may be older than the record's.
    WHERE (received_at >= {from:DateTime64(3, 'UTC')} OR {integration:Nullable(String)} IS NOT NULL)
      AND ({integration:Nullable(String)} IS NULL OR integration = {integration:Nullable(String)})
      AND reinterpretAsUInt128(sipHash128(kind, record_id)) IN
        (
            -- The repeated records first delivered in the period, from delivery_records alone (FINAL: one
            -- row per record), and a record that more than one integration delivered is decided on its
            -- deliveries. By record_key, the view's hash of kind and record id: FINAL then reads no record
            -- id (a year at 10 M decisions: 1.0 s instead of 1.6). Two delivery ids sharing 64 bits (about 1 in
            -- 10^19 a pair) would hide a repeat
            SELECT record_key
            FROM ine_audit.delivery_records FINAL
            WHERE if({integration:Nullable(String)} IS NOT NULL AND least_integration != greatest_integration,
                     {integration:Nullable(String)} BETWEEN least_integration AND greatest_integration,
                     least_delivery != greatest_delivery
                       AND first_received_at >= {from:DateTime64(3, 'UTC')}
                       AND first_received_at < {to:DateTime64(3, 'UTC')}
                       AND ({integration:Nullable(String)} IS NULL OR least_integration = {integration:Nullable(String)}))
        )
)
GROUP BY kind, record_id
HAVING deliveries > 1
   AND first_received_at >= {from:DateTime64(3, 'UTC')}
   AND first_received_at < {to:DateTime64(3, 'UTC')}
ORDER BY first_received_at, kind, record_id
