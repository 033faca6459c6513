/// <reference lib="dom" />
/**
 * The dashboard, checked as a person would: `intelligent-retry serve` (the built binary) on a
 * database filled by real runs through `SqlRetryStats.layer`, opened in headless Chromium
 * (Debian's, driven by puppeteer-core; nothing downloaded). The numbers on the page must equal
 * `SqlRetryStats.analyzeTaskErrors`; more failures recorded must show up within seconds.
 */
import * as LibsqlClient from "@effect/sql-libsql/LibsqlClient"
import { RetryStats } from "@intelligent-retry/core"
import { SqlRetryStats } from "@intelligent-retry/sql"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Browser, Page } from "puppeteer-core"
import puppeteer from "puppeteer-core"
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeWithServices, serviceUrl } from "../../../test/services.js"
import { bin, ensureBuilt, root } from "./binary.js"
import { healthy, outage, runScripts, times } from "./fixtures.js"

const output = path.join(root, ".tmp/test-output/cli-dashboard")
const file = path.join(output, `stats-${process.pid}.db`)

const client = () => LibsqlClient.layer({ url: `file:${file}` })

/** Records through a fresh `SqlRetryStats.layer`, then flushes: what a worker does. */
const record = (runs: Effect.Effect<void>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      yield* runs
      yield* RetryStats.flush
    }).pipe(Effect.provide(SqlRetryStats.layer().pipe(Layer.provide(client()))))
  )

/** What the store says, as the page must show it. */
const analyses = (tasks: ReadonlyArray<string | undefined>) =>
  Effect.runPromise(
    Effect.forEach(tasks, (task) => SqlRetryStats.analyzeTaskErrors(task)).pipe(Effect.provide(client()))
  )

interface Shown {
  readonly totalErrors: number
  readonly retries: number
  readonly runs: number
  readonly recovered: number
  readonly failedRuns: number
  readonly recoveryRate: number
  readonly suggestions: ReadonlyArray<readonly [string, string]>
  readonly charted: number
}

/** Reads one panel's numbers back from the page: `"*"` is the fleet. */
const shown = (page: Page, key: string): Promise<Shown> =>
  page.evaluate((key) => {
    const panel = document.querySelector(`[data-panel="${CSS.escape(key)}"]`)
    if (panel === null) throw new Error(`no panel ${key}`)
    const value = (field: string) => Number(panel.querySelector(`[data-field="${field}"]`)!.getAttribute("data-value"))
    return {
      totalErrors: value("totalErrors"),
      retries: value("retries"),
      runs: value("runs"),
      recovered: value("recovered"),
      failedRuns: value("failedRuns"),
      recoveryRate: value("recoveryRate"),
      suggestions: Array.from(panel.querySelectorAll("[data-code]")).map((li) =>
        [li.getAttribute("data-code")!, li.getAttribute("data-severity")!] as const
      ),
      charted: Number(panel.querySelector(`svg[data-chart="failures"]`)!.getAttribute("data-total"))
    }
  }, key)

const expected = (a: Awaited<ReturnType<typeof analyses>>[number]): Shown => ({
  totalErrors: a.totalErrors,
  retries: a.retries,
  runs: a.runs,
  recovered: a.recovered,
  failedRuns: a.failedRuns,
  recoveryRate: a.recoveryRate,
  suggestions: a.suggestions.map((s) => [s.code, s.severity] as const),
  // every failure was recorded in the last hour, so the chart holds them all
  charted: a.totalErrors
})

describeWithServices("intelligent-retry serve, in headless Chromium", ["chromium"], () => {
  let server: ReturnType<typeof spawn> | undefined
  let browser: Browser | undefined

  beforeAll(async () => {
    fs.mkdirSync(output, { recursive: true })
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
    await ensureBuilt()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    server?.kill("SIGTERM")
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(file + suffix, { force: true })
  })

  it("shows what SqlRetryStats.analyzeTaskErrors returns, and updates live as workers flush", async () => {
    // two workers, two separate stores, one database
    await record(healthy)
    await record(runScripts("update_tracking_info", times(3, ["network", "ok"])))

    const child = spawn(process.execPath, [bin, "serve", "--db", file, "--port", "0", "--refresh", "500ms"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    server = child
    let stderr = ""
    child.stderr!.on("data", (chunk) => (stderr += chunk))
    const url = await new Promise<string>((resolve, reject) => {
      let out = ""
      child.stdout!.on("data", (chunk) => {
        out += chunk
        const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)
        if (match) resolve(match[1])
      })
      child.on("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
      setTimeout(() => reject(new Error(`serve printed no URL within 20 s: ${out} ${stderr}`)), 20_000)
    })

    browser = await puppeteer.launch({
      executablePath: serviceUrl("chromium"),
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
    })
    const page = await browser.newPage()
    await page.setViewport({ width: 1280, height: 900 })
    const requests: Array<string> = []
    page.on("request", (request) => requests.push(request.url()))
    await page.goto(url, { waitUntil: "domcontentloaded" })
    await page.waitForSelector(`[data-panel="update_tracking_info"] svg[data-chart="failures"] rect`, {
      timeout: 10_000
    })

    const tasks = ["update_tracking_info", "capture_screenshot"] as const
    const before = await analyses([undefined, ...tasks])
    expect(await shown(page, "*")).toEqual(expected(before[0]))
    for (const [i, task] of tasks.entries()) expect(await shown(page, task)).toEqual(expected(before[i + 1]))
    // the page is self-contained: every request went to the server itself
    expect(requests.every((r) => r.startsWith(url))).toBe(true)
    // samples are shown redacted
    const samples = await page.$$eval("[data-sample]", (rows) => rows.map((r) => r.textContent ?? ""))
    expect(samples.length).toBeGreaterThan(0)
    expect(samples.join("\n")).not.toContain("sk_live_4242424242")

    // a third worker flushes more failures, a new task among them: the page follows within seconds
    const version = Number(await page.$eval("body", (b) => b.getAttribute("data-version")))
    const flushedAt = Date.now()
    await record(outage("sync_orders", 12))
    const after = await analyses([undefined, "sync_orders"])
    await page.waitForFunction(
      (total) =>
        document.querySelector(`[data-panel="*"] [data-field="totalErrors"]`)?.getAttribute("data-value") ===
          String(total),
      { timeout: 5_000, polling: 100 },
      after[0].totalErrors
    )
    const tookMillis = Date.now() - flushedAt
    expect(tookMillis).toBeLessThan(5_000)
    expect(Number(await page.$eval("body", (b) => b.getAttribute("data-version")))).toBeGreaterThan(version)
    await page.waitForSelector(`[data-panel="sync_orders"] [data-code="TRANSIENT_ERRORS_EXHAUSTED"]`)
    expect(await shown(page, "*")).toEqual(expected(after[0]))
    expect(await shown(page, "sync_orders")).toEqual(expected(after[1]))

    await page.screenshot({ path: path.join(output, "dashboard.png"), fullPage: true })
    fs.writeFileSync(
      path.join(output, "measurements.json"),
      JSON.stringify({ pageUpdatedAfterFlushMillis: tookMillis })
    )
    expect(fs.statSync(path.join(output, "dashboard.png")).size).toBeGreaterThan(10_000)
  }, 120_000)
})
