/**
 * Safe reading of arbitrary error values, and scrubbing of secrets from the text read.
 *
 * Every function here is total: it never throws, whatever it is given (null, symbols, BigInt,
 * proxies that throw on every trap, getters that throw, 10 MB messages). It never reads `cause`,
 * never calls `toString` on an object, and reads at most a bounded prefix of a string.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"

/**
 * What is stored when a value cannot be read.
 *
 * @internal
 */
export const UNREADABLE = "<unreadable>"

/**
 * The longest message kept, in UTF-16 code units, including the ellipsis that marks a cut.
 *
 * @internal
 */
export const MAX_MESSAGE_LENGTH = 500

/**
 * The longest `_tag` kept.
 *
 * @internal
 */
export const MAX_TAG_LENGTH = 100

/**
 * The mark appended to a cut string.
 *
 * @internal
 */
export const ELLIPSIS = "…"

/**
 * What replaces a secret.
 *
 * @internal
 */
export const MASK = "***"

/**
 * Copies a short string so that it no longer shares memory with the string it was sliced from.
 *
 * V8 represents `s.slice(0, n)` as a view that keeps the whole parent alive: a 500-character
 * prefix of a 10 MB message would retain the 10 MB. Concatenating and slicing again forces a
 * flat copy of the prefix only.
 */
const detach = (s: string): string => s.length === 0 ? "" : (" " + s).slice(1)

/**
 * The first `max` code units of `s`, with an ellipsis when something was cut. Never splits a
 * surrogate pair and never keeps a reference to a longer parent string.
 *
 * @internal
 */
export const truncate = (s: string, max: number): string => {
  if (s.length <= max) return detach(s)
  let end = max - ELLIPSIS.length
  if (end > 0) {
    const code = s.charCodeAt(end - 1)
    // a high surrogate whose low half would be cut off
    if (code >= 0xd800 && code <= 0xdbff) end--
  }
  return detach(s.slice(0, Math.max(0, end)) + ELLIPSIS)
}

// -----------------------------------------------------------------------------
// redaction
// -----------------------------------------------------------------------------

// `scheme://userinfo@` — the user name is masked along with the password: both identify an
// account. Anchored on `://` so the engine does not try every word as a scheme.
const urlCredentials = /:\/\/[^\s/?#@"'<>]+@/g

// Names of parameters whose value is a secret. A prefix must be joined by `_`, `-` or `.`
// (`client_secret`, `X-Amz-Signature`, `private_key`), so `monkey=1` is left alone.
const secretName = "(?:[a-z0-9]+[_.-])*(?:access[_-]?token|refresh[_-]?token|id[_-]?token|auth[_-]?token|api[_-]?key" +
  "|apikey|token|key|secret|signature|sig|password|passwd|pass|pwd|credentials?|session[_-]?id)"
const isSecretName = new RegExp(`^${secretName}$`, "i")

// `"name": "value"` or `'name': value` in JSON or a JS object dump: the name must be quoted,
// so prose such as "missing key: user_id" is left alone.
const quotedField = new RegExp(`(["'])(${secretName})\\1(\\s*:\\s*)(["']?)([^"'\\s,;}\\]]+)`, "gi")

// Header lines: `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, `X-Api-Key: x`.
// A scheme word (Bearer, Basic, …) is kept; the credential after it is masked.
const header =
  /\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-access-token)(["']?\s*:\s*["']?)((?:bearer|basic|digest|token|negotiate|ntlm|aws4-hmac-sha256)\s+)?([^\s"',;&]+)/gi

