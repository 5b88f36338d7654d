/* The seizure import's page follows the background task: it polls the import's JSON every two
   seconds until the task has finished, then reloads once to show the outcome (problems or count). */
(function () {
  "use strict";
  var box = document.querySelector("[data-import-progress]");
  if (!box || box.hasAttribute("data-finished")) {
    return;
  }
  var url = box.getAttribute("data-import-progress");
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
        text("[data-import-status]", progress.status_label);
        text("[data-import-checked]", progress.rows_checked);
        text("[data-import-total]", progress.rows_total);
        var bar = box.querySelector("[data-import-bar]");
        if (bar) {
          bar.max = Math.max(progress.rows_total, 1);
          bar.value = progress.rows_checked;
        }
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
