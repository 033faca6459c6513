/**
 * The dashboard page: one self-contained HTML document with inline CSS, inline JavaScript and
 * SVG charts drawn by that script. No build step and nothing fetched from the internet: the page
 * asks its own server for `/api/state`, then listens on `/events` (server-sent events) and falls
 * back to polling `/api/state` if the event stream breaks.
 *
 * Every number shown comes from the state document as is (the analysis the store returned), and
 * carries `data-task` / `data-field` attributes so that a browser test can read it back.
 *
 * The script builds every node with `createElement` / `textContent`: a sample's message is text,
 * never HTML. It avoids template literals so that this file can hold it in one.
 *
 * @internal
 */

/** @internal */
export const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>intelligent-retry · dashboard</title>
<style>
  :root { --fg: #1d2330; --muted: #5f6b7a; --line: #e3e7ee; --bg: #f6f7f9; --card: #fff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; padding: 14px 24px; background: #1d2330; color: #fff; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  header .meta { color: #b9c2d0; font-size: 13px; }
  #status { margin-left: auto; font-size: 13px; }
  #status.live::before { content: "●"; color: #59c36a; margin-right: 6px; }
  #status.stale::before { content: "●"; color: #e15759; margin-right: 6px; }
  main { padding: 16px 24px 40px; max-width: 1400px; margin: 0 auto; }
  section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
  section.panel h2 { font-size: 15px; margin: 0 0 10px; }
  .tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 10px; }
  .tile { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; }
  .tile .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .tile .k { font-size: 12px; color: var(--muted); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
  .chart h3 { font-size: 13px; margin: 4px 0; font-weight: 600; color: var(--muted); }
  .chart svg { width: 100%; height: 170px; display: block; }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: var(--muted); }
  .legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; background: var(--c); vertical-align: -1px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  .sev { font-size: 11px; font-weight: 700; padding: 1px 6px; border-radius: 3px; color: #fff; }
  .sev.critical { background: #c62828; } .sev.warning { background: #e69b00; } .sev.info { background: #607d8b; }
  .suggestions { margin: 10px 0 0; padding: 0; list-style: none; }
  .suggestions li { margin: 4px 0; }
  .suggestions code { font-size: 12px; }
  .empty { color: var(--muted); }
  .msg { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-word; }
</style>
</head>
<body>
<header>
  <h1>intelligent-retry</h1>
  <span class="meta" id="database"></span>
  <span class="meta">updated <span id="updated">never</span></span>
  <span id="status" class="stale">connecting</span>
</header>
<main>
  <div id="panels"><p class="empty">Loading…</p></div>
  <section class="panel" id="samples-panel">
    <h2>Recent failed attempts (redacted)</h2>
    <div id="samples"></div>
  </section>
</main>
<script>
(function () {
  "use strict";
  var CATEGORIES = ["network_error", "api_rate_limit", "data_error", "system_error", "temporary_error", "permanent_error"];
  var CATEGORY_COLORS = { network_error: "#4e79a7", api_rate_limit: "#f28e2b", data_error: "#e15759", system_error: "#76b7b2", temporary_error: "#59a14f", permanent_error: "#b07aa1" };
  var OUTCOME_COLORS = { succeeded_first_try: "#c9d6e3", recovered: "#59a14f", exhausted: "#e15759", not_retryable: "#b07aa1", hint_exceeds_max_delay: "#f28e2b", stopped_by_cap: "#9c755f", interrupted: "#bab0ac", budget_exhausted: "#edc948", disabled: "#79706e" };
  var SVG = "http://www.w3.org/2000/svg";
  var version = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function pct(x) { return (Math.round(x * 1000) / 10).toFixed(1) + "%"; }
  function two(n) { return ("0" + n).slice(-2); }
  function hhmmss(t) { var d = new Date(t); return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()); }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  function hhmm(t) { var d = new Date(t); return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }
  function field(task, name, value, text) {
    return el("span", { "class": "v", "data-task": task, "data-field": name, "data-value": String(value), text: text === undefined ? String(value) : text });
  }
  function tile(task, name, label, value, text) {
    return el("div", { "class": "tile" }, [field(task, name, value, text), el("div", { "class": "k", text: label })]);
  }

  // A stacked bar chart: one bar per minute, one layer per key, with a y axis and time labels.
  function stacked(minutes, seriesByKey, keys, colors, label, taskKey) {
    var W = 600, H = 170, L = 34, B = 20, T = 8;
    var totals = minutes.map(function (_, i) { return keys.reduce(function (n, k) { return n + seriesByKey[k][i]; }, 0); });
    var max = Math.max(1, Math.max.apply(null, totals));
    var nice = Math.pow(10, Math.floor(Math.log10(max)));
    var top = Math.ceil(max / nice) * nice;
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": label, "data-task": taskKey, "data-chart": label });
    var plotW = W - L - 6, plotH = H - B - T;
    [0, 0.5, 1].forEach(function (f) {
      var y = T + plotH - f * plotH;
      root.appendChild(svg("line", { x1: L, x2: W - 6, y1: y, y2: y, stroke: "#e3e7ee" }));
      var t = svg("text", { x: L - 4, y: y + 4, "text-anchor": "end", "font-size": 10, fill: "#5f6b7a" });
      t.textContent = String(Math.round(top * f));
      root.appendChild(t);
    });
    var bw = plotW / minutes.length;
    minutes.forEach(function (m, i) {
      var y = T + plotH;
      keys.forEach(function (k) {
        var v = seriesByKey[k][i];
        if (v <= 0) return;
        var h = v / top * plotH;
        y -= h;
        var r = svg("rect", { x: (L + i * bw + 0.5).toFixed(2), y: y.toFixed(2), width: Math.max(1, bw - 1).toFixed(2), height: h.toFixed(2), fill: colors[k], "data-minute": m, "data-key": k, "data-count": v });
        var title = svg("title", {});
        title.textContent = hhmm(m) + " " + k + ": " + v;
        r.appendChild(title);
        root.appendChild(r);
      });
      var step = Math.ceil(minutes.length / 6), last = i === minutes.length - 1;
      if ((i % step === 0 && minutes.length - 1 - i >= step / 2) || last) {
        var t = svg("text", { x: last ? W - 6 : L + i * bw + bw / 2, y: H - 5, "text-anchor": last ? "end" : "middle", "font-size": 10, fill: "#5f6b7a" });
        t.textContent = hhmm(m);
        root.appendChild(t);
      }
    });
    var total = totals.reduce(function (a, b) { return a + b; }, 0);
    root.setAttribute("data-total", String(total));
    return root;
  }
  function legend(keys, colors, counts) {
    return el("div", { "class": "legend" }, keys.filter(function (k) { return counts[k] > 0; }).map(function (k) {
      var s = el("span", { text: k + " " + counts[k] });
      s.style.setProperty("--c", colors[k]);
      return s;
    }));
  }

  function panel(state, p) {
    var a = p.analysis, key = p.task === null || p.task === undefined ? "*" : p.task;
    var outcomeKeys = Object.keys(p.outcomes);
    var failedKeys = CATEGORIES;
    var rate = a.recovered + a.failedRuns === 0 ? "–" : pct(a.recoveryRate);
    var sugg = el("ul", { "class": "suggestions", "data-task": key, "data-field": "suggestions" }, a.suggestions.map(function (s) {
      return el("li", { "data-code": s.code, "data-severity": s.severity }, [
        el("span", { "class": "sev " + s.severity, text: s.severity }), document.createTextNode(" "),
        el("code", { text: s.code }), document.createTextNode(" " + s.message)
      ]);
    }));
    if (a.suggestions.length === 0) sugg.appendChild(el("li", { "class": "empty", text: "No suggestion: nothing to change." }));
    return el("section", { "class": "panel", "data-panel": key }, [
      el("h2", { text: p.name }),
      el("div", { "class": "tiles" }, [
        tile(key, "totalErrors", "failed attempts", a.totalErrors),
        tile(key, "retries", "retries", a.retries),
        tile(key, "runs", "runs", a.runs),
        tile(key, "recovered", "recovered", a.recovered),
        tile(key, "failedRuns", "failed runs", a.failedRuns),
        tile(key, "recoveryRate", "recovery rate", a.recoveryRate, rate)
      ]),
      el("div", { "class": "charts" }, [
        el("div", { "class": "chart" }, [
          el("h3", { text: "Failed attempts per minute, by category" }),
          stacked(state.minutes, p.failures, failedKeys, CATEGORY_COLORS, "failures", key),
          legend(failedKeys, CATEGORY_COLORS, a.categoryDistribution)
        ]),
        el("div", { "class": "chart" }, [
          el("h3", { text: "Outcomes per minute" }),
          stacked(state.minutes, p.outcomes, outcomeKeys, OUTCOME_COLORS, "outcomes", key),
          legend(outcomeKeys, OUTCOME_COLORS, a.outcomes)
        ])
      ]),
      sugg
    ]);
  }

  function samples(list) {
    if (list.length === 0) return el("p", { "class": "empty", text: "No failed attempt recorded." });
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, ["time", "task", "attempt", "category", "error"].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, list.map(function (s) {
        return el("tr", { "data-sample": "" }, [
          el("td", { text: hhmmss(s.time), title: new Date(s.time).toISOString() }), el("td", { text: s.task }),
          el("td", { "class": "n", text: "#" + s.attempt }), el("td", { text: s.category }),
          el("td", { "class": "msg", text: clip(s.tag + ": " + s.message, 220), title: s.tag + ": " + s.message })
        ]);
      }))
    ]);
  }

  function render(state) {
    version += 1;
    document.getElementById("database").textContent = state.database;
    var updated = document.getElementById("updated");
    updated.textContent = hhmmss(state.generatedAt);
    document.body.setAttribute("data-generated-at", String(state.generatedAt));
    var panels = document.getElementById("panels");
    panels.replaceChildren.apply(panels, state.panels.map(function (p) { return panel(state, p); }));
    var box = document.getElementById("samples");
    box.replaceChildren(samples(state.samples));
    document.body.setAttribute("data-version", String(version));
  }
  function status(live, text) {
    var s = document.getElementById("status");
    s.className = live ? "live" : "stale";
    s.textContent = text;
  }

  var polling = null;
  function poll() {
    fetch("api/state", { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (state) { render(state); status(true, "live (polling)"); })
      .catch(function (e) { status(false, "cannot reach the server: " + e.message); });
  }
  function startPolling() {
    if (polling !== null) return;
    poll();
    polling = setInterval(poll, 2000);
  }
  if (typeof EventSource === "function") {
    var source = new EventSource("events");
    source.addEventListener("state", function (e) { render(JSON.parse(e.data)); status(true, "live"); });
    source.addEventListener("problem", function (e) { status(false, JSON.parse(e.data).message); });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { startPolling(); } else { status(false, "reconnecting"); }
    };
  } else {
    startPolling();
  }
})();
</script>
</body>
</html>
`
