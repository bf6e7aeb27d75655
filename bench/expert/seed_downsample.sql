-- 5-minute means of every mem field of one host over the last hour, one row per window.
-- :start_1h, :now are TIMESTAMP_NS literals; windows align to the epoch like Flux's.
SELECT host,
       epoch_ns(time_bucket(INTERVAL 5 minute, _time) + INTERVAL 5 minute) AS _time,
       avg(available) AS available, avg(available_percent) AS available_percent,
       avg(cached) AS cached, avg(free) AS free, avg(total) AS total, avg(used) AS used,
       avg(used_percent) AS used_percent
FROM mem
WHERE host = 'host-0007' AND _time >= :start_1h AND _time < :now
GROUP BY ALL
ORDER BY ALL;
