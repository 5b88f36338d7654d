/* The incident form's hints, asked of the server as the officer types (nothing is stored):
   - next to a nominal entry's number (or a company's name), "seen before" in records shared with
     the officer — as far as the officer may read them;
   - under the summary, a warning when it seems to hold identity data (names, plates, numbers
     belong in the nominal part, shared more narrowly). Offline, nothing is shown. */
(function () {
  "use strict";
  var KINDS = { vehicle: "plate", telephone: "phone", document: "document", person: "document", company: "company", container: "container" };
  var box = document.getElementById("identifier-hints");
  var form = document.getElementById("incident-form");
  if (!box || !form) return;

  function later(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function note(field, cls) {
    var el = field.parentNode.querySelector("." + cls);
    if (!el) {
      el = document.createElement("p");
      el.className = "help " + cls;
      el.setAttribute("aria-live", "polite");
      field.parentNode.appendChild(el);
    }
    return el;
  }

  function seenBefore(row) {
    var kind = KINDS[(row.querySelector("select[name$='-kind']") || {}).value];
    var name = row.querySelector("input[name$='-name']");
    var number = row.querySelector("input[name$='-identifier']");
    if (!kind || !number) return;
    var value = kind === "company" ? (name && name.value) || number.value : number.value || (kind === "container" && name ? name.value : "");
    var el = note(number, "seen-before");
    el.textContent = "";
    if (value.trim().length < 4) return;
    var url = box.getAttribute("data-seen") + "?" + new URLSearchParams({ kind: kind, value: value });
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || !answer.seen) return;
        el.textContent = box.getAttribute("data-seen-text") + " " + answer.seen + " — ";
        answer.records.forEach(function (record, i) {
          var link = document.createElement("a");
          link.href = record.url;
          link.textContent = record.reference;
          link.target = "_blank";
          if (i) el.appendChild(document.createTextNode(", "));
          el.appendChild(link);
        });
      })
      .catch(function () {});
  }

  form.querySelectorAll("#nominal .formrow").forEach(function (row) {
    var ask = later(function () { seenBefore(row); }, 400);
    row.querySelectorAll("input[name$='-identifier'], input[name$='-name'], select[name$='-kind']").forEach(function (field) {
      field.addEventListener("input", ask);
      field.addEventListener("change", ask);
    });
  });

  var summary = form.querySelector("[name=summary]");
  var token = form.querySelector("[name=csrfmiddlewaretoken]");
  if (!summary || !token) return;
  summary.addEventListener("input", later(function () {
    var el = note(summary, "identity-warning");
    var body = new FormData();
    body.append("summary", summary.value);
    body.append("csrfmiddlewaretoken", token.value);
    fetch(box.getAttribute("data-check"), { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) return;
        el.textContent = answer.warning;
        el.classList.toggle("warning", Boolean(answer.warning));
      })
      .catch(function () {});
  }, 700));
})();
