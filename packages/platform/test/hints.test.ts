/**
 * Property tests of server-hint parsing (which lives in core: `Classifier.hintFromHeaders`) on the
 * header shapes this package meets: random values never throw, never give a negative or
 * non-finite wait, and never make a request die.
 */
import { Headers } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Classifier } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Effect, Exit, TestContext } from "effect"
import * as fc from "fast-check"
import { fakeClient, runVirtual } from "./utils/fake.js"

const HINT_HEADERS = ["retry-after", "ratelimit", "ratelimit-reset", "x-ratelimit-reset"] as const

/** Values that look like hints, nearly-hints, and noise. */
const headerValue = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.integer({ min: -1e15, max: 1e15 }).map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([r, t, l]) => `"default";r=${r};t=${t}, limit=${l}`),
  fc.constantFrom("", " ", "0", "-1", "1e3", "NaN", "Infinity", "t=", ";t=;", "9".repeat(400))
)

const hintRecord = fc.dictionary(
  fc.oneof(fc.constantFrom(...HINT_HEADERS), fc.constantFrom(...HINT_HEADERS).map((h) => h.toUpperCase()), fc.string()),
  fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }))
)

const now = fc.integer({ min: 0, max: 8.64e15 })

const isValidWait = (wait: number | undefined) => wait === undefined || (Number.isFinite(wait) && wait >= 0)

describe("hint parsing never throws", () => {
  it("on plain records and Node's IncomingHttpHeaders shapes (arrays, any case)", () => {
    fc.assert(
      fc.property(hintRecord, now, (headers, t) => {
        expect(isValidWait(Classifier.hintFromHeaders(headers, t))).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  it("on @effect/platform Headers and on Fetch Headers", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...HINT_HEADERS), headerValue), now, (record, t) => {
        expect(isValidWait(Classifier.hintFromHeaders(Headers.fromInput(record), t))).toBe(true)
        let web: globalThis.Headers | undefined
        try {
          web = new globalThis.Headers(record)
        } catch {
          // Not a valid header value for Fetch: nothing to parse.
        }
        if (web !== undefined) expect(isValidWait(Classifier.hintFromHeaders(web, t))).toBe(true)
      }),
      { numRuns: 1000 }
    )
  })

  it("on any value at all, and on ResponseError-shaped errors of 429 and 503", () => {
    fc.assert(
      fc.property(fc.anything(), now, fc.constantFrom(429, 503), hintRecord, (u, t, status, headers) => {
        expect(isValidWait(Classifier.hintFromHeaders(u, t))).toBe(true)
        const error = { _tag: "ResponseError", reason: "StatusCode", response: { status, headers } }
        expect(isValidWait(Classifier.serverHint(error, t))).toBe(true)
      }),
      { numRuns: 1000 }
    )
  })

  it("Retry-After delta-seconds and HTTP-dates parse exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), now, (seconds, t) => {
        expect(Classifier.hintFromHeaders({ "retry-after": String(seconds) }, t)).toBe(seconds * 1000)
      })
    )
    fc.assert(
      fc.property(
        // IMF-fixdate has a four-digit year.
        fc.date({ min: new Date(0), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        now,
        (date, t) => {
          const at = Math.floor(date.getTime() / 1000) * 1000
          expect(Classifier.hintFromHeaders({ "retry-after": date.toUTCString() }, t)).toBe(Math.max(0, at - t))
        }
      )
    )
  })
})

describe("random hint headers through the client", () => {
  it("a 429 with any hint headers ends in a success or its ResponseError, never a defect", async () => {
    await fc.assert(
      fc.asyncProperty(hintRecord, async (headers) => {
        const sendable: Record<string, string> = {}
        for (const [name, value] of Object.entries(headers)) {
          const joined = Array.isArray(value) ? value.join(", ") : value
          try {
            new globalThis.Headers({ [name]: joined })
            sendable[name] = joined
          } catch {
            // Fetch refuses this header, so no response could carry it.
          }
        }
        const fake = fakeClient([{ status: 429, headers: sendable }, { status: 200 }])
        const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry())
        const exit = await Effect.runPromise(
          runVirtual(client.get("https://carrier.example/track/1")).pipe(Effect.provide(TestContext.TestContext))
        )
        if (Exit.isFailure(exit)) expect(exit.cause._tag).toBe("Fail")
        expect(fake.times.length).toBeLessThanOrEqual(2)
      }),
      { numRuns: 60 }
    )
  })
})
