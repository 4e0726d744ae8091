// Charts of the cascade preview and runs: data from the #cascade-data JSON block (no inline
// scripts). Amounts arrive in minor units and are divided by `scale` for display only.
(function () {
  function render() {
    const block = document.getElementById("cascade-data");
    if (!block || typeof echarts === "undefined") return;
    const data = JSON.parse(block.textContent);
    const fmt = new Intl.NumberFormat(document.documentElement.lang || "en", {
      style: "currency", currency: data.currency, maximumFractionDigits: 0,
    });
    const series = {
      months: [data.months, data.month_amounts],
      units: [data.units, data.unit_amounts],
    };
    document.querySelectorAll("[data-chart]").forEach((node) => {
      const pair = series[node.dataset.chart];
      if (!pair) return;
      const chart = echarts.getInstanceByDom(node) || echarts.init(node);
      chart.setOption({
        tooltip: { trigger: "axis", valueFormatter: (v) => fmt.format(v) },
        grid: { left: 80, right: 10, top: 10, bottom: 60 },
        xAxis: { type: "category", data: pair[0], axisLabel: { rotate: 40 } },
        yAxis: { type: "value", axisLabel: { formatter: (v) => fmt.format(v) } },
        series: [{ type: "bar", data: pair[1].map((v) => v / data.scale) }],
      }, true);
    });
  }
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
})();
