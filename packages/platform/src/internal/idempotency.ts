/**
 * Which requests may be sent again, and which failures prove that a request never reached the
 * server.
 *
 * @internal
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Classifier } from "@intelligent-retry/core"

/** Methods that RFC 9110 §9.2.2 defines as idempotent. @internal */
export const idempotentMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"])

/**
 * Error codes of failures before the request was written: the TCP connection was never
 * established, so the server cannot have seen a byte of it. Envoy's `connect-failure` and
 * gRPC's transparent retry (gRFC A6) retry exactly this class for any method.
 *
 * @internal
 */
export const connectFailureCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT"
])

/** @internal */
export const IDEMPOTENCY_KEY = "idempotency-key"

/**
 * Whether a request may be sent twice with the effect of once: an idempotent method, or an
 * `Idempotency-Key` header (IETF draft-ietf-httpapi-idempotency-key-header).
 *
 * @internal
 */
export const isIdempotent = (request: HttpClientRequest.HttpClientRequest): boolean =>
  idempotentMethods.has(request.method) || hasIdempotencyKey(request)

const hasIdempotencyKey = (request: HttpClientRequest.HttpClientRequest): boolean => {
  const value = (request.headers as Record<string, string | undefined>)[IDEMPOTENCY_KEY]
  return typeof value === "string" && value.trim() !== ""
}

/**
 * Whether the body of a request can be sent again. A `Stream` body is consumed by the first
 * attempt, and so is a `Raw` body that is not plain bytes or text (a `ReadableStream`, a Node
 * stream).
 *
 * @internal
 */
export const isReplayable = (request: HttpClientRequest.HttpClientRequest): boolean => {
  const body = request.body
  switch (body._tag) {
    case "Stream":
      return false
    case "Raw": {
      const raw = body.body
      return raw === null || raw === undefined || typeof raw === "string" || raw instanceof Uint8Array ||
        raw instanceof ArrayBuffer || raw instanceof URLSearchParams ||
        (typeof Blob !== "undefined" && raw instanceof Blob)
    }
    default:
      return true
  }
}

const MAX_DEPTH = 8
const MAX_AGGREGATE = 4

const read = (u: unknown, key: string): unknown => {
  if ((typeof u !== "object" || u === null) && typeof u !== "function") return undefined
  try {
    return (u as any)[key]
  } catch {
    return undefined
  }
}

const hasConnectCode = (u: unknown): boolean => {
  const code = read(u, "code")
  return typeof code === "string" && connectFailureCodes.has(code)
}

/**
 * Whether an error proves that its request never reached the server: a connect-failure code on
 * the error or along its `cause` chain (at most 8 links, and the first 4 `errors` of an
 * `AggregateError`, as Node gives when every address of a host refused). Never throws, whatever
 * the value.
 *
 * @internal
 */
export const cannotHaveReachedServer = (error: unknown): boolean => {
  try {
    let current = error
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if ((typeof current !== "object" || current === null) && typeof current !== "function") return false
      if (hasConnectCode(current)) return true
      const errors = read(current, "errors")
      if (Array.isArray(errors) && errors.length > 0) {
        let all = true
        const n = Math.min(errors.length, MAX_AGGREGATE)
        for (let i = 0; i < n && all; i++) all = hasConnectCode(errors[i])
        if (all) return true
      }
      current = read(current, "cause")
    }
    return false
  } catch {
    // A revoked Proxy makes even `Array.isArray` throw: no proof, so not replayable.
    return false
  }
}

/**
 * Whether an error is a 429 that carries a server hint (`Retry-After`, `RateLimit`,
 * `X-RateLimit-Reset`). RFC 6585 §4: a 429 says the server refused the request because of its rate;
 * with a hint, the server declares when to come back, so a request that is not idempotent may be
 * sent again. Never throws.
 *
 * @internal
 */
export const isHintedRateLimit = (error: unknown): boolean => {
  const status = read(error, "status") ?? read(read(error, "response"), "status")
  // any instant works to ask whether a hint is there: the wait itself is computed by the run
  return status === 429 && Classifier.serverHint(error, 0) !== undefined
}

/**
 * The veto of a request that is not safe to send twice: retried only after a failure that proves
 * it never reached the server, or a 429 with a server hint.
 *
 * @internal
 */
export const mayResend = (error: unknown): boolean => cannotHaveReachedServer(error) || isHintedRateLimit(error)
