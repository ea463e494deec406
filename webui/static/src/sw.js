// The service worker: the inspector's pages and what they load are kept while online and served
// from here without network (pages, scripts and styles: network first; photos: cache first).
import { clientsClaim } from 'workbox-core';
import { ExpirationPlugin } from 'workbox-expiration';
import { registerRoute } from 'workbox-routing';
import { CacheFirst, NetworkFirst } from 'workbox-strategies';

const PAGES = 'gridsafe-pages';
const TAKEN = /^\/(tasks\/[^/]+|customers\/[^/]+|inspections\/[^/]+|hazards\/[^/]+|dictionary)?$/;

self.skipWaiting();
clientsClaim();

const pages = new NetworkFirst({
  cacheName: PAGES, networkTimeoutSeconds: 5, matchOptions: { ignoreVary: true },
  plugins: [new ExpirationPlugin({ maxEntries: 300, maxAgeSeconds: 14 * 24 * 3600 })],
});

registerRoute(({ request, url }) => request.method === 'GET' && request.mode === 'navigate'
  && url.origin === self.location.origin && TAKEN.test(url.pathname), pages);
// scripts and styles have no version in their names: the network's copy first, so that a page and
// its scripts never come from two releases; the kept copy when there is no network
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/static/'),
  new NetworkFirst({ cacheName: 'gridsafe-static', networkTimeoutSeconds: 4, matchOptions: { ignoreVary: true } }));
registerRoute(({ url }) => url.origin === self.location.origin && url.pathname.startsWith('/attachments/'),
  new CacheFirst({ cacheName: 'gridsafe-photos', matchOptions: { ignoreVary: true },
    plugins: [new ExpirationPlugin({ maxEntries: 500, maxAgeSeconds: 30 * 24 * 3600 })] }));

// "take these along": fetch the pages now, while there is network, into the pages' cache
self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type !== 'take-along' || !Array.isArray(data.urls)) return;
  const urls = data.urls.filter((u) => typeof u === 'string' && u.startsWith('/')).slice(0, 100);
  event.waitUntil(caches.open(PAGES).then((cache) => Promise.all(urls.map((u) => fetch(u, { credentials: 'same-origin' })
    .then((answer) => (answer.ok && !answer.redirected ? cache.put(u, answer) : null)).catch(() => null)))));
});
