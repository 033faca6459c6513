/**
 * Task names and budget keys of requests. A task name goes into statistics and metric labels, so
 * it must have low cardinality and carry no secret: the method and a route template, never the
 * raw URL.
 *
 * @internal
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"

/** @internal */
export const ID = ":id"

/** Longest path we look at, and most segments kept: a hostile URL costs bounded work. */
const MAX_PATH = 2048
const MAX_SEGMENTS = 32
/** Longest segment kept as a word; longer ones are tokens. */
const MAX_WORD = 32

/** `scheme://` at the very start: only then does the URL have an authority to skip. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//

const WORD = /^[A-Za-z][A-Za-z_.~-]*\d{0,2}$/
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const HEX = /^[0-9a-fA-F]{16,}$/

/**
 * A path segment as it may appear in a task name: kept when it reads like a word (letters, then
 * `-`, `_`, `.` or `~`, with at most two trailing digits, as in `v2` or `oauth2`), replaced by
 * `:id` otherwise: numbers, UUIDs, hex digests, tracking numbers, anything with other characters
 * (`%`, `@`, `=`, `:`), and anything longer than 32 characters.
 *
 * @internal
 */
export const segment = (s: string): string => {
  if (s === "") return s
  if (s.length > MAX_WORD || UUID.test(s) || HEX.test(s) || !WORD.test(s)) return ID
  return s
}

/**
 * The path of a URL (absolute or not) without query string or fragment, each segment passed
 * through {@link segment}; consecutive `:id` segments stay separate. At most 32 segments are
 * kept, then `/…`.
 *
 * @internal
 */
export const sanitizePath = (url: string): string => {
  let path = url.length > MAX_PATH ? url.slice(0, MAX_PATH) : url
  const end = path.search(/[?#]/)
  if (end >= 0) path = path.slice(0, end)
  const scheme = SCHEME.exec(path)
  if (scheme !== null) {
    const slash = path.indexOf("/", scheme[0].length)
    path = slash < 0 ? "/" : path.slice(slash)
  }
  if (path === "") return "/"
  const parts = path.split("/")
  const kept = parts.length > MAX_SEGMENTS ? parts.slice(0, MAX_SEGMENTS) : parts
  const out = kept.map(segment).join("/")
  const result = parts.length > MAX_SEGMENTS ? `${out}/…` : out
  return result.startsWith("/") ? result : `/${result}`
}

/**
 * The default task name of a request: `METHOD /sanitized/path`.
 *
 * @internal
 */
export const defaultTask = (request: HttpClientRequest.HttpClientRequest): string =>
  `${request.method} ${sanitizePath(request.url)}`

/**
 * The host (with port) of a request's URL; `""` when the URL is relative or unparsable.
 *
 * @internal
 */
export const host = (request: HttpClientRequest.HttpClientRequest): string => {
  const url = request.url
  const scheme = SCHEME.exec(url)
  if (scheme === null) return ""
  const start = scheme[0].length
  let end = url.length
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i)
    // "/", "?", "#"
    if (c === 47 || c === 63 || c === 35) {
      end = i
      break
    }
  }
  const authority = url.slice(start, end)
  // Userinfo ("user:password@") is a secret: never part of a key.
  const at = authority.lastIndexOf("@")
  return (at >= 0 ? authority.slice(at + 1) : authority).toLowerCase()
}
