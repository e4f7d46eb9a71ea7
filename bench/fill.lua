-- wrk script: fills a store with distinct, valid ingests until each thread has had QUOTA of
-- them acknowledged with 2xx, then writes MARKDIR/done-<thread> and only asks GET /healthz
-- until wrk is stopped (scripts/bench.sh sends SIGINT once every thread's marker exists).
--
--   wrk -t2 -c64 -d600s -s bench/fill.lua http://127.0.0.1:PORT/ -- RUNTAG QUOTA MARKDIR
--
-- done() prints: fill-status: 2xx=N 201=N non2xx=N

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("%sw%d", args[1] or "fill", tid)
  quota = tonumber(args[2] or "0")
  markdir = args[3]
  counter = 0
  ok2xx = 0
  created = 0
  non2xx = 0
  finished = false
end

function request()
  if finished then return wrk.format("GET", "/healthz") end
  counter = counter + 1
  local path = string.format("/?user_name=Fill%%20Tester&email=%sn%d@example.com&pincode=%d",
                             prefix, counter, 1000 + counter % 900000)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if finished then return end
  if status >= 200 and status < 300 then
    ok2xx = ok2xx + 1
    if status == 201 then created = created + 1 end
  else
    non2xx = non2xx + 1
  end
  if ok2xx >= quota then
    finished = true
    local f = io.open(string.format("%s/done-%d", markdir, tid), "w")
    if f then
      f:write(tostring(ok2xx))
      f:close()
    end
  end
end

function done(summary, latency, requests)
  local a, c, n = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("ok2xx")
    c = c + thread:get("created")
    n = n + thread:get("non2xx")
  end
  io.write(string.format("fill-status: 2xx=%d 201=%d non2xx=%d\n", a, c, n))
end
