/* Health Equity Atlas: the large-area map (a region or England), a Streamlit component without a build step.
 *
 * Streamlit talks to this frame with window messages ("streamlit:render" carries the arguments of
 * atlas.ui.large_map.large_map).  The geometry comes from the files of atlas/national_map.py: a
 * manifest (codes, names, bounds, file names), one coarse file drawn far out and fine chunks fetched
 * for the view from zoom manifest.fine_from_zoom on.  Every file name carries a fingerprint of its
 * content, so a file is fetched once, kept in the browser's Cache Storage ("atlas-large-map") and
 * never asked for again; a layer switch brings only the class of each area (one byte, base64), the
 * legend and the name of a values file, fetched when the reader first hovers or clicks.
 *
 * Drawing: one Leaflet canvas renderer (L.Canvas) whose _draw fills a Path2D per area, built once in
 * web-mercator pixels at zoom REF_ZOOM and drawn through the canvas transform at any zoom; a restyle is
 * one redraw with new fills.  Boundaries of larger areas (districts, upper-tier authorities, wards) may
 * be drawn over the fills on a second canvas, from geometry files of the same format (args.outline),
 * coarse far out and fine close in like the areas'.  Hover finds the area under the pointer through a grid of area boxes and
 * isPointInPath.  Text from the data is put into the page with textContent only.
 */
