// Passkeys (WebAuthn) with the browser's own JSON helpers. A button marked data-passkey asks
// its options from data-options, runs the ceremony, posts the result to data-url, then goes
// where the server says. Messages come from data attributes (translated by the template).
const passkeyError = (button, text) => {
  const box = document.getElementById(button.dataset.errorBox);
  if (box) box.textContent = text;
};

const csrfToken = () => document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";

const post = (url, body) =>
  fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
    body,
  });

const runPasskey = async (button) => {
  if (!window.PublicKeyCredential || !PublicKeyCredential.parseCreationOptionsFromJSON) {
    passkeyError(button, button.dataset.unsupported);
    return;
  }
  try {
    const options = await (await post(button.dataset.options, "")).json();
    let credential;
    if (button.dataset.passkey === "register") {
      credential = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
      });
    } else {
      credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
      });
    }
    const answer = await post(button.dataset.url, JSON.stringify(credential.toJSON()));
    const data = await answer.json();
    if (!answer.ok) {
      passkeyError(button, data.error || button.dataset.failed);
      return;
    }
    window.location.assign(data.next || "/");
  } catch (error) {
    passkeyError(button, button.dataset.failed);
  }
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-passkey]");
  if (!button) return;
  event.preventDefault();
  runPasskey(button);
});
