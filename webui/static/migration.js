/* Migration page: migrate the chosen instances one request at a time, with a progress bar and each
 * row's result. Without JavaScript the form posts them all at once instead. */
(function () {
  "use strict";

  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  async function migrateOne(form, row, reason) {
    var url = form.dataset.oneUrl.replace(/\/0$/, "/" + row.dataset.instance);
    var response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), Accept: "application/json" },
      body: JSON.stringify({ to: parseInt(form.dataset.target, 10), lock_version: parseInt(row.dataset.lock, 10),
                             reason: reason })
    });
    var body = {};
    try { body = await response.json(); } catch (err) { body = { message: response.statusText }; }
    var cell = row.querySelector(".result");
    cell.textContent = body.migrated ? "✓" : "✗ " + (body.message || response.status);
    row.dataset.result = body.migrated ? "migrated" : "refused";
    return !!body.migrated;
  }

  async function run(form, which) {
    var rows = Array.prototype.filter.call(form.querySelectorAll("tr.can-migrate"), function (row) {
      return which === "all" || row.querySelector("input[name=instance]:checked");
    });
    if (!rows.length) return;
    var progress = form.querySelector("progress");
    var reason = (form.querySelector("input[name=reason]") || {}).value || null;
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    progress.hidden = false;
    progress.max = rows.length;
    progress.value = 0;
    var done = 0;
    for (var i = 0; i < rows.length; i++) {
      if (await migrateOne(form, rows[i], reason)) done++;
      progress.value = i + 1;
    }
    form.dataset.finished = String(done) + "/" + String(rows.length);
    var status = form.querySelector(".migration-progress");
    if (status) {
      status.textContent = status.dataset.doneText.replace("__done__", done).replace("__total__", rows.length);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "migration-form" || !window.fetch) return;
    event.preventDefault();
    var which = event.submitter && event.submitter.dataset.migrate === "all" ? "all" : "selected";
    run(form, which);
  });
})();
