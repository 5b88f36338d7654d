/* The questionnaire page: relevant, required, constraint and calculate, evaluated in the browser
 * by Enketo's OpenRosa XPath engine (vendor/openrosa-xpath.min.js, global OpenRosaXPath) over an
 * XML instance of the current answers, with the absolute /data/... paths of pyxform's binds.
 * The server validates everything again on submission; without this script the page still
 * works (every question shown, errors come back from the server next to each field). */
(function () {
  "use strict";

  var form = document.getElementById("questionnaire");
  var specNode = document.getElementById("questionnaire-spec");
  if (!form || !specNode || !window.OpenRosaXPath || !window.XPathResult) {
    return;
  }
  var spec = JSON.parse(specNode.textContent);
  var evaluator = window.OpenRosaXPath.evaluator();
  var doc = document.implementation.createDocument(null, spec.root, null);
  var nodes = {};
  nodes["/" + spec.root] = doc.documentElement;

  function node(path) {
    if (nodes[path]) {
      return nodes[path];
    }
    var cut = path.lastIndexOf("/");
    var element = doc.createElement(path.slice(cut + 1));
    node(path.slice(0, cut)).appendChild(element);
    nodes[path] = element;
    return element;
  }

  spec.groups.forEach(function (group) { node(group.path); });
  spec.questions.forEach(function (question) { node(question.path); });

  var INTEGER = /^\s*[+-]?\d+\s*$/;
  var DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
  var changed = {};      // questions the person has touched since the page loaded
  var pinned = {};       // the server's messages, kept until their question is touched
  var attempted = false; // whether "submit" was pressed (required answers are then asked for)

  function inputsOf(name) {
    return form.querySelectorAll('[name="' + spec.prefix + name + '"]');
  }

  function wrapperOf(name) {
    return document.getElementById(spec.prefix + name + "-question");
  }

  function readValue(question) {
    var values = [];
    inputsOf(question.name).forEach(function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) {
          values.push(input.value);
        }
      } else if (input.value.trim()) {
        values.push(input.value.trim());
      }
    });
    return values.join(" ");
  }

  function badInput(question) {
    var bad = false;
    inputsOf(question.name).forEach(function (input) {
      if (input.validity && input.validity.badInput) {
        bad = true;
      }
    });
    return bad;
  }

  function evaluate(expression, context, type) {
    try {
      return evaluator.evaluate(expression, context, null, type, null);
    } catch (error) {
      // An expression the browser engine cannot evaluate is left to the server to judge.
      if (window.console) {
        window.console.warn("questionnaire: cannot evaluate", expression, error);
      }
      return null;
    }
  }

  function isTrue(expression, context) {
    if (!expression) {
      return true;
    }
    var result = evaluate(expression, context, window.XPathResult.BOOLEAN_TYPE);
    return result === null ? true : result.booleanValue;
  }

  function calculate() {
    spec.questions.forEach(function (question) {
      if (!question.calculation) {
        return;
      }
      var result = evaluate(question.calculation, node(question.path), window.XPathResult.STRING_TYPE);
      node(question.path).textContent = result === null ? "" : result.stringValue;
    });
  }

  function parentPath(path) {
    return path.slice(0, path.lastIndexOf("/"));
  }

  /* Mirrors the server's settle(): answers in, calculations twice, group then question
   * relevance in form order (what does not apply is emptied), calculations again. */
  function settle() {
    spec.questions.forEach(function (question) {
      if (question.takesAnswer) {
        node(question.path).textContent = readValue(question);
      }
    });
    calculate();
    calculate();
    var groupRelevant = {};
    spec.groups.forEach(function (group) {
      var inherited = groupRelevant[parentPath(group.path)] !== false;
      groupRelevant[group.path] = inherited && isTrue(group.relevant, node(group.path));
    });
    var relevant = {};
    spec.questions.forEach(function (question) {
      var applies = groupRelevant[parentPath(question.path)] !== false &&
        isTrue(question.relevant, node(question.path));
      relevant[question.name] = applies;
      if (!applies) {
        node(question.path).textContent = "";
      }
    });
    calculate();
    return { groups: groupRelevant, questions: relevant };
  }

  function problemOf(question) {
    var context = node(question.path);
    var value = context.textContent;
    if (badInput(question)) {
      return question.type === "integer" ? spec.messages.integer : spec.messages.decimal;
    }
    if (!value) {
      if (question.required && isTrue(question.required, context)) {
        return { required: question.requiredMessage || spec.messages.required };
      }
      return null;
    }
    if (question.type === "integer" && !INTEGER.test(value)) {
      return spec.messages.integer;
    }
    if ((question.type === "decimal" || question.type === "range") && !DECIMAL.test(value)) {
      return spec.messages.decimal;
    }
    if (question.constraint && !isTrue(question.constraint, context)) {
      return question.constraintMessage || spec.messages.constraint;
    }
    return null;
  }

  function show(name, message) {
    var wrapper = wrapperOf(name);
    var box = document.getElementById(spec.prefix + name + "-error");
    if (!wrapper || !box) {
      return;
    }
    box.textContent = message || "";
    box.hidden = !message;
    wrapper.classList.toggle("has-error", Boolean(message));
  }

  /* Recompute everything; returns the problems that stop a submission, in form order. */
  function refresh() {
    var relevance = settle();
    form.querySelectorAll("fieldset.group[data-path]").forEach(function (fieldset) {
      var applies = relevance.groups[fieldset.getAttribute("data-path")] !== false;
      fieldset.hidden = !applies;
      fieldset.disabled = !applies;
    });
    var problems = [];
    spec.questions.forEach(function (question) {
      var applies = relevance.questions[question.name];
      if (question.calculation) {
        var hidden = document.getElementById(spec.prefix + question.name);
        if (hidden) {
          hidden.value = node(question.path).textContent;
        }
      }
      var wrapper = wrapperOf(question.name);
      if (wrapper) {
        wrapper.hidden = !applies;
        inputsOf(question.name).forEach(function (input) { input.disabled = !applies; });
      }
      if (!question.takesAnswer) {
        return;
      }
      var problem = applies ? problemOf(question) : null;
      var message = problem && problem.required ? problem.required : problem;
      if (message) {
        problems.push({ name: question.name, message: message });
      }
      var visible = null;
      if (problem && problem.required) {
        visible = attempted ? message : null;
      } else if (problem) {
        visible = changed[question.name] || attempted ? message : null;
      }
      if (!visible && !changed[question.name] && pinned[question.name] && applies) {
        visible = pinned[question.name];
      }
      show(question.name, visible);
    });
    return problems;
  }

  function summarise(problems) {
    var summary = document.getElementById("error-summary");
    var list = document.getElementById("error-summary-list");
    var title = document.getElementById("error-summary-title");
    if (!summary || !list) {
      return;
    }
    list.textContent = "";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.setAttribute("data-name", problem.name);
      var link = document.createElement("a");
      link.href = "#" + spec.prefix + problem.name + "-question";
      link.textContent = problem.message;
      item.appendChild(link);
      list.appendChild(item);
    });
    if (title) {
      title.textContent = spec.messages.summary;
    }
    summary.hidden = problems.length === 0;
  }

  function questionName(target) {
    var name = target && target.name ? String(target.name) : "";
    return name.indexOf(spec.prefix) === 0 ? name.slice(spec.prefix.length) : null;
  }

  function onEdit(event) {
    var name = questionName(event.target);
    if (name) {
      changed[name] = true;
    }
    var problems = refresh();
    if (attempted) {
      summarise(problems);
    }
  }

  var lastButton = null;
  form.querySelectorAll("button[name=action]").forEach(function (button) {
    button.addEventListener("click", function () { lastButton = button; });
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter || lastButton;
    if (!submitter || submitter.value !== "submit") {
      refresh(); // a draft may be incomplete: what does not apply is left out, the rest saved
      return;
    }
    attempted = true;
    var problems = refresh();
    if (problems.length) {
      event.preventDefault();
      summarise(problems);
      var first = wrapperOf(problems[0].name);
      var focusable = first && first.querySelector("input:not([type=hidden]), select, textarea");
      if (focusable) {
        focusable.focus();
      }
      if (first && first.scrollIntoView) {
        first.scrollIntoView({ block: "center" });
      }
    }
  });

  form.addEventListener("input", onEdit);
  form.addEventListener("change", onEdit);

  document.querySelectorAll(".question .error").forEach(function (box) {
    var wrapper = box.closest(".question");
    if (!box.hidden && wrapper && box.textContent.trim()) {
      pinned[wrapper.getAttribute("data-name")] = box.textContent.trim();
    }
  });
  refresh();
  form.setAttribute("data-ready", "yes");
})();
