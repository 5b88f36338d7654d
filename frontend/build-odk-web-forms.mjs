// Builds ODK Web Forms for the survey pages: an ES module bundle (the engine awaits at the top
// level, and the map block stays a chunk loaded only by forms with geo questions), its CSS as a
// file and its fonts as files, so the page's strict CSP (styles and fonts from 'self' or with
// the page's nonce) holds. The package injects its CSS from JavaScript (vite's
// css-injected-by-js, fonts inlined as data: URLs); this build takes that CSS out instead.
// The map's base layer reads the app's own tiles (see baseMapTiles below).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, "../liaison/surveys/static/surveys/vendor/odk-web-forms");
const INJECTION =
  /^\(function\(\)\{"use strict";try\{if\(typeof document<"u"\)\{var r=document\.createElement\("style"\);r\.appendChild\(document\.createTextNode\(('(?:[^'\\]|\\.)*')\)\),document\.head\.appendChild\(r\)\}\}catch\(t\)\{console\.error\("vite-plugin-css-injected-by-js",t\)\}\}\)\(\);/;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "fonts"), { recursive: true });

function fontsToFiles(css) {
  return css.replace(/url\(data:font\/(woff2?);base64,([A-Za-z0-9+/=]+)\)/g, (_m, kind, data) => {
    const bytes = Buffer.from(data, "base64");
    const name = `${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.${kind}`;
    writeFileSync(join(out, "fonts", name), bytes);
    return `url(fonts/${name})`;
  });
}

const extractCss = {
  name: "odk-web-forms-css",
  setup(build) {
    build.onLoad({ filter: /@getodk[\\/]web-forms[\\/]dist[\\/]index\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const found = INJECTION.exec(source);
      if (!found) throw new Error("@getodk/web-forms no longer injects its CSS as expected");
      const css = vm.runInNewContext(found[1]);
      writeFileSync(join(out, "odk-web-forms.css"), fontsToFiles(css));
      return { contents: source.slice(found[0].length), loader: "js" };
    });
  },
};

// The geo questions' map (OpenLayers, in the package's MapBlock chunk) creates its base layer as
// `new OSM()`, OpenLayers' OpenStreetMap source with its defaults: tiles from
// tile.openstreetmap.org, which the page's CSP refuses and an offline post cannot reach. 0.22
// offers no option for it, so this build gives that one source OpenLayers' own options instead:
// the app's tiles (liaison/exchange/mapdata/build_tiles.py draws them from Natural Earth), found
// beside the bundle whatever STATIC_URL is, up to the closest zoom drawn (closer views enlarge
// it), credited to their source.
const TILES = resolve(here, "../liaison/surveys/static/surveys/tiles");
const BASE_LAYER = /layers: \[new (\w+)\(\{ source: new (\w+)\(\) \}\)\]/g;
const OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

const baseMapTiles = {
  name: "odk-web-forms-base-map",
  setup(build) {
    build.onLoad({ filter: /@getodk[\\/]web-forms[\\/]dist[\\/]MapBlock-[^\\/]+\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const layers = [...source.matchAll(BASE_LAYER)];
      const osm = source.split(OSM_TILES).length - 1;
      if (layers.length !== 1 || osm !== 1 || !source.includes(`class ${layers[0][2]} extends`)) {
        throw new Error("@getodk/web-forms no longer creates its map's base layer as expected");
      }
      const zooms = readdirSync(TILES).filter((name) => /^\d+$/.test(name)).map(Number);
      if (!zooms.length) throw new Error(`no tiles in ${TILES}: run build_tiles.py`);
      const folder = `${relative(out, TILES).split(sep).join("/")}/`;
      const options = [
        `url: new URL(${JSON.stringify(folder)}, import.meta.url).href + "{z}/{x}/{y}.png"`,
        `maxZoom: ${Math.max(...zooms)}`,
        `attributions: ${JSON.stringify("Base map: Natural Earth")}`,
      ].join(", ");
      const [found, layer, osmSource] = layers[0];
      return {
        contents: source.replace(found, `layers: [new ${layer}({ source: new ${osmSource}({ ${options} }) })]`),
        loader: "js",
      };
    });
  },
};

const result = await esbuild.build({
  entryPoints: { "odk-web-forms": join(here, "entry-odk-web-forms.js") },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: "es2022",
  legalComments: "eof",
  outdir: out,
  chunkNames: "chunk-[hash]",
  define: {
    "process.env.NODE_ENV": '"production"',
    __VUE_OPTIONS_API__: "true",
    __VUE_PROD_DEVTOOLS__: "false",
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
  },
  plugins: [extractCss, baseMapTiles],
  metafile: true,
  logLevel: "warning",
});

for (const [name, licence] of [
  ["@getodk/web-forms", "LICENSE-odk-web-forms.txt"],
  ["vue", "LICENSE-vue.txt"],
  ["ol", "LICENSE-openlayers.txt"],
  ["dompurify", "LICENSE-dompurify.txt"],
]) {
  const folder = join(here, "node_modules", name);
  for (const file of ["LICENSE", "LICENSE.md", "LICENSE.txt"]) {
    try {
      copyFileSync(join(folder, file), join(out, licence));
      break;
    } catch {
      // try the next name
    }
  }
}
// The package is Apache-2.0 (its package.json) but ships no licence file: the notice names it and
// the licence's text is the standard one another dependency carries.
const engine = JSON.parse(readFileSync(join(here, "node_modules/@getodk/web-forms/package.json"), "utf8"));
writeFileSync(
  join(out, "LICENSE-odk-web-forms.txt"),
  `${engine.name} ${engine.version} (${engine.repository.url}), licence ${engine.license}.\n` +
    "Its package carries no licence file; the text of the Apache License 2.0 follows.\n\n" +
    readFileSync(join(here, "node_modules/web-worker/LICENSE"), "utf8"),
);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`odk-web-forms: ${Object.keys(result.metafile.outputs).length} files, ${bytes} bytes of JS`);
