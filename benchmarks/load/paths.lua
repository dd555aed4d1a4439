-- wrk script: GET paths read from the file named in WRK_PATHS (one per line), in turn, with optional
-- an extra header from WRK_HEADER ("Name: value"); prints one JSON line of figures at the end
-- (http_errors: responses with a status of 400 or more).
local paths = {}
local header_name, header_value

init = function(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  local header = os.getenv("WRK_HEADER")
  if header and #header > 0 then
    header_name, header_value = header:match("^([^:]+):%s*(.*)$")
  end
  counter = math.random(#paths)
end

request = function()
  counter = counter % #paths + 1
  local headers = {}
  if header_name then headers[header_name] = header_value end
  return wrk.format("GET", paths[counter], headers)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "http_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors.connect, errors.read, errors.write, errors.timeout, summary.errors.status))
end
