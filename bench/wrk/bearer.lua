-- wrk script: every request carries the bearer token in BENCH_TOKEN (none when unset).
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
wrk.headers["Accept"] = "application/json"

-- done(): the figures as one JSON line, from report.lua beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")
