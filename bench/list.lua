-- wrk script: list pages (GET /?limit=100[&cursor=C]) from a file of request paths, one a line
-- (collected beforehand by scripts/bench.sh by walking the store), picked at random.
--
--   wrk -t1 -c1 -d10s --latency -s bench/list.lua http://127.0.0.1:PORT/ -- PATHS_FILE
--
-- done() prints: list-status: 2xx=N non2xx=N paths=N

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then table.insert(paths, line) end
  end
  if #paths == 0 then table.insert(paths, "/?limit=100") end
  math.randomseed(os.time())
  ok2xx = 0
  non2xx = 0
  npaths = #paths
end

function request()
  return wrk.format("GET", paths[math.random(1, #paths)])
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok2xx = ok2xx + 1 else non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local a, n, p = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("ok2xx")
    n = n + thread:get("non2xx")
    p = thread:get("npaths")
  end
  io.write(string.format("list-status: 2xx=%d non2xx=%d paths=%d\n", a, n, p))
end
