// Draws build/icon.png (256×256): a gate arch on a blue tile. Run once: npx tsx scripts/make-icon.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const size = 256;
const png = new PNG({ width: size, height: size });
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    const inTile = Math.hypot(Math.max(0, Math.abs(x - 128) - 88), Math.max(0, Math.abs(y - 128) - 88)) <= 28;
    const dx = x - 128;
    const dy = y - 120;
    const r = Math.hypot(dx, dy);
    const arch = (dy <= 0 && r >= 52 && r <= 72) || (dy > 0 && dy <= 78 && Math.abs(Math.abs(dx) - 62) <= 10);
    const bars = dy > -40 && dy <= 78 && Math.abs(dx) < 52 && Math.abs(dx) % 20 < 5;
    const [red, green, blue, alpha] = !inTile ? [0, 0, 0, 0] : arch || bars ? [255, 255, 255, 255] : [37, 87, 214, 255];
    png.data[i] = red;
    png.data[i + 1] = green;
    png.data[i + 2] = blue;
    png.data[i + 3] = alpha;
  }
}
writeFileSync(join(import.meta.dirname, '..', 'build', 'icon.png'), PNG.sync.write(png));
