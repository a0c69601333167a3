// Schemes editor: checks the YAML as one types (POST /schemes/validate, debounced) and
// lists every issue with its level, line and hint; a click on a line selects it.
// Without this script the "Check" button posts the form and the page lists the same issues.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // Select line `line` (1-based) of the textarea and scroll it into view.
  function selectLine(area, line) {
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    var lineHeight = area.scrollHeight / Math.max(lines.length, 1);
    area.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function renderIssues(box, result, words) {
    box.textContent = "";
    var summary = el("p", result.ok ? "ok" : "error");
    summary.id = "check-summary";
    summary.textContent = result.issues.length
      ? format(words.summary, { errors: result.errors, warnings: result.warnings })
      : words.ok;
    box.appendChild(summary);
    if (!result.issues.length) { return; }
    var table = el("table", "grid issues");
    table.id = "issue-list";
    var head = el("tr");
    [words.level, words.where, words.problem, words.hint].forEach(function (title) {
      head.appendChild(el("th", null, title));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    result.issues.forEach(function (issue) {
      var row = el("tr", issue.level);
      row.appendChild(el("td", null, words[issue.level] || issue.level));
      var where = el("td", "num");
      if (issue.line) {
        var link = el("a", null, format(words.line, { line: issue.line }));
        link.href = "#scheme-text";
        link.setAttribute("data-line", issue.line);
        where.appendChild(link);
        if (issue.column) {
          where.appendChild(document.createTextNode(" · " + format(words.column, { column: issue.column })));
        }
      } else {
        where.textContent = "—";
      }
      row.appendChild(where);
      row.appendChild(el("td", null, issue.text || issue.message));
      row.appendChild(el("td", "muted", issue.hint_text || issue.hint || ""));
      body.appendChild(row);
    });
    box.appendChild(table);
  }

  function start() {
    var area = document.getElementById("scheme-text");
    var box = document.getElementById("issues");
    var wordsNode = document.getElementById("scheme-i18n");
    var form = document.getElementById("scheme-form");
    if (!area || !box || !wordsNode || !form) { return; }
    var words = JSON.parse(wordsNode.textContent);
    var token = form.querySelector("input[name=csrf_token]").value;
    var cursor = document.getElementById("cursor");
    var timer = null;
    var sent = 0;   // number of the latest request: older answers are dropped

    function check() {
      var mine = ++sent;
      fetch(area.getAttribute("data-validate-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRF-Token": token },
        body: JSON.stringify({ name: area.getAttribute("data-name"), text: area.value })
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { throw new Error((data.error && data.error.message) || response.status); }
          return data;
        });
      }).then(function (result) {
        if (mine === sent) { renderIssues(box, result, words); }
      }).catch(function (err) {
        if (mine === sent) {
          box.textContent = "";
          box.appendChild(el("p", "error", words.failed + " " + err.message));
        }
      });
    }

    function showCursor() {
      if (!cursor) { return; }
      var line = area.value.slice(0, area.selectionStart).split("\n").length;
      cursor.textContent = format(words.cursor, { line: line });
    }

    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, DELAY_MS);
      showCursor();
    });
    ["keyup", "click", "focus"].forEach(function (name) { area.addEventListener(name, showCursor); });
    box.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-line]");
      if (!link) { return; }
      event.preventDefault();
      selectLine(area, parseInt(link.getAttribute("data-line"), 10));
      showCursor();
    });
    // Tab inserts two spaces (YAML indents with spaces) instead of leaving the editor.
    area.addEventListener("keydown", function (event) {
      if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) { return; }
      event.preventDefault();
      var s = area.selectionStart;
      area.setRangeText("  ", s, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
