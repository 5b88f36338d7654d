/* Import page: send the export with XMLHttpRequest to show the upload's progress; without it
 * (or if anything goes wrong before an answer arrives) the form is posted the ordinary way. */
(function () {
  "use strict";

  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var status = document.getElementById("upload-status");
  var bar = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var problems = document.getElementById("import-problems");
  var button = document.getElementById("import-submit");

  form.addEventListener("submit", function (event) {
    var request = new XMLHttpRequest();
    if (!request.upload) {
      return; // no progress events: the plain post does the same work
    }
    event.preventDefault();
    var data = new FormData(form);
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    request.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) {
        var share = Math.round((progress.loaded / progress.total) * 100);
        bar.value = share;
        percent.textContent = share + " %";
      }
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      bar.removeAttribute("value"); // sent: the server is checking the file
      percent.textContent = "";
    });
    request.addEventListener("load", function () {
      var answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = null;
      }
      if (answer && answer.redirect) {
        window.location.assign(answer.redirect);
        return;
      }
      if (answer && typeof answer.html === "string") {
        problems.innerHTML = answer.html;
        status.hidden = true;
        button.disabled = false;
        var rejected = document.getElementById("import-rejected");
        if (rejected && rejected.scrollIntoView) {
          rejected.scrollIntoView({ block: "start" });
        }
        return;
      }
      form.submit();
    });
    request.addEventListener("error", function () { form.submit(); });
    status.hidden = false;
    bar.value = 0;
    button.disabled = true;
    request.send(data);
  });
})();
