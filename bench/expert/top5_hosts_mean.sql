-- The 5 hosts with the highest mean usage_user of cpu-total over a day.
SELECT host, avg(usage_user) AS _value
FROM cpu
WHERE cpu = 'cpu-total' AND _time >= :start_1d AND _time < :now AND usage_user IS NOT NULL
GROUP BY host
ORDER BY _value DESC
LIMIT 5;
