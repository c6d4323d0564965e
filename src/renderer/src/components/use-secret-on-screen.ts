import { useEffect } from 'react';

/** Desktop: keeps the window out of screen captures while a secret is on screen. */
export function useSecretOnScreen(): void {
  useEffect(() => {
    window.gatehouse?.desktop.setSecretOnScreen(true);
    return () => window.gatehouse?.desktop.setSecretOnScreen(false);
  }, []);
}
