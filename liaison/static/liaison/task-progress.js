/* A page that follows work done by the background worker (a PDF report being drawn, an export
   being written) polls its JSON every two seconds until it has finished, then reloads once to
   offer the download (or say that it failed). */
(function () {
  "use strict";
  var box = document.querySelector("[data-drawing-progress]");
  if (!box || box.hasAttribute("data-finished")) {
    return;
  }
  var url = box.getAttribute("data-drawing-progress");
  function text(selector, value) {
    var element = box.querySelector(selector);
    if (element) {
      element.textContent = String(value);
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (progress) {
        if (!progress) {
          window.setTimeout(poll, 5000);
          return;
        }
        text("[data-drawing-status]", progress.status_label);
        text("[data-drawing-seconds]", progress.seconds);
        if (progress.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
