// Public tiles from a static PMTiles archive (`insight export pmtiles`, INSIGHT_PMTILES_URL):
// a CDN or any static host then carries the map's tile traffic, with no server in its path.
// The archive holds one layer drawn at the default class tier, and with `--service` one
// service's modelled demand; tiles it does not hold (another tier or service, the UK view's
// district layer) still come from the server. Archive tiles are the server's own bytes.

import { config } from './config.js';

let opened = null; // Promise of { pm, meta } or null

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(el);
  });
}

// Opens the archive named in the page's settings once; null when there is none or it fails
// (the map then reads every tile from the server and says so in the console).
export function openArchive() {
  if (opened) return opened;
  const url = config().pmtiles_url;
  if (!url) return (opened = Promise.resolve(null));
  opened = (async () => {
    try {
      if (!window.pmtiles) await loadScript('/vendor/pmtiles/dist/pmtiles.js');
      const pm = new window.pmtiles.PMTiles(url);
      const [header, meta] = await Promise.all([pm.getHeader(), pm.getMetadata()]);
      return { pm, meta, header, url };
    } catch (err) {
      console.warn(`PMTiles archive ${url} not readable, tiles come from the server:`, err);
      return null;
    }
  })();
  return opened;
}

// Whether the archive draws a tile as the server would for this page state and tile layer.
export function covers(archive, s, layerName, z) {
  if (!archive || archive.meta.layer !== layerName) return false;
  if (z < archive.header.minZoom || z > archive.header.maxZoom) return false;
  if (s.theme === 'channel') return false; // archives hold no channel suitability
  if (s.theme === 'service') return Boolean(s.service) && Number(s.service) === archive.meta.service;
  return archive.meta.service == null && s.tier === 'supergroup';
}

// A VectorGrid protobuf layer that takes the tiles the archive covers from it, the rest from
// `url`. The archive's bytes go through VectorGrid's own decoding (as a blob: URL), so both
// sources draw through one path.
export function archiveAwareGrid(archive, s, url, options) {
  if (!archive) return L.vectorGrid.protobuf(url, options);
  const Grid = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords, tileBounds) {
      const parent = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;
      const layerName = options.layer({ z: coords.z });
      if (!covers(archive, s, layerName, coords.z)) return parent.call(this, coords, tileBounds);
      return archive.pm.getZxy(coords.z, coords.x, coords.y).then((tile) => {
        const blobUrl = URL.createObjectURL(new Blob(tile ? [tile.data] : []));
        const fromArchive = Object.create(this);
        fromArchive._url = blobUrl;
        return parent
          .call(fromArchive, coords, tileBounds)
          .finally(() => URL.revokeObjectURL(blobUrl));
      });
    },
  });
  return new Grid(url, options);
}
