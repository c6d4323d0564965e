/**
 * Copies text. In the desktop app a secret goes through the bridge, which clears it
 * from the clipboard after 60 s if it is still there.
 */
export async function copyText(text: string, options: { secret?: boolean } = {}): Promise<boolean> {
  try {
    if (options.secret && window.gatehouse) await window.gatehouse.desktop.copySecret(text);
    else await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
