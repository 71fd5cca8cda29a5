-- Workload (d): 90 % reads, 10 % writes, spread over the orgs of the token file.
--
-- Run with one connection per thread (-t N -c N). Thread t owns the orgs t, t+N, t+2N, … of the
-- file, so no two clients write to one org and each thread knows its orgs' clones exactly.
-- Reads: list (45 %) or get Administrator or Standard (45 %), of a random org of the thread.
-- Writes (10 %): update a clone's description (half of the writes, when the org has a clone) or
-- clone Standard; an org that already has BENCH_MAX_CLONES clones (default 5) gets its oldest
-- clone deleted instead of a new one, which keeps every org under its limit of 25 profiles.
--
-- Environment (besides common.lua's): BENCH_TOKENS, BENCH_ORG_OFFSET, BENCH_ORG_COUNT,
-- BENCH_THREADS, BENCH_TAG, BENCH_VERSION, BENCH_MAX_CLONES.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local orgs = {}
local base
local tag = os.getenv("BENCH_TAG") or "run"
local max_clones = tonumber(os.getenv("BENCH_MAX_CLONES") or "5")
local inflight = nil -- { op = …, org = …, id = … } of the request on the wire
local n = 0

init = function(args)
  local lines = bench_read_lines(os.getenv("BENCH_TOKENS"))
  local offset = tonumber(os.getenv("BENCH_ORG_OFFSET") or "0")
  local count = tonumber(os.getenv("BENCH_ORG_COUNT") or tostring(#lines - offset))
  local threads = os.getenv("BENCH_THREADS")
  assert(threads, "BENCH_THREADS is not set")
  threads = tonumber(threads)
  for i = bench_thread_id, count, threads do
    local org = bench_parse_org(assert(lines[offset + i], "not enough orgs in the token file"))
    org.headers = { ["Authorization"] = "Zoho-oauthtoken " .. org.token }
    org.clones = {}
    orgs[#orgs + 1] = org
  end
  assert(#orgs > 0, "thread " .. bench_thread_id .. " has no org")
  base = "/crm/" .. (os.getenv("BENCH_VERSION") or "v8") .. "/settings/profiles"
  math.randomseed(bench_thread_id * 7919 + os.time())
end

request = function()
  local org = orgs[math.random(#orgs)]
  local r = math.random()
  if r < 0.45 then
    inflight = { op = "list", org = org }
    bench_begin("list")
    return wrk.format("GET", base, org.headers)
  elseif r < 0.90 then
    inflight = { op = "get", org = org }
    bench_begin("get")
    local id = (math.random() < 0.5) and org.administrator or org.standard
    return wrk.format("GET", base .. "/" .. id, org.headers)
  end
  n = n + 1
  if #org.clones > 0 and math.random() < 0.5 then
    local id = org.clones[math.random(#org.clones)]
    inflight = { op = "update", org = org, id = id }
    bench_begin("update")
    local body = string.format(
      '{"profiles":[{"description":"bench/run update %s %d-%d"}]}', tag, bench_thread_id, n)
    return wrk.format("PUT", base .. "/" .. id, org.headers, body)
  elseif #org.clones >= max_clones then
    local id = org.clones[1]
    inflight = { op = "delete", org = org, id = id }
    bench_begin("delete")
    return wrk.format("DELETE", base .. "/" .. id .. "?transfer_to=" .. org.standard, org.headers)
  end
  inflight = { op = "clone", org = org }
  bench_begin("clone")
  local body = string.format(
    '{"profiles":[{"name":"Mix %s %d-%d","description":"bench/run clone"}]}',
    tag, bench_thread_id, n)
  return wrk.format("POST", base .. "/" .. org.standard .. "/actions/clone", org.headers, body)
end

response = function(status, headers, body)
  bench_answer(status)
  local done = inflight
  if not done then return end
  if done.op == "clone" and status == 201 then
    local id = body:match('"id":"(%d+)"')
    if id then table.insert(done.org.clones, id) end
  elseif done.op == "delete" then
    -- Deleted, or already gone: either way it is no longer a clone to use.
    for i, id in ipairs(done.org.clones) do
      if id == done.id then
        table.remove(done.org.clones, i)
        break
      end
    end
  end
end
