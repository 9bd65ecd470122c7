-- wrk script: delegates book a seat and cancel it again, alternately, so capacity never ends
-- the test. `wrk -s bench/lua/book.lua URL -- SLOTS_FILE THREADS USER_AGENT`; each line of SLOTS_FILE is
--   cookie <TAB> csrf token <TAB> book path <TAB> cancel path
-- (one delegate, logged in, and the session they book). Each wrk thread takes every THREADS-th
-- line, so no two threads ever act for the same delegate, and one thread sends a delegate's
-- next request only after going round all its other delegates.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function response(status, headers, body)
  local key = tostring(status)
  -- A redirect to the log-in page means the session cookie was refused: count it apart.
  local location = headers["Location"] or headers["location"]
  if location and location:find("/account/login", 1, true) then
    key = "login"
  end
  statuses[key] = (statuses[key] or 0) + 1
end

local slots = {}
local index = 0
local user_agent = "wrk"

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  user_agent = args[3] or user_agent
  local line_no = 0
  for line in io.lines(path) do
    if line_no % nthreads == tid then
      local cookie, token, book, cancel = line:match("^(.-)\t(.-)\t(.-)\t(.-)$")
      table.insert(slots, {cookie = cookie, body = "csrf_token=" .. token, book = book, cancel = cancel,
                           booked = false})
    end
    line_no = line_no + 1
  end
  if #slots == 0 then
    error("no delegates for thread " .. tid)
  end
end

function request()
  index = index % #slots + 1
  local slot = slots[index]
  local path = slot.booked and slot.cancel or slot.book
  slot.booked = not slot.booked
  return wrk.format("POST", path, {
    ["Cookie"] = slot.cookie,
    ["User-Agent"] = user_agent,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, slot.body)
end
