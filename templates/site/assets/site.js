// Filtering and sorting of the list pages. No network, no dependencies; without JavaScript the
// full table is shown and the (hidden) filter form stays out of the way.
(function () {
  "use strict";
  var table = document.getElementById("list");
  var form = document.querySelector("form.filters");
  if (!table || !form) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  form.hidden = false;
  function apply() {
    var q = form.q.value.trim().toLowerCase();
    var j = form.jurisdiction.value, y = form.year.value, shown = 0;
    rows.forEach(function (row) {
      var ok = (!q || row.textContent.toLowerCase().indexOf(q) !== -1) &&
               (!j || row.getAttribute("data-jurisdiction") === j) &&
               (!y || row.getAttribute("data-year") === y);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    form.count.value = "显示 " + shown + " / " + rows.length + " 项";
  }
  // a link from an overview tile names its year (#year=2024): the list opens showing what the tile counts
  var wanted = /(?:^#|&)year=(\d{4})/.exec(window.location.hash);
  if (wanted) { form.year.value = wanted[1]; apply(); }
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, index) {
    var button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.getAttribute("data-type") === "num";
      rows.sort(function (a, b) {
        var x = a.cells[index], z = b.cells[index];
        var p = numeric ? parseFloat(x.getAttribute("data-sort")) : x.textContent.trim();
        var r = numeric ? parseFloat(z.getAttribute("data-sort")) : z.textContent.trim();
        if (numeric) { p = isNaN(p) ? -Infinity : p; r = isNaN(r) ? -Infinity : r; }
        var c = numeric ? p - r : String(p).localeCompare(String(r), "zh-CN");
        return ascending ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  apply();
})();
