// spinscope workbench: the only script of its pages (the article view also runs the report's own).
// It disables a form's button while the server analyses, and asks before a delete.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
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
