-- Last value and its time of every cpu field per (host, cpu) over a day.
SELECT host, cpu,
  epoch_ns(max(_time) FILTER (usage_guest IS NOT NULL)),   arg_max(usage_guest, _time)   AS usage_guest,
  epoch_ns(max(_time) FILTER (usage_idle IS NOT NULL)),    arg_max(usage_idle, _time)    AS usage_idle,
  epoch_ns(max(_time) FILTER (usage_iowait IS NOT NULL)),  arg_max(usage_iowait, _time)  AS usage_iowait,
  epoch_ns(max(_time) FILTER (usage_irq IS NOT NULL)),     arg_max(usage_irq, _time)     AS usage_irq,
  epoch_ns(max(_time) FILTER (usage_nice IS NOT NULL)),    arg_max(usage_nice, _time)    AS usage_nice,
  epoch_ns(max(_time) FILTER (usage_softirq IS NOT NULL)), arg_max(usage_softirq, _time) AS usage_softirq,
  epoch_ns(max(_time) FILTER (usage_steal IS NOT NULL)),   arg_max(usage_steal, _time)   AS usage_steal,
  epoch_ns(max(_time) FILTER (usage_system IS NOT NULL)),  arg_max(usage_system, _time)  AS usage_system,
  epoch_ns(max(_time) FILTER (usage_user IS NOT NULL)),    arg_max(usage_user, _time)    AS usage_user
FROM cpu
WHERE _time >= :start_1d AND _time < :now
GROUP BY ALL
ORDER BY ALL;
