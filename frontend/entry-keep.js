// Keep-and-send: local drafts and an outbox for Liaison's forms on field tablets, bundled with
// esbuild from `idb` (npm) into liaison/pwa/static/pwa/keep.js (see package.json, build:forms).
//
// A form opts in with data- attributes (no inline script: the pages' CSP refuses them):
//   <form data-keep="incident" data-keep-label="New incident">  kept as the user types, sent
//       through the outbox with an Idempotency-Key (the server records a key once);
//   data-keep-sensitive on the form or on a field or fieldset holding nominal data: those values
//       are encrypted at rest (AES-GCM, WebCrypto) with a non-extractable key of the user;
//   data-keep-skip on a field that must never be kept;
//   data-keep-local on a submit button ("Save draft") that, with the link down, only keeps the
//       draft on the tablet instead of queueing a post;
//   <div data-keep-queue="form"> / <div data-keep-queue="all">: where the waiting items are
//       listed (those that came from this page / every item of the user);
//   form.keepFiles (set by the page's script, e.g. the photos of an ODK form): Files sent with
//       the form's fields as a multipart post, each part named as the file is, kept in the
//       outbox as Blobs (sealed like the fields on a sensitive form) until they are sent; a
//       refusal is shown on the page (the [data-keep-reason] of the server's answer) and the
//       form gets a "keep:refused" event, rather than posted again without its files.
// base.html loads this file with the signed-in user's id (data-user) or data-signed-out, the
// CSRF cookie's name, the sign-in page's path and the service worker's form-page cache.
import { openDB } from "idb";

const script = document.currentScript;
const config = {
  user: script ? script.getAttribute("data-user") || "" : "",
  signedOut: script ? script.hasAttribute("data-signed-out") : false,
  csrfCookie: (script && script.getAttribute("data-csrf-cookie")) || "csrftoken",
  loginPath: (script && script.getAttribute("data-login")) || "/login/",
  formsCache: (script && script.getAttribute("data-forms-cache")) || "",
};
const DB_NAME = "liaison-keep";
const CSRF_FIELD = "csrfmiddlewaretoken";
const SKIPPED_TYPES = new Set(["file", "submit", "button", "reset", "password", "image"]);
const MANAGEMENT = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;
const canSeal = Boolean(window.crypto && window.crypto.subtle && window.isSecureContext);
const READY_STATES = new Set(["waiting", "sending"]);
const RETRY_SECONDS = 60;

let database = null;
function db() {
  if (!database) {
    database = openDB(DB_NAME, 1, {
      upgrade(upgrading) {
        upgrading.createObjectStore("drafts", { keyPath: "id" });
        upgrading.createObjectStore("outbox", { keyPath: "id" }).createIndex("user", "user");
        upgrading.createObjectStore("keys", { keyPath: "user" });
      },
    });
  }
  return database;
}

// --- words (translated by the server: <template id="keep-messages"> in base.html) -----------

function say(name, fallback) {
  const words = document.getElementById("keep-messages");
  const found = words && words.content ? words.content.querySelector(`[data-msg="${name}"]`) : null;
  return found ? found.textContent.trim() : fallback;
}

// --- the user's key: AES-GCM, generated here, never extractable; wiped at sign-out and when a
// page is shown signed out (the session ended or expired) ------------------------------------

async function userKey(create) {
  const store = await db();
  const found = await store.get("keys", config.user);
  if (found) return found.key;
  if (!create) return null;
  const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  try {
    await store.add("keys", { user: config.user, key });
    return key;
  } catch (error) {
    // another tab made one meanwhile: use that one
    const other = await store.get("keys", config.user);
    if (other) return other.key;
    throw error;
  }
}

async function seal(value) {
  const key = await userKey(true);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(JSON.stringify(value)));
  return { iv, data };
}

async function sealBytes(buffer) {
  const key = await userKey(true);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, data: await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, buffer) };
}

