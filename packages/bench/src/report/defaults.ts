/**
 * The "Defaults, untouched" section of `docs/benchmarks.md` (issue 16), from `simulation.json`'s
 * `defaults` part. Every sentence that states a finding, or a target met or missed, is built from
 * the same numbers.
 */
import type { SimulationResults } from "../sim/index.js"

type Sim = Pick<SimulationResults, "defaults" | "outage" | "rateLimit">

const secs = (ms: number): string =>
  ms >= 100_000 ? `${Math.round(ms / 1000).toLocaleString("en-US")} s` : `${(ms / 1000).toFixed(1)} s`
const num = (x: number, digits = 1): string => x.toFixed(digits)
/** A mean count: 0 exactly as "0", others with one decimal. */
const count = (x: number): string => (x === 0 ? "0" : num(x, 1))
const int = (x: number): string => Math.round(x).toLocaleString("en-US")
const ratioText = (x: number): string => `${x >= 10 ? num(x, 0) : num(x, 2)}×`
const row = (cells: ReadonlyArray<string | number>): string => `| ${cells.join(" | ")} |`
const table = (head: ReadonlyArray<string>, align: string, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  [row(head), row(align.split("").map((a) => (a === "l" ? "---" : "---:"))), ...rows.map(row)].join("\n")
const range = (xs: ReadonlyArray<number>, digits = 1): string => {
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  const show = (x: number) => (x === 0 ? "0" : num(x, digits))
  return lo === hi ? show(lo) : `${show(lo)}–${show(hi)}`
}

const variantText: Record<string, string> = {
  "delta-seconds": "`Retry-After: <seconds>`",
  "http-date": "`Retry-After: <HTTP-date>`",
  "ratelimit-t": "`RateLimit: …;t=<seconds>`",
  missing: "no hint at all"
}

const cooldownText: Record<string, string> = {
  off: "none (`withIntelligentRetry` alone)",
  first: "first attempts only",
  every: "every attempt (the HTTP transform's default)"
}

const DEFAULTS = "intelligent-retry defaults"

export const defaultsSection = (sim: Sim): string => {
  const d = sim.defaults
  const o = sim.outage.settings
  const r = sim.rateLimit.settings
  const ideal = (Math.ceil((r.clients * r.requests) / r.limit) - 1) * r.window
  const out: Array<string> = []
  out.push("## Defaults, untouched (issue 16)")
  out.push("")
  out.push(
    `The library with no layer and no option, on seed ${d.seed} (section 2's): the default budget (50 tokens, ` +
      "+0.1 per success, 0.5 per second, contention free, a hint that paces its retry free), the built-in tables, " +
      "whose `api_rate_limit` policies follow a server hint exactly (plus its spread), and, for HTTP, the platform " +
      "transform's cool-downs shared per host. Generated with the rest of this page (parts `defaults:*` of " +
      "`sim/defaults.ts`)."
  )

  // (d)
  const loads = [...new Set(d.outage.map((x) => x.load))]
  const at = (policy: string, load: number) => d.outage.find((x) => x.policy === policy && x.load === load)!
  const recovery = (x: { recoveryMs: number | undefined; amplification: number }) =>
    x.recoveryMs === undefined ? `never (${num(x.amplification)}× load)` : secs(x.recoveryMs)
  const ratio = (load: number) => {
    const a = at(DEFAULTS, load).recoveryMs
    const b = at("no retry", load).recoveryMs
    return a === undefined || b === undefined ? undefined : a / b
  }
  out.push("")
  out.push(
    `**(d) Outage and recovery** (capacity ${o.capacity}/s, ${o.outage / 1000} s outage, ${
      o.timeout / 1000
    } s timeout). Target: within 1.05× of no retry.`
  )
  out.push("")
  out.push(table(
    [
      "load",
      "no retry",
      "defaults",
      "ratio",
      "defaults, budget off",
      "20 workers, a default budget each",
      "20 workers, one shared budget"
    ],
    "rrrrrrr",
    loads.map((load) => {
      const q = ratio(load)
      return [
        `${load}/s`,
        recovery(at("no retry", load)),
        recovery(at(DEFAULTS, load)),
        q === undefined ? "—" : `${q.toFixed(3).replace(/0$/, "")}×`,
        recovery(at(`${DEFAULTS}, budget off`, load)),
        recovery(at(`${DEFAULTS}, 20 workers, a budget each`, load)),
        recovery(at(`${DEFAULTS}, 20 workers, one shared budget`, load))
      ]
    })
  ))
  const missed = loads.filter((load) => !((ratio(load) ?? Infinity) <= 1.05))
  out.push("")
  out.push(
    (missed.length === 0
      ? `Target met at every load (at most ${Math.max(...loads.map((l) => ratio(l)!)).toFixed(3)}×). `
      : `Target **missed** at ${missed.map((l) => `${l}/s`).join(", ")}. `) +
      "Twenty workers with a default budget each let twenty buckets of retries through; sharing one budget (as " +
      "`RedisRetry.layer` does) brings the fleet back to the single process's recovery."
  )

  // (b)
  const hinted = (x: { variant: string }) => x.variant !== "missing"
  const rows = (cooldown: string) => d.rateLimit.filter((x) => x.cooldown === cooldown)
  const every = rows("every")
  out.push("")
  out.push(
    `**(b) Rate limit** (${every[0].runs} runs per variant, ${int(r.clients * r.requests)} requests, ideal ${
      ideal / 1000
    } s), the requests made as the platform HTTP transform makes them by default: clients of one host share its ` +
      "cool-downs. Target: within 1.1× of the ideal, no request before a hint expires, nothing dropped."
  )
  out.push("")
  out.push(table(
    ["hint variant", "total time", "ratio", "requests before a hint expired", "dropped per run"],
    "lrrrr",
    every.map((x) => [
      variantText[x.variant],
      secs(x.timeMs),
      ratioText(x.timeMs / ideal),
      count(x.early + x.firstDuringHint),
      count(x.dropped)
    ])
  ))
  const hintedEvery = every.filter(hinted)
  const failing = hintedEvery.filter((x) =>
    !(x.timeMs <= 1.1 * ideal && x.early + x.firstDuringHint === 0 && x.dropped === 0)
  )
  const missing = every.find((x) => x.variant === "missing")!
  const tunedMissing = sim.rateLimit.rows.find((x) => x.policy === "intelligent-retry tuned" && x.variant === "missing")
  out.push("")
  out.push(
    (failing.length === 0
      ? `With a hint, every target is met: at most ${
        num(Math.max(...hintedEvery.map((x) => x.timeMs / ideal)), 2)
      }× the ideal, no request before a hint expired, nothing dropped. `
      : `Targets **missed** with ${failing.map((x) => variantText[x.variant]).join(", ")}. `) +
      `**No hint at all: ${secs(missing.timeMs)} (${
        ratioText(missing.timeMs / ideal)
      }), the guide's numbers by design**, not a missed target that a default could fix: without a hint there is ` +
      "nothing to follow or to share, and the contract keeps every isolated run exactly as the guide says, so the " +
      "built-in `api_rate_limit` policy waits 300 s, then 600 s, then 1,200 s (" +
      (missing.dropped === 0 ? "nothing dropped" : `${count(missing.dropped)} dropped per run`) +
      "). A user who knows the server's window writes a shorter policy, and a budget that does not charge a " +
      "hintless 429 (`costs: { api_rate_limit: 0 }`): a 429 without a hint costs a token, and" +
      (tunedMissing === undefined
        ? " a short policy drains the default budget."
        : ` in section 2 (b) the tuned policy (1 s backoff) under the default budget drops ${
          int(tunedMissing.dropped)
        } of ${int(r.clients * r.requests)} requests without a hint.`)
  )

  // cool-downs
  out.push("")
  out.push(
    "**(b) with and without shared cool-downs** (the defaults; the three rows of a variant share their seeds, so " +
      "they compare run for run):"
  )
  out.push("")
  out.push(table(
    [
      "hint variant",
      "cool-downs hold",
      "total time",
      "first attempts sent during another's hint",
      "429s",
      "dropped per run"
    ],
    "llrrrr",
    d.rateLimit.filter(hinted).map((x) => [
      variantText[x.variant],
      cooldownText[x.cooldown],
      secs(x.timeMs),
      x.firstDuringHint === 0 ? "**0**" : num(x.firstDuringHint, 1),
      num(x.rejected, 1),
      x.dropped === 0 ? "**0**" : num(x.dropped, 1)
    ])
  ))
  const offRows = rows("off").filter(hinted)
  const firstRows = rows("first").filter(hinted)
  out.push("")
  out.push(
    `Without shared cool-downs, ${range(offRows.map((x) => x.firstDuringHint), 0)} first attempts per run ` +
      `rediscover a limit another request already hit, and ${range(offRows.map((x) => x.dropped))} requests per ` +
      "run are dropped: clients told the same reset come back within the spread (up to 10% of the hint, at most " +
      "1 s), the window fills again in a fraction of a second, a retry that lands after that gets another 429, and " +
      `after the guide's 3 rate-limit retries the request is dropped. Holding first attempts only removes the ` +
      `rediscovery but not the drops (${range(firstRows.map((x) => x.dropped))} per run). Holding every attempt ` +
      "makes such a retry wait for the hold another request's 429 set, unsent, so it spends no retry: " +
      `${range(hintedEvery.map((x) => x.dropped))} dropped per run, and the 429s fall from ${
        range(offRows.map((x) => x.rejected), 0)
      } to ${range(hintedEvery.map((x) => x.rejected), 0)} per run. The total time is set by the window ` +
      `(${r.limit} requests per ${r.window / 1000} s), so it barely moves.`
  )

  // (a), (c)
  const c = d.contention.find((x) => x.policy === DEFAULTS)
  const jittered = d.contention.find((x) => x.policy !== DEFAULTS)
  const f = d.faultMix[0]
  out.push("")
  if (c !== undefined) {
    out.push(
      `**(a) Contention**, N = ${c.clients} (20 runs): the defaults complete **${num(c.successRate * 100, 0)}%** of ` +
        `clients (${num(c.writesPerClient, 2)} writes per client)` +
        (jittered === undefined
          ? "."
          : `; the 5 ms full-jitter policy under the default budget completes ${num(jittered.successRate * 100, 0)}% (${
            num(jittered.writesPerClient, 2)
          } writes per client; 2% with gRPC A6's bucket, which charged every ` +
            "409).")
    )
    out.push("")
  }
  if (f !== undefined) {
    out.push(
      `**(c) Fault mix** (20 runs of 1,000 requests; ${f.detail}): **${num(f.wastedAttempts, 0)}** attempts on ` +
        `data or permanent errors; ${Math.round(f.attempts).toLocaleString("en-US")} attempts; ${
          num(f.recoveryRate * 100, 1)
        }% of transient requests recovered.`
    )
  }
  return out.join("\n")
}
