import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  MAX_MESSAGE_LENGTH,
  MAX_TAG_LENGTH,
  redact,
  safeMessage,
  safeTag,
  truncate,
  UNREADABLE
} from "../src/internal/redact.js"

describe("redact: each secret form", () => {
  it("credentials in URLs", () => {
    expect(redact("GET https://user:p4ss@api.example.com/v1 failed")).toBe("GET https://***@api.example.com/v1 failed")
    expect(redact("postgres://admin:s3cr3t@db.internal:5432/app")).toBe("postgres://***@db.internal:5432/app")
    expect(redact("redis://:pw@cache:6379")).toBe("redis://***@cache:6379")
    expect(redact("https://token@github.com/org/repo.git")).toBe("https://***@github.com/org/repo.git")
    // an @ after the host is not user info
    expect(redact("https://example.com/users/@bob")).toBe("https://example.com/users/@bob")
  })

  it("secret query parameters, whatever their case or prefix", () => {
    expect(redact("https://api.example.com/x?token=abc123&page=2")).toBe("https://api.example.com/x?token=***&page=2")
    expect(redact("?key=k&api_key=a&apikey=b&api-key=c&secret=s&client_secret=cs")).toBe(
      "?key=***&api_key=***&apikey=***&api-key=***&secret=***&client_secret=***"
    )
    expect(redact("?signature=x&sig=y&X-Amz-Signature=z&password=p&pass=q&access_token=t&refresh_token=r")).toBe(
      "?signature=***&sig=***&X-Amz-Signature=***&password=***&pass=***&access_token=***&refresh_token=***"
    )
    expect(redact("?TOKEN=abc#frag")).toBe("?TOKEN=***#frag")
    expect(redact("login failed: password = hunter2, user = bob")).toBe("login failed: password = ***, user = bob")
    expect(redact("padding token=YWJj== kept")).toBe("padding token=*** kept")
  })

  it("Authorization headers and bearer tokens", () => {
    expect(redact("Authorization: Bearer eyJabc.def")).toBe("Authorization: Bearer ***")
    expect(redact("authorization: Basic dXNlcjpwYXNz")).toBe("authorization: Basic ***")
    expect(redact("Proxy-Authorization: Digest abc")).toBe("Proxy-Authorization: Digest ***")
    expect(redact("Authorization: sometoken123")).toBe("Authorization: ***")
    expect(redact("X-Api-Key: k-123456")).toBe("X-Api-Key: ***")
    expect(redact("sent bearer abc.def-ghi_jkl~ to upstream")).toBe("sent bearer *** to upstream")
    expect(redact("{\"authorization\":\"Bearer xyz\"}")).toBe("{\"authorization\":\"Bearer ***\"}")
    expect(redact("Cookie: session=abc; theme=dark\nnext line")).toBe("Cookie: ***\nnext line")
  })

  it("JSON fields with secret names", () => {
    expect(redact("{\"password\": \"hunter2\", \"client_secret\":\"xyz\", \"name\": \"bob\"}")).toBe(
      "{\"password\": \"***\", \"client_secret\":\"***\", \"name\": \"bob\"}"
    )
    expect(redact("{'api_key': 'abc'}")).toBe("{'api_key': '***'}")
  })

  it("API keys with well-known prefixes", () => {
    const keys = [
      "sk-abcdefghijklmnopqrstuvwxyz012345",
      "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
      "sk_live_abcdefghijklmnop1234",
      "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
      "AKIAIOSFODNN7EXAMPLE",
      "xoxb-1234567890-abcdefghij",
      "AIzaSyA1234567890abcdefghijklmnopqrstuv",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    ]
    for (const key of keys) expect(redact(`failed with ${key} at step 2`)).toBe("failed with *** at step 2")
  })

  it("leaves ordinary text alone: no false positives", () => {
    const plain = [
      "connection reset by peer",
      "ECONNREFUSED 10.0.0.1:5432",
      "order 5f3c2a1b-9d8e-4c7f-a6b5-0123456789ab not found",
      "monkey=banana keyboard=qwerty",
      "missing key: user_id",
      "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 mismatch",
      "https://api.example.com/v1/orders?page=2&limit=50",
      "task sk-1 failed" // too short to be a key
    ]
    for (const s of plain) expect(redact(s)).toBe(s)
  })

  it("property: idempotent", () =>
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const once = redact(s)
      expect(redact(once)).toBe(once)
    })))

  it("property: a secret in any supported position never survives, even across the 500-character cut", () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,40}$/).map((s) => `S3cr3t${s}`)
    const template = fc.constantFrom(
      (x: string) => `https://bob:${x}@host/path`,
      (x: string) => `https://host/path?page=1&token=${x}&q=2`,
      (x: string) => `https://host/path?api_key=${x}`,
      (x: string) => `POST /login password=${x}`,
      (x: string) => `Authorization: Bearer ${x}`,
      (x: string) => `Authorization: ${x}`,
      (x: string) => `upstream said bearer ${x}`,
      (x: string) => `{"secret": "${x}"}`,
      (x: string) => `X-Api-Key: ${x}`
    )
    fc.assert(
      fc.property(secret, template, fc.string({ maxLength: 600 }), fc.string({ maxLength: 50 }), (x, t, pre, post) => {
        // keep the surroundings from gluing onto the secret's name or value
        const message = `${pre} ${t(x)} ${post}`
        expect(safeMessage({ message })).not.toContain(x)
        expect(redact(message)).not.toContain(x)
      })
    )
  })
})

