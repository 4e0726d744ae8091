// Forms marked data-autosubmit post themselves once the page is loaded (the single sign-on
// hand-over); without JavaScript their button does it.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
});
