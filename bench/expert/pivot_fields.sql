-- Three cpu fields side by side per (host, cpu, time) over the last hour: the wide table
-- already is the pivot.
SELECT host, cpu, epoch_ns(_time) AS _time, usage_idle, usage_system, usage_user
FROM cpu
WHERE _time >= :start_1h AND _time < :now
  AND (usage_idle IS NOT NULL OR usage_system IS NOT NULL OR usage_user IS NOT NULL)
ORDER BY host, cpu, _time;
