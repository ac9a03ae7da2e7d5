// Draws the charts of the call detail and compare pages from the #chart-data block
// (built by calls/pages/charts.py: values already in each chart's display unit).
// Without Chart.js the page keeps its "charts are unavailable" notice and its tables.
"use strict";

(function () {
  if (typeof Chart === "undefined") {
    return;
  }
  const specs = JSON.parse(document.getElementById("chart-data").textContent);
  // The same rounding as the tables (one decimal, thousands separated), so the two agree.
  const figure = new Intl.NumberFormat("en-US", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const xs = specs.flatMap((spec) => spec.datasets.flatMap((set) => set.data.map((p) => p[0])));
  // One x-axis for every chart, so a spike lines up across CPU, memory, network and disk.
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  let charts = [];

  // Datasets sampled at the same instants share a tooltip; calls compared side by side do not.
  function aligned(datasets) {
    const first = datasets[0].data;
    return datasets.every(
      (set) => set.data.length === first.length && set.data.every((p, i) => p[0] === first[i][0]),
    );
  }

  function config(spec, colors) {
    return {
      type: "line",
      data: {
        datasets: spec.datasets.map((set, i) => ({
          label: set.label,
          callId: set.call_id,
          data: set.data,
          borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length],
          borderDash: set.dashed ? [6, 4] : [],
          borderWidth: 1.5,
          // Lines alone for readability at 240 points; a lone point needs a dot to be seen.
          pointRadius: set.data.length === 1 ? 3 : 0,
          pointHoverRadius: 4,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: {
          mode: aligned(spec.datasets) ? "index" : "nearest",
          axis: "x",
          intersect: false,
        },
        scales: {
          x: {
            type: "linear",
            // Suggested, not fixed, bounds: every chart spans the same seconds, on round ticks.
            suggestedMin: xMin,
            suggestedMax: xMax,
            title: { display: true, text: "seconds since the call started" },
          },
          y: {
            beginAtZero: true,
            title: {
              display: true,
              text: `${spec.title} (${spec.unit}${spec.note ? `; ${spec.note}` : ""})`,
            },
          },
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, boxHeight: 2 } },
          tooltip: {
            callbacks: {
              title: (items) => `${figure.format(items[0].parsed.x)} s`,
              // Compared calls are lettered in the legend; the tooltip names them in full.
              label: (item) =>
                `${item.dataset.label}${item.dataset.callId ? ` ${item.dataset.callId}` : ""}: ` +
                `${figure.format(item.parsed.y)} ${spec.unit}`,
            },
          },
        },
      },
    };
  }

  function draw() {
    const css = getComputedStyle(document.documentElement);
    const colors = [0, 1, 2, 3].map((i) => css.getPropertyValue(`--series-${i}`).trim());
    Chart.defaults.color = css.getPropertyValue("--muted").trim();
    Chart.defaults.borderColor = css.getPropertyValue("--line").trim();
    charts.forEach((chart) => chart.destroy());
    // A group the histogram has no metric of keeps its "no metrics" note and no canvas.
    charts = specs.filter((spec) => spec.datasets.length > 0).map((spec) => {
      const canvas = document.getElementById(`chart-${spec.id}`);
      canvas.parentElement.hidden = false;
      return new Chart(canvas, config(spec, colors));
    });
  }

  document.getElementById("charts-off").hidden = true;
  draw();
  // Follow the system's light or dark theme when it changes.
  dark.addEventListener("change", draw);
})();
