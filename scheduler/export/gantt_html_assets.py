"""gantt.html's inline style sheet and script (the page loads nothing else).

The script reads the page's state from the URL fragment, so that a link can open a view:
`#today=2027-05-10&view=people&person=li_na&zoom=thisweek` (every key optional).
`today` is the day the page takes as today (default: the viewer's own date, from the
browser's clock; `export` for the `--today` the page was exported with, if any); `view` is
`activities` (one row per task, grouped by activity) or `people` (one lane per person);
`person` shows one person's tasks only; `zoom` is `fit` (the whole plan in the window, the
default), `year`, `month`, `week` or `thisweek` (the week of today across the window). Using
the controls writes the fragment back. The script sets `data-ready="1"` on <body> when the
page is laid out. Before printing the chart is fitted to a landscape page.
"""

CSS = """
*{box-sizing:border-box}
html,body{height:100%}
body{margin:0;display:flex;flex-direction:column;
font:13px/1.35 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",
"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif;color:#212529}
header{flex:none;padding:8px 12px;border-bottom:1px solid #dee2e6}
h1{font-size:18px;margin:0 0 4px}
.summary{margin:0 0 6px;color:#495057}
#today-note{font-weight:600;color:#c92a2a}
.controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.controls button{font:inherit;padding:2px 10px;border:1px solid #adb5bd;background:#f8f9fa;
border-radius:4px;cursor:pointer}
.controls button.on{background:#343a40;color:#fff}
.controls .sep{width:1px;align-self:stretch;background:#ced4da;margin:0 4px}
.legend{display:flex;gap:6px;flex-wrap:wrap}
.chip{padding:1px 8px;border-radius:10px;border:1px solid #868e96;cursor:pointer}
.chip-late{background:#e03131;color:#fff;cursor:default}
.chip-win{background:#fff3bf;border-color:#f59f00;cursor:default}
.gantt{--label:300px;flex:1 1 auto;min-height:0;overflow:auto;position:relative}
.head,.row{display:flex;width:calc(var(--label) + var(--days) * var(--day))}
.head{position:sticky;top:0;z-index:4;background:#fff;border-bottom:1px solid #adb5bd}
.label{position:sticky;left:0;z-index:3;flex:none;width:var(--label);background:#fff;
padding:0 6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;
border-right:1px solid #adb5bd}
.track{position:relative;flex:none;width:calc(var(--days) * var(--day));z-index:1;
overflow:clip}
.head .track{height:38px}
.months,.days{position:absolute;left:0;right:0;height:19px}
.days{top:19px}
.m{position:absolute;left:calc(var(--s) * var(--day));width:calc(var(--n) * var(--day));
border-left:1px solid #868e96;padding-left:3px;font-weight:600;white-space:nowrap;overflow:hidden}
.d{position:absolute;left:calc(var(--s) * var(--day));width:var(--day);text-align:center;
font-size:11px;color:#495057}
.d.off{background:#e9ecef}
.d.now{background:#c92a2a;color:#fff;border-radius:3px}
.compact .d{color:transparent}
.compact .d.now{color:transparent}
.wide .d{font-size:0}
.wide .d::before{font-size:11px;content:attr(data-w)}
.long .d::before{content:attr(data-wl)}
#week-list{flex:0 1 auto;max-height:40vh;overflow:auto;border-top:2px solid #74c0fc;
padding:4px 12px 8px}
#week-list h2{font-size:14px;margin:2px 0 4px}
#week-list ol{margin:0;padding-left:20px}
#week-list li{margin:2px 0}
#week-list li.late{color:#c92a2a;font-weight:600}
#week-list .when{color:#495057;white-space:nowrap}
.corner{display:flex;align-items:end;font-weight:600;padding-bottom:3px}
.bodies{position:relative}
.grid{position:absolute;top:0;bottom:0;left:var(--label);width:calc(var(--days) * var(--day));
pointer-events:none}
.grid i{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day))}
.grid .off{width:var(--day);background:rgba(134,142,150,.16)}
.grid .month{border-left:1px solid #ced4da}
.grid .week{width:calc(7 * var(--day));background:rgba(51,154,240,.10);
border-left:1px solid #74c0fc;border-right:1px solid #74c0fc}
.grid .today{border-left:2px dashed #c92a2a;z-index:2}
.row{height:24px;border-bottom:1px solid #f1f3f5}
.row .label{line-height:23px}
.row.act{height:26px;background:rgba(222,226,230,.55)}
.row.act .label{font-weight:700;background:#e9ecef;line-height:25px}
.row.late .label{color:#c92a2a;font-weight:600}
.label small{color:#868e96}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:5px}
.win,.golive{position:absolute;top:0;bottom:0;left:calc(var(--s) * var(--day));
width:calc(var(--n) * var(--day));background:rgba(255,236,153,.55)}
.golive{top:5px;bottom:5px;background:#f59f00;border-radius:3px}
.bar{position:absolute;top:4px;height:16px;left:calc(var(--s) * var(--day));
width:max(calc(var(--n) * var(--day)),2px);border:1px solid rgba(0,0,0,.35);border-radius:3px}
.bar.over,.lbar.over{border-color:#a51111}
.due{position:absolute;top:2px;height:20px;left:calc(var(--s) * var(--day) - 1px);width:2px;
background:#212529}
.name{position:absolute;left:calc(var(--s) * var(--day) + 4px);top:4px;line-height:16px;
white-space:nowrap;pointer-events:none;font-size:12px;
padding:0 2px;border-radius:2px;background:rgba(255,255,255,.92);z-index:2}
.row.late .name{color:#a51111;font-weight:600}
.row.lane{height:max(calc(var(--lanes) * 22px + 6px),42px);border-bottom:1px solid #ced4da}
.row.lane .label{line-height:1.3;padding-top:4px;white-space:normal;font-weight:600}
.row.lane .label small{display:block;font-weight:400}
.lbar{position:absolute;top:calc(var(--l) * 22px + 3px);height:20px;
left:calc(var(--s) * var(--day));width:max(calc(var(--n) * var(--day)),2px);
border:1px solid rgba(0,0,0,.35);border-radius:3px;overflow:hidden}
.lbar span{display:block;padding:0 3px;font-size:12px;line-height:18px;white-space:nowrap;
overflow:hidden;text-overflow:ellipsis;color:#fff;text-shadow:0 0 2px #000,0 0 1px #000}
.lbar.late span{font-weight:700}
.compact .lbar span{display:none}
.row[hidden],section[hidden],.body[hidden],.grid i[hidden]{display:none}
@media (max-width:600px){
header{padding:6px 8px}
h1{font-size:15px}
.summary{font-size:12px}
.controls button{padding:2px 6px}
.chip{font-size:12px;padding:0 6px}
.gantt{--label:112px}
.label{padding:0 4px;font-size:12px}
.label small,.dot{display:none}
.row.lane .label small{display:block}
}
@page{size:A4 landscape;margin:8mm}
@media print{
html,body{height:auto;display:block}
body{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.controls,#shown,#week-list{display:none}
.gantt{overflow:visible;max-height:none}
.head,.label{position:static}
.row{break-inside:avoid}
section.activity{break-inside:auto}
}
"""

