// Builds the dashboard into ../src/marsad/serve/static/ (committed, packaged with marsad):
//   app.js     one ES-module bundle (src/main.js + leaflet, echarts (tree-shaken), cytoscape, topojson-client)
//   app.css    src/app.css + leaflet.css
//   favicon.svg
//   countries.json  Natural Earth 1:50m country shapes (npm world-atlas, TopoJSON; turned into GeoJSON
//                   in the browser by topojson-client)
// Usage: npm ci && npm run build
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "marsad", "serve", "static");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  legalComments: "eof",
  logLevel: "info",
});

const leafletCss = readFileSync(join(here, "node_modules", "leaflet", "dist", "leaflet.css"), "utf8");
const appCss = readFileSync(join(here, "src", "app.css"), "utf8");
writeFileSync(join(out, "app.css"), `/* leaflet 1.9.4 */\n${leafletCss}\n/* marsad */\n${appCss}`);
copyFileSync(join(here, "node_modules", "world-atlas", "countries-50m.json"), join(out, "countries.json"));
writeFileSync(join(out, "favicon.svg"),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="#c53030"/></svg>\n');
console.log(`dashboard written to ${out}`);