// `Cookie: a=b; c=d`: every cookie may be a session, so the whole value is masked, to the end of the line.
const cookie = /\b((?:set-)?cookie)(["']?\s*:\s*["']?)[^\r\n"']+/gi

// A bearer token anywhere (RFC 6750 §2.1 token68 syntax).
const bearer = /\b(bearer\s+)[a-z0-9\-._~+/]+=*/gi

// Well-known API key formats, recognised by their fixed prefixes so that ordinary identifiers
// (UUIDs, hashes, order numbers) are never mistaken for keys.
const apiKeys = new RegExp(
  [
    // OpenAI-style secret keys: sk-..., sk-proj-...
    "\\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}",
    // Stripe: sk_live_, sk_test_, rk_live_, pk_live_ ...
    "\\b[sprk]k_(?:live|test)_[A-Za-z0-9]{16,}",
    // GitHub tokens
    "\\bgh[pousr]_[A-Za-z0-9]{36,}",
    "\\bgithub_pat_[A-Za-z0-9_]{22,}",
    // AWS access key ids
    "\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b",
    // Slack tokens
    "\\bxox[abprse]-[A-Za-z0-9-]{10,}",
    // Google API keys
    "\\bAIza[0-9A-Za-z_-]{35}",
    // JSON Web Tokens: three base64url segments, the first two starting with `{"` (`eyJ`)
    "\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}"
  ].join("|"),
  "g"
)
const mayHoldApiKey = /sk-|[sprk]k_|gh[pousr]_|github_pat_|AKIA|ASIA|xox|AIza|eyJ/

// Every pattern needs one of these; a miss proves there is nothing to mask.
const mayHoldSecret = /[:=@]|bearer|sk-|[sprk]k_|gh[pousr]_|github_pat_|AKIA|ASIA|xox|AIza|eyJ/i

// characters of a parameter name: letters, digits, `_`, `.`, `-`
const isNameChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45

// characters that end a parameter value: whitespace, `&`, `#`, `;`, `,`, quotes, `<`, `>`
const endsValue = (c: number): boolean =>
  c <= 32 || c === 38 || c === 35 || c === 59 || c === 44 || c === 34 || c === 39 || c === 60 || c === 62

/**
 * Masks the value of every `name=value` whose name is a secret name: query strings, form bodies,
 * log lines, environment dumps. A scan from each `=`, linear in the length of `s` (a regular
 * expression with the same meaning tried every position and cost several times more).
 */
const maskAssignments = (s: string): string => {
  let out = ""
  let copied = 0
  let eq = s.indexOf("=")
  while (eq !== -1) {
    let nameEnd = eq
    while (nameEnd > copied && s.charCodeAt(nameEnd - 1) === 32) nameEnd--
    let nameStart = nameEnd
    while (nameStart > copied && isNameChar(s.charCodeAt(nameStart - 1))) nameStart--
    let valueStart = eq + 1
    while (valueStart < s.length && s.charCodeAt(valueStart) === 32) valueStart++
    let valueEnd = valueStart
    // `=` belongs to the value: base64 padding
    while (valueEnd < s.length && !endsValue(s.charCodeAt(valueEnd))) valueEnd++
    if (nameStart < nameEnd && valueStart < valueEnd && isSecretName.test(s.slice(nameStart, nameEnd))) {
      out += s.slice(copied, valueStart) + MASK
      copied = valueEnd
      eq = s.indexOf("=", valueEnd)
    } else {
      eq = s.indexOf("=", eq + 1)
    }
  }
  return copied === 0 ? s : out + s.slice(copied)
}

/**
 * Masks credentials in `s`: URL user info, secret-named parameters and JSON fields,
 * `Authorization`-like headers, cookies, bearer tokens and well-known API key formats.
 * Idempotent. Returns `s` itself when there is nothing to mask.
 *
 * **Details**
 *
 * - `https://user:pass@host` → `https://***@host`
 * - `?token=abc&page=2` → `?token=***&page=2` (also `key`, `api_key`, `apikey`, `secret`,
 *   `signature`, `sig`, `password`, `pass`, `access_token`, … and `prefix_`-joined variants)
 * - `"password": "x"` → `"password": "***"`
 * - `Authorization: Bearer abc` → `Authorization: Bearer ***`; `Bearer abc` → `Bearer ***`
 * - `Cookie: a=b; c=d` → `Cookie: ***`
 * - `sk-…`, `ghp_…`, `AKIA…`, `xoxb-…`, `AIza…`, JWTs → `***`
 *
 * @internal
 */
export const redact = (s: string): string => {
  try {
    // most messages hold none of the markers: skip every pass
    if (!mayHoldSecret.test(s)) return s
    const lower = s.toLowerCase()
    let out = s
    if (lower.includes("://") && lower.includes("@")) out = out.replace(urlCredentials, `://${MASK}@`)
    if (lower.includes("authoriz") || lower.includes("api-key") || lower.includes("-token")) {
      out = out.replace(
        header,
        (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ?? ""}${MASK}`
      )
    }
    if (lower.includes("cookie")) out = out.replace(cookie, `$1$2${MASK}`)
    if (lower.includes("bearer")) out = out.replace(bearer, `$1${MASK}`)
    if (lower.includes(":") && (lower.includes("\"") || lower.includes("'"))) {
      out = out.replace(quotedField, `$1$2$1$3$4${MASK}`)
    }
    if (lower.includes("=")) out = maskAssignments(out)
    if (mayHoldApiKey.test(out)) out = out.replace(apiKeys, MASK)
    return out
  } catch {
    return UNREADABLE
  }
}

// -----------------------------------------------------------------------------
// safe reading
// -----------------------------------------------------------------------------

const isObjectLike = (u: unknown): u is object => (typeof u === "object" && u !== null) || typeof u === "function"

/**
 * A short name for an error value: its `_tag` when it is a string, else the `name` of an
 * `Error`, else the kind of value (`"string"`, `"null"`, `"object"`, …). Truncated to
 * {@link MAX_TAG_LENGTH}; {@link UNREADABLE} when reading throws.
 *
 * @internal
 */
export const safeTag = (u: unknown): string => {
  try {
    if (u === null) return "null"
    if (!isObjectLike(u)) return typeof u
    const tag = (u as { readonly _tag?: unknown })._tag
    if (typeof tag === "string") return redact(truncate(tag, MAX_TAG_LENGTH))
    if (u instanceof Error) {
      const name = u.name
      if (typeof name === "string") return redact(truncate(name, MAX_TAG_LENGTH))
    }
    return typeof u
  } catch {
    return UNREADABLE
  }
}

/**
 * Reads at most twice the limit, so that a secret straddling the cut is still recognised, then
 * scrubs, then cuts to the limit. Nothing unscrubbed is kept: no cache holds raw messages.
 */
const fromString = (s: string): string =>
  truncate(redact(s.length > 2 * MAX_MESSAGE_LENGTH ? s.slice(0, 2 * MAX_MESSAGE_LENGTH) : s), MAX_MESSAGE_LENGTH)

/**
 * A short, scrubbed message for an error value:
 *
 * - a string error is its own message;
 * - an object's `message` property when it is a string (anything else gives `""`);
 * - numbers, booleans, bigints and symbols are printed; `null` and `undefined` give `""`.
 *
 * Cut to {@link MAX_MESSAGE_LENGTH} and passed through {@link redact}; {@link UNREADABLE} when
 * reading throws. `cause` is never read.
 *
 * @internal
 */
export const safeMessage = (u: unknown): string => {
  try {
    switch (typeof u) {
      case "string":
        return fromString(u)
      case "number":
      case "boolean":
      case "bigint":
      case "symbol":
        return fromString(String(u))
      case "undefined":
        return ""
      default: {
        if (u === null) return ""
        const message = (u as { readonly message?: unknown }).message
        return typeof message === "string" ? fromString(message) : ""
      }
    }
  } catch {
    return UNREADABLE
  }
}

/**
 * A one-line summary of a cause for a log line: the kind (failure, defect, interruption), then
 * {@link safeTag} and {@link safeMessage} of the error. Never the raw cause: a logger would render
 * its message unscrubbed, and its value may be a BigInt or a Proxy that makes the logger throw.
 * Total.
 *
 * @internal
 */
export const safeCause = (cause: Cause.Cause<unknown>): string => {
  try {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) return summary("failure", failure.value)
    const defect = Cause.dieOption(cause)
    if (Option.isSome(defect)) return summary("defect", defect.value)
    return Cause.isInterruptedOnly(cause) ? "interrupted" : "empty cause"
  } catch {
    return UNREADABLE
  }
}

const summary = (kind: string, u: unknown): string => {
  const message = safeMessage(u)
  return `${kind} ${safeTag(u)}${message === "" ? "" : `: ${message}`}`
}
