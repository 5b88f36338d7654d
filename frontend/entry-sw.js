// Liaison's service worker, bundled with esbuild from Workbox's npm packages (see package.json).
// The server prepends its configuration as self.__LIAISON_SW__ when it serves /sw.js (see
// liaison/pwa/views.py): the app shell to precache with revisions, the offline pages of each
// language, the record prefixes never cached and the reading paths kept for offline reading.
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { registerRoute, setCatchHandler, setDefaultHandler } from "workbox-routing";
import { CacheFirst, NetworkFirst, NetworkOnly } from "workbox-strategies";

const config = self.__LIAISON_SW__;
const READING_CACHE = config.readingCache;
const SEARCH_PATH = config.searchPath;
const FORMS_CACHE = config.formsCache;
const FORM_PAGES = new Set(config.formPages);
const BASE_MAP_CACHE = config.baseMapCache;
let lastLanguage = "";

function isRecord(url) {
  return url.origin === self.location.origin && config.recordPrefixes.some((p) => url.pathname.startsWith(p));
}

function isReadable(url) {
  return url.origin === self.location.origin && !isRecord(url) &&
    config.readablePatterns.some((pattern) => new RegExp(pattern).test(url.pathname));
}

// A response the server marked no-store, a redirect (to the sign-in page) or an error is never
// kept: record content carries no-store, and a signed-out page must not replace a lesson.
const keepOnlyStorable = {
  cacheWillUpdate: async ({ response }) => {
    if (!response || response.status !== 200 || response.redirected || response.type === "opaqueredirect") return null;
    const cacheControl = (response.headers.get("Cache-Control") || "").toLowerCase();
    if (cacheControl.includes("no-store")) return null;
    return response;
  },
};

const rememberLanguage = {
  fetchDidSucceed: async ({ response }) => {
    const language = response.headers.get("Content-Language");
    if (language) lastLanguage = language.toLowerCase();
    return response;
  },
};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) =>
  event.waitUntil(Promise.all([self.clients.claim(), forgetOldBaseMaps()])),
);
// Sign-out (liaison.js) asks the worker to forget what the officer read.
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "liaison:forget-reading") {
    event.waitUntil(caches.delete(READING_CACHE));
  }
});

cleanupOutdatedCaches();
precacheAndRoute(config.precache);

// The base map's tiles (the survey engine's map; the overview is precached above): the copy on
// the tablet first, the network for a tile it has not kept yet, kept once shown (an answer
// other than 200, a tile outside the set, is not). Tiles hold no record: sign-out leaves them.
// A new tile set comes with a new cache name; the old set's cache goes when this worker starts.
registerRoute(
  ({ url, request }) =>
    request.method === "GET" && url.origin === self.location.origin && url.pathname.startsWith(config.baseMapPrefix),
  new CacheFirst({ cacheName: BASE_MAP_CACHE }),
);

async function forgetOldBaseMaps() {
  const prefix = BASE_MAP_CACHE.replace(/-[^-]*$/, "-");
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(prefix) && n !== BASE_MAP_CACHE).map((n) => caches.delete(n)));
}

// The empty new-incident and new-intelligence forms (liaison/pwa/offline.py, OFFLINE_FORMS): the
// network first, the copy of the last visit offline. Only the bare address is kept, never a
// query, a POST's answer (a form with what was typed) or a redirect; the records under the same
// prefixes stay network only. keep.js deletes this cache at sign-out and when signed out.
const emptyForms = new NetworkFirst({
  cacheName: FORMS_CACHE,
  networkTimeoutSeconds: 6,
  matchOptions: { ignoreVary: true },
  plugins: [
    {
      cacheWillUpdate: async ({ response }) =>
        response && response.status === 200 && !response.redirected && response.type === "basic" ? response : null,
    },
    rememberLanguage,
  ],
});
registerRoute(
  ({ url, request }) =>
    request.method === "GET" && request.mode === "navigate" && url.origin === self.location.origin &&
    url.search === "" && FORM_PAGES.has(url.pathname),
  emptyForms,
);

// A form on one record the officer was given (a round's questionnaire, an open quiz attempt, a
// Q&A session's notes; liaison/pwa/offline.py, OFFLINE_COPY_PATTERNS): the network first; what
// is kept for offline is only the copy the server names in its answer's header, rendered without
// what was recorded (no draft answers, no notes, no messages), under the bare address. An answer
// without the header (the round closed, the attempt submitted, the sign-in page) drops the copy.
const COPY_PATTERNS = config.offlineCopyPatterns.map((pattern) => new RegExp(pattern));
const COPY_HEADER = config.offlineCopyHeader;
const COPY_ITSELF = config.offlineCopyItself;
const NETWORK_SECONDS = 6;

