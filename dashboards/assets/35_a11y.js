/* Accessibility helpers (see 35_a11y.css): name every AG Grid after the heading of the panel
   it sits in (WCAG 1.3.1, 4.1.2), since AG Grid has no option for its grid's name. */
(function () {
  "use strict";

  var counter = 0;

  function headingFor(grid) {
    var panel = grid.closest("section, .hw-panel");
    while (panel) {
      var heading = panel.querySelector("h2, h3, caption");
      if (heading && heading.textContent.trim()) {
        return heading;
      }
      panel = panel.parentElement ? panel.parentElement.closest("section, .hw-panel") : null;
    }
    return null;
  }

  function nameGrids() {
    var grids = document.querySelectorAll("[role='grid'], [role='treegrid']");
    for (var i = 0; i < grids.length; i += 1) {
      var grid = grids[i];
      if (grid.hasAttribute("aria-label") || grid.hasAttribute("aria-labelledby")) {
        continue;
      }
      var heading = headingFor(grid);
      if (heading) {
        if (!heading.id) {
          counter += 1;
          heading.id = "hw-grid-heading-" + counter;
        }
        grid.setAttribute("aria-labelledby", heading.id);
      } else {
        grid.setAttribute("aria-label", "Table");
      }
    }
  }

  var pending = false;
  function schedule() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        nameGrids();
      });
    }
  }

  function start() {
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
