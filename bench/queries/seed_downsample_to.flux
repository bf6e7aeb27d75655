// runtime/examples/seed_task.flux with its to(); the runner replaces DEST_BUCKET with a
// fresh bucket name for every run.
option task = {name: "cqinterval15m", every: 1h, offset: 0m, concurrency: 1, retry: 5}

data = from(bucket: "telegraf")
  |> range(start: -task.every)
  |> filter(fn: (r) => r._measurement == "mem" and r.host == "host-0007")

data
  |> aggregateWindow(every: 5m, fn: mean)
  |> to(bucket: "DEST_BUCKET")
