/**
 * The circuit breaker's section of `docs/benchmarks.md`, from `simulation.json`'s `breaker` part.
 * Every sentence that states a finding is built from the same numbers.
 */
import type { SimulationResults } from "../sim/index.js"

type Breaker = SimulationResults["breaker"]

const secs = (ms: number | undefined): string =>
  ms === undefined ? "**never**" : ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`
const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`
const int = (x: number): string => Math.round(x).toLocaleString("en-US")
const row = (cells: ReadonlyArray<string | number>): string => `| ${cells.join(" | ")} |`
const table = (head: ReadonlyArray<string>, align: string, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  [row(head), row(align.split("").map((a) => (a === "l" ? "---" : "---:"))), ...rows.map(row)].join("\n")

const isBreaker = (policy: string) => policy.endsWith("+ breaker")
const base = (policy: string) => policy.replace(/ \+ breaker$/, "")

export const breakerSection = (b: Breaker): string => {
  const out: Array<string> = []
  const d = b.settings.outage
  const rowsOf = (scenario: string) => b.shedding.filter((r) => r.scenario === scenario)
  const at = (scenario: string, policy: string, load: number) =>
    b.shedding.find((r) => r.scenario === scenario && r.policy === policy && r.load === load)
  out.push("### (e) The circuit breaker")
  out.push("")
  out.push(
    "`withCircuitBreaker` with its defaults (open after 5 consecutive counted failures, or above 50% of at least 20 " +
      "runs in 10 s; 5 s break; one probe), outside the retry, driven by the library's own breaker state machine " +
      "(`CircuitBreaker.makeCircuits`, `sim/breaker.ts`): each logical request is admitted or shed before its first " +
      "attempt, and its end (success, or the policy giving up, classified by the library) is what the breaker " +
      "counts. Same seeds and arrivals as (d); a shed request fails at once, without an attempt."
  )
  const scenarioText: Record<string, string> = {
    outage: `(d) again: a ${d.outage / 1000} s stall from ${d.outageStart / 1000} s, the queue kept.`,
    "hard-down": `A hard-down: the same server stalled for ${
      b.settings["hard-down"].outage / 1000
    } s, the queue kept (${b.settings["hard-down"].horizon / 1000} s simulated).`,
    "drop-abandoned": `A well-behaved server: the (d) outage, but the server drops a request whose caller has ` +
      "already timed out instead of serving it."
  }
  for (const scenario of Object.keys(b.settings)) {
    out.push("")
    out.push(`**${scenarioText[scenario] ?? scenario}**`)
    out.push("")
    out.push(
      table(
        [
          "Policy",
          "load",
          "time to recovery",
          "goodput, 30 s after",
          "attempts timed out",
          "requests failed",
          "failed call, mean",
          "shed",
          "opens"
        ],
        "lrrrrrrrr",
        rowsOf(scenario).map((r) => [
          isBreaker(r.policy) ? `**${r.policy}**` : r.policy,
          `${r.load}/s`,
          secs(r.recoveryMs),
          pct(r.goodputAfter, 0),
          int(r.timedOut),
          int(r.failed),
          `${int(r.failedLatencyMs)} ms`,
          int(r.shed),
          r.opens
        ])
      )
    )
  }
  // the targets of the breaker issue, stated from the numbers
  const findings: Array<string> = []
  const withBudget = b.shedding.find((r) => r.policy.endsWith("+ budget"))?.policy ?? ""
  const breakerBudget = `${withBudget} + breaker`
  const outageLoads = [...new Set(rowsOf("outage").map((r) => r.load))]
  findings.push(
    `(d) with the breaker in front of ${withBudget}: recovery ${
      outageLoads.map((l) => `${secs(at("outage", breakerBudget, l)?.recoveryMs)} at ${l}/s`).join(", ")
    } (target ≤ 3 s; without: ${outageLoads.map((l) => secs(at("outage", withBudget, l)?.recoveryMs)).join(", ")}).`
  )
  const hardLoads = [...new Set(rowsOf("hard-down").map((r) => r.load))]
  findings.push(
    "Hard-down, attempts that waited for the timeout: " +
      hardLoads.map((l) => {
        const w = at("hard-down", breakerBudget, l)
        const wo = at("hard-down", withBudget, l)
        return w === undefined || wo === undefined
          ? `n/a at ${l}/s`
          : `${int(w.timedOut)} against ${int(wo.timedOut)} at ${l}/s (${pct(w.timedOut / wo.timedOut)})`
      }).join(", ") +
      " (target ≤ 2%); failed calls took " +
      hardLoads.map((l) => `${int(at("hard-down", breakerBudget, l)?.failedLatencyMs ?? NaN)} ms`).join(" and ") +
      " on average instead of " +
      hardLoads.map((l) => `${int(at("hard-down", withBudget, l)?.failedLatencyMs ?? NaN)} ms`).join(" and ") +
      " (target ≤ 100 ms)."
  )
  const dropLoads = [...new Set(rowsOf("drop-abandoned").map((r) => r.load))]
  const bound = (l: number) => (at("drop-abandoned", "no retry", l)?.recoveryMs ?? NaN) + d.timeout + 5_000
  findings.push(
    "A server that drops abandoned requests recovers at once without a breaker; with it, " +
      dropLoads.map((l) =>
        `${secs(at("drop-abandoned", breakerBudget, l)?.recoveryMs)} at ${l}/s (bound: no retry + break + timeout = ${
          secs(bound(l))
        })`
      ).join(", ") +
      ". The cost is the break itself: the goodput of the 30 s after the outage falls from " +
      dropLoads.map((l) => pct(at("drop-abandoned", withBudget, l)?.goodputAfter ?? NaN, 0)).join(", ") +
      " to " +
      dropLoads.map((l) => pct(at("drop-abandoned", breakerBudget, l)?.goodputAfter ?? NaN, 0)).join(", ") +
      ": the breaker cannot tell a server that sheds its own abandoned work from one that piles it up."
  )
  out.push("")
  out.push(findings.join(" "))

  out.push("")
  out.push(
    "**(b) and (c) behind the breaker.** It must be category-aware: 429s and the normal transient background must " +
      "not open it. (b)'s runner has no admission step, so the breaker counts every run there; a breaker that never " +
      "opens never sheds. (c) runs with admission."
  )
  out.push("")
  const variants = [...new Set(b.rateLimit.map((r) => r.variant))]
  const policies = [...new Set(b.rateLimit.map((r) => r.policy))]
  out.push(
    table(
      ["Policy", ...variants.map((v) => `(b) opens, ${v}`)],
      "l" + "r".repeat(variants.length),
      policies.map((p) => [
        `**${p}**`,
        ...variants.map((v) => b.rateLimit.find((r) => r.policy === p && r.variant === v)?.opens ?? "n/a")
      ])
    )
  )
  out.push("")
  const runs = b.faultMix[0]?.runs ?? 0
  out.push(
    table(
      ["Policy", "(c) opens", "requests shed", "healthy requests shed", "succeeded per run", "without the breaker"],
      "lrrrrr",
      b.faultMix.map((r) => [
        `**${r.policy}**`,
        r.opens,
        r.shed,
        r.healthyShed,
        r.succeeded.toFixed(1),
        r.succeededWithout.toFixed(1)
      ])
    )
  )
  const bOpens = b.rateLimit.reduce((n, r) => n + r.opens, 0)
  const opened = b.faultMix.filter((r) => r.opens > 0)
  out.push("")
  out.push(
    `(b): ${bOpens} opens over ${b.rateLimit.length} policy × variant cells of ${
      b.rateLimit[0]?.runs ?? 0
    } runs. (c), ${runs} runs of 1,000 requests per policy: ` +
      (opened.length === 0
        ? "no policy opened the breaker, so no healthy request was shed."
        : `${b.faultMix.length - opened.length} of ${b.faultMix.length} policies never opened it. ` +
          opened.map((r) =>
            `${base(r.policy)} opened it ${r.opens} time${
              r.opens === 1 ? "" : "s"
            } in ${runs} runs and shed ${r.shed} ` +
            `requests, ${r.healthyShed} of them healthy (${pct(r.healthyShed / (runs * 1000), 2)} of all requests)`
          ).join("; ") +
          ": with the default budget refusing most retries of the 10% transient background, five transient " +
          "failures in a row end as failed runs now and then, and the consecutive rule opens. The 50% window rule " +
          "never fires there.")
  )
  return out.join("\n")
}
