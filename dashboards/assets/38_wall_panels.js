/* The wall's bottom panels take turns (dashboards/pages/wall.py: _panels): every
 * data-panel-seconds the next one is shown; a panel's button shows it; Pause stops the turns
 * (WCAG 2.2.2 Pause, Stop, Hide) and Play starts them again. ?panel=KEY starts paused on KEY.
 */
(function () {
  "use strict";

  var timer = null;
  var root = null;

  function panels(el) {
    return Array.prototype.slice.call(el.querySelectorAll(".wall-panel-stack > .wall-panel"));
  }

  function show(el, key) {
    panels(el).forEach(function (p) {
      p.classList.toggle("is-shown", p.getAttribute("data-panel") === key);
    });
    el.querySelectorAll(".wall-panel-tab").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-panel") === key ? "true" : "false");
    });
  }

  function next(el) {
    var list = panels(el);
    var at = list.findIndex(function (p) { return p.classList.contains("is-shown"); });
    var following = list[(at + 1) % list.length];
    if (following) {
      show(el, following.getAttribute("data-panel"));
    }
  }

  function paused(el) {
    return el.getAttribute("data-paused") === "true";
  }

  function setPaused(el, value) {
    el.setAttribute("data-paused", value ? "true" : "false");
    var button = el.querySelector(".wall-panels-pause");
    if (button) {
      button.textContent = value ? "Play" : "Pause";
      button.setAttribute("aria-pressed", value ? "true" : "false");
    }
  }

  function start(el) {
    if (timer) {
      window.clearInterval(timer);
    }
    var seconds = parseInt(el.getAttribute("data-panel-seconds"), 10) || 20;
    timer = window.setInterval(function () {
      if (!document.body.contains(el)) {
        window.clearInterval(timer);
        timer = null;
        root = null;
        return;
      }
      if (!paused(el)) {
        next(el);
      }
    }, seconds * 1000);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element) || !root || !root.contains(target)) {
      return;
    }
    if (target.classList.contains("wall-panel-tab")) {
      show(root, target.getAttribute("data-panel"));
      start(root); // the one chosen gets its full turn
    } else if (target.classList.contains("wall-panels-pause")) {
      setPaused(root, !paused(root));
    }
  });

  // the wall is drawn by Dash after this file runs, and again on each visit: watch for it
  window.setInterval(function () {
    var el = document.getElementById("wall-panels");
    if (el && el !== root) {
      root = el;
      start(el);
    }
  }, 250);
})();
