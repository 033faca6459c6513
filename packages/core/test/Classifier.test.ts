import { describe, expect, it } from "@effect/vitest"
import {
  Classifier,
  classify,
  DataError,
  NetworkError,
  PermanentError,
  RateLimitError,
  SystemError,
  TemporaryError
} from "@intelligent-retry/core"
import { Cause, Duration, Effect, Schema } from "effect"

const withCode = (code: string) => Object.assign(new Error(code), { code })

describe("classify", () => {
  it("maps the six error classes to their own category", () => {
    expect(classify(new NetworkError({ message: "" }))).toBe("network_error")
    expect(classify(new RateLimitError({ message: "" }))).toBe("api_rate_limit")
    expect(classify(new DataError({ message: "" }))).toBe("data_error")
    expect(classify(new SystemError({ message: "" }))).toBe("system_error")
    expect(classify(new TemporaryError({ message: "" }))).toBe("temporary_error")
    expect(classify(new PermanentError({ message: "" }))).toBe("permanent_error")
  })

  it.each([
    "ECONNRESET",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "EPIPE",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ECONNABORTED",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_HEADERS_TIMEOUT"
  ])("Node/undici code %s is network_error", (code) => {
    expect(classify(withCode(code))).toBe("network_error")
  })

  it.each(["ENOMEM", "EMFILE", "ENFILE", "ENOSPC"])("Node code %s is system_error", (code) => {
    expect(classify(withCode(code))).toBe("system_error")
  })

  it.each(
    [
      [408, "network_error"],
      [429, "api_rate_limit"],
      [500, "temporary_error"],
      [502, "temporary_error"],
      [503, "temporary_error"],
      [504, "temporary_error"],
      [400, "data_error"],
      [422, "data_error"],
      [401, "permanent_error"],
      [403, "permanent_error"],
      [404, "permanent_error"],
      [405, "permanent_error"],
      [410, "permanent_error"],
      [501, "permanent_error"],
      [418, "permanent_error"],
      [599, "temporary_error"]
    ] as const
  )("HTTP status %i is %s, on status, statusCode or response.status", (status, category) => {
    expect(classify({ status })).toBe(category)
    expect(classify({ statusCode: status })).toBe(category)
    expect(classify({ response: { status } })).toBe(category)
  })

  it("reads @effect/platform errors by duck typing", () => {
    const request = (reason: string) => ({ _tag: "RequestError", reason })
    expect(classify(request("Transport"))).toBe("network_error")
    expect(classify(request("Encode"))).toBe("data_error")
    expect(classify(request("InvalidUrl"))).toBe("data_error")
    const response = (reason: string, status: number) => ({ _tag: "ResponseError", reason, response: { status } })
    expect(classify(response("StatusCode", 429))).toBe("api_rate_limit")
    expect(classify(response("StatusCode", 404))).toBe("permanent_error")
    expect(classify(response("Decode", 200))).toBe("data_error")
    expect(classify(response("EmptyBody", 200))).toBe("data_error")
  })

  it("a fetch TypeError('fetch failed') whose cause carries a network code is network_error", () => {
    const error = new TypeError("fetch failed", { cause: withCode("ECONNREFUSED") })
    expect(classify(error)).toBe("network_error")
    expect(classify(new TypeError("fetch failed"))).toBe("network_error")
    // a TypeError without a network cause is a programming error: permanent (issue 13)
    expect(classify(new TypeError("undefined is not a function"))).toBe("permanent_error")
  })

  it("Effect's TimeoutException is network_error and Schema's ParseError is data_error", () => {
    expect(classify(new Cause.TimeoutException())).toBe("network_error")
    const parseError = Effect.runSync(Effect.flip(Schema.decodeUnknown(Schema.Number)("x")))
    expect(classify(parseError)).toBe("data_error")
  })

  it("falls back to temporary_error, or to the configured fallback", () => {
    expect(classify(new Error("?"))).toBe("temporary_error")
    expect(classify(new Error("?"), { fallback: "permanent_error" })).toBe("permanent_error")
  })

  it("a user rule comes first; undefined, junk or a throw defers to the built-in rules", () => {
    expect(classify(withCode("ECONNRESET"), { classify: () => "data_error" })).toBe("data_error")
    expect(classify(withCode("ECONNRESET"), { classify: () => undefined })).toBe("network_error")
    expect(classify(withCode("ECONNRESET"), { classify: () => "nonsense" as any })).toBe("network_error")
    expect(classify(withCode("ECONNRESET"), {
      classify: () => {
        throw new Error("rule bug")
      }
    })).toBe("network_error")
  })

  describe("is total", () => {
    const hostile: Array<[string, unknown]> = [
      ["null", null],
      ["undefined", undefined],
      ["a number", 42],
      ["a string", "ECONNRESET"],
      ["a symbol", Symbol("x")],
      ["a BigInt", 10n],
      ["a frozen object", Object.freeze({ code: Object.freeze(["x"]) })],
      ["Object.create(null)", Object.create(null)],
      [
        "a Proxy that throws on every trap",
        new Proxy({}, {
          get: () => {
            throw new Error("get")
          },
          has: () => {
            throw new Error("has")
          },
          ownKeys: () => {
            throw new Error("ownKeys")
          },
          getPrototypeOf: () => {
            throw new Error("getPrototypeOf")
          }
        })
      ],
      [
        "a getter that throws",
        Object.defineProperty({}, "code", {
          get: () => {
            throw new Error("x")
          }
        })
      ],
      ["a 10 MB message", new Error("x".repeat(10_000_000))]
    ]
    it.each(hostile)("%s gives a category", (_, value) => {
      expect(classify(value)).toBe("temporary_error")
    })

    it("a cyclic cause chain terminates", () => {
      const a: any = new Error("a")
      const b: any = new Error("b", { cause: a })
      a.cause = b
      expect(classify(a)).toBe("temporary_error")
    })

    it("10,000 nested causes are walked only a few links deep", () => {
      let error: unknown = withCode("ECONNRESET")
      for (let i = 0; i < 10_000; i++) error = new Error(`wrap ${i}`, { cause: error })
      expect(classify(error)).toBe("temporary_error")
      expect(classify(new Error("wrap", { cause: new Error("wrap", { cause: withCode("ECONNRESET") }) }))).toBe(
        "network_error"
      )
    })
  })
})

