-- Hourly max of used_percent per host over a day. Windows align to the epoch and are cut
-- at the range bounds; _time is the window's stop. With createEmpty: true an hour without
-- data still gives a row with a null value, also for a selector such as max() (Flux's
-- conformance vectors universe/max_empty_windows and min_empty_windows show this), so the
-- hours of the day are generated and joined.
WITH maxima AS (
    SELECT host, time_bucket(INTERVAL 1 hour, _time) AS w, max(used_percent) AS v
    FROM mem
    WHERE _time >= :start_1d AND _time < :now AND used_percent IS NOT NULL
    GROUP BY ALL
), hours AS (
    SELECT DISTINCT host, unnest(generate_series(time_bucket(INTERVAL 1 hour, CAST(:start_1d AS TIMESTAMP)),
                                                 CAST(:now AS TIMESTAMP) - INTERVAL 1 microsecond,
                                                 INTERVAL 1 hour)) AS w
    FROM maxima
)
SELECT hours.host,
       epoch_ns(least(hours.w + INTERVAL 1 hour, CAST(:now AS TIMESTAMP))) AS _time,
       maxima.v AS _value
FROM hours LEFT JOIN maxima ON hours.host = maxima.host AND hours.w = maxima.w
ORDER BY ALL;
