(function () {
  document.querySelectorAll('[data-print]').forEach(function (b) { b.addEventListener('click', function () { window.print(); }); });
  var h = document.getElementById('top'), b = document.getElementById('menu-toggle');
  if (b) b.addEventListener('click', function () { var o = h.classList.toggle('open'); b.setAttribute('aria-expanded', o ? 'true' : 'false'); });
  var here = location.pathname;
  document.querySelectorAll('#main-nav a').forEach(function (a) {
    var p = a.getAttribute('href');
    if (p === here || (p !== '/' && here.indexOf(p + '/') === 0)) a.setAttribute('aria-current', 'page');
  });
  // On a phone, each table row becomes a card whose cells name their column.
  document.querySelectorAll('table').forEach(function (t) {
    var head = t.querySelector('tr');
    if (!head || !head.querySelector('th')) return;
    var names = Array.prototype.map.call(head.children, function (c) { return c.textContent.trim(); });
    Array.prototype.forEach.call(t.rows, function (r) {
      Array.prototype.forEach.call(r.children, function (c, i) {
        if (c.tagName === 'TD' && names[i] && !c.hasAttribute('data-label')) c.setAttribute('data-label', names[i]);
      });
    });
  });
})();
// A filter box narrows a long picker (data-filter names the select): options whose text does not
// contain the typed text are hidden, groups left empty with them.
document.querySelectorAll('input[data-filter]').forEach(function (box) {
  var select = document.getElementById(box.getAttribute('data-filter'));
  if (!select) return;
  box.addEventListener('input', function () {
    var q = box.value.trim();
    select.querySelectorAll('optgroup').forEach(function (g) {
      var shown = 0;
      g.querySelectorAll('option').forEach(function (o) { var hit = !q || o.textContent.indexOf(q) >= 0; o.hidden = !hit; if (hit) shown++; });
      g.hidden = shown === 0;
    });
  });
});
// Printing opens the collapsed sections, so the paper holds everything the page has.
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
});
