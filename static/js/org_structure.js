// Structure page: sellers by layers (bars) and the month-end trend (lines).
(() => {
  const source = document.getElementById("org-structure-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const fr = document.documentElement.lang === "fr";
  const layersEl = document.getElementById("org-layers-chart");
  if (layersEl) {
    window.echarts.init(layersEl).setOption({
      tooltip: {},
      xAxis: { type: "category", data: data.by_layers.map((_, i) => String(i)), name: fr ? "managers au-dessus" : "managers above" },
      yAxis: { type: "value" },
      series: [{ type: "bar", data: data.by_layers }],
    });
  }
  const trendEl = document.getElementById("org-trend-chart");
  if (trendEl) {
    const t = data.trend;
    window.echarts.init(trendEl).setOption({
      tooltip: { trigger: "axis" },
      legend: {},
      xAxis: { type: "category", data: t.map((r) => r.on) },
      yAxis: [{ type: "value" }, { type: "value" }],
      series: [
        { name: fr ? "Couches max" : "Most layers", type: "line", data: t.map((r) => r.layers_max) },
        { name: fr ? "Couches moyennes" : "Mean layers", type: "line", data: t.map((r) => r.layers_mean) },
        { name: fr ? "Span moyen" : "Mean span", type: "line", yAxisIndex: 1, data: t.map((r) => r.span_mean) },
      ],
    });
  }
})();
