/**
 * GCRA (generic cell rate algorithm), the algorithm of redis-cell and of leaky-bucket-as-meter
 * rate limiters. Per key, one number is kept: the theoretical arrival time (TAT). With a quota of
 * `limit` requests per `window`, each request moves TAT by one emission interval
 * `T = window / limit`; a request is refused when TAT would end more than `window` ahead of now.
 * So a client may burst `limit` requests, then gets one more every T: a sliding window without
 * per-request state, exact, and O(1) in memory.
 */

/** One quota's step. Times in microseconds (integers, exact in a double). */
export interface GcraStep {
  /** TAT now (never in the past). */
  tat: number;
  /** TAT if this request is let through. */
  newTat: number;
  interval: number;
  /** Until this quota would let a request through (0: it does now). */
  retryUs: number;
}

/** The same arithmetic as the Lua script below, for the in-process fallback and for tests. */
export function gcraStep(storedTat: number | undefined, nowUs: number, limit: number, windowUs: number): GcraStep {
  const interval = Math.ceil(windowUs / limit);
  const tat = storedTat !== undefined && storedTat > nowUs ? storedTat : nowUs;
  const newTat = tat + interval;
  const allowAt = newTat - windowUs;
  return { tat, newTat, interval, retryUs: allowAt > nowUs ? allowAt - nowUs : 0 };
}

/** What is left of a quota whose TAT is `tat`: requests allowed right now, and time until it is full again. */
export function gcraState(tat: number, nowUs: number, windowUs: number, interval: number): { remaining: number; resetUs: number } {
  return { remaining: Math.max(0, Math.floor((windowUs - (tat - nowUs)) / interval)), resetUs: Math.max(0, tat - nowUs) };
}

/**
 * Checks every key of a request in one atomic step, all or nothing: when any quota refuses, no
 * quota is consumed (a refused login does not use up the IP's quota as well).
 * The clock is Redis's own (TIME), so gateway replicas with skewed clocks agree.
 *
 * KEYS: one per quota. ARGV: limit_1, window_ms_1, limit_2, window_ms_2, ...
 * Returns: { allowed (1/0), then per key: remaining, reset_ms, retry_ms }.
 */
export const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local allowed = 1
local tats, news, retry = {}, {}, {}
for i = 1, n do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i]) * 1000
  local interval = math.ceil(window / limit)
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - window
  tats[i] = tat
  news[i] = new_tat
  if allow_at > now then
    allowed = 0
    retry[i] = allow_at - now
  else
    retry[i] = 0
  end
end
local out = { allowed }
for i = 1, n do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i]) * 1000
  local interval = math.ceil(window / limit)
  local tat = tats[i]
  if allowed == 1 then
    tat = news[i]
    redis.call('SET', KEYS[i], string.format('%.0f', tat), 'PX', math.max(1, math.ceil((tat - now) / 1000)))
  end
  local remaining = math.floor((window - (tat - now)) / interval)
  if remaining < 0 then remaining = 0 end
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil((tat - now) / 1000)
  out[#out + 1] = math.ceil(retry[i] / 1000)
end
return out
`;

/**
 * Reserves a block of up to `want` requests of one quota at once (a lease), after giving back
 * `refund` requests of an earlier lease that were never spent. A gateway replica spends a lease in
 * memory, so a busy client costs one Redis call per block instead of one per request.
 *
 * Granted is the largest g <= want such that the g-th request would pass GCRA now (g = 1 is exactly
 * GCRA_SCRIPT's decision); the TAT moves by g intervals. A refund moves the TAT back by its
 * intervals but never before now: the quota is then what it would be had those requests never been
 * reserved, or less (never more), whatever other replicas did meanwhile.
 *
 * KEYS: the quota's key. ARGV: limit, window_ms, want, refund.
 * Returns: { granted, remaining (after the grant), reset_ms, retry_ms (when granted = 0) }.
 */
export const LEASE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * 1000
local want = tonumber(ARGV[3])
local refund = tonumber(ARGV[4])
local interval = math.ceil(window / limit)
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
if refund > 0 then
  tat = tat - refund * interval
  if tat < now then tat = now end
end
local fit = math.floor((now + window - tat) / interval)
if fit < 0 then fit = 0 end
local granted = math.min(want, fit)
local new_tat = tat + granted * interval
if granted > 0 or refund > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
end
local remaining = math.floor((window - (new_tat - now)) / interval)
if remaining < 0 then remaining = 0 end
local retry = 0
if granted == 0 then retry = tat + interval - window - now end
return { granted, remaining, math.ceil((new_tat - now) / 1000), math.ceil(retry / 1000) }
`;
