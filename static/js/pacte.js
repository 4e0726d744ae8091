// Pacte's small page helpers; htmx does the rest. No inline scripts (Content-Security-Policy).
// Translated texts come from data attributes rendered by the templates.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = `${document.body.dataset.requestFailed} (${event.detail.xhr.status})`;
  document.querySelector("main")?.prepend(box);
});
