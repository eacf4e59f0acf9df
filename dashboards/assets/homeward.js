/* Homeward clientside helpers: kiosk mode, shareable coordinator URLs, safe CSV export. */
(function () {
  "use strict";

  var FORMULA_START = /^[=+\-@\t\r]/;

  /* A spreadsheet must never run a cell as a formula: prefix risky text with a quote. */
  function neutraliseCsvCell(params) {
    var value = params.value;
    if (value === null || value === undefined) {
      return "";
    }
    if (typeof value === "string" && FORMULA_START.test(value)) {
      return "'" + value;
    }
    return value;
  }

  function isKiosk(pathname, search) {
    if (pathname !== "/wall" || !search) {
      return false;
    }
    return new URLSearchParams(search).get("kiosk") === "1";
  }

  /* Client-side navigation, as dcc.Link does it (no page reload). */
  function navigate(href) {
    window.history.pushState({}, "", href);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  window.homeward = {
    neutraliseCsvCell: neutraliseCsvCell,
    navigate: navigate,
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    homeward: {
      kioskClass: function (pathname, search) {
        return isKiosk(pathname, search) ? "kiosk" : "";
      },

      /* Kiosk: show one site tile at a time, moving on at each tick. */
      kioskCycle: function (nIntervals, settings, classNames) {
        var count = (classNames || []).length;
        if (!(settings && settings.kiosk) || count === 0) {
          return (classNames || []).map(function () { return "wall-site"; });
        }
        var shown = (nIntervals || 0) % count;
        return classNames.map(function (_, i) {
          return i === shown ? "wall-site" : "wall-site kiosk-hidden";
        });
      },

      /* Bring the element named by the address's #fragment into view once it exists. */
      scrollToHash: function (data) {
        var id = decodeURIComponent(window.location.hash.slice(1));
        if (id) {
          window.requestAnimationFrame(function () {
            var target = document.getElementById(id);
            if (target) {
              target.scrollIntoView();
              target.focus({ preventScroll: true });
            }
          });
        }
        return window.dash_clientside.no_update;
      },

      /* Keep the coordinator's filters in the address bar, so a view can be shared. */
      syncQueryString: function (search) {
        var target = window.location.pathname + (search || "");
        if (target !== window.location.pathname + window.location.search) {
          window.history.replaceState(window.history.state, "", target);
        }
        return search || "";
      },

      /* AG Grid's own CSV export, with formula-looking cells neutralised. */
      exportGridCsv: function (nClicks, settings) {
        if (!nClicks || !settings) {
          return window.dash_clientside.no_update;
        }
        window.dash_ag_grid.getApiAsync(settings.grid).then(function (api) {
          api.exportDataAsCsv({
            fileName: settings.fileName,
            processCellCallback: neutraliseCsvCell,
          });
        });
        return "CSV downloaded at " + new Date().toLocaleTimeString("en-GB") + ".";
      },
    },
  });
})();
