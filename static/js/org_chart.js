// Org chart: an ECharts tree whose branches load on demand from /api/v1/org/chart.
// Names are typed by people: the tooltip is a text node, never an HTML string.
(() => {
  const el = document.getElementById("org-chart");
  const source = document.getElementById("org-chart-data");
  if (!el || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const L = data.labels;

  const label = (n) => {
    const parts = [n.name];
    if (n.kind === "unit" && n.lead) parts.push(`${n.lead} (${L.lead})`);
    if (n.kind === "person") parts.push(`${n.roles.join(", ")} · ${n.team}`);
    if (n.layers !== null && n.layers !== undefined) parts.push(`${n.layers} ${L.layers}`);
    return parts.join("\n");
  };
  const toNode = (n) => ({
    name: label(n),
    id: n.id,
    raw: n,
    loaded: false,
    collapsed: true,
    children: n.has_children ? [{ name: "…", id: `${n.id}:more`, placeholder: true }] : [],
  });
  const root = toNode(data.node);
  root.children = data.children.map(toNode);
  root.loaded = true;
  root.collapsed = false;
  const byId = new Map();
  const index = (node) => { byId.set(node.id, node); (node.children || []).forEach(index); };
  index(root);

  const tooltip = (text) => {
    const box = document.createElement("div");
    box.style.whiteSpace = "pre-line"; // the label's lines, as text
    box.textContent = text;
    return box;
  };

  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  const draw = () => chart.setOption({
    tooltip: { trigger: "item", formatter: (p) => tooltip(p.data.name || "") },
    series: [{
      type: "tree", data: [root], orient: "LR", layout: "orthogonal", roam: true,
      expandAndCollapse: true, left: 180, right: 260, top: 24, bottom: 24,
      initialTreeDepth: -1, symbolSize: 8, animationDuration: 200,
      label: { position: "left", align: "right", fontSize: 12, lineHeight: 15, color: "#1f2937" },
      leaves: { label: { position: "right", align: "left" } },
    }],
  }, { notMerge: true });

  const load = async (node) => {
    if (node.loaded || !node.raw || node.raw.kind !== "unit") return;
    const uuid = node.id.slice(2);
    const response = await fetch(`${data.api}?unit=${uuid}&on=${data.on}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const branch = await response.json();
    node.children = branch.children.map(toNode);
    node.children.forEach(index);
    node.loaded = true;
  };

  chart.on("click", async (params) => {
    const node = byId.get(params.data.id);
    if (!node || node.loaded || !node.raw || node.raw.kind !== "unit") return;
    await load(node);
    node.collapsed = false;
    draw();
  });
  draw();

  const exportAs = (type) => {
    let url;
    if (type === "svg") {
      const box = document.createElement("div");
      box.style.cssText = `width:${el.clientWidth}px;height:${el.clientHeight}px;position:absolute;left:-99999px`;
      document.body.appendChild(box);
      const svg = window.echarts.init(box, null, { renderer: "svg" });
      svg.setOption(chart.getOption());
      url = svg.getDataURL({ type: "svg" });
      svg.dispose(); box.remove();
    } else {
      url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    }
    const a = document.createElement("a");
    a.href = url; a.download = `org-chart-${data.on}.${type}`; a.click();
  };
  document.getElementById("org-chart-png")?.addEventListener("click", () => exportAs("png"));
  document.getElementById("org-chart-svg")?.addEventListener("click", () => exportAs("svg"));

  const input = document.getElementById("org-chart-search");
  const results = document.getElementById("org-chart-results");
  let timer;
  input?.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      results.replaceChildren();
      if (input.value.trim().length < 2) return;
      const response = await fetch(`${data.api}/search?q=${encodeURIComponent(input.value)}&on=${data.on}`, { credentials: "same-origin" });
      if (!response.ok) return;
      for (const hit of await response.json()) {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button"; button.className = "secondary outline small"; button.textContent = hit.name;
        button.addEventListener("click", async () => {
          for (const id of hit.path) {
            const node = byId.get(id);
            if (!node) break;
            await load(node);
            node.collapsed = false;
          }
          draw();
          chart.dispatchAction({ type: "highlight", seriesIndex: 0, name: byId.get(hit.id)?.name });
        });
        li.appendChild(button); results.appendChild(li);
      }
    }, 250);
  });
})();
