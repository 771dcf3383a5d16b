/** Renders web/app/icon.svg to the PNG icons the manifest names (run once after changing the SVG; the PNGs are committed). */
import sharp from 'sharp';

const svg = new URL('./app/icon.svg', import.meta.url);
for (const size of [192, 512]) {
  await sharp(svg.pathname, { density: (72 * size) / 64 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(new URL(`./app/icon-${size}.png`, import.meta.url).pathname);
}
