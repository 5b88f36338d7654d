/* The incident form on a tablet. Without this script every section shows, a commodity or a country
   is typed as its code and the place as numbers; the server checks everything either way.
   - sections that belong to other crime areas are hidden (and disabled, so nothing hidden is sent);
   - the agencies of the chosen post are shown;
   - commodities and countries are searched by name, accent-blind, in vocabularies the app serves;
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

  var vocabularies = {};
  function loadVocabulary(url) {
    if (!vocabularies[url]) {
      vocabularies[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) { return data.entries; })
        .catch(function (error) { delete vocabularies[url]; throw error; });
    }
    return vocabularies[url];
  }

  // As the server's find_entries(): the entries holding the typed words together if any do
  // ("te te" finds "tê tê"), else those holding every word; a Latin word at the start of one of
  // the entry's words, a word of a script without spaces (Khmer, Lao, Thai) anywhere. Names that
  // begin with what was typed come first.
  var LATIN = /^[a-z0-9 ]+$/;
  var WORD_BREAKS = /[^\p{L}\p{N}\p{M}_]+/gu;
  function found(entry, words) {
    if (!entry.spaced) entry.spaced = " " + entry.search.replace(WORD_BREAKS, " ");
    return words.every(function (word) {
      return LATIN.test(word) ? entry.spaced.indexOf(" " + word) >= 0 : entry.search.indexOf(word) >= 0;
    });
  }
  function search(entries, text) {
    var words = fold(text).split(" ").filter(Boolean);
    var phrase = words.join(" ");
    var hits = words.length > 1 ? entries.filter(function (e) { return found(e, [phrase]); }) : [];
    if (!hits.length) hits = entries.filter(function (e) { return found(e, words); });
    var first = [], rest = [];
    hits.forEach(function (entry) {
      (fold(entry.label).indexOf(phrase) === 0 ? first : rest).push(entry);
    });
    return first.concat(rest).slice(0, 40);
  }

  // <input data-picker="commodities|countries" [data-picker-multiple]>: the server's field
  // (a code, or codes) stays what is posted; the reader searches names in a box beside it.
  function picker(form, original) {
    var url = form.getAttribute("data-picker-" + original.getAttribute("data-picker"));
    if (!url || !window.Autocompleter) return;
    var multiple = original.hasAttribute("data-picker-multiple");
    var visible = document.createElement("input");
    visible.type = "search";
    visible.className = "picker-search";
    visible.id = original.id;
    visible.autocomplete = "off";
    visible.spellcheck = false;
    original.id = original.id + "-code";
    original.parentNode.insertBefore(visible, original);
    visible.addEventListener("focus", function () {
      loadVocabulary(url).catch(function () {});
      // Room below the field for the list (and above the tablet's keyboard).
      if (visible.getBoundingClientRect().top > window.innerHeight / 3) {
        visible.scrollIntoView({ block: "start", behavior: "instant" });
        window.scrollBy(0, -80);
      }
    });

    var choose;
    if (multiple) {
      // The codes stay in the server's field ("LA, TH"), hidden; the names show as chips.
      var names = {};
      try { names = JSON.parse(original.getAttribute("data-picker-label") || "{}"); } catch (e) { names = {}; }
      original.type = "hidden";
      var chips = document.createElement("ul");
      chips.className = "picker-chips";
      visible.parentNode.insertBefore(chips, visible);
      var codes = function () { return original.value.split(/[,;\s]+/).filter(Boolean); };
      var store = function (values) {
        original.value = values.join(", ");
        render();
      };
      var render = function () {
        chips.textContent = "";
        codes().forEach(function (value) {
          var label = names[value] || value;
          var chip = document.createElement("li");
          var remove = document.createElement("button");
          remove.type = "button";
          remove.textContent = "×";
          remove.setAttribute("aria-label", (form.getAttribute("data-picker-remove") || "Remove") + ": " + label);
          remove.addEventListener("click", function () {
            store(codes().filter(function (code) { return code !== value; }));
            visible.focus();
          });
          chip.appendChild(document.createTextNode(label + " "));
          chip.appendChild(remove);
          chips.appendChild(chip);
        });
      };
      // Codes put there by someone else (a draft restored): name them from the vocabulary.
      original.addEventListener("change", function () {
        loadVocabulary(url).then(function (entries) {
          entries.forEach(function (entry) { names[entry.value] = entry.label; });
          render();
        }, render);
      });
      render();
      choose = function (entry) {
        names[entry.value] = entry.label;
        var values = codes();
        if (values.indexOf(entry.value) < 0) values.push(entry.value);
        store(values);
        visible.value = "";
      };
    } else {
      var choosing = false;
      // The name of the code held (typed without the script, or restored from a draft).
      var showName = function () {
        var value = original.value;
        visible.value = value;
        if (!value) return;
        loadVocabulary(url).then(function (entries) {
          for (var i = 0; i < entries.length; i++) {
            if (entries[i].value === value && original.value === value) visible.value = entries[i].label;
          }
        }, function () {});
      };
      visible.value = original.getAttribute("data-picker-label") || "";
      original.type = "hidden";
      if (original.value && !visible.value) showName();
      original.addEventListener("change", function () { if (!choosing) showName(); });
      // A name typed but not chosen from the list posts nothing, and the server says so.
      visible.addEventListener("input", function () { original.value = ""; });
      choose = function (entry) {
        visible.value = entry.label;
        original.value = entry.value;
        choosing = true;
        original.dispatchEvent(new Event("change", { bubbles: true }));
        choosing = false;
      };
    }
    window.Autocompleter.default({
      input: visible,
      minLength: 1,
      debounceWaitMs: 60,
      className: "picker-list",
      emptyMsg: form.getAttribute("data-picker-empty") || "",
      preventSubmit: 2, // Enter chooses the highlighted entry, it does not send the form
      fetch: function (text, update) {
        loadVocabulary(url).then(function (entries) { update(search(entries, text)); }, function () { update(false); });
      },
      onSelect: choose
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
    // Fetched once the page is shown, so that the browser (and the service worker, which keeps
    // reference pages) holds the vocabularies for a form filled later without a link.
    window.addEventListener("load", function () {
      ["commodities", "countries"].forEach(function (name) {
        var url = form.getAttribute("data-picker-" + name);
        if (url) loadVocabulary(url).catch(function () {});
      });
    });
    showSections(form);
    showAgencies(form);
    form.querySelectorAll("input[data-picker]").forEach(function (input) { picker(form, input); });
    geolocate(form);
  });
})();
