// Charts of the objective and reconciliation pages: data from a JSON block (no inline scripts).
// Amounts arrive in minor units and are divided by `scale` for display only.
(function () {
  function draw(blockId, nodeId) {
    const block = document.getElementById(blockId);
    const node = document.getElementById(nodeId);
    if (!block || !node || typeof echarts === "undefined") return;
    const data = JSON.parse(block.textContent);
    const fmt = new Intl.NumberFormat(document.documentElement.lang || "en", {
      style: "currency", currency: data.currency, maximumFractionDigits: 0,
    });
    const chart = echarts.getInstanceByDom(node) || echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => fmt.format(v) },
      legend: { top: 0 },
      grid: { left: 80, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 40 } },
      yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
      series: data.series.map((s) => ({
        name: s.name, type: s.type || "bar", data: s.data.map((v) => v / data.scale),
      })),
    }, true);
  }
  function render() {
    draw("objective-chart-data", "objective-chart");
    draw("reconciliation-chart-data", "reconciliation-chart");
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
