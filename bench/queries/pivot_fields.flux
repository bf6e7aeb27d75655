// Three cpu fields side by side, one row per time, over the last hour.
from(bucket: "telegraf")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "cpu" and (r._field == "usage_user" or r._field == "usage_system" or r._field == "usage_idle"))
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
