// Pacte's small page helpers; htmx does the rest. No inline scripts (Content-Security-Policy).
// Translated texts come from data attributes rendered by the templates.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = `${document.body.dataset.requestFailed} (${event.detail.xhr.status})`;
  document.querySelector("main")?.prepend(box);
});

// Wide tables scroll sideways inside their own box instead of pushing the page wider.
const wrapTables = (root) => {
  root.querySelectorAll("main table").forEach((table) => {
    if (table.parentElement.classList.contains("overflow-auto")) return;
    const box = document.createElement("div");
    box.className = "overflow-auto";
    table.replaceWith(box);
    box.appendChild(table);
  });
};
document.addEventListener("DOMContentLoaded", () => wrapTables(document));
document.addEventListener("htmx:afterSettle", (event) => wrapTables(event.target.parentElement || document));
