-- Workload (c): clone Standard, then delete the clone with ?transfer_to=<Standard>, in a loop.
-- Run with one connection per thread (-t N -c N): each thread is one client working in an org
-- of its own (an org holds at most 25 profiles), so its clone and delete strictly alternate.
--
-- Environment (besides common.lua's): BENCH_TOKENS, the token file of bench-tools seed;
-- BENCH_ORG_OFFSET, how many of its lines to skip; BENCH_TAG, a word that keeps clone names of
-- different runs apart; BENCH_VERSION, the API version in paths (v8).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local org, headers, base
local tag = os.getenv("BENCH_TAG") or "run"
local clone_of = nil -- id of the clone to delete next, if any
local n = 0

init = function(args)
  local lines = bench_read_lines(os.getenv("BENCH_TOKENS"))
  local offset = tonumber(os.getenv("BENCH_ORG_OFFSET") or "0")
  local line = lines[offset + bench_thread_id]
  assert(line, "not enough orgs in the token file for thread " .. bench_thread_id)
  org = bench_parse_org(line)
  headers = { ["Authorization"] = "Zoho-oauthtoken " .. org.token }
  base = "/crm/" .. (os.getenv("BENCH_VERSION") or "v8") .. "/settings/profiles/"
end

request = function()
  if clone_of then
    bench_begin("delete")
    return wrk.format("DELETE", base .. clone_of .. "?transfer_to=" .. org.standard, headers)
  end
  n = n + 1
  bench_begin("clone")
  local body = string.format(
    '{"profiles":[{"name":"Bench %s %d-%d","description":"bench/run clone"}]}',
    tag, bench_thread_id, n)
  return wrk.format("POST", base .. org.standard .. "/actions/clone", headers, body)
end

response = function(status, headers, body)
  local op = bench_answer(status)
  if op == "clone" then
    if status == 201 then clone_of = body:match('"id":"(%d+)"') end
  elseif op == "delete" then
    -- Whatever the answer, move on to the next clone; a failure is counted as an error.
    clone_of = nil
  end
end
