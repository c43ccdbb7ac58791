// The pair form offers only the participants that fit the chosen form of mentoring (and, for an
// administrator, the chosen organization). The server builds those lists; when either choice
// changes, this posts the form back with the «Показать участников» button, which keeps every
// entered value and saves nothing. Without JavaScript the button does the same by hand.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pair-form]");
  if (!form) return;
  var button = form.querySelector("[data-reload-button]");
  if (!button) return;
  button.hidden = true;
  form.addEventListener("change", function (event) {
    if (!event.target.hasAttribute("data-reload")) return;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button);
    } else {
      var flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = button.name;
      flag.value = button.value;
      form.appendChild(flag);
      form.submit();
    }
  });
})();
