// The Lua scripts behind every Redis write: each runs atomically, in one hash slot, and reads before it writes.
import { createHash } from '../../crypto/node-crypto.ts'
import { TAG_LENGTH } from '../../crypto/token.ts'

/** A script and its SHA-1, for EVALSHA with an EVAL fallback on NOSCRIPT. */
export interface Script {
  readonly name: string
  readonly source: string
  readonly sha: string
}

/*
 * Shared helpers. ARGV[1] is the key prefix; ARGV[2] is '1' on Redis Cluster, where a script may only touch keys
 * in its own slot: sessions whose tag differs from the index's tag are then returned to the caller instead.
 * Expiry scores use Redis's own clock (TIME) and are compared only with it, never with the manager's clock.
 * Every read that may meet a key of the wrong type uses pcall, so an error can never stop a script half-way.
 */
const PRELUDE = `
local prefix, strict = ARGV[1], ARGV[2] == '1'
local function tagOf(id) return string.sub(id, 1, ${TAG_LENGTH}) end
local function keyOf(id) return prefix .. '{' .. tagOf(id) .. '}' .. string.sub(id, ${TAG_LENGTH + 1}) end
local function indexOf(tag, user) return prefix .. '{' .. tag .. '}u:' .. user end
local function here(id, tag) return not strict or tagOf(id) == tag end
local function fmt(n) return string.format('%.0f', n) end
local function nowMs() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
local function hset(key, list, first, last)
  for i = first, last, 1000 do redis.call('HSET', key, unpack(list, i, math.min(i + 999, last))) end
end
-- Drops a session from its user's index when that index is reachable; returns the user id when it is not.
local function unindex(key, id)
  local got = redis.pcall('HMGET', key, 'u', 't')
  if got.err or not got[1] then return false end
  local tag = got[2] or tagOf(id)
  if strict and tag ~= tagOf(id) then return got[1] end
  redis.call('ZREM', indexOf(tag, got[1]), id)
  return false
end
-- Leaves a tombstone under a replaced id: version 0, no user, no data (see src/stores/tombstone.ts).
local function tombstone(key, ttl, at)
  if ttl == nil or ttl == '' then return end
  redis.call('HSET', key, 'c', at, 'l', '0', 'e', ttl, 'v', '0')
  redis.call('PEXPIRE', key, ttl)
end
-- Removes index entries whose session is gone and refreshes the scores of the live ones from their TTL.
-- Only entries already past their score are examined, unless full is true.
local function prune(idx, now, full, tag)
  local list
  if full then list = redis.call('ZRANGE', idx, 0, -1, 'WITHSCORES')
  else list = redis.call('ZRANGE', idx, '-inf', fmt(now), 'BYSCORE', 'WITHSCORES') end
  for i = 1, #list, 2 do
    local m = list[i]
    if here(m, tag) then
      local left = redis.call('PTTL', keyOf(m))
      if left == -2 then redis.call('ZREM', idx, m)
      elseif left > 0 then redis.call('ZADD', idx, fmt(now + left), m) end
    elseif tonumber(list[i + 1]) <= now then
      redis.call('ZREM', idx, m)
    end
  end
end
`

/**
 * Patch: KEYS session; ARGV ttl, expectVersion|'', lastSeenAt|'', dataVersion|'', n, n field/value pairs, fields to
 * delete. 0 missing, 1 ok, 2 conflict (another version; or another data version, the `d` field, absent for 1: a
 * higher one always, a lower one unless the patch compares and swaps, which raises it; src/stores/data-version.ts).
 * Neither the last-seen time nor the TTL ever goes down: a request that loaded the session before another one
 * touched it sends an older view of both. One HMGET reads what the checks need and one HSET writes the data, the
 * version, and the last-seen time and data version when they move (each command a script runs costs Redis CPU).
 */
const PATCH = `
local key = KEYS[1]
local got = redis.pcall('HMGET', key, 'c', 'v', 'd', 'l')
if got.err then return 0 end
local base, version = tonumber(got[1]), got[2]
if not base or type(version) ~= 'string' or not tonumber(version) or version == '0' then return 0 end
if ARGV[4] ~= '' and version ~= ARGV[4] then return 2 end
local n = tonumber(ARGV[7])
local fields = {}
for i = 8, 7 + 2 * n do fields[#fields + 1] = ARGV[i] end
if ARGV[6] ~= '' then
  local stored, wanted = tonumber(got[3] or '1') or 1, tonumber(ARGV[6])
  if stored > wanted or (stored < wanted and ARGV[4] == '') then return 2 end
  if stored < wanted then table.insert(fields, 'd'); table.insert(fields, ARGV[6]) end
end
if ARGV[5] ~= '' then
  local touched, seen = tonumber(ARGV[5]) - base, tonumber(got[4])
  if not seen or touched > seen then table.insert(fields, 'l'); table.insert(fields, fmt(touched)) end
end
table.insert(fields, 'v')
table.insert(fields, fmt(tonumber(version) + 1))
hset(key, fields, 1, #fields)
for i = 8 + 2 * n, #ARGV, 1000 do redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, #ARGV))) end
local left = redis.call('PTTL', key)
if left < 0 or left < tonumber(ARGV[3]) then redis.call('PEXPIRE', key, ARGV[3]) end
return 1
`

