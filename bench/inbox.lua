-- wrk script: the first page of an institution's referral inbox (with its total) over the API.
-- Usage: TOKEN=... wrk -t1 -c16 -d15s --latency -s bench/inbox.lua http://127.0.0.1:18082
local token = os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/referrals?box=in&limit=50", { ["Authorization"] = "Bearer " .. token })
end
