import { RedisScript } from '@margin/core';

/**
 * The fair queue's state in Redis, every key under one hash tag (`{fair}`) so that each script touches a
 * single Redis Cluster slot. Scripts build the per-job and per-tenant key names from ARGV[1] (this prefix):
 * the set of keys a dispatch touches depends on which tenant is next, which KEYS cannot say in advance.
 *
 *   items             HASH  itemId → "tenant|job|priority|attempts|reentries|spent": every item the queue holds,
 *                           in whichever state (ready, in flight, delayed); its presence de-duplicates
 *   ready:<job>       ZSET  the job's items not yet handed to Bull (score: hand-over order; re-entries first)
 *   jobs:<prio>:<t>   LIST  the tenant's jobs with ready items at that priority (served round-robin)
 *   ring:<prio>       LIST  tenants with ready items at that priority (served round-robin, weighted)
 *   ringset:<prio>    SET   the same tenants, for O(1) membership
 *   tenant:<t>        HASH  weight, cap (0: none), running (items in Bull), c:<prio> (credit used this turn),
 *                           new:<prio> (joined the line; its next item goes ahead)
 *   inflight          ZSET  itemId → when it was handed to Bull; its size is the lookahead in use
 *   delayed           ZSET  itemId → when it may run again (requeueLater)
 *   jobout            HASH  job → items the queue holds for it (the reconciler compares with Postgres)
 *   seq               HASH  job → last hand-over sequence number
 */
export const FAIR_PREFIX = 'margin:{fair}:';

