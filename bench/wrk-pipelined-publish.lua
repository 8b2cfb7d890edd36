-- wrk script: each connection sends DEPTH POST /publish requests in one write (HTTP/1.1 pipelining)
-- and sends the next DEPTH when all their answers are in. wrk counts answers and non-2xx statuses.
--   DEPTH=256 BODY_BYTES=100 TOPIC=bench wrk -t1 -c1 -d10s -s bench/wrk-pipelined-publish.lua http://127.0.0.1:8080
local depth = tonumber(os.getenv("DEPTH") or "256")
local body = string.rep("x", tonumber(os.getenv("BODY_BYTES") or "100"))
local path = "/publish?topic=" .. (os.getenv("TOPIC") or "bench")
local batch

init = function(args)
    local requests = {}
    for i = 1, depth do
        requests[i] = wrk.format("POST", path, { ["Content-Type"] = "text/plain" }, body)
    end
    batch = table.concat(requests)
end

request = function()
    return batch
end