(function () {
  "use strict";

  var REF_ZOOM = 12;
  var CELL = 32;                  // grid cell, pixels at REF_ZOOM
  var PAD = 6;                    // box padding, pixels at REF_ZOOM (the fine geometry may stick out)
  var OUTLINE_FROM_ZOOM = 9;
  var CACHE_NAME = "atlas-large-map";
  var NO_CLASS = 255;

  var state = {
    args: null, map: null, areas: null, highlight: null, manifestUrl: null, manifest: null, origin: null,
    coarse: null, fine: null, fineBox: null, chunks: {}, grid: null, classes: null, colours: [], labels: [],
    valuesUrl: null, values: null, hovered: -1, legend: null, titleBox: null, tip: null, probe: null,
    ready: null, attribution: null, outline: null, outlines: null
  };
  var memo = {};
  var report = window.atlasLargeMap = {
    drawn: 0, level: null, layer: null, at: 0, fetched: [], cached: [], hovered: null, errors: [], map: null,
    firstDrawMs: null, lastStyleMs: null, marks: {}
  };

  /* -- talking to Streamlit ---------------------------------------------------------------------- */
  function send(type, data) {
    var message = {isStreamlitMessage: true, type: type};
    for (var key in (data || {})) { message[key] = data[key]; }
    window.parent.postMessage(message, "*");
  }

  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "streamlit:render") { render(event.data.args || {}); }
  });

  function mark(name) { report.marks[name] = Math.round(performance.now()); }

  function status(text) { document.getElementById("lm-status").textContent = text; }

  function fail(error) {
    report.errors.push(String(error && error.message || error));
    status("The map could not be drawn: " + (error && error.message || error));
  }

  /* -- files: fetched once, kept in Cache Storage (names carry a fingerprint of the content) -------- */
  function fetchText(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error(url.split("/").pop() + ": HTTP " + response.status); }
      report.fetched.push(url);
      return response;
    });
  }

  function cachedJSON(url) {
    if (!memo[url]) {
      var absolute = new URL(url, document.baseURI).href;
      var load = !window.caches ? fetchText(absolute).then(function (r) { return r.text(); }) :
        caches.open(CACHE_NAME).then(function (cache) {
          return cache.match(absolute).then(function (hit) {
            if (hit) { report.cached.push(absolute); return hit.text(); }
            return fetchText(absolute).then(function (response) {
              cache.put(absolute, response.clone()).catch(function () { return null; });
              return response.text();
            });
          });
        });
      memo[url] = load.then(JSON.parse);
      memo[url].catch(function () { delete memo[url]; });
    }
    return memo[url];
  }

  function loadLeaflet(base) {
    if (window.L) { return Promise.resolve(); }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "leaflet.css";
    document.head.appendChild(css);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = base + "leaflet.js";
      script.onload = resolve;
      script.onerror = function () { reject(new Error("Leaflet could not be loaded from " + base)); };
      document.head.appendChild(script);
    });
  }

  /* -- geometry: Path2D per area in web-mercator pixels at REF_ZOOM, relative to state.origin ------ */
  var WORLD = 256 * Math.pow(2, REF_ZOOM), MAX_LAT = 85.0511287798, DEG = Math.PI / 180;

  function project(lon, lat) {
    var sin = Math.sin(Math.max(Math.min(lat, MAX_LAT), -MAX_LAT) * DEG);
    return [WORLD * (0.5 + lon / 360), WORLD * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI))];
  }

  function buildPart(part, scale, count) {
    var paths = new Array(count), boxes = new Float32Array(count * 4);
    var ox = state.origin[0], oy = state.origin[1], kx = WORLD / 360 / scale, cx = WORLD * 0.5 - ox;
    var ky = WORLD / (4 * Math.PI), cy = WORLD * 0.5 - oy, rad = DEG / scale;
    for (var k = 0; k < part.ids.length; k++) {
      var id = part.ids[k], path = new Path2D(), polygons = part.geoms[k];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var g = 0; g < polygons.length; g++) {
        for (var r = 0; r < polygons[g].length; r++) {
          var ring = polygons[g][r], lon = 0, lat = 0;
          for (var i = 0; i < ring.length; i += 2) {
            lon += ring[i]; lat += ring[i + 1];
            var sin = Math.sin(lat * rad), x = lon * kx + cx, y = cy - ky * Math.log((1 + sin) / (1 - sin));
            if (i === 0) { path.moveTo(x, y); } else { path.lineTo(x, y); }
            if (x < x0) { x0 = x; } if (x > x1) { x1 = x; } if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
          }
          path.closePath();
        }
      }
      paths[id] = path;
      boxes[id * 4] = x0 - PAD; boxes[id * 4 + 1] = y0 - PAD; boxes[id * 4 + 2] = x1 + PAD; boxes[id * 4 + 3] = y1 + PAD;
    }
    return {paths: paths, boxes: boxes};
  }

  function buildGrid(boxes, count) {
    var grid = new Map();
    for (var id = 0; id < count; id++) {
      var b = id * 4;
      if (!(boxes[b + 2] >= boxes[b])) { continue; }
      for (var cx = Math.floor(boxes[b] / CELL); cx <= Math.floor(boxes[b + 2] / CELL); cx++) {
        for (var cy = Math.floor(boxes[b + 1] / CELL); cy <= Math.floor(boxes[b + 3] / CELL); cy++) {
          var key = cx * 1048576 + cy, list = grid.get(key);
          if (list) { list.push(id); } else { grid.set(key, [id]); }
        }
      }
    }
    return grid;
  }

  // a geometry set is {manifest, manifestUrl, coarse, fine, fineBox, chunks}: the areas' is `state` itself
  function pathIn(set, id) {
    var fine = state.map.getZoom() >= set.manifest.fine_from_zoom && set.fine[id];
    return fine || set.coarse.paths[id];
  }

  function pathOf(id) { return pathIn(state, id); }

  /* -- the canvas layer ------------------------------------------------------------------------- */
  function view(renderer) {
    var map = state.map, scale = Math.pow(2, map.getZoom() - REF_ZOOM), origin = map.getPixelOrigin();
    var bounds = renderer._bounds;
    return {
      scale: scale, dx: scale * state.origin[0] - origin.x, dy: scale * state.origin[1] - origin.y,
      x0: (bounds.min.x + origin.x) / scale - state.origin[0], y0: (bounds.min.y + origin.y) / scale - state.origin[1],
      x1: (bounds.max.x + origin.x) / scale - state.origin[0], y1: (bounds.max.y + origin.y) / scale - state.origin[1]
    };
  }

  function visibleIn(set, v, id) {
    var box = set.fine[id] ? set.fineBox : set.coarse.boxes, b = id * 4;
    return box[b] <= v.x1 && box[b + 2] >= v.x0 && box[b + 1] <= v.y1 && box[b + 3] >= v.y0;
  }

  function visible(v, id) { return visibleIn(state, v, id); }

  var AreaCanvas = null;         // made once Leaflet is loaded (makeAreaCanvas)

  function makeAreaCanvas() {
    return L.Canvas.extend({
      _draw: function () {
        if (!state.coarse || !state.classes || !this._bounds) { return; }
        var started = performance.now(), ctx = this._ctx, v = view(this);
        ctx.save();
        ctx.transform(v.scale, 0, 0, v.scale, v.dx, v.dy);
        if (this.options.highlight) { drawHighlight(ctx, v); ctx.restore(); return; }
        if (this.options.outlines) { drawOutlines(ctx, v); ctx.restore(); return; }
        if (state.map.getZoom() < state.manifest.fine_from_zoom) { drawCombined(ctx, v); return; }
        var buckets = state.colours.map(function () { return []; }), drawn = 0;
        for (var id = 0; id < state.manifest.count; id++) {
          if (!visible(v, id)) { continue; }
          buckets[bucketOf(state.classes[id])].push(id);
        }
        var outline = state.map.getZoom() >= OUTLINE_FROM_ZOOM;
        ctx.lineWidth = 0.7 / v.scale;
        ctx.strokeStyle = "rgba(255,255,255,0.85)";
        buckets.forEach(function (ids, c) {
          ctx.fillStyle = state.colours[c];
          ids.forEach(function (id) {
            var path = pathOf(id);
            ctx.fill(path, "evenodd");
            if (outline) { ctx.stroke(path); }
            drawn += 1;
          });
        });
        ctx.restore();
        var zoomedIn = state.map.getZoom() >= state.manifest.fine_from_zoom;
        report.drawn = drawn;
        report.level = zoomedIn ? "fine" : "coarse";
        report.drawMs = performance.now() - started;
        report.at = Date.now();
      }
    });
  }

  function bucketOf(c) {
    return c === NO_CLASS || c >= state.colours.length - 1 ? state.colours.length - 1 : c;
  }

  function drawCombined(ctx, v) {
    // far out every area is drawn: one Path2D per class (made once per layer) and one fill per class
    var started = performance.now();
    if (!state.combined || state.combined.classes !== state.classes) {
      var paths = state.colours.map(function () { return new Path2D(); });
      for (var id = 0; id < state.manifest.count; id++) { paths[bucketOf(state.classes[id])].addPath(state.coarse.paths[id]); }
      state.combined = {classes: state.classes, paths: paths};
    }
    var outline = state.map.getZoom() >= OUTLINE_FROM_ZOOM;
    ctx.lineWidth = 0.7 / v.scale;
    ctx.strokeStyle = "rgba(255,255,255,0.85)";
    state.combined.paths.forEach(function (path, c) {
      ctx.fillStyle = state.colours[c];
      ctx.fill(path, "evenodd");
      if (outline) { ctx.stroke(path); }
    });
    ctx.restore();
    report.drawn = state.manifest.count;
    report.level = "coarse";
    report.drawMs = performance.now() - started;
    report.at = Date.now();
  }

  function drawOutlines(ctx, v) {
    // the boundaries of the larger areas: a white halo under a dark line, legible on every fill colour
    var set = state.outline, drawn = 0;
    if (!set || !set.coarse) { report.outlineDrawn = 0; report.outline = set ? set.label : null; return; }
    ctx.lineJoin = "round";
    [["rgba(255,255,255,0.9)", 3.4], ["#1a1a1a", 1.5]].forEach(function (style) {
      ctx.strokeStyle = style[0];
      ctx.lineWidth = style[1] / v.scale;
      drawn = 0;
      for (var id = 0; id < set.manifest.count; id++) {
        if (visibleIn(set, v, id)) { ctx.stroke(pathIn(set, id)); drawn += 1; }
      }
    });
    report.outlineDrawn = drawn;
    report.outline = set.label;
    report.outlineAt = Date.now();
  }

  function drawHighlight(ctx, v) {
    var path = state.hovered >= 0 && pathOf(state.hovered);
    if (!path) { return; }
    ctx.lineWidth = 2.5 / v.scale;
    ctx.strokeStyle = "#111111";
    ctx.stroke(path);
  }

  function redraw(renderer) {
    if (renderer && renderer._map && renderer._ctx) { renderer._clear(); renderer._draw(); }
  }

  /* -- hover, click and the keyboard ----------------------------------------------------------- */
  function areaAt(layerPoint) {
    if (!state.coarse) { return -1; }
    var map = state.map, scale = Math.pow(2, map.getZoom() - REF_ZOOM), origin = map.getPixelOrigin();
    var x = (layerPoint.x + origin.x) / scale - state.origin[0], y = (layerPoint.y + origin.y) / scale - state.origin[1];
    if (!state.grid) { state.grid = buildGrid(state.coarse.boxes, state.manifest.count); }
    var list = state.grid.get(Math.floor(x / CELL) * 1048576 + Math.floor(y / CELL)) || [];
    for (var k = 0; k < list.length; k++) {
      if (state.probe.isPointInPath(pathOf(list[k]), x, y, "evenodd")) { return list[k]; }
    }
    return -1;
  }

  function values() {
    if (state.values && state.values.url === state.valuesUrl) { return Promise.resolve(state.values.text); }
    var url = state.valuesUrl;
    return cachedJSON(state.args.web + "large/" + url).then(function (text) {
      state.values = {url: url, text: text};
      return text;
    });
  }

  function facts(id) {
    var cls = state.classes[id];
    return values().then(function (text) {
      return {name: state.manifest.names[id], code: state.manifest.codes[id], value: text[id],
              label: state.labels[cls === NO_CLASS ? state.labels.length - 1 : cls]};
    });
  }

  function row(parent, className, label, text) {
    var line = document.createElement("div");
    line.className = className;
    if (label) {
      var name = document.createElement("span");
      name.textContent = label + ": ";
      line.appendChild(name);
    }
    line.appendChild(document.createTextNode(text === null || text === undefined ? "no data" : String(text)));
    parent.appendChild(line);
    return line;
  }

  function hover(event) {
    if (!state.coarse) { return; }
    var id = areaAt(event.layerPoint);
    if (id !== state.hovered) {
      state.hovered = id;
      redraw(state.highlight);
    }
    var tip = state.tip;
    if (id < 0) { tip.style.display = "none"; report.hovered = null; return; }
    facts(id).then(function (f) {
      if (state.hovered !== id) { return; }
      tip.textContent = "";
      row(tip, "lm-tip-name", null, f.name);
      row(tip, "lm-tip-row", "Code", f.code);
      row(tip, "lm-tip-row", state.args.short || "Value", f.value);
      tip.style.left = (event.containerPoint.x + 14) + "px";
      tip.style.top = (event.containerPoint.y + 10) + "px";
      tip.style.display = "block";
      report.hovered = f;
    }).catch(fail);
  }

  function popup(id, latlng) {
    if (id < 0) { return; }
    facts(id).then(function (f) {
      var box = document.createElement("div");
      row(box, "lm-popup-name", null, f.name);
      row(box, "lm-popup-row", "Code", f.code);
      row(box, "lm-popup-row", state.payload.title, f.value);
      row(box, "lm-popup-row", "Map class", f.label);
      L.popup({maxWidth: 320}).setLatLng(latlng).setContent(box).openOn(state.map);
      report.popup = f;
    }).catch(fail);
  }

  function keyboard(event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var map = state.map, centre = map.getCenter();
    var id = areaAt(map.latLngToLayerPoint(centre));
    if (id >= 0) { event.preventDefault(); popup(id, centre); status("Area at the centre of the map: " +
      state.manifest.names[id] + " (" + state.manifest.codes[id] + ")"); }
  }

  /* -- title, legend and attribution ----------------------------------------------------------- */
  function box(position, className) {
    var Control = L.Control.extend({
      onAdd: function () {
        var element = document.createElement("div");
        element.className = "lm-box " + className;
        L.DomEvent.disableClickPropagation(element);
        L.DomEvent.disableScrollPropagation(element);
        return element;
      }
    });
    var control = new Control({position: position});
    control.addTo(state.map);
    return control.getContainer();
  }

  function showLegend(args) {
    var title = state.titleBox, legend = state.legend, payload = args.layer;
    title.textContent = "";
    row(title, "lm-title", null, args.title);
    row(title, "lm-subtitle", null, args.subtitle);
    legend.textContent = "";
    row(legend, "lm-title", null, args.legend_title);
    var missing = state.classes.indexOf(NO_CLASS) >= 0;
    payload.labels.forEach(function (label, c) {
      if (c === payload.labels.length - 1 && !missing) { return; }
      var line = row(legend, "lm-legend-row", null, label), swatch = document.createElement("span");
      swatch.className = "lm-swatch";
      swatch.style.background = payload.colours[c];
      line.insertBefore(swatch, line.firstChild);
    });
    if (args.outline) {
      var edge = row(legend, "lm-legend-row", null, args.outline.label), line = document.createElement("span");
      line.className = "lm-line";
      edge.insertBefore(line, edge.firstChild);
    }
    row(legend, "lm-source", null, args.source);
    legend.setAttribute("data-layer", args.layer_id);
    if (state.attribution !== args.attribution) {
      var control = state.map.attributionControl;
      if (state.attribution) { control.removeAttribution(escapeHTML(state.attribution)); }
      control.addAttribution(escapeHTML(args.attribution));
      state.attribution = args.attribution;
    }
    document.getElementById("large-map").setAttribute("aria-label", args.alt);
  }

  function escapeHTML(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  /* -- fine chunks for the view ------------------------------------------------------------------ */
  function loadChunks() {
    loadSetChunks(state, function () { return state.areas; });
    if (state.outline && state.outline.coarse) { loadSetChunks(state.outline, function () { return state.outlines; }); }
  }

  function loadSetChunks(set, renderer) {
    var map = state.map, manifest = set.manifest;
    if (!manifest || map.getZoom() < manifest.fine_from_zoom) { return; }
    var view = map.getBounds().pad(0.2);
    manifest.chunks.forEach(function (chunk) {
      var b = chunk.bbox;
      if (set.chunks[chunk.file] || b[0] > view.getEast() || b[2] < view.getWest() || b[1] > view.getNorth() ||
          b[3] < view.getSouth()) { return; }
      var key = set.manifestUrl;
      set.chunks[chunk.file] = cachedJSON(state.args.web + "large/" + chunk.file).then(function (part) {
        if (key !== set.manifestUrl) { return; }
        var built = buildPart(part, part.scale || manifest.scale, manifest.count);
        part.ids.forEach(function (id) {
          set.fine[id] = built.paths[id];
          set.fineBox.set(built.boxes.subarray(id * 4, id * 4 + 4), id * 4);
        });
        report.chunks = (report.chunks || 0) + 1;
        redraw(renderer());
      }).catch(fail);
    });
  }

  /* -- the boundaries drawn over the areas (args.outline: a manifest of the same format, or none) -- */
  function loadOutline(args) {
    var url = args.outline ? args.web + "large/" + args.outline.manifest : null;
    if ((state.outline ? state.outline.manifestUrl : null) === url) { return; }
    var set = state.outline = url && {manifestUrl: url, label: args.outline.label, manifest: null, coarse: null,
                                      fine: [], fineBox: null, chunks: {}};
    if (!set) { report.outline = null; redraw(state.outlines); return; }
    cachedJSON(url).then(function (manifest) {
      return cachedJSON(args.web + "large/" + manifest.coarse).then(function (part) {
        if (state.outline !== set) { return; }
        set.manifest = manifest;
        set.coarse = buildPart(part, part.scale || manifest.scale, manifest.count);
        set.fine = new Array(manifest.count);
        set.fineBox = new Float32Array(manifest.count * 4);
        redraw(state.outlines);
        loadSetChunks(set, function () { return state.outlines; });
      });
    }).catch(fail);
  }

  /* -- one render: the map once, the geometry once per manifest, the classes every time ------------ */
  function ensureMap(args) {
    if (state.map) { return; }
    AreaCanvas = makeAreaCanvas();
    var map = state.map = report.map = L.map("large-map", {
      zoomControl: true, attributionControl: true, preferCanvas: true, zoomSnap: 0.5, keyboard: true,
      minZoom: 5, maxZoom: 18
    });
    map.attributionControl.setPrefix(false);
    map.setView([52.8, -1.6], 6);
    state.areas = new AreaCanvas({padding: 0.3});
    state.outlines = new AreaCanvas({padding: 0.3, outlines: true});
    state.highlight = new AreaCanvas({padding: 0.3, highlight: true});
    map.addLayer(state.areas);
    map.addLayer(state.outlines);
    map.addLayer(state.highlight);
    state.titleBox = box("topleft", "lm-heading");
    state.legend = box("bottomright", "lm-legend");
    state.tip = document.createElement("div");
    state.tip.className = "lm-tip";
    map.getContainer().appendChild(state.tip);
    state.probe = document.createElement("canvas").getContext("2d");
    map.on("mousemove", hover);
    map.on("mouseout", function () { state.tip.style.display = "none"; state.hovered = -1; redraw(state.highlight); });
    map.on("click", function (event) { popup(areaAt(event.layerPoint), event.latlng); });
    map.on("moveend", loadChunks);
    map.getContainer().addEventListener("keydown", keyboard);
  }

  function loadGeometry(args) {
    var url = args.web + "large/" + args.manifest;
    if (state.manifestUrl === url) { return state.ready; }
    state.manifestUrl = url;
    state.coarse = state.grid = null;
    state.outline = null;               // its paths are relative to the origin of these areas: built again
    state.hovered = -1;                 // an area of the geometry drawn until now
    state.tip.style.display = "none";
    state.chunks = {};
    status("Loading the boundaries ...");
    state.ready = cachedJSON(url).then(function (manifest) {
      mark("manifest");
      state.manifest = manifest;
      var b = manifest.bounds;
      state.origin = project(b[0][1], b[1][0]);
      return cachedJSON(args.web + "large/" + manifest.coarse).then(function (part) {
        mark("coarse");
        if (state.manifestUrl !== url) { return; }
        state.coarse = buildPart(part, part.scale || manifest.scale, manifest.count);
        state.fine = new Array(manifest.count);
        state.fineBox = new Float32Array(manifest.count * 4);
        mark("built");
        state.map.fitBounds(b, {animate: false});
      });
    });
    return state.ready;
  }

  function decodeClasses(text, count) {
    var raw = atob(text), classes = new Uint8Array(count);
    for (var i = 0; i < count; i++) { classes[i] = raw.charCodeAt(i); }
    return classes;
  }

  function render(args) {
    var started = performance.now();
    report.renderAt = Date.now();
    send("streamlit:setFrameHeight", {height: args.height || 600});
    state.args = args;
    if (!report.marks.render) { mark("render"); }
    if (args.coarse) { cachedJSON(args.web + "large/" + args.coarse).catch(function () { return null; }); }
    var manifest = cachedJSON(args.web + "large/" + args.manifest);
    loadLeaflet(args.leaflet).then(function () {
      if (!report.marks.leaflet) { mark("leaflet"); }
      ensureMap(args);
      return manifest.then(function () { return loadGeometry(args); });
    }).then(function () {
      if (state.args !== args) { return; }
      state.payload = args.layer;
      state.classes = decodeClasses(args.layer.classes, state.manifest.count);
      state.colours = args.layer.colours;
      state.labels = args.layer.labels;
      state.valuesUrl = args.layer.values;
      loadOutline(args);
      showLegend(args);
      redraw(state.areas);
      redraw(state.outlines);
      redraw(state.highlight);
      loadChunks();
      report.layer = args.layer_id;
      report.lastStyleMs = performance.now() - started;
      if (report.firstDrawMs === null) { report.firstDrawMs = performance.now(); mark("drawn"); }
      status(args.alt);
    }).catch(fail);
  }

  send("streamlit:componentReady", {apiVersion: 1});
}());
