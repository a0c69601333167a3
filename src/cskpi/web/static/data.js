/* Data page: say what was chosen and refuse a too large upload before sending it.
   The form works without this script; the server enforces the same limit. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var input = document.getElementById("upload-files");
  if (!form || !input) { return; }
  var chosen = document.getElementById("upload-chosen");
  var tooLarge = document.getElementById("upload-too-large");
  var submit = document.getElementById("upload-submit");
  var maxBytes = Number(form.getAttribute("data-max-bytes")) || Infinity;

  function update() {
    var total = 0;
    for (var i = 0; i < input.files.length; i += 1) { total += input.files[i].size; }
    var over = total > maxBytes;
    if (chosen) {
      chosen.textContent = input.files.length ? (chosen.getAttribute("data-template") || "")
        .replace("{n}", String(input.files.length))
        .replace("{size}", (total / 1048576).toFixed(1)) : "";
    }
    if (tooLarge) { tooLarge.hidden = !over; }
    if (submit) { submit.disabled = over; }
  }

  input.addEventListener("change", update);
  update();
})();
