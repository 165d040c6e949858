// Days in charts read in the page's language (<html lang>), as core.formats writes them on the page: the JSON
// keeps ISO days ("2026-11-03") for the code, people see "Nov 3, 2026", "3 нояб. 2026 г.", "2026年11月3日".
(function () {
  "use strict";
  var lang = document.documentElement.lang || undefined;
  var formatter;
  try {
    formatter = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  } catch (e) {
    formatter = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  }
  // An ISO day or a time value in milliseconds; anything else is shown as it is.
  function day(value) {
    var ms = typeof value === "number" ? value : Date.parse(String(value).slice(0, 10) + "T00:00:00Z");
    return isNaN(ms) ? String(value) : formatter.format(new Date(ms));
  }
  window.crmDates = { day: day };
})();
