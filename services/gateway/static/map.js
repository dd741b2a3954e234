// The map's configuration and Leaflet, loaded on demand: a listing's map and a host's pin.
/** The map's tile server from the page's meta tags (none: no map). */
export function mapConfig() {
  const tiles = document.querySelector('meta[name="wardmate-map-tiles"]');
  const credit = document.querySelector('meta[name="wardmate-map-attribution"]');
  return tiles && tiles.content ? { tiles: tiles.content, attribution: credit ? credit.content : "" } : null;
}

let leaflet = null;
/** Leaflet and its stylesheet, loaded the first time a map is shown. */
export function loadLeaflet() {
  if (!leaflet) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/vendor/leaflet.css";
    document.head.append(link);
    leaflet = import("./vendor/leaflet.js");
  }
  return leaflet;
}
