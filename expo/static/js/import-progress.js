// The import's progress bar: polls the job's progress and reloads the page when it is done.
// Without JavaScript the page refreshes itself every few seconds instead.
(function () {
  "use strict";
  var section = document.querySelector("[data-progress-url]");
  if (!section || !window.fetch) { return; }
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  var bar = document.getElementById("import-progress");
  var count = document.getElementById("import-job-count");
  var template = count.getAttribute("data-template") || "";
  function poll() {
    fetch(section.getAttribute("data-progress-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.state !== "queued" && data.state !== "running") { window.location.reload(); return; }
        bar.value = data.percent;
        bar.textContent = data.percent + " %";
        if (data.total !== null && template) {
          count.textContent = template.replace("DONE", data.done).replace("TOTAL", data.total);
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