JS = """
(function () {
  var gantt = document.getElementById("gantt");
  var select = document.getElementById("person");
  var shown = document.getElementById("shown");
  var note = document.getElementById("today-note");
  var DAY = 86400000;
  var ZOOMS = ["fit", "year", "month", "week", "thisweek"];
  var PRINT_PX = 1040;  // a landscape A4 page at 96 px per inch, without its margins
  var state = {zoom: "fit", view: "activities", person: "", today: null};
  var fromUrl = {};
  function parseDay(text) {
    var m = /^(\\d{4})-(\\d{2})-(\\d{2})$/.exec(text || "");
    if (!m) return null;
    var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3] ? d : null;
  }
  function iso(d) { return d.toISOString().slice(0, 10); }
  function viewerToday() {
    var now = new Date();
    return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
  }
  var first = gantt ? parseDay(gantt.dataset.first) : null;
  var days = gantt ? Number(gantt.dataset.days) : 0;
  function labelPx() {
    return parseFloat(getComputedStyle(gantt).getPropertyValue("--label")) || 0;
  }
  function dayPx() { return parseFloat(gantt.style.getPropertyValue("--day")) || 20; }
  function setDay(px) {
    gantt.style.setProperty("--day", px + "px");
    gantt.classList.toggle("compact", px < Number(gantt.dataset.compact));
    gantt.classList.toggle("wide", px >= Number(gantt.dataset.wide));
    gantt.classList.toggle("long", px >= Number(gantt.dataset.long));
  }
  function todayIndex() { return Math.round((state.today - first) / DAY); }
  function weekStart() { return todayIndex() - (state.today.getUTCDay() + 6) % 7; }
  function zoomPx() {
    var room = gantt.clientWidth - labelPx();
    if (state.zoom === "thisweek") return Math.max(24, Math.min(240, Math.floor(room / 7)));
    var button = document.querySelector('button[data-zoom="' + state.zoom + '"]');
    if (state.zoom !== "fit" && button) return Number(button.dataset.day);
    return Math.max(2, Math.min(40, Math.floor(room / days * 100) / 100));
  }
  function visibleTask(row) { return !row.hidden && !row.parentNode.hidden; }
  function thisWeekCount() {
    var monday = weekStart(), count = 0;
    document.querySelectorAll("#by-activity .row.task").forEach(function (row) {
      if (visibleTask(row) && Number(row.dataset.from) <= monday + 6
          && Number(row.dataset.to) >= monday) count += 1;
    });
    return count;
  }
  function weekList() {
    var list = document.getElementById("week-list");
    if (!list) return;
    list.hidden = state.zoom !== "thisweek";
    var ol = list.querySelector("ol");
    ol.textContent = "";
    if (list.hidden) return;
    var monday = weekStart();
    var rows = Array.from(document.querySelectorAll("#by-activity .row.task"));
    rows.sort(function (a, b) { return a.dataset.from - b.dataset.from; });
    rows.forEach(function (row) {
      if (!visibleTask(row) || Number(row.dataset.from) > monday + 6
          || Number(row.dataset.to) < monday) return;
      var lines = row.querySelector(".label").title.split("\\n");
      var item = document.createElement("li");
      if (row.classList.contains("late")) item.className = "late";
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = lines[2] + " · ";
      item.appendChild(when);
      item.appendChild(document.createTextNode(lines[0] + " · " + lines[1].replace(/^[^:]*: /, "")
        + (lines.length > 3 ? " · " + lines.slice(3).join(" · ") : "")));
      ol.appendChild(item);
    });
  }
  function scrollToWeek() {
    var monday = weekStart();
    gantt.scrollLeft = Math.max(0, monday * dayPx());
    gantt.scrollTop = 0;
    if (state.view === "people") return;
    var rows = document.querySelectorAll("#by-activity .row.task");
    for (var i = 0; i < rows.length; i += 1) {
      var row = rows[i];
      if (visibleTask(row) && Number(row.dataset.from) <= monday + 6
          && Number(row.dataset.to) >= monday) {
        gantt.scrollTop = Math.max(0, row.offsetTop - 30);  // its activity's row above it
        return;
      }
    }
  }
  function markToday() {
    var line = document.getElementById("today-line");
    var band = document.getElementById("week-band");
    var index = todayIndex();
    var inside = index >= 0 && index < days;
    line.hidden = !inside;
    line.style.setProperty("--s", index);
    band.hidden = weekStart() + 7 <= 0 || weekStart() >= days;
    band.style.setProperty("--s", weekStart());
    document.querySelectorAll(".d.now").forEach(function (d) { d.classList.remove("now"); });
    var cell = document.querySelector('.d[data-i="' + index + '"]');
    if (cell) cell.classList.add("now");
    gantt.dataset.todayShown = iso(state.today);
    if (!note) return;
    var text = note.dataset.today + " " + iso(state.today);
    if (!inside) text += " (" + note.dataset.outside + ")";
    if (state.zoom === "thisweek") {
      var monday = new Date(state.today.getTime() - (state.today.getUTCDay() + 6) % 7 * DAY);
      var sunday = new Date(monday.getTime() + 6 * DAY);
      text += " · " + note.dataset.week + " " + iso(monday) + " – " + iso(sunday).slice(5)
        + ": " + thisWeekCount() + " " + note.dataset.tasks;
    }
    note.textContent = text;
  }
  function filter() {
    var count = 0;
    document.querySelectorAll("section.activity").forEach(function (section) {
      var any = false;
      section.querySelectorAll(".row.task").forEach(function (row) {
        var hide = state.person !== "" && row.dataset.person !== state.person;
        row.hidden = hide;
        if (!hide) { any = true; count += 1; }
      });
      section.hidden = !any;
    });
    document.querySelectorAll("#by-person .row.lane").forEach(function (lane) {
      lane.hidden = state.person !== "" && lane.dataset.person !== state.person;
    });
    if (shown) shown.textContent = "· " + shown.dataset.label + ": " + count;
  }
  function writeUrl() {
    var params = new URLSearchParams();
    if (fromUrl.today) params.set("today", fromUrl.today);
    if (state.view !== "activities") params.set("view", state.view);
    if (state.person) params.set("person", state.person);
    if (state.zoom !== "fit") params.set("zoom", state.zoom);
    var hash = params.toString();
    try { history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search); }
    catch (e) { /* a page opened from a file in some browsers */ }
  }
  function render(scroll) {
    if (select) select.value = state.person;
    var corner = gantt.querySelector(".corner");
    if (!corner.dataset.activities) corner.dataset.activities = corner.textContent;
    corner.textContent = corner.dataset[state.view];
    document.getElementById("by-activity").hidden = state.view === "people";
    document.getElementById("by-person").hidden = state.view !== "people";
    document.querySelectorAll("button[data-view]").forEach(function (b) {
      b.classList.toggle("on", b.dataset.view === state.view);
    });
    document.querySelectorAll("button[data-zoom]").forEach(function (b) {
      b.classList.toggle("on", b.dataset.zoom === state.zoom);
    });
    filter();
    weekList();
    setDay(zoomPx());
    markToday();
    if (!scroll) return;
    if (state.zoom === "thisweek") { scrollToWeek(); return; }
    var index = todayIndex(), x = index * dayPx(), view = gantt.clientWidth - labelPx();
    gantt.scrollLeft = index >= 0 && index < days && x > view - 100 ? x - view / 4 : 0;
  }
  function readUrl() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    var asked = params.get("today");
    var exported = gantt.dataset.today === undefined ? null
      : new Date(first.getTime() + Number(gantt.dataset.today) * DAY);
    fromUrl = {today: parseDay(asked) || (asked === "export" && exported) ? asked : null};
    state.today = parseDay(asked) || (asked === "export" && exported) || viewerToday();
    var view = params.get("view");
    state.view = view === "people" ? "people" : "activities";
    var person = params.get("person") || "";
    state.person = select && Array.from(select.options).some(function (o) {
      return o.value === person;
    }) ? person : "";
    var zoom = params.get("zoom");
    state.zoom = ZOOMS.indexOf(zoom) >= 0 ? zoom : "fit";
  }
  if (gantt && first) {
    document.querySelectorAll("button[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        state.zoom = b.dataset.zoom;
        writeUrl();
        render(true);
      });
    });
    document.querySelectorAll("button[data-view]").forEach(function (b) {
      b.addEventListener("click", function () {
        state.view = b.dataset.view;
        writeUrl();
        render(true);
      });
    });
    document.querySelectorAll(".chip[data-person]").forEach(function (chip) {
      chip.addEventListener("click", function () {
        state.person = state.person === chip.dataset.person ? "" : chip.dataset.person;
        writeUrl();
        render(state.zoom === "thisweek");
      });
    });
    if (select) select.addEventListener("change", function () {
      state.person = select.value;
      writeUrl();
      render(state.zoom === "thisweek");
    });
    window.addEventListener("hashchange", function () { readUrl(); render(true); });
    window.addEventListener("resize", function () {
      if (state.zoom === "fit" || state.zoom === "thisweek") render(state.zoom === "thisweek");
    });
    var printing = null;
    window.addEventListener("beforeprint", function () {
      printing = dayPx();
      setDay(Math.max(1, Math.min(40, (PRINT_PX - labelPx()) / days)));
    });
    window.addEventListener("afterprint", function () {
      if (printing !== null) setDay(printing);
      printing = null;
    });
    readUrl();
    render(true);
  }
  document.body.dataset.ready = "1";
})();
"""