describe("safe reading of error values", () => {
  it("tags: _tag, else Error name, else the kind of value", () => {
    expect(safeTag({ _tag: "NetworkError" })).toBe("NetworkError")
    expect(safeTag(new TypeError("x"))).toBe("TypeError")
    expect(safeTag(null)).toBe("null")
    expect(safeTag(undefined)).toBe("undefined")
    expect(safeTag("oops")).toBe("string")
    expect(safeTag(10n)).toBe("bigint")
    expect(safeTag({ _tag: 1 })).toBe("object")
    expect(safeTag({ _tag: "T".repeat(1000) })).toHaveLength(MAX_TAG_LENGTH)
  })

  it("messages: strings, message properties and printable primitives", () => {
    expect(safeMessage("plain")).toBe("plain")
    expect(safeMessage(new Error("boom"))).toBe("boom")
    expect(safeMessage(42)).toBe("42")
    expect(safeMessage(Symbol("s"))).toBe("Symbol(s)")
    expect(safeMessage(10n)).toBe("10")
    expect(safeMessage(null)).toBe("")
    expect(safeMessage({ message: { toString: () => "not read" } })).toBe("")
  })

  it("a value that throws when read gives the placeholder", () => {
    const proxy = new Proxy({}, {
      get: () => {
        throw new Error("trap")
      },
      getPrototypeOf: () => {
        throw new Error("trap")
      }
    })
    const getters = Object.defineProperties({}, {
      _tag: {
        get: () => {
          throw new Error("tag")
        }
      },
      message: {
        get: () => {
          throw new Error("message")
        }
      }
    })
    const { proxy: revoked, revoke } = Proxy.revocable({}, {})
    revoke()
    for (const u of [proxy, getters, revoked]) {
      expect(safeTag(u)).toBe(UNREADABLE)
      expect(safeMessage(u)).toBe(UNREADABLE)
    }
  })

  it("a 10 MB message is cut to 500 characters quickly and does not keep the original alive", () => {
    const huge = "a".repeat(10 * 1024 * 1024)
    const start = performance.now()
    const message = safeMessage({ message: huge })
    expect(performance.now() - start).toBeLessThan(50)
    expect(message).toHaveLength(MAX_MESSAGE_LENGTH)
    expect(message.endsWith("…")).toBe(true)
  })

  it("truncation never splits a surrogate pair", () => {
    const s = "a".repeat(MAX_MESSAGE_LENGTH - 2) + "😀😀"
    const cut = truncate(s, MAX_MESSAGE_LENGTH)
    expect(cut).toBe("a".repeat(MAX_MESSAGE_LENGTH - 2) + "…")
    expect(() => encodeURIComponent(cut)).not.toThrow()
  })

  it("property: any string becomes at most 500 well-formed characters", () =>
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 2000 }), (s) => {
      const m = safeMessage(s)
      expect(m.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH)
      expect(() => encodeURIComponent(m)).not.toThrow()
    })))

  it("property: no value makes the readers throw", () =>
    fc.assert(fc.property(fc.anything({ withBigInt: true, withNullPrototype: true }), (u) => {
      expect(typeof safeTag(u)).toBe("string")
      expect(typeof safeMessage(u)).toBe("string")
    })))
})
