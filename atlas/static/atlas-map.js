/* Health Equity Atlas: draws one view of a layer on a Leaflet map.
 *
 * window.AtlasMap.draw(map, payload) is called by the app on every change of layer or
 * classification.  Geometry is fetched once per URL (the files are named by their content)
 * and kept; the payload carries only each area's class, its value as text, the legend,
 * title and attribution (see atlas/webmap.py, map_payload).  A point set with a style (GP practices)
 * is coloured and sized by it (one colour and radius per point, a legend of its own at the bottom
 * left, tooltip lines per point: atlas/webmap.py, point_style_payload); choosing another colouring
 * restyles the markers and switches the set on.
 *
 * Escaping: every text from the data is put into the page with textContent.  Where Leaflet
 * itself takes HTML (layer control names, attribution) the text is HTML-escaped first.
 */
(function () {
  "use strict";

  var documents = {};           // url -> Promise of parsed GeoJSON
  var state = {
    map: null, token: 0, layers: [], made: {}, index: {}, control: null, attribution: null, viewKey: null,
    fill: "values", overlays: {}, title: null, legend: null, payload: null,
    sets: {}, styleKeys: {}, pointLayers: {}, pointLegend: null, sources: null, moved: false, focusKey: null,
    highlight: null
  };

  function fetchDocument(url) {
    if (!documents[url]) {
      documents[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error(url + ": HTTP " + response.status); }
        return response.json();
      });
      documents[url].catch(function () { delete documents[url]; });
    }
    return documents[url];
  }

  function escapeHTML(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text !== undefined && text !== null) { element.textContent = String(text); }
    return element;
  }

  function row(parent, label, value) {
    var line = node("div", "atlas-tip-row");
    line.appendChild(node("span", "atlas-tip-label", label + ": "));
    line.appendChild(node("span", "atlas-tip-value", value === null || value === undefined ? "No data" : value));
    parent.appendChild(line);
  }

  /* -- controls made once per map: title, zoom, legend ------------------------------------- */
  var Box = L.Control.extend({
    onAdd: function () {
      var box = node("div", this.options.className);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });

  function setUp(map) {
    if (state.map === map) { return; }
    state.map = map;
    map.createPane("atlasLines").style.zIndex = 450;
    map.getPane("atlasLines").style.pointerEvents = "none";
    map.createPane("atlasPoints").style.zIndex = 460;
    state.title = new Box({position: "topleft", className: "atlas-title"}).addTo(map);
    L.control.zoom({position: "topleft"}).addTo(map);
    state.legend = new Box({position: "bottomright", className: "atlas-legend"}).addTo(map);
    if (map.attributionControl) { map.removeControl(map.attributionControl); }
    state.sources = new Box({position: "bottomleft", className: "atlas-sources"}).addTo(map);
    map.on("dragstart zoomstart", function (e) { if (!state.fitting) { state.moved = true; } });
    map.on("resize", function () { if (!state.moved && state.payload) { fitDistrict(map, state.payload); } });
    allowZoom();
    state.pointLegend = new Box({position: "bottomleft", className: "atlas-point-legend"}).addTo(map);
    map.on("baselayerchange", function (e) {
      state.fill = e.layer === state.lisaLayer ? "lisa" : "values";
      drawLegend();
      report();
    });
    map.on("overlayadd overlayremove", function (e) {
      if (e.layer.atlasId) { state.overlays[e.layer.atlasId] = e.type === "overlayadd"; }
      drawPointLegend();
      drawSources();
      report();
    });
  }

  function allowZoom() {   // folium's frame forbids zooming the page (user-scalable=no): allow it (WCAG 1.4.4)
    document.querySelectorAll("meta[name=viewport]").forEach(function (meta) {
      meta.setAttribute("content", "width=device-width, initial-scale=1");
    });
  }

  function collapsible(box, key, title) {   // a legend whose body folds away behind a button in its heading
    var open = state.folded ? !state.folded[key] : true;
    var button = node("button", "atlas-fold");
    button.type = "button";
    button.setAttribute("aria-expanded", String(open));
    button.appendChild(node("span", "atlas-legend-title", title));
    button.appendChild(node("span", "atlas-fold-mark", open ? "\u25be" : "\u25b8"));
    button.title = open ? "Hide the legend" : "Show the legend";
    var body = node("div", "atlas-fold-body");
    body.hidden = !open;
    button.addEventListener("click", function () {
      state.folded = state.folded || {};
      state.folded[key] = !body.hidden;
      body.hidden = !body.hidden;
      button.setAttribute("aria-expanded", String(!body.hidden));
      button.lastChild.textContent = body.hidden ? "\u25b8" : "\u25be";
      button.title = body.hidden ? "Show the legend" : "Hide the legend";
    });
    box.appendChild(button);
    box.appendChild(body);
    return body;
  }

  function drawSources() {   // one short line that opens to every source and licence of what is on the map
    var p = state.payload, box = state.sources.getContainer();
    var texts = [p.attribution];
    Object.keys(state.sets).forEach(function (id) {
      var layer = state.made[state.sets[id].url + "#" + (state.sets[id].style ? "styled" : state.sets[id].colour)];
      if (state.sets[id].attribution && layer && state.map.hasLayer(layer)) { texts.push(state.sets[id].attribution); }
    });
    var full = texts.filter(function (t) { return t; }).join(" ");
    if (box.dataset.full === full) { return; }
    var wasOpen = box.querySelector("details") && box.querySelector("details").open;
    box.textContent = "";
    box.dataset.full = full;
    var details = node("details", "atlas-sources-details");
    details.open = !!wasOpen;
    var summary = node("summary", "atlas-sources-summary");
    summary.appendChild(node("span", "atlas-sources-short", "Sources and licences: " + full));
    details.appendChild(summary);
    details.appendChild(node("div", "atlas-sources-full", full));
    box.appendChild(details);
  }

  function fitDistrict(map, p) {   // the authority fills the map, clear of the title, control and legend
    var control = state.control ? state.control.getContainer().offsetWidth : 0;
    var right = Math.max(control, state.legend.getContainer().offsetWidth);
    var room = map.getSize().x - right;
    var pad = room > 320 ? [right + 16, 12] : [12, state.legend.getContainer().offsetHeight + 16];
    state.fitting = true;
    map.fitBounds(p.bounds, {paddingTopLeft: [44, state.title.getContainer().offsetHeight + 14],
                             paddingBottomRight: [pad[0], pad[1] + 22], animate: false});
    state.fitting = false;
  }

  function fitTitle(map) {   // keep the title clear of the layer control
    var room = map.getSize().x - state.control.getContainer().offsetWidth - 40;
    state.title.getContainer().style.maxWidth = Math.max(room, 180) + "px";
  }

  function drawTitle(p) {
    var box = state.title.getContainer();
    box.textContent = "";
    var heading = node("div", "atlas-title-main", p.title);
    heading.setAttribute("role", "heading");
    heading.setAttribute("aria-level", "2");
    box.appendChild(heading);
    box.appendChild(node("div", "atlas-title-sub", p.subtitle));
  }

  function drawLegend() {
    var p = state.payload;
    var outer = state.legend.getContainer();
    outer.textContent = "";
    outer.dataset.layer = p.layer;
    outer.dataset.fill = state.fill;
    var lisa = state.fill === "lisa" && p.lisa;
    var box = collapsible(outer, "areas", lisa ? categoryTitle(p) + ": " + p.fill.label : p.fill.label);
    if (lisa) {
      box.appendChild(node("div", "atlas-legend-note", p.lisa.caption));
    } else {
      if (p.fill.units) { box.appendChild(node("div", "atlas-legend-note", p.fill.units)); }
      if (p.fill.scheme) { box.appendChild(node("div", "atlas-legend-note", p.fill.scheme)); }
      if (p.fill.message) { box.appendChild(node("div", "atlas-legend-message", p.fill.message)); }
    }
    var items = lisa ? p.lisa.labels.map(function (label, i) { return [label, p.lisa.colours[i]]; })
                     : p.fill.legend;
    if (lisa) {   // only the categories present, in their fixed colours
      var used = {};
      p.lisa.cls.forEach(function (c) { used[c] = true; });
      items = items.filter(function (item, i) { return used[i]; });
    }
    box.appendChild(legendList(items, "atlas-swatch", 6));
  }

  function swatch(colour, className) {
    var element = node("span", className);
    element.style.background = colour;
    element.setAttribute("aria-hidden", "true");
    return element;
  }

  function legendList(items, swatchClass, most) {   // (label, colour) entries; two columns above `most`
    var list = node("ul", "atlas-legend-items");
    items.forEach(function (item) {
      var entry = node("li", "atlas-legend-item");
      entry.appendChild(swatch(item[1], swatchClass));
      entry.appendChild(node("span", "atlas-legend-label", item[0]));
      list.appendChild(entry);
    });
    if (items.length > most) {   // long legends (deciles, networks) in two columns, so they hide less of the map
      list.classList.add("atlas-legend-columns");
      list.style.gridTemplateRows = "repeat(" + Math.ceil(items.length / 2) + ", auto)";
    }
    return list;
  }

  function drawPointLegend() {   // one section per styled point set on the map
    var box = state.pointLegend.getContainer();
    box.textContent = "";
    Object.keys(state.pointLayers).forEach(function (id) {
      var set = state.sets[id], style = set.style;
      if (!state.map.hasLayer(state.pointLayers[id])) { return; }
      var section = node("div", "atlas-point-section");
      section.dataset.set = id;
      section.dataset.key = style.key;
      box.appendChild(section);
      section = collapsible(section, "points:" + id, set.label + ": " + style.title);
      if (style.benchmarks) { section.appendChild(node("div", "atlas-legend-note", style.benchmarks)); }
      section.appendChild(legendList(style.legend, "atlas-swatch atlas-swatch-dot", 5));
      if (style.note) { section.appendChild(node("div", "atlas-legend-note atlas-size-note", style.note)); }
      section.appendChild(sizeSamples(style.sizes));
    });
  }

  function sizeSamples(sizes) {   // markers of the smallest, median and largest point, at their map size
    var line = node("div", "atlas-sizes");
    sizes.forEach(function (item) {
      var sample = node("div", "atlas-size");
      var dot = swatch("#d9d9d9", "atlas-size-dot");
      dot.style.width = dot.style.height = (2 * item[1]) + "px";
      sample.appendChild(dot);
      sample.appendChild(node("span", "atlas-size-label", item[0]));
      line.appendChild(sample);
    });
    return line;
  }

  function report() {
    var p = state.payload;
    var counts = {};
    state.layers.forEach(function (layer) {
      if (layer.atlasId && layer.getLayers) { counts[layer.atlasId] = state.map.hasLayer(layer) ? layer.getLayers().length : 0; }
    });
    window.atlasRendered = {layer: p.layer, geography: p.geography, la: p.la, fill: state.fill,
                            focus: p.focus ? p.focus.code : null,
                            areas: p.codes.length, drawn: counts, styles: Object.assign({}, state.styleKeys),
                            at: Date.now()};
    state.map.getContainer().dataset.layer = p.layer;
  }

  /* -- tooltips (built as text) ------------------------------------------------------------ */
  function categoryTitle(p) {   // the categorical fill's name: LISA clusters, hot spots, bivariate classes ...
    return (p.lisa && p.lisa.title) || "Local clusters (LISA)";
  }

  function areaTooltip(p, feature, i, lisa) {
    var box = node("div", "atlas-tip");
    box.appendChild(node("div", "atlas-tip-name", feature.properties.name));
    box.appendChild(node("div", "atlas-tip-code", feature.id));
    if (p.ward && i !== undefined && p.ward.names[i]) { row(box, p.ward.label, p.ward.names[i]); }
    var value = i === undefined ? null : p.fill.text[i];
    row(box, p.fill.label, value);
    if (p.fill.units && value !== null) { box.appendChild(node("div", "atlas-tip-units", p.fill.units)); }
    if (p.fill.interval && i !== undefined && p.fill.interval[i]) {
      row(box, "95% confidence interval", p.fill.interval[i][0] + " to " + p.fill.interval[i][1]);
    }
    if (p.extra) { row(box, p.extra.label, i === undefined ? null : p.extra.text[i]); }
    if (p.coverage) { row(box, p.coverage.label, i === undefined ? null : p.coverage.text[i]); }
    if (lisa) { row(box, categoryTitle(p), i === undefined ? null : p.lisa.labels[p.lisa.cls[i]]); }
    return box;
  }

  function pointTooltip(feature, id) {
    var set = state.sets[id], style = set.style;
    var box = node("div", "atlas-tip");
    box.appendChild(node("div", "atlas-tip-name", feature.properties.name));
    box.appendChild(node("div", "atlas-tip-code", set.label + " · " + feature.id));
    (feature.properties.rows || []).forEach(function (r) { row(box, r[0], r[1]); });
    if (style && style.tip) {   // the colouring layer: value, interval, comparisons
      var i = style.index[feature.id];
      style.tip.labels.forEach(function (label, j) {
        row(box, label, i === undefined ? null : style.tip.values[i][j]);
        if (j === 0 && style.units) { box.appendChild(node("div", "atlas-tip-units", style.units)); }
      });
    }
    return box;
  }

  /* -- layers: made once per geometry file, restyled on every change ----------------------- */
  function fillOf(i) {            // the current payload's colour of area i (values or clusters)
    var p = state.payload;
    var c = i === undefined ? -1 : p.fill.cls[i];
    return c >= 0 ? p.fill.colours[c] : p.fill.missing_colour;
  }

  function clusterOf(i) {
    var p = state.payload;
    return i === undefined || !p.lisa ? p.fill.missing_colour : p.lisa.colours[p.lisa.cls[i]];
  }

  function areaLayer(areas, lisa) {
    var p = state.payload;
    if (p.canvas && !state.canvas) { state.canvas = L.canvas(); }
    var colour = lisa ? clusterOf : fillOf;
    var layer = L.geoJSON(areas, {
      renderer: p.canvas ? state.canvas : undefined,
      className: lisa ? "atlas-lisa" : "atlas-area",
      style: function (feature) {
        return {fillColor: colour(state.index[feature.id]), fillOpacity: state.payload.fill_opacity,
                color: "#ffffff", weight: 0.6, opacity: 1};
      },
      onEachFeature: function (feature, shape) {
        shape.bindTooltip(function () {
          return areaTooltip(state.payload, feature, state.index[feature.id], lisa);
        }, {sticky: true, direction: "auto", opacity: 1, className: "atlas-tooltip"});
        shape.bindPopup(function () { return areaPopup(state.payload, feature, state.index[feature.id], lisa); },
                        {className: "atlas-popup", maxWidth: 320, autoPanPaddingTopLeft: [44, 60]});
        shape.on("mouseover", function () { shape.setStyle({weight: 2.5, color: "#000000"}); shape.bringToFront(); });
        shape.on("mouseout", function () { if (state.highlight !== feature.id) { layer.resetStyle(shape); } });
        shape.on("add", function () { focusable(shape, feature, lisa); });
      }
    });
    layer.restyle = function () { layer.setStyle(layer.options.style); };
    return layer;
  }

  function areaLabel(p, feature, i) {   // what a screen reader says on an area: name, code, value
    var value = i === undefined || p.fill.text[i] === null ? "no data" : p.fill.text[i];
    return feature.properties.name + " (" + feature.id + "): " + p.fill.label + " " + value +
      (p.fill.units && i !== undefined && p.fill.text[i] !== null ? " " + p.fill.units : "");
  }

  function focusable(shape, feature, lisa) {   // areas reached with Tab; Enter opens the popup
    var path = shape.getElement && shape.getElement();
    if (!path || path.dataset.atlasKeys) { return; }
    path.dataset.atlasKeys = "1";
    path.dataset.code = feature.id;
    path.setAttribute("tabindex", "0");
    path.setAttribute("role", "button");
    path.setAttribute("aria-label", areaLabel(state.payload, feature, state.index[feature.id]));
    path.addEventListener("focus", function () {
      path.setAttribute("aria-label", areaLabel(state.payload, feature, state.index[feature.id]));
      shape.openTooltip(shape.getBounds().getCenter());
    });
    path.addEventListener("blur", function () { shape.closeTooltip(); });
    path.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); shape.openPopup(shape.getBounds().getCenter()); }
    });
  }

  function profileHref(p, code) {
    return p.profile ? p.profile.replace("{code}", encodeURIComponent(code)) : null;
  }

  function areaPopup(p, feature, i, lisa) {   // the tooltip's figures and a link to the area's profile
    var box = areaTooltip(p, feature, i, lisa);
    box.classList.add("atlas-popup-body");
    var href = profileHref(p, feature.id);
    if (href) {
      // a new tab: the app's component frames may not navigate the page they sit in
      var link = node("a", "atlas-profile-link", "Open the profile of " + feature.properties.name +
                      " (new tab)");
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener";
      box.appendChild(link);
    }
    return box;
  }

  function focusOn(map, p) {   // a place found by the search: fly there and outline its area
    var f = p.focus;
    if (!f || state.focusKey === f.key) { return; }
    state.focusKey = f.key;
    state.moved = true;
    var values = state.layers[0];
    if (state.highlight) {
      values.eachLayer(function (shape) { if (shape.feature.id === state.highlight) { values.resetStyle(shape); } });
    }
    state.highlight = f.code;
    if (state.marker) { map.removeLayer(state.marker); state.marker = null; }
    values.eachLayer(function (shape) {
      if (shape.feature.id === f.code) { shape.setStyle({weight: 4, color: "#000000"}); shape.bringToFront(); }
    });
    if (f.point) {
      state.marker = L.circleMarker(f.point, {radius: 7, color: "#000000", weight: 3, fillColor: "#ffffff",
                                              fillOpacity: 1, pane: "atlasPoints", className: "atlas-found"})
        .bindTooltip(f.label, {permanent: true, direction: "top", className: "atlas-tooltip"}).addTo(map);
    }
    map.flyToBounds(f.bounds, {maxZoom: 16, duration: 0.6, paddingTopLeft: [44, 60], paddingBottomRight: [20, 20]});
  }

  function outlineLayer(geojson, style) {
    return L.geoJSON(geojson, {pane: "atlasLines", interactive: false,
                               style: function () { return Object.assign({fill: false}, style); }});
  }

  function markerStyle(id, code) {  // the current payload's colour and radius of one point
    var set = state.sets[id], style = set.style;
    var i = style ? style.index[code] : undefined;
    if (i === undefined) {
      var fill = style ? state.payload.fill.missing_colour : set.colour;
      return {radius: 5, color: "#000000", weight: 1.3, fillColor: fill, fillOpacity: 1};
    }
    // a black outline (and the layer's greys: point_styles.grey_ramp) keeps each marker apart from the areas' colours
    return {radius: style.radius[i], color: "#000000", weight: 1.3, fillColor: style.colour[i], fillOpacity: 1};
  }

  function pointLayer(set, geojson) {
    var id = set.id;
    var features = geojson.features.slice();   // larger markers first, so they lie under the smaller
    features.sort(function (a, b) { return markerStyle(id, b.id).radius - markerStyle(id, a.id).radius; });
    var layer = L.geoJSON({type: "FeatureCollection", features: features}, {
      pane: "atlasPoints",
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, Object.assign({pane: "atlasPoints", className: "atlas-point"},
                                                    markerStyle(id, feature.id)));
      },
      onEachFeature: function (feature, marker) {
        marker.bindTooltip(function () { return pointTooltip(feature, id); },
                           {direction: "top", opacity: 1, className: "atlas-tooltip"});
      }
    });
    layer.restyle = function () {
      layer.eachLayer(function (marker) { marker.setStyle(markerStyle(id, marker.feature.id)); });
    };
    return layer;
  }

  function useSet(set) {          // remember a set's current style; a new colouring switches the set on
    var key = set.style ? set.style.key : null;
    var before = state.styleKeys[set.id];
    if (key !== null && before !== undefined && before !== key) { state.overlays["points:" + set.id] = true; }
    state.styleKeys[set.id] = key;
    if (set.style) {
      set.style.index = {};
      set.style.codes.forEach(function (code, i) { set.style.index[code] = i; });
    }
    state.sets[set.id] = set;
  }

  function setSwatch(set) {       // the layer control's swatch: the set's colour, or its legend's first colours
    if (!set.style || !set.style.legend.length) { return set.colour; }
    var colours = set.style.legend.slice(0, 4).map(function (item) { return item[1]; });
    return colours.length > 1 ? "linear-gradient(90deg," + colours.join(",") + ")" : colours[0];
  }

  function made(key, make) {      // one Leaflet layer per key (geometry file and role), kept across changes
    if (!state.made[key]) { state.made[key] = make(); state.made[key].atlasKey = key; }
    return state.made[key];
  }

  function swatchName(label, colour, shape) {
    return "<span class=\"atlas-control-swatch atlas-control-" + shape + "\" style=\"background:" +
      escapeHTML(colour) + "\"></span>" + escapeHTML(label);
  }

  function build(map, p, docs) {
    var areas = docs[0];
    state.payload = p;
    state.index = {};
    p.codes.forEach(function (code, i) { state.index[code] = i; });
    // the control first: while it is on the map, removing a layer counts as the user switching it off
    if (state.control) { map.removeControl(state.control); state.control = null; }

    var values = made(p.areas.url + "#values", function () { return areaLayer(areas, false); });
    values.atlasId = "values";
    var lisa = p.lisa ? made(p.areas.url + "#lisa", function () { return areaLayer(areas, true); }) : null;
    if (lisa) { lisa.atlasId = "lisa"; } else if (state.fill === "lisa") { state.fill = "values"; }
    state.lisaLayer = lisa;
    var wanted = [[values, state.fill === "values"]];
    if (lisa) { wanted.push([lisa, state.fill === "lisa"]); }

    var overlays = {};
    function overlay(id, name, layer, shown) {
      layer.atlasId = id;
      wanted.push([layer, id in state.overlays ? state.overlays[id] : shown]);
      overlays[name] = layer;
    }
    if (p.wards && docs[1]) {
      overlay("wards", swatchName(p.wards.label, "#1a1a1a", "line"), made(p.wards.url + "#wards", function () {
        return outlineLayer(docs[1], {color: "#1a1a1a", weight: 2, opacity: 0.9});
      }), true);
    }
    var upperDoc = p.upper ? docs[2 + p.points.length] : null;   // fetched after the point sets (draw)
    if (upperDoc) {
      overlay("upper", swatchName(p.upper.label, "#000000", "thick"), made(p.upper.url + "#upper", function () {
        return outlineLayer(upperDoc, {color: "#000000", weight: 3.5, opacity: 1});
      }), true);
    }
    if (areas.outline) {
      overlay("outline", swatchName(p.outline_label || "Boundary", "#000000", "thick"), made(p.areas.url + "#outline", function () {
        return outlineLayer({type: "Feature", geometry: areas.outline, properties: {}},
                            {color: "#000000", weight: 3.5, opacity: 1});
      }), true);
    }
    state.pointLayers = {};
    p.points.forEach(function (set, i) {
      var doc = docs[2 + i];
      if (doc) {
        useSet(set);
        var key = set.url + "#" + (set.style ? "styled" : set.colour);
        var layer = made(key, function () { return pointLayer(set, doc); });
        overlay("points:" + set.id, swatchName(set.label + " (" + set.count + ")", setSwatch(set), "dot"), layer,
                !!set.show);
        if (set.style) { state.pointLayers[set.id] = layer; layer.restyle(); }
      }
    });

    var keep = {};
    wanted.forEach(function (item) { keep[item[0].atlasKey] = true; });
    state.layers.forEach(function (layer) { if (!keep[layer.atlasKey]) { map.removeLayer(layer); } });
    wanted.forEach(function (item) {
      var layer = item[0], on = item[1];
      if (on && !map.hasLayer(layer)) { layer.addTo(map); }
      if (!on && map.hasLayer(layer)) { map.removeLayer(layer); }
    });
    state.layers = wanted.map(function (item) { return item[0]; });
    values.restyle();
    if (lisa) { lisa.restyle(); }

    var bases = {};
    if (lisa) { bases[escapeHTML("Values")] = values; bases[escapeHTML(categoryTitle(p))] = lisa; }
    // expanded where there is room for it; on a narrow map Leaflet's layers button (opens on focus or hover)
    state.control = L.control.layers(bases, overlays,
                                     {collapsed: map.getSize().x < 760, position: "topright", sortLayers: false})
      .addTo(map);
    drawLegend();
    drawPointLegend();
    drawSources();
    fitTitle(map);
    if (state.viewKey !== p.la) {   // a new district: fit it clear of the title, the layer control and the legend
      state.moved = false;
      fitDistrict(map, p);
      state.viewKey = p.la;
    }
    focusOn(map, p);
    report();
  }

  function showError(error) {
    var box = state.legend.getContainer();
    box.textContent = "";
    box.appendChild(node("div", "atlas-legend-message",
      "The map could not load its geometry (" + error.message + "). Reload the page; if it persists, " +
      "the app's output folder may not be writable."));
  }

  function draw(map, p) {
    setUp(map);
    var token = ++state.token;
    drawTitle(p);
    var wanted = [fetchDocument(p.areas.url), p.wards ? fetchDocument(p.wards.url) : null];
    p.points.forEach(function (set) { wanted.push(fetchDocument(set.url)); });
    wanted.push(p.upper ? fetchDocument(p.upper.url) : null);
    Promise.all(wanted).then(function (docs) {
      if (token === state.token) { build(map, p, docs); }
    }).catch(function (error) {
      if (token === state.token) { showError(error); }
    });
  }

  window.AtlasMap = {draw: draw};
}());