function isCopyPage(url, request) {
  return request.method === "GET" && request.mode === "navigate" && url.origin === self.location.origin &&
    url.search === "" && COPY_PATTERNS.some((pattern) => pattern.test(url.pathname));
}

async function keepCopy(url, response) {
  const cache = await caches.open(FORMS_CACHE);
  if (response.status >= 500 || response.status === 429) return; // a bad moment, not an answer
  const named = response.status === 200 && !response.redirected ? response.headers.get(COPY_HEADER) : null;
  if (!named) {
    await cache.delete(url.pathname, { ignoreVary: true });
    return;
  }
  let copy = response;
  if (named !== COPY_ITSELF) {
    const address = new URL(named, url);
    if (address.origin !== url.origin || address.pathname !== url.pathname) return;
    copy = await fetch(address.href, { credentials: "same-origin" });
    if (copy.status !== 200 || copy.redirected || copy.headers.get(COPY_HEADER) !== COPY_ITSELF) return;
  }
  await cache.put(url.pathname, copy);
}

registerRoute(
  ({ url, request }) => isCopyPage(url, request),
  async ({ url, request, event }) => {
    const network = fetch(request);
    let response;
    try {
      response = await Promise.race([
        network,
        new Promise((_resolve, reject) => setTimeout(() => reject(new Error("slow")), NETWORK_SECONDS * 1000)),
      ]);
    } catch (error) {
      const kept = await (await caches.open(FORMS_CACHE)).match(url.pathname, { ignoreVary: true });
      if (kept) return kept;
      response = await network;
    }
    const language = response.headers.get("Content-Language");
    if (language) lastLanguage = language.toLowerCase();
    const keeping = keepCopy(url, response.clone()).catch(() => {});
    if (event && event.waitUntil) event.waitUntil(keeping);
    return response;
  },
);

// Records, the API, accounts: straight to the network, never into a cache.
registerRoute(({ url }) => isRecord(url), new NetworkOnly({ plugins: [rememberLanguage] }));

// The reference search at its usual address: the server's answer when online; offline, the
// search page kept from an earlier visit, which fills its results from the cached index
// (liaison/reference/static/reference/offline-search.js).
const reading = new NetworkFirst({
  cacheName: READING_CACHE,
  networkTimeoutSeconds: 6,
  // Pages vary on Cookie and Accept-Language: offline, the kept copy answers whatever the
  // request says (the reading cache is wiped at sign-out).
  matchOptions: { ignoreVary: true },
  plugins: [keepOnlyStorable, rememberLanguage],
});
registerRoute(
  ({ url, request }) => request.mode === "navigate" && url.origin === self.location.origin && url.pathname === SEARCH_PATH,
  async (options) => {
    try {
      return await reading.handle(options);
    } catch (error) {
      const cache = await caches.open(READING_CACHE);
      const shell = await cache.match(SEARCH_PATH, { ignoreVary: true });
      if (shell) return shell;
      throw error;
    }
  },
);

// Reference pages, the search index and opened training modules: network first, kept for offline.
registerRoute(({ url }) => isReadable(url), reading);

// Every other page: the network only, and the offline page when it fails.
setDefaultHandler(new NetworkOnly({ plugins: [rememberLanguage] }));

function offlineLanguage() {
  const wanted = [lastLanguage, ...(self.navigator.languages || [])].map((l) => (l || "").toLowerCase());
  for (const language of wanted) {
    if (config.offlinePages[language]) return language;
    const base = language.split("-")[0];
    if (config.offlinePages[base]) return base;
  }
  return config.defaultLanguage;
}

setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate" || request.destination === "document") {
    const page = await matchPrecache(config.offlinePages[offlineLanguage()]);
    if (page) return page;
  }
  return Response.error();
});

// Web Push (liaison/notifications): a message says only that something waits, and where. It is
// shown as it came; a click opens (or focuses) the app at that page, on this origin only.
self.addEventListener("push", (event) => {
  let message = { title: "Liaison", body: "", url: "/" };
  try {
    message = { ...message, ...event.data.json() };
  } catch (error) {
    // an empty or unreadable push still tells the officer to look
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      icon: "/static/pwa/icon-192.png",
      tag: message.url,
      data: { url: message.url },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const wanted = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  const url = wanted.origin === self.location.origin ? wanted.href : self.location.origin + "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (client.url === url && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(url);
    }),
  );
});
