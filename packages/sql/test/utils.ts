/**
 * Helpers of the SQL tests: a throwaway PostgreSQL database per test file, temporary SQLite
 * files, recording at a given time, and a TCP proxy that can be cut to stop a database.
 */
import { PgClient } from "@effect/sql-pg"
import { RetryStats } from "@intelligent-retry/core"
import { Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

/** A fresh PostgreSQL database on the server of `DATABASE_URL`, dropped when the scope closes. */
export const scratchDatabase = (url: string, label: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const name = `h14_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
      yield* admin(url, `CREATE DATABASE ${name}`)
      const u = new URL(url)
      u.pathname = `/${name}`
      return { name, url: u.toString() }
    }),
    ({ name }) => admin(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.orDie)
  )

const admin = (url: string, statement: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql.unsafe(statement)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url) })), Effect.scoped, Effect.orDie)

export const pgLayer = (url: string) => PgClient.layer({ url: Redacted.make(url) })

/** A temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "h14-sql-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** Records `n` failures of `task` (and a retry and an outcome for each) at time `now`. */
export const recordRuns = (
  store: RetryStats.RetryStatsService,
  task: string,
  category: "network_error" | "data_error" | "api_rate_limit",
  n: number,
  now: number
) => {
  for (let i = 0; i < n; i++) {
    store.unsafeRecordFailure(task, category, new Error(`boom ${i} token=secret${i}`), 1, now)
    store.unsafeRecordRetry(task, category, 100, now)
    store.unsafeRecordOutcome(task, i % 2 === 0 ? "recovered" : "exhausted", category, 1, now)
  }
}

/** The parts of an analysis that must add up across processes. */
export const additive = (a: RetryStats.ErrorAnalysis) => ({
  totalErrors: a.totalErrors,
  categoryDistribution: a.categoryDistribution,
  retries: a.retries,
  waitMillis: a.waitMillis,
  outcomes: a.outcomes,
  retriesByCategory: a.retriesByCategory,
  runs: a.runs,
  recovered: a.recovered,
  failedRuns: a.failedRuns
})

/** Sums the additive parts of analyses. */
export const sumOf = (list: ReadonlyArray<ReturnType<typeof additive>>) => {
  const add = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(Object.keys(a).map((k) => [k, a[k] + b[k]]))
  return list.reduce((acc, x) => ({
    totalErrors: acc.totalErrors + x.totalErrors,
    categoryDistribution: add(acc.categoryDistribution, x.categoryDistribution) as any,
    retries: acc.retries + x.retries,
    waitMillis: acc.waitMillis + x.waitMillis,
    outcomes: add(acc.outcomes, x.outcomes) as any,
    retriesByCategory: add(acc.retriesByCategory, x.retriesByCategory) as any,
    runs: acc.runs + x.runs,
    recovered: acc.recovered + x.recovered,
    failedRuns: acc.failedRuns + x.failedRuns
  }))
}

/**
 * A TCP proxy on 127.0.0.1 (port 0) to `target`: `cut` closes the listener and every connection
 * (the database looks stopped), `restore` listens again on the same port.
 */
export const tcpProxy = (targetHost: string, targetPort: number) =>
  Effect.acquireRelease(
    Effect.async<{ port: number; cut: () => Promise<void>; restore: () => Promise<void> }>((resume) => {
      const sockets = new Set<net.Socket>()
      const make = () =>
        net.createServer((client) => {
          const upstream = net.connect(targetPort, targetHost)
          sockets.add(client)
          sockets.add(upstream)
          client.pipe(upstream).pipe(client)
          const close = () => {
            client.destroy()
            upstream.destroy()
            sockets.delete(client)
            sockets.delete(upstream)
          }
          client.on("error", close).on("close", close)
          upstream.on("error", close).on("close", close)
        })
      let server = make()
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port
        resume(Effect.succeed({
          port,
          cut: () =>
            new Promise<void>((done) => {
              for (const s of sockets) s.destroy()
              sockets.clear()
              server.close(() => done())
            }),
          restore: () =>
            new Promise<void>((done) => {
              server = make()
              server.listen(port, "127.0.0.1", () => done())
            })
        }))
      })
    }),
    (proxy) => Effect.promise(() => proxy.cut())
  )

export const provideLayer = <A, E, R, ROut, E2, RIn>(
  effect: Effect.Effect<A, E, R>,
  layer: Layer.Layer<ROut, E2, RIn>
) => Effect.provide(effect, layer)
