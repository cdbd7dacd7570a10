-- wrk script for the benchmark (scripts/bench/): realistic alert traffic through the gateway.
-- BENCH_MODE: noop | prototype | single | batch | alertmanager; BENCH_KEYS: file with one routing key per line;
-- BENCH_BATCH: alerts per request for batch modes. About 30 % of alerts repeat a fingerprint (duplicates),
-- the rest are new alerts that correlate, or open incidents once the correlation window has passed.
local keys = {}
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local mode = os.getenv("BENCH_MODE") or "single"
local batch = tonumber(os.getenv("BENCH_BATCH") or "100")
local severities = {"critical", "high", "warning", "info"}
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  math.randomseed(os.time() + (tid or 0) * 7919)
end

local function fingerprint()
  counter = counter + 1
  if math.random() < 0.3 then return "dup-" .. math.random(1, 20) end
  return "u-" .. (tid or 0) .. "-" .. counter .. "-" .. math.random(1, 1000000000)
end

local function alert()
  return string.format(
    '{"severity":"%s","summary":"bench alert %d","fingerprint":"%s","source":"bench",' ..
    '"labels":{"alertname":"Bench%d","instance":"10.0.0.%d:9100"}}',
    severities[math.random(1, 4)], counter, fingerprint(), math.random(1, 10), math.random(1, 250))
end

local function am_alert()
  return string.format(
    '{"status":"firing","labels":{"alertname":"Bench%d","severity":"%s","job":"bench"},' ..
    '"annotations":{"summary":"bench alert"},"startsAt":"2026-11-25T10:00:00Z",' ..
    '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","fingerprint":"%s"}',
    math.random(1, 10), severities[math.random(1, 4)], fingerprint())
end

local function many(make)
  local items = {}
  for i = 1, batch do items[i] = make() end
  return table.concat(items, ",")
end

request = function()
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. keys[math.random(1, #keys)]}
  if mode == "noop" then
    return wrk.format("POST", "/api/v1/alerts/_noop", headers, alert())  -- noop_replica.py's route
  elseif mode == "prototype" then
    return wrk.format("POST", "/bench-prototype/alerts", headers, alert())
  elseif mode == "batch" then
    return wrk.format("POST", "/api/v1/alerts/batch", headers, '{"alerts":[' .. many(alert) .. ']}')
  elseif mode == "alertmanager" then
    local body = '{"version":"4","status":"firing","receiver":"oncall","groupKey":"{}:{}",' ..
                 '"truncatedAlerts":0,"alerts":[' .. many(am_alert) .. ']}'
    return wrk.format("POST", "/api/v1/integrations/alertmanager", headers, body)
  end
  return wrk.format("POST", "/api/v1/alerts", headers, alert())
end
