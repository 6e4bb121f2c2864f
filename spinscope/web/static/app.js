// spinscope workbench: the only script of its pages (the article view also runs the report's own,
// the corpus page the charts' /vega.js). It disables a form's button while the server analyses,
// asks before a delete, and draws the charts from their Vega-Lite specs.
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
