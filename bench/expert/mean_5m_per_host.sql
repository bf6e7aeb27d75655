-- Mean of usage_user over all CPUs of each host per 5 minutes over a day; a window without
-- data still gives a row (null mean), like aggregateWindow(createEmpty: true).
WITH agg AS (
    SELECT host, time_bucket(INTERVAL 5 minute, _time) + INTERVAL 5 minute AS t, avg(usage_user) AS v
    FROM cpu
    WHERE _time >= :start_1d AND _time < :now AND usage_user IS NOT NULL
    GROUP BY ALL
), grid AS (
    SELECT host, unnest(generate_series(CAST(:start_1d AS TIMESTAMP) + INTERVAL 5 minute,
                                        CAST(:now AS TIMESTAMP), INTERVAL 5 minute)) AS t
    FROM (SELECT DISTINCT host FROM agg)
)
SELECT host, epoch_ns(t) AS _time, v AS _value
FROM grid LEFT JOIN agg USING (host, t)
ORDER BY host, t;
