// Pacte's small page helpers; htmx does the rest. No inline scripts (Content-Security-Policy).
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = document.documentElement.lang === "fr"
    ? `La requête a échoué (${status}).`
    : `The request failed (${status}).`;
  document.querySelector("main")?.prepend(box);
});
