/* A small SVG bar chart of a stats series: human visits, bot visits stacked apart in their own colour.
 *
 * Drawn with the DOM (no library, no inline style: CSP style-src 'self'); a few dozen lines cover
 * what the console needs, and a table of the same numbers follows the chart for screen readers.
 */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const H = 240, LEFT = 44, BOTTOM = 24, TOP = 8, RIGHT = 8;

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function label(start, interval) {
    const d = new Date(start);
    return interval === "hour"
      ? d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })
      : d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function render(container, series, interval) {
    // As wide as its box (text stays 12 px on a phone), drawn in the box's own pixels.
    const W = Math.max(280, Math.round(container.clientWidth || 720));
    const most = Math.max(1, ...series.map((b) => b.visits + b.bot_visits));
    const top = most <= 4 ? most : Math.ceil(most / 4) * 4; // grid lines at whole numbers
    const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    const step = plotW / Math.max(1, series.length);
    const y = (n) => TOP + plotH - (n / top) * plotH;
    const total = series.reduce((s, b) => s + b.visits, 0);
    const bots = series.reduce((s, b) => s + b.bot_visits, 0);
    const svg = el("svg", {
      viewBox: `0 0 ${W} ${H}`, class: "chart-svg", role: "img",
      "aria-label": `Visits per ${interval}: ${total} visits and ${bots} bot visits over ${series.length} ${interval}s`,
    });
    for (const n of [0, top / 2, top]) {
      svg.append(el("line", { x1: LEFT, x2: W - RIGHT, y1: y(n), y2: y(n), class: "grid" }));
      svg.append(el("text", { x: LEFT - 6, y: y(n) + 4, class: "axis", "text-anchor": "end" }, String(n)));
    }
    series.forEach((b, i) => {
      const x = LEFT + i * step + Math.min(1, step * 0.1);
      const w = Math.max(1, step - Math.min(2, step * 0.2));
      const g = el("g");
      g.append(el("title", {}, `${label(b.start, interval)}: ${b.visits} visits, ${b.bot_visits} bot visits`));
      if (b.visits) g.append(el("rect", { x, width: w, y: y(b.visits), height: y(0) - y(b.visits), class: "bar-human" }));
      if (b.bot_visits) {
        g.append(el("rect", {
          x, width: w, y: y(b.visits + b.bot_visits), height: y(b.visits) - y(b.visits + b.bot_visits), class: "bar-bot",
        }));
      }
      svg.append(g);
    });
    const ticks = series.length > 1 ? [0, Math.floor((series.length - 1) / 2), series.length - 1] : [0];
    for (const i of ticks) {
      if (!series[i]) continue;
      const anchor = i === 0 ? "start" : i === series.length - 1 ? "end" : "middle";
      const x = i === 0 ? LEFT : i === series.length - 1 ? W - RIGHT : LEFT + (i + 0.5) * step;
      svg.append(el("text", { x, y: H - 6, class: "axis", "text-anchor": anchor }, label(series[i].start, interval)));
    }
    const legend = document.createElement("p");
    legend.className = "legend";
    legend.innerHTML = '<span class="swatch swatch-human"></span> visits <span class="swatch swatch-bot"></span> bot visits';

    // The same numbers as a table, for screen readers and for reading exact values.
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "Show the numbers";
    const table = document.createElement("table");
    table.innerHTML = `<thead><tr><th scope="col">${interval === "hour" ? "Hour" : "Day"}</th>` +
      '<th scope="col">Visits</th><th scope="col">Bot visits</th></tr></thead>';
    const body = document.createElement("tbody");
    for (const b of series) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label(b.start, interval);
      row.append(th);
      row.insertCell().textContent = String(b.visits);
      row.insertCell().textContent = String(b.bot_visits);
    }
    table.append(body);
    details.append(summary, table);
    container.replaceChildren(svg, legend, details);
  }

  window.Snip = Object.assign(window.Snip || {}, { chart: { render } });
})();
