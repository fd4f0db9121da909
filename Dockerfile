# syntax=docker/dockerfile:1
# Build stage: compile TypeScript and native modules (better-sqlite3, sharp, resvg).
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off, then only the native module that needs one: the image's npm 10 ignores the
# package.json allowScripts list, and gifencoder (a benchmark-only dev dependency) pulls in
# node-canvas, whose install script would need system cairo.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY docs ./docs
# The web app (/app): bundled by esbuild into dist/app (its binary comes in its own package).
COPY web ./web
RUN npm run build && npm prune --omit=dev

# Runtime stage: only what the built server needs, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    OPENTIME_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY fonts ./fonts
COPY assets ./assets
COPY docs ./docs
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM from `docker stop` triggers a graceful shutdown that flushes every buffered event.
CMD ["node", "--max-semi-space-size=64", "dist/node/main.js"]
