// Filing a case: the where-is-it map (cases/file.html).
(function () {
  var panes = document.querySelectorAll(".where-pane");
  var map = null, marker = null;
  function show() {
    var checked = document.querySelector("input[name=where]:checked");
    var where = checked ? checked.value : "building";
    panes.forEach(function (p) { p.hidden = p.dataset.where !== where; });
    if (where === "point") drawMap();
  }
  function drawMap() {
    if (map) { map.invalidateSize(); return; }
    var el = document.getElementById("map");
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    map = L.map(el, { attributionControl: false }).setView([+el.dataset.lat, +el.dataset.lon], 16);
    if (window.DoorstepBasemap) DoorstepBasemap(map);
    var points = JSON.parse(document.getElementById("building-points").textContent);
    points.forEach(function (b) {
      L.circleMarker([b.lat, b.lon], { radius: 6, color: "#c8161d", weight: 1, fillOpacity: 0.5 })
        .bindTooltip(b.name).addTo(map);
    });
    function put(ll) {
      lat.value = ll.lat.toFixed(6); lon.value = ll.lng.toFixed(6);
      if (marker) marker.setLatLng(ll); else marker = L.marker(ll).addTo(map);
    }
    if (lat.value && lon.value) put(L.latLng(+lat.value, +lon.value));
    map.on("click", function (e) { put(e.latlng); });
  }
  document.querySelectorAll("input[name=where]").forEach(function (r) { r.addEventListener("change", show); });
  show();
})();
