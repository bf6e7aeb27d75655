// Received bytes per second of every interface (a uint counter) over the last hour.
from(bucket: "telegraf")
  |> range(start: -1h)
  |> filter(fn: (r) => r._measurement == "net" and r._field == "bytes_recv")
  |> derivative(unit: 1s, nonNegative: true)
