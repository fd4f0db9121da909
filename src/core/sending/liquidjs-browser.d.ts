// LiquidJS's browser build: the same API without its Node file system (fs, path, stream),
// so the core stays free of Node built-ins (test/core/edge-bundle.test.ts).
declare module "liquidjs/dist/liquid.browser.mjs" {
  export * from "liquidjs";
}
