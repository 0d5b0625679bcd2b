import { LuaScript } from './lua-script.js';

/*
 * Lua scripts of RedisStateStore. Each is atomic, which a pipeline is not: a reader never sees
 * a table and its counts disagree. Each touches keys of one slot only (see redis-keys.ts): one
 * node's keys, or cluster-wide keys, never both, so every one of them runs on Redis Cluster.
 */

/**
 * Applies opened and closed sessions to one node's table and keeps the counts equal to it.
 * KEYS: conns, counts, info. ARGV: replace ('1' empties both first), orphan TTL (ms), n opened,
 * then n triples (session id, backend id, JSON record), then the closed session ids.
 * A close for an unknown id changes nothing (so a count never goes negative), and re-opening a
 * known id moves it rather than counting it twice. Both hashes then expire with the node's
 * info key, or after the orphan TTL when the node has no live heartbeat.
 */
export const applyConnectionsScript = new LuaScript(`
local conns, counts, info = KEYS[1], KEYS[2], KEYS[3]
if ARGV[1] == '1' then redis.call('DEL', conns, counts) end
local function forget(id)
  local old = redis.call('HGET', conns, id)
  if not old then return end
  redis.call('HDEL', conns, id)
  local ok, record = pcall(cjson.decode, old)
  if ok and type(record) == 'table' and type(record.backend) == 'string' then
    if redis.call('HINCRBY', counts, record.backend, -1) <= 0 then redis.call('HDEL', counts, record.backend) end
  end
end
local i = 4
for _ = 1, tonumber(ARGV[3]) do
  forget(ARGV[i])
  redis.call('HSET', conns, ARGV[i], ARGV[i + 2])
  redis.call('HINCRBY', counts, ARGV[i + 1], 1)
  i = i + 3
end
for j = i, #ARGV do forget(ARGV[j]) end
local ttl = redis.call('PTTL', info)
if ttl <= 0 then ttl = tonumber(ARGV[2]) end
redis.call('PEXPIRE', conns, ttl)
redis.call('PEXPIRE', counts, ttl)
return 1
`);

/**
 * The node's own slot on heartbeat: its info with a fresh TTL, and the same TTL on its table.
 * KEYS: info, conns, counts. ARGV: JSON NodeInfo, TTL (ms).
 */
export const heartbeatNodeScript = new LuaScript(`
local continued = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return continued
`);

/**
 * The node index on heartbeat: score = heartbeat time, and the set itself expires after the
 * longest TTL any node announced, so it disappears once every node is gone.
 * KEYS: nodes. ARGV: node id, heartbeat (ms), TTL (ms).
 */
export const touchNodeIndexScript = new LuaScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/**
 * Removes index members whose info key expired — but only if their score is still the one the
 * reader saw, so a node that heartbeated meanwhile stays listed.
 * KEYS: nodes. ARGV: pairs of (node id, score as read).
 */
export const pruneNodeIndexScript = new LuaScript(`
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
`);

/**
 * Takes a free lease or renews one held by the same holder. KEYS: lease. ARGV: holder, TTL (ms).
 * Returns 1 when the holder now holds it.
 */
export const acquireLeaseScript = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** Deletes a lease only if `holder` holds it. KEYS: lease. ARGV: holder. */
export const releaseLeaseScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Sets a backend's registry entry and its drain terms together and announces the change, in
 * one atomic step — but only if neither field changed since the caller read them (a compare
 * and set: the caller validated and normalized the entry with the same code the nodes use,
 * which Lua cannot share). KEYS: backends, drains. ARGV: backend id, registry value as read,
 * drain value as read ('' for none), new registry value, new drain value ('' removes it),
 * events channel, event JSON. Returns 1 when written, 0 when a field had changed (nothing
 * written). PUBLISH names a channel, not a key, so it is allowed here even on Redis Cluster.
 */
export const setDrainScript = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if (redis.call('HGET', KEYS[2], ARGV[1]) or '') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
if ARGV[5] == '' then redis.call('HDEL', KEYS[2], ARGV[1]) else redis.call('HSET', KEYS[2], ARGV[1], ARGV[5]) end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`);

/**
 * Writes the marker unless there is one. KEYS: marker. ARGV: marker JSON. Returns the marker in
 * force (the one written, or the one found).
 */
export const claimMarkerScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`);

/**
 * Re-seeds a store that lost its data, only if its marker's id is still the one the caller read
 * (a compare and set). A marker's id is its JSON "id" field, or the whole text when it is not such JSON:
 * the rule of decodeStateMarker. Adds, never overwrites: a backend is written only where the
 * registry lacks it, its drain terms only with it, a health record only where there is none.
 * A leased backend (lease holder not '') gets its lease key back with it, for its TTL, so a dead
 * announcer's entry lapses one TTL later instead of being re-seeded for good.
 * KEYS: marker, backends, drains, health, then the lease key of each leased backend in order.
 * ARGV: expected id ('' for none), new marker JSON, events channel, registry event JSON, health
 * event JSON, n backends, then n quintuples (id, registry value, drain JSON or '', lease holder or
 * '', lease TTL in ms), then pairs (backend id, health JSON). Returns 1 when written, 0 when the
 * marker had changed (nothing written).
 */
export const reseedScript = new LuaScript(`
local current = redis.call('GET', KEYS[1])
local id = ''
if current then
  local ok, marker = pcall(cjson.decode, current)
  if ok and type(marker) == 'table' and type(marker.id) == 'string' and marker.id ~= '' then id = marker.id
  else id = current end
end
if id ~= ARGV[1] then return 0 end
local i, k = 7, 5
for _ = 1, tonumber(ARGV[6]) do
  local written = redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1
  if written and ARGV[i + 2] ~= '' then redis.call('HSETNX', KEYS[3], ARGV[i], ARGV[i + 2]) end
  if ARGV[i + 3] ~= '' then
    if written then redis.call('SET', KEYS[k], ARGV[i + 3], 'NX', 'PX', ARGV[i + 4]) end
    k = k + 1
  end
  i = i + 5
end
for j = i, #ARGV, 2 do redis.call('HSETNX', KEYS[4], ARGV[j], ARGV[j + 1]) end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
redis.call('PUBLISH', ARGV[3], ARGV[5])
return 1
`);

/**
 * Publishes one event from the master of the registry's slot. PUBLISH names no key, so a Cluster
 * client would send it to any node, and events of one publisher sent through different nodes may
 * overtake each other on the cluster bus; routed by the registry key (declared, never touched),
 * every announcement of a store leaves from the node where the scripts publish theirs, in order.
 * On a standalone Redis this is a PUBLISH. KEYS: backends. ARGV: channel, message.
 */
export const publishScript = new LuaScript(`
return redis.call('PUBLISH', ARGV[1], ARGV[2])
`);