async function unsealBytes(sealed) {
  if (!sealed || !canSeal) return null;
  const key = await userKey(false);
  if (!key) return null;
  try {
    return await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
  } catch {
    return null;
  }
}

async function unseal(sealed) {
  if (!sealed || !canSeal) return null;
  const key = await userKey(false);
  if (!key) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.data);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- a form's fields ----------------------------------------------------------------------

function sensitive(form, field) {
  return form.hasAttribute("data-keep-sensitive") || Boolean(field.closest("[data-keep-sensitive]"));
}

function keptFields(form) {
  const seen = new Map();
  const fields = [];
  for (const field of form.elements) {
    const name = field.name;
    if (!name || name === CSRF_FIELD || MANAGEMENT.test(name)) continue;
    const type = (field.type || "").toLowerCase();
    if (SKIPPED_TYPES.has(type) || field.hasAttribute("data-keep-skip") || field.closest("[data-keep-skip]")) continue;
    const index = seen.has(name) ? seen.get(name) + 1 : 0;
    seen.set(name, index);
    fields.push({ field, name, index, type });
  }
  return fields;
}

function valueOf({ field, type }) {
  if (type === "checkbox" || type === "radio") return field.checked;
  if (field instanceof HTMLSelectElement && field.multiple) return Array.from(field.selectedOptions, (o) => o.value);
  return field.value;
}

// [plain entries, secret entries]; an entry is [name, index, value].
function snapshot(form) {
  const plain = [];
  const secret = [];
  for (const found of keptFields(form)) {
    const entry = [found.name, found.index, valueOf(found)];
    if (!sensitive(form, found.field)) plain.push(entry);
    else if (canSeal) secret.push(entry);
  }
  return { plain, secret };
}

function fill(form, entries) {
  const wanted = new Map(entries.map(([name, index, value]) => [`${name}\u0000${index}`, value]));
  for (const found of keptFields(form)) {
    const key = `${found.name}\u0000${found.index}`;
    if (!wanted.has(key)) continue;
    const value = wanted.get(key);
    const { field, type } = found;
    if (type === "checkbox" || type === "radio") field.checked = Boolean(value);
    else if (field instanceof HTMLSelectElement && field.multiple) {
      const values = new Set(Array.isArray(value) ? value : []);
      for (const option of field.options) option.selected = values.has(option.value);
    } else field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// --- drafts -------------------------------------------------------------------------------

const forms = new Map(); // form -> { id, baseline, timer, restoring }

function draftId(form) {
  const id = form.getAttribute("id");
  return `${config.user}|${location.pathname}${id ? `#${id}` : ""}`;
}

async function saveDraft(form) {
  const state = forms.get(form);
  if (!state || state.restoring) return;
  const now = snapshot(form);
  const store = await db();
  if (same(now, state.baseline)) {
    await store.delete("drafts", state.id);
    return;
  }
  const draft = {
    id: state.id,
    user: config.user,
    address: location.pathname,
    plain: now.plain,
    sealed: now.secret.length ? await seal(now.secret) : null,
    savedAt: Date.now(),
  };
  await store.put("drafts", draft);
}

function saveSoon(form) {
  const state = forms.get(form);
  if (!state) return;
  clearTimeout(state.timer);
  state.timer = setTimeout(() => saveDraft(form).catch(() => {}), 300);
}

function notice(form, text, action) {
  const previous = form.previousElementSibling;
  if (previous && previous.classList.contains("keep-notice")) previous.remove();
  const box = document.createElement("div");
  box.className = "keep-notice";
  box.setAttribute("role", "status");
  box.append(document.createTextNode(text));
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "linklike";
    button.textContent = action.label;
    button.addEventListener("click", action.run);
    box.append(document.createTextNode(" — "), button);
  }
  form.before(box);
  return box;
}

async function restoreDraft(form) {
  const state = forms.get(form);
  const store = await db();
  const draft = await store.get("drafts", state.id);
  if (!draft) return;
  let secret = [];
  if (draft.sealed) {
    secret = (await unseal(draft.sealed)) || [];
  }
  const kept = { plain: draft.plain || [], secret };
  const entries = [...kept.plain, ...kept.secret];
  if (!entries.length || same(snapshot(form), kept)) return;
  state.restoring = true;
  fill(form, entries);
  state.restoring = false;
  const box = notice(form, say("restored", "Draft restored from this tablet"), {
    label: say("discard", "Discard"),
    run: async () => {
      await (await db()).delete("drafts", state.id);
      state.restoring = true;
      form.reset();
      state.restoring = false;
      box.remove();
    },
  });
  box.dataset.keepRestored = "";
}

// --- the outbox -------------------------------------------------------------------------------

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === config.csrfCookie) return decodeURIComponent(rest.join("="));
  }
  const field = document.querySelector(`input[name="${CSRF_FIELD}"]`);
  return field ? field.value : "";
}

