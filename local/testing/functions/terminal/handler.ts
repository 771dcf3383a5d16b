/** A stand-in handler module for the loader test: answers with the route it was called for. */
export const handler = async (event: { routeKey: string }) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ from: 'testing/functions/terminal', routeKey: event.routeKey }),
});
