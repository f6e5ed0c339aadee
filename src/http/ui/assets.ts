/**
 * The dashboard's only script, served from this origin (CSP `script-src 'self'`). Everything
 * works without it; it adds: a JSON syntax check on JSON editors before a round trip, a
 * confirmation before clearing a secret, and focus on the error summary after a failed submit.
 */
export const APP_JS = `"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  document.querySelectorAll("textarea[data-json]").forEach(function (area) {
    area.addEventListener("blur", function () {
      var text = area.value.trim();
      var message = "";
      if (text) { try { JSON.parse(text); } catch (e) { message = "Not valid JSON: " + e.message; } }
      area.setCustomValidity(message);
      if (message) area.reportValidity();
    });
  });
  document.querySelectorAll("form[data-confirm-clear]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var cleared = Array.prototype.filter.call(form.querySelectorAll("input[data-clear]"), function (box) {
        return box.checked;
      }).map(function (box) { return box.getAttribute("data-clear"); });
      if (cleared.length && !window.confirm("Clear " + cleared.join(", ") + "? The stored value is deleted.")) {
        event.preventDefault();
      }
    });
  });
});
`;
