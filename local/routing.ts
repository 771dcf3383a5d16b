/** Matching a request path against the route table, as API Gateway does: `{name}` is one whole segment. */
import { HTTP_ROUTES, type HttpRoute, routeKey } from '../functions/routes.ts';

export interface RouteMatch {
  route: HttpRoute;
  routeKey: string;
  pathParameters: Record<string, string> | undefined;
}

interface CompiledRoute {
  route: HttpRoute;
  segments: string[];
}

function segmentsOf(path: string): string[] {
  return path.split('/').slice(1);
}

export function compileRoutes(routes: readonly HttpRoute[] = HTTP_ROUTES) {
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, segments: segmentsOf(route.path) }));
  // Literal segments win over parameters, as in API Gateway (`/claim` before `/{x}`).
  const literalCount = (c: CompiledRoute) => c.segments.filter((s) => !s.startsWith('{')).length;
  compiled.sort((a, b) => literalCount(b) - literalCount(a));

  return function match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = segmentsOf(rawPath);
    for (const { route, segments } of compiled) {
      if (route.method !== method || segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const want = segments[i] as string;
        const got = parts[i] as string;
        if (want.startsWith('{') && want.endsWith('}')) {
          if (got === '') {
            ok = false;
            break;
          }
          params[want.slice(1, -1)] = safeDecode(got);
        } else if (want !== got) {
          ok = false;
          break;
        }
      }
      if (ok) {
        return {
          route,
          routeKey: routeKey(route),
          pathParameters: Object.keys(params).length > 0 ? params : undefined,
        };
      }
    }
    return undefined;
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
