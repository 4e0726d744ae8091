// A real OpenID provider for Pacte's tests: the npm package oidc-provider (certified
// implementation), with a login page that checks passwords and consent granted as an
// enterprise provider does for an admin-approved application.
//
// Configuration comes as JSON in OIDC_CONFIG: {port, clients, accounts, jwks}; accounts are
// {email: {password, name, groups}}. Started and stopped by pacte/testing/peers.py.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.OIDC_MODULES, "package.json"));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const cfg = JSON.parse(process.env.OIDC_CONFIG);
const accounts = cfg.accounts;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (uid, error, login) => `<!doctype html><html lang="en"><head><title>Test IdP sign-in</title></head>
<body><h1>Test IdP</h1>${error ? `<p id="error">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>E-mail <input id="login" name="login" type="email" value="${escape(login || "")}"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="submit" type="submit">Sign in</button></form></body></html>`;

const provider = new Provider(`http://127.0.0.1:${cfg.port}`, {
  clients: cfg.clients,
  jwks: cfg.jwks,
  cookies: { keys: ["pacte-test-oidc-cookie-key"] },
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "groups"],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, id) => {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({
        sub: account.sub || id,
        email: id,
        email_verified: true,
        name: account.name,
        groups: account.groups || [],
      }),
    };
  },
});

const readBody = (req) =>
  new Promise((resolve) => {
    let data = "";
    req.on("data", (chunk) => (data += chunk));
    req.on("end", () => resolve(new URLSearchParams(data)));
  });

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const uid = match[1];
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === "login") {
    if (ctx.method === "GET") {
      ctx.type = "html";
      ctx.body = page(uid, "", details.params.login_hint);
      return undefined;
    }
    const body = await readBody(ctx.req);
    const login = body.get("login") || "";
    const account = accounts[login];
    if (!account || account.password !== body.get("password")) {
      ctx.type = "html";
      ctx.body = page(uid, "Wrong e-mail or password.", login);
      return undefined;
    }
    const url = await provider.interactionResult(
      ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false },
    );
    ctx.redirect(url);
    return undefined;
  }
  // consent: granted for every scope and claim asked
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const url = await provider.interactionResult(
    ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true },
  );
  ctx.redirect(url);
  return undefined;
});

provider.listen(cfg.port, "127.0.0.1", () => {
  process.stdout.write(`ready ${cfg.port}\n`);
});