async function enqueue(form, submitter) {
  const state = forms.get(form);
  const data = new FormData(form, submitter || undefined);
  data.delete(CSRF_FIELD);
  const body = new URLSearchParams(data).toString();
  const fields = snapshot(form);
  const isSensitive = form.hasAttribute("data-keep-sensitive") || form.querySelector("[data-keep-sensitive]") !== null;
  // getAttribute: a field named "action" (the questionnaire's buttons) shadows form.action
  const action = new URL(form.getAttribute("action") || location.href, location.href);
  // The page's files: Blobs as they are, or sealed with the fields of a sensitive form.
  const attached = Array.isArray(form.keepFiles) ? form.keepFiles : [];
  const files = [];
  for (const file of attached) {
    const kept = { name: file.name, type: file.type || "application/octet-stream" };
    if (isSensitive) kept.sealed = await sealBytes(await file.arrayBuffer());
    else kept.blob = file;
    files.push(kept);
  }
  const item = {
    id: newKey(),
    user: config.user,
    action: action.pathname + action.search,
    origin: location.pathname,
    draft: state ? state.id : draftId(form),
    label: form.getAttribute("data-keep-label") || document.title,
    state: "sending",
    createdAt: Date.now(),
    plain: fields.plain,
    body: isSensitive ? null : body,
    sealed: isSensitive ? await seal({ body, secret: fields.secret }) : null,
    files,
    status: 0,
  };
  await (await db()).put("outbox", item);
  return item;
}

async function update(item, changes) {
  const store = await db();
  const stored = await store.get("outbox", item.id);
  if (!stored) return null;
  Object.assign(stored, changes);
  await store.put("outbox", stored);
  return stored;
}

// One attempt. "sent" (with the record's address), "waiting" (no network, a server error, or
// a session to sign in to again), "conflict" (the form came back: the record, a deadline or a
// choice changed meanwhile) or "refused" (permission, a key used for something else, bad input).
async function send(item) {
  let body = item.body;
  if (item.sealed) {
    const open = await unseal(item.sealed);
    if (!open) return { outcome: "waiting" };
    body = open.body;
  }
  const headers = {
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
    "Idempotency-Key": item.id,
    "X-CSRFToken": csrfToken(),
  };
  if (item.files && item.files.length) {
    // the fields and the files in one multipart post (the browser writes its boundary)
    const multipart = new FormData();
    for (const [name, value] of new URLSearchParams(body)) multipart.append(name, value);
    for (const file of item.files) {
      const bytes = file.sealed ? await unsealBytes(file.sealed) : file.blob;
      if (!bytes) return { outcome: "waiting" };
      multipart.append(file.name, new Blob([bytes], { type: file.type }), file.name);
    }
    body = multipart;
    delete headers["Content-Type"];
  }
  await update(item, { state: "sending" });
  let response;
  try {
    response = await fetch(item.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers,
    });
  } catch {
    await update(item, { state: "waiting" });
    return { outcome: "waiting" };
  }
  if (response.status === 201 || (response.status >= 301 && response.status <= 303)) {
    await (await db()).delete("outbox", item.id);
    return { outcome: "sent", location: response.headers.get("Location") || "/" };
  }
  if (response.redirected && new URL(response.url).pathname === config.loginPath) {
    await update(item, { state: "waiting", status: 401 });
    return { outcome: "signin" };
  }
  if (response.status >= 500 || response.status === 429) {
    await update(item, { state: "waiting", status: response.status });
    return { outcome: "waiting" };
  }
  const state = response.status === 409 || response.ok ? "conflict" : "refused";
  await update(item, { state, status: response.status });
  return { outcome: state, response };
}

