/* The results page: a link of the contents (or an address ending in #section) opens the section
   it points to; choosing the question of the filter shows its answers at once. Without script
   the page works as well: sections open by their summary, and "Show" lists the answers. */
(function () {
  "use strict";
  function openTarget() {
    var id = window.location.hash.slice(1);
    if (!id) {
      return;
    }
    var target = document.getElementById(id);
    var section = target && target.closest("details.section");
    if (section && !section.open) {
      section.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  var contents = document.getElementById("contents");
  if (contents) {
    // the same link twice fires no hashchange: open its section on the click itself
    contents.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var section = link && document.getElementById(link.getAttribute("href").slice(1));
      if (section && section.tagName === "DETAILS") {
        section.open = true;
      }
    });
  }

  var question = document.querySelector("[data-submit-on-change]");
  if (question && question.form) {
    question.addEventListener("change", function () {
      var answers = question.form.querySelectorAll("input[name=answer]");
      for (var i = 0; i < answers.length; i += 1) {
        answers[i].checked = false; // another question's answers mean nothing for this one
      }
      question.form.requestSubmit();
    });
  }
})();
