/** What every page receives from the shell. */
import type { Api } from '../api';
import type { Route } from '../router';

export interface PageProps {
  api: Api;
  /** Whether the caller's roles allow an action (globally or in some project; the server checks again). */
  can: (action: string) => boolean;
  route: Route;
}
