// The 5 hosts with the highest mean total CPU user time over a day.
from(bucket: "telegraf")
  |> range(start: -1d)
  |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage_user" and r.cpu == "cpu-total")
  |> mean()
  |> group()
  |> top(n: 5)
