import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../functions/routes.ts';
import { compileRoutes } from './routing.ts';

describe('route matching', () => {
  const match = compileRoutes();

  it('finds every route of functions/routes.ts by its own path', () => {
    for (const route of HTTP_ROUTES) {
      const path = route.path.replaceAll(/\{(\w+)\}/g, 'x-$1');
      const found = match(route.method, path);
      expect(found?.routeKey, `${route.method} ${path}`).toBe(`${route.method} ${route.path}`);
      expect(found?.route.fn).toBe(route.fn);
    }
  });

  it('prefers literal segments over parameters, and decodes parameters', () => {
    const custom = compileRoutes([
      { method: 'GET', path: '/a/{id}', fn: 'terminal' },
      { method: 'GET', path: '/a/me', fn: 'jobs' },
    ]);
    expect(custom('GET', '/a/me')?.route.fn).toBe('jobs');
    expect(custom('GET', '/a/you')?.pathParameters).toEqual({ id: 'you' });
    expect(custom('GET', '/a/caf%C3%A9')?.pathParameters).toEqual({ id: 'café' });
  });

  it('matches nothing for an empty parameter, a trailing slash or another method', () => {
    expect(match('GET', '/v1/printers//jobs')).toBeUndefined();
    expect(match('GET', '/v1/config/')).toBeUndefined();
    expect(match('POST', '/v1/config')).toBeUndefined();
  });
});
