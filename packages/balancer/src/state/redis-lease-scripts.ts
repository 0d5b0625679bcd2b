import { LuaScript } from './lua-script.js';

/*
 * Lua scripts of leased self-registration (backend-lease.ts states the rules in TypeScript; these
 * follow them). Every key is the registry or takes its hash tag (redis-keys.ts), so each script
 * stays in one slot on Redis Cluster. An entry is leased when its JSON has a `lease.holder`
 * string; a bare URL, other JSON or a malformed value is an operator's entry.
 */

/** `holderOf(text)`: the lease holder of a registry value, false for an operator's entry, nil for none. */
const holderOf = `
local function holderOf(text)
  if not text then return nil end
  local ok, value = pcall(cjson.decode, text)
  if ok and type(value) == 'table' and type(value.lease) == 'table' and type(value.lease.holder) == 'string' then
    return value.lease.holder
  end
  return false
end
`;

/**
 * Announces or renews a leased entry (judgeAnnounce). KEYS: backends, drains, health, lease.
 * ARGV: id, holder, TTL (ms), registry value, events channel, event JSON. Returns the outcome.
 * A renewal only re-arms the lease key, so a drain written on the entry stays; when the key had
 * lapsed (not yet purged), its return is announced, so nodes route to it again at once.
 */
export const leaseBackendScript = new LuaScript(`${holderOf}
local holder = holderOf(redis.call('HGET', KEYS[1], ARGV[1]))
if holder == false then return 'operator' end
if holder == ARGV[2] then
  if not redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3], 'GET') then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
  return 'renewed'
end
if holder ~= nil and redis.call('EXISTS', KEYS[4]) == 1 then return 'held' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HDEL', KEYS[2], ARGV[1])
if holder ~= nil then redis.call('HDEL', KEYS[3], ARGV[1]) end
redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 'created'
`);

/**
 * An operator's write (putBackend): refused (0) while the id is a leased entry with a live lease;
 * otherwise the entry is written, any lease key dropped, and the change announced (1).
 * KEYS: backends, lease. ARGV: id, registry value, events channel, event JSON.
 */
export const putOperatorBackendScript = new LuaScript(`${holderOf}
if holderOf(redis.call('HGET', KEYS[1], ARGV[1])) and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Removes a leased entry with its lease, drain and health, only if `holder` holds it.
 * KEYS: backends, drains, health, lease. ARGV: id, holder, events channel, event JSON.
 */
export const releaseBackendLeaseScript = new LuaScript(`${holderOf}
if holderOf(redis.call('HGET', KEYS[1], ARGV[1])) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Removes the given ids that are leased entries without a live lease key, with their drain and
 * health. KEYS: backends, drains, health, then one lease key per id. ARGV: events channel, event
 * JSON, then the ids (in the order of their lease keys). Returns the ids removed.
 */
export const purgeLapsedLeasesScript = new LuaScript(`${holderOf}
local removed = {}
for i = 4, #KEYS do
  local id = ARGV[i - 1]
  if holderOf(redis.call('HGET', KEYS[1], id)) and redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
    removed[#removed + 1] = id
  end
end
if #removed > 0 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return removed
`);
