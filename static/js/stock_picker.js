// The stock picker: a serial field offers in-stock units of the right model as you type (SPEC §13).
// The input names its list (data-stock-url answers {"results": [{"serial", "label"}]}); typing refreshes it.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.dataset.stockUrl;
    var pending = null;
    var last = null;
    function refresh() {
      var term = input.value.trim();
      if (term === last) return;
      last = term;
      fetch(url + "?q=" + encodeURIComponent(term), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          list.replaceChildren();
          data.results.forEach(function (unit) {
            var option = document.createElement("option");
            option.value = unit.serial;
            option.label = unit.label;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(refresh, 200);
    });
    input.addEventListener("focus", refresh);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-stock-url]").forEach(attach);
  });
})();