async function itemsOfUser() {
  if (!config.user) return [];
  const store = await db();
  const items = await store.getAllFromIndex("outbox", "user", config.user);
  return items.sort((a, b) => a.createdAt - b.createdAt);
}

const sentHere = [];
let replaying = null;

async function replayAll() {
  if (replaying) return replaying;
  replaying = (async () => {
    try {
      for (const item of await itemsOfUser()) {
        if (!READY_STATES.has(item.state)) continue;
        const result = await send(item);
        if (result.outcome === "sent") sentHere.push({ label: item.label, location: result.location });
        if (result.outcome === "waiting" || result.outcome === "signin") break;
      }
    } finally {
      replaying = null;
      await renderQueues();
    }
  })();
  return replaying;
}

async function reopen(item) {
  const store = await db();
  let secret = [];
  if (item.sealed) {
    const open = await unseal(item.sealed);
    secret = open ? open.secret : [];
  }
  await store.put("drafts", {
    id: item.draft,
    user: config.user,
    address: item.origin,
    plain: item.plain || [],
    sealed: secret.length ? await seal(secret) : null,
    savedAt: Date.now(),
  });
  await store.delete("outbox", item.id);
  location.assign(item.origin);
}

// --- the lists of waiting items -----------------------------------------------------------------

const STATE_WORDS = {
  waiting: ["state_waiting", "Waiting for the network"],
  sending: ["state_sending", "Sending…"],
  conflict: ["state_conflict", "Not recorded: the form needs checking"],
  refused: ["state_refused", "Refused by the server"],
};

function button(label, run) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "linklike";
  element.textContent = label;
  element.addEventListener("click", run);
  return element;
}

async function renderQueues() {
  const containers = document.querySelectorAll("[data-keep-queue]");
  if (!containers.length) return;
  const items = await itemsOfUser();
  for (const container of containers) {
    const mine = container.getAttribute("data-keep-queue") === "all" ? items : items.filter((i) => i.origin === location.pathname);
    container.replaceChildren();
    container.hidden = !mine.length && !sentHere.length;
    if (container.hidden) continue;
    container.classList.add("keep-queue");
    const heading = document.createElement("h2");
    heading.textContent = say("queue_heading", "Kept on this tablet, not yet recorded");
    container.append(heading);
    const list = document.createElement("ul");
    list.className = "plain";
    for (const item of mine) {
      const row = document.createElement("li");
      row.dataset.state = item.state;
      row.dataset.key = item.id;
      const label = document.createElement("strong");
      label.textContent = item.label;
      const when = document.createElement("time");
      when.dateTime = new Date(item.createdAt).toISOString();
      when.textContent = new Date(item.createdAt).toLocaleString(document.documentElement.lang || undefined);
      const state = document.createElement("span");
      state.className = `keep-state keep-${item.state}`;
      const [name, fallback] = STATE_WORDS[item.state] || STATE_WORDS.waiting;
      state.textContent = say(name, fallback);
      row.append(label, " · ", when, " · ", state, " ");
      if (READY_STATES.has(item.state)) row.append(button(say("send_now", "Send now"), () => replayAll()), " ");
      row.append(button(say("reopen", "Reopen"), () => reopen(item)), " ");
      row.append(
        button(say("discard", "Discard"), async () => {
          if (!window.confirm(say("discard_confirm", "Delete this from the tablet? It was not recorded."))) return;
          await (await db()).delete("outbox", item.id);
          await renderQueues();
        }),
      );
      list.append(row);
    }
    for (const sent of sentHere) {
      const row = document.createElement("li");
      row.dataset.state = "sent";
      const link = document.createElement("a");
      link.href = sent.location;
      link.textContent = sent.label;
      row.append(link, " · ", say("state_sent", "Recorded"));
      list.append(row);
    }
    container.append(list);
  }
}

