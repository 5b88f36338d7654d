/* Installs Liaison's service worker (served from the root, see liaison/pwa/views.py) and, at
   sign-out, forgets the pages kept for offline reading, after keep.js has warned about unsent
   forms and wiped the drafts, the outbox and the key (it may cancel the sign-out). Loaded by base.html; the
   Content-Security-Policy refuses inline scripts, so the worker's address comes from data-. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  var workerUrl = script.getAttribute("data-service-worker");
  var readingCache = script.getAttribute("data-reading-cache");
  function signOut(form) {
    var keep = window.LiaisonKeep;
    var asked = keep && keep.beforeSignOut ? keep.beforeSignOut() : Promise.resolve(true);
    asked.then(function (goOn) {
      if (!goOn) { delete form.dataset.forgotten; return; }
      if (!window.caches || !readingCache) { form.submit(); return; }
      window.caches.delete(readingCache).then(function () { form.submit(); }, function () { form.submit(); });
    }, function () { form.submit(); });
  }
  if (workerUrl) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(workerUrl, { scope: "/" }).catch(function () {
        /* an old browser or a private window: the site works without it */
      });
    });
  }
  // <form data-forget-offline>: the sign-out form. What was kept for reading goes first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-forget-offline")) return;
    if (form.dataset.forgotten === "yes") return;
    event.preventDefault();
    form.dataset.forgotten = "yes";
    signOut(form);
  });
})();
