// Queries shared by several screens.
import { useQuery } from '@tanstack/react-query';
import { api, ApiError } from './client';
import type { Me, Role } from './types';

export function useMe() {
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await api<Me>('/api/v1/me');
      } catch (e) {
        // Signed out is an answer, not an error: the shell shows the sign-in screen.
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** What the signed-in role may do, as the API's rules say (the API still decides). */
export function can(me: Me | null | undefined) {
  const role: Role | null = me?.org ? me.role : null;
  const adminish = role === 'owner' || role === 'admin';
  return {
    role,
    inOrg: Boolean(me?.org),
    platform: Boolean(me?.isPlatformAdmin),
    useModels: role === 'owner' || role === 'admin' || role === 'member',
    manageMembers: adminish,
    readPolicy: adminish || Boolean(me?.isPlatformAdmin && me.org),
    editPolicy: adminish,
    readAudit: adminish || Boolean(me?.isPlatformAdmin),
    readSso: adminish,
    manageSso: role === 'owner',
    allTokens: adminish,
    explainOthers: adminish,
  };
}
