-- Shared by every wrk script of bench/run (loaded with dofile; wrk runs one Lua state per
-- thread plus one for setup and done).
--
-- Counts answers by status (non-2xx are errors), times operations where a script names them
-- (exact only with one connection per thread, which is how the scripts that name them run),
-- and at the end writes one JSON summary to $BENCH_OUT, with the server's peak memory read from
-- /proc/$BENCH_PID/status.
--
-- Environment: BENCH_OUT (required), BENCH_PID, BENCH_SIDE, BENCH_WORKLOAD, BENCH_CONNECTIONS.

local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]])
local timespec = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

function bench_now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Per thread: answers by status, and per named operation its count, successes and latencies
-- (ms, in the global array bench_lat_<name>).
bench_statuses = {}
bench_op_count = {}
bench_op_ok = {}
bench_thread_id = 0

-- done() reads a thread's figures with thread:get("bench_dump"), which wrk answers by reading
-- that global in the thread's state; _G's __index makes it the text below. Only a string
-- crosses: wrk 4.1 corrupts the thread's Lua stack when thread:get copies a table (it pops the
-- table twice), which crashed wrk at random at the end of a run.
local function bench_dump()
  local lines = {}
  for status, n in pairs(bench_statuses) do
    lines[#lines + 1] = string.format("s %s %d", status, n)
  end
  for name, count in pairs(bench_op_count) do
    local lat, parts = _G["bench_lat_" .. name] or {}, {}
    for i, ms in ipairs(lat) do parts[i] = string.format("%.3f", ms) end
    lines[#lines + 1] = string.format("o %s %d %d %s", name, count, bench_op_ok[name] or 0,
      table.concat(parts, ","))
  end
  return table.concat(lines, "\n")
end
setmetatable(_G, {
  __index = function(_, key)
    if key == "bench_dump" then return bench_dump() end
  end,
})

local op_name, op_started = nil, 0

-- Marks the request being built as operation `name` (call from request()).
function bench_begin(name)
  op_name, op_started = name, bench_now_ms()
end

-- Records an answer (call from response()); returns the operation it answered.
function bench_answer(status)
  local key = tostring(status)
  bench_statuses[key] = (bench_statuses[key] or 0) + 1
  local name = op_name
  if name then
    bench_op_count[name] = (bench_op_count[name] or 0) + 1
    if status >= 200 and status < 300 then bench_op_ok[name] = (bench_op_ok[name] or 0) + 1 end
    local lat = _G["bench_lat_" .. name]
    if not lat then
      lat = {}
      _G["bench_lat_" .. name] = lat
    end
    lat[#lat + 1] = bench_now_ms() - op_started
  end
  return name
end

-- Default hook: count statuses only.
response = function(status, headers, body)
  bench_answer(status)
end

-- Main state: number the threads (1-based) and keep them for done().
local threads = {}
setup = function(thread)
  threads[#threads + 1] = thread
  thread:set("bench_thread_id", #threads)
end

function bench_read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  file:close()
  return lines
end

-- "token org_id administrator_id standard_id" -> table
function bench_parse_org(line)
  local token, org, admin, standard = line:match("^(%S+)%s+(%d+)%s+(%d+)%s+(%d+)")
  assert(token, "bad token line: " .. line)
  return { token = token, org = org, administrator = admin, standard = standard }
end

local function encode(value)
  local kind = type(value)
  if kind == "nil" then return "null" end
  if kind == "boolean" then return tostring(value) end
  if kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then return "null" end
    if value == math.floor(value) and math.abs(value) < 1e15 then
      return string.format("%d", value)
    end
    return string.format("%.4f", value)
  end
  if kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  -- A table: an array when it has [1] or is empty and marked, an object otherwise.
  local parts = {}
  if value[1] ~= nil then
    for _, item in ipairs(value) do parts[#parts + 1] = encode(item) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for key in pairs(value) do keys[#keys + 1] = tostring(key) end
  table.sort(keys)
  for _, key in ipairs(keys) do
    parts[#parts + 1] = encode(key) .. ":" .. encode(value[key])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

local function percentile(sorted, p)
  if #sorted == 0 then return nil end
  local rank = math.ceil(p / 100 * #sorted)
  if rank < 1 then rank = 1 end
  return sorted[rank]
end

local function peak_memory_kb()
  local pid = os.getenv("BENCH_PID")
  if not pid or pid == "" then return nil end
  local file = io.open("/proc/" .. pid .. "/status", "r")
  if not file then return nil end
  local text = file:read("*a")
  file:close()
  local kb = text:match("VmHWM:%s*(%d+)")
  return kb and tonumber(kb) or nil
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local statuses, ops = {}, {}
  for _, thread in ipairs(threads) do
    for line in (thread:get("bench_dump") or ""):gmatch("[^\n]+") do
      local kind, name, a, b, lat = line:match("^(%a) (%S+) (%d+) ?(%d*) ?(.*)$")
      if kind == "s" then
        statuses[name] = (statuses[name] or 0) + tonumber(a)
      elseif kind == "o" then
        local all = ops[name]
        if not all then
          all = { count = 0, ok = 0, lat = {} }
          ops[name] = all
        end
        all.count = all.count + tonumber(a)
        all.ok = all.ok + tonumber(b)
        for ms in lat:gmatch("[^,]+") do all.lat[#all.lat + 1] = tonumber(ms) end
      end
    end
  end
  local non_2xx = 0
  for status, n in pairs(statuses) do
    local code = tonumber(status)
    if code < 200 or code >= 300 then non_2xx = non_2xx + n end
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local ops_out = {}
  for name, op in pairs(ops) do
    table.sort(op.lat)
    ops_out[name] = {
      count = op.count,
      ok = op.ok,
      ok_per_s = op.ok / seconds,
      p50_ms = percentile(op.lat, 50),
      p99_ms = percentile(op.lat, 99),
      max_ms = op.lat[#op.lat],
    }
  end
  local ms = function(us) return us / 1000 end
  local out = {
    side = os.getenv("BENCH_SIDE"),
    workload = os.getenv("BENCH_WORKLOAD"),
    threads = #threads,
    connections = tonumber(os.getenv("BENCH_CONNECTIONS") or ""),
    duration_s = seconds,
    requests = summary.requests,
    requests_per_s = summary.requests / seconds,
    bytes = summary.bytes,
    latency_ms = {
      p50 = ms(latency:percentile(50)),
      p90 = ms(latency:percentile(90)),
      p99 = ms(latency:percentile(99)),
      mean = ms(latency.mean),
      max = ms(latency.max),
    },
    statuses = statuses,
    non_2xx = non_2xx,
    socket_errors = { connect = e.connect, read = e.read, write = e.write, timeout = e.timeout },
    errors = non_2xx + socket_errors,
    peak_memory_kb = peak_memory_kb(),
    ops = ops_out,
  }
  local path = assert(os.getenv("BENCH_OUT"), "BENCH_OUT is not set")
  local file = assert(io.open(path, "w"))
  file:write(encode(out), "\n")
  file:close()
end
