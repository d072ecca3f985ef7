"use strict";
(async () => {
  const id = Number(location.pathname.split("/").pop());
  const [run, item] = await Promise.all([
    fetch("/api/run").then((r) => r.json()),
    fetch(`/api/items/${id}`).then((r) => r.json()),
  ]);
  const $ = (s) => document.getElementById(s);
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  document.title = `${item.name} — Amil.MLNet viewer`;
  $("title").textContent = item.name;
  $("call").textContent = `predicted ${item.predicted}` + (item.label === null ? "" : `, true ${item.label}`);
  $("call").className = item.label === null ? "" : item.label === item.predicted ? "right" : "wrong";
  $("probabilities").innerHTML = item.probabilities
    .map((p) => `<tr><td>${escape(p.class)}</td><td>${p.p.toFixed(4)}</td></tr>`).join("");
  const go = (to) => { if (to !== null) location.href = `/item/${to}`; };
  $("previous").disabled = item.previous === null;
  $("next").disabled = item.next === null;
  $("previous").onclick = () => go(item.previous);
  $("next").onclick = () => go(item.next);
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "SELECT" || e.target.tagName === "INPUT") return;
    if (e.key === "n") go(item.next);
    if (e.key === "p") go(item.previous);
  });
  $("geojson").href = `/api/items/${id}/geojson`;
  $("geojson").download = item.name.replace(/\.[^.]*$/, "") + ".geojson";
  $("bar").style.background = `linear-gradient(to right, ${run.colormap.join(",")})`;

  const mapLayers = run.layers.filter((l) => l.normalization !== "outline");
  for (const l of mapLayers) $("layer").add(new Option(`${l.title} — ${l.normalization}`, l.id));
  $("mask-toggle").hidden = !item.has_mask;
  $("tissue-toggle").hidden = !run.layers.some((l) => l.id === "tissue") || item.kind !== "slide";

  if (typeof OpenSeadragon === "undefined") { $("missing").hidden = false; return; }
  const overlay = (layer) => ({
    width: item.width, height: item.height, tileSize: item.tile_size, tileOverlap: 0,
    minLevel: 0, maxLevel: item.max_level,
    getTileUrl: (level, x, y) => `/overlay/${id}/${encodeURIComponent(layer)}/${level}/${x}_${y}.png`,
  });
  const viewer = OpenSeadragon({
    element: $("osd"), tileSources: `/dzi/${id}.dzi`, showNavigationControl: false, drawer: "canvas",
    crossOriginPolicy: false, maxZoomPixelRatio: 4, visibilityRatio: 0.5, gestureSettingsMouse: { clickToZoom: false },
  });
  window.amilViewer = viewer;
  const started = performance.now();
  viewer.addHandler("tile-drawn", () => {
    if (window.amilFirstTileMs === undefined) window.amilFirstTileMs = performance.now() - started;
  });
  const slots = { map: null, mask: null, tissue: null };
  const order = ["map", "mask", "tissue"];
  const place = (slot, source, opacity) => {
    if (slots[slot]) { viewer.world.removeItem(slots[slot]); slots[slot] = null; }
    if (!source) return;
    viewer.addTiledImage({
      tileSource: source, opacity,
      success: (e) => {
        slots[slot] = e.item;
        const above = order.slice(order.indexOf(slot) + 1).filter((s) => slots[s]).length;
        viewer.world.setItemIndex(e.item, viewer.world.getItemCount() - 1 - above);
        window.amilLayerShown = slot === "map" ? $("layer").value : window.amilLayerShown;
      },
    });
  };
  const showLayer = () => {
    const layer = run.layers.find((l) => l.id === $("layer").value);
    $("scale").textContent = `${layer.title}: ${layer.legend}`;
    place("map", overlay(layer.id), Number($("opacity").value));
    showPatch();
  };
  viewer.addHandler("open", () => {
    showLayer();
    if (item.has_mask) place("mask", overlay("mask"), 1);
  });
  $("layer").onchange = showLayer;
  $("opacity").oninput = () => slots.map && slots.map.setOpacity(Number($("opacity").value));
  $("mask").onchange = () => place("mask", $("mask").checked ? overlay("mask") : null, 1);
  $("tissue").onchange = () => place("tissue", $("tissue").checked ? overlay("tissue") : null, 1);

  let picked = null;
  const showPatch = () => {
    if (picked === null) return;
    const layer = $("layer").value, values = item.values[layer], v = values[picked];
    const rank = 1 + values.filter((x) => x > v).length;
    const percentile = (100 * values.filter((x) => x <= v).length) / values.length;
    const classes = Object.entries(item.class_values)
      .map(([c, vals]) => `<tr><td>${escape(c)}</td><td>${vals[picked].toPrecision(4)}</td></tr>`).join("");
    $("patch").innerHTML =
      `<table><tr><td>value</td><td id="patch-value">${v.toPrecision(4)}</td></tr>` +
      `<tr><td>rank</td><td>${rank} of ${values.length}</td></tr>` +
      `<tr><td>percentile</td><td>${percentile.toFixed(1)}</td></tr>` +
      `<tr><td>level-0 x, y</td><td id="patch-xy">${item.x[picked]}, ${item.y[picked]}</td></tr>` +
      `<tr><td>side</td><td>${item.patch_side} px</td></tr></table>` +
      `<h3>each class's map</h3><table>${classes}</table>`;
  };
  viewer.addHandler("canvas-click", (e) => {
    if (!e.quick) return;
    const base = viewer.world.getItemAt(0);
    const p = base.viewerElementToImageCoordinates(e.position);
    picked = null;
    for (let k = 0; k < item.x.length; k++)
      if (p.x >= item.x[k] && p.x < item.x[k] + item.patch_side && p.y >= item.y[k] && p.y < item.y[k] + item.patch_side) {
        picked = k;
        break;
      }
    if (picked === null) $("patch").textContent = "No patch here: the model did not look at this part.";
    else showPatch();
  });
  $("png").onclick = (e) => {
    e.preventDefault();
    const a = document.createElement("a");
    a.href = viewer.drawer.canvas.toDataURL("image/png");
    a.download = item.name.replace(/\.[^.]*$/, "") + ".view.png";
    a.click();
  };
})();
