/* Behaviour shared by every page. The Content-Security-Policy refuses inline handlers
   (onchange="…"), so markup asks for behaviour with data- attributes and this file provides it. */
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option sends its form (the language switch).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
      target.form.submit();
    }
  });
})();
