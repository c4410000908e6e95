import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { ApiError } from './api/client';
import { Shell } from './Shell';
import { Audit } from './screens/Audit';
import { Connect } from './screens/Connect';
import { Explainer } from './screens/Explainer';
import { Members } from './screens/Members';
import { Overview } from './screens/Overview';
import { Platform } from './screens/Platform';
import { Policy } from './screens/Policy';
import { Sso } from './screens/Sso';
import { Tokens } from './screens/Tokens';
import './styles.css';

// React Aria's usePress injects a <style> (touch-action for pressables) unless an element with
// this id exists; the CSP blocks inline styles, so the rule lives in styles.css and this marker
// stops the injection (and the CSP violation report) before anything renders.
const PRESSABLE_STYLE_ID = 'react-aria-pressable-style';
if (!document.getElementById(PRESSABLE_STYLE_ID)) {
  const marker = document.createElement('meta');
  marker.id = PRESSABLE_STYLE_ID;
  document.head.append(marker);
}

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change on retry; a network blip may.
      retry: (count, e) => count < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

const router = createBrowserRouter([
  { path: '/', element: <Navigate to="/console/overview" replace /> },
  {
    path: '/console',
    element: <Shell />,
    children: [
      { index: true, element: <Navigate to="/console/overview" replace /> },
      { path: 'overview', element: <Overview /> },
      { path: 'connect', element: <Connect /> },
      { path: 'tokens', element: <Tokens /> },
      { path: 'members', element: <Members /> },
      { path: 'policy', element: <Policy /> },
      { path: 'explain', element: <Explainer /> },
      { path: 'sso', element: <Sso /> },
      { path: 'audit', element: <Audit /> },
      { path: 'platform', element: <Platform /> },
      { path: '*', element: <Navigate to="/console/overview" replace /> },
    ],
  },
  { path: '*', element: <Navigate to="/console/overview" replace /> },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
