/* The reference search without a network. Online, the reference pages keep a copy of the search
   page and of the library's index for the service worker (at most once a day). Offline, the
   worker answers /reference/search/?q=… with that copy of the search page, and this script
   fills its results from the index: the same folding as the server (liaison/reference/
   language.py: accents and tone marks dropped, đ → d, case ignored), every word of the query in
   the entry's names, other names and identifiers as the server matches them (liaison/reference/
   search.py: whole words, a prefix from 3 letters; words of unspaced scripts anywhere), the
   same order (an exact name, a name beginning with the query, other matches; species and goods
   first; lists by their best entry) and the same 25 entries per list. The server also finds
   entries by their descriptions, which the tablet's copy leaves out to stay small. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var indexUrl = script.getAttribute("data-index-url");
  var searchUrl = script.getAttribute("data-search-url");
  var WARMED_KEY = "liaison:reference-warmed";
  var DAY = 24 * 3600 * 1000;
  var SPECIAL = { "đ": "d", "Đ": "d", "ß": "ss", "ø": "o", "Ø": "o", "ł": "l" };

  function fold(text) {
    var plain = text.replace(/[đĐßøØł]/g, function (c) { return SPECIAL[c]; });
    plain = plain.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").normalize("NFC");
    return plain.toLowerCase().replace(/\s+/g, " ").trim();
  }

  function compact(text) { return text.replace(/[- ]/g, ""); }

  var PREFIX_FROM = 3;
  function words(text) { return text.match(/[\p{L}\p{N}]+/gu) || []; }
  function isSpaced(term) {
    for (var i = 0; i < term.length; i++) { if (term.charCodeAt(i) >= 0x250) return false; }
    return true;
  }
  function sequenceIn(wanted, textWords) {
    var last = wanted.length - 1;
    for (var start = 0; start + last < textWords.length; start++) {
      var ok = true;
      for (var offset = 0; offset <= last && ok; offset++) {
        var candidate = textWords[start + offset], word = wanted[offset];
        ok = offset === last && word.length >= PREFIX_FROM ? candidate.indexOf(word) === 0 : candidate === word;
      }
      if (ok) return true;
    }
    return false;
  }
  function wordsMatch(terms, text) {
    var textWords = words(text);
    return terms.every(function (term) {
      if (!isSpaced(term)) return text.indexOf(term) !== -1;
      var wanted = words(term);
      return !wanted.length || sequenceIn(wanted, textWords);
    });
  }
  function compareEntries(a, b) {
    return a.rank - b.rank || a.first - b.first || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  }

  function rank(searchText, query) {
    var parts = searchText.split(" | ");
    var compactQuery = compact(query);
    if (parts.some(function (p) { return p === query || compact(p) === compactQuery; })) return 0;
    if (parts.some(function (p) { return p.indexOf(query) === 0; })) return 1;
    return 2;
  }

  function warm() {
    if (!navigator.onLine || !("serviceWorker" in navigator) || !navigator.serviceWorker.controller) return;
    var last = Number(window.localStorage.getItem(WARMED_KEY) || 0);
    if (Date.now() - last < DAY) return;
    Promise.all([fetch(indexUrl, { credentials: "same-origin" }), fetch(searchUrl, { credentials: "same-origin" })])
      .then(function (answers) {
        if (answers.every(function (a) { return a.ok && !a.redirected; })) {
          window.localStorage.setItem(WARMED_KEY, String(Date.now()));
        }
      })
      .catch(function () { /* offline again: next visit */ });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(box, index, rawQuery, kind) {
    var terms = fold(rawQuery.slice(0, index.maxQueryLength)).split(" ").filter(Boolean);
    var query = terms.join(" ");
    var groups = index.vocabularies.map(function (vocabulary) { return { vocabulary: vocabulary, entries: [] }; });
    index.entries.forEach(function (row) {
      var vocabulary = index.vocabularies[row[0]];
      if (kind && vocabulary.kind !== kind) return;
      var text = row[4];
      if (wordsMatch(terms, text)) {
        groups[row[0]].entries.push({ url: row[1], label: row[2], english: row[3], rank: rank(text, query), first: vocabulary.first ? 0 : 1, key: row[3].toLowerCase() });
      }
    });
    groups = groups.filter(function (g) { return g.entries.length; });
    groups.forEach(function (group) { group.entries.sort(compareEntries); });
    groups.sort(function (a, b) { return compareEntries(a.entries[0], b.entries[0]); });
    var hits = groups.reduce(function (n, g) { return n + g.entries.length; }, 0);
    box.textContent = "";
    box.appendChild(element("p", { "class": "offline-note", "id": "ref-offline-note" }, box.getAttribute("data-offline")));
    if (!hits) {
      box.appendChild(element("p", { role: "status" }, box.getAttribute("data-none").replace("%(query)s", rawQuery)));
      return;
    }
    box.appendChild(element("p", { "class": "muted", role: "status" }, box.getAttribute("data-found").replace("%(count)s", String(hits))));
    groups.forEach(function (group) {
      var section = element("section", { "class": "card", "aria-labelledby": "group-" + group.vocabulary.kind });
      var heading = element("h2", { id: "group-" + group.vocabulary.kind }, group.vocabulary.title + " ");
      heading.appendChild(element("span", { "class": "muted" }, "(" + group.entries.length + ")"));
      section.appendChild(heading);
      var list = element("ul", { "class": "plain results" });
      group.entries.slice(0, index.limit).forEach(function (entry) {
        var item = element("li");
        item.appendChild(element("a", { href: entry.url }, entry.label));
        if (entry.label !== entry.english) item.appendChild(element("span", { "class": "muted", lang: "en" }, " · " + entry.english));
        list.appendChild(item);
      });
      section.appendChild(list);
      if (group.entries.length > index.limit) {
        var more = element("p");
        var params = new URLSearchParams({ q: rawQuery, kind: group.vocabulary.kind });
        more.appendChild(element("a", { href: "?" + params.toString() }, box.getAttribute("data-all-results")));
        section.appendChild(more);
      }
      box.appendChild(section);
    });
  }

  function answerOffline() {
    var box = document.getElementById("ref-results");
    if (!box) return;
    var params = new URLSearchParams(window.location.search);
    var query = (params.get("q") || "").trim();
    // The server drew this page for another query: it is the kept copy, answering offline.
    if (!query || query === box.getAttribute("data-query")) return;
    var input = document.getElementById("ref-q");
    if (input) input.value = query;
    document.title = query + " · " + document.title;
    fetch(indexUrl, { credentials: "same-origin" })
      .then(function (answer) { if (!answer.ok) throw new Error(String(answer.status)); return answer.json(); })
      .then(function (index) { render(box, index, query, params.get("kind") || ""); })
      .catch(function () {
        box.textContent = "";
        box.appendChild(element("p", { role: "status" }, box.getAttribute("data-unavailable")));
      });
  }

  answerOffline();
  window.addEventListener("load", warm);
})();
