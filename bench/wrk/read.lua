-- Workloads (a), (b) and (f): one fixed GET (URL and Authorization header from wrk's command
-- line), answers counted by status.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
