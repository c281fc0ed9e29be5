// Live console fragments (docs/console-live.md). An element with data-live-src and
// data-live-topics is re-fetched from data-live-src when the console's event stream
// (data-live-events) says one of its topics changed; its inner HTML is replaced.
// Without this script, or without EventSource, the page is the same page, reloaded by hand.
(function () {
  var parts = Array.prototype.slice.call(document.querySelectorAll('[data-live-src][data-live-topics]'));
  var holder = document.querySelector('[data-live-events]');
  if (!parts.length || !holder || typeof EventSource === 'undefined' || typeof fetch === 'undefined') return;
  var timers = [];
  var topics = {};
  function topicsOf(el) {
    return el.getAttribute('data-live-topics').split(/\s+/).filter(Boolean);
  }
  function refresh(el) {
    fetch(el.getAttribute('data-live-src'), { credentials: 'same-origin', headers: { Accept: 'text/html' }, redirect: 'error' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      })
      .then(function (html) {
        el.innerHTML = html;
        if (window.tieupLocalTimes) window.tieupLocalTimes(el);
        el.setAttribute('data-live-updated', new Date().toISOString());
      })
      .catch(function () {
        // What is shown stays; the next event, or a reload, tries again.
      });
  }
  // Several events in a burst (a push writes its row more than once) cost one fetch per fragment.
  function soon(i) {
    clearTimeout(timers[i]);
    timers[i] = setTimeout(function () {
      refresh(parts[i]);
    }, 150);
  }
  parts.forEach(function (el) {
    topicsOf(el).forEach(function (t) {
      topics[t] = true;
    });
  });
  var es = new EventSource(holder.getAttribute('data-live-events'));
  Object.keys(topics).forEach(function (t) {
    es.addEventListener(t, function () {
      parts.forEach(function (el, i) {
        if (topicsOf(el).indexOf(t) >= 0) soon(i);
      });
    });
  });
  // After a dropped stream nothing tells what was missed: fetch every fragment once it is back.
  var dropped = false;
  es.addEventListener('error', function () {
    dropped = true;
  });
  es.addEventListener('open', function () {
    if (dropped)
      parts.forEach(function (el, i) {
        soon(i);
      });
    dropped = false;
    document.documentElement.setAttribute('data-live', 'open');
  });
})();
