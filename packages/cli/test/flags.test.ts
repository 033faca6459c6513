import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Flags from "../src/internal/flags.js"

describe("flags", () => {
  it("reads durations in milliseconds", () => {
    const cases: ReadonlyArray<readonly [string, number]> = [
      ["90s", 90_000],
      ["30m", 1_800_000],
      ["24h", 86_400_000],
      ["7d", 604_800_000],
      ["1h30m", 5_400_000],
      ["1h 30m", 5_400_000],
      ["2 hours", 7_200_000],
      ["1.5h", 5_400_000],
      ["250ms", 250],
      ["1w", 604_800_000]
    ]
    for (const [text, millis] of cases) expect(Flags.duration("since", text)).toEqual(Either.right(millis))
  })

  it("refuses malformed durations, naming the flag and the value", () => {
    for (const text of ["", "24", "h", "3x", "-5m", "0m", "1h-", "1e3s", "5 fortnights", "24h;DROP"]) {
      const result = Flags.duration("since", text)
      expect(Either.isLeft(result), text).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.flag).toBe("since")
        expect(result.left.message).toBe(
          `Invalid --since: expected a positive duration such as 30m, 24h, 7d or 1h30m (units: ms, s, m, h, d, w), got ${
            JSON.stringify(text)
          }`
        )
      }
    }
  })

  it("reads --db as an SQLite file or a PostgreSQL URL", () => {
    expect(Flags.databaseTarget("stats.db", "/srv")).toEqual(Either.right({ _tag: "Sqlite", file: "/srv/stats.db" }))
    expect(Flags.databaseTarget("/var/lib/r.db", "/srv")).toEqual(
      Either.right({ _tag: "Sqlite", file: "/var/lib/r.db" })
    )
    expect(Flags.databaseTarget("file:///var/lib/r.db", "/srv")).toEqual(
      Either.right({ _tag: "Sqlite", file: "/var/lib/r.db" })
    )
    expect(Flags.databaseTarget("file:rel.db", "/srv")).toEqual(Either.right({ _tag: "Sqlite", file: "/srv/rel.db" }))
    expect(Flags.databaseTarget("postgres://u@h:5432/stats", "/srv")).toEqual(
      Either.right({ _tag: "Postgres", url: "postgres://u@h:5432/stats" })
    )
    expect(Flags.databaseTarget("postgresql://u@h/stats", "/srv")).toEqual(
      Either.right({ _tag: "Postgres", url: "postgresql://u@h/stats" })
    )
  })

  it("refuses other schemes and incomplete PostgreSQL URLs, never printing a password", () => {
    for (const text of ["", "mysql://u@h/db", "http://h/db", "postgres://", "postgres://h", "postgres://u:pw@h:0/db"]) {
      const result = Flags.databaseTarget(text, "/srv")
      expect(Either.isLeft(result), text).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.message).toMatch(/^Invalid --db: expected /)
        expect(result.left.message).not.toContain(":pw@")
      }
    }
    expect(Flags.maskUrl("postgres://u:s3cret@h/db")).toBe("postgres://u:***@h/db")
  })
})
