/* Installs Liaison's service worker (served from the root, see liaison/pwa/views.py) and, at
   sign-out, forgets the pages kept for offline reading. Loaded by base.html; the
   Content-Security-Policy refuses inline scripts, so the worker's address comes from data-. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  var workerUrl = script.getAttribute("data-service-worker");
  var readingCache = script.getAttribute("data-reading-cache");
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
    if (form.dataset.forgotten === "yes" || !window.caches || !readingCache) return;
    event.preventDefault();
    form.dataset.forgotten = "yes";
    window.caches.delete(readingCache).then(function () { form.submit(); }, function () { form.submit(); });
  });
})();
