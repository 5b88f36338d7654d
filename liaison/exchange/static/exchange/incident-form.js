/* The incident form on a tablet. Without this script every section shows, the commodity is typed
   as its code and the place as numbers; the server checks everything either way.
   - sections that belong to other crime areas are hidden (and disabled, so nothing hidden is sent);
   - the agencies of the chosen post are shown;
   - the commodity is searched by name, accent-blind, in the vocabulary the app serves;
   - "Use my location" fills latitude and longitude from the tablet. */
(function () {
  "use strict";

  // Accent-blind as the server's fold(): "Vảy tê tê" and "vay te te" are the same words.
  function fold(text) {
    return String(text || "")
      .replace(/[đĐ]/g, "d")
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .normalize("NFC")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  function showSections(form) {
    var area = form.querySelector("[name=crime_area]");
    if (!area) return;
    function update() {
      form.querySelectorAll("[data-areas]").forEach(function (section) {
        var on = area.value !== "" && section.getAttribute("data-areas").split(" ").indexOf(area.value) >= 0;
        section.hidden = !on;
        section.disabled = !on;
      });
    }
    area.addEventListener("change", update);
    update();
  }

  function showAgencies(form) {
    var groups = form.querySelectorAll(".agency-group[data-blo]");
    var blo = form.querySelector("select[name=blo]");
    if (!blo || groups.length < 2) return;
    function update() {
      groups.forEach(function (group) {
        var post = group.getAttribute("data-blo");
        var on = post === "" || post === blo.value;
        group.hidden = !on;
        group.disabled = !on;
      });
    }
    blo.addEventListener("change", update);
    update();
  }

  var vocabulary = null;
  function loadVocabulary(url) {
    if (!vocabulary) {
      vocabulary = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) { return data.commodities; })
        .catch(function (error) { vocabulary = null; throw error; });
    }
    return vocabulary;
  }

  function search(entries, text) {
    var words = fold(text).split(" ").filter(Boolean);
    var first = [], rest = [];
    entries.forEach(function (entry) {
      for (var i = 0; i < words.length; i++) if (entry.search.indexOf(words[i]) < 0) return;
      (fold(entry.label).indexOf(words.join(" ")) === 0 ? first : rest).push(entry);
    });
    return first.concat(rest).slice(0, 40);
  }

  function commodityPicker(form, code) {
    var url = form.getAttribute("data-commodities");
    if (!url || !window.Autocompleter) return;
    var visible = document.createElement("input");
    visible.type = "search";
    visible.className = "commodity-search";
    visible.id = code.id;
    visible.autocomplete = "off";
    visible.spellcheck = false;
    visible.value = code.getAttribute("data-commodity-label") || code.value;
    code.id = code.id + "-code";
    code.type = "hidden";
    code.parentNode.insertBefore(visible, code);
    visible.addEventListener("input", function () { code.value = ""; });
    visible.addEventListener("focus", function () { loadVocabulary(url).catch(function () {}); });
    window.Autocompleter.default({
      input: visible,
      minLength: 1,
      debounceWaitMs: 60,
      className: "commodity-list",
      emptyMsg: form.getAttribute("data-commodity-empty") || "",
      preventSubmit: 2, // Enter chooses the highlighted entry, it does not send the form
      fetch: function (text, update) {
        loadVocabulary(url).then(function (entries) { update(search(entries, text)); }, function () { update(false); });
      },
      onSelect: function (entry) {
        visible.value = entry.label;
        code.value = entry.value;
        code.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  function geolocate(form) {
    var box = form.querySelector("[data-geolocate]");
    var latitude = form.querySelector("[name=latitude]");
    var longitude = form.querySelector("[name=longitude]");
    if (!box || !latitude || !longitude || !navigator.geolocation) return;
    var status = box.querySelector("[data-geolocate-status]");
    box.hidden = false;
    box.querySelector("[data-geolocate-button]").addEventListener("click", function () {
      status.textContent = status.getAttribute("data-waiting");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          [latitude, longitude].forEach(function (input) {
            input.dispatchEvent(new Event("input", { bubbles: true }));
            input.dispatchEvent(new Event("change", { bubbles: true }));
          });
          status.textContent = status.getAttribute("data-found").replace("%(metres)s", String(Math.round(position.coords.accuracy)));
        },
        function () { status.textContent = status.getAttribute("data-failed"); },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }

  document.querySelectorAll("form.incident-form").forEach(function (form) {
    showSections(form);
    showAgencies(form);
    form.querySelectorAll("input[data-commodity-picker]").forEach(function (input) { commodityPicker(form, input); });
    geolocate(form);
  });
})();
