-- wrk script: every request is a distinct, valid ingest (GET with a unique email), so each
-- 2xx is a new item durably stored (201 Created).
--
--   wrk -t1 -c32 -d10s --latency -s bench/ingest.lua http://127.0.0.1:PORT/ -- RUNTAG
--
-- RUNTAG (letters and digits) keeps emails distinct across several wrk runs against the same
-- store; without it a random tag is drawn. done() prints one line for scripts/bench.sh:
--   ingest-status: 2xx=N 201=N non2xx=N

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local tag = args[1]
  if tag == nil or tag == "" then
    math.randomseed(os.time() + tid * 7919)
    tag = string.format("r%d", math.random(1, 1e9))
  end
  prefix = string.format("%sw%d", tag, tid)
  counter = 0
  ok2xx = 0
  created = 0
  non2xx = 0
end

function request()
  counter = counter + 1
  local path = string.format("/?user_name=Load%%20Tester&email=%sn%d@example.com&pincode=%d",
                             prefix, counter, 1000 + counter % 900000)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
    if status == 201 then created = created + 1 end
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local a, c, n = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("ok2xx")
    c = c + thread:get("created")
    n = n + thread:get("non2xx")
  end
  io.write(string.format("ingest-status: 2xx=%d 201=%d non2xx=%d\n", a, c, n))
end
