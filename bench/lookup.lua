-- wrk script: look residents up by ID number over the API.
-- Usage: TOKEN=... IDS=ids.txt wrk -t2 -c64 -d20s -s bench/lookup.lua http://127.0.0.1:8080
local ids = {}
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("IDS") or "ids.txt") do ids[#ids + 1] = line end
local i = 0
request = function()
  i = i + 1
  local id = ids[(i * 7919) % #ids + 1]
  return wrk.format("GET", "/api/v1/residents?id_number=" .. id, { ["Authorization"] = "Bearer " .. token })
end