// --- submitting -------------------------------------------------------------------------------

// Where the server sent the officer. The same page with another fragment (the Q&A notes answer
// with the session's address and the question's anchor) would only scroll: load it again.
function goTo(address) {
  const target = new URL(address, location.href);
  if (target.origin === location.origin && target.pathname === location.pathname && target.search === location.search) {
    if (target.hash) location.hash = target.hash;
    location.reload();
    return;
  }
  location.assign(target.href);
}

// The reason a refused post gives: the [data-keep-reason] of the page it answers with, else its
// text.
async function refusalText(response) {
  const text = response ? await response.text().catch(() => "") : "";
  const type = response ? response.headers.get("Content-Type") || "" : "";
  if (type.includes("html")) {
    const page = new DOMParser().parseFromString(text, "text/html");
    const reason = page.querySelector("[data-keep-reason]");
    if (reason && reason.textContent.trim()) return reason.textContent.trim();
  }
  return text.trim() || say("state_refused", "Refused by the server");
}

async function submitKept(form, submitter) {
  const state = forms.get(form);
  const item = await enqueue(form, submitter);
  const result = navigator.onLine === false ? (await update(item, { state: "waiting" }), { outcome: "waiting" }) : await send(item);
  if (result.outcome === "sent") {
    if (state) await (await db()).delete("drafts", state.id);
    if (state) state.baseline = snapshot(form);
    goTo(result.location);
    return;
  }
  if ((result.outcome === "conflict" || result.outcome === "refused") && item.files.length) {
    // A post of the browser's own would leave the files behind: the server's reason is shown
    // here instead, the form and its files stay as they are (the draft stays kept meanwhile).
    await (await db()).delete("outbox", item.id);
    notice(form, await refusalText(result.response)).dataset.keepRefused = "";
    form.dispatchEvent(new CustomEvent("keep:refused"));
    return;
  }
  if (result.outcome === "conflict" || result.outcome === "refused") {
    // Online, the answer is for the person looking at the form: let the browser post it and
    // show the server's page with its errors (the draft stays kept meanwhile).
    await (await db()).delete("outbox", item.id);
    form.dataset.keepNative = "yes";
    if (submitter && submitter.form === form) form.requestSubmit(submitter);
    else form.requestSubmit();
    return;
  }
  // Kept in the outbox: the form is emptied, its text waits in the list below it.
  if (state) {
    await (await db()).delete("drafts", state.id);
    state.restoring = true;
    form.reset();
    state.baseline = snapshot(form);
    state.restoring = false;
  }
  const text =
    result.outcome === "signin"
      ? say("queued_signin", "Your session has ended. Sign in again: it will be sent then.")
      : say("queued", "No connection: kept on this tablet and sent when the network returns.");
  const box = notice(form, text);
  box.dataset.keepQueued = "";
  await renderQueues();
  // the officer pressed the button at the bottom of a long form: show her where it went
  const list = document.querySelector('[data-keep-queue]:not([hidden])');
  (list || box).scrollIntoView({ block: "start" });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !forms.has(form)) return;
  if (form.dataset.keepNative === "yes" || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
  if ((form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data") return;
  // the page's own script stopped it (the questionnaire's answers need attention)
  if (event.defaultPrevented) return;
  event.preventDefault();
  // "Save draft" with the link down: the draft on the tablet is that draft; nothing to send
  if (navigator.onLine === false && event.submitter && event.submitter.hasAttribute("data-keep-local")) {
    const state = forms.get(form);
    clearTimeout(state.timer);
    saveDraft(form)
      .then(() => {
        notice(form, say("kept_local", "No connection: this draft is kept on this tablet.")).dataset.keepLocal = "";
      })
      .catch(() => {});
    return;
  }
  // a second press while the first is on its way would be a second submission with a new key
  if (form.dataset.keepBusy === "yes") return;
  form.dataset.keepBusy = "yes";
  if (navigator.onLine !== false) notice(form, say("state_sending", "Sending…"));
  submitKept(form, event.submitter).finally(() => {
    delete form.dataset.keepBusy;
  }).catch((error) => {
    // IndexedDB refused (a private window, a full disk): the browser posts it as usual — not
    // a form with files, which its own post would leave behind
    console.error("Liaison could not keep this form on the tablet:", error);
    if (Array.isArray(form.keepFiles) && form.keepFiles.length) {
      notice(form, say("files_not_kept", "This tablet could not keep the form's files: nothing was sent. Try again."));
      return;
    }
    form.dataset.keepNative = "yes";
    form.requestSubmit();
  });
});

for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    const form = event.target && event.target.form;
    if (form && forms.has(form)) saveSoon(form);
  });
}

