// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Guard against double submission on slow connections.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { form.dataset.submitted = ""; }, 4000);
  });
})();
