-- Per-second rate of bytes_recv per (host, interface) over the last hour; a decrease
-- (counter reset) gives null, the first row of each series none.
SELECT host, interface, _time, _value
FROM (
    SELECT host, interface, epoch_ns(_time) AS _time,
           (CAST(bytes_recv AS DOUBLE) - CAST(lag(bytes_recv) OVER w AS DOUBLE)) * 1e9
             / (epoch_ns(_time) - epoch_ns(lag(_time) OVER w)) AS rate,
           CASE WHEN rate < 0 THEN NULL ELSE rate END AS _value,
           lag(_time) OVER w IS NOT NULL AS has_previous
    FROM net
    WHERE _time >= :start_1h AND _time < :now AND bytes_recv IS NOT NULL
    WINDOW w AS (PARTITION BY host, interface ORDER BY _time)
)
WHERE has_previous
ORDER BY host, interface, _time;
