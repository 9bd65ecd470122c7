-- wrk script: when the run is over, prints one JSON line with the latency percentiles
-- (milliseconds), requests per second and errors. Used as `wrk -s bench/lua/report.lua …`;
-- bench/lua/book.lua builds on it.
--
-- It defines no response() function: with one, wrk hands every answer's body to Lua, which
-- costs the load tool time and CPU in proportion to the body (a fifth of the throughput for a
-- 370 KB export on two cores). bench/run.py counts the answers by status in the server's
-- access log instead; book.lua, whose answers are small redirects, counts them here.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Filled by a response() function where a script defines one (book.lua).
statuses = {}

local function ms(microseconds)
  return microseconds / 1000.0
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(by_status) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "bytes": %d, ' ..
    '"p50_ms": %.3f, "p90_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(95)),
    ms(latency:percentile(99)), ms(latency.max), ms(latency.mean),
    e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
