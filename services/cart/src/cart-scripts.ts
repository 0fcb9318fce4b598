/**
 * Lua scripts that change a cart atomically in Redis. A cart is six keys sharing the hash tag
 * `{userId}` (so they live on one Redis Cluster slot and one script may touch them all):
 *
 * - KEYS[1] `cart:{userId}`             hash: product id → quantity (the cart itself)
 * - KEYS[2] `cart:{userId}:order`       sorted set: product id → position when first added
 * - KEYS[3] `cart:{userId}:updated`     string: time of the last change, epoch milliseconds
 * - KEYS[4] `cart:{userId}:applied`     hash: order id → outcome of checkout's removal of its lines
 *   (so a repeated removal changes nothing again); not part of the contents: clearing keeps it
 * - KEYS[5] `cart:{userId}:added`       hash: AddItem idempotency key → `productId quantity` it added
 *   (so a repeated add changes nothing again); like `:applied`, not contents: clearing keeps it
 * - KEYS[6] `cart:{userId}:added:order` sorted set: idempotency key → its place in recording order,
 *   so only the most recent keys are kept (a user cannot grow the cart's memory without bound)
 *
 * Every write sets the same TTL on all six keys, so they expire together after inactivity, and
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

-- The answer to an add whose idempotency key is recorded already: 'repeat' (3) when that add was
-- this one (request = 'productId quantity'), 'keyReused' (4) with what it added when it was
-- another; nil when the key is not recorded.
local function earlierAdd(key, request)
  local recorded = redis.call('HGET', KEYS[5], key)
  if recorded == request then return snapshot(3, 0) end
  if recorded then return snapshot(4, recorded) end
  return nil
end

local function touch(ttl, now)
  local previous = tonumber(redis.call('GET', KEYS[3]) or '0')
  local changed = tonumber(now)
  if changed <= previous then changed = previous + 1 end
  redis.call('SET', KEYS[3], changed)
  for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
end
`;

/**
 * Status codes in a snapshot's first element. `repeat`: the idempotency key was applied already by
 * the same add (nothing changed); `keyReused`: it was applied by another add (detail = what that one
 * added, `productId quantity`; nothing changed); `notRecorded`: the key is not recorded (nothing changed).
 */
export const scriptStatus = {
  ok: 0,
  quantityExceeded: 1,
  tooManyLines: 2,
  repeat: 3,
  keyReused: 4,
  notRecorded: 5,
} as const;

/**
 * ARGV: productId, quantity, idempotency key. Changes nothing: answers as `addItemScript` would for
 * a key already recorded (`repeat` or `keyReused`), else `notRecorded`. Lets a retried add be
 * answered before the catalog is asked about its product (see the cart handlers).
 */
export const earlierAddScript = `${snapshot}
return earlierAdd(ARGV[3], ARGV[1] .. ' ' .. ARGV[2]) or snapshot(5, 0)`;

/** Returns the cart unchanged. */
export const readCartScript = `${snapshot}
return snapshot(0, 0)`;

/**
 * ARGV: productId, quantity to add, max quantity per line, max lines, ttl seconds, now ms,
 * idempotency key ('' for none), max idempotency keys kept.
 * Adds to the existing line; refuses (changing nothing) when the line would exceed the maximum
 * quantity (detail = current quantity) or a new line would exceed the maximum lines.
 *
 * With a key: a key already recorded changes nothing and answers `repeat` (same product and
 * quantity) or `keyReused` (another add). Otherwise an applied add records the key with what it
 * added, in this same script, so two concurrent calls with one key cannot both add; a refused add
 * records nothing. Beyond the maximum, the keys recorded longest ago are forgotten.
 */
export const addItemScript = `${snapshot}
local id = ARGV[1]
local add, maxQuantity, maxLines = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key, maxKeys = ARGV[7], tonumber(ARGV[8])
local request = id .. ' ' .. ARGV[2]
if key ~= '' then
  local earlier = earlierAdd(key, request)
  if earlier then return earlier end
end
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
if key ~= '' then
  redis.call('HSET', KEYS[5], key, request)
  local newest = redis.call('ZRANGE', KEYS[6], -1, -1, 'WITHSCORES')
  redis.call('ZADD', KEYS[6], (tonumber(newest[2]) or 0) + 1, key)
  local excess = redis.call('ZCARD', KEYS[6]) - maxKeys
  if excess > 0 then
    local forgotten = redis.call('ZPOPMIN', KEYS[6], excess)
    for i = 1, #forgotten, 2 do redis.call('HDEL', KEYS[5], forgotten[i]) end
  end
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

/** Outcomes of checkout's removal (`removeOrderedScript`), as stored in the `:applied` hash. */
export const removalOutcome = { cleared: 0, absent: 1, removed: 3 } as const;

/**
 * Checkout's clear of the cart it ordered from. ARGV: order id, the change time (epoch ms) the order
 * was read at, ttl seconds, now ms, then product id and ordered quantity pairs. Applied once per
 * order id: a repeat returns the outcome recorded the first time and changes nothing. Otherwise a
 * cart still at that change time is deleted (0), no cart is nothing to do (1), and a cart changed
 * since loses the ordered quantities (3): each line goes down by its ordered quantity and is removed
 * at 0 or below; products not in the cart are skipped; lines added meanwhile stay. A cart that lost
 * something gets a new change time and every key's TTL refreshed, like any other change. Returns
 * `{outcome, repeat}` (repeat 1 when the order id was applied already).
 */
export const removeOrderedScript = `${snapshot}
local recorded = redis.call('HGET', KEYS[4], ARGV[1])
if recorded then return {tonumber(recorded), 1} end
local current = redis.call('GET', KEYS[3])
local outcome = 3
local changed = false
if not current then
  outcome = 1
elseif current == ARGV[2] then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  outcome = 0
else
  for i = 5, #ARGV - 1, 2 do
    local id = ARGV[i]
    local have = tonumber(redis.call('HGET', KEYS[1], id) or '0')
    if have > 0 then
      local left = have - tonumber(ARGV[i + 1])
      if left > 0 then
        redis.call('HSET', KEYS[1], id, left)
      else
        redis.call('HDEL', KEYS[1], id)
        redis.call('ZREM', KEYS[2], id)
      end
      changed = true
    end
  end
end
redis.call('HSET', KEYS[4], ARGV[1], outcome)
if changed then touch(ARGV[3], ARGV[4]) else redis.call('EXPIRE', KEYS[4], ARGV[3]) end
return {outcome, 0}`;
