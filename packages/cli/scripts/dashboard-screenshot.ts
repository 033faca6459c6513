/**
 * Takes a screenshot of the dashboard on a statistics database, for the docs:
 *
 *   CHROMIUM_PATH=/usr/bin/chromium npx tsx --conditions source packages/cli/scripts/dashboard-screenshot.ts \
 *     .tmp/demo-stats.db docs/img/dashboard.png
 *
 * It serves the page as `intelligent-retry serve` does, opens it in headless Chromium (the system's,
 * through puppeteer-core; nothing downloaded), waits for the charts and saves a full-page PNG.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import puppeteer from "puppeteer-core"
import * as Dashboard from "../src/internal/dashboard.js"
import * as Flags from "../src/internal/flags.js"
import * as SqlFleet from "../src/internal/sqlFleet.js"

const [db, out] = process.argv.slice(2)
const executablePath = process.env.CHROMIUM_PATH
if (db === undefined || out === undefined || executablePath === undefined) {
  console.error("usage: CHROMIUM_PATH=… dashboard-screenshot.ts <db> <out.png>")
  process.exit(1)
}

const program = Effect.gen(function*() {
  const target = Either.getOrThrow(Flags.databaseTarget(db, process.cwd()))
  const fleet = yield* SqlFleet.open(target)
  const url = yield* Dashboard.start({ fleet, port: 0, host: "127.0.0.1", refresh: Dashboard.DEFAULT_REFRESH })
  yield* Effect.promise(async () => {
    const browser = await puppeteer.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] })
    try {
      const page = await browser.newPage()
      await page.setViewport({ width: 1280, height: 900 })
      await page.goto(url, { waitUntil: "domcontentloaded" })
      await page.waitForSelector(`svg[data-chart="failures"] rect`, { timeout: 10_000 })
      await page.screenshot({ path: out, fullPage: true })
    } finally {
      await browser.close()
    }
  })
  console.log(`${url} → ${out}`)
}).pipe(Effect.scoped)

Effect.runPromise(program).then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
