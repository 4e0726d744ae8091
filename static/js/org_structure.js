// Structure page: sellers by layers (bars) and the month-end trend (lines). Words and dates
// come translated from the page (data.labels, each point's label).
(() => {
  const source = document.getElementById("org-structure-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const L = data.labels;
  const layersEl = document.getElementById("org-layers-chart");
  if (layersEl) {
    window.echarts.init(layersEl).setOption({
      tooltip: {},
      xAxis: { type: "category", data: data.by_layers.map((_, i) => String(i)), name: L.managers_above },
      yAxis: { type: "value" },
      series: [{ name: L.sellers, type: "bar", data: data.by_layers }],
    });
  }
  const trendEl = document.getElementById("org-trend-chart");
  if (trendEl) {
    const t = data.trend;
    window.echarts.init(trendEl).setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { top: 48 },
      xAxis: { type: "category", data: t.map((r) => r.label) },
      yAxis: [{ type: "value" }, { type: "value" }],
      series: [
        { name: L.layers_max, type: "line", data: t.map((r) => r.layers_max) },
        { name: L.layers_mean, type: "line", data: t.map((r) => r.layers_mean) },
        { name: L.span_mean, type: "line", yAxisIndex: 1, data: t.map((r) => r.span_mean) },
      ],
    });
  }
})();
