/* Health Equity Atlas: draws one view of a layer on a Leaflet map.
 *
 * window.AtlasMap.draw(map, payload) is called by the app on every change of layer or
 * classification.  Geometry is fetched once per URL (the files are named by their content)
 * and kept; the payload carries only each area's class, its value as text, the legend,
 * title and attribution (see atlas/webmap.py, map_payload).
 *
 * Escaping: every text from the data is put into the page with textContent.  Where Leaflet
 * itself takes HTML (layer control names, attribution) the text is HTML-escaped first.
 */
(function () {
  "use strict";

  var documents = {};           // url -> Promise of parsed GeoJSON
  var state = {
    map: null, token: 0, layers: [], made: {}, index: {}, control: null, attribution: null, viewKey: null,
    fill: "values", overlays: {}, title: null, legend: null, payload: null
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
    map.on("baselayerchange", function (e) {
      state.fill = e.layer === state.lisaLayer ? "lisa" : "values";
      drawLegend();
      report();
    });
    map.on("overlayadd overlayremove", function (e) {
      if (e.layer.atlasId) { state.overlays[e.layer.atlasId] = e.type === "overlayadd"; }
      report();
    });
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
    var box = state.legend.getContainer();
    box.textContent = "";
    box.dataset.layer = p.layer;
    box.dataset.fill = state.fill;
    var lisa = state.fill === "lisa" && p.lisa;
    box.appendChild(node("div", "atlas-legend-title", lisa ? "Local clusters (LISA): " + p.fill.label : p.fill.label));
    if (lisa) {
      box.appendChild(node("div", "atlas-legend-note", p.lisa.caption));
    } else {
      if (p.fill.units) { box.appendChild(node("div", "atlas-legend-note", p.fill.units)); }
      if (p.fill.scheme) { box.appendChild(node("div", "atlas-legend-note", p.fill.scheme)); }
      if (p.fill.message) { box.appendChild(node("div", "atlas-legend-message", p.fill.message)); }
    }
    var list = node("ul", "atlas-legend-items");
    var items = lisa ? p.lisa.labels.map(function (label, i) { return [label, p.lisa.colours[i]]; })
                     : p.fill.legend;
    if (lisa) {   // only the categories present, in their fixed colours
      var used = {};
      p.lisa.cls.forEach(function (c) { used[c] = true; });
      items = items.filter(function (item, i) { return used[i]; });
    }
    items.forEach(function (item) {
      var entry = node("li", "atlas-legend-item");
      var swatch = node("span", "atlas-swatch");
      swatch.style.background = item[1];
      swatch.setAttribute("aria-hidden", "true");
      entry.appendChild(swatch);
      entry.appendChild(node("span", "atlas-legend-label", item[0]));
      list.appendChild(entry);
    });
    if (items.length > 6) {   // long legends (deciles) in two columns, so they hide less of the map
      list.classList.add("atlas-legend-columns");
      list.style.gridTemplateRows = "repeat(" + Math.ceil(items.length / 2) + ", auto)";
    }
    box.appendChild(list);
  }

  function report() {
    var p = state.payload;
    var counts = {};
    state.layers.forEach(function (layer) {
      if (layer.atlasId && layer.getLayers) { counts[layer.atlasId] = state.map.hasLayer(layer) ? layer.getLayers().length : 0; }
    });
    window.atlasRendered = {layer: p.layer, geography: p.geography, la: p.la, fill: state.fill,
                            areas: p.codes.length, drawn: counts, at: Date.now()};
    state.map.getContainer().dataset.layer = p.layer;
  }

  /* -- tooltips (built as text) ------------------------------------------------------------ */
  function areaTooltip(p, feature, i, lisa) {
    var box = node("div", "atlas-tip");
    box.appendChild(node("div", "atlas-tip-name", feature.properties.name));
    box.appendChild(node("div", "atlas-tip-code", feature.id));
    var value = i === undefined ? null : p.fill.text[i];
    row(box, p.fill.label, value);
    if (p.fill.units && value !== null) { box.appendChild(node("div", "atlas-tip-units", p.fill.units)); }
    if (p.fill.interval && i !== undefined && p.fill.interval[i]) {
      row(box, "95% confidence interval", p.fill.interval[i][0] + " to " + p.fill.interval[i][1]);
    }
    if (p.extra) { row(box, p.extra.label, i === undefined ? null : p.extra.text[i]); }
    if (lisa) { row(box, "Local cluster (LISA)", i === undefined ? null : p.lisa.labels[p.lisa.cls[i]]); }
    return box;
  }

  function pointTooltip(feature, label) {
    var box = node("div", "atlas-tip");
    box.appendChild(node("div", "atlas-tip-name", feature.properties.name));
    box.appendChild(node("div", "atlas-tip-code", label + " · " + feature.id));
    (feature.properties.rows || []).forEach(function (r) { row(box, r[0], r[1]); });
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
        shape.on("mouseover", function () { shape.setStyle({weight: 2.5, color: "#000000"}); shape.bringToFront(); });
        shape.on("mouseout", function () { layer.resetStyle(shape); });
      }
    });
    layer.restyle = function () { layer.setStyle(layer.options.style); };
    return layer;
  }

  function outlineLayer(geojson, style) {
    return L.geoJSON(geojson, {pane: "atlasLines", interactive: false,
                               style: function () { return Object.assign({fill: false}, style); }});
  }

  function pointLayer(set, geojson) {
    return L.geoJSON(geojson, {
      pane: "atlasPoints",
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {radius: 5, color: "#ffffff", weight: 1.5, fillColor: set.colour,
                                       fillOpacity: 1, pane: "atlasPoints", className: "atlas-point"});
      },
      onEachFeature: function (feature, marker) {
        marker.bindTooltip(function () { return pointTooltip(feature, set.label); },
                           {direction: "top", opacity: 1, className: "atlas-tooltip"});
      },
      attribution: set.attribution ? escapeHTML(set.attribution) : undefined
    });
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
    if (state.attribution) { map.attributionControl.removeAttribution(state.attribution); state.attribution = null; }

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
    if (areas.outline) {
      overlay("outline", swatchName("District boundary", "#000000", "thick"), made(p.areas.url + "#outline", function () {
        return outlineLayer({type: "Feature", geometry: areas.outline, properties: {}},
                            {color: "#000000", weight: 3.5, opacity: 1});
      }), true);
    }
    p.points.forEach(function (set, i) {
      var doc = docs[2 + i];
      if (doc) {
        overlay("points:" + set.id, swatchName(set.label + " (" + set.count + ")", set.colour, "dot"),
                made(set.url + "#" + set.colour, function () { return pointLayer(set, doc); }), !!set.show);
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
    if (lisa) { bases[escapeHTML("Values")] = values; bases[escapeHTML("Local clusters (LISA)")] = lisa; }
    // expanded where there is room for it; on a narrow map Leaflet's layers button (opens on focus or hover)
    state.control = L.control.layers(bases, overlays,
                                     {collapsed: map.getSize().x < 760, position: "topright", sortLayers: false})
      .addTo(map);
    state.attribution = escapeHTML(p.attribution);
    map.attributionControl.addAttribution(state.attribution);
    drawLegend();
    fitTitle(map);
    if (state.viewKey !== p.la) {   // a new district: fit it below the title, clear of the zoom buttons
      map.fitBounds(p.bounds, {paddingTopLeft: [44, state.title.getContainer().offsetHeight + 14],
                               paddingBottomRight: [12, 24]});
      state.viewKey = p.la;
    }
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
    Promise.all(wanted).then(function (docs) {
      if (token === state.token) { build(map, p, docs); }
    }).catch(function (error) {
      if (token === state.token) { showError(error); }
    });
  }

  window.AtlasMap = {draw: draw};
}());
