// cloudprint's service worker: makes the app installable and receives the share sheet (manifest
// share_target). Shared files stay in this browser until the signed-in person presses Print: a share
// carries no bearer secret, so the cloud could not print it for anyone.
const SHARED = 'cloudprint-shared';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method === 'POST' &&
    url.origin === self.location.origin &&
    url.pathname.endsWith('/share')
  ) {
    event.respondWith(receiveShare(event.request));
  }
  // everything else goes to the network as usual: the app needs the cloud anyway
});

async function receiveShare(request) {
  const form = await request.formData();
  const files = form.getAll('files').filter((f) => typeof f !== 'string');
  const cache = await caches.open(SHARED);
  for (const old of await cache.keys()) await cache.delete(old);
  await Promise.all(
    files.map((file, i) =>
      cache.put(
        new Request(`shared/${i}`),
        new Response(file, {
          headers: {
            'content-type': file.type || 'application/octet-stream',
            'x-file-name': encodeURIComponent(file.name || `shared-${i + 1}`),
          },
        }),
      ),
    ),
  );
  return Response.redirect(new URL('./#shared', self.registration.scope).toString(), 303);
}
