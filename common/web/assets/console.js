// Console times: the server writes each instant in UTC (<time datetime> with the UTC text);
// here it is shown in the reader's own time zone, the UTC instant staying in the title.
// Exposed for live.js, which formats the times of each fragment it puts in place.
(function () {
  var fmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  function localTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d.getTime())) t.textContent = fmt.format(d);
    });
  }
  window.tieupLocalTimes = localTimes;
  localTimes(document);
})();

// Header menus (<details>): one open at a time, closed by a click elsewhere or Escape. Without script they still open and close.
(function () {
  var menus = document.querySelectorAll('.console-nav details.nav-menu');
  menus.forEach(function (d) {
    d.addEventListener('toggle', function () {
      if (d.open)
        menus.forEach(function (o) {
          if (o !== d) o.open = false;
        });
    });
  });
  document.addEventListener('click', function (e) {
    menus.forEach(function (d) {
      if (d.open && !d.contains(e.target)) d.open = false;
    });
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    menus.forEach(function (d) {
      if (d.open) {
        d.open = false;
        d.querySelector('summary').focus();
      }
    });
  });
})();
