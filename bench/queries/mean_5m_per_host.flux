// Mean CPU user time per host (over its CPUs) per 5 minutes over a day.
from(bucket: "telegraf")
  |> range(start: -1d)
  |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user")
  |> group(columns: ["host"])
  |> aggregateWindow(every: 5m, fn: mean)