/**
 * Create: KEYS [session] [index] [replaced session], present as flagged by ARGV[3] ('1'/'0' x3);
 * ARGV id, ttl, index ttl, maxPerUser|'', replaced id|'', index tag, tombstone ttl|'', tombstone time, fields...
 * Returns { evicted ids, evicted ids in other slots (caller deletes), user whose index missed the replaced id | '' }.
 */
const CREATE = `
local flags, id, ttl, idxTtl, max, oldId, tag = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8], ARGV[9]
local n, key, idx, old = 1
if string.sub(flags, 1, 1) == '1' then key = KEYS[n]; n = n + 1 end
if string.sub(flags, 2, 2) == '1' then idx = KEYS[n]; n = n + 1 end
if string.sub(flags, 3, 3) == '1' then old = KEYS[n] end
local detached = false
if old then
  detached = unindex(old, oldId)
  redis.call('DEL', old)
  tombstone(old, ARGV[10], ARGV[11])
end
if key then
  redis.call('DEL', key)
  hset(key, ARGV, 12, #ARGV)
  redis.call('PEXPIRE', key, ttl)
end
local evicted, elsewhere = {}, {}
if idx then
  local now = nowMs()
  redis.call('ZADD', idx, fmt(now + tonumber(ttl)), id)
  prune(idx, now, max ~= nil, tag)
  local over = max and redis.call('ZCARD', idx) - max or 0
  if over > 0 then
    -- Least recently used first: last seen (c + l), then created (c), then id; never the new session.
    local others = {}
    for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
      if m ~= id then
        local created, seen = 0, 0
        if here(m, tag) then
          local got = redis.pcall('HMGET', keyOf(m), 'c', 'l')
          if not got.err then
            created = tonumber(got[1]) or 0
            seen = created + (tonumber(got[2]) or 0)
          end
        end
        table.insert(others, { m, seen, created })
      end
    end
    table.sort(others, function(a, b)
      if a[2] ~= b[2] then return a[2] < b[2] end
      if a[3] ~= b[3] then return a[3] < b[3] end
      return a[1] < b[1]
    end)
    for i = 1, math.min(over, #others) do
      local m = others[i][1]
      redis.call('ZREM', idx, m)
      if here(m, tag) then redis.call('DEL', keyOf(m)) else table.insert(elsewhere, m) end
      table.insert(evicted, m)
    end
  end
  if redis.call('PTTL', idx) < idxTtl then redis.call('PEXPIRE', idx, fmt(idxTtl)) end
end
return { evicted, elsewhere, detached or '' }
`

/** Destroy: KEYS session; ARGV id, tombstone ttl|'' and time (optional). Returns { 1 if it existed, user whose index is in another slot | '' }. */
const DESTROY = `
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return { 0, '' } end
local detached = false
if kind == 'hash' then detached = unindex(KEYS[1], ARGV[3]) end
redis.call('DEL', KEYS[1])
tombstone(KEYS[1], ARGV[4], ARGV[5])
return { 1, detached or '' }
`

/** List: KEYS index; ARGV index tag. Returns { {id, HGETALL} | {id} for sessions in other slots }. */
const LIST = `
local idx, tag = KEYS[1], ARGV[3]
prune(idx, nowMs(), false, tag)
local out = {}
for _, m in ipairs(redis.call('ZRANGE', idx, 0, -1)) do
  if here(m, tag) then
    local fields = redis.pcall('HGETALL', keyOf(m))
    if fields.err then
      redis.call('DEL', keyOf(m))
      redis.call('ZREM', idx, m)
    elseif #fields == 0 then
      redis.call('ZREM', idx, m)
    else
      table.insert(out, { m, fields })
    end
  else
    table.insert(out, { m })
  end
end
return out
`

/** Revoke: KEYS index; ARGV index tag, user id, except|'', '1' for all, ids... Returns { revoked ids, ids in other slots }. */
const REVOKE = `
local idx, tag, user, except, all = KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1'
local candidates
if all then candidates = redis.call('ZRANGE', idx, 0, -1) else candidates = { unpack(ARGV, 7) } end
local revoked, elsewhere = {}, {}
for _, m in ipairs(candidates) do
  if m ~= except then
    if here(m, tag) then
      local owner = redis.pcall('HGET', keyOf(m), 'u')
      if owner == user then
        redis.call('DEL', keyOf(m))
        table.insert(revoked, m)
      end
      if all or owner == user then redis.call('ZREM', idx, m) end
    else
      table.insert(elsewhere, m)
    end
  end
end
return { revoked, elsewhere }
`

/** Revoke one session if it belongs to the user: KEYS session; ARGV user id. Returns 1 when deleted. */
const REVOKE_ONE = `
if redis.pcall('HGET', KEYS[1], 'u') ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`

function script(name: string, body: string): Script {
  // The shebang makes Redis refuse the whole script up front under OOM instead of failing between two writes.
  const source = `#!lua\n${PRELUDE}${body}`
  return { name, source, sha: createHash('sha1').update(source).digest('hex') }
}

export const SCRIPTS = {
  patch: script('patch', PATCH),
  create: script('create', CREATE),
  destroy: script('destroy', DESTROY),
  list: script('list', LIST),
  revoke: script('revoke', REVOKE),
  revokeOne: script('revokeOne', REVOKE_ONE),
} as const
