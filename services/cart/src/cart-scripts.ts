/**
 * Lua scripts that change a cart atomically in Redis. A cart is three keys sharing the hash tag
 * `{userId}` (so they live on one Redis Cluster slot and one script may touch them all):
 *
 * - KEYS[1] `cart:{userId}`          hash: product id → quantity (the cart itself)
 * - KEYS[2] `cart:{userId}:order`    sorted set: product id → position when first added
 * - KEYS[3] `cart:{userId}:updated`  string: time of the last change, epoch milliseconds
 *
 * Every write sets the same TTL on all three keys, so they expire together after inactivity, and
 * a change time later than the last one even within one millisecond (or after the clock stepped
 * back): the order service takes it as the cart's version, so two different contents of one cart
 * never share it. Clearing or expiry deletes the keys, so a new cart starts from the clock again.
 * Each script ends by returning a snapshot `{status, detail, updatedMs, id1, qty1, id2, qty2, …}`
 * with items in first-added order, so a caller sees exactly the cart its own change produced.
 */

const snapshot = `
local function snapshot(status, detail)
  local out = {status, tostring(detail), redis.call('GET', KEYS[3]) or ''}
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local quantity = redis.call('HGET', KEYS[1], id)
    if quantity then
      out[#out + 1] = id
      out[#out + 1] = quantity
    end
  end
  return out
end

local function touch(ttl, now)
  local previous = tonumber(redis.call('GET', KEYS[3]) or '0')
  local changed = tonumber(now)
  if changed <= previous then changed = previous + 1 end
  redis.call('SET', KEYS[3], changed)
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ttl) end
end
`;

/** Status codes in a snapshot's first element. */
export const scriptStatus = { ok: 0, quantityExceeded: 1, tooManyLines: 2 } as const;

/** Returns the cart unchanged. */
export const readCartScript = `${snapshot}
return snapshot(0, 0)`;

/**
 * ARGV: productId, quantity to add, max quantity per line, max lines, ttl seconds, now ms.
 * Adds to the existing line; refuses (changing nothing) when the line would exceed the maximum
 * quantity (detail = current quantity) or a new line would exceed the maximum lines.
 */
export const addItemScript = `${snapshot}
local id = ARGV[1]
local add, maxQuantity, maxLines = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local current = tonumber(redis.call('HGET', KEYS[1], id) or '0')
if current == 0 and redis.call('HLEN', KEYS[1]) >= maxLines then return snapshot(2, maxLines) end
if current + add > maxQuantity then return snapshot(1, current) end
redis.call('HSET', KEYS[1], id, current + add)
if current == 0 then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  local position = 1
  if last[2] then position = tonumber(last[2]) + 1 end
  redis.call('ZADD', KEYS[2], position, id)
end
touch(ARGV[5], ARGV[6])
return snapshot(0, current + add)`;

/**
 * ARGV: productId, ttl seconds, now ms. Removes the line; a cart without that product is left
 * untouched (no new update time, no TTL refresh: nothing changed). Detail = lines removed (0 or 1).
 */
export const removeItemScript = `${snapshot}
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if removed == 1 then touch(ARGV[2], ARGV[3]) end
return snapshot(0, removed)`;

/**
 * ARGV: the change time (epoch ms) the caller read. Deletes the cart only if its change time is still
 * that one: returns 0 when deleted, 1 when there was no cart (nothing to do), 2 when the cart changed
 * since (nothing deleted).
 */
export const clearIfUnchangedScript = `
local current = redis.call('GET', KEYS[3])
if not current then return 1 end
if current ~= ARGV[1] then return 2 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 0`;
