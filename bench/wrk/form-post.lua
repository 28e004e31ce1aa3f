-- wrk script for one-time grants (authorization codes, rotating refresh tokens):
-- every request POSTs the next form body listed one a line in BENCH_BODIES_FILE,
-- with the client's Authorization header from BENCH_AUTH. Past the end of the
-- list the last body is sent again and fails, counted as a non-2xx answer.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES_FILE")) do bodies[#bodies + 1] = line end
local headers = { ["Authorization"] = os.getenv("BENCH_AUTH"), ["Content-Type"] = "application/x-www-form-urlencoded" }
local next_index = 0

request = function()
  next_index = math.min(next_index + 1, #bodies)
  return wrk.format("POST", nil, headers, bodies[next_index])
end

-- done(): the figures as one JSON line, from report.lua beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
