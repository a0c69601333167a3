/* cskpi charts: draws every element with a data-chart attribute using the vendored
 * ECharts (static/vendor/echarts, no CDN).
 *
 * The page carries the chart as data: data-chart="ID" names a
 * <script type="application/json" id="ID"> block built by the server (cskpi.web.views):
 *   {type: "line"|"bar", title, unit: "rate"|"s"|"h"|"money"|"count",
 *    unit_text: "{n} s" (how a value reads in the user's language),
 *    categories: [...], titles: [...] (long category names for tooltips),
 *    series: [{name, data: [number|null], dashed}], marks: [{label, value, kind}],
 *    horizontal: bool, alert_below: number|null, decimals: number}
 * or a heatmap: {type: "heatmap", title, unit, unit_text, categories (columns), rows,
 *    data: [[column, row, number|null]], max, higher_is_better}
 * Labels come from the server in the user's language; this file only draws.  Nulls are
 * gaps (months without data), never zeros.  The SVG renderer is used so that charts are
 * plain DOM (readable by tests and printable); the Content-Security-Policy allows no
 * inline code, so everything lives in this file.
 */
(function () {
  "use strict";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name);
    return (value && value.trim()) || fallback;
  }

  function theme() {
    return {
      fg: cssVar("--fg", "#1d2330"), muted: cssVar("--muted", "#6b7280"),
      line: cssVar("--line", "#e2e5ea"), accent: cssVar("--accent", "#4a7bd0"),
      bad: cssVar("--bad", "#c0392b"), ok: cssVar("--ok", "#2e7d32"),
      font: getComputedStyle(document.body).fontFamily
    };
  }

  function grouped(value, digits) {
    return value.toLocaleString("en-US", {minimumFractionDigits: digits,
                                          maximumFractionDigits: digits});
  }

  // A value in the chart's unit, e.g. 80.0%, 62.5 s, ¥1,234.00 (axisLabel: shorter).
  function formatter(spec, axisLabel) {
    var text = spec.unit_text || "{n}";
    return function (value) {
      if (value === null || value === undefined || isNaN(value)) { return "—"; }
      var n;
      if (spec.unit === "rate") { n = grouped(value * 100, axisLabel ? 0 : 1); }
      else if (spec.unit === "money") { n = grouped(value, axisLabel ? 0 : 2); }
      else if (spec.unit === "s" || spec.unit === "h") { n = grouped(value, axisLabel ? 0 : 1); }
      else { n = grouped(value, axisLabel ? 0 : (spec.decimals || 0)); }
      return text.replace("{n}", n);
    };
  }

  function markColour(kind, t) {
    return kind === "threshold" || kind === "alert" ? t.bad : t.ok;
  }

  function markLine(spec, t, axis) {
    var fmt = formatter(spec, false);
    return {
      silent: true, symbol: "none",
      data: (spec.marks || []).map(function (m) {
        var item = {name: m.label, lineStyle: {color: markColour(m.kind, t), type: "dashed"},
                    label: {formatter: m.label, color: markColour(m.kind, t),
                            position: axis === "x" ? "start" : "insideEndTop"}};
        item[axis === "x" ? "xAxis" : "yAxis"] = m.value;
        item.value = fmt(m.value);
        return item;
      })
    };
  }

  // 1, 2, 2.5 or 5 × a power of ten, at least x: a round top for the value axis.
  function nice(x) {
    if (!(x > 0)) { return 1; }
    var power = Math.pow(10, Math.floor(Math.log(x) / Math.LN10));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= x - 1e-12) { return steps[i] * power; }
    }
    return 10 * power;
  }

  // The value axis reaches past the marks too, so a target above every figure shows.
  function valueAxis(spec, t) {
    var top = Math.max.apply(null, (spec.marks || []).map(function (m) { return m.value; })
                                                     .concat([0]));
    return {
      type: "value", min: 0,
      max: function (extent) {
        var max = nice(Math.max(extent.max, top) * 1.05);
        return spec.unit === "rate" ? Math.min(1, max) : max;
      },
      axisLabel: {formatter: formatter(spec, true), color: t.muted},
      splitLine: {lineStyle: {color: t.line}}
    };
  }

  // Rich-text tooltips are drawn inside the chart, not as HTML: names from the data
  // (agents) are never parsed as markup, and no inline style attribute is needed.
  function tooltip(spec) {
    var fmt = formatter(spec, false);
    return {
      trigger: "axis", confine: true, renderMode: "richText",
      formatter: function (params) {
        var first = params[0] || {};
        var title = (spec.titles && spec.titles[first.dataIndex]) || first.name || "";
        var lines = params.map(function (p) {
          var v = p.value !== null && typeof p.value === "object" ? p.value.value : p.value;
          return p.seriesName + ": " + fmt(v);
        });
        return [title].concat(lines).join("\n");
      }
    };
  }

  function lineOption(spec, t) {
    var palette = [t.accent, t.muted, t.ok, t.bad];
    return {
      animation: false, textStyle: {fontFamily: t.font, color: t.fg},
      grid: {left: 8, right: 16, top: spec.series.length > 1 ? 32 : 20, bottom: 8,
             containLabel: true},
      tooltip: tooltip(spec),
      legend: spec.series.length > 1 ? {top: 0, textStyle: {color: t.fg}} : undefined,
      xAxis: {type: "category", data: spec.categories, boundaryGap: true,
              axisLabel: {color: t.muted, interval: 0, hideOverlap: true},
              axisLine: {lineStyle: {color: t.line}}},
      yAxis: valueAxis(spec, t),
      series: spec.series.map(function (s, i) {
        return {
          type: "line", name: s.name, data: s.data, connectNulls: false, showSymbol: true,
          symbolSize: 7, itemStyle: {color: palette[i % palette.length]},
          lineStyle: {width: 2, type: s.dashed ? "dashed" : "solid"},
          markLine: i === 0 ? markLine(spec, t, "y") : undefined
        };
      })
    };
  }

  function barOption(spec, t) {
    var below = spec.alert_below;
    var s = spec.series[0];
    return {
      animation: false, textStyle: {fontFamily: t.font, color: t.fg},
      grid: {left: 8, right: 48, top: 24, bottom: 8, containLabel: true},
      tooltip: tooltip(spec),
      yAxis: {type: "category", data: spec.categories, inverse: true,
              axisLabel: {color: t.fg}, axisLine: {lineStyle: {color: t.line}}},
      xAxis: valueAxis(spec, t),
      series: [{
        type: "bar", name: s.name, barMaxWidth: 18,
        data: s.data.map(function (v) {
          var alert = below !== null && below !== undefined && v !== null && v < below;
          return {value: v, itemStyle: {color: alert ? t.bad : t.accent}};
        }),
        label: {show: true, position: "right", color: t.fg, formatter: function (p) {
          return formatter(spec, false)(p.value);
        }},
        markLine: markLine(spec, t, "x")
      }]
    };
  }

  // A heatmap (type "heatmap"): categories across (hours), rows down (weekdays), data as
  // [column, row, value]; a null value (a rate with no round behind it) is left blank,
  // not coloured as 0.  The colour runs from 0 to spec.max: pale to the accent for counts,
  // red to green for a rate where higher is better.
  function heatmapOption(spec, t) {
    var fmt = formatter(spec, false);
    var colours = spec.higher_is_better ? [t.bad, "#f6e7a1", t.ok] : ["#eef3fb", t.accent];
    return {
      animation: false, textStyle: {fontFamily: t.font, color: t.fg},
      grid: {left: 8, right: 16, top: 8, bottom: 48, containLabel: true},
      tooltip: {confine: true, renderMode: "richText", formatter: function (p) {
        return spec.rows[p.value[1]] + " " + spec.categories[p.value[0]] + "\n" +
               spec.title + ": " + fmt(p.value[2]);
      }},
      xAxis: {type: "category", data: spec.categories, splitArea: {show: true},
              axisLabel: {color: t.muted}, axisLine: {lineStyle: {color: t.line}}},
      yAxis: {type: "category", data: spec.rows, inverse: true, splitArea: {show: true},
              axisLabel: {color: t.fg}, axisLine: {lineStyle: {color: t.line}}},
      visualMap: {min: 0, max: spec.max, calculable: true, orient: "horizontal",
                  left: "center", bottom: 0, inRange: {color: colours},
                  textStyle: {color: t.muted}, formatter: function (v) { return fmt(v); }},
      series: [{type: "heatmap", name: spec.title,
                data: spec.data.filter(function (d) { return d[2] !== null; })}]
    };
  }

  function draw(el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block || typeof echarts === "undefined") { return null; }
    var spec = JSON.parse(block.textContent);
    var t = theme();
    if (spec.type === "bar" && spec.horizontal) {
      el.style.height = Math.max(120, 36 + 28 * spec.categories.length) + "px";
    }
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption(spec.type === "heatmap" ? heatmapOption(spec, t)
                    : spec.type === "bar" ? barOption(spec, t) : lineOption(spec, t));
    return chart;
  }

  function drawAll() {
    var charts = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
      var chart = draw(el);
      if (chart) { charts.push(chart); }
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
