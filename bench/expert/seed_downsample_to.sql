-- The seed downsample written into a fresh table (:dest).
CREATE TABLE :dest AS
SELECT host,
       time_bucket(INTERVAL 5 minute, _time) + INTERVAL 5 minute AS _time,
       avg(available) AS available, avg(available_percent) AS available_percent,
       avg(cached) AS cached, avg(free) AS free, avg(total) AS total, avg(used) AS used,
       avg(used_percent) AS used_percent
FROM mem
WHERE host = 'host-0007' AND _time >= :start_1h AND _time < :now
GROUP BY ALL;
