# Margin worker (Bull processors; no HTTP). Run as many as the load needs, on as many machines.
# Build from the repository root:  docker build -f docker/worker.Dockerfile -t margin-worker .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run worker:build --outputStyle=static

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/apps/worker ./dist/apps/worker
USER node
# SIGTERM lets Bull finish the jobs in hand before the process exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/worker/apps/worker/src/main.js"]
