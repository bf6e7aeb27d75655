-- Hourly max of used_percent per host over a day. Windows align to the epoch and are cut
-- at the range bounds; _time is the window's stop. createEmpty: true makes empty windows,
-- but max() is a selector and a selector returns no row for an empty table, so hours
-- without data give no row in Flux either (mean_5m_per_host covers the null rows).
SELECT host,
       epoch_ns(least(time_bucket(INTERVAL 1 hour, _time) + INTERVAL 1 hour, CAST(:now AS TIMESTAMP))) AS _time,
       max(used_percent) AS _value
FROM mem
WHERE _time >= :start_1d AND _time < :now AND used_percent IS NOT NULL
GROUP BY ALL
ORDER BY ALL;
