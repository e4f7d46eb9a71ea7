-- wrk script: every request is a distinct, valid ingest (GET with a unique email).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("w%dr%d", tid, math.random(1, 1e9))
end

function request()
  counter = counter + 1
  local path = string.format("/?user_name=Load%%20Tester&email=%sn%d@example.com&pincode=%d",
                             prefix, counter, 1000 + counter % 900000)
  return wrk.format("GET", path)
end
