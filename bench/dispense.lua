-- wrk script: dispense written prescriptions over the API, each once, in the order of the file.
-- Usage: TOKEN=... IDS=/tmp/rx-ids.txt wrk -t1 -c16 -d5s --latency -s bench/dispense.lua http://127.0.0.1:18083
-- (one thread: the ids are handed out by one counter; prepare them with bench/dispense_prepare.py).
local token = os.getenv("TOKEN")
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local next_id = 0
request = function()
  next_id = next_id + 1
  local id = ids[next_id] or "exhausted"
  return wrk.format("POST", "/api/v1/prescriptions/" .. id .. "/dispense",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, "{}")
end
