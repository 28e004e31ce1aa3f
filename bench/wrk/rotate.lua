-- wrk script for token churn: every request carries the next of the tokens
-- listed one a line in BENCH_TOKENS_FILE, so each is seen fresh until the list wraps.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do tokens[#tokens + 1] = line end
local next_index = 0

request = function()
  next_index = next_index % #tokens + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[next_index], ["Accept"] = "application/json" })
end

-- done(): the figures as one JSON line, from report.lua beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
