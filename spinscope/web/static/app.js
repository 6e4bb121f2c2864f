// spinscope workbench: the script of its pages (the article view runs the report's own and the
// review controls instead, the corpus page also the charts' /vega.js). It disables a form's
// button while the server works, asks before a delete or a cancel, draws the charts from their
// Vega-Lite specs, and follows a job's progress on its page.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var options = document.getElementById("embed-options");
  if (options && window.vegaEmbed) {
    var embed = JSON.parse(options.textContent);
    document.querySelectorAll("[data-spec]").forEach(function (element) {
      var spec = JSON.parse(document.getElementById(element.getAttribute("data-spec")).textContent);
      window.vegaEmbed(element, spec, embed).catch(function (error) {
        element.textContent = "The chart could not be drawn: " + error;
      });
    });
  }
  followJob(document.getElementById("job"));
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var button = form.querySelector("button[type=submit]");
      if (button && form.method.toLowerCase() === "post") {
        button.disabled = true;
        button.textContent = "Working…";
      }
    });
  });
});

// A job's page: the time since it started, and the page again whenever its progress moves; a job
// of one article opens the article once it is stored.
function followJob(element) {
  if (!element || ["queued", "running"].indexOf(element.dataset.status) < 0) { return; }
  var started = Date.parse(element.dataset.created);
  var elapsed = document.getElementById("job-elapsed");
  function tick() {
    if (elapsed && started) { elapsed.textContent = Math.round((Date.now() - started) / 1000) + " s"; }
  }
  tick();
  setInterval(tick, 1000);
  function poll() {
    fetch("/api/v1/jobs/" + encodeURIComponent(element.dataset.job)).then(function (response) {
      return response.json();
    }).then(function (job) {
      if (job.status === "done" && job.total === 1 && job.articles.length === 1) {
        location.href = "/articles/" + encodeURIComponent(job.articles[0]);
      } else if (job.status !== element.dataset.status || String(job.done) !== element.dataset.done) {
        location.reload();
      } else {
        setTimeout(poll, 1000);
      }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
}
