import QRCode from 'qrcode';
import { useEffect, useState } from 'react';

/** The QR code of `value` as an SVG image; hidden in the desktop app while the window is not focused. */
export function QrCode({ value, label }: { value: string; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const hidden = useHiddenWhenUnfocused();
  useEffect(() => {
    let live = true;
    QRCode.toString(value, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then((svg) => {
      if (live) setSrc(`data:image/svg+xml;base64,${btoa(svg)}`);
    });
    return () => {
      live = false;
    };
  }, [value]);
  if (!src) return <div className="qr qr-placeholder" aria-busy="true" />;
  if (hidden) {
    return (
      <div className="qr qr-placeholder" role="note">
        QR hidden while Gatehouse is in the background
      </div>
    );
  }
  return <img className="qr" src={src} alt={label} width={280} height={280} data-testid="token-qr" />;
}

/** Desktop guardrail: a QR on screen is only shown while the window has focus. */
function useHiddenWhenUnfocused(): boolean {
  const desktop = typeof window !== 'undefined' && window.gatehouse !== undefined;
  const [hidden, setHidden] = useState(false);
  useEffect(() => {
    if (!desktop) return;
    const hide = () => setHidden(true);
    const show = () => setHidden(false);
    window.addEventListener('blur', hide);
    window.addEventListener('focus', show);
    return () => {
      window.removeEventListener('blur', hide);
      window.removeEventListener('focus', show);
    };
  }, [desktop]);
  return hidden;
}
