/**
 * The one HTTP mapping table, shared by core's `classify` and `@intelligent-retry/platform`:
 * statuses and `@effect/platform` error reasons onto categories, and server hints from headers.
 *
 * @internal
 */
import { ErrorCategory } from "./errorCategory.js"
import { call, get, getNumber, isObjectLike } from "./safe.js"

const N = ErrorCategory.NETWORK_ERROR
const R = ErrorCategory.API_RATE_LIMIT
const D = ErrorCategory.DATA_ERROR
const S = ErrorCategory.SYSTEM_ERROR
const T = ErrorCategory.TEMPORARY_ERROR
const P = ErrorCategory.PERMANENT_ERROR

/** @internal */
export const statusTable: Readonly<Record<number, ErrorCategory>> = Object.freeze({
  400: D,
  401: P,
  403: P,
  404: P,
  405: P,
  408: N,
  409: T,
  410: P,
  413: D,
  414: D,
  415: D,
  422: D,
  423: T,
  425: T,
  429: R,
  431: D,
  500: T,
  501: P,
  502: T,
  503: T,
  504: T,
  505: P,
  507: S,
  511: P
})

/**
 * The category of an HTTP status that fails a request; `undefined` for anything below 300 or above
 * 599. A 3xx is `permanent_error`: a redirect or a `304 Not Modified` is an answer, and sending the
 * same request again gets the same answer (undici's fetch and `@effect/platform`'s Node client do
 * not follow redirects for you in every mode, and `filterStatusOk` turns any 3xx into a failure).
 *
 * @internal
 */
export const statusCategory = (status: number): ErrorCategory | undefined => {
  if (!Number.isInteger(status) || status < 300 || status > 599) return undefined
  if (status < 400) return P
  return statusTable[status] ?? (status < 500 ? P : T)
}

/** @internal */
export const reasonTable: Readonly<Record<string, ErrorCategory>> = Object.freeze({
  Transport: N,
  Encode: D,
  InvalidUrl: D,
  Decode: D,
  EmptyBody: D
})

const MAX_HEADER_KEYS = 256
const MAX_HEADER_LENGTH = 256

/**
 * Reads one header, case-insensitively, from a Fetch `Headers`, a plain record (as
 * `@effect/platform` keeps them, lower-cased) or Node's `IncomingHttpHeaders` (arrays allowed).
 *
 * @internal
 */
export const header = (headers: unknown, name: string): string | undefined => {
  if (!isObjectLike(headers)) return undefined
  const getter = get(headers, "get")
  let value: unknown
  if (typeof getter === "function") {
    value = call(() => getter.call(headers, name))
  } else {
    value = get(headers, name)
    if (value === undefined) {
      const keys = call(() => Object.keys(headers))
      if (keys !== undefined) {
        const limit = Math.min(keys.length, MAX_HEADER_KEYS)
        for (let i = 0; i < limit; i++) {
          if (keys[i].toLowerCase() === name) {
            value = get(headers, keys[i])
            break
          }
        }
      }
    }
  }
  if (Array.isArray(value)) value = value[0]
  return typeof value === "string" && value.length <= MAX_HEADER_LENGTH ? value.trim() : undefined
}

const DELTA_SECONDS = /^\d{1,12}$/
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const RFC850_DATE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/

const MONTHS: ReadonlyArray<string> = [
  "jan",
  "feb",
  "mar",
  "apr",
  "may",
  "jun",
  "jul",
  "aug",
  "sep",
  "oct",
  "nov",
  "dec"
]

/**
 * Epoch milliseconds of a calendar date and time, or `undefined` for an impossible one (31 Feb, hour
 * 24): `Date.UTC` would roll it over into the next month. A second of 60 (RFC 9110 allows a leap
 * second) is read as 59.
 */
