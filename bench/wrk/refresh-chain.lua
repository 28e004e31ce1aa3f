-- wrk script for rotating refresh tokens: BENCH_BODIES_FILE lists one form body
-- per session (grant_type=refresh_token&refresh_token=...); each answer's new
-- refresh token is queued and sent by the next request, so every session is a
-- chain of refreshes. A failed answer ends its chain; with no token left the
-- last body is sent again and fails, counted as a non-2xx answer.
local queue = {}
for line in io.lines(os.getenv("BENCH_BODIES_FILE")) do queue[#queue + 1] = line end
local headers = { ["Authorization"] = os.getenv("BENCH_AUTH"), ["Content-Type"] = "application/x-www-form-urlencoded" }
local last = queue[1]

request = function()
  if #queue > 0 then last = table.remove(queue, 1) end
  return wrk.format("POST", nil, headers, last)
end

response = function(status, headers, body)
  local token = status == 200 and string.match(body, '"refresh_token"%s*:%s*"([^"]+)"')
  if token then
    local encoded = string.gsub(token, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end)
    queue[#queue + 1] = "grant_type=refresh_token&refresh_token=" .. encoded
  end
end

-- done(): the figures as one JSON line, from report.lua beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
