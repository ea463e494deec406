/* GridSafe page behaviour: signature pads, repeating rows, print buttons (no inline handlers: CSP). No framework; htmx does the rest. */
(function () {
  "use strict";

  function setupSignature(canvas) {
    if (canvas.dataset.ready || typeof SignaturePad === "undefined") return;
    canvas.dataset.ready = "1";
    var input = canvas.parentElement.querySelector('input[type=hidden][name="' + canvas.dataset.target + '"]');
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var width = canvas.parentElement.clientWidth || canvas.width;
    canvas.style.width = width + "px";
    canvas.style.height = Math.round(width * 0.36) + "px";
    canvas.width = width * ratio;
    canvas.height = Math.round(width * 0.36) * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    var pad = new SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)", penColor: "rgb(10,20,80)" });
    pad.addEventListener("endStroke", function () {
      input.value = pad.toDataURL("image/png");
      input.dispatchEvent(new Event("change", { bubbles: true }));    // the task form keeps it at once
    });
    var clear = canvas.parentElement.querySelector("[data-clear-signature]");
    if (clear) clear.addEventListener("click", function () {
      pad.clear();
      input.value = "";
      var shown = canvas.parentElement.querySelector("img.signed");
      if (shown) shown.remove();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function renumber(list) {
    list.querySelectorAll(".row-item").forEach(function (row, i) {
      var head = row.querySelector(".row-head");
      if (head && head.firstChild) head.firstChild.nodeValue = "#" + (i + 1) + " ";
    });
  }

  function addRow(button) {
    var fieldset = button.closest("fieldset.rows");
    var template = fieldset.querySelector("template");
    var index = parseInt(button.dataset.next || "0", 10);
    button.dataset.next = String(index + 1);
    var html = template.innerHTML.split("__index__").join(String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    fieldset.querySelector(".row-list").appendChild(row);
    row.querySelectorAll("canvas.signature-pad").forEach(setupSignature);
    renumber(fieldset.querySelector(".row-list"));
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); return; }
    var add = event.target.closest("[data-add-row]");
    if (add) { event.preventDefault(); addRow(add); return; }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var list = remove.closest(".row-list");
      remove.closest(".row-item").remove();
      if (list) renumber(list);
    }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.closest("[data-no-submit]")) event.preventDefault();
  });

  function init(root) { (root || document).querySelectorAll("canvas.signature-pad").forEach(setupSignature); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
