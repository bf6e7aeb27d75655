// runtime/examples/seed_task.flux without to(); host "myHost" is not in the generated
// data, so the bench reads a real host (the generator names them host-0000..host-0099).
option task = {name: "cqinterval15m", every: 1h, offset: 0m, concurrency: 1, retry: 5}

data = from(bucket: "telegraf")
  |> range(start: -task.every)
  |> filter(fn: (r) => r._measurement == "mem" and r.host == "host-0007")

data
  |> aggregateWindow(every: 5m, fn: mean)