describe("server hints", () => {
  const now = 1_700_000_000_000

  it("Retry-After as delta-seconds and as each HTTP-date form", () => {
    expect(Classifier.parseRetryAfter("120", now)).toBe(120_000)
    expect(Classifier.parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30_000)
    expect(Classifier.parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 0))).toBe(37_000)
    expect(Classifier.parseRetryAfter("Sun Nov  6 08:49:37 1994", Date.UTC(1994, 10, 6, 8, 49, 0))).toBe(37_000)
  })

  it("a past date means no extra wait; junk is ignored", () => {
    expect(Classifier.parseRetryAfter(new Date(now - 60_000).toUTCString(), now)).toBe(0)
    for (const junk of ["", "soon", "-5", "1.5", "1 2", "Tue, 99 Foo 2024 99:99:99 GMT"]) {
      expect(Classifier.parseRetryAfter(junk, now)).toBeUndefined()
    }
  })

  it("precedence: Retry-After, then RateLimit t, then X-RateLimit-Reset", () => {
    const all = { "retry-after": "5", ratelimit: "\"default\";r=0;t=10", "x-ratelimit-reset": String(now / 1000 + 20) }
    expect(Classifier.hintFromHeaders(all, now)).toBe(5000)
    expect(Classifier.hintFromHeaders({ ...all, "retry-after": "garbage" }, now)).toBe(10_000)
    expect(Classifier.hintFromHeaders({ "x-ratelimit-reset": String(now / 1000 + 20) }, now)).toBe(20_000)
    expect(Classifier.hintFromHeaders({ "x-ratelimit-reset": "7" }, now)).toBe(7000)
    expect(Classifier.hintFromHeaders({ "X-RateLimit-Reset": String(now / 1000 - 20) }, now)).toBe(0)
  })

  it("headers may be a Fetch Headers, a record with any casing, or Node's arrays", () => {
    expect(Classifier.hintFromHeaders(new Headers({ "Retry-After": "3" }), now)).toBe(3000)
    expect(Classifier.hintFromHeaders({ "Retry-After": "3" }, now)).toBe(3000)
    expect(Classifier.hintFromHeaders({ "retry-after": ["4", "9"] }, now)).toBe(4000)
  })

  it("serverHint reads a RateLimitError, or headers of a 429/503 along the cause chain", () => {
    expect(Classifier.serverHint(new RateLimitError({ message: "", retryAfter: Duration.seconds(9) }), now)).toBe(9000)
    expect(Classifier.serverHint({ status: 429, headers: { "retry-after": "2" } }, now)).toBe(2000)
    expect(Classifier.serverHint({ response: { status: 503, headers: { "retry-after": "2" } } }, now)).toBe(2000)
    expect(
      Classifier.serverHint(new Error("wrapped", { cause: { status: 429, headers: { "retry-after": "2" } } }), now)
    )
      .toBe(2000)
    // a Retry-After on a 500 or a 200 is not a retry hint
    expect(Classifier.serverHint({ status: 500, headers: { "retry-after": "2" } }, now)).toBeUndefined()
    expect(Classifier.serverHint(null, now)).toBeUndefined()
  })
})
