-- @name session-timeline
-- @title Everything known about one verification session, in order
-- @description Session events (at = received, events carry no time of their own), consents (at = givenAt,
--   detail gives the capture channel and consent text version),
--   the INE check with its consent verdict (at = check time), decisions (at = decisionTime) and every
--   accepted delivery of the session (at = received, repeated deliveries show as extra rows), and every
--   erasure receipt naming the session (at = when it ran, detail gives the receipt and the rows removed). Built from
--   the analytics tables only: no raw payloads, no personal data. Rejected requests cannot be listed
--   here: rejection_log never stores bodies, so it holds no session id.
-- @param session String required The Veriff verification session id
SELECT assumeNotNull(t) AS at, kind, what, code, attempt_id, integration, source, received_at, detail
FROM
(
    SELECT received_at AS t, 1 AS ord, 'event' AS kind, toString(action) AS what,
           CAST(code, 'Nullable(UInt16)') AS code, attempt_id, toString(integration) AS integration,
           toString(source) AS source, CAST(received_at, 'Nullable(DateTime64(3, \'UTC\'))') AS received_at,
           concat('feature=', ifNull(toString(feature), '')) AS detail
    FROM ine_audit.session_events
    WHERE session_id = {session:String}
    UNION ALL
    SELECT given_at, 2, 'consent', concat(toString(type), if(approved, ' approved', ' refused')),
           CAST(NULL, 'Nullable(UInt16)'), '', toString(integration),
           '', CAST(received_at, 'Nullable(DateTime64(3, \'UTC\'))'),
           concat('channel=', ifNull(source, ''), ', text_version=', ifNull(text_version, ''))
    FROM ine_audit.consents
    WHERE session_id = {session:String}
    UNION ALL
    SELECT ine_checked_at, 3, 'ine_check', concat('consent ', violation),
           CAST(NULL, 'Nullable(UInt16)'), '', toString(integration),
           '', CAST(NULL, 'Nullable(DateTime64(3, \'UTC\'))'),
           concat('consent_given_at=', ifNull(toString(consent_given_at), ''), ', consent_approved=', ifNull(toString(consent_approved), ''))
    FROM ine_audit.consent_verdicts
    WHERE session_id = {session:String}
    UNION ALL
    SELECT decision_time, 4, 'decision', toString(status),
           CAST(code, 'Nullable(UInt16)'), attempt_id, toString(integration),
           toString(source), CAST(received_at, 'Nullable(DateTime64(3, \'UTC\'))'),
           concat('reason_code=', ifNull(toString(reason_code), ''), ', reason=', ifNull(reason, ''),
                  ', ine=', toString(ine_result_state),
                  if(ine_check_performed,
                     concat(', face_match=', ifNull(toString(ine_face_match), ''), ', face_match_pct=', ifNull(toString(ine_face_match_percentage), '')),
                     ''),
                  if(decision_time_missing, ', decision_time_missing=true', ''))
    FROM ine_audit.decisions
    WHERE session_id = {session:String}
    UNION ALL
    SELECT received_at, 5, 'delivery', concat(toString(kind), ' delivery'),
           CAST(NULL, 'Nullable(UInt16)'), '', toString(integration),
           toString(source), CAST(received_at, 'Nullable(DateTime64(3, \'UTC\'))'),
           concat('record_id=', record_id)
    -- One row per delivery: a Kafka redelivery stores the same row again (what FINAL would fold, at the
    -- cost of merging every part the session's granules are in).
    FROM
    (
        SELECT kind, delivery_id, record_id, integration, source, received_at
        FROM ine_audit.deliveries
        WHERE session_id = {session:String}
        LIMIT 1 BY kind, delivery_id
    )
    UNION ALL
    SELECT at, 6, 'erasure', concat('erasure of a ', toString(scope), if(full, ', full', '')),
           CAST(NULL, 'Nullable(UInt16)'), '', '',
           '', CAST(NULL, 'Nullable(DateTime64(3, \'UTC\'))'),
           concat('receipt=', erasure_id, ', rows_removed=', toString(rows_removed), ', kafka_copies_expire_at=', ifNull(toString(kafka_copies_expire_at), 'none'))
    FROM ine_audit.erasures
    WHERE has(session_ids, {session:String})
)
ORDER BY t, ord, what, detail
