// Pacte's small page helpers; htmx does the rest. No inline scripts (Content-Security-Policy).
// Translated texts come from data attributes rendered by the templates; text goes into the page
// as text nodes and attributes, never as HTML.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = `${document.body.dataset.requestFailed} (${event.detail.xhr.status})`;
  document.querySelector("main")?.prepend(box);
});

// The menu is a <details>: open on wide screens (its button hidden), a menu button on phones.
// Escape or a click outside closes it and gives the focus back to the button.
const wideScreen = window.matchMedia("(min-width: 1280px)");
const siteMenus = () => document.querySelectorAll("[data-site-menu]");
const syncMenus = () => siteMenus().forEach((menu) => { menu.open = wideScreen.matches; });
wideScreen.addEventListener("change", syncMenus);
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || wideScreen.matches) return;
  siteMenus().forEach((menu) => {
    if (!menu.open) return;
    menu.open = false;
    menu.querySelector("summary")?.focus();
  });
});
document.addEventListener("click", (event) => {
  if (wideScreen.matches) return;
  siteMenus().forEach((menu) => {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
});

// Wide tables scroll sideways inside their own box instead of pushing the page wider. A box
// that scrolls is a named region that takes the keyboard focus (arrow keys scroll it), with a
// hint at its top (it stays in view while the table scrolls) and shadows on the sides that hide
// columns (CSS).
const tidy = (text) => text.trim().replace(/\s+/g, " ");
// A scrolling table is named after its caption, else the heading of its section, else the
// nearest heading before it, else its first column headers.
const tableName = (table, box) => {
  const caption = table.caption?.textContent;
  if (caption && tidy(caption)) return tidy(caption);
  const section = box.closest("[aria-labelledby]");
  const title = section && document.getElementById(section.getAttribute("aria-labelledby"));
  if (title && tidy(title.textContent)) return tidy(title.textContent);
  for (let node = box; node && node.tagName !== "MAIN"; node = node.parentElement) {
    for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      const heading = /^H[1-6]$/.test(sibling.tagName) ? sibling
        : sibling.tagName === "HGROUP" ? sibling.querySelector("h1, h2, h3, h4, h5, h6") : null;
      if (heading && tidy(heading.textContent)) return tidy(heading.textContent);
    }
  }
  const columns = Array.from(table.querySelectorAll("thead th")).slice(0, 4);
  return columns.map((th) => tidy(th.textContent)).filter(Boolean).join(", ");
};

const markRegion = (box) => {
  const table = box.querySelector("table");
  const hint = box.querySelector(":scope > .scroll-hint");
  const scrolls = table !== null && box.scrollWidth > box.clientWidth + 1;
  box.classList.toggle("is-scrolling", scrolls);
  if (hint) hint.hidden = !scrolls;
  if (scrolls) {
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    box.setAttribute("aria-label", `${document.body.dataset.tableLabel}: ${tableName(table, box)}`);
  } else {
    box.removeAttribute("role");
    box.removeAttribute("tabindex");
    box.removeAttribute("aria-label");
  }
};

const regionWatcher = "ResizeObserver" in window
  ? new ResizeObserver((entries) => entries.forEach((entry) => {
    const box = entry.target.closest(".table-scroll");
    if (box) markRegion(box);
  }))
  : null;

const wrapTables = (root) => {
  root.querySelectorAll("main table").forEach((table) => {
    let box = table.parentElement;
    if (!box.classList.contains("table-scroll")) {
      box = document.createElement("div");
      box.className = "table-scroll";
      table.replaceWith(box);
      box.appendChild(table);
      const hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.hidden = true;
      hint.textContent = document.body.dataset.scrollHint;
      box.prepend(hint);
    }
    if (regionWatcher) {
      regionWatcher.observe(box);
      regionWatcher.observe(table);
    } else {
      markRegion(box);
    }
  });
};

document.addEventListener("DOMContentLoaded", () => {
  syncMenus();
  wrapTables(document);
});
document.addEventListener("htmx:afterSettle", (event) => wrapTables(event.target.parentElement || document));

// Charts follow the window: a phone turned sideways or a desktop window resized redraws every
// ECharts chart of the page at its box's new width (once per frame).
let chartResize = 0;
window.addEventListener("resize", () => {
  if (chartResize || typeof window.echarts === "undefined") return;
  chartResize = requestAnimationFrame(() => {
    chartResize = 0;
    document.querySelectorAll("[_echarts_instance_]").forEach((node) => {
      window.echarts.getInstanceByDom(node)?.resize();
    });
  });
});
