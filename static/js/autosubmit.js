// Single sign-on hand-overs, once the page is loaded (their button or link does it without
// JavaScript): forms marked data-autosubmit post themselves; links marked data-autofollow are
// followed. A link, not a redirect after the form post, because the form-action rule of the
// Content-Security-Policy would stop a form's redirect to the identity provider's site.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
  const link = document.querySelector("a[data-autofollow]");
  if (link) window.location.assign(link.href);
});
