/** Saves text as a file through the browser's download (works in Electron's window too). */
export function downloadText(text: string, filename: string, type: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = filename;
  link.click();
  URL.revokeObjectURL(link.href);
}