const utc = (
  year: number,
  monthName: string,
  day: number,
  hour: number,
  minute: number,
  second: number
): number | undefined => {
  const month = MONTHS.indexOf(monthName.toLowerCase())
  if (month < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  if (day > daysInMonth) return undefined
  const time = Date.UTC(year, month, day, hour, minute, Math.min(second, 59))
  return Number.isNaN(time) ? undefined : time
}

/**
 * An HTTP-date (RFC 9110 §5.6.7) as epoch milliseconds, strictly: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), or one of the two obsolete forms, RFC 850
 * (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). An impossible date
 * is no date. The weekday is not checked against the date, as Go's `http.ParseTime` does not. A
 * two-digit year more than 50 years after `now` is in the previous century (§5.6.7).
 *
 * @internal
 */
export const parseHttpDate = (value: string, now: number): number | undefined => {
  let m = IMF_FIXDATE.exec(value)
  if (m !== null) return utc(Number(m[3]), m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  m = RFC850_DATE.exec(value)
  if (m !== null) {
    const thisYear = new Date(now).getUTCFullYear()
    let year = 2000 + Number(m[3])
    if (Number.isFinite(thisYear) && year > thisYear + 50) year -= 100
    return utc(year, m[2], Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))
  }
  m = ASCTIME_DATE.exec(value)
  if (m !== null) return utc(Number(m[6]), m[1], Number(m[2].trim()), Number(m[3]), Number(m[4]), Number(m[5]))
  return undefined
}

/**
 * Milliseconds to wait from `now` for a `Retry-After` value: delta-seconds, or an HTTP-date in any
 * of the three forms of RFC 9110 §5.6.7, parsed strictly (a date in the past means no extra wait;
 * an impossible date such as 31 February is no hint). `undefined` for anything else: an
 * unparsable header is ignored, never an error.
 *
 * @internal
 */
export const parseRetryAfter = (value: string, now: number): number | undefined => {
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000
  const date = parseHttpDate(value, now)
  return date === undefined ? undefined : Math.max(0, date - now)
}

const RATELIMIT_T = /(?:^|[;,\s])t=(\d{1,12})(?:$|[;,\s])/

/**
 * The wait a response's headers ask for, in milliseconds, by precedence:
 * 1. `Retry-After` (delta-seconds or HTTP-date);
 * 2. the IETF draft `RateLimit` header's `t` parameter, or the older draft's `RateLimit-Reset`
 *    (both delta-seconds);
 * 3. `X-RateLimit-Reset`, as epoch seconds; a value below 10^9 is read as delta-seconds, as some
 *    servers send it.
 *
 * @internal
 */
export const hintFromHeaders = (headers: unknown, now: number): number | undefined => {
  const retryAfter = header(headers, "retry-after")
  const fromRetryAfter = retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, now)
  if (fromRetryAfter !== undefined) return fromRetryAfter
  const rateLimit = header(headers, "ratelimit")
  const t = rateLimit === undefined ? undefined : RATELIMIT_T.exec(rateLimit)?.[1]
  if (t !== undefined) return Number(t) * 1000
  const reset = header(headers, "ratelimit-reset")
  if (reset !== undefined && DELTA_SECONDS.test(reset)) return Number(reset) * 1000
  const xReset = header(headers, "x-ratelimit-reset")
  if (xReset !== undefined && DELTA_SECONDS.test(xReset)) {
    const seconds = Number(xReset)
    return seconds < 1e9 ? seconds * 1000 : Math.max(0, seconds * 1000 - now)
  }
  return undefined
}

/** Statuses whose hint headers are honoured. @internal */
export const isHintStatus = (status: number | undefined): boolean => status === 429 || status === 503

const NUMERIC_STATUS = /^\s*\d{3}\s*$/

/** A status given as a number, or as a numeric string (`"404"`), as some clients and JSON give it. */
const getStatus = (u: unknown, key: string): number | undefined => {
  const value = get(u, key)
  if (typeof value === "string") return value.length <= 16 && NUMERIC_STATUS.test(value) ? Number(value) : undefined
  return getNumber(u, key)
}

/**
 * The status and headers of an HTTP-shaped error: `status` / `statusCode` and `headers` on the
 * error itself, or `response.status` and `response.headers` (`@effect/platform`'s
 * `ResponseError`, axios, got, ...). A numeric string (`"404"`) is read as the number.
 *
 * @internal
 */
export const statusOf = (u: unknown): number | undefined =>
  getStatus(u, "status") ?? getStatus(u, "statusCode") ?? getStatus(get(u, "response"), "status")

/** @internal */
export const headersOf = (u: unknown): unknown => {
  const own = get(u, "headers")
  return own !== undefined ? own : get(get(u, "response"), "headers")
}
