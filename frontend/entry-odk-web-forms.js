// ODK Web Forms (@getodk/web-forms, the form engine ODK Central serves) mounted outside a Vue
// app: the page gives a <div data-odk-web-form> with the URL of the round's XForm and the URL
// that takes the instance; the engine renders the form and, on "Send", the instance XML is
// POSTed as ODK's OpenRosa submission does (multipart, `xml_submission_file`).
import { createApp, h } from "vue";
import { OdkWebForm, webFormsPlugin } from "@getodk/web-forms";

// The page's CSP allows <style> elements only with its nonce. The engine's plugin and PrimeVue
// create theirs from script: they get the nonce of this script (PrimeVue's own `csp.nonce`
// option, and for the styles written while the plugin installs, the same nonce given to the
// <style> elements created during the install). Markup parsed from HTML never gets it.
function styleNonce() {
  const script = document.querySelector("script[data-odk-web-forms]");
  return script ? script.nonce : "";
}

function installWithNonce(app, nonce) {
  const create = document.createElement;
  document.createElement = function createElement(tag, options) {
    const element = create.call(document, tag, options);
    if (nonce && String(tag).toLowerCase() === "style") element.nonce = nonce;
    return element;
  };
  try {
    app.use(webFormsPlugin);
  } finally {
    document.createElement = create;
  }
  const primevue = app.config.globalProperties.$primevue;
  if (primevue && primevue.config) primevue.config.csp = { nonce };
}

function csrfToken(root) {
  const input = root.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function say(root, text, kind) {
  const box = root.querySelector("[data-odk-status]");
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

async function mount(root) {
  const { formUrl, submitUrl, doneUrl } = root.dataset;
  const mountPoint = root.querySelector("[data-odk-mount]");
  let formXml;
  try {
    const response = await fetch(formUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error((await response.text()) || response.statusText);
    formXml = await response.text();
  } catch (error) {
    say(root, `${root.dataset.loadFailed} ${error.message || error}`, "error");
    return;
  }
  const submit = async (payload, callback) => {
    if (payload.status !== "ready" || !payload.data || !payload.data[0]) return;
    say(root, root.dataset.sending, "info");
    let response;
    try {
      response = await fetch(submitUrl, {
        method: "POST",
        body: payload.data[0],
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(root) },
      });
    } catch (error) {
      say(root, `${root.dataset.sendFailed} ${error.message || error}`, "error");
      return;
    }
    const text = await response.text();
    if (!response.ok) {
      say(root, text || `${root.dataset.sendFailed} ${response.status}`, "error");
      return;
    }
    say(root, text, "success");
    root.dataset.submitted = "1";
    callback({});
    if (doneUrl) window.location.assign(doneUrl);
  };
  const app = createApp({
    render: () =>
      h(OdkWebForm, {
        formXml,
        fetchFormAttachment: async () => new Response("", { status: 404 }),
        missingResourceBehavior: "BLANK",
        onSubmit: submit,
      }),
  });
  app.config.errorHandler = (error) => {
    say(root, `${root.dataset.loadFailed} ${error && error.message ? error.message : error}`, "error");
    console.error(error);
  };
  installWithNonce(app, styleNonce());
  app.mount(mountPoint);
  root.dataset.mounted = "1";
}

for (const root of document.querySelectorAll("[data-odk-web-form]")) {
  mount(root);
}
