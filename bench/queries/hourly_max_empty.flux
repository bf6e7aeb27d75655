// Hourly maximum of memory use per host over a day; hours without data give null rows.
from(bucket: "telegraf")
  |> range(start: -1d)
  |> filter(fn: (r) => r._measurement == "mem" and r._field == "used_percent")
  |> aggregateWindow(every: 1h, fn: max, createEmpty: true)
