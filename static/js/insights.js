// Insights charts: data from the #insights-* JSON blocks (CSP forbids inline scripts).
// Amounts arrive in minor units and are divided by 100 for display only.
// Names (teams, channels) are typed by people: tooltips are built as DOM text nodes, never as
// HTML strings. Legends scroll on one line above the plot, so they never cover axis labels.
(function () {
  function read(id) {
    const block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }
  function major(values) { return values.map((v) => (v === null ? null : v / 100)); }

  // A tooltip: an optional title, then one line per item (colour dot, name, value), as text.
  function tooltip(title, lines) {
    const box = document.createElement("div");
    if (title) {
      const head = document.createElement("strong");
      head.textContent = title;
      box.appendChild(head);
    }
    lines.forEach(([color, name, value]) => {
      const row = document.createElement("div");
      row.style.display = "flex";
      row.style.gap = "12px";
      row.style.justifyContent = "space-between";
      const left = document.createElement("span");
      if (typeof color === "string") {
        const dot = document.createElement("span");
        dot.style.display = "inline-block";
        dot.style.width = "9px";
        dot.style.height = "9px";
        dot.style.borderRadius = "50%";
        dot.style.marginRight = "6px";
        dot.style.background = color;
        left.appendChild(dot);
      }
      left.appendChild(document.createTextNode(name));
      const right = document.createElement("strong");
      right.textContent = value;
      row.append(left, right);
      box.appendChild(row);
    });
    return box;
  }

  function render() {
    if (typeof echarts === "undefined") return;
    const lang = document.documentElement.lang || "en";
    const L = read("insights-labels") || {};
    const months = read("insights-months");
    const heat = read("insights-heatmap");
    const channels = read("insights-channels");
    const currency = (months && months.currency) || "EUR";
    const fmt = new Intl.NumberFormat(lang, { style: "currency", currency: currency, maximumFractionDigits: 0 });
    const pct = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
    const money = (v) => (v === null || v === undefined || v === "-" ? "—" : fmt.format(v));
    const axisTooltip = (params) => tooltip(
      params.length ? params[0].axisValueLabel : "",
      params.map((p) => [p.color, p.seriesName, money(p.value)]),
    );
    const legend = { type: "scroll", top: 0, left: 8, right: 8 };
    // The plot starts below the one-line legend; axis labels stay inside the chart box.
    const grid = { left: 8, right: 16, top: 48, bottom: 8, outerBoundsMode: "same", outerBoundsContain: "axisLabel" };
    document.querySelectorAll("[data-chart]").forEach((node) => {
      node.style.minHeight = "320px";
      node.style.width = "100%";
      const chart = echarts.getInstanceByDom(node) || echarts.init(node);
      const kind = node.dataset.chart;
      let option = null;
      if (kind === "months" && months) {
        const series = [{ name: L.actual || "Actual", type: "bar", data: major(months.actual) }];
        if (months.target.length) series.push({ name: L.target || "Target", type: "line", data: major(months.target) });
        if (months.objective.length) series.push({ name: L.objective || "Objective", type: "line", data: major(months.objective) });
        if (months.forecast.length) {
          series.push({
            name: L.forecast || "Forecast", type: "line", lineStyle: { type: "dashed" },
            data: major(months.forecast).map((v, i) => (i < months.elapsed ? null : v)),
          });
        }
        option = {
          tooltip: { trigger: "axis", formatter: axisTooltip },
          legend: legend, grid: grid,
          xAxis: { type: "category", data: months.months, axisLabel: { rotate: 40 } },
          yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
          series: series,
        };
      } else if (kind === "heatmap" && heat && heat.rows.length) {
        const pending = new Set(heat.pending || []);
        const done = heat.cells.filter((c) => c[2] !== null && !pending.has(c[0]));
        const waiting = [];
        heat.rows.forEach((_r, y) => pending.forEach((m) => waiting.push([m, y, 0])));
        option = {
          tooltip: {
            formatter: (p) => {
              const [m, y, v] = p.value;
              const value = p.seriesIndex === 1 ? (L.pending || "…") : (v === null ? "—" : pct.format(v / 100));
              return tooltip(heat.rows[y], [[null, heat.months[m], value]]);
            },
          },
          grid: { left: 8, right: 16, top: 8, bottom: 64, outerBoundsMode: "same", outerBoundsContain: "axisLabel" },
          xAxis: { type: "category", data: heat.months, axisLabel: { rotate: 40 } },
          yAxis: { type: "category", data: heat.rows },
          visualMap: { min: 0, max: 150, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                       seriesIndex: 0, inRange: { color: ["#c62828", "#fdd835", "#2e7d32"] } },
          series: [
            // figures in the cells when they have room for them (the tooltip always has it)
            { type: "heatmap", data: done,
              label: { show: heat.rows.length <= 12 && node.clientWidth >= 560, formatter: (p) => String(Math.round(p.value[2])) } },
            { type: "heatmap", data: waiting, itemStyle: { color: "#e5e7eb" }, label: { show: false } },
          ],
        };
      } else if (kind === "channels" && channels) {
        option = {
          tooltip: { trigger: "axis", formatter: axisTooltip },
          legend: legend, grid: grid,
          xAxis: { type: "category", data: channels.months, axisLabel: { rotate: 40 } },
          yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
          series: channels.trend.map((t) => ({ name: t.name, type: "bar", stack: "mix", data: major(t.actual) })),
        };
      }
      if (option) chart.setOption(option, true);
    });
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  window.addEventListener("resize", () => document.querySelectorAll("[data-chart]").forEach((n) => {
    const c = typeof echarts !== "undefined" && echarts.getInstanceByDom(n); if (c) c.resize();
  }));
})();
