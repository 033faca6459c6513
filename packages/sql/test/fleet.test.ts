/**
 * The fleet: three separate Node processes (spawned with node directly, not npx) record into one
 * SQLite file, and into one PostgreSQL database; after they flush, the fleet-wide analysis is the
 * sum of their three local analyses.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describeWithServices, serviceUrl } from "../../../test/services.js"
import { additive, pgLayer, scratchDatabase, sumOf, tempDir } from "./utils.js"

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fleetChild.ts")

const child = (args: ReadonlyArray<string>) =>
  Effect.async<ReturnType<typeof additive>, Error>((resume) => {
    const proc = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fixture, ...args], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    proc.stdout.on("data", (b: Buffer) => out.push(b))
    proc.stderr.on("data", (b: Buffer) => err.push(b))
    proc.on("close", (code) => {
      if (code !== 0) {
        resume(Effect.fail(new Error(`child ${args.join(" ")} exited ${code}: ${Buffer.concat(err).toString()}`)))
      } else resume(Effect.succeed(JSON.parse(Buffer.concat(out).toString())))
    })
    return Effect.sync(() => proc.kill("SIGKILL"))
  })

const threeProcesses = (kind: "sqlite" | "pg", target: string) =>
  Effect.all([0, 1, 2].map((i) => child([kind, target, String(i)])), { concurrency: "unbounded" })

describe("fleet: three processes, one SQLite file", () => {
  it.live("the fleet-wide analysis equals the sum of the three local analyses", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const filename = path.join(dir, "fleet.db")
      const locals = yield* threeProcesses("sqlite", filename)
      const read = Effect.provide(SqlRetryStats.layerSqlite({ filename }))
      const fleet = yield* SqlRetryStats.analyzeTaskErrors().pipe(read)
      expect(additive(fleet)).toEqual(sumOf(locals))
      expect(fleet.totalErrors).toBe(locals.reduce((n, l) => n + l.totalErrors, 0))
      const shared = yield* SqlRetryStats.analyzeTaskErrors("shared").pipe(read)
      // process i records 20 + 3i + m runs in each minute m of three
      expect(shared.totalErrors).toBe(216)
      const statistics = yield* SqlRetryStats.getErrorStatistics.pipe(read)
      expect(Object.keys(statistics.byTask).some((t) => t.includes("sk_live"))).toBe(false)
      expect(statistics.byTask["GET /u?api_key=***"].totalErrors).toBe(18)
    }).pipe(Effect.scoped), 60_000)
})

describeWithServices("fleet: three processes, one PostgreSQL database", ["postgres"], () => {
  it.live("the fleet-wide analysis equals the sum of the three local analyses", () =>
    Effect.gen(function*() {
      const db = yield* scratchDatabase(serviceUrl("postgres"), "fleet")
      const locals = yield* threeProcesses("pg", db.url)
      const read = Effect.provide(SqlRetryStats.layer().pipe(Layer.provideMerge(pgLayer(db.url))))
      const fleet = yield* SqlRetryStats.analyzeTaskErrors().pipe(read)
      expect(additive(fleet)).toEqual(sumOf(locals))
      expect(fleet.suggestions.map((s) => s.code)).toEqual(
        yield* SqlRetryStats.analyzeTaskErrors().pipe(read, Effect.map((a) => a.suggestions.map((s) => s.code)))
      )
      const own = yield* SqlRetryStats.analyzeTaskErrors("own-1").pipe(read)
      expect(own.categoryDistribution.api_rate_limit).toBe(3 * 6)
    }).pipe(Effect.scoped), 60_000)
})
