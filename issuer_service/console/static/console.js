// The bulk job page: poll the job's status and move the progress bar until it is finished.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job) { return; }
  var url = job.getAttribute("data-status-url");
  // The words come with the page, in its language (the shared catalogue, rendered by the server).
  var labels = {
    running: job.getAttribute("data-label-running"),
    finished: job.getAttribute("data-label-finished"),
    failed: job.getAttribute("data-label-failed")
  };
  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }
  function show(state) {
    var bar = document.getElementById("job-progress");
    bar.max = state.rows_total || Math.max(state.rows_done, 1);
    bar.value = state.rows_done;
    document.getElementById("rows-done").textContent = state.rows_done;
    document.getElementById("rows-issued").textContent = state.rows_issued;
    document.getElementById("rows-rejected").textContent = state.rows_rejected;
    var status = document.getElementById("job-status");
    status.textContent = labels[state.status] || state.status;
    status.className = "badge " + state.status;
    var body = document.querySelector("#job-rows tbody");
    body.textContent = "";
    state.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.className = row.error ? "bad" : "good";
      var number = cell(String(row.row));
      number.setAttribute("data-label", job.getAttribute("data-label-row"));
      tr.appendChild(number);
      var result = cell("");
      if (row.error) {
        result.textContent = row.error;
      } else {
        var link = document.createElement("a");
        link.href = "/console/certificate?uvci=" + encodeURIComponent(row.uvci);
        link.textContent = row.uvci;
        result.appendChild(link);
      }
      tr.appendChild(result);
      body.appendChild(tr);
    });
    job.setAttribute("data-status", state.status);
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        show(state);
        if (state.status === "running") { setTimeout(poll, 700); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
