// ODK Web Forms (@getodk/web-forms, the form engine ODK Central serves) mounted outside a Vue
// app: the page gives a <div data-odk-web-form> with the URL of the round's XForm, the form's
// language for the reader, and a small <form data-keep> holding the instance XML. The tablets'
// keep-and-send (keep.js) does the rest as for every other form: the instance is kept as a
// draft (sealed) while the officer types, restored on the next visit, and on "Send" posted
// through the outbox with an Idempotency-Key (queued with the link down, sent once).
//
// What 0.22 gives a host, and what this file does with it: the component takes `formXml` and
// `editInstance` (an instance to open: how a draft comes back) and emits `submit` with the
// OpenRosa payload. It does not hand the host the engine's instance: its FormHeader component
// receives it as the `form` prop, which a global mixin reads (by the component's name). The
// engine's state is Vue-reactive, so the instance XML is watched like any Vue state, and the
// reader's language is set with the instance's own `setLanguage`.
//
// The payload's files (photos, recordings, documents answering image, audio, video and file
// questions: the engine's InstanceData holds each beside `xml_submission_file`, named as the
// instance names it) are handed to keep.js as the form's `keepFiles`: posted with the instance
// in one multipart post, and kept in the outbox (sealed) with the link down.
import { createApp, h, watch } from "vue";
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

function say(root, text, kind) {
  const box = root.querySelector("[data-odk-status]");
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}