/** Shared Lua: entry parsing, joining the rings, and the weighted round-robin dispatch into the lookahead. */
const LUA_COMMON = `
local P = ARGV[1]
local PRIOS = {'high', 'medium', 'low'}

local function split(e)
  local out = {}
  for part in string.gmatch(e, '([^|]*)|?') do
    out[#out + 1] = part
    if #out == 6 then break end
  end
  return out
end

-- The Bull job id of an entry: the attempt count keeps a retried item a new queue entry and a re-sent one
-- not; a delayed re-entry (requeueLater) is '<item>:wait<n>', never the id of the run it replaces.
local function bull_id(id, f)
  if f[5] == nil or f[5] == '' or f[5] == '0' then return id .. ':' .. f[4] end
  return id .. ':wait' .. f[5]
end

-- A tenant that had nothing ready joins at the head of the ring (like a new flow in fq_codel): its first
-- item goes next, whatever the others have queued. Tenants already waiting keep their turn.
local function join(t, job, prio)
  local jr = P .. 'jobs:' .. prio .. ':' .. t
  if not redis.call('LPOS', jr, job) then redis.call('RPUSH', jr, job) end
  if redis.call('SADD', P .. 'ringset:' .. prio, t) == 1 then
    redis.call('LPUSH', P .. 'ring:' .. prio, t)
    redis.call('HSET', P .. 'tenant:' .. t, 'c:' .. prio, 0, 'new:' .. prio, 1)
  end
end

local function leave_ring(ring, t, prio)
  redis.call('LPOP', ring)
  redis.call('SREM', P .. 'ringset:' .. prio, t)
  redis.call('HDEL', P .. 'tenant:' .. t, 'c:' .. prio, 'new:' .. prio)
end

-- The next ready item of tenant t at prio (its jobs round-robin); nil when it has none.
local function take(t, prio)
  local jr = P .. 'jobs:' .. prio .. ':' .. t
  while redis.call('LLEN', jr) > 0 do
    local job = redis.call('LINDEX', jr, 0)
    local ready = P .. 'ready:' .. job
    local popped = redis.call('ZPOPMIN', ready)
    if #popped == 0 then
      redis.call('LPOP', jr)
    else
      if redis.call('ZCARD', ready) == 0 then
        redis.call('LPOP', jr)
        redis.call('HDEL', P .. 'seq', job)
      else
        redis.call('LMOVE', jr, jr, 'LEFT', 'RIGHT')
      end
      return popped[1], redis.call('LLEN', jr) > 0
    end
  end
  return nil, false
end

-- Re-entries whose delay is over go back to their job's ready set, ahead of its other items.
local function promote(now)
  local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, 500)
  for _, id in ipairs(due) do
    redis.call('ZREM', P .. 'delayed', id)
    local e = redis.call('HGET', P .. 'items', id)
    if e then
      local f = split(e)
      redis.call('ZADD', P .. 'ready:' .. f[2], now - 1e13, id)
      join(f[1], f[2], f[3])
    end
  end
end

-- Hands up to max items to Bull while fewer than lookahead are there: priorities strictly in order; within
-- one, tenants round-robin, each taking up to its weight in a row, skipping those at their cap.
-- The first item of a tenant that joined the line is marked 'ahead': it also goes before the few items of its
-- priority already waiting in Bull (the lookahead's buffer), so that it starts at the next free model slot.
-- Returns {itemId, bullId, tenant, job, prio, ahead, spent, ...}.
local function dispatch(lookahead, now, max)
  local free = lookahead - redis.call('ZCARD', P .. 'inflight')
  if free > max then free = max end
  local out = {}
  while free > 0 do
    local got = false
    for _, prio in ipairs(PRIOS) do
      local ring = P .. 'ring:' .. prio
      local n = redis.call('LLEN', ring)
      local tries = 0
      while tries < n do
        local t = redis.call('LINDEX', ring, 0)
        local th = P .. 'tenant:' .. t
        local cap = tonumber(redis.call('HGET', th, 'cap')) or 0
        local running = tonumber(redis.call('HGET', th, 'running')) or 0
        if cap > 0 and running >= cap then
          redis.call('LMOVE', ring, ring, 'LEFT', 'RIGHT')
          tries = tries + 1
        else
          local id, more = take(t, prio)
          if id == nil then
            leave_ring(ring, t, prio)
            n = n - 1
          else
            local e = redis.call('HGET', P .. 'items', id)
            if e then
              local f = split(e)
              redis.call('ZADD', P .. 'inflight', now, id)
              redis.call('HINCRBY', th, 'running', 1)
              out[#out + 1] = id
              out[#out + 1] = bull_id(id, f)
              out[#out + 1] = f[1]
              out[#out + 1] = f[2]
              out[#out + 1] = f[3]
              out[#out + 1] = redis.call('HDEL', th, 'new:' .. prio)
              out[#out + 1] = tonumber(f[6]) or 0
              got = true
            end
            if not more then
              leave_ring(ring, t, prio)
            else
              local used = redis.call('HINCRBY', th, 'c:' .. prio, 1)
              local weight = tonumber(redis.call('HGET', th, 'weight')) or 1
              if used >= weight then
                redis.call('HSET', th, 'c:' .. prio, 0)
                redis.call('LMOVE', ring, ring, 'LEFT', 'RIGHT')
              end
            end
            if got then break end
          end
        end
      end
      if got then break end
    end
    if not got then break end
    free = free - 1
  end
  return out
end

local function forget(id, f)
  redis.call('HDEL', P .. 'items', id)
  local left = redis.call('HINCRBY', P .. 'jobout', f[2], -1)
  if left <= 0 then redis.call('HDEL', P .. 'jobout', f[2]) end
end
`;

/**
 * ARGV: prefix, tenant, job, priority, weight, cap, lookahead, now, max, then itemId, attempts pairs.
 * Adds the items not held already (in any state), sets the tenant's weight and cap, then dispatches.
 * Returns {added, dispatched...}.
 */
export const ADD_SCRIPT = new RedisScript(
  `${LUA_COMMON}
local t, job, prio = ARGV[2], ARGV[3], ARGV[4]
redis.call('HSET', P .. 'tenant:' .. t, 'weight', ARGV[5], 'cap', ARGV[6])
local added = 0
local seq = tonumber(redis.call('HGET', P .. 'seq', job)) or 0
for i = 10, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HSETNX', P .. 'items', id, t .. '|' .. job .. '|' .. prio .. '|' .. ARGV[i + 1] .. '|0|0') == 1 then
    seq = seq + 1
    redis.call('ZADD', P .. 'ready:' .. job, seq, id)
    added = added + 1
  end
end
if added > 0 then
  redis.call('HSET', P .. 'seq', job, seq)
  redis.call('HINCRBY', P .. 'jobout', job, added)
  join(t, job, prio)
end
local out = dispatch(tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]))
table.insert(out, 1, added)
return out
`,
  { keys: 0 },
);

