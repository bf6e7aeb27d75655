// Last value of every cpu series (host, cpu, field) over a day.
from(bucket: "telegraf")
  |> range(start: -1d)
  |> filter(fn: (r) => r._measurement == "cpu")
  |> last()
