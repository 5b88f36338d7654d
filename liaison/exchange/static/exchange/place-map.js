// The incident form's place picked on the app's own base map (exchange/gms.svg, the dashboard's,
// served by the app: no tiles, works offline). A tap fills the latitude and longitude with the
// point under the finger, by inverting the base map's projection (equirectangular, scaled by the
// cosine of the box's mid latitude: liaison/exchange/map.py); a place typed or given by the
// tablet's location is shown on the map. "+" and "−" zoom on the place, for a closer second tap.
(function () {
  "use strict";

  function picker(box) {
    var form = box.closest("form");
    var latitude = form && form.querySelector("[name=latitude]");
    var longitude = form && form.querySelector("[name=longitude]");
    var svg = box.querySelector("[data-place-map-svg]");
    var marker = box.querySelector("[data-place-marker]");
    if (!latitude || !longitude || !svg || !marker || !svg.getScreenCTM) return;
    var edges = box.getAttribute("data-box").split(" ").map(Number);
    var west = edges[0], south = edges[1], east = edges[2], north = edges[3];
    var width = Number(box.getAttribute("data-width"));
    var height = Number(box.getAttribute("data-height"));
    var k = Math.cos(((south + north) / 2) * Math.PI / 180);
    var scale = width / ((east - west) * k);
    var view = { x: 0, y: 0, w: width, h: height };
    var picked = null;

    function toMap(lon, lat) { return { x: (lon - west) * k * scale, y: (north - lat) * scale }; }
    function toPlace(x, y) { return { lon: west + x / (k * scale), lat: north - y / scale }; }
    function inside(p) { return p.x >= 0 && p.x <= width && p.y >= 0 && p.y <= height; }

    function showView() {
      svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].map(function (n) { return n.toFixed(2); }).join(" "));
      // the marker keeps its size on the screen whatever the zoom
      if (picked) marker.setAttribute("transform", "translate(" + picked.x + " " + picked.y + ") scale(" + (view.w / width) + ")");
    }

    function mark(point) {
      picked = point && inside(point) ? point : null;
      marker.setAttribute("visibility", picked ? "visible" : "hidden");
      showView();
    }

    function fromFields() {
      var lat = parseFloat(latitude.value), lon = parseFloat(longitude.value);
      mark(isFinite(lat) && isFinite(lon) ? toMap(lon, lat) : null);
    }

    function zoom(factor) {
      var w = Math.min(width, Math.max(width / 64, view.w * factor));
      var h = w * height / width;
      var centre = picked || { x: view.x + view.w / 2, y: view.y + view.h / 2 };
      view = {
        x: Math.min(Math.max(centre.x - w / 2, 0), width - w),
        y: Math.min(Math.max(centre.y - h / 2, 0), height - h),
        w: w,
        h: h
      };
      showView();
    }

    svg.addEventListener("click", function (event) {
      var matrix = svg.getScreenCTM();
      if (!matrix) return;
      var point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      if (!inside(point)) return;
      var place = toPlace(point.x, point.y);
      latitude.value = place.lat.toFixed(6);
      longitude.value = place.lon.toFixed(6);
      [latitude, longitude].forEach(function (input) {
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    box.querySelectorAll("[data-place-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        zoom(button.getAttribute("data-place-zoom") === "in" ? 0.5 : 2);
      });
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("input", fromFields);
      input.addEventListener("change", fromFields);
    });
    box.hidden = false;
    fromFields();
  }

  document.querySelectorAll("[data-place-map]").forEach(picker);
})();
