// Insights charts: data from the #insights-* JSON blocks (CSP forbids inline scripts).
// Amounts arrive in minor units and are divided by 100 for display only.
(function () {
  function read(id) {
    const block = document.getElementById(id);
    return block ? JSON.parse(block.textContent) : null;
  }
  function major(values) { return values.map((v) => (v === null ? null : v / 100)); }

  function render() {
    if (typeof echarts === "undefined") return;
    const lang = document.documentElement.lang || "en";
    const months = read("insights-months");
    const heat = read("insights-heatmap");
    const channels = read("insights-channels");
    const currency = (months && months.currency) || "EUR";
    const fmt = new Intl.NumberFormat(lang, { style: "currency", currency: currency, maximumFractionDigits: 0 });
    document.querySelectorAll("[data-chart]").forEach((node) => {
      node.style.minHeight = "320px";
      node.style.width = "100%";
      const chart = echarts.getInstanceByDom(node) || echarts.init(node);
      const kind = node.dataset.chart;
      let option = null;
      if (kind === "months" && months) {
        const series = [{ name: node.dataset.actual || "Actual", type: "bar", data: major(months.actual) }];
        if (months.target.length) series.push({ name: "Target", type: "line", data: major(months.target) });
        if (months.objective.length) series.push({ name: "Objective", type: "line", data: major(months.objective) });
        if (months.forecast.length) {
          series.push({
            name: "Forecast", type: "line", lineStyle: { type: "dashed" },
            data: major(months.forecast).map((v, i) => (i < months.elapsed ? null : v)),
          });
        }
        option = {
          tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : fmt.format(v)) },
          legend: {}, grid: { left: 80, right: 10, top: 40, bottom: 50 },
          xAxis: { type: "category", data: months.months, axisLabel: { rotate: 40 } },
          yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
          series: series,
        };
      } else if (kind === "heatmap" && heat && heat.rows.length) {
        option = {
          tooltip: { formatter: (p) => heat.rows[p.value[1]] + " · " + heat.months[p.value[0]] + ": " + (p.value[2] === null ? "—" : p.value[2] + " %") },
          grid: { left: 120, right: 10, top: 10, bottom: 80 },
          xAxis: { type: "category", data: heat.months, axisLabel: { rotate: 40 } },
          yAxis: { type: "category", data: heat.rows },
          visualMap: { min: 0, max: 150, calculable: true, orient: "horizontal", left: "center", bottom: 0,
                       inRange: { color: ["#c62828", "#fdd835", "#2e7d32"] } },
          series: [{ type: "heatmap", data: heat.cells.filter((c) => c[2] !== null), label: { show: heat.rows.length <= 12 } }],
        };
      } else if (kind === "channels" && channels) {
        option = {
          tooltip: { trigger: "axis", valueFormatter: (v) => fmt.format(v) },
          legend: {}, grid: { left: 80, right: 10, top: 40, bottom: 50 },
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