window.addEventListener("pagehide", () => {
  for (const form of forms.keys()) {
    clearTimeout(forms.get(form).timer);
    saveDraft(form).catch(() => {});
  }
});

// --- wiping ---------------------------------------------------------------------------------------

async function wipeAll() {
  const store = await db();
  const tx = store.transaction(["drafts", "outbox", "keys"], "readwrite");
  await Promise.all([tx.objectStore("drafts").clear(), tx.objectStore("outbox").clear(), tx.objectStore("keys").clear(), tx.done]);
  if (config.formsCache && window.caches) await window.caches.delete(config.formsCache);
}

// Signed out (the session ended or expired): the keys go, and with them whatever they sealed.
async function forgetSealed() {
  const store = await db();
  const tx = store.transaction(["drafts", "outbox", "keys"], "readwrite");
  await tx.objectStore("keys").clear();
  for (const name of ["drafts", "outbox"]) {
    let cursor = await tx.objectStore(name).openCursor();
    while (cursor) {
      if (cursor.value.sealed) await cursor.delete();
      cursor = await cursor.continue();
    }
  }
  await tx.done;
  if (config.formsCache && window.caches) await window.caches.delete(config.formsCache);
}

// Sign-out (register.js asks before it signs out): warn about what was not sent, then wipe.
async function beforeSignOut() {
  try {
    const unsent = await itemsOfUser();
    if (unsent.length) {
      const lines = unsent.map((i) => `• ${i.label} — ${new Date(i.createdAt).toLocaleString(document.documentElement.lang || undefined)}`);
      const question = say("signout_warning", "These were typed on this tablet and never recorded. Signing out deletes them from the tablet:");
      if (!window.confirm(`${question}\n\n${lines.join("\n")}`)) return false;
    }
    await wipeAll();
  } catch {
    /* no IndexedDB here: nothing was kept */
  }
  return true;
}

window.LiaisonKeep = { beforeSignOut, replay: replayAll };

// --- start ----------------------------------------------------------------------------------------

async function start() {
  if (!("indexedDB" in window)) return;
  if (config.signedOut) {
    await forgetSealed();
    return;
  }
  if (!config.user) return;
  for (const form of document.querySelectorAll("form[data-keep]")) {
    forms.set(form, { id: draftId(form), baseline: snapshot(form), timer: 0, restoring: false });
    await restoreDraft(form);
  }
  await renderQueues();
  window.addEventListener("online", () => replayAll());
  if (navigator.onLine !== false) await replayAll();
  // "online" may say nothing on a link that is up but does not reach the server: try again
  setInterval(() => {
    if (navigator.onLine !== false) replayAll();
  }, RETRY_SECONDS * 1000);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start().catch(() => {}));
else start().catch(() => {});
