// Polls an import job's status and moves the bar; reloads the page when the job has finished.
(function () {
  "use strict";
  var box = document.getElementById("job-progress");
  if (!box) { return; }
  var bar = document.getElementById("job-bar");
  var percent = document.getElementById("job-percent");
  var phase = document.getElementById("job-phase");
  var status = document.getElementById("job-status");
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        bar.value = data.percent;
        bar.textContent = data.percent + "\u00a0%";
        percent.textContent = data.percent + "\u00a0%";
        phase.textContent = data.phase;
        status.textContent = data.label;
        status.dataset.status = data.status;
        if (data.running) { window.setTimeout(poll, 700); } else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