// A media file the form refers to (jr://file-csv/fruits.csv, jr://file/list.xml, jr://images/…):
// the round's copy, by its file name, through the server's permission check. A name the
// questionnaire does not carry is answered here with a 404 (the engine reads it as a blank
// instance) rather than asked of the server. Like the XForm, a file is kept in the forms cache
// when the server's answer allows it, and that copy serves when the network fails.
async function fetchAttachment(root, resource) {
  const { mediaUrl, mediaNames, formsCache, copyHeader, copyItself } = root.dataset;
  const href = String(resource && resource.href ? resource.href : resource);
  const name = decodeURIComponent(href.replace(/[?#].*$/, "").split("/").pop() || "");
  let carried = [];
  try {
    carried = JSON.parse(mediaNames || "[]");
  } catch (error) {
    carried = [];
  }
  if (!name || !mediaUrl || !carried.includes(name)) return new Response("", { status: 404 });
  const url = new URL(mediaUrl + encodeURIComponent(name), window.location.href).href;
  const cache = formsCache && window.caches ? await window.caches.open(formsCache).catch(() => null) : null;
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin" });
  } catch (error) {
    const kept = cache ? await cache.match(url, { ignoreVary: true }) : null;
    if (kept) return kept;
    throw error;
  }
  if (cache && response.ok) {
    if (response.headers.get(copyHeader) === copyItself) await cache.put(url, response.clone()).catch(() => {});
    else await cache.delete(url, { ignoreVary: true }).catch(() => {});
  }
  return response;
}

// The XForm, from the network; the copy the page kept (in the worker's forms cache, which
// keep.js deletes at sign-out) when the network fails. Kept only when the server's answer says
// it may be (the officer may answer the round); an answer without that drops the copy.
async function loadXForm(root) {
  const { formUrl, formsCache, copyHeader, copyItself } = root.dataset;
  const cache = formsCache && window.caches ? await window.caches.open(formsCache).catch(() => null) : null;
  const kept = async () => {
    const found = cache ? await cache.match(formUrl, { ignoreVary: true }) : null;
    return found ? found.text() : null;
  };
  let response;
  try {
    response = await fetch(formUrl, { credentials: "same-origin" });
  } catch (error) {
    const text = await kept();
    if (text !== null) return text;
    throw error;
  }
  if (!response.ok || response.redirected) {
    if (response.status >= 500) {
      const text = await kept();
      if (text !== null) return text;
    }
    throw new Error((await response.text()) || response.statusText);
  }
  if (cache) {
    if (response.headers.get(copyHeader) === copyItself) await cache.put(formUrl, response.clone()).catch(() => {});
    else await cache.delete(formUrl, { ignoreVary: true }).catch(() => {});
  }
  return response.text();
}

const KEEP_DELAY_MS = 450;

function csrfToken(root) {
  const input = root.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

// A mount without the keep form (a page that gives only data-submit-url): the instance is
// POSTed at once as ODK's OpenRosa submission is (multipart, `xml_submission_file`), and the
// server's answer shown as it is.
async function postDirectly(root, payload, callback) {
  const { submitUrl, doneUrl } = root.dataset;
  if (!submitUrl) return;
  say(root, root.dataset.sending || "", "info");
  let response;
  try {
    response = await fetch(submitUrl, {
      method: "POST",
      body: payload.data[0],
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(root) },
    });
  } catch (error) {
    say(root, `${root.dataset.sendFailed || ""} ${error.message || error}`, "error");
    return;
  }
  const text = await response.text();
  if (!response.ok) {
    say(root, text || `${root.dataset.sendFailed || ""} ${response.status}`, "error");
    return;
  }
  say(root, text, "success");
  root.dataset.submitted = "1";
  callback({});
  if (doneUrl) window.location.assign(doneUrl);
}

function mountOn(root) {
  const mountPoint = root.querySelector("[data-odk-mount]");
  const form = root.querySelector("form[data-keep]");
  const field = form ? form.querySelector("textarea") : null;
  const wanted = root.dataset.formLanguage || "";
  let formXml = null;
  let app = null;
  let engine = null; // the instance the engine shows
  let stopWatching = null;
  let opened = ""; // the instance XML the engine was opened with ("" for a new one)
  let untouched = ""; // the engine's XML before the officer changed anything
  let writing = false;
  let sending = false; // handed to keep.js: what the engine does next is not the officer's typing
  let recordedAt = 0;

  function setLanguage(instance) {
    if (!wanted) return;
    const found = (instance.languages || []).find((l) => !l.isSyntheticDefault && l.language === wanted);
    if (found && instance.currentState.activeLanguage.language !== wanted) instance.setLanguage(found);
  }

  // What the officer typed goes into the form's field, and keep.js keeps it as she types (an
  // "input" event, as a typed field gives). Nothing typed yet: the field stays as it was.
  function record(xml) {
    if (!field || sending) return;
    const value = xml === untouched ? opened : xml;
    if (field.value === value) return;
    field.value = value;
    recordedAt = Date.now();
    writing = true;
    try {
      field.dispatchEvent(new Event("input", { bubbles: true }));
    } finally {
      writing = false;
    }
  }

  function adopt(instance) {
    if (!instance || instance === engine) return;
    engine = instance;
    if (stopWatching) stopWatching();
    setLanguage(instance);
    untouched = instance.instanceState.instanceXML;
    stopWatching = watch(() => instance.instanceState.instanceXML, (xml) => record(xml));
    root.dataset.mounted = "1";
  }

  async function submit(payload, callback) {
    if (payload.status !== "ready" || !payload.data || !payload.data[0]) return;
    if (!form || !field) {
      await postDirectly(root, payload, callback);
      return;
    }
    const file = payload.data[0].get("xml_submission_file");
    if (!file) return;
    const files = [];
    for (const data of payload.data) {
      for (const [name, value] of data.entries()) {
        if (name === "xml_submission_file" || !(value instanceof Blob)) continue;
        if (!files.some((kept) => kept.name === name)) files.push(new File([value], name, { type: value.type }));
      }
    }
    form.keepFiles = files;
    sending = true;
    // keep.js saves a draft 300 ms after the last change: let that save land before the form
    // is sent, or it would write the draft again after the sent instance's draft was deleted
    const settle = KEEP_DELAY_MS - (Date.now() - recordedAt);
    if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
    field.value = typeof file === "string" ? file : await file.text();
    // keep.js takes the submit event: sent now, or queued in the outbox with the link down
    form.requestSubmit();
  }

  function open() {
    if (stopWatching) stopWatching();
    stopWatching = null;
    engine = null;
    sending = false;
    if (app) app.unmount();
    delete root.dataset.mounted;
    opened = field ? field.value : "";
    const instanceXml = opened;
    const props = {
      formXml,
      fetchFormAttachment: (resource) => fetchAttachment(root, resource),
      missingResourceBehavior: "BLANK",
      onSubmit: submit,
    };
    if (instanceXml.trim()) {
      props.editInstance = {
        resolveInstance: async () => instanceXml,
        attachmentFileNames: [],
        resolveAttachment: async () => new Blob([]),
      };
    }
    app = createApp({ render: () => h(OdkWebForm, props) });
    app.mixin({
      created() {
        const type = this.$ && this.$.type;
        if (!type || type.__name !== "FormHeader") return;
        this.$watch(() => this.$props.form, (instance) => adopt(instance), { immediate: true });
      },
    });
    app.config.errorHandler = (error) => {
      say(root, `${root.dataset.loadFailed} ${error && error.message ? error.message : error}`, "error");
      console.error(error);
    };
    installWithNonce(app, styleNonce());
    app.mount(mountPoint);
  }

  if (field) {
    // keep.js restored a draft into the field (or put back what the outbox kept): open it
    field.addEventListener("input", () => {
      if (!writing && formXml !== null) open();
    });
    // keep.js emptied the form (Discard, or the instance went to the outbox): a new one
    // the server refused an instance sent with files: it stays as it is, the officer's next
    // changes are kept again
    form.addEventListener("keep:refused", () => {
      sending = false;
    });
    form.addEventListener("reset", () => {
      form.keepFiles = [];
      setTimeout(() => {
        if (formXml !== null) open();
      }, 0);
    });
  }

  return async () => {
    try {
      formXml = await loadXForm(root);
    } catch (error) {
      say(root, `${root.dataset.loadFailed} ${error.message || error}`, "error");
      return;
    }
    open();
  };
}

for (const root of document.querySelectorAll("[data-odk-web-form]")) {
  mountOn(root)();
}
