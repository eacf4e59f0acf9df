/* AG Grid cell renderers used by the Homeward pages (dash-ag-grid looks them up here). */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});

/* A link that navigates inside the Dash app without reloading the page.
   cellRendererParams: {prefix: "/patient/", idField: field for the address (default: the
   cell's own value), suffix: appended to the address (e.g. "?at=..."), ariaPrefix}. */
dagcomponentfuncs.PageLink = function (props) {
  var params = props.colDef.cellRendererParams || {};
  var id = params.idField ? props.data[params.idField] : props.value;
  if (id === null || id === undefined || id === "") {
    return props.value === undefined ? null : String(props.value);
  }
  var href = (params.prefix || "/") + encodeURIComponent(String(id)) + (params.suffix || "");
  var label = String(props.value);
  return React.createElement(
    "a",
    {
      href: href,
      "aria-label": params.ariaPrefix ? params.ariaPrefix + " " + label : undefined,
      onClick: function (event) {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) {
          return;
        }
        event.preventDefault();
        window.homeward.navigate(href);
      },
    },
    label
  );
};

/* Red days as a number with the word, so colour is never the only signal. */
dagcomponentfuncs.RedDays = function (props) {
  var value = props.value;
  if (value === null || value === undefined) {
    return "–";
  }
  return React.createElement(
    "span",
    { className: value > 0 ? "cell-red-days" : "" },
    value + (value === 1 ? " red day" : " red days")
  );
};
