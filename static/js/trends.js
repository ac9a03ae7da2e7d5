// Draws the trends page's charts from the #trend-data block (calls/trends.py's series, one
// entry per bucket). Dragging across a chart opens the calls list narrowed to that span.
// Without Chart.js the page keeps its notice and its table.
"use strict";

(function () {
  if (typeof Chart === "undefined") {
    return;
  }
  const holder = document.getElementById("trend-charts");
  const MIB = 1024 * 1024;
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  let charts = [];
  // What the charts show: the page's series, or the latest the Follow button fetched.
  let buckets, step, labels, specs;

  function load(series) {
    buckets = series.buckets;
    step = series.step_seconds * 1000;
    // "2017-11-27T14:52:00.000Z": 14:52 by the minute, 11-27 14:00 by the hour, 11-27 by the day.
    const [from, to] = { 60000: [11, 16], 3600000: [5, 16], 86400000: [5, 10] }[step];
    labels = buckets.map((b) => b.start.slice(from, to).replace("T", " "));
    const pick = (f) => buckets.map((b) => f(b));
    const mib = (v) => (v === null ? null : v / MIB);
    specs = {
      calls: {
        type: "bar",
        stacked: true,
        sets: ["success", "error", "timeout", "cancelled"].map((s) => ({
          label: s,
          data: pick((b) => b.by_status[s]),
        })),
      },
      failed: {
        sets: [
          {
            label: "failed %",
            data: pick((b) => (b.failed_share === null ? null : b.failed_share * 100)),
          },
        ],
      },
      duration: {
        sets: ["p50", "p95", "p99"].map((q) => ({ label: q, data: pick((b) => b.duration_seconds[q]) })),
      },
      memory: {
        sets: [
          ...["p50", "p95", "max"].map((q) => ({ label: q, data: pick((b) => mib(b.peak_mem_usage[q])) })),
          { label: "limit", data: pick((b) => mib(b.mem_limit)), dashed: true },
        ],
      },
      cpu: {
        sets: ["p50", "p95", "max"].map((q) => ({ label: q, data: pick((b) => b.peak_cpu_total[q]) })),
      },
    };
  }

  function config(spec, colors) {
    return {
      type: spec.type || "line",
      data: {
        labels,
        datasets: spec.sets.map((set, i) => ({
          label: set.label,
          data: set.data,
          borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length],
          borderDash: set.dashed ? [6, 4] : [],
          borderWidth: 1.5,
          // Dots too: a bucket between two without calls is a lone point, no line.
          pointRadius: 2,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", axis: "x", intersect: false },
        scales: {
          x: { stacked: !!spec.stacked, ticks: { maxTicksLimit: 8 } },
          y: { stacked: !!spec.stacked, beginAtZero: true },
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 2 } } },
      },
    };
  }

  // UTC minutes, as the calls list's "Created after/before" filters read them.
  function minute(ms) {
    return new Date(ms).toISOString().slice(0, 16);
  }

  // Drag across a chart: the buckets from the first to the last one touched.
  function selectable(chart) {
    let from = null;
    const index = (event) => {
      const i = Math.round(chart.scales.x.getValueForPixel(event.offsetX));
      return Math.min(Math.max(i, 0), buckets.length - 1);
    };
    chart.canvas.addEventListener("pointerdown", (event) => {
      from = index(event);
    });
    chart.canvas.addEventListener("pointerup", (event) => {
      if (from === null) {
        return;
      }
      const to = index(event);
      const first = Math.min(from, to);
      const last = Math.max(from, to);
      from = null;
      if (first === last) {
        return; // a click, not a drag: the tooltip is enough
      }
      const query = new URLSearchParams();
      if (holder.dataset.path) {
        query.set("path", holder.dataset.path);
      }
      query.set("since", minute(Date.parse(buckets[first].start)));
      query.set("until", minute(Date.parse(buckets[last].start) + step));
      window.location.assign(`${holder.dataset.callsUrl}?${query}`);
    });
  }

  function draw() {
    const css = getComputedStyle(document.documentElement);
    const colors = [0, 1, 2, 3].map((i) => css.getPropertyValue(`--series-${i}`).trim());
    Chart.defaults.color = css.getPropertyValue("--muted").trim();
    Chart.defaults.borderColor = css.getPropertyValue("--line").trim();
    charts.forEach((chart) => chart.destroy());
    charts = Object.entries(specs).map(([id, spec]) => {
      const canvas = document.getElementById(`chart-${id}`);
      canvas.parentElement.hidden = false;
      const chart = new Chart(canvas, config(spec, colors));
      selectable(chart);
      return chart;
    });
  }

  // Followed: the new numbers into the charts drawn, which keep their drag handlers.
  function refresh() {
    Object.values(specs).forEach((spec, n) => {
      charts[n].data.labels = labels;
      charts[n].data.datasets.forEach((set, i) => {
        set.data = spec.sets[i].data;
      });
      charts[n].update();
    });
  }

  // The panels hold nothing but charts, so they show only once there are charts to draw.
  document.getElementById("charts-off").hidden = true;
  holder.hidden = false;
  load(JSON.parse(document.getElementById("trend-data").textContent));
  draw();
  dark.addEventListener("change", draw);

  // Follow (live.js): the same window, ending now, from GET /v1/apps/{app}/trends.
  const follow = document.getElementById("trend-follow");
  if (follow && typeof window.fnwebFollow === "function") {
    window.fnwebFollow(follow, Number(follow.dataset.interval), async () => {
      load(await window.fnwebFetchJSON(follow.dataset.url));
      refresh();
    });
  }
})();