/**
 * ARGV: prefix, lookahead, now, max, then itemId, bullId pairs of finished deliveries. Releases the in-flight
 * entries that are still this delivery's (a stale or replayed delivery releases nothing), promotes due
 * re-entries, then dispatches. Returns {released, dispatched...}.
 */
export const PUMP_SCRIPT = new RedisScript(
  `${LUA_COMMON}
local released = 0
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local e = redis.call('HGET', P .. 'items', id)
  if e and redis.call('ZSCORE', P .. 'inflight', id) then
    local f = split(e)
    if bull_id(id, f) == ARGV[i + 1] then
      redis.call('ZREM', P .. 'inflight', id)
      local th = P .. 'tenant:' .. f[1]
      if tonumber(redis.call('HINCRBY', th, 'running', -1)) < 0 then redis.call('HSET', th, 'running', 0) end
      forget(id, f)
      released = released + 1
    end
  end
end
local now = tonumber(ARGV[3])
promote(now)
local out = dispatch(tonumber(ARGV[2]), now, tonumber(ARGV[4]))
table.insert(out, 1, released)
return out
`,
  { keys: 0 },
);

/**
 * ARGV: prefix, tenant, job, priority, itemId, attempts, dueAt, waits, spentAttempts. The item leaves Bull's
 * lookahead (its current delivery completes without releasing anything) and waits in `delayed` until dueAt,
 * then re-enters its job's ready set first in line as '<item>:wait<waits>' (waits 0: one more than it had),
 * carrying the attempts it spent. Returns 1 when it was already held, 0 when it was new.
 */
export const LATER_SCRIPT = new RedisScript(
  `${LUA_COMMON}
local t, job, prio, id, attempts = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local e = redis.call('HGET', P .. 'items', id)
local reentries = 1
local known = 0
if e then
  known = 1
  local f = split(e)
  reentries = (tonumber(f[5]) or 0) + 1
  if redis.call('ZREM', P .. 'inflight', id) == 1 then
    local th = P .. 'tenant:' .. f[1]
    if tonumber(redis.call('HINCRBY', th, 'running', -1)) < 0 then redis.call('HSET', th, 'running', 0) end
  end
  redis.call('ZREM', P .. 'ready:' .. f[2], id)
else
  redis.call('HINCRBY', P .. 'jobout', job, 1)
end
if (tonumber(ARGV[8]) or 0) > 0 then reentries = tonumber(ARGV[8]) end
redis.call('HSET', P .. 'items', id, t .. '|' .. job .. '|' .. prio .. '|' .. attempts .. '|' .. reentries .. '|' .. (tonumber(ARGV[9]) or 0))
redis.call('ZADD', P .. 'delayed', tonumber(ARGV[7]), id)
return known
`,
  { keys: 0 },
);

/** ARGV: prefix, job. Forgets the job's ready items (a cancelled job); in-flight ones finish as cancelled. Returns how many. */
export const DROP_SCRIPT = new RedisScript(
  `${LUA_COMMON}
local job = ARGV[2]
local ids = redis.call('ZRANGE', P .. 'ready:' .. job, 0, -1)
for _, id in ipairs(ids) do
  local e = redis.call('HGET', P .. 'items', id)
  if e then forget(id, split(e)) end
end
redis.call('DEL', P .. 'ready:' .. job)
redis.call('HDEL', P .. 'seq', job)
return #ids
`,
  { keys: 0 },
);

/**
 * ARGV: prefix, staleBefore, now, limit. In-flight entries handed to Bull before staleBefore, their score
 * moved to now (each is looked at once per sweep). Returns {itemId, bullId, tenant, job, prio, 0, spent, ...}.
 */
export const STALE_SCRIPT = new RedisScript(
  `${LUA_COMMON}
local ids = redis.call('ZRANGEBYSCORE', P .. 'inflight', '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, id in ipairs(ids) do
  local e = redis.call('HGET', P .. 'items', id)
  if e then
    local f = split(e)
    redis.call('ZADD', P .. 'inflight', 'XX', tonumber(ARGV[3]), id)
    out[#out + 1] = id
    out[#out + 1] = bull_id(id, f)
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = f[3]
    out[#out + 1] = 0
    out[#out + 1] = tonumber(f[6]) or 0
  else
    redis.call('ZREM', P .. 'inflight', id)
  end
end
return out
`,
  { keys: 0 },
);
